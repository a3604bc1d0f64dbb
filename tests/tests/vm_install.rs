//! End-to-end tests of `vnet-vm install`'s virt-install breadth against the sandbox's libvirtd and
//! the guest kit (tests/guest/build-guest): a cloud-image-style flow (a qcow2 overlay on a base
//! image with backing_store=, a cloud-init seed the kit's init reads and prints, --import with the
//! kit's kernel, a DHCP lease, the console), a UEFI guest (OVMF, loader and NVRAM in the XML), an
//! install from an http:// tree served on loopback, and every bad input of the issue with a
//! before/after comparison. Guests run under TCG (--virt-type qemu: no KVM probe). Oracles:
//! virsh dumpxml, qemu-img info, the guest's console, ls.

use serde_json::Value;
use std::path::Path;
use vnet_tests::*;

/// The kit's kernel and initrd copied into `dir` (libvirt relabels what a guest boots: the
/// shared kit stays untouched).
fn kernel_in(dir: &Path) -> (String, String) {
    for f in ["vmlinuz", "initrd.gz"] {
        std::fs::copy(kit().join(f), dir.join(f)).unwrap();
    }
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    (p("vmlinuz"), p("initrd.gz"))
}

/// The persistent definition (what install defined; the live XML has libvirt's expansions).
fn dumpxml_inactive(name: &str) -> String {
    sh_ok(&format!("virsh dumpxml --inactive {name}"))
}

fn dumpxml(name: &str) -> String {
    sh_ok(&format!("virsh dumpxml {name}"))
}

/// A cloud image's flow: base image, overlay with backing_store=, a cloud-init seed, --import
/// with the kit's kernel, two disks with driver options, topology, CPU model, os-variant; the
/// guest prints the seed's user-data on its console and takes a lease; undefine
/// --remove-all-storage removes the overlay, the data disk and the seed, not the base.
#[test]
fn cloud_image_overlay_seed_import_lease_console() {
    let lab = lab!();
    default_network(&lab);
    let dir = lab_dir(&lab, "img");
    let name = lab.domain("ci");
    let (kernel, initrd) = kernel_in(&dir);
    let base = dir.join("base.qcow2");
    sh_ok(&format!("qemu-img create -q -f qcow2 {} 64M", base.display()));
    let marker = format!("vnet-marker-{name}");
    std::fs::write(
        dir.join("user-data"),
        format!("#cloud-config\nvnet_marker: {marker}\n"),
    )
    .unwrap();
    let overlay = dir.join("root.qcow2");
    let disk1 = format!(
        "path={},backing_store={},cache=none,discard=unmap,io=native",
        overlay.display(),
        base.display()
    );
    let disk2 = format!(
        "path={}/data.img,size=0.05,bus=sata,driver.detect_zeroes=on",
        dir.display()
    );
    let boot = format!("kernel={kernel},initrd={initrd},kernel_args=console=ttyS0");
    let seed_opts = format!("user-data={}/user-data", dir.display());
    let run = vm(&[
        "install",
        "--name",
        &name,
        "--memory",
        "256",
        "--vcpus",
        "2,sockets=1,cores=2,threads=1",
        "--cpu",
        "qemu64",
        "--memballoon",
        "none",
        "--os-variant",
        "debian11",
        "--hvm",
        "--virt-type",
        "qemu",
        "--import",
        "--boot",
        &boot,
        "--disk",
        &disk1,
        "--disk",
        &disk2,
        "--cloud-init",
        &seed_opts,
        "--network",
        "network=default",
        "--noautoconsole",
        "--wait-ip",
        "120",
    ])
    .ok();
    let out = run.json();
    assert_eq!(out["state"], "running", "{out}");
    assert_eq!(out["boot"]["method"], "kernel");
    assert_eq!(out["boot"]["import"], true);
    assert_eq!(out["os_id"], "http://debian.org/debian/11");
    assert_eq!(out["os_variant_checked"], true);
    assert_eq!(
        out["topology"],
        serde_json::json!({"sockets": 1, "cores": 2, "threads": 1})
    );
    assert_eq!(out["disks"][0]["backing_store"], base.to_str().unwrap());
    assert_eq!(out["disks"][0]["driver"]["cache"], "none");
    assert!(
        out["address"].as_str().unwrap().starts_with("192.168.122."),
        "{out}"
    );
    let seed = out["cloud_init"]["seed"].as_str().unwrap().to_string();
    assert_eq!(seed, format!("{}/{name}-cidata.iso", dir.display()));
    assert!(out["cloud_init"]["user_data"].as_str().unwrap().contains(&marker));

    // qemu-img: the overlay is qcow2 on the base, as big as the base.
    let info: Value = serde_json::from_str(&sh_ok(&format!(
        "qemu-img info -U --output=json {}",
        overlay.display()
    )))
    .unwrap();
    assert_eq!(info["format"], "qcow2");
    assert_eq!(info["backing-filename"], base.to_str().unwrap());
    assert_eq!(info["virtual-size"], 64 << 20);
    // The seed is an ISO labelled cidata.
    assert!(sh_ok(&format!("xorriso -indev {seed} -pvd_info 2>&1")).contains("Volume Id    : cidata"));

    // virsh dumpxml: what the flags asked for.
    let xml = dumpxml_inactive(&name);
    for want in [
        "cache='none' io='native' discard='unmap'",
        "detect_zeroes='on'",
        "<entry name='serial'>ds=nocloud</entry>",
        "<smbios mode='sysinfo'/>",
        "<topology sockets='1' dies='1' cores='2' threads='1'/>",
        "<model fallback='allow'>qemu64</model>",
        "<memballoon model='none'/>",
        "<libosinfo:os id=\"http://debian.org/debian/11\"/>",
        &format!("<source file='{seed}'"),
        "<vnet:cloud-init-seed>",
    ] {
        assert!(xml.contains(want), "{want} not in {xml}");
    }

    // The guest read the seed: its init printed the user-data (kept in /tmp/vnet-guest.log).
    let console = vnet_stdin(
        "vnet-vm",
        &["console", &name, "--linger", "3"],
        "\ncat /tmp/vnet-guest.log\n",
    )
    .ok();
    assert!(
        console
            .stdout
            .contains(&format!("vnet-guest: user-data: vnet_marker: {marker}")),
        "{console:?}"
    );
    assert!(
        console
            .stdout
            .contains(&format!("meta-data: local-hostname: \"{name}\"")),
        "{console:?}"
    );

    // Removal through the tool: the overlay, the data disk and the seed go; the base stays.
    vm(&["destroy", &name]).ok();
    let gone = vm(&["undefine", &name, "--remove-all-storage"]).ok().json();
    let removed: Vec<&str> = gone["removed_volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(removed.contains(&seed.as_str()), "{gone}");
    assert!(!Path::new(&seed).exists() && !overlay.exists() && !dir.join("data.img").exists());
    assert!(base.exists());
}

/// --boot uefi under TCG: libvirt's firmware autoselection puts a loader and an NVRAM in the
/// domain (OVMF from Debian's ovmf package), on q35; the guest starts (booting an OS is not
/// needed). Without firmware descriptors libvirt offers no EFI: exit 6 naming the package, with
/// nothing made (the descriptors hidden by a tmpfs in the sandbox's own mount namespace).
#[test]
fn uefi_guest_defined_and_started_and_refused_without_firmware() {
    let lab = lab!();
    let dir = lab_dir(&lab, "efi");
    let name = lab.domain("efi");
    let disk = format!("path={}/efi.qcow2,size=0.05", dir.display());
    let args = |n: &str| -> Vec<String> {
        [
            "install",
            "--name",
            n,
            "--memory",
            "256",
            "--virt-type",
            "qemu",
            "--import",
            "--boot",
            "uefi,hd",
            "--disk",
            &disk,
            "--network",
            "none",
            "--noautoconsole",
        ]
        .map(String::from)
        .to_vec()
    };
    // Without firmware: hide the descriptors libvirt reads (sandbox-private mount).
    assert_unchanged(
        || libvirt_state(&dir),
        || {
            sh_ok("mount -t tmpfs vnet-nofw /usr/share/qemu/firmware");
            let run = vm(&args(&name).iter().map(String::as_str).collect::<Vec<_>>());
            sh_ok("umount /usr/share/qemu/firmware");
            run.fails(6, "ovmf");
        },
    );
    let out = vm(&args(&name).iter().map(String::as_str).collect::<Vec<_>>())
        .ok()
        .json();
    assert_eq!(
        (out["firmware"].as_str(), out["machine"].as_str()),
        (Some("efi"), Some("q35"))
    );
    assert_eq!(out["state"], "running");
    assert!(dumpxml_inactive(&name).contains("<os firmware='efi'>"));
    // The live XML: the OVMF build libvirt picked (secure boot, with SMM, under TCG on q35).
    let xml = dumpxml(&name);
    assert!(xml.contains("machine='pc-q35"), "{xml}");
    assert!(xml.contains("<smm state='on'/>"), "{xml}");
    assert!(
        xml.contains("<loader readonly='yes'") && xml.contains("/usr/share/OVMF/"),
        "{xml}"
    );
    let nvram = xml
        .split("<nvram")
        .nth(1)
        .and_then(|t| t.split('>').nth(1))
        .and_then(|t| t.split('<').next())
        .unwrap_or_else(|| panic!("no nvram in {xml}"))
        .to_string();
    assert!(
        nvram.starts_with("/var/lib/libvirt/qemu/nvram/") && Path::new(&nvram).exists(),
        "{nvram}"
    );
    // host-passthrough cannot run under TCG: refused before anything is made.
    let other = lab.domain("efi");
    let mut hp = args(&other);
    hp.extend(["--cpu".to_string(), "host-passthrough".to_string()]);
    let at = hp.iter().position(|a| a.starts_with("path=")).unwrap();
    hp[at] = format!("path={}/other.qcow2,size=0.05", dir.display());
    assert_unchanged(
        || libvirt_state(&dir),
        || {
            vm(&hp.iter().map(String::as_str).collect::<Vec<_>>()).fails(7, "host-passthrough needs KVM");
        },
    );
}

/// An http:// install tree laid out like Debian's mirror, served by python3's http.server bound
/// to 127.0.0.1 inside the sandbox: the kernel and initrd are fetched into /var/lib/libvirt/boot
/// (byte for byte), the guest boots them and takes a lease. A URL with no tree is 3, nothing made.
#[test]
fn http_location_install() {
    let lab = lab!();
    default_network(&lab);
    let dir = lab_dir(&lab, "http");
    let tree = "debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64";
    std::fs::create_dir_all(dir.join(tree)).unwrap();
    std::fs::copy(kit().join("vmlinuz"), dir.join(tree).join("linux")).unwrap();
    std::fs::copy(kit().join("initrd.gz"), dir.join(tree).join("initrd.gz")).unwrap();
    let port = 20000 + std::process::id() % 20000;
    let pid = sh_ok(&format!(
        "cd {} && (python3 -m http.server --bind 127.0.0.1 {port} >/dev/null 2>&1 & echo $!)",
        dir.display()
    ));
    lab.on_drop(format!("kill {}", pid.trim()));
    let base = format!("http://127.0.0.1:{port}/debian/dists/bookworm/main/installer-amd64/");
    sh_ok(&format!(
        "for i in $(seq 50); do python3 -c 'import urllib.request,sys; urllib.request.urlopen(sys.argv[1])' {base}current/ 2>/dev/null && exit 0; sleep 0.1; done; exit 1"
    ));
    let name = lab.domain("http");
    let missing = format!("http://127.0.0.1:{port}/nothing/here/");
    assert_unchanged(
        || libvirt_state(&dir),
        || {
            vm(&[
                "install",
                "--name",
                &name,
                "--virt-type",
                "qemu",
                "--location",
                &missing,
                "--disk",
                "none",
            ])
            .fails(3, "no install tree found");
        },
    );
    let out = vm(&[
        "install",
        "--name",
        &name,
        "--memory",
        "256",
        "--virt-type",
        "qemu",
        "--location",
        &base,
        "--extra-args",
        "console=ttyS0",
        "--disk",
        "none",
        "--network",
        "network=default",
        "--noautoconsole",
        "--wait-ip",
        "120",
    ])
    .ok()
    .json();
    assert_eq!(out["boot"]["layout"], "debian netboot tree", "{out}");
    assert_eq!(out["boot"]["source"], base.as_str());
    let kernel = out["boot"]["kernel"].as_str().unwrap();
    assert!(kernel.starts_with("/var/lib/libvirt/boot/vnet-"), "{out}");
    sh_ok(&format!("cmp {kernel} {}", kit().join("vmlinuz").display()));
    sh_ok(&format!(
        "cmp {} {}",
        out["boot"]["initrd"].as_str().unwrap(),
        kit().join("initrd.gz").display()
    ));
    assert!(
        out["address"].as_str().unwrap().starts_with("192.168.122."),
        "{out}"
    );
}

/// Every bad input of the issue: one line, the documented exit code, nothing made or left.
#[test]
fn bad_inputs_change_nothing() {
    let lab = lab!();
    default_network(&lab);
    let dir = lab_dir(&lab, "bad");
    let name = lab.domain("bad");
    let (kernel, initrd) = kernel_in(&dir);
    sh_ok(&format!(
        "qemu-img create -q -f qcow2 {}/base.qcow2 16M",
        dir.display()
    ));
    std::fs::write(dir.join("latin1"), [b'#', 0xe9, 0xff, b'\n']).unwrap();
    let boot = format!("kernel={kernel},initrd={initrd}");
    let overlay = format!(
        "path={}/o.qcow2,backing_store={}/base.qcow2",
        dir.display(),
        dir.display()
    );
    let run = |extra: &[&str]| {
        let mut args = vec![
            "install",
            "--name",
            &name,
            "--memory",
            "256",
            "--virt-type",
            "qemu",
            "--import",
            "--boot",
            &boot,
            "--noautoconsole",
        ];
        args.extend_from_slice(extra);
        vm(&args)
    };
    let missing_ud = format!("user-data={}/no-such-file", dir.display());
    let latin1 = format!("user-data={}/latin1", dir.display());
    let no_base = format!(
        "path={}/o.qcow2,backing_store={}/no-base.qcow2",
        dir.display(),
        dir.display()
    );
    let native = format!("{overlay},io=native");
    let tape = format!("{overlay},device=tape");
    let both = format!("{overlay},pool=default");
    let bad_target = format!("{overlay},target.dev=eth0");
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["--disk", &overlay, "--cloud-init", &missing_ud],
            3,
            "no-such-file",
        ),
        (vec!["--disk", &overlay, "--cloud-init", &latin1], 7, "not UTF-8"),
        (vec!["--disk", &no_base], 3, "no-base.qcow2"),
        (
            vec!["--disk", &overlay, "--vcpus", "4,sockets=3,cores=2,threads=1"],
            7,
            "not the 4 vCPUs",
        ),
        (vec!["--disk", &overlay, "--cpuset", "3-1"], 7, "--cpuset"),
        (
            vec!["--disk", &overlay, "--os-variant", "no-such-os-99"],
            7,
            "osinfo",
        ),
        (
            vec!["--disk", &overlay, "--cpu", "NoSuchCPU"],
            7,
            "not a CPU model",
        ),
        (vec!["--disk", &native], 7, "io=native needs cache=none"),
        (vec!["--disk", "pool=no-such-pool,size=1"], 3, "no-such-pool"),
        (vec!["--disk", "pool=default"], 7, "needs size="),
        (vec!["--disk", "pool=default,size=1,sparse=no"], 7, "sparse"),
        (vec!["--disk", &tape], 7, "device 'tape'"),
        (vec!["--disk", &both], 7, "path= or pool="),
        (vec!["--disk", &bad_target], 7, "target.dev"),
        (
            vec!["--disk", &overlay, "--graphics", "sdl"],
            7,
            "--graphics 'sdl': not supported",
        ),
        (
            vec!["--disk", &overlay, "--graphics", "vnc,port=80"],
            7,
            "port='80'",
        ),
        (vec!["--disk", &overlay, "--graphics", "vnc,bogus=1"], 7, "bogus"),
        (
            vec!["--disk", &overlay, "--vnc", "--graphics", "spice"],
            7,
            "cannot mix",
        ),
        (
            vec!["--disk", &overlay, "--arch", "aarch64"],
            7,
            "--arch 'aarch64': not supported",
        ),
        (
            vec!["--disk", &overlay, "--cpu", "host-model,~vmx"],
            7,
            "unknown sub-option",
        ),
        (
            vec!["--disk", &overlay, "--network", "type=user"],
            7,
            "type='user': not supported",
        ),
        (
            vec!["--disk", &overlay, "--network", "type=direct,source=nosuch0"],
            3,
            "nosuch0",
        ),
        (
            vec!["--disk", &overlay, "--video", "model.bogus=1"],
            7,
            "model.bogus",
        ),
    ];
    for (extra, code, needle) in cases {
        assert_unchanged(
            || libvirt_state(&dir),
            || {
                run(&extra).fails(code, needle);
            },
        );
    }
    assert_ne!(sh(&format!("virsh dominfo {name}")).code, 0);
}

/// A loop device on a file of `dir`, detached when the lab ends.
fn loop_device(lab: &Lab, dir: &Path, file: &str) -> String {
    let file = dir.join(file);
    sh_ok(&format!("truncate -s 32M {}", file.display()));
    let dev = sh_ok(&format!("losetup -f --show {}", file.display()))
        .trim()
        .to_string();
    lab.on_drop(format!("losetup -d {dev}"));
    dev
}

/// The `<disk>` elements of a domain's persistent definition, one line each, with the target's
/// device name and the PCI address left out (to compare a disk attached at vdb with one at vdc).
fn disk_lines(name: &str) -> Vec<String> {
    let xml = dumpxml_inactive(name);
    let mut out = Vec::new();
    for part in xml.split("<disk ").skip(1) {
        let disk = part.split("</disk>").next().unwrap();
        let disk = match disk.split_once("<address") {
            Some((head, tail)) => format!("{head}{}", tail.split_once("/>").unwrap().1),
            None => disk.to_string(),
        };
        let flat: String = disk.split_whitespace().collect::<Vec<_>>().join(" ");
        let no_dev = flat
            .split(' ')
            .filter(|w| !w.starts_with("dev='vd") && !w.starts_with("dev=\"vd"))
            .collect::<Vec<_>>()
            .join(" ");
        out.push(no_dev);
    }
    out
}

/// A block device as a disk (issue 19 and 20): install writes `<disk type='block'>` with
/// `<source dev=>` and virt-install's cache=none, io=native, discard=unmap, and the guest starts
/// under QEMU (which refuses the file driver on a block device); attach-disk of a second loop
/// device writes what `virsh attach-disk` writes for it (the same element but the target).
#[test]
fn block_device_disk_in_install_and_attach_disk() {
    let lab = lab!();
    let dir = lab_dir(&lab, "blk");
    let name = lab.domain("blk");
    let (kernel, initrd) = kernel_in(&dir);
    let first = loop_device(&lab, &dir, "a.raw");
    let boot = format!("kernel={kernel},initrd={initrd}");
    let out = vm(&[
        "install",
        "--name",
        &name,
        "--memory",
        "128",
        "--virt-type",
        "qemu",
        "--boot",
        &boot,
        "--disk",
        &first,
        "--network",
        "none",
        "--noautoconsole",
    ])
    .ok()
    .json();
    assert_eq!(out["disks"][0]["type"], "block", "{out}");
    let disks = disk_lines(&name);
    assert_eq!(disks.len(), 1, "{disks:?}");
    for want in [
        "type='block' device='disk'",
        "cache='none' io='native' discard='unmap'",
        &format!("<source dev='{first}'/>"),
    ] {
        assert!(disks[0].contains(want), "{want} not in {}", disks[0]);
    }
    assert!(sh_ok(&format!("virsh domstate {name}")).starts_with("running"));

    let second = loop_device(&lab, &dir, "b.raw");
    vm(&["attach-disk", &name, &second, "vdb", "--config"]).ok();
    sh_ok(&format!("virsh attach-disk {name} {second} vdc --config"));
    let disks = disk_lines(&name);
    assert_eq!(disks.len(), 3, "{disks:?}");
    assert!(
        disks[1].contains("type='block'") && disks[1].contains(&format!("<source dev='{second}'/>")),
        "{disks:?}"
    );
    assert_eq!(disks[1], disks[2], "vnet-vm attach-disk vs virsh attach-disk");
}

/// ISSUE-19's `-c URI install --boot kernel=PATH,initrd=PATH`: the paths are the target host's (a
/// second libvirt host, tests/second-host), as virt-install boots them. A kernel only the target
/// has is booted from there (nothing uploaded); an initrd only this machine has is uploaded into
/// the target's /var/lib/libvirt/boot; the result says which. A kernel on neither host is exit 3
/// with nothing changed on either.
#[test]
fn remote_boot_kernel_is_the_target_hosts_unless_only_here() {
    let lab = lab!();
    let script = format!("{}/second-host", env!("CARGO_MANIFEST_DIR"));
    let host = lab.name("rb");
    lab.on_drop(format!("{script} stop {host}"));
    let uri = sh_ok(&format!("{script} start {host} 10.97.0.2 10.97.0.1"))
        .trim()
        .to_string();
    let on_target = |cmd: &str| sh_ok(&format!("{script} exec {host} bash -c '{cmd}'"));
    let there = format!("/var/lib/libvirt/boot/{}-vmlinuz", lab.name("k"));
    on_target(&format!(
        "mkdir -p /var/lib/libvirt/boot && cp {} {there}",
        kit().join("vmlinuz").display()
    ));
    let dir = lab_dir(&lab, "rb");
    // Only this machine sees its /var/lib/libvirt (the second host has its own; /tmp is shared).
    let local = format!("/var/lib/libvirt/images/{}", lab.name("kit"));
    lab.on_drop(format!("rm -rf {local}"));
    let here = format!("{local}/initrd.gz");
    sh_ok(&format!(
        "mkdir -p {local} && cp {} {here}",
        kit().join("initrd.gz").display()
    ));
    let name = lab.domain("rb");
    let install = |boot: &str| {
        vnet(
            "vnet-vm",
            &[
                "-c",
                &uri,
                "install",
                "--dry-run",
                "--name",
                &name,
                "--memory",
                "128",
                "--virt-type",
                "qemu",
                "--disk",
                "none",
                "--network",
                "none",
                "--boot",
                boot,
            ],
        )
    };
    let out = install(&format!("kernel={there},initrd={here}")).ok().json();
    let boot = &out["boot"];
    assert_eq!(boot["kernel"], there.as_str(), "{out}");
    assert!(boot.get("kernel_uploaded_from").is_none(), "{out}");
    assert_eq!(boot["initrd_uploaded_from"], here.as_str(), "{out}");
    let copy = boot["initrd"].as_str().unwrap();
    assert!(copy.starts_with("/var/lib/libvirt/boot/vnet-"), "{out}");
    let xml = out["xml"].as_str().unwrap();
    assert!(xml.contains(&format!("<kernel>{there}</kernel>")), "{xml}");

    // --install's kernel and initrd are this machine's, uploaded as virt-install uploads them.
    sh_ok(&format!("cp {} {local}/vmlinuz", kit().join("vmlinuz").display()));
    let install_opts = format!("kernel={local}/vmlinuz,initrd={here},kernel_args=console=ttyS0");
    let out = vnet(
        "vnet-vm",
        &[
            "-c",
            &uri,
            "install",
            "--dry-run",
            "--name",
            &name,
            "--memory",
            "128",
            "--virt-type",
            "qemu",
            "--disk",
            "none",
            "--network",
            "none",
            "--install",
            &install_opts,
        ],
    )
    .ok()
    .json();
    let boot = &out["boot"];
    assert_eq!(
        boot["kernel_uploaded_from"],
        format!("{local}/vmlinuz").as_str(),
        "{out}"
    );
    assert_eq!(boot["initrd_uploaded_from"], here.as_str(), "{out}");
    assert_eq!(boot["cmdline"], "console=ttyS0", "{out}");

    let state = || {
        (
            sh_ok(&format!(
                "virsh -c {uri} list --all --name; virsh -c {uri} pool-list --all --name"
            )),
            on_target("ls -1A /var/lib/libvirt/boot"),
            libvirt_state(&dir),
        )
    };
    let before = state();
    install(&format!("kernel={local}/no-such-vmlinuz")).fails(3, "no-such-vmlinuz");
    // The target's own kernel is no file here: --install (this machine's files) refuses it.
    let only_there = format!("kernel={there}");
    let remote = |opts: &str| {
        vnet(
            "vnet-vm",
            &[
                "-c",
                &uri,
                "install",
                "--dry-run",
                "--name",
                &name,
                "--disk",
                "none",
                "--network",
                "none",
                "--install",
                opts,
            ],
        )
    };
    remote(&only_there).fails(3, "no such file");
    remote("kernel=/k,bootdev=cdrom").fails(7, "bootdev");
    assert_eq!(state(), before);
}
