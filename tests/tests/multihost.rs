//! More than one host (issue 13): VXLAN ports joining bridges of several "hosts" (network
//! namespaces) at layer 2, with head-end replication; and remote libvirt against a second libvirtd
//! in its own network and mount namespace (tests/second-host), reached over a veth.

use serde_json::{json, Value};
use vnet_tests::*;

/// `bridge -j ARGS` inside namespace `ns`, parsed.
fn bridge_json(ns: &str, args: &str) -> Value {
    let out = sh_ok(&format!("ip netns exec {ns} bridge -j {args}"));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bridge -j {args}: {e}: {out}"))
}

fn link_json(ns: &str, name: &str) -> Value {
    let out = sh_ok(&format!("ip -n {ns} -d -j link show {name}"));
    let v: Value = serde_json::from_str(&out).unwrap();
    v[0].clone()
}

/// A "host": a namespace with a bridge `br` holding a VXLAN port, and a guest namespace behind a
/// veth on that bridge with `guest_ip`.
struct Host {
    ns: String,
    guest: String,
    bridge: String,
}

/// Hosts `n` namespaces on one underlay switch (a bridge in the sandbox's namespace), underlay
/// addresses 10.77.0.(i+1)/24; each gets a bridge and a guest at 192.168.77.(i+1)/24.
fn hosts(lab: &Lab, n: usize) -> (Vec<Host>, Vec<String>) {
    let switch = lab.link("sw");
    sh_ok(&format!(
        "ip link add {switch} type bridge && ip link set {switch} up"
    ));
    let mut hosts = vec![];
    let mut underlay = vec![];
    for i in 0..n {
        let ns = lab.netns("h");
        let guest = lab.netns("g");
        let up = lab.link("u");
        let bridge = lab.name("br");
        let gv = lab.name("gv");
        let addr = format!("10.77.0.{}", i + 1);
        sh_ok(&format!(
            "ip netns add {ns} && ip netns add {guest} && ip -n {ns} link set lo up && \
             ip link add {up} type veth peer name eth0 netns {ns} && ip link set {up} master {switch} up && \
             ip -n {ns} addr add {addr}/24 dev eth0 && ip -n {ns} link set eth0 up && \
             ip -n {ns} link add {gv} type veth peer name eth0 netns {guest} && \
             ip -n {guest} addr add 192.168.77.{}/24 dev eth0 && ip -n {guest} link set eth0 up && \
             ip -n {guest} link set lo up",
            i + 1
        ));
        br(&["-n", &ns, "addbr", &bridge, "--up"]).ok();
        br(&["-n", &ns, "addif", &bridge, &gv, "--up"]).ok();
        hosts.push(Host { ns, guest, bridge });
        underlay.push(addr);
    }
    (hosts, underlay)
}

fn ping(from: &str, to: &str) -> Run {
    sh(&format!("ip netns exec {from} ping -c 2 -i 0.2 -W 2 {to}"))
}

#[test]
fn vxlan_joins_two_hosts_at_layer_2() {
    let lab = lab!();
    let (hosts, underlay) = hosts(&lab, 2);
    for (i, host) in hosts.iter().enumerate() {
        let remote = &underlay[1 - i];
        let out = br(&[
            "-n",
            &host.ns,
            "addvxlan",
            &host.bridge,
            "vx0",
            "--vni",
            "4242",
            "--remote",
            remote,
            "--local",
            &underlay[i],
            "--dev",
            "eth0",
        ])
        .ok()
        .json();
        assert_eq!(out["changed"], true);
        assert_eq!(out["mtu"], 1450, "1500 minus 50 bytes of VXLAN over IPv4: {out}");
        assert_eq!(out["underlay"], "eth0");
        // The oracle: ip -d -j link.
        let link = link_json(&host.ns, "vx0");
        let data = &link["linkinfo"]["info_data"];
        assert_eq!(data["id"], 4242);
        assert_eq!(data["remote"], remote.as_str());
        assert_eq!(data["port"], 4789);
        assert_eq!(data["local"], underlay[i].as_str());
        assert_eq!(link["mtu"], 1450);
        assert_eq!(link["master"], host.bridge.as_str());
        assert!(link["flags"].as_array().unwrap().contains(&json!("UP")));
    }
    // Idempotent with --exist-ok; exit 4 without.
    let again = br(&[
        "-n",
        &hosts[0].ns,
        "addvxlan",
        &hosts[0].bridge,
        "vx0",
        "--vni",
        "4242",
        "--remote",
        &underlay[1],
        "--exist-ok",
    ])
    .ok()
    .json();
    assert_eq!(again["changed"], false);
    br(&[
        "-n",
        &hosts[0].ns,
        "addvxlan",
        &hosts[0].bridge,
        "vx0",
        "--id",
        "4242",
        "--remote",
        &underlay[1],
    ])
    .fails(4, "exists");
    // The guests behind the two bridges reach each other across the tunnel.
    ping(&hosts[0].guest, "192.168.77.2").ok();
    ping(&hosts[1].guest, "192.168.77.1").ok();
    // show lists the VXLAN port with its VNI and remote; -o text stays brctl's layout.
    let shown = br(&["-n", &hosts[0].ns, "show", &hosts[0].bridge]).ok().json();
    let port = shown[0]["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "vx0")
        .unwrap()
        .clone();
    assert_eq!(port["vxlan"]["vni"], 4242);
    assert_eq!(port["vxlan"]["remotes"], json!([underlay[1]]));
    let text = br(&["-n", &hosts[0].ns, "show", &hosts[0].bridge, "-o", "text"])
        .ok()
        .stdout;
    let brctl_like = format!(
        "bridge name\tbridge id\t\tSTP enabled\tinterfaces\n{}\t\t",
        hosts[0].bridge
    );
    assert!(text.starts_with(&brctl_like), "{text}");
    assert!(text.contains("\tvx0\n"), "{text}");
    // delvxlan: gone (ip link), the ping stops, --missing-ok then succeeds unchanged.
    let del = br(&["-n", &hosts[1].ns, "delvxlan", &hosts[1].bridge, "vx0"])
        .ok()
        .json();
    assert_eq!(del["changed"], true);
    assert!(sh(&format!("ip -n {} link show vx0", hosts[1].ns)).code != 0);
    assert!(ping(&hosts[0].guest, "192.168.77.2").code != 0);
    let del = br(&[
        "-n",
        &hosts[1].ns,
        "delvxlan",
        &hosts[1].bridge,
        "vx0",
        "--missing-ok",
    ])
    .ok()
    .json();
    assert_eq!(del["changed"], false);
    br(&["-n", &hosts[1].ns, "delvxlan", &hosts[1].bridge, "vx0"]).fails(3, "not found");
}

#[test]
fn vxlan_mtu_follows_the_underlay() {
    let lab = lab!();
    let (hosts, underlay) = hosts(&lab, 1);
    let h = &hosts[0];
    sh_ok(&format!("ip -n {} link set eth0 mtu 9000", h.ns));
    // No --dev: the underlay is the interface holding --local.
    let out = br(&[
        "-n",
        &h.ns,
        "addvxlan",
        &h.bridge,
        "vx4",
        "--vni",
        "7",
        "--remote",
        "10.77.0.9",
        "--local",
        &underlay[0],
    ])
    .ok()
    .json();
    assert_eq!(out["mtu"], 8950);
    assert_eq!(link_json(&h.ns, "vx4")["mtu"], 8950);
    // No --dev nor --local: the route to the remote.
    let out = br(&[
        "-n",
        &h.ns,
        "addvxlan",
        &h.bridge,
        "vx5",
        "--vni",
        "8",
        "--remote",
        "10.77.0.9",
    ])
    .ok()
    .json();
    assert_eq!(
        (out["mtu"].clone(), out["underlay"].clone()),
        (json!(8950), json!("eth0"))
    );
    // IPv6 underlay: 70 bytes.
    sh_ok(&format!("ip -n {} addr add fd77::1/64 dev eth0 nodad", h.ns));
    let out = br(&[
        "-n", &h.ns, "addvxlan", &h.bridge, "vx6", "--vni", "9", "--remote", "fd77::9", "--dev", "eth0",
    ])
    .ok()
    .json();
    assert_eq!(out["mtu"], 8930);
    assert_eq!(
        link_json(&h.ns, "vx6")["linkinfo"]["info_data"]["remote6"],
        "fd77::9"
    );
    // Given: taken as it is; --dstport spelling.
    let out = br(&[
        "-n",
        &h.ns,
        "addvxlan",
        &h.bridge,
        "vx7",
        "--vni",
        "10",
        "--remote",
        "10.77.0.9",
        "--dev",
        "eth0",
        "--mtu",
        "1400",
        "--dstport",
        "8472",
    ])
    .ok()
    .json();
    assert_eq!(out["mtu"], 1400);
    let link = link_json(&h.ns, "vx7");
    assert_eq!(
        (link["mtu"].clone(), link["linkinfo"]["info_data"]["port"].clone()),
        (json!(1400), json!(8472))
    );
    // A multicast group with its --dev.
    br(&[
        "-n",
        &h.ns,
        "addvxlan",
        &h.bridge,
        "vx8",
        "--vni",
        "11",
        "--group",
        "239.1.1.77",
        "--dev",
        "eth0",
    ])
    .ok();
    assert_eq!(
        link_json(&h.ns, "vx8")["linkinfo"]["info_data"]["group"],
        "239.1.1.77"
    );
}

#[test]
fn vxlan_bad_input_changes_nothing() {
    let lab = lab!();
    let (hosts, _) = hosts(&lab, 1);
    let h = &hosts[0];
    br(&[
        "-n",
        &h.ns,
        "addvxlan",
        &h.bridge,
        "vx0",
        "--vni",
        "5",
        "--remote",
        "10.77.0.2",
        "--dev",
        "eth0",
    ])
    .ok();
    let n = h.ns.as_str();
    let b = h.bridge.as_str();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["addvxlan", b, "vx1", "--vni", "0", "--remote", "10.77.0.2"],
            7,
            "VNI 0",
        ),
        (
            vec!["addvxlan", b, "vx1", "--vni", "16777216", "--remote", "10.77.0.2"],
            7,
            "out of range",
        ),
        (
            vec!["addvxlan", b, "vx1", "--vni", "x1", "--remote", "10.77.0.2"],
            7,
            "invalid VNI",
        ),
        (
            vec!["addvxlan", b, "vx1", "--vni", "6", "--remote", "10.77.0.300"],
            7,
            "invalid --remote",
        ),
        (
            vec!["addvxlan", b, "vx1", "--vni", "6", "--remote", "239.1.1.1"],
            7,
            "not a unicast",
        ),
        (
            vec![
                "addvxlan", b, "vx1", "--vni", "6", "--group", "10.1.1.1", "--dev", "eth0",
            ],
            7,
            "not a multicast",
        ),
        (
            vec!["addvxlan", b, "vx1", "--vni", "6", "--group", "239.1.1.1"],
            7,
            "needs --dev",
        ),
        (
            vec![
                "addvxlan",
                b,
                "vx1",
                "--vni",
                "6",
                "--remote",
                "10.77.0.2",
                "--local",
                "fd00::1",
            ],
            7,
            "families",
        ),
        (
            vec![
                "addvxlan",
                b,
                "vx1",
                "--vni",
                "6",
                "--remote",
                "10.77.0.2",
                "--dev",
                "nosuch0",
            ],
            3,
            "nosuch0",
        ),
        (
            vec![
                "addvxlan",
                b,
                "vx1",
                "--vni",
                "6",
                "--remote",
                "10.77.0.2",
                "--port",
                "0",
            ],
            7,
            "UDP port",
        ),
        (
            vec![
                "addvxlan",
                b,
                "vx1",
                "--vni",
                "6",
                "--remote",
                "10.77.0.2",
                "--dev",
                "eth0",
                "--mtu",
                "1460",
            ],
            7,
            "1450",
        ),
        (
            vec![
                "addvxlan",
                b,
                "vx1",
                "--vni",
                "5",
                "--remote",
                "10.77.0.3",
                "--dev",
                "eth0",
            ],
            4,
            "VNI 5",
        ),
        (
            vec!["addvxlan", "nobr0", "vx1", "--vni", "6", "--remote", "10.77.0.2"],
            3,
            "nobr0",
        ),
        (
            vec!["addvxlan", "eth0", "vx1", "--vni", "6", "--remote", "10.77.0.2"],
            7,
            "not a bridge",
        ),
        (
            vec![
                "addvxlan",
                b,
                "vx0",
                "--vni",
                "6",
                "--remote",
                "10.77.0.2",
                "--exist-ok",
            ],
            4,
            "exists",
        ),
        (
            vec![
                "addvxlan",
                b,
                "vx0123456789abcd",
                "--vni",
                "6",
                "--remote",
                "10.77.0.2",
            ],
            7,
            "vx0123456789abcd",
        ),
        (vec!["delvxlan", b, "eth0"], 7, "not a VXLAN"),
        (vec!["delvxlan", b, "nosuch0"], 3, "nosuch0"),
        (
            vec![
                "fdb",
                "append",
                "00:00:00:00:00",
                "dev",
                "vx0",
                "dst",
                "10.77.0.3",
            ],
            7,
            "MAC",
        ),
        (
            vec![
                "fdb",
                "append",
                "00:00:00:00:00:00",
                "dev",
                "vx0",
                "dst",
                "10.77.0.300",
            ],
            7,
            "dst",
        ),
        (
            vec![
                "fdb",
                "append",
                "00:00:00:00:00:00",
                "dev",
                "nosuch0",
                "dst",
                "10.77.0.3",
            ],
            3,
            "nosuch0",
        ),
        // `fdb append ... dev eth0 dst IP` (not VXLAN) goes to the kernel as bridge(8) sends it:
        // tests/tests/bridge_mdb.rs holds it to bridge's own answer.
        (
            vec![
                "fdb",
                "append",
                "00:00:00:00:00:00",
                "dev",
                "vx0",
                "dst",
                "10.77.0.3",
                "vni",
                "0",
            ],
            7,
            "VNI",
        ),
        (
            vec![
                "fdb",
                "add",
                "00:00:00:00:00:00",
                "dev",
                "vx0",
                "dst",
                "10.77.0.2",
            ],
            4,
            "exists",
        ),
        (
            vec![
                "fdb",
                "del",
                "00:00:00:00:00:00",
                "dev",
                "vx0",
                "dst",
                "10.77.0.9",
            ],
            3,
            "no such entry",
        ),
    ];
    let fdb = || bridge_json(n, "fdb show");
    for (args, code, needle) in cases {
        let mut full = vec!["-n", n];
        full.extend(args.iter().copied());
        assert_unchanged(
            || (state_snapshot(), fdb()),
            || {
                br(&full).fails(code, needle);
            },
        );
    }
}

#[test]
fn head_end_replication_joins_three_hosts() {
    let lab = lab!();
    let (hosts, underlay) = hosts(&lab, 3);
    for (i, host) in hosts.iter().enumerate() {
        let others: Vec<&String> = underlay
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, a)| a)
            .collect();
        br(&[
            "-n",
            &host.ns,
            "addvxlan",
            &host.bridge,
            "vx0",
            "--vni",
            "99",
            "--remote",
            others[0],
            "--dev",
            "eth0",
        ])
        .ok();
        let out = br(&[
            "-n",
            &host.ns,
            "fdb",
            "append",
            "00:00:00:00:00:00",
            "dev",
            "vx0",
            "dst",
            others[1],
        ])
        .ok()
        .json();
        assert_eq!(
            (out["changed"].clone(), out["present"].clone()),
            (json!(true), json!(true))
        );
        // Appending it again changes nothing.
        let again = br(&[
            "-n",
            &host.ns,
            "fdb",
            "append",
            "00:00:00:00:00:00",
            "dev",
            "vx0",
            "dst",
            others[1],
        ])
        .ok()
        .json();
        assert_eq!(again["changed"], false);
        // fdb show is bridge -j fdb show (same entries, same fields), and the text is bridge's;
        // compared on the permanent entries (the guests' own traffic adds learned ones any time).
        let permanent = |v: Value| -> Vec<Value> {
            v.as_array()
                .unwrap()
                .iter()
                .filter(|e| e["state"] == "permanent")
                .cloned()
                .collect()
        };
        let ours = br(&["-n", &host.ns, "fdb", "show", "dev", "vx0"]).ok().json();
        assert_eq!(
            permanent(ours),
            permanent(bridge_json(&host.ns, "fdb show dev vx0"))
        );
        let all = br(&["-n", &host.ns, "fdb", "show", "br", &host.bridge])
            .ok()
            .json();
        let theirs = bridge_json(&host.ns, &format!("fdb show br {}", host.bridge));
        assert_eq!(permanent(all), permanent(theirs));
        let lines = |t: String| -> Vec<String> {
            t.lines()
                .filter(|l| l.ends_with(" permanent"))
                .map(String::from)
                .collect()
        };
        let text = br(&["-n", &host.ns, "fdb", "show", "dev", "vx0", "-o", "text"])
            .ok()
            .stdout;
        let classic = sh_ok(&format!("ip netns exec {} bridge fdb show dev vx0", host.ns));
        assert_eq!(lines(text), lines(classic));
        let dsts: Vec<Value> = bridge_json(&host.ns, "fdb show dev vx0")
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["mac"] == "00:00:00:00:00:00")
            .map(|e| e["dst"].clone())
            .collect();
        assert_eq!(dsts, vec![json!(others[0]), json!(others[1])]);
        let shown = br(&["-n", &host.ns, "show", &host.bridge]).ok().json();
        let vx = shown[0]["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "vx0")
            .unwrap()
            .clone();
        assert_eq!(vx["vxlan"]["remotes"], json!([others[0], others[1]]));
    }
    for (i, host) in hosts.iter().enumerate() {
        for j in 0..3 {
            if i != j {
                ping(&host.guest, &format!("192.168.77.{}", j + 1)).ok();
            }
        }
    }
    // Removing host 1's flood entry to host 3 (and the learned MACs) cuts 1 -> 3 only.
    let h = &hosts[0];
    let out = br(&[
        "-n",
        &h.ns,
        "fdb",
        "del",
        "00:00:00:00:00:00",
        "dev",
        "vx0",
        "dst",
        &underlay[2],
    ])
    .ok()
    .json();
    assert_eq!(
        (out["changed"].clone(), out["present"].clone()),
        (json!(true), json!(false))
    );
    let left: Vec<Value> = bridge_json(&h.ns, "fdb show dev vx0")
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["mac"] == "00:00:00:00:00:00")
        .map(|e| e["dst"].clone())
        .collect();
    assert_eq!(left, vec![json!(underlay[1])]);
    let out = br(&[
        "-n",
        &h.ns,
        "fdb",
        "del",
        "00:00:00:00:00:00",
        "dev",
        "vx0",
        "dst",
        &underlay[2],
        "--missing-ok",
    ])
    .ok()
    .json();
    assert_eq!(out["changed"], false);
}

#[test]
fn vxlan_batch_atomic_undoes_the_port_and_entries() {
    let lab = lab!();
    let (hosts, _) = hosts(&lab, 1);
    let h = &hosts[0];
    let script = format!(
        "addvxlan {b} vx0 --vni 77 --remote 10.77.0.2 --dev eth0\n\
         fdb append 00:00:00:00:00:00 dev vx0 dst 10.77.0.3\n\
         addvxlan {b} vx1 --vni 0 --remote 10.77.0.2\n",
        b = h.bridge
    );
    assert_unchanged(state_snapshot, || {
        let run = vnet_tests::vnet_stdin("vnet-bridge", &["-n", &h.ns, "--batch", "-", "--atomic"], &script);
        assert_eq!(run.code, 7, "{run:?}");
        run.records();
    });
}

/// A second libvirt host (tests/second-host) for this test, stopped when the lab ends.
struct SecondHost {
    name: String,
    uri: String,
}

fn second_host_script() -> String {
    format!("{}/second-host", env!("CARGO_MANIFEST_DIR"))
}

/// Starts a second host on 10.(net).0.2, the sandbox side being 10.(net).0.1.
fn second_host(lab: &Lab, net: u8) -> SecondHost {
    let name = lab.name("rh");
    let script = second_host_script();
    lab.on_drop(format!("{script} stop {name}"));
    let uri = sh_ok(&format!("{script} start {name} 10.{net}.0.2 10.{net}.0.1"))
        .trim()
        .to_string();
    assert_eq!(uri, format!("qemu+tcp://10.{net}.0.2/system"));
    SecondHost { name, uri }
}

impl SecondHost {
    /// Runs a shell line on that host (its own /run, /var/lib/libvirt, network).
    fn sh(&self, script: &str) -> Run {
        sh(&format!(
            "{} exec {} bash -c {}",
            second_host_script(),
            self.name,
            shell_quote(script)
        ))
    }

    fn sh_ok(&self, script: &str) -> String {
        let run = self.sh(script);
        assert_eq!(run.code, 0, "on {}: `{script}` failed: {run:?}", self.name);
        run.stdout
    }

    fn virsh(&self, args: &str) -> String {
        sh_ok(&format!("virsh -c {} {args}", self.uri))
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A domain that boots a kernel and initrd from /var/lib/libvirt/boot (named as install names its
/// copies) and has `disks`, defined with virsh (the oracle) on `uri`.
fn define_boot_domain(uri: &str, name: &str, disks: &[&str]) {
    let disks: String = disks
        .iter()
        .map(|d| format!("<disk type='file' device='disk'><source file='{d}'/><target dev='vd{}' bus='virtio'/></disk>", (b'a' + d.len() as u8 % 20) as char))
        .collect();
    let xml = format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type>\
         <kernel>/var/lib/libvirt/boot/vnet-{name}-vmlinuz</kernel><initrd>/var/lib/libvirt/boot/vnet-{name}-initrd.gz</initrd></os>\
         <devices>{disks}</devices></domain>"
    );
    let file = format!("/tmp/{name}.xml");
    std::fs::write(&file, xml).unwrap();
    sh_ok(&format!("virsh -c {uri} define {file} && rm -f {file}"));
}

#[test]
fn remote_undefine_removes_only_remote_storage() {
    let lab = lab!();
    let host = second_host(&lab, 91);
    let name = lab.domain("twin");
    lab.on_drop(format!("rm -f /var/lib/libvirt/boot/vnet-{name}-*"));
    // Here: a domain of the same name whose kernel copies are files on this machine.
    sh_ok(&format!(
        "echo local-kernel > /var/lib/libvirt/boot/vnet-{name}-vmlinuz && echo local-initrd > /var/lib/libvirt/boot/vnet-{name}-initrd.gz"
    ));
    define_boot_domain("qemu:///system", &name, &[]);
    // There: the same paths, a disk volume in a pool, and a disk file in a folder with no pool.
    host.sh_ok(&format!(
        "echo remote-kernel > /var/lib/libvirt/boot/vnet-{name}-vmlinuz && echo remote-initrd > /var/lib/libvirt/boot/vnet-{name}-initrd.gz && \
         mkdir -p /srv/nopool && truncate -s 1M /srv/nopool/{name}.img"
    ));
    host.virsh("pool-create-as rpool dir --target /var/lib/libvirt/images");
    host.virsh(&format!("vol-create-as rpool {name}.qcow2 1M --format qcow2"));
    let vol = format!("/var/lib/libvirt/images/{name}.qcow2");
    let loose = format!("/srv/nopool/{name}.img");
    define_boot_domain(&host.uri, &name, &[&vol, &loose]);

    let out = vnet(
        "vnet-vm",
        &["-c", &host.uri, "undefine", &name, "--remove-all-storage"],
    )
    .ok()
    .json();
    assert_eq!(out["changed"], true);
    assert_eq!(out["removed_volumes"], json!([vol]));
    assert_eq!(
        out["removed_files"],
        json!([
            format!("/var/lib/libvirt/boot/vnet-{name}-vmlinuz"),
            format!("/var/lib/libvirt/boot/vnet-{name}-initrd.gz")
        ])
    );
    assert_eq!(out["not_removed"][0]["path"], loose.as_str());
    // The remote host: domain, volume and kernel copies gone; the loose file kept.
    assert!(!host.virsh("list --all --name").contains(&name));
    let left = host.sh_ok(&format!(
        "ls /var/lib/libvirt/boot /var/lib/libvirt/images; ls {loose}"
    ));
    assert!(!left.contains(&format!("vnet-{name}")), "{left}");
    assert!(!left.contains(&format!("{name}.qcow2")), "{left}");
    assert!(left.contains(&loose), "{left}");
    // This machine: the same-named domain and its kernel copies untouched.
    assert!(sh_ok("virsh list --all --name").contains(&name));
    assert_eq!(
        sh_ok(&format!("cat /var/lib/libvirt/boot/vnet-{name}-vmlinuz")),
        "local-kernel\n"
    );
    assert_eq!(
        sh_ok(&format!("cat /var/lib/libvirt/boot/vnet-{name}-initrd.gz")),
        "local-initrd\n"
    );
    // No scratch pool left behind on the remote host.
    assert!(!host.virsh("pool-list --all --name").contains("vnet-boot-scratch"));
    // Locally, the same verb removes the local copies (through libvirt too).
    let out = vnet("vnet-vm", &["undefine", &name, "--remove-all-storage"])
        .ok()
        .json();
    assert_eq!(out["removed_files"].as_array().unwrap().len(), 2, "{out}");
    assert!(!std::path::Path::new(&format!("/var/lib/libvirt/boot/vnet-{name}-vmlinuz")).exists());
}

#[test]
fn network_verbs_and_doctor_against_a_second_host() {
    let lab = lab!();
    let host = second_host(&lab, 92);
    let net = |args: &[&str]| vnet("vnet-net", &[&["-c", host.uri.as_str()], args].concat());
    // The network verbs: list, define and start a network there; its bridge is on that host.
    let listed = net(&["list", "--all"]).ok().json();
    assert!(
        listed.as_array().unwrap().iter().any(|n| n["name"] == "default"),
        "{listed}"
    );
    let (name, bridge) = (lab.name("rnet"), lab.name("rbr"));
    let out = net(&[
        "define",
        "--name",
        &name,
        "--mode",
        "isolated",
        "--bridge",
        &bridge,
        "--ip",
        "192.168.150.1/24",
        "--dhcp-range",
        "192.168.150.10,192.168.150.20",
        "--start",
    ])
    .ok()
    .json();
    assert_eq!(out["changed"], true);
    assert!(host
        .virsh(&format!("net-info {name}"))
        .contains("Active:         yes"));
    assert!(
        sh(&format!("ip -n {} link show {bridge}", host.name)).code == 0,
        "bridge on the remote host"
    );
    assert!(sh(&format!("ip link show {bridge}")).code != 0, "no bridge here");
    let info = net(&["info", &name]).ok().json();
    assert_eq!(info["bridge"], bridge.as_str());
    // A local route over the same subnet: a remote doctor must not compare the two machines.
    let (veth, peer) = (lab.link("lov"), lab.link("lov"));
    sh_ok(&format!(
        "ip link add {veth} type veth peer name {peer} && ip addr add 192.168.150.7/24 dev {veth} && ip link set {veth} up"
    ));
    let checks = net(&["doctor"]).ok().json();
    let remote = "10.92.0.2";
    for c in checks.as_array().unwrap() {
        assert_eq!(c["host"], remote, "{c}");
    }
    for n in ["ip_forward", "dnsmasq", "firewall"] {
        let c = check_of(&checks, n);
        assert_eq!(
            (c["checked"].clone(), c["ok"].clone()),
            (json!(false), json!(true)),
            "{c}"
        );
        assert!(
            c["detail"].as_str().unwrap().starts_with("not checked (remote)"),
            "{c}"
        );
    }
    for n in ["libvirtd", "default_network", "kvm", "subnet_overlap", "node"] {
        assert_eq!(check_of(&checks, n)["checked"], true, "{n}");
    }
    assert!(check_of(&checks, "libvirtd")["detail"]
        .as_str()
        .unwrap()
        .contains(remote));
    let overlap = check_of(&checks, "subnet_overlap");
    assert_eq!(
        overlap["ok"], true,
        "remote networks against local routes: {overlap}"
    );
    let text = net(&["doctor", "-o", "text"]).ok().stdout;
    assert!(text.contains("skip  ip_forward: not checked (remote)"), "{text}");
    // The same doctor here: every check local, and the local route is compared with local networks.
    let local = vnet("vnet-net", &["doctor"]).ok().json();
    for c in local.as_array().unwrap() {
        assert_eq!(
            (c["host"].clone(), c["checked"].clone()),
            (json!("local"), json!(true)),
            "{c}"
        );
    }
    net(&["destroy", &name]).ok();
    net(&["undefine", &name]).ok();
    assert!(!host.virsh("net-list --all --name").contains(&name));
}

#[test]
fn remote_install_boots_an_uploaded_kernel_with_console_and_leases() {
    let lab = lab!();
    let host = second_host(&lab, 93);
    let vm = |args: &[&str]| vnet("vnet-vm", &[&["-c", host.uri.as_str()], args].concat());
    vnet("vnet-net", &["-c", &host.uri, "start", "default"]).ok();
    // The kit copied where only this machine sees it (the remote host has its own /var/lib/libvirt).
    let local = format!("/var/lib/libvirt/images/{}", lab.name("kit"));
    lab.on_drop(format!("rm -rf {local}"));
    let kit = kit();
    sh_ok(&format!(
        "mkdir -p {local} && cp {k}/vmlinuz {k}/initrd.gz {local}/",
        k = kit.display()
    ));
    assert!(
        host.sh(&format!("ls {local}")).code != 0,
        "the remote host must not see the kit"
    );
    let name = lab.domain("rvm");
    let boot = format!("kernel={local}/vmlinuz,initrd={local}/initrd.gz,kernel_args=console=ttyS0");
    let out = vm(&[
        "install",
        "--name",
        &name,
        "--memory",
        "256",
        "--boot",
        &boot,
        "--disk",
        "none",
        "--network",
        "network=default",
        "--virt-type",
        "qemu",
        "--noautoconsole",
    ])
    .ok()
    .json();
    let kernel = out["boot"]["kernel"].as_str().unwrap().to_string();
    assert_eq!(
        kernel,
        format!("/var/lib/libvirt/boot/vnet-{name}-vmlinuz"),
        "{out}"
    );
    // The oracle: the remote host has the uploads (same bytes), the domain boots them.
    let sums = host.sh_ok(&format!(
        "md5sum {kernel} /var/lib/libvirt/boot/vnet-{name}-initrd.gz | cut -d' ' -f1"
    ));
    let ours = sh_ok(&format!(
        "md5sum {local}/vmlinuz {local}/initrd.gz | cut -d' ' -f1"
    ));
    assert_eq!(sums, ours);
    assert!(host
        .virsh(&format!("dumpxml {name}"))
        .contains(&format!("<kernel>{kernel}</kernel>")));
    assert!(!std::path::Path::new(&kernel).exists(), "nothing written here");
    // Leases and the console over the URI.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let lease = loop {
        let run = vm(&["domifaddr", &name]).ok();
        if let Some(first) = run.json().as_array().and_then(|a| a.first().cloned()) {
            break first;
        }
        assert!(std::time::Instant::now() < deadline, "no lease for {name}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    let addr = lease["address"]
        .as_str()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    assert!(addr.starts_with("192.168.122."), "{lease}");
    assert!(host.virsh("net-dhcp-leases default").contains(&addr));
    host.sh_ok(&format!("ping -c 1 -W 3 {addr}"));
    let run = vnet_tests::vnet_stdin(
        "vnet-vm",
        &["-c", &host.uri, "console", &name, "--linger", "3"],
        "\necho vnet-$((6*7))\n",
    )
    .ok();
    assert!(run.stdout.contains("vnet-42"), "{run:?}");
    // undefine removes the uploads there (through libvirt), nothing here.
    vm(&["destroy", &name]).ok();
    let gone = vm(&["undefine", &name, "--remove-all-storage"]).ok().json();
    assert_eq!(gone["removed_files"].as_array().unwrap().len(), 2, "{gone}");
    let left = host.sh_ok("ls /var/lib/libvirt/boot");
    assert!(!left.contains(&name), "{left}");
    assert_eq!(sh_ok(&format!("ls {local}")), "initrd.gz\nvmlinuz\n");
}

/// What this machine has of libvirt: files under /var/lib/libvirt, pools, domains (nothing a
/// remote install may touch).
fn local_state() -> String {
    sh_ok("find /var/lib/libvirt | sort; virsh pool-list --all --name; virsh list --all --name")
}

impl SecondHost {
    /// The same on the remote host (its own /var/lib/libvirt, a private tmpfs).
    fn state(&self) -> String {
        self.sh_ok("find /var/lib/libvirt | sort")
            + &self.virsh("pool-list --all --name")
            + &self.virsh("list --all --name")
    }

    fn vm(&self, args: &[&str]) -> Run {
        vnet("vnet-vm", &[&["-c", self.uri.as_str()], args].concat())
    }
}

/// A failure injected after the uploads and pools are made: a bridge the remote host lacks makes
/// the domain's start fail (a remote install cannot look at the target's bridges before it).
const NO_BRIDGE: &str = "bridge=vnetnobr0";

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn md5(run_on: impl Fn(&str) -> String, path: &str) -> String {
    run_on(&format!("md5sum {path} | cut -d' ' -f1"))
}

#[test]
fn remote_cdrom_is_uploaded_or_found_there() {
    let lab = lab!();
    let host = second_host(&lab, 94);
    let iso = format!("/tmp/{}.iso", lab.name("iso"));
    lab.on_drop(format!("rm -f {iso}"));
    sh_ok(&format!("head -c 300000 /dev/urandom > {iso}"));
    let name = lab.domain("rcd");
    let base = |name: &str, cdrom: &str| {
        [
            "install",
            "--name",
            name,
            "--memory",
            "64",
            "--cdrom",
            cdrom,
            "--disk",
            "none",
            "--network",
            "none",
            "--virt-type",
            "qemu",
            "--noautoconsole",
        ]
        .map(String::from)
        .to_vec()
    };
    let local_before = local_state();
    // A local ISO: uploaded into the remote boot directory; the domain uses the upload.
    let out = host.vm(&strs(&base(&name, &iso))).ok().json();
    let uploaded = format!(
        "/var/lib/libvirt/boot/vnet-{name}-{}",
        iso.rsplit('/').next().unwrap()
    );
    assert_eq!(out["boot"]["source"], uploaded.as_str(), "{out}");
    assert_eq!(out["boot"]["uploaded_from"], iso.as_str(), "{out}");
    assert_eq!(md5(|s| host.sh_ok(s), &uploaded), md5(sh_ok, &iso));
    assert!(host.virsh("vol-list vnet-boot-scratch").contains(&uploaded));
    assert!(host
        .virsh(&format!("dumpxml {name}"))
        .contains(&format!("<source file='{uploaded}'")));
    assert_eq!(local_state(), local_before, "nothing local made");
    // undefine --remove-all-storage removes the upload there.
    host.vm(&["destroy", &name]).ok();
    let gone = host.vm(&["undefine", &name, "--remove-all-storage"]).ok().json();
    assert_eq!(gone["removed_files"], json!([uploaded]), "{gone}");
    assert!(!host.sh_ok("ls /var/lib/libvirt/boot").contains(&name));
    // A path that is no file here but one the remote host has (a folder with no pool): used there.
    host.sh_ok("mkdir -p /var/lib/libvirt/isos && head -c 4096 /dev/zero > /var/lib/libvirt/isos/there.iso");
    let there = lab.domain("rcd");
    let out = host
        .vm(&strs(&base(&there, "/var/lib/libvirt/isos/there.iso")))
        .ok()
        .json();
    assert_eq!(out["boot"]["source"], "/var/lib/libvirt/isos/there.iso");
    assert!(out["boot"].get("uploaded_from").is_none(), "{out}");
    assert!(!host.virsh("pool-list --all --name").contains("vnet-probe"));
    host.vm(&["destroy", &there]).ok();
    host.vm(&["undefine", &there]).ok();
    // Neither here nor there: 3, nothing changed; a failure after the upload removes it.
    let remote_before = host.state();
    host.vm(&strs(&base(&name, "/nowhere/x.iso")))
        .fails(3, "nor on the target host");
    let mut failing = base(&name, &iso);
    failing[10] = NO_BRIDGE.into();
    host.vm(&strs(&failing)).fails(1, "");
    assert_eq!(
        host.state(),
        remote_before,
        "the failed install left something there"
    );
    assert_eq!(local_state(), local_before, "nothing local made");
}

#[test]
fn remote_disks_get_a_pool_for_their_folder() {
    let lab = lab!();
    let host = second_host(&lab, 95);
    let name = lab.domain("rdk");
    // A folder only the remote host has, with an image and no pool.
    host.sh_ok(&format!(
        "mkdir -p /var/lib/libvirt/vms && head -c 1048576 /dev/zero > /var/lib/libvirt/vms/{name}.img"
    ));
    assert!(
        !std::path::Path::new("/var/lib/libvirt/vms").exists(),
        "the folder must be remote only"
    );
    let image = format!("/var/lib/libvirt/vms/{name}.img");
    let new = format!("/var/lib/libvirt/vms/{name}-data.qcow2");
    let local_before = local_state();
    let install = |disk2: &str, net: &str| {
        host.vm(&[
            "install",
            "--name",
            &name,
            "--memory",
            "64",
            "--import",
            "--disk",
            &format!("path={image}"),
            "--disk",
            disk2,
            "--network",
            net,
            "--virt-type",
            "qemu",
            "--noautoconsole",
        ])
    };
    // Fails after the pool is made: the pool is rolled back; a missing folder is 3.
    let remote_before = host.state();
    install(&format!("path={new},size=1,format=qcow2"), NO_BRIDGE).fails(1, "");
    install("path=/var/lib/libvirt/none/x.img,size=1", "none").fails(3, "does not exist on the target host");
    install("path=/var/lib/libvirt/vms/missing.img", "none").fails(3, "no such image");
    assert_eq!(
        host.state(),
        remote_before,
        "a failed install left something there"
    );
    // Succeeds: a dir pool for the folder (as virt-install makes), the new volume in it.
    let out = install(&format!("path={new},size=1,format=qcow2"), "none")
        .ok()
        .json();
    assert_eq!(out["disks"][0]["created"], false, "{out}");
    assert_eq!(out["disks"][1]["created"], true, "{out}");
    let pool = out["disks"][0]["pool"].as_str().unwrap().to_string();
    assert_eq!(out["disks"][1]["pool"], pool.as_str());
    assert!(host
        .virsh(&format!("pool-dumpxml {pool}"))
        .contains("<path>/var/lib/libvirt/vms</path>"));
    let vols = host.virsh(&format!("vol-list {pool}"));
    assert!(vols.contains(&image) && vols.contains(&new), "{vols}");
    let xml = host.virsh(&format!("dumpxml {name}"));
    assert!(
        xml.contains(&format!("<source file='{image}'")) && xml.contains(&format!("<source file='{new}'"))
    );
    assert_eq!(local_state(), local_before, "nothing local made");
    // undefine --remove-all-storage finds both through the pool.
    host.vm(&["destroy", &name]).ok();
    let gone = host.vm(&["undefine", &name, "--remove-all-storage"]).ok().json();
    assert_eq!(gone["removed_volumes"], json!([image, new]), "{gone}");
    assert!(!host.sh_ok("ls /var/lib/libvirt/vms").contains(&name));
    host.virsh(&format!("pool-destroy {pool}"));
    host.virsh(&format!("pool-undefine {pool}"));
    assert_eq!(local_state(), local_before, "nothing local touched");
}

#[test]
fn remote_location_uploads_what_it_reads_here() {
    let lab = lab!();
    let host = second_host(&lab, 96);
    let kit = kit();
    // An http:// tree served on this machine's loopback (the remote host cannot reach it) and
    // an install ISO; both are read here, their kernel and initrd uploaded.
    let dir = format!("/tmp/{}", lab.name("tree"));
    lab.on_drop(format!("rm -rf {dir}"));
    sh_ok(&format!(
        "mkdir -p {dir}/web/install {dir}/iso/install && cp {k}/vmlinuz {k}/initrd.gz {dir}/web/install/ && \
         cp {k}/vmlinuz {k}/initrd.gz {dir}/iso/install/ && xorrisofs -quiet -R -J -o {dir}/tree.iso {dir}/iso",
        k = kit.display()
    ));
    let port = 20000 + (std::process::id() + 7) % 20000;
    let pid = sh_ok(&format!(
        "cd {dir}/web && (python3 -m http.server --bind 127.0.0.1 {port} >/dev/null 2>&1 & echo $!)"
    ));
    lab.on_drop(format!("kill {}", pid.trim()));
    let url = format!("http://127.0.0.1:{port}/");
    sh_ok(&format!(
        "for i in $(seq 50); do python3 -c 'import urllib.request,sys; urllib.request.urlopen(sys.argv[1])' {url}install/vmlinuz 2>/dev/null && exit 0; sleep 0.1; done; exit 1"
    ));
    let name = lab.domain("rloc");
    let install = |location: &str, net: &str| {
        host.vm(&[
            "install",
            "--name",
            &name,
            "--memory",
            "64",
            "--location",
            location,
            "--extra-args",
            "console=ttyS0",
            "--disk",
            "none",
            "--network",
            net,
            "--virt-type",
            "qemu",
            "--noautoconsole",
        ])
    };
    let local_before = local_state();
    let remote_before = host.state();
    // A failure after the uploads (from the ISO) removes them there.
    install(&format!("{dir}/tree.iso"), NO_BRIDGE).fails(1, "");
    assert_eq!(
        host.state(),
        remote_before,
        "the failed install left something there"
    );
    assert_eq!(local_state(), local_before, "nothing local made");
    let out = install(&url, "none").ok().json();
    let kernel = format!("/var/lib/libvirt/boot/vnet-{name}-vmlinuz");
    let initrd = format!("/var/lib/libvirt/boot/vnet-{name}-initrd.gz");
    assert_eq!(out["boot"]["kernel"], kernel.as_str(), "{out}");
    assert_eq!(out["boot"]["initrd"], initrd.as_str(), "{out}");
    assert_eq!(
        md5(|s| host.sh_ok(s), &format!("{kernel} {initrd}")),
        md5(
            sh_ok,
            &format!("{}/vmlinuz {}/initrd.gz", kit.display(), kit.display())
        )
    );
    let xml = host.virsh(&format!("dumpxml {name}"));
    assert!(xml.contains(&format!("<kernel>{kernel}</kernel>")), "{xml}");
    assert!(xml.contains("<cmdline>console=ttyS0</cmdline>"), "{xml}");
    assert_eq!(local_state(), local_before, "nothing local made");
    assert!(sh_ok("ls /tmp").lines().all(|l| !l.starts_with("vnet-location-")));
    host.vm(&["destroy", &name]).ok();
    let gone = host.vm(&["undefine", &name, "--remove-all-storage"]).ok().json();
    assert_eq!(gone["removed_files"], json!([kernel, initrd]), "{gone}");
    assert!(!host.sh_ok("ls /var/lib/libvirt/boot").contains(&name));
}
