//! libvirt faults (issue 15, items 2, 3, 8, 9): a stopped libvirtd (SIGSTOP) at connect and in the
//! middle of a batch, a silent TCP peer, 10 parallel callers racing for one name, one subnet or one
//! bridge (4 rounds), libvirtd killed in the middle of a batch, and bounded, UTF-8 XML files.
//! Oracles: virsh, exit codes, wall-clock time. Every test that stops or kills the sandbox's
//! libvirtd resumes or restarts it in a drop guard, also when it fails.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vnet_tests::*;

fn libvirtd_pid() -> i32 {
    let text = std::fs::read_to_string("/run/libvirtd.pid").expect("libvirtd's pid file");
    text.trim().parse().expect("a pid")
}

/// Stops the sandbox's libvirtd with SIGSTOP; resumes it (SIGCONT) when dropped.
struct Stopped(i32);

impl Stopped {
    fn now() -> Stopped {
        let pid = libvirtd_pid();
        sh_ok(&format!("kill -STOP {pid}"));
        Stopped(pid)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = sh(&format!("kill -CONT {}", self.0));
    }
}

/// Starts libvirtd again (as tests/sandbox-inner does) when dropped, if it is not running.
struct Restart;

impl Drop for Restart {
    fn drop(&mut self) {
        start_libvirtd();
    }
}

fn libvirtd_answers() -> bool {
    sh("timeout 5 virsh -q net-list --all >/dev/null 2>&1").code == 0
}

fn start_libvirtd() {
    if libvirtd_answers() {
        return;
    }
    let _ = sh("libvirtd -d");
    for _ in 0..100 {
        if libvirtd_answers() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("libvirtd did not come back");
}

/// Runs vnet-net with `envs` set, timing it.
fn net_env(args: &[&str], envs: &[(&str, &str)]) -> (Run, Duration) {
    let started = Instant::now();
    let mut command = Command::new(bin_dir().join("vnet-net"));
    command.args(args).stdin(Stdio::null());
    for (k, v) in envs {
        command.env(k, v);
    }
    let output = command.output().expect("run vnet-net");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        tool: Some("vnet-net".into()),
        args: args.iter().map(|a| a.to_string()).collect(),
    };
    (run, started.elapsed())
}

/// A `vnet-net --batch -` fed line by line, so the test can act on libvirtd between lines.
struct Batch {
    child: Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Batch {
    fn start(flags: &[&str]) -> Batch {
        let mut child = Command::new(bin_dir().join("vnet-net"))
            .args(flags)
            .args(["--batch", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start vnet-net --batch");
        let out = BufReader::new(child.stdout.take().unwrap());
        Batch { child, out }
    }

    /// Sends one line and returns its record.
    fn line(&mut self, line: &str) -> Value {
        self.send(line);
        let mut record = String::new();
        self.out.read_line(&mut record).unwrap();
        serde_json::from_str(&record).unwrap_or_else(|e| panic!("record of {line:?}: {e}: {record:?}"))
    }

    fn send(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Sends the last line, closes stdin and waits (at most `limit`): exit code, rest of stdout
    /// and stderr, and the time it took.
    fn finish(mut self, last: &str, limit: Duration) -> (i32, String, String, Duration) {
        let started = Instant::now();
        self.send(last);
        drop(self.child.stdin.take());
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut rest = String::new();
                std::io::Read::read_to_string(&mut self.out, &mut rest).unwrap();
                let mut err = String::new();
                std::io::Read::read_to_string(self.child.stderr.as_mut().unwrap(), &mut err).unwrap();
                return (status.code().unwrap_or(-1), rest, err, started.elapsed());
            }
            if started.elapsed() > limit {
                let _ = self.child.kill();
                panic!("batch still running after {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn a_stopped_daemon_is_exit_6_within_the_timeout() {
    let lab = lab!();
    let name = lab.network("stop");
    let before = network_names();
    {
        let _stopped = Stopped::now();
        for args in [
            vec!["--timeout", "3", "list"],
            vec![
                "--timeout",
                "3",
                "define",
                "--name",
                &name,
                "--ip",
                "10.210.1.1/24",
            ],
            vec!["--timeout", "3", "start", &name],
        ] {
            let (run, took) = net_env(&args, &[]);
            assert!(took < Duration::from_secs(8), "{args:?} took {took:?}");
            let run = run.fails(6, "did not answer within 3 s");
            assert!(run.stderr.contains("libvirt at "), "names the daemon: {run:?}");
            assert!(run.stderr.contains("nothing was changed"), "{run:?}");
        }
        // vnet-vm shares the session: the same timeout and message.
        let started = Instant::now();
        let run = vnet("vnet-vm", &["--timeout", "2", "list", "--all"]);
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "vnet-vm took {:?}",
            started.elapsed()
        );
        run.fails(6, "did not answer within 2 s");
        // VNET_TIMEOUT does the same without the flag; --timeout wins over it.
        let (run, took) = net_env(&["list"], &[("VNET_TIMEOUT", "2")]);
        assert!(took < Duration::from_secs(6), "took {took:?}");
        run.fails(6, "did not answer within 2 s");
        let (run, _) = net_env(&["--timeout", "1", "list"], &[("VNET_TIMEOUT", "20")]);
        run.fails(6, "did not answer within 1 s");
        // doctor reports the daemon as not answering instead of hanging.
        let (run, took) = net_env(&["--timeout", "2", "doctor"], &[]);
        assert!(took < Duration::from_secs(8), "doctor took {took:?}");
        let checks = run.ok().json();
        assert_eq!(checks[0]["name"], "libvirtd");
        assert_eq!(checks[0]["ok"], false);
        assert!(
            checks[0]["detail"].as_str().unwrap().starts_with("not answering"),
            "{checks}"
        );
    }
    assert_eq!(network_names(), before, "nothing changed");
    // A bad --timeout is a usage error, found before connecting.
    net(&["--timeout", "soon", "list"]).fails(2, "--timeout");
    let (run, _) = net_env(&["list"], &[("VNET_TIMEOUT", "-1")]);
    run.fails(2, "VNET_TIMEOUT='-1'");
}

#[test]
fn a_silent_peer_is_exit_6_within_the_timeout() {
    let _lab = lab!();
    // A TCP peer that accepts and never answers: a libvirt host that hangs after the handshake.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let uri = format!("qemu+tcp://127.0.0.1:{port}/system");
    let (run, took) = net_env(&["-c", &uri, "--timeout", "2", "list"], &[]);
    assert!(took < Duration::from_secs(6), "took {took:?}");
    let run = run.fails(6, "did not answer within 2 s");
    assert!(run.stderr.contains(&uri), "names the URI: {run:?}");
    drop(listener);
}

#[test]
fn a_daemon_that_stops_mid_batch_is_exit_6_and_leftovers_are_named() {
    let lab = lab!();
    let (a, b) = (lab.network("mida"), lab.network("midb"));
    let mut batch = Batch::start(&["--timeout", "3", "--atomic"]);
    let record = batch.line(&format!("define --name {a} --ip 10.210.2.1/24"));
    assert_eq!(
        (record["name"].as_str(), record["changed"].as_bool()),
        (Some(a.as_str()), Some(true))
    );
    let (code, rest, err, took) = {
        let _stopped = Stopped::now();
        batch.finish(
            &format!("define --name {b} --ip 10.210.3.1/24"),
            Duration::from_secs(20),
        )
    };
    assert_eq!(code, 6, "{rest} {err}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let failure: Value = serde_json::from_str(rest.trim()).unwrap_or_else(|e| panic!("{e}: {rest}"));
    assert_valid_record("vnet-net", &failure);
    assert_eq!(
        (failure["line"].clone(), failure["exit_code"].clone()),
        (2.into(), 6.into())
    );
    // --atomic tried to undefine line 1's network over the dead connection: named as left over.
    let leftovers = failure["leftovers"].as_array().expect("leftovers");
    assert!(
        leftovers
            .iter()
            .any(|l| l.as_str().unwrap().contains(&format!("define network {a}"))),
        "{failure}"
    );
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.len() <= 2 && lines[0].starts_with("vnet-net: error: line 2: "),
        "{err}"
    );
    assert!(err.contains("not undone"), "{err}");
    // After the daemon resumes: line 1's network is there (the leftover), line 2's is not.
    let names = network_names();
    assert!(names.contains(&a) && !names.contains(&b), "{names:?}");
}

/// Runs 10 copies of `args(i)` at once; returns their exit codes and first stderr lines.
fn race(args: impl Fn(usize) -> Vec<String>) -> Vec<(i32, String)> {
    let children: Vec<Child> = (0..10)
        .map(|i| {
            Command::new(bin_dir().join("vnet-net"))
                .args(args(i))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            (out.status.code().unwrap_or(-1), err)
        })
        .collect()
}

fn one_winner(what: &str, round: usize, results: &[(i32, String)]) {
    let mut codes: Vec<i32> = results.iter().map(|r| r.0).collect();
    codes.sort();
    assert_eq!(
        codes,
        [0, 4, 4, 4, 4, 4, 4, 4, 4, 4],
        "{what}, round {round}: {results:?}"
    );
    for (code, err) in results {
        if *code == 4 {
            assert!(
                err.starts_with("vnet-net: error: ") && err.lines().count() <= 2,
                "{err}"
            );
        }
    }
}

#[test]
fn ten_parallel_callers_give_one_winner_and_nine_4s() {
    let lab = lab!();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    for round in 1..=4 {
        let same = lab.network("same");
        let results = race(|_| s(&["define", "--name", &same, "--ip", "10.211.1.1/24"]));
        one_winner("define --name same", round, &results);
        let results = race(|_| s(&["start", &same]));
        one_winner("start same", round, &results);
        sh(&format!("virsh net-destroy {same}; virsh net-undefine {same}"));

        let names: Vec<String> = (0..10).map(|_| lab.network("sub")).collect();
        let results = race(|i| s(&["create", "--name", &names[i], "--ip", "10.211.2.1/24"]));
        one_winner("create on one subnet", round, &results);
        for name in &names {
            sh(&format!("virsh net-destroy {name}"));
        }

        let bridge = lab.link("rbr");
        let names: Vec<String> = (0..10).map(|_| lab.network("br")).collect();
        let results = race(|i| {
            let ip = format!("10.211.{}.1/24", 10 + i);
            s(&["define", "--name", &names[i], "--bridge", &bridge, "--ip", &ip])
        });
        one_winner("define with one --bridge", round, &results);
        for name in &names {
            sh(&format!("virsh net-undefine {name}"));
        }
    }
}

#[test]
fn libvirtd_dying_mid_batch_is_exit_6_wherever_it_happens() {
    let lab = lab!();
    let _restart = Restart;
    let net_a = lab.network("diea");
    sh_ok(&format!(
        "virsh net-define /dev/stdin <<'EOF' >/dev/null\n<network><name>{net_a}</name>\
         <ip address='10.212.1.1' prefix='24'/></network>\nEOF"
    ));
    // The daemon dies between lines; the next line is each of these verbs in turn.
    let next_lines = [
        format!("define --name {} --ip 10.212.2.1/24", lab.network("dieb")),
        "list --all".to_string(),
        format!("start {net_a}"),
        format!("info {net_a}"),
    ];
    for next in &next_lines {
        start_libvirtd();
        let mut batch = Batch::start(&["--timeout", "5"]);
        let record = batch.line("list --all");
        assert!(record.is_array(), "{record}");
        let pid = libvirtd_pid();
        sh_ok(&format!("kill -KILL {pid}"));
        wait_dead(pid);
        let (code, rest, err, took) = batch.finish(next, Duration::from_secs(20));
        assert_eq!(code, 6, "{next}: {rest} {err}");
        assert!(took < Duration::from_secs(8), "{next}: took {took:?}");
        let failure: Value = serde_json::from_str(rest.trim()).unwrap_or_else(|e| panic!("{e}: {rest}"));
        assert_valid_record("vnet-net", &failure);
        assert_eq!(
            (failure["line"].clone(), failure["exit_code"].clone()),
            (2.into(), 6.into())
        );
        let lines: Vec<&str> = err.lines().collect();
        assert!(
            (1..=2).contains(&lines.len()) && lines[0].starts_with("vnet-net: error: line 2: "),
            "{next}: {err}"
        );
    }
    start_libvirtd();
}

#[test]
fn xml_files_are_utf8_and_bounded() {
    let lab = lab!();
    let name = lab.network("xml");
    let dir = std::env::temp_dir().join(lab.name("xmld"));
    std::fs::create_dir_all(&dir).unwrap();
    let latin1 = dir.join("latin1.xml");
    let mut bytes = format!("<network><name>{name}</name><description>caf").into_bytes();
    bytes.extend(b"\xe9</description></network>\n");
    std::fs::write(&latin1, bytes).unwrap();
    let big = dir.join("big.xml");
    let mut text = format!("<network><name>{name}</name><description>");
    text.push_str(&"x".repeat(11 << 20));
    text.push_str("</description></network>\n");
    std::fs::write(&big, text).unwrap();
    let before = network_names();
    net(&["define", latin1.to_str().unwrap()]).fails(7, "not UTF-8");
    net(&["define", big.to_str().unwrap()]).fails(7, "larger than 10485760 bytes");
    let started = Instant::now();
    net(&["define", "/dev/zero"]).fails(7, "larger than 10485760 bytes");
    assert!(started.elapsed() < Duration::from_secs(10));
    net(&["define", dir.join("none.xml").to_str().unwrap()]).fails(3, "none.xml");
    net(&["create", latin1.to_str().unwrap()]).fails(7, "not UTF-8");
    assert_eq!(network_names(), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_uris_get_no_start_the_daemon_hint() {
    let _lab = lab!();
    for uri in ["::not a uri", "nosuchdriver:///system"] {
        let run = net(&["-c", uri, "list"]).fails(7, "connect to libvirt");
        assert!(!run.stderr.contains("start the daemon"), "{run:?}");
    }
    // A local socket that is not there: the daemon is down here, so the local advice fits.
    let run =
        net(&["-c", "qemu+unix:///system?socket=/nonexistent/sock", "list"]).fails(6, "connect to libvirt");
    assert!(run.stderr.contains("hint: start the daemon"), "{run:?}");
}
