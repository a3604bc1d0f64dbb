//! The listing verbs' everyday command lines (`show [BR...]`, `showstp BR`, with -o/-j/-p/-q/-n)
//! on vnet-common's fast path (see vnet_common::fast): `show` is to cost no more than
//! `brctl show`, and building the clap command of ~25 verbs costs more than the listing itself.

use crate::{show, Command, Globals};

/// The verb for these words (the shared flags already taken out), or None to let clap parse the
/// line. A name that starts with '-' is a flag to clap, so it goes there.
pub fn verb(netns: Option<String>, words: &[String]) -> Option<(Globals, Command)> {
    let (verb, names) = words.split_first()?;
    if names.iter().any(|n| n.starts_with('-')) {
        return None;
    }
    let verb = match (verb.as_str(), names) {
        ("show", names) => Command::Show(show::Show::new(names.to_vec())),
        ("showstp", [bridge]) => Command::Showstp(show::Showstp::new(bridge.clone())),
        _ => return None,
    };
    Some((Globals { netns }, verb))
}

#[cfg(test)]
mod tests {
    use crate::BridgeTool;

    #[test]
    fn agrees_with_clap_or_leaves_the_line_to_it() {
        let fast = [
            "show",
            "show br0 br1",
            "-o text show",
            "show -o text -q",
            "show -o name",
            "show -j",
            "-p show br0",
            "-n Blue show -o json",
            "show -n Blue",
            "show show",
            "showstp br0 -o text",
            "-n Blue showstp br0 -p",
        ];
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
            "-n A show -n B",
            "showstp",
            "showstp a b",
            "showmacs br0",
            "addbr br0",
            "show --batch x",
            "br0 show",
            "show -ojson",
            "show --output=text",
            "show -- br0",
        ];
        vnet_common::fast::assert_agrees_with_clap::<BridgeTool>(&fast, &to_clap);
    }
}
