//! End-to-end tests of vnet-vm's lifecycle verbs against the sandbox's libvirtd, with the guest kit
//! (tests/guest/build-guest: a Debian cloud kernel and a busybox initramfs with a shell on ttyS0,
//! whose init ignores ACPI). The CI-harness flow: define from XML, autostart, start, a second NIC on
//! another network attached live and detached, a disk likewise, suspend/resume, a graceful shutdown
//! that falls back to destroy, undefine; a UEFI guest's NVRAM; define files refused. Oracles:
//! virsh (dominfo, domstate, domiflist, domblklist, list, domdisplay, ttyconsole), the guest's own
//! console, the NVRAM file. Every define costs 6-8 s here, a start under a second.

use std::path::Path;
use std::time::{Duration, Instant};
use vnet_tests::*;

/// A transient isolated network of this test's own (no DHCP), for the second NIC.
fn second_network(lab: &Lab, dir: &Path) -> String {
    let name = lab.network("ci");
    let bridge = lab.name("vbr");
    let xml = dir.join("net.xml");
    std::fs::write(
        &xml,
        format!(
            "<network><name>{name}</name><bridge name='{bridge}'/>\
             <ip address='192.168.213.1' netmask='255.255.255.0'/></network>"
        ),
    )
    .unwrap();
    sh_ok(&format!("virsh net-create {}", xml.display()));
    name
}

/// The CI harness's guest: direct kernel boot from the kit under TCG, one NIC on the default
/// network, a serial console and a VNC display on loopback.
fn guest_xml(name: &str) -> String {
    let kit = kit();
    format!(
        "<domain type='qemu'>\n  <name>{name}</name>\n  <memory unit='MiB'>256</memory>\n  <vcpu>1</vcpu>\n  \
         <os><type arch='x86_64'>hvm</type><kernel>{k}</kernel><initrd>{i}</initrd>\
         <cmdline>console=ttyS0</cmdline></os>\n  <features><acpi/><apic/></features>\n  \
         <on_poweroff>destroy</on_poweroff>\n  <devices>\n    \
         <interface type='network'><source network='default'/><model type='virtio'/></interface>\n    \
         <serial type='pty'><target port='0'/></serial>\n    \
         <console type='pty'><target type='serial' port='0'/></console>\n    \
         <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>\n  </devices>\n</domain>\n",
        k = kit.join("vmlinuz").display(),
        i = kit.join("initrd.gz").display(),
    )
}

/// What a refused lifecycle command must leave as it was: the domains, and each one's definition.
fn domains_state() -> String {
    sh_ok(
        "virsh list --all --name; for d in $(virsh list --all --name); do virsh dumpxml --inactive \"$d\"; \
         virsh domstate \"$d\"; done",
    )
}

/// Waits until the guest has a lease on the default network (its kernel and init are up).
fn wait_booted(name: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let run = vm(&["domifaddr", name]).ok();
        if run.json().as_array().is_some_and(|a| !a.is_empty()) {
            return;
        }
        assert!(Instant::now() < deadline, "{name} got no lease in 120 s");
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn virsh_dominfo_line(name: &str, key: &str) -> String {
    let info = sh_ok(&format!("virsh dominfo {name}"));
    info.lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("no {key} in {info}"))
        .to_string()
}

/// The CI harness: define from XML, autostart on and off, start, a second NIC on another network
/// live (the guest sees eth1) and detached, a disk live, display and console paths, suspend and
/// resume, reboot, a graceful shutdown that the guest ignores and that falls back to destroy, undefine.
#[test]
fn ci_harness_flow() {
    let lab = lab!();
    default_network(&lab);
    let dir = lab_dir(&lab, "d");
    let net2 = second_network(&lab, &dir);
    let name = lab.domain("ci");
    let file = dir.join("guest.xml");
    std::fs::write(&file, guest_xml(&name)).unwrap();
    let path = file.to_str().unwrap();

    // define: the domain as the file says, persistent and shut off.
    let defined = vm(&["define", path]).ok().json();
    assert_eq!(defined["changed"], true);
    assert_eq!(defined["persistent"], true);
    assert_eq!(defined["state"], "shut off");
    assert_eq!(
        defined["uuid"].as_str().unwrap(),
        sh_ok(&format!("virsh domuuid {name}")).trim()
    );
    // The same file again (virsh define over an existing domain): nothing changes.
    assert_unchanged(domains_state, || {
        let again = vm(&["define", path]).ok().json();
        assert_eq!(again["changed"], false);
        assert_eq!(again["definition"], "unchanged");
    });
    assert_eq!(vm(&["define", path, "--exist-ok"]).ok().json()["changed"], false);
    let text = vm(&["define", path, "--exist-ok", "-o", "text"]).ok().stdout;
    assert_eq!(text, "");

    // autostart on and off: virsh dominfo is the oracle; dominfo -o text is virsh's, line for line.
    let on = vm(&["autostart", &name]).ok().json();
    assert_eq!(
        (on["changed"].clone(), on["autostart"].clone()),
        (true.into(), true.into())
    );
    assert!(virsh_dominfo_line(&name, "Autostart:").ends_with("enable"));
    assert_eq!(vm(&["autostart", &name]).ok().json()["changed"], false);
    assert_eq!(
        vm(&["dominfo", &name, "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh dominfo {name}"))
    );
    let info = vm(&["dominfo", &name]).ok().json();
    assert_eq!(info["autostart"], true);
    assert_eq!(info["state"], "shut off");
    assert_eq!(info["used_memory_kib"], 256 * 1024);
    let off = vm(&["autostart", &name, "--disable", "-o", "text"]).ok().stdout;
    assert_eq!(off, format!("Domain '{name}' unmarked as autostarted\n"));
    assert!(virsh_dominfo_line(&name, "Autostart:").ends_with("disable"));

    // start (under a second), then the guest boots and takes its lease.
    let started = Instant::now();
    vm(&["start", &name]).ok();
    eprintln!("start took {:?}", started.elapsed());
    for args in [vec!["domstate"], vec!["domstate", "--reason"]] {
        let ours = vm(&[&args[..], &[name.as_str(), "-o", "text"]].concat())
            .ok()
            .stdout;
        assert_eq!(ours, sh_ok(&format!("virsh {} {name}", args.join(" "))));
    }
    // Running, the CPU time moves between the two reads: compared without it.
    let no_cpu_time = |text: String| -> String {
        text.lines()
            .filter(|l| !l.starts_with("CPU time:"))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let ours = vm(&["dominfo", &name, "-o", "text"]).ok().stdout;
    assert!(ours.contains("\nCPU time:       "), "{ours}");
    assert_eq!(
        no_cpu_time(ours),
        no_cpu_time(sh_ok(&format!("virsh dominfo {name}")))
    );
    check_names_and_paths(&name);
    wait_booted(&name);

    second_nic_live(&name, &net2);
    disk_live(&name, &dir);

    by_id_and_uuid(&name);
    redefine_running(&name, &file);

    // suspend/resume, with virsh domstate as the oracle; by UUID and by ID, as virsh takes them.
    let uuid = sh_ok(&format!("virsh domuuid {name}")).trim().to_string();
    let id = sh_ok(&format!("virsh domid {name}")).trim().to_string();
    let suspended = vm(&["suspend", &uuid]).ok().json();
    assert_eq!(suspended["name"], name.as_str());
    assert_eq!(sh_ok(&format!("virsh domstate {name}")).trim(), "paused");
    assert_eq!(
        vm(&["domstate", &id, "--reason", "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh domstate {id} --reason"))
    );
    assert_eq!(vm(&["suspend", &name]).ok().json()["changed"], false);
    let resumed = vm(&["resume", &id]).ok().json();
    assert_eq!(
        (resumed["changed"].clone(), resumed["state"].clone()),
        (true.into(), "running".into())
    );
    assert_eq!(sh_ok(&format!("virsh domstate {name}")).trim(), "running");

    // reboot is a request the kit's init ignores: the domain keeps running.
    let rebooted = vm(&["reboot", &name, "-o", "text"]).ok().stdout;
    assert_eq!(rebooted, format!("Domain '{name}' is being rebooted\n"));

    // The graceful shutdown: the guest ignores ACPI, so without --force the wait fails (exit 1,
    // still running), and with it the domain is destroyed after the timeout.
    let refused = vm(&["shutdown", &name, "--timeout", "3"]).fails(1, "did not shut down within 3 s");
    assert!(refused.stderr.contains("--force"), "{refused:?}");
    assert_eq!(sh_ok(&format!("virsh domstate {name}")).trim(), "running");
    let t0 = Instant::now();
    let forced = vm(&["shutdown", &name, "--timeout", "3", "--force"]).ok().json();
    assert!(t0.elapsed() >= Duration::from_secs(3));
    assert_eq!(forced["forced"], true);
    assert_eq!(forced["state"], "shut off");
    assert_eq!(
        sh_ok(&format!("virsh domstate {name} --reason")).trim(),
        "shut off (destroyed)"
    );

    // destroy --graceful (virsh's flag) on a running domain, then on a stopped one.
    vm(&["start", &name]).ok();
    let graceful = vm(&["destroy", &name, "--graceful"]).ok().json();
    assert_eq!(graceful["changed"], true);
    assert_eq!(sh_ok(&format!("virsh domstate {name}")).trim(), "shut off");
    assert_eq!(
        vm(&["destroy", &name, "--graceful"]).ok().json()["changed"],
        false
    );

    // undefine: gone for virsh.
    let gone = vm(&["undefine", &name]).ok().json();
    assert_eq!(gone["changed"], true);
    assert!(!sh_ok("virsh list --all --name").lines().any(|l| l == name));
}

/// A running domain named by its ID and by its UUID (bare and canonical) as virsh names it: the
/// same answers as by name, the JSON naming it by name; an ID or UUID of no domain is exit 3 with
/// nothing changed.
fn by_id_and_uuid(name: &str) {
    let uuid = sh_ok(&format!("virsh domuuid {name}")).trim().to_string();
    let id = sh_ok(&format!("virsh domid {name}")).trim().to_string();
    for key in [&id, &uuid] {
        let info = vm(&["dominfo", key]).ok().json();
        assert_eq!(
            (info["name"].as_str(), info["uuid"].as_str()),
            (Some(name), Some(uuid.as_str()))
        );
        assert_eq!(
            vm(&["domstate", key, "-o", "text"]).ok().stdout,
            sh_ok(&format!("virsh domstate {key}"))
        );
        // virsh ends the document with one more newline.
        assert_eq!(
            vm(&["dumpxml", key]).ok().stdout.trim_end(),
            sh_ok(&format!("virsh dumpxml {key}")).trim_end()
        );
    }
    assert_eq!(vm(&["start", &uuid]).ok().json()["changed"], false);
    assert_unchanged(domains_state, || {
        vm(&["suspend", "99999"]).fails(3, "domain 99999 not found");
        vm(&["destroy", "00000000-0000-0000-0000-000000000001"]).fails(3, "not found");
    });
}

/// virsh define over a running domain: its persistent definition changes, the running instance
/// keeps the old one ("restart_needed"), virsh dumpxml and dumpxml --inactive the oracles; a file
/// with another UUID is refused with nothing changed.
fn redefine_running(name: &str, file: &std::path::Path) {
    let bigger = file.with_file_name("guest-384.xml");
    let xml = guest_xml(name).replace(
        "<memory unit='MiB'>256</memory>",
        "<memory unit='MiB'>384</memory>",
    );
    std::fs::write(&bigger, xml).unwrap();
    let updated = vm(&["define", bigger.to_str().unwrap()]).ok().json();
    assert_eq!(updated["changed"], true);
    assert_eq!(updated["definition"], "updated");
    assert_eq!(updated["restart_needed"], true);
    assert_eq!(updated["state"], "running");
    assert!(sh_ok(&format!("virsh dumpxml --inactive {name}")).contains("<memory unit='KiB'>393216</memory>"));
    assert!(sh_ok(&format!("virsh dumpxml {name}")).contains("<memory unit='KiB'>262144</memory>"));
    let again = vm(&["define", bigger.to_str().unwrap()]).ok().json();
    assert_eq!(
        (again["changed"].clone(), again["restart_needed"].clone()),
        (false.into(), false.into())
    );
    let other = file.with_file_name("guest-other-uuid.xml");
    let xml = guest_xml(name).replace(
        "<vcpu>",
        "<uuid>00000000-0000-0000-0000-0000000000aa</uuid>\n  <vcpu>",
    );
    std::fs::write(&other, xml).unwrap();
    assert_unchanged(domains_state, || {
        vm(&["define", other.to_str().unwrap()]).fails(4, "another UUID");
    });
}

/// list --name (for shell loops), domdisplay and ttyconsole, each against virsh.
fn check_names_and_paths(name: &str) {
    assert_eq!(vm(&["list", "--name"]).ok().stdout, sh_ok("virsh list --name"));
    assert_eq!(
        vm(&["list", "--all", "--name"]).ok().stdout,
        sh_ok("virsh list --all --name")
    );
    assert!(vm(&["list", "--name"]).ok().stdout.lines().any(|l| l == name));
    // The shared names mode of every tool: the same names, without virsh's closing blank line.
    assert_eq!(
        vm(&["list", "-o", "name"]).ok().stdout,
        sh_ok("virsh list --name").trim_end_matches('\n').to_string() + "\n"
    );
    let listed = vm(&["list", "--name", "-o", "json"]).ok().json();
    assert!(listed.as_array().unwrap().iter().any(|d| d["name"] == name));
    let looped = sh_ok(&format!(
        "for vm in $({} list --name); do echo \"<$vm>\"; done",
        vnet_tests::bin_dir().join("vnet-vm").display()
    ));
    assert!(looped.contains(&format!("<{name}>")), "{looped}");

    assert_eq!(
        vm(&["domdisplay", name, "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh domdisplay {name}"))
    );
    let display = vm(&["domdisplay", name]).ok().json();
    assert!(
        display["uri"].as_str().unwrap().starts_with("vnc://127.0.0.1:"),
        "{display}"
    );
    assert_eq!(display["type"], "vnc");
    vm(&["domdisplay", name, "--type", "spice"]).fails(3, "no spice display");

    assert_eq!(
        vm(&["ttyconsole", name, "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh ttyconsole {name}"))
    );
    let tty = vm(&["ttyconsole", name]).ok().json();
    assert!(Path::new(tty["tty"].as_str().unwrap()).exists(), "{tty}");
}

const MAC2: &str = "52:54:00:7e:11:02";

/// A second NIC on another network, live: virsh domiflist shows it, the guest sees eth1; bad input
/// changes nothing; detached again, it is gone for virsh and for the guest.
fn second_nic_live(name: &str, net2: &str) {
    let snapshot = || domain_snapshot(name);
    assert_unchanged(snapshot, || {
        vm(&[
            "attach-interface",
            name,
            "--type",
            "network",
            "--source",
            "no-such-net",
            "--live",
        ])
        .fails(3, "network 'no-such-net' not found");
        vm(&["detach-interface", name, "--mac", MAC2, "--live"]).fails(3, MAC2);
        vm(&[
            "attach-interface",
            name,
            "--type",
            "network",
            "--source",
            net2,
            "--mac",
            "01:00:5e:00:00:01",
        ])
        .fails(7, "multicast");
        vm(&[
            "attach-interface",
            name,
            "--type",
            "bridge",
            "--source",
            "nobr0",
            "--live",
        ])
        .fails(3, "bridge 'nobr0' not found");
    });
    let attached = vm(&[
        "attach-interface",
        name,
        "--type",
        "network",
        "--source",
        net2,
        "--model",
        "virtio",
        "--mac",
        MAC2,
        "--live",
    ])
    .ok()
    .json();
    assert_eq!(attached["changed"], true);
    assert_eq!(attached["live"], true);
    assert_eq!(attached["config"], false);
    let tap = attached["interface"].as_str().expect("a live tap").to_string();
    let iflist = sh_ok(&format!("virsh domiflist {name}"));
    let row = iflist
        .lines()
        .find(|l| l.contains(MAC2))
        .unwrap_or_else(|| panic!("{iflist}"));
    assert!(row.contains(net2) && row.contains(&tap), "{row}");
    assert_eq!(vm(&["domiflist", name, "-o", "text"]).ok().stdout, iflist);
    // Live only: the persistent definition does not have it.
    assert!(!sh_ok(&format!("virsh dumpxml --inactive {name}")).contains(MAC2));
    // The guest's kernel sees a second NIC with that MAC.
    let seen = until_console(
        name,
        "cat /sys/class/net/eth1/address",
        Duration::from_secs(60),
        |out| out.contains(MAC2),
    );
    assert!(seen.contains(MAC2), "{seen}");
    // The same MAC again: exit 4; with --exist-ok on the same network: changed false.
    assert_unchanged(snapshot, || {
        vm(&[
            "attach-interface",
            name,
            "--type",
            "network",
            "--source",
            net2,
            "--mac",
            MAC2,
            "--live",
        ])
        .fails(4, "already has an interface");
    });
    let again = vm(&[
        "attach-interface",
        name,
        "--type",
        "network",
        "--source",
        net2,
        "--mac",
        MAC2,
        "--live",
        "--exist-ok",
    ])
    .ok()
    .json();
    assert_eq!(again["changed"], false);

    let detached = vm(&[
        "detach-interface",
        name,
        "--type",
        "network",
        "--mac",
        MAC2,
        "--live",
    ])
    .ok()
    .json();
    assert_eq!(detached["changed"], true);
    assert_eq!(detached["source"], net2);
    assert!(!sh_ok(&format!("virsh domiflist {name}")).contains(MAC2));
    until_console(
        name,
        "ls /sys/class/net; echo end-of-list",
        Duration::from_secs(30),
        |out| out.contains("end-of-list") && !out.contains("eth1"),
    );
    let missing = vm(&["detach-interface", name, "--mac", MAC2, "--missing-ok"])
        .ok()
        .json();
    assert_eq!(missing["changed"], false);
}

/// A raw image attached live as vdb: virsh domblklist and the guest's /sys/block show it (16 MiB =
/// 32768 sectors); then detached, and gone for the guest too.
fn disk_live(name: &str, dir: &Path) {
    let image = dir.join("data.img");
    sh_ok(&format!("truncate -s 16M {}", image.display()));
    let image = image.to_str().unwrap();
    let snapshot = || domain_snapshot(name);
    assert_unchanged(snapshot, || {
        vm(&["attach-disk", name, "/nonexistent/x.img", "vdb", "--live"]).fails(3, "/nonexistent/x.img");
        vm(&["attach-disk", name, image, "eth0", "--live"]).fails(7, "target 'eth0'");
        vm(&["attach-disk", name, image, "vdb", "--targetbus", "pcie", "--live"]).fails(7, "--targetbus");
        vm(&["detach-disk", name, "vdq", "--live"]).fails(3, "no disk 'vdq'");
    });
    let attached = vm(&[
        "attach-disk",
        name,
        image,
        "vdb",
        "--driver",
        "qemu",
        "--subdriver",
        "raw",
        "--targetbus",
        "virtio",
        "--live",
    ])
    .ok()
    .json();
    assert_eq!(attached["changed"], true);
    assert!(sh_ok(&format!("virsh domblklist {name}")).contains(&format!("vdb      {image}")));
    // The guest names virtio disks in the order it finds them: its first one is vda, whatever
    // the target libvirt was given.
    let size = until_console(name, "cat /sys/block/vd*/size", Duration::from_secs(30), |out| {
        out.contains("32768")
    });
    assert!(size.contains("32768"), "{size}");
    let detached = vm(&["detach-disk", name, "vdb", "--live"]).ok().json();
    assert_eq!(detached["changed"], true);
    assert!(!sh_ok(&format!("virsh domblklist {name}")).contains("vdb"));
    until_console(
        name,
        "ls /sys/block; echo end-of-list",
        Duration::from_secs(30),
        |out| out.contains("end-of-list") && !out.contains("vda"),
    );
}

/// A UEFI guest (OVMF from Debian's ovmf package): once it has run it has an NVRAM file, and
/// undefine without --nvram is refused (exit 4, the hint, nothing changed); with --nvram the
/// domain and its NVRAM file go.
#[test]
fn uefi_guest_undefine_needs_nvram() {
    let lab = lab!();
    assert!(
        Path::new("/usr/share/OVMF/OVMF_CODE_4M.fd").exists(),
        "the ovmf package is not installed (.ci/install-deps installs it): apt-get install ovmf"
    );
    let dir = lab_dir(&lab, "d");
    let name = lab.domain("uefi");
    let file = dir.join("uefi.xml");
    std::fs::write(
        &file,
        format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>\
             <os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>\
             <features><acpi/><apic/></features><devices><serial type='pty'/></devices></domain>"
        ),
    )
    .unwrap();
    vm(&["define", file.to_str().unwrap()]).ok();
    // The NVRAM file is made from its template when the guest first starts; it need not boot.
    // libvirt 9.0 picks the firmware at start: the live XML names the NVRAM file.
    vm(&["start", &name]).ok();
    let xml = sh_ok(&format!("virsh dumpxml {name}"));
    vm(&["destroy", &name]).ok();
    let nvram = xml
        .split("<nvram")
        .nth(1)
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("no <nvram> in {xml}"))
        .to_string();
    assert!(nvram.starts_with("/var/lib/libvirt/qemu/nvram/"), "{nvram}");
    assert!(Path::new(&nvram).exists(), "{nvram}");

    let state = || format!("{}{}", domains_state(), Path::new(&nvram).exists());
    assert_unchanged(state, || {
        let refused = vm(&["undefine", &name]).fails(4, "NVRAM");
        assert!(refused.stderr.contains("hint: add --nvram"), "{refused:?}");
    });
    let gone = vm(&["undefine", &name, "--nvram"]).ok().json();
    assert_eq!(gone["changed"], true);
    assert!(!Path::new(&nvram).exists(), "{nvram} left behind");
    assert!(!sh_ok("virsh list --all --name").lines().any(|l| l == name));
}

/// Define files that are missing, not UTF-8 or malformed are refused before libvirt is asked;
/// create makes a transient running domain, gone once destroyed; names in use are exit 4.
#[test]
fn define_files_refused_and_create_transient() {
    let lab = lab!();
    let dir = lab_dir(&lab, "d");
    let name = lab.domain("tr");
    let bad = |file: &str, content: &[u8]| {
        let path = dir.join(file);
        std::fs::write(&path, content).unwrap();
        path.to_string_lossy().into_owned()
    };
    let not_utf8 = bad("latin1.xml", b"<domain type='qemu'><name>caf\xe9</name></domain>");
    let malformed = bad(
        "broken.xml",
        format!("<domain type='qemu'><name>{name}</name>").as_bytes(),
    );
    let network = bad("net.xml", b"<network><name>x</name></network>");
    let missing = dir.join("missing.xml").to_string_lossy().into_owned();
    for verb in ["define", "create"] {
        assert_unchanged(domains_state, || {
            vm(&[verb, &missing]).fails(3, "missing.xml");
            vm(&[verb, &not_utf8]).fails(7, "not UTF-8");
            vm(&[verb, &malformed]).fails(7, "is not closed");
            vm(&[verb, &network]).fails(7, "not <domain>");
            vm(&[verb, dir.to_str().unwrap()]).fails(7, "is a directory");
        });
    }

    let file = dir.join("tr.xml");
    std::fs::write(
        &file,
        guest_xml(&name).replace(
            "<interface type='network'><source network='default'/><model type='virtio'/></interface>",
            "",
        ),
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let created = vm(&["create", path]).ok().json();
    assert_eq!(created["changed"], true);
    assert_eq!(created["persistent"], false);
    assert_eq!(created["state"], "running");
    assert!(virsh_dominfo_line(&name, "Persistent:").ends_with("no"));
    assert_unchanged(domains_state, || {
        vm(&["create", path]).fails(4, "already exists");
    });
    assert_eq!(vm(&["create", path, "--exist-ok"]).ok().json()["changed"], false);
    // --exist-ok with a file that says otherwise: exit 4 naming the difference, nothing changed.
    let bigger = dir.join("tr-512.xml");
    let xml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &bigger,
        xml.replace(
            "<memory unit='MiB'>256</memory>",
            "<memory unit='MiB'>512</memory>",
        ),
    )
    .unwrap();
    assert_unchanged(domains_state, || {
        vm(&["create", bigger.to_str().unwrap(), "--exist-ok"])
            .fails(4, "memory 262144 (the file says 524288)");
    });
    // virsh define over a running transient domain makes it persistent; it runs on as it was.
    let defined = vm(&["define", path]).ok().json();
    assert_eq!(
        (defined["persistent"].clone(), defined["state"].clone()),
        (true.into(), "running".into())
    );
    assert!(virsh_dominfo_line(&name, "Persistent:").ends_with("yes"));
    vm(&["destroy", &name]).ok();
    vm(&["undefine", &name]).ok();
    assert!(!sh_ok("virsh list --all --name").lines().any(|l| l == name));
    // The lifecycle verbs on a domain that is not there: exit 3.
    for verb in [
        "dominfo",
        "domstate",
        "autostart",
        "reboot",
        "suspend",
        "resume",
        "domdisplay",
        "ttyconsole",
    ] {
        vm(&[verb, &name]).fails(3, &name);
    }
}
