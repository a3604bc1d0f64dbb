//! virsh's checkpoint-* verbs and backup-begin/backup-dumpxml: libvirt's domain checkpoints (a dirty bitmap per qcow2 disk of a
//! running domain, the base of an incremental backup). The virt crate has no checkpoint type, so
//! [`Checkpoint`] is a small owner of libvirt's handle over virt::sys; the verbs sit beside it.

pub mod backup;
pub mod create;
pub mod show;

use std::ffi::{CStr, CString};
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::{Error, Result};

/// A libvirt domain checkpoint handle, freed on drop.
pub struct Checkpoint(sys::virDomainCheckpointPtr);

impl Drop for Checkpoint {
    fn drop(&mut self) {
        // SAFETY: the pointer came from libvirt and is freed once, here.
        unsafe { sys::virDomainCheckpointFree(self.0) };
    }
}

/// libvirt's last error, as vnet's error (what `what` was doing in front).
fn last_error(what: &str) -> Error {
    vnet_common::libvirt::error(virt::error::Error::last_error()).context(what.to_string())
}

fn c_string(what: &str, text: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::invalid(format!("{what} {}: contains a NUL byte", quote(text))))
}

/// Handles from a libvirt list call: `n` pointers in a libvirt-allocated array (freed here).
///
/// SAFETY: `list` must hold `n` valid checkpoint pointers allocated by libvirt.
unsafe fn owned(list: *mut sys::virDomainCheckpointPtr, n: i32) -> Vec<Checkpoint> {
    let out = (0..n.max(0) as usize).map(|i| Checkpoint(*list.add(i))).collect();
    libc::free(list.cast());
    out
}

impl Checkpoint {
    /// The domain's checkpoint NAME: exit 3 when it has none of that name.
    pub fn lookup(dom: &Domain, domain: &str, name: &str) -> Result<Checkpoint> {
        let c_name = c_string("checkpoint", name)?;
        // SAFETY: a valid domain and a NUL-terminated name.
        let ptr = unsafe { sys::virDomainCheckpointLookupByName(dom.as_ptr(), c_name.as_ptr(), 0) };
        if ptr.is_null() {
            let e = virt::error::Error::last_error();
            if e.code() == virt::error::ErrorNumber::NoDomainCheckpoint {
                return Err(Error::not_found(format!(
                    "domain {}: no checkpoint {}",
                    quote(domain),
                    quote(name)
                ))
                .with_hint(format!("list them with vnet-vm checkpoint-list {domain}")));
            }
            return Err(vnet_common::libvirt::error(e).context(format!("checkpoint {}", quote(name))));
        }
        Ok(Checkpoint(ptr))
    }

    /// A checkpoint made from a `<domaincheckpoint>` document.
    pub fn create(dom: &Domain, xml: &str, flags: u32) -> Result<Checkpoint> {
        let c_xml = c_string("checkpoint XML", xml)?;
        // SAFETY: a valid domain and a NUL-terminated document.
        let ptr = unsafe { sys::virDomainCheckpointCreateXML(dom.as_ptr(), c_xml.as_ptr(), flags) };
        if ptr.is_null() {
            return Err(last_error("create the checkpoint"));
        }
        Ok(Checkpoint(ptr))
    }

    /// The domain's checkpoints (libvirt's list flags: roots, leaves, topological...).
    pub fn list(dom: &Domain, flags: u32) -> Result<Vec<Checkpoint>> {
        let mut list: *mut sys::virDomainCheckpointPtr = std::ptr::null_mut();
        // SAFETY: libvirt fills `list` with an array it allocated.
        let n = unsafe { sys::virDomainListAllCheckpoints(dom.as_ptr(), &mut list, flags) };
        if n < 0 {
            return Err(last_error("list the checkpoints"));
        }
        // SAFETY: n pointers were returned.
        Ok(unsafe { owned(list, n) })
    }

    /// Its children (with libvirt's DESCENDANTS flag: all below it).
    pub fn children(&self, flags: u32) -> Result<Vec<Checkpoint>> {
        let mut list: *mut sys::virDomainCheckpointPtr = std::ptr::null_mut();
        // SAFETY: a valid checkpoint; libvirt fills `list`.
        let n = unsafe { sys::virDomainCheckpointListAllChildren(self.0, &mut list, flags) };
        if n < 0 {
            return Err(last_error("list the checkpoint's children"));
        }
        // SAFETY: n pointers were returned.
        Ok(unsafe { owned(list, n) })
    }

    pub fn name(&self) -> String {
        // SAFETY: libvirt returns a string owned by the checkpoint, valid while it lives.
        let name = unsafe { sys::virDomainCheckpointGetName(self.0) };
        if name.is_null() {
            return String::new();
        }
        // SAFETY: a NUL-terminated string from libvirt.
        unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned()
    }

    /// Its `<domaincheckpoint>` document (libvirt's XML flags).
    pub fn xml(&self, flags: u32) -> Result<String> {
        // SAFETY: a valid checkpoint; the string returned is ours to free.
        let text = unsafe { sys::virDomainCheckpointGetXMLDesc(self.0, flags) };
        if text.is_null() {
            return Err(last_error("checkpoint XML"));
        }
        // SAFETY: NUL-terminated, allocated by libvirt, freed once here.
        let out = unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned();
        unsafe { libc::free(text.cast()) };
        Ok(out)
    }

    /// Its parent, None for a root.
    pub fn parent(&self) -> Result<Option<Checkpoint>> {
        // SAFETY: a valid checkpoint.
        let ptr = unsafe { sys::virDomainCheckpointGetParent(self.0, 0) };
        if !ptr.is_null() {
            return Ok(Some(Checkpoint(ptr)));
        }
        let e = virt::error::Error::last_error();
        match e.code() {
            virt::error::ErrorNumber::NoDomainCheckpoint => Ok(None),
            _ => Err(vnet_common::libvirt::error(e).context("the checkpoint's parent")),
        }
    }

    /// Deletes it (libvirt's delete flags: children, children only, metadata only).
    pub fn delete(&self, flags: u32) -> Result<()> {
        // SAFETY: a valid checkpoint.
        if unsafe { sys::virDomainCheckpointDelete(self.0, flags) } < 0 {
            return Err(last_error("delete the checkpoint"));
        }
        Ok(())
    }
}
