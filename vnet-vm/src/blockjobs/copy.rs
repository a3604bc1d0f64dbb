//! Copying a running domain's disk to a new image while the guest keeps writing (virsh
//! blockcopy): the job mirrors writes once it caught up, until it is pivoted (the disk moves to
//! the copy) or finished (the copy is left behind). A started job is undone on a later failure
//! by aborting it.

use super::job::{self, bandwidth, JobInfo, Until, Waiting};
use crate::tuning::typed::Request;
use quick_xml::Writer;
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CString;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Render, Result, Verb};

/// Copy a running domain's disk to --dest (virsh blockcopy). Returns once the job started; with
/// --wait once the copy mirrors the disk; with --pivot the disk then runs on the copy, with
/// --finish the job ends leaving the copy.
#[derive(Debug, clap::Args)]
pub struct Blockcopy {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The disk: its target (vda) or source path.
    pub path: String,
    /// The copy's path (created unless --reuse-external).
    #[arg(long, required_unless_present = "xml")]
    pub dest: Option<String>,
    /// Speed limit, MiB/s unless --bytes.
    #[arg(long)]
    pub bandwidth: Option<u64>,
    /// Copy only the top image; the copy shares the backing chain.
    #[arg(long)]
    pub shallow: bool,
    /// --dest exists already (its backing chain as the source's).
    #[arg(long)]
    pub reuse_external: bool,
    /// --dest is a block device.
    #[arg(long)]
    pub blockdev: bool,
    /// Wait until the copy mirrors the disk.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: a progress record (JSON) on stderr at each new percentage.
    #[arg(long)]
    pub verbose: bool,
    /// Implies --wait: abort the job after this many seconds (exit 1).
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Implies --wait: then move the disk to the copy.
    #[arg(long, conflicts_with = "finish")]
    pub pivot: bool,
    /// Implies --wait: then end the job, leaving the copy.
    #[arg(long)]
    pub finish: bool,
    /// With --timeout: do not wait for the abort to finish.
    #[arg(long = "async", id = "async_")]
    pub async_: bool,
    /// A file with the destination's <disk> XML (instead of --dest).
    #[arg(long, conflicts_with_all = ["dest", "format", "blockdev"])]
    pub xml: Option<String>,
    /// The copy's format (raw, qcow2); the source's by default.
    #[arg(long)]
    pub format: Option<String>,
    /// Granularity of the dirty bitmap, a power of two in bytes.
    #[arg(long)]
    pub granularity: Option<u32>,
    /// Most data in flight, bytes.
    #[arg(long)]
    pub buf_size: Option<u64>,
    /// --bandwidth is in bytes/s.
    #[arg(long)]
    pub bytes: bool,
    /// The job does not survive the domain stopping.
    #[arg(long)]
    pub transient_job: bool,
    /// Guest writes reach the copy before they complete.
    #[arg(long)]
    pub synchronous_writes: bool,
    /// Print the destination's `<disk>` XML the copy would be given, as virsh does, and copy
    /// nothing (the domain is looked up first, the disk is not).
    #[arg(long)]
    pub print_xml: bool,
}

/// A disk after blockcopy.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BlockCopy {
    pub name: String,
    pub path: String,
    /// Where the copy is.
    pub dest: Option<String>,
    pub changed: bool,
    /// The copy reached the mirroring phase (with --wait).
    pub ready: bool,
    /// The disk moved to the copy (--pivot).
    pub pivoted: bool,
    /// The job ended leaving the copy (--finish).
    pub finished: bool,
    /// The job now; null once it ended.
    pub job: Option<JobInfo>,
    /// --print-xml: the destination's XML, printed instead.
    #[serde(skip)]
    #[schemars(skip)]
    pub xml: Option<String>,
}

impl Render for BlockCopy {
    fn document(&self) -> Option<&str> {
        self.xml.as_deref()
    }
}

impl Blockcopy {
    /// The destination's <disk> (quick-xml escapes the path).
    fn dest_xml(&self) -> Result<String> {
        if let Some(file) = &self.xml {
            return std::fs::read_to_string(file)
                .map_err(|e| Error::invalid(format!("--xml {}: {e}", quote(file))));
        }
        let dest = self.dest.as_deref().unwrap_or_default();
        let (kind, attr) = if self.blockdev {
            ("block", "dev")
        } else {
            ("file", "file")
        };
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        w.create_element("disk")
            .with_attribute(("type", kind))
            .write_inner_content(|w| {
                w.create_element("source")
                    .with_attribute((attr, dest))
                    .write_empty()?;
                if let Some(format) = &self.format {
                    w.create_element("driver")
                        .with_attribute(("type", format.as_str()))
                        .write_empty()?;
                }
                Ok::<_, std::io::Error>(())
            })
            .map_err(|e| Error::failed(format!("destination XML: {e}")))?;
        Ok(String::from_utf8_lossy(&w.into_inner()).into_owned() + "\n")
    }

    fn flags(&self) -> u32 {
        let pairs = [
            (self.shallow, sys::VIR_DOMAIN_BLOCK_COPY_SHALLOW),
            (self.reuse_external, sys::VIR_DOMAIN_BLOCK_COPY_REUSE_EXT),
            (self.transient_job, sys::VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB),
            (
                self.synchronous_writes,
                sys::VIR_DOMAIN_BLOCK_COPY_SYNCHRONOUS_WRITES,
            ),
        ];
        pairs.iter().filter(|(on, _)| *on).fold(0, |a, (_, f)| a | f)
    }

    /// The typed parameters: bandwidth, granularity, buf-size.
    fn params(&self) -> Result<Request> {
        let mut request = Request::new();
        let ull = sys::VIR_TYPED_PARAM_ULLONG as i32;
        let speed = bandwidth(self.bandwidth, self.bytes)?;
        if speed > 0 {
            request.add("bandwidth", ull, &speed.to_string())?;
        }
        if let Some(g) = self.granularity {
            request.add("granularity", sys::VIR_TYPED_PARAM_UINT as i32, &g.to_string())?;
        }
        if let Some(b) = self.buf_size {
            request.add("buf-size", ull, &b.to_string())?;
        }
        Ok(request)
    }
}

impl Verb for Blockcopy {
    type Ctx = Session;
    type Output = BlockCopy;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<BlockCopy> {
        let (xml, params) = (self.dest_xml()?, self.params()?);
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        if self.print_xml {
            return Ok(BlockCopy {
                name,
                path: self.path,
                dest: self.dest,
                changed: false,
                ready: false,
                pivoted: false,
                finished: false,
                job: None,
                xml: Some(xml),
            });
        }
        let path = CString::new(self.path.as_str()).map_err(|_| Error::invalid("disk path"))?;
        let dest_xml = CString::new(xml).map_err(|_| Error::invalid("destination XML"))?;
        let what = format!("copy disk {} of domain {}", quote(&self.path), quote(&name));
        let flags = self.flags();
        params.send(
            // SAFETY: a held domain, NUL-terminated strings and the request's own parameters.
            |p, n| unsafe {
                sys::virDomainBlockCopy(dom.as_ptr(), path.as_ptr(), dest_xml.as_ptr(), p, n, flags)
            },
            &what,
        )?;
        let (undo, disk) = (dom.clone(), self.path.clone());
        journal.record_fn(&what, move || match job::job_info(&undo, &disk)? {
            Some(_) => job::abort(&undo, &disk, false, false),
            None => Ok(()),
        })?;
        let wait = self.wait || self.pivot || self.finish || self.timeout.is_some();
        if wait {
            let how = Waiting {
                verbose: self.verbose,
                timeout: self.timeout,
                async_: self.async_,
            };
            job::wait(&dom, &self.path, Until::Ready, how)?;
        }
        if self.pivot || self.finish {
            job::abort(&dom, &self.path, self.pivot, false)?;
            journal.irreversible(format!(
                "{} the copy",
                if self.pivot { "pivot to" } else { "finish" }
            ))?;
        }
        let job = job::job_info(&dom, &self.path)?;
        Ok(BlockCopy {
            name,
            path: self.path,
            dest: self.dest,
            changed: true,
            ready: wait,
            pivoted: self.pivot,
            finished: self.finish,
            job,
            xml: None,
        })
    }
}
