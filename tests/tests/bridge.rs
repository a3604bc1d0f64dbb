//! End-to-end tests of vnet-bridge, run in the sandbox (tests/sandbox). Oracles: sysfs
//! (/sys/class/net/BR/brif, bridge/*, brport/*), `bridge -j link`, `ip -j`, and brctl itself for
//! the text layouts. Every object a test makes is named and removed by its `lab!()`.

use serde_json::{json, Value};
use std::process::{Command, Stdio};
use vnet_tests::*;

/// A veth pair standing in for a NIC (this kernel has no dummy links); both ends up. The lab
/// deletes it (deleting one end deletes both).
fn veth(lab: &Lab, a: &str, b: &str) -> (String, String) {
    let (a, b) = (lab.link(a), lab.name(b));
    sh_ok(&format!(
        "ip link add {a} type veth peer name {b} && ip link set {a} up && ip link set {b} up"
    ));
    (a, b)
}

/// A new named namespace, deleted by the lab.
fn netns(lab: &Lab, stem: &str) -> String {
    let name = lab.netns(stem);
    sh_ok(&format!("ip netns add {name}"));
    name
}

fn exists(link: &str) -> bool {
    std::path::Path::new(&format!("/sys/class/net/{link}")).exists()
}

/// Everything bad input must leave alone: links, addresses, and the bridge's and its ports'
/// settings in sysfs (running timers left out).
fn full_state(bridge: &str) -> String {
    let settings = sh(&format!(
        "cd /sys/class/net/{bridge} 2>/dev/null && grep -rs . bridge/ brif/*/ 2>/dev/null \
         | grep -Ev '_timer:|gc_timer|hello_timer|tcn_timer|topology_change_timer' | sort"
    ));
    format!("{}\n{}", state_snapshot(), settings.stdout)
}

/// Replaces brctl's timer fields ("  14.99") so outputs taken a moment apart compare.
fn mask_timers(text: &str) -> String {
    text.lines().map(mask_line).collect::<Vec<_>>().join("\n")
}

fn mask_line(line: &str) -> String {
    line.split('\t')
        .map(|field| {
            let t = field.trim();
            let is_timer = t.len() >= 4
                && t.split_once('.').is_some_and(|(a, b)| {
                    !a.is_empty()
                        && a.chars().all(|c| c.is_ascii_digit())
                        && b.len() == 2
                        && b.chars().all(|c| c.is_ascii_digit())
                });
            if is_timer {
                "T".to_string()
            } else {
                field.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\t")
}

fn assert_same_lines(ours: &str, theirs: &str) {
    let (a, b): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), theirs.lines().collect());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(
            x,
            y,
            "line {} differs\nvnet-bridge:\n{ours}\nbrctl:\n{theirs}",
            i + 1
        );
    }
    assert_eq!(
        a.len(),
        b.len(),
        "line counts differ\nvnet-bridge:\n{ours}\nbrctl:\n{theirs}"
    );
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect()
}

fn find<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {list}"))
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

#[test]
fn seed_steps_with_a_veth_standing_in_for_the_nic() {
    let lab = lab!();
    let bridge = lab.link("mybr");
    let (nic, _) = veth(&lab, "enp", "enq");
    // brctl addbr mybridge0; brctl addif mybridge0 enp0s25
    let out = br(&["addbr", &bridge]).ok().json();
    assert_eq!(out["changed"], true);
    assert_eq!(out["name"], bridge.as_str());
    assert_eq!(sysfs(&format!("{bridge}/bridge/stp_state")), "0");
    let out = br(&["addif", &bridge, &nic]).ok().json();
    assert_eq!(out["added"], json!([nic]));
    assert_eq!(bridge_ports(&bridge), vec![nic.clone()]);
    let links = serde_json::from_str::<Value>(&sh_ok("bridge -j link")).unwrap();
    let port = links
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["ifname"] == nic.as_str())
        .unwrap();
    assert_eq!(port["master"], bridge.as_str());
    // brctl show, read as JSON and as brctl's own text.
    let shown = br(&["show", &bridge]).ok().json();
    let entry = &shown[0];
    assert_eq!(entry["name"], bridge.as_str());
    assert_eq!(entry["stp"], false);
    let id = sysfs(&format!("{bridge}/bridge/bridge_id"));
    assert_eq!(entry["id"], id.as_str());
    let iface = &entry["interfaces"][0];
    assert_eq!(iface["name"], nic.as_str());
    assert_eq!(iface["port_no"], 1);
    for counter in ["rx_packets", "rx_bytes", "tx_packets", "tx_bytes"] {
        assert!(iface[counter].is_u64(), "{counter}: {entry}");
    }
    let text = br(&["-o", "text", "show", &bridge]).ok().stdout;
    assert_same_lines(&text, &sh_ok(&format!("brctl show {bridge}")));
    // -q leaves out brctl's header line.
    let quiet = br(&["-o", "text", "-q", "show", &bridge]).ok().stdout;
    assert_eq!(
        quiet.lines().collect::<Vec<_>>(),
        text.lines().skip(1).collect::<Vec<_>>()
    );
    // The second addif is a no-op, not an error.
    assert_eq!(br(&["addif", &bridge, &nic]).ok().json()["changed"], false);
    br(&["delbr", "--force", &bridge]).ok();
}

#[test]
fn show_text_is_brctl_show_line_by_line() {
    let lab = lab!();
    let (b1, b2, b3) = (lab.link("sa"), lab.link("sb"), lab.link("sc"));
    let (p1, _) = veth(&lab, "pa", "qa");
    let (p2, _) = veth(&lab, "pb", "qb");
    let (p3, _) = veth(&lab, "pc", "qc");
    br(&["addbr", &b1]).ok();
    br(&["addbr", &b2, "--up"]).ok();
    br(&["addbr", &b3]).ok();
    br(&["addif", &b1, &p2, &p1, &p3]).ok();
    br(&["stp", &b2, "on"]).ok();
    let ours = br(&["-o", "text", "show"]).ok().stdout;
    assert_same_lines(&ours, &sh_ok("brctl show"));
    let ours = br(&["-o", "text", "show", &b3, &b1]).ok().stdout;
    assert_same_lines(&ours, &sh_ok(&format!("brctl show {b3} {b1}")));
    // JSON lists the same bridges and ports.
    let shown = br(&["show"]).ok().json();
    let first = find(&shown, &b1);
    assert_eq!(
        names(&first["interfaces"]),
        sorted(vec![p1.clone(), p2.clone(), p3.clone()])
    );
    let second = find(&shown, &b2);
    assert_eq!(second["stp"], true);
    assert_eq!(second["up"], true);
    // A missing bridge: exit 3, nothing printed, nothing changed.
    assert_unchanged(
        || full_state(&b1),
        || {
            br(&["show", &b1, "nosuchbr"]).fails(3, "bridge 'nosuchbr' not found");
        },
    );
}

#[test]
fn addbr_with_address_and_up_and_idempotence() {
    let lab = lab!();
    let bridge = lab.link("ab");
    let out = br(&["addbr", &bridge, "--addr", "10.10.10.98/24", "--up"])
        .ok()
        .json();
    assert_eq!(out["changed"], true);
    assert_eq!(out["up"], true);
    let link = &ip_json(&format!("addr show dev {bridge}"))[0];
    assert!(link["flags"].as_array().unwrap().iter().any(|f| f == "UP"));
    let addrs: Vec<String> = link["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{}/{}", a["local"].as_str().unwrap(), a["prefixlen"]))
        .collect();
    assert!(addrs.contains(&"10.10.10.98/24".to_string()), "{addrs:?}");
    // Already there: exit 4 and nothing changes; --exist-ok (or --may-exist) succeeds unchanged.
    assert_unchanged(
        || full_state(&bridge),
        || {
            br(&["addbr", &bridge]).fails(4, "already exists");
            for flag in ["--exist-ok", "--may-exist"] {
                let out = br(&["addbr", &bridge, flag, "--addr", "10.10.10.98/24", "--up"])
                    .ok()
                    .json();
                assert_eq!(out["changed"], false);
            }
        },
    );
    // --exist-ok still adds a missing address.
    let out = br(&["addbr", &bridge, "--exist-ok", "--addr", "10.20.0.1/16"])
        .ok()
        .json();
    assert_eq!(out["changed"], true);
    assert!(out["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "10.20.0.1/16"));
    addbr_undoes_a_refusal_half_way(&lab, &bridge);
    addbr_refuses_before_touching_anything(&lab, &bridge);
}

/// The kernel refuses a multicast interface address half-way: the new bridge is deleted again,
/// and on an existing bridge the addresses added before the refusal are removed.
fn addbr_undoes_a_refusal_half_way(lab: &Lab, bridge: &str) {
    let half = lab.link("ah");
    assert_unchanged(
        || full_state(bridge),
        || {
            let (a, b) = ("10.30.0.1/24", "ff02::1/64");
            br(&["addbr", &half, "--addr", a, "--addr", b, "--up"]).fails(1, "add address ff02::1/64");
            assert!(!exists(&half));
            let a = "10.31.0.1/24";
            br(&["addbr", bridge, "--exist-ok", "--addr", a, "--addr", b])
                .fails(1, "add address ff02::1/64")
                .fails(1, "every change made was undone");
        },
    );
}

/// A name that is not a bridge, a bad CIDR: refused before anything is created.
fn addbr_refuses_before_touching_anything(lab: &Lab, bridge: &str) {
    let (v, _) = veth(lab, "nb", "nc");
    let fresh = lab.link("ac");
    assert_unchanged(
        || full_state(bridge),
        || {
            br(&["addbr", &v, "--exist-ok"]).fails(4, "is not a bridge");
            br(&["addbr", &fresh, "--addr", "10.0.0.1/33"]).fails(7, "prefix longer than 32");
            assert!(!exists(&fresh));
        },
    );
}

#[test]
fn bridge_names_over_15_bytes_are_refused_not_truncated() {
    let _lab = lab!();
    assert_unchanged(state_snapshot, || {
        br(&["addbr", "averylongbridgename"]).fails(7, "longer than 15");
        br(&["addbr", "sixteen-bytes-xx"]).fails(7, "16 bytes");
        br(&["addbr", "a/b"]).fails(7, "invalid interface name");
    });
    assert!(!exists("averylongbridge"));
}

#[test]
fn delbr_refuses_an_up_bridge_unless_forced() {
    let lab = lab!();
    let bridge = lab.link("db");
    br(&["addbr", &bridge, "--up"]).ok();
    assert_unchanged(
        || full_state(&bridge),
        || {
            br(&["delbr", &bridge]).fails(4, "bridge is up");
        },
    );
    assert_eq!(br(&["delbr", &bridge, "--force"]).ok().json()["changed"], true);
    assert!(!exists(&bridge));
    // Missing: exit 3, or success without change with --missing-ok (or --if-exists).
    assert_unchanged(state_snapshot, || {
        br(&["delbr", &bridge]).fails(3, "not found");
        for flag in ["--missing-ok", "--if-exists"] {
            assert_eq!(br(&["delbr", &bridge, flag]).ok().json()["changed"], false);
        }
    });
    // A down bridge goes without --force.
    br(&["addbr", &bridge]).ok();
    br(&["delbr", &bridge]).ok();
    // Not a bridge: exit 7, the link stays.
    let (v, _) = veth(&lab, "dv", "dw");
    assert_unchanged(state_snapshot, || {
        br(&["delbr", &v, "--force"]).fails(7, "is not a bridge");
    });
}

#[test]
fn addif_and_delif_with_every_refusal() {
    let lab = lab!();
    let (b1, b2) = (lab.link("ia"), lab.link("ib"));
    let (p, q) = veth(&lab, "ip", "iq");
    let (r, s) = veth(&lab, "ir", "is");
    br(&["addbr", &b1]).ok();
    br(&["addbr", &b2]).ok();
    let out = br(&["addif", &b1, &p, &r]).ok().json();
    assert_eq!(out["changed"], true);
    assert_eq!(bridge_ports(&b1), sorted(vec![p.clone(), r.clone()]));
    let both = || full_state(&b1) + &full_state(&b2);
    assert_unchanged(both, || addif_refusals(&b1, &b2, &p, &q, &s));
    // --force moves it.
    let out = br(&["addif", &b2, &p, "--force"]).ok().json();
    assert_eq!(out["added"], json!([p]));
    assert_eq!(bridge_ports(&b2), vec![p.clone()]);
    assert_eq!(bridge_ports(&b1), vec![r.clone()]);
    // delif: not a port, missing, then the real thing.
    assert_unchanged(both, || {
        br(&["delif", &b1, &p]).fails(3, "is not a port of bridge");
        br(&["delif", &b1, "nosuchport"]).fails(3, "not found");
        for flag in ["--missing-ok", "--if-exists"] {
            assert_eq!(br(&["delif", &b1, &p, flag]).ok().json()["changed"], false);
        }
    });
    let out = br(&["delif", &b1, &r]).ok().json();
    assert_eq!(out["removed"], json!([r]));
    assert!(bridge_ports(&b1).is_empty());
    br(&["delif", &b2, &p]).ok();
    assert!(bridge_ports(&b2).is_empty());
}

/// Every way addif refuses, none of which may change anything (p is a port of b1).
fn addif_refusals(b1: &str, b2: &str, p: &str, q: &str, s: &str) {
    // A port of another bridge: exit 4, nothing moves (not even the free interface listed first).
    br(&["addif", b2, q, p]).fails(4, &format!("already a port of bridge '{b1}'"));
    // Missing port, missing bridge, a non-bridge target, a bridge as a port.
    br(&["addif", b2, "nosuchport"]).fails(3, "interface 'nosuchport' not found");
    br(&["addif", "nosuchbr", q]).fails(3, "bridge 'nosuchbr' not found");
    br(&["addif", q, s]).fails(7, "is not a bridge");
    br(&["addif", b2, b1]).fails(7, "bridges cannot be ports");
    br(&["addif", b2, "waytoolonginterfacename"]).fails(7, "longer than 15");
    br(&["addif", b2, q, "--move-addresses", s]).fails(2, "exactly one interface");
    // The kernel refuses the second interface (a loopback cannot be a port): the first one,
    // already enslaved, is released again. (On b1, which keeps ports: an empty bridge would come
    // back with the all-zero MAC the kernel gives a bridge whose last port left, as after
    // brctl addif + delif.)
    br(&["addif", b1, q, "lo"])
        .fails(1, "enslave 'lo': Invalid argument")
        .fails(1, "every change made was undone");
}

#[test]
fn stp_timers_priorities_and_hairpin_against_sysfs() {
    let lab = lab!();
    let bridge = lab.link("tb");
    let (p, _) = veth(&lab, "tp", "tq");
    br(&["addbr", &bridge]).ok();
    br(&["addif", &bridge, &p]).ok();
    let attr = |name: &str| sysfs(&format!("{bridge}/bridge/{name}"));
    let port = |name: &str| sysfs(&format!("{bridge}/brif/{p}/{name}"));
    assert_eq!(br(&["stp", &bridge, "on"]).ok().json()["changed"], true);
    assert_ne!(attr("stp_state"), "0");
    assert_eq!(br(&["stp", &bridge, "on"]).ok().json()["changed"], false);
    let out = br(&["setfd", &bridge, "4"]).ok().json();
    assert_eq!(out["forward_delay"], 4.0);
    assert_eq!(attr("forward_delay"), "400");
    br(&["sethello", &bridge, "3"]).ok();
    assert_eq!(attr("hello_time"), "300");
    br(&["setmaxage", &bridge, "12"]).ok();
    assert_eq!(attr("max_age"), "1200");
    br(&["setageing", &bridge, "100.5"]).ok();
    assert_eq!(attr("ageing_time"), "10050");
    br(&["setbridgeprio", &bridge, "4096"]).ok();
    assert_eq!(attr("priority"), "4096");
    br(&["setpathcost", &bridge, &p, "7"]).ok();
    assert_eq!(port("path_cost"), "7");
    br(&["setportprio", &bridge, &p, "5"]).ok();
    assert_eq!(port("priority"), "5");
    assert_eq!(br(&["hairpin", &bridge, &p, "on"]).ok().json()["hairpin"], true);
    assert_eq!(port("hairpin_mode"), "1");
    let links: Value = serde_json::from_str(&sh_ok("bridge -d -j link")).unwrap();
    let entry = links
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["ifname"] == p.as_str())
        .unwrap();
    assert_eq!(entry["cost"], 7);
    assert_eq!(entry["priority"], 5);
    assert_eq!(entry["hairpin"], true);
    assert_unchanged(|| full_state(&bridge), || stp_refusals(&bridge, &p));
    br(&["stp", &bridge, "off"]).ok();
    assert_eq!(attr("stp_state"), "0");
}

/// Out of range or malformed values, port verbs on a non-port or a missing bridge: refused
/// (STP is on), nothing changed.
fn stp_refusals(bridge: &str, p: &str) {
    for (args, code, needle) in [
        (vec!["setfd", bridge, "1"], 7, "2..30 seconds"),
        (vec!["setfd", bridge, "31"], 7, "2..30 seconds"),
        (vec!["sethello", bridge, "0.5"], 7, "1..10 seconds"),
        (vec!["sethello", bridge, "11"], 7, "1..10 seconds"),
        (vec!["setmaxage", bridge, "5"], 7, "6..40 seconds"),
        (vec!["setmaxage", bridge, "41"], 7, "6..40 seconds"),
        (vec!["setageing", bridge, "-1"], 7, "0..1000000 seconds"),
        (vec!["setageing", bridge, "soon"], 7, "invalid ageing_time"),
        (vec!["setbridgeprio", bridge, "65536"], 7, "0..65535"),
        (vec!["setpathcost", bridge, p, "0"], 7, "1..65535"),
        (vec!["setpathcost", bridge, p, "70000"], 7, "1..65535"),
        (vec!["setportprio", bridge, p, "64"], 7, "0..63"),
        (vec!["hairpin", bridge, p, "maybe"], 7, "expected on or off"),
        (vec!["stp", bridge, "sometimes"], 7, "expected on or off"),
        (
            vec!["setpathcost", bridge, "lo", "9"],
            3,
            "is not a port of bridge",
        ),
        (
            vec!["hairpin", "nosuchbr", p, "on"],
            3,
            "bridge 'nosuchbr' not found",
        ),
        (vec!["setfd", "nosuchbr", "4"], 3, "not found"),
    ] {
        br(&args).fails(code, needle);
    }
}

#[test]
fn setfd_takes_the_kernels_limits_in_each_stp_state() {
    let lab = lab!();
    let bridge = lab.link("fd");
    br(&["addbr", &bridge]).ok();
    // sysfs shows the delay in centiseconds.
    let delay = || sysfs(&format!("{bridge}/bridge/forward_delay"));
    // STP off: any value, 0 included (libvirt's delay='0', LXC's and Xen's bridge scripts).
    let out = br(&["setfd", &bridge, "0"]).ok().json();
    assert_eq!(
        (out["forward_delay"].as_f64(), out["changed"].as_bool()),
        (Some(0.0), Some(true))
    );
    assert_eq!(delay(), "0");
    for (secs, centis) in [("0.5", "50"), ("45", "4500"), ("0", "0")] {
        br(&["setfd", &bridge, secs]).ok();
        assert_eq!(delay(), centis, "setfd {secs} with STP off");
    }
    br(&["setfd", &bridge, "-1"]).fails(7, "while STP is off");
    // Turning STP on raises a delay of 0 to 2 s (the kernel does it).
    br(&["stp", &bridge, "on"]).ok();
    assert_eq!(delay(), "200");
    // STP on: 2..30 s only (the kernel answers ERANGE otherwise), refused before anything changes.
    assert_unchanged(
        || full_state(&bridge),
        || {
            for secs in ["0", "1.99", "30.01", "-1"] {
                br(&["setfd", &bridge, secs]).fails(7, "2..30 seconds while STP is on");
            }
        },
    );
    assert_eq!(br(&["setfd", &bridge, "2"]).ok().json()["changed"], false);
    br(&["setfd", &bridge, "30"]).ok();
    assert_eq!(delay(), "3000");
    // Off again: 0 is accepted again; a delay over 30 s is lowered to 30 when STP goes on.
    br(&["stp", &bridge, "off"]).ok();
    br(&["setfd", &bridge, "0"]).ok();
    assert_eq!(delay(), "0");
    br(&["setfd", &bridge, "45"]).ok();
    br(&["stp", &bridge, "on"]).ok();
    assert_eq!(delay(), "3000");
}

#[test]
fn showstp_text_is_brctl_showstp() {
    let lab = lab!();
    let bridge = lab.link("st");
    let (p, _) = veth(&lab, "sp", "sq");
    let (r, _) = veth(&lab, "sr", "ss");
    br(&["addbr", &bridge, "--up"]).ok();
    br(&["addif", &bridge, &p, &r]).ok();
    br(&["stp", &bridge, "on"]).ok();
    br(&["hairpin", &bridge, &r, "on"]).ok();
    let ours = br(&["-o", "text", "showstp", &bridge]).ok().stdout;
    let theirs = sh_ok(&format!("brctl showstp {bridge}"));
    assert_same_lines(&mask_timers(&ours), &mask_timers(&theirs));
    let json = br(&["showstp", &bridge]).ok().json();
    assert_eq!(json["stp"], true);
    assert_eq!(json["id"], sysfs(&format!("{bridge}/bridge/bridge_id")).as_str());
    assert_eq!(json["forward_delay"], 15.0);
    let ports = json["ports"].as_array().unwrap();
    assert_eq!(ports.len(), 2);
    let hp = find(&json["ports"], &r);
    assert_eq!(hp["hairpin"], true);
    assert_eq!(
        hp["path_cost"],
        sysfs(&format!("{bridge}/brif/{r}/path_cost"))
            .parse::<u64>()
            .unwrap()
    );
    br(&["showstp", "nosuchbr"]).fails(3, "not found");
}

#[test]
fn showmacs_is_the_bridge_fdb() {
    let lab = lab!();
    // A host in its own namespace behind port p, pinging the bridge's address: its MAC is learned.
    let (bridge, p, q, ns) = (lab.link("mb"), lab.link("mp"), lab.name("mq"), netns(&lab, "MH"));
    sh_ok(&format!(
        "ip link add {p} type veth peer name {q} netns {ns} && ip link set {p} up && \
         ip -n {ns} link set {q} up && ip -n {ns} addr add 192.168.77.2/24 dev {q}"
    ));
    br(&["addbr", &bridge, "--addr", "192.168.77.1/24", "--up"]).ok();
    br(&["addif", &bridge, &p]).ok();
    sh_ok(&format!("ip netns exec {ns} ping -c1 -W5 192.168.77.1"));
    let peer_mac = ip_json(&format!("-n {ns} link show {q}"))[0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let macs = br(&["showmacs", &bridge]).ok().json();
    let rows = macs.as_array().unwrap();
    let learned = rows
        .iter()
        .find(|r| r["mac"] == peer_mac.as_str())
        .unwrap_or_else(|| panic!("{macs}"));
    assert_eq!(learned["local"], false);
    assert_eq!(learned["port"], p.as_str());
    assert_eq!(learned["port_no"], 1);
    assert!(rows.iter().any(|r| r["local"] == true));
    let ours = br(&["-o", "text", "showmacs", &bridge]).ok().stdout;
    let theirs = sh_ok(&format!("brctl showmacs {bridge}"));
    assert_same_lines(&mask_timers(&ours), &mask_timers(&theirs));
    br(&["showmacs", "nosuchbr"]).fails(3, "not found");
}

#[test]
fn every_verb_works_inside_a_named_namespace() {
    let lab = lab!();
    let ns = netns(&lab, "NB");
    sh_ok(&format!(
        "ip -n {ns} link add np type veth peer name nq && ip -n {ns} link set np up && ip -n {ns} link set nq up"
    ));
    let n = |args: &[&str]| {
        let mut all = vec!["-n", ns.as_str()];
        all.extend_from_slice(args);
        br(&all)
    };
    // The host's own namespace never sees any of it.
    assert_unchanged(state_snapshot, || {
        for args in [
            vec!["addbr", "nbr0", "--addr", "10.9.0.1/24", "--up"],
            vec!["addif", "nbr0", "np"],
            vec!["stp", "nbr0", "on"],
            vec!["setfd", "nbr0", "5"],
            vec!["sethello", "nbr0", "2"],
            vec!["setmaxage", "nbr0", "10"],
            vec!["setageing", "nbr0", "60"],
            vec!["setbridgeprio", "nbr0", "100"],
            vec!["setpathcost", "nbr0", "np", "11"],
            vec!["setportprio", "nbr0", "np", "3"],
            vec!["hairpin", "nbr0", "np", "on"],
        ] {
            n(&args).ok().json();
        }
        namespace_matches_brctl(&ns, &n);
        n(&["delif", "nbr0", "np"]).ok();
        n(&["delbr", "nbr0", "--force"]).ok();
        let inside = sh_ok(&format!("ip netns exec {ns} ls /sys/class/net"));
        assert!(!inside.split_whitespace().any(|l| l == "nbr0"), "{inside}");
    });
    br(&["-n", "NoSuchNs", "show"]).fails(3, "namespace 'NoSuchNs' not found");
    br(&["-n", "../etc", "show"]).fails(7, "invalid namespace name");
}

/// sysfs and brctl inside namespace `ns` agree with what vnet-bridge set and shows there.
fn namespace_matches_brctl(ns: &str, n: &dyn Fn(&[&str]) -> Run) {
    let inside = |cmd: &str| sh_ok(&format!("ip netns exec {ns} {cmd}"));
    assert_eq!(
        inside("cat /sys/class/net/nbr0/bridge/forward_delay").trim(),
        "500"
    );
    assert_eq!(inside("cat /sys/class/net/nbr0/brif/np/path_cost").trim(), "11");
    assert_eq!(inside("cat /sys/class/net/nbr0/brif/np/hairpin_mode").trim(), "1");
    assert_same_lines(&n(&["-o", "text", "show"]).ok().stdout, &inside("brctl show"));
    assert_same_lines(
        &mask_timers(&n(&["-o", "text", "showstp", "nbr0"]).ok().stdout),
        &mask_timers(&inside("brctl showstp nbr0")),
    );
    assert_same_lines(
        &mask_timers(&n(&["-o", "text", "showmacs", "nbr0"]).ok().stdout),
        &mask_timers(&inside("brctl showmacs nbr0")),
    );
}

/// The NIC stand-in: `vx` in a namespace `host` with the seed's addressing, and its peer in
/// another, `gw`, holding the gateway 10.10.10.1. Returns (host, gw).
fn seed_host(lab: &Lab) -> (String, String) {
    let (host, gw) = (netns(lab, "HOST"), netns(lab, "GW"));
    sh_ok(&format!(
        "ip link add vx netns {host} type veth peer name vy netns {gw} && \
         ip -n {gw} link set vy up && ip -n {gw} addr add 10.10.10.1/24 dev vy && \
         ip -n {gw} addr add fd00::1/64 dev vy nodad && \
         ip -n {host} link set lo up && ip -n {host} link set vx up && \
         ip -n {host} addr add 10.10.10.98/24 dev vx && ip -n {host} addr add 10.10.10.99/24 dev vx && \
         ip -n {host} addr add fd00::98/64 dev vx nodad && \
         ip -n {host} route add default via 10.10.10.1 && \
         ip -n {host} route add 172.16.0.0/16 via 10.10.10.1 metric 50 && \
         ip -n {host} route add 192.168.7.0/24 via 10.10.10.1 table 7 && \
         ip -n {host} -6 route add default via fd00::1"
    ));
    (host, gw)
}

/// The NIC's addresses and routes (every table), as `ip` shows them.
/// The link's addresses and routes, without the IPv6 link-local ones: the kernel makes those
/// itself, after a link comes up, on DAD's clock (a snapshot taken while one was still
/// "tentative" differed from one taken a moment later).
fn nic_state(host: &str, dev: &str) -> String {
    let addrs = sh_ok(&format!(
        "ip -n {host} addr show dev {dev} | grep -v -e valid_lft -e fe80"
    ));
    let routes = sh_ok(&format!("ip -n {host} route show table all dev {dev}"));
    let routes6 = sh_ok(&format!(
        "ip -n {host} -6 route show table all dev {dev} | grep -v fe80"
    ));
    format!("{addrs}\n{routes}\n{routes6}")
}

#[test]
fn move_addresses_puts_the_host_address_and_routes_on_the_bridge() {
    let lab = lab!();
    let (host, _gw) = seed_host(&lab);
    br(&["-n", &host, "addbr", "mybridge0"]).ok();
    let out = br(&["-n", &host, "addif", "mybridge0", "vx", "--move-addresses"])
        .ok()
        .json();
    assert_eq!(out["changed"], true);
    let moved = &out["moved"];
    assert_eq!(moved["from"], "vx");
    assert_eq!(
        moved["addresses"],
        json!(["10.10.10.98/24", "10.10.10.99/24", "fd00::98/64"])
    );
    let has_route = |check: &dyn Fn(&Value) -> bool| {
        let routes = moved["routes"].as_array().unwrap();
        assert!(routes.iter().any(check), "{moved}");
    };
    has_route(&|r| r["dst"] == "default" && r["gateway"] == "10.10.10.1");
    has_route(&|r| r["dst"] == "default" && r["gateway"] == "fd00::1");
    has_route(&|r| r["dst"] == "172.16.0.0/16" && r["metric"] == 50);
    has_route(&|r| r["dst"] == "192.168.7.0/24" && r["table"] == 7);
    host_runs_on_the_bridge(&host);
    // brctl sees the seed's result.
    assert_same_lines(
        &br(&["-n", &host, "-o", "text", "show"]).ok().stdout,
        &sh_ok(&format!("ip netns exec {host} brctl show")),
    );
}

/// Oracles after a move: ip addr / ip route on both devices, sysfs brif, the bridge up, a ping to
/// the gateway.
fn host_runs_on_the_bridge(host: &str) {
    let br_addrs = sh_ok(&format!("ip -n {host} addr show dev mybridge0"));
    for a in ["10.10.10.98/24", "10.10.10.99/24", "fd00::98/64"] {
        assert!(br_addrs.contains(a), "{br_addrs}");
    }
    assert!(br_addrs.contains(",UP,"), "{br_addrs}");
    let nic_addrs = sh_ok(&format!("ip -n {host} addr show dev vx"));
    assert!(
        !nic_addrs.contains("inet ") && !nic_addrs.contains("fd00::98"),
        "{nic_addrs}"
    );
    assert!(nic_addrs.contains("master mybridge0"));
    let routes = sh_ok(&format!(
        "ip -n {host} route show table all; ip -n {host} -6 route show"
    ));
    for r in [
        "default via 10.10.10.1 dev mybridge0",
        "172.16.0.0/16 via 10.10.10.1 dev mybridge0 metric 50",
        "192.168.7.0/24 via 10.10.10.1 dev mybridge0 table 7",
        "default via fd00::1 dev mybridge0",
    ] {
        assert!(routes.contains(r), "missing {r}:\n{routes}");
    }
    assert!(!routes.contains("via 10.10.10.1 dev vx"), "{routes}");
    assert_eq!(
        sh_ok(&format!("ip netns exec {host} ls /sys/class/net/mybridge0/brif")).trim(),
        "vx"
    );
    sh_ok(&format!("ip netns exec {host} ping -c1 -W5 10.10.10.1"));
}

/// Runs `bin` (vnet-bridge, or its test build vnet-bridge-fault-injection) with
/// VNET_BRIDGE_FAIL_AFTER=`step`.
fn br_with_fault(bin: &str, step: &str, args: &[&str]) -> Run {
    let path = vnet_tests::bin_dir().join(bin);
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p vnet-bridge --features fault-injection` (tests/run does)",
        path.display()
    );
    let out = Command::new(path)
        .args(args)
        .env("VNET_BRIDGE_FAIL_AFTER", step)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {bin}: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        tool: Some("vnet-bridge".to_string()),
        args: args.iter().map(|a| a.to_string()).collect(),
    }
}

#[test]
fn move_addresses_restores_the_nic_after_a_failure_at_every_step() {
    let lab = lab!();
    let (host, _gw) = seed_host(&lab);
    br(&["-n", &host, "addbr", "mybridge0"]).ok();
    let args = ["-n", &host, "addif", "mybridge0", "vx", "--move-addresses"];
    let state = || {
        let bridge = sh_ok(&format!("ip -n {host} -br addr show dev mybridge0"));
        format!("{}\n{bridge}", nic_state(&host, "vx"))
    };
    for step in [
        "del-routes",
        "del-addresses",
        "enslave",
        "add-addresses",
        "up",
        "add-routes",
    ] {
        assert_unchanged(state, || {
            br_with_fault("vnet-bridge-fault-injection", step, &args)
                .fails(1, &format!("injected failure after step '{step}'"))
                .fails(1, "every change made was undone");
        });
        sh_ok(&format!("ip netns exec {host} ping -c1 -W5 10.10.10.1"));
    }
    // An unknown step name is refused before anything is touched.
    assert_unchanged(state, || {
        br_with_fault("vnet-bridge-fault-injection", "bogus", &args).fails(7, "is not a step");
    });
    // The shipped binary has no fault injection: it ignores the variable and the move goes through.
    let out = br_with_fault("vnet-bridge", "enslave", &args).ok().json();
    assert_eq!(out["changed"], true);
    assert!(nic_state(&host, "vx").contains("master mybridge0"));
}

#[test]
fn move_addresses_restores_the_nic_after_a_real_kernel_refusal() {
    let lab = lab!();
    // The kernel refuses to enslave a loopback device (EINVAL), but only after vnet-bridge has
    // already taken its addresses and routes: a genuine failure half-way, no injection.
    let host = netns(&lab, "LO");
    sh_ok(&format!(
        "ip -n {host} link set lo up && \
         ip -n {host} addr add 10.66.0.1/24 dev lo && ip -n {host} route add 10.55.0.0/16 dev lo"
    ));
    br(&["-n", &host, "addbr", "brl"]).ok();
    let state = || {
        let bridge = sh_ok(&format!("ip -n {host} addr show dev brl"));
        format!("{}\n{bridge}", nic_state(&host, "lo"))
    };
    assert_unchanged(state, || {
        br(&["-n", &host, "addif", "brl", "lo", "--move-addresses"])
            .fails(1, "enslave 'lo': Invalid argument")
            .fails(1, "every change made was undone");
    });
    sh_ok(&format!("ip netns exec {host} ping -c1 -W2 10.66.0.1"));
}

#[test]
fn batch_runs_many_lines_on_one_connection() {
    let lab = lab!();
    let b1 = lab.link("bb");
    let (p, _) = veth(&lab, "bp", "bq");
    let script = format!(
        "# the seed's bridge, in one process\naddbr {b1}\naddif {b1} {p}\nstp {b1} on\n\
         setfd {b1} 4\nshow {b1}\n"
    );
    let run = vnet_stdin("vnet-bridge", &["--batch", "-"], &script).ok();
    let records = run.records();
    assert_eq!(records.len(), 5, "{run:?}");
    assert_eq!(records[1]["added"], json!([p]));
    assert_eq!(records[4][0]["stp"], true);
    assert_eq!(sysfs(&format!("{b1}/bridge/forward_delay")), "400");
    // Stops at the first failure with its code and its record; later lines do not run.
    let run = vnet_stdin(
        "vnet-bridge",
        &["--batch", "-"],
        &format!("setfd {b1} 5\nsetfd {b1} 99\nsetfd {b1} 6\n"),
    );
    assert_eq!(run.code, 7, "{run:?}");
    assert!(run.stderr.contains("line 2"), "{run:?}");
    let records = run.records();
    assert_eq!(records.len(), 2, "{run:?}");
    assert_eq!(
        (records[1]["line"].as_u64(), records[1]["exit_code"].as_u64()),
        (Some(2), Some(7))
    );
    assert!(
        records[1]["error"].as_str().unwrap().contains("2..30 seconds"),
        "{run:?}"
    );
    assert_eq!(sysfs(&format!("{b1}/bridge/forward_delay")), "500");
    batch_force_runs_every_line(&b1);
    // Nested --batch is a usage error.
    let run = vnet_stdin("vnet-bridge", &["--batch", "-"], "--batch x\n");
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.records()[0]["exit_code"], 2);
}

/// --force runs every line and exits with the first failure's code.
fn batch_force_runs_every_line(b1: &str) {
    let run = vnet_stdin(
        "vnet-bridge",
        &["--batch", "-", "--force"],
        &format!("show nosuchbr\nsetfd {b1} 7\nshowstp {b1}\ndelbr {b1}\n"),
    );
    assert_eq!(run.code, 3, "{run:?}");
    let records = run.records();
    assert_eq!(records.len(), 4, "{run:?}");
    assert_eq!(
        (records[0]["line"].as_u64(), records[0]["exit_code"].as_u64()),
        (Some(1), Some(3))
    );
    assert_eq!(records[1]["forward_delay"], 7.0);
    assert_eq!(records[3]["changed"], true);
    assert!(!exists(b1));
}

#[test]
fn batch_lines_may_name_their_own_namespace_and_atomic_undoes_them() {
    let lab = lab!();
    let (blue, red) = (netns(&lab, "BLUE"), netns(&lab, "RED"));
    br(&["-n", &blue, "addbr", "bb0"]).ok();
    let in_ns = |ns: &str, cmd: &str| sh_ok(&format!("ip netns exec {ns} {cmd}"));
    let settings = "cat /sys/class/net/bb0/bridge/forward_delay /sys/class/net/bb0/bridge/stp_state";
    let snapshot = || format!("{}\n{}", state_snapshot(), in_ns(&blue, settings));
    // A line's -n overrides the batch's; the last line fails, so --atomic undoes every line.
    let script = format!(
        "addbr inblue --up\n-n {red} addbr inred\nsetfd bb0 0\n-n {red} stp inred on\n\
         stp bb0 on\nsetfd bb0 1\n"
    );
    let batch = ["-n", blue.as_str(), "--batch", "-", "--atomic"];
    assert_unchanged(snapshot, || {
        let run = vnet_stdin("vnet-bridge", &batch, &script);
        assert_eq!(run.code, 7, "{run:?}");
        let records = run.records();
        assert_eq!(records.len(), 6, "{run:?}");
        let failure = &records[5];
        assert_eq!(failure["line"], 6);
        let undone = failure["undone"].as_array().unwrap();
        assert!(undone.iter().any(|u| u == "create bridge 'inblue'"), "{failure}");
        assert!(undone.iter().any(|u| u == "create bridge 'inred'"), "{failure}");
        assert_eq!(failure["leftovers"], json!([]), "{failure}");
    });
    // The lines before the failing one: each bridge lands in its own namespace.
    let script = script.lines().take(4).collect::<Vec<_>>().join("\n");
    vnet_stdin("vnet-bridge", &batch[..4], &script).ok();
    assert!(sh_ok(&format!("ip -n {blue} -br link show inblue")).contains("UP"));
    let stp = in_ns(&red, "cat /sys/class/net/inred/bridge/stp_state");
    assert_eq!(stp.trim(), "1");
    assert_eq!(
        in_ns(&blue, "cat /sys/class/net/bb0/bridge/forward_delay").trim(),
        "0"
    );
}

#[test]
fn non_root_runs_exit_5_with_a_hint_and_change_nothing() {
    let lab = lab!();
    let (bridge, ns, fresh) = (lab.link("rb"), netns(&lab, "RN"), lab.link("ru"));
    br(&["addbr", &bridge, "--up"]).ok();
    let bin = vnet_tests::bin_dir().join("vnet-bridge");
    let as_nobody = |args: &str| {
        sh(&format!(
            "setpriv --reuid=65534 --regid=65534 --clear-groups {} {args}",
            bin.display()
        ))
    };
    for args in [
        format!("addbr {fresh}"),
        format!("delbr {bridge} --force"),
        format!("stp {bridge} on"),
        format!("setfd {bridge} 4"),
        format!("-n {ns} addbr x"),
    ] {
        assert_unchanged(
            || full_state(&bridge),
            || {
                let run = as_nobody(&args).fails(5, "Operation not permitted");
                assert!(run.stderr.contains("hint: run as root"), "{args}: {run:?}");
            },
        );
    }
    // Reading needs no privilege, as with brctl.
    let run = as_nobody(&format!("show {bridge}"));
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn usage_errors_exit_2() {
    let _lab = lab!();
    assert_unchanged(state_snapshot, || {
        br(&[]).fails(2, "no verb given");
        br(&["frobnicate"]).fails(2, "unrecognized subcommand");
        br(&["addif", "br0"]).fails(2, "required");
        br(&["stp"]).fails(2, "required");
    });
}
