//! A blocking netlink socket in the -n namespace with the names of its links: what the neighbour,
//! rule and route-lookup verbs need (one or two requests each, so no async runtime), and the
//! journal steps that undo their changes over a socket of their own.

use netlink_packet_route::RouteNetlinkMessage;
use std::collections::HashMap;
use vnet_common::netlink::RouteSocket;
use vnet_common::{links, Journal, Result};

pub struct Scope {
    pub socket: RouteSocket,
    /// The -n namespace (None: the one vnet-ns runs in).
    pub ns: Option<String>,
    /// Link names by index.
    pub links: HashMap<u32, String>,
}

impl Scope {
    /// A socket in `ns` and its links (a missing namespace is exit 3, a bad name exit 7).
    pub fn open(ns: Option<&str>) -> Result<Scope> {
        let mut socket = RouteSocket::open(ns)?;
        let links = socket.link_names().map_err(|e| e.context("list interfaces"))?;
        Ok(Scope {
            socket,
            ns: ns.map(str::to_string),
            links,
        })
    }

    /// The index of link `name` here; a missing link is exit 3.
    pub fn index(&self, name: &str) -> Result<u32> {
        self.links
            .iter()
            .find(|(_, n)| n.as_str() == name)
            .map(|(i, _)| *i)
            .ok_or_else(|| links::missing_link(name, self.ns.as_deref()))
    }

    /// Sends `change` with `flags` and records `undo` (sent with `undo_flags` over a socket of
    /// its own in this namespace) in the journal as `what`.
    pub fn change(
        &mut self,
        what: &str,
        change: RouteNetlinkMessage,
        flags: u16,
        undo: RouteNetlinkMessage,
        undo_flags: u16,
        journal: &mut Journal,
    ) -> Result<()> {
        self.socket.change(change, flags).map_err(|e| e.context(what))?;
        let ns = self.ns.clone();
        journal.record_fn(what.to_string(), move || {
            RouteSocket::open(ns.as_deref())?.change(undo, undo_flags)
        })
    }
}
