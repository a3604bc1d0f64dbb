//! `vnet-ns monitor` and `vnet-bridge monitor`: link, address, route, neighbour and FDB changes
//! from rtnetlink's multicast groups (what `ip monitor` and `bridge monitor` listen to), one typed
//! record per kernel notification, decoded by the decoders the show/list verbs use, into their
//! records: [`Interface`] for links (as `vnet-ns show`), [`RouteEntry`] for routes (as `vnet-ns
//! route show`), showmacs' field names for FDB entries.
//!
//! Each namespace followed has a thread of its own reading a socket subscribed in that namespace
//! (opened by [`crate::netlink::RouteSocket::subscribe`], which enters it); the threads hand records to
//! the printing thread through a bounded channel (a slow reader makes the kernel drop, and the
//! monitor warn, rather than memory grow). The socket joins its groups before it dumps the links
//! for its index -> name table, so no change between the two is missed. With all namespaces,
//! /run/netns is watched with inotify and a thread started for each namespace created later.

mod follow;
mod netns_watch;

use crate::links::Interface;
pub use crate::netlink::mdb::MdbEntry;
pub use crate::netlink::netconf::NetconfEntry;
pub use crate::netlink::nexthop::NexthopEntry;
pub use crate::netlink::route::RouteEntry;
pub use crate::netlink::rule::RuleEntry;
use crate::stream::{now, Stream};
use crate::verb::{Render, TextStyle};
use crate::{netns, Error, Result};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The kinds of object a monitor reports (`--kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Interfaces (RTM_NEWLINK/RTM_DELLINK).
    Link,
    /// IPv4 and IPv6 addresses.
    Addr,
    /// IPv4 and IPv6 routes, every table.
    Route,
    /// The ARP/NDP neighbour table.
    Neigh,
    /// Bridge forwarding database entries (AF_BRIDGE neighbours).
    Fdb,
    /// A named namespace appearing or going (with --all-namespaces).
    Netns,
    /// A port leaving its bridge (bridge monitor's "Deleted ... master BR"): a record of its own,
    /// carrying the port's `link` record with `master` naming the bridge it left. Comes with
    /// --kind link too.
    Port,
    /// Policy routing rules, IPv4 and IPv6 (ip monitor rule).
    Rule,
    /// Namespace ids given or taken in the followed namespace (ip monitor nsid).
    Nsid,
    /// Bridge multicast database entries (bridge monitor mdb).
    Mdb,
    /// Nexthop objects (ip monitor nexthop).
    Nexthop,
    /// Interfaces' IP configuration, IPv4 and IPv6 (ip monitor netconf).
    Netconf,
}

/// What happened to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Added or changed (RTM_NEW*); a namespace now followed.
    New,
    /// Deleted (RTM_DEL*); a namespace gone.
    Del,
}

/// One change, as one line of NDJSON. Exactly one of link, addr, route, neigh, fdb, rule, nsid,
/// mdb, nexthop, netconf is present, named by `kind` (none for kind netns; `link` for kind port).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Change {
    /// When the notification was read (RFC 3339, UTC).
    pub time: String,
    /// The named namespace it happened in; null for the monitor's own namespace.
    pub netns: Option<String>,
    pub action: Action,
    pub kind: Kind,
    /// The interface as `vnet-ns show` prints it (its addresses come as addr records: empty here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<Interface>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<AddrEntry>,
    /// The route as `vnet-ns route show` prints it (the same record, field for field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<RouteEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neigh: Option<NeighEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fdb: Option<FdbEntry>,
    /// The rule as `vnet-ns rule show` prints it (ip -j rule's field names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nsid: Option<NsidEntry>,
    /// The entry as `vnet-bridge mdb show` prints it (bridge -j mdb show's field names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mdb: Option<MdbEntry>,
    /// The nexthop object as `vnet-ns nexthop show` prints it (ip -j nexthop's field names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nexthop: Option<NexthopEntry>,
    /// The settings as `vnet-ns netconf show` prints them (ip -j netconf's field names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub netconf: Option<NetconfEntry>,
}

/// A namespace id (ip monitor nsid), with ip -j netns list-id's field names.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NsidEntry {
    /// The id the followed namespace gives the other namespace.
    pub nsid: i32,
    /// The named namespace (/run/netns/NAME) with that id, when there is one.
    pub name: Option<String>,
}

/// An address of an interface.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AddrEntry {
    /// The interface's name.
    pub interface: String,
    pub index: u32,
    /// "inet" or "inet6".
    pub family: String,
    /// The address as a CIDR, e.g. "192.168.100.2/24" (as in show's "addresses").
    pub address: String,
    /// "global", "link", "host"...
    pub scope: String,
}

/// A neighbour (ARP/NDP) entry, with `ip -j neigh`'s field names.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NeighEntry {
    /// The neighbour's IP address.
    pub dst: String,
    /// The interface.
    pub dev: String,
    /// Its MAC address, when known.
    pub lladdr: Option<String>,
    /// "REACHABLE", "STALE", "PERMANENT", "FAILED"... as ip prints it.
    pub state: String,
}

/// A bridge forwarding database entry, with `vnet-bridge showmacs`' field names.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FdbEntry {
    /// The port (or bridge) the MAC is behind.
    pub port: String,
    pub mac: String,
    /// True for the ports' own addresses (permanent entries).
    pub local: bool,
    /// The VLAN of the entry, or null.
    pub vlan: Option<u16>,
    /// The bridge whose database holds the entry, when the kernel names it.
    pub bridge: Option<String>,
}

impl Change {
    /// The address family of an address, route, rule or neighbour record: "inet" or "inet6".
    fn family(&self) -> Option<&str> {
        if let Some(a) = &self.addr {
            return Some(&a.family);
        }
        if let Some(r) = &self.route {
            return Some(&r.family);
        }
        if let Some(r) = &self.rule {
            return Some(&r.family);
        }
        let neigh = self.neigh.as_ref()?;
        Some(if neigh.dst.contains(':') { "inet6" } else { "inet" })
    }

    /// The interface the change concerns (for --dev).
    pub fn interface(&self) -> Option<&str> {
        if let Some(l) = &self.link {
            return Some(&l.name);
        }
        if let Some(a) = &self.addr {
            return Some(&a.interface);
        }
        if let Some(r) = &self.route {
            return r.dev.as_deref();
        }
        if let Some(n) = &self.neigh {
            return Some(&n.dev);
        }
        if let Some(r) = &self.rule {
            return r.iif.as_deref().or(r.oif.as_deref());
        }
        if let Some(m) = &self.mdb {
            return Some(&m.port);
        }
        if let Some(n) = &self.nexthop {
            return n.dev.as_deref();
        }
        if let Some(c) = &self.netconf {
            return Some(&c.interface);
        }
        self.fdb.as_ref().map(|f| f.port.as_str())
    }
}

/// -o text: lines like `ip monitor label` (and `bridge monitor fdb`), with the namespace first
/// when it is not the monitor's own.
impl Render for Change {
    fn text(&self, _style: TextStyle) -> String {
        let mut line = String::new();
        if let Some(ns) = &self.netns {
            let _ = write!(line, "[nsname {ns}] ");
        }
        let deleted = if self.action == Action::Del {
            "Deleted "
        } else {
            ""
        };
        if let Some(l) = &self.link {
            let _ = write!(
                line,
                "[LINK]{deleted}{}: {}: state {}{}{} link/ether {}",
                l.index,
                l.name,
                l.state,
                l.mtu.map(|m| format!(" mtu {m}")).unwrap_or_default(),
                l.master
                    .as_ref()
                    .map(|m| format!(" master {m}"))
                    .unwrap_or_default(),
                l.mac.as_deref().unwrap_or("none")
            );
        } else if let Some(a) = &self.addr {
            let _ = write!(
                line,
                "[ADDR]{deleted}{}: {}    {} {} scope {}",
                a.index, a.interface, a.family, a.address, a.scope
            );
        } else if let Some(r) = &self.route {
            let _ = write!(line, "[ROUTE]{deleted}");
            if r.kind != "unicast" {
                let _ = write!(line, "{} ", r.kind);
            }
            let _ = write!(line, "{}", r.dst);
            if let Some(gw) = &r.gateway {
                let _ = write!(line, " via {gw}");
            }
            if let Some(dev) = &r.dev {
                let _ = write!(line, " dev {dev}");
            }
            if r.table != 254 {
                let _ = write!(line, " table {}", table_name(r.table));
            }
            let _ = write!(line, " proto {} scope {}", r.protocol, r.scope);
            if let Some(src) = &r.prefsrc {
                let _ = write!(line, " src {src}");
            }
            if let Some(m) = r.metric {
                let _ = write!(line, " metric {m}");
            }
        } else if let Some(n) = &self.neigh {
            let _ = write!(line, "[NEIGH]{deleted}{} dev {}", n.dst, n.dev);
            if let Some(mac) = &n.lladdr {
                let _ = write!(line, " lladdr {mac}");
            }
            let _ = write!(line, " {}", n.state);
        } else if let Some(f) = &self.fdb {
            let _ = write!(line, "[NEIGH]{deleted}{} dev {}", f.mac, f.port);
            if let Some(v) = f.vlan {
                let _ = write!(line, " vlan {v}");
            }
            if let Some(b) = &f.bridge {
                let _ = write!(line, " master {b}");
            }
            if f.local {
                line.push_str(" permanent");
            }
        } else if !self.more_text(&mut line, deleted) {
            let _ = write!(line, "[NETNS]{deleted}{}", self.netns.as_deref().unwrap_or(""));
        }
        line.push('\n');
        line
    }
}

impl Change {
    /// The text of a rule, nsid, mdb, nexthop or netconf record (false: it is none of those).
    fn more_text(&self, line: &mut String, deleted: &str) -> bool {
        if let Some(r) = &self.rule {
            let len = r.srclen.map(|l| format!("/{l}")).unwrap_or_default();
            let _ = write!(
                line,
                "[RULE]{deleted}{}:\tfrom {}{len} lookup {}",
                r.priority, r.src, r.table
            );
        } else if let Some(n) = &self.nsid {
            let _ = write!(line, "[NSID]{deleted}nsid {}", n.nsid);
            if let Some(name) = &n.name {
                let _ = write!(line, " (iproute2 netns name: {name})");
            }
        } else if let Some(m) = &self.mdb {
            let _ = write!(line, "[MDB]{deleted}dev {} port {} grp {}", m.dev, m.port, m.grp);
            if let Some(src) = &m.src {
                let _ = write!(line, " src {src}");
            }
            let _ = write!(line, " {}", m.state);
            if let Some(vid) = m.vid {
                let _ = write!(line, " vid {vid}");
            }
        } else if let Some(n) = &self.nexthop {
            let _ = write!(line, "[NEXTHOP]{deleted}id {}", n.id);
            if n.blackhole {
                line.push_str(" blackhole");
            }
            if let Some(gw) = &n.gateway {
                let _ = write!(line, " via {gw}");
            }
            if let Some(dev) = &n.dev {
                let _ = write!(line, " dev {dev}");
            }
        } else if let Some(c) = &self.netconf {
            let _ = write!(line, "[NETCONF]{deleted}{} {}", c.family, c.interface);
            if let Some(f) = c.forwarding {
                let _ = write!(line, " forwarding {}", if f { "on" } else { "off" });
            }
        } else {
            return false;
        }
        true
    }
}

fn table_name(table: u32) -> String {
    match table {
        255 => "local".into(),
        254 => "main".into(),
        253 => "default".into(),
        n => n.to_string(),
    }
}

/// Which namespaces to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Namespaces {
    /// The monitor's own namespace (None) or one named namespace.
    One(Option<String>),
    /// The monitor's own and every named namespace, also those created after it started.
    All,
}

/// What a monitor reports.
#[derive(Debug, Clone)]
pub struct Filter {
    pub kinds: Vec<Kind>,
    /// Only changes of these interfaces (empty: all).
    pub interfaces: Vec<String>,
    /// Only bridges and bridge ports among links (vnet-bridge monitor).
    pub bridges_only: bool,
    /// Only addresses, routes, rules and neighbours of this family, "inet" or "inet6" (ip -4
    /// monitor, ip -6 monitor); links, FDB, MDB and nsid records whatever it is.
    pub family: Option<&'static str>,
}

impl Filter {
    fn keeps(&self, change: &Change) -> bool {
        let asked = self.kinds.contains(&change.kind)
            || (change.kind == Kind::Port && self.kinds.contains(&Kind::Link));
        if !asked {
            return false;
        }
        if self.bridges_only {
            if let Some(l) = &change.link {
                if l.kind.as_deref() != Some("bridge") && l.master.is_none() {
                    return false;
                }
            }
        }
        if self
            .family
            .is_some_and(|f| change.family().is_some_and(|c| c != f))
        {
            return false;
        }
        if self.interfaces.is_empty() || change.kind == Kind::Netns {
            return true;
        }
        change
            .interface()
            .is_some_and(|i| self.interfaces.iter().any(|w| w == i))
    }

    fn groups(&self) -> u32 {
        use rtnetlink::constants::*;
        let mut groups = 0;
        for kind in &self.kinds {
            groups |= match kind {
                // Address and route records name interfaces: links are always joined for the
                // name table, and filtered out afterwards when not asked for.
                Kind::Link | Kind::Netns | Kind::Port => 0,
                Kind::Addr => RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
                Kind::Route => RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
                Kind::Neigh | Kind::Fdb => RTMGRP_NEIGH,
                // RTNLGRP_IPV6_RULE (19) and RTNLGRP_NSID (28) have no RTMGRP_ constant.
                Kind::Rule => RTMGRP_IPV4_RULE | 1 << (19 - 1),
                Kind::Nsid => 1 << (28 - 1),
                Kind::Mdb => crate::netlink::mdb::GROUP,
                Kind::Nexthop => crate::netlink::nexthop::GROUP,
                Kind::Netconf => crate::netlink::netconf::GROUPS,
            };
        }
        groups | RTMGRP_LINK
    }
}

enum Msg {
    Ready,
    Failed(Option<String>, Error),
    Change(Box<Change>),
    Overrun(Option<String>),
}

/// Runs a monitor until the stream ends. Fails before the first record when a namespace asked
/// for is missing (exit 3) or a socket cannot be opened.
pub fn run(tool: &'static str, which: Namespaces, filter: Filter, stream: &mut Stream) -> Result<()> {
    let filter = Arc::new(filter);
    // Bounded: a reader slower than the kernel makes the kernel drop (reported), not memory grow.
    let (tx, rx) = sync_channel::<Msg>(1024);
    let mut threads: HashMap<Option<String>, Arc<AtomicBool>> = HashMap::new();
    let mut watcher = None;
    let initial: Vec<Option<String>> = match &which {
        // A missing namespace fails its thread's subscription: the verb's error, before any record.
        Namespaces::One(ns) => vec![ns.clone()],
        Namespaces::All => {
            watcher = Some(netns_watch::watch_netns_dir(&tx)?);
            std::iter::once(None)
                .chain(netns_watch::named_namespaces().into_iter().map(Some))
                .collect()
        }
    };
    for ns in &initial {
        let stop = follow::spawn(ns.clone(), false, filter.clone(), tx.clone())?;
        threads.insert(ns.clone(), stop);
    }
    // Wait for every initial socket to be subscribed: errors are the verb's error.
    let mut pending = initial.len();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut early = Vec::new();
    while pending > 0 {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Msg::Ready) => pending -= 1,
            Ok(Msg::Failed(ns, e)) if which == Namespaces::All && ns.is_some() => {
                // A named namespace deleted while we started: not an error of the monitor.
                let _ = e;
                pending -= 1;
            }
            Ok(Msg::Failed(_, e)) => return Err(e),
            Ok(other) => early.push(other),
            Err(_) => return Err(Error::failed("netlink monitor: a socket did not start in 10 s")),
        }
    }
    for msg in early {
        handle(tool, msg, stream, &filter, &mut threads, &tx)?;
    }
    while stream.ended().is_none() {
        match rx.recv_timeout(stream.tick()) {
            Ok(msg) => handle(tool, msg, stream, &filter, &mut threads, &tx)?,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    for stop in threads.values() {
        stop.store(true, Ordering::SeqCst);
    }
    drop(watcher);
    Ok(())
}

fn handle(
    tool: &'static str,
    msg: Msg,
    stream: &mut Stream,
    filter: &Arc<Filter>,
    threads: &mut HashMap<Option<String>, Arc<AtomicBool>>,
    tx: &SyncSender<Msg>,
) -> Result<()> {
    match msg {
        Msg::Change(change) => match (change.kind, change.action) {
            // From the inotify thread: a namespace created or deleted.
            (Kind::Netns, Action::New) if change.link.is_none() && !threads.contains_key(&change.netns) => {
                let stop = follow::spawn(change.netns.clone(), true, filter.clone(), tx.clone())?;
                threads.insert(change.netns.clone(), stop);
            }
            (Kind::Netns, Action::New) => {
                // Announced by the namespace's own thread once it is subscribed.
                if filter.keeps(&change) && stream.ended().is_none() {
                    stream.notice(change.as_ref());
                }
            }
            (Kind::Netns, Action::Del) => {
                if let Some(stop) = threads.remove(&change.netns) {
                    stop.store(true, Ordering::SeqCst);
                    if filter.keeps(&change) && stream.ended().is_none() {
                        stream.notice(change.as_ref());
                    }
                }
            }
            _ => {
                if stream.ended().is_none() {
                    stream.event(change.as_ref());
                }
            }
        },
        Msg::Overrun(ns) => crate::output::warn(
            tool,
            &format!(
                "the kernel dropped notifications in {} (reader too slow): some changes were not seen",
                netns::describe(ns.as_deref())
            ),
        ),
        Msg::Ready | Msg::Failed(..) => {}
    }
    Ok(())
}

fn netns_change(netns: Option<String>, action: Action) -> Change {
    Change {
        time: now(),
        netns,
        action,
        kind: Kind::Netns,
        link: None,
        addr: None,
        route: None,
        neigh: None,
        fdb: None,
        rule: None,
        nsid: None,
        mdb: None,
        nexthop: None,
        netconf: None,
    }
}

pub fn kinds(asked: &[Kind], default: &[Kind]) -> Vec<Kind> {
    if asked.is_empty() {
        default.to_vec()
    } else {
        asked.to_vec()
    }
}

/// An interface name given to --dev, checked before anything starts (exit 7).
pub fn check_interfaces(names: &[String]) -> Result<()> {
    for name in names {
        crate::names::validate_ifname(name)?;
    }
    Ok(())
}

/// The interfaces of ip monitor's `dev IF` exist in the namespace watched (exit 3 otherwise, as
/// ip refuses them).
pub fn check_devices_exist(ns: Option<&str>, names: &[String]) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let links = crate::netlink::RouteSocket::open(ns)?.link_names()?;
    for name in names {
        if !links.values().any(|l| l == name) {
            return Err(Error::not_found(format!(
                "no interface {} in {}",
                crate::error::quote(name),
                netns::describe(ns)
            )));
        }
    }
    Ok(())
}
