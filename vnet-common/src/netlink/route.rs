//! Route messages decoded once: [`RouteEntry`], the record `vnet-ns route show` lists and the
//! monitors report (ip -j route's field names), and the attribute readers that `route`'s
//! add/del matching and vnet-bridge's moveaddr use.

use ipnet::IpNet;
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteMessage, RoutePreference, RouteScope, RouteType,
};
use rtnetlink::packet_route::AddressFamily;
use schemars::JsonSchema;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

/// A name from a fixed table ("unicast", "kernel"...), or a number spelt out for one the table
/// lacks: borrowed, so a listing of many routes allocates none of them.
pub type Name = Cow<'static, str>;

/// One route, with ip -j route's field names.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RouteEntry {
    /// "unicast", "unreachable", "blackhole", "prohibit", "local", "broadcast"...
    #[serde(rename = "type")]
    pub kind: Name,
    /// "default", or the prefix ("10.1.0.0/16"; a host route as its bare address, as ip prints it).
    pub dst: String,
    /// "inet" or "inet6".
    pub family: Name,
    pub gateway: Option<String>,
    /// The output interface.
    pub dev: Option<String>,
    /// "kernel", "boot" (routes added by ip and vnet-ns), "static", "ra", "dhcp"... or a number.
    pub protocol: Name,
    /// "global" (universe), "link", "host", "site", "nowhere".
    pub scope: Name,
    /// The preferred source address (src).
    pub prefsrc: Option<String>,
    /// The metric (priority); IPv6 routes added without one have 1024.
    pub metric: Option<u32>,
    /// The table number (254 is main, 255 local).
    pub table: u32,
    /// Next-hop flags such as "onlink", "linkdown", "dead".
    pub flags: Vec<String>,
    /// IPv6 router preference ("low", "medium", "high"), null for IPv4.
    pub pref: Option<String>,
    /// The nexthop object the route uses (ip's `nhid N`), null for a route with its own paths.
    pub nhid: Option<u32>,
}

impl RouteEntry {
    /// A route message as ip -j route describes it; `link_name` names its output interface.
    pub fn decode(route: &RouteMessage, mut link_name: impl FnMut(u32) -> String) -> RouteEntry {
        let header = &route.header;
        let dst = match destination(route) {
            Some(net) if net.prefix_len() == 0 => "default".to_string(),
            Some(net) if net.prefix_len() == net.max_prefix_len() => net.addr().to_string(),
            Some(net) => net.to_string(),
            None => "default".to_string(),
        };
        RouteEntry {
            kind: type_name(header.kind),
            dst,
            family: match header.address_family {
                AddressFamily::Inet6 => "inet6".into(),
                _ => "inet".into(),
            },
            gateway: gateway(route).map(|g| g.to_string()),
            dev: oif(route).map(&mut link_name),
            protocol: protocol_name(u8::from(header.protocol)),
            scope: scope_name(header.scope),
            prefsrc: attr_addr(route, |a| match a {
                RouteAttribute::PrefSource(s) => Some(s),
                _ => None,
            })
            .map(|s| s.to_string()),
            metric: priority(route),
            table: table(route),
            flags: flag_names(header.flags),
            pref: preference(route),
            nhid: route.attributes.iter().find_map(|a| match a {
                RouteAttribute::NhId(id) => Some(*id),
                _ => None,
            }),
        }
    }

    /// Decoded with the names of a link dump ("ifN" for a link it lacks).
    pub fn decode_named(route: &RouteMessage, links: &HashMap<u32, String>) -> RouteEntry {
        RouteEntry::decode(route, |i| {
            links.get(&i).cloned().unwrap_or_else(|| format!("if{i}"))
        })
    }
}

fn flag_names(flags: RouteFlags) -> Vec<String> {
    [
        (RouteFlags::Dead, "dead"),
        (RouteFlags::Onlink, "onlink"),
        (RouteFlags::Pervasive, "pervasive"),
        (RouteFlags::Offload, "offload"),
        (RouteFlags::Linkdown, "linkdown"),
        (RouteFlags::Unresolved, "unresolved"),
    ]
    .into_iter()
    .filter(|(flag, _)| flags.contains(*flag))
    .map(|(_, name)| name.to_string())
    .collect()
}

fn preference(route: &RouteMessage) -> Option<String> {
    route.attributes.iter().find_map(|a| match a {
        RouteAttribute::Preference(p) => Some(match p {
            RoutePreference::Low => "low".to_string(),
            RoutePreference::Medium => "medium".to_string(),
            RoutePreference::High => "high".to_string(),
            other => u8::from(*other).to_string(),
        }),
        _ => None,
    })
}

/// The route's table: RTA_TABLE when present (tables above 255), else the header's.
pub fn table(route: &RouteMessage) -> u32 {
    route
        .attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(route.header.table as u32)
}

fn address(addr: &RouteAddress) -> Option<IpAddr> {
    match addr {
        RouteAddress::Inet(a) => Some(IpAddr::V4(*a)),
        RouteAddress::Inet6(a) => Some(IpAddr::V6(*a)),
        _ => None,
    }
}

fn attr_addr(
    route: &RouteMessage,
    pick: impl Fn(&RouteAttribute) -> Option<&RouteAddress>,
) -> Option<IpAddr> {
    route.attributes.iter().find_map(|a| pick(a).and_then(address))
}

/// RTA_DST's address, None for a route without one (a default route).
pub fn destination_address(route: &RouteMessage) -> Option<IpAddr> {
    attr_addr(route, |a| match a {
        RouteAttribute::Destination(d) => Some(d),
        _ => None,
    })
}

/// The destination prefix (0.0.0.0/0 or ::/0 for a default route).
pub fn destination(route: &RouteMessage) -> Option<IpNet> {
    let len = route.header.destination_prefix_length;
    match destination_address(route) {
        Some(addr) => IpNet::new(addr, len).ok(),
        None => match route.header.address_family {
            AddressFamily::Inet6 => "::/0".parse().ok(),
            _ => "0.0.0.0/0".parse().ok(),
        },
    }
}

pub fn gateway(route: &RouteMessage) -> Option<IpAddr> {
    attr_addr(route, |a| match a {
        RouteAttribute::Gateway(g) => Some(g),
        _ => None,
    })
}

/// The output interface's index.
pub fn oif(route: &RouteMessage) -> Option<u32> {
    route.attributes.iter().find_map(|a| match a {
        RouteAttribute::Oif(i) => Some(*i),
        _ => None,
    })
}

/// The metric.
pub fn priority(route: &RouteMessage) -> Option<u32> {
    route.attributes.iter().find_map(|a| match a {
        RouteAttribute::Priority(p) => Some(*p),
        _ => None,
    })
}

/// The route type as ip names it.
pub fn type_name(kind: RouteType) -> Name {
    match kind {
        RouteType::Unspec => "none".into(),
        RouteType::Unicast => "unicast".into(),
        RouteType::Local => "local".into(),
        RouteType::Broadcast => "broadcast".into(),
        RouteType::Anycast => "anycast".into(),
        RouteType::Multicast => "multicast".into(),
        RouteType::BlackHole => "blackhole".into(),
        RouteType::Unreachable => "unreachable".into(),
        RouteType::Prohibit => "prohibit".into(),
        RouteType::Throw => "throw".into(),
        RouteType::Nat => "nat".into(),
        other => u8::from(other).to_string().into(),
    }
}

fn scope_name(scope: RouteScope) -> Name {
    match scope {
        RouteScope::Universe => "global".into(),
        RouteScope::Site => "site".into(),
        RouteScope::Link => "link".into(),
        RouteScope::Host => "host".into(),
        RouteScope::NoWhere => "nowhere".into(),
        other => u8::from(other).to_string().into(),
    }
}

/// Route protocols by number and name, as /etc/iproute2/rt_protos names them.
pub const PROTOCOLS: [(u8, &str); 20] = [
    (0, "unspec"),
    (1, "redirect"),
    (2, "kernel"),
    (3, "boot"),
    (4, "static"),
    (8, "gated"),
    (9, "ra"),
    (10, "mrt"),
    (11, "zebra"),
    (12, "bird"),
    (13, "dnrouted"),
    (14, "xorp"),
    (15, "ntk"),
    (16, "dhcp"),
    (42, "babel"),
    (186, "bgp"),
    (187, "isis"),
    (188, "ospf"),
    (189, "rip"),
    (192, "eigrp"),
];

pub(crate) fn protocol_name(number: u8) -> Name {
    match PROTOCOLS.iter().find(|(n, _)| *n == number) {
        Some((_, name)) => Cow::Borrowed(name),
        None => number.to_string().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_as_ip_j_route() {
        let mut route = RouteMessage::default();
        route.header.address_family = AddressFamily::Inet;
        route.header.destination_prefix_length = 16;
        route.header.kind = RouteType::Unicast;
        route.header.table = 254;
        route.header.protocol = 3.into();
        route.header.flags = RouteFlags::Onlink;
        route
            .attributes
            .push(RouteAttribute::Destination(RouteAddress::Inet(
                "10.1.0.0".parse().unwrap(),
            )));
        route.attributes.push(RouteAttribute::Gateway(RouteAddress::Inet(
            "10.0.0.1".parse().unwrap(),
        )));
        route.attributes.push(RouteAttribute::Oif(2));
        route.attributes.push(RouteAttribute::Table(1000));
        let entry = RouteEntry::decode_named(&route, &HashMap::from([(2, "eth0".to_string())]));
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "unicast", "dst": "10.1.0.0/16", "family": "inet",
                "gateway": "10.0.0.1", "dev": "eth0", "protocol": "boot", "scope": "global",
                "prefsrc": null, "metric": null, "table": 1000, "flags": ["onlink"], "pref": null,
                "nhid": null})
        );
        route.header.destination_prefix_length = 32;
        route.attributes[0] = RouteAttribute::Destination(RouteAddress::Inet("10.1.0.5".parse().unwrap()));
        route.attributes[2] = RouteAttribute::Oif(9);
        route.header.protocol = 77.into();
        let entry = RouteEntry::decode_named(&route, &HashMap::new());
        assert_eq!(
            (entry.dst.as_str(), entry.dev.as_deref()),
            ("10.1.0.5", Some("if9"))
        );
        assert_eq!(entry.protocol, "77");
    }
}
