//! Bridge and bridge-port options as `ip link set X type bridge ...`, `ip link set X type
//! bridge_slave ...` and `bridge link set dev X ...` set them (learning, flood, mcast_flood,
//! hairpin, isolated, neigh_suppress, cost, priority, state, mcast_router on a port;
//! mcast_snooping, mcast_querier, mcast_router, group_fwd_mask, vlan_protocol on a bridge).
//!
//! Shared by vnet-ns (ip's spelling) and vnet-bridge (bridge(8)'s). Each value is checked when
//! parsed (exit 7, as the kernel would refuse it); before the first change every option is read
//! back from the link dump, and an option this kernel does not report is exit 6 (it would accept
//! the attribute and ignore it: VLAN protocol without CONFIG_BRIDGE_VLAN_FILTERING). Each change
//! is one request, journaled with the old value.

use crate::error::quote;
use crate::keywords::HEADING;
use crate::links::link_name;
use crate::{Context, Error, ErrorKind, Journal, Result};
use netlink_packet_route::link::{
    BridgeMulticastRouterType, BridgePortState, InfoBridge, InfoBridgePort, InfoData, InfoKind, InfoPortData,
    LinkAttribute, LinkInfo, LinkMessage, VlanProtocol,
};
use rtnetlink::{Handle, LinkBridge, LinkBridgePort, LinkMessageBuilder};
use schemars::JsonSchema;
use serde::Serialize;

/// on|off as ip and bridge(8) take them (exit 7 otherwise).
pub fn on_off(text: &str) -> Result<bool> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(Error::invalid(format!(
            "invalid value {}: expected on or off",
            quote(text)
        ))),
    }
}

/// A number as ip reads one (decimal, 0x hex), within `min..=max`; exit 7 naming `what` otherwise.
fn number(what: &str, text: &str, min: u32, max: u32) -> Result<u32> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse(),
    };
    match parsed {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        Ok(_) => Err(Error::invalid(format!(
            "{what} {} is out of range: the kernel accepts {min}..{max}",
            quote(text)
        ))),
        Err(_) => Err(Error::invalid(format!(
            "invalid {what} {}: expected a number {min}..{max}",
            quote(text)
        ))),
    }
}

/// A port's path cost, 1..65535 (the kernel's BR_MIN_PATH_COST..BR_MAX_PATH_COST).
pub fn port_cost(text: &str) -> Result<u32> {
    number("cost", text, 1, 65535)
}

/// A port's priority, 0..63 (the kernel's BR_MAX_PORT_PRIORITY).
pub fn port_priority(text: &str) -> Result<u16> {
    Ok(number("priority", text, 0, 63)? as u16)
}

/// The STP states by number, as bridge(8) names them.
const STATES: [&str; 5] = ["disabled", "listening", "learning", "forwarding", "blocking"];

/// A port's STP state: 0..4 or its name (disabled, listening, learning, forwarding, blocking).
pub fn port_state(text: &str) -> Result<u8> {
    if let Some(at) = STATES.iter().position(|s| *s == text) {
        return Ok(at as u8);
    }
    number("state", text, 0, 4).map(|n| n as u8).map_err(|_| {
        Error::invalid(format!(
            "invalid state {}: expected 0..4 or disabled, listening, learning, forwarding, blocking",
            quote(text)
        ))
    })
}

/// A port's multicast router mode: 0 disabled, 1 automatic (learned from queries), 2 permanent,
/// 3 temporary.
pub fn port_mcast_router(text: &str) -> Result<u8> {
    Ok(number("mcast_router", text, 0, 3)? as u8)
}

/// A bridge's own multicast router mode: 0 disabled, 1 automatic, 2 permanent.
pub fn bridge_mcast_router(text: &str) -> Result<u8> {
    Ok(number("mcast_router", text, 0, 2)? as u8)
}

/// A 0|1 switch as ip link's `type bridge` options take it (mcast_querier 1, mcast_snooping 0).
pub fn zero_one(text: &str) -> Result<bool> {
    Ok(number("value", text, 0, 1)? == 1)
}

/// The group forwarding mask: 16 bits, one per link-local group 01:80:c2:00:00:0X; bits 0, 1
/// and 2 (STP, MAC pause, LACP) stay restricted, as the kernel refuses them (EINVAL).
pub fn group_fwd_mask(text: &str) -> Result<u16> {
    let mask = number("group_fwd_mask", text, 0, 0xffff)? as u16;
    if mask & 0x7 != 0 {
        return Err(Error::invalid(format!(
            "group_fwd_mask {}: bits 0..2 (STP, pause frames, LACP) may not be forwarded",
            quote(text)
        )));
    }
    Ok(mask)
}

/// 802.1Q or 802.1ad (as ip reads them, any case), as the ethertype.
pub fn vlan_protocol(text: &str) -> Result<u16> {
    match text.to_ascii_lowercase().as_str() {
        "802.1q" => Ok(0x8100),
        "802.1ad" => Ok(0x88a8),
        _ => Err(Error::invalid(format!(
            "invalid vlan_protocol {}: expected 802.1Q or 802.1ad",
            quote(text)
        ))),
    }
}

fn protocol_name(ethertype: u16) -> String {
    match ethertype {
        0x8100 => "802.1Q".into(),
        0x88a8 => "802.1ad".into(),
        other => format!("{other:#06x}"),
    }
}

/// One IFLA_BRPORT_* setting of a bridge port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortOption {
    Learning(bool),
    Flood(bool),
    McastFlood(bool),
    Hairpin(bool),
    Isolated(bool),
    NeighSuppress(bool),
    Guard(bool),
    RootBlock(bool),
    Fastleave(bool),
    BcastFlood(bool),
    McastToUnicast(bool),
    ProxyArp(bool),
    ProxyArpWifi(bool),
    VlanTunnel(bool),
    Locked(bool),
    Cost(u32),
    Priority(u16),
    State(u8),
    McastRouter(u8),
}

fn on(value: bool) -> &'static str {
    if value {
        "on"
    } else {
        "off"
    }
}

impl PortOption {
    /// The option as ip and bridge(8) write it: "learning off", "cost 10".
    pub fn words(&self) -> String {
        match *self {
            PortOption::Learning(v) => format!("learning {}", on(v)),
            PortOption::Flood(v) => format!("flood {}", on(v)),
            PortOption::McastFlood(v) => format!("mcast_flood {}", on(v)),
            PortOption::Hairpin(v) => format!("hairpin {}", on(v)),
            PortOption::Isolated(v) => format!("isolated {}", on(v)),
            PortOption::NeighSuppress(v) => format!("neigh_suppress {}", on(v)),
            PortOption::Guard(v) => format!("guard {}", on(v)),
            PortOption::RootBlock(v) => format!("root_block {}", on(v)),
            PortOption::Fastleave(v) => format!("fastleave {}", on(v)),
            PortOption::BcastFlood(v) => format!("bcast_flood {}", on(v)),
            PortOption::McastToUnicast(v) => format!("mcast_to_unicast {}", on(v)),
            PortOption::ProxyArp(v) => format!("proxy_arp {}", on(v)),
            PortOption::ProxyArpWifi(v) => format!("proxy_arp_wifi {}", on(v)),
            PortOption::VlanTunnel(v) => format!("vlan_tunnel {}", on(v)),
            PortOption::Locked(v) => format!("locked {}", on(v)),
            PortOption::Cost(v) => format!("cost {v}"),
            PortOption::Priority(v) => format!("priority {v}"),
            PortOption::State(v) => format!("state {}", STATES.get(v as usize).unwrap_or(&"?")),
            PortOption::McastRouter(v) => format!("mcast_router {v}"),
        }
    }

    /// The same option with the value the port has now; None when the kernel does not report it.
    pub fn current(&self, port: &LinkMessage) -> Option<PortOption> {
        let kind = std::mem::discriminant(self);
        port_data(port)
            .iter()
            .filter_map(from_attribute)
            .find(|o| std::mem::discriminant(o) == kind)
    }

    fn attribute(self) -> InfoBridgePort {
        match self {
            PortOption::Learning(v) => InfoBridgePort::Learning(v),
            PortOption::Flood(v) => InfoBridgePort::UnicastFlood(v),
            PortOption::McastFlood(v) => InfoBridgePort::MulticastFlood(v),
            PortOption::Hairpin(v) => InfoBridgePort::HairpinMode(v),
            PortOption::Isolated(v) => InfoBridgePort::Isolated(v),
            PortOption::NeighSuppress(v) => InfoBridgePort::NeighSupress(v),
            PortOption::Guard(v) => InfoBridgePort::Guard(v),
            PortOption::RootBlock(v) => InfoBridgePort::Protect(v),
            PortOption::Fastleave(v) => InfoBridgePort::FastLeave(v),
            PortOption::BcastFlood(v) => InfoBridgePort::BroadcastFlood(v),
            PortOption::McastToUnicast(v) => InfoBridgePort::MulticastToUnicast(v),
            PortOption::ProxyArp(v) => InfoBridgePort::ProxyARP(v),
            PortOption::ProxyArpWifi(v) => InfoBridgePort::ProxyARPWifi(v),
            PortOption::VlanTunnel(v) => InfoBridgePort::VlanTunnel(v),
            PortOption::Locked(v) => InfoBridgePort::Locked(v),
            PortOption::Cost(v) => InfoBridgePort::Cost(v),
            PortOption::Priority(v) => InfoBridgePort::Priority(v),
            PortOption::State(v) => InfoBridgePort::State(BridgePortState::from(v)),
            PortOption::McastRouter(v) => InfoBridgePort::MulticastRouter(BridgeMulticastRouterType::from(v)),
        }
    }
}

fn from_attribute(attribute: &InfoBridgePort) -> Option<PortOption> {
    Some(match attribute {
        InfoBridgePort::Learning(v) => PortOption::Learning(*v),
        InfoBridgePort::UnicastFlood(v) => PortOption::Flood(*v),
        InfoBridgePort::MulticastFlood(v) => PortOption::McastFlood(*v),
        InfoBridgePort::HairpinMode(v) => PortOption::Hairpin(*v),
        InfoBridgePort::Isolated(v) => PortOption::Isolated(*v),
        InfoBridgePort::NeighSupress(v) => PortOption::NeighSuppress(*v),
        InfoBridgePort::Guard(v) => PortOption::Guard(*v),
        InfoBridgePort::Protect(v) => PortOption::RootBlock(*v),
        InfoBridgePort::FastLeave(v) => PortOption::Fastleave(*v),
        InfoBridgePort::BroadcastFlood(v) => PortOption::BcastFlood(*v),
        InfoBridgePort::MulticastToUnicast(v) => PortOption::McastToUnicast(*v),
        InfoBridgePort::ProxyARP(v) => PortOption::ProxyArp(*v),
        InfoBridgePort::ProxyARPWifi(v) => PortOption::ProxyArpWifi(*v),
        InfoBridgePort::VlanTunnel(v) => PortOption::VlanTunnel(*v),
        InfoBridgePort::Locked(v) => PortOption::Locked(*v),
        InfoBridgePort::Cost(v) => PortOption::Cost(*v),
        InfoBridgePort::Priority(v) => PortOption::Priority(*v),
        InfoBridgePort::State(v) => PortOption::State(u8::from(*v)),
        InfoBridgePort::MulticastRouter(v) => PortOption::McastRouter(u8::from(*v)),
        _ => return None,
    })
}

fn link_infos(link: &LinkMessage) -> &[LinkInfo] {
    link.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::LinkInfo(infos) => Some(infos.as_slice()),
            _ => None,
        })
        .unwrap_or(&[])
}

/// The IFLA_BRPORT_* attributes of a bridge port (empty for a link that is none).
fn port_data(link: &LinkMessage) -> &[InfoBridgePort] {
    link_infos(link)
        .iter()
        .find_map(|i| match i {
            LinkInfo::PortData(InfoPortData::BridgePort(data)) => Some(data.as_slice()),
            _ => None,
        })
        .unwrap_or(&[])
}

/// The IFLA_BR_* attributes of a bridge (empty for a link that is none).
fn bridge_data(link: &LinkMessage) -> &[InfoBridge] {
    link_infos(link)
        .iter()
        .find_map(|i| match i {
            LinkInfo::Data(InfoData::Bridge(data)) => Some(data.as_slice()),
            _ => None,
        })
        .unwrap_or(&[])
}

/// Whether the link is a bridge port.
pub fn is_bridge_port(link: &LinkMessage) -> bool {
    !port_data(link).is_empty()
}

/// Checks every option against the port before the first change: exit 3 when the link is no
/// bridge port, 6 when the kernel does not report one of the options.
pub fn check_port(port: &LinkMessage, wanted: &[PortOption]) -> Result<()> {
    let name = link_name(port);
    if !is_bridge_port(port) {
        return Err(Error::not_found(format!("'{name}' is not a bridge port")));
    }
    for option in wanted {
        if option.current(port).is_none() {
            return Err(missing_in_kernel(&format!("the port option {}", option.words())));
        }
    }
    Ok(())
}

fn missing_in_kernel(what: &str) -> Error {
    Error::new(
        ErrorKind::Unavailable,
        format!("this kernel's bridge does not support {what} (it does not report it)"),
    )
}

async fn change_port(handle: &Handle, index: u32, option: PortOption) -> Result<()> {
    let message = LinkBridgePort::new(index)
        .append_info_data(option.attribute())
        .build();
    handle
        .link()
        .set_port(message)
        .execute()
        .await
        .map_err(Error::from)
}

/// Sets each option the port does not have yet (checked with [`check_port`] first), one request
/// each, journaling the old value. Returns the changes made, as ip words them.
pub async fn set_port_options(
    handle: &Handle,
    journal: &mut Journal,
    what: &str,
    port: &LinkMessage,
    wanted: &[PortOption],
) -> Result<Vec<String>> {
    let index = port.header.index;
    let mut changes = vec![];
    for option in wanted {
        let old = option.current(port).expect("checked by check_port");
        if old == *option {
            continue;
        }
        let step = format!("{what} {}", option.words());
        change_port(handle, index, *option).await.context(&step)?;
        let undo = handle.clone();
        journal.record(step, async move { change_port(&undo, index, old).await })?;
        changes.push(option.words());
    }
    Ok(changes)
}

/// One IFLA_BR_* setting of a bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BridgeOption {
    McastSnooping(bool),
    McastQuerier(bool),
    McastRouter(u8),
    GroupFwdMask(u16),
    VlanProtocol(u16),
    /// 0 no STP, 1 the kernel's, 2 a user-space daemon's.
    StpState(u32),
    /// In clock ticks (1/100 s), as ip passes them: forward_delay 1500 is 15 s.
    ForwardDelay(u32),
    HelloTime(u32),
    MaxAge(u32),
    AgeingTime(u32),
    Priority(u16),
    VlanFiltering(bool),
    VlanDefaultPvid(u16),
    McastIgmpVersion(u8),
    McastMldVersion(u8),
    NfCallIptables(bool),
    NfCallIp6tables(bool),
    NfCallArptables(bool),
}

impl BridgeOption {
    /// The option as ip link writes it: "mcast_querier 1", "vlan_protocol 802.1ad".
    pub fn words(&self) -> String {
        match *self {
            BridgeOption::McastSnooping(v) => format!("mcast_snooping {}", u8::from(v)),
            BridgeOption::McastQuerier(v) => format!("mcast_querier {}", u8::from(v)),
            BridgeOption::McastRouter(v) => format!("mcast_router {v}"),
            BridgeOption::GroupFwdMask(v) => format!("group_fwd_mask {v:#x}"),
            BridgeOption::VlanProtocol(v) => format!("vlan_protocol {}", protocol_name(v)),
            BridgeOption::StpState(v) => format!("stp_state {v}"),
            BridgeOption::ForwardDelay(v) => format!("forward_delay {v}"),
            BridgeOption::HelloTime(v) => format!("hello_time {v}"),
            BridgeOption::MaxAge(v) => format!("max_age {v}"),
            BridgeOption::AgeingTime(v) => format!("ageing_time {v}"),
            BridgeOption::Priority(v) => format!("priority {v}"),
            BridgeOption::VlanFiltering(v) => format!("vlan_filtering {}", u8::from(v)),
            BridgeOption::VlanDefaultPvid(v) => format!("vlan_default_pvid {v}"),
            BridgeOption::McastIgmpVersion(v) => format!("mcast_igmp_version {v}"),
            BridgeOption::McastMldVersion(v) => format!("mcast_mld_version {v}"),
            BridgeOption::NfCallIptables(v) => format!("nf_call_iptables {}", u8::from(v)),
            BridgeOption::NfCallIp6tables(v) => format!("nf_call_ip6tables {}", u8::from(v)),
            BridgeOption::NfCallArptables(v) => format!("nf_call_arptables {}", u8::from(v)),
        }
    }

    /// The same option with the bridge's value now; None when the kernel does not report it.
    pub fn current(&self, bridge: &LinkMessage) -> Option<BridgeOption> {
        let kind = std::mem::discriminant(self);
        bridge_data(bridge)
            .iter()
            .filter_map(|a| match a {
                InfoBridge::MulticastSnooping(v) => Some(BridgeOption::McastSnooping(*v)),
                InfoBridge::MulticastQuerier(v) => Some(BridgeOption::McastQuerier(*v)),
                InfoBridge::MulticastRouter(v) => Some(BridgeOption::McastRouter(u8::from(*v))),
                InfoBridge::GroupFwdMask(v) => Some(BridgeOption::GroupFwdMask(*v)),
                InfoBridge::VlanProtocol(v) => Some(BridgeOption::VlanProtocol(u16::from(*v))),
                other => Self::from_stp_or_other(other),
            })
            .find(|o| std::mem::discriminant(o) == kind)
    }

    /// The options beyond multicast and VLAN protocol, from the bridge's attribute.
    fn from_stp_or_other(attribute: &InfoBridge) -> Option<BridgeOption> {
        Some(match *attribute {
            InfoBridge::StpState(v) => BridgeOption::StpState(u32::from(v)),
            InfoBridge::ForwardDelay(v) => BridgeOption::ForwardDelay(v),
            InfoBridge::HelloTime(v) => BridgeOption::HelloTime(v),
            InfoBridge::MaxAge(v) => BridgeOption::MaxAge(v),
            InfoBridge::AgeingTime(v) => BridgeOption::AgeingTime(v),
            InfoBridge::Priority(v) => BridgeOption::Priority(v),
            InfoBridge::VlanFiltering(v) => BridgeOption::VlanFiltering(v),
            InfoBridge::VlanDefaultPvid(v) => BridgeOption::VlanDefaultPvid(v),
            InfoBridge::MulticastIgmpVersion(v) => BridgeOption::McastIgmpVersion(v),
            InfoBridge::MulticastMldVersion(v) => BridgeOption::McastMldVersion(v),
            InfoBridge::NfCallIpTables(v) => BridgeOption::NfCallIptables(v),
            InfoBridge::NfCallIp6Tables(v) => BridgeOption::NfCallIp6tables(v),
            InfoBridge::NfCallArpTables(v) => BridgeOption::NfCallArptables(v),
            _ => return None,
        })
    }

    /// Whether the bridge has this option's value (false when the kernel does not report it).
    pub fn holds(&self, bridge: &LinkMessage) -> bool {
        self.current(bridge) == Some(*self)
    }

    fn attribute(self) -> InfoBridge {
        match self {
            BridgeOption::McastSnooping(v) => InfoBridge::MulticastSnooping(v),
            BridgeOption::McastQuerier(v) => InfoBridge::MulticastQuerier(v),
            BridgeOption::McastRouter(v) => InfoBridge::MulticastRouter(BridgeMulticastRouterType::from(v)),
            BridgeOption::GroupFwdMask(v) => InfoBridge::GroupFwdMask(v),
            BridgeOption::VlanProtocol(v) => InfoBridge::VlanProtocol(VlanProtocol::from(v)),
            BridgeOption::StpState(v) => InfoBridge::StpState(v.into()),
            BridgeOption::ForwardDelay(v) => InfoBridge::ForwardDelay(v),
            BridgeOption::HelloTime(v) => InfoBridge::HelloTime(v),
            BridgeOption::MaxAge(v) => InfoBridge::MaxAge(v),
            BridgeOption::AgeingTime(v) => InfoBridge::AgeingTime(v),
            BridgeOption::Priority(v) => InfoBridge::Priority(v),
            BridgeOption::VlanFiltering(v) => InfoBridge::VlanFiltering(v),
            BridgeOption::VlanDefaultPvid(v) => InfoBridge::VlanDefaultPvid(v),
            BridgeOption::McastIgmpVersion(v) => InfoBridge::MulticastIgmpVersion(v),
            BridgeOption::McastMldVersion(v) => InfoBridge::MulticastMldVersion(v),
            BridgeOption::NfCallIptables(v) => InfoBridge::NfCallIpTables(v),
            BridgeOption::NfCallIp6tables(v) => InfoBridge::NfCallIp6Tables(v),
            BridgeOption::NfCallArptables(v) => InfoBridge::NfCallArpTables(v),
        }
    }

    /// The options as the attributes of a new bridge (`link add NAME type bridge ...`).
    pub fn attributes(options: &[BridgeOption]) -> Vec<InfoBridge> {
        options.iter().map(|o| o.attribute()).collect()
    }
}

/// Checks every option against the bridge before the first change: exit 7 when the link is no
/// bridge, 6 when the kernel does not report an option (vlan_protocol without VLAN filtering).
pub fn check_bridge(bridge: &LinkMessage, wanted: &[BridgeOption]) -> Result<()> {
    let name = link_name(bridge);
    if bridge_data(bridge).is_empty() {
        return Err(Error::invalid(format!("'{name}' is not a bridge")));
    }
    for option in wanted {
        if option.current(bridge).is_none() {
            let error = match option {
                BridgeOption::VlanProtocol(_) | BridgeOption::VlanFiltering(_) | BridgeOption::VlanDefaultPvid(_) => Error::new(
                    ErrorKind::Unavailable,
                    "this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING is not \
                     set), so no VLAN filtering, PVID or protocol to set: boot a kernel built with it (Debian's have it)",
                ),
                _ => missing_in_kernel(&format!("the bridge option {}", option.words())),
            };
            return Err(error);
        }
    }
    Ok(())
}

async fn change_bridge(handle: &Handle, index: u32, option: BridgeOption) -> Result<()> {
    let message = LinkMessageBuilder::<LinkBridge>::new_with_info_kind(InfoKind::Bridge)
        .index(index)
        .append_info_data(option.attribute())
        .build();
    handle.link().change(message).execute().await.map_err(Error::from)
}

/// Sets each option the bridge does not have yet (checked with [`check_bridge`] first), one
/// request each, journaling the old value. Returns the changes made, as ip words them.
pub async fn set_bridge_options(
    handle: &Handle,
    journal: &mut Journal,
    what: &str,
    bridge: &LinkMessage,
    wanted: &[BridgeOption],
) -> Result<Vec<String>> {
    let index = bridge.header.index;
    let mut changes = vec![];
    for option in wanted {
        if option.holds(bridge) {
            continue;
        }
        let old = option.current(bridge).expect("checked by check_bridge");
        let step = format!("{what} {}", option.words());
        change_bridge(handle, index, *option).await.context(&step)?;
        let undo = handle.clone();
        journal.record(step, async move { change_bridge(&undo, index, old).await })?;
        changes.push(option.words());
    }
    Ok(changes)
}

/// A bridge port's settings, named as `bridge -j -d link show` names them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct PortSettings {
    /// STP state: disabled, listening, learning, forwarding, blocking.
    pub state: Option<String>,
    pub priority: Option<u16>,
    pub cost: Option<u32>,
    pub hairpin: Option<bool>,
    pub learning: Option<bool>,
    /// Unknown unicast flooding.
    pub flood: Option<bool>,
    pub mcast_flood: Option<bool>,
    /// 0 disabled, 1 automatic, 2 permanent, 3 temporary.
    pub mcast_router: Option<u8>,
    pub neigh_suppress: Option<bool>,
    pub isolated: Option<bool>,
    pub guard: Option<bool>,
    pub root_block: Option<bool>,
    pub fastleave: Option<bool>,
    pub bcast_flood: Option<bool>,
    pub mcast_to_unicast: Option<bool>,
    pub proxy_arp: Option<bool>,
    pub proxy_arp_wifi: Option<bool>,
    pub vlan_tunnel: Option<bool>,
    pub locked: Option<bool>,
}

impl PortSettings {
    /// The settings of a bridge port; None for a link that is none.
    pub fn of(link: &LinkMessage) -> Option<PortSettings> {
        let mut s = PortSettings::default();
        if !is_bridge_port(link) {
            return None;
        }
        for option in port_data(link).iter().filter_map(from_attribute) {
            match option {
                PortOption::Learning(v) => s.learning = Some(v),
                PortOption::Flood(v) => s.flood = Some(v),
                PortOption::McastFlood(v) => s.mcast_flood = Some(v),
                PortOption::Hairpin(v) => s.hairpin = Some(v),
                PortOption::Isolated(v) => s.isolated = Some(v),
                PortOption::NeighSuppress(v) => s.neigh_suppress = Some(v),
                PortOption::Guard(v) => s.guard = Some(v),
                PortOption::RootBlock(v) => s.root_block = Some(v),
                PortOption::Fastleave(v) => s.fastleave = Some(v),
                PortOption::BcastFlood(v) => s.bcast_flood = Some(v),
                PortOption::McastToUnicast(v) => s.mcast_to_unicast = Some(v),
                PortOption::ProxyArp(v) => s.proxy_arp = Some(v),
                PortOption::ProxyArpWifi(v) => s.proxy_arp_wifi = Some(v),
                PortOption::VlanTunnel(v) => s.vlan_tunnel = Some(v),
                PortOption::Locked(v) => s.locked = Some(v),
                PortOption::Cost(v) => s.cost = Some(v),
                PortOption::Priority(v) => s.priority = Some(v),
                PortOption::State(v) => s.state = STATES.get(v as usize).map(|n| n.to_string()),
                PortOption::McastRouter(v) => s.mcast_router = Some(v),
            }
        }
        Some(s)
    }
}

/// A bridge's multicast and VLAN-protocol settings, named as `ip -j -d link show` names them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct BridgeSettings {
    pub mcast_snooping: Option<bool>,
    pub mcast_querier: Option<bool>,
    /// 0 disabled, 1 automatic, 2 permanent.
    pub mcast_router: Option<u8>,
    pub group_fwd_mask: Option<u16>,
    /// "802.1Q" or "802.1ad"; null on a kernel without VLAN filtering.
    pub vlan_protocol: Option<String>,
}

impl BridgeSettings {
    /// The settings of a bridge; None for a link that is none.
    pub fn of(link: &LinkMessage) -> Option<BridgeSettings> {
        let data = bridge_data(link);
        if data.is_empty() {
            return None;
        }
        let mut s = BridgeSettings::default();
        for attribute in data {
            match attribute {
                InfoBridge::MulticastSnooping(v) => s.mcast_snooping = Some(*v),
                InfoBridge::MulticastQuerier(v) => s.mcast_querier = Some(*v),
                InfoBridge::MulticastRouter(v) => s.mcast_router = Some(u8::from(*v)),
                InfoBridge::GroupFwdMask(v) => s.group_fwd_mask = Some(*v),
                InfoBridge::VlanProtocol(v) => s.vlan_protocol = Some(protocol_name(u16::from(*v))),
                _ => {}
            }
        }
        Some(s)
    }
}

/// A bridge port's options as keywords, in the words bridge(8)'s `link set` and ip's `type
/// bridge_slave` share: flattened into both verbs' Args (each keeps its own mcast_router: ip
/// gives that word to the bridge's option too).
#[derive(Debug, Clone, Default, clap::Args)]
#[group(skip)]
pub struct PortKeywords {
    /// Learn source MACs on the port.
    #[arg(long, value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub learning: Option<bool>,
    /// Flood unknown unicast to the port.
    #[arg(long, value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub flood: Option<bool>,
    /// Flood unknown multicast to the port.
    #[arg(long, visible_alias = "mcast_flood", value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub mcast_flood: Option<bool>,
    /// Send frames back out of the port they came in on.
    #[arg(long, value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub hairpin: Option<bool>,
    /// The port talks only to non-isolated ports.
    #[arg(long, value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub isolated: Option<bool>,
    /// Answer ARP/ND for the port from the bridge's neighbour table.
    #[arg(long, visible_alias = "neigh_suppress", value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub neigh_suppress: Option<bool>,
    /// Block STP BPDUs arriving on the port.
    #[arg(long, value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub guard: Option<bool>,
    /// Never let the port become the root port.
    #[arg(long, visible_alias = "root_block", value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub root_block: Option<bool>,
    /// Stop multicast to the port at once on an IGMP/MLD leave.
    #[arg(long, value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub fastleave: Option<bool>,
    /// Flood broadcast to the port.
    #[arg(long, visible_alias = "bcast_flood", value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub bcast_flood: Option<bool>,
    /// Send multicast to the port as unicast to each listener.
    #[arg(long, visible_alias = "mcast_to_unicast", value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub mcast_to_unicast: Option<bool>,
    /// Answer ARP for the port's neighbours.
    #[arg(long, visible_alias = "proxy_arp", value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub proxy_arp: Option<bool>,
    /// Proxy ARP for wireless clients (IEEE 802.11).
    #[arg(long, visible_alias = "proxy_arp_wifi", value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub proxy_arp_wifi: Option<bool>,
    /// Map VLANs to tunnel ids on the port.
    #[arg(long, visible_alias = "vlan_tunnel", value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub vlan_tunnel: Option<bool>,
    /// Forward only from MACs with a static entry (802.1X).
    #[arg(long, value_name = "on|off", value_parser = on_off, help_heading = HEADING)]
    pub locked: Option<bool>,
    /// The STP path cost, 1..65535.
    #[arg(long, value_name = "COST", value_parser = port_cost, allow_hyphen_values = true, help_heading = HEADING)]
    pub cost: Option<u32>,
    /// The STP port priority, 0..63.
    #[arg(long, value_name = "PRIO", value_parser = port_priority, allow_hyphen_values = true, help_heading = HEADING)]
    pub priority: Option<u16>,
    /// The STP state: 0..4 or disabled, listening, learning, forwarding, blocking.
    #[arg(long, value_name = "STATE", value_parser = port_state, allow_hyphen_values = true, help_heading = HEADING)]
    pub state: Option<u8>,
}

impl PortKeywords {
    /// The options given, in a fixed order.
    pub fn options(&self) -> Vec<PortOption> {
        let options = [
            self.learning.map(PortOption::Learning),
            self.flood.map(PortOption::Flood),
            self.mcast_flood.map(PortOption::McastFlood),
            self.hairpin.map(PortOption::Hairpin),
            self.isolated.map(PortOption::Isolated),
            self.neigh_suppress.map(PortOption::NeighSuppress),
            self.guard.map(PortOption::Guard),
            self.root_block.map(PortOption::RootBlock),
            self.fastleave.map(PortOption::Fastleave),
            self.bcast_flood.map(PortOption::BcastFlood),
            self.mcast_to_unicast.map(PortOption::McastToUnicast),
            self.proxy_arp.map(PortOption::ProxyArp),
            self.proxy_arp_wifi.map(PortOption::ProxyArpWifi),
            self.vlan_tunnel.map(PortOption::VlanTunnel),
            self.locked.map(PortOption::Locked),
            self.cost.map(PortOption::Cost),
            self.priority.map(PortOption::Priority),
            self.state.map(PortOption::State),
        ];
        options.into_iter().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_as_the_kernel_checks_them() {
        assert_eq!(port_cost("10").unwrap(), 10);
        assert_eq!(port_priority("63").unwrap(), 63);
        assert_eq!(port_state("forwarding").unwrap(), 3);
        assert_eq!(port_state("4").unwrap(), 4);
        assert_eq!(group_fwd_mask("0x4000").unwrap(), 0x4000);
        assert_eq!(group_fwd_mask("8").unwrap(), 8);
        assert_eq!(vlan_protocol("802.1AD").unwrap(), 0x88a8);
        assert_eq!(port_mcast_router("3").unwrap(), 3);
        assert!(zero_one("1").unwrap());
        for (result, needle) in [
            (port_cost("0").map(|_| ()), "cost '0' is out of range"),
            (port_cost("x").map(|_| ()), "invalid cost 'x'"),
            (port_priority("64").map(|_| ()), "priority '64'"),
            (port_state("up").map(|_| ()), "invalid state 'up'"),
            (group_fwd_mask("1").map(|_| ()), "bits 0..2"),
            (group_fwd_mask("0x10000").map(|_| ()), "out of range"),
            (vlan_protocol("802.1x").map(|_| ()), "invalid vlan_protocol"),
            (bridge_mcast_router("3").map(|_| ()), "mcast_router '3'"),
            (on_off("yes").map(|_| ()), "expected on or off"),
            (zero_one("2").map(|_| ()), "value '2'"),
        ] {
            let e = result.unwrap_err();
            assert_eq!(e.exit_code(), 7);
            assert!(e.message.contains(needle), "{}", e.message);
        }
    }

    #[test]
    fn options_are_read_back_from_a_port() {
        let mut link = LinkMessage::default();
        link.attributes
            .push(LinkAttribute::LinkInfo(vec![LinkInfo::PortData(
                InfoPortData::BridgePort(vec![InfoBridgePort::Learning(true), InfoBridgePort::Cost(2)]),
            )]));
        assert_eq!(
            PortOption::Learning(false).current(&link),
            Some(PortOption::Learning(true))
        );
        assert_eq!(PortOption::Cost(5).current(&link), Some(PortOption::Cost(2)));
        assert_eq!(PortOption::Isolated(true).current(&link), None);
        assert_eq!(
            check_port(&link, &[PortOption::Isolated(true)])
                .unwrap_err()
                .exit_code(),
            6
        );
        assert_eq!(
            check_port(&LinkMessage::default(), &[]).unwrap_err().exit_code(),
            3
        );
        assert_eq!(PortSettings::of(&link).unwrap().cost, Some(2));
        assert_eq!(PortOption::State(3).words(), "state forwarding");
    }
}
