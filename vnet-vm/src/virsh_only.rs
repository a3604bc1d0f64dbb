//! virsh verbs vnet-vm refuses by name (exit 7) because they cannot work here: each parses
//! virsh's arguments so a script's line gets the reason, not a usage error.

use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Render, Result, Verb};

/// Not supported: virsh send-process-signal signals a process inside an LXC container, and
/// only libvirt's LXC driver has it (QEMU's says "not supported by the connection driver").
/// Refused by name, exit 7.
#[derive(Debug, clap::Args)]
pub struct SendProcessSignal {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The process ID in the container.
    pub pid: String,
    /// The signal's name or number.
    pub signame: String,
}

/// Not supported: virsh dom-fd-associate hands this process's open file descriptors to
/// libvirt, which needs the descriptors passed over the connection by the caller that opened
/// them. Refused by name, exit 7.
#[derive(Debug, clap::Args)]
pub struct DomFdAssociate {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The name of the FD group.
    pub name: String,
    /// The file descriptors N,M,...
    pub pass_fds: String,
    /// Use security labels allowing writes.
    #[arg(long)]
    pub seclabel_writable: bool,
    /// Restore the security labels after use.
    #[arg(long)]
    pub seclabel_restore: bool,
}

/// Never produced: these verbs are refused.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Refused {}

impl Render for Refused {}

impl Verb for SendProcessSignal {
    type Ctx = Session;
    type Output = Refused;

    fn run(self, _ctx: &mut Session, _journal: &mut Journal) -> Result<Refused> {
        Err(Error::invalid("send-process-signal is not supported by vnet-vm")
            .with_hint("it signals processes of LXC containers (libvirt's lxc driver) only"))
    }
}

impl Verb for DomFdAssociate {
    type Ctx = Session;
    type Output = Refused;

    fn run(self, _ctx: &mut Session, _journal: &mut Journal) -> Result<Refused> {
        Err(Error::invalid("dom-fd-associate is not supported by vnet-vm")
            .with_hint("it passes open file descriptors over the libvirt connection, which a one-shot command cannot keep open for the domain"))
    }
}
