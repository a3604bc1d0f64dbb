//! pool-event, secret-event and nodedev-event against the sandbox's libvirtd, with virsh's own
//! event stream, started beside vnet-vm's, as the oracle: the same lines for the same changes,
//! and virsh's one-shot default (the stream ends after the first event without --loop).
//! Node device events need udevd to relay the kernel's uevents to libvirt, which the sandbox
//! does not run: nodedev-event is proved to end quietly at --timeout here, and to deliver
//! events on libvirt's test driver in vnet-common's unit tests.

use std::time::{Duration, Instant};
use vnet_tests::*;

/// Starts `vnet-vm ARGS -o text` and `virsh LINE` in the background, their output in files of
/// the lab's; returns the two paths (each file is complete once its stream has ended).
fn watch(lab: &Lab, stem: &str, ours: &str, virsh: &str) -> (String, String) {
    watch_with(lab, "vnet-vm", stem, ours, virsh)
}

/// [`watch`] with another vnet tool's line.
fn watch_with(lab: &Lab, tool: &str, stem: &str, ours: &str, virsh: &str) -> (String, String) {
    let (a, b) = (
        format!("/tmp/{}-{stem}-vnet", lab.name("ev")),
        format!("/tmp/{}-{stem}-virsh", lab.name("ev")),
    );
    lab.on_drop(format!("rm -f {a} {b} {a}.done {b}.done"));
    let vnet = bin_dir().join(tool);
    sh_ok(&format!(
        "({} {ours} -o text > {a} 2>&1; touch {a}.done) >/dev/null 2>&1 & \
         (virsh {virsh} > {b} 2>&1; touch {b}.done) >/dev/null 2>&1 &",
        vnet.display()
    ));
    // Both subscribed before anything happens.
    std::thread::sleep(Duration::from_millis(2500));
    (a, b)
}

/// The event lines of a finished stream's file (virsh's closing summary left out).
fn events(path: &str, within: Duration) -> Vec<String> {
    let since = Instant::now();
    while !std::path::Path::new(&format!("{path}.done")).exists() {
        assert!(since.elapsed() < within, "{path}: the stream did not end");
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|l| l.starts_with("event ") && !l.starts_with("event loop"))
        .map(String::from)
        .collect()
}

#[test]
fn pool_and_secret_events_are_virshs() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    let pool = lab.name("pool");
    let dir = lab.dir("pool");
    let loop_ = "--loop --timeout 8";
    let (ours, virsh) = watch(
        &lab,
        "pool",
        &format!("pool-event {loop_}"),
        &format!("pool-event --event lifecycle {loop_}"),
    );
    // One-shot (no --loop): ends at the first event, long before its timeout.
    let (once, virsh_once) = watch(
        &lab,
        "once",
        "pool-event --timeout 30",
        "pool-event --event lifecycle --timeout 30",
    );
    lab.on_drop(format!("virsh pool-destroy {pool}; virsh pool-undefine {pool}"));
    for step in [
        format!("pool-define-as {pool} dir --target {}", dir.display()),
        format!("pool-start {pool}"),
        format!("pool-destroy {pool}"),
        format!("pool-undefine {pool}"),
    ] {
        sh_ok(&format!("virsh {step}"));
    }
    let ours = events(&ours, Duration::from_secs(20));
    assert_eq!(ours, events(&virsh, Duration::from_secs(20)));
    let words: Vec<&str> = ours.iter().map(|l| l.rsplit(' ').next().unwrap()).collect();
    assert_eq!(words, ["Defined", "Started", "Stopped", "Undefined"], "{ours:?}");
    let once = events(&once, Duration::from_secs(10));
    assert_eq!(once, events(&virsh_once, Duration::from_secs(10)));
    assert_eq!(
        once,
        [format!("event 'lifecycle' for storage pool {pool}: Defined")]
    );

    // Secrets, filtered by UUID; JSON records validated against the verb's schema.
    let uuid = "5e0b5a11-1111-4222-8333-944455556666";
    let xml = format!("/tmp/{}-secret.xml", lab.name("ev"));
    std::fs::write(
        &xml,
        format!("<secret ephemeral='no' private='no'><uuid>{uuid}</uuid></secret>"),
    )
    .unwrap();
    lab.on_drop(format!("rm -f {xml}; virsh secret-undefine {uuid}"));
    let filter = format!("--secret {uuid} --loop --timeout 6");
    let (ours, virsh) = watch(
        &lab,
        "secret",
        &format!("secret-event {filter}"),
        &format!("secret-event --event lifecycle {filter}"),
    );
    let json = format!("/tmp/{}-secret-json", lab.name("ev"));
    lab.on_drop(format!("rm -f {json}"));
    sh_ok(&format!(
        "({} secret-event --secret {uuid} --loop --timeout 5 > {json} 2>/dev/null &) >/dev/null 2>&1",
        bin_dir().join("vnet-vm").display()
    ));
    std::thread::sleep(Duration::from_millis(1500));
    sh_ok(&format!(
        "virsh secret-define {xml} && virsh secret-undefine {uuid}"
    ));
    let ours = events(&ours, Duration::from_secs(20));
    assert_eq!(ours, events(&virsh, Duration::from_secs(20)));
    assert_eq!(ours.len(), 2, "{ours:?}");
    std::thread::sleep(Duration::from_secs(5));
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&json)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seen: Vec<_> = records
        .iter()
        .map(|r| (r["secret"].as_str().unwrap(), r["event"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [(uuid, "defined"), (uuid, "undefined")]);
}

#[test]
fn event_options_as_virsh_takes_them() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    // No node device event here (no udevd): the stream ends at --timeout with nothing printed,
    // exit 1 as virsh's "events received: 0".
    let started = Instant::now();
    vm(&["nodedev-event", "--loop", "--timeout", "1"]).fails(1, "no event received");
    assert_eq!(
        sh("virsh nodedev-event --event lifecycle --loop --timeout 1").code,
        1
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // What vnet-vm does not follow is refused by name; a pool that is not there is exit 3.
    vm(&["pool-event", "--event", "refresh"]).fails(7, "refresh");
    vm(&["secret-event", "--event", "value-changed"]).fails(7, "value-changed");
    vm(&["qemu-monitor-event", "--timestamp"]).fails(7, "--timestamp");
    vm(&["pool-event", "--pool", &lab.name("nopool"), "--timeout", "1"]).fails(3, "nopool");
    vm(&["secret-event", "--secret", "not-a-uuid"]).fails(7, "not-a-uuid");
    vm(&["pool-event", "--timeout", "soon"]).fails(2, "soon");
}

/// QEMU's own monitor events of a running guest (suspend: STOP, resume: RESUME), beside virsh
/// qemu-monitor-event's lines.
#[test]
fn qemu_monitor_events_are_virshs() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    let name = lab.domain("qme");
    let xml = format!("/tmp/{}-dom.xml", lab.name("ev"));
    std::fs::write(
        &xml,
        format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
             <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>"
        ),
    )
    .unwrap();
    lab.on_drop(format!(
        "rm -f {xml}; virsh destroy {name}; virsh undefine {name}"
    ));
    sh_ok(&format!("virsh define {xml} && virsh start {name}"));
    let filter = format!("--domain {name} --loop --timeout 8");
    let (ours, virsh) = watch(
        &lab,
        "qemu",
        &format!("qemu-monitor-event {filter}"),
        &format!("qemu-monitor-event {filter}"),
    );
    let (stop, virsh_stop) = watch(
        &lab,
        "stop",
        &format!("qemu-monitor-event --domain {name} --event stop --no-case --timeout 30"),
        &format!("qemu-monitor-event --domain {name} --event stop --no-case --timeout 30"),
    );
    sh_ok(&format!("virsh suspend {name} && virsh resume {name}"));
    let ours = events(&ours, Duration::from_secs(20));
    assert_eq!(ours, events(&virsh, Duration::from_secs(20)));
    let names: Vec<&str> = ours.iter().map(|l| l.split(' ').nth(1).unwrap()).collect();
    assert_eq!(names, ["STOP", "RESUME"], "{ours:?}");
    let stop = events(&stop, Duration::from_secs(10));
    assert_eq!(stop, events(&virsh_stop, Duration::from_secs(10)));
    assert_eq!(stop.len(), 1, "{stop:?}");
    vm(&[
        "qemu-monitor-event",
        "--domain",
        &lab.name("novm"),
        "--timeout",
        "1",
    ])
    .fails(3, "novm");
    vm(&["qemu-monitor-event", "--regex", "--event", "S.*"]).fails(7, "--regex");
}

/// virsh event's own form: `--event lifecycle` waits for one event (the same line as virsh's
/// for the same change) and ends; no event by --timeout is exit 1 for both tools; --list is
/// virsh's list for event and the object verbs (JSON: an array, schema-checked); a type
/// vnet-vm does not follow, an unknown one and --all are exit 7 naming them.
#[test]
fn event_one_shot_list_and_no_event_as_virsh() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    for verb in ["event", "pool-event", "secret-event", "nodedev-event"] {
        let virsh = sh_ok(&format!("virsh {verb} --list"));
        assert_eq!(
            vm(&[verb, "--list", "-o", "text"]).ok().stdout,
            virsh,
            "{verb} --list"
        );
        let names = vm(&[verb, "--list"]).ok().json();
        let names: Vec<&str> = names
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(names, virsh.lines().filter(|l| !l.is_empty()).collect::<Vec<_>>());
    }
    assert_eq!(sh("virsh event --event lifecycle --timeout 1").code, 1);
    vm(&["event", "--event", "lifecycle", "--timeout", "1"]).fails(1, "no event received");
    assert_eq!(sh("virsh pool-event --event lifecycle --timeout 1").code, 1);
    vm(&["pool-event", "--timeout", "1"]).fails(1, "no event received");
    vm(&["event", "--event", "reboot"]).fails(7, "reboot");
    vm(&["event", "--event", "nosuch"]).fails(7, "unknown event type");
    vm(&["event", "--all"]).fails(7, "--all");

    default_network(&lab);
    let name = lab.domain("evd");
    let file = lab.dir("evd").join("guest.xml");
    std::fs::write(&file, kit_guest_xml(&name)).unwrap();
    sh_ok(&format!("virsh define {}", file.display()));
    let line = format!("event --domain {name} --event lifecycle --timeout 60");
    let (ours, virsh) = watch(&lab, "dom", &line, &line);
    sh_ok(&format!("virsh undefine {name}"));
    let ours = events(&ours, Duration::from_secs(30));
    assert_eq!(ours, events(&virsh, Duration::from_secs(30)));
    assert_eq!(
        ours,
        [format!(
            "event 'lifecycle' for domain '{name}': Undefined Removed"
        )]
    );
}

/// vnet-net's net-event in virsh's form: --list, one event without --loop (the same line as
/// virsh's for the same network's definition), exit 1 when none came, unknown types exit 7.
#[test]
fn net_event_one_shot_list_and_no_event_as_virsh() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    assert_eq!(
        net(&["net-event", "--list", "-o", "text"]).ok().stdout,
        sh_ok("virsh net-event --list")
    );
    assert_eq!(
        net(&["net-event", "--list"]).ok().json(),
        serde_json::json!(["lifecycle"])
    );
    assert_eq!(sh("virsh net-event --event lifecycle --timeout 1").code, 1);
    net(&["net-event", "--event", "lifecycle", "--timeout", "1"]).fails(1, "no event received");
    net(&["net-event", "--event", "nosuch"]).fails(7, "unknown event type");

    let name = lab.network("nev");
    let file = lab.dir("nev").join("net.xml");
    std::fs::write(&file, format!("<network><name>{name}</name></network>")).unwrap();
    let line = format!("net-event --network {name} --event lifecycle --timeout 60");
    let (ours, virsh) = watch_with(&lab, "vnet-net", "net", &line, &line);
    sh_ok(&format!("virsh net-define {}", file.display()));
    let ours = events(&ours, Duration::from_secs(30));
    assert_eq!(ours, events(&virsh, Duration::from_secs(30)));
    assert_eq!(ours, [format!("event 'lifecycle' for network {name}: Defined")]);
}
