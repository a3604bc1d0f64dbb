//! `addr show [dev] [IF]`: the links of the current namespace or -n NS with their addresses, as
//! `ip -j addr show` describes them (addr_info with label, scope, broadcast, lifetimes and the
//! address flags by ip's names).

use super::route_filter::OrAll;
use crate::addr_opts::{parse_scope, scope_name, AddrInfo, FOREVER};
use crate::linkopts::LinkDetails;
use crate::NsCtx;
use ipnet::IpNet;
use netlink_packet_route::link::{LinkFlags, LinkMessage};
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::links::{self, Interface};
use vnet_common::netlink::stats::LinkStats;
use vnet_common::netlink::{Detail, RouteSocket};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Show the links with their addresses (ip addr show [dev IF] [to PREFIX] [scope S] [label
/// PATTERN] [up] [primary|secondary] [dynamic|permanent]), in -n NS or the current namespace. A
/// link that does not exist is exit 3.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct Show {
    /// Only this link.
    #[arg(value_name = "IF", value_parser = super::ifname)]
    pub link: Option<String>,
    /// Only this link, as IF.
    #[arg(long, value_name = "IF", value_parser = super::ifname, conflicts_with = "link", help_heading = HEADING)]
    pub dev: Option<String>,
    #[command(flatten)]
    pub filter: AddrFilter,
    /// Each link's counters (`stats64`, as ip -s); twice (-s -s) with the errors by cause.
    #[arg(short = 's', long = "stats", action = clap::ArgAction::Count)]
    pub stats: u8,
}

/// ip addr show's selectors: the addresses listed are those that match every one given, and a
/// link is listed when one of its addresses matches (or it has none, unless `to` is given).
#[derive(Debug, Default, Clone, clap::Args)]
#[group(skip)]
pub struct AddrFilter {
    /// The addresses inside PREFIX (or this address).
    #[arg(long, value_name = "PREFIX", value_parser = prefix, help_heading = HEADING)]
    pub to: Option<IpNet>,
    /// The addresses of this scope (host, link, global, site, nowhere, a number, or all).
    #[arg(long, value_name = "SCOPE", value_parser = scope, help_heading = HEADING)]
    pub scope: Option<OrAll<u8>>,
    /// The addresses whose label matches PATTERN (* and ? as in a shell; an address without a
    /// label has the link's name).
    #[arg(long, value_name = "PATTERN", help_heading = HEADING)]
    pub label: Option<String>,
    /// Only links that are up.
    #[arg(long, help_heading = HEADING)]
    pub up: bool,
    /// Only primary addresses.
    #[arg(long, help_heading = HEADING)]
    pub primary: bool,
    /// Only secondary addresses.
    #[arg(long, help_heading = HEADING, conflicts_with = "primary")]
    pub secondary: bool,
    /// Only addresses with a lifetime that runs out.
    #[arg(long, help_heading = HEADING)]
    pub dynamic: bool,
    /// Only addresses without one.
    #[arg(long, help_heading = HEADING, conflicts_with = "dynamic")]
    pub permanent: bool,
}

fn prefix(text: &str) -> Result<IpNet> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| Error::invalid(format!("addr show: invalid prefix {}", quote(text))))
}

fn scope(text: &str) -> Result<OrAll<u8>> {
    match text {
        "all" => Ok(OrAll(None)),
        _ => parse_scope(text).map(|s| OrAll(Some(s))),
    }
}

impl AddrFilter {
    /// Whether the address `info` of link `ifname` matches every selector given.
    fn keeps(&self, info: &AddrInfo, ifname: &str) -> bool {
        let scope_ok = self
            .scope
            .and_then(|s| s.0)
            .is_none_or(|s| info.scope == scope_name(s));
        let to_ok = self.to.is_none_or(|p| {
            info.local
                .parse::<std::net::IpAddr>()
                .is_ok_and(|a| p.contains(&a))
        });
        let label = info.label.as_deref().unwrap_or(ifname);
        let label_ok = self.label.as_deref().is_none_or(|pattern| glob(pattern, label));
        let secondary = info.secondary == Some(true);
        let kind_ok = !(self.primary && secondary || self.secondary && !secondary);
        let dynamic = info.dynamic == Some(true);
        let life_ok = !(self.dynamic && !dynamic || self.permanent && dynamic);
        scope_ok && to_ok && label_ok && kind_ok && life_ok
    }
}

/// A shell pattern's match (`*` any run, `?` any one character), as ip's label filter (fnmatch).
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.chars().next() {
        None => text.is_empty(),
        Some('*') => {
            let rest = &pattern[1..];
            text.char_indices()
                .map(|(i, _)| i)
                .chain(Some(text.len()))
                .any(|at| glob(rest, &text[at..]))
        }
        Some(first) => {
            let mut chars = text.chars();
            match chars.next() {
                Some(c) if first == '?' || c == first => glob(&pattern[first.len_utf8()..], chars.as_str()),
                _ => false,
            }
        }
    }
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
    /// The link's counters (ip -s -j's `stats64`), with `-s` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats64: Option<LinkStats>,
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
        let only = self.link.as_ref().or(self.dev.as_ref());
        let mut socket = RouteSocket::open(ctx.netns.as_deref())?;
        // Each link's row is taken as the dump streams by and its message dropped: holding
        // every link decoded whole peaked at 2.6x ip's memory with 300 links.
        let mut rows = vec![];
        let mut named = false;
        let detail = if self.stats > 0 {
            Detail::Counted
        } else {
            Detail::NoKindData
        };
        socket.each_link_with(&[IFLA_LINK_NETNSID], detail, |link| {
            let name = links::link_name(&link);
            named |= only == Some(&name);
            if only.is_none_or(|n| *n == name)
                && (!self.filter.up || link.header.flags.contains(LinkFlags::Up))
            {
                rows.push(self.row_of(&link));
            }
        })?;
        if let Some(name) = only.filter(|_| !named) {
            // As ip: an alternative name is a link too (the kernel's lookup), with nothing shown.
            socket
                .link_named(name)?
                .ok_or_else(|| links::missing_link(name, ctx.netns.as_deref()))?;
        }
        let addrs = socket.addresses()?;
        let mut shown = vec![];
        for mut row in rows {
            let mine: Vec<_> = addrs.iter().filter(|a| a.header.index == row.ifindex).collect();
            let kept: Vec<AddrInfo> = mine
                .iter()
                .map(|a| AddrInfo::of(a))
                .filter(|a| self.filter.keeps(a, &row.ifname))
                .collect();
            // As ip: a link none of whose addresses match is left out; one without any
            // address stays unless `to` asks for a family.
            if kept.is_empty() && (!mine.is_empty() || self.filter.to.is_some()) {
                continue;
            }
            row.addr_info = kept;
            shown.push(row);
        }
        Ok(AddrLinks(shown))
    }
}

/// The attribute that names a veth peer's namespace (read by [`Interface::new`]).
const IFLA_LINK_NETNSID: u16 = 37;

impl Show {
    /// `link`'s row, its addresses not yet in it.
    fn row_of(&self, link: &LinkMessage) -> AddrLink {
        let interface = Interface::new(link, &[], &[]);
        AddrLink {
            ifindex: link.header.index,
            ifname: interface.name,
            flags: LinkDetails::of(link).flags,
            mtu: interface.mtu,
            operstate: interface.state,
            address: interface.mac,
            addr_info: vec![],
            stats64: (self.stats > 0)
                .then(|| LinkStats::of_message(link, self.stats))
                .flatten(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    fn filter(line: &str) -> std::result::Result<AddrFilter, u8> {
        match parse_line(&format!("addr show {line}")) {
            Ok(NsVerb::Addr(forms)) => match forms.verb {
                Some(super::super::addr::AddrVerb::Show(show)) => Ok(show.filter),
                other => panic!("{other:?}"),
            },
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.exit_code()),
        }
    }

    fn info(local: &str, scope: &str, label: Option<&str>, secondary: bool) -> AddrInfo {
        AddrInfo {
            family: "inet".into(),
            local: local.into(),
            prefixlen: 24,
            scope: scope.into(),
            label: label.map(str::to_string),
            secondary: secondary.then_some(true),
            ..AddrInfo::default()
        }
    }

    #[test]
    fn selectors_as_ip_reads_them() {
        let a = info("10.0.0.1", "global", Some("eth0:a"), false);
        let b = info("10.0.0.2", "global", None, true);
        let keeps = |line: &str, i: &AddrInfo| filter(line).unwrap().keeps(i, "eth0");
        assert!(keeps("", &a));
        assert!(keeps("to 10.0.0.0/16", &a) && !keeps("to 10.1.0.0/16", &a));
        assert!(keeps("scope global", &a) && !keeps("scope link", &a) && keeps("scope all", &a));
        assert!(keeps("label eth0:*", &a) && !keeps("label eth0:*", &b) && keeps("label eth0", &b));
        assert!(keeps("label eth?:a", &a) && !keeps("label eth0:b", &a));
        assert!(keeps("primary", &a) && !keeps("primary", &b) && keeps("secondary", &b));
        assert!(keeps("permanent", &a) && !keeps("dynamic", &a));
        assert!(filter("up").unwrap().up);
        assert_eq!(filter("dev eth0 scope frob").unwrap_err(), 7);
        assert_eq!(filter("to x").unwrap_err(), 7);
        assert_eq!(filter("primary secondary").unwrap_err(), 2);
    }
}
