//! End-to-end tests of `link set` options as ip reads them (issue 21): promisc, arp, multicast,
//! allmulticast, txqueuelen, alias, `type bridge_slave` and `type bridge` options in vnet-ns, and
//! bridge(8)'s `link set dev X ...` with vnet-bridge's setters; ip -d -j, bridge -j -d and sysfs
//! as oracles, before/after snapshots for every refusal.

use serde_json::Value;
use vnet_tests::*;

/// vnet-ns with the words of `line` (split at spaces).
fn ns_line(line: &str) -> Run {
    ns(&line.split_whitespace().collect::<Vec<_>>())
}

fn detail(dev: &str) -> Value {
    ip_json(&format!("-d link show dev {dev}"))[0].clone()
}

fn slave_data(dev: &str) -> Value {
    detail(dev)["linkinfo"]["info_slave_data"].clone()
}

/// What the option tests change, as the kernel reports it: every link in detail (flags, txqlen,
/// alias, bridge and port options) and the bridge ports as bridge(8) shows them.
fn options_snapshot() -> String {
    sh_ok(
        "ip -d -j link show | jq -cS '[.[] | del(.linkinfo.info_data.hello_timer, .linkinfo.info_data.tcn_timer, \
         .linkinfo.info_data.topology_change_timer, .linkinfo.info_data.gc_timer, \
         .linkinfo.info_slave_data.forward_delay_timer, .linkinfo.info_slave_data.hold_timer, \
         .linkinfo.info_slave_data.message_age_timer, .operstate, .flags)]'; \
         ip -j link show | jq -c '[.[] | {ifname, flags: (.flags - [\"LOWER_UP\", \"NO-CARRIER\", \"M-DOWN\"])}]'; \
         bridge -j -d link show",
    )
}

/// A bridge with one veth port, both ends up (a port in a bridge with carrier is forwarding).
fn bridge_with_port(lab: &Lab) -> (String, String, String) {
    let (br0, port, peer) = (lab.link("br"), lab.link("p"), lab.name("q"));
    sh_ok(&format!(
        "ip link add {br0} type bridge && ip link add {port} type veth peer name {peer} && \
         ip link set {port} master {br0} && ip link set {port} up && ip link set {peer} up && \
         ip link set {br0} up"
    ));
    (br0, port, peer)
}

#[test]
fn link_set_flags_txqueuelen_and_alias_as_ip() {
    let lab = lab!();
    let (a, b) = (lab.link("a"), lab.name("b"));
    sh_ok(&format!("ip link add {a} type veth peer name {b}"));
    let out = ns_line(&format!(
        "link set dev {a} promisc on arp off allmulticast on multicast off txqlen 321 alias uplink-one"
    ))
    .ok()
    .json();
    assert_eq!(out["changed"], true, "{out}");
    let link = detail(&a);
    for flag in ["PROMISC", "NOARP", "ALLMULTI"] {
        assert!(has_flag(&link, flag), "{flag}: {link}");
    }
    assert!(!has_flag(&link, "MULTICAST"), "{link}");
    assert_eq!(link["txqlen"], 321);
    assert_eq!(link["ifalias"], "uplink-one");
    assert_eq!(sysfs(&format!("{a}/tx_queue_len")), "321");
    assert_eq!(sysfs(&format!("{a}/ifalias")), "uplink-one");
    assert_eq!(out["details"]["txqlen"], 321);
    assert_eq!(out["details"]["ifalias"], "uplink-one");
    // The same line again: nothing to do.
    let again = ns_line(&format!(
        "link set {a} promisc on arp off txqueuelen 321 alias uplink-one"
    ))
    .ok()
    .json();
    assert_eq!(again["changed"], false, "{again}");
    // And back, as ip turns them off; alias "" removes the alias.
    ns(&[
        "link",
        "set",
        &a,
        "promisc",
        "off",
        "arp",
        "on",
        "multicast",
        "on",
        "alias",
        "",
    ])
    .ok();
    let link = detail(&a);
    assert!(!has_flag(&link, "PROMISC") && !has_flag(&link, "NOARP") && has_flag(&link, "MULTICAST"));
    assert!(link["ifalias"].is_null(), "{link}");
}

#[test]
fn link_set_refuses_bad_options_and_changes_nothing() {
    let lab = lab!();
    let (a, b) = (lab.link("a"), lab.name("b"));
    sh_ok(&format!("ip link add {a} type veth peer name {b}"));
    let long = "x".repeat(256);
    for (args, code, needle) in [
        (vec!["promisc", "yes"], 7, "invalid value 'yes'"),
        (vec!["arp", "maybe"], 7, "invalid value 'maybe'"),
        (vec!["txqueuelen", "-1"], 7, "invalid txqueuelen '-1'"),
        (vec!["txqlen", "big"], 7, "invalid txqueuelen 'big'"),
        (vec!["alias", long.as_str()], 7, "alias of 256 bytes is too long"),
        // A later word's refusal keeps the earlier ones from being applied.
        (vec!["promisc", "on", "mtu", "1"], 7, "mtu 1 is outside the range"),
        (vec!["learning", "off"], 2, "need 'type bridge_slave'"),
        (
            vec!["type", "bridge_slave", "learning", "off"],
            3,
            "is not a bridge port",
        ),
        (vec!["type", "bridge", "mcast_querier", "1"], 7, "is not a bridge"),
        (vec!["type", "vlan"], 7, "invalid value 'vlan'"),
    ] {
        let mut line = vec!["link", "set", "dev", a.as_str()];
        line.extend(args.iter().copied());
        assert_unchanged(options_snapshot, || {
            ns(&line).fails(code, needle);
        });
    }
}

#[test]
fn link_set_type_bridge_slave_sets_port_options() {
    let lab = lab!();
    let (_br0, port, _) = bridge_with_port(&lab);
    let out = ns_line(&format!(
        "link set dev {port} type bridge_slave learning off flood off mcast_flood off hairpin on \
         isolated on neigh_suppress on cost 19 priority 7 mcast_router 2 proxy_arp on proxy_arp_wifi on"
    ))
    .ok()
    .json();
    assert_eq!(out["changed"], true, "{out}");
    let port_data = slave_data(&port);
    for (key, want) in [
        ("learning", Value::from(false)),
        ("flood", false.into()),
        ("mcast_flood", false.into()),
        ("hairpin", true.into()),
        ("isolated", true.into()),
        ("neigh_suppress", true.into()),
        ("cost", 19.into()),
        ("priority", 7.into()),
        ("multicast_router", 2.into()),
        ("proxy_arp", true.into()),
        ("proxy_arp_wifi", true.into()),
    ] {
        assert_eq!(port_data[key], want, "{key}: {port_data}");
    }
    assert_eq!(sysfs(&format!("{port}/brport/learning")), "0");
    // Undone by --batch --atomic when a later line fails: flags, alias and port options.
    let before = options_snapshot();
    let batch = format!(
        "link set dev {port} promisc on alias undo-me type bridge_slave learning on cost 3 multicast_router 0\n\
         link set dev nosuch0 up\n"
    );
    let run = vnet_stdin("vnet-ns", &["--batch", "-", "--atomic"], &batch);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(options_snapshot(), before, "the changes were undone");
    assert_eq!(sysfs(&format!("{port}/brport/path_cost")), "19");
    assert_eq!(out["details"]["info_slave_data"]["cost"], 19);
    // Bad values: nothing changed, the one-line error names the value.
    for (args, code, needle) in [
        (vec!["cost", "0"], 7, "cost '0' is out of range"),
        (vec!["cost", "-1"], 7, "invalid cost '-1'"),
        (vec!["priority", "64"], 7, "priority '64' is out of range"),
        (vec!["state", "sideways"], 7, "invalid state 'sideways'"),
        (vec!["mcast_router", "4"], 7, "mcast_router '4' is out of range"),
        (vec!["learning", "on", "hairpin", "1"], 7, "invalid value '1'"),
    ] {
        let mut line = vec!["link", "set", "dev", port.as_str(), "type", "bridge_slave"];
        line.extend(args.iter().copied());
        assert_unchanged(options_snapshot, || {
            ns(&line).fails(code, needle);
        });
    }
}

#[test]
fn link_set_type_bridge_sets_multicast_options_and_refuses_vlan_protocol() {
    let lab = lab!();
    let (br0, _, _) = bridge_with_port(&lab);
    let out = ns_line(&format!(
        "link set {br0} type bridge mcast_querier 1 mcast_router 2 group_fwd_mask 0x4000"
    ))
    .ok()
    .json();
    assert_eq!(
        out["changes"],
        serde_json::json!(["mcast_querier 1", "group_fwd_mask 0x4000", "mcast_router 2"])
    );
    let data = detail(&br0)["linkinfo"]["info_data"].clone();
    assert_eq!(
        (data["mcast_querier"].clone(), data["mcast_router"].clone()),
        (1.into(), 2.into())
    );
    assert_eq!(data["group_fwd_mask"], "0x4000");
    assert_eq!(sysfs(&format!("{br0}/bridge/multicast_querier")), "1");
    assert_eq!(sysfs(&format!("{br0}/bridge/group_fwd_mask")), "0x4000");
    assert_eq!(out["details"]["info_data"]["group_fwd_mask"], 0x4000);
    for (args, code, needle) in [
        (vec!["vlan_protocol", "802.1ad"], 6, "no bridge VLAN filtering"),
        (
            vec!["vlan_protocol", "802.1x"],
            7,
            "invalid vlan_protocol '802.1x'",
        ),
        (vec!["mcast_router", "3"], 7, "mcast_router '3' is out of range"),
        (vec!["group_fwd_mask", "1"], 7, "bits 0..2"),
        (vec!["mcast_querier", "on"], 7, "invalid value 'on'"),
        (
            vec!["mcast_querier", "0", "learning", "off"],
            2,
            "need 'type bridge_slave'",
        ),
    ] {
        let mut line = vec!["link", "set", br0.as_str(), "type", "bridge"];
        line.extend(args.iter().copied());
        assert_unchanged(options_snapshot, || {
            ns(&line).fails(code, needle);
        });
    }
}

#[test]
fn bridge_link_set_sets_port_options_as_bridge_does() {
    let lab = lab!();
    let (br0, port, _) = bridge_with_port(&lab);
    let (ip_br, ip_port, _) = bridge_with_port(&lab);
    let words = "learning off flood off mcast_flood off hairpin on isolated on neigh_suppress on cost 9 \
                 priority 5 state 3 mcast_router 0 guard on root_block on fastleave on bcast_flood off \
                 mcast_to_unicast on vlan_tunnel on locked on";
    sh_ok(&format!("bridge link set dev {ip_port} {words}"));
    let mut line = vec!["link", "set", "dev", port.as_str()];
    line.extend(words.split(' '));
    let out = br(&line).ok().json();
    assert_eq!(out["changed"], true, "{out}");
    assert_eq!(out["master"], br0.as_str());
    let shown = |dev: &str| {
        let mut port = ip_json_bridge_link(dev);
        for key in ["ifindex", "ifname", "master", "link", "flags"] {
            port.as_object_mut().unwrap().remove(key);
        }
        port
    };
    assert_eq!(shown(&port), shown(&ip_port), "vnet-bridge and bridge agree");
    let _ = ip_br;
    for key in [
        "learning",
        "flood",
        "mcast_flood",
        "hairpin",
        "isolated",
        "neigh_suppress",
        "cost",
        "priority",
        "guard",
        "root_block",
        "fastleave",
        "bcast_flood",
        "mcast_to_unicast",
        "vlan_tunnel",
        "locked",
    ] {
        assert_eq!(out[key], ip_json_bridge_link(&port)[key], "{key}: {out}");
    }
    assert_eq!(out["state"], "forwarding");
    // The same line again changes nothing.
    assert_eq!(br(&line).ok().json()["changed"], false);
    for (args, code, needle) in [
        (
            vec!["dev", port.as_str(), "cost", "70000"],
            7,
            "cost '70000' is out of range",
        ),
        (
            vec!["dev", port.as_str(), "learning", "yes"],
            7,
            "invalid value 'yes'",
        ),
        (vec!["dev", port.as_str(), "state", "9"], 7, "invalid state '9'"),
        (
            vec!["dev", br0.as_str(), "learning", "on"],
            3,
            "is not a bridge port",
        ),
        (vec!["dev", "nosuch0", "learning", "on"], 3, "not found"),
        (vec!["dev", port.as_str()], 2, "nothing to change"),
    ] {
        let mut line = vec!["link", "set"];
        line.extend(args.iter().copied());
        assert_unchanged(options_snapshot, || {
            br(&line).fails(code, needle);
        });
    }
}

fn ip_json_bridge_link(dev: &str) -> Value {
    let out = sh_ok(&format!("bridge -j -d link show dev {dev}"));
    serde_json::from_str::<Value>(&out).unwrap()[0].clone()
}

#[test]
fn bridge_multicast_setters_and_port_mcast_router() {
    let lab = lab!();
    let (br0, port, _) = bridge_with_port(&lab);
    let out = br(&["setmcquerier", &br0, "on"]).ok().json();
    assert_eq!(
        (out["mcast_querier"].clone(), out["changed"].clone()),
        (true.into(), true.into())
    );
    assert_eq!(br(&["setmcquerier", &br0, "1"]).ok().json()["changed"], false);
    br(&["setmcrouter", &br0, "0"]).ok().json();
    br(&["setgroupfwdmask", &br0, "8"]).ok().json();
    let out = br(&["setportmcrouter", &br0, &port, "2"]).ok().json();
    assert_eq!(out["mcast_router"], 2);
    let data = detail(&br0)["linkinfo"]["info_data"].clone();
    assert_eq!(
        (data["mcast_querier"].clone(), data["mcast_router"].clone()),
        (1.into(), 0.into())
    );
    assert_eq!(data["group_fwd_mask"], "0x8");
    assert_eq!(sysfs(&format!("{br0}/bridge/multicast_router")), "0");
    assert_eq!(sysfs(&format!("{port}/brport/multicast_router")), "2");
    for (args, code, needle) in [
        (
            vec!["setvlanprotocol", br0.as_str(), "802.1ad"],
            6,
            "no bridge VLAN filtering",
        ),
        (
            vec!["setvlanprotocol", br0.as_str(), "qinq"],
            7,
            "invalid vlan_protocol 'qinq'",
        ),
        (
            vec!["setmcrouter", br0.as_str(), "3"],
            7,
            "mcast_router '3' is out of range",
        ),
        (
            vec!["setgroupfwdmask", br0.as_str(), "0x10000"],
            7,
            "out of range",
        ),
        (vec!["setgroupfwdmask", br0.as_str(), "4"], 7, "bits 0..2"),
        (vec!["setmcquerier", br0.as_str(), "sometimes"], 7, "'sometimes'"),
        (
            vec!["setportmcrouter", br0.as_str(), port.as_str(), "7"],
            7,
            "mcast_router '7'",
        ),
        (
            vec!["setportmcrouter", br0.as_str(), "nosuch0", "1"],
            3,
            "not found",
        ),
        (vec!["setmcquerier", port.as_str(), "on"], 7, "is not a bridge"),
    ] {
        assert_unchanged(options_snapshot, || {
            br(&args).fails(code, needle);
        });
    }
    // Undone by --batch --atomic when a later line fails.
    let before = options_snapshot();
    let batch = format!("setmcquerier {br0} off\nsetgroupfwdmask {br0} 0\nlink set dev {port} learning off\nsetmcrouter nosuch0 1\n");
    let run = vnet_stdin("vnet-bridge", &["--batch", "-", "--atomic"], &batch);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(options_snapshot(), before, "the changes were undone");
}

/// --exist-ok (issue 21's rule): "changed": false only for the route asked for; another route to
/// the same prefix (another gateway) is exit 4 naming it, and nothing changes.
#[test]
fn route_add_exist_ok_accepts_only_the_same_route() {
    let lab = lab!();
    let n = lab.netns("R");
    ns(&["add", &n]).ok();
    sh_ok(&format!(
        "ip -n {n} link add e0 type veth peer name e1 && ip -n {n} link set e0 up && \
         ip -n {n} link set e1 up && ip -n {n} addr add 10.9.0.1/24 dev e0 && \
         ip -n {n} addr add 10.9.1.1/24 dev e1"
    ));
    let add = |gw: &str, extra: &[&str]| {
        let mut line = vec!["-n", n.as_str(), "route", "add", "10.50.0.0/16", "via", gw];
        line.extend(extra);
        ns(&line)
    };
    assert_eq!(add("10.9.0.2", &[]).ok().json()["changed"], true);
    let same = add("10.9.0.2", &["--exist-ok"]).ok().json();
    assert_eq!(same["changed"], false, "{same}");
    let routes = || sh_ok(&format!("ip -n {n} -j route show"));
    assert_unchanged(routes, || {
        add("10.9.1.2", &["--exist-ok"]).fails(4, "another route to it exists: 10.50.0.0/16 via 10.9.0.2");
    });
    assert_unchanged(routes, || {
        add("10.9.1.2", &[]).fails(4, "already exists");
    });
}

/// The addresses of `dev` in `netns` as ip -j addr shows them, by "local/prefixlen".
fn addr_info(netns: &str, dev: &str) -> serde_json::Map<String, Value> {
    let link = ip_json(&format!("-n {netns} addr show dev {dev}"))[0].clone();
    link["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["scope"] != "link" || a["family"] == "inet")
        .map(|a| {
            (
                format!("{}/{}", a["local"].as_str().unwrap(), a["prefixlen"]),
                a.clone(),
            )
        })
        .collect()
}

/// A namespace with a veth pair e0/e1 in it, for address tests.
fn address_lab(lab: &Lab) -> String {
    let n = lab.netns("A");
    ns(&["add", &n]).ok();
    sh_ok(&format!(
        "ip -n {n} link add e0 type veth peer name e1 && ip -n {n} link set e0 up && ip -n {n} link set e1 up"
    ));
    n
}

#[test]
fn addr_add_takes_ips_options() {
    let lab = lab!();
    let n = address_lab(&lab);
    let add = |line: &str| ns_line(&format!("-n {n} addr add {line}"));
    add("10.0.1.1/24 brd + dev e0 label e0:x scope link valid_lft 100 preferred_lft 50 noprefixroute")
        .ok()
        .json();
    add("10.0.2.1/24 broadcast 10.0.2.7 dev e0").ok().json();
    add("10.0.3.1/24 dev e0").ok().json();
    add("fd00::1/64 dev e0 nodad").ok().json();
    let info = addr_info(&n, "e0");
    let a = &info["10.0.1.1/24"];
    assert_eq!(
        (a["broadcast"].clone(), a["label"].clone(), a["scope"].clone()),
        ("10.0.1.255".into(), "e0:x".into(), "link".into())
    );
    assert_eq!(
        (a["valid_life_time"].clone(), a["preferred_life_time"].clone()),
        (100.into(), 50.into())
    );
    assert_eq!(a["noprefixroute"], true);
    assert_eq!(info["10.0.2.1/24"]["broadcast"], "10.0.2.7");
    // No broadcast unless asked, as ip.
    assert!(info["10.0.3.1/24"]["broadcast"].is_null(), "{info:?}");
    assert_eq!(info["fd00::1/64"]["nodad"], true);
    // noprefixroute: no route for 10.0.1.0/24.
    let routes = sh_ok(&format!("ip -n {n} -j route show"));
    assert!(
        !routes.contains("10.0.1.0/24") && routes.contains("10.0.3.0/24"),
        "{routes}"
    );
    // addr show reports them with ip -j's names.
    let shown = ns(&["-n", &n, "addr", "show", "dev", "e0"]).ok().json();
    let mine: Vec<Value> = shown[0]["addr_info"].as_array().unwrap().clone();
    let by_ip = |ip: &str| mine.iter().find(|a| a["local"] == ip).unwrap().clone();
    for key in ["broadcast", "label", "scope", "noprefixroute", "dynamic"] {
        assert_eq!(by_ip("10.0.1.1")[key], a[key], "{key}");
    }
    assert_eq!(by_ip("fd00::1")["nodad"], true);
    assert_eq!(by_ip("10.0.3.1")["valid_life_time"], 4294967295u32);
    // Bad options: exit 7, nothing changed.
    for (line, needle) in [
        ("10.0.4.1/24 dev e0 label wan0", "label 'wan0' must be e0"),
        (
            "10.0.4.1/24 dev e0 valid_lft 10",
            "preferred_lft 4294967295 is greater than valid_lft 10",
        ),
        (
            "10.0.4.1/24 dev e0 valid_lft 0 preferred_lft 0",
            "valid_lft is zero",
        ),
        ("10.0.4.1/24 dev e0 scope galaxy", "invalid scope 'galaxy'"),
        (
            "10.0.4.1/24 dev e0 broadcast 10.0.4",
            "invalid broadcast '10.0.4'",
        ),
        ("fd00::2/64 dev e0 broadcast +", "broadcast is for IPv4"),
        ("10.0.4.1/24 dev e0 preferred_lft -1", "invalid lifetime '-1'"),
    ] {
        assert_unchanged(state_snapshot, || {
            add(line).fails(7, needle);
        });
    }
}

/// --exist-ok and replace: "changed": false when the address already is as asked; lifetimes
/// are set anew; what the kernel keeps on an existing address is exit 4 naming it.
#[test]
fn addr_exist_ok_and_replace_converge_or_name_the_difference() {
    let lab = lab!();
    let n = address_lab(&lab);
    let run = |line: &str| ns_line(&format!("-n {n} addr {line}"));
    run("add 10.0.0.1/24 dev e0").ok();
    assert_eq!(
        run("add 10.0.0.1/24 dev e0 --exist-ok").ok().json()["changed"],
        false
    );
    assert_eq!(run("replace 10.0.0.1/24 dev e0").ok().json()["changed"], false);
    let snapshot = || {
        sh_ok(&format!(
            "ip -n {n} -j addr show dev e0 | jq -cS '.[0].addr_info'"
        ))
    };
    for line in [
        "add 10.0.0.1/24 dev e0 scope link --exist-ok",
        "add 10.0.0.1/24 dev e0 label e0:y --exist-ok",
        "replace 10.0.0.1/24 dev e0 brd +",
    ] {
        assert_unchanged(snapshot, || {
            run(line).fails(4, "the address exists and differs");
        });
    }
    run("add 10.0.0.1/24 dev e0 label e0:y").fails(4, "already assigned");
    let out = run("add 10.0.0.1/24 dev e0 valid_lft 600 preferred_lft 300 --exist-ok")
        .ok()
        .json();
    assert_eq!(out["changed"], true);
    assert_eq!(addr_info(&n, "e0")["10.0.0.1/24"]["valid_life_time"], 600);
    run("replace 10.0.0.1/24 dev e0 valid_lft forever preferred_lft forever").ok();
    assert_eq!(
        addr_info(&n, "e0")["10.0.0.1/24"]["valid_life_time"],
        4294967295u32
    );
    // replace of an address the link lacks adds it.
    assert_eq!(run("replace 10.0.9.1/24 dev e0").ok().json()["changed"], true);
    // IPv6: noprefixroute set by replace; undone by --batch --atomic.
    run("add fd00::1/64 dev e0 nodad").ok();
    let before = snapshot();
    let batch = format!(
        "-n {n} addr replace fd00::1/64 dev e0 nodad noprefixroute\n-n {n} addr add 10.0.0.1/24 dev e0\n"
    );
    let failed = vnet_stdin("vnet-ns", &["--batch", "-", "--atomic"], &batch);
    assert_eq!(failed.code, 4, "{failed:?}");
    assert_eq!(snapshot(), before, "the replace was undone");
    run("replace fd00::1/64 dev e0 nodad noprefixroute").ok();
    assert_eq!(addr_info(&n, "e0")["fd00::1/64"]["noprefixroute"], true);
}

#[test]
fn addr_flush_with_filters() {
    let lab = lab!();
    let n = address_lab(&lab);
    for line in [
        "10.0.0.1/24 dev e0",
        "10.0.0.2/24 dev e0 label e0:a",
        "10.0.0.3/24 dev e0 label e0:b",
        "10.1.0.1/24 dev e0 scope link",
        "10.2.0.1/24 dev e0",
        "10.5.0.1/24 dev e1",
    ] {
        ns_line(&format!("-n {n} addr add {line}")).ok();
    }
    let left = |dev: &str| {
        let mut keys: Vec<String> = addr_info(&n, dev).keys().cloned().collect();
        keys.sort();
        keys
    };
    // Undone by --batch --atomic: the addresses come back with their labels and scopes.
    let snapshot = || {
        sh_ok(&format!("ip -n {n} -j addr show | jq -cS '[.[].addr_info[] | del(.valid_life_time, .preferred_life_time)] | sort_by(.local)'"))
    };
    let before = snapshot();
    let batch = format!("-n {n} addr flush dev e0\n-n {n} addr del 10.9.9.9/24 dev e0\n");
    let run = vnet_stdin("vnet-ns", &["--batch", "-", "--atomic"], &batch);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(snapshot(), before, "the flush was undone");
    ns_line(&format!("-n {n} addr flush label e0:a")).ok();
    assert_eq!(
        left("e0"),
        ["10.0.0.1/24", "10.0.0.3/24", "10.1.0.1/24", "10.2.0.1/24"]
    );
    ns_line(&format!("-n {n} addr flush dev e0 scope link")).ok();
    assert_eq!(left("e0"), ["10.0.0.1/24", "10.0.0.3/24", "10.2.0.1/24"]);
    ns_line(&format!("-n {n} addr flush dev e0 to 10.2.0.0/16")).ok();
    assert_eq!(left("e0"), ["10.0.0.1/24", "10.0.0.3/24"]);
    ns_line(&format!("-n {n} addr flush label e0:*")).ok();
    assert_eq!(left("e0"), ["10.0.0.1/24"]);
    assert_eq!(left("e1"), ["10.5.0.1/24"], "another link's addresses stay");
    let out = ns_line(&format!("-n {n} addr flush dev e0 scope host"))
        .ok()
        .json();
    assert_eq!(out["changed"], false);
    for (line, code, needle) in [
        ("flush dev e0 scope galaxy", 7, "invalid scope 'galaxy'"),
        ("flush dev e0 to 10.0.0.0/33", 7, "10.0.0.0/33"),
        ("flush scope global", 2, "required"),
        ("flush dev nosuch0", 3, "nosuch0"),
    ] {
        assert_unchanged(state_snapshot, || {
            ns_line(&format!("-n {n} addr {line}")).fails(code, needle);
        });
    }
}

/// fdb add --exist-ok (issue 21's rule): "changed": false only for the entry asked for; a
/// static entry where a permanent one is asked (or the other way) is exit 4 naming it.
#[test]
fn fdb_add_exist_ok_accepts_only_the_same_entry() {
    let lab = lab!();
    let (_br0, port, _) = bridge_with_port(&lab);
    let mac = "02:00:00:00:21:01";
    let fdb = |extra: &str| {
        let line = format!("fdb add {mac} dev {port} master {extra}");
        br(&line.split_whitespace().collect::<Vec<_>>())
    };
    assert_eq!(fdb("static").ok().json()["changed"], true);
    assert_eq!(fdb("static --exist-ok").ok().json()["changed"], false);
    let entries = || {
        sh_ok(&format!(
            "bridge -j fdb show dev {port} | jq -cS '[.[] | select(.mac == \"{mac}\")]'"
        ))
    };
    assert!(entries().contains("\"static\""), "{}", entries());
    assert_unchanged(entries, || {
        fdb("--exist-ok").fails(4, "an entry exists and is static, not permanent");
    });
    assert_unchanged(entries, || {
        fdb("static").fails(4, "the entry exists");
    });
}
