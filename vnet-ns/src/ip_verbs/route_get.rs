//! `route get ADDR [from A] [iif IF] [oif IF] [vrf NAME] [mark N]`: the kernel's route for one
//! packet, as `ip route get` asks for it, with ip -j route get's fields.

use crate::scope::Scope;
use crate::NsCtx;
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteFlags, RouteMessage};
use netlink_packet_route::AddressFamily;
use schemars::JsonSchema;
use serde::Serialize;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::netlink::route::RouteEntry;
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Ask the kernel which route a packet to ADDR takes (ip route get): from a source address, as
/// if it came in on iif, or leaving by oif or in vrf NAME, with a firewall mark.
///
/// Nothing changes. An address that does not parse, or a source of the other family, is exit 7;
/// a missing iif or oif exit 3; `vrf NAME` that is no vrf exit 7, a missing one exit 3 (exit 6
/// naming the module on a kernel without vrf); a destination no route reaches is the kernel's
/// answer ("Network is unreachable", exit 1).
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct Get {
    /// The destination address (ip's `to ADDR` too).
    #[arg(value_name = "ADDR", value_parser = address, required_unless_present = "to")]
    pub addr: Option<IpAddr>,
    /// The destination address.
    #[arg(long, value_name = "ADDR", value_parser = address, conflicts_with = "addr", help_heading = HEADING)]
    pub to: Option<IpAddr>,
    /// The packet's source address.
    #[arg(long, value_name = "ADDR", value_parser = address, help_heading = HEADING)]
    pub from: Option<IpAddr>,
    /// The link the packet comes in on (a forwarded packet; give from too).
    #[arg(long, value_name = "IF", value_parser = super::ifname, help_heading = HEADING)]
    pub iif: Option<String>,
    /// The link the packet must leave by.
    #[arg(long, visible_alias = "dev", value_name = "IF", value_parser = super::ifname, help_heading = HEADING)]
    pub oif: Option<String>,
    /// The vrf the lookup is made in (ip's `vrf NAME`: the vrf link as the output link).
    #[arg(long, value_name = "NAME", value_parser = super::ifname, conflicts_with = "oif", help_heading = HEADING)]
    pub vrf: Option<String>,
    /// The packet's firewall mark (decimal or 0x hex).
    #[arg(long, visible_alias = "fwmark", value_name = "N", value_parser = mark, help_heading = HEADING)]
    pub mark: Option<u32>,
}

fn address(text: &str) -> Result<IpAddr> {
    text.parse()
        .map_err(|_| Error::invalid(format!("invalid address {}: not an IP address", quote(text))))
}

fn mark(text: &str) -> Result<u32> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    };
    parsed.ok_or_else(|| Error::invalid(format!("invalid mark {}: not a number in range", quote(text))))
}

/// The kernel's route for the packet, with ip -j route get's fields (and route show's).
#[derive(Debug, Serialize, JsonSchema)]
pub struct RouteLookup {
    #[serde(flatten)]
    pub route: RouteEntry,
    /// The source address asked with (from), null when none was.
    pub from: Option<String>,
    /// The input link asked with (iif), null when none was.
    pub iif: Option<String>,
    /// The mark asked with, null when none was.
    pub mark: Option<u32>,
    /// The uid the lookup was made for.
    pub uid: Option<u32>,
    /// The route cache's flags for the packet: "local", "broadcast", "multicast".
    pub cache: Vec<String>,
}

impl Render for RouteLookup {
    fn text(&self, _: TextStyle) -> String {
        let r = &self.route;
        let mut line = String::new();
        if r.kind != "unicast" {
            line.push_str(&format!("{} ", r.kind));
        }
        line.push_str(&r.dst);
        if let Some(from) = &self.from {
            line.push_str(&format!(" from {from}"));
        }
        if let Some(gw) = &r.gateway {
            line.push_str(&format!(" via {gw}"));
        }
        if let Some(dev) = &r.dev {
            line.push_str(&format!(" dev {dev}"));
        }
        if r.table != 254 {
            line.push_str(&format!(
                " table {}",
                vnet_common::netlink::rule::table_name(r.table)
            ));
        }
        if let Some(src) = &r.prefsrc {
            line.push_str(&format!(" src {src}"));
        }
        if let Some(mark) = self.mark {
            line.push_str(&format!(" mark {mark:#x}"));
        }
        if let Some(uid) = self.uid {
            line.push_str(&format!(" uid {uid}"));
        }
        line.push_str(" \n    cache ");
        for flag in &self.cache {
            line.push_str(&format!("<{flag}> "));
        }
        line.push('\n');
        line
    }
}

// The route cache flags of rtm_flags (RTCF_* in linux/in_route.h).
const CACHE_FLAGS: [(u32, &str); 3] = [
    (0x8000_0000, "local"),
    (0x2000_0000, "multicast"),
    (0x1000_0000, "broadcast"),
];

impl Get {
    /// The RTM_GETROUTE request, every word checked and the links found in `scope`; `vrf` is
    /// the index of the vrf link of `vrf NAME`, found before.
    fn request(&self, dst: IpAddr, scope: &mut Scope, vrf: Option<u32>) -> Result<RouteMessage> {
        let mut m = RouteMessage::default();
        let full = if dst.is_ipv6() { 128 } else { 32 };
        m.header.address_family = if dst.is_ipv6() {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        m.header.destination_prefix_length = full;
        // As ip asks: the answer then names the table the route was found in (a vrf's, a
        // rule's), not main.
        m.header.flags = RouteFlags::LookupTable;
        m.attributes
            .push(RouteAttribute::Destination(RouteAddress::from(dst)));
        if let Some(from) = self.from {
            if from.is_ipv6() != dst.is_ipv6() {
                return Err(Error::invalid(format!(
                    "route get {dst}: source address {from} is not of the same family"
                )));
            }
            m.header.source_prefix_length = full;
            m.attributes
                .push(RouteAttribute::Source(RouteAddress::from(from)));
        }
        if let Some(iif) = &self.iif {
            m.attributes.push(RouteAttribute::Iif(scope.index(iif)?));
        }
        if let Some(oif) = &self.oif {
            m.attributes.push(RouteAttribute::Oif(scope.index(oif)?));
        }
        if let Some(index) = vrf {
            m.attributes.push(RouteAttribute::Oif(index));
        }
        if let Some(mark) = self.mark {
            m.attributes.push(RouteAttribute::Mark(mark));
        }
        Ok(m)
    }
}

impl Verb for Get {
    type Ctx = NsCtx;
    type Output = RouteLookup;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<RouteLookup> {
        let dst = self.addr.or(self.to).expect("clap requires ADDR");
        let what = format!("route get {dst}");
        let vrf = match &self.vrf {
            Some(name) => Some(super::vrf::find(ctx, name, &what)?.index),
            None => None,
        };
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let request = self.request(dst, &mut scope, vrf).map_err(|e| e.context(&what))?;
        let route = scope.socket.route_get(request).map_err(|e| e.context(&what))?;
        let uid = route.attributes.iter().find_map(|a| match a {
            RouteAttribute::Uid(uid) => Some(*uid),
            _ => None,
        });
        let bits = route.header.flags.bits();
        Ok(RouteLookup {
            route: RouteEntry::decode_named(&route, scope.links()?),
            from: self.from.map(|a| a.to_string()),
            iif: self.iif,
            mark: self.mark,
            uid,
            cache: CACHE_FLAGS
                .iter()
                .filter(|(bit, _)| bits & bit != 0)
                .map(|(_, name)| name.to_string())
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::ip_verbs::route::RouteVerb;
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    #[test]
    fn parses_ip_spellings_and_refuses_bad_words() {
        match parse_line("route get 10.1.0.2 from 10.1.0.1 iif eth0 mark 0x10").unwrap() {
            NsVerb::Route(RouteVerb::Get(get)) => {
                assert_eq!(get.addr, Some("10.1.0.2".parse().unwrap()));
                assert_eq!((get.iif.as_deref(), get.mark), (Some("eth0"), Some(16)));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_line("route get to fd00::1 oif eth0").is_ok());
        match parse_line("route get 10.1.0.2 vrf red").unwrap() {
            NsVerb::Route(RouteVerb::Get(get)) => assert_eq!(get.vrf.as_deref(), Some("red")),
            other => panic!("{other:?}"),
        }
        for (line, code) in [
            ("route get 10.1.0", 7),
            ("route get 10.1.0.2 from x", 7),
            ("route get 10.1.0.2 mark q", 7),
            ("route get", 2),
            ("route get 10.1.0.2 vrf a/b", 7),
        ] {
            assert_eq!(parse_line(line).unwrap_err().exit_code(), code, "{line}");
        }
    }
}
