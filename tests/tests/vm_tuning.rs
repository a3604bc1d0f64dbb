//! virsh's CPU and memory tuning verbs (vcpuinfo, vcpupin, emulatorpin, memtune, schedinfo)
//! against the sandbox's libvirtd and one kit guest with two vCPUs under TCG (it need not finish
//! booting: its QEMU process and cgroups are what these verbs act on). Oracles: virsh's own
//! output for the same call, `virsh dumpxml` for what a setter wrote.

use vnet_tests::*;

/// One guest for the file: the kit's, with two vCPUs and a qcow2 disk vda; defined and started.
fn two_vcpu_guest(lab: &Lab) -> String {
    default_network(lab);
    let name = lab.domain("tn");
    let dir = lab.dir("tn");
    let file = dir.join("guest.xml");
    let disk = dir.join("vda.qcow2");
    sh_ok(&format!("qemu-img create -q -f qcow2 {} 64M", disk.display()));
    let disk_xml = format!(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{}'/><target dev='vda' bus='virtio'/></disk><interface",
        disk.display()
    );
    let xml = kit_guest_xml(&name)
        .replace("<vcpu>1</vcpu>", "<vcpu>2</vcpu>")
        .replacen("<interface", &disk_xml, 1);
    std::fs::write(&file, xml).unwrap();
    sh_ok(&format!("virsh define {} && virsh start {name}", file.display()));
    name
}

/// virsh's output for `args` and vnet-vm's -o text for the same words.
fn both(args: &str) -> (String, String) {
    let words: Vec<&str> = args.split_whitespace().collect();
    let mut ours = words.clone();
    ours.extend(["-o", "text"]);
    (sh_ok(&format!("virsh {args}")), vm(&ours).ok().stdout)
}

fn assert_same_as_virsh(args: &str) {
    let (virsh, ours) = both(args);
    assert_eq!(ours, virsh, "vnet-vm {args} -o text");
}

fn inactive_xml(name: &str) -> String {
    sh_ok(&format!("virsh dumpxml --inactive {name}"))
}

#[test]
fn tuning_verbs_do_what_virsh_does() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    let name = two_vcpu_guest(&lab);
    vcpu_pinning(&name);
    emulator_pinning(&name);
    memory_limits(&name);
    scheduler(&name);
    block_io(&name);
    numa(&name);
    nic_bandwidth(&name);
    iothreads(&name);
    single_vcpus(&name);
    // Shut off: vcpuinfo shows the definition's affinity, as virsh does.
    sh_ok(&format!("virsh destroy {name}"));
    assert_same_as_virsh(&format!("vcpuinfo {name}"));
    let info = vm(&["vcpuinfo", &name]).ok().json();
    assert_eq!(info[0]["state"], serde_json::Value::Null);
    assert_same_as_virsh(&format!("vcpupin {name}"));
    assert_same_as_virsh(&format!("emulatorpin {name}"));
}

fn vcpu_pinning(name: &str) {
    // vcpuinfo: the same vCPUs, states and affinity maps as virsh (CPU time moves on).
    let info = vm(&["vcpuinfo", name]).ok().json();
    let rows = info.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let (virsh, ours) = both(&format!("vcpuinfo {name}"));
    let stable = |text: &str| -> Vec<String> {
        let keep =
            |l: &&str| l.starts_with("VCPU:") || l.starts_with("State:") || l.starts_with("CPU Affinity:");
        text.lines().filter(keep).map(String::from).collect()
    };
    assert_eq!(stable(&ours), stable(&virsh));
    assert_eq!(rows[0]["state"], "running");

    assert_same_as_virsh(&format!("vcpupin {name}"));
    // Pin vCPU 1 to host CPU 0 the virsh way (bare words), then read it back with virsh.
    let set = vm(&["vcpupin", name, "1", "0"]).ok().json();
    assert_eq!(
        (set["changed"].as_bool(), set["live"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(set["vcpus"][0]["affinity"], "0");
    assert!(sh_ok(&format!("virsh vcpupin {name} --vcpu 1")).contains(" 1      0"));
    assert_eq!(
        vm(&["vcpupin", name, "--vcpu", "1", "--cpulist", "0"])
            .ok()
            .json()["changed"],
        false
    );
    assert_same_as_virsh(&format!("vcpupin {name}"));
    assert_same_as_virsh(&format!("vcpupin {name} --vcpu 1"));
    // --config: the definition gets the pin; the running domain keeps its own.
    vm(&["vcpupin", name, "0", "1", "--config"]).ok();
    assert!(inactive_xml(name).contains("<vcpupin vcpu='0' cpuset='1'/>"));
    assert_same_as_virsh(&format!("vcpupin {name} --config"));

    // Refused before anything changed.
    assert_unchanged(
        || domain_snapshot(name),
        || {
            vm(&["vcpupin", name, "0", "99"]).fails(7, "exceed the maxcpu");
            vm(&["vcpupin", name, "5", "0"]).fails(7, "out of range");
            vm(&["vcpupin", name, "0", "1-x"]).fails(7, "invalid cpulist");
            vm(&["vcpupin", name, "--cpulist", "0"]).fails(7, "needs --vcpu");
            vm(&["vcpupin", name, "--live", "--config"]).fails(7, "one scope");
        },
    );
}

fn emulator_pinning(name: &str) {
    assert_same_as_virsh(&format!("emulatorpin {name}"));
    let set = vm(&["emulatorpin", name, "1"]).ok().json();
    assert_eq!(
        (set["changed"].as_bool(), set["affinity"].as_str()),
        (Some(true), Some("1"))
    );
    assert_same_as_virsh(&format!("emulatorpin {name}"));
    assert!(sh_ok(&format!("virsh emulatorpin {name} --live")).contains("*: 1"));
    vm(&["emulatorpin", name, "--cpulist", "0", "--config"]).ok();
    assert!(inactive_xml(name).contains("<emulatorpin cpuset='0'/>"));
    assert_unchanged(
        || domain_snapshot(name),
        || {
            vm(&["emulatorpin", name, "2-1"]).fails(7, "invalid cpulist");
            vm(&["emulatorpin", name, "^0"]).fails(7, "invalid cpulist");
        },
    );
}

fn memory_limits(name: &str) {
    assert_same_as_virsh(&format!("memtune {name}"));
    // The definition: 1 GiB hard limit, 512 MiB soft (bare words fill them in virsh's order).
    let set = vm(&["memtune", name, "1G", "524288", "--config"]).ok().json();
    assert_eq!(set["changed"], true);
    assert_eq!(set["hard_limit_kib"], 1048576);
    assert_eq!(set["soft_limit_kib"], 524288);
    let xml = inactive_xml(name);
    assert!(
        xml.contains("<hard_limit unit='KiB'>1048576</hard_limit>"),
        "{xml}"
    );
    assert!(
        xml.contains("<soft_limit unit='KiB'>524288</soft_limit>"),
        "{xml}"
    );
    assert_same_as_virsh(&format!("memtune {name} --config"));
    assert_eq!(
        vm(&["memtune", name, "--hard-limit", "1048576", "--config"])
            .ok()
            .json()["changed"],
        false
    );
    // -1 is unlimited again.
    let unset = vm(&["memtune", name, "--soft-limit", "-1", "--config"])
        .ok()
        .json();
    assert_eq!(unset["soft_limit_kib"], serde_json::Value::Null);
    assert!(!inactive_xml(name).contains("<soft_limit"));
    // The running domain's cgroup, read back by virsh.
    vm(&["memtune", name, "--hard-limit", "2G"]).ok();
    assert!(sh_ok(&format!("virsh memtune {name}")).contains("hard_limit     : 2097152"));
    assert_same_as_virsh(&format!("memtune {name}"));
    assert_unchanged(
        || domain_snapshot(name) + &sh_ok(&format!("virsh memtune {name}")),
        || {
            vm(&["memtune", name, "--hard-limit", "lots"]).fails(7, "hard-limit");
            vm(&["memtune", name, "--soft-limit", "-2"]).fails(7, "soft-limit");
        },
    );
}

fn scheduler(name: &str) {
    assert_same_as_virsh(&format!("schedinfo {name}"));
    let set = vm(&["schedinfo", name, "--set", "cpu_shares=512"]).ok().json();
    assert_eq!(
        (set["changed"].as_bool(), set["scheduler"].as_str()),
        (Some(true), Some("posix"))
    );
    assert_eq!(set["params"]["cpu_shares"], 512);
    assert!(sh_ok(&format!("virsh schedinfo {name}")).contains("cpu_shares     : 512"));
    assert_same_as_virsh(&format!("schedinfo {name}"));
    // A bare word is --set, as in virsh; the same value again is no change.
    assert_eq!(
        vm(&["schedinfo", name, "cpu_shares=512"]).ok().json()["changed"],
        false
    );
    vm(&["schedinfo", name, "--config", "--set", "cpu_shares=256"]).ok();
    assert!(inactive_xml(name).contains("<shares>256</shares>"));
    assert_unchanged(
        || domain_snapshot(name) + &sh_ok(&format!("virsh schedinfo {name}")),
        || {
            vm(&["schedinfo", name, "--set", "bogus=1"]).fails(7, "invalid scheduler option");
            vm(&["schedinfo", name, "--weight", "10"]).fails(7, "invalid scheduler option");
            vm(&["schedinfo", name, "--set", "cpu_shares=lots"]).fails(7, "cpu_shares");
            vm(&["schedinfo", name, "--set", "cpu_shares"]).fails(7, "NAME=VALUE");
        },
    );
}

fn block_io(name: &str) {
    // Live, the host's disk scheduler decides: here (no bfq/cfq) virsh fails, and so do we.
    let virsh = sh(&format!("virsh blkiotune {name}"));
    match virsh.code {
        0 => assert_same_as_virsh(&format!("blkiotune {name}")),
        _ => {
            let why = virsh
                .stderr
                .lines()
                .last()
                .unwrap()
                .trim_start_matches("error: ")
                .to_string();
            vm(&["blkiotune", name]).fails(1, &why);
        }
    }
    assert_same_as_virsh(&format!("blkiotune {name} --config"));
    let set = vm(&["blkiotune", name, "--weight", "500", "--config"])
        .ok()
        .json();
    assert_eq!(
        (set["changed"].as_bool(), set["params"]["weight"].as_u64()),
        (Some(true), Some(500))
    );
    assert!(inactive_xml(name).contains("<weight>500</weight>"));
    assert_same_as_virsh(&format!("blkiotune {name} --config"));

    // One disk's throttling: live in QEMU, read back by virsh; then the definition.
    assert_same_as_virsh(&format!("blkdeviotune {name} vda"));
    let set = vm(&["blkdeviotune", name, "vda", "--total-bytes-sec", "10M"])
        .ok()
        .json();
    assert_eq!(set["params"]["total_bytes_sec"], 10485760);
    assert!(sh_ok(&format!("virsh blkdeviotune {name} vda")).contains("total_bytes_sec: 10485760"));
    assert_same_as_virsh(&format!("blkdeviotune {name} vda"));
    vm(&["blkdeviotune", name, "vda", "--read-iops-sec", "100", "--config"]).ok();
    assert!(inactive_xml(name).contains("<read_iops_sec>100</read_iops_sec>"));
    assert_unchanged(
        || {
            domain_snapshot(name)
                + &sh_ok(&format!(
                    "virsh blkdeviotune {name} vda; virsh blkiotune {name} --config"
                ))
        },
        || {
            vm(&["blkdeviotune", name, "vda", "--total-bytes-sec", "lots"]).fails(7, "total-bytes-sec");
            vm(&["blkdeviotune", name, "vdz", "--total-iops-sec", "5"]).fails(7, "vdz");
            // Not a number: clap's usage error, as for every numeric flag.
            vm(&["blkiotune", name, "--weight", "abc", "--config"]).fails(2, "--weight");
        },
    );
}

fn numa(name: &str) {
    assert_same_as_virsh(&format!("numatune {name}"));
    let set = vm(&[
        "numatune",
        name,
        "--mode",
        "interleave",
        "--nodeset",
        "0",
        "--config",
    ])
    .ok()
    .json();
    assert_eq!(set["params"]["numa_mode"], "interleave");
    assert!(inactive_xml(name).contains("<memory mode='interleave' nodeset='0'/>"));
    assert_same_as_virsh(&format!("numatune {name} --config"));
    assert_unchanged(
        || domain_snapshot(name),
        || {
            vm(&["numatune", name, "--mode", "sideways", "--config"]).fails(7, "NUMA mode");
        },
    );
}

fn nic_bandwidth(name: &str) {
    let mac = sh_ok(&format!("virsh domiflist {name} | awk '/network/ {{print $5}}'"))
        .trim()
        .to_string();
    assert_same_as_virsh(&format!("domiftune {name} {mac}"));
    let set = vm(&["domiftune", name, &mac, "--inbound", "1000,2000,100", "--config"])
        .ok()
        .json();
    assert_eq!(set["params"]["inbound.average"], 1000);
    assert!(inactive_xml(name).contains("<inbound average='1000' peak='2000' burst='100'/>"));
    assert_same_as_virsh(&format!("domiftune {name} {mac} --config"));
    assert_unchanged(
        || domain_snapshot(name),
        || {
            vm(&["domiftune", name, &mac, "--inbound", "fast"]).fails(7, "inbound");
            vm(&["domiftune", name, &mac, "--outbound", "1,2,3,4"]).fails(7, "outbound");
            vm(&["domiftune", name, "52:54:00:00:00:09", "--inbound", "10"]).fails(7, "52:54:00:00:00:09");
        },
    );
}

fn iothreads(name: &str) {
    assert_same_as_virsh(&format!("iothreadinfo {name}"));
    let added = vm(&["iothreadadd", name, "2"]).ok().json();
    assert_eq!(
        (added["changed"].as_bool(), added["live"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(added["iothreads"][0]["iothread_id"], 2);
    assert!(sh_ok(&format!("virsh iothreadinfo {name}")).contains(" 2 "));
    assert_same_as_virsh(&format!("iothreadinfo {name}"));
    let pinned = vm(&["iothreadpin", name, "2", "1"]).ok().json();
    assert_eq!(pinned["iothreads"][0]["affinity"], "1");
    assert_same_as_virsh(&format!("iothreadinfo {name}"));
    assert_eq!(
        vm(&["iothreadpin", name, "--iothread", "2", "--cpulist", "1"])
            .ok()
            .json()["changed"],
        false
    );
    vm(&["iothreadadd", name, "--id", "3", "--config"]).ok();
    assert!(inactive_xml(name).contains("<iothread id='3'/>"));
    assert_same_as_virsh(&format!("iothreadinfo {name} --config"));
    assert_unchanged(
        || domain_snapshot(name) + &sh_ok(&format!("virsh iothreadinfo {name}")),
        || {
            vm(&["iothreadadd", name, "2"]).fails(4, "already");
            vm(&["iothreadadd", name, "0"]).fails(7, "IOThread ID 0");
            vm(&["iothreaddel", name, "9"]).fails(3, "no such IOThread");
            vm(&["iothreadpin", name, "9", "0"]).fails(3, "no such IOThread");
            vm(&["iothreadpin", name, "2", "99"]).fails(7, "exceed the maxcpu");
        },
    );
    let deleted = vm(&["iothreaddel", name, "2"]).ok().json();
    assert_eq!(deleted["iothreads"], serde_json::json!([]));
    assert_same_as_virsh(&format!("iothreadinfo {name}"));
    vm(&["iothreaddel", name, "3", "--config"]).ok();
    assert!(!inactive_xml(name).contains("<iothread id='3'/>"));
}

fn single_vcpus(name: &str) {
    // The definition: vCPU 1 off, then on again; virsh vcpucount reads it back.
    let off = vm(&["setvcpu", name, "1", "--disable", "--config"]).ok().json();
    assert_eq!(
        (off["changed"].as_bool(), off["count"].as_u64()),
        (Some(true), Some(1))
    );
    assert!(sh_ok(&format!("virsh vcpucount {name} --config --current")).trim() == "1");
    vm(&["setvcpu", name, "--vcpulist", "1", "--enable", "--config"]).ok();
    assert!(sh_ok(&format!("virsh vcpucount {name} --config --current")).trim() == "2");
    // Live: this guest's vCPUs are not hotpluggable; libvirt refuses us as it refuses virsh
    // ("Operation not supported": exit 6).
    let virsh = sh(&format!("virsh setvcpu {name} 1 --disable --live"));
    assert_ne!(virsh.code, 0, "{virsh:?}");
    let why = virsh
        .stderr
        .lines()
        .last()
        .unwrap()
        .trim_start_matches("error: ")
        .to_string();
    assert_unchanged(
        || domain_snapshot(name),
        || {
            vm(&["setvcpu", name, "1", "--disable", "--live"]).fails(6, &why);
            vm(&["setvcpu", name, "5", "--disable", "--config"]).fails(7, "exceed the maxcpu");
            vm(&["setvcpu", name, "1"]).fails(7, "--enable or --disable");
            // No guest agent in the kit guest: virsh fails, and so do we (exit 6).
            assert_ne!(sh(&format!("virsh guestvcpus {name}")).code, 0);
            vm(&["guestvcpus", name]).fails(6, "org.qemu.guest_agent.0");
            vm(&["guestvcpus", name, "--enable"]).fails(7, "needs --cpulist");
        },
    );
}

#[test]
fn tuning_verbs_on_a_missing_domain_are_exit_3() {
    let Some(_lab) = Lab::new(module_path!()) else {
        return;
    };
    for verb in [
        &["vcpuinfo", "no-such-dom"][..],
        &["vcpupin", "no-such-dom"],
        &["vcpupin", "no-such-dom", "0", "0"],
        &["emulatorpin", "no-such-dom", "0"],
        &["memtune", "no-such-dom"],
        &["memtune", "no-such-dom", "--hard-limit", "1G"],
        &["schedinfo", "no-such-dom", "--set", "cpu_shares=2"],
        &["blkiotune", "no-such-dom"],
        &["blkdeviotune", "no-such-dom", "vda"],
        &["numatune", "no-such-dom"],
        &["domiftune", "no-such-dom", "52:54:00:00:00:01"],
        &["iothreadinfo", "no-such-dom"],
        &["iothreadadd", "no-such-dom", "1"],
        &["iothreaddel", "no-such-dom", "1"],
        &["iothreadpin", "no-such-dom", "1", "0"],
        &["guestvcpus", "no-such-dom"],
        &["setvcpu", "no-such-dom", "1", "--enable"],
    ] {
        vm(verb).fails(3, "no-such-dom");
    }
}
