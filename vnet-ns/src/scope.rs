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
    /// Link names by index, read on first use ([`Scope::links`]).
    names: Option<HashMap<u32, String>>,
}

impl Scope {
    /// A socket in `ns` (a missing namespace is exit 3, a bad name exit 7). Its links are not
    /// read yet: for speed, a verb that names no link (rule add/del) or one link by name reads
    /// no link table; reading every link's name first made `rule add` 1.8x ip's CPU time.
    pub fn open(ns: Option<&str>) -> Result<Scope> {
        Ok(Scope {
            socket: RouteSocket::open(ns)?,
            ns: ns.map(str::to_string),
            names: None,
        })
    }

    /// The name of every link here, by index (one dump of the link names, on first use).
    pub fn links(&mut self) -> Result<&HashMap<u32, String>> {
        if self.names.is_none() {
            let names = self
                .socket
                .link_names()
                .map_err(|e| e.context("list interfaces"))?;
            self.names = Some(names);
        }
        Ok(self.names.get_or_insert_default())
    }

    /// The index of link `name` here, asked for by name (no dump); a missing link is exit 3.
    pub fn index(&mut self, name: &str) -> Result<u32> {
        let found = self
            .socket
            .index_of(name)
            .map_err(|e| e.context(format!("look up interface '{name}'")))?;
        found.ok_or_else(|| links::missing_link(name, self.ns.as_deref()))
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
