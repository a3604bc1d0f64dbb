//! What a tool declares ([`Tool`]: its name, global flags, verbs and context) and the command
//! line every tool parses: the shared flags, the tool's globals, then one verb, with ip-style
//! keywords expanded first (keywords.rs). Used by the runner (cli.rs) and by
//! `--batch` (batch.rs) alike.

use crate::journal::Journal;
use crate::output::{Format, Printer};
use crate::verb::{TextStyle, VerbSet};
use crate::{Error, ErrorKind, Result};
use clap::{CommandFactory, FromArgMatches, Parser};
use std::fmt::Debug;
use std::future::Future;

/// Output flags, accepted before or after the verb. Declared by [`OutputFlags`]; read from the
/// matches by hand (below), so that a flag left out may also be absent from them (see
/// [`presence_flags`]).
#[derive(Debug, Clone)]
pub struct OutputArgs {
    pub pretty: bool,
    pub output: Option<Format>,
    pub json: bool,
    pub quiet: bool,
}

/// The declaration of [`OutputArgs`]' flags (their help, as man pages and --help show it).
#[derive(Debug, Clone, clap::Args)]
#[group(id = "OutputArgs")]
#[allow(dead_code)] // only declares: OutputArgs reads the values
struct OutputFlags {
    /// Indent the JSON output.
    #[arg(short = 'p', long, global = true)]
    pretty: bool,
    /// Output format: json (the default; document verbs such as dumpxml print the document itself
    /// unless -o json), or text for the classic tool's layout.
    #[arg(short = 'o', long = "output", value_enum, global = true)]
    output: Option<Format>,
    /// JSON output, as `ip -j` (the default; for scripts written for ip).
    #[arg(short = 'j', long = "json", global = true, conflicts_with = "output")]
    json: bool,
    /// With -o text: leave out table headers, as `virsh -q`.
    #[arg(short = 'q', long, global = true)]
    quiet: bool,
}

/// The switches among the output and batch flags (their clap ids).
const SWITCHES: [&str; 5] = ["pretty", "json", "quiet", "force", "atomic"];

impl clap::Args for OutputArgs {
    fn augment_args(command: clap::Command) -> clap::Command {
        OutputFlags::augment_args(command)
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        OutputFlags::augment_args_for_update(command)
    }

    fn group_id() -> Option<clap::Id> {
        OutputFlags::group_id()
    }
}

impl FromArgMatches for OutputArgs {
    fn from_arg_matches(found: &clap::ArgMatches) -> std::result::Result<OutputArgs, clap::Error> {
        Ok(OutputArgs {
            pretty: switch(found, "pretty"),
            output: found.try_get_one::<Format>("output").ok().flatten().copied(),
            json: switch(found, "json"),
            quiet: switch(found, "quiet"),
        })
    }

    fn update_from_arg_matches(
        &mut self,
        matches: &clap::ArgMatches,
    ) -> std::result::Result<(), clap::Error> {
        *self = OutputArgs::from_arg_matches(matches)?;
        Ok(())
    }
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

/// `--batch FILE`, `--force` and `--atomic`, taken before the verb. Declared by [`BatchFlags`];
/// read from the matches by hand, as [`OutputArgs`], so that the switches may be absent from
/// them (see [`presence_flags`]).
#[derive(Debug, Clone)]
pub struct BatchArgs {
    pub batch: Option<String>,
    pub force: bool,
    pub atomic: bool,
}

/// The declaration of [`BatchArgs`]' flags (their help, as man pages and --help show it).
#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[allow(dead_code)] // only declares: BatchArgs reads the values
struct BatchFlags {
    /// Run one command per line from FILE (- for stdin) in this one process; prints one JSON
    /// record per line (a failed line's record has its line number, exit code and error) and
    /// stops at the first failure. A line may be at most 1 MiB.
    #[arg(short = 'b', long, value_name = "FILE")]
    batch: Option<String>,
    /// With --batch: run every line even after a failure, then exit with the first failure's code.
    #[arg(long, requires = "batch", conflicts_with = "atomic")]
    force: bool,
    /// With --batch: when a line fails, undo the lines already done, last first, and list in the
    /// failed line's record what was undone and what could not be (deletions cannot).
    #[arg(long, requires = "batch")]
    atomic: bool,
}

impl clap::Args for BatchArgs {
    fn augment_args(command: clap::Command) -> clap::Command {
        BatchFlags::augment_args(command)
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        BatchFlags::augment_args_for_update(command)
    }
}

impl FromArgMatches for BatchArgs {
    fn from_arg_matches(found: &clap::ArgMatches) -> std::result::Result<BatchArgs, clap::Error> {
        Ok(BatchArgs {
            batch: found.try_get_one::<String>("batch").ok().flatten().cloned(),
            force: switch(found, "force"),
            atomic: switch(found, "atomic"),
        })
    }

    fn update_from_arg_matches(
        &mut self,
        matches: &clap::ArgMatches,
    ) -> std::result::Result<(), clap::Error> {
        *self = BatchArgs::from_arg_matches(matches)?;
        Ok(())
    }
}

/// A switch's value: false when clap holds its default ("false") or, parsed by the command of
/// [`presence_flags`], nothing at all.
fn switch(found: &clap::ArgMatches, id: &str) -> bool {
    matches!(found.try_get_one::<bool>(id), Ok(Some(true)))
}

/// No tool-wide flags beyond the shared ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
#[group(skip)]
pub struct NoGlobals {}

/// The command line every tool parses: shared flags, the tool's globals, then one verb.
#[derive(Debug, Parser)]
#[group(skip)]
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

    /// Which arguments complete live names (namespaces, bridges, networks, ...): a rule over the
    /// verb path and the argument (see [`crate::completion`]). Default: none.
    fn completers(_verb: &[&str], _arg: &clap::Arg) -> Option<crate::completion::Names> {
        None
    }

    /// True for a tool that stands in for virsh (vnet-vm, vnet-net): its command lines also take
    /// virsh's argument forms ([`crate::virsh_args`]). The other tools' start-up skips that pass.
    const VIRSH_GRAMMAR: bool = false;

    /// For a tool that stands in for ip or bridge (vnet-ns, vnet-bridge): the classic tool's
    /// tables of global options, objects and commands, matched by prefix as it matches them
    /// ([`crate::ip_args`]). None: the line is the tool's own spelling only.
    const IP_GRAMMAR: Option<&'static crate::ip_args::IpGrammar> = None;

    /// For a tool that stands in for virsh: virsh's names for a verb's arguments that a bare word
    /// may fill (see [`crate::virsh_args`]). Default: none, the line is clap's as it is.
    fn virsh_slots(_verb: &str) -> &'static [&'static str] {
        &[]
    }

    /// For a tool that stands in for virsh: the verb's virsh options it does not support, each
    /// refused by name with exit 7 (see [`crate::virsh_args`]). Default: none.
    fn virsh_refused(_verb: &str) -> &'static [&'static str] {
        &[]
    }
}

/// The full clap command of a tool (also for man pages and completions).
pub fn command<T: Tool>() -> clap::Command {
    decorated::<T>(Cli::<T::Globals, T::Verbs>::command())
}

/// The root command without verbs: the shared flags and the tool's globals.
#[derive(Debug, clap::Subcommand)]
pub enum NoVerbs {}

/// The command a command line needs (the first word is the program name): the root with only
/// the verb the line names, or the whole tool when the line names none (--help, a typo: clap then
/// lists or suggests every verb). Parsing with it is parsing with the whole command, minus the
/// cost of building every other verb's.
pub fn command_for<T: Tool>(words: &[String]) -> clap::Command {
    command_from::<T>(root_command::<T>(), words)
}

/// [`command_for`] from the root command already built.
fn command_from<T: Tool>(root: clap::Command, words: &[String]) -> clap::Command {
    crate::keywords::first_verb_word(&root, words)
        .and_then(|(word, rest)| T::Verbs::with_verb(root, word, rest))
        .unwrap_or_else(command::<T>)
}

/// The root command without verbs: the shared flags and the tool's globals.
pub fn root_command<T: Tool>() -> clap::Command {
    decorated::<T>(Cli::<T::Globals, NoVerbs>::command())
}

fn decorated<T: Tool>(command: clap::Command) -> clap::Command {
    command
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
/// Decided once per process: every command built asks, and a --batch builds one per line, each
/// probing the terminal (an ioctl that fails with ENOTTY when stdout is a file or a pipe).
pub fn color_choice() -> clap::ColorChoice {
    use std::io::IsTerminal;
    static CHOICE: std::sync::OnceLock<clap::ColorChoice> = std::sync::OnceLock::new();
    *CHOICE.get_or_init(|| {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if no_color || !std::io::stdout().is_terminal() {
            clap::ColorChoice::Never
        } else {
            clap::ColorChoice::Auto
        }
    })
}

/// Parses a command line (the first word is the program name): first with [`presence_flags`]'
/// command, which gives the same result for every line it accepts; a line it refuses (also
/// --help and --version) is parsed again with [`command_for`]'s, for clap's own error or help.
pub fn parse<T: Tool>(
    words: impl IntoIterator<Item = String>,
) -> std::result::Result<Cli<T::Globals, T::Verbs>, clap::Error> {
    parse_keeping::<T>(words.into_iter().collect(), false)
}

/// [`parse`] for the one command line a process runs (its `main`): the commands clap built are
/// not freed, as the process ends after the verb. What it buys (callgrind, 2026-12-07, release
/// builds): freeing them was 46 thousand of `vnet-ns route show`'s 332 thousand instructions per
/// start.
pub fn parse_once<T: Tool>(
    words: impl IntoIterator<Item = String>,
) -> std::result::Result<Cli<T::Globals, T::Verbs>, clap::Error> {
    parse_keeping::<T>(words.into_iter().collect(), true)
}

fn parse_keeping<T: Tool>(
    words: Vec<String>,
    leak: bool,
) -> std::result::Result<Cli<T::Globals, T::Verbs>, clap::Error> {
    let root = root_command::<T>();
    // ip's and bridge's spelling (`ip -4 r a ...`) becomes the tool's before the verb is chosen.
    let words = match T::IP_GRAMMAR {
        Some(grammar) => crate::ip_args::normalize(grammar, &root, words)?,
        None => words,
    };
    let with = |mut command: clap::Command, words: Vec<String>| {
        let parsed = parse_in::<T>(&mut command, words);
        if leak {
            std::mem::forget(command);
        }
        parsed
    };
    match with(presence_flags(command_from::<T>(root, &words)), words.clone()) {
        Ok(cli) => Ok(cli),
        Err(_) => with(command_for::<T>(&words), words),
    }
}

/// `command` with the output switches (-p, -j, -q) and --batch's (--force, --atomic) as flags that
/// are absent when not given, instead of clap's switches, which always hold a value (their
/// default, false). For speed: clap copies every global flag's value into each command on the
/// verb's path, several times over, and a switch always has one; absent, there is nothing to
/// copy; and a switch's default is a value clap makes on every parse (2026-12-08: --force and
/// --atomic's were 5 thousand instructions of every --batch line and every start). What it buys (valgrind callgrind,
/// 2026-12-07, release builds): `vnet-ns list` with one namespace 375k -> 304k instructions per
/// start (-19%), `vnet-ns route show` 495k -> 377k (-24%, three commands deep), `vnet-ns link set
/// dev X up` 857k -> 741k (-14%).
/// The flags take no value either way (`-p` alone); what they refuse (`-p -p`, `--pretty=x`,
/// `-pj`, which this form would read as a value) goes to the exact command.
/// One pass over the root's flags (`mut_args`): `mut_arg` per switch took each out of the list and
/// put it back at the end, 1.8 thousand instructions a switch at every start.
pub fn presence_flags(command: clap::Command) -> clap::Command {
    command.mut_args(|arg| match SWITCHES.contains(&arg.get_id().as_str()) {
        true => arg
            .action(clap::ArgAction::Set)
            .num_args(0)
            .default_missing_value("true")
            .value_parser(clap::builder::BoolValueParser::new()),
        false => arg,
    })
}

/// Parses a command line with `command` ([`command_for`]'s, or the whole [`command`]).
pub fn parse_with<T: Tool>(
    mut command: clap::Command,
    words: Vec<String>,
) -> std::result::Result<Cli<T::Globals, T::Verbs>, clap::Error> {
    parse_in::<T>(&mut command, words)
}

/// [`parse_with`] over a command kept for more lines (clap builds it on the first parse only).
pub fn parse_in<T: Tool>(
    command: &mut clap::Command,
    words: Vec<String>,
) -> std::result::Result<Cli<T::Globals, T::Verbs>, clap::Error> {
    // ip-style keywords (`via GW dev IF`) become the long flags clap parses: one grammar.
    let words = crate::keywords::expand(command, words);
    // A family (-4, -6) the verb has no use for is ignored, as ip ignores it.
    let words = match T::IP_GRAMMAR {
        Some(_) => crate::ip_args::fit(command, words),
        None => words,
    };
    // virsh's named and bare argument forms (`start --domain web`) become clap's.
    let words = match T::VIRSH_GRAMMAR {
        true => crate::virsh_args::place(command, words, T::virsh_slots, T::virsh_refused)?,
        false => words,
    };
    let mut matches = command
        .try_get_matches_from_mut(words)
        .map_err(|e| crate::keywords::mark_bad_value(command, e))?;
    // The matches are ours: taking their values out spares the clone `from_arg_matches` makes
    // (callgrind, 2026-12-07: cloning and dropping the copy was a sixth of a --batch `link add`
    // line's instructions).
    Cli::from_arg_matches_mut(&mut matches)
}

/// A usage error (exit 2) with the tool's help hint.
pub fn usage<T: Tool + ?Sized>(message: &str) -> Error {
    Error::new(ErrorKind::Usage, message).with_hint(format!("see '{} --help'", T::NAME))
}

/// Turns a clap parse failure into a usage error of one line, naming what was wrong; a keyword's
/// value that does not parse (`mtu abc`, `address 01:00:5e:00:00:01`) is invalid input (exit 7),
/// as ip refuses it, not a usage error.
pub fn usage_error(tool: &str, error: &clap::Error) -> Error {
    // A typed value refused by the tool's own parser (`value_parser = parse_vid`): that error as
    // it is, with its exit code (a VLAN id out of range is 7, not a usage error).
    let refused = std::error::Error::source(error).and_then(|e| e.downcast_ref::<Error>());
    if let Some(refused) = refused {
        return refused.clone();
    }
    let rendered = error.render().to_string();
    // clap's first paragraph, on one line: a list it puts under "...not provided:" (the
    // arguments missing) belongs to the message.
    let paragraph: Vec<&str> = rendered
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let first = match paragraph.join(" ") {
        joined if joined.is_empty() => "invalid arguments".to_string(),
        joined => joined,
    };
    let first = first.strip_prefix("error: ").unwrap_or(&first);
    let kind = match crate::keywords::is_bad_value(error) {
        true => ErrorKind::Invalid,
        false => ErrorKind::Usage,
    };
    Error::new(kind, first).with_hint(format!("see '{tool} --help'"))
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
