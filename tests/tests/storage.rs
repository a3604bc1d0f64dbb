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
    // --exist-ok over another volume: exit 4 naming what differs, the volume as it was.
    let raw_img = target.join("raw.img");
    assert_unchanged(
        || sh_ok(&format!("qemu-img info -U {}", raw_img.display())),
        || {
            vm(&["vol-create-as", &pool, "raw.img", "8M", "--exist-ok"])
                .fails(4, "capacity: 4194304 -> 8388608 bytes");
            vm(&[
                "vol-create-as",
                &pool,
                "raw.img",
                "4M",
                "--format",
                "qcow2",
                "--exist-ok",
            ])
            .fails(4, "format: raw -> qcow2");
        },
    );
    assert_eq!(
        vm(&["vol-list", &pool, "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh vol-list {pool}"))
    );
    for flags in ["", " --bytes", " --physical", " --bytes --physical"] {
        let mut args = vec!["vol-info", "raw.img", "--pool", &pool, "-o", "text"];
        args.extend(flags.split_whitespace());
        assert_eq!(
            vm(&args).ok().stdout,
            sh_ok(&format!("virsh vol-info --pool {pool} raw.img{flags}")),
            "vol-info{flags}"
        );
    }
    let physical = vm(&["vol-info", "raw.img", "--pool", &pool, "--physical"])
        .ok()
        .json();
    let on_disk = std::fs::metadata(target.join("raw.img")).unwrap().len();
    assert_eq!(physical["allocation"].as_u64(), Some(on_disk));
    // pool-info --bytes: up to the capacity (the file system's size; the others move).
    let bytes = vm(&["pool-info", &pool, "--bytes", "-o", "text"]).ok().stdout;
    let head: String = bytes.lines().take(6).map(|l| format!("{l}\n")).collect();
    assert_eq!(
        head,
        virsh_info_head(&format!("virsh pool-info {pool} --bytes"), 6)
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

/// pool-start --build and pool-build --overwrite / --no-overwrite as virsh: a pool defined by
/// virsh on a directory not there yet is built and started in one step (virsh pool-info and the
/// directory as oracles); the overwrite flags reach libvirt as virsh sends them (a dir pool has
/// no device to format: libvirt refuses them for both tools, nothing changed); --overwrite
/// without --build is a usage error naming --build.
#[test]
fn pool_start_builds_first_as_virsh() {
    let lab = lab!();
    let (pool, dir) = lab_pool(&lab, "sk");
    let target = dir.join("pool");
    sh_ok(&format!(
        "virsh pool-define-as {pool} dir --target {}",
        target.display()
    ));
    let before = storage_state();
    vm(&["pool-start", &pool, "--overwrite"]).fails(2, "--build");
    for flag in ["--overwrite", "--no-overwrite"] {
        vm(&["pool-build", &pool, flag]).fails(1, "No source device specified");
        vm(&["pool-start", &pool, "--build", flag]).fails(1, "No source device specified");
        assert_eq!(storage_state(), before);
        assert!(!target.exists(), "a failed {flag} build left its directory");
        let theirs = sh(&format!("virsh pool-build {pool} {flag}"));
        assert!(theirs.stderr.contains("No source device specified"), "{theirs:?}");
        let _ = std::fs::remove_dir(&target);
    }
    let started = vm(&["pool-start", &pool, "--build"]).ok().json();
    assert_eq!(
        (started["changed"].as_bool(), started["active"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(target.is_dir());
    assert!(sh_ok(&format!("virsh pool-info {pool}")).contains("State:          running"));
    vm(&["pool-build", &pool, "--overwrite", "--no-overwrite"]).fails(2, "--no-overwrite");
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
        vm(&["vol-info", "relative"]).fails(3, "--pool POOL");
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

/// Writes `text` to `dir/file` and returns the path as a string.
fn write_file(dir: &Path, file: &str, text: &str) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn pool_file(name: &str, target: &Path, uuid: Option<&str>) -> String {
    let uuid = uuid.map(|u| format!("<uuid>{u}</uuid>")).unwrap_or_default();
    format!(
        "<pool type='dir'><name>{name}</name>{uuid}<target><path>{}</path></target></pool>\n",
        target.display()
    )
}

fn dumped_target(pool: &str, inactive: bool) -> String {
    let flag = if inactive { "--inactive" } else { "" };
    let xml = sh_ok(&format!("virsh pool-dumpxml {flag} {pool}"));
    let start = xml.find("<path>").unwrap() + 6;
    xml[start..start + xml[start..].find("</path>").unwrap()].to_string()
}

/// pool-define FILE (new, identical again, updated over a running pool), pool-dumpxml,
/// pool-refresh, pool-create FILE and pool-create-as (transient), pool-define-as in virsh's
/// positional form, pools by UUID; virsh is the oracle of every state.
#[test]
fn pool_files_define_update_create_refresh() {
    let lab = lab!();
    let (pool, dir) = lab_pool(&lab, "pf");
    let (a, b) = (dir.join("a"), dir.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let file = write_file(&dir, "pool.xml", &pool_file(&pool, &a, None));
    let made = vm(&["pool-define", &file]).ok().json();
    assert_eq!(
        (
            made["changed"].clone(),
            made["definition"].clone(),
            made["persistent"].clone()
        ),
        (true.into(), "created".into(), true.into())
    );
    assert!(sh_ok("virsh pool-list --all --name")
        .lines()
        .any(|l| l.trim() == pool));
    let same = vm(&["pool-define", &file, "--exist-ok"]).ok().json();
    assert_eq!(
        (same["changed"].clone(), same["definition"].clone()),
        (false.into(), "unchanged".into())
    );
    vm(&["pool-start", &pool]).ok();
    // Identical again while it runs (libvirt fills in sizes and permissions: no change).
    let running_same = vm(&["pool-define", &file]).ok().json();
    assert_eq!(running_same["definition"], "unchanged", "{running_same}");
    // A new target: the persistent definition changes, the running pool keeps its old one.
    let file_b = write_file(&dir, "pool-b.xml", &pool_file(&pool, &b, None));
    let text = vm(&["pool-define", &file_b, "-o", "text"]).ok().stdout;
    assert_eq!(text, format!("Pool {pool} defined from {file_b}\n\n"));
    assert_eq!(dumped_target(&pool, true), b.to_str().unwrap());
    assert_eq!(dumped_target(&pool, false), a.to_str().unwrap());
    let updated = vm(&["pool-define", &file]).ok().json();
    assert_eq!(
        (updated["definition"].clone(), updated["restart_needed"].clone()),
        ("updated".into(), true.into())
    );
    assert_eq!(dumped_target(&pool, true), a.to_str().unwrap());
    // pool-dumpxml: the document itself, as virsh prints it; by UUID too.
    let uuid = made["uuid"].as_str().unwrap().to_string();
    for (flags, virsh) in [(vec![], ""), (vec!["--inactive"], "--inactive")] {
        let mut args = vec!["pool-dumpxml", uuid.as_str()];
        args.extend(flags);
        assert_eq!(
            vm(&args).ok().stdout.trim_end(),
            sh_ok(&format!("virsh pool-dumpxml {virsh} {pool}")).trim_end()
        );
    }
    let summary = vm(&["pool-dumpxml", &pool, "-o", "json"]).ok().json();
    assert_eq!(summary["name"], pool.as_str());
    // pool-refresh: a file put there by hand becomes a volume.
    std::fs::write(a.join("by-hand.img"), vec![0u8; 4096]).unwrap();
    assert!(!sh_ok(&format!("virsh vol-list {pool}")).contains("by-hand.img"));
    let refreshed = vm(&["pool-refresh", &uuid]).ok().json();
    assert_eq!(refreshed["changed"], true);
    assert_eq!(refreshed["volumes"], serde_json::json!(["by-hand.img"]));
    assert!(sh_ok(&format!("virsh vol-list {pool}")).contains("by-hand.img"));
    assert_eq!(vm(&["pool-refresh", &pool]).ok().json()["changed"], false);
    assert_eq!(
        vm(&["pool-refresh", &pool, "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh pool-refresh {pool}"))
    );

    // pool-create FILE: transient and running; gone once stopped.
    let (transient, _) = lab_pool(&lab, "pft");
    let c = dir.join("c");
    std::fs::create_dir_all(&c).unwrap();
    let file_c = write_file(&dir, "pool-c.xml", &pool_file(&transient, &c, None));
    let text = vm(&["pool-create", &file_c, "-o", "text"]).ok().stdout;
    assert_eq!(text, format!("Pool {transient} created from {file_c}\n\n"));
    let info = sh_ok(&format!("virsh pool-info {transient}"));
    assert!(
        info.contains("State:          running") && info.contains("Persistent:     no"),
        "{info}"
    );
    vm(&["pool-destroy", &transient]).ok();
    assert!(!sh_ok("virsh pool-list --all --name").contains(&transient));

    // pool-create-as: transient, --build makes the directory; --exist-ok only for the same pool.
    let d = dir.join("d");
    let td = d.to_str().unwrap();
    let created = vm(&["pool-create-as", &transient, "dir", "--target", td, "--build"])
        .ok()
        .json();
    assert_eq!(
        (created["state"].clone(), created["persistent"].clone()),
        ("running".into(), false.into())
    );
    assert!(d.is_dir());
    assert!(sh_ok(&format!("virsh pool-info {transient}")).contains("Persistent:     no"));
    let again = vm(&["pool-create-as", &transient, "dir", "--target", td, "--exist-ok"])
        .ok()
        .json();
    assert_eq!(again["changed"], false);
    assert_unchanged(storage_state, || {
        vm(&["pool-create-as", &transient, "dir", "--target", td]).fails(4, "already exists");
        let other = c.to_str().unwrap();
        vm(&[
            "pool-create-as",
            &transient,
            "dir",
            "--target",
            other,
            "--exist-ok",
        ])
        .fails(4, "target: ");
    });
    vm(&["pool-destroy", &transient]).ok();

    // pool-define-as in virsh's positional form: SOURCE-HOST SOURCE-PATH SOURCE-DEV SOURCE-NAME TARGET.
    let (positional, _) = lab_pool(&lab, "pfp");
    vm(&["pool-define-as", &positional, "dir", "-", "-", "-", "-", td]).ok();
    assert_eq!(dumped_target(&positional, true), td);
    assert_unchanged(storage_state, || {
        let other = c.to_str().unwrap();
        vm(&[
            "pool-define-as",
            &positional,
            "dir",
            "--target",
            other,
            "--exist-ok",
        ])
        .fails(4, "target: ");
        vm(&[
            "pool-define-as",
            &positional,
            "dir",
            "-",
            "-",
            "-",
            "-",
            td,
            "--target",
            td,
        ])
        .fails(7, "twice");
    });

    // --print-xml: the document virsh pool-define takes, nothing defined by it.
    let (printed, _) = lab_pool(&lab, "pfx");
    let e = dir.join("e");
    let te = e.to_str().unwrap();
    let before = storage_state();
    let xml = vm(&["pool-define-as", &printed, "dir", "--target", te, "--print-xml"])
        .ok()
        .stdout;
    let json = vm(&[
        "pool-create-as",
        &printed,
        "dir",
        "--target",
        te,
        "--print-xml",
        "-o",
        "json",
    ])
    .ok()
    .json();
    assert_eq!(
        (json["state"].clone(), json["changed"].clone()),
        ("undefined".into(), false.into())
    );
    assert_eq!(storage_state(), before);
    let file = write_file(&dir, "printed.xml", &xml);
    sh_ok(&format!("virsh pool-define {file}"));
    assert_eq!(dumped_target(&printed, true), te);
}

fn qemu_img(path: &Path) -> Value {
    serde_json::from_str(&sh_ok(&format!(
        "qemu-img info -U --output=json {}",
        path.display()
    )))
    .unwrap()
}

/// vol-create FILE, vol-create-from, vol-clone, vol-resize, vol-path, vol-wipe and vol-dumpxml,
/// volumes by name, key and path; qemu-img and virsh are the oracles.
#[test]
fn volume_files_clone_resize_wipe() {
    let lab = lab!();
    let (pool, dir) = lab_pool(&lab, "vf");
    let target = dir.join("pool");
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
    let file = write_file(
        &dir,
        "v.xml",
        "<volume><name>made.qcow2</name><capacity unit='M'>2</capacity><target><format type='qcow2'/></target></volume>",
    );
    let text = vm(&["vol-create", &pool, &file, "-o", "text"]).ok().stdout;
    assert_eq!(text, format!("Vol made.qcow2 created from {file}\n\n"));
    let img = qemu_img(&target.join("made.qcow2"));
    assert_eq!(
        (img["format"].clone(), img["virtual-size"].clone()),
        ("qcow2".into(), (2u64 << 20).into())
    );

    // A raw volume with data, copied into a qcow2 (vol-create-from) and cloned (vol-clone).
    vm(&["vol-create-as", &pool, "raw.img", "1M"]).ok();
    let raw = target.join("raw.img");
    sh_ok(&format!(
        "head -c 300000 /dev/urandom | dd of={} conv=notrunc status=none",
        raw.display()
    ));
    let from = write_file(
        &dir,
        "from.xml",
        "<volume><name>from.qcow2</name><capacity unit='M'>1</capacity><target><format type='qcow2'/></target></volume>",
    );
    let copied = vm(&["vol-create-from", &pool, &from, "raw.img", "--inputpool", &pool])
        .ok()
        .json();
    assert_eq!(
        (copied["format"].clone(), copied["changed"].clone()),
        ("qcow2".into(), true.into())
    );
    sh_ok(&format!(
        "qemu-img compare -U {} {}",
        raw.display(),
        target.join("from.qcow2").display()
    ));
    let cloned = vm(&["vol-clone", "raw.img", "clone.img", "--pool", &pool, "-o", "text"])
        .ok()
        .stdout;
    assert_eq!(cloned, "Vol clone.img cloned from raw.img\n\n");
    let clone = target.join("clone.img");
    sh_ok(&format!("cmp {} {}", raw.display(), clone.display()));
    // By path and by key (a dir pool's key is the path), as virsh finds a volume.
    vm(&["vol-clone", raw.to_str().unwrap(), "clone2.img"]).ok();
    sh_ok(&format!(
        "cmp {} {}",
        raw.display(),
        target.join("clone2.img").display()
    ));

    // vol-resize: to, by (--delta), the same again, below (refused), --shrink.
    let size = |p: &Path| qemu_img(p)["virtual-size"].as_u64().unwrap();
    let grown = vm(&["vol-resize", "raw.img", "2M", "--pool", &pool]).ok().json();
    assert_eq!(
        (grown["capacity"].clone(), grown["old_capacity"].clone()),
        ((2u64 << 20).into(), (1u64 << 20).into())
    );
    assert_eq!(size(&raw), 2 << 20);
    let by = vm(&[
        "vol-resize",
        "raw.img",
        "1M",
        "--pool",
        &pool,
        "--delta",
        "-o",
        "text",
    ])
    .ok()
    .stdout;
    assert_eq!(by, "Size of volume 'raw.img' successfully changed by 1M\n\n");
    assert_eq!(size(&raw), 3 << 20);
    assert_eq!(
        vm(&["vol-resize", "raw.img", "3M", "--pool", &pool]).ok().json()["changed"],
        false
    );
    let state = || {
        format!(
            "{}{}",
            sh_ok(&format!("virsh vol-info {}", raw.display())),
            size(&raw)
        )
    };
    assert_unchanged(state, || {
        vm(&["vol-resize", "raw.img", "1M", "--pool", &pool]).fails(7, "below the volume's capacity");
        vm(&["vol-resize", "raw.img", "-1M", "--pool", &pool, "--delta"]).fails(7, "requires --shrink");
        vm(&["vol-resize", "raw.img", "ten", "--pool", &pool]).fails(7, "invalid size");
    });
    let shrunk = vm(&[
        "vol-resize",
        "raw.img",
        "-1M",
        "--pool",
        &pool,
        "--delta",
        "--shrink",
    ])
    .ok()
    .json();
    assert_eq!(shrunk["capacity"], 2u64 << 20);
    assert_eq!(size(&raw), 2 << 20);
    // qcow2 grows through qemu-img (libvirt's), seen by qemu-img.
    vm(&["vol-resize", target.join("made.qcow2").to_str().unwrap(), "4M"]).ok();
    assert_eq!(size(&target.join("made.qcow2")), 4 << 20);

    // vol-path and vol-dumpxml as virsh prints them.
    assert_eq!(
        vm(&["vol-path", "clone.img", "--pool", &pool, "-o", "text"])
            .ok()
            .stdout,
        sh_ok(&format!("virsh vol-path clone.img --pool {pool}"))
    );
    let names = vm(&["vol-path", clone.to_str().unwrap()]).ok().json();
    assert_eq!(
        (names["path"].as_str(), names["key"].as_str()),
        (clone.to_str(), clone.to_str())
    );
    assert_eq!(
        vm(&["vol-dumpxml", "clone.img", "--pool", &pool])
            .ok()
            .stdout
            .trim_end(),
        sh_ok(&format!("virsh vol-dumpxml clone.img --pool {pool}")).trim_end()
    );
    assert_eq!(
        vm(&["vol-dumpxml", "clone.img", "--pool", &pool, "-o", "json"])
            .ok()
            .json()["pool"],
        pool.as_str()
    );

    // vol-wipe: the content is zeros afterwards.
    let wiped = vm(&["vol-wipe", "clone.img", "--pool", &pool, "--algorithm", "zero"])
        .ok()
        .json();
    assert_eq!(
        (wiped["changed"].clone(), wiped["algorithm"].clone()),
        (true.into(), "zero".into())
    );
    sh_ok(&format!("cmp -n 1048576 {} /dev/zero", clone.display()));
    assert_eq!(
        vm(&["vol-wipe", "clone2.img", "--pool", &pool, "-o", "text"])
            .ok()
            .stdout,
        "Vol clone2.img wiped\n\n"
    );
    for vol in ["made.qcow2", "raw.img", "from.qcow2", "clone.img", "clone2.img"] {
        vm(&["vol-delete", vol, "--pool", &pool]).ok();
    }
}

/// Every bad input of the pool-file and volume verbs: the documented exit code, one line, and
/// nothing changed (virsh's pools and volumes, the files of the pool's directory, the images).
#[test]
fn bad_storage_files_change_nothing() {
    let lab = lab!();
    let (pool, dir) = lab_pool(&lab, "bf");
    let target = dir.join("pool");
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
    vm(&["vol-create-as", &pool, "v.img", "1M"]).ok();
    let (stopped, _) = lab_pool(&lab, "bfs");
    let stopped_dir = dir.join("stopped");
    vm(&[
        "pool-define-as",
        &stopped,
        "dir",
        "--target",
        stopped_dir.to_str().unwrap(),
    ])
    .ok();
    let (fresh, _) = lab_pool(&lab, "bfn");
    let files = dir.join("files");
    let malformed = write_file(&files, "malformed.xml", "<pool type='dir'><name>x</name>");
    let volume_root = write_file(&files, "volume.xml", "<volume><name>x</name></volume>");
    let no_name = write_file(
        &files,
        "noname.xml",
        "<pool type='dir'><target><path>/tmp/x</path></target></pool>",
    );
    let slash = write_file(
        &files,
        "slash.xml",
        "<pool type='dir'><name>a/b</name><target><path>/tmp/x</path></target></pool>",
    );
    let other_uuid = write_file(
        &files,
        "uuid.xml",
        &pool_file(&pool, &target, Some("00000000-0000-0000-0000-0000000000aa")),
    );
    let taken_target = write_file(&files, "taken.xml", &pool_file(&fresh, &target, None));
    let same_name = write_file(
        &files,
        "same.xml",
        &pool_file(&pool, &dir.join("elsewhere"), None),
    );
    let vol_malformed = write_file(&files, "vm.xml", "<volume><name>n.img</name>");
    let vol_pool_root = write_file(&files, "vp.xml", "<pool type='dir'><name>n</name></pool>");
    let vol_taken = write_file(
        &files,
        "vt.xml",
        "<volume><name>v.img</name><capacity>1024</capacity></volume>",
    );
    let vol_new = write_file(
        &files,
        "vn.xml",
        "<volume><name>new.img</name><capacity>1024</capacity></volume>",
    );
    let missing = files.join("missing.xml");
    let missing = missing.to_str().unwrap();
    let img = target.join("v.img");
    let state = || {
        format!(
            "{}{}{}",
            storage_state(),
            // The pool's sizes are the host file system's, which other processes fill.
            sh_ok(&format!(
                "ls -1A {t}; virsh pool-dumpxml --inactive {pool} | grep -v -e '<capacity' -e '<allocation' -e '<available'; virsh vol-info {}",
                img.display()
            )),
            sh_ok(&format!("qemu-img info -U {}", img.display()))
        )
    };
    assert_unchanged(state, || {
        vm(&["pool-define", &malformed]).fails(7, "malformed pool XML");
        vm(&["pool-define", &volume_root]).fails(7, "not <pool>");
        vm(&["pool-define", &no_name]).fails(7, "no <name>");
        vm(&["pool-define", &slash]).fails(7, "contains '/'");
        vm(&["pool-define", missing]).fails(3, "missing.xml");
        vm(&["pool-define", &other_uuid]).fails(4, "another UUID");
        vm(&["pool-define", &taken_target]).fails(4, "already has target");
        vm(&["pool-create", &same_name]).fails(4, "already exists");
        vm(&["pool-create", &malformed]).fails(7, "malformed pool XML");
        vm(&["pool-create", &taken_target]).fails(4, "already has target");
        vm(&["pool-refresh", "no-such-pool"]).fails(3, "not found");
        vm(&["pool-refresh", &stopped]).fails(1, "not active");
        vm(&["pool-dumpxml", "no-such-pool"]).fails(3, "not found");
        vm(&["pool-create-as", &fresh, "dir"]).fails(7, "needs --target");
        vm(&["pool-create-as", &fresh, "dir", "--target", "relative"]).fails(7, "absolute");
        vm(&["vol-create", "no-such-pool", &vol_new]).fails(3, "not found");
        vm(&["vol-create", &stopped, &vol_new]).fails(1, "not active");
        vm(&["vol-create", &pool, &vol_malformed]).fails(7, "malformed volume XML");
        vm(&["vol-create", &pool, &vol_pool_root]).fails(7, "not <volume>");
        vm(&["vol-create", &pool, &vol_taken]).fails(4, "already exists");
        vm(&["vol-create", &pool, missing]).fails(3, "missing.xml");
        vm(&[
            "vol-create-from",
            &pool,
            &vol_new,
            "nope.img",
            "--inputpool",
            &pool,
        ])
        .fails(3, "not found");
        vm(&["vol-create-from", &pool, &vol_new, "v.img"]).fails(3, "--pool POOL");
        vm(&[
            "vol-create-from",
            &pool,
            &vol_taken,
            "v.img",
            "--inputpool",
            &pool,
        ])
        .fails(4, "already exists");
        vm(&["vol-clone", "nope.img", "c.img", "--pool", &pool]).fails(3, "not found");
        vm(&["vol-clone", "v.img", "v.img", "--pool", &pool]).fails(4, "already exists");
        vm(&["vol-clone", "v.img", "a/b", "--pool", &pool]).fails(7, "contains '/'");
        vm(&["vol-resize", "v.img", "512K", "--pool", &pool]).fails(7, "below the volume's capacity");
        vm(&["vol-resize", "v.img", "-512K", "--pool", &pool]).fails(7, "requires --shrink");
        vm(&["vol-resize", "v.img", "0", "--pool", &pool]).fails(7, "size");
        vm(&["vol-resize", "nope.img", "2M", "--pool", &pool]).fails(3, "not found");
        vm(&["vol-path", "nope.img", "--pool", &pool]).fails(3, "not found");
        vm(&["vol-path", "v.img"]).fails(3, "--pool POOL");
        vm(&["vol-dumpxml", "/nowhere/x.img"]).fails(3, "not found");
        vm(&["vol-wipe", "nope.img", "--pool", &pool]).fails(3, "not found");
    });
}

/// --batch --atomic: a failed line undoes what the lines before it made (a transient pool, a
/// clone, a grown volume); virsh and qemu-img see everything as it was.
#[test]
fn atomic_storage_batch_undoes_pools_and_volumes() {
    let lab = lab!();
    let (pool, dir) = lab_pool(&lab, "ab");
    let target = dir.join("pool");
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
    vm(&["vol-create-as", &pool, "v.img", "1M"]).ok();
    let (transient, _) = lab_pool(&lab, "abt");
    let other = dir.join("other");
    let img = target.join("v.img");
    let state = || {
        format!(
            "{}{}{}",
            storage_state(),
            sh_ok(&format!("ls -1A {t}; virsh vol-info {}", img.display())),
            sh_ok(&format!("qemu-img info -U {}", img.display()))
        )
    };
    let lines = format!(
        "pool-create-as {transient} dir --target {} --build\n\
         vol-clone v.img c.img --pool {pool}\n\
         vol-resize v.img 3M --pool {pool}\n\
         vol-resize v.img 1K --pool {pool}\n",
        other.display()
    );
    assert_unchanged(state, || {
        let run = vnet_stdin("vnet-vm", &["--batch", "-", "--atomic"], &lines);
        assert_eq!(run.code, 7, "{run:?}");
        let records = run.records();
        assert_eq!(records.len(), 4, "{run:?}");
        assert_eq!(records[3]["exit_code"], 7, "{run:?}");
    });
}

/// vol-list --details prints virsh's detailed table (the JSON always has the details).
#[test]
fn vol_list_details_as_virsh() {
    let lab = lab!();
    let (pool, dir) = lab_pool(&lab, "det");
    let t = dir.display().to_string();
    sh_ok(&format!(
        "virsh pool-define-as {pool} dir --target {t} && virsh pool-build {pool} && virsh pool-start {pool}"
    ));
    vm(&["vol-create-as", &pool, "ours.qcow2", "64M", "--format", "qcow2"]).ok();
    sh_ok(&format!(
        "virsh vol-create-as {pool} theirs.img 8M --format raw && virsh pool-refresh {pool}"
    ));
    assert_eq!(
        vm(&["vol-list", &pool, "--details", "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh vol-list {pool} --details"))
    );
    let listed = vm(&["vol-list", "--pool", &pool, "--details"]).ok().json();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
}

/// virsh pool-list's filters (--transient, --persistent, --type, --autostart) select the same
/// pools as virsh's; --details and --uuid print what virsh prints.
#[test]
fn pool_list_filters_as_virsh() {
    let lab = lab!();
    let (defined, dir) = lab_pool(&lab, "pdef");
    let (created, dir2) = lab_pool(&lab, "pcre");
    let (t, t2) = (dir.display().to_string(), dir2.display().to_string());
    sh_ok(&format!(
        "virsh pool-define-as {defined} dir --target {t} && virsh pool-build {defined} && virsh pool-start {defined}
         mkdir -p {t2} && virsh pool-create-as {created} dir --target {t2}"
    ));
    let mine = |names: String| -> Vec<String> {
        let mut n: Vec<String> = names
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| *l == defined || *l == created)
            .collect();
        n.sort();
        n
    };
    for filter in [
        "--transient",
        "--persistent",
        "--all --type dir",
        "--all --type logical,disk",
        "--no-autostart",
        "--autostart",
    ] {
        let words: Vec<&str> = filter.split_whitespace().collect();
        let vnet = vm(&[&["pool-list", "--name"][..], &words].concat()).ok().stdout;
        let virsh = sh_ok(&format!("virsh pool-list --name {filter}"));
        assert_eq!(mine(vnet), mine(virsh), "pool-list {filter}");
        vm(&[&["pool-list"][..], &words].concat()).ok().json();
    }
    let uuids = |out: String| -> Vec<String> {
        let mut u: Vec<String> = out
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        u.sort();
        u
    };
    assert_eq!(
        uuids(vm(&["pool-list", "--uuid", "--all"]).ok().stdout),
        uuids(sh_ok("virsh pool-list --uuid --all"))
    );
    let row = |table: String, name: &str| table.lines().find(|l| l.contains(name)).map(String::from);
    let vnet = vm(&["pool-list", "--details", "--all", "-o", "text"]).ok().stdout;
    let virsh = sh_ok("virsh pool-list --details --all");
    assert_eq!(
        row(vnet.clone(), &created),
        row(virsh.clone(), &created),
        "{vnet}\n{virsh}"
    );
    assert_eq!(vnet.lines().next(), virsh.lines().next(), "header");
    assert_unchanged(storage_state, || {
        vm(&["pool-list", "--type", "nosuch"]).fails(7, "'nosuch'");
    });
    sh_ok(&format!("virsh pool-destroy {created}"));
}

/// vol-create-as allocates as virsh: the whole capacity without --allocation, what --allocation
/// says with it (0: sparse); the same allocation as a volume virsh made beside it.
#[test]
fn vol_create_as_allocates_as_virsh() {
    let lab = lab!();
    let (pool, dir) = lab_pool(&lab, "alloc");
    let t = dir.display().to_string();
    sh_ok(&format!(
        "virsh pool-define-as {pool} dir --target {t} && virsh pool-build {pool} && virsh pool-start {pool}"
    ));
    let allocation = |vol: &str| -> u64 {
        let xml = sh_ok(&format!("virsh vol-dumpxml --pool {pool} {vol}"));
        let at = xml.find("<allocation unit='bytes'>").expect("allocation") + 25;
        xml[at..].split('<').next().unwrap().parse().unwrap()
    };
    for (stem, extra) in [
        ("whole", ""),
        ("two", "--allocation 2M"),
        ("none", "--allocation 0"),
        ("q", "--format qcow2"),
    ] {
        let words: Vec<&str> = extra.split_whitespace().collect();
        let ext = if stem == "q" { "qcow2" } else { "img" };
        let (ours, theirs) = (format!("ours-{stem}.{ext}"), format!("theirs-{stem}.{ext}"));
        vm(&[&["vol-create-as", &pool, &ours, "10M"][..], &words].concat())
            .ok()
            .json();
        sh_ok(&format!("virsh vol-create-as {pool} {theirs} 10M {extra}"));
        assert_eq!(
            allocation(&ours),
            allocation(&theirs),
            "vol-create-as 10M {extra}"
        );
    }
    assert!(allocation("ours-whole.img") >= 10 << 20, "the whole capacity");
    assert_eq!(allocation("ours-none.img"), 0, "--allocation 0 is sparse");
    assert_unchanged(storage_state, || {
        vm(&["vol-create-as", &pool, "bad.img", "10M", "--allocation", "x"]).fails(7, "'x'");
    });
}
