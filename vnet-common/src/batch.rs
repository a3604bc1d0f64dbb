//! `--batch FILE|-`: one command per line, in the command line's own syntax (shell-like quoting,
//! `#` comments), run in this one process; one result per line on stdout (NDJSON).

use crate::cli::report_error;
use crate::output::Printer;
use crate::{Error, Outcome, Result};
use std::io::{BufRead, BufReader};
use std::process::ExitCode;

/// Runs every command of `source` ("-" is stdin) through `run_line`, which gets the words of one
/// line. Stops at the first failure, reporting its line and exiting with its code; with `force`
/// runs every line and exits with the first failure's code.
pub fn run_batch(
    tool: &str,
    source: &str,
    force: bool,
    printer: Printer,
    mut run_line: impl FnMut(Vec<String>) -> Result<Outcome>,
) -> Result<ExitCode> {
    let reader = open_source(source)?;
    let mut first_failure: Option<u8> = None;
    for (number, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| Error::from(e).context(format!("read batch {source}")))?;
        let result = split_line(&line).and_then(|words| match words {
            Some(words) => run_line(words).map(Some),
            None => Ok(None),
        });
        match result {
            Ok(Some(outcome)) => printer.print_batch_line(&outcome),
            Ok(None) => {}
            Err(error) => {
                let code = *first_failure.get_or_insert(error.exit_code());
                report_error(tool, &error.context(format!("line {}", number + 1)));
                if !force {
                    return Ok(ExitCode::from(code));
                }
            }
        }
    }
    Ok(first_failure.map_or(ExitCode::SUCCESS, ExitCode::from))
}

fn open_source(source: &str) -> Result<Box<dyn BufRead>> {
    if source == "-" {
        return Ok(Box::new(BufReader::new(std::io::stdin())));
    }
    let file = std::fs::File::open(source)
        .map_err(|e| Error::from(e).context(format!("open batch file '{source}'")))?;
    Ok(Box::new(BufReader::new(file)))
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
}
