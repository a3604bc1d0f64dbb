//! `dhcp-leases`: virNetworkGetDHCPLeases, which the virt crate 0.4 does not wrap, called through
//! its re-exported virt-sys bindings.

use crate::cli::LeasesArgs;
use crate::nets::require;
use crate::table;
use serde_json::{json, Value};
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use virt::connect::Connect;
use virt::network::Network;
use virt::sys;
use vnet_common::{Error, Outcome, Result};

/// One lease as libvirt reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub iface: Option<String>,
    pub expiry: i64,
    pub ipv6: bool,
    pub mac: Option<String>,
    pub ip: String,
    pub prefix: u32,
    pub hostname: Option<String>,
    pub client_id: Option<String>,
}

impl Lease {
    pub fn json(&self) -> Value {
        json!({
            "mac": self.mac,
            "ip": format!("{}/{}", self.ip, self.prefix),
            "hostname": self.hostname,
            "expiry": self.expiry,
            "client_id": self.client_id,
            "protocol": if self.ipv6 { "ipv6" } else { "ipv4" },
            "iface": self.iface,
        })
    }
}

/// A MAC address as libvirt and dnsmasq write it: six hex pairs separated by ':'.
pub fn validate_mac(mac: &str) -> Result<()> {
    let parts: Vec<&str> = mac.split(':').collect();
    let ok = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "invalid MAC address {mac:?}: expected six hex pairs like 52:54:00:12:34:56"
        )))
    }
}

pub fn dhcp_leases(conn: &Connect, args: &LeasesArgs) -> Result<Outcome> {
    if let Some(mac) = &args.mac {
        validate_mac(mac)?;
    }
    let net = require(conn, &args.name)?;
    let mut leases =
        get(&net, args.mac.as_deref()).map_err(|e| e.context(format!("leases of network {}", args.name)))?;
    // virsh sorts leases by MAC address, case-insensitively.
    leases.sort_by_key(|l| l.mac.as_deref().map(str::to_lowercase));
    let rows: Vec<Vec<String>> = leases
        .iter()
        .map(|l| {
            vec![
                local_time(l.expiry),
                l.mac.clone().unwrap_or_else(|| "-".into()),
                if l.ipv6 { "ipv6" } else { "ipv4" }.into(),
                format!("{}/{}", l.ip, l.prefix),
                l.hostname.clone().unwrap_or_else(|| "-".into()),
                l.client_id.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let headers = [
        "Expiry Time",
        "MAC address",
        "Protocol",
        "IP address",
        "Hostname",
        "Client ID or DUID",
    ];
    Ok(Outcome::new(
        leases.iter().map(Lease::json).collect(),
        table::render(&headers, &rows),
    ))
}

/// The leases of `net` (only `mac`'s when given).
pub fn get(net: &Network, mac: Option<&str>) -> Result<Vec<Lease>> {
    let mac = mac
        .map(|m| CString::new(m).map_err(|_| Error::invalid("MAC address contains a NUL byte")))
        .transpose()?;
    let mut array: *mut sys::virNetworkDHCPLeasePtr = std::ptr::null_mut();
    let mac_ptr = mac.as_ref().map_or(std::ptr::null(), |m| m.as_ptr());
    // SAFETY: `net` is a live network; libvirt allocates `array` and its leases, which are freed
    // below exactly once each.
    let count = unsafe { sys::virNetworkGetDHCPLeases(net.as_ptr(), mac_ptr, &mut array, 0) };
    if count < 0 {
        return Err(vnet_common::libvirt::error(virt::error::Error::last_error()));
    }
    let mut leases = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        // SAFETY: libvirt returned `count` valid lease pointers.
        unsafe {
            let lease = *array.add(i);
            leases.push(read(&*lease));
            sys::virNetworkDHCPLeaseFree(lease);
        }
    }
    if !array.is_null() {
        // SAFETY: the array itself was malloc'ed by libvirt.
        unsafe { libc::free(array as *mut libc::c_void) };
    }
    Ok(leases)
}

fn read(lease: &sys::_virNetworkDHCPLease) -> Lease {
    Lease {
        iface: string(lease.iface),
        expiry: lease.expirytime,
        ipv6: lease.type_ == sys::VIR_IP_ADDR_TYPE_IPV6 as i32,
        mac: string(lease.mac),
        ip: string(lease.ipaddr).unwrap_or_default(),
        prefix: lease.prefix,
        hostname: string(lease.hostname),
        client_id: string(lease.clientid),
    }
}

fn string(ptr: *const c_char) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: libvirt's lease strings are NUL-terminated and live until the lease is freed.
    Some(unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned())
}

/// "2026-11-23 12:00:00" in local time, as virsh prints lease expiry.
fn local_time(epoch: i64) -> String {
    let t = epoch as libc::time_t;
    // SAFETY: localtime_r and strftime write only into the buffers given.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return epoch.to_string();
        }
        let mut buf = [0u8; 64];
        let n = libc::strftime(
            buf.as_mut_ptr() as *mut c_char,
            buf.len(),
            c"%Y-%m-%d %H:%M:%S".as_ptr(),
            &tm,
        );
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_json_shape() {
        let lease = Lease {
            iface: Some("virbr0".into()),
            expiry: 1_700_000_000,
            ipv6: false,
            mac: Some("52:54:00:00:00:01".into()),
            ip: "192.168.122.50".into(),
            prefix: 24,
            hostname: None,
            client_id: Some("01:52:54:00:00:00:01".into()),
        };
        assert_eq!(
            lease.json(),
            json!({"mac": "52:54:00:00:00:01", "ip": "192.168.122.50/24", "hostname": null,
                   "expiry": 1_700_000_000, "client_id": "01:52:54:00:00:00:01", "protocol": "ipv4",
                   "iface": "virbr0"})
        );
        assert_eq!(local_time(0).len(), "1970-01-01 00:00:00".len());
        validate_mac("52:54:00:aB:cd:ef").unwrap();
        for bad in [
            "",
            "52:54:00:ab:cd",
            "52:54:00:ab:cd:eg",
            "52-54-00-ab-cd-ef",
            "52:54:00:ab:cd:ef:00",
        ] {
            assert_eq!(validate_mac(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
    }
}
