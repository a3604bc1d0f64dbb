//! find-storage-pool-sources and find-storage-pool-sources-as against the sandbox's libvirtd,
//! with virsh as the oracle for the same calls. Nothing here has sources to discover (no NFS
//! server, no LVM tools), so both tools end in libvirt's refusal, and vnet must say what virsh
//! says; vnet's own checks (type, spec file, port) are exit 7 before libvirt is asked.

use vnet_tests::*;

/// virsh's last error line for `args` (its libvirt message).
fn virsh_error(args: &str) -> String {
    let run = sh(&format!("virsh {args}"));
    let line = run
        .stderr
        .lines()
        .rfind(|l| l.starts_with("error: "))
        .unwrap_or_default();
    line.trim_start_matches("error: ").to_string()
}

#[test]
fn pool_sources_as_virsh_finds_them() {
    let lab = lab!();
    // libvirt's refusals, in libvirt's words: no discovery for dir pools (exit 6), nothing on
    // the host for netfs (exit 1).
    let dir = virsh_error("find-storage-pool-sources dir");
    assert!(dir.contains("does not support source discovery"), "{dir}");
    vm(&["find-storage-pool-sources", "dir"]).fails(6, &dir);
    let netfs = virsh_error("find-storage-pool-sources-as netfs 127.0.0.1");
    assert!(netfs.contains("127.0.0.1"), "{netfs}");
    vm(&["find-storage-pool-sources-as", "netfs", "127.0.0.1"]).fails(1, &netfs);
    vm(&["find-storage-pool-sources-as", "netfs", "--host", "127.0.0.1"]).fails(1, &netfs);
    let dir_path = lab.dir("src");
    let spec = dir_path.join("spec.xml");
    std::fs::write(&spec, "<source><host name='127.0.0.1'/></source>").unwrap();
    let spec = spec.display().to_string();
    let by_file = virsh_error(&format!("find-storage-pool-sources netfs {spec}"));
    assert_eq!(by_file, netfs);
    vm(&["find-storage-pool-sources", "netfs", "--srcSpec", &spec]).fails(1, &netfs);

    // vnet's checks before libvirt: exit 7.
    let bad = dir_path.join("bad.xml");
    std::fs::write(&bad, "<pool/>").unwrap();
    let bad = bad.display().to_string();
    vm(&["find-storage-pool-sources", "bogus"]).fails(7, "bogus");
    vm(&["find-storage-pool-sources", "netfs", "--srcSpec", &bad]).fails(7, "<source>");
    vm(&[
        "find-storage-pool-sources",
        "netfs",
        "--srcSpec",
        "/nonexistent.xml",
    ])
    .fails(3, "nonexistent");
    vm(&["find-storage-pool-sources-as", "iscsi", "--port", "3260"]).fails(7, "--host");
    vm(&["find-storage-pool-sources-as", "iscsi", "h", "99999"]).fails(7, "99999");
}
