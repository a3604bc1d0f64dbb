//! The pool verbs of XML documents (virsh's spelling and flags): pool-define FILE (a new pool, or
//! a new definition of an existing one, as virsh define does for domains), pool-create FILE (a
//! transient pool), pool-dumpxml, and pool-refresh.

use crate::storage::build::BuildFirst;
use crate::storage::disks as storage;
use crate::storage::pool_as::create_transient;
use crate::storage::pools::{self, validate_name, PoolChanged, PoolState};
use crate::xml::pool::{comparable, PoolXml};
use schemars::JsonSchema;
use serde::Serialize;
use std::path::{Path, PathBuf};
use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::xpath::XpathArgs;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// A pool file read and checked: its text and what it says. Missing file 3, not UTF-8 / too big /
/// malformed / a bad name 7.
fn read_pool_file(file: &Path) -> Result<(String, PoolXml, String)> {
    let text = vnet_common::files::read_text(file, vnet_common::files::MAX_XML)?;
    let head = PoolXml::read_file(&text).map_err(|e| e.context(quote(&file.display().to_string())))?;
    let name = head.name.clone().expect("read_file checks the name");
    validate_name("pool", &name)?;
    Ok((text, head, name))
}

/// The pool of this exact name (a file names its pool by name), or None.
fn by_name(conn: &Connect, name: &str) -> Result<Option<StoragePool>> {
    match StoragePool::lookup_by_name(conn, name) {
        Ok(pool) => Ok(Some(pool)),
        Err(e) if e.code() == virt::error::ErrorNumber::NoStoragePool => Ok(None),
        Err(e) => Err(vnet_common::libvirt::error(e).context(format!("storage pool {}", quote(name)))),
    }
}

/// Refuses what libvirt would refuse about another pool: the file's UUID or target taken by a
/// pool of another name (exit 4).
fn clashes(conn: &Connect, head: &PoolXml, name: &str) -> Result<()> {
    if let Some(uuid) = &head.uuid {
        if let Ok(other) = StoragePool::lookup_by_uuid_string(conn, uuid) {
            let other = other.get_name().unwrap_or_default();
            if other != name {
                return Err(Error::exists(format!(
                    "storage pool {other} already has UUID {uuid}"
                )));
            }
        }
    }
    if let Some(target) = &head.target {
        if let Ok(other) = StoragePool::lookup_by_target_path(conn, target) {
            let other = other.get_name().unwrap_or_default();
            if other != name {
                return Err(Error::exists(format!(
                    "storage pool {other} already has target {}",
                    quote(target)
                )));
            }
        }
    }
    Ok(())
}

/// A pool defined from a file.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PoolDefined {
    #[serde(flatten)]
    pub pool: PoolState,
    /// False when the file said what the definition already said.
    pub changed: bool,
    /// The XML file read.
    pub file: String,
    /// "created" (a new pool), "updated" (the file replaced an existing pool's persistent
    /// definition) or "unchanged".
    pub definition: String,
    /// True when the pool runs on its old definition until it is stopped and started again.
    pub restart_needed: bool,
}

/// virsh's confirmation when something changed.
impl Render for PoolDefined {
    fn text(&self, _style: TextStyle) -> String {
        if self.changed {
            format!("Pool {} defined from {}\n\n", self.pool.name, self.file)
        } else {
            String::new()
        }
    }
}

/// Define a storage pool from an XML file, or update its definition (virsh pool-define FILE).
///
/// The file is read as UTF-8 (at most 10 MiB) and must be one well-formed <pool type=...>
/// document with a <name>: anything else is exit 7 before libvirt is asked (a missing file is
/// 3). Over a pool of that name it replaces the persistent definition ("definition": "updated";
/// a file without <uuid> keeps the pool's own); a running pool keeps running on its old
/// definition until it is stopped and started ("restart_needed": true). A file that says what
/// the definition already says changes nothing ("changed": false, "definition": "unchanged").
/// Another UUID than the pool's, or a UUID or target of another pool, is exit 4. Undone on a
/// later failure (--batch --atomic): a new pool is undefined, an updated one gets its old
/// definition back.
#[derive(Debug, clap::Args)]
pub struct PoolDefine {
    /// The pool XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// Accepted for scripts that pass it: an identical definition is "changed": false either way.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// Have libvirt check the document against its pool schema first (virsh pool-define
    /// --validate): a document the schema refuses is exit 7 with libvirt's reason, nothing
    /// defined.
    #[arg(long)]
    pub validate: bool,
}

impl Verb for PoolDefine {
    type Ctx = Session;
    type Output = PoolDefined;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PoolDefined> {
        let (text, head, name) = read_pool_file(&self.file)?;
        let conn = ctx.conn()?;
        clashes(conn, &head, &name)?;
        let file = self.file.display().to_string();
        let flags = if self.validate {
            sys::VIR_STORAGE_POOL_DEFINE_VALIDATE
        } else {
            0
        };
        let Some(pool) = by_name(conn, &name)? else {
            let pool = storage::define_pool_xml_flags(conn, &name, &text, flags, journal)?;
            return defined(&pool, true, file, "created");
        };
        let uuid = pool.get_uuid_string().libvirt(format!("storage pool {name}"))?;
        let text = match &head.uuid {
            Some(u) if !u.eq_ignore_ascii_case(&uuid) => {
                return Err(Error::exists(format!(
                    "storage pool {name} already exists with another UUID ({uuid})"
                )))
            }
            Some(_) => text,
            // Without <uuid> libvirt would take the file for another pool of the same name.
            None => vnet_common::libvirt::document::insert_into_child(&text, "uuid", &uuid)?,
        };
        update(conn, &pool, (&text, flags), &name, file, journal)
    }
}

/// The inactive (persistent) definition of `pool`.
fn persistent_xml(pool: &StoragePool, name: &str) -> Result<String> {
    pool.get_xml_desc(sys::VIR_STORAGE_XML_INACTIVE)
        .libvirt(format!("XML of storage pool {name}"))
}

/// pool-define over an existing pool: the file (with libvirt's define flags) becomes its
/// persistent definition; the
/// definitions read before and after tell whether anything changed.
fn update(
    conn: &Connect,
    pool: &StoragePool,
    (text, flags): (&str, u32),
    name: &str,
    file: String,
    journal: &mut Journal,
) -> Result<PoolDefined> {
    let was_persistent = pool.is_persistent().libvirt(format!("storage pool {name}"))?;
    let before = persistent_xml(pool, name)?;
    let updated = StoragePool::define_xml(conn, text, flags).libvirt(format!("define pool {name}"))?;
    let after = persistent_xml(&updated, name)?;
    let permissions = text.contains("<permissions");
    let changed = !was_persistent || comparable(&before, permissions) != comparable(&after, permissions);
    if changed {
        let (conn, undo) = (conn.clone(), updated.clone());
        journal.record_fn(format!("update pool {name}"), move || match was_persistent {
            true => StoragePool::define_xml(&conn, &before, 0)
                .map(drop)
                .libvirt("define the pool again as it was"),
            // It was transient: undefining makes it so again.
            false => undo.undefine().libvirt("undefine the pool"),
        })?;
    }
    let running = updated.is_active().libvirt(format!("storage pool {name}"))?;
    let mut out = defined(
        &updated,
        changed,
        file,
        if changed { "updated" } else { "unchanged" },
    )?;
    out.restart_needed = changed && running && was_persistent;
    Ok(out)
}

fn defined(pool: &StoragePool, changed: bool, file: String, definition: &str) -> Result<PoolDefined> {
    Ok(PoolDefined {
        pool: PoolState::read(pool)?,
        changed,
        file,
        definition: definition.into(),
        restart_needed: false,
    })
}

/// Create and start a transient storage pool from an XML file (virsh pool-create FILE).
///
/// The same checks as pool-define; a pool of that name is exit 4. --build makes its directory
/// first (virsh --build; --overwrite / --no-overwrite as virsh passes them). The pool is gone
/// once stopped. Undone on a later failure (--batch --atomic): the pool is stopped.
#[derive(Debug, clap::Args)]
pub struct PoolCreate {
    /// The pool XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    #[command(flatten)]
    pub build: BuildFirst,
}

impl Verb for PoolCreate {
    type Ctx = Session;
    type Output = PoolChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PoolChanged> {
        let (text, head, name) = read_pool_file(&self.file)?;
        let conn = ctx.conn()?;
        if by_name(conn, &name)?.is_some() {
            return Err(
                Error::exists(format!("storage pool {name} already exists")).with_hint(format!(
                    "start it with 'vnet-vm pool-start {name}', or use another name"
                )),
            );
        }
        clashes(conn, &head, &name)?;
        let flags = self.build.create_flags();
        let pool = create_transient(conn, &name, &text, flags, journal)?;
        let mut out = pools::changed(&pool, true, "created")?;
        out.done = format!("created from {}", self.file.display());
        Ok(out)
    }
}

/// Re-read an active pool's volumes from its storage (virsh pool-refresh): files put in its
/// directory by hand become volumes, removed ones disappear.
///
/// An inactive pool is exit 1 (as libvirt refuses it); a missing one exit 3.
#[derive(Debug, clap::Args)]
pub struct PoolRefresh {
    /// Pool name or UUID.
    pub pool: String,
}

/// A pool after pool-refresh.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PoolRefreshed {
    #[serde(flatten)]
    pub pool: PoolState,
    /// True when the refresh changed the pool's volume list.
    pub changed: bool,
    /// The pool's volumes now, by name, sorted.
    pub volumes: Vec<String>,
}

/// virsh's confirmation (printed whether or not the list changed, as virsh does).
impl Render for PoolRefreshed {
    fn text(&self, _style: TextStyle) -> String {
        format!("Pool {} refreshed\n\n", self.pool.name)
    }
}

fn volume_names(pool: &StoragePool, name: &str) -> Result<Vec<String>> {
    let mut names = pool.list_volumes().libvirt(format!("volumes of pool {name}"))?;
    names.sort();
    Ok(names)
}

impl Verb for PoolRefresh {
    type Ctx = Session;
    type Output = PoolRefreshed;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<PoolRefreshed> {
        let pool = pools::require(ctx.conn()?, &self.pool)?;
        let name = vnet_common::libvirt::lookup::pool_name(&pool)?;
        if !pool.is_active().libvirt(format!("storage pool {name}"))? {
            return Err(Error::failed(format!("storage pool {name} is not active"))
                .with_hint(format!("start it: vnet-vm pool-start {name}")));
        }
        let before = volume_names(&pool, &name)?;
        pool.refresh(0).libvirt(format!("refresh pool {name}"))?;
        let volumes = volume_names(&pool, &name)?;
        Ok(PoolRefreshed {
            pool: PoolState::read(&pool)?,
            changed: before != volumes,
            volumes,
        })
    }
}

/// Print a storage pool's XML (virsh pool-dumpxml POOL [--inactive]).
///
/// Prints the XML document itself, as virsh does; -o json gives {"name", "xml"}.
#[derive(Debug, clap::Args)]
pub struct PoolDumpxml {
    /// Pool name or UUID.
    pub pool: String,
    /// The persistent definition rather than the running pool's.
    #[arg(long)]
    pub inactive: bool,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

/// A pool's XML.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PoolDocument {
    /// The pool's name.
    pub name: String,
    /// The pool XML as libvirt gives it; with --xpath, the selected nodes as printed.
    pub xml: String,
    /// With --xpath, each selected node's XML (with --wrap, the one `<nodes>` element); null
    /// without --xpath.
    pub nodes: Option<Vec<String>>,
}

impl Render for PoolDocument {
    fn text(&self, _style: TextStyle) -> String {
        self.xml.clone()
    }

    fn document(&self) -> Option<&str> {
        Some(&self.xml)
    }
}

impl Verb for PoolDumpxml {
    type Ctx = Session;
    type Output = PoolDocument;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<PoolDocument> {
        let pool = pools::require(ctx.conn()?, &self.pool)?;
        let name = vnet_common::libvirt::lookup::pool_name(&pool)?;
        let flags = if self.inactive {
            sys::VIR_STORAGE_XML_INACTIVE
        } else {
            0
        };
        let xml = pool
            .get_xml_desc(flags)
            .libvirt(format!("XML of storage pool {name}"))?;
        let (xml, nodes) = self.xpath.shown(xml)?;
        Ok(PoolDocument { name, xml, nodes })
    }
}
