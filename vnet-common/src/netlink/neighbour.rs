//! Neighbour (ARP and NDP) entries decoded once: [`NeighbourEntry`], the record `vnet-ns neigh
//! show` lists, with ip -j neigh's field names, and the state names ip uses.

use crate::mac::format_mac;
use rtnetlink::packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use rtnetlink::packet_route::AddressFamily;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;

/// One neighbour entry, with ip -j neigh's field names.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct NeighbourEntry {
    /// The neighbour's IP address.
    pub dst: String,
    /// The link the entry is on.
    pub dev: String,
    /// Its link-layer address (MAC); null when the entry has none (incomplete, failed, proxy).
    pub lladdr: Option<String>,
    /// The NUD states as ip names them: "PERMANENT", "NOARP", "REACHABLE", "STALE", "DELAY",
    /// "PROBE", "INCOMPLETE", "FAILED"; empty for a proxy entry.
    pub state: Vec<String>,
    /// The neighbour is a router (NTF_ROUTER; ip -j prints "router": null when set).
    pub router: bool,
    /// A proxy entry (ip neigh add proxy; ip -j prints "proxy": null for one).
    pub proxy: bool,
    /// "inet" or "inet6".
    pub family: String,
}

/// NUD states by name, as ip neigh reads and prints them (lower case on input).
pub const STATES: [(&str, NeighbourState); 8] = [
    ("permanent", NeighbourState::Permanent),
    ("noarp", NeighbourState::Noarp),
    ("reachable", NeighbourState::Reachable),
    ("stale", NeighbourState::Stale),
    ("delay", NeighbourState::Delay),
    ("probe", NeighbourState::Probe),
    ("incomplete", NeighbourState::Incomplete),
    ("failed", NeighbourState::Failed),
];

impl NeighbourEntry {
    /// An entry as ip -j neigh describes it; `links` names its link ("ifN" for one it lacks).
    pub fn decode(entry: &NeighbourMessage, links: &HashMap<u32, String>) -> Option<NeighbourEntry> {
        let dst = destination(entry)?;
        let index = entry.header.ifindex;
        let proxy = entry.header.flags.contains(NeighbourFlags::Proxy);
        Some(NeighbourEntry {
            dst: dst.to_string(),
            dev: links.get(&index).cloned().unwrap_or_else(|| format!("if{index}")),
            lladdr: lladdr(entry).map(format_mac),
            state: match proxy {
                true => vec![],
                false => state_names(entry.header.state),
            },
            router: entry.header.flags.contains(NeighbourFlags::Router),
            proxy,
            family: match entry.header.family {
                AddressFamily::Inet6 => "inet6".into(),
                _ => "inet".into(),
            },
        })
    }
}

/// The entry's IP address (NDA_DST).
pub fn destination(entry: &NeighbourMessage) -> Option<IpAddr> {
    entry.attributes.iter().find_map(|a| match a {
        NeighbourAttribute::Destination(NeighbourAddress::Inet(v4)) => Some(IpAddr::V4(*v4)),
        NeighbourAttribute::Destination(NeighbourAddress::Inet6(v6)) => Some(IpAddr::V6(*v6)),
        _ => None,
    })
}

/// The entry's link-layer address (NDA_LLADDR).
pub fn lladdr(entry: &NeighbourMessage) -> Option<&[u8]> {
    entry.attributes.iter().find_map(|a| match a {
        NeighbourAttribute::LinkLayerAddress(mac) if !mac.is_empty() => Some(mac.as_slice()),
        _ => None,
    })
}

/// The state's name as ip prints it (upper case); NONE for no state.
pub fn state_names(state: NeighbourState) -> Vec<String> {
    let bits = u16::from(state);
    if bits == 0 {
        return vec!["NONE".to_string()];
    }
    STATES
        .iter()
        .filter(|(_, s)| bits & u16::from(*s) != 0)
        .map(|(name, _)| name.to_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_as_ip_j_neigh() {
        let mut entry = NeighbourMessage::default();
        entry.header.family = AddressFamily::Inet;
        entry.header.ifindex = 2;
        entry.header.state = NeighbourState::Permanent;
        entry
            .attributes
            .push(NeighbourAttribute::Destination(NeighbourAddress::Inet(
                "10.1.0.2".parse().unwrap(),
            )));
        entry
            .attributes
            .push(NeighbourAttribute::LinkLayerAddress(vec![2, 0, 0, 0, 0, 2]));
        let links = HashMap::from([(2, "eth0".to_string())]);
        let json = serde_json::to_value(NeighbourEntry::decode(&entry, &links).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"dst": "10.1.0.2", "dev": "eth0", "lladdr": "02:00:00:00:00:02",
                "state": ["PERMANENT"], "router": false, "proxy": false, "family": "inet"})
        );
        assert_eq!(state_names(NeighbourState::None), ["NONE"]);
        assert_eq!(state_names(NeighbourState::Stale), ["STALE"]);
    }
}
