//! What a forward goes through and to: the NAT network (running, in NAT mode, with its bridge
//! and IPv4 subnet), the guest address inside that subnet, and the host address it listens on.

use crate::network::{definition, require};
use ipnet::{IpNet, Ipv4Net};
use std::net::Ipv4Addr;
use virt::connect::Connect;
use virt::network::Network;
use vnet_common::error::quote;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, Result};

/// A running NAT network, as a forward needs it.
pub struct NatNetwork {
    pub name: String,
    pub net: Network,
    pub bridge: String,
    /// The host's address on the bridge.
    pub bridge_ip: Ipv4Addr,
    /// The bridge address with its prefix: the guests' subnet.
    pub subnet: Ipv4Net,
    pub persistent: bool,
    pub summary: crate::xml::Summary,
}

/// The network `name`, refused unless it is a running NAT network with an IPv4 subnet: missing
/// (exit 3), another mode (exit 7, saying how its guests are reached instead), not running
/// (exit 3).
pub fn nat_network(conn: &Connect, name: &str) -> Result<NatNetwork> {
    let net = require(conn, name)?;
    let summary = definition(&net, false, name)?;
    if summary.mode != "nat" {
        return Err(not_nat(name, &summary.mode));
    }
    if !net.is_active().libvirt(format!("network {name}"))? {
        return Err(Error::not_found(format!("network {name} is not running"))
            .with_hint(format!("start it first: vnet-net start {name}")));
    }
    let bridge = summary
        .bridge
        .clone()
        .ok_or_else(|| Error::failed(format!("network {name} has no bridge")))?;
    let subnet = summary
        .ips
        .iter()
        .find_map(|ip| match ip.address {
            IpNet::V4(v4) => Some(v4),
            IpNet::V6(_) => None,
        })
        .ok_or_else(|| {
            Error::invalid(format!(
                "network {name} has no IPv4 subnet (libvirt NATs IPv4 only)"
            ))
        })?;
    Ok(NatNetwork {
        name: name.to_string(),
        persistent: net.is_persistent().libvirt(format!("network {name}"))?,
        net,
        bridge,
        bridge_ip: subnet.addr(),
        subnet,
        summary,
    })
}

/// Why a network of `mode` takes no forward (exit 7).
fn not_nat(name: &str, mode: &str) -> Error {
    let why = match mode {
        "route" | "open" => format!(
            "network {name} is in {mode} mode: its guests' addresses are routed, not NATed, so they are \
             reachable at their own addresses without a forward"
        ),
        "isolated" => format!(
            "network {name} is isolated (no <forward>): its guests cannot be reached from outside the \
             network at all, forwarded or not"
        ),
        _ => format!(
            "network {name} is in {mode} mode: its guests sit on the host's LAN and are reachable at \
             their own addresses without a forward"
        ),
    };
    Error::invalid(why).with_hint("forwards are for NAT networks (<forward mode='nat'/>)")
}

/// Refuses a guest address outside the network's subnet, or the bridge's, network's or
/// broadcast address (exit 7).
pub fn check_guest_ip(ip: Ipv4Addr, nat: &NatNetwork) -> Result<()> {
    let subnet = nat.subnet.trunc();
    let reserved = [nat.bridge_ip, subnet.network(), subnet.broadcast()];
    if !subnet.contains(&ip) || reserved.contains(&ip) {
        let why = if subnet.contains(&ip) {
            "is the bridge's, network's or broadcast address of"
        } else {
            "lies outside"
        };
        return Err(
            Error::invalid(format!("--to {ip} {why} network {}'s subnet {subnet}", nat.name))
                .with_hint(format!("give the guest's address in {subnet}")),
        );
    }
    Ok(())
}

/// Refuses a host address that is not this host's, or is the network's own bridge address
/// (exit 7). A bind to port 0 succeeds exactly for the host's own addresses.
pub fn check_host_address(address: Ipv4Addr, nat: &NatNetwork) -> Result<()> {
    if address == nat.bridge_ip {
        return Err(Error::invalid(format!(
            "--address {address} is network {}'s own bridge address (guests reach the host there)",
            nat.name
        )));
    }
    if address.is_loopback() || std::net::UdpSocket::bind((address, 0)).is_err() {
        return Err(Error::invalid(format!(
            "--address {}: not an address of this host (loopback is never forwarded)",
            quote(&address.to_string())
        )));
    }
    Ok(())
}
