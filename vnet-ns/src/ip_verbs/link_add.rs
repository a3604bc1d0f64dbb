//! `link add`: a new link of a kind ip makes (vlan, macvlan, macvtap, ipvlan, dummy, bond, vxlan,
//! gre, gretap, ipip, sit, wireguard, vrf, ifb, geneve, ip6gre, ip6gretap, ip6tnl), in ip's grammar: `link add [link PARENT] name NAME type KIND
//! [options]`, also `link add NAME type KIND ...` and `link add dev NAME ...`. The words are
//! checked here into a [`NewLink`]; the request is made by crate::linkadd.

use crate::linkadd::{self, Common, Kind, LinkAdded, NewLink};
use crate::NsCtx;
use netlink_packet_route::link::{
    BondMode, InfoBond, InfoData, InfoGeneve, InfoGre, InfoGre6, InfoIpTunnel, InfoIpVlan, InfoMacVlan,
    InfoMacVtap, InfoVlan, InfoVrf, InfoVxlan, IpVlanFlags, IpVlanMode, MacVlanMode, VlanProtocol,
};
use netlink_packet_route::link::{GreIOFlags, Ip6TunnelFlags};
use netlink_packet_route::IpProtocol;
use rtnetlink::packet_core::DefaultNla;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vnet_common::bridge_keywords::BridgeKeywords;
use vnet_common::bridge_options::BridgeOption;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::{Error, Journal, Result, Verb};

/// Make a link: `link add [link PARENT] [name] NAME type KIND [options]` (ip link add).
///
/// Kinds and their options, as ip takes them:
/// vlan (link PARENT, id 0-4094, protocol 802.1Q|802.1ad);
/// macvlan and macvtap (link PARENT, mode private|vepa|bridge|passthru|source);
/// ipvlan (link PARENT, mode l2|l3|l3s [bridge|private|vepa]);
/// dummy; bond (mode NAME|0-6, miimon MS, primary IF; slaves join with `link set IF master BOND`);
/// vxlan (id VNI, remote IP | group IP, local IP, dev IF, dstport PORT, ttl N|inherit,
/// learning|nolearning); gre, gretap, ipip, sit (remote IP, local IP, ttl N|inherit, dev IF;
/// key K for gre and gretap); wireguard (the link only); vrf (table N|main|local|default,
/// required; slaves join with `link set IF master VRF`); ifb (no options); geneve (id VNI and
/// remote IP, required; ttl N|inherit, tos TOS|inherit, dstport PORT); ip6gre, ip6gretap and
/// ip6tnl (remote IP6, local IP6, ttl|hoplimit N|inherit (64), encaplimit N|none (4), dev IF; key
/// K for ip6gre and ip6gretap; mode ip6ip6|ipip6|any (any) for ip6tnl). Any kind also takes ip's
/// mtu N, address MAC, up and netns NS (the link is made in NS, in one request).
///
/// `dev NAME` names the new link when no NAME comes first; for vxlan and the tunnels a `dev` after
/// the name is the underlying device, as ip reads it. Every word is checked before anything is
/// made (exit 7; a missing PARENT, dev or primary is exit 3, a taken name exit 4); a kind this
/// kernel lacks is exit 6 naming its module. The new link starts down, as with ip; undone
/// (deleted) when a later step of --batch --atomic fails.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Add {
    /// The new link's name (or name NAME, dev NAME).
    #[arg(value_name = "NAME")]
    pub ifname: Option<String>,
    /// The new link's name.
    #[arg(long, value_name = "NAME", value_parser = super::ifname, help_heading = HEADING)]
    pub name: Option<String>,
    /// The new link's name when no NAME is given; for vxlan and tunnels the underlying device.
    #[arg(long, value_name = "IF", value_parser = super::ifname, action = clap::ArgAction::Append, help_heading = HEADING)]
    pub dev: Vec<String>,
    /// The link a vlan, macvlan, macvtap or ipvlan sits on.
    #[arg(long = "link", value_name = "PARENT", value_parser = super::ifname, help_heading = HEADING)]
    pub parent: Option<String>,
    /// The kind of link: vlan, macvlan, macvtap, ipvlan, dummy, bond, vxlan, gre, gretap, ipip,
    /// sit, wireguard, vrf, ifb, geneve, ip6gre, ip6gretap, ip6tnl.
    #[arg(long = "type", value_name = "KIND", value_parser = kind, required = true, help_heading = HEADING)]
    pub kind: Option<Kind>,
    /// vlan: the VLAN id (0-4094); vxlan, geneve: the VNI (0-16777215).
    #[arg(long, value_name = "ID", value_parser = number::<u32>, help_heading = HEADING)]
    pub id: Option<u32>,
    /// vlan: 802.1Q (default) or 802.1ad.
    #[arg(long, value_name = "PROTO", value_parser = vlan_protocol, help_heading = HEADING)]
    pub protocol: Option<VlanProtocol>,
    /// macvlan/macvtap: private|vepa|bridge|passthru|source; ipvlan: l2|l3|l3s and
    /// bridge|private|vepa; bond: balance-rr|active-backup|balance-xor|broadcast|802.3ad|
    /// balance-tlb|balance-alb or 0-6; ip6tnl: ip6ip6|ipip6|any.
    #[arg(long, value_name = "MODE", num_args = 1..=2, help_heading = HEADING)]
    pub mode: Vec<String>,
    /// bond: the MII link monitoring interval in ms.
    #[arg(long, value_name = "MS", value_parser = number::<u32>, help_heading = HEADING)]
    pub miimon: Option<u32>,
    /// bond: the preferred slave (it must exist).
    #[arg(long, value_name = "IF", value_parser = super::ifname, help_heading = HEADING)]
    pub primary: Option<String>,
    /// vxlan/tunnels/geneve: the remote end.
    #[arg(long, value_name = "IP", value_parser = address, help_heading = HEADING)]
    pub remote: Option<IpAddr>,
    /// vxlan: the multicast group.
    #[arg(long, value_name = "IP", value_parser = address, help_heading = HEADING)]
    pub group: Option<IpAddr>,
    /// vxlan/tunnels: the local address.
    #[arg(long, value_name = "IP", value_parser = address, help_heading = HEADING)]
    pub local: Option<IpAddr>,
    /// vxlan, geneve: the UDP destination port (vxlan's default is the kernel's, 8472, ip's
    /// scripts give 4789; geneve's 6081).
    #[arg(long, value_name = "PORT", value_parser = number::<u16>, help_heading = HEADING)]
    pub dstport: Option<u16>,
    /// vxlan/tunnels/geneve: the TTL, 1-255 or inherit (0).
    #[arg(long, visible_alias = "hoplimit", value_name = "N", value_parser = ttl, help_heading = HEADING)]
    pub ttl: Option<u8>,
    /// vxlan: learn remote MACs (the default).
    #[arg(long, overrides_with = "nolearning", help_heading = HEADING)]
    pub learning: bool,
    /// vxlan: do not learn remote MACs.
    #[arg(long, overrides_with = "learning", help_heading = HEADING)]
    pub nolearning: bool,
    /// gre/gretap: the key, both ways (a number or a dotted quad).
    #[arg(long, value_name = "KEY", value_parser = gre_key, help_heading = HEADING)]
    pub key: Option<u32>,
    /// ip6gre, ip6gretap, ip6tnl: the encapsulation limit, 0-255 or none (default 4, as ip).
    #[arg(long, value_name = "N", value_parser = encap_limit, help_heading = HEADING)]
    pub encaplimit: Option<EncapLimit>,
    /// geneve: the TOS, in hex as ip reads it (10 is 0x10), or inherit.
    #[arg(long, visible_alias = "dsfield", value_name = "TOS", value_parser = tos, help_heading = HEADING)]
    pub tos: Option<u8>,
    /// vrf: its routing table, a number or main, local, default.
    #[arg(long, value_name = "TABLE", value_parser = crate::route::parse_table, help_heading = HEADING)]
    pub table: Option<u32>,
    /// Any kind: the new link's MTU.
    #[arg(long, value_name = "N", value_parser = number::<u32>, help_heading = HEADING)]
    pub mtu: Option<u32>,
    /// Any kind: the new link's MAC address (unicast).
    #[arg(long, value_name = "MAC", value_parser = vnet_common::mac::parse_unicast_mac, help_heading = HEADING)]
    pub address: Option<String>,
    /// Any kind: bring the new link up.
    #[arg(long, help_heading = HEADING)]
    pub up: bool,
    /// Any kind: make the link in this namespace (PARENT, dev and primary are looked up in -n NS).
    #[arg(long, value_name = "NS", value_parser = super::netns_name, help_heading = HEADING)]
    pub netns: Option<String>,
    /// veth: the other end, `peer [name] PEER [netns NS] [address MAC] [mtu N] [txqueuelen N]`
    /// (the rest of the line); without it the kernel names both ends (veth0, veth1).
    #[arg(long, value_name = "WORDS", num_args = 1.., allow_hyphen_values = true, help_heading = HEADING)]
    pub peer: Vec<String>,
    #[command(flatten)]
    pub bridge: BridgeKeywords,
    /// bridge: its STP priority, 0..65535.
    #[arg(long, value_name = "PRIO", value_parser = number::<u16>, help_heading = HEADING)]
    pub priority: Option<u16>,
}

/// The kind (exit 7 naming the kinds for another word).
fn kind(text: &str) -> Result<Kind> {
    use clap::ValueEnum;
    Kind::from_str(text, false).map_err(|_| {
        Error::invalid(format!("link add: unknown type {}", quote(text))).with_hint(
            "the kinds are veth, bridge, vlan, macvlan, macvtap, ipvlan, dummy, bond, vxlan, gre, \
             gretap, ipip, sit, wireguard, vrf, ifb, geneve, ip6gre, ip6gretap, ip6tnl",
        )
    })
}

/// A number as a keyword's value (exit 7 when it is not one).
fn number<T: std::str::FromStr>(text: &str) -> Result<T> {
    text.parse()
        .map_err(|_| Error::invalid(format!("link add: invalid number {}", quote(text))))
}

fn vlan_protocol(text: &str) -> Result<VlanProtocol> {
    match text.to_ascii_lowercase().as_str() {
        "802.1q" => Ok(VlanProtocol::Ieee8021Q),
        "802.1ad" => Ok(VlanProtocol::Ieee8021Ad),
        _ => Err(Error::invalid(format!(
            "link add: invalid vlan protocol {}: give 802.1Q or 802.1ad",
            quote(text)
        ))),
    }
}

fn address(text: &str) -> Result<IpAddr> {
    text.parse()
        .map_err(|_| Error::invalid(format!("link add: invalid address {}", quote(text))))
}

/// ttl N (1-255) or inherit (0), as ip takes it.
fn ttl(text: &str) -> Result<u8> {
    if text == "inherit" {
        return Ok(0);
    }
    text.parse().map_err(|_| {
        Error::invalid(format!(
            "link add: invalid ttl {}: give 0-255 or inherit",
            quote(text)
        ))
    })
}

/// A TOS as ip reads it: inherit (1) or hex, with or without 0x (ip's rtnl_dsfield_a2n: `tos 10`
/// is 0x10).
fn tos(text: &str) -> Result<u8> {
    if text == "inherit" {
        return Ok(1);
    }
    let digits = text.strip_prefix("0x").unwrap_or(text);
    u8::from_str_radix(digits, 16).map_err(|_| {
        Error::invalid(format!(
            "link add: invalid tos {}: give a hex value 0-ff or inherit",
            quote(text)
        ))
    })
}

/// An IPv6 tunnel's `encaplimit`: a number of nested encapsulations, or none (no limit option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncapLimit {
    Limit(u8),
    None,
}

fn encap_limit(text: &str) -> Result<EncapLimit> {
    if text == "none" {
        return Ok(EncapLimit::None);
    }
    text.parse().map(EncapLimit::Limit).map_err(|_| {
        Error::invalid(format!(
            "link add: invalid encaplimit {}: give 0-255 or none",
            quote(text)
        ))
    })
}

/// IFLA_GRE_FLAGS: netlink-packet-route 0.34 has no InfoGre6 variant for it (its constant is
/// commented out), so an ip6gre's `encaplimit none` goes as the crate's generic DefaultNla.
const IFLA_GRE_FLAGS: u16 = 13;

/// A GRE key: a number or a dotted quad, as ip reads `key`.
fn gre_key(text: &str) -> Result<u32> {
    if let Ok(quad) = text.parse::<Ipv4Addr>() {
        return Ok(u32::from(quad));
    }
    number(text)
}

fn refuse(kind: Kind, message: String) -> Error {
    Error::invalid(format!("link add type {}: {message}", kind.word()))
}

impl Add {
    /// The new link's name and the underlying device (vxlan, tunnels), as ip reads name/dev.
    fn names(&mut self, kind: Kind) -> Result<(Option<String>, Option<String>)> {
        let mut devs = std::mem::take(&mut self.dev).into_iter();
        // No name at all: the kernel's KIND%d, as ip leaves it to the kernel.
        let name = self.ifname.take().or(self.name.take()).or_else(|| devs.next());
        let underlying = devs.next();
        if underlying.is_some() && !kind.has_underlying_dev() || devs.next().is_some() {
            return Err(refuse(
                kind,
                "dev given twice: the kind takes no underlying dev".into(),
            ));
        }
        Ok((name.map(|n| super::ifname(&n)).transpose()?, underlying))
    }

    /// The words that belong to other kinds (ip refuses them as unknown options).
    fn foreign_words(&self, kind: Kind) -> Vec<&'static str> {
        let given = [
            (
                "id",
                self.id.is_some(),
                matches!(kind, Kind::Vlan | Kind::Vxlan | Kind::Geneve),
            ),
            ("protocol", self.protocol.is_some(), kind == Kind::Vlan),
            ("mode", !self.mode.is_empty(), kind.has_mode()),
            ("miimon", self.miimon.is_some(), kind == Kind::Bond),
            ("primary", self.primary.is_some(), kind == Kind::Bond),
            (
                "remote",
                self.remote.is_some(),
                kind.has_underlying_dev() || kind == Kind::Geneve,
            ),
            ("local", self.local.is_some(), kind.has_underlying_dev()),
            (
                "ttl",
                self.ttl.is_some(),
                kind.has_underlying_dev() || kind == Kind::Geneve,
            ),
            ("encaplimit", self.encaplimit.is_some(), kind.is_ip6_tunnel()),
            ("tos", self.tos.is_some(), kind == Kind::Geneve),
            ("table", self.table.is_some(), kind == Kind::Vrf),
            ("group", self.group.is_some(), kind == Kind::Vxlan),
            (
                "dstport",
                self.dstport.is_some(),
                matches!(kind, Kind::Vxlan | Kind::Geneve),
            ),
            ("learning", self.learning || self.nolearning, kind == Kind::Vxlan),
            (
                "key",
                self.key.is_some(),
                matches!(kind, Kind::Gre | Kind::Gretap | Kind::Ip6gre | Kind::Ip6gretap),
            ),
            ("link", self.parent.is_some(), kind.has_parent()),
            ("peer", !self.peer.is_empty(), kind == Kind::Veth),
            ("priority", self.priority.is_some(), kind == Kind::Bridge),
            (
                "a bridge option",
                !self.bridge.options().is_empty(),
                kind == Kind::Bridge,
            ),
        ];
        given
            .iter()
            .filter(|(_, present, allowed)| *present && !allowed)
            .map(|(word, ..)| *word)
            .collect()
    }

    /// Every word checked into the request.
    pub fn new_link(mut self) -> Result<NewLink> {
        let kind = self.kind.expect("clap requires type KIND");
        let (name, dev) = self.names(kind)?;
        if let Some(word) = self.foreign_words(kind).first() {
            return Err(refuse(kind, format!("{word} is not an option of this kind")));
        }
        if kind.has_parent() && self.parent.is_none() {
            return Err(refuse(kind, "link PARENT is required".into()));
        }
        let data = self.info_data(kind)?;
        let common = Common {
            mtu: self.mtu,
            address: self.address,
            up: self.up,
            netns: self.netns,
        };
        let peer = match kind {
            Kind::Veth => Some(super::link_peer::peer_spec(&self.peer)?),
            _ => None,
        };
        let mut bridge = self.bridge.options();
        bridge.extend(self.priority.map(BridgeOption::Priority));
        Ok(NewLink {
            name,
            kind,
            parent: self.parent,
            dev,
            primary: self.primary,
            data,
            common,
            peer,
            bridge,
        })
    }

    /// The kind's settings as netlink-packet-route's InfoData (links named by index later).
    fn info_data(&self, kind: Kind) -> Result<Option<InfoData>> {
        Ok(match kind {
            Kind::Vlan => Some(self.vlan()?),
            Kind::Macvlan => Some(InfoData::MacVlan(
                self.macvlan_mode(kind)?
                    .map(InfoMacVlan::Mode)
                    .into_iter()
                    .collect(),
            )),
            Kind::Macvtap => Some(InfoData::MacVtap(
                self.macvlan_mode(kind)?
                    .map(InfoMacVtap::Mode)
                    .into_iter()
                    .collect(),
            )),
            Kind::Ipvlan => Some(self.ipvlan()?),
            Kind::Bond => Some(self.bond()?),
            Kind::Vxlan => Some(self.vxlan()?),
            Kind::Gre | Kind::Gretap => Some(self.gre(kind)?),
            Kind::Ipip | Kind::Sit => Some(InfoData::IpTunnel(self.ip_tunnel(kind)?)),
            Kind::Bridge => {
                let mut options = self.bridge.options();
                options.extend(self.priority.map(BridgeOption::Priority));
                (!options.is_empty()).then(|| InfoData::Bridge(BridgeOption::attributes(&options)))
            }
            Kind::Vrf => Some(self.vrf()?),
            Kind::Geneve => Some(self.geneve()?),
            Kind::Ip6gre | Kind::Ip6gretap => Some(self.gre6(kind)?),
            Kind::Ip6tnl => Some(self.ip6tnl()?),
            Kind::Dummy | Kind::Wireguard | Kind::Ifb | Kind::Veth => None,
        })
    }

    fn vlan(&self) -> Result<InfoData> {
        let id = self
            .id
            .ok_or_else(|| refuse(Kind::Vlan, "id ID is required".into()))?;
        if id > 4094 {
            return Err(refuse(Kind::Vlan, format!("id {id} is outside 0-4094")));
        }
        let protocol = self.protocol.unwrap_or(VlanProtocol::Ieee8021Q);
        Ok(InfoData::Vlan(vec![
            InfoVlan::Id(id as u16),
            InfoVlan::Protocol(protocol),
        ]))
    }

    fn macvlan_mode(&self, kind: Kind) -> Result<Option<MacVlanMode>> {
        let mode = match self.mode.as_slice() {
            [] => return Ok(None),
            [mode] => mode.as_str(),
            [_, extra] => {
                return Err(refuse(
                    kind,
                    format!("unexpected {} after the mode", quote(extra)),
                ))
            }
            _ => unreachable!("mode takes 1 or 2 words"),
        };
        Ok(Some(match mode {
            "private" => MacVlanMode::Private,
            "vepa" => MacVlanMode::Vepa,
            "bridge" => MacVlanMode::Bridge,
            "passthru" => MacVlanMode::Passthrough,
            "source" => MacVlanMode::Source,
            other => {
                return Err(refuse(
                    kind,
                    format!(
                        "invalid mode {}: give private, vepa, bridge, passthru or source",
                        quote(other)
                    ),
                ))
            }
        }))
    }

    fn ipvlan(&self) -> Result<InfoData> {
        let mut info = vec![];
        let bad = |word: &str| refuse(Kind::Ipvlan, format!("invalid mode word {}", quote(word)));
        if let Some(mode) = self.mode.first() {
            info.push(InfoIpVlan::Mode(match mode.as_str() {
                "l2" => IpVlanMode::L2,
                "l3" => IpVlanMode::L3,
                "l3s" => IpVlanMode::L3S,
                other => return Err(bad(other)),
            }));
        }
        if let Some(flag) = self.mode.get(1) {
            info.push(InfoIpVlan::Flags(match flag.as_str() {
                "bridge" => IpVlanFlags::empty(),
                "private" => IpVlanFlags::Private,
                "vepa" => IpVlanFlags::Vepa,
                other => return Err(bad(other)),
            }));
        }
        Ok(InfoData::IpVlan(info))
    }

    fn bond(&self) -> Result<InfoData> {
        let mut info = vec![];
        if let Some(mode) = self.mode.first() {
            info.push(InfoBond::Mode(bond_mode(mode)?));
        }
        if self.mode.len() > 1 {
            return Err(refuse(
                Kind::Bond,
                format!("unexpected {} after the mode", quote(&self.mode[1])),
            ));
        }
        info.extend(self.miimon.map(InfoBond::MiiMon));
        Ok(InfoData::Bond(info))
    }

    fn vxlan(&self) -> Result<InfoData> {
        let id = self
            .id
            .ok_or_else(|| refuse(Kind::Vxlan, "id VNI is required".into()))?;
        if id > 0xff_ffff {
            return Err(refuse(Kind::Vxlan, format!("id {id} is outside 0-16777215")));
        }
        if self.remote.is_some() && self.group.is_some() {
            return Err(refuse(Kind::Vxlan, "give remote or group, not both".into()));
        }
        let mut info = vec![InfoVxlan::Id(id)];
        match (self.remote, self.group) {
            (Some(ip), _) if ip.is_multicast() => {
                return Err(refuse(
                    Kind::Vxlan,
                    format!("remote {ip} is multicast: use group"),
                ))
            }
            (_, Some(ip)) if !ip.is_multicast() => {
                return Err(refuse(
                    Kind::Vxlan,
                    format!("group {ip} is not multicast: use remote"),
                ))
            }
            (Some(IpAddr::V4(ip)), _) | (_, Some(IpAddr::V4(ip))) => info.push(InfoVxlan::Group(ip)),
            (Some(IpAddr::V6(ip)), _) | (_, Some(IpAddr::V6(ip))) => info.push(InfoVxlan::Group6(ip)),
            _ => {}
        }
        match self.local {
            Some(IpAddr::V4(ip)) => info.push(InfoVxlan::Local(ip)),
            Some(IpAddr::V6(ip)) => info.push(InfoVxlan::Local6(ip)),
            None => {}
        }
        info.extend(self.dstport.map(InfoVxlan::Port));
        info.extend(self.ttl.map(InfoVxlan::Ttl));
        if self.learning || self.nolearning {
            info.push(InfoVxlan::Learning(self.learning));
        }
        Ok(InfoData::Vxlan(info))
    }

    /// The kernel refuses a vrf without its table: said here, before anything is asked.
    fn vrf(&self) -> Result<InfoData> {
        let table = self
            .table
            .ok_or_else(|| refuse(Kind::Vrf, "table TABLE is required".into()))?;
        Ok(InfoData::Vrf(vec![InfoVrf::TableId(table)]))
    }

    /// A geneve as ip makes it: id and a unicast remote required; ttl, tos and the flow label
    /// always sent (0 unless given, as ip does), dstport only when given.
    fn geneve(&self) -> Result<InfoData> {
        let id = self
            .id
            .ok_or_else(|| refuse(Kind::Geneve, "id VNI is required".into()))?;
        if id > 0xff_ffff {
            return Err(refuse(Kind::Geneve, format!("id {id} is outside 0-16777215")));
        }
        let mut info = vec![InfoGeneve::Id(id)];
        match self.remote {
            None => return Err(refuse(Kind::Geneve, "remote IP is required".into())),
            Some(ip) if ip.is_multicast() || ip.is_unspecified() => {
                return Err(refuse(
                    Kind::Geneve,
                    format!("remote {ip} is not a unicast address"),
                ))
            }
            Some(IpAddr::V4(ip)) => info.push(InfoGeneve::Remote(ip)),
            Some(IpAddr::V6(ip)) => info.push(InfoGeneve::Remote6(ip)),
        }
        info.extend([
            InfoGeneve::Label(0),
            InfoGeneve::Ttl(self.ttl.unwrap_or(0)),
            InfoGeneve::Tos(self.tos.unwrap_or(0)),
        ]);
        info.extend(self.dstport.filter(|p| *p != 0).map(InfoGeneve::Port));
        Ok(InfoData::Geneve(info))
    }

    /// A tunnel's endpoints, which must be IPv4 for these kinds (gre6 and ip6tnl are others).
    fn endpoints(&self, kind: Kind) -> Result<(Option<Ipv4Addr>, Option<Ipv4Addr>)> {
        let v4 = |ip: Option<IpAddr>, word: &str| match ip {
            None => Ok(None),
            Some(IpAddr::V4(ip)) => Ok(Some(ip)),
            Some(ip) => Err(refuse(kind, format!("{word} {ip} is not IPv4"))),
        };
        Ok((v4(self.remote, "remote")?, v4(self.local, "local")?))
    }

    fn gre(&self, kind: Kind) -> Result<InfoData> {
        let (remote, local) = self.endpoints(kind)?;
        let mut info = vec![];
        info.extend(remote.map(InfoGre::Remote));
        info.extend(local.map(InfoGre::Local));
        info.extend(self.ttl.map(InfoGre::Ttl));
        // ip turns path MTU discovery on unless ttl is inherit; the kernel needs it with a ttl.
        info.push(InfoGre::PathMTUDiscovery(self.ttl != Some(0)));
        if let Some(key) = self.key {
            info.extend([
                InfoGre::IKey(key),
                InfoGre::OKey(key),
                InfoGre::IFlags(GreIOFlags::Key),
                InfoGre::OFlags(GreIOFlags::Key),
            ]);
        }
        Ok(if kind == Kind::Gre {
            InfoData::GreTun(info)
        } else {
            InfoData::GreTap(info)
        })
    }

    /// An IPv6 tunnel's endpoints, which must be IPv6.
    fn endpoints6(&self, kind: Kind) -> Result<(Option<Ipv6Addr>, Option<Ipv6Addr>)> {
        let v6 = |ip: Option<IpAddr>, word: &str| match ip {
            None => Ok(None),
            Some(IpAddr::V6(ip)) => Ok(Some(ip)),
            Some(ip) => Err(refuse(kind, format!("{word} {ip} is not IPv6"))),
        };
        Ok((v6(self.remote, "remote")?, v6(self.local, "local")?))
    }

    /// ip's defaults for an IPv6 tunnel: hoplimit 64, encaplimit 4; `encaplimit none` is a flag.
    fn ip6_limits(&self) -> (u8, u8, Ip6TunnelFlags) {
        let (limit, flags) = match self.encaplimit {
            None => (4, Ip6TunnelFlags::empty()),
            Some(EncapLimit::Limit(n)) => (n, Ip6TunnelFlags::empty()),
            Some(EncapLimit::None) => (4, Ip6TunnelFlags::IgnEncapLimit),
        };
        (self.ttl.unwrap_or(64), limit, flags)
    }

    fn gre6(&self, kind: Kind) -> Result<InfoData> {
        let (remote, local) = self.endpoints6(kind)?;
        let (hoplimit, limit, flags) = self.ip6_limits();
        let mut info = vec![];
        info.extend(remote.map(InfoGre6::Remote));
        info.extend(local.map(InfoGre6::Local));
        info.extend([InfoGre6::Ttl(hoplimit), InfoGre6::EncapLimit(limit)]);
        if !flags.is_empty() {
            let bytes = flags.bits().to_ne_bytes().to_vec();
            info.push(InfoGre6::Other(DefaultNla::new(IFLA_GRE_FLAGS, bytes)));
        }
        if let Some(key) = self.key {
            info.extend([
                InfoGre6::IKey(key),
                InfoGre6::OKey(key),
                InfoGre6::IFlags(GreIOFlags::Key),
                InfoGre6::OFlags(GreIOFlags::Key),
            ]);
        }
        Ok(if kind == Kind::Ip6gre {
            InfoData::GreTun6(info)
        } else {
            InfoData::GreTap6(info)
        })
    }

    fn ip6tnl(&self) -> Result<InfoData> {
        let (remote, local) = self.endpoints6(Kind::Ip6tnl)?;
        let (hoplimit, limit, flags) = self.ip6_limits();
        let protocol = match self.mode.as_slice() {
            [] => 0,
            [mode] => match mode.as_str() {
                "ip6ip6" | "ipv6/ipv6" => 41,
                "ipip6" | "ip4ip6" | "ip/ipv6" | "ipv4/ipv6" => 4,
                "any" | "any/ipv6" => 0,
                other => {
                    return Err(refuse(
                        Kind::Ip6tnl,
                        format!("invalid mode {}: give ip6ip6, ipip6 or any", quote(other)),
                    ))
                }
            },
            [_, extra, ..] => {
                return Err(refuse(
                    Kind::Ip6tnl,
                    format!("unexpected {} after the mode", quote(extra)),
                ))
            }
        };
        let mut info = vec![InfoIpTunnel::Protocol(IpProtocol::from(protocol))];
        info.extend(remote.map(|ip| InfoIpTunnel::Remote(IpAddr::V6(ip))));
        info.extend(local.map(|ip| InfoIpTunnel::Local(IpAddr::V6(ip))));
        info.extend([
            InfoIpTunnel::Ttl(hoplimit),
            InfoIpTunnel::EncapLimit(limit),
            InfoIpTunnel::Ipv6Flags(flags),
        ]);
        Ok(InfoData::IpTunnel(info))
    }

    fn ip_tunnel(&self, kind: Kind) -> Result<Vec<InfoIpTunnel>> {
        let (remote, local) = self.endpoints(kind)?;
        let mut info = vec![];
        info.extend(remote.map(|ip| InfoIpTunnel::Remote(IpAddr::V4(ip))));
        info.extend(local.map(|ip| InfoIpTunnel::Local(IpAddr::V4(ip))));
        info.extend(self.ttl.map(InfoIpTunnel::Ttl));
        info.push(InfoIpTunnel::PMtuDisc(self.ttl != Some(0)));
        Ok(info)
    }
}

/// A bond mode by name or number, as ip takes it.
fn bond_mode(text: &str) -> Result<BondMode> {
    let names = [
        "balance-rr",
        "active-backup",
        "balance-xor",
        "broadcast",
        "802.3ad",
        "balance-tlb",
        "balance-alb",
    ];
    let number = names
        .iter()
        .position(|name| *name == text)
        .or_else(|| text.parse::<usize>().ok().filter(|n| *n < names.len()));
    number.map(|n| BondMode::from(n as u8)).ok_or_else(|| {
        refuse(
            Kind::Bond,
            format!("invalid mode {}: give {} or 0-6", quote(text), names.join(", ")),
        )
    })
}

impl Verb for Add {
    type Ctx = NsCtx;
    type Output = LinkAdded;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<LinkAdded> {
        // Every word is checked before the namespace is opened.
        let new = self.new_link()?;
        let ns = ctx.netns.clone();
        linkadd::run_add(ctx.netlink()?, ns, new, journal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_verbs::link::{LinkForms, LinkVerb};
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    fn add(line: &str) -> Result<NewLink> {
        match parse_line(&format!("link add {line}"))? {
            NsVerb::Link(LinkForms {
                verb: Some(LinkVerb::Add(add)),
                ..
            }) => add.new_link(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_ips_forms_of_link_add() {
        let vlan = add("link eth0 name eth0.10 type vlan id 10 protocol 802.1ad").unwrap();
        assert_eq!(
            (vlan.name.as_deref(), vlan.parent.as_deref()),
            (Some("eth0.10"), Some("eth0"))
        );
        assert_eq!(
            vlan.data,
            Some(InfoData::Vlan(vec![
                InfoVlan::Id(10),
                InfoVlan::Protocol(VlanProtocol::Ieee8021Ad)
            ]))
        );
        let dummy = add("d0 type dummy").unwrap();
        assert_eq!(
            (dummy.name.as_deref(), dummy.kind, dummy.data),
            (Some("d0"), Kind::Dummy, None)
        );
        assert_eq!(add("dev d1 type dummy").unwrap().name.as_deref(), Some("d1"));
        let vx = add("vx0 type vxlan id 42 remote 10.0.0.2 local 10.0.0.1 dev eth0 dstport 4789 nolearning")
            .unwrap();
        assert_eq!(
            (vx.name.as_deref(), vx.dev.as_deref()),
            (Some("vx0"), Some("eth0"))
        );
        let vx = add("dev vx1 type vxlan id 7 dev eth0 ttl inherit").unwrap();
        assert_eq!(
            (vx.name.as_deref(), vx.dev.as_deref()),
            (Some("vx1"), Some("eth0"))
        );
        let ipvlan = add("link eth0 name iv0 type ipvlan mode l3 private").unwrap();
        assert_eq!(
            ipvlan.data,
            Some(InfoData::IpVlan(vec![
                InfoIpVlan::Mode(IpVlanMode::L3),
                InfoIpVlan::Flags(IpVlanFlags::Private)
            ]))
        );
        let bond = add("bond0 type bond mode 1 miimon 100 primary eth0").unwrap();
        assert_eq!(
            bond.data,
            Some(InfoData::Bond(vec![
                InfoBond::Mode(BondMode::ActiveBackup),
                InfoBond::MiiMon(100)
            ]))
        );
        assert_eq!(bond.primary.as_deref(), Some("eth0"));
        let gre = add("gre1 type gre remote 10.0.0.2 local 10.0.0.1 ttl 64 key 0.0.0.42").unwrap();
        let Some(InfoData::GreTun(info)) = gre.data else {
            panic!("gre")
        };
        assert!(info.contains(&InfoGre::IKey(42)) && info.contains(&InfoGre::Ttl(64)));
        assert!(add("mv0 link eth0 type macvlan mode bridge").is_ok());
        assert!(add("s0 type sit remote 10.0.0.2").is_ok());
        let common = add("link eth0 name mv1 netns Blue mtu 1400 address 02:00:00:00:00:0A up type macvlan")
            .unwrap()
            .common;
        let want = Common {
            mtu: Some(1400),
            address: Some("02:00:00:00:00:0a".into()),
            up: true,
            netns: Some("Blue".into()),
        };
        assert_eq!(common, want);
    }

    #[test]
    fn reads_veth_and_bridge_forms() {
        let veth = add("v1 netns Blue type veth peer name v2 netns Red mtu 1400").unwrap();
        let peer = veth.peer.expect("a peer");
        assert_eq!(
            (veth.name.as_deref(), veth.common.netns.as_deref()),
            (Some("v1"), Some("Blue"))
        );
        assert_eq!(
            (peer.name.as_deref(), peer.netns.as_deref(), peer.mtu),
            (Some("v2"), Some("Red"), Some(1400))
        );
        // No names: the kernel's (picked when the request is made); a peer all the same.
        let bare = add("type veth").unwrap();
        assert_eq!((bare.name, bare.peer.map(|p| p.name)), (None, Some(None)));
        assert_eq!(
            add("v1 type veth peer v2").unwrap().peer.unwrap().name.as_deref(),
            Some("v2")
        );
        let br = add("br0 type bridge stp_state 1 forward_delay 0 priority 100").unwrap();
        assert_eq!(
            br.bridge,
            [
                BridgeOption::StpState(1),
                BridgeOption::ForwardDelay(0),
                BridgeOption::Priority(100)
            ]
        );
        assert!(matches!(br.data, Some(InfoData::Bridge(_))));
        assert_eq!(add("br1 type bridge").unwrap().data, None);
    }

    #[test]
    fn reads_vrf_ifb_and_geneve_forms() {
        assert_eq!(
            add("red type vrf table 10").unwrap().data,
            Some(InfoData::Vrf(vec![InfoVrf::TableId(10)]))
        );
        assert_eq!(
            add("blue type vrf table main").unwrap().data,
            Some(InfoData::Vrf(vec![InfoVrf::TableId(254)]))
        );
        let ifb = add("ifb0 type ifb").unwrap();
        assert_eq!((ifb.kind, ifb.data), (Kind::Ifb, None));
        let geneve = add("gn0 type geneve id 42 remote 10.0.0.2 ttl 64 tos 10 dstport 6081").unwrap();
        assert_eq!(
            geneve.data,
            Some(InfoData::Geneve(vec![
                InfoGeneve::Id(42),
                InfoGeneve::Remote(Ipv4Addr::new(10, 0, 0, 2)),
                InfoGeneve::Label(0),
                InfoGeneve::Ttl(64),
                InfoGeneve::Tos(0x10),
                InfoGeneve::Port(6081),
            ]))
        );
        let Some(InfoData::Geneve(info)) = add("gn1 type geneve id 1 remote fd00::2 tos inherit")
            .unwrap()
            .data
        else {
            panic!("geneve")
        };
        assert!(info.contains(&InfoGeneve::Remote6("fd00::2".parse().unwrap())));
        assert!(info.contains(&InfoGeneve::Tos(1)) && info.contains(&InfoGeneve::Ttl(0)));
        for (line, needle) in [
            ("red type vrf", "table TABLE is required"),
            ("red type vrf table 0", "invalid table"),
            ("red type vrf table x", "invalid table"),
            ("red type vrf id 3", "id is not an option"),
            ("d0 type dummy table 10", "table is not an option"),
            ("i0 type ifb mode l2", "mode is not an option"),
            ("g0 type geneve remote 10.0.0.2", "id VNI is required"),
            ("g0 type geneve id 5", "remote IP is required"),
            ("g0 type geneve id 16777216 remote 10.0.0.2", "outside 0-16777215"),
            ("g0 type geneve id 5 remote 239.1.1.1", "not a unicast"),
            ("g0 type geneve id 5 remote 10.0.0.2 tos 100", "invalid tos"),
            (
                "g0 type geneve id 5 remote 10.0.0.2 local 10.0.0.1",
                "local is not an option",
            ),
            ("x0 type vxlan id 5 tos 10", "tos is not an option"),
        ] {
            let e = add(line).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{line}: {}", e.message);
            assert!(e.message.contains(needle), "{line}: {}", e.message);
        }
    }

    #[test]
    fn reads_ip6_tunnel_forms() {
        let t = add(
            "t6 type ip6tnl mode ipip6 remote fd00::2 local fd00::1 hoplimit 32 encaplimit none dev eth0",
        )
        .unwrap();
        assert_eq!(t.dev.as_deref(), Some("eth0"));
        let Some(InfoData::IpTunnel(info)) = t.data else {
            panic!("ip6tnl")
        };
        assert!(info.contains(&InfoIpTunnel::Protocol(IpProtocol::Ipip)));
        assert!(info.contains(&InfoIpTunnel::Remote("fd00::2".parse().unwrap())));
        assert!(info.contains(&InfoIpTunnel::Ttl(32)));
        assert!(info.contains(&InfoIpTunnel::Ipv6Flags(Ip6TunnelFlags::IgnEncapLimit)));
        let g = add("g6 type ip6gre remote fd00::2 local fd00::1 key 7 encaplimit 2").unwrap();
        let Some(InfoData::GreTun6(info)) = g.data else {
            panic!("ip6gre")
        };
        assert!(info.contains(&InfoGre6::IKey(7)) && info.contains(&InfoGre6::EncapLimit(2)));
        assert!(info.contains(&InfoGre6::Ttl(64)), "ip's default hoplimit");
        assert!(matches!(
            add("g7 type ip6gretap remote fd00::2").unwrap().data,
            Some(InfoData::GreTap6(_))
        ));
        for (line, needle) in [
            ("t6 type ip6tnl remote 10.0.0.2", "is not IPv6"),
            ("t6 type ip6tnl mode gre", "invalid mode 'gre'"),
            ("t6 type ip6tnl encaplimit 300", "invalid encaplimit"),
            ("t6 type ip6tnl key 5", "key is not an option"),
            ("g6 type ip6gre mode any", "mode is not an option"),
            ("g6 type gre encaplimit 2", "encaplimit is not an option"),
        ] {
            let e = add(line).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{line}: {}", e.message);
            assert!(e.message.contains(needle), "{line}: {}", e.message);
        }
    }

    #[test]
    fn refuses_bad_link_add_words() {
        for (line, code, needle) in [
            ("v type vlan id 10", 7, "link PARENT is required"),
            ("link eth0 name v type vlan", 7, "id ID is required"),
            ("link eth0 name v type vlan id 4095", 7, "outside 0-4094"),
            (
                "link eth0 name v type vlan id 10 protocol 802.1x",
                7,
                "invalid vlan protocol",
            ),
            (
                "link eth0 name m type macvlan mode wide",
                7,
                "invalid mode 'wide'",
            ),
            (
                "link eth0 name i type ipvlan mode l4",
                7,
                "invalid mode word 'l4'",
            ),
            ("b type bond mode 7", 7, "invalid mode '7'"),
            ("b type bond id 3", 7, "id is not an option"),
            ("d type dummy miimon 5", 7, "miimon is not an option"),
            ("x type vxlan remote 10.0.0.2", 7, "id VNI is required"),
            ("x type vxlan id 16777216", 7, "outside 0-16777215"),
            ("x type vxlan id 1 remote 239.1.1.1", 7, "is multicast"),
            ("x type vxlan id 1 group 10.0.0.1", 7, "is not multicast"),
            ("g type gre remote fe80::1", 7, "is not IPv4"),
            ("g type ipip key 5", 7, "key is not an option"),
            ("g type gre ttl 300", 7, "invalid ttl"),
            ("g type nonsense", 7, "unknown type 'nonsense'"),
            ("br0 type bridge id 3", 7, "id is not an option"),
            ("br0 type bridge stp_state 3", 7, "invalid stp_state"),
            ("br0 type bridge forward_delay x", 7, "invalid time"),
            ("v0 type veth stp_state 1", 7, "a bridge option is not an option"),
            ("d0 type dummy peer name x", 7, "peer is not an option"),
            ("v0 type veth peer name x y", 7, "peer"),
            ("a/b type dummy", 7, "invalid interface name"),
            ("d0", 2, "required"),
            ("d0 type dummy dev d1", 7, "dev given twice"),
            ("d0 type dummy address 01:00:5e:00:00:01", 7, "multicast"),
            ("d0 type dummy netns ../x", 7, "invalid namespace name"),
        ] {
            let e = add(line).unwrap_err();
            assert_eq!(e.exit_code(), code, "{line}: {}", e.message);
            assert!(e.message.contains(needle), "{line}: {}", e.message);
        }
    }
}
