//! End-to-end tests of vnet-ns in the sandbox, checked against `ip`, sysfs and ping.

use serde_json::Value;
use vnet_tests::*;

fn addresses_of(netns: Option<&str>, ifname: &str) -> Vec<String> {
    let scope = netns.map(|n| format!("-n {n} ")).unwrap_or_default();
    let links = ip_json(&format!("{scope}addr show dev {ifname}"));
    links[0]["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["family"] == "inet")
        .map(|a| format!("{}/{}", a["local"].as_str().unwrap(), a["prefixlen"]))
        .collect()
}

#[test]
fn seed_walkthrough_with_vnet_ns_alone() {
    let lab = lab!();
    let (blue, yellow, a, b) = (
        lab.netns("Blue"),
        lab.netns("Yellow"),
        lab.link("va"),
        lab.link("vb"),
    );
    // ip netns add Blue / ip netns add Yellow / ip netns delete Yellow / ip netns list
    assert_eq!(ns(&["add", &blue]).ok().json()["changed"], true);
    ns(&["add", &yellow]).ok();
    let deleted = ns(&["delete", &yellow]).ok().json();
    assert_eq!(deleted["deleted"], serde_json::json!([yellow]));
    let names = netns_names();
    assert!(names.contains(&blue) && !names.contains(&yellow), "{names:?}");
    let listed = ns(&["list"]).ok().json();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == blue.as_str() && e["stale"] == false));
    // ip netns exec Blue ip link set dev lo up (add already did it; the oracle agrees)
    ns(&["exec", &blue, "ip", "link", "set", "dev", "lo", "up"]).ok();
    let lo = &ip_json(&format!("-n {blue} link show dev lo"))[0];
    assert!(has_flag(lo, "UP"), "{lo}");
    // ip netns exec Blue ifconfig -> the namespace's own interfaces
    let shown = ns(&["exec", &blue, "ip", "-br", "addr"]).ok().stdout;
    assert!(shown.contains("127.0.0.1/8"), "{shown}");
    // The six veth/address/up commands as one step.
    let made = ns(&[
        "veth",
        &a,
        &b,
        "--peer-netns",
        &blue,
        "--addr",
        "192.168.100.1/24",
        "--peer-addr",
        "192.168.100.2/24",
    ])
    .ok()
    .json();
    assert_eq!(made["changed"], true);
    assert_eq!(addresses_of(None, &a), ["192.168.100.1/24"]);
    assert_eq!(addresses_of(Some(&blue), &b), ["192.168.100.2/24"]);
    assert!(has_flag(&ip_json(&format!("link show dev {a}"))[0], "UP"));
    assert!(has_flag(
        &ip_json(&format!("-n {blue} link show dev {b}"))[0],
        "UP"
    ));
    assert_ne!(
        sh(&format!("ip link show dev {b}")).code,
        0,
        "the peer must not be in the host namespace"
    );
    // The host and Blue ping each other.
    sh_ok("ping -c1 -W2 192.168.100.2");
    ns(&["exec", &blue, "ping", "-c1", "-W2", "192.168.100.1"]).ok();
    ns(&["delete", &blue]).ok();
    assert!(!netns_names().contains(&blue));
    // The kernel tears a namespace down asynchronously once its last reference is gone.
    let gone = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(20));
        sh(&format!("ip link show dev {a}")).code != 0
    });
    assert!(gone, "deleting the namespace removes the pair");
}

#[test]
fn namespaces_made_by_ip_are_used_by_vnet_ns() {
    let lab = lab!();
    let name = lab.netns("ipmade");
    sh_ok(&format!("ip netns add {name}"));
    let listed = ns(&["list"]).ok().json();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == name.as_str()));
    let ifaces = ns(&["exec", &name, "ls", "/sys/class/net"]).ok().stdout;
    assert_eq!(ifaces.trim(), "lo");
    ns(&["link", &name, "lo", "up"]).ok();
    assert!(has_flag(
        &ip_json(&format!("-n {name} link show dev lo"))[0],
        "UP"
    ));
    ns(&["delete", &name]).ok();
    assert!(!netns_names().contains(&name));
    assert!(!std::path::Path::new(&format!("/run/netns/{name}")).exists());
}

#[test]
fn namespaces_made_by_vnet_ns_are_used_by_ip() {
    let lab = lab!();
    let name = lab.netns("vnmade");
    ns(&["add", &name]).ok();
    assert!(netns_names().contains(&name));
    let text = ns(&["-o", "text", "list"]).ok().stdout;
    assert_eq!(text, sh_ok("ip netns list"), "text output mirrors ip netns list");
    sh_ok(&format!("ip netns exec {name} ip link set lo down"));
    assert!(!has_flag(
        &ip_json(&format!("-n {name} link show dev lo"))[0],
        "UP"
    ));
    sh_ok(&format!("ip netns delete {name}"));
    assert!(!ns(&["list"]).ok().stdout.contains(&name));
}

#[test]
fn exec_passes_the_commands_status_through() {
    let lab = lab!();
    let name = lab.netns("exst");
    ns(&["add", &name]).ok();
    assert_eq!(ns(&["exec", &name, "sh", "-c", "exit 42"]).code, 42);
    assert_eq!(ns(&["exec", &name, "--", "true"]).code, 0);
    ns(&["exec", &name, "no-such-command-vnet"]).fails(127, "No such file or directory");
    ns(&["exec", &name, "/etc"]).fails(126, "Permission denied");
    ns(&["exec", "missing-ns-vnet", "true"]).fails(3, "not found");
    ns(&["delete", &name]).ok();
}

#[test]
fn exec_sees_the_namespaces_sysfs_and_etc() {
    let lab = lab!();
    let (name, a, b) = (lab.netns("exsys"), lab.link("sa"), lab.link("sb"));
    ns(&["add", &name]).ok();
    ns(&["veth", &a, &b, "--peer-netns", &name]).ok();
    let mut seen: Vec<String> = ns(&["exec", &name, "ls", "/sys/class/net"])
        .ok()
        .stdout
        .lines()
        .map(String::from)
        .collect();
    seen.sort();
    let mut expected = vec![b.clone(), "lo".to_string()];
    expected.sort();
    assert_eq!(seen, expected);
    std::fs::create_dir_all(format!("/etc/netns/{name}")).unwrap();
    std::fs::write(
        format!("/etc/netns/{name}/resolv.conf"),
        "nameserver 192.0.2.53\n",
    )
    .unwrap();
    let resolv = ns(&["exec", &name, "cat", "/etc/resolv.conf"]).ok().stdout;
    assert_eq!(resolv, "nameserver 192.0.2.53\n");
    assert_ne!(
        std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default(),
        resolv,
        "host /etc untouched"
    );
    std::fs::remove_dir_all(format!("/etc/netns/{name}")).unwrap();
    ns(&["delete", &name]).ok();
}

#[test]
fn identify_and_pids_find_processes() {
    let lab = lab!();
    let name = lab.netns("pids");
    ns(&["add", &name]).ok();
    let bin = bin_dir().join("vnet-ns");
    let mut child = std::process::Command::new(bin)
        .args(["exec", &name, "sleep", "30"])
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut found = Value::Null;
    for _ in 0..50 {
        found = ns(&["pids", &name]).ok().json();
        if found
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["pid"] == pid && p["comm"] == "sleep")
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["pid"] == pid && p["comm"] == "sleep"),
        "{found}"
    );
    assert_eq!(sh_ok(&format!("ip netns pids {name}")).trim(), pid.to_string());
    let who = ns(&["identify", &pid.to_string()]).ok().json();
    assert_eq!(who["names"], serde_json::json!([name]));
    assert_eq!(ns(&["identify"]).ok().json()["names"], serde_json::json!([]));
    ns(&["identify", "999999999"]).fails(3, "no process");
    child.kill().unwrap();
    child.wait().unwrap();
    ns(&["delete", &name]).ok();
}

#[test]
fn stale_entries_are_listed_and_deleted() {
    let lab = lab!();
    let name = lab.netns("stale");
    std::fs::create_dir_all("/run/netns").unwrap();
    std::fs::write(format!("/run/netns/{name}"), "").unwrap();
    let listed = ns(&["list"]).ok().json();
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name.as_str())
        .cloned()
        .unwrap();
    assert_eq!(entry["stale"], true);
    assert_eq!(entry["id"], Value::Null);
    ns(&["add", &name]).fails(4, "stale");
    ns(&["delete", &name]).ok();
    assert!(!std::path::Path::new(&format!("/run/netns/{name}")).exists());
}

#[test]
fn exist_ok_and_missing_ok_make_scripts_idempotent() {
    let lab = lab!();
    let name = lab.netns("idem");
    ns(&["add", &name]).ok();
    ns(&["add", &name]).fails(4, "already exists");
    assert_eq!(ns(&["add", &name, "--exist-ok"]).ok().json()["changed"], false);
    ns(&["delete", &name]).ok();
    ns(&["delete", &name]).fails(3, "not found");
    let out = ns(&["delete", &name, "--missing-ok"]).ok().json();
    assert_eq!(out["changed"], false);
    assert_eq!(out["missing"], serde_json::json!([name]));
    let (a, b) = (lab.link("ia"), lab.link("ib"));
    ns(&["add", &name, "--exist-ok"]).ok();
    ns(&["veth", &a, &b, "--peer-netns", &name]).ok();
    ns(&["veth", &a, &b, "--peer-netns", &name]).fails(4, "already exists");
    assert_eq!(
        ns(&["veth", &a, &b, "--peer-netns", &name, "--exist-ok"])
            .ok()
            .json()["changed"],
        false
    );
    ns(&["veth", &a, "lo", "--peer-netns", &name, "--exist-ok"]).fails(4, "is not the peer of 'lo'");
    ns(&["delete", &name]).ok();
    ns(&["add", &name, "--no-lo"]).ok();
    assert!(!has_flag(
        &ip_json(&format!("-n {name} link show dev lo"))[0],
        "UP"
    ));
    ns(&["delete", &name]).ok();
}

#[test]
fn link_and_addr_change_one_thing_inside_a_namespace() {
    let lab = lab!();
    let (name, a, b) = (lab.netns("la"), lab.link("la"), lab.link("lb"));
    ns(&["add", &name]).ok();
    ns(&["veth", &a, &b, "--peer-netns", &name, "--no-up"]).ok();
    assert!(!has_flag(
        &ip_json(&format!("-n {name} link show dev {b}"))[0],
        "UP"
    ));
    assert_eq!(ns(&["link", &name, &b, "up"]).ok().json()["changed"], true);
    assert!(has_flag(
        &ip_json(&format!("-n {name} link show dev {b}"))[0],
        "UP"
    ));
    assert_eq!(ns(&["link", &name, &b, "up"]).ok().json()["changed"], false);
    let shown = ns(&["addr", &name, &b, "10.77.0.2/24"]).ok().json();
    assert_eq!(shown["addresses"], serde_json::json!(["10.77.0.2/24"]));
    assert_eq!(addresses_of(Some(&name), &b), ["10.77.0.2/24"]);
    ns(&["addr", &name, &b, "10.77.0.2/24"]).fails(4, "already assigned");
    ns(&["addr", &name, &b, "10.77.0.2/24", "--del"]).ok();
    assert!(addresses_of(Some(&name), &b).is_empty());
    ns(&["addr", &name, &b, "10.77.0.2/24", "--del"]).fails(3, "not found");
    let show = ns(&["show", &name]).ok().json();
    let names: Vec<&str> = show
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["lo", b.as_str()]);
    ns(&["delete", &name]).ok();
}

#[test]
fn veth_master_puts_the_host_end_on_a_bridge() {
    let lab = lab!();
    let (name, a, b, br) = (lab.netns("ms"), lab.link("ma"), lab.link("mb"), lab.link("mbr"));
    ns(&["add", &name]).ok();
    sh_ok(&format!("ip link add {br} type bridge"));
    ns(&[
        "veth",
        &a,
        &b,
        "--peer-netns",
        &name,
        "--master",
        &br,
        "--mtu",
        "1400",
    ])
    .ok();
    assert_eq!(
        std::fs::read_link(format!("/sys/class/net/{a}/master"))
            .unwrap()
            .file_name()
            .unwrap(),
        br.as_str()
    );
    assert_eq!(ip_json(&format!("link show dev {a}"))[0]["mtu"], 1400);
    assert_eq!(ip_json(&format!("-n {name} link show dev {b}"))[0]["mtu"], 1400);
    sh_ok(&format!("ip link del {br}"));
    ns(&["delete", &name]).ok();
}

#[test]
fn failed_veth_leaves_nothing_behind() {
    let lab = lab!();
    let (name, a, b) = (lab.netns("rb"), lab.link("ra"), lab.link("rb"));
    ns(&["add", &name]).ok();
    let before = state_snapshot();
    // Fails after the pair exists (the second, identical address is refused): the pair is removed.
    let args = [
        "veth",
        &a,
        &b,
        "--peer-netns",
        &name,
        "--peer-addr",
        "10.9.0.1/24",
        "--peer-addr",
        "10.9.0.1/24",
    ];
    ns(&args).fails(4, "File exists");
    assert_eq!(state_snapshot(), before);
    // Name taken in the peer namespace.
    ns(&["veth", "tmpa", "taken", "--peer-netns", &name]).ok();
    let before = state_snapshot();
    ns(&["veth", &a, "taken", "--peer-netns", &name]).fails(4, "already exists in namespace");
    // Peer namespace missing, master missing or not a bridge.
    ns(&["veth", &a, &b, "--peer-netns", "no-such-ns-vnet"])
        .fails(3, "namespace 'no-such-ns-vnet' not found");
    ns(&["veth", &a, &b, "--master", "nobr0"]).fails(3, "interface 'nobr0' not found");
    ns(&["veth", &a, &b, "--master", "lo"]).fails(7, "not a bridge");
    ns(&["veth", &a, &b, "--addr", "10.0.0.1/33"]).fails(7, "prefix longer than 32");
    ns(&["veth", "tmpa", &b]).fails(4, "'tmpa' already exists");
    assert_eq!(state_snapshot(), before);
    ns(&["delete", &name]).ok();
}

#[test]
fn bad_input_is_refused_without_side_effects() {
    let lab = lab!();
    let name = lab.netns("bad");
    ns(&["add", &name]).ok();
    let before = state_snapshot();
    let long_name = "n".repeat(256);
    for bad in ["a/b", "..", ".", "-lead", long_name.as_str(), "sp ace"] {
        ns(&["add", bad]).fails(if bad == "-lead" { 2 } else { 7 }, "");
        ns(&["delete", bad]).fails(if bad == "-lead" { 2 } else { 7 }, "");
    }
    ns(&["add", "--", "-lead"]).fails(7, "starts with '-'");
    ns(&["add", "a/b"]).fails(7, "invalid namespace name 'a/b'");
    ns(&["add", &long_name]).fails(7, "256 bytes");
    ns(&["veth", "abcdefghijklmnop", "x"]).fails(7, "longer than 15");
    ns(&["addr", &name, "lo", "10.0.0.300/24"]).fails(7, "invalid address");
    ns(&["addr", &name, "nope0", "10.0.0.3/24"]).fails(3, "interface 'nope0' not found");
    ns(&["show", "missing-vnet"]).fails(3, "namespace 'missing-vnet' not found");
    ns(&["link", "missing-vnet", "lo", "up"]).fails(3, "not found");
    ns(&["add", &name]).fails(4, "already exists");
    ns(&["delete", &name, "missing-vnet"]).fails(3, "missing-vnet");
    ns(&["frobnicate"]).fails(2, "unrecognized subcommand");
    ns(&[]).fails(2, "no verb");
    assert_eq!(state_snapshot(), before, "bad input changed the system");
    ns(&["delete", &name]).ok();
}

#[test]
fn non_root_is_refused_with_a_hint() {
    let lab = lab!();
    let name = lab.netns("nroot");
    ns(&["add", &name]).ok();
    let before = state_snapshot();
    let bin = bin_dir().join("vnet-ns");
    let as_nobody = |args: &str| {
        sh(&format!(
            "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all {} {args}",
            bin.display()
        ))
    };
    as_nobody(&format!("add {name}x")).fails(5, "hint: run as root");
    as_nobody(&format!("delete {name}")).fails(5, "not permitted");
    as_nobody(&format!("link {name} lo down")).fails(5, "not permitted");
    assert_eq!(state_snapshot(), before);
    ns(&["delete", &name]).ok();
}

#[test]
fn concurrent_adds_of_one_name_have_one_winner() {
    let lab = lab!();
    let name = lab.netns("race");
    let bin = bin_dir().join("vnet-ns");
    let children: Vec<_> = (0..12)
        .map(|_| {
            std::process::Command::new(&bin)
                .args(["add", &name])
                .output_async()
        })
        .collect();
    let codes: Vec<i32> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap().status.code().unwrap())
        .collect();
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 4).count(), 11, "{codes:?}");
    let entries: Vec<_> = std::fs::read_dir("/run/netns")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name() == name.as_str())
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        sh_ok(&format!("ip netns exec {name} ls /sys/class/net")).trim(),
        "lo"
    );
    ns(&["delete", &name]).ok();
}

/// Starts a process with its output captured, without waiting for it.
trait SpawnCaptured {
    fn output_async(&mut self) -> std::process::Child;
}

impl SpawnCaptured for std::process::Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }
}

#[test]
fn batch_runs_mixed_verbs_and_stops_at_the_first_failure() {
    let lab = lab!();
    let (n1, n2, a, b) = (lab.netns("bt"), lab.netns("bt"), lab.link("ba"), lab.link("bb"));
    let script = format!(
        "# build two hosts\nadd {n1}\nadd '{n2}'   # quoted\n\n\
         veth {a} {b} --peer-netns {n1} --addr 10.55.0.1/24 --peer-addr \"10.55.0.2/24\"\n\
         exec {n1} sh -c 'ip link set lo up'\nadd {n1}\ndelete {n2}\n"
    );
    let run = vnet_stdin("vnet-ns", &["--batch", "-"], &script);
    assert_eq!(run.code, 4, "{run:?}");
    let lines = run.records();
    assert_eq!(lines.len(), 5, "one record per command line: {run:?}");
    assert_eq!(lines[2]["peer"], b.as_str());
    assert_eq!(lines[3]["status"], 0);
    assert_eq!(lines[4]["line"], 7, "the failure's record names its line");
    assert_eq!(lines[4]["exit_code"], 4);
    assert!(lines[4]["error"].as_str().unwrap().contains("already exists"));
    assert!(
        run.stderr.contains("line 7") && run.stderr.contains("already exists"),
        "{run:?}"
    );
    assert!(netns_names().contains(&n2), "stopped before the delete");
    assert_eq!(addresses_of(Some(&n1), &b), ["10.55.0.2/24"]);
    // --force runs the rest and exits with the first failure's code.
    let run = vnet_stdin(
        "vnet-ns",
        &["--batch", "-", "--force"],
        &format!("add {n1}\ndelete {n2}\nbogus\n"),
    );
    assert_eq!(run.code, 4, "{run:?}");
    assert!(!netns_names().contains(&n2), "--force ran the delete");
    assert!(run.stderr.contains("line 3"), "{run:?}");
    let lines = run.records();
    let failed: Vec<&Value> = lines.iter().filter(|r| r.get("exit_code").is_some()).collect();
    assert_eq!(lines.len(), 3, "{run:?}");
    assert_eq!(
        (failed[0]["line"].clone(), failed[1]["line"].clone()),
        (1.into(), 3.into())
    );
    assert_eq!(failed[1]["exit_code"], 2);
    let file = std::env::temp_dir().join(format!("{n1}.batch"));
    std::fs::write(&file, format!("delete {n1}\nlist\n")).unwrap();
    let run = ns(&["--batch", file.to_str().unwrap()]).ok();
    assert_eq!(run.records().len(), 2);
    assert!(!netns_names().contains(&n1));
    ns(&["--batch", "/nonexistent/batch"]).fails(3, "open batch file");
}

/// A batch naming more namespaces than it keeps sockets open for (64: the one used longest ago
/// is closed) goes back to one it closed: every line acts in its own namespace.
#[test]
fn a_batch_over_many_namespaces_goes_back_to_the_first() {
    let lab = lab!();
    let names: Vec<String> = (0..70).map(|_| lab.netns("lru")).collect();
    let mut script: String = names.iter().map(|n| format!("add {n}\n")).collect();
    for (i, n) in [(1, &names[0]), (70, &names[69]), (2, &names[0])] {
        script += &format!("-n {n} addr add 10.66.0.{i}/32 dev lo\n");
    }
    let run = vnet_stdin("vnet-ns", &["--batch", "-"], &script);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.records().len(), 73, "{run:?}");
    let first = addresses_of(Some(&names[0]), "lo");
    assert!(
        first.contains(&"10.66.0.1/32".to_string()) && first.contains(&"10.66.0.2/32".to_string()),
        "{first:?}"
    );
    assert!(addresses_of(Some(&names[69]), "lo").contains(&"10.66.0.70/32".to_string()));
    for n in &names[1..69] {
        let lo = ip_json(&format!("-n {n} link show lo"));
        assert!(
            lo[0]["flags"].as_array().unwrap().iter().any(|f| f == "UP"),
            "{n}: lo down"
        );
    }
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let lab = lab!();
    let bin = bin_dir().join("vnet-ns");
    let script = "list\n".repeat(5000);
    let file = std::env::temp_dir().join(format!("{}.batch", lab.name("pipe")));
    std::fs::write(&file, script).unwrap();
    let run = sh(&format!(
        "{} --batch {} | head -c 1 >/dev/null; echo \"${{PIPESTATUS[0]}}\"",
        bin.display(),
        file.display()
    ));
    assert_eq!(run.stderr, "", "no error for a reader that went away: {run:?}");
    assert_eq!(run.stdout.trim(), "0", "{run:?}");
}
