//! Live migration between two libvirt hosts (issue 19): the sandbox's libvirtd and a second host
//! (tests/second-host: its own namespaces, hostname and host_uuid, reached over qemu+tcp). The
//! guest is the kit's (direct kernel boot under TCG, diskless: no shared storage needed; the kit's
//! files are at the same path on both hosts). Both hosts have a libvirt network of the same name
//! whose bridges are joined by a veth, so the guest keeps its address and answers ping from the
//! sandbox wherever it runs; its serial console answers too. Oracles: virsh on both hosts, ping,
//! the guest's console (a file written before a migration is read after it: the same running
//! instance moved). A guest on a disk only this host has moves with --copy-storage-all.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vnet_tests::*;

const SUBNET: &str = "192.168.197";

/// The network the guest's NIC is on, on both hosts: here with DHCP, there a bare bridge of the
/// same name; the two bridges joined by a veth pair (one layer 2 segment across the hosts).
fn shared_network(lab: &Lab, host: &SecondHost) -> String {
    let name = lab.network("mig");
    let bridge = lab.name("mbr");
    let dir = lab.dir("mignet");
    let here = dir.join("here.xml");
    std::fs::write(
        &here,
        format!(
            "<network><name>{name}</name><bridge name='{bridge}' stp='off'/>\
             <ip address='{SUBNET}.1' netmask='255.255.255.0'><dhcp><range start='{SUBNET}.10' end='{SUBNET}.50'/></dhcp></ip></network>"
        ),
    )
    .unwrap();
    let there = dir.join("there.xml");
    std::fs::write(
        &there,
        format!("<network><name>{name}</name><bridge name='{bridge}' stp='off'/></network>"),
    )
    .unwrap();
    sh_ok(&format!("virsh net-create {}", here.display()));
    host.virsh(&format!("net-create {}", there.display()));
    let (a, b) = (lab.link("mva"), lab.name("mvb"));
    sh_ok(&format!(
        "ip link add {a} type veth peer name {b} netns {ns} && ip link set {a} master {bridge} up && \
         ip -n {ns} link set {b} master {bridge} up",
        ns = host.name
    ));
    name
}

const MAC: &str = "52:54:00:97:00:01";

/// The kit's guest on `network`, with a fixed MAC (to find its lease) and a serial console.
fn guest_xml(name: &str, network: &str) -> String {
    let kit = kit();
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64'>hvm</type><kernel>{k}</kernel><initrd>{i}</initrd>\
         <cmdline>console=ttyS0</cmdline></os><features><acpi/><apic/></features>\
         <on_poweroff>destroy</on_poweroff><devices>\
         <interface type='network'><mac address='{MAC}'/><source network='{network}'/><model type='virtio'/></interface>\
         <serial type='pty'><target port='0'/></serial><console type='pty'><target type='serial' port='0'/></console>\
         </devices></domain>",
        k = kit.join("vmlinuz").display(),
        i = kit.join("initrd.gz").display(),
    )
}

/// The guest's address: its lease from the network's dnsmasq here.
fn wait_lease(network: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let leases = sh_ok(&format!("virsh net-dhcp-leases {network}"));
        if let Some(line) = leases.lines().find(|l| l.contains(MAC)) {
            let cidr = line.split_whitespace().find(|w| w.starts_with(SUBNET)).unwrap();
            return cidr.split('/').next().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "no lease for {MAC}: {leases}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The guest answers ping from the sandbox within 15 s (after a migration the bridges learn its
/// MAC's new port from QEMU's announcement).
fn pingable(addr: &str, when: &str) {
    let run = sh(&format!(
        "for i in $(seq 15); do ping -c 1 -W 1 {addr} && exit 0; done; exit 1"
    ));
    assert_eq!(run.code, 0, "{when}: guest {addr} does not answer ping: {run:?}");
}

/// Runs shell lines on the guest's serial console over `uri`; returns what it printed.
fn console(uri: &str, name: &str, lines: &str) -> String {
    vnet_stdin(
        "vnet-vm",
        &["-c", uri, "console", name, "--linger", "2"],
        &format!("\n{lines}\n"),
    )
    .ok()
    .stdout
}

/// Where the domain is, seen by virsh on both hosts: its state here and there ("-" when absent)
/// and whether each host keeps a persistent definition.
fn whereabouts(host: &SecondHost, name: &str) -> (String, String, bool, bool) {
    let state = |run: Run| match run.code {
        0 => run.stdout.trim().to_string(),
        _ => "-".to_string(),
    };
    let persistent = |run: Run| {
        run.stdout
            .lines()
            .any(|l| l.starts_with("Persistent:") && l.ends_with("yes"))
    };
    (
        state(sh(&format!("virsh domstate {name}"))),
        state(host.virsh_run(&format!("domstate {name}"))),
        persistent(sh(&format!("virsh dominfo {name}"))),
        persistent(host.virsh_run(&format!("dominfo {name}"))),
    )
}

/// Both hosts' domains and definitions (what a refused migration must leave as it was).
fn both_hosts(host: &SecondHost) -> String {
    let list = "list --all --name";
    let mut state = sh_ok(&format!(
        "virsh {list}; for d in $(virsh {list}); do virsh dumpxml --inactive $d; virsh domstate $d; done"
    ));
    let there = host.virsh(list);
    for d in there.split_whitespace() {
        state += &host.virsh(&format!("dumpxml --inactive {d}"));
        state += &host.virsh(&format!("domstate {d}"));
    }
    state + &there
}

/// The result record of a migrate run: the last NDJSON line, every line valid against the schema.
fn result_of(run: &Run) -> (Vec<Value>, Value) {
    let mut records = run.records();
    let result = records.pop().expect("a result record");
    assert_eq!(result["record"], "result", "{result}");
    for p in &records {
        assert_eq!(p["record"], "progress", "{p}");
    }
    (records, result)
}

/// The guest live-migrated there (--persistent --undefinesource, with progress records) and back
/// (by UUID, with --migrateuri, transient), pingable and its console answering before and after
/// each move; a destination that does not answer refused with nothing changed on either host;
/// SIGINT during a migration aborts it and leaves the guest running here; --timeout suspends a
/// migration that takes too long so it completes (peer-to-peer); --offline copies a definition.
#[test]
fn live_migration_between_two_hosts() {
    let lab = lab!();
    let host = SecondHost::start(&lab, 97);
    let network = shared_network(&lab, &host);
    let name = lab.domain("mig");
    let xml = lab.dir("migvm").join("dom.xml");
    std::fs::write(&xml, guest_xml(&name, &network)).unwrap();
    sh_ok(&format!("virsh define {} && virsh start {name}", xml.display()));
    let addr = wait_lease(&network);
    pingable(&addr, "before");
    let here = "qemu:///system";
    let said = console(
        here,
        &name,
        "echo moved-$((6*7)) > /tmp/vnet-migrate; cat /tmp/vnet-migrate",
    );
    assert!(said.contains("moved-42"), "{said}");

    unreachable_destination_changes_nothing(&host, &name);

    // There: live, persistent there, undefined here; progress records, then the result.
    let run = vm(&[
        "migrate",
        &name,
        &host.uri,
        "--live",
        "--persistent",
        "--undefinesource",
        "--progress",
    ])
    .ok();
    let (progress, result) = result_of(&run);
    assert!(!progress.is_empty(), "no progress record: {run:?}");
    assert!(progress.iter().all(|p| p["percent"].as_u64().unwrap() <= 100));
    assert_eq!(progress.last().unwrap()["percent"], 100, "{run:?}");
    assert_eq!(result["outcome"], "migrated");
    assert_eq!(result["running_on"], "destination");
    assert_eq!(result["destination_persistent"], true);
    assert_eq!(result["source_defined"], false);
    assert_eq!(result["mode"], "direct");
    assert_eq!(
        whereabouts(&host, &name),
        ("-".into(), "running".into(), false, true)
    );
    pingable(&addr, "after the migration there");
    let said = console(&host.uri, &name, "cat /tmp/vnet-migrate");
    assert!(said.contains("moved-42"), "the same guest runs there: {said}");

    // Back: by UUID, over the second host's URI, QEMU's stream to an address given with
    // --migrateuri (this host's hostname is not an address the second host can use).
    let uuid = host.virsh(&format!("domuuid {name}")).trim().to_string();
    let migrateuri = "tcp://10.97.0.1";
    let run = vm(&[
        "-c",
        &host.uri,
        "migrate",
        &uuid,
        here,
        "--live",
        "--migrateuri",
        migrateuri,
    ])
    .ok();
    let result = run.json();
    assert_eq!(result["name"], name.as_str());
    assert_eq!(
        (result["running_on"].clone(), result["source_defined"].clone()),
        ("destination".into(), true.into())
    );
    assert_eq!(
        result["destination_persistent"], false,
        "no --persistent: transient here"
    );
    assert_eq!(
        whereabouts(&host, &name),
        ("running".into(), "shut off".into(), false, true)
    );
    pingable(&addr, "after the migration back");
    let said = console(here, &name, "cat /tmp/vnet-migrate");
    assert!(said.contains("moved-42"), "{said}");

    failed_migration_leaves_the_guest_here(&host, &name);
    sigint_aborts_the_migration(&host, &name, &addr);
    timeout_suspends_then_completes(&host, &name, &addr);
    offline_copies_the_definition(&host, &name);
}

/// A destination whose address does not answer: exit 6, one line, nothing changed on either host.
fn unreachable_destination_changes_nothing(host: &SecondHost, name: &str) {
    let before = both_hosts(host);
    vm(&[
        "--timeout",
        "5",
        "migrate",
        name,
        "qemu+tcp://10.97.0.99/system",
        "--live",
    ])
    .fails(6, "10.97.0.99");
    // Refused before anything is asked: virsh's options vnet-vm does not take, by name.
    vm(&["migrate", name, &host.uri, "--live", "--postcopy"]).fails(7, "--postcopy is not supported");
    // An unknown domain: exit 3 before the destination is asked.
    vm(&["migrate", "nosuch-vnet-dom", &host.uri, "--live"]).fails(3, "nosuch-vnet-dom");
    assert_eq!(both_hosts(host), before);
}

/// A migration libvirt fails (QEMU's stream sent to a port nothing listens on): exit 1 with
/// libvirt's reason, the guest running here as before, nothing changed on either host.
fn failed_migration_leaves_the_guest_here(host: &SecondHost, name: &str) {
    let before = both_hosts(host);
    let uri = format!("tcp://{}:1", host.addr);
    vm(&["migrate", name, &host.uri, "--live", "--migrateuri", &uri]).fails(1, "cancelled the migration");
    assert_eq!(both_hosts(host), before);
    let said = console("qemu:///system", name, "cat /tmp/vnet-migrate");
    assert!(said.contains("moved-42"), "{said}");
}

/// SIGINT once the first progress record is out: the job is aborted, the result record says so,
/// exit 130; the guest runs here as before and nothing of it runs there.
fn sigint_aborts_the_migration(host: &SecondHost, name: &str, addr: &str) {
    let before = whereabouts(host, name);
    let mut child = Command::new(bin_dir().join("vnet-vm"))
        .args([
            "migrate",
            name,
            &host.uri,
            "--live",
            "--progress",
            "--bandwidth",
            "1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a first record").unwrap();
    assert!(first.contains("\"record\":\"progress\""), "{first}");
    sh_ok(&format!("kill -INT {}", child.id()));
    let mut stdout = format!("{first}\n");
    for line in lines {
        stdout += &line.unwrap();
        stdout.push('\n');
    }
    let output = child.wait_with_output().unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        tool: Some("vnet-vm".into()),
        args: vec!["migrate".into()],
    };
    assert_eq!(run.code, 130, "{run:?}");
    let (_, result) = result_of(&run);
    assert_eq!(result["outcome"], "aborted", "{result}");
    assert_eq!(result["running_on"], "source");
    assert!(
        run.stderr.contains("SIGINT") && run.stderr.contains("aborted"),
        "{run:?}"
    );
    assert_eq!(run.stderr.lines().count(), 2, "error and hint: {run:?}");
    assert_eq!(whereabouts(host, name), before);
    pingable(addr, "after the aborted migration");
    let said = console("qemu:///system", name, "cat /tmp/vnet-migrate");
    assert!(said.contains("moved-42"), "{said}");
}

/// --timeout 1 on a peer-to-peer migration slowed to 16 MiB/s: the guest is suspended after a
/// second so the copy converges; it completes (virsh's --timeout-suspend) and the guest runs there.
fn timeout_suspends_then_completes(host: &SecondHost, name: &str, addr: &str) {
    let run = vm(&[
        "migrate",
        name,
        &host.uri,
        "--live",
        "--p2p",
        "--bandwidth",
        "16",
        "--timeout",
        "1",
        "--timeout-suspend",
        "--verbose",
    ])
    .ok();
    let result = run.json();
    assert_eq!(result["suspended_at_timeout"], true, "{result}");
    assert_eq!(result["running_on"], "destination", "{result}");
    assert_eq!(result["mode"], "peer2peer");
    assert!(
        run.stderr.contains("Migration: [100 %]"),
        "virsh's --verbose line: {run:?}"
    );
    let state = host.virsh(&format!("domstate {name}"));
    assert_eq!(result["destination_state"], state.trim(), "{result}");
    if state.trim() == "paused" {
        host.virsh(&format!("resume {name}"));
    }
    pingable(addr, "after the migration with --timeout");
}

/// --offline --persistent on a shut off domain: its definition is copied here, the second host
/// keeps its own; without --persistent it is refused before anything is asked (exit 7).
fn offline_copies_the_definition(host: &SecondHost, name: &str) {
    host.virsh(&format!("destroy {name}"));
    let before = both_hosts(host);
    vm(&["-c", &host.uri, "migrate", name, "qemu:///system", "--offline"]).fails(7, "--persistent");
    assert_eq!(both_hosts(host), before);
    let result = vm(&[
        "-c",
        &host.uri,
        "migrate",
        name,
        "qemu:///system",
        "--offline",
        "--persistent",
    ])
    .ok()
    .json();
    assert_eq!(
        (
            result["running_on"].as_str(),
            result["destination_persistent"].as_bool()
        ),
        (Some("none"), Some(true)),
        "{result}"
    );
    assert_eq!(
        whereabouts(host, name),
        ("shut off".into(), "shut off".into(), true, true)
    );
}

/// --copy-storage-all: a guest on a qcow2 disk that only this host has (the second host has an
/// empty image of the same size at the same path, as virsh's users pre-create it) moves with
/// its disk's contents: the bytes written here before are in the second host's image after.
/// Run on a terminal, migrate prints progress records without --progress.
#[test]
fn copy_storage_all_moves_the_disk() {
    let lab = lab!();
    let host = SecondHost::start(&lab, 98);
    let name = lab.domain("migdsk");
    let disk = format!("/var/lib/libvirt/images/{name}.qcow2");
    lab.on_drop(format!("rm -f {disk}"));
    let create = format!("qemu-img create -q -f qcow2 {disk} 16M");
    sh_ok(&format!(
        "{create} && qemu-io -f qcow2 -c 'write -q -P 90 0 64k' {disk}"
    ));
    host.sh_ok(&create);
    let holds = |run: Run| run.code == 0 && !run.stdout.contains("verification failed");
    let check = format!("qemu-io -f qcow2 -r -U -c 'read -P 90 0 64k' {disk}");
    assert!(!holds(host.sh(&check)), "the second host's image starts empty");
    let kit = kit();
    let xml = lab.dir("migdsk").join("dom.xml");
    std::fs::write(
        &xml,
        format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type><kernel>{k}</kernel><initrd>{i}</initrd>\
             <cmdline>console=ttyS0</cmdline></os><features><acpi/><apic/></features>\
             <on_poweroff>destroy</on_poweroff><devices>\
             <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{disk}'/>\
             <target dev='vda' bus='virtio'/></disk>\
             <serial type='pty'><target port='0'/></serial><console type='pty'><target type='serial' port='0'/></console>\
             </devices></domain>",
            k = kit.join("vmlinuz").display(),
            i = kit.join("initrd.gz").display(),
        ),
    )
    .unwrap();
    sh_ok(&format!("virsh define {} && virsh start {name}", xml.display()));
    // On a terminal (script(1) gives it one) progress records come without --progress.
    let line = format!(
        "{} migrate {name} {} --live --copy-storage-all --persistent",
        bin_dir().join("vnet-vm").display(),
        host.uri
    );
    let out = sh_ok(&format!("script -qec '{line}' /dev/null"));
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l.trim_end_matches('\r')).unwrap_or_else(|e| panic!("{e}: {out}")))
        .collect();
    for r in &records {
        assert_valid("vnet-vm", "migrate", r);
    }
    let (result, progress) = records.split_last().unwrap();
    assert!(!progress.is_empty(), "progress records on a terminal: {out}");
    assert!(progress.iter().all(|p| p["record"] == "progress"), "{out}");
    assert_eq!(result["running_on"], "destination", "{result}");
    assert_eq!(host.virsh(&format!("domstate {name}")).trim(), "running");
    assert!(holds(host.sh(&check)), "the disk's bytes moved with the guest");
    assert_eq!(sh_ok(&format!("virsh domstate {name}")).trim(), "shut off");
    // It was migrated while booting: it finishes booting there and its shell answers.
    let deadline = Instant::now() + Duration::from_secs(90);
    while !console(&host.uri, &name, "echo disk-$((6*7))").contains("disk-42") {
        assert!(
            Instant::now() < deadline,
            "{name}'s console never answered on the second host"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}
