//! A state file `save` wrote: its domain XML read, replaced and edited (virsh
//! save-image-dumpxml, save-image-define, save-image-edit). The file is the libvirt host's
//! (over a remote URI, a path there, as virsh passes it).

use super::managed::take_string;
use super::{read_xml, DumpFlags, ImageDefined, ImageXml, StartState};
use std::ffi::CString;
use std::path::PathBuf;
use virt::connect::Connect;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::edit;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Result, Verb};

/// The domain XML in a state file (virsh save-image-dumpxml). A missing file, or one that is no
/// state file ("image magic is incorrect"), is libvirt's error, exit 1 as virsh fails.
#[derive(Debug, clap::Args)]
pub struct SaveImageDumpxml {
    /// The state file.
    pub file: String,
    #[command(flatten)]
    pub flags: DumpFlags,
}

fn c_path(file: &str) -> Result<CString> {
    CString::new(file).map_err(|_| Error::invalid("a path with a NUL byte"))
}

/// The file's XML with VIR_DOMAIN_XML_* `flags`.
fn image_xml(conn: &Connect, file: &str, flags: u32) -> Result<String> {
    let path = c_path(file)?;
    // SAFETY: an open connection and a NUL-terminated path; libvirt returns a malloc'd string.
    let xml = unsafe { sys::virDomainSaveImageGetXMLDesc(conn.as_ptr(), path.as_ptr(), flags) };
    take_string(xml).libvirt(format!("state file {}", quote(file)))
}

/// Replaces the file's XML; `flags` VIR_DOMAIN_SAVE_RUNNING / _PAUSED.
fn define_image(
    conn: &Connect,
    file: &CString,
    xml: &str,
    flags: u32,
) -> std::result::Result<(), virt::error::Error> {
    let text = CString::new(xml).expect("checked for NUL bytes");
    // SAFETY: an open connection, a NUL-terminated path and document.
    match unsafe { sys::virDomainSaveImageDefineXML(conn.as_ptr(), file.as_ptr(), text.as_ptr(), flags) } {
        rc if rc < 0 => Err(virt::error::Error::last_error()),
        _ => Ok(()),
    }
}

impl Verb for SaveImageDumpxml {
    type Ctx = Session;
    type Output = ImageXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<ImageXml> {
        let xml = image_xml(ctx.conn()?, &self.file, self.flags.bits())?;
        ImageXml::new(self.file, xml, &self.flags)
    }
}

/// Replace the domain XML in a state file (virsh save-image-define).
///
/// The document must describe the same guest (same UUID, same ABI: libvirt accepts a changed
/// lifecycle action or disk path, refuses the rest with exit 7). --running / --paused choose the
/// state `restore` leaves the domain in. Undone on a later failure (--batch --atomic): the old
/// XML is put back (a --running/--paused choice stays).
#[derive(Debug, clap::Args)]
pub struct SaveImageDefine {
    /// The state file.
    pub file: String,
    /// The file with the new domain XML.
    pub xml: PathBuf,
    #[command(flatten)]
    pub state: StartState,
}

impl Verb for SaveImageDefine {
    type Ctx = Session;
    type Output = ImageDefined;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<ImageDefined> {
        let text = read_xml(&self.xml)?;
        let conn = ctx.conn()?;
        let old = image_xml(conn, &self.file, sys::VIR_DOMAIN_XML_SECURE)?;
        define_image(conn, &c_path(&self.file)?, &text, self.state.bits())
            .map_err(|e| edit::refused(e, format!("state file {}", quote(&self.file))))?;
        record_undo(conn, &self.file, old, journal)?;
        let line = format!("State file {} updated.\n\n", self.file);
        Ok(defined(self.file, true, &self.state, line))
    }
}

fn defined(file: String, changed: bool, state: &StartState, line: String) -> ImageDefined {
    ImageDefined {
        name: None,
        file: Some(file),
        changed,
        start_state: state.word(),
        line,
    }
}

fn record_undo(conn: &Connect, file: &str, old: String, journal: &mut Journal) -> Result<()> {
    let (conn, path) = (conn.clone(), c_path(file)?);
    journal.record_fn(
        format!("replace the XML of state file {}", quote(file)),
        move || define_image(&conn, &path, &old, 0).libvirt("put the state file's XML back"),
    )
}

/// Edit the domain XML in a state file in $VISUAL or $EDITOR (virsh save-image-edit), as `edit`
/// does for a definition: a file left as it was changes nothing ("changed": false); a document
/// libvirt refuses is exit 7 and the state file as it was.
#[derive(Debug, clap::Args)]
pub struct SaveImageEdit {
    /// The state file.
    pub file: String,
    #[command(flatten)]
    pub state: StartState,
}

impl Verb for SaveImageEdit {
    type Ctx = Session;
    type Output = ImageDefined;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<ImageDefined> {
        let conn = ctx.conn()?;
        let path = c_path(&self.file)?;
        let old = image_xml(conn, &self.file, sys::VIR_DOMAIN_XML_SECURE)?;
        let flags = self.state.bits();
        let apply = |text: &str| {
            crate::xml::domain::read_head(text).map_err(|e| e.context("the edited document"))?;
            if image_xml(conn, &self.file, sys::VIR_DOMAIN_XML_SECURE)? != old {
                return Err(Error::failed(
                    "the state file was changed by another user while it was edited",
                ));
            }
            define_image(conn, &path, text, flags)
                .map_err(|e| edit::refused(e, format!("state file {}", quote(&self.file))))
        };
        if edit::edit(&old, apply)?.is_none() {
            let line = format!("Saved image {} XML configuration not changed.\n\n", self.file);
            return Ok(defined(self.file, false, &self.state, line));
        }
        record_undo(conn, &self.file, old, journal)?;
        let line = format!("State file {} edited.\n\n", self.file);
        Ok(defined(self.file, true, &self.state, line))
    }
}
