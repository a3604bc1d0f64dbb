//! The virsh pool verbs (pool-list, pool-info, pool-build, pool-start, pool-autostart,
//! pool-destroy, pool-undefine, pool-delete) over libvirt's storage API, and the pool state every
//! pool verb reports (pool-define-as and pool-create-as: pool_as.rs; the verbs of pool XML
//! files: poolfile.rs).

use crate::storage::build::{self, check_target, BuildFirst, Overwrite};
use crate::storage::disks as storage;
use crate::xml::pool::PoolXml;
use schemars::JsonSchema;
use serde::Serialize;
use std::path::Path;
use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lifecycle::{self, Undo};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{table, Error, Journal, Render, Result, TextStyle, Verb};

/// Longest pool or volume name accepted (a file name for libvirt).
pub const NAME_MAX: usize = 200;

/// A pool or volume name: 1..=200 bytes, no '/', whitespace, control characters or markup, not
/// `.` or `..`, no leading '-'. Exit 7 otherwise.
pub fn validate_name(what: &str, name: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::invalid(format!(
            "invalid {what} name {}: {why}",
            quote(name)
        )))
    };
    if name.is_empty() {
        return bad("empty");
    }
    if name.len() > NAME_MAX {
        return bad(&format!("longer than {NAME_MAX} bytes"));
    }
    if name == "." || name == ".." {
        return bad("reserved name");
    }
    if name.starts_with('-') {
        return bad("starts with '-'");
    }
    if name.contains('/') {
        return bad("contains '/' (a name is one file name, not a path)");
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || "<>&'\"\\".contains(*c))
    {
        return bad(&format!(
            "contains {c:?} (no markup, quotes, spaces or control characters)"
        ));
    }
    Ok(())
}

/// The pool called `name`; a missing one is exit 3.
pub fn require(conn: &Connect, name: &str) -> Result<StoragePool> {
    validate_name("pool", name)?;
    lookup(conn, name)?.ok_or_else(|| {
        Error::not_found(format!("storage pool {name} not found"))
            .with_hint("see 'vnet-vm pool-list --all' for the defined pools")
    })
}

/// The pool `name` names (its UUID or its name, as virsh takes a pool), or None.
pub fn lookup(conn: &Connect, name: &str) -> Result<Option<StoragePool>> {
    vnet_common::libvirt::lookup::find_pool(conn, name)
}

/// virsh's word for a pool state (pool-info).
pub fn state_name(state: u32) -> &'static str {
    match state {
        sys::VIR_STORAGE_POOL_INACTIVE => "inactive",
        sys::VIR_STORAGE_POOL_BUILDING => "building",
        sys::VIR_STORAGE_POOL_RUNNING => "running",
        sys::VIR_STORAGE_POOL_DEGRADED => "degraded",
        sys::VIR_STORAGE_POOL_INACCESSIBLE => "inaccessible",
        _ => "unknown",
    }
}

/// virsh's human size (vshPrettyCapacity): "10.00 MiB".
pub fn pretty_capacity(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", units[unit])
}

/// A pool's state, as every pool verb reports it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PoolState {
    /// The pool's name.
    pub name: String,
    /// The pool's UUID; null once it is undefined (or was never there).
    pub uuid: Option<String>,
    /// virsh pool-info's word: running, inactive, building, degraded, inaccessible; "undefined"
    /// once libvirt no longer knows the pool.
    pub state: String,
    /// True while the pool runs.
    pub active: bool,
    /// True when the pool has a persistent definition.
    pub persistent: bool,
    /// True when libvirtd starts the pool when it starts (stays on after pool-destroy).
    pub autostart: bool,
    /// The pool type (dir, fs, logical, ...); null when unknown.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The target directory; null when the definition has none.
    pub target: Option<String>,
    /// Bytes the pool holds in all; null while inactive.
    pub capacity: Option<u64>,
    /// Bytes in use; null while inactive.
    pub allocation: Option<u64>,
    /// Bytes free; null while inactive.
    pub available: Option<u64>,
}

impl PoolState {
    pub fn read(pool: &StoragePool) -> Result<PoolState> {
        let name = pool.get_name().libvirt("pool name")?;
        let what = format!("storage pool {name}");
        let info = pool.get_info().libvirt(&what)?;
        let active = pool.is_active().libvirt(&what)?;
        let read = PoolXml::read(&pool.get_xml_desc(0).libvirt(&what)?);
        let size = |v: u64| active.then_some(v);
        Ok(PoolState {
            uuid: Some(pool.get_uuid_string().libvirt(&what)?),
            state: state_name(info.state).to_string(),
            active,
            persistent: pool.is_persistent().libvirt(&what)?,
            autostart: pool.get_autostart().libvirt(&what)?,
            kind: read.kind,
            target: read.target,
            capacity: size(info.capacity),
            allocation: size(info.allocation),
            available: size(info.available),
            name,
        })
    }

    /// A pool libvirt does not know (undefined now, or missing with --missing-ok).
    pub fn gone(name: &str, uuid: Option<String>) -> PoolState {
        PoolState {
            name: name.to_string(),
            uuid,
            state: "undefined".into(),
            active: false,
            persistent: false,
            autostart: false,
            kind: None,
            target: None,
            capacity: None,
            allocation: None,
            available: None,
        }
    }
}

/// `pool-info -o text`: virsh pool-info's layout.
impl Render for PoolState {
    fn text(&self, _style: TextStyle) -> String {
        self.lines(false)
    }
}

impl PoolState {
    /// virsh pool-info's lines; sizes in bytes with `bytes` (--bytes), else in virsh's units.
    fn lines(&self, bytes: bool) -> String {
        let size = |v: u64| if bytes { v.to_string() } else { pretty_capacity(v) };
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mut lines = vec![
            ("Name:", self.name.clone()),
            ("UUID:", self.uuid.clone().unwrap_or_default()),
            ("State:", self.state.clone()),
            ("Persistent:", yes_no(self.persistent).into()),
            ("Autostart:", yes_no(self.autostart).into()),
        ];
        if let (Some(c), Some(a), Some(v)) = (self.capacity, self.allocation, self.available) {
            lines.push(("Capacity:", size(c)));
            lines.push(("Allocation:", size(a)));
            lines.push(("Available:", size(v)));
        }
        table::fields(&lines)
    }
}

/// A pool after a verb that may have changed it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PoolChanged {
    #[serde(flatten)]
    pub pool: PoolState,
    /// True when this call changed something.
    pub changed: bool,
    /// virsh's confirmation (printed with -o text when something changed).
    #[serde(skip)]
    #[schemars(skip)]
    pub done: String,
    /// With --print-xml: the pool's XML, printed instead (nothing is defined).
    #[serde(skip)]
    #[schemars(skip)]
    pub xml: Option<String>,
}

impl Render for PoolChanged {
    fn document(&self) -> Option<&str> {
        self.xml.as_deref()
    }

    fn text(&self, _style: TextStyle) -> String {
        if self.changed {
            format!("Pool {} {}\n\n", self.pool.name, self.done)
        } else {
            String::new()
        }
    }
}

pub(crate) fn changed(pool: &StoragePool, changed: bool, done: &str) -> Result<PoolChanged> {
    Ok(PoolChanged {
        pool: PoolState::read(pool)?,
        changed,
        done: done.to_string(),
        xml: None,
    })
}

/// List storage pools (virsh pool-list): active ones, or all with --all; the filters combine as
/// in virsh; sorted by name.
///
/// -o text prints virsh's table (Name, State, Autostart; with --details also Persistent,
/// Capacity, Allocation, Available); --name and --uuid print the names or UUIDs alone, one per
/// line, for `for p in $(vnet-vm pool-list --all --name)` (-o json still prints objects, which
/// always have every detail).
#[derive(Debug, clap::Args)]
pub struct PoolList {
    /// Active and inactive pools.
    #[arg(long, conflicts_with = "inactive")]
    pub all: bool,
    /// Inactive pools only.
    #[arg(long)]
    pub inactive: bool,
    /// Persistent (defined) pools only.
    #[arg(long, conflicts_with = "transient")]
    pub persistent: bool,
    /// Transient (created) pools only.
    #[arg(long)]
    pub transient: bool,
    /// Pools marked to autostart only.
    #[arg(long, conflicts_with = "no_autostart")]
    pub autostart: bool,
    /// Pools not marked to autostart only.
    #[arg(long)]
    pub no_autostart: bool,
    /// Pools of these types only (comma-separated: dir,fs,netfs,logical,disk,iscsi,...).
    #[arg(long = "type", value_name = "TYPES", value_parser = pool_type_flags)]
    pub kind: Option<sys::virConnectListAllStoragePoolsFlags>,
    /// Names only, one per line (virsh pool-list --name).
    #[arg(long)]
    pub name: bool,
    /// UUIDs only, one per line (virsh pool-list --uuid).
    #[arg(long, conflicts_with_all = ["name", "details"])]
    pub uuid: bool,
    /// -o text: virsh's detailed table.
    #[arg(long, conflicts_with = "name")]
    pub details: bool,
}

/// virsh's pool type names and libvirt's list flag for each.
const POOL_TYPES: [(&str, sys::virConnectListAllStoragePoolsFlags); 14] = [
    ("dir", sys::VIR_CONNECT_LIST_STORAGE_POOLS_DIR),
    ("fs", sys::VIR_CONNECT_LIST_STORAGE_POOLS_FS),
    ("netfs", sys::VIR_CONNECT_LIST_STORAGE_POOLS_NETFS),
    ("logical", sys::VIR_CONNECT_LIST_STORAGE_POOLS_LOGICAL),
    ("disk", sys::VIR_CONNECT_LIST_STORAGE_POOLS_DISK),
    ("iscsi", sys::VIR_CONNECT_LIST_STORAGE_POOLS_ISCSI),
    ("iscsi-direct", sys::VIR_CONNECT_LIST_STORAGE_POOLS_ISCSI_DIRECT),
    ("scsi", sys::VIR_CONNECT_LIST_STORAGE_POOLS_SCSI),
    ("mpath", sys::VIR_CONNECT_LIST_STORAGE_POOLS_MPATH),
    ("rbd", sys::VIR_CONNECT_LIST_STORAGE_POOLS_RBD),
    ("sheepdog", sys::VIR_CONNECT_LIST_STORAGE_POOLS_SHEEPDOG),
    ("gluster", sys::VIR_CONNECT_LIST_STORAGE_POOLS_GLUSTER),
    ("zfs", sys::VIR_CONNECT_LIST_STORAGE_POOLS_ZFS),
    ("vstorage", sys::VIR_CONNECT_LIST_STORAGE_POOLS_VSTORAGE),
];

/// `--type dir,logical`: the list flags of those types; an unknown type is exit 7.
fn pool_type_flags(text: &str) -> Result<sys::virConnectListAllStoragePoolsFlags> {
    let mut flags = 0;
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some((_, flag)) = POOL_TYPES.iter().find(|(n, _)| *n == name) else {
            return Err(vnet_common::Error::invalid(format!(
                "pool-list: unknown pool type {}",
                vnet_common::error::quote(name)
            )));
        };
        flags |= flag;
    }
    Ok(flags)
}

impl PoolList {
    /// virsh pool-list's filter flags.
    fn flags(&self) -> sys::virConnectListAllStoragePoolsFlags {
        let mut flags = if self.all {
            0
        } else if self.inactive {
            sys::VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE
        } else {
            sys::VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE
        };
        for (wanted, flag) in [
            (self.persistent, sys::VIR_CONNECT_LIST_STORAGE_POOLS_PERSISTENT),
            (self.transient, sys::VIR_CONNECT_LIST_STORAGE_POOLS_TRANSIENT),
            (self.autostart, sys::VIR_CONNECT_LIST_STORAGE_POOLS_AUTOSTART),
            (
                self.no_autostart,
                sys::VIR_CONNECT_LIST_STORAGE_POOLS_NO_AUTOSTART,
            ),
        ] {
            if wanted {
                flags |= flag;
            }
        }
        flags | self.kind.unwrap_or(0)
    }
}

/// The pools listed.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Pools {
    pub pools: Vec<PoolState>,
    /// With --name or --uuid: the names or UUIDs as virsh prints them (the document printed).
    #[serde(skip)]
    #[schemars(skip)]
    pub names: Option<String>,
    /// -o text: virsh's --details table.
    #[serde(skip)]
    #[schemars(skip)]
    pub details: bool,
}

impl Render for Pools {
    fn document(&self) -> Option<&str> {
        self.names.as_deref()
    }

    fn text(&self, style: TextStyle) -> String {
        let size = |bytes: Option<u64>| bytes.map_or_else(|| "-".to_string(), pretty_capacity);
        let row = |p: &PoolState| {
            // virsh's plain table says active; its --details table says pool-info's word.
            let state = match (self.details, p.active) {
                (true, _) => p.state.as_str(),
                (false, true) => "active",
                (false, false) => "inactive",
            };
            let mut row = vec![p.name.clone(), state.into(), yes_no(p.autostart).into()];
            if self.details {
                row.extend([
                    yes_no(p.persistent).into(),
                    size(p.capacity),
                    size(p.allocation),
                    size(p.available),
                ]);
            }
            row
        };
        let headers: &[&str] = match self.details {
            true => &[
                "Name",
                "State",
                "Autostart",
                "Persistent",
                "Capacity",
                "Allocation",
                "Available",
            ],
            false => &["Name", "State", "Autostart"],
        };
        table::names_or_table(self.names.as_deref(), headers, &self.pools, row, style)
    }
}

fn yes_no(on: bool) -> &'static str {
    if on {
        "yes"
    } else {
        "no"
    }
}

impl Verb for PoolList {
    type Ctx = Session;
    type Output = Pools;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Pools> {
        let pools = ctx
            .conn()?
            .list_all_storage_pools(self.flags())
            .libvirt("list storage pools")?;
        let mut states = Vec::new();
        for pool in &pools {
            match PoolState::read(pool) {
                Ok(state) => states.push(state),
                // Undefined by someone else between listing and reading.
                Err(e) if e.kind == vnet_common::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        states.sort_by(|a, b| a.name.cmp(&b.name));
        let document = |ids: Vec<&str>| vnet_common::libvirt::names_document(ids, 20);
        let names = match (self.name, self.uuid) {
            (true, _) => Some(document(states.iter().map(|s| s.name.as_str()).collect())),
            (_, true) => Some(document(
                states.iter().filter_map(|s| s.uuid.as_deref()).collect(),
            )),
            _ => None,
        };
        Ok(Pools {
            pools: states,
            names,
            details: self.details,
        })
    }
}

/// Show one storage pool (virsh pool-info); -o text prints virsh's layout.
#[derive(Debug, clap::Args)]
pub struct PoolInfo {
    /// Pool name.
    pub pool: String,
    /// -o text: sizes in bytes rather than virsh's units (JSON has bytes always).
    #[arg(long)]
    pub bytes: bool,
}

/// A pool as pool-info shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PoolShown {
    #[serde(flatten)]
    pub pool: PoolState,
    /// --bytes: -o text prints sizes in bytes.
    #[serde(skip)]
    #[schemars(skip)]
    bytes: bool,
}

impl Render for PoolShown {
    fn text(&self, _style: TextStyle) -> String {
        self.pool.lines(self.bytes)
    }
}

impl Verb for PoolInfo {
    type Ctx = Session;
    type Output = PoolShown;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<PoolShown> {
        let pool = PoolState::read(&require(ctx.conn()?, &self.pool)?)?;
        Ok(PoolShown {
            pool,
            bytes: self.bytes,
        })
    }
}

/// Build a storage pool (virsh pool-build): for a dir pool, make its directory.
///
/// A directory that cannot be made (under a regular file) is exit 7, checked first. Building a
/// pool whose directory exists changes nothing ("changed": false). --overwrite /
/// --no-overwrite go to libvirt as virsh passes them (they matter to pools that format a device).
#[derive(Debug, clap::Args)]
pub struct PoolBuild {
    /// Pool name.
    pub pool: String,
    #[command(flatten)]
    pub overwrite: Overwrite,
}

impl Verb for PoolBuild {
    type Ctx = Session;
    type Output = PoolChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PoolChanged> {
        let pool = require(ctx.conn()?, &self.pool)?;
        let state = PoolState::read(&pool)?;
        let local = ctx.is_local()?;
        let missing = match (&state.target, local) {
            (Some(target), true) => {
                check_target(ctx, target)?;
                !Path::new(target).is_dir()
            }
            _ => true,
        };
        // --overwrite / --no-overwrite: libvirt is asked whatever is there, as virsh does.
        let flags = self.overwrite.build_flags();
        let asked = missing || flags != 0;
        if asked {
            let target = state.target.as_deref().filter(|_| local);
            build::build(&pool, &self.pool, target, flags, journal)?;
        }
        changed(&pool, asked, "built")
    }
}

/// Start a storage pool (virsh pool-start); --build builds it first (libvirt's
/// CREATE_WITH_BUILD, --overwrite / --no-overwrite as virsh passes them).
///
/// An active pool is exit 4 (--exist-ok: "changed": false).
#[derive(Debug, clap::Args)]
pub struct PoolStart {
    /// Pool name.
    pub pool: String,
    /// Succeed ("changed": false) when the pool is active already.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    #[command(flatten)]
    pub build: BuildFirst,
}

impl Verb for PoolStart {
    type Ctx = Session;
    type Output = PoolChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PoolChanged> {
        let name = &self.pool;
        let pool = require(ctx.conn()?, name)?;
        if pool.is_active().libvirt(format!("storage pool {name}"))? {
            if self.exist_ok {
                return changed(&pool, false, "started");
            }
            return Err(Error::exists(format!("storage pool {name} is already active"))
                .with_hint("use --exist-ok to accept an active pool"));
        }
        if let Some(flags) = self.build.build_flags() {
            let target = PoolState::read(&pool)?
                .target
                .filter(|_| ctx.is_local().unwrap_or(false));
            build::build(&pool, name, target.as_deref(), flags, journal)?;
        }
        storage::start_pool(&pool, name, journal)?;
        changed(&pool, true, "started")
    }
}

/// Mark a storage pool to start with libvirtd, or not with --disable (virsh pool-autostart).
///
/// The mark stays when the pool is stopped (pool-destroy).
#[derive(Debug, clap::Args)]
pub struct PoolAutostart {
    /// Pool name.
    pub pool: String,
    /// Do not start the pool with libvirtd.
    #[arg(long)]
    pub disable: bool,
}

impl Verb for PoolAutostart {
    type Ctx = Session;
    type Output = PoolChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PoolChanged> {
        let pool = require(ctx.conn()?, &self.pool)?;
        let acted = storage::set_pool_autostart(&pool, &self.pool, !self.disable, journal)?;
        let done = if self.disable {
            "unmarked as autostarted"
        } else {
            "marked as autostarted"
        };
        changed(&pool, acted, done)
    }
}

/// Stop a storage pool (virsh pool-destroy); its volumes and directory stay.
///
/// A missing pool is exit 3, an inactive one exit 1; --missing-ok: "changed": false for both.
#[derive(Debug, clap::Args)]
pub struct PoolDestroy {
    /// Pool name.
    pub pool: String,
    /// Succeed ("changed": false) when there is nothing to stop.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

impl Verb for PoolDestroy {
    type Ctx = Session;
    type Output = PoolChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PoolChanged> {
        let name = &self.pool;
        validate_name("pool", name)?;
        let conn = ctx.conn()?;
        let Some(pool) = lookup(conn, name)? else {
            return missing(name, self.missing_ok);
        };
        if !pool.is_active().libvirt(format!("storage pool {name}"))? {
            if self.missing_ok {
                return changed(&pool, false, "destroyed");
            }
            return Err(Error::failed(format!("storage pool {name} is not active"))
                .with_hint("use --missing-ok to accept an inactive pool"));
        }
        let uuid = pool.get_uuid_string().ok();
        let name = &vnet_common::libvirt::lookup::pool_name(&pool)?;
        lifecycle::destroy(&pool, name, 0, Undo::Restart, journal)?;
        // A transient pool is gone once stopped.
        match lookup(conn, name)? {
            Some(pool) => changed(&pool, true, "destroyed"),
            None => Ok(PoolChanged {
                pool: PoolState::gone(name, uuid),
                changed: true,
                done: "destroyed".into(),
                xml: None,
            }),
        }
    }
}

fn missing(name: &str, missing_ok: bool) -> Result<PoolChanged> {
    if !missing_ok {
        return Err(Error::not_found(format!("storage pool {name} not found"))
            .with_hint("see 'vnet-vm pool-list --all' for the defined pools"));
    }
    Ok(PoolChanged {
        pool: PoolState::gone(name, None),
        changed: false,
        done: String::new(),
        xml: None,
    })
}

/// Remove a storage pool's definition (virsh pool-undefine); its directory and volumes stay.
///
/// An active pool is exit 4 (pool-destroy it first: undefining a running pool would leave it
/// running transient); a missing one exit 3 (--missing-ok: "changed": false).
#[derive(Debug, clap::Args)]
pub struct PoolUndefine {
    /// Pool name.
    pub pool: String,
    /// Succeed ("changed": false) when there is no such pool.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

impl Verb for PoolUndefine {
    type Ctx = Session;
    type Output = PoolChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PoolChanged> {
        let name = &self.pool;
        validate_name("pool", name)?;
        let conn = ctx.conn()?;
        let Some(pool) = lookup(conn, name)? else {
            return missing(name, self.missing_ok);
        };
        let state = PoolState::read(&pool)?;
        if state.active {
            return Err(Error::exists(format!("storage pool {name} is active"))
                .with_hint(format!("stop it first: vnet-vm pool-destroy {name}")));
        }
        let xml = pool.get_xml_desc(0).libvirt(format!("storage pool {name}"))?;
        let (conn2, autostart) = (conn.clone(), state.autostart);
        let define_again = Undo::With(Box::new(move || {
            let pool = StoragePool::define_xml(&conn2, &xml, 0).libvirt("define the pool again")?;
            pool.set_autostart(autostart)
                .map(drop)
                .libvirt("autostart the pool again")
        }));
        lifecycle::undefine(&pool, &state.name, 0, define_again, journal)?;
        Ok(PoolChanged {
            pool: PoolState::gone(&state.name, state.uuid),
            changed: true,
            done: "has been undefined".into(),
            xml: None,
        })
    }
}

/// Delete a storage pool's directory (virsh pool-delete); the pool stays defined.
///
/// The pool must be inactive (exit 4) and, for a dir pool, its directory empty (exit 4 naming
/// what is left: vol-delete the volumes first). A directory already gone: "changed": false.
#[derive(Debug, clap::Args)]
pub struct PoolDelete {
    /// Pool name.
    pub pool: String,
}

impl Verb for PoolDelete {
    type Ctx = Session;
    type Output = PoolChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PoolChanged> {
        let name = &self.pool;
        let pool = require(ctx.conn()?, name)?;
        let state = PoolState::read(&pool)?;
        if state.active {
            return Err(Error::exists(format!("storage pool {name} is active"))
                .with_hint(format!("stop it first: vnet-vm pool-destroy {name}")));
        }
        if ctx.is_local()? {
            if let Some(target) = &state.target {
                match std::fs::read_dir(target) {
                    Err(_) => return changed(&pool, false, "deleted"),
                    Ok(entries) => {
                        let left: Vec<String> = entries
                            .filter_map(|e| e.ok())
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .collect();
                        if !left.is_empty() {
                            return Err(Error::exists(format!(
                                "storage pool {name}: directory {} is not empty ({} left: {})",
                                quote(target),
                                left.len(),
                                quote(&left.join(" "))
                            ))
                            .with_hint("delete the volumes first (vnet-vm vol-delete)"));
                        }
                    }
                }
            }
        }
        pool.delete(0).libvirt(format!("delete pool {name}"))?;
        journal.irreversible(format!("delete pool {name}"))?;
        changed(&pool, true, "deleted")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::build::uncreatable;

    #[test]
    fn names() {
        for bad in ["", "a/b", "..", "-x", "a b", "a\nb", "a<b"] {
            let e = validate_name("volume", bad).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{bad:?}");
            assert_eq!(e.message.lines().count(), 1);
        }
        assert!(validate_name("volume", "a/b")
            .unwrap_err()
            .message
            .contains("contains '/'"));
        for good in ["default", "vm1.qcow2", "images_2", "Ünï"] {
            validate_name("pool", good).unwrap();
        }
    }

    #[test]
    fn capacities_as_virsh_prints_them() {
        assert_eq!(pretty_capacity(0), "0.00 B");
        assert_eq!(pretty_capacity(1023), "1023.00 B");
        assert_eq!(pretty_capacity(200704), "196.00 KiB");
        assert_eq!(pretty_capacity(10 << 20), "10.00 MiB");
        assert_eq!(pretty_capacity(270549078016), "251.97 GiB");
    }

    #[test]
    fn directories_under_a_file_cannot_be_made() {
        let dir = std::env::temp_dir().join(format!("vnet-pools-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("file");
        std::fs::write(&file, b"x").unwrap();
        assert!(uncreatable(&file.join("sub/dir"))
            .unwrap()
            .contains("is not a directory"));
        assert_eq!(uncreatable(&dir.join("new/sub")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
