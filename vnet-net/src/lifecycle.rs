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
use vnet_common::libvirt::lifecycle::{self, Undo};
use vnet_common::libvirt::lookup::network_name;
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
    lifecycle::start(net, name, journal)
}

/// Sets `net`'s autostart flag to `want`, recording the way back; false when it already was.
pub fn set_autostart(net: &Network, name: &str, want: bool, journal: &mut Journal) -> Result<bool> {
    lifecycle::set_autostart(net, name, want, journal)
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

/// What destroy and undefine report: the network's state while it is still there (stopped, or
/// undefined but still running, or nothing to do); {name, uuid, active: false, persistent: false,
/// changed: true} once it is gone (a transient network destroyed, an inactive one undefined);
/// {name, changed: false} for a missing network with --missing-ok. One object whose fields are
/// absent where a case has nothing to say.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Removed {
    /// The network's name (the name asked for when it is missing).
    pub name: String,
    /// The network's UUID (the one it had when it is gone); absent when it was missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub uuid: Option<String>,
    /// True while the network runs; absent when it was missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "bool")]
    pub active: Option<bool>,
    /// True when the network has a persistent definition; absent when it was missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "bool")]
    pub persistent: Option<bool>,
    /// True when libvirtd starts the network when it starts; only while it is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "bool")]
    pub autostart: Option<bool>,
    /// The bridge device (null when the definition names none); only while it is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub bridge: Option<Option<String>>,
    /// nat, route, open, bridge, isolated or another forward mode; only while it is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub mode: Option<String>,
    /// The host's addresses on the network, as "192.168.122.1/24"; only while it is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>")]
    pub ips: Option<Vec<String>>,
    /// The network's tag (define/create --tag), absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// True when this call changed something.
    pub changed: bool,
}

/// Mutating verbs print nothing in text mode, as virsh does.
impl Render for Removed {}

impl Removed {
    /// The network is still there.
    fn present(net: &Network, acted: bool) -> Result<Removed> {
        let Changed { state, changed } = changed(net, acted)?;
        Ok(Removed {
            name: state.name,
            uuid: Some(state.uuid),
            active: Some(state.active),
            persistent: Some(state.persistent),
            autostart: Some(state.autostart),
            bridge: Some(state.bridge),
            mode: Some(state.mode),
            ips: Some(state.ips),
            tag: state.tag,
            changed,
        })
    }

    /// The network is gone: libvirt no longer knows it.
    fn gone(name: &str, uuid: String) -> Removed {
        Removed {
            uuid: Some(uuid),
            active: Some(false),
            persistent: Some(false),
            changed: true,
            ..Removed::missing(name)
        }
    }

    /// With --missing-ok, no network of that name.
    fn missing(name: &str) -> Removed {
        Removed {
            name: name.to_string(),
            uuid: None,
            active: None,
            persistent: None,
            autostart: None,
            bridge: None,
            mode: None,
            ips: None,
            tag: None,
            changed: false,
        }
    }
}

/// After destroy/undefine: the network's state if it still exists, else what is left to say.
fn after_removal(conn: &Connect, name: &str, uuid: String) -> Result<Removed> {
    match lookup(conn, name)? {
        Some(net) => Removed::present(&net, true),
        None => Ok(Removed::gone(name, uuid)),
    }
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
                true => Ok(Removed::missing(name)),
                false => Err(not_found(name)),
            };
        };
        let name = &network_name(&net)?;
        if !lifecycle::is_active(&net, name)? {
            if self.missing_ok {
                return Removed::present(&net, false);
            }
            return Err(Error::failed(format!("network {name} is not active"))
                .with_hint("use --missing-ok to accept an inactive network"));
        }
        let uuid = net.get_uuid_string().libvirt(format!("network {name}"))?;
        lifecycle::destroy(&net, name, 0, Undo::Irreversible, journal)?;
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
            Some(net) if self.missing_ok => return Removed::present(&net, false),
            None if self.missing_ok => return Ok(Removed::missing(name)),
            Some(_) => {
                return Err(Error::not_found(format!(
                    "network {name} is not defined (transient: destroy it instead)"
                )))
            }
            None => return Err(Error::not_found(format!("network {name} not found"))),
        };
        let name = &network_name(&net)?;
        let uuid = net.get_uuid_string().libvirt(&what)?;
        lifecycle::undefine(&net, name, 0, Undo::Irreversible, journal)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each form prints what its own type printed before destroy and undefine had one type.
    #[test]
    fn removed_prints_each_form_as_before() {
        let json = |r: &Removed| serde_json::to_string(r).unwrap();
        assert_eq!(json(&Removed::missing("n")), r#"{"name":"n","changed":false}"#);
        assert_eq!(
            json(&Removed::gone("n", "u".into())),
            r#"{"name":"n","uuid":"u","active":false,"persistent":false,"changed":true}"#
        );
        let conn = Connect::open(Some("test:///default")).unwrap();
        let net = lookup(&conn, "default").unwrap().unwrap();
        let present = Removed::present(&net, false).unwrap();
        assert_eq!(
            json(&present),
            serde_json::to_string(&changed(&net, false).unwrap()).unwrap()
        );
    }
}
