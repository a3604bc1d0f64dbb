//! End-to-end tests of ip's own spelling as a drop-in (vnet_common::ip_args, vnet-ns
//! ip_grammar.rs): the same lines, abbreviations and global options included, run by ip in one
//! namespace and by vnet-ns in a twin must leave the two namespaces alike (ip -j as the oracle);
//! `link add` of veth pairs and bridges as ip makes them; ip netns's semantics (lo left down, -all);
//! what vnet-ns lacks refused by name with nothing changed.

use serde_json::Value;
use vnet_tests::*;

/// A namespace's state as ip shows it, without what the kernel generates (indexes, MACs,
/// counters, link-local addresses): links with kind, master, up, MTU and bridge settings;
/// addresses; routes of every table; rules; permanent neighbours.
fn canonical(ns: &str) -> Value {
    let links: Vec<Value> = ip_json(&format!("-n {ns} -d link show"))
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let data = &l["linkinfo"]["info_data"];
            serde_json::json!({
                "name": l["ifname"], "kind": l["linkinfo"]["info_kind"], "master": l["master"],
                "up": has_flag(l, "UP"), "mtu": l["mtu"],
                "peer_named": l["link"].is_string() || l["link_netnsid"].is_number(),
                "bridge": [&data["stp_state"], &data["forward_delay"], &data["ageing_time"], &data["hello_time"], &data["priority"]],
            })
        })
        .collect();
    let addrs: Vec<Value> = ip_json(&format!("-n {ns} addr show"))
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["addr_info"].as_array().unwrap().clone())
        .filter(|a| !a["local"].as_str().unwrap().starts_with("fe80"))
        .map(|a| serde_json::json!([a["local"], a["prefixlen"], a["label"]]))
        .collect();
    let routes: Vec<Value> = ip_json(&format!("-n {ns} route show table all"))
        .as_array()
        .unwrap()
        .iter()
        // IPv6 link-local routes come and go with the kernel's address configuration.
        .filter(|r| {
            !r["dst"]
                .as_str()
                .is_some_and(|d| d.starts_with("fe80") || d.starts_with("ff00"))
        })
        .map(|r| serde_json::json!([r["dst"], r["gateway"], r["dev"], r["table"], r["type"]]))
        .collect();
    serde_json::json!({
        "links": links, "addrs": addrs, "routes": routes,
        "rules": ip_json(&format!("-n {ns} rule show")),
        "neigh": ip_json(&format!("-n {ns} neigh show nud permanent")),
    })
}

/// Lines scripts write with ip, in ip's abbreviations and global options: each is run as `ip -n
/// A LINE` and `vnet-ns -n B LINE`; both must succeed and leave A and B alike.
#[test]
fn ips_lines_leave_the_same_state_as_ip() {
    let lab = lab!();
    let (with_ip, with_vnet) = (lab.netns("IPA"), lab.netns("VNB"));
    sh_ok(&format!("ip netns add {with_ip}"));
    ns(&["netns", "add", &with_vnet]).ok();
    let lines = [
        "link add type veth",
        "l add v1 type veth peer name v2 mtu 1400",
        "li set dev v1 up",
        "link set v2 up mtu 1400",
        "a add 10.1.0.1/24 dev v1",
        "addr a 10.1.0.2/24 dev v2",
        "address add 10.1.1.1 dev v1",
        "r a 10.9.0.0/16 via 10.1.0.2",
        "ro add 10.8.0.0/16 dev v1",
        "r d 10.9.0.0/16",
        "-4 r a 10.7.0.0/16 via 10.1.0.2 dev v1 table 100",
        "link add br0 type bridge stp_state 1 forward_delay 200 ageing_time 1000 priority 100",
        "link add br1 type bridge",
        "link set br1 type bridge ageing_time 2000 hello_time 300",
        "link add v3 type veth peer v4",
        "link set v3 master br1",
        "-6 li set dev br1 up",
        "n add 10.1.0.9 lladdr 02:00:00:00:00:09 dev v1 nud permanent",
        "ru add from 10.1.0.0/24 lookup 100 pref 100",
        "link del v4",
    ];
    for line in lines {
        sh_ok(&format!("ip -n {with_ip} {line}"));
        let words: Vec<&str> = line.split_whitespace().collect();
        let run = ns(&[&["-n", with_vnet.as_str()], words.as_slice()].concat());
        assert_eq!(run.code, 0, "{line}: {run:?}");
        assert_eq!(canonical(&with_ip), canonical(&with_vnet), "after {line}");
    }
    // The reading forms answer as ip's JSON does, whatever the layout options.
    for line in [
        "-d link show",
        "-o link",
        "-br a",
        "-4 addr show dev v1",
        "-h r",
        "-c -j n",
    ] {
        let words: Vec<&str> = line.split_whitespace().collect();
        ns(&[&["-n", with_vnet.as_str()], words.as_slice()].concat()).ok();
    }
    let show = ns(&["-n", &with_vnet, "-4", "r"]).ok();
    let routes: Value = serde_json::from_str(&show.stdout).unwrap();
    assert_valid("vnet-ns", "route/show", &routes);
    assert!(routes.to_string().contains("10.8.0.0/16"), "{routes}");
    assert!(
        !routes.to_string().contains("fe80"),
        "-4 keeps IPv4 routes only: {routes}"
    );
}

/// `link add` names what ip names: the kernel's veth0/veth1 (the peer registered first), a
/// peer made straight in another namespace, and the result says where each end went.
#[test]
fn link_add_veth_names_and_places_both_ends_as_the_kernel_does() {
    let lab = lab!();
    let (home, away) = (lab.netns("Home"), lab.netns("Away"));
    ns(&["add", &home]).ok();
    ns(&["add", &away]).ok();
    let out = ns(&["-n", &home, "link", "add", "type", "veth"]).ok().json();
    assert_eq!(
        (out["interface"]["name"].as_str(), out["peer"]["name"].as_str()),
        (Some("veth1"), Some("veth0")),
        "{out}"
    );
    let links = ip_json(&format!("-n {home} link show dev veth1"));
    assert_eq!(links[0]["link"], "veth0", "{links}");
    let out = ns(&[
        "-n",
        &home,
        "link",
        "add",
        "h1",
        "type",
        "veth",
        "peer",
        "name",
        "a1",
        "netns",
        &away,
        "address",
        "02:00:00:00:00:a1",
    ])
    .ok()
    .json();
    assert_eq!(
        out["peer"],
        serde_json::json!({"name": "a1", "netns": away}),
        "{out}"
    );
    let peer = ip_json(&format!("-n {away} link show dev a1"));
    assert_eq!(peer[0]["address"], "02:00:00:00:00:a1", "{peer}");
    // A taken peer name: the kernel's EEXIST, exit 4, nothing made.
    assert_unchanged(state_snapshot, || {
        ns(&[
            "-n", &home, "link", "add", "h2", "type", "veth", "peer", "name", "h1",
        ])
        .fails(4, "exists");
    });
}

/// A bridge option this kernel was built without (VLAN filtering): exit 6, and no bridge left.
#[test]
fn link_add_bridge_with_an_option_the_kernel_lacks_leaves_nothing() {
    let lab = lab!();
    let bridge = lab.link("brvf");
    assert_unchanged(state_snapshot, || {
        ns(&["link", "add", &bridge, "type", "bridge", "vlan_filtering", "1"])
            .fails(6, "Operation not supported");
    });
    let out = ns(&[
        "link",
        "add",
        &bridge,
        "type",
        "bridge",
        "stp_state",
        "1",
        "max_age",
        "1000",
    ])
    .ok()
    .json();
    assert_eq!(sysfs(&format!("{bridge}/bridge/stp_state")), "1");
    assert_eq!(sysfs(&format!("{bridge}/bridge/max_age")), "1000");
    assert_eq!(out["interface"]["kind"], "bridge", "{out}");
}

/// ip netns's semantics: `netns add` leaves lo down as ip's does; -all exec runs in every
/// namespace with ip's "netns: NAME" lines; -all delete deletes them all (in a private /run/netns
/// so that only this test's namespaces are there).
#[test]
fn ip_netns_add_and_all_act_as_ip() {
    let lab = lab!();
    let (with_ip, with_vnet) = (lab.netns("LoI"), lab.netns("LoV"));
    sh_ok(&format!("ip netns add {with_ip}"));
    ns(&["netns", "add", &with_vnet]).ok();
    let lo = |ns: &str| has_flag(&ip_json(&format!("-n {ns} link show dev lo"))[0], "UP");
    assert_eq!((lo(&with_ip), lo(&with_vnet)), (false, false));
    let bin = bin_dir().join("vnet-ns");
    let script = format!(
        "mount -t tmpfs vnet-all /run/netns && {bin} netns add one && {bin} netns add two && \
         {bin} -all netns exec sh -c 'echo in-\\$(ip -o link show lo | grep -c LOWER_UP)' && \
         {bin} --all netns del && ls /run/netns | wc -l",
        bin = bin.display()
    );
    let out = sh_ok(&format!(
        "unshare --mount --propagation private sh -c \"{script}\""
    ));
    // lo is down in both (netns add), up where the test runs: the command ran in each namespace.
    assert!(
        out.contains("\nnetns: one\nin-0") && out.contains("\nnetns: two\nin-0"),
        "{out}"
    );
    let runs = out
        .lines()
        .find(|l| l.starts_with("{\"runs\""))
        .expect("the runs record");
    let runs: Value = serde_json::from_str(runs).unwrap();
    assert_valid("vnet-ns", "netns/exec", &runs);
    assert_eq!(runs["runs"].as_array().unwrap().len(), 2, "{runs}");
    let deleted = out
        .lines()
        .find(|l| l.starts_with("{\"deleted\""))
        .expect("the delete record");
    let deleted: Value = serde_json::from_str(deleted).unwrap();
    assert_eq!(deleted["deleted"].as_array().unwrap().len(), 2, "{deleted}");
    assert_eq!(out.lines().last(), Some("0"), "{out}");
}

/// What vnet-ns does not have is refused by name (exit 7), before anything is touched.
#[test]
fn ip_objects_commands_and_options_vnet_lacks_are_refused_by_name() {
    let _lab = lab!();
    for (line, needle) in [
        ("ntable show", "'ip ntable'"),
        ("mr", "'ip mroute'"),
        ("xfrm state", "'ip xfrm'"),
        ("route save", "'ip route save'"),
        ("addr showdump", "'ip address showdump'"),
        ("link xstats", "'ip link xstats'"),
        ("-M route", "option -M"),
        ("-f link addr", "family link"),
        ("-0 addr", "option -0"),
    ] {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_unchanged(state_snapshot, || {
            ns(&words).fails(7, needle);
        });
    }
}

/// bridge(8)'s spelling: `bridge link` lists the ports as `bridge -j -d link show` does (field
/// for field, but for ip's pseudo-flag M-DOWN and the peer's name), abbreviations set options as
/// bridge sets them, and what vnet-bridge lacks is refused by name.
#[test]
fn bridge_lines_act_as_bridge() {
    let lab = lab!();
    let (bridge, port) = (lab.link("brsp"), lab.link("vsp"));
    sh_ok(&format!(
        "ip link add {bridge} type bridge && ip link add {port} type veth peer name {port}p && \
         ip link set {port} master {bridge}"
    ));
    br(&["l", "s", "dev", &port, "learning", "off", "cost", "20"]).ok();
    let theirs = ip_json_bridge(&port);
    for line in [
        vec!["link"],
        vec!["-d", "link", "show", "dev", port.as_str()],
        vec!["link", "sh", port.as_str()],
    ] {
        let out = br(&line).ok();
        let ours: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_valid("vnet-bridge", "link/show", &ours);
        let ours = ours
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["ifname"] == port.as_str())
            .unwrap()
            .clone();
        for field in [
            "ifindex", "mtu", "master", "state", "priority", "cost", "learning", "flood", "hairpin",
            "isolated",
        ] {
            assert_eq!(ours[field], theirs[field], "{line:?} {field}: {ours} vs {theirs}");
        }
        assert_eq!(theirs["learning"], false);
    }
    let mut flags = theirs["flags"].as_array().unwrap().clone();
    flags.retain(|f| f != "M-DOWN");
    let ours = br(&["link", "show", &port]).ok().json();
    assert_eq!(ours[0]["flags"], Value::Array(flags));
    br(&["link", "show", "master", &bridge]).ok();
    br(&["link", "show", "dev", "nosuch0"]).fails(3, "nosuch0");
    for (line, needle) in [
        ("mdb get", "'bridge mdb get'"),
        ("-s fdb", "option -s"),
        ("vlan tunnelshow", "'bridge vlan tunnelshow'"),
    ] {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_unchanged(state_snapshot, || {
            br(&words).fails(7, needle);
        });
    }
}

fn ip_json_bridge(port: &str) -> Value {
    let out = sh_ok(&format!("bridge -j -d link show dev {port}"));
    serde_json::from_str::<Value>(&out).unwrap()[0].clone()
}

/// `ip link show`'s filters (up, master, nomaster, type), `-s` counters on link and addr show, and
/// a command's own -s/-4 words left alone: the same links and counters as ip -j shows.
#[test]
fn link_show_filters_and_statistics_act_as_ip() {
    let lab = lab!();
    let (a, b) = (lab.netns("StatA"), lab.netns("StatB"));
    sh_ok(&format!(
        "ip netns add {a}; ip netns add {b}
         ip netns exec {a} sysctl -qw net.ipv6.conf.all.disable_ipv6=1
         ip netns exec {b} sysctl -qw net.ipv6.conf.all.disable_ipv6=1
         ip -n {a} link add pa type veth peer pb netns {b}
         ip -n {a} link add br0 type bridge; ip -n {a} link add p1 type veth peer p2
         ip -n {a} link set p1 master br0; ip -n {a} link set pa up; ip -n {b} link set pb up
         ip -n {a} addr add 10.5.0.1/24 dev pa; ip -n {b} addr add 10.5.0.2/24 dev pb
         ip netns exec {a} ping -c 3 -i 0.2 -W 2 10.5.0.2 >/dev/null"
    ));
    let names = |v: &Value| -> Vec<String> {
        let mut n: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l["name"].as_str().or(l["ifname"].as_str()).map(String::from))
            .collect();
        n.sort();
        n
    };
    for filter in [
        "type veth",
        "master br0",
        "up",
        "type bridge_slave",
        "nomaster type veth",
    ] {
        let words: Vec<&str> = filter.split_whitespace().collect();
        let vnet = ns(&[&["-n", &a, "link", "show"][..], &words].concat())
            .ok()
            .json();
        let ip = ip_json(&format!("-n {a} link show {filter}"));
        // ip prints an empty object for each link `up` leaves out.
        assert_eq!(names(&vnet), names(&ip), "link show {filter}: {vnet} / {ip}");
    }
    ns(&["-n", &a, "link", "show", "master", "nope"]).fails(3, "'nope'");
    // The counters after the pings: ip's and vnet's agree (nothing else sends on the pair).
    let ip = ip_json(&format!("-n {a} -s -s link show dev pa"));
    let vnet = ns(&["-n", &a, "-s", "-s", "link", "show", "dev", "pa"])
        .ok()
        .json();
    assert_eq!(vnet[0]["stats64"], ip[0]["stats64"], "{vnet} / {ip}");
    assert!(ip[0]["stats64"]["tx"]["packets"].as_u64().unwrap() >= 3, "{ip}");
    let one = ns(&["-n", &a, "-s", "addr", "show", "pa"]).ok().json();
    let ip_one = ip_json(&format!("-n {a} -s addr show dev pa"));
    let keys = |v: &Value| v["rx"].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(
        keys(&one[0]["stats64"]),
        keys(&ip_one[0]["stats64"]),
        "{one} / {ip_one}"
    );
    assert_eq!(
        one[0]["stats64"]["tx"]["packets"],
        ip_one[0]["stats64"]["tx"]["packets"]
    );
    // ip ignores -s where it shows no counters; a command's own words keep theirs.
    ns(&["-n", &a, "-s", "route", "show"]).ok().json();
    let exec = ns(&["netns", "exec", &a, "echo", "-s", "-4"]).ok();
    assert_eq!(exec.stdout.trim(), "-s -4", "{exec:?}");
}

/// `ip tuntap add` with ip's flags and `ip tuntap show` as ip -j lists the devices; --exist-ok
/// with other flags is exit 4 naming the difference, nothing changed.
#[test]
fn tuntap_flags_and_show_act_as_ip() {
    let lab = lab!();
    let (a, b) = (lab.netns("TunA"), lab.netns("TunB"));
    sh_ok(&format!("ip netns add {a}; ip netns add {b}"));
    let lines = [
        "tuntap add dev t1 mode tap",
        "tuntap add t2 mode tun multi_queue vnet_hdr pi user 0",
        "tuntap add name t3 mode tap vnet_hdr group 0",
    ];
    for line in lines {
        sh_ok(&format!("ip -n {a} {line}"));
        let words: Vec<&str> = line.split_whitespace().collect();
        ns(&[&["-n", &b][..], &words].concat()).ok().json();
    }
    let ip = ip_json(&format!("-n {a} tuntap show"));
    let vnet = ns(&["-n", &b, "tuntap", "show"]).ok().json();
    assert_eq!(vnet, ip, "tuntap show");
    // (a bare `tuntap` names no verb for the schema check: parsed as it is)
    let bare: Value = serde_json::from_str(&ns(&["-n", &b, "tuntap"]).ok().stdout).unwrap();
    assert_eq!(bare, ip, "bare tuntap lists");
    assert_unchanged(state_snapshot, || {
        ns(&["-n", &b, "tuntap", "add", "t2", "mode", "tun", "--exist-ok"])
            .fails(4, "'tun pi multi_queue vnet_hdr', not as asked ('tun')");
    });
    let same = ns(&[
        "-n",
        &b,
        "tuntap",
        "add",
        "t2",
        "mode",
        "tun",
        "pi",
        "vnet_hdr",
        "multi_queue",
        "--exist-ok",
    ])
    .ok()
    .json();
    assert_eq!(same["changed"], false, "{same}");
}
