//! `vnet-vm install`'s option table against real virt-install 4.1 (.ci/install-deps installs
//! virtinst): the same line given to `virt-install --print-xml` and `vnet-vm install --print-xml`
//! against the sandbox's libvirtd, both documents canonicalized (attributes sorted, children
//! sorted, whitespace dropped; generated MACs, UUIDs, PCI addresses and aliases left out) and the
//! elements each option produces compared. Many non-interacting options share one virt-install
//! call (each costs 2-3.5 s here). Also: every option `virt-install --help` lists either works or
//! is refused by name with exit 7 and nothing changed, never a usage error.

use std::path::Path;
use vnet_tests::*;

/// Python's ElementTree (virtinst's own runtime) prints, for each XPath, the canonical form of
/// every element it finds below `<domain>`, one per line, sorted.
const CANON: &str = r#"
import sys, xml.etree.ElementTree as ET
SKIP = {"address", "alias"}
# A device's own (guest) address and alias are generated; an address deeper down is a source's
# (a host device's, --hostdev) and compared.
def canon(e, top=True):
    attrs = ",".join(f"{k}={v}" for k, v in sorted(e.attrib.items()))
    kids = sorted(canon(c, False) for c in e if not (top and c.tag in SKIP))
    text = (e.text or "").strip()
    return f"<{e.tag} {attrs}>{text}" + "".join(kids) + f"</{e.tag}>"
root = ET.parse(sys.argv[1]).getroot()
for path in sys.argv[2:]:
    for line in sorted(canon(e) for e in root.findall(path)):
        print(path, line)
"#;

fn canonical(xml: &str, dir: &Path, stem: &str, paths: &[&str]) -> String {
    let file = dir.join(format!("{stem}.xml"));
    std::fs::write(&file, xml).unwrap();
    let script = dir.join("canon.py");
    std::fs::write(&script, CANON).unwrap();
    let quoted: Vec<String> = paths.iter().map(|p| format!("\"{p}\"")).collect();
    sh_ok(&format!(
        "python3 {} {} {}",
        script.display(),
        file.display(),
        quoted.join(" ")
    ))
}

/// One line run by both tools with --print-xml; the elements at `paths` must be the same.
fn compare(lab: &Lab, stem: &str, line: &[&str], paths: &[&str]) {
    compare_in(lab, &lab_dir(lab, stem), stem, line, paths)
}

/// [`compare`] with the files of `dir` (the line names them).
fn compare_in(lab: &Lab, dir: &Path, stem: &str, line: &[&str], paths: &[&str]) {
    let dir = dir.to_path_buf();
    let kernel = dir.join("vmlinuz");
    std::fs::write(&kernel, b"kernel").unwrap();
    let name = lab.domain(stem);
    let boot = format!("kernel={}", kernel.display());
    let mut args = vec!["--name", &name, "--memory", "256", "--virt-type", "qemu"];
    // The line's own --osinfo, --disk or --graphics (or --vnc, or --keymap: its line wants
    // virt-install's default display) replaces the base one.
    let base: [(&str, &str, &[&str]); 4] = [
        ("--osinfo", "generic", &[]),
        ("--boot", boot.as_str(), &["--cdrom", "--location"]),
        ("--disk", "none", &[]),
        ("--graphics", "none", &["--vnc", "--keymap"]),
    ];
    for (flag, value, others) in base {
        if !line.contains(&flag) && !others.iter().any(|o| line.contains(o)) {
            args.extend([flag, value]);
        }
    }
    if !line.contains(&"--print-xml") {
        args.push("--print-xml");
    }
    args.extend_from_slice(line);
    // vnet-vm first: virt-install 4.1's --print-xml creates the volumes of new disks.
    let mut ours_args = vec!["install"];
    ours_args.extend_from_slice(&args);
    let ours = vm(&ours_args).ok().stdout;
    // Single-quoted for the shell, a quote inside as '\'' (XPath predicates hold quotes).
    let quoted: Vec<String> = args
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let theirs = sh_ok(&format!("virt-install {} 2>/dev/null", quoted.join(" ")));
    let want = canonical(&theirs, &dir, "virt-install", paths);
    let got = canonical(&ours, &dir, "vnet-vm", paths);
    for path in paths {
        assert!(
            want.lines().any(|l| l.starts_with(path)),
            "virt-install made no {path}:\n{theirs}"
        );
    }
    assert_eq!(got, want, "vnet-vm's XML:\n{ours}\nvirt-install's:\n{theirs}");
}

/// The table-driven devices and top-level elements in one call.
#[test]
fn devices_and_top_level_elements_match_virt_install() {
    let lab = lab!();
    default_network(&lab);
    compare(
        &lab,
        "dev",
        &[
            "--network",
            "none",
            "--watchdog",
            "i6300esb,action=reset",
            "--rng",
            "/dev/urandom",
            "--channel",
            "unix,target.type=virtio,name=org.qemu.guest_agent.0",
            "--controller",
            "type=scsi,model=virtio-scsi",
            "--tpm",
            "emulator",
            "--sound",
            "ich9",
            "--memorybacking",
            "source.type=memfd,access.mode=shared",
            "--filesystem",
            "/srv,share",
            "--events",
            "on_poweroff=destroy,on_reboot=restart,on_crash=restart",
        ],
        &[
            "./devices/watchdog",
            "./devices/rng",
            "./devices/channel",
            "./devices/controller[@type='scsi']",
            "./devices/tpm",
            "./devices/sound",
            "./memoryBacking",
            "./devices/filesystem",
            "./on_poweroff",
            "./on_reboot",
            "./on_crash",
        ],
    );
}

/// The tuning, metadata and further device options in one call.
#[test]
fn tuning_metadata_and_more_devices_match_virt_install() {
    let lab = lab!();
    compare(
        &lab,
        "tune",
        &[
            "--network",
            "none",
            "--metadata",
            "title=T1,description=a guest",
            "--iothreads",
            "4",
            "--numatune",
            "0,mode=strict",
            "--blkiotune",
            "weight=100",
            "--memtune",
            "hard_limit=1048576",
            "--resource",
            "partition=/machine",
            "--input",
            "tablet",
            "--redirdev",
            "usb,type=spicevmc",
            "--panic",
            "isa",
            "--shmem",
            "shmem0",
            "--vsock",
            "cid.auto=yes",
            "--iommu",
            "model=intel",
        ],
        &[
            "./title",
            "./description",
            "./iothreads",
            "./numatune",
            "./blkiotune",
            "./memtune",
            "./resource",
            "./devices/input[@type='tablet']",
            "./devices/redirdev",
            "./devices/panic",
            "./devices/shmem",
            "./devices/vsock",
            "./devices/iommu",
        ],
    );
}

/// --network's grammar: the bridge:BR shorthand, model.type= and mac.address=. (The model is
/// given on both: with --osinfo generic virt-install's default NIC is e1000, vnet-vm's virtio.)
#[test]
fn network_grammar_matches_virt_install() {
    let lab = lab!();
    default_network(&lab);
    compare(
        &lab,
        "nic",
        &[
            "--network",
            "network=default,model.type=e1000,mac.address=52:54:00:12:34:56",
            "--network",
            "bridge:virbr0,mac=52:54:00:12:34:57,model=virtio",
        ],
        &["./devices/interface"],
    );
}

/// A loop device on a file of `dir`, detached when the lab ends.
fn loop_device(lab: &Lab, dir: &Path) -> String {
    let file = dir.join("loop.img");
    sh_ok(&format!("truncate -s 64M {}", file.display()));
    let dev = sh_ok(&format!("losetup -f --show {}", file.display()))
        .trim()
        .to_string();
    lab.on_drop(format!("losetup -d {dev}"));
    dev
}

/// A dir pool of the lab's own in `dir/pool`, removed with its volumes at the end.
fn lab_pool(lab: &Lab, dir: &Path) -> String {
    let pool = lab.name("pool");
    let target = dir.join("pool");
    sh_ok(&format!(
        "virsh pool-define-as {pool} dir --target {} && virsh pool-build {pool} && virsh pool-start {pool}",
        target.display()
    ));
    lab.on_drop(format!("virsh pool-destroy {pool}; virsh pool-undefine {pool}"));
    pool
}

/// --disk's grammar: a new image (discard=unmap), a block device (type=block, cache=none,
/// io=native, discard=unmap), a CD-ROM with every per-disk property, driver attributes on SCSI,
/// pool=NAME,size=N, a floppy, a LUN and a USB disk; bus=scsi's virtio-scsi controller (with an
/// osinfo that virt-install gives one).
#[test]
fn disk_grammar_matches_virt_install() {
    let lab = lab!();
    let dir = lab_dir(&lab, "disk");
    for f in ["e1.img", "e2.img", "e3.img", "e4.img"] {
        sh_ok(&format!("truncate -s 16M {}", dir.join(f).display()));
    }
    let dev = loop_device(&lab, &dir);
    let pool = lab_pool(&lab, &dir);
    let at = |f: &str| dir.join(f).display().to_string();
    // No format=: a new image is qcow2 for both, whatever its name.
    let new = format!("path={},size=1,bus=virtio", at("new.img"));
    let block = format!("{dev},bus=virtio");
    let cdrom = format!(
        "path={},device=cdrom,bus=sata,readonly=on,shareable=on,boot.order=2,serial=abc,target.dev=sdc",
        at("e1.img")
    );
    let scsi = format!(
        "path={},bus=scsi,format=raw,cache=writeback,io=threads,discard=ignore",
        at("e2.img")
    );
    let in_pool = format!("pool={pool},size=1");
    let floppy = format!("{},device=floppy", at("e3.img"));
    let usb = format!("{},bus=usb", at("e4.img"));
    let line = [
        "--network",
        "none",
        "--osinfo",
        "debian11",
        "--disk",
        &new,
        "--disk",
        &block,
        "--disk",
        &cdrom,
        "--disk",
        &scsi,
        "--disk",
        &in_pool,
        "--disk",
        &floppy,
        "--disk",
        &usb,
    ];
    compare_in(
        &lab,
        &dir,
        "disk",
        &line,
        &["./devices/disk", "./devices/controller[@type='scsi']"],
    );
    let lun = format!("{dev},device=lun,bus=scsi");
    let line = ["--network", "none", "--disk", &lun];
    compare_in(&lab, &dir, "lun", &line, &["./devices/disk"]);
}

/// --graphics (vnc with listen/port/password, spice with virt-install's defaults), --cpu with
/// features, --serial, --console, --video and --machine in one call.
#[test]
fn display_cpu_console_and_machine_match_virt_install() {
    let lab = lab!();
    compare(
        &lab,
        "gfx",
        &[
            "--network",
            "none",
            "--graphics",
            "vnc,listen=0.0.0.0,port=5901,password=secret",
            "--graphics",
            "spice",
            "--cpu",
            "host-model,+vmx,-svm",
            "--serial",
            "pty",
            "--console",
            "pty,target.type=virtio",
            "--video",
            "vga",
            "--machine",
            "q35",
            "--arch",
            "x86_64",
        ],
        &[
            "./devices/graphics",
            "./cpu",
            "./devices/serial",
            "./devices/console",
            "./devices/video",
            "./os/type",
        ],
    );
}

/// --network type=direct (a macvtap on a veth end of the lab's; the MAC given, virt-install
/// generates one otherwise) and the older --vnc.
#[test]
fn direct_network_and_old_vnc_match_virt_install() {
    let lab = lab!();
    let dev = lab.link("d");
    let peer = lab.link("p");
    sh_ok(&format!("ip link add {dev} type veth peer name {peer}"));
    let direct = format!("type=direct,source={dev},source_mode=bridge,model=virtio,mac=52:54:00:12:34:58");
    compare(
        &lab,
        "direct",
        &["--network", &direct, "--vnc"],
        &["./devices/interface", "./devices/graphics"],
    );
}

/// No --graphics: virt-install's default display (vnc here, where QEMU offers no spice; a video
/// card and a USB tablet beside it); --keymap without --vnc sets nothing (virt-install 4.1
/// ignores it), with --vnc it is the keymap; keymap=local and keymap=none write none; an
/// --input of the line's own replaces the tablet.
#[test]
fn default_display_and_keymaps_match_virt_install() {
    let lab = lab!();
    let paths = ["./devices/graphics", "./devices/video", "./devices/input"];
    compare(&lab, "defgfx", &["--network", "none", "--keymap", "de"], &paths);
    compare(
        &lab,
        "oldkm",
        &["--network", "none", "--vnc", "--keymap", "de"],
        &paths,
    );
    let local = [
        "--network",
        "none",
        "--graphics",
        "vnc,keymap=local,port=5905",
        "--graphics",
        "spice,keymap=none",
        "--input",
        "mouse,bus=ps2",
    ];
    compare(&lab, "lockm", &local, &paths);
}

/// --graphics none and --nographics keep the guest without a display (no graphics, video or
/// tablet); --keymap beside --graphics is 7 for both tools, beside --nographics 7 naming it
/// (virt-install writes a `<graphics type='none'>` there); nothing is changed either way.
#[test]
fn no_display_forms_and_keymap_refusals() {
    let lab = lab!();
    let dir = lab_dir(&lab, "nogfx");
    let kernel = dir.join("vmlinuz");
    std::fs::write(&kernel, b"kernel").unwrap();
    let name = lab.domain("nogfx");
    let boot = format!("kernel={}", kernel.display());
    let base = [
        "--name",
        &name,
        "--memory",
        "256",
        "--osinfo",
        "generic",
        "--boot",
        &boot,
        "--disk",
        "none",
        "--network",
        "none",
        "--print-xml",
    ];
    let ours = |extra: &[&str]| vm(&[&["install", "--virt-type", "qemu"], &base[..], extra].concat());
    for none in [&["--graphics", "none"][..], &["--nographics"]] {
        let xml = ours(none).ok().stdout;
        for element in ["<graphics", "<video", "<input"] {
            assert!(!xml.contains(element), "{none:?} made {element}: {xml}");
        }
    }
    let before = libvirt_state(&dir);
    ours(&["--nographics", "--keymap", "de"]).fails(7, "--keymap with --nographics is not supported");
    ours(&["--graphics", "vnc", "--keymap", "de"]).fails(7, "cannot mix --graphics");
    let quoted: Vec<String> = base.iter().map(|a| format!("'{a}'")).collect();
    let theirs = sh(&format!(
        "virt-install --virt-type qemu {} --graphics vnc --keymap de",
        quoted.join(" ")
    ));
    assert_ne!(
        theirs.code, 0,
        "virt-install mixed --graphics and --keymap: {theirs:?}"
    );
    assert_eq!(libvirt_state(&dir), before);
}

/// The options that set properties of the domain document itself, in one call: --features,
/// --clock (timers given, so virt-install adds none of its own; not the NAME_present forms,
/// which virt-install 4.1 writes onto the wrong timer), --pm, --sysinfo, --cputune,
/// --keywrap, --qemu-commandline (arguments, then the environment, in the qemu namespace) and
/// --memdev (MiB given, KiB written).
#[test]
fn document_property_options_match_virt_install() {
    let lab = lab!();
    compare(
        &lab,
        "props",
        &[
            "--network",
            "none",
            "--features",
            "kvm_hidden=on,smm.state=on,hyperv.relaxed.state=on,vmport.state=off,apic.eoi=on,pmu.state=off,ioapic.driver=qemu",
            "--clock",
            "offset=localtime,timer0.name=rtc,timer0.tickpolicy=catchup,timer1.name=pit,timer1.tickpolicy=delay,timer2.name=hpet,timer2.present=no",
            "--pm",
            "suspend_to_mem.enabled=off,suspend_to_disk.enabled=off",
            "--sysinfo",
            "bios.vendor=Vnet,system.serial=S-123,system.manufacturer=Acme,baseBoard.product=B1,oemStrings.entry0=a,oemStrings.entry1=b",
            "--cputune",
            "shares=2048,vcpupin0.vcpu=0,vcpupin0.cpuset=0,1,emulatorpin.cpuset=1",
            "--keywrap",
            "cipher0.name=aes,cipher0.state=on,cipher1.name=dea,cipher1.state=off",
            "--qemu-commandline=-device isa-debugcon,iobase=0x402",
            "--qemu-commandline",
            "env=VNET_TEST=1",
            "--memdev",
            "dimm,target.size=512,target.node=0",
        ],
        &[
            "./features",
            "./clock",
            "./pm",
            "./sysinfo",
            "./os/smbios",
            "./cputune",
            "./keywrap",
            "./{http://libvirt.org/schemas/domain/qemu/1.0}commandline",
            "./devices/memory",
        ],
    );
}

/// --sysinfo host (SMBIOS from the host: `<os><smbios mode='host'/>`, no `<sysinfo>`) and
/// --boot's BIOS-firmware forms: loader=,loader.readonly=,loader.type=,nvram.template=, the boot
/// menu and serial BIOS output.
#[test]
fn boot_loader_forms_and_sysinfo_host_match_virt_install() {
    let lab = lab!();
    let dir = lab_dir(&lab, "loader");
    let boot = format!(
        "kernel={}/vmlinuz,loader=/usr/share/OVMF/OVMF_CODE_4M.fd,loader.readonly=yes,loader.type=pflash,\
         nvram.template=/usr/share/OVMF/OVMF_VARS_4M.fd,menu=on,bootmenu.timeout=3000,useserial=on,rebootTimeout=0",
        dir.display()
    );
    let line = ["--network", "none", "--boot", &boot, "--sysinfo", "host"];
    let paths = [
        "./os/loader",
        "./os/nvram",
        "./os/bootmenu",
        "./os/bios",
        "./os/smbios",
    ];
    compare_in(&lab, &dir, "loader", &line, &paths);
}

/// --boot's UEFI forms real scripts use: uefi=on, and firmware=efi with firmware.featureN
/// (secure boot off), on q35 as both tools choose.
#[test]
fn boot_uefi_forms_match_virt_install() {
    let lab = lab!();
    let dir = lab_dir(&lab, "uefi");
    let boot = format!("uefi=on,kernel={}/vmlinuz", dir.display());
    let line = ["--network", "none", "--boot", &boot, "--machine", "q35"];
    compare_in(&lab, &dir, "uefi", &line, &["./os"]);
    let boot = format!(
        "firmware=efi,firmware.feature0.name=secure-boot,firmware.feature0.enabled=no,\
         firmware.feature1.name=enrolled-keys,firmware.feature1.enabled=no,kernel={}/vmlinuz",
        dir.display()
    );
    let line = ["--network", "none", "--boot", &boot, "--machine", "q35"];
    compare_in(&lab, &dir, "fwfeat", &line, &["./os"]);
    // SEV as virt-install prints it (what is given); it needs the q35 UEFI guest.
    let boot = format!("uefi,kernel={}/vmlinuz", dir.display());
    let sev = "sev,policy=0x07,cbitpos=47,reducedPhysBits=1";
    let line = [
        "--network",
        "none",
        "--boot",
        &boot,
        "--machine",
        "q35",
        "--launchSecurity",
        sev,
    ];
    compare_in(&lab, &dir, "sev", &line, &["./launchSecurity"]);
}

/// --xml's XPath edits after every other option, in order: the bare XPATH=VALUE form, xpath.set
/// with xpath.value, xpath.create, xpath.delete of an attribute and of the second of two
/// elements, `[N]` and `[@attr='v']` steps. (Inside the keyed xpath.set= form virt-install's
/// option tokenizer strips the quotes of a predicate, which then matches nothing and makes a
/// second element; vnet-vm reads the XPath as written, so the predicate is in the bare form.)
#[test]
fn xml_xpath_edits_match_virt_install() {
    let lab = lab!();
    compare(
        &lab,
        "xpath",
        &[
            "--network",
            "none",
            "--graphics",
            "vnc",
            "--watchdog",
            "i6300esb,action=reset",
            "--sound",
            "ich9",
            "--sound",
            "ac97",
            "--xml",
            "./devices/graphics/@listen=0.0.0.0",
            "--xml",
            "./devices/graphics[@type='vnc']/@keymap=de",
            "--xml",
            "xpath.set=./devices/graphics/@passwd,xpath.value=secret",
            "--xml",
            "xpath.create=./features/pae",
            "--xml",
            "xpath.delete=./devices/watchdog/@action",
            "--xml",
            "./devices/watchdog[1]/@model=ib700",
            "--xml",
            "xpath.delete=./devices/sound[2]",
            "--xml",
            "./metadata/title=set, by --xml",
        ],
        &[
            "./devices/graphics",
            "./features/pae",
            "./devices/watchdog",
            "./devices/sound",
            "./metadata",
        ],
    );
}

/// Bad values of the document options: exit 7 naming the sub-option or the XPath, before
/// anything is touched (virsh's domain, pool and volume lists the same before and after).
#[test]
fn bad_document_options_are_7_naming_them_and_change_nothing() {
    let lab = lab!();
    let dir = lab_dir(&lab, "badopt");
    let kernel = dir.join("vmlinuz");
    std::fs::write(&kernel, b"kernel").unwrap();
    let name = lab.domain("badopt");
    let boot = format!("kernel={}", kernel.display());
    let bad_boot = format!("{boot},loader.readonly=perhaps");
    let cases: [(&str, &str, &str); 12] = [
        ("--features", "kvm_hidden=maybe", "kvm_hidden"),
        ("--features", "warp_drive=on", "warp_drive"),
        ("--clock", "timer0.colour=red", "timer0.colour"),
        ("--sysinfo", "windows", "type="),
        (
            "--pm",
            "suspend_to_mem.enabled=sometimes",
            "suspend_to_mem.enabled",
        ),
        ("--cputune", "vcpupin0.bogus=1", "vcpupin0.bogus"),
        ("--qemu-commandline", "env=NOVALUE", "env="),
        ("--xml", "./devices/*/@x=1", "./devices/*/@x"),
        ("--xml", "xpath.frobnicate=./a", "xpath.frobnicate"),
        ("--boot", &bad_boot, "loader.readonly"),
        ("--launchsecurity", "sev,policy=0x07", "Q35 UEFI"),
        ("--memdev", "dimm,target.size=lots", "target.size"),
    ];
    for (flag, value, needle) in cases {
        let before = libvirt_state(&dir);
        let mut args = vec![
            "install",
            "--name",
            &name,
            "--memory",
            "256",
            "--virt-type",
            "qemu",
        ];
        args.extend(["--disk", "none", "--network", "none", "--graphics", "none"]);
        if flag != "--boot" {
            args.extend(["--boot", &boot]);
        }
        args.extend([flag, value]);
        vm(&args).fails(7, needle);
        assert_eq!(libvirt_state(&dir), before, "{flag} {value} changed something");
    }
}

/// The document options on a real guest: the kit's kernel installed with --sysinfo, --features,
/// --clock, --pm, --qemu-commandline and --xml edits; libvirt keeps every property (virsh
/// dumpxml) and the guest reads the SMBIOS serial it was given from its own DMI tables.
#[test]
fn document_options_reach_a_running_guest() {
    let lab = lab!();
    let dir = lab_dir(&lab, "docvm");
    for f in ["vmlinuz", "initrd.gz"] {
        std::fs::copy(kit().join(f), dir.join(f)).unwrap();
    }
    let boot = format!(
        "kernel={},initrd={},kernel_args=console=ttyS0,menu=on",
        dir.join("vmlinuz").display(),
        dir.join("initrd.gz").display()
    );
    let name = lab.domain("docvm");
    vm(&[
        "install",
        "--name",
        &name,
        "--noautoconsole",
        "--memory",
        "256",
        "--virt-type",
        "qemu",
        "--boot",
        &boot,
        "--disk",
        "none",
        "--network",
        "none",
        "--sysinfo",
        "system.serial=VNET-SERIAL-7,system.manufacturer=Vnet",
        "--features",
        "kvm_hidden=on,pmu.state=off",
        "--clock",
        "offset=localtime,timer0.name=rtc,timer0.tickpolicy=catchup",
        "--pm",
        "suspend_to_mem.enabled=off,suspend_to_disk.enabled=off",
        "--qemu-commandline",
        "env=VNET_DOC=1",
        "--xml",
        "./description=set by --xml",
        "--xml",
        "xpath.delete=./on_crash",
    ])
    .ok();
    let xml = sh_ok(&format!("virsh dumpxml {name}"));
    for want in [
        "<entry name='serial'>VNET-SERIAL-7</entry>",
        "<smbios mode='sysinfo'/>",
        "<bootmenu enable='yes'/>",
        "<hidden state='on'/>",
        "<pmu state='off'/>",
        "<clock offset='localtime'>",
        "<timer name='rtc' tickpolicy='catchup'/>",
        "<suspend-to-mem enabled='no'/>",
        "<qemu:env name='VNET_DOC' value='1'/>",
        "<description>set by --xml</description>",
    ] {
        assert!(xml.contains(want), "libvirt lost {want}:\n{xml}");
    }
    // libvirt's default for a removed on_crash is destroy, as install's own default.
    assert!(xml.contains("<on_crash>destroy</on_crash>"), "{xml}");
    let wait = std::time::Duration::from_secs(90);
    until_console(&name, "cat /sys/class/dmi/id/product_serial", wait, |out| {
        out.contains("VNET-SERIAL-7")
    });
}

/// virt-install's numbered --print-xml: a --cdrom install's step 2 boots the disk with the
/// CD-ROM empty; the plain form prints both steps; a kernel boot has no step 2 (7, nothing
/// changed) and a step 3 is no step (7).
#[test]
fn numbered_print_xml_matches_virt_install() {
    let lab = lab!();
    let dir = lab_dir(&lab, "steps");
    let iso = dir.join("x.iso");
    let disk = dir.join("d.img");
    sh_ok(&format!("truncate -s 1M {} {}", iso.display(), disk.display()));
    let (iso, disk) = (iso.display().to_string(), format!("{},bus=ide", disk.display()));
    let line = [
        "--network",
        "none",
        "--cdrom",
        &iso,
        "--disk",
        &disk,
        "--print-xml",
        "2",
    ];
    compare_in(&lab, &dir, "steps", &line, &["./os/boot", "./devices/disk"]);
    let name = lab.domain("all");
    let both = |tool: &str| {
        sh_ok(&format!(
            "{tool} --print-xml --name {name} --memory 256 --virt-type qemu --osinfo generic \
             --network none --graphics none --cdrom {iso} --disk {disk} 2>/dev/null | grep -c '<domain'"
        ))
    };
    assert_eq!(both("virt-install").trim(), "2");
    let ours = format!("{} install", bin_dir().join("vnet-vm").display());
    assert_eq!(both(&ours).trim(), "2");
    let before = libvirt_state(&dir);
    let kernel = format!("kernel={iso}");
    let base = ["install", "--name", &name, "--disk", "none", "--network", "none"];
    vm(&[&base[..], &["--boot", &kernel, "--print-xml", "2"]].concat()).fails(7, "no XML step 2");
    vm(&[&base[..], &["--cdrom", &iso, "--print-xml", "3"]].concat()).fails(7, "must be 1, 2, or all");
    assert_eq!(libvirt_state(&dir), before);
}

/// virt-install's lines without an install method: --print-xml alone, --boot hd and --import
/// with --disk none define the domain as --import does (the disks booted as they are, none with
/// --disk none): the same boot and disk elements as virt-install's; --print-xml 2 is no step of
/// such a line (7; virt-install fails too) and a line with neither an install method nor
/// --print-xml still needs one (2), nothing changed by any of them.
#[test]
fn print_xml_without_install_method_matches_virt_install() {
    let lab = lab!();
    let dir = lab_dir(&lab, "noinst");
    let image = dir.join("disk.qcow2");
    sh_ok(&format!("qemu-img create -f qcow2 {} 64M", image.display()));
    let name = lab.domain("noinst");
    let common = format!(
        "--name {name} --memory 256 --virt-type qemu --osinfo generic --network none --graphics none"
    );
    let ours_bin = format!("{} install", bin_dir().join("vnet-vm").display());
    // The canonical forms go elsewhere: `dir` is what the lines must leave as it was.
    let canon_dir = lab.dir("canon");
    let both = |line: &str, stem: &str, paths: &[&str]| {
        let before = libvirt_state(&dir);
        let got = sh_ok(&format!("{ours_bin} {common} {line}"));
        assert_eq!(libvirt_state(&dir), before, "vnet-vm {line} changed something");
        let want = sh_ok(&format!("virt-install {common} {line} 2>/dev/null"));
        assert!(
            !got.contains("<kernel") && !want.contains("<kernel"),
            "{got}\n{want}"
        );
        assert_eq!(
            canonical(&got, &canon_dir, &format!("{stem}-ours"), paths),
            canonical(&want, &canon_dir, &format!("{stem}-theirs"), paths),
            "vnet-vm's XML:\n{got}\nvirt-install's:\n{want}"
        );
        (got, want)
    };
    let (got, want) = both("--disk none --print-xml", "none", &["./os/boot"]);
    assert!(!got.contains("<disk") && !want.contains("<disk"), "{got}\n{want}");
    let disk = format!("--disk {},bus=virtio", image.display());
    let paths = ["./os/boot", "./devices/disk"];
    both(&format!("{disk} --print-xml"), "disk", &paths);
    both(&format!("{disk} --boot hd --print-xml 1"), "boothd", &paths);
    both("--import --disk none --print-xml", "import", &["./os/boot"]);
    // virt-install's --print-xml made a pool for the image's folder; from here on nothing changes.
    let before = libvirt_state(&dir);
    let step2 = format!("{common} --disk none --print-xml 2");
    assert_ne!(sh(&format!("virt-install {step2}")).code, 0);
    let words: Vec<&str> = step2.split_whitespace().collect();
    vm(&[&["install"], &words[..]].concat()).fails(7, "no XML step 2");
    let dry = format!("{common} --import --disk none --dry-run");
    sh_ok(&format!("virt-install {dry}"));
    let words: Vec<&str> = dry.split_whitespace().collect();
    let out = vm(&[&["install"], &words[..]].concat()).ok().json();
    assert_eq!(out["dry_run"].as_bool(), Some(true), "{out}");
    let none = format!("{common} --disk none --noautoconsole");
    assert!(sh(&format!("virt-install {none}"))
        .stderr
        .contains("install method must be specified"));
    let words: Vec<&str> = none.split_whitespace().collect();
    vm(&[&["install"], &words[..]].concat()).fails(2, "install method");
    assert_eq!(libvirt_state(&dir), before);
}

/// The options of `virt-install --help`, with whether each takes a value.
fn virt_install_options() -> Vec<(String, bool)> {
    let help = sh_ok("virt-install --help");
    let mut out: Vec<(String, bool)> = Vec::new();
    // Option lines start with two spaces and a dash (deeper lines are examples).
    for line in help.lines().filter(|l| l.starts_with("  -")) {
        for item in line.trim().split(", ") {
            let mut words = item.split_whitespace();
            let Some(flag) = words.next().and_then(|w| w.strip_prefix("--")) else {
                continue;
            };
            if ["help", "version"].contains(&flag) || out.iter().any(|(f, _)| f == flag) {
                continue;
            }
            let takes_value = words
                .next()
                .is_some_and(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
            out.push((flag.to_string(), takes_value));
        }
    }
    out
}

/// Every virt-install option works or is refused by name (exit 7, nothing defined, no pool or
/// volume made); none is unknown to the command line; an unknown sub-option is 7 naming it.
#[test]
fn every_virt_install_option_works_or_is_refused_by_name() {
    let lab = lab!();
    let dir = lab_dir(&lab, "opts");
    let kernel = dir.join("vmlinuz");
    std::fs::write(&kernel, b"kernel").unwrap();
    let name = lab.domain("opts");
    let boot = format!("kernel={}", kernel.display());
    let options = virt_install_options();
    assert!(options.len() > 70, "{options:?}");
    let mut refused = Vec::new();
    for (flag, takes_value) in &options {
        let long = format!("--{flag}");
        let mut args = vec!["install", "--print-xml", "--name", &name, "--boot", &boot];
        args.extend(["--disk", "none", "--network", "none", "--virt-type", "qemu"]);
        args.push(&long);
        if *takes_value {
            args.push("x");
        }
        let before = libvirt_state(&dir);
        let run = vm(&args);
        assert_eq!(libvirt_state(&dir), before, "{long} changed something: {run:?}");
        // Values made up for the probe may be refused (7, 3, or 2 for a method clash or a
        // repeated --name), but the option itself is always known.
        assert!(
            !run.stderr.contains("unexpected argument"),
            "{long} is unknown: {run:?}"
        );
        if run.stderr.contains("is not supported by vnet-vm install") {
            assert_eq!(run.code, 7, "{run:?}");
            // An alias is refused under its option's name (--launchSecurity as --launchsecurity).
            let named = format!(
                "error: {} is not supported by vnet-vm install",
                long.to_lowercase()
            );
            assert!(run.stderr.to_lowercase().contains(&named), "{run:?}");
            refused.push(flag.clone());
        }
    }
    eprintln!("refused by name: {}", refused.join(" "));
    assert!(refused.contains(&"unattended".to_string()));
    let run = vm(&[
        "install",
        "--print-xml",
        "--name",
        &name,
        "--boot",
        &boot,
        "--disk",
        "none",
        "--watchdog",
        "i6300esb,bogus=1",
    ]);
    run.fails(7, "bogus");
}

/// Three real starts of the kit's kernel under TCG: a guest with VNC, the guest-agent channel and
/// --autostart (virsh domdisplay gives its VNC address, virsh dominfo Autostart enable and
/// Persistent yes); a --transient one installed with --wait 1 that returns once the guest is
/// destroyed (Persistent no, then gone); a --wait 0 --noautoconsole one that returns at once with
/// the guest running (no --graphics: virt-install's default VNC display and USB tablet).
#[test]
fn autostart_transient_and_wait_guests_start_as_virsh_sees_them() {
    let lab = lab!();
    let dir = lab_dir(&lab, "life");
    for f in ["vmlinuz", "initrd.gz"] {
        std::fs::copy(kit().join(f), dir.join(f)).unwrap();
    }
    let boot = format!(
        "kernel={},initrd={}",
        dir.join("vmlinuz").display(),
        dir.join("initrd.gz").display()
    );
    let base = [
        "--memory",
        "128",
        "--virt-type",
        "qemu",
        "--boot",
        &boot,
        "--disk",
        "none",
        "--network",
        "none",
    ];
    let info_says = |name: &str, key: &str, value: &str| {
        let info = sh_ok(&format!("virsh dominfo {name}"));
        assert!(
            info.lines().any(|l| l.starts_with(key) && l.ends_with(value)),
            "{key} {value}: {info}"
        );
    };

    let kept = lab.domain("auto");
    let mut args = vec!["install", "--name", &kept, "--noautoconsole", "--autostart"];
    args.extend(base);
    args.extend(["--graphics", "vnc,listen=127.0.0.1"]);
    args.extend(["--channel", "unix,target.type=virtio,name=org.qemu.guest_agent.0"]);
    vm(&args).ok();
    info_says(&kept, "Autostart:", "enable");
    info_says(&kept, "Persistent:", "yes");
    info_says(&kept, "State:", "running");
    let display = sh_ok(&format!("virsh domdisplay {kept}"));
    assert!(display.trim().starts_with("vnc://127.0.0.1:"), "{display}");
    let xml = sh_ok(&format!("virsh dumpxml {kept}"));
    assert!(xml.contains("name='org.qemu.guest_agent.0'"), "{xml}");

    let gone = lab.domain("trans");
    let mut args = vec!["install", "--name", &gone, "--transient", "--wait", "1"];
    args.extend(base);
    // Destroys the guest once it runs (after dominfo, while install --wait is waiting).
    let killer = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "for i in $(seq 120); do virsh domstate {gone} 2>/dev/null | grep -q running && break; sleep 0.5; done; \
             sleep 2; virsh dominfo {gone}; virsh destroy {gone}"
        ))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let run = vm(&args).ok();
    let seen = String::from_utf8(killer.wait_with_output().unwrap().stdout).unwrap();
    assert!(
        seen.lines()
            .any(|l| l.starts_with("Persistent:") && l.ends_with("no")),
        "{seen}"
    );
    assert_eq!(run.json()["shut_off"], true, "{run:?}");
    assert!(!sh_ok("virsh list --all --name").lines().any(|l| l == gone));

    let quick = lab.domain("quick");
    let mut args = vec!["install", "--name", &quick, "--wait", "0", "--noautoconsole"];
    args.extend(base);
    let run = vm(&args).ok();
    assert!(run.json().get("shut_off").is_none(), "{run:?}");
    info_says(&quick, "State:", "running");
    // No --graphics: the running guest has virt-install's default display and USB tablet.
    let display = sh_ok(&format!("virsh domdisplay {quick}"));
    assert!(display.trim().starts_with("vnc://"), "{display}");
    let xml = sh_ok(&format!("virsh dumpxml {quick}"));
    assert!(xml.contains("<input type='tablet' bus='usb'"), "{xml}");

    let before = libvirt_state(&dir);
    let mut args = vec!["install", "--name", &gone, "--transient", "--autostart"];
    args.extend(base);
    vm(&args).fails(7, "--autostart needs a persistent domain");
    assert_eq!(libvirt_state(&dir), before);
}

/// The sandbox host's PCI node devices as libvirt lists them (pci_0000_00_03_0, ...).
fn pci_node_devices() -> Vec<String> {
    let list = sh_ok("virsh nodedev-list --cap pci");
    let names: Vec<String> = list.lines().filter(|l| !l.is_empty()).map(String::from).collect();
    assert!(
        names.len() >= 3,
        "the sandbox host has too few PCI devices: {list}"
    );
    names
}
/// pci_0000_00_03_0 as virt-install's other PCI forms: 00:03.0 and 0000:00:03.0.
fn pci_forms(node: &str) -> (String, String) {
    let p: Vec<&str> = node.trim_start_matches("pci_").split('_').collect();
    (
        format!("{}:{}.{}", p[1], p[2], p[3]),
        format!("{}:{}:{}.{}", p[0], p[1], p[2], p[3]),
    )
}
/// --hostdev (three PCI node devices of the sandbox's host, one per name form, with driver,
/// rom and boot sub-options), --parallel, --audio and --smartcard in one call.
#[test]
fn hostdev_parallel_audio_and_smartcard_match_virt_install() {
    let lab = lab!();
    let dir = lab_dir(&lab, "pass");
    let pci = pci_node_devices();
    let (short, _) = pci_forms(&pci[1]);
    let (_, full) = pci_forms(&pci[2]);
    let full = format!("{full},driver_name=vfio,rom_bar=off,boot.order=2");
    let log = dir.join("parallel.log").display().to_string();
    let file = format!("file,path={log}");
    compare_in(
        &lab,
        &dir,
        "pass",
        &[
            "--network",
            "none",
            "--hostdev",
            &pci[0],
            "--hostdev",
            &short,
            "--hostdev",
            &full,
            "--parallel",
            "pty",
            "--parallel",
            &file,
            "--audio",
            "type=spice",
            "--audio",
            "type=pulseaudio,id=2",
            "--smartcard",
            "passthrough,type=spicevmc",
            "--smartcard",
            "host",
            "--smartcard",
            "passthrough,type=tcp,source.mode=connect,source.host=127.0.0.1,source.service=2001",
        ],
        &[
            "./devices/hostdev",
            "./devices/parallel",
            "./devices/audio",
            "./devices/smartcard",
        ],
    );
}
/// --audio none is no audio device for both tools; bad values of the new device options are 7
/// naming the sub-option (as virt-install refuses them), a USB or PCI address no node device has
/// is 3 (virt-install: "Did not find a matching node device"); nothing is changed either way.
#[test]
fn hostdev_parallel_audio_and_smartcard_refusals() {
    let lab = lab!();
    let dir = lab_dir(&lab, "pbad");
    let kernel = dir.join("vmlinuz");
    std::fs::write(&kernel, b"kernel").unwrap();
    let name = lab.domain("pbad");
    let boot = format!("kernel={}", kernel.display());
    let base = [
        "--name",
        &name,
        "--memory",
        "256",
        "--osinfo",
        "generic",
        "--boot",
        &boot,
        "--disk",
        "none",
        "--network",
        "none",
        "--graphics",
        "none",
        "--print-xml",
    ];
    let theirs = |extra: &[&str]| {
        let quoted: Vec<String> = base.iter().chain(extra).map(|a| format!("'{a}'")).collect();
        sh(&format!("virt-install --virt-type qemu {}", quoted.join(" ")))
    };
    let ours = |extra: &[&str]| vm(&[&["install", "--virt-type", "qemu"], &base[..], extra].concat());
    let none = ours(&["--audio", "none"]).ok().stdout;
    assert!(!none.contains("<audio"), "{none}");
    assert!(!theirs(&["--audio", "none"]).stdout.contains("<audio"));
    let before = libvirt_state(&dir);
    let refusals: [(&[&str], i32, &str); 7] = [
        (&["--hostdev", "001.003"], 3, "001.003"),
        (&["--hostdev", "0x1234:0x5678"], 3, "0x1234:0x5678"),
        (&["--hostdev", "00:1f.7"], 3, "00:1f.7"),
        (&["--hostdev", "nosuchdevice"], 7, "nosuchdevice"),
        (&["--smartcard", "passthrough,bogus=1"], 7, "bogus"),
        (&["--audio", "type=spice,volume=3"], 7, "volume"),
        (&["--parallel", "pty,nosuch=1"], 7, "nosuch"),
    ];
    for (extra, code, needle) in refusals {
        let run = ours(extra);
        run.fails(code, needle);
        assert_ne!(theirs(extra).code, 0, "virt-install accepted {extra:?}");
        assert_eq!(libvirt_state(&dir), before, "{extra:?} changed something");
    }
    // virt-install 4.1's --audio has no positional type.
    ours(&["--audio", "spice"]).fails(7, "spice");
    assert_ne!(theirs(&["--audio", "spice"]).code, 0);
    assert_eq!(libvirt_state(&dir), before);
}
/// A relative --disk path is taken from the current directory (virt-install's abspath), and an
/// existing image given with size= and --location is reused as it is, not recreated (the
/// elements compared with virt-install's, whose --location names the kit ISO's kernel and
/// initrd; qemu-img sees the image unchanged).
#[test]
fn relative_and_existing_disks_match_virt_install() {
    let lab = lab!();
    let dir = lab_dir(&lab, "rel");
    let kernel = dir.join("vmlinuz");
    std::fs::write(&kernel, b"kernel").unwrap();
    let name = lab.domain("rel");
    let common = format!(
        "--name {name} --memory 256 --virt-type qemu --osinfo generic --network none --graphics none"
    );
    let ours_bin = bin_dir().join("vnet-vm").display().to_string();
    let relative = |tool: &str, file: &str| {
        sh_ok(&format!(
            "cd {} && {tool} {common} --boot kernel={} --disk {file},size=1,bus=virtio --print-xml",
            dir.display(),
            kernel.display()
        ))
    };
    // vnet-vm first: virt-install's --print-xml creates the volume. (bus= given: with --osinfo
    // generic virt-install's default bus is ide, vnet-vm's virtio.)
    let got = relative(&format!("{ours_bin} install"), "ours.qcow2");
    let want = relative("virt-install", "theirs.qcow2");
    let path = |f: &str| dir.join(f).display().to_string();
    assert!(got.contains(&path("ours.qcow2")), "{got}");
    let got = got.replace("ours.qcow2", "X");
    let want = want.replace("theirs.qcow2", "X");
    let paths = ["./devices/disk"];
    assert_eq!(
        canonical(&got, &dir, "ours", &paths),
        canonical(&want, &dir, "theirs", &paths)
    );

    let image = dir.join("existing.qcow2");
    sh_ok(&format!("qemu-img create -f qcow2 {} 1G", image.display()));
    let iso = kit().join("guest.iso").display().to_string();
    let disk = format!("{},size=5,bus=virtio", image.display());
    let line = |tool: &str, location: &str| {
        sh_ok(&format!(
            "{tool} {common} --location {location} --disk {disk} --print-xml 1 2>/dev/null"
        ))
    };
    let got = line(&format!("{ours_bin} install"), &iso);
    let want = line(
        "virt-install",
        &format!("{iso},kernel=install/vmlinuz,initrd=install/initrd.gz"),
    );
    let paths = ["./devices/disk[@device='disk']"];
    assert_eq!(
        canonical(&got, &dir, "ours", &paths),
        canonical(&want, &dir, "theirs", &paths)
    );
    let info = sh_ok(&format!("qemu-img info {}", image.display()));
    assert!(info.contains("virtual size: 1 GiB"), "{info}");
}

/// --memdev's nvdimm and virtio-mem sub-options (source.pmem and target.readonly as empty
/// elements, source.alignsize and target.label_size MiB made KiB); the xpathN sub-options of a
/// device option, XPath edits of that device's own element numbered as virt-install takes them;
/// and --xml's numbered single form.
#[test]
fn memdev_pmem_and_numbered_xpath_edits_match_virt_install() {
    let lab = lab!();
    compare(
        &lab,
        "memxp",
        &[
            "--network",
            "none",
            "--memdev",
            "nvdimm,source.path=/tmp/nv,source.pmem=on,source.alignsize=2,target.size=512,target.node=0,target.readonly=on,target.label_size=1,alias.name=ua-m",
            "--memdev",
            "virtio-mem,target.size=512,target.node=0,target.block=2048,target.requested=524288,source.pmem=off",
            "--watchdog",
            "i6300esb,xpath1.set=./@action=poweroff,xpath2.create=./driver",
            "--rng",
            "/dev/urandom,xpath5.set=./rate/@bytes=1024,xpath.set=./rate/@period=1000",
            "--xml",
            "xpath1.set=./description=numbered",
        ],
        &[
            "./devices/memory",
            "./devices/watchdog",
            "./devices/rng",
            "./description",
        ],
    );
}

/// A bad xpathN sub-option, and xpathN on an option without an element of its own: exit 7
/// naming it, nothing changed.
#[test]
fn bad_numbered_xpath_edits_are_7_and_change_nothing() {
    let lab = lab!();
    let dir = lab_dir(&lab, "badxp");
    let kernel = dir.join("vmlinuz");
    std::fs::write(&kernel, b"kernel").unwrap();
    let name = lab.domain("badxp");
    let boot = format!("kernel={}", kernel.display());
    let cases = [
        ("--watchdog", "i6300esb,xpath1.frob=./x", "xpath1.frob"),
        (
            "--watchdog",
            "i6300esb,xpath1.set=./devices/*/@x=1",
            "./devices/*/@x",
        ),
        (
            "--events",
            "on_crash=destroy,xpath1.set=./on_reboot=destroy",
            "--events",
        ),
        (
            "--xml",
            "xpath1.set=./title=a,xpath2.set=./description=b",
            "one XPath edit per --xml",
        ),
    ];
    for (flag, value, needle) in cases {
        let before = libvirt_state(&dir);
        let args = [
            "install",
            "--name",
            &name,
            "--memory",
            "256",
            "--virt-type",
            "qemu",
            "--boot",
            &boot,
            "--disk",
            "none",
            "--network",
            "none",
            "--graphics",
            "none",
            flag,
            value,
        ];
        vm(&args).fails(7, needle);
        assert_eq!(libvirt_state(&dir), before, "{flag} {value} changed something");
    }
}

/// The sub-options `NAME=` names in vnet-vm's option reference (`install --help`), by option.
fn vnet_sub_options() -> Vec<(String, Vec<String>)> {
    let help = vm(&["install", "--help"]).ok().stdout;
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in help.lines() {
        if let Some(rest) = line.strip_prefix("  --") {
            let name = rest.split(':').next().unwrap_or_default().to_string();
            out.push((name, Vec::new()));
        } else if let (Some(key), Some(last)) = (line.strip_prefix("      "), out.last_mut()) {
            if key.starts_with("xpathN.set=") {
                last.1.push("xpath[N].*".into());
            } else if let Some((key, _)) = key.split_once(" -> ") {
                // `KEY=`, `KEY= (also ALIAS=, ALIAS2=)`, `a|b|c=` (bare words of one row).
                let words = key.replace(" (also ", ", ").replace(')', "");
                for word in words.split(", ") {
                    let word = word.trim_end_matches('=');
                    last.1.extend(word.split('|').map(str::to_string));
                }
            }
        }
    }
    out
}

/// Every sub-option `virt-install --OPTION=?` lists either is in vnet-vm's table or is refused
/// by name (exit 7 naming it, nothing changed); the refused ones are printed for the record.
#[test]
fn every_virt_install_sub_option_works_or_is_refused_by_name() {
    let lab = lab!();
    let dir = lab_dir(&lab, "subo");
    let kernel = dir.join("vmlinuz");
    std::fs::write(&kernel, b"kernel").unwrap();
    let name = lab.domain("subo");
    let boot = format!("kernel={}", kernel.display());
    let mut refused_total = 0;
    let mut wrong = Vec::new();
    // --qemu-commandline's value is a QEMU command line (`KEY=1` is an argument to QEMU).
    let probed = vnet_sub_options()
        .into_iter()
        .filter(|(option, rows)| !rows.is_empty() && option != "qemu-commandline");
    for (option, ours) in probed {
        let listed = sh(&format!("virt-install --{option}=? 2>&1"));
        let theirs: Vec<String> = listed
            .stdout
            .lines()
            .skip(1)
            .map(|l| l.trim().replace("[0-9]*", "[N]"))
            .filter(|l| !l.is_empty())
            .collect();
        let missing: Vec<&String> = theirs
            .iter()
            .filter(|k| !ours.contains(k))
            .filter(|k| !(k.starts_with("xpath[N].") && ours.contains(&"xpath[N].*".to_string())))
            .collect();
        if missing.is_empty() {
            continue;
        }
        refused_total += missing.len();
        eprintln!(
            "--{option} refuses: {}",
            missing.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" ")
        );
        // One probe per option: the parser refuses any key outside the option's rows alike.
        let key = missing[0].replace("[N]", "0");
        let value = format!("{key}=1");
        let long = format!("--{option}");
        let before = libvirt_state(&dir);
        let mut args = vec!["install", "--print-xml", "--name", &name, "--virt-type", "qemu"];
        // The base line's options, less the one probed (given once; --install is the method,
        // so without --boot's kernel).
        let base = [
            ("--memory", "256"),
            ("--graphics", "none"),
            ("--network", "none"),
            ("--boot", boot.as_str()),
            ("--disk", "none"),
        ];
        let clash = |flag: &str| flag == long || (long == "--install" && flag == "--boot");
        for (flag, v) in base.iter().filter(|(flag, _)| !clash(flag)) {
            args.extend([*flag, *v]);
        }
        args.extend([long.as_str(), value.as_str()]);
        let run = vm(&args);
        if run.code != 7 || !run.stderr.contains(&key) || !run.stdout.is_empty() {
            wrong.push(format!("{long} {value}: {run:?}"));
        }
        assert_eq!(libvirt_state(&dir), before, "{long} {value} changed something");
    }
    eprintln!("{refused_total} sub-options refused by name in all");
    assert!(wrong.is_empty(), "not refused by name:\n{}", wrong.join("\n"));
}
