//! vnet-ns: named network namespaces and veth pairs, shared with `ip netns`.
//! The verbs are registered here; each lives in its module as one Args type with one `run`.

mod addr_opts;
mod addrs;
mod exec;
mod iface;
mod ip_grammar;
mod ip_verbs;
mod linkadd;
mod linkopts;
mod linkset;
mod monitor;
mod namespaces;
mod netem;
mod procs;
mod protocols;
mod prune;
mod route;
mod scope;
mod tuntap;
mod veth;

use rtnetlink::Handle;
use vnet_common::cli::Tool;
use vnet_common::completion;
use vnet_common::netlink::Netlink;
use vnet_common::Result;

/// vnet-ns's own global flag, given before the verb (as `ip -n NS`).
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
#[group(skip)]
pub struct Globals {
    /// Act inside this named network namespace (/run/netns/NS), like ip -n: used by route,
    /// addr add/del/flush, link set/del, tuntap, qdisc and show. The older forms that name the
    /// namespace as their first argument (link NS IFACE up, addr NS IFACE CIDR) are unchanged.
    /// A --batch line may give its own, which then applies to that line only.
    #[arg(short = 'n', long, value_name = "NS")]
    pub netns: Option<String>,
}

/// The context every vnet-ns verb runs against.
pub struct NsCtx {
    netlink: Option<Netlink>,
    /// True inside --batch: exec then runs its command in a child process.
    pub batch: bool,
    /// The namespace of -n (None: the one vnet-ns runs in).
    pub netns: Option<String>,
}

impl NsCtx {
    /// The netlink handles, opened on first use (list and exec need no async runtime).
    pub fn netlink(&mut self) -> Result<&mut Netlink> {
        if self.netlink.is_none() {
            self.netlink = Some(Netlink::new()?);
        }
        Ok(self.netlink.as_mut().expect("just opened"))
    }

    /// The netlink handles and the handle of the -n namespace (a missing one is exit 3, a bad
    /// name exit 7).
    pub fn scope(&mut self) -> Result<(&Netlink, Handle, Option<String>)> {
        let ns = self.netns.clone();
        let (netlink, handle) = self.handle_in(ns.as_deref())?;
        Ok((netlink, handle, ns))
    }

    /// The netlink handles and the handle inside `ns` (None: the namespace vnet-ns runs in),
    /// opened by vnet-common's netlink transport, which resolves the namespace.
    pub fn handle_in(&mut self, ns: Option<&str>) -> Result<(&Netlink, Handle)> {
        let netlink = self.netlink()?;
        let handle = netlink.handle(ns)?;
        Ok((netlink, handle))
    }
}

vnet_common::verbs! {
    pub enum NsVerb for NsCtx {
        Add(namespaces::Add),
        #[command(visible_alias = "del")]
        Delete(namespaces::Delete),
        #[command(visible_alias = "ls")]
        List(namespaces::List),
        Exec(exec::Exec),
        Identify(procs::Identify),
        Pids(procs::Pids),
        Show(iface::Show),
        Veth(veth::Veth),
        Link(ip_verbs::link::LinkForms),
        Addr(ip_verbs::addr::AddrForms),
        /// Routes, IPv4 and IPv6, as ip route manages them: add, replace, del, show (list).
        #[command(subcommand)]
        Route(ip_verbs::route::RouteVerb),
        /// Persistent tap and tun devices (ip tuntap add/del), in the current namespace or -n NS.
        #[command(subcommand)]
        Tuntap(ip_verbs::tuntap::TuntapVerb),
        Attach(namespaces::Attach),
        /// Link impairment with netem, as tc qdisc sets it: add, replace, change, del, show.
        #[command(subcommand)]
        Qdisc(ip_verbs::qdisc::QdiscVerb),
        /// Neighbour (ARP/NDP) entries, as ip neigh: add, replace, del, flush, show.
        #[command(subcommand, visible_alias = "neighbour", visible_alias = "neighbor")]
        Neigh(ip_verbs::neigh::NeighVerb),
        /// Policy routing rules, as ip rule: add, del, show.
        #[command(subcommand)]
        Rule(ip_verbs::rule::RuleVerb),
        /// Nexthop objects, as ip nexthop: add, replace, del, show, flush, get.
        #[command(subcommand)]
        Nexthop(ip_verbs::nexthop::NexthopVerb),
        /// IP tunnels, as ip tunnel: add, del, show (made as link add makes gre, ipip, sit, ip6tnl
        /// and ip6gre links).
        #[command(subcommand, visible_alias = "tunl")]
        Tunnel(ip_verbs::tunnel::TunnelVerb),
        /// Multicast addresses of links, as ip maddress: show, add, del.
        #[command(subcommand, visible_alias = "maddress")]
        Maddr(ip_verbs::maddr::MaddrVerb),
        /// The interfaces' IP configuration, as ip netconf: show.
        #[command(subcommand)]
        Netconf(ip_verbs::netconf::NetconfVerb),
        /// Namespaces in ip netns's spelling: add, del, list, exec, identify, pids, set, attach.
        #[command(subcommand)]
        Netns(ip_verbs::netns::NetnsVerb),
        Monitor(monitor::Monitor),
        Prune(prune::Prune),
    }
}

pub struct NsTool;

impl Tool for NsTool {
    const NAME: &'static str = "vnet-ns";
    const ABOUT: &'static str = "Network namespaces and veth pairs, shared with `ip netns`, with JSON output";
    const LONG_ABOUT: &'static str = "Network namespaces and veth pairs, shared with `ip netns`, with \
JSON output.\n\nNamespaces live at /run/netns/NAME exactly as iproute2 keeps them, so `ip netns` and \
vnet-ns see and use the same ones.";
    type Globals = Globals;
    type Ctx = NsCtx;
    type Verbs = NsVerb;
    const IP_GRAMMAR: Option<&'static vnet_common::ip_args::IpGrammar> = Some(&ip_grammar::IP);

    fn context(globals: &Globals, batch: bool) -> Result<NsCtx> {
        Ok(NsCtx {
            netlink: None,
            batch,
            netns: globals.netns.clone(),
        })
    }

    /// A batch line acts in its own -n namespace, else in the batch's.
    fn enter_line(ctx: &mut NsCtx, outer: &Globals, line: &Globals) -> Result<()> {
        ctx.netns = line.netns.clone().or_else(|| outer.netns.clone());
        Ok(())
    }

    fn block_on<F: std::future::Future>(ctx: &mut NsCtx, work: F) -> F::Output {
        match &ctx.netlink {
            Some(netlink) => netlink.run(work),
            // No netlink was opened, so no undo step needs it.
            None => futures::executor::block_on(work),
        }
    }

    /// Tab completes namespaces for a verb's NAME (not add's: that one is new) and -n/--peer-netns,
    /// bridges for --master.
    fn completers(verb: &[&str], arg: &clap::Arg) -> Option<completion::Names> {
        let new = verb.last() == Some(&"add");
        if (arg.is_positional() && completion::is(arg, &["name", "names"]) && !new)
            || completion::is(arg, &["netns", "peer_netns"])
        {
            return Some(completion::namespaces);
        }
        completion::is(arg, &["master"]).then_some(completion::bridges as completion::Names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use vnet_common::cli::{command, parse};

    fn parse_words(words: &[&str]) -> std::result::Result<NsVerb, clap::Error> {
        let words = std::iter::once("vnet-ns").chain(words.iter().copied());
        parse::<NsTool>(words.map(String::from)).map(|cli| cli.verb.expect("a verb"))
    }

    #[test]
    fn man_page_is_current() {
        let page = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../man/vnet-ns.1"));
        vnet_common::man::assert_current(command::<NsTool>(), page);
    }

    #[test]
    fn schemas_are_current() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema"));
        vnet_common::schema::assert_current::<NsTool>(dir);
    }

    #[test]
    fn cli_is_consistent() {
        command::<NsTool>().debug_assert();
    }

    #[test]
    fn exec_keeps_the_commands_own_flags() {
        match parse_words(&["exec", "Blue", "ls", "-p", "-o", "x"]).unwrap() {
            NsVerb::Exec(exec) => {
                assert_eq!(exec.name, "Blue");
                assert_eq!(exec.command, ["ls", "-p", "-o", "x"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn seed_veth_form_parses() {
        let verb = parse_words(&[
            "veth",
            "vetha",
            "vethb",
            "--peer-netns",
            "Blue",
            "--addr",
            "192.168.100.1/24",
            "--peer-addr",
            "192.168.100.2/24",
        ]);
        assert!(matches!(verb.unwrap(), NsVerb::Veth(_)));
    }

    #[test]
    fn bad_mtu_is_a_usage_error() {
        assert!(parse_words(&["veth", "a", "b", "--mtu", "10"]).is_err());
    }

    #[test]
    fn aliases_parse_to_the_same_verb() {
        let long = parse_words(&["delete", "Blue", "--missing-ok"]).unwrap();
        let short = parse_words(&["del", "Blue", "--if-exists"]).unwrap();
        assert_eq!(format!("{long:?}"), format!("{short:?}"));
        let add = parse_words(&["add", "Blue", "--exist-ok"]).unwrap();
        let may = parse_words(&["add", "Blue", "--may-exist"]).unwrap();
        assert_eq!(format!("{add:?}"), format!("{may:?}"));
        assert!(matches!(parse_words(&["ls"]).unwrap(), NsVerb::List(_)));
        assert_eq!(
            parse_words(&["frobnicate"]).unwrap_err().kind(),
            clap::error::ErrorKind::InvalidSubcommand
        );
    }

    #[test]
    fn a_line_parses_the_same_with_only_its_verbs_command() {
        let lines = [
            "list",
            "ls -o text",
            "-o name list",
            "show Blue -p",
            "-n Blue show",
            "route show",
            "route list -6",
            "route ls -4 --table all",
            "-n Blue route show --table 100 -o text",
            "-j route show -q",
            "qdisc show dev eth0",
            "neigh show dev eth0 nud all",
            "-n Blue neighbour ls proxy",
            "neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0",
            "neigh flush all",
            "rule show -6",
            "rule add from 10.0.0.0/8 lookup 100 pref 5",
            "route get 10.0.0.1 from 10.0.0.2 mark 7",
            "netns list",
            "netns exec Blue ip -p link",
            "netns set Blue 5",
            "netns del Blue",
            "-n Blue qdisc ls dev eth0 -p",
            "",
            "list --help",
            "list extra",
            "show a b",
            "show -n Blue",
            "route show -4 -6",
            "route show --table",
            "route show 10.0.0.0/8",
            "route add default via 10.0.0.1",
            "qdisc add dev eth0 root netem delay 100ms",
            "link Blue eth0 up",
            "addr Blue eth0 10.0.0.1/24 --del",
            "add Blue",
            "exec Blue ip -p link",
            "--batch - list",
            "list -o yaml",
            "-ojson list",
            "frobnicate",
            "-n",
        ];
        for line in lines {
            let words: Vec<String> = std::iter::once("vnet-ns")
                .chain(line.split_whitespace())
                .map(String::from)
                .collect();
            let show = |r: std::result::Result<vnet_common::cli::Cli<Globals, NsVerb>, clap::Error>| match r {
                Ok(cli) => format!("{cli:?}"),
                Err(e) => format!("{:?}: {}", e.kind(), e.render()),
            };
            let narrow = vnet_common::tool::command_for::<NsTool>(&words);
            let first = vnet_common::tool::parse_with::<NsTool>(narrow, words.clone());
            let whole = vnet_common::tool::parse_with::<NsTool>(command::<NsTool>(), words);
            assert_eq!(show(first), show(whole), "{line}");
        }
    }

    #[test]
    fn completions_are_current() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../completions"));
        vnet_common::completion::assert_current("vnet-ns", dir);
    }

    #[test]
    fn tab_completes_verbs_and_flags_from_the_parser() {
        let words = |w: &[&str]| {
            vnet_common::completion::complete_words(vnet_common::cli::completion_command::<NsTool>(), w)
        };
        assert!(words(&["vnet-ns", "ve"]).contains(&"veth".to_string()));
        assert!(words(&["vnet-ns", "add", "x", "--may"]).contains(&"--may-exist".to_string()));
        assert!(words(&["vnet-ns", "-o", ""]).contains(&"name".to_string()));
    }
}
