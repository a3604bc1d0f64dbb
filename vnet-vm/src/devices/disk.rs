//! attach-disk and detach-disk (virsh's spellings and flags): the device XML is written by the
//! domain XML model, every input is checked before libvirt is asked, and each attach or detach is
//! journaled with the opposite step.

use super::scope::{
    device_element, indented, printed_document, unplug_pending, wait_until_gone, word, Scope,
};
use crate::domains::lookup::resolve;
use crate::xml::domain::{disk_xml, disks, Element, XmlDiskDevice};
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

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
/// 4 (--exist-ok: "changed": false when it holds the same SOURCE as asked: the same device type,
/// and the format, bus and read-only given; exit 4 naming what differs otherwise), a malformed
/// TARGET or unknown bus exit 7,
/// all before anything changes. Undone on a later failure: detached again. --print-xml prints
/// the disk's device XML and attaches nothing (as virsh, the domain is not looked at and SOURCE
/// need not exist; a block device here is type='block').
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
    /// The host cache mode (virsh attach-disk --cache).
    #[arg(long, value_name = "MODE", value_parser = ["default", "none", "writethrough", "writeback", "directsync", "unsafe"])]
    pub cache: Option<String>,
    /// disk or cdrom.
    #[arg(long = "type", value_enum, default_value = "disk")]
    pub kind: DiskKind,
    /// Read-only for the guest (a cdrom always is).
    #[arg(long)]
    pub readonly: bool,
    #[command(flatten)]
    pub more: DiskOptions,
    #[command(flatten)]
    pub affect: super::devxml::DeviceAffect,
    /// Succeed (changed: false) when TARGET already holds SOURCE.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// Print the disk's device XML instead of attaching it (nothing is changed).
    #[arg(long)]
    pub print_xml: bool,
}

/// attach-disk's further virsh options, each an element or driver attribute of the disk; libvirt
/// checks their values (a WWN of 16 hex digits, an alias starting "ua-", an IOThread the domain
/// has): what it refuses is its error, nothing attached.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DiskOptions {
    /// The driver's I/O mode.
    #[arg(long, value_name = "MODE", value_parser = ["native", "threads", "io_uring"])]
    pub io: Option<String>,
    /// readonly (as --readonly) or shareable (<shareable/>: other domains may use it too).
    #[arg(long, value_name = "MODE", value_parser = ["readonly", "shareable"])]
    pub mode: Option<String>,
    /// The serial number the guest sees (<serial>).
    #[arg(long, value_name = "SERIAL")]
    pub serial: Option<String>,
    /// The World Wide Name the guest sees (<wwn>, 16 hex digits).
    #[arg(long, value_name = "WWN")]
    pub wwn: Option<String>,
    /// A user alias for the device (<alias name=...>, "ua-" then letters, digits, - _).
    #[arg(long, value_name = "ALIAS")]
    pub alias: Option<String>,
    /// The IOThread (by id) that serves the disk.
    #[arg(long, value_name = "ID")]
    pub iothread: Option<u32>,
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
    /// --print-xml: the disk's device XML (what attach-disk would attach, or the element
    /// detach-disk would detach); nothing was changed. Printed itself unless -o json.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xml: Option<String>,
    #[serde(skip)]
    #[schemars(skip)]
    done: &'static str,
}

impl Render for DiskChanged {
    fn text(&self, _style: TextStyle) -> String {
        match (&self.xml, self.changed) {
            (Some(xml), _) => xml.clone(),
            (None, true) => format!("Disk {} successfully\n", self.done),
            (None, false) => String::new(),
        }
    }

    fn document(&self) -> Option<&str> {
        self.xml.as_deref()
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
            xml: None,
            done,
        }
    }

    /// --print-xml's result: the disk described, `xml` printed, nothing changed.
    fn printed(name: String, disk: &XmlDiskDevice, xml: String, done: &'static str) -> DiskChanged {
        let none = Scope {
            live: false,
            config: false,
        };
        DiskChanged {
            xml: Some(xml),
            ..DiskChanged::of(name, disk, false, none, done)
        }
    }
}

impl AttachDisk {
    /// Every word is checked before libvirt is asked (exit 7).
    fn check(&self) -> Result<()> {
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
        Ok(())
    }

    /// The disk device to attach; a local block device is `type='block'` (QEMU refuses the file
    /// driver on one).
    fn device(&self, local: bool) -> Result<XmlDiskDevice> {
        let mut block = false;
        if local {
            let meta = std::fs::metadata(&self.source)
                .map_err(|e| Error::from(e).context(format!("disk source {}", quote(&self.source))))?;
            use std::os::unix::fs::FileTypeExt;
            block = meta.file_type().is_block_device();
        }
        Ok(self.device_of(block))
    }

    /// --print-xml's disk: as virsh, SOURCE is looked at on this machine and need not exist
    /// (a block device here is type='block', anything else a file).
    fn printed_device(&self) -> XmlDiskDevice {
        use std::os::unix::fs::FileTypeExt;
        let block = std::fs::metadata(&self.source).is_ok_and(|m| m.file_type().is_block_device());
        self.device_of(block)
    }

    fn device_of(&self, block: bool) -> XmlDiskDevice {
        let kind = if block { "block" } else { "file" };
        XmlDiskDevice {
            kind: kind.to_string(),
            device: match self.kind {
                DiskKind::Disk => "disk",
                DiskKind::Cdrom => "cdrom",
            }
            .to_string(),
            // As virsh: no driver name unless --driver gives one (libvirt's default is qemu).
            driver: self.driver.clone(),
            subdriver: self.subdriver.clone(),
            cache: self.cache.clone(),
            source: Some(self.source.clone()),
            target: self.target.clone(),
            bus: self.targetbus.clone(),
            // As virsh writes it: a cdrom is read-only by libvirt's own rule, not by an element.
            readonly: self.readonly || self.more.mode.as_deref() == Some("readonly"),
            io: self.more.io.clone(),
            iothread: self.more.iothread.map(|i| i.to_string()),
            serial: self.more.serial.clone(),
            wwn: self.more.wwn.clone(),
            shareable: self.more.mode.as_deref() == Some("shareable"),
            alias: self.more.alias.clone(),
        }
    }
}

impl AttachDisk {
    /// What the disk on TARGET has otherwise than asked (--exist-ok), as "field: now -> asked";
    /// what was not given is not compared.
    fn differences(&self, old: &XmlDiskDevice) -> Vec<String> {
        let mut out = Vec::new();
        let device = match self.kind {
            DiskKind::Disk => "disk",
            DiskKind::Cdrom => "cdrom",
        };
        if old.device != device {
            out.push(format!("type: {} -> {device}", old.device));
        }
        let mut given = |what: &str, want: &Option<String>, have: &Option<String>| {
            if want.is_some() && want != have {
                let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
                out.push(format!("{what}: {} -> {}", show(have), show(want)));
            }
        };
        given("subdriver", &self.subdriver, &old.subdriver);
        given("targetbus", &self.targetbus, &old.bus);
        given("cache", &self.cache, &old.cache);
        given("io", &self.more.io, &old.io);
        given("serial", &self.more.serial, &old.serial);
        given("wwn", &self.more.wwn, &old.wwn);
        given("alias", &self.more.alias, &old.alias);
        if self.readonly && !old.readonly {
            out.push("readonly: no -> yes".into());
        }
        out
    }
}

impl Verb for AttachDisk {
    type Ctx = Session;
    type Output = DiskChanged;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<DiskChanged> {
        self.check()?;
        if self.print_xml {
            let disk = self.printed_device();
            let xml = indented(&disk_xml(&disk))?;
            return Ok(DiskChanged::printed(self.name, &disk, xml, "attached"));
        }
        let dom = resolve(ctx.conn()?, &mut self.name)?;
        let scope = self.affect.resolve(&dom, &self.name)?;
        let disk = self.device(ctx.is_local()?)?;
        let mut present = 0;
        let docs = scope.documents(&dom, &self.name)?;
        for (which, xml) in &docs {
            if let Some(old) = disks(xml)?.into_iter().find(|d| d.target == self.target) {
                if self.exist_ok && old.source.as_deref() == Some(self.source.as_str()) {
                    let differences = self.differences(&old);
                    if differences.is_empty() {
                        present += 1;
                        continue;
                    }
                    return Err(Error::exists(format!(
                        "domain {}: target {} holds {} otherwise in its {which} ({})",
                        quote(&self.name),
                        quote(&self.target),
                        quote(&self.source),
                        differences.join(", ")
                    ))
                    .with_hint("detach that disk first to attach it as asked"));
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
/// --print-xml prints the disk's element as the domain has it (its persistent definition with
/// --config or --persistent, else the running domain's) and detaches nothing.
#[derive(Debug, clap::Args)]
pub struct DetachDisk {
    /// The domain.
    pub name: String,
    /// The target device name (vdb) or the source path.
    pub target: String,
    #[command(flatten)]
    pub affect: super::devxml::DeviceAffect,
    /// With a live change: seconds to wait for the guest to release the disk.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub wait: u64,
    /// Succeed (changed: false) when the domain has no such disk.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
    /// Print the disk's XML instead of detaching it (nothing is changed).
    #[arg(long)]
    pub print_xml: bool,
}

fn find_disk(xml: &str, target: &str) -> Result<Option<XmlDiskDevice>> {
    Ok(disks(xml)?
        .into_iter()
        .find(|d| d.target == target || d.source.as_deref() == Some(target)))
}

impl Verb for DetachDisk {
    type Ctx = Session;
    type Output = DiskChanged;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<DiskChanged> {
        word("TARGET", &self.target)?;
        let dom = resolve(ctx.conn()?, &mut self.name)?;
        let scope = self.affect.resolve(&dom, &self.name)?;
        if self.print_xml {
            let docs = scope.documents(&dom, &self.name)?;
            return self.print(docs);
        }
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

impl DetachDisk {
    /// --print-xml: the disk's element in the definition virsh reads; not there is 3 (with
    /// --missing-ok: changed: false, nothing printed).
    fn print(self, docs: Vec<(&'static str, String)>) -> Result<DiskChanged> {
        let which = docs.last().map_or("definition", |d| d.0);
        let xml = printed_document(docs);
        let all = disks(&xml)?;
        let matches =
            |d: &XmlDiskDevice| d.target == self.target || d.source.as_deref() == Some(&self.target);
        let Some(index) = all.iter().position(matches) else {
            let none = XmlDiskDevice {
                target: self.target.clone(),
                device: "disk".into(),
                ..Default::default()
            };
            let scope = Scope {
                live: false,
                config: false,
            };
            return match self.missing_ok {
                true => Ok(DiskChanged::of(self.name, &none, false, scope, "detached")),
                false => Err(Error::not_found(format!(
                    "domain {}: no disk {} in its {which}",
                    quote(&self.name),
                    quote(&self.target)
                ))),
            };
        };
        let element = without_backing_store(&device_element(&xml, "disk", index)?)?;
        Ok(DiskChanged::printed(self.name, &all[index], element, "detached"))
    }
}

/// The disk element without its first `<backingStore>`, as virsh prints it (the chain is not
/// part of what a detach names).
fn without_backing_store(xml: &str) -> Result<String> {
    let mut disk = Element::parse(xml).map_err(|e| Error::failed(format!("disk XML: {e}")))?;
    if let Some(at) = disk.children.iter().position(|c| c.name == "backingStore") {
        disk.children.remove(at);
    }
    Ok(format!("{}\n", disk.to_document()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::scope::{model, word};

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
