//! pool-define-as and pool-create-as (virsh's spelling and arguments): a pool described by its
//! type, target and source on the command line, defined (persistent) or created (transient,
//! running). Both read the same arguments, flags or virsh's positional form, into one
//! [`NewPool`], the one builder of pool XML.

use crate::storage::build::{check_target, BuildFirst};
use crate::storage::disks as storage;
use crate::storage::pools::{changed, lookup, validate_name, PoolChanged, PoolState};
use crate::xml::pool::{NewPool, PoolSource, PoolXml};
use std::path::Path;
use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Result, Verb};

/// The pool types vnet-vm builds a definition for (libvirt's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PoolType {
    /// A directory of image files.
    Dir,
    /// A file system on a block device, mounted on the target.
    Fs,
    /// A network file system (NFS, CIFS), mounted on the target.
    Netfs,
    /// An LVM volume group.
    Logical,
    /// A partitioned disk.
    Disk,
    /// An iSCSI target.
    Iscsi,
    /// A SCSI host adapter.
    Scsi,
    /// Multipath devices.
    Mpath,
}

impl PoolType {
    pub fn as_str(self) -> &'static str {
        match self {
            PoolType::Dir => "dir",
            PoolType::Fs => "fs",
            PoolType::Netfs => "netfs",
            PoolType::Logical => "logical",
            PoolType::Disk => "disk",
            PoolType::Iscsi => "iscsi",
            PoolType::Scsi => "scsi",
            PoolType::Mpath => "mpath",
        }
    }

    /// Types whose target is a directory vnet-vm checks (and libvirt needs).
    fn needs_target(self) -> bool {
        matches!(self, PoolType::Dir | PoolType::Fs | PoolType::Netfs)
    }
}

/// A pool as pool-define-as and pool-create-as take it: NAME TYPE, then the flags or virsh's
/// positional form `SOURCE-HOST SOURCE-PATH SOURCE-DEV SOURCE-NAME TARGET` ('-' for none):
/// `pool-define-as default dir - - - - /var/lib/libvirt/images`.
#[derive(Debug, Clone, clap::Args)]
pub struct PoolSpec {
    /// Pool name.
    pub pool: String,
    /// Pool type.
    #[arg(value_enum)]
    pub kind: PoolType,
    /// virsh's positional form: SOURCE-HOST SOURCE-PATH SOURCE-DEV SOURCE-NAME TARGET ('-' for none).
    #[arg(value_name = "ARGS", num_args = 0..=5)]
    pub positional: Vec<String>,
    /// The pool's directory (dir, fs, netfs: required).
    #[arg(long, value_name = "PATH")]
    pub target: Option<String>,
    /// The source host (netfs: the NFS server; iscsi: the portal).
    #[arg(long, value_name = "HOST")]
    pub source_host: Option<String>,
    /// The source path (netfs: the exported directory).
    #[arg(long, value_name = "PATH")]
    pub source_path: Option<String>,
    /// The source device (fs, disk: a block device; iscsi: the target IQN).
    #[arg(long, value_name = "DEV")]
    pub source_dev: Option<String>,
    /// The source name (logical: the volume group).
    #[arg(long, value_name = "NAME")]
    pub source_name: Option<String>,
    /// The source format (netfs: nfs, cifs; fs: ext4, xfs, ...; disk: gpt, dos; logical: lvm2).
    #[arg(long, value_name = "FORMAT")]
    pub source_format: Option<String>,
    /// Print the pool's XML (checked as for a real call) and change nothing (virsh --print-xml).
    #[arg(long)]
    pub print_xml: bool,
}

/// The spec's fields, checked: what goes into the pool's XML.
#[derive(Debug, Clone)]
struct Checked {
    name: String,
    kind: PoolType,
    target: Option<String>,
    source: PoolSource,
}

impl Checked {
    fn pool(&self) -> NewPool<'_> {
        NewPool {
            kind: self.kind.as_str(),
            name: &self.name,
            target: self.target.as_deref(),
            source: self.source.clone(),
        }
    }
}

/// One value given by flag or by position: both is exit 7; '-' in a position is none.
fn either(flag: &Option<String>, positional: Option<&String>, what: &str) -> Result<Option<String>> {
    let positional = positional.filter(|p| p.as_str() != "-");
    let value = match (flag, positional) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid(format!(
                "--{what} given twice (as a flag and in its position)"
            )))
        }
        (Some(v), None) | (None, Some(v)) => Some(v.clone()),
        (None, None) => None,
    };
    if let Some(v) = &value {
        if v.is_empty() || v.contains(|c: char| c.is_control()) {
            return Err(Error::invalid(format!(
                "invalid --{what} {}: empty or with control characters",
                quote(v)
            )));
        }
    }
    Ok(value)
}

impl PoolSpec {
    /// Checks every field (exit 7), before anything is asked of libvirt.
    fn check(&self, ctx: &mut Session) -> Result<Checked> {
        validate_name("pool", &self.pool)?;
        let p = |i: usize| self.positional.get(i);
        let source = PoolSource {
            host: either(&self.source_host, p(0), "source-host")?,
            dir: either(&self.source_path, p(1), "source-path")?,
            device: either(&self.source_dev, p(2), "source-dev")?,
            name: either(&self.source_name, p(3), "source-name")?,
            format: either(&self.source_format, None, "source-format")?,
        };
        let target = either(&self.target, p(4), "target")?.map(|t| {
            let t = t.trim_end_matches('/');
            if t.is_empty() {
                "/".to_string()
            } else {
                t.to_string()
            }
        });
        match &target {
            Some(t) => check_target(ctx, t)?,
            None if self.kind.needs_target() => {
                return Err(Error::invalid(format!(
                    "a {} pool needs --target PATH (its directory)",
                    self.kind.as_str()
                )))
            }
            None => {}
        }
        Ok(Checked {
            name: self.pool.clone(),
            kind: self.kind,
            target,
            source,
        })
    }
}

/// --print-xml: the document, nothing defined (the result's pool is one libvirt does not know).
fn printed(spec: &Checked) -> PoolChanged {
    PoolChanged {
        pool: PoolState::gone(&spec.name, None),
        changed: false,
        done: String::new(),
        xml: Some(format!("{}\n", spec.pool().xml())),
    }
}

/// The pool already on `target` under another name: exit 4 (libvirt refuses two pools on one
/// directory).
fn target_taken(conn: &Connect, name: &str, target: Option<&str>) -> Result<()> {
    let Some(target) = target else { return Ok(()) };
    match StoragePool::lookup_by_target_path(conn, target) {
        Ok(other) if other.get_name().ok().as_deref() != Some(name) => Err(Error::exists(format!(
            "storage pool {} already has target {}",
            other.get_name().unwrap_or_default(),
            quote(target)
        ))),
        _ => Ok(()),
    }
}

/// An existing pool of the spec's name: exit 4, or with --exist-ok exit 4 naming what differs
/// from what was asked (nothing differing: Ok).
fn existing_matches(pool: &StoragePool, spec: &Checked, exist_ok: bool) -> Result<()> {
    let name = &spec.name;
    if !exist_ok {
        return Err(Error::exists(format!("storage pool {name} already exists"))
            .with_hint("use --exist-ok to accept the same definition, or pool-undefine it first"));
    }
    let now = PoolXml::read(&pool.get_xml_desc(0).libvirt(format!("storage pool {name}"))?);
    let differences = spec.pool().differences(&now);
    if !differences.is_empty() {
        return Err(Error::exists(format!(
            "storage pool {name} already exists with another definition ({})",
            differences.join(", ")
        ))
        .with_hint("pool-undefine it first, or pool-define FILE to change its definition"));
    }
    Ok(())
}

/// Define a persistent storage pool (virsh pool-define-as NAME TYPE [--target PATH] [--source-*]).
///
/// Types: dir, fs, netfs, logical, disk, iscsi, scsi, mpath (what libvirt's daemon here can run
/// is its own answer). The target is checked first (exit 7): an absolute path whose directory
/// can be made, so a path under a regular file is refused before anything is defined. --build,
/// --start and --autostart do the next steps too (virsh pool-build, pool-start, pool-autostart);
/// when one fails, every step of this call is undone. A name in use is exit 4; --exist-ok:
/// "changed": false when that pool already has this type, target and source (and the steps asked
/// for are done), exit 4 naming the difference otherwise.
#[derive(Debug, clap::Args)]
pub struct PoolDefineAs {
    #[command(flatten)]
    pub spec: PoolSpec,
    /// Build the pool (make its directory) after defining it.
    #[arg(long)]
    pub build: bool,
    /// Start the pool after defining it.
    #[arg(long)]
    pub start: bool,
    /// Mark the pool to start with libvirtd.
    #[arg(long)]
    pub autostart: bool,
    /// Succeed ("changed": false) when a pool of this name has this definition already.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
}

impl Verb for PoolDefineAs {
    type Ctx = Session;
    type Output = PoolChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PoolChanged> {
        let spec = self.spec.check(ctx)?;
        if self.spec.print_xml {
            return Ok(printed(&spec));
        }
        let name = &spec.name;
        let conn = ctx.conn()?;
        let (pool, mut acted) = match lookup(conn, name)? {
            Some(pool) => {
                existing_matches(&pool, &spec, self.exist_ok)?;
                (pool, false)
            }
            None => {
                target_taken(conn, name, spec.target.as_deref())?;
                let xml = spec.pool().xml();
                (storage::define_pool_xml(conn, name, &xml, journal)?, true)
            }
        };
        let active = pool.is_active().libvirt(format!("storage pool {name}"))?;
        let missing = spec.target.as_deref().is_none_or(|t| !Path::new(t).is_dir());
        if self.build && !active && missing {
            storage::build_pool(&pool, name, 0, journal)?;
            acted = true;
        }
        if self.start && !active {
            storage::start_pool(&pool, name, journal)?;
            acted = true;
        }
        if self.autostart {
            acted |= storage::set_pool_autostart(&pool, name, true, journal)?;
        }
        changed(&pool, acted, "defined")
    }
}

/// Create and start a transient storage pool (virsh pool-create-as NAME TYPE [--target PATH]
/// [--source-*]); it is gone once stopped.
///
/// The same arguments and checks as pool-define-as. --build makes its directory first (virsh
/// --build; --overwrite / --no-overwrite as virsh passes them to libvirt). A name in use is exit
/// 4; --exist-ok: "changed": false when that pool runs with this type, target and source, exit 4
/// naming the difference (or that it is not running) otherwise. Undone on a later failure
/// (--batch --atomic): the pool is stopped (and so gone).
#[derive(Debug, clap::Args)]
pub struct PoolCreateAs {
    #[command(flatten)]
    pub spec: PoolSpec,
    #[command(flatten)]
    pub build: BuildFirst,
    /// Succeed ("changed": false) when a pool of this name runs with this definition already.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
}

impl Verb for PoolCreateAs {
    type Ctx = Session;
    type Output = PoolChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PoolChanged> {
        let spec = self.spec.check(ctx)?;
        if self.spec.print_xml {
            return Ok(printed(&spec));
        }
        let name = &spec.name;
        let conn = ctx.conn()?;
        if let Some(pool) = lookup(conn, name)? {
            existing_matches(&pool, &spec, self.exist_ok)?;
            if !pool.is_active().libvirt(format!("storage pool {name}"))? {
                return Err(Error::exists(format!(
                    "storage pool {name} is defined with this definition but not running"
                ))
                .with_hint(format!("start it: vnet-vm pool-start {name}")));
            }
            return changed(&pool, false, "created");
        }
        target_taken(conn, name, spec.target.as_deref())?;
        let flags = self.build.create_flags();
        let pool = create_transient(conn, name, &spec.pool().xml(), flags, journal)?;
        changed(&pool, true, "created")
    }
}

/// Creates (starts) a transient pool from its XML, recording its stop (which removes it).
pub fn create_transient(
    conn: &Connect,
    name: &str,
    xml: &str,
    flags: u32,
    journal: &mut Journal,
) -> Result<StoragePool> {
    let pool = StoragePool::create_xml(conn, xml, flags).libvirt(format!("create pool {}", quote(name)))?;
    let undo = pool.clone();
    journal.record_fn(format!("create pool {name}"), move || {
        undo.destroy().libvirt("stop the pool")
    })?;
    Ok(pool)
}
