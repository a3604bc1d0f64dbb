//! `start`, `destroy`, `undefine`, `autostart`: a defined network's life, and the journaled steps
//! (start, autostart) that `define` reuses.

use crate::checks::check_startable;
use crate::network::{changed, lookup, not_found, require, Changed, NetworkState};
use crate::spec;
use crate::xml::Summary;
use schemars::JsonSchema;
use serde::Serialize;
use virt::connect::Connect;
use virt::network::Network;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, ErrorKind, Journal, Render, Result, Verb};

/// Starts `net` after the start checks, recording `destroy` as its undo.
pub fn start_network(
    conn: &Connect,
    net: &Network,
    summary: &Summary,
    name: &str,
    journal: &mut Journal,
) -> Result<()> {
    check_startable(conn, summary, name)?;
    net.create().libvirt(format!("start network {name}"))?;
    let (undo, what) = (net.clone(), format!("destroy network {name}"));
    journal.record_fn(format!("start network {name}"), move || {
        undo.destroy().libvirt(what)
    })
}

/// Sets `net`'s autostart flag to `want`, recording the way back; false when it already was.
pub fn set_autostart(net: &Network, name: &str, want: bool, journal: &mut Journal) -> Result<bool> {
    if net.get_autostart().libvirt(format!("network {name}"))? == want {
        return Ok(false);
    }
    net.set_autostart(want)
        .libvirt(format!("autostart network {name}"))?;
    let (undo, what) = (net.clone(), format!("autostart network {name}"));
    let step = if want { "autostart on" } else { "autostart off" };
    journal.record_fn(format!("{step} network {name}"), move || {
        undo.set_autostart(!want).map(drop).libvirt(what)
    })?;
    Ok(true)
}

/// Start a defined network.
///
/// An undefined network is exit 3; an active one exit 4 (with --exist-ok: "changed": false);
/// a subnet overlapping another active network exit 4, checked before starting.
#[derive(Debug, clap::Args)]
pub struct Start {
    /// Network name.
    pub name: String,
    /// Succeed ("changed": false) when the network is already active.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
}

impl Verb for Start {
    type Ctx = Session;
    type Output = Changed;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Changed> {
        let name = &self.name;
        spec::validate_name(name)?;
        let conn = ctx.conn()?;
        let net = require(conn, name).map_err(|e| match e.kind {
            ErrorKind::NotFound => {
                e.with_hint("define it first: vnet-net define FILE.xml, or vnet-net define --name NAME ...")
            }
            _ => e,
        })?;
        let state = NetworkState::read(&net)?;
        if state.active {
            if self.exist_ok {
                return Ok(Changed {
                    state,
                    changed: false,
                });
            }
            return Err(Error::exists(format!("network {name} is already active"))
                .with_hint("use --exist-ok to accept an active network"));
        }
        start_network(conn, &net, &state.summary, name, journal)?;
        changed(&net, true)
    }
}

/// What destroy and undefine report.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Removed {
    /// The network is still there (stopped, or undefined but still running, or nothing to do).
    Present(Box<Changed>),
    /// The network is gone (a transient network destroyed, an inactive one undefined).
    Gone(Gone),
    /// With --missing-ok, no network of that name.
    Missing(Missing),
}

/// Mutating verbs print nothing in text mode, as virsh does.
impl Render for Removed {}

/// A network libvirt no longer knows.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Gone {
    /// The network's name.
    pub name: String,
    /// The UUID it had.
    pub uuid: String,
    /// Always false.
    pub active: bool,
    /// Always false.
    pub persistent: bool,
    /// Always true.
    pub changed: bool,
}

/// A network that was not there to remove.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Missing {
    /// The name asked for.
    pub name: String,
    /// Always false.
    pub changed: bool,
}

fn missing(name: &str) -> Removed {
    Removed::Missing(Missing {
        name: name.to_string(),
        changed: false,
    })
}

/// After destroy/undefine: the network's state if it still exists, else what is left to say.
fn after_removal(conn: &Connect, name: &str, uuid: String) -> Result<Removed> {
    Ok(match lookup(conn, name)? {
        Some(net) => Removed::Present(Box::new(changed(&net, true)?)),
        None => Removed::Gone(Gone {
            name: name.to_string(),
            uuid,
            active: false,
            persistent: false,
            changed: true,
        }),
    })
}

/// Stop an active network (a transient network disappears).
///
/// A missing or inactive network is an error (exit 3, exit 1) unless --missing-ok.
/// A transient network that is now gone is reported as {name, uuid, active: false, persistent:
/// false, changed}; a missing network with --missing-ok as {name, changed: false}.
#[derive(Debug, clap::Args)]
pub struct Destroy {
    /// Network name.
    pub name: String,
    /// Succeed ("changed": false) when there is nothing to do.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

impl Verb for Destroy {
    type Ctx = Session;
    type Output = Removed;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Removed> {
        let name = &self.name;
        spec::validate_name(name)?;
        let conn = ctx.conn()?;
        let Some(net) = lookup(conn, name)? else {
            return match self.missing_ok {
                true => Ok(missing(name)),
                false => Err(not_found(name)),
            };
        };
        let what = format!("network {name}");
        if !net.is_active().libvirt(&what)? {
            if self.missing_ok {
                return Ok(Removed::Present(Box::new(changed(&net, false)?)));
            }
            return Err(Error::failed(format!("network {name} is not active"))
                .with_hint("use --missing-ok to accept an inactive network"));
        }
        let uuid = net.get_uuid_string().libvirt(&what)?;
        net.destroy().libvirt(format!("destroy network {name}"))?;
        journal.irreversible(format!("destroy network {name}"))?;
        after_removal(conn, name, uuid)
    }
}

/// Remove a network's persistent definition (an active network keeps running, transient).
///
/// A missing or transient-only network is exit 3 unless --missing-ok. Reports as destroy does.
#[derive(Debug, clap::Args)]
pub struct Undefine {
    /// Network name.
    pub name: String,
    /// Succeed ("changed": false) when there is nothing to do.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

impl Verb for Undefine {
    type Ctx = Session;
    type Output = Removed;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Removed> {
        let name = &self.name;
        spec::validate_name(name)?;
        let conn = ctx.conn()?;
        let what = format!("network {name}");
        let found = lookup(conn, name)?;
        let net = match found {
            Some(net) if net.is_persistent().libvirt(&what)? => net,
            Some(net) if self.missing_ok => return Ok(Removed::Present(Box::new(changed(&net, false)?))),
            None if self.missing_ok => return Ok(missing(name)),
            Some(_) => {
                return Err(Error::not_found(format!(
                    "network {name} is not defined (transient: destroy it instead)"
                )))
            }
            None => return Err(Error::not_found(format!("network {name} not found"))),
        };
        let uuid = net.get_uuid_string().libvirt(&what)?;
        net.undefine().libvirt(format!("undefine network {name}"))?;
        journal.irreversible(format!("undefine network {name}"))?;
        after_removal(conn, name, uuid)
    }
}

/// Start a network when libvirtd starts (or stop doing so with --disable).
#[derive(Debug, clap::Args)]
pub struct Autostart {
    /// Network name.
    pub name: String,
    /// Stop starting the network with libvirtd.
    #[arg(long)]
    pub disable: bool,
}

impl Verb for Autostart {
    type Ctx = Session;
    type Output = Changed;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Changed> {
        spec::validate_name(&self.name)?;
        let net = require(ctx.conn()?, &self.name)?;
        let acted = set_autostart(&net, &self.name, !self.disable, journal)?;
        changed(&net, acted)
    }
}
