//! The link changes of brctl's verbs (kernel.rs's requests, the same messages) sent over the
//! namespace's blocking socket ([`crate::Ctx::here`]) instead of the async runtime, and their
//! journaled forms: make the change, then record how to put the old value back, over a socket
//! of its own in that namespace. For speed: see [`crate::Ctx::here`].

use crate::kernel::{bridge_message, master_message, port_message, PortSetting};
use crate::Here;
use netlink_packet_route::link::InfoBridge;
use rtnetlink::LinkUnspec;
use vnet_common::netlink::RouteSocket;
use vnet_common::{Context, Journal, Result};

/// Records `what` in the journal, undone by `undo` over a new socket in `at`'s namespace.
fn record(
    at: &Here<'_>,
    journal: &mut Journal,
    what: String,
    undo: impl FnOnce(&mut RouteSocket) -> Result<()> + 'static,
) -> Result<()> {
    let ns = at.ns.map(str::to_string);
    journal.record_fn(what, move || undo(&mut RouteSocket::open(ns.as_deref())?))
}

/// Makes link `index` a port of `master`, recording how to put it back under `previous` (0: none).
pub fn enslave(
    at: &mut Here<'_>,
    journal: &mut Journal,
    what: String,
    (index, master, previous): (u32, u32, u32),
) -> Result<()> {
    at.socket.set_link(master_message(index, master)).context(&what)?;
    record(at, journal, what, move |socket| {
        socket.set_link(master_message(index, previous))
    })
}

/// Changes a bridge attribute from `old` to `new` and records setting `old` back.
pub fn set_bridge_attr(
    at: &mut Here<'_>,
    journal: &mut Journal,
    what: String,
    index: u32,
    (old, new): (InfoBridge, InfoBridge),
) -> Result<()> {
    at.socket.change_link(bridge_message(index, new)).context(&what)?;
    record(at, journal, what, move |socket| {
        socket.change_link(bridge_message(index, old))
    })
}

/// Changes a port setting from `old` to `new` and records setting `old` back.
pub fn set_port(
    at: &mut Here<'_>,
    journal: &mut Journal,
    what: String,
    index: u32,
    (old, new): (PortSetting, PortSetting),
) -> Result<()> {
    at.socket.change_link(port_message(index, new)).context(&what)?;
    record(at, journal, what, move |socket| {
        socket.change_link(port_message(index, old))
    })
}

/// Brings a link up or down (as vnet_common::links::set_up sends it), recording the opposite.
pub fn set_up(at: &mut Here<'_>, journal: &mut Journal, what: String, index: u32, up: bool) -> Result<()> {
    at.socket.set_link(up_message(index, up)).context(&what)?;
    record(at, journal, what, move |socket| {
        socket.set_link(up_message(index, !up))
    })
}

fn up_message(index: u32, up: bool) -> netlink_packet_route::link::LinkMessage {
    let message = LinkUnspec::new_with_index(index);
    if up { message.up() } else { message.down() }.build()
}
