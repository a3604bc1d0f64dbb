//! ip's own tables (iproute2 ip/ip.c and each object's do_ function): its global options, objects
//! and commands in the order ip matches them by prefix, each with what it is in vnet-ns, so that
//! a script's `ip ...` line works as `vnet-ns ...` (vnet_common::ip_args). A unit test holds every
//! verb named here to vnet-ns's parser, and every refused one to its absence.

use vnet_common::ip_args::{Effect, IpGrammar, IpObject, IpOption};

pub const IP: IpGrammar = IpGrammar {
    classic: "ip",
    options: OPTIONS,
    objects: OBJECTS,
    // vnet-ns's namespace `add`, which ip would read as a prefix of `address`.
    own: &["add"],
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

/// ip's global options (ip/ip.c main), in its order.
const OPTIONS: &[IpOption] = &[
    option("-loops", Effect::Layout(true)),
    option("-family", Effect::Family),
    exact("-4", Effect::ForVerb("-4")),
    exact("-6", Effect::ForVerb("-6")),
    exact("-0", Effect::Refused),
    exact("-M", Effect::Refused),
    exact("-B", Effect::Refused),
    option("-human", Effect::Layout(false)),
    option("-iec", Effect::Layout(false)),
    option("-stats", Effect::Refused),
    option("-statistics", Effect::Refused),
    option("-details", Effect::Layout(false)),
    option("-resolve", Effect::Layout(false)),
    option("-oneline", Effect::Layout(false)),
    option("-timestamp", Effect::Layout(false)),
    option("-tshort", Effect::Layout(false)),
    option("-Version", Effect::Flag("--version", false)),
    option("-force", Effect::Flag("--force", false)),
    option("-batch", Effect::Flag("--batch", true)),
    option("-brief", Effect::Layout(false)),
    option("-json", Effect::Flag("-j", false)),
    option("-pretty", Effect::Flag("-p", false)),
    option("-rcvbuf", Effect::Layout(true)),
    exact("-c", Effect::Layout(false)),
    option("-color", Effect::Layout(false)),
    option("-colour", Effect::Layout(false)),
    option("-help", Effect::Flag("--help", false)),
    option("-netns", Effect::Flag("-n", true)),
    option("-Numeric", Effect::Layout(false)),
    option("-all", Effect::ForVerb("--all")),
    exact("-echo", Effect::Layout(false)),
];

type Commands = &'static [(&'static str, Option<&'static str>)];

const fn object(
    name: &'static str,
    verb: &'static str,
    commands: Commands,
    default: &'static str,
) -> IpObject {
    IpObject {
        name,
        verb: Some(verb),
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

/// ip's objects (ip/ip.c cmds[]), in its order.
const OBJECTS: &[IpObject] = &[
    object("address", "addr", ADDRESS, "show"),
    lacking("addrlabel"),
    lacking("maddress"),
    object("route", "route", ROUTE, "show"),
    object("rule", "rule", RULE, "show"),
    object("neighbor", "neigh", NEIGH, "show"),
    object("neighbour", "neigh", NEIGH, "show"),
    lacking("ntable"),
    lacking("ntbl"),
    object("link", "link", LINK, "show"),
    lacking("l2tp"),
    lacking("fou"),
    lacking("ila"),
    lacking("macsec"),
    lacking("tunnel"),
    lacking("tunl"),
    IpObject {
        name: "tuntap",
        verb: Some("tuntap"),
        commands: TUNTAP,
        default: None,
    },
    IpObject {
        name: "tap",
        verb: Some("tuntap"),
        commands: TUNTAP,
        default: None,
    },
    lacking("token"),
    lacking("tcpmetrics"),
    lacking("tcp_metrics"),
    IpObject {
        name: "monitor",
        verb: Some("monitor"),
        commands: &[],
        default: None,
    },
    lacking("xfrm"),
    lacking("mroute"),
    lacking("mrule"),
    object("netns", "netns", NETNS, "list"),
    lacking("netconf"),
    lacking("vrf"),
    lacking("sr"),
    lacking("nexthop"),
    lacking("mptcp"),
    lacking("ioam"),
    IpObject {
        name: "help",
        verb: Some("help"),
        commands: &[],
        default: None,
    },
    lacking("stats"),
];

/// ip/ipaddress.c do_ipaddr.
const ADDRESS: Commands = &[
    ("add", Some("add")),
    ("change", Some("change")),
    ("chg", Some("change")),
    ("replace", Some("replace")),
    ("delete", Some("del")),
    ("list", Some("show")),
    ("show", Some("show")),
    ("lst", Some("show")),
    ("flush", Some("flush")),
    ("save", None),
    ("showdump", None),
    ("restore", None),
    ("help", Some("help")),
];

/// ip/iproute.c do_iproute.
const ROUTE: Commands = &[
    ("add", Some("add")),
    ("change", Some("change")),
    ("chg", Some("change")),
    ("replace", Some("replace")),
    ("prepend", Some("prepend")),
    ("append", Some("append")),
    ("test", Some("test")),
    ("delete", Some("del")),
    ("list", Some("show")),
    ("show", Some("show")),
    ("lst", Some("show")),
    ("get", Some("get")),
    ("flush", Some("flush")),
    ("save", None),
    ("restore", None),
    ("showdump", None),
    ("help", Some("help")),
];

/// ip/iprule.c do_iprule.
const RULE: Commands = &[
    ("list", Some("show")),
    ("lst", Some("show")),
    ("show", Some("show")),
    ("save", None),
    ("restore", None),
    ("add", Some("add")),
    ("delete", Some("del")),
    ("flush", Some("flush")),
    ("help", Some("help")),
];

/// ip/ipneigh.c do_ipneigh.
const NEIGH: Commands = &[
    ("add", Some("add")),
    ("change", Some("change")),
    ("chg", Some("change")),
    ("replace", Some("replace")),
    ("delete", Some("del")),
    ("get", Some("get")),
    ("show", Some("show")),
    ("lst", Some("show")),
    ("list", Some("show")),
    ("flush", Some("flush")),
    ("help", Some("help")),
];

/// ip/iplink.c do_iplink.
const LINK: Commands = &[
    ("add", Some("add")),
    ("set", Some("set")),
    ("change", Some("set")),
    ("replace", None),
    ("delete", Some("del")),
    ("show", Some("show")),
    ("lst", Some("show")),
    ("list", Some("show")),
    ("xstats", None),
    ("afstats", None),
    ("property", None),
    ("help", Some("help")),
];

/// ip/ipnetns.c do_netns.
const NETNS: Commands = &[
    ("list", Some("list")),
    ("show", Some("list")),
    ("lst", Some("list")),
    ("list-id", Some("list-id")),
    ("help", Some("help")),
    ("add", Some("add")),
    ("set", Some("set")),
    ("delete", Some("delete")),
    ("identify", Some("identify")),
    ("pids", Some("pids")),
    ("exec", Some("exec")),
    ("monitor", None),
    ("attach", Some("attach")),
];

/// ip/iptuntap.c do_iptuntap.
const TUNTAP: Commands = &[
    ("add", Some("add")),
    ("delete", Some("del")),
    ("show", None),
    ("lst", None),
    ("list", None),
    ("help", Some("help")),
];

#[cfg(test)]
mod tests {
    use super::IP;
    use crate::NsTool;

    /// Every verb the tables name is one vnet-ns has; every refused one it does not have (a new
    /// verb must be named here).
    #[test]
    fn the_tables_match_vnet_ns_verbs() {
        let command = vnet_common::tool::command::<NsTool>();
        for object in IP.objects.iter().filter(|o| o.verb != Some("help")) {
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
                    // clap's own, added when the command is built
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
