//! rtnetlink handles, one per namespace touched, opened once and reused (also by `--batch`).
//!
//! A netlink socket belongs to the namespace of the thread that created it, for its whole life.
//! So a handle for a named namespace is created on a short-lived thread that has setns'd into it;
//! the process's own threads never change namespace.

use crate::links::Interface;
use crate::{netns, Error, Result};
use rtnetlink::Handle;
use std::collections::HashMap;
use std::future::Future;
use tokio::runtime::{Builder, Runtime};

pub struct Netlink {
    runtime: Runtime,
    handles: HashMap<Option<String>, Handle>,
}

impl Netlink {
    pub fn new() -> Result<Netlink> {
        let runtime = Builder::new_current_thread()
            .enable_io()
            .build()
            .map_err(|e| Error::from(e).context("start the netlink runtime"))?;
        Ok(Netlink {
            runtime,
            handles: HashMap::new(),
        })
    }

    /// The handle for `netns` (None: the namespace this process runs in), opened on first use.
    pub fn handle(&mut self, netns: Option<&str>) -> Result<Handle> {
        let key = netns.map(str::to_string);
        if let Some(handle) = self.handles.get(&key) {
            return Ok(handle.clone());
        }
        let handle = match netns {
            None => connect(self.runtime.handle())?,
            Some(name) => connect_in(name, self.runtime.handle())?,
        };
        self.handles.insert(key, handle.clone());
        Ok(handle)
    }

    /// Runs netlink work to completion on this thread.
    pub fn run<F: Future>(&self, work: F) -> F::Output {
        self.runtime.block_on(work)
    }
}

fn connect(runtime: &tokio::runtime::Handle) -> Result<Handle> {
    let _entered = runtime.enter();
    let (connection, handle, _) =
        rtnetlink::new_connection().map_err(|e| Error::from(e).context("open a netlink socket"))?;
    runtime.spawn(connection);
    Ok(handle)
}

fn connect_in(name: &str, runtime: &tokio::runtime::Handle) -> Result<Handle> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                netns::enter(name)?;
                connect(runtime)
            })
            .join()
            .unwrap_or_else(|_| Err(Error::failed("netlink thread panicked")))
    })
}

/// A blocking rtnetlink socket for one-shot queries that need no async runtime: `vnet-ns list`
/// asks only for namespace ids, and a runtime's start-up would be most of its cost.
pub struct NsidQuery {
    socket: rtnetlink::sys::Socket,
    sequence: u32,
}

impl NsidQuery {
    pub fn open() -> Result<NsidQuery> {
        use rtnetlink::sys::{protocols::NETLINK_ROUTE, Socket};
        let mut socket =
            Socket::new(NETLINK_ROUTE).map_err(|e| Error::from(e).context("open a netlink socket"))?;
        socket
            .bind_auto()
            .map_err(|e| Error::from(e).context("bind a netlink socket"))?;
        Ok(NsidQuery { socket, sequence: 0 })
    }

    /// The id the current namespace has assigned to the namespace open as `ns_file`, if any
    /// (RTM_GETNSID, what `ip netns list` prints as "(id: N)").
    pub fn nsid(&mut self, ns_file: &std::fs::File) -> Result<Option<i32>> {
        use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_REQUEST};
        use rtnetlink::packet_route::nsid::{NsidAttribute, NsidMessage};
        use rtnetlink::packet_route::RouteNetlinkMessage;
        use std::os::fd::AsRawFd;

        let mut message = NsidMessage::default();
        message.attributes = vec![NsidAttribute::Fd(ns_file.as_raw_fd() as u32)];
        let mut request = NetlinkMessage::from(RouteNetlinkMessage::GetNsId(message));
        self.sequence += 1;
        request.header.flags = NLM_F_REQUEST;
        request.header.sequence_number = self.sequence;
        request.finalize();
        let mut buffer = vec![0; request.buffer_len()];
        request.serialize(&mut buffer);
        self.socket.send(&buffer, 0)?;
        loop {
            let (data, _) = self.socket.recv_from_full()?;
            let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&data)
                .map_err(|e| Error::failed(format!("decode a netlink reply: {e}")))?;
            if reply.header.sequence_number != self.sequence {
                continue; // a late reply to an earlier query
            }
            return match reply.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNsId(reply)) => {
                    Ok(reply.attributes.iter().find_map(|a| match a {
                        NsidAttribute::Id(id) if *id >= 0 => Some(*id),
                        _ => None,
                    }))
                }
                NetlinkPayload::Error(e) => match e.code {
                    Some(code) => Err(Error::from_errno(-code.get())),
                    None => Ok(None),
                },
                _ => Ok(None),
            };
        }
    }
}

/// A blocking rtnetlink socket for one-shot dumps (`vnet-bridge show` and the other listings):
/// no async runtime, no connection task, one request and its replies. Opened in a named
/// namespace on a short-lived thread that entered it (the socket stays bound to that namespace).
pub struct DumpSocket {
    socket: rtnetlink::sys::Socket,
    sequence: u32,
}

impl DumpSocket {
    /// A socket in `netns` (None: the namespace this process runs in).
    pub fn open(netns: Option<&str>) -> Result<DumpSocket> {
        let socket = match netns {
            None => open_route_socket()?,
            Some(name) => std::thread::scope(|scope| {
                scope
                    .spawn(|| {
                        netns::enter(name)?;
                        open_route_socket()
                    })
                    .join()
                    .unwrap_or_else(|_| Err(Error::failed("netlink thread panicked")))
            })?,
        };
        Ok(DumpSocket { socket, sequence: 0 })
    }

    /// Every link (RTM_GETLINK dump) of `family` (AF_UNSPEC: all links; AF_BRIDGE: bridges and
    /// their ports, with IFLA_AF_SPEC), asking for the extras in `ext_mask` (e.g. RTEXT_FILTER_BRVLAN).
    pub fn links(
        &mut self,
        family: rtnetlink::packet_route::AddressFamily,
        ext_mask: Vec<rtnetlink::packet_route::link::LinkExtentMask>,
    ) -> Result<Vec<rtnetlink::packet_route::link::LinkMessage>> {
        use rtnetlink::packet_route::link::{LinkAttribute, LinkMessage};
        use rtnetlink::packet_route::RouteNetlinkMessage;
        let mut message = LinkMessage::default();
        message.header.interface_family = family;
        if !ext_mask.is_empty() {
            message.attributes.push(LinkAttribute::ExtMask(ext_mask));
        }
        let replies = self.dump(RouteNetlinkMessage::GetLink(message))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => Some(link),
                _ => None,
            })
            .collect())
    }

    /// Every address (RTM_GETADDR dump), of all families.
    pub fn addresses(&mut self) -> Result<Vec<rtnetlink::packet_route::address::AddressMessage>> {
        use rtnetlink::packet_route::address::AddressMessage;
        use rtnetlink::packet_route::RouteNetlinkMessage;
        let replies = self.dump(RouteNetlinkMessage::GetAddress(AddressMessage::default()))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewAddress(address) => Some(address),
                _ => None,
            })
            .collect())
    }

    /// Every route of `family` (RTM_GETROUTE dump), all tables.
    pub fn routes(
        &mut self,
        family: rtnetlink::packet_route::AddressFamily,
    ) -> Result<Vec<rtnetlink::packet_route::route::RouteMessage>> {
        use rtnetlink::packet_route::route::RouteMessage;
        use rtnetlink::packet_route::RouteNetlinkMessage;
        let mut request = RouteMessage::default();
        request.header.address_family = family;
        let replies = self.dump(RouteNetlinkMessage::GetRoute(request))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewRoute(route) => Some(route),
                _ => None,
            })
            .collect())
    }

    /// Every qdisc (RTM_GETQDISC dump).
    pub fn qdiscs(&mut self) -> Result<Vec<rtnetlink::packet_route::tc::TcMessage>> {
        use rtnetlink::packet_route::tc::TcMessage;
        use rtnetlink::packet_route::RouteNetlinkMessage;
        let replies = self.dump(RouteNetlinkMessage::GetQueueDiscipline(TcMessage::default()))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewQueueDiscipline(qdisc) => Some(qdisc),
                _ => None,
            })
            .collect())
    }

    /// The name of every link, by index: one RTM_GETLINK dump (the kernel leaves out the
    /// statistics, RTEXT_FILTER_SKIP_STATS) of which only IFLA_IFNAME is read. What a listing
    /// needs to name the links its objects point to, without decoding whole link messages
    /// (the decoder builds every attribute of every link: ~15 us and ~17 KiB a link).
    pub fn link_names(&mut self) -> Result<HashMap<u32, String>> {
        use rtnetlink::packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
        use rtnetlink::packet_route::RouteNetlinkMessage;
        const RTM_NEWLINK: u16 = 16;
        const IFLA_IFNAME: u16 = 3;
        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        let mut names = HashMap::new();
        self.dump_raw(RouteNetlinkMessage::GetLink(message), |kind, payload| {
            // struct ifinfomsg (16 bytes: family, pad, type, index i32 at 4, flags, change),
            // then its attributes.
            if kind != RTM_NEWLINK || payload.len() < 16 {
                return;
            }
            let index = u32::from_ne_bytes(payload[4..8].try_into().expect("4 bytes"));
            if let Some(name) = attribute(&payload[16..], IFLA_IFNAME) {
                names.insert(index, c_string(name));
            }
        })?;
        Ok(names)
    }

    /// Every link as an [`Interface`] with its addresses (`vnet-ns show`): one RTM_GETLINK dump
    /// (statistics left out) read raw for the few attributes an Interface has, and one RTM_GETADDR
    /// dump decoded. Decoding whole link messages was most of the cost of listing many links.
    pub fn interfaces(&mut self) -> Result<Vec<Interface>> {
        use rtnetlink::packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage, State};
        use rtnetlink::packet_route::RouteNetlinkMessage;
        // From linux/if_link.h and linux/rtnetlink.h.
        const RTM_NEWLINK: u16 = 16;
        const IFLA_ADDRESS: u16 = 1;
        const IFLA_IFNAME: u16 = 3;
        const IFLA_MTU: u16 = 4;
        const IFLA_MASTER: u16 = 10;
        const IFLA_OPERSTATE: u16 = 16;
        const IFLA_LINKINFO: u16 = 18;
        const IFLA_INFO_KIND: u16 = 1;
        const IFF_UP: u32 = 1;
        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        let mut links: Vec<(Interface, Option<u32>)> = vec![];
        self.dump_raw(RouteNetlinkMessage::GetLink(message), |kind, payload| {
            // struct ifinfomsg: index i32 at 4, flags u32 at 8; the attributes from 16 on.
            if kind != RTM_NEWLINK || payload.len() < 16 {
                return;
            }
            let word = |at: usize| u32::from_ne_bytes(payload[at..at + 4].try_into().expect("4 bytes"));
            let attrs = &payload[16..];
            let number = |kind: u16| {
                let value = attribute(attrs, kind)?;
                Some(u32::from_ne_bytes(value.get(..4)?.try_into().expect("4 bytes")))
            };
            let interface = Interface {
                name: attribute(attrs, IFLA_IFNAME).map(c_string).unwrap_or_default(),
                index: word(4),
                kind: attribute(attrs, IFLA_LINKINFO)
                    .and_then(|info| attribute(info, IFLA_INFO_KIND))
                    .map(c_string),
                up: word(8) & IFF_UP != 0,
                state: attribute(attrs, IFLA_OPERSTATE)
                    .and_then(|v| v.first())
                    .map_or_else(|| "UNKNOWN".to_string(), |s| State::from(*s).to_string()),
                mac: attribute(attrs, IFLA_ADDRESS).map(crate::mac::format_mac),
                mtu: number(IFLA_MTU),
                master: None,
                addresses: vec![],
            };
            links.push((interface, number(IFLA_MASTER)));
        })?;
        let names: HashMap<u32, String> = links.iter().map(|(l, _)| (l.index, l.name.clone())).collect();
        let mut by_link: HashMap<u32, Vec<String>> = HashMap::new();
        for addr in self.addresses()? {
            if let Some(cidr) = crate::links::address_cidr(&addr) {
                by_link.entry(addr.header.index).or_default().push(cidr);
            }
        }
        Ok(links
            .into_iter()
            .map(|(mut link, master)| {
                link.master = master.and_then(|m| names.get(&m).cloned());
                link.addresses = by_link.remove(&link.index).unwrap_or_default();
                link
            })
            .collect())
    }

    /// Sends one dump request and hands each reply to `each` undecoded, as its netlink message
    /// type and its payload (what follows the 16-byte struct nlmsghdr), up to NLMSG_DONE.
    pub fn dump_raw(
        &mut self,
        request: rtnetlink::packet_route::RouteNetlinkMessage,
        mut each: impl FnMut(u16, &[u8]),
    ) -> Result<()> {
        const NLMSG_ERROR: u16 = 2;
        const NLMSG_DONE: u16 = 3;
        self.send_dump(request)?;
        loop {
            let (data, _) = self
                .socket
                .recv_from_full()
                .map_err(|e| Error::from(e).context("read a netlink dump"))?;
            let mut offset = 0;
            // struct nlmsghdr: length u32 (header included), type u16, flags u16, sequence u32,
            // port u32; messages follow each other aligned to 4 bytes.
            while offset + 16 <= data.len() {
                let word = |at: usize| u32::from_ne_bytes(data[at..at + 4].try_into().expect("4 bytes"));
                let length = word(offset) as usize;
                let kind = u16::from_ne_bytes(data[offset + 4..offset + 6].try_into().expect("2 bytes"));
                let sequence = word(offset + 8);
                if length < 16 || offset + length > data.len() {
                    return Err(Error::failed("decode a netlink reply: truncated message"));
                }
                let payload = &data[offset + 16..offset + length];
                offset += (length + 3) & !3;
                if sequence != self.sequence {
                    continue; // a late reply to an earlier request
                }
                match kind {
                    NLMSG_DONE => return Ok(()),
                    NLMSG_ERROR => {
                        // struct nlmsgerr: the error (a negative errno, 0 for an ack) first.
                        let code = payload
                            .get(..4)
                            .map_or(0, |b| i32::from_ne_bytes(b.try_into().expect("4 bytes")));
                        return if code == 0 {
                            Ok(())
                        } else {
                            Err(Error::from_errno(-code))
                        };
                    }
                    _ => each(kind, payload),
                }
            }
        }
    }

    /// Sends one dump request (a fresh sequence number; the replies carry it back).
    fn send_dump(&mut self, request: rtnetlink::packet_route::RouteNetlinkMessage) -> Result<()> {
        use rtnetlink::packet_core::{NetlinkMessage, NLM_F_DUMP, NLM_F_REQUEST};
        let mut request = NetlinkMessage::from(request);
        self.sequence += 1;
        request.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
        request.header.sequence_number = self.sequence;
        request.finalize();
        let mut buffer = vec![0; request.buffer_len()];
        request.serialize(&mut buffer);
        self.socket
            .send(&buffer, 0)
            .map_err(|e| Error::from(e).context("send a netlink dump request"))?;
        Ok(())
    }

    /// Sends one dump request and collects its replies up to NLMSG_DONE.
    pub fn dump(
        &mut self,
        request: rtnetlink::packet_route::RouteNetlinkMessage,
    ) -> Result<Vec<rtnetlink::packet_route::RouteNetlinkMessage>> {
        use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload};
        use rtnetlink::packet_route::RouteNetlinkMessage;
        self.send_dump(request)?;
        let mut replies = Vec::new();
        loop {
            let (data, _) = self
                .socket
                .recv_from_full()
                .map_err(|e| Error::from(e).context("read a netlink dump"))?;
            let mut offset = 0;
            while offset < data.len() {
                let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&data[offset..])
                    .map_err(|e| Error::failed(format!("decode a netlink reply: {e}")))?;
                let length = reply.header.length as usize;
                if length == 0 {
                    break;
                }
                offset += (length + 3) & !3;
                if reply.header.sequence_number != self.sequence {
                    continue; // a late reply to an earlier request
                }
                match reply.payload {
                    NetlinkPayload::InnerMessage(message) => replies.push(message),
                    NetlinkPayload::Done(_) => return Ok(replies),
                    NetlinkPayload::Error(e) => {
                        return match e.code {
                            Some(code) => Err(Error::from_errno(-code.get())),
                            None => Ok(replies),
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// A C string attribute's text, up to its NUL.
fn c_string(value: &[u8]) -> String {
    let text = value.split(|b| *b == 0).next().unwrap_or_default();
    String::from_utf8_lossy(text).into_owned()
}

/// The value of the first attribute of type `wanted` in a run of netlink attributes (struct
/// nlattr: length u16 with its 4-byte header, type u16 whose top two bits are flags; each padded
/// to 4 bytes), None when there is none or the run is malformed.
fn attribute(mut attributes: &[u8], wanted: u16) -> Option<&[u8]> {
    const NLA_TYPE_MASK: u16 = 0x3fff;
    while attributes.len() >= 4 {
        let length = u16::from_ne_bytes([attributes[0], attributes[1]]) as usize;
        let kind = u16::from_ne_bytes([attributes[2], attributes[3]]) & NLA_TYPE_MASK;
        if length < 4 || length > attributes.len() {
            return None;
        }
        if kind == wanted {
            return Some(&attributes[4..length]);
        }
        attributes = attributes.get((length + 3) & !3..).unwrap_or_default();
    }
    None
}

fn open_route_socket() -> Result<rtnetlink::sys::Socket> {
    use rtnetlink::sys::{protocols::NETLINK_ROUTE, Socket};
    let mut socket =
        Socket::new(NETLINK_ROUTE).map_err(|e| Error::from(e).context("open a netlink socket"))?;
    socket
        .bind_auto()
        .map_err(|e| Error::from(e).context("bind a netlink socket"))?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    #[test]
    fn attribute_walks_padded_attributes() {
        // IFLA_MTU (4) = 1500, then IFLA_IFNAME (3) = "lo\0" (7 bytes, padded to 8).
        let mut run = vec![8, 0, 4, 0];
        run.extend(1500u32.to_ne_bytes());
        run.extend([7, 0, 3, 0, b'l', b'o', 0, 0]);
        assert_eq!(super::attribute(&run, 3), Some(&b"lo\0"[..]));
        assert_eq!(super::attribute(&run, 4), Some(&1500u32.to_ne_bytes()[..]));
        assert_eq!(super::attribute(&run, 9), None);
        assert_eq!(
            super::attribute(&run[..6], 3),
            None,
            "a truncated run is no attribute"
        );
    }
}
