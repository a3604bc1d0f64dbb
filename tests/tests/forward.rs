//! End-to-end tests of `vnet-net forward` (issue 22) against the sandbox's libvirtd and its real
//! libvirt 9.0 ruleset (iptables, nf_tables backend). A network namespace on the NAT network's
//! bridge with an address in its subnet stands in for a guest; one test uses a real kit guest
//! with --to-domain. A client namespace routed to the host plays the outside world. Oracles:
//! iptables-save before and after (the ruleset back exactly as it was after `forward del`), TCP
//! connections answered by a server in the guest (which says the address it saw), virsh.
//! Traffic stays between the sandbox's own namespaces and guests.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use vnet_tests::{assert_unchanged, assert_valid, lab, sh, sh_ok, vnet, vnet_stdin, Lab};

/// The ruleset as iptables-save prints it, without its comment lines (dates) and counters.
fn ruleset() -> String {
    sh_ok("iptables-save")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.replace(" [0:0]", ""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The ruleset and the forwards file: what a refused `forward add` must leave as it was.
fn snapshot() -> String {
    let state = std::fs::read_to_string("/var/lib/libvirt/vnet/forwards.json").unwrap_or_default();
    format!("{}\n{state}", ruleset())
}

/// A running NAT network on 192.168.N.0/24 with its own bridge; returns (network, bridge).
fn nat_network(lab: &Lab, n: u8) -> (String, String) {
    network_of_mode(lab, n, "<forward mode='nat'/>")
}

fn network_of_mode(lab: &Lab, n: u8, forward: &str) -> (String, String) {
    let (name, bridge) = (lab.network("fwd"), lab.name("vbr"));
    let xml = format!(
        "<network><name>{name}</name>{forward}<bridge name='{bridge}'/>\
         <ip address='192.168.{n}.1' netmask='255.255.255.0'><dhcp>\
         <range start='192.168.{n}.100' end='192.168.{n}.199'/></dhcp></ip></network>"
    );
    let file = format!("/tmp/{name}.xml");
    std::fs::write(&file, xml).unwrap();
    vnet("vnet-net", &["define", &file]).ok();
    vnet("vnet-net", &["start", &name]).ok();
    (name, bridge)
}

/// A namespace on `bridge` at `ip`/24 routed through the bridge's .1: a guest's stand-in.
fn guest(lab: &Lab, bridge: &str, ip: &str) -> String {
    let ns = lab.netns("g");
    let host_end = lab.link("gh");
    let gw = format!("{}.1", ip.rsplit_once('.').unwrap().0);
    sh_ok(&format!(
        "ip netns add {ns} && ip link add {host_end} type veth peer name eth0 netns {ns} && \
         ip link set {host_end} master {bridge} up && ip -n {ns} addr add {ip}/24 dev eth0 && \
         ip -n {ns} link set eth0 up && ip -n {ns} link set lo up && ip -n {ns} route add default via {gw}"
    ));
    forwarding(&host_end);
    ns
}

/// Waits until a bridge port forwards (libvirt's bridges run STP: a new port listens and learns
/// for two forward delays first).
fn forwarding(port: &str) {
    let state = format!("/sys/class/net/{port}/brport/state");
    eventually(&format!("bridge port {port} forwarding"), || {
        std::fs::read_to_string(&state).is_ok_and(|s| s.trim() == "3")
    });
}

/// Puts a guest stand-in's veth back on its bridge (libvirt deletes the bridge on destroy).
fn reattach(bridge: &str, ns: &str) {
    let peer = sh_ok(&format!(
        "ip -n {ns} -o link show eth0 | grep -o '@if[0-9]*' | tr -d '@if'"
    ));
    let host_end = sh_ok(&format!(
        "ip -o link show | awk -F': ' '$1 == {} {{print $2}}' | cut -d@ -f1",
        peer.trim()
    ));
    sh_ok(&format!("ip link set {} master {bridge} up", host_end.trim()));
    forwarding(host_end.trim());
}

/// A client namespace on a veth routed to the host: the host is 10.88.N.1, the client 10.88.N.2.
fn client(lab: &Lab, n: u8) -> (String, String) {
    let ns = lab.netns("c");
    let host_end = lab.link("ch");
    sh_ok(&format!(
        "ip netns add {ns} && ip link add {host_end} type veth peer name eth0 netns {ns} && \
         ip addr add 10.88.{n}.1/24 dev {host_end} && ip link set {host_end} up && \
         ip -n {ns} addr add 10.88.{n}.2/24 dev eth0 && ip -n {ns} link set eth0 up && \
         ip -n {ns} route add default via 10.88.{n}.1 && sysctl -qw net.ipv4.ip_forward=1"
    ));
    (ns, format!("10.88.{n}.1"))
}

/// A TCP server in `ns` (None: the host) on `port` that answers each connection with
/// "REPLY <address it saw>"; stopped when the lab ends. Returns once it listens.
fn serve(lab: &Lab, ns: Option<&str>, port: u16, reply: &str) {
    let exec = ns.map_or(String::new(), |ns| format!("ip netns exec {ns} "));
    let program = format!(
        "import socket\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
         s.bind(('0.0.0.0', {port})); s.listen(16)\nwhile True:\n    c, a = s.accept()\n    \
         c.sendall(('{reply} ' + a[0] + '\\n').encode()); c.close()\n"
    );
    let file = format!("/tmp/serve-{}-{port}.py", ns.unwrap_or("host"));
    std::fs::write(&file, program).unwrap();
    let pid = sh_ok(&format!("{exec}python3 {file} >/dev/null 2>&1 & echo $!"));
    lab.on_drop(format!("kill {}", pid.trim()));
    let started = Instant::now();
    while !sh_ok(&format!("{exec}ss -ltnH")).contains(&format!(":{port} ")) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "server on {port} did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What a connection from `ns` (None: the host) to ADDR:PORT reads; None when it fails.
fn fetch(ns: Option<&str>, addr: &str, port: u16) -> Option<String> {
    let exec = ns.map_or(String::new(), |ns| format!("ip netns exec {ns} "));
    let run = sh(&format!(
        "{exec}timeout 6 python3 -c \"import socket; s=socket.create_connection(('{addr}', {port}), timeout=3); \
         print(s.recv(200).decode().strip())\""
    ));
    (run.code == 0).then(|| run.stdout.trim().to_string())
}

/// A UDP server in `ns` on `port` answering each datagram with "REPLY <address it saw>".
fn serve_udp(lab: &Lab, ns: &str, port: u16, reply: &str) {
    let program = format!(
        "import socket\ns=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('0.0.0.0', {port}))\n\
         while True:\n    d, a = s.recvfrom(100)\n    s.sendto(('{reply} ' + a[0]).encode(), a)\n"
    );
    let file = format!("/tmp/serve-udp-{ns}-{port}.py");
    std::fs::write(&file, program).unwrap();
    let pid = sh_ok(&format!(
        "ip netns exec {ns} python3 {file} >/dev/null 2>&1 & echo $!"
    ));
    lab.on_drop(format!("kill {}", pid.trim()));
    eventually(&format!("udp server on {port}"), || {
        sh_ok(&format!("ip netns exec {ns} ss -lunH")).contains(&format!(":{port} "))
    });
}

/// The answer to one datagram from `ns` to ADDR:PORT; None when none comes.
fn ask_udp(ns: &str, addr: &str, port: u16) -> Option<String> {
    let run = sh(&format!(
        "ip netns exec {ns} timeout 6 python3 -c \"import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); \
         s.settimeout(3); s.sendto(b'hi', ('{addr}', {port})); print(s.recv(200).decode())\""
    ));
    (run.code == 0).then(|| run.stdout.trim().to_string())
}

fn add(args: &[&str]) -> Value {
    let mut line = vec!["forward", "add"];
    line.extend(args);
    let out = vnet("vnet-net", &line).ok().json();
    assert_valid("vnet-net", "forward/add", &out);
    out
}

fn del(network: &str, proto: &str, port: &str) -> Value {
    let out = vnet(
        "vnet-net",
        &["forward", "del", network, "--proto", proto, "--port", port],
    )
    .ok()
    .json();
    assert_valid("vnet-net", "forward/del", &out);
    out
}

/// Removes this test's forwards when it ends (also when it fails).
fn del_on_drop(lab: &Lab, network: &str, port: &str) {
    let bin = vnet_tests::bin_dir().join("vnet-net");
    lab.on_drop(format!(
        "{} forward del {network} --proto tcp --port {port} --missing-ok",
        bin.display()
    ));
}

/// sysctl bridge-nf-call-iptables (bridged traffic through iptables), restored when the lab ends.
fn bridge_nf(lab: &Lab, on: bool) {
    let key = "/proc/sys/net/bridge/bridge-nf-call-iptables";
    if !Path::new(key).exists() {
        return;
    }
    let was = std::fs::read_to_string(key).unwrap();
    lab.on_drop(format!("echo {} > {key}", was.trim()));
    std::fs::write(key, if on { "1" } else { "0" }).unwrap();
}

#[test]
fn a_forward_reaches_the_guest_from_outside_the_host_and_other_guests_and_goes_cleanly() {
    let lab = lab!();
    let (net, bridge) = nat_network(&lab, 171);
    let web = guest(&lab, &bridge, "192.168.171.50");
    let other = guest(&lab, &bridge, "192.168.171.51");
    let (outside, host_ip) = client(&lab, 171);
    serve(&lab, Some(&web), 80, "web");
    // Without a forward, the guest is out of reach through the host.
    assert_eq!(fetch(Some(&outside), &host_ip, 8080), None);
    let before = ruleset();
    del_on_drop(&lab, &net, "8080");
    let out = add(&[
        &net,
        "--proto",
        "tcp",
        "--port",
        "8080",
        "--to",
        "192.168.171.50:80",
    ]);
    assert_eq!(out["changed"], true);
    assert_eq!(
        (
            out["network"].as_str(),
            out["to_ip"].as_str(),
            &out["to_port"],
            &out["port"]
        ),
        (
            Some(net.as_str()),
            Some("192.168.171.50"),
            &Value::from(80),
            &Value::from(8080)
        )
    );
    // Another namespace routed to the host: it reaches the guest, which sees the client's address.
    assert_eq!(
        fetch(Some(&outside), &host_ip, 8080).as_deref(),
        Some("web 10.88.171.2")
    );
    // The host itself, through its own address (OUTPUT DNAT).
    assert!(fetch(None, &host_ip, 8080).is_some_and(|r| r.starts_with("web ")));
    // Another guest on the network, through the host address (hairpin, masqueraded to the
    // bridge address), with bridged traffic through iptables off and on.
    for on in [false, true] {
        bridge_nf(&lab, on);
        assert_eq!(
            fetch(Some(&other), &host_ip, 8080).as_deref(),
            Some("web 192.168.171.1"),
            "bridge-nf {on}"
        );
    }
    // The bridge's own address is never forwarded: the guests keep the host's services there.
    assert_eq!(fetch(Some(&other), "192.168.171.1", 8080), None);
    // list, -o text, and the exist-ok twin.
    let list = vnet("vnet-net", &["forward", "list", &net]).ok().json();
    assert_valid("vnet-net", "forward/list", &list);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let text = vnet("vnet-net", &["-o", "text", "forward", "list", &net])
        .ok()
        .stdout;
    assert!(
        text.contains("192.168.171.50:80") && text.contains("8080"),
        "{text}"
    );
    let again = vnet(
        "vnet-net",
        &[
            "forward",
            "add",
            &net,
            "--proto",
            "tcp",
            "--port",
            "8080",
            "--to",
            "192.168.171.50:80",
            "--exist-ok",
        ],
    )
    .ok()
    .json();
    assert_eq!(again["changed"], false);
    // doctor: the forward's rules in place and its guest answering ARP.
    let checks = vnet("vnet-net", &["doctor"]).ok().json();
    let mine: Vec<&Value> = checks
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "forward" && c["detail"].as_str().unwrap().starts_with(&format!("{net} ")))
        .collect();
    assert_eq!(mine.len(), 1, "{checks}");
    assert_eq!(mine[0]["ok"], true, "{checks}");
    // UDP the same way.
    serve_udp(&lab, &web, 5300, "udp");
    let bin = vnet_tests::bin_dir().join("vnet-net");
    lab.on_drop(format!(
        "{} forward del {net} --proto udp --port 9053 --missing-ok",
        bin.display()
    ));
    add(&[
        &net,
        "--proto",
        "udp",
        "--port",
        "9053",
        "--to",
        "192.168.171.50:5300",
    ]);
    assert_eq!(
        ask_udp(&outside, &host_ip, 9053).as_deref(),
        Some("udp 10.88.171.2")
    );
    del(&net, "udp", "9053");
    // Gone after del, with the ruleset exactly as before the add.
    let gone = del(&net, "tcp", "8080");
    assert_eq!(
        (gone["changed"].as_bool(), gone["to_ip"].as_str()),
        (Some(true), Some("192.168.171.50"))
    );
    assert_eq!(ruleset(), before);
    assert_eq!(fetch(Some(&outside), &host_ip, 8080), None);
    let missing = vnet(
        "vnet-net",
        &["forward", "del", &net, "--proto", "tcp", "--port", "8080"],
    );
    missing.fails(3, "no forward of tcp/8080");
    let ok = vnet(
        "vnet-net",
        &[
            "forward",
            "del",
            &net,
            "--proto",
            "tcp",
            "--port",
            "8080",
            "--missing-ok",
        ],
    )
    .ok()
    .json();
    assert_eq!(ok["changed"], false);
}

/// The sandbox's libvirtd stopped and started again (its hooks are read when it starts).
fn restart_libvirtd() {
    let pid = std::fs::read_to_string("/run/libvirtd.pid").unwrap();
    sh_ok(&format!(
        "kill {}; while kill -0 {} 2>/dev/null; do sleep 0.1; done; libvirtd -d",
        pid.trim(),
        pid.trim()
    ));
    let started = Instant::now();
    while sh("timeout 5 virsh -q net-list >/dev/null 2>&1").code != 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "libvirtd did not come back"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every LIBVIRT_* chain and the jumps to them removed, as a firewall rebuild leaves things.
fn remove_libvirt_chains() {
    sh_ok(
        "for t in filter nat mangle; do \
           iptables-save -t $t | grep -- '-j LIBVIRT_' | grep -v '^-A LIBVIRT_' | sed 's/^-A/-D/' | \
             while read -r l; do iptables -t $t $l; done; \
           for c in $(iptables-save -t $t | grep -o '^:LIBVIRT_[A-Z]*' | tr -d :); do iptables -t $t -F $c; done; \
           for c in $(iptables-save -t $t | grep -o '^:LIBVIRT_[A-Z]*' | tr -d :); do iptables -t $t -X $c; done; \
         done",
    );
}

/// Waits (up to 20 s) until `check` holds.
fn eventually(what: &str, check: impl Fn() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what}: still not so after 20 s\n{}",
            ruleset()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_forward_survives_libvirtd_restarts_network_restarts_and_a_rebuild_of_libvirts_chains() {
    let lab = lab!();
    let (net, bridge) = nat_network(&lab, 172);
    let web = guest(&lab, &bridge, "192.168.172.50");
    let (outside, host_ip) = client(&lab, 172);
    serve(&lab, Some(&web), 8000, "web");
    let before = ruleset();
    del_on_drop(&lab, &net, "9000");
    add(&[
        &net,
        "--proto",
        "tcp",
        "--port",
        "9000",
        "--to",
        "192.168.172.50:8000",
    ]);
    let reaches = || fetch(Some(&outside), &host_ip, 9000).is_some_and(|r| r.starts_with("web "));
    assert!(reaches());
    // The hooks are in place for libvirtd to find when it starts.
    assert!(Path::new("/etc/libvirt/hooks/daemon.d/vnet-forward").exists());
    assert!(Path::new("/etc/libvirt/hooks/network.d/vnet-forward").exists());
    restart_libvirtd();
    assert!(reaches(), "after a libvirtd restart");
    vnet("vnet-net", &["destroy", &net]).ok();
    vnet("vnet-net", &["start", &net]).ok();
    reattach(&bridge, &web);
    assert!(reaches(), "after destroy + start\n{}", ruleset());
    // libvirt's chains gone; libvirtd recreates them on start with its jumps first, and the
    // daemon hook puts vnet's first again once libvirt is done.
    remove_libvirt_chains();
    restart_libvirtd();
    eventually("libvirt's chains recreated", || {
        ruleset().contains("-A FORWARD -j LIBVIRT_FWI")
    });
    eventually("vnet's jump first again", || {
        ruleset().lines().find(|l| l.starts_with("-A FORWARD ")) == Some("-A FORWARD -j VNET_FWD")
    });
    assert!(reaches(), "after libvirt rebuilt its chains\n{}", ruleset());
    // A forward whose rules were flushed away by hand: doctor says so, apply puts them back.
    sh_ok("iptables -F VNET_FWD");
    let checks = vnet("vnet-net", &["doctor"]).ok().json();
    let mine = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "forward")
        .cloned()
        .unwrap();
    assert_eq!(mine["ok"], false, "{mine}");
    assert!(!reaches());
    let applied = vnet("vnet-net", &["forward", "apply"]).ok().json();
    assert_valid("vnet-net", "forward/apply", &applied);
    assert_eq!(applied["changed"], true);
    assert!(reaches());
    del(&net, "tcp", "9000");
    assert_eq!(ruleset(), before);
    assert!(!Path::new("/etc/libvirt/hooks/daemon.d/vnet-forward").exists());
}

#[test]
fn conflicts_and_bad_input_are_refused_before_any_change() {
    let lab = lab!();
    let (net, bridge) = nat_network(&lab, 173);
    let _web = guest(&lab, &bridge, "192.168.173.50");
    del_on_drop(&lab, &net, "7000");
    add(&[
        &net,
        "--proto",
        "tcp",
        "--port",
        "7000-7005",
        "--to",
        "192.168.173.50",
    ]);
    serve(&lab, None, 7100, "host");
    let (routed, _) = network_of_mode(&lab, 174, "<forward mode='route'/>");
    let (isolated, _) = network_of_mode(&lab, 175, "");
    let (stopped, _) = nat_network(&lab, 176);
    vnet("vnet-net", &["destroy", &stopped]).ok();
    let refused = |args: &[&str], code: i32, needle: &str| {
        let mut line = vec!["forward", "add"];
        line.extend(args);
        assert_unchanged(snapshot, || {
            vnet("vnet-net", &line).fails(code, needle);
        });
    };
    let to = ["--to", "192.168.173.60"];
    let with = |port: &'static str, to: &[&'static str]| -> Vec<&'static str> {
        let mut v = vec!["--proto", "tcp", "--port", port];
        v.extend(to);
        v
    };
    let on = |name: &str, rest: Vec<&'static str>| -> Vec<String> {
        std::iter::once(name.to_string())
            .chain(rest.into_iter().map(String::from))
            .collect()
    };
    let run = |args: Vec<String>, code: i32, needle: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&args, code, needle);
    };
    run(on(&net, with("7003", &to)), 4, "already forwarded");
    run(on(&net, with("6990-7000", &to)), 4, "already forwarded");
    run(on(&net, with("7100", &to)), 4, "python3");
    run(on(&net, with("7200", &["--to", "192.168.99.5"])), 7, "outside");
    run(on(&net, with("7200", &["--to", "192.168.173.1"])), 7, "bridge");
    run(
        on(&stopped, with("7200", &["--to", "192.168.176.50"])),
        3,
        "not running",
    );
    run(
        on(&routed, with("7200", &["--to", "192.168.174.50"])),
        7,
        "without a forward",
    );
    run(
        on(&isolated, with("7200", &["--to", "192.168.175.50"])),
        7,
        "cannot be reached",
    );
    run(on("no-such-net", with("7200", &to)), 3, "not found");
    run(on(&net, with("0", &to)), 7, "out of range");
    run(on(&net, with("65536", &to)), 7, "out of range");
    run(on(&net, with("7300-7200", &to)), 7, "wrong way round");
    run(
        on(
            &net,
            vec!["--proto", "sctp", "--port", "7200", "--to", "192.168.173.60"],
        ),
        7,
        "unknown protocol",
    );
    run(
        on(&net, with("7200", &["--to", "52:54:00:12:34:56"])),
        7,
        "a MAC address",
    );
    run(
        on(&net, with("7200", &["--to", "web1"])),
        7,
        "not an IPv4 address",
    );
    run(
        on(
            &net,
            with("7200", &["--to", "192.168.173.60", "--address", "10.250.0.1"]),
        ),
        7,
        "not an address of this host",
    );
    // Nothing half-done in a batch either: the failing line leaves the first line's forward
    // undone with --atomic.
    let batch = format!(
        "forward add {net} --proto tcp --port 7400 --to 192.168.173.60\nforward add {net} --proto tcp --port 7003 --to 192.168.173.60\n"
    );
    assert_unchanged(snapshot, || {
        let run = vnet_stdin("vnet-net", &["--batch", "-", "--atomic"], &batch);
        assert_eq!(run.code, 4, "{run:?}");
    });
    del(&net, "tcp", "7000-7005");
}

#[test]
fn prune_tag_removes_tagged_forwards_only() {
    let lab = lab!();
    let (net, bridge) = nat_network(&lab, 177);
    let _web = guest(&lab, &bridge, "192.168.177.50");
    let before = ruleset();
    del_on_drop(&lab, &net, "7500");
    del_on_drop(&lab, &net, "7501");
    let tag = lab.name("t");
    add(&[
        &net,
        "--proto",
        "tcp",
        "--port",
        "7500",
        "--to",
        "192.168.177.50",
        "--tag",
        &tag,
    ]);
    add(&[&net, "--proto", "tcp", "--port", "7501", "--to", "192.168.177.50"]);
    let dry = vnet("vnet-net", &["prune", "--tag", &tag, "--dry-run"])
        .ok()
        .json();
    assert_eq!(dry["removed"][0]["kind"], "forward", "{dry}");
    let pruned = vnet("vnet-net", &["prune", "--tag", &tag]).ok().json();
    assert_valid("vnet-net", "prune", &pruned);
    assert_eq!(pruned["removed"][0]["name"], format!("{net} tcp/7500"));
    let left = vnet("vnet-net", &["forward", "list", &net]).ok().json();
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["port"], 7501);
    del(&net, "tcp", "7501");
    assert_eq!(ruleset(), before);
}

/// Builds the guest kit once per machine (cached) and returns its directory.
fn kit() -> PathBuf {
    static KIT: OnceLock<PathBuf> = OnceLock::new();
    KIT.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("guest/build-guest");
        PathBuf::from(sh_ok(&format!("{} 2>/dev/null", script.display())).trim())
    })
    .clone()
}

#[test]
fn a_forward_to_a_real_guest_by_domain_with_a_reservation_goes_with_the_domain() {
    let lab = lab!();
    let (net, _bridge) = nat_network(&lab, 178);
    let vm = lab.domain("fwd");
    let (outside, host_ip) = client(&lab, 178);
    del_on_drop(&lab, &net, "8800");
    del_on_drop(&lab, &net, "8801");
    let iso = kit().join("guest.iso");
    // No domain yet: exit 3.
    vnet(
        "vnet-net",
        &[
            "forward",
            "add",
            &net,
            "--proto",
            "tcp",
            "--port",
            "8800",
            "--to-domain",
            &vm,
        ],
    )
    .fails(3, "not found");
    let installed = vnet(
        "vnet-vm",
        &[
            "install",
            "--name",
            &vm,
            "--memory",
            "256",
            "--network",
            &format!("network={net}"),
            "--disk",
            "none",
            "--location",
            &iso.to_string_lossy(),
            "--extra-args",
            "console=ttyS0",
            "--wait-ip",
            "120",
        ],
    )
    .ok()
    .json();
    let address = installed["address"]
        .as_str()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    // A web server in the guest, started from its console.
    vnet_stdin(
        "vnet-vm",
        &["console", &vm, "--linger", "3"],
        "\nmkdir -p /tmp/w && echo vnet-guest-web > /tmp/w/index.html && httpd -p 80 -h /tmp/w && echo started-$((6*7))\n",
    )
    .ok();
    let before = ruleset();
    let out = add(&[
        &net,
        "--proto",
        "tcp",
        "--port",
        "8800",
        "--to-domain",
        &format!("{vm}:80"),
        "--reserve",
    ]);
    assert_eq!(
        (out["to_ip"].as_str(), out["domain"].as_str()),
        (Some(address.as_str()), Some(vm.as_str()))
    );
    // The lease is a reservation now, in the running and the persistent definition.
    assert!(sh_ok(&format!("virsh net-dumpxml {net}")).contains(&format!("ip='{address}'")));
    assert!(sh_ok(&format!("virsh net-dumpxml --inactive {net}")).contains(&format!("ip='{address}'")));
    let get = "GET / HTTP/1.0\r\n\r\n";
    let page = sh(&format!(
        "ip netns exec {outside} timeout 10 python3 -c \"import socket; s=socket.create_connection(('{host_ip}', 8800), timeout=5); \
         s.sendall(b'{}'); print(b''.join(iter(lambda: s.recv(4096), b'')).decode())\"",
        get.replace('\r', "\\r").replace('\n', "\\n")
    ));
    assert!(page.stdout.contains("vnet-guest-web"), "{page:?}");
    // Undefined through vnet-vm: the forward goes with the domain, the ruleset as before.
    vnet("vnet-vm", &["destroy", &vm]).ok();
    vnet("vnet-vm", &["undefine", &vm]).ok();
    let left = vnet("vnet-net", &["forward", "list", &net]).ok().json();
    assert_eq!(left, serde_json::json!([]));
    assert_eq!(ruleset(), before);
    // A tagged domain with a reservation (no lease needed): vnet-vm prune --tag takes its forward.
    let (vm2, tag) = (lab.domain("fwd"), lab.name("t"));
    let mac = "52:54:00:fa:17:8e";
    sh_ok(&format!(
        "virsh net-update {net} add ip-dhcp-host \"<host mac='{mac}' ip='192.168.178.60'/>\" --live --config"
    ));
    vnet(
        "vnet-vm",
        &[
            "install",
            "--name",
            &vm2,
            "--memory",
            "256",
            "--network",
            &format!("network={net},mac={mac}"),
            "--disk",
            "none",
            "--location",
            &iso.to_string_lossy(),
            "--extra-args",
            "console=ttyS0",
            "--tag",
            &tag,
            "--noautoconsole",
        ],
    )
    .ok();
    let out = add(&[&net, "--proto", "tcp", "--port", "8801", "--to-domain", &vm2]);
    assert_eq!(out["to_ip"], "192.168.178.60");
    // --exist-ok (issue 21's rule): the same forward to the domain's address is "changed": false;
    // a forward of that port to another address is exit 4 naming both, nothing changed.
    let again = add(&[
        &net,
        "--proto",
        "tcp",
        "--port",
        "8801",
        "--to-domain",
        &vm2,
        "--exist-ok",
    ]);
    assert_eq!(again["changed"], false);
    del_on_drop(&lab, &net, "8802");
    add(&[&net, "--proto", "tcp", "--port", "8802", "--to", "192.168.178.61"]);
    let forwards = || vnet("vnet-net", &["forward", "list", &net]).ok().stdout;
    assert_unchanged(forwards, || {
        vnet(
            "vnet-net",
            &[
                "forward",
                "add",
                &net,
                "--proto",
                "tcp",
                "--port",
                "8802",
                "--to-domain",
                &vm2,
                "--exist-ok",
            ],
        )
        .fails(4, "is forwarded to 192.168.178.61, but domain");
    });
    del(&net, "tcp", "8802");
    vnet("vnet-vm", &["prune", "--tag", &tag]).ok();
    assert_eq!(
        vnet("vnet-net", &["forward", "list", &net]).ok().json(),
        serde_json::json!([])
    );
    assert_eq!(ruleset(), before);
}
