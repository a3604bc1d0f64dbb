//! The listing verbs' everyday command lines (`show [BR...]`, `showstp BR`, with -o/-j/-p/-q/-n)
//! parsed by hand: building the whole clap command of ~25 verbs costs more than the listing
//! itself, and `show` is to cost no more than `brctl show`. Any other line, or anything unusual
//! in one (a repeated or unknown flag, `--help`, a value that starts with '-'), goes to clap, so
//! the two parsers can only agree; a unit test checks that they do.

use crate::{show, Command, Globals};
use vnet_common::cli::{BatchArgs, Cli, OutputArgs};
use vnet_common::output::Format;

/// The parsed command line, or None to let clap parse it.
pub fn parse(args: &[String]) -> Option<Cli<Globals, Command>> {
    let mut output = OutputArgs {
        pretty: false,
        output: None,
        json: false,
        quiet: false,
    };
    let mut netns: Option<String> = None;
    let mut verb: Option<&str> = None;
    let mut names: Vec<String> = vec![];
    let mut it = args.iter();
    let once = |seen: bool| (!seen).then_some(());
    while let Some(arg) = it.next() {
        match arg.as_str() {
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
            "-n" | "--netns" => {
                once(netns.is_some())?;
                let name = it.next()?;
                if name.is_empty() || name.starts_with('-') {
                    return None;
                }
                netns = Some(name.clone());
            }
            word if word.is_empty() || word.starts_with('-') => return None,
            "show" | "showstp" if verb.is_none() => verb = Some(arg),
            word if verb.is_some() => names.push(word.to_string()),
            _ => return None,
        }
    }
    let verb = match verb? {
        "show" => Command::Show(show::Show::new(names)),
        _ if names.len() == 1 => Command::Showstp(show::Showstp::new(names.remove(0))),
        _ => return None,
    };
    Some(Cli {
        output,
        batch: BatchArgs {
            batch: None,
            force: false,
            atomic: false,
        },
        globals: Globals { netns },
        verb: Some(verb),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BridgeTool;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn agrees_with_clap_or_leaves_the_line_to_it() {
        let fast = [
            "show",
            "show br0 br1",
            "-o text show",
            "show -o text -q",
            "show -j",
            "-p show br0",
            "-n Blue show -o json",
            "show show",
            "showstp br0 -o text",
            "-n Blue showstp br0 -p",
        ];
        for line in fast {
            let ours = parse(&words(line)).unwrap_or_else(|| panic!("not fast: {line}"));
            let theirs = vnet_common::cli::parse::<BridgeTool>(
                std::iter::once("vnet-bridge".to_string()).chain(words(line)),
            )
            .unwrap();
            assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "{line}");
        }
        let to_clap = [
            "",
            "show --help",
            "-o text -o json show",
            "-j -o text show",
            "show -o yaml",
            "show -o",
            "show -n",
            "-n -x show",
            "-p -p show",
            "showstp",
            "showstp a b",
            "showmacs br0",
            "addbr br0",
            "show --batch x",
            "br0 show",
            "show -ojson",
            "show --output=text",
        ];
        for line in to_clap {
            assert!(parse(&words(line)).is_none(), "{line}");
        }
    }
}
