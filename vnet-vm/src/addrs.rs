//! A running domain's addresses from libvirt's three sources, as `virsh domifaddr --source`
//! reads them: the DHCP leases of libvirt's networks, the host's ARP/neighbour table (what finds
//! a bridged guest that took no lease from libvirt), and the qemu guest agent. `any` asks the
//! lease and ARP sources and, when the guest has one, the agent; each row names its source.

use crate::iface::Lease;
use virt::domain::Domain;
use virt::error::ErrorNumber;
use virt::sys;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, ErrorKind, Result};

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
            let more = read(dom, Source::Arp)?
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
