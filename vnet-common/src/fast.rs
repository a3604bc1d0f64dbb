//! The fast path for the hot read verbs (`vnet-bridge show`, `vnet-ns route show`, ...): a one-shot
//! listing is to cost no more than the classic tool's (`brctl show`, `ip -j route show`), and a C
//! tool's start-up is a few hundred microseconds. Three costs of a Rust CLI's start-up are taken
//! away here, for the tools whose main is [`no_std_main!`]:
//!
//! 1. Building the whole clap command (every verb, every flag, their help) and parsing with it is
//!    about half of the instructions of a short listing. The everyday read lines are parsed by
//!    hand instead: [`parse`] takes out the shared flags (-p -j -q -o, and -n NS) and hands the
//!    remaining words to the tool's [`Tool::fast_verb`]. Anything unusual (a repeated or unknown
//!    flag, `--help`, `-ojson`, `--output=text`, a value that starts with '-', a verb the tool
//!    does not take here) returns None and the line goes to clap, so the two parsers can only
//!    disagree on lines a tool's unit test lists (each tool checks its fast lines against clap).
//! 2. std's runtime start-up (stack-guard discovery that reads /proc/self/maps, the alternate
//!    signal stack, the check of the standard descriptors): [`no_std_main!`] declares a C `main`
//!    and does by hand the one part that matters: SIGPIPE ignored, so a write to a closed pipe
//!    fails with EPIPE (the printer then exits quietly) instead of killing the process. Without
//!    std's handler a stack overflow ends in a plain SIGSEGV instead of a message. Arguments still
//!    come from `std::env::args_os` (glibc hands them to std before `main`).
//! 3. Loading libgcc_s.so.1 at every start: vnet-common's build.rs links gcc's unwinder
//!    statically into every tool (see there).
//!
//! What the verbs then do is their own business: the read verbs dump over a blocking
//! [`crate::netlink::DumpSocket`] (no async runtime), and the printer serializes the typed result
//! straight to text.

use crate::cli::{self, BatchArgs, Cli, OutputArgs, Tool};
use crate::output::Format;

/// Parses a command line (without the program name) for the fast path, or None for clap.
pub fn parse<T: Tool>(args: &[String]) -> Option<Cli<T::Globals, T::Verbs>> {
    let mut output = OutputArgs {
        pretty: false,
        output: None,
        json: false,
        quiet: false,
    };
    let mut netns: Option<String> = None;
    // The verb and its own words, in order, the shared flags taken out.
    let mut words: Vec<String> = vec![];
    let mut it = args.iter();
    // A flag given twice goes to clap (it refuses some repeats and not others).
    let once = |seen: bool| (!seen).then_some(());
    while let Some(arg) = it.next() {
        match arg.as_str() {
            // The output flags are clap `global` flags: accepted before or after the verb.
            "-p" | "--pretty" => {
                once(output.pretty)?;
                output.pretty = true;
            }
            "-j" | "--json" => {
                once(output.json || output.output.is_some())?;
                output.json = true;
            }
            "-q" | "--quiet" => {
                once(output.quiet)?;
                output.quiet = true;
            }
            "-o" | "--output" => {
                once(output.json || output.output.is_some())?;
                output.output = Some(match it.next()?.as_str() {
                    "json" => Format::Json,
                    "text" => Format::Text,
                    "name" => Format::Name,
                    _ => return None,
                });
            }
            // -n NS: before the verb, or after it too where the tool's -n is global.
            "-n" | "--netns" if words.is_empty() || T::NETNS_AFTER_VERB => {
                once(netns.is_some())?;
                let name = it.next()?;
                if name.is_empty() || name.starts_with('-') {
                    return None;
                }
                netns = Some(name.clone());
            }
            // Before the verb every flag is a tool flag this parser does not know (--batch...).
            word if words.is_empty() && word.starts_with('-') => return None,
            // An empty word or `--` means something only clap knows.
            "" | "--" => return None,
            // The verb and its words, its own flags among them (the tool checks them).
            word => words.push(word.to_string()),
        }
    }
    let (globals, verb) = T::fast_verb(netns, &words)?;
    Some(Cli {
        output,
        batch: BatchArgs {
            batch: None,
            force: false,
            atomic: false,
        },
        globals,
        verb: Some(verb),
    })
}

/// The body of a [`no_std_main!`] main: SIGPIPE ignored, the fast path or clap, stdout flushed
/// (no std runtime around it does that at exit), the exit status.
pub fn main<T: Tool>() -> u8 {
    // SAFETY: setting a signal's disposition to SIG_IGN before any thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let status = match parse::<T>(&args) {
        Some(line) => match cli::run::<T>(line) {
            Ok(code) => exit_status(code),
            Err(error) => {
                crate::output::report_error(T::NAME, &error);
                error.exit_code()
            }
        },
        None => exit_status(cli::run_main::<T>()),
    };
    let _ = std::io::Write::flush(&mut std::io::stdout());
    status
}

/// The number an ExitCode stands for (std has no stable accessor; ExitCode compares).
pub fn exit_status(code: std::process::ExitCode) -> u8 {
    (0..=255u8)
        .find(|n| std::process::ExitCode::from(*n) == code)
        .unwrap_or(1)
}

/// A tool's `main` without Rust's runtime start-up (see the module's notes): put
/// `#![no_main]` and `vnet_common::no_std_main!(Tool);` in the binary's main.rs. Such a binary
/// has no test harness of its own: give it `test = false` in Cargo.toml.
#[macro_export]
macro_rules! no_std_main {
    ($tool:ty) => {
        #[no_mangle]
        pub extern "C" fn main(
            _argc: ::std::os::raw::c_int,
            _argv: *const *const ::std::os::raw::c_char,
        ) -> ::std::os::raw::c_int {
            ::std::os::raw::c_int::from($crate::fast::main::<$tool>())
        }
    };
}

/// Checks a tool's fast path against clap: every line of `fast` takes the fast path and parses
/// to what clap makes of it; every line of `to_clap` is left to clap. For the tools' unit tests.
pub fn assert_agrees_with_clap<T: Tool>(fast: &[&str], to_clap: &[&str]) {
    let words = |line: &str| -> Vec<String> { line.split_whitespace().map(str::to_string).collect() };
    for line in fast {
        let ours = parse::<T>(&words(line)).unwrap_or_else(|| panic!("not fast: {line}"));
        let theirs = cli::parse::<T>(std::iter::once(T::NAME.to_string()).chain(words(line)))
            .unwrap_or_else(|e| panic!("clap refuses {line}: {e}"));
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "{line}");
    }
    for line in to_clap {
        assert!(
            parse::<T>(&words(line)).is_none(),
            "taken by the fast path: {line}"
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn exit_status_reads_back_every_code() {
        for n in [0u8, 1, 3, 7, 130, 255] {
            assert_eq!(super::exit_status(std::process::ExitCode::from(n)), n);
        }
    }
}
