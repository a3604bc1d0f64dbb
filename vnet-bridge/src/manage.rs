//! addbr, delbr, addif, delif: every input is checked against one link dump before the first
//! change, and a verb that fails half-way undoes what it did.

use crate::model::{is_bridge, Links};
use crate::moveaddr;
use ipnet::IpNet;
use netlink_packet_route::link::LinkMessage;
use rtnetlink::{Handle, LinkBridge, LinkMessageBuilder, LinkUnspec};
use serde_json::json;
use vnet_common::cidr::parse_cidr;
use vnet_common::links::{
    add_address, address_cidr, find_link, link_is_up, link_kind, link_master, link_name, list_addresses,
    set_up,
};
use vnet_common::names::validate_ifname;
use vnet_common::{Context, Error, Outcome, Result};

pub struct Addbr<'a> {
    pub name: &'a str,
    pub exist_ok: bool,
    pub addrs: &'a [String],
    pub up: bool,
}

pub async fn addbr(handle: &Handle, req: Addbr<'_>) -> Result<Outcome> {
    let name = req.name;
    validate_ifname(name)?;
    let addrs: Vec<IpNet> = req.addrs.iter().map(|a| parse_cidr(a)).collect::<Result<_>>()?;
    let what = format!("add bridge '{name}'");
    let existing = Links::load(handle).await?.by_name(name).cloned();
    let created = match &existing {
        Some(link) if !is_bridge(link) => {
            return Err(Error::exists(format!(
                "{what}: '{name}' exists and is not a bridge ({} link)",
                link_kind(link).unwrap_or_else(|| "plain".into())
            )))
        }
        Some(_) if !req.exist_ok => {
            return Err(Error::exists(format!("{what}: bridge '{name}' already exists"))
                .with_hint("use --exist-ok to accept an existing bridge"))
        }
        Some(_) => false,
        None => {
            // Created down (brctl's way); --up is a separate step so a failed address can be undone.
            let message = LinkMessageBuilder::<LinkBridge>::new(name).build();
            handle.link().add(message).execute().await.context(&what)?;
            true
        }
    };
    let result = configure_new_bridge(handle, name, &addrs, req.up).await;
    let (added, upped) = match result {
        Ok(done) => done,
        Err(e) => {
            // Undo: delete what we created; on an existing bridge remove only what we added.
            let mut e = e.context(&what);
            if created {
                if let Err(undo) = delete_by_name(handle, name).await {
                    e.message
                        .push_str(&format!("; could not delete the new bridge: {}", undo.message));
                }
            }
            return Err(e);
        }
    };
    let link = find_link(handle, name)
        .await?
        .ok_or_else(|| Error::failed(format!("{what}: bridge vanished")))?;
    let current = list_addresses(handle, Some(link.header.index)).await?;
    let addresses: Vec<String> = current.iter().filter_map(address_cidr).collect();
    Ok(Outcome::quiet(json!({
        "name": name,
        "changed": created || !added.is_empty() || upped,
        "up": link_is_up(&link),
        "addresses": addresses,
    })))
}

async fn delete_by_name(handle: &Handle, name: &str) -> Result<()> {
    match find_link(handle, name).await? {
        Some(link) => handle
            .link()
            .del(link.header.index)
            .execute()
            .await
            .map_err(Error::from),
        None => Ok(()),
    }
}

/// Adds the addresses the bridge lacks and brings it up if asked. Returns what it changed; on
/// failure removes the addresses it added.
async fn configure_new_bridge(
    handle: &Handle,
    name: &str,
    addrs: &[IpNet],
    up: bool,
) -> Result<(Vec<IpNet>, bool)> {
    let link = find_link(handle, name)
        .await?
        .ok_or_else(|| Error::failed("bridge vanished"))?;
    let index = link.header.index;
    let have: Vec<String> = list_addresses(handle, Some(index))
        .await?
        .iter()
        .filter_map(address_cidr)
        .collect();
    let mut added = Vec::new();
    for addr in addrs {
        if have.contains(&addr.to_string()) || added.contains(addr) {
            continue;
        }
        if let Err(e) = add_address(handle, index, *addr).await {
            for done in &added {
                let _ = vnet_common::links::del_address(handle, index, *done).await;
            }
            return Err(e);
        }
        added.push(*addr);
    }
    let upped = up && !link_is_up(&link);
    if upped {
        if let Err(e) = set_up(handle, index, true).await.context("bring it up") {
            for done in &added {
                let _ = vnet_common::links::del_address(handle, index, *done).await;
            }
            return Err(e);
        }
    }
    Ok((added, upped))
}

pub async fn delbr(
    handle: &Handle,
    ns: Option<&str>,
    name: &str,
    missing_ok: bool,
    force: bool,
) -> Result<Outcome> {
    validate_ifname(name)?;
    let what = format!("delete bridge '{name}'");
    let links = Links::load(handle).await?;
    let bridge = match links.bridge(name, ns) {
        Ok(b) => b,
        Err(e) if e.kind == vnet_common::ErrorKind::NotFound && missing_ok => {
            return Ok(Outcome::quiet(json!({"name": name, "changed": false})))
        }
        Err(e) => return Err(e.context(&what)),
    };
    let index = bridge.header.index;
    if link_is_up(bridge) {
        if !force {
            return Err(Error::exists(format!("{what}: bridge is up"))
                .with_hint("bring it down first, or use --force to down and delete it"));
        }
        set_up(handle, index, false).await.context(&what)?;
    }
    handle.link().del(index).execute().await.context(&what)?;
    Ok(Outcome::quiet(json!({"name": name, "changed": true})))
}

pub struct Addif<'a> {
    pub bridge: &'a str,
    pub interfaces: &'a [String],
    pub force: bool,
    pub move_addresses: bool,
}

pub async fn addif(handle: &Handle, ns: Option<&str>, req: Addif<'_>) -> Result<Outcome> {
    let what = format!("add to bridge '{}'", req.bridge);
    if req.move_addresses && req.interfaces.len() != 1 {
        return Err(Error::new(
            vnet_common::ErrorKind::Usage,
            format!("{what}: --move-addresses takes exactly one interface"),
        ));
    }
    let links = Links::load(handle).await?;
    let bridge = links.bridge(req.bridge, ns).map_err(|e| e.context(&what))?;
    let mut todo = Vec::new();
    for name in req.interfaces {
        let link = links.interface(name, ns).map_err(|e| e.context(&what))?;
        if check_enslave(&links, bridge, link, req.force).map_err(|e| e.context(&what))? {
            todo.push(link.clone());
        }
    }
    let mut json = json!({
        "bridge": req.bridge,
        "interfaces": req.interfaces,
        "added": todo.iter().map(link_name).collect::<Vec<_>>(),
        "changed": !todo.is_empty(),
    });
    if req.move_addresses {
        let nic = links.interface(&req.interfaces[0], ns)?;
        let moved = moveaddr::move_to_bridge(handle, bridge, nic, !todo.is_empty())
            .await
            .map_err(|e| e.context(format!("{what} with --move-addresses")))?;
        json["changed"] = json!(moved.changed);
        json["moved"] = moved.json;
        return Ok(Outcome::quiet(json));
    }
    enslave_all(handle, bridge, &links, &todo).await.context(&what)?;
    Ok(Outcome::quiet(json))
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

/// Enslaves every link of `todo`; on failure puts the ones done back where they were.
async fn enslave_all(
    handle: &Handle,
    bridge: &LinkMessage,
    links: &Links,
    todo: &[LinkMessage],
) -> Result<()> {
    let mut done: Vec<&LinkMessage> = Vec::new();
    for link in todo {
        if let Err(e) = set_master(handle, link.header.index, bridge.header.index).await {
            for undo in done.iter().rev() {
                let previous = link_master(undo)
                    .filter(|m| links.by_index(*m).is_some())
                    .unwrap_or(0);
                let _ = set_master(handle, undo.header.index, previous).await;
            }
            return Err(e.context(format!("enslave '{}'", link_name(link))));
        }
        done.push(link);
    }
    Ok(())
}

/// Sets (or with 0 clears) the master of a link: `ip link set IF master BR` / `nomaster`.
pub async fn set_master(handle: &Handle, index: u32, master: u32) -> Result<()> {
    let message = LinkUnspec::new_with_index(index).controller(master).build();
    handle.link().set(message).execute().await.map_err(Error::from)
}

pub async fn delif(
    handle: &Handle,
    ns: Option<&str>,
    bridge: &str,
    interfaces: &[String],
    missing_ok: bool,
) -> Result<Outcome> {
    let what = format!("remove from bridge '{bridge}'");
    let links = Links::load(handle).await?;
    let br = links.bridge(bridge, ns).map_err(|e| e.context(&what))?;
    let mut todo = Vec::new();
    for name in interfaces {
        match links.port(br, name, ns) {
            Ok(port) => todo.push(port.clone()),
            Err(e) if missing_ok && links.by_name(name).is_some() => drop(e),
            Err(e) => return Err(e.context(&what)),
        }
    }
    let mut done: Vec<&LinkMessage> = Vec::new();
    for port in &todo {
        if let Err(e) = set_master(handle, port.header.index, 0).await {
            for undo in done.iter().rev() {
                let _ = set_master(handle, undo.header.index, br.header.index).await;
            }
            return Err(e.context(format!("{what}: release '{}'", link_name(port))));
        }
        done.push(port);
    }
    let removed: Vec<String> = todo.iter().map(link_name).collect();
    Ok(Outcome::quiet(json!({
        "bridge": bridge,
        "interfaces": interfaces,
        "removed": removed,
        "changed": !removed.is_empty(),
    })))
}
