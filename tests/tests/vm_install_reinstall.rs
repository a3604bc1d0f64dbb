//! `vnet-vm install --reinstall DOMAIN` (virt-install 4.1's): the install-phase XML against real
//! `virt-install --reinstall --print-xml` for the same defined domain, a real reinstall start
//! under TCG (virsh as the oracle: the running guest has the ISO, the persistent definition is
//! the one it had), and every refusal or failure with before/after of virsh's lists and pools.

use std::path::Path;
use vnet_tests::*;

/// A persistent, shut-off domain with a qcow2 disk booted by `<boot dev='hd'/>` and, when `nic`,
/// one interface (no network behind it: ethernet), defined with virsh.
fn defined(lab: &Lab, dir: &Path, stem: &str, nic: bool) -> String {
    let name = lab.domain(stem);
    let disk = dir.join(format!("{stem}.qcow2"));
    sh_ok(&format!("qemu-img create -q -f qcow2 {} 64M", disk.display()));
    let interface = if nic {
        "<interface type='ethernet'><mac address='52:54:00:7e:00:01'/><model type='virtio'/></interface>"
    } else {
        ""
    };
    let xml = format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>\
         <features><acpi/><apic/></features><on_reboot>restart</on_reboot><devices>\
         <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{}'/><target dev='vda' bus='virtio'/></disk>{interface}\
         <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/></devices></domain>",
        disk.display()
    );
    let file = dir.join(format!("{stem}.xml"));
    std::fs::write(&file, xml).unwrap();
    sh_ok(&format!("virsh define {}", file.display()));
    name
}

/// A small ISO 9660 image (not bootable: the guest's BIOS finds nothing and waits, running).
fn iso(dir: &Path) -> String {
    let src = dir.join("iso-src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("README"), b"vnet reinstall test\n").unwrap();
    let iso = dir.join("install.iso");
    sh_ok(&format!(
        "xorriso -as mkisofs -quiet -o {} {} 2>/dev/null",
        iso.display(),
        src.display()
    ));
    iso.to_string_lossy().into_owned()
}

/// Python's ElementTree prints each element at the paths canonically (attributes and children
/// sorted), one per line.
const CANON: &str = r#"
import sys, xml.etree.ElementTree as ET
def canon(e):
    attrs = ",".join(f"{k}={v}" for k, v in sorted(e.attrib.items()))
    kids = sorted(canon(c) for c in e if c.tag not in ("address", "alias"))
    return f"<{e.tag} {attrs}>{(e.text or '').strip()}" + "".join(kids) + f"</{e.tag}>"
root = ET.fromstring(sys.stdin.read())
for path in sys.argv[1:]:
    for line in sorted(canon(e) for e in root.findall(path)):
        print(path, line)
"#;

fn canonical(dir: &Path, xml: &str, paths: &[&str]) -> String {
    let script = dir.join("canon.py");
    std::fs::write(&script, CANON).unwrap();
    let file = dir.join("doc.xml");
    std::fs::write(&file, xml).unwrap();
    sh_ok(&format!(
        "python3 {} {} < {}",
        script.display(),
        paths.join(" "),
        file.display()
    ))
}

/// The first document of a --print-xml output (virt-install prints the install phase first).
fn first_document(xml: &str) -> String {
    let end = xml.find("</domain>").expect("a domain document") + "</domain>".len();
    xml[..end].to_string()
}

/// --reinstall --cdrom (the ISO in a new IDE CD-ROM, `<boot dev='cdrom'/><boot dev='hd'/>`,
/// on_reboot destroy) and --reinstall --pxe (`<boot dev='network'/>` first): the install-phase XML as
/// virt-install 4.1 prints it for the same defined domain; nothing changes.
#[test]
fn reinstall_print_xml_matches_virt_install() {
    let lab = lab!();
    let dir = lab_dir(&lab, "rpx");
    let name = defined(&lab, &dir, "rpx", true);
    let iso = iso(&dir);
    let paths = ["./devices/disk", "./devices/interface", "./os", "./on_reboot"];
    for method in [vec!["--cdrom", iso.as_str()], vec!["--pxe"]] {
        let before = libvirt_state(&dir);
        let inactive = sh_ok(&format!("virsh dumpxml --inactive {name}"));
        // virt-install 4.1 wants an OS name even here; vnet-vm reads none with --reinstall.
        let osinfo = ["--osinfo", "detect=on,require=off"];
        let mut args = vec!["install", "--reinstall", &name, "--print-xml", "1"];
        args.extend(&method);
        args.extend(osinfo);
        let ours = vm(&args).ok().stdout;
        assert_eq!(libvirt_state(&dir), before, "vnet-vm changed something");
        assert_eq!(sh_ok(&format!("virsh dumpxml --inactive {name}")), inactive);
        // virt-install's --print-xml makes a storage pool of the ISO's directory (not compared).
        let theirs = sh_ok(&format!(
            "virt-install --reinstall {name} {} {} --print-xml 1 2>/dev/null",
            method.join(" "),
            osinfo.join(" ")
        ));
        assert_eq!(
            canonical(&dir, &ours, &paths),
            canonical(&dir, &first_document(&theirs), &paths),
            "{method:?}: vnet-vm's XML:\n{ours}\nvirt-install's:\n{theirs}"
        );
    }
}

/// A real reinstall under TCG: the guest runs with the ISO in a CD-ROM booted first (virsh
/// dumpxml), its persistent definition is byte for byte the one it had (virsh dumpxml
/// --inactive); once destroyed it is shut off with that definition. Then the refusals: a running
/// domain (4), no install method or --location (7), a domain that does not exist (3); and a
/// start that fails (its disk gone): exit 1 with the definition as it was; virsh's domain,
/// pool and volume lists the same before and after each.
#[test]
fn reinstall_starts_the_install_and_keeps_the_definition() {
    let lab = lab!();
    let dir = lab_dir(&lab, "rin");
    let name = defined(&lab, &dir, "rin", false);
    let iso = iso(&dir);
    let inactive = sh_ok(&format!("virsh dumpxml --inactive --security-info {name}"));
    let run = vm(&[
        "install",
        "--reinstall",
        &name,
        "--cdrom",
        &iso,
        "--noautoconsole",
    ])
    .ok();
    assert_eq!(run.json()["changed"], true, "{run:?}");
    assert_eq!(sh_ok(&format!("virsh domstate {name}")).trim(), "running");
    let live = sh_ok(&format!("virsh dumpxml {name}"));
    assert!(live.contains(&format!("<source file='{iso}'")), "{live}");
    assert!(live.contains("<on_reboot>destroy</on_reboot>"), "{live}");
    let kept = sh_ok(&format!("virsh dumpxml --inactive --security-info {name}"));
    assert_eq!(kept, inactive);

    let before = libvirt_state(&dir);
    vm(&["install", "--reinstall", &name, "--cdrom", &iso]).fails(4, "is running");
    assert_eq!(libvirt_state(&dir), before);
    sh_ok(&format!("virsh destroy {name}"));
    assert_eq!(sh_ok(&format!("virsh domstate {name}")).trim(), "shut off");
    assert_eq!(
        sh_ok(&format!("virsh dumpxml --inactive --security-info {name}")),
        inactive
    );

    let before = libvirt_state(&dir);
    vm(&["install", "--reinstall", &name]).fails(7, "install method");
    vm(&["install", "--reinstall", &name, "--location", &iso]).fails(7, "--location");
    vm(&["install", "--reinstall", &lab.name("nosuch"), "--cdrom", &iso]).fails(3, "nosuch");
    assert_eq!(libvirt_state(&dir), before);

    std::fs::remove_file(dir.join("rin.qcow2")).unwrap();
    let before = libvirt_state(&dir);
    let run = vm(&[
        "install",
        "--reinstall",
        &name,
        "--cdrom",
        &iso,
        "--noautoconsole",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(libvirt_state(&dir), before);
    assert_eq!(sh_ok(&format!("virsh domstate {name}")).trim(), "shut off");
    assert_eq!(
        sh_ok(&format!("virsh dumpxml --inactive --security-info {name}")),
        inactive
    );
}
