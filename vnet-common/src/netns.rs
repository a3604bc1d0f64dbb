//! Named network namespaces as iproute2 keeps them: a bind mount of the namespace at /run/netns/NAME.

use crate::names::validate_netns_name;
use crate::{Error, Result};
use nix::sched::{setns, CloneFlags};
use std::fs::File;
use std::path::PathBuf;

/// Where `ip netns` (and vnet-ns) keep named namespaces. /var/run/netns is a link to it on Debian.
pub const NETNS_RUN_DIR: &str = "/run/netns";

pub fn path(name: &str) -> PathBuf {
    PathBuf::from(NETNS_RUN_DIR).join(name)
}

/// Opens a named namespace, after checking the name. Not-found is exit code 3.
pub fn open(name: &str) -> Result<File> {
    validate_netns_name(name)?;
    File::open(path(name)).map_err(|e| match e.raw_os_error() {
        Some(libc::ENOENT) => Error::not_found(format!("namespace '{name}' not found")),
        _ => Error::from(e).context(format!("open namespace '{name}'")),
    })
}

/// Moves the calling thread into a named namespace's network stack.
/// Callers run this on a thread of their own, never on a thread shared with other work.
pub fn enter(name: &str) -> Result<()> {
    let file = open(name)?;
    setns(&file, CloneFlags::CLONE_NEWNET)
        .map_err(|e| Error::from(e).context(format!("enter namespace '{name}'")))
}

/// "namespace Blue" or "the current namespace", for messages.
pub fn describe(netns: Option<&str>) -> String {
    match netns {
        Some(name) => format!("namespace '{name}'"),
        None => "the current namespace".to_string(),
    }
}
