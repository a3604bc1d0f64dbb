//! One namespace followed: a thread reading a subscribed [`RouteSocket`] and turning each
//! notification into a [`Change`], with the same decoders the listings use.

use super::{netns_change, Action, AddrEntry, Change, FdbEntry, Filter, Kind, Msg, NeighEntry, NsidEntry};
use crate::links::address_cidr;
use crate::mac::format_mac;
use crate::netlink::nexthop::scope_name;
use crate::netlink::route::RouteEntry;
use crate::netlink::rule::RuleEntry;
use crate::netlink::{decode, receive_buffer, RawLink, RawMessage, RouteSocket};
use crate::netlink::{mdb, netconf, nexthop};
use crate::{Error, Result};
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::nsid::{NsidAttribute, NsidMessage};
use netlink_packet_route::route::RouteMessage;
use netlink_packet_route::rule::RuleMessage;
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::packet_core::NLM_F_DUMP;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Starts the thread that follows one namespace; returns its stop flag.
pub(super) fn spawn(
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
            let socket = match subscribe(ns.as_deref(), announce, &filter, &flag) {
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

/// A socket in the namespace subscribed to the filter's groups. A new namespace may not be
/// mounted yet when inotify reports its file (`retry`): tried again for up to 2 s.
fn subscribe(ns: Option<&str>, retry: bool, filter: &Filter, stop: &AtomicBool) -> Result<RouteSocket> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match RouteSocket::subscribe(ns, filter.groups()) {
            Err(_) if retry && Instant::now() < deadline && !stop.load(Ordering::SeqCst) => {
                std::thread::sleep(Duration::from_millis(10));
            }
            done => return done,
        }
    }
}

/// Reads notifications until told to stop. The socket dumps the links first, for the index ->
/// name table: it joined its groups before, so no change between the two is missed.
fn follow(
    mut socket: RouteSocket,
    ns: Option<String>,
    announce: bool,
    filter: &Filter,
    stop: &AtomicBool,
    tx: &SyncSender<Msg>,
) {
    let mut names = Names::new(ns.clone());
    if filter.kinds.contains(&Kind::Nsid) {
        // A namespace is gone by the time its id is deleted: its name is known from before.
        names.learn_nsids();
    }
    let port = socket.port();
    let mut request = LinkMessage::default();
    request
        .attributes
        .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
    let dump = match socket.send(RouteNetlinkMessage::GetLink(request), NLM_F_DUMP) {
        Ok(sequence) => sequence,
        Err(e) => {
            let _ = tx.send(Msg::Failed(ns, e.context("dump the links")));
            return;
        }
    };
    let _ = tx.send(Msg::Ready);
    if announce {
        let _ = tx.send(Msg::Change(Box::new(netns_change(ns.clone(), Action::New))));
    }
    let mut buffer = receive_buffer();
    let mut printer_gone = false;
    while !stop.load(Ordering::SeqCst) && !printer_gone {
        let read = socket.receive(&mut buffer, |message| {
            let dumped = message.sequence == dump && message.port == port;
            let Some(mut change) = names.convert(message, dumped) else {
                return Ok(true);
            };
            change.netns = ns.clone();
            printer_gone = filter.keeps(&change) && tx.send(Msg::Change(Box::new(change))).is_err();
            Ok(!printer_gone)
        });
        match read {
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                let _ = tx.send(Msg::Overrun(ns.clone()));
            }
            Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EINTR)) => {}
            // A datagram larger than the buffer (not the kernel's error): that one is lost.
            Err(e) if e.raw_os_error().is_none() => {}
            Err(_) => return,
        }
    }
}

/// The index -> name table of one namespace, kept current from the link notifications.
pub(super) struct Names {
    links: HashMap<u32, String>,
    ns: Option<String>,
    /// A socket for asking the kernel about a link the table lacks, opened on the first miss.
    lookup: Option<RouteSocket>,
    /// The named namespaces' ids (ip monitor nsid names them), learnt at the start and as new
    /// ids come.
    nsids: HashMap<i32, String>,
}

impl Names {
    pub(super) fn new(ns: Option<String>) -> Names {
        Names {
            links: HashMap::new(),
            ns,
            lookup: None,
            nsids: HashMap::new(),
        }
    }

    /// The id of every named namespace that has one here.
    fn learn_nsids(&mut self) {
        for name in crate::monitor::netns_watch::named_namespaces() {
            if let Some(id) = self.nsid_of(&name) {
                self.nsids.insert(id, name);
            }
        }
    }

    fn nsid_of(&mut self, name: &str) -> Option<i32> {
        if self.lookup.is_none() {
            self.lookup = RouteSocket::open(self.ns.as_deref()).ok();
        }
        let file = std::fs::File::open(format!("/run/netns/{name}")).ok()?;
        self.lookup.as_mut()?.nsid(&file).ok().flatten()
    }

    /// The name of interface `index`: from the table, else asked of the kernel (a notification
    /// can name a link before the link's own notification arrives), else "ifN".
    fn name(&mut self, index: u32) -> String {
        if let Some(name) = self.links.get(&index) {
            return name.clone();
        }
        if self.lookup.is_none() {
            self.lookup = RouteSocket::open(self.ns.as_deref()).ok();
        }
        let found = self.lookup.as_mut().and_then(|s| s.link(index).ok().flatten());
        match found {
            Some(link) => crate::links::link_name(&link),
            None => format!("if{index}"),
        }
    }

    /// The record for a notification (None for dump replies and messages of no interest).
    pub(super) fn convert(&mut self, message: RawMessage, dumped: bool) -> Option<Change> {
        if let Some(link) = RawLink::parse(message.kind, message.payload) {
            // The bridge-family copies of a port's notifications repeat what the AF_UNSPEC ones
            // carry, except one: a port leaving its bridge (nomaster, or deleted), which bridge
            // monitor prints as "Deleted ... master BR" and is a record of its own.
            if link.bridge_family {
                let left = message.kind == RawLink::RTM_DELLINK && link.master().is_some();
                return (left && !dumped).then(|| self.port_left(&link));
            }
            if message.kind == RawLink::RTM_DELLINK {
                let change = self.link(&link);
                self.links.remove(&link.index);
                return Some(Change {
                    action: Action::Del,
                    ..change
                });
            }
            self.links.insert(link.index, link.name());
            return (!dumped).then(|| self.link(&link));
        }
        if dumped {
            return None;
        }
        if matches!(message.kind, mdb::RTM_NEWMDB | mdb::RTM_DELMDB) {
            return self.mdb(message.kind, message.payload);
        }
        if matches!(message.kind, nexthop::RTM_NEWNEXTHOP | nexthop::RTM_DELNEXTHOP) {
            return self.nexthop(message.kind, message.payload);
        }
        if matches!(message.kind, netconf::RTM_NEWNETCONF | netconf::RTM_DELNETCONF) {
            return self.netconf(message.kind, message.payload);
        }
        use RouteNetlinkMessage::*;
        let (action, change) = match decode(message.kind, message.payload).ok()?? {
            NewAddress(a) => (Action::New, self.addr(&a)?),
            DelAddress(a) => (Action::Del, self.addr(&a)?),
            NewRoute(r) => (Action::New, self.route(&r)),
            DelRoute(r) => (Action::Del, self.route(&r)),
            NewNeighbour(n) => (Action::New, self.neigh(&n)?),
            DelNeighbour(n) => (Action::Del, self.neigh(&n)?),
            NewRule(r) => (Action::New, self.rule(&r)),
            DelRule(r) => (Action::Del, self.rule(&r)),
            NewNsId(n) => (Action::New, self.nsid(&n, false)?),
            DelNsId(n) => (Action::Del, self.nsid(&n, true)?),
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

    fn link(&mut self, link: &RawLink) -> Change {
        let mut iface = link.interface();
        iface.master = link.master().map(|m| self.name(m));
        iface.name_links(link.parent(), |i| Some(self.name(i)));
        Change {
            link: Some(iface),
            ..Names::blank(Kind::Link)
        }
    }

    /// A port that left its bridge: its link record as show prints it, `master` naming the bridge
    /// it left. The bridge-family message has no link kind: asked of the kernel while the link
    /// still exists (a port deleted outright has none by then).
    fn port_left(&mut self, link: &RawLink) -> Change {
        let mut change = self.link(link);
        if let Some(iface) = change.link.as_mut().filter(|i| i.kind.is_none()) {
            iface.kind = self.lookup_kind(link.index);
        }
        Change {
            kind: Kind::Port,
            action: Action::Del,
            ..change
        }
    }

    fn lookup_kind(&mut self, index: u32) -> Option<String> {
        if self.lookup.is_none() {
            self.lookup = RouteSocket::open(self.ns.as_deref()).ok();
        }
        let found = self.lookup.as_mut()?.link(index).ok().flatten()?;
        crate::links::link_kind(&found)
    }

    fn addr(&mut self, a: &AddressMessage) -> Option<Change> {
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

    fn route(&mut self, r: &RouteMessage) -> Change {
        let route = RouteEntry::decode(r, |index| self.name(index));
        Change {
            route: Some(route),
            ..Names::blank(Kind::Route)
        }
    }

    fn rule(&mut self, r: &RuleMessage) -> Change {
        Change {
            rule: Some(RuleEntry::decode(r)),
            ..Names::blank(Kind::Rule)
        }
    }

    /// A namespace id, with the named namespace it is the id of (looked up among /run/netns as
    /// ip does; a deleted id's namespace is usually gone already: its name is the one learnt).
    fn nsid(&mut self, n: &NsidMessage, deleted: bool) -> Option<Change> {
        let nsid = n.attributes.iter().find_map(|a| match a {
            NsidAttribute::Id(id) => Some(*id),
            _ => None,
        })?;
        let name = if deleted {
            self.nsids.remove(&nsid)
        } else {
            self.learn_nsids();
            self.nsids.get(&nsid).cloned()
        };
        Some(Change {
            nsid: Some(NsidEntry { nsid, name }),
            ..Names::blank(Kind::Nsid)
        })
    }

    fn mdb(&mut self, kind: u16, payload: &[u8]) -> Option<Change> {
        let raw = mdb::parse(payload).into_iter().next()?;
        let action = if kind == mdb::RTM_DELMDB {
            Action::Del
        } else {
            Action::New
        };
        Some(Change {
            action,
            mdb: Some(raw.entry(|i| self.name(i))),
            ..Names::blank(Kind::Mdb)
        })
    }

    fn nexthop(&mut self, kind: u16, payload: &[u8]) -> Option<Change> {
        let raw = nexthop::RawNexthop::parse(payload).ok()?;
        let names = raw.oif.map(|i| (i, self.name(i))).into_iter().collect();
        let action = match kind {
            nexthop::RTM_DELNEXTHOP => Action::Del,
            _ => Action::New,
        };
        Some(Change {
            action,
            nexthop: Some(raw.entry(&names)),
            ..Names::blank(Kind::Nexthop)
        })
    }

    fn netconf(&mut self, kind: u16, payload: &[u8]) -> Option<Change> {
        let raw = netconf::RawNetconf::parse(payload)?;
        let action = match kind {
            netconf::RTM_DELNETCONF => Action::Del,
            _ => Action::New,
        };
        Some(Change {
            action,
            netconf: Some(raw.entry(|i| self.name(i))),
            ..Names::blank(Kind::Netconf)
        })
    }

    fn neigh(&mut self, n: &NeighbourMessage) -> Option<Change> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteType};
    use rtnetlink::packet_core::NetlinkMessage;

    fn names() -> Names {
        Names {
            links: HashMap::from([(2, "eth0".to_string()), (3, "eth1".to_string())]),
            ..Names::new(None)
        }
    }

    #[test]
    fn filters_by_kind_and_interface() {
        let filter = Filter {
            kinds: vec![Kind::Addr],
            interfaces: vec!["eth0".into()],
            bridges_only: false,
            family: None,
        };
        let mut names = names();
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

    /// -o text: bridge monitor's mdb lines and ip monitor's nsid and rule lines, labelled.
    #[test]
    fn rule_nsid_and_mdb_text_lines_are_the_classic_ones() {
        use crate::verb::{Render, TextStyle};
        let entry = crate::netlink::mdb::RawMdb {
            bridge: 2,
            port: 3,
            permanent: true,
            flags: 0,
            vid: 4,
            group: crate::netlink::mdb::Group::Ip("239.1.1.3".parse().unwrap()),
            source: Some("10.0.0.1".parse().unwrap()),
        };
        let mdb = names().mdb(mdb::RTM_DELMDB, &mdb_message(&entry)).unwrap();
        assert_eq!(
            mdb.text(TextStyle::default()),
            "[MDB]Deleted dev eth0 port eth1 grp 239.1.1.3 src 10.0.0.1 permanent vid 4\n"
        );
        let mut message = NsidMessage::default();
        message.attributes.push(NsidAttribute::Id(5));
        let nsid = names().nsid(&message, true).unwrap();
        assert_eq!(nsid.text(TextStyle::default()), "[NSID]nsid 5\n");
        let mut rule = RuleMessage::default();
        rule.header.family = AddressFamily::Inet;
        rule.header.src_len = 8;
        rule.header.table = 100;
        rule.attributes
            .push(netlink_packet_route::rule::RuleAttribute::Source(
                "10.0.0.0".parse().unwrap(),
            ));
        rule.attributes
            .push(netlink_packet_route::rule::RuleAttribute::Priority(5));
        let rule = names().rule(&rule);
        assert_eq!(
            rule.text(TextStyle::default()),
            "[RULE]5:\tfrom 10.0.0.0/8 lookup 100\n"
        );
    }

    /// An RTM_*MDB payload carrying one entry, as the kernel nests it.
    fn mdb_message(entry: &crate::netlink::mdb::RawMdb) -> Vec<u8> {
        let request = entry.request();
        let info = &request[12..12 + 28];
        let nest = |kind: u16, value: &[u8]| {
            let mut out = ((4 + value.len()) as u16).to_ne_bytes().to_vec();
            out.extend_from_slice(&(kind | 0x8000).to_ne_bytes());
            out.extend_from_slice(value);
            out.resize((out.len() + 3) & !3, 0);
            out
        };
        let mut info = info.to_vec();
        info.extend_from_slice(&[8, 0, 4, 0, 10, 0, 0, 1]);
        let mut message = request[..8].to_vec();
        message.extend(nest(1, &nest(1, &nest(1, &info))));
        message
    }

    /// A route notification's object is route show's record of that route, field for field.
    #[test]
    fn a_route_record_is_the_route_show_record() {
        let mut route = RouteMessage::default();
        route.header.address_family = AddressFamily::Inet;
        route.header.destination_prefix_length = 16;
        route.header.kind = RouteType::Unicast;
        route.header.table = 254;
        route
            .attributes
            .push(RouteAttribute::Destination(RouteAddress::Inet(
                "10.10.0.0".parse().unwrap(),
            )));
        route.attributes.push(RouteAttribute::Oif(3));
        let mut message = NetlinkMessage::from(RouteNetlinkMessage::DelRoute(route.clone()));
        message.finalize();
        let mut bytes = vec![0; message.buffer_len()];
        message.serialize(&mut bytes);
        let raw = RawMessage {
            kind: message.header.message_type,
            sequence: 0,
            port: 0,
            payload: &bytes[16..],
        };
        let change = names().convert(raw, false).unwrap();
        assert_eq!((change.kind, change.action), (Kind::Route, Action::Del));
        let shown = RouteEntry::decode_named(&route, &names().links);
        assert_eq!(change.route.as_ref(), Some(&shown));
        let json = serde_json::to_value(&change).unwrap();
        assert_eq!(json["route"], serde_json::to_value(&shown).unwrap());
        assert_eq!(json["route"]["type"], "unicast");
        assert_eq!(json["route"]["dev"], "eth1");
    }
}
