//! virsh options vnet-vm used to refuse by name, each against real virsh on the sandbox's
//! libvirtd: `--timestamp` of the event verbs (event, net-event, pool-event, secret-event,
//! nodedev-event), `domjobinfo --keep-completed/--anystats/--rawstats`, `domblkstat --human`
//! `dommemstat --period N [--live|--config|--current]`, `checkpoint-list --tree` and `list
//! --with-checkpoint/--without-checkpoint`. The guest is the kit guest, started
//! and suspended at once (its counters stand still; libvirt answers all of these for a paused
//! domain); the event lines come from objects defined and undefined, never started.

use std::path::Path;
use std::time::{Duration, Instant};
use vnet_tests::*;

/// Starts `TOOL OURS -o text` and `virsh THEIRS` in the background, each into a file of the
/// lab's; returns the two paths (complete once `PATH.done` exists).
fn watch(lab: &Lab, tool: &str, stem: &str, ours: &str, theirs: &str) -> (String, String) {
    let (a, b) = (
        format!("/tmp/{}-{stem}-vnet", lab.name("ts")),
        format!("/tmp/{}-{stem}-virsh", lab.name("ts")),
    );
    lab.on_drop(format!("rm -f {a} {b} {a}.done {b}.done"));
    sh_ok(&format!(
        "({} {ours} -o text > {a} 2>&1; touch {a}.done) >/dev/null 2>&1 & \
         (virsh {theirs} > {b} 2>&1; touch {b}.done) >/dev/null 2>&1 &",
        bin_dir().join(tool).display()
    ));
    (a, b)
}

/// Waits until the background stream writing `path` has ended (`PATH.done`).
fn wait_done(path: &str) {
    let since = Instant::now();
    while !Path::new(&format!("{path}.done")).exists() {
        assert!(
            since.elapsed() < Duration::from_secs(40),
            "{path}: the stream did not end"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The event lines of a finished stream, each split into its timestamp and the rest.
fn stamped(path: &str) -> Vec<(String, String)> {
    wait_done(path);
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter_map(|l| l.split_once(": event '"))
        .map(|(at, rest)| (at.to_string(), format!("event '{rest}")))
        .collect()
}

/// Seconds of the day of virsh's "2026-12-07 23:13:44.481+0000", checking its spelling.
fn seconds(stamp: &str) -> f64 {
    let b = stamp.as_bytes();
    assert!(
        stamp.len() == 28 && b[4] == b'-' && b[10] == b' ' && b[19] == b'.' && stamp.ends_with("+0000"),
        "not virsh's timestamp: {stamp:?}"
    );
    let hms: Vec<f64> = stamp[11..23].split(':').map(|f| f.parse().unwrap()).collect();
    hms[0] * 3600.0 + hms[1] * 60.0 + hms[2]
}

/// Ours and virsh's: the same lines after the same kind of timestamp, taken within 2 s.
fn same_stamped(ours: &str, theirs: &str, want: usize) {
    let (ours, theirs) = (stamped(ours), stamped(theirs));
    assert_eq!(ours.len(), want, "{ours:?}");
    let lines = |v: &[(String, String)]| v.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>();
    assert_eq!(lines(&ours), lines(&theirs));
    for ((a, _), (b, _)) in ours.iter().zip(&theirs) {
        assert!((seconds(a) - seconds(b)).abs() < 2.0, "{a} vs {b}");
    }
}

#[test]
fn event_timestamps_are_virshs() {
    let lab = lab!();
    let dir = lab.dir("ev");
    let (dom, netw, pool) = (lab.domain("ts"), lab.network("ts"), lab.name("pool"));
    lab.on_drop(format!("virsh pool-destroy {pool}; virsh pool-undefine {pool}"));
    let uuid = "5e0b5a11-2222-4222-8333-944455556677";
    lab.on_drop(format!("virsh secret-undefine {uuid}"));
    // Each `virsh define` here takes seconds (libvirt probes QEMU again without KVM): the
    // streams wait long enough for all the changes.
    // Only this test's objects change in the sandbox's daemon: the streams need no filter.
    let tail = "--event lifecycle --loop --timeout 20 --timestamp";
    let [domain, network, pools, secrets] = [
        ("vnet-vm", "dom", "event"),
        ("vnet-net", "net", "net-event"),
        ("vnet-vm", "pool", "pool-event"),
        ("vnet-vm", "secret", "secret-event"),
    ]
    .map(|(tool, stem, verb)| {
        let line = format!("{verb} {tail}");
        watch(&lab, tool, stem, &line, &line)
    });
    // JSON: the same records as without --timestamp (their `time` always there).
    let json = format!("{}/dom.json", dir.display());
    sh_ok(&format!(
        "({} event --loop --timeout 19 --timestamp > {json} 2>/dev/null; touch {json}.done) \
         >/dev/null 2>&1 &",
        bin_dir().join("vnet-vm").display(),
    ));
    std::thread::sleep(Duration::from_millis(2500));
    let files = [
        ("dom.xml", kit_guest_xml(&dom)),
        ("net.xml", format!("<network><name>{netw}</name></network>")),
        (
            "secret.xml",
            format!("<secret ephemeral='no' private='no'><uuid>{uuid}</uuid></secret>"),
        ),
    ];
    for (file, xml) in &files {
        std::fs::write(dir.join(file), xml).unwrap();
    }
    sh_ok(&format!(
        "cd {d} && virsh define dom.xml && virsh undefine {dom} && virsh net-define net.xml && \
         virsh net-undefine {netw} && virsh pool-define-as {pool} dir --target {d} && \
         virsh pool-undefine {pool} && virsh secret-define secret.xml && virsh secret-undefine {uuid}",
        d = dir.display()
    ));
    same_stamped(&domain.0, &domain.1, 2);
    same_stamped(&network.0, &network.1, 2);
    same_stamped(&pools.0, &pools.1, 2);
    same_stamped(&secrets.0, &secrets.1, 2);
    wait_done(&json);
    let run = Run {
        code: 0,
        stdout: std::fs::read_to_string(&json).unwrap(),
        stderr: String::new(),
        tool: Some("vnet-vm".into()),
        args: ["event", "--timestamp"].map(String::from).to_vec(),
    };
    let records = run.records();
    let events: Vec<_> = records.iter().map(|r| r["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["defined", "undefined"]);
    assert!(records.iter().all(|r| r["time"].as_str().unwrap().ends_with('Z')));
    // No node device event here (no udevd): --timestamp is taken, and the wait ends as
    // virsh's does, exit 1 with none.
    vm(&["nodedev-event", "--timestamp", "--timeout", "1"]).fails(1, "no event received");
    assert_eq!(
        sh("virsh nodedev-event --event lifecycle --timestamp --timeout 1").code,
        1
    );
}

/// The kit guest with a 16 MiB qcow2 disk (vda) and an empty CD-ROM drive (hdc), started and
/// paused at once.
fn paused_guest(lab: &Lab, dir: &Path) -> String {
    default_network(lab);
    let name = lab.domain("flags");
    // Undefine refuses a domain with checkpoints: their metadata goes first.
    lab.on_drop(format!(
        "for c in $(virsh checkpoint-list {name} --name); do virsh checkpoint-delete {name} $c --metadata; done"
    ));
    let image = dir.join("vda.qcow2");
    sh_ok(&format!("qemu-img create -f qcow2 {} 16M", image.display()));
    let disk = format!(
        "<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{}'/><target dev='vda' bus='virtio'/></disk>\
         <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>",
        image.display()
    );
    let file = dir.join("guest.xml");
    std::fs::write(&file, kit_guest_xml(&name).replace("<devices>", &disk)).unwrap();
    sh_ok(&format!(
        "virsh define {} && virsh start {name} && virsh suspend {name}",
        file.display()
    ));
    name
}

#[test]
fn job_block_and_memory_flags_are_virshs() {
    let lab = lab!();
    let dir = lab.dir("flags");
    let name = paused_guest(&lab, &dir);
    block_stats_human(&name);
    job_info_flags(&name);
    memory_period(&name);
    checkpoint_tree(&name);
    link_print_xml(&name);
    media_print_xml(&name, &dir);
    blockcopy_print_xml(&name, &dir);
}

/// domblkstat --human: virsh's explained lines, for one device and for all together; the JSON
/// is the same with or without it.
fn block_stats_human(name: &str) {
    for device in [&["vda"][..], &[][..]] {
        let line = [&["domblkstat", name][..], device, &["--human", "-o", "text"]].concat();
        let ours = vm(&line).ok().stdout;
        let theirs = sh_ok(&format!("virsh domblkstat {name} {} --human", device.join(" ")));
        assert!(theirs.contains(" number of read operations:"), "{theirs}");
        assert_eq!(ours, theirs);
    }
    let plain = vm(&["domblkstat", name, "vda"]).ok().json();
    assert_eq!(vm(&["domblkstat", name, "vda", "--human"]).ok().json(), plain);
}

/// domjobinfo's flags: virsh's text with no job; a finished backup's statistics kept by
/// --keep-completed (virsh reads them after us) and dropped by a read without it.
fn job_info_flags(name: &str) {
    for flags in [
        "--rawstats",
        "--anystats",
        "--completed --anystats",
        "--completed --keep-completed --rawstats",
    ] {
        let words: Vec<&str> = flags.split(' ').collect();
        let ours = vm(&[&["domjobinfo", name, "-o", "text"][..], &words].concat())
            .ok()
            .stdout;
        assert_eq!(
            ours,
            sh_ok(&format!("virsh domjobinfo {name} {flags}")),
            "{flags}"
        );
    }
    sh_ok(&format!("virsh backup-begin {name}"));
    let since = Instant::now();
    while !sh_ok(&format!("virsh domjobinfo {name}")).contains("None") {
        assert!(
            since.elapsed() < Duration::from_secs(30),
            "the backup did not end"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let raw = [
        "domjobinfo",
        name,
        "--completed",
        "--keep-completed",
        "--rawstats",
    ];
    let ours = vm(&[&raw[..], &["-o", "text"]].concat()).ok().stdout;
    assert!(ours.starts_with("Job type: 3\n\noperation: 9\n"), "{ours}");
    assert_eq!(ours, sh_ok(&format!("virsh {}", raw.join(" "))));
    let kept = vm(&["domjobinfo", name, "--completed", "--keep-completed"])
        .ok()
        .json();
    assert_eq!(kept["job_type"], "Completed");
    assert_eq!(kept["stats"]["disk_total"], 16 << 20);
    vm(&["domjobinfo", name, "--completed"]).ok();
    let after = sh_ok(&format!("virsh domjobinfo {name} --completed"));
    assert!(after.starts_with("Job type:         None"), "{after}");
    // --keep-completed needs --completed, as virsh's.
    vm(&["domjobinfo", name, "--keep-completed"]).fails(2, "--completed");
    assert_eq!(sh(&format!("virsh domjobinfo {name} --keep-completed")).code, 1);
}

/// The balloon's `<stats period=...>` in the live (or with --inactive, the persistent) XML.
fn period(name: &str, inactive: &str) -> Option<String> {
    let xml = sh_ok(&format!("virsh dumpxml {inactive} {name}"));
    let line = xml.lines().find(|l| l.contains("<stats period="))?;
    Some(line.trim().to_string())
}

/// dommemstat --period in each scope, seen in virsh's dumpxml; bad values change nothing.
fn memory_period(name: &str) {
    let set = vm(&["dommemstat", name, "--period", "3"]).ok().json();
    assert_eq!(
        set,
        serde_json::json!({"period": 3, "live": true, "config": false})
    );
    assert_eq!(period(name, "").as_deref(), Some("<stats period='3'/>"));
    assert_eq!(period(name, "--inactive"), None);
    let text = vm(&["dommemstat", name, "--period", "4", "--config", "-o", "text"]);
    assert_eq!(
        text.ok().stdout,
        sh_ok(&format!("virsh dommemstat {name} --period 4 --config"))
    );
    assert_eq!(period(name, "--inactive").as_deref(), Some("<stats period='4'/>"));
    assert_eq!(period(name, "").as_deref(), Some("<stats period='3'/>"));
    vm(&["dommemstat", name, "--period", "5", "--live", "--config"]).ok();
    assert_eq!(period(name, "").as_deref(), Some("<stats period='5'/>"));
    assert_eq!(period(name, "--inactive").as_deref(), Some("<stats period='5'/>"));
    let off = vm(&["dommemstat", name, "--period", "0", "--current"])
        .ok()
        .json();
    assert_eq!(
        off,
        serde_json::json!({"period": 0, "live": true, "config": false})
    );
    assert_eq!(period(name, ""), None);

    let before = domain_snapshot(name);
    for (bad, code, needle) in [
        ("--period -1", 7, "--period -1"),
        ("--period abc", 7, "--period 'abc'"),
        ("--period 2 --current --config", 2, "--current"),
    ] {
        let words: Vec<&str> = bad.split(' ').collect();
        vm(&[&["dommemstat", name][..], &words].concat()).fails(code, needle);
        assert_eq!(sh(&format!("virsh dommemstat {name} {bad}")).code, 1, "{bad}");
    }
    assert_eq!(domain_snapshot(name), before);
    // Without --period a scope changes nothing: the statistics, virsh's names.
    let stats = vm(&["dommemstat", name, "--live"]).ok().json();
    let theirs = sh_ok(&format!("virsh dommemstat {name} --live"));
    let mut names: Vec<&str> = theirs.lines().filter_map(|l| l.split(' ').next()).collect();
    names.retain(|n| !n.is_empty());
    names.sort();
    let mut ours: Vec<&str> = stats.as_object().unwrap().keys().map(String::as_str).collect();
    ours.sort();
    assert_eq!(ours, names);
}

/// checkpoint-list --tree (alone, from a checkpoint, topological) and list
/// --with-checkpoint/--without-checkpoint print what virsh prints; bad combinations change
/// nothing.
fn checkpoint_tree(name: &str) {
    let without = sh_ok("virsh list --all --name --without-checkpoint");
    assert!(without.lines().any(|l| l == name), "{without}");
    for c in ["c1", "c2", "c3"] {
        sh_ok(&format!("virsh checkpoint-create-as {name} --name {c}"));
    }
    for line in [
        format!("checkpoint-list {name} --tree"),
        format!("checkpoint-list {name} --tree --topological"),
        format!("checkpoint-list {name} --tree --from c1"),
        format!("checkpoint-list {name} --tree --from c1 --descendants"),
        "list --all --name --with-checkpoint".to_string(),
        "list --all --name --without-checkpoint".to_string(),
        "list --all --with-checkpoint".to_string(),
    ] {
        let mut words: Vec<&str> = line.split_whitespace().collect();
        words.extend(["-o", "text"]);
        assert_eq!(vm(&words).ok().stdout, sh_ok(&format!("virsh {line}")), "{line}");
        words.truncate(words.len() - 2);
        // --name prints the names alone, as virsh's, whatever the output format.
        if !line.contains("--name") {
            vm(&words).ok().json();
        }
    }
    let tree = vm(&["checkpoint-list", name, "--tree", "-o", "text"]).ok().stdout;
    assert!(
        tree.starts_with("c1\n") && tree.contains("+- c2\n") && tree.contains("+- c3\n"),
        "{tree}"
    );
    let with = vm(&["list", "--all", "--with-checkpoint"]).ok().json();
    assert!(
        with.as_array().unwrap().iter().any(|d| d["name"] == name),
        "{with}"
    );

    let before = sh_ok(&format!("virsh checkpoint-list {name} --parent"));
    for (bad, code, needle) in [
        ("--tree --name", 2, "--name"),
        ("--tree --parent", 2, "--parent"),
        ("--tree --leaves", 2, "--leaves"),
        ("--tree --from nosuch", 3, "nosuch"),
    ] {
        let words: Vec<&str> = bad.split(' ').collect();
        vm(&[&["checkpoint-list", name][..], &words].concat()).fails(code, needle);
        assert_eq!(
            sh(&format!("virsh checkpoint-list {name} {bad}")).code,
            1,
            "{bad}"
        );
    }
    vm(&["list", "--with-checkpoint", "--without-checkpoint"]).fails(2, "checkpoint");
    assert_eq!(sh_ok(&format!("virsh checkpoint-list {name} --parent")), before);
}

/// An element's markup without the whitespace between tags and with one kind of quote.
fn squeezed(xml: &str) -> String {
    let one_line: String = xml.lines().map(str::trim).collect();
    one_line.replace('\'', "\"")
}

/// domif-setlink --print-xml (live and --config): virsh's `<interface>` with the new link
/// state, the link as it was for virsh's domif-getlink after.
fn link_print_xml(name: &str) {
    let mac = sh_ok(&format!("virsh domiflist {name}"));
    let mac = mac
        .lines()
        .nth(2)
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_string();
    let before = sh_ok(&format!(
        "virsh domif-getlink {name} {mac}; virsh domif-getlink {name} {mac} --config"
    ));
    for tail in ["down", "down --config", "up"] {
        let line = format!("domif-setlink {name} {mac} {tail} --print-xml");
        let words: Vec<&str> = line.split(' ').collect();
        let ours = vm(&words).ok().stdout;
        assert!(ours.contains("<link state="), "{ours}");
        assert_eq!(
            squeezed(&ours),
            squeezed(&sh_ok(&format!("virsh {line}"))),
            "{line}"
        );
        let json = vm(&[&words[..], &["-o", "json"]].concat()).ok().json();
        assert_eq!(json["changed"], false);
    }
    vm(&["domif-setlink", name, &mac, "sideways", "--print-xml"]).fails(7, "sideways");
    vm(&["domif-setlink", name, "52:54:00:00:00:99", "down", "--print-xml"]).fails(3, "52:54:00:00:00:99");
    let after = sh_ok(&format!(
        "virsh domif-getlink {name} {mac}; virsh domif-getlink {name} {mac} --config"
    ));
    assert_eq!(after, before);
}

/// change-media --print-xml (live, --config; insert and update): virsh's drive element with
/// the new media, the drives as they were for virsh's domblklist after.
fn media_print_xml(name: &str, dir: &Path) {
    let iso = dir.join("media.iso");
    std::fs::write(&iso, [0u8; 4096]).unwrap();
    let iso = iso.display();
    let drives = || {
        sh_ok(&format!(
            "virsh domblklist {name} --details; virsh domblklist {name} --details --inactive"
        ))
    };
    let before = drives();
    for tail in [
        format!("hdc {iso} --insert"),
        format!("hdc {iso} --insert --config"),
        format!("hdc {iso} --update --live"),
    ] {
        let line = format!("change-media {name} {tail} --print-xml");
        let words: Vec<&str> = line.split(' ').collect();
        let ours = vm(&words).ok().stdout;
        assert!(ours.contains("media.iso"), "{ours}");
        assert_eq!(
            squeezed(&ours),
            squeezed(&sh_ok(&format!("virsh {line}"))),
            "{line}"
        );
        let json = vm(&[&words[..], &["-o", "json"]].concat()).ok().json();
        assert_eq!(json["changed"], false);
    }
    let line = format!("change-media {name} hdd {iso} --insert --print-xml");
    let words: Vec<&str> = line.split(' ').collect();
    vm(&words).fails(3, "hdd");
    assert_eq!(sh(&format!("virsh {line}")).code, 1);
    assert_eq!(drives(), before);
}

/// blockcopy --print-xml: the destination `<disk>` virsh prints for the same words (quotes
/// aside), no job started, no file made; a domain that is not there: exit 3, as virsh fails.
fn blockcopy_print_xml(name: &str, dir: &Path) {
    let dest = dir.join("copy.qcow2");
    let given = dir.join("dest.xml");
    std::fs::write(
        &given,
        "<disk type='file'><source file='/tmp/elsewhere.img'/></disk>\n",
    )
    .unwrap();
    for tail in [
        format!("--dest {}", dest.display()),
        format!(
            "--dest {} --format qcow2 --shallow --transient-job",
            dest.display()
        ),
        "--dest /dev/null --blockdev".to_string(),
        format!("--xml {}", given.display()),
    ] {
        let line = format!("blockcopy {name} vda {tail} --print-xml");
        let words: Vec<&str> = line.split(' ').collect();
        let ours = vm(&words).ok().stdout;
        let theirs = sh_ok(&format!("virsh {line}")).replace('\'', "\"");
        assert_eq!(ours.replace('\'', "\"").trim_end(), theirs.trim_end(), "{line}");
        let json = vm(&[&words[..], &["-o", "json"]].concat()).ok().json();
        assert_eq!(
            (json["changed"].as_bool(), &json["job"]),
            (Some(false), &serde_json::Value::Null)
        );
    }
    assert!(!dest.exists());
    let job = sh_ok(&format!("virsh blockjob {name} vda"));
    assert!(job.contains("No current block job"), "{job}");
    vm(&[
        "blockcopy",
        "nosuchdomain",
        "vda",
        "--dest",
        "/tmp/x",
        "--print-xml",
    ])
    .fails(3, "nosuchdomain");
    assert_eq!(
        sh("virsh blockcopy nosuchdomain vda --dest /tmp/x --print-xml").code,
        1
    );
}
