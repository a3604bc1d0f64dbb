//! Policy routing rules decoded once: [`RuleEntry`], the record `vnet-ns rule show` lists, with
//! ip -j rule's field names, and the readers `rule add|del` match rules with.

use rtnetlink::packet_route::rule::{RuleAction, RuleAttribute, RuleFlags, RuleMessage, RulePortRange};
use rtnetlink::packet_route::AddressFamily;
use schemars::JsonSchema;
use serde::Serialize;
use std::net::IpAddr;

/// One rule, with ip -j rule's field names.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RuleEntry {
    /// The rule's priority (pref): rules are tried from the lowest up.
    pub priority: u32,
    /// The source prefix's address, or "all".
    pub src: String,
    /// The source prefix's length; null for "all" and for a single address (as ip -j).
    pub srclen: Option<u8>,
    /// The destination prefix's address; null for any destination.
    pub dst: Option<String>,
    /// The destination prefix's length; null for any destination and for a single address.
    pub dstlen: Option<u8>,
    /// The input interface (iif).
    pub iif: Option<String>,
    /// The output interface (oif).
    pub oif: Option<String>,
    /// The firewall mark, in hex as ip prints it ("0x10").
    pub fwmark: Option<String>,
    /// The mark's mask in hex; null when it is all ones (no mask given).
    pub fwmask: Option<String>,
    /// The table looked up: "main", "local", "default" or its number.
    pub table: String,
    /// "inet" or "inet6".
    pub family: String,
    /// The further selectors and actions (ip -j rule's fields, at this level).
    #[serde(flatten)]
    pub more: RuleMore,
}

/// A rule's selectors and actions beyond from/to/iif/oif/fwmark/table.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RuleMore {
    /// True for a rule with `not` (its selectors inverted).
    pub not: bool,
    /// The type of service matched, in hex ("0x10"); null for any.
    pub tos: Option<String>,
    /// The IP protocol matched ("tcp", "udp", ... or its number).
    pub ipproto: Option<String>,
    /// The source port matched when it is one port; a range is sport_start..sport_end.
    pub sport: Option<u16>,
    pub sport_start: Option<u16>,
    pub sport_end: Option<u16>,
    /// The destination port matched when it is one port; a range is dport_start..dport_end.
    pub dport: Option<u16>,
    pub dport_start: Option<u16>,
    pub dport_end: Option<u16>,
    /// The socket owner's uid range (uidrange).
    pub uid_start: Option<u32>,
    pub uid_end: Option<u32>,
    /// suppress_prefixlength: the table's answer is refused for prefixes this long or shorter.
    pub suppress_prefixlen: Option<u32>,
    /// The priority a goto rule goes on at.
    pub r#goto: Option<u32>,
    /// The action when it is not a table lookup or goto: "blackhole", "unreachable",
    /// "prohibit" or "nop".
    pub action: Option<String>,
}

/// IP protocol names as /etc/protocols spells the common ones.
pub const IP_PROTOCOLS: [(u8, &str); 12] = [
    (1, "icmp"),
    (2, "igmp"),
    (6, "tcp"),
    (17, "udp"),
    (33, "dccp"),
    (41, "ipv6"),
    (47, "gre"),
    (50, "esp"),
    (51, "ah"),
    (58, "ipv6-icmp"),
    (132, "sctp"),
    (136, "udplite"),
];

/// A port range as ip -j rule gives it: (port, start, end), the port alone when start == end.
fn ports(range: Option<&RulePortRange>) -> (Option<u16>, Option<u16>, Option<u16>) {
    match range {
        Some(r) if r.start == r.end => (Some(r.start), None, None),
        Some(r) => (None, Some(r.start), Some(r.end)),
        None => (None, None, None),
    }
}

/// The action's name when the rule neither looks up a table nor goes to another rule.
fn action_name(action: RuleAction) -> Option<String> {
    match action {
        RuleAction::ToTable | RuleAction::Goto | RuleAction::Unspec => None,
        RuleAction::Nop => Some("nop".into()),
        RuleAction::Blackhole => Some("blackhole".into()),
        RuleAction::Unreachable => Some("unreachable".into()),
        RuleAction::Prohibit => Some("prohibit".into()),
        other => Some(u8::from(other).to_string()),
    }
}

impl RuleEntry {
    /// A rule message as ip -j rule describes it.
    pub fn decode(rule: &RuleMessage) -> RuleEntry {
        let header = &rule.header;
        let mask = find(rule, |a| match a {
            RuleAttribute::FwMask(m) => Some(*m),
            _ => None,
        });
        let mark = find(rule, |a| match a {
            RuleAttribute::FwMark(m) => Some(*m),
            _ => None,
        });
        RuleEntry {
            priority: priority(rule).unwrap_or(0),
            src: source(rule).map_or("all".to_string(), |a| a.to_string()),
            srclen: source(rule).and_then(|a| prefix_len(a, header.src_len)),
            dst: destination(rule).map(|a| a.to_string()),
            dstlen: destination(rule).and_then(|a| prefix_len(a, header.dst_len)),
            iif: interface(rule, true),
            oif: interface(rule, false),
            fwmark: mark.or(mask.map(|_| 0)).map(|m| format!("{m:#x}")),
            fwmask: mask.filter(|m| *m != u32::MAX).map(|m| format!("{m:#x}")),
            table: table_name(table(rule)),
            family: match header.family {
                AddressFamily::Inet6 => "inet6".into(),
                _ => "inet".into(),
            },
            more: RuleMore::decode(rule),
        }
    }
}

impl RuleMore {
    fn decode(rule: &RuleMessage) -> RuleMore {
        let sport = find(rule, |a| match a {
            RuleAttribute::SourcePortRange(r) => Some(*r),
            _ => None,
        });
        let dport = find(rule, |a| match a {
            RuleAttribute::DestinationPortRange(r) => Some(*r),
            _ => None,
        });
        let (sport, sport_start, sport_end) = ports(sport.as_ref());
        let (dport, dport_start, dport_end) = ports(dport.as_ref());
        let uid = find(rule, |a| match a {
            RuleAttribute::UidRange(r) => Some((r.start, r.end)),
            _ => None,
        });
        let ipproto = find(rule, |a| match a {
            RuleAttribute::IpProtocol(p) => Some(i32::from(*p) as u8),
            _ => None,
        });
        RuleMore {
            not: rule.header.flags.contains(RuleFlags::Invert),
            tos: (rule.header.tos != 0).then(|| format!("{:#x}", rule.header.tos)),
            ipproto: ipproto.map(|n| match IP_PROTOCOLS.iter().find(|(number, _)| *number == n) {
                Some((_, name)) => name.to_string(),
                None => n.to_string(),
            }),
            sport,
            sport_start,
            sport_end,
            dport,
            dport_start,
            dport_end,
            uid_start: uid.map(|u| u.0),
            uid_end: uid.map(|u| u.1),
            suppress_prefixlen: find(rule, |a| match a {
                RuleAttribute::SuppressPrefixLen(n) if *n != u32::MAX => Some(*n),
                _ => None,
            }),
            r#goto: find(rule, |a| match a {
                RuleAttribute::Goto(n) => Some(*n),
                _ => None,
            }),
            action: action_name(rule.header.action),
        }
    }
}

/// A prefix's length as ip -j rule gives it: none for a single address (/32, /128).
fn prefix_len(addr: IpAddr, len: u8) -> Option<u8> {
    let host = if addr.is_ipv6() { 128 } else { 32 };
    (len != host).then_some(len)
}

fn find<T>(rule: &RuleMessage, pick: impl Fn(&RuleAttribute) -> Option<T>) -> Option<T> {
    rule.attributes.iter().find_map(pick)
}

/// FRA_PRIORITY.
pub fn priority(rule: &RuleMessage) -> Option<u32> {
    find(rule, |a| match a {
        RuleAttribute::Priority(p) => Some(*p),
        _ => None,
    })
}

/// FRA_SRC.
pub fn source(rule: &RuleMessage) -> Option<IpAddr> {
    find(rule, |a| match a {
        RuleAttribute::Source(s) => Some(*s),
        _ => None,
    })
}

/// FRA_DST.
pub fn destination(rule: &RuleMessage) -> Option<IpAddr> {
    find(rule, |a| match a {
        RuleAttribute::Destination(d) => Some(*d),
        _ => None,
    })
}

/// FRA_IIFNAME (`input`) or FRA_OIFNAME.
pub fn interface(rule: &RuleMessage, input: bool) -> Option<String> {
    find(rule, |a| match (a, input) {
        (RuleAttribute::Iifname(name), true) | (RuleAttribute::Oifname(name), false) => Some(name.clone()),
        _ => None,
    })
}

/// The table: FRA_TABLE when present (tables above 255), else the header's.
pub fn table(rule: &RuleMessage) -> u32 {
    find(rule, |a| match a {
        RuleAttribute::Table(t) => Some(*t),
        _ => None,
    })
    .unwrap_or(rule.header.table as u32)
}

/// A table's name as ip prints it.
pub fn table_name(table: u32) -> String {
    match table {
        254 => "main".into(),
        255 => "local".into(),
        253 => "default".into(),
        t => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_as_ip_j_rule() {
        let mut rule = RuleMessage::default();
        rule.header.family = AddressFamily::Inet;
        rule.header.dst_len = 16;
        rule.header.table = 200;
        rule.attributes = vec![
            RuleAttribute::Priority(99),
            RuleAttribute::Destination("10.2.0.0".parse().unwrap()),
            RuleAttribute::FwMark(16),
            RuleAttribute::FwMask(255),
            RuleAttribute::Iifname("a".into()),
        ];
        let json = serde_json::to_value(RuleEntry::decode(&rule)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"priority": 99, "src": "all", "srclen": null, "dst": "10.2.0.0",
                "dstlen": 16, "iif": "a", "oif": null, "fwmark": "0x10", "fwmask": "0xff",
                "table": "200", "family": "inet", "not": false, "tos": null, "ipproto": null,
                "sport": null, "sport_start": null, "sport_end": null, "dport": null,
                "dport_start": null, "dport_end": null, "uid_start": null, "uid_end": null,
                "suppress_prefixlen": null, "goto": null, "action": null})
        );
    }

    #[test]
    fn decodes_the_further_selectors_and_actions() {
        let mut rule = RuleMessage::default();
        rule.header.family = AddressFamily::Inet;
        rule.header.flags = RuleFlags::Invert;
        rule.header.tos = 0x10;
        rule.header.action = RuleAction::Blackhole;
        rule.attributes = vec![
            RuleAttribute::IpProtocol(6.into()),
            RuleAttribute::SourcePortRange(RulePortRange { start: 80, end: 80 }),
            RuleAttribute::DestinationPortRange(RulePortRange {
                start: 1000,
                end: 2000,
            }),
            RuleAttribute::SuppressPrefixLen(u32::MAX),
        ];
        let more = RuleEntry::decode(&rule).more;
        assert!(more.not);
        assert_eq!(more.tos.as_deref(), Some("0x10"));
        assert_eq!(more.ipproto.as_deref(), Some("tcp"));
        assert_eq!((more.sport, more.sport_start), (Some(80), None));
        assert_eq!(
            (more.dport, more.dport_start, more.dport_end),
            (None, Some(1000), Some(2000))
        );
        assert_eq!(more.suppress_prefixlen, None);
        assert_eq!(more.action.as_deref(), Some("blackhole"));
    }
}
