//! vnet-vm's host device verbs (virsh nodedev-list, nodedev-dumpxml, nodedev-info) against the
//! sandbox's libvirtd, read only, with virsh as the oracle for the same calls; an unknown
//! capability is exit 7 and an unknown device exit 3.

use vnet_tests::*;

fn text(args: &[&str]) -> String {
    let mut words = args.to_vec();
    words.extend(["-o", "text"]);
    vm(&words).ok().stdout
}

#[test]
fn host_devices_as_virsh_lists_them() {
    let _lab = lab!();
    for args in [
        "nodedev-list",
        "nodedev-list --tree",
        "nodedev-list --cap net",
        "nodedev-list --cap net,pci",
        "nodedev-list --all",
        "nodedev-list --inactive",
        "nodedev-info computer",
        "nodedev-info --device computer",
    ] {
        let words: Vec<&str> = args.split_whitespace().collect();
        assert_eq!(text(&words), sh_ok(&format!("virsh {args}")), "{args}");
    }
    let rows = vm(&["nodedev-list"]).ok().json();
    let lo = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"].as_str().is_some_and(|n| n.starts_with("net_lo")))
        .expect("the sandbox's lo is a node device")
        .clone();
    assert_eq!(
        (lo["parent"].as_str(), lo["capabilities"][0].as_str()),
        (Some("computer"), Some("net"))
    );
    let lo = lo["name"].as_str().unwrap();
    assert_eq!(
        vm(&["nodedev-dumpxml", lo]).ok().stdout + "\n",
        sh_ok(&format!("virsh nodedev-dumpxml {lo}"))
    );
    assert_eq!(
        text(&["nodedev-info", lo]),
        sh_ok(&format!("virsh nodedev-info {lo}"))
    );
    let facts = vm(&["nodedev-info", lo]).ok().json();
    assert_eq!(
        (facts["active"].as_bool(), facts["parent"].as_str()),
        (Some(true), Some("computer"))
    );

    vm(&["nodedev-list", "--cap", "bogus"]).fails(7, "bogus");
    vm(&["nodedev-dumpxml", "nosuchdevice"]).fails(3, "nosuchdevice");
    vm(&["nodedev-info", "nosuchdevice"]).fails(3, "nosuchdevice");
    assert_eq!(vm(&["nodedev-list", "--tree", "--cap", "net"]).code, 2);
}
