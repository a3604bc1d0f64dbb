//! End-to-end tests of vnet-vm's snapshot, resource and saved-state verbs against the sandbox's
//! libvirtd, with the guest kit under TCG and virsh (and qemu-img/qemu-io) as the oracles. Two
//! flows, one guest each: the CI harness's (a clean shut-off guest on a qcow2 disk snapshotted,
//! the disk changed, reverted, the change gone; its memory and vCPUs set while it is off) and
//! libvirt-guests' (every running domain managed-saved by UUID, then started: each resumes).

use std::path::Path;
use std::time::Duration;
use vnet_tests::*;

/// The kit's guest, direct kernel boot, one or two vCPUs, a serial console, no NIC; with `disk`,
/// a qcow2 disk.
fn guest_xml(name: &str, disk: Option<&Path>) -> String {
    let kit = kit();
    let disk = disk.map_or(String::new(), |d| {
        format!(
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='{}'/><target dev='vda' bus='virtio'/></disk>",
            d.display()
        )
    });
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>256</memory>\
         <vcpu current='1'>2</vcpu><os><type arch='x86_64'>hvm</type><kernel>{k}</kernel>\
         <initrd>{i}</initrd><cmdline>console=ttyS0</cmdline></os><features><acpi/><apic/></features><on_poweroff>destroy</on_poweroff>\
         <devices>{disk}<serial type='pty'><target port='0'/></serial>\
         <console type='pty'><target type='serial' port='0'/></console></devices></domain>",
        k = kit.join("vmlinuz").display(),
        i = kit.join("initrd.gz").display(),
    )
}

/// A domain of this test's own, defined from the kit's XML through virsh; its snapshots'
/// metadata and managed save image are dropped before the lab undefines it.
fn defined(lab: &Lab, stem: &str, disk: Option<&Path>, dir: &Path) -> String {
    let name = lab.domain(stem);
    lab.on_drop(format!(
        "for s in $(virsh snapshot-list {name} --name); do virsh snapshot-delete {name} $s --metadata; done; \
         virsh managedsave-remove {name}"
    ));
    let file = dir.join(format!("{stem}.xml"));
    std::fs::write(&file, guest_xml(&name, disk)).unwrap();
    sh_ok(&format!("virsh define {}", file.display()));
    name
}

/// True when the 64 KiB at the start of the qcow2 disk all hold byte `pattern`.
fn disk_holds(disk: &Path, pattern: u8) -> bool {
    let run = sh(&format!(
        "qemu-io -f qcow2 -r -c 'read -P {pattern} 0 64k' {}",
        disk.display()
    ));
    run.code == 0 && !run.stdout.contains("verification failed") && run.stdout.contains("read 65536/65536")
}

fn virsh(args: &str) -> String {
    sh_ok(&format!("virsh {args}"))
}

fn dominfo_line(name: &str, key: &str) -> String {
    let info = virsh(&format!("dominfo {name}"));
    let line = info.lines().find(|l| l.starts_with(key));
    line.unwrap_or_else(|| panic!("no {key} in {info}")).to_string()
}

/// What a refused snapshot verb must leave as it was: libvirt's snapshots (with their tree and
/// current one), the disk's own snapshot table and bytes, the domain's state.
fn snapshot_state(name: &str, disk: &Path) -> String {
    let disk = disk.display();
    sh_ok(&format!(
        "virsh snapshot-list {name} --parent; virsh snapshot-current {name} --name; \
         qemu-img snapshot -l {disk} | awk '{{print $2}}'; virsh domstate {name}; \
         qemu-io -f qcow2 -r -c 'read -v 0 16' {disk} | head -1"
    ))
}

/// The CI harness: a clean shut-off guest on a qcow2 disk is snapshotted, its disk changed,
/// reverted (the change is gone), and each listing/showing verb prints virsh's text; every
/// refusal leaves snapshots, disk and domain as they were. Then its memory and vCPUs are set while
/// it is off, seen by virsh dominfo, and its names, description and rename checked against virsh.
#[test]
fn ci_snapshot_revert_flow() {
    let lab = lab!();
    let dir = lab_dir(&lab, "s");
    let disk = dir.join("disk.qcow2");
    sh_ok(&format!("qemu-img create -q -f qcow2 {} 64M", disk.display()));
    let name = defined(&lab, "snap", Some(&disk), &dir);

    let clean = vm(&[
        "snapshot-create-as",
        &name,
        "--name",
        "clean",
        "--description",
        "clean disk",
    ])
    .ok()
    .json();
    assert_eq!(
        (clean["name"].as_str(), clean["changed"].as_bool()),
        (Some("clean"), Some(true))
    );
    assert_eq!(
        (clean["state"].as_str(), clean["location"].as_str()),
        (Some("shutoff"), Some("internal"))
    );
    assert_eq!(virsh(&format!("snapshot-list {name} --name")).trim(), "clean");
    assert!(sh_ok(&format!("qemu-img snapshot -l {}", disk.display())).contains("clean"));

    // The change: a marker written on the disk; a second snapshot holds it.
    sh_ok(&format!(
        "qemu-io -f qcow2 -c 'write -P 90 0 64k' {}",
        disk.display()
    ));
    assert!(disk_holds(&disk, 90));
    vm(&["snapshot-create-as", &name, "dirty"]).ok();
    text_as_virsh(&name);
    refusals_change_nothing(&name, &disk, &dir);

    // Revert: the marker is gone, the current snapshot is the clean one.
    let reverted = vm(&["snapshot-revert", &name, "clean"]).ok().json();
    assert_eq!(
        (reverted["snapshot"].as_str(), reverted["state"].as_str()),
        (Some("clean"), Some("shut off"))
    );
    assert!(
        !disk_holds(&disk, 90) && disk_holds(&disk, 0),
        "the change survived the revert"
    );
    assert_eq!(virsh(&format!("snapshot-current {name} --name")).trim(), "clean");

    // snapshot-create FILE, then delete with children: all three gone from libvirt and the disk.
    let spec = dir.join("snap.xml");
    std::fs::write(&spec, "<domainsnapshot><name>fromfile</name></domainsnapshot>").unwrap();
    let made = vm(&["snapshot-create", &name, spec.to_str().unwrap(), "-o", "text"])
        .ok()
        .stdout;
    assert_eq!(made, "Domain snapshot fromfile created\n");
    assert_eq!(virsh(&format!("snapshot-parent {name} fromfile")).trim(), "clean");
    let gone = vm(&["snapshot-delete", &name, "clean", "--children"]).ok().json();
    let mut deleted: Vec<&str> = gone["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    deleted.sort();
    assert_eq!(deleted, ["clean", "dirty", "fromfile"]);
    assert_eq!(virsh(&format!("snapshot-list {name} --name")).trim(), "");
    let table = sh_ok(&format!("qemu-img snapshot -l {}", disk.display()));
    assert!(!table.contains("clean") && !table.contains("dirty"), "{table}");

    resources_while_off(&name);
    names_and_words(&lab, &name);
}

/// Each listing and showing verb's -o text is virsh's.
fn text_as_virsh(name: &str) {
    for args in [
        "snapshot-list {}",
        "snapshot-list {} --parent",
        "snapshot-list {} --tree",
        "snapshot-list {} --name",
        "snapshot-list {} --current --tree",
        "snapshot-info {} clean",
        "snapshot-info {} --current",
        "snapshot-current {} --name",
        "snapshot-dumpxml {} clean",
    ] {
        let line = args.replace("{}", name);
        let words: Vec<&str> = line.split_whitespace().collect();
        let ours = vm(&[&words[..], &["-o", "text"]].concat()).ok().stdout;
        assert_eq!(ours, virsh(&line), "vnet-vm {line}");
    }
    let rows = vm(&["snapshot-list", name]).ok().json();
    let dirty = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "dirty")
        .unwrap()
        .clone();
    assert_eq!(
        (dirty["parent"].as_str(), dirty["current"].as_bool()),
        (Some("clean"), Some(true))
    );
}

/// Unknown snapshots and domains, a name taken, malformed and foreign XML: one error line, the
/// documented exit code, snapshots, disk and domain unchanged.
fn refusals_change_nothing(name: &str, disk: &Path, dir: &Path) {
    let bad = dir.join("bad.xml");
    let foreign = dir.join("foreign.xml");
    std::fs::write(&bad, "<domainsnapshot><name>x</name>").unwrap();
    std::fs::write(&foreign, "<domain><name>x</name></domain>").unwrap();
    let state = || snapshot_state(name, disk);
    assert_unchanged(state, || {
        vm(&["snapshot-revert", name, "nosuch"]).fails(3, "snapshot 'nosuch' of domain");
    });
    assert_unchanged(state, || {
        vm(&["snapshot-delete", name, "nosuch"]).fails(3, "not found");
    });
    assert_unchanged(state, || {
        vm(&["snapshot-revert", "vnet-no-such-domain", "clean"]).fails(3, "not found");
    });
    assert_unchanged(state, || {
        vm(&["snapshot-create-as", name, "clean"]).fails(4, "has a snapshot 'clean' already");
    });
    assert_unchanged(state, || {
        vm(&["snapshot-create", name, bad.to_str().unwrap()]).fails(7, "malformed XML");
    });
    assert_unchanged(state, || {
        vm(&["snapshot-create", name, foreign.to_str().unwrap()]).fails(7, "not <domainsnapshot>");
    });
    assert_unchanged(state, || {
        vm(&["snapshot-info", name, "nosuch"]).fails(3, "not found");
    });
}

/// setmem, setmaxmem, setvcpus on the definition of a shut-off guest, seen by virsh dominfo and
/// vcpucount; out-of-range values refused with dominfo unchanged.
fn resources_while_off(name: &str) {
    let info = || virsh(&format!("dominfo {name}; virsh vcpucount {name}"));
    assert_unchanged(info, || {
        vm(&["setmem", name, "2G", "--config"]).fails(7, "at most its maximum");
    });
    assert_unchanged(info, || {
        vm(&["setmem", name, "12Q"]).fails(7, "invalid size");
    });
    assert_unchanged(info, || {
        vm(&["setvcpus", name, "0", "--config"]).fails(7, "at least one");
    });
    assert_unchanged(info, || {
        vm(&["setvcpus", name, "9", "--config"]).fails(7, "greater than max");
    });
    let mem = vm(&["setmem", name, "200M", "--config"]).ok().json();
    assert_eq!(
        (mem["changed"].as_bool(), mem["memory_kib"].as_u64()),
        (Some(true), Some(204800))
    );
    assert_eq!(dominfo_line(name, "Used memory:"), "Used memory:    204800 KiB");
    assert_eq!(
        vm(&["setmem", name, "204800", "--config"]).ok().json()["changed"],
        false
    );
    vm(&["setmaxmem", name, "512M", "--config"]).ok();
    assert_eq!(dominfo_line(name, "Max memory:"), "Max memory:     524288 KiB");
    let cpus = vm(&["setvcpus", name, "2", "--config"]).ok().json();
    assert_eq!(
        (cpus["changed"].as_bool(), cpus["count"].as_u64()),
        (Some(true), Some(2))
    );
    assert_eq!(dominfo_line(name, "CPU(s):"), "CPU(s):         2");
    vm(&["setvcpus", name, "3", "--config", "--maximum"]).ok();
    for args in ["vcpucount {}", "vcpucount {} --maximum --config"] {
        let line = args.replace("{}", name);
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            vm(&[&words[..], &["-o", "text"]].concat()).ok().stdout,
            virsh(&line),
            "{line}"
        );
    }
}

/// domuuid, domname, domid and desc print what virsh prints; domrename renames (same UUID) and
/// refuses a bad name with the domain unchanged.
fn names_and_words(lab: &Lab, name: &str) {
    let uuid = virsh(&format!("domuuid {name}")).trim().to_string();
    for line in [
        format!("domuuid {name}"),
        format!("domname {uuid}"),
        format!("domid {name}"),
    ] {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            vm(&[&words[..], &["-o", "text"]].concat()).ok().stdout,
            virsh(&line),
            "{line}"
        );
    }
    vm(&["desc", name, "--title", "--config", "--new-desc", "CI guest"]).ok();
    vm(&["desc", name, "--config", "a", "clean", "guest"]).ok();
    for line in [format!("desc {name} --title"), format!("desc {name}")] {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            vm(&[&words[..], &["-o", "text"]].concat()).ok().stdout,
            virsh(&line),
            "{line}"
        );
    }
    assert_eq!(vm(&["desc", name]).ok().json()["text"], "a clean guest");
    let state = || virsh("list --all --name --uuid");
    assert_unchanged(state, || {
        vm(&["domrename", name, "a/b"]).fails(7, "invalid domain name");
    });
    let new = lab.domain("ren");
    let renamed = vm(&["domrename", name, &new]).ok().json();
    assert_eq!(
        (renamed["old_name"].as_str(), renamed["uuid"].as_str()),
        (Some(name), Some(uuid.as_str()))
    );
    assert_eq!(virsh(&format!("domuuid {new}")).trim(), uuid);
    vm(&["domrename", &uuid, name]).ok();
    assert_eq!(virsh(&format!("domname {uuid}")).trim(), name);
}

/// libvirt-guests' stop and start: every running domain by UUID managed-saved, then started,
/// resuming each (the guest's memory, a file in its tmpfs, survives; virsh says "restored");
/// list's filters and --managed-save layout as virsh's; save/restore to a file; start's flags;
/// setmem live; refusals with virsh's before/after.
#[test]
fn libvirt_guests_flow() {
    let lab = lab!();
    let dir = lab_dir(&lab, "g");
    let name = defined(&lab, "guest", None, &dir);
    vm(&["start", &name]).ok();
    until_console(&name, "echo READY$((40+2))", Duration::from_secs(120), |o| {
        o.contains("READY42")
    });
    on_console(&name, "echo kept-in-memory > /tmp/marker");

    let running = vm(&["list", "--state-running", "--uuid", "-o", "text"])
        .ok()
        .stdout;
    assert_eq!(running, virsh("list --state-running --uuid"));
    let uuids: Vec<&str> = running.split_whitespace().collect();
    assert!(!uuids.is_empty());
    for uuid in &uuids {
        let saved = vm(&["managedsave", uuid]).ok().json();
        assert_eq!(
            (saved["state"].as_str(), saved["managed_save"].as_bool()),
            (Some("shut off"), Some(true))
        );
    }
    for args in [
        "list --all --managed-save",
        "list --all --with-managed-save --name",
        "list --state-shutoff --all --uuid",
    ] {
        let words: Vec<&str> = args.split_whitespace().collect();
        assert_eq!(
            vm(&[&words[..], &["-o", "text"]].concat()).ok().stdout,
            virsh(args),
            "{args}"
        );
    }
    for uuid in &uuids {
        let started = vm(&["start", uuid]).ok().json();
        assert_eq!(started["restored"], true);
    }
    assert_eq!(
        virsh(&format!("domstate {name} --reason")).trim(),
        "running (restored)"
    );
    assert!(on_console(&name, "cat /tmp/marker").contains("kept-in-memory"));
    assert_eq!(vm(&["managedsave-remove", &name]).ok().json()["changed"], false);

    save_and_restore(&name, &dir);
    // Live, setmem sets the balloon's target; the kit's initramfs loads no balloon driver, so
    // the guest keeps its memory: vnet reports what libvirt reports, as virsh dominfo does.
    let mem = vm(&["setmem", &name, "200M", "--live"]).ok().json();
    assert_eq!(
        (mem["live"].as_bool(), mem["changed"].as_bool()),
        (Some(true), Some(true))
    );
    let used = dominfo_line(&name, "Used memory:");
    assert_eq!(used, format!("Used memory:    {} KiB", mem["memory_kib"]));
    assert_eq!(
        vm(&["reset", &name, "-o", "text"]).ok().stdout,
        format!("Domain '{name}' was reset\n\n")
    );
    // start --force-boot drops a managed save image and boots afresh.
    vm(&["managedsave", &name]).ok();
    assert_eq!(
        vm(&["start", &name, "--force-boot"]).ok().json()["restored"],
        false
    );
    assert_eq!(
        virsh(&format!("domstate {name} --reason")).trim(),
        "running (booted)"
    );
    assert_eq!(dominfo_line(&name, "Managed save:"), "Managed save:   no");
    vm(&["destroy", &name]).ok();
    vm(&["start", &name, "--paused"]).ok();
    assert_eq!(virsh(&format!("domstate {name}")).trim(), "paused");
}

/// save to a file and restore from it (the guest's memory survives); a file that exists, one
/// that is missing and one that is not a save image are refused with the domain unchanged.
fn save_and_restore(name: &str, dir: &Path) {
    let image = dir.join("guest.save");
    let image = image.to_str().unwrap();
    let junk = dir.join("junk");
    std::fs::write(&junk, "not a save image").unwrap();
    let state = || virsh(&format!("list --all; virsh domstate {name} --reason"));
    assert_unchanged(state, || {
        vm(&["save", name, junk.to_str().unwrap()]).fails(4, "exists already");
    });
    assert_unchanged(state, || {
        vm(&["managedsave", "vnet-no-such-domain"]).fails(3, "not found");
    });
    let saved = vm(&["save", name, image, "--verbose"]).ok();
    assert_eq!(saved.json()["file"], image);
    // virsh --verbose's progress on stderr, ending at 100 once the save succeeded.
    assert!(saved.stderr.ends_with("Save: [100 %]\n"), "{:?}", saved.stderr);
    assert_eq!(
        virsh(&format!("domstate {name} --reason")).trim(),
        "shut off (saved)"
    );
    assert_unchanged(state, || {
        vm(&["restore", junk.to_str().unwrap()]).fails(7, "not a save image");
    });
    assert_unchanged(state, || {
        vm(&["restore", "/nonexistent.save"]).fails(3, "not found");
    });
    assert_unchanged(state, || {
        vm(&["reset", name]).fails(1, "is not running");
    });
    let restored = vm(&["restore", image, "-o", "text"]).ok().stdout;
    assert_eq!(restored, format!("Domain restored from {image}\n"));
    assert_eq!(
        virsh(&format!("domstate {name} --reason")).trim(),
        "running (restored)"
    );
    assert!(on_console(name, "cat /tmp/marker").contains("kept-in-memory"));
}
