//! addif and delif: every interface is checked against one link dump before the first change;
//! each one enslaved or released is recorded in the journal, so a failure puts the ones before
//! it back where they were. `addif --move-addresses` is in moveaddr.rs.

use crate::blocking::{enslave, set_up};
use crate::model::Links;
use crate::moveaddr::{self, Moved};
use crate::{Ctx, Here};
use netlink_packet_route::link::LinkMessage;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::links::{is_bridge, link_is_up, link_master, link_name};
use vnet_common::{Error, ErrorKind, Journal, Render, Result, Verb};

/// Make interfaces ports of a bridge (brctl addif).
///
/// An interface that is already a port of another bridge is refused (exit 4) unless --force,
/// which moves it; an interface enslaved to anything that is not a bridge is always refused.
/// With --move-addresses (one interface only) the interface's addresses (all IPv4, IPv6 except
/// link-local) and its routes (the default route included; not kernel-made prefix routes) move
/// to the bridge, the interface is enslaved and the bridge brought up, as one step: on any
/// failure the interface's addresses and routes are restored exactly.
///
/// With --up each interface is also brought up as it is added (ip link set IF master BR up),
/// and one that is already a port but down is brought up; undone with the rest on failure.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Addif {
    /// The bridge.
    bridge: String,
    /// Interfaces to add.
    #[arg(required = true, value_name = "IF")]
    interfaces: Vec<String>,
    /// Move a port of another bridge to this one.
    #[arg(long)]
    force: bool,
    /// Move the interface's addresses and routes to the bridge (one interface only).
    #[arg(long)]
    move_addresses: bool,
    /// Bring each interface up as it is added.
    #[arg(long)]
    up: bool,
}

/// What addif did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PortsAdded {
    /// The bridge.
    pub bridge: String,
    /// The interfaces named on the command line.
    pub interfaces: Vec<String>,
    /// Those that were not ports of the bridge yet and were added.
    pub added: Vec<String>,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
    /// With --up: the interfaces that were down and were brought up.
    pub brought_up: Vec<String>,
    /// With --move-addresses: what moved from the interface to the bridge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<Moved>,
}

impl Render for PortsAdded {}

impl Verb for Addif {
    type Ctx = Ctx;
    type Output = PortsAdded;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<PortsAdded> {
        let mut what = format!("add to bridge '{}'", self.bridge);
        if self.move_addresses && self.interfaces.len() != 1 {
            return Err(Error::new(
                ErrorKind::Usage,
                format!("{what}: --move-addresses takes exactly one interface"),
            ));
        }
        if self.move_addresses {
            what.push_str(" with --move-addresses");
        }
        self.add(ctx, journal).map_err(|e| e.context(what))
    }
}

impl Addif {
    /// The bridge and the interfaces: the links addif looks at.
    fn names(&self) -> Vec<&str> {
        std::iter::once(&self.bridge)
            .chain(&self.interfaces)
            .map(String::as_str)
            .collect()
    }

    /// Checks every interface, then enslaves those that need it over the blocking socket (with
    /// --move-addresses, through the async runtime: moveaddr.rs moves addresses and routes).
    fn add(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<PortsAdded> {
        let ns = ctx.netns().map(str::to_string);
        let links = Links::named_now(ctx.here()?.socket, &self.names())?;
        let bridge = links.bridge(&self.bridge, ns.as_deref())?;
        let mut todo = Vec::new();
        for name in &self.interfaces {
            let link = links.interface(name, ns.as_deref())?;
            if check_enslave(&links, bridge, link, self.force)? {
                todo.push(link);
            }
        }
        let mut done = PortsAdded {
            added: todo.iter().map(|l| link_name(l)).collect(),
            changed: !todo.is_empty(),
            bridge: self.bridge,
            interfaces: self.interfaces,
            brought_up: vec![],
            moved: None,
        };
        let down: Vec<&LinkMessage> = match self.up {
            true => done
                .interfaces
                .iter()
                .filter_map(|name| links.by_name(name))
                .filter(|l| !link_is_up(l))
                .collect(),
            false => vec![],
        };
        if self.move_addresses {
            let nic = links.interface(&done.interfaces[0], ns.as_deref())?;
            let (enslave, steps) = (!todo.is_empty(), &mut *journal);
            let moved = ctx.run(|at| async move {
                moveaddr::move_to_bridge(&at.handle, steps, bridge, nic, enslave).await
            })?;
            done.changed = moved.changed();
            done.moved = Some(moved);
            bring_up(&mut ctx.here()?, journal, &down, &mut done)?;
            return Ok(done);
        }
        let mut at = ctx.here()?;
        for link in todo {
            // A port moved with --force goes back to its old bridge on undo.
            let previous = link_master(link)
                .filter(|m| links.by_index(*m).is_some())
                .unwrap_or(0);
            let what = format!("enslave '{}'", link_name(link));
            let change = (link.header.index, bridge.header.index, previous);
            enslave(&mut at, journal, what, change)?;
        }
        bring_up(&mut at, journal, &down, &mut done)?;
        Ok(done)
    }
}

/// Brings up the added interfaces that are down, recording each.
fn bring_up(
    at: &mut Here<'_>,
    journal: &mut Journal,
    down: &[&LinkMessage],
    done: &mut PortsAdded,
) -> Result<()> {
    for link in down {
        let name = link_name(link);
        set_up(at, journal, format!("bring '{name}' up"), link.header.index, true)?;
        done.brought_up.push(name);
        done.changed = true;
    }
    Ok(())
}

/// Whether `link` needs enslaving to `bridge` (false: already a port of it), or why it may not be.
fn check_enslave(links: &Links, bridge: &LinkMessage, link: &LinkMessage, force: bool) -> Result<bool> {
    let name = link_name(link);
    if link.header.index == bridge.header.index {
        return Err(Error::invalid(format!("cannot add bridge '{name}' to itself")));
    }
    if is_bridge(link) {
        return Err(Error::invalid(format!(
            "'{name}' is a bridge: bridges cannot be ports of bridges"
        )));
    }
    let Some(master) = link_master(link) else {
        return Ok(true);
    };
    if master == bridge.header.index {
        return Ok(false);
    }
    let master_link = links.by_index(master);
    let master_name = master_link
        .map(link_name)
        .unwrap_or_else(|| format!("index {master}"));
    match master_link {
        Some(m) if is_bridge(m) && force => Ok(true),
        Some(m) if is_bridge(m) => Err(Error::exists(format!(
            "interface '{name}' is already a port of bridge '{master_name}'"
        ))
        .with_hint("use --force to move it to this bridge")),
        _ => Err(Error::exists(format!(
            "interface '{name}' is enslaved to '{master_name}', which is not a bridge"
        ))),
    }
}

/// Remove interfaces from a bridge (brctl delif).
///
/// Exit 3 when an interface is missing or not a port of the bridge (unless --missing-ok for the
/// latter).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Delif {
    /// The bridge.
    bridge: String,
    /// Interfaces to remove.
    #[arg(required = true, value_name = "IF")]
    interfaces: Vec<String>,
    /// Succeed for interfaces that are not ports of the bridge.
    #[arg(long, visible_alias = "if-exists")]
    missing_ok: bool,
}

/// What delif did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PortsRemoved {
    /// The bridge.
    pub bridge: String,
    /// The interfaces named on the command line.
    pub interfaces: Vec<String>,
    /// Those that were ports of the bridge and were released.
    pub removed: Vec<String>,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for PortsRemoved {}

impl Verb for Delif {
    type Ctx = Ctx;
    type Output = PortsRemoved;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<PortsRemoved> {
        let what = format!("remove from bridge '{}'", self.bridge);
        let removed = ctx
            .here()
            .and_then(|mut at| self.remove(&mut at, journal))
            .map_err(|e| e.context(what))?;
        Ok(PortsRemoved {
            changed: !removed.is_empty(),
            bridge: self.bridge,
            interfaces: self.interfaces,
            removed,
        })
    }
}

impl Delif {
    fn remove(&self, at: &mut Here<'_>, journal: &mut Journal) -> Result<Vec<String>> {
        let names: Vec<&str> = std::iter::once(&self.bridge)
            .chain(&self.interfaces)
            .map(String::as_str)
            .collect();
        let links = Links::named_now(at.socket, &names)?;
        let bridge = links.bridge(&self.bridge, at.ns)?;
        let mut todo = Vec::new();
        for name in &self.interfaces {
            match links.port(bridge, name, at.ns) {
                Ok(port) => todo.push(port),
                Err(_) if self.missing_ok && links.by_name(name).is_some() => {}
                Err(e) => return Err(e),
            }
        }
        let mut removed = Vec::new();
        for port in todo {
            let name = link_name(port);
            let what = format!("release '{name}'");
            let change = (port.header.index, 0, bridge.header.index);
            enslave(at, journal, what, change)?;
            removed.push(name);
        }
        Ok(removed)
    }
}
