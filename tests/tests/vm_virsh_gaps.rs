//! Drop-in gaps found by running unshaped virsh scripts against vnet-vm: `--print-xml` on the
//! attach and detach verbs, `detach-interface` without `--mac`, and `domblkinfo --all`, against
//! the sandbox's libvirtd with one kit guest (defined and started; it need not finish booting:
//! libvirt answers these). The oracle is real virsh: its output for the same words (compared as
//! canonical XML: attributes and children sorted, whitespace dropped), its failure where vnet-vm fails, and
//! its dumpxml before and after each line that must change nothing.

use std::path::Path;
use vnet_tests::*;

const MAC1: &str = "52:54:00:5a:00:01";
const MAC2: &str = "52:54:00:5a:00:02";

/// Python's ElementTree: the document with attributes and children sorted and whitespace-only
/// text dropped, so two layouts of the same element compare equal.
const CANON: &str = r#"
import sys, xml.etree.ElementTree as ET
def canon(e):
    attrs = ",".join(f"{k}={v}" for k, v in sorted(e.attrib.items()))
    kids = "".join(sorted(canon(c) for c in e))
    return f"<{e.tag} {attrs}>{(e.text or '').strip()}{kids}</{e.tag}>"
print(canon(ET.fromstring(sys.stdin.read())))
"#;

fn canonical(dir: &Path, xml: &str) -> String {
    let script = dir.join("canon.py");
    std::fs::write(&script, CANON).unwrap();
    let input = dir.join("in.xml");
    std::fs::write(&input, xml).unwrap();
    sh_ok(&format!("python3 {} < {}", script.display(), input.display()))
}

/// The kit guest with a qcow2 disk (vda), an empty cdrom (hdc) and two NICs on the default
/// network, defined and started.
fn guest(lab: &Lab, dir: &Path) -> String {
    default_network(lab);
    let name = lab.domain("gaps");
    let image = dir.join("vda.qcow2");
    sh_ok(&format!("qemu-img create -f qcow2 {} 64M", image.display()));
    let devices = format!(
        "<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{}'/><target dev='vda' bus='virtio'/></disk>\
         <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>\
         <interface type='network'><mac address='{MAC2}'/><source network='default'/>\
         <model type='virtio'/></interface>",
        image.display()
    );
    let xml = kit_guest_xml(&name).replace("<devices>", &devices).replace(
        "<interface type='network'><source",
        &format!("<interface type='network'><mac address='{MAC1}'/><source"),
    );
    let file = dir.join("guest.xml");
    std::fs::write(&file, xml).unwrap();
    sh_ok(&format!("virsh define {} && virsh start {name}", file.display()));
    name
}

#[test]
fn print_xml_detach_without_mac_and_domblkinfo_all_do_what_virsh_does() {
    let lab = lab!();
    let dir = lab.dir("gaps");
    let name = guest(&lab, &dir);
    attach_print_xml(&name, &dir);
    detach_print_xml(&name, &dir);
    domblkinfo_all(&name);
    detach_interface_without_mac(&name);
}

/// The same words to both tools: virsh's document and ours are the same element; the domain is
/// unchanged (virsh's dumpxml, live and persistent, before and after).
fn same_document(name: &str, dir: &Path, line: &str) -> String {
    let before = domain_snapshot(name);
    let theirs = sh_ok(&format!("virsh {line}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let ours = vm(&words).ok().stdout;
    assert_eq!(
        canonical(dir, &ours),
        canonical(dir, &theirs),
        "vnet-vm {line}:\n{ours}\nvirsh:\n{theirs}"
    );
    assert_eq!(domain_snapshot(name), before, "vnet-vm {line} changed the domain");
    ours
}

/// attach-disk and attach-interface --print-xml: the device virsh's line makes, nothing
/// attached; as virsh, the domain is not looked at and the source need not exist. -o json gives
/// the verb's object with the document in "xml" (schema-checked).
fn attach_print_xml(name: &str, dir: &Path) {
    let data = dir.join("data.img").display().to_string();
    for line in [
        format!("attach-disk {name} {data} vdb --print-xml"),
        format!(
            "attach-disk {name} {data} vdc --targetbus virtio --subdriver qcow2 --cache none \
             --io native --serial S1 --mode readonly --print-xml"
        ),
        format!("attach-disk {name} {data} hdd --type cdrom --print-xml"),
        format!("attach-disk {name} /dev/loop0 vdd --print-xml"),
        format!("attach-interface {name} network default --print-xml"),
        format!(
            "attach-interface {name} bridge br0 --mac 52:54:00:5a:00:09 --model virtio \
             --target vnet77 --alias ua-n1 --inbound 1000,2000,512 --print-xml"
        ),
        format!("attach-disk nosuchdomain {data} vdb --print-xml"),
    ] {
        same_document(name, dir, &line);
    }
    let json = vm(&["attach-disk", name, &data, "vdb", "--print-xml", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["changed"].as_bool(), Some(false), "{json}");
    assert!(
        json["xml"].as_str().unwrap().contains("<target dev=\"vdb\"/>"),
        "{json}"
    );
    let json = vm(&[
        "attach-interface",
        name,
        "network",
        "default",
        "--print-xml",
        "-o",
        "json",
    ])
    .ok()
    .json();
    assert!(json["xml"].as_str().unwrap().starts_with("<interface"), "{json}");
    // virsh's attach-device has no --print-xml: both refuse the line, nothing changed.
    let nic = dir.join("nic.xml");
    std::fs::write(
        &nic,
        "<interface type='network'><source network='default'/></interface>",
    )
    .unwrap();
    let before = domain_snapshot(name);
    assert_ne!(
        sh(&format!(
            "virsh attach-device {name} {} --print-xml",
            nic.display()
        ))
        .code,
        0
    );
    let run = vm(&["attach-device", name, &nic.display().to_string(), "--print-xml"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(domain_snapshot(name), before);
}

/// detach-disk and detach-interface --print-xml: the element as the domain has it (the running
/// domain's; the persistent definition's with --config), nothing detached; a device the domain
/// does not have: virsh fails and vnet-vm is exit 3.
fn detach_print_xml(name: &str, dir: &Path) {
    for line in [
        format!("detach-disk {name} vda --print-xml"),
        format!("detach-disk {name} vda --print-xml --config"),
        format!("detach-disk {name} hdc --print-xml"),
        format!("detach-interface {name} network --mac {MAC2} --print-xml"),
        format!("detach-interface {name} network --mac {MAC1} --print-xml --config"),
    ] {
        let ours = same_document(name, dir, &line);
        assert!(!ours.trim().is_empty(), "{line}");
    }
    // The running domain's element carries what libvirt added (its alias), as virsh prints it.
    let live = vm(&["detach-disk", name, "vda", "--print-xml"]).ok().stdout;
    assert!(live.contains("<alias name=\"virtio-disk0\"/>"), "{live}");
    let before = domain_snapshot(name);
    assert_ne!(sh(&format!("virsh detach-disk {name} vdz --print-xml")).code, 0);
    vm(&["detach-disk", name, "vdz", "--print-xml"]).fails(3, "no disk");
    let other = "52:54:00:5a:00:77";
    assert_ne!(
        sh(&format!(
            "virsh detach-interface {name} network --mac {other} --print-xml"
        ))
        .code,
        0
    );
    vm(&["detach-interface", name, "network", "--mac", other, "--print-xml"]).fails(3, "no interface");
    assert_eq!(domain_snapshot(name), before);
}

/// domblkinfo --all: virsh's table (plain and --human) in -o text, the JSON rows named as its
/// columns and schema-checked; the empty cdrom's sizes are null ("-" in virsh's table).
fn domblkinfo_all(name: &str) {
    for extra in ["", " --human"] {
        let virsh = sh_ok(&format!("virsh domblkinfo {name} --all{extra}"));
        let mut words = vec!["domblkinfo", name, "--all", "-o", "text"];
        if !extra.is_empty() {
            words.push("--human");
        }
        assert_eq!(vm(&words).ok().stdout, virsh, "domblkinfo --all{extra}");
    }
    let rows = vm(&["domblkinfo", name, "--all"]).ok().json();
    let rows = rows.as_array().expect("an array with --all");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["target"], "vda");
    assert_eq!(rows[0]["capacity"].as_u64(), Some(64 << 20));
    assert_eq!(rows[1]["target"], "hdc");
    assert!(
        rows[1]["capacity"].is_null() && rows[1]["physical"].is_null(),
        "{rows:?}"
    );
    // One device still gives the object; a device with --all is refused by both tools.
    let one = vm(&["domblkinfo", name, "vda"]).ok().json();
    assert_eq!(one["capacity"].as_u64(), Some(64 << 20));
    assert_ne!(sh(&format!("virsh domblkinfo {name} vda --all")).code, 0);
    assert_eq!(vm(&["domblkinfo", name, "vda", "--all"]).code, 2);
}

/// detach-interface without --mac, as virsh: two NICs of the type is exit 7 (virsh fails too),
/// nothing changed; with one left in the definition it is the one detached.
fn detach_interface_without_mac(name: &str) {
    let before = domain_snapshot(name);
    assert_ne!(
        sh(&format!("virsh detach-interface {name} network --config")).code,
        0
    );
    vm(&["detach-interface", name, "network", "--config"]).fails(7, "--mac");
    assert_eq!(domain_snapshot(name), before);
    let out = vm(&["detach-interface", name, "network", "--mac", MAC2, "--config"])
        .ok()
        .json();
    assert_eq!(out["changed"].as_bool(), Some(true));
    let out = vm(&["detach-interface", name, "network", "--config"]).ok().json();
    assert_eq!(out["mac"].as_str(), Some(MAC1), "{out}");
    let inactive = sh_ok(&format!("virsh dumpxml --inactive {name}"));
    assert!(!inactive.contains("<interface"), "{inactive}");
    // The running domain kept both.
    let live = sh_ok(&format!("virsh domiflist {name}"));
    assert!(live.contains(MAC1) && live.contains(MAC2), "{live}");
}

/// The kit guest with a NUMA cell and a 512 MiB virtio-mem device (2 MiB blocks, nothing
/// requested), defined (not started).
fn virtio_mem_guest(lab: &Lab, dir: &Path) -> String {
    default_network(lab);
    let name = lab.domain("vmem");
    let xml = kit_guest_xml(&name)
        .replace(
            "<memory unit='MiB'>256</memory>",
            "<maxMemory slots='4' unit='MiB'>2048</maxMemory><memory unit='MiB'>256</memory>",
        )
        .replace(
            "<features>",
            "<cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB'/></numa></cpu><features>",
        )
        .replace(
            "<devices>",
            "<devices><memory model='virtio-mem'><target><size unit='MiB'>512</size><node>0</node>\
             <block unit='MiB'>2</block><requested unit='MiB'>0</requested></target></memory>",
        );
    let file = dir.join("vmem.xml");
    std::fs::write(&file, xml).unwrap();
    sh_ok(&format!("virsh define {}", file.display()));
    name
}

fn requested(name: &str, inactive: bool) -> String {
    let flag = if inactive { "--inactive " } else { "" };
    sh_ok(&format!(
        "virsh dumpxml {flag}{name} --xpath '//memory/target/requested/text()'"
    ))
    .trim()
    .to_string()
}

/// update-memory-device: --print-xml is virsh's element (KiB without a unit, 64M scaled) with
/// nothing changed; --config and --live change what virsh's dumpxml shows (JSON schema-checked,
/// "changed": false when already so); a device that is not there (alias, node), a malformed
/// size and a size libvirt refuses change nothing, where virsh fails too.
#[test]
fn update_memory_device_does_what_virsh_does() {
    let lab = lab!();
    let dir = lab.dir("vmem");
    let name = virtio_mem_guest(&lab, &dir);
    for line in [
        format!("update-memory-device {name} --requested-size 128M --print-xml"),
        format!("update-memory-device {name} --requested-size 128 --print-xml --config"),
        format!("update-memory-device {name} --print-xml"),
    ] {
        same_document(&name, &dir, &line);
    }
    let out = vm(&[
        "update-memory-device",
        &name,
        "--requested-size",
        "64M",
        "--config",
    ])
    .ok()
    .json();
    assert_eq!(
        (
            out["changed"].as_bool(),
            out["requested_kib"].as_u64(),
            out["config"].as_bool()
        ),
        (Some(true), Some(65536), Some(true)),
        "{out}"
    );
    assert_eq!(requested(&name, true), "65536");
    let again = vm(&[
        "update-memory-device",
        &name,
        "--requested-size",
        "65536",
        "--config",
    ])
    .ok()
    .json();
    assert_eq!(again["changed"].as_bool(), Some(false));
    sh_ok(&format!("virsh start {name}"));
    let live = vm(&[
        "update-memory-device",
        &name,
        "--requested-size",
        "128M",
        "--live",
    ])
    .ok()
    .json();
    assert_eq!(live["alias"].as_str(), Some("virtiomem0"), "{live}");
    assert_eq!(requested(&name, false), "131072");
    assert_eq!(requested(&name, true), "65536");
    let by_alias = format!("update-memory-device {name} --alias virtiomem0 --print-xml");
    same_document(&name, &dir, &by_alias);
    // --alias and --node together: both tools refuse the line.
    assert_ne!(sh(&format!("virsh {by_alias} --node 0")).code, 0);
    let run = vm(&[
        "update-memory-device",
        &name,
        "--alias",
        "virtiomem0",
        "--node",
        "0",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let before = domain_snapshot(&name);
    for (line, code, needle) in [
        ("--alias nosuch --requested-size 64M", 3, "no memory device"),
        ("--node 3 --requested-size 64M", 3, "no memory device"),
        ("--requested-size 3M --live", 7, "block size"),
    ] {
        assert_ne!(
            sh(&format!("virsh update-memory-device {name} {line}")).code,
            0,
            "{line}"
        );
        let words: Vec<&str> = line.split_whitespace().collect();
        vm(&[&["update-memory-device", name.as_str()], &words[..]].concat()).fails(code, needle);
    }
    vm(&["update-memory-device", &name, "--requested-size", "lots"]).fails(7, "lots");
    assert_eq!(domain_snapshot(&name), before);
}

/// The kit guest with a qcow2 disk (vda), defined and started: what libvirt checkpoints.
fn checkpoint_guest(lab: &Lab, dir: &Path) -> String {
    default_network(lab);
    let name = lab.domain("ckpt");
    // Undefine refuses a domain with checkpoints: their metadata goes first.
    lab.on_drop(format!(
        "for c in $(virsh checkpoint-list {name} --name); do virsh checkpoint-delete {name} $c --metadata; done"
    ));
    let image = dir.join("ck.qcow2");
    sh_ok(&format!("qemu-img create -f qcow2 {} 64M", image.display()));
    let disk = format!(
        "<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{}'/><target dev='vda' bus='virtio'/></disk>",
        image.display()
    );
    let file = dir.join("ck.xml");
    std::fs::write(&file, kit_guest_xml(&name).replace("<devices>", &disk)).unwrap();
    sh_ok(&format!("virsh define {} && virsh start {name}", file.display()));
    name
}

/// The checkpoint verbs on a running guest's qcow2 disk, virsh as the oracle: create-as makes
/// a dirty bitmap QEMU reports (query-named-block-nodes), list/info/parent/dumpxml print what virsh prints for the same words,
/// --print-xml makes nothing, delete removes it for virsh too; an unknown checkpoint is exit 3
/// and a shut-off domain libvirt's refusal, nothing changed.
#[test]
fn checkpoints_do_what_virsh_does() {
    let lab = lab!();
    let dir = lab.dir("ckpt");
    let name = checkpoint_guest(&lab, &dir);
    let printed = vm(&["checkpoint-create-as", &name, "--name", "c0", "--print-xml"])
        .ok()
        .stdout;
    assert!(printed.contains("<name>c0</name>"), "{printed}");
    assert_eq!(sh_ok(&format!("virsh checkpoint-list {name} --name")).trim(), "");
    let made = vm(&[
        "checkpoint-create-as",
        &name,
        "--name",
        "c1",
        "--description",
        "base",
    ])
    .ok()
    .json();
    assert_eq!(
        (made["name"].as_str(), made["changed"].as_bool()),
        (Some("c1"), Some(true))
    );
    // A bare second word is the name, as virsh fills --name.
    vm(&[
        "checkpoint-create-as",
        &name,
        "c2",
        "--diskspec",
        "vda,checkpoint=bitmap",
    ])
    .ok();
    // QEMU's own view: the disk's dirty bitmaps (on the image only once the guest stops).
    let bitmaps = || {
        sh_ok(&format!(
            "virsh qemu-monitor-command {name} '{{\"execute\":\"query-named-block-nodes\"}}'"
        ))
    };
    let nodes = bitmaps();
    assert!(
        nodes.contains("\"name\":\"c1\"") && nodes.contains("\"name\":\"c2\""),
        "{nodes}"
    );
    for line in [
        format!("checkpoint-list {name}"),
        format!("checkpoint-list {name} --parent"),
        format!("checkpoint-list {name} --name"),
        format!("checkpoint-list {name} --roots"),
        format!("checkpoint-list {name} --from c1 --descendants"),
        format!("checkpoint-info {name} c2"),
        format!("checkpoint-info {name} --checkpointname c1"),
        format!("checkpoint-parent {name} c2"),
        format!("checkpoint-dumpxml {name} c1 --no-domain"),
    ] {
        let mut words: Vec<&str> = line.split_whitespace().collect();
        words.extend(["-o", "text"]);
        assert_eq!(vm(&words).ok().stdout, sh_ok(&format!("virsh {line}")), "{line}");
        words.truncate(words.len() - 2);
        if !line.starts_with("checkpoint-dumpxml") {
            vm(&words).ok().json();
        }
    }
    let before = sh_ok(&format!(
        "virsh checkpoint-list {name} --parent; virsh dumpxml {name}"
    ));
    assert_ne!(sh(&format!("virsh checkpoint-info {name} nosuch")).code, 0);
    vm(&["checkpoint-info", &name, "nosuch"]).fails(3, "nosuch");
    vm(&["checkpoint-parent", &name, "c1"]).fails(3, "no parent");
    vm(&["checkpoint-delete", &name, "nosuch"]).fails(3, "nosuch");
    vm(&["checkpoint-create-as", &name, "--diskspec", "vda,checkpoint=full"]).fails(7, "checkpoint=full");
    assert_eq!(
        sh_ok(&format!(
            "virsh checkpoint-list {name} --parent; virsh dumpxml {name}"
        )),
        before
    );
    let gone = vm(&["checkpoint-delete", &name, "c1", "--children"]).ok().json();
    assert_eq!(gone["deleted"].as_array().map(Vec::len), Some(2), "{gone}");
    assert_eq!(sh_ok(&format!("virsh checkpoint-list {name} --name")).trim(), "");
    let nodes = bitmaps();
    assert!(!nodes.contains("\"name\":\"c1\""), "{nodes}");
    backups(&name, &dir);
    sh_ok(&format!("virsh destroy {name}"));
    assert_ne!(
        sh(&format!("virsh checkpoint-create-as {name} --name c3")).code,
        0
    );
    let run = vm(&["checkpoint-create-as", &name, "--name", "c3"]);
    assert_ne!(run.code, 0, "{run:?}");
    // Only the backup's checkpoint is left.
    assert_eq!(
        sh_ok(&format!("virsh checkpoint-list {name} --name")).trim(),
        "cb"
    );
}

/// Waits until the domain has no job (a push backup finished).
fn job_done(name: &str) {
    let since = std::time::Instant::now();
    while !sh_ok(&format!("virsh domjobinfo {name}")).contains("None") {
        assert!(
            since.elapsed() < std::time::Duration::from_secs(60),
            "the backup job never ended"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// backup-begin and backup-dumpxml on the running checkpoint guest: a push backup writes a copy
/// qemu-img reads (virsh's line for the same words); a pull backup with a checkpoint runs until
/// domjobabort, backup-dumpxml printing what virsh prints meanwhile; a missing or malformed
/// document starts nothing.
fn backups(name: &str, dir: &Path) {
    let images = || sh_ok(&format!("ls {}", dir.display()));
    let before = images();
    assert_eq!(
        vm(&["backup-begin", name, "-o", "text"]).ok().stdout,
        "Backup started\n"
    );
    job_done(name);
    let copy = images()
        .lines()
        .find(|f| f.starts_with("ck.qcow2.") && !before.contains(*f))
        .map(String::from)
        .unwrap_or_else(|| panic!("no backup copy in {}", images()));
    let info = sh_ok(&format!("qemu-img info {}", dir.join(&copy).display()));
    assert!(info.contains("virtual size: 64 MiB"), "{info}");
    // libvirt names the copy by the second: the next one a second later.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let theirs = sh_ok(&format!("virsh backup-begin {name}"));
    assert_eq!(theirs.trim_end(), "Backup started");
    job_done(name);

    let pull = dir.join("pull.xml");
    std::fs::write(
        &pull,
        format!(
            "<domainbackup mode='pull'><server transport='tcp' name='127.0.0.1' port='10809'/>\
             <disks><disk name='vda' backup='yes' type='file'><scratch file='{}'/></disk></disks>\
             </domainbackup>",
            dir.join("scratch.qcow2").display()
        ),
    )
    .unwrap();
    let cp = dir.join("cb.xml");
    std::fs::write(&cp, "<domaincheckpoint><name>cb</name></domaincheckpoint>").unwrap();
    let (pull_s, cp_s) = (pull.display().to_string(), cp.display().to_string());
    let started = vm(&[
        "backup-begin",
        name,
        "--backupxml",
        &pull_s,
        "--checkpointxml",
        &cp_s,
    ])
    .ok()
    .json();
    assert_eq!(started["changed"].as_bool(), Some(true));
    assert!(sh_ok(&format!("virsh domjobinfo {name}")).contains("Backup"));
    assert!(sh_ok(&format!("virsh checkpoint-list {name} --name")).contains("cb"));
    let ours = vm(&["backup-dumpxml", name]).ok().stdout;
    assert_eq!(ours, sh_ok(&format!("virsh backup-dumpxml {name}")));
    assert!(ours.contains("mode='pull'"), "{ours}");
    let json = vm(&["backup-dumpxml", name, "-o", "json"]).ok().json();
    assert!(json["xml"].as_str().unwrap().contains("<domainbackup"), "{json}");
    vm(&["domjobabort", name]).ok();
    assert_ne!(sh(&format!("virsh backup-dumpxml {name}")).code, 0);
    vm(&["backup-dumpxml", name]).fails(3, "no backup job");

    let missing = dir.join("nosuch.xml").display().to_string();
    let bad = dir.join("bad.xml");
    std::fs::write(&bad, "<domainbackup").unwrap();
    let before = images();
    vm(&["backup-begin", name, "--backupxml", &missing]).fails(3, "nosuch.xml");
    vm(&["backup-begin", name, "--backupxml", &bad.display().to_string()]).fails(7, "bad.xml");
    assert!(sh_ok(&format!("virsh domjobinfo {name}")).contains("None"));
    assert_eq!(images(), before);
}
