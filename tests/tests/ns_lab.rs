//! End-to-end tests of vnet-ns's ip-style verbs (issue 10): routes, link set/del, addresses on any
//! link, taps, netns attach, resolver files, netem; checked against `ip -j`, `tc -j`, strace of
//! `tc` itself, /etc/netns and ping between the test's own namespaces.

use serde_json::Value;
use vnet_tests::*;

/// Kernel state plus every namespace's routes (both families, all tables): bad input must leave
/// all of it as it was.
/// IPv6 link-local routes are left out: the kernel adds them by itself once a link's DAD ends.
fn snapshot() -> String {
    let read = || {
        sh_ok(
            "for n in '' $(ls /run/netns 2>/dev/null); do echo \"== $n\"; \
             o=; [ -n \"$n\" ] && o=\"-n $n\"; ip $o -4 route show table all; \
             ip $o -6 route show table all | grep -v fe80; done",
        )
    };
    let state = state_snapshot();
    let mut routes = read();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let again = read();
        if again == routes {
            return format!("{state}\n{routes}");
        }
        routes = again;
    }
}

fn link(netns: Option<&str>, dev: &str) -> Value {
    let scope = netns.map(|n| format!("-n {n} ")).unwrap_or_default();
    ip_json(&format!("{scope}-d link show dev {dev}"))[0].clone()
}

/// One ping answered, trying for up to 5 s (IPv6 neighbours wait for the links' DAD).
fn ping(from: &str, to: &str) -> Run {
    let six = if to.contains(':') { "-6 " } else { "" };
    let mut run = sh(&format!("ip netns exec {from} ping {six}-c 1 -W 1 {to}"));
    for _ in 0..10 {
        if run.code == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(400));
        run = sh(&format!("ip netns exec {from} ping {six}-c 1 -W 1 {to}"));
    }
    run
}

/// Routes as `ip -j route` lists them (dst, gateway, dev, metric, type, prefsrc).
fn routes(netns: &str, family: &str, table: &str) -> Vec<Value> {
    ip_json(&format!("-n {netns} {family} route show table {table}"))
        .as_array()
        .unwrap()
        .clone()
}

fn route_to<'a>(list: &'a [Value], dst: &str) -> Option<&'a Value> {
    list.iter().find(|r| r["dst"] == dst)
}

/// The three-namespace routed lab: H1 - R - H2, links named eth0 on both hosts and eth0/eth1 on
/// the router, IPv4 and IPv6, a secondary address, forwarding, default routes both families,
/// a metric route, an unreachable route, replace and delete; ping across.
#[test]
fn routed_lab_with_vnet_alone() {
    let lab = lab!();
    let (h1, r, h2) = (lab.netns("H"), lab.netns("R"), lab.netns("H"));
    for n in [&h1, &r, &h2] {
        ns(&["add", n]).ok();
    }
    // The same names in different namespaces: eth0 (H1) <-> eth0 (R), eth1 (R) <-> eth0 (H2).
    ns(&["veth", "eth0", "eth0", "-n", &h1, "--peer-netns", &r]).ok();
    ns(&["veth", "eth1", "eth0", "-n", &r, "--peer-netns", &h2]).ok();
    for (n, dev, addr) in [
        (&h1, "eth0", "10.1.0.2/24"),
        (&h1, "eth0", "10.1.0.3/24"),
        (&h1, "eth0", "fd01::2/64"),
        (&r, "eth0", "10.1.0.1/24"),
        (&r, "eth0", "fd01::1/64"),
        (&r, "eth1", "10.2.0.1/24"),
        (&r, "eth1", "fd02::1/64"),
        (&h2, "eth0", "10.2.0.2/24"),
        (&h2, "eth0", "fd02::2/64"),
    ] {
        let out = ns(&["-n", n, "addr", "add", addr, "dev", dev, "nodad"])
            .ok()
            .json();
        assert_eq!(out["changed"], true, "{out}");
    }
    // The second IPv4 address in the subnet is a secondary one, as ip shows it.
    let addrs = &ip_json(&format!("-n {h1} addr show dev eth0"))[0]["addr_info"];
    let secondary: Vec<&Value> = addrs
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["secondary"] == true)
        .collect();
    assert_eq!(secondary.len(), 1, "{addrs}");
    assert_eq!(secondary[0]["local"], "10.1.0.3");
    // Forwarding on in the router, written inside it.
    ns(&[
        "exec",
        &r,
        "sysctl",
        "-w",
        "net.ipv4.ip_forward=1",
        "net.ipv6.conf.all.forwarding=1",
    ])
    .ok();
    assert_eq!(
        sh_ok(&format!("ip netns exec {r} cat /proc/sys/net/ipv4/ip_forward")).trim(),
        "1"
    );
    // Default routes, both families, on both hosts.
    for (n, v4, v6) in [(&h1, "10.1.0.1", "fd01::1"), (&h2, "10.2.0.1", "fd02::1")] {
        let out = ns(&["-n", n, "route", "add", "default", "via", v4]).ok().json();
        assert_eq!(out["route"]["gateway"], v4, "{out}");
        let out = ns(&["-n", n, "route", "add", "default", "via", v6]).ok().json();
        assert_eq!(out["route"]["metric"], 1024, "IPv6 routes get metric 1024: {out}");
        assert_eq!(
            route_to(&routes(n, "-4", "main"), "default").unwrap()["gateway"],
            v4
        );
        assert_eq!(
            route_to(&routes(n, "-6", "main"), "default").unwrap()["gateway"],
            v6
        );
    }
    // A metric route with dev, an unreachable route, and a route in another table.
    ns(&[
        "-n",
        &h1,
        "route",
        "add",
        "10.9.0.0/16",
        "via",
        "10.1.0.1",
        "dev",
        "eth0",
        "metric",
        "20",
    ])
    .ok();
    ns(&["-n", &h1, "route", "add", "unreachable", "10.8.0.0/16"]).ok();
    ns(&["-n", &h1, "route", "add", "unreachable", "2001:db8:8::/64"]).ok();
    ns(&[
        "-n",
        &h1,
        "route",
        "add",
        "10.7.0.0/16",
        "via",
        "10.1.0.1",
        "table",
        "100",
    ])
    .ok();
    let main = routes(&h1, "-4", "main");
    let metric = route_to(&main, "10.9.0.0/16").expect("metric route");
    assert_eq!(
        (
            metric["gateway"].as_str(),
            metric["dev"].as_str(),
            metric["metric"].as_u64()
        ),
        (Some("10.1.0.1"), Some("eth0"), Some(20))
    );
    assert_eq!(route_to(&main, "10.8.0.0/16").unwrap()["type"], "unreachable");
    assert_eq!(
        route_to(&routes(&h1, "-6", "main"), "2001:db8:8::/64").unwrap()["type"],
        "unreachable"
    );
    assert!(route_to(&main, "10.7.0.0/16").is_none());
    assert!(route_to(&routes(&h1, "-4", "100"), "10.7.0.0/16").is_some());
    // -o text is ip route show, line for line, for both families and another table.
    for (flags, ip_args) in [
        (vec!["route", "show"], "route show"),
        (vec!["route", "show", "-6"], "-6 route show"),
        (vec!["route", "show", "--table", "100"], "route show table 100"),
    ] {
        let mut args = vec!["-n", h1.as_str(), "-o", "text"];
        args.extend(flags);
        let ours = ns(&args).ok().stdout;
        let theirs = sh_ok(&format!("ip -n {h1} {ip_args}"));
        assert_eq!(ours, theirs, "vnet-ns {args:?} vs ip {ip_args}");
    }
    let listed = ns(&["-n", &h1, "route", "show"]).ok().json();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["dst"] == "10.9.0.0/16" && r["metric"] == 20));
    // Replace changes the route in place (here: adds a source), and says what it replaced.
    let out = ns(&[
        "-n",
        &h1,
        "route",
        "replace",
        "10.9.0.0/16",
        "via",
        "10.1.0.1",
        "dev",
        "eth0",
        "metric",
        "20",
        "src",
        "10.1.0.2",
    ])
    .ok()
    .json();
    assert_eq!(out["replaced"]["prefsrc"], Value::Null, "{out}");
    assert_eq!(
        route_to(&routes(&h1, "-4", "main"), "10.9.0.0/16").unwrap()["prefsrc"],
        "10.1.0.2"
    );
    // Add of an existing route is exit 4; --exist-ok accepts it.
    ns(&["-n", &h1, "route", "add", "unreachable", "10.8.0.0/16"]).fails(4, "already exists");
    let same = ns(&[
        "-n",
        &h1,
        "route",
        "add",
        "unreachable",
        "10.8.0.0/16",
        "--exist-ok",
    ])
    .ok()
    .json();
    assert_eq!(same["changed"], false);
    // Delete, then delete again (exit 3, or --missing-ok).
    ns(&["-n", &h1, "route", "del", "10.9.0.0/16"]).ok();
    assert!(route_to(&routes(&h1, "-4", "main"), "10.9.0.0/16").is_none());
    ns(&["-n", &h1, "route", "del", "10.9.0.0/16"]).fails(3, "no such route");
    assert_eq!(
        ns(&["-n", &h1, "route", "del", "10.9.0.0/16", "--missing-ok"])
            .ok()
            .json()["changed"],
        false
    );
    // Across the router, both families.
    for (from, to) in [
        (&h1, "10.2.0.2"),
        (&h1, "fd02::2"),
        (&h2, "10.1.0.2"),
        (&h2, "fd01::2"),
    ] {
        let run = ping(from, to);
        assert_eq!(run.code, 0, "ping {to} from {from}: {run:?}");
    }
    // The unreachable route answers at once.
    let run = sh(&format!("ip netns exec {h1} ping -c 1 -W 1 10.8.0.1"));
    assert_ne!(run.code, 0, "{run:?}");
}

/// The container host: a bridge with an address; per container a namespace with a resolver file,
/// a veth with the host end on the bridge and the peer's MAC fixed, an address, a default route
/// via the bridge. The containers ping each other; teardown leaves nothing.
#[test]
fn container_host_with_vnet_alone() {
    let lab = lab!();
    let before = snapshot();
    let br = lab.link("cbr");
    let containers = [
        (
            lab.netns("C"),
            lab.link("h"),
            "172.31.0.2/24",
            "02:42:ac:1f:00:02",
        ),
        (
            lab.netns("C"),
            lab.link("h"),
            "172.31.0.3/24",
            "02:42:ac:1f:00:03",
        ),
    ];
    vnet("vnet-bridge", &["addbr", &br, "--addr", "172.31.0.1/24", "--up"]).ok();
    for (name, host_end, addr, mac) in &containers {
        let added = ns(&[
            "add",
            name,
            "--nameserver",
            "172.31.0.1",
            "--nameserver",
            "fd31::1",
        ])
        .ok()
        .json();
        assert_eq!(added["resolv_conf"], format!("/etc/netns/{name}/resolv.conf"));
        ns(&["veth", host_end, "eth0", "--peer-netns", name, "--master", &br]).ok();
        let set = ns(&["-n", name, "link", "set", "dev", "eth0", "address", mac])
            .ok()
            .json();
        assert_eq!(set["interface"]["mac"], *mac, "{set}");
        ns(&["-n", name, "addr", "add", addr, "dev", "eth0"]).ok();
        ns(&["-n", name, "route", "add", "default", "via", "172.31.0.1"]).ok();
        assert_eq!(link(Some(name), "eth0")["address"], *mac);
        assert_eq!(link(None, host_end)["master"], br.as_str());
        // exec binds the resolver file over /etc/resolv.conf.
        let resolv = ns(&["exec", name, "cat", "/etc/resolv.conf"]).ok().stdout;
        assert!(
            resolv.contains("nameserver 172.31.0.1\nnameserver fd31::1\n"),
            "{resolv}"
        );
    }
    assert_eq!(bridge_ports(&br).len(), 2);
    let (c1, c2) = (&containers[0].0, &containers[1].0);
    for (from, to) in [(c1, "172.31.0.3"), (c2, "172.31.0.2"), (c1, "172.31.0.1")] {
        let run = ping(from, to);
        assert_eq!(run.code, 0, "ping {to} from {from}: {run:?}");
    }
    let neigh = sh_ok(&format!("ip -n {c2} neigh show 172.31.0.2"));
    assert!(neigh.contains("02:42:ac:1f:00:02"), "{neigh}");
    // Teardown with vnet alone: the namespaces (their veths go with them, and their resolver
    // files), then the bridge.
    let deleted = ns(&["delete", c1, c2]).ok().json();
    assert_eq!(deleted["removed"].as_array().unwrap().len(), 4, "{deleted}");
    vnet("vnet-bridge", &["delbr", &br, "--force"]).ok();
    for (name, _, _, _) in &containers {
        assert!(!std::path::Path::new(&format!("/etc/netns/{name}")).exists());
    }
    assert_eq!(snapshot(), before, "teardown left something behind");
}

#[test]
fn taps_as_ip_tuntap_makes_them() {
    let lab = lab!();
    let (tap, other, netns) = (lab.link("tap"), lab.link("tap"), lab.netns("T"));
    ns(&["add", &netns]).ok();
    let made = ns(&[
        "tuntap", "add", "dev", &tap, "mode", "tap", "user", "nobody", "group", "0",
    ])
    .ok()
    .json();
    assert_eq!(
        (made["owner"].as_u64(), made["changed"].as_bool()),
        (Some(65534), Some(true))
    );
    let info = &link(None, &tap)["linkinfo"];
    assert_eq!(info["info_kind"], "tun");
    let data = &info["info_data"];
    assert_eq!(
        (
            data["type"].as_str(),
            data["persist"].as_bool(),
            data["pi"].as_bool()
        ),
        (Some("tap"), Some(true), Some(false))
    );
    assert_eq!(
        (data["user"].as_str(), data["group"].as_str()),
        (Some("nobody"), Some("root"))
    );
    // A tap vnet did not create the usual way: up and MTU through link set (the max is 65521).
    ns(&["link", "set", &tap, "up", "mtu", "65521"]).ok();
    let shown = link(None, &tap);
    assert!(has_flag(&shown, "UP"), "{shown}");
    assert_eq!(shown["mtu"], 65521);
    assert_eq!(shown["max_mtu"], 65521);
    ns(&["tuntap", "add", &tap, "mode", "tap"]).fails(4, "exists");
    assert_eq!(
        ns(&["tuntap", "add", &tap, "mode", "tap", "--exist-ok"])
            .ok()
            .json()["changed"],
        false
    );
    // A tun in a namespace.
    ns(&["-n", &netns, "tuntap", "add", &other, "mode", "tun"]).ok();
    assert_eq!(link(Some(&netns), &other)["linkinfo"]["info_data"]["type"], "tun");
    ns(&["-n", &netns, "tuntap", "del", &other, "mode", "tun"]).ok();
    ns(&["tuntap", "del", "dev", &tap, "mode", "tap"]).ok();
    assert_eq!(sh(&format!("ip link show dev {tap}")).code, 1, "tap still there");
    ns(&["tuntap", "del", "dev", &tap, "mode", "tap"]).fails(3, "no such device");
    assert_eq!(
        ns(&["tuntap", "del", &tap, "--missing-ok"]).ok().json()["changed"],
        false
    );
}

/// Link verbs on any link: rename, MTU, MAC, down/up, move into a namespace and back, delete.
#[test]
fn link_set_and_del_on_any_link() {
    let lab = lab!();
    let (a, b, c, netns) = (lab.link("la"), lab.link("lb"), lab.link("lc"), lab.netns("L"));
    ns(&["add", &netns]).ok();
    ns(&["veth", &a, &b]).ok();
    let out = ns(&[
        "link",
        "set",
        "dev",
        &a,
        "mtu",
        "1400",
        "address",
        "02:00:00:00:00:0a",
        "name",
        &c,
        "down",
    ])
    .ok()
    .json();
    assert_eq!(out["changes"].as_array().unwrap().len(), 4, "{out}");
    let shown = link(None, &c);
    assert_eq!(
        (shown["mtu"].as_u64(), shown["address"].as_str()),
        (Some(1400), Some("02:00:00:00:00:0a"))
    );
    assert!(!has_flag(&shown, "UP"));
    // Move into the namespace and bring it up there in one verb, as ip link set X netns NS up.
    let out = ns(&["link", "set", &c, "netns", &netns, "up"]).ok().json();
    assert_eq!(out["netns"], netns.as_str());
    assert!(has_flag(&link(Some(&netns), &c), "UP"));
    assert_eq!(sh(&format!("ip link show dev {c}")).code, 1);
    // And back, with -n.
    ns(&["-n", &netns, "link", "set", &c, "netns", &netns]).ok(); // same namespace: nothing moves
                                                                  // --batch --atomic: a rename followed by a failing line is undone.
    let batch = format!("-n {netns} link set {c} name {a}\n-n {netns} link set {a} netns NoSuchNs\n");
    let run = vnet_stdin("vnet-ns", &["--batch", "-", "--atomic"], &batch);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(link(Some(&netns), &c)["ifname"], c.as_str(), "rename undone");
    // Delete (the peer goes with it).
    ns(&["-n", &netns, "link", "del", &c]).ok();
    assert_eq!(sh(&format!("ip link show dev {b}")).code, 1, "peer gone too");
    ns(&["-n", &netns, "link", "del", &c]).fails(3, "not found");
    // The older form is unchanged.
    ns(&["link", &netns, "lo", "down"]).ok();
    assert!(!has_flag(&link(Some(&netns), "lo"), "UP"));
    ns(&["link", &netns, "lo", "up"]).ok();
}

/// Addresses on a host link: IPv4 with a secondary, IPv6, delete, flush.
#[test]
fn addresses_on_host_links() {
    let lab = lab!();
    let (a, b) = (lab.link("aa"), lab.link("ab"));
    ns(&["veth", &a, &b]).ok();
    for addr in ["10.40.0.1/24", "10.40.0.2/24", "fd40::1/64"] {
        ns(&["addr", "add", addr, "dev", &a]).ok();
    }
    let info = |dev: &str| -> Vec<(String, bool)> {
        ip_json(&format!("addr show dev {dev}"))[0]["addr_info"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["scope"] != "link")
            .map(|x| {
                (
                    format!("{}/{}", x["local"].as_str().unwrap(), x["prefixlen"]),
                    x["secondary"] == true,
                )
            })
            .collect()
    };
    assert_eq!(
        info(&a),
        [
            ("10.40.0.1/24".to_string(), false),
            ("10.40.0.2/24".to_string(), true),
            ("fd40::1/64".to_string(), false)
        ]
    );
    ns(&["addr", "add", "10.40.0.2/24", "dev", &a]).fails(4, "already assigned");
    ns(&["addr", "del", "10.40.0.2/24", "dev", &a]).ok();
    ns(&["addr", "del", "10.40.0.2/24", "dev", &a]).fails(3, "no such address");
    ns(&["addr", "add", "10.40.0.2/24", "dev", &a]).ok();
    let flushed = ns(&["addr", "flush", "dev", &a]).ok().json();
    assert_eq!(flushed["changed"], true);
    assert_eq!(info(&a), []);
    assert_eq!(ns(&["addr", "flush", "dev", &a]).ok().json()["changed"], false);
}

/// ip netns attach: the name of a namespace a process already has.
#[test]
fn attach_names_a_process_namespace() {
    let lab = lab!();
    let name = lab.netns("P");
    let mut child = std::process::Command::new("unshare")
        .args(["--net", "sleep", "30"])
        .spawn()
        .unwrap();
    wait_exec(child.id(), "sleep");
    let pid = child.id().to_string();
    // unshare execs sleep in place: the PID is the process in the new namespace.
    let out = ns(&["attach", &name, &pid]).ok().json();
    assert_eq!(out["changed"], true);
    assert_eq!(sh_ok(&format!("ip netns identify {pid}")).trim(), name);
    ns(&["delete", &name]).ok();
    child.kill().unwrap();
    child.wait().unwrap();
}

/// netem through rtnetlink. This machine's kernel has no netem (CONFIG_NET_SCH_NETEM is not set):
/// there the request must be refused with exit 6 and the link unchanged, and what vnet-ns sends is
/// compared byte for byte with what `tc` sends for the same words (strace of both). On a kernel
/// with netem the delay is also measured with ping and read back with tc -j.
#[test]
fn netem_delay_loss_rate() {
    let lab = lab!();
    let (a, b, netns) = (lab.link("na"), lab.link("nb"), lab.netns("N"));
    ns(&["add", &netns]).ok();
    ns(&[
        "veth",
        &a,
        &b,
        "--peer-netns",
        &netns,
        "--addr",
        "10.50.0.1/24",
        "--peer-addr",
        "10.50.0.2/24",
    ])
    .ok();
    let words = "root netem delay 100ms 10ms loss 1% rate 10mbit";
    let tc_sent = sh(&format!(
        "strace -f -e trace=sendto,sendmsg -xx -s 2000 tc qdisc add dev {a} {words} 2>&1"
    ));
    let ours_sent = sh(&format!(
        "strace -f -e trace=sendto,sendmsg -xx -s 2000 {} qdisc add dev {a} {words} 2>&1",
        bin_dir().join("vnet-ns").display()
    ));
    let options = |trace: &str| -> String {
        let at = trace
            .find("TCA_OPTIONS}, \"")
            .unwrap_or_else(|| panic!("no TCA_OPTIONS in {trace}"));
        trace[at..].split('"').nth(1).unwrap().to_string()
    };
    assert_eq!(
        options(&ours_sent.stdout),
        options(&tc_sent.stdout),
        "netem options differ from tc's"
    );
    // Start over from the default qdisc (on a kernel with netem, the two adds above set it).
    sh(&format!("tc qdisc del dev {a} root"));
    let shown = ns(&["qdisc", "show", "dev", &a]).ok().json();
    let oracle = serde_json::from_str::<Value>(&sh_ok(&format!("tc -j qdisc show dev {a}"))).unwrap();
    assert_eq!(shown[0]["kind"], oracle[0]["kind"]);
    assert_eq!(shown[0]["handle"], oracle[0]["handle"]);
    let has_netem = sh(&format!(
        "tc qdisc add dev {a} root netem delay 1ms && tc qdisc del dev {a} root"
    ))
    .code
        == 0;
    if !has_netem {
        let qdiscs = || sh_ok(&format!("tc -j qdisc show dev {a}"));
        assert_unchanged(qdiscs, || {
            ns(&["qdisc", "add", "dev", &a, "root", "netem", "delay", "100ms"]).fails(6, "no netem qdisc");
        });
        eprintln!("netem_delay_loss_rate: this kernel has no netem; checked the refusal and the bytes only");
        return;
    }
    let rtt = || -> f64 {
        let out = sh_ok(&format!("ip netns exec {netns} ping -c 3 -i 0.2 10.50.0.1"));
        let line = out
            .lines()
            .find(|l| l.contains("min/avg/max"))
            .unwrap()
            .to_string();
        line.split('=')
            .nth(1)
            .unwrap()
            .split('/')
            .nth(1)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let before = rtt();
    ns(&["qdisc", "add", "dev", &a, "root", "netem", "delay", "100ms"]).ok();
    let tc = serde_json::from_str::<Value>(&sh_ok(&format!("tc -j qdisc show dev {a}"))).unwrap();
    assert_eq!(tc[0]["kind"], "netem", "{tc}");
    let ours = ns(&["qdisc", "show", "dev", &a]).ok().json();
    assert_eq!(ours[0]["netem"]["delay_us"], 100000.0);
    let after = rtt();
    assert!(after > before + 80.0, "rtt {before} -> {after}");
    ns(&["qdisc", "del", "dev", &a, "root"]).ok();
    let tc = serde_json::from_str::<Value>(&sh_ok(&format!("tc -j qdisc show dev {a}"))).unwrap();
    assert_ne!(tc[0]["kind"], "netem");
}

/// Every bad input of the list: one line, the documented exit code, nothing changed.
#[test]
fn bad_input_changes_nothing() {
    let lab = lab!();
    let (a, b, tap, netns, taken) = (
        lab.link("ba"),
        lab.link("bb"),
        lab.link("bt"),
        lab.netns("B"),
        lab.netns("B"),
    );
    ns(&["add", &netns]).ok();
    ns(&["add", &taken]).ok();
    ns(&["veth", &a, &b, "--addr", "10.60.0.1/24"]).ok();
    ns(&["-n", &netns, "veth", "eth0", "eth1"]).ok();
    // nodad: the address is usable at once, so no route appears later in the middle of a case.
    ns(&["-n", &netns, "addr", "add", "fd60::1/64", "dev", "eth0", "nodad"]).ok();
    ns(&["tuntap", "add", &tap, "mode", "tap"]).ok();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["link", "set", &a, "address", "01:00:5e:00:00:01"],
            7,
            "multicast",
        ),
        (
            vec!["link", "set", &a, "address", "ff:ff:ff:ff:ff:ff"],
            7,
            "multicast",
        ),
        (
            vec!["link", "set", &a, "address", "02:42:ac:11:00"],
            7,
            "invalid MAC address",
        ),
        (
            vec!["link", "set", &a, "address", "zz:42:ac:11:00:02"],
            7,
            "invalid MAC address",
        ),
        (
            vec!["link", "set", &a, "mtu", "70000"],
            7,
            "outside the range 68..65535",
        ),
        (vec!["link", "set", &a, "mtu", "67"], 7, "outside the range"),
        (
            vec!["link", "set", &tap, "mtu", "65522"],
            7,
            "outside the range 68..65521",
        ),
        (
            vec!["link", "set", &a, "mtu", "1400", "address", "01:00:5e:00:00:01"],
            7,
            "multicast",
        ),
        (
            vec!["route", "add", "10.61.0.0/16", "via", "10.99.0.1"],
            7,
            "gateway 10.99.0.1 is not reachable on any link",
        ),
        (
            vec!["route", "add", "10.61.0.0/16", "via", "10.60.0.9", "dev", &tap],
            7,
            "is not reachable on link",
        ),
        (
            vec!["-n", &netns, "route", "add", "default", "via", "fd61::1"],
            7,
            "gateway fd61::1 is not reachable",
        ),
        (
            vec!["route", "add", "10.61.0/16", "via", "10.60.0.9"],
            7,
            "invalid route prefix '10.61.0/16'",
        ),
        (
            vec!["route", "add", "10.61.0.1/16", "via", "10.60.0.9"],
            7,
            "host bits are set",
        ),
        (
            vec!["route", "add", "fd61::1/64", "dev", &a],
            7,
            "host bits are set",
        ),
        (
            vec!["route", "add", "banana", "dev", &a],
            7,
            "invalid route prefix 'banana'",
        ),
        (
            vec!["link", "set", &a, "netns", "NoSuchNamespace"],
            3,
            "namespace 'NoSuchNamespace' not found",
        ),
        (
            vec!["link", "set", &a, "name", "x", "netns", "NoSuchNamespace"],
            3,
            "not found",
        ),
        (vec!["attach", "Fresh", "999999"], 3, "no process with PID 999999"),
        (vec!["attach", &taken, "1"], 4, "the name is taken"),
        (
            vec!["link", "set", &a, "name", &b],
            4,
            "an interface of that name exists",
        ),
        (
            vec!["link", "set", &a, "name", &tap, "mtu", "1400"],
            4,
            "an interface of that name exists",
        ),
        (
            vec!["-n", &netns, "link", "set", "eth0", "name", "eth1"],
            4,
            "an interface of that name exists",
        ),
    ];
    for (args, code, needle) in cases {
        assert_unchanged(snapshot, || {
            ns(&args).fails(code, needle);
        });
    }
}
