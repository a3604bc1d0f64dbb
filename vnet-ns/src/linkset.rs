//! `link set` and `link del` on any link (host or -n NS, also links vnet did not create: a tap, a
//! bridge): up/down, MAC, MTU, rename, move into a namespace, delete. Every value is checked
//! before the first change; each change is its own request, journaled with the change that
//! undoes it, so a failure half-way puts back what was changed.

use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use rtnetlink::{Handle, LinkUnspec};
use schemars::JsonSchema;
use serde::Serialize;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use vnet_common::error::quote;
use vnet_common::links::{self, Interface};
use vnet_common::netlink::Netlink;
use vnet_common::{netns, Error, Journal, Result};

/// What `link set` or `link del` did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LinkChange {
    /// "set" or "del".
    pub action: String,
    /// The namespace the link is in now (after netns NS, that one); null for the current one.
    pub netns: Option<String>,
    /// The link after the change; for del, as it was before.
    pub interface: Option<Interface>,
    /// The changes made, in order, as ip words: "down", "address 02:42:ac:11:00:02", "mtu 1400",
    /// "name eth1", "up", "netns Blue", "promisc on", "learning off".
    pub changes: Vec<String>,
    pub changed: bool,
    /// ip -d's details of the link after the change (flags, txqlen, alias, a bridge's or bridge
    /// port's options); null for del.
    pub details: Option<crate::linkopts::LinkDetails>,
}

/// `link set [dev] IF ...` with every word checked.
#[derive(Debug, Default, PartialEq)]
pub struct SetSpec {
    pub dev: String,
    pub up: Option<bool>,
    pub mac: Option<String>,
    pub mtu: Option<u32>,
    pub name: Option<String>,
    pub netns: Option<String>,
    pub options: crate::linkopts::OptionsSpec,
    pub master: Option<Master>,
}

/// `master DEV` (a bridge or bond to join) or `nomaster` (leave it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Master {
    Join(String),
    Leave,
}

/// The master change of `master DEV` / `nomaster` (clap lets only the last of them stand).
pub fn master_change(master: Option<String>, nomaster: bool) -> Option<Master> {
    match (master, nomaster) {
        (Some(dev), _) => Some(Master::Join(dev)),
        (None, true) => Some(Master::Leave),
        (None, false) => None,
    }
}

fn u32_attr(link: &LinkMessage, pick: fn(&LinkAttribute) -> Option<u32>) -> Option<u32> {
    link.attributes.iter().find_map(pick)
}

/// Checks an MTU against the link's own range (IFLA_MIN_MTU..IFLA_MAX_MTU).
pub fn check_mtu(link: &LinkMessage, dev: &str, mtu: u32) -> Result<()> {
    let min = u32_attr(link, |a| match a {
        LinkAttribute::MinMtu(m) => Some(*m),
        _ => None,
    });
    let max = u32_attr(link, |a| match a {
        LinkAttribute::MaxMtu(m) => Some(*m),
        _ => None,
    });
    let (lo, hi) = (min.unwrap_or(68), max.filter(|m| *m > 0).unwrap_or(65535));
    if mtu < lo || mtu > hi {
        return Err(Error::invalid(format!(
            "link set {dev}: mtu {mtu} is outside the range {lo}..{hi} this link accepts"
        )));
    }
    Ok(())
}

/// The namespace file of the namespace a handle acts in, to move a link back into it.
fn ns_file(ns: Option<&str>) -> Result<File> {
    match ns {
        Some(name) => netns::open(name),
        None => File::open("/proc/self/ns/net").map_err(|e| Error::from(e).context("open /proc/self/ns/net")),
    }
}

async fn set(handle: &Handle, message: LinkMessage) -> Result<()> {
    handle.link().set(message).execute().await.map_err(Error::from)
}

async fn rename(handle: &Handle, index: u32, name: String) -> Result<()> {
    set(handle, LinkUnspec::new_with_index(index).name(name).build()).await
}

/// Moves the link called `name` (looked up in `from`) into the namespace open as `to`, taking the
/// name `rename` there if given: one request (IFLA_NET_NS_FD with IFLA_IFNAME), as ip sends it,
/// so the new name only has to be free in the target namespace.
async fn move_by_name(from: &Handle, name: &str, to: Rc<File>, rename: Option<String>) -> Result<()> {
    let link = links::require_link(from, name, None).await?;
    let message = LinkUnspec::new_with_index(link.header.index).setns_by_fd(to.as_raw_fd());
    let message = match rename {
        Some(new) => message.name(new),
        None => message,
    };
    set(from, message.build()).await
}

/// Applies a checked `link set`.
pub fn run_set(
    netlink: &mut Netlink,
    ns: Option<String>,
    spec: SetSpec,
    journal: &mut Journal,
) -> Result<LinkChange> {
    let what = format!("link set {}", spec.dev);
    let handle = netlink.handle(ns.as_deref())?;
    // The target namespace is opened before any change: a missing one is exit 3.
    let target = match &spec.netns {
        Some(t) if Some(t) != ns.as_ref() => {
            Some((t.clone(), netlink.handle(Some(t))?, Rc::new(netns::open(t)?)))
        }
        _ => None,
    };
    let home = Rc::new(ns_file(ns.as_deref())?);
    netlink.run(async {
        let link = links::require_link(&handle, &spec.dev, ns.as_deref())
            .await
            .map_err(|e| e.context(&what))?;
        let into = target.as_ref().map(|(t, thandle, _)| (t.as_str(), thandle));
        let final_name = check_set(&handle, &link, &spec, ns.as_deref(), into, &what).await?;
        spec.options.check(&link).map_err(|e| e.context(&what))?;
        let mut changes = vec![];
        // The move comes first, as the kernel does it for ip link set X netns NS up: a link moved
        // to another namespace arrives down, so the other changes are made there. A rename with
        // a move is part of the move's request; without one it is a request of its own.
        let (mut handle, mut link, mut now_in) = (handle.clone(), link, ns.clone());
        if final_name != spec.dev && target.is_none() {
            rename_journaled(&handle, &link, &spec.dev, &final_name, &what, journal).await?;
            changes.push(format!("name {final_name}"));
        }
        if let Some((t, thandle, tfile)) = &target {
            let renamed = (final_name != spec.dev).then(|| final_name.clone());
            let moved = Move {
                to: t,
                file: tfile.clone(),
                home: home.clone(),
                back: thandle.clone(),
            };
            changes.extend(move_journaled(&handle, &spec.dev, renamed, moved, &what, journal).await?);
            handle = thandle.clone();
            now_in = Some(t.clone());
            link = links::require_link(&handle, &final_name, now_in.as_deref()).await?;
        }
        let index = link.header.index;
        let was_up = links::link_is_up(&link);
        if spec.up == Some(false) && was_up {
            set_up_journaled(&handle, index, false, &what, journal).await?;
            changes.push("down".to_string());
        }
        if let Some(mac) = &spec.mac {
            changes.extend(set_mac(&handle, &link, mac, &what, journal).await?);
        }
        if let Some(mtu) = spec.mtu {
            changes.extend(set_mtu(&handle, &link, mtu, &what, journal).await?);
        }
        if let Some(master) = &spec.master {
            changes.extend(set_master(&handle, &link, master, now_in.as_deref(), &what, journal).await?);
        }
        changes.extend(crate::linkopts::apply(&handle, &link, &spec.options, &what, journal).await?);
        if spec.up == Some(true) && !was_up {
            set_up_journaled(&handle, index, true, &what, journal).await?;
            changes.push("up".to_string());
        }
        let interface = describe(&handle, &final_name, now_in.as_deref()).await?;
        let details = crate::linkopts::details(&handle, &final_name, now_in.as_deref()).await?;
        Ok(LinkChange {
            action: "set".into(),
            netns: now_in,
            interface: Some(interface),
            changed: !changes.is_empty(),
            changes,
            details: Some(details),
        })
    })
}

/// Where `link set ... netns NS` moves a link: the target's name and namespace file, and how
/// the undo finds it there (the target's handle) and moves it back (the home namespace file).
struct Move<'a> {
    to: &'a str,
    file: Rc<File>,
    home: Rc<File>,
    back: Handle,
}

/// Moves link `dev` into another namespace, renamed to `renamed` in the same request as ip does,
/// journaling the move back under its old name (one request too). Returns the changes as ip
/// words them.
async fn move_journaled(
    handle: &Handle,
    dev: &str,
    renamed: Option<String>,
    moved: Move<'_>,
    what: &str,
    journal: &mut Journal,
) -> Result<Vec<String>> {
    let t = moved.to;
    let step = match &renamed {
        Some(new) => format!("{what} netns {t} name {new}"),
        None => format!("{what} netns {t}"),
    };
    move_by_name(handle, dev, moved.file, renamed.clone())
        .await
        .map_err(|e| e.context(&step))?;
    let name = renamed.clone().unwrap_or_else(|| dev.to_string());
    let old_name = renamed.as_ref().map(|_| dev.to_string());
    let (undo, home) = (moved.back, moved.home);
    journal.record(
        step,
        async move { move_by_name(&undo, &name, home, old_name).await },
    )?;
    let mut changes = vec![format!("netns {t}")];
    changes.extend(renamed.map(|new| format!("name {new}")));
    Ok(changes)
}

/// Sets link `index` up or down, journaling the opposite.
async fn set_up_journaled(
    handle: &Handle,
    index: u32,
    up: bool,
    what: &str,
    journal: &mut Journal,
) -> Result<()> {
    links::set_up(handle, index, up)
        .await
        .map_err(|e| e.context(what))?;
    let undo = handle.clone();
    let word = if up { "up" } else { "down" };
    journal.record(format!("{what} {word}"), async move {
        links::set_up(&undo, index, !up).await
    })
}

/// Renames `link` (called `dev`) to `new`, journaling the rename back.
async fn rename_journaled(
    handle: &Handle,
    link: &LinkMessage,
    dev: &str,
    new: &str,
    what: &str,
    journal: &mut Journal,
) -> Result<()> {
    rename(handle, link.header.index, new.to_string())
        .await
        .map_err(|e| e.context(format!("{what} name {new}")))?;
    let (undo, back, name) = (handle.clone(), dev.to_string(), new.to_string());
    journal.record(format!("{what} name {new}"), async move {
        // Back in its first namespace by now (undo runs last first): found by name.
        let link = links::require_link(&undo, &name, None).await?;
        rename(&undo, link.header.index, back).await
    })
}

/// Checks a `link set` before its first change: the MTU, and that neither the new name nor the
/// target namespace (`into`) already has a link of the final name. Returns that final name.
async fn check_set(
    handle: &Handle,
    link: &LinkMessage,
    spec: &SetSpec,
    ns: Option<&str>,
    into: Option<(&str, &Handle)>,
    what: &str,
) -> Result<String> {
    if let Some(mtu) = spec.mtu {
        check_mtu(link, &spec.dev, mtu)?;
    }
    // With a move the new name is taken in the target namespace (one request, as ip does), so
    // only a rename in place needs the name free here.
    if let Some(new) = spec.name.as_ref().filter(|_| into.is_none()) {
        if new != &spec.dev && links::find_link(handle, new).await?.is_some() {
            return Err(Error::exists(format!(
                "{what}: cannot rename to {}: an interface of that name exists in {}",
                quote(new),
                netns::describe(ns)
            )));
        }
    }
    if let Some(Master::Join(master)) = &spec.master {
        let (mhandle, mns) = into.map_or((handle, ns), |(t, thandle)| (thandle, Some(t)));
        master_index(mhandle, master, mns, what).await?;
    }
    let final_name = spec.name.clone().unwrap_or_else(|| spec.dev.clone());
    if let Some((t, thandle)) = into {
        if links::find_link(thandle, &final_name).await?.is_some() {
            return Err(Error::exists(format!(
                "{what}: namespace '{t}' already has an interface called {}",
                quote(&final_name)
            )));
        }
    }
    Ok(final_name)
}

/// Sets the link's MAC unless it has it already; the change as ip words when one was made.
async fn set_mac(
    handle: &Handle,
    link: &LinkMessage,
    mac: &str,
    what: &str,
    journal: &mut Journal,
) -> Result<Option<String>> {
    let index = link.header.index;
    let old = links::link_mac(link);
    if old.as_deref() == Some(mac) {
        return Ok(None);
    }
    let bytes = vnet_common::mac::parse_mac(mac)?.to_vec();
    set(handle, LinkUnspec::new_with_index(index).address(bytes).build())
        .await
        .map_err(|e| e.context(format!("{what} address {mac}")))?;
    if let Some(old) = old {
        let undo = handle.clone();
        let old_bytes = vnet_common::mac::parse_mac(&old)?.to_vec();
        journal.record(format!("{what} address {mac}"), async move {
            set(
                &undo,
                LinkUnspec::new_with_index(index).address(old_bytes).build(),
            )
            .await
        })?;
    }
    Ok(Some(format!("address {mac}")))
}

/// Sets the link's MTU unless it has it already; the change as ip words when one was made.
async fn set_mtu(
    handle: &Handle,
    link: &LinkMessage,
    mtu: u32,
    what: &str,
    journal: &mut Journal,
) -> Result<Option<String>> {
    let index = link.header.index;
    let old = links::link_mtu(link);
    if old == Some(mtu) {
        return Ok(None);
    }
    set(handle, LinkUnspec::new_with_index(index).mtu(mtu).build())
        .await
        .map_err(|e| e.context(format!("{what} mtu {mtu}")))?;
    if let Some(old) = old {
        let undo = handle.clone();
        journal.record(format!("{what} mtu {mtu}"), async move {
            set(&undo, LinkUnspec::new_with_index(index).mtu(old).build()).await
        })?;
    }
    Ok(Some(format!("mtu {mtu}")))
}

/// The index of the bridge or bond `master` names (exit 3 when there is none).
async fn master_index(handle: &Handle, master: &str, ns: Option<&str>, what: &str) -> Result<u32> {
    match links::find_link(handle, master).await? {
        Some(link) => Ok(link.header.index),
        None => Err(Error::not_found(format!(
            "{what}: master {} not found in {}",
            quote(master),
            netns::describe(ns)
        ))),
    }
}

/// Sets or clears the link's master (IFLA_MASTER: a bridge port, a bond slave) unless it is so
/// already, journaling the old master back; the change as ip words it when one was made.
async fn set_master(
    handle: &Handle,
    link: &LinkMessage,
    master: &Master,
    ns: Option<&str>,
    what: &str,
    journal: &mut Journal,
) -> Result<Option<String>> {
    let index = link.header.index;
    let old = links::link_master(link);
    let (new, word) = match master {
        Master::Join(dev) => (
            Some(master_index(handle, dev, ns, what).await?),
            format!("master {dev}"),
        ),
        Master::Leave => (None, "nomaster".to_string()),
    };
    if old == new {
        return Ok(None);
    }
    set(handle, master_message(index, new))
        .await
        .map_err(|e| e.context(format!("{what} {word}")))?;
    let undo = handle.clone();
    journal.record(format!("{what} {word}"), async move {
        set(&undo, master_message(index, old)).await
    })?;
    Ok(Some(word))
}

/// The request that makes link `index` a port of `master` (None: of no master).
fn master_message(index: u32, master: Option<u32>) -> LinkMessage {
    let message = LinkUnspec::new_with_index(index);
    match master {
        Some(master) => message.controller(master).build(),
        None => message.nocontroller().build(),
    }
}

/// Deletes a link (a veth's peer goes with it); --missing-ok accepts a missing one.
pub fn run_del(
    netlink: &mut Netlink,
    ns: Option<String>,
    dev: String,
    missing_ok: bool,
    journal: &mut Journal,
) -> Result<LinkChange> {
    let handle = netlink.handle(ns.as_deref())?;
    let what = format!("link del {dev}");
    netlink.run(async {
        let mut result = LinkChange {
            action: "del".into(),
            netns: ns.clone(),
            interface: None,
            changes: vec![],
            changed: false,
            details: None,
        };
        let Some(link) = links::find_link(&handle, &dev).await? else {
            if missing_ok {
                return Ok(result);
            }
            return Err(Error::not_found(format!(
                "{what}: interface '{dev}' not found in {}",
                netns::describe(ns.as_deref())
            ))
            .with_hint("pass --missing-ok to accept a missing link"));
        };
        let interface = describe(&handle, &dev, ns.as_deref()).await?;
        handle
            .link()
            .del(link.header.index)
            .execute()
            .await
            .map_err(|e| Error::from(e).context(&what))?;
        journal.irreversible(&what)?;
        result.interface = Some(interface);
        result.changes.push("del".into());
        result.changed = true;
        Ok(result)
    })
}

async fn describe(handle: &Handle, name: &str, ns: Option<&str>) -> Result<Interface> {
    let link = links::require_link(handle, name, ns).await?;
    links::interface_of(handle, ns, &link).await
}
