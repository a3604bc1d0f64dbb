//! End-to-end tests of `vnet-ns netconf show` (ip netconf) against `ip -j netconf show`, of
//! `monitor netconf` (ip monitor netconf) seeing a sysctl change, and of bad input.

use serde_json::Value;
use vnet_tests::*;

/// vnet-ns's records with only the keys ip -j netconf prints for them (ip 6.1 has no
/// bc_forwarding; null is a key ip leaves out).
fn as_ip(ours: &Value) -> Vec<Value> {
    ours.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.as_object().unwrap().clone();
            r.remove("bc_forwarding");
            r.retain(|_, v| !v.is_null());
            Value::Object(r)
        })
        .collect()
}

#[test]
fn netconf_show_is_ips_and_monitor_sees_changes() {
    let lab = lab!();
    let n = lab.netns("nc");
    ns(&["add", &n]).ok();
    sh_ok(&format!(
        "ip -n {n} link add c0 type veth peer name c1 && \
         ip netns exec {n} sysctl -qw net.ipv4.conf.c0.forwarding=1 net.ipv4.conf.c0.rp_filter=2"
    ));
    for (ours, theirs) in [(vec![], ""), (vec!["dev", "c0"], "dev c0")] {
        let mut line = vec!["-n", n.as_str(), "netconf", "show"];
        line.extend(ours);
        let got = ns(&line).ok().json();
        let ip = ip_json(&format!("-n {n} netconf show {theirs}"));
        assert_eq!(Value::Array(as_ip(&got)), ip, "netconf show {theirs}");
    }
    // -4: the IPv4 records alone (ip 6.1 prints -4 netconf show dev X as text even with -j).
    let got = ns(&["-n", &n, "-4", "netconf", "show", "dev", "c1"]).ok().json();
    let ip = ip_json(&format!("-n {n} netconf show dev c1"));
    let inet: Vec<Value> = ip
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["family"] == "inet")
        .cloned()
        .collect();
    assert_eq!(as_ip(&got), inet);
    let c0 = ns(&["-n", &n, "-4", "netconf", "show", "dev", "c0"]).ok().json();
    assert_eq!(
        (&c0[0]["forwarding"], &c0[0]["rp_filter"]),
        (&Value::Bool(true), &Value::from("loose"))
    );
    let text = ns(&["-n", &n, "netconf", "show", "dev", "c0", "-o", "text"])
        .ok()
        .stdout;
    assert_eq!(text, sh_ok(&format!("ip -n {n} netconf show dev c0")));
    // monitor netconf: a sysctl change is one record, netconf show's record of the new setting.
    let watched = n.clone();
    let monitor = std::thread::spawn(move || {
        ns(&[
            "-n",
            &watched,
            "monitor",
            "netconf",
            "--count",
            "1",
            "--timeout",
            "15",
        ])
    });
    std::thread::sleep(std::time::Duration::from_millis(800));
    sh_ok(&format!(
        "ip netns exec {n} sysctl -qw net.ipv4.conf.c1.forwarding=1"
    ));
    let run = monitor.join().unwrap().ok();
    let records = run.records();
    assert_eq!(records.len(), 1, "{run:?}");
    let r = &records[0];
    assert_eq!(
        (&r["kind"], &r["action"]),
        (&Value::from("netconf"), &Value::from("new"))
    );
    assert_eq!(r["netconf"]["interface"], "c1");
    assert_eq!(r["netconf"]["forwarding"], true);
}

#[test]
fn bad_netconf_input_changes_nothing() {
    let lab = lab!();
    let n = lab.netns("nd");
    ns(&["add", &n]).ok();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["netconf", "show", "dev", "nosuch0"], 3, "not found"),
        (vec!["netconf", "show", "dev", "a/b"], 7, "invalid"),
        (vec!["netconf", "show", "extra"], 2, "extra"),
        (vec!["netconf", "add"], 2, ""),
    ];
    for (args, code, needle) in cases {
        let mut line = vec!["-n", n.as_str()];
        line.extend(args);
        assert_unchanged(state_snapshot, || {
            ns(&line).fails(code, needle);
        });
    }
}
