//! `--batch FILE|-`: one command per line, in the command line's own syntax (shell-like quoting,
//! `#` comments), run in this one process over one context; exactly one record per command line
//! on stdout (NDJSON): the verb's result, or for a failed line a [`Failure`] record. Stops at the
//! first failure unless `--force`; with `--atomic` a failure undoes every line already done.
//! A line must be UTF-8 (a line that is not is a failed line like any other: named, and skipped
//! over with --force) and at most [`MAX_LINE`] bytes: a longer one ends the batch with exit 7, since
//! an input without line ends (`--batch /dev/zero`) has no next line to go on with.

use crate::journal::{Journal, Rollback};
pub use crate::output::Failure;
use crate::output::{report_error, Printer};
use crate::tool::{parse, run_journaled, usage, usage_error, BatchArgs, Tool};
use crate::{signals, Error, Result};
use std::io::{BufRead, BufReader, Read};
use std::process::ExitCode;

/// The longest batch line read (1 MiB); a longer one ends the batch with exit 7.
pub const MAX_LINE: usize = 1 << 20;

/// Runs every command line of `args.batch` against `ctx`.
pub fn run_batch<T: Tool>(
    ctx: &mut T::Ctx,
    globals: &T::Globals,
    args: &BatchArgs,
    printer: Printer,
) -> Result<ExitCode> {
    let source = args.batch.as_deref().unwrap_or("-");
    let mut reader = open_source(source)?;
    let mut done = Journal::new();
    let mut first_failure: Option<u8> = None;
    let mut number = 0;
    while let Some(line) = read_line(&mut reader, source)? {
        number += 1;
        if let Err(e) = signals::check() {
            // A signal held during the previous line: stop between lines.
            return Err(finish_atomic::<T>(ctx, args.atomic, done, e));
        }
        let result = line.and_then(|line| run_line::<T>(ctx, globals, &line));
        match result {
            Ok(None) => {}
            Ok(Some((output, journal))) => {
                printer.print_record(output.as_ref());
                if args.atomic {
                    done.append(journal);
                }
            }
            Err(error) => {
                let error = finish_atomic::<T>(ctx, args.atomic, std::mem::take(&mut done), error);
                let error = error.context(format!("line {number}"));
                printer.print_failure(number, &error);
                report_error(T::NAME, &error);
                let code = *first_failure.get_or_insert(error.exit_code());
                if !args.force {
                    return Ok(ExitCode::from(code));
                }
            }
        }
    }
    signals::check()?;
    Ok(first_failure.map_or(ExitCode::SUCCESS, ExitCode::from))
}

type LineDone = (Box<dyn crate::verb::Emit>, Journal);

/// Parses and runs one line; Ok(None) for a blank or comment line.
fn run_line<T: Tool>(ctx: &mut T::Ctx, outer: &T::Globals, line: &str) -> Result<Option<LineDone>> {
    let Some(words) = split_line(line)? else {
        return Ok(None);
    };
    let cli = parse::<T>(std::iter::once(T::NAME.to_string()).chain(words))
        .map_err(|e| usage_error(T::NAME, &e))?;
    if cli.batch.batch.is_some() {
        return Err(usage::<T>("--batch cannot be nested"));
    }
    T::enter_line(ctx, outer, &cli.globals)?;
    let verb = cli.verb.ok_or_else(|| usage::<T>("no verb given"))?;
    let (result, journal) = run_journaled::<T>(ctx, verb);
    Ok(Some((result?.output, journal)))
}

/// With --atomic, undoes the lines already done and adds that to the failure's report.
fn finish_atomic<T: Tool>(ctx: &mut T::Ctx, atomic: bool, done: Journal, error: Error) -> Error {
    if !atomic || done.is_empty() {
        return error;
    }
    let mut report: Rollback = T::block_on(ctx, done.rollback());
    let mut error = error;
    if let Some(own) = error.rollback.take() {
        report.undone.splice(0..0, own.undone);
        report.leftovers.splice(0..0, own.leftovers);
    }
    report.attach(error)
}

fn open_source(source: &str) -> Result<Box<dyn BufRead>> {
    if source == "-" {
        return Ok(Box::new(BufReader::new(std::io::stdin())));
    }
    let file = std::fs::File::open(source)
        .map_err(|e| Error::from(e).context(format!("open batch file {}", crate::error::quote(source))))?;
    Ok(Box::new(BufReader::new(file)))
}

/// The next line (None at the end): Err inside when the line is not UTF-8 (reading goes on at the
/// next line), Err outside when the input cannot be read or the line is too long.
fn read_line(reader: &mut dyn BufRead, source: &str) -> Result<Option<Result<String>>> {
    let mut bytes = Vec::new();
    let read = Read::take(&mut *reader, MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut bytes)
        .map_err(|e| Error::from(e).context(format!("read batch {}", crate::error::quote(source))))?;
    if read == 0 {
        return Ok(None);
    }
    if bytes.len() > MAX_LINE {
        return Err(Error::invalid(format!(
            "batch {}: a line is longer than {MAX_LINE} bytes",
            crate::error::quote(source)
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| Error::invalid("line is not UTF-8"));
    Ok(Some(text.map(|t| t.trim_end_matches(['\n', '\r']).to_string())))
}

/// The words of one line; None for a blank or comment-only line.
fn split_line(line: &str) -> Result<Option<Vec<String>>> {
    let words = shlex::split(line).ok_or_else(|| Error::invalid("unbalanced quotes"))?;
    Ok((!words.is_empty()).then_some(words))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(split_line("  # a comment").unwrap(), None);
        assert_eq!(split_line("").unwrap(), None);
        assert_eq!(
            split_line("exec Blue sh -c 'echo a b' # trailing")
                .unwrap()
                .unwrap(),
            vec!["exec", "Blue", "sh", "-c", "echo a b"]
        );
        assert_eq!(split_line("add \"Blue\"").unwrap().unwrap(), vec!["add", "Blue"]);
        assert_eq!(split_line("add 'Blue").unwrap_err().exit_code(), 7);
    }

    #[test]
    fn bad_lines_are_named_and_reading_goes_on() {
        let input: Vec<u8> = b"add a\n\xff\xfe\nadd b\n".to_vec();
        let mut reader: Box<dyn BufRead> = Box::new(std::io::Cursor::new(input));
        let mut lines = Vec::new();
        while let Some(line) = read_line(&mut reader, "-").unwrap() {
            lines.push(line.map_err(|e| e.message));
        }
        assert_eq!(
            lines,
            [
                Ok("add a".to_string()),
                Err("line is not UTF-8".to_string()),
                Ok("add b".to_string()),
            ]
        );
        let endless = std::io::repeat(0).take(3 * MAX_LINE as u64);
        let mut reader: Box<dyn BufRead> = Box::new(BufReader::new(endless));
        assert_eq!(read_line(&mut reader, "-").unwrap_err().exit_code(), 7);
    }

    #[test]
    fn a_line_runs_a_verb_of_a_nested_set() {
        use crate::nesting_tests::NestTool;
        let outer = crate::tool::NoGlobals {};
        let record = |line: &str| {
            let (output, _journal) = run_line::<NestTool>(&mut (), &outer, line).unwrap().unwrap();
            output.json()
        };
        assert_eq!(
            record("route add 10.0.0.0/8 via 10.0.0.1 # a comment"),
            serde_json::json!({"destination": "10.0.0.0/8", "gateway": "10.0.0.1"})
        );
        assert_eq!(record("route ls"), serde_json::json!([]));
        let error = run_line::<NestTool>(&mut (), &outer, "route nonsense")
            .err()
            .unwrap();
        assert_eq!(error.exit_code(), 2);
    }
}
