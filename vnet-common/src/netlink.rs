//! rtnetlink handles, one per namespace touched, opened once and reused (also by `--batch`).
//!
//! A netlink socket belongs to the namespace of the thread that created it, for its whole life.
//! So a handle for a named namespace is created on a short-lived thread that has setns'd into it;
//! the process's own threads never change namespace.

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

    /// Sends one dump request and collects its replies up to NLMSG_DONE.
    pub fn dump(
        &mut self,
        request: rtnetlink::packet_route::RouteNetlinkMessage,
    ) -> Result<Vec<rtnetlink::packet_route::RouteNetlinkMessage>> {
        use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST};
        use rtnetlink::packet_route::RouteNetlinkMessage;
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

fn open_route_socket() -> Result<rtnetlink::sys::Socket> {
    use rtnetlink::sys::{protocols::NETLINK_ROUTE, Socket};
    let mut socket =
        Socket::new(NETLINK_ROUTE).map_err(|e| Error::from(e).context("open a netlink socket"))?;
    socket
        .bind_auto()
        .map_err(|e| Error::from(e).context("bind a netlink socket"))?;
    Ok(socket)
}
