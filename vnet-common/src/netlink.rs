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
