//! show, link, addr: one namespace's interfaces and single changes to them.

use crate::linkset::{self, LinkChange};
use crate::{addrs, NsCtx};
use rtnetlink::Handle;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::cidr::parse_cidr;
use vnet_common::error::quote;
use vnet_common::links::{self, Interface};
use vnet_common::names::{validate_ifname, validate_netns_name};
use vnet_common::netlink::DumpSocket;
use vnet_common::{Error, ErrorKind, Journal, Render, Result, TextStyle, Verb};

/// Show a namespace's interfaces with state, MAC, MTU and addresses.
///
/// NAME is the namespace; without it, the namespace of -n NS, else the current one (the host's
/// links, as ip addr).
#[derive(Debug, clap::Args)]
pub struct Show {
    pub name: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Interfaces(pub Vec<Interface>);

impl Render for Interfaces {
    fn text(&self, _: TextStyle) -> String {
        self.0.iter().map(brief_line).collect()
    }
}

impl Verb for Show {
    type Ctx = NsCtx;
    type Output = Interfaces;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<Interfaces> {
        let ns = self.name.or_else(|| ctx.netns.clone());
        // A one-shot read: two blocking dumps over one socket, no async runtime.
        let mut socket = DumpSocket::open(ns.as_deref())?;
        let shown = socket.interfaces().map_err(|e| e.context("list interfaces"))?;
        Ok(Interfaces(shown))
    }
}

/// One line per interface, like `ip -br addr` with the MAC and MTU added.
fn brief_line(link: &Interface) -> String {
    format!(
        "{:<16} {:<14} {:<17} mtu {:<5} {}\n",
        link.name,
        link.state,
        link.mac.as_deref().unwrap_or("-"),
        link.mtu.map_or("null".to_string(), |m| m.to_string()),
        link.addresses.join(" ")
    )
}

/// An interface after a change: as `show` prints it, plus "changed".
#[derive(Debug, Serialize, JsonSchema)]
pub struct Changed {
    #[serde(flatten)]
    pub interface: Interface,
    pub changed: bool,
}

impl Render for Changed {}

pub async fn changed(handle: &Handle, ns: &str, iface: &str, changed: bool) -> Result<Changed> {
    changed_in(handle, Some(ns), iface, changed).await
}

/// The interface after a change, in `ns` (None: the current namespace).
pub async fn changed_in(handle: &Handle, ns: Option<&str>, iface: &str, changed: bool) -> Result<Changed> {
    let all = links::list_links(handle).await?;
    let link = links::require_link(handle, iface, ns).await?;
    let addrs = links::list_addresses(handle, Some(link.header.index)).await?;
    Ok(Changed {
        interface: Interface::new(&link, &addrs, &all),
        changed,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LinkState {
    Up,
    Down,
}

/// Set a link up or down, change its MAC, MTU or name, move it into a namespace, or delete it
/// (ip link set / ip link del), on any link: vnet's, or a tap or bridge made otherwise.
///
/// Forms: `link set [dev] IF [up|down] [address MAC] [mtu N] [name NEW] [netns NS]` and
/// `link del [dev] IF` act in -n NS (default: the current namespace); the older form
/// `link NS IFACE up|down` names the namespace first and is unchanged. A MAC must be unicast
/// (exit 7 for a multicast or malformed one); an MTU outside the link's own range
/// (IFLA_MIN_MTU..IFLA_MAX_MTU) is exit 7; renaming onto an existing name is exit 4; a missing
/// namespace for netns is exit 3. All of it is checked before the first change; each change is
/// journaled (a rename records the rename back, a move the move back), so a failure half-way
/// undoes the changes made. del cannot be undone (a veth's peer goes with it).
#[derive(Debug, clap::Args)]
pub struct Link {
    /// set ..., del ..., or NS IFACE up|down.
    #[arg(required = true, value_name = "ARGS")]
    pub args: Vec<String>,
    /// del: succeed with "changed": false when the link does not exist.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

/// The older form prints the interface; set and del print what they did.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum LinkOutput {
    Changed(Changed),
    Link(LinkChange),
}

impl Render for LinkOutput {}

impl Verb for Link {
    type Ctx = NsCtx;
    type Output = LinkOutput;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<LinkOutput> {
        let mut args = self.args;
        let action = args.remove(0);
        match action.as_str() {
            "set" | "del" | "delete" => {
                let ns = ctx.netns.clone();
                let set = action == "set";
                // Every word is checked before the namespace is opened.
                let spec = if set {
                    Some(linkset::parse_set(args.clone())?)
                } else {
                    None
                };
                let dev = if set {
                    None
                } else {
                    Some(linkset::parse_del(args)?)
                };
                let netlink = ctx.netlink()?;
                let change = match (spec, dev) {
                    (Some(spec), _) => linkset::run_set(netlink, ns, spec, journal)?,
                    (None, Some(dev)) => linkset::run_del(netlink, ns, dev, self.missing_ok, journal)?,
                    _ => unreachable!("set or del"),
                };
                Ok(LinkOutput::Link(change))
            }
            _ => {
                let [iface, state]: [String; 2] = args.try_into().map_err(|_| {
                    Error::new(
                        ErrorKind::Usage,
                        "link: expected 'set [dev] IF ...', 'del [dev] IF' or 'NS IFACE up|down'",
                    )
                    .with_hint("see 'vnet-ns link --help'")
                })?;
                let state = match state.as_str() {
                    "up" => LinkState::Up,
                    "down" => LinkState::Down,
                    other => {
                        return Err(Error::new(
                            ErrorKind::Usage,
                            format!("link: expected up or down, not {}", quote(other)),
                        )
                        .with_hint("see 'vnet-ns link --help'"))
                    }
                };
                set_state(ctx, &action, &iface, state, journal).map(LinkOutput::Changed)
            }
        }
    }
}

/// The older form: `link NS IFACE up|down`.
fn set_state(
    ctx: &mut NsCtx,
    ns: &str,
    iface: &str,
    state: LinkState,
    journal: &mut Journal,
) -> Result<Changed> {
    validate_netns_name(ns)?;
    validate_ifname(iface)?;
    let (netlink, handle) = ctx.handle_in(Some(ns))?;
    let up = state == LinkState::Up;
    let what = format!("set {iface} {state:?} in namespace '{ns}'").to_lowercase();
    netlink.run(async {
        let link = links::require_link(&handle, iface, Some(ns))
            .await
            .map_err(|e| e.context(&what))?;
        let was_up = links::link_is_up(&link);
        let index = link.header.index;
        links::set_up(&handle, index, up)
            .await
            .map_err(|e| e.context(&what))?;
        let undo = handle.clone();
        journal.record(&what, async move { links::set_up(&undo, index, was_up).await })?;
        changed(&handle, ns, iface, was_up != up).await
    })
}

/// Add, delete or flush addresses on a link, in the current namespace or -n NS (ip addr
/// add/del/flush), IPv4 and IPv6.
///
/// Forms: `addr add CIDR dev IF [nodad]`, `addr del CIDR dev IF`, `addr flush dev IF` act in
/// -n NS (default: the current namespace, so host links too); the older form `addr NS IFACE CIDR
/// [--del]` names the namespace first and is unchanged. A second IPv4 address in the subnet of
/// one already on the link becomes a secondary address, as with ip (ip -j addr shows it).
/// Deleting a primary IPv4 address removes its secondaries with it, as the kernel does. flush
/// removes every address of the link, secondaries first. Each change is journaled (add is
/// deleted again, del and flush add the addresses back).
#[derive(Debug, clap::Args)]
pub struct Addr {
    /// add CIDR dev IF, del CIDR dev IF, flush dev IF, or NS IFACE CIDR.
    #[arg(required = true, value_name = "ARGS")]
    pub args: Vec<String>,
    /// With the older form: remove the address instead of adding it.
    #[arg(long)]
    pub del: bool,
    /// add: succeed with "changed": false when the link already has the address.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// del: succeed with "changed": false when the link does not have the address.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

impl Verb for Addr {
    type Ctx = NsCtx;
    type Output = Changed;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Changed> {
        let mut args = self.args;
        match args[0].as_str() {
            "add" | "del" | "delete" | "flush" => {
                let action = args.remove(0);
                let spec = addrs::parse(&action, args)?;
                let opts = addrs::Options {
                    exist_ok: self.exist_ok,
                    missing_ok: self.missing_ok,
                };
                let (netlink, handle, ns) = ctx.scope()?;
                netlink.run(addrs::run(&handle, ns.as_deref(), spec, opts, journal))
            }
            _ => {
                let [ns, iface, cidr]: [String; 3] = args.try_into().map_err(|_| {
                    Error::new(
                        ErrorKind::Usage,
                        "addr: expected 'add|del CIDR dev IF', 'flush dev IF' or 'NS IFACE CIDR'",
                    )
                    .with_hint("see 'vnet-ns addr --help'")
                })?;
                older_addr(ctx, &ns, &iface, &cidr, self.del, journal)
            }
        }
    }
}

/// The older form: `addr NS IFACE CIDR [--del]`.
fn older_addr(
    ctx: &mut NsCtx,
    ns: &str,
    iface: &str,
    cidr: &str,
    del: bool,
    journal: &mut Journal,
) -> Result<Changed> {
    validate_netns_name(ns)?;
    validate_ifname(iface)?;
    let net = parse_cidr(cidr)?;
    let (netlink, handle) = ctx.handle_in(Some(ns))?;
    let what = if del { "delete" } else { "add" };
    netlink.run(async {
        let link = links::require_link(&handle, iface, Some(ns)).await?;
        let index = link.header.index;
        let done = if del {
            links::del_address(&handle, index, net).await
        } else {
            links::add_address(&handle, index, net).await
        };
        done.map_err(|e| match e.kind {
            ErrorKind::Exists => Error::exists(format!(
                "{what} {net} on {iface} in namespace '{ns}': already assigned"
            )),
            _ => e.context(format!("{what} address on {iface} in namespace '{ns}'")),
        })?;
        let undo = handle.clone();
        journal.record(format!("{what} {net} on {iface}"), async move {
            match del {
                true => links::add_address(&undo, index, net).await,
                false => links::del_address(&undo, index, net).await,
            }
        })?;
        changed(&handle, ns, iface, true).await
    })
}
