//! Printing results: one JSON document per invocation (compact or `--pretty`), or the classic
//! tool's text layout with `-o text`. A closed stdout (`| head`) ends the process quietly.

use serde_json::Value;
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON document (NDJSON lines with --batch).
    Json,
    /// The human layout of the classic tool replaced.
    Text,
}

/// What a verb produced: its JSON result and the classic tool's text rendering of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub json: Value,
    pub text: String,
}

impl Outcome {
    pub fn new(json: Value, text: impl Into<String>) -> Outcome {
        Outcome {
            json,
            text: text.into(),
        }
    }

    /// For mutating verbs: like the classic tools, their text form prints nothing.
    pub fn quiet(json: Value) -> Outcome {
        Outcome::new(json, "")
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub format: Format,
    pub pretty: bool,
}

impl Printer {
    /// Prints one outcome as the whole output of an invocation.
    pub fn print(&self, outcome: &Outcome) {
        let rendered = match self.format {
            Format::Text => outcome.text.clone(),
            Format::Json if self.pretty => pretty_json(&outcome.json),
            Format::Json => outcome.json.to_string(),
        };
        write_stdout(&rendered);
    }

    /// Prints one outcome as a line of a batch run: always one line of JSON (NDJSON) unless text.
    pub fn print_batch_line(&self, outcome: &Outcome) {
        match self.format {
            Format::Text => write_stdout(&outcome.text),
            Format::Json => write_stdout(&outcome.json.to_string()),
        }
    }
}

fn pretty_json(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("a serde_json::Value always serializes")
}

/// Writes `text` and a final newline (if it has none) to stdout and flushes.
fn write_stdout(text: &str) {
    if text.is_empty() {
        return;
    }
    let mut out = io::stdout().lock();
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    let result = write!(out, "{text}{newline}").and_then(|_| out.flush());
    if let Err(e) = result {
        // A reader that went away (`| head`) is not an error worth reporting: stop quietly.
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to stdout: {e}");
        std::process::exit(1);
    }
}
