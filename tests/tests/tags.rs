//! Ownership tags end to end (issue 15): a mixed lab with two tags and untagged objects across
//! namespaces (vnet-ns add/veth/tuntap, vnet-bridge addbr, vnet-net define/create, one vnet-vm
//! install), listed by tag, pruned with --dry-run (nothing changes) and for real (exactly the
//! tagged objects go, in dependency order), then pruned again (a no-op); `--batch --atomic` with
//! tagged verbs across namespaces undone by a failing last line; invalid labels refused with exit 7
//! and nothing changed. Oracles: ip -j -d link (ifalias), ip netns, the marker files, virsh.

use serde_json::Value;
use std::path::{Path, PathBuf};
use vnet_tests::*;

const MARKERS: &str = "/run/vnet/netns-tags";

/// Everything a prune may change: the kernel state (namespaces, links, addresses), every link's
/// alias in every namespace, the namespace markers, and libvirt's domains, networks, pools and
/// the volumes of active pools.
fn snapshot() -> String {
    let aliases = sh_ok(
        "for n in '' $(ls /run/netns 2>/dev/null); do echo \"== $n\"; \
         ip ${n:+-n \"$n\"} -j -d link | jq -cS '[.[] | {ifname, ifalias}]'; done",
    );
    let markers = sh_ok(&format!("grep -r . {MARKERS} 2>/dev/null | sort; true"));
    let libvirt = sh_ok(
        "virsh list --all --name; virsh net-list --all --name; virsh pool-list --all --name; \
         for p in $(virsh pool-list --name); do virsh vol-list \"$p\"; done",
    );
    format!("{}{aliases}{markers}{libvirt}", state_snapshot())
}

/// The ifalias of a link in a namespace ("" for the current one), or None when there is no link.
fn alias(netns: &str, link: &str) -> Option<Value> {
    let n = if netns.is_empty() {
        String::new()
    } else {
        format!("-n {netns} ")
    };
    let links = ip_json(&format!("{n}-d link"));
    links
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["ifname"] == link)
        .map(|l| l.get("ifalias").cloned().unwrap_or(Value::Null))
}

fn names(list: &Value, key: &str) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o[key].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn removed(out: &Value) -> Vec<String> {
    out["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let n = i.get("netns").and_then(Value::as_str).unwrap_or("-");
            format!(
                "{} {} {} {n}",
                i["action"].as_str().unwrap(),
                i["kind"].as_str().unwrap(),
                i["name"].as_str().unwrap()
            )
        })
        .collect()
}

struct Mixed {
    ns_a: String,
    ns_b: String,
    ns_u: String,
    br_a: String,
    br_b: String,
    br_u: String,
    /// (host end, peer end): A pair host <-> ns_u, B pair host <-> ns_b, untagged host <-> ns_u.
    veth_a: (String, String),
    veth_b: (String, String),
    veth_u: (String, String),
    /// A pair with both ends inside ns_a (goes with the namespace, and first as a link).
    inner_a: (String, String),
    tap_a: String,
    /// A VXLAN port of the A bridge, tagged A.
    vx_a: String,
    tap_b: String,
    tap_u: String,
    net_a: String,
    net_a2: String,
    net_b: String,
    net_u: String,
    vm_a: String,
    pool: String,
    disk: PathBuf,
}

/// Builds the lab: A-tagged, B-tagged and untagged objects of every kind, across namespaces.
fn build(lab: &Lab) -> Mixed {
    let m = Mixed {
        ns_a: lab.netns("na"),
        ns_b: lab.netns("nb"),
        ns_u: lab.netns("nu"),
        br_a: lab.link("bra"),
        br_b: lab.link("brb"),
        br_u: lab.link("bru"),
        veth_a: (lab.link("va"), lab.name("vap")),
        veth_b: (lab.link("vb"), lab.name("vbp")),
        veth_u: (lab.link("vu"), lab.name("vup")),
        inner_a: (lab.name("ia"), lab.name("iap")),
        tap_a: lab.name("ta"),
        vx_a: lab.link("vx"),
        tap_b: lab.link("tb"),
        tap_u: lab.link("tu"),
        net_a: lab.network("neta"),
        net_a2: lab.network("netc"),
        net_b: lab.network("netb"),
        net_u: lab.network("netu"),
        vm_a: lab.domain("vma"),
        pool: lab.name("pool"),
        disk: PathBuf::new(),
    };
    let dir = PathBuf::from(format!("/tmp/{}", m.pool));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    lab.on_drop(format!("rm -rf {}", dir.display()));
    lab.on_drop(format!("virsh pool-destroy {0}; virsh pool-undefine {0}", m.pool));
    lab.on_drop(format!("rm -f {MARKERS}/{} {MARKERS}/{}", m.ns_a, m.ns_b));
    let m = Mixed {
        disk: dir.join("a.qcow2"),
        ..m
    };

    ns(&["add", &m.ns_a, "--tag", "A"]).ok();
    ns(&["add", &m.ns_b, "--tag", "B"]).ok();
    ns(&["add", &m.ns_u]).ok();
    br(&["addbr", &m.br_a, "--tag", "A", "--up"]).ok();
    br(&["addbr", &m.br_b, "--tag", "B"]).ok();
    br(&["addbr", &m.br_u]).ok();
    let veth = |pair: &(String, String), peer_ns: &str, master: &str, tag: Option<&str>| {
        let mut args = vec![
            "veth",
            &pair.0,
            &pair.1,
            "--peer-netns",
            peer_ns,
            "--master",
            master,
        ];
        if let Some(tag) = tag {
            args.extend(["--tag", tag]);
        }
        ns(&args).ok();
    };
    veth(&m.veth_a, &m.ns_u, &m.br_a, Some("A"));
    veth(&m.veth_b, &m.ns_b, &m.br_b, Some("B"));
    // An untagged port on the A bridge: released by the prune, never deleted.
    veth(&m.veth_u, &m.ns_u, &m.br_a, None);
    ns(&["-n", &m.ns_a, "veth", &m.inner_a.0, &m.inner_a.1, "--tag", "A"]).ok();
    ns(&[
        "-n", &m.ns_u, "tuntap", "add", &m.tap_a, "mode", "tap", "--tag", "A",
    ])
    .ok();
    ns(&["tuntap", "add", &m.tap_b, "mode", "tap", "--tag", "B"]).ok();
    br(&[
        "addvxlan",
        &m.br_a,
        &m.vx_a,
        "--vni",
        "4242",
        "--remote",
        "192.0.2.2",
        "--tag",
        "A",
    ])
    .ok();
    ns(&["tuntap", "add", &m.tap_u, "mode", "tap"]).ok();

    net(&[
        "define",
        "--name",
        &m.net_a,
        "--mode",
        "isolated",
        "--ip",
        "10.231.1.1/24",
        "--tag",
        "A",
        "--start",
    ])
    .ok();
    net(&["create", "--name", &m.net_a2, "--mode", "isolated", "--tag", "A"]).ok();
    net(&["define", "--name", &m.net_b, "--mode", "isolated", "--tag", "B"]).ok();
    net(&["define", "--name", &m.net_u, "--mode", "isolated"]).ok();

    let kit = kit();
    let boot = format!(
        "kernel={},initrd={}",
        kit.join("vmlinuz").display(),
        kit.join("initrd.gz").display()
    );
    let disk = format!("path={},size=0.01,format=qcow2", m.disk.display());
    let nic = format!("network={}", m.net_a);
    let installed = vm(&[
        "install",
        "--name",
        &m.vm_a,
        "--memory",
        "128",
        "--boot",
        &boot,
        "--disk",
        &disk,
        "--network",
        &nic,
        "--virt-type",
        "qemu",
        "--noautoconsole",
        "--tag",
        "A",
    ])
    .ok()
    .json();
    assert_eq!(installed["pool_created"], m.pool.as_str(), "{installed}");
    m
}

#[test]
fn a_mixed_lab_is_pruned_by_tag_and_nothing_else() {
    let lab = lab!();
    let m = build(&lab);

    // Where the tags are, by the independent oracles.
    let tag_a = Value::from("vnet:tag=A");
    assert_eq!(alias("", &m.br_a), Some(tag_a.clone()));
    assert_eq!(alias("", &m.veth_a.0), Some(tag_a.clone()));
    assert_eq!(alias(&m.ns_u, &m.veth_a.1), Some(tag_a.clone()));
    assert_eq!(alias(&m.ns_u, &m.tap_a), Some(tag_a.clone()));
    assert_eq!(alias(&m.ns_a, &m.inner_a.1), Some(tag_a.clone()));
    assert_eq!(alias("", &m.tap_b), Some(Value::from("vnet:tag=B")));
    assert_eq!(alias("", &m.br_u), Some(Value::Null));
    assert!(sh_ok(&format!("ip -d link show {}", m.br_a)).contains("alias vnet:tag=A"));
    assert_eq!(
        std::fs::read_to_string(format!("{MARKERS}/{}", m.ns_a)).unwrap(),
        "A\n"
    );
    assert!(!netns_names().iter().any(|n| n.contains("netns-tags")));
    assert!(sh_ok(&format!("virsh net-dumpxml {}", m.net_a))
        .contains("<vnet:tag xmlns:vnet=\"http://vnet.invalid/xmlns/tag/1\">A</vnet:tag>"));
    assert!(sh_ok(&format!("virsh net-dumpxml --inactive {}", m.net_a)).contains(">A</vnet:tag>"));
    assert!(sh_ok(&format!("virsh dumpxml --inactive {}", m.vm_a)).contains(">A</vnet:tag>"));

    // The list verbs show the tag and filter by it.
    assert_eq!(
        names(&ns(&["list", "--tag", "A"]).ok().json(), "name"),
        [m.ns_a.as_str()]
    );
    let all = ns(&["list"]).ok().json();
    let entry = all
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == m.ns_u.as_str())
        .unwrap();
    assert!(entry.get("tag").is_none(), "{entry}");
    let shown = br(&["show", "--tag", "A"]).ok().json();
    assert_eq!(names(&shown, "name"), [m.br_a.as_str()]);
    assert_eq!(shown[0]["tag"], "A");
    let ports = &shown[0]["interfaces"];
    assert_eq!(names(ports, "name"), {
        let mut v = vec![m.veth_a.0.clone(), m.veth_u.0.clone(), m.vx_a.clone()];
        v.sort();
        v
    });
    let mut a_nets = vec![m.net_a.clone(), m.net_a2.clone()];
    a_nets.sort();
    assert_eq!(
        names(&net(&["list", "--all", "--tag", "A"]).ok().json(), "name"),
        a_nets
    );
    assert_eq!(net(&["info", &m.net_b]).ok().json()["tag"], "B");
    assert_eq!(
        names(&vm(&["list", "--all", "--tag", "A"]).ok().json(), "name"),
        [m.vm_a.as_str()]
    );
    assert_eq!(
        vm(&["list", "--all", "--tag", "B"]).ok().json(),
        Value::Array(vec![])
    );

    // --dry-run on every tool: what would go, and nothing changes.
    let mut dry = Vec::new();
    assert_unchanged(snapshot, || {
        for (tool, run) in [
            ("vnet-vm", vm as fn(&[&str]) -> Run),
            ("vnet-net", net),
            ("vnet-bridge", br),
            ("vnet-ns", ns),
        ] {
            let out = run(&["prune", "--tag", "A", "--dry-run"]).ok().json();
            assert_eq!(
                (out["dry_run"].clone(), out["changed"].clone()),
                (true.into(), false.into()),
                "{tool}: {out}"
            );
            dry.push(removed(&out));
        }
    });
    let vol = m.disk.display().to_string();
    assert_eq!(
        dry[0],
        [
            format!("destroy domain {} -", m.vm_a),
            format!("undefine domain {} -", m.vm_a),
            format!("delete volume {vol} -"),
            format!("destroy pool {} -", m.pool),
            format!("undefine pool {} -", m.pool),
        ]
    );
    let mut nets = [
        (m.net_a.clone(), vec!["destroy", "undefine"]),
        (m.net_a2.clone(), vec!["destroy"]),
    ];
    nets.sort();
    let expected: Vec<String> = nets
        .iter()
        .flat_map(|(n, acts)| acts.iter().map(move |a| format!("{a} network {n} -")))
        .collect();
    assert_eq!(dry[1], expected);
    // Tagged ports first, then the bridge; the untagged port is not listed.
    assert_eq!(
        dry[2],
        [
            format!("delete veth {} -", m.veth_a.0),
            format!("delete vxlan {} -", m.vx_a),
            format!("delete bridge {} -", m.br_a)
        ]
    );
    // Links in the current namespace, then in each namespace (sorted), then the namespaces.
    let mut expect_ns = vec![format!("delete veth {} -", m.veth_a.0)];
    let mut inside = vec![
        (m.ns_a.clone(), vec![m.inner_a.0.clone(), m.inner_a.1.clone()]),
        (m.ns_u.clone(), vec![m.veth_a.1.clone(), m.tap_a.clone()]),
    ];
    inside.sort();
    for (n, links) in &inside {
        let mut found: Vec<String> = dry[3]
            .iter()
            .filter(|r| r.ends_with(&format!(" {n}")))
            .cloned()
            .collect();
        found.sort();
        let mut want: Vec<String> = links
            .iter()
            .map(|l| {
                let kind = if l == &m.tap_a { "tun" } else { "veth" };
                format!("delete {kind} {l} {n}")
            })
            .collect();
        want.sort();
        assert_eq!(found, want, "{:?}", dry[3]);
        expect_ns.extend(want);
    }
    expect_ns.push(format!("delete namespace {} -", m.ns_a));
    let mut got = dry[3].clone();
    got.sort();
    expect_ns.sort();
    assert_eq!(got, expect_ns);
    assert_eq!(dry[3].last().unwrap(), &format!("delete namespace {} -", m.ns_a));

    // The real prune, in dependency order across tools: guests, networks, bridges, namespaces.
    // Each tool's removals are its dry run's, except links another tool's prune removed first.
    let real_vm = vm(&["prune", "--tag", "A"]).ok().json();
    assert_eq!(removed(&real_vm), dry[0]);
    assert_eq!(real_vm["changed"], true);
    let real_net = net(&["prune", "--tag", "A"]).ok().json();
    assert_eq!(removed(&real_net), dry[1]);
    let real_br = br(&["prune", "--tag", "A"]).ok().json();
    assert_eq!(removed(&real_br), dry[2]);
    let real_ns = ns(&["prune", "--tag", "A"]).ok().json();
    let rest: Vec<String> = dry[3]
        .iter()
        .filter(|r| !r.contains(&m.veth_a.0) && !r.contains(&m.veth_a.1))
        .cloned()
        .collect();
    assert_eq!(removed(&real_ns), rest);

    // Everything tagged A is gone.
    assert!(!netns_names().contains(&m.ns_a));
    assert!(!Path::new(&format!("{MARKERS}/{}", m.ns_a)).exists());
    assert_eq!(alias("", &m.vx_a), None);
    for link in [&m.br_a, &m.veth_a.0] {
        assert_eq!(alias("", link), None, "{link}");
    }
    assert_eq!(alias(&m.ns_u, &m.veth_a.1), None);
    assert_eq!(alias(&m.ns_u, &m.tap_a), None);
    for n in ["", &m.ns_b, &m.ns_u] {
        let n = if n.is_empty() {
            String::new()
        } else {
            format!("-n {n} ")
        };
        assert!(!sh_ok(&format!("ip {n}-d link")).contains("vnet:tag=A"), "{n}");
    }
    let libvirt = sh_ok("virsh list --all --name; virsh net-list --all --name; virsh pool-list --all --name");
    for gone in [&m.vm_a, &m.net_a, &m.net_a2, &m.pool] {
        assert!(!libvirt.contains(gone.as_str()), "{gone} left: {libvirt}");
    }
    assert!(!m.disk.exists(), "the volume the install created is left");
    assert!(
        m.disk.parent().unwrap().is_dir(),
        "the pool's directory was there before: it stays"
    );

    // Everything tagged B and everything untagged is still there, tags intact.
    let tag_b = Value::from("vnet:tag=B");
    assert!(netns_names().contains(&m.ns_b) && netns_names().contains(&m.ns_u));
    assert_eq!(
        std::fs::read_to_string(format!("{MARKERS}/{}", m.ns_b)).unwrap(),
        "B\n"
    );
    assert_eq!(alias("", &m.br_b), Some(tag_b.clone()));
    assert_eq!(alias("", &m.veth_b.0), Some(tag_b.clone()));
    assert_eq!(alias(&m.ns_b, &m.veth_b.1), Some(tag_b.clone()));
    assert_eq!(alias("", &m.tap_b), Some(tag_b));
    for link in [&m.br_u, &m.veth_u.0, &m.tap_u] {
        assert_eq!(alias("", link), Some(Value::Null), "{link}");
    }
    assert_eq!(alias(&m.ns_u, &m.veth_u.1), Some(Value::Null));
    let released = ip_json(&format!("link show {}", m.veth_u.0));
    assert!(released[0].get("master").is_none(), "{released}");
    assert_eq!(vnet_tests::bridge_ports(&m.br_b), [m.veth_b.0.as_str()]);
    for kept in [&m.net_b, &m.net_u] {
        assert!(libvirt.contains(kept.as_str()), "{kept} gone: {libvirt}");
    }

    // Again: nothing to do on any tool.
    assert_unchanged(snapshot, || {
        for run in [vm as fn(&[&str]) -> Run, net, br, ns] {
            let out = run(&["prune", "--tag", "A"]).ok().json();
            assert_eq!(out["changed"], false, "{out}");
            assert_eq!(out["removed"], Value::Array(vec![]), "{out}");
        }
    });
    // -o text: one line per removal.
    assert_eq!(
        br(&["prune", "--tag", "B", "--dry-run", "-o", "text"])
            .ok()
            .stdout,
        format!(
            "would delete veth '{}'\nwould delete bridge '{}'\n",
            m.veth_b.0, m.br_b
        )
    );
}

#[test]
fn an_atomic_batch_of_tagged_verbs_across_namespaces_is_undone() {
    let lab = lab!();
    let (n1, n2) = (lab.netns("an"), lab.netns("bn"));
    let (v1, v2, v3, v4, t1) = (
        lab.link("v"),
        lab.name("vp"),
        lab.name("w"),
        lab.name("wp"),
        lab.name("t"),
    );
    let existing = lab.netns("ex");
    ns(&["add", &existing]).ok();
    lab.on_drop(format!("rm -f {MARKERS}/{n1} {MARKERS}/{n2}"));
    let batch = format!(
        "add {n1} --tag A\n\
         add {n2}\n\
         veth {v1} {v2} --peer-netns {n1} --tag A\n\
         -n {n2} tuntap add {t1} mode tap --tag A\n\
         veth {v3} {v4} -n {n1} --peer-netns {n2} --tag B\n\
         add {existing} --tag A\n"
    );
    let mut run = None;
    assert_unchanged(snapshot, || {
        run = Some(vnet_stdin("vnet-ns", &["--batch", "-", "--atomic"], &batch));
    });
    let run = run.unwrap();
    assert_eq!(run.code, 4, "{run:?}");
    let records = run.records();
    assert_eq!(records.len(), 6, "{run:?}");
    let failure = &records[5];
    assert_eq!(failure["line"], 6);
    let undone: Vec<&str> = failure["undone"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    assert!(
        undone.contains(&format!("tag namespace '{n1}'").as_str()),
        "{undone:?}"
    );
    assert_eq!(failure["leftovers"], Value::Array(vec![]), "{failure}");
    assert!(!Path::new(&format!("{MARKERS}/{n1}")).exists());

    // The same for vnet-bridge: tagged bridges in two namespaces, a failing last line.
    let (b1, b2) = (lab.name("b"), lab.name("c"));
    let batch = format!("addbr {b1} --tag A --up\n-n {existing} addbr {b2} --tag A\naddbr {b1}\n");
    let mut run = None;
    assert_unchanged(snapshot, || {
        run = Some(vnet_stdin("vnet-bridge", &["--batch", "-", "--atomic"], &batch));
    });
    let run = run.unwrap();
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(run.records()[2]["leftovers"], Value::Array(vec![]), "{run:?}");
}

#[test]
fn invalid_labels_are_refused_and_change_nothing() {
    let lab = lab!();
    let (n, b, l) = (lab.netns("n"), lab.link("b"), lab.link("l"));
    let network = lab.network("net");
    let domain = lab.domain("vm");
    let long = "x".repeat(65);
    for bad in ["", "a b", "a/b", "<x>", "é", long.as_str()] {
        assert_unchanged(snapshot, || {
            let lines: Vec<Vec<&str>> = vec![
                vec!["vnet-ns", "add", &n, "--tag", bad],
                vec!["vnet-ns", "veth", &l, "lp", "--tag", bad],
                vec!["vnet-ns", "tuntap", "add", &l, "mode", "tap", "--tag", bad],
                vec!["vnet-ns", "list", "--tag", bad],
                vec!["vnet-ns", "prune", "--tag", bad],
                vec!["vnet-bridge", "addbr", &b, "--tag", bad],
                vec!["vnet-bridge", "show", "--tag", bad],
                vec![
                    "vnet-bridge",
                    "addvxlan",
                    &b,
                    "vx",
                    "--vni",
                    "7",
                    "--remote",
                    "192.0.2.9",
                    "--tag",
                    bad,
                ],
                vec!["vnet-bridge", "prune", "--tag", bad],
                vec![
                    "vnet-net", "define", "--name", &network, "--mode", "isolated", "--tag", bad,
                ],
                vec![
                    "vnet-net", "create", "--name", &network, "--mode", "isolated", "--tag", bad,
                ],
                vec!["vnet-net", "list", "--tag", bad],
                vec!["vnet-net", "prune", "--tag", bad, "--dry-run"],
                vec![
                    "vnet-vm",
                    "install",
                    "--name",
                    &domain,
                    "--import",
                    "--disk",
                    "path=/nonexistent.img",
                    "--tag",
                    bad,
                ],
                vec!["vnet-vm", "list", "--tag", bad],
                vec!["vnet-vm", "prune", "--tag", bad],
            ];
            for words in lines {
                let run = vnet(words[0], &words[1..]);
                run.fails(7, "invalid tag");
            }
        });
    }
}
