//! `link show [[dev] IF] [up] [master BR | vrf NAME | nomaster] [type KIND]`: the links of the current
//! namespace or -n NS as `show` prints them (with each kind's details, ip -d -j's linkinfo), all
//! of them, one, or those ip's filters select; with `-s`, each link's counters.

use crate::iface::Interfaces;
use crate::NsCtx;
use vnet_common::keywords::HEADING;
use vnet_common::links::missing_link;
use vnet_common::netlink::{Interface, RouteSocket};
use vnet_common::{Journal, Result, Verb};

/// List links: `link show [[dev] IF] [up] [master BR | vrf NAME | nomaster] [type KIND]` (ip -d
/// -j link show), in -n NS or the current namespace.
///
/// The same records as `show`, with the kind's details (`linkinfo`: info_kind and info_data under
/// ip -d -j's names) for vlan, macvlan, macvtap, ipvlan, dummy, bond, vxlan, gre, gretap, ipip,
/// sit, wireguard, vrf, ifb, geneve, ip6gre, ip6gretap and ip6tnl links, and a bond's or vrf's
/// slaves. The filters select as ip's do: `up` the links that are up, `master BR` the ports of
/// BR, `vrf NAME` the links enslaved to vrf NAME (a link that is no vrf: exit 7; a missing one
/// exit 3, or exit 6 naming the module on a kernel without vrf), `nomaster` the links of no master, `type KIND` the links of that kind (`type
/// bridge_slave`: the ports of any bridge; bond_slave, vrf_slave: of any bond, vrf). A missing IF
/// or master BR is exit 3.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Show {
    /// Only this link.
    #[arg(value_name = "IF")]
    pub link: Option<String>,
    /// Only this link, as IF.
    #[arg(long, value_name = "IF", value_parser = super::ifname, conflicts_with = "link", help_heading = HEADING)]
    pub dev: Option<String>,
    /// Only the links that are up.
    #[arg(long, help_heading = HEADING)]
    pub up: bool,
    /// Only the ports of this master (a bridge, bond or vrf).
    #[arg(long, value_name = "BR", value_parser = super::ifname, help_heading = HEADING)]
    pub master: Option<String>,
    /// Only the links enslaved to this vrf (ip's `vrf NAME`).
    #[arg(long, value_name = "NAME", value_parser = super::ifname, conflicts_with = "master", help_heading = HEADING)]
    pub vrf: Option<String>,
    /// Only the links that have no master.
    #[arg(long, conflicts_with_all = ["master", "vrf"], help_heading = HEADING)]
    pub nomaster: bool,
    /// Only the links of this kind ("veth", "bridge", "tun", ...; "bridge_slave", "bond_slave",
    /// "vrf_slave": ports of a bridge, bond, vrf).
    #[arg(long = "type", value_name = "KIND", help_heading = HEADING)]
    pub kind: Option<String>,
    /// Each link's counters (`stats64`, as ip -s); twice (-s -s) with the errors by cause.
    #[arg(short = 's', long = "stats", action = clap::ArgAction::Count)]
    pub stats: u8,
}

impl Verb for Show {
    type Ctx = NsCtx;
    type Output = Interfaces;

    fn run(mut self, ctx: &mut NsCtx, _: &mut Journal) -> Result<Interfaces> {
        let only = match self.link.take().or(self.dev.take()) {
            Some(name) => Some(super::ifname(&name)?),
            None => None,
        };
        let mut socket = RouteSocket::open(ctx.netns.as_deref())?;
        let mut links = socket
            .interfaces_with_stats(self.stats)
            .map_err(|e| e.context("link show"))?;
        if let Some(name) = only {
            links.retain(|link| link.name == name);
            if links.is_empty() {
                return Err(missing_link(&name, ctx.netns.as_deref()).context("link show"));
            }
        }
        if let Some(master) = &self.master {
            if !links.iter().any(|link| &link.name == master) {
                return Err(missing_link(master, ctx.netns.as_deref()).context("link show"));
            }
        }
        if let Some(vrf) = self.vrf.take() {
            self.master = Some(vrf_master(&links, vrf, ctx.netns.as_deref())?);
        }
        // The bridges' names matter to `type bridge_slave` alone: read only for it.
        let bridges: Vec<String> = match self.kind.as_deref() {
            Some("bridge_slave") => links
                .iter()
                .filter(|link| link.kind.as_deref() == Some("bridge"))
                .map(|link| link.name.clone())
                .collect(),
            _ => Vec::new(),
        };
        links.retain(|link| self.selects(link, &bridges));
        Ok(Interfaces(links))
    }
}

/// `vrf NAME` as the master it selects by: NAME must be a vrf link of the namespace.
fn vrf_master(links: &[Interface], name: String, netns: Option<&str>) -> Result<String> {
    let Some(link) = links.iter().find(|link| link.name == name) else {
        return Err(super::vrf::missing(&name, "link show", netns));
    };
    if link.kind.as_deref() != Some("vrf") {
        return Err(super::vrf::not_a_vrf(&name, "link show"));
    }
    Ok(name)
}

impl Show {
    /// Whether ip's filters (up, master, nomaster, type) select `link`; `bridges` names the
    /// bridges of the namespace (for `type bridge_slave`).
    fn selects(&self, link: &Interface, bridges: &[String]) -> bool {
        let kind_matches = match self.kind.as_deref() {
            None => true,
            Some("bridge_slave") => link.master.as_ref().is_some_and(|m| bridges.contains(m)),
            // bond_slave, vrf_slave: the slave kind the master gives its ports.
            Some(kind) if kind.ends_with("_slave") => link
                .linkinfo
                .as_ref()
                .is_some_and(|l| l.info_slave_kind.as_deref() == kind.strip_suffix("_slave")),
            Some(kind) => link.kind.as_deref() == Some(kind),
        };
        kind_matches
            && (!self.up || link.up)
            && (!self.nomaster || link.master.is_none())
            && self
                .master
                .as_ref()
                .is_none_or(|m| link.master.as_ref() == Some(m))
    }
}
