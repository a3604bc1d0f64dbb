//! Helpers for the end-to-end tests: run the built binaries, read independent oracles (`ip -j`,
//! `bridge -j`, sysfs, `virsh`), make unique names, and refuse to run privileged tests outside the
//! sandbox (tests/sandbox) unless VNET_SKIP_PRIVILEGED=1 says to skip them, counting each skip.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// True inside the sandbox. Outside it, panics (a privileged test that cannot run is a failure)
/// unless VNET_SKIP_PRIVILEGED=1, in which case it records the skip and returns false.
pub fn privileged(test: &str) -> bool {
    if std::env::var("VNET_IN_SANDBOX").as_deref() == Ok("1") {
        return true;
    }
    if std::env::var("VNET_SKIP_PRIVILEGED").as_deref() == Ok("1") {
        eprintln!("SKIPPED privileged test {test} (VNET_SKIP_PRIVILEGED=1)");
        if let Ok(log) = std::env::var("VNET_SKIP_LOG") {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .expect("skip log");
            writeln!(f, "{test}").expect("write skip log");
        }
        return false;
    }
    panic!("{test} needs the sandbox: run it through tests/run (or set VNET_SKIP_PRIVILEGED=1 to skip)");
}

/// The directory holding the built binaries (target/debug), found from this test's own path.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let deps = exe.parent().expect("deps dir");
    deps.parent().expect("target profile dir").to_path_buf()
}

/// The result of running a command: exit code, stdout, stderr.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from_output(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The stdout parsed as one JSON document; panics with the whole run when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Asserts success and returns self.
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "command failed: {self:?}");
        self
    }

    /// Asserts the documented failure: this exit code, nothing on stdout, one error line (and
    /// at most a hint line) on stderr that mentions `needle`.
    pub fn fails(self, code: i32, needle: &str) -> Run {
        assert_eq!(self.code, code, "wrong exit code: {self:?}");
        assert_eq!(self.stdout, "", "stdout must be empty on failure: {self:?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert!(
            !lines.is_empty() && lines.len() <= 2,
            "one error line (+hint): {self:?}"
        );
        assert!(lines[0].contains(": error: "), "error line format: {self:?}");
        if lines.len() == 2 {
            assert!(lines[1].starts_with("hint: "), "second line is a hint: {self:?}");
        }
        assert!(
            self.stderr.contains(needle),
            "stderr should mention {needle:?}: {self:?}"
        );
        self
    }
}

/// Runs one of the project's binaries (vnet-ns, vnet-bridge, ...) with arguments.
pub fn vnet(tool: &str, args: &[&str]) -> Run {
    let output = Command::new(bin_dir().join(tool))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {tool}: {e}"));
    Run::from_output(output)
}

/// Runs one of the project's binaries with `input` on stdin.
pub fn vnet_stdin(tool: &str, args: &[&str], input: &str) -> Run {
    use std::io::Write;
    let mut child = Command::new(bin_dir().join(tool))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {tool}: {e}"));
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    Run::from_output(child.wait_with_output().unwrap())
}

/// Runs a bash command line (for the classic tools used as oracles).
pub fn sh(script: &str) -> Run {
    let output = Command::new("bash")
        .arg("-c")
        .arg(script)
        .output()
        .expect("run sh");
    Run::from_output(output)
}

/// Runs a shell command line that must succeed, returning its stdout.
pub fn sh_ok(script: &str) -> String {
    let run = sh(script);
    assert_eq!(run.code, 0, "`{script}` failed: {run:?}");
    run.stdout
}

/// `ip -j ARGS` parsed (the independent oracle for links and addresses).
pub fn ip_json(args: &str) -> Value {
    let out = sh_ok(&format!("ip -j {args}"));
    if out.trim().is_empty() {
        return Value::Array(vec![]);
    }
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("ip -j {args}: {e}: {out}"))
}

/// A name unique to this test process and call, short enough for an interface (<= 15 bytes).
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let name = format!("{prefix}{}x{n}", std::process::id() % 10000);
    assert!(name.len() <= 15, "test name too long: {name}");
    name
}

/// A snapshot of kernel state that bad input must leave unchanged: the named namespaces, and in
/// the current namespace and each named one every link (name, admin flags, master, MTU, MAC) with
/// its addresses. Left out is what the kernel changes by itself moments after a change that
/// happened before the snapshot: carrier and operstate, and IPv6 link-local addresses. A namespace
/// deleted earlier is torn down by the kernel in the background, so the snapshot is taken once the
/// state has stopped changing (two reads 50 ms apart agree).
pub fn state_snapshot() -> String {
    let mut last = read_state();
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let now = read_state();
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("kernel state did not settle in 5 s: {last}");
}

fn read_state() -> String {
    const LINKS: &str = r#"jq -cS '[.[] | {ifname, master, mtu, address,
        flags: (.flags - ["LOWER_UP", "NO-CARRIER", "M-DOWN", "DORMANT"]),
        addrs: [.addr_info[] | select(.scope != "link") | "\(.local)/\(.prefixlen)"]}]'"#;
    sh_ok(&format!(
        "ls -1 /run/netns 2>/dev/null | sort; ip -j addr | {LINKS}; \
         for n in $(ls /run/netns 2>/dev/null); do echo \"== $n\"; ip -n \"$n\" -j addr 2>&1 | {LINKS}; done"
    ))
}

/// The ports of a bridge as sysfs lists them (/sys/class/net/BR/brif), sorted; empty when none.
pub fn bridge_ports(bridge: &str) -> Vec<String> {
    let mut ports: Vec<String> = std::fs::read_dir(format!("/sys/class/net/{bridge}/brif"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    ports.sort();
    ports
}
