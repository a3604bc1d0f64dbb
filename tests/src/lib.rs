//! Helpers for the end-to-end tests: run the built binaries, read independent oracles (`ip -j`,
//! `bridge -j`, sysfs, `virsh`), make unique names, and refuse to run privileged tests outside the
//! sandbox (tests/sandbox) unless VNET_SKIP_PRIVILEGED=1 says to skip them, counting each skip.

use serde_json::Value;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
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

/// The result of running a command: exit code, stdout, stderr, and for a vnet tool which tool
/// and arguments (to validate its JSON against the verb's schema).
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub tool: Option<String>,
    pub args: Vec<String>,
}

impl Run {
    fn from_output(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            tool: None,
            args: Vec::new(),
        }
    }

    fn of_tool(mut self, tool: &str, args: &[&str]) -> Run {
        self.tool = Some(tool.to_string());
        self.args = args.iter().map(|a| a.to_string()).collect();
        self
    }

    /// The stdout parsed as one JSON document; panics with the whole run when it is not. The
    /// output of a vnet tool is validated against its verb's committed schema.
    pub fn json(&self) -> Value {
        let value: Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"));
        if let Some(tool) = &self.tool {
            let verb = verb_of(tool, &self.args).unwrap_or_else(|| panic!("no verb in {self:?}"));
            assert_valid(tool, &verb, &value);
        }
        value
    }

    /// The NDJSON records of a `--batch` run, each validated against its tool's schemas (the
    /// verbs' outputs and the failure record), or of a streaming verb (events, monitor), each
    /// validated against that verb's own schema (the schema of one record).
    pub fn records(&self) -> Vec<Value> {
        let tool = self
            .tool
            .as_deref()
            .expect("records() reads a vnet tool's NDJSON output");
        let batch = self.args.iter().any(|a| a == "--batch" || a == "-b");
        let verb = if batch { None } else { verb_of(tool, &self.args) };
        self.stdout
            .lines()
            .map(|line| {
                let value: Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("record is not JSON ({e}): {line}: {self:?}"));
                match &verb {
                    Some(verb) => assert_valid(tool, verb, &value),
                    None => assert_valid_record(tool, &value),
                }
                value
            })
            .collect()
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
    Run::from_output(output).of_tool(tool, args)
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
    Run::from_output(child.wait_with_output().unwrap()).of_tool(tool, args)
}

/// The committed schema directory (schema/ at the workspace root).
pub fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The verb a command line runs: the first argument that names a verb or alias of the tool, with
/// the next one for a verb of a nested set (`route add`: index.json spells it with a space).
pub fn verb_of(tool: &str, args: &[String]) -> Option<String> {
    let index = read_json(&schema_dir().join(tool).join("index.json"));
    let file = |spelling: &str| index.get(spelling).and_then(Value::as_str).map(str::to_string);
    (0..args.len())
        .find_map(|i| {
            let nested = args
                .get(i + 1)
                .and_then(|next| file(&format!("{} {next}", args[i])));
            nested.or_else(|| file(&args[i]))
        })
        .map(|file| file.trim_end_matches(".json").to_string())
}

/// Panics unless `value` is valid against schema/TOOL/VERB.json.
pub fn assert_valid(tool: &str, verb: &str, value: &Value) {
    let schema = read_json(&schema_dir().join(tool).join(format!("{verb}.json")));
    check(&schema, value, &format!("{tool} {verb}"));
}

/// Panics unless a batch record is valid against one of the tool's verb schemas or the failure one.
pub fn assert_valid_record(tool: &str, value: &Value) {
    let mut files = schema_files(&schema_dir().join(tool));
    files.retain(|p| p.file_name().is_some_and(|n| n != "index.json"));
    files.push(schema_dir().join("batch-failure.json"));
    let valid = files
        .iter()
        .any(|f| jsonschema::validator_for(&read_json(f)).is_ok_and(|v| v.is_valid(value)));
    assert!(valid, "batch record of {tool} matches no schema: {value}");
}

/// The schema files under `dir`, those of nested verb sets (route/add.json) too.
fn schema_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .flat_map(|p| if p.is_dir() { schema_files(&p) } else { vec![p] })
        .collect()
}

fn check(schema: &Value, value: &Value, what: &str) {
    let validator = jsonschema::validator_for(schema).unwrap_or_else(|e| panic!("schema of {what}: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "output of {what} does not match its schema: {errors:?}\n{value}"
    );
}

/// Asserts that `action` leaves `snapshot()` exactly as it was (bad input changes nothing).
pub fn assert_unchanged<S: PartialEq + std::fmt::Debug>(snapshot: impl Fn() -> S, action: impl FnOnce()) {
    let before = snapshot();
    action();
    let after = snapshot();
    assert_eq!(before, after, "state changed");
}

/// A privileged test's guard: made by [`lab!`] from the test function's name, it hands out object
/// names unique to that test and removes every object it handed out when dropped, also when the
/// test fails (a panic unwinds through the drop).
pub struct Lab {
    pub test: String,
    tag: String,
    counter: RefCell<u32>,
    cleanups: RefCell<Vec<String>>,
}

impl Lab {
    /// None when privileged tests are skipped (VNET_SKIP_PRIVILEGED=1, counted as skipped).
    pub fn new(test: &str) -> Option<Lab> {
        let test = test.rsplit("::").next().unwrap_or(test).to_string();
        if !privileged(&test) {
            return None;
        }
        // A short tag from the test's name keeps interface names within 15 bytes.
        let hash = test
            .bytes()
            .fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619));
        Some(Lab {
            tag: format!("{:04x}", hash & 0xffff),
            test,
            counter: RefCell::new(0),
            cleanups: RefCell::new(Vec::new()),
        })
    }

    /// A name for this test's object: STEM (at most 6 bytes) + the test's tag + a counter.
    pub fn name(&self, stem: &str) -> String {
        assert!(stem.len() <= 6, "stem too long: {stem}");
        let mut counter = self.counter.borrow_mut();
        *counter += 1;
        format!("{stem}{}{}", self.tag, counter)
    }

    /// Runs `script` (a shell line) when the lab is dropped; cleanups run last first.
    pub fn on_drop(&self, script: impl Into<String>) {
        self.cleanups.borrow_mut().push(script.into());
    }

    /// A namespace name, deleted at the end.
    pub fn netns(&self, stem: &str) -> String {
        let name = self.name(stem);
        self.on_drop(format!("ip netns delete {name}; rm -rf /etc/netns/{name}"));
        name
    }

    /// A link name (bridge, veth, tap) in the current namespace, deleted at the end.
    pub fn link(&self, stem: &str) -> String {
        let name = self.name(stem);
        self.on_drop(format!("ip link delete {name}"));
        name
    }

    /// A libvirt network name, destroyed and undefined at the end.
    pub fn network(&self, stem: &str) -> String {
        let name = self.name(stem);
        self.on_drop(format!("virsh net-destroy {name}; virsh net-undefine {name}"));
        name
    }

    /// A libvirt domain name, destroyed and undefined with its storage at the end.
    pub fn domain(&self, stem: &str) -> String {
        let name = self.name(stem);
        self.on_drop(format!(
            "virsh destroy {name}; virsh undefine {name} --remove-all-storage --nvram"
        ));
        name
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for script in self.cleanups.borrow_mut().drain(..).rev() {
            let _ = Command::new("bash")
                .arg("-c")
                .arg(script)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// `let lab = lab!();` at the top of a privileged test: a [`Lab`] named after the test function,
/// or an early return when privileged tests are skipped.
#[macro_export]
macro_rules! lab {
    () => {{
        fn here() {}
        let name = std::any::type_name_of_val(&here).trim_end_matches("::here");
        match $crate::Lab::new(name) {
            Some(lab) => lab,
            None => return,
        }
    }};
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

/// One read of what [`state_snapshot`] reads, without waiting for the state to settle: for loops
/// that compare many times (the fuzz test), after a settled snapshot.
pub fn read_state() -> String {
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
