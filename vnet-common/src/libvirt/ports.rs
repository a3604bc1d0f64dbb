//! libvirt's network ports (virsh net-port-*): the `virt` crate 0.4 does not wrap them, so this
//! module does, over the same C calls virsh makes (virNetworkListAllPorts, ...CreateXML,
//! ...LookupByUUIDString, ...GetXMLDesc, ...Delete), and models the `<networkport>` document.
//! Every pointer libvirt hands out is owned by one [`NetworkPort`] and freed when it drops.

use super::document;
use crate::{Error, Result};
use serde::Deserialize;
use std::ffi::{CStr, CString};
use virt::error::Error as VirtError;
use virt::network::Network;
use virt::sys;

/// One libvirt network port.
#[derive(Debug)]
pub struct NetworkPort {
    ptr: sys::virNetworkPortPtr,
}

// SAFETY: libvirt's objects are reference counted and thread safe; the pointer is only passed
// back to libvirt (an undo step may run on another thread, as the virt crate's objects do).
unsafe impl Send for NetworkPort {}

impl Drop for NetworkPort {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from libvirt, is non-null and owned by this value alone.
        unsafe { sys::virNetworkPortFree(self.ptr) };
    }
}

/// `text` as a C string; a NUL byte inside is invalid input (exit 7).
fn c_string(text: &str, what: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::invalid(format!("{what} holds a NUL byte")))
}

/// A libvirt string the caller must free, copied; None for a null pointer.
fn owned_string(ptr: *mut libc::c_char) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: libvirt returned a NUL-terminated string it allocated; we copy it, then free it.
    let text = unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned();
    unsafe { libc::free(ptr as *mut libc::c_void) };
    Some(text)
}

impl NetworkPort {
    fn from_ptr(ptr: sys::virNetworkPortPtr) -> std::result::Result<NetworkPort, VirtError> {
        match ptr.is_null() {
            true => Err(VirtError::last_error()),
            false => Ok(NetworkPort { ptr }),
        }
    }

    /// Every port of the (active) network.
    pub fn list_all(net: &Network) -> std::result::Result<Vec<NetworkPort>, VirtError> {
        let mut ports: *mut sys::virNetworkPortPtr = std::ptr::null_mut();
        // SAFETY: libvirt fills `ports` with an allocated array of `n` owned port pointers.
        let n = unsafe { sys::virNetworkListAllPorts(net.as_ptr(), &mut ports, 0) };
        if n < 0 {
            return Err(VirtError::last_error());
        }
        let list = (0..n as usize)
            // SAFETY: index below the count libvirt returned; each pointer is non-null.
            .map(|i| NetworkPort {
                ptr: unsafe { *ports.add(i) },
            })
            .collect();
        // SAFETY: the array itself is ours to free; its entries now belong to `list`.
        unsafe { libc::free(ports as *mut libc::c_void) };
        Ok(list)
    }

    /// Creates a port on the network from `xml` (flags: VIR_NETWORK_PORT_CREATE_*).
    pub fn create_xml(
        net: &Network,
        xml: &str,
        flags: u32,
    ) -> Result<std::result::Result<NetworkPort, VirtError>> {
        let xml = c_string(xml, "the port XML")?;
        // SAFETY: valid network pointer and C string; the result is checked for null.
        let ptr = unsafe { sys::virNetworkPortCreateXML(net.as_ptr(), xml.as_ptr(), flags) };
        Ok(NetworkPort::from_ptr(ptr))
    }

    /// The port of the network with this UUID.
    pub fn lookup_by_uuid_string(
        net: &Network,
        uuid: &str,
    ) -> Result<std::result::Result<NetworkPort, VirtError>> {
        let uuid = c_string(uuid, "the port UUID")?;
        // SAFETY: valid network pointer and C string; the result is checked for null.
        let ptr = unsafe { sys::virNetworkPortLookupByUUIDString(net.as_ptr(), uuid.as_ptr()) };
        Ok(NetworkPort::from_ptr(ptr))
    }

    pub fn get_uuid_string(&self) -> std::result::Result<String, VirtError> {
        let mut buf = [0 as libc::c_char; sys::VIR_UUID_STRING_BUFLEN as usize];
        // SAFETY: the buffer has the length libvirt writes into (VIR_UUID_STRING_BUFLEN).
        if unsafe { sys::virNetworkPortGetUUIDString(self.ptr, buf.as_mut_ptr()) } < 0 {
            return Err(VirtError::last_error());
        }
        // SAFETY: libvirt wrote a NUL-terminated string into the buffer.
        Ok(unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned())
    }

    pub fn get_xml_desc(&self) -> std::result::Result<String, VirtError> {
        // SAFETY: valid port pointer; the returned string is copied and freed.
        owned_string(unsafe { sys::virNetworkPortGetXMLDesc(self.ptr, 0) }).ok_or_else(VirtError::last_error)
    }

    pub fn delete(&self) -> std::result::Result<(), VirtError> {
        // SAFETY: valid port pointer.
        match unsafe { sys::virNetworkPortDelete(self.ptr, 0) } {
            0 => Ok(()),
            _ => Err(VirtError::last_error()),
        }
    }
}

/// A `<networkport>` document: what vnet reads of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PortDef {
    pub uuid: Option<String>,
    pub owner: Option<PortOwner>,
    pub mac: Option<PortMac>,
    pub plug: Option<PortPlug>,
}

/// The domain a port is for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PortOwner {
    pub name: Option<String>,
    pub uuid: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PortMac {
    #[serde(rename = "@address")]
    pub address: Option<String>,
}

/// How the port is plugged into the host (a bridge's name for bridge-type networks).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PortPlug {
    #[serde(rename = "@type")]
    pub kind: Option<String>,
    #[serde(rename = "@bridge")]
    pub bridge: Option<String>,
    #[serde(rename = "@dev")]
    pub dev: Option<String>,
}

impl PortDef {
    /// Reads a port document (exit 7 for malformed XML or another root element).
    pub fn from_xml(xml: &str) -> Result<PortDef> {
        document::read(xml, "networkport")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_port_as_libvirt_writes_it() {
        let port = PortDef::from_xml(
            "<networkport>\n  <uuid>aaaaaaaa-2222-3333-4444-555555555555</uuid>\n  <owner>\n    \
             <name>g1</name>\n    <uuid>11111111-2222-3333-4444-555555555555</uuid>\n  </owner>\n  \
             <mac address='52:54:00:11:22:33'/>\n  <plug type='network' bridge='vnbr7'/>\n</networkport>\n",
        )
        .unwrap();
        assert_eq!(port.uuid.as_deref(), Some("aaaaaaaa-2222-3333-4444-555555555555"));
        assert_eq!(port.owner.unwrap().name.as_deref(), Some("g1"));
        assert_eq!(port.mac.unwrap().address.as_deref(), Some("52:54:00:11:22:33"));
        assert_eq!(port.plug.unwrap().bridge.as_deref(), Some("vnbr7"));
    }

    #[test]
    fn another_root_or_malformed_is_exit_7() {
        assert_eq!(PortDef::from_xml("<network/>").unwrap_err().exit_code(), 7);
        assert_eq!(PortDef::from_xml("<networkport>").unwrap_err().exit_code(), 7);
    }
}
