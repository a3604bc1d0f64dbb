//! Nexthop objects on the wire: RTM_NEWNEXTHOP/RTM_DELNEXTHOP/RTM_GETNEXTHOP, struct nhmsg and
//! the NHA_* attributes of linux/nexthop.h, laid out by hand and sent with
//! [`RouteSocket::send_bytes`]: netlink-packet-route 0.34 has no nexthop messages. vnet-ns's
//! nexthop verbs and the monitors' nexthop records read them here.

use super::RouteSocket;
use crate::{Error, Result};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const RTM_NEWNEXTHOP: u16 = 104;
pub const RTM_DELNEXTHOP: u16 = 105;
pub const RTM_GETNEXTHOP: u16 = 106;
/// The rtnetlink multicast group of nexthop changes (RTNLGRP_NEXTHOP = 32), as a bind() bit.
pub const GROUP: u32 = 1 << (32 - 1);

const NHA_ID: u16 = 1;
const NHA_GROUP: u16 = 2;
const NHA_GROUP_TYPE: u16 = 3;
const NHA_BLACKHOLE: u16 = 4;
const NHA_OIF: u16 = 5;
const NHA_GATEWAY: u16 = 6;
const NHA_GROUPS: u16 = 9;
const NHA_MASTER: u16 = 10;
const NHA_FDB: u16 = 11;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
/// RTNH_F_* of nh_flags, with ip's words.
const FLAGS: [(u32, &str); 6] = [
    (1, "dead"),
    (2, "pervasive"),
    (4, "onlink"),
    (8, "offload"),
    (16, "linkdown"),
    (32, "unresolved"),
];
pub const ONLINK: u32 = 4;

/// One nexthop object as the kernel has it (link indexes, not names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawNexthop {
    pub id: u32,
    /// AF_INET, AF_INET6, or 0 (a group).
    pub family: u8,
    pub scope: u8,
    pub protocol: u8,
    pub flags: u32,
    pub blackhole: bool,
    pub fdb: bool,
    pub oif: Option<u32>,
    pub gateway: Option<IpAddr>,
    /// A group's members: (id, weight 1..=256).
    pub group: Vec<(u32, u16)>,
    /// NHA_GROUP_TYPE: 0 mpath, 1 resilient.
    pub group_type: u16,
}

/// Appends one attribute (type, payload, padded to 4 bytes).
fn put(buffer: &mut Vec<u8>, kind: u16, payload: &[u8]) {
    let length = 4 + payload.len() as u16;
    buffer.extend_from_slice(&length.to_ne_bytes());
    buffer.extend_from_slice(&kind.to_ne_bytes());
    buffer.extend_from_slice(payload);
    buffer.resize(buffer.len().next_multiple_of(4), 0);
}

/// struct nhmsg: family, scope, protocol, a reserved byte, flags.
fn header(family: u8, scope: u8, protocol: u8, flags: u32) -> Vec<u8> {
    let mut buffer = vec![family, scope, protocol, 0];
    buffer.extend_from_slice(&flags.to_ne_bytes());
    buffer
}

impl RawNexthop {
    /// The RTM_NEWNEXTHOP payload that makes this nexthop (id 0: the kernel picks one).
    pub fn request(&self) -> Vec<u8> {
        let mut buffer = header(self.family, 0, self.protocol, self.flags & ONLINK);
        if self.id != 0 {
            put(&mut buffer, NHA_ID, &self.id.to_ne_bytes());
        }
        if self.blackhole {
            put(&mut buffer, NHA_BLACKHOLE, &[]);
        }
        if let Some(oif) = self.oif {
            put(&mut buffer, NHA_OIF, &oif.to_ne_bytes());
        }
        match self.gateway {
            Some(IpAddr::V4(a)) => put(&mut buffer, NHA_GATEWAY, &a.octets()),
            Some(IpAddr::V6(a)) => put(&mut buffer, NHA_GATEWAY, &a.octets()),
            None => {}
        }
        if !self.group.is_empty() {
            // struct nexthop_grp: id u32, weight u8 (weight - 1), weight_high u8, resvd u16.
            let mut members = Vec::new();
            for (id, weight) in &self.group {
                members.extend_from_slice(&id.to_ne_bytes());
                let low = (weight - 1) & 0xff;
                members.extend_from_slice(&[low as u8, ((weight - 1) >> 8) as u8, 0, 0]);
            }
            put(&mut buffer, NHA_GROUP, &members);
            put(&mut buffer, NHA_GROUP_TYPE, &self.group_type.to_ne_bytes());
        }
        if self.fdb {
            put(&mut buffer, NHA_FDB, &[]);
        }
        buffer
    }

    /// Reads one RTM_NEWNEXTHOP/RTM_DELNEXTHOP payload.
    pub fn parse(payload: &[u8]) -> Result<RawNexthop> {
        if payload.len() < 8 {
            return Err(Error::failed("decode a nexthop: short message"));
        }
        let mut nh = RawNexthop {
            family: payload[0],
            scope: payload[1],
            protocol: payload[2],
            flags: u32::from_ne_bytes(payload[4..8].try_into().expect("4 bytes")),
            ..RawNexthop::default()
        };
        let mut at = 8;
        while at + 4 <= payload.len() {
            let length = u16::from_ne_bytes([payload[at], payload[at + 1]]) as usize;
            let kind = u16::from_ne_bytes([payload[at + 2], payload[at + 3]]) & 0x3fff;
            if length < 4 || at + length > payload.len() {
                break;
            }
            nh.attribute(kind, &payload[at + 4..at + length]);
            at += length.next_multiple_of(4);
        }
        Ok(nh)
    }

    /// Takes in one attribute of a kernel message.
    fn attribute(&mut self, kind: u16, data: &[u8]) {
        let word = || {
            data.get(..4)
                .map(|b| u32::from_ne_bytes(b.try_into().expect("4 bytes")))
        };
        match kind {
            NHA_ID => self.id = word().unwrap_or(0),
            NHA_BLACKHOLE => self.blackhole = true,
            NHA_FDB => self.fdb = true,
            NHA_OIF => self.oif = word(),
            NHA_GATEWAY => {
                self.gateway = match data.len() {
                    4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(data).expect("4")))),
                    16 => Some(IpAddr::V6(Ipv6Addr::from(
                        <[u8; 16]>::try_from(data).expect("16"),
                    ))),
                    _ => None,
                }
            }
            NHA_GROUP => {
                self.group = data
                    .chunks_exact(8)
                    .map(|m| {
                        let id = u32::from_ne_bytes(m[..4].try_into().expect("4 bytes"));
                        (id, (m[4] as u16 | (m[5] as u16) << 8) + 1)
                    })
                    .collect()
            }
            NHA_GROUP_TYPE if data.len() >= 2 => self.group_type = u16::from_ne_bytes([data[0], data[1]]),
            _ => {}
        }
    }

    /// This nexthop as vnet-ns prints it, naming its link from `names`.
    pub fn entry(&self, names: &HashMap<u32, String>) -> NexthopEntry {
        let group = (!self.group.is_empty()).then(|| {
            self.group
                .iter()
                .map(|&(id, weight)| GroupMember { id, weight })
                .collect()
        });
        NexthopEntry {
            id: self.id,
            family: match self.family {
                AF_INET => Some("inet".into()),
                AF_INET6 => Some("inet6".into()),
                _ => None,
            },
            group,
            kind: (!self.group.is_empty()).then(|| match self.group_type {
                1 => "resilient".into(),
                _ => "mpath".into(),
            }),
            blackhole: self.blackhole,
            gateway: self.gateway.map(|g| g.to_string()),
            dev: self
                .oif
                .map(|i| names.get(&i).cloned().unwrap_or_else(|| format!("if{i}"))),
            scope: (self.oif.is_some() || self.gateway.is_some()).then(|| scope_name(self.scope)),
            protocol: (self.protocol != 0).then(|| protocol_name(self.protocol)),
            flags: FLAGS
                .iter()
                .filter(|(bit, _)| self.flags & bit != 0)
                .map(|(_, word)| word.to_string())
                .collect(),
            fdb: self.fdb,
        }
    }
}

/// ip's name of an address or route scope (RT_SCOPE_*), or its number.
pub(crate) fn scope_name(scope: u8) -> String {
    match scope {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

fn protocol_name(protocol: u8) -> String {
    super::route::protocol_name(protocol).into_owned()
}

/// A member of a nexthop group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct GroupMember {
    pub id: u32,
    /// Its weight, 1..256 (ip -j leaves out a weight of 1).
    pub weight: u16,
}

/// A nexthop object with ip -j nexthop show's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct NexthopEntry {
    pub id: u32,
    /// "inet" or "inet6"; null for a group.
    pub family: Option<String>,
    /// A group's members (null: not a group).
    pub group: Option<Vec<GroupMember>>,
    /// A group's type: "mpath" or "resilient" (null: not a group).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// A blackhole nexthop (ip -j: the key "blackhole" present).
    pub blackhole: bool,
    pub gateway: Option<String>,
    pub dev: Option<String>,
    /// The scope of a gateway or device nexthop ("link", "global", ...), else null.
    pub scope: Option<String>,
    /// The protocol that made it (null: unspec).
    pub protocol: Option<String>,
    /// "onlink", "dead", "linkdown", "offload", ...
    pub flags: Vec<String>,
    /// A nexthop (group) for the bridge FDB of VXLAN (ip -j: the key "fdb" present).
    pub fdb: bool,
}

/// What a dump asks for: ip nexthop show's selectors the kernel filters by.
#[derive(Debug, Default, Clone, Copy)]
pub struct DumpFilter {
    pub family: u8,
    pub oif: Option<u32>,
    pub master: Option<u32>,
    pub groups: bool,
    pub fdb: bool,
}

/// Every nexthop the filter selects, in the kernel's order.
pub fn dump(socket: &mut RouteSocket, filter: DumpFilter) -> Result<Vec<RawNexthop>> {
    let mut request = header(filter.family, 0, 0, 0);
    if let Some(oif) = filter.oif {
        put(&mut request, NHA_OIF, &oif.to_ne_bytes());
    }
    if let Some(master) = filter.master {
        put(&mut request, NHA_MASTER, &master.to_ne_bytes());
    }
    if filter.groups {
        put(&mut request, NHA_GROUPS, &[]);
    }
    if filter.fdb {
        put(&mut request, NHA_FDB, &[]);
    }
    let mut found = Vec::new();
    let mut failed = None;
    socket.dump_bytes(RTM_GETNEXTHOP, &request, |kind, payload| {
        if kind == RTM_NEWNEXTHOP {
            match RawNexthop::parse(payload) {
                Ok(nh) => found.push(nh),
                Err(e) => failed = failed.take().or(Some(e)),
            }
        }
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(found),
    }
}

/// The nexthop of this id, None when there is none.
pub fn get(socket: &mut RouteSocket, id: u32) -> Result<Option<RawNexthop>> {
    // A dump filtered here, not RTM_GETNEXTHOP of one id: the kernel answers a missing id with
    // ENOENT, which would not tell a missing nexthop from a failed request.
    Ok(dump(socket, DumpFilter::default())?
        .into_iter()
        .find(|nh| nh.id == id))
}

/// Deletes nexthop `id`.
pub fn delete(socket: &mut RouteSocket, id: u32) -> Result<()> {
    let mut request = header(0, 0, 0, 0);
    put(&mut request, NHA_ID, &id.to_ne_bytes());
    socket.change_bytes(RTM_DELNEXTHOP, 0, &request)
}

/// Sends `nh` as RTM_NEWNEXTHOP with `flags` (NLM_F_CREATE with NLM_F_EXCL or NLM_F_REPLACE).
pub fn create(socket: &mut RouteSocket, nh: &RawNexthop, flags: u16) -> Result<()> {
    socket.change_bytes(RTM_NEWNEXTHOP, flags, &nh.request())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_back_as_itself() {
        let nh = RawNexthop {
            id: 7,
            family: AF_INET,
            flags: ONLINK,
            oif: Some(3),
            gateway: Some("10.0.0.1".parse().unwrap()),
            ..RawNexthop::default()
        };
        assert_eq!(RawNexthop::parse(&nh.request()).unwrap(), nh);
        let group = RawNexthop {
            id: 9,
            group: vec![(1, 1), (2, 3), (4, 256)],
            fdb: true,
            ..RawNexthop::default()
        };
        assert_eq!(RawNexthop::parse(&group.request()).unwrap(), group);
        let names = HashMap::from([(3, "eth0".to_string())]);
        let entry = nh.entry(&names);
        assert_eq!(entry.dev.as_deref(), Some("eth0"));
        assert_eq!(entry.flags, ["onlink"]);
        assert_eq!(entry.scope.as_deref(), Some("global"));
    }
}
