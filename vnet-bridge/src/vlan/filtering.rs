//! `setvlanfiltering BR on|off`: the bridge's VLAN filtering switch.

use super::support::{filtering_on, require_kernel_support};
use crate::settings::{set_switch, Switch};
use crate::stp::parse_on_off;
use crate::Ctx;
use netlink_packet_route::link::InfoBridge;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::{Journal, Render, Result, Verb};

/// Turn VLAN filtering on or off (ip link set BR type bridge vlan_filtering 1|0).
///
/// Needs a kernel with CONFIG_BRIDGE_VLAN_FILTERING: without it, exit 6 and nothing changes.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setvlanfiltering {
    /// The bridge.
    bridge: String,
    /// on|off (also yes|no, 1|0).
    #[arg(value_name = "on|off")]
    state: String,
}

/// The bridge's VLAN filtering switch after setvlanfiltering.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VlanFilteringSet {
    /// The bridge.
    pub bridge: String,
    /// Whether VLAN filtering is on now.
    pub vlan_filtering: bool,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for VlanFilteringSet {}

impl Verb for Setvlanfiltering {
    type Ctx = Ctx;
    type Output = VlanFilteringSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<VlanFilteringSet> {
        let on = parse_on_off(&self.state)?;
        let what = format!("set VLAN filtering on bridge '{}'", self.bridge);
        let current = |br: &_| {
            require_kernel_support(br)?;
            Ok(filtering_on(br))
        };
        let switch: Switch = (current, InfoBridge::VlanFiltering);
        let changed = set_switch(ctx, journal, &self.bridge, what, on, switch)?;
        Ok(VlanFilteringSet {
            bridge: self.bridge,
            vlan_filtering: on,
            changed,
        })
    }
}
