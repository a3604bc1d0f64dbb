//! qemu-agent-command, guestinfo and set-user-password (virsh's spellings and flags), through the
//! domain's QEMU guest agent.

use super::{agent_error, agent_ready};
use crate::devices::devxml::lookup;
use crate::observe::params::Params;
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::{CStr, CString};
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Run a guest agent command (virsh qemu-agent-command).
///
/// COMMAND is the agent's JSON request ('{"execute":"guest-info"}'); words are joined with spaces,
/// as virsh does. JSON that does not parse is exit 7, a domain without a connected agent exit 6,
/// before anything is sent. The agent's reply is the output.
#[derive(Debug, clap::Args)]
pub struct QemuAgentCommand {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The JSON request.
    #[arg(required = true)]
    pub command: Vec<String>,
    /// Seconds to wait for the reply.
    #[arg(long, value_name = "SECS", conflicts_with_all = ["async_", "block"],
          value_parser = clap::value_parser!(i32).range(1..))]
    pub timeout: Option<i32>,
    /// Do not wait for the reply.
    #[arg(long = "async", id = "async_", conflicts_with = "block")]
    pub async_: bool,
    /// Wait for the reply as long as it takes.
    #[arg(long)]
    pub block: bool,
}

/// The agent's reply, as the agent sent it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct AgentReply(pub serde_json::Value);

impl Render for AgentReply {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n", self.0)
    }
}

#[link(name = "virt-qemu")]
extern "C" {
    // libvirt-qemu.h; the virt crate wraps it only behind a feature that this workspace's
    // virt-sys build does not turn on.
    fn virDomainQemuAgentCommand(
        domain: sys::virDomainPtr,
        cmd: *const libc::c_char,
        timeout: libc::c_int,
        flags: libc::c_uint,
    ) -> *mut libc::c_char;
}

fn agent_command(
    dom: &Domain,
    cmd: &str,
    timeout: i32,
) -> std::result::Result<Option<String>, virt::error::Error> {
    let cmd = CString::new(cmd).expect("checked: parses as JSON, so no NUL");
    // SAFETY: a live domain and a C string; the reply is malloc'd by libvirt and freed here.
    unsafe {
        let reply = virDomainQemuAgentCommand(dom.as_ptr(), cmd.as_ptr(), timeout, 0);
        if reply.is_null() {
            let e = virt::error::Error::last_error();
            // --async: no reply and no error.
            return match e.code() {
                virt::error::ErrorNumber::Ok => Ok(None),
                _ => Err(e),
            };
        }
        let text = CStr::from_ptr(reply).to_string_lossy().into_owned();
        libc::free(reply as *mut libc::c_void);
        Ok(Some(text))
    }
}

impl Verb for QemuAgentCommand {
    type Ctx = Session;
    type Output = AgentReply;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<AgentReply> {
        let command = self.command.join(" ");
        let request: serde_json::Value = serde_json::from_str(&command)
            .map_err(|e| Error::invalid(format!("agent command {}: not JSON: {e}", quote(&command))))?;
        if request.get("execute").and_then(|v| v.as_str()).is_none() {
            return Err(Error::invalid(format!(
                "agent command {}: a JSON object with \"execute\"",
                quote(&command)
            )));
        }
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        agent_ready(&dom, &self.domain)?;
        let timeout = match (self.timeout, self.async_, self.block) {
            (Some(secs), _, _) => secs,
            (_, true, _) => sys::VIR_DOMAIN_QEMU_AGENT_COMMAND_NOWAIT,
            (_, _, true) => sys::VIR_DOMAIN_QEMU_AGENT_COMMAND_BLOCK,
            _ => sys::VIR_DOMAIN_QEMU_AGENT_COMMAND_DEFAULT,
        };
        let what = format!("agent command to domain {}", quote(&self.domain));
        let reply = agent_command(&dom, &command, timeout).map_err(|e| agent_error(e, &what))?;
        // What the guest did with the command is the guest's: nothing to undo from here.
        journal.irreversible(what)?;
        let reply = match reply {
            Some(text) => serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
            None => serde_json::Value::Null,
        };
        Ok(AgentReply(reply))
    }
}

/// Show what the guest agent reports about the guest (virsh guestinfo).
///
/// Without a group flag: every group. A domain without a connected agent is exit 6.
#[derive(Debug, clap::Args)]
pub struct Guestinfo {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// user.*: logged-in users.
    #[arg(long)]
    pub user: bool,
    /// os.*: the operating system.
    #[arg(long)]
    pub os: bool,
    /// timezone.*.
    #[arg(long)]
    pub timezone: bool,
    /// hostname.
    #[arg(long)]
    pub hostname: bool,
    /// fs.*: file systems.
    #[arg(long)]
    pub filesystem: bool,
    /// disk.*: disks.
    #[arg(long)]
    pub disk: bool,
    /// if.*: network interfaces.
    #[arg(long)]
    pub interface: bool,
}

/// The guest's information by libvirt's names (os.id, hostname, user.count, ...), typed.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct GuestInfo(pub Params);

impl Render for GuestInfo {
    fn text(&self, _style: TextStyle) -> String {
        let lines: String = (self.0 .0.iter())
            .map(|(k, v)| format!("{k:<20}: {}\n", v.virsh()))
            .collect();
        format!("{lines}\n")
    }
}

impl Guestinfo {
    fn types(&self) -> u32 {
        [
            (self.user, sys::VIR_DOMAIN_GUEST_INFO_USERS),
            (self.os, sys::VIR_DOMAIN_GUEST_INFO_OS),
            (self.timezone, sys::VIR_DOMAIN_GUEST_INFO_TIMEZONE),
            (self.hostname, sys::VIR_DOMAIN_GUEST_INFO_HOSTNAME),
            (self.filesystem, sys::VIR_DOMAIN_GUEST_INFO_FILESYSTEM),
            (self.disk, sys::VIR_DOMAIN_GUEST_INFO_DISKS),
            (self.interface, sys::VIR_DOMAIN_GUEST_INFO_INTERFACES),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .fold(0, |mask, (_, t)| mask | t)
    }
}

impl Verb for Guestinfo {
    type Ctx = Session;
    type Output = GuestInfo;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<GuestInfo> {
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        agent_ready(&dom, &self.domain)?;
        let (mut params, mut n): (sys::virTypedParameterPtr, i32) = (std::ptr::null_mut(), 0);
        // SAFETY: libvirt allocates the parameters; Params::take frees them.
        let ret = unsafe { sys::virDomainGetGuestInfo(dom.as_ptr(), self.types(), &mut params, &mut n, 0) };
        if ret < 0 {
            let what = format!("guest information of domain {}", quote(&self.domain));
            return Err(agent_error(virt::error::Error::last_error(), &what));
        }
        Ok(GuestInfo(unsafe { Params::take(params, n) }))
    }
}

/// Set a guest user's password through the guest agent (virsh set-user-password).
///
/// A domain without a connected agent is exit 6, nothing changed. Not undoable (the old password
/// is not known).
#[derive(Debug, clap::Args)]
pub struct SetUserPassword {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The guest user.
    pub user: String,
    /// The new password.
    pub password: String,
    /// PASSWORD is already encrypted (crypt(3)).
    #[arg(long)]
    pub encrypted: bool,
}

/// A password set.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PasswordSet {
    /// The domain.
    pub name: String,
    /// The guest user.
    pub user: String,
    pub changed: bool,
}

impl Render for PasswordSet {
    fn text(&self, _style: TextStyle) -> String {
        format!("Password set successfully for {} in {}\n", self.user, self.name)
    }
}

impl Verb for SetUserPassword {
    type Ctx = Session;
    type Output = PasswordSet;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<PasswordSet> {
        for (what, value) in [("USER", &self.user), ("PASSWORD", &self.password)] {
            if value.is_empty() || value.contains('\0') {
                return Err(Error::invalid(format!("{what}: empty or with a NUL byte")));
            }
        }
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        agent_ready(&dom, &self.domain)?;
        let flags = if self.encrypted {
            sys::VIR_DOMAIN_PASSWORD_ENCRYPTED
        } else {
            0
        };
        let what = format!(
            "password of {} in domain {}",
            quote(&self.user),
            quote(&self.domain)
        );
        dom.set_user_password(&self.user, &self.password, flags)
            .map_err(|e| agent_error(e, &what))?;
        journal.irreversible(format!("set {what}"))?;
        Ok(PasswordSet {
            name: self.domain,
            user: self.user,
            changed: true,
        })
    }
}
