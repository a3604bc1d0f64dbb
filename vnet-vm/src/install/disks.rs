//! What install decides about `--disk` once it can look at the target host: the path of a new
//! volume given as `pool=NAME,size=N` (named after the domain, as virt-install names it),
//! which paths are block devices (`<disk type='block'>`: QEMU refuses the file driver on one),
//! and the format of an existing image given without format=.

use crate::spec::DiskSpec;
use crate::storage::disks::DiskPlan;
use crate::storage::pools;
use crate::xml::domain::{Element, XmlDisk};
use crate::xml::pool::PoolXml;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use virt::connect::Connect;
use virt::storage_vol::StorageVol;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, Result};

/// `pool=NAME,size=N`: the new volume's path in NAME's target directory, `DOMAIN.qcow2` (raw:
/// `.img`), then `DOMAIN-1.qcow2`, ... past names the pool or an earlier disk holds. The pool must
/// exist (3) and be active (1), as virt-install requires.
pub fn place_pool_disks(conn: &Connect, domain: &str, disks: &mut [DiskSpec]) -> Result<()> {
    let mut taken: Vec<PathBuf> = Vec::new();
    for disk in disks.iter_mut() {
        let Some(name) = disk.pool.clone() else {
            taken.push(disk.path.clone());
            continue;
        };
        let pool = pools::require(conn, &name)?;
        if !pool.is_active().libvirt("storage pool state")? {
            return Err(Error::failed(format!("storage pool {name} is not active"))
                .with_hint(format!("start it: vnet-vm pool-start {name}")));
        }
        pool.refresh(0).libvirt(format!("refresh storage pool {name}"))?;
        let xml = pool.get_xml_desc(0).libvirt(format!("storage pool {name}"))?;
        let dir = PoolXml::read(&xml)
            .target
            .ok_or_else(|| Error::invalid(format!("--disk pool={name}: the pool has no target directory")))?;
        let ext = if disk.format == "qcow2" { "qcow2" } else { "img" };
        let path = (0..1000)
            .map(|i| match i {
                0 => format!("{domain}.{ext}"),
                i => format!("{domain}-{i}.{ext}"),
            })
            .map(|file| (Path::new(&dir).join(&file), file))
            .find(|(path, file)| !taken.contains(path) && StorageVol::lookup_by_name(&pool, file).is_err())
            .map(|(path, _)| path)
            .ok_or_else(|| Error::exists(format!("--disk pool={name}: no free volume name")))?;
        taken.push(path.clone());
        disk.path = path;
    }
    Ok(())
}

/// Marks the disks whose path is a block device: looked at here on a local connection; over a
/// remote one a path under /dev (the target host's devices cannot be looked at through libvirt).
pub fn mark_block_devices(disks: &mut [DiskSpec], local: bool) {
    for disk in disks.iter_mut() {
        disk.block = if local {
            std::fs::metadata(&disk.path).is_ok_and(|m| m.file_type().is_block_device())
        } else {
            disk.path.starts_with("/dev")
        };
    }
}

/// The format of an existing image given without format=, as virt-install finds it: it looks the
/// path up as a storage volume (making a pool of its directory when none holds it), so the
/// format is what libvirt probes from the image: a qcow2 image named `.img` or `.qcow` is qcow2.
/// Here: the volume's format when a pool holds it, else on a local connection the image's own
/// header (qcow2's magic), else raw.
pub fn existing_format(conn: &Connect, path: &Path, local: bool) -> String {
    let by_libvirt = StorageVol::lookup_by_path(conn, &path.to_string_lossy())
        .and_then(|vol| vol.get_xml_desc(0))
        .ok()
        .and_then(|xml| vnet_common::libvirt::xml::parse(&xml).ok())
        .and_then(|doc| doc.at(&["target", "format"])?.attr_string("type"));
    if let Some(format) = by_libvirt.filter(|f| f == "raw" || f == "qcow2") {
        return format;
    }
    match local && has_qcow2_magic(path) {
        true => "qcow2".into(),
        false => "raw".into(),
    }
}

/// Whether the file starts with qcow2's magic, "QFI\xfb".
fn has_qcow2_magic(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"QFI\xfb"
}

/// A planned disk as the domain XML writes it, with virt-install's driver defaults: a block
/// device gets cache=none, io=native and discard=unmap, a new (sparse) volume discard=unmap,
/// unless the line set them.
pub fn xml_disk(d: &DiskPlan) -> XmlDisk {
    let spec = &d.spec;
    let mut driver = spec.driver.clone();
    let mut default = |attr: &str, value: &str| {
        if !driver.iter().any(|(k, _)| k == attr) {
            driver.push((attr.into(), value.into()));
        }
    };
    if spec.device == "disk" && spec.block {
        default("cache", "none");
        default("io", "native");
    }
    if spec.device == "disk" && (spec.block || d.create) {
        default("discard", "unmap");
    }
    XmlDisk {
        driver,
        device: spec.device.clone(),
        block: spec.block,
        readonly: spec.readonly,
        shareable: spec.shareable,
        boot_order: spec.boot_order,
        serial: spec.serial.clone(),
        target: spec.target_dev.clone(),
        ..XmlDisk::file(&spec.path.to_string_lossy(), &spec.format, &spec.bus)
    }
}

/// bus=scsi needs a SCSI controller: virtio-scsi, as virt-install adds it, unless a --controller
/// type=scsi is given.
pub fn scsi_controller(disks: &[DiskPlan], devices: &[Element]) -> Option<Element> {
    let wanted = disks.iter().any(|d| d.spec.bus == "scsi");
    let given = devices
        .iter()
        .any(|e| e.name == "controller" && e.get("@type") == Some("scsi"));
    (wanted && !given).then(|| {
        let mut c = Element::new("controller");
        c.set("@type", "scsi");
        c.set("@model", "virtio-scsi");
        c
    })
}
