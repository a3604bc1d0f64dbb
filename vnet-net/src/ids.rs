//! A network's name and UUID for one another: net-uuid and net-name, as virsh prints them (the
//! one asked for, then virsh's blank line). Either takes the network by name or UUID.

use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::libvirt::lookup::network as lookup;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

/// A network's name and UUID: what net-uuid and net-name print one of.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NetworkIds {
    pub name: String,
    pub uuid: String,
    #[serde(skip)]
    #[schemars(skip)]
    shown: String,
}

impl Render for NetworkIds {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n\n", self.shown)
    }
}

fn ids(ctx: &mut Session, network: &str, show: fn(&NetworkIds) -> String) -> Result<NetworkIds> {
    let net = lookup(ctx.conn()?, network)?;
    let mut out = NetworkIds {
        name: net.get_name().libvirt("network name")?,
        uuid: net.get_uuid_string().libvirt("network UUID")?,
        shown: String::new(),
    };
    out.shown = show(&out);
    Ok(out)
}

/// A network's UUID (virsh net-uuid); the network by name (or UUID).
#[derive(Debug, clap::Args)]
pub struct Uuid {
    pub network: String,
}

impl Verb for Uuid {
    type Ctx = Session;
    type Output = NetworkIds;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<NetworkIds> {
        ids(ctx, &self.network, |n| n.uuid.clone())
    }
}

/// A network's name (virsh net-name); the network by UUID (or name).
#[derive(Debug, clap::Args)]
pub struct Name {
    pub network: String,
}

impl Verb for Name {
    type Ctx = Session;
    type Output = NetworkIds;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<NetworkIds> {
        ids(ctx, &self.network, |n| n.name.clone())
    }
}
