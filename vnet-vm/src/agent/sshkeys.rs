//! get-user-sshkeys and set-user-sshkeys (virsh's spellings): a guest user's
//! authorized_keys through the guest agent. A domain without a connected agent is exit 6 before
//! anything is asked (virsh fails too: "QEMU guest agent is not configured").

use super::{agent_error, agent_ready};
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::{CStr, CString};
use std::path::PathBuf;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// A guest user's authorized SSH keys (virsh get-user-sshkeys).
#[derive(Debug, clap::Args)]
pub struct GetUserSshkeys {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The user in the guest.
    pub user: String,
}

/// A guest user's authorized keys.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SshKeys {
    pub name: String,
    pub user: String,
    pub changed: bool,
    /// The keys, one authorized_keys line each.
    pub keys: Vec<String>,
}

impl Render for SshKeys {
    fn text(&self, _style: TextStyle) -> String {
        self.keys.iter().map(|k| format!("{k}\n")).collect::<String>() + "\n"
    }
}

fn c_text(text: &str, what: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::invalid(format!("{what} with a NUL byte")))
}

fn get_keys(dom: &Domain, user: &CString) -> Result<Vec<String>> {
    let mut keys: *mut *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: libvirt allocates the array and its strings; both are freed below.
    let n = unsafe { sys::virDomainAuthorizedSSHKeysGet(dom.as_ptr(), user.as_ptr(), &mut keys, 0) };
    if n < 0 {
        return Err(agent_error(
            virt::error::Error::last_error(),
            "get the user's SSH keys",
        ));
    }
    let mut out = Vec::new();
    for i in 0..n as usize {
        // SAFETY: `n` NUL-terminated strings.
        unsafe {
            let key = *keys.add(i);
            out.push(CStr::from_ptr(key).to_string_lossy().into_owned());
            libc::free(key.cast());
        }
    }
    if !keys.is_null() {
        // SAFETY: the array itself, allocated by libvirt.
        unsafe { libc::free(keys.cast()) };
    }
    Ok(out)
}

fn set_keys(dom: &Domain, user: &CString, keys: &[CString], flags: u32) -> Result<()> {
    let mut ptrs: Vec<*const libc::c_char> = keys.iter().map(|k| k.as_ptr()).collect();
    let list = if ptrs.is_empty() {
        std::ptr::null_mut()
    } else {
        ptrs.as_mut_ptr()
    };
    // SAFETY: a held domain, a user and `ptrs.len()` NUL-terminated keys (or null and 0).
    let rc = unsafe {
        sys::virDomainAuthorizedSSHKeysSet(dom.as_ptr(), user.as_ptr(), list, ptrs.len() as u32, flags)
    };
    match rc {
        rc if rc < 0 => Err(agent_error(
            virt::error::Error::last_error(),
            "set the user's SSH keys",
        )),
        _ => Ok(()),
    }
}

impl Verb for GetUserSshkeys {
    type Ctx = Session;
    type Output = SshKeys;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<SshKeys> {
        let user = c_text(&self.user, "a user name")?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        agent_ready(&dom, &name)?;
        let keys = get_keys(&dom, &user)?;
        Ok(SshKeys {
            name,
            user: self.user,
            changed: false,
            keys,
        })
    }
}

/// Add keys to a guest user's authorized_keys (virsh set-user-sshkeys): the lines of --file
/// (blank lines and `#` comments skipped) are appended; --reset replaces the whole file with
/// them (with no --file: empties it); --remove takes them out. A file with no keys (without
/// --reset) is exit 7, as virsh refuses it ("contains no keys"). Undone on a later failure: the
/// old keys written back.
#[derive(Debug, clap::Args)]
pub struct SetUserSshkeys {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The user in the guest.
    pub user: String,
    /// A file of keys, one a line.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Replace the user's keys instead of adding.
    #[arg(long, conflicts_with = "remove")]
    pub reset: bool,
    /// Remove the keys instead of adding.
    #[arg(long)]
    pub remove: bool,
}

impl SetUserSshkeys {
    /// The file's keys; none (without --reset) is exit 7.
    fn keys(&self) -> Result<Vec<CString>> {
        let Some(path) = &self.file else {
            return match self.reset {
                true => Ok(Vec::new()),
                false => Err(Error::invalid(
                    "set-user-sshkeys needs --file, or --reset to remove every key",
                )),
            };
        };
        let text = vnet_common::files::read_text(path, 1 << 20)?;
        let lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let keys = lines.map(|l| c_text(l, "a key")).collect::<Result<Vec<_>>>()?;
        if keys.is_empty() && !self.reset {
            let shown = path.display().to_string();
            return Err(Error::invalid(format!("File {} contains no keys", quote(&shown))));
        }
        Ok(keys)
    }

    fn flags(&self) -> u32 {
        match (self.reset, self.remove) {
            (true, _) => 0,
            (_, true) => sys::VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_REMOVE,
            _ => sys::VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_APPEND,
        }
    }
}

impl Verb for SetUserSshkeys {
    type Ctx = Session;
    type Output = SshKeys;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SshKeys> {
        let keys = self.keys()?;
        let user = c_text(&self.user, "a user name")?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        agent_ready(&dom, &name)?;
        let old = get_keys(&dom, &user)?;
        set_keys(&dom, &user, &keys, self.flags())?;
        let old = old
            .iter()
            .map(|k| c_text(k, "a key"))
            .collect::<Result<Vec<_>>>()?;
        let (undo, undo_user) = (dom.clone(), user.clone());
        journal.record_fn("set the user's SSH keys", move || {
            set_keys(&undo, &undo_user, &old, 0)
        })?;
        let keys = get_keys(&dom, &user)?;
        Ok(SshKeys {
            name,
            user: self.user,
            changed: true,
            keys,
        })
    }
}
