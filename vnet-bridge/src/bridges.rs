//! addbr and delbr: every input is checked against one link dump before the first change, and
//! each change is recorded in the journal as it is made, so a failure undoes the ones before it.

use crate::blocking::set_up;
use crate::kernel;
use crate::model::Links;
use crate::{Ctx, Here, Scope};
use ipnet::IpNet;
use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use rtnetlink::{LinkBridge, LinkMessageBuilder, LinkUnspec};
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::cidr::parse_cidr;
use vnet_common::links::{
    add_address, address_cidr, addresses_of, del_address, is_bridge, link_is_up, link_kind,
};
use vnet_common::names::validate_ifname;
use vnet_common::netlink::RouteSocket;
use vnet_common::{Context, Error, ErrorKind, Journal, Render, Result, Verb};

/// Create a bridge (brctl addbr), optionally giving it addresses and bringing it up.
///
/// The bridge is created down unless --up. With --addr the addresses are added in the same
/// step; if any step fails the bridge is deleted again. Exit 4 when NAME exists (with --exist-ok:
/// success when it is a bridge, "changed": false when it already is what was asked; missing --addr
/// addresses / --up are applied ("changed": true), and undone again if a later one fails; another
/// --tag than the bridge has is exit 4).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Addbr {
    /// Bridge name (1..15 bytes; never truncated, unlike brctl).
    bridge: String,
    /// Succeed when the bridge already exists.
    #[arg(long, visible_alias = "may-exist")]
    exist_ok: bool,
    /// Give the bridge this address (CIDR); repeat for several.
    #[arg(long = "addr", value_name = "CIDR")]
    addrs: Vec<String>,
    /// Bring the bridge up.
    #[arg(long)]
    up: bool,
    /// Tag a bridge this call creates with LABEL (its ifalias, vnet:tag=LABEL): `show --tag`
    /// lists it, `prune --tag` removes it. With --exist-ok, an existing bridge without this tag
    /// is exit 4 (its tag is not changed).
    #[arg(long, value_name = "LABEL")]
    tag: Option<String>,
}

/// The bridge after addbr.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BridgeAdded {
    /// The bridge's name.
    pub name: String,
    /// False when the bridge existed (--exist-ok) with every address asked for and up if asked.
    pub changed: bool,
    /// The bridge's administrative UP flag now.
    pub up: bool,
    /// Every address the bridge has now, as CIDRs ("10.10.10.98/24").
    pub addresses: Vec<String>,
}

impl Render for BridgeAdded {}

impl Verb for Addbr {
    type Ctx = Ctx;
    type Output = BridgeAdded;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<BridgeAdded> {
        validate_ifname(&self.bridge)?;
        vnet_common::tags::check(self.tag.as_deref())?;
        let addrs: Vec<IpNet> = self.addrs.iter().map(|a| parse_cidr(a)).collect::<Result<_>>()?;
        let what = format!("add bridge '{}'", self.bridge);
        self.add(ctx, &addrs, journal).map_err(|e| e.context(what))
    }
}

impl Addbr {
    /// Creates the bridge over the blocking socket; only --addr and --up (configure) go through
    /// the async runtime.
    fn add(&self, ctx: &mut Ctx, addrs: &[IpNet], journal: &mut Journal) -> Result<BridgeAdded> {
        let (mut link, created) = self.create(&mut ctx.here()?, journal)?;
        // `addbr NAME` alone (brctl's line) has nothing to configure: its reads are skipped, one
        // link request of a one-shot that brctl does in one ioctl.
        let (mut added, mut upped) = (false, false);
        if !addrs.is_empty() || self.up {
            let configured =
                ctx.run(|at| async move { configure(&at, &link, addrs, self.up, journal).await })?;
            (added, upped) = configured;
            link = self.find(ctx.here()?.socket)?;
        }
        // A bridge just made down has no address (IPv6 gives one only when a link comes up):
        // nothing to ask the kernel.
        let current = match created && !self.up && addrs.is_empty() {
            true => vec![],
            false => ctx
                .here()?
                .socket
                .link_addresses(link.header.index)
                .context("list addresses")?,
        };
        Ok(BridgeAdded {
            name: self.bridge.clone(),
            changed: created || added || upped,
            up: link_is_up(&link),
            addresses: current.iter().filter_map(address_cidr).collect(),
        })
    }

    /// Creates the bridge (down, brctl's way) and returns it with true; with --exist-ok, an
    /// existing bridge with false. One request when the name is free: RTM_NEWLINK with
    /// NLM_F_EXCL, the new link read from the kernel's echo; the name is looked up only when the
    /// kernel says it is taken, to say by what.
    fn create(&self, at: &mut Here<'_>, journal: &mut Journal) -> Result<(LinkMessage, bool)> {
        let name = &self.bridge;
        let message = LinkMessageBuilder::<LinkBridge>::new(name).build();
        let taken = match at.socket.create_link(message) {
            Ok(echo) => {
                let ns = at.ns.map(str::to_string);
                let undo_name = name.clone();
                journal.record_fn(format!("create bridge '{name}'"), move || {
                    delete_by_name(&mut RouteSocket::open(ns.as_deref())?, &undo_name)
                })?;
                self.tag(at)?;
                let link = match echo {
                    Some(link) => link,
                    None => self.find(at.socket)?,
                };
                return Ok((link, true));
            }
            Err(e) if e.kind == ErrorKind::Exists => e,
            Err(e) => return Err(e),
        };
        let found = at
            .socket
            .link_named(name)
            .map_err(|e| e.context(format!("look up interface '{name}'")))?;
        match found {
            None => Err(taken),
            Some(link) if !is_bridge(&link) => Err(Error::exists(format!(
                "'{name}' exists and is not a bridge ({} link)",
                link_kind(&link).unwrap_or_else(|| "plain".into())
            ))),
            Some(_) if !self.exist_ok => Err(Error::exists(format!("bridge '{name}' already exists"))
                .with_hint("use --exist-ok to accept an existing bridge")),
            Some(link) => {
                check_tag(name, &link, self.tag.as_deref())?;
                Ok((link, false))
            }
        }
    }

    /// With --tag: tags the bridge just made (RTM_SETLINK by name with IFLA_IFALIAS).
    fn tag(&self, at: &mut Here<'_>) -> Result<()> {
        let Some(label) = self.tag.as_deref() else {
            return Ok(());
        };
        let mut message = LinkUnspec::new_with_name(&self.bridge).build();
        message
            .attributes
            .push(LinkAttribute::IfAlias(vnet_common::tags::alias_of(label)));
        at.socket
            .set_link(message)
            .map_err(|e| e.context(format!("tag interface '{}'", self.bridge)))
    }

    fn find(&self, socket: &mut RouteSocket) -> Result<LinkMessage> {
        socket
            .link_named(&self.bridge)
            .map_err(|e| e.context(format!("look up interface '{}'", self.bridge)))?
            .ok_or_else(|| Error::failed("the bridge vanished"))
    }
}

/// With --exist-ok and --tag: an existing bridge must have that tag (exit 4 naming the one it has).
fn check_tag(name: &str, link: &LinkMessage, asked: Option<&str>) -> Result<()> {
    let Some(asked) = asked else {
        return Ok(());
    };
    match vnet_common::tags::link_tag(link) {
        Some(has) if has == asked => Ok(()),
        Some(has) => Err(Error::exists(format!(
            "bridge '{name}' exists tagged '{has}', not '{asked}'"
        ))),
        None => Err(Error::exists(format!(
            "bridge '{name}' exists untagged, not tagged '{asked}'"
        ))),
    }
}

fn delete_by_name(socket: &mut RouteSocket, name: &str) -> Result<()> {
    let found = socket
        .link_named(name)
        .map_err(|e| e.context(format!("look up interface '{name}'")))?;
    match found {
        Some(link) => socket.delete_link(link.header.index),
        None => Ok(()),
    }
}

/// Adds the addresses the bridge lacks and brings it up if asked, recording each change.
/// Returns whether it added any address and whether it brought the bridge up.
async fn configure(
    at: &Scope<'_>,
    link: &LinkMessage,
    addrs: &[IpNet],
    up: bool,
    journal: &mut Journal,
) -> Result<(bool, bool)> {
    let (handle, index) = (&at.handle, link.header.index);
    let mut have: Vec<String> = match addrs.is_empty() {
        true => vec![],
        false => addresses_of(at.ns, index)?,
    }
    .iter()
    .filter_map(address_cidr)
    .collect();
    let mut added = false;
    for addr in addrs {
        if have.contains(&addr.to_string()) {
            continue;
        }
        add_address(handle, index, *addr).await?;
        let (handle, addr) = (handle.clone(), *addr);
        journal.record(format!("add address {addr}"), async move {
            del_address(&handle, index, addr).await
        })?;
        have.push(addr.to_string());
        added = true;
    }
    let upped = up && !link_is_up(link);
    if upped {
        kernel::set_up(handle, journal, "bring the bridge up".into(), index, true).await?;
    }
    Ok((added, upped))
}

/// Delete a bridge (brctl delbr).
///
/// Refuses a bridge that is up (exit 4), as brctl does, unless --force, which downs it first.
/// Exit 3 when missing (unless --missing-ok), 7 when NAME is not a bridge.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Delbr {
    /// The bridge.
    bridge: String,
    /// Succeed when the bridge does not exist.
    #[arg(long, visible_alias = "if-exists")]
    missing_ok: bool,
    /// Down the bridge first if it is up.
    #[arg(long)]
    force: bool,
}

/// The bridge delbr deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BridgeDeleted {
    /// The bridge's name.
    pub name: String,
    /// False when it did not exist (--missing-ok).
    pub changed: bool,
}

impl Render for BridgeDeleted {}

impl Verb for Delbr {
    type Ctx = Ctx;
    type Output = BridgeDeleted;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<BridgeDeleted> {
        validate_ifname(&self.bridge)?;
        let what = format!("delete bridge '{}'", self.bridge);
        let changed = ctx
            .here()
            .and_then(|mut at| self.delete(&mut at, journal))
            .map_err(|e| e.context(what))?;
        Ok(BridgeDeleted {
            name: self.bridge,
            changed,
        })
    }
}

impl Delbr {
    fn delete(&self, at: &mut Here<'_>, journal: &mut Journal) -> Result<bool> {
        let links = Links::named_now(at.socket, &[&self.bridge])?;
        let bridge = match links.bridge(&self.bridge, at.ns) {
            Ok(bridge) => bridge,
            Err(e) if e.kind == ErrorKind::NotFound && self.missing_ok => return Ok(false),
            Err(e) => return Err(e),
        };
        let index = bridge.header.index;
        if link_is_up(bridge) {
            if !self.force {
                return Err(Error::exists("bridge is up")
                    .with_hint("bring it down first, or use --force to down and delete it"));
            }
            set_up(at, journal, "bring the bridge down".into(), index, false)?;
        }
        at.socket.delete_link(index)?;
        journal.irreversible(format!("delete bridge '{}'", self.bridge))?;
        Ok(true)
    }
}
