//! Printing results: one JSON document per invocation (compact or `--pretty`), the classic tool's
//! text layout with `-o text`, or a verb's document (XML) as it is. Batch runs print one NDJSON
//! record per line. A closed stdout (`| head`) ends the process quietly with status 0; any other
//! write error is reported with the tool's prefix (when stderr can take it) and exit 1. Nothing here
//! panics on an unwritable stream.

use crate::verb::{Emit, TextStyle};
use crate::Error;
use serde_json::Value;
use std::io::{self, Write};

/// The size of the pieces [`Chunked`] writes.
const CHUNK: usize = 1 << 16;

thread_local! {
    /// The JSON printer's buffer, kept from one record to the next. For speed: a buffer made and
    /// freed per record (a 64 KiB BufWriter) cost a --batch line of one small record a heap
    /// consolidation on every free (glibc's malloc_consolidate, for any free of 64 KiB or more).
    static JSON_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A writer to stdout through a kept buffer: bytes gather until [`CHUNK`] and go out in one
/// write(2); `flush` writes the rest (a small record: its only write).
struct Chunked<'a> {
    buffer: &'a mut Vec<u8>,
    stdout: io::StdoutLock<'static>,
}

impl Chunked<'_> {
    fn drain(&mut self) -> io::Result<()> {
        let written = self.stdout.write_all(self.buffer);
        self.buffer.clear();
        // One long string may have grown it far past a piece: do not keep that.
        self.buffer.shrink_to(2 * CHUNK);
        written
    }
}

impl Write for Chunked<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.drain()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.stdout.flush()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON document (NDJSON lines with --batch).
    Json,
    /// The human layout of the classic tool replaced.
    Text,
    /// Names only, one per line, for shell loops (as `virsh list --name`): the `name` of each
    /// object a list verb prints, or of the one object another verb prints.
    Name,
}

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub tool: &'static str,
    /// None: JSON, or the document itself for document verbs.
    pub format: Option<Format>,
    pub pretty: bool,
    pub style: TextStyle,
}

impl Printer {
    /// Prints one result as the whole output of an invocation.
    pub fn print(&self, output: &dyn Emit) {
        if output.streamed() {
            return;
        }
        let rendered = match (self.format, output.document()) {
            (None, Some(document)) => document.to_string(),
            (Some(Format::Text), _) => output.text(self.style),
            (Some(Format::Name), _) => names(&output.json()),
            _ => return self.write_json(output, self.pretty),
        };
        self.write_stdout(&rendered);
    }

    /// Prints one batch line's result: one line of JSON (NDJSON), or its text with -o text.
    pub fn print_record(&self, output: &dyn Emit) {
        if output.streamed() {
            return;
        }
        match self.format {
            Some(Format::Text) => self.write_stdout(&output.text(self.style)),
            Some(Format::Name) => self.write_stdout(&names(&output.json())),
            _ => self.write_record(output),
        }
    }

    /// Writes one record's compact JSON and a newline to stdout in one write(2), serialized into
    /// the kept buffer (see [`JSON_BUFFER`]).
    fn write_record(&self, output: &dyn Emit) {
        let result = JSON_BUFFER.with_borrow_mut(|buffer| {
            buffer.clear();
            output.append_json(buffer);
            buffer.push(b'\n');
            let mut stdout = io::stdout().lock();
            let written = stdout.write_all(buffer).and_then(|_| stdout.flush());
            buffer.clear();
            buffer.shrink_to(2 * CHUNK);
            written
        });
        if let Err(e) = result {
            self.write_failed(e);
        }
    }

    /// A failed batch line's record: its line number, exit code, error, hint, and what its
    /// rollback undid and left (JSON only; with -o text the error goes to stderr alone).
    pub fn print_failure(&self, line: usize, error: &Error) {
        if matches!(self.format, Some(Format::Text | Format::Name)) {
            return;
        }
        let record = Failure::new(line, error);
        self.write_stdout(&serde_json::to_string(&record).expect("a failure record serializes"));
    }

    /// Writes `text` and a final newline (if it has none) to stdout and flushes.
    fn write_stdout(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut out = io::stdout().lock();
        let newline = if text.ends_with('\n') { "" } else { "\n" };
        let result = write!(out, "{text}{newline}").and_then(|_| out.flush());
        if let Err(e) = result {
            self.write_failed(e);
        }
    }

    /// Writes a result's JSON and a newline to stdout as it is serialized, in pieces of 64 KiB
    /// ([`Chunked`]): stdout's own buffer is line-buffered and 1 KiB, and a long listing is one
    /// line, so without it every KiB would be a write(2).
    fn write_json(&self, output: &dyn Emit, pretty: bool) {
        let result = JSON_BUFFER.with_borrow_mut(|buffer| {
            let mut out = Chunked {
                buffer,
                stdout: io::stdout().lock(),
            };
            output
                .write_json(&mut out, pretty)
                .and_then(|_| out.write_all(b"\n"))
                .and_then(|_| out.flush())
        });
        if let Err(e) = result {
            self.write_failed(e);
        }
    }

    /// Ends the process after a failed write to stdout.
    fn write_failed(&self, e: io::Error) -> ! {
        // A reader that went away (`| head`) is not an error worth reporting: stop quietly.
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        let error = Error::from(e).context("write to stdout");
        report_error(self.tool, &error);
        std::process::exit(1);
    }
}

/// The record a failed batch line prints on stdout.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Failure {
    /// The failed line's number in the batch input (from 1).
    pub line: usize,
    pub exit_code: u8,
    pub error: String,
    pub hint: Option<String>,
    /// What was undone after the failure (with --atomic: the lines already done too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undone: Option<Vec<String>>,
    /// What could not be undone, each with why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leftovers: Option<Vec<String>>,
}

impl Failure {
    pub fn new(line: usize, error: &Error) -> Failure {
        Failure {
            line,
            exit_code: error.exit_code(),
            error: crate::error::one_line(&error.message),
            hint: error.hint.clone(),
            undone: error.rollback.as_ref().map(|r| r.undone.clone()),
            leftovers: error.rollback.as_ref().map(|r| r.leftovers.clone()),
        }
    }
}

static CURRENT: std::sync::OnceLock<Printer> = std::sync::OnceLock::new();

/// Remembers the invocation's printer, for verbs that print as they go (streams).
pub fn set_current(printer: Printer) {
    let _ = CURRENT.set(printer);
}

/// The invocation's printer (JSON with the tool name "vnet" when none was set, as in unit tests).
pub fn current() -> Printer {
    CURRENT.get().copied().unwrap_or(Printer {
        tool: "vnet",
        format: None,
        pretty: false,
        style: TextStyle::default(),
    })
}

/// `-o name`: the `name` of each object in a list, or of the one object; one per line.
pub fn names(value: &Value) -> String {
    let one = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_string);
    let names: Vec<String> = match value {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    };
    names.iter().map(|n| format!("{n}\n")).collect()
}

/// Prints an error as the one-line message (and optional hint) every tool uses. A stderr that
/// cannot be written (closed, /dev/full) is ignored: the exit code still tells.
pub fn report_error(tool: &str, error: &Error) {
    let mut err = io::stderr().lock();
    let mut text = format!("{tool}: error: {}\n", crate::error::one_line(&error.message));
    if let Some(hint) = &error.hint {
        text.push_str(&format!("hint: {}\n", crate::error::one_line(hint)));
    }
    let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
}

/// A warning line on stderr (`TOOL: warning: ...`), never failing.
pub fn warn(tool: &str, message: &str) {
    let _ = writeln!(
        io::stderr().lock(),
        "{tool}: warning: {}",
        crate::error::one_line(message)
    );
}

#[cfg(test)]
mod tests {
    use super::names;
    use serde_json::json;

    #[test]
    fn names_lists_one_name_per_line() {
        let list = json!([{"name": "Blue", "id": 1}, {"name": "Red"}, {"id": 3}]);
        assert_eq!(names(&list), "Blue\nRed\n");
        assert_eq!(names(&json!({"name": "br0", "changed": true})), "br0\n");
        assert_eq!(names(&json!([])), "");
        assert_eq!(names(&json!({"deleted": ["a"]})), "");
    }
}
