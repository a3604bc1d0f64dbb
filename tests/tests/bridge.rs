//! End-to-end tests of vnet-bridge, run in the sandbox (tests/sandbox). Oracles: sysfs
//! (/sys/class/net/BR/brif, bridge/*, brport/*), `bridge -j link`, `ip -j`, and brctl itself for
//! the text layouts.

use serde_json::Value;
use vnet_tests::{
    bridge_ports, ip_json, privileged, sh, sh_ok, state_snapshot, unique, vnet, vnet_stdin, Run,
};

fn br(args: &[&str]) -> Run {
    vnet("vnet-bridge", args)
}

/// A veth pair standing in for a NIC (this kernel has no dummy links); both ends up.
fn veth(a: &str, b: &str) {
    sh_ok(&format!(
        "ip link add {a} type veth peer name {b} && ip link set {a} up && ip link set {b} up"
    ));
}

fn cleanup(links: &[&str]) {
    for link in links {
        sh(&format!("ip link del {link} 2>/dev/null"));
    }
}

fn sysfs(path: &str) -> String {
    std::fs::read_to_string(format!("/sys/class/net/{path}"))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .trim()
        .to_string()
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

#[test]
fn seed_steps_with_a_veth_standing_in_for_the_nic() {
    if !privileged("seed_steps_with_a_veth_standing_in_for_the_nic") {
        return;
    }
    let (bridge, nic, peer) = (unique("mybr"), unique("enp"), unique("enq"));
    veth(&nic, &peer);
    // brctl addbr mybridge0; brctl addif mybridge0 enp0s25
    let out = br(&["addbr", &bridge]).ok().json();
    assert_eq!(out["changed"], true);
    assert_eq!(out["name"], bridge.as_str());
    assert_eq!(sysfs(&format!("{bridge}/bridge/stp_state")), "0");
    let out = br(&["addif", &bridge, &nic]).ok().json();
    assert_eq!(out["added"], serde_json::json!([nic]));
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
    // The second addif is a no-op, not an error.
    assert_eq!(br(&["addif", &bridge, &nic]).ok().json()["changed"], false);
    br(&["delbr", "--force", &bridge]).ok();
    cleanup(&[&nic]);
}

#[test]
fn show_text_is_brctl_show_line_by_line() {
    if !privileged("show_text_is_brctl_show_line_by_line") {
        return;
    }
    let (b1, b2, b3) = (unique("sa"), unique("sb"), unique("sc"));
    let (p1, q1, p2, q2, p3, q3) = (
        unique("pa"),
        unique("qa"),
        unique("pb"),
        unique("qb"),
        unique("pc"),
        unique("qc"),
    );
    veth(&p1, &q1);
    veth(&p2, &q2);
    veth(&p3, &q3);
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
    let first = shown
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == b1.as_str())
        .unwrap();
    let names: Vec<&str> = first["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    let mut expected = vec![p1.as_str(), p2.as_str(), p3.as_str()];
    expected.sort();
    assert_eq!(names, expected);
    let second = shown
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == b2.as_str())
        .unwrap();
    assert_eq!(second["stp"], true);
    assert_eq!(second["up"], true);
    // A missing bridge: exit 3, nothing printed.
    let before = full_state(&b1);
    br(&["show", &b1, "nosuchbr"]).fails(3, "bridge 'nosuchbr' not found");
    assert_eq!(before, full_state(&b1));
    for b in [&b1, &b2, &b3] {
        br(&["delbr", "--force", b]).ok();
    }
    cleanup(&[&p1, &p2, &p3]);
}

#[test]
fn addbr_with_address_and_up_and_idempotence() {
    if !privileged("addbr_with_address_and_up_and_idempotence") {
        return;
    }
    let bridge = unique("ab");
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
    // Already there: exit 4 and nothing changes; --exist-ok succeeds without change.
    let before = full_state(&bridge);
    br(&["addbr", &bridge]).fails(4, "already exists");
    assert_eq!(before, full_state(&bridge));
    let out = br(&["addbr", &bridge, "--exist-ok", "--addr", "10.10.10.98/24", "--up"])
        .ok()
        .json();
    assert_eq!(out["changed"], false);
    assert_eq!(before, full_state(&bridge));
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
    // The kernel refuses a multicast interface address half-way: the new bridge is deleted
    // again, and on an existing bridge the addresses added before the refusal are removed.
    let half = unique("ah");
    let before = full_state(&bridge);
    br(&[
        "addbr",
        &half,
        "--addr",
        "10.30.0.1/24",
        "--addr",
        "ff02::1/64",
        "--up",
    ])
    .fails(1, "add address ff02::1/64");
    assert!(!std::path::Path::new(&format!("/sys/class/net/{half}")).exists());
    br(&[
        "addbr",
        &bridge,
        "--exist-ok",
        "--addr",
        "10.31.0.1/24",
        "--addr",
        "ff02::1/64",
    ])
    .fails(1, "add address ff02::1/64");
    assert_eq!(before, full_state(&bridge));
    // An existing name that is not a bridge: exit 4 even with --exist-ok.
    let (v, w) = (unique("nb"), unique("nc"));
    veth(&v, &w);
    let before = full_state(&bridge);
    br(&["addbr", &v, "--exist-ok"]).fails(4, "is not a bridge");
    // A bad CIDR is refused before the bridge is created.
    let fresh = unique("ac");
    br(&["addbr", &fresh, "--addr", "10.0.0.1/33"]).fails(7, "prefix longer than 32");
    assert!(!std::path::Path::new(&format!("/sys/class/net/{fresh}")).exists());
    assert_eq!(before, full_state(&bridge));
    br(&["delbr", "--force", &bridge]).ok();
    cleanup(&[&v]);
}

#[test]
fn bridge_names_over_15_bytes_are_refused_not_truncated() {
    if !privileged("bridge_names_over_15_bytes_are_refused_not_truncated") {
        return;
    }
    let before = state_snapshot();
    br(&["addbr", "averylongbridgename"]).fails(7, "longer than 15");
    br(&["addbr", "sixteen-bytes-xx"]).fails(7, "16 bytes");
    br(&["addbr", "a/b"]).fails(7, "invalid interface name");
    assert_eq!(before, state_snapshot());
    assert!(!std::path::Path::new("/sys/class/net/averylongbridge").exists());
}

#[test]
fn delbr_refuses_an_up_bridge_unless_forced() {
    if !privileged("delbr_refuses_an_up_bridge_unless_forced") {
        return;
    }
    let bridge = unique("db");
    br(&["addbr", &bridge, "--up"]).ok();
    let before = full_state(&bridge);
    br(&["delbr", &bridge]).fails(4, "bridge is up");
    assert_eq!(before, full_state(&bridge));
    assert_eq!(br(&["delbr", &bridge, "--force"]).ok().json()["changed"], true);
    assert!(!std::path::Path::new(&format!("/sys/class/net/{bridge}")).exists());
    // Missing: exit 3, or success without change with --missing-ok.
    let before = state_snapshot();
    br(&["delbr", &bridge]).fails(3, "not found");
    assert_eq!(
        br(&["delbr", &bridge, "--missing-ok"]).ok().json()["changed"],
        false
    );
    // A down bridge goes without --force.
    br(&["addbr", &bridge]).ok();
    br(&["delbr", &bridge]).ok();
    // Not a bridge: exit 7, the link stays.
    let (v, w) = (unique("dv"), unique("dw"));
    veth(&v, &w);
    let before_veth = state_snapshot();
    br(&["delbr", &v, "--force"]).fails(7, "is not a bridge");
    assert_eq!(before_veth, state_snapshot());
    cleanup(&[&v]);
    assert_eq!(before, state_snapshot());
}

#[test]
fn addif_and_delif_with_every_refusal() {
    if !privileged("addif_and_delif_with_every_refusal") {
        return;
    }
    let (b1, b2) = (unique("ia"), unique("ib"));
    let (p, q, r, s) = (unique("ip"), unique("iq"), unique("ir"), unique("is"));
    veth(&p, &q);
    veth(&r, &s);
    br(&["addbr", &b1]).ok();
    br(&["addbr", &b2]).ok();
    let out = br(&["addif", &b1, &p, &r]).ok().json();
    assert_eq!(out["changed"], true);
    assert_eq!(bridge_ports(&b1), {
        let mut v = vec![p.clone(), r.clone()];
        v.sort();
        v
    });
    // A port of another bridge: exit 4, nothing moves (not even the free interface listed first).
    let before = full_state(&b1) + &full_state(&b2);
    br(&["addif", &b2, &q, &p]).fails(4, &format!("already a port of bridge '{b1}'"));
    assert_eq!(before, full_state(&b1) + &full_state(&b2));
    // Missing port, missing bridge, a non-bridge target, a bridge as a port: refused, no change.
    br(&["addif", &b2, "nosuchport"]).fails(3, "interface 'nosuchport' not found");
    br(&["addif", "nosuchbr", &q]).fails(3, "bridge 'nosuchbr' not found");
    br(&["addif", &q, &s]).fails(7, "is not a bridge");
    br(&["addif", &b2, &b1]).fails(7, "bridges cannot be ports");
    br(&["addif", &b2, "waytoolonginterfacename"]).fails(7, "longer than 15");
    br(&["addif", &b2, &q, "--move-addresses", &s]).fails(2, "exactly one interface");
    assert_eq!(before, full_state(&b1) + &full_state(&b2));
    // The kernel refuses the second interface (a loopback cannot be a port): the first one,
    // already enslaved, is released again. (On b1, which keeps ports: an empty bridge would come
    // back with the all-zero MAC the kernel gives a bridge whose last port left, as after
    // brctl addif + delif.)
    br(&["addif", &b1, &q, "lo"]).fails(1, "enslave 'lo': Invalid argument");
    assert_eq!(before, full_state(&b1) + &full_state(&b2));
    // --force moves it.
    let out = br(&["addif", &b2, &p, "--force"]).ok().json();
    assert_eq!(out["added"], serde_json::json!([p]));
    assert_eq!(bridge_ports(&b2), vec![p.clone()]);
    assert_eq!(bridge_ports(&b1), vec![r.clone()]);
    // delif: not a port, missing, then the real thing.
    let before = full_state(&b1) + &full_state(&b2);
    br(&["delif", &b1, &p]).fails(3, "is not a port of bridge");
    br(&["delif", &b1, "nosuchport"]).fails(3, "not found");
    assert_eq!(before, full_state(&b1) + &full_state(&b2));
    assert_eq!(
        br(&["delif", &b1, &p, "--missing-ok"]).ok().json()["changed"],
        false
    );
    let out = br(&["delif", &b1, &r]).ok().json();
    assert_eq!(out["removed"], serde_json::json!([r]));
    assert!(bridge_ports(&b1).is_empty());
    br(&["delif", &b2, &p]).ok();
    assert!(bridge_ports(&b2).is_empty());
    for b in [&b1, &b2] {
        br(&["delbr", "--force", b]).ok();
    }
    cleanup(&[&p, &r]);
}

#[test]
fn stp_timers_priorities_and_hairpin_against_sysfs() {
    if !privileged("stp_timers_priorities_and_hairpin_against_sysfs") {
        return;
    }
    let bridge = unique("tb");
    let (p, q) = (unique("tp"), unique("tq"));
    veth(&p, &q);
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
    // Out of range or malformed: exit 7 and not one setting changes.
    let before = full_state(&bridge);
    for (args, needle) in [
        (vec!["setfd", &bridge, "1"], "2..30 seconds"),
        (vec!["setfd", &bridge, "31"], "2..30 seconds"),
        (vec!["sethello", &bridge, "0.5"], "1..10 seconds"),
        (vec!["sethello", &bridge, "11"], "1..10 seconds"),
        (vec!["setmaxage", &bridge, "5"], "6..40 seconds"),
        (vec!["setmaxage", &bridge, "41"], "6..40 seconds"),
        (vec!["setageing", &bridge, "-1"], "0..1000000 seconds"),
        (vec!["setageing", &bridge, "soon"], "invalid ageing_time"),
        (vec!["setbridgeprio", &bridge, "65536"], "0..65535"),
        (vec!["setpathcost", &bridge, &p, "0"], "1..65535"),
        (vec!["setpathcost", &bridge, &p, "70000"], "1..65535"),
        (vec!["setportprio", &bridge, &p, "64"], "0..63"),
        (vec!["hairpin", &bridge, &p, "maybe"], "expected on or off"),
        (vec!["stp", &bridge, "sometimes"], "expected on or off"),
    ] {
        br(&args).fails(7, needle);
        assert_eq!(before, full_state(&bridge), "{args:?} changed state");
    }
    // Port verbs on a non-port and on a missing bridge.
    br(&["setpathcost", &bridge, &q, "9"]).fails(3, "is not a port of bridge");
    br(&["hairpin", "nosuchbr", &p, "on"]).fails(3, "bridge 'nosuchbr' not found");
    br(&["setfd", "nosuchbr", "4"]).fails(3, "not found");
    assert_eq!(before, full_state(&bridge));
    br(&["stp", &bridge, "off"]).ok();
    assert_eq!(attr("stp_state"), "0");
    br(&["delbr", "--force", &bridge]).ok();
    cleanup(&[&p]);
}

#[test]
fn showstp_text_is_brctl_showstp() {
    if !privileged("showstp_text_is_brctl_showstp") {
        return;
    }
    let bridge = unique("st");
    let (p, q, r, s) = (unique("sp"), unique("sq"), unique("sr"), unique("ss"));
    veth(&p, &q);
    veth(&r, &s);
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
    let hp = ports.iter().find(|x| x["name"] == r.as_str()).unwrap();
    assert_eq!(hp["hairpin"], true);
    assert_eq!(
        hp["path_cost"],
        sysfs(&format!("{bridge}/brif/{r}/path_cost"))
            .parse::<u64>()
            .unwrap()
    );
    br(&["showstp", "nosuchbr"]).fails(3, "not found");
    br(&["delbr", "--force", &bridge]).ok();
    cleanup(&[&p, &r]);
}

#[test]
fn showmacs_is_the_bridge_fdb() {
    if !privileged("showmacs_is_the_bridge_fdb") {
        return;
    }
    // A host in its own namespace behind port p, pinging the bridge's address: its MAC is learned.
    let (bridge, p, q, ns) = (unique("mb"), unique("mp"), unique("mq"), unique("MH"));
    sh_ok(&format!("ip netns add {ns}"));
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
    br(&["delbr", "--force", &bridge]).ok();
    sh_ok(&format!("ip netns del {ns}"));
}

#[test]
fn every_verb_works_inside_a_named_namespace() {
    if !privileged("every_verb_works_inside_a_named_namespace") {
        return;
    }
    let ns = unique("NB");
    sh_ok(&format!("ip netns add {ns}"));
    sh_ok(&format!(
        "ip -n {ns} link add np type veth peer name nq && ip -n {ns} link set np up && ip -n {ns} link set nq up"
    ));
    let n = |args: &[&str]| {
        let mut all = vec!["-n", ns.as_str()];
        all.extend_from_slice(args);
        br(&all)
    };
    let host_before = state_snapshot();
    n(&["addbr", "nbr0", "--addr", "10.9.0.1/24", "--up"]).ok();
    n(&["addif", "nbr0", "np"]).ok();
    n(&["stp", "nbr0", "on"]).ok();
    n(&["setfd", "nbr0", "5"]).ok();
    n(&["sethello", "nbr0", "2"]).ok();
    n(&["setmaxage", "nbr0", "10"]).ok();
    n(&["setageing", "nbr0", "60"]).ok();
    n(&["setbridgeprio", "nbr0", "100"]).ok();
    n(&["setpathcost", "nbr0", "np", "11"]).ok();
    n(&["setportprio", "nbr0", "np", "3"]).ok();
    n(&["hairpin", "nbr0", "np", "on"]).ok();
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
    n(&["delif", "nbr0", "np"]).ok();
    n(&["delbr", "nbr0", "--force"]).ok();
    assert_eq!(
        inside("ls /sys/class/net")
            .split_whitespace()
            .filter(|l| *l == "nbr0")
            .count(),
        0
    );
    // The host's own namespace never saw any of it.
    assert_eq!(host_before, state_snapshot());
    br(&["-n", "NoSuchNs", "show"]).fails(3, "namespace 'NoSuchNs' not found");
    br(&["-n", "../etc", "show"]).fails(7, "invalid namespace name");
    sh_ok(&format!("ip netns del {ns}"));
}

/// The NIC stand-in: `vx` in namespace `host` with the seed's addressing, and its peer in `gw`
/// holding the gateway 10.10.10.1.
fn seed_host(host: &str, gw: &str) {
    sh_ok(&format!(
        "ip netns add {host} && ip netns add {gw} && \
         ip link add vx netns {host} type veth peer name vy netns {gw} && \
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
}

/// The NIC's addresses and routes (every table), as `ip` shows them.
fn nic_state(host: &str, dev: &str) -> String {
    let addrs = sh_ok(&format!("ip -n {host} addr show dev {dev} | grep -v valid_lft"));
    let routes = sh_ok(&format!("ip -n {host} route show table all dev {dev}"));
    let routes6 = sh_ok(&format!("ip -n {host} -6 route show table all dev {dev}"));
    format!("{addrs}\n{routes}\n{routes6}")
}

#[test]
fn move_addresses_puts_the_host_address_and_routes_on_the_bridge() {
    if !privileged("move_addresses_puts_the_host_address_and_routes_on_the_bridge") {
        return;
    }
    let (host, gw) = (unique("HOST"), unique("GW"));
    seed_host(&host, &gw);
    br(&["-n", &host, "addbr", "mybridge0"]).ok();
    let out = br(&["-n", &host, "addif", "mybridge0", "vx", "--move-addresses"])
        .ok()
        .json();
    assert_eq!(out["changed"], true);
    let moved = &out["moved"];
    assert_eq!(moved["from"], "vx");
    assert_eq!(
        moved["addresses"],
        serde_json::json!(["10.10.10.98/24", "10.10.10.99/24", "fd00::98/64"])
    );
    let routes = moved["routes"].as_array().unwrap();
    assert!(
        routes
            .iter()
            .any(|r| r["dst"] == "default" && r["gateway"] == "10.10.10.1"),
        "{moved}"
    );
    assert!(
        routes
            .iter()
            .any(|r| r["dst"] == "default" && r["gateway"] == "fd00::1"),
        "{moved}"
    );
    assert!(
        routes
            .iter()
            .any(|r| r["dst"] == "172.16.0.0/16" && r["metric"] == 50),
        "{moved}"
    );
    assert!(
        routes
            .iter()
            .any(|r| r["dst"] == "192.168.7.0/24" && r["table"] == 7),
        "{moved}"
    );
    // Oracles: ip addr / ip route on both devices, sysfs brif, bridge up, ping to the gateway.
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
    sh_ok(&format!("ip netns exec {host} ping -c1 -W5 172.16.0.1 || true"));
    // brctl sees the seed's result.
    assert_same_lines(
        &br(&["-n", &host, "-o", "text", "show"]).ok().stdout,
        &sh_ok(&format!("ip netns exec {host} brctl show")),
    );
    sh_ok(&format!("ip netns del {host}; ip netns del {gw}"));
}

#[test]
fn move_addresses_restores_the_nic_after_a_failure_at_every_step() {
    if !privileged("move_addresses_restores_the_nic_after_a_failure_at_every_step") {
        return;
    }
    let (host, gw) = (unique("HOSU"), unique("GWU"));
    seed_host(&host, &gw);
    br(&["-n", &host, "addbr", "mybridge0"]).ok();
    let before = nic_state(&host, "vx");
    let bridge_before = sh_ok(&format!("ip -n {host} -br addr show dev mybridge0"));
    for step in [
        "del-routes",
        "del-addresses",
        "enslave",
        "add-addresses",
        "up",
        "add-routes",
    ] {
        let run = std::process::Command::new(vnet_tests::bin_dir().join("vnet-bridge"))
            .args(["-n", &host, "addif", "mybridge0", "vx", "--move-addresses"])
            .env("VNET_BRIDGE_FAIL_AFTER", step)
            .output()
            .unwrap();
        let run = Run {
            code: run.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&run.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&run.stderr).into_owned(),
        };
        run.fails(1, &format!("injected failure after step '{step}'"))
            .fails(1, "'vx' restored");
        assert_eq!(before, nic_state(&host, "vx"), "NIC not restored after {step}");
        assert_eq!(
            bridge_before,
            sh_ok(&format!("ip -n {host} -br addr show dev mybridge0")),
            "bridge not restored after {step}"
        );
        sh_ok(&format!("ip netns exec {host} ping -c1 -W5 10.10.10.1"));
    }
    // An unknown step name is refused before anything is touched.
    let run = std::process::Command::new(vnet_tests::bin_dir().join("vnet-bridge"))
        .args(["-n", &host, "addif", "mybridge0", "vx", "--move-addresses"])
        .env("VNET_BRIDGE_FAIL_AFTER", "bogus")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(7));
    assert_eq!(before, nic_state(&host, "vx"));
    // And without the fault, the move goes through.
    br(&["-n", &host, "addif", "mybridge0", "vx", "--move-addresses"]).ok();
    assert!(nic_state(&host, "vx").contains("master mybridge0"));
    sh_ok(&format!("ip netns del {host}; ip netns del {gw}"));
}

#[test]
fn move_addresses_restores_the_nic_after_a_real_kernel_refusal() {
    if !privileged("move_addresses_restores_the_nic_after_a_real_kernel_refusal") {
        return;
    }
    // The kernel refuses to enslave a loopback device (EINVAL), but only after vnet-bridge has
    // already taken its addresses and routes: a genuine failure half-way, no injection.
    let host = unique("LO");
    sh_ok(&format!(
        "ip netns add {host} && ip -n {host} link set lo up && \
         ip -n {host} addr add 10.66.0.1/24 dev lo && ip -n {host} route add 10.55.0.0/16 dev lo"
    ));
    br(&["-n", &host, "addbr", "brl"]).ok();
    let before = nic_state(&host, "lo");
    let bridge_before = sh_ok(&format!("ip -n {host} addr show dev brl"));
    br(&["-n", &host, "addif", "brl", "lo", "--move-addresses"])
        .fails(1, "enslave 'lo': Invalid argument")
        .fails(1, "'lo' restored");
    assert_eq!(before, nic_state(&host, "lo"));
    assert_eq!(bridge_before, sh_ok(&format!("ip -n {host} addr show dev brl")));
    sh_ok(&format!("ip netns exec {host} ping -c1 -W2 10.66.0.1"));
    sh_ok(&format!("ip netns del {host}"));
}

#[test]
fn batch_runs_many_lines_on_one_connection() {
    if !privileged("batch_runs_many_lines_on_one_connection") {
        return;
    }
    let (b1, p, q) = (unique("bb"), unique("bp"), unique("bq"));
    veth(&p, &q);
    let script = format!(
        "# the seed's bridge, in one process\naddbr {b1}\naddif {b1} {p}\nstp {b1} on\n\
         setfd {b1} 4\nshow {b1}\n"
    );
    let run = vnet_stdin("vnet-bridge", &["--batch", "-"], &script).ok();
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{run:?}");
    assert_eq!(lines[1]["added"], serde_json::json!([p]));
    assert_eq!(lines[4][0]["stp"], true);
    assert_eq!(sysfs(&format!("{b1}/bridge/forward_delay")), "400");
    // Stops at the first failure with its code; later lines do not run.
    let run = vnet_stdin(
        "vnet-bridge",
        &["--batch", "-"],
        &format!("setfd {b1} 5\nsetfd {b1} 99\nsetfd {b1} 6\n"),
    );
    assert_eq!(run.code, 7, "{run:?}");
    assert!(run.stderr.contains("line 2"), "{run:?}");
    assert_eq!(sysfs(&format!("{b1}/bridge/forward_delay")), "500");
    // --force runs every line and exits with the first failure's code.
    let run = vnet_stdin(
        "vnet-bridge",
        &["--batch", "-", "--force"],
        &format!("show nosuchbr\nsetfd {b1} 7\nshowstp {b1}\ndelbr {b1}\n"),
    );
    assert_eq!(run.code, 3, "{run:?}");
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{run:?}");
    assert_eq!(lines[1]["forward_delay"], 7.0);
    assert!(!std::path::Path::new(&format!("/sys/class/net/{b1}")).exists());
    // Nested --batch and a bad line are usage errors.
    let run = vnet_stdin("vnet-bridge", &["--batch", "-"], "--batch x\n");
    assert_eq!(run.code, 2, "{run:?}");
    cleanup(&[&p]);
}

#[test]
fn non_root_runs_exit_5_with_a_hint_and_change_nothing() {
    if !privileged("non_root_runs_exit_5_with_a_hint_and_change_nothing") {
        return;
    }
    let (bridge, ns) = (unique("rb"), unique("RN"));
    br(&["addbr", &bridge, "--up"]).ok();
    sh_ok(&format!("ip netns add {ns}"));
    let bin = vnet_tests::bin_dir().join("vnet-bridge");
    let as_nobody = |args: &str| {
        sh(&format!(
            "setpriv --reuid=65534 --regid=65534 --clear-groups {} {args}",
            bin.display()
        ))
    };
    let before = full_state(&bridge);
    for args in [
        format!("addbr {}", unique("ru")),
        format!("delbr {bridge} --force"),
        format!("stp {bridge} on"),
        format!("setfd {bridge} 4"),
        format!("-n {ns} addbr x"),
    ] {
        let run = as_nobody(&args);
        let run = run.fails(5, "Operation not permitted");
        assert!(run.stderr.contains("hint: run as root"), "{run:?}");
        assert_eq!(before, full_state(&bridge), "{args}");
    }
    // Reading needs no privilege, as with brctl.
    let run = as_nobody(&format!("show {bridge}"));
    assert_eq!(run.code, 0, "{run:?}");
    br(&["delbr", "--force", &bridge]).ok();
    sh_ok(&format!("ip netns del {ns}"));
}

#[test]
fn usage_errors_exit_2() {
    if !privileged("usage_errors_exit_2") {
        return;
    }
    let before = state_snapshot();
    br(&[]).fails(2, "a verb is required");
    br(&["frobnicate"]).fails(2, "unrecognized subcommand");
    br(&["addif", "br0"]).fails(2, "required");
    br(&["stp"]).fails(2, "required");
    assert_eq!(before, state_snapshot());
}
