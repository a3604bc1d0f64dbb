//! virsh's verbs that reach a running domain's QEMU from outside (domcontrol, domjobabort,
//! domhostname, qemu-monitor-command, dump, domxml-to-native/from-native) against the sandbox's libvirtd and one kit guest
//! under TCG. Oracles: virsh's own output for the same call, the dump files' headers and sizes.

use vnet_tests::*;

fn text(args: &[&str]) -> String {
    let mut words = args.to_vec();
    words.extend(["-o", "text"]);
    vm(&words).ok().stdout
}

/// virsh's last error line for `line`, which must fail.
fn virsh_refusal(line: &str) -> String {
    let virsh = sh(&format!("virsh {line}"));
    assert_ne!(virsh.code, 0, "{virsh:?}");
    virsh
        .stderr
        .lines()
        .last()
        .unwrap()
        .trim_start_matches("error: ")
        .to_string()
}

#[test]
fn control_verbs_do_what_virsh_does() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    default_network(&lab);
    let name = lab.domain("ct");
    let dir = lab.dir("ct");
    let file = dir.join("guest.xml");
    std::fs::write(&file, kit_guest_xml(&name)).unwrap();
    sh_ok(&format!("virsh define {} && virsh start {name}", file.display()));

    assert_eq!(vm(&["domcontrol", &name]).ok().json()["state"], "ok");
    assert_eq!(
        text(&["domcontrol", &name]),
        sh_ok(&format!("virsh domcontrol {name}"))
    );

    // The monitor: HMP text as virsh prints it; QMP's reply and its return value.
    assert_eq!(
        text(&["qemu-monitor-command", &name, "--hmp", "info", "status"]),
        sh_ok(&format!("virsh qemu-monitor-command {name} --hmp info status"))
    );
    let qmp = r#"{"execute":"query-status"}"#;
    let reply = vm(&["qemu-monitor-command", &name, qmp]).ok().json();
    assert_eq!(reply["return"]["status"], "running");
    let value = vm(&["qemu-monitor-command", &name, "--return-value", qmp])
        .ok()
        .json();
    let virsh: serde_json::Value = serde_json::from_str(&sh_ok(&format!(
        "virsh qemu-monitor-command {name} --return-value '{qmp}'"
    )))
    .unwrap();
    assert_eq!(value, virsh);

    // Memory-only dumps: an ELF core, and kdump-zlib; the ELF one the size of virsh's.
    let elf = dir.join("core.elf");
    let done = vm(&["dump", &name, elf.to_str().unwrap(), "--memory-only"])
        .ok()
        .json();
    assert_eq!(done["format"], "elf");
    let bytes = std::fs::read(&elf).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF");
    let theirs = dir.join("virsh.elf");
    sh_ok(&format!("virsh dump {name} {} --memory-only", theirs.display()));
    // The same guest memory; the ELF notes (CPU state) differ by a few bytes between dumps.
    let (ours, virsh) = (
        bytes.len() as i64,
        std::fs::metadata(&theirs).unwrap().len() as i64,
    );
    assert!((ours - virsh).abs() < 4096, "{ours} vs {virsh}");
    let kdump = dir.join("core.kdump");
    let ours = vm(&[
        "dump",
        &name,
        kdump.to_str().unwrap(),
        "--memory-only",
        "--format",
        "kdump-zlib",
        "--verbose",
    ])
    .ok();
    // The kdump header's signature, as virsh's dump of the same format starts; --verbose's last
    // progress line on stderr as virsh's.
    let virsh_kdump = dir.join("virsh.kdump");
    let theirs = sh(&format!(
        "virsh dump {name} {} --memory-only --format kdump-zlib --verbose",
        virsh_kdump.display()
    ));
    assert_eq!(theirs.code, 0, "{theirs:?}");
    let last = |stderr: &str| {
        stderr
            .rsplit('\r')
            .next()
            .unwrap_or_default()
            .trim_end()
            .to_string()
    };
    assert_eq!(
        last(&ours.stderr),
        last(&theirs.stderr),
        "{:?} vs {:?}",
        ours.stderr,
        theirs.stderr
    );
    assert_eq!(last(&ours.stderr), "Dump: [100 %]");
    let head = |p: &std::path::Path| std::fs::read(p).unwrap()[..12].to_vec();
    assert_eq!(head(&kdump), head(&virsh_kdump));
    assert_ne!(head(&kdump), head(&elf));
    assert_eq!(sh_ok(&format!("virsh domstate {name}")).trim(), "running");

    // QEMU's command line for the domain, and domain XML back from it: virsh's documents.
    let argv = text(&["domxml-to-native", "qemu-argv", "--domain", &name]);
    assert_eq!(
        argv,
        sh_ok(&format!("virsh domxml-to-native qemu-argv --domain {name}"))
    );
    assert!(argv.contains("-name"), "{argv}");
    let argv_file = dir.join("argv.txt");
    std::fs::write(&argv_file, &argv).unwrap();
    // libvirt 9.0's QEMU driver has no argv parser any more: virsh and we get its refusal.
    let why = virsh_refusal(&format!("domxml-from-native qemu-argv {}", argv_file.display()));
    vm(&["domxml-from-native", "qemu-argv", argv_file.to_str().unwrap()]).fails(6, &why);

    // Refused, nothing changed: libvirt's answers as virsh gets them, and ours before libvirt.
    let bogus = dir.join("bogus.dump");
    assert_unchanged(
        || domain_snapshot(&name) + &sh_ok(&format!("ls {}", dir.display())),
        || {
            vm(&["domxml-from-native", "qemu-argv", "/nonexistent.argv"]).fails(7, "/nonexistent.argv");
            let why = virsh_refusal(&format!(
                "domxml-from-native bogus-format {}",
                argv_file.display()
            ));
            let ours = vm(&["domxml-from-native", "bogus-format", argv_file.to_str().unwrap()]);
            assert!(ours.code != 0 && ours.stderr.contains(&why), "{ours:?}");
            let why = virsh_refusal(&format!("domjobabort {name}"));
            let ours = vm(&["domjobabort", &name]);
            assert!(ours.code != 0 && ours.stderr.contains(&why), "{ours:?}");
            let why = virsh_refusal(&format!("domhostname {name} --source agent"));
            let ours = vm(&["domhostname", &name, "--source", "agent"]);
            assert!(ours.code != 0 && ours.stderr.contains(&why), "{ours:?}");
            vm(&[
                "dump",
                &name,
                bogus.to_str().unwrap(),
                "--memory-only",
                "--format",
                "zip",
            ])
            .fails(7, "dump format");
            vm(&[
                "qemu-monitor-command",
                &name,
                "--hmp",
                "--return-value",
                "info",
                "status",
            ])
            .fails(7, "--return-value");
        },
    );
}

#[test]
fn control_verbs_on_a_missing_domain_are_exit_3() {
    let Some(_lab) = Lab::new(module_path!()) else {
        return;
    };
    for verb in [
        &["domcontrol", "no-such-dom"][..],
        &["domjobabort", "no-such-dom"],
        &["domhostname", "no-such-dom"],
        &["dump", "no-such-dom", "/tmp/no-such-dom.core"],
        &["qemu-monitor-command", "no-such-dom", "--hmp", "info", "status"],
        &["domxml-to-native", "qemu-argv", "--domain", "no-such-dom"],
    ] {
        vm(verb).fails(3, "no-such-dom");
    }
}
