//! Route protocols by name and number, as ip reads them (iproute2's rt_protos), for routes and
//! nexthop objects.

/// rt_protos' names (iproute2 etc/iproute2/rt_protos), by number.
const PROTOCOLS: [(&str, u8); 19] = [
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

/// A protocol as ip reads it: a name of rt_protos or a number.
pub(crate) fn protocol_number(text: &str) -> Option<u8> {
    PROTOCOLS
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, n)| *n)
        .or_else(|| text.parse().ok())
}
