//! A domain's managed save image (`managedsave` made it; `start` resumes from it): its XML read,
//! replaced and edited (virsh managedsave-dumpxml, managedsave-define, managedsave-edit).

use super::{read_xml, DumpFlags, ImageDefined, ImageXml, StartState};
use std::ffi::CString;
use std::path::PathBuf;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::edit;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Result, Verb};

/// The domain XML in a domain's managed save image (virsh managedsave-dumpxml). A domain without
/// one is libvirt's "does not have managed save image" (exit 1, as virsh fails).
#[derive(Debug, clap::Args)]
pub struct ManagedsaveDumpxml {
    /// The domain (name, ID or UUID).
    pub domain: String,
    #[command(flatten)]
    pub flags: DumpFlags,
}

/// The image's XML with VIR_DOMAIN_XML_* `flags`.
fn image_xml(dom: &Domain, name: &str, flags: u32) -> Result<String> {
    // SAFETY: a held domain; libvirt returns a malloc'd string or null.
    let xml = unsafe { sys::virDomainManagedSaveGetXMLDesc(dom.as_ptr(), flags) };
    take_string(xml).libvirt(format!("managed save image of domain {}", quote(name)))
}

/// A string libvirt allocated, freed here; null is libvirt's last error.
pub(super) fn take_string(s: *mut libc::c_char) -> std::result::Result<String, virt::error::Error> {
    if s.is_null() {
        return Err(virt::error::Error::last_error());
    }
    // SAFETY: a NUL-terminated string libvirt allocated, not used after the free.
    let text = unsafe { std::ffi::CStr::from_ptr(s) }
        .to_string_lossy()
        .into_owned();
    unsafe { libc::free(s.cast()) };
    Ok(text)
}

/// Replaces the image's XML; `flags` VIR_DOMAIN_SAVE_RUNNING / _PAUSED.
fn define_image(dom: &Domain, xml: &str, flags: u32) -> std::result::Result<(), virt::error::Error> {
    let text = CString::new(xml).expect("checked for NUL bytes");
    // SAFETY: a held domain and a NUL-terminated document.
    match unsafe { sys::virDomainManagedSaveDefineXML(dom.as_ptr(), text.as_ptr(), flags) } {
        rc if rc < 0 => Err(virt::error::Error::last_error()),
        _ => Ok(()),
    }
}

impl Verb for ManagedsaveDumpxml {
    type Ctx = Session;
    type Output = ImageXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<ImageXml> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let xml = image_xml(&dom, &name, self.flags.bits())?;
        ImageXml::new(name, xml, &self.flags)
    }
}

/// Replace the domain XML in a domain's managed save image (virsh managedsave-define).
///
/// The document must describe the same guest (same UUID, same ABI: libvirt accepts a changed
/// lifecycle action or disk path, refuses the rest with exit 7). --running / --paused choose the
/// state `start` leaves the domain in. Undone on a later failure (--batch --atomic): the old XML
/// is put back (a --running/--paused choice stays).
#[derive(Debug, clap::Args)]
pub struct ManagedsaveDefine {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The file with the new domain XML.
    pub xml: PathBuf,
    #[command(flatten)]
    pub state: StartState,
}

impl Verb for ManagedsaveDefine {
    type Ctx = Session;
    type Output = ImageDefined;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<ImageDefined> {
        let text = read_xml(&self.xml)?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let old = image_xml(&dom, &name, sys::VIR_DOMAIN_XML_SECURE)?;
        define_image(&dom, &text, self.state.bits())
            .map_err(|e| edit::refused(e, format!("managed save image of domain {}", quote(&name))))?;
        record_undo(&dom, old, journal)?;
        let line = format!("Managed save state file of domain '{name}' updated.\n\n");
        Ok(defined(name, true, &self.state, line))
    }
}

fn defined(name: String, changed: bool, state: &StartState, line: String) -> ImageDefined {
    ImageDefined {
        name: Some(name),
        file: None,
        changed,
        start_state: state.word(),
        line,
    }
}

fn record_undo(dom: &Domain, old: String, journal: &mut Journal) -> Result<()> {
    let dom = dom.clone();
    journal.record_fn("replace the managed save image's XML", move || {
        define_image(&dom, &old, 0).libvirt("put the managed save image's XML back")
    })
}

/// Edit the domain XML in a domain's managed save image in $VISUAL or $EDITOR (virsh
/// managedsave-edit), as `edit` does for a definition: a file left as it was changes nothing
/// ("changed": false); a document libvirt refuses is exit 7 and the image as it was.
#[derive(Debug, clap::Args)]
pub struct ManagedsaveEdit {
    /// The domain (name, ID or UUID).
    pub domain: String,
    #[command(flatten)]
    pub state: StartState,
}

impl Verb for ManagedsaveEdit {
    type Ctx = Session;
    type Output = ImageDefined;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<ImageDefined> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let old = image_xml(&dom, &name, sys::VIR_DOMAIN_XML_SECURE)?;
        let flags = self.state.bits();
        let apply = |text: &str| {
            crate::xml::domain::read_head(text).map_err(|e| e.context("the edited document"))?;
            if image_xml(&dom, &name, sys::VIR_DOMAIN_XML_SECURE)? != old {
                return Err(Error::failed(
                    "the image was changed by another user while it was edited",
                ));
            }
            define_image(&dom, text, flags)
                .map_err(|e| edit::refused(e, format!("managed save image of domain {}", quote(&name))))
        };
        if edit::edit(&old, apply)?.is_none() {
            let line = format!("Managed save image of domain '{name}' XML configuration not changed.\n\n");
            return Ok(defined(name, false, &self.state, line));
        }
        record_undo(&dom, old, journal)?;
        let line = format!("Managed save image of Domain '{name}' XML configuration edited.\n\n");
        Ok(defined(name, true, &self.state, line))
    }
}
