//! The bridge's multicast database (MDB) on the wire: the RTM_GETMDB dump, RTM_NEWMDB/RTM_DELMDB
//! changes and their notifications, decoded into [`MdbEntry`] (bridge -j mdb show's record).
//!
//! Written here because netlink-packet-route 0.34 has no MDB messages: its RouteNetlinkMessage
//! cannot carry RTM_*MDB, so the two structures bridge(8) sends and reads (struct br_port_msg and
//! struct br_mdb_entry, linux/if_bridge.h) and their attributes are laid out by hand, sent with
//! [`RouteSocket::send_bytes`].

use super::RouteSocket;
use crate::mac::format_mac;
use crate::Result;
use schemars::JsonSchema;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const RTM_NEWMDB: u16 = 84;
pub const RTM_DELMDB: u16 = 85;
pub const RTM_GETMDB: u16 = 86;
/// The rtnetlink multicast group of MDB changes (RTNLGRP_MDB = 26), as a bind() group bit.
pub const GROUP: u32 = 1 << (26 - 1);

const AF_BRIDGE: u8 = 7;
/// MDBA_MDB, and inside it MDBA_MDB_ENTRY and MDBA_MDB_ENTRY_INFO: all attribute type 1.
const MDBA_MDB: u16 = 1;
const MDBA_MDB_ENTRY: u16 = 1;
const MDBA_MDB_ENTRY_INFO: u16 = 1;
const MDBA_MDB_EATTR_SOURCE: u16 = 4;
const MDBA_SET_ENTRY: u16 = 1;
const MDBA_SET_ENTRY_ATTRS: u16 = 2;
const MDBE_ATTR_SOURCE: u16 = 1;
const NLA_F_NESTED: u16 = 0x8000;
/// sizeof(struct br_mdb_entry): ifindex u32, state u8, flags u8, vid u16, a 16-byte address
/// union, its protocol (__be16), padded to 4 bytes. The kernel refuses any other length.
const ENTRY_LEN: usize = 28;
const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;

/// A multicast group: an IP group, or a MAC (layer-2 entries, proto 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Ip(IpAddr),
    Mac([u8; 6]),
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Group::Ip(ip) => write!(f, "{ip}"),
            Group::Mac(mac) => f.write_str(&format_mac(mac)),
        }
    }
}

/// One MDB entry as the kernel sends it (indexes, not names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMdb {
    pub bridge: u32,
    pub port: u32,
    pub permanent: bool,
    pub flags: u8,
    pub vid: u16,
    pub group: Group,
    pub source: Option<IpAddr>,
}

/// One MDB entry, with bridge -j mdb show's field names.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MdbEntry {
    /// The bridge's interface index.
    pub index: u32,
    /// The bridge.
    pub dev: String,
    /// The port the group is forwarded to (the bridge itself for its own membership).
    pub port: String,
    /// The multicast group: an IPv4 or IPv6 address, or a MAC for a layer-2 entry.
    pub grp: String,
    /// The source of a source-specific (S,G) entry; absent for (*,G).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
    /// "permanent" or "temp".
    pub state: String,
    /// "offload", "fast_leave", "added_by_star_ex", "blocked".
    pub flags: Vec<String>,
    /// The VLAN; absent for none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vid: Option<u16>,
}

impl RawMdb {
    /// The record, interface indexes named by `name`.
    pub fn entry(&self, mut name: impl FnMut(u32) -> String) -> MdbEntry {
        let names = ["offload", "fast_leave", "added_by_star_ex", "blocked"];
        let flags = names
            .iter()
            .enumerate()
            .filter(|(bit, _)| self.flags & (1 << bit) != 0)
            .map(|(_, n)| n.to_string())
            .collect();
        MdbEntry {
            index: self.bridge,
            dev: name(self.bridge),
            port: name(self.port),
            grp: self.group.to_string(),
            src: self.source.map(|s| s.to_string()),
            state: if self.permanent { "permanent" } else { "temp" }.into(),
            flags,
            vid: (self.vid != 0).then_some(self.vid),
        }
    }

    /// The payload of RTM_NEWMDB/RTM_DELMDB for this entry (bridge mdb add|del).
    pub fn request(&self) -> Vec<u8> {
        let mut out = port_msg(self.bridge);
        let mut entry = Vec::with_capacity(ENTRY_LEN);
        entry.extend_from_slice(&self.port.to_ne_bytes());
        entry.push(u8::from(self.permanent));
        entry.push(0);
        entry.extend_from_slice(&self.vid.to_ne_bytes());
        let (mut address, proto) = match self.group {
            Group::Ip(IpAddr::V4(a)) => (a.octets().to_vec(), ETH_P_IP),
            Group::Ip(IpAddr::V6(a)) => (a.octets().to_vec(), ETH_P_IPV6),
            Group::Mac(m) => (m.to_vec(), 0),
        };
        address.resize(16, 0);
        entry.extend_from_slice(&address);
        entry.extend_from_slice(&proto.to_be_bytes());
        entry.resize(ENTRY_LEN, 0);
        attribute(&mut out, MDBA_SET_ENTRY, &entry);
        if let Some(source) = self.source {
            let mut nested = Vec::new();
            let bytes = match source {
                IpAddr::V4(a) => a.octets().to_vec(),
                IpAddr::V6(a) => a.octets().to_vec(),
            };
            attribute(&mut nested, MDBE_ATTR_SOURCE, &bytes);
            attribute(&mut out, MDBA_SET_ENTRY_ATTRS | NLA_F_NESTED, &nested);
        }
        out
    }
}

/// struct br_port_msg: family AF_BRIDGE, 3 bytes of padding, the bridge's index (0: all).
fn port_msg(bridge: u32) -> Vec<u8> {
    let mut out = vec![AF_BRIDGE, 0, 0, 0];
    out.extend_from_slice(&bridge.to_ne_bytes());
    out
}

/// Appends one netlink attribute (struct nlattr + value, padded to 4 bytes).
fn attribute(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    out.extend_from_slice(&((4 + value.len()) as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    out.resize((out.len() + 3) & !3, 0);
}

/// The attributes in `data`: (type without the nested/byte-order flags, value).
fn attributes(mut data: &[u8]) -> Vec<(u16, &[u8])> {
    let mut found = Vec::new();
    while data.len() >= 4 {
        let length = u16::from_ne_bytes([data[0], data[1]]) as usize;
        let kind = u16::from_ne_bytes([data[2], data[3]]) & 0x3fff;
        if length < 4 || length > data.len() {
            break;
        }
        found.push((kind, &data[4..length]));
        data = &data[((length + 3) & !3).min(data.len())..];
    }
    found
}

/// The entries of one RTM_NEWMDB/RTM_DELMDB message (a dump reply or a notification); router
/// port records (MDBA_ROUTER) are not entries and are left out.
pub fn parse(payload: &[u8]) -> Vec<RawMdb> {
    let Some(header) = payload.get(..8) else {
        return Vec::new();
    };
    let bridge = u32::from_ne_bytes(header[4..8].try_into().expect("4 bytes"));
    let mut found = Vec::new();
    for (kind, mdb) in attributes(&payload[8..]) {
        if kind != MDBA_MDB {
            continue;
        }
        for (kind, entries) in attributes(mdb) {
            if kind != MDBA_MDB_ENTRY {
                continue;
            }
            for (kind, info) in attributes(entries) {
                if kind == MDBA_MDB_ENTRY_INFO {
                    found.extend(parse_entry(bridge, info));
                }
            }
        }
    }
    found
}

/// One MDBA_MDB_ENTRY_INFO: struct br_mdb_entry, then its attributes (the source of an (S,G)).
fn parse_entry(bridge: u32, info: &[u8]) -> Option<RawMdb> {
    let e = info.get(..ENTRY_LEN)?;
    let proto = u16::from_be_bytes([e[24], e[25]]);
    let group = match proto {
        ETH_P_IP => Group::Ip(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(&e[8..12]).ok()?))),
        ETH_P_IPV6 => Group::Ip(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&e[8..24]).ok()?))),
        _ => Group::Mac(e[8..14].try_into().ok()?),
    };
    let source = attributes(&info[ENTRY_LEN..])
        .into_iter()
        .find(|(kind, _)| *kind == MDBA_MDB_EATTR_SOURCE)
        .and_then(|(_, v)| match v.len() {
            4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(v).ok()?))),
            16 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(v).ok()?))),
            _ => None,
        });
    Some(RawMdb {
        bridge,
        port: u32::from_ne_bytes(e[0..4].try_into().ok()?),
        permanent: e[4] == 1,
        flags: e[5],
        vid: u16::from_ne_bytes([e[6], e[7]]),
        group,
        source,
    })
}

impl RouteSocket {
    /// Every MDB entry of every bridge in this socket's namespace (bridge mdb show's dump).
    pub fn mdb(&mut self) -> Result<Vec<RawMdb>> {
        let mut found = Vec::new();
        self.dump_bytes(RTM_GETMDB, &port_msg(0), |kind, payload| {
            // The kernel answers the dump with messages of the request's type.
            if kind == RTM_GETMDB || kind == RTM_NEWMDB {
                found.extend(parse(payload));
            }
        })?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request's entry read back as a notification carries it: the layout is the kernel's.
    #[test]
    fn an_entry_survives_the_wire_layout() {
        let raw = RawMdb {
            bridge: 4,
            port: 7,
            permanent: true,
            flags: 0,
            vid: 5,
            group: Group::Ip("239.1.1.3".parse().unwrap()),
            source: Some("10.0.0.1".parse().unwrap()),
        };
        let request = raw.request();
        assert_eq!(request.len(), 8 + 4 + ENTRY_LEN + 4 + 4 + 4);
        // A notification nests the same entry as MDBA_MDB > MDBA_MDB_ENTRY > MDBA_MDB_ENTRY_INFO,
        // the source as an attribute after it.
        let mut info = request[12..12 + ENTRY_LEN].to_vec();
        attribute(&mut info, MDBA_MDB_EATTR_SOURCE, &[10, 0, 0, 1]);
        let (mut entry, mut mdb, mut message) = (Vec::new(), Vec::new(), port_msg(4));
        attribute(&mut entry, MDBA_MDB_ENTRY_INFO | NLA_F_NESTED, &info);
        attribute(&mut mdb, MDBA_MDB_ENTRY | NLA_F_NESTED, &entry);
        attribute(&mut message, MDBA_MDB | NLA_F_NESTED, &mdb);
        assert_eq!(parse(&message), vec![raw.clone()]);
        let shown = raw.entry(|i| format!("if{i}"));
        let json = serde_json::to_value(&shown).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"index": 4, "dev": "if4", "port": "if7", "grp": "239.1.1.3",
                "src": "10.0.0.1", "state": "permanent", "flags": [], "vid": 5})
        );
    }

    #[test]
    fn a_layer2_group_is_a_mac() {
        let raw = RawMdb {
            bridge: 1,
            port: 2,
            permanent: false,
            flags: 2,
            vid: 0,
            group: Group::Mac([1, 0, 0x5e, 1, 1, 1]),
            source: None,
        };
        let entry = parse_entry(1, &raw.request()[12..12 + ENTRY_LEN]).unwrap();
        assert_eq!(entry.group, raw.group);
        let shown = RawMdb { flags: 2, ..entry }.entry(|i| i.to_string());
        assert_eq!(
            (shown.grp.as_str(), shown.state.as_str()),
            ("01:00:5e:01:01:01", "temp")
        );
        assert_eq!(shown.flags, ["fast_leave"]);
        assert_eq!(shown.vid, None);
    }
}
