//! Read verbs: show, showmacs, showstp. JSON by default; `-o text` is brctl's exact layout.

use crate::model::{
    self, br_attr, bridge_id, counters, format_bridge_id, port_attr, port_hairpin, port_state, stp_enabled,
    Links,
};
use futures::TryStreamExt;
use netlink_packet_route::link::{InfoBridge, InfoBridgePort, LinkMessage};
use netlink_packet_route::neighbour::{NeighbourAttribute, NeighbourMessage, NeighbourState};
use netlink_packet_route::AddressFamily;
use rtnetlink::Handle;
use serde_json::{json, Value};
use std::fmt::Write;
use vnet_common::links::{format_mac, link_is_up, link_name};
use vnet_common::{Error, Outcome, Result};

/// `show [BR...]`: every bridge (sorted) or the named ones in the order given.
pub async fn show(handle: &Handle, ns: Option<&str>, names: &[String]) -> Result<Outcome> {
    let links = Links::load(handle).await?;
    render_show(&links, ns, names)
}

/// The `show` outcome for one link dump.
fn render_show(links: &Links, ns: Option<&str>, names: &[String]) -> Result<Outcome> {
    let bridges: Vec<&LinkMessage> = if names.is_empty() {
        links.bridges()
    } else {
        names.iter().map(|n| links.bridge(n, ns)).collect::<Result<_>>()?
    };
    let mut text = String::from("bridge name\tbridge id\t\tSTP enabled\tinterfaces\n");
    let mut json = Vec::new();
    for bridge in bridges {
        let ports = links.ports(bridge);
        json.push(bridge_json(bridge, &ports));
        let names: Vec<String> = ports.iter().map(|p| link_name(p)).collect();
        let yes_no = if stp_enabled(bridge) { "yes" } else { "no" };
        let _ = writeln!(
            text,
            "{}\t\t{}\t{yes_no}\t\t{}",
            link_name(bridge),
            bridge_id(bridge),
            names.join("\n\t\t\t\t\t\t\t")
        );
    }
    Ok(Outcome::new(Value::Array(json), text))
}

fn bridge_json(bridge: &LinkMessage, ports: &[&LinkMessage]) -> Value {
    let interfaces: Vec<Value> = ports
        .iter()
        .map(|p| {
            let (rx_packets, rx_bytes, tx_packets, tx_bytes) = counters(p);
            json!({
                "name": link_name(p),
                "port_no": port_attr!(p, PortNumber),
                "state": port_state(p),
                "up": link_is_up(p),
                "rx_packets": rx_packets,
                "rx_bytes": rx_bytes,
                "tx_packets": tx_packets,
                "tx_bytes": tx_bytes,
            })
        })
        .collect();
    json!({
        "name": link_name(bridge),
        "id": bridge_id(bridge),
        "stp": stp_enabled(bridge),
        "up": link_is_up(bridge),
        "interfaces": interfaces,
    })
}

/// Centiseconds (the kernel's clock_t) as brctl's timer column: "%4i.%.2i".
pub fn timer(centis: u64) -> String {
    format!("{:4}.{:02}", centis / 100, centis % 100)
}

fn seconds(centis: u64) -> Value {
    json!(centis as f64 / 100.0)
}

/// `showmacs BR`: the bridge's FDB entries that point at a port (not the bridge's own address).
pub async fn showmacs(handle: &Handle, ns: Option<&str>, name: &str) -> Result<Outcome> {
    let links = Links::load(handle).await?;
    let bridge = links.bridge(name, ns)?;
    let ports = links.ports(bridge);
    let mut request = handle.neighbours().get();
    request = request.set_address_family(AddressFamily::Bridge);
    let entries: Vec<NeighbourMessage> = request
        .execute()
        .try_collect()
        .await
        .map_err(|e| Error::from(e).context(format!("dump the forwarding database of '{name}'")))?;
    let mut rows: Vec<FdbRow> = entries
        .iter()
        .filter_map(|e| FdbRow::from_entry(e, bridge.header.index, &ports))
        .collect();
    rows.sort_by(|a, b| a.mac.cmp(&b.mac));
    let mut text = String::from("port no\tmac addr\t\tis local?\tageing timer\n");
    for row in &rows {
        let local = if row.local { "yes" } else { "no" };
        let _ = writeln!(
            text,
            "{:3}\t{}\t{local}\t\t{}",
            row.port_no,
            format_mac(&row.mac),
            timer(row.ageing)
        );
    }
    let json: Vec<Value> = rows.iter().map(FdbRow::json).collect();
    Ok(Outcome::new(Value::Array(json), text))
}

struct FdbRow {
    port_no: u16,
    port: String,
    mac: Vec<u8>,
    local: bool,
    /// Centiseconds since the entry was last updated; 0 for static entries, as brctl shows them.
    ageing: u64,
    vlan: Option<u16>,
}

impl FdbRow {
    fn from_entry(entry: &NeighbourMessage, bridge: u32, ports: &[&LinkMessage]) -> Option<FdbRow> {
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
            NeighbourAttribute::LinkLayerAddress(mac) => Some(mac.clone()),
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
        Some(FdbRow {
            port_no: port_attr!(port, PortNumber),
            port: link_name(port),
            mac,
            local: entry.header.state == NeighbourState::Permanent,
            ageing: if stuck { 0 } else { updated.unwrap_or(0) },
            vlan: vlan.map(|v| v as u16),
        })
    }

    fn json(&self) -> Value {
        json!({
            "port_no": self.port_no,
            "port": self.port,
            "mac": format_mac(&self.mac),
            "local": self.local,
            "ageing": seconds(self.ageing),
            "vlan": self.vlan,
        })
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

/// `showstp BR`: brctl's layout, fields from IFLA_BR_* and IFLA_BRPORT_*.
pub async fn showstp(handle: &Handle, ns: Option<&str>, name: &str) -> Result<Outcome> {
    let links = Links::load(handle).await?;
    let br = links.bridge(name, ns)?;
    let stp = BridgeStp::read(br);
    let mut text = stp.text(br);
    let ports: Vec<Value> = links.ports(br).iter().map(|p| port_stp(&mut text, p)).collect();
    let mut json = stp.json(br);
    json["ports"] = Value::Array(ports);
    Ok(Outcome::new(json, text))
}

/// The bridge-wide part of `showstp`; times in centiseconds (the kernel's clock_t).
struct BridgeStp {
    max_age: u64,
    hello: u64,
    fd: u64,
    ageing: u64,
    hello_timer: u64,
    tcn_timer: u64,
    tc_timer: u64,
    gc_timer: u64,
    root_port: u16,
    path_cost: u32,
    tc: bool,
    tcd: bool,
}

impl BridgeStp {
    fn read(br: &LinkMessage) -> BridgeStp {
        BridgeStp {
            max_age: br_attr!(br, MaxAge) as u64,
            hello: br_attr!(br, HelloTime) as u64,
            fd: br_attr!(br, ForwardDelay) as u64,
            ageing: br_attr!(br, AgeingTime) as u64,
            hello_timer: br_attr!(br, HelloTimer),
            tcn_timer: br_attr!(br, TcnTimer),
            tc_timer: br_attr!(br, TopologyChangeTimer),
            gc_timer: br_attr!(br, GcTimer),
            root_port: br_attr!(br, RootPort),
            path_cost: br_attr!(br, RootPathCost),
            tc: br_attr!(br, TopologyChange) != 0,
            tcd: br_attr!(br, TopologyChangeDetected) != 0,
        }
    }

    fn text(&self, br: &LinkMessage) -> String {
        // Two timers per line, as brctl's br_dump_info prints them (its "bridge" values are the
        // same kernel fields).
        let row = |a: &str, x: u64, b: &str, y: u64| format!("{a}{}\t\t\t{b}{}\n", timer(x), timer(y));
        let mut t = format!(
            "{}\n bridge id\t\t{}\n designated root\t{}\n root port\t\t{:4}\t\t\tpath cost\t\t{:4}\n",
            link_name(br),
            bridge_id(br),
            root_id(br),
            self.root_port,
            self.path_cost
        );
        t += &row(" max age\t\t", self.max_age, "bridge max age\t\t", self.max_age);
        t += &row(" hello time\t\t", self.hello, "bridge hello time\t", self.hello);
        t += &row(" forward delay\t\t", self.fd, "bridge forward delay\t", self.fd);
        t += &format!(" ageing time\t\t{}\n", timer(self.ageing));
        t += &row(
            " hello timer\t\t",
            self.hello_timer,
            "tcn timer\t\t",
            self.tcn_timer,
        );
        t += &row(
            " topology change timer\t",
            self.tc_timer,
            "gc timer\t\t",
            self.gc_timer,
        );
        t += " flags\t\t\t";
        if self.tc {
            t += "TOPOLOGY_CHANGE ";
        }
        if self.tcd {
            t += "TOPOLOGY_CHANGE_DETECTED ";
        }
        t += "\n\n\n";
        t
    }

    fn json(&self, br: &LinkMessage) -> Value {
        json!({
            "name": link_name(br),
            "stp": stp_enabled(br),
            "id": bridge_id(br),
            "designated_root": root_id(br),
            "root_port": self.root_port,
            "path_cost": self.path_cost,
            "max_age": seconds(self.max_age),
            "hello_time": seconds(self.hello),
            "forward_delay": seconds(self.fd),
            "ageing_time": seconds(self.ageing),
            "hello_timer": seconds(self.hello_timer),
            "tcn_timer": seconds(self.tcn_timer),
            "topology_change_timer": seconds(self.tc_timer),
            "gc_timer": seconds(self.gc_timer),
            "topology_change": self.tc,
            "topology_change_detected": self.tcd,
        })
    }
}

/// One port's block of `showstp` (appended to `t`) and its JSON.
fn port_stp(t: &mut String, p: &LinkMessage) -> Value {
    let port_no: u16 = port_attr!(p, PortNumber);
    let port_id: u16 = port_attr!(p, PortId);
    let cost: u32 = port_attr!(p, Cost);
    let dport: u16 = port_attr!(p, DesignatedPort);
    let dcost: u16 = port_attr!(p, DesignatedCost);
    let age: u64 = port_attr!(p, MessageAgeTimer);
    let fdt: u64 = port_attr!(p, ForwardDelayTimer);
    let hold: u64 = port_attr!(p, HoldTimer);
    let pending: bool = port_attr!(p, ConfigPending);
    let tca: bool = port_attr!(p, TopologyChangeAck);
    let hairpin = port_hairpin(p);
    let (root, dbridge) = port_ids(p);
    let state = port_state(p);
    let _ = writeln!(t, "{} ({port_no})", link_name(p));
    let _ = writeln!(t, " port id\t\t{port_id:04x}\t\t\tstate\t\t{state:>15}");
    let _ = writeln!(t, " designated root\t{root}\tpath cost\t\t{cost:4}");
    let _ = writeln!(
        t,
        " designated bridge\t{dbridge}\tmessage age timer\t{}",
        timer(age)
    );
    let _ = writeln!(
        t,
        " designated port\t{dport:04x}\t\t\tforward delay timer\t{}",
        timer(fdt)
    );
    let _ = writeln!(
        t,
        " designated cost\t{dcost:4}\t\t\thold timer\t\t{}",
        timer(hold)
    );
    let mut flags = String::new();
    if pending {
        flags.push_str("CONFIG_PENDING ");
    }
    if tca {
        flags.push_str("TOPOLOGY_CHANGE_ACK ");
    }
    let _ = write!(t, " flags\t\t\t{flags}");
    if hairpin {
        let _ = write!(t, "\n hairpin mode\t\t{:4}", 1);
    }
    t.push_str("\n\n");
    json!({
        "name": link_name(p),
        "port_no": port_no,
        "port_id": format!("{port_id:04x}"),
        "state": state,
        "designated_root": root,
        "path_cost": cost,
        "designated_bridge": dbridge,
        "message_age_timer": seconds(age),
        "designated_port": format!("{dport:04x}"),
        "forward_delay_timer": seconds(fdt),
        "designated_cost": dcost,
        "hold_timer": seconds(hold),
        "config_pending": pending,
        "topology_change_ack": tca,
        "hairpin": hairpin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::{bridge_link, port_link};
    use netlink_packet_route::neighbour::{NeighbourCacheInfo, NeighbourFlags};

    #[test]
    fn timers_print_as_brctl() {
        assert_eq!(timer(1499), "  14.99");
        assert_eq!(timer(0), "   0.00");
        assert_eq!(timer(30000), " 300.00");
    }

    #[test]
    fn show_is_brctl_layout_and_json_shape() {
        let links = Links::new(vec![
            port_link("vnet1", 5, 2),
            bridge_link("virbr0", 2, false),
            port_link("virbr0-nic", 3, 2),
            port_link("vnet0", 4, 2),
            bridge_link("br-empty", 9, true),
        ]);
        let out = render_show(&links, None, &[]).unwrap();
        assert_eq!(
            out.text,
            "bridge name\tbridge id\t\tSTP enabled\tinterfaces\n\
             br-empty\t\t8000.525400aabbcc\tyes\t\t\n\
             virbr0\t\t8000.525400aabbcc\tno\t\tvirbr0-nic\n\t\t\t\t\t\t\tvnet0\n\t\t\t\t\t\t\tvnet1\n"
        );
        let virbr0 = &out.json[1];
        assert_eq!(virbr0["name"], "virbr0");
        assert_eq!(virbr0["id"], "8000.525400aabbcc");
        assert_eq!(virbr0["stp"], false);
        let port = &virbr0["interfaces"][0];
        assert_eq!(port["name"], "virbr0-nic");
        assert_eq!(port["state"], "forwarding");
        for field in ["port_no", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes"] {
            assert!(port[field].is_u64(), "{field}");
        }
        let named = render_show(&links, None, &["virbr0".into()]).unwrap();
        assert_eq!(named.json.as_array().unwrap().len(), 1);
        assert_eq!(
            render_show(&links, None, &["nope".into()])
                .unwrap_err()
                .exit_code(),
            3
        );
        assert_eq!(
            render_show(&links, None, &["vnet0".into()])
                .unwrap_err()
                .exit_code(),
            7
        );
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
            FdbRow::from_entry(&fdb(4, Some(2), NeighbourState::Reachable, 250), 2, &ports).unwrap();
        assert!(!learned.local);
        assert_eq!(learned.ageing, 250);
        assert_eq!(learned.json()["mac"], "02:00:00:00:00:01");
        assert_eq!(learned.json()["ageing"], 2.5);
        let local = FdbRow::from_entry(&fdb(4, Some(2), NeighbourState::Permanent, 999), 2, &ports).unwrap();
        assert!(local.local);
        assert_eq!(local.ageing, 0, "static entries show 0.00 as in brctl");
        // The bridge's own address, a device's "self" entry, another bridge's entry: not listed.
        assert!(FdbRow::from_entry(&fdb(2, Some(2), NeighbourState::Permanent, 0), 2, &ports).is_none());
        assert!(FdbRow::from_entry(&fdb(4, None, NeighbourState::Permanent, 0), 2, &ports).is_none());
        assert!(FdbRow::from_entry(&fdb(4, Some(7), NeighbourState::Reachable, 0), 2, &ports).is_none());
    }
}
