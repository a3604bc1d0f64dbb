//! `vnet-vm install --disk PATH --import` of an existing image without format=: the format is
//! what the image is, as virt-install 4.1 finds it (it looks the path up as a storage volume,
//! which libvirt probes), not what its name suggests: a qcow2 cloud image named `.img` or
//! `.qcow` is qcow2, a raw one raw. The oracle is real virt-install's `--print-xml` for the same
//! words, in a pool's directory and in a directory no pool holds.

use vnet_tests::*;

/// The `type` of the disk's `<driver>` in a printed domain.
fn driver_type(xml: &str) -> String {
    let driver = xml
        .lines()
        .find(|l| l.contains("<driver name"))
        .unwrap_or_else(|| panic!("no disk driver:\n{xml}"));
    let at = driver.find("type=").unwrap() + 6;
    driver[at..].split(['"', '\'']).next().unwrap().to_string()
}

#[test]
fn an_existing_image_without_format_is_what_libvirt_probes() {
    let lab = lab!();
    default_network(&lab);
    let dir = lab.dir("probe");
    let pooled = lab.name("pool");
    let pool_dir = dir.join("pool");
    std::fs::create_dir(&pool_dir).unwrap();
    lab.on_drop(format!(
        "virsh pool-destroy {pooled}; virsh pool-undefine {pooled}"
    ));
    sh_ok(&format!(
        "virsh pool-define-as {pooled} dir --target {} && virsh pool-start {pooled}",
        pool_dir.display()
    ));
    // virt-install makes a pool of a directory no pool holds: gone at the end.
    lab.on_drop(format!(
        "for p in $(virsh pool-list --all --name); do \
           [ \"$(virsh pool-dumpxml $p | grep -c '<path>{}</path>')\" = 1 ] && \
           virsh pool-destroy $p; virsh pool-undefine $p; done",
        dir.display()
    ));
    for (where_, name, format) in [
        (&pool_dir, "cloud.img", "qcow2"),
        (&pool_dir, "old.qcow", "qcow2"),
        (&pool_dir, "plain.img", "raw"),
        (&dir, "loose.img", "qcow2"),
        (&dir, "loose-raw.img", "raw"),
    ] {
        let image = where_.join(name);
        sh_ok(&format!("qemu-img create -q -f {format} {} 16M", image.display()));
        sh_ok(&format!("virsh pool-refresh {pooled}"));
        let domain = lab.name("img");
        let line = format!(
            "--name {domain} --memory 64 --osinfo generic --graphics none --import --disk {} --print-xml",
            image.display()
        );
        let words: Vec<&str> = line.split(' ').collect();
        let ours = vm(&[&["install"][..], &words].concat()).ok().stdout;
        let theirs = sh_ok(&format!("virt-install {line} 2>/dev/null"));
        assert_eq!(driver_type(&theirs), format, "virt-install, {name}");
        assert_eq!(driver_type(&ours), format, "{name}:\n{ours}");
    }
    // Nothing was defined by either.
    assert!(!sh_ok("virsh list --all --name").contains("img"));
}
