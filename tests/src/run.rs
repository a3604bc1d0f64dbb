//! Running the built binaries and the classic tools, and reading what they printed.

use crate::schema::{assert_valid, assert_valid_record, verb_of};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

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
    pub(crate) fn from_output(output: Output) -> Run {
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

/// `vnet-ns ARGS`.
pub fn ns(args: &[&str]) -> Run {
    vnet("vnet-ns", args)
}

/// `vnet-bridge ARGS`.
pub fn br(args: &[&str]) -> Run {
    vnet("vnet-bridge", args)
}

/// `vnet-net ARGS`.
pub fn net(args: &[&str]) -> Run {
    vnet("vnet-net", args)
}

/// `vnet-vm ARGS`.
pub fn vm(args: &[&str]) -> Run {
    vnet("vnet-vm", args)
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
