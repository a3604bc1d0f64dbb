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
