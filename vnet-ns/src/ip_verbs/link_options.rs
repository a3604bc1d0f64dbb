//! The keywords of `link set` beyond up/down, address, mtu, name and netns, in ip link's words:
//! `promisc|arp|multicast|allmulticast on|off`, `txqueuelen N` (`txqlen`), `alias NAME`, and
//! after `type bridge_slave` a bridge port's options, after `type bridge` a bridge's (the work:
//! crate::linkopts).

use crate::linkopts::{Flag, OptionsSpec};
use vnet_common::bridge_options::{self as opts, BridgeOption, PortOption};
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::{Error, Result};

/// What `type` names in `link set`: whose options follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SetType {
    /// The link is a bridge: stp_state, forward_delay, hello_time, max_age, ageing_time,
    /// vlan_filtering, mcast_*, group_fwd_mask, vlan_protocol, nf_call_*.
    Bridge,
    /// The link is a bridge port: learning, flood, mcast_flood, hairpin, isolated,
    /// neigh_suppress, cost, priority, state, mcast_router.
    #[value(name = "bridge_slave")]
    BridgeSlave,
}

/// The options of `link set`, flattened into its Args.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct LinkOptions {
    /// Promiscuous mode on or off.
    #[arg(long, value_name = "on|off", value_parser = opts::on_off, help_heading = HEADING)]
    pub promisc: Option<bool>,
    /// ARP on or off (off sets NOARP).
    #[arg(long, value_name = "on|off", value_parser = opts::on_off, help_heading = HEADING)]
    pub arp: Option<bool>,
    /// The MULTICAST flag on or off.
    #[arg(long, value_name = "on|off", value_parser = opts::on_off, help_heading = HEADING)]
    pub multicast: Option<bool>,
    /// Receive all multicast (ALLMULTI) on or off.
    #[arg(long, value_name = "on|off", value_parser = opts::on_off, help_heading = HEADING)]
    pub allmulticast: Option<bool>,
    /// The transmit queue length.
    #[arg(long, visible_alias = "txqlen", value_name = "N", value_parser = txqueuelen, allow_hyphen_values = true, help_heading = HEADING)]
    pub txqueuelen: Option<u32>,
    /// An alias (up to 255 bytes; "" removes it).
    #[arg(long, value_name = "NAME", value_parser = alias, help_heading = HEADING)]
    pub alias: Option<String>,
    /// bridge or bridge_slave: the options after it are that kind's.
    #[arg(long = "type", value_enum, value_name = "bridge|bridge_slave", help_heading = HEADING)]
    pub kind: Option<SetType>,
    #[command(flatten)]
    pub port: opts::PortKeywords,
    /// bridge_slave: the port's multicast router mode 0..3; bridge: the bridge's, 0..2 (0
    /// disabled, 1 automatic, 2 permanent, 3 temporary).
    #[arg(long, visible_aliases = ["mcast_router", "multicast_router"], value_name = "N", help_heading = HEADING)]
    pub mcast_router: Option<String>,
    #[command(flatten)]
    pub bridge: vnet_common::bridge_keywords::BridgeKeywords,
}

fn txqueuelen(text: &str) -> Result<u32> {
    text.parse().map_err(|_| {
        Error::invalid(format!(
            "link set: invalid txqueuelen {}: not a number",
            quote(text)
        ))
    })
}

fn alias(text: &str) -> Result<String> {
    // The kernel's IFALIASZ is 256 with the terminating NUL.
    if text.len() > 255 {
        return Err(Error::invalid(format!(
            "link set: alias of {} bytes is too long: at most 255",
            text.len()
        )));
    }
    Ok(text.to_string())
}

impl LinkOptions {
    /// The options, checked: an option of the other type, or one without `type`, is a usage
    /// error (ip refuses it as garbage); a bad mcast_router is exit 7.
    pub fn spec(self) -> Result<OptionsSpec> {
        let flags = [
            (Flag::Promisc, self.promisc),
            (Flag::Arp, self.arp),
            (Flag::Multicast, self.multicast),
            (Flag::Allmulticast, self.allmulticast),
        ];
        let port = self.port_options()?;
        let bridge = self.bridge_options()?;
        for (options, kind) in [
            (!port.is_empty(), SetType::BridgeSlave),
            (!bridge.is_empty(), SetType::Bridge),
        ] {
            if options && self.kind != Some(kind) {
                let named = if kind == SetType::Bridge {
                    "bridge"
                } else {
                    "bridge_slave"
                };
                return Err(super::usage(
                    "link set",
                    &format!("the {named} options need 'type {named}' before them"),
                ));
            }
        }
        Ok(OptionsSpec {
            flags: flags.into_iter().filter_map(|(f, on)| Some((f, on?))).collect(),
            txqueuelen: self.txqueuelen,
            alias: self.alias,
            port,
            bridge,
        })
    }

    fn port_options(&self) -> Result<Vec<PortOption>> {
        let mcast_router = match (&self.mcast_router, self.kind) {
            (Some(text), Some(SetType::BridgeSlave) | None) => Some(opts::port_mcast_router(text)?),
            _ => None,
        };
        let mut options = self.port.options();
        options.extend(mcast_router.map(PortOption::McastRouter));
        Ok(options)
    }

    fn bridge_options(&self) -> Result<Vec<BridgeOption>> {
        let mcast_router = match (&self.mcast_router, self.kind) {
            (Some(text), Some(SetType::Bridge)) => Some(opts::bridge_mcast_router(text)?),
            _ => None,
        };
        let mut options = self.bridge.options();
        options.extend(mcast_router.map(BridgeOption::McastRouter));
        Ok(options)
    }
}
