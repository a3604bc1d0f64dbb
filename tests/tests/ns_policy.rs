//! End-to-end tests of vnet-ns's neighbour, policy routing and ip-netns forms (issue 21): `neigh
//! add|replace|del|flush|show`, `rule add|del|show`, `route get`, `netns ...` in ip's spelling and
//! `netns set NS NSID`; checked against `ip -j neigh`, `ip -j rule`, `ip -j route get`, `ip netns
//! list-id`, ICMP counters and pings between the test's own namespaces.

use serde_json::Value;
use vnet_tests::*;

/// Kernel state plus, in the current namespace and each named one, the neighbour entries (proxy
/// ones too), the rules of both families and every route, and the namespace ids: bad input
/// must leave all of it as it was. Dynamic entries (the kernel ages them by itself) and IPv6
/// link-local routes are left out.
fn snapshot() -> String {
    let read = || {
        sh_ok(
            "for n in '' $(ls /run/netns 2>/dev/null); do echo \"== $n\"; \
             o=; [ -n \"$n\" ] && o=\"-n $n\"; ip $o neigh show nud permanent; \
             ip $o neigh show nud noarp | grep -v -e '^ff' -e '^224' -e '^::' ; \
             ip $o neigh show proxy; ip $o -4 rule show; ip $o -6 rule show; \
             ip $o -4 route show table all; ip $o -6 route show table all | grep -v fe80; done; \
             ip netns list-id",
        )
    };
    let state = state_snapshot();
    let mut more = read();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let again = read();
        if again == more {
            return format!("{state}\n{more}");
        }
        more = again;
    }
}

/// One ping answered from namespace `from` (with ping's own extra arguments), trying for up to
/// 4 s; the run of the last try.
fn ping(from: &str, extra: &str, to: &str) -> Run {
    let line = format!("ip netns exec {from} ping -c 1 -W 1 {extra} {to}");
    let mut run = sh(&line);
    for _ in 0..8 {
        if run.code == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(400));
        run = sh(&line);
    }
    run
}

/// The ICMP echo requests namespace `netns` has received (its /proc/net/snmp Icmp InEchos):
/// unlike a link's packet counter, nothing but a ping moves it (IPv6 router solicitations and
/// ARP probes do not).
fn echoes_received(netns: &str) -> u64 {
    let snmp = sh_ok(&format!("ip netns exec {netns} cat /proc/net/snmp"));
    let mut icmp = snmp.lines().filter(|l| l.starts_with("Icmp: "));
    let (names, values) = (icmp.next().unwrap(), icmp.next().unwrap());
    let at = names.split_whitespace().position(|n| n == "InEchos").unwrap();
    values.split_whitespace().nth(at).unwrap().parse().unwrap()
}

/// The fields ip -j neigh and vnet-ns neigh show share, of one entry.
fn neigh_fields(entry: &Value) -> (Value, Value, Value, Value) {
    (
        entry["dst"].clone(),
        entry["dev"].clone(),
        entry.get("lladdr").cloned().unwrap_or(Value::Null),
        entry.get("state").cloned().unwrap_or(Value::Array(vec![])),
    )
}

/// `vnet-ns -n NS neigh show OURS` lists what `ip -j -n NS IP` does.
fn neigh_lists_agree(netns: &str, ours: &[&str], ip: &str) {
    let ours_words = ours;
    let mut args = vec!["-n", netns, "neigh", "show"];
    args.extend_from_slice(ours);
    let ours = ns(&args).ok().json();
    let ip = ip_json(&format!("-n {netns} {ip}"));
    // ip leaves dev out of the entries of a dev filter; vnet-ns's records always have it.
    let by_dev = ours_words.contains(&"dev");
    let fields = |list: &Value| -> Vec<_> {
        let mut all: Vec<_> = list.as_array().unwrap().iter().map(neigh_fields).collect();
        if by_dev {
            all.iter_mut().for_each(|f| f.1 = Value::Null);
        }
        all
    };
    assert_eq!(fields(&ours), fields(&ip), "neigh show: {ours} vs ip -j: {ip}");
}

/// Static entries, replace, proxy entries, del and flush, as ip neigh keeps them; a static entry
/// decides where pings go (the right MAC answers, a wrong one does not).
#[test]
fn static_neighbours_as_ip_neigh() {
    let lab = lab!();
    let (a, b) = (lab.netns("NA"), lab.netns("NB"));
    ns(&["add", &a]).ok();
    ns(&["add", &b]).ok();
    ns(&[
        "-n",
        &a,
        "veth",
        "eth0",
        "peer0",
        "--peer-netns",
        &b,
        "--addr",
        "10.70.0.1/24",
        "--peer-addr",
        "10.70.0.2/24",
    ])
    .ok();
    let mac_b = ip_json(&format!("-n {b} link show dev peer0"))[0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    // A permanent entry with the peer's real MAC: pings answer, and ip lists it as ours.
    let out = ns(&[
        "-n",
        &a,
        "neigh",
        "add",
        "10.70.0.2",
        "lladdr",
        &mac_b,
        "dev",
        "eth0",
    ])
    .ok()
    .json();
    assert_eq!(out["changed"], true);
    assert_eq!(
        out["neighbour"]["state"],
        serde_json::json!(["PERMANENT"]),
        "{out}"
    );
    assert_eq!(out["neighbour"]["lladdr"], mac_b.as_str());
    assert_eq!(ping(&a, "", "10.70.0.2").code, 0);
    // More entries: stale, IPv6 with router, noarp, and a proxy entry.
    ns(&[
        "-n",
        &a,
        "neigh",
        "add",
        "10.70.0.3",
        "lladdr",
        "02:00:00:00:00:03",
        "dev",
        "eth0",
        "nud",
        "stale",
    ])
    .ok();
    ns(&[
        "-n",
        &a,
        "neigh",
        "add",
        "fd70::5",
        "lladdr",
        "02:00:00:00:00:05",
        "dev",
        "eth0",
        "router",
    ])
    .ok();
    ns(&[
        "-n",
        &a,
        "neigh",
        "add",
        "10.70.0.4",
        "lladdr",
        "02:00:00:00:00:04",
        "dev",
        "eth0",
        "nud",
        "noarp",
    ])
    .ok();
    ns(&["-n", &a, "neigh", "add", "proxy", "10.70.0.9", "dev", "eth0"]).ok();
    neigh_lists_agree(&a, &[], "neigh show");
    neigh_lists_agree(&a, &["proxy"], "neigh show proxy");
    neigh_lists_agree(&a, &["nud", "all"], "neigh show nud all");
    neigh_lists_agree(&a, &["dev", "eth0", "-6"], "-6 neigh show dev eth0");
    neigh_lists_agree(&a, &["nud", "stale"], "neigh show nud stale");
    let shown = ns(&["-n", &a, "neigh", "show", "-6"]).ok().json();
    assert_eq!(shown[0]["router"], true, "{shown}");
    // Text is ip neigh show's lines.
    let text = ns(&["-n", &a, "neigh", "show", "nud", "permanent", "-4", "-o", "text"])
        .ok()
        .stdout;
    assert_eq!(text, sh_ok(&format!("ip -n {a} -4 neigh show nud permanent")));
    // Add again: exit 4; --exist-ok: the same entry is "changed": false, another MAC exit 4.
    ns(&[
        "-n",
        &a,
        "neigh",
        "add",
        "10.70.0.2",
        "lladdr",
        &mac_b,
        "dev",
        "eth0",
    ])
    .fails(4, "the entry exists");
    let same = ns(&[
        "-n",
        &a,
        "neigh",
        "add",
        "10.70.0.2",
        "lladdr",
        &mac_b,
        "dev",
        "eth0",
        "--exist-ok",
    ])
    .ok()
    .json();
    assert_eq!(same["changed"], false);
    ns(&[
        "-n",
        &a,
        "neigh",
        "add",
        "10.70.0.2",
        "lladdr",
        "02:00:00:00:00:99",
        "dev",
        "eth0",
        "--exist-ok",
    ])
    .fails(4, "it has lladdr");
    // Replace with a MAC nobody has: pings go unanswered; and back.
    let out = ns(&[
        "-n",
        &a,
        "neigh",
        "replace",
        "10.70.0.2",
        "lladdr",
        "02:00:00:00:00:99",
        "dev",
        "eth0",
    ])
    .ok()
    .json();
    assert_eq!(out["replaced"]["lladdr"], mac_b.as_str(), "{out}");
    let listed = ip_json(&format!("-n {a} neigh show 10.70.0.2"));
    assert_eq!(listed[0]["lladdr"], "02:00:00:00:00:99");
    assert_ne!(sh(&format!("ip netns exec {a} ping -c 1 -W 1 10.70.0.2")).code, 0);
    ns(&[
        "-n",
        &a,
        "neigh",
        "replace",
        "10.70.0.2",
        "lladdr",
        &mac_b,
        "dev",
        "eth0",
    ])
    .ok();
    assert_eq!(ping(&a, "", "10.70.0.2").code, 0);
    // flush dev spares permanent and noarp entries, as ip neigh flush.
    let out = ns(&["-n", &a, "neigh", "flush", "dev", "eth0"]).ok().json();
    let flushed = out["flushed"].as_array().unwrap();
    assert!(flushed.iter().any(|n| n["dst"] == "10.70.0.3"), "{out}");
    assert!(
        flushed
            .iter()
            .all(|n| n["state"] != serde_json::json!(["PERMANENT"])),
        "{out}"
    );
    let left: Vec<Value> = ip_json(&format!("-n {a} neigh show nud all"))
        .as_array()
        .unwrap()
        .clone();
    assert!(left.iter().all(|n| n["dst"] != "10.70.0.3"), "{left:?}");
    assert!(left.iter().any(|n| n["dst"] == "10.70.0.4"), "{left:?}");
    // del: gone; again exit 3; --missing-ok; proxy del.
    ns(&["-n", &a, "neigh", "del", "fd70::5", "dev", "eth0"]).ok();
    assert!(ip_json(&format!("-n {a} -6 neigh show nud permanent"))
        .as_array()
        .unwrap()
        .is_empty());
    ns(&["-n", &a, "neigh", "del", "fd70::5", "dev", "eth0"]).fails(3, "no such entry");
    let out = ns(&[
        "-n",
        &a,
        "neigh",
        "delete",
        "fd70::5",
        "dev",
        "eth0",
        "--missing-ok",
    ])
    .ok()
    .json();
    assert_eq!(out["changed"], false);
    ns(&["-n", &a, "neigh", "del", "proxy", "10.70.0.9", "dev", "eth0"]).ok();
    assert!(ip_json(&format!("-n {a} neigh show proxy"))
        .as_array()
        .unwrap()
        .is_empty());
    // --batch --atomic: a later failure undoes the entry added before it.
    let before = snapshot();
    let lines = format!(
        "-n {a} neigh add 10.70.0.7 lladdr 02:00:00:00:00:07 dev eth0\n\
         -n {a} neigh del 10.70.0.2 dev eth0\n\
         -n {a} neigh add 10.70.0.8 lladdr 02:00:00:00:00:08 dev nosuchdev\n"
    );
    let run = vnet_stdin("vnet-ns", &["--batch", "-", "--atomic"], &lines);
    assert_eq!(run.code, 3, "{run:?}");
    run.records();
    assert_eq!(snapshot(), before, "--atomic left a change behind");
    // neigh flush all with nud permanent removes them all.
    ns(&["-n", &a, "neigh", "flush", "all", "nud", "permanent"]).ok();
    assert!(ip_json(&format!("-n {a} neigh show nud permanent"))
        .as_array()
        .unwrap()
        .is_empty());
}

/// A host with two uplinks, each its own namespace answering on the same far address: source
/// rules choose the uplink, `route get` says so as `ip route get` does, and the uplinks' ICMP
/// counters prove the path pings take. fwmark rules and IPv6 rules too.
#[test]
fn policy_routing_with_two_uplinks() {
    let lab = lab!();
    let (h, u1, u2) = (lab.netns("PH"), lab.netns("PU"), lab.netns("PU"));
    for n in [&h, &u1, &u2] {
        ns(&["add", n]).ok();
    }
    ns(&[
        "-n",
        &h,
        "veth",
        "up1",
        "h1",
        "--peer-netns",
        &u1,
        "--addr",
        "10.71.1.2/24",
        "--peer-addr",
        "10.71.1.1/24",
    ])
    .ok();
    ns(&[
        "-n",
        &h,
        "veth",
        "up2",
        "h2",
        "--peer-netns",
        &u2,
        "--addr",
        "10.71.2.2/24",
        "--peer-addr",
        "10.71.2.1/24",
    ])
    .ok();
    for u in [&u1, &u2] {
        ns(&["-n", u, "addr", "add", "10.71.9.1/32", "dev", "lo"]).ok();
    }
    // One table per uplink, no default route in main: only the rules lead out.
    ns(&[
        "-n",
        &h,
        "route",
        "add",
        "default",
        "via",
        "10.71.1.1",
        "table",
        "101",
    ])
    .ok();
    ns(&[
        "-n",
        &h,
        "route",
        "add",
        "default",
        "via",
        "10.71.2.1",
        "table",
        "102",
    ])
    .ok();
    let out = ns(&[
        "-n",
        &h,
        "rule",
        "add",
        "from",
        "10.71.1.2",
        "table",
        "101",
        "pref",
        "100",
    ])
    .ok()
    .json();
    assert_eq!(
        (out["rule"]["priority"].clone(), out["rule"]["table"].clone()),
        (100.into(), "101".into()),
        "{out}"
    );
    ns(&[
        "-n",
        &h,
        "rule",
        "add",
        "from",
        "10.71.2.0/24",
        "lookup",
        "102",
        "priority",
        "101",
    ])
    .ok();
    ns(&[
        "-n", &h, "rule", "add", "fwmark", "0x7/0xff", "table", "102", "pref", "50",
    ])
    .ok();
    ns(&[
        "-n",
        &h,
        "rule",
        "add",
        "to",
        "10.71.8.0/24",
        "iif",
        "up1",
        "table",
        "101",
    ])
    .ok();
    // rule show is ip -j rule show, field for field.
    let ours = ns(&["-n", &h, "rule", "show"]).ok().json();
    let ip = ip_json(&format!("-n {h} rule show"));
    let fields = |r: &Value| {
        [
            "priority", "src", "srclen", "dst", "dstlen", "iif", "oif", "fwmark", "fwmask", "table",
        ]
        .map(|k| r.get(k).cloned().unwrap_or(Value::Null))
    };
    let ours_f: Vec<_> = ours.as_array().unwrap().iter().map(fields).collect();
    let ip_f: Vec<_> = ip.as_array().unwrap().iter().map(fields).collect();
    assert_eq!(ours_f, ip_f, "{ours} vs {ip}");
    let text = ns(&["-n", &h, "rule", "show", "-o", "text"]).ok().stdout;
    assert!(text.contains("100:\tfrom 10.71.1.2 lookup 101"), "{text}");
    // route get: the kernel's answer per source and mark, as ip -j route get gives it.
    for (extra, dev, gw) in [
        (vec!["from", "10.71.1.2"], "up1", "10.71.1.1"),
        (vec!["from", "10.71.2.2"], "up2", "10.71.2.1"),
        (vec!["mark", "7"], "up2", "10.71.2.1"),
    ] {
        let mut args = vec!["-n", h.as_str(), "route", "get", "10.71.9.1"];
        args.extend(extra.iter().copied());
        let ours = ns(&args).ok().json();
        let oracle = ip_json(&format!("-n {h} route get 10.71.9.1 {}", extra.join(" ")))[0].clone();
        assert_eq!(ours["dev"], dev, "{ours}");
        assert_eq!(ours["gateway"], gw, "{ours}");
        for key in ["dst", "dev", "gateway", "prefsrc", "uid"] {
            assert_eq!(ours[key], oracle[key], "{key}: {ours} vs {oracle}");
        }
    }
    // Pings from each source leave by its uplink: only that uplink answers them.
    for (src, on, off) in [("10.71.1.2", &u1, &u2), ("10.71.2.2", &u2, &u1)] {
        let (on_before, off_before) = (echoes_received(on), echoes_received(off));
        assert_eq!(ping(&h, &format!("-I {src}"), "10.71.9.1").code, 0, "from {src}");
        assert!(
            echoes_received(on) > on_before,
            "from {src}: not through its uplink"
        );
        assert_eq!(
            echoes_received(off),
            off_before,
            "from {src}: through the other uplink"
        );
    }
    // With the first rule deleted, its source has no way out (main has no default route).
    let out = ns(&["-n", &h, "rule", "del", "from", "10.71.1.2", "table", "101"])
        .ok()
        .json();
    assert_eq!(out["rule"]["priority"], 100, "{out}");
    ns(&["-n", &h, "route", "get", "10.71.9.1", "from", "10.71.1.2"]).fails(1, "unreachable");
    ns(&["-n", &h, "rule", "del", "from", "10.71.1.2", "table", "101"]).fails(3, "no such rule");
    let out = ns(&["-n", &h, "rule", "del", "pref", "100", "--missing-ok"])
        .ok()
        .json();
    assert_eq!(out["changed"], false);
    // --exist-ok: an equal rule is "changed": false; an equal rule with its priority is exit 4.
    let out = ns(&[
        "-n",
        &h,
        "rule",
        "add",
        "from",
        "10.71.2.0/24",
        "table",
        "102",
        "--exist-ok",
    ])
    .ok()
    .json();
    assert_eq!(
        (out["changed"].clone(), out["rule"]["priority"].clone()),
        (false.into(), 101.into())
    );
    ns(&[
        "-n",
        &h,
        "rule",
        "add",
        "from",
        "10.71.2.0/24",
        "table",
        "102",
        "pref",
        "101",
    ])
    .fails(4, "already exists");
    // --batch --atomic: a later failure undoes the rule added and the rule deleted before it.
    let before = snapshot();
    let lines = format!(
        "-n {h} rule add from 10.71.3.0/24 table 103\n\
         -n {h} rule del pref 50\n\
         -n {h} rule del from 10.71.99.0/24\n"
    );
    let run = vnet_stdin("vnet-ns", &["--batch", "-", "--atomic"], &lines);
    assert_eq!(run.code, 3, "{run:?}");
    run.records();
    assert_eq!(snapshot(), before, "--atomic left a change behind");
    // IPv6 rules, and route get of a local address.
    ns(&[
        "-n",
        &h,
        "rule",
        "add",
        "-6",
        "from",
        "fd71::/64",
        "table",
        "106",
        "pref",
        "60",
    ])
    .ok();
    let six = ns(&["-n", &h, "rule", "show", "-6"]).ok().json();
    let ip6 = ip_json(&format!("-n {h} -6 rule show"));
    assert_eq!(six.as_array().unwrap().len(), ip6.as_array().unwrap().len());
    assert_eq!(
        (six[1]["src"].clone(), six[1]["srclen"].clone()),
        ("fd71::".into(), 64.into()),
        "{six}"
    );
    let local = ns(&["-n", &h, "route", "get", "10.71.1.2"]).ok().json();
    assert_eq!(
        (local["type"].clone(), local["dev"].clone()),
        ("local".into(), "lo".into()),
        "{local}"
    );
    assert_eq!(local["cache"], serde_json::json!(["local"]));
}

/// ip netns's own spelling: the same namespaces, ids and processes as the short verbs, and
/// `netns set NAME NSID` as ip netns list-id lists it.
#[test]
fn netns_in_ips_spelling() {
    let lab = lab!();
    let (x, y) = (lab.netns("NX"), lab.netns("NY"));
    let out = ns(&["netns", "add", &x]).ok().json();
    assert_eq!(out["changed"], true);
    assert!(netns_names().contains(&x));
    ns(&["netns", "add", &x]).fails(4, "already exists");
    ns(&["netns", "add", &y, "--may-exist"]).ok();
    let listed = ns(&["netns", "list"]).ok().json();
    assert!(
        listed.as_array().unwrap().iter().any(|e| e["name"] == x.as_str()),
        "{listed}"
    );
    assert_eq!(ns(&["netns", "ls"]).ok().stdout, ns(&["list"]).ok().stdout);
    // set: the id ip netns list-id shows; the same again is "changed": false; another exit 4.
    let out = ns(&["netns", "set", &x, "7"]).ok().json();
    assert_eq!(
        (out["nsid"].clone(), out["changed"].clone()),
        (7.into(), true.into()),
        "{out}"
    );
    let ids = sh_ok("ip netns list-id");
    assert!(
        ids.contains(&format!("nsid 7 (iproute2 netns name: {x})")),
        "{ids}"
    );
    assert_eq!(ns(&["netns", "set", &x, "7"]).ok().json()["changed"], false);
    ns(&["netns", "set", &x, "8"]).fails(4, "it has id 7 already");
    ns(&["netns", "set", &y, "7"]).fails(4, "another namespace has that id");
    let auto = ns(&["netns", "set", &y, "auto"]).ok().json();
    let id = auto["nsid"].as_i64().unwrap();
    assert!(sh_ok("ip netns list-id").contains(&format!("nsid {id} (iproute2 netns name: {y})")));
    // list-id is ip -j netns list-id, and its text ip netns list-id's lines.
    // (ip leaves "name" out where vnet-ns has null.)
    let mut ours = ns(&["netns", "list-id"]).ok().json();
    for entry in ours.as_array_mut().unwrap() {
        if entry["name"].is_null() {
            entry.as_object_mut().unwrap().remove("name");
        }
    }
    assert_eq!(ours, ip_json("netns list-id"), "netns list-id");
    assert_eq!(
        ns(&["netns", "list-id", "-o", "text"]).ok().stdout,
        sh_ok("ip netns list-id")
    );
    let shown = ns(&["list"]).ok().json();
    let entry = shown
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == x.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["id"], 7, "{entry}");
    // exec, pids, identify, attach and del in ip's spelling.
    let out = sh_ok(&format!(
        "{} netns exec {x} ip -j link show lo",
        bin_dir().join("vnet-ns").display()
    ));
    assert!(out.contains("\"ifname\":\"lo\""), "{out}");
    let mut sleeper = std::process::Command::new(bin_dir().join("vnet-ns"))
        .args(["netns", "exec", &x, "sleep", "30"])
        .spawn()
        .unwrap();
    wait_exec(sleeper.id(), "sleep");
    let pid = sleeper.id().to_string();
    let pids = ns(&["netns", "pids", &x]).ok().json();
    assert!(pids.to_string().contains(&pid), "{pids}");
    let who = ns(&["netns", "identify", &pid]).ok().json();
    assert!(who.to_string().contains(&x), "{who}");
    let z = lab.netns("NZ");
    ns(&["netns", "attach", &z, &pid]).ok();
    assert!(netns_names().contains(&z));
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    ns(&["netns", "del", &z]).ok();
    ns(&["netns", "delete", &x, &y]).ok();
    assert!(!netns_names().contains(&x) && !netns_names().contains(&y));
    ns(&["netns", "del", &x]).fails(3, "not found");
}

/// Every refused input: one line, its exit code, nothing changed (neighbours, rules, routes,
/// namespace ids and links, before and after).
#[test]
fn bad_input_changes_nothing() {
    let lab = lab!();
    let (n, other) = (lab.netns("BN"), lab.netns("BN"));
    ns(&["add", &n]).ok();
    ns(&["add", &other]).ok();
    ns(&["-n", &n, "veth", "eth0", "eth1", "--addr", "10.72.0.1/24"]).ok();
    ns(&[
        "-n",
        &n,
        "neigh",
        "add",
        "10.72.0.2",
        "lladdr",
        "02:00:00:00:00:02",
        "dev",
        "eth0",
    ])
    .ok();
    ns(&[
        "-n",
        &n,
        "rule",
        "add",
        "from",
        "10.72.0.0/24",
        "table",
        "100",
        "pref",
        "100",
    ])
    .ok();
    ns(&["netns", "set", &n, "3"]).ok();
    ns(&["netns", "set", &other, "4"]).ok();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec![
                "neigh",
                "add",
                "10.72.0/24",
                "lladdr",
                "02:00:00:00:00:02",
                "dev",
                "eth0",
            ],
            7,
            "invalid neighbour address",
        ),
        (
            vec![
                "neigh",
                "add",
                "10.72.0.3",
                "lladdr",
                "02:00:00:00:02",
                "dev",
                "eth0",
            ],
            7,
            "invalid MAC address",
        ),
        (
            vec![
                "neigh",
                "add",
                "10.72.0.3",
                "lladdr",
                "02:00:00:00:00:03",
                "dev",
                "eth0",
                "nud",
                "probe",
            ],
            7,
            "invalid nud state",
        ),
        (
            vec!["neigh", "add", "10.72.0.3", "dev", "eth0"],
            7,
            "no link-layer address given",
        ),
        (
            vec![
                "neigh",
                "add",
                "10.72.0.3",
                "lladdr",
                "02:00:00:00:00:03",
                "dev",
                "nosuch0",
            ],
            3,
            "not found",
        ),
        (
            vec![
                "neigh",
                "add",
                "10.72.0.2",
                "lladdr",
                "02:00:00:00:00:02",
                "dev",
                "eth0",
            ],
            4,
            "the entry exists",
        ),
        (
            vec![
                "neigh",
                "add",
                "10.72.0.2",
                "lladdr",
                "02:00:00:00:00:09",
                "dev",
                "eth0",
                "--exist-ok",
            ],
            4,
            "it has lladdr 02:00:00:00:00:02",
        ),
        (
            vec!["neigh", "replace", "10.72.0.2", "dev", "eth0"],
            7,
            "no link-layer address given",
        ),
        (
            vec!["neigh", "del", "10.72.0.9", "dev", "eth0"],
            3,
            "no such entry",
        ),
        (
            vec!["neigh", "del", "10.72.0.2", "dev", "a/b"],
            7,
            "invalid interface name",
        ),
        (vec!["neigh", "flush"], 2, "required"),
        (vec!["neigh", "flush", "dev", "nosuch0"], 3, "not found"),
        (vec!["neigh", "show", "nud", "sleepy"], 7, "invalid nud state"),
        (
            vec!["rule", "add", "from", "10.72.0/24", "table", "5"],
            7,
            "invalid rule prefix",
        ),
        (
            vec!["rule", "add", "from", "10.72.0.0/24", "to", "fd00::/64"],
            7,
            "different families",
        ),
        (
            vec!["rule", "add", "-6", "from", "10.72.0.0/24"],
            7,
            "other family",
        ),
        (
            vec!["rule", "add", "fwmark", "0xzz", "table", "5"],
            7,
            "invalid fwmark",
        ),
        (
            vec!["rule", "add", "from", "10.72.0.0/24", "table", "x"],
            7,
            "invalid table",
        ),
        (
            vec!["rule", "add", "from", "10.72.0.0/24", "pref", "x"],
            7,
            "invalid priority",
        ),
        (
            vec![
                "rule",
                "add",
                "from",
                "10.72.0.0/24",
                "table",
                "100",
                "pref",
                "100",
            ],
            4,
            "already exists",
        ),
        (vec!["rule", "del", "from", "10.72.9.0/24"], 3, "no such rule"),
        (vec!["rule", "del"], 2, "which rule?"),
        (vec!["route", "get", "10.72.0"], 7, "invalid address"),
        (
            vec!["route", "get", "10.72.0.2", "from", "fd00::1"],
            7,
            "not of the same family",
        ),
        (
            vec!["route", "get", "10.72.0.2", "oif", "nosuch0"],
            3,
            "not found",
        ),
        (vec!["route", "get", "10.99.0.1"], 1, "unreachable"),
        (vec!["route", "get", "10.72.0.2", "mark", "q"], 7, "invalid mark"),
    ];
    for (args, code, needle) in cases {
        let mut line = vec!["-n", n.as_str()];
        line.extend(args);
        assert_unchanged(snapshot, || {
            ns(&line).fails(code, needle);
        });
    }
    let global: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["netns", "set", &n, "x"], 7, "invalid nsid"),
        (vec!["netns", "set", &n, "-1"], 2, ""),
        (vec!["netns", "set", "NoSuchNamespace", "5"], 3, "not found"),
        (vec!["netns", "set", "bad/name", "5"], 7, "invalid"),
        (vec!["netns", "set", &n, "5"], 4, "it has id 3 already"),
        (vec!["netns", "set", &other, "3"], 4, "it has id 4 already"),
        (vec!["netns", "add", "bad/name"], 7, "invalid"),
        (vec!["netns", "add", &n], 4, "already exists"),
        (vec!["netns", "del", "NoSuchNamespace"], 3, "not found"),
        (
            vec!["netns", "attach", "Fresh", "999999"],
            3,
            "no process with PID 999999",
        ),
        (vec!["netns", "exec", "NoSuchNamespace", "true"], 3, "not found"),
        (vec!["netns", "frob"], 2, "frob"),
    ];
    for (args, code, needle) in global {
        assert_unchanged(snapshot, || {
            ns(&args).fails(code, needle);
        });
    }
}
