//! A running domain's addresses from libvirt's three sources, as `virsh domifaddr --source`
//! reads them: the DHCP leases of libvirt's networks, the host's ARP/neighbour table (what finds
//! a bridged guest that took no lease from libvirt), and the qemu guest agent. `any` asks the
//! lease and ARP sources and, when the guest has one, the agent; each row names its source.

use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::error::ErrorNumber;
use virt::sys;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, ErrorKind, Result};

/// One address of `domifaddr`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Lease {
    /// The host side (tap) device.
    pub interface: String,
    pub mac: String,
    /// ipv4 or ipv6.
    pub protocol: String,
    /// address/prefix.
    pub address: String,
    /// Where the address came from: "lease", "arp" or "agent".
    pub source: String,
}

/// Where addresses are read from (domifaddr --source, wait --ip --source).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    /// The DHCP leases of libvirt's networks (virsh's default).
    Lease,
    /// The host's ARP/neighbour table, by the guest's MAC (bridged guests without a libvirt lease).
    Arp,
    /// The qemu guest agent inside the guest.
    Agent,
    /// lease, then arp, then agent when the guest has one; duplicates left out.
    Any,
}

impl Source {
    fn word(self) -> &'static str {
        match self {
            Source::Lease => "lease",
            Source::Arp => "arp",
            Source::Agent => "agent",
            Source::Any => "any",
        }
    }
}

/// The domain's addresses from `source`. The agent source without an agent in the guest is
/// exit 6 ("no guest agent").
pub fn addresses(dom: &Domain, source: Source) -> Result<Vec<Lease>> {
    match source {
        Source::Any => {
            let mut rows = read(dom, Source::Lease)?;
            // The other sources add what they can: a table that cannot be read adds nothing.
            let more = read(dom, Source::Arp)
                .unwrap_or_default()
                .into_iter()
                .chain(read(dom, Source::Agent).unwrap_or_default());
            for row in more {
                let ip = |l: &Lease| l.address.split('/').next().unwrap_or_default().to_string();
                if !rows.iter().any(|r| ip(r) == ip(&row)) {
                    rows.push(row);
                }
            }
            Ok(rows)
        }
        one => read(dom, one),
    }
}

/// The first IPv4 address from `source`, if any.
pub fn first_ipv4(dom: &Domain, source: Source) -> Result<Option<Lease>> {
    Ok(addresses(dom, source)?.into_iter().find(|l| l.protocol == "ipv4"))
}

fn read(dom: &Domain, source: Source) -> Result<Vec<Lease>> {
    if source == Source::Arp && daemon_is_local(dom) {
        return arp_table(dom, &std::fs::read_to_string("/proc/net/arp").unwrap_or_default());
    }
    let flag = match source {
        Source::Lease => sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
        Source::Arp => sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
        Source::Agent | Source::Any => sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
    };
    let ifaces = match dom.interface_addresses(flag, 0) {
        Ok(ifaces) => ifaces,
        Err(e) if source == Source::Agent => return Err(no_agent(dom, &e)),
        Err(e) => {
            return Err::<Vec<Lease>, _>(e).libvirt(format!("read addresses ({})", source.word()));
        }
    };
    let mut out = Vec::new();
    for iface in ifaces {
        for addr in &iface.addrs {
            let ipv6 = addr.typed == sys::VIR_IP_ADDR_TYPE_IPV6 as i64;
            out.push(Lease {
                interface: iface.name.clone(),
                mac: iface.hwaddr.clone(),
                protocol: if ipv6 { "ipv6" } else { "ipv4" }.to_string(),
                address: format!("{}/{}", addr.addr, addr.prefix),
                source: source.word().to_string(),
            });
        }
    }
    Ok(out)
}

/// True when the domain's daemon runs on this machine (its ARP table is ours).
fn daemon_is_local(dom: &Domain) -> bool {
    dom.get_connect()
        .and_then(|c| c.get_uri())
        .is_ok_and(|uri| vnet_common::libvirt::is_local_uri(&uri))
}

/// The ARP source for a local daemon: this host's neighbour table (/proc/net/arp, complete IPv4
/// entries) looked up by the MACs of the domain's interfaces. libvirt 9.0's own ARP source fails
/// on current kernels ("wrong nlmsg len"); for a remote daemon it is still what is asked. Rows are
/// as libvirt's: the host-side device, the MAC, the address with prefix 0 (ARP knows none).
fn arp_table(dom: &Domain, table: &str) -> Result<Vec<Lease>> {
    let xml = dom.get_xml_desc(0).libvirt("domain XML")?;
    let facts =
        crate::xml::domain::domain_facts(&xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
    Ok(arp_rows(&facts.interfaces, table))
}

fn arp_rows(interfaces: &[crate::xml::domain::XmlInterface], table: &str) -> Vec<Lease> {
    let mut out = Vec::new();
    for line in table.lines().skip(1) {
        // IP address, HW type, Flags, HW address, Mask, Device
        let words: Vec<&str> = line.split_whitespace().collect();
        let [ip, _, flags, mac, _, device] = words[..] else {
            continue;
        };
        let complete = u32::from_str_radix(flags.trim_start_matches("0x"), 16).is_ok_and(|f| f & 0x2 != 0);
        let Some(iface) = interfaces.iter().find(|i| i.mac.eq_ignore_ascii_case(mac)) else {
            continue;
        };
        if complete {
            out.push(Lease {
                interface: iface.target.clone().unwrap_or_else(|| device.to_string()),
                mac: iface.mac.to_lowercase(),
                protocol: "ipv4".into(),
                address: format!("{ip}/0"),
                source: "arp".into(),
            });
        }
    }
    out
}

fn no_agent(dom: &Domain, e: &virt::error::Error) -> Error {
    let name = dom.get_name().unwrap_or_default();
    let kind = match e.code() {
        ErrorNumber::AgentUnresponsive
        | ErrorNumber::AgentUnsynced
        | ErrorNumber::ArgumentUnsupported
        | ErrorNumber::OperationInvalid
        | ErrorNumber::OperationUnsupported
        | ErrorNumber::NoSupport => ErrorKind::Unavailable,
        _ => vnet_common::libvirt::kind_of(e.code()),
    };
    Error::new(kind, format!("domain {name}: no guest agent: {}", e.message())).with_hint(
        "the agent source needs qemu-guest-agent running in the guest and a channel \
         org.qemu.guest_agent.0 in the domain; try --source lease or --source arp",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arp_rows_by_mac_complete_only() {
        let iface = crate::xml::domain::XmlInterface {
            kind: "bridge".into(),
            source: "br0".into(),
            model: Some("virtio".into()),
            mac: "52:54:00:AA:BB:CC".into(),
            target: Some("vnet3".into()),
        };
        let table = "IP address       HW type     Flags       HW address            Mask     Device\n\
                     10.0.0.7         0x1         0x2         52:54:00:aa:bb:cc     *        br0\n\
                     10.0.0.8         0x1         0x0         52:54:00:aa:bb:cc     *        br0\n\
                     10.0.0.9         0x1         0x2         52:54:00:00:00:01     *        br0\n";
        let rows = arp_rows(&[iface], table);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].address.as_str(), rows[0].interface.as_str()),
            ("10.0.0.7/0", "vnet3")
        );
        assert_eq!(rows[0].source, "arp");
    }
}
