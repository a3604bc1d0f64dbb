//! A running domain's memory to a file and back: save and restore (a file the user names), and
//! managedsave / managedsave-remove (a file libvirt keeps; start resumes from it).

use super::lookup::state_of;
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
    /// virsh's word for the domain's state now.
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

fn save_to(dom: &Domain, path: &str, flags: u32) -> std::result::Result<(), virt::error::Error> {
    let c_path = CString::new(path).expect("paths from the command line have no NUL");
    // SAFETY: a valid domain pointer, a NUL-terminated path, no replacement XML.
    let rc = unsafe { sys::virDomainSaveFlags(dom.as_ptr(), c_path.as_ptr(), std::ptr::null(), flags) };
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
}

impl Verb for Save {
    type Ctx = Session;
    type Output = SavedState;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SavedState> {
        let conn = ctx.conn()?.clone();
        let dom = lookup(&conn, &self.domain)?;
        let name = dom.get_name().libvirt("domain name")?;
        running(&dom, &name)?;
        if std::path::Path::new(&self.file).exists() {
            return Err(Error::exists(format!("{} exists already", quote(&self.file)))
                .with_hint("save to a new file, or remove it first"));
        }
        let what = format!("save domain {} to {}", quote(&name), quote(&self.file));
        save_to(&dom, &self.file, self.flags.bits()).libvirt(&what)?;
        let file = self.file.clone();
        journal.record_fn(what, move || {
            Domain::domain_restore_flags(&conn, &file, None, 0).libvirt("restore the domain")
        })?;
        let line = format!("\nDomain '{name}' saved to {}\n", self.file);
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
}

impl Verb for Restore {
    type Ctx = Session;
    type Output = SavedState;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SavedState> {
        let conn = ctx.conn()?;
        let name = image_domain(conn, &self.file)?;
        let what = format!("restore domain {} from {}", quote(&name), quote(&self.file));
        Domain::domain_restore_flags(conn, &self.file, None, self.flags.bits()).libvirt(&what)?;
        let dom = lookup(conn, &name)?;
        let (undo, file) = (dom.clone(), self.file.clone());
        journal.record_fn(what, move || {
            save_to(&undo, &file, 0).libvirt("save the domain again")
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
}

impl Verb for Managedsave {
    type Ctx = Session;
    type Output = SavedState;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SavedState> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = dom.get_name().libvirt("domain name")?;
        running(&dom, &name)?;
        let what = format!("managedsave domain {}", quote(&name));
        dom.managed_save(self.flags.bits()).libvirt(&what)?;
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
