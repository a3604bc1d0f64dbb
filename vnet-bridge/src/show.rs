//! Read verbs: show, showmacs, showstp. JSON by default; `-o text` is brctl's exact layout.

use crate::listing::{BridgeList, Listing};
use crate::model::{
    self, br_attr, bridge_id, format_bridge_id, port_attr, port_hairpin, stp_enabled, Links, PortState,
};
use crate::vxlan::VxlanPort;
use crate::Ctx;
use netlink_packet_route::link::{InfoBridge, InfoBridgePort, LinkMessage};
use netlink_packet_route::neighbour::{NeighbourAttribute, NeighbourMessage, NeighbourState};
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write;
use vnet_common::links::{link_master, link_name};
use vnet_common::mac::format_mac;
use vnet_common::netlink::RouteSocket;
use vnet_common::{Context, Journal, Render, Result, TextStyle, Verb};

/// Centiseconds (the kernel's clock_t) as brctl's timer column: "%4i.%.2i".
pub fn timer(centis: u64) -> String {
    format!("{:4}.{:02}", centis / 100, centis % 100)
}

/// Centiseconds as the JSON's seconds.
fn seconds(centis: u64) -> f64 {
    centis as f64 / 100.0
}

/// The JSON's seconds back to centiseconds, for the text layout.
fn centis(seconds: f64) -> u64 {
    (seconds * 100.0).round() as u64
}

/// List bridges and their ports (brctl show).
///
/// Bridges and ports are sorted by name, as brctl does; with -o text -q the header line is left out.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Show {
    /// Only these bridges, in this order (exit 3 if one is missing).
    bridges: Vec<String>,
    /// Only the bridges tagged LABEL (addbr --tag).
    #[arg(long, value_name = "LABEL")]
    tag: Option<String>,
}

impl Show {
    pub fn new(bridges: Vec<String>) -> Show {
        Show { bridges, tag: None }
    }
}

impl Verb for Show {
    type Ctx = Ctx;
    type Output = BridgeList;

    fn run(self, ctx: &mut Ctx, _journal: &mut Journal) -> Result<BridgeList> {
        let mut listing = Listing::new(self.bridges, self.tag)?;
        ctx.each_link_counted_now(|link| listing.take(link))?;
        let (mut list, vxlan_ports) = listing.finish(ctx.netns())?;
        // The flood list of VXLAN ports is in the FDB: dumped only when there is such a port.
        if !vxlan_ports.is_empty() {
            let fdb = crate::fdb::dump_fdb(ctx.netns())?;
            for port in list.0.iter_mut().flat_map(|b| b.interfaces.iter_mut()) {
                if let Some(link) = vxlan_ports.get(&port.name) {
                    port.vxlan = VxlanPort::of(link, &fdb);
                }
            }
        }
        Ok(list)
    }
}

/// The bridge's forwarding database (brctl showmacs), read with an AF_BRIDGE neighbour dump.
///
/// Entries are sorted by MAC; with -o text -q the header line is left out.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Showmacs {
    /// The bridge.
    bridge: String,
}

/// The forwarding database entries that point at a port (not the bridge's own), sorted by MAC.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct FdbList(pub Vec<FdbEntry>);

/// One forwarding database entry.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FdbEntry {
    /// The number of the port the MAC is behind.
    pub port_no: u16,
    /// The name of that port.
    pub port: String,
    pub mac: String,
    /// True for the ports' own addresses (permanent entries).
    pub local: bool,
    /// Seconds since the entry was last seen; 0 for static entries, as brctl shows them.
    pub ageing: f64,
    /// The VLAN of the entry, or null.
    pub vlan: Option<u16>,
}

impl Verb for Showmacs {
    type Ctx = Ctx;
    type Output = FdbList;

    fn run(self, ctx: &mut Ctx, _journal: &mut Journal) -> Result<FdbList> {
        let ns = ctx.netns().map(str::to_string);
        let at = ctx.here()?;
        let links = Links::named_now(at.socket, &[&self.bridge])?;
        let bridge = links.bridge(&self.bridge, ns.as_deref())?;
        let entries = at
            .socket
            .bridge_fdb(bridge.header.index)
            .context(format!("dump the forwarding database of '{}'", self.bridge))?;
        let ports = fdb_ports(at.socket, bridge.header.index, &entries)?;
        let ports: Vec<&LinkMessage> = ports.iter().collect();
        let mut rows: Vec<FdbEntry> = entries
            .iter()
            .filter_map(|e| FdbEntry::from_entry(e, bridge.header.index, &ports))
            .collect();
        // Lower-case hex pairs of one width sort as the MAC bytes do.
        rows.sort_by(|a, b| a.mac.cmp(&b.mac));
        Ok(FdbList(rows))
    }
}

/// The ports of `bridge` that `entries` (its FDB) name, each asked for by index. For speed: any
/// link dump, however filtered, costs the kernel time for every link of the namespace (1.6 ms
/// with 3000 present, strace -T), a one-link request does not; with more than 32 ports named,
/// one dump of the bridge's ports is the cheaper.
fn fdb_ports(
    socket: &mut RouteSocket,
    bridge: u32,
    entries: &[NeighbourMessage],
) -> Result<Vec<LinkMessage>> {
    let mut indexes: Vec<u32> = entries
        .iter()
        .map(|e| e.header.ifindex)
        .filter(|i| *i != bridge)
        .collect();
    indexes.sort_unstable();
    indexes.dedup();
    if indexes.len() > 32 {
        return socket.links_of_master(bridge).context("list interfaces");
    }
    let mut ports = vec![];
    for index in indexes {
        let link = socket
            .link_indexed(index)
            .with_context(|| format!("look up interface {index}"))?;
        ports.extend(link.filter(|l| link_master(l) == Some(bridge)));
    }
    Ok(ports)
}

impl FdbEntry {
    fn from_entry(entry: &NeighbourMessage, bridge: u32, ports: &[&LinkMessage]) -> Option<FdbEntry> {
        let attr = |f: fn(&NeighbourAttribute) -> Option<u64>| entry.attributes.iter().find_map(f);
        // Entries of the bridge's own FDB carry NDA_MASTER = the bridge; those whose ifindex is
        // the bridge itself have no port (brctl skips them too).
        let master = attr(|a| match a {
            NeighbourAttribute::Controller(i) => Some(*i as u64),
            _ => None,
        })?;
        if master != bridge as u64 || entry.header.ifindex == bridge {
            return None;
        }
        let port = ports.iter().find(|p| p.header.index == entry.header.ifindex)?;
        let mac = entry.attributes.iter().find_map(|a| match a {
            NeighbourAttribute::LinkLayerAddress(mac) => Some(format_mac(mac)),
            _ => None,
        })?;
        let stuck = matches!(
            entry.header.state,
            NeighbourState::Permanent | NeighbourState::Noarp
        );
        let updated = attr(|a| match a {
            NeighbourAttribute::CacheInfo(c) => Some(c.updated as u64),
            _ => None,
        });
        let vlan = attr(|a| match a {
            NeighbourAttribute::Vlan(v) => Some(*v as u64),
            _ => None,
        });
        Some(FdbEntry {
            port_no: port_attr!(port, PortNumber),
            port: link_name(port),
            mac,
            local: entry.header.state == NeighbourState::Permanent,
            ageing: seconds(if stuck { 0 } else { updated.unwrap_or(0) }),
            vlan: vlan.map(|v| v as u16),
        })
    }
}

impl Render for FdbList {
    fn text(&self, style: TextStyle) -> String {
        let mut text = String::new();
        if style.headers {
            text.push_str("port no\tmac addr\t\tis local?\tageing timer\n");
        }
        for row in &self.0 {
            let local = if row.local { "yes" } else { "no" };
            let ageing = timer(centis(row.ageing));
            let _ = writeln!(text, "{:3}\t{}\t{local}\t\t{ageing}", row.port_no, row.mac);
        }
        text
    }
}

/// Spanning-tree state of a bridge and its ports (brctl showstp).
///
/// Times are in seconds.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Showstp {
    /// The bridge.
    bridge: String,
}

/// The spanning-tree state of a bridge (IFLA_BR_*) and of each of its ports (IFLA_BRPORT_*).
#[derive(Debug, Serialize, JsonSchema)]
pub struct StpReport {
    pub name: String,
    /// Whether the spanning tree protocol is on.
    pub stp: bool,
    /// The bridge id, "8000.aabbccddeeff".
    pub id: String,
    /// The root bridge's id.
    pub designated_root: String,
    pub root_port: u16,
    /// The path cost to the root.
    pub path_cost: u32,
    pub max_age: f64,
    pub hello_time: f64,
    pub forward_delay: f64,
    pub ageing_time: f64,
    pub hello_timer: f64,
    pub tcn_timer: f64,
    pub topology_change_timer: f64,
    pub gc_timer: f64,
    pub topology_change: bool,
    pub topology_change_detected: bool,
    /// The ports, sorted by name.
    pub ports: Vec<PortStp>,
}

/// The spanning-tree state of one port.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PortStp {
    pub name: String,
    pub port_no: u16,
    /// Four hex digits, as brctl prints it ("8001").
    pub port_id: String,
    pub state: PortState,
    pub designated_root: String,
    pub path_cost: u32,
    pub designated_bridge: String,
    pub message_age_timer: f64,
    /// Four hex digits.
    pub designated_port: String,
    pub forward_delay_timer: f64,
    pub designated_cost: u16,
    pub hold_timer: f64,
    pub config_pending: bool,
    pub topology_change_ack: bool,
    /// Whether hairpin mode (reflective relay) is on.
    pub hairpin: bool,
}

impl Showstp {
    pub fn new(bridge: String) -> Showstp {
        Showstp { bridge }
    }
}

impl Verb for Showstp {
    type Ctx = Ctx;
    type Output = StpReport;

    fn run(self, ctx: &mut Ctx, _journal: &mut Journal) -> Result<StpReport> {
        let (bridge, ports) = ctx.bridge_ports_now(&self.bridge, PortStp::of)?;
        Ok(StpReport::of(&bridge, ports))
    }
}

fn root_id(bridge: &LinkMessage) -> String {
    model::bridge_data(bridge)
        .iter()
        .find_map(|a| match a {
            InfoBridge::RootId(id) => Some(format_bridge_id(id)),
            _ => None,
        })
        .unwrap_or_else(|| "0000.000000000000".into())
}

fn port_ids(port: &LinkMessage) -> (String, String) {
    let mut root = "0000.000000000000".to_string();
    let mut bridge = root.clone();
    for attr in model::port_data(port) {
        match attr {
            InfoBridgePort::RootId(id) => root = format_bridge_id(id),
            InfoBridgePort::BridgeId(id) => bridge = format_bridge_id(id),
            _ => {}
        }
    }
    (root, bridge)
}

impl StpReport {
    fn of(br: &LinkMessage, ports: Vec<PortStp>) -> StpReport {
        let time = |centis: u32| seconds(centis as u64);
        StpReport {
            name: link_name(br),
            stp: stp_enabled(br),
            id: bridge_id(br),
            designated_root: root_id(br),
            root_port: br_attr!(br, RootPort),
            path_cost: br_attr!(br, RootPathCost),
            max_age: time(br_attr!(br, MaxAge)),
            hello_time: time(br_attr!(br, HelloTime)),
            forward_delay: time(br_attr!(br, ForwardDelay)),
            ageing_time: time(br_attr!(br, AgeingTime)),
            hello_timer: seconds(br_attr!(br, HelloTimer)),
            tcn_timer: seconds(br_attr!(br, TcnTimer)),
            topology_change_timer: seconds(br_attr!(br, TopologyChangeTimer)),
            gc_timer: seconds(br_attr!(br, GcTimer)),
            topology_change: br_attr!(br, TopologyChange) != 0,
            topology_change_detected: br_attr!(br, TopologyChangeDetected) != 0,
            ports,
        }
    }

    /// The bridge-wide part of brctl's layout: two timers per line, as its br_dump_info prints
    /// them (its "bridge" values are the same kernel fields).
    fn bridge_text(&self) -> String {
        let row = |a: &str, x: f64, b: &str, y: f64| {
            format!("{a}{}\t\t\t{b}{}\n", timer(centis(x)), timer(centis(y)))
        };
        let mut t = format!(
            "{}\n bridge id\t\t{}\n designated root\t{}\n root port\t\t{:4}\t\t\tpath cost\t\t{:4}\n",
            self.name, self.id, self.designated_root, self.root_port, self.path_cost
        );
        t += &row(" max age\t\t", self.max_age, "bridge max age\t\t", self.max_age);
        t += &row(
            " hello time\t\t",
            self.hello_time,
            "bridge hello time\t",
            self.hello_time,
        );
        t += &row(
            " forward delay\t\t",
            self.forward_delay,
            "bridge forward delay\t",
            self.forward_delay,
        );
        t += &format!(" ageing time\t\t{}\n", timer(centis(self.ageing_time)));
        t += &row(
            " hello timer\t\t",
            self.hello_timer,
            "tcn timer\t\t",
            self.tcn_timer,
        );
        t += &row(
            " topology change timer\t",
            self.topology_change_timer,
            "gc timer\t\t",
            self.gc_timer,
        );
        t += " flags\t\t\t";
        if self.topology_change {
            t += "TOPOLOGY_CHANGE ";
        }
        if self.topology_change_detected {
            t += "TOPOLOGY_CHANGE_DETECTED ";
        }
        t += "\n\n\n";
        t
    }
}

impl Render for StpReport {
    fn text(&self, _style: TextStyle) -> String {
        let mut text = self.bridge_text();
        for port in &self.ports {
            port.write_text(&mut text);
        }
        text
    }
}

impl PortStp {
    fn of(p: &LinkMessage) -> PortStp {
        let port_id: u16 = port_attr!(p, PortId);
        let designated_port: u16 = port_attr!(p, DesignatedPort);
        let (designated_root, designated_bridge) = port_ids(p);
        PortStp {
            name: link_name(p),
            port_no: port_attr!(p, PortNumber),
            port_id: format!("{port_id:04x}"),
            state: PortState::of(p),
            designated_root,
            path_cost: port_attr!(p, Cost),
            designated_bridge,
            message_age_timer: seconds(port_attr!(p, MessageAgeTimer)),
            designated_port: format!("{designated_port:04x}"),
            forward_delay_timer: seconds(port_attr!(p, ForwardDelayTimer)),
            designated_cost: port_attr!(p, DesignatedCost),
            hold_timer: seconds(port_attr!(p, HoldTimer)),
            config_pending: port_attr!(p, ConfigPending),
            topology_change_ack: port_attr!(p, TopologyChangeAck),
            hairpin: port_hairpin(p),
        }
    }

    /// One port's block of brctl's showstp layout.
    fn write_text(&self, t: &mut String) {
        let age = timer(centis(self.message_age_timer));
        let fdt = timer(centis(self.forward_delay_timer));
        let hold = timer(centis(self.hold_timer));
        let state = self.state.as_str();
        let _ = writeln!(t, "{} ({})", self.name, self.port_no);
        let _ = writeln!(t, " port id\t\t{}\t\t\tstate\t\t{state:>15}", self.port_id);
        let _ = writeln!(
            t,
            " designated root\t{}\tpath cost\t\t{:4}",
            self.designated_root, self.path_cost
        );
        let _ = writeln!(
            t,
            " designated bridge\t{}\tmessage age timer\t{age}",
            self.designated_bridge
        );
        let _ = writeln!(
            t,
            " designated port\t{}\t\t\tforward delay timer\t{fdt}",
            self.designated_port
        );
        let _ = writeln!(
            t,
            " designated cost\t{:4}\t\t\thold timer\t\t{hold}",
            self.designated_cost
        );
        let mut flags = String::new();
        if self.config_pending {
            flags.push_str("CONFIG_PENDING ");
        }
        if self.topology_change_ack {
            flags.push_str("TOPOLOGY_CHANGE_ACK ");
        }
        let _ = write!(t, " flags\t\t\t{flags}");
        if self.hairpin {
            let _ = write!(t, "\n hairpin mode\t\t{:4}", 1);
        }
        t.push_str("\n\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::port_link;
    use netlink_packet_route::neighbour::{NeighbourCacheInfo, NeighbourFlags};

    #[test]
    fn timers_print_as_brctl() {
        assert_eq!(timer(1499), "  14.99");
        assert_eq!(timer(0), "   0.00");
        assert_eq!(timer(30000), " 300.00");
    }

    fn fdb(ifindex: u32, master: Option<u32>, state: NeighbourState, updated: u32) -> NeighbourMessage {
        let mut m = NeighbourMessage::default();
        m.header.ifindex = ifindex;
        m.header.state = state;
        m.header.flags = NeighbourFlags::empty();
        m.attributes
            .push(NeighbourAttribute::LinkLayerAddress(vec![2, 0, 0, 0, 0, 1]));
        if let Some(master) = master {
            m.attributes.push(NeighbourAttribute::Controller(master));
        }
        // struct nda_cacheinfo: confirmed, used, updated, refcnt (native-endian u32s).
        let mut raw = [0u8; 16];
        raw[8..12].copy_from_slice(&updated.to_ne_bytes());
        let cache = NeighbourCacheInfo::parse(&raw).unwrap();
        m.attributes.push(NeighbourAttribute::CacheInfo(cache));
        m
    }

    #[test]
    fn fdb_rows_are_the_bridge_entries_on_ports() {
        let port = port_link("vnet0", 4, 2);
        let ports = [&port];
        let learned =
            FdbEntry::from_entry(&fdb(4, Some(2), NeighbourState::Reachable, 250), 2, &ports).unwrap();
        assert!(!learned.local);
        assert_eq!(learned.ageing, 2.5);
        assert_eq!(learned.mac, "02:00:00:00:00:01");
        let text = FdbList(vec![learned]).text(TextStyle::default());
        assert_eq!(
            text,
            "port no\tmac addr\t\tis local?\tageing timer\n  4\t02:00:00:00:00:01\tno\t\t   2.50\n"
        );
        let local =
            FdbEntry::from_entry(&fdb(4, Some(2), NeighbourState::Permanent, 999), 2, &ports).unwrap();
        assert!(local.local);
        assert_eq!(local.ageing, 0.0, "static entries show 0.00 as in brctl");
        // The bridge's own address, a device's "self" entry, another bridge's entry: not listed.
        assert!(FdbEntry::from_entry(&fdb(2, Some(2), NeighbourState::Permanent, 0), 2, &ports).is_none());
        assert!(FdbEntry::from_entry(&fdb(4, None, NeighbourState::Permanent, 0), 2, &ports).is_none());
        assert!(FdbEntry::from_entry(&fdb(4, Some(7), NeighbourState::Reachable, 0), 2, &ports).is_none());
    }
}
