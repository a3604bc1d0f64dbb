//! End-to-end tests of vnet-vm's pool-* and vol-* verbs against the sandbox's libvirtd, and of a
//! cluster installer's clean-up done with vnet alone. Oracles: virsh (pool-list, pool-info,
//! vol-list, vol-info, list, net-list), qemu-img info, cmp of uploaded and downloaded bytes.

use serde_json::Value;
use std::path::{Path, PathBuf};
use vnet_tests::*;

/// A directory of the lab's own (removed at the end) and a pool name removed at the end.
fn lab_pool(lab: &Lab, stem: &str) -> (String, PathBuf) {
    let name = lab.name(stem);
    let dir = PathBuf::from(format!("/tmp/vnet-storage-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    lab.on_drop(format!("rm -rf {}", dir.display()));
    lab.on_drop(format!("virsh pool-destroy {name}; virsh pool-undefine {name}"));
    (name, dir)
}

/// What the storage verbs may change: pools and the volumes of every active pool.
fn storage_state() -> String {
    sh_ok("virsh pool-list --all --name; for p in $(virsh pool-list --name); do virsh vol-list \"$p\"; done")
}

fn virsh_info_head(cmd: &str, lines: usize) -> String {
    sh_ok(cmd).lines().take(lines).map(|l| format!("{l}\n")).collect()
}

#[test]
fn pool_cycle_volumes_upload_download() {
    let lab = lab!();
    let (pool, dir) = lab_pool(&lab, "sp");
    let target = dir.join("pool");
    let t = target.to_str().unwrap();
    let defined = vm(&["pool-define-as", &pool, "dir", "--target", t]).ok().json();
    assert_eq!(
        (defined["changed"].clone(), defined["state"].clone()),
        (true.into(), "inactive".into())
    );
    let again = vm(&["pool-define-as", &pool, "dir", "--target", t, "--exist-ok"])
        .ok()
        .json();
    assert_eq!(again["changed"], false);
    vm(&["pool-define-as", &pool, "dir", "--target", t]).fails(4, "already exists");
    // -o text is virsh's table, line for line.
    assert_eq!(
        vm(&["pool-list", "--all", "-o", "text"]).ok().stdout,
        sh_ok("virsh pool-list --all")
    );
    assert_eq!(
        vm(&["pool-list", "--all", "--name"]).ok().stdout,
        sh_ok("virsh pool-list --all --name")
    );
    let built = vm(&["pool-build", &pool]).ok().json();
    assert_eq!(built["changed"], true);
    assert!(target.is_dir());
    assert_eq!(vm(&["pool-build", &pool]).ok().json()["changed"], false);
    assert_eq!(vm(&["pool-start", &pool]).ok().json()["state"], "running");
    vm(&["pool-start", &pool]).fails(4, "already active");
    assert_eq!(
        vm(&["pool-start", &pool, "--exist-ok"]).ok().json()["changed"],
        false
    );
    assert_eq!(vm(&["pool-autostart", &pool]).ok().json()["autostart"], true);
    assert!(sh_ok(&format!("virsh pool-info {pool}")).contains("Autostart:      yes"));
    // pool-info: the first five lines (sizes move as the disk fills).
    let info = vm(&["pool-info", &pool, "-o", "text"]).ok().stdout;
    let ours: String = info.lines().take(5).map(|l| format!("{l}\n")).collect();
    assert_eq!(ours, virsh_info_head(&format!("virsh pool-info {pool}"), 5));
    assert!(info.contains("Capacity:"), "{info}");

    // Volumes: raw, a qcow2 base, and an overlay on it.
    let raw = vm(&["vol-create-as", &pool, "raw.img", "4M"]).ok().json();
    assert_eq!(
        (raw["format"].clone(), raw["capacity"].clone()),
        ("raw".into(), (4u64 << 20).into())
    );
    vm(&["vol-create-as", &pool, "base.qcow2", "16M", "--format", "qcow2"]).ok();
    let base_path = target.join("base.qcow2");
    let overlay = vm(&[
        "vol-create-as",
        &pool,
        "over.qcow2",
        "16M",
        "--format",
        "qcow2",
        "--backing-vol",
        base_path.to_str().unwrap(),
        "--backing-vol-format",
        "qcow2",
    ])
    .ok()
    .json();
    assert_eq!(overlay["backing"], base_path.to_str().unwrap());
    let img: Value = serde_json::from_str(&sh_ok(&format!(
        "qemu-img info -U --output=json {}",
        target.join("over.qcow2").display()
    )))
    .unwrap();
    assert_eq!(img["format"], "qcow2");
    assert_eq!(img["backing-filename"], base_path.to_str().unwrap());
    assert_eq!(img["backing-filename-format"], "qcow2");
    // By name in the same pool, its format read from the pool.
    let by_name = vm(&[
        "vol-create-as",
        &pool,
        "over2.qcow2",
        "16M",
        "--format",
        "qcow2",
        "--backing-vol",
        "base.qcow2",
    ])
    .ok()
    .json();
    assert_eq!(by_name["backing_format"], "qcow2");
    let exist = vm(&["vol-create-as", &pool, "raw.img", "4M", "--exist-ok"])
        .ok()
        .json();
    assert_eq!(exist["changed"], false);
    vm(&["vol-create-as", &pool, "raw.img", "4M"]).fails(4, "already exists");
    assert_eq!(
        vm(&["vol-list", &pool, "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh vol-list {pool}"))
    );
    assert_eq!(
        vm(&["vol-info", "raw.img", "--pool", &pool, "-o", "text"])
            .ok()
            .stdout,
        sh_ok(&format!("virsh vol-info --pool {pool} raw.img"))
    );
    let listed = vm(&["vol-list", &pool]).ok().json();
    assert_eq!(listed.as_array().unwrap().len(), 4);

    // Upload a file and download it back byte for byte.
    let data = dir.join("data.bin");
    sh_ok(&format!("head -c 3000000 /dev/urandom >{}", data.display()));
    let up = vm(&["vol-upload", "raw.img", data.to_str().unwrap(), "--pool", &pool])
        .ok()
        .json();
    assert_eq!(up["bytes"], 3000000);
    let back = dir.join("back.bin");
    let raw_path = target.join("raw.img");
    let down = vm(&["vol-download", raw_path.to_str().unwrap(), back.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(down["bytes"], 4u64 << 20);
    sh_ok(&format!("cmp -n 3000000 {} {}", data.display(), back.display()));
    let big = dir.join("big.bin");
    sh_ok(&format!("head -c 5000000 /dev/zero >{}", big.display()));
    vm(&["vol-upload", "raw.img", big.to_str().unwrap(), "--pool", &pool]).fails(7, "larger than volume");

    // Delete the volumes, stop the pool (autostart stays on), delete its directory, undefine.
    for vol in ["over.qcow2", "over2.qcow2", "base.qcow2", "raw.img"] {
        assert_eq!(
            vm(&["vol-delete", vol, "--pool", &pool]).ok().json()["changed"],
            true
        );
    }
    assert_eq!(
        vm(&["vol-delete", "raw.img", "--pool", &pool, "--missing-ok"])
            .ok()
            .json()["changed"],
        false
    );
    vm(&["vol-delete", "raw.img", "--pool", &pool]).fails(3, "not found");
    assert!(sh_ok(&format!("virsh vol-list {pool}")).lines().count() <= 3);
    vm(&["pool-undefine", &pool]).fails(4, "is active");
    let stopped = vm(&["pool-destroy", &pool]).ok().json();
    assert_eq!(
        (stopped["active"].clone(), stopped["autostart"].clone()),
        (false.into(), true.into())
    );
    assert!(sh_ok(&format!("virsh pool-info {pool}")).contains("Autostart:      yes"));
    assert_eq!(
        vm(&["pool-destroy", &pool, "--missing-ok"]).ok().json()["changed"],
        false
    );
    assert_eq!(vm(&["pool-delete", &pool]).ok().json()["changed"], true);
    assert!(!target.exists());
    let gone = vm(&["pool-undefine", &pool]).ok().json();
    assert_eq!(
        (gone["changed"].clone(), gone["state"].clone()),
        (true.into(), "undefined".into())
    );
    assert!(!sh_ok("virsh pool-list --all --name")
        .lines()
        .any(|l| l.trim() == pool));
    assert_eq!(
        vm(&["pool-undefine", &pool, "--missing-ok"]).ok().json()["changed"],
        false
    );
    vm(&["pool-info", &pool]).fails(3, "not found");
}

#[test]
fn bad_storage_input_changes_nothing() {
    let lab = lab!();
    let (pool, dir) = lab_pool(&lab, "sb");
    let target = dir.join("pool");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let t = target.to_str().unwrap();
    vm(&[
        "pool-define-as",
        &pool,
        "dir",
        "--target",
        t,
        "--build",
        "--start",
    ])
    .ok();
    let under_file = file.join("sub");
    let (other, _) = lab_pool(&lab, "sbx");
    // A pool defined by virsh on a directory that cannot be made: pool-build refuses first.
    let (bad_pool, _) = lab_pool(&lab, "sbf");
    sh_ok(&format!(
        "virsh pool-define-as {bad_pool} dir --target {}",
        under_file.display()
    ));
    let state = || {
        format!(
            "{}{}",
            storage_state(),
            sh_ok(&format!("ls -1A {} {}", dir.display(), t))
        )
    };
    assert_unchanged(state, || {
        vm(&[
            "pool-define-as",
            &other,
            "dir",
            "--target",
            under_file.to_str().unwrap(),
        ])
        .fails(7, "cannot be created");
        vm(&["pool-build", &bad_pool]).fails(7, "is not a directory");
        vm(&["pool-define-as", &other, "dir", "--target", "relative/dir"]).fails(7, "absolute");
        vm(&["pool-define-as", "a/b", "dir", "--target", "/tmp/x"]).fails(7, "contains '/'");
        vm(&["vol-create-as", &pool, "a/b.img", "1M"]).fails(7, "contains '/'");
        vm(&["vol-create-as", &pool, "x.img", "0"]).fails(7, "size");
        vm(&["vol-create-as", &pool, "x.img", "ten"]).fails(7, "size");
        let missing = target.join("missing.qcow2");
        vm(&[
            "vol-create-as",
            &pool,
            "o.qcow2",
            "1M",
            "--format",
            "qcow2",
            "--backing-vol",
            missing.to_str().unwrap(),
        ])
        .fails(3, "does not exist");
        vm(&[
            "vol-create-as",
            &pool,
            "o.qcow2",
            "1M",
            "--format",
            "qcow2",
            "--backing-vol",
            "nope.qcow2",
        ])
        .fails(3, "does not exist");
        vm(&["vol-create-as", &pool, "o.img", "1M", "--backing-vol", "x"]).fails(7, "needs --format qcow2");
        vm(&["vol-create-as", "no-such-pool", "o.img", "1M"]).fails(3, "no-such-pool");
        vm(&["vol-info", "relative"]).fails(7, "give its path");
        vm(&["pool-delete", &pool]).fails(4, "is active");
    });
}

fn names(run: Run, prefix: &str) -> Vec<String> {
    run.ok()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["name"].as_str())
        .filter(|n| n.starts_with(prefix))
        .map(String::from)
        .collect()
}

/// A cluster installer's clean-up: every domain, volume, pool and network whose name starts with
/// the cluster's prefix removed with vnet verbs, in dependency order; virsh then lists none.
#[test]
fn cluster_cleanup_by_prefix() {
    let lab = lab!();
    let prefix = lab.name("cl");
    let dir = PathBuf::from(format!("/tmp/vnet-storage-{prefix}"));
    lab.on_drop(format!("rm -rf {}", dir.display()));
    for kind in ["pool", "net"] {
        lab.on_drop(format!(
            "for o in $(virsh {kind}-list --all --name | grep ^{prefix}); do virsh {kind}-destroy $o; virsh {kind}-undefine $o; done"
        ));
    }
    lab.on_drop(format!(
        "for d in $(virsh list --all --name | grep ^{prefix}); do virsh destroy $d; virsh undefine $d; done"
    ));
    // The cluster: a network, a pool with a base image and an overlay, a running node on both.
    let net_name = format!("{prefix}-net");
    let bridge = lab.name("clb");
    vnet(
        "vnet-net",
        &[
            "define",
            "--name",
            &net_name,
            "--ip",
            "10.235.0.1/24",
            "--dhcp-range",
            "10.235.0.10,10.235.0.50",
            "--bridge",
            &bridge,
            "--start",
        ],
    )
    .ok();
    let pool = format!("{prefix}-pool");
    let target = dir.join("pool");
    vm(&[
        "pool-define-as",
        &pool,
        "dir",
        "--target",
        target.to_str().unwrap(),
        "--build",
        "--start",
        "--autostart",
    ])
    .ok();
    vm(&["vol-create-as", &pool, "base.qcow2", "16M", "--format", "qcow2"]).ok();
    vm(&[
        "vol-create-as",
        &pool,
        "node1.qcow2",
        "16M",
        "--format",
        "qcow2",
        "--backing-vol",
        "base.qcow2",
    ])
    .ok();
    let node = format!("{prefix}-node1");
    lab.on_drop(format!("rm -f /var/lib/libvirt/boot/vnet-{node}-*"));
    let kit = kit();
    let boot = format!(
        "kernel={},initrd={}",
        kit.join("vmlinuz").display(),
        kit.join("initrd.gz").display()
    );
    let disk = format!("path={}", target.join("node1.qcow2").display());
    let nic = format!("network={net_name}");
    vm(&[
        "install",
        "--name",
        &node,
        "--memory",
        "128",
        "--boot",
        &boot,
        "--disk",
        &disk,
        "--network",
        &nic,
        "--virt-type",
        "qemu",
        "--noautoconsole",
    ])
    .ok();

    // The clean-up, as the installer's script would run it, with vnet alone.
    for domain in names(vm(&["list", "--all"]), &prefix) {
        vm(&["destroy", &domain]).ok();
        vm(&["undefine", &domain]).ok();
    }
    for pool in names(vm(&["pool-list", "--all"]), &prefix) {
        vm(&["pool-start", &pool, "--exist-ok"]).ok();
        // Overlays before their backing files.
        let mut vols: Vec<Value> = vm(&["vol-list", &pool]).ok().json().as_array().unwrap().clone();
        vols.sort_by_key(|v| v["backing"].is_null());
        for vol in vols {
            vm(&["vol-delete", vol["path"].as_str().unwrap()]).ok();
        }
        vm(&["pool-destroy", &pool]).ok();
        vm(&["pool-delete", &pool]).ok();
        vm(&["pool-undefine", &pool]).ok();
    }
    for net in names(vnet("vnet-net", &["list", "--all"]), &prefix) {
        vnet("vnet-net", &["destroy", &net, "--missing-ok"]).ok();
        vnet("vnet-net", &["undefine", &net]).ok();
    }
    let left = sh_ok("virsh list --all --name; virsh pool-list --all --name; virsh net-list --all --name");
    assert!(!left.contains(&prefix), "left behind: {left}");
    assert!(!target.exists(), "pool directory left");
    assert!(!Path::new(&format!("/sys/class/net/{bridge}")).exists());
}
