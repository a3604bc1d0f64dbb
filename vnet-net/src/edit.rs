//! virsh net-edit: a network's persistent definition through the user's editor (see
//! vnet_common::libvirt::edit for what the edit verbs share).

use virt::connect::Connect;
use virt::network::Network;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::edit::{self, Edited};
use vnet_common::libvirt::lookup::network as lookup;
use vnet_common::libvirt::network::NetworkDef;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Result, Verb};

/// Edit a network's definition in $VISUAL or $EDITOR and define it again when changed (virsh
/// net-edit).
///
/// The persistent definition goes into a private temporary file and the editor runs on it as
/// virsh runs it (`sh -c "$EDITOR FILE"`), so `EDITOR='sed -i s/a/b/' vnet-net edit NET` works
/// in a script. A file left as it was changes nothing ("changed": false). A changed file must be
/// one well-formed <network> document that libvirt accepts; an editor that fails, or a document
/// refused, is exit 7 with the reason and the network as it was. On a terminal a refused
/// document is offered for editing again, as virsh does. An active network keeps its old
/// definition until it is destroyed and started ("restart_needed": true). Undone on a later
/// failure (--batch --atomic): the old definition is defined again.
#[derive(Debug, clap::Args)]
pub struct Edit {
    /// The network: name or UUID.
    pub network: String,
}

impl Verb for Edit {
    type Ctx = Session;
    type Output = Edited;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Edited> {
        let conn = ctx.conn()?;
        let net = lookup(conn, &self.network)?;
        let name = net.get_name().libvirt("network name")?;
        let uuid = net
            .get_uuid_string()
            .libvirt(format!("network {}", quote(&name)))?;
        let original = persistent_xml(&net, &name)?;
        let define = |text: &str| define_edited(conn, &net, &name, &original, text);
        let Some(edited) = edit::edit(&original, define)? else {
            return Ok(Edited::new("Network", name, uuid, false, false));
        };
        finish(conn, &edited, &uuid, original, journal)
    }
}

/// The network after a defined edit: changed unless its definition reads as before (libvirt
/// dropped what the edit added); only a change is recorded for undoing.
fn finish(
    conn: &Connect,
    edited: &Network,
    old_uuid: &str,
    original: String,
    journal: &mut Journal,
) -> Result<Edited> {
    let name = edited.get_name().libvirt("network name")?;
    let uuid = edited.get_uuid_string().libvirt("network UUID")?;
    let same = uuid == old_uuid;
    let changed = !same || persistent_xml(edited, &name)? != original;
    if changed {
        record_undo(conn, edited, same, original, journal)?;
    }
    let active = changed && edited.is_active().libvirt("network state")?;
    Ok(Edited::new("Network", name, uuid, changed, active))
}

/// The inactive (persistent) definition of `net`, as virsh net-edit shows it.
fn persistent_xml(net: &Network, name: &str) -> Result<String> {
    net.get_xml_desc(sys::VIR_NETWORK_XML_INACTIVE)
        .libvirt(format!("XML of network {}", quote(name)))
}

/// Defines the edited document: a well-formed <network> with a name (exit 7 else), over a
/// definition nobody changed meanwhile (exit 1 else), that libvirt accepts (exit 7 else).
fn define_edited(conn: &Connect, net: &Network, name: &str, original: &str, text: &str) -> Result<Network> {
    let def = NetworkDef::from_xml(text).map_err(|e| e.context("the edited document"))?;
    if def.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(Error::invalid(
            "the edited document: malformed network XML: no <name>",
        ));
    }
    if persistent_xml(net, name)? != original {
        return Err(Error::failed(format!(
            "network {}: its definition was changed by another user while it was edited",
            quote(name)
        )));
    }
    Network::define_xml(conn, text).map_err(|e| edit::refused(e, format!("define network {}", quote(name))))
}

/// The undo of an edit: the old definition again, or, when the edit made a new network (another
/// name without the old UUID), that network undefined.
fn record_undo(
    conn: &Connect,
    edited: &Network,
    same_network: bool,
    original: String,
    journal: &mut Journal,
) -> Result<()> {
    let (conn, edited) = (conn.clone(), edited.clone());
    journal.record_fn("edit the network's definition", move || match same_network {
        true => Network::define_xml(&conn, &original)
            .map(drop)
            .libvirt("define the network again as it was"),
        false => edited.undefine().libvirt("undefine the network the edit made"),
    })
}
