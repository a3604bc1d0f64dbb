//! `route add|replace|del|show`: IPv4 and IPv6 routes as `ip route` manages them, in the current
//! namespace or -n NS (the work: crate::route).

use super::route_filter::{self, route_type, scope, RouteFilter};
use crate::route::{self, RouteAction, RouteChange, RouteSpec};
use crate::scope::Scope;
use crate::NsCtx;
use ipnet::IpNet;
use netlink_packet_route::route::{RouteScope, RouteType};
use schemars::JsonSchema;
use serde::Serialize;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::netlink::route::{type_name, RouteEntry};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

vnet_common::verbs! {
    pub enum RouteVerb for NsCtx {
        /// Add a route (ip route add).
        Add(Add),
        /// Add a route or change the one there (ip route replace).
        Replace(Replace),
        /// Change a route that exists (ip route change).
        #[command(visible_alias = "chg")]
        Change(Change),
        /// Add one more route to a prefix, after the others (ip route append).
        Append(Append),
        /// Add one more route to a prefix, before the others (ip route prepend).
        Prepend(Prepend),
        /// Ask the kernel whether a route would be new (ip route test).
        Test(Test),
        /// Delete a route (ip route del).
        #[command(visible_alias = "delete")]
        Del(Del),
        /// List the routes of a table (ip route show).
        #[command(visible_alias = "list", visible_alias = "ls")]
        Show(Show),
        /// Delete the routes selectors pick (ip route flush).
        Flush(route_filter::Flush),
        /// The kernel's route for a packet (ip route get).
        Get(super::route_get::Get),
    }
}

/// A route as ip route spells it: [TYPE] PREFIX|default [via GW] [dev IF] [metric N] [table N |
/// vrf NAME] [src ADDR] [proto P] [scope S] [onlink] [mtu N] [advmss N] ...
///
/// TYPE is unicast (the default), local, broadcast, multicast, anycast, unreachable, blackhole,
/// prohibit, throw or nat; local, broadcast, nat and anycast routes go to table local unless a
/// table is given, as with ip. Metrics (mtu [lock] N, advmss, window, cwnd, ssthresh, initcwnd,
/// initrwnd, hoplimit, reordering, quickack) are set as ip sets them. A bare address is a host
/// route (/32 or /128). Refused before anything changes (exit 7): a prefix that does not parse or
/// has host bits set (10.1.0.1/16), a gateway of the other family, a gateway no link reaches
/// ("gateway X is not reachable on any link"). A missing dev is exit 3. An IPv6 route without a
/// metric gets 1024 from the kernel.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct RouteWords {
    /// [TYPE] PREFIX|default.
    #[arg(value_name = "ROUTE", num_args = 1..=2)]
    pub route: Vec<String>,
    /// The prefix, as PREFIX (ip's `to PREFIX`).
    #[arg(long, value_name = "PREFIX", help_heading = HEADING)]
    pub to: Option<String>,
    /// The gateway.
    #[arg(long, visible_alias = "gw", value_name = "GW", value_parser = gateway, help_heading = HEADING)]
    pub via: Option<IpAddr>,
    /// The output interface.
    #[arg(long, visible_alias = "oif", value_name = "IF", value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    /// The metric (priority).
    #[arg(long, visible_aliases = ["priority", "preference"], value_name = "N", value_parser = metric, help_heading = HEADING)]
    pub metric: Option<u32>,
    /// The table: a number, main, local or default.
    #[arg(long, value_name = "TABLE", value_parser = route::parse_table, help_heading = HEADING)]
    pub table: Option<u32>,
    /// The table of this vrf (ip's `vrf NAME`: a missing link is exit 3, one that is no vrf exit 7).
    #[arg(long, value_name = "NAME", value_parser = super::ifname, conflicts_with = "table", help_heading = HEADING)]
    pub vrf: Option<String>,
    /// The preferred source address.
    #[arg(long, value_name = "ADDR", value_parser = source, help_heading = HEADING)]
    pub src: Option<IpAddr>,
    /// The protocol: a number or ip's name (static, boot, kernel, dhcp, bird, ...).
    #[arg(long, visible_alias = "protocol", value_name = "P", value_parser = protocol, help_heading = HEADING)]
    pub proto: Option<u8>,
    /// Take the gateway as reachable on dev even if no address of dev's covers it.
    #[arg(long, help_heading = HEADING)]
    pub onlink: bool,
    /// The scope: global, site, link, host, nowhere or a number (default as ip: host for local
    /// and nat routes, link for broadcast, multicast, anycast and IPv4 routes without a gateway).
    #[arg(long, value_name = "SCOPE", value_parser = scope, help_heading = HEADING)]
    pub scope: Option<RouteScope>,
    #[command(flatten)]
    pub metrics: super::route_metrics::MetricWords,
    /// A multipath route's nexthops, the end of the line: `nexthop via A dev X weight N [onlink]
    /// nexthop ...`.
    #[arg(long, value_name = "NH", num_args = 1.., allow_hyphen_values = true, help_heading = HEADING)]
    pub nexthop: Vec<String>,
    /// The nexthop object (or group) of this id carries the route (ip's `nhid N`; see nexthop
    /// add). A missing id is exit 3.
    #[arg(long, value_name = "ID", conflicts_with_all = ["via", "dev", "nexthop"], help_heading = HEADING)]
    pub nhid: Option<u32>,
    /// IPv6 for a default route without a gateway.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// IPv4 (the default, as ip).
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
}

fn gateway(text: &str) -> Result<IpAddr> {
    address(text, "gateway")
}

fn source(text: &str) -> Result<IpAddr> {
    address(text, "source address")
}

fn address(text: &str, what: &str) -> Result<IpAddr> {
    text.parse()
        .map_err(|_| Error::invalid(format!("invalid {what} {}: not an IP address", quote(text))))
}

fn metric(text: &str) -> Result<u32> {
    text.parse()
        .map_err(|_| Error::invalid(format!("invalid metric {}: not a number in range", quote(text))))
}

fn protocol(text: &str) -> Result<u8> {
    crate::protocols::protocol_number(text)
        .ok_or_else(|| Error::invalid(format!("unknown protocol {}", quote(text))))
}

impl RouteWords {
    /// The route, every word checked (prefix, families, type with gateway); `verb` for messages.
    pub fn spec(&self, verb: &str) -> Result<RouteSpec> {
        let (kind, dst_text) = self.type_and_prefix(verb)?;
        let default = matches!(dst_text.as_str(), "default" | "all" | "any");
        let nexthops = super::route_nexthop::parse(&self.nexthop, verb)?;
        let dst = if default {
            // The family of a default route: its gateway's (a nexthop's), its source's, else -6
            // or IPv4.
            let v6 = self
                .via
                .or(nexthops.iter().find_map(|h| h.via))
                .or(self.src)
                .map_or(self.ipv6 && !self.ipv4, |a| a.is_ipv6());
            let any = if v6 { "::/0" } else { "0.0.0.0/0" };
            any.parse().expect("a prefix")
        } else {
            route::parse_prefix(&dst_text, verb)?
        };
        let hop_gateways = nexthops.iter().map(|h| (h.via, "gateway"));
        for (addr, what) in [(self.via, "gateway"), (self.src, "source address")]
            .into_iter()
            .chain(hop_gateways)
        {
            match addr {
                Some(addr) if addr.is_ipv6() != matches!(dst, IpNet::V6(_)) => {
                    return Err(Error::invalid(format!(
                        "{verb}: {what} {addr} is not of the same family as {}",
                        route::display_dst(&dst, default)
                    )))
                }
                _ => {}
            }
        }
        if self.via.is_some() && !matches!(kind, RouteType::Unicast | RouteType::Nat) {
            return Err(Error::invalid(format!(
                "{verb}: a {} route has no gateway",
                type_name(kind)
            )));
        }
        // ip puts local, broadcast, nat and anycast routes in table local unless told.
        let local = matches!(
            kind,
            RouteType::Local | RouteType::Broadcast | RouteType::Nat | RouteType::Anycast
        );
        Ok(RouteSpec {
            kind,
            dst,
            default,
            via: self.via,
            dev: self.dev.clone(),
            metric: self.metric,
            table: self.table.or(local.then_some(255)),
            src: self.src,
            protocol: self.proto,
            onlink: self.onlink,
            scope: self.scope,
            metrics: self.metrics.metrics()?,
            nexthops,
            nhid: self.nhid,
        })
    }

    /// `[TYPE] PREFIX` or `[TYPE] to PREFIX`: the type and the prefix's text.
    fn type_and_prefix(&self, verb: &str) -> Result<(RouteType, String)> {
        let mut words: Vec<&str> = self.route.iter().map(String::as_str).collect();
        let kind = words.first().and_then(|w| route_type(w));
        if kind.is_some() {
            words.remove(0);
        }
        let mut prefixes = words.into_iter().chain(self.to.as_deref());
        let prefix = prefixes
            .next()
            .ok_or_else(|| super::usage(verb, "which route? give PREFIX or default"))?;
        if let Some(extra) = prefixes.next() {
            return Err(super::usage(
                verb,
                &format!("unexpected argument {}", quote(extra)),
            ));
        }
        Ok((kind.unwrap_or(RouteType::Unicast), prefix.to_string()))
    }
}

/// Add a route (ip route add): ROUTE as ip spells it.
///
/// Examples: `vnet-ns -n NS route add default via 10.0.0.1`, `vnet-ns route add 10.1.0.0/16 via
/// 10.0.0.1 dev eth1 metric 20`, `vnet-ns route add unreachable 10.9.0.0/16`. A route that exists
/// is exit 4 (--exist-ok: "changed": false). Journaled: in --batch --atomic it is deleted again.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Add {
    #[command(flatten)]
    pub route: RouteWords,
    /// Succeed with "changed": false when the route already exists.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
}

/// Add a route or change the one with its prefix, metric and table (ip route replace).
///
/// Journaled: in --batch --atomic the old route is put back.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Replace {
    #[command(flatten)]
    pub route: RouteWords,
}

/// Change the route with this prefix, metric and table (ip route change): a missing one is exit 3.
///
/// Journaled: in --batch --atomic the old route is put back.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Change {
    #[command(flatten)]
    pub route: RouteWords,
}

/// Add a route beside those to the same prefix, metric and table, after them (ip route append;
/// IPv6 makes the routes one multipath route).
///
/// Journaled: in --batch --atomic it is deleted again.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Append {
    #[command(flatten)]
    pub route: RouteWords,
}

/// Add a route beside those to the same prefix, metric and table, before them (ip route prepend).
///
/// Journaled: in --batch --atomic it is deleted again.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Prepend {
    #[command(flatten)]
    pub route: RouteWords,
}

/// Send the route with ip route test's flags (exclusive, no create): the kernel's answer is the
/// result (an equal route is exit 4).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Test {
    #[command(flatten)]
    pub route: RouteWords,
}

/// Delete a route (ip route del).
///
/// A missing route is exit 3 (--missing-ok: "changed": false). Journaled: in --batch --atomic
/// the route is added again.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Del {
    #[command(flatten)]
    pub route: RouteWords,
    /// Succeed with "changed": false when no such route exists.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

/// List routes as ip route show does: the IPv4 routes of table main unless selectors say more
/// (`table N|main|local|all`, `dev IF`, `proto P`, `scope S`, `type T`, `via PREFIX`, `src
/// PREFIX`, `[root|match|exact] PREFIX`, `cache`, -6); -o text prints ip route show's lines.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Show {
    #[command(flatten)]
    pub filter: RouteFilter,
}

impl Render for RouteChange {}

/// The routes `route show` lists, with ip -j route's field names.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Routes(pub Vec<RouteEntry>);

impl Render for Routes {
    fn text(&self, _: TextStyle) -> String {
        self.0.iter().map(|r| route::text_line(r, false)).collect()
    }
}

/// Runs add, replace or del of `words` in the -n namespace.
fn change(
    ctx: &mut NsCtx,
    words: &RouteWords,
    request: route::Route,
    journal: &mut Journal,
) -> Result<RouteChange> {
    let verb = format!("route {}", request.action.name());
    let mut spec = words.spec(&verb)?;
    if let Some(vrf) = &words.vrf {
        spec.table = Some(route_filter::vrf_table(ctx, vrf, &verb)?);
    }
    if let Some(id) = spec.nhid {
        super::nexthop::require(ctx.netns.as_deref(), id, &verb)?;
    }
    let (netlink, handle, ns) = ctx.scope()?;
    netlink.run(request.change(&handle, ns.as_deref(), &spec, &verb, journal))
}

impl Verb for Add {
    type Ctx = NsCtx;
    type Output = RouteChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<RouteChange> {
        let request = route::Route {
            action: RouteAction::Add,
            exist_ok: self.exist_ok,
            missing_ok: false,
        };
        change(ctx, &self.route, request, journal)
    }
}

impl Verb for Replace {
    type Ctx = NsCtx;
    type Output = RouteChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<RouteChange> {
        let request = route::Route {
            action: RouteAction::Replace,
            exist_ok: false,
            missing_ok: false,
        };
        change(ctx, &self.route, request, journal)
    }
}

/// The verbs that send a new route with their action's flags and nothing else of their own.
macro_rules! plain_route_verb {
    ($($verb:ident => $action:ident),*) => {$(
        impl Verb for $verb {
            type Ctx = NsCtx;
            type Output = RouteChange;

            fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<RouteChange> {
                let request = route::Route {
                    action: RouteAction::$action,
                    exist_ok: false,
                    missing_ok: false,
                };
                change(ctx, &self.route, request, journal)
            }
        }
    )*};
}

plain_route_verb!(Change => Change, Append => Append, Prepend => Prepend, Test => Test);

impl Verb for Del {
    type Ctx = NsCtx;
    type Output = RouteChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<RouteChange> {
        let request = route::Route {
            action: RouteAction::Del,
            exist_ok: false,
            missing_ok: self.missing_ok,
        };
        change(ctx, &self.route, request, journal)
    }
}

impl Verb for Show {
    type Ctx = NsCtx;
    type Output = Routes;

    fn run(mut self, ctx: &mut NsCtx, _: &mut Journal) -> Result<Routes> {
        self.filter.resolve_vrf(ctx, "route show")?;
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let routes = self.filter.select(&mut scope)?;
        Ok(Routes(route_filter::decode_all(&routes, scope.links()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    /// The route of a `route add` line, every word checked.
    fn spec(line: &str) -> Result<RouteSpec> {
        match parse_line(&format!("route add {line}"))? {
            NsVerb::Route(RouteVerb::Add(add)) => add.route.spec("route add"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_ip_spellings() {
        let s = spec("default via 10.0.0.1").unwrap();
        assert!(s.default);
        assert_eq!(s.dst.to_string(), "0.0.0.0/0");
        assert_eq!(s.via, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(spec("default via fd00::1").unwrap().dst.to_string(), "::/0");
        assert_eq!(spec("default gw fd00::1").unwrap().dst.to_string(), "::/0");
        let s = spec("10.1.0.0/16 via 10.0.0.1 dev eth1 metric 20 table 100 src 10.0.0.2").unwrap();
        assert_eq!(
            (s.dev.as_deref(), s.metric, s.table),
            (Some("eth1"), Some(20), Some(100))
        );
        assert_eq!(s.src, Some("10.0.0.2".parse().unwrap()));
        let s = spec("10.1.0.0/16 oif eth1 priority 5 table main proto static onlink").unwrap();
        assert_eq!(
            (s.dev.as_deref(), s.metric, s.table, s.protocol, s.onlink),
            (Some("eth1"), Some(5), Some(254), Some(4), true)
        );
        assert_eq!(
            spec("10.1.0.0/16 preference 7 protocol 99").unwrap().metric,
            Some(7)
        );
        // A word given twice counts once, the last, as with ip.
        assert_eq!(spec("10.1.0.0/16 metric 5 metric 9").unwrap().metric, Some(9));
        assert_eq!(
            spec("to 10.1.0.0/16 dev eth1").unwrap().dst.to_string(),
            "10.1.0.0/16"
        );
        assert_eq!(
            spec("unreachable 10.9.0.0/16").unwrap().kind,
            RouteType::Unreachable
        );
        assert_eq!(
            spec("blackhole 2001:db8::/64").unwrap().kind,
            RouteType::BlackHole
        );
        assert_eq!(spec("prohibit to 10.9.0.0/16").unwrap().kind, RouteType::Prohibit);
        assert_eq!(spec("unicast 10.9.0.0/16").unwrap().kind, RouteType::Unicast);
        assert_eq!(spec("10.0.0.5 dev eth0").unwrap().dst.to_string(), "10.0.0.5/32");
        assert_eq!(spec("default -6").unwrap().dst.to_string(), "::/0");
        // A value that is also a keyword is a value: an interface named via.
        assert_eq!(spec("10.1.0.0/16 dev via").unwrap().dev.as_deref(), Some("via"));
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
            ("10.1.0.0/16 dev a/b", 7, "invalid interface name"),
            ("10.1.0.0/16 proto nonsense", 7, "unknown protocol"),
            ("10.1.0.0/16 via", 2, "--via"),
            ("10.1.0.0/16 frob 1", 2, "unexpected"),
            ("10.1.0.0/16 frob", 2, "unexpected argument 'frob'"),
            ("unreachable 10.9.0.0/16 via 10.0.0.1", 7, "has no gateway"),
            ("via 10.0.0.1", 2, "give PREFIX or default"),
            ("10.0.0.0/8 table x", 7, "invalid table"),
        ] {
            let e = spec(line).unwrap_err();
            assert_eq!(e.exit_code(), code, "{line}: {}", e.message);
            assert!(e.message.contains(needle), "{line}: {}", e.message);
        }
    }

    #[test]
    fn reads_ips_vrf_word() {
        let words = |line: &str| match parse_line(line) {
            Ok(NsVerb::Route(RouteVerb::Add(add))) => Ok(add.route.vrf),
            Ok(NsVerb::Route(RouteVerb::Del(del))) => Ok(del.route.vrf),
            Ok(NsVerb::Route(RouteVerb::Show(show))) => Ok(show.filter.vrf),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.exit_code()),
        };
        let red = Ok(Some("red".to_string()));
        assert_eq!(words("route add 10.1.0.0/16 via 10.0.0.1 vrf red"), red);
        assert_eq!(words("route del 10.1.0.0/16 vrf red"), red);
        assert_eq!(words("route show vrf red"), red);
        assert_eq!(words("route add 10.1.0.0/16 dev x vrf red table 5"), Err(2));
        assert_eq!(words("route show vrf a/b"), Err(7));
    }

    #[test]
    fn show_takes_a_table_and_a_family() {
        use crate::route::TableFilter;
        use route_filter::TableWord;
        let show = |line: &str| match parse_line(line) {
            Ok(NsVerb::Route(RouteVerb::Show(show))) => Ok((show.filter.table, show.filter.ipv6)),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.exit_code()),
        };
        let one = |t| Some(TableWord::Table(TableFilter::One(t)));
        let all = Some(TableWord::Table(TableFilter::All));
        assert_eq!(show("route show"), Ok((None, false)));
        assert_eq!(show("route list -6"), Ok((None, true)));
        assert_eq!(show("route ls -4 --table all"), Ok((all, false)));
        assert_eq!(show("route show table 100"), Ok((one(100), false)));
        assert_eq!(show("route show --table=local"), Ok((one(255), false)));
        assert_eq!(show("route show --table nonsense"), Err(7));
        assert_eq!(show("route show -4 -6"), Err(2));
        // Flags before the action word, as when route was one verb.
        assert_eq!(show("route -6 show"), Ok((None, true)));
        assert_eq!(show("route --table all ls"), Ok((all, false)));
        assert_eq!(show("route show 10.0.0.0/8"), Ok((None, false)));
        assert_eq!(show("route show 10.0.0.0/8 10.1.0.0/16"), Err(2));
    }

    #[test]
    fn types_scopes_and_actions() {
        let s = spec("local default dev veth1 table 100").unwrap();
        assert_eq!((s.kind, s.table, s.default), (RouteType::Local, Some(100), true));
        // local, broadcast, nat and anycast go to table local unless told.
        for (line, kind) in [
            ("local 10.0.0.1 dev eth0", RouteType::Local),
            ("broadcast 10.0.0.255 dev eth0", RouteType::Broadcast),
            ("anycast 10.0.0.0 dev eth0", RouteType::Anycast),
        ] {
            let s = spec(line).unwrap();
            assert_eq!((s.kind, s.table), (kind, Some(255)), "{line}");
        }
        assert_eq!(spec("throw 10.0.0.0/8").unwrap().kind, RouteType::Throw);
        assert_eq!(spec("multicast 224.0.0.0/4 dev eth0").unwrap().table, None);
        assert_eq!(
            spec("10.0.0.0/8 dev eth0 scope host").unwrap().scope,
            Some(RouteScope::Host)
        );
        assert_eq!(
            spec("10.0.0.0/8 dev eth0 scope 200").unwrap().scope,
            Some(RouteScope::from(200))
        );
        assert_eq!(spec("10.0.0.0/8 dev eth0 scope frob").unwrap_err().exit_code(), 7);
        assert_eq!(spec("throw 10.0.0.0/8 via 10.0.0.1").unwrap_err().exit_code(), 7);
        let s = spec("10.0.0.0/8 via 10.0.0.1 mtu lock 1400 advmss 1360 initcwnd 10").unwrap();
        assert_eq!(s.metrics.len(), 4);
        let s = spec("default nexthop via fd00::1 dev eth0 weight 2 nexthop via fd00::2 dev eth1").unwrap();
        assert_eq!((s.dst.to_string().as_str(), s.nexthops.len()), ("::/0", 2));
        let e = spec("10.0.0.0/8 nexthop via fd00::1 dev eth0").unwrap_err();
        assert!(e.message.contains("not of the same family"), "{}", e.message);
        for verb in ["append", "prepend", "change", "chg", "test"] {
            let parsed = parse_line(&format!("route {verb} 10.0.0.0/8 via 10.0.0.1 dev eth0"));
            assert!(parsed.is_ok(), "{verb}");
        }
    }
}
