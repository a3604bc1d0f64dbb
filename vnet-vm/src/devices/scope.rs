//! What attach and detach share: --live / --config (virsh's scope rules), the checks of their
//! words, and waiting for a guest to let a device go.

use crate::xml::domain::domain_facts;
use std::time::{Duration, Instant};
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{signals, Error, Result};

/// Which definitions a change touches, resolved against the domain's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub live: bool,
    pub config: bool,
}

/// Whether the domain runs; --live on one that does not is exit 1 (shared by every verb's
/// --live/--config resolution).
pub fn active_for(dom: &Domain, name: &str, live: bool) -> Result<bool> {
    let active = dom.is_active().libvirt("domain state")?;
    if live && !active {
        return Err(Error::failed(format!(
            "domain {} is not running: --live needs a running domain",
            quote(name)
        ))
        .with_hint("use --config to change its definition, or start it first"));
    }
    Ok(active)
}

impl Scope {
    pub fn flags(self) -> u32 {
        let mut flags = 0;
        if self.live {
            flags |= sys::VIR_DOMAIN_AFFECT_LIVE;
        }
        if self.config {
            flags |= sys::VIR_DOMAIN_AFFECT_CONFIG;
        }
        flags
    }

    /// The XML documents the change is checked against: (which, xml).
    pub fn documents(self, dom: &Domain, name: &str) -> Result<Vec<(&'static str, String)>> {
        let mut docs = Vec::new();
        let what = format!("XML of domain {}", quote(name));
        if self.live {
            docs.push(("running domain", dom.get_xml_desc(0).libvirt(&what)?));
        }
        if self.config {
            let xml = dom.get_xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).libvirt(&what)?;
            docs.push(("persistent definition", xml));
        }
        Ok(docs)
    }
}

pub fn facts(xml: &str) -> Result<crate::xml::domain::DomainFacts> {
    domain_facts(xml).map_err(|e| Error::failed(format!("domain XML: {e}")))
}

/// A word for XML that libvirt will read: a network, bridge, model or driver name. Only checked
/// for what could never be one (empty, control characters, over 255 bytes): libvirt judges the rest.
pub fn word(flag: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > 255 || value.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "{flag} {}: not a valid name",
            quote(value)
        )));
    }
    Ok(())
}

/// A NIC model: letters, digits, '-', '_' (virtio, e1000, rtl8139, e1000e...).
pub fn model(value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= 32
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(Error::invalid(format!(
            "--model {}: a NIC model is letters, digits, - and _ (virtio, e1000, rtl8139)",
            quote(value)
        )));
    }
    Ok(())
}

/// Waits until `gone(live XML)` holds, polling every 250 ms; false after `secs`.
pub fn wait_until_gone(dom: &Domain, secs: u64, gone: impl Fn(&str) -> bool) -> Result<bool> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let xml = dom.get_xml_desc(0).libvirt("domain XML")?;
        if gone(&xml) {
            return Ok(true);
        }
        signals::check()?;
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The error for a live unplug the guest has not completed: the request stays with the guest.
pub fn unplug_pending(what: &str, name: &str, secs: u64) -> Error {
    Error::failed(format!(
        "{what}: the guest of domain {} has not released it within {secs} s; the unplug request \
         stays pending",
        quote(name)
    ))
    .with_hint(
        "a hot-unplug completes only once the guest kernel has booted and acknowledges it: \
         check with vnet-vm domiflist / virsh domblklist, or raise --wait",
    )
}

/// The definition a detach verb's --print-xml reads, as virsh picks it: the persistent one when
/// the change touches it, else the running one.
pub fn printed_document(mut docs: Vec<(&'static str, String)>) -> String {
    docs.pop().map(|(_, xml)| xml).unwrap_or_default()
}

/// The `index`th (from 0) `<element>` under `<devices>` of a domain XML, as virsh's --print-xml
/// of a detach verb prints it (the element as the domain has it, its address and alias too).
pub fn device_element(xml: &str, element: &str, index: usize) -> Result<String> {
    let path = format!("/domain/devices/{element}[{}]", index + 1);
    let pieces = vnet_common::libvirt::xpath::select(xml, &path, false)?;
    Ok(vnet_common::libvirt::xpath::document(&pieces))
}

/// A device document an attach verb made, laid out for --print-xml (indented, one element).
pub fn indented(xml: &str) -> Result<String> {
    let pieces = vnet_common::libvirt::xpath::select(xml, "/*", false)?;
    Ok(vnet_common::libvirt::xpath::document(&pieces))
}
