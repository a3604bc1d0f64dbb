//! virsh's way with a verb's arguments, for the tools that stand in for virsh (vnet-vm, vnet-net).
//!
//! Every virsh argument has an option name, and a word without one fills the next argument not
//! yet given, left to right: `virsh start --domain web`, `virsh snapshot-revert --domain web
//! --snapshotname s1` and `virsh attach-interface web network default` (`--type network --source
//! default`) are all one command each. A tool lists, per verb, virsh's names for the arguments a
//! bare word may fill, in virsh's order ([`Slots`]); the first ones are the verb's clap
//! positionals in their order, the rest are its long flags. [`place`] rewrites such a line into
//! the one clap parses: named positionals back into place, bare words past the positionals into
//! their flags. A line that needs neither comes back as it was.

use clap::{error::ErrorKind, Arg, Command};

/// virsh's names for the arguments of a verb (by its clap name) that a bare word may fill, in
/// order; empty for a verb virsh does not have.
pub type Slots = fn(&str) -> &'static [&'static str];

/// virsh's options of a verb (by its clap name) that the tool does not support: each is refused
/// by name (exit 7, "--tpm is not supported by vnet-vm undefine") rather than as an unknown flag.
pub type Refused = fn(&str) -> &'static [&'static str];

/// Rewrites virsh's argument forms of `words` (the first is the program name) into clap's, and
/// refuses by name the virsh options the verb does not support.
pub fn place(
    root: &Command,
    words: Vec<String>,
    slots: Slots,
    refused: Refused,
) -> Result<Vec<String>, clap::Error> {
    let Some((verb, rest)) = crate::keywords::first_verb_word(root, &words) else {
        return Ok(words);
    };
    let Some(leaf) = root.find_subcommand(verb) else {
        return Ok(words);
    };
    refuse_unsupported(root, leaf, rest, refused(leaf.get_name()))?;
    let names = slots(leaf.get_name());
    if names.is_empty() {
        return Ok(words);
    }
    let verb_end = words.len() - rest.len();
    let line = Line::read(root, leaf, names, rest)?;
    if !line.needs_rewrite() {
        return Ok(words);
    }
    let mut out = words[..verb_end].to_vec();
    out.extend(line.rebuild(leaf.get_name())?);
    Ok(out)
}

/// Exit 7 for the first virsh option of `unsupported` the line gives (before `--`).
fn refuse_unsupported(
    root: &Command,
    leaf: &Command,
    rest: &[String],
    unsupported: &[&str],
) -> Result<(), clap::Error> {
    if unsupported.is_empty() {
        return Ok(());
    }
    let given = rest
        .iter()
        .take_while(|w| *w != "--")
        .filter_map(|w| w.strip_prefix("--"));
    for name in given.map(|w| w.split('=').next().unwrap_or(w)) {
        if unsupported.contains(&name) {
            let tool = root.get_name();
            return Err(crate::keywords::invalid_input(format!(
                "--{name} is not supported by {tool} {}",
                leaf.get_name()
            )));
        }
    }
    Ok(())
}

/// One argument slot: virsh's name, the words it got, and whether it is one of clap's positionals.
struct Slot {
    name: &'static str,
    positional: Option<Arg>,
    values: Vec<String>,
    /// Given by a name clap does not know (`--domain` for a positional).
    renamed: bool,
    /// Takes more than one word: virsh's last ARGV argument (snapshot-create-as's diskspec).
    many: bool,
}

/// A verb's words sorted into flags (kept as they are) and slots.
struct Line {
    flags: Vec<String>,
    slots: Vec<Slot>,
    extra: Vec<String>,
    /// A bare word went into a slot that is a flag (`attach-interface web network`).
    filled_flag: bool,
}

impl Line {
    fn read(
        root: &Command,
        leaf: &Command,
        names: &[&'static str],
        rest: &[String],
    ) -> Result<Self, clap::Error> {
        let positionals: Vec<Arg> = leaf.get_positionals().cloned().collect();
        let slots = names
            .iter()
            .enumerate()
            .map(|(at, name)| Slot {
                name,
                positional: positionals.get(at).cloned(),
                values: Vec::new(),
                renamed: false,
                many: match positionals.get(at) {
                    Some(arg) => takes_many(arg),
                    None => leaf
                        .get_arguments()
                        .any(|a| a.get_long() == Some(name) && appends(a)),
                },
            })
            .collect();
        let mut line = Line {
            flags: Vec::new(),
            slots,
            extra: Vec::new(),
            filled_flag: false,
        };
        let path = [root, leaf];
        let mut words = rest.iter();
        while let Some(word) = words.next() {
            if word == "--" {
                words.by_ref().for_each(|w| line.bare(w));
            } else if let Some(long) = word.strip_prefix("--").filter(|l| !l.is_empty()) {
                line.named(&path, long, word, &mut words)?;
            } else if word.starts_with('-') && word.len() > 1 {
                line.flag(&path, word, &mut words);
            } else {
                line.bare(word);
            }
        }
        Ok(line)
    }

    /// A `--name[=value]` word: a slot's virsh name clap does not know, or a flag.
    fn named<'a>(
        &mut self,
        path: &[&Command],
        long: &str,
        word: &str,
        words: &mut impl Iterator<Item = &'a String>,
    ) -> Result<(), clap::Error> {
        let (name, inline) = match long.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (long, None),
        };
        let known = crate::keywords::find_flag(path, word).is_some();
        let Some(at) = self.slots.iter().position(|s| s.name == name) else {
            self.flag(path, word, words);
            return Ok(());
        };
        if !self.slots[at].values.is_empty() && !self.slots[at].many {
            return Err(clap::Error::raw(
                ErrorKind::ArgumentConflict,
                format!("option --{name} already seen\n"),
            ));
        }
        if known {
            // A flag clap knows (`--type`, `--snapshotname`): kept, and its slot is taken.
            self.slots[at].values.push(String::new());
            self.flag(path, word, words);
            return Ok(());
        }
        let Some(value) = inline.or_else(|| words.next().cloned()) else {
            return Err(clap::Error::raw(
                ErrorKind::InvalidValue,
                format!("option --{name} needs a value\n"),
            ));
        };
        self.slots[at].values.push(value);
        self.slots[at].renamed = true;
        Ok(())
    }

    /// A flag word (and its value when it takes the next word), kept as it is.
    fn flag<'a>(&mut self, path: &[&Command], word: &str, words: &mut impl Iterator<Item = &'a String>) {
        self.flags.push(word.to_string());
        if crate::keywords::flag_takes_separate_value(path, word) {
            self.flags.extend(words.next().cloned());
        }
    }

    /// A bare word: the next slot not yet given, else more of a last slot that takes many.
    fn bare(&mut self, word: &str) {
        if let Some(slot) = self.slots.iter_mut().find(|s| s.values.is_empty()) {
            self.filled_flag |= slot.positional.is_none();
            slot.values.push(word.to_string());
            return;
        }
        match self.slots.last_mut() {
            Some(last) if last.many => {
                self.filled_flag |= last.positional.is_none();
                last.values.push(word.to_string())
            }
            _ => self.extra.push(word.to_string()),
        }
    }

    fn needs_rewrite(&self) -> bool {
        self.filled_flag || self.slots.iter().any(|s| s.renamed)
    }

    /// The words clap parses: flags, slots that are flags, then the positionals in order.
    fn rebuild(self, verb: &str) -> Result<Vec<String>, clap::Error> {
        let mut out = self.flags;
        let mut positionals = Vec::new();
        let mut gap: Option<&str> = None;
        for slot in self.slots {
            let given: Vec<String> = slot.values.into_iter().filter(|v| !v.is_empty()).collect();
            match (&slot.positional, given.is_empty()) {
                (None, false) => out.extend(given.iter().map(|v| format!("--{}={v}", slot.name))),
                (Some(_), true) => gap = gap.or(Some(slot.name)),
                (Some(_), false) => match gap {
                    Some(missing) => {
                        let message = format!("command '{verb}' requires <{missing}> option\n");
                        return Err(clap::Error::raw(ErrorKind::MissingRequiredArgument, message));
                    }
                    None => positionals.extend(given),
                },
                (None, true) => {}
            }
        }
        positionals.extend(self.extra);
        if !positionals.is_empty() {
            out.push("--".to_string());
            out.extend(positionals);
        }
        Ok(out)
    }
}

fn takes_many(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|range| range.max_values() > 1)
}

/// A flag given again adds a value (`--diskspec A --diskspec B`).
fn appends(arg: &Arg) -> bool {
    matches!(arg.get_action(), clap::ArgAction::Append)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> Command {
        let leaf = |name: &'static str| {
            Command::new(name).arg(Arg::new("pretty").short('p').long("pretty").num_args(0))
        };
        Command::new("vnet-vm")
            .arg(Arg::new("connect").short('c').long("connect"))
            .subcommand(leaf("start").arg(Arg::new("name").required(true)))
            .subcommand(
                leaf("snapshot-revert")
                    .arg(Arg::new("domain").required(true))
                    .arg(Arg::new("snap"))
                    .arg(Arg::new("snapshotname").long("snapshotname")),
            )
            .subcommand(
                leaf("attach-interface")
                    .arg(Arg::new("name").required(true))
                    .arg(Arg::new("type").long("type").required(true))
                    .arg(Arg::new("source").long("source").required(true)),
            )
            .subcommand(
                leaf("send-key")
                    .arg(Arg::new("domain"))
                    .arg(Arg::new("keys").num_args(1..)),
            )
            .subcommand(
                leaf("snapshot-create-as")
                    .arg(Arg::new("domain").required(true))
                    .arg(Arg::new("name"))
                    .arg(Arg::new("description").long("description"))
                    .arg(
                        Arg::new("diskspec")
                            .long("diskspec")
                            .action(clap::ArgAction::Append),
                    ),
            )
            .subcommand(leaf("list"))
    }

    fn slots(verb: &str) -> &'static [&'static str] {
        match verb {
            "start" => &["domain"],
            "snapshot-revert" => &["domain", "snapshotname"],
            "attach-interface" => &["domain", "type", "source"],
            "send-key" => &["domain", "keycode"],
            "snapshot-create-as" => &["domain", "name", "description", "diskspec"],
            _ => &[],
        }
    }

    fn placed(line: &str) -> Result<String, String> {
        let words = line.split(' ').map(String::from).collect();
        let refused: Refused = |verb| if verb == "start" { &["console"] } else { &[] };
        place(&root(), words, slots, refused)
            .map(|w| w.join(" "))
            .map_err(|e| e.to_string())
    }

    /// virsh's last ARGV argument as a flag: every bare word after the others fills it, and its
    /// flag may be given again.
    #[test]
    fn bare_words_past_the_others_fill_a_repeatable_flag() {
        assert_eq!(
            placed("vnet-vm snapshot-create-as web s1 d vda,snapshot=external vdb"),
            Ok(
                "vnet-vm snapshot-create-as --description=d --diskspec=vda,snapshot=external \
                --diskspec=vdb -- web s1"
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        );
        assert_eq!(
            placed("vnet-vm snapshot-create-as web --diskspec vda --diskspec vdb s1"),
            Ok("vnet-vm snapshot-create-as web --diskspec vda --diskspec vdb s1".into())
        );
        assert_eq!(
            placed("vnet-vm snapshot-create-as web s1 d --diskspec vda vdb"),
            Ok("vnet-vm snapshot-create-as --diskspec vda --description=d --diskspec=vdb -- web s1".into())
        );
    }

    #[test]
    fn lines_without_virsh_forms_are_left_alone() {
        for line in [
            "vnet-vm start web",
            "vnet-vm -c test:///default start -p web",
            "vnet-vm list",
            "vnet-vm",
        ] {
            assert_eq!(placed(line).unwrap(), line);
        }
    }

    #[test]
    fn a_named_positional_goes_back_into_place() {
        assert_eq!(
            placed("vnet-vm start --domain web").unwrap(),
            "vnet-vm start -- web"
        );
        assert_eq!(
            placed("vnet-vm start --domain=web -p").unwrap(),
            "vnet-vm start -p -- web"
        );
        assert_eq!(
            placed("vnet-vm -c qemu:///system snapshot-revert --domain web --snapshotname s1").unwrap(),
            "vnet-vm -c qemu:///system snapshot-revert --snapshotname s1 -- web"
        );
        assert_eq!(
            placed("vnet-vm send-key --domain web KEY_A KEY_B").unwrap(),
            "vnet-vm send-key -- web KEY_A KEY_B"
        );
    }

    #[test]
    fn bare_words_fill_flags_in_virsh_order() {
        assert_eq!(
            placed("vnet-vm attach-interface web network default").unwrap(),
            "vnet-vm attach-interface --type=network --source=default -- web"
        );
        assert_eq!(
            placed("vnet-vm attach-interface --type network web default").unwrap(),
            "vnet-vm attach-interface --type network --source=default -- web"
        );
    }

    #[test]
    fn an_unsupported_virsh_option_is_refused_by_name() {
        let refused = placed("vnet-vm start web --console").unwrap_err();
        assert!(
            refused.contains("--console is not supported by vnet-vm start"),
            "{refused}"
        );
        assert_eq!(
            placed("vnet-vm start -- --console").unwrap(),
            "vnet-vm start -- --console"
        );
    }

    #[test]
    fn a_slot_given_twice_or_left_out_is_refused_as_virsh_does() {
        assert!(placed("vnet-vm snapshot-revert s1 --domain web")
            .unwrap_err()
            .contains("option --domain already seen"));
        let missing = placed("vnet-vm send-key --keycode KEY_A").unwrap_err();
        assert!(
            missing.contains("command 'send-key' requires <domain> option"),
            "{missing}"
        );
    }
}

/// Checks a tool's [`Slots`] and [`Refused`] against its own verbs and against `virsh help`
/// (tests only).
#[cfg(feature = "testing")]
pub mod testing {
    use super::{Refused, Slots};
    use clap::Command;

    /// A tool's virsh grammar: its rows, its refusals, its own verbs, and each verb's virsh name.
    pub struct VirshGrammar {
        pub slots: Slots,
        pub refused: Refused,
        /// Verbs virsh does not have.
        pub not_virsh: &'static [&'static str],
        /// virsh verbs without a row: their bare words have no option name (domstats).
        pub unnamed: &'static [&'static str],
        /// The virsh verb of a verb (`start` -> `net-start` for vnet-net).
        pub virsh_verb: fn(&str) -> String,
    }

    fn leaves(root: &Command) -> impl Iterator<Item = &Command> {
        root.get_subcommands().filter(|leaf| !leaf.has_subcommands())
    }

    /// Whether the verb, or the tool for every verb (`--pretty`), has the long flag `name`.
    fn has_long(root: &Command, leaf: &Command, name: &str) -> bool {
        root.get_arguments()
            .chain(leaf.get_arguments())
            .any(|a| a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|x| x.contains(&name)))
    }

    /// Every verb with positionals has a row unless virsh lacks it; a row's first names are the
    /// positionals, the rest name long flags the verb has; a refused option is no flag of it.
    pub fn check_against_clap(root: &Command, g: &VirshGrammar) {
        let mut wrong = Vec::new();
        for leaf in leaves(root) {
            let name = leaf.get_name();
            let names = (g.slots)(name);
            let positionals = leaf.get_positionals().count();
            let rowless = g.not_virsh.contains(&name) || g.unnamed.contains(&name);
            if names.is_empty() && positionals > 0 && !rowless {
                wrong.push(format!("{name}: no row for its {positionals} positionals"));
            }
            if !names.is_empty() && names.len() < positionals {
                wrong.push(format!(
                    "{name}: {} names for {positionals} positionals",
                    names.len()
                ));
            }
            for flag in names.iter().skip(positionals) {
                if !has_long(root, leaf, flag) {
                    wrong.push(format!("{name}: --{flag} is no flag of the verb"));
                }
            }
            for flag in (g.refused)(name).iter().filter(|f| has_long(root, leaf, f)) {
                wrong.push(format!("{name}: --{flag} is refused but is a flag of the verb"));
            }
        }
        assert!(
            wrong.is_empty(),
            "virsh grammar out of step with the verbs:\n{}",
            wrong.join("\n")
        );
    }

    /// virsh's options of a verb, in its order, each with whether a bare word may give it; None
    /// when virsh has no such verb.
    fn virsh_options(verb: &str) -> Option<Vec<(String, bool)>> {
        let out = std::process::Command::new("virsh")
            .args(["help", verb])
            .output()
            .expect("virsh (libvirt-clients) runs: the suite needs it");
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let options = text.split("OPTIONS").nth(1).unwrap_or("");
        let parsed = options
            .lines()
            .filter_map(|line| {
                let word = line.split_whitespace().next()?;
                let bracketed = word.starts_with("[--");
                let name = word
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .strip_prefix("--")?;
                Some((name.to_string(), bracketed))
            })
            .collect();
        Some(parsed)
    }

    /// Every row names virsh's options in virsh's order, starting with those virsh fills from
    /// bare words first (`[--domain]` in `virsh help`); every option virsh has for a verb is a
    /// row's name, a flag of the verb, or refused by name.
    pub fn check_against_virsh(root: &Command, g: &VirshGrammar) {
        let mut wrong = Vec::new();
        for leaf in leaves(root).filter(|l| !g.not_virsh.contains(&l.get_name())) {
            let verb = (g.virsh_verb)(leaf.get_name());
            let Some(options) = virsh_options(&verb) else {
                wrong.push(format!("{verb}: virsh has no such verb"));
                continue;
            };
            let names = (g.slots)(leaf.get_name());
            let order: Vec<usize> = names
                .iter()
                .filter_map(|n| options.iter().position(|(o, _)| o == n))
                .collect();
            // The leading `[--name]` options: virsh fills them from bare words before any other.
            let leading: Vec<&str> = options
                .iter()
                .take_while(|(_, b)| *b)
                .map(|(o, _)| o.as_str())
                .collect();
            if order.len() != names.len() {
                wrong.push(format!(
                    "{verb}: {names:?} not all among virsh's options {options:?}"
                ));
            } else if !order.windows(2).all(|w| w[0] < w[1])
                || !(names.starts_with(&leading) || leading.starts_with(names))
            {
                wrong.push(format!("{verb}: {names:?} out of virsh's order {options:?}"));
            }
            let refused = (g.refused)(leaf.get_name());
            let missing: Vec<&str> = options
                .iter()
                .map(|(o, _)| o.as_str())
                .filter(|o| !names.contains(o) && !has_long(root, leaf, o) && !refused.contains(o))
                .collect();
            if !missing.is_empty() {
                wrong.push(format!(
                    "{verb}: neither supported nor refused: --{}",
                    missing.join(" --")
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "virsh grammar differs from virsh help:\n{}",
            wrong.join("\n")
        );
    }
}
