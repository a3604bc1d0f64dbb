//! A bridge's options as ip's keywords (`ip link add br0 type bridge stp_state 1 forward_delay 0`,
//! `ip link set br0 type bridge ageing_time 30000`): one clap Args struct flattened into both
//! verbs. `priority` and `mcast_router` are not here: `link set` gives those words to a bridge
//! port's options too and reads them by its `type`.

use crate::bridge_options::{group_fwd_mask, vlan_protocol, zero_one, BridgeOption};
use crate::error::quote;
use crate::keywords::HEADING;
use crate::{Error, Result};

/// The bridge options of ip link's `type bridge`, each checked as ip and the kernel check it.
#[derive(Debug, Clone, Default, clap::Args)]
#[group(skip)]
pub struct BridgeKeywords {
    /// bridge: STP: 0 off, 1 the kernel's, 2 a user-space daemon's.
    #[arg(long, visible_alias = "stp_state", value_name = "0|1|2", value_parser = stp_state, help_heading = HEADING)]
    pub stp_state: Option<u32>,
    /// bridge: the STP forward delay in 1/100 s (ip passes the number as it is).
    #[arg(long, visible_alias = "forward_delay", value_name = "N", value_parser = ticks, help_heading = HEADING)]
    pub forward_delay: Option<u32>,
    /// bridge: the STP hello time in 1/100 s.
    #[arg(long, visible_alias = "hello_time", value_name = "N", value_parser = ticks, help_heading = HEADING)]
    pub hello_time: Option<u32>,
    /// bridge: the STP maximum message age in 1/100 s.
    #[arg(long, visible_alias = "max_age", value_name = "N", value_parser = ticks, help_heading = HEADING)]
    pub max_age: Option<u32>,
    /// bridge: how long a learned MAC is kept, in 1/100 s.
    #[arg(long, visible_alias = "ageing_time", value_name = "N", value_parser = ticks, help_heading = HEADING)]
    pub ageing_time: Option<u32>,
    /// bridge: VLAN filtering, 0 or 1 (1 needs a kernel with bridge VLAN filtering: exit 6 here).
    #[arg(long, visible_alias = "vlan_filtering", value_name = "0|1", value_parser = zero_one, help_heading = HEADING)]
    pub vlan_filtering: Option<bool>,
    /// bridge: the PVID of new ports, 0..4094 (needs bridge VLAN filtering).
    #[arg(long, visible_alias = "vlan_default_pvid", value_name = "VID", value_parser = pvid, help_heading = HEADING)]
    pub vlan_default_pvid: Option<u16>,
    /// bridge: multicast snooping, 0 or 1.
    #[arg(long, visible_aliases = ["mcast_snooping", "multicast_snooping"], value_name = "0|1", value_parser = zero_one, help_heading = HEADING)]
    pub mcast_snooping: Option<bool>,
    /// bridge: the bridge sends multicast queries, 0 or 1.
    #[arg(long, visible_aliases = ["mcast_querier", "multicast_querier"], value_name = "0|1", value_parser = zero_one, help_heading = HEADING)]
    pub mcast_querier: Option<bool>,
    /// bridge: the IGMP version of its queries, 2 or 3.
    #[arg(long, visible_alias = "mcast_igmp_version", value_name = "2|3", value_parser = igmp_version, help_heading = HEADING)]
    pub mcast_igmp_version: Option<u8>,
    /// bridge: the MLD version of its queries, 1 or 2.
    #[arg(long, visible_alias = "mcast_mld_version", value_name = "1|2", value_parser = mld_version, help_heading = HEADING)]
    pub mcast_mld_version: Option<u8>,
    /// bridge: which link-local groups 01:80:c2:00:00:0X are forwarded, a 16-bit mask (bits
    /// 0..2 stay restricted).
    #[arg(long, visible_alias = "group_fwd_mask", value_name = "MASK", value_parser = group_fwd_mask, help_heading = HEADING)]
    pub group_fwd_mask: Option<u16>,
    /// bridge: 802.1Q or 802.1ad (needs a kernel with bridge VLAN filtering: exit 6 here).
    #[arg(long, visible_alias = "vlan_protocol", value_name = "PROTO", value_parser = vlan_protocol, help_heading = HEADING)]
    pub vlan_protocol: Option<u16>,
    /// bridge: bridged IPv4 traffic through iptables, 0 or 1.
    #[arg(long, visible_alias = "nf_call_iptables", value_name = "0|1", value_parser = zero_one, help_heading = HEADING)]
    pub nf_call_iptables: Option<bool>,
    /// bridge: bridged IPv6 traffic through ip6tables, 0 or 1.
    #[arg(long, visible_alias = "nf_call_ip6tables", value_name = "0|1", value_parser = zero_one, help_heading = HEADING)]
    pub nf_call_ip6tables: Option<bool>,
    /// bridge: bridged ARP through arptables, 0 or 1.
    #[arg(long, visible_alias = "nf_call_arptables", value_name = "0|1", value_parser = zero_one, help_heading = HEADING)]
    pub nf_call_arptables: Option<bool>,
}

impl BridgeKeywords {
    /// The options given, in a fixed order.
    pub fn options(&self) -> Vec<BridgeOption> {
        let options = [
            self.stp_state.map(BridgeOption::StpState),
            self.forward_delay.map(BridgeOption::ForwardDelay),
            self.hello_time.map(BridgeOption::HelloTime),
            self.max_age.map(BridgeOption::MaxAge),
            self.ageing_time.map(BridgeOption::AgeingTime),
            self.vlan_filtering.map(BridgeOption::VlanFiltering),
            self.vlan_default_pvid.map(BridgeOption::VlanDefaultPvid),
            self.mcast_snooping.map(BridgeOption::McastSnooping),
            self.mcast_querier.map(BridgeOption::McastQuerier),
            self.mcast_igmp_version.map(BridgeOption::McastIgmpVersion),
            self.mcast_mld_version.map(BridgeOption::McastMldVersion),
            self.group_fwd_mask.map(BridgeOption::GroupFwdMask),
            self.vlan_protocol.map(BridgeOption::VlanProtocol),
            self.nf_call_iptables.map(BridgeOption::NfCallIptables),
            self.nf_call_ip6tables.map(BridgeOption::NfCallIp6tables),
            self.nf_call_arptables.map(BridgeOption::NfCallArptables),
        ];
        options.into_iter().flatten().collect()
    }
}

fn number(word: &str, text: &str) -> Result<u32> {
    text.parse()
        .map_err(|_| Error::invalid(format!("invalid {word} {}: not a number", quote(text))))
}

fn stp_state(text: &str) -> Result<u32> {
    match number("stp_state", text)? {
        state @ 0..=2 => Ok(state),
        _ => Err(Error::invalid(format!(
            "invalid stp_state {}: give 0, 1 or 2",
            quote(text)
        ))),
    }
}

/// A time in clock ticks, as ip passes it to the kernel.
fn ticks(text: &str) -> Result<u32> {
    number("time", text)
}

fn pvid(text: &str) -> Result<u16> {
    match number("vlan_default_pvid", text)? {
        vid @ 0..=4094 => Ok(vid as u16),
        _ => Err(Error::invalid(format!(
            "invalid vlan_default_pvid {}: 0..4094",
            quote(text)
        ))),
    }
}

fn igmp_version(text: &str) -> Result<u8> {
    match number("mcast_igmp_version", text)? {
        v @ 2..=3 => Ok(v as u8),
        _ => Err(Error::invalid(format!(
            "invalid mcast_igmp_version {}: 2 or 3",
            quote(text)
        ))),
    }
}

fn mld_version(text: &str) -> Result<u8> {
    match number("mcast_mld_version", text)? {
        v @ 1..=2 => Ok(v as u8),
        _ => Err(Error::invalid(format!(
            "invalid mcast_mld_version {}: 1 or 2",
            quote(text)
        ))),
    }
}
