//! The entry `update` is given (flags, or virsh's entry XML), checked against the network's
//! definition before anything changes, and written as the XML libvirt's net-update takes.

use super::section::{Section, UpdateCommand};
use crate::spec;
use crate::xml::{DhcpHost, DnsHost, IpDef, Range, Summary};
use serde::Deserialize;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::libvirt::document;
use vnet_common::libvirt::network as model;
use vnet_common::mac::parse_unicast_mac;
use vnet_common::{Error, Result};

/// One entry of a section, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Host(DhcpHost),
    Dns(DnsHost),
    Range(Range),
}

/// The entry `update` was given, before it is checked against the network: each field as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Given {
    pub mac: Option<String>,
    pub id: Option<String>,
    /// virsh's --parent-index: which `<ip>` element (in document order) holds the entry.
    pub parent_index: Option<usize>,
    pub ip: Option<String>,
    pub name: Option<String>,
    pub hostnames: Vec<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

/// virsh's entry XML: `<host mac= name= ip=/>`, `<host ip=><hostname>..</hostname></host>`,
/// `<range start= end=/>`. Stricter than a network document: an attribute or element the section
/// does not have is refused (exit 7), not skipped.
pub fn parse_entry_xml(text: &str, section: Section) -> Result<Given> {
    let bad = |why: String| Error::invalid(format!("{} entry XML: {why}", section.as_str()));
    let given = match section {
        Section::IpDhcpHost | Section::DnsHost => {
            let host: HostEntry = document::read(text, "host").map_err(|e| bad(e.message))?;
            if section == Section::IpDhcpHost && !host.hostname.is_empty() {
                return Err(bad("unexpected element <hostname>".into()));
            }
            let hostnames: Vec<String> = host.hostname.iter().map(|n| n.trim().to_string()).collect();
            if hostnames.iter().any(String::is_empty) {
                return Err(bad("empty <hostname>".into()));
            }
            Given {
                mac: host.mac,
                id: host.id,
                ip: host.ip,
                name: host.name,
                hostnames,
                ..Given::default()
            }
        }
        Section::IpDhcpRange => {
            let range: RangeEntry = document::read(text, "range").map_err(|e| bad(e.message))?;
            Given {
                start: range.start,
                end: range.end,
                ..Given::default()
            }
        }
    };
    Ok(given)
}

/// `<host>` as net-update takes it, for either host section.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HostEntry {
    #[serde(rename = "@mac")]
    mac: Option<String>,
    #[serde(rename = "@id")]
    id: Option<String>,
    #[serde(rename = "@ip")]
    ip: Option<String>,
    #[serde(rename = "@name")]
    name: Option<String>,
    #[serde(default)]
    hostname: Vec<String>,
}

/// `<range>` as net-update takes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeEntry {
    #[serde(rename = "@start")]
    start: Option<String>,
    #[serde(rename = "@end")]
    end: Option<String>,
}

/// The `<ip>` element libvirt's net-update works on for DHCP (parentIndex -1): the first one with
/// DHCP ranges or hosts, else the first IPv4 one, else the first IPv6 one.
pub fn dhcp_ip(summary: &Summary) -> Option<&IpDef> {
    summary
        .ips
        .iter()
        .find(|ip| !ip.ranges.is_empty() || summary.dhcp_hosts.iter().any(|h| h.subnet == Some(ip.address)))
        .or_else(|| summary.ips.iter().find(|ip| ip.address.addr().is_ipv4()))
        .or_else(|| summary.ips.first())
}

/// The `<ip>` element (with its index in document order, what libvirt's parentIndex counts) that
/// holds a DHCP entry: the one --parent-index names; else libvirt's own choice ([`dhcp_ip`])
/// when it is of the entry's family, else the first of that family with DHCP, else the first of
/// that family. None when there is none.
pub fn dhcp_parent(summary: &Summary, ipv4: Option<bool>, index: Option<usize>) -> Option<(usize, &IpDef)> {
    let position = |ip: &IpDef| summary.ips.iter().position(|i| i == ip);
    if let Some(n) = index {
        return summary.ips.get(n).map(|ip| (n, ip));
    }
    let default = dhcp_ip(summary)?;
    let chosen = match ipv4 {
        Some(v4) if default.address.addr().is_ipv4() != v4 => {
            let family = |ip: &&IpDef| ip.address.addr().is_ipv4() == v4;
            let has_dhcp = |ip: &&IpDef| {
                !ip.ranges.is_empty() || summary.dhcp_hosts.iter().any(|h| h.subnet == Some(ip.address))
            };
            let mut of_family = summary.ips.iter().filter(family);
            summary
                .ips
                .iter()
                .filter(family)
                .find(has_dhcp)
                .or_else(|| of_family.next())?
        }
        _ => default,
    };
    position(chosen).map(|n| (n, chosen))
}

/// A DHCP client's DUID as libvirt takes it: hex bytes (one or two digits) separated by ':'.
pub fn validate_duid(text: &str) -> Result<String> {
    let groups: Vec<&str> = text.split(':').collect();
    let ok = groups.len() >= 2
        && groups
            .iter()
            .all(|g| (1..=2).contains(&g.len()) && g.chars().all(|c| c.is_ascii_hexdigit()));
    if ok {
        Ok(text.to_string())
    } else {
        Err(Error::invalid(format!(
            "invalid --id {}: a DUID is hex bytes separated by ':' (0:3:0:1:52:54:0:0:0:10)",
            quote(text)
        )))
    }
}

pub fn parse_addr(text: &str, what: &str) -> Result<IpAddr> {
    text.trim()
        .parse()
        .map_err(|_| Error::invalid(format!("invalid {what} {}: not an IP address", quote(text))))
}

/// A DHCP or DNS host name: 1..=253 bytes of letters, digits, '-', '_' and '.', not starting with
/// '-' or '.'.
pub fn validate_host_name(name: &str, what: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && !name.starts_with(['-', '.'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "invalid {what} {}: a host name is letters, digits, '-', '_' and '.'",
            quote(name)
        )))
    }
}

/// A DNS host name: a host name, or a wildcard one (`*.apps.example.com`: `*` as the whole first
/// label), which libvirt's net-update takes too.
pub fn validate_dns_host_name(name: &str, what: &str) -> Result<()> {
    let rest = name.strip_prefix("*.").unwrap_or(name);
    validate_host_name(rest, what).map_err(|_| {
        Error::invalid(format!(
            "invalid {what} {}: a host name is letters, digits, '-', '_' and '.' (a wildcard: '*.' first)",
            quote(name)
        ))
    })
}

/// A reserved address must be a guest's: inside the subnet, not its network or broadcast address,
/// not the host's own address on the network.
pub fn check_in_subnet(addr: IpAddr, ip: &IpDef, net: &str) -> Result<()> {
    let subnet = ip.address.trunc();
    if !subnet.contains(&addr) {
        return Err(Error::invalid(format!(
            "{addr} is outside network {net}'s subnet {subnet}"
        )));
    }
    let small = subnet.prefix_len() >= if addr.is_ipv4() { 31 } else { 127 };
    if !small && (addr == subnet.network() || (addr.is_ipv4() && addr == subnet.broadcast())) {
        return Err(Error::invalid(format!(
            "{addr} is the network or broadcast address of {subnet}"
        )));
    }
    if addr == ip.address.addr() {
        return Err(Error::invalid(format!(
            "{addr} is the host's own address on network {net}"
        )));
    }
    Ok(())
}

/// Turns what was given into the entry for `command`, checked against the network's definition
/// (exit 7 for anything wrong with it, before any change).
pub fn check_entry(
    given: &Given,
    section: Section,
    command: UpdateCommand,
    summary: &Summary,
    net: &str,
) -> Result<Entry> {
    match section {
        Section::IpDhcpHost => check_dhcp_host(given, command, summary, net).map(Entry::Host),
        Section::DnsHost => check_dns_host(given, command).map(Entry::Dns),
        Section::IpDhcpRange => check_dhcp_range(given, command, summary, net).map(Entry::Range),
    }
}

/// Refuses the first flag set that the section has no use for.
fn refuse_unused(section: Section, flags: &[(&str, bool)]) -> Result<()> {
    match flags.iter().find(|(_, set)| *set) {
        Some((flag, _)) => Err(Error::invalid(format!(
            "{flag} does not apply to {}",
            section.as_str()
        ))),
        None => Ok(()),
    }
}

fn check_dhcp_host(given: &Given, command: UpdateCommand, summary: &Summary, net: &str) -> Result<DhcpHost> {
    refuse_unused(
        Section::IpDhcpHost,
        &[
            ("--hostname", !given.hostnames.is_empty()),
            ("--start", given.start.is_some()),
            ("--end", given.end.is_some()),
        ],
    )?;
    let mac = given.mac.as_deref().map(parse_unicast_mac).transpose()?;
    let id = given.id.as_deref().map(validate_duid).transpose()?;
    if let Some(name) = &given.name {
        validate_host_name(name, "--name")?;
    }
    let ip = given.ip.as_deref().map(|t| parse_addr(t, "--ip")).transpose()?;
    // No <ip> of the address's family: the family check below names the subnet there is.
    let fallback = || given.parent_index.is_none().then(|| dhcp_ip(summary)).flatten();
    let parent = dhcp_parent(summary, ip.map(|a| a.is_ipv4()), given.parent_index)
        .map(|(_, ip)| ip)
        .or_else(fallback)
        .ok_or_else(|| {
            let which = given
                .parent_index
                .map_or("<ip> element".into(), |n| format!("<ip> element of index {n}"));
            Error::invalid(format!("network {net} has no {which} to hold DHCP hosts"))
        })?;
    let ipv6 = !parent.address.addr().is_ipv4();
    if let Some(addr) = ip {
        if addr.is_ipv4() == ipv6 {
            return Err(Error::invalid(format!(
                "{addr} is not of the family of network {net}'s DHCP subnet {}",
                parent.address.trunc()
            )));
        }
        // A delete matches what is there, even an address outside the subnet.
        if command != UpdateCommand::Delete {
            check_in_subnet(addr, parent, net)?;
        }
    }
    if ipv6 && mac.is_some() {
        return Err(Error::invalid(
            "a MAC address does not name an IPv6 DHCP host (libvirt refuses it): use --id DUID or --name",
        ));
    }
    let named = given.name.is_some() || (ipv6 && id.is_some());
    let missing = match command {
        UpdateCommand::Add if ip.is_none() || (mac.is_none() && !named) => Some(if ipv6 {
            "add ip-dhcp-host (IPv6) needs --ip and --id or --name"
        } else {
            "add ip-dhcp-host needs --ip and --mac (or --name for a reservation by host name)"
        }),
        UpdateCommand::Modify if !ipv6 && (mac.is_none() || (ip.is_none() && !named)) => {
            Some("modify ip-dhcp-host needs --mac (the reservation to change) and --ip or --name")
        }
        UpdateCommand::Modify if ipv6 && (given.name.is_none() && ip.is_none()) => {
            Some("modify ip-dhcp-host (IPv6) needs --name or --ip (the reservation to change)")
        }
        UpdateCommand::Delete if mac.is_none() && ip.is_none() && given.name.is_none() && id.is_none() => {
            Some("delete ip-dhcp-host needs --mac, --ip, --id or --name")
        }
        _ => None,
    };
    if let Some(why) = missing {
        return Err(Error::invalid(why));
    }
    Ok(DhcpHost {
        subnet: Some(parent.address),
        mac,
        id,
        name: given.name.clone(),
        ip: ip.map(|a| a.to_string()),
    })
}

fn check_dns_host(given: &Given, command: UpdateCommand) -> Result<DnsHost> {
    refuse_unused(
        Section::DnsHost,
        &[
            ("--mac", given.mac.is_some()),
            ("--name (use --hostname)", given.name.is_some()),
            ("--start", given.start.is_some()),
            ("--end", given.end.is_some()),
        ],
    )?;
    for name in &given.hostnames {
        validate_dns_host_name(name, "--hostname")?;
    }
    let ip = given.ip.as_deref().map(|t| parse_addr(t, "--ip")).transpose()?;
    let complete = ip.is_some() && !given.hostnames.is_empty();
    if command != UpdateCommand::Delete && !complete {
        return Err(Error::invalid(format!(
            "{} dns-host needs --ip and --hostname",
            command.as_str()
        )));
    }
    if command == UpdateCommand::Delete && ip.is_none() && given.hostnames.is_empty() {
        return Err(Error::invalid("delete dns-host needs --ip or --hostname"));
    }
    Ok(DnsHost {
        ip: ip.map(|a| a.to_string()).unwrap_or_default(),
        hostnames: given.hostnames.clone(),
    })
}

fn check_dhcp_range(given: &Given, command: UpdateCommand, summary: &Summary, net: &str) -> Result<Range> {
    refuse_unused(
        Section::IpDhcpRange,
        &[
            ("--mac", given.mac.is_some()),
            ("--ip", given.ip.is_some()),
            ("--name", given.name.is_some()),
            ("--hostname", !given.hostnames.is_empty()),
        ],
    )?;
    if command == UpdateCommand::Modify {
        return Err(Error::invalid(
            "modify ip-dhcp-range is not supported (libvirt neither): delete and add",
        ));
    }
    let (Some(start), Some(end)) = (&given.start, &given.end) else {
        return Err(Error::invalid(format!(
            "{} ip-dhcp-range needs --start and --end",
            command.as_str()
        )));
    };
    let range = Range {
        start: parse_addr(start, "--start")?,
        end: parse_addr(end, "--end")?,
    };
    let (_, parent) = dhcp_parent(summary, Some(range.start.is_ipv4()), given.parent_index)
        .ok_or_else(|| Error::invalid(format!("network {net} has no <ip> element to hold DHCP ranges")))?;
    if command == UpdateCommand::Add {
        spec::validate_range(parent.address, &range)?;
    }
    Ok(range)
}

pub fn same_mac(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

pub fn same_ip(a: &Option<String>, b: &Option<String>) -> bool {
    let parse = |s: &Option<String>| s.as_deref().and_then(|s| s.parse::<IpAddr>().ok());
    matches!((parse(a), parse(b)), (Some(a), Some(b)) if a == b)
}

/// The entry as libvirt's net-update takes it, written through the network model.
pub fn entry_xml(entry: &Entry) -> String {
    match entry {
        Entry::Host(h) => {
            let host = model::DhcpHost {
                mac: h.mac.clone(),
                id: h.id.clone(),
                name: h.name.clone(),
                ip: h.ip.clone(),
            };
            document::write("host", &host, false)
        }
        Entry::Dns(d) => {
            let host = model::DnsHost {
                ip: (!d.ip.is_empty()).then(|| d.ip.clone()),
                hostnames: d.hostnames.clone(),
            };
            document::write("host", &host, false)
        }
        Entry::Range(r) => {
            let range = model::DhcpRange {
                start: Some(r.start.to_string()),
                end: Some(r.end.to_string()),
            };
            document::write("range", &range, false)
        }
    }
}
