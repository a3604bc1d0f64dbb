//! attach-interface/detach-interface and attach-disk/detach-disk (virsh's spellings and flags):
//! live (--live), persistent (--config) or both; the device XML is written with quick-xml, every
//! input is checked before libvirt is asked, and each attach or detach is journaled with the
//! opposite step.

use crate::domains::lookup;
use crate::xml::domain::{disk_xml, disks, domain_facts, interface_xml, XmlDiskDevice, XmlInterface};
use schemars::JsonSchema;
use serde::Serialize;
use std::time::{Duration, Instant};
use virt::domain::Domain;
use virt::network::Network;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::mac::parse_unicast_mac;
use vnet_common::{signals, Error, Journal, Render, Result, TextStyle, Verb};

/// `--live` / `--config`, as virsh: neither means the domain's current state (live when running,
/// the persistent definition when not).
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct Affect {
    /// Change the running domain.
    #[arg(long)]
    pub live: bool,
    /// Change the persistent definition (takes effect at the next start).
    #[arg(long)]
    pub config: bool,
}

/// Which definitions a change touches, resolved against the domain's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub live: bool,
    pub config: bool,
}

impl Affect {
    fn resolve(self, dom: &Domain, name: &str) -> Result<Scope> {
        let active = dom.is_active().libvirt("domain state")?;
        if self.live && !active {
            return Err(Error::failed(format!(
                "domain {} is not running: --live needs a running domain",
                quote(name)
            ))
            .with_hint("use --config to change its definition, or start it first"));
        }
        Ok(match (self.live, self.config) {
            (false, false) => Scope {
                live: active,
                config: !active,
            },
            (live, config) => Scope { live, config },
        })
    }
}

impl Scope {
    fn flags(self) -> u32 {
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
    fn documents(self, dom: &Domain, name: &str) -> Result<Vec<(&'static str, String)>> {
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

fn facts(xml: &str) -> Result<crate::xml::domain::DomainFacts> {
    domain_facts(xml).map_err(|e| Error::failed(format!("domain XML: {e}")))
}

/// A word for XML that libvirt will read: a network, bridge, model or driver name. Only checked
/// for what could never be one (empty, control characters, over 255 bytes): libvirt judges the rest.
fn word(flag: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > 255 || value.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "{flag} {}: not a valid name",
            quote(value)
        )));
    }
    Ok(())
}

/// A NIC model: letters, digits, '-', '_' (virtio, e1000, rtl8139, e1000e...).
fn model(value: &str) -> Result<()> {
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
fn wait_until_gone(dom: &Domain, secs: u64, gone: impl Fn(&str) -> bool) -> Result<bool> {
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
fn unplug_pending(what: &str, name: &str, secs: u64) -> Error {
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

// ---------------------------------------------------------------------------------------------
// Interfaces

/// What an interface is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IfaceType {
    /// A libvirt virtual network.
    Network,
    /// A host bridge.
    Bridge,
}

impl IfaceType {
    fn word(self) -> &'static str {
        match self {
            IfaceType::Network => "network",
            IfaceType::Bridge => "bridge",
        }
    }
}

/// The source must exist: a network libvirt knows (exit 3), or a bridge on this host when the
/// daemon is local (exit 3).
fn check_source(ctx: &mut Session, kind: IfaceType, source: &str) -> Result<()> {
    match kind {
        IfaceType::Network => match Network::lookup_by_name(ctx.conn()?, source) {
            Ok(_) => Ok(()),
            Err(e) if e.code() == virt::error::ErrorNumber::NoNetwork => {
                virt::error::clear_error_callback();
                Err(Error::not_found(format!("network {} not found", quote(source)))
                    .with_hint("list networks with vnet-net list --all"))
            }
            Err(e) => Err(vnet_common::libvirt::error(e).context(format!("network {}", quote(source)))),
        },
        IfaceType::Bridge => {
            if ctx.is_local()?
                && !std::path::Path::new("/sys/class/net")
                    .join(source)
                    .join("bridge")
                    .exists()
            {
                return Err(Error::not_found(format!("bridge {} not found", quote(source)))
                    .with_hint("create it with vnet-bridge addbr, or list bridges with vnet-bridge show"));
            }
            Ok(())
        }
    }
}

/// Attach a network interface to a domain (virsh attach-interface).
///
/// --type network --source NET (a libvirt network) or --type bridge --source BR (a host bridge);
/// a missing network or bridge is exit 3, a MAC the domain already has exit 4 (--exist-ok: fine
/// when it is on the same source), all before anything changes. Without --mac libvirt picks one;
/// the output names it. Undone on a later failure: detached again.
#[derive(Debug, clap::Args)]
pub struct AttachInterface {
    /// The domain.
    pub name: String,
    /// What the interface is attached to.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub kind: IfaceType,
    /// The network or bridge name.
    #[arg(long, value_name = "NAME")]
    pub source: String,
    /// The NIC model (virtio, e1000, rtl8139...); libvirt's default without it.
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// The NIC's MAC address (52:54:00:xx:xx:xx); libvirt picks one without it.
    #[arg(long, value_name = "MAC")]
    pub mac: Option<String>,
    #[command(flatten)]
    pub affect: Affect,
    /// Succeed (changed: false) when the domain already has this --mac on the same source.
    #[arg(long, visible_alias = "may-exist", requires = "mac")]
    pub exist_ok: bool,
}

/// An interface after attach-interface or detach-interface.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InterfaceChanged {
    /// The domain.
    pub name: String,
    /// False with --exist-ok / --missing-ok when there was nothing to do.
    pub changed: bool,
    pub mac: String,
    /// network or bridge.
    #[serde(rename = "type")]
    pub kind: String,
    /// The network or bridge.
    pub source: String,
    pub model: Option<String>,
    /// The host side (tap) device of a live attached interface; null otherwise.
    pub interface: Option<String>,
    /// The running domain was changed.
    pub live: bool,
    /// The persistent definition was changed.
    pub config: bool,
    #[serde(skip)]
    #[schemars(skip)]
    done: &'static str,
}

impl Render for InterfaceChanged {
    fn text(&self, _style: TextStyle) -> String {
        match self.changed {
            true => format!("Interface {} successfully\n", self.done),
            false => String::new(),
        }
    }
}

impl Verb for AttachInterface {
    type Ctx = Session;
    type Output = InterfaceChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<InterfaceChanged> {
        word("--source", &self.source)?;
        if let Some(m) = &self.model {
            model(m)?;
        }
        let mac = self.mac.as_deref().map(parse_unicast_mac).transpose()?;
        let dom = lookup(ctx.conn()?, &self.name)?;
        let scope = self.affect.resolve(&dom, &self.name)?;
        check_source(ctx, self.kind, &self.source)?;
        let kind = self.kind.word();
        let docs = scope.documents(&dom, &self.name)?;
        let (mut before, mut present) = (Vec::new(), Vec::new());
        for (which, xml) in &docs {
            let nics = facts(xml)?.interfaces;
            if let Some(mac) = &mac {
                if let Some(nic) = nics.iter().find(|n| n.mac.eq_ignore_ascii_case(mac)) {
                    if self.exist_ok && nic.kind == kind && nic.source == self.source {
                        present.push(*which);
                        continue;
                    }
                    return Err(Error::exists(format!(
                        "domain {}: its {which} already has an interface with MAC {mac} (on {} {})",
                        quote(&self.name),
                        nic.kind,
                        quote(&nic.source)
                    ))
                    .with_hint("pick another --mac, or detach that one first"));
                }
            }
            before.extend(nics.into_iter().map(|n| n.mac.to_ascii_lowercase()));
        }
        let out = |changed: bool, mac: String, tap: Option<String>| InterfaceChanged {
            name: self.name.clone(),
            changed,
            mac,
            kind: kind.to_string(),
            source: self.source.clone(),
            model: self.model.clone(),
            interface: tap,
            live: scope.live && changed,
            config: scope.config && changed,
            done: "attached",
        };
        if let (Some(mac), false) = (&mac, present.is_empty()) {
            if present.len() < docs.len() {
                return Err(Error::exists(format!(
                    "domain {}: only its {} has an interface with MAC {mac}",
                    quote(&self.name),
                    present.join(" and ")
                ))
                .with_hint("attach it with --live or --config alone, for the definition that lacks it"));
            }
            // --exist-ok, and every definition has it already.
            return Ok(out(false, mac.clone(), live_tap(&dom, mac, scope)));
        }
        let xml = interface_xml(kind, Some(&self.source), mac.as_deref(), self.model.as_deref());
        dom.attach_device_flags(&xml, scope.flags())
            .libvirt(format!("attach an interface to domain {}", quote(&self.name)))?;
        // The MAC libvirt gave it: the one the definitions did not have before.
        let mac = match mac {
            Some(mac) => mac,
            None => {
                let docs = scope.documents(&dom, &self.name)?;
                let after = facts(&docs[0].1)?.interfaces;
                after
                    .into_iter()
                    .map(|n| n.mac.to_ascii_lowercase())
                    .find(|m| !before.contains(m))
                    .ok_or_else(|| {
                        Error::failed("attached, but the new interface is not in the domain XML")
                    })?
            }
        };
        let undo_xml = interface_xml(kind, Some(&self.source), Some(&mac), None);
        let (undo, flags) = (dom.clone(), scope.flags());
        journal.record_fn(
            format!("attach interface {mac} to domain {}", self.name),
            move || {
                undo.detach_device_flags(&undo_xml, flags)
                    .map(drop)
                    .libvirt("detach the interface")
            },
        )?;
        let tap = live_tap(&dom, &mac, scope);
        Ok(out(true, mac, tap))
    }
}

/// The tap of a live interface with this MAC.
fn live_tap(dom: &Domain, mac: &str, scope: Scope) -> Option<String> {
    if !scope.live {
        return None;
    }
    let xml = dom.get_xml_desc(0).ok()?;
    domain_facts(&xml)
        .ok()?
        .interfaces
        .into_iter()
        .find(|n| n.mac.eq_ignore_ascii_case(mac))
        .and_then(|n| n.target)
}

/// Detach a network interface from a domain by its MAC (virsh detach-interface).
///
/// A MAC the domain does not have (in each definition changed) is exit 3 (--missing-ok: changed:
/// false), before anything changes. A live unplug completes when the guest acknowledges it (its
/// kernel must have booted): this waits up to --wait seconds for the interface to leave the running
/// domain; if the guest has not released it by then, exit 1 (the request stays pending with the
/// guest). Undone on a later failure: attached again with the same MAC.
#[derive(Debug, clap::Args)]
pub struct DetachInterface {
    /// The domain.
    pub name: String,
    /// Only an interface of this type (virsh requires it; here it only narrows the match).
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub kind: Option<IfaceType>,
    /// The MAC of the interface to detach.
    #[arg(long, value_name = "MAC")]
    pub mac: String,
    #[command(flatten)]
    pub affect: Affect,
    /// With a live change: seconds to wait for the guest to release the interface.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub wait: u64,
    /// Succeed (changed: false) when the domain has no interface with this MAC.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

fn find_nic(xml: &str, mac: &str, kind: Option<IfaceType>) -> Result<Option<XmlInterface>> {
    Ok(facts(xml)?
        .interfaces
        .into_iter()
        .find(|n| n.mac.eq_ignore_ascii_case(mac) && kind.is_none_or(|k| n.kind == k.word())))
}

impl Verb for DetachInterface {
    type Ctx = Session;
    type Output = InterfaceChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<InterfaceChanged> {
        let mac = parse_unicast_mac(&self.mac)?;
        let dom = lookup(ctx.conn()?, &self.name)?;
        let scope = self.affect.resolve(&dom, &self.name)?;
        let mut found: Option<XmlInterface> = None;
        let mut missing = Vec::new();
        for (which, xml) in scope.documents(&dom, &self.name)? {
            match find_nic(&xml, &mac, self.kind) {
                Ok(Some(nic)) => found = found.or(Some(nic)),
                Ok(None) => missing.push(which),
                Err(e) => return Err(e),
            }
        }
        let typed = self
            .kind
            .map_or(String::new(), |k| format!(" of type {}", k.word()));
        if !missing.is_empty() {
            if self.missing_ok && found.is_none() {
                return Ok(InterfaceChanged {
                    name: self.name,
                    changed: false,
                    mac,
                    kind: self.kind.map_or("network", IfaceType::word).to_string(),
                    source: String::new(),
                    model: None,
                    interface: None,
                    live: false,
                    config: false,
                    done: "detached",
                });
            }
            return Err(Error::not_found(format!(
                "domain {}: no interface with MAC {mac}{typed} in its {}",
                quote(&self.name),
                missing.join(" or ")
            ))
            .with_hint(format!(
                "list its interfaces with vnet-vm domiflist {}",
                self.name
            )));
        }
        let nic = found.expect("found in every definition");
        // libvirt parses the device XML in full (a network interface needs its source), then
        // matches it by MAC.
        let xml = interface_xml(&nic.kind, Some(&nic.source), Some(&mac), None);
        let what = format!("detach interface {mac} from domain {}", quote(&self.name));
        dom.detach_device_flags(&xml, scope.flags()).libvirt(&what)?;
        if scope.live {
            let gone = wait_until_gone(&dom, self.wait, |xml| {
                find_nic(xml, &mac, None).is_ok_and(|n| n.is_none())
            })?;
            if !gone {
                journal.irreversible(format!("{what} (pending with the guest)"))?;
                return Err(unplug_pending(&what, &self.name, self.wait));
            }
        }
        let undo_xml = interface_xml(&nic.kind, Some(&nic.source), Some(&mac), nic.model.as_deref());
        let (undo, flags) = (dom.clone(), scope.flags());
        journal.record_fn(
            format!("detach interface {mac} from domain {}", self.name),
            move || {
                undo.attach_device_flags(&undo_xml, flags)
                    .map(drop)
                    .libvirt("attach the interface again")
            },
        )?;
        Ok(InterfaceChanged {
            name: self.name,
            changed: true,
            mac,
            kind: nic.kind,
            source: nic.source,
            model: nic.model,
            interface: nic.target.filter(|_| scope.live),
            live: scope.live,
            config: scope.config,
            done: "detached",
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Disks

/// A target device name: vd, sd, hd or xvd and one to three letters (vdb, sdc, hdd, xvdaa).
pub fn check_target(target: &str) -> Result<()> {
    let letters = ["xvd", "vd", "sd", "hd"]
        .iter()
        .find_map(|p| target.strip_prefix(p));
    let ok = letters.is_some_and(|l| (1..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()));
    if !ok {
        return Err(Error::invalid(format!(
            "target {}: a disk target is vd, sd, hd or xvd and letters (vdb, sdb, hdc)",
            quote(target)
        )));
    }
    Ok(())
}

/// The buses libvirt knows for a disk target.
const BUSES: [&str; 8] = ["virtio", "scsi", "sata", "ide", "usb", "sd", "xen", "fdc"];

/// What a disk shows the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiskKind {
    Disk,
    Cdrom,
}

/// Attach a disk image or block device to a domain (virsh attach-disk).
///
/// SOURCE is the image file or block device, TARGET the device name the guest sees (vdb, sdb).
/// A SOURCE that does not exist (checked when the daemon is local) is exit 3, a TARGET in use exit
/// 4 (--exist-ok: fine when it holds the same SOURCE), a malformed TARGET or unknown bus exit 7,
/// all before anything changes. Undone on a later failure: detached again.
#[derive(Debug, clap::Args)]
pub struct AttachDisk {
    /// The domain.
    pub name: String,
    /// The image file or block device.
    pub source: String,
    /// The target device name the guest sees (vdb, sdb, hdc).
    pub target: String,
    /// The driver name (qemu).
    #[arg(long, value_name = "NAME")]
    pub driver: Option<String>,
    /// The image format (raw, qcow2...).
    #[arg(long, value_name = "FORMAT")]
    pub subdriver: Option<String>,
    /// The bus (virtio, scsi, sata, ide, usb); libvirt infers it from TARGET without it.
    #[arg(long, value_name = "BUS")]
    pub targetbus: Option<String>,
    /// disk or cdrom.
    #[arg(long = "type", value_enum, default_value = "disk")]
    pub kind: DiskKind,
    /// Read-only for the guest (always so for a cdrom).
    #[arg(long)]
    pub readonly: bool,
    #[command(flatten)]
    pub affect: Affect,
    /// Succeed (changed: false) when TARGET already holds SOURCE.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
}

/// A disk after attach-disk or detach-disk.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DiskChanged {
    /// The domain.
    pub name: String,
    /// False with --exist-ok / --missing-ok when there was nothing to do.
    pub changed: bool,
    /// The device name the guest sees.
    pub target: String,
    /// The image file or block device.
    pub source: Option<String>,
    /// The bus; null when libvirt chose it.
    pub bus: Option<String>,
    /// disk or cdrom.
    pub device: String,
    /// The running domain was changed.
    pub live: bool,
    /// The persistent definition was changed.
    pub config: bool,
    #[serde(skip)]
    #[schemars(skip)]
    done: &'static str,
}

impl Render for DiskChanged {
    fn text(&self, _style: TextStyle) -> String {
        match self.changed {
            true => format!("Disk {} successfully\n", self.done),
            false => String::new(),
        }
    }
}

impl DiskChanged {
    fn of(
        name: String,
        disk: &XmlDiskDevice,
        changed: bool,
        scope: Scope,
        done: &'static str,
    ) -> DiskChanged {
        DiskChanged {
            name,
            changed,
            target: disk.target.clone(),
            source: disk.source.clone(),
            bus: disk.bus.clone(),
            device: disk.device.clone(),
            live: scope.live && changed,
            config: scope.config && changed,
            done,
        }
    }
}

impl Verb for AttachDisk {
    type Ctx = Session;
    type Output = DiskChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<DiskChanged> {
        word("SOURCE", &self.source)?;
        check_target(&self.target)?;
        for (flag, value) in [("--driver", &self.driver), ("--subdriver", &self.subdriver)] {
            if let Some(v) = value {
                let ok = !v.is_empty()
                    && v.len() <= 32
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !ok {
                    return Err(Error::invalid(format!("{flag} {}: not a driver name", quote(v))));
                }
            }
        }
        if let Some(bus) = &self.targetbus {
            if !BUSES.contains(&bus.as_str()) {
                return Err(Error::invalid(format!(
                    "--targetbus {}: one of {}",
                    quote(bus),
                    BUSES.join(", ")
                )));
            }
        }
        let dom = lookup(ctx.conn()?, &self.name)?;
        let scope = self.affect.resolve(&dom, &self.name)?;
        let mut kind = "file";
        if ctx.is_local()? {
            let meta = std::fs::metadata(&self.source)
                .map_err(|e| Error::from(e).context(format!("disk source {}", quote(&self.source))))?;
            use std::os::unix::fs::FileTypeExt;
            if meta.file_type().is_block_device() {
                kind = "block";
            }
        }
        let disk = XmlDiskDevice {
            kind: kind.to_string(),
            device: match self.kind {
                DiskKind::Disk => "disk",
                DiskKind::Cdrom => "cdrom",
            }
            .to_string(),
            driver: self
                .driver
                .clone()
                .or_else(|| self.subdriver.as_ref().map(|_| "qemu".into())),
            subdriver: self.subdriver.clone(),
            source: Some(self.source.clone()),
            target: self.target.clone(),
            bus: self.targetbus.clone(),
            readonly: self.readonly || self.kind == DiskKind::Cdrom,
        };
        let mut present = 0;
        let docs = scope.documents(&dom, &self.name)?;
        for (which, xml) in &docs {
            if let Some(old) = disks(xml)?.into_iter().find(|d| d.target == self.target) {
                if self.exist_ok && old.source.as_deref() == Some(self.source.as_str()) {
                    present += 1;
                    continue;
                }
                return Err(Error::exists(format!(
                    "domain {}: target {} is in use in its {which} (by {})",
                    quote(&self.name),
                    quote(&self.target),
                    quote(old.source.as_deref().unwrap_or("an empty drive"))
                ))
                .with_hint("pick another target, or detach that disk first"));
            }
        }
        if present == docs.len() && present > 0 {
            return Ok(DiskChanged::of(self.name, &disk, false, scope, "attached"));
        }
        let xml = disk_xml(&disk);
        dom.attach_device_flags(&xml, scope.flags()).libvirt(format!(
            "attach disk {} to domain {}",
            quote(&self.target),
            quote(&self.name)
        ))?;
        let (undo, flags) = (dom.clone(), scope.flags());
        journal.record_fn(
            format!("attach disk {} to domain {}", self.target, self.name),
            move || {
                undo.detach_device_flags(&xml, flags)
                    .map(drop)
                    .libvirt("detach the disk")
            },
        )?;
        Ok(DiskChanged::of(self.name, &disk, true, scope, "attached"))
    }
}

/// Detach a disk from a domain by its target (virsh detach-disk).
///
/// A TARGET the domain does not have (in each definition changed) is exit 3 (--missing-ok:
/// changed: false). A live unplug waits up to --wait seconds for the guest to release the disk
/// (exit 1 if it has not; the request stays pending). Undone on a later failure: attached again.
#[derive(Debug, clap::Args)]
pub struct DetachDisk {
    /// The domain.
    pub name: String,
    /// The target device name (vdb) or the source path.
    pub target: String,
    #[command(flatten)]
    pub affect: Affect,
    /// With a live change: seconds to wait for the guest to release the disk.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub wait: u64,
    /// Succeed (changed: false) when the domain has no such disk.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

fn find_disk(xml: &str, target: &str) -> Result<Option<XmlDiskDevice>> {
    Ok(disks(xml)?
        .into_iter()
        .find(|d| d.target == target || d.source.as_deref() == Some(target)))
}

impl Verb for DetachDisk {
    type Ctx = Session;
    type Output = DiskChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<DiskChanged> {
        word("TARGET", &self.target)?;
        let dom = lookup(ctx.conn()?, &self.name)?;
        let scope = self.affect.resolve(&dom, &self.name)?;
        let mut found: Option<XmlDiskDevice> = None;
        let mut missing = Vec::new();
        for (which, xml) in scope.documents(&dom, &self.name)? {
            match find_disk(&xml, &self.target)? {
                Some(d) => found = found.or(Some(d)),
                None => missing.push(which),
            }
        }
        if !missing.is_empty() {
            if self.missing_ok && found.is_none() {
                let none = XmlDiskDevice {
                    target: self.target.clone(),
                    device: "disk".into(),
                    ..Default::default()
                };
                return Ok(DiskChanged::of(self.name, &none, false, scope, "detached"));
            }
            return Err(Error::not_found(format!(
                "domain {}: no disk {} in its {}",
                quote(&self.name),
                quote(&self.target),
                missing.join(" or ")
            ))
            .with_hint(format!("list its disks with virsh domblklist {}", self.name)));
        }
        let disk = found.expect("found in every definition");
        let xml = disk_xml(&disk);
        let what = format!("detach disk {} from domain {}", disk.target, quote(&self.name));
        dom.detach_device_flags(&xml, scope.flags()).libvirt(&what)?;
        if scope.live {
            let target = disk.target.clone();
            let gone = wait_until_gone(&dom, self.wait, |xml| {
                disks(xml).is_ok_and(|d| d.iter().all(|d| d.target != target))
            })?;
            if !gone {
                journal.irreversible(format!("{what} (pending with the guest)"))?;
                return Err(unplug_pending(&what, &self.name, self.wait));
            }
        }
        let (undo, flags) = (dom.clone(), scope.flags());
        journal.record_fn(
            format!("detach disk {} from domain {}", disk.target, self.name),
            move || {
                undo.attach_device_flags(&xml, flags)
                    .map(drop)
                    .libvirt("attach the disk again")
            },
        )?;
        Ok(DiskChanged::of(self.name, &disk, true, scope, "detached"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disks_are_found_by_target_or_source() {
        let xml = "<domain><devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
            <source file='/i/a.qcow2'/><target dev='vda' bus='virtio'/></disk>\
            <disk type='file' device='cdrom'><source file='/i/x.iso'/><target dev='hdc' bus='ide'/>\
            <readonly/></disk></devices></domain>";
        assert_eq!(
            find_disk(xml, "vda").unwrap().unwrap().source.as_deref(),
            Some("/i/a.qcow2")
        );
        assert_eq!(find_disk(xml, "/i/x.iso").unwrap().unwrap().target, "hdc");
    }

    #[test]
    fn targets_models_and_words() {
        for ok in ["vdb", "sda", "hdc", "xvdaa", "vdzz"] {
            check_target(ok).unwrap();
        }
        for bad in ["", "vd", "eth0", "vdB", "vd1", "vdabcd", "sd-a", "../x"] {
            assert_eq!(check_target(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
        model("virtio").unwrap();
        model("e1000e").unwrap();
        assert_eq!(model("virt io").unwrap_err().exit_code(), 7);
        assert_eq!(word("--source", "a\nb").unwrap_err().exit_code(), 7);
        assert_eq!(word("--source", "").unwrap_err().exit_code(), 7);
    }
}
