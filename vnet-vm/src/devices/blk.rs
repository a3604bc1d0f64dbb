//! domblklist, domblkinfo and blockresize (virsh's spellings, flags and layouts): a domain's block
//! devices, one device's sizes, and growing one while the domain runs.

use super::scope::word;
use crate::devices::devxml::lookup;
use crate::storage::volumes::parse_size;
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::xml::parse;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{table, Error, Journal, Render, Result, TextStyle, Verb};

/// List a domain's block devices (virsh domblklist).
#[derive(Debug, clap::Args)]
pub struct Domblklist {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The persistent definition's devices, not the running domain's.
    #[arg(long)]
    pub inactive: bool,
    /// Also the type (file, block, network) and device (disk, cdrom) columns in -o text.
    #[arg(long)]
    pub details: bool,
}

/// One block device of a domain.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BlockDevice {
    /// file, block, network, volume.
    #[serde(rename = "type")]
    pub kind: String,
    /// disk, cdrom, floppy, lun.
    pub device: String,
    /// The name the guest sees (vda, hdc).
    pub target: String,
    /// The image file, block device, volume or network name; null for an empty drive.
    pub source: Option<String>,
}

/// domblklist's result: the devices in the domain's order.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct BlockList {
    pub devices: Vec<BlockDevice>,
    #[serde(skip)]
    #[schemars(skip)]
    details: bool,
}

impl Render for BlockList {
    fn text(&self, style: TextStyle) -> String {
        let source = |d: &BlockDevice| d.source.clone().unwrap_or_else(|| "-".into());
        let rows: Vec<Vec<String>> = self
            .devices
            .iter()
            .map(|d| match self.details {
                true => vec![d.kind.clone(), d.device.clone(), d.target.clone(), source(d)],
                false => vec![d.target.clone(), source(d)],
            })
            .collect();
        match self.details {
            true => table::render(&["Type", "Device", "Target", "Source"], &rows, style),
            false => table::render(&["Target", "Source"], &rows, style),
        }
    }
}

/// The block devices of a domain XML.
pub fn block_devices(xml: &str) -> Result<Vec<BlockDevice>> {
    let domain = parse(xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
    let devices = domain.all(&["devices", "disk"]).into_iter().map(|d| {
        let source = d.child("source").and_then(|s| {
            ["file", "dev", "name", "volume"]
                .iter()
                .find_map(|k| s.attr_string(k))
        });
        BlockDevice {
            kind: d.attr_string("type").unwrap_or_else(|| "file".into()),
            device: d.attr_string("device").unwrap_or_else(|| "disk".into()),
            target: d
                .child("target")
                .and_then(|t| t.attr_string("dev"))
                .unwrap_or_default(),
            source,
        }
    });
    Ok(devices.collect())
}

fn domain_xml(dom: &Domain, name: &str, inactive: bool) -> Result<String> {
    let flags = if inactive { sys::VIR_DOMAIN_XML_INACTIVE } else { 0 };
    dom.get_xml_desc(flags)
        .libvirt(format!("XML of domain {}", quote(name)))
}

impl Verb for Domblklist {
    type Ctx = Session;
    type Output = BlockList;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<BlockList> {
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let devices = block_devices(&domain_xml(&dom, &self.domain, self.inactive)?)?;
        Ok(BlockList {
            devices,
            details: self.details,
        })
    }
}

/// The device of a running domain named by target or source; exit 3 when it has none.
fn find_block(dom: &Domain, name: &str, device: &str) -> Result<BlockDevice> {
    word("DEVICE", device)?;
    let devices = block_devices(&domain_xml(dom, name, false)?)?;
    devices
        .into_iter()
        .find(|d| d.target == device || d.source.as_deref() == Some(device))
        .ok_or_else(|| {
            Error::not_found(format!(
                "domain {}: no block device {}",
                quote(name),
                quote(device)
            ))
            .with_hint(format!("list them with virsh domblklist {name}"))
        })
}

/// Show a block device's sizes (virsh domblkinfo).
///
/// With --all, every disk of the domain (virsh domblkinfo --all): an array of rows named as
/// virsh's columns (target, capacity, allocation, physical); an empty drive (no source) has
/// null sizes, "-" in -o text, as virsh prints it.
#[derive(Debug, clap::Args)]
pub struct Domblkinfo {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The device: its target (vda) or source file (not with --all).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub device: Option<String>,
    /// Sizes with units (KiB, MiB, GiB) in -o text.
    #[arg(long)]
    pub human: bool,
    /// Every block device of the domain, one row each.
    #[arg(long)]
    pub all: bool,
}

/// domblkinfo's result: one device's sizes (an object), or with --all every device's (an array).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum DomblkinfoOutput {
    One(BlockInfo),
    All(BlockInfoTable),
}

impl Render for DomblkinfoOutput {
    fn text(&self, style: TextStyle) -> String {
        match self {
            DomblkinfoOutput::One(one) => one.text(style),
            DomblkinfoOutput::All(all) => all.text(style),
        }
    }
}

/// domblkinfo --all: a row per disk, in the domain's order.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct BlockInfoTable {
    pub rows: Vec<BlockInfoRow>,
    #[serde(skip)]
    #[schemars(skip)]
    human: bool,
}

/// One disk's sizes in bytes (domblkinfo --all); null for an empty drive.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BlockInfoRow {
    /// The device's target (vda).
    pub target: String,
    /// What the guest sees.
    pub capacity: Option<u64>,
    /// Host storage in use (like du).
    pub allocation: Option<u64>,
    /// The container's size on the host (like ls).
    pub physical: Option<u64>,
}

impl Render for BlockInfoTable {
    fn text(&self, style: TextStyle) -> String {
        let value = |v: Option<u64>| match (v, self.human) {
            (None, _) => "-".to_string(),
            (Some(v), true) => human(v),
            (Some(v), false) => v.to_string(),
        };
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.target.clone(),
                    value(r.capacity),
                    value(r.allocation),
                    value(r.physical),
                ]
            })
            .collect();
        table::render(&["Target", "Capacity", "Allocation", "Physical"], &rows, style)
    }
}

/// A block device's sizes in bytes.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BlockInfo {
    /// The device's target (vda).
    pub target: String,
    /// What the guest sees.
    pub capacity: u64,
    /// Host storage in use (like du).
    pub allocation: u64,
    /// The container's size on the host (like ls).
    pub physical: u64,
    #[serde(skip)]
    #[schemars(skip)]
    human: bool,
}

impl Render for BlockInfo {
    fn text(&self, _style: TextStyle) -> String {
        let value = |v: u64| match self.human {
            true => human(v),
            false => v.to_string(),
        };
        format!(
            "{:<15} {}\n{:<15} {}\n{:<15} {}\n\n",
            "Capacity:",
            value(self.capacity),
            "Allocation:",
            value(self.allocation),
            "Physical:",
            value(self.physical)
        )
    }
}

/// A size as virsh's --human prints it: "1.000 GiB".
fn human(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ => format!("{value:.3} {}", units[unit]),
    }
}

impl Verb for Domblkinfo {
    type Ctx = Session;
    type Output = DomblkinfoOutput;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<DomblkinfoOutput> {
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let Some(device) = self.device.as_deref() else {
            return Ok(DomblkinfoOutput::All(self.every_device(&dom)?));
        };
        let device = find_block(&dom, &self.domain, device)?;
        let info = dom.get_block_info(&device.target, 0).libvirt(format!(
            "block device {} of domain {}",
            device.target,
            quote(&self.domain)
        ))?;
        Ok(DomblkinfoOutput::One(BlockInfo {
            target: device.target,
            capacity: info.capacity,
            allocation: info.allocation,
            physical: info.physical,
            human: self.human,
        }))
    }
}

impl Domblkinfo {
    /// --all: every disk of the domain's XML (the running one's, else its definition's); an
    /// empty drive is not asked about (null sizes), as virsh skips it. All zero is null too:
    /// virsh prints "-" for a device libvirt reports no sizes of.
    fn every_device(&self, dom: &Domain) -> Result<BlockInfoTable> {
        let mut rows = Vec::new();
        for device in block_devices(&domain_xml(dom, &self.domain, false)?)? {
            let sizes = match device.source {
                None => None,
                Some(_) => {
                    let info = dom.get_block_info(&device.target, 0).libvirt(format!(
                        "block device {} of domain {}",
                        device.target,
                        quote(&self.domain)
                    ))?;
                    let all = [info.capacity, info.allocation, info.physical];
                    (all != [0, 0, 0]).then_some(all)
                }
            };
            rows.push(BlockInfoRow {
                target: device.target,
                capacity: sizes.map(|s| s[0]),
                allocation: sizes.map(|s| s[1]),
                physical: sizes.map(|s| s[2]),
            });
        }
        Ok(BlockInfoTable {
            rows,
            human: self.human,
        })
    }
}

/// Grow a running domain's block device (virsh blockresize).
///
/// SIZE is a scaled integer, KiB without a unit as virsh reads it (512M, 2G, 1048576). A device
/// the domain does not have is exit 3, a SIZE that is malformed or below the current capacity
/// exit 7, all before anything changes. Not undone (the guest may already use the space).
#[derive(Debug, clap::Args)]
pub struct Blockresize {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The device: its target (vdb) or source file.
    pub path: String,
    /// The new size: KiB without a unit, or 512M, 2G, ...
    pub size: String,
}

/// A block device after blockresize.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BlockResized {
    /// The domain.
    pub name: String,
    /// False when the device already had this size.
    pub changed: bool,
    /// The device's target.
    pub target: String,
    /// The capacity before, in bytes.
    pub previous: u64,
    /// The capacity now, in bytes.
    pub capacity: u64,
}

impl Render for BlockResized {
    fn text(&self, _style: TextStyle) -> String {
        format!("Block device '{}' is resized\n", self.target)
    }
}

/// virsh's SIZE: KiB without a unit.
fn resize_bytes(text: &str) -> Result<u64> {
    match text.trim().ends_with(|c: char| c.is_ascii_digit()) {
        true => parse_size(&format!("{}K", text.trim())),
        false => parse_size(text),
    }
}

impl Verb for Blockresize {
    type Ctx = Session;
    type Output = BlockResized;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<BlockResized> {
        let bytes = resize_bytes(&self.size)?;
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let device = find_block(&dom, &self.domain, &self.path)?;
        let what = format!("block device {} of domain {}", device.target, quote(&self.domain));
        let info = dom.get_block_info(&device.target, 0).libvirt(&what)?;
        if bytes < info.capacity {
            return Err(Error::invalid(format!(
                "{what}: {} is below its capacity of {} bytes: blockresize only grows a device",
                quote(&self.size),
                info.capacity
            )));
        }
        if bytes > info.capacity {
            dom.block_resize(&device.target, bytes, sys::VIR_DOMAIN_BLOCK_RESIZE_BYTES)
                .libvirt(format!("resize {what}"))?;
            journal.irreversible(format!("resize {what} to {bytes} bytes"))?;
        }
        Ok(BlockResized {
            name: self.domain,
            changed: bytes > info.capacity,
            target: device.target,
            previous: info.capacity,
            capacity: bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_devices_and_virsh_layouts() {
        let xml = "<domain><devices><disk type='file' device='disk'><source file='/i/a.img'/>\
            <target dev='vda'/></disk><disk type='file' device='cdrom'><target dev='hdc'/></disk>\
            </devices></domain>";
        let list = BlockList {
            devices: block_devices(xml).unwrap(),
            details: false,
        };
        assert_eq!(
            list.text(TextStyle::default()),
            " Target   Source\n--------------------\n vda      /i/a.img\n hdc      -\n\n"
        );
        assert_eq!(resize_bytes("1024").unwrap(), 1 << 20);
        assert_eq!(resize_bytes("32M").unwrap(), 32 << 20);
        assert_eq!(resize_bytes("x").unwrap_err().exit_code(), 7);
        assert_eq!(human(1 << 30), "1.000 GiB");
    }
}
