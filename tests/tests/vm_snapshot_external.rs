//! snapshot-create-as's --diskspec/--memspec/--print-xml, snapshot-create --redefine --current,
//! snapshot-current SNAPSHOTNAME and snapshot-revert --reset-nvram, as virsh reads and does them: the printed document against
//! virsh's own --print-xml (test:///default), an external disk-only snapshot of a shut-off qcow2
//! guest against the sandbox's libvirtd with qemu-img and virsh as oracles, its metadata dropped
//! and given back with --redefine, and bad specs refused with nothing changed. Every JSON
//! result is checked against its schema by the harness.

use std::path::Path;
use vnet_tests::*;

fn virsh(args: &str) -> String {
    sh_ok(&format!("virsh {args}"))
}

/// virsh's and vnet-vm's documents side by side: quotes and an empty root written alike.
fn normalized(xml: &str) -> String {
    xml.replace('"', "'")
        .replace("<domainsnapshot>\n</domainsnapshot>", "<domainsnapshot/>")
        .trim_end()
        .to_string()
}

/// Each line's --print-xml is virsh's document, bare-word forms included; specs virsh cannot
/// parse are exit 7 naming them.
#[test]
fn print_xml_is_virshs_document() {
    let _lab = lab!();
    for line in [
        "test --name s1 --description a<b --diskspec vda,snapshot=external,driver=qcow2,stype=block,file=/dev/x \
         --diskspec vdb,file=/a,,b --diskspec vdc --memspec file=/m,snapshot=external",
        "test s2 desc vda,snapshot=external,file=/o.qcow2 vdb,snapshot=no",
        "test --memspec /m,snapshot=external",
        "test",
    ] {
        let words: Vec<&str> = line.split_whitespace().collect();
        let ours = vm(&[&["-c", "test:///default", "snapshot-create-as", "--print-xml"], &words[..]].concat())
            .ok()
            .stdout;
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let theirs = sh_ok(&format!(
            "virsh -c test:///default snapshot-create-as --print-xml {}",
            quoted.join(" ")
        ));
        assert_eq!(normalized(&ours), normalized(&theirs), "snapshot-create-as {line}");
    }
    for (spec, what) in [
        (["--memspec", "relative"], "unable to parse memspec: relative"),
        (
            ["--diskspec", "vda,bogus=1"],
            "unable to parse diskspec: vda,bogus=1",
        ),
        (["--diskspec", "vda,file=/a,file=/b"], "unable to parse diskspec"),
    ] {
        let line = [
            &[
                "-c",
                "test:///default",
                "snapshot-create-as",
                "test",
                "--print-xml",
            ],
            &spec[..],
        ]
        .concat();
        vm(&line).fails(7, what);
    }
}

/// The guest: shut off, one qcow2 disk (vda), no kernel (it is never started).
fn guest(lab: &Lab, dir: &Path, disk: &Path) -> String {
    let name = lab.domain("ext");
    lab.on_drop(format!(
        "for s in $(virsh snapshot-list {name} --name); do virsh snapshot-delete {name} $s --metadata; done"
    ));
    let xml = format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64'>hvm</type></os><devices><disk type='file' device='disk'>\
         <driver name='qemu' type='qcow2'/><source file='{}'/><target dev='vda' bus='virtio'/>\
         </disk></devices></domain>",
        disk.display()
    );
    let file = dir.join("guest.xml");
    std::fs::write(&file, xml).unwrap();
    virsh(&format!("define {}", file.display()));
    name
}

/// What a refused line must leave as it was: snapshots, the current one, the disks and the files.
fn state(name: &str, dir: &Path) -> String {
    sh_ok(&format!(
        "virsh snapshot-list {name} --parent; virsh snapshot-current {name} --name; \
         virsh domblklist {name}; ls {}",
        dir.display()
    ))
}

/// An external disk-only snapshot with --diskspec, checked by qemu-img (the overlay's backing
/// file) and virsh; its metadata dropped and redefined from its XML with --current; another
/// snapshot made current by name; bad lines change nothing.
#[test]
fn external_snapshot_redefine_and_current_as_virsh() {
    let lab = lab!();
    let dir = lab_dir(&lab, "ext");
    let disk = dir.join("base.qcow2");
    let overlay = dir.join("overlay.qcow2");
    sh_ok(&format!("qemu-img create -q -f qcow2 {} 64M", disk.display()));
    let name = guest(&lab, &dir, &disk);

    virsh(&format!("snapshot-create-as {name} first"));
    // --reset-nvram reaches libvirt as virsh sends it (a BIOS guest has no NVRAM to reset).
    let reverted = vm(&["snapshot-revert", &name, "first", "--reset-nvram"])
        .ok()
        .json();
    assert_eq!(reverted["state"].as_str(), Some("shut off"));
    let spec = format!("vda,snapshot=external,driver=qcow2,file={}", overlay.display());
    let made = vm(&[
        "snapshot-create-as",
        &name,
        "ext1",
        "outside",
        &spec,
        "--disk-only",
        "--atomic",
    ])
    .ok()
    .json();
    assert_eq!(
        (
            made["name"].as_str(),
            made["location"].as_str(),
            made["state"].as_str()
        ),
        (Some("ext1"), Some("external"), Some("shutoff"))
    );
    let info = sh_ok(&format!("qemu-img info --output=json {}", overlay.display()));
    assert!(
        info.contains(&format!("\"backing-filename\": \"{}\"", disk.display())),
        "{info}"
    );
    assert!(virsh(&format!("domblklist {name}")).contains(overlay.to_str().unwrap()));
    assert_eq!(
        virsh(&format!("snapshot-list {name} --external --name")).trim(),
        "ext1"
    );
    assert!(virsh(&format!("snapshot-dumpxml {name} ext1")).contains("<description>outside</description>"));

    // Metadata gone, then given back from its XML as the current snapshot.
    let saved = dir.join("ext1.xml");
    std::fs::write(
        &saved,
        virsh(&format!("snapshot-dumpxml {name} ext1 --security-info")),
    )
    .unwrap();
    virsh(&format!("snapshot-delete {name} ext1 --metadata"));
    virsh(&format!("snapshot-current {name} first"));
    let back = vm(&[
        "snapshot-create",
        &name,
        saved.to_str().unwrap(),
        "--redefine",
        "--current",
    ])
    .ok()
    .json();
    assert_eq!(back["name"].as_str(), Some("ext1"));
    assert_eq!(virsh(&format!("snapshot-current {name} --name")).trim(), "ext1");
    assert_eq!(virsh(&format!("snapshot-parent {name} ext1")).trim(), "first");

    // snapshot-current NAME, as virsh: set, then "changed": false when it is already.
    let set = vm(&["snapshot-current", &name, "first"]).ok().json();
    assert_eq!(set["changed"].as_bool(), Some(true));
    assert_eq!(virsh(&format!("snapshot-current {name} --name")).trim(), "first");
    let text = vm(&["snapshot-current", &name, "--snapshotname", "first", "-o", "text"])
        .ok()
        .stdout;
    assert_eq!(text, "Snapshot first set as current\n");
    assert_eq!(
        vm(&["snapshot-current", &name, "first"]).ok().json()["changed"].as_bool(),
        Some(false)
    );

    let before = state(&name, &dir);
    vm(&[
        "snapshot-create-as",
        &name,
        "bad",
        "desc",
        "vda,snapshot=external,colour=red",
    ])
    .fails(7, "diskspec");
    vm(&["snapshot-current", &name, "nosuch"]).fails(3, "nosuch");
    vm(&["snapshot-create", &name, "--redefine"]).fails(7, "--redefine");
    vm(&["snapshot-current", &name, "first", "--name"]).fails(2, "--name");
    assert_eq!(state(&name, &dir), before);
}
