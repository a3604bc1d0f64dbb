//! End-to-end tests of issue 10's loose ends: the read verbs on vnet-common's fast path print what
//! the classic tools print (`tc qdisc show`, `ip route show`, `ip -j addr`), and netem proved on a
//! kernel that has it: tests/guest/netem-proof boots the guest kit's Debian kernel (sch_netem as a
//! module) under QEMU and measures the delay with ping there (this machine's kernel has no netem).

use serde_json::Value;
use std::path::Path;
use vnet_tests::*;

/// `qdisc show -o text` is `tc qdisc show`, for every link and for one (`dev IF`, where tc leaves
/// out "dev IF"); `route show -o text` is `ip route show`; `show NS` lists what `ip -j addr` lists.
#[test]
fn fast_read_verbs_print_what_the_classic_tools_print() {
    let lab = lab!();
    let (a, b, netns) = (lab.link("qa"), lab.link("qb"), lab.netns("Q"));
    ns(&["add", &netns]).ok();
    ns(&[
        "veth",
        &a,
        &b,
        "-n",
        &netns,
        "--addr",
        "10.61.0.1/24",
        "--peer-addr",
        "10.61.0.2/24",
    ])
    .ok();
    ns(&[
        "-n",
        &netns,
        "route",
        "add",
        "10.62.0.0/16",
        "via",
        "10.61.0.2",
        "metric",
        "20",
    ])
    .ok();
    let tc = |args: &str| sh_ok(&format!("ip netns exec {netns} tc qdisc show {args}"));
    assert_eq!(
        ns(&["-n", &netns, "qdisc", "show", "-o", "text"]).ok().stdout,
        tc("")
    );
    assert_eq!(
        ns(&["-n", &netns, "qdisc", "show", "dev", &a, "-o", "text"])
            .ok()
            .stdout,
        tc(&format!("dev {a}"))
    );
    let shown = ns(&["-n", &netns, "qdisc", "show"]).ok().json();
    let oracle: Value =
        serde_json::from_str(&sh_ok(&format!("ip netns exec {netns} tc -j qdisc show"))).unwrap();
    assert_eq!(shown.as_array().unwrap().len(), oracle.as_array().unwrap().len());
    for (ours, theirs) in shown.as_array().unwrap().iter().zip(oracle.as_array().unwrap()) {
        assert_eq!(ours["kind"], theirs["kind"]);
        assert_eq!(ours["refcnt"], theirs["refcnt"]);
    }
    assert_eq!(
        ns(&["-n", &netns, "route", "show", "-o", "text"]).ok().stdout,
        sh_ok(&format!("ip -n {netns} route show"))
    );
    // show reads the link dump raw: every field against ip -d -j addr, a bridge port among them.
    sh_ok(&format!(
        "ip -n {netns} link add qbr type bridge && ip -n {netns} link set {b} master qbr && \
         ip -n {netns} link set qbr up && ip -n {netns} addr add 10.63.0.1/24 dev qbr"
    ));
    let links = ns(&["show", &netns]).ok().json();
    let oracle: Value = serde_json::from_str(&sh_ok(&format!("ip -n {netns} -d -j addr"))).unwrap();
    let oracle = oracle.as_array().unwrap();
    assert_eq!(links.as_array().unwrap().len(), oracle.len());
    for (ours, theirs) in links.as_array().unwrap().iter().zip(oracle) {
        let name = theirs["ifname"].as_str().unwrap();
        assert_eq!(ours["name"], theirs["ifname"]);
        assert_eq!(ours["index"], theirs["ifindex"], "{name}");
        assert_eq!(ours["mtu"], theirs["mtu"], "{name}");
        assert_eq!(ours["mac"], theirs["address"], "{name}");
        assert_eq!(ours["state"], theirs["operstate"], "{name}");
        let master = theirs.get("master").cloned().unwrap_or(Value::Null);
        assert_eq!(ours["master"], master, "{name}");
        assert_eq!(ours["kind"], theirs["linkinfo"]["info_kind"], "{name}");
        let up = theirs["flags"].as_array().unwrap().iter().any(|f| f == "UP");
        assert_eq!(ours["up"], up, "{name}");
        let addrs: Vec<String> = theirs["addr_info"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| format!("{}/{}", a["local"].as_str().unwrap(), a["prefixlen"]))
            .collect();
        assert_eq!(ours["addresses"], serde_json::json!(addrs), "{name}");
    }
    // A missing link in `qdisc show dev` is exit 3 on the fast path as on the slow one.
    ns(&["-n", &netns, "qdisc", "show", "dev", "nosuch0"]).fails(3, "not found");
}

/// netem end to end in the guest kit's kernel: delay 100ms measured with ping, tc agrees, del
/// restores the RTT (tests/guest/netem-proof; about 15 s under TCG).
#[test]
fn netem_proof_in_the_guest_kit() {
    if !privileged("netem_proof_in_the_guest_kit") {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("guest/netem-proof");
    let bin = bin_dir().join("vnet-ns");
    let out = std::process::Command::new(&script).arg(&bin).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "netem-proof failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "PROOF ok: RTT with netem delay 100ms at least 100 ms",
        "PROOF ok: qdisc show agrees with tc -j qdisc show",
        "PROOF ok: RTT after qdisc del under 50 ms",
    ] {
        assert!(stdout.contains(needle), "no '{needle}' in:\n{stdout}");
    }
}
