//! domfsfreeze, domfsthaw and domfstrim (virsh's spellings): the guest's file systems frozen,
//! thawed or trimmed through the guest agent. A domain without a connected agent is exit 6
//! before anything is asked (virsh fails too: "QEMU guest agent is not configured").

use super::{agent_error, agent_ready};
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CString;
use virt::domain::Domain;
use virt::sys;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Freeze the guest's mounted file systems, or those named (virsh domfsfreeze). Undone on a
/// later failure (--batch --atomic): thawed again.
#[derive(Debug, clap::Args)]
pub struct Domfsfreeze {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Mount points to freeze (all when none).
    #[arg(long)]
    pub mountpoint: Vec<String>,
}

/// Thaw the guest's frozen file systems, or those named (virsh domfsthaw).
#[derive(Debug, clap::Args)]
pub struct Domfsthaw {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Mount points to thaw (all when none).
    #[arg(long)]
    pub mountpoint: Vec<String>,
}

/// The guest's file systems after domfsfreeze or domfsthaw.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FsFrozen {
    pub name: String,
    pub changed: bool,
    /// True after a freeze, false after a thaw.
    pub frozen: bool,
    /// How many file systems the agent froze or thawed.
    pub count: u32,
}

impl Render for FsFrozen {
    fn text(&self, _style: TextStyle) -> String {
        match self.frozen {
            true => format!("Froze {} filesystem(s)\n\n", self.count),
            false => format!("Thawed {} filesystem(s)\n\n", self.count),
        }
    }
}

fn c_strings(words: &[String]) -> Result<Vec<CString>> {
    let c =
        |w: &String| CString::new(w.as_str()).map_err(|_| Error::invalid("a mount point with a NUL byte"));
    words.iter().map(c).collect()
}

/// Freezes (`freeze`) or thaws the mount points (all when empty); how many it did.
fn freeze_or_thaw(dom: &Domain, mounts: &[CString], freeze: bool) -> Result<u32> {
    let mut ptrs: Vec<*const libc::c_char> = mounts.iter().map(|m| m.as_ptr()).collect();
    let list = if ptrs.is_empty() {
        std::ptr::null_mut()
    } else {
        ptrs.as_mut_ptr()
    };
    // SAFETY: a held domain and `ptrs.len()` NUL-terminated strings (or null and 0).
    let rc = unsafe {
        match freeze {
            true => sys::virDomainFSFreeze(dom.as_ptr(), list, ptrs.len() as u32, 0),
            false => sys::virDomainFSThaw(dom.as_ptr(), list, ptrs.len() as u32, 0),
        }
    };
    match rc {
        rc if rc < 0 => Err(agent_error(
            virt::error::Error::last_error(),
            if freeze {
                "freeze filesystems"
            } else {
                "thaw filesystems"
            },
        )),
        rc => Ok(rc as u32),
    }
}

fn ready(ctx: &mut Session, domain: &str) -> Result<(Domain, String)> {
    let dom = lookup(ctx.conn()?, domain)?;
    let name = domain_name(&dom)?;
    agent_ready(&dom, &name)?;
    Ok((dom, name))
}

impl Verb for Domfsfreeze {
    type Ctx = Session;
    type Output = FsFrozen;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<FsFrozen> {
        let mounts = c_strings(&self.mountpoint)?;
        let (dom, name) = ready(ctx, &self.domain)?;
        let count = freeze_or_thaw(&dom, &mounts, true)?;
        journal.record_fn("freeze the guest's file systems", move || {
            freeze_or_thaw(&dom, &mounts, false).map(drop)
        })?;
        Ok(FsFrozen {
            name,
            changed: count > 0,
            frozen: true,
            count,
        })
    }
}

impl Verb for Domfsthaw {
    type Ctx = Session;
    type Output = FsFrozen;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<FsFrozen> {
        let mounts = c_strings(&self.mountpoint)?;
        let (dom, name) = ready(ctx, &self.domain)?;
        let count = freeze_or_thaw(&dom, &mounts, false)?;
        journal.irreversible("thaw the guest's file systems")?;
        Ok(FsFrozen {
            name,
            changed: count > 0,
            frozen: false,
            count,
        })
    }
}

/// Discard the unused blocks of the guest's file systems, or of one (virsh domfstrim).
#[derive(Debug, clap::Args)]
pub struct Domfstrim {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Only free ranges of at least this many bytes.
    #[arg(long)]
    pub minimum: Option<u64>,
    /// The one mount point to trim.
    #[arg(long)]
    pub mountpoint: Option<String>,
}

/// The domain after domfstrim.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FsTrimmed {
    pub name: String,
    pub changed: bool,
    /// The mount point trimmed; null for all.
    pub mountpoint: Option<String>,
}

impl Render for FsTrimmed {}

impl Verb for Domfstrim {
    type Ctx = Session;
    type Output = FsTrimmed;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<FsTrimmed> {
        let mount = c_strings(self.mountpoint.as_slice())?;
        let (dom, name) = ready(ctx, &self.domain)?;
        let ptr = mount.first().map_or(std::ptr::null(), |m| m.as_ptr());
        // SAFETY: a held domain and a NUL-terminated mount point or null.
        if unsafe { sys::virDomainFSTrim(dom.as_ptr(), ptr, self.minimum.unwrap_or(0), 0) } < 0 {
            return Err(agent_error(virt::error::Error::last_error(), "invoke fstrim"));
        }
        journal.irreversible("trim the guest's file systems")?;
        Ok(FsTrimmed {
            name,
            changed: true,
            mountpoint: self.mountpoint,
        })
    }
}
