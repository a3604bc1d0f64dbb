//! nodedev-list, nodedev-dumpxml and nodedev-info.

use super::{require, tree};
use schemars::JsonSchema;
use serde::Serialize;
use virt::nodedev::NodeDevice;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::xpath::XpathArgs;
use vnet_common::libvirt::{names_document, LibvirtContext, Session};
use vnet_common::{table, Error, Journal, Render, Result, TextStyle, Verb};

/// virsh's capability names and libvirt's list flag for each.
const CAPS: &[(&str, u32)] = &[
    ("system", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_SYSTEM),
    ("pci", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV),
    ("usb_device", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV),
    ("usb", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_INTERFACE),
    ("net", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET),
    ("scsi_host", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_HOST),
    ("scsi_target", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_TARGET),
    ("scsi", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI),
    ("storage", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_STORAGE),
    ("fc_host", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_FC_HOST),
    ("vports", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPORTS),
    (
        "scsi_generic",
        sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_GENERIC,
    ),
    ("drm", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_DRM),
    ("mdev_types", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES),
    ("mdev", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV),
    ("ccw", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_CCW_DEV),
    ("css", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_CSS_DEV),
    ("vdpa", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_VDPA),
    ("ap_card", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_CARD),
    ("ap_queue", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_QUEUE),
    ("ap_matrix", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_MATRIX),
    ("vpd", sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPD),
];

/// The flags of `--cap a,b`; an unknown capability is exit 7.
fn cap_flags(caps: &str) -> Result<u32> {
    caps.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .try_fold(0, |flags, cap| {
            let (_, bit) = CAPS.iter().find(|(name, _)| *name == cap).ok_or_else(|| {
                let known: Vec<&str> = CAPS.iter().map(|(n, _)| *n).collect();
                Error::invalid(format!(
                    "--cap {}: not a capability ({})",
                    quote(cap),
                    known.join(", ")
                ))
            })?;
            Ok(flags | bit)
        })
}

/// The host's devices (virsh nodedev-list [--tree] [--cap LIST] [--inactive] [--all]).
///
/// Sorted by name as virsh sorts them; -o text prints the names, or with --tree virsh's tree
/// of parents and children. --cap keeps the devices with one of the capabilities named (pci,
/// net, storage, usb_device, ...; an unknown one is exit 7).
#[derive(Debug, clap::Args)]
pub struct NodedevList {
    /// -o text: the devices as a tree under their parents.
    #[arg(long, conflicts_with = "cap")]
    pub tree: bool,
    /// Only devices with one of these capabilities, separated by commas.
    #[arg(long, value_name = "CAPS")]
    pub cap: Option<String>,
    /// Only inactive (defined, not started) devices.
    #[arg(long, conflicts_with = "all")]
    pub inactive: bool,
    /// Active and inactive devices.
    #[arg(long)]
    pub all: bool,
}

/// One host device.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodedevRow {
    pub name: String,
    /// Its parent device; null for the root ("computer").
    pub parent: Option<String>,
    /// Its capabilities (pci, net, storage, ...).
    pub capabilities: Vec<String>,
}

/// The devices `nodedev-list` found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct NodedevRows(
    pub Vec<NodedevRow>,
    #[serde(skip)]
    #[schemars(skip)]
    bool,
);

impl Render for NodedevRows {
    fn text(&self, _style: TextStyle) -> String {
        if self.1 {
            let rows: Vec<(String, Option<String>)> = self
                .0
                .iter()
                .map(|r| (r.name.clone(), r.parent.clone()))
                .collect();
            return tree(&rows);
        }
        names_document(self.0.iter().map(|r| r.name.as_str()), 0)
    }
}

fn row_of(dev: &NodeDevice) -> Result<NodedevRow> {
    let name = dev.get_name().libvirt("node device name")?;
    let parent = dev.get_parent().ok().filter(|p| !p.is_empty());
    virt::error::clear_error_callback();
    let capabilities = dev
        .list_caps()
        .libvirt(format!("capabilities of {}", quote(&name)))?;
    Ok(NodedevRow {
        name,
        parent,
        capabilities,
    })
}

impl Verb for NodedevList {
    type Ctx = Session;
    type Output = NodedevRows;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<NodedevRows> {
        let mut flags = self.cap.as_deref().map(cap_flags).transpose()?.unwrap_or(0);
        if self.inactive {
            flags |= sys::VIR_CONNECT_LIST_NODE_DEVICES_INACTIVE;
        } else if !self.all {
            flags |= sys::VIR_CONNECT_LIST_NODE_DEVICES_ACTIVE;
        }
        let devices = ctx
            .conn()?
            .list_all_node_devices(flags)
            .libvirt("list node devices")?;
        let mut rows = devices.iter().map(row_of).collect::<Result<Vec<_>>>()?;
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(NodedevRows(rows, self.tree))
    }
}

/// Print a host device's XML (virsh nodedev-dumpxml DEVICE).
///
/// Prints the document itself, as virsh does, or with --xpath the nodes it selects; -o json
/// gives {"name", "xml", "nodes"}.
#[derive(Debug, clap::Args)]
pub struct NodedevDumpxml {
    /// The device's name (as nodedev-list prints it).
    pub device: String,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

/// A device's XML document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodedevXml {
    pub name: String,
    /// The document as libvirt wrote it (printed as it is unless -o json); with --xpath, the
    /// selected nodes as printed.
    pub xml: String,
    /// With --xpath, each selected node's XML; null without --xpath.
    pub nodes: Option<Vec<String>>,
}

impl Render for NodedevXml {
    fn document(&self) -> Option<&str> {
        Some(&self.xml)
    }
}

impl Verb for NodedevDumpxml {
    type Ctx = Session;
    type Output = NodedevXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<NodedevXml> {
        let dev = require(ctx.conn()?, &self.device)?;
        let xml = dev.get_xml_desc(0).libvirt("node device XML")?;
        let (xml, nodes) = self.xpath.shown(xml)?;
        Ok(NodedevXml {
            name: dev.get_name().libvirt("node device name")?,
            xml,
            nodes,
        })
    }
}

/// What a host device is (virsh nodedev-info DEVICE): its parent, and whether it is active,
/// persistent and started at boot. -o text prints virsh's lines.
#[derive(Debug, clap::Args)]
pub struct NodedevInfo {
    /// The device's name (as nodedev-list prints it).
    pub device: String,
}

/// A device's facts.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodedevFacts {
    pub name: String,
    /// Its parent device; null for the root.
    pub parent: Option<String>,
    pub active: bool,
    pub persistent: bool,
    pub autostart: bool,
}

fn yes(on: bool) -> String {
    if on { "yes" } else { "no" }.into()
}

impl Render for NodedevFacts {
    fn text(&self, _style: TextStyle) -> String {
        table::fields(&[
            ("Name:", self.name.clone()),
            ("Parent:", self.parent.clone().unwrap_or_default()),
            ("Active:", yes(self.active)),
            ("Persistent:", yes(self.persistent)),
            ("Autostart:", yes(self.autostart)),
        ])
    }
}

/// A yes/no answer libvirt gives as 1/0 (or -1 with an error).
fn flag(answer: libc::c_int, what: &str) -> Result<bool> {
    match answer {
        a if a < 0 => {
            Err(vnet_common::libvirt::error(virt::error::Error::last_error()).context(what.to_string()))
        }
        a => Ok(a > 0),
    }
}

impl Verb for NodedevInfo {
    type Ctx = Session;
    type Output = NodedevFacts;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<NodedevFacts> {
        let dev = require(ctx.conn()?, &self.device)?;
        let ptr = dev.as_ptr();
        let mut autostart: libc::c_int = 0;
        // SAFETY: `ptr` is the live device `dev` holds; the calls read its state only.
        let (active, persistent, got) = unsafe {
            (
                sys::virNodeDeviceIsActive(ptr),
                sys::virNodeDeviceIsPersistent(ptr),
                sys::virNodeDeviceGetAutostart(ptr, &mut autostart),
            )
        };
        flag(got, "node device autostart")?;
        Ok(NodedevFacts {
            name: dev.get_name().libvirt("node device name")?,
            parent: dev.get_parent().ok().filter(|p| !p.is_empty()),
            active: flag(active, "node device state")?,
            persistent: flag(persistent, "node device persistence")?,
            autostart: autostart > 0,
        })
    }
}
