//! The entries a network holds now, as `update` reports them, and the `dhcp-hosts` /
//! `dns-hosts` listings.

use super::entry::{parse_addr, same_ip, same_mac};
use crate::inspect::DhcpRange;
use crate::network::{definition, require};
use crate::spec;
use crate::xml::{DhcpHost, DnsHost, Summary};
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::libvirt::Session;
use vnet_common::mac::parse_unicast_mac;
use vnet_common::verb::{Render, TextStyle};
use vnet_common::{table, Journal, Result, Verb};

/// One DHCP host reservation.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DhcpHostRow {
    /// The guest's MAC address (lower case); null for a reservation by name.
    pub mac: Option<String>,
    /// The client's DUID (an IPv6 reservation's `id=`); null when none.
    pub id: Option<String>,
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

pub fn host_row(h: &DhcpHost) -> DhcpHostRow {
    DhcpHostRow {
        mac: h.mac.as_ref().map(|m| m.to_lowercase()),
        id: h.id.clone(),
        ip: h.ip.clone(),
        name: h.name.clone(),
    }
}

pub fn dns_row(h: &DnsHost) -> DnsHostRow {
    DnsHostRow {
        ip: h.ip.clone(),
        hostnames: h.hostnames.clone(),
    }
}

pub fn ranges_of(summary: &Summary) -> Vec<DhcpRange> {
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
        let summary = definition(&net, self.inactive, &self.network)?;
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
        let summary = definition(&net, self.inactive, &self.network)?;
        Ok(DnsHostList(summary.dns_hosts.iter().map(dns_row).collect()))
    }
}
