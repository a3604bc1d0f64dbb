//! `forward add --to-domain VM[:PORT] [--reserve]`: the domain's address on the network from its
//! DHCP lease (or its DHCP host reservation), and with --reserve the lease pinned as a
//! reservation first, so the forward keeps pointing at the guest across its reboots.

use super::target::NatNetwork;
use crate::leases;
use serde::Deserialize;
use std::net::Ipv4Addr;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::network::DhcpHost;
use vnet_common::libvirt::{document, LibvirtContext};
use vnet_common::{Error, Journal, Result};

/// The domain a forward goes to: its name, UUID and address on the network.
pub struct Guest {
    pub name: String,
    pub uuid: String,
    pub ip: Ipv4Addr,
}

/// The domain named (by name, ID or UUID, as virsh takes it) and its address on `nat`; exit 3
/// when it is missing, has no interface on the network, or has neither a lease nor a
/// reservation there. With `reserve`, an address only leased becomes a reservation (undone on
/// failure through `journal`).
pub fn resolve(
    conn: &Connect,
    spec: &str,
    nat: &NatNetwork,
    reserve: bool,
    journal: &mut Journal,
) -> Result<Guest> {
    let domain = lookup(conn, spec)?;
    let name = domain.get_name().libvirt("domain name")?;
    let uuid = domain.get_uuid_string().libvirt(format!("domain {name}"))?;
    let xml = domain.get_xml_desc(0).libvirt(format!("domain {name}"))?;
    let macs = macs_on(&xml, &nat.name)?;
    if macs.is_empty() {
        return Err(Error::not_found(format!(
            "domain {name} has no interface on network {}",
            nat.name
        )));
    }
    let reserved = nat.summary.dhcp_hosts.iter().find_map(|h| {
        let mac = h.mac.as_deref()?;
        macs.iter()
            .any(|m| m.eq_ignore_ascii_case(mac))
            .then(|| h.ip.as_deref()?.parse().ok())?
    });
    if let Some(ip) = reserved {
        return Ok(Guest { name, uuid, ip });
    }
    let Some((mac, ip)) = leased(nat, &macs)? else {
        return Err(Error::not_found(format!(
            "domain {name} has no DHCP lease on network {} yet, and no reservation",
            nat.name
        ))
        .with_hint(format!(
            "wait for it (vnet-vm wait {name} --ip), then add the forward with --reserve"
        )));
    };
    if reserve {
        add_reservation(nat, &mac, ip, journal)?;
    }
    Ok(Guest { name, uuid, ip })
}

fn lookup(conn: &Connect, spec: &str) -> Result<Domain> {
    let found = Domain::lookup_by_name(conn, spec)
        .or_else(|e| {
            spec.parse::<u32>().map_or(Err(e.clone()), |id| {
                Domain::lookup_by_id(conn, id).map_err(|_| e.clone())
            })
        })
        .or_else(|e| Domain::lookup_by_uuid_string(conn, spec).map_err(|_| e));
    found.map_err(|e| match e.code() {
        virt::error::ErrorNumber::NoDomain => Error::not_found(format!("domain {} not found", quote(spec))),
        _ => vnet_common::libvirt::error(e).context(format!("domain {}", quote(spec))),
    })
}

/// The first IPv4 lease of one of `macs` on the network.
fn leased(nat: &NatNetwork, macs: &[String]) -> Result<Option<(String, Ipv4Addr)>> {
    for mac in macs {
        for lease in leases::get(&nat.net, Some(mac))? {
            let ip = lease.ip.split('/').next().unwrap_or("");
            if let Ok(ip) = ip.parse::<Ipv4Addr>() {
                return Ok(Some((mac.clone(), ip)));
            }
        }
    }
    Ok(None)
}

/// net-update add ip-dhcp-host (live, and persistent when the network is), undone on failure.
fn add_reservation(nat: &NatNetwork, mac: &str, ip: Ipv4Addr, journal: &mut Journal) -> Result<()> {
    let host = DhcpHost {
        mac: Some(mac.to_string()),
        ip: Some(ip.to_string()),
        ..DhcpHost::default()
    };
    let xml = document::write("host", &host, false);
    let mut flags = sys::VIR_NETWORK_UPDATE_AFFECT_LIVE;
    if nat.persistent {
        flags |= sys::VIR_NETWORK_UPDATE_AFFECT_CONFIG;
    }
    let what = format!("reserve {ip} for {mac} on network {}", nat.name);
    let send = move |net: &virt::network::Network, command| {
        net.update(command, sys::VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, &xml, flags)
            .libvirt(&what)
    };
    send(&nat.net, sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST)?;
    let net = nat.net.clone();
    let undo = move || send(&net, sys::VIR_NETWORK_UPDATE_COMMAND_DELETE);
    journal.record_fn(format!("reserve {ip} for {mac} on network {}", nat.name), undo)
}

/// The MAC addresses of a domain's interfaces whose source is network `network`.
fn macs_on(xml: &str, network: &str) -> Result<Vec<String>> {
    let doc: Element = document::read(xml, "domain")?;
    let devices = doc.children.into_iter().filter_map(|c| match c {
        Child::Devices(d) => Some(d.children),
        _ => None,
    });
    let mut macs = Vec::new();
    for child in devices.flatten() {
        let Child::Interface(iface) = child else { continue };
        let (mut mac, mut source) = (None, None);
        for part in iface.children {
            match part {
                Child::Mac(m) => mac = m.address,
                Child::Source(s) => source = s.network,
                _ => {}
            }
        }
        if let (Some(mac), Some(network_name)) = (mac, source) {
            if network_name == network {
                macs.push(mac);
            }
        }
    }
    Ok(macs)
}

// The parts of a domain document read here (children as one sequence: they interleave).
#[derive(Deserialize)]
struct Element {
    #[serde(rename = "$value", default)]
    children: Vec<Child>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Child {
    Devices(Element),
    Interface(Element),
    Mac(Attrs),
    Source(Attrs),
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct Attrs {
    #[serde(rename = "@address")]
    address: Option<String>,
    #[serde(rename = "@network")]
    network: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_macs_of_a_domains_interfaces_on_a_network() {
        let xml = "<domain type='qemu'><name>g</name><devices><disk type='file'><source file='/x'/></disk>\
                   <interface type='network'><mac address='52:54:00:00:00:01'/><source network='fx' bridge='vfx0'/>\
                   <model type='virtio'/></interface><serial type='pty'/>\
                   <interface type='network'><source network='other'/><mac address='52:54:00:00:00:02'/></interface>\
                   </devices></domain>";
        assert_eq!(macs_on(xml, "fx").unwrap(), ["52:54:00:00:00:01"]);
        assert!(macs_on(xml, "none").unwrap().is_empty());
    }
}
