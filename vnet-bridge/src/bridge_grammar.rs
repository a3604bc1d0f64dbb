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

/// bridge's global options (bridge/bridge.c main), in its order.
const OPTIONS: &[IpOption] = &[
    IpOption::prefix("-help", Effect::Flag("--help", false)),
    IpOption::prefix("-Version", Effect::Flag("--version", false)),
    IpOption::prefix("-stats", Effect::Refused),
    IpOption::prefix("-statistics", Effect::Refused),
    IpOption::prefix("-details", Effect::Layout(false)),
    IpOption::prefix("-oneline", Effect::Layout(false)),
    IpOption::prefix("-timestamp", Effect::Layout(false)),
    IpOption::prefix("-family", Effect::Family),
    IpOption::exact("-4", Effect::ForVerb("-4")),
    IpOption::exact("-6", Effect::ForVerb("-6")),
    IpOption::prefix("-netns", Effect::Flag("-n", true)),
    IpOption::exact("-c", Effect::Layout(false)),
    IpOption::prefix("-color", Effect::Layout(false)),
    IpOption::prefix("-colour", Effect::Layout(false)),
    IpOption::prefix("-compressvlans", Effect::Layout(false)),
    IpOption::prefix("-force", Effect::Flag("--force", false)),
    IpOption::prefix("-json", Effect::Flag("-j", false)),
    IpOption::prefix("-pretty", Effect::Flag("-p", false)),
    IpOption::prefix("-batch", Effect::Flag("--batch", true)),
];

type Commands = &'static [(&'static str, Option<&'static str>)];

/// bridge's objects (bridge/bridge.c cmds[]), in its order.
const OBJECTS: &[IpObject] = &[
    IpObject::of("link", "link", LINK, "show"),
    IpObject::of("fdb", "fdb", FDB, "show"),
    IpObject::of("mdb", "mdb", MDB, "show"),
    IpObject::lacking("mst"),
    IpObject::of("vlan", "vlan", VLAN, "show"),
    IpObject::lacking("vni"),
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

/// bridge/mdb.c do_mdb.
const MDB: Commands = &[
    ("add", Some("add")),
    ("replace", None),
    ("delete", Some("del")),
    ("show", Some("show")),
    ("lst", Some("show")),
    ("list", Some("show")),
    ("get", None),
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
    /// Every verb the tables name is one the tool has; every refused one it does not have.
    #[test]
    fn the_tables_match_the_tools_verbs() {
        let command = vnet_common::tool::command::<crate::BridgeTool>();
        vnet_common::ip_args::testing::check_against_clap(&command, &super::BRIDGE);
    }
}
