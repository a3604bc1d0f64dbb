//! route: IPv4 and IPv6 routes as `ip route` adds, replaces, deletes and lists them, in the
//! current namespace or in -n NS, over rtnetlink.
//!
//! Kernel facts this leans on (DESIGN.md): IPv4 refuses a prefix with host bits set while IPv6
//! silently clears them, so both are refused here before anything is sent; a gateway that no
//! link reaches is EINVAL (IPv4) / EHOSTUNREACH (IPv6), so it is checked here first and named;
//! an IPv6 route without a metric gets 1024.

use futures::StreamExt;
use ipnet::IpNet;
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteMetric, RouteNextHop,
    RouteNextHopFlags, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::packet_core::{
    NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_ECHO, NLM_F_EXCL,
    NLM_F_REPLACE, NLM_F_REQUEST,
};
use rtnetlink::Handle;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::netlink::route::{destination, gateway, oif, priority, table as table_of, RouteEntry};
use vnet_common::netlink::{RouteFilter, RouteSocket};
use vnet_common::{links, netns, Error, ErrorKind, Journal, Result};

/// A change of a route (add, replace, del) and how it takes a route that exists or is missing;
/// the route itself is a [`RouteSpec`] (the verbs: ip_verbs/route.rs).
#[derive(Debug)]
pub struct Route {
    pub action: RouteAction,
    /// add: succeed with "changed": false when the route already exists.
    pub exist_ok: bool,
    /// del: succeed with "changed": false when no such route exists.
    pub missing_ok: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RouteAction {
    Add,
    Replace,
    Append,
    Prepend,
    Change,
    Test,
    #[value(alias = "delete")]
    Del,
    #[value(alias = "list", alias = "ls")]
    Show,
}

impl RouteAction {
    pub fn name(self) -> &'static str {
        match self {
            RouteAction::Add => "add",
            RouteAction::Replace => "replace",
            RouteAction::Append => "append",
            RouteAction::Prepend => "prepend",
            RouteAction::Change => "change",
            RouteAction::Test => "test",
            RouteAction::Del => "del",
            RouteAction::Show => "show",
        }
    }

    /// The netlink flags of a new route, as ip route sends them for each action: add refuses an
    /// equal route, replace changes or creates, change only changes, prepend/append create one
    /// more route to the prefix (before or after the others), test only asks whether it is new.
    fn flags(self) -> u16 {
        match self {
            RouteAction::Add => NLM_F_CREATE | NLM_F_EXCL,
            RouteAction::Replace => NLM_F_CREATE | NLM_F_REPLACE,
            RouteAction::Change => NLM_F_REPLACE,
            RouteAction::Prepend => NLM_F_CREATE,
            RouteAction::Append => NLM_F_CREATE | NLM_F_APPEND,
            RouteAction::Test => NLM_F_EXCL,
            RouteAction::Del | RouteAction::Show => 0,
        }
    }

    /// Whether the route this action sends takes the place of one there (put back on undo).
    fn replaces(self) -> bool {
        matches!(self, RouteAction::Replace | RouteAction::Change)
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
    /// The scope given (None: ip's default for the type, see [`default_scope`]).
    pub scope: Option<RouteScope>,
    /// RTA_METRICS (mtu, advmss, ...), empty when none is given.
    pub metrics: Vec<RouteMetric>,
    /// A multipath route's nexthops (RTA_MULTIPATH), empty for a route of one path.
    pub nexthops: Vec<NextHopSpec>,
    /// The nexthop object that carries the route (RTA_NH_ID), instead of via/dev/nexthops.
    pub nhid: Option<u32>,
}

/// One nexthop of a multipath route as given.
#[derive(Debug, Clone, PartialEq)]
pub struct NextHopSpec {
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    /// 1..256 (the kernel keeps weight - 1).
    pub weight: u16,
    pub onlink: bool,
}

/// RTA_MULTIPATH's nexthops, their devices looked up in `links` (a missing one is exit 3).
fn multipath(spec: &RouteSpec, links: &HashMap<u32, String>, ns: Option<&str>) -> Result<Vec<RouteNextHop>> {
    let index = |name: &str| {
        links
            .iter()
            .find(|(_, n)| n.as_str() == name)
            .map(|(i, _)| *i)
            .ok_or_else(|| vnet_common::links::missing_link(name, ns))
    };
    let mut hops = vec![];
    for given in &spec.nexthops {
        let mut hop = RouteNextHop::default();
        hop.hops = (given.weight - 1) as u8;
        hop.interface_index = given.dev.as_deref().map(index).transpose()?.unwrap_or(0);
        if given.onlink {
            hop.flags |= RouteNextHopFlags::Onlink;
        }
        if let Some(via) = given.via {
            hop.attributes
                .push(RouteAttribute::Gateway(RouteAddress::from(via)));
        }
        hops.push(hop);
    }
    Ok(hops)
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

/// A route attribute's address as an IP address (None for MPLS and other families).
pub(crate) fn route_address(addr: &RouteAddress) -> Option<IpAddr> {
    match addr {
        RouteAddress::Inet(a) => Some(IpAddr::V4(*a)),
        RouteAddress::Inet6(a) => Some(IpAddr::V6(*a)),
        _ => None,
    }
}

pub(crate) fn display_dst(dst: &IpNet, default: bool) -> String {
    if default {
        "default".to_string()
    } else {
        dst.to_string()
    }
}

/// One line of `ip route show` (`with_table`: name the table, as ip does for `table all`).
pub fn text_line(r: &RouteEntry, with_table: bool) -> String {
    let mut line = String::new();
    if r.kind != "unicast" {
        line.push_str(&r.kind);
        line.push(' ');
    }
    line.push_str(&r.dst);
    if let Some(id) = r.nhid {
        line.push_str(&format!(" nhid {id}"));
    }
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
    m.header.scope = match spec.scope {
        Some(scope) => scope,
        None if for_delete => RouteScope::NoWhere,
        None => default_scope(spec, v6),
    };
    if !spec.metrics.is_empty() {
        m.attributes.push(RouteAttribute::Metrics(spec.metrics.clone()));
    }
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
    if let Some(id) = spec.nhid {
        m.attributes.push(RouteAttribute::NhId(id));
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

/// ip's scope for a route given none: universe for IPv6; host for local and nat routes; link for
/// broadcast, multicast, anycast and a unicast route without a gateway; else universe.
fn default_scope(spec: &RouteSpec, v6: bool) -> RouteScope {
    match spec.kind {
        _ if v6 => RouteScope::Universe,
        RouteType::Local | RouteType::Nat => RouteScope::Host,
        RouteType::Broadcast | RouteType::Multicast | RouteType::Anycast => RouteScope::Link,
        RouteType::Unicast if spec.via.is_none() && spec.nexthops.is_empty() && spec.nhid.is_none() => {
            RouteScope::Link
        }
        _ => RouteScope::Universe,
    }
}

/// A dumped route as a request that adds it back (only the attributes that define a route; of
/// a route over a nexthop object its id, not the paths the kernel spells out from it).
pub(crate) fn as_request(route: &RouteMessage) -> RouteMessage {
    let mut m = RouteMessage::default();
    m.header = route.header.clone();
    m.header.flags = route.header.flags & RouteFlags::Onlink;
    let by_nhid = route
        .attributes
        .iter()
        .any(|a| matches!(a, RouteAttribute::NhId(_)));
    m.attributes = route
        .attributes
        .iter()
        .filter(|a| {
            let path = matches!(
                a,
                RouteAttribute::Gateway(_) | RouteAttribute::Oif(_) | RouteAttribute::MultiPath(_)
            );
            !(by_nhid && path)
        })
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
                    | RouteAttribute::NhId(_)
            )
        })
        .cloned()
        .collect();
    m
}

/// True when `route` is the one `spec` names, as the kernel matches them (destination, table,
/// metric, and for del the gateway, dev, type, protocol and scope when given).
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
    // The kernel matches a protocol or scope only when the request names one (ip sends none).
    let protocol_ok = spec.protocol.is_none_or(|p| u8::from(route.header.protocol) == p);
    let scope_ok = spec.scope.is_none_or(|s| route.header.scope == s);
    protocol_ok && scope_ok
}

/// --exist-ok accepts only the route asked for: another one to the same prefix (another
/// gateway, device or type) is exit 4 naming it.
fn refuse_another(
    existing: Option<&RouteMessage>,
    spec: &RouteSpec,
    oif_index: Option<u32>,
    near: &mut Nearby,
    what: &str,
) -> Result<()> {
    let Some(other) = existing.filter(|r| !matches_spec(r, spec, oif_index, true)) else {
        return Ok(());
    };
    let line = text_line(&near.entry(other)?, false);
    Err(
        Error::exists(format!("{what}: another route to it exists: {}", line.trim_end()))
            .with_hint("use 'route replace' to change it"),
    )
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
    pub async fn change(
        &self,
        handle: &Handle,
        ns: Option<&str>,
        spec: &RouteSpec,
        verb: &str,
        journal: &mut Journal,
    ) -> Result<RouteChange> {
        let what = format!("{verb} {}", display_dst(&spec.dst, spec.default));
        let oif_index = dev_index(handle, spec, ns, &what).await?;
        let mut near = Nearby::open(ns, spec, oif_index).map_err(|e| e.context(&what))?;
        let mut result = RouteChange {
            action: self.action.name().to_string(),
            netns: ns.map(str::to_string),
            route: None,
            replaced: None,
            changed: false,
        };
        if self.action == RouteAction::Del {
            return self.delete(handle, ns, &mut near, result, &what, journal).await;
        }
        if spec.via.is_some() && !spec.onlink {
            check_gateway(&near.reaching()?, spec, oif_index, &what)?;
        }
        // Only replace and change put a route aside (journaled, printed as "replaced").
        let existing = match self.action.replaces() {
            true => near.same_prefix()?,
            false => None,
        };
        let mut request = message(spec, oif_index, false);
        if !spec.nexthops.is_empty() {
            let links = nexthop_links(handle, spec, ns)
                .await
                .map_err(|e| e.context(&what))?;
            let hops = multipath(spec, &links, ns).map_err(|e| e.context(&what))?;
            request.attributes.push(RouteAttribute::MultiPath(hops));
        }
        let echoed = match send(handle, request, self.action.flags()).await {
            Ok(echoed) => echoed,
            Err(e) if e.kind == ErrorKind::Exists && self.exist_ok => {
                let existing = near.same_prefix()?;
                refuse_another(existing.as_ref(), spec, oif_index, &mut near, &what)?;
                result.route = existing.as_ref().map(|r| near.entry(r)).transpose()?;
                return Ok(result);
            }
            Err(e) if e.kind == ErrorKind::Exists => {
                return Err(Error::exists(format!("{what}: the route already exists"))
                    .with_hint("use 'route replace' to change it, or --exist-ok to accept it"));
            }
            Err(e) => return Err(gateway_error(e, spec).context(&what)),
        };
        self.record_undo(handle, existing.as_ref(), spec, oif_index, &what, journal)?;
        result.replaced = existing.as_ref().map(|r| near.entry(r)).transpose()?;
        let made = match echoed.filter(|r| matches_spec(r, spec, oif_index, true)) {
            Some(route) => Some(route),
            None => near
                .exact()?
                .into_iter()
                .find(|r| matches_spec(r, spec, oif_index, true)),
        };
        result.route = made.as_ref().map(|r| near.entry(r)).transpose()?;
        result.changed = true;
        Ok(result)
    }

    /// del: the route the spec names, found among the routes that could be it, deleted.
    async fn delete(
        &self,
        handle: &Handle,
        ns: Option<&str>,
        near: &mut Nearby,
        mut result: RouteChange,
        what: &str,
        journal: &mut Journal,
    ) -> Result<RouteChange> {
        let routes = near.exact().map_err(|e| e.context(what))?;
        let Some(found) = routes
            .iter()
            .find(|r| matches_spec(r, &near.spec, near.oif, true))
        else {
            if self.missing_ok {
                return Ok(result);
            }
            return Err(
                Error::not_found(format!("{what}: no such route in {}", netns::describe(ns)))
                    .with_hint("pass --missing-ok to accept a missing route"),
            );
        };
        delete_found(handle, found, what, journal).await?;
        result.route = Some(near.entry(found)?);
        result.changed = true;
        Ok(result)
    }
}

/// The routes a change looks at, read over a blocking socket of its own with the kernel
/// selecting them ([`RouteSocket::routes_where`]), and the names of only the links they name.
/// For speed: reading every route of the family and every link's name made `route add` with
/// 1000 other routes present take 20 ms of CPU beside ip's 1.4 (bench BENCH_ONLY=writes).
struct Nearby {
    socket: RouteSocket,
    family: AddressFamily,
    spec: RouteSpec,
    oif: Option<u32>,
}

impl Nearby {
    fn open(ns: Option<&str>, spec: &RouteSpec, oif: Option<u32>) -> Result<Nearby> {
        let family = match spec.dst {
            IpNet::V6(_) => AddressFamily::Inet6,
            IpNet::V4(_) => AddressFamily::Inet,
        };
        Ok(Nearby {
            socket: RouteSocket::open(ns)?,
            family,
            spec: spec.clone(),
            oif,
        })
    }

    fn dump(&mut self, filter: RouteFilter) -> Result<Vec<RouteMessage>> {
        self.socket
            .routes_where(self.family, filter)
            .map_err(|e| e.context("list routes"))
    }

    /// The routes that could be the one the spec names exactly (its table, dev and type).
    fn exact(&mut self) -> Result<Vec<RouteMessage>> {
        let kind = self.spec.kind;
        self.dump(RouteFilter {
            table: Some(self.spec.table.unwrap_or(254)),
            kind: (kind != RouteType::Unicast).then_some(kind),
            oif: self.oif,
        })
    }

    /// The route to the spec's prefix in its table with its metric, of any type or device.
    fn same_prefix(&mut self) -> Result<Option<RouteMessage>> {
        let table = Some(self.spec.table.unwrap_or(254));
        let routes = self.dump(RouteFilter {
            table,
            ..RouteFilter::default()
        })?;
        let oif = self.oif;
        Ok(routes
            .into_iter()
            .find(|r| matches_spec(r, &self.spec, oif, false)))
    }

    /// The unicast routes of every table (on the spec's dev if it names one): those that may
    /// reach a gateway.
    fn reaching(&mut self) -> Result<Vec<RouteMessage>> {
        self.dump(RouteFilter {
            table: None,
            kind: Some(RouteType::Unicast),
            oif: self.oif,
        })
    }

    /// `route` as `route show` prints it, its links named (each asked for by its index).
    fn entry(&mut self, route: &RouteMessage) -> Result<RouteEntry> {
        let mut named = vec![];
        RouteEntry::decode(route, |index| {
            named.push(index);
            String::new()
        });
        let names = self
            .socket
            .names_of(named)
            .map_err(|e| e.context("look up interfaces"))?;
        Ok(RouteEntry::decode_named(route, &names))
    }
}

/// The links a multipath route's nexthops name, by index (a missing one is exit 3).
async fn nexthop_links(handle: &Handle, spec: &RouteSpec, ns: Option<&str>) -> Result<HashMap<u32, String>> {
    let mut links = HashMap::new();
    for dev in spec.nexthops.iter().filter_map(|hop| hop.dev.as_deref()) {
        let link = links::require_link(handle, dev, ns).await?;
        links.insert(link.header.index, dev.to_string());
    }
    Ok(links)
}

impl Route {
    /// Journals what undoes the route just added or replaced: the replaced route put back, or
    /// the new one deleted.
    fn record_undo(
        &self,
        handle: &Handle,
        existing: Option<&RouteMessage>,
        spec: &RouteSpec,
        oif_index: Option<u32>,
        what: &str,
        journal: &mut Journal,
    ) -> Result<()> {
        let undo = handle.clone();
        let mut delete = message(spec, oif_index, true);
        if let (None, true) = (spec.metric, matches!(spec.dst, IpNet::V6(_))) {
            delete.attributes.push(RouteAttribute::Priority(1024));
        }
        match (existing, self.action.replaces()) {
            (Some(old), true) => {
                let old = as_request(old);
                journal.record(what, async move {
                    undo.route()
                        .add(old)
                        .replace()
                        .execute()
                        .await
                        .map_err(Error::from)
                })
            }
            _ => journal.record(what, async move {
                undo.route().del(delete).execute().await.map_err(Error::from)
            }),
        }
    }
}

/// Sends a new route with the action's netlink `flags` (rtnetlink's request knows only add and
/// replace) and NLM_F_ECHO, and waits for the kernel's ack: the route as the kernel made it comes
/// back in the echo, so no dump is needed to print it (ip route add makes no dump either).
async fn send(handle: &Handle, request: RouteMessage, flags: u16) -> Result<Option<RouteMessage>> {
    let mut message = NetlinkMessage::from(RouteNetlinkMessage::NewRoute(request));
    message.header.flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO | flags;
    let mut replies = handle.clone().request(message).map_err(Error::from)?;
    let mut echoed = None;
    while let Some(reply) = replies.next().await {
        match reply.payload {
            NetlinkPayload::Error(e) => return Err(Error::from(rtnetlink::Error::NetlinkError(e))),
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewRoute(route)) => echoed = Some(route),
            _ => {}
        }
    }
    Ok(echoed)
}

/// The index of the route's `dev`, when it names one (exit 3 when the link is missing).
async fn dev_index(handle: &Handle, spec: &RouteSpec, ns: Option<&str>, what: &str) -> Result<Option<u32>> {
    match &spec.dev {
        Some(dev) => Ok(Some(
            links::require_link(handle, dev, ns)
                .await
                .map_err(|e| e.context(what))?
                .header
                .index,
        )),
        None => Ok(None),
    }
}

/// Deletes the route `found`, journaling its re-adding.
async fn delete_found(
    handle: &Handle,
    found: &RouteMessage,
    what: &str,
    journal: &mut Journal,
) -> Result<()> {
    let request = as_request(found);
    handle
        .route()
        .del(request.clone())
        .execute()
        .await
        .map_err(|e| Error::from(e).context(what))?;
    let undo = handle.clone();
    journal.record(what, async move {
        undo.route().add(request).execute().await.map_err(Error::from)
    })
}

/// Refuses a gateway no route of `routes` reaches (on the route's dev, if it names one), before
/// anything is sent; `onlink` says the gateway is there anyway.
fn check_gateway(
    routes: &[RouteMessage],
    spec: &RouteSpec,
    oif_index: Option<u32>,
    what: &str,
) -> Result<()> {
    if let Some(gw) = spec.via {
        if !spec.onlink && !reaches(routes, gw, oif_index) {
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
    Ok(())
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
            nhid: None,
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
