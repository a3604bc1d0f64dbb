//! Forwarding database entries as the kernel holds them: the AF_BRIDGE neighbour dump, one
//! entry as `bridge -j fdb show` prints it, and the requests that add and remove one.

use crate::model::Names;
use futures::StreamExt;
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::packet_core::{
    NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST,
};
use rtnetlink::Handle;
use schemars::JsonSchema;
use serde::Serialize;
use std::net::IpAddr;
use vnet_common::mac::format_mac;
use vnet_common::netlink::{decode, RouteSocket};
use vnet_common::{Error, Result};

/// One entry to add, append or delete, as its words gave it (checked already).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Entry {
    pub mac: [u8; 6],
    pub dst: Option<IpAddr>,
    pub port: Option<u16>,
    pub vni: Option<u32>,
    pub vlan: Option<u16>,
    /// On the device itself (the default without master).
    pub on_self: bool,
    /// In the bridge's table.
    pub master: bool,
    /// NUD_NOARP|NUD_REACHABLE ("static") instead of NUD_PERMANENT.
    pub is_static: bool,
}

/// One forwarding database entry, with `bridge -j fdb show`'s field names.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FdbRow {
    pub mac: String,
    /// The device (left out with `dev DEV`, as bridge does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ifname: Option<String>,
    /// The remote VTEP the MAC is behind (VXLAN devices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    /// The remote UDP port, when it differs from the device's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The remote VNI, when it differs from the device's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vni: Option<u32>,
    /// The underlay interface to reach dst by.
    #[serde(rename = "viaIf", skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// "self", "router", "extern_learn", "offload", "master", "sticky".
    pub flags: Vec<String>,
    /// The bridge whose table the entry is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,
    /// "permanent", "static", "stale", or "" (learned and reachable).
    pub state: String,
}

/// Whether a dumped entry is in the bridge's table (not the device's own).
pub fn in_bridge_table(entry: &NeighbourMessage) -> bool {
    entry.header.flags.contains(NeighbourFlags::Controller)
        || entry
            .attributes
            .iter()
            .any(|a| matches!(a, NeighbourAttribute::Controller(_)))
}

/// The entry's identity in a dump: device, MAC, dst, VLAN.
pub fn same_entry(
    entry: &NeighbourMessage,
    index: u32,
    mac: &[u8; 6],
    dst: Option<IpAddr>,
    vlan: Option<u16>,
) -> bool {
    let row = row_of(entry, &Names::default(), false);
    entry.header.ifindex == index
        && row.mac == format_mac(mac)
        && row.dst == dst.map(|d| d.to_string())
        && row.vlan == vlan
}

/// The request that adds `entry` to the device with this index.
pub fn new_message(index: u32, entry: &Entry) -> NeighbourMessage {
    let mut m = NeighbourMessage::default();
    m.header.family = AddressFamily::Bridge;
    m.header.ifindex = index;
    // As bridge(8) sends "static": NUD_NOARP|NUD_REACHABLE (a VXLAN device refuses NOARP alone).
    m.header.state = if entry.is_static {
        STATIC
    } else {
        NeighbourState::Permanent
    };
    let mut flags = NeighbourFlags::empty();
    if entry.on_self || !entry.master {
        flags |= NeighbourFlags::Own;
    }
    if entry.master {
        flags |= NeighbourFlags::Controller;
    }
    m.header.flags = flags;
    m.attributes
        .push(NeighbourAttribute::LinkLayerAddress(entry.mac.to_vec()));
    if let Some(dst) = entry.dst {
        m.attributes.push(NeighbourAttribute::Destination(match dst {
            IpAddr::V4(a) => NeighbourAddress::Inet(a),
            IpAddr::V6(a) => NeighbourAddress::Inet6(a),
        }));
    }
    if let Some(port) = entry.port {
        m.attributes.push(NeighbourAttribute::Port(port));
    }
    if let Some(vni) = entry.vni {
        m.attributes.push(NeighbourAttribute::Vni(vni));
    }
    if let Some(vlan) = entry.vlan {
        m.attributes.push(NeighbourAttribute::Vlan(vlan));
    }
    m
}

/// The request that deletes `entry` (its identity only; a master entry from the bridge's table,
/// a self entry from the device's).
pub fn delete_message(entry: &NeighbourMessage) -> NeighbourMessage {
    let mut m = NeighbourMessage::default();
    m.header = entry.header.clone();
    m.header.family = AddressFamily::Bridge;
    let keep = |a: &&NeighbourAttribute| {
        matches!(
            a,
            NeighbourAttribute::LinkLayerAddress(_)
                | NeighbourAttribute::Destination(_)
                | NeighbourAttribute::Vlan(_)
                | NeighbourAttribute::Port(_)
                | NeighbourAttribute::Vni(_)
        )
    };
    m.attributes = entry.attributes.iter().filter(keep).cloned().collect();
    // A dumped entry of the bridge's table has NDA_MASTER and no NTF_MASTER flag.
    if in_bridge_table(entry) {
        m.header.flags |= NeighbourFlags::Controller;
    }
    if !m
        .header
        .flags
        .intersects(NeighbourFlags::Own | NeighbourFlags::Controller)
    {
        m.header.flags |= NeighbourFlags::Own;
    }
    m
}

const STATIC: NeighbourState = NeighbourState::Other(0x40 | 0x02);

/// How a request changes the table: add (refused when the entry exists), append (one more
/// entry of the same MAC), delete.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    Add,
    Append,
    Del,
}

pub async fn send(handle: &Handle, message: NeighbourMessage, op: Op) -> Result<()> {
    let mut message = message;
    if !matches!(op, Op::Del) {
        // A re-added dumped entry: only the attributes that define it.
        message = {
            let mut m = delete_message(&message);
            m.header.state = match u16::from(message.header.state) & 0x80 {
                0 => STATIC,
                _ => NeighbourState::Permanent,
            };
            m
        };
    }
    let mut request = NetlinkMessage::from(match op {
        Op::Del => RouteNetlinkMessage::DelNeighbour(message),
        _ => RouteNetlinkMessage::NewNeighbour(message),
    });
    request.header.flags = NLM_F_REQUEST
        | NLM_F_ACK
        | match op {
            Op::Add => NLM_F_CREATE | NLM_F_EXCL,
            Op::Append => NLM_F_CREATE | NLM_F_APPEND,
            Op::Del => 0,
        };
    let mut replies = handle.clone().request(request).map_err(Error::from)?;
    while let Some(reply) = replies.next().await {
        if let NetlinkPayload::Error(e) = reply.payload {
            if let Some(code) = e.code {
                return Err(Error::from_errno(-code.get()));
            }
        }
    }
    Ok(())
}

/// One dumped entry as `bridge -j fdb show` prints it.
pub fn row_of(entry: &NeighbourMessage, names: &Names, with_ifname: bool) -> FdbRow {
    let name_of = |i: u32| names.name_or_index(i);
    let mut row = FdbRow {
        mac: String::new(),
        ifname: (with_ifname && entry.header.ifindex != 0).then(|| name_of(entry.header.ifindex)),
        dst: None,
        vlan: None,
        port: None,
        vni: None,
        via: None,
        flags: vec![],
        master: None,
        state: state_name(entry.header.state).to_string(),
    };
    for attr in &entry.attributes {
        match attr {
            NeighbourAttribute::LinkLayerAddress(mac) => row.mac = format_mac(mac),
            NeighbourAttribute::Destination(a) => row.dst = neighbour_ip(a).map(|a| a.to_string()),
            NeighbourAttribute::IfIndex(i) => row.via = Some(name_of(*i)),
            NeighbourAttribute::Vlan(v) if *v != 0 => row.vlan = Some(*v),
            NeighbourAttribute::Port(p) => row.port = Some(*p),
            NeighbourAttribute::Vni(v) => row.vni = Some(*v),
            NeighbourAttribute::Controller(m) => row.master = Some(name_of(*m)),
            _ => {}
        }
    }
    let flags = entry.header.flags;
    for (flag, name) in [
        (NeighbourFlags::Own, "self"),
        (NeighbourFlags::Router, "router"),
        (NeighbourFlags::ExtLearned, "extern_learn"),
        (NeighbourFlags::Offloaded, "offload"),
        (NeighbourFlags::Controller, "master"),
        (NeighbourFlags::Sticky, "sticky"),
    ] {
        if flags.contains(flag) {
            row.flags.push(name.to_string());
        }
    }
    row
}

/// An NDA_DST address: an AF_BRIDGE dump carries it as raw bytes (4 or 16 of them).
pub fn neighbour_ip(address: &NeighbourAddress) -> Option<IpAddr> {
    match address {
        NeighbourAddress::Inet(a) => Some(IpAddr::V4(*a)),
        NeighbourAddress::Inet6(a) => Some(IpAddr::V6(*a)),
        NeighbourAddress::Other(bytes) => match bytes.len() {
            4 => Some(IpAddr::from(<[u8; 4]>::try_from(bytes.as_slice()).ok()?)),
            16 => Some(IpAddr::from(<[u8; 16]>::try_from(bytes.as_slice()).ok()?)),
            _ => None,
        },
        _ => None,
    }
}

/// bridge's state_n2a.
fn state_name(state: NeighbourState) -> &'static str {
    let bits = u16::from(state);
    if bits & 0x80 != 0 {
        "permanent"
    } else if bits & 0x40 != 0 {
        "static"
    } else if bits & 0x04 != 0 {
        "stale"
    } else {
        ""
    }
}

/// Every AF_BRIDGE neighbour entry of the current namespace (blocking dump, no runtime).
pub fn dump_fdb(netns: Option<&str>) -> Result<Vec<NeighbourMessage>> {
    let mut entries = vec![];
    each_fdb_entry(netns, |entry| entries.push(entry))?;
    Ok(entries)
}

/// Every entry of the forwarding databases of `netns` (an AF_BRIDGE RTM_GETNEIGH dump), each
/// handed to `each` as it is read and not kept.
pub fn each_fdb_entry(netns: Option<&str>, mut each: impl FnMut(NeighbourMessage)) -> Result<()> {
    let mut socket = RouteSocket::open(netns)?;
    let mut request = NeighbourMessage::default();
    request.header.family = AddressFamily::Bridge;
    let mut failed = None;
    socket.dump_raw(
        RouteNetlinkMessage::GetNeighbour(request),
        |kind, payload| match decode(kind, payload) {
            Ok(Some(RouteNetlinkMessage::NewNeighbour(entry))) => each(entry),
            Ok(_) => {}
            Err(e) => failed = failed.take().or(Some(e)),
        },
    )?;
    failed.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_as_bridge_reads_them() {
        let mut m = NeighbourMessage::default();
        m.header.ifindex = 0;
        m.header.state = NeighbourState::Permanent;
        m.header.flags = NeighbourFlags::Own;
        m.attributes
            .push(NeighbourAttribute::LinkLayerAddress(vec![0; 6]));
        m.attributes
            .push(NeighbourAttribute::Destination(NeighbourAddress::Inet(
                "10.0.0.3".parse().unwrap(),
            )));
        let row = row_of(&m, &Names::default(), false);
        assert_eq!(
            serde_json::to_value(&row).unwrap(),
            serde_json::json!({"mac": "00:00:00:00:00:00", "dst": "10.0.0.3", "flags": ["self"], "state": "permanent"})
        );
        assert!(same_entry(
            &m,
            0,
            &[0; 6],
            Some("10.0.0.3".parse().unwrap()),
            None
        ));
        assert!(!same_entry(&m, 0, &[0; 6], None, None));
        assert_eq!(state_name(NeighbourState::Reachable), "");
        assert_eq!(state_name(NeighbourState::Noarp), "static");
    }

    #[test]
    fn requests_carry_what_bridge_sends() {
        let entry = Entry {
            mac: [2, 0, 0, 0, 0, 1],
            vlan: Some(10),
            master: true,
            is_static: true,
            ..Entry::default()
        };
        let m = new_message(7, &entry);
        assert_eq!((m.header.ifindex, m.header.state), (7, STATIC));
        assert_eq!(m.header.flags, NeighbourFlags::Controller);
        let delete = delete_message(&m);
        assert!(delete.header.flags.contains(NeighbourFlags::Controller));
        assert_eq!(delete.attributes.len(), 2);
        assert_eq!(
            new_message(7, &Entry::default()).header.flags,
            NeighbourFlags::Own
        );
    }
}
