//! Bridge settings beyond brctl, as a hypervisor host script sets them with `ip link`: the MTU of
//! a bridge and its ports, the bridge's MAC, multicast snooping. Every value is checked against
//! the kernel's own limits (a link's IFLA_MIN_MTU/IFLA_MAX_MTU) before the first change; each
//! change is recorded in the journal with the old value.

use crate::kernel::set_bridge_attr;
use crate::model::{br_attr, Links};
use crate::stp::parse_on_off;
use crate::{Ctx, Scope};
use netlink_packet_route::link::{InfoBridge, LinkAttribute, LinkMessage};
use rtnetlink::{Handle, LinkUnspec};
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::error::quote;
use vnet_common::links::{link_attr, link_mac, link_mtu, link_name};
use vnet_common::mac::{parse_mac, parse_unicast_mac};
use vnet_common::{Context, Error, Journal, Render, Result, Verb};

/// The MTU range the kernel allows a link (IFLA_MIN_MTU..IFLA_MAX_MTU; a bridge: 68..65535).
pub fn mtu_range(link: &LinkMessage) -> (u32, u32) {
    let min = link_attr(link, |a| match a {
        LinkAttribute::MinMtu(m) => Some(*m),
        _ => None,
    });
    let max = link_attr(link, |a| match a {
        LinkAttribute::MaxMtu(m) => Some(*m),
        _ => None,
    });
    (min.unwrap_or(68), max.filter(|m| *m != 0).unwrap_or(65535))
}

/// An MTU as given on the command line: a whole number; exit 7 otherwise.
pub fn parse_mtu(text: &str) -> Result<u32> {
    text.parse::<u32>().map_err(|_| {
        Error::invalid(format!(
            "invalid MTU {}: expected a whole number of bytes, like 9000",
            quote(text)
        ))
    })
}

/// Checks `mtu` against the range of every link in `links` (exit 7 naming the first that refuses).
pub fn check_mtu(mtu: u32, links: &[&LinkMessage]) -> Result<()> {
    for link in links {
        let (min, max) = mtu_range(link);
        if mtu < min || mtu > max {
            return Err(Error::invalid(format!(
                "MTU {mtu} out of range for '{}': the kernel allows {min}..{max}",
                link_name(link)
            )));
        }
    }
    Ok(())
}

async fn change_mtu(handle: &Handle, index: u32, mtu: u32) -> Result<()> {
    let message = LinkUnspec::new_with_index(index).mtu(mtu).build();
    handle.link().set(message).execute().await.map_err(Error::from)
}

/// Sets a link's MTU (when it differs) and records setting the old one back; true if changed.
async fn set_mtu(handle: &Handle, journal: &mut Journal, link: &LinkMessage, mtu: u32) -> Result<bool> {
    let (index, name) = (link.header.index, link_name(link));
    let old = link_mtu(link).unwrap_or(mtu);
    if old == mtu {
        return Ok(false);
    }
    let what = format!("set the MTU of '{name}' to {mtu}");
    change_mtu(handle, index, mtu).await.context(&what)?;
    let handle = handle.clone();
    journal.record(what, async move { change_mtu(&handle, index, old).await })?;
    Ok(true)
}

/// Set the MTU of a bridge, and with --ports of all its ports (ip link set BR mtu N).
///
/// The value must lie in the range the kernel allows each link it is set on (its min/max MTU: a
/// bridge 68..65535, a veth 68..65535, a tap 68..65521); otherwise exit 7 and nothing changes.
/// The kernel keeps an MTU set by hand on a bridge when ports join or leave. With --ports the
/// ports are set first, then the bridge; if one step fails the ones before it are put back.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setmtu {
    /// The bridge.
    bridge: String,
    /// The MTU in bytes (e.g. 9000 for jumbo frames).
    #[arg(value_name = "MTU", allow_hyphen_values = true)]
    mtu: String,
    /// Set every port of the bridge to the same MTU.
    #[arg(long)]
    ports: bool,
}

/// The MTUs after setmtu / setportmtu.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MtuSet {
    /// The bridge.
    pub bridge: String,
    /// The MTU asked for.
    pub mtu: u32,
    /// The links whose MTU was changed (those already at MTU are left out).
    pub changed_links: Vec<String>,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for MtuSet {}

impl Verb for Setmtu {
    type Ctx = Ctx;
    type Output = MtuSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<MtuSet> {
        let mtu = parse_mtu(&self.mtu)?;
        let what = format!("set the MTU of bridge '{}'", self.bridge);
        let bridge = self.bridge.clone();
        let ports = self.ports;
        let changed_links = ctx
            .run(|at| async move {
                let links = match ports {
                    true => Links::load(&at.handle).await?,
                    false => Links::named(&at.handle, &[&bridge]).await?,
                };
                let br = links.bridge(&bridge, at.ns)?;
                let mut targets = if ports { links.ports(br) } else { vec![] };
                targets.push(br);
                check_mtu(mtu, &targets)?;
                let mut changed = vec![];
                for link in targets {
                    if set_mtu(&at.handle, journal, link, mtu).await? {
                        changed.push(link_name(link));
                    }
                }
                Ok(changed)
            })
            .map_err(|e| e.context(what))?;
        Ok(MtuSet {
            bridge: self.bridge,
            mtu,
            changed: !changed_links.is_empty(),
            changed_links,
        })
    }
}

/// Set the MTU of one port of a bridge (ip link set PORT mtu N).
///
/// The value must lie in the port's own range (its min/max MTU, e.g. 68..65521 for a tap);
/// otherwise exit 7 and nothing changes. Exit 3 when PORT is not a port of BRIDGE.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setportmtu {
    /// The bridge.
    bridge: String,
    /// The port.
    port: String,
    /// The MTU in bytes.
    #[arg(value_name = "MTU", allow_hyphen_values = true)]
    mtu: String,
}

impl Verb for Setportmtu {
    type Ctx = Ctx;
    type Output = MtuSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<MtuSet> {
        let mtu = parse_mtu(&self.mtu)?;
        let what = format!("set the MTU of port '{}'", self.port);
        let (bridge, port) = (self.bridge.clone(), self.port.clone());
        let changed_links = ctx
            .run(|at| async move {
                let links = Links::named(&at.handle, &[&bridge, &port]).await?;
                let br = links.bridge(&bridge, at.ns)?;
                let link = links.port(br, &port, at.ns)?;
                check_mtu(mtu, &[link])?;
                let changed = set_mtu(&at.handle, journal, link, mtu).await?;
                Ok(if changed { vec![port] } else { vec![] })
            })
            .map_err(|e| e.context(what))?;
        Ok(MtuSet {
            bridge: self.bridge,
            mtu,
            changed: !changed_links.is_empty(),
            changed_links,
        })
    }
}

/// Set the bridge's own MAC address (ip link set BR address MAC).
///
/// A unicast address only: a multicast (first byte odd), broadcast, all-zero or malformed MAC is
/// exit 7 and nothing changes. The kernel keeps a MAC set by hand when ports join or leave (the
/// bridge no longer takes the lowest port MAC).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setmac {
    /// The bridge.
    bridge: String,
    /// Six hex pairs, like 02:42:ac:11:00:02.
    #[arg(value_name = "MAC")]
    mac: String,
}

/// The bridge's MAC after setmac.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MacSet {
    /// The bridge.
    pub bridge: String,
    /// The MAC now, lower case.
    pub mac: String,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for MacSet {}

async fn change_mac(handle: &Handle, index: u32, mac: [u8; 6]) -> Result<()> {
    let message = LinkUnspec::new_with_index(index).address(mac.to_vec()).build();
    handle.link().set(message).execute().await.map_err(Error::from)
}

impl Verb for Setmac {
    type Ctx = Ctx;
    type Output = MacSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<MacSet> {
        let mac = parse_unicast_mac(&self.mac)?;
        let bytes = parse_mac(&mac)?;
        let what = format!("set the MAC of bridge '{}'", self.bridge);
        let step = what.clone();
        let (bridge, wanted) = (self.bridge.clone(), mac.clone());
        let changed = ctx
            .run(|at: Scope<'_>| async move {
                let links = Links::named(&at.handle, &[&bridge]).await?;
                let br = links.bridge(&bridge, at.ns)?;
                let old = link_mac(br).unwrap_or_default();
                if old == wanted {
                    return Ok(false);
                }
                let index = br.header.index;
                change_mac(&at.handle, index, bytes).await?;
                let handle = at.handle.clone();
                journal.record(
                    step,
                    async move { change_mac(&handle, index, parse_mac(&old)?).await },
                )?;
                Ok(true)
            })
            .map_err(|e| e.context(what))?;
        Ok(MacSet {
            bridge: self.bridge,
            mac,
            changed,
        })
    }
}

/// Turn multicast (IGMP/MLD) snooping on or off (ip link set BR type bridge mcast_snooping 0|1).
///
/// Off: the bridge floods multicast to every port, which is what a lab of guests that use
/// multicast without a querier needs.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setmcsnoop {
    /// The bridge.
    bridge: String,
    /// on|off (also yes|no, 1|0).
    #[arg(value_name = "on|off")]
    state: String,
}

/// The bridge's multicast snooping switch after setmcsnoop.
#[derive(Debug, Serialize, JsonSchema)]
pub struct McSnoopSet {
    /// The bridge.
    pub bridge: String,
    /// Whether multicast snooping is on now.
    pub multicast_snooping: bool,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for McSnoopSet {}

impl Verb for Setmcsnoop {
    type Ctx = Ctx;
    type Output = McSnoopSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<McSnoopSet> {
        let on = parse_on_off(&self.state)?;
        let what = format!("set multicast snooping on bridge '{}'", self.bridge);
        let switch: Switch = (
            |br| Ok(br_attr!(br, MulticastSnooping)),
            InfoBridge::MulticastSnooping,
        );
        let changed = set_switch(ctx, journal, &self.bridge, what, on, switch)?;
        Ok(McSnoopSet {
            bridge: self.bridge,
            multicast_snooping: on,
            changed,
        })
    }
}

/// How a bridge's on/off switch is read (after any check of the bridge; an error refuses the
/// change) and which attribute sets it.
pub type Switch = (fn(&LinkMessage) -> Result<bool>, fn(bool) -> InfoBridge);

/// Turns an on/off switch of `bridge` to `on`, journaling the old value; false when it already
/// was (nothing is done). Errors say `what`.
pub fn set_switch(
    ctx: &mut Ctx,
    journal: &mut Journal,
    bridge: &str,
    what: String,
    on: bool,
    (current, attr): Switch,
) -> Result<bool> {
    let step = what.clone();
    let bridge = bridge.to_string();
    ctx.run(|at| async move {
        let links = Links::named(&at.handle, &[&bridge]).await?;
        let br = links.bridge(&bridge, at.ns)?;
        if current(br)? == on {
            return Ok(false);
        }
        let change = (attr(!on), attr(on));
        set_bridge_attr(&at.handle, journal, step, br.header.index, change).await?;
        Ok(true)
    })
    .map_err(|e| e.context(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(name: &str, min: Option<u32>, max: Option<u32>) -> LinkMessage {
        let mut link = LinkMessage::default();
        link.attributes.push(LinkAttribute::IfName(name.into()));
        if let Some(min) = min {
            link.attributes.push(LinkAttribute::MinMtu(min));
        }
        if let Some(max) = max {
            link.attributes.push(LinkAttribute::MaxMtu(max));
        }
        link
    }

    #[test]
    fn mtu_is_checked_against_each_links_range() {
        let tap = link("tap0", Some(68), Some(65521));
        let br = link("br0", Some(68), Some(65535));
        assert!(check_mtu(9000, &[&tap, &br]).is_ok());
        let e = check_mtu(65535, &[&tap, &br]).unwrap_err();
        assert_eq!(e.exit_code(), 7);
        assert!(
            e.message.contains("'tap0'") && e.message.contains("68..65521"),
            "{e}"
        );
        assert_eq!(check_mtu(67, &[&br]).unwrap_err().exit_code(), 7);
        // No range reported: the bridge limits.
        assert_eq!(mtu_range(&link("x", None, None)), (68, 65535));
        assert_eq!(parse_mtu("9000").unwrap(), 9000);
        for bad in ["", "-1", "9k", "1e4", "4294967296"] {
            assert_eq!(parse_mtu(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
    }
}
