//! The virsh verbs that turn one name of an object into another, through vnet-net and vnet-vm
//! against the sandbox's libvirtd: net-uuid, net-name, pool-uuid, pool-name, vol-key, vol-name,
//! vol-pool and snapshot-parent, each checked against virsh's own output for the same call;
//! missing objects exit 3.

use vnet_tests::*;

/// vnet's `-o text` for `args` is virsh's output for the same words (`virsh_args`).
fn same_text(tool: fn(&[&str]) -> Run, args: &[&str], virsh_args: &str) {
    let mut words = args.to_vec();
    words.extend(["-o", "text"]);
    assert_eq!(
        tool(&words).ok().stdout,
        sh_ok(&format!("virsh {virsh_args}")),
        "{args:?}"
    );
}

#[test]
fn network_names_as_virsh_prints_them() {
    let lab = lab!();
    let name = lab.network("nid");
    let dir = lab.dir("nid");
    let file = dir.join("net.xml");
    std::fs::write(&file, format!("<network><name>{name}</name></network>")).unwrap();
    sh_ok(&format!("virsh net-define {}", file.display()));
    let uuid = sh_ok(&format!("virsh net-uuid {name}")).trim().to_string();

    same_text(net, &["net-uuid", &name], &format!("net-uuid {name}"));
    same_text(
        net,
        &["uuid", "--network", &name],
        &format!("net-uuid --network {name}"),
    );
    same_text(net, &["net-name", &uuid], &format!("net-name {uuid}"));
    let ids = net(&["name", &uuid]).ok().json();
    assert_eq!(
        (ids["name"].as_str(), ids["uuid"].as_str()),
        (Some(name.as_str()), Some(uuid.as_str()))
    );
    net(&["uuid", "nosuchnet"]).fails(3, "nosuchnet");
    net(&["net-name", "00000000-0000-0000-0000-000000000001"]).fails(3, "not found");
}

#[test]
fn pool_and_volume_names_as_virsh_prints_them() {
    let lab = lab!();
    let pool = lab.name("pid");
    lab.on_drop(format!("virsh pool-destroy {pool}; virsh pool-undefine {pool}"));
    let dir = lab.dir("pid");
    let target = dir.display().to_string();
    sh_ok(&format!(
        "virsh pool-define-as {pool} dir --target {target} && virsh pool-start {pool}"
    ));
    sh_ok(&format!("virsh vol-create-as {pool} v1.img 1M"));
    let uuid = sh_ok(&format!("virsh pool-uuid {pool}")).trim().to_string();
    let path = format!("{target}/v1.img");

    same_text(vm, &["pool-uuid", &pool], &format!("pool-uuid {pool}"));
    same_text(vm, &["pool-name", &uuid], &format!("pool-name {uuid}"));
    same_text(
        vm,
        &["vol-key", "v1.img", "--pool", &pool],
        &format!("vol-key v1.img --pool {pool}"),
    );
    same_text(vm, &["vol-key", &path], &format!("vol-key {path}"));
    same_text(vm, &["vol-name", &path], &format!("vol-name {path}"));
    same_text(vm, &["vol-pool", &path], &format!("vol-pool {path}"));
    same_text(
        vm,
        &["vol-pool", "--vol", &path, "--uuid"],
        &format!("vol-pool --vol {path} --uuid"),
    );
    let ids = vm(&["vol-pool", &path]).ok().json();
    assert_eq!(
        (
            ids["name"].as_str(),
            ids["pool"].as_str(),
            ids["pool_uuid"].as_str()
        ),
        (Some("v1.img"), Some(pool.as_str()), Some(uuid.as_str()))
    );

    vm(&["pool-uuid", "nosuchpool"]).fails(3, "nosuchpool");
    vm(&["vol-name", "/nonexistent/v1.img"]).fails(3, "not found");
    vm(&["vol-key", "nosuch.img", "--pool", &pool]).fails(3, "not found");
}

#[test]
fn snapshot_parent_as_virsh_prints_it() {
    let lab = lab!();
    let name = lab.domain("spa");
    lab.on_drop(format!(
        "for s in $(virsh snapshot-list {name} --name); do virsh snapshot-delete {name} $s --metadata; done"
    ));
    let dir = lab.dir("spa");
    let disk = dir.join("disk.qcow2");
    sh_ok(&format!("qemu-img create -f qcow2 {} 16M", disk.display()));
    let file = dir.join("guest.xml");
    std::fs::write(
        &file,
        format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type></os><devices><disk type='file' device='disk'>\
             <driver name='qemu' type='qcow2'/><source file='{}'/><target dev='vda' bus='virtio'/>\
             </disk></devices></domain>",
            disk.display()
        ),
    )
    .unwrap();
    sh_ok(&format!("virsh define {}", file.display()));
    sh_ok(&format!(
        "virsh snapshot-create-as {name} s1 && virsh snapshot-create-as {name} s2"
    ));

    same_text(
        vm,
        &["snapshot-parent", &name, "s2"],
        &format!("snapshot-parent {name} s2"),
    );
    same_text(
        vm,
        &["snapshot-parent", &name, "--snapshotname", "s2"],
        &format!("snapshot-parent {name} --snapshotname s2"),
    );
    same_text(
        vm,
        &["snapshot-parent", &name, "--current"],
        &format!("snapshot-parent {name} --current"),
    );
    let out = vm(&["snapshot-parent", &name, "s2"]).ok().json();
    assert_eq!(
        (out["snapshot"].as_str(), out["parent"].as_str()),
        (Some("s2"), Some("s1"))
    );

    vm(&["snapshot-parent", &name, "s1"]).fails(3, "no parent");
    vm(&["snapshot-parent", &name, "nosuch"]).fails(3, "nosuch");
    vm(&["snapshot-parent", "nosuchdomain", "s1"]).fails(3, "nosuchdomain");
    // Neither a name nor --current: a usage error, as virsh requires one.
    assert_eq!(vm(&["snapshot-parent", &name]).code, 2);
}
