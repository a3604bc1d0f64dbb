//! `link show [[dev] IF]`: the links of the current namespace or -n NS as `show` prints them
//! (with each kind's details, ip -d -j's linkinfo), all of them or one.

use crate::iface::Interfaces;
use crate::NsCtx;
use vnet_common::keywords::HEADING;
use vnet_common::links::missing_link;
use vnet_common::netlink::RouteSocket;
use vnet_common::{Journal, Result, Verb};

/// List links: `link show [[dev] IF]` (ip -d -j link show), in -n NS or the current namespace.
///
/// The same records as `show`, with the kind's details (`linkinfo`: info_kind and info_data under
/// ip -d -j's names) for vlan, macvlan, macvtap, ipvlan, dummy, bond, vxlan, gre, gretap, ipip,
/// sit and wireguard links. A missing IF is exit 3.
#[derive(Debug, clap::Args)]
pub struct Show {
    /// Only this link.
    #[arg(value_name = "IF")]
    pub link: Option<String>,
    /// Only this link, as IF.
    #[arg(long, value_name = "IF", value_parser = super::ifname, conflicts_with = "link", help_heading = HEADING)]
    pub dev: Option<String>,
}

impl Verb for Show {
    type Ctx = NsCtx;
    type Output = Interfaces;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<Interfaces> {
        let only = match self.link.or(self.dev) {
            Some(name) => Some(super::ifname(&name)?),
            None => None,
        };
        let mut socket = RouteSocket::open(ctx.netns.as_deref())?;
        let mut links = socket.interfaces().map_err(|e| e.context("link show"))?;
        if let Some(name) = only {
            links.retain(|link| link.name == name);
            if links.is_empty() {
                return Err(missing_link(&name, ctx.netns.as_deref()).context("link show"));
            }
        }
        Ok(Interfaces(links))
    }
}
