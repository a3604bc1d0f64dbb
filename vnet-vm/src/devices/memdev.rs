//! update-memory-device (virsh's spelling and flags): a virtio-mem device's requested size,
//! changed through libvirt's update-device with the device's own element, as virsh does it.

use super::devxml::{lookup, DeviceAffect};
use super::scope::{device_element, printed_document};
use crate::storage::volumes::parse_size;
use crate::xml::domain::Element;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::error::quote;
use vnet_common::libvirt::xml::parse;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Change a virtio-mem device's requested size (virsh update-memory-device).
///
/// The device is the domain's one virtio-mem device, or the one --alias or --node picks (the
/// running domain's, or its persistent definition's with --config / --persistent, as virsh reads
/// it): none is exit 3, several exit 7 (name one with --alias or --node). --requested-size is
/// KiB without a unit, or 64M, 1G, ... (malformed: exit 7); libvirt checks it against the
/// device (a multiple of its block size, at most its size: libvirt's invalid-argument error,
/// exit 7, nothing changed). "changed": false when the device already requests that size. --print-xml prints
/// the device's element as it would be sent and changes nothing. Undone on a later failure:
/// the previous size requested again.
#[derive(Debug, clap::Args)]
pub struct UpdateMemoryDevice {
    /// The domain (name, ID or UUID).
    pub domain: String,
    #[command(flatten)]
    pub affect: DeviceAffect,
    /// Print the device's XML instead of updating it (nothing is changed).
    #[arg(long)]
    pub print_xml: bool,
    /// The device with this alias (virtiomem0, ua-...); not with --node, as virsh.
    #[arg(long, value_name = "ALIAS", conflicts_with = "node")]
    pub alias: Option<String>,
    /// The device on this guest NUMA node.
    #[arg(long, value_name = "NODE")]
    pub node: Option<u32>,
    /// The size the guest is asked to plug: KiB without a unit, or 64M, 1G, ...
    #[arg(long, value_name = "SIZE")]
    pub requested_size: Option<String>,
}

/// A virtio-mem device after update-memory-device.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MemoryDeviceUpdated {
    /// The domain.
    pub name: String,
    /// False when the device already requested this size (or with --print-xml).
    pub changed: bool,
    /// The device's alias; null in a definition that has none.
    pub alias: Option<String>,
    /// The guest NUMA node of the device.
    pub node: Option<u32>,
    /// The requested size before, in KiB.
    pub previous_kib: u64,
    /// The requested size now (with --print-xml: as it would be), in KiB.
    pub requested_kib: u64,
    /// The running domain was changed.
    pub live: bool,
    /// The persistent definition was changed.
    pub config: bool,
    /// --print-xml: the device's element, which nothing was done with. Printed itself unless
    /// -o json.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xml: Option<String>,
}

impl Render for MemoryDeviceUpdated {
    fn text(&self, _style: TextStyle) -> String {
        self.xml.clone().unwrap_or_default()
    }

    fn document(&self) -> Option<&str> {
        self.xml.as_deref()
    }
}

/// virsh's --requested-size: KiB without a unit; the size in KiB.
fn requested_kib(text: &str) -> Result<u64> {
    let bytes = match text.trim().ends_with(|c: char| c.is_ascii_digit()) {
        true => parse_size(&format!("{}K", text.trim())),
        false => parse_size(text),
    }
    .map_err(|_| {
        Error::invalid(format!(
            "--requested-size {}: a size (KiB without a unit, or 64M, 1G)",
            quote(text)
        ))
    })?;
    Ok(bytes / 1024)
}

/// One virtio-mem device of a domain XML: its place among the `<memory>` devices and what it says.
struct Found {
    index: usize,
    alias: Option<String>,
    node: Option<u32>,
    requested: u64,
}

impl UpdateMemoryDevice {
    /// The device --alias or --node picks in `xml`: exactly one (3 for none, 7 for several).
    fn find(&self, xml: &str) -> Result<Found> {
        let domain = parse(xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
        let mut found: Vec<Found> = Vec::new();
        for (index, mem) in domain.all(&["devices", "memory"]).into_iter().enumerate() {
            let alias = mem.child("alias").and_then(|a| a.attr_string("name"));
            let node = mem
                .text_at(&["target", "node"])
                .and_then(|n| n.trim().parse().ok());
            let picked = mem.attr("model") == Some("virtio-mem")
                && self.alias.as_ref().is_none_or(|a| alias.as_ref() == Some(a))
                && self.node.is_none_or(|n| node == Some(n));
            if picked {
                let requested = mem.at(&["target", "requested"]).map_or(0, kib_of);
                found.push(Found {
                    index,
                    alias,
                    node,
                    requested,
                });
            }
        }
        match found.len() {
            0 => Err(Error::not_found(format!(
                "domain {}: no memory device found (a virtio-mem device{})",
                quote(&self.domain),
                self.picked_by()
            ))),
            1 => Ok(found.remove(0)),
            n => Err(Error::invalid(format!(
                "domain {}: {n} virtio-mem devices: use --alias or --node to select one",
                quote(&self.domain)
            ))),
        }
    }

    fn picked_by(&self) -> String {
        let mut out = String::new();
        if let Some(a) = &self.alias {
            out.push_str(&format!(" with alias {}", quote(a)));
        }
        if let Some(n) = self.node {
            out.push_str(&format!(" on node {n}"));
        }
        out
    }
}

/// An element's size in KiB, read with its unit (libvirt writes KiB).
fn kib_of(e: &vnet_common::libvirt::xml::Element) -> u64 {
    let value = e.text.trim();
    let unit = e.attr("unit").unwrap_or("KiB");
    parse_size(&format!("{value}{unit}")).map_or(0, |b| b / 1024)
}

/// The device element with `<target><requested unit='KiB'>` set to `kib`.
fn with_requested(element: &str, kib: u64) -> Result<String> {
    let mut mem = Element::parse(element).map_err(|e| Error::failed(format!("memory device XML: {e}")))?;
    mem.set("target/requested", &kib.to_string());
    mem.set("target/requested/@unit", "KiB");
    Ok(format!("{}\n", mem.to_document()))
}

impl Verb for UpdateMemoryDevice {
    type Ctx = Session;
    type Output = MemoryDeviceUpdated;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<MemoryDeviceUpdated> {
        let asked = self.requested_size.as_deref().map(requested_kib).transpose()?;
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let scope = self.affect.resolve(&dom, &self.domain)?;
        let xml = printed_document(scope.documents(&dom, &self.domain)?);
        let found = self.find(&xml)?;
        let element = device_element(&xml, "memory", found.index)?;
        let kib = asked.unwrap_or(found.requested);
        let mut out = MemoryDeviceUpdated {
            name: self.domain.clone(),
            changed: false,
            alias: found.alias,
            node: found.node,
            previous_kib: found.requested,
            requested_kib: kib,
            live: false,
            config: false,
            xml: None,
        };
        let updated = with_requested(&element, kib)?;
        if self.print_xml {
            out.xml = Some(updated);
            return Ok(out);
        }
        if kib == found.requested {
            return Ok(out);
        }
        let what = format!("update the memory device of domain {}", quote(&self.domain));
        dom.update_device_flags(&updated, scope.flags()).libvirt(&what)?;
        let (undo, flags, before) = (
            dom.clone(),
            scope.flags(),
            with_requested(&element, found.requested)?,
        );
        journal.record_fn(format!("{what} to {kib} KiB"), move || {
            undo.update_device_flags(&before, flags)
                .map(drop)
                .libvirt("request the previous size again")
        })?;
        out.changed = true;
        out.live = scope.live;
        out.config = scope.config;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_the_requested_element() {
        assert_eq!(requested_kib("128").unwrap(), 128);
        assert_eq!(requested_kib("128M").unwrap(), 131072);
        assert_eq!(requested_kib("1G").unwrap(), 1 << 20);
        assert_eq!(requested_kib("lots").unwrap_err().exit_code(), 7);
        let element = "<memory model=\"virtio-mem\"><target><size unit=\"KiB\">524288</size>\
            <requested unit=\"KiB\">0</requested></target></memory>";
        let updated = with_requested(element, 65536).unwrap();
        assert!(
            updated.contains("<requested unit=\"KiB\">65536</requested>"),
            "{updated}"
        );
        assert!(updated.contains("<size unit=\"KiB\">524288</size>"), "{updated}");
    }
}
