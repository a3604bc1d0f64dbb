//! The whole life of a command, the same for every tool: parse the command line (the shared flags,
//! the tool's global flags and its verbs), run one verb or a `--batch` of them, print the result,
//! undo a failed verb's changes, and exit with the documented code. A tool supplies a [`Tool`]
//! impl and its verbs; its `main` is one call to [`run_main`].

use crate::journal::Journal;
use crate::output::{report_error, Format, Printer};
use crate::verb::{TextStyle, VerbSet};
use crate::{signals, Error, ErrorKind, Result};
use clap::{CommandFactory, FromArgMatches, Parser};
use std::fmt::Debug;
use std::future::Future;
use std::process::ExitCode;

/// Output flags, accepted before or after the verb.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Indent the JSON output.
    #[arg(short = 'p', long, global = true)]
    pub pretty: bool,
    /// Output format: json (the default; document verbs such as dumpxml print the document itself
    /// unless -o json), or text for the classic tool's layout.
    #[arg(short = 'o', long = "output", value_enum, global = true)]
    pub output: Option<Format>,
    /// JSON output, as `ip -j` (the default; for scripts written for ip).
    #[arg(short = 'j', long = "json", global = true, conflicts_with = "output")]
    pub json: bool,
    /// With -o text: leave out table headers, as `virsh -q`.
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
}

impl OutputArgs {
    pub fn printer(&self, tool: &'static str) -> Printer {
        Printer {
            tool,
            format: if self.json {
                Some(Format::Json)
            } else {
                self.output
            },
            pretty: self.pretty,
            style: TextStyle { headers: !self.quiet },
        }
    }
}

/// `--batch FILE`, `--force` and `--atomic`, taken before the verb.
#[derive(Debug, Clone, clap::Args)]
pub struct BatchArgs {
    /// Run one command per line from FILE (- for stdin) in this one process; prints one JSON
    /// record per line (a failed line's record has its line number, exit code and error) and
    /// stops at the first failure. A line may be at most 1 MiB.
    #[arg(short = 'b', long, value_name = "FILE")]
    pub batch: Option<String>,
    /// With --batch: run every line even after a failure, then exit with the first failure's code.
    #[arg(long, requires = "batch", conflicts_with = "atomic")]
    pub force: bool,
    /// With --batch: when a line fails, undo the lines already done, last first, and list in the
    /// failed line's record what was undone and what could not be (deletions cannot).
    #[arg(long, requires = "batch")]
    pub atomic: bool,
}

/// No tool-wide flags beyond the shared ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct NoGlobals {}

/// The command line every tool parses: shared flags, the tool's globals, then one verb.
#[derive(Debug, Parser)]
pub struct Cli<G: clap::Args, V: clap::Subcommand> {
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(flatten)]
    pub globals: G,
    #[command(subcommand)]
    pub verb: Option<V>,
}

/// What a tool declares: its name and help, its global flags, its verbs and their context.
pub trait Tool: 'static {
    const NAME: &'static str;
    /// One line for --help and the man page's NAME section.
    const ABOUT: &'static str;
    /// The man page's DESCRIPTION.
    const LONG_ABOUT: &'static str;
    type Globals: clap::Args + Clone + Debug + Default + PartialEq;
    type Ctx;
    type Verbs: VerbSet<Ctx = Self::Ctx> + Debug;

    /// The context verbs run against (netlink handles, a libvirt session), opened lazily by it.
    fn context(globals: &Self::Globals, batch: bool) -> Result<Self::Ctx>;

    /// A batch line's own global flags: by default a line gives none or the batch's own.
    fn enter_line(_ctx: &mut Self::Ctx, outer: &Self::Globals, line: &Self::Globals) -> Result<()> {
        if line != outer && *line != Self::Globals::default() {
            return Err(usage::<Self>(
                "a batch line's global flags (-c, -n) may only repeat the batch's: they are given once, before --batch",
            ));
        }
        Ok(())
    }

    /// Runs async work (a rollback) to completion on the context's runtime.
    fn block_on<F: Future>(ctx: &mut Self::Ctx, work: F) -> F::Output;

    /// The fast path's verb (see [`crate::fast`]) for a command line's words once the shared
    /// flags and -n NS are taken out, with the globals that -n gives; None lets clap parse the
    /// line. Only the everyday read lines belong here. Default: none.
    fn fast_verb(_netns: Option<String>, _words: &[String]) -> Option<(Self::Globals, Self::Verbs)> {
        None
    }

    /// For [`crate::fast`]: whether the tool's -n/--netns may also follow the verb (clap's
    /// `global = true`).
    const NETNS_AFTER_VERB: bool = false;

    /// Which arguments complete live names (namespaces, bridges, networks, ...): a rule over the
    /// verb path and the argument (see [`crate::completion`]). Default: none.
    fn completers(_verb: &[&str], _arg: &clap::Arg) -> Option<crate::completion::Names> {
        None
    }
}

/// The full clap command of a tool (also for man pages and completions).
pub fn command<T: Tool>() -> clap::Command {
    Cli::<T::Globals, T::Verbs>::command()
        .name(T::NAME)
        .bin_name(T::NAME)
        .about(T::ABOUT)
        .long_about(T::LONG_ABOUT)
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(true)
        .color(color_choice())
}

/// The command with the tool's live-name completers attached (what the shell's Tab runs).
pub fn completion_command<T: Tool>() -> clap::Command {
    crate::completion::attach(command::<T>(), T::completers)
}

/// Colour in clap's help only on a terminal and never with NO_COLOR set (https://no-color.org):
/// nothing else vnet prints is coloured, and errors are rendered plain by [`usage_error`].
pub fn color_choice() -> clap::ColorChoice {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if no_color || !std::io::stdout().is_terminal() {
        clap::ColorChoice::Never
    } else {
        clap::ColorChoice::Auto
    }
}

/// Parses a command line (the first word is the program name).
pub fn parse<T: Tool>(
    words: impl IntoIterator<Item = String>,
) -> std::result::Result<Cli<T::Globals, T::Verbs>, clap::Error> {
    let command = command::<T>();
    // ip-style keywords (`via GW dev IF`) become the long flags clap parses: one grammar.
    let words = crate::keywords::expand(&command, words.into_iter().collect());
    let matches = command.try_get_matches_from(words)?;
    Cli::from_arg_matches(&matches)
}

/// A usage error (exit 2) with the tool's help hint.
pub fn usage<T: Tool + ?Sized>(message: &str) -> Error {
    Error::new(ErrorKind::Usage, message).with_hint(format!("see '{} --help'", T::NAME))
}

/// Turns a clap parse failure into a usage error of one line, naming what was wrong.
pub fn usage_error(tool: &str, error: &clap::Error) -> Error {
    // A typed flag's value refused by the tool's own parser (`value_parser = parse_vid`): that
    // error as it is, with its exit code (a VLAN id out of range is 7, not a usage error).
    let refused = std::error::Error::source(error).and_then(|e| e.downcast_ref::<Error>());
    if let Some(refused) = refused {
        return refused.clone();
    }
    let rendered = error.render().to_string();
    let first = rendered.lines().next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    Error::new(ErrorKind::Usage, first).with_hint(format!("see '{tool} --help'"))
}

/// The whole of a tool's `main`: parse, run, report, exit with the documented code.
pub fn run_main<T: Tool>() -> ExitCode {
    // A shell asking for completions (VNET_COMPLETE=bash ...): answer and exit before parsing.
    crate::completion::answer_if_asked(completion_command::<T>);
    let cli = match parse::<T>(std::env::args_os().map(|a| a.to_string_lossy().into_owned())) {
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

/// Runs one verb and hands back its journal (for `--batch --atomic`); a failed verb's own
/// changes are already undone, so its journal comes back empty.
pub fn run_journaled<T: Tool>(
    ctx: &mut T::Ctx,
    verb: T::Verbs,
) -> (Result<crate::verb::Done<T::Ctx>>, Journal) {
    let mut journal = Journal::new();
    match verb.run(ctx, &mut journal) {
        Ok(done) => (Ok(done), journal),
        Err(error) if journal.is_empty() => (Err(error), journal),
        Err(error) => {
            let report = T::block_on(ctx, journal.rollback());
            (Err(report.attach(error)), Journal::new())
        }
    }
}

#[cfg(test)]
mod value_error_tests {
    use super::*;

    fn even(text: &str) -> Result<u32> {
        match text.parse::<u32>() {
            Ok(n) if n % 2 == 0 => Ok(n),
            _ => Err(Error::invalid(format!("'{text}' is not even"))),
        }
    }

    #[derive(Debug, clap::Parser)]
    struct Line {
        #[arg(long, value_parser = even)]
        n: Option<u32>,
    }

    #[test]
    fn a_value_the_tool_refuses_keeps_its_exit_code() {
        let error = Line::try_parse_from(["x", "--n", "3"]).unwrap_err();
        let error = usage_error("vnet-x", &error);
        assert_eq!(
            (error.exit_code(), error.message.as_str()),
            (7, "'3' is not even")
        );
        // clap's own refusals stay usage errors.
        let error = Line::try_parse_from(["x", "--m"]).unwrap_err();
        assert_eq!(usage_error("vnet-x", &error).exit_code(), 2);
    }
}
