//! nodedev-detach, nodedev-reattach and nodedev-reset: a host PCI device handed to (or taken
//! back from) the driver guests are given devices through (vfio-pci), and its reset. They take
//! a real device away from the host: vnet's tests only ever ask for the refusals (a device that
//! is not PCI, one that does not exist), never for a device of the machine they run on.

use super::manage::NodedevChanged;
use super::require;
use virt::nodedev::NodeDevice;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Journal, Result, Verb};

fn name_of(dev: &NodeDevice) -> Result<String> {
    dev.get_name().libvirt("node device name")
}

/// Detach a PCI device from its host driver for guests to use (virsh nodedev-detach DEVICE
/// [--driver vfio]). Undone on a later failure (--batch --atomic): reattached.
#[derive(Debug, clap::Args)]
pub struct NodedevDetach {
    /// The device's name (pci_0000_00_19_0).
    pub device: String,
    /// The driver to bind it to (vfio; libvirt's default otherwise).
    #[arg(long)]
    pub driver: Option<String>,
}

impl Verb for NodedevDetach {
    type Ctx = Session;
    type Output = NodedevChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<NodedevChanged> {
        let dev = require(ctx.conn()?, &self.device)?;
        let name = name_of(&dev)?;
        dev.detach_flags(self.driver.as_deref(), 0)
            .libvirt(format!("detach device {}", quote(&name)))?;
        journal.record_fn(format!("detach device {name}"), move || {
            dev.reattach().map(drop).libvirt("reattach the device")
        })?;
        let line = format!("Device {name} detached");
        Ok(NodedevChanged {
            name,
            changed: true,
            line,
        })
    }
}

/// Give a detached PCI device back to its host driver (virsh nodedev-reattach DEVICE). Undone
/// on a later failure (--batch --atomic): detached again.
#[derive(Debug, clap::Args)]
pub struct NodedevReattach {
    /// The device's name.
    pub device: String,
}

impl Verb for NodedevReattach {
    type Ctx = Session;
    type Output = NodedevChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<NodedevChanged> {
        let dev = require(ctx.conn()?, &self.device)?;
        let name = name_of(&dev)?;
        dev.reattach()
            .libvirt(format!("reattach device {}", quote(&name)))?;
        journal.record_fn(format!("reattach device {name}"), move || {
            dev.detach().map(drop).libvirt("detach the device again")
        })?;
        let line = format!("Device {name} re-attached");
        Ok(NodedevChanged {
            name,
            changed: true,
            line,
        })
    }
}

/// Reset a PCI device (virsh nodedev-reset DEVICE); cannot be undone.
#[derive(Debug, clap::Args)]
pub struct NodedevReset {
    /// The device's name.
    pub device: String,
}

impl Verb for NodedevReset {
    type Ctx = Session;
    type Output = NodedevChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<NodedevChanged> {
        let dev = require(ctx.conn()?, &self.device)?;
        let name = name_of(&dev)?;
        dev.reset().libvirt(format!("reset device {}", quote(&name)))?;
        journal.irreversible(format!("reset device {name}"))?;
        let line = format!("Device {name} reset");
        Ok(NodedevChanged {
            name,
            changed: true,
            line,
        })
    }
}
