//! What the VLAN verbs share: whether the kernel filters VLANs, a port's VLANs as the AF_BRIDGE
//! dump reports them, and the one request that adds or removes a VLAN.

use crate::model::{bridge_data, Links};
use futures::StreamExt;
use netlink_packet_route::link::{
    AfSpecBridge, BridgeFlag, BridgeVlanInfo, BridgeVlanInfoFlags, InfoBridge, LinkAttribute, LinkMessage,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_REQUEST};
use rtnetlink::Handle;
use vnet_common::links::{is_bridge, link_master};
use vnet_common::{Error, ErrorKind, Result};

/// Whether the kernel has bridge VLAN filtering: only then do its bridges report their default
/// PVID and VLAN protocol (both compiled in with CONFIG_BRIDGE_VLAN_FILTERING alone).
pub fn kernel_filters_vlans(bridge: &LinkMessage) -> bool {
    bridge_data(bridge)
        .iter()
        .any(|a| matches!(a, InfoBridge::VlanDefaultPvid(_) | InfoBridge::VlanProtocol(_)))
}

/// Whether VLAN filtering is on for this bridge.
pub fn filtering_on(bridge: &LinkMessage) -> bool {
    bridge_data(bridge)
        .iter()
        .any(|a| matches!(a, InfoBridge::VlanFiltering(true)))
}

/// Exit 6: the kernel lacks the feature; says which and how to get it.
pub fn no_kernel_support() -> Error {
    Error::new(
        ErrorKind::Unavailable,
        "this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING is not set): \
         boot a kernel built with CONFIG_BRIDGE_VLAN_FILTERING=y (Debian's kernels have it)",
    )
}

/// Refuses unless the kernel filters VLANs.
pub fn require_kernel_support(bridge: &LinkMessage) -> Result<()> {
    match kernel_filters_vlans(bridge) {
        true => Ok(()),
        false => Err(no_kernel_support()),
    }
}

/// The flags bridge prints for a VLAN: "PVID", "Egress Untagged".
pub fn flag_names(flags: BridgeVlanInfoFlags) -> Vec<String> {
    let mut names = vec![];
    if flags.contains(BridgeVlanInfoFlags::Pvid) {
        names.push("PVID".to_string());
    }
    if flags.contains(BridgeVlanInfoFlags::Untagged) {
        names.push("Egress Untagged".to_string());
    }
    names
}

/// The link named `dev` and its bridge (itself when it is a bridge); exit 3 when missing, 7 when
/// it is neither a bridge nor a bridge port.
pub fn locate<'a>(
    links: &'a Links,
    dev: &str,
    ns: Option<&str>,
) -> Result<(&'a LinkMessage, &'a LinkMessage)> {
    let port = links.interface(dev, ns)?;
    if is_bridge(port) {
        return Ok((port, port));
    }
    let bridge = link_master(port)
        .and_then(|m| links.by_index(m))
        .filter(|m| is_bridge(m))
        .ok_or_else(|| Error::invalid(format!("'{dev}' is neither a bridge nor a bridge port")))?;
    Ok((port, bridge))
}

/// Where a VLAN request goes.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub index: u32,
    /// The VLAN goes on the bridge device itself (IFLA_BRIDGE_FLAGS = BRIDGE_FLAGS_SELF).
    pub on_bridge: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    Add,
    Del,
}

/// One `bridge vlan add|del`: RTM_SETLINK / RTM_DELLINK, family AF_BRIDGE, IFLA_AF_SPEC.
pub async fn vlan_request(
    handle: &Handle,
    request: Request,
    kind: RequestKind,
    vid: u16,
    flags: BridgeVlanInfoFlags,
) -> Result<()> {
    let mut message = LinkMessage::default();
    message.header.interface_family = AddressFamily::Bridge;
    message.header.index = request.index;
    let mut spec = vec![];
    if request.on_bridge {
        spec.push(AfSpecBridge::Flags(BridgeFlag::LowerDev));
    }
    spec.push(AfSpecBridge::VlanInfo(BridgeVlanInfo { flags, vid }));
    message.attributes.push(LinkAttribute::AfSpecBridge(spec));
    let mut netlink = NetlinkMessage::from(match kind {
        RequestKind::Add => RouteNetlinkMessage::SetLink(message),
        RequestKind::Del => RouteNetlinkMessage::DelLink(message),
    });
    netlink.header.flags = NLM_F_REQUEST | NLM_F_ACK;
    let mut replies = handle.clone().request(netlink).map_err(Error::from)?;
    while let Some(reply) = replies.next().await {
        if let NetlinkPayload::Error(e) = reply.payload {
            if let Some(code) = e.code {
                return Err(Error::from_errno(-code.get()));
            }
        }
    }
    Ok(())
}

/// The VLANs (id, flags) a link reports in an AF_BRIDGE dump.
pub fn vlans_of(link: &LinkMessage) -> Vec<(u16, BridgeVlanInfoFlags)> {
    let mut out = vec![];
    for attr in &link.attributes {
        if let LinkAttribute::AfSpecBridge(spec) = attr {
            for item in spec {
                if let AfSpecBridge::VlanInfo(info) = item {
                    out.push((info.vid, info.flags));
                }
            }
        }
    }
    out
}

/// The VLANs of the link with this index in an AF_BRIDGE dump.
pub fn port_vlans(dump: &[LinkMessage], index: u32) -> Vec<(u16, BridgeVlanInfoFlags)> {
    dump.iter()
        .filter(|l| l.header.index == index)
        .flat_map(vlans_of)
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::tests::bridge_link;
    use netlink_packet_route::link::{InfoData, LinkInfo};

    fn with_vlan_data(mut link: LinkMessage, filtering: bool) -> LinkMessage {
        for attr in &mut link.attributes {
            if let LinkAttribute::LinkInfo(infos) = attr {
                for info in infos {
                    if let LinkInfo::Data(InfoData::Bridge(data)) = info {
                        data.push(InfoBridge::VlanFiltering(filtering));
                        data.push(InfoBridge::VlanDefaultPvid(1));
                    }
                }
            }
        }
        link
    }

    #[test]
    fn kernel_support_and_filtering_are_read_from_the_bridge() {
        // This kernel: IFLA_BR_VLAN_FILTERING is reported (always 0), the PVID is not.
        let mut plain = bridge_link("br0", 1, false);
        if let LinkAttribute::LinkInfo(infos) = &mut plain.attributes[1] {
            if let LinkInfo::Data(InfoData::Bridge(data)) = &mut infos[1] {
                data.push(InfoBridge::VlanFiltering(false));
            }
        }
        assert!(!kernel_filters_vlans(&plain));
        let e = require_kernel_support(&plain).unwrap_err();
        assert_eq!(e.exit_code(), 6);
        assert!(e.message.contains("CONFIG_BRIDGE_VLAN_FILTERING"), "{e}");
        assert!(!e.message.contains('\n'));
        let off = with_vlan_data(bridge_link("br0", 1, false), false);
        assert!(kernel_filters_vlans(&off) && !filtering_on(&off));
        let on = with_vlan_data(bridge_link("br0", 1, false), true);
        assert!(filtering_on(&on));
    }

    /// A link as an AF_BRIDGE dump reports it, with these VLANs.
    pub fn af_bridge_link(name: &str, index: u32, vlans: &[(u16, BridgeVlanInfoFlags)]) -> LinkMessage {
        let mut link = LinkMessage::default();
        link.header.index = index;
        link.header.interface_family = AddressFamily::Bridge;
        link.attributes.push(LinkAttribute::IfName(name.into()));
        let spec = vlans
            .iter()
            .map(|(vid, flags)| {
                AfSpecBridge::VlanInfo(BridgeVlanInfo {
                    flags: *flags,
                    vid: *vid,
                })
            })
            .collect();
        link.attributes.push(LinkAttribute::AfSpecBridge(spec));
        link
    }

    #[test]
    fn a_port_s_vlans_are_read_from_the_dump() {
        let dump = vec![
            af_bridge_link("tap0", 5, &[(1, BridgeVlanInfoFlags::Pvid)]),
            af_bridge_link(
                "veth0",
                6,
                &[(1, BridgeVlanInfoFlags::Pvid), (10, BridgeVlanInfoFlags::empty())],
            ),
        ];
        assert_eq!(port_vlans(&dump, 6).len(), 2);
        assert_eq!(
            flag_names(BridgeVlanInfoFlags::Pvid | BridgeVlanInfoFlags::Untagged),
            ["PVID", "Egress Untagged"]
        );
    }
}
