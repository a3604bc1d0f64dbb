//! nodedev-create, nodedev-destroy, nodedev-define, nodedev-undefine, nodedev-start and
//! nodedev-autostart: the devices libvirt makes itself (vHBAs on a fibre channel host adapter,
//! mediated devices through mdevctl). Which a host can make is its node device driver's choice;
//! what it refuses is libvirt's refusal with virsh's exit class (unsupported: 6).

use super::require;
use schemars::JsonSchema;
use serde::Serialize;
use std::path::PathBuf;
use virt::connect::Connect;
use virt::nodedev::NodeDevice;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{edit, xml, LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// A node device after one of these verbs; -o text prints virsh's line.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodedevChanged {
    /// The device's name (libvirt chooses it for a created one: scsi_host12).
    pub name: String,
    /// False when it already was so.
    pub changed: bool,
    #[serde(skip)]
    #[schemars(skip)]
    pub line: String,
}

impl Render for NodedevChanged {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n\n", self.line)
    }
}

/// A <device> document from FILE, checked before libvirt is asked (exit 7 when it is not one
/// well-formed <device>; a missing file is 3).
fn device_file(file: &std::path::Path) -> Result<(String, String)> {
    let shown = file.display().to_string();
    let text = vnet_common::files::read_text(file, vnet_common::files::MAX_XML)?;
    let root = xml::parse(&text).map_err(|e| Error::invalid(format!("{}: not XML: {e}", quote(&shown))))?;
    if root.name != "device" {
        return Err(Error::invalid(format!(
            "{}: the root element is <{}>, not <device>",
            quote(&shown),
            root.name
        )));
    }
    Ok((shown, text))
}

fn name_of(dev: &NodeDevice) -> Result<String> {
    dev.get_name().libvirt("node device name")
}

/// Create a device from an XML file (virsh nodedev-create FILE [--validate]): a vHBA on a fibre
/// channel adapter, or a mediated device. Undone on a later failure (--batch --atomic): the
/// device is destroyed again.
#[derive(Debug, clap::Args)]
pub struct NodedevCreate {
    /// The device XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// Check the document against libvirt's schema.
    #[arg(long)]
    pub validate: bool,
}

impl Verb for NodedevCreate {
    type Ctx = Session;
    type Output = NodedevChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<NodedevChanged> {
        let (file, text) = device_file(&self.file)?;
        let flags = if self.validate {
            sys::VIR_NODE_DEVICE_CREATE_XML_VALIDATE
        } else {
            0
        };
        let dev = NodeDevice::create_xml(ctx.conn()?, &text, flags)
            .map_err(|e| edit::refused(e, format!("create node device from {}", quote(&file))))?;
        let name = name_of(&dev)?;
        journal.record_fn(format!("create node device {name}"), move || {
            dev.destroy().map(drop).libvirt("destroy the node device again")
        })?;
        let line = format!("Node device {name} created from {file}");
        Ok(NodedevChanged {
            name,
            changed: true,
            line,
        })
    }
}

/// Destroy (stop) a device libvirt made (virsh nodedev-destroy DEVICE); none of that name is
/// exit 3. Cannot be undone: the driver names a device when it makes it.
#[derive(Debug, clap::Args)]
pub struct NodedevDestroy {
    /// The device's name.
    pub device: String,
}

impl Verb for NodedevDestroy {
    type Ctx = Session;
    type Output = NodedevChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<NodedevChanged> {
        let dev = require(ctx.conn()?, &self.device)?;
        let name = name_of(&dev)?;
        dev.destroy()
            .libvirt(format!("destroy node device {}", quote(&name)))?;
        journal.irreversible(format!("destroy node device {name}"))?;
        let line = format!("Destroyed node device '{name}'");
        Ok(NodedevChanged {
            name,
            changed: true,
            line,
        })
    }
}

/// Define a persistent device from an XML file (virsh nodedev-define FILE [--validate]): a
/// mediated device, kept by mdevctl. Undone on a later failure (--batch --atomic): undefined.
#[derive(Debug, clap::Args)]
pub struct NodedevDefine {
    /// The device XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// Check the document against libvirt's schema.
    #[arg(long)]
    pub validate: bool,
}

/// virNodeDeviceDefineXML (not in the virt crate's safe API).
fn define(conn: &Connect, text: &str, flags: u32) -> std::result::Result<NodeDevice, virt::error::Error> {
    let text = std::ffi::CString::new(text).expect("files holding NUL are refused when read");
    // SAFETY: a live connection and C string; the device returned is owned by the caller.
    let ptr = unsafe { sys::virNodeDeviceDefineXML(conn.as_ptr(), text.as_ptr(), flags) };
    match ptr.is_null() {
        true => Err(virt::error::Error::last_error()),
        false => Ok(unsafe { NodeDevice::from_ptr(ptr) }),
    }
}

/// A plain call on a device that returns -1 on failure.
fn call(dev: &NodeDevice, what: String, f: impl FnOnce(sys::virNodeDevicePtr) -> i32) -> Result<()> {
    match f(dev.as_ptr()) < 0 {
        true => Err(virt::error::Error::last_error()).libvirt(what),
        false => Ok(()),
    }
}

impl Verb for NodedevDefine {
    type Ctx = Session;
    type Output = NodedevChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<NodedevChanged> {
        let (file, text) = device_file(&self.file)?;
        let flags = if self.validate {
            sys::VIR_NODE_DEVICE_DEFINE_XML_VALIDATE
        } else {
            0
        };
        let dev = define(ctx.conn()?, &text, flags)
            .map_err(|e| edit::refused(e, format!("define node device from {}", quote(&file))))?;
        let name = name_of(&dev)?;
        journal.record_fn(format!("define node device {name}"), move || {
            // SAFETY: a live device.
            call(&dev, "undefine the node device again".into(), |p| unsafe {
                sys::virNodeDeviceUndefine(p, 0)
            })
        })?;
        let line = format!("Node device '{name}' defined from '{file}'");
        Ok(NodedevChanged {
            name,
            changed: true,
            line,
        })
    }
}

/// Remove a device's persistent definition (virsh nodedev-undefine DEVICE). Undone on a later
/// failure (--batch --atomic): the definition is defined again.
#[derive(Debug, clap::Args)]
pub struct NodedevUndefine {
    /// The device's name.
    pub device: String,
}

impl Verb for NodedevUndefine {
    type Ctx = Session;
    type Output = NodedevChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<NodedevChanged> {
        let conn = ctx.conn()?;
        let dev = require(conn, &self.device)?;
        let name = name_of(&dev)?;
        // The definition to put back; libvirt before 10.x knows no inactive flag here.
        let old = match dev.get_xml_desc(sys::VIR_NODE_DEVICE_XML_INACTIVE) {
            Err(e) if e.code() == virt::error::ErrorNumber::InvalidArg => dev.get_xml_desc(0),
            other => other,
        };
        let old = old.libvirt("node device XML")?;
        // SAFETY: a live device.
        call(
            &dev,
            format!("undefine node device {}", quote(&name)),
            |p| unsafe { sys::virNodeDeviceUndefine(p, 0) },
        )?;
        let conn = conn.clone();
        journal.record_fn(format!("undefine node device {name}"), move || {
            define(&conn, &old, 0)
                .map(drop)
                .libvirt("define the node device again")
        })?;
        let line = format!("Undefined node device '{name}'");
        Ok(NodedevChanged {
            name,
            changed: true,
            line,
        })
    }
}

/// Start a defined device (virsh nodedev-start DEVICE); one already active: "changed": false.
/// Undone on a later failure (--batch --atomic): the device is destroyed again.
#[derive(Debug, clap::Args)]
pub struct NodedevStart {
    /// The device's name.
    pub device: String,
}

impl Verb for NodedevStart {
    type Ctx = Session;
    type Output = NodedevChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<NodedevChanged> {
        let dev = require(ctx.conn()?, &self.device)?;
        let name = name_of(&dev)?;
        let line = format!("Device {name} started");
        // SAFETY: a live device.
        if unsafe { sys::virNodeDeviceIsActive(dev.as_ptr()) } == 1 {
            return Ok(NodedevChanged {
                name,
                changed: false,
                line,
            });
        }
        // SAFETY: a live device.
        call(&dev, format!("start node device {}", quote(&name)), |p| unsafe {
            sys::virNodeDeviceCreate(p, 0)
        })?;
        journal.record_fn(format!("start node device {name}"), move || {
            dev.destroy().map(drop).libvirt("destroy the node device again")
        })?;
        Ok(NodedevChanged {
            name,
            changed: true,
            line,
        })
    }
}

/// Start a defined device when the host boots, or not with --disable (virsh nodedev-autostart
/// DEVICE [--disable]). Undone on a later failure (--batch --atomic).
#[derive(Debug, clap::Args)]
pub struct NodedevAutostart {
    /// The device's name.
    pub device: String,
    /// Do not start it at boot.
    #[arg(long)]
    pub disable: bool,
}

fn set_autostart(dev: &NodeDevice, on: bool, name: &str) -> Result<()> {
    // SAFETY: a live device.
    call(
        dev,
        format!("autostart of node device {}", quote(name)),
        |p| unsafe { sys::virNodeDeviceSetAutostart(p, on as i32) },
    )
}

impl Verb for NodedevAutostart {
    type Ctx = Session;
    type Output = NodedevChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<NodedevChanged> {
        let dev = require(ctx.conn()?, &self.device)?;
        let name = name_of(&dev)?;
        let on = !self.disable;
        // Asked first to know whether this changes anything; a driver that cannot tell (or
        // cannot autostart at all) gets virsh's one call, and its refusal is that call's.
        let mut was = 0;
        // SAFETY: a live device and an int to write.
        let known = unsafe { sys::virNodeDeviceGetAutostart(dev.as_ptr(), &mut was) } == 0;
        set_autostart(&dev, on, &name)?;
        let changed = !known || (was != 0) != on;
        if changed {
            let undo_name = name.clone();
            journal.record_fn(format!("autostart of node device {name}"), move || {
                set_autostart(&dev, !on, &undo_name)
            })?;
        }
        let how = if on { "marked" } else { "unmarked" };
        let line = format!("Device {name} {how} as autostarted");
        Ok(NodedevChanged { name, changed, line })
    }
}
