//! vol-upload and vol-download with virsh's --sparse: holes travel as holes (libvirt's sparse
//! streams), so a sparse file makes a sparse volume and a sparse volume a sparse file, with the
//! same bytes. The oracle is real virsh doing the same on a twin volume and file: the same
//! content (cmp), the same allocation (stat's blocks, vol-info's allocation), and without
//! --sparse the holes written out as zeros by both.

use std::path::Path;
use vnet_tests::*;

/// Blocks (512 bytes) a file takes on disk.
fn blocks(path: &Path) -> u64 {
    sh_ok(&format!("stat -c %b {}", path.display()))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn sparse_transfers_keep_holes_as_virsh_does() {
    let lab = lab!();
    let dir = lab.dir("sparse");
    let pool = lab.name("pool");
    let target = dir.join("pool");
    std::fs::create_dir(&target).unwrap();
    lab.on_drop(format!("virsh pool-destroy {pool}; virsh pool-undefine {pool}"));
    sh_ok(&format!(
        "virsh pool-define-as {pool} dir --target {} && virsh pool-start {pool}",
        target.display()
    ));
    // 16 MiB with 1 MiB of data at 4 MiB and 64 KiB at the very end: the rest is holes.
    let sparse = dir.join("sparse.raw");
    sh_ok(&format!(
        "truncate -s 16M {f} && dd if=/dev/urandom of={f} bs=64K seek=64 count=16 conv=notrunc status=none \
         && dd if=/dev/urandom of={f} bs=64K seek=255 count=1 conv=notrunc status=none",
        f = sparse.display()
    ));
    for vol in ["ours", "theirs", "dense"] {
        sh_ok(&format!("virsh vol-create-as {pool} {vol} 16M --format raw"));
    }
    let path = |vol: &str| target.join(vol);
    let file = sparse.to_str().unwrap();
    let up = vm(&["vol-upload", "ours", file, "--pool", &pool, "--sparse"])
        .ok()
        .json();
    assert_eq!(up["bytes"], 16 << 20);
    sh_ok(&format!("virsh vol-upload theirs {file} --pool {pool} --sparse"));
    sh_ok(&format!(
        "cmp {file} {} && cmp {file} {}",
        path("ours").display(),
        path("theirs").display()
    ));
    assert_eq!(blocks(&path("ours")), blocks(&path("theirs")));
    // libvirt finds the holes at its own granularity: fewer blocks than 16 MiB, as virsh's.
    assert!(
        blocks(&path("ours")) < 32768,
        "not sparse: {} blocks",
        blocks(&path("ours"))
    );
    // Without --sparse the holes arrive as zeros.
    vm(&["vol-upload", "dense", file, "--pool", &pool]).ok();
    assert!(
        blocks(&path("dense")) >= 32768,
        "{} blocks",
        blocks(&path("dense"))
    );

    let (mine, virshs) = (dir.join("down-ours"), dir.join("down-theirs"));
    let down = vm(&[
        "vol-download",
        "ours",
        mine.to_str().unwrap(),
        "--pool",
        &pool,
        "--sparse",
    ]);
    assert_eq!(down.ok().json()["bytes"], 16 << 20);
    sh_ok(&format!(
        "virsh vol-download ours {} --pool {pool} --sparse",
        virshs.display()
    ));
    sh_ok(&format!(
        "cmp {file} {} && cmp {file} {}",
        mine.display(),
        virshs.display()
    ));
    assert_eq!(blocks(&mine), blocks(&virshs));
    assert!(blocks(&mine) < 32768, "not sparse: {} blocks", blocks(&mine));
    let text = vm(&[
        "vol-download",
        "dense",
        mine.to_str().unwrap(),
        "--pool",
        &pool,
        "--sparse",
        "-o",
        "text",
    ]);
    assert_eq!(text.ok().stdout, "");
    sh_ok(&format!("cmp {file} {}", mine.display()));

    // A volume too small for the file: exit 7 before anything moves (vol-upload's rule with or
    // without --sparse), the volume as it was.
    sh_ok(&format!("virsh vol-create-as {pool} small 1M --format raw"));
    let before = sh_ok(&format!("md5sum {}", path("small").display()));
    vm(&["vol-upload", "small", file, "--pool", &pool, "--sparse"]).fails(7, "larger than volume");
    assert_eq!(sh_ok(&format!("md5sum {}", path("small").display())), before);
}

/// vol-create-as and vol-clone --print-xml: the document virsh prints for the same words
/// (attribute quotes aside), nothing created; a missing pool or backing volume and a bad size fail as virsh's
/// do, nothing created either.
#[test]
fn vol_create_as_and_vol_clone_print_xml_are_virshs() {
    let lab = lab!();
    let dir = lab.dir("volxml");
    let pool = lab.name("pool");
    lab.on_drop(format!("virsh pool-destroy {pool}; virsh pool-undefine {pool}"));
    sh_ok(&format!(
        "virsh pool-define-as {pool} dir --target {} && virsh pool-start {pool} && \
         virsh vol-create-as {pool} base.img 8M --format raw",
        dir.display()
    ));
    let before = sh_ok(&format!("virsh vol-list {pool}; ls -l {}", dir.display()));
    for tail in [
        "v1 10M",
        "v1 10M --format qcow2 --allocation 1M",
        "v1 1G --allocation 0 --format raw",
        "v1 16M --format qcow2 --backing-vol base.img --backing-vol-format raw",
        "v1 16M --format qcow2 --backing-vol base.img",
        "base.img 8M",
    ] {
        let line = format!("vol-create-as {pool} {tail} --print-xml");
        let words: Vec<&str> = line.split(' ').collect();
        let ours = vm(&words).ok().stdout;
        let theirs = sh_ok(&format!("virsh {line}")).replace('\'', "\"");
        assert_eq!(ours.trim_end(), theirs.trim_end(), "{line}");
        let json = vm(&[&words[..], &["-o", "json"]].concat()).ok().json();
        assert_eq!(json["changed"], false);
    }
    for (tail, code, needle) in [
        ("nosuch v1 10M".to_string(), 3, "nosuch"),
        (format!("{pool} v1 10Q"), 7, "10Q"),
        (
            format!("{pool} v1 10M --format qcow2 --backing-vol gone.img"),
            3,
            "gone.img",
        ),
    ] {
        let line = format!("vol-create-as {tail} --print-xml");
        let words: Vec<&str> = line.split(' ').collect();
        vm(&words).fails(code, needle);
        assert_eq!(sh(&format!("virsh {line}")).code, 1, "{line}");
    }
    // vol-clone --print-xml: the volume's own XML renamed, as virsh prints it.
    let line = format!("vol-clone base.img copy.img --pool {pool} --print-xml");
    let words: Vec<&str> = line.split(' ').collect();
    let ours = vm(&words).ok().stdout;
    assert!(ours.contains("<name>copy.img</name>"), "{ours}");
    assert_eq!(ours.trim_end(), sh_ok(&format!("virsh {line}")).trim_end());
    let json = vm(&[&words[..], &["-o", "json"]].concat()).ok().json();
    assert_eq!(
        (json["name"].as_str(), json["changed"].as_bool()),
        (Some("copy.img"), Some(false))
    );
    vm(&[
        "vol-clone",
        "gone.img",
        "copy.img",
        "--pool",
        &pool,
        "--print-xml",
    ])
    .fails(3, "gone.img");
    assert_eq!(
        sh(&format!(
            "virsh vol-clone gone.img copy.img --pool {pool} --print-xml"
        ))
        .code,
        1
    );
    assert_eq!(
        sh_ok(&format!("virsh vol-list {pool}; ls -l {}", dir.display())),
        before
    );
}
