//! Disks through libvirt's storage API (so they work over remote URIs): find the pool whose target is
//! the disk's directory, or define a dir pool for it; create volumes of the requested size.

use crate::spec::{size_bytes, DiskSpec};
use quick_xml::events::BytesText;
use quick_xml::Writer;
use std::path::Path;
use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
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
}

/// Decides, without changing anything, how each disk is provided. A path that exists with size=
/// is "exists" (4); a path that does not exist without size= is "not found" (3).
pub fn plan_disks(conn: &Connect, specs: &[DiskSpec]) -> Result<Vec<DiskPlan>> {
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
            None => spec.path.exists(),
        };
        let path = spec.path.display();
        let create = match (exists, spec.size_gb) {
            (true, Some(_)) => {
                return Err(Error::exists(format!("--disk {path}: the image exists"))
                    .with_hint("omit size= to reuse it, or remove it first"))
            }
            (false, None) => {
                return Err(Error::not_found(format!("--disk {path}: no such image"))
                    .with_hint("add size=GB to create it"))
            }
            (exists, _) => !exists,
        };
        let pool = match pool {
            Some(pool) => PoolPlan::Existing(pool.get_name().libvirt("storage pool name")?),
            None if !create => PoolPlan::Existing(String::new()),
            None => new_pool_plan(conn, &dir, &plans)?,
        };
        plans.push(DiskPlan {
            spec: spec.clone(),
            pool,
            create,
        });
    }
    Ok(plans)
}

/// A dir pool for `dir`, named after the directory (with a suffix when the name is taken).
fn new_pool_plan(conn: &Connect, dir: &str, planned: &[DiskPlan]) -> Result<PoolPlan> {
    if let Some(p) = planned
        .iter()
        .find(|p| matches!(&p.pool, PoolPlan::New { dir: d, .. } if d == dir))
    {
        return Ok(p.pool.clone());
    }
    if !Path::new(dir).is_dir() {
        return Err(Error::not_found(format!("disk directory {dir} does not exist")));
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

/// A dir pool's definition (quick-xml escapes the name and path).
pub fn pool_xml(name: &str, dir: &str) -> String {
    let mut w = Writer::new(Vec::new());
    w.create_element("pool")
        .with_attribute(("type", "dir"))
        .write_inner_content(|w| {
            w.create_element("name")
                .write_text_content(BytesText::new(name))?;
            w.create_element("target").write_inner_content(|w| {
                w.create_element("path").write_text_content(BytesText::new(dir))?;
                Ok(())
            })?;
            Ok(())
        })
        .expect("writing XML to a Vec");
    String::from_utf8(w.into_inner()).expect("UTF-8")
}

/// Defines, builds and starts a dir pool (autostarted, as virt-install leaves it), recording the
/// definition and the start in `journal` as each is made.
pub fn create_pool(conn: &Connect, name: &str, dir: &str, journal: &mut Journal) -> Result<()> {
    let pool = define_pool(conn, name, dir, journal)?;
    build_pool(&pool, name, journal)?;
    start_pool(&pool, name, journal)?;
    set_pool_autostart(&pool, name, true, journal).map(drop)
}

/// Defines a dir pool for `dir`, recording its undefine.
pub fn define_pool(conn: &Connect, name: &str, dir: &str, journal: &mut Journal) -> Result<StoragePool> {
    let pool =
        StoragePool::define_xml(conn, &pool_xml(name, dir), 0).libvirt(format!("define pool {name}"))?;
    let defined = pool.clone();
    journal.record_fn(format!("define pool {name}"), move || {
        defined.undefine().libvirt("undefine the pool")
    })?;
    Ok(pool)
}

/// Builds a pool (a dir pool: makes its directory). Not journaled: building an existing
/// directory changes nothing, and a directory made here is removed with the pool by `pool-delete`.
pub fn build_pool(pool: &StoragePool, name: &str, _journal: &mut Journal) -> Result<()> {
    pool.build(0).libvirt(format!("build pool {name}")).map(drop)
}

/// Starts a pool, recording its stop.
pub fn start_pool(pool: &StoragePool, name: &str, journal: &mut Journal) -> Result<()> {
    let what = format!("start pool {name}");
    pool.create(0).libvirt(&what)?;
    let started = pool.clone();
    journal.record_fn(what, move || started.destroy().libvirt("stop the pool"))
}

/// Sets a pool's autostart flag, recording the way back; false when it already was so.
pub fn set_pool_autostart(pool: &StoragePool, name: &str, want: bool, journal: &mut Journal) -> Result<bool> {
    let what = format!("autostart pool {name}");
    if pool.get_autostart().libvirt(&what)? == want {
        return Ok(false);
    }
    pool.set_autostart(want).libvirt(&what)?;
    let undo = pool.clone();
    let step = if want { "autostart on" } else { "autostart off" };
    journal.record_fn(format!("{step} pool {name}"), move || {
        undo.set_autostart(!want).map(drop).libvirt(what)
    })?;
    Ok(true)
}

/// A backing file for a new volume: its path and format (`<backingStore>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backing {
    pub path: String,
    pub format: String,
}

/// A volume's definition: sparse, of `format`, on `backing` when given.
pub fn volume_xml(name: &str, bytes: u64, format: &str, backing: Option<&Backing>) -> String {
    let mut w = Writer::new(Vec::new());
    w.create_element("volume")
        .write_inner_content(|w| {
            w.create_element("name")
                .write_text_content(BytesText::new(name))?;
            w.create_element("capacity")
                .with_attribute(("unit", "bytes"))
                .write_text_content(BytesText::new(&bytes.to_string()))?;
            // Sparse, like virt-install's default.
            w.create_element("allocation")
                .write_text_content(BytesText::new("0"))?;
            w.create_element("target").write_inner_content(|w| {
                w.create_element("format")
                    .with_attribute(("type", format))
                    .write_empty()?;
                Ok(())
            })?;
            if let Some(backing) = backing {
                w.create_element("backingStore").write_inner_content(|w| {
                    w.create_element("path")
                        .write_text_content(BytesText::new(&backing.path))?;
                    w.create_element("format")
                        .with_attribute(("type", backing.format.as_str()))
                        .write_empty()?;
                    Ok(())
                })?;
            }
            Ok(())
        })
        .expect("writing XML to a Vec");
    String::from_utf8(w.into_inner()).expect("UTF-8")
}

/// Creates one volume in `pool_name` and records it in `journal`, returning its path.
pub fn create_volume(
    conn: &Connect,
    pool_name: &str,
    spec: &DiskSpec,
    journal: &mut Journal,
) -> Result<String> {
    let pool = StoragePool::lookup_by_name(conn, pool_name).libvirt(format!("storage pool {pool_name}"))?;
    let base = spec.file_name();
    let xml = volume_xml(&base, size_bytes(spec.size_gb.unwrap_or(0.0)), &spec.format, None);
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
    let path = vol
        .get_path()
        .unwrap_or_else(|_| vol.get_name().unwrap_or_default());
    let undo = vol.clone();
    journal.record_fn(format!("create volume {path}"), move || {
        undo.delete(0).libvirt("delete the volume")
    })?;
    Ok(vol)
}

/// Deletes the volume at `path` (undefine --remove-all-storage).
pub fn delete_volume(conn: &Connect, path: &str) -> Result<()> {
    let vol = StorageVol::lookup_by_path(conn, path).libvirt(format!("volume {path}"))?;
    vol.delete(0).libvirt(format!("delete volume {path}"))
}

/// `name` with every character but A-Z a-z 0-9 - _ . replaced by '_', for file and pool names.
pub(crate) fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_and_volume_xml_escape() {
        assert_eq!(
            pool_xml("a&b", "/d<x>"),
            "<pool type=\"dir\"><name>a&amp;b</name><target><path>/d&lt;x&gt;</path></target></pool>"
        );
        assert!(volume_xml("v.img", 1024, "qcow2", None).contains("<capacity unit=\"bytes\">1024</capacity>"));
        let backing = Backing {
            path: "/i/b&.qcow2".into(),
            format: "qcow2".into(),
        };
        assert!(volume_xml("o", 1, "qcow2", Some(&backing)).ends_with(
            "<backingStore><path>/i/b&amp;.qcow2</path><format type=\"qcow2\"/></backingStore></volume>"
        ));
    }
}
