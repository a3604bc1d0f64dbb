//! `forward add|del|list|apply`: host ports forwarded to guests on libvirt NAT networks. The
//! forwards list and the firewall rules are vnet-common's (libvirt/forwards): vnet-vm removes a
//! domain's forwards through it when the domain is undefined. This module holds the verbs and
//! what they check before anything changes.

mod add;
mod del;
mod domain;
mod list;
mod listeners;
mod target;

use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::libvirt::forwards::{self, ports_text, Forward};
use vnet_common::libvirt::Session;
use vnet_common::verb::{Render, TextStyle};
use vnet_common::Result;

pub use list::health;

vnet_common::verbs! {
    pub enum ForwardVerb for Session {
        /// Forward a host port (or range) to a guest on a NAT network.
        Add(add::Add),
        /// Remove a forward; the ruleset is left as it was before it was added.
        #[command(visible_alias = "delete")]
        Del(del::Del),
        /// List the forwards (JSON array; -o text: a table).
        #[command(visible_alias = "ls")]
        List(list::List),
        /// Make the firewall match the forwards again (what libvirt's hooks run).
        Apply(list::Apply),
    }
}

/// A forward added or removed, with whether this call changed anything.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Forwarded {
    #[serde(flatten)]
    pub forward: Forward,
    /// True when this call changed the forwards (false: --exist-ok found it already there).
    pub changed: bool,
}

/// Mutating verbs print nothing in text mode.
impl Render for Forwarded {}

/// The forwards, in the order they were added.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Forwards(pub Vec<Forward>);

/// `-o text`: one row per forward, in the spirit of `iptables -t nat -L` but per forward.
impl Render for Forwards {
    fn text(&self, style: TextStyle) -> String {
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|f| {
                vec![
                    f.network.clone(),
                    f.proto.as_str().to_string(),
                    f.address.map_or("*".to_string(), |a| a.to_string()),
                    ports_text(f.port, f.port_end),
                    format!("{}:{}", f.to_ip, ports_text(f.to_port, f.to_port_end)),
                    f.domain.clone().unwrap_or_else(|| "-".into()),
                    f.tag.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        let headers = ["Network", "Proto", "Address", "Port", "To", "Domain", "Tag"];
        vnet_common::table::render(&headers, &rows, style)
    }
}

/// Forwards change this machine's firewall: a -c URI of another machine (or the test driver) is
/// refused before anything is read.
fn check_local(ctx: &Session) -> Result<()> {
    match ctx.uri_asked() {
        Some(uri) => forwards::check_local_uri(&uri),
        None => Ok(()),
    }
}
