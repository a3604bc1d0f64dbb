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
pub mod neighbour;
mod requests;
pub mod route;
pub mod rule;
mod socket;

pub use dumps::RouteFilter;
pub use link::{address_cidr, Interface, RawLink};
pub use requests::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
pub use socket::{decode, in_namespace, receive_buffer, RawMessage, RouteSocket};

use crate::{Error, Result};
use rtnetlink::Handle;
use std::collections::HashMap;
use std::future::Future;
use tokio::runtime::{Builder, Runtime};

/// rtnetlink's async handles on one current-thread runtime, one per namespace touched.
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
    /// A missing namespace is exit 3, a bad name exit 7.
    pub fn handle(&mut self, netns: Option<&str>) -> Result<Handle> {
        let key = netns.map(str::to_string);
        if let Some(handle) = self.handles.get(&key) {
            return Ok(handle.clone());
        }
        let handle = connect(RouteSocket::open(netns)?, self.runtime.handle())?;
        self.handles.insert(key, handle.clone());
        Ok(handle)
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
