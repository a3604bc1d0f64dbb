//! End-to-end tests of ip's route and rule grammar as scripts write it (issue 21, "drop-in"):
//! every route type, scope, metrics, multipath nexthops, change/append/prepend/test, the show
//! and flush selectors, and ip rule's further selectors, actions and flush. Each line runs twice,
//! with vnet-ns in one namespace and with ip in its twin (same links, same addresses): the
//! kernel state ip -j reads back must be the same. Bad input is exit 7 with nothing changed.

use serde_json::Value;
use vnet_tests::*;

/// Two namespaces with the same links: v1/v2 (a veth pair, up) with 10.1.0.1/24 and 10.2.0.1/24,
/// fd00:1::1/64 on v1. The first is for vnet-ns, the second for ip.
fn twins(lab: &Lab) -> (String, String) {
    let (ours, theirs) = (lab.netns("G"), lab.netns("I"));
    for ns in [&ours, &theirs] {
        sh_ok(&format!(
            "ip netns add {ns} && ip -n {ns} link add v1 type veth peer name v2 && \
             ip -n {ns} link set v1 up && ip -n {ns} link set v2 up && \
             ip -n {ns} addr add 10.1.0.1/24 dev v1 && ip -n {ns} addr add 10.2.0.1/24 dev v2 && \
             ip -n {ns} addr add fd00:1::1/64 dev v1 nodad"
        ));
        lab.on_drop(format!("ip netns del {ns}"));
    }
    (ours, theirs)
}

/// `vnet-ns -n OURS LINE` and `ip -n THEIRS LINE`: both succeed; vnet-ns's output as JSON. A
/// leading -6 is ip's global option, the verb's own flag for vnet-ns.
fn both(ours: &str, theirs: &str, line: &str) -> Value {
    let (family, line) = match line.strip_prefix("-6 ") {
        Some(rest) => ("-6", rest),
        None => ("", line),
    };
    sh_ok(&format!("ip {family} -n {theirs} {line}"));
    let mut args = vec!["-n", ours];
    args.extend(line.split_whitespace());
    args.extend(Some(family).filter(|f| !f.is_empty()));
    ns(&args).ok().json()
}

/// The routes (every table, both families, IPv6 link-local left out) and rules of a namespace
/// as ip -j reads them.
fn state(netns: &str) -> Value {
    let routes = |family: &str| {
        let all = ip_json(&format!("-n {netns} {family} route show table all"));
        let mut kept: Vec<Value> = all
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| !r["dst"].as_str().unwrap_or("").starts_with("fe80"))
            .cloned()
            .collect();
        // The kernel's order of routes to different links (ff00::/8 per link) follows when the
        // links came up; a route's nexthops keep their order.
        kept.sort_by_key(|r| r.to_string());
        Value::Array(kept)
    };
    serde_json::json!({
        "routes4": routes("-4"),
        "routes6": routes("-6"),
        "rules4": ip_json(&format!("-n {netns} -4 rule show")),
        "rules6": ip_json(&format!("-n {netns} -6 rule show")),
    })
}

fn same_state(ours: &str, theirs: &str, after: &str) {
    assert_eq!(state(ours), state(theirs), "after {after}");
}

/// Each route type, scope and metric as ip adds it, in the tables ip puts it: the same routes.
#[test]
fn route_types_scopes_and_metrics_as_ip() {
    let lab = lab!();
    let (ours, theirs) = twins(&lab);
    for line in [
        "route add local default dev v1 table 100",
        "route add blackhole 10.9.0.0/16",
        "route add unreachable 10.10.0.0/16",
        "route add prohibit 10.11.0.0/16 metric 7",
        "route add throw 10.12.0.0/16 table 100",
        "route add broadcast 10.1.0.255 dev v1 table 100",
        "route add local 10.1.0.7 dev v1",
        "route add multicast 239.1.0.0/16 dev v1",
        "route add 10.20.0.0/16 via 10.1.0.2 dev v1 onlink",
        "route add 10.21.0.0/16 via 10.1.0.2 src 10.1.0.1 proto static",
        "route add 10.22.0.0/16 dev v1 scope host",
        "route add 10.23.0.0/16 via 10.1.0.2 mtu 1400",
        "route add 10.24.0.0/16 via 10.1.0.2 advmss 1360 initcwnd 10 initrwnd 20",
        "route add 10.25.0.0/16 via 10.1.0.2 mtu lock 1300 hoplimit 9 window 4000",
        "route add 10.26.0.0/16 via 10.1.0.2 rtt 100ms rttvar lock 50ms rto_min 20ms congctl cubic",
        "route add 10.27.0.0/16 via 10.1.0.2 rtt 3 quickack 1 fastopen_no_cookie 1 cwnd lock 10 ssthresh 7 reordering 4",
        "route add blackhole fd00:9::/64",
        "route add fd00:8::/64 via fd00:1::2 mtu 1400",
    ] {
        let out = both(&ours, &theirs, line);
        assert_eq!(out["changed"], true, "{line}: {out}");
        assert!(out["route"].is_object(), "{line}: {out}");
    }
    same_state(&ours, &theirs, "adding");
    // The record names the route as ip -j does.
    let local = ip_json(&format!("-n {ours} route show table 100 type local"));
    assert_eq!(local[0]["type"], "local");
    assert_eq!(local[0]["scope"], "host");
}

/// change, append, prepend, test and multipath routes as ip sends them.
#[test]
fn route_change_append_prepend_test_and_multipath_as_ip() {
    let lab = lab!();
    let (ours, theirs) = twins(&lab);
    for line in [
        "route add 10.30.0.0/16 nexthop via 10.1.0.2 dev v1 weight 1 nexthop via 10.2.0.2 dev v2 weight 3",
        "route add default nexthop via 10.1.0.2 dev v1 onlink nexthop via 10.2.0.2 dev v2",
        "route append 10.31.0.0/16 via 10.1.0.2",
        "route prepend 10.32.0.0/16 via 10.1.0.2",
        "route change 10.31.0.0/16 via 10.1.0.3",
        "route chg 10.32.0.0/16 via 10.2.0.3 dev v2",
        "route append fd00:5::/64 via fd00:1::2",
        "route append fd00:5::/64 via fd00:1::3",
        "route prepend fd00:5::/64 via fd00:1::4",
    ] {
        both(&ours, &theirs, line);
    }
    same_state(&ours, &theirs, "change/append/prepend");
    let multipath = ip_json(&format!("-n {ours} route show 10.30.0.0/16"));
    let hops = multipath[0]["nexthops"].as_array().unwrap();
    assert_eq!(
        (hops.len(), hops[1]["weight"].as_u64()),
        (2, Some(3)),
        "{multipath}"
    );
    // test: ip and vnet-ns get the same answer from the kernel (an equal route is exit 4).
    sh_ok(&format!(
        "ip -n {theirs} route test 10.31.0.0/16 via 10.1.0.3 2>/dev/null; true"
    ));
    let ip_test = sh(&format!("ip -n {theirs} route test 10.31.0.0/16 via 10.1.0.3"));
    let ours_test = ns(&["-n", &ours, "route", "test", "10.31.0.0/16", "via", "10.1.0.3"]);
    assert_eq!(
        ip_test.code != 0,
        ours_test.code != 0,
        "{ip_test:?} {ours_test:?}"
    );
    same_state(&ours, &theirs, "test");
    // change of a missing route: exit 3 (ip: "No such file"), nothing changed.
    assert_unchanged(state_snapshot, || {
        ns(&["-n", &ours, "route", "change", "10.99.0.0/16", "via", "10.1.0.2"]).fails(3, "");
    });
}

/// Routes the rest of the tests list and flush: a spread of types, tables, devs and protocols.
fn populate(ours: &str, theirs: &str) {
    for line in [
        "route add 10.40.0.0/16 via 10.1.0.2 proto static",
        "route add 10.41.0.0/16 via 10.2.0.2 metric 5",
        "route add 10.41.7.0/24 dev v2",
        "route add blackhole 10.42.0.0/16",
        "route add 10.43.0.0/16 via 10.1.0.2 src 10.1.0.1 table 100",
        "route add throw 10.44.0.0/16 table 100",
        "route add fd00:7::/64 via fd00:1::2",
    ] {
        both(ours, theirs, line);
    }
}

/// The (type, dst, gateway) of each route of a listing, sorted (ip leaves dev out of the routes
/// of a dev selector).
fn keys(routes: &Value) -> Vec<String> {
    let mut keys: Vec<String> = routes
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let field = |name: &str| r.get(name).and_then(Value::as_str).unwrap_or("").to_string();
            let kind = r.get("type").and_then(Value::as_str).unwrap_or("unicast");
            format!("{kind} {} {}", field("dst"), field("gateway"))
        })
        .filter(|k| !k.contains(" fe80"))
        .collect();
    keys.sort();
    keys
}

/// `route show SELECTORS` lists what `ip -j route show SELECTORS` does.
#[test]
fn route_show_selectors_as_ip() {
    let lab = lab!();
    let (ours, theirs) = twins(&lab);
    populate(&ours, &theirs);
    for selectors in [
        "",
        "table all",
        "table main",
        "table local",
        "table 100",
        "dev v2",
        "proto static",
        "proto kernel",
        "scope link",
        "type blackhole",
        "type throw table 100",
        "via 10.1.0.2",
        "src 10.1.0.1 table all",
        "10.41.0.0/16",
        "exact 10.41.0.0/16",
        "root 10.41.0.0/16",
        "match 10.41.7.9",
        "metric 5",
        "-6",
        "-6 table all",
        "table all -4",
    ] {
        // -4/-6 are ip's global options.
        let family: String = selectors
            .split_whitespace()
            .filter(|w| w.starts_with('-'))
            .collect();
        let rest: Vec<&str> = selectors
            .split_whitespace()
            .filter(|w| !w.starts_with('-'))
            .collect();
        let ip = ip_json(&format!("{family} -n {ours} route show {}", rest.join(" ")));
        let mut args = vec!["-n", ours.as_str(), "route", "show"];
        args.extend(selectors.split_whitespace());
        let listed = ns(&args).ok().json();
        // ip leaves the gateway out of the routes of a via selector.
        let mut listed = listed;
        if selectors.contains("via") {
            listed
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .for_each(|r| r["gateway"] = Value::Null);
        }
        assert_eq!(keys(&listed), keys(&ip), "route show {selectors}");
    }
}

/// `route flush SELECTORS` deletes what `ip route flush SELECTORS` does; --batch --atomic puts
/// the routes back when a later line fails.
#[test]
fn route_flush_selectors_as_ip() {
    let lab = lab!();
    let (ours, theirs) = twins(&lab);
    populate(&ours, &theirs);
    // Undone by --atomic: every flushed route comes back.
    let before = state(&ours);
    let batch = format!("-n {ours} route flush table 100\n-n {ours} route flush dev nosuch0\n");
    let run = vnet_stdin("vnet-ns", &["--batch", "-", "--atomic"], &batch);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(state(&ours), before, "the flush was undone");
    for selectors in [
        "table 100",
        "proto static",
        "dev v2 metric 5",
        "type blackhole",
        "root 10.41.0.0/16",
        "cache",
        "-6 via fd00:1::2",
        "dev v1",
    ] {
        let line = match selectors.strip_prefix("-6 ") {
            Some(rest) => format!("-6 route flush {rest}"),
            None => format!("route flush {selectors}"),
        };
        let out = both(&ours, &theirs, &line);
        assert!(out["flushed"].is_array(), "{out}");
        same_state(&ours, &theirs, &format!("route flush {selectors}"));
    }
    // Nothing left to flush: success, "changed": false.
    let again = ns(&["-n", &ours, "route", "flush", "table", "100"]).ok().json();
    assert_eq!(again["changed"], false, "{again}");
    // No selector: ip refuses it too.
    assert_ne!(sh(&format!("ip -n {theirs} route flush")).code, 0);
    assert_unchanged(state_snapshot, || {
        ns(&["-n", &ours, "route", "flush"]).fails(2, "requires a selector");
    });
}

/// ip rule's selectors and actions beyond from/to/table, the same rules as ip; rule show lists
/// them with ip -j rule's fields; rule flush leaves what ip leaves.
#[test]
fn rule_selectors_actions_and_flush_as_ip() {
    let lab = lab!();
    let (ours, theirs) = twins(&lab);
    for line in [
        "rule add iif v1 table 11 prio 1000",
        "rule add not from 10.1.0.0/16 table 14 pref 1003",
        "rule add sport 1000-2000 table 16 pref 1005",
        "rule add dport 80 ipproto tcp table 17 pref 1006",
        "rule add uidrange 1000-2000 table 18 pref 1007",
        "rule add tos 0x10 table 19 pref 1008",
        "rule add table main suppress_prefixlength 0 pref 1009",
        "rule add from 10.5.0.0/16 goto 1012 pref 1010",
        "rule add from 10.6.0.0/16 blackhole pref 1011",
        "rule add from 10.7.0.0/16 unreachable pref 1012",
        "rule add from 10.8.0.0/16 prohibit pref 1013",
        "rule add nop pref 1014",
        "-6 rule add from fd00::/64 dport 53 ipproto udp table 20 pref 1015",
    ] {
        let out = both(&ours, &theirs, line);
        assert_eq!(out["changed"], true, "{line}: {out}");
    }
    same_state(&ours, &theirs, "rule add");
    let listed = ns(&["-n", &ours, "rule", "show"]).ok().json();
    let ip = ip_json(&format!("-n {ours} rule show"));
    for (mine, theirs_rule) in listed.as_array().unwrap().iter().zip(ip.as_array().unwrap()) {
        for field in [
            "priority",
            "src",
            "goto",
            "sport",
            "sport_start",
            "sport_end",
            "dport",
            "ipproto",
            "uid_start",
            "uid_end",
            "tos",
            "suppress_prefixlen",
        ] {
            assert_eq!(
                mine[field],
                theirs_rule.get(field).cloned().unwrap_or(Value::Null),
                "{field}: {mine}"
            );
        }
        assert_eq!(mine["not"], theirs_rule.get("not").is_some(), "{mine}");
        // ip -j prints a nop rule as "nop": null, vnet-ns as "action": "nop".
        let action = match theirs_rule.get("nop") {
            Some(_) => Value::from("nop"),
            None => theirs_rule.get("action").cloned().unwrap_or(Value::Null),
        };
        assert_eq!(mine["action"], action, "{mine}");
    }
    // show's selectors pick what ip's do.
    for selectors in [
        "table 17",
        "pref 1006",
        "from 10.6.0.0/16",
        "iif v1",
        "lookup main",
    ] {
        let ip = ip_json(&format!("-n {ours} rule show {selectors}"));
        let mut args = vec!["-n", ours.as_str(), "rule", "show"];
        args.extend(selectors.split_whitespace());
        let listed = ns(&args).ok().json();
        let priorities = |rules: &Value| -> Vec<u64> {
            rules
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["priority"].as_u64().unwrap())
                .collect()
        };
        assert_eq!(priorities(&listed), priorities(&ip), "rule show {selectors}");
    }
    // del by priority alone, in each spelling.
    both(&ours, &theirs, "rule del pref 1000");
    both(&ours, &theirs, "rule del prio 1005");
    both(&ours, &theirs, "rule del from 10.6.0.0/16 blackhole");
    same_state(&ours, &theirs, "rule del");
    let flushed = both(&ours, &theirs, "rule flush");
    assert!(flushed["flushed"].as_array().unwrap().len() >= 10, "{flushed}");
    same_state(&ours, &theirs, "rule flush");
    assert_eq!(
        ip_json(&format!("-n {ours} rule show")).as_array().unwrap().len(),
        1
    );
}

/// Bad route and rule words are exit 7 before anything changes (ip refuses each too).
#[test]
fn bad_route_and_rule_words_change_nothing() {
    let lab = lab!();
    let (ours, theirs) = twins(&lab);
    for (line, needle) in [
        ("route add 10.50.0.0/16 dev v1 scope frob", "invalid scope"),
        ("route add 10.50.0.0/16 via 10.1.0.2 mtu x", "invalid mtu"),
        (
            "route add 10.50.0.0/16 via 10.1.0.2 hoplimit 300",
            "invalid hoplimit",
        ),
        (
            "route add 10.50.0.0/16 nexthop via 10.1.0.2 weight 0",
            "invalid weight",
        ),
        (
            "route add 10.50.0.0/16 nexthop via fd00::1",
            "not of the same family",
        ),
        ("route add throw 10.50.0.0/16 via 10.1.0.2", "has no gateway"),
        (
            "route add 10.50.0.0/16 via 10.1.0.2 quickack lock 1",
            "invalid quickack",
        ),
        ("route add 10.50.0.0/16 via 10.1.0.2 rtt 1h", "invalid rtt"),
        ("route show type frob", "invalid route type"),
        ("route flush proto frob", "unknown protocol"),
        ("rule add sport 2000-1000 table 5", "invalid port range"),
        ("rule add ipproto frob table 5", "invalid ipproto"),
        ("rule add blackhole goto 5", "give one action"),
        ("rule add tos 300 table 5", "invalid tos"),
    ] {
        assert_ne!(
            sh(&format!("ip -n {theirs} {line}")).code,
            0,
            "ip accepted {line}"
        );
        let mut args = vec!["-n", ours.as_str()];
        args.extend(line.split_whitespace());
        assert_unchanged(state_snapshot, || {
            let before = state(&ours);
            ns(&args).fails(7, needle);
            assert_eq!(state(&ours), before, "{line}");
        });
    }
}

/// (ifname, [local/prefixlen ...]) of each link of an addr listing, IPv6 link-local left out
/// (ip -j prints a label selector's links without their names, and an empty object for each link
/// a selector leaves out).
fn addr_keys(links: &Value) -> Vec<(String, Vec<String>)> {
    links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let locals = l["addr_info"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|i| i.get("local").is_some())
                        .map(|i| format!("{}/{}", i["local"].as_str().unwrap(), i["prefixlen"]))
                        .filter(|a| !a.starts_with("fe80"))
                        .collect()
                })
                .unwrap_or_default();
            (l["ifname"].as_str().unwrap_or("").to_string(), locals)
        })
        .filter(|(name, locals): &(String, Vec<String>)| !name.is_empty() || !locals.is_empty())
        .collect()
}

/// addr show's selectors list what ip -j addr show lists; addr del without a prefix length and
/// addr change act as ip's do.
#[test]
fn addr_show_selectors_wildcard_del_and_change_as_ip() {
    let lab = lab!();
    let (ours, theirs) = twins(&lab);
    for line in [
        "addr add 10.3.0.1/16 dev v1 label v1:a",
        "addr add 10.1.0.9/24 dev v1",
        "addr add 10.58.8.1 dev v2",
        "addr add 10.4.0.1/24 brd + dev v2 scope link",
        "addr add 10.5.0.1/24 broadcast 10.5.0.255 dev v2 valid_lft 500 preferred_lft 400",
    ] {
        both(&ours, &theirs, line);
    }
    sh_ok(&format!("ip -n {ours} link add d0 type veth peer name d1"));
    for selectors in [
        "",
        "dev v1",
        "up",
        "scope global",
        "scope link",
        "label v1:*",
        "label v?",
        "to 10.0.0.0/8",
        "to 10.1.0.9",
        "secondary",
        "primary dev v1",
        "dynamic",
        "permanent dev v2",
    ] {
        let ip = ip_json(&format!("-n {ours} addr show {selectors}"));
        let mut args = vec!["-n", ours.as_str(), "addr", "show"];
        args.extend(selectors.split_whitespace());
        let listed = ns(&args).ok().json();
        let addresses = |keys: Vec<(String, Vec<String>)>| {
            let mut all: Vec<String> = keys.into_iter().flat_map(|(_, a)| a).collect();
            all.sort();
            all
        };
        assert_eq!(
            addresses(addr_keys(&listed)),
            addresses(addr_keys(&ip)),
            "addr show {selectors}"
        );
        if !selectors.contains("label") {
            assert_eq!(addr_keys(&listed), addr_keys(&ip), "addr show {selectors}");
        }
    }
    sh_ok(&format!("ip -n {ours} link del d0"));
    for line in [
        "addr del 10.3.0.1 dev v1",
        "addr del 10.58.8.1 dev v2",
        "addr change 10.5.0.1/24 dev v2 valid_lft 100 preferred_lft 50",
        "addr change 10.6.0.1/24 dev v2",
    ] {
        both(&ours, &theirs, line);
        let addrs = |ns: &str| addr_keys(&ip_json(&format!("-n {ns} addr show")));
        assert_eq!(addrs(&ours), addrs(&theirs), "after {line}");
    }
    let v2 = ip_json(&format!("-n {ours} addr show dev v2"));
    let changed = v2[0]["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["local"] == "10.5.0.1")
        .cloned();
    let valid = changed.as_ref().and_then(|a| a["valid_life_time"].as_u64());
    assert!(valid.is_some_and(|v| v <= 100), "{changed:?}");
    // A missing address without a prefix: exit 3 as ip refuses it, nothing changed.
    assert_ne!(sh(&format!("ip -n {theirs} addr del 10.77.0.1 dev v1")).code, 0);
    assert_unchanged(state_snapshot, || {
        ns(&["-n", &ours, "addr", "del", "10.77.0.1", "dev", "v1"]).fails(3, "no such address");
        ns(&["-n", &ours, "addr", "change", "fd00:7::1/64", "dev", "v1"]).fails(3, "no such address");
        ns(&["-n", &ours, "addr", "show", "scope", "frob"]).fails(7, "invalid scope");
    });
}

/// The (dst, lladdr, state) of each entry of a neigh listing, sorted; the kernel's own IPv6
/// multicast entries (they come and go by themselves) left out.
fn neigh_keys(entries: &Value) -> Vec<String> {
    let mut keys: Vec<String> = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| !n["dst"].as_str().unwrap_or("").starts_with("ff"))
        .map(|n| {
            let field = |name: &str| n.get(name).map(|v| v.to_string()).unwrap_or_default();
            format!("{} {} {}", field("dst"), field("lladdr"), field("state"))
        })
        .collect();
    keys.sort();
    keys
}

/// neigh change, get and show [to] PREFIX as ip's: the same entries, the same answers.
#[test]
fn neigh_change_get_and_show_to_as_ip() {
    let lab = lab!();
    let (ours, theirs) = twins(&lab);
    for line in [
        "neigh add 10.1.0.2 lladdr 02:00:00:00:00:02 dev v1 nud permanent",
        "neigh add 10.1.0.3 lladdr 02:00:00:00:00:04 dev v1",
        "neigh add 10.2.0.7 lladdr 02:00:00:00:00:07 dev v2",
        "neigh change 10.1.0.2 lladdr 02:00:00:00:00:03 dev v1 nud reachable",
        "neigh chg 10.2.0.7 lladdr 02:00:00:00:00:08 dev v2 nud permanent",
    ] {
        both(&ours, &theirs, line);
    }
    for selectors in [
        "",
        "to 10.1.0.0/24",
        "10.2.0.7",
        "to 10.9.0.0/16 dev v1",
        "dev v1 to 10.1.0.3",
    ] {
        let ip = ip_json(&format!("-n {ours} neigh show {selectors}"));
        let mut args = vec!["-n", ours.as_str(), "neigh", "show"];
        args.extend(selectors.split_whitespace());
        let listed = ns(&args).ok().json();
        // ip leaves dev out of a dev selector's entries; compare what both give.
        assert_eq!(neigh_keys(&listed), neigh_keys(&ip), "neigh show {selectors}");
    }
    let theirs_changed = ip_json(&format!("-n {theirs} neigh show 10.1.0.2"));
    let ours_changed = ip_json(&format!("-n {ours} neigh show 10.1.0.2"));
    assert_eq!(neigh_keys(&ours_changed), neigh_keys(&theirs_changed));
    assert_eq!(ours_changed[0]["lladdr"], "02:00:00:00:00:03", "{ours_changed}");
    // get: the entry ip neigh get gives (it prints text even with -j).
    let got = ns(&["-n", &ours, "neigh", "get", "10.2.0.7", "dev", "v2"])
        .ok()
        .json();
    let ip_got = sh_ok(&format!("ip -n {ours} neigh get 10.2.0.7 dev v2"));
    let lladdr = got["lladdr"].as_str().unwrap();
    assert!(
        ip_got.contains(&format!("lladdr {lladdr} PERMANENT")),
        "{got} {ip_got}"
    );
    assert_eq!(
        (got["dst"].as_str(), got["dev"].as_str()),
        (Some("10.2.0.7"), Some("v2"))
    );
    // change of a missing entry and get of a missing one: exit 3 (ip fails too), nothing changed.
    assert_ne!(
        sh(&format!(
            "ip -n {theirs} neigh change 10.1.0.99 lladdr 02:00:00:00:00:09 dev v1"
        ))
        .code,
        0
    );
    assert_ne!(sh(&format!("ip -n {theirs} neigh get 10.1.0.99 dev v1")).code, 0);
    assert_unchanged(state_snapshot, || {
        // The kernel's own IPv6 multicast entries come and go by themselves: left out.
        let entries = || {
            let all = ip_json(&format!("-n {ours} neigh show nud all"));
            let mine: Vec<Value> = all
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| !n["dst"].as_str().unwrap().starts_with("ff"))
                .cloned()
                .collect();
            mine
        };
        let before = entries();
        ns(&[
            "-n",
            &ours,
            "neigh",
            "change",
            "10.1.0.99",
            "lladdr",
            "02:00:00:00:00:09",
            "dev",
            "v1",
        ])
        .fails(3, "");
        ns(&["-n", &ours, "neigh", "get", "10.1.0.99", "dev", "v1"]).fails(3, "no such entry");
        ns(&["-n", &ours, "neigh", "show", "to", "nonsense"]).fails(7, "invalid prefix");
        assert_eq!(entries(), before);
    });
}

/// (local, address, prefixlen) of each address of a link, as ip -j addr show has them.
fn peers(netns: &str, dev: &str) -> Vec<(Value, Value, Value)> {
    let link = ip_json(&format!("-n {netns} addr show dev {dev}"));
    let mut all: Vec<(Value, Value, Value)> = link[0]["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !a["local"].as_str().unwrap_or("").starts_with("fe80"))
        .map(|a| {
            (
                a["local"].clone(),
                a.get("address").cloned().unwrap_or(Value::Null),
                a["prefixlen"].clone(),
            )
        })
        .collect();
    all.sort_by_key(|k| format!("{k:?}"));
    all
}

/// `addr add ADDR peer PEER` makes the point-to-point address ip makes (the peer's prefix
/// length, IFA_ADDRESS the peer); addr show names the peer as ip -j does; del with peer removes it.
#[test]
fn addr_peer_as_ip() {
    let lab = lab!();
    let (ours, theirs) = twins(&lab);
    for line in [
        "addr add 10.0.3.1 peer 10.0.3.2 dev v2",
        "addr add 10.0.5.1/24 peer 10.0.5.0/30 dev v2",
        "addr add fd00:3::1 peer fd00:3::2 dev v2 nodad",
        "addr add 10.0.6.1 peer 10.0.6.2 dev v1",
    ] {
        both(&ours, &theirs, line);
        assert_eq!(peers(&ours, "v2"), peers(&theirs, "v2"), "after {line}");
    }
    let shown = ns(&["-n", &ours, "addr", "show", "dev", "v2"]).ok().json();
    let p2p = shown[0]["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["local"] == "10.0.3.1")
        .cloned();
    assert_eq!(
        p2p.as_ref().map(|a| a["address"].clone()),
        Some(Value::from("10.0.3.2")),
        "{shown}"
    );
    both(&ours, &theirs, "addr del 10.0.6.1 peer 10.0.6.2 dev v1");
    assert_eq!(peers(&ours, "v1"), peers(&theirs, "v1"));
    // A peer of the other family: refused before anything changes, as ip refuses it.
    assert_ne!(
        sh(&format!("ip -n {theirs} addr add 10.0.7.1 peer fd00::2 dev v1")).code,
        0
    );
    assert_unchanged(state_snapshot, || {
        ns(&[
            "-n", &ours, "addr", "add", "10.0.7.1", "peer", "fd00::2", "dev", "v1",
        ])
        .fails(7, "same family");
    });
}
