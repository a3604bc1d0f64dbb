//! Merging a disk's upper images down its backing chain (virsh blockcommit). Committing the
//! active (top) image mirrors writes once caught up, until it is pivoted (the disk runs on the
//! base) or ended keeping the overlay. A started job is undone on a later failure by aborting
//! it; finished data stays merged.

use super::job::{self, bandwidth, JobInfo, Until, Waiting};
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CString;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, Verb};

/// Commit a running domain's disk images into a lower one (virsh blockcommit): --top (default
/// the top) into --base (default the bottom of the chain). Returns once the job started; --wait
/// waits for it to end (with --active: to mirror); --pivot then moves the disk onto the base,
/// --keep-overlay ends the job keeping the top.
#[derive(Debug, clap::Args)]
pub struct Blockcommit {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The disk: its target (vda) or source path.
    pub path: String,
    /// Speed limit, MiB/s unless --bytes.
    #[arg(long)]
    pub bandwidth: Option<u64>,
    /// The image to commit into (default the bottom of the chain).
    #[arg(long, conflicts_with = "shallow")]
    pub base: Option<String>,
    /// Commit into --top's own backing file.
    #[arg(long)]
    pub shallow: bool,
    /// The image to commit from (default the top).
    #[arg(long)]
    pub top: Option<String>,
    /// Commit the active (top) image: a two-phase job that mirrors writes until ended.
    #[arg(long)]
    pub active: bool,
    /// Delete the committed images once done.
    #[arg(long)]
    pub delete: bool,
    /// Wait for the job to end (with --active, to mirror).
    #[arg(long)]
    pub wait: bool,
    /// With --wait: a progress record (JSON) on stderr at each new percentage.
    #[arg(long)]
    pub verbose: bool,
    /// Implies --wait: abort the job after this many seconds (exit 1).
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Implies --active --wait: then move the disk onto the base.
    #[arg(long, conflicts_with = "keep_overlay")]
    pub pivot: bool,
    /// Implies --active --wait: then end the job, keeping the top image in use.
    #[arg(long)]
    pub keep_overlay: bool,
    /// With --timeout: do not wait for the abort to finish.
    #[arg(long = "async", id = "async_")]
    pub async_: bool,
    /// Keep the backing chain's relative names.
    #[arg(long)]
    pub keep_relative: bool,
    /// --bandwidth is in bytes/s.
    #[arg(long)]
    pub bytes: bool,
}

/// A disk after blockcommit.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BlockCommit {
    pub name: String,
    pub path: String,
    pub changed: bool,
    /// The job ended (--wait without --active), or mirrors (--wait with --active).
    pub completed: bool,
    /// The disk moved onto the base (--pivot).
    pub pivoted: bool,
    /// The job now; null once it ended.
    pub job: Option<JobInfo>,
}

impl Render for BlockCommit {}

impl Blockcommit {
    fn active(&self) -> bool {
        self.active || self.pivot || self.keep_overlay
    }

    fn flags(&self) -> u32 {
        let pairs = [
            (self.shallow, sys::VIR_DOMAIN_BLOCK_COMMIT_SHALLOW),
            (self.delete, sys::VIR_DOMAIN_BLOCK_COMMIT_DELETE),
            (self.active(), sys::VIR_DOMAIN_BLOCK_COMMIT_ACTIVE),
            (self.keep_relative, sys::VIR_DOMAIN_BLOCK_COMMIT_RELATIVE),
        ];
        let on = pairs.iter().filter(|(on, _)| *on);
        on.fold(sys::VIR_DOMAIN_BLOCK_COMMIT_BANDWIDTH_BYTES, |a, (_, f)| a | f)
    }
}

fn c_opt(text: &Option<String>, what: &str) -> Result<Option<CString>> {
    let bad = |_| Error::invalid(format!("--{what}: a path without NUL"));
    text.as_deref().map(CString::new).transpose().map_err(bad)
}

impl Verb for Blockcommit {
    type Ctx = Session;
    type Output = BlockCommit;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<BlockCommit> {
        let speed = bandwidth(self.bandwidth, self.bytes)?;
        let (base, top) = (c_opt(&self.base, "base")?, c_opt(&self.top, "top")?);
        let path = CString::new(self.path.as_str()).map_err(|_| Error::invalid("disk path"))?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let ptr = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        // SAFETY: a held domain and NUL-terminated strings (null: libvirt's default).
        let rc = unsafe {
            sys::virDomainBlockCommit(
                dom.as_ptr(),
                path.as_ptr(),
                ptr(&base),
                ptr(&top),
                speed as _,
                self.flags(),
            )
        };
        let what = format!("commit disk {} of domain {}", quote(&self.path), quote(&name));
        if rc < 0 {
            return Err(virt::error::Error::last_error()).libvirt(&what);
        }
        let (undo, disk) = (dom.clone(), self.path.clone());
        journal.record_fn(&what, move || match job::job_info(&undo, &disk)? {
            Some(_) => job::abort(&undo, &disk, false, false),
            None => Err(Error::failed("the commit had finished: its data stays merged")),
        })?;
        let wait = self.wait || self.pivot || self.keep_overlay || self.timeout.is_some();
        if wait {
            let until = if self.active() { Until::Ready } else { Until::Gone };
            let how = Waiting {
                verbose: self.verbose,
                timeout: self.timeout,
                async_: self.async_,
            };
            job::wait(&dom, &self.path, until, how)?;
        }
        if self.pivot || self.keep_overlay {
            job::abort(&dom, &self.path, self.pivot, false)?;
            journal.irreversible(format!("end the commit of disk {}", quote(&self.path)))?;
        }
        let job = job::job_info(&dom, &self.path)?;
        Ok(BlockCommit {
            name,
            path: self.path,
            changed: true,
            completed: wait,
            pivoted: self.pivot,
            job,
        })
    }
}
