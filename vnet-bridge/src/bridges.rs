//! addbr and delbr: every input is checked against one link dump before the first change, and
//! each change is recorded in the journal as it is made, so a failure undoes the ones before it.

use crate::kernel::{delete_link, set_up};
use crate::model::Links;
use crate::{Ctx, Scope};
use ipnet::IpNet;
use netlink_packet_route::link::LinkMessage;
use rtnetlink::{Handle, LinkBridge, LinkMessageBuilder};
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::cidr::parse_cidr;
use vnet_common::links::{
    add_address, address_cidr, addresses_of, del_address, find_link, is_bridge, link_is_up, link_kind,
};
use vnet_common::names::validate_ifname;
use vnet_common::{Error, ErrorKind, Journal, Render, Result, Verb};

/// Create a bridge (brctl addbr), optionally giving it addresses and bringing it up.
///
/// The bridge is created down unless --up. With --addr the addresses are added in the same
/// step; if any step fails the bridge is deleted again. Exit 4 when NAME exists (with --exist-ok:
/// success when it is a bridge, "changed": false when it already is what was asked; missing --addr
/// addresses / --up are applied ("changed": true), and undone again if a later one fails; another
/// --tag than the bridge has is exit 4).
#[derive(Debug, clap::Args)]
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
        ctx.run(|at| self.add(at, &addrs, journal))
            .map_err(|e| e.context(what))
    }
}

impl Addbr {
    async fn add(&self, at: Scope<'_>, addrs: &[IpNet], journal: &mut Journal) -> Result<BridgeAdded> {
        let handle = &at.handle;
        let created = self.create(handle, journal).await?;
        let mut link = self.find(handle).await?;
        // `addbr NAME` alone (brctl's line) has nothing to configure: its reads are skipped, one
        // link request of a one-shot that brctl does in one ioctl.
        let (mut added, mut upped) = (false, false);
        if !addrs.is_empty() || self.up {
            (added, upped) = configure(&at, &link, addrs, self.up, journal).await?;
            link = self.find(handle).await?;
        }
        let current = addresses_of(at.ns, link.header.index)?;
        Ok(BridgeAdded {
            name: self.bridge.clone(),
            changed: created || added || upped,
            up: link_is_up(&link),
            addresses: current.iter().filter_map(address_cidr).collect(),
        })
    }

    /// Creates the bridge (down, brctl's way); false when --exist-ok accepts an existing one.
    async fn create(&self, handle: &Handle, journal: &mut Journal) -> Result<bool> {
        let name = &self.bridge;
        match find_link(handle, name).await? {
            Some(link) if !is_bridge(&link) => Err(Error::exists(format!(
                "'{name}' exists and is not a bridge ({} link)",
                link_kind(&link).unwrap_or_else(|| "plain".into())
            ))),
            Some(_) if !self.exist_ok => Err(Error::exists(format!("bridge '{name}' already exists"))
                .with_hint("use --exist-ok to accept an existing bridge")),
            Some(link) => {
                check_tag(name, &link, self.tag.as_deref())?;
                Ok(false)
            }
            None => {
                let message = LinkMessageBuilder::<LinkBridge>::new(name).build();
                handle.link().add(message).execute().await?;
                let tagger = handle.clone();
                let (handle, name) = (handle.clone(), name.clone());
                let undo = async move { delete_by_name(&handle, &name).await };
                journal.record(format!("create bridge '{}'", self.bridge), undo)?;
                vnet_common::tags::tag_link_opt(&tagger, &self.bridge, self.tag.as_deref()).await?;
                Ok(true)
            }
        }
    }

    async fn find(&self, handle: &Handle) -> Result<LinkMessage> {
        find_link(handle, &self.bridge)
            .await?
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

async fn delete_by_name(handle: &Handle, name: &str) -> Result<()> {
    match find_link(handle, name).await? {
        Some(link) => delete_link(handle, link.header.index).await,
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
        set_up(handle, journal, "bring the bridge up".into(), index, true).await?;
    }
    Ok((added, upped))
}

/// Delete a bridge (brctl delbr).
///
/// Refuses a bridge that is up (exit 4), as brctl does, unless --force, which downs it first.
/// Exit 3 when missing (unless --missing-ok), 7 when NAME is not a bridge.
#[derive(Debug, clap::Args)]
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
            .run(|at| self.delete(at, journal))
            .map_err(|e| e.context(what))?;
        Ok(BridgeDeleted {
            name: self.bridge,
            changed,
        })
    }
}

impl Delbr {
    async fn delete(&self, at: Scope<'_>, journal: &mut Journal) -> Result<bool> {
        let links = Links::named(&at.handle, &[&self.bridge]).await?;
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
            set_up(&at.handle, journal, "bring the bridge down".into(), index, false).await?;
        }
        delete_link(&at.handle, index).await?;
        journal.irreversible(format!("delete bridge '{}'", self.bridge))?;
        Ok(true)
    }
}
