//! What one target (the running network or the persistent definition) needs for an entry,
//! decided from that target's current entries.

use super::entry::{same_ip, same_mac, Entry};
use super::section::UpdateCommand;
use crate::xml::{DhcpHost, DnsHost, Range, Summary};
use vnet_common::error::quote;
use vnet_common::{Error, Result};

/// What to send libvirt for one target (the running network or the definition), decided from
/// that target's current entries.
// Short-lived (one per target and call): its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The target holds the result already.
    Nothing,
    /// Send `entry` with this command; `undo` is the command and entry that reverse it.
    Send {
        command: UpdateCommand,
        entry: Entry,
        undo: (UpdateCommand, Entry),
    },
}

fn same_host(a: &DhcpHost, b: &DhcpHost) -> bool {
    let mac = a.mac.as_ref().map(|m| m.to_lowercase()) == b.mac.as_ref().map(|m| m.to_lowercase());
    mac && a.id == b.id && a.name == b.name && (same_ip(&a.ip, &b.ip) || (a.ip.is_none() && b.ip.is_none()))
}

fn describe_host(h: &DhcpHost) -> String {
    let mut parts = Vec::new();
    if let Some(mac) = &h.mac {
        parts.push(format!("MAC {mac}"));
    }
    if let Some(id) = &h.id {
        parts.push(format!("id {id}"));
    }
    if let Some(ip) = &h.ip {
        parts.push(format!("IP {ip}"));
    }
    if let Some(name) = &h.name {
        parts.push(format!("name {}", quote(name)));
    }
    parts.join(", ")
}

fn same_dns(a: &DnsHost, b: &DnsHost) -> bool {
    let (mut x, mut y) = (a.hostnames.clone(), b.hostnames.clone());
    x.sort();
    y.sort();
    same_ip(&Some(a.ip.clone()), &Some(b.ip.clone())) && x == y
}

/// Decides what one target needs, refusing conflicts (exit 4) and missing entries (exit 3).
pub fn plan(entry: &Entry, command: UpdateCommand, current: &Summary, net: &str) -> Result<Plan> {
    use UpdateCommand::*;
    match (entry, command) {
        (Entry::Host(want), Add | AddFirst) => add_host(want, current, net),
        (Entry::Host(want), Modify) => modify_host(want, current, net),
        (Entry::Host(want), Delete) => delete_host(want, current, net),
        (Entry::Dns(want), Add | AddFirst) => add_dns(want, current, net),
        (Entry::Dns(want), Modify) => modify_dns(want, current, net),
        (Entry::Dns(want), Delete) => delete_dns(want, current, net),
        (Entry::Range(want), Add | AddFirst) => add_range(want, current, net),
        (Entry::Range(want), Modify | Delete) => delete_range(want, current, net),
    }
}

/// Send `entry` with `command`; `undo` reverses it.
fn send(command: UpdateCommand, entry: Entry, undo: (UpdateCommand, Entry)) -> Result<Plan> {
    Ok(Plan::Send { command, entry, undo })
}

/// An add, undone by a delete of the same entry.
fn add(entry: Entry) -> Result<Plan> {
    send(UpdateCommand::Add, entry.clone(), (UpdateCommand::Delete, entry))
}

/// A delete of what is there, undone by adding it back.
fn delete(entry: Entry) -> Result<Plan> {
    send(UpdateCommand::Delete, entry.clone(), (UpdateCommand::Add, entry))
}

fn add_host(want: &DhcpHost, current: &Summary, net: &str) -> Result<Plan> {
    if current.dhcp_hosts.iter().any(|h| same_host(h, want)) {
        return Ok(Plan::Nothing);
    }
    let clash = current
        .dhcp_hosts
        .iter()
        .find_map(|h| host_clash(h, want).map(|why| (why, h)));
    if let Some((why, h)) = clash {
        return Err(
            Error::exists(format!("network {net}: {why} ({})", describe_host(h)))
                .with_hint("delete that reservation first, or use 'update NET modify ip-dhcp-host'"),
        );
    }
    add(Entry::Host(want.clone()))
}

/// What of `want` the reservation `h` has already, if anything.
fn host_clash(h: &DhcpHost, want: &DhcpHost) -> Option<String> {
    if same_mac(&h.mac, &want.mac) {
        Some(format!(
            "MAC {} is already reserved",
            want.mac.as_deref().unwrap_or("")
        ))
    } else if same_ip(&h.ip, &want.ip) {
        Some(format!(
            "IP {} is already reserved",
            want.ip.as_deref().unwrap_or("")
        ))
    } else if want.name.is_some() && h.name == want.name {
        Some(format!(
            "name {} is already reserved",
            quote(want.name.as_deref().unwrap_or(""))
        ))
    } else {
        None
    }
}

/// The reservation a modify changes: by MAC (IPv4), else (IPv6, no MAC) by name, else by IP.
fn to_modify<'a>(want: &DhcpHost, current: &'a Summary) -> Option<&'a DhcpHost> {
    let hosts = || current.dhcp_hosts.iter().filter(|h| h.subnet == want.subnet);
    if want.mac.is_some() {
        return hosts().find(|h| same_mac(&h.mac, &want.mac));
    }
    hosts()
        .find(|h| want.name.is_some() && h.name == want.name)
        .or_else(|| hosts().find(|h| same_ip(&h.ip, &want.ip)))
}

fn modify_host(want: &DhcpHost, current: &Summary, net: &str) -> Result<Plan> {
    let Some(old) = to_modify(want, current) else {
        return Err(Error::not_found(format!(
            "network {net} has no DHCP host reservation for {}",
            describe_host(want)
        )));
    };
    let new = DhcpHost {
        subnet: old.subnet,
        mac: old.mac.clone(),
        id: want.id.clone().or_else(|| old.id.clone()),
        name: want.name.clone().or_else(|| old.name.clone()),
        ip: want.ip.clone().or_else(|| old.ip.clone()),
    };
    if same_host(old, &new) {
        return Ok(Plan::Nothing);
    }
    if let Some(other) = current
        .dhcp_hosts
        .iter()
        .filter(|h| *h != old)
        .find(|h| same_ip(&h.ip, &new.ip) || (new.name.is_some() && h.name == new.name))
    {
        return Err(Error::exists(format!(
            "network {net}: already reserved for another host ({})",
            describe_host(other)
        )));
    }
    let modify = UpdateCommand::Modify;
    send(modify, Entry::Host(new), (modify, Entry::Host(old.clone())))
}

fn delete_host(want: &DhcpHost, current: &Summary, net: &str) -> Result<Plan> {
    let found = current.dhcp_hosts.iter().find(|h| {
        (want.mac.is_none() || same_mac(&h.mac, &want.mac))
            && (want.id.is_none() || h.id == want.id)
            && (want.ip.is_none() || same_ip(&h.ip, &want.ip))
            && (want.name.is_none() || h.name == want.name)
    });
    match found {
        Some(h) => delete(Entry::Host(h.clone())),
        None => Err(Error::not_found(format!(
            "network {net} has no DHCP host reservation with {}",
            describe_host(want)
        ))),
    }
}

/// The DNS host entry for the same address as `want`'s.
fn dns_at<'a>(want: &DnsHost, current: &'a Summary) -> Option<&'a DnsHost> {
    current
        .dns_hosts
        .iter()
        .find(|h| same_ip(&Some(h.ip.clone()), &Some(want.ip.clone())))
}

fn add_dns(want: &DnsHost, current: &Summary, net: &str) -> Result<Plan> {
    if current.dns_hosts.iter().any(|h| same_dns(h, want)) {
        return Ok(Plan::Nothing);
    }
    let clash = dns_at(want, current).or_else(|| {
        current
            .dns_hosts
            .iter()
            .find(|h| h.hostnames.iter().any(|n| want.hostnames.contains(n)))
    });
    if let Some(h) = clash {
        return Err(Error::exists(format!(
            "network {net}: a DNS host entry has that address or name already ({} = {})",
            h.ip,
            h.hostnames.join(" ")
        )));
    }
    add(Entry::Dns(want.clone()))
}

fn modify_dns(want: &DnsHost, current: &Summary, net: &str) -> Result<Plan> {
    if current.dns_hosts.iter().any(|h| same_dns(h, want)) {
        return Ok(Plan::Nothing);
    }
    match dns_at(want, current) {
        Some(old) => {
            let modify = UpdateCommand::Modify;
            send(
                modify,
                Entry::Dns(want.clone()),
                (modify, Entry::Dns(old.clone())),
            )
        }
        None => Err(Error::not_found(format!(
            "network {net} has no DNS host entry for {}",
            want.ip
        ))),
    }
}

fn delete_dns(want: &DnsHost, current: &Summary, net: &str) -> Result<Plan> {
    let found = current.dns_hosts.iter().find(|h| {
        (want.ip.is_empty() || same_ip(&Some(h.ip.clone()), &Some(want.ip.clone())))
            && want.hostnames.iter().all(|n| h.hostnames.contains(n))
    });
    match found {
        Some(h) => delete(Entry::Dns(h.clone())),
        None => Err(Error::not_found(format!(
            "network {net} has no DNS host entry for {}",
            if want.ip.is_empty() {
                want.hostnames.join(" ")
            } else {
                want.ip.clone()
            }
        ))),
    }
}

fn ranges(current: &Summary) -> impl Iterator<Item = &Range> {
    current.ips.iter().flat_map(|ip| ip.ranges.iter())
}

fn add_range(want: &Range, current: &Summary, net: &str) -> Result<Plan> {
    if ranges(current).any(|r| r == want) {
        return Ok(Plan::Nothing);
    }
    if let Some(r) = ranges(current).find(|r| r.start <= want.end && want.start <= r.end) {
        return Err(Error::exists(format!(
            "network {net}: DHCP range {}-{} overlaps {}-{}",
            want.start, want.end, r.start, r.end
        )));
    }
    add(Entry::Range(*want))
}

/// A range is deleted (there is no modify, see `check_entry`).
fn delete_range(want: &Range, current: &Summary, net: &str) -> Result<Plan> {
    if ranges(current).any(|r| r == want) {
        delete(Entry::Range(*want))
    } else {
        Err(Error::not_found(format!(
            "network {net} has no DHCP range {}-{}",
            want.start, want.end
        )))
    }
}
