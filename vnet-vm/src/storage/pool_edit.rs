//! virsh pool-edit: a storage pool's persistent definition through the user's editor (see
//! vnet_common::libvirt::edit for what the edit verbs share).

use crate::xml::pool::PoolXml;
use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::edit::{self, Edited};
use vnet_common::libvirt::lookup::pool as lookup;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Result, Verb};

/// Edit a storage pool's definition in $VISUAL or $EDITOR and define it again when changed
/// (virsh pool-edit).
///
/// The persistent definition goes into a private temporary file and the editor runs on it as
/// virsh runs it (`sh -c "$EDITOR FILE"`), so `EDITOR='sed -i s/a/b/' vnet-vm pool-edit POOL`
/// works in a script. A file left as it was changes nothing ("changed": false). A changed file
/// must be one well-formed <pool type=...> document with a <name> that libvirt accepts; an
/// editor that fails, or a document refused, is exit 7 with the reason and the pool as it was.
/// On a terminal a refused document is offered for editing again, as virsh does. A running pool
/// keeps its old definition until it is stopped and started ("restart_needed": true). Undone on
/// a later failure (--batch --atomic): the old definition is defined again.
#[derive(Debug, clap::Args)]
pub struct PoolEdit {
    /// The pool: name or UUID.
    pub pool: String,
}

impl Verb for PoolEdit {
    type Ctx = Session;
    type Output = Edited;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Edited> {
        let conn = ctx.conn()?;
        let pool = lookup(conn, &self.pool)?;
        let name = pool.get_name().libvirt("storage pool name")?;
        let uuid = pool
            .get_uuid_string()
            .libvirt(format!("storage pool {}", quote(&name)))?;
        let original = persistent_xml(&pool, &name)?;
        let define = |text: &str| define_edited(conn, &pool, &name, &original, text);
        let Some(edited) = edit::edit(&original, define)? else {
            return Ok(Edited::new("Pool", name, uuid, false, false));
        };
        finish(conn, &edited, &uuid, original, journal)
    }
}

/// The storage pool after a defined edit: changed unless its definition reads as before (libvirt
/// dropped what the edit added); only a change is recorded for undoing.
fn finish(
    conn: &Connect,
    edited: &StoragePool,
    old_uuid: &str,
    original: String,
    journal: &mut Journal,
) -> Result<Edited> {
    let name = edited.get_name().libvirt("storage pool name")?;
    let uuid = edited.get_uuid_string().libvirt("storage pool UUID")?;
    let same = uuid == old_uuid;
    let changed = !same || persistent_xml(edited, &name)? != original;
    if changed {
        record_undo(conn, edited, same, original, journal)?;
    }
    let active = changed && edited.is_active().libvirt("storage pool state")?;
    Ok(Edited::new("Pool", name, uuid, changed, active))
}

/// The inactive (persistent) definition of `pool`.
fn persistent_xml(pool: &StoragePool, name: &str) -> Result<String> {
    pool.get_xml_desc(sys::VIR_STORAGE_XML_INACTIVE)
        .libvirt(format!("XML of storage pool {}", quote(name)))
}

/// Defines the edited document: a well-formed <pool> with a type and a name (exit 7 else), over
/// a definition nobody changed meanwhile (exit 1 else), that libvirt accepts (exit 7 else).
fn define_edited(
    conn: &Connect,
    pool: &StoragePool,
    name: &str,
    original: &str,
    text: &str,
) -> Result<StoragePool> {
    PoolXml::read_file(text).map_err(|e| e.context("the edited document"))?;
    if persistent_xml(pool, name)? != original {
        return Err(Error::failed(format!(
            "storage pool {}: its definition was changed by another user while it was edited",
            quote(name)
        )));
    }
    StoragePool::define_xml(conn, text, 0)
        .map_err(|e| edit::refused(e, format!("define storage pool {}", quote(name))))
}

/// The undo of an edit: the old definition again, or, when the edit made a new pool (another
/// name without the old UUID), that pool undefined.
fn record_undo(
    conn: &Connect,
    edited: &StoragePool,
    same_pool: bool,
    original: String,
    journal: &mut Journal,
) -> Result<()> {
    let (conn, edited) = (conn.clone(), edited.clone());
    journal.record_fn("edit the storage pool's definition", move || match same_pool {
        true => StoragePool::define_xml(&conn, &original, 0)
            .map(drop)
            .libvirt("define the storage pool again as it was"),
        false => edited
            .undefine()
            .libvirt("undefine the storage pool the edit made"),
    })
}
