//! `rule add|del|show`: policy routing rules as `ip rule` manages them, in the current namespace
//! or -n NS, with ip -j rule's records.

use super::rule_match::{is_match_attribute, MatchWords};
use crate::scope::Scope;
use crate::NsCtx;
use ipnet::IpNet;
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleFlags, RuleMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use schemars::JsonSchema;
use serde::Serialize;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::netlink::rule::{self as decode, RuleEntry, RuleMore};
use vnet_common::netlink::{NLM_F_CREATE, NLM_F_EXCL};
use vnet_common::{netns, Error, Journal, Render, Result, TextStyle, Verb};

vnet_common::verbs! {
    pub enum RuleVerb for NsCtx {
        /// Add a policy routing rule (ip rule add).
        Add(Add),
        /// Delete a policy routing rule (ip rule del).
        #[command(visible_alias = "delete")]
        Del(Del),
        /// List the policy routing rules (ip rule show).
        #[command(visible_alias = "list", visible_alias = "ls")]
        Show(Show),
        /// Delete every rule but priority 0's, or those the selectors pick (ip rule flush).
        Flush(Flush),
    }
}

/// A rule as ip rule spells it: `[from PREFIX] [to PREFIX] [iif IF] [oif IF] [fwmark N[/M]]
/// [table TABLE] [priority N]`, -6 for an IPv6 rule without a prefix.
///
/// A prefix is kept as given, host bits included (ip's way); `all` is any address. Refused before
/// anything changes (exit 7): a prefix, mark, table or priority that does not parse, prefixes of
/// two families, a prefix of the family -4/-6 does not name.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct RuleWords {
    /// The source prefix (or a bare address, or all).
    #[arg(long, value_name = "PREFIX", value_parser = prefix, help_heading = HEADING)]
    pub from: Option<Selector>,
    /// The destination prefix (or a bare address, or all).
    #[arg(long, value_name = "PREFIX", value_parser = prefix, help_heading = HEADING)]
    pub to: Option<Selector>,
    /// The input interface (it need not exist yet: the rule waits for it, as with ip).
    #[arg(long, visible_alias = "dev", value_name = "IF", value_parser = super::ifname, help_heading = HEADING)]
    pub iif: Option<String>,
    /// The output interface (for sockets bound to it).
    #[arg(long, value_name = "IF", value_parser = super::ifname, help_heading = HEADING)]
    pub oif: Option<String>,
    /// The firewall mark, with an optional mask: N or N/M, decimal or 0x hex.
    #[arg(long, value_name = "N[/M]", value_parser = fwmark, help_heading = HEADING)]
    pub fwmark: Option<(u32, Option<u32>)>,
    /// The table to look up: a number, main, local or default (add: main when not given).
    #[arg(long, visible_alias = "lookup", value_name = "TABLE", value_parser = crate::route::parse_table, help_heading = HEADING)]
    pub table: Option<u32>,
    /// The priority: rules are tried from the lowest up (add: the kernel picks one below the
    /// lowest there when not given).
    #[arg(long, visible_aliases = ["pref", "preference", "order", "prio"], value_name = "N", value_parser = number, help_heading = HEADING)]
    pub priority: Option<u32>,
    #[command(flatten)]
    pub more: MatchWords,
    /// An IPv6 rule.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// An IPv4 rule (the default, as ip).
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
}

/// A rule's prefix: a network, or any address (`all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    Any,
    Net(IpNet),
}

impl Selector {
    fn net(self) -> Option<IpNet> {
        match self {
            Selector::Any => None,
            Selector::Net(net) => Some(net),
        }
    }
}

fn prefix(text: &str) -> Result<Selector> {
    if matches!(text, "all" | "any" | "default") {
        return Ok(Selector::Any);
    }
    let net = text
        .parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            Error::invalid(format!(
                "invalid rule prefix {}: expected PREFIX/LEN such as 10.1.0.0/16, an address, or all",
                quote(text)
            ))
        })?;
    Ok(Selector::Net(net))
}

/// A number as ip reads one: decimal, or hex with 0x.
fn parse_u32(text: &str) -> Option<u32> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn fwmark(text: &str) -> Result<(u32, Option<u32>)> {
    let bad = || Error::invalid(format!("invalid fwmark {}: expected N or N/MASK", quote(text)));
    let (mark, mask) = match text.split_once('/') {
        Some((mark, mask)) => (mark, Some(mask)),
        None => (text, None),
    };
    let mark = parse_u32(mark).ok_or_else(bad)?;
    let mask = match mask {
        Some(mask) => Some(parse_u32(mask).ok_or_else(bad)?),
        None => None,
    };
    Ok((mark, mask))
}

fn number(text: &str) -> Result<u32> {
    parse_u32(text)
        .ok_or_else(|| Error::invalid(format!("invalid priority {}: not a number in range", quote(text))))
}

/// A rule, every word checked.
#[derive(Debug, Clone, PartialEq)]
struct Spec {
    family: AddressFamily,
    src: Option<IpNet>,
    dst: Option<IpNet>,
    iif: Option<String>,
    oif: Option<String>,
    fwmark: Option<(u32, Option<u32>)>,
    table: Option<u32>,
    priority: Option<u32>,
    more: MatchWords,
    action: RuleAction,
}

impl RuleWords {
    fn spec(&self, verb: &str) -> Result<Spec> {
        let src = self.from.and_then(Selector::net);
        let dst = self.to.and_then(Selector::net);
        let v6 = |net: &IpNet| matches!(net, IpNet::V6(_));
        let families: Vec<bool> = src.iter().chain(dst.iter()).map(v6).collect();
        if families.windows(2).any(|pair| pair[0] != pair[1]) {
            return Err(Error::invalid(format!(
                "{verb}: from and to are of different families"
            )));
        }
        let ipv6 = match families.first() {
            Some(v6) if (*v6 && self.ipv4) || (!*v6 && self.ipv6) => {
                let flag = if self.ipv6 { "-6" } else { "-4" };
                return Err(Error::invalid(format!(
                    "{verb}: a prefix of the other family than {flag} asks for"
                )));
            }
            Some(v6) => *v6,
            None => self.ipv6,
        };
        Ok(Spec {
            family: if ipv6 {
                AddressFamily::Inet6
            } else {
                AddressFamily::Inet
            },
            src,
            dst,
            iif: self.iif.clone(),
            oif: self.oif.clone(),
            fwmark: self.fwmark,
            table: self.table,
            priority: self.priority,
            more: self.more.clone(),
            action: self.more.action(self.table, verb)?,
        })
    }

    fn is_empty(&self) -> bool {
        self.from.is_none()
            && self.to.is_none()
            && self.iif.is_none()
            && self.oif.is_none()
            && self.fwmark.is_none()
            && self.table.is_none()
            && self.priority.is_none()
            && self.more == MatchWords::default()
    }
}

impl Spec {
    /// The request that adds this rule (table main when none is given, as ip).
    fn message(&self) -> RuleMessage {
        let mut m = RuleMessage::default();
        m.header.family = self.family;
        m.header.action = self.action;
        // A table only for a lookup (main unless given), as ip.
        if self.action == RuleAction::ToTable {
            let table = self.table.unwrap_or(254);
            m.header.table = if table > 255 { 0 } else { table as u8 };
            m.attributes.push(RuleAttribute::Table(table));
        }
        self.more.apply(&mut m);
        if let Some(priority) = self.priority {
            m.attributes.push(RuleAttribute::Priority(priority));
        }
        if let Some(src) = self.src {
            m.header.src_len = src.prefix_len();
            m.attributes.push(RuleAttribute::Source(src.addr()));
        }
        if let Some(dst) = self.dst {
            m.header.dst_len = dst.prefix_len();
            m.attributes.push(RuleAttribute::Destination(dst.addr()));
        }
        if let Some(iif) = &self.iif {
            m.attributes.push(RuleAttribute::Iifname(iif.clone()));
        }
        if let Some(oif) = &self.oif {
            m.attributes.push(RuleAttribute::Oifname(oif.clone()));
        }
        if let Some((mark, mask)) = self.fwmark {
            m.attributes.push(RuleAttribute::FwMark(mark));
            if let Some(mask) = mask {
                m.attributes.push(RuleAttribute::FwMask(mask));
            }
        }
        m
    }

    /// Whether `rule` is this one: every part given is equal (`exact`: the parts not given are
    /// absent too, and the table is main when not given).
    fn matches(&self, rule: &RuleMessage, exact: bool) -> bool {
        let net = |addr: Option<IpAddr>, len: u8| addr.and_then(|a| IpNet::new(a, len).ok());
        let src = net(decode::source(rule), rule.header.src_len);
        let dst = net(decode::destination(rule), rule.header.dst_len);
        let mark = decode::RuleEntry::decode(rule);
        let wanted_mark = self.fwmark.map(|(m, mask)| {
            (
                format!("{m:#x}"),
                mask.filter(|m| *m != u32::MAX).map(|m| format!("{m:#x}")),
            )
        });
        let have_mark = mark.fwmark.clone().map(|m| (m, mark.fwmask.clone()));
        let same = |given: bool, equal: bool| equal || (!given && !exact);
        let lookup = self.action == RuleAction::ToTable;
        let table = self.table.or((exact && lookup).then_some(254));
        rule.header.family == self.family
            && (rule.header.action == self.action
                || (!exact && self.action == RuleAction::ToTable && self.table.is_none()))
            && self.more.matches(rule, exact)
            && same(self.src.is_some(), src == self.src)
            && same(self.dst.is_some(), dst == self.dst)
            && same(self.iif.is_some(), decode::interface(rule, true) == self.iif)
            && same(self.oif.is_some(), decode::interface(rule, false) == self.oif)
            && same(self.fwmark.is_some(), have_mark == wanted_mark)
            && table.is_none_or(|t| decode::table(rule) == t)
            && self
                .priority
                .is_none_or(|p| decode::priority(rule).unwrap_or(0) == p)
    }
}

/// A dumped rule as a request that adds it back (or deletes exactly it).
fn as_request(rule: &RuleMessage) -> RuleMessage {
    let mut m = RuleMessage::default();
    m.header = rule.header.clone();
    m.header.flags = rule.header.flags & RuleFlags::Invert;
    m.attributes = rule
        .attributes
        .iter()
        .filter(|a| {
            is_match_attribute(a)
                || matches!(
                    a,
                    RuleAttribute::Source(_)
                        | RuleAttribute::Destination(_)
                        | RuleAttribute::Iifname(_)
                        | RuleAttribute::Oifname(_)
                        | RuleAttribute::Priority(_)
                        | RuleAttribute::FwMark(_)
                        | RuleAttribute::FwMask(_)
                        | RuleAttribute::Table(_)
                )
        })
        .cloned()
        .collect();
    m
}

/// Add a policy routing rule: `rule add from 10.1.0.0/24 table 100 priority 100`.
///
/// Without priority the kernel puts the rule before the others (as ip); a rule equal to one
/// there, priority included, is exit 4 (--exist-ok: "changed": false). Journaled: in --batch
/// --atomic it is deleted again.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Add {
    #[command(flatten)]
    pub rule: RuleWords,
    /// Succeed with "changed": false when an equal rule exists (any priority if none is given).
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
}

/// Delete a policy routing rule: the first (lowest priority) that has every part given, as the
/// kernel picks it: `rule del from 10.1.0.0/24 table 100`, `rule del priority 100`.
///
/// A missing rule is exit 3 (--missing-ok: "changed": false). Journaled: in --batch --atomic the
/// rule is added back with its priority.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Del {
    #[command(flatten)]
    pub rule: RuleWords,
    /// Succeed with "changed": false when no rule matches.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

/// What add and del did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RuleChange {
    /// "add" or "del".
    pub action: String,
    /// The -n namespace, null for the current one.
    pub netns: Option<String>,
    /// The rule as the kernel has it (for del: the rule deleted; null when none was).
    pub rule: Option<RuleEntry>,
    pub changed: bool,
}

impl Render for RuleChange {}

impl Verb for Add {
    type Ctx = NsCtx;
    type Output = RuleChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<RuleChange> {
        let spec = self.rule.spec("rule add")?;
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let before = scope.socket.rules(spec.family)?;
        let mut result = RuleChange {
            action: "add".into(),
            netns: scope.ns.clone(),
            rule: None,
            changed: false,
        };
        if let Some(same) = before.iter().find(|r| spec.matches(r, true)) {
            if self.exist_ok {
                result.rule = Some(RuleEntry::decode(same));
                return Ok(result);
            }
            if spec.priority.is_some() {
                return Err(Error::exists("rule add: the rule already exists")
                    .with_hint("pass --exist-ok to accept it"));
            }
        }
        let what = "rule add";
        scope
            .socket
            .change(
                RouteNetlinkMessage::NewRule(spec.message()),
                NLM_F_CREATE | NLM_F_EXCL,
            )
            .map_err(|e| e.context(what))?;
        let after = scope.socket.rules(spec.family)?;
        let added = after
            .iter()
            .find(|r| spec.matches(r, true) && !before.contains(r))
            .cloned();
        let undo = as_request(added.as_ref().unwrap_or(&spec.message()));
        let ns = scope.ns.clone();
        journal.record_fn(what, move || {
            vnet_common::netlink::RouteSocket::open(ns.as_deref())?
                .change(RouteNetlinkMessage::DelRule(undo), 0)
        })?;
        result.rule = added.as_ref().map(RuleEntry::decode);
        result.changed = true;
        Ok(result)
    }
}

impl Verb for Del {
    type Ctx = NsCtx;
    type Output = RuleChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<RuleChange> {
        if self.rule.is_empty() {
            return Err(super::usage(
                "rule del",
                "which rule? give a selector, table or priority",
            ));
        }
        let spec = self.rule.spec("rule del")?;
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let rules = scope.socket.rules(spec.family)?;
        let mut result = RuleChange {
            action: "del".into(),
            netns: scope.ns.clone(),
            rule: None,
            changed: false,
        };
        let Some(found) = rules.iter().find(|r| spec.matches(r, false)) else {
            if self.missing_ok {
                return Ok(result);
            }
            return Err(Error::not_found(format!(
                "rule del: no such rule in {}",
                netns::describe(scope.ns.as_deref())
            ))
            .with_hint("pass --missing-ok to accept a missing rule"));
        };
        let what = format!("rule del priority {}", decode::priority(found).unwrap_or(0));
        let request = RouteNetlinkMessage::DelRule(as_request(found));
        let undo = RouteNetlinkMessage::NewRule(as_request(found));
        scope.change(&what, request, 0, undo, NLM_F_CREATE | NLM_F_EXCL, journal)?;
        result.rule = Some(RuleEntry::decode(found));
        result.changed = true;
        Ok(result)
    }
}

/// Delete the rules the selectors pick, every rule when none is given (ip rule flush): all but
/// the rule of priority 0 (lookup local), which ip never flushes, main's and default's included
/// as with ip. IPv4 unless -6. Journaled: in --batch --atomic the rules are added back.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Flush {
    #[command(flatten)]
    pub rule: RuleWords,
}

/// What flush deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RuleFlush {
    /// The -n namespace, null for the current one.
    pub netns: Option<String>,
    /// The rules deleted, as they were.
    pub flushed: Vec<RuleEntry>,
    pub changed: bool,
}

impl Render for RuleFlush {
    fn text(&self, _: TextStyle) -> String {
        self.flushed.iter().map(text_line).collect()
    }
}

impl Verb for Flush {
    type Ctx = NsCtx;
    type Output = RuleFlush;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<RuleFlush> {
        let spec = self.rule.spec("rule flush")?;
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let rules = scope.socket.rules(spec.family)?;
        let mut result = RuleFlush {
            netns: scope.ns.clone(),
            flushed: vec![],
            changed: false,
        };
        // ip flushes what has a priority attribute: every rule but priority 0's.
        let chosen = rules
            .iter()
            .filter(|r| decode::priority(r).is_some() && spec.matches(r, false));
        for found in chosen {
            let what = format!("rule flush priority {}", decode::priority(found).unwrap_or(0));
            let request = RouteNetlinkMessage::DelRule(as_request(found));
            let undo = RouteNetlinkMessage::NewRule(as_request(found));
            scope.change(&what, request, 0, undo, NLM_F_CREATE | NLM_F_EXCL, journal)?;
            result.flushed.push(RuleEntry::decode(found));
            result.changed = true;
        }
        Ok(result)
    }
}

/// List the policy routing rules, IPv4 unless -6, in priority order (ip rule show, ip -6 rule
/// show), or those with every part given (`rule show table 100`, `rule list pref 1000`, `rule
/// show from 10.1.0.0/24`, as ip's selectors); -o text prints ip rule show's lines.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Show {
    #[command(flatten)]
    pub rule: RuleWords,
}

/// The rules `rule show` lists, with ip -j rule's field names.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Rules(pub Vec<RuleEntry>);

impl Render for Rules {
    fn text(&self, _: TextStyle) -> String {
        self.0.iter().map(text_line).collect()
    }
}

/// One line of ip rule show.
fn text_line(r: &RuleEntry) -> String {
    let not = if r.more.not { "not " } else { "" };
    let mut line = format!("{}:\t{not}from {}", r.priority, r.src);
    if let Some(len) = r.srclen.filter(|_| r.src != "all") {
        line.push_str(&format!("/{len}"));
    }
    if let Some(dst) = &r.dst {
        line.push_str(&format!(" to {dst}"));
        if let Some(len) = r.dstlen {
            line.push_str(&format!("/{len}"));
        }
    }
    if let Some(mark) = &r.fwmark {
        line.push_str(&format!(" fwmark {mark}"));
        if let Some(mask) = &r.fwmask {
            line.push_str(&format!("/{mask}"));
        }
    }
    if let Some(iif) = &r.iif {
        line.push_str(&format!(" iif {iif}"));
    }
    if let Some(oif) = &r.oif {
        line.push_str(&format!(" oif {oif}"));
    }
    line.push_str(&more_text(&r.more));
    match (&r.more.action, r.more.goto) {
        (Some(action), _) => line.push_str(&format!(" {action}")),
        (None, Some(target)) => line.push_str(&format!(" goto {target}")),
        (None, None) => line.push_str(&format!(" lookup {}", r.table)),
    }
    if let Some(len) = r.more.suppress_prefixlen {
        line.push_str(&format!(" suppress_prefixlength {len}"));
    }
    line.push_str(" \n");
    line
}

/// The words of ip rule show's line for the further selectors and the action.
fn more_text(m: &RuleMore) -> String {
    let mut words = String::new();
    if let (Some(start), Some(end)) = (m.uid_start, m.uid_end) {
        words.push_str(&format!(" uidrange {start}-{end}"));
    }
    if let Some(proto) = &m.ipproto {
        words.push_str(&format!(" ipproto {proto}"));
    }
    for (name, one, start, end) in [
        ("sport", m.sport, m.sport_start, m.sport_end),
        ("dport", m.dport, m.dport_start, m.dport_end),
    ] {
        match (one, start, end) {
            (Some(port), _, _) => words.push_str(&format!(" {name} {port}")),
            (None, Some(start), Some(end)) => words.push_str(&format!(" {name} {start}-{end}")),
            _ => {}
        }
    }
    words
}

impl Verb for Show {
    type Ctx = NsCtx;
    type Output = Rules;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<Rules> {
        let spec = self.rule.spec("rule show")?;
        let mut socket = vnet_common::netlink::RouteSocket::open(ctx.netns.as_deref())?;
        let rules = socket.rules(spec.family).map_err(|e| e.context("list rules"))?;
        let every = self.rule.is_empty();
        let shown = rules.iter().filter(|r| every || spec.matches(r, false));
        Ok(Rules(shown.map(RuleEntry::decode).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    fn spec(line: &str) -> Result<Spec> {
        match parse_line(&format!("rule add {line}"))? {
            NsVerb::Rule(RuleVerb::Add(add)) => add.rule.spec("rule add"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_ip_spellings() {
        let s = spec("from 10.1.0.0/24 table 100 pref 100").unwrap();
        assert_eq!(s.src, Some("10.1.0.0/24".parse().unwrap()));
        assert_eq!((s.table, s.priority), (Some(100), Some(100)));
        let s = spec("to 10.2.0.0/16 fwmark 0x10/0xff iif eth0 lookup main priority 7").unwrap();
        assert_eq!(s.fwmark, Some((16, Some(255))));
        assert_eq!(
            (s.iif.as_deref(), s.table, s.priority),
            (Some("eth0"), Some(254), Some(7))
        );
        let s = spec("from all oif eth1 fwmark 5 order 9").unwrap();
        assert_eq!(
            (s.src, s.oif.as_deref(), s.fwmark),
            (None, Some("eth1"), Some((5, None)))
        );
        assert_eq!(
            spec("from fd00::/64 table 7").unwrap().family,
            AddressFamily::Inet6
        );
        assert_eq!(spec("-6 fwmark 1 table 7").unwrap().family, AddressFamily::Inet6);
        // ip keeps host bits in a rule's prefix.
        assert_eq!(
            spec("from 10.1.0.5/24").unwrap().src,
            Some("10.1.0.5/24".parse().unwrap())
        );
        assert_eq!(
            spec("from 10.1.0.5").unwrap().src,
            Some("10.1.0.5/32".parse().unwrap())
        );
    }

    #[test]
    fn refuses_bad_rules_before_sending() {
        for (line, code, needle) in [
            ("from 10.1.0/24", 7, "invalid rule prefix"),
            ("from 10.1.0.0/24 to fd00::/64", 7, "different families"),
            ("from 10.1.0.0/24 -6", 7, "other family"),
            ("fwmark 0xzz", 7, "invalid fwmark"),
            ("fwmark 1/", 7, "invalid fwmark"),
            ("table x", 7, "invalid table"),
            ("pref -1", 2, ""),
            ("priority x", 7, "invalid priority"),
            ("iif a/b", 7, "invalid interface name"),
            ("frob 1", 2, "unexpected"),
        ] {
            let e = spec(line).unwrap_err();
            assert_eq!(e.exit_code(), code, "{line}: {}", e.message);
            assert!(e.message.contains(needle), "{line}: {}", e.message);
        }
    }

    #[test]
    fn text_lines_follow_ip_rule_show() {
        let mut m = RuleMessage::default();
        m.header.family = AddressFamily::Inet;
        m.header.src_len = 24;
        m.header.table = 100;
        m.attributes = vec![
            RuleAttribute::Priority(100),
            RuleAttribute::Source("10.1.0.0".parse().unwrap()),
        ];
        assert_eq!(
            text_line(&RuleEntry::decode(&m)),
            "100:\tfrom 10.1.0.0/24 lookup 100 \n"
        );
    }
}
