//! The details of the link kinds `vnet-ns link add` makes (vlan, macvlan, macvtap, ipvlan, dummy,
//! bond, vxlan, gre, gretap, ipip, sit, wireguard, vrf, ifb, geneve, ip6gre, ip6gretap, ip6tnl),
//! as `ip -d -j link show`
//! names them: `linkinfo.info_kind` and `linkinfo.info_data` (id, protocol, mode, miimon,
//! primary, remote, local, ttl, ikey, port, table...), and a bond's or a vrf's slave's
//! `info_slave_kind` and `info_slave_data`.
//!
//! Only these kinds are decoded, from their IFLA_LINKINFO attribute alone, by netlink-packet-route's
//! typed parser: the listings' raw reader ([`super::link`]) stays as cheap as it was for every other
//! link (a bridge's info_data is large and `vnet-bridge show` prints its own view of it).

use netlink_packet_route::link::{
    BondMode, InfoBond, InfoBondPort, InfoData, InfoGeneve, InfoGre, InfoGre6, InfoIpTunnel, InfoIpVlan,
    InfoMacVlan, InfoMacVtap, InfoPortData, InfoPortKind, InfoVlan, InfoVrf, InfoVxlan, Ip6TunnelFlags,
    IpVlanMode, LinkAttribute, LinkInfo, MacVlanMode, VlanProtocol,
};
use netlink_packet_route::AddressFamily;
use rtnetlink::packet_core::{NlaBuffer, ParseableParametrized};
use std::net::{IpAddr, Ipv4Addr};

/// The kinds whose details are reported (the kinds `link add` makes, besides veth and bridge).
pub const DETAILED_KINDS: &[&str] = &[
    "vlan",
    "macvlan",
    "macvtap",
    "ipvlan",
    "dummy",
    "bond",
    "vxlan",
    "gre",
    "gretap",
    "ipip",
    "sit",
    "wireguard",
    "vrf",
    "ifb",
    "geneve",
    "ip6gre",
    "ip6gretap",
    "ip6tnl",
];

/// The master kinds whose slaves carry details of their own (info_slave_kind, info_slave_data).
const SLAVE_KINDS: &[&str] = &["bond", "vrf"];

/// `linkinfo` of `ip -d -j link show`, for the kinds of [`DETAILED_KINDS`].
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct LinkDetails {
    /// The kind: "vlan", "macvlan", "bond", "vxlan", "gre"...
    pub info_kind: String,
    /// The kind's settings, with ip's names (absent for kinds that have none: dummy, wireguard).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_data: Option<KindData>,
    /// "bond" on a bond's slave, "vrf" on a vrf's (whatever its own kind).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_slave_kind: Option<String>,
    /// A bond slave's state in its bond, a vrf slave's table, as ip -d -j names them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_slave_data: Option<SlaveData>,
}

/// A bond's or a vrf's slave's `info_slave_data` (ip -d -j's names and spellings).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct SlaveData {
    /// "ACTIVE" or "BACKUP".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// "UP", "GOING_DOWN", "DOWN" or "GOING_BACK".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mii_status: Option<String>,
    /// How often the slave's link failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_failure_count: Option<u32>,
    /// vrf slave: its vrf's routing table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<u32>,
}

/// A kind's settings as `ip -d -j` names them; only the ones the kind has are present.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct KindData {
    /// vlan: "802.1Q" or "802.1ad".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// vlan: the VLAN id; vxlan, geneve: the VNI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// macvlan/macvtap: private, vepa, bridge, passthru, source; ipvlan: l2, l3, l3s; bond: its
    /// mode's name (active-backup, 802.3ad...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// bond: the MII link monitoring interval, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub miimon: Option<u32>,
    /// bond: the primary slave's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    /// bond: the active slave's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_slave: Option<String>,
    /// vxlan/tunnels: the remote end (vxlan: also a multicast group is reported as group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// geneve: an IPv6 remote end (ip -d -j's name for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote6: Option<String>,
    /// vxlan: the multicast group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// vxlan/tunnels: the local address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local: Option<String>,
    /// vxlan/tunnels: the underlying device's name (dev).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// vxlan, geneve: the UDP destination port (dstport).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// vxlan/tunnels/geneve: the TTL (0: inherit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u8>,
    /// geneve: the TOS, in hex as ip prints it ("0x10"; "0x1" is inherit); absent when 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tos: Option<String>,
    /// vrf: its routing table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<u32>,
    /// ip6gre, ip6gretap, ip6tnl: the encapsulation limit (absent with `encaplimit none`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encap_limit: Option<u8>,
    /// ip6gre, ip6gretap, ip6tnl: true with `encaplimit none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip6_tnl_f_ign_encap_limit: Option<bool>,
    /// ip6tnl: its mode, "ip6ip6", "ipip6" or "any".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proto: Option<String>,
    /// geneve: true for a metadata-collecting geneve (ip's `external`; then nothing else is shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<bool>,
    /// vxlan: whether it learns remote MACs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning: Option<bool>,
    /// gre/gretap: the input key, dotted as ip prints it ("0.0.0.42").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ikey: Option<String>,
    /// gre/gretap: the output key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okey: Option<String>,
    /// Indexes named once every link is known: primary, active_slave, link.
    #[serde(skip)]
    #[schemars(skip)]
    pub pending: Pending,
}

/// Link indexes a [`KindData`] names (filled in by [`LinkDetails::name_links`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pending {
    pub primary: Option<u32>,
    pub active_slave: Option<u32>,
    pub link: Option<u32>,
}

impl LinkDetails {
    /// The details of a link of a detailed kind, or of a bond's or vrf's slave, from
    /// its whole IFLA_LINKINFO attribute (header included); None for other links or an attribute
    /// that does not parse.
    pub fn from_attribute(kind: &str, slave_kind: Option<&str>, attribute: &[u8]) -> Option<LinkDetails> {
        let detailed = DETAILED_KINDS.contains(&kind);
        if !detailed && !slave_kind.is_some_and(|k| SLAVE_KINDS.contains(&k)) {
            return None;
        }
        let buffer = NlaBuffer::new_checked(attribute).ok()?;
        let LinkAttribute::LinkInfo(infos) =
            LinkAttribute::parse_with_param(&buffer, AddressFamily::Unspec).ok()?
        else {
            return None;
        };
        let mut details = LinkDetails {
            info_kind: kind.to_string(),
            ..LinkDetails::default()
        };
        for info in &infos {
            match info {
                LinkInfo::Data(data) if detailed => details.info_data = kind_data(kind, data),
                LinkInfo::PortKind(InfoPortKind::Bond) => details.info_slave_kind = Some("bond".into()),
                LinkInfo::PortKind(InfoPortKind::Vrf) => details.info_slave_kind = Some("vrf".into()),
                LinkInfo::PortData(InfoPortData::BondPort(port)) => {
                    details.info_slave_data = Some(bond_slave(port))
                }
                LinkInfo::PortData(InfoPortData::VrfPort(port)) => {
                    details.info_slave_data = Some(vrf_slave(port))
                }
                _ => {}
            }
        }
        Some(details)
    }

    /// Names the links the details point to by index (`name`: a link's name from its index).
    pub fn name_links(&mut self, mut name: impl FnMut(u32) -> Option<String>) {
        if let Some(data) = self.info_data.as_mut() {
            data.primary = data.pending.primary.and_then(&mut name);
            data.active_slave = data.pending.active_slave.and_then(&mut name);
            data.link = data.pending.link.and_then(&mut name);
        }
    }
}

/// The settings of one kind's InfoData; None for kinds reported without data.
fn kind_data(kind: &str, data: &InfoData) -> Option<KindData> {
    match data {
        InfoData::Vlan(attrs) => Some(vlan(attrs)),
        InfoData::MacVlan(attrs) => Some(macvlan(attrs)),
        InfoData::MacVtap(attrs) => Some(macvtap(attrs)),
        InfoData::IpVlan(attrs) => Some(ipvlan(attrs)),
        InfoData::Bond(attrs) => Some(bond(attrs)),
        InfoData::Vxlan(attrs) => Some(vxlan(attrs)),
        InfoData::GreTun(attrs) | InfoData::GreTap(attrs) => Some(gre(attrs)),
        // ipip and sit share ip6tnl's attributes; ip shows the IPv6 ones for ip6tnl only.
        InfoData::IpTunnel(attrs) if kind == "ip6tnl" => Some(ip6tnl(attrs)),
        InfoData::IpTunnel(attrs) => Some(ip_tunnel(attrs)),
        InfoData::GreTun6(attrs) | InfoData::GreTap6(attrs) => Some(gre6(attrs)),
        InfoData::Vrf(attrs) => Some(KindData {
            table: vrf_table(attrs),
            ..KindData::default()
        }),
        InfoData::Geneve(attrs) => Some(geneve(attrs)),
        _ => None,
    }
}

fn bond_slave(attrs: &[InfoBondPort]) -> SlaveData {
    let mut slave = SlaveData::default();
    for attr in attrs {
        match attr {
            InfoBondPort::BondPortState(state) => slave.state = Some(state.to_string().to_uppercase()),
            InfoBondPort::MiiStatus(status) => slave.mii_status = Some(status.to_string().to_uppercase()),
            InfoBondPort::LinkFailureCount(n) => slave.link_failure_count = Some(*n),
            _ => {}
        }
    }
    slave
}

fn vrf_slave(attrs: &[InfoVrf]) -> SlaveData {
    SlaveData {
        table: vrf_table(attrs),
        ..SlaveData::default()
    }
}

/// A vrf's table (the vrf's own IFLA_VRF_TABLE and its slave's IFLA_VRF_PORT_TABLE share the
/// number 1, and the crate one type).
fn vrf_table(attrs: &[InfoVrf]) -> Option<u32> {
    attrs.iter().find_map(|a| match a {
        InfoVrf::TableId(table) => Some(*table),
        _ => None,
    })
}

/// A geneve's settings as ip -d -j prints them: the ttl always (0: inherit), the tos only when
/// set, an IPv6 remote as remote6.
fn geneve(attrs: &[InfoGeneve]) -> KindData {
    if attrs.contains(&InfoGeneve::CollectMetadata) {
        return KindData {
            external: Some(true),
            ..KindData::default()
        };
    }
    let mut data = KindData {
        ttl: Some(0),
        ..KindData::default()
    };
    for attr in attrs {
        match attr {
            InfoGeneve::Id(id) => data.id = Some(*id),
            InfoGeneve::Remote(ip) if !ip.is_unspecified() => data.remote = Some(ip.to_string()),
            InfoGeneve::Remote6(ip) if !ip.is_unspecified() && !ip.is_multicast() => {
                data.remote6 = Some(ip.to_string())
            }
            InfoGeneve::Ttl(ttl) => data.ttl = Some(*ttl),
            InfoGeneve::Tos(tos) if *tos != 0 => data.tos = Some(format!("{tos:#x}")),
            InfoGeneve::Port(port) => data.port = Some(*port),
            _ => {}
        }
    }
    data
}

fn vlan(attrs: &[InfoVlan]) -> KindData {
    let mut data = KindData::default();
    for attr in attrs {
        match attr {
            InfoVlan::Id(id) => data.id = Some(u32::from(*id)),
            InfoVlan::Protocol(p) => data.protocol = Some(vlan_protocol_name(*p).to_string()),
            _ => {}
        }
    }
    data
}

/// ip's name of a VLAN protocol.
pub fn vlan_protocol_name(protocol: VlanProtocol) -> &'static str {
    match protocol {
        VlanProtocol::Ieee8021Ad => "802.1ad",
        _ => "802.1Q",
    }
}

/// ip's name of a macvlan/macvtap mode (the kernel's enum is shared by both).
pub fn macvlan_mode_name(mode: MacVlanMode) -> String {
    match mode {
        MacVlanMode::Private => "private".into(),
        MacVlanMode::Vepa => "vepa".into(),
        MacVlanMode::Bridge => "bridge".into(),
        MacVlanMode::Passthrough => "passthru".into(),
        MacVlanMode::Source => "source".into(),
        other => u32::from(other).to_string(),
    }
}

fn macvlan(attrs: &[InfoMacVlan]) -> KindData {
    let mode = attrs.iter().find_map(|a| match a {
        InfoMacVlan::Mode(mode) => Some(macvlan_mode_name(*mode)),
        _ => None,
    });
    KindData {
        mode,
        ..KindData::default()
    }
}

fn macvtap(attrs: &[InfoMacVtap]) -> KindData {
    let mode = attrs.iter().find_map(|a| match a {
        InfoMacVtap::Mode(mode) => Some(macvlan_mode_name(*mode)),
        _ => None,
    });
    KindData {
        mode,
        ..KindData::default()
    }
}

fn ipvlan(attrs: &[InfoIpVlan]) -> KindData {
    let mode = attrs.iter().find_map(|a| match a {
        InfoIpVlan::Mode(IpVlanMode::L2) => Some("l2".to_string()),
        InfoIpVlan::Mode(IpVlanMode::L3) => Some("l3".to_string()),
        InfoIpVlan::Mode(IpVlanMode::L3S) => Some("l3s".to_string()),
        _ => None,
    });
    KindData {
        mode,
        ..KindData::default()
    }
}

fn bond(attrs: &[InfoBond]) -> KindData {
    let mut data = KindData::default();
    for attr in attrs {
        match attr {
            InfoBond::Mode(mode) => data.mode = Some(bond_mode_name(*mode)),
            InfoBond::MiiMon(ms) => data.miimon = Some(*ms),
            InfoBond::Primary(index) => data.pending.primary = Some(*index),
            InfoBond::ActivePort(index) => data.pending.active_slave = Some(*index),
            _ => {}
        }
    }
    data
}

/// The kernel's (and ip's) name of a bond mode.
pub fn bond_mode_name(mode: BondMode) -> String {
    mode.to_string()
}

fn vxlan(attrs: &[InfoVxlan]) -> KindData {
    let mut data = KindData::default();
    for attr in attrs {
        match attr {
            InfoVxlan::Id(id) => data.id = Some(*id),
            InfoVxlan::Group(ip) => {
                let ip = IpAddr::V4(*ip);
                if ip.is_multicast() {
                    data.group = Some(ip.to_string());
                } else {
                    data.remote = Some(ip.to_string());
                }
            }
            InfoVxlan::Group6(ip) => {
                if ip.is_multicast() {
                    data.group = Some(ip.to_string());
                } else {
                    data.remote = Some(ip.to_string());
                }
            }
            InfoVxlan::Local(ip) => data.local = Some(ip.to_string()),
            InfoVxlan::Local6(ip) => data.local = Some(ip.to_string()),
            InfoVxlan::Link(index) => data.pending.link = Some(*index),
            InfoVxlan::Port(port) => data.port = Some(*port),
            InfoVxlan::Ttl(ttl) => data.ttl = Some(*ttl),
            InfoVxlan::Learning(on) => data.learning = Some(*on),
            _ => {}
        }
    }
    data
}

fn gre(attrs: &[InfoGre]) -> KindData {
    let mut data = KindData::default();
    for attr in attrs {
        match attr {
            InfoGre::Remote(ip) if !ip.is_unspecified() => data.remote = Some(ip.to_string()),
            InfoGre::Local(ip) if !ip.is_unspecified() => data.local = Some(ip.to_string()),
            InfoGre::Ttl(ttl) => data.ttl = Some(*ttl),
            InfoGre::Link(index) if *index != 0 => data.pending.link = Some(*index),
            InfoGre::IKey(key) if *key != 0 => data.ikey = Some(Ipv4Addr::from(*key).to_string()),
            InfoGre::OKey(key) if *key != 0 => data.okey = Some(Ipv4Addr::from(*key).to_string()),
            _ => {}
        }
    }
    data
}

/// IFLA_GRE_FLAGS, which netlink-packet-route 0.34 leaves to its generic DefaultNla (no InfoGre6
/// variant): the IPv6 tunnel flags of an ip6gre.
const IFLA_GRE_FLAGS: u16 = 13;

/// The encaplimit as ip -d -j shows it: the limit, or ip6_tnl_f_ign_encap_limit with none.
fn encap_limit(data: &mut KindData, limit: Option<u8>, flags: Ip6TunnelFlags) {
    if flags.contains(Ip6TunnelFlags::IgnEncapLimit) {
        data.ip6_tnl_f_ign_encap_limit = Some(true);
    } else {
        data.encap_limit = limit;
    }
}

fn gre6(attrs: &[InfoGre6]) -> KindData {
    use rtnetlink::packet_core::Nla;
    let mut data = KindData::default();
    let (mut limit, mut flags) = (None, Ip6TunnelFlags::empty());
    for attr in attrs {
        match attr {
            InfoGre6::Remote(ip) if !ip.is_unspecified() => data.remote = Some(ip.to_string()),
            InfoGre6::Local(ip) if !ip.is_unspecified() => data.local = Some(ip.to_string()),
            InfoGre6::Ttl(ttl) => data.ttl = Some(*ttl),
            InfoGre6::Link(index) if *index != 0 => data.pending.link = Some(*index),
            InfoGre6::IKey(key) if *key != 0 => data.ikey = Some(Ipv4Addr::from(*key).to_string()),
            InfoGre6::OKey(key) if *key != 0 => data.okey = Some(Ipv4Addr::from(*key).to_string()),
            InfoGre6::EncapLimit(n) => limit = Some(*n),
            InfoGre6::Other(nla) if nla.kind() == IFLA_GRE_FLAGS && nla.value_len() == 4 => {
                let mut value = [0; 4];
                nla.emit_value(&mut value);
                flags = Ip6TunnelFlags::from_bits_retain(u32::from_ne_bytes(value));
            }
            _ => {}
        }
    }
    encap_limit(&mut data, limit, flags);
    data
}

fn ip6tnl(attrs: &[InfoIpTunnel]) -> KindData {
    let mut data = ip_tunnel(attrs);
    let (mut limit, mut flags) = (None, Ip6TunnelFlags::empty());
    for attr in attrs {
        match attr {
            InfoIpTunnel::Protocol(proto) => {
                data.proto = match u8::from(*proto) {
                    4 => Some("ipip6".into()),
                    41 => Some("ip6ip6".into()),
                    0 => Some("any".into()),
                    _ => None,
                }
            }
            InfoIpTunnel::EncapLimit(n) => limit = Some(*n),
            InfoIpTunnel::Ipv6Flags(f) => flags = *f,
            _ => {}
        }
    }
    encap_limit(&mut data, limit, flags);
    data
}

fn ip_tunnel(attrs: &[InfoIpTunnel]) -> KindData {
    let mut data = KindData::default();
    for attr in attrs {
        match attr {
            InfoIpTunnel::Remote(ip) if !ip.is_unspecified() => data.remote = Some(ip.to_string()),
            InfoIpTunnel::Local(ip) if !ip.is_unspecified() => data.local = Some(ip.to_string()),
            InfoIpTunnel::Ttl(ttl) => data.ttl = Some(*ttl),
            InfoIpTunnel::Link(index) if *index != 0 => data.pending.link = Some(*index),
            _ => {}
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::link::InfoKind;
    use rtnetlink::packet_core::Emitable;

    fn round_trip(kind: &str, infos: Vec<LinkInfo>) -> Option<LinkDetails> {
        let attribute = LinkAttribute::LinkInfo(infos);
        let mut bytes = vec![0; attribute.buffer_len()];
        attribute.emit(&mut bytes);
        LinkDetails::from_attribute(kind, None, &bytes)
    }

    #[test]
    fn a_vlan_and_a_bond_read_as_ip_names_them() {
        let vlan = round_trip(
            "vlan",
            vec![
                LinkInfo::Kind(InfoKind::Vlan),
                LinkInfo::Data(InfoData::Vlan(vec![
                    InfoVlan::Id(10),
                    InfoVlan::Protocol(VlanProtocol::Ieee8021Ad),
                ])),
            ],
        )
        .unwrap();
        let json = serde_json::to_value(&vlan).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"info_kind": "vlan", "info_data": {"id": 10, "protocol": "802.1ad"}})
        );
        let mut bond = round_trip(
            "bond",
            vec![
                LinkInfo::Kind(InfoKind::Bond),
                LinkInfo::Data(InfoData::Bond(vec![
                    InfoBond::Mode(BondMode::ActiveBackup),
                    InfoBond::MiiMon(100),
                    InfoBond::Primary(4),
                ])),
            ],
        )
        .unwrap();
        bond.name_links(|i| (i == 4).then(|| "eth0".to_string()));
        assert_eq!(
            serde_json::to_value(&bond).unwrap(),
            serde_json::json!({"info_kind": "bond", "info_data":
                {"mode": "active-backup", "miimon": 100, "primary": "eth0"}})
        );
        assert_eq!(round_trip("veth", vec![LinkInfo::Kind(InfoKind::Veth)]), None);
        let slave = LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::PortKind(InfoPortKind::Bond),
            LinkInfo::PortData(InfoPortData::BondPort(vec![
                InfoBondPort::BondPortState(netlink_packet_route::link::BondPortState::Backup),
                InfoBondPort::MiiStatus(netlink_packet_route::link::MiiStatus::Up),
            ])),
        ]);
        let mut bytes = vec![0; slave.buffer_len()];
        slave.emit(&mut bytes);
        let slave = LinkDetails::from_attribute("veth", Some("bond"), &bytes).unwrap();
        assert_eq!(
            serde_json::to_value(&slave).unwrap(),
            serde_json::json!({"info_kind": "veth", "info_slave_kind": "bond",
                "info_slave_data": {"state": "BACKUP", "mii_status": "UP"}})
        );
        let dummy = round_trip("dummy", vec![LinkInfo::Kind(InfoKind::Dummy)]).unwrap();
        assert_eq!(
            serde_json::to_value(&dummy).unwrap(),
            serde_json::json!({"info_kind": "dummy"})
        );
    }

    #[test]
    fn a_vrf_its_slave_and_a_geneve_read_as_ip_names_them() {
        let vrf = round_trip(
            "vrf",
            vec![
                LinkInfo::Kind(InfoKind::Vrf),
                LinkInfo::Data(InfoData::Vrf(vec![InfoVrf::TableId(10)])),
            ],
        );
        assert_eq!(
            serde_json::to_value(vrf).unwrap(),
            serde_json::json!({"info_kind": "vrf", "info_data": {"table": 10}})
        );
        let geneve = round_trip(
            "geneve",
            vec![
                LinkInfo::Kind(InfoKind::Geneve),
                LinkInfo::Data(InfoData::Geneve(vec![
                    InfoGeneve::Id(42),
                    InfoGeneve::Remote(Ipv4Addr::new(10, 0, 0, 2)),
                    InfoGeneve::Ttl(0),
                    InfoGeneve::Tos(0x10),
                    InfoGeneve::Port(6081),
                ])),
            ],
        );
        assert_eq!(
            serde_json::to_value(geneve).unwrap(),
            serde_json::json!({"info_kind": "geneve", "info_data":
                {"id": 42, "remote": "10.0.0.2", "ttl": 0, "tos": "0x10", "port": 6081}})
        );
        let vrf_slave = LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::PortKind(InfoPortKind::Vrf),
            LinkInfo::PortData(InfoPortData::VrfPort(vec![InfoVrf::TableId(10)])),
        ]);
        let mut bytes = vec![0; vrf_slave.buffer_len()];
        vrf_slave.emit(&mut bytes);
        assert_eq!(
            serde_json::to_value(LinkDetails::from_attribute("veth", Some("vrf"), &bytes)).unwrap(),
            serde_json::json!({"info_kind": "veth", "info_slave_kind": "vrf",
                "info_slave_data": {"table": 10}})
        );
    }
}
