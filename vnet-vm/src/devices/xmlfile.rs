//! attach-device, detach-device, update-device FILE and detach-device-alias (virsh's spellings and
//! flags): the device comes from an XML file (or an alias), is checked against the definitions the
//! change touches before libvirt is asked, and each change is journaled with its opposite.

use super::devxml::{
    device_key, element_xml, find_by_alias, find_device, not_attached, read_device_file, DeviceAffect,
    DeviceFile,
};
use super::scope::{unplug_pending, wait_until_gone, word, Scope};
use crate::devices::devxml::lookup;
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::xml::Element;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// A device after attach-device, detach-device, update-device or detach-device-alias.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeviceChanged {
    /// The domain.
    pub name: String,
    /// False with --exist-ok / --missing-ok when there was nothing to do.
    pub changed: bool,
    /// The device element's name: disk, interface, controller, ...
    pub device: String,
    /// What identifies the device: its target (disk), MAC (interface) or alias; null when the
    /// file names none.
    pub key: Option<String>,
    /// The running domain was changed.
    pub live: bool,
    /// The persistent definition was changed.
    pub config: bool,
    #[serde(skip)]
    #[schemars(skip)]
    done: &'static str,
}

impl Render for DeviceChanged {
    fn text(&self, _style: TextStyle) -> String {
        match self.changed {
            true => format!("{}\n", self.done),
            false => String::new(),
        }
    }
}

fn changed(name: String, device: &Element, scope: Scope, done: &'static str) -> DeviceChanged {
    DeviceChanged {
        name,
        changed: true,
        device: device.name.clone(),
        key: device_key(device).map(|k| k.1),
        live: scope.live,
        config: scope.config,
        done,
    }
}

/// Attach a device described by an XML file to a domain (virsh attach-device).
///
/// FILE holds one device element (<disk>, <interface>, <controller>, ...). A missing FILE is exit
/// 3, malformed XML or a whole <domain> exit 7, a disk target or interface MAC the domain already
/// has exit 4, all before anything changes. Undone on a later failure: detached again.
#[derive(Debug, clap::Args)]
pub struct AttachDevice {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The XML file of the device.
    pub file: String,
    #[command(flatten)]
    pub affect: DeviceAffect,
}

impl Verb for AttachDevice {
    type Ctx = Session;
    type Output = DeviceChanged;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<DeviceChanged> {
        let file = read_device_file(&self.file)?;
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let scope = self.affect.resolve(&dom, &self.domain)?;
        if let Some(key) = device_key(&file.root) {
            for (which, xml) in scope.documents(&dom, &self.domain)? {
                if find_device(&xml, &file.root.name, &key)?.is_some() {
                    return Err(Error::exists(format!(
                        "domain {}: its {which} already has a {} with {} {}",
                        quote(&self.domain),
                        file.root.name,
                        key.0,
                        quote(&key.1)
                    )));
                }
            }
        }
        let what = format!("attach {} to domain {}", file.root.name, quote(&self.domain));
        dom.attach_device_flags(&file.text, scope.flags())
            .libvirt(&what)?;
        let (undo, flags, xml) = (dom.clone(), scope.flags(), file.text.clone());
        journal.record_fn(what, move || {
            undo.detach_device_flags(&xml, flags)
                .map(drop)
                .libvirt("detach the device again")
        })?;
        Ok(changed(
            self.domain,
            &file.root,
            scope,
            "Device attached successfully",
        ))
    }
}

/// Detach a device described by an XML file from a domain (virsh detach-device).
///
/// The device is matched as libvirt matches it (a disk by target, an interface by MAC, any device
/// by alias): one the domain does not have is exit 3 (--missing-ok: changed: false), a malformed
/// FILE exit 7, nothing changed. A live unplug waits up to --wait seconds for the guest (exit 1
/// if it has not let go; the request stays pending). Undone on a later failure: attached again.
#[derive(Debug, clap::Args)]
pub struct DetachDevice {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The XML file of the device.
    pub file: String,
    #[command(flatten)]
    pub affect: DeviceAffect,
    /// With a live change: seconds to wait for the guest to release the device.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub wait: u64,
    /// Succeed (changed: false) when the domain has no such device.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

impl Verb for DetachDevice {
    type Ctx = Session;
    type Output = DeviceChanged;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<DeviceChanged> {
        let file = read_device_file(&self.file)?;
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let scope = self.affect.resolve(&dom, &self.domain)?;
        let attached = match present(&dom, &self.domain, scope, &file.root)? {
            Presence::Everywhere(found) => found,
            Presence::Missing(missing, nowhere) => {
                let key = device_key(&file.root).expect("missing only for a device with a key");
                if self.missing_ok && nowhere {
                    let mut none = changed(self.domain, &file.root, scope, "");
                    (none.changed, none.live, none.config) = (false, false, false);
                    return Ok(none);
                }
                return Err(not_attached(&self.domain, &file.root.name, &key, &missing));
            }
        };
        let back = attached
            .as_ref()
            .map(element_xml)
            .unwrap_or_else(|| file.text.clone());
        detach(&dom, &self.domain, scope, &file, self.wait, back, journal)?;
        Ok(changed(
            self.domain,
            &file.root,
            scope,
            "Device detached successfully",
        ))
    }
}

/// Whether the device is in every definition the change touches.
enum Presence {
    /// In each (the device as the domain has it, None when the file names no key).
    Everywhere(Option<Element>),
    /// Not in these; true when in none.
    Missing(Vec<&'static str>, bool),
}

fn present(dom: &Domain, name: &str, scope: Scope, device: &Element) -> Result<Presence> {
    let Some(key) = device_key(device) else {
        return Ok(Presence::Everywhere(None));
    };
    let (mut found, mut missing) = (None, Vec::new());
    for (which, xml) in scope.documents(dom, name)? {
        match find_device(&xml, &device.name, &key)? {
            Some(d) => found = found.or(Some(d)),
            None => missing.push(which),
        }
    }
    Ok(match missing.is_empty() {
        true => Presence::Everywhere(found),
        false => Presence::Missing(missing, found.is_none()),
    })
}

/// Detaches the file's device, waits for a live unplug, journals the re-attach of `back`.
fn detach(
    dom: &Domain,
    name: &str,
    scope: Scope,
    file: &DeviceFile,
    wait: u64,
    back: String,
    journal: &mut Journal,
) -> Result<()> {
    let what = format!("detach {} from domain {}", file.root.name, quote(name));
    dom.detach_device_flags(&file.text, scope.flags())
        .libvirt(&what)?;
    if let (true, Some(key)) = (scope.live, device_key(&file.root)) {
        let kind = file.root.name.clone();
        let gone = wait_until_gone(dom, wait, |xml| {
            find_device(xml, &kind, &key).is_ok_and(|d| d.is_none())
        })?;
        if !gone {
            journal.irreversible(format!("{what} (pending with the guest)"))?;
            return Err(unplug_pending(&what, name, wait));
        }
    }
    let (undo, flags) = (dom.clone(), scope.flags());
    journal.record_fn(what, move || {
        undo.attach_device_flags(&back, flags)
            .map(drop)
            .libvirt("attach the device again")
    })
}

/// Change a device of a domain as an XML file describes it (virsh update-device): a cdrom's
/// media, an interface's link state or source, ...
///
/// The device is matched as libvirt matches it (a disk by target, an interface by MAC): one the
/// domain does not have is exit 3, a malformed FILE exit 7, nothing changed. --force ejects a
/// locked cdrom. Undone on a later failure: the device as it was.
#[derive(Debug, clap::Args)]
pub struct UpdateDevice {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The XML file of the device, as it should be.
    pub file: String,
    #[command(flatten)]
    pub affect: DeviceAffect,
    /// Force the change (eject a locked cdrom).
    #[arg(long)]
    pub force: bool,
}

impl Verb for UpdateDevice {
    type Ctx = Session;
    type Output = DeviceChanged;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<DeviceChanged> {
        let file = read_device_file(&self.file)?;
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let scope = self.affect.resolve(&dom, &self.domain)?;
        let old = match present(&dom, &self.domain, scope, &file.root)? {
            Presence::Everywhere(old) => old,
            Presence::Missing(missing, _) => {
                let key = device_key(&file.root).expect("missing only for a device with a key");
                return Err(not_attached(&self.domain, &file.root.name, &key, &missing));
            }
        };
        let flags = scope.flags()
            | if self.force {
                sys::VIR_DOMAIN_DEVICE_MODIFY_FORCE
            } else {
                0
            };
        update(
            &dom,
            &self.domain,
            &file.text,
            &file.root.name,
            flags,
            old,
            journal,
        )?;
        Ok(changed(
            self.domain,
            &file.root,
            scope,
            "Device updated successfully",
        ))
    }
}

/// Updates a device to `xml` and journals the update back to `old` (when known).
pub fn update(
    dom: &Domain,
    name: &str,
    xml: &str,
    kind: &str,
    flags: u32,
    old: Option<Element>,
    journal: &mut Journal,
) -> Result<()> {
    let what = format!("update {kind} of domain {}", quote(name));
    dom.update_device_flags(xml, flags).libvirt(&what)?;
    match old {
        Some(old) => {
            let (undo, back) = (dom.clone(), element_xml(&old));
            journal.record_fn(what, move || {
                undo.update_device_flags(&back, flags | sys::VIR_DOMAIN_DEVICE_MODIFY_FORCE)
                    .map(drop)
                    .libvirt("put the device back as it was")
            })
        }
        None => journal.irreversible(what),
    }
}

/// Detach a device by its alias (virsh detach-device-alias).
///
/// ALIAS is the name in the device's <alias name=.../> (libvirt's own, like net1 or virtio-disk1,
/// or a user alias ua-...). One the domain does not have (in each definition changed) is exit 3,
/// nothing changed. libvirt only sends the request: the guest may release the device later.
/// Undone on a later failure: attached again.
#[derive(Debug, clap::Args)]
pub struct DetachDeviceAlias {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The device's alias.
    pub alias: String,
    #[command(flatten)]
    pub affect: DeviceAffect,
}

impl Verb for DetachDeviceAlias {
    type Ctx = Session;
    type Output = DeviceChanged;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<DeviceChanged> {
        word("ALIAS", &self.alias)?;
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let scope = self.affect.resolve(&dom, &self.domain)?;
        let (mut found, mut missing) = (None, Vec::new());
        for (which, xml) in scope.documents(&dom, &self.domain)? {
            match find_by_alias(&xml, &self.alias)? {
                Some(d) => found = found.or(Some(d)),
                None => missing.push(which),
            }
        }
        let Some(device) = found.filter(|_| missing.is_empty()) else {
            let key = ("alias", self.alias.clone());
            return Err(not_attached(&self.domain, "device", &key, &missing));
        };
        let what = format!(
            "detach device {} from domain {}",
            quote(&self.alias),
            quote(&self.domain)
        );
        detach_alias(&dom, &self.alias, scope.flags()).libvirt(&what)?;
        let (undo, flags, back) = (dom.clone(), scope.flags(), element_xml(&device));
        journal.record_fn(what, move || {
            undo.attach_device_flags(&back, flags)
                .map(drop)
                .libvirt("attach the device again")
        })?;
        let mut done = changed(
            self.domain,
            &device,
            scope,
            "Device detach request sent successfully",
        );
        done.key = Some(self.alias);
        Ok(done)
    }
}

/// virDomainDetachDeviceAlias, which the virt crate does not wrap.
fn detach_alias(dom: &Domain, alias: &str, flags: u32) -> std::result::Result<(), virt::error::Error> {
    let alias = std::ffi::CString::new(alias).expect("checked: no control characters");
    // SAFETY: the domain pointer is valid while `dom` lives; the alias is a C string.
    let ret = unsafe { sys::virDomainDetachDeviceAlias(dom.as_ptr(), alias.as_ptr(), flags) };
    match ret {
        -1 => Err(virt::error::Error::last_error()),
        _ => Ok(()),
    }
}
