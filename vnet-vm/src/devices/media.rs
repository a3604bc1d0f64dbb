//! change-media (virsh's spelling and flags): insert, eject or swap a cdrom's or floppy's media.
//! The drive and the media file are checked before libvirt is asked; the change is journaled with
//! the drive as it was.

use super::devxml::{element_as_is, element_xml, DeviceAffect};
use super::scope::word;
use super::xmlfile::update;
use crate::devices::devxml::lookup;
use schemars::JsonSchema;
use serde::Serialize;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::xml::{parse, Element};
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Change the media of a domain's cdrom or floppy drive (virsh change-media).
///
/// PATH is the drive's target (hdc, sda) or its current media file. --insert puts SOURCE into an
/// empty drive, --eject empties it, --update (the default) swaps in SOURCE (ejects without one).
/// A drive the domain does not have, or media missing on this host, is exit 3; a drive that is
/// not a cdrom or floppy exit 7; --insert into a full drive exit 4; --eject of an empty one exit
/// 3; all before anything changes. --force ejects a locked drive. Undone on a later failure: the
/// drive as it was.
#[derive(Debug, clap::Args)]
pub struct ChangeMedia {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The drive: its target (hdc) or its current media file.
    pub path: String,
    /// The new media file (an ISO image or a block device).
    pub source: Option<String>,
    /// Eject the media.
    #[arg(long, conflicts_with_all = ["insert", "update"])]
    pub eject: bool,
    /// Insert SOURCE into an empty drive.
    #[arg(long, conflicts_with = "update", requires = "source")]
    pub insert: bool,
    /// Swap in SOURCE (eject without one): the default.
    #[arg(long)]
    pub update: bool,
    /// Force it (eject a drive the guest has locked).
    #[arg(long)]
    pub force: bool,
    /// The media is a block device (<disk type='block'> with <source dev=...>), as virsh
    /// --block says; without it a local block device is recognised, anything else is a file.
    #[arg(long)]
    pub block: bool,
    #[command(flatten)]
    pub affect: DeviceAffect,
    /// Print the drive's element with its new media, as virsh does, and change nothing.
    #[arg(long)]
    pub print_xml: bool,
}

/// A drive after change-media.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MediaChanged {
    /// The domain.
    pub name: String,
    pub changed: bool,
    /// The drive's target (hdc).
    pub target: String,
    /// The media now in the drive; null when empty.
    pub source: Option<String>,
    /// The media that was in it; null when it was empty.
    pub previous: Option<String>,
    /// The running domain was changed.
    pub live: bool,
    /// The persistent definition was changed.
    pub config: bool,
    #[serde(skip)]
    #[schemars(skip)]
    action: &'static str,
    /// --print-xml: the drive's element as it would be, printed instead.
    #[serde(skip)]
    #[schemars(skip)]
    xml: Option<String>,
}

impl Render for MediaChanged {
    fn document(&self) -> Option<&str> {
        self.xml.as_deref()
    }

    fn text(&self, _style: TextStyle) -> String {
        format!("Successfully {} media.\n", self.action)
    }
}

/// The drive element of `xml` named by target or media file.
fn find_drive(xml: &str, path: &str) -> Result<Option<Element>> {
    let domain = parse(xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
    let found = domain.all(&["devices", "disk"]).into_iter().find(|d| {
        d.child("target").and_then(|t| t.attr("dev")) == Some(path) || media_of(d).as_deref() == Some(path)
    });
    Ok(found.cloned())
}

fn media_of(drive: &Element) -> Option<String> {
    let source = drive.child("source")?;
    source.attr_string("file").or_else(|| source.attr_string("dev"))
}

/// `drive` holding `media` (None: empty), as the XML update-device takes.
fn with_media(drive: &Element, media: Option<&str>, block: bool) -> Result<Element> {
    let mut drive = drive.clone();
    // The backing chain libvirt reports belongs to the old media.
    drive
        .children
        .retain(|c| c.name != "source" && c.name != "backingStore");
    if let Some(media) = media {
        use std::os::unix::fs::FileTypeExt;
        let block = block || std::fs::metadata(media).is_ok_and(|m| m.file_type().is_block_device());
        let (kind, key) = if block { ("block", "dev") } else { ("file", "file") };
        drive.attrs.retain(|(k, _)| k != "type");
        drive.attrs.insert(0, ("type".into(), kind.into()));
        let source = Element {
            name: "source".into(),
            attrs: vec![(key.into(), media.into())],
            ..Default::default()
        };
        let at = drive
            .children
            .iter()
            .position(|c| c.name == "target")
            .unwrap_or(0);
        drive.children.insert(at, source);
    }
    Ok(drive)
}

impl ChangeMedia {
    fn action(&self) -> &'static str {
        match (self.eject, self.insert) {
            (true, _) => "ejected",
            (_, true) => "inserted",
            _ => "updated",
        }
    }

    /// The drive's media now, after the checks of the request against it.
    fn check(&self, drive: &Element) -> Result<Option<String>> {
        let device = drive.attr("device").unwrap_or("disk");
        if device != "cdrom" && device != "floppy" {
            return Err(Error::invalid(format!(
                "domain {}: {} is a {device}, not a cdrom or floppy: its media cannot change",
                quote(&self.domain),
                quote(&self.path)
            )));
        }
        let media = media_of(drive);
        match (&media, self.insert, self.eject) {
            (Some(m), true, _) => Err(Error::exists(format!(
                "domain {}: drive {} already has media {}",
                quote(&self.domain),
                quote(&self.path),
                quote(m)
            ))
            .with_hint("use --update to swap it, or --eject first")),
            (None, _, true) => Err(Error::not_found(format!(
                "domain {}: drive {} has no media to eject",
                quote(&self.domain),
                quote(&self.path)
            ))),
            _ => Ok(media),
        }
    }
}

impl Verb for ChangeMedia {
    type Ctx = Session;
    type Output = MediaChanged;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<MediaChanged> {
        word("PATH", &self.path)?;
        let new = if self.eject { None } else { self.source.clone() };
        if let Some(media) = &new {
            word("SOURCE", media)?;
            if ctx.is_local()? {
                std::fs::metadata(media)
                    .map_err(|e| Error::from(e).context(format!("media {}", quote(media))))?;
            }
        }
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let scope = self.affect.resolve(&dom, &self.domain)?;
        let mut drive = None;
        for (which, xml) in scope.documents(&dom, &self.domain)? {
            let found = find_drive(&xml, &self.path)?.ok_or_else(|| {
                Error::not_found(format!(
                    "domain {}: no drive {} in its {which}",
                    quote(&self.domain),
                    quote(&self.path)
                ))
                .with_hint(format!(
                    "list its drives with virsh domblklist {} --details",
                    self.domain
                ))
            })?;
            drive = drive.or(Some(found));
        }
        let drive = drive.expect("a scope has at least one definition");
        let previous = self.check(&drive)?;
        let target = drive
            .at(&["target"])
            .and_then(|t| t.attr_string("dev"))
            .unwrap_or_default();
        let changed = with_media(&drive, new.as_deref(), self.block)?;
        if self.print_xml {
            return Ok(MediaChanged {
                name: self.domain.clone(),
                changed: false,
                target,
                source: new,
                previous,
                live: scope.live,
                config: scope.config,
                action: self.action(),
                xml: Some(element_as_is(&changed) + "\n"),
            });
        }
        let xml = element_xml(&changed);
        let flags = scope.flags()
            | if self.force {
                sys::VIR_DOMAIN_DEVICE_MODIFY_FORCE
            } else {
                0
            };
        update(&dom, &self.domain, &xml, "drive", flags, Some(drive), journal)?;
        Ok(MediaChanged {
            name: self.domain.clone(),
            changed: true,
            target,
            source: new,
            previous,
            live: scope.live,
            config: scope.config,
            action: self.action(),
            xml: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "<domain><devices>\
        <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/i/a.iso'/>\
        <target dev='hdc' bus='ide'/><readonly/><alias name='ide0-1-0'/></disk>\
        <disk type='file' device='disk'><source file='/i/d.img'/><target dev='vda'/></disk>\
        </devices></domain>";

    #[test]
    fn drives_are_found_by_target_or_media_and_swapped() {
        let drive = find_drive(DOMAIN, "/i/a.iso").unwrap().unwrap();
        assert_eq!(drive.at(&["target"]).unwrap().attr("dev"), Some("hdc"));
        assert!(find_drive(DOMAIN, "hdd").unwrap().is_none());
        let ejected = element_xml(&with_media(&drive, None, false).unwrap());
        assert!(!ejected.contains("<source"), "{ejected}");
        let swapped = element_xml(&with_media(&drive, Some("/i/b.iso"), false).unwrap());
        assert!(
            swapped.contains("<source file=\"/i/b.iso\"/><target dev=\"hdc\""),
            "{swapped}"
        );
    }

    #[test]
    fn requests_are_checked_against_the_drive() {
        let args = |flags: &[&str]| {
            use clap::Parser;
            #[derive(clap::Parser)]
            struct T {
                #[command(flatten)]
                c: ChangeMedia,
            }
            let words = ["t", "dom", "hdc"].iter().chain(flags).copied();
            T::try_parse_from(words).unwrap().c
        };
        let cdrom = find_drive(DOMAIN, "hdc").unwrap().unwrap();
        let disk = find_drive(DOMAIN, "vda").unwrap().unwrap();
        assert_eq!(args(&["--eject"]).check(&disk).unwrap_err().exit_code(), 7);
        assert_eq!(
            args(&["/x.iso", "--insert"])
                .check(&cdrom)
                .unwrap_err()
                .exit_code(),
            4
        );
        assert_eq!(
            args(&["/x.iso"]).check(&cdrom).unwrap().as_deref(),
            Some("/i/a.iso")
        );
        let empty = with_media(&cdrom, None, false).unwrap();
        assert_eq!(args(&["--eject"]).check(&empty).unwrap_err().exit_code(), 3);
    }
}
