//! Disks through libvirt's storage API (so they work over remote URIs): find the pool whose target is
//! the disk's directory, or define a dir pool for it; create volumes of the requested size.

use crate::spec::{size_bytes, DiskSpec};
use crate::storage::paths::safe_file_name;
use crate::xml::pool::pool_xml;
pub use crate::xml::volume::Backing;
use crate::xml::volume::{NewVolume, VolumeXml};
use std::path::Path;
use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use vnet_common::libvirt::lifecycle;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, ErrorKind, Journal, Result};

/// The pool a disk lives in: an existing one by name, or a new dir pool to define for its directory.
#[derive(Debug, Clone, PartialEq)]
pub enum PoolPlan {
    Existing(String),
    New { name: String, dir: String },
}

impl PoolPlan {
    pub fn name(&self) -> &str {
        match self {
            PoolPlan::Existing(n) | PoolPlan::New { name: n, .. } => n,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DiskPlan {
    pub spec: DiskSpec,
    pub pool: PoolPlan,
    /// True when the volume is to be created (size= given, path free); false to reuse the image.
    pub create: bool,
    /// backing_store=: the existing image the new qcow2 overlay is made on.
    pub backing: Option<BaseImage>,
}

/// The backing image of a new overlay, as libvirt (or the file itself) describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseImage {
    /// Its path and format (raw or qcow2).
    pub backing: Backing,
    /// Its virtual size in bytes (the overlay's size unless size= is given).
    pub capacity: u64,
}

/// Decides, without changing anything, how each disk is provided. A path that exists is reused
/// (with size= too: virt-install uses the existing image and ignores size=, whatever the install
/// method); a path that does not exist without size= or backing_store= is "not found" (3), as is a
/// backing_store= image that does not exist.
///
/// Over a remote URI every path is one on the target host, looked at through libvirt only: a
/// directory no pool covers is looked at through a transient pool (see
/// [`crate::storage::target::look_in_dir`]) and gets a dir pool of its own (as virt-install makes one),
/// for a new disk and for an existing image alike; a directory the target lacks is not found (3).
pub fn plan_disks(conn: &Connect, specs: &[DiskSpec]) -> Result<Vec<DiskPlan>> {
    let uri = conn.get_uri().libvirt("connection URI")?;
    let local = vnet_common::libvirt::is_local_uri(&uri);
    let mut plans: Vec<DiskPlan> = Vec::new();
    for spec in specs {
        let dir = spec
            .path
            .parent()
            .unwrap_or(Path::new("/"))
            .to_string_lossy()
            .into_owned();
        let base = spec.file_name();
        let pool = match StoragePool::lookup_by_target_path(conn, &dir) {
            Ok(pool) => Some(pool),
            Err(e) if e.code() == virt::error::ErrorNumber::NoStoragePool => None,
            Err(e) => return Err(vnet_common::libvirt::error(e).context(format!("find the pool of {dir}"))),
        };
        let exists = match &pool {
            Some(pool) => {
                if !pool.is_active().libvirt("storage pool")? {
                    let name = pool.get_name().unwrap_or_default();
                    return Err(
                        Error::failed(format!("storage pool {name} holding {dir} is not active"))
                            .with_hint(format!("virsh pool-start {name}")),
                    );
                }
                pool.refresh(0).libvirt(format!("refresh the pool of {dir}"))?;
                StorageVol::lookup_by_name(pool, &base).is_ok()
            }
            None if local => spec.path.exists(),
            None => match crate::storage::target::look_in_dir(conn, &dir, &base)? {
                Some(found) => found,
                None => {
                    return Err(Error::not_found(format!(
                        "--disk {}: directory {dir} does not exist on the target host",
                        spec.path.display()
                    ))
                    .with_hint("make it there, or put the disk in a storage pool of that host"))
                }
            },
        };
        let path = spec.path.display();
        let overlay = spec.backing_store.is_some();
        let create = match (exists, spec.size_gb) {
            (true, _) if overlay => return Err(Error::exists(format!("--disk {path}: the image exists"))
                .with_hint(
                    "backing_store= makes a new overlay: give a new path, or drop backing_store= to reuse it",
                )),
            (false, None) if !overlay => {
                return Err(Error::not_found(format!("--disk {path}: no such image"))
                    .with_hint("add size=GB to create it"))
            }
            (exists, _) => !exists,
        };
        let backing = match &spec.backing_store {
            Some(b) => Some(find_backing(conn, b, spec.backing_format.as_deref(), local)?),
            None => None,
        };
        let pool = match pool {
            Some(pool) => PoolPlan::Existing(pool.get_name().libvirt("storage pool name")?),
            None if !create && local => PoolPlan::Existing(String::new()),
            // The directory exists on the target (looked at above).
            None if !local => named_pool_plan(conn, &dir, &plans)?,
            None => new_pool_plan(conn, &dir, &plans)?,
        };
        plans.push(DiskPlan {
            spec: spec.clone(),
            pool,
            create,
            backing,
        });
    }
    Ok(plans)
}

/// The backing image of an overlay: a volume of the pool of its directory (refreshed first, so
/// libvirt knows a file put there by hand), else, on a local connection, the file itself.
/// Missing is not found (3).
fn find_backing(conn: &Connect, path: &Path, format: Option<&str>, local: bool) -> Result<BaseImage> {
    let shown = path.display();
    let dir = path
        .parent()
        .unwrap_or(Path::new("/"))
        .to_string_lossy()
        .into_owned();
    if let Ok(pool) = StoragePool::lookup_by_target_path(conn, &dir) {
        if pool.is_active().unwrap_or(false) {
            pool.refresh(0).libvirt(format!("refresh the pool of {dir}"))?;
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if let Ok(vol) = StorageVol::lookup_by_name(&pool, &name) {
            let info = vol.get_info().libvirt(format!("backing_store {shown}"))?;
            let xml = vol.get_xml_desc(0).libvirt(format!("backing_store {shown}"))?;
            let probed = VolumeXml::read(&xml).format.unwrap_or_else(|| "raw".into());
            return Ok(BaseImage {
                backing: Backing {
                    path: path.to_string_lossy().into_owned(),
                    format: format.map(String::from).unwrap_or(probed),
                },
                capacity: info.capacity,
            });
        }
    }
    if !local {
        return Err(Error::not_found(format!(
            "--disk backing_store {shown}: no such volume on the target host"
        ))
        .with_hint(
            "the base image must be a volume of a storage pool there (vnet-vm pool-define ... --start)",
        ));
    }
    let (probed, capacity) = probe_image(path).map_err(|_| {
        Error::not_found(format!("--disk backing_store {shown}: no such image"))
            .with_hint("give an existing base image (a cloud image, or one made with qemu-img create)")
    })?;
    Ok(BaseImage {
        backing: Backing {
            path: path.to_string_lossy().into_owned(),
            format: format.map(String::from).unwrap_or(probed.into()),
        },
        capacity,
    })
}

/// A local image's format and virtual size: qcow2 by its magic (size in its header), else raw.
fn probe_image(path: &Path) -> std::io::Result<(&'static str, u64)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a file"));
    }
    let mut head = [0u8; 32];
    if len >= 32 {
        file.read_exact(&mut head)?;
        if head[..4] == *b"QFI\xfb" {
            let size = u64::from_be_bytes(head[24..32].try_into().expect("8 bytes"));
            return Ok(("qcow2", size));
        }
    }
    Ok(("raw", len))
}

/// A dir pool for `dir`, named after the directory (with a suffix when the name is taken).
pub(crate) fn new_pool_plan(conn: &Connect, dir: &str, planned: &[DiskPlan]) -> Result<PoolPlan> {
    if let Some(p) = planned
        .iter()
        .find(|p| matches!(&p.pool, PoolPlan::New { dir: d, .. } if d == dir))
    {
        return Ok(p.pool.clone());
    }
    if !Path::new(dir).is_dir() {
        return Err(Error::not_found(format!("disk directory {dir} does not exist")));
    }
    named_pool_plan(conn, dir, planned)
}

/// A dir pool for `dir` (which exists on the target host), named after the directory.
fn named_pool_plan(conn: &Connect, dir: &str, planned: &[DiskPlan]) -> Result<PoolPlan> {
    if let Some(p) = planned
        .iter()
        .find(|p| matches!(&p.pool, PoolPlan::New { dir: d, .. } if d == dir))
    {
        return Ok(p.pool.clone());
    }
    let base = safe_file_name(
        &Path::new(dir)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "root".into()),
    );
    let taken =
        |n: &str| StoragePool::lookup_by_name(conn, n).is_ok() || planned.iter().any(|p| p.pool.name() == n);
    let name = (1..1000)
        .map(|i| {
            if i == 1 {
                base.clone()
            } else {
                format!("{base}-{i}")
            }
        })
        .find(|n| !taken(n))
        .ok_or_else(|| Error::new(ErrorKind::Exists, format!("no free pool name for {dir}")))?;
    Ok(PoolPlan::New {
        name,
        dir: dir.to_string(),
    })
}

/// Defines, builds and starts a dir pool (autostarted, as virt-install leaves it), recording the
/// definition and the start in `journal` as each is made.
pub fn create_pool(conn: &Connect, name: &str, dir: &str, journal: &mut Journal) -> Result<()> {
    let pool = define_pool(conn, name, dir, journal)?;
    build_pool(&pool, name, 0, journal)?;
    start_pool(&pool, name, journal)?;
    set_pool_autostart(&pool, name, true, journal).map(drop)
}

/// Defines a dir pool for `dir`, recording its undefine.
pub fn define_pool(conn: &Connect, name: &str, dir: &str, journal: &mut Journal) -> Result<StoragePool> {
    define_pool_xml(conn, name, &pool_xml(name, dir), journal)
}

/// Defines a new pool from its XML, recording its undefine.
pub fn define_pool_xml(conn: &Connect, name: &str, xml: &str, journal: &mut Journal) -> Result<StoragePool> {
    define_pool_xml_flags(conn, name, xml, 0, journal)
}

/// [`define_pool_xml`] with libvirt's define flags (VIR_STORAGE_POOL_DEFINE_VALIDATE).
pub fn define_pool_xml_flags(
    conn: &Connect,
    name: &str,
    xml: &str,
    flags: u32,
    journal: &mut Journal,
) -> Result<StoragePool> {
    let pool = StoragePool::define_xml(conn, xml, flags).libvirt(format!("define pool {name}"))?;
    let defined = pool.clone();
    journal.record_fn(format!("define pool {name}"), move || {
        defined.undefine().libvirt("undefine the pool")
    })?;
    Ok(pool)
}

/// Builds a pool (a dir pool: makes its directory). Not journaled: building an existing
/// directory changes nothing, and a directory made here is removed with the pool by `pool-delete`.
pub fn build_pool(pool: &StoragePool, name: &str, flags: u32, _journal: &mut Journal) -> Result<()> {
    pool.build(flags).libvirt(format!("build pool {name}")).map(drop)
}

/// Starts a pool, recording its stop.
pub fn start_pool(pool: &StoragePool, name: &str, journal: &mut Journal) -> Result<()> {
    lifecycle::start(pool, name, journal)
}

/// Sets a pool's autostart flag, recording the way back; false when it already was so.
pub fn set_pool_autostart(pool: &StoragePool, name: &str, want: bool, journal: &mut Journal) -> Result<bool> {
    lifecycle::set_autostart(pool, name, want, journal)
}

/// Creates one volume in `pool_name` (a qcow2 overlay on `backing` when given; its size is the
/// backing image's unless size= is given) and records it in `journal`, returning its path.
pub fn create_volume(
    conn: &Connect,
    pool_name: &str,
    spec: &DiskSpec,
    backing: Option<&BaseImage>,
    journal: &mut Journal,
) -> Result<String> {
    let pool = StoragePool::lookup_by_name(conn, pool_name).libvirt(format!("storage pool {pool_name}"))?;
    let base = spec.file_name();
    let bytes = match (spec.size_gb, backing) {
        (Some(gb), _) => size_bytes(gb),
        (None, Some(b)) => b.capacity,
        (None, None) => 0,
    };
    let xml = NewVolume::disk(&base, bytes, &spec.format, backing.map(|b| &b.backing)).xml();
    let what = format!("create disk {}", spec.path.display());
    create_volume_xml(&pool, &xml, &what, journal)?
        .get_path()
        .libvirt("volume path")
}

/// Creates a volume from its XML in `pool`, recording its deletion in `journal`.
pub fn create_volume_xml(
    pool: &StoragePool,
    xml: &str,
    what: &str,
    journal: &mut Journal,
) -> Result<StorageVol> {
    let vol = StorageVol::create_xml(pool, xml, 0).libvirt(what)?;
    record_new_volume(&vol, journal)?;
    Ok(vol)
}

/// Records a volume this call made in `journal`: undone, it is deleted.
pub fn record_new_volume(vol: &StorageVol, journal: &mut Journal) -> Result<()> {
    let path = vol
        .get_path()
        .unwrap_or_else(|_| vol.get_name().unwrap_or_default());
    let undo = vol.clone();
    journal.record_fn(format!("create volume {path}"), move || {
        undo.delete(0).libvirt("delete the volume")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_probed_by_their_header() {
        let dir = std::env::temp_dir().join(format!("vnet-vm-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut qcow = b"QFI\xfb".to_vec();
        qcow.extend([0u8; 20]);
        qcow.extend((1u64 << 30).to_be_bytes());
        std::fs::write(dir.join("a.qcow2"), &qcow).unwrap();
        std::fs::write(dir.join("b.img"), [0u8; 4096]).unwrap();
        assert_eq!(probe_image(&dir.join("a.qcow2")).unwrap(), ("qcow2", 1 << 30));
        assert_eq!(probe_image(&dir.join("b.img")).unwrap(), ("raw", 4096));
        assert!(probe_image(&dir.join("none")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
