//! `--location`: find the installer's kernel and initrd in an ISO image (read with the `iso9660`
//! crate, never mounted) or a directory, and copy them to /var/lib/libvirt/boot for QEMU to read.

use crate::storage::paths::boot_copy_path;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use vnet_common::{Context, Error, ErrorKind, Journal, Result};

/// Kernel and initrd paths of the install trees vnet knows, with the distribution they belong to.
pub const LAYOUTS: &[(&str, &str, &str)] = &[
    ("install/vmlinuz", "install/initrd.gz", "ubuntu/debian install CD"),
    (
        "install.amd/vmlinuz",
        "install.amd/initrd.gz",
        "debian install CD",
    ),
    ("casper/vmlinuz", "casper/initrd", "ubuntu live server"),
    ("casper/vmlinuz", "casper/initrd.gz", "ubuntu live"),
    ("casper/vmlinuz", "casper/initrd.lz", "ubuntu live"),
    (
        "install/netboot/ubuntu-installer/amd64/linux",
        "install/netboot/ubuntu-installer/amd64/initrd.gz",
        "ubuntu netboot",
    ),
    (
        "images/pxeboot/vmlinuz",
        "images/pxeboot/initrd.img",
        "fedora/rhel",
    ),
    (
        "isolinux/vmlinuz",
        "isolinux/initrd.img",
        "fedora/rhel (isolinux)",
    ),
    // Debian's netboot trees as mirrors serve them (dists/SUITE/main/installer-amd64/...), at
    // each level a URL may point to: installer-amd64/, current/, the debian-installer/amd64/ dir.
    (
        "current/images/netboot/debian-installer/amd64/linux",
        "current/images/netboot/debian-installer/amd64/initrd.gz",
        "debian netboot tree",
    ),
    (
        "images/netboot/debian-installer/amd64/linux",
        "images/netboot/debian-installer/amd64/initrd.gz",
        "debian netboot tree",
    ),
    (
        "ubuntu-installer/amd64/linux",
        "ubuntu-installer/amd64/initrd.gz",
        "ubuntu netboot",
    ),
    ("linux", "initrd.gz", "debian/ubuntu netboot kernel directory"),
];

/// The install tree found: where the kernel and initrd are inside the location.
#[derive(Debug, Clone, PartialEq)]
pub struct InstallTree {
    pub location: PathBuf,
    pub is_iso: bool,
    /// An http:// install tree: the URL (the kernel and initrd are fetched from it).
    pub url: Option<String>,
    pub kernel: String,
    pub initrd: String,
    pub layout: &'static str,
}

/// Finds the install tree in `location`; not found (3) when the location is missing, invalid (7)
/// listing every path tried when it holds no known tree.
pub fn find(location: &str) -> Result<InstallTree> {
    if crate::install::http::is_url(location) {
        return find_url(location);
    }
    let path = PathBuf::from(location);
    let meta = std::fs::metadata(&path).with_context(|| format!("--location {location}"))?;
    let is_iso = !meta.is_dir();
    let found = if is_iso {
        let iso = open_iso(&path)?;
        LAYOUTS
            .iter()
            .find(|(k, i, _)| iso_file(&iso, k).is_some() && iso_file(&iso, i).is_some())
    } else {
        LAYOUTS
            .iter()
            .find(|(k, i, _)| path.join(k).is_file() && path.join(i).is_file())
    };
    match found {
        Some((kernel, initrd, layout)) => Ok(InstallTree {
            location: path,
            is_iso,
            url: None,
            kernel: kernel.to_string(),
            initrd: initrd.to_string(),
            layout,
        }),
        None => {
            let tried: Vec<String> = LAYOUTS.iter().map(|(k, i, _)| format!("{k} + {i}")).collect();
            Err(Error::invalid(format!(
                "--location {location}: no install tree found (tried {})",
                tried.join(", ")
            ))
            .with_hint("give an install ISO or tree, or boot a kernel with --boot kernel=...,initrd=..."))
        }
    }
}

/// An http:// install tree: each known layout probed with HEAD requests (kernel, then initrd).
fn find_url(url: &str) -> Result<InstallTree> {
    use crate::install::http;
    http::parse_url(url)?;
    for (kernel, initrd, layout) in LAYOUTS {
        if http::exists(&http::join(url, kernel))? && http::exists(&http::join(url, initrd))? {
            return Ok(InstallTree {
                location: PathBuf::from(url),
                is_iso: false,
                url: Some(url.to_string()),
                kernel: kernel.to_string(),
                initrd: initrd.to_string(),
                layout,
            });
        }
    }
    Err(Error::not_found(format!(
        "--location {}: no install tree found at this URL (tried {})",
        vnet_common::error::quote(url),
        LAYOUTS.iter().map(|(k, _, _)| *k).collect::<Vec<_>>().join(", ")
    ))
    .with_hint("point at the tree's root, e.g. .../dists/bookworm/main/installer-amd64/"))
}

type Iso = iso9660::ISO9660<File>;

fn open_iso(path: &Path) -> Result<Iso> {
    let file = File::open(path).with_context(|| format!("--location {}", path.display()))?;
    iso9660::ISO9660::new(file).map_err(|e| {
        Error::invalid(format!(
            "--location {}: not an ISO 9660 image: {e}",
            path.display()
        ))
    })
}

/// An ISO name compared the way CD names differ from their Rock Ridge / Joliet forms: case, the
/// ";1" version, a trailing dot, and '.' stored as '_' in level-1 directory names.
fn iso_name_matches(stored: &str, wanted: &str) -> bool {
    let stored = stored.split(';').next().unwrap_or(stored).trim_end_matches('.');
    stored.eq_ignore_ascii_case(wanted) || stored.eq_ignore_ascii_case(&wanted.replace(['.', '-'], "_"))
}

fn iso_file(iso: &Iso, path: &str) -> Option<iso9660::ISOFile<File>> {
    let mut dir = iso.root.clone();
    let parts: Vec<&str> = path.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let entry = dir
            .contents()
            .filter_map(|e| e.ok())
            .find(|e| iso_name_matches(e.identifier(), part))?;
        match entry {
            iso9660::DirectoryEntry::Directory(d) if i + 1 < parts.len() => dir = d,
            iso9660::DirectoryEntry::File(f) if i + 1 == parts.len() => return Some(f),
            _ => return None,
        }
    }
    None
}

/// Opens one file of the tree for reading.
fn open_member(tree: &InstallTree, member: &str) -> Result<Box<dyn Read>> {
    if let Some(url) = &tree.url {
        return crate::install::http::get(&crate::install::http::join(url, member));
    }
    if !tree.is_iso {
        let file = File::open(tree.location.join(member)).context(member)?;
        return Ok(Box::new(file));
    }
    let iso = open_iso(&tree.location)?;
    let file =
        iso_file(&iso, member).ok_or_else(|| Error::not_found(format!("{member} vanished from the ISO")))?;
    Ok(Box::new(file.read()))
}

/// The attempts at a free copy path (see [`boot_copy_path`]).
fn attempts() -> std::ops::Range<u32> {
    1..100
}

/// The paths the kernel and initrd would be copied to now, copying nothing.
pub fn preview_copies(tree: &InstallTree, name: &str, boot_dir: &Path) -> (PathBuf, PathBuf) {
    let free = |member: &str| {
        attempts()
            .map(|n| boot_copy_path(boot_dir, name, member, n))
            .find(|p| !p.exists())
            .unwrap_or_else(|| boot_copy_path(boot_dir, name, member, 1))
    };
    (free(&tree.kernel), free(&tree.initrd))
}

/// Copies the kernel and initrd to `boot_dir` (a new file each; never overwriting), recording
/// each file in `journal` as soon as it is created. Returns the destination paths.
pub fn copy_boot_files(
    tree: &InstallTree,
    name: &str,
    boot_dir: &Path,
    journal: &mut Journal,
) -> Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(boot_dir).with_context(|| format!("create {}", boot_dir.display()))?;
    let kernel = copy_one(tree, &tree.kernel, name, boot_dir, journal)?;
    let initrd = copy_one(tree, &tree.initrd, name, boot_dir, journal)?;
    Ok((kernel, initrd))
}

/// For a remote connection: the kernel and initrd read (from the ISO, directory or URL) into
/// files named after the members in the new private directory `dir` of this machine, from where
/// they are uploaded; the caller removes `dir` (see [`Scratch`]). Returns the two files.
pub fn fetch_members(tree: &InstallTree, dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let one = |member: &str| -> Result<PathBuf> {
        let base = member.rsplit('/').next().unwrap_or(member);
        let dest = dir.join(base);
        let mut out = File::options()
            .write(true)
            .create_new(true)
            .open(&dest)
            .with_context(|| format!("create {}", dest.display()))?;
        let mut src = open_member(tree, member)?;
        io::copy(&mut src, &mut out).with_context(|| format!("read {member} into {}", dest.display()))?;
        Ok(dest)
    };
    Ok((one(&tree.kernel)?, one(&tree.initrd)?))
}

/// A private directory under the temporary directory, removed with what it holds when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(what: &str) -> Result<Scratch> {
        let base = std::env::temp_dir();
        for n in 0..100u32 {
            let dir = base.join(format!("vnet-{what}-{}-{n}", std::process::id()));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(Scratch(dir)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::from(e).context(format!("create {}", dir.display()))),
            }
        }
        Err(Error::exists(format!(
            "no free scratch directory in {}",
            base.display()
        )))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_one(
    tree: &InstallTree,
    member: &str,
    name: &str,
    boot_dir: &Path,
    journal: &mut Journal,
) -> Result<PathBuf> {
    let (mut out, dest) = attempts()
        .find_map(|n| {
            let dest = boot_copy_path(boot_dir, name, member, n);
            let file = File::options().write(true).create_new(true).open(&dest);
            file.ok().map(|f| (f, dest))
        })
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Exists,
                format!("no free file name in {}", boot_dir.display()),
            )
        })?;
    let created = dest.clone();
    journal.record_fn(format!("copy {}", dest.display()), move || {
        std::fs::remove_file(&created).with_context(|| format!("remove {}", created.display()))
    })?;
    let mut src = open_member(tree, member)?;
    io::copy(&mut src, &mut out).with_context(|| format!("copy {member} to {}", dest.display()))?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cd_names_match_their_long_forms() {
        assert!(iso_name_matches("VMLINUZ.;1", "vmlinuz"));
        assert!(iso_name_matches("INITRD.GZ;1", "initrd.gz"));
        assert!(iso_name_matches("INSTALL_AMD", "install.amd"));
        assert!(!iso_name_matches("INITRD.GZ;1", "initrd"));
    }

    #[test]
    fn directory_tree_is_found_and_missing_tree_lists_paths() {
        let dir = std::env::temp_dir().join(format!("vnet-vm-loc-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("casper")).unwrap();
        let missing = find(dir.to_str().unwrap()).unwrap_err();
        assert_eq!(missing.exit_code(), 7);
        assert!(
            missing.message.contains("install/vmlinuz + install/initrd.gz"),
            "{}",
            missing.message
        );
        assert!(missing.message.contains("images/pxeboot/vmlinuz"));
        std::fs::write(dir.join("casper/vmlinuz"), b"k").unwrap();
        std::fs::write(dir.join("casper/initrd"), b"i").unwrap();
        let tree = find(dir.to_str().unwrap()).unwrap();
        assert_eq!(
            (tree.kernel.as_str(), tree.initrd.as_str()),
            ("casper/vmlinuz", "casper/initrd")
        );
        let boot = dir.join("boot");
        let mut journal = Journal::new();
        let (k, i) = copy_boot_files(&tree, "VM 1", &boot, &mut journal).unwrap();
        assert_eq!(k, boot.join("vnet-VM_1-vmlinuz"));
        assert_eq!(std::fs::read(&i).unwrap(), b"i");
        let (k2, _) = copy_boot_files(&tree, "VM 1", &boot, &mut journal).unwrap();
        assert_eq!(k2, boot.join("vnet-VM_1-vmlinuz.2"));
        // Undoing removes every copy, last first.
        let report = futures::executor::block_on(journal.rollback());
        assert_eq!(report.undone.len(), 4, "{report:?}");
        assert_eq!(std::fs::read_dir(&boot).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(find("/nonexistent/x.iso").unwrap_err().exit_code(), 3);
    }

    /// The preview (--dry-run, --print-xml) names exactly the files the copy writes, also for a
    /// domain name that is not file-safe.
    #[test]
    fn preview_names_what_the_copy_writes() {
        let dir = std::env::temp_dir().join(format!("vnet-vm-preview-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("install")).unwrap();
        std::fs::write(dir.join("install/vmlinuz"), b"k").unwrap();
        std::fs::write(dir.join("install/initrd.gz"), b"i").unwrap();
        let tree = find(dir.to_str().unwrap()).unwrap();
        let boot = dir.join("boot");
        let name = "web server 1 (ünïcode)";
        for _ in 0..2 {
            let preview = preview_copies(&tree, name, &boot);
            let mut journal = Journal::new();
            let copied = copy_boot_files(&tree, name, &boot, &mut journal).unwrap();
            assert_eq!(preview, copied);
            journal.commit();
        }
        assert_eq!(
            preview_copies(&tree, name, &boot).0,
            boot.join("vnet-web_server_1___n_code_-vmlinuz.3")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_non_iso_file_is_invalid() {
        let f = std::env::temp_dir().join(format!("vnet-vm-notiso-{}", std::process::id()));
        std::fs::write(&f, vec![0u8; 40000]).unwrap();
        let e = find(f.to_str().unwrap()).unwrap_err();
        std::fs::remove_file(&f).unwrap();
        assert_eq!(e.exit_code(), 7, "{e:?}");
    }

    /// The kit's ISO (tests/guest/build-guest), when this machine has built it.
    #[test]
    fn reads_the_kit_iso_when_present() {
        let iso = "/var/cache/vnet-guest/guest.iso";
        if !Path::new(iso).exists() {
            return;
        }
        let tree = find(iso).unwrap();
        assert_eq!(tree.kernel, "install/vmlinuz");
        let mut head = [0u8; 2];
        open_member(&tree, &tree.initrd)
            .unwrap()
            .read_exact(&mut head)
            .unwrap();
        assert_eq!(head, [0x1f, 0x8b], "initrd.gz is gzip");
    }
}
