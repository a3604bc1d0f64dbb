//! End-to-end tests of vnet-vm's device, observing and guest-agent verbs (issue 19) against the
//! sandbox's libvirtd, with one TCG guest from the kit for the whole file (kernel boot, a NIC on
//! the default network, an empty IDE cdrom, VNC on loopback, no guest agent). Oracles: virsh
//! (domblklist, domiflist, domblkinfo, domstats, dommemstat, domifstat, domjobinfo, dumpxml) and
//! the guest's own console (its NICs, disk sizes and cdrom media); every refusal is checked with
//! the domain's live and persistent XML from virsh before and after.

use std::path::Path;
use std::time::{Duration, Instant};
use vnet_tests::*;

const MAC2: &str = "52:54:00:19:00:02";

/// The guest: direct kernel boot from the kit under TCG, one NIC on the default network, an empty
/// cdrom drive (hdc), a serial console and a VNC display (for screenshot), no agent channel.
fn guest_xml(name: &str) -> String {
    let kit = kit();
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64'>hvm</type><kernel>{k}</kernel><initrd>{i}</initrd>\
         <cmdline>console=ttyS0</cmdline></os><features><acpi/><apic/></features>\
         <on_poweroff>destroy</on_poweroff><devices>\
         <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='hdc' bus='ide'/>\
         <readonly/></disk>\
         <interface type='network'><source network='default'/><model type='virtio'/></interface>\
         <serial type='pty'><target port='0'/></serial>\
         <console type='pty'><target type='serial' port='0'/></console>\
         <graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>",
        k = kit.join("vmlinuz").display(),
        i = kit.join("initrd.gz").display(),
    )
}

/// How long a hotplug may take to show inside the guest.
const CONSOLE_WAIT: Duration = Duration::from_secs(60);

/// Waits until `check(virsh line)` holds (a live unplug completes when the guest lets go).
fn until_virsh(line: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = sh_ok(&format!("virsh {line}"));
        if check(&out) {
            return out;
        }
        assert!(Instant::now() < deadline, "virsh {line} never showed it: {out}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Waits until the guest has a lease on the default network (its kernel and init are up).
fn wait_booted(name: &str) {
    until_virsh(&format!("domifaddr {name}"), |out| out.contains("ipv4"));
}

fn write(dir: &Path, file: &str, text: &str) -> String {
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn devices_observing_and_agent_verbs() {
    let lab = lab!();
    default_network(&lab);
    let dir = lab_dir(&lab, "d");
    let name = lab.domain("dev");
    let xml = write(&dir, "guest.xml", &guest_xml(&name));
    sh_ok(&format!("virsh define {xml} && virsh start {name}"));

    agent_refusals(&name);
    device_file_refusals(&name, &dir);
    wait_booted(&name);
    nic_hotplug(&name, &dir);
    disk_hotplug(&name, &dir);
    cdrom_media(&name, &dir);
    observing(&name, &dir);
    by_uuid_and_id(&name);
    detach_by_alias(&name, &dir);
}

/// The kit's guest has no agent: every agent verb is exit 6 naming it, the domain unchanged.
fn agent_refusals(name: &str) {
    assert_unchanged(
        || domain_snapshot(name),
        || {
            let agent = "org.qemu.guest_agent.0";
            vm(&["domtime", name]).fails(6, agent);
            vm(&["domtime", name, "--now"]).fails(6, agent);
            vm(&["domtime", name, "--sync"]).fails(6, agent);
            vm(&["guestinfo", name]).fails(6, agent);
            vm(&["domfsinfo", name]).fails(6, agent);
            vm(&["set-user-password", name, "root", "secret"]).fails(6, agent);
            vm(&["qemu-agent-command", name, r#"{"execute":"guest-ping"}"#]).fails(6, agent);
            vm(&["qemu-agent-command", name, "{not json"]).fails(7, "not JSON");
            vm(&["guestinfo", "no-such-domain"]).fails(3, "no-such-domain");
        },
    );
}

/// Malformed device files, devices that are not attached, bad sizes and keys: one line, the
/// documented code, nothing changed (virsh's XML before and after).
fn device_file_refusals(name: &str, dir: &Path) {
    let bad = write(
        dir,
        "bad.xml",
        "<interface type='network'><source network='default'></interface>",
    );
    let whole = write(dir, "whole.xml", &guest_xml("other"));
    let nic = write(
        dir,
        "ghost-nic.xml",
        &format!("<interface type='network'><mac address='{MAC2}'/><source network='default'/></interface>"),
    );
    let disk = write(
        dir,
        "ghost-disk.xml",
        "<disk type='file'><source file='/x.img'/><target dev='vdq'/></disk>",
    );
    let missing = dir.join("missing.xml");
    let missing = missing.to_str().unwrap();
    assert_unchanged(
        || domain_snapshot(name),
        || {
            for verb in ["attach-device", "detach-device", "update-device"] {
                vm(&[verb, name, &bad, "--live"]).fails(7, "malformed XML");
                vm(&[verb, name, &whole, "--live"]).fails(7, "not one device");
                vm(&[verb, name, missing, "--live"]).fails(3, "missing.xml");
            }
            vm(&["detach-device", name, &nic, "--live"]).fails(3, MAC2);
            vm(&["detach-device", name, &disk, "--persistent"]).fails(3, "vdq");
            vm(&["update-device", name, &disk]).fails(3, "vdq");
            vm(&["detach-device-alias", name, "ua-nothing", "--live"]).fails(3, "ua-nothing");
            vm(&["change-media", name, "hdd", "--eject"]).fails(3, "no drive 'hdd'");
            vm(&["change-media", name, "hdc", "--eject"]).fails(3, "no media");
            vm(&["change-media", name, "hdc", "/nonexistent.iso", "--insert"]).fails(3, "/nonexistent.iso");
            vm(&["domblkinfo", name, "vdq"]).fails(3, "vdq");
            vm(&["blockresize", name, "vdq", "1G"]).fails(3, "vdq");
            vm(&["domifstat", name, "vnet999"]).fails(3, "vnet999");
            vm(&["send-key", name, "KEY_NOPE"]).fails(7, "KEY_NOPE");
            vm(&["send-key", name, "--codeset", "morse", "1"]).fails(7, "--codeset");
        },
    );
}

/// A NIC from an XML file, live: virsh domiflist and the guest (eth1) see it; a second attach is
/// exit 4; detach-device takes it away again for both.
fn nic_hotplug(name: &str, dir: &Path) {
    let file = write(
        dir,
        "nic.xml",
        &format!(
            "<interface type='network'><mac address='{MAC2}'/><source network='default'/>\
             <model type='virtio'/></interface>"
        ),
    );
    let attached = vm(&["attach-device", name, &file, "--live"]).ok().json();
    assert_eq!(
        (
            attached["changed"].clone(),
            attached["device"].clone(),
            attached["key"].clone()
        ),
        (true.into(), "interface".into(), MAC2.into())
    );
    assert!(sh_ok(&format!("virsh domiflist {name}")).contains(MAC2));
    until_console(name, "ls /sys/class/net; echo end", CONSOLE_WAIT, |out| {
        out.contains("eth1")
    });
    assert_unchanged(
        || domain_snapshot(name),
        || {
            vm(&["attach-device", name, &file, "--live"]).fails(4, MAC2);
        },
    );
    let text = vm(&["detach-device", name, &file, "--live", "-o", "text"])
        .ok()
        .stdout;
    assert_eq!(text, "Device detached successfully\n");
    assert!(!sh_ok(&format!("virsh domiflist {name}")).contains(MAC2));
    until_console(name, "ls /sys/class/net; echo end", CONSOLE_WAIT, |out| {
        out.contains("end") && !out.contains("eth1")
    });

    // The journal: in --batch --atomic, a later failed line undoes the attach (detached again).
    let script =
        format!("attach-device {name} {file} --live\ndetach-device-alias {name} ua-nothing --live\n");
    let run = vnet_stdin("vnet-vm", &["--batch", "-", "--atomic"], &script);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(run.records()[0]["changed"], true, "the attach ran: {run:?}");
    until_virsh(&format!("domiflist {name}"), |out| !out.contains(MAC2));
}

/// Domains named by UUID and by ID, as virsh takes them: results carry the name.
fn by_uuid_and_id(name: &str) {
    let uuid = sh_ok(&format!("virsh domuuid {name}"));
    let id = sh_ok(&format!("virsh domid {name}"));
    let stats = vm(&["domstats", uuid.trim(), "--state"]).ok().json();
    assert_eq!(stats[0]["name"], name);
    let list = vm(&["domblklist", id.trim(), "-o", "text"]).ok().stdout;
    assert_eq!(list, sh_ok(&format!("virsh domblklist {}", id.trim())));
    let sent = vm(&["send-key", uuid.trim(), "KEY_SPACE"]).ok().json();
    assert_eq!(sent["name"], name);
}

/// A disk from an XML file, live: domblklist (both layouts) and domblkinfo as virsh prints them,
/// the guest sees its size, blockresize grows it (a smaller size is refused), detached again.
fn disk_hotplug(name: &str, dir: &Path) {
    let image = dir.join("data.img");
    sh_ok(&format!("truncate -s 16M {}", image.display()));
    let image = image.to_str().unwrap();
    let file = write(
        dir,
        "disk.xml",
        &format!(
            "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{image}'/>\
             <target dev='vdb' bus='virtio'/></disk>"
        ),
    );
    let attached = vm(&["attach-device", name, &file, "--live"]).ok().json();
    assert_eq!(attached["key"], "vdb");
    for flags in ["", " --details"] {
        let ours = vm(&[
            &["domblklist", name, "-o", "text"][..],
            &flags.split_whitespace().collect::<Vec<_>>(),
        ]
        .concat());
        assert_eq!(
            ours.ok().stdout,
            sh_ok(&format!("virsh domblklist {name}{flags}"))
        );
    }
    let list = vm(&["domblklist", name]).ok().json();
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["target"] == "vdb" && d["source"] == image));
    assert_eq!(
        vm(&["domblkinfo", name, "vdb", "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh domblkinfo {name} vdb"))
    );
    until_console(name, "cat /sys/block/vd*/size", CONSOLE_WAIT, |out| {
        out.contains("32768")
    });
    assert_unchanged(
        || {
            (
                domain_snapshot(name),
                sh_ok(&format!("virsh domblkinfo {name} vdb")),
            )
        },
        || {
            vm(&["blockresize", name, "vdb", "1M"]).fails(7, "below its capacity");
            vm(&["blockresize", name, "vdb", "12 apples"]).fails(7, "invalid size");
        },
    );
    let resized = vm(&["blockresize", name, "vdb", "32M"]).ok().json();
    assert_eq!(
        (resized["previous"].clone(), resized["capacity"].clone()),
        ((16 << 20).into(), (32 << 20).into())
    );
    assert!(sh_ok(&format!("virsh domblkinfo {name} vdb")).contains("Capacity:       33554432"));
    until_console(name, "cat /sys/block/vd*/size", CONSOLE_WAIT, |out| {
        out.contains("65536")
    });
    vm(&["detach-device", name, &file, "--live"]).ok();
    assert!(!sh_ok(&format!("virsh domblklist {name}")).contains("vdb"));
}

/// change-media on the empty cdrom: --insert (virsh and the guest's sr0 see the media), --insert
/// again refused, update-device from a file swaps it, --eject empties it for both.
fn cdrom_media(name: &str, dir: &Path) {
    let iso = kit().join("guest.iso");
    let iso = iso.to_str().unwrap();
    // Whether the guest can read the drive; the quotes keep the echoed command line from
    // matching the answer.
    let sr0 =
        "dd if=/dev/sr0 of=/dev/null bs=2048 count=1 2>/dev/null && echo medi''a=yes || echo medi''a=no";
    let inserted = vm(&["change-media", name, "hdc", iso, "--insert"]).ok().json();
    assert_eq!(
        (inserted["source"].clone(), inserted["previous"].clone()),
        (iso.into(), serde_json::Value::Null)
    );
    assert!(sh_ok(&format!("virsh domblklist {name}")).contains(&format!("hdc      {iso}")));
    until_console(name, sr0, CONSOLE_WAIT, |out| out.contains("media=yes"));
    assert_unchanged(
        || domain_snapshot(name),
        || {
            vm(&["change-media", name, "hdc", iso, "--insert"]).fails(4, "already has media");
            vm(&["change-media", name, "vda-none", "--eject"]).fails(3, "vda-none");
        },
    );
    let copy = dir.join("copy.iso");
    std::fs::copy(iso, &copy).unwrap();
    let copy = copy.to_str().unwrap();
    let cdrom = write(
        dir,
        "cdrom.xml",
        &format!(
            "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='{copy}'/>\
             <target dev='hdc' bus='ide'/><readonly/></disk>"
        ),
    );
    vm(&["update-device", name, &cdrom, "--live"]).ok();
    assert!(sh_ok(&format!("virsh domblklist {name}")).contains(&format!("hdc      {copy}")));
    let text = vm(&["change-media", name, copy, "--eject", "-o", "text"])
        .ok()
        .stdout;
    assert_eq!(text, "Successfully ejected media.\n");
    assert!(sh_ok(&format!("virsh domblklist {name}")).contains("hdc      -"));
    until_console(name, sr0, CONSOLE_WAIT, |out| out.contains("media=no"));
}

/// The lines `key=value` of virsh domstats (and ours in -o text), by key.
fn stat_keys(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().split_once('=').map(|(k, _)| k.to_string()))
        .collect()
}

/// Sorted, for comparing a JSON object's keys (serde_json's map sorts them) with virsh's lines.
fn sorted<S: AsRef<str>>(keys: impl IntoIterator<Item = S>) -> Vec<String> {
    let mut keys: Vec<String> = keys.into_iter().map(|k| k.as_ref().to_string()).collect();
    keys.sort();
    keys
}

/// domstats, dommemstat, domifstat, domblkstat, domjobinfo against virsh; screenshot; send-key.
fn observing(name: &str, dir: &Path) {
    let groups = "--state --cpu-total --balloon --vcpu --interface --block";
    let flags: Vec<&str> = groups.split(' ').collect();
    let ours = vm(&[&["domstats", name][..], &flags].concat()).ok().json();
    let virsh = sh_ok(&format!("virsh domstats {name} {groups}"));
    let stats = &ours[0]["stats"];
    let keys: Vec<String> = stats.as_object().unwrap().keys().cloned().collect();
    assert_eq!(sorted(keys), sorted(stat_keys(&virsh)));
    for stable in [
        "state.state",
        "balloon.maximum",
        "vcpu.current",
        "net.count",
        "block.count",
        "block.0.name",
    ] {
        let line = virsh
            .lines()
            .find(|l| l.trim().starts_with(&format!("{stable}=")))
            .unwrap();
        let want = line.trim().split_once('=').unwrap().1;
        let got = match &stats[stable] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        assert_eq!(got, want, "{stable}");
    }
    assert!(
        stats["cpu.time"].is_u64() && stats["state.state"].is_number(),
        "{stats}"
    );
    let text = vm(&[&["domstats", name, "-o", "text"][..], &flags].concat())
        .ok()
        .stdout;
    assert!(text.starts_with(&format!("Domain: '{name}'\n")), "{text}");
    assert_eq!(stat_keys(&text), stat_keys(&virsh));

    let mem = vm(&["dommemstat", name]).ok().json();
    let virsh_mem = sh_ok(&format!("virsh dommemstat {name}"));
    let mem_keys: Vec<&str> = virsh_mem
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(sorted(mem.as_object().unwrap().keys()), sorted(mem_keys));
    assert!(virsh_mem.contains(&format!("actual {}", mem["actual"])));

    let tap = sh_ok(&format!("virsh domiflist {name}"));
    let tap = tap
        .lines()
        .nth(2)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let ifstat = vm(&["domifstat", name, &tap]).ok().json();
    assert_eq!(ifstat["interface"], tap.as_str());
    let virsh_if = sh_ok(&format!("virsh domifstat {name} {tap}"));
    let if_keys: Vec<&str> = virsh_if
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(
        sorted(ifstat["stats"].as_object().unwrap().keys()),
        sorted(if_keys)
    );

    let blk = vm(&["domblkstat", name, "hdc"]).ok().json();
    let virsh_blk = sh_ok(&format!("virsh domblkstat {name} hdc"));
    let blk_keys: Vec<&str> = virsh_blk
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(sorted(blk["stats"].as_object().unwrap().keys()), sorted(blk_keys));
    assert_eq!(
        vm(&["domblkstat", name, "hdc", "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh domblkstat {name} hdc"))
    );

    assert_eq!(vm(&["domjobinfo", name]).ok().json()["job_type"], "None");
    assert_eq!(
        vm(&["domjobinfo", name, "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh domjobinfo {name}"))
    );

    let shot = dir.join("screen.img");
    let shot = shot.to_str().unwrap();
    let saved = vm(&["screenshot", name, shot]).ok().json();
    let mime = saved["mime"].as_str().unwrap();
    let magic = std::fs::read(shot).unwrap();
    match mime {
        "image/x-portable-pixmap" => assert!(magic.starts_with(b"P6"), "not a PPM"),
        "image/png" => assert!(magic.starts_with(b"\x89PNG"), "not a PNG"),
        other => panic!("unexpected MIME {other}"),
    }
    assert_eq!(saved["bytes"], magic.len() as u64);
    assert_unchanged(
        || std::fs::read(shot).unwrap(),
        || {
            vm(&["screenshot", name, shot]).fails(4, "already exists");
        },
    );
    let sent = vm(&["send-key", name, "KEY_LEFTSHIFT", "KEY_A"]).ok().json();
    assert_eq!(sent["keycodes"], serde_json::json!([42, 30]));
}

/// detach-device-alias: a NIC attached with a user alias goes by that alias.
fn detach_by_alias(name: &str, dir: &Path) {
    let file = write(
        dir,
        "alias-nic.xml",
        &format!(
            "<interface type='network'><mac address='{MAC2}'/><source network='default'/>\
             <model type='virtio'/><alias name='ua-nic19'/></interface>"
        ),
    );
    vm(&["attach-device", name, &file, "--live"]).ok();
    assert!(sh_ok(&format!("virsh dumpxml {name}")).contains("ua-nic19"));
    let gone = vm(&["detach-device-alias", name, "ua-nic19", "--live"])
        .ok()
        .json();
    assert_eq!(
        (gone["changed"].clone(), gone["device"].clone()),
        (true.into(), "interface".into())
    );
    until_virsh(&format!("domiflist {name}"), |out| !out.contains(MAC2));
}
