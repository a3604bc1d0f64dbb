//! A running domain's memory to a file and back: save and restore (a file the user names), and
//! managedsave / managedsave-remove (a file libvirt keeps; start resumes from it).

use super::lookup::state_of;
use super::progress::with_progress;
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CString;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// virsh's flags of save, restore and managedsave.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SaveFlags {
    /// Write (or read) the image without the host's page cache.
    #[arg(long)]
    pub bypass_cache: bool,
    /// Run the domain when it is restored.
    #[arg(long, conflicts_with = "paused")]
    pub running: bool,
    /// Leave the domain paused when it is restored.
    #[arg(long)]
    pub paused: bool,
}

impl SaveFlags {
    fn bits(&self) -> u32 {
        let pairs = [
            (self.bypass_cache, sys::VIR_DOMAIN_SAVE_BYPASS_CACHE),
            (self.running, sys::VIR_DOMAIN_SAVE_RUNNING),
            (self.paused, sys::VIR_DOMAIN_SAVE_PAUSED),
        ];
        pairs.iter().filter(|(on, _)| *on).fold(0, |a, (_, b)| a | b)
    }
}

/// A domain's state after save, restore, managedsave or managedsave-remove.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SavedState {
    pub name: String,
    /// False when there was nothing to do (managedsave-remove without an image).
    pub changed: bool,
    /// virsh's word for the domain's state now ("shut off" after saving a transient domain,
    /// which libvirt then forgets until it is restored).
    pub state: String,
    /// The image file (save, restore); null for libvirt's own (managedsave).
    pub file: Option<String>,
    /// A managed save image exists now.
    pub managed_save: bool,
    #[serde(skip)]
    #[schemars(skip)]
    line: String,
}

impl Render for SavedState {
    fn text(&self, _style: TextStyle) -> String {
        self.line.clone()
    }
}

fn saved(dom: &Domain, changed: bool, file: Option<String>, line: String) -> Result<SavedState> {
    Ok(SavedState {
        name: dom.get_name().libvirt("domain name")?,
        changed,
        state: state_of(dom).to_string(),
        managed_save: dom.has_managed_save(0).libvirt("managed save")?,
        file,
        line,
    })
}

fn running(dom: &Domain, name: &str) -> Result<()> {
    if !dom.is_active().libvirt("domain state")? {
        return Err(Error::failed(format!("domain {} is not running", quote(name))));
    }
    Ok(())
}

/// --xml FILE of save and restore: the domain XML libvirt puts in (or restores from) the image
/// instead of the domain's own (virsh: "filename containing updated XML for the target"). Read
/// before anything is touched: a missing file is exit 3, one that is not UTF-8 or too big 7;
/// libvirt refuses a document that changes the guest's ABI (exit 7 or 1, nothing changed).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ImageXml {
    /// The domain XML to store in (save) or restore from (restore) the image instead.
    #[arg(long, value_name = "FILE")]
    pub xml: Option<std::path::PathBuf>,
}

impl ImageXml {
    fn read(&self) -> Result<Option<String>> {
        let Some(path) = &self.xml else {
            return Ok(None);
        };
        let text = vnet_common::files::read_text(path, vnet_common::files::MAX_XML)?;
        if text.contains('\0') {
            return Err(Error::invalid(format!(
                "--xml {}: a NUL byte is no XML",
                quote(&path.display().to_string())
            )));
        }
        Ok(Some(text))
    }
}

fn save_to(
    dom: &Domain,
    path: &str,
    xml: Option<&str>,
    flags: u32,
) -> std::result::Result<(), virt::error::Error> {
    let c_path = CString::new(path).expect("paths from the command line have no NUL");
    let c_xml = xml.map(|x| CString::new(x).expect("checked for NUL bytes"));
    let dxml = c_xml.as_ref().map_or(std::ptr::null(), |x| x.as_ptr());
    // SAFETY: a valid domain pointer, a NUL-terminated path, the XML NUL-terminated or null.
    let rc = unsafe { sys::virDomainSaveFlags(dom.as_ptr(), c_path.as_ptr(), dxml, flags) };
    match rc {
        -1 => Err(virt::error::Error::last_error()),
        _ => Ok(()),
    }
}

/// Save a running domain's state to FILE and stop it (virsh save).
///
/// A domain that is not running, or a FILE that exists already, is refused before anything is
/// touched (exit 1 and 4). Undone on a later failure: restored from FILE.
#[derive(Debug, clap::Args)]
pub struct Save {
    pub domain: String,
    pub file: String,
    #[command(flatten)]
    pub flags: SaveFlags,
    /// Show the save's progress on stderr, as virsh does ("Save: [ 42 %]").
    #[arg(long)]
    pub verbose: bool,
    #[command(flatten)]
    pub xml: ImageXml,
}

impl Verb for Save {
    type Ctx = Session;
    type Output = SavedState;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SavedState> {
        let xml = self.xml.read()?;
        let conn = ctx.conn()?.clone();
        let dom = lookup(&conn, &self.domain)?;
        let name = dom.get_name().libvirt("domain name")?;
        running(&dom, &name)?;
        let persistent = dom.is_persistent().libvirt("domain persistence")?;
        if std::path::Path::new(&self.file).exists() {
            return Err(Error::exists(format!("{} exists already", quote(&self.file)))
                .with_hint("save to a new file, or remove it first"));
        }
        let what = format!("save domain {} to {}", quote(&name), quote(&self.file));
        let (job, file, bits) = (dom.clone(), self.file.clone(), self.flags.bits());
        with_progress(&dom, "Save", self.verbose, move || {
            save_to(&job, &file, xml.as_deref(), bits)
        })
        .libvirt(&what)?;
        let file = self.file.clone();
        journal.record_fn(what, move || {
            Domain::domain_restore_flags(&conn, &file, None, 0).libvirt("restore the domain")
        })?;
        let line = format!("\nDomain '{name}' saved to {}\n", self.file);
        if !persistent {
            // libvirt has forgotten the domain: nothing left to ask it about.
            return Ok(SavedState {
                name,
                changed: true,
                state: "shut off".into(),
                file: Some(self.file),
                managed_save: false,
                line,
            });
        }
        saved(&dom, true, Some(self.file), line)
    }
}

/// Start a domain from a state file written by save (virsh restore).
///
/// A file that is not a save image is refused before anything is touched. Undone on a later
/// failure: saved to the file again.
#[derive(Debug, clap::Args)]
pub struct Restore {
    pub file: String,
    #[command(flatten)]
    pub flags: SaveFlags,
    #[command(flatten)]
    pub xml: ImageXml,
    /// Re-initialize a UEFI guest's NVRAM from its template first.
    #[arg(long)]
    pub reset_nvram: bool,
}

impl Verb for Restore {
    type Ctx = Session;
    type Output = SavedState;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SavedState> {
        let xml = self.xml.read()?;
        let conn = ctx.conn()?;
        let name = image_domain(conn, &self.file)?;
        let what = format!("restore domain {} from {}", quote(&name), quote(&self.file));
        let reset = if self.reset_nvram {
            sys::VIR_DOMAIN_SAVE_RESET_NVRAM
        } else {
            0
        };
        Domain::domain_restore_flags(conn, &self.file, xml.as_deref(), self.flags.bits() | reset)
            .libvirt(&what)?;
        let dom = lookup(conn, &name)?;
        let (undo, file) = (dom.clone(), self.file.clone());
        journal.record_fn(what, move || {
            save_to(&undo, &file, None, 0).libvirt("save the domain again")
        })?;
        let line = format!("Domain restored from {}\n", self.file);
        saved(&dom, true, Some(self.file), line)
    }
}

/// The name of the domain a save image holds; a missing file is exit 3, one that is not a save
/// image exit 7.
fn image_domain(conn: &Connect, file: &str) -> Result<String> {
    if !std::path::Path::new(file).exists() {
        return Err(Error::not_found(format!("save image {} not found", quote(file))));
    }
    let xml = Domain::save_image_get_xml_desc(conn, file, 0)
        .map_err(|e| Error::invalid(format!("{} is not a save image: {}", quote(file), e.message())))?;
    let root = vnet_common::libvirt::xml::parse(&xml)
        .map_err(|e| Error::invalid(format!("save image {}: {e}", quote(file))))?;
    root.text_at(&["name"])
        .ok_or_else(|| Error::invalid(format!("save image {} names no domain", quote(file))))
}

/// Save a running domain's state where libvirt keeps it and stop it (virsh managedsave); the next
/// start resumes from it.
///
/// A domain that is not running is exit 1. Undone on a later failure: started (resumed) again.
#[derive(Debug, clap::Args)]
pub struct Managedsave {
    pub domain: String,
    #[command(flatten)]
    pub flags: SaveFlags,
    /// Show the save's progress on stderr, as virsh does ("Managedsave: [ 42 %]").
    #[arg(long)]
    pub verbose: bool,
}

impl Verb for Managedsave {
    type Ctx = Session;
    type Output = SavedState;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SavedState> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = dom.get_name().libvirt("domain name")?;
        running(&dom, &name)?;
        let what = format!("managedsave domain {}", quote(&name));
        let (job, bits) = (dom.clone(), self.flags.bits());
        with_progress(&dom, "Managedsave", self.verbose, move || {
            job.managed_save(bits).map(drop)
        })
        .libvirt(&what)?;
        let undo = dom.clone();
        journal.record_fn(what, move || {
            undo.create().map(drop).libvirt("start the domain again")
        })?;
        saved(
            &dom,
            true,
            None,
            format!("\nDomain '{name}' state saved by libvirt\n"),
        )
    }
}

/// Remove a domain's managed save image (virsh managedsave-remove); its next start boots afresh.
///
/// A domain without one is changed: false. Cannot be undone.
#[derive(Debug, clap::Args)]
pub struct ManagedsaveRemove {
    pub domain: String,
}

impl Verb for ManagedsaveRemove {
    type Ctx = Session;
    type Output = SavedState;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SavedState> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = dom.get_name().libvirt("domain name")?;
        let has = dom.has_managed_save(0).libvirt("managed save")?;
        if !has {
            let line = format!("Domain '{name}' has no manage save image; removal skipped\n");
            return saved(&dom, false, None, line);
        }
        let what = format!("remove the managed save image of domain {}", quote(&name));
        dom.managed_save_remove(0).libvirt(&what)?;
        journal.irreversible(what)?;
        saved(
            &dom,
            true,
            None,
            format!("Removed managedsave image for domain '{name}'\n"),
        )
    }
}
