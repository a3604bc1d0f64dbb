//! The one grammar for ip-style argument tails (`route add 10.0.0.0/8 via 10.0.0.1 dev eth0 metric
//! 20`, `link set dev X address MAC mtu 1400 up`, `vlan add dev P vid 10 pvid untagged`).
//!
//! A verb that takes ip's keywords declares each one as an ordinary typed clap flag under the help
//! heading [`HEADING`] (`#[arg(long, help_heading = keywords::HEADING)] via: Option<IpAddr>`).
//! Before clap parses a command line, [`expand`] turns each bare keyword of the chosen verb into
//! its long flag (`via` -> `--via`), so clap parses, types and checks every keyword; there is no
//! second parser. A word is a keyword only where a keyword may stand: the values of flags and
//! keywords are copied as they are, so an interface called `via` is still `dev via`.

use clap::{Arg, Command};

/// The help heading that marks a flag as an ip-style keyword, also given without its `--`.
pub const HEADING: &str = "Keywords (ip's words; the leading -- may be left out)";

/// Rewrites the bare ip keywords of a command line (the first word is the program name) into the
/// long flags clap knows, walking the verb path as clap will. Words after `--` stay as they are.
pub fn expand(root: &Command, words: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    let mut path: Vec<&Command> = vec![root];
    let mut words = words.into_iter().peekable();
    // Flags of a nested set's verbs given before the verb's name (see verb_flag_before_verb).
    let mut held: Vec<String> = Vec::new();
    out.extend(words.next());
    while let Some(word) = words.next() {
        let here = *path.last().expect("the path starts at the root");
        if word == "--" {
            out.append(&mut held);
            out.push(word);
            out.extend(words.by_ref());
            break;
        }
        if word.starts_with('-') && word.len() > 1 {
            // A verb's flag before the verb is moved after it, where clap looks for it.
            if let Some(takes_value) = verb_flag_before_verb(&path, &word) {
                held.push(word);
                if takes_value {
                    held.extend(words.next());
                }
                continue;
            }
            let takes_value = flag_takes_separate_value(&path, &word);
            out.push(word);
            if takes_value {
                out.extend(words.next());
            }
            continue;
        }
        if let Some(sub) = here.find_subcommand(&word) {
            path.push(sub);
            out.push(word);
            out.append(&mut held);
            continue;
        }
        let Some(arg) = keyword(here, &word) else {
            out.push(word);
            continue;
        };
        out.push(format!("--{}", arg.get_long().expect("keywords are long flags")));
        if !arg.get_action().takes_values() {
            continue;
        }
        // A keyword that ends the line (ip link add's `peer ...`, whose words are the other
        // end's own options; ip route's `nexthop via A dev X nexthop ...`), declared with
        // unbounded values that may look like flags, takes every word after it.
        if max_values(arg) == usize::MAX && arg.is_allow_hyphen_values_set() {
            out.extend(words.by_ref());
            break;
        }
        // The first value is taken whatever it looks like (`dev via`); more values (a keyword
        // taking 1..=2, as tc's `delay 100ms 10ms`) while they are not keywords or flags.
        out.extend(words.next());
        for _ in 1..max_values(arg) {
            match words.peek() {
                Some(next) if !next.starts_with('-') && keyword(here, next).is_none() => {
                    out.extend(words.next())
                }
                _ => break,
            }
        }
    }
    // No verb followed: the flags go back where they were given, for clap to refuse.
    out.append(&mut held);
    out
}

/// The first word of a command line (the first word is the program name) that is not a flag of
/// `root` or a flag's value, the verb's name if the line has one, with the words after it. None
/// after `--`.
pub fn first_verb_word<'a>(root: &Command, words: &'a [String]) -> Option<(&'a str, &'a [String])> {
    let mut at = 1;
    while let Some(word) = words.get(at) {
        if word == "--" {
            return None;
        }
        if !word.starts_with('-') || word.len() == 1 {
            return Some((word, &words[at + 1..]));
        }
        at += 1 + usize::from(flag_takes_separate_value(&[root], word));
    }
    None
}

/// The keyword `word` names among `command`'s own flags (its long name or one of its aliases).
fn keyword<'a>(command: &'a Command, word: &str) -> Option<&'a Arg> {
    command.get_arguments().find(|arg| {
        arg.get_help_heading() == Some(HEADING)
            && (arg.get_long() == Some(word)
                || arg
                    .get_all_aliases()
                    .is_some_and(|aliases| aliases.contains(&word)))
    })
}

/// Whether a flag word (`--metric`, `-n`) takes its value from the next word: not when the value
/// is in the word itself (`--table=100`, `-nBlue`), not for switches, not for unknown flags
/// (clap reports those). Flags of every command on the path count: clap's global flags.
pub(crate) fn flag_takes_separate_value(path: &[&Command], word: &str) -> bool {
    let commands: Vec<&Command> = path.iter().rev().copied().collect();
    find_flag(&commands, word).is_some_and(|arg| takes_separate_value(arg, word))
}

/// The flag a flag word names among the flags of `commands`, first match first.
pub(crate) fn find_flag<'a>(commands: &[&'a Command], word: &str) -> Option<&'a Arg> {
    let mut args = commands.iter().flat_map(|command| command.get_arguments());
    if let Some(long) = word.strip_prefix("--") {
        let long = long.split('=').next().unwrap_or(long);
        return args.find(|arg| {
            arg.get_long() == Some(long) || arg.get_all_aliases().is_some_and(|a| a.contains(&long))
        });
    }
    let first = word[1..].chars().next()?;
    args.find(|arg| {
        arg.get_short() == Some(first) || arg.get_all_short_aliases().is_some_and(|a| a.contains(&first))
    })
}

/// Whether `arg`, given as `word`, takes its value from the next word.
fn takes_separate_value(arg: &Arg, word: &str) -> bool {
    let inline = match word.strip_prefix("--") {
        Some(long) => long.contains('='),
        None => word.len() > 2,
    };
    // A flag that takes no values (`num_args(0)`, see tool::presence_flags) takes no word either.
    let takes_words = arg.get_num_args().is_none_or(|range| range.max_values() > 0);
    !inline && arg.get_action().takes_values() && takes_words
}

/// For a flag given between a nested set's name and its verb (`route -6 show`, `link --missing-ok
/// del X`: when the set was one verb, its flags could stand before the action word): whether one
/// of the set's verbs knows it, and if so whether it takes the next word as its value. None when
/// the set or a command above it knows the flag itself.
fn verb_flag_before_verb(path: &[&Command], word: &str) -> Option<bool> {
    let here = *path.last()?;
    if !here.has_subcommands() || find_flag(path, word).is_some() {
        return None;
    }
    let verbs: Vec<&Command> = here.get_subcommands().collect();
    find_flag(&verbs, word).map(|arg| takes_separate_value(arg, word))
}

/// How many values a flag takes at most (clap's default for a value flag is one).
fn max_values(arg: &Arg) -> usize {
    arg.get_num_args().map_or(1, |range| range.max_values())
}

/// Marks clap's error for a keyword's value that does not parse or is not one of its choices
/// (`metric x`, `mode bogus`), so [`is_bad_value`] tells it from a usage error: the keyword
/// grammar's bad values are invalid input (exit 7), as they were before clap typed them.
pub fn mark_bad_value(root: &Command, mut error: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(error.kind(), ErrorKind::ValueValidation | ErrorKind::InvalidValue) {
        return error;
    }
    // A keyword given without its value (`via` at the end) is a usage error.
    if matches!(error.get(ContextKind::InvalidValue), Some(ContextValue::String(v)) if v.is_empty()) {
        return error;
    }
    let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else {
        return error;
    };
    let Some(long) = arg.strip_prefix("--") else {
        return error;
    };
    let long = long.split([' ', '=']).next().unwrap_or(long).to_string();
    if is_keyword_anywhere(root, &long) {
        error.insert(ContextKind::Custom, ContextValue::String(BAD_VALUE.to_string()));
    }
    error
}

const BAD_VALUE: &str = "bad keyword value";

/// A clap error that [`is_bad_value`] reports as invalid input (exit 7), for refusals the
/// shared grammar makes itself (an option of the classic tool that vnet does not support).
pub(crate) fn invalid_input(message: String) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let mut error = clap::Error::raw(ErrorKind::ValueValidation, format!("{message}\n"));
    error.insert(ContextKind::Custom, ContextValue::String(BAD_VALUE.to_string()));
    error
}

/// True for an error [`mark_bad_value`] marked.
pub fn is_bad_value(error: &clap::Error) -> bool {
    use clap::error::{ContextKind, ContextValue};
    matches!(error.get(ContextKind::Custom), Some(ContextValue::String(s)) if s == BAD_VALUE)
}

/// Whether some verb of the tree has the keyword `long`.
fn is_keyword_anywhere(command: &Command, long: &str) -> bool {
    command
        .get_arguments()
        .any(|arg| arg.get_help_heading() == Some(HEADING) && arg.get_long() == Some(long))
        || command
            .get_subcommands()
            .any(|sub| is_keyword_anywhere(sub, long))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{ArgAction, Parser};

    /// A stand-in verb set with ip-style keywords, as the tools declare them.
    #[derive(Debug, Parser)]
    struct Cli {
        #[arg(short = 'n', long, global = true)]
        netns: Option<String>,
        #[arg(short = 'p', long, global = true)]
        pretty: bool,
        #[command(subcommand)]
        verb: Verb,
    }

    #[derive(Debug, clap::Subcommand)]
    enum Verb {
        #[command(subcommand)]
        Route(RouteVerb),
        Exec {
            name: String,
            #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
            command: Vec<String>,
        },
    }

    #[derive(Debug, clap::Subcommand)]
    enum RouteVerb {
        Add(RouteAdd),
    }

    #[derive(Debug, clap::Args)]
    struct RouteAdd {
        destination: String,
        #[arg(long, help_heading = HEADING)]
        via: Option<std::net::IpAddr>,
        #[arg(long, help_heading = HEADING)]
        dev: Option<String>,
        #[arg(long, help_heading = HEADING)]
        metric: Option<u32>,
        #[arg(long, help_heading = HEADING, visible_alias = "lookup")]
        table: Option<u32>,
        #[arg(long, help_heading = HEADING, action = ArgAction::SetTrue)]
        onlink: bool,
        #[arg(long, help_heading = HEADING, num_args = 1..=2)]
        delay: Vec<String>,
        #[arg(long, help_heading = HEADING, num_args = 1.., allow_hyphen_values = true)]
        nexthop: Vec<String>,
        /// Not a keyword: `tag` stays a value unless written --tag.
        #[arg(long)]
        tag: Option<String>,
    }

    fn expanded(line: &str) -> String {
        let words = std::iter::once("vnet-ns").chain(line.split_whitespace());
        let words = words.map(String::from).collect();
        expand(&<Cli as clap::CommandFactory>::command(), words)[1..].join(" ")
    }

    #[test]
    fn keywords_become_long_flags_and_values_stay() {
        assert_eq!(
            expanded("route add default via 10.0.0.1 dev eth0 metric 20 onlink"),
            "route add default --via 10.0.0.1 --dev eth0 --metric 20 --onlink"
        );
        // A value that is also a keyword is a value: an interface named via, metric.
        assert_eq!(
            expanded("route add default dev via"),
            "route add default --dev via"
        );
        assert_eq!(
            expanded("route add dev metric metric 5"),
            "route add --dev metric --metric 5"
        );
        // Aliases (ip's lookup = table), already-long flags, flags with their values.
        assert_eq!(expanded("route add x lookup 100"), "route add x --table 100");
        assert_eq!(
            expanded("-n Blue route add x --dev dev"),
            "-n Blue route add x --dev dev"
        );
        assert_eq!(expanded("route add x -n dev"), "route add x -n dev");
        assert_eq!(
            expanded("route add x --table=7 dev y"),
            "route add x --table=7 --dev y"
        );
        // Up to the keyword's number of values, stopping at the next keyword.
        assert_eq!(
            expanded("route add x delay 100ms 10ms dev y"),
            "route add x --delay 100ms 10ms --dev y"
        );
        assert_eq!(
            expanded("route add x delay 100ms dev y"),
            "route add x --delay 100ms --dev y"
        );
        // A keyword that ends the line takes the rest, keywords and all.
        assert_eq!(
            expanded("route add x nexthop via a dev b nexthop via c"),
            "route add x --nexthop via a dev b nexthop via c"
        );
        // Not a keyword of this verb, or not a keyword at all: left for clap.
        assert_eq!(expanded("route add tag"), "route add tag");
        assert_eq!(expanded("route via"), "route via");
        // A verb's flag before the verb's name moves after it (with its value).
        assert_eq!(expanded("route --table 7 add x"), "route add --table 7 x");
        assert_eq!(
            expanded("route --onlink add x dev y"),
            "route add --onlink x --dev y"
        );
        assert_eq!(expanded("-p route --tag t add x"), "-p route add --tag t x");
        // Not before a verb: the set's own and global flags stay; an unknown flag stays for clap.
        assert_eq!(expanded("route -n Blue add x"), "route -n Blue add x");
        assert_eq!(expanded("route --frob add x"), "route --frob add x");
        assert_eq!(expanded("route --tag t"), "route --tag t");
        // After -- and in verbs without keywords nothing changes.
        assert_eq!(expanded("route add -- dev"), "route add -- dev");
        assert_eq!(
            expanded("exec Blue ip route add x via y"),
            "exec Blue ip route add x via y"
        );
    }

    #[test]
    fn clap_types_the_expanded_keywords() {
        let parse = |line: &str| {
            let words = std::iter::once("vnet-ns")
                .chain(line.split_whitespace())
                .map(String::from);
            let words = expand(&<Cli as clap::CommandFactory>::command(), words.collect());
            Cli::try_parse_from(words)
        };
        let Verb::Route(RouteVerb::Add(add)) = parse("route add default via 10.0.0.1 metric 5").unwrap().verb
        else {
            panic!("route add")
        };
        assert_eq!(add.via, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(add.metric, Some(5));
        // A bad value is clap's error, naming the flag.
        let error = parse("route add default via nonsense").unwrap_err().to_string();
        assert!(error.contains("--via"), "{error}");
        // A keyword without its value.
        assert!(parse("route add default via").is_err());
    }

    #[test]
    fn a_keywords_bad_value_is_marked_invalid_input() {
        let command = <Cli as clap::CommandFactory>::command();
        let error = |line: &str| {
            let words = std::iter::once("vnet-ns")
                .chain(line.split_whitespace())
                .map(String::from);
            let words = expand(&command, words.collect());
            mark_bad_value(&command, command.clone().try_get_matches_from(words).unwrap_err())
        };
        assert!(is_bad_value(&error("route add x via nonsense")));
        assert!(is_bad_value(&error("route add x metric -")));
        assert!(is_bad_value(&error("route add x --table=abc")));
        // Not a keyword's value: a usage error as before.
        assert!(!is_bad_value(&error("route add x --tag")));
        assert!(!is_bad_value(&error("route add x via")));
        assert!(!is_bad_value(&error("route add x frob")));
    }
}
