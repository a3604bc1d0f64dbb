//! Where install's files go and how they are named: the boot directory QEMU reads copied
//! kernels from, the copies' names, and file-safe names made from domain names.

use std::path::{Path, PathBuf};

/// Where copied kernels go (readable by QEMU under libvirt's security labels).
pub const BOOT_DIR: &str = "/var/lib/libvirt/boot";

/// `name` with every character but A-Z a-z 0-9 - _ . replaced by '_', for file and pool names.
pub fn safe_file_name(name: &str) -> String {
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

/// Where install copies `member` of an install tree for domain `name`: the one rule for the real
/// copy and the --dry-run/--print-xml preview. `attempt` 1 is `vnet-<name>-<file>` (the name made
/// file-safe), later attempts add `.N` so an existing file is never overwritten.
pub fn boot_copy_path(boot_dir: &Path, name: &str, member: &str, attempt: u32) -> PathBuf {
    let safe = safe_file_name(name);
    let base = member.rsplit('/').next().unwrap_or(member);
    let suffix = if attempt == 1 {
        String::new()
    } else {
        format!(".{attempt}")
    };
    boot_dir.join(format!("vnet-{safe}-{base}{suffix}"))
}

/// True for a file that install copied (so undefine --remove-all-storage removes it).
pub fn is_boot_copy(path: &str) -> bool {
    path.starts_with(&format!("{BOOT_DIR}/vnet-"))
}
