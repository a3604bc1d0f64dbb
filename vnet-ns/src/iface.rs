//! show, link, addr: one namespace's interfaces and single changes to them.

use crate::cli::LinkState;
use serde_json::Value;
use vnet_common::cidr::parse_cidr;
use vnet_common::names::{validate_ifname, validate_netns_name};
use vnet_common::netlink::Netlink;
use vnet_common::{links, Error, ErrorKind, Outcome, Result};

pub fn show(netlink: &mut Netlink, name: &str) -> Result<Outcome> {
    validate_netns_name(name)?;
    let handle = netlink.handle(Some(name))?;
    let interfaces = netlink.run(async {
        let all = links::list_links(&handle).await?;
        let addrs = links::list_addresses(&handle, None).await?;
        Ok::<_, Error>(
            all.iter()
                .map(|l| links::link_json(l, &addrs, &all))
                .collect::<Vec<_>>(),
        )
    })?;
    let text: String = interfaces.iter().map(brief_line).collect();
    Ok(Outcome::new(Value::Array(interfaces), text))
}

/// One line per interface, like `ip -br addr` with the MAC and MTU added.
fn brief_line(link: &Value) -> String {
    let addrs: Vec<&str> = link["addresses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    format!(
        "{:<16} {:<14} {:<17} mtu {:<5} {}\n",
        link["name"].as_str().unwrap_or(""),
        link["state"].as_str().unwrap_or(""),
        link["mac"].as_str().unwrap_or("-"),
        link["mtu"],
        addrs.join(" ")
    )
}

/// The interface's JSON after a change, with "changed" added.
fn current(
    netlink: &Netlink,
    handle: &rtnetlink::Handle,
    ns: &str,
    iface: &str,
    changed: bool,
) -> Result<Value> {
    netlink.run(async {
        let all = links::list_links(handle).await?;
        let link = links::require_link(handle, iface, Some(ns)).await?;
        let addrs = links::list_addresses(handle, Some(link.header.index)).await?;
        let mut json = links::link_json(&link, &addrs, &all);
        json["changed"] = Value::Bool(changed);
        Ok(json)
    })
}

pub fn set_link(netlink: &mut Netlink, ns: &str, iface: &str, state: LinkState) -> Result<Outcome> {
    validate_netns_name(ns)?;
    validate_ifname(iface)?;
    let handle = netlink.handle(Some(ns))?;
    let up = state == LinkState::Up;
    let changed = netlink.run(async {
        let link = links::require_link(&handle, iface, Some(ns)).await?;
        let changed = links::link_is_up(&link) != up;
        links::set_up(&handle, link.header.index, up).await?;
        Ok::<_, Error>(changed)
    });
    let changed = changed
        .map_err(|e| e.context(format!("set {iface} {state:?} in namespace '{ns}'").to_lowercase()))?;
    Ok(Outcome::quiet(current(netlink, &handle, ns, iface, changed)?))
}

pub fn addr(netlink: &mut Netlink, ns: &str, iface: &str, cidr: &str, delete: bool) -> Result<Outcome> {
    validate_netns_name(ns)?;
    validate_ifname(iface)?;
    let net = parse_cidr(cidr)?;
    let handle = netlink.handle(Some(ns))?;
    let done = netlink.run(async {
        let link = links::require_link(&handle, iface, Some(ns)).await?;
        if delete {
            links::del_address(&handle, link.header.index, net).await
        } else {
            links::add_address(&handle, link.header.index, net).await
        }
    });
    let what = if delete { "delete" } else { "add" };
    done.map_err(|e| match e.kind {
        ErrorKind::Exists => Error::exists(format!(
            "{what} {net} on {iface} in namespace '{ns}': already assigned"
        )),
        _ => e.context(format!("{what} address on {iface} in namespace '{ns}'")),
    })?;
    Ok(Outcome::quiet(current(netlink, &handle, ns, iface, true)?))
}
