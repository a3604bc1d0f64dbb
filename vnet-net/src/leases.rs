//! `dhcp-leases`: virNetworkGetDHCPLeases, which the virt crate 0.4 does not wrap, called through
//! its re-exported virt-sys bindings.

use crate::network::require;
use crate::spec;
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use virt::network::Network;
use virt::sys;
use vnet_common::libvirt::Session;
use vnet_common::verb::{Render, TextStyle};
use vnet_common::{Error, Journal, Result, Verb};

/// List the DHCP leases libvirt's dnsmasq handed out on a network.
///
/// -o text prints virsh net-dhcp-leases's table.
#[derive(Debug, clap::Args)]
pub struct DhcpLeases {
    /// Network name.
    pub name: String,
    /// Only the lease of this MAC address.
    #[arg(long)]
    pub mac: Option<String>,
}

impl Verb for DhcpLeases {
    type Ctx = Session;
    type Output = Leases;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Leases> {
        spec::validate_name(&self.name)?;
        // In the kernel's and libvirt's spelling, so any spelling ip accepts finds the lease.
        let mac = self.mac.as_deref().map(vnet_common::mac::parse_mac).transpose()?;
        let mac = mac.map(|bytes| vnet_common::mac::format_mac(&bytes));
        let net = require(ctx.conn()?, &self.name)?;
        let mut leases =
            get(&net, mac.as_deref()).map_err(|e| e.context(format!("leases of network {}", self.name)))?;
        // virsh sorts leases by MAC address, case-insensitively.
        leases.sort_by_key(|l| l.mac.as_deref().map(str::to_lowercase));
        Ok(Leases(leases))
    }
}

/// One lease as libvirt reports it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Lease {
    /// The client's MAC address.
    pub mac: Option<String>,
    /// The address leased, as "address/prefix".
    pub ip: String,
    /// The hostname the client sent; null when none.
    pub hostname: Option<String>,
    /// When the lease expires, in seconds since the epoch.
    pub expiry: i64,
    /// The client id (DHCPv4) or DUID (DHCPv6); null when none.
    pub client_id: Option<String>,
    /// ipv4 or ipv6.
    pub protocol: Protocol,
    /// The network's bridge the lease was handed out on.
    pub iface: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Ipv4,
    Ipv6,
}

impl Protocol {
    fn as_str(self) -> &'static str {
        match self {
            Protocol::Ipv4 => "ipv4",
            Protocol::Ipv6 => "ipv6",
        }
    }
}

/// A network's leases, sorted by MAC address.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Leases(pub Vec<Lease>);

impl Render for Leases {
    fn text(&self, style: TextStyle) -> String {
        let or_dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|l| {
                vec![
                    local_time(l.expiry),
                    or_dash(&l.mac),
                    l.protocol.as_str().to_string(),
                    l.ip.clone(),
                    or_dash(&l.hostname),
                    or_dash(&l.client_id),
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
        vnet_common::table::render(&headers, &rows, style)
    }
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
    let ipv6 = lease.type_ == sys::VIR_IP_ADDR_TYPE_IPV6 as i32;
    Lease {
        mac: string(lease.mac),
        ip: format!("{}/{}", string(lease.ipaddr).unwrap_or_default(), lease.prefix),
        hostname: string(lease.hostname),
        expiry: lease.expirytime,
        client_id: string(lease.clientid),
        protocol: if ipv6 { Protocol::Ipv6 } else { Protocol::Ipv4 },
        iface: string(lease.iface),
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
    use serde_json::json;

    #[test]
    fn lease_json_shape() {
        let lease = Lease {
            iface: Some("virbr0".into()),
            expiry: 1_700_000_000,
            protocol: Protocol::Ipv4,
            mac: Some("52:54:00:00:00:01".into()),
            ip: "192.168.122.50/24".into(),
            hostname: None,
            client_id: Some("01:52:54:00:00:00:01".into()),
        };
        assert_eq!(
            serde_json::to_value(&lease).unwrap(),
            json!({"mac": "52:54:00:00:00:01", "ip": "192.168.122.50/24", "hostname": null,
                   "expiry": 1_700_000_000, "client_id": "01:52:54:00:00:00:01", "protocol": "ipv4",
                   "iface": "virbr0"})
        );
        assert_eq!(local_time(0).len(), "1970-01-01 00:00:00".len());
        let text = Leases(vec![lease]).text(TextStyle { headers: false });
        assert!(
            text.ends_with(" 52:54:00:00:00:01   ipv4   192.168.122.50/24   -   01:52:54:00:00:00:01\n"),
            "{text}"
        );
    }

    #[test]
    fn a_bad_mac_is_refused_before_connecting() {
        let mut down = Session::new(
            &vnet_common::libvirt::ConnectArgs {
                connect: Some("qemu+unix:///system?socket=/nonexistent/sock".into()),
                ..Default::default()
            },
            false,
        );
        for bad in [
            "",
            "52:54:00:ab:cd",
            "52:54:00:ab:cd:eg",
            "52-54-00-ab-cd-ef",
            "52:54:00:ab:cd:ef:00",
        ] {
            let verb = DhcpLeases {
                name: "default".into(),
                mac: Some(bad.into()),
            };
            let e = verb.run(&mut down, &mut Journal::new()).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{bad}: {e:?}");
        }
    }
}
