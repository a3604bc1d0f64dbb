//! virsh's host verbs (nodeinfo, version, uri, hostname, maxvcpus, capabilities,
//! domcapabilities, sysinfo) and the verbs that reach into a running guest from outside
//! (domif-setlink/getlink, vncdisplay, inject-nmi, dompmsuspend), against the sandbox's libvirtd
//! and the kit guest under TCG. Oracles: virsh's own output, and the guest's console (its NIC's
//! carrier, the kernel's NMI message).

use std::time::Duration;
use vnet_tests::*;

/// vnet-vm's `-o text` is virsh's output, for the host verbs that print the same lines.
#[test]
fn host_verbs_print_what_virsh_prints() {
    let Some(_lab) = Lab::new(module_path!()) else {
        return;
    };
    for verb in [
        &["nodeinfo"][..],
        &["uri"],
        &["hostname"],
        &["maxvcpus", "--type", "qemu"],
    ] {
        let mut args = verb.to_vec();
        args.extend(["-o", "text"]);
        assert_eq!(
            vm(&args).ok().stdout,
            sh_ok(&format!("virsh {}", verb.join(" "))),
            "{verb:?}"
        );
        vm(verb).ok().json();
    }
    // virsh's first line names the libvirt it was compiled against; the rest is the same.
    let virsh = sh_ok("virsh version");
    assert_eq!(
        vm(&["version", "-o", "text"]).ok().stdout,
        virsh.split_once('\n').unwrap().1
    );
    let virsh = sh_ok("virsh version --daemon");
    assert_eq!(
        vm(&["version", "--daemon", "-o", "text"]).ok().stdout,
        virsh.split_once('\n').unwrap().1
    );
    let version = vm(&["version"]).ok().json();
    assert_eq!(version["hypervisor_type"], "QEMU");
    assert!(version.get("daemon").is_none(), "{version}");
    let daemon = vm(&["version", "--daemon"]).ok().json();
    assert_eq!(daemon["daemon"], daemon["library"], "one libvirt here: {daemon}");
    let node = vm(&["nodeinfo"]).ok().json();
    let cpus = sh_ok("nproc --all").trim().parse::<u64>().unwrap();
    assert_eq!(node["cpus"].as_u64(), Some(cpus));
    // The documents: what virsh prints, but for the blank lines virsh adds after them
    // (domcapabilities probes QEMU: a few seconds).
    let same_document = |ours: &str, virsh: &str| ours.trim_end() == virsh.trim_end();
    for verb in [&["capabilities"][..], &["domcapabilities", "--virttype", "qemu"]] {
        let virsh = sh_ok(&format!("virsh {}", verb.join(" ")));
        assert!(
            same_document(&vm(verb).ok().stdout, &virsh),
            "{verb:?} differs from virsh's"
        );
    }
    let sysinfo = sh("virsh sysinfo");
    let ours = vm(&["sysinfo"]);
    assert_eq!(ours.code == 0, sysinfo.code == 0, "sysinfo: {ours:?}");
    assert!(
        same_document(&ours.stdout, &sysinfo.stdout),
        "sysinfo differs from virsh's"
    );
}

fn guest_carrier(name: &str) -> String {
    on_console(name, "cat /sys/class/net/eth0/carrier")
}

#[test]
fn nic_link_display_and_signals_of_a_running_guest() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    default_network(&lab);
    let name = lab.domain("hg");
    let dir = lab.dir("hg");
    let file = dir.join("guest.xml");
    std::fs::write(&file, kit_guest_xml(&name)).unwrap();
    sh_ok(&format!("virsh define {} && virsh start {name}", file.display()));
    wait_leased(&name, Duration::from_secs(120));
    let mac = sh_ok(&format!("virsh domiflist {name} | awk '/network/ {{print $5}}'"))
        .trim()
        .to_string();

    // The cable pulled: virsh and the guest see it; again is no change; plugged back in.
    let down = vm(&["domif-setlink", &name, &mac, "down"]).ok().json();
    assert_eq!(
        (down["changed"].as_bool(), down["state"].as_str()),
        (Some(true), Some("down"))
    );
    assert_eq!(
        sh_ok(&format!("virsh domif-getlink {name} {mac}")).trim(),
        format!("{mac} down")
    );
    until_console(
        &name,
        "cat /sys/class/net/eth0/carrier",
        Duration::from_secs(30),
        |o| o.contains("\n0"),
    );
    assert_eq!(
        vm(&["domif-setlink", &name, &mac, "down"]).ok().json()["changed"],
        false
    );
    assert_eq!(
        vm(&["domif-getlink", &name, &mac, "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh domif-getlink {name} {mac}"))
    );
    vm(&[
        "domif-setlink",
        "--domain",
        &name,
        "--interface",
        &mac,
        "--state",
        "up",
    ])
    .ok();
    until_console(
        &name,
        "cat /sys/class/net/eth0/carrier",
        Duration::from_secs(30),
        |o| o.contains("\n1"),
    );
    assert!(guest_carrier(&name).contains("\n1"));

    // Refused with nothing changed: a state that is neither, a NIC the guest lacks, no agent.
    assert_unchanged(
        || domain_snapshot(&name),
        || {
            vm(&["domif-setlink", &name, &mac, "sideways"]).fails(7, "invalid link state");
            vm(&["domif-setlink", &name, "52:54:00:00:00:01", "down"]).fails(3, "no interface");
            vm(&["dompmsuspend", &name, "mem"]).fails(6, "org.qemu.guest_agent.0");
        },
    );

    // vncdisplay: virsh's answer.
    assert_eq!(
        vm(&["vncdisplay", &name, "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh vncdisplay {name}"))
    );

    // An NMI: the guest kernel says it got one.
    vm(&["inject-nmi", &name]).ok().json();
    let nmi_lines = |o: &str| o.lines().any(|l| l.trim().parse::<u32>().is_ok_and(|n| n > 0));
    until_console(
        &name,
        "dmesg | grep -c 'NMI received'",
        Duration::from_secs(30),
        nmi_lines,
    );

    // shutdown --mode agent: no agent here, so libvirt refuses (without --mode the ACPI request
    // would be accepted); the guest keeps running.
    let refused = vm(&["shutdown", &name, "--mode", "agent"]);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert_eq!(sh_ok(&format!("virsh domstate {name}")).trim(), "running");

    // destroy --remove-logs: libvirt's log of the guest goes with it.
    let log = format!("/var/log/libvirt/qemu/{name}.log");
    assert!(std::path::Path::new(&log).exists(), "{log} before destroy");
    vm(&["destroy", &name, "--remove-logs"]).ok();
    assert!(
        !std::path::Path::new(&log).exists(),
        "{log} after destroy --remove-logs"
    );

    // A shut-off guest: exit 1 for the verbs that need it running, nothing changed.
    assert_unchanged(
        || domain_snapshot(&name),
        || {
            vm(&["inject-nmi", &name]).fails(1, "needs a running domain");
            vm(&["vncdisplay", &name]).fails(1, "not running");
        },
    );
    // --config on the definition: the inactive XML's link, read back by virsh.
    vm(&["domif-setlink", &name, &mac, "down", "--config"]).ok();
    assert_eq!(
        sh_ok(&format!("virsh domif-getlink {name} {mac} --config")).trim(),
        format!("{mac} down")
    );
}
