//! Policy routing rules decoded once: [`RuleEntry`], the record `vnet-ns rule show` lists, with
//! ip -j rule's field names, and the readers `rule add|del` match rules with.

use rtnetlink::packet_route::rule::{RuleAttribute, RuleMessage};
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
                "table": "200", "family": "inet"})
        );
    }
}
