//! The one netlink transport of the vnet tools: it owns every rtnetlink socket, the requests,
//! dumps and multicast subscriptions made over them, and the decoding of link and route messages
//! into the records the tools print.
//!
//! - [`RouteSocket`]: a blocking socket for one-shot requests and dumps (the listings) and for
//!   subscriptions (the monitors). Listings need no async runtime, whose start-up would be most
//!   of their cost.
//! - [`Netlink`]: rtnetlink's async handles over such a socket, one per namespace touched,
//!   opened once and reused (also by `--batch`), for the verbs that change things through
//!   rtnetlink's request builders.
//! - [`in_namespace`]: the one way to act inside a named namespace. A netlink socket belongs to
//!   the namespace of the thread that created it, for its whole life, so a socket for a named
//!   namespace is created on a short-lived thread that has setns'd into it; the process's own
//!   threads never change namespace.
//! - [`route`]: route messages decoded into [`route::RouteEntry`] (`route show`, `monitor`) and
//!   read attribute by attribute (moveaddr); links decode into [`Interface`]
//!   (the records [`crate::links`] also names).
//! - [`neighbour`] and [`rule`]: neighbour entries (`ip -j neigh`) and policy rules (`ip -j
//!   rule`) decoded once; their requests and dumps are in `requests.rs`.

mod dumps;
pub mod kinds;
mod link;
pub mod mdb;
pub mod neighbour;
pub mod netconf;
pub mod nexthop;
mod oneshot;
mod requests;
pub mod route;
pub mod rule;
mod socket;
pub mod stats;

pub use dumps::RouteFilter;
pub use link::{address_cidr, Interface, RawLink};
pub use oneshot::{link_in_brief, Detail};
pub use requests::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
pub use socket::{decode, in_namespace, receive_buffer, RawMessage, RouteSocket};

use crate::{Error, Result};
use rtnetlink::Handle;
use std::collections::HashMap;
use std::future::Future;
use tokio::runtime::{Builder, Runtime};

/// rtnetlink's async handles on one current-thread runtime, one per namespace touched (at most
/// [`MAX_OPEN`] at a time), each with a second, blocking descriptor of its socket
/// ([`Netlink::socket`]: ioctls and requests that need no runtime).
pub struct Netlink {
    runtime: Runtime,
    handles: HashMap<Option<String>, Opened>,
    /// Counts uses, to find the handle used longest ago.
    uses: u64,
}

struct Opened {
    handle: Handle,
    socket: RouteSocket,
    last_use: u64,
}

/// The most namespaces whose sockets are kept open at once: a --batch that touches more (the
/// topology of 1000 hosts touches 1001) closes the one used longest ago, so its descriptors and
/// memory stay bounded however many namespaces its lines name. One still in use elsewhere (a
/// journal's undo step holds its handle) stays open until that lets go.
pub const MAX_OPEN: usize = 64;

impl Netlink {
    pub fn new() -> Result<Netlink> {
        let runtime = Builder::new_current_thread()
            .enable_io()
            .build()
            .map_err(|e| Error::from(e).context("start the netlink runtime"))?;
        Ok(Netlink {
            runtime,
            handles: HashMap::new(),
            uses: 0,
        })
    }

    /// The handle for `netns` (None: the namespace this process runs in), opened on first use.
    /// A missing namespace is exit 3, a bad name exit 7.
    pub fn handle(&mut self, netns: Option<&str>) -> Result<Handle> {
        Ok(self.opened(netns)?.handle.clone())
    }

    fn opened(&mut self, netns: Option<&str>) -> Result<&mut Opened> {
        let key = netns.map(str::to_string);
        self.uses += 1;
        if !self.handles.contains_key(&key) {
            let socket = RouteSocket::open(netns)?;
            let blocking = socket.sharing()?;
            let handle = connect(socket, self.runtime.handle())?;
            if self.handles.len() >= MAX_OPEN {
                self.close_oldest();
            }
            let opened = Opened {
                handle,
                socket: blocking,
                last_use: 0,
            };
            self.handles.insert(key.clone(), opened);
        }
        let opened = self.handles.get_mut(&key).expect("just opened");
        opened.last_use = self.uses;
        Ok(opened)
    }

    /// The blocking socket of `netns` (opened on first use, as [`Netlink::handle`]): for a
    /// request whose reply is read raw, without the async runtime. For speed: a `--batch` line
    /// that makes one link paid more for the runtime's round (the connection task, epoll, a
    /// fully decoded reply) than for its own work. Never use it inside [`Netlink::run`].
    pub fn socket(&mut self, netns: Option<&str>) -> Result<&mut RouteSocket> {
        Ok(&mut self.opened(netns)?.socket)
    }

    /// Drops the handle used longest ago: its connection ends when no clone of it is left.
    fn close_oldest(&mut self) {
        let oldest = self
            .handles
            .iter()
            .min_by_key(|(_, opened)| opened.last_use)
            .map(|(key, _)| key.clone());
        if let Some(key) = oldest {
            self.handles.remove(&key);
        }
    }

    /// The index and name of the link called `name` in `netns` (its own name when `name` is one
    /// of its alternative names, as RTM_GETLINK answers), or None: no such link, or a name these
    /// ioctls cannot ask for (empty, over 15 bytes, with a NUL), for which the caller asks
    /// rtnetlink, as it does to word a missing link's error. For speed: two ioctls
    /// (SIOCGIFINDEX, SIOCGIFNAME) on this namespace's netlink socket, which the kernel hands to
    /// its device ioctls in the socket's namespace, instead of an RTM_GETLINK whose whole link
    /// message (counters and all) is built, read and decoded; `link add ... link PARENT` names
    /// its parent on every line of a batch. Always the kernel's answer of the moment: nothing is
    /// cached, so a rename or delete earlier in the batch (or by anyone) is seen.
    pub fn link_index(&mut self, netns: Option<&str>, name: &str) -> Result<Option<(u32, String)>> {
        if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains('\0') {
            return Ok(None);
        }
        let fd = self.opened(netns)?.socket.raw_fd();
        // SAFETY: a zeroed ifreq is valid (all integers and byte arrays).
        let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
        for (to, from) in request.ifr_name.iter_mut().zip(name.bytes()) {
            *to = from as libc::c_char;
        }
        // SAFETY: SIOCGIFINDEX reads ifr_name (NUL-terminated: at most 15 bytes were copied)
        // and writes ifr_ifindex of our own ifreq.
        if unsafe { libc::ioctl(fd, libc::SIOCGIFINDEX, &mut request) } < 0 {
            return Ok(None);
        }
        // SAFETY: the kernel filled the ifindex member.
        let index = unsafe { request.ifr_ifru.ifru_ifindex } as u32;
        Ok(self.link_name(netns, index)?.map(|name| (index, name)))
    }

    /// The name of link `index` in `netns`, or None when there is none: one ioctl (SIOCGIFNAME)
    /// on the namespace's netlink socket, as [`Netlink::link_index`] asks.
    pub fn link_name(&mut self, netns: Option<&str>, index: u32) -> Result<Option<String>> {
        let fd = self.opened(netns)?.socket.raw_fd();
        // SAFETY: a zeroed ifreq is valid; SIOCGIFNAME reads ifr_ifindex and writes ifr_name
        // (NUL-terminated within IFNAMSIZ).
        let mut named: libc::ifreq = unsafe { std::mem::zeroed() };
        named.ifr_ifru.ifru_ifindex = index as libc::c_int;
        if unsafe { libc::ioctl(fd, libc::SIOCGIFNAME, &mut named) } < 0 {
            return Ok(None);
        }
        let bytes: Vec<u8> = named
            .ifr_name
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8)
            .collect();
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Runs netlink work to completion on this thread.
    pub fn run<F: Future>(&self, work: F) -> F::Output {
        self.runtime.block_on(work)
    }
}

/// rtnetlink's connection over `socket`, its task spawned on `runtime`.
fn connect(socket: RouteSocket, runtime: &tokio::runtime::Handle) -> Result<Handle> {
    use rtnetlink::sys::TokioSocket;
    use std::os::fd::{FromRawFd, IntoRawFd};
    let _entered = runtime.enter();
    let fd = socket.into_socket().into_raw_fd();
    // SAFETY: `fd` is an open netlink socket whose ownership into_raw_fd just gave up; the
    // TokioSocket makes it non-blocking and registers it with the runtime entered above.
    let socket = unsafe { TokioSocket::from_raw_fd(fd) };
    let (connection, handle, _) = rtnetlink::from_socket(socket);
    runtime.spawn(connection);
    Ok(handle)
}
