//! Files on the host the connection points at, reached only through libvirt: a path in a domain's
//! XML is a path on that host, never on the machine running vnet-vm. Storage volumes are found by
//! path (refreshing the pool of their directory first, so files put there by hand are seen),
//! the boot directory is reached through a pool made for it when none covers it (as virt-install
//! does with its boot-scratch pool), and local files are uploaded into volumes with a stream.

use crate::storage::paths::BOOT_DIR;
use crate::xml::pool::pool_xml;
use crate::xml::volume::NewVolume;
use std::io::Read;
use std::path::Path;
use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use virt::stream::Stream;
use virt::sys;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, Journal, Result};

/// The name of the transient pool made for the boot directory when no pool covers it.
pub const BOOT_POOL: &str = "vnet-boot-scratch";

fn split(path: &str) -> (String, String) {
    let p = Path::new(path);
    let dir = p
        .parent()
        .unwrap_or(Path::new("/"))
        .to_string_lossy()
        .into_owned();
    let file = p.file_name().unwrap_or_default().to_string_lossy().into_owned();
    (dir, file)
}

/// The storage volume at `path` on the connection's host, if libvirt knows one: by path, else in
/// the (refreshed) pool whose target is the file's directory.
pub fn find_volume(conn: &Connect, path: &str) -> Option<StorageVol> {
    if let Ok(vol) = StorageVol::lookup_by_path(conn, path) {
        return Some(vol);
    }
    let (dir, file) = split(path);
    let pool = StoragePool::lookup_by_target_path(conn, &dir).ok()?;
    if !pool.is_active().unwrap_or(false) {
        return None;
    }
    let _ = pool.refresh(0);
    StorageVol::lookup_by_name(&pool, &file).ok()
}

/// A running pool for `dir` on the target host: the one whose target it is (started when it is
/// inactive), or a transient dir pool made for it (built: the directory is made when missing).
/// Returns the pool and whether it was made (the caller destroys a made one when done, or
/// records that in a journal).
pub fn pool_for_dir(conn: &Connect, dir: &str, name: &str) -> Result<(StoragePool, bool)> {
    if let Ok(pool) = StoragePool::lookup_by_target_path(conn, dir) {
        if !pool.is_active().unwrap_or(false) {
            pool.create(0)
                .libvirt(format!("start the storage pool of {dir}"))?;
        }
        let _ = pool.refresh(0);
        return Ok((pool, false));
    }
    let xml = pool_xml(name, dir);
    let pool = StoragePool::create_xml(conn, &xml, sys::VIR_STORAGE_POOL_CREATE_WITH_BUILD)
        .libvirt(format!("make a storage pool for {dir} on the target host"))?;
    Ok((pool, true))
}

/// What undefine --remove-all-storage did with one path the domain uses.
pub enum Removal {
    /// Deleted as a storage volume of the target host.
    Removed,
    /// Left in place, with why.
    Kept(String),
}

/// Deletes the volume at `path` on the target host, found through libvirt only. A path that is
/// no volume (after a refresh of its directory's pool; for boot copies, through a pool made for
/// the boot directory) is left in place: nothing is ever deleted outside the connection.
/// `how` says whether it is wiped first and its snapshots deleted with it.
pub fn remove_volume_with(conn: &Connect, path: &str, how: Deletion) -> Removal {
    let mut scratch = None;
    let mut vol = find_volume(conn, path);
    if vol.is_none() && crate::storage::paths::is_boot_copy(path) {
        if let Ok((pool, true)) = pool_for_dir_existing(conn, BOOT_DIR) {
            let (_, file) = split(path);
            vol = StorageVol::lookup_by_name(&pool, &file).ok();
            scratch = Some(pool);
        }
    }
    let outcome = match vol {
        None => Removal::Kept("not a storage volume of the target host".into()),
        Some(vol) => match delete(&vol, how) {
            Ok(()) => Removal::Removed,
            Err(e) => Removal::Kept(format!(
                "delete failed: {}",
                vnet_common::libvirt::error(e).message
            )),
        },
    };
    if let Some(pool) = scratch {
        let _ = pool.destroy();
    }
    outcome
}

/// How [`remove_volume_with`] deletes: wiped first (zeros), and with the volume's snapshots.
#[derive(Debug, Clone, Copy, Default)]
pub struct Deletion {
    pub wipe: bool,
    pub with_snapshots: bool,
}

fn delete(vol: &StorageVol, how: Deletion) -> std::result::Result<(), virt::error::Error> {
    if how.wipe {
        vol.wipe(0)?;
    }
    let flags = if how.with_snapshots {
        virt::sys::VIR_STORAGE_VOL_DELETE_WITH_SNAPSHOTS
    } else {
        0
    };
    vol.delete(flags)
}

/// Like [`pool_for_dir`] for a directory that must already exist on the target (nothing is made
/// there just to look).
fn pool_for_dir_existing(conn: &Connect, dir: &str) -> Result<(StoragePool, bool)> {
    if let Ok(pool) = StoragePool::lookup_by_target_path(conn, dir) {
        return Ok((pool, false));
    }
    let xml = pool_xml(BOOT_POOL, dir);
    let pool = StoragePool::create_xml(conn, &xml, 0).libvirt(format!("pool for {dir}"))?;
    Ok((pool, true))
}

/// Uploads the local file `local` into a new volume called `name` in `pool` on the target host
/// (libvirt's volume upload over a stream), recording the volume in `journal` as soon as it
/// exists. Progress goes to stderr when it is a terminal. Returns the volume's path there.
pub fn upload(pool: &StoragePool, local: &Path, name: &str, journal: &mut Journal) -> Result<String> {
    let shown = local.display().to_string();
    let mut file = std::fs::File::open(local).map_err(|e| Error::from(e).context(format!("open {shown}")))?;
    let size = file
        .metadata()
        .map_err(|e| Error::from(e).context(format!("read {shown}")))?
        .len();
    let xml = NewVolume::upload(name, size).xml();
    let vol = StorageVol::create_xml(pool, &xml, 0).libvirt(format!("create volume {name} for {shown}"))?;
    let path = vol.get_path().libvirt("volume path")?;
    let undo = vol.clone();
    journal.record_fn(format!("upload {shown} to {path}"), move || {
        undo.delete(0).libvirt("delete the uploaded volume")
    })?;
    let conn = pool.get_connect().libvirt("the pool's connection")?;
    let stream = Stream::new(&conn, 0).libvirt("open an upload stream")?;
    vol.upload(&stream, 0, size, 0)
        .libvirt(format!("upload {shown}"))?;
    let progress = Progress::new(&shown, size);
    let mut buffer = vec![0u8; 256 * 1024];
    let mut sent = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| Error::from(e).context(format!("read {shown}")))?;
        if n == 0 {
            break;
        }
        let mut chunk = &buffer[..n];
        while !chunk.is_empty() {
            let written = stream.send(chunk).libvirt(format!("upload {shown}"))?;
            chunk = &chunk[written..];
        }
        sent += n as u64;
        progress.show(sent);
        vnet_common::signals::check()?;
    }
    stream.finish().libvirt(format!("finish uploading {shown}"))?;
    progress.done();
    Ok(path)
}

/// A one-line progress report on stderr, only when stderr is a terminal.
struct Progress {
    what: String,
    size: u64,
    on: bool,
}

impl Progress {
    fn new(what: &str, size: u64) -> Progress {
        use std::io::IsTerminal;
        Progress {
            what: what.to_string(),
            size,
            on: std::io::stderr().is_terminal(),
        }
    }

    fn show(&self, sent: u64) {
        if self.on {
            let pct = (sent * 100).checked_div(self.size).unwrap_or(100);
            eprint!(
                "\ruploading {}: {pct:3}% ({sent} of {} bytes)",
                self.what, self.size
            );
        }
    }

    fn done(&self) {
        if self.on {
            eprintln!();
        }
    }
}

/// The running pool of the target's boot directory, made (transient, journaled) when none covers
/// it and left running on success, as virt-install leaves its boot-scratch pool.
fn boot_pool(conn: &Connect, journal: &mut Journal) -> Result<StoragePool> {
    let (pool, made) = pool_for_dir(conn, BOOT_DIR, BOOT_POOL)?;
    if made {
        let scratch = pool.clone();
        journal.record_fn(format!("make pool {BOOT_POOL} for {BOOT_DIR}"), move || {
            scratch.destroy().libvirt("stop the scratch pool")
        })?;
    }
    Ok(pool)
}

/// Uploads the local `file` into a new volume of the boot pool named as install names its copies
/// (`vnet-NAME-FILE`, `.N` when taken), so undefine --remove-all-storage finds it.
fn upload_copy(pool: &StoragePool, name: &str, file: &Path, journal: &mut Journal) -> Result<String> {
    let member = file
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let free = (1..100)
        .map(|n| crate::storage::paths::boot_copy_path(Path::new(BOOT_DIR), name, &member, n))
        .map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned())
        .find(|v| StorageVol::lookup_by_name(pool, v).is_err())
        .ok_or_else(|| Error::exists(format!("no free volume name in {BOOT_DIR} for {member}")))?;
    upload(pool, file, &free, journal)
}

/// `install -c REMOTE --boot kernel=K,initrd=I` (and `--location`, whose kernel and initrd are
/// read here first): the local kernel and initrd uploaded into volumes of the target host's
/// /var/lib/libvirt/boot (named as install names its copies, so undefine --remove-all-storage
/// finds them), through a pool made for that directory when none covers it (left running,
/// transient, as virt-install leaves its boot-scratch pool). Each step is journaled: a failure
/// removes the uploads. Returns the paths on the target host.
pub fn upload_boot_files(
    conn: &Connect,
    name: &str,
    kernel: &Path,
    initrd: Option<&Path>,
    journal: &mut Journal,
) -> Result<(String, Option<String>)> {
    let pool = boot_pool(conn, journal)?;
    let kernel = upload_copy(&pool, name, kernel, journal)?;
    let initrd = initrd.map(|i| upload_copy(&pool, name, i, journal)).transpose()?;
    Ok((kernel, initrd))
}

/// `install -c REMOTE --cdrom ISO` with a local ISO: uploaded into a volume of the target's boot
/// directory as `vnet-NAME-ISO` (journaled; removed by undefine --remove-all-storage). Returns
/// its path on the target host.
pub fn upload_cdrom(conn: &Connect, name: &str, iso: &Path, journal: &mut Journal) -> Result<String> {
    let pool = boot_pool(conn, journal)?;
    upload_copy(&pool, name, iso, journal)
}

/// Where an upload of `file` for domain `name` would go on the target (--dry-run, --print-xml).
pub fn upload_preview(name: &str, file: &Path) -> String {
    let member = file.file_name().unwrap_or_default().to_string_lossy();
    crate::storage::paths::boot_copy_path(Path::new(BOOT_DIR), name, &member, 1)
        .to_string_lossy()
        .into_owned()
}

/// What the target host has in directory `dir`, looked at through libvirt only: `None` when the
/// directory does not exist there, else whether it holds `file`. A directory no pool covers is
/// looked at through a transient dir pool made for the look (not built: nothing is created) and
/// stopped again at once; a pool that covers it but is inactive is an error (it says so).
pub fn look_in_dir(conn: &Connect, dir: &str, file: &str) -> Result<Option<bool>> {
    if let Ok(pool) = StoragePool::lookup_by_target_path(conn, dir) {
        if !pool.is_active().libvirt("storage pool")? {
            let name = pool.get_name().unwrap_or_default();
            return Err(
                Error::failed(format!("storage pool {name} holding {dir} is not active"))
                    .with_hint(format!("virsh -c URI pool-start {name}")),
            );
        }
        pool.refresh(0).libvirt(format!("refresh the pool of {dir}"))?;
        return Ok(Some(StorageVol::lookup_by_name(&pool, file).is_ok()));
    }
    let probe = format!("vnet-probe-{}", std::process::id());
    let pool = match StoragePool::create_xml(conn, &pool_xml(&probe, dir), 0) {
        Ok(pool) => pool,
        // A dir pool does not start on a missing directory.
        Err(_) => return Ok(None),
    };
    let found = StorageVol::lookup_by_name(&pool, file).is_ok();
    pool.destroy()
        .libvirt(format!("stop the pool made to look at {dir}"))?;
    Ok(Some(found))
}

/// True when `path` is a file (volume) on the target host, looked at through libvirt only.
pub fn exists_on_target(conn: &Connect, path: &Path) -> Result<bool> {
    let shown = path.to_string_lossy();
    if find_volume(conn, &shown).is_some() {
        return Ok(true);
    }
    let (dir, file) = split(&shown);
    Ok(look_in_dir(conn, &dir, &file)? == Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_outside_the_connection_is_touched() {
        // test:///default has no pool for /var/lib/libvirt/boot and no such volume: the path is
        // kept (and a local file of that name, if any, is never looked at).
        let conn = Connect::open(Some("test:///default")).unwrap();
        let path = format!("{BOOT_DIR}/vnet-x-vmlinuz");
        assert!(matches!(
            remove_volume_with(&conn, &path, Deletion::default()),
            Removal::Kept(_)
        ));
        assert!(matches!(
            remove_volume_with(&conn, "/nowhere/disk.img", Deletion::default()),
            Removal::Kept(_)
        ));
    }
}
