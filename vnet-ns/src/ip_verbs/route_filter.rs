//! The selectors of `route show` and `route flush`, as ip route reads them (ip-route(8) SELECTOR:
//! `[root|match|exact] PREFIX`, `table TABLE|all|cache`, `dev IF`, `proto P`, `scope S`, `type T`,
//! `via PREFIX`, `src PREFIX`, `metric N`, `cached`), and `route flush` itself.

use crate::route::{self, TableFilter};
use crate::scope::Scope;
use crate::NsCtx;
use ipnet::IpNet;
use netlink_packet_route::route::{RouteAttribute, RouteFlags, RouteMessage, RouteScope, RouteType};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::packet_core::{NLM_F_APPEND, NLM_F_CREATE};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::netlink::in_namespace;
use vnet_common::netlink::route::{destination, gateway, oif, priority, table as table_of, RouteEntry};
use vnet_common::{Error, ErrorKind, Journal, Render, Result, TextStyle, Verb};

/// Which routes: every selector given must hold (ip route show/flush's SELECTOR). Without one,
/// the IPv4 routes of table main; `table all` lists both families unless -4 or -6 is given.
#[derive(Debug, Default, Clone, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct RouteFilter {
    /// The routes to this exact prefix (ip's `[exact] PREFIX`).
    #[arg(value_name = "PREFIX", value_parser = prefix)]
    pub prefix: Option<IpNet>,
    /// The routes to this exact prefix, as PREFIX.
    #[arg(long, visible_alias = "exact", value_name = "PREFIX", value_parser = prefix, help_heading = HEADING)]
    pub to: Option<IpNet>,
    /// The routes to PREFIX or to a prefix inside it.
    #[arg(long, value_name = "PREFIX", value_parser = prefix, help_heading = HEADING)]
    pub root: Option<IpNet>,
    /// The routes whose prefix covers PREFIX.
    #[arg(long = "match", value_name = "PREFIX", value_parser = prefix, help_heading = HEADING)]
    pub covers: Option<IpNet>,
    /// The table: a number, main, local, default, all, or cache (the cached clones).
    #[arg(long, value_name = "TABLE", value_parser = table_word, help_heading = HEADING)]
    pub table: Option<TableWord>,
    /// The routes of this vrf's table (ip's `vrf NAME`).
    #[arg(long, value_name = "NAME", value_parser = super::ifname, conflicts_with = "table", help_heading = HEADING)]
    pub vrf: Option<String>,
    /// Set by `vrf NAME`: ip leaves the vrf table's local and broadcast routes out.
    #[arg(skip)]
    pub vrf_table: bool,
    /// The cached clones (ip's `cache`, `cached`, `cloned`; flush: the IPv4 route cache).
    #[arg(long, visible_aliases = ["cached", "cloned"], help_heading = HEADING)]
    pub cache: bool,
    /// The routes out of this interface (a nexthop's included).
    #[arg(long, visible_alias = "oif", value_name = "IF", value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    /// The routes of this protocol (a name, a number, or all).
    #[arg(long, visible_alias = "protocol", value_name = "P", value_parser = any_protocol, help_heading = HEADING)]
    pub proto: Option<OrAll<u8>>,
    /// The routes of this scope (a name, a number, or all).
    #[arg(long, value_name = "SCOPE", value_parser = any_scope, help_heading = HEADING)]
    pub scope: Option<OrAll<RouteScope>>,
    /// The routes of this type (unicast, local, broadcast, blackhole, ...).
    #[arg(long = "type", value_name = "TYPE", value_parser = kind, help_heading = HEADING)]
    pub kind: Option<RouteType>,
    /// The routes whose gateway lies in PREFIX (or is this address).
    #[arg(long, value_name = "PREFIX", value_parser = prefix, help_heading = HEADING)]
    pub via: Option<IpNet>,
    /// The routes whose preferred source lies in PREFIX (or is this address).
    #[arg(long, value_name = "PREFIX", value_parser = prefix, help_heading = HEADING)]
    pub src: Option<IpNet>,
    /// The routes of this metric.
    #[arg(long, visible_aliases = ["priority", "preference"], value_name = "N", help_heading = HEADING)]
    pub metric: Option<u32>,
    /// IPv4 only (the default, as ip, except for table all).
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub ipv6: bool,
}

/// TYPE's words, before the prefix (ip-route(8)'s TYPE).
pub(crate) fn route_type(word: &str) -> Option<RouteType> {
    match word {
        "unicast" => Some(RouteType::Unicast),
        "local" => Some(RouteType::Local),
        "broadcast" => Some(RouteType::Broadcast),
        "multicast" => Some(RouteType::Multicast),
        "anycast" => Some(RouteType::Anycast),
        "unreachable" => Some(RouteType::Unreachable),
        "blackhole" => Some(RouteType::BlackHole),
        "prohibit" => Some(RouteType::Prohibit),
        "throw" => Some(RouteType::Throw),
        "nat" => Some(RouteType::Nat),
        _ => None,
    }
}

/// A scope as ip reads one: a name of /etc/iproute2/rt_scopes or a number.
pub(crate) fn scope(text: &str) -> Result<RouteScope> {
    let named = match text {
        "global" | "universe" => Some(RouteScope::Universe),
        "site" => Some(RouteScope::Site),
        "link" => Some(RouteScope::Link),
        "host" => Some(RouteScope::Host),
        "nowhere" => Some(RouteScope::NoWhere),
        _ => text.parse::<u8>().ok().map(RouteScope::from),
    };
    named.ok_or_else(|| {
        Error::invalid(format!(
            "invalid scope {}: global, site, link, host, nowhere or a number 0..255",
            quote(text)
        ))
    })
}

/// `table`'s value: a table, every table, or the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableWord {
    Table(TableFilter),
    Cache,
}

fn table_word(text: &str) -> Result<TableWord> {
    match text {
        "all" => Ok(TableWord::Table(TableFilter::All)),
        "cache" => Ok(TableWord::Cache),
        _ => route::parse_table(text).map(|t| TableWord::Table(TableFilter::One(t))),
    }
}

fn prefix(text: &str) -> Result<IpNet> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .or_else(|_| match text {
            "default" | "all" | "any" => Ok("0.0.0.0/0".parse().expect("a prefix")),
            _ => Err(()),
        })
        .map_err(|_| {
            Error::invalid(format!(
                "invalid prefix {}: expected PREFIX/LEN or an address",
                quote(text)
            ))
        })
}

/// A selector's value that may be `all` (None: any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrAll<T>(pub Option<T>);

fn any_protocol(text: &str) -> Result<OrAll<u8>> {
    match text {
        "all" => Ok(OrAll(None)),
        _ => crate::protocols::protocol_number(text)
            .map(|p| OrAll(Some(p)))
            .ok_or_else(|| Error::invalid(format!("unknown protocol {}", quote(text)))),
    }
}

fn any_scope(text: &str) -> Result<OrAll<RouteScope>> {
    match text {
        "all" => Ok(OrAll(None)),
        _ => scope(text).map(|s| OrAll(Some(s))),
    }
}

fn kind(text: &str) -> Result<RouteType> {
    route_type(text).ok_or_else(|| {
        Error::invalid(format!(
            "invalid route type {}: unicast, local, broadcast, multicast, anycast, unreachable, \
             blackhole, prohibit, throw or nat",
            quote(text)
        ))
    })
}

impl RouteFilter {
    /// The families to dump: -4/-6, else both for `table all`, else IPv4 (as ip).
    pub fn families(&self) -> Vec<AddressFamily> {
        match (self.ipv4, self.ipv6, self.table) {
            (_, true, _) => vec![AddressFamily::Inet6],
            (false, false, Some(TableWord::Table(TableFilter::All))) => {
                vec![AddressFamily::Inet, AddressFamily::Inet6]
            }
            _ => vec![AddressFamily::Inet],
        }
    }

    fn cached(&self) -> bool {
        self.cache || self.table == Some(TableWord::Cache)
    }

    fn table_wanted(&self) -> TableFilter {
        match self.table {
            Some(TableWord::Table(filter)) => filter,
            // The cache is listed whatever its table, as ip does.
            Some(TableWord::Cache) => TableFilter::All,
            None if self.cache => TableFilter::All,
            None => TableFilter::One(254),
        }
    }

    /// `vrf NAME` as the table it stands for (a missing vrf exit 3, a link that is no vrf exit 7).
    pub fn resolve_vrf(&mut self, ctx: &mut NsCtx, verb: &str) -> Result<()> {
        if let Some(vrf) = self.vrf.take() {
            let table = vrf_table(ctx, &vrf, verb)?;
            self.table = Some(TableWord::Table(TableFilter::One(table)));
            self.vrf_table = true;
        }
        Ok(())
    }

    /// Whether nothing but the family (and the table's default) is given: flush refuses that.
    fn is_empty(&self) -> bool {
        self.prefix.is_none()
            && self.to.is_none()
            && self.root.is_none()
            && self.covers.is_none()
            && self.table.is_none()
            && !self.cache
            && self.dev.is_none()
            && self.proto.is_none()
            && self.scope.is_none()
            && self.kind.is_none()
            && self.via.is_none()
            && self.src.is_none()
            && self.metric.is_none()
    }

    /// Whether `route` is selected; `dev` is the index of the dev given.
    fn selects(&self, route: &RouteMessage, dev: Option<u32>) -> bool {
        let header = &route.header;
        if header.flags.contains(RouteFlags::Cloned) != self.cached() {
            return false;
        }
        if let TableFilter::One(table) = self.table_wanted() {
            if table_of(route) != table {
                return false;
            }
        }
        let proto_ok = self
            .proto
            .and_then(|p| p.0)
            .is_none_or(|p| u8::from(header.protocol) == p);
        let scope_ok = self.scope.and_then(|s| s.0).is_none_or(|s| header.scope == s);
        let kind_ok = match self.kind {
            Some(kind) => header.kind == kind,
            None => !(self.vrf_table && matches!(header.kind, RouteType::Local | RouteType::Broadcast)),
        };
        let metric_ok = self.metric.is_none_or(|m| priority(route).unwrap_or(0) == m);
        proto_ok
            && scope_ok
            && kind_ok
            && metric_ok
            && self.prefix_selects(route)
            && self.hop_selects(route, dev)
    }

    /// The destination selectors: exact (PREFIX, to, exact), root, match.
    fn prefix_selects(&self, route: &RouteMessage) -> bool {
        let Some(dst) = destination(route) else {
            return false;
        };
        let exact = self.prefix.or(self.to);
        exact.is_none_or(|p| same_family(&p, &dst) && p.trunc() == dst)
            && self.root.is_none_or(|p| {
                same_family(&p, &dst) && dst.prefix_len() >= p.prefix_len() && p.contains(&dst)
            })
            && self.covers.is_none_or(|p| {
                same_family(&p, &dst) && dst.prefix_len() <= p.prefix_len() && dst.contains(&p)
            })
    }

    /// The next-hop selectors: dev, via, src. A multipath route has none of its own, so they
    /// never pick it (as with ip, where the kernel's filtered dump leaves it out).
    fn hop_selects(&self, route: &RouteMessage, dev: Option<u32>) -> bool {
        let dev_ok = dev.is_none_or(|index| oif(route) == Some(index));
        let via_ok = self
            .via
            .is_none_or(|p| gateway(route).is_some_and(|gw| p.contains(&gw)));
        let src_ok = self
            .src
            .is_none_or(|p| prefsrc(route).is_some_and(|s| p.contains(&s)));
        dev_ok && via_ok && src_ok
    }

    /// The routes selected in the scope's namespace, in the kernel's order.
    pub fn select(&self, scope: &mut Scope) -> Result<Vec<RouteMessage>> {
        let dev = self.dev.as_deref().map(|d| scope.index(d)).transpose()?;
        let mut selected = vec![];
        for family in self.families() {
            let routes = scope
                .socket
                .routes(family)
                .map_err(|e| e.context("list routes"))?;
            selected.extend(routes.into_iter().filter(|r| self.selects(r, dev)));
        }
        Ok(selected)
    }
}

/// The table of vrf `name` in the -n namespace, as ip reads `vrf NAME` (the vrf link's
/// IFLA_VRF_TABLE): a missing link is exit 3 (exit 6 on a kernel without vrf), a link that is
/// no vrf exit 7, before any change.
pub fn vrf_table(ctx: &mut NsCtx, name: &str, verb: &str) -> Result<u32> {
    super::vrf::find(ctx, name, verb).map(|vrf| vrf.table)
}

fn same_family(a: &IpNet, b: &IpNet) -> bool {
    matches!(a, IpNet::V4(_)) == matches!(b, IpNet::V4(_))
}

fn prefsrc(route: &RouteMessage) -> Option<IpAddr> {
    route.attributes.iter().find_map(|a| match a {
        RouteAttribute::PrefSource(s) => route::route_address(s),
        _ => None,
    })
}

/// Delete the routes the selectors pick (ip route flush): `route flush table 100`, `route flush
/// dev eth1`, `route flush proto static`, `route flush cache` (the IPv4 route cache, as ip:
/// /proc/sys/net/ipv4/route/flush in the namespace). Without a selector it is a usage error, as
/// with ip. Nothing selected is success with "changed": false. Journaled: in --batch --atomic the
/// routes are added back.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Flush {
    #[command(flatten)]
    pub filter: RouteFilter,
}

/// What flush deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RouteFlush {
    /// The -n namespace, null for the current one.
    pub netns: Option<String>,
    /// The routes deleted, as they were.
    pub flushed: Vec<RouteEntry>,
    /// True when the IPv4 route cache was flushed (`cache`).
    pub cache: bool,
    pub changed: bool,
}

impl Render for RouteFlush {
    fn text(&self, _: TextStyle) -> String {
        self.flushed.iter().map(|r| route::text_line(r, true)).collect()
    }
}

impl Verb for Flush {
    type Ctx = NsCtx;
    type Output = RouteFlush;

    fn run(mut self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<RouteFlush> {
        self.filter.resolve_vrf(ctx, "route flush")?;
        if self.filter.is_empty() {
            return Err(super::usage(
                "route flush",
                "it requires a selector (table, dev, PREFIX, ...)",
            ));
        }
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let mut result = RouteFlush {
            netns: scope.ns.clone(),
            flushed: vec![],
            cache: false,
            changed: false,
        };
        if self.filter.cached() && !self.filter.ipv6 {
            flush_ipv4_cache(scope.ns.as_deref())?;
            result.cache = true;
            result.changed = true;
            if !self.filter.ipv4 {
                return Ok(result);
            }
        }
        for found in self.filter.select(&mut scope)? {
            if delete(&mut scope, &found, journal)? {
                result
                    .flushed
                    .push(RouteEntry::decode_named(&found, scope.links()?));
                result.changed = true;
            }
        }
        Ok(result)
    }
}

/// Deletes one selected route, journaling its re-adding; false when it was gone already (a route
/// the kernel removed with one deleted before it).
fn delete(scope: &mut Scope, found: &RouteMessage, journal: &mut Journal) -> Result<bool> {
    let request = route::as_request(found);
    let entry = RouteEntry::decode_named(found, scope.links()?);
    let what = format!("route flush {}", route::text_line(&entry, true).trim_end());
    let undo = RouteNetlinkMessage::NewRoute(request.clone());
    let change = RouteNetlinkMessage::DelRoute(request);
    match scope.change(&what, change, 0, undo, NLM_F_CREATE | NLM_F_APPEND, journal) {
        Ok(()) => Ok(true),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Flushes the IPv4 route cache of `ns`, as ip route flush cache writes it.
fn flush_ipv4_cache(ns: Option<&str>) -> Result<()> {
    in_namespace(ns, || {
        std::fs::write("/proc/sys/net/ipv4/route/flush", "-1")
            .map_err(|e| Error::failed(format!("route flush cache: /proc/sys/net/ipv4/route/flush: {e}")))
    })
}

/// The link names of a listing, for [`RouteEntry::decode_named`].
pub fn decode_all(routes: &[RouteMessage], links: &HashMap<u32, String>) -> Vec<RouteEntry> {
    routes
        .iter()
        .map(|r| RouteEntry::decode_named(r, links))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    fn filter(line: &str) -> Result<RouteFilter> {
        match parse_line(&format!("route flush {line}"))? {
            NsVerb::Route(super::super::route::RouteVerb::Flush(flush)) => Ok(flush.filter),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_ip_selectors() {
        let f = filter("table 100").unwrap();
        assert_eq!(f.table, Some(TableWord::Table(TableFilter::One(100))));
        assert_eq!(f.families(), vec![AddressFamily::Inet]);
        let f = filter("table all").unwrap();
        assert_eq!(f.families(), vec![AddressFamily::Inet, AddressFamily::Inet6]);
        assert_eq!(
            filter("table all -4").unwrap().families(),
            vec![AddressFamily::Inet]
        );
        assert!(filter("cache").unwrap().cached());
        assert!(filter("table cache").unwrap().cached());
        assert!(filter("cloned").unwrap().cached());
        let f = filter("dev eth0 proto static scope link type blackhole metric 5").unwrap();
        assert_eq!(f.dev.as_deref(), Some("eth0"));
        assert_eq!(f.proto, Some(OrAll(Some(4))));
        assert_eq!(f.scope, Some(OrAll(Some(RouteScope::Link))));
        assert_eq!(f.kind, Some(RouteType::BlackHole));
        assert_eq!(f.metric, Some(5));
        assert_eq!(filter("proto all").unwrap().proto, Some(OrAll(None)));
        let f = filter("root 10.0.0.0/8 match 10.1.2.3 via 10.0.0.1 src 10.0.0.0/24").unwrap();
        assert_eq!(f.root, Some("10.0.0.0/8".parse().unwrap()));
        assert_eq!(f.covers, Some("10.1.2.3/32".parse().unwrap()));
        assert_eq!(f.via, Some("10.0.0.1/32".parse().unwrap()));
        assert_eq!(
            filter("10.1.0.0/16").unwrap().prefix,
            Some("10.1.0.0/16".parse().unwrap())
        );
        assert_eq!(
            filter("exact 10.1.0.0/16").unwrap().to,
            Some("10.1.0.0/16".parse().unwrap())
        );
        assert!(filter("").unwrap().is_empty());
        assert!(filter("-4").unwrap().is_empty());
    }

    #[test]
    fn refuses_bad_selectors() {
        for (line, code) in [
            ("table x", 7),
            ("type frob", 7),
            ("scope frob", 7),
            ("proto frob", 7),
            ("via nonsense", 7),
            ("10.0.0.0/33", 7),
            ("dev a/b", 7),
            ("frob 1", 2),
        ] {
            assert_eq!(filter(line).unwrap_err().exit_code(), code, "{line}");
        }
    }

    #[test]
    fn prefix_selectors_follow_ip() {
        let mut route = RouteMessage::default();
        route.header.address_family = AddressFamily::Inet;
        route.header.destination_prefix_length = 16;
        route.attributes.push(RouteAttribute::Destination(
            netlink_packet_route::route::RouteAddress::Inet("10.1.0.0".parse().unwrap()),
        ));
        let picks = |line: &str| filter(line).unwrap().prefix_selects(&route);
        assert!(picks("10.1.0.0/16"));
        assert!(!picks("10.1.0.0/24"));
        assert!(picks("root 10.0.0.0/8"));
        assert!(picks("root 10.1.0.0/16"));
        assert!(!picks("root 10.1.0.0/24"));
        assert!(picks("match 10.1.2.3"));
        assert!(picks("match 10.1.0.0/24"));
        assert!(!picks("match 10.0.0.0/8"));
        assert!(!picks("match fd00::1"));
    }
}
