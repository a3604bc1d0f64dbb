//! `vnet-ns monitor` and `vnet-bridge monitor`: link, address, route, neighbour and FDB changes
//! from rtnetlink's multicast groups (what `ip monitor` and `bridge monitor` listen to), one typed
//! record per kernel notification, with the field names the show/list verbs use for the same
//! objects ([`Interface`] for links, `ip -j route`'s names for routes, showmacs' for FDB entries).
//!
//! Each namespace followed has a thread of its own that setns'd into it and opened a blocking
//! netlink socket there (the socket stays bound to that namespace); the threads hand records to
//! the printing thread through a bounded channel (a slow reader makes the kernel drop, and the
//! monitor warn, rather than memory grow). The socket joins its groups before it dumps the links
//! for its index -> name table, so no change between the two is missed. With all namespaces,
//! /run/netns is watched with inotify and a thread started for each namespace created later.

use crate::links::{address_cidr, link_name, Interface};
use crate::mac::format_mac;
use crate::stream::{now, Stream};
use crate::verb::{Render, TextStyle};
use crate::{netns, Error, Result};
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage, RouteType};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST};
use rtnetlink::sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::os::fd::AsRawFd;
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

/// One change, as one line of NDJSON. Exactly one of link, addr, route, neigh, fdb is present,
/// named by `kind` (none for kind netns).
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<RouteEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neigh: Option<NeighEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fdb: Option<FdbEntry>,
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

/// A route, with `ip -j route`'s field names.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RouteEntry {
    /// "unicast", "local", "broadcast", "unreachable", "blackhole", "prohibit", "multicast"...
    pub kind: String,
    /// "default", or the prefix ("10.1.0.0/16"; a host route as its bare address, as ip prints it).
    pub dst: String,
    /// "inet" or "inet6".
    pub family: String,
    pub gateway: Option<String>,
    /// The output interface.
    pub dev: Option<String>,
    /// "kernel", "boot", "static", "ra", "dhcp"... or a number.
    pub protocol: String,
    /// "global" (universe), "link", "host", "site", "nowhere".
    pub scope: String,
    /// The preferred source address (src).
    pub prefsrc: Option<String>,
    /// The metric (priority).
    pub metric: Option<u32>,
    /// The table number (254 is main, 255 local).
    pub table: u32,
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
        } else {
            let _ = write!(line, "[NETNS]{deleted}{}", self.netns.as_deref().unwrap_or(""));
        }
        line.push('\n');
        line
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
}

impl Filter {
    fn keeps(&self, change: &Change) -> bool {
        if !self.kinds.contains(&change.kind) {
            return false;
        }
        if self.bridges_only {
            if let Some(l) = &change.link {
                if l.kind.as_deref() != Some("bridge") && l.master.is_none() {
                    return false;
                }
            }
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
                Kind::Link | Kind::Netns => 0,
                Kind::Addr => RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
                Kind::Route => RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
                Kind::Neigh | Kind::Fdb => RTMGRP_NEIGH,
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
        Namespaces::One(ns) => {
            if let Some(name) = ns {
                netns::open(name)?;
            }
            vec![ns.clone()]
        }
        Namespaces::All => {
            watcher = Some(watch_netns_dir(&tx)?);
            std::iter::once(None)
                .chain(named_namespaces().into_iter().map(Some))
                .collect()
        }
    };
    for ns in &initial {
        let stop = spawn(ns.clone(), false, filter.clone(), tx.clone())?;
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
                let stop = spawn(change.netns.clone(), true, filter.clone(), tx.clone())?;
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

fn named_namespaces() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(netns::NETNS_RUN_DIR)
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| crate::names::validate_netns_name(n).is_ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Watches /run/netns (made if missing, as `ip netns add` makes it) for namespaces coming and
/// going; hands them on as netns changes marked by an absent object.
fn watch_netns_dir(tx: &SyncSender<Msg>) -> Result<std::thread::JoinHandle<()>> {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    std::fs::create_dir_all(netns::NETNS_RUN_DIR)
        .map_err(|e| Error::from(e).context(format!("make {}", netns::NETNS_RUN_DIR)))?;
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC)
        .map_err(|e| Error::from(e).context("watch the named namespaces (inotify)"))?;
    inotify
        .add_watch(
            netns::NETNS_RUN_DIR,
            AddWatchFlags::IN_CREATE | AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVED_TO,
        )
        .map_err(|e| Error::from(e).context(format!("watch {}", netns::NETNS_RUN_DIR)))?;
    let tx = tx.clone();
    std::thread::Builder::new()
        .name("netns-watch".into())
        .spawn(move || loop {
            let Ok(events) = inotify.read_events() else {
                return;
            };
            for event in events {
                let Some(name) = event.name.map(|n| n.to_string_lossy().into_owned()) else {
                    continue;
                };
                if crate::names::validate_netns_name(&name).is_err() {
                    continue;
                }
                let action = if event.mask.contains(AddWatchFlags::IN_DELETE) {
                    Action::Del
                } else {
                    Action::New
                };
                let change = netns_change(Some(name), action);
                if tx.send(Msg::Change(Box::new(change))).is_err() {
                    return;
                }
            }
        })
        .map_err(|e| Error::from(e).context("start the namespace watch"))
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
    }
}

/// Starts the thread that follows one namespace; returns its stop flag.
fn spawn(
    ns: Option<String>,
    announce: bool,
    filter: Arc<Filter>,
    tx: SyncSender<Msg>,
) -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::Builder::new()
        .name("netlink-monitor".into())
        .spawn(move || {
            let socket = match open_in(ns.as_deref(), announce, &filter, &flag) {
                Ok(socket) => socket,
                Err(e) => {
                    let _ = tx.send(Msg::Failed(ns, e));
                    return;
                }
            };
            follow(socket, ns, announce, &filter, &flag, &tx);
        })
        .map_err(|e| Error::from(e).context("start a monitor thread"))?;
    Ok(stop)
}

/// Enters the namespace (a new one may not be mounted yet when inotify reports its file: retried
/// for up to 2 s) and opens a socket subscribed to the filter's groups.
fn open_in(ns: Option<&str>, retry: bool, filter: &Filter, stop: &AtomicBool) -> Result<Socket> {
    if let Some(name) = ns {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match netns::enter(name) {
                Ok(()) => break,
                Err(e) if retry && Instant::now() < deadline && !stop.load(Ordering::SeqCst) => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(e),
            }
        }
    }
    let mut socket =
        Socket::new(NETLINK_ROUTE).map_err(|e| Error::from(e).context("open a netlink socket"))?;
    socket
        .bind(&SocketAddr::new(0, filter.groups()))
        .map_err(|e| Error::from(e).context("join the rtnetlink groups"))?;
    // A large buffer for bursts (SO_RCVBUFFORCE as root, else what the limit allows), and a
    // receive timeout so the thread notices its stop flag.
    let fd = socket.as_raw_fd();
    let size: libc::c_int = 8 << 20;
    let timeout = libc::timeval {
        tv_sec: 0,
        tv_usec: 200_000,
    };
    // SAFETY: setsockopt on our own socket with correctly sized values.
    unsafe {
        if libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            &size as *const _ as *const libc::c_void,
            std::mem::size_of_val(&size) as libc::socklen_t,
        ) < 0
        {
            let _ = socket.set_rx_buf_sz(size as usize);
        }
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            &timeout as *const _ as *const libc::c_void,
            std::mem::size_of_val(&timeout) as libc::socklen_t,
        );
    }
    Ok(socket)
}

const DUMP_SEQ: u32 = 0x766e_6574;

fn follow(
    socket: Socket,
    ns: Option<String>,
    announce: bool,
    filter: &Filter,
    stop: &AtomicBool,
    tx: &SyncSender<Msg>,
) {
    let mut names = Names::default();
    let mut own = SocketAddr::new(0, 0);
    let _ = socket.get_address(&mut own);
    let port = own.port_number();
    // The link dump for the name table; notifications already queue behind it.
    let mut request = NetlinkMessage::from(RouteNetlinkMessage::GetLink(LinkMessage::default()));
    request.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    request.header.sequence_number = DUMP_SEQ;
    request.finalize();
    let mut buffer = vec![0; request.buffer_len()];
    request.serialize(&mut buffer);
    if let Err(e) = socket.send(&buffer, 0) {
        let _ = tx.send(Msg::Failed(ns, Error::from(e).context("dump the links")));
        return;
    }
    let _ = tx.send(Msg::Ready);
    if announce {
        let _ = tx.send(Msg::Change(Box::new(netns_change(ns.clone(), Action::New))));
    }
    let mut buf = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::SeqCst) {
        let n = match socket.recv(&mut &mut buf[..], 0) {
            Ok(n) => n,
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                let _ = tx.send(Msg::Overrun(ns.clone()));
                continue;
            }
            Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EINTR)) => continue,
            Err(_) => return,
        };
        let mut offset = 0;
        while offset < n {
            let Ok(message) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&buf[offset..n]) else {
                break;
            };
            let length = message.header.length as usize;
            let dump = message.header.sequence_number == DUMP_SEQ && message.header.port_number == port;
            if let NetlinkPayload::InnerMessage(inner) = message.payload {
                let change = names.convert(inner, dump);
                if let Some(mut change) = change {
                    change.netns = ns.clone();
                    if filter.keeps(&change) && tx.send(Msg::Change(Box::new(change))).is_err() {
                        return;
                    }
                }
            }
            if length == 0 {
                break;
            }
            offset += (length + 3) & !3;
        }
    }
}

/// The index -> name table of one namespace, kept current from the link notifications.
#[derive(Default)]
struct Names {
    links: HashMap<u32, String>,
}

impl Names {
    /// The name of interface `index`: from the table, else asked of the kernel (a notification
    /// can name a link before the link's own notification arrives), else "ifN".
    fn name(&self, index: u32) -> String {
        if let Some(name) = self.links.get(&index) {
            return name.clone();
        }
        // This thread is in the namespace followed, so the lookup is made there.
        let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
        // SAFETY: a buffer of IF_NAMESIZE bytes, as if_indextoname requires.
        let found = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
        if found.is_null() {
            return format!("if{index}");
        }
        // SAFETY: if_indextoname wrote a NUL-terminated name into buf.
        unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    /// The record for a notification (None for dump replies and messages of no interest).
    fn convert(&mut self, message: RouteNetlinkMessage, dump: bool) -> Option<Change> {
        use RouteNetlinkMessage::*;
        let (action, change) = match message {
            NewLink(link) | DelLink(link) if link.header.interface_family == AddressFamily::Bridge => {
                // The bridge-family copy of a port's notification: the AF_UNSPEC one carries it.
                let _ = link;
                return None;
            }
            NewLink(link) => {
                self.links.insert(link.header.index, link_name(&link));
                if dump {
                    return None;
                }
                (Action::New, self.link(&link))
            }
            DelLink(link) => {
                let change = self.link(&link);
                self.links.remove(&link.header.index);
                (Action::Del, change)
            }
            _ if dump => return None,
            NewAddress(a) => (Action::New, self.addr(&a)?),
            DelAddress(a) => (Action::Del, self.addr(&a)?),
            NewRoute(r) => (Action::New, self.route(&r)?),
            DelRoute(r) => (Action::Del, self.route(&r)?),
            NewNeighbour(n) => (Action::New, self.neigh(&n)?),
            DelNeighbour(n) => (Action::Del, self.neigh(&n)?),
            _ => return None,
        };
        Some(Change { action, ..change })
    }

    fn blank(kind: Kind) -> Change {
        Change {
            kind,
            ..netns_change(None, Action::New)
        }
    }

    fn link(&self, link: &LinkMessage) -> Change {
        let mut iface = Interface::new(link, &[], &[]);
        iface.master = crate::links::link_master(link).map(|m| self.name(m));
        Change {
            link: Some(iface),
            ..Names::blank(Kind::Link)
        }
    }

    fn addr(&self, a: &AddressMessage) -> Option<Change> {
        Some(Change {
            addr: Some(AddrEntry {
                interface: self.name(a.header.index),
                index: a.header.index,
                family: family(a.header.family),
                address: address_cidr(a)?,
                scope: scope_name(u8::from(a.header.scope)),
            }),
            ..Names::blank(Kind::Addr)
        })
    }

    fn route(&self, r: &RouteMessage) -> Option<Change> {
        let h = &r.header;
        let addr = |a: &RouteAddress| match a {
            RouteAddress::Inet(ip) => Some(ip.to_string()),
            RouteAddress::Inet6(ip) => Some(ip.to_string()),
            _ => None,
        };
        let mut entry = RouteEntry {
            kind: route_type(h.kind),
            dst: "default".into(),
            family: family(h.address_family),
            gateway: None,
            dev: None,
            protocol: h.protocol.to_string(),
            scope: scope_name(u8::from(h.scope)),
            prefsrc: None,
            metric: None,
            table: u32::from(h.table),
        };
        let full = if h.address_family == AddressFamily::Inet6 {
            128
        } else {
            32
        };
        for attr in &r.attributes {
            match attr {
                RouteAttribute::Destination(d) => {
                    if let Some(d) = addr(d) {
                        entry.dst = if h.destination_prefix_length == full {
                            d
                        } else {
                            format!("{d}/{}", h.destination_prefix_length)
                        };
                    }
                }
                RouteAttribute::Gateway(g) => entry.gateway = addr(g),
                RouteAttribute::Oif(i) => entry.dev = Some(self.name(*i)),
                RouteAttribute::PrefSource(s) => entry.prefsrc = addr(s),
                RouteAttribute::Priority(p) => entry.metric = Some(*p),
                RouteAttribute::Table(t) => entry.table = *t,
                _ => {}
            }
        }
        Some(Change {
            route: Some(entry),
            ..Names::blank(Kind::Route)
        })
    }

    fn neigh(&self, n: &NeighbourMessage) -> Option<Change> {
        let lladdr = n.attributes.iter().find_map(|a| match a {
            NeighbourAttribute::LinkLayerAddress(mac) => Some(format_mac(mac)),
            _ => None,
        });
        if n.header.family == AddressFamily::Bridge {
            let master = n.attributes.iter().find_map(|a| match a {
                NeighbourAttribute::Controller(i) => Some(self.name(*i)),
                _ => None,
            });
            let vlan = n.attributes.iter().find_map(|a| match a {
                NeighbourAttribute::Vlan(v) => Some(*v),
                _ => None,
            });
            return Some(Change {
                fdb: Some(FdbEntry {
                    port: self.name(n.header.ifindex),
                    mac: lladdr?,
                    local: n.header.state == NeighbourState::Permanent,
                    vlan,
                    bridge: master,
                }),
                ..Names::blank(Kind::Fdb)
            });
        }
        let dst = n.attributes.iter().find_map(|a| match a {
            NeighbourAttribute::Destination(NeighbourAddress::Inet(ip)) => Some(ip.to_string()),
            NeighbourAttribute::Destination(NeighbourAddress::Inet6(ip)) => Some(ip.to_string()),
            _ => None,
        })?;
        Some(Change {
            neigh: Some(NeighEntry {
                dst,
                dev: self.name(n.header.ifindex),
                lladdr,
                state: n.header.state.to_string().to_uppercase(),
            }),
            ..Names::blank(Kind::Neigh)
        })
    }
}

fn family(f: AddressFamily) -> String {
    match f {
        AddressFamily::Inet => "inet".into(),
        AddressFamily::Inet6 => "inet6".into(),
        AddressFamily::Bridge => "bridge".into(),
        other => other.to_string(),
    }
}

fn scope_name(scope: u8) -> String {
    match scope {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

fn route_type(kind: RouteType) -> String {
    match kind {
        RouteType::Unicast => "unicast",
        RouteType::Local => "local",
        RouteType::Broadcast => "broadcast",
        RouteType::Anycast => "anycast",
        RouteType::Multicast => "multicast",
        RouteType::BlackHole => "blackhole",
        RouteType::Unreachable => "unreachable",
        RouteType::Prohibit => "prohibit",
        RouteType::Throw => "throw",
        RouteType::Nat => "nat",
        _ => "unspec",
    }
    .to_string()
}

/// --kind's list, checked; None: the default kinds given.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_by_kind_and_interface() {
        let filter = Filter {
            kinds: vec![Kind::Addr],
            interfaces: vec!["eth0".into()],
            bridges_only: false,
        };
        let names = Names {
            links: HashMap::from([(2, "eth0".to_string()), (3, "eth1".to_string())]),
        };
        let mut a = AddressMessage::default();
        a.header.index = 2;
        a.header.prefix_len = 24;
        a.header.family = AddressFamily::Inet;
        a.attributes
            .push(netlink_packet_route::address::AddressAttribute::Local(
                "10.0.0.1".parse().unwrap(),
            ));
        let change = names.addr(&a).unwrap();
        assert_eq!(change.addr.as_ref().unwrap().address, "10.0.0.1/24");
        assert!(filter.keeps(&change));
        a.header.index = 3;
        assert!(!filter.keeps(&names.addr(&a).unwrap()));
        let json = serde_json::to_value(&change).unwrap();
        assert_eq!(json["kind"], "addr");
        assert!(json.get("link").is_none());
    }
}
