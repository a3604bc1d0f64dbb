//! `link set|del`, and the older `link NS IFACE up|down`: any link of the current namespace or -n
//! NS (also links vnet did not create: a tap, a bridge), as ip link changes it (the work:
//! crate::linkset and crate::iface).

use crate::iface::{self, Changed, LinkState};
use crate::linkset::{self, LinkChange, SetSpec};
use crate::NsCtx;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::mac::parse_unicast_mac;
use vnet_common::verb::BareForm;
use vnet_common::{Error, Journal, Render, Result, Verb};

vnet_common::verbs! {
    pub enum LinkVerb for NsCtx {
        /// Make a link of a kind: vlan, macvlan, macvtap, ipvlan, dummy, bond, vxlan, gre,
        /// gretap, ipip, sit, wireguard (ip link add).
        Add(super::link_add::Add),
        /// List links with their kinds' details (ip -d -j link show).
        #[command(visible_alias = "list", visible_alias = "ls")]
        Show(super::link_show::Show),
        /// Change a link: up/down, MAC, MTU, name, namespace (ip link set).
        Set(Set),
        /// Delete a link (ip link del).
        #[command(visible_alias = "delete")]
        Del(Del),
    }
}

/// Set a link up or down, change its MAC, MTU or name, move it into a namespace, or delete it
/// (ip link set / ip link del), on any link: vnet's, or a tap or bridge made otherwise.
///
/// Forms: `link set [dev] IF [up|down] [address MAC] [mtu N] [name NEW] [netns NS]` and `link del
/// [dev] IF` act in -n NS (default: the current namespace); the older form `link NS IFACE up|down`
/// names the namespace first and is unchanged.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct LinkForms {
    #[command(subcommand)]
    pub verb: Option<LinkVerb>,
    #[command(flatten)]
    pub older: Option<Older>,
}

impl BareForm for LinkForms {
    type Set = LinkVerb;
    type Bare = Older;

    fn split(self) -> std::result::Result<LinkVerb, Older> {
        self.verb
            .ok_or_else(|| self.older.expect("clap requires a verb or NS IFACE STATE"))
    }
}

/// The older form: `link NS IFACE up|down` sets a link of namespace NS up or down and prints it.
#[derive(Debug, clap::Args)]
pub struct Older {
    /// The namespace.
    #[arg(value_name = "NS", required = true)]
    pub ns: Option<String>,
    /// The link.
    #[arg(value_name = "IFACE", required = true)]
    pub iface: Option<String>,
    /// up or down.
    #[arg(value_enum, value_name = "STATE", required = true)]
    pub state: Option<LinkState>,
}

/// The link: [dev] IF.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Device {
    /// The link.
    #[arg(value_name = "IF", required_unless_present = "dev")]
    pub link: Option<String>,
    /// The link, as IF.
    #[arg(long, value_name = "IF", value_parser = super::ifname, conflicts_with = "link", help_heading = HEADING)]
    pub dev: Option<String>,
}

impl Device {
    /// The name, checked (a bad one is exit 7).
    fn name(self) -> Result<String> {
        super::ifname(&self.link.or(self.dev).expect("clap requires IF or dev IF"))
    }
}

/// Change a link: `link set [dev] IF [up|down] [address MAC] [mtu N] [name NEW] [netns NS]
/// [master DEV | nomaster]`.
///
/// `master DEV` makes the link a port of bridge DEV or a slave of bond DEV (a missing DEV is exit
/// 3); `nomaster` takes it out; each is undone by putting the old master back.
/// `link set X netns NS name NEW` is one request, as ip makes it (the new name is taken in NS). A
/// MAC must be unicast (exit 7 for a multicast or malformed one); an MTU outside the link's own
/// range (IFLA_MIN_MTU..IFLA_MAX_MTU) is exit 7; renaming onto an existing name is exit 4; a
/// missing namespace for netns is exit 3. All of it is checked before the first change; each
/// change is journaled (a rename records the rename back, a move the move back), so a failure
/// half-way undoes the changes made. A word given twice counts once, the last, as with ip.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct Set {
    #[command(flatten)]
    pub device: Device,
    /// Bring the link up.
    #[arg(long, overrides_with = "down", help_heading = HEADING)]
    pub up: bool,
    /// Take the link down.
    #[arg(long, overrides_with = "up", help_heading = HEADING)]
    pub down: bool,
    /// A new MAC address (unicast).
    #[arg(long, visible_alias = "addr", value_name = "MAC", value_parser = parse_unicast_mac, help_heading = HEADING)]
    pub address: Option<String>,
    /// A new MTU, within the link's own range.
    #[arg(long, value_name = "N", value_parser = mtu, help_heading = HEADING)]
    pub mtu: Option<u32>,
    /// A new name.
    #[arg(long, value_name = "NEW", value_parser = super::ifname, help_heading = HEADING)]
    pub name: Option<String>,
    /// Move the link into this namespace.
    #[arg(long, value_name = "NS", value_parser = super::netns_name, help_heading = HEADING)]
    pub netns: Option<String>,
    #[command(flatten)]
    pub options: super::link_options::LinkOptions,
    /// Make the link a port of this bridge or a slave of this bond.
    #[arg(long, value_name = "DEV", value_parser = super::ifname, overrides_with = "nomaster", help_heading = HEADING)]
    pub master: Option<String>,
    /// Take the link out of its bridge or bond.
    #[arg(long, overrides_with = "master", help_heading = HEADING)]
    pub nomaster: bool,
}

fn mtu(text: &str) -> Result<u32> {
    text.parse()
        .map_err(|_| Error::invalid(format!("link set: invalid mtu {}: not a number", quote(text))))
}

impl Set {
    /// The change, every value checked.
    fn spec(self) -> Result<SetSpec> {
        let up = match (self.up, self.down) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        };
        let spec = SetSpec {
            dev: self.device.name()?,
            up,
            mac: self.address,
            mtu: self.mtu,
            name: self.name,
            netns: self.netns,
            options: self.options.spec()?,
            master: linkset::master_change(self.master, self.nomaster),
        };
        if (&spec.up, &spec.mac, &spec.mtu, &spec.name, &spec.netns) == (&None, &None, &None, &None, &None)
            && spec.options.is_empty()
            && spec.master.is_none()
        {
            return Err(super::usage(
                "link set",
                "nothing to change: give up, down, address, mtu, name, netns, master, nomaster or an option",
            ));
        }
        Ok(spec)
    }
}

/// Delete a link: `link del [dev] IF [type KIND]`.
///
/// Cannot be undone (a veth's peer goes with it). A missing link is exit 3 (--missing-ok:
/// "changed": false). `type KIND` is taken as ip takes it: the link is deleted whatever its kind.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Del {
    #[command(flatten)]
    pub device: Device,
    /// The link's kind, as ip link del accepts it (not checked, as with ip).
    #[arg(long = "type", value_name = "KIND", help_heading = HEADING)]
    pub kind: Option<String>,
    /// Succeed with "changed": false when the link does not exist.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

impl Render for LinkChange {}

impl Verb for Set {
    type Ctx = NsCtx;
    type Output = LinkChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<LinkChange> {
        // Every word is checked before the namespace is opened.
        let spec = self.spec()?;
        let ns = ctx.netns.clone();
        linkset::run_set(ctx.netlink()?, ns, spec, journal)
    }
}

impl Verb for Del {
    type Ctx = NsCtx;
    type Output = LinkChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<LinkChange> {
        let dev = self.device.name()?;
        let ns = ctx.netns.clone();
        linkset::run_del(ctx.netlink()?, ns, dev, self.missing_ok, journal)
    }
}

impl Verb for Older {
    type Ctx = NsCtx;
    type Output = Changed;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Changed> {
        let (ns, iface, state) = (self.ns, self.iface, self.state);
        let (Some(ns), Some(iface), Some(state)) = (ns, iface, state) else {
            unreachable!("clap requires NS IFACE STATE")
        };
        iface::set_state(ctx, &ns, &iface, state, journal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    fn set(line: &str) -> Result<SetSpec> {
        match parse_line(&format!("link set {line}"))? {
            NsVerb::Link(LinkForms {
                verb: Some(LinkVerb::Set(set)),
                ..
            }) => set.spec(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_ip_link_set() {
        let s = set("dev eth0 address 02:42:AC:11:00:02 mtu 1400 up").unwrap();
        assert_eq!(s.dev, "eth0");
        assert_eq!(s.mac.as_deref(), Some("02:42:ac:11:00:02"));
        assert_eq!((s.mtu, s.up), (Some(1400), Some(true)));
        let s = set("tap0 up name tap1 netns Blue down mtu 1 mtu 1500").unwrap();
        assert_eq!(s.mtu, Some(1500));
        assert_eq!(
            (s.name.as_deref(), s.netns.as_deref(), s.up),
            (Some("tap1"), Some("Blue"), Some(false))
        );
        let s = set("dev eth0 promisc on txqlen 5 alias up0 type bridge_slave learning off mcast_router 3")
            .unwrap();
        assert_eq!(s.options.flags, [(crate::linkopts::Flag::Promisc, true)]);
        assert_eq!(
            (s.options.txqueuelen, s.options.alias.as_deref()),
            (Some(5), Some("up0"))
        );
        use vnet_common::bridge_options::{BridgeOption, PortOption};
        assert_eq!(
            s.options.port,
            [PortOption::Learning(false), PortOption::McastRouter(3)]
        );
        let s = set("br0 type bridge mcast_querier 1 multicast_router 2 group_fwd_mask 0x8").unwrap();
        assert_eq!(
            s.options.bridge,
            [
                BridgeOption::McastQuerier(true),
                BridgeOption::GroupFwdMask(8),
                BridgeOption::McastRouter(2)
            ]
        );
        assert_eq!(
            set("eth0 addr 02:42:ac:11:00:03").unwrap().mac.as_deref(),
            Some("02:42:ac:11:00:03")
        );
        for line in [
            "link del dev tap0",
            "link delete tap0 --if-exists",
            "link --missing-ok del tap0",
        ] {
            match parse_line(line).unwrap() {
                NsVerb::Link(LinkForms {
                    verb: Some(LinkVerb::Del(del)),
                    ..
                }) => {
                    assert_eq!(del.device.name().unwrap(), "tap0")
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_older_form_names_the_namespace_first() {
        match parse_line("link Blue eth0 down").unwrap() {
            NsVerb::Link(LinkForms {
                verb: None,
                older: Some(older),
            }) => assert_eq!(
                (older.ns.as_deref(), older.iface.as_deref(), older.state),
                (Some("Blue"), Some("eth0"), Some(LinkState::Down))
            ),
            other => panic!("{other:?}"),
        }
        for line in [
            "link Blue eth0",
            "link Blue eth0 sideways",
            "link Blue eth0 up extra",
        ] {
            assert_eq!(parse_line(line).unwrap_err().exit_code(), 2, "{line}");
        }
        // `link` alone is ip's `ip link`: show.
        assert!(matches!(parse_line("link").unwrap(), crate::NsVerb::Link(_)));
    }

    #[test]
    fn refuses_bad_link_words() {
        for (line, code, needle) in [
            ("dev eth0 address 01:00:5e:00:00:01", 7, "multicast"),
            ("dev eth0 address 02:42:ac:11:00", 7, "invalid MAC address"),
            ("dev eth0 mtu big", 7, "invalid mtu 'big'"),
            ("dev eth0 name this-name-is-too-long", 7, "longer than 15"),
            ("dev eth0 netns ../x", 7, "invalid namespace name"),
            ("eth0/1 up", 7, "invalid interface name"),
            ("dev eth0", 2, "nothing to change"),
            ("dev eth0 promisc maybe", 7, "invalid value 'maybe'"),
            ("dev eth0 txqlen x", 7, "invalid txqueuelen 'x'"),
            ("dev eth0 learning off", 2, "need 'type bridge_slave'"),
            ("dev eth0 type bridge learning off", 2, "need 'type bridge_slave'"),
            (
                "dev eth0 type bridge_slave mcast_querier 1",
                2,
                "need 'type bridge'",
            ),
            ("dev eth0 type bridge_slave cost 0", 7, "cost '0' is out of range"),
            (
                "dev eth0 type bridge mcast_router 3",
                7,
                "mcast_router '3' is out of range",
            ),
            (
                "dev eth0 type bridge_slave mcast_router 4",
                7,
                "mcast_router '4' is out of range",
            ),
            ("dev eth0 type vlan", 7, "invalid value 'vlan'"),
            ("up", 2, "required"),
            ("dev eth0 frob", 2, "cannot be used with"),
            ("eth0 up frob", 2, "unexpected argument 'frob'"),
        ] {
            let e = set(line).unwrap_err();
            assert_eq!(e.exit_code(), code, "{line}: {}", e.message);
            assert!(e.message.contains(needle), "{line}: {}", e.message);
        }
    }
}
