//! End-to-end tests of `vnet-ns tunnel add|change|del|show` (ip tunnel's grammar) on this machine's
//! kernel, which has none of the tunnel modules: every mode is exit 6 naming its module, every bad
//! word exit 7 (or 3, 4) before anything changes, and show lists no tunnels, as ip -d -j link
//! says. The tunnels themselves are proved in the guest kit's kernel (tests/guest/link-kinds-proof,
//! part g).

use vnet_tests::*;

#[test]
fn tunnel_modes_name_the_module_this_kernel_lacks() {
    let lab = lab!();
    let n = lab.netns("tn");
    ns(&["add", &n]).ok();
    sh_ok(&format!(
        "ip -n {n} link add eth0 type veth peer name eth1 && ip -n {n} link set eth0 up && \
         ip -n {n} addr add 192.168.55.1/24 dev eth0"
    ));
    for (mode, module) in [
        ("gre", "ip_gre"),
        ("gre/ip", "ip_gre"),
        ("ipip", "module ipip"),
        ("sit", "module sit"),
        ("ip6ip6", "ip6_tunnel"),
        ("any", "ip6_tunnel"),
        ("ip6gre", "ip6_gre"),
    ] {
        let remote = if ["ip6ip6", "any", "ip6gre"].contains(&mode) {
            "fd00::2"
        } else {
            "192.168.55.2"
        };
        assert_unchanged(state_snapshot, || {
            let run = ns(&[
                "-n", &n, "tunnel", "add", "t0", "mode", mode, "remote", remote, "ttl", "64", "dev", "eth0",
            ])
            .fails(6, module);
            assert!(run.stderr.contains("hint: load it with 'modprobe"), "{run:?}");
        });
    }
    // show lists the tunnels of the namespace: here none, as ip -d -j link has no tunnel kind.
    let shown = ns(&["-n", &n, "tunnel", "show"]).ok().json();
    assert_eq!(shown, serde_json::json!([]));
    let kinds = sh_ok(&format!(
        "ip -n {n} -d -j link show | jq -c '[.[].linkinfo.info_kind]'"
    ));
    assert!(
        !kinds.contains("gre") && !kinds.contains("ipip") && !kinds.contains("sit"),
        "{kinds}"
    );
    // ip's spellings of the object: tunl, and the global -n.
    assert_eq!(ns(&["-n", &n, "tunl", "show"]).ok().json(), serde_json::json!([]));
    let deleted = ns(&["-n", &n, "tunnel", "del", "t0", "--missing-ok"]).ok().json();
    assert_eq!(deleted["changed"], false);
}

#[test]
fn bad_tunnel_input_changes_nothing() {
    let lab = lab!();
    let n = lab.netns("tb");
    ns(&["add", &n]).ok();
    sh_ok(&format!(
        "ip -n {n} link add eth0 type veth peer name eth1 && ip -n {n} link set eth0 up"
    ));
    let add = |words: &[&'static str]| {
        let mut line = vec!["tunnel", "add", "t0"];
        line.extend_from_slice(words);
        line
    };
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (add(&["mode", "frob"]), 7, "unknown mode 'frob'"),
        (
            add(&["mode", "vti", "remote", "10.0.0.2"]),
            7,
            "mode vti is not supported",
        ),
        (add(&["mode", "isatap"]), 7, "mode isatap is not supported"),
        (add(&["remote", "10.0.0.2"]), 2, "give mode MODE"),
        (add(&["mode", "gre", "remote", "10.0.0"]), 7, "invalid address"),
        (
            add(&["mode", "gre", "remote", "10.0.0.2", "ttl", "300"]),
            7,
            "invalid ttl",
        ),
        (
            add(&["mode", "gre", "remote", "10.0.0.2", "ikey", "1", "okey", "2"]),
            7,
            "ikey and okey",
        ),
        (
            add(&["mode", "gre", "remote", "10.0.0.2", "tos", "10"]),
            7,
            "not supported",
        ),
        (
            add(&["mode", "gre", "remote", "10.0.0.2", "nopmtudisc"]),
            7,
            "not supported",
        ),
        (
            add(&["mode", "gre", "remote", "10.0.0.2", "dev", "nosuch0"]),
            3,
            "not found",
        ),
        (add(&["mode", "gre", "remote", "fd00::2"]), 7, ""),
        (
            vec!["tunnel", "add", "eth0", "mode", "gre", "remote", "10.0.0.2"],
            4,
            "exists",
        ),
        (vec!["tunnel", "add", "bad/name", "mode", "gre"], 7, "invalid"),
        (
            vec!["tunnel", "del", "eth0"],
            7,
            "'eth0' is not an IP tunnel (it is veth)",
        ),
        (vec!["tunnel", "del", "nosuch0"], 3, "not found"),
        (vec!["tunnel", "show", "nosuch0"], 3, "not found"),
        (vec!["tunnel", "change", "t0", "ttl", "9"], 3, "not found"),
        (
            vec!["tunnel", "change", "eth0", "ttl", "9"],
            7,
            "'eth0' is not an IP tunnel",
        ),
        (vec!["tunnel", "change", "eth0", "ttl", "300"], 7, ""),
        (vec!["tunnel", "prl"], 7, "not supported"),
    ];
    for (args, code, needle) in cases {
        let mut line = vec!["-n", n.as_str()];
        line.extend(args);
        assert_unchanged(state_snapshot, || {
            ns(&line).fails(code, needle);
        });
    }
}
