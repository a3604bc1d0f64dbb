//! The whole life of a command, the same for every tool: parse the command line (see
//! [`crate::tool`]), run one verb or a `--batch` of them, print the result, undo a failed verb's
//! changes, and exit with the documented code. A tool supplies a [`Tool`] impl and its verbs; its
//! `main` is one call to [`run_main`].

use crate::output::report_error;
use crate::{signals, Error, Result};
use std::process::ExitCode;

pub use crate::tool::{
    color_choice, command, completion_command, parse, run_journaled, usage, usage_error, BatchArgs, Cli,
    NoGlobals, OutputArgs, Tool,
};

/// The whole of a tool's `main`: parse, run, report, exit with the documented code.
pub fn run_main<T: Tool>() -> ExitCode {
    // A shell asking for completions (VNET_COMPLETE=bash ...): answer and exit before parsing.
    crate::completion::answer_if_asked(completion_command::<T>);
    let cli =
        match crate::tool::parse_once::<T>(std::env::args_os().map(|a| a.to_string_lossy().into_owned())) {
            Ok(cli) => cli,
            Err(e) if !e.use_stderr() => {
                // --help and --version: clap prints them to stdout and that is a success.
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            Err(e) => return fail(T::NAME, &usage_error(T::NAME, &e)),
        };
    match run::<T>(cli) {
        Ok(code) => code,
        Err(error) => fail(T::NAME, &error),
    }
}

fn fail(tool: &str, error: &Error) -> ExitCode {
    report_error(tool, error);
    ExitCode::from(error.exit_code())
}

/// Runs a parsed command line: one verb, or the lines of `--batch`.
pub fn run<T: Tool>(cli: Cli<T::Globals, T::Verbs>) -> Result<ExitCode> {
    let printer = cli.output.printer(T::NAME);
    crate::output::set_current(printer);
    if cli.batch.batch.is_some() {
        if cli.verb.is_some() {
            return Err(usage::<T>(
                "--batch takes its commands from the file, not the command line",
            ));
        }
        let mut ctx = T::context(&cli.globals, true)?;
        return crate::batch::run_batch::<T>(&mut ctx, &cli.globals, &cli.batch, printer);
    }
    let verb = cli.verb.ok_or_else(|| usage::<T>("no verb given"))?;
    let mut ctx = T::context(&cli.globals, false)?;
    let done = run_verb::<T>(&mut ctx, verb)?;
    printer.print(done.output.as_ref());
    if let Some(follow_up) = done.follow_up {
        follow_up(&mut ctx)?;
    }
    // A signal held during the verb's last step: the verb completed; say so with 128+N.
    match signals::pending() {
        Some(signal) => Err(signals::interrupted(signal)),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Runs one verb; on failure undoes what its journal recorded and attaches the report.
pub fn run_verb<T: Tool>(ctx: &mut T::Ctx, verb: T::Verbs) -> Result<crate::verb::Done<T::Ctx>> {
    let (result, journal) = run_journaled::<T>(ctx, verb);
    drop(journal);
    result
}
