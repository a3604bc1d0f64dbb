//! `netconf show [dev IF]`: the IP configuration rtnetlink reports per interface (forwarding,
//! rp_filter, proxy_neigh, ...), as `ip netconf show` lists it, with ip -j netconf's fields.

use crate::scope::Scope;
use crate::NsCtx;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::keywords::HEADING;
use vnet_common::netlink::netconf::{self, NetconfEntry, AF_INET, AF_INET6};
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

vnet_common::verbs! {
    pub enum NetconfVerb for NsCtx {
        /// List the interfaces' IP configuration (ip netconf show).
        #[command(visible_alias = "list", visible_alias = "ls")]
        Show(Show),
    }
}

/// List the IP configuration of every interface, all and default, or of one: `netconf show [dev
/// IF]` (ip netconf show), -4 or -6 for one family. A missing IF is exit 3; nothing changes.
#[derive(Debug, clap::Args)]
pub struct Show {
    /// Only this interface.
    #[arg(long, value_name = "IF", value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub ipv6: bool,
}

/// The records netconf show lists.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Netconfs(pub Vec<NetconfEntry>);

impl Render for Netconfs {
    fn text(&self, _: TextStyle) -> String {
        self.0.iter().map(|e| format!("{}\n", text_line(e))).collect()
    }
}

/// One line of ip netconf show (which does not print bc_forwarding: the JSON has it).
fn text_line(e: &NetconfEntry) -> String {
    let on = |v: &Option<bool>| v.map(|v| if v { "on" } else { "off" });
    let words = [
        ("forwarding", on(&e.forwarding)),
        ("rp_filter", e.rp_filter.as_deref()),
        ("mc_forwarding", on(&e.mc_forwarding)),
        ("proxy_neigh", on(&e.proxy_neigh)),
        ("ignore_routes_with_linkdown", on(&e.ignore_routes_with_linkdown)),
        ("input", on(&e.input)),
    ];
    let mut line = format!("{} {} ", e.family, e.interface);
    for (word, value) in words {
        if let Some(value) = value {
            line.push_str(&format!("{word} {value} "));
        }
    }
    line
}

impl Verb for Show {
    type Ctx = NsCtx;
    type Output = Netconfs;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<Netconfs> {
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let only = self.dev.as_deref().map(|d| scope.index(d)).transpose();
        let only = only.map_err(|e| e.context("netconf show"))?;
        let family = match (self.ipv4, self.ipv6) {
            (true, _) => AF_INET,
            (_, true) => AF_INET6,
            _ => 0,
        };
        let found = netconf::dump(&mut scope.socket, family).map_err(|e| e.context("netconf show"))?;
        let names = scope.links()?;
        Ok(Netconfs(
            found
                .iter()
                .filter(|raw| only.is_none_or(|i| raw.ifindex == Some(i as i32)))
                .map(|raw| raw.entry(|i| names.get(&i).cloned().unwrap_or_else(|| format!("if{i}"))))
                .collect(),
        ))
    }
}
