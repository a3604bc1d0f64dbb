//! The rest of ip rule's grammar (ip-rule(8) SELECTOR and ACTION beyond from/to/iif/oif/fwmark/
//! table/priority): `not`, `tos`, `sport`/`dport` ranges, `ipproto`, `uidrange`,
//! `suppress_prefixlength`, and the actions `goto N`, `nop`, `blackhole`, `unreachable`,
//! `prohibit` instead of a table lookup.

use netlink_packet_route::rule::{
    RuleAction, RuleAttribute, RuleFlags, RuleMessage, RulePortRange, RuleUidRange,
};
use netlink_packet_route::IpProtocol;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::netlink::rule::IP_PROTOCOLS;
use vnet_common::{Error, Result};

/// ip rule's further selectors and its actions other than `table`.
#[derive(Debug, Default, Clone, PartialEq, clap::Args)]
#[group(skip)]
pub struct MatchWords {
    /// Invert the selectors: the rule applies to packets that do NOT match.
    #[arg(long, help_heading = HEADING)]
    pub not: bool,
    /// The type of service (DS field): a number, decimal or 0x hex.
    #[arg(long, visible_alias = "dsfield", value_name = "TOS", value_parser = tos, help_heading = HEADING)]
    pub tos: Option<u8>,
    /// The source port or range: N or N-M.
    #[arg(long, value_name = "N[-M]", value_parser = port_range, help_heading = HEADING)]
    pub sport: Option<(u16, u16)>,
    /// The destination port or range: N or N-M.
    #[arg(long, value_name = "N[-M]", value_parser = port_range, help_heading = HEADING)]
    pub dport: Option<(u16, u16)>,
    /// The IP protocol: tcp, udp, icmp, ipv6-icmp, sctp, ... or a number.
    #[arg(long, value_name = "PROTO", value_parser = ipproto, help_heading = HEADING)]
    pub ipproto: Option<u8>,
    /// The socket owner's uid range: A-B (or one uid).
    #[arg(long, value_name = "A-B", value_parser = uid_range, help_heading = HEADING)]
    pub uidrange: Option<(u32, u32)>,
    /// Refuse the table's answer when its prefix is this long or shorter.
    #[arg(long = "suppress_prefixlength", value_name = "N", value_parser = suppress, help_heading = HEADING)]
    pub suppress_prefixlength: Option<u32>,
    /// Go on at the rule of this priority instead of looking up a table.
    #[arg(long, value_name = "PRIORITY", value_parser = goto, help_heading = HEADING)]
    pub goto: Option<u32>,
    /// Do nothing (a placeholder rule).
    #[arg(long, help_heading = HEADING)]
    pub nop: bool,
    /// Drop the packet silently.
    #[arg(long, help_heading = HEADING)]
    pub blackhole: bool,
    /// Refuse the packet with "network unreachable".
    #[arg(long, help_heading = HEADING)]
    pub unreachable: bool,
    /// Refuse the packet with "communication prohibited".
    #[arg(long, help_heading = HEADING)]
    pub prohibit: bool,
}

fn number<T: TryFrom<u64>>(text: &str) -> Option<T> {
    let value = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok()?,
        None => text.parse().ok()?,
    };
    T::try_from(value).ok()
}

fn tos(text: &str) -> Result<u8> {
    number(text).ok_or_else(|| Error::invalid(format!("invalid tos {}: a number 0..255", quote(text))))
}

fn range<T: TryFrom<u64> + PartialOrd + Copy>(text: &str, what: &str) -> Result<(T, T)> {
    let (start, end) = text.split_once('-').unwrap_or((text, text));
    match (number::<T>(start), number::<T>(end)) {
        (Some(start), Some(end)) if start <= end => Ok((start, end)),
        _ => Err(Error::invalid(format!(
            "invalid {what} {}: expected N or N-M",
            quote(text)
        ))),
    }
}

fn port_range(text: &str) -> Result<(u16, u16)> {
    range(text, "port range")
}

fn uid_range(text: &str) -> Result<(u32, u32)> {
    range(text, "uid range")
}

fn suppress(text: &str) -> Result<u32> {
    number(text)
        .ok_or_else(|| Error::invalid(format!("invalid suppress_prefixlength {}: a number", quote(text))))
}

fn goto(text: &str) -> Result<u32> {
    number(text).ok_or_else(|| Error::invalid(format!("invalid goto {}: a rule priority", quote(text))))
}

/// A protocol name as /etc/protocols spells the common ones, or a number.
fn ipproto(text: &str) -> Result<u8> {
    let named = match text {
        "icmpv6" => Some(58),
        _ => IP_PROTOCOLS
            .iter()
            .find(|(_, name)| *name == text)
            .map(|(n, _)| *n),
    };
    named.or_else(|| number(text)).ok_or_else(|| {
        Error::invalid(format!(
            "invalid ipproto {}: a protocol name or number",
            quote(text)
        ))
    })
}

impl MatchWords {
    /// The action: to-table unless goto, nop, blackhole, unreachable or prohibit is given (at
    /// most one of them, and not with a table: exit 7).
    pub fn action(&self, table: Option<u32>, verb: &str) -> Result<RuleAction> {
        let given = [
            (self.goto.is_some(), RuleAction::Goto),
            (self.nop, RuleAction::Nop),
            (self.blackhole, RuleAction::Blackhole),
            (self.unreachable, RuleAction::Unreachable),
            (self.prohibit, RuleAction::Prohibit),
        ];
        let mut actions = given.into_iter().filter(|(on, _)| *on).map(|(_, a)| a);
        let action = actions.next();
        if actions.next().is_some() || (action.is_some() && table.is_some()) {
            return Err(Error::invalid(format!(
                "{verb}: give one action: table, goto, nop, blackhole, unreachable or prohibit"
            )));
        }
        Ok(action.unwrap_or(RuleAction::ToTable))
    }

    /// Puts the selectors and the goto target into a rule request.
    pub fn apply(&self, m: &mut RuleMessage) {
        if self.not {
            m.header.flags |= RuleFlags::Invert;
        }
        m.header.tos = self.tos.unwrap_or(0);
        m.attributes.extend(self.attributes());
    }

    fn attributes(&self) -> Vec<RuleAttribute> {
        let ports = |(start, end)| RulePortRange { start, end };
        [
            self.sport.map(|p| RuleAttribute::SourcePortRange(ports(p))),
            self.dport.map(|p| RuleAttribute::DestinationPortRange(ports(p))),
            self.ipproto
                .map(|p| RuleAttribute::IpProtocol(IpProtocol::from(p as i32))),
            self.uidrange
                .map(|(start, end)| RuleAttribute::UidRange(RuleUidRange { start, end })),
            self.suppress_prefixlength.map(RuleAttribute::SuppressPrefixLen),
            self.goto.map(RuleAttribute::Goto),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Whether `rule` has every selector given (`exact`: and none that is not given).
    pub fn matches(&self, rule: &RuleMessage, exact: bool) -> bool {
        let invert = rule.header.flags.contains(RuleFlags::Invert);
        let wanted = self.attributes();
        let theirs: Vec<&RuleAttribute> = rule.attributes.iter().filter(|a| is_match_attribute(a)).collect();
        let same_attributes = match exact {
            true => wanted.len() == theirs.len() && wanted.iter().all(|a| theirs.contains(&a)),
            false => wanted.iter().all(|a| theirs.contains(&a)),
        };
        let tos_ok = match (self.tos, exact) {
            (Some(tos), _) => rule.header.tos == tos,
            (None, true) => rule.header.tos == 0,
            (None, false) => true,
        };
        let not_ok = invert == self.not || (!exact && !self.not);
        same_attributes && tos_ok && not_ok
    }
}

/// The attributes [`MatchWords`] sets (the ones an undo must carry too).
pub fn is_match_attribute(a: &RuleAttribute) -> bool {
    matches!(
        a,
        RuleAttribute::SourcePortRange(_)
            | RuleAttribute::DestinationPortRange(_)
            | RuleAttribute::IpProtocol(_)
            | RuleAttribute::UidRange(_)
            | RuleAttribute::Goto(_)
    ) || matches!(a, RuleAttribute::SuppressPrefixLen(n) if *n != u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ip_values() {
        assert_eq!(port_range("80").unwrap(), (80, 80));
        assert_eq!(port_range("1000-2000").unwrap(), (1000, 2000));
        assert_eq!(uid_range("1000-2000").unwrap(), (1000, 2000));
        assert_eq!(tos("0x10").unwrap(), 16);
        assert_eq!(ipproto("tcp").unwrap(), 6);
        assert_eq!(ipproto("47").unwrap(), 47);
        for bad in [
            port_range("2000-1000").err(),
            port_range("x").err(),
            port_range("70000").err(),
        ] {
            assert_eq!(bad.unwrap().exit_code(), 7);
        }
        assert_eq!(tos("256").unwrap_err().exit_code(), 7);
        assert_eq!(ipproto("frob").unwrap_err().exit_code(), 7);
        assert_eq!(uid_range("a-b").unwrap_err().exit_code(), 7);
    }

    #[test]
    fn one_action() {
        let words = MatchWords {
            blackhole: true,
            ..Default::default()
        };
        assert_eq!(words.action(None, "rule add").unwrap(), RuleAction::Blackhole);
        assert_eq!(words.action(Some(5), "rule add").unwrap_err().exit_code(), 7);
        let both = MatchWords {
            blackhole: true,
            goto: Some(5),
            ..Default::default()
        };
        assert_eq!(both.action(None, "rule add").unwrap_err().exit_code(), 7);
        assert_eq!(
            MatchWords::default().action(None, "x").unwrap(),
            RuleAction::ToTable
        );
    }
}
