//! `fdb show [dev DEV] [br BR] [vlan VID]`: forwarding database entries as `bridge -j fdb show` lists them.

use super::entries::{each_fdb_entry, row_of, FdbRow};
use crate::model::Names;
use crate::values::parse_vid;
use crate::Ctx;
use netlink_packet_route::neighbour::{NeighbourAttribute, NeighbourMessage};
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write;
use vnet_common::keywords::HEADING;
use vnet_common::{Context, Journal, Render, Result, TextStyle, Verb};

/// List forwarding database entries (bridge fdb show).
///
///   vnet-bridge fdb show [dev|brport DEV] [br BR] [vlan VID] [-o text]
///
/// JSON like `bridge -j fdb show`, and with -o text bridge's lines. A missing DEV or BR is exit 3.
#[derive(Debug, clap::Args)]
#[group(skip)]
// A word given twice: the last one counts, as bridge(8) reads them.
#[command(args_override_self = true)]
pub struct FdbShow {
    /// Only this device's entries (then each entry leaves out its ifname, as bridge does).
    #[arg(long, value_name = "DEV", visible_alias = "brport", help_heading = HEADING)]
    dev: Option<String>,
    /// Only the entries of this bridge and its ports.
    #[arg(long, value_name = "BR", help_heading = HEADING)]
    br: Option<String>,
    /// Only the entries of this VLAN, 1..4094.
    #[arg(long, value_name = "VID", value_parser = parse_vid, help_heading = HEADING)]
    vlan: Option<u16>,
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
        let named: Vec<&str> = self.dev.iter().chain(&self.br).map(String::as_str).collect();
        let (links, names) = ctx.names_now(&named).context(what)?;
        let dev = match &self.dev {
            Some(name) => Some(links.interface(name, ctx.netns()).context(what)?.header.index),
            None => None,
        };
        let br = match &self.br {
            Some(name) => Some(links.bridge(name, ctx.netns()).context(what)?.header.index),
            None => None,
        };
        // Rows are taken as the dump streams by (the entries are not kept).
        let mut rows = vec![];
        each_fdb_entry(ctx.netns(), |entry| {
            rows.extend(selected(&entry, &names, dev, br, self.vlan))
        })
        .context(what)?;
        Ok(FdbRows(rows))
    }
}

/// `entry`'s row when it is of device `dev`, of bridge `br` (itself, its table, its ports) and
/// of VLAN `vlan`, when given (without its ifname with `dev`, as bridge prints them).
fn selected(
    entry: &NeighbourMessage,
    names: &Names,
    dev: Option<u32>,
    br: Option<u32>,
    vlan: Option<u16>,
) -> Option<FdbRow> {
    let in_bridge = |bridge: u32| {
        let master = entry.attributes.iter().find_map(|a| match a {
            NeighbourAttribute::Controller(m) => Some(*m),
            _ => None,
        });
        let port_of = names.master_of(entry.header.ifindex);
        entry.header.ifindex == bridge || master == Some(bridge) || port_of == Some(bridge)
    };
    if dev.is_some_and(|i| entry.header.ifindex != i) || br.is_some_and(|b| !in_bridge(b)) {
        return None;
    }
    Some(row_of(entry, names, dev.is_none())).filter(|row| vlan.is_none_or(|v| row.vlan == Some(v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::{bridge_link, port_link};
    use crate::model::Links;
    use vnet_common::netlink::RawLink;

    fn entry(ifindex: u32, mac: u8, vlan: Option<u16>) -> NeighbourMessage {
        let mut m = NeighbourMessage::default();
        m.header.ifindex = ifindex;
        m.attributes
            .push(NeighbourAttribute::LinkLayerAddress(vec![2, 0, 0, 0, 0, mac]));
        m.attributes.extend(vlan.map(NeighbourAttribute::Vlan));
        m
    }

    fn select(
        entries: &[NeighbourMessage],
        links: &Links,
        dev: Option<u32>,
        br: Option<u32>,
        vlan: Option<u16>,
    ) -> FdbRows {
        let mut names = Names::default();
        for link in &links.all {
            // Read as names_now reads a dump: from the message's bytes.
            use rtnetlink::packet_core::Emitable;
            let mut bytes = vec![0; link.buffer_len()];
            link.emit(&mut bytes);
            names.take_raw(&RawLink::parse(RawLink::RTM_NEWLINK, &bytes).unwrap());
        }
        FdbRows(
            entries
                .iter()
                .filter_map(|e| selected(e, &names, dev, br, vlan))
                .collect(),
        )
    }

    #[test]
    fn entries_are_selected_by_device_bridge_and_vlan() {
        let links = Links::new(vec![
            bridge_link("br0", 1, false),
            port_link("p0", 2, 1),
            port_link("q0", 3, 9),
        ]);
        let entries = [
            entry(2, 1, Some(5)),
            entry(2, 2, None),
            entry(3, 3, Some(5)),
            entry(1, 4, None),
        ];
        let macs =
            |rows: FdbRows| -> Vec<String> { rows.0.into_iter().map(|r| r.mac[15..].to_string()).collect() };
        assert_eq!(
            macs(select(&entries, &links, None, None, None)),
            ["01", "02", "03", "04"]
        );
        assert_eq!(macs(select(&entries, &links, Some(2), None, None)), ["01", "02"]);
        assert_eq!(
            macs(select(&entries, &links, None, Some(1), None)),
            ["01", "02", "04"]
        );
        assert_eq!(macs(select(&entries, &links, None, None, Some(5))), ["01", "03"]);
        assert_eq!(macs(select(&entries, &links, None, Some(1), Some(5))), ["01"]);
        // With dev, rows leave out their ifname, as bridge does.
        assert_eq!(select(&entries, &links, Some(2), None, None).0[0].ifname, None);
        assert_eq!(
            select(&entries, &links, None, None, None).0[0].ifname.as_deref(),
            Some("p0")
        );
    }

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
