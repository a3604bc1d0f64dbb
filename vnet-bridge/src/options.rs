//! Port options in bridge(8)'s words (`link set dev X learning off cost 10 ...`, as `bridge
//! link set`), and the bridge's multicast and VLAN-protocol options in vnet-bridge's setter style
//! (setmcquerier, setmcrouter, setgroupfwdmask, setvlanprotocol, setportmcrouter), the same
//! settings `ip link set X type bridge|bridge_slave ...` makes (the work:
//! vnet_common::bridge_options).

use crate::model::Links;
use crate::Ctx;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::bridge_options::{
    self as opts, check_bridge, check_port, set_bridge_options, set_port_options, BridgeOption, PortOption,
    PortSettings,
};
use vnet_common::keywords::HEADING;
use vnet_common::links::{link_master, link_name};
use vnet_common::names::validate_ifname;
use vnet_common::{Error, ErrorKind, Journal, Render, Result, Verb};

fn ifname(text: &str) -> Result<String> {
    validate_ifname(text).map(|_| text.to_string())
}

/// Change a bridge port's options, as bridge(8) does: `link set dev PORT [learning on|off]
/// [flood on|off] [mcast_flood on|off] [hairpin on|off] [isolated on|off] [neigh_suppress on|off]
/// [guard|root_block|fastleave|bcast_flood|mcast_to_unicast|proxy_arp|proxy_arp_wifi|vlan_tunnel|
/// locked on|off] [cost N] [priority N] [state S] [mcast_router N]`.
///
/// Every value is checked first (exit 7: cost 1..65535, priority 0..63, state 0..4 or its name,
/// mcast_router 0..3); a link that is no bridge port is exit 3; an option this kernel does not
/// report is exit 6. Each change is journaled with the old value; options the port already has
/// are left alone ("changed": false when all were).
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct LinkSet {
    /// The port.
    #[arg(long, value_name = "PORT", required = true, value_parser = ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    #[command(flatten)]
    pub port: opts::PortKeywords,
    /// The port's multicast router mode: 0 disabled, 1 automatic, 2 permanent, 3 temporary.
    #[arg(long, visible_aliases = ["mcast_router", "multicast_router"], value_name = "N", value_parser = opts::port_mcast_router, help_heading = HEADING)]
    pub mcast_router: Option<u8>,
}

impl LinkSet {
    fn options(&self) -> Vec<PortOption> {
        let mut options = self.port.options();
        options.extend(self.mcast_router.map(PortOption::McastRouter));
        options
    }
}

/// A bridge port after `link set`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PortOptionsSet {
    /// The port.
    pub ifname: String,
    /// Its bridge.
    pub master: String,
    /// The changes made, in bridge(8)'s words: "learning off", "cost 10".
    pub changes: Vec<String>,
    /// The port's options now, with bridge -j -d link show's names.
    #[serde(flatten)]
    pub settings: PortSettings,
    /// False when the port already had every option asked for (nothing was done).
    pub changed: bool,
}

impl Render for PortOptionsSet {}

impl Verb for LinkSet {
    type Ctx = Ctx;
    type Output = PortOptionsSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<PortOptionsSet> {
        let options = self.options();
        let dev = self.dev.expect("clap requires dev");
        if options.is_empty() {
            return Err(Error::new(
                ErrorKind::Usage,
                "link set: nothing to change: give an option (learning, flood, cost, ...: see \
                 'vnet-bridge link set --help')",
            ));
        }
        let what = format!("link set dev {dev}");
        ctx.run(|at| async move {
            let links = Links::named(&at.handle, &[&dev]).await?;
            let port = links.interface(&dev, at.ns)?;
            check_port(port, &options).map_err(|e| e.context(&what))?;
            let changes = set_port_options(&at.handle, journal, &what, port, &options).await?;
            let now = Links::named(&at.handle, &[&dev]).await?;
            let port = now.interface(&dev, at.ns)?;
            let master = link_master(port).and_then(|m| now.by_index(m)).map(link_name);
            Ok(PortOptionsSet {
                ifname: dev.clone(),
                master: master.unwrap_or_default(),
                changed: !changes.is_empty(),
                changes,
                settings: PortSettings::of(port).unwrap_or_default(),
            })
        })
    }
}

/// Sets one option of a bridge: checked (exit 7 not a bridge, 6 not in this kernel), set unless
/// the bridge has it, journaled. False when it already had it.
fn set_bridge_option(
    ctx: &mut Ctx,
    journal: &mut Journal,
    bridge: &str,
    option: BridgeOption,
) -> Result<bool> {
    let what = format!("set {} on bridge '{bridge}'", option.words());
    let name = bridge.to_string();
    let step = what.clone();
    ctx.run(|at| async move {
        let links = Links::named(&at.handle, &[&name]).await?;
        let br = links.bridge(&name, at.ns)?;
        check_bridge(br, &[option])?;
        let changes = set_bridge_options(&at.handle, journal, &step, br, &[option]).await?;
        Ok(!changes.is_empty())
    })
    .map_err(|e| e.context(what))
}

/// Turn the bridge's multicast querier on or off (ip link set BR type bridge mcast_querier 1|0).
///
/// On: the bridge sends IGMP/MLD queries itself, so snooping works on a segment with no
/// multicast router.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setmcquerier {
    /// The bridge.
    bridge: String,
    /// on|off (also 1|0).
    #[arg(value_name = "on|off", value_parser = on_or_one, action = clap::ArgAction::Set)]
    state: bool,
}

fn on_or_one(text: &str) -> Result<bool> {
    opts::on_off(text).or_else(|_| opts::zero_one(text))
}

/// The bridge's multicast querier switch after setmcquerier.
#[derive(Debug, Serialize, JsonSchema)]
pub struct McQuerierSet {
    /// The bridge.
    pub bridge: String,
    /// Whether the bridge is a multicast querier now.
    pub mcast_querier: bool,
    /// False when it already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for McQuerierSet {}

impl Verb for Setmcquerier {
    type Ctx = Ctx;
    type Output = McQuerierSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<McQuerierSet> {
        let option = BridgeOption::McastQuerier(self.state);
        let changed = set_bridge_option(ctx, journal, &self.bridge, option)?;
        Ok(McQuerierSet {
            bridge: self.bridge,
            mcast_querier: self.state,
            changed,
        })
    }
}

/// Set the bridge's multicast router mode (ip link set BR type bridge mcast_router N): 0
/// disabled, 1 automatic (learned from queries), 2 permanent.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setmcrouter {
    /// The bridge.
    bridge: String,
    /// 0, 1 or 2.
    #[arg(value_name = "N", value_parser = opts::bridge_mcast_router)]
    mode: u8,
}

/// The bridge's multicast router mode after setmcrouter.
#[derive(Debug, Serialize, JsonSchema)]
pub struct McRouterSet {
    /// The bridge.
    pub bridge: String,
    /// 0 disabled, 1 automatic, 2 permanent.
    pub mcast_router: u8,
    /// False when it already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for McRouterSet {}

impl Verb for Setmcrouter {
    type Ctx = Ctx;
    type Output = McRouterSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<McRouterSet> {
        let changed = set_bridge_option(ctx, journal, &self.bridge, BridgeOption::McastRouter(self.mode))?;
        Ok(McRouterSet {
            bridge: self.bridge,
            mcast_router: self.mode,
            changed,
        })
    }
}

/// Set which link-local groups 01:80:c2:00:00:0X the bridge forwards (ip link set BR type
/// bridge group_fwd_mask MASK): a 16-bit mask, decimal or 0x hex; bits 0..2 (STP, pause, LACP)
/// stay restricted (exit 7).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setgroupfwdmask {
    /// The bridge.
    bridge: String,
    /// The mask, like 0x4000 (802.1X EAPOL is bit 3: 0x8).
    #[arg(value_name = "MASK", value_parser = opts::group_fwd_mask)]
    mask: u16,
}

/// The bridge's group forwarding mask after setgroupfwdmask.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GroupFwdMaskSet {
    /// The bridge.
    pub bridge: String,
    /// The mask now.
    pub group_fwd_mask: u16,
    /// False when it already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for GroupFwdMaskSet {}

impl Verb for Setgroupfwdmask {
    type Ctx = Ctx;
    type Output = GroupFwdMaskSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<GroupFwdMaskSet> {
        let changed = set_bridge_option(ctx, journal, &self.bridge, BridgeOption::GroupFwdMask(self.mask))?;
        Ok(GroupFwdMaskSet {
            bridge: self.bridge,
            group_fwd_mask: self.mask,
            changed,
        })
    }
}

/// Set the VLAN protocol a VLAN-filtering bridge uses (ip link set BR type bridge vlan_protocol
/// 802.1Q|802.1ad). A kernel without bridge VLAN filtering has no VLAN protocol: exit 6.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setvlanprotocol {
    /// The bridge.
    bridge: String,
    /// 802.1Q or 802.1ad.
    #[arg(value_name = "PROTO", value_parser = opts::vlan_protocol)]
    protocol: u16,
}

/// The bridge's VLAN protocol after setvlanprotocol.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VlanProtocolSet {
    /// The bridge.
    pub bridge: String,
    /// "802.1Q" or "802.1ad".
    pub vlan_protocol: String,
    /// False when it already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for VlanProtocolSet {}

impl Verb for Setvlanprotocol {
    type Ctx = Ctx;
    type Output = VlanProtocolSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<VlanProtocolSet> {
        let option = BridgeOption::VlanProtocol(self.protocol);
        let changed = set_bridge_option(ctx, journal, &self.bridge, option)?;
        let words = option.words();
        Ok(VlanProtocolSet {
            bridge: self.bridge,
            vlan_protocol: words.trim_start_matches("vlan_protocol ").to_string(),
            changed,
        })
    }
}

/// Set a port's multicast router mode (bridge link set dev PORT mcast_router N): 0 disabled,
/// 1 automatic, 2 permanent, 3 temporary.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setportmcrouter {
    /// The bridge.
    bridge: String,
    /// The port: an interface of the bridge.
    port: String,
    /// 0..3.
    #[arg(value_name = "N", value_parser = opts::port_mcast_router)]
    mode: u8,
}

/// The port's multicast router mode after setportmcrouter.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PortMcRouterSet {
    /// The bridge.
    pub bridge: String,
    /// The port.
    pub port: String,
    /// 0 disabled, 1 automatic, 2 permanent, 3 temporary.
    pub mcast_router: u8,
    /// False when it already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for PortMcRouterSet {}

impl Verb for Setportmcrouter {
    type Ctx = Ctx;
    type Output = PortMcRouterSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<PortMcRouterSet> {
        let option = PortOption::McastRouter(self.mode);
        let what = format!("set mcast_router {} on port '{}'", self.mode, self.port);
        let (bridge, port) = (self.bridge.clone(), self.port.clone());
        let step = what.clone();
        let changed = ctx
            .run(|at| async move {
                let links = Links::named(&at.handle, &[&bridge, &port]).await?;
                let br = links.bridge(&bridge, at.ns)?;
                let link = links.port(br, &port, at.ns)?;
                check_port(link, &[option])?;
                let changes = set_port_options(&at.handle, journal, &step, link, &[option]).await?;
                Ok(!changes.is_empty())
            })
            .map_err(|e| e.context(what))?;
        Ok(PortMcRouterSet {
            bridge: self.bridge,
            port: self.port,
            mcast_router: self.mode,
            changed,
        })
    }
}
