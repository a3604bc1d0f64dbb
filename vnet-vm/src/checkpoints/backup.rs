//! backup-begin and backup-dumpxml: libvirt's disk backup job of a running domain (push: copies
//! written by QEMU; pull: an NBD export a client reads), over virt::sys as the virt crate has no
//! backup calls. domjobabort (control/monitor.rs) ends a backup job as it ends any other.

use super::{c_string, last_error};
use crate::snapshots::domain_name;
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CStr;
use std::path::{Path, PathBuf};
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::xpath::{self, XpathArgs};
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Start a backup job of a running domain's disks (virsh backup-begin).
///
/// Without --backupxml, a push backup of every disk to a file beside its image (libvirt names
/// it IMAGE.SECONDS); a `<domainbackup>` document says otherwise (mode='pull' exports the disks
/// over NBD until domjobabort ends the job). --checkpointxml also makes that checkpoint at the
/// same instant (the base of the next incremental backup). A file missing is exit 3, one that
/// is not XML exit 7, both before libvirt is asked; a shut-off domain or a job already running
/// is libvirt's refusal. The job runs on after the command (domjobinfo follows it); undone on a
/// later failure: aborted.
#[derive(Debug, clap::Args)]
pub struct BackupBegin {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// A `<domainbackup>` document.
    #[arg(long, value_name = "FILE")]
    pub backupxml: Option<PathBuf>,
    /// A `<domaincheckpoint>` document: the checkpoint made with the backup.
    #[arg(long, value_name = "FILE")]
    pub checkpointxml: Option<PathBuf>,
    /// Use the backup files the document names, which already exist.
    #[arg(long)]
    pub reuse_external: bool,
}

/// The backup job started.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BackupStarted {
    /// The domain's name.
    pub name: String,
    /// Always true: a job was started.
    pub changed: bool,
}

impl Render for BackupStarted {
    fn text(&self, _style: TextStyle) -> String {
        "Backup started\n".into()
    }
}

/// A document file: missing is 3, not XML 7.
fn document(flag: &str, path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::from(e).context(format!("{flag} {}", path.display())))?;
    vnet_common::libvirt::xml::parse(&text)
        .map_err(|e| Error::invalid(format!("{flag} {}: {e}", path.display())))?;
    Ok(text)
}

/// Aborts the domain's job (the undo of backup-begin).
fn abort(dom: &Domain) -> Result<()> {
    // SAFETY: a held domain.
    if unsafe { sys::virDomainAbortJob(dom.as_ptr()) } < 0 {
        return Err(last_error("abort the backup job"));
    }
    Ok(())
}

impl Verb for BackupBegin {
    type Ctx = Session;
    type Output = BackupStarted;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<BackupStarted> {
        let backup = self
            .backupxml
            .as_deref()
            .map(|p| document("--backupxml", p))
            .transpose()?;
        let checkpoint = self
            .checkpointxml
            .as_deref()
            .map(|p| document("--checkpointxml", p))
            .transpose()?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let backup = c_string("--backupxml", backup.as_deref().unwrap_or("<domainbackup/>"))?;
        let checkpoint = checkpoint.map(|c| c_string("--checkpointxml", &c)).transpose()?;
        let flags = self.reuse_external as u32 * sys::VIR_DOMAIN_BACKUP_BEGIN_REUSE_EXTERNAL;
        let checkpoint_ptr = checkpoint.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        // SAFETY: a held domain and NUL-terminated documents (the checkpoint one may be null).
        let rc = unsafe { sys::virDomainBackupBegin(dom.as_ptr(), backup.as_ptr(), checkpoint_ptr, flags) };
        if rc < 0 {
            return Err(last_error(&format!("start a backup of domain {}", quote(&name))));
        }
        journal.record_fn(format!("backup job of domain {name}"), move || abort(&dom))?;
        Ok(BackupStarted { name, changed: true })
    }
}

/// Print the running backup job's XML (virsh backup-dumpxml); no backup job is exit 3.
#[derive(Debug, clap::Args)]
pub struct BackupDumpxml {
    /// The domain (name, ID or UUID).
    pub domain: String,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

/// The backup job's `<domainbackup>` document: printed itself, the JSON with -o json.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BackupXml {
    pub name: String,
    pub xml: String,
    /// With --xpath: the selected nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Vec<String>>,
    #[serde(skip)]
    #[schemars(skip)]
    shown: String,
}

impl Render for BackupXml {
    fn text(&self, _style: TextStyle) -> String {
        self.shown.clone()
    }

    fn document(&self) -> Option<&str> {
        Some(&self.shown)
    }
}

impl Verb for BackupDumpxml {
    type Ctx = Session;
    type Output = BackupXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<BackupXml> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        // SAFETY: a held domain; the string returned is ours to free.
        let text = unsafe { sys::virDomainBackupGetXMLDesc(dom.as_ptr(), 0) };
        if text.is_null() {
            let e = virt::error::Error::last_error();
            if e.code() == virt::error::ErrorNumber::NoDomainBackup {
                return Err(
                    Error::not_found(format!("domain {}: no backup job", quote(&name)))
                        .with_hint("start one with vnet-vm backup-begin"),
                );
            }
            return Err(vnet_common::libvirt::error(e).context("backup XML"));
        }
        // SAFETY: NUL-terminated, allocated by libvirt, freed once here.
        let xml = unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned();
        unsafe { libc::free(text.cast()) };
        let nodes = self.xpath.select(&xml)?;
        let shown = match &nodes {
            Some(nodes) => format!("{}\n", xpath::document(nodes)),
            None => format!("{xml}\n"),
        };
        Ok(BackupXml {
            name,
            xml,
            nodes,
            shown,
        })
    }
}
