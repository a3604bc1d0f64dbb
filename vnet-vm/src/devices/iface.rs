//! domiflist (interfaces from the domain XML) and domifaddr (addresses from the networks' DHCP
//! leases, the host's ARP table or the guest agent: see addrs.rs), and the --wait-ip loop of install.

use super::addrs::{self, Lease};
use crate::domains::lookup::resolve;
use crate::xml::domain::domain_facts;
use schemars::JsonSchema;
use serde::Serialize;
use std::time::{Duration, Instant};
use virt::domain::Domain;
use virt::sys;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{signals, table, Error, Journal, Render, Result, TextStyle, Verb};

/// A domain's network interfaces (virsh domiflist).
#[derive(Debug, clap::Args)]
pub struct Domiflist {
    pub name: String,
    /// The persistent definition's interfaces rather than the running domain's.
    #[arg(long)]
    pub inactive: bool,
}

/// One interface of `domiflist`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IfaceRow {
    /// The host side (tap) device; null when the domain is not running.
    pub interface: Option<String>,
    /// network, bridge, direct, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The network or bridge it is attached to.
    pub source: String,
    /// The NIC model (virtio, e1000, ...).
    pub model: Option<String>,
    pub mac: String,
}

/// The interfaces `domiflist` found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct IfaceList(pub Vec<IfaceRow>);

impl Render for IfaceList {
    fn text(&self, style: TextStyle) -> String {
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|i| {
                let kind = i.kind.clone();
                vec![
                    dash(&i.interface),
                    kind,
                    i.source.clone(),
                    dash(&i.model),
                    i.mac.clone(),
                ]
            })
            .collect();
        table::render(&["Interface", "Type", "Source", "Model", "MAC"], &rows, style)
    }
}

impl Verb for Domiflist {
    type Ctx = Session;
    type Output = IfaceList;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<IfaceList> {
        let dom = resolve(ctx.conn()?, &mut self.name)?;
        let flags = if self.inactive {
            sys::VIR_DOMAIN_XML_INACTIVE
        } else {
            0
        };
        let xml = dom
            .get_xml_desc(flags)
            .libvirt(format!("XML of domain {}", self.name))?;
        let facts = domain_facts(&xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
        let rows = facts.interfaces.into_iter().map(|i| IfaceRow {
            interface: i.target,
            kind: i.kind,
            source: i.source,
            model: i.model,
            mac: i.mac,
        });
        Ok(IfaceList(rows.collect()))
    }
}

/// A running domain's addresses (virsh domifaddr): from its networks' DHCP leases (the default),
/// the host's ARP table (--source arp: a bridged guest with no libvirt lease), the qemu guest agent
/// (--source agent: exit 6 "no guest agent" without one), or all of these (--source any); each row
/// names its source.
#[derive(Debug, clap::Args)]
pub struct Domifaddr {
    pub name: String,
    /// Where to read addresses: lease, arp, agent or any.
    #[arg(long, value_enum, default_value = "lease")]
    pub source: addrs::Source,
    /// Only this interface's addresses (its host-side name, as virsh's Name column shows it);
    /// a name the domain has not is an empty list, as in virsh.
    #[arg(long, value_name = "IF")]
    pub interface: Option<String>,
    /// In -o text, the name and MAC on every line of an interface with several addresses
    /// (virsh --full; without it later lines show "-"). JSON rows always carry both.
    #[arg(long)]
    pub full: bool,
}

/// The addresses `domifaddr` found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct LeaseList(
    pub Vec<Lease>,
    /// --full: repeat each interface's name and MAC in the text table.
    #[serde(skip)]
    #[schemars(skip)]
    pub bool,
);

/// virsh domifaddr's fixed-width layout (its own printf, not a vshTable).
impl Render for LeaseList {
    fn text(&self, style: TextStyle) -> String {
        let mut out = String::new();
        if style.headers {
            out.push_str(&format!(
                " {:<10} {:<20} {:<8}     {}\n{}\n",
                "Name",
                "MAC address",
                "Protocol",
                "Address",
                "-".repeat(79)
            ));
        }
        for (i, l) in self.0.iter().enumerate() {
            // virsh names an interface once, on its first address, unless --full.
            let again = i > 0 && self.0[i - 1].interface == l.interface;
            let (name, mac) = match again && !self.1 {
                true => ("-", "-"),
                false => (l.interface.as_str(), l.mac.as_str()),
            };
            out.push_str(&format!(
                " {name:<10} {mac:<17}    {:<12} {}\n",
                l.protocol, l.address
            ));
        }
        out.push('\n');
        out
    }
}

impl Verb for Domifaddr {
    type Ctx = Session;
    type Output = LeaseList;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<LeaseList> {
        let dom = resolve(ctx.conn()?, &mut self.name)?;
        let name = &self.name;
        if !dom.is_active().libvirt("domain state")? {
            return Err(Error::failed(format!("domain {name} is not running"))
                .with_hint(format!("start it: vnet-vm start {name}")));
        }
        let mut found = addrs::addresses(&dom, self.source)?;
        found.retain(|l| self.interface.as_ref().is_none_or(|i| *i == l.interface));
        Ok(LeaseList(found, self.full))
    }
}

/// Waits until the domain has an IPv4 address (a DHCP lease, else the host's ARP table: a bridged
/// guest) and returns the first (address/prefix).
/// A held signal (SIGINT during the wait) ends the wait at once with the interruption.
pub fn wait_for_lease(dom: &Domain, timeout: Duration) -> Result<String> {
    let deadline = Instant::now() + timeout;
    let source = default_ip_source(dom);
    loop {
        // A lease file being rewritten can fail a read: only the last try's error counts.
        let found = addrs::first_ipv4(dom, source);
        if let Ok(Some(lease)) = &found {
            return Ok(lease.address.clone());
        }
        signals::check()?;
        if Instant::now() >= deadline {
            return Err(no_lease(dom, timeout, found.err()));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Where to wait for a guest's address when not told: a guest on a libvirt network waits for its
/// DHCP lease (the address with its prefix, as libvirt hands it out); ARP, which knows no prefix
/// and may see the guest before the lease is written, is for bridged guests that take no lease.
pub fn default_ip_source(dom: &Domain) -> addrs::Source {
    let xml = dom.get_xml_desc(0).unwrap_or_default();
    let facts = crate::xml::domain::domain_facts(&xml);
    match facts.is_ok_and(|f| f.interfaces.iter().any(|i| i.kind == "network")) {
        true => addrs::Source::Lease,
        false => addrs::Source::Any,
    }
}

fn no_lease(dom: &Domain, timeout: Duration, last: Option<Error>) -> Error {
    let name = dom.get_name().unwrap_or_default();
    let why = last.map(|e| format!(" ({})", e.message)).unwrap_or_default();
    Error::failed(format!(
        "domain {name} got no DHCP lease within {}s{why}",
        timeout.as_secs()
    ))
    .with_hint(format!(
        "the domain is installed and running; check it with vnet-vm console {name}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_look_like_virsh() {
        let list = IfaceList(vec![IfaceRow {
            interface: None,
            kind: "network".into(),
            source: "default".into(),
            model: Some("virtio".into()),
            mac: "52:54:00:00:00:01".into(),
        }]);
        assert_eq!(
            list.text(TextStyle::default()),
            " Interface   Type      Source    Model    MAC\n\
             -------------------------------------------------------------\n \
             -           network   default   virtio   52:54:00:00:00:01\n\n"
        );
        let json = serde_json::to_value(&list).unwrap();
        assert_eq!(json[0]["type"], "network");
        assert_eq!(json[0]["interface"], serde_json::Value::Null);
    }
}
