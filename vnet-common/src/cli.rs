//! The flags every tool shares, and the `main` wrapper that turns results into exit codes.

use crate::output::{Format, Printer};
use crate::{Error, ErrorKind, Result};
use clap::Parser;
use std::process::ExitCode;

/// Output flags, accepted before or after the verb.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Indent the JSON output.
    #[arg(short = 'p', long, global = true)]
    pub pretty: bool,
    /// Output format: json, or text for the classic tool's layout.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Json, global = true)]
    pub output: Format,
}

impl OutputArgs {
    pub fn printer(&self) -> Printer {
        Printer {
            format: self.output,
            pretty: self.pretty,
        }
    }
}

/// `--batch FILE` and `--force`, taken before the verb.
#[derive(Debug, Clone, clap::Args)]
pub struct BatchArgs {
    /// Run one command per line from FILE (- for stdin) in this one process; prints one JSON
    /// result per line and stops at the first failure.
    #[arg(long, value_name = "FILE")]
    pub batch: Option<String>,
    /// With --batch: run every line even after a failure, then exit with the first failure's code.
    #[arg(long, requires = "batch")]
    pub force: bool,
}

/// Prints an error as the one-line message (and optional hint) every tool uses.
pub fn report_error(tool: &str, error: &Error) {
    eprintln!("{tool}: error: {}", error.message);
    if let Some(hint) = &error.hint {
        eprintln!("hint: {hint}");
    }
}

/// Turns a clap parse failure into a usage error of one line, naming what was wrong.
pub fn usage_error(tool: &str, error: &clap::Error) -> Error {
    let rendered = error.render().to_string();
    let first = rendered.lines().next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    Error::new(ErrorKind::Usage, first).with_hint(format!("see '{tool} --help'"))
}

/// The whole of a tool's `main`: parse, run, report, exit with the documented code.
pub fn run_main<C: Parser>(tool: &str, run: impl FnOnce(C) -> Result<ExitCode>) -> ExitCode {
    let cli = match C::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: clap prints them to stdout and that is a success.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let error = usage_error(tool, &e);
            report_error(tool, &error);
            return ExitCode::from(error.exit_code());
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            report_error(tool, &error);
            ExitCode::from(error.exit_code())
        }
    }
}
