//! The options of `link set` beyond state, MAC, MTU, name and namespace, as ip link sets them:
//! the flags promisc, arp, multicast and allmulticast, txqueuelen, alias, and the options of
//! `type bridge` (on a bridge) and `type bridge_slave` (on a bridge port). Checked against the
//! link before the first change of the verb; each change is its own request, journaled with the
//! old value; the link's details after the change are reported with ip -d -j's names.

use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use rtnetlink::{Handle, LinkUnspec};
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::bridge_options::{
    check_bridge, check_port, set_bridge_options, set_port_options, BridgeOption, BridgeSettings, PortOption,
    PortSettings,
};
use vnet_common::links::{self, link_attr};
use vnet_common::{Context, Error, Journal, Result};

/// A link flag `link set` switches: promisc, arp (the NOARP flag, inverted), multicast,
/// allmulticast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Promisc,
    Arp,
    Multicast,
    Allmulticast,
}

impl Flag {
    fn word(self) -> &'static str {
        match self {
            Flag::Promisc => "promisc",
            Flag::Arp => "arp",
            Flag::Multicast => "multicast",
            Flag::Allmulticast => "allmulticast",
        }
    }

    /// Whether the flag is on for `link` (arp: NOARP is off).
    fn is_on(self, link: &LinkMessage) -> bool {
        let flags = link.header.flags;
        match self {
            Flag::Promisc => flags.contains(LinkFlags::Promisc),
            Flag::Arp => !flags.contains(LinkFlags::Noarp),
            Flag::Multicast => flags.contains(LinkFlags::Multicast),
            Flag::Allmulticast => flags.contains(LinkFlags::Allmulti),
        }
    }

    fn message(self, index: u32, on: bool) -> LinkMessage {
        let builder = LinkUnspec::new_with_index(index);
        match self {
            Flag::Promisc => builder.promiscuous(on),
            Flag::Arp => builder.arp(on),
            Flag::Multicast => builder.multicast(on),
            Flag::Allmulticast => builder.allmulticast(on),
        }
        .build()
    }
}

/// The options of one `link set`, every value checked.
#[derive(Debug, Default, PartialEq)]
pub struct OptionsSpec {
    pub flags: Vec<(Flag, bool)>,
    pub txqueuelen: Option<u32>,
    pub alias: Option<String>,
    /// `type bridge_slave ...`
    pub port: Vec<PortOption>,
    /// `type bridge ...`
    pub bridge: Vec<BridgeOption>,
}

impl OptionsSpec {
    pub fn is_empty(&self) -> bool {
        self == &OptionsSpec::default()
    }

    /// Checks the options against the link before the first change: a bridge_slave option on a
    /// link that is no bridge port is exit 3, a bridge option on a non-bridge exit 7, an option
    /// this kernel does not report exit 6.
    pub fn check(&self, link: &LinkMessage) -> Result<()> {
        if !self.port.is_empty() {
            check_port(link, &self.port)?;
        }
        if !self.bridge.is_empty() {
            check_bridge(link, &self.bridge)?;
        }
        Ok(())
    }
}

/// The link's details after `link set`, named as `ip -d -j link show` names them.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct LinkDetails {
    /// The flags as ip prints them: "BROADCAST", "MULTICAST", "NOARP", "ALLMULTI", "PROMISC",
    /// "UP", "LOWER_UP"...
    pub flags: Vec<String>,
    /// The transmit queue length.
    pub txqlen: Option<u32>,
    /// The alias (ip link set X alias NAME); null when none is set.
    pub ifalias: Option<String>,
    /// A bridge port's options (ip's linkinfo.info_slave_data, in bridge -j link show's names);
    /// null for a link that is no bridge port.
    pub info_slave_data: Option<PortSettings>,
    /// A bridge's options (ip's linkinfo.info_data); null for a link that is no bridge.
    pub info_data: Option<BridgeSettings>,
}

impl LinkDetails {
    pub fn of(link: &LinkMessage) -> LinkDetails {
        let flags = vnet_common::links::ip_flags(link);
        LinkDetails {
            flags,
            txqlen: link_attr(link, |a| match a {
                LinkAttribute::TxQueueLen(n) => Some(*n),
                _ => None,
            }),
            ifalias: link_attr(link, |a| match a {
                LinkAttribute::IfAlias(alias) => Some(alias.clone()),
                _ => None,
            }),
            info_slave_data: PortSettings::of(link),
            info_data: BridgeSettings::of(link),
        }
    }
}

/// The details of the link called `name` now.
pub async fn details(handle: &Handle, name: &str, ns: Option<&str>) -> Result<LinkDetails> {
    Ok(LinkDetails::of(&links::require_link(handle, name, ns).await?))
}

async fn send(handle: &Handle, message: LinkMessage) -> Result<()> {
    handle.link().set(message).execute().await.map_err(Error::from)
}

/// Makes one change (`message`) unless the link has it already, journaling `undo`; the change as
/// ip words it when one was made.
async fn change(
    handle: &Handle,
    journal: &mut Journal,
    step: String,
    (message, undo): (LinkMessage, LinkMessage),
) -> Result<String> {
    send(handle, message).await.context(&step)?;
    let back = handle.clone();
    journal.record(step.clone(), async move { send(&back, undo).await })?;
    Ok(step)
}

/// Applies the options the link does not have yet (checked with [`OptionsSpec::check`] first).
/// Returns the changes made, as ip words them.
pub async fn apply(
    handle: &Handle,
    link: &LinkMessage,
    spec: &OptionsSpec,
    what: &str,
    journal: &mut Journal,
) -> Result<Vec<String>> {
    let index = link.header.index;
    let mut changes = vec![];
    for (flag, on) in spec.flags.iter().copied() {
        if flag.is_on(link) != on {
            let step = format!("{} {}", flag.word(), if on { "on" } else { "off" });
            let pair = (flag.message(index, on), flag.message(index, !on));
            changes.push(change(handle, journal, step, pair).await.context(what)?);
        }
    }
    let old = LinkDetails::of(link);
    if let Some(len) = spec.txqueuelen.filter(|len| old.txqlen != Some(*len)) {
        let message = |n: u32| LinkUnspec::new_with_index(index).txqueuelen(n).build();
        let pair = (message(len), message(old.txqlen.unwrap_or(len)));
        changes.push(
            change(handle, journal, format!("txqueuelen {len}"), pair)
                .await
                .context(what)?,
        );
    }
    let old_alias = old.ifalias.unwrap_or_default();
    if let Some(alias) = spec.alias.as_ref().filter(|a| **a != old_alias) {
        let message = |a: &str| LinkUnspec::new_with_index(index).alias(a).build();
        let pair = (message(alias), message(&old_alias));
        changes.push(
            change(handle, journal, format!("alias {alias}"), pair)
                .await
                .context(what)?,
        );
    }
    let (as_port, as_bridge) = (format!("{what} type bridge_slave"), format!("{what} type bridge"));
    changes.extend(set_port_options(handle, journal, &as_port, link, &spec.port).await?);
    changes.extend(set_bridge_options(handle, journal, &as_bridge, link, &spec.bridge).await?);
    Ok(changes)
}
