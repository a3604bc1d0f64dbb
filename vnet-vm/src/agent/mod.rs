//! The guest-agent verbs (virsh's spellings and flags): qemu-agent-command, guestinfo, domfsinfo,
//! set-user-password, domtime, domfsfreeze, domfsthaw, domfstrim, get-user-sshkeys and
//! set-user-sshkeys. Each first checks that the running domain has a connected
//! agent (the org.qemu.guest_agent.0 channel), so a guest without one is exit 6 naming it, before
//! anything is asked of the guest.

pub mod freeze;
pub mod fs;
pub mod info;
pub mod signals;
pub mod sshkeys;
pub mod time;

use vnet_common::error::quote;
use vnet_common::libvirt::xml::parse;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, ErrorKind, Result};

use crate::domains::lookup::state_of;
use virt::domain::Domain;

/// The name of the channel the QEMU guest agent talks on.
pub const AGENT_CHANNEL: &str = "org.qemu.guest_agent.0";

/// Checks that `dom` runs and its guest agent is connected: not running is exit 1, no agent
/// channel or an agent that has not connected exit 6, naming the agent.
pub fn agent_ready(dom: &Domain, name: &str) -> Result<()> {
    let what = format!("domain {}", quote(name));
    if !dom.is_active().libvirt(&what)? {
        return Err(Error::failed(format!(
            "{what} is {}: the guest agent answers only a running domain",
            state_of(dom)
        )));
    }
    let xml = dom.get_xml_desc(0).libvirt(&what)?;
    let domain = parse(&xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
    let channel = domain.all(&["devices", "channel"]).into_iter().find_map(|c| {
        let target = c.child("target")?;
        (target.attr("name") == Some(AGENT_CHANNEL)).then_some(target)
    });
    match channel {
        None => Err(Error::new(
            ErrorKind::Unavailable,
            format!("{what} has no QEMU guest agent: no {AGENT_CHANNEL} channel in its definition"),
        )
        .with_hint(format!(
            "add <channel type='unix'><target type='virtio' name='{AGENT_CHANNEL}'/></channel> \
             and run qemu-guest-agent in the guest"
        ))),
        Some(target) if target.attr("state") == Some("disconnected") => Err(Error::new(
            ErrorKind::Unavailable,
            format!("{what}: its QEMU guest agent ({AGENT_CHANNEL}) is not connected"),
        )
        .with_hint("start qemu-guest-agent in the guest")),
        Some(_) => Ok(()),
    }
}

/// A libvirt error of an agent call: an agent that stopped answering is exit 6 as well.
pub fn agent_error(e: virt::error::Error, what: &str) -> Error {
    use virt::error::ErrorNumber;
    let unresponsive = matches!(
        e.code(),
        ErrorNumber::AgentUnresponsive | ErrorNumber::AgentUnsynced
    );
    let mut error = vnet_common::libvirt::error(e).context(what);
    if unresponsive {
        error.kind = ErrorKind::Unavailable;
    }
    error
}
