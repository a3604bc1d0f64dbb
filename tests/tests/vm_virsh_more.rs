//! virsh's saved-image verbs (managedsave-dumpxml/-define/-edit, save-image-dumpxml/-define/
//! -edit), per-domain knobs (set-lifecycle-action, guest-agent-timeout, perf, cpu-stats,
//! domdirtyrate-calc, the migrate-* knobs), the guest-agent file-system and SSH-key verbs, and
//! the verbs refused by name, against the sandbox's libvirtd and one kit guest under TCG (it need
//! not finish booting: QEMU and libvirt answer these). The oracle is real virsh: its output for
//! the same line, its dumpxml of what a setter wrote, and its failure where vnet-vm fails.

use vnet_tests::*;

/// One guest for the file: the kit's, defined and started.
fn guest(lab: &Lab) -> String {
    default_network(lab);
    let name = lab.domain("vm");
    // Undefine refuses a domain with a managed save image: drop it first (cleanups run last first).
    lab.on_drop(format!("virsh managedsave-remove {name}"));
    let file = lab.dir("vm").join("guest.xml");
    std::fs::write(&file, kit_guest_xml(&name)).unwrap();
    sh_ok(&format!("virsh define {} && virsh start {name}", file.display()));
    name
}

/// vnet-vm's -o text for `args` equals virsh's output for the same words.
fn assert_same_as_virsh(args: &str) {
    let words: Vec<&str> = args.split_whitespace().collect();
    let mut ours = words.clone();
    ours.extend(["-o", "text"]);
    let virsh = sh_ok(&format!("virsh {args}"));
    assert_eq!(vm(&ours).ok().stdout, virsh, "vnet-vm {args} -o text");
}

/// virsh fails on the same line too (the oracle for a failure vnet-vm reports).
fn virsh_fails(args: &str, needle: &str) {
    let run = sh(&format!("virsh {args}"));
    assert_ne!(run.code, 0, "virsh {args} succeeded: {run:?}");
    assert!(run.stderr.contains(needle), "virsh {args}: {run:?}");
}

fn xml_of(name: &str, inactive: bool) -> String {
    let flag = if inactive { "--inactive" } else { "" };
    sh_ok(&format!("virsh dumpxml {flag} {name}"))
}

#[test]
fn virsh_domain_verbs_beyond_the_basics_do_what_virsh_does() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    let name = guest(&lab);
    lifecycle_actions(&name);
    agent_timeout_and_dirty_rate(&name);
    perf_events(&name);
    cpu_stats(&name);
    iothread_params(&name);
    migration_knobs(&name);
    agent_verbs_without_an_agent(&name);
    refused_verbs(&name);
    managed_save_image(&lab, &name);
    state_file(&lab, &name);
}

fn lifecycle_actions(name: &str) {
    let set = vm(&["set-lifecycle-action", name, "poweroff", "restart", "--live"])
        .ok()
        .json();
    assert_eq!(
        (set["changed"].as_bool(), set["live"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(xml_of(name, false).contains("<on_poweroff>restart</on_poweroff>"));
    assert!(xml_of(name, true).contains("<on_poweroff>destroy</on_poweroff>"));
    let again = vm(&[
        "set-lifecycle-action",
        "--domain",
        name,
        "--type",
        "poweroff",
        "--action",
        "restart",
        "--live",
    ]);
    assert_eq!(again.ok().json()["changed"], false);
    vm(&[
        "set-lifecycle-action",
        name,
        "crash",
        "coredump-restart",
        "--config",
    ])
    .ok();
    assert!(xml_of(name, true).contains("<on_crash>coredump-restart</on_crash>"));
    assert_unchanged(
        || domain_snapshot(name),
        || {
            vm(&["set-lifecycle-action", name, "on_poweroff", "restart"]).fails(7, "invalid lifecycle type");
            virsh_fails(
                &format!("set-lifecycle-action {name} on_poweroff restart"),
                "Invalid lifecycle type",
            );
            vm(&["set-lifecycle-action", name, "poweroff", "bogus"]).fails(7, "invalid lifecycle action");
            // QEMU cannot destroy on reboot while power-off restarts: libvirt refuses both.
            vm(&["set-lifecycle-action", name, "reboot", "destroy", "--live"]).fails(7, "onReboot");
            virsh_fails(
                &format!("set-lifecycle-action {name} reboot destroy --live"),
                "onReboot",
            );
        },
    );
}

fn agent_timeout_and_dirty_rate(name: &str) {
    let set = vm(&["guest-agent-timeout", name, "--timeout", "10"]).ok().json();
    assert_eq!(
        (set["changed"].as_bool(), set["timeout"].as_i64()),
        (Some(true), Some(10))
    );
    // libvirt keeps it in the domain's status XML (no call reads it back).
    let status = sh_ok(&format!("cat /run/libvirt/qemu/{name}.xml"));
    assert!(status.contains("<agentTimeout>10</agentTimeout>"), "{status}");
    vm(&["guest-agent-timeout", name, "--timeout", "-5"]).fails(7, "less than the minimum '-2'");
    virsh_fails(
        &format!("guest-agent-timeout {name} --timeout -5"),
        "less than the minimum",
    );
    assert!(sh_ok(&format!("cat /run/libvirt/qemu/{name}.xml")).contains("<agentTimeout>10</agentTimeout>"));
    // No --timeout: -2 (block), virsh's default.
    vm(&["guest-agent-timeout", name]).ok();
    assert!(sh_ok(&format!("cat /run/libvirt/qemu/{name}.xml")).contains("<agentTimeout>-2</agentTimeout>"));

    let calc = vm(&["domdirtyrate-calc", name, "--seconds", "1"]).ok().json();
    assert_eq!(calc["seconds"], 1);
    wait_until(
        "the dirty rate measurement",
        std::time::Duration::from_secs(30),
        || {
            let stats = sh_ok(&format!("virsh domstats {name} --dirtyrate"));
            stats.contains("dirtyrate.calc_status=2") && stats.contains("dirtyrate.calc_period=1")
        },
    );
    assert_same_as_virsh_text(&["domdirtyrate-calc", name, "--seconds", "2"]);
    vm(&["domdirtyrate-calc", name, "--seconds", "0"]).fails(7, "within [1, 60]");
    virsh_fails(&format!("domdirtyrate-calc {name} --seconds 0"), "within [1, 60]");
}

/// vnet-vm's text for a line whose virsh output is fixed, checked without running virsh's
/// (a second measurement would be refused while the first runs).
fn assert_same_as_virsh_text(args: &[&str]) {
    let mut words = args.to_vec();
    words.extend(["-o", "text"]);
    let out = vm(&words).ok().stdout;
    assert_eq!(
        out,
        "Start to calculate domain's memory dirty rate successfully.\n\n"
    );
}

fn perf_events(name: &str) {
    assert_same_as_virsh(&format!("perf {name}"));
    let all = vm(&["perf", name]).ok().json();
    assert_eq!(all["events"]["cpu_cycles"], false);
    let set = vm(&["perf", name, "--enable", "cpu_cycles", "--config"])
        .ok()
        .json();
    assert_eq!(
        (set["changed"].as_bool(), set["events"]["cpu_cycles"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(xml_of(name, true).contains("<event name='cpu_cycles' enabled='yes'/>"));
    assert_same_as_virsh(&format!("perf {name} --config"));
    let off = vm(&["perf", name, "--disable", "cpu_cycles", "--config", "-o", "text"])
        .ok()
        .stdout;
    assert_eq!(off, "cpu_cycles     : disabled\n\n");
    assert!(xml_of(name, true).contains("<event name='cpu_cycles' enabled='no'/>"));
    assert_unchanged(
        || domain_snapshot(name),
        || {
            let bogus = vm(&["perf", name, "--enable", "bogus"]);
            assert_ne!(bogus.code, 0, "{bogus:?}");
            assert!(bogus.stderr.contains("'bogus' not supported"), "{bogus:?}");
            virsh_fails(&format!("perf {name} --enable bogus"), "'bogus' not supported");
        },
    );
}

fn cpu_stats(name: &str) {
    let total = vm(&["cpu-stats", name, "--total"]).ok().json();
    assert!(total["total"]["cpu_time"].as_u64().unwrap() > 0, "{total}");
    assert_eq!(total["cpus"], serde_json::json!([]));
    // The same lines as virsh (the figures move on between the two calls).
    let shape = |text: &str| -> Vec<String> {
        let word = |l: &str| l.split_whitespace().next().unwrap_or("").to_string();
        text.lines().map(word).collect()
    };
    let ours = vm(&["cpu-stats", name, "--total", "-o", "text"]).ok().stdout;
    let virsh = sh_ok(&format!("virsh cpu-stats {name} --total"));
    assert_eq!(shape(&ours), shape(&virsh), "{ours}\n{virsh}");
    let width = |text: &str| text.lines().nth(1).map(|l| l.rfind('.').unwrap());
    assert_eq!(width(&ours), width(&virsh), "{ours}\n{virsh}");
    // Per-CPU figures need cgroup v1 (cpuacct): under cgroup v2 libvirt refuses, as virsh shows
    // (exit 6: the backend lacks the feature).
    match sh(&format!("virsh cpu-stats {name}")).code {
        0 => assert!(!vm(&["cpu-stats", name]).ok().json()["cpus"]
            .as_array()
            .unwrap()
            .is_empty()),
        _ => {
            vm(&["cpu-stats", name]).fails(6, "getCpuacctPercpuUsage");
        }
    }
    vm(&["cpu-stats", name, "--start", "99"]).fails(7, "out of range");
    virsh_fails(&format!("cpu-stats {name} --start 99"), "out of range");
}

fn iothread_params(name: &str) {
    sh_ok(&format!("virsh iothreadadd {name} 1 --live"));
    let set = vm(&[
        "iothreadset",
        name,
        "1",
        "--poll-max-ns",
        "100",
        "--poll-grow",
        "2",
    ])
    .ok()
    .json();
    assert_eq!(
        (set["live"].as_bool(), set["params"]["poll_max_ns"].as_i64()),
        (Some(true), Some(100))
    );
    let stats = sh_ok(&format!("virsh domstats {name} --iothread"));
    assert!(stats.contains("iothread.1.poll-max-ns=100"), "{stats}");
    assert!(stats.contains("iothread.1.poll-grow=2"), "{stats}");
    assert_unchanged(
        || {
            (
                domain_snapshot(name),
                sh_ok(&format!("virsh domstats {name} --iothread")),
            )
        },
        || {
            vm(&["iothreadset", name, "1"]).fails(7, "needs a parameter");
            vm(&["iothreadset", name, "9", "--poll-max-ns", "5"]).fails(7, "cannot find IOThread '9'");
            virsh_fails(
                &format!("iothreadset {name} 9 --poll-max-ns 5"),
                "cannot find IOThread '9'",
            );
            // The thread was added live only: the definition has none, for both.
            vm(&["iothreadset", name, "1", "--thread-pool-max", "4", "--config"])
                .fails(7, "cannot find IOThread '1'");
            virsh_fails(
                &format!("iothreadset {name} 1 --thread-pool-max 4 --config"),
                "cannot find IOThread '1'",
            );
        },
    );
}

fn migration_knobs(name: &str) {
    assert_same_as_virsh(&format!("migrate-getspeed {name}"));
    let set = vm(&["migrate-setspeed", name, "100"]).ok().json();
    assert_eq!(
        (set["changed"].as_bool(), set["value"].as_u64()),
        (Some(true), Some(100))
    );
    assert_eq!(sh_ok(&format!("virsh migrate-getspeed {name}")), "100\n\n");
    assert_eq!(
        vm(&["migrate-setspeed", name, "--bandwidth", "100"]).ok().json()["changed"],
        false
    );
    vm(&["migrate-setspeed", name, "50", "--postcopy"]).ok();
    assert_eq!(
        sh_ok(&format!("virsh migrate-getspeed {name} --postcopy")),
        "50\n\n"
    );
    assert_same_as_virsh(&format!("migrate-getspeed {name} --postcopy"));

    assert_same_as_virsh(&format!("migrate-getmaxdowntime {name}"));
    vm(&["migrate-setmaxdowntime", name, "500"]).ok();
    assert_eq!(sh_ok(&format!("virsh migrate-getmaxdowntime {name}")), "500\n\n");
    assert_same_as_virsh(&format!("migrate-getmaxdowntime {name}"));
    vm(&["migrate-setmaxdowntime", name, "0"]).fails(7, "Invalid downtime");

    assert_same_as_virsh(&format!("migrate-compcache {name}"));
    let cache = vm(&["migrate-compcache", name, "--size", "134217728"])
        .ok()
        .json();
    assert_eq!(cache["value"], 134217728u64);
    assert_eq!(
        sh_ok(&format!("virsh migrate-compcache {name}")),
        "Compression cache: 128.000 MiB\n"
    );

    // Post-copy needs an outgoing migration in progress: without one both refuse it alike.
    vm(&["migrate-postcopy", name]).fails(1, "outgoing migration is in progress");
    virsh_fails(
        &format!("migrate-postcopy {name}"),
        "outgoing migration is in progress",
    );
}

/// The kit guest runs no QEMU guest agent (busybox init, no agent channel): these verbs exist,
/// and fail as virsh fails (virsh: "QEMU guest agent is not configured"; vnet-vm: exit 6 naming
/// the missing channel), nothing changed.
fn agent_verbs_without_an_agent(name: &str) {
    let keys = format!("/tmp/vnet-{name}-keys");
    std::fs::write(&keys, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB test@vnet\n").unwrap();
    assert_unchanged(
        || domain_snapshot(name),
        || {
            for line in [
                vec!["domfsfreeze", name],
                vec!["domfsthaw", name],
                vec!["domfstrim", name, "--minimum", "4096"],
                vec!["get-user-sshkeys", name, "root"],
                vec!["set-user-sshkeys", name, "root", "--file", keys.as_str()],
            ] {
                vm(&line).fails(6, "no QEMU guest agent");
                virsh_fails(&line.join(" "), "QEMU guest agent is not configured");
            }
            vm(&["set-user-sshkeys", name, "root", "--file", "/dev/null"]).fails(7, "contains no keys");
            virsh_fails(
                &format!("set-user-sshkeys {name} root --file /dev/null"),
                "contains no keys",
            );
        },
    );
    std::fs::remove_file(&keys).unwrap();
}

fn refused_verbs(name: &str) {
    vm(&["send-process-signal", name, "1", "15"]).fails(7, "send-process-signal is not supported");
    virsh_fails(&format!("send-process-signal {name} 1 15"), "not supported");
    vm(&["dom-fd-associate", name, "grp", "3"]).fails(7, "dom-fd-associate is not supported");
}

fn managed_save_image(lab: &Lab, name: &str) {
    sh_ok(&format!("virsh managedsave {name}"));
    assert_same_as_virsh(&format!("managedsave-dumpxml {name}"));
    assert_same_as_virsh(&format!("managedsave-dumpxml {name} --xpath //on_crash"));
    let dumped = vm(&["managedsave-dumpxml", name, "-j"]).ok().json();
    let xml = dumped["xml"].as_str().unwrap().to_string();
    // The image holds the live XML: the --config crash action is not in it.
    assert!(xml.contains("<on_crash>destroy</on_crash>"), "{xml}");

    let dir = lab.dir("ms");
    let file = dir.join("ms.xml");
    std::fs::write(
        &file,
        xml.replace("<on_crash>destroy</on_crash>", "<on_crash>preserve</on_crash>"),
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let set = vm(&["managedsave-define", name, path, "--paused"]).ok().json();
    assert_eq!(
        (set["changed"].as_bool(), set["start_state"].as_str()),
        (Some(true), Some("paused"))
    );
    assert!(sh_ok(&format!("virsh managedsave-dumpxml {name}")).contains("<on_crash>preserve</on_crash>"));

    // Another guest's XML (another UUID) is refused; the image keeps its XML.
    let other = dir.join("other.xml");
    std::fs::write(&other, kit_guest_xml("vnet-other")).unwrap();
    let image = || sh_ok(&format!("virsh managedsave-dumpxml {name}"));
    assert_unchanged(image, || {
        vm(&["managedsave-define", name, other.to_str().unwrap()]).fails(7, "does not match");
        vm(&["managedsave-define", name, "/nonexistent.xml"]).fails(3, "nonexistent");
        let bad = dir.join("bad.xml");
        std::fs::write(&bad, "<domain><name>x").unwrap();
        vm(&["managedsave-define", name, bad.to_str().unwrap()]).fails(7, "malformed domain XML");
        let no_edit = vm_env(&["managedsave-edit", name], "true");
        assert_eq!(no_edit.json()["changed"], false);
    });
    let edited = vm_env(
        &["managedsave-edit", name, "--running"],
        "sed -i s/preserve/destroy/",
    );
    assert_eq!(edited.json()["changed"], true);
    assert!(sh_ok(&format!("virsh managedsave-dumpxml {name}")).contains("<on_crash>destroy</on_crash>"));
    // --running of the edit won over --paused of the define: start resumes it running.
    sh_ok(&format!("virsh start {name}"));
    assert!(sh_ok(&format!("virsh domstate {name}")).starts_with("running"));
    vm(&["managedsave-dumpxml", name]).fails(1, "managed save image");
}

/// vnet-vm with EDITOR set to `editor` (as a script runs virsh's edit verbs).
fn vm_env(args: &[&str], editor: &str) -> Run {
    let mut words = vec![
        format!("VISUAL= EDITOR='{editor}'"),
        bin_dir().join("vnet-vm").display().to_string(),
    ];
    words.extend(args.iter().map(|a| a.to_string()));
    let mut run = sh(&words.join(" ")).ok();
    run.tool = Some("vnet-vm".into());
    run.args = args.iter().map(|a| a.to_string()).collect();
    run
}

fn state_file(lab: &Lab, name: &str) {
    let dir = lab.dir("sf");
    let image = dir.join("state.img");
    let img = image.to_str().unwrap();
    sh_ok(&format!("virsh save {name} {img}"));
    assert_same_as_virsh(&format!("save-image-dumpxml {img}"));
    assert_same_as_virsh(&format!("save-image-dumpxml {img} --xpath //name --wrap"));
    let xml = vm(&["save-image-dumpxml", "--file", img, "-j"]).ok().json()["xml"]
        .as_str()
        .unwrap()
        .to_string();
    let file = dir.join("si.xml");
    std::fs::write(
        &file,
        xml.replace("<on_crash>destroy</on_crash>", "<on_crash>restart</on_crash>"),
    )
    .unwrap();
    let set = vm(&["save-image-define", img, file.to_str().unwrap(), "--paused"])
        .ok()
        .json();
    assert_eq!(set["file"], img);
    assert!(sh_ok(&format!("virsh save-image-dumpxml {img}")).contains("<on_crash>restart</on_crash>"));
    let edit = vm_env(&["save-image-edit", img], "sed -i /on_crash/s/restart/preserve/");
    assert_eq!(edit.json()["changed"], true);
    assert!(sh_ok(&format!("virsh save-image-dumpxml {img}")).contains("<on_crash>preserve</on_crash>"));
    let text = vm_env(&["save-image-edit", img, "-o", "text"], "true").stdout;
    assert_eq!(
        text,
        format!("Saved image {img} XML configuration not changed.\n\n")
    );

    let missing = dir.join("missing.img");
    vm(&["save-image-dumpxml", missing.to_str().unwrap()]).fails(1, "No such file");
    virsh_fails(
        &format!("save-image-dumpxml {}", missing.display()),
        "No such file",
    );
    vm(&["save-image-dumpxml", file.to_str().unwrap()]).fails(1, "image magic is incorrect");
    virsh_fails(
        &format!("save-image-dumpxml {}", file.display()),
        "image magic is incorrect",
    );
    // The define's --paused: restore leaves it paused.
    sh_ok(&format!("virsh restore {img}"));
    assert!(sh_ok(&format!("virsh domstate {name}")).starts_with("paused"));
    assert!(xml_of(name, false).contains("<on_crash>preserve</on_crash>"));
}

/// vol-create-as --prealloc-metadata makes the image virsh makes: virsh writes no <allocation>,
/// so libvirt allocates the whole capacity (every qcow2 cluster allocated, the file as big as the
/// disk); a raw volume is refused by libvirt for both.
#[test]
fn vol_create_as_prealloc_metadata_allocates_as_virsh_does() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    let pool = lab.name("pp");
    lab.on_drop(format!("virsh pool-destroy {pool}"));
    let dir = lab.dir("pp");
    sh_ok(&format!(
        "virsh pool-create-as {pool} dir --target {}",
        dir.display()
    ));
    let ours = vm(&[
        "vol-create-as",
        &pool,
        "ours.qcow2",
        "16M",
        "--format",
        "qcow2",
        "--prealloc-metadata",
    ]);
    assert_eq!(ours.ok().json()["changed"], true);
    sh_ok(&format!(
        "virsh vol-create-as {pool} theirs.qcow2 16M --format qcow2 --prealloc-metadata"
    ));
    let check = |file: &str| {
        sh_ok(&format!(
            "qemu-img check {}/{file} | grep allocated",
            dir.display()
        ))
    };
    assert_eq!(check("ours.qcow2"), check("theirs.qcow2"));
    assert!(check("ours.qcow2").contains("100.00% allocated"));
    let allocation = |vol: &str| {
        let xml = sh_ok(&format!("virsh vol-dumpxml --pool {pool} {vol}"));
        let line = xml
            .lines()
            .find(|l| l.contains("<allocation"))
            .unwrap()
            .to_string();
        line.split('>')
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert_eq!(allocation("ours.qcow2"), allocation("theirs.qcow2"));
    assert!(allocation("ours.qcow2") >= 16 << 20);
    // Without it the image stays sparse.
    vm(&["vol-create-as", &pool, "sparse.qcow2", "16M", "--format", "qcow2"]).ok();
    assert!(allocation("sparse.qcow2") < 1 << 20);
    let volumes = || sh_ok(&format!("virsh vol-list {pool}"));
    assert_unchanged(volumes, || {
        vm(&["vol-create-as", &pool, "r.img", "16M", "--prealloc-metadata"])
            .fails(7, "not supported for raw");
        let run = sh(&format!(
            "virsh vol-create-as {pool} r.img 16M --prealloc-metadata"
        ));
        assert!(
            run.code != 0 && run.stderr.contains("not supported for raw"),
            "{run:?}"
        );
    });
}
