//! domiflist (interfaces from the domain XML) and domifaddr (addresses from the networks' DHCP
//! leases, libvirt's lease source), and the --wait-ip loop of install.

use crate::xml::domain_facts;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, Outcome, Result};

pub fn domiflist(conn: &Connect, name: &str) -> Result<Outcome> {
    let dom = crate::domains::lookup(conn, name)?;
    let xml = dom.get_xml_desc(0).libvirt(format!("XML of domain {name}"))?;
    let facts = domain_facts(&xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
    let json: Vec<Value> = facts
        .interfaces
        .iter()
        .map(|i| json!({"interface": i.target, "type": i.kind, "source": i.source, "model": i.model, "mac": i.mac}))
        .collect();
    let rows: Vec<Vec<String>> = facts
        .interfaces
        .iter()
        .map(|i| {
            let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            vec![
                dash(&i.target),
                i.kind.clone(),
                i.source.clone(),
                dash(&i.model),
                i.mac.clone(),
            ]
        })
        .collect();
    let text = crate::table(&["Interface", "Type", "Source", "Model", "MAC"], &rows);
    Ok(Outcome::new(Value::Array(json), text))
}

/// One address from a lease: (interface, mac, protocol, address/prefix).
type Lease = (String, String, &'static str, String);

fn leases(dom: &Domain) -> Result<Vec<Lease>> {
    let ifaces = dom
        .interface_addresses(sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, 0)
        .libvirt("read DHCP leases")?;
    let mut out = Vec::new();
    for iface in ifaces {
        for addr in &iface.addrs {
            let proto = if addr.typed == sys::VIR_IP_ADDR_TYPE_IPV6 as i64 {
                "ipv6"
            } else {
                "ipv4"
            };
            out.push((
                iface.name.clone(),
                iface.hwaddr.clone(),
                proto,
                format!("{}/{}", addr.addr, addr.prefix),
            ));
        }
    }
    Ok(out)
}

pub fn domifaddr(conn: &Connect, name: &str) -> Result<Outcome> {
    let dom = crate::domains::lookup(conn, name)?;
    if !dom.is_active().libvirt("domain state")? {
        return Err(Error::failed(format!("domain {name} is not running"))
            .with_hint(format!("start it: vnet-vm start {name}")));
    }
    let found = leases(&dom)?;
    let json: Vec<Value> = found
        .iter()
        .map(|(i, mac, proto, addr)| {
            json!({"interface": i, "mac": mac, "protocol": proto, "address": addr, "source": "lease"})
        })
        .collect();
    let rows: Vec<Vec<String>> = found
        .iter()
        .map(|(i, mac, p, a)| vec![i.clone(), mac.clone(), p.to_string(), a.clone()])
        .collect();
    let text = crate::table(&["Name", "MAC address", "Protocol", "Address"], &rows);
    Ok(Outcome::new(Value::Array(json), text))
}

/// Waits until the domain has a DHCP lease and returns its first IPv4 address (address/prefix).
pub fn wait_for_lease(dom: &Domain, timeout: Duration) -> Result<String> {
    let deadline = Instant::now() + timeout;
    loop {
        // A lease file being rewritten can fail a read: only the last try's error counts.
        let found = leases(dom);
        if let Ok(found) = &found {
            if let Some((_, _, _, addr)) = found.iter().find(|l| l.2 == "ipv4") {
                return Ok(addr.clone());
            }
        }
        if crate::install::remaining(deadline).is_none() {
            let name = dom.get_name().unwrap_or_default();
            let why = found
                .err()
                .map(|e| format!(" ({})", e.message))
                .unwrap_or_default();
            return Err(Error::failed(format!(
                "domain {name} got no DHCP lease within {}s{why}",
                timeout.as_secs()
            ))
            .with_hint(format!(
                "the domain is installed and running; check it with vnet-vm console {name}"
            )));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
