//! bridge(8)'s own tables (iproute2 bridge/bridge.c and each object's do_ function): its global
//! options, objects and commands in the order bridge matches them by prefix, each with what it is
//! in vnet-bridge, so that a script's `bridge ...` line works as `vnet-bridge ...`
//! (vnet_common::ip_args). brctl's verbs (addbr, show, ...) are vnet-bridge's own and unchanged.

use vnet_common::ip_args::{Effect, IpGrammar, IpObject, IpOption};

pub const BRIDGE: IpGrammar = IpGrammar {
    classic: "bridge",
    options: OPTIONS,
    objects: OBJECTS,
    own: &[],
};

const fn option(name: &'static str, effect: Effect) -> IpOption {
    IpOption {
        name,
        exact: false,
        effect,
    }
}

const fn exact(name: &'static str, effect: Effect) -> IpOption {
    IpOption {
        name,
        exact: true,
        effect,
    }
}

/// bridge's global options (bridge/bridge.c main), in its order.
const OPTIONS: &[IpOption] = &[
    option("-help", Effect::Flag("--help", false)),
    option("-Version", Effect::Flag("--version", false)),
    option("-stats", Effect::Refused),
    option("-statistics", Effect::Refused),
    option("-details", Effect::Layout(false)),
    option("-oneline", Effect::Layout(false)),
    option("-timestamp", Effect::Layout(false)),
    option("-family", Effect::Family),
    exact("-4", Effect::ForVerb("-4")),
    exact("-6", Effect::ForVerb("-6")),
    option("-netns", Effect::Flag("-n", true)),
    exact("-c", Effect::Layout(false)),
    option("-color", Effect::Layout(false)),
    option("-colour", Effect::Layout(false)),
    option("-compressvlans", Effect::Layout(false)),
    option("-force", Effect::Flag("--force", false)),
    option("-json", Effect::Flag("-j", false)),
    option("-pretty", Effect::Flag("-p", false)),
    option("-batch", Effect::Flag("--batch", true)),
];

type Commands = &'static [(&'static str, Option<&'static str>)];

const fn object(name: &'static str, commands: Commands, default: &'static str) -> IpObject {
    IpObject {
        name,
        verb: Some(name),
        commands,
        default: Some(default),
    }
}

const fn lacking(name: &'static str) -> IpObject {
    IpObject {
        name,
        verb: None,
        commands: &[],
        default: None,
    }
}

/// bridge's objects (bridge/bridge.c cmds[]), in its order.
const OBJECTS: &[IpObject] = &[
    object("link", LINK, "show"),
    object("fdb", FDB, "show"),
    lacking("mdb"),
    lacking("mst"),
    object("vlan", VLAN, "show"),
    lacking("vni"),
    IpObject {
        name: "monitor",
        verb: Some("monitor"),
        commands: &[],
        default: None,
    },
    IpObject {
        name: "help",
        verb: Some("help"),
        commands: &[],
        default: None,
    },
];

/// bridge/link.c do_link.
const LINK: Commands = &[
    ("set", Some("set")),
    ("change", Some("set")),
    ("show", Some("show")),
    ("lst", Some("show")),
    ("list", Some("show")),
    ("help", Some("help")),
];

/// bridge/fdb.c do_fdb.
const FDB: Commands = &[
    ("add", Some("add")),
    ("append", Some("append")),
    ("replace", None),
    ("delete", Some("del")),
    ("get", None),
    ("show", Some("show")),
    ("lst", Some("show")),
    ("list", Some("show")),
    ("flush", None),
    ("help", Some("help")),
];

/// bridge/vlan.c do_vlan.
const VLAN: Commands = &[
    ("add", Some("add")),
    ("delete", Some("del")),
    ("show", Some("show")),
    ("lst", Some("show")),
    ("list", Some("show")),
    ("tunnelshow", None),
    ("set", None),
    ("global", None),
    ("help", Some("help")),
];

#[cfg(test)]
mod tests {
    use super::BRIDGE;
    use crate::BridgeTool;

    /// Every verb the tables name is one vnet-bridge has; every refused one it does not have.
    #[test]
    fn the_tables_match_vnet_bridge_verbs() {
        let command = vnet_common::tool::command::<BridgeTool>();
        for object in BRIDGE.objects.iter().filter(|o| o.verb != Some("help")) {
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
        }
    }
}
