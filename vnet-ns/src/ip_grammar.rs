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

/// ip's global options (ip/ip.c main), in its order.
const OPTIONS: &[IpOption] = &[
    IpOption::prefix("-loops", Effect::Layout(true)),
    IpOption::prefix("-family", Effect::Family),
    IpOption::exact("-4", Effect::ForVerb("-4")),
    IpOption::exact("-6", Effect::ForVerb("-6")),
    IpOption::exact("-0", Effect::Refused),
    IpOption::exact("-M", Effect::Refused),
    IpOption::exact("-B", Effect::Refused),
    IpOption::prefix("-human", Effect::Layout(false)),
    IpOption::prefix("-iec", Effect::Layout(false)),
    IpOption::prefix("-stats", Effect::ForVerb("-s")),
    IpOption::prefix("-statistics", Effect::ForVerb("-s")),
    IpOption::prefix("-details", Effect::Layout(false)),
    IpOption::prefix("-resolve", Effect::Layout(false)),
    IpOption::prefix("-oneline", Effect::Layout(false)),
    IpOption::prefix("-timestamp", Effect::Layout(false)),
    IpOption::prefix("-tshort", Effect::Layout(false)),
    IpOption::prefix("-Version", Effect::Flag("--version", false)),
    IpOption::prefix("-force", Effect::Flag("--force", false)),
    IpOption::prefix("-batch", Effect::Flag("--batch", true)),
    IpOption::prefix("-brief", Effect::Layout(false)),
    IpOption::prefix("-json", Effect::Flag("-j", false)),
    IpOption::prefix("-pretty", Effect::Flag("-p", false)),
    IpOption::prefix("-rcvbuf", Effect::Layout(true)),
    IpOption::exact("-c", Effect::Layout(false)),
    IpOption::prefix("-color", Effect::Layout(false)),
    IpOption::prefix("-colour", Effect::Layout(false)),
    IpOption::prefix("-help", Effect::Flag("--help", false)),
    IpOption::prefix("-netns", Effect::Flag("-n", true)),
    IpOption::prefix("-Numeric", Effect::Layout(false)),
    IpOption::prefix("-all", Effect::ForVerb("--all")),
    IpOption::exact("-echo", Effect::Layout(false)),
];

type Commands = &'static [(&'static str, Option<&'static str>)];

/// ip's objects (ip/ip.c cmds[]), in its order.
const OBJECTS: &[IpObject] = &[
    IpObject::of("address", "addr", ADDRESS, "show"),
    IpObject::lacking("addrlabel"),
    IpObject::of("maddress", "maddr", MADDR, "show"),
    IpObject::of("route", "route", ROUTE, "show"),
    IpObject::of("rule", "rule", RULE, "show"),
    IpObject::of("neighbor", "neigh", NEIGH, "show"),
    IpObject::of("neighbour", "neigh", NEIGH, "show"),
    IpObject::lacking("ntable"),
    IpObject::lacking("ntbl"),
    IpObject::of("link", "link", LINK, "show"),
    IpObject::lacking("l2tp"),
    IpObject::lacking("fou"),
    IpObject::lacking("ila"),
    IpObject::lacking("macsec"),
    IpObject::of("tunnel", "tunnel", TUNNEL, "show"),
    IpObject::of("tunl", "tunnel", TUNNEL, "show"),
    IpObject {
        name: "tuntap",
        verb: Some("tuntap"),
        commands: TUNTAP,
        default: Some("show"),
    },
    IpObject {
        name: "tap",
        verb: Some("tuntap"),
        commands: TUNTAP,
        default: Some("show"),
    },
    IpObject::lacking("token"),
    IpObject::lacking("tcpmetrics"),
    IpObject::lacking("tcp_metrics"),
    IpObject {
        name: "monitor",
        verb: Some("monitor"),
        commands: &[],
        default: None,
    },
    IpObject::lacking("xfrm"),
    IpObject::lacking("mroute"),
    IpObject::lacking("mrule"),
    IpObject::of("netns", "netns", NETNS, "list"),
    IpObject::of("netconf", "netconf", NETCONF, "show"),
    IpObject::lacking("vrf"),
    IpObject::lacking("sr"),
    IpObject::of("nexthop", "nexthop", NEXTHOP, "show"),
    IpObject::lacking("mptcp"),
    IpObject::lacking("ioam"),
    IpObject {
        name: "help",
        verb: Some("help"),
        commands: &[],
        default: None,
    },
    IpObject::lacking("stats"),
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

/// ip/ipnexthop.c do_ipnh.
const NEXTHOP: Commands = &[
    ("add", Some("add")),
    ("replace", Some("replace")),
    ("delete", Some("del")),
    ("list", Some("show")),
    ("show", Some("show")),
    ("lst", Some("show")),
    ("get", Some("get")),
    ("flush", Some("flush")),
    ("bucket", None),
    ("help", Some("help")),
];

/// ip/iptunnel.c do_iptunnel (ip/ip6tunnel.c do_ip6tunnel: the same words).
const TUNNEL: Commands = &[
    ("add", Some("add")),
    ("change", Some("change")),
    ("delete", Some("del")),
    ("show", Some("show")),
    ("lst", Some("show")),
    ("list", Some("show")),
    ("prl", None),
    ("6rd", None),
    ("help", Some("help")),
];

/// ip/ipmaddr.c do_multiaddr.
const MADDR: Commands = &[
    ("add", Some("add")),
    ("delete", Some("del")),
    ("list", Some("show")),
    ("show", Some("show")),
    ("lst", Some("show")),
    ("help", Some("help")),
];

/// ip/ipnetconf.c do_ipnetconf.
const NETCONF: Commands = &[
    ("list", Some("show")),
    ("show", Some("show")),
    ("lst", Some("show")),
    ("help", Some("help")),
];

/// ip/iptuntap.c do_iptuntap.
const TUNTAP: Commands = &[
    ("add", Some("add")),
    ("delete", Some("del")),
    ("show", Some("show")),
    ("lst", Some("show")),
    ("list", Some("show")),
    ("help", Some("help")),
];

#[cfg(test)]
mod tests {
    /// Every verb the tables name is one the tool has; every refused one it does not have.
    #[test]
    fn the_tables_match_the_tools_verbs() {
        let command = vnet_common::tool::command::<crate::NsTool>();
        vnet_common::ip_args::testing::check_against_clap(&command, &super::IP);
    }
}
