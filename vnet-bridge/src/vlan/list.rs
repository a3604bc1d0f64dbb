//! `vlan show [dev DEV]`: every port's VLANs, as `bridge -j vlan show` lists them.

use super::support::{flag_names, kernel_filters_vlans, vlans_of};
use crate::values::parse_vid;
use crate::Ctx;
use netlink_packet_route::link::LinkMessage;
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write;
use vnet_common::keywords::HEADING;
use vnet_common::links::link_name;
use vnet_common::{Context, Journal, Render, Result, TextStyle, Verb};

/// List the VLANs of every port, or of dev DEV (bridge vlan show).
///
///   vnet-bridge vlan show [dev DEV] [vid VID] [-o text]
///
/// JSON like `bridge -j vlan show`, and with -o text bridge's layout; with vid VID, as bridge,
/// only that VLAN, of the ports that have it. On a kernel without CONFIG_BRIDGE_VLAN_FILTERING
/// no port has VLANs: an empty list, as bridge prints.
#[derive(Debug, clap::Args)]
#[group(skip)]
// A word given twice: the last one counts, as bridge(8) reads them.
#[command(args_override_self = true)]
pub struct VlanShow {
    /// Only this port's (or bridge's) VLANs.
    #[arg(long, value_name = "DEV", help_heading = HEADING)]
    dev: Option<String>,
    /// Only this VLAN, 1..4094.
    #[arg(long, value_name = "VID", value_parser = parse_vid, help_heading = HEADING)]
    vid: Option<u16>,
}

/// Every port that has VLANs, as `bridge -j vlan show` lists them.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct VlanList(pub Vec<PortVlans>);

/// The VLANs of one port, as `bridge -j vlan show` prints them.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PortVlans {
    pub ifname: String,
    pub vlans: Vec<VlanEntry>,
}

/// One VLAN of a port.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct VlanEntry {
    pub vlan: u16,
    /// "PVID" (untagged frames in are put in this VLAN), "Egress Untagged"; left out when none.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub flags: Vec<String>,
}

impl Render for VlanList {
    /// bridge(8)'s `vlan show` layout: "%-16s  %-9s" header, the port name padded to 16 and two
    /// spaces before its first VLAN, 18 spaces before each further one, flags after the id.
    fn text(&self, style: TextStyle) -> String {
        let mut text = String::new();
        if style.headers {
            let _ = writeln!(text, "{:<16}  {:<9}", "port", "vlan-id");
        }
        for port in &self.0 {
            for (i, vlan) in port.vlans.iter().enumerate() {
                let lead = if i == 0 { port.ifname.as_str() } else { "" };
                let _ = write!(text, "{lead:<16}  {}", vlan.vlan);
                for flag in &vlan.flags {
                    let _ = write!(text, " {flag}");
                }
                text.push('\n');
            }
        }
        text
    }
}

impl Verb for VlanShow {
    type Ctx = Ctx;
    type Output = VlanList;

    /// Every link with VLANs in the AF_BRIDGE dump order (as bridge prints them).
    fn run(self, ctx: &mut Ctx, _journal: &mut Journal) -> Result<VlanList> {
        let what = "show VLANs";
        let links = ctx.links_now().context(what)?;
        let filter = match &self.dev {
            Some(name) => Some(links.interface(name, ctx.netns()).context(what)?.header.index),
            None => None,
        };
        // No bridge, or a kernel without VLAN filtering (no port can have VLANs there): none,
        // as bridge(8) lists none (`bridge -j vlan show` prints [] and succeeds).
        let bridges = links.bridges();
        if bridges.is_empty() || bridges.iter().any(|b| !kernel_filters_vlans(b)) {
            return Ok(VlanList(vec![]));
        }
        let dump = ctx.bridge_vlans_now().context(what)?;
        Ok(list_vlans(&dump, filter, self.vid))
    }
}

/// The ports of the dump with their VLANs: only the link with index `dev` and only VLAN `vid`
/// when given; a port left without VLANs is left out.
fn list_vlans(dump: &[LinkMessage], dev: Option<u32>, vid: Option<u16>) -> VlanList {
    let ports = dump
        .iter()
        .filter(|l| dev.is_none_or(|i| l.header.index == i))
        .filter_map(|link| {
            let vlans: Vec<VlanEntry> = vlans_of(link)
                .into_iter()
                .filter(|(vlan, _)| vid.is_none_or(|v| *vlan == v))
                .map(|(vlan, flags)| VlanEntry {
                    vlan,
                    flags: flag_names(flags),
                })
                .collect();
            (!vlans.is_empty()).then(|| PortVlans {
                ifname: link_name(link),
                vlans,
            })
        })
        .collect();
    VlanList(ports)
}

#[cfg(test)]
mod tests {
    use super::super::support::tests::af_bridge_link;
    use super::*;
    use netlink_packet_route::link::BridgeVlanInfoFlags;

    #[test]
    fn show_is_bridge_vlan_show_layout_and_json() {
        let both = BridgeVlanInfoFlags::Pvid | BridgeVlanInfoFlags::Untagged;
        let dump = vec![
            af_bridge_link("tap0", 5, &[(1, both)]),
            af_bridge_link("veth0", 6, &[(1, both), (10, BridgeVlanInfoFlags::empty())]),
            af_bridge_link("br0", 2, &[(1, both | BridgeVlanInfoFlags::Brentry)]),
            af_bridge_link("eth9", 7, &[]),
        ];
        let list = list_vlans(&dump, None, None);
        assert_eq!(
            list.text(TextStyle::default()),
            "port              vlan-id  \n\
             tap0              1 PVID Egress Untagged\n\
             veth0             1 PVID Egress Untagged\n\
             \x20                 10\n\
             br0               1 PVID Egress Untagged\n"
        );
        let json = serde_json::to_value(&list).unwrap();
        assert_eq!(
            json[1],
            serde_json::json!({"ifname": "veth0", "vlans": [
                {"vlan": 1, "flags": ["PVID", "Egress Untagged"]}, {"vlan": 10}]})
        );
        assert_eq!(list_vlans(&dump, Some(6), None).0.len(), 1);
        // vid: that VLAN only, of the ports that have it.
        let ten = list_vlans(&dump, None, Some(10));
        assert_eq!(
            serde_json::to_value(&ten).unwrap(),
            serde_json::json!([{"ifname": "veth0", "vlans": [{"vlan": 10}]}])
        );
        assert_eq!(list_vlans(&dump, Some(5), Some(10)).0, vec![]);
    }
}
