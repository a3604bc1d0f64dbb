//! ip's (and bridge's) way with a command line, for the tools that stand in for them (vnet-ns for
//! `ip`, vnet-bridge for `bridge`): a script's `ip -4 -all netns exec ...`, `ip r a default via
//! GW`, `ip -j -d li sh` or `bridge -json fdb show` must work with only the program's name changed.
//!
//! iproute2 matches its global options, objects and commands by prefix, in the order of its own
//! tables, the first match winning (lib/utils.c matches(): `ip a` is `ip address`, `ip r d` is
//! `ip route delete`, `ip -f inet` is `-family inet`, `ip --all` is `-all`). A tool lists those
//! tables here in that order ([`IpGrammar`]) and [`normalize`] rewrites a line into the words clap
//! parses: the options vnet shares keep vnet's spelling (-n, -j, -p, -b, --force), the family
//! flags and -all move after the command to the verb that takes them ([`fit`] drops a family the
//! verb has no use for, as ip ignores it), the options that only change ip's text layout are
//! dropped (vnet prints JSON, which always carries what they add), and an ip object or command
//! vnet does not have is refused by name (exit 7). A line in vnet's own spelling comes back as it
//! was. Only the words before the command's own arguments are looked at.

use clap::Command;

/// One of ip's global options, by the name ip matches it with.
#[derive(Debug, Clone, Copy)]
pub struct IpOption {
    /// ip's name, with its one dash ("-netns"); matched by prefix unless `exact`.
    pub name: &'static str,
    pub exact: bool,
    pub effect: Effect,
}

impl IpOption {
    /// An option ip matches by prefix (`-netns`: `-n`, `-net`, ...).
    pub const fn prefix(name: &'static str, effect: Effect) -> IpOption {
        IpOption {
            name,
            exact: false,
            effect,
        }
    }

    /// An option ip matches only as written (`-4`, `-echo`).
    pub const fn exact(name: &'static str, effect: Effect) -> IpOption {
        IpOption {
            name,
            exact: true,
            effect,
        }
    }
}

/// What an ip global option becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// vnet's flag of the same meaning (`-netns` -> `-n`); `true` when it takes the next word.
    Flag(&'static str, bool),
    /// A flag of the verb (`-4`, `--all`): moved after the object's command.
    ForVerb(&'static str),
    /// `-family FAMILY`: inet and inet6 are -4 and -6 for the verb; others are refused.
    Family,
    /// Changes only ip's text layout (or nothing vnet does): dropped; `true` when it takes the
    /// next word, dropped with it.
    Layout(bool),
    /// Not supported: refused by name (exit 7).
    Refused,
}

/// One of ip's objects (`address`, `route`, ...), in ip's order of matching.
#[derive(Debug, Clone, Copy)]
pub struct IpObject {
    /// ip's name of the object.
    pub name: &'static str,
    /// vnet's verb for it; None when vnet does not have it (refused by name).
    pub verb: Option<&'static str>,
    /// The object's commands in ip's order of matching: ip's name and vnet's verb (None:
    /// refused by name). Empty: the words after the object are left alone.
    pub commands: &'static [(&'static str, Option<&'static str>)],
    /// The command of a line that names none (`ip route` is `ip route show`).
    pub default: Option<&'static str>,
}

impl IpObject {
    /// An object vnet has as verb set `verb`, with its commands and the one a bare object means.
    pub const fn of(
        name: &'static str,
        verb: &'static str,
        commands: &'static [(&'static str, Option<&'static str>)],
        default: &'static str,
    ) -> IpObject {
        IpObject {
            name,
            verb: Some(verb),
            commands,
            default: Some(default),
        }
    }

    /// An object vnet does not have: refused by name.
    pub const fn lacking(name: &'static str) -> IpObject {
        IpObject {
            name,
            verb: None,
            commands: &[],
            default: None,
        }
    }
}

/// A tool's copy of ip's (or bridge's) tables.
#[derive(Debug)]
pub struct IpGrammar {
    /// The classic tool's name, for messages: "ip" or "bridge".
    pub classic: &'static str,
    /// The global options in the classic tool's order of matching.
    pub options: &'static [IpOption],
    /// The objects in the classic tool's order of matching.
    pub objects: &'static [IpObject],
    /// The tool's own verbs that an ip object's prefix would otherwise take (`add`, a prefix of
    /// `address`, is vnet-ns's namespace add).
    pub own: &'static [&'static str],
}

/// Rewrites the classic tool's spelling of a command line (the first word is the program name)
/// into the tool's; `root` is the tool's command without verbs (its shared flags and globals).
pub fn normalize(
    grammar: &IpGrammar,
    root: &Command,
    words: Vec<String>,
) -> Result<Vec<String>, clap::Error> {
    let mut words = words.into_iter();
    let mut out: Vec<String> = words.next().into_iter().collect();
    let mut for_verb: Vec<String> = Vec::new();
    let mut rest: Vec<String> = words.collect();
    rest.reverse(); // popped from the end: the next word is the last
    while let Some(word) = rest.pop() {
        if word == "--" || !word.starts_with('-') || word.len() == 1 {
            rest.push(word);
            break;
        }
        if let Some(takes_value) = own_flag(root, &word, rest.last()) {
            out.push(word);
            if takes_value {
                out.extend(rest.pop());
            }
            continue;
        }
        let opt = word
            .strip_prefix('-')
            .filter(|w| w.starts_with('-'))
            .unwrap_or(&word);
        let Some(option) = grammar.options.iter().find(|o| option_matches(o, opt)) else {
            out.push(word); // clap reports it
            continue;
        };
        match option.effect {
            Effect::Flag(flag, takes_value) => {
                out.push(flag.to_string());
                if takes_value {
                    out.extend(rest.pop());
                }
            }
            Effect::ForVerb(flag) => for_verb.push(flag.to_string()),
            Effect::Family => for_verb.push(family(grammar, rest.pop())?),
            Effect::Layout(takes_value) => {
                if takes_value {
                    rest.pop();
                }
            }
            Effect::Refused => return Err(refused(grammar, &format!("option {word}"))),
        }
    }
    let object = rest.pop();
    let object = object
        .map(|word| place_object(grammar, word, &mut rest, &mut out))
        .transpose()?;
    if let Some(Some(object)) = object {
        place_command(grammar, object, &mut rest, &mut out)?;
    }
    out.extend(for_verb);
    rest.reverse();
    out.extend(rest);
    Ok(out)
}

/// Whether `word` is one of the tool's own root flags (and if so whether it takes the next word):
/// those keep vnet's meaning. `-o` is vnet's only with one of vnet's formats after it; otherwise
/// it is ip's -oneline.
fn own_flag(root: &Command, word: &str, next: Option<&String>) -> Option<bool> {
    let flag = crate::keywords::find_flag(&[root], word)?;
    let exact = match word.strip_prefix("--") {
        Some(long) => {
            let long = long.split('=').next().unwrap_or(long);
            flag.get_long() == Some(long) || flag.get_all_aliases().is_some_and(|a| a.contains(&long))
        }
        // A short flag is vnet's only as itself (`-br` is ip's -brief, not -b r).
        None => word.len() == 2,
    };
    if !exact {
        return None;
    }
    let takes_value = crate::keywords::flag_takes_separate_value(&[root], word);
    if flag.get_id() == "output" && takes_value {
        let format = next.map(String::as_str);
        let is_format = flag
            .get_possible_values()
            .iter()
            .any(|v| Some(v.get_name()) == format);
        if !is_format {
            return None;
        }
    }
    Some(takes_value)
}

/// ip's matches(): `opt` (with its one dash) is a prefix of the option's name.
fn option_matches(option: &IpOption, opt: &str) -> bool {
    match option.exact {
        true => option.name == opt,
        false => opt.len() > 1 && option.name.starts_with(opt),
    }
}

/// `-family FAMILY` (`-f inet6`): the verb's -4 or -6.
fn family(grammar: &IpGrammar, value: Option<String>) -> Result<String, clap::Error> {
    match value.as_deref() {
        Some("inet") => Ok("-4".into()),
        Some("inet6") => Ok("-6".into()),
        Some(other) => Err(refused(grammar, &format!("family {other}"))),
        None => Err(crate::keywords::invalid_input(
            "-family needs a value (inet or inet6)".into(),
        )),
    }
}

/// The object word: vnet's own verb as it is, else ip's object (by prefix) as vnet's verb.
/// Some(object) when the command after it is to be placed too.
fn place_object(
    grammar: &IpGrammar,
    word: String,
    rest: &mut Vec<String>,
    out: &mut Vec<String>,
) -> Result<Option<&'static IpObject>, clap::Error> {
    if word == "--" || grammar.own.contains(&word.as_str()) {
        rest.push(word);
        return Ok(None);
    }
    let Some(object) = grammar.objects.iter().find(|o| o.name.starts_with(word.as_str())) else {
        rest.push(word); // vnet's own verb, or a typo clap reports
        return Ok(None);
    };
    let Some(verb) = object.verb else {
        return Err(refused(
            grammar,
            &format!("'{} {}'", grammar.classic, object.name),
        ));
    };
    out.push(verb.to_string());
    Ok(Some(object))
}

/// The command word after an object: ip's (by prefix) as vnet's verb; none given is the
/// object's default command.
fn place_command(
    grammar: &IpGrammar,
    object: &IpObject,
    rest: &mut Vec<String>,
    out: &mut Vec<String>,
) -> Result<(), clap::Error> {
    // As ip: only a line that ends at the object takes its default command (`ip route`).
    let Some(word) = rest.last().map(String::as_str) else {
        out.extend(object.default.map(String::from));
        return Ok(());
    };
    let Some((name, verb)) = object.commands.iter().find(|(name, _)| name.starts_with(word)) else {
        return Ok(()); // an older vnet form (`link NS IFACE up`) or a typo clap reports
    };
    let Some(verb) = verb else {
        return Err(refused(
            grammar,
            &format!("'{} {} {name}'", grammar.classic, object.name),
        ));
    };
    rest.pop();
    out.push(verb.to_string());
    Ok(())
}

fn refused(grammar: &IpGrammar, what: &str) -> clap::Error {
    crate::keywords::invalid_input(format!("{what} of {} is not supported", grammar.classic))
}

/// Drops the family flags (`-4`, `-6`) and the statistics flag (`-s`) the chosen verb does not
/// take: ip accepts them with every command and ignores them where they mean nothing (`ip -4 link
/// set X up`, `ip -s route`). Only where [`normalize`] puts ip's options, right after the verb
/// path: a command's own words stay as they are (`netns exec NS ping -4 -s 100 HOST`). `command`
/// is the command the line is parsed with.
pub fn fit(command: &Command, mut words: Vec<String>) -> Vec<String> {
    const DROPPABLE: [(&str, char); 3] = [("-4", '4'), ("-6", '6'), ("-s", 's')];
    if !words.iter().any(|w| DROPPABLE.iter().any(|(flag, _)| w == flag)) {
        return words;
    }
    let Some((leaf, after_path)) = leaf(command, &words) else {
        return words;
    };
    let takes = |flag: char| leaf.get_arguments().any(|a| a.get_short() == Some(flag));
    let flags_end = words[after_path..]
        .iter()
        .position(|w| !w.starts_with('-') || w == "--")
        .map_or(words.len(), |n| after_path + n);
    let rest = words.split_off(flags_end);
    let flags = words.split_off(after_path);
    words.extend(
        flags
            .into_iter()
            .filter(|w| match DROPPABLE.iter().find(|(flag, _)| w == flag) {
                Some((_, short)) => takes(*short),
                None => true,
            }),
    );
    words.extend(rest);
    words
}

/// The verb a line names, down nested sets (`route show`), and the index of the first word after
/// its path.
fn leaf<'a>(root: &'a Command, words: &[String]) -> Option<(&'a Command, usize)> {
    let (first, rest) = crate::keywords::first_verb_word(root, words)?;
    let mut here = root.find_subcommand(first)?;
    let mut at = words.len() - rest.len();
    for word in rest {
        match here.find_subcommand(word) {
            Some(sub) if here.has_subcommands() && !word.starts_with('-') => here = sub,
            _ => break,
        }
        at += 1;
    }
    Some((here, at))
}

/// Holds a tool's [`IpGrammar`] to its parser (tests only).
#[cfg(feature = "testing")]
pub mod testing {
    use super::IpGrammar;
    use clap::Command;

    /// Every verb the tables name is one of `command`'s; every refused object or command is not
    /// (a new verb must be named in the tables). clap's own `help` is left out: it is added when
    /// the command is built.
    pub fn check_against_clap(command: &Command, grammar: &IpGrammar) {
        for object in grammar.objects.iter().filter(|o| o.verb != Some("help")) {
            let Some(verb) = object.verb else {
                assert!(
                    command.find_subcommand(object.name).is_none(),
                    "{} is a verb now",
                    object.name
                );
                continue;
            };
            let set = command
                .find_subcommand(verb)
                .unwrap_or_else(|| panic!("no verb {verb}"));
            for (name, verb) in object.commands {
                match verb {
                    Some("help") => {}
                    Some(verb) => assert!(set.find_subcommand(verb).is_some(), "no {} {verb}", object.name),
                    None => assert!(
                        set.find_subcommand(name).is_none(),
                        "{} {name} is a verb now",
                        object.name
                    ),
                }
            }
            if let Some(default) = object.default {
                assert!(
                    set.find_subcommand(default).is_some(),
                    "no {} {default}",
                    object.name
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    const OPTIONS: &[IpOption] = &[
        IpOption {
            name: "-family",
            exact: false,
            effect: Effect::Family,
        },
        IpOption {
            name: "-4",
            exact: true,
            effect: Effect::ForVerb("-4"),
        },
        IpOption {
            name: "-details",
            exact: false,
            effect: Effect::Layout(false),
        },
        IpOption {
            name: "-oneline",
            exact: false,
            effect: Effect::Layout(false),
        },
        IpOption {
            name: "-batch",
            exact: false,
            effect: Effect::Flag("--batch", true),
        },
        IpOption {
            name: "-brief",
            exact: false,
            effect: Effect::Layout(false),
        },
        IpOption {
            name: "-json",
            exact: false,
            effect: Effect::Flag("-j", false),
        },
        IpOption {
            name: "-netns",
            exact: false,
            effect: Effect::Flag("-n", true),
        },
        IpOption {
            name: "-all",
            exact: false,
            effect: Effect::ForVerb("--all"),
        },
        IpOption {
            name: "-M",
            exact: true,
            effect: Effect::Refused,
        },
    ];
    const ROUTE: &[(&str, Option<&str>)] = &[("add", Some("add")), ("delete", Some("del")), ("save", None)];
    const GRAMMAR: IpGrammar = IpGrammar {
        classic: "ip",
        options: OPTIONS,
        objects: &[
            IpObject {
                name: "address",
                verb: Some("addr"),
                commands: &[("add", Some("add"))],
                default: Some("show"),
            },
            IpObject {
                name: "maddress",
                verb: None,
                commands: &[],
                default: None,
            },
            IpObject {
                name: "route",
                verb: Some("route"),
                commands: ROUTE,
                default: Some("show"),
            },
            IpObject {
                name: "netns",
                verb: Some("netns"),
                commands: &[("exec", Some("exec"))],
                default: Some("list"),
            },
        ],
        own: &["add"],
    };

    fn root() -> Command {
        Command::new("t")
            .arg(Arg::new("netns").short('n').long("netns").action(ArgAction::Set))
            .arg(
                Arg::new("json")
                    .short('j')
                    .long("json")
                    .action(ArgAction::SetTrue),
            )
            .arg(Arg::new("batch").short('b').long("batch").action(ArgAction::Set))
            .arg(
                Arg::new("output")
                    .short('o')
                    .long("output")
                    .value_parser(["json", "text", "name"]),
            )
    }

    fn normalized(line: &str) -> Result<String, String> {
        let words = std::iter::once("t")
            .chain(line.split_whitespace())
            .map(String::from)
            .collect();
        normalize(&GRAMMAR, &root(), words)
            .map(|w| w[1..].join(" "))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn objects_and_commands_match_by_prefix_in_ips_order() {
        assert_eq!(
            normalized("r a default via 10.0.0.1").unwrap(),
            "route add default via 10.0.0.1"
        );
        assert_eq!(normalized("ro d 10.0.0.0/8").unwrap(), "route del 10.0.0.0/8");
        assert_eq!(normalized("a").unwrap(), "addr show");
        assert_eq!(
            normalized("addre add 10.0.0.1/24 dev x").unwrap(),
            "addr add 10.0.0.1/24 dev x"
        );
        assert_eq!(normalized("route").unwrap(), "route show");
        assert_eq!(normalized("net").unwrap(), "netns list");
    }

    #[test]
    fn the_tools_own_spelling_is_unchanged() {
        for line in [
            "add Blue",
            "-n Blue route show",
            "-j route add x",
            "link Blue eth0 up",
            "-o text list",
        ] {
            assert_eq!(normalized(line).unwrap(), line);
        }
    }

    #[test]
    fn global_options_take_vnets_spelling_or_move_to_the_verb() {
        assert_eq!(normalized("-4 route").unwrap(), "route show -4");
        assert_eq!(normalized("-f inet r").unwrap(), "route show -4");
        assert_eq!(
            normalized("-netns Blue -json r").unwrap(),
            "-n Blue -j route show"
        );
        assert_eq!(
            normalized("--all netns exec ip link").unwrap(),
            "netns exec --all ip link"
        );
        assert_eq!(normalized("-d -o -br a").unwrap(), "addr show");
        assert_eq!(normalized("-batch f").unwrap(), "--batch f");
        assert_eq!(normalized("-o name r").unwrap(), "-o name route show");
    }

    #[test]
    fn what_vnet_lacks_is_refused_by_name() {
        assert!(normalized("m")
            .unwrap_err()
            .contains("'ip maddress' of ip is not supported"));
        assert!(normalized("route save").unwrap_err().contains("'ip route save'"));
        assert!(normalized("-M route").unwrap_err().contains("option -M"));
        assert!(normalized("-f link addr").unwrap_err().contains("family link"));
    }

    #[test]
    fn fit_drops_a_family_the_verb_does_not_take() {
        let cmd = Command::new("t").subcommand(
            Command::new("route")
                .subcommand(Command::new("show").arg(Arg::new("v4").short('4').action(ArgAction::SetTrue)))
                .subcommand(Command::new("add")),
        );
        let words = |l: &str| l.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(fit(&cmd, words("t route show -4")), words("t route show -4"));
        assert_eq!(fit(&cmd, words("t route add -4 x")), words("t route add x"));
        assert_eq!(
            fit(&cmd, words("t route add -s -4 x -4")),
            words("t route add x -4")
        );
    }
}
