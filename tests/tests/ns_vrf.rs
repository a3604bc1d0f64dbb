//! End-to-end tests of ip's `vrf NAME` selector on `route get` and `link show` on this machine's
//! kernel, which has no vrf driver: a missing vrf is exit 6 naming the module, a link that is no
//! vrf exit 7, and neither changes anything. The forms themselves are proved against ip -j in the
//! guest kit's kernel (tests/guest/link-kinds-proof, part d).

use vnet_tests::*;

/// The kernel here lacks the vrf driver (DESIGN.md machine facts); the refusals below rely on it.
fn kernel_lacks_vrf() -> bool {
    !std::path::Path::new("/sys/module/vrf").exists()
}

#[test]
fn vrf_selectors_refuse_cleanly_here() {
    let lab = lab!();
    assert!(kernel_lacks_vrf(), "this test expects a kernel without vrf");
    let n = lab.netns("vrf");
    ns(&["add", &n]).ok();
    sh_ok(&format!(
        "ip -n {n} link add va type veth peer name vb && ip -n {n} link set va up && \
         ip -n {n} link set vb up && ip -n {n} addr add 10.73.0.1/24 dev va"
    ));
    // Without vrf the route get and link show forms still answer as ip does.
    let ours = ns(&["-n", &n, "route", "get", "10.73.0.2"]).ok().json();
    let ip = ip_json(&format!("-n {n} route get 10.73.0.2"))[0].clone();
    assert_eq!(ours["dev"], ip["dev"]);
    assert_eq!(ours["prefsrc"], ip["prefsrc"]);
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["route", "get", "10.73.0.2", "vrf", "red"], 6, "module vrf"),
        (vec!["link", "show", "vrf", "red"], 6, "module vrf"),
        (
            vec!["route", "get", "10.73.0.2", "vrf", "va"],
            7,
            "'va' is not a vrf",
        ),
        (vec!["link", "show", "vrf", "va"], 7, "'va' is not a vrf"),
        (vec!["route", "get", "10.73.0.2", "vrf", "a/b"], 7, "invalid"),
        (
            vec!["route", "get", "10.73.0.2", "vrf", "red", "oif", "va"],
            2,
            "cannot be used",
        ),
        (
            vec!["link", "show", "vrf", "red", "master", "va"],
            2,
            "cannot be used",
        ),
        (vec!["route", "show", "vrf", "red"], 6, "module vrf"),
    ];
    for (args, code, needle) in cases {
        let mut line = vec!["-n", n.as_str()];
        line.extend(args);
        assert_unchanged(state_snapshot, || {
            let run = ns(&line).fails(code, needle);
            if code == 6 {
                assert!(
                    run.stderr.contains("hint: load it with 'modprobe vrf'"),
                    "{run:?}"
                );
            }
        });
    }
    // ip's own spelling of the same lines reads the same.
    assert_unchanged(state_snapshot, || {
        ns(&["-n", &n, "route", "get", "to", "10.73.0.2", "vrf", "red"]).fails(6, "module vrf");
    });
}
