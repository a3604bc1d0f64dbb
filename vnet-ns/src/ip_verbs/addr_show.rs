//! `addr show [dev] [IF]`: the links of the current namespace or -n NS with their addresses, as
//! `ip -j addr show` describes them (addr_info with label, scope, broadcast, lifetimes and the
//! address flags by ip's names).

use crate::addr_opts::{AddrInfo, FOREVER};
use crate::linkopts::LinkDetails;
use crate::NsCtx;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::keywords::HEADING;
use vnet_common::links::{self, Interface};
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

/// Show the links with their addresses (ip addr show [dev IF]), in -n NS or the current
/// namespace. A link that does not exist is exit 3.
#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Show {
    /// Only this link.
    #[arg(value_name = "IF", value_parser = super::ifname)]
    pub link: Option<String>,
    /// Only this link, as IF.
    #[arg(long, value_name = "IF", value_parser = super::ifname, conflicts_with = "link", help_heading = HEADING)]
    pub dev: Option<String>,
}

/// One link and its addresses, as ip -j addr show prints it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AddrLink {
    pub ifindex: u32,
    pub ifname: String,
    /// The link flags as ip prints them ("BROADCAST", "MULTICAST", "UP", "LOWER_UP"...).
    pub flags: Vec<String>,
    pub mtu: Option<u32>,
    /// UP, DOWN, UNKNOWN, LOWERLAYERDOWN.
    pub operstate: String,
    /// The MAC address.
    pub address: Option<String>,
    pub addr_info: Vec<AddrInfo>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct AddrLinks(pub Vec<AddrLink>);

impl Render for AddrLinks {
    /// ip addr show's layout.
    fn text(&self, _: TextStyle) -> String {
        self.0.iter().map(text_lines).collect()
    }
}

fn lifetime(seconds: u32) -> String {
    match seconds {
        FOREVER => "forever".into(),
        n => format!("{n}sec"),
    }
}

fn text_lines(link: &AddrLink) -> String {
    let mut out = format!(
        "{}: {}: <{}> mtu {} state {}\n",
        link.ifindex,
        link.ifname,
        link.flags.join(","),
        link.mtu.unwrap_or(0),
        link.operstate
    );
    if let Some(mac) = &link.address {
        out.push_str(&format!("    link/ether {mac}\n"));
    }
    for a in &link.addr_info {
        let mut line = format!("    {} {}/{}", a.family, a.local, a.prefixlen);
        if let Some(brd) = &a.broadcast {
            line.push_str(&format!(" brd {brd}"));
        }
        line.push_str(&format!(" scope {}", a.scope));
        for (set, word) in [
            (a.secondary, "secondary"),
            (a.dynamic, "dynamic"),
            (a.noprefixroute, "noprefixroute"),
            (a.nodad, "nodad"),
            (a.tentative, "tentative"),
            (a.dadfailed, "dadfailed"),
        ] {
            if set == Some(true) {
                line.push_str(&format!(" {word}"));
            }
        }
        if let Some(label) = &a.label {
            line.push_str(&format!(" {label}"));
        }
        out.push_str(&format!(
            "{line}\n       valid_lft {} preferred_lft {}\n",
            lifetime(a.valid_life_time),
            lifetime(a.preferred_life_time)
        ));
    }
    out
}

impl Verb for Show {
    type Ctx = NsCtx;
    type Output = AddrLinks;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<AddrLinks> {
        let only = self.link.or(self.dev);
        let (netlink, handle, ns) = ctx.scope()?;
        netlink.run(async {
            let all = links::list_links(&handle).await?;
            if let Some(name) = &only {
                links::require_link(&handle, name, ns.as_deref()).await?;
            }
            let addrs = links::list_addresses(&handle, None).await?;
            let mut shown = vec![];
            for link in all
                .iter()
                .filter(|l| only.as_ref().is_none_or(|n| links::link_name(l) == *n))
            {
                let index = link.header.index;
                let mine: Vec<_> = addrs
                    .iter()
                    .filter(|a| a.header.index == index)
                    .cloned()
                    .collect();
                let interface = Interface::new(link, &mine, &all);
                shown.push(AddrLink {
                    ifindex: index,
                    ifname: interface.name,
                    flags: LinkDetails::of(link).flags,
                    mtu: interface.mtu,
                    operstate: interface.state,
                    address: interface.mac,
                    addr_info: mine.iter().map(AddrInfo::of).collect(),
                });
            }
            Ok(AddrLinks(shown))
        })
    }
}
