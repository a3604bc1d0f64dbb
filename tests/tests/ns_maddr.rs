//! End-to-end tests of `vnet-ns maddress show|add|del` (ip maddress): the multicast addresses of
//! links against `ip -j maddress show`, a link-layer address added and deleted by hand as ip sees
//! it, and bad input with before/after snapshots.

use serde_json::Value;
use vnet_tests::*;

/// ip -j maddress's entries of one link, in vnet-ns's shape (family "link" for a link-layer one;
/// ip's "features": "static" as a boolean).
fn ip_entries(link: &Value) -> Vec<(String, String, bool)> {
    link["maddr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| match m.get("link") {
            Some(mac) => (
                "link".into(),
                mac.as_str().unwrap().into(),
                m.get("features").is_some(),
            ),
            None => (
                m["family"].as_str().unwrap().into(),
                m["address"].as_str().unwrap().into(),
                false,
            ),
        })
        .collect()
}

fn our_entries(link: &Value) -> Vec<(String, String, bool)> {
    link["maddr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let value = m["link"].as_str().or(m["address"].as_str()).unwrap();
            (
                m["family"].as_str().unwrap().into(),
                value.into(),
                m["static"] == true,
            )
        })
        .collect()
}

/// `vnet-ns -n NS maddress show ARGS` lists what `ip -n NS -j maddress show ARGS` does.
fn lists_agree(netns: &str, args: &[&str]) {
    let mut line = vec!["-n", netns, "maddress", "show"];
    line.extend_from_slice(args);
    let ours = ns(&line).ok().json();
    let ip = ip_json(&format!("-n {netns} maddress show {}", args.join(" ")));
    let names = |v: &Value, key: &str| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|l| l[key].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&ours, "ifname"), names(&ip, "ifname"));
    for (o, i) in ours.as_array().unwrap().iter().zip(ip.as_array().unwrap()) {
        assert_eq!(o["ifindex"], i["ifindex"]);
        assert_eq!(our_entries(o), ip_entries(i), "{o} vs {i}");
    }
}

#[test]
fn multicast_addresses_as_ip_maddress_has_them() {
    let lab = lab!();
    let n = lab.netns("ma");
    ns(&["add", &n]).ok();
    sh_ok(&format!(
        "ip -n {n} link set lo up && ip -n {n} link add m0 type veth peer name m1 && \
         ip -n {n} link set m0 up && ip -n {n} link set m1 up"
    ));
    std::thread::sleep(std::time::Duration::from_millis(300));
    lists_agree(&n, &[]);
    lists_agree(&n, &["dev", "m0"]);
    let added = ns(&["-n", &n, "maddress", "add", "33:33:00:00:00:09", "dev", "m0"])
        .ok()
        .json();
    assert_eq!(added["changed"], true);
    let ip = sh_ok(&format!("ip -n {n} maddress show dev m0"));
    assert!(ip.contains("link  33:33:00:00:00:09 static"), "{ip}");
    lists_agree(&n, &["dev", "m0"]);
    // Added again: nothing to do, as with ip.
    let again = ns(&["-n", &n, "maddr", "add", "33:33:00:00:00:09", "dev", "m0"])
        .ok()
        .json();
    assert_eq!(again["changed"], false);
    let text = ns(&["-n", &n, "maddress", "show", "dev", "m0", "-o", "text"])
        .ok()
        .stdout;
    assert_eq!(text, sh_ok(&format!("ip -n {n} maddress show dev m0")));
    let v4 = ns(&["-n", &n, "-4", "maddress", "show", "dev", "m0"]).ok().json();
    assert!(v4[0]["maddr"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["family"] == "inet"));
    ns(&["-n", &n, "maddress", "del", "33:33:00:00:00:09", "dev", "m0"]).ok();
    assert!(!sh_ok(&format!("ip -n {n} maddress show dev m0")).contains("33:33:00:00:00:09"));
    let gone = ns(&[
        "-n",
        &n,
        "maddress",
        "del",
        "33:33:00:00:00:09",
        "dev",
        "m0",
        "--missing-ok",
    ])
    .ok()
    .json();
    assert_eq!(gone["changed"], false);
    // --batch --atomic takes an added address back when a later line fails.
    let batch = vnet_stdin(
        "vnet-ns",
        &["-n", &n, "--batch", "-", "--atomic"],
        "maddress add 33:33:00:00:00:0a dev m0\nmaddress add 33:33:00:00:00:0b dev nosuch0\n",
    );
    assert_eq!(batch.code, 3, "{batch:?}");
    assert!(!sh_ok(&format!("ip -n {n} maddress show dev m0")).contains("33:33:00:00:00:0a"));
}

#[test]
fn bad_maddress_input_changes_nothing() {
    let lab = lab!();
    let n = lab.netns("mb");
    ns(&["add", &n]).ok();
    sh_ok(&format!(
        "ip -n {n} link add m0 type veth peer name m1 && ip -n {n} link set m0 up"
    ));
    let snapshot = || {
        format!(
            "{}\n{}",
            state_snapshot(),
            sh_ok(&format!("ip -n {n} maddress show"))
        )
    };
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["maddress", "add", "zz", "dev", "m0"],
            7,
            "not a link-layer address",
        ),
        (
            vec!["maddress", "add", "33:33:00:00:00:09", "dev", "nosuch0"],
            3,
            "not found",
        ),
        (vec!["maddress", "add", "33:33:00:00:00:09"], 2, "--dev"),
        (
            vec!["maddress", "del", "33:33:00:00:00:09", "dev", "m0"],
            3,
            "no such address",
        ),
        (vec!["maddress", "show", "dev", "nosuch0"], 3, "not found"),
        (vec!["maddress", "show", "dev", "a/b"], 7, "invalid"),
    ];
    for (args, code, needle) in cases {
        let mut line = vec!["-n", n.as_str()];
        line.extend(args);
        assert_unchanged(snapshot, || {
            ns(&line).fails(code, needle);
        });
    }
}
