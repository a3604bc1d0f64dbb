//! virsh's argument forms through vnet-vm and vnet-net against the sandbox's libvirtd: every
//! argument by its virsh option name (`dominfo --domain D`, `net-info --network N`), bare words
//! filling virsh's options in order (`attach-interface D network NET`), and virsh's refusals
//! (`option --domain already seen`) with nothing changed. Oracles: virsh and the by-position form.

use vnet_tests::*;

fn shut_off_guest(name: &str) -> String {
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64'>hvm</type></os></domain>"
    )
}

/// The domain's state as virsh shows it: its inactive definition and its interfaces.
fn domain_state(name: &str) -> String {
    sh_ok(&format!(
        "virsh dumpxml --inactive {name}; virsh domiflist --inactive {name}"
    ))
}

#[test]
fn named_and_bare_virsh_forms() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    default_network(&lab);
    let name = lab.domain("vf");
    let dir = lab.dir("vf");
    let file = dir.join("guest.xml");
    std::fs::write(&file, shut_off_guest(&name)).unwrap();
    // define --file FILE: virsh's name for define's argument.
    let file = file.display().to_string();
    assert_eq!(vm(&["define", "--file", &file]).ok().json()["changed"], true);
    let uuid = sh_ok(&format!("virsh domuuid {name}")).trim().to_string();

    // --domain NAME and --domain=UUID answer as the bare name does.
    let bare = vm(&["dominfo", &name]).ok().json();
    assert_eq!(vm(&["dominfo", "--domain", &name]).ok().json(), bare);
    assert_eq!(vm(&["dominfo", &format!("--domain={uuid}")]).ok().json(), bare);
    assert_eq!(
        vm(&["domstate", "--domain", &name, "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh domstate --domain {name}"))
    );

    // Bare words fill virsh's --type and --source: the interface virsh then lists.
    let added = vm(&["attach-interface", &name, "network", "default", "--config"])
        .ok()
        .json();
    assert_eq!(added["changed"], true);
    let listed = sh_ok(&format!("virsh domiflist --inactive {name}"));
    assert!(
        listed
            .lines()
            .any(|l| l.contains("network") && l.contains("default")),
        "{listed}"
    );

    // attach-disk --cache none --persistent, as a script writes it: the definition gets the disk
    // with that cache mode (a shut-off domain: --persistent is its definition); detached again.
    let image = dir.join("data.img");
    std::fs::write(&image, vec![0u8; 1 << 20]).unwrap();
    let image = image.display().to_string();
    vm(&[
        "attach-disk",
        &name,
        &image,
        "vdb",
        "--cache",
        "none",
        "--persistent",
    ])
    .ok();
    let defined = sh_ok(&format!("virsh dumpxml --inactive {name}"));
    assert!(
        defined.contains("cache='none'") && defined.contains("dev='vdb'"),
        "{defined}"
    );
    vm(&["detach-disk", &name, "vdb", "--persistent"]).ok();
    assert!(!sh_ok(&format!("virsh domblklist --inactive {name}")).contains("vdb"));

    // desc --domain D --config --new-desc TEXT: virsh's names for both arguments.
    vm(&[
        "desc",
        "--domain",
        &name,
        "--config",
        "--new-desc",
        "from a virsh line",
    ])
    .ok();
    assert_eq!(sh_ok(&format!("virsh desc {name}")).trim(), "from a virsh line");

    // virsh's refusals: a slot given twice, and one left out; nothing changed.
    assert_unchanged(
        || domain_state(&name),
        || {
            vm(&["snapshot-revert", "s1", "--domain", &name]).fails(2, "option --domain already seen");
            vm(&["send-key", "--keycode", "KEY_A"]).fails(2, "requires <domain> option");
            vm(&["dominfo", "--domain"]).fails(2, "option --domain needs a value");
            // A virsh option vnet-vm does not support: refused by name, not as an unknown flag.
            vm(&["desc", &name, "--edit"]).fails(7, "--edit is not supported by vnet-vm desc");
        },
    );

    // virsh's layout flags of list, dumpxml and domiflist: virsh's output.
    for line in [
        "list --all --id",
        "list --all --id --name",
        "list --all --table",
        "dumpxml --migratable NAME",
        "dumpxml --security-info NAME",
        "domiflist --inactive NAME",
    ] {
        let line = line.replace("NAME", &name);
        let args: Vec<&str> = line.split(' ').chain(["-o", "text"]).collect();
        assert_eq!(
            vm(&args).ok().stdout.trim_end(),
            sh_ok(&format!("virsh {line}")).trim_end(),
            "{line}"
        );
    }
    assert_eq!(
        net(&["net-list", "--all", "--uuid"]).ok().stdout,
        sh_ok("virsh net-list --all --uuid")
    );

    // install --exist-ok over this domain: "changed": false when it has what the line asks
    // (memory, vCPUs, NICs), exit 4 naming the difference when not; nothing changed either way.
    let install = |memory: &str| {
        let line = [
            "install",
            "--name",
            &name,
            "--memory",
            memory,
            "--vcpus",
            "1",
            "--network",
            "network=default",
            "--import",
            "--disk",
            "path=/var/lib/libvirt/images/none.qcow2",
            "--exist-ok",
        ];
        vm(&line)
    };
    assert_unchanged(
        || domain_state(&name),
        || {
            assert_eq!(install("64").ok().json()["changed"], false);
            install("128").fails(4, "memory 65536 KiB (asked 131072 KiB)");
        },
    );

    // vnet-net: net-info --network NET is net-info NET.
    assert_eq!(
        net(&["net-info", "--network", "default"]).ok().json(),
        net(&["net-info", "default"]).ok().json()
    );
}
