//! `update` (virsh net-update): DHCP host reservations, DNS host entries and DHCP ranges changed on
//! a defined network, live and persistently in one step, and the `dhcp-hosts` / `dns-hosts`
//! listings. Every entry is checked against the network before libvirt sees it (a reservation
//! outside the subnet is exit 7; an IP, MAC or name reserved already is exit 4), and a rerun of
//! the same change is a no-op ("changed": false) with --exist-ok / --missing-ok.

use crate::inspect::DhcpRange;
use crate::network::require;
use crate::spec;
use crate::xml::{self, DhcpHost, DnsHost, IpDef, Range, Summary};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use virt::network::Network;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::network as model;
use vnet_common::libvirt::{document, LibvirtContext, Session};
use vnet_common::mac::parse_unicast_mac;
use vnet_common::verb::{Render, TextStyle};
use vnet_common::{table, Context, Error, Journal, Result, Verb};

/// What `update` does to the section (virsh net-update's commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UpdateCommand {
    /// Add the entry (at the end; virsh's add-last and add-first are accepted too).
    #[value(alias = "add-last", alias = "add-first")]
    Add,
    /// Change the entry with the same key (the MAC of a DHCP host, the IP of a DNS host).
    Modify,
    /// Remove the entry matching what is given (a DHCP host by MAC, IP or name).
    Delete,
}

impl UpdateCommand {
    fn as_str(self) -> &'static str {
        match self {
            UpdateCommand::Add => "add",
            UpdateCommand::Modify => "modify",
            UpdateCommand::Delete => "delete",
        }
    }
}

/// The part of the network `update` changes (virsh net-update's section names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    /// `<ip><dhcp><host mac= name= ip=/>`: a DHCP host reservation.
    IpDhcpHost,
    /// `<dns><host ip=><hostname>`: a DNS host entry.
    DnsHost,
    /// `<ip><dhcp><range start= end=/>`: a DHCP range.
    IpDhcpRange,
}

impl Section {
    fn as_str(self) -> &'static str {
        match self {
            Section::IpDhcpHost => "ip-dhcp-host",
            Section::DnsHost => "dns-host",
            Section::IpDhcpRange => "ip-dhcp-range",
        }
    }

    fn libvirt(self) -> sys::virNetworkUpdateSection {
        match self {
            Section::IpDhcpHost => sys::VIR_NETWORK_SECTION_IP_DHCP_HOST,
            Section::DnsHost => sys::VIR_NETWORK_SECTION_DNS_HOST,
            Section::IpDhcpRange => sys::VIR_NETWORK_SECTION_IP_DHCP_RANGE,
        }
    }
}

/// Change a network's DHCP host reservations, DNS host entries or DHCP ranges (virsh net-update),
/// on the running network and in its persistent definition as one step.
///
/// The entry is given by flags or, as virsh takes it, by its XML (or a file holding it):
///
///   vnet-net update NET add ip-dhcp-host --mac 52:54:00:00:00:10 --ip 192.168.122.10 --name web
///   vnet-net update NET delete ip-dhcp-host --mac 52:54:00:00:00:10   (or --ip, or --name)
///   vnet-net update NET modify ip-dhcp-host --mac 52:54:00:00:00:10 --ip 192.168.122.11
///   vnet-net update NET add dns-host --ip 192.168.122.10 --hostname web --hostname www
///   vnet-net update NET add ip-dhcp-range --start 192.168.122.200 --end 192.168.122.210
///   vnet-net net-update NET add ip-dhcp-host "<host mac='52:54:00:00:00:10' ip='192.168.122.10'/>"
///
/// Where it applies: the running network (when active) and the persistent definition (when
/// defined), what `virsh net-update ... --live --config` does on an active network and `--config`
/// on an inactive one; --live or --config alone restrict it, as in virsh. A target that already
/// holds the result is left alone, so a rerun changes nothing.
///
/// Checked first (exit 7, nothing changed): the MAC (unicast), the IP (inside the subnet of the
/// <ip> element holding DHCP, not its network, broadcast or host address), the range (inside the
/// subnet, in order). An add whose MAC, IP or name is reserved already for another entry is exit 4
/// naming the entry; the same entry again is exit 4 too unless --exist-ok ("changed": false). A
/// delete or modify of an entry that is not there is exit 3 (delete --missing-ok: "changed": false).
#[derive(Debug, clap::Args)]
pub struct Update {
    /// Network name.
    pub network: String,
    /// add, modify or delete.
    #[arg(value_enum)]
    pub command: UpdateCommand,
    /// ip-dhcp-host, dns-host or ip-dhcp-range.
    #[arg(value_enum)]
    pub section: Section,
    /// The entry as virsh takes it: its XML, or a file holding it (instead of the flags).
    #[arg(value_name = "XML", conflicts_with_all = ["mac", "ip", "host_name", "hostnames", "start", "end"])]
    pub xml: Option<String>,
    /// ip-dhcp-host: the guest's MAC address.
    #[arg(long, value_name = "MAC")]
    pub mac: Option<String>,
    /// ip-dhcp-host: the reserved address; dns-host: the address the names resolve to.
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// ip-dhcp-host: the guest's host name dnsmasq hands out (and matches on).
    #[arg(long = "name", value_name = "NAME")]
    pub host_name: Option<String>,
    /// dns-host: a name for --ip (repeatable).
    #[arg(long = "hostname", value_name = "NAME")]
    pub hostnames: Vec<String>,
    /// ip-dhcp-range: the first address.
    #[arg(long, value_name = "IP")]
    pub start: Option<String>,
    /// ip-dhcp-range: the last address.
    #[arg(long, value_name = "IP")]
    pub end: Option<String>,
    /// add: succeed ("changed": false) when the same entry is there already.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// delete: succeed ("changed": false) when no entry matches.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
    /// Only the running network (virsh --live).
    #[arg(long)]
    pub live: bool,
    /// Only the persistent definition (virsh --config).
    #[arg(long)]
    pub config: bool,
}

/// One DHCP host reservation.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DhcpHostRow {
    /// The guest's MAC address (lower case); null for a reservation by name.
    pub mac: Option<String>,
    /// The reserved address.
    pub ip: Option<String>,
    /// The host name handed out; null when none.
    pub name: Option<String>,
}

/// One DNS host entry.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DnsHostRow {
    /// The address the names resolve to.
    pub ip: String,
    /// The names.
    pub hostnames: Vec<String>,
}

/// A network after `update`: what changed and the entries of all three sections now.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Updated {
    /// The network's name.
    pub name: String,
    /// add, modify or delete.
    pub command: String,
    /// ip-dhcp-host, dns-host or ip-dhcp-range.
    pub section: String,
    /// True when this call changed the network.
    pub changed: bool,
    /// True when the running network was changed.
    pub live: bool,
    /// True when the persistent definition was changed.
    pub config: bool,
    /// The DHCP host reservations now.
    pub dhcp_hosts: Vec<DhcpHostRow>,
    /// The DNS host entries now.
    pub dns_hosts: Vec<DnsHostRow>,
    /// The DHCP ranges now.
    pub dhcp_ranges: Vec<DhcpRange>,
}

/// virsh's confirmation line when something changed.
impl Render for Updated {
    fn text(&self, _style: TextStyle) -> String {
        let what = match (self.config, self.live) {
            (true, true) => "persistent config and live state",
            (true, false) => "persistent config",
            (false, true) => "live state",
            (false, false) => return String::new(),
        };
        format!("Updated network {} {what}\n", self.name)
    }
}

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
    pub ip: Option<String>,
    pub name: Option<String>,
    pub hostnames: Vec<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

impl Update {
    fn given(&self) -> Result<Given> {
        let Some(xml) = &self.xml else {
            return Ok(Given {
                mac: self.mac.clone(),
                ip: self.ip.clone(),
                name: self.host_name.clone(),
                hostnames: self.hostnames.clone(),
                start: self.start.clone(),
                end: self.end.clone(),
            });
        };
        let text = if xml.trim_start().starts_with('<') {
            xml.clone()
        } else {
            std::fs::read_to_string(xml).context(format!("read {}", quote(xml)))?
        };
        parse_entry_xml(&text, self.section)
    }
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

fn parse_addr(text: &str, what: &str) -> Result<IpAddr> {
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

/// A reserved address must be a guest's: inside the subnet, not its network or broadcast address,
/// not the host's own address on the network.
fn check_in_subnet(addr: IpAddr, ip: &IpDef, net: &str) -> Result<()> {
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
    let cmd = command.as_str();
    let unused = |flags: &[(&str, bool)]| -> Result<()> {
        match flags.iter().find(|(_, set)| *set) {
            Some((flag, _)) => Err(Error::invalid(format!(
                "{flag} does not apply to {}",
                section.as_str()
            ))),
            None => Ok(()),
        }
    };
    match section {
        Section::IpDhcpHost => {
            unused(&[
                ("--hostname", !given.hostnames.is_empty()),
                ("--start", given.start.is_some()),
                ("--end", given.end.is_some()),
            ])?;
            let mac = given.mac.as_deref().map(parse_unicast_mac).transpose()?;
            if let Some(name) = &given.name {
                validate_host_name(name, "--name")?;
            }
            let ip = given.ip.as_deref().map(|t| parse_addr(t, "--ip")).transpose()?;
            let parent = dhcp_ip(summary).ok_or_else(|| {
                Error::invalid(format!("network {net} has no <ip> element to hold DHCP hosts"))
            })?;
            if let Some(addr) = ip {
                if addr.is_ipv4() != parent.address.addr().is_ipv4() {
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
            match command {
                UpdateCommand::Add if ip.is_none() || (mac.is_none() && given.name.is_none()) => {
                    return Err(Error::invalid(
                        "add ip-dhcp-host needs --ip and --mac (or --name for a reservation by host name)",
                    ))
                }
                UpdateCommand::Modify if mac.is_none() || (ip.is_none() && given.name.is_none()) => {
                    return Err(Error::invalid(
                        "modify ip-dhcp-host needs --mac (the reservation to change) and --ip or --name",
                    ))
                }
                UpdateCommand::Delete if mac.is_none() && ip.is_none() && given.name.is_none() => {
                    return Err(Error::invalid("delete ip-dhcp-host needs --mac, --ip or --name"))
                }
                _ => {}
            }
            Ok(Entry::Host(DhcpHost {
                subnet: Some(parent.address),
                mac,
                name: given.name.clone(),
                ip: ip.map(|a| a.to_string()),
            }))
        }
        Section::DnsHost => {
            unused(&[
                ("--mac", given.mac.is_some()),
                ("--name (use --hostname)", given.name.is_some()),
                ("--start", given.start.is_some()),
                ("--end", given.end.is_some()),
            ])?;
            for name in &given.hostnames {
                validate_host_name(name, "--hostname")?;
            }
            let ip = given.ip.as_deref().map(|t| parse_addr(t, "--ip")).transpose()?;
            let complete = ip.is_some() && !given.hostnames.is_empty();
            if command != UpdateCommand::Delete && !complete {
                return Err(Error::invalid(format!(
                    "{cmd} dns-host needs --ip and --hostname"
                )));
            }
            if command == UpdateCommand::Delete && ip.is_none() && given.hostnames.is_empty() {
                return Err(Error::invalid("delete dns-host needs --ip or --hostname"));
            }
            Ok(Entry::Dns(DnsHost {
                ip: ip.map(|a| a.to_string()).unwrap_or_default(),
                hostnames: given.hostnames.clone(),
            }))
        }
        Section::IpDhcpRange => {
            unused(&[
                ("--mac", given.mac.is_some()),
                ("--ip", given.ip.is_some()),
                ("--name", given.name.is_some()),
                ("--hostname", !given.hostnames.is_empty()),
            ])?;
            if command == UpdateCommand::Modify {
                return Err(Error::invalid(
                    "modify ip-dhcp-range is not supported (libvirt neither): delete and add",
                ));
            }
            let (Some(start), Some(end)) = (&given.start, &given.end) else {
                return Err(Error::invalid(format!(
                    "{cmd} ip-dhcp-range needs --start and --end"
                )));
            };
            let range = Range {
                start: parse_addr(start, "--start")?,
                end: parse_addr(end, "--end")?,
            };
            let parent = dhcp_ip(summary).ok_or_else(|| {
                Error::invalid(format!("network {net} has no <ip> element to hold DHCP ranges"))
            })?;
            if command == UpdateCommand::Add {
                spec::validate_range(parent.address, &range)?;
            }
            Ok(Entry::Range(range))
        }
    }
}

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

fn same_mac(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

fn same_ip(a: &Option<String>, b: &Option<String>) -> bool {
    let parse = |s: &Option<String>| s.as_deref().and_then(|s| s.parse::<IpAddr>().ok());
    matches!((parse(a), parse(b)), (Some(a), Some(b)) if a == b)
}

fn same_host(a: &DhcpHost, b: &DhcpHost) -> bool {
    let mac = a.mac.as_ref().map(|m| m.to_lowercase()) == b.mac.as_ref().map(|m| m.to_lowercase());
    mac && a.name == b.name && (same_ip(&a.ip, &b.ip) || (a.ip.is_none() && b.ip.is_none()))
}

fn describe_host(h: &DhcpHost) -> String {
    let mut parts = Vec::new();
    if let Some(mac) = &h.mac {
        parts.push(format!("MAC {mac}"));
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
    let send = |command, entry: Entry, undo| Ok(Plan::Send { command, entry, undo });
    match (entry, command) {
        (Entry::Host(want), Add) => {
            if current.dhcp_hosts.iter().any(|h| same_host(h, want)) {
                return Ok(Plan::Nothing);
            }
            let clash = current.dhcp_hosts.iter().find_map(|h| {
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
                .map(|why| (why, h))
            });
            if let Some((why, h)) = clash {
                return Err(
                    Error::exists(format!("network {net}: {why} ({})", describe_host(h)))
                        .with_hint("delete that reservation first, or use 'update NET modify ip-dhcp-host'"),
                );
            }
            send(Add, entry.clone(), (Delete, entry.clone()))
        }
        (Entry::Host(want), Modify) => {
            let Some(old) = current.dhcp_hosts.iter().find(|h| same_mac(&h.mac, &want.mac)) else {
                return Err(Error::not_found(format!(
                    "network {net} has no DHCP host reservation for MAC {}",
                    want.mac.as_deref().unwrap_or("")
                )));
            };
            let new = DhcpHost {
                subnet: old.subnet,
                mac: old.mac.clone(),
                name: want.name.clone().or_else(|| old.name.clone()),
                ip: want.ip.clone().or_else(|| old.ip.clone()),
            };
            if same_host(old, &new) {
                return Ok(Plan::Nothing);
            }
            if let Some(other) = current
                .dhcp_hosts
                .iter()
                .filter(|h| !same_mac(&h.mac, &want.mac))
                .find(|h| same_ip(&h.ip, &new.ip) || (new.name.is_some() && h.name == new.name))
            {
                return Err(Error::exists(format!(
                    "network {net}: already reserved for another host ({})",
                    describe_host(other)
                )));
            }
            send(Modify, Entry::Host(new), (Modify, Entry::Host(old.clone())))
        }
        (Entry::Host(want), Delete) => {
            let found = current.dhcp_hosts.iter().find(|h| {
                (want.mac.is_none() || same_mac(&h.mac, &want.mac))
                    && (want.ip.is_none() || same_ip(&h.ip, &want.ip))
                    && (want.name.is_none() || h.name == want.name)
            });
            match found {
                Some(h) => send(Delete, Entry::Host(h.clone()), (Add, Entry::Host(h.clone()))),
                None => Err(Error::not_found(format!(
                    "network {net} has no DHCP host reservation with {}",
                    describe_host(want)
                ))),
            }
        }
        (Entry::Dns(want), Add | Modify) => {
            if current.dns_hosts.iter().any(|h| same_dns(h, want)) {
                return Ok(Plan::Nothing);
            }
            let same_addr = current
                .dns_hosts
                .iter()
                .find(|h| same_ip(&Some(h.ip.clone()), &Some(want.ip.clone())));
            if command == Modify {
                return match same_addr {
                    Some(old) => send(Modify, entry.clone(), (Modify, Entry::Dns(old.clone()))),
                    None => Err(Error::not_found(format!(
                        "network {net} has no DNS host entry for {}",
                        want.ip
                    ))),
                };
            }
            let clash = same_addr.or_else(|| {
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
            send(Add, entry.clone(), (Delete, entry.clone()))
        }
        (Entry::Dns(want), Delete) => {
            let found = current.dns_hosts.iter().find(|h| {
                (want.ip.is_empty() || same_ip(&Some(h.ip.clone()), &Some(want.ip.clone())))
                    && want.hostnames.iter().all(|n| h.hostnames.contains(n))
            });
            match found {
                Some(h) => send(Delete, Entry::Dns(h.clone()), (Add, Entry::Dns(h.clone()))),
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
        (Entry::Range(want), Add) => {
            let ranges: Vec<&Range> = current.ips.iter().flat_map(|ip| ip.ranges.iter()).collect();
            if ranges.contains(&want) {
                return Ok(Plan::Nothing);
            }
            if let Some(r) = ranges.iter().find(|r| r.start <= want.end && want.start <= r.end) {
                return Err(Error::exists(format!(
                    "network {net}: DHCP range {}-{} overlaps {}-{}",
                    want.start, want.end, r.start, r.end
                )));
            }
            send(Add, entry.clone(), (Delete, entry.clone()))
        }
        (Entry::Range(want), _) => {
            if current
                .ips
                .iter()
                .flat_map(|ip| ip.ranges.iter())
                .any(|r| r == want)
            {
                send(Delete, entry.clone(), (Add, entry.clone()))
            } else {
                Err(Error::not_found(format!(
                    "network {net} has no DHCP range {}-{}",
                    want.start, want.end
                )))
            }
        }
    }
}

/// The entry as libvirt's net-update takes it, written through the network model.
pub fn entry_xml(entry: &Entry) -> String {
    match entry {
        Entry::Host(h) => {
            let host = model::DhcpHost {
                mac: h.mac.clone(),
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

fn libvirt_command(command: UpdateCommand) -> sys::virNetworkUpdateCommand {
    match command {
        UpdateCommand::Add => sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
        UpdateCommand::Modify => sys::VIR_NETWORK_UPDATE_COMMAND_MODIFY,
        UpdateCommand::Delete => sys::VIR_NETWORK_UPDATE_COMMAND_DELETE,
    }
}

/// One net-update call.
fn send(net: &Network, command: UpdateCommand, section: Section, entry: &Entry, flags: u32) -> Result<()> {
    net.update(
        libvirt_command(command),
        section.libvirt(),
        -1,
        &entry_xml(entry),
        flags,
    )
    .map_err(|e| {
        vnet_common::libvirt::error(e).context(format!(
            "{} {} on network {}",
            command.as_str(),
            section.as_str(),
            net.get_name().unwrap_or_default()
        ))
    })
}

/// A network's definition: the running one, or the persistent one.
fn read(net: &Network, inactive: bool, name: &str) -> Result<Summary> {
    let flags = if inactive {
        sys::VIR_NETWORK_XML_INACTIVE
    } else {
        0
    };
    let text = net.get_xml_desc(flags).libvirt(format!("network {name}"))?;
    xml::parse(&text).context(format!("network {name}"))
}

impl Verb for Update {
    type Ctx = Session;
    type Output = Updated;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Updated> {
        spec::validate_name(&self.network)?;
        if self.exist_ok && self.command != UpdateCommand::Add {
            return Err(Error::invalid("--exist-ok applies to add"));
        }
        if self.missing_ok && self.command != UpdateCommand::Delete {
            return Err(Error::invalid("--missing-ok applies to delete"));
        }
        let given = self.given()?;
        let name = self.network.clone();
        let net = require(ctx.conn()?, &name)?;
        let what = format!("network {name}");
        let active = net.is_active().libvirt(&what)?;
        let persistent = net.is_persistent().libvirt(&what)?;
        let (want_live, want_config) = match (self.live, self.config) {
            (false, false) | (true, true) => (active, persistent),
            (live, config) => (live, config),
        };
        if want_live && !active {
            return Err(Error::invalid(format!("--live: network {name} is not running"))
                .with_hint("leave out --live (the persistent definition is updated alone)"));
        }
        if want_config && !persistent {
            return Err(Error::invalid(format!("--config: network {name} is transient")));
        }
        // The targets and their entries now; the entry is checked against the definition.
        let mut targets = Vec::new();
        if want_live {
            targets.push((sys::VIR_NETWORK_UPDATE_AFFECT_LIVE, read(&net, false, &name)?));
        }
        if want_config {
            targets.push((sys::VIR_NETWORK_UPDATE_AFFECT_CONFIG, read(&net, true, &name)?));
        }
        let reference = &targets.last().expect("a network is active or persistent").1;
        let entry = check_entry(&given, self.section, self.command, reference, &name)?;
        let mut plans = Vec::new();
        for (flag, summary) in &targets {
            match plan(&entry, self.command, summary, &name) {
                Err(e) if e.kind == vnet_common::ErrorKind::NotFound && self.missing_ok => {
                    plans.push((*flag, Plan::Nothing))
                }
                other => plans.push((*flag, other?)),
            }
        }
        if plans.iter().all(|(_, p)| *p == Plan::Nothing)
            && self.command == UpdateCommand::Add
            && !self.exist_ok
        {
            return Err(Error::exists(format!(
                "network {name} already has this {} entry ({})",
                self.section.as_str(),
                entry_xml(&entry)
            ))
            .with_hint("use --exist-ok to accept it"));
        }
        // Targets that need the same call get it in one (live and config together).
        let mut groups: Vec<(u32, Plan)> = Vec::new();
        for (flag, p) in plans {
            if p == Plan::Nothing {
                continue;
            }
            match groups.iter_mut().find(|(_, q)| *q == p) {
                Some((flags, _)) => *flags |= flag,
                None => groups.push((flag, p)),
            }
        }
        let (mut live, mut config) = (false, false);
        for (flags, p) in groups {
            let Plan::Send { command, entry, undo } = p else {
                continue;
            };
            send(&net, command, self.section, &entry, flags)?;
            live |= flags & sys::VIR_NETWORK_UPDATE_AFFECT_LIVE != 0;
            config |= flags & sys::VIR_NETWORK_UPDATE_AFFECT_CONFIG != 0;
            let (undo_net, section) = (net.clone(), self.section);
            journal.record_fn(
                format!("{} {} on network {name}", command.as_str(), section.as_str()),
                move || send(&undo_net, undo.0, section, &undo.1, flags),
            )?;
        }
        let now = read(&net, persistent, &name)?;
        Ok(Updated {
            name,
            command: self.command.as_str().into(),
            section: self.section.as_str().into(),
            changed: live || config,
            live,
            config,
            dhcp_hosts: now.dhcp_hosts.iter().map(host_row).collect(),
            dns_hosts: now.dns_hosts.iter().map(dns_row).collect(),
            dhcp_ranges: ranges_of(&now),
        })
    }
}

fn host_row(h: &DhcpHost) -> DhcpHostRow {
    DhcpHostRow {
        mac: h.mac.as_ref().map(|m| m.to_lowercase()),
        ip: h.ip.clone(),
        name: h.name.clone(),
    }
}

fn dns_row(h: &DnsHost) -> DnsHostRow {
    DnsHostRow {
        ip: h.ip.clone(),
        hostnames: h.hostnames.clone(),
    }
}

fn ranges_of(summary: &Summary) -> Vec<DhcpRange> {
    summary
        .ips
        .iter()
        .flat_map(|ip| ip.ranges.iter())
        .map(|r| DhcpRange {
            start: r.start.to_string(),
            end: r.end.to_string(),
        })
        .collect()
}

/// List a network's DHCP host reservations (the <host> entries of its <dhcp>), optionally only
/// those matching --mac, --ip or --name.
///
/// The running network's entries when it is active (--inactive: the persistent definition's).
/// -o text prints a table in virsh's layout: MAC address, IP address, Name.
#[derive(Debug, clap::Args)]
pub struct DhcpHosts {
    /// Network name.
    pub network: String,
    /// Only the reservation for this MAC.
    #[arg(long, value_name = "MAC")]
    pub mac: Option<String>,
    /// Only the reservation of this address.
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// Only the reservation with this host name.
    #[arg(long = "name", value_name = "NAME")]
    pub host_name: Option<String>,
    /// The persistent definition's entries, not the running network's.
    #[arg(long)]
    pub inactive: bool,
}

/// The reservations listed.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct DhcpHostList(pub Vec<DhcpHostRow>);

impl Render for DhcpHostList {
    fn text(&self, style: TextStyle) -> String {
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|h| vec![dash(&h.mac), dash(&h.ip), dash(&h.name)])
            .collect();
        table::render(&["MAC address", "IP address", "Name"], &rows, style)
    }
}

impl Verb for DhcpHosts {
    type Ctx = Session;
    type Output = DhcpHostList;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<DhcpHostList> {
        spec::validate_name(&self.network)?;
        let mac = self.mac.as_deref().map(parse_unicast_mac).transpose()?;
        let ip = self.ip.as_deref().map(|t| parse_addr(t, "--ip")).transpose()?;
        let net = require(ctx.conn()?, &self.network)?;
        let summary = read(&net, self.inactive, &self.network)?;
        let rows = summary
            .dhcp_hosts
            .iter()
            .filter(|h| mac.is_none() || same_mac(&h.mac, &mac))
            .filter(|h| ip.is_none() || same_ip(&h.ip, &ip.map(|a| a.to_string())))
            .filter(|h| self.host_name.is_none() || h.name == self.host_name)
            .map(host_row)
            .collect();
        Ok(DhcpHostList(rows))
    }
}

/// List a network's DNS host entries (<dns><host ip=...><hostname>...).
///
/// The running network's entries when it is active (--inactive: the persistent definition's).
/// -o text prints a table in virsh's layout: IP address, Hostnames.
#[derive(Debug, clap::Args)]
pub struct DnsHosts {
    /// Network name.
    pub network: String,
    /// The persistent definition's entries, not the running network's.
    #[arg(long)]
    pub inactive: bool,
}

/// The DNS host entries listed.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct DnsHostList(pub Vec<DnsHostRow>);

impl Render for DnsHostList {
    fn text(&self, style: TextStyle) -> String {
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|h| vec![h.ip.clone(), h.hostnames.join(" ")])
            .collect();
        table::render(&["IP address", "Hostnames"], &rows, style)
    }
}

impl Verb for DnsHosts {
    type Ctx = Session;
    type Output = DnsHostList;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<DnsHostList> {
        spec::validate_name(&self.network)?;
        let net = require(ctx.conn()?, &self.network)?;
        let summary = read(&net, self.inactive, &self.network)?;
        Ok(DnsHostList(summary.dns_hosts.iter().map(dns_row).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = "<network><name>n</name><ip address='10.210.1.1' prefix='24'><dhcp>\
        <range start='10.210.1.10' end='10.210.1.100'/>\
        <host mac='52:54:00:AA:BB:01' name='g1' ip='10.210.1.50'/></dhcp></ip>\
        <dns><host ip='10.210.1.60'><hostname>web</hostname><hostname>www</hostname></host></dns></network>";

    fn summary() -> Summary {
        xml::parse(NET).unwrap()
    }

    fn host(mac: &str, ip: &str) -> Given {
        Given {
            mac: Some(mac.into()),
            ip: Some(ip.into()),
            ..Given::default()
        }
    }

    fn check(given: &Given, section: Section, command: UpdateCommand) -> Result<Entry> {
        check_entry(given, section, command, &summary(), "n")
    }

    #[test]
    fn parses_hosts_dns_and_mtu() {
        let s = summary();
        assert_eq!(s.dhcp_hosts.len(), 1);
        assert_eq!(s.dhcp_hosts[0].subnet, Some("10.210.1.1/24".parse().unwrap()));
        assert_eq!(s.dns_hosts[0].hostnames, ["web", "www"]);
        assert_eq!(dhcp_ip(&s).unwrap().address.to_string(), "10.210.1.1/24");
    }

    #[test]
    fn reservations_outside_the_subnet_or_malformed_are_invalid() {
        use UpdateCommand::*;
        for (given, needle) in [
            (
                host("52:54:00:aa:bb:02", "10.99.1.50"),
                "outside network n's subnet 10.210.1.0/24",
            ),
            (host("52:54:00:aa:bb:02", "10.210.1.255"), "broadcast"),
            (host("52:54:00:aa:bb:02", "10.210.1.0"), "network or broadcast"),
            (host("52:54:00:aa:bb:02", "10.210.1.1"), "host's own address"),
            (host("52:54:00:aa:bb:02", "fd00::5"), "family"),
            (host("01:54:00:aa:bb:02", "10.210.1.5"), "multicast"),
            (host("52:54:00:aa:bb", "10.210.1.5"), "six hex pairs"),
            (host("52:54:00:aa:bb:02", "10.210.1"), "not an IP address"),
            (
                Given {
                    ip: Some("10.210.1.5".into()),
                    ..Given::default()
                },
                "needs --ip and --mac",
            ),
        ] {
            let e = check(&given, Section::IpDhcpHost, Add).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{given:?}");
            assert!(e.message.contains(needle), "{needle:?} not in {}", e.message);
        }
        let mut named = host("52:54:00:aa:bb:02", "10.210.1.5");
        named.name = Some("bad name".into());
        assert_eq!(
            check(&named, Section::IpDhcpHost, Add).unwrap_err().exit_code(),
            7
        );
        let mut wrong = host("52:54:00:aa:bb:02", "10.210.1.5");
        wrong.hostnames = vec!["x".into()];
        assert!(check(&wrong, Section::IpDhcpHost, Add)
            .unwrap_err()
            .message
            .contains("--hostname does not apply"));
    }

    #[test]
    fn duplicates_conflict_and_reruns_are_no_ops() {
        use UpdateCommand::*;
        let s = summary();
        let plan_of = |g: &Given, c| plan(&check(g, Section::IpDhcpHost, c)?, c, &s, "n");
        let mut same = host("52:54:00:aa:bb:01", "10.210.1.50");
        same.name = Some("g1".into());
        assert_eq!(plan_of(&same, Add).unwrap(), Plan::Nothing);
        let e = plan_of(&host("52:54:00:aa:bb:01", "10.210.1.51"), Add).unwrap_err();
        assert_eq!(e.exit_code(), 4);
        assert!(
            e.message.contains("MAC 52:54:00:aa:bb:01 is already reserved"),
            "{e:?}"
        );
        let e = plan_of(&host("52:54:00:aa:bb:02", "10.210.1.50"), Add).unwrap_err();
        assert!(e.message.contains("IP 10.210.1.50 is already reserved"), "{e:?}");
        assert!(matches!(
            plan_of(&host("52:54:00:aa:bb:02", "10.210.1.51"), Add).unwrap(),
            Plan::Send { command: Add, .. }
        ));
        // Delete by IP alone sends the whole entry, and its undo adds it back.
        let by_ip = Given {
            ip: Some("10.210.1.50".into()),
            ..Given::default()
        };
        let Plan::Send { entry, undo, .. } = plan_of(&by_ip, Delete).unwrap() else {
            panic!()
        };
        assert_eq!(
            entry_xml(&entry),
            "<host mac=\"52:54:00:AA:BB:01\" name=\"g1\" ip=\"10.210.1.50\"/>"
        );
        assert_eq!(undo.0, Add);
        assert_eq!(
            plan_of(&host("52:54:00:aa:bb:09", "10.210.1.9"), Delete)
                .unwrap_err()
                .exit_code(),
            3
        );
        // Modify keeps the name and refuses another host's address.
        let Plan::Send { entry, .. } = plan_of(&host("52:54:00:aa:bb:01", "10.210.1.52"), Modify).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            entry_xml(&entry),
            "<host mac=\"52:54:00:AA:BB:01\" name=\"g1\" ip=\"10.210.1.52\"/>"
        );
    }

    #[test]
    fn dns_and_ranges() {
        use UpdateCommand::*;
        let s = summary();
        let dns = Given {
            ip: Some("10.210.1.60".into()),
            hostnames: vec!["www".into(), "web".into()],
            ..Given::default()
        };
        let entry = check(&dns, Section::DnsHost, Add).unwrap();
        assert_eq!(plan(&entry, Add, &s, "n").unwrap(), Plan::Nothing);
        let other = Given {
            ip: Some("10.210.1.61".into()),
            hostnames: vec!["web".into()],
            ..Given::default()
        };
        let entry = check(&other, Section::DnsHost, Add).unwrap();
        assert_eq!(plan(&entry, Add, &s, "n").unwrap_err().exit_code(), 4);
        assert_eq!(
            entry_xml(&entry),
            "<host ip=\"10.210.1.61\"><hostname>web</hostname></host>"
        );
        let range = |a: &str, b: &str| Given {
            start: Some(a.into()),
            end: Some(b.into()),
            ..Given::default()
        };
        let e = check(&range("10.210.1.150", "10.210.2.1"), Section::IpDhcpRange, Add).unwrap_err();
        assert_eq!(e.exit_code(), 7);
        let entry = check(&range("10.210.1.90", "10.210.1.120"), Section::IpDhcpRange, Add).unwrap();
        assert_eq!(plan(&entry, Add, &s, "n").unwrap_err().exit_code(), 4);
        let entry = check(&range("10.210.1.10", "10.210.1.100"), Section::IpDhcpRange, Add).unwrap();
        assert_eq!(plan(&entry, Add, &s, "n").unwrap(), Plan::Nothing);
    }

    #[test]
    fn virsh_entry_xml_is_accepted() {
        let g = parse_entry_xml(
            "<host mac='52:54:00:aa:bb:02' name='g2' ip='10.210.1.52'/>",
            Section::IpDhcpHost,
        )
        .unwrap();
        assert_eq!(
            (g.mac.as_deref(), g.name.as_deref(), g.ip.as_deref()),
            (Some("52:54:00:aa:bb:02"), Some("g2"), Some("10.210.1.52"))
        );
        let g = parse_entry_xml(
            "<host ip='10.0.0.5'><hostname>a</hostname><hostname>b</hostname></host>",
            Section::DnsHost,
        )
        .unwrap();
        assert_eq!(g.hostnames, ["a", "b"]);
        let g = parse_entry_xml("<range start='10.0.0.5' end='10.0.0.9'/>", Section::IpDhcpRange).unwrap();
        assert_eq!(g.end.as_deref(), Some("10.0.0.9"));
        for bad in [
            "<range start='1' end='2'/>",
            "<host mac='x' bogus='1'/>",
            "<host mac='x'><y/></host>",
            "<host/><host/>",
            "<host",
        ] {
            assert_eq!(
                parse_entry_xml(bad, Section::IpDhcpHost).unwrap_err().exit_code(),
                7,
                "{bad}"
            );
        }
    }
}
