//! End-to-end tests of vnet-vm against the sandbox's libvirtd, with real guests under QEMU (TCG when
//! KVM is unusable): the kit (tests/guest/build-guest) provides a Debian cloud kernel, a busybox
//! initramfs that takes a DHCP lease and serves a shell on ttyS0, and an ISO laid out like an
//! Ubuntu install CD. Oracles: sysfs, virsh, ls. Each guest boots once (256 MiB). Every test names
//! its objects after itself (`lab!()`) and removes them when it ends, also when it fails; none
//! depends on another's order (tap names are read from virsh, not assumed).

use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use vnet_tests::*;

fn kit_iso() -> String {
    kit().join("guest.iso").to_string_lossy().into_owned()
}

/// The pool install defines for a directory without one: named after the directory.
fn pool_for(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
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

/// The host-side tap of a running domain's only interface, as virsh domiflist shows it, checked
/// to be a port of virbr0 (the default network's bridge).
fn tap_on_virbr0(name: &str) -> String {
    let iflist = sh_ok(&format!("virsh domiflist {name}"));
    let row = iflist
        .lines()
        .find(|l| l.contains("default"))
        .unwrap_or_else(|| panic!("no interface on network default: {iflist}"));
    let tap = row.split_whitespace().next().unwrap().to_string();
    assert!(
        bridge_ports("virbr0").contains(&tap),
        "{tap} is not a port of virbr0"
    );
    tap
}

fn vm_owned(args: &[String]) -> Run {
    vm(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The seed's guest: two installs over the default network, their leases, list, the console
/// from a script and from a terminal, and removal through the tool itself.
#[test]
fn seed_install_two_guests_leases_and_console() {
    let lab = lab!();
    default_network(&lab);
    let dir = lab_dir(&lab, "imgs");
    let (vm1, vm2) = (lab.domain("VM"), lab.domain("VM"));
    let first = install_the_seed_guest(&vm1, &dir);
    let tap1 = tap_on_virbr0(&vm1);
    let (address2, tap2) = install_a_second_guest(&vm2, &dir);
    assert_ne!(tap1, tap2);
    check_leases(&[(&vm1, &tap1, None), (&vm2, &tap2, Some(&address2))]);
    check_list(&[&vm1, &vm2]);
    check_console_from_a_script(&vm1);
    check_console_on_a_terminal(&lab, &vm1);
    let kernel = first["boot"]["kernel"].as_str().unwrap();
    remove_through_the_tool(&[&vm1, &vm2], kernel, &pool_for(&dir));
}

/// The seed's command line, with vnet-vm install for virt-install (256 MiB, 1 vCPU, 1 GB disk).
fn install_the_seed_guest(name: &str, dir: &Path) -> Value {
    let disk = format!("path={}/vm1.img,size=1", dir.display());
    let run = vm(&[
        "install",
        "--name",
        name,
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
        &disk,
        "--location",
        &kit_iso(),
        "--extra-args",
        "console=ttyS0,115200n8 serial",
        "--noautoconsole",
    ])
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
    let kernel = first["boot"]["kernel"].as_str().unwrap();
    assert!(
        kernel.starts_with("/var/lib/libvirt/boot/") && Path::new(kernel).exists(),
        "{first}"
    );
    assert_eq!(first["disks"][0]["created"], true);
    // The disk came from libvirt's storage API, in a pool made for its directory.
    let pool = first["disks"][0]["pool"].as_str().unwrap();
    assert_eq!(pool, pool_for(dir));
    assert_eq!(first["pool_created"], pool);
    assert!(sh_ok(&format!("virsh vol-list {pool}")).contains("vm1.img"));
    assert!(sh_ok(&format!("virsh pool-dumpxml {pool}")).contains(&format!("<path>{}</path>", dir.display())));
    first
}

/// A second guest on the same bridge, whose --wait-ip reports its lease; its disk goes into the
/// pool the first install made, as a 512 MiB qcow2 on SATA. Returns its address and tap.
fn install_a_second_guest(name: &str, dir: &Path) -> (String, String) {
    let disk = format!("path={}/vm2.qcow2,size=0.5,format=qcow2,bus=sata", dir.display());
    let second = vm(&[
        "install",
        "--name",
        name,
        "--memory",
        "256",
        "--disk",
        &disk,
        "--location",
        &kit_iso(),
        "--extra-args",
        "console=ttyS0",
        "--wait-ip",
        "120",
    ])
    .ok()
    .json();
    let address = second["address"]
        .as_str()
        .expect("--wait-ip gives an address")
        .to_string();
    assert!(address.starts_with("192.168.122."), "{second}");
    assert_eq!(second["disks"][0]["pool"], pool_for(dir).as_str());
    assert_eq!(second["pool_created"], Value::Null);
    let info = sh_ok(&format!(
        "qemu-img info -U --output=json {}/vm2.qcow2",
        dir.display()
    ));
    let info: Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["format"], "qcow2");
    assert_eq!(info["virtual-size"], 512u64 << 20);
    assert!(sh_ok(&format!("virsh domblklist {name}")).contains("sda"));
    let tap = tap_on_virbr0(name);
    let ours = vm(&["domiflist", name]).ok().json();
    assert_eq!(ours[0]["interface"], tap.as_str());
    assert_eq!(ours[0]["type"], "network");
    assert_eq!(ours[0]["source"], "default");
    assert_eq!(ours[0]["model"], "virtio");
    let text = vm(&["domiflist", name, "-o", "text"]).ok().stdout;
    assert_eq!(text, sh_ok(&format!("virsh domiflist {name}")));
    (address, tap)
}

/// Each guest's lease as domifaddr shows it (on its tap, with the address --wait-ip gave) and as
/// libvirt's own lease table shows it.
fn check_leases(guests: &[(&str, &str, Option<&str>)]) {
    let mut leases = Vec::new();
    for (name, tap, address) in guests {
        let lease = wait_domifaddr(name, Duration::from_secs(120));
        assert_eq!(lease["interface"], *tap);
        assert_eq!(lease["source"], "lease");
        if let Some(address) = address {
            assert_eq!(lease["address"], *address);
        }
        leases.push(lease);
    }
    let table = sh_ok("virsh net-dhcp-leases default");
    for lease in &leases {
        let line = table.lines().find(|l| l.contains(lease["mac"].as_str().unwrap()));
        let line = line.unwrap_or_else(|| panic!("no lease for {lease} in {table}"));
        assert!(
            line.contains(lease["address"].as_str().unwrap()),
            "{line} vs {lease}"
        );
    }
}

/// list: the same table as virsh (also without headers, as virsh -q), and JSON naming both.
fn check_list(names: &[&str]) {
    let text = vm(&["list", "--all", "-o", "text"]).ok().stdout;
    assert_eq!(text, sh_ok("virsh list --all"));
    let quiet = vm(&["list", "--all", "-o", "text", "-q"]).ok().stdout;
    assert_eq!(quiet, sh_ok("virsh -q list --all"));
    let listed = vm(&["list"]).ok().json();
    for name in names {
        let row = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == *name)
            .unwrap();
        assert_eq!(row["state"], "running");
        assert_eq!(
            row["uuid"].as_str().unwrap(),
            sh_ok(&format!("virsh domuuid {name}")).trim()
        );
    }
}

/// The console from a script: a command answered by the guest shell, and the --extra-args that
/// reached the guest kernel. In --batch the console is refused (interactive).
fn check_console_from_a_script(name: &str) {
    let run = vnet_stdin(
        "vnet-vm",
        &["console", name, "--linger", "3"],
        "\necho vnet-$((6*7))\ncat /proc/cmdline\n",
    )
    .ok();
    assert!(run.stdout.contains("vnet-42"), "{run:?}");
    assert!(run.stdout.contains("console=ttyS0,115200n8 serial"), "{run:?}");
    let batch = vnet_stdin("vnet-vm", &["--batch", "-"], &format!("console {name}\n"));
    assert_eq!(batch.code, 2, "{batch:?}");
    let records = batch.records();
    assert_eq!(records[0]["line"], 1);
    assert_eq!(records[0]["exit_code"], 2);
    assert!(
        records[0]["error"]
            .as_str()
            .unwrap()
            .contains("console is interactive: not in --batch"),
        "{batch:?}"
    );
}

/// On a terminal (a pty from script(1)): raw mode until the escape character, then the
/// terminal's modes exactly as before. The escape character is typed once the console has said
/// it is connected (its banner comes after raw mode is on), and stdin stays open until the
/// console has returned.
fn check_console_on_a_terminal(lab: &Lab, name: &str) {
    use std::io::Write;
    let bin = vnet_tests::bin_dir().join("vnet-vm");
    let modes = lab_dir(lab, "tty");
    let out = modes.join("out");
    let mut script = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "script -qec 'stty -g >{m}/before; {bin} console {name}; echo rc=$?; stty -g >{m}/after' \
             /dev/null >{o} 2>&1",
            m = modes.display(),
            bin = bin.display(),
            o = out.display()
        ))
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("run script");
    let output = || std::fs::read_to_string(&out).unwrap_or_default();
    let mut keys = script.stdin.take().unwrap();
    wait_until("the console's banner", Duration::from_secs(60), || {
        output().contains("Escape character is ^]")
    });
    keys.write_all(b"\x1d").unwrap();
    keys.flush().unwrap();
    wait_until("the console to return", Duration::from_secs(60), || {
        output().contains("rc=")
    });
    drop(keys);
    script.wait().expect("wait for script");
    let tty = output();
    assert!(tty.contains("rc=0"), "{tty:?}");
    assert!(tty.contains("Escape character is ^]"), "{tty:?}");
    let before = std::fs::read_to_string(modes.join("before")).unwrap();
    assert_eq!(
        std::fs::read_to_string(modes.join("after")).unwrap(),
        before,
        "terminal modes restored"
    );
}

/// Clean up through the tool itself: disks and copied kernels go with --remove-all-storage.
fn remove_through_the_tool(names: &[&str], kernel: &str, pool: &str) {
    for name in names {
        vm(&["destroy", name]).ok();
        let gone = vm(&["undefine", name, "--remove-all-storage"]).ok().json();
        assert_eq!(gone["changed"], true);
        assert_eq!(gone["removed_volumes"].as_array().unwrap().len(), 1, "{gone}");
        assert_eq!(gone["removed_files"].as_array().unwrap().len(), 2, "{gone}");
    }
    assert!(!Path::new(kernel).exists());
    assert!(!sh_ok(&format!("virsh vol-list {pool}")).contains("vm1.img"));
    let left = sh_ok("virsh list --all --name");
    assert!(names.iter().all(|n| !left.contains(n)), "{left}");
}

/// An install command line over the default network, from the kit's ISO, under TCG.
fn failing_install(name: &str, location: &str, disk: &str) -> Vec<String> {
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
}

#[test]
fn failed_installs_leave_nothing_behind() {
    let lab = lab!();
    default_network(&lab);
    let dir = lab_dir(&lab, "fail");
    let existing = dir.join("existing.img");
    std::fs::write(&existing, b"an image").unwrap();
    let empty_iso = dir.join("empty.iso");
    sh_ok(&format!(
        "mkdir -p {d}/tree && echo no installer >{d}/tree/README && xorriso -as mkisofs -quiet -r -J -o {} {d}/tree 2>/dev/null",
        empty_iso.display(),
        d = dir.display()
    ));
    let taken = define_with_print_xml(&lab, &dir);
    let name = lab.domain("bad");
    let state = || libvirt_state(&dir);
    assert_unchanged(state, || {
        refused_before_any_change(&dir, &name, &taken, &empty_iso)
    });
    assert_unchanged(state, || undone_after_a_late_failure(&dir, &name));
    assert_unchanged(state, || undone_after_a_failed_start(&dir, &name, &existing));
}

/// `install --print-xml > taken.xml; virsh define taken.xml`: the printed XML is the document
/// itself, and libvirt takes it as it is. The domain is a name taken for the next step.
fn define_with_print_xml(lab: &Lab, dir: &Path) -> String {
    let taken = lab.domain("taken");
    let kit = kit();
    let boot = format!(
        "kernel={},initrd={}",
        kit.join("vmlinuz").display(),
        kit.join("initrd.gz").display()
    );
    let args = [
        "install",
        "--name",
        &taken,
        "--memory",
        "64",
        "--boot",
        &boot,
        "--disk",
        "none",
        "--network",
        "none",
        "--virt-type",
        "qemu",
        "--print-xml",
    ];
    let printed = vm(&args).ok().stdout;
    assert!(printed.starts_with("<domain"), "{printed}");
    let summary = vm(&[&args[..], &["-o", "json"]].concat()).ok().json();
    assert_eq!(summary["xml"].as_str().unwrap(), printed.trim_end());
    let xml = dir.join("taken.xml");
    std::fs::write(&xml, &printed).unwrap();
    sh_ok(&format!("virsh define {}", xml.display()));
    assert!(sh_ok(&format!("virsh dumpxml {taken}")).contains(&kit.join("vmlinuz").display().to_string()));
    taken
}

/// Validation failures: nothing is touched.
fn refused_before_any_change(dir: &Path, name: &str, taken: &str, empty_iso: &Path) {
    let iso = kit_iso();
    let disk = format!("path={}/new.img,size=1", dir.display());
    let run = |args: Vec<String>| vm_owned(&args);
    run(failing_install(name, "/nonexistent/ubuntu.iso", &disk)).fails(3, "/nonexistent/ubuntu.iso");
    run(failing_install(name, empty_iso.to_str().unwrap(), &disk))
        .fails(7, "tried install/vmlinuz + install/initrd.gz");
    let mut no_net = failing_install(name, &iso, &disk);
    no_net[6] = "network=no-such-net".into();
    run(no_net).fails(3, "no-such-net");
    run(failing_install(taken, &iso, &disk)).fails(4, "exists");
    let missing = format!("path={}/missing.img", dir.display());
    run(failing_install(name, &iso, &missing)).fails(3, "no such image");
    for size in ["0", "-1", "ten"] {
        let bad = format!("path={}/new.img,size={size}", dir.display());
        run(failing_install(name, &iso, &bad)).fails(7, "size");
    }
}

/// A failure after the changes: kernels copied, a pool made for the directory, a volume created
/// and the domain defined, then QEMU refuses 4096 vCPUs: all of it is undone.
fn undone_after_a_late_failure(dir: &Path, name: &str) {
    let disk = format!("path={}/new.img,size=1", dir.display());
    let mut too_big = failing_install(name, &kit_iso(), &disk);
    too_big.extend(["--vcpus".to_string(), "4096".to_string()]);
    let failed = vm_owned(&too_big);
    let code = failed.code;
    eprintln!("late failure: {}", failed.stderr);
    assert!(code == 1 || code == 7, "{failed:?}");
    failed.fails(code, &format!("install {name}"));
}

/// Later still: the domain is defined and its start fails (an existing image that is not the
/// qcow2 it claims to be): the domain goes too.
fn undone_after_a_failed_start(dir: &Path, name: &str, existing: &Path) {
    let disk = format!("path={}/new.img,size=1", dir.display());
    let mut bad_start = failing_install(name, &kit_iso(), &disk);
    bad_start.extend([
        "--disk".to_string(),
        format!("path={},format=qcow2", existing.display()),
    ]);
    let failed = vm_owned(&bad_start);
    eprintln!("start failure: {}", failed.stderr);
    failed.fails(1, "start the domain");
}

#[test]
fn missing_domains_and_consoles() {
    let lab = lab!();
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
        vm(&[verb, "no-such-domain"]).fails(3, "no-such-domain");
    }
    let gone = vm(&["undefine", "no-such-domain", "--missing-ok"]).ok().json();
    assert_eq!(gone["changed"], false);
    let gone = vm(&["undefine", "no-such-domain", "--if-exists"]).ok().json();
    assert_eq!(gone["changed"], false);

    // A domain with no serial device: console is "unavailable" (6) with a hint.
    let dir = lab_dir(&lab, "noser");
    let name = lab.domain("noser");
    let xml = dir.join("d.xml");
    std::fs::write(&xml, format!("<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>")).unwrap();
    sh_ok(&format!("virsh define {}", xml.display()));
    let run = vm(&["console", &name]).fails(6, "no serial console");
    assert!(run.stderr.contains("hint: "), "{run:?}");
    let listed = vm(&["list", "--all"]).ok().json();
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["state"], "shut off");
    assert_eq!(row["id"], Value::Null);

    // dumpxml prints the document itself, as virsh does; -o json gives {"name", "xml"}.
    let document = vm(&["dumpxml", &name]).ok().stdout;
    assert!(
        document.starts_with("<domain") && document.contains(&name),
        "{document}"
    );
    // virsh adds a blank line after the document; the document is the same.
    assert_eq!(
        document.trim_end(),
        sh_ok(&format!("virsh dumpxml {name}")).trim_end()
    );
    assert!(vm(&["dumpxml", &name, "-o", "text"]).ok().stdout.contains(&name));
    let summary = vm(&["dumpxml", &name, "-o", "json"]).ok().json();
    assert_eq!(summary["name"], name.as_str());
    assert_eq!(summary["xml"].as_str().unwrap(), document);

    let undefined = vm(&["undefine", &name]).ok().json();
    assert_eq!(undefined["removed_volumes"], serde_json::json!([]));
    assert!(!sh_ok("virsh list --all --name").contains(&name));
}
