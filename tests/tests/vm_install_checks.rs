//! End-to-end tests of `vnet-vm install`'s behaviour options against the sandbox's libvirtd:
//! virt-install's safety checks and `--check` turning them off (real virt-install 4.1 given the
//! same line as the oracle of what is refused and what passes), `--initrd-inject` (GNU cpio and
//! the booted guest as oracles) and `--destroy-on-exit` on real starts of the kit's kernel under
//! TCG (virsh as the oracle). Every refusal with before/after of the domains, pools and volumes.

use std::path::Path;
use vnet_tests::*;

/// A persistent domain holding `disk` and a NIC with `mac`, defined with virsh (never started).
fn holder(lab: &Lab, dir: &Path, disk: &Path, mac: &str) -> String {
    let name = lab.domain("hold");
    let xml = format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>\
         <os><type arch='x86_64'>hvm</type></os><devices>\
         <disk type='file' device='disk'><driver name='qemu' type='raw'/>\
         <source file='{}'/><target dev='vda' bus='virtio'/></disk>\
         <interface type='ethernet'><mac address='{mac}'/></interface></devices></domain>",
        disk.display()
    );
    let file = dir.join("holder.xml");
    std::fs::write(&file, xml).unwrap();
    sh_ok(&format!("virsh define {}", file.display()));
    name
}

/// One install line run by vnet-vm (exactly as given) and by virt-install (with --print-xml).
struct Line<'a> {
    base: Vec<&'a str>,
}

impl Line<'_> {
    fn ours(&self, extra: &[&str]) -> Run {
        vm(&[&["install"], &self.base[..], extra].concat())
    }

    fn theirs(&self, extra: &[&str]) -> Run {
        let quoted: Vec<String> = self.base.iter().chain(extra).map(|a| format!("'{a}'")).collect();
        sh(&format!("virt-install --print-xml {}", quoted.join(" ")))
    }
}

/// A disk path another domain uses (4, path_in_use), a MAC another domain has (4, mac_in_use)
/// and a new disk larger than its pool's free space (7, disk_size) are refused before anything
/// is made, as virt-install refuses them; `--check NAME=off` (or all=off) lets each through for
/// both tools; a bad --check value is 7 naming it for both.
#[test]
fn safety_checks_refuse_and_check_turns_them_off() {
    let lab = lab!();
    default_network(&lab);
    let dir = lab_dir(&lab, "checks");
    let kernel = dir.join("vmlinuz");
    std::fs::write(&kernel, b"kernel").unwrap();
    let used = dir.join("used.img");
    sh_ok(&format!("truncate -s 16M {}", used.display()));
    let mac = "52:54:00:ab:cd:ef";
    let other = holder(&lab, &dir, &used, mac);
    let name = lab.domain("chk");
    let boot = format!("kernel={}", kernel.display());
    let line = Line {
        base: vec![
            "--name",
            &name,
            "--memory",
            "256",
            "--virt-type",
            "qemu",
            "--osinfo",
            "generic",
            "--boot",
            &boot,
            "--graphics",
            "none",
            "--noautoconsole",
        ],
    };
    let used_disk = format!("{},bus=virtio", used.display());
    let nic = format!("network=default,mac={mac}");
    // A 64 MiB file system for the new disk: 1 GiB exceeds what its pool has left (and
    // virt-install, once told disk_size=off, creates it quickly there).
    let small_name = lab.name("small");
    let small = dir.join(&small_name);
    std::fs::create_dir(&small).unwrap();
    sh_ok(&format!("mount -t tmpfs -o size=64m tmpfs {}", small.display()));
    lab.on_drop(format!(
        "virsh pool-destroy {small_name}; virsh pool-undefine {small_name}; umount -l {}",
        small.display()
    ));
    let huge = format!("{},size=1", small.join("huge.qcow2").display());
    let cases: [(&str, [&str; 4], i32, &str); 3] = [
        (
            "path_in_use",
            ["--disk", &used_disk, "--network", "none"],
            4,
            &other,
        ),
        ("mac_in_use", ["--disk", "none", "--network", &nic], 4, &other),
        (
            "disk_size",
            ["--disk", &huge, "--network", "none"],
            7,
            "available",
        ),
    ];
    // virt-install (run second) may leave a pool for the directory behind: the state is taken
    // again before each vnet-vm line.
    for (check, extra, code, needle) in &cases {
        let before = libvirt_state(&dir);
        // No --print-xml for vnet-vm: the real install is what must be refused.
        line.ours(extra).fails(*code, needle).fails(*code, check);
        assert_eq!(libvirt_state(&dir), before, "--check {check}");
        let theirs = line.theirs(extra);
        assert_ne!(theirs.code, 0, "virt-install accepted {extra:?}");
        assert!(theirs.stderr.contains(check), "{theirs:?}");
    }
    for bad in ["path_in_use=maybe", "bogus=off"] {
        let key = bad.split('=').next().unwrap();
        let before = libvirt_state(&dir);
        line.ours(&["--disk", "none", "--check", bad]).fails(7, key);
        assert_eq!(libvirt_state(&dir), before, "--check {bad}");
        assert_ne!(line.theirs(&["--disk", "none", "--check", bad]).code, 0);
    }
    for (check, extra, _, _) in &cases {
        let off = format!("{check}=off");
        let mut args = extra.to_vec();
        args.extend(["--check", &off]);
        let xml = line.ours(&[&args[..], &["--print-xml"]].concat()).ok().stdout;
        assert!(xml.starts_with("<domain"), "{xml}");
        let theirs = line.theirs(&args);
        assert_eq!(theirs.code, 0, "virt-install with --check {off}: {theirs:?}");
    }
    let all = [
        "--disk",
        &used_disk,
        "--disk",
        &huge,
        "--network",
        &nic,
        "--check",
        "all=off",
        "--print-xml",
    ];
    let xml = line.ours(&all).ok().stdout;
    assert!(
        xml.contains(&used.display().to_string()) && xml.contains(mac),
        "{xml}"
    );
}

/// --destroy-on-exit: with --noautoconsole install returns and the guest is destroyed at once
/// (virsh: shut off, still defined; the JSON says destroyed_on_exit); a --transient guest is
/// then gone. Two real starts of the kit's kernel under TCG.
#[test]
fn destroy_on_exit_destroys_the_guest_when_install_is_done() {
    let lab = lab!();
    let dir = lab_dir(&lab, "doe");
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
        "--graphics",
        "none",
        "--noautoconsole",
        "--destroy-on-exit",
    ];
    let kept = lab.domain("doek");
    let run = vm(&[&["install", "--name", &kept], &base[..]].concat()).ok();
    assert_eq!(run.json()["destroyed_on_exit"], true, "{run:?}");
    assert_eq!(sh_ok(&format!("virsh domstate {kept}")).trim(), "shut off");
    let info = sh_ok(&format!("virsh dominfo {kept}"));
    assert!(
        info.lines()
            .any(|l| l.starts_with("Persistent:") && l.ends_with("yes")),
        "{info}"
    );

    let gone = lab.domain("doet");
    let run = vm(&[&["install", "--name", &gone, "--transient"], &base[..]].concat()).ok();
    assert_eq!(run.json()["destroyed_on_exit"], true, "{run:?}");
    assert!(!sh_ok("virsh list --all --name").lines().any(|l| l == gone));
}

/// --initrd-inject with --location: the file is in the root of the initrd the guest boots. The
/// copy in /var/lib/libvirt/boot is the tree's initrd byte for byte followed by a gzip'd cpio
/// archive that GNU cpio unpacks to the file; the booted guest (the kit's busybox init, one
/// start under TCG) prints it from `/`. Without --location it is 7, a missing file 3, nothing
/// changed; virt-install accepts the same --location line.
#[test]
fn initrd_inject_puts_the_file_in_the_initrd_root() {
    let lab = lab!();
    let dir = lab_dir(&lab, "inj");
    let marker = format!("preseed-of-{}", lab.name("mark"));
    let preseed = dir.join("preseed.cfg");
    std::fs::write(&preseed, format!("{marker}\n")).unwrap();
    let preseed = preseed.display().to_string();
    let iso = kit().join("guest.iso").display().to_string();
    let name = lab.domain("inj");
    let base = [
        "--name",
        &name,
        "--memory",
        "256",
        "--virt-type",
        "qemu",
        "--disk",
        "none",
        "--network",
        "none",
        "--graphics",
        "none",
        "--noautoconsole",
    ];
    let ours = |extra: &[&str]| vm(&[&["install"], &base[..], extra].concat());
    let before = libvirt_state(&dir);
    let kernel = format!("kernel={}", kit().join("vmlinuz").display());
    ours(&["--boot", &kernel, "--initrd-inject", &preseed]).fails(7, "--initrd-inject needs --location");
    ours(&["--location", &iso, "--initrd-inject", "/nonexistent/ks.cfg"]).fails(3, "/nonexistent/ks.cfg");
    assert_eq!(libvirt_state(&dir), before);

    let theirs = sh(&format!(
        "virt-install --print-xml 1 {} --location {iso},kernel=install/vmlinuz,initrd=install/initrd.gz \
         --initrd-inject {preseed} --osinfo generic",
        base.join(" ")
    ));
    assert_eq!(theirs.code, 0, "{theirs:?}");

    let out = ours(&[
        "--location",
        &iso,
        "--extra-args",
        "console=ttyS0",
        "--initrd-inject",
        &preseed,
    ])
    .ok()
    .json();
    let initrd = out["boot"]["initrd"].as_str().unwrap().to_string();
    let original = kit().join("initrd.gz");
    let size = std::fs::metadata(&original).unwrap().len();
    sh_ok(&format!("cmp -n {size} {initrd} {}", original.display()));
    let unpacked = sh_ok(&format!(
        "tail -c +{} {initrd} | gzip -dc | cpio -i --quiet --to-stdout preseed.cfg",
        size + 1
    ));
    assert_eq!(unpacked.trim(), marker);
    until_console(
        &name,
        "cat /preseed.cfg",
        std::time::Duration::from_secs(120),
        |o| o.lines().any(|l| l.trim() == marker),
    );
}
