//! End-to-end tests of `vnet-ns nexthop add|replace|del|show|flush|get` (ip nexthop's objects)
//! and `route add ... nhid N`, checked against `ip -j nexthop` and `ip -j route`, with pings between the test's own namespaces over a route
//! that uses a nexthop group, and every bad input with before/after snapshots.

use serde_json::Value;
use vnet_tests::*;

/// Links, addresses, the nexthop objects and the routes of every namespace here: bad input must
/// leave all of it as it was.
fn snapshot() -> String {
    let more = sh_ok(
        "for n in '' $(ls /run/netns 2>/dev/null); do echo \"== $n\"; \
         o=; [ -n \"$n\" ] && o=\"-n $n\"; ip $o -j nexthop show; \
         ip $o -4 route show table all; done",
    );
    format!("{}\n{more}", state_snapshot())
}

/// ip -j nexthop's fields of one nexthop, with vnet-ns's booleans for its present-or-absent
/// keys (blackhole, fdb) and the weights ip leaves out as 1.
fn ip_fields(ip: &Value) -> Value {
    let group = ip.get("group").map(|g| {
        g.as_array()
            .unwrap()
            .iter()
            .map(|m| serde_json::json!({"id": m["id"], "weight": m.get("weight").cloned().unwrap_or(1.into())}))
            .collect::<Vec<_>>()
    });
    serde_json::json!({
        "id": ip["id"], "gateway": ip.get("gateway"), "dev": ip.get("dev"),
        "scope": ip.get("scope"), "flags": ip["flags"], "group": group,
        "blackhole": ip.get("blackhole").is_some(), "fdb": ip.get("fdb").is_some(),
    })
}

/// The same fields of a vnet-ns record.
fn our_fields(ours: &Value) -> Value {
    serde_json::json!({
        "id": ours["id"], "gateway": ours["gateway"], "dev": ours["dev"], "scope": ours["scope"],
        "flags": ours["flags"], "group": ours["group"], "blackhole": ours["blackhole"],
        "fdb": ours["fdb"],
    })
}

/// `vnet-ns -n NS nexthop show` lists what `ip -j -n NS nexthop show` does.
fn lists_agree(netns: &str) {
    let ours = ns(&["-n", netns, "nexthop", "show"]).ok().json();
    let ip = ip_json(&format!("-n {netns} nexthop show"));
    let ours: Vec<Value> = ours.as_array().unwrap().iter().map(our_fields).collect();
    let ip: Vec<Value> = ip.as_array().unwrap().iter().map(ip_fields).collect();
    assert_eq!(ours, ip);
}

#[test]
fn nexthop_objects_as_ip_makes_them_and_a_group_carries_traffic() {
    let lab = lab!();
    let (h, r) = (lab.netns("nh"), lab.netns("nr"));
    ns(&["add", &h]).ok();
    ns(&["add", &r]).ok();
    // h reaches r over two veths; r holds 10.74.9.1 on lo.
    sh_ok(&format!(
        "ip -n {h} link set lo up; ip -n {r} link set lo up; \
         ip link add a1 netns {h} type veth peer name b1 netns {r}; \
         ip link add a2 netns {h} type veth peer name b2 netns {r}; \
         for i in 1 2; do ip -n {h} addr add 10.74.$i.1/24 dev a$i; ip -n {r} addr add 10.74.$i.2/24 dev b$i; \
         ip -n {h} link set a$i up; ip -n {r} link set b$i up; done; \
         ip -n {r} addr add 10.74.9.1/32 dev lo"
    ));
    let add = |words: &str| {
        let mut line = vec!["-n", h.as_str(), "nexthop", "add"];
        line.extend(words.split_whitespace());
        ns(&line).ok().json()
    };
    let one = add("id 1 via 10.74.1.2 dev a1");
    assert_eq!(one["changed"], true);
    assert_eq!(one["nexthop"]["gateway"], "10.74.1.2");
    add("id 2 via 10.74.2.2 dev a2");
    add("id 3 via 10.74.2.9 dev a2 onlink");
    add("id 4 blackhole");
    add("id 5 via 10.74.1.7 fdb");
    let group = add("id 10 group 1,3/2");
    assert_eq!(
        group["nexthop"]["group"],
        serde_json::json!([{"id": 1, "weight": 3}, {"id": 2, "weight": 1}])
    );
    add("id 11 group 5 fdb");
    let picked = ns(&["-n", &h, "nexthop", "add", "via", "10.74.1.9", "dev", "a1"])
        .ok()
        .json();
    let picked_id = picked["nexthop"]["id"].as_u64().unwrap();
    assert!(picked_id > 0);
    lists_agree(&h);
    // show's selectors and get, as ip's.
    for (ours, theirs) in [
        (vec!["groups"], "groups"),
        (vec!["dev", "a2"], "dev a2"),
        (vec!["fdb"], "fdb"),
        (vec!["id", "10"], "id 10"),
    ] {
        let mut line = vec!["-n", h.as_str(), "nexthop", "show"];
        line.extend(ours);
        let ours: Vec<Value> = ns(&line)
            .ok()
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(our_fields)
            .collect();
        let ip = ip_json(&format!("-n {h} nexthop show {theirs}"));
        let ip: Vec<Value> = match ip {
            Value::Array(list) => list.iter().map(ip_fields).collect(),
            one => vec![ip_fields(&one)],
        };
        assert_eq!(ours, ip, "show {theirs}");
    }
    let got = ns(&["-n", &h, "nexthop", "get", "id", "10"]).ok().json();
    assert_eq!(
        our_fields(&got),
        ip_fields(&ip_json(&format!("-n {h} nexthop get id 10"))[0])
    );
    // A route over the group: pings reach r's address through it.
    let route = ns(&["-n", &h, "route", "add", "10.74.9.0/24", "nhid", "10"])
        .ok()
        .json();
    assert_eq!(route["route"]["nhid"], 10);
    let ip_route = ip_json(&format!("-n {h} route show 10.74.9.0/24"));
    assert_eq!(ip_route[0]["nhid"], 10, "{ip_route}");
    let shown = ns(&["-n", &h, "route", "show", "10.74.9.0/24"]).ok().json();
    assert_eq!(shown[0]["nhid"], 10);
    let ping = sh(&format!("ip netns exec {h} ping -c 2 -W 2 10.74.9.1"));
    assert_eq!(ping.code, 0, "{ping:?}");
    // --exist-ok: the same nexthop is "changed": false; another one is exit 4 naming it.
    let same = ns(&[
        "-n",
        &h,
        "nexthop",
        "add",
        "id",
        "1",
        "via",
        "10.74.1.2",
        "dev",
        "a1",
        "--exist-ok",
    ])
    .ok()
    .json();
    assert_eq!(same["changed"], false);
    // replace changes it; the kernel's record says so.
    let replaced = ns(&[
        "-n",
        &h,
        "nexthop",
        "replace",
        "id",
        "3",
        "via",
        "10.74.2.8",
        "dev",
        "a2",
        "onlink",
    ])
    .ok()
    .json();
    assert_eq!(replaced["replaced"]["gateway"], "10.74.2.9");
    assert_eq!(
        ip_json(&format!("-n {h} nexthop get id 3"))[0]["gateway"],
        "10.74.2.8"
    );
    // del, then flush of the rest (groups first), as ip leaves them.
    let del = ns(&["-n", &h, "nexthop", "del", "id", "4"]).ok().json();
    assert_eq!(del["nexthop"]["blackhole"], true);
    assert!(!sh_ok(&format!("ip -n {h} -j nexthop show")).contains("\"id\":4,"));
    let gone = ns(&["-n", &h, "nexthop", "del", "id", "4", "--missing-ok"])
        .ok()
        .json();
    assert_eq!(gone["changed"], false);
    let flushed = ns(&["-n", &h, "nexthop", "flush", "dev", "a2"]).ok().json();
    assert_eq!(flushed["flushed"].as_array().unwrap().len(), 2);
    lists_agree(&h);
    let all = ns(&["-n", &h, "nexthop", "flush"]).ok().json();
    assert_eq!(all["changed"], true);
    assert_eq!(ip_json(&format!("-n {h} nexthop show")), serde_json::json!([]));
    // --batch --atomic undoes the nexthops of the lines before a failing one.
    let batch = vnet_stdin(
        "vnet-ns",
        &["-n", &h, "--batch", "-", "--atomic"],
        "nexthop add id 20 via 10.74.1.2 dev a1\nnexthop add id 21 group 20\nnexthop add id 22 group 99\n",
    );
    assert_eq!(batch.code, 3, "{batch:?}");
    assert_eq!(ip_json(&format!("-n {h} nexthop show")), serde_json::json!([]));
}

/// `monitor nexthop` (ip monitor nexthop) reports each nexthop made and deleted, as nexthop
/// show's records, and refuses what it cannot watch by name.
#[test]
fn monitor_reports_nexthop_changes() {
    let lab = lab!();
    let n = lab.netns("nm");
    ns(&["add", &n]).ok();
    sh_ok(&format!(
        "ip -n {n} link add v1 type veth peer name v2 && ip -n {n} link set v1 up && \
         ip -n {n} link set v2 up && ip -n {n} addr add 10.76.0.1/24 dev v1"
    ));
    let watched = n.clone();
    let monitor = std::thread::spawn(move || {
        ns(&[
            "-n",
            &watched,
            "monitor",
            "nexthop",
            "--count",
            "3",
            "--timeout",
            "15",
        ])
    });
    std::thread::sleep(std::time::Duration::from_millis(800));
    ns(&[
        "-n",
        &n,
        "nexthop",
        "add",
        "id",
        "7",
        "via",
        "10.76.0.2",
        "dev",
        "v1",
    ])
    .ok();
    let oracle = ip_json(&format!("-n {n} nexthop get id 7"))[0].clone();
    ns(&["-n", &n, "nexthop", "add", "id", "8", "group", "7"]).ok();
    ns(&["-n", &n, "nexthop", "del", "id", "8"]).ok();
    let run = monitor.join().unwrap().ok();
    let records = run.records();
    let seen: Vec<(String, u64)> = records
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_string(),
                r["nexthop"]["id"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [("new", 7), ("new", 8), ("del", 8)].map(|(a, i)| (a.to_string(), i));
    assert_eq!(seen, want, "{run:?}");
    assert!(records.iter().all(|r| r["kind"] == "nexthop"));
    assert_eq!(our_fields(&records[0]["nexthop"]), ip_fields(&oracle));
    for word in ["mroute", "prefix", "stats"] {
        assert_unchanged(snapshot, || {
            ns(&["-n", &n, "monitor", word]).fails(7, "not supported");
        });
    }
}

#[test]
fn bad_nexthop_input_changes_nothing() {
    let lab = lab!();
    let n = lab.netns("nb");
    ns(&["add", &n]).ok();
    sh_ok(&format!(
        "ip -n {n} link add v1 type veth peer name v2 && ip -n {n} link set v1 up && ip -n {n} link set v2 up && \
         ip -n {n} addr add 10.75.0.1/24 dev v1 && ip -n {n} nexthop add id 1 via 10.75.0.2 dev v1"
    ));
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["nexthop", "add", "id", "1", "via", "10.75.0.2", "dev", "v1"],
            4,
            "the nexthop exists",
        ),
        (
            vec![
                "nexthop",
                "add",
                "id",
                "1",
                "via",
                "10.75.0.3",
                "dev",
                "v1",
                "--exist-ok",
            ],
            4,
            "differs in via",
        ),
        (
            vec!["nexthop", "add", "id", "2", "via", "10.75.0.2", "dev", "nosuch0"],
            3,
            "not found",
        ),
        (
            vec!["nexthop", "add", "id", "2", "group", "1/99"],
            3,
            "no nexthop with id 99",
        ),
        (vec!["nexthop", "add", "id", "2", "group", "1,0"], 7, "weight"),
        (vec!["nexthop", "add", "id", "2", "group", "1,300"], 7, "weight"),
        (vec!["nexthop", "add", "id", "x", "blackhole"], 7, "invalid id"),
        (
            vec!["nexthop", "add", "id", "2", "via", "10.75.0"],
            7,
            "invalid address",
        ),
        (
            vec!["nexthop", "add", "id", "2", "group", "1", "type", "resilient"],
            7,
            "not supported",
        ),
        (
            vec!["nexthop", "add", "id", "2", "encap", "mpls", "100", "dev", "v1"],
            7,
            "not supported",
        ),
        (
            vec!["nexthop", "add", "id", "2", "blackhole", "via", "10.75.0.2"],
            2,
            "cannot be used",
        ),
        (
            vec!["-6", "nexthop", "add", "id", "2", "via", "10.75.0.2"],
            7,
            "family mismatch",
        ),
        (
            vec!["nexthop", "add", "id", "2"],
            2,
            "give via, dev, blackhole or group",
        ),
        (vec!["nexthop", "del", "id", "9"], 3, "no nexthop with id 9"),
        (vec!["nexthop", "get", "id", "9"], 3, "no nexthop with id 9"),
        (vec!["nexthop", "show", "dev", "nosuch0"], 3, "not found"),
        (vec!["nexthop", "flush", "dev", "nosuch0"], 3, "not found"),
        (vec!["nexthop", "bucket", "list"], 7, "not supported"),
        (vec!["nexthop", "del"], 2, ""),
        (
            vec!["route", "add", "10.75.9.0/24", "nhid", "99"],
            3,
            "no nexthop with id 99",
        ),
        (
            vec!["route", "add", "10.75.9.0/24", "nhid", "1", "via", "10.75.0.2"],
            2,
            "cannot be used",
        ),
        (
            vec!["route", "add", "10.75.9.0/24", "nhid", "x"],
            7,
            "invalid value",
        ),
    ];
    for (args, code, needle) in cases {
        let mut line = vec!["-n", n.as_str()];
        line.extend(args);
        assert_unchanged(snapshot, || {
            ns(&line).fails(code, needle);
        });
    }
}
