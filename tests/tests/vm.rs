//! End-to-end tests of vnet-vm against the sandbox's libvirtd, with real guests under QEMU (TCG when
//! KVM is unusable): the kit (tests/guest/build-guest) provides a Debian cloud kernel, a busybox
//! initramfs that takes a DHCP lease and serves a shell on ttyS0, and an ISO laid out like an
//! Ubuntu install CD. Oracles: sysfs, virsh, ls. Each guest boots once (256 MiB).
//!
//! The seed test is named to run first: it checks that its guests get vnet0 and vnet1, which holds
//! only when no guest with a NIC started before it in this sandbox.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use vnet_tests::{bridge_ports, privileged, sh, sh_ok, vnet, vnet_stdin};

/// Builds the guest kit once per machine (cached) and returns its directory.
fn kit() -> PathBuf {
    static KIT: OnceLock<PathBuf> = OnceLock::new();
    KIT.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("guest/build-guest");
        let out = sh_ok(&format!("{} 2>/dev/null", script.display()));
        PathBuf::from(out.trim())
    })
    .clone()
}

/// libvirt's default NAT network (defined, inactive in the sandbox) started.
fn default_network() {
    let info = sh_ok("virsh net-info default");
    if !info
        .lines()
        .any(|l| l.starts_with("Active:") && l.ends_with("yes"))
    {
        sh_ok("virsh net-start default");
    }
}

/// What a failed install must not leave behind: domains, pools, volumes, copied kernels, files
/// in the disk directory.
fn libvirt_state(disk_dir: &Path) -> String {
    sh_ok(&format!(
        "virsh list --all --name; virsh pool-list --all --name; \
         for p in $(virsh pool-list --all --name); do virsh vol-list \"$p\"; done; \
         ls -1A /var/lib/libvirt/boot; ls -1A {}",
        disk_dir.display()
    ))
}

fn disk_dir(tag: &str) -> PathBuf {
    let dir = PathBuf::from(format!("/tmp/vnet-vm-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits for `vnet-vm domifaddr NAME` to report an IPv4 lease; returns the first entry.
fn wait_domifaddr(name: &str, timeout: Duration) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let run = vnet("vnet-vm", &["domifaddr", name]).ok();
        if let Some(first) = run.json().as_array().and_then(|a| a.first().cloned()) {
            return first;
        }
        assert!(
            Instant::now() < deadline,
            "no lease for {name} within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn remove_domain(name: &str) {
    let _ = vnet("vnet-vm", &["destroy", name]);
    let _ = vnet(
        "vnet-vm",
        &["undefine", name, "--remove-all-storage", "--missing-ok"],
    );
}

#[test]
fn a1_seed_install_two_guests_leases_and_console() {
    if !privileged("a1_seed_install_two_guests_leases_and_console") {
        return;
    }
    let kit = kit();
    let iso = kit.join("guest.iso");
    let iso = iso.to_str().unwrap();
    default_network();
    let dir = disk_dir("images");
    let disk1 = format!("path={}/vm1.img,size=1", dir.display());
    let disk2 = format!("path={}/vm2.qcow2,size=0.5,format=qcow2,bus=sata", dir.display());
    let (vm1, vm2) = (
        format!("VM1-{}", std::process::id()),
        format!("VM2-{}", std::process::id()),
    );

    // The seed's command line, with vnet-vm install for virt-install (256 MiB, 1 vCPU, 1 GB disk).
    let run = vnet(
        "vnet-vm",
        &[
            "install",
            "--name",
            &vm1,
            "--ram",
            "256",
            "--vcpu",
            "1",
            "--network",
            "network=default",
            "--graphics",
            "none",
            "--os-type",
            "linux",
            "--disk",
            &disk1,
            "--location",
            iso,
            "--extra-args",
            "console=ttyS0,115200n8 serial",
            "--noautoconsole",
        ],
    )
    .ok();
    assert!(run.stderr.contains("--os-type is deprecated"), "{run:?}");
    let first = run.json();
    assert_eq!(first["changed"], true);
    assert_eq!(first["state"], "running");
    assert!(
        ["kvm", "qemu"].contains(&first["virt_type"].as_str().unwrap()),
        "{first}"
    );
    assert!(!first["virt_type_reason"].as_str().unwrap().is_empty());
    assert_eq!(first["boot"]["method"], "location");
    assert_eq!(first["boot"]["layout"], "ubuntu/debian install CD");
    let kernel = first["boot"]["kernel"].as_str().unwrap().to_string();
    assert!(
        kernel.starts_with("/var/lib/libvirt/boot/") && Path::new(&kernel).exists(),
        "{first}"
    );
    assert_eq!(first["disks"][0]["created"], true);
    // The disk came from libvirt's storage API, in a pool made for its directory.
    let pool = first["disks"][0]["pool"].as_str().unwrap().to_string();
    assert!(sh_ok(&format!("virsh vol-list {pool}")).contains("vm1.img"));
    assert!(sh_ok(&format!("virsh pool-dumpxml {pool}")).contains(&format!("<path>{}</path>", dir.display())));
    assert_eq!(bridge_ports("virbr0"), vec!["vnet0"]);
    let iflist = sh_ok(&format!("virsh domiflist {vm1}"));
    assert!(iflist.contains("vnet0") && iflist.contains("default"), "{iflist}");

    // A second guest: vnet1 on the same bridge, and --wait-ip reports its lease.
    let run = vnet(
        "vnet-vm",
        &[
            "install",
            "--name",
            &vm2,
            "--memory",
            "256",
            "--disk",
            &disk2,
            "--location",
            iso,
            "--extra-args",
            "console=ttyS0",
            "--wait-ip",
            "120",
        ],
    )
    .ok();
    let second = run.json();
    let address2 = second["address"]
        .as_str()
        .expect("--wait-ip gives an address")
        .to_string();
    assert!(address2.starts_with("192.168.122."), "{second}");
    // The second disk went into the pool the first install made, as a 512 MiB qcow2.
    assert_eq!(second["disks"][0]["pool"], pool.as_str());
    assert_eq!(second["pool_created"], Value::Null);
    let info = sh_ok(&format!(
        "qemu-img info -U --output=json {}/vm2.qcow2",
        dir.display()
    ));
    let info: Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["format"], "qcow2");
    assert_eq!(info["virtual-size"], 512u64 << 20);
    assert!(sh_ok(&format!("virsh domblklist {vm2}")).contains("sda"));
    assert_eq!(bridge_ports("virbr0"), vec!["vnet0", "vnet1"]);
    assert!(sh_ok(&format!("virsh domiflist {vm2}")).contains("vnet1"));
    let ours = vnet("vnet-vm", &["domiflist", &vm2]).ok().json();
    assert_eq!(ours[0]["interface"], "vnet1");
    assert_eq!(ours[0]["type"], "network");
    assert_eq!(ours[0]["source"], "default");
    assert_eq!(ours[0]["model"], "virtio");

    // Both leases, as domifaddr and as libvirt's own lease table show them.
    let lease1 = wait_domifaddr(&vm1, Duration::from_secs(120));
    assert_eq!(lease1["interface"], "vnet0");
    assert_eq!(lease1["source"], "lease");
    let lease2 = wait_domifaddr(&vm2, Duration::from_secs(10));
    assert_eq!(lease2["address"], address2.as_str());
    let table = sh_ok("virsh net-dhcp-leases default");
    for lease in [&lease1, &lease2] {
        let line = table.lines().find(|l| l.contains(lease["mac"].as_str().unwrap()));
        let line = line.unwrap_or_else(|| panic!("no lease for {lease} in {table}"));
        assert!(
            line.contains(lease["address"].as_str().unwrap()),
            "{line} vs {lease}"
        );
    }

    // list: the same table as virsh, and JSON naming both.
    let text = vnet("vnet-vm", &["list", "--all", "-o", "text"]).ok().stdout;
    assert_eq!(text, sh_ok("virsh list --all"));
    let listed = vnet("vnet-vm", &["list"]).ok().json();
    for name in [&vm1, &vm2] {
        let row = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name.as_str())
            .unwrap();
        assert_eq!(row["state"], "running");
        assert_eq!(
            row["uuid"].as_str().unwrap(),
            sh_ok(&format!("virsh domuuid {name}")).trim()
        );
    }

    // The console from a script: a command answered by the guest shell, and the --extra-args
    // that reached the guest kernel.
    let run = vnet_stdin(
        "vnet-vm",
        &["console", &vm1, "--linger", "3"],
        "\necho vnet-$((6*7))\ncat /proc/cmdline\n",
    )
    .ok();
    assert!(run.stdout.contains("vnet-42"), "{run:?}");
    assert!(run.stdout.contains("console=ttyS0,115200n8 serial"), "{run:?}");

    // On a terminal (a pty from script(1)): raw mode until the escape character, then the
    // terminal's modes exactly as before.
    let bin = vnet_tests::bin_dir().join("vnet-vm");
    let modes = disk_dir("tty");
    let tty = sh(&format!(
        "(sleep 3; printf '\\035'; sleep 2) | script -qec 'stty -g >{m}/before; {bin} console {vm1}; \
         echo rc=$?; stty -g >{m}/after' /dev/null",
        m = modes.display(),
        bin = bin.display()
    ));
    assert!(tty.stdout.contains("rc=0"), "{tty:?}");
    assert!(tty.stdout.contains("Escape character is ^]"), "{tty:?}");
    let before = std::fs::read_to_string(modes.join("before")).unwrap();
    assert_eq!(
        std::fs::read_to_string(modes.join("after")).unwrap(),
        before,
        "terminal modes restored"
    );
    std::fs::remove_dir_all(&modes).unwrap();

    // Clean up through the tool itself: disks and copied kernels go with --remove-all-storage.
    for name in [&vm1, &vm2] {
        vnet("vnet-vm", &["destroy", name]).ok();
        let gone = vnet("vnet-vm", &["undefine", name, "--remove-all-storage"])
            .ok()
            .json();
        assert_eq!(gone["changed"], true);
    }
    assert!(!Path::new(&kernel).exists());
    assert!(!sh_ok(&format!("virsh vol-list {pool}")).contains("vm1.img"));
    assert!(!sh_ok("virsh list --all --name").contains(&vm1));
    sh(&format!("virsh pool-destroy {pool}; virsh pool-undefine {pool}"));
}

#[test]
fn failed_installs_leave_nothing_behind() {
    if !privileged("failed_installs_leave_nothing_behind") {
        return;
    }
    let kit = kit();
    let iso = kit.join("guest.iso").to_string_lossy().into_owned();
    default_network();
    let dir = disk_dir("fail");
    let disk = format!("path={}/new.img,size=1", dir.display());
    let existing = dir.join("existing.img");
    std::fs::write(&existing, b"an image").unwrap();
    let empty_iso = dir.join("empty.iso");
    sh_ok(&format!(
        "mkdir -p {d}/tree && echo no installer >{d}/tree/README && xorriso -as mkisofs -quiet -r -J -o {} {d}/tree 2>/dev/null",
        empty_iso.display(),
        d = dir.display()
    ));
    let taken = format!("taken-{}", std::process::id());
    let xml = dir.join("taken.xml");
    std::fs::write(&xml, format!("<domain type='qemu'><name>{taken}</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>")).unwrap();
    sh_ok(&format!("virsh define {}", xml.display()));

    let before = libvirt_state(&dir);
    let base = |name: &str, location: &str, disk: &str| -> Vec<String> {
        [
            "install",
            "--name",
            name,
            "--ram",
            "256",
            "--network",
            "network=default",
            "--graphics",
            "none",
            "--disk",
            disk,
            "--location",
            location,
            "--extra-args",
            "console=ttyS0",
            "--virt-type",
            "qemu",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |args: Vec<String>| vnet("vnet-vm", &args.iter().map(String::as_str).collect::<Vec<_>>());
    let name = format!("bad-{}", std::process::id());
    run(base(&name, "/nonexistent/ubuntu.iso", &disk)).fails(3, "/nonexistent/ubuntu.iso");
    run(base(&name, empty_iso.to_str().unwrap(), &disk))
        .fails(7, "tried install/vmlinuz + install/initrd.gz");
    let mut no_net = base(&name, &iso, &disk);
    no_net[6] = "network=no-such-net".into();
    run(no_net).fails(3, "no-such-net");
    run(base(&taken, &iso, &disk)).fails(4, "exists");
    let reuse = format!("path={},size=1", existing.display());
    run(base(&name, &iso, &reuse)).fails(4, "exists");
    let missing = format!("path={}/missing.img", dir.display());
    run(base(&name, &iso, &missing)).fails(3, "no such image");
    for size in ["0", "-1", "ten"] {
        let bad = format!("path={}/new.img,size={size}", dir.display());
        run(base(&name, &iso, &bad)).fails(7, "size");
    }
    assert_eq!(
        libvirt_state(&dir),
        before,
        "validation failures changed something"
    );

    // A failure after the changes: kernels copied, a pool made for the directory, a volume
    // created and the domain defined, then QEMU refuses 4096 vCPUs: all of it is undone.
    let mut too_big = base(&name, &iso, &disk);
    too_big.extend(["--vcpus".to_string(), "4096".to_string()]);
    let failed = run(too_big);
    let code = failed.code;
    eprintln!("late failure: {}", failed.stderr);
    assert!(code == 1 || code == 7, "{failed:?}");
    failed.fails(code, &format!("install {name}"));
    assert_eq!(
        libvirt_state(&dir),
        before,
        "a failed install left something behind"
    );

    // Later still: the domain is defined and its start fails (an existing image that is not the
    // qcow2 it claims to be): the domain goes too.
    let mut bad_start = base(&name, &iso, &disk);
    bad_start.extend([
        "--disk".to_string(),
        format!("path={},format=qcow2", existing.display()),
    ]);
    let failed = run(bad_start);
    eprintln!("start failure: {}", failed.stderr);
    failed.fails(1, "start the domain");
    assert_eq!(
        libvirt_state(&dir),
        before,
        "a failed start left something behind"
    );

    sh_ok(&format!("virsh undefine {taken}"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_domains_and_consoles() {
    if !privileged("missing_domains_and_consoles") {
        return;
    }
    for verb in [
        "start",
        "shutdown",
        "destroy",
        "undefine",
        "dumpxml",
        "domiflist",
        "domifaddr",
        "console",
    ] {
        vnet("vnet-vm", &[verb, "no-such-domain"]).fails(3, "no-such-domain");
    }
    let gone = vnet("vnet-vm", &["undefine", "no-such-domain", "--missing-ok"])
        .ok()
        .json();
    assert_eq!(gone["changed"], false);

    // A domain with no serial device: console is "unavailable" (6) with a hint.
    let dir = disk_dir("noserial");
    let name = format!("noserial-{}", std::process::id());
    let xml = dir.join("d.xml");
    std::fs::write(&xml, format!("<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>")).unwrap();
    sh_ok(&format!("virsh define {}", xml.display()));
    let run = vnet("vnet-vm", &["console", &name]).fails(6, "no serial console");
    assert!(run.stderr.contains("hint: "), "{run:?}");
    let listed = vnet("vnet-vm", &["list", "--all"]).ok().json();
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["state"], "shut off");
    assert_eq!(row["id"], Value::Null);
    assert!(vnet("vnet-vm", &["dumpxml", &name, "-o", "text"])
        .ok()
        .stdout
        .contains(&name));
    remove_domain(&name);
    assert!(!sh_ok("virsh list --all --name").contains(&name));
    std::fs::remove_dir_all(&dir).unwrap();
}
