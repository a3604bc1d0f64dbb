//! `--batch FILE|-`: one command per line, in the command line's own syntax (shell-like quoting,
//! `#` comments), run in this one process over one context; exactly one record per command line
//! on stdout (NDJSON): the verb's result, or for a failed line a [`Failure`] record. Stops at the
//! first failure unless `--force`; with `--atomic` a failure undoes every line already done.
//! A line must be UTF-8 and at most [`MAX_LINE`] bytes; one that is not is a failed line like any
//! other (exit 7, named, and skipped over with --force). The rest of a line too long is never held:
//! it is read past in buffer-sized pieces to the next newline, and only when the batch goes on
//! (--force), so `--batch /dev/zero` without --force ends at its first line.

use crate::journal::{Journal, Rollback};
pub use crate::output::Failure;
use crate::output::{report_error, Printer};
use crate::tool::{parse, run_journaled, usage, usage_error, BatchArgs, Cli, Tool};
use crate::{signals, Error, Result};
use std::io::{BufRead, BufReader, Read};
use std::process::ExitCode;

/// The longest batch line read (1 MiB, without its newline); a longer one is a failed line (exit 7).
pub const MAX_LINE: usize = 1 << 20;

/// Runs every command line of `args.batch` against `ctx`.
pub fn run_batch<T: Tool>(
    ctx: &mut T::Ctx,
    globals: &T::Globals,
    args: &BatchArgs,
    printer: Printer,
) -> Result<ExitCode> {
    let source = args.batch.as_deref().unwrap_or("-");
    let mut reader = Lines::new(open_source(source)?, source);
    let mut done = Journal::new();
    let mut first_failure: Option<u8> = None;
    let mut commands = Commands::default();
    let mut number = 0;
    while let Some(line) = reader.next_line()? {
        number += 1;
        if let Err(e) = signals::check() {
            // A signal held during the previous line: stop between lines.
            return Err(finish_atomic::<T>(ctx, args.atomic, done, e));
        }
        let result = line.and_then(|line| run_line::<T>(ctx, globals, &mut commands, &line));
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
fn run_line<T: Tool>(
    ctx: &mut T::Ctx,
    outer: &T::Globals,
    commands: &mut Commands,
    line: &str,
) -> Result<Option<LineDone>> {
    let Some(words) = split_line(line)? else {
        return Ok(None);
    };
    let words = std::iter::once(T::NAME.to_string()).chain(words).collect();
    let cli = commands.parse::<T>(words).map_err(|e| usage_error(T::NAME, &e))?;
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

/// The clap commands of one batch's lines, each kept under the verb path it was built for. For
/// speed: building a verb's command (clap's derive, then its build on the first parse: global
/// flags propagated down the path) was most of a short line's cost, paid again on every line;
/// a kept command parses each later line of its verb (clap's `try_get_matches_from_mut` leaves
/// the command as it was). A line the kept command refuses is parsed again as a single command
/// line is ([`parse`]), for clap's own error or help.
#[derive(Default)]
struct Commands {
    root: Option<clap::Command>,
    kept: Vec<(Vec<Option<String>>, clap::Command)>,
}

/// At most this many verb paths are kept (a batch of more kinds of line starts over).
const KEPT: usize = 32;

impl Commands {
    fn parse<T: Tool>(
        &mut self,
        words: Vec<String>,
    ) -> std::result::Result<Cli<T::Globals, T::Verbs>, clap::Error> {
        let root = self.root.get_or_insert_with(crate::tool::root_command::<T>);
        // ip's and bridge's spelling first, as for a single command line (the same rewrite
        // again in `parse` below leaves a rewritten line as it is).
        let words = match T::IP_GRAMMAR {
            Some(grammar) => crate::ip_args::normalize(grammar, root, words)?,
            None => words,
        };
        let Some((word, rest)) = crate::keywords::first_verb_word(root, &words) else {
            return parse::<T>(words);
        };
        let kept = self
            .kept
            .iter()
            .position(|(key, command)| *key == path_key(command, word, rest));
        let at = kept.unwrap_or_else(|| {
            if self.kept.len() == KEPT {
                self.kept.clear();
            }
            let command = crate::tool::presence_flags(crate::tool::command_for::<T>(&words));
            self.kept.push((path_key(&command, word, rest), command));
            self.kept.len() - 1
        });
        match crate::tool::parse_in::<T>(&mut self.kept[at].1, words.clone()) {
            Ok(cli) => Ok(cli),
            Err(_) => parse::<T>(words),
        }
    }
}

/// The words of a line that choose which command [`crate::tool::command_for`] builds for it: the
/// verb `word`, then for each nested set on the way (as `command` has it) the next word, which
/// names the set's verb (or none: the whole set). A leaf ends the path.
fn path_key(command: &clap::Command, word: &str, rest: &[String]) -> Vec<Option<String>> {
    let mut key = vec![Some(word.to_string())];
    let mut at = command.find_subcommand(word);
    let mut rest = rest.iter();
    while let Some(set) = at.filter(|c| c.has_subcommands()) {
        let next = rest.next();
        key.push(next.cloned());
        at = next.and_then(|w| set.find_subcommand(w));
    }
    key
}

fn open_source(source: &str) -> Result<Box<dyn BufRead>> {
    if source == "-" {
        return Ok(Box::new(BufReader::new(std::io::stdin())));
    }
    let file = std::fs::File::open(source)
        .map_err(|e| Error::from(e).context(format!("open batch file {}", crate::error::quote(source))))?;
    Ok(Box::new(BufReader::new(file)))
}

/// Batch input read line by line, each line held only up to [`MAX_LINE`] bytes.
struct Lines {
    reader: Box<dyn BufRead>,
    source: String,
    /// The last line returned was too long and its rest is still unread.
    unfinished: bool,
}

impl Lines {
    fn new(reader: Box<dyn BufRead>, source: &str) -> Lines {
        Lines {
            reader,
            source: source.to_string(),
            unfinished: false,
        }
    }

    fn read_error(source: &str, e: std::io::Error) -> Error {
        Error::from(e).context(format!("read batch {}", crate::error::quote(source)))
    }

    /// The next line (None at the end): Err inside when the line is not UTF-8 or too long (reading
    /// goes on at the next line), Err outside when the input cannot be read.
    fn next_line(&mut self) -> Result<Option<Result<String>>> {
        if std::mem::take(&mut self.unfinished) {
            self.skip_rest()?;
        }
        let mut bytes = Vec::new();
        // One byte more than a line may have, so a line of exactly MAX_LINE bytes keeps its newline.
        let read = Read::take(&mut *self.reader, MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut bytes)
            .map_err(|e| Self::read_error(&self.source, e))?;
        if read == 0 {
            return Ok(None);
        }
        if bytes.len() > MAX_LINE && bytes.last() != Some(&b'\n') {
            self.unfinished = true;
            return Ok(Some(Err(Error::invalid(format!(
                "line is longer than {MAX_LINE} bytes"
            )))));
        }
        let text = String::from_utf8(bytes).map_err(|_| Error::invalid("line is not UTF-8"));
        Ok(Some(text.map(|t| t.trim_end_matches(['\n', '\r']).to_string())))
    }

    /// Reads past the rest of a line too long, through its newline, a buffer at a time; a signal
    /// stops it (an input without newlines never ends).
    fn skip_rest(&mut self) -> Result<()> {
        loop {
            let source = &self.source;
            let buffer = self.reader.fill_buf().map_err(|e| Self::read_error(source, e))?;
            if buffer.is_empty() {
                return Ok(());
            }
            if let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                self.reader.consume(end + 1);
                return Ok(());
            }
            let len = buffer.len();
            self.reader.consume(len);
            signals::check()?;
        }
    }
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

    fn all_lines(input: Box<dyn BufRead>) -> Vec<std::result::Result<String, String>> {
        let mut reader = Lines::new(input, "-");
        let mut lines = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            lines.push(line.map_err(|e| format!("{} {}", e.exit_code(), e.message)));
        }
        lines
    }

    #[test]
    fn bad_lines_are_named_and_reading_goes_on() {
        let input: Vec<u8> = b"add a\n\xff\xfe\nadd b\n".to_vec();
        assert_eq!(
            all_lines(Box::new(std::io::Cursor::new(input))),
            [
                Ok("add a".to_string()),
                Err("7 line is not UTF-8".to_string()),
                Ok("add b".to_string()),
            ]
        );
    }

    #[test]
    fn a_line_too_long_fails_alone_and_the_next_one_is_read() {
        let too_long = format!("7 line is longer than {MAX_LINE} bytes");
        let exact = "x".repeat(MAX_LINE);
        let mut input = b"add a\n".to_vec();
        input.extend(std::iter::repeat_n(b'#', 3 * MAX_LINE));
        input.extend(format!("\n{exact}\nadd b\n").as_bytes());
        input.extend(std::iter::repeat_n(b'y', MAX_LINE + 1));
        let lines = all_lines(Box::new(BufReader::new(std::io::Cursor::new(input))));
        assert_eq!(
            lines,
            [
                Ok("add a".to_string()),
                Err(too_long.clone()),
                Ok(exact),
                Ok("add b".to_string()),
                Err(too_long),
            ]
        );
        // An input without newlines: its first line fails, and nothing more is held.
        let endless = std::io::repeat(0).take(3 * MAX_LINE as u64);
        let mut reader = Lines::new(Box::new(BufReader::new(endless)), "-");
        let first = reader.next_line().unwrap().unwrap().unwrap_err();
        assert_eq!(first.exit_code(), 7);
        assert!(reader.next_line().unwrap().is_none());
    }

    #[test]
    fn kept_commands_parse_every_line_as_a_fresh_command_does() {
        use crate::nesting_tests::NestTool;
        let lines = [
            "add x",
            "route add 10.0.0.0/8 via 10.0.0.1",
            "-p add y",
            "route add 10.1.0.0/16 via 10.0.0.2 -q",
            "route ls",
            "route show",
            "route add 10.2.0.0/16",
            "add z -p",
            "link eth0 up",
            "link set x",
            "link set y",
            "route bogus",
            "route add",
            "route",
            "frob",
            "add x -pj",
            "add --help",
            "-- add x",
            "add x",
            "route add 10.3.0.0/16 via 10.0.0.3",
        ];
        let show = |r: &std::result::Result<_, clap::Error>| match r {
            Ok(cli) => format!("{cli:?}"),
            Err(e) => format!("{:?}: {}", e.kind(), e.render()),
        };
        let mut commands = Commands::default();
        // Twice over: the second round parses every line with commands kept by the first.
        for line in lines.iter().chain(lines.iter()) {
            let words: Vec<String> = std::iter::once("nest")
                .chain(line.split_whitespace())
                .map(String::from)
                .collect();
            let kept = commands.parse::<NestTool>(words.clone());
            assert_eq!(show(&kept), show(&parse::<NestTool>(words)), "{line}");
        }
        assert!(
            commands.kept.len() < lines.len(),
            "lines of one verb share its command"
        );
    }

    #[test]
    fn a_line_runs_a_verb_of_a_nested_set() {
        use crate::nesting_tests::NestTool;
        let outer = crate::tool::NoGlobals {};
        let record = |line: &str| {
            let (output, _journal) = run_line::<NestTool>(&mut (), &outer, &mut Commands::default(), line)
                .unwrap()
                .unwrap();
            output.json()
        };
        assert_eq!(
            record("route add 10.0.0.0/8 via 10.0.0.1 # a comment"),
            serde_json::json!({"destination": "10.0.0.0/8", "gateway": "10.0.0.1"})
        );
        assert_eq!(record("route ls"), serde_json::json!([]));
        let error = run_line::<NestTool>(&mut (), &outer, &mut Commands::default(), "route nonsense")
            .err()
            .unwrap();
        assert_eq!(error.exit_code(), 2);
    }
}
