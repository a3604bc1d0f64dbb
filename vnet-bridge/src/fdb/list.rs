//! `fdb show [dev DEV] [br BR]`: forwarding database entries as `bridge -j fdb show` lists them.

use super::entries::{dump_fdb, row_of, FdbRow};
use crate::Ctx;
use netlink_packet_route::neighbour::NeighbourAttribute;
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write;
use vnet_common::keywords::HEADING;
use vnet_common::links::link_master;
use vnet_common::{Context, Journal, Render, Result, TextStyle, Verb};

/// List forwarding database entries (bridge fdb show).
///
///   vnet-bridge fdb show [dev DEV] [br BR] [-o text]
///
/// JSON like `bridge -j fdb show`, and with -o text bridge's lines. A missing DEV or BR is exit 3.
#[derive(Debug, clap::Args)]
// A word given twice: the last one counts, as bridge(8) reads them.
#[command(args_override_self = true)]
pub struct FdbShow {
    /// Only this device's entries (then each entry leaves out its ifname, as bridge does).
    #[arg(long, value_name = "DEV", help_heading = HEADING)]
    dev: Option<String>,
    /// Only the entries of this bridge and its ports.
    #[arg(long, value_name = "BR", help_heading = HEADING)]
    br: Option<String>,
}

/// The entries, as `bridge -j fdb show` lists them.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct FdbRows(pub Vec<FdbRow>);

impl Render for FdbRows {
    /// bridge(8)'s `fdb show` lines: every field followed by one space, the state last.
    fn text(&self, _style: TextStyle) -> String {
        let mut text = String::new();
        for row in &self.0 {
            let _ = write!(text, "{} ", row.mac);
            let fields = [
                ("dev", row.ifname.clone()),
                ("dst", row.dst.clone()),
                ("vlan", row.vlan.map(|v| v.to_string())),
                ("port", row.port.map(|p| p.to_string())),
                ("vni", row.vni.map(|v| v.to_string())),
                ("via", row.via.clone()),
            ];
            for (name, value) in fields {
                if let Some(value) = value {
                    let _ = write!(text, "{name} {value} ");
                }
            }
            for flag in &row.flags {
                let _ = write!(text, "{flag} ");
            }
            if let Some(master) = &row.master {
                let _ = write!(text, "master {master} ");
            }
            let _ = writeln!(text, "{}", row.state);
        }
        text
    }
}

impl Verb for FdbShow {
    type Ctx = Ctx;
    type Output = FdbRows;

    fn run(self, ctx: &mut Ctx, _journal: &mut Journal) -> Result<FdbRows> {
        let what = "show the forwarding database";
        let links = ctx.links_now().context(what)?;
        let dev = match &self.dev {
            Some(name) => Some(links.interface(name, ctx.netns()).context(what)?.header.index),
            None => None,
        };
        let br = match &self.br {
            Some(name) => Some(links.bridge(name, ctx.netns()).context(what)?.header.index),
            None => None,
        };
        let entries = dump_fdb(ctx.netns()).context(what)?;
        let in_bridge = |entry: &netlink_packet_route::neighbour::NeighbourMessage, bridge: u32| {
            let master = entry.attributes.iter().find_map(|a| match a {
                NeighbourAttribute::Controller(m) => Some(*m),
                _ => None,
            });
            let port_of = links.by_index(entry.header.ifindex).and_then(link_master);
            entry.header.ifindex == bridge || master == Some(bridge) || port_of == Some(bridge)
        };
        Ok(FdbRows(
            entries
                .iter()
                .filter(|e| dev.is_none_or(|i| e.header.ifindex == i))
                .filter(|e| br.is_none_or(|b| in_bridge(e, b)))
                .map(|e| row_of(e, &links, dev.is_none()))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_print_as_bridge_does() {
        let row = FdbRow {
            mac: "00:00:00:00:00:00".into(),
            ifname: None,
            dst: Some("10.0.0.3".into()),
            vlan: None,
            port: None,
            vni: None,
            via: None,
            flags: vec!["self".into()],
            master: None,
            state: "permanent".into(),
        };
        let full = FdbRow {
            ifname: Some("vx0".into()),
            vlan: Some(10),
            port: Some(4789),
            vni: Some(42),
            via: Some("eth0".into()),
            master: Some("br0".into()),
            state: String::new(),
            ..row.clone()
        };
        assert_eq!(
            FdbRows(vec![row, full]).text(TextStyle::default()),
            "00:00:00:00:00:00 dst 10.0.0.3 self permanent\n\
             00:00:00:00:00:00 dev vx0 dst 10.0.0.3 vlan 10 port 4789 vni 42 via eth0 self master br0 \n"
        );
    }
}
