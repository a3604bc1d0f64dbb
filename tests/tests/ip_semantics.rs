//! End-to-end tests of ip's own semantics where vnet differed (issue 21): `link set X netns NS
//! name NEW` as one request, the MAC spellings ip reads, the names the kernel refuses, and a
//! `--batch` line over 1 MiB; with ip as the oracle and before/after snapshots for refusals.

use serde_json::Value;
use vnet_tests::*;

fn link(netns: Option<&str>, dev: &str) -> Value {
    let scope = netns.map(|n| format!("-n {n} ")).unwrap_or_default();
    ip_json(&format!("{scope}link show dev {dev}"))[0].clone()
}

fn names_in(netns: &str) -> Vec<String> {
    let mut names: Vec<String> = ip_json(&format!("-n {netns} link show"))
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["ifname"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// The kernel selftests' case: eth3 exists in the first namespace, and eth2 moves to the second
/// taking the name eth3 there, in one request (as `ip link set dev eth2 netns NS name eth3`).
/// Undone (--batch --atomic), it comes back under its old name.
#[test]
fn link_set_netns_with_a_new_name_is_one_request() {
    let lab = lab!();
    let (first, second, ip_first, ip_second) =
        (lab.netns("N1"), lab.netns("N2"), lab.netns("I1"), lab.netns("I2"));
    for ns in [&first, &second, &ip_first, &ip_second] {
        ns_ok(ns);
    }
    for ns in [&first, &ip_first] {
        sh_ok(&format!("ip -n {ns} link add eth2 type veth peer name eth3"));
    }
    sh_ok(&format!(
        "ip -n {ip_first} link set dev eth2 netns {ip_second} name eth3"
    ));
    let out = ns(&[
        "-n", &first, "link", "set", "dev", "eth2", "netns", &second, "name", "eth3",
    ])
    .ok()
    .json();
    assert_eq!(out["netns"], second.as_str(), "{out}");
    assert_eq!(out["interface"]["name"], "eth3", "{out}");
    assert_eq!(names_in(&first), names_in(&ip_first));
    assert_eq!(names_in(&second), names_in(&ip_second));
    assert_eq!(names_in(&first), ["eth3", "lo"]);
    assert_eq!(names_in(&second), ["eth3", "lo"]);
    // The moved link is still the peer of the first namespace's eth3, now across namespaces.
    let peer = link(Some(&first), "eth3");
    assert!(peer["link_netnsid"].is_number(), "{peer}");
    assert!(link(Some(&second), "eth3")["link_netnsid"].is_number());
    // Undone by --atomic: back in the first namespace under its old name.
    sh_ok(&format!(
        "ip -n {second} link set dev eth3 netns {first} name eth2"
    ));
    let before = state_snapshot();
    let batch =
        format!("-n {first} link set dev eth2 netns {second} name eth3\n-n {first} link set nosuch0 up\n");
    let run = vnet_stdin("vnet-ns", &["--batch", "-", "--atomic"], &batch);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(state_snapshot(), before, "the move and rename were undone");
    assert_eq!(names_in(&first), ["eth2", "eth3", "lo"]);
    // NEW taken in the target namespace: exit 4, nothing changed.
    sh_ok(&format!("ip -n {second} link add eth3 type veth peer name eth4"));
    assert_unchanged(state_snapshot, || {
        ns(&[
            "-n", &first, "link", "set", "dev", "eth2", "netns", &second, "name", "eth3",
        ])
        .fails(4, "already has an interface called 'eth3'");
    });
}

fn ns_ok(name: &str) {
    ns(&["add", name]).ok();
}

/// Every MAC spelling ip accepts sets the same address with vnet-ns as with `ip link set dev X
/// address ...`; each one ip refuses is exit 7 with nothing changed.
#[test]
fn mac_spellings_as_ip_reads_them() {
    let lab = lab!();
    let (ours, theirs) = (lab.link("mo"), lab.link("mt"));
    sh_ok(&format!("ip link add {ours} type veth peer name {theirs}"));
    let accepted = [
        "02:42:AC:11:00:37",
        "02:42:ac:11:001:37",
        "2:42:ac:11:0:37",
        "0002:042:AC:11:0000:3",
        "0x02:0X42:ac:11:0x0:37",
        "a:b:c:d:e:f",
    ];
    for spelling in accepted {
        sh_ok(&format!("ip link set dev {theirs} address {spelling}"));
        let out = ns(&["link", "set", "dev", &ours, "address", spelling])
            .ok()
            .json();
        let want = link(None, &theirs)["address"].clone();
        assert_eq!(link(None, &ours)["address"], want, "{spelling}");
        assert_eq!(out["interface"]["mac"], want, "{spelling}: {out}");
    }
    // Refused by ip too (by ip's own parser or by the kernel).
    let refused = [
        "52::00:12:34:56",
        "100:54:00:12:34:56",
        "52:54:00:12:34",
        "1:2:3:4:5:6:7",
        "52:54:00:12:34:-1",
        "52-54-00-12-34-56",
        "52.54.00.12.34.56",
        "01:00:5e:00:00:01",
    ];
    for spelling in refused {
        assert_unchanged(state_snapshot, || {
            let ip = sh(&format!("ip link set dev {theirs} address '{spelling}'"));
            assert_ne!(ip.code, 0, "ip accepted {spelling}");
            ns(&["link", "set", "dev", &ours, "address", spelling]).fails(7, "MAC address");
        });
    }
}

/// `addbr default` and the other names the kernel refuses: exit 7 with the reason, before the
/// kernel is asked (ip gets EINVAL from the kernel for the same names).
#[test]
fn names_the_kernel_refuses_are_exit_7() {
    let _lab = lab!();
    for name in ["default", "all"] {
        assert_unchanged(state_snapshot, || {
            let ip = sh(&format!("ip link add {name} type bridge"));
            assert_ne!(ip.code, 0, "the kernel took {name}");
            br(&["addbr", name]).fails(7, "reserved by the kernel");
            ns(&["veth", name, "x0"]).fails(7, "reserved by the kernel");
            ns(&["tuntap", "add", name, "mode", "tap"]).fails(7, "reserved by the kernel");
        });
    }
    for name in ["a/b", "a:b", "a b", "abcdefghijklmnop", ".."] {
        assert_unchanged(state_snapshot, || {
            br(&["addbr", name]).fails(7, "invalid interface name");
        });
    }
}

/// A line over 1 MiB fails alone (exit 7 in its record); --force goes on with the next line.
#[test]
fn a_batch_line_over_one_mib_fails_alone() {
    let lab = lab!();
    let (first, next) = (lab.netns("B1"), lab.netns("B2"));
    let long = format!("add {}\n", "x".repeat(1 << 20));
    let script = format!("add {first}\n{long}add {next}\n");
    let run = vnet_stdin("vnet-ns", &["--batch", "-", "--force"], &script);
    assert_eq!(run.code, 7, "{run:?}");
    let records = run.records();
    assert_eq!(records.len(), 3, "{}", run.stdout);
    assert_eq!(records[1]["line"], 2, "{}", records[1]);
    assert_eq!(records[1]["exit_code"], 7, "{}", records[1]);
    assert!(
        run.stderr.contains("line 2: line is longer than 1048576 bytes"),
        "{run:?}"
    );
    let names = netns_names();
    assert!(names.contains(&first) && names.contains(&next), "{names:?}");
    // Without --force the batch stops at that line, naming it.
    ns(&["del", &next]).ok();
    let run = vnet_stdin("vnet-ns", &["--batch", "-"], &format!("{long}add {next}\n"));
    assert_eq!(run.code, 7, "{run:?}");
    assert_eq!(run.records().len(), 1, "{}", run.stdout);
    assert!(!netns_names().contains(&next));
}

/// `add NS --exist-ok` on an existing namespace: "changed": false only when it already is what
/// the line asks; otherwise what differs is applied, or refused with exit 4 naming it.
#[test]
fn add_exist_ok_converges_or_refuses() {
    let lab = lab!();
    let name = lab.netns("X");
    let resolver = format!("/etc/netns/{name}/resolv.conf");
    sh_ok(&format!("ip netns add {name}"));
    // ip netns add leaves lo down: vnet-ns add brings it up.
    let out = ns(&["add", &name, "--exist-ok", "--nameserver", "192.0.2.53"])
        .ok()
        .json();
    assert_eq!(out["changed"], true, "{out}");
    assert_eq!(out["resolv_conf"], resolver.as_str(), "{out}");
    assert!(has_flag(
        &ip_json(&format!("-n {name} link show dev lo"))[0],
        "UP"
    ));
    assert!(sh_ok(&format!("cat {resolver}")).contains("nameserver 192.0.2.53\n"));
    // The same line again: already what it asks.
    let out = ns(&["add", &name, "--exist-ok", "--nameserver", "192.0.2.53"])
        .ok()
        .json();
    assert_eq!(out["changed"], false, "{out}");
    // Another nameserver: the file vnet-ns wrote is rewritten.
    let out = ns(&["add", &name, "--may-exist", "--nameserver", "192.0.2.54"])
        .ok()
        .json();
    assert_eq!(out["changed"], true, "{out}");
    assert!(sh_ok(&format!("cat {resolver}")).contains("nameserver 192.0.2.54\n"));
    // A tag on an untagged namespace is added; another tag is refused.
    assert_eq!(
        ns(&["add", &name, "--exist-ok", "--tag", "t1"]).ok().json()["changed"],
        true
    );
    let files = || sh_ok(&format!("cat {resolver} /run/vnet/netns-tags/{name}"));
    assert_unchanged(files, || {
        ns(&["add", &name, "--exist-ok", "--tag", "t2"]).fails(4, "tagged 't1', not 't2'");
    });
    // A resolver file vnet-ns did not write is refused, left as it is.
    sh_ok(&format!("echo 'nameserver 198.51.100.1' > {resolver}"));
    assert_unchanged(files, || {
        ns(&["add", &name, "--exist-ok", "--nameserver", "192.0.2.53"]).fails(4, "not written by vnet-ns");
    });
}

/// addbr and addvxlan with --exist-ok: "changed": false only when the bridge or port already is
/// what was asked; missing addresses and up are applied, another tag, remote, port or MTU is
/// exit 4 naming it, with nothing changed.
#[test]
fn bridge_exist_ok_converges_or_refuses() {
    let lab = lab!();
    let (bridge, vx) = (lab.link("eb"), lab.link("ev"));
    br(&["addbr", &bridge]).ok();
    assert_eq!(
        br(&["addbr", &bridge, "--exist-ok"]).ok().json()["changed"],
        false
    );
    let asked = ["addbr", &bridge, "--exist-ok", "--up", "--addr", "10.71.0.1/24"];
    assert_eq!(br(&asked).ok().json()["changed"], true);
    assert_eq!(br(&asked).ok().json()["changed"], false);
    assert_unchanged(state_snapshot, || {
        br(&["addbr", &bridge, "--may-exist", "--tag", "t1"]).fails(4, "exists untagged, not tagged 't1'");
    });
    let port = ["addvxlan", &bridge, &vx, "--vni", "42", "--remote", "192.0.2.2"];
    br(&port).ok();
    let again = [&port[..], &["--exist-ok"]].concat();
    assert_eq!(br(&again).ok().json()["changed"], false);
    let refused: [(&[&str], &str); 4] = [
        (&["--remote", "192.0.2.3"], "remote 192.0.2.2, not 192.0.2.3"),
        (&["--port", "4790"], "port 4789, not 4790"),
        (&["--mtu", "1400"], "not 1400"),
        (&["--tag", "t1"], "tag none, not t1"),
    ];
    for (extra, needle) in refused {
        let mut args = vec!["addvxlan", &bridge, &vx, "--vni", "42", "--exist-ok"];
        if extra[0] != "--remote" {
            args.extend(["--remote", "192.0.2.2"]);
        }
        args.extend(extra);
        assert_unchanged(state_snapshot, || {
            br(&args).fails(4, needle);
        });
    }
}

/// veth --exist-ok: "changed": false only when the pair already is what was asked; a missing
/// address, another MTU, a down end or another tag is exit 4 naming it, with nothing changed.
#[test]
fn veth_exist_ok_refuses_what_differs() {
    let lab = lab!();
    let (netns, a, b) = (lab.netns("V"), lab.link("va"), lab.link("vb"));
    ns(&["add", &netns]).ok();
    let pair = [
        "veth",
        &a,
        &b,
        "--peer-netns",
        &netns,
        "--addr",
        "10.72.0.1/24",
        "--mtu",
        "1400",
    ];
    ns(&pair).ok();
    let again = [&pair[..], &["--exist-ok"]].concat();
    assert_eq!(ns(&again).ok().json()["changed"], false);
    let cases: [(&[&str], &str); 3] = [
        (&["--peer-addr", "10.72.0.2/24"], "lacks address 10.72.0.2/24"),
        (&["--tag", "t1"], "is untagged, not tagged 't1'"),
        (&["--mtu", "1300"], "has mtu 1400, not 1300"),
    ];
    for (extra, needle) in cases {
        let mut args = again.clone();
        if extra[0] == "--mtu" {
            args.retain(|w| *w != "--mtu" && *w != "1400");
        }
        args.extend(extra);
        assert_unchanged(state_snapshot, || {
            ns(&args).fails(4, needle);
        });
    }
    sh_ok(&format!("ip -n {netns} link set {b} down"));
    assert_unchanged(state_snapshot, || {
        ns(&again).fails(4, &format!("'{b}' is down"));
    });
    assert_eq!(
        ns(&[&again[..], &["--no-up"]].concat()).ok().json()["changed"],
        false
    );
}
