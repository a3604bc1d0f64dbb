//! `show`'s result (brctl show), built while the link dump streams by: each link's decoded
//! message is turned into the little `show` prints and dropped at once. For memory: a link
//! decoded even in brief, with its bridge or port data, is 4-6 KiB of heap, and holding every
//! link of a namespace of 400 links peaked at 3.8 MiB against brctl show's 1.5 MiB.

use crate::model::{bridge_id, counters, port_attr, stp_enabled, PortState};
use crate::vxlan::VxlanPort;
use netlink_packet_route::link::LinkMessage;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write;
use vnet_common::links::{is_bridge, link_is_up, link_kind, link_master, link_name};
use vnet_common::names::validate_ifname;
use vnet_common::{netns, tags, Error, Render, Result, TextStyle};

/// The bridges, sorted by name (or in the order asked for).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct BridgeList(pub Vec<BridgeInfo>);

/// One bridge as `show` lists it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BridgeInfo {
    pub name: String,
    /// The bridge id as brctl prints it: priority "." MAC, e.g. "8000.aabbccddeeff".
    pub id: String,
    /// Whether the spanning tree protocol is on.
    pub stp: bool,
    /// The administrative UP flag.
    pub up: bool,
    /// The bridge's tag (addbr --tag), absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The ports, sorted by name.
    pub interfaces: Vec<PortInfo>,
}

/// One port of a bridge, with its traffic counters.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PortInfo {
    pub name: String,
    /// The port's tag (e.g. vnet-ns veth --tag), absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The port number on the bridge.
    pub port_no: u16,
    /// The port's STP state.
    pub state: PortState,
    /// The administrative UP flag.
    pub up: bool,
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// For a VXLAN port: its VNI, UDP port and the hosts it floods to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vxlan: Option<VxlanPort>,
}

/// What `show` keeps of a namespace's links as they are read: its bridges (without their
/// ports), the ports of any master, and the name and kind of each link named that is no bridge
/// (for the error that names a link that is not a bridge).
pub struct Listing {
    /// Only bridges tagged so are kept (addbr --tag); the others are as if absent.
    tag: Option<String>,
    /// The bridges asked for by name (all when empty).
    names: Vec<String>,
    bridges: Vec<(u32, BridgeInfo)>,
    /// Each port with its master's index, and a VXLAN port's message (for its flood list).
    ports: Vec<(u32, PortInfo, Option<LinkMessage>)>,
    /// Each link named in `names` that is no bridge: its name and kind.
    others: Vec<(String, Option<String>)>,
}

impl Listing {
    /// An empty listing of the bridges called `names` (all when empty) tagged `tag` (all when
    /// None; a bad label is exit 7).
    pub fn new(names: Vec<String>, tag: Option<String>) -> Result<Listing> {
        tags::check(tag.as_deref())?;
        Ok(Listing {
            tag,
            names,
            bridges: vec![],
            ports: vec![],
            others: vec![],
        })
    }

    /// Keeps what `show` needs of one link.
    pub fn take(&mut self, link: LinkMessage) {
        if is_bridge(&link) {
            let info = BridgeInfo::of(&link);
            if self.tag.is_none() || info.tag == self.tag {
                self.bridges.push((link.header.index, info));
            }
            return;
        }
        let name = link_name(&link);
        if self.names.contains(&name) {
            self.others.push((name, link_kind(&link)));
        }
        if let Some(master) = link_master(&link) {
            let port = PortInfo::of(&link);
            let vxlan = port.vxlan.is_some().then_some(link);
            self.ports.push((master, port, vxlan));
        }
    }

    /// The bridges, sorted by name, or those named in the order asked for (exit 3 for a
    /// missing one, 7 for a link of another kind), each with its ports sorted by name; and the
    /// VXLAN ports' messages by name, for the caller to add their flood lists.
    pub fn finish(mut self, ns: Option<&str>) -> Result<(BridgeList, HashMap<String, LinkMessage>)> {
        self.ports.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        let at: HashMap<u32, usize> = self
            .bridges
            .iter()
            .enumerate()
            .map(|(i, (index, _))| (*index, i))
            .collect();
        let mut vxlan = HashMap::new();
        for (master, port, link) in self.ports.drain(..) {
            if let Some(i) = at.get(&master) {
                vxlan.extend(link.map(|link| (port.name.clone(), link)));
                self.bridges[*i].1.interfaces.push(port);
            }
        }
        let mut bridges: Vec<BridgeInfo> = self.bridges.into_iter().map(|(_, info)| info).collect();
        bridges.sort_by(|a, b| a.name.cmp(&b.name));
        if self.names.is_empty() {
            return Ok((BridgeList(bridges), vxlan));
        }
        let named = self
            .names
            .iter()
            .map(|name| named_bridge(&bridges, &self.others, name, ns))
            .collect::<Result<_>>()?;
        Ok((BridgeList(named), vxlan))
    }
}

/// The bridge called `name`: exit 3 when there is no such link, 7 when it is not a bridge.
fn named_bridge(
    bridges: &[BridgeInfo],
    others: &[(String, Option<String>)],
    name: &str,
    ns: Option<&str>,
) -> Result<BridgeInfo> {
    validate_ifname(name)?;
    if let Some(bridge) = bridges.iter().find(|b| b.name == name) {
        return Ok(bridge.clone());
    }
    match others.iter().find(|(other, _)| other == name) {
        Some((_, kind)) => Err(Error::invalid(format!(
            "'{name}' is not a bridge (it is a {} link)",
            kind.as_deref().unwrap_or("plain")
        ))),
        None => Err(Error::not_found(format!(
            "bridge '{name}' not found in {}",
            netns::describe(ns)
        ))),
    }
}

impl BridgeInfo {
    fn of(bridge: &LinkMessage) -> BridgeInfo {
        BridgeInfo {
            name: link_name(bridge),
            id: bridge_id(bridge),
            stp: stp_enabled(bridge),
            up: link_is_up(bridge),
            tag: tags::link_tag(bridge),
            interfaces: vec![],
        }
    }
}

impl PortInfo {
    pub fn of(port: &LinkMessage) -> PortInfo {
        let (rx_packets, rx_bytes, tx_packets, tx_bytes) = counters(port);
        PortInfo {
            name: link_name(port),
            tag: tags::link_tag(port),
            port_no: port_attr!(port, PortNumber),
            state: PortState::of(port),
            up: link_is_up(port),
            rx_packets,
            rx_bytes,
            tx_packets,
            tx_bytes,
            vxlan: VxlanPort::of(port, &[]),
        }
    }
}

impl Render for BridgeList {
    fn text(&self, style: TextStyle) -> String {
        let mut text = String::new();
        if style.headers {
            text.push_str("bridge name\tbridge id\t\tSTP enabled\tinterfaces\n");
        }
        for bridge in &self.0 {
            let names: Vec<&str> = bridge.interfaces.iter().map(|p| p.name.as_str()).collect();
            let yes_no = if bridge.stp { "yes" } else { "no" };
            let _ = writeln!(
                text,
                "{}\t\t{}\t{yes_no}\t\t{}",
                bridge.name,
                bridge.id,
                names.join("\n\t\t\t\t\t\t\t")
            );
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::{bridge_link, port_link};

    /// `show`'s result for these links, read in this order.
    fn list_bridges(links: Vec<LinkMessage>, names: &[String]) -> Result<BridgeList> {
        let mut listing = Listing::new(names.to_vec(), None)?;
        links.into_iter().for_each(|link| listing.take(link));
        Ok(listing.finish(None)?.0)
    }

    #[test]
    fn show_is_brctl_layout_and_json_shape() {
        let links = || {
            vec![
                port_link("vnet1", 5, 2),
                bridge_link("virbr0", 2, false),
                port_link("virbr0-nic", 3, 2),
                port_link("vnet0", 4, 2),
                bridge_link("br-empty", 9, true),
            ]
        };
        let out = list_bridges(links(), &[]).unwrap();
        assert_eq!(
            out.text(TextStyle::default()),
            "bridge name\tbridge id\t\tSTP enabled\tinterfaces\n\
             br-empty\t\t8000.525400aabbcc\tyes\t\t\n\
             virbr0\t\t8000.525400aabbcc\tno\t\tvirbr0-nic\n\t\t\t\t\t\t\tvnet0\n\t\t\t\t\t\t\tvnet1\n"
        );
        let quiet = out.text(TextStyle { headers: false });
        assert!(quiet.starts_with("br-empty\t"), "{quiet}");
        let json = serde_json::to_value(&out).unwrap();
        let virbr0 = &json[1];
        assert_eq!(virbr0["name"], "virbr0");
        assert_eq!(virbr0["id"], "8000.525400aabbcc");
        assert_eq!(virbr0["stp"], false);
        let port = &virbr0["interfaces"][0];
        assert_eq!(port["name"], "virbr0-nic");
        assert_eq!(port["state"], "forwarding");
        for field in ["port_no", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes"] {
            assert!(port[field].is_u64(), "{field}");
        }
        let named = list_bridges(links(), &["virbr0".into()]).unwrap();
        assert_eq!(named.0.len(), 1);
        assert_eq!(
            list_bridges(links(), &["nope".into()]).unwrap_err().exit_code(),
            3
        );
        assert_eq!(
            list_bridges(links(), &["vnet0".into()]).unwrap_err().exit_code(),
            7
        );
    }
}
