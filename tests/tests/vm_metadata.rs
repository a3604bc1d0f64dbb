//! End-to-end tests of vnet-vm's metadata verb and of domtime without a guest agent (issue 19)
//! against the sandbox's libvirtd, with one TCG guest from the kit that declares an agent channel
//! but runs no agent. Oracles: virsh metadata, virsh dumpxml (live and persistent); every refusal
//! is checked with the domain's XML from virsh before and after.

use vnet_tests::*;

const URI: &str = "http://app1.example/app1/";

/// The guest: direct kernel boot from the kit under TCG, a serial console and an agent channel
/// that no agent answers on.
fn guest_xml(name: &str) -> String {
    let kit = kit();
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64'>hvm</type><kernel>{k}</kernel><initrd>{i}</initrd>\
         <cmdline>console=ttyS0</cmdline></os><features><acpi/><apic/></features><on_poweroff>destroy</on_poweroff><devices>\
         <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>\
         <serial type='pty'><target port='0'/></serial>\
         <console type='pty'><target type='serial' port='0'/></console></devices></domain>",
        k = kit.join("vmlinuz").display(),
        i = kit.join("initrd.gz").display(),
    )
}

fn virsh_metadata(name: &str, flag: &str) -> Run {
    sh(&format!("virsh metadata {name} {URI} {flag}"))
}

#[test]
fn metadata_set_show_remove_and_domtime_without_agent() {
    let lab = lab!();
    let dir = lab_dir(&lab, "m");
    let name = lab.domain("md");
    let xml = dir.join("guest.xml");
    std::fs::write(&xml, guest_xml(&name)).unwrap();
    sh_ok(&format!("virsh define {} && virsh start {name}", xml.display()));
    let uuid = sh_ok(&format!("virsh domuuid {name}")).trim().to_string();

    // Nothing yet: exit 3; bad inputs: exit 7; nothing changes.
    assert_unchanged(
        || domain_snapshot(&name),
        || {
            vm(&["metadata", &name, URI]).fails(3, "has no metadata");
            vm(&["metadata", &name, URI, "--key", "app1", "--set", "<foo>"]).fails(7, "malformed XML");
            vm(&["metadata", &name, URI, "--set", "<foo/>"]).fails(7, "needs --key");
            vm(&["metadata", &name, URI, "--key", "a:b", "--set", "<foo/>"]).fails(7, "invalid --key");
            vm(&["metadata", &name, "not a uri", "--key", "a", "--set", "<foo/>"]).fails(7, "namespace URI");
            vm(&["metadata", &name, URI, "--edit"]).fails(7, "--edit is not supported");
            vm(&["metadata", "no-such-domain", URI]).fails(3, "no-such-domain");
        },
    );

    // --set (live and config), shown as virsh shows it; by UUID.
    let set = vm(&[
        "metadata",
        &uuid,
        URI,
        "--key",
        "app1",
        "--set",
        "<foo>bar</foo>",
        "--live",
        "--config",
    ])
    .ok()
    .json();
    assert_eq!(
        (set["changed"].clone(), set["name"].clone()),
        (true.into(), name.as_str().into())
    );
    for flag in ["--live", "--config"] {
        let virsh = virsh_metadata(&name, flag).ok().stdout;
        assert!(virsh.contains("bar"), "{virsh}");
        let ours = vm(&["metadata", &name, URI, flag]).ok().stdout;
        assert_eq!(ours.trim_end(), virsh.trim_end());
    }
    assert_eq!(
        vm(&["metadata", &name, URI, "-o", "text"]).ok().stdout,
        virsh_metadata(&name, "").ok().stdout
    );
    let again = vm(&["metadata", &name, URI, "--key", "app1", "--set", "<foo>bar</foo>"])
        .ok()
        .json();
    assert_eq!(again["changed"], false);
    // --config alone leaves the running domain's element as it was.
    vm(&[
        "metadata",
        &name,
        URI,
        "--key",
        "app1",
        "--set",
        "<foo>next</foo>",
        "--config",
    ])
    .ok();
    assert!(virsh_metadata(&name, "--config").ok().stdout.contains("next"));
    assert!(virsh_metadata(&name, "--live").ok().stdout.contains("bar"));

    // --batch --atomic: a later failure sets the old element back.
    let lines =
        format!("metadata {name} {URI} --key app1 --set <foo>gone</foo>\nmetadata no-such-domain {URI}\n");
    assert_unchanged(
        || domain_snapshot(&name),
        || {
            let run = vnet_stdin("vnet-vm", &["--batch", "-", "--atomic"], &lines);
            assert_eq!(run.code, 3, "{run:?}");
        },
    );

    // --remove: virsh then has none (and a second remove changes nothing).
    let removed = vm(&[
        "metadata", &name, URI, "--remove", "--live", "--config", "-o", "text",
    ])
    .ok()
    .stdout;
    for flag in ["--live", "--config"] {
        assert_ne!(virsh_metadata(&name, flag).code, 0);
    }
    assert_eq!(
        vm(&["metadata", &name, URI, "--remove"]).ok().json()["changed"],
        false
    );
    // -o text: virsh's confirmations.
    let set_text = vm(&[
        "metadata", &name, URI, "--key", "app1", "--set", "<foo/>", "-o", "text",
    ])
    .ok()
    .stdout;
    assert_eq!(
        set_text,
        sh_ok(&format!("virsh metadata {name} {URI} --key app1 --set '<foo/>'"))
    );
    assert_eq!(removed, sh_ok(&format!("virsh metadata {name} {URI} --remove")));

    // domtime: the channel is there, no agent answers: exit 6 naming it; shut off: exit 1.
    assert_unchanged(
        || domain_snapshot(&name),
        || {
            vm(&["domtime", &name]).fails(6, "org.qemu.guest_agent.0");
            vm(&["domtime", &name, "--now"]).fails(6, "not connected");
            vm(&["domtime", &uuid, "--time", "1700000000"]).fails(6, "not connected");
            vm(&["domtime", &name, "--now", "--time", "1"]).fails(2, "cannot be used with");
        },
    );
    sh_ok(&format!("virsh destroy {name}"));
    vm(&["domtime", &name, "--sync"]).fails(1, "shut off");
    exist_ok_devices(&lab, &name, &dir);
}

/// attach-disk and attach-interface --exist-ok (issue 21's rule): "changed": false only when the
/// device already is what was asked; otherwise exit 4 naming the difference, nothing changed.
fn exist_ok_devices(lab: &Lab, name: &str, dir: &std::path::Path) {
    default_network(lab);
    let image = dir.join("d.img");
    sh_ok(&format!("qemu-img create -q -f raw {} 1M", image.display()));
    let img = image.to_str().unwrap();
    let disk = |extra: &[&str]| {
        let mut args = vec!["attach-disk", name, img, "vdb", "--config"];
        args.extend_from_slice(extra);
        vm(&args)
    };
    assert_eq!(disk(&["--subdriver", "raw"]).ok().json()["changed"], true);
    assert_eq!(disk(&["--exist-ok"]).ok().json()["changed"], false);
    assert_eq!(
        disk(&["--exist-ok", "--subdriver", "raw"]).ok().json()["changed"],
        false
    );
    let mac = "52:54:00:19:21:01";
    let nic = |extra: &[&str]| {
        let mut args = vec![
            "attach-interface",
            name,
            "--type",
            "network",
            "--source",
            "default",
            "--mac",
            mac,
            "--config",
        ];
        args.extend_from_slice(extra);
        vm(&args)
    };
    assert_eq!(nic(&["--model", "virtio"]).ok().json()["changed"], true);
    assert_eq!(
        nic(&["--model", "virtio", "--exist-ok"]).ok().json()["changed"],
        false
    );
    assert_unchanged(
        || domain_snapshot(name),
        || {
            disk(&["--exist-ok", "--type", "cdrom"]).fails(4, "type: disk -> cdrom");
            disk(&["--exist-ok", "--subdriver", "qcow2"]).fails(4, "subdriver: raw -> qcow2");
            disk(&["--exist-ok", "--readonly"]).fails(4, "readonly: no -> yes");
            nic(&["--model", "e1000", "--exist-ok"]).fails(4, "model: virtio -> e1000");
        },
    );
}
