//! Pulling a disk's backing data into its top image (virsh blockpull). A started job is undone
//! on a later failure by aborting it; a finished pull cannot be undone (the data moved).

use super::job::{self, bandwidth, JobInfo, Until, Waiting};
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CString;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, Verb};

/// Copy a running domain's backing data into the disk's top image (virsh blockpull): the
/// whole chain, or down to --base. Returns once the job started, or with --wait once it ended.
#[derive(Debug, clap::Args)]
pub struct Blockpull {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The disk: its target (vda) or source path.
    pub path: String,
    /// Speed limit, MiB/s unless --bytes.
    #[arg(long)]
    pub bandwidth: Option<u64>,
    /// Pull only the layers above this backing file.
    #[arg(long)]
    pub base: Option<String>,
    /// Wait until the job ends.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: a progress record (JSON) on stderr at each new percentage.
    #[arg(long, requires = "wait")]
    pub verbose: bool,
    /// With --wait: abort the job after this many seconds (exit 1).
    #[arg(long, requires = "wait")]
    pub timeout: Option<u64>,
    /// With --timeout: do not wait for the abort to finish.
    #[arg(long = "async", id = "async_", requires = "wait")]
    pub async_: bool,
    /// Keep the backing chain's relative names (with --base).
    #[arg(long, requires = "base")]
    pub keep_relative: bool,
    /// --bandwidth is in bytes/s.
    #[arg(long)]
    pub bytes: bool,
}

/// A disk after blockpull.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BlockPull {
    pub name: String,
    pub path: String,
    pub changed: bool,
    /// The job ended (with --wait).
    pub completed: bool,
    /// The job still running (without --wait); null once it ended.
    pub job: Option<JobInfo>,
}

impl Render for BlockPull {}

impl Verb for Blockpull {
    type Ctx = Session;
    type Output = BlockPull;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<BlockPull> {
        let speed = bandwidth(self.bandwidth, self.bytes)?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let path = CString::new(self.path.as_str()).map_err(|_| Error::invalid("disk path"))?;
        let base = self
            .base
            .as_deref()
            .map(CString::new)
            .transpose()
            .map_err(|_| Error::invalid("base"))?;
        let flags = sys::VIR_DOMAIN_BLOCK_PULL_BANDWIDTH_BYTES
            | (self.keep_relative as u32 * sys::VIR_DOMAIN_BLOCK_REBASE_RELATIVE);
        // SAFETY: a held domain and NUL-terminated strings; blockRebase without COPY is a pull.
        let rc = unsafe {
            match &base {
                Some(base) => {
                    sys::virDomainBlockRebase(dom.as_ptr(), path.as_ptr(), base.as_ptr(), speed as _, flags)
                }
                None => sys::virDomainBlockPull(dom.as_ptr(), path.as_ptr(), speed as _, flags),
            }
        };
        let what = format!("pull disk {} of domain {}", quote(&self.path), quote(&name));
        if rc < 0 {
            return Err(virt::error::Error::last_error()).libvirt(&what);
        }
        let (undo, disk) = (dom.clone(), self.path.clone());
        journal.record_fn(&what, move || match job::job_info(&undo, &disk)? {
            Some(_) => job::abort(&undo, &disk, false, false),
            None => Err(Error::failed("the pull had finished: its data stays pulled")),
        })?;
        if self.wait {
            let how = Waiting {
                verbose: self.verbose,
                timeout: self.timeout,
                async_: self.async_,
            };
            job::wait(&dom, &self.path, Until::Gone, how)?;
        }
        let job = job::job_info(&dom, &self.path)?;
        Ok(BlockPull {
            name,
            path: self.path,
            changed: true,
            completed: job.is_none(),
            job,
        })
    }
}
