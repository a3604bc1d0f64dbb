//! domfsinfo (virsh's spelling and layout): the guest's mounted file systems, through the guest
//! agent.

use super::{agent_error, agent_ready};
use crate::devices::devxml::lookup;
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CStr;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::Session;
use vnet_common::{table, Journal, Render, Result, TextStyle, Verb};

/// Show the guest's mounted file systems (virsh domfsinfo).
///
/// A domain without a connected agent is exit 6.
#[derive(Debug, clap::Args)]
pub struct Domfsinfo {
    /// The domain (name, ID or UUID).
    pub domain: String,
}

/// One mounted file system of the guest.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GuestFs {
    /// Where it is mounted in the guest.
    pub mountpoint: String,
    /// The guest's device name (sda1).
    pub name: String,
    /// Its type (ext4, xfs).
    pub fstype: String,
    /// The domain's disks it lives on, by target (vda).
    pub targets: Vec<String>,
}

/// domfsinfo's result.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct FsList(pub Vec<GuestFs>);

impl Render for FsList {
    fn text(&self, style: TextStyle) -> String {
        let rows: Vec<Vec<String>> = (self.0.iter())
            .map(|f| {
                vec![
                    f.mountpoint.clone(),
                    f.name.clone(),
                    f.fstype.clone(),
                    f.targets.join(","),
                ]
            })
            .collect();
        table::render(&["Mountpoint", "Name", "Type", "Target"], &rows, style)
    }
}

/// # Safety
/// `p` is null or a C string.
unsafe fn text(p: *const libc::c_char) -> String {
    match p.is_null() {
        true => String::new(),
        false => CStr::from_ptr(p).to_string_lossy().into_owned(),
    }
}

impl Verb for Domfsinfo {
    type Ctx = Session;
    type Output = FsList;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<FsList> {
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        agent_ready(&dom, &self.domain)?;
        let mut infos: *mut sys::virDomainFSInfoPtr = std::ptr::null_mut();
        // SAFETY: libvirt allocates the array and each entry; both are freed below.
        let n = unsafe { sys::virDomainGetFSInfo(dom.as_ptr(), &mut infos, 0) };
        if n < 0 {
            let what = format!("file systems of domain {}", quote(&self.domain));
            return Err(agent_error(virt::error::Error::last_error(), &what));
        }
        let mut out = Vec::new();
        for i in 0..n as usize {
            // SAFETY: n entries, each a valid virDomainFSInfo until freed.
            unsafe {
                let info = *infos.add(i);
                let fs = &*info;
                let targets = (0..fs.ndevAlias).map(|j| text(*fs.devAlias.add(j))).collect();
                out.push(GuestFs {
                    mountpoint: text(fs.mountpoint),
                    name: text(fs.name),
                    fstype: text(fs.fstype),
                    targets,
                });
                sys::virDomainFSInfoFree(info);
            }
        }
        if !infos.is_null() {
            unsafe { libc::free(infos as *mut libc::c_void) };
        }
        Ok(FsList(out))
    }
}
