//! The virsh volume verbs (vol-list, vol-create-as, vol-info, vol-delete, vol-upload,
//! vol-download) over libvirt's storage API: they work the same over a remote URI, where the
//! volume's file is on the other host (upload and download stream its bytes through libvirt).

use crate::storage::disks::{self as storage, Backing};
use crate::storage::pools::{self, pretty_capacity, validate_name};
use crate::xml::volume::{NewVolume, VolumeXml};
use schemars::JsonSchema;
use serde::Serialize;
use std::path::Path;
use virt::connect::Connect;
use virt::error::ErrorNumber;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{table, Error, Journal, Render, Result, TextStyle, Verb};

/// A volume's state, as every volume verb reports it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VolState {
    /// The pool holding the volume.
    pub pool: String,
    /// The volume's name in its pool.
    pub name: String,
    /// The volume's path (its file for a dir pool).
    pub path: String,
    /// virsh's word for its type: file, block, dir, network, netdir, ploop.
    #[serde(rename = "type")]
    pub kind: String,
    /// The image format (raw, qcow2, ...); null when libvirt reports none.
    pub format: Option<String>,
    /// The size the guest sees, in bytes.
    pub capacity: u64,
    /// The bytes the image takes on the host.
    pub allocation: u64,
    /// The backing file of a copy-on-write image; null when none.
    pub backing: Option<String>,
    /// The backing file's format; null when none.
    pub backing_format: Option<String>,
}

fn type_name(kind: u32) -> &'static str {
    match kind {
        sys::VIR_STORAGE_VOL_FILE => "file",
        sys::VIR_STORAGE_VOL_BLOCK => "block",
        sys::VIR_STORAGE_VOL_DIR => "dir",
        sys::VIR_STORAGE_VOL_NETWORK => "network",
        sys::VIR_STORAGE_VOL_NETDIR => "netdir",
        sys::VIR_STORAGE_VOL_PLOOP => "ploop",
        _ => "unknown",
    }
}

impl VolState {
    pub fn read(vol: &StorageVol) -> Result<VolState> {
        VolState::read_with(vol, 0)
    }

    /// With VIR_STORAGE_VOL_GET_PHYSICAL in `flags`, the allocation is the host file's size
    /// (virsh vol-info --physical).
    fn read_with(vol: &StorageVol, flags: u32) -> Result<VolState> {
        let name = vol.get_name().libvirt("volume name")?;
        let what = format!("volume {name}");
        let pool = StoragePool::lookup_by_volume(vol)
            .and_then(|p| p.get_name())
            .libvirt(&what)?;
        let info = vol.get_info_flags(flags).libvirt(&what)?;
        let read = VolumeXml::read(&vol.get_xml_desc(0).libvirt(&what)?);
        Ok(VolState {
            pool,
            path: vol.get_path().libvirt(&what)?,
            kind: type_name(info.kind).to_string(),
            format: read.format,
            capacity: info.capacity,
            allocation: info.allocation,
            backing: read.backing,
            backing_format: read.backing_format,
            name,
        })
    }
}

/// `vol-info -o text`: virsh vol-info's layout.
impl Render for VolState {
    fn text(&self, _style: TextStyle) -> String {
        self.lines(false, "Allocation:")
    }
}

impl VolState {
    /// virsh vol-info's lines: sizes in bytes with `bytes`, the last one named `last`.
    fn lines(&self, bytes: bool, last: &str) -> String {
        let size = |v: u64| {
            if bytes {
                format!("{v} bytes")
            } else {
                pretty_capacity(v)
            }
        };
        let lines = [
            ("Name:", self.name.clone()),
            ("Type:", self.kind.clone()),
            ("Capacity:", size(self.capacity)),
            (last, size(self.allocation)),
        ];
        vnet_common::table::fields(&lines)
    }
}

/// A volume after a verb that may have changed it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VolChanged {
    #[serde(flatten)]
    pub volume: VolState,
    /// True when this call changed something.
    pub changed: bool,
    /// virsh's confirmation after "Vol NAME " (printed with -o text when something changed).
    #[serde(skip)]
    #[schemars(skip)]
    pub done: String,
    /// With --print-xml: the volume's XML, printed instead (nothing is created).
    #[serde(skip)]
    #[schemars(skip)]
    pub xml: Option<String>,
}

impl VolChanged {
    /// The volume `vol` now, after a call that made it (`changed`) with virsh's words `done`.
    pub fn of(vol: &StorageVol, changed: bool, done: impl Into<String>) -> Result<VolChanged> {
        Ok(VolChanged {
            volume: VolState::read(vol)?,
            changed,
            done: done.into(),
            xml: None,
        })
    }
}

impl Render for VolChanged {
    fn document(&self) -> Option<&str> {
        self.xml.as_deref()
    }

    fn text(&self, _style: TextStyle) -> String {
        if self.changed {
            format!("Vol {} {}\n\n", self.volume.name, self.done)
        } else {
            String::new()
        }
    }
}

/// The volume VOL as virsh's vol verbs find it: with --pool, its name in that pool; then its key;
/// then its path (refreshing the pool of its directory first). None when nothing matches.
pub fn find(conn: &Connect, vol: &str, pool: Option<&str>) -> Result<Option<StorageVol>> {
    let not_found = |e: &virt::error::Error| e.code() == ErrorNumber::NoStorageVolume;
    let what = || format!("volume {}", quote(vol));
    if vol.is_empty() || vol.contains(['\n', '\r', '\0']) {
        return Err(Error::invalid(format!("invalid volume {}", quote(vol))));
    }
    if let Some(pool) = pool {
        let pool = pools::require(conn, pool)?;
        if !vol.contains('/') {
            validate_name("volume", vol)?;
        }
        match StorageVol::lookup_by_name(&pool, vol) {
            Ok(v) => return Ok(Some(v)),
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(vnet_common::libvirt::error(e).context(what())),
        }
    }
    match StorageVol::lookup_by_key(conn, vol) {
        Ok(v) => return Ok(Some(v)),
        Err(e) if not_found(&e) => {}
        Err(e) => return Err(vnet_common::libvirt::error(e).context(what())),
    }
    by_path(conn, vol)
}

/// The volume at `path`, after refreshing the pool of its directory (so a file made behind
/// libvirt's back is known).
fn by_path(conn: &Connect, path: &str) -> Result<Option<StorageVol>> {
    if let Some(dir) = Path::new(path).parent() {
        if let Ok(pool) = StoragePool::lookup_by_target_path(conn, &dir.to_string_lossy()) {
            if pool.is_active().unwrap_or(false) {
                let _ = pool.refresh(0);
            }
        }
    }
    match StorageVol::lookup_by_path(conn, path) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code() == ErrorNumber::NoStorageVolume => Ok(None),
        Err(e) => Err(vnet_common::libvirt::error(e).context(format!("volume {}", quote(path)))),
    }
}

/// The volume VOL (see [`find`]); none is exit 3.
pub fn require(conn: &Connect, vol: &str, pool: Option<&str>) -> Result<StorageVol> {
    find(conn, vol, pool)?.ok_or_else(|| {
        let hint = match pool {
            None if !vol.starts_with('/') => "give its path or key, or its name with --pool POOL",
            _ => "see 'vnet-vm vol-list POOL'",
        };
        Error::not_found(format!("volume {} not found", quote(vol))).with_hint(hint)
    })
}

/// An active pool, refreshed so its volume list matches its directory.
pub fn active_pool(conn: &Connect, name: &str) -> Result<StoragePool> {
    let pool = pools::require(conn, name)?;
    if !pool.is_active().libvirt(format!("storage pool {name}"))? {
        return Err(Error::failed(format!("storage pool {name} is not active"))
            .with_hint(format!("start it: vnet-vm pool-start {name}")));
    }
    pool.refresh(0).libvirt(format!("refresh pool {name}"))?;
    Ok(pool)
}

/// List a pool's volumes (virsh vol-list POOL), sorted by name.
///
/// -o text prints virsh's table (Name, Path; with --details also Type, Capacity, Allocation).
/// The JSON always has every detail.
#[derive(Debug, clap::Args)]
pub struct VolList {
    /// Pool name.
    pub pool: String,
    /// -o text: virsh's detailed table.
    #[arg(long)]
    pub details: bool,
}

/// The volumes listed.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Volumes {
    pub volumes: Vec<VolState>,
    /// -o text: virsh's --details table.
    #[serde(skip)]
    #[schemars(skip)]
    pub details: bool,
}

impl Render for Volumes {
    fn text(&self, style: TextStyle) -> String {
        if !self.details {
            let rows: Vec<Vec<String>> = self
                .volumes
                .iter()
                .map(|v| vec![v.name.clone(), v.path.clone()])
                .collect();
            return table::render(&["Name", "Path"], &rows, style);
        }
        let size = super::pools::pretty_capacity;
        let rows: Vec<Vec<String>> = self
            .volumes
            .iter()
            .map(|v| {
                vec![
                    v.name.clone(),
                    v.path.clone(),
                    v.kind.clone(),
                    size(v.capacity),
                    size(v.allocation),
                ]
            })
            .collect();
        table::render(&["Name", "Path", "Type", "Capacity", "Allocation"], &rows, style)
    }
}

impl Verb for VolList {
    type Ctx = Session;
    type Output = Volumes;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Volumes> {
        let pool = active_pool(ctx.conn()?, &self.pool)?;
        let vols = pool
            .list_all_volumes(0)
            .libvirt(format!("list volumes of {}", self.pool))?;
        let mut states = Vec::new();
        for vol in &vols {
            states.push(VolState::read(vol)?);
        }
        states.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Volumes {
            volumes: states,
            details: self.details,
        })
    }
}

/// The image formats vol-create-as makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VolFormat {
    Raw,
    Qcow2,
}

impl VolFormat {
    fn as_str(self) -> &'static str {
        match self {
            VolFormat::Raw => "raw",
            VolFormat::Qcow2 => "qcow2",
        }
    }
}

/// A size as virsh takes it: bytes, or a number with a unit: k/K/KiB, M/MiB, G/GiB, T/TiB (powers
/// of 1024), KB/MB/GB/TB (powers of 1000), b/B for bytes. "10G", "512M", "1.5G". Exit 7 otherwise.
pub fn parse_size(text: &str) -> Result<u64> {
    let bad = || {
        Error::invalid(format!(
            "invalid size {}: a number of bytes, or with a unit like 512M, 10G, 1.5GiB",
            quote(text)
        ))
    };
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let scale: f64 = match unit {
        "" | "b" | "B" => 1.0,
        "k" | "K" | "KiB" => 1024.0,
        "KB" => 1e3,
        "m" | "M" | "MiB" => 1024.0 * 1024.0,
        "MB" => 1e6,
        "g" | "G" | "GiB" => 1024.0 * 1024.0 * 1024.0,
        "GB" => 1e9,
        "t" | "T" | "TiB" => 1024.0f64.powi(4),
        "TB" => 1e12,
        _ => return Err(bad()),
    };
    let bytes = (number * scale).round();
    if !(bytes >= 1.0 && bytes < 2f64.powi(63)) {
        return Err(Error::invalid(format!(
            "invalid size {}: must be at least 1 byte",
            quote(text)
        )));
    }
    Ok(bytes as u64)
}

/// Create a volume in a pool (virsh vol-create-as POOL NAME SIZE --format raw|qcow2).
///
/// Allocated as virsh allocates it: libvirt allocates the whole capacity unless --allocation says
/// how much (`--allocation 0`: sparse). --backing-vol makes a copy-on-write image over an existing volume (a
/// name in the same pool, or a path; its pool is refreshed first, so a file copied in behind
/// libvirt's back is found); a backing file that does not exist is exit 3, and its format is the
/// backing volume's own unless --backing-vol-format says. A name with '/' is exit 7; a name in
/// use exit 4 (--exist-ok: "changed": false when that volume has this format and size). The
/// volume is removed again when a later step of the same call (or --batch --atomic) fails.
#[derive(Debug, clap::Args)]
pub struct VolCreateAs {
    /// Pool name.
    pub pool: String,
    /// Volume name (a file name in the pool's directory).
    pub name: String,
    /// Capacity: bytes, or with a unit (512M, 10G).
    pub capacity: String,
    /// Image format (raw when not given).
    #[arg(long, value_enum)]
    pub format: Option<VolFormat>,
    /// The backing volume (name in this pool, or path) of a copy-on-write image (qcow2).
    #[arg(long, value_name = "VOL")]
    pub backing_vol: Option<String>,
    /// The backing volume's format (default: the format libvirt reports for it).
    #[arg(long, value_name = "FORMAT", requires = "backing_vol")]
    pub backing_vol_format: Option<String>,
    /// The bytes allocated at first (a scaled size as CAPACITY; 0: sparse). Without it libvirt
    /// allocates the whole capacity, as with virsh.
    #[arg(long, value_name = "SIZE")]
    pub allocation: Option<String>,
    /// Preallocate the image's metadata (qcow2; libvirt's VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA);
    /// raw is libvirt's refusal.
    #[arg(long)]
    pub prealloc_metadata: bool,
    /// Succeed ("changed": false) when the volume exists with this format and capacity.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// Print the volume XML virsh would create it from (the pool and a backing volume looked
    /// up as for a real call) and create nothing.
    #[arg(long)]
    pub print_xml: bool,
}

impl VolCreateAs {
    fn format(&self) -> VolFormat {
        self.format.unwrap_or(VolFormat::Raw)
    }

    /// --print-xml: virsh's document (its elements: no units, a `<target>` only with --format,
    /// the backing file's format only with --backing-vol-format); nothing is created.
    fn printed(
        &self,
        pool: &StoragePool,
        capacity: u64,
        allocation: Option<u64>,
        backing: Option<&Backing>,
    ) -> VolChanged {
        let xml = crate::xml::volume::virsh_vol_create_as(
            &self.name,
            capacity,
            allocation,
            self.format.map(|f| f.as_str()),
            backing.map(|b| (b.path.as_str(), self.backing_vol_format.as_deref())),
        );
        // The path libvirt will give it: the pool's target directory and the name.
        let dir = crate::storage::pools::PoolState::read(pool)
            .ok()
            .and_then(|p| p.target);
        let dir = dir.unwrap_or_default();
        VolChanged {
            volume: VolState {
                pool: self.pool.clone(),
                name: self.name.clone(),
                path: format!("{dir}/{}", self.name),
                kind: "file".into(),
                format: Some(self.format().as_str().into()),
                capacity,
                allocation: allocation.unwrap_or(capacity),
                backing: backing.map(|b| b.path.clone()),
                backing_format: backing.map(|b| b.format.clone()),
            },
            changed: false,
            done: String::new(),
            xml: Some(xml),
        }
    }
    /// The backing file: found as a volume (name in the pool, or path), with its format.
    fn backing(&self, conn: &Connect) -> Result<Option<Backing>> {
        let Some(given) = &self.backing_vol else {
            return Ok(None);
        };
        if self.format() != VolFormat::Qcow2 {
            return Err(Error::invalid("--backing-vol needs --format qcow2"));
        }
        if let Some(f) = &self.backing_vol_format {
            if !["raw", "qcow2", "qcow", "vmdk", "vpc", "vdi", "qed"].contains(&f.as_str()) {
                return Err(Error::invalid(format!(
                    "invalid --backing-vol-format {}: raw, qcow2, qcow, vmdk, vpc, vdi or qed",
                    quote(f)
                )));
            }
        }
        let pool = (!given.contains('/')).then_some(self.pool.as_str());
        let vol = find(conn, given, pool)?.ok_or_else(|| {
            Error::not_found(format!("backing volume {} does not exist", quote(given))).with_hint(
                "give an existing volume: its name in this pool or its path (see 'vnet-vm vol-list POOL')",
            )
        })?;
        let state = VolState::read(&vol)?;
        let format = match (&self.backing_vol_format, state.format) {
            (Some(f), _) => f.clone(),
            (None, Some(f)) => f,
            (None, None) => {
                return Err(Error::invalid(format!(
                    "backing volume {}: its format is unknown; give --backing-vol-format",
                    quote(given)
                )))
            }
        };
        Ok(Some(Backing {
            path: state.path,
            format,
        }))
    }
}

/// What the existing volume `now` has otherwise than asked, as "field: now -> asked".
fn differences(now: &VolState, format: &str, capacity: u64, backing: Option<&Backing>) -> Vec<String> {
    let mut out = Vec::new();
    if now.format.as_deref() != Some(format) {
        out.push(format!(
            "format: {} -> {format}",
            now.format.as_deref().unwrap_or("none")
        ));
    }
    if now.capacity != capacity {
        out.push(format!("capacity: {} -> {capacity} bytes", now.capacity));
    }
    let want = backing.map(|b| b.path.as_str());
    if now.backing.as_deref() != want {
        let show = |b: Option<&str>| b.unwrap_or("none").to_string();
        out.push(format!(
            "backing file: {} -> {}",
            show(now.backing.as_deref()),
            show(want)
        ));
    }
    out
}

impl Verb for VolCreateAs {
    type Ctx = Session;
    type Output = VolChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<VolChanged> {
        validate_name("volume", &self.name)?;
        pools::validate_name("pool", &self.pool)?;
        let capacity = parse_size(&self.capacity)?;
        // 0 is an allocation (sparse), not a size: parse_size wants at least one byte.
        let allocation = match self.allocation.as_deref().map(str::trim) {
            None => None,
            Some(zero) if zero.trim_end_matches(|c: char| c.is_ascii_alphabetic()).parse() == Ok(0.0) => {
                Some(0)
            }
            Some(size) => Some(parse_size(size)?),
        };
        let conn = ctx.conn()?;
        let pool = active_pool(conn, &self.pool)?;
        let backing = self.backing(conn)?;
        if self.print_xml {
            return Ok(self.printed(&pool, capacity, allocation, backing.as_ref()));
        }
        let format = self.format().as_str();
        if let Ok(vol) = StorageVol::lookup_by_name(&pool, &self.name) {
            let state = VolState::read(&vol)?;
            let differences = differences(&state, format, capacity, backing.as_ref());
            return match (self.exist_ok, differences.is_empty()) {
                (true, true) => Ok(VolChanged {
                    volume: state,
                    changed: false,
                    done: String::new(),
                    xml: None,
                }),
                (true, false) => Err(Error::exists(format!(
                    "volume {} exists in pool {} otherwise ({})",
                    self.name,
                    self.pool,
                    differences.join(", ")
                ))
                .with_hint("vol-delete it first, or vol-resize it")),
                (false, _) => Err(Error::exists(format!(
                    "volume {} already exists in pool {}",
                    self.name, self.pool
                ))
                .with_hint("use --exist-ok to accept the same volume, or vol-delete it first")),
            };
        }
        let mut new = NewVolume::disk(&self.name, capacity, format, backing.as_ref());
        // As virsh: no <allocation> unless --allocation gives one (libvirt then allocates it all).
        new.allocation = allocation;
        let what = format!("create volume {} in pool {}", self.name, self.pool);
        let flags = self.prealloc_metadata as u32 * virt::sys::VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA;
        let vol = StorageVol::create_xml(&pool, &new.xml(), flags).libvirt(&what)?;
        storage::record_new_volume(&vol, journal)?;
        VolChanged::of(&vol, true, "created")
    }
}

/// Show a volume (virsh vol-info VOL [--pool POOL]); VOL is a path, or a name with --pool.
///
/// -o text prints virsh's layout.
#[derive(Debug, clap::Args)]
pub struct VolInfo {
    /// Volume path, or name with --pool.
    pub vol: String,
    /// The pool holding a volume given by name.
    #[arg(long, value_name = "POOL")]
    pub pool: Option<String>,
    /// -o text: sizes in bytes rather than virsh's units (JSON has bytes always).
    #[arg(long)]
    pub bytes: bool,
    /// "allocation" is the host file's physical size (virsh's "Physical:" line).
    #[arg(long)]
    pub physical: bool,
}

/// A volume as vol-info shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VolShown {
    #[serde(flatten)]
    pub volume: VolState,
    #[serde(skip)]
    #[schemars(skip)]
    bytes: bool,
    #[serde(skip)]
    #[schemars(skip)]
    physical: bool,
}

impl Render for VolShown {
    fn text(&self, _style: TextStyle) -> String {
        let last = if self.physical { "Physical:" } else { "Allocation:" };
        self.volume.lines(self.bytes, last)
    }
}

impl Verb for VolInfo {
    type Ctx = Session;
    type Output = VolShown;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<VolShown> {
        let vol = require(ctx.conn()?, &self.vol, self.pool.as_deref())?;
        let flags = self.physical as u32 * sys::VIR_STORAGE_VOL_GET_PHYSICAL;
        Ok(VolShown {
            volume: VolState::read_with(&vol, flags)?,
            bytes: self.bytes,
            physical: self.physical,
        })
    }
}

/// Delete a volume and its file (virsh vol-delete VOL [--pool POOL]).
///
/// A missing volume is exit 3 (--missing-ok: "changed": false). Cannot be undone.
#[derive(Debug, clap::Args)]
pub struct VolDelete {
    /// Volume path, or name with --pool.
    pub vol: String,
    /// The pool holding a volume given by name.
    #[arg(long, value_name = "POOL")]
    pub pool: Option<String>,
    /// Succeed ("changed": false) when there is no such volume.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

/// A volume after vol-delete.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VolDeleted {
    /// The volume as given (name or path).
    pub vol: String,
    /// The path it had; null when there was no such volume.
    pub path: Option<String>,
    /// The pool it was in; null when there was no such volume.
    pub pool: Option<String>,
    /// True when this call deleted it.
    pub changed: bool,
}

impl Render for VolDeleted {
    fn text(&self, _style: TextStyle) -> String {
        if self.changed {
            format!("Vol {} deleted\n\n", self.vol)
        } else {
            String::new()
        }
    }
}

impl Verb for VolDelete {
    type Ctx = Session;
    type Output = VolDeleted;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<VolDeleted> {
        let conn = ctx.conn()?;
        let Some(vol) = find(conn, &self.vol, self.pool.as_deref())? else {
            if self.missing_ok {
                return Ok(VolDeleted {
                    vol: self.vol,
                    path: None,
                    pool: None,
                    changed: false,
                });
            }
            return Err(Error::not_found(format!("volume {} not found", quote(&self.vol))));
        };
        let state = VolState::read(&vol)?;
        vol.delete(0).libvirt(format!("delete volume {}", state.path))?;
        journal.irreversible(format!("delete volume {}", state.path))?;
        Ok(VolDeleted {
            vol: self.vol,
            path: Some(state.path),
            pool: Some(state.pool),
            changed: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_virsh_takes_them() {
        assert_eq!(parse_size("1024").unwrap(), 1024);
        assert_eq!(parse_size("10M").unwrap(), 10 << 20);
        assert_eq!(parse_size("1G").unwrap(), 1 << 30);
        assert_eq!(parse_size("1.5GiB").unwrap(), 3 << 29);
        assert_eq!(parse_size("2GB").unwrap(), 2_000_000_000);
        for bad in ["", "0", "-1", "ten", "10X", "1..2G"] {
            assert_eq!(parse_size(bad).unwrap_err().exit_code(), 7, "{bad:?}");
        }
    }
}
