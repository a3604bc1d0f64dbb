//! virsh's nodedev-create, -destroy, -define, -undefine, -start, -autostart, -detach,
//! -reattach and -reset. This machine has no fibre channel adapter (vHBAs), no mediated-device
//! parent and no VFIO, so on the sandbox's qemu:///system only libvirt's refusals can be asked
//! for, and they are compared with virsh's, the host unchanged; no test ever names a real PCI
//! device. Creating and destroying a device is proved against libvirt's test driver
//! (`-c test:///default`), whose fibre channel adapter makes vHBAs: its state lives in one
//! connection, so vnet-vm runs the steps as one `--batch` and virsh as one `;` line.

use vnet_tests::*;

const TEST: &str = "test:///default";

const VHBA: &str = "<device>\n  <parent>scsi_host1</parent>\n  <capability type='scsi_host'>\n    \
<capability type='fc_host'>\n      <wwnn>2000000012341234</wwnn>\n      <wwpn>1000000012341234</wwpn>\n    \
</capability>\n  </capability>\n</device>\n";

/// A file of the lab's with `text` in it.
fn file(lab: &Lab, name: &str, text: &str) -> String {
    let path = format!("/tmp/{}-{name}", lab.name("nd"));
    std::fs::write(&path, text).unwrap();
    lab.on_drop(format!("rm -f {path}"));
    path
}

/// The last line virsh wrote on stderr, without "error: ".
fn virsh_reason(line: &str) -> String {
    let run = sh(&format!("virsh {line}"));
    assert_ne!(run.code, 0, "{run:?}");
    let why = run.stderr.lines().last().unwrap_or("");
    why.trim_start_matches("error: ").to_string()
}

#[test]
fn the_test_driver_creates_and_destroys_a_vhba_as_virsh_does() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    let vhba = file(&lab, "vhba.xml", VHBA);
    // One line each, a fresh test host each: the same name and line as virsh's.
    let ours = vm(&["-c", TEST, "nodedev-create", &vhba, "-o", "text"])
        .ok()
        .stdout;
    assert_eq!(ours, sh_ok(&format!("virsh -c {TEST} nodedev-create {vhba}")));
    let created = vm(&["-c", TEST, "nodedev-create", &vhba]).ok().json();
    let name = created["name"].as_str().unwrap().to_string();
    assert!(ours.contains(&name), "{ours}");

    // Created, seen, destroyed, gone: in one connection, as virsh sees it in one.
    let script = format!("nodedev-create {vhba}\nnodedev-dumpxml {name}\nnodedev-destroy {name}");
    let run = vnet_stdin("vnet-vm", &["-c", TEST, "--batch", "-"], &script);
    assert_eq!(run.code, 0, "{run:?}");
    let records = run.records();
    assert_eq!(records[2]["changed"], true);
    let virsh = sh_ok(&format!(
        "virsh -c {TEST} 'nodedev-create {vhba}; nodedev-dumpxml {name}; nodedev-destroy {name}'"
    ));
    assert!(
        virsh.contains(&format!("Destroyed node device '{name}'")),
        "{virsh}"
    );
    let document = records[1]["xml"].as_str().unwrap();
    assert!(virsh.contains(document.trim_end()), "{document} not in {virsh}");
    let gone = format!("nodedev-create {vhba}\nnodedev-destroy {name}\nnodedev-dumpxml {name}");
    let run = vnet_stdin("vnet-vm", &["-c", TEST, "--batch", "-"], &gone);
    assert_eq!(run.code, 3, "{run:?}");
    // --batch --atomic destroys the device it created when a later line fails; the next
    // create in that connection gets the same name again.
    let atomic = format!("nodedev-create {vhba}\nstart no-such-domain");
    let run = vnet_stdin("vnet-vm", &["-c", TEST, "--batch", "-", "--atomic"], &atomic);
    assert_eq!(run.code, 3, "{run:?}");

    // What the test driver does not do: libvirt's refusal, as virsh gets it (exit 6).
    for (ours, line) in [
        (
            vec!["nodedev-define", vhba.as_str()],
            format!("nodedev-define {vhba}"),
        ),
        (
            vec!["nodedev-start", "scsi_host11"],
            "nodedev-start scsi_host11".into(),
        ),
        (
            vec!["nodedev-autostart", "scsi_host11"],
            "nodedev-autostart scsi_host11".into(),
        ),
    ] {
        let why = virsh_reason(&format!("-c {TEST} {line}"));
        let mut words = vec!["-c", TEST];
        words.extend(ours);
        vm(&words).fails(6, &why);
    }
    // Bad input, refused before libvirt is asked.
    let network = file(&lab, "net.xml", "<network><name>n</name></network>");
    vm(&["-c", TEST, "nodedev-create", &network]).fails(7, "<network>");
    vm(&["-c", TEST, "nodedev-create", "/nonexistent/dev.xml"]).fails(3, "dev.xml");
    vm(&["-c", TEST, "nodedev-destroy", "nosuch"]).fails(3, "nosuch");
    vm(&["-c", TEST, "nodedev-destroy", "--device", "nosuch"]).fails(3, "nosuch");
}

#[test]
fn the_hosts_devices_are_only_ever_refused() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    let mdev = "<device>\n  <parent>computer</parent>\n  <capability type='mdev'>\n    \
                <type id='nvidia-11'/>\n  </capability>\n</device>\n";
    let mdev = file(&lab, "mdev.xml", mdev);
    assert_unchanged(
        || (sh_ok("virsh nodedev-list"), sh_ok("ls /sys/bus/pci/drivers")),
        || {
            // "computer" is the root device: not PCI, not made by libvirt. libvirt's refusals,
            // word for word as virsh prints them.
            for (verb, code) in [
                ("nodedev-detach", 1),
                ("nodedev-reattach", 7),
                ("nodedev-reset", 7),
                ("nodedev-undefine", 7),
                ("nodedev-destroy", 7),
                ("nodedev-autostart", 6),
            ] {
                let why = virsh_reason(&format!("{verb} computer"));
                vm(&[verb, "computer"]).fails(code, &why);
            }
            for verb in ["nodedev-define", "nodedev-create"] {
                let why = virsh_reason(&format!("{verb} {mdev}"));
                vm(&[verb, &mdev]).fails(7, &why);
            }
            for verb in [
                "nodedev-detach",
                "nodedev-reattach",
                "nodedev-reset",
                "nodedev-start",
            ] {
                vm(&[verb, "pci_nosuch"]).fails(3, "pci_nosuch");
            }
        },
    );
    // Starting a device that is active already: virsh fails, vnet says "changed": false.
    assert!(virsh_reason("nodedev-start computer").contains("already active"));
    let started = vm(&["nodedev-start", "computer"]).ok().json();
    assert_eq!(started["changed"], false);
}
