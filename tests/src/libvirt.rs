//! What the libvirt tests (vnet-net, vnet-vm) share: the guest kit, libvirt's default network,
//! directories that may become storage pools, and snapshots of libvirt state read through virsh.

use crate::lab::Lab;
use crate::run::sh_ok;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The guest kit's directory: a Debian cloud kernel, a busybox initramfs with a shell on ttyS0
/// and an install ISO, built once per machine (cached) by tests/guest/build-guest.
pub fn kit() -> PathBuf {
    static KIT: OnceLock<PathBuf> = OnceLock::new();
    KIT.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("guest/build-guest");
        PathBuf::from(sh_ok(&format!("{} 2>/dev/null", script.display())).trim())
    })
    .clone()
}

/// libvirt's default NAT network (defined, inactive in the sandbox) started, and stopped again
/// when the lab ends if this test started it.
pub fn default_network(lab: &Lab) {
    let info = sh_ok("virsh net-info default");
    if !info
        .lines()
        .any(|l| l.starts_with("Active:") && l.ends_with("yes"))
    {
        sh_ok("virsh net-start default");
        lab.on_drop("virsh net-destroy default");
    }
}

/// A directory of this test's own for disks and kernels ([`Lab::dir`]), removed at the end with
/// the pool vnet-vm may define for it (named after the directory).
pub fn lab_dir(lab: &Lab, stem: &str) -> PathBuf {
    let dir = lab.dir(stem);
    let pool = dir.file_name().unwrap().to_string_lossy().into_owned();
    lab.on_drop(format!("virsh pool-destroy {pool}; virsh pool-undefine {pool}"));
    dir
}

/// What a failed install or define must leave unchanged: domains, pools and their volumes, the
/// boot files, and the files in `dir`.
pub fn libvirt_state(dir: &Path) -> String {
    sh_ok(&format!(
        "virsh list --all --name; virsh pool-list --all --name; \
         for p in $(virsh pool-list --all --name); do virsh vol-list \"$p\"; done; \
         ls -1A /var/lib/libvirt/boot; ls -1A {}",
        dir.display()
    ))
}

/// What a refused network verb must leave unchanged: the networks (names, states, UUIDs), their
/// definition and autostart files, and the host's links with their addresses.
pub fn networks_state() -> String {
    sh_ok(
        "virsh net-list --all; virsh net-list --all --uuid; ls -1 /etc/libvirt/qemu/networks \
         /etc/libvirt/qemu/networks/autostart; ip -br addr | awk '{$2=\"\"; print}'",
    )
}

/// The names of every libvirt network, sorted (virsh net-list --all --name).
pub fn network_names() -> Vec<String> {
    let mut names: Vec<String> = sh_ok("virsh net-list --all --name")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    names.sort();
    names
}

/// The check called `name` in `vnet-net doctor`'s output; panics when there is none.
pub fn check_of(checks: &Value, name: &str) -> Value {
    checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {checks}"))
        .clone()
}
