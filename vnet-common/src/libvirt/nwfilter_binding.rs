//! libvirt's network filter bindings (virsh nwfilter-binding-*): the `virt` crate 0.4 does not
//! wrap them, so this module does, over the C calls virsh makes. Every pointer libvirt hands out
//! is owned by one [`FilterBinding`] and freed when it drops.

use crate::{Error, Result};
use std::ffi::{CStr, CString};
use virt::connect::Connect;
use virt::error::Error as VirtError;
use virt::sys;

/// One binding of a filter to a port device.
#[derive(Debug)]
pub struct FilterBinding {
    ptr: sys::virNWFilterBindingPtr,
}

// SAFETY: libvirt's objects are reference counted and thread safe; the pointer is only passed
// back to libvirt (an undo step may run on another thread).
unsafe impl Send for FilterBinding {}

impl Drop for FilterBinding {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from libvirt, is non-null and owned by this value alone.
        unsafe { sys::virNWFilterBindingFree(self.ptr) };
    }
}

type Found = std::result::Result<FilterBinding, VirtError>;

fn c_string(text: &str, what: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::invalid(format!("{what} holds a NUL byte")))
}

impl FilterBinding {
    fn from_ptr(ptr: sys::virNWFilterBindingPtr) -> Found {
        match ptr.is_null() {
            true => Err(VirtError::last_error()),
            false => Ok(FilterBinding { ptr }),
        }
    }

    /// Every binding on the connection.
    pub fn list_all(conn: &Connect) -> std::result::Result<Vec<FilterBinding>, VirtError> {
        let mut list: *mut sys::virNWFilterBindingPtr = std::ptr::null_mut();
        // SAFETY: libvirt fills `list` with an allocated array of `n` owned binding pointers.
        let n = unsafe { sys::virConnectListAllNWFilterBindings(conn.as_ptr(), &mut list, 0) };
        if n < 0 {
            return Err(VirtError::last_error());
        }
        let bindings = (0..n as usize)
            // SAFETY: index below the count libvirt returned; each pointer is non-null.
            .map(|i| FilterBinding {
                ptr: unsafe { *list.add(i) },
            })
            .collect();
        // SAFETY: the array itself is ours to free; its entries now belong to `bindings`.
        unsafe { libc::free(list as *mut libc::c_void) };
        Ok(bindings)
    }

    /// Creates a binding from `xml` (flags: VIR_NWFILTER_BINDING_CREATE_*).
    pub fn create_xml(conn: &Connect, xml: &str, flags: u32) -> Result<Found> {
        let xml = c_string(xml, "the binding XML")?;
        // SAFETY: valid connection and C string; the result is checked for null.
        let ptr = unsafe { sys::virNWFilterBindingCreateXML(conn.as_ptr(), xml.as_ptr(), flags) };
        Ok(FilterBinding::from_ptr(ptr))
    }

    /// The binding on this port device.
    pub fn lookup_by_port_dev(conn: &Connect, portdev: &str) -> Result<Found> {
        let dev = c_string(portdev, "the port device")?;
        // SAFETY: valid connection and C string; the result is checked for null.
        let ptr = unsafe { sys::virNWFilterBindingLookupByPortDev(conn.as_ptr(), dev.as_ptr()) };
        Ok(FilterBinding::from_ptr(ptr))
    }

    /// A string libvirt keeps inside the object (not to be freed), copied.
    fn borrowed(ptr: *const libc::c_char) -> std::result::Result<String, VirtError> {
        if ptr.is_null() {
            return Err(VirtError::last_error());
        }
        // SAFETY: a NUL-terminated string owned by the binding, alive while it is.
        Ok(unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned())
    }

    pub fn port_dev(&self) -> std::result::Result<String, VirtError> {
        // SAFETY: valid binding pointer.
        FilterBinding::borrowed(unsafe { sys::virNWFilterBindingGetPortDev(self.ptr) })
    }

    pub fn filter_name(&self) -> std::result::Result<String, VirtError> {
        // SAFETY: valid binding pointer.
        FilterBinding::borrowed(unsafe { sys::virNWFilterBindingGetFilterName(self.ptr) })
    }

    pub fn get_xml_desc(&self) -> std::result::Result<String, VirtError> {
        // SAFETY: valid binding pointer; the returned string is ours: copied, then freed.
        let ptr = unsafe { sys::virNWFilterBindingGetXMLDesc(self.ptr, 0) };
        let text = FilterBinding::borrowed(ptr)?;
        unsafe { libc::free(ptr as *mut libc::c_void) };
        Ok(text)
    }

    pub fn delete(&self) -> std::result::Result<(), VirtError> {
        // SAFETY: valid binding pointer.
        match unsafe { sys::virNWFilterBindingDelete(self.ptr) } {
            0 => Ok(()),
            _ => Err(VirtError::last_error()),
        }
    }
}
