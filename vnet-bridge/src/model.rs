//! What the kernel says about bridges and their ports, read from one link dump.

use netlink_packet_route::link::{
    BridgeId, BridgePortState, BridgeStpState, InfoBridge, InfoBridgePort, InfoData, InfoPortData, InfoVxlan,
    LinkAttribute, LinkInfo, LinkMessage,
};
use rtnetlink::Handle;
use std::collections::HashMap;
use vnet_common::links::is_bridge;
use vnet_common::links::{
    find_link, link_attr, link_by_index, link_kind, link_master, link_name, list_links,
};
use vnet_common::mac::format_mac;
use vnet_common::names::validate_ifname;
use vnet_common::netlink::{RawLink, RouteSocket};
use vnet_common::{netns, Error, Result};

/// Every link of a namespace at one moment, with each bridge's ports found once, so listing
/// stays linear in the number of links (not bridges times links).
pub struct Links {
    pub all: Vec<LinkMessage>,
    /// Master index -> positions in `all` of its ports, sorted by port name.
    ports_of: HashMap<u32, Vec<usize>>,
}

impl Links {
    pub async fn load(handle: &Handle) -> Result<Links> {
        Ok(Links::new(list_links(handle).await?))
    }

    /// The links called `names` and the masters they have, each asked for by name or index (the
    /// kernel looks one up without a dump), for the verbs that touch only those: their cost does
    /// not grow with the other links present (bench BENCH_ONLY=writes, 2026-12-07: addif, delif
    /// and delbr with 3000 other links present took 62 ms decoding every link). A name that is
    /// no valid interface name is not asked for, so [`Links::bridge`] refuses it (exit 7). Only
    /// by name, index and master: [`Links::ports`] and [`Links::bridges`] need [`Links::load`].
    pub async fn named(handle: &Handle, names: &[&str]) -> Result<Links> {
        let mut found: Vec<LinkMessage> = vec![];
        for name in names {
            if validate_ifname(name).is_err() || found.iter().any(|l| link_name(l) == *name) {
                continue;
            }
            // The kernel also finds a link by an alternative name: keep only its real name's.
            match find_link(handle, name).await? {
                Some(link) if link_name(&link) == *name => found.push(link),
                _ => {}
            }
        }
        let masters: Vec<u32> = found.iter().filter_map(link_master).collect();
        for master in masters {
            if found.iter().all(|l| l.header.index != master) {
                found.extend(link_by_index(handle, master).await?);
            }
        }
        Ok(Links::new(found))
    }

    /// [`Links::named`] over a blocking socket (the brctl verbs: see [`crate::Ctx::here`]).
    pub fn named_now(socket: &mut RouteSocket, names: &[&str]) -> Result<Links> {
        let mut found: Vec<LinkMessage> = vec![];
        for name in names {
            if validate_ifname(name).is_err() || found.iter().any(|l| link_name(l) == *name) {
                continue;
            }
            let link = socket
                .link_named(name)
                .map_err(|e| e.context(format!("look up interface '{name}'")))?;
            // The kernel also finds a link by an alternative name: keep only its real name's.
            found.extend(link.filter(|link| link_name(link) == *name));
        }
        let masters: Vec<u32> = found.iter().filter_map(link_master).collect();
        for master in masters {
            if found.iter().all(|l| l.header.index != master) {
                let link = socket
                    .link_indexed(master)
                    .map_err(|e| e.context(format!("look up interface {master}")))?;
                found.extend(link);
            }
        }
        Ok(Links::new(found))
    }

    pub fn new(all: Vec<LinkMessage>) -> Links {
        let mut ports_of: HashMap<u32, Vec<usize>> = HashMap::new();
        for (position, link) in all.iter().enumerate() {
            if let Some(master) = link_master(link) {
                ports_of.entry(master).or_default().push(position);
            }
        }
        for ports in ports_of.values_mut() {
            ports.sort_by_cached_key(|p| link_name(&all[*p]));
        }
        Links { all, ports_of }
    }

    pub fn by_name(&self, name: &str) -> Option<&LinkMessage> {
        self.all.iter().find(|l| link_name(l) == name)
    }

    pub fn by_index(&self, index: u32) -> Option<&LinkMessage> {
        self.all.iter().find(|l| l.header.index == index)
    }

    /// The bridge called `name`: exit 3 when there is no such link, 7 when it is not a bridge.
    pub fn bridge(&self, name: &str, ns: Option<&str>) -> Result<&LinkMessage> {
        validate_ifname(name)?;
        let link = self.by_name(name).ok_or_else(|| {
            Error::not_found(format!("bridge '{name}' not found in {}", netns::describe(ns)))
        })?;
        if !is_bridge(link) {
            return Err(Error::invalid(format!(
                "'{name}' is not a bridge (it is a {} link)",
                link_kind(link).unwrap_or_else(|| "plain".into())
            )));
        }
        Ok(link)
    }

    /// The interface called `name`; exit 3 when missing.
    pub fn interface(&self, name: &str, ns: Option<&str>) -> Result<&LinkMessage> {
        validate_ifname(name)?;
        self.by_name(name).ok_or_else(|| {
            Error::not_found(format!("interface '{name}' not found in {}", netns::describe(ns)))
        })
    }

    /// `port` as a port of `bridge`; exit 3 when it is not one.
    pub fn port(&self, bridge: &LinkMessage, port: &str, ns: Option<&str>) -> Result<&LinkMessage> {
        let link = self.interface(port, ns)?;
        if link_master(link) != Some(bridge.header.index) {
            return Err(Error::not_found(format!(
                "interface '{port}' is not a port of bridge '{}'",
                link_name(bridge)
            )));
        }
        Ok(link)
    }

    /// Every bridge, sorted by name bytes (brctl's alphasort in the C locale).
    pub fn bridges(&self) -> Vec<&LinkMessage> {
        let mut bridges: Vec<&LinkMessage> = self.all.iter().filter(|l| is_bridge(l)).collect();
        bridges.sort_by_cached_key(|l| link_name(l));
        bridges
    }

    /// The ports of a bridge, sorted by name (brctl lists /sys/class/net/BR/brif alphabetically).
    pub fn ports(&self, bridge: &LinkMessage) -> Vec<&LinkMessage> {
        let positions = self.ports_of.get(&bridge.header.index);
        positions.into_iter().flatten().map(|p| &self.all[*p]).collect()
    }
}

/// Each link's name, master and whether it is a bridge, by index: what the listings that only
/// name links (fdb show, mdb show, link show) keep of a namespace's links. For memory: a link
/// message even in brief is about 800 bytes (each attribute value is 208), this about 60, and
/// link show of 1000 bridges with a port each peaked at 2.2x bridge(8)'s holding messages.
#[derive(Default)]
pub struct Names(HashMap<u32, Named>);

struct Named {
    name: String,
    master: Option<u32>,
    bridge: bool,
}

impl Names {
    /// Keeps what names `link`, read from its message's bytes.
    pub fn take_raw(&mut self, link: &RawLink) {
        let named = Named {
            name: link.name(),
            master: link.master(),
            bridge: link.kind().as_deref() == Some("bridge"),
        };
        self.0.insert(link.index, named);
    }

    pub fn name_of(&self, index: u32) -> Option<&str> {
        self.0.get(&index).map(|n| n.name.as_str())
    }

    /// The name of link `index`, or ip's "if<index>" for one no longer there.
    pub fn name_or_index(&self, index: u32) -> String {
        self.name_of(index)
            .map_or_else(|| format!("if{index}"), str::to_string)
    }

    pub fn master_of(&self, index: u32) -> Option<u32> {
        self.0.get(&index).and_then(|n| n.master)
    }

    pub fn is_bridge(&self, index: u32) -> bool {
        self.0.get(&index).is_some_and(|n| n.bridge)
    }
}

pub fn infos(link: &LinkMessage) -> &[LinkInfo] {
    // Not links::link_attr: its picker cannot hand out a borrow of the attribute.
    link.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::LinkInfo(infos) => Some(infos.as_slice()),
            _ => None,
        })
        .unwrap_or(&[])
}

/// The IFLA_BR_* attributes of a bridge.
pub fn bridge_data(link: &LinkMessage) -> &[InfoBridge] {
    infos(link)
        .iter()
        .find_map(|i| match i {
            LinkInfo::Data(InfoData::Bridge(data)) => Some(data.as_slice()),
            _ => None,
        })
        .unwrap_or(&[])
}

/// The IFLA_VXLAN_* attributes of a VXLAN link; None for any other link.
pub fn vxlan_data(link: &LinkMessage) -> Option<&[InfoVxlan]> {
    infos(link).iter().find_map(|i| match i {
        LinkInfo::Data(InfoData::Vxlan(data)) => Some(data.as_slice()),
        _ => None,
    })
}

/// The IFLA_BRPORT_* attributes of a bridge port.
pub fn port_data(link: &LinkMessage) -> &[InfoBridgePort] {
    infos(link)
        .iter()
        .find_map(|i| match i {
            LinkInfo::PortData(InfoPortData::BridgePort(data)) => Some(data.as_slice()),
            _ => None,
        })
        .unwrap_or(&[])
}

/// Reads one bridge attribute: `br!(link, HelloTime)` is the hello time or 0.
macro_rules! br_attr {
    ($link:expr, $variant:ident) => {
        $crate::model::bridge_data($link)
            .iter()
            .find_map(|a| match a {
                netlink_packet_route::link::InfoBridge::$variant(v) => Some(v.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
}
pub(crate) use br_attr;

/// Reads one port attribute, like [`br_attr`].
macro_rules! port_attr {
    ($link:expr, $variant:ident) => {
        $crate::model::port_data($link)
            .iter()
            .find_map(|a| match a {
                netlink_packet_route::link::InfoBridgePort::$variant(v) => Some(v.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
}
pub(crate) use port_attr;

pub fn stp_enabled(bridge: &LinkMessage) -> bool {
    bridge_data(bridge)
        .iter()
        .any(|a| matches!(a, InfoBridge::StpState(s) if *s != BridgeStpState::Disabled))
}

/// "8000.aabbccddeeff", as brctl prints a bridge id.
pub fn format_bridge_id(id: &BridgeId) -> String {
    format!("{:04x}.{}", id.priority, format_mac(&id.address).replace(':', ""))
}

pub fn bridge_id(bridge: &LinkMessage) -> String {
    let id = bridge_data(bridge).iter().find_map(|a| match a {
        InfoBridge::BridgeId(id) => Some(format_bridge_id(id)),
        _ => None,
    });
    id.unwrap_or_else(|| "0000.000000000000".into())
}

/// A port's STP state, as brctl names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PortState {
    Disabled,
    Listening,
    Learning,
    Forwarding,
    Blocking,
    /// A state brctl does not know.
    #[serde(rename = "<INVALID STATE>")]
    Invalid,
}

impl PortState {
    pub fn of(port: &LinkMessage) -> PortState {
        let state = port_data(port).iter().find_map(|a| match a {
            InfoBridgePort::State(s) => Some(*s),
            _ => None,
        });
        match state {
            Some(BridgePortState::Disabled) => PortState::Disabled,
            Some(BridgePortState::Listening) => PortState::Listening,
            Some(BridgePortState::Learning) => PortState::Learning,
            Some(BridgePortState::Forwarding) => PortState::Forwarding,
            Some(BridgePortState::Blocking) => PortState::Blocking,
            _ => PortState::Invalid,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PortState::Disabled => "disabled",
            PortState::Listening => "listening",
            PortState::Learning => "learning",
            PortState::Forwarding => "forwarding",
            PortState::Blocking => "blocking",
            PortState::Invalid => "<INVALID STATE>",
        }
    }
}

pub fn port_hairpin(port: &LinkMessage) -> bool {
    port_data(port)
        .iter()
        .any(|a| matches!(a, InfoBridgePort::HairpinMode(true)))
}

/// (rx_packets, rx_bytes, tx_packets, tx_bytes)
pub fn counters(link: &LinkMessage) -> (u64, u64, u64, u64) {
    link_attr(link, |a| match a {
        LinkAttribute::Stats64(s) => Some((s.rx_packets, s.rx_bytes, s.tx_packets, s.tx_bytes)),
        _ => None,
    })
    .unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use netlink_packet_route::link::{InfoKind, InfoPortKind};

    const MAC: [u8; 6] = [0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc];

    pub fn bridge_link(name: &str, index: u32, stp: bool) -> LinkMessage {
        let mut link = LinkMessage::default();
        link.header.index = index;
        link.attributes.push(LinkAttribute::IfName(name.into()));
        let state = if stp {
            BridgeStpState::KernelStp
        } else {
            BridgeStpState::Disabled
        };
        let data = vec![
            InfoBridge::BridgeId(BridgeId {
                priority: 0x8000,
                address: MAC,
            }),
            InfoBridge::StpState(state),
        ];
        link.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Bridge),
            LinkInfo::Data(InfoData::Bridge(data)),
        ]));
        link
    }

    pub fn port_link(name: &str, index: u32, master: u32) -> LinkMessage {
        let mut link = LinkMessage::default();
        link.header.index = index;
        link.attributes.push(LinkAttribute::IfName(name.into()));
        link.attributes.push(LinkAttribute::Controller(master));
        link.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::PortKind(InfoPortKind::Bridge),
            LinkInfo::PortData(InfoPortData::BridgePort(vec![
                InfoBridgePort::State(BridgePortState::Forwarding),
                InfoBridgePort::PortNumber(index as u16),
                InfoBridgePort::HairpinMode(true),
            ])),
        ]));
        link
    }

    #[test]
    fn reads_bridges_and_ports() {
        let links = Links::new(vec![
            port_link("b", 3, 1),
            bridge_link("br0", 1, true),
            port_link("a", 4, 1),
        ]);
        let br = links.bridge("br0", None).unwrap();
        assert_eq!(bridge_id(br), "8000.525400aabbcc");
        assert!(stp_enabled(br));
        let ports: Vec<String> = links.ports(br).iter().map(|l| link_name(l)).collect();
        assert_eq!(ports, ["a", "b"]);
        let a = links.port(br, "a", None).unwrap();
        assert_eq!(PortState::of(a), PortState::Forwarding);
        assert!(port_hairpin(a));
        let number: u16 = port_attr!(a, PortNumber);
        assert_eq!(number, 4);
        assert_eq!(links.bridge("missing", Some("Blue")).unwrap_err().exit_code(), 3);
        assert!(links
            .bridge("missing", Some("Blue"))
            .unwrap_err()
            .message
            .contains("namespace 'Blue'"));
        assert_eq!(links.bridge("a", None).unwrap_err().exit_code(), 7);
        assert_eq!(
            links
                .bridge("waytoolongbridgename", None)
                .unwrap_err()
                .exit_code(),
            7
        );
        assert_eq!(links.port(br, "br0", None).unwrap_err().exit_code(), 3);
    }
}
