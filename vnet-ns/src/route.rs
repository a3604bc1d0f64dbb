//! route: IPv4 and IPv6 routes as `ip route` adds, replaces, deletes and lists them, in the
//! current namespace or in -n NS, over rtnetlink.
//!
//! Kernel facts this leans on (DESIGN.md): IPv4 refuses a prefix with host bits set while IPv6
//! silently clears them, so both are refused here before anything is sent; a gateway that no
//! link reaches is EINVAL (IPv4) / EHOSTUNREACH (IPv6), so it is checked here first and named;
//! an IPv6 route without a metric gets 1024.

use crate::words::Words;
use crate::NsCtx;
use futures::TryStreamExt;
use ipnet::IpNet;
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::AddressFamily;
use rtnetlink::Handle;
use schemars::JsonSchema;
use serde::Serialize;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::names::validate_ifname;
use vnet_common::netlink::route::{
    destination, gateway, oif, priority, table as table_of, type_name, RouteEntry,
};
use vnet_common::netlink::DumpSocket;
use vnet_common::{links, netns, Error, ErrorKind, Journal, Render, Result, TextStyle, Verb};

/// Routes, IPv4 and IPv6, as ip route manages them: add, replace, del, show (or list).
///
/// ROUTE is spelt as for ip route: [TYPE] PREFIX|default [via GW] [dev IF] [metric N] [table N]
/// [src ADDR] [proto P] [onlink]. TYPE is unicast (the default), unreachable, blackhole or prohibit.
/// A bare address is a host route (/32 or /128). Examples: `vnet-ns -n NS route add default via
/// 10.0.0.1`, `vnet-ns route add 10.1.0.0/16 via 10.0.0.1 dev eth1 metric 20`, `vnet-ns route add
/// unreachable 10.9.0.0/16`, `vnet-ns route show --table 100`, `vnet-ns route show -6`. show
/// prints the routes of table main (--table N|main|local|all), IPv4 unless -6 (as ip route show
/// and ip -6 route show); -o text prints ip route show's lines.
///
/// Refused before anything changes (exit 7): a prefix that does not parse or has host bits set
/// (10.1.0.1/16), a gateway of the other family, a gateway no link reaches ("gateway X is not
/// reachable on any link"). A missing dev is exit 3; add of a route that exists is exit 4
/// (--exist-ok: "changed": false); del of a missing route is exit 3 (--missing-ok). An IPv6 route
/// without a metric gets 1024 from the kernel. Each change is journaled: in --batch --atomic an
/// add is deleted again, a replace puts the old route back, a del re-adds the route.
#[derive(Debug, clap::Args)]
pub struct Route {
    /// add, replace, del (delete), show (list).
    #[arg(value_enum)]
    pub action: RouteAction,
    /// The route, as ip route spells it (see above).
    #[arg(value_name = "ROUTE")]
    pub route: Vec<String>,
    /// show: the table to list (a number, main, local, default or all; default main).
    #[arg(long, value_name = "TABLE")]
    pub table: Option<String>,
    /// IPv4 (the default, as ip).
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 only (show), or IPv6 for a default route without a gateway.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// add: succeed with "changed": false when the route already exists.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// del: succeed with "changed": false when no such route exists.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RouteAction {
    Add,
    Replace,
    #[value(alias = "delete")]
    Del,
    #[value(alias = "list", alias = "ls")]
    Show,
}

impl RouteAction {
    fn name(self) -> &'static str {
        match self {
            RouteAction::Add => "add",
            RouteAction::Replace => "replace",
            RouteAction::Del => "del",
            RouteAction::Show => "show",
        }
    }
}

/// What add, replace or del did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RouteChange {
    /// "add", "replace" or "del".
    pub action: String,
    /// The namespace (-n), null for the current one.
    pub netns: Option<String>,
    /// The route as the kernel holds it after add or replace, or as it was before del; null
    /// when del found nothing (with --missing-ok).
    pub route: Option<RouteEntry>,
    /// The route replace put aside, if there was one.
    pub replaced: Option<RouteEntry>,
    pub changed: bool,
}

/// show prints the list; add, replace and del print what they did.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RouteOutput {
    Routes(Vec<RouteEntry>),
    Change(Box<RouteChange>),
}

impl Render for RouteOutput {
    fn text(&self, _: TextStyle) -> String {
        match self {
            RouteOutput::Routes(routes) => routes.iter().map(|r| text_line(r, false)).collect(),
            RouteOutput::Change(_) => String::new(),
        }
    }
}

/// A route as the user asked for it, every word checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSpec {
    pub kind: RouteType,
    pub dst: IpNet,
    pub default: bool,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub metric: Option<u32>,
    pub table: Option<u32>,
    pub src: Option<IpAddr>,
    pub protocol: Option<u8>,
    pub onlink: bool,
}

/// The table for show: one number, or every table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFilter {
    One(u32),
    All,
}

pub fn parse_table(text: &str) -> Result<u32> {
    match text {
        "main" => Ok(254),
        "local" => Ok(255),
        "default" => Ok(253),
        _ => text.parse::<u32>().ok().filter(|t| *t > 0).ok_or_else(|| {
            Error::invalid(format!(
                "invalid table {}: a number 1..4294967295, main, local or default",
                quote(text)
            ))
        }),
    }
}

fn parse_table_filter(text: Option<&str>) -> Result<TableFilter> {
    match text {
        None => Ok(TableFilter::One(254)),
        Some("all") => Ok(TableFilter::All),
        Some(t) => parse_table(t).map(TableFilter::One),
    }
}

fn parse_address(text: &str, what: &str, verb: &str) -> Result<IpAddr> {
    text.parse().map_err(|_| {
        Error::invalid(format!(
            "{verb}: invalid {what} {}: not an IP address",
            quote(text)
        ))
    })
}

/// Parses a route destination: a prefix (no host bits set) or a bare address (a host route).
pub fn parse_prefix(text: &str, verb: &str) -> Result<IpNet> {
    let bad = |why: &str| Error::invalid(format!("{verb}: invalid route prefix {}: {why}", quote(text)));
    let net = match text.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => match text.parse::<IpAddr>() {
            Ok(addr) => IpNet::from(addr),
            Err(_) => {
                return Err(bad(
                    "expected PREFIX/LEN such as 10.1.0.0/16 or 2001:db8::/64, or default",
                ))
            }
        },
    };
    if net.trunc() != net {
        return Err(bad(&format!(
            "host bits are set (the network is {})",
            net.trunc()
        )));
    }
    Ok(net)
}

fn protocol_number(text: &str) -> Option<u8> {
    let named = [
        ("redirect", 1),
        ("kernel", 2),
        ("boot", 3),
        ("static", 4),
        ("gated", 8),
        ("ra", 9),
        ("mrt", 10),
        ("zebra", 11),
        ("bird", 12),
        ("dnrouted", 13),
        ("xorp", 14),
        ("ntk", 15),
        ("dhcp", 16),
        ("babel", 42),
        ("bgp", 186),
        ("isis", 187),
        ("ospf", 188),
        ("rip", 189),
        ("eigrp", 192),
    ];
    named
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, n)| *n)
        .or_else(|| text.parse().ok())
}

/// Parses ROUTE words: `[TYPE] PREFIX|default [via GW] [dev IF] [metric N] [table N] [src A]`.
pub fn parse_spec(words: Vec<String>, verb: &str, ipv6: bool) -> Result<RouteSpec> {
    let mut w = Words::new(verb, words);
    let mut kind = RouteType::Unicast;
    let mut dst_text = None;
    let (mut via, mut dev, mut metric, mut table, mut src, mut protocol) =
        (None, None, None, None, None, None);
    let mut onlink = false;
    while let Some(word) = w.next() {
        match word.as_str() {
            "unicast" if dst_text.is_none() => kind = RouteType::Unicast,
            "unreachable" if dst_text.is_none() => kind = RouteType::Unreachable,
            "blackhole" if dst_text.is_none() => kind = RouteType::BlackHole,
            "prohibit" if dst_text.is_none() => kind = RouteType::Prohibit,
            "to" if dst_text.is_none() => dst_text = Some(w.value("to")?),
            "via" | "gw" => {
                let text = w.value("via")?;
                via = Some(parse_address(&text, "gateway", verb)?);
            }
            "dev" | "oif" => {
                let name = w.value("dev")?;
                validate_ifname(&name)?;
                dev = Some(name);
            }
            "metric" | "priority" | "preference" => metric = Some(w.number::<u32>("metric")?),
            "table" => table = Some(parse_table(&w.value("table")?)?),
            "src" => src = Some(parse_address(&w.value("src")?, "source address", verb)?),
            "proto" | "protocol" => {
                let text = w.value("proto")?;
                protocol =
                    Some(protocol_number(&text).ok_or_else(|| {
                        Error::invalid(format!("{verb}: unknown protocol {}", quote(&text)))
                    })?);
            }
            "onlink" => onlink = true,
            _ if dst_text.is_none() => dst_text = Some(word),
            other => return Err(w.unknown(other)),
        }
    }
    let dst_text = dst_text.ok_or_else(|| w.usage("which route? give PREFIX or default"))?;
    let default = matches!(dst_text.as_str(), "default" | "all" | "any");
    let dst = if default {
        // The family of a default route: its gateway's, its source's, else -6 or IPv4.
        let v6 = match via.or(src) {
            Some(addr) => addr.is_ipv6(),
            None => ipv6,
        };
        if v6 {
            "::/0".parse().expect("a prefix")
        } else {
            "0.0.0.0/0".parse().expect("a prefix")
        }
    } else {
        parse_prefix(&dst_text, verb)?
    };
    for (addr, what) in [(via, "gateway"), (src, "source address")] {
        if let Some(addr) = addr {
            if addr.is_ipv6() != matches!(dst, IpNet::V6(_)) {
                return Err(Error::invalid(format!(
                    "{verb}: {what} {addr} is not of the same family as {}",
                    display_dst(&dst, default)
                )));
            }
        }
    }
    if via.is_some() && kind != RouteType::Unicast {
        return Err(Error::invalid(format!(
            "{verb}: a {} route has no gateway",
            type_name(kind)
        )));
    }
    Ok(RouteSpec {
        kind,
        dst,
        default,
        via,
        dev,
        metric,
        table,
        src,
        protocol,
        onlink,
    })
}

fn display_dst(dst: &IpNet, default: bool) -> String {
    if default {
        "default".to_string()
    } else {
        dst.to_string()
    }
}

impl Verb for Route {
    type Ctx = NsCtx;
    type Output = RouteOutput;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<RouteOutput> {
        let verb = format!("route {}", self.action.name());
        if self.action == RouteAction::Show {
            let filter = parse_table_filter(self.table.as_deref())?;
            let words = Words::new(&verb, self.route.clone());
            if let Some(word) = self.route.first() {
                return Err(words.unknown(word));
            }
            let families = family_filter(self.ipv6);
            // A one-shot read: blocking dumps, no async runtime (as `vnet-ns list`).
            let mut dumper = DumpSocket::open(ctx.netns.as_deref())?;
            let links = dumper.link_names().map_err(|e| e.context("list interfaces"))?;
            let mut shown = vec![];
            for family in families {
                for route in dumper.routes(family).map_err(|e| e.context("list routes"))? {
                    // Cached clones (ip route show cache) are not part of the table.
                    let listed = filter == TableFilter::All || filter == TableFilter::One(table_of(&route));
                    if listed && !route.header.flags.contains(RouteFlags::Cloned) {
                        shown.push(RouteEntry::decode_named(&route, &links));
                    }
                }
            }
            return Ok(RouteOutput::Routes(shown));
        }
        if self.table.is_some() {
            return Err(Error::new(
                ErrorKind::Usage,
                format!("{verb}: give the table as 'table N' in ROUTE"),
            )
            .with_hint("see 'vnet-ns route --help'"));
        }
        let spec = parse_spec(self.route.clone(), &verb, self.ipv6)?;
        let (netlink, handle, ns) = ctx.scope()?;
        let change = netlink.run(self.change(&handle, ns.as_deref(), &spec, &verb, journal))?;
        Ok(RouteOutput::Change(Box::new(change)))
    }
}

impl Route {
    /// `route show|list|ls [-4|-6] [--table T]` for vnet-common's fast path (the words after
    /// `show`); None leaves the line to clap. A flag given twice, -4 with -6 (clap refuses both)
    /// or anything else (ROUTE words, `--table=N`) goes to clap.
    pub fn fast_show(flags: &[String]) -> Option<Route> {
        let mut route = Route {
            action: RouteAction::Show,
            route: vec![],
            table: None,
            ipv4: false,
            ipv6: false,
            exist_ok: false,
            missing_ok: false,
        };
        let mut it = flags.iter();
        while let Some(flag) = it.next() {
            match flag.as_str() {
                "-4" if !route.ipv4 && !route.ipv6 => route.ipv4 = true,
                "-6" if !route.ipv4 && !route.ipv6 => route.ipv6 = true,
                "--table" if route.table.is_none() => {
                    let table = it.next().filter(|t| !t.starts_with('-'))?;
                    route.table = Some(table.clone());
                }
                _ => return None,
            }
        }
        Some(route)
    }
}

/// IPv4 unless -6, as `ip route show` (ip -6 route show for IPv6).
fn family_filter(v6: bool) -> Vec<AddressFamily> {
    match v6 {
        true => vec![AddressFamily::Inet6],
        false => vec![AddressFamily::Inet],
    }
}

/// Every route of these families, all tables.
pub async fn dump(handle: &Handle, families: Vec<AddressFamily>) -> Result<Vec<RouteMessage>> {
    let mut all = vec![];
    for family in families {
        let mut message = RouteMessage::default();
        message.header.address_family = family;
        let routes: Vec<RouteMessage> = handle
            .route()
            .get(message)
            .execute()
            .try_collect()
            .await
            .map_err(|e| Error::from(e).context("list routes"))?;
        all.extend(routes);
    }
    Ok(all)
}

/// One line of `ip route show` (`with_table`: name the table, as ip does for `table all`).
pub fn text_line(r: &RouteEntry, with_table: bool) -> String {
    let mut line = String::new();
    if r.kind != "unicast" {
        line.push_str(&r.kind);
        line.push(' ');
    }
    line.push_str(&r.dst);
    if let Some(gw) = &r.gateway {
        line.push_str(&format!(" via {gw}"));
    }
    if let Some(dev) = &r.dev {
        line.push_str(&format!(" dev {dev}"));
    }
    if with_table && r.table != 254 {
        line.push_str(&format!(" table {}", table_name(r.table)));
    }
    if r.protocol != "boot" {
        line.push_str(&format!(" proto {}", r.protocol));
    }
    if r.scope != "global" {
        line.push_str(&format!(" scope {}", r.scope));
    }
    if let Some(src) = &r.prefsrc {
        line.push_str(&format!(" src {src}"));
    }
    if let Some(metric) = r.metric {
        line.push_str(&format!(" metric {metric}"));
    }
    for flag in &r.flags {
        line.push_str(&format!(" {flag}"));
    }
    if let Some(pref) = &r.pref {
        line.push_str(&format!(" pref {pref}"));
    }
    // iproute2 6.1 ends an IPv4 route's line with a space, an IPv6 one without.
    if r.family == "inet" {
        line.push(' ');
    }
    line.push('\n');
    line
}

fn table_name(table: u32) -> String {
    match table {
        254 => "main".into(),
        255 => "local".into(),
        253 => "default".into(),
        t => t.to_string(),
    }
}

/// The request message for a route spec (`for_delete`: scope nowhere so any scope matches).
fn message(spec: &RouteSpec, oif_index: Option<u32>, for_delete: bool) -> RouteMessage {
    let mut m = RouteMessage::default();
    let v6 = matches!(spec.dst, IpNet::V6(_));
    m.header.address_family = if v6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    m.header.destination_prefix_length = spec.dst.prefix_len();
    m.header.kind = spec.kind;
    m.header.protocol = RouteProtocol::from(spec.protocol.unwrap_or(3));
    let table = spec.table.unwrap_or(254);
    if table > 255 {
        m.header.table = RouteHeader::RT_TABLE_UNSPEC;
        m.attributes.push(RouteAttribute::Table(table));
    } else {
        m.header.table = table as u8;
    }
    m.header.scope = if for_delete {
        RouteScope::NoWhere
    } else if spec.kind == RouteType::Unicast && spec.via.is_none() && !v6 {
        // ip's rule: a unicast route with no gateway is a link-scope route.
        RouteScope::Link
    } else {
        RouteScope::Universe
    };
    if spec.onlink {
        m.header.flags |= RouteFlags::Onlink;
    }
    if !spec.default {
        m.attributes
            .push(RouteAttribute::Destination(RouteAddress::from(spec.dst.addr())));
    }
    if let Some(via) = spec.via {
        m.attributes
            .push(RouteAttribute::Gateway(RouteAddress::from(via)));
    }
    if let Some(index) = oif_index {
        m.attributes.push(RouteAttribute::Oif(index));
    }
    if let Some(metric) = spec.metric {
        m.attributes.push(RouteAttribute::Priority(metric));
    }
    if let Some(src) = spec.src {
        m.attributes
            .push(RouteAttribute::PrefSource(RouteAddress::from(src)));
    }
    m
}

/// A dumped route as a request that adds it back (only the attributes that define a route).
fn as_request(route: &RouteMessage) -> RouteMessage {
    let mut m = RouteMessage::default();
    m.header = route.header.clone();
    m.header.flags = route.header.flags & RouteFlags::Onlink;
    m.attributes = route
        .attributes
        .iter()
        .filter(|a| {
            matches!(
                a,
                RouteAttribute::Destination(_)
                    | RouteAttribute::Gateway(_)
                    | RouteAttribute::Oif(_)
                    | RouteAttribute::PrefSource(_)
                    | RouteAttribute::Priority(_)
                    | RouteAttribute::Table(_)
                    | RouteAttribute::MultiPath(_)
                    | RouteAttribute::Metrics(_)
                    | RouteAttribute::Preference(_)
                    | RouteAttribute::Via(_)
            )
        })
        .cloned()
        .collect();
    m
}

/// True when `route` is the one `spec` names, as the kernel matches them (destination, table,
/// metric, and for del the gateway, dev and type when given).
fn matches_spec(route: &RouteMessage, spec: &RouteSpec, oif_index: Option<u32>, strict: bool) -> bool {
    let v6 = matches!(spec.dst, IpNet::V6(_));
    let same_family = (route.header.address_family == AddressFamily::Inet6) == v6;
    if !same_family || destination(route) != Some(spec.dst) || table_of(route) != spec.table.unwrap_or(254) {
        return false;
    }
    if route.header.flags.contains(RouteFlags::Cloned) {
        return false;
    }
    let metric = priority(route).unwrap_or(0);
    let wanted_metric = spec.metric.unwrap_or(if v6 { 1024 } else { 0 });
    if (spec.metric.is_some() || v6) && metric != wanted_metric {
        return false;
    }
    if !strict {
        return true;
    }
    if spec.via.is_some() && gateway(route) != spec.via {
        return false;
    }
    if oif_index.is_some() && oif(route) != oif_index {
        return false;
    }
    if spec.kind != RouteType::Unicast && route.header.kind != spec.kind {
        return false;
    }
    true
}

/// Whether a link-scope route (IPv4) or a connected route (IPv6) reaches `gw`, on `oif` if given:
/// what the kernel demands of a gateway.
fn reaches(routes: &[RouteMessage], gw: IpAddr, oif_index: Option<u32>) -> bool {
    routes.iter().any(|r| {
        let Some(dst) = destination(r) else { return false };
        let direct = match gw {
            IpAddr::V4(_) => r.header.scope == RouteScope::Link || r.header.scope == RouteScope::Host,
            IpAddr::V6(_) => gateway(r).is_none() && dst.prefix_len() > 0,
        };
        r.header.kind == RouteType::Unicast
            && direct
            && dst.contains(&gw)
            && (oif_index.is_none() || oif(r) == oif_index)
            && !r.header.flags.contains(RouteFlags::Cloned)
    })
}

impl Route {
    async fn change(
        &self,
        handle: &Handle,
        ns: Option<&str>,
        spec: &RouteSpec,
        verb: &str,
        journal: &mut Journal,
    ) -> Result<RouteChange> {
        let what = format!("{verb} {}", display_dst(&spec.dst, spec.default));
        let oif_index = match &spec.dev {
            Some(dev) => Some(
                links::require_link(handle, dev, ns)
                    .await
                    .map_err(|e| e.context(&what))?
                    .header
                    .index,
            ),
            None => None,
        };
        let family = if matches!(spec.dst, IpNet::V6(_)) {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        let routes = dump(handle, vec![family]).await.map_err(|e| e.context(&what))?;
        let links = links::link_names(handle).await?;
        let mut result = RouteChange {
            action: self.action.name().to_string(),
            netns: ns.map(str::to_string),
            route: None,
            replaced: None,
            changed: false,
        };
        if self.action == RouteAction::Del {
            let Some(found) = routes.iter().find(|r| matches_spec(r, spec, oif_index, true)) else {
                if self.missing_ok {
                    return Ok(result);
                }
                return Err(
                    Error::not_found(format!("{what}: no such route in {}", netns::describe(ns)))
                        .with_hint("pass --missing-ok to accept a missing route"),
                );
            };
            let request = as_request(found);
            handle
                .route()
                .del(request.clone())
                .execute()
                .await
                .map_err(|e| Error::from(e).context(&what))?;
            let undo = handle.clone();
            journal.record(what.clone(), async move {
                undo.route().add(request).execute().await.map_err(Error::from)
            })?;
            result.route = Some(RouteEntry::decode_named(found, &links));
            result.changed = true;
            return Ok(result);
        }
        if let Some(gw) = spec.via {
            if !spec.onlink && !reaches(&routes, gw, oif_index) {
                let on = match &spec.dev {
                    Some(dev) => format!("link {}", quote(dev)),
                    None => "any link".to_string(),
                };
                return Err(
                    Error::invalid(format!("{what}: gateway {gw} is not reachable on {on}"))
                        .with_hint("add an address in the gateway's subnet to a link first, or pass onlink"),
                );
            }
        }
        let existing = routes
            .iter()
            .find(|r| matches_spec(r, spec, oif_index, false))
            .cloned();
        let request = message(spec, oif_index, false);
        let mut add = handle.route().add(request.clone());
        if self.action == RouteAction::Replace {
            add = add.replace();
        }
        match add.execute().await.map_err(Error::from) {
            Ok(()) => {}
            Err(e) if e.kind == ErrorKind::Exists && self.exist_ok => {
                result.route = existing.as_ref().map(|r| RouteEntry::decode_named(r, &links));
                return Ok(result);
            }
            Err(e) if e.kind == ErrorKind::Exists => {
                return Err(Error::exists(format!("{what}: the route already exists"))
                    .with_hint("use 'route replace' to change it, or --exist-ok to accept it"));
            }
            Err(e) => return Err(gateway_error(e, spec).context(&what)),
        }
        let undo = handle.clone();
        let mut delete = message(spec, oif_index, true);
        if let (None, true) = (spec.metric, matches!(spec.dst, IpNet::V6(_))) {
            delete.attributes.push(RouteAttribute::Priority(1024));
        }
        match (&existing, self.action) {
            (Some(old), RouteAction::Replace) => {
                let old = as_request(old);
                journal.record(what.clone(), async move {
                    undo.route()
                        .add(old)
                        .replace()
                        .execute()
                        .await
                        .map_err(Error::from)
                })?;
            }
            _ => journal.record(what.clone(), async move {
                undo.route().del(delete).execute().await.map_err(Error::from)
            })?,
        }
        result.replaced = match self.action {
            RouteAction::Replace => existing.as_ref().map(|r| RouteEntry::decode_named(r, &links)),
            _ => None,
        };
        let after = dump(handle, vec![family]).await?;
        result.route = after
            .iter()
            .find(|r| matches_spec(r, spec, oif_index, true))
            .map(|r| RouteEntry::decode_named(r, &links));
        result.changed = true;
        Ok(result)
    }
}

/// The kernel's answer to a gateway no link reaches (EINVAL for IPv4, EHOSTUNREACH for IPv6),
/// in words, for the cases the check before sending cannot see (a race, another table).
fn gateway_error(e: Error, spec: &RouteSpec) -> Error {
    match spec.via {
        Some(gw) if e.message.contains("Invalid argument") || e.message.contains("No route to host") => {
            Error::new(
                e.kind,
                format!("gateway {gw} is not reachable on any link ({})", e.message),
            )
        }
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_ip_spellings() {
        let s = parse_spec(words("default via 10.0.0.1"), "route add", false).unwrap();
        assert!(s.default);
        assert_eq!(s.dst.to_string(), "0.0.0.0/0");
        assert_eq!(s.via, Some("10.0.0.1".parse().unwrap()));
        let s = parse_spec(words("default via fd00::1"), "route add", false).unwrap();
        assert_eq!(s.dst.to_string(), "::/0");
        let s = parse_spec(
            words("10.1.0.0/16 via 10.0.0.1 dev eth1 metric 20 table 100 src 10.0.0.2"),
            "route add",
            false,
        )
        .unwrap();
        assert_eq!(
            (s.dev.as_deref(), s.metric, s.table),
            (Some("eth1"), Some(20), Some(100))
        );
        assert_eq!(s.src, Some("10.0.0.2".parse().unwrap()));
        let s = parse_spec(words("unreachable 10.9.0.0/16"), "route add", false).unwrap();
        assert_eq!(s.kind, RouteType::Unreachable);
        let s = parse_spec(words("blackhole 2001:db8::/64"), "route add", false).unwrap();
        assert_eq!(s.kind, RouteType::BlackHole);
        let s = parse_spec(words("10.0.0.5 dev eth0"), "route add", false).unwrap();
        assert_eq!(s.dst.to_string(), "10.0.0.5/32");
        assert_eq!(
            parse_spec(words("default"), "route add", true)
                .unwrap()
                .dst
                .to_string(),
            "::/0"
        );
    }

    #[test]
    fn refuses_bad_routes_before_sending() {
        for (line, code, needle) in [
            (
                "10.1.0.1/16 via 10.0.0.1",
                7,
                "host bits are set (the network is 10.1.0.0/16)",
            ),
            ("2001:db8::1/64", 7, "host bits are set"),
            ("10.1.0/16", 7, "invalid route prefix '10.1.0/16'"),
            ("10.1.0.0/33", 7, "invalid route prefix"),
            ("10.1.0.0/16 via fd00::1", 7, "not of the same family"),
            ("10.1.0.0/16 via nonsense", 7, "invalid gateway 'nonsense'"),
            ("10.1.0.0/16 metric x", 7, "invalid metric"),
            ("10.1.0.0/16 via", 2, "'via' needs a value"),
            ("10.1.0.0/16 frob 1", 2, "unexpected argument 'frob'"),
            ("unreachable 10.9.0.0/16 via 10.0.0.1", 7, "has no gateway"),
            ("via 10.0.0.1", 2, "give PREFIX or default"),
            ("10.0.0.0/8 table x", 7, "invalid table"),
        ] {
            let e = parse_spec(words(line), "route add", false).unwrap_err();
            assert_eq!(e.exit_code(), code, "{line}: {}", e.message);
            assert!(e.message.contains(needle), "{line}: {}", e.message);
        }
    }

    #[test]
    fn text_lines_follow_ip_route_show() {
        let mut r = RouteEntry {
            kind: "unicast".into(),
            dst: "default".into(),
            family: "inet".into(),
            gateway: Some("10.0.0.1".into()),
            dev: Some("eth0".into()),
            protocol: "boot".into(),
            scope: "global".into(),
            prefsrc: None,
            metric: None,
            table: 254,
            flags: vec![],
            pref: None,
        };
        assert_eq!(text_line(&r, false), "default via 10.0.0.1 dev eth0 \n");
        r.dst = "10.0.0.0/24".into();
        r.gateway = None;
        r.protocol = "kernel".into();
        r.scope = "link".into();
        r.prefsrc = Some("10.0.0.2".into());
        assert_eq!(
            text_line(&r, false),
            "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.2 \n"
        );
    }
}
