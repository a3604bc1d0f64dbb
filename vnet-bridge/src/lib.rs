//! vnet-bridge: brctl's verbs over rtnetlink (no brctl, no ioctl), JSON by default and brctl's
//! text layout with `-o text`, `-n NAME` to act in a named namespace, `--batch` over one
//! netlink connection, and `addif --move-addresses` to put a NIC on a bridge safely.

mod blocking;
mod bridge_grammar;
mod bridges;
mod fault;
mod fdb;
mod kernel;
mod link_show;
mod listing;
mod mdb;
mod model;
mod monitor;
mod moveaddr;
mod options;
mod ports;
mod prune;
mod settings;
mod show;
mod stp;
mod values;
mod vlan;
mod vxlan;

use netlink_packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
use netlink_packet_route::AddressFamily;
use netlink_packet_route::RouteNetlinkMessage;
use rtnetlink::Handle;
use std::future::Future;
use vnet_common::cli::Tool;
use vnet_common::completion;
use vnet_common::links::link_name;
use vnet_common::netlink::{link_in_brief, Detail, Netlink, RawLink, RouteSocket};
use vnet_common::Result;

pub struct BridgeTool;

/// vnet-bridge's own global flag.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
#[group(skip)]
pub struct Globals {
    /// Act inside this named network namespace (/run/netns/NAME), like ip -n. A --batch line may
    /// give its own, which then applies to that line only.
    #[arg(short = 'n', long, global = true, value_name = "NAME")]
    pub netns: Option<String>,
}

/// What every verb runs against: the netlink connections (one per namespace touched, opened on
/// first use and kept for a whole batch) and the namespace the current command acts in.
pub struct Ctx {
    /// Opened on first use: the read verbs dump links over a blocking socket and need no runtime.
    netlink: Option<Netlink>,
    /// The blocking socket of the last namespace the brctl verbs acted in (see [`Ctx::here`]).
    socket: Option<(Option<String>, RouteSocket)>,
    netns: Option<String>,
}

/// The namespace a brctl verb acts in, over a blocking socket: its socket and its name (None: the
/// current one).
pub struct Here<'a> {
    pub socket: &'a mut RouteSocket,
    pub ns: Option<&'a str>,
}

/// The namespace a verb acts in: its netlink handle and its name (None: the current one).
pub struct Scope<'a> {
    pub handle: Handle,
    pub ns: Option<&'a str>,
}

impl Ctx {
    /// The namespace the current command acts in (None: this process's own).
    pub fn netns(&self) -> Option<&str> {
        self.netns.as_deref()
    }

    /// Runs `work` to completion with the handle of the current command's namespace.
    pub fn run<'a, T, F: Future<Output = Result<T>>>(
        &'a mut self,
        work: impl FnOnce(Scope<'a>) -> F,
    ) -> Result<T> {
        if self.netlink.is_none() {
            self.netlink = Some(Netlink::new()?);
        }
        let netlink = self.netlink.as_mut().expect("just opened");
        let handle = netlink.handle(self.netns.as_deref())?;
        let this: &'a Ctx = self;
        let scope = Scope {
            handle,
            ns: this.netns.as_deref(),
        };
        this.netlink.as_ref().expect("just opened").run(work(scope))
    }

    /// A blocking socket in the current command's namespace (kept for the next command that acts
    /// there: a batch's lines reuse it). For speed: brctl's verbs make one or two link requests,
    /// which cost less than starting the async runtime of [`Ctx::run`] (bench BENCH_ONLY=writes,
    /// 2026-12-07: addbr 1.27x brctl's CPU time through the runtime).
    pub fn here(&mut self) -> Result<Here<'_>> {
        if self.socket.as_ref().map(|(ns, _)| ns) != Some(&self.netns) {
            self.socket = Some((self.netns.clone(), RouteSocket::open(self.netns.as_deref())?));
        }
        let (ns, socket) = self.socket.as_mut().expect("just opened");
        Ok(Here {
            socket,
            ns: ns.as_deref(),
        })
    }

    /// The bridge called `name` (exit 3 when missing, 7 when it is another kind of link) and
    /// what `port` makes of each of its ports, sorted by port name: the bridge looked up by name
    /// and its ports by a kernel-filtered dump, so showstp of one bridge costs the same however
    /// many other links there are (brctl reads that bridge's sysfs). Each port's message is
    /// dropped once `port` has read it: showstp of 100 ports held them all before (2.4 MiB peak
    /// against brctl's 1.5).
    pub fn bridge_ports_now<T>(
        &mut self,
        name: &str,
        mut port: impl FnMut(&LinkMessage) -> T,
    ) -> Result<(LinkMessage, Vec<T>)> {
        let at = self.here()?;
        let links = model::Links::named_now(at.socket, &[name])?;
        let bridge = links.bridge(name, at.ns)?.clone();
        let mut ports = vec![];
        at.socket
            .each_link_of_master(bridge.header.index, |link| {
                ports.push((link_name(&link), port(&link)))
            })
            .map_err(|e| e.context("list interfaces"))?;
        ports.sort_by(|a, b| a.0.cmp(&b.0));
        Ok((bridge, ports.into_iter().map(|(_, p)| p).collect()))
    }

    /// Every link of the current command's namespace, read with one blocking dump (no async
    /// runtime: a one-shot read costs what `brctl show` costs), each link with only the
    /// attributes the bridge verbs read (in brief, and IFLA_MIN_MTU/IFLA_MAX_MTU): see
    /// [`RouteSocket::each_link_with`]. Decoded whole, bridge link/fdb/mdb show of 100 bridges
    /// with a port each peaked at 4x bridge(8)'s memory.
    pub fn links_now(&self) -> Result<model::Links> {
        const IFLA_MIN_MTU: u16 = 50;
        const IFLA_MAX_MTU: u16 = 51;
        let mut socket = RouteSocket::open(self.netns.as_deref())?;
        Ok(model::Links::new(
            socket.links_with(&[IFLA_MIN_MTU, IFLA_MAX_MTU], Detail::KindData)?,
        ))
    }

    /// Every link's name, master and kind ([`model::Names`]), and the links called `named`
    /// themselves (for [`model::Links::interface`]/[`model::Links::bridge`] and their errors):
    /// what the listings that only name links read. For speed: each link is read from its
    /// message's bytes ([`RawLink`]), only the named ones decoded (a decode is most of the
    /// instructions per link).
    pub fn names_now(&self, named: &[&str]) -> Result<(model::Links, model::Names)> {
        let (mut kept, mut names) = (vec![], model::Names::default());
        self.each_raw_link_now(|link, kind, payload| {
            names.take_raw(link);
            if named.iter().any(|n| link.name_is(n)) {
                kept.extend(link_in_brief(kind, payload, Detail::KindData)?);
            }
            Ok(())
        })?;
        Ok((model::Links::new(kept), names))
    }

    /// Every link of the current command's namespace (statistics left out) handed to `each` as
    /// its message's bytes and their [`RawLink`] reading, to decode only the links it needs;
    /// the first error `each` returns is the call's, once the dump is read to its end.
    pub fn each_raw_link_now(&self, mut each: impl FnMut(&RawLink, u16, &[u8]) -> Result<()>) -> Result<()> {
        let mut request = LinkMessage::default();
        request
            .attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        let mut failed = None;
        let mut socket = RouteSocket::open(self.netns.as_deref())?;
        socket.dump_raw(RouteNetlinkMessage::GetLink(request), |kind, payload| {
            if let Some(link) = RawLink::parse(kind, payload) {
                if let Err(e) = each(&link, kind, payload) {
                    failed = failed.take().or(Some(e));
                }
            }
        })?;
        failed.map_or(Ok(()), Err)
    }

    /// Every link of the current command's namespace in brief, with its counters, handed to
    /// `each` as it is read (see [`RouteSocket::each_link_counted`]): what `show` lists.
    pub fn each_link_counted_now(&self, each: impl FnMut(LinkMessage)) -> Result<()> {
        let mut socket = RouteSocket::open(self.netns.as_deref())?;
        socket.each_link_counted(each)
    }

    /// The AF_BRIDGE view of the current namespace: bridges and ports with their VLAN lists.
    pub fn bridge_vlans_now(&self) -> Result<Vec<LinkMessage>> {
        let mut socket = RouteSocket::open(self.netns.as_deref())?;
        socket.links(AddressFamily::Bridge, vec![LinkExtentMask::Brvlan])
    }
}

impl Tool for BridgeTool {
    const NAME: &'static str = "vnet-bridge";
    const ABOUT: &'static str =
        "Linux bridges as brctl manages them, over rtnetlink (no brctl, no ioctl), with JSON output";
    const LONG_ABOUT: &'static str = "\
Linux bridges as brctl manages them, over rtnetlink (no brctl, no ioctl), with JSON output.

Every verb takes -n/--netns NAME to act inside a named network namespace (like ip -n). Mutating \
verbs print an object with \"changed\": true|false and nothing in text mode; read verbs print JSON \
by default and brctl's exact layout with -o text.

Every input is checked before anything changes: a name over 15 bytes (brctl would truncate it), a \
value out of the kernel's range, or a NAME that exists but is not a bridge is exit 7; a missing \
bridge, interface or namespace (or an interface that is not a port of the bridge) is exit 3; not \
root is exit 5 with a hint. A verb that fails half-way undoes the changes it made.

Beyond brctl, for hypervisor and lab hosts: setmtu/setportmtu (MTU within each link's kernel limits), setmac (unicast only), setmcsnoop (multicast snooping), addif --up, setvlanfiltering and vlan add|del|show in bridge(8)'s words; on a kernel without CONFIG_BRIDGE_VLAN_FILTERING every VLAN verb is exit 6. Port options in bridge(8)'s words with link set dev PORT (learning, flood, mcast_flood, hairpin, isolated, neigh_suppress, cost, priority, state, mcast_router ...); the bridge's multicast options with setmcquerier, setmcrouter, setgroupfwdmask, setportmcrouter, and setvlanprotocol (exit 6 without VLAN filtering).

Across hosts: addvxlan/delvxlan make a VXLAN port of a bridge (VNI, remote or multicast group, \
MTU from the underlay), and fdb add|append|del|show manage static forwarding entries in bridge(8)'s \
words (fdb append 00:00:00:00:00:00 dev vx0 dst HOST: head-end replication to one more host).";
    type Globals = Globals;
    type Ctx = Ctx;
    type Verbs = Command;
    const IP_GRAMMAR: Option<&'static vnet_common::ip_args::IpGrammar> = Some(&bridge_grammar::BRIDGE);

    fn context(globals: &Globals, _batch: bool) -> Result<Ctx> {
        Ok(Ctx {
            netlink: None,
            socket: None,
            netns: globals.netns.clone(),
        })
    }

    /// A batch line acts in its own -n namespace, else in the batch's.
    fn enter_line(ctx: &mut Ctx, outer: &Globals, line: &Globals) -> Result<()> {
        ctx.netns = line.netns.clone().or_else(|| outer.netns.clone());
        Ok(())
    }

    fn block_on<F: Future>(ctx: &mut Ctx, work: F) -> F::Output {
        match &ctx.netlink {
            Some(netlink) => netlink.run(work),
            // No netlink connection was opened, so no undo step needs one.
            None => futures::executor::block_on(work),
        }
    }

    /// Tab completes bridges for BRIDGE (not addbr's) and fdb show's br, links for IF, PORT and
    /// dev (vlan, fdb, addvxlan), namespaces for -n.
    fn completers(verb: &[&str], arg: &clap::Arg) -> Option<completion::Names> {
        // addvxlan's and fdb's port is a UDP port, not a bridge port.
        let udp_port = matches!(verb.first(), Some(&"addvxlan" | &"fdb")) && completion::is(arg, &["port"]);
        if completion::is(arg, &["bridge", "bridges", "br"]) && verb.first() != Some(&"addbr") {
            Some(completion::bridges)
        } else if completion::is(arg, &["interfaces", "interface", "port", "ports", "dev"]) && !udp_port {
            Some(completion::links)
        } else if completion::is(arg, &["netns"]) {
            Some(completion::namespaces)
        } else {
            None
        }
    }
}

vnet_common::verbs! {
    pub enum Command for Ctx {
        Addbr(bridges::Addbr),
        Delbr(bridges::Delbr),
        Addif(ports::Addif),
        Delif(ports::Delif),
        Show(show::Show),
        Showmacs(show::Showmacs),
        Showstp(show::Showstp),
        Stp(stp::Stp),
        Setageing(stp::Setageing),
        Setfd(stp::Setfd),
        Sethello(stp::Sethello),
        Setmaxage(stp::Setmaxage),
        Setbridgeprio(stp::Setbridgeprio),
        Setpathcost(stp::Setpathcost),
        Setportprio(stp::Setportprio),
        Hairpin(stp::Hairpin),
        Setmtu(settings::Setmtu),
        Setportmtu(settings::Setportmtu),
        Setmac(settings::Setmac),
        Setmcsnoop(settings::Setmcsnoop),
        Setmcquerier(options::Setmcquerier),
        Setmcrouter(options::Setmcrouter),
        Setgroupfwdmask(options::Setgroupfwdmask),
        Setvlanprotocol(options::Setvlanprotocol),
        Setportmcrouter(options::Setportmcrouter),
        /// Bridge port options in bridge(8)'s words: link set dev PORT learning off cost 10 ...
        #[command(subcommand, arg_required_else_help = false)]
        Link(LinkVerb),
        Setvlanfiltering(vlan::Setvlanfiltering),
        /// Per-port VLANs of a VLAN-filtering bridge, in bridge(8)'s words: vlan add, del, show.
        // Without a sub-action: clap's one-line "requires a subcommand", not the whole help.
        #[command(subcommand, arg_required_else_help = false)]
        Vlan(VlanVerb),
        Addvxlan(vxlan::Addvxlan),
        Delvxlan(vxlan::Delvxlan),
        /// Forwarding database entries in bridge(8)'s words: fdb add, append, del, show.
        // Without a sub-action: clap's one-line "requires a subcommand", not the whole help.
        #[command(subcommand, arg_required_else_help = false)]
        Fdb(FdbVerb),
        /// Multicast database entries in bridge(8)'s words: mdb add, del, show.
        #[command(subcommand, arg_required_else_help = false)]
        Mdb(MdbVerb),
        Monitor(monitor::Monitor),
        Prune(prune::Prune),
    }
}

// `vlan add|del|show` (bridge vlan): one leaf verb each.
vnet_common::verbs! {
    pub enum VlanVerb for Ctx {
        Add(vlan::VlanAdd),
        #[command(visible_alias = "delete")]
        Del(vlan::VlanDel),
        #[command(visible_alias = "list")]
        Show(vlan::VlanShow),
    }
}

// `link set` (bridge link set): a port's options.
vnet_common::verbs! {
    pub enum LinkVerb for Ctx {
        Set(options::LinkSet),
        /// List the bridge ports (bridge link show).
        #[command(visible_alias = "list", visible_alias = "lst")]
        Show(link_show::LinkShow),
    }
}

// `fdb add|append|del|show` (bridge fdb): one leaf verb each.
vnet_common::verbs! {
    pub enum FdbVerb for Ctx {
        Add(fdb::FdbAdd),
        Append(fdb::FdbAppend),
        #[command(visible_alias = "delete")]
        Del(fdb::FdbDel),
        #[command(visible_alias = "list")]
        Show(fdb::FdbShow),
    }
}

// `mdb add|del|show` (bridge mdb): one leaf verb each.
vnet_common::verbs! {
    pub enum MdbVerb for Ctx {
        Add(mdb::MdbAdd),
        #[command(visible_alias = "delete")]
        Del(mdb::MdbDel),
        #[command(visible_alias = "list")]
        Show(mdb::MdbShow),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use vnet_common::cli::{command, parse};

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    /// The listing lines the fast path took before clap built only the named verb's command:
    /// parsed alike with that command and with the whole one.
    #[test]
    fn a_line_parses_the_same_with_only_its_verbs_command() {
        for line in [
            "show",
            "show br0 br1",
            "-o text show",
            "show -o text -q",
            "show -o name",
            "-n Blue show -o json",
            "show -n Blue",
            "show show",
            "showstp br0 -o text",
            "-n Blue showstp br0 -p",
            "",
            "show --help",
            "-o text -o json show",
            "-j -o text show",
            "show -o yaml",
            "show -n",
            "-n -x show",
            "-n A show -n B",
            "showstp",
            "addbr br0",
            "br0 show",
            "show -ojson",
            "show --output=text",
            "show -- br0",
        ] {
            let mut words = words(line);
            words.insert(0, "vnet-bridge".to_string());
            let show = |r: std::result::Result<vnet_common::cli::Cli<Globals, Command>, clap::Error>| match r
            {
                Ok(cli) => format!("{cli:?}"),
                Err(e) => format!("{:?}: {}", e.kind(), e.render()),
            };
            let narrow = vnet_common::tool::command_for::<BridgeTool>(&words);
            let first = vnet_common::tool::parse_with::<BridgeTool>(narrow, words.clone());
            let whole = vnet_common::tool::parse_with::<BridgeTool>(command::<BridgeTool>(), words);
            assert_eq!(show(first), show(whole), "{line}");
        }
    }

    #[test]
    fn man_page_is_current() {
        let page = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../man/vnet-bridge.1"));
        vnet_common::man::assert_current(command::<BridgeTool>(), page);
    }

    #[test]
    fn schemas_are_current() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema"));
        vnet_common::schema::assert_current::<BridgeTool>(dir);
    }

    #[test]
    fn cli_is_consistent() {
        command::<BridgeTool>().debug_assert();
    }

    #[test]
    fn help_never_mentions_the_fault_injection() {
        let page = vnet_common::man::render(command::<BridgeTool>());
        let page = String::from_utf8(page).unwrap();
        assert!(!page.contains("FAIL_AFTER"), "{page}");
        assert!(!page.contains("fault-injection"), "{page}");
    }

    #[test]
    fn parses_brctl_argument_order() {
        let cli = parse::<BridgeTool>(words("vnet-bridge -n Blue addif br0 eth0 eth1")).unwrap();
        assert_eq!(cli.globals.netns.as_deref(), Some("Blue"));
        match cli.verb.unwrap() {
            Command::Addif(addif) => assert_eq!(format!("{addif:?}").matches("eth").count(), 2),
            other => panic!("{other:?}"),
        }
        let cli = parse::<BridgeTool>(words("vnet-bridge delbr --force br0 -o text")).unwrap();
        assert!(matches!(cli.verb, Some(Command::Delbr(_))));
        assert!(parse::<BridgeTool>(words("vnet-bridge addif br0")).is_err());
        assert!(parse::<BridgeTool>(words("vnet-bridge --batch - --force")).is_ok());
        // The ovs-vsctl spellings of --exist-ok and --missing-ok.
        assert!(parse::<BridgeTool>(words("vnet-bridge addbr br0 --may-exist")).is_ok());
        assert!(parse::<BridgeTool>(words("vnet-bridge delbr br0 --if-exists")).is_ok());
        assert!(parse::<BridgeTool>(words("vnet-bridge delif br0 eth0 --if-exists")).is_ok());
    }

    #[test]
    fn a_batch_line_may_name_its_own_namespace() {
        let mut ctx = BridgeTool::context(&Globals::default(), true).unwrap();
        let outer = Globals {
            netns: Some("Outer".into()),
        };
        let line = Globals {
            netns: Some("Line".into()),
        };
        BridgeTool::enter_line(&mut ctx, &outer, &line).unwrap();
        assert_eq!(ctx.netns.as_deref(), Some("Line"));
        BridgeTool::enter_line(&mut ctx, &outer, &Globals::default()).unwrap();
        assert_eq!(ctx.netns.as_deref(), Some("Outer"));
    }

    #[test]
    fn completions_are_current() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../completions"));
        vnet_common::completion::assert_current("vnet-bridge", dir);
    }

    #[test]
    fn tab_completes_links_for_dev_but_not_for_a_udp_port() {
        let complete = |words: &[&str]| {
            vnet_common::completion::complete_words(
                vnet_common::cli::completion_command::<BridgeTool>(),
                words,
            )
        };
        let lo = "lo".to_string();
        assert!(complete(&["vnet-bridge", "vlan", "add", "--dev", "l"]).contains(&lo));
        assert!(complete(&["vnet-bridge", "fdb", "show", "--dev", "l"]).contains(&lo));
        assert!(!complete(&["vnet-bridge", "fdb", "add", "--port", "l"]).contains(&lo));
        assert!(!complete(&["vnet-bridge", "addvxlan", "br0", "vx0", "--port", "l"]).contains(&lo));
    }

    #[test]
    fn aliases_parse_to_the_same_verb() {
        let same = |a: &str, b: &str| {
            let a = parse::<BridgeTool>(words(a)).unwrap().verb.unwrap();
            let b = parse::<BridgeTool>(words(b)).unwrap().verb.unwrap();
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        };
        same(
            "vnet-bridge addbr br0 --exist-ok",
            "vnet-bridge addbr br0 --may-exist",
        );
        same(
            "vnet-bridge delbr br0 --missing-ok",
            "vnet-bridge delbr br0 --if-exists",
        );
        same(
            "vnet-bridge delif br0 eth0 --missing-ok",
            "vnet-bridge delif br0 eth0 --if-exists",
        );
        let batch = |line: &str| parse::<BridgeTool>(words(line)).unwrap().batch.batch;
        assert_eq!(batch("vnet-bridge -b f"), batch("vnet-bridge --batch f"));
        let json = parse::<BridgeTool>(words("vnet-bridge -j show")).unwrap();
        let long = parse::<BridgeTool>(words("vnet-bridge --json show")).unwrap();
        assert!(json.output.json && long.output.json);
    }
}
