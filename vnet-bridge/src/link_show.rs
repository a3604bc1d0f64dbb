//! `link show [dev PORT] [master BRIDGE]`: the bridge ports, as `bridge -j -d link show` lists
//! them (the port's name, flags, MTU, master, STP state, priority, cost and options).

use crate::model::{Links, Names};
use crate::Ctx;
use netlink_packet_route::link::LinkMessage;
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write;
use vnet_common::bridge_options::PortSettings;
use vnet_common::keywords::HEADING;
use vnet_common::links::{ip_flags, link_mtu, link_name};
use vnet_common::netlink::{link_in_brief, Detail};
use vnet_common::{Context, Journal, Render, Result, TextStyle, Verb};

/// List the bridge ports, or one port, or the ports of one bridge (bridge link show).
///
///   vnet-bridge link show [[dev] PORT] [master BRIDGE] [-o text]
///
/// JSON as `bridge -j -d link show` prints it (every port option is in it, so -d changes
/// nothing); with -o text bridge's lines. A missing PORT or BRIDGE is exit 3.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct LinkShow {
    /// Only this port.
    #[arg(value_name = "PORT", conflicts_with = "dev")]
    port: Option<String>,
    /// Only this port.
    #[arg(long, value_name = "PORT", help_heading = HEADING)]
    dev: Option<String>,
    /// Only the ports of this bridge.
    #[arg(long, value_name = "BRIDGE", help_heading = HEADING)]
    master: Option<String>,
}

/// The bridge ports, in link index order.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct PortLinks(pub Vec<PortLink>);

/// One bridge port, as `bridge -j -d link show` prints it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PortLink {
    pub ifindex: u32,
    pub ifname: String,
    /// The link flags by ip's names ("BROADCAST", "MULTICAST", "UP", "LOWER_UP").
    pub flags: Vec<String>,
    pub mtu: Option<u32>,
    /// The bridge.
    pub master: String,
    #[serde(flatten)]
    pub settings: PortSettings,
}

impl Render for PortLinks {
    /// bridge(8)'s line: "4: veth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br0 state
    /// forwarding priority 32 cost 2".
    fn text(&self, _style: TextStyle) -> String {
        let mut text = String::new();
        for port in &self.0 {
            let _ = write!(
                text,
                "{}: {}: <{}>",
                port.ifindex,
                port.ifname,
                port.flags.join(",")
            );
            if let Some(mtu) = port.mtu {
                let _ = write!(text, " mtu {mtu}");
            }
            let _ = write!(text, " master {}", port.master);
            let s = &port.settings;
            if let Some(state) = &s.state {
                let _ = write!(text, " state {state}");
            }
            if let Some(priority) = s.priority {
                let _ = write!(text, " priority {priority}");
            }
            if let Some(cost) = s.cost {
                let _ = write!(text, " cost {cost}");
            }
            text.push('\n');
        }
        text
    }
}

impl Verb for LinkShow {
    type Ctx = Ctx;
    type Output = PortLinks;

    fn run(self, ctx: &mut Ctx, _journal: &mut Journal) -> Result<PortLinks> {
        let what = "show bridge ports";
        let port = self.port.or(self.dev);
        let named: Vec<&str> = port.iter().chain(&self.master).map(String::as_str).collect();
        // Each port's row is taken as the dump streams by, and of the other links only what
        // names them, read from their bytes: holding every link's message, link show of 1000
        // bridges with a port each peaked at 2.2x bridge(8)'s memory, and decoding every link
        // took 4x bridge's instructions.
        let (mut kept, mut names, mut rows) = (vec![], Names::default(), vec![]);
        ctx.each_raw_link_now(|link, kind, payload| {
            names.take_raw(link);
            let wanted = named.iter().any(|n| link.name_is(n));
            if link.master().is_none() && !wanted {
                return Ok(());
            }
            let Some(message) = link_in_brief(kind, payload, Detail::NoKindData)? else {
                return Ok(());
            };
            if let Some(master) = link.master() {
                rows.push((master, port_row(&message)));
            }
            if wanted {
                kept.push(message);
            }
            Ok(())
        })
        .context(what)?;
        let links = Links::new(kept);
        list_ports(
            &links,
            &names,
            rows,
            port.as_deref(),
            self.master.as_deref(),
            ctx.netns(),
        )
        .context(what)
    }
}

/// `link`'s row, its master not yet named.
fn port_row(link: &LinkMessage) -> PortLink {
    PortLink {
        ifindex: link.header.index,
        ifname: link_name(link),
        flags: ip_flags(link),
        mtu: link_mtu(link),
        master: String::new(),
        settings: PortSettings::of(link).unwrap_or_default(),
    }
}

/// The rows of the ports of a bridge (`rows`: each with its master's index) among `links`,
/// only `port` and only those of bridge `master` when given.
fn list_ports(
    links: &Links,
    names: &Names,
    rows: Vec<(u32, PortLink)>,
    port: Option<&str>,
    master: Option<&str>,
    ns: Option<&str>,
) -> Result<PortLinks> {
    let port = port
        .map(|p| links.interface(p, ns).map(|l| l.header.index))
        .transpose()?;
    let master = master
        .map(|b| links.bridge(b, ns).map(|l| l.header.index))
        .transpose()?;
    let ports = rows
        .into_iter()
        .filter(|(_, row)| port.is_none_or(|i| row.ifindex == i))
        .filter_map(|(index, mut row)| {
            if !names.is_bridge(index) || master.is_some_and(|m| m != index) {
                return None;
            }
            row.master = names.name_of(index)?.to_string();
            Some(row)
        })
        .collect();
    Ok(PortLinks(ports))
}
