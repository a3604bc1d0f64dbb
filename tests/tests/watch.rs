//! End-to-end tests of the watch and wait verbs (issue 12): `vnet-ns monitor` and `vnet-bridge
//! monitor` against `ip monitor` run beside them on the same changes, `vnet-vm events` and
//! `vnet-net events` against `virsh event`/`virsh net-event`, and `vnet-vm wait` against a real
//! guest (the kit's busybox guest: its console's `poweroff -f`, its DHCP lease). Every record read
//! is validated against its verb's schema (the schema of one record of the stream).

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vnet_tests::*;

/// A vnet tool started in the background, its stdout read line by line as it comes.
struct Streaming {
    child: Child,
    tool: String,
    args: Vec<String>,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Streaming {
    fn start(tool: &str, args: &[&str]) -> Streaming {
        Streaming::start_env(tool, args, Vec::new())
    }

    /// Like [`Streaming::start`], with these environment variables set (a libvirt client log).
    fn start_env(tool: &str, args: &[&str], env: Vec<(String, String)>) -> Streaming {
        let mut child = Command::new(vnet_tests::bin_dir().join(tool))
            .args(args)
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("run {tool}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Streaming {
            child,
            tool: tool.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            lines,
            seen: Vec::new(),
        }
    }

    /// The next record, validated against the verb's schema; None after `timeout`.
    fn next(&mut self, timeout: Duration) -> Option<Value> {
        let line = self.lines.recv_timeout(timeout).ok()?;
        self.seen.push(line.clone());
        let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let verb = vnet_tests::verb_of(&self.tool, &self.args).unwrap();
        assert_valid(&self.tool, &verb, &value);
        Some(value)
    }

    /// Records until one satisfies `want` (returned), or panics after `timeout`.
    fn until(&mut self, timeout: Duration, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left) {
                Some(v) if want(&v) => return v,
                Some(_) => {}
                None => panic!("no such record within {timeout:?}; seen {:?}", self.seen),
            }
        }
    }

    /// Waits for the process to end by itself and returns its whole run (the lines read
    /// already included); its records are checked by `Run::records()`.
    fn finish(mut self, timeout: Duration) -> Run {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!("{} {:?} did not end within {timeout:?}", self.tool, self.args);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        use std::io::Read;
        let _ = self.child.stderr.take().unwrap().read_to_string(&mut stderr);
        // The reader thread ends at EOF: collect what it has not handed over yet.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(line);
        }
        let mut stdout = self.seen.join("\n");
        if !stdout.is_empty() {
            stdout.push('\n');
        }
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
            tool: Some(self.tool.clone()),
            args: self.args.clone(),
        }
    }

    fn signal(&self, signal: &str) {
        sh_ok(&format!("kill -{signal} {}", self.child.id()));
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A classic tool (ip monitor, virsh event) in the background, its stdout kept whole as it comes.
struct Classic {
    child: Child,
    text: Arc<Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
}

impl Classic {
    fn start(script: &str) -> Classic {
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(format!("exec stdbuf -oL {script}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let text = Arc::new(Mutex::new(String::new()));
        let sink = text.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        Classic { child, text, reader }
    }

    /// The process id (bash execs the tool in place).
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until what the tool printed so far satisfies `enough`; panics after `timeout`.
    fn until(&self, what: &str, timeout: Duration, enough: impl Fn(&str) -> bool) {
        wait_until(what, timeout, || enough(&self.text.lock().unwrap()));
    }

    fn stop(self) -> String {
        let mut child = self.child;
        let _ = child.kill();
        let _ = child.wait();
        let _ = self.reader.join();
        let text = self.text.lock().unwrap().clone();
        text
    }
}

// ---------------------------------------------------------------- monitor

/// (action, kind, key) of one of our records: the key is the link name, the address, the route's
/// destination, the neighbour's address or the FDB entry's MAC.
fn ours(record: &Value) -> (String, String, String) {
    let kind = record["kind"].as_str().unwrap().to_string();
    let key = match kind.as_str() {
        "link" | "port" => &record["link"]["name"],
        "addr" => &record["addr"]["address"],
        "route" => &record["route"]["dst"],
        "neigh" => &record["neigh"]["dst"],
        "fdb" => &record["fdb"]["mac"],
        _ => &record["netns"],
    };
    (
        record["action"].as_str().unwrap().to_string(),
        kind,
        key.as_str().unwrap_or_default().to_string(),
    )
}

/// The same triple from a line of `ip monitor label`; None for what our monitor does not report
/// (netconf, nsid, the bridge-family copy of a port's link notification: no "qdisc") and for the
/// continuation lines.
fn theirs(line: &str) -> Option<(String, String, String)> {
    let (label, rest) = line.strip_prefix('[')?.split_once(']')?;
    let (action, rest) = match rest.strip_prefix("Deleted ") {
        Some(rest) => ("del", rest),
        None => ("new", rest),
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let (kind, key) = match label {
        "LINK" if rest.contains(" qdisc ") => {
            let name = words[1].trim_end_matches(':');
            ("link", name.split('@').next().unwrap().to_string())
        }
        // The bridge-family copy of a port leaving its bridge: our port record.
        "LINK" if action == "del" && words.contains(&"master") => {
            let name = words[1].trim_end_matches(':');
            ("port", name.split('@').next().unwrap().to_string())
        }
        "ADDR" => {
            let at = words.iter().position(|w| *w == "inet" || *w == "inet6")?;
            ("addr", words[at + 1].to_string())
        }
        "ROUTE" => {
            let types = [
                "local",
                "broadcast",
                "unreachable",
                "blackhole",
                "prohibit",
                "multicast",
                "anycast",
            ];
            let dst = if types.contains(&words[0]) {
                words[1]
            } else {
                words[0]
            };
            ("route", dst.to_string())
        }
        "NEIGH" if words[0] == "dev" => {
            let at = words.iter().position(|w| *w == "lladdr")?;
            ("fdb", words[at + 1].to_string())
        }
        "NEIGH" => ("neigh", words[0].to_string()),
        _ => return None,
    };
    Some((action.to_string(), kind.to_string(), key))
}

/// The scripted sequence: a veth pair, an address, both ends up, a route, a bridge with one end
/// as its port, a static FDB entry added and deleted, then everything taken away again.
fn script(ip: &str, bridge: &str, va: &str, vb: &str, br: &str) -> String {
    [
        format!("{ip} link add {va} type veth peer name {vb}"),
        format!("{ip} addr add 10.9.0.1/24 dev {va}"),
        format!("{ip} link set {va} up"),
        format!("{ip} link set {vb} up"),
        format!("{ip} route add 10.10.0.0/16 via 10.9.0.2"),
        format!("{ip} link add {br} type bridge"),
        format!("{ip} link set {vb} master {br}"),
        format!("{bridge} fdb add 02:00:00:00:00:01 dev {vb} master static"),
        format!("{bridge} fdb del 02:00:00:00:00:01 dev {vb} master static"),
        format!("{ip} route del 10.10.0.0/16"),
        format!("{ip} addr del 10.9.0.1/24 dev {va}"),
        format!("{ip} link del {va}"),
        format!("{ip} link del {br}"),
    ]
    .join(" && ")
}

/// Runs the script with our monitor and `ip monitor label` both listening, and checks that our
/// records are exactly ip's notifications, in the same order, and include each change made.
fn monitor_matches_ip_monitor(lab: &Lab, netns: Option<&str>) {
    let (va, vb, br) = (lab.link("va"), lab.link("vb"), lab.link("br"));
    let names = [va.as_str(), vb.as_str(), br.as_str()];
    let (ip, bridge) = match netns {
        Some(ns) => (format!("ip -n {ns}"), format!("bridge -n {ns}")),
        None => ("ip".to_string(), "bridge".to_string()),
    };
    let devs = names.join(",");
    let mut args = vec!["monitor", "--dev", &devs, "--timeout", "3.5"];
    if let Some(ns) = netns {
        args.insert(1, ns);
    }
    let monitor = Streaming::start("vnet-ns", &args);
    let classic = Classic::start(&format!("{ip} monitor label link address route neigh"));
    wait_netlink_subscribed(monitor.child.id(), netns);
    wait_netlink_subscribed(classic.pid(), netns);
    sh_ok(&script(&ip, &bridge, &va, &vb, &br));
    let run = monitor.finish(Duration::from_secs(15)).ok();
    let text = classic.stop();
    let records = run.records();
    let got: Vec<_> = records.iter().map(ours).collect();
    let want: Vec<_> = text
        .lines()
        .filter(|l| names.iter().any(|n| l.contains(n)))
        .filter_map(theirs)
        .collect();
    assert_eq!(got, want, "ours vs ip monitor\n{}\n{text}", run.stdout);
    for record in &records {
        assert_eq!(record["netns"].as_str(), netns, "{record}");
    }
    // Each change of the script, in the order made.
    let made = [
        ("new", "link", va.as_str()),
        ("new", "addr", "10.9.0.1/24"),
        ("new", "route", "10.10.0.0/16"),
        ("new", "link", br.as_str()),
        ("new", "fdb", "02:00:00:00:00:01"),
        ("del", "fdb", "02:00:00:00:00:01"),
        ("del", "route", "10.10.0.0/16"),
        ("del", "addr", "10.9.0.1/24"),
        ("del", "link", va.as_str()),
        ("del", "link", vb.as_str()),
        ("del", "link", br.as_str()),
    ];
    let mut at = 0;
    for (action, kind, key) in made {
        let found = got[at..]
            .iter()
            .position(|(a, k, x)| a == action && k == kind && x == key)
            .unwrap_or_else(|| panic!("{action} {kind} {key} missing or out of order: {got:?}"));
        at += found + 1;
    }
    let fdb = records
        .iter()
        .find(|r| r["fdb"]["mac"] == "02:00:00:00:00:01")
        .unwrap();
    assert_eq!(fdb["fdb"]["port"], vb.as_str());
    assert_eq!(fdb["fdb"]["bridge"], br.as_str());
    let route = records
        .iter()
        .find(|r| r["route"]["dst"] == "10.10.0.0/16")
        .unwrap();
    // The object is route show's record of the route (its type under "type"), field for field.
    let shown = serde_json::json!({"type": "unicast", "dst": "10.10.0.0/16", "family": "inet",
        "gateway": "10.9.0.2", "dev": va, "protocol": "boot", "scope": "global", "prefsrc": null,
        "metric": null, "table": 254, "flags": [], "pref": null, "nhid": null});
    assert_eq!(route["route"], shown, "{route}");
}

/// A port leaving its bridge (nomaster, or deleted) is a record of its own, as `bridge monitor`
/// prints "Deleted ... master BR": kind port, the port's link record with master naming the bridge.
#[test]
fn a_port_leaving_its_bridge_is_a_record_of_its_own() {
    let lab = lab!();
    let (va, vb, bridge) = (lab.link("va"), lab.link("vb"), lab.link("br"));
    sh_ok(&format!(
        "ip link add {va} type veth peer name {vb} && ip link add {bridge} type bridge && \
         ip link set {va} master {bridge} && ip link set {vb} master {bridge}"
    ));
    let before = ip_json(&format!("-d link show dev {va}"))[0].clone();
    let devs = format!("{va},{vb},{bridge}");
    let monitor = Streaming::start("vnet-bridge", &["monitor", "--dev", &devs, "--timeout", "3"]);
    let classic = Classic::start("bridge monitor link");
    wait_netlink_subscribed(monitor.child.id(), None);
    wait_netlink_subscribed(classic.pid(), None);
    sh_ok(&format!("ip link set {va} nomaster && ip link del {vb}"));
    let run = monitor.finish(Duration::from_secs(15)).ok();
    let text = classic.stop();
    let records = run.records();
    let ours: Vec<(String, String)> = records
        .iter()
        .filter(|r| r["kind"] == "port")
        .map(|r| {
            assert_eq!(r["action"], "del", "{r}");
            let name = r["link"]["name"].as_str().unwrap().to_string();
            (name, r["link"]["master"].as_str().unwrap().to_string())
        })
        .collect();
    let theirs: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.strip_prefix("Deleted ")?.split_whitespace().collect();
            let name = words[1].trim_end_matches(':').split('@').next().unwrap();
            let master = words[words.iter().position(|w| *w == "master")? + 1];
            Some((name.to_string(), master.to_string()))
        })
        .collect();
    assert_eq!(ours, theirs, "ours vs bridge monitor\n{}\n{text}", run.stdout);
    let want = [(va.clone(), bridge.clone()), (vb.clone(), bridge.clone())];
    assert_eq!(ours, want, "{}", run.stdout);
    // The record's object is the port's link record: the fields ip -d -j shows for it.
    let left = records.iter().find(|r| r["kind"] == "port").unwrap();
    let link = &left["link"];
    assert_eq!(link["index"], before["ifindex"], "{left}");
    assert_eq!(link["kind"], before["linkinfo"]["info_kind"], "{left}");
    assert_eq!(link["mtu"], before["mtu"], "{left}");
    assert_eq!(link["mac"], before["address"], "{left}");
    assert_eq!(link["master"], before["master"], "{left}");
}

#[test]
fn monitor_records_the_changes_of_a_script_as_ip_monitor_sees_them() {
    let lab = lab!();
    monitor_matches_ip_monitor(&lab, None);
    let ns = lab.netns("mon");
    sh_ok(&format!("ip netns add {ns}"));
    monitor_matches_ip_monitor(&lab, Some(&ns));
}

/// vnet-bridge monitor -n NS: bridge and port links and FDB entries only, with the text layout;
/// a missing namespace is exit 3 and a bad --dev exit 7, before any record.
#[test]
fn bridge_monitor_in_a_namespace() {
    let lab = lab!();
    let ns = lab.netns("bmon");
    sh_ok(&format!("ip netns add {ns}"));
    let monitor = Streaming::start("vnet-bridge", &["-n", &ns, "monitor", "--timeout", "3"]);
    wait_netlink_subscribed(monitor.child.id(), Some(&ns));
    sh_ok(&format!(
        "ip -n {ns} link add pa type veth peer name pb && ip -n {ns} link add br9 type bridge && \
         ip -n {ns} link set pa master br9 && ip -n {ns} addr add 10.1.1.1/24 dev br9 && \
         bridge -n {ns} fdb add 02:00:00:00:00:09 dev pa master static"
    ));
    let run = monitor.finish(Duration::from_secs(10)).ok();
    let records = run.records();
    assert!(
        records.iter().all(|r| r["kind"] == "link" || r["kind"] == "fdb"),
        "{records:?}"
    );
    assert!(
        records.iter().all(|r| r["link"]["name"] != "pb"),
        "pb is no bridge port"
    );
    assert!(records
        .iter()
        .any(|r| r["fdb"]["mac"] == "02:00:00:00:00:09" && r["fdb"]["port"] == "pa"));
    assert!(records
        .iter()
        .any(|r| r["link"]["name"] == "pa" && r["link"]["master"] == "br9"));
    vnet(
        "vnet-bridge",
        &["-n", "nonexistent-ns", "monitor", "--timeout", "1"],
    )
    .fails(3, "nonexistent-ns");
    vnet("vnet-bridge", &["monitor", "--dev", "bad/name", "--timeout", "1"]).fails(7, "bad/name");
    let text = vnet("vnet-ns", &["monitor", &ns, "--timeout", "0.2", "-o", "text"]).ok();
    assert_eq!(text.stdout, "");
}

/// --all-namespaces: a namespace created after the monitor started is followed (a netns record)
/// and its changes come with its name; its deletion is a netns record too.
#[test]
fn monitor_follows_namespaces_created_after_it_started() {
    let lab = lab!();
    let ns = lab.netns("late");
    let mut monitor = Streaming::start(
        "vnet-ns",
        &[
            "monitor",
            "--all-namespaces",
            "--kind",
            "link,netns",
            "--timeout",
            "20",
        ],
    );
    // The watch on /run/netns is set before the first socket subscribes.
    wait_netlink_subscribed(monitor.child.id(), None);
    sh_ok(&format!("ip netns add {ns}"));
    let followed = monitor.until(Duration::from_secs(5), |r| r["kind"] == "netns");
    assert_eq!(followed["netns"], ns.as_str());
    assert_eq!(followed["action"], "new");
    sh_ok(&format!("ip -n {ns} link add lx1 type veth peer name lx2"));
    let link = monitor.until(Duration::from_secs(5), |r| r["kind"] == "link");
    assert_eq!(link["netns"], ns.as_str());
    assert!(
        ["lx1", "lx2"].contains(&link["link"]["name"].as_str().unwrap()),
        "{link}"
    );
    sh_ok(&format!("ip netns delete {ns}"));
    let gone = monitor.until(Duration::from_secs(5), |r| r["kind"] == "netns");
    assert_eq!(
        (gone["netns"].as_str(), gone["action"].as_str()),
        (Some(ns.as_str()), Some("del"))
    );
    // SIGTERM ends the stream with status 0, every record a whole line.
    monitor.signal("TERM");
    let run = monitor.finish(Duration::from_secs(5));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.ends_with('\n'), "{run:?}");
    run.records();
}

/// A reader that goes away ends the stream quietly with status 0.
#[test]
fn a_closed_stdout_ends_a_stream_quietly() {
    let _lab = lab!();
    let bin = vnet_tests::bin_dir().join("vnet-ns");
    let started = Instant::now();
    let run = sh(&format!(
        "set -o pipefail; {} monitor --timeout 30 2>/tmp/vnet-watch-err | true; echo rc=$?; cat /tmp/vnet-watch-err",
        bin.display()
    ));
    assert!(run.stdout.starts_with("rc=0\n"), "{run:?}");
    assert_eq!(run.stdout, "rc=0\n", "nothing on stderr: {run:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "ended when the reader went away"
    );
}

/// (action, kind, key) of a `[RULE]` or `[NSID]` line of `ip monitor label rule nsid`: the key is
/// the rule's priority or the id.
fn theirs_rule_nsid(line: &str) -> Option<(String, String, String)> {
    let (label, rest) = line.strip_prefix('[')?.split_once(']')?;
    let (action, rest) = match rest.strip_prefix("Deleted ") {
        Some(rest) => ("del", rest),
        None => ("new", rest),
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let (kind, key) = match label {
        "RULE" => ("rule", words[0].trim_end_matches(':')),
        "NSID" => ("nsid", words[1]),
        _ => return None,
    };
    Some((action.into(), kind.into(), key.into()))
}

/// ip monitor's object words: `vnet-ns monitor rule nsid` reports what `ip monitor rule nsid`
/// reports of the same changes (rules of both families added and deleted, a namespace id given),
/// in the same order, and nothing of a link made meanwhile; a rule's record is rule show's.
#[test]
fn ip_monitor_words_choose_what_is_reported() {
    let lab = lab!();
    let ns = lab.netns("nsid");
    let (va, vb) = (lab.link("va"), lab.link("vb"));
    lab.on_drop("ip rule del pref 3101; ip -6 rule del pref 3102");
    let monitor = Streaming::start("vnet-ns", &["monitor", "rule", "nsid", "--timeout", "3"]);
    // ip -4 monitor rule: IPv4 rules only.
    let inet = Streaming::start("vnet-ns", &["-4", "monitor", "rule", "--timeout", "3"]);
    let classic = Classic::start("ip monitor label rule nsid");
    wait_netlink_subscribed(monitor.child.id(), None);
    wait_netlink_subscribed(inet.child.id(), None);
    wait_netlink_subscribed(classic.pid(), None);
    sh_ok(&format!(
        "ip netns add {ns} && ip netns set {ns} 31 && \
         ip rule add from 10.31.0.0/16 lookup 131 pref 3101 && \
         ip link add {va} type veth peer name {vb} && \
         ip -6 rule add from 2001:db8:31::/48 lookup 131 pref 3102"
    ));
    let shown = ip_json("rule show pref 3101")[0].clone();
    sh_ok(&format!(
        "ip rule del pref 3101 && ip -6 rule del pref 3102 && ip netns del {ns}"
    ));
    let run = monitor.finish(Duration::from_secs(15)).ok();
    let inet: Vec<(String, String)> = inet
        .finish(Duration::from_secs(15))
        .ok()
        .records()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().into(),
                r["rule"]["priority"].to_string(),
            )
        })
        .collect();
    let want = [
        ("new".to_string(), "3101".to_string()),
        ("del".into(), "3101".into()),
    ];
    assert_eq!(inet, want);
    classic.until("ip monitor's last rule", Duration::from_secs(5), |t| {
        t.contains("Deleted 3102") && t.contains("Deleted nsid 31 ")
    });
    let text = classic.stop();
    let records = run.records();
    assert!(
        records.iter().all(|r| r["kind"] == "rule" || r["kind"] == "nsid"),
        "{}",
        run.stdout
    );
    let ours_here = |r: &Value| {
        let key = match r["kind"].as_str().unwrap() {
            "rule" => r["rule"]["priority"].to_string(),
            _ => r["nsid"]["nsid"].to_string(),
        };
        (
            r["action"].as_str().unwrap().to_string(),
            r["kind"].as_str().unwrap().to_string(),
            key,
        )
    };
    let mine = |key: &str| ["3101", "3102", "31"].contains(&key);
    let got: Vec<_> = records
        .iter()
        .map(ours_here)
        .filter(|(_, _, k)| mine(k))
        .collect();
    let want: Vec<_> = text
        .lines()
        .filter_map(theirs_rule_nsid)
        .filter(|(_, _, k)| mine(k))
        .collect();
    assert_eq!(got, want, "ours vs ip monitor\n{}\n{text}", run.stdout);
    let made = [
        ("new", "nsid", "31"),
        ("new", "rule", "3101"),
        ("new", "rule", "3102"),
        ("del", "nsid", "31"),
    ];
    for (action, kind, key) in made {
        assert!(got.contains(&(action.into(), kind.into(), key.into())), "{got:?}");
    }
    // Both records name the namespace, the deleted one too (gone by then: the name was learnt).
    for nsid in records.iter().filter(|r| r["kind"] == "nsid") {
        assert_eq!(nsid["nsid"]["name"], ns.as_str(), "{nsid}");
    }
    let rule = records.iter().find(|r| r["rule"]["priority"] == 3101).unwrap();
    for field in ["priority", "src", "srclen", "table"] {
        assert_eq!(rule["rule"][field], shown[field], "{field}: {rule} vs {shown}");
    }
}

/// `dev IF` keeps IF's changes only, and IF must exist where the monitor watches (exit 3, as ip
/// refuses it); `-n NS monitor link` watches NS; ip's objects vnet cannot watch, bridge monitor's
/// vlan and vni, and unknown words are refused by name (exit 7), changing nothing.
#[test]
fn ip_monitor_dev_netns_and_refused_words() {
    let lab = lab!();
    let ns = lab.netns("mdev");
    sh_ok(&format!(
        "ip netns add {ns} && ip -n {ns} link add pa type veth peer name pb"
    ));
    let args = ["-n", &ns, "monitor", "link", "dev", "pa", "--timeout", "2.5"];
    let monitor = Streaming::start("vnet-ns", &args);
    wait_netlink_subscribed(monitor.child.id(), Some(&ns));
    sh_ok(&format!(
        "ip -n {ns} link set pb up && ip -n {ns} link set pa up && \
         ip -n {ns} addr add 10.32.0.1/24 dev pa && ip -n {ns} link set pa mtu 1400"
    ));
    let run = monitor.finish(Duration::from_secs(10)).ok();
    let records = run.records();
    assert!(!records.is_empty(), "pa's changes: {}", run.stdout);
    for r in &records {
        assert_eq!(
            (r["kind"].as_str(), r["link"]["name"].as_str()),
            (Some("link"), Some("pa")),
            "{r}"
        );
        assert_eq!(r["netns"], ns.as_str(), "{r}");
    }
    let shown = ip_json(&format!("-n {ns} link show dev pa"))[0].clone();
    let last = &records.last().unwrap()["link"];
    assert_eq!(
        (&last["mtu"], &last["index"]),
        (&shown["mtu"], &shown["ifindex"]),
        "{last}"
    );
    assert_unchanged(state_snapshot, || {
        vnet("vnet-ns", &["monitor", "dev", "nosuch0", "--timeout", "1"]).fails(3, "nosuch0");
        vnet("vnet-ns", &["-n", &ns, "monitor", "dev", "nosuch0"]).fails(3, "nosuch0");
        for word in ["mroute", "prefix", "stats"] {
            vnet("vnet-ns", &["monitor", word, "--timeout", "1"])
                .fails(7, &format!("ip monitor {word} is not supported"));
        }
        vnet("vnet-ns", &["monitor", "file", "/tmp/x"]).fails(7, "ip monitor file");
        vnet("vnet-ns", &["monitor", "link", "bogus"]).fails(7, "bogus");
        vnet("vnet-ns", &["monitor", "link", "dev"]).fails(2, "dev");
        for word in ["vlan", "vni"] {
            vnet("vnet-bridge", &["monitor", word, "--timeout", "1"])
                .fails(7, &format!("bridge monitor {word} is not supported"));
        }
        vnet("vnet-bridge", &["monitor", "link", "neigh"]).fails(7, "neigh");
    });
}

/// `vnet-bridge monitor mdb` reports the multicast database changes `bridge monitor mdb` prints,
/// in order, each record mdb show's record of the entry.
#[test]
fn bridge_monitor_mdb_matches_bridge_monitor() {
    let lab = lab!();
    let (br, va, vb) = (lab.link("br"), lab.link("va"), lab.link("vb"));
    sh_ok(&format!(
        "ip link add {br} type bridge mcast_snooping 1 && ip link add {va} type veth peer name {vb} && \
         ip link set {va} master {br} && ip link set {br} up && ip link set {va} up && ip link set {vb} up"
    ));
    let monitor = Streaming::start("vnet-bridge", &["monitor", "mdb", "--timeout", "3"]);
    let classic = Classic::start("bridge monitor mdb");
    wait_netlink_subscribed(monitor.child.id(), None);
    wait_netlink_subscribed(classic.pid(), None);
    sh_ok(&format!(
        "bridge mdb add dev {br} port {va} grp 239.33.0.1 permanent && \
         bridge mdb add dev {br} port {va} grp 239.33.0.2 src 10.33.0.9 vid 4 && \
         bridge mdb del dev {br} port {va} grp 239.33.0.1"
    ));
    let run = monitor.finish(Duration::from_secs(10)).ok();
    classic.until("bridge monitor's deletion", Duration::from_secs(5), |t| {
        t.contains("Deleted")
    });
    let text = classic.stop();
    let records = run.records();
    assert!(records.iter().all(|r| r["kind"] == "mdb"), "{}", run.stdout);
    let got: Vec<String> = records
        .iter()
        .filter(|r| r["mdb"]["grp"].as_str().unwrap().starts_with("239.33."))
        .map(|r| {
            let m = &r["mdb"];
            let mut line = format!(
                "dev {} port {} grp {}",
                m["dev"].as_str().unwrap(),
                m["port"].as_str().unwrap(),
                m["grp"].as_str().unwrap()
            );
            if let Some(src) = m["src"].as_str() {
                line += &format!(" src {src}");
            }
            line += &format!(" {}", m["state"].as_str().unwrap());
            if let Some(vid) = m["vid"].as_u64() {
                line += &format!(" vid {vid}");
            }
            match r["action"].as_str().unwrap() {
                "del" => format!("Deleted {line}"),
                _ => line,
            }
        })
        .collect();
    let want: Vec<String> = text
        .lines()
        .filter(|l| l.contains("239.33."))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(got, want, "ours vs bridge monitor\n{}\n{text}", run.stdout);
    assert_eq!(got.len(), 3, "{got:?}");
}

// ---------------------------------------------------------------- libvirt events

fn small_domain_xml(name: &str) -> String {
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
         <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>"
    )
}

/// Domain events for define, start, destroy and undefine, in order, beside virsh event's lines
/// (-o text prints the same); waits that return at once or time out; the stream survives the
/// daemon restarting (disconnected, reconnected records), or with --no-reconnect ends with 6.
#[test]
fn domain_events_waits_and_a_daemon_restart() {
    let lab = lab!();
    let name = lab.domain("ev");
    let xml = PathBuf::from(format!("/tmp/vnet-watch-{name}.xml"));
    std::fs::write(&xml, small_domain_xml(&name)).unwrap();
    lab.on_drop(format!("rm -f {}", xml.display()));
    let logs = [0, 1, 2].map(|_| LibvirtClientLog::new(&lab, "rpc"));
    let mut json = Streaming::start_env("vnet-vm", &["events", &name, "--timeout", "60"], logs[0].env());
    let text = Streaming::start_env(
        "vnet-vm",
        &["events", &name, "--timeout", "60", "-o", "text"],
        logs[1].env(),
    );
    // virsh event --domain needs the domain to exist already: all domains, filtered below.
    let virsh = Classic::start(&format!(
        "env {} virsh event --event lifecycle --loop",
        logs[2].env_words()
    ));
    for log in &logs {
        log.wait_registered(LibvirtEvents::Domain);
    }
    sh_ok(&format!("virsh define {}", xml.display()));
    // Met already: returns at once.
    let shut = vnet("vnet-vm", &["wait", &name, "--state", "shut-off"])
        .ok()
        .json();
    assert_eq!(
        (shut["immediate"].as_bool(), shut["elapsed_secs"].as_f64()),
        (Some(true), Some(0.0))
    );
    // Never met: exit 1 after the timeout, what was last seen, nothing changed.
    let snapshot = || sh_ok(&format!("virsh domstate {name}; virsh dumpxml {name}"));
    assert_unchanged(snapshot, || {
        let started = Instant::now();
        vnet(
            "vnet-vm",
            &["wait", &name, "--state", "running", "--timeout", "1.5"],
        )
        .fails(1, "last seen: shut off");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(1500) && took < Duration::from_secs(4),
            "{took:?}"
        );
    });
    vnet("vnet-vm", &["wait", "no-such-domain", "--state", "running"]).fails(3, "not found");
    vnet("vnet-vm", &["wait", &name]).fails(2, "");
    let running = Streaming::start(
        "vnet-vm",
        &["wait", &name, "--state", "running", "--timeout", "30"],
    );
    sh_ok(&format!("virsh start {name}"));
    let met = running.finish(Duration::from_secs(30)).ok().json();
    assert_eq!(
        (met["state"].as_str(), met["immediate"].as_bool()),
        (Some("running"), Some(false))
    );
    sh_ok(&format!("virsh destroy {name}"));
    sh_ok(&format!("virsh undefine {name}"));
    let gone = vnet("vnet-vm", &["wait", &name, "--gone"]).ok().json();
    assert_eq!(gone["state"], "gone");
    let mut events = Vec::new();
    while events.len() < 4 || events.last().map(|e: &(String, String)| e.0.as_str()) != Some("undefined") {
        let record = json.until(Duration::from_secs(10), |r| r["record"] == "lifecycle");
        assert_eq!(record["domain"], name.as_str());
        events.push((
            record["event"].as_str().unwrap().to_string(),
            record["detail"].as_str().unwrap().to_string(),
        ));
    }
    let words: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    let key: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| ["defined", "started", "stopped", "undefined"].contains(w))
        .collect();
    assert_eq!(key, ["defined", "started", "stopped", "undefined"], "{events:?}");
    assert!(
        events.contains(&("stopped".into(), "destroyed".into())),
        "{events:?}"
    );
    // The text layout is virsh event's, line for line (once virsh has printed them all).
    let domain = format!("for domain '{name}'");
    virsh.until("virsh event's lines", Duration::from_secs(10), |text| {
        text.lines().filter(|l| l.contains(&domain)).count() >= events.len()
    });
    let virsh_lines = virsh.stop();
    text_lines_match(text, &virsh_lines, &name, events.len());
    daemon_restart(&lab, json);
}

fn text_lines_match(text: Streaming, virsh: &str, name: &str, n: usize) {
    let mut ours = Vec::new();
    for _ in 0..n {
        ours.push(
            text.lines
                .recv_timeout(Duration::from_secs(5))
                .expect("a text line"),
        );
    }
    let domain = format!("for domain '{name}'");
    let theirs: Vec<&str> = virsh
        .lines()
        .filter(|l| l.starts_with("event ") && l.contains(&domain))
        .collect();
    assert_eq!(ours, theirs);
}

/// The daemon restarts under a running stream: a disconnected record, then a reconnected one.
/// With --no-reconnect the stream ends with 6 instead.
fn daemon_restart(lab: &Lab, mut json: Streaming) {
    let log = LibvirtClientLog::new(lab, "rpc");
    let once = Streaming::start_env(
        "vnet-vm",
        &["events", "--no-reconnect", "--timeout", "30"],
        log.env(),
    );
    log.wait_registered(LibvirtEvents::Domain);
    sh_ok("kill $(cat /run/libvirtd.pid); for i in $(seq 100); do [ -e /run/libvirtd.pid ] || break; sleep 0.1; done");
    let lost = json.until(Duration::from_secs(10), |r| r["record"] != "lifecycle");
    assert_eq!(lost["record"], "disconnected", "{lost}");
    sh_ok("libvirtd -d; for i in $(seq 100); do [ -S /run/libvirt/libvirt-sock ] && break; sleep 0.1; done");
    let back = json.until(Duration::from_secs(15), |r| r["record"] != "lifecycle");
    assert_eq!(back["record"], "reconnected", "{back}");
    let run = once.finish(Duration::from_secs(10));
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("connection to libvirt lost"), "{run:?}");
    let records = run.records();
    assert_eq!(records.last().unwrap()["record"], "disconnected");
    sh_ok("virsh list >/dev/null");
}

/// Network events for define, start, destroy, undefine, in order, beside virsh net-event; the
/// stream ends after --count records.
#[test]
fn network_events_in_order() {
    let lab = lab!();
    let name = lab.network("nev");
    let xml = PathBuf::from(format!("/tmp/vnet-watch-{name}.xml"));
    std::fs::write(&xml, format!("<network><name>{name}</name></network>")).unwrap();
    lab.on_drop(format!("rm -f {}", xml.display()));
    let logs = [0, 1, 2].map(|_| LibvirtClientLog::new(&lab, "rpc"));
    let json = Streaming::start_env(
        "vnet-net",
        &["events", &name, "--count", "4", "--timeout", "60"],
        logs[0].env(),
    );
    let text = Streaming::start_env(
        "vnet-net",
        &["net-event", &name, "--count", "4", "-o", "text"],
        logs[1].env(),
    );
    let virsh = Classic::start(&format!(
        "env {} virsh net-event --network {name} --event lifecycle --loop",
        logs[2].env_words()
    ));
    for log in &logs {
        log.wait_registered(LibvirtEvents::Network);
    }
    for step in ["net-define", "net-start", "net-destroy", "net-undefine"] {
        let arg = if step == "net-define" {
            xml.display().to_string()
        } else {
            name.clone()
        };
        sh_ok(&format!("virsh {step} {arg}"));
    }
    let run = json.finish(Duration::from_secs(20)).ok();
    let events: Vec<String> = run
        .records()
        .iter()
        .map(|r| r["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(events, ["defined", "started", "stopped", "undefined"]);
    let ours = text.finish(Duration::from_secs(10)).ok().stdout;
    virsh.until("virsh net-event's lines", Duration::from_secs(10), |text| {
        text.lines().filter(|l| l.starts_with("event ")).count() >= 4
    });
    let theirs: String = virsh
        .stop()
        .lines()
        .filter(|l| l.starts_with("event "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(ours, theirs);
}

// ---------------------------------------------------------------- a real guest

/// The kit's guest, booted straight from its kernel on the default network (no disk).
fn boot_guest(name: &str) {
    let kit = kit();
    let boot = format!(
        "kernel={}/vmlinuz,initrd={}/initrd.gz,kernel_args=console=ttyS0",
        kit.display(),
        kit.display()
    );
    vnet(
        "vnet-vm",
        &[
            "install",
            "--name",
            name,
            "--memory",
            "256",
            "--disk",
            "none",
            "--boot",
            &boot,
            "--virt-type",
            "qemu",
            "--noautoconsole",
        ],
    )
    .ok();
}

/// wait --ip returns the leased address (virsh net-dhcp-leases and the guest's console agree);
/// domifaddr names its sources (lease, arp after traffic, agent: exit 6 without one); wait
/// --state shut-off returns within a second of the guest powering itself off from its console.
#[test]
fn guest_wait_ip_and_poweroff() {
    let lab = lab!();
    default_network(&lab);
    let name = lab.domain("gw");
    lab.on_drop(format!("rm -f /var/lib/libvirt/boot/vnet-{name}-*"));
    boot_guest(&name);
    let waited = vnet("vnet-vm", &["wait", &name, "--ip", "--timeout", "150"])
        .ok()
        .json();
    let address = waited["address"]["address"].as_str().unwrap().to_string();
    let ip = address.split('/').next().unwrap().to_string();
    assert_eq!(waited["address"]["source"], "lease");
    assert_eq!(waited["condition"], "ip");
    let leases = sh_ok("virsh net-dhcp-leases default");
    let mac = waited["address"]["mac"].as_str().unwrap();
    let line = leases
        .lines()
        .find(|l| l.contains(mac))
        .unwrap_or_else(|| panic!("{leases}"));
    assert!(line.contains(&address), "{line} vs {address}");
    let text = vnet("vnet-vm", &["wait", &name, "--ip", "-o", "text"])
        .ok()
        .stdout;
    assert_eq!(text, format!("{address}\n"));
    // The guest's own view, from its console.
    let console = vnet_stdin(
        "vnet-vm",
        &["console", &name, "--linger", "2"],
        "\nip -4 addr show eth0\n",
    )
    .ok();
    assert!(console.stdout.contains(&address), "{console:?}");
    // Sources: the host's ARP table knows the guest once they talked.
    sh_ok(&format!("ping -c 1 -W 5 {ip} >/dev/null"));
    let arp = vnet("vnet-vm", &["domifaddr", &name, "--source", "arp"])
        .ok()
        .json();
    assert!(
        arp.as_array()
            .unwrap()
            .iter()
            .any(|r| r["source"] == "arp" && r["address"].as_str().unwrap().starts_with(&format!("{ip}/"))),
        "{arp}"
    );
    let any = vnet("vnet-vm", &["domifaddr", &name, "--source", "any"])
        .ok()
        .json();
    assert_eq!(any[0]["source"], "lease");
    vnet("vnet-vm", &["domifaddr", &name, "--source", "agent"]).fails(6, "no guest agent");
    // Power off from inside; the wait is already listening.
    let log = LibvirtClientLog::new(&lab, "rpc");
    let wait = Streaming::start_env(
        "vnet-vm",
        &["wait", &name, "--state", "shut-off", "--timeout", "60"],
        log.env(),
    );
    log.wait_registered(LibvirtEvents::Domain);
    let (done_tx, done_rx) = channel();
    let watcher = std::thread::spawn(move || {
        let run = wait.finish(Duration::from_secs(60));
        let _ = done_tx.send(Instant::now());
        run
    });
    vnet_stdin("vnet-vm", &["console", &name, "--linger", "1"], "\npoweroff -f\n");
    let deadline = Instant::now() + Duration::from_secs(30);
    let off = loop {
        if sh_ok(&format!("virsh domstate {name}")).trim() == "shut off" {
            break Instant::now();
        }
        assert!(Instant::now() < deadline, "guest did not power off");
        std::thread::sleep(Duration::from_millis(50));
    };
    let returned = done_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("wait returned");
    let run = watcher.join().unwrap().ok();
    let lag = returned.saturating_duration_since(off);
    assert!(
        lag < Duration::from_secs(1),
        "wait returned {lag:?} after the guest was off"
    );
    let met = run.json();
    assert_eq!(met["state"], "shut off");
    assert_eq!(met["wanted"], "shut off");
    assert!(met["met_at"].as_str().unwrap().ends_with('Z'));
}
