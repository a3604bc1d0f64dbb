//! show, link, addr: one namespace's interfaces and single changes to them.

use crate::NsCtx;
use rtnetlink::Handle;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::cidr::parse_cidr;
use vnet_common::links::{self, Interface};
use vnet_common::names::{validate_ifname, validate_netns_name};
use vnet_common::netlink::RouteSocket;
use vnet_common::{Error, ErrorKind, Journal, Render, Result, TextStyle, Verb};

/// Show a namespace's interfaces with state, MAC, MTU and addresses.
///
/// NAME is the namespace; without it, the namespace of -n NS, else the current one (the host's
/// links, as ip addr).
#[derive(Debug, clap::Args)]
#[group(skip)]
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
        let mut socket = RouteSocket::open(ns.as_deref())?;
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
    let link = links::require_link(handle, iface, ns).await?;
    Ok(Changed {
        interface: links::interface_of(handle, ns, &link).await?,
        changed,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LinkState {
    Up,
    Down,
}

/// The older form: `link NS IFACE up|down`.
pub(crate) fn set_state(
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

/// The older form: `addr NS IFACE CIDR [--del]`.
pub(crate) fn older_addr(
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
