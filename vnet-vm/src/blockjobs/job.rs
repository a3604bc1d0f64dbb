//! A disk's block job: shown, aborted, pivoted or throttled (virsh blockjob), and the blocking
//! wait the job verbs share (--wait, --verbose, --timeout): progress records as JSON lines on
//! stderr rather than virsh's interactive bar.

use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CString;
use std::time::{Duration, Instant};
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// A block job as libvirt reports it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct JobInfo {
    /// virsh's name: "Block Pull", "Block Copy", "Block Commit", "Active Block Commit", "Backup".
    pub kind: String,
    /// Bytes done.
    pub cur: u64,
    /// Bytes in all (grows while the guest writes).
    pub end: u64,
    /// cur of end, as virsh rounds it (100 only when done).
    pub percent: u32,
    /// The speed limit, bytes/s; 0 for none.
    pub bandwidth_bytes: u64,
}

fn kind_name(kind: i32) -> &'static str {
    match kind as u32 {
        sys::VIR_DOMAIN_BLOCK_JOB_TYPE_PULL => "Block Pull",
        sys::VIR_DOMAIN_BLOCK_JOB_TYPE_COPY => "Block Copy",
        sys::VIR_DOMAIN_BLOCK_JOB_TYPE_COMMIT => "Block Commit",
        sys::VIR_DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT => "Active Block Commit",
        sys::VIR_DOMAIN_BLOCK_JOB_TYPE_BACKUP => "Backup",
        _ => "Unknown job",
    }
}

/// virsh's percentage: 100 only when nothing remains.
fn percent(cur: u64, end: u64) -> u32 {
    match (cur, end) {
        (_, 0) => 100,
        (cur, end) if cur >= end => 100,
        (cur, end) => ((cur as u128 * 100 / end as u128) as u32).min(99),
    }
}

fn c_path(disk: &str) -> Result<CString> {
    CString::new(disk).map_err(|_| Error::invalid(format!("disk {}", quote(disk))))
}

/// The disk's current job; None when it has none.
pub fn job_info(dom: &Domain, disk: &str) -> Result<Option<JobInfo>> {
    let path = c_path(disk)?;
    // SAFETY: zeroed plain data filled by libvirt.
    let mut info: sys::virDomainBlockJobInfo = unsafe { std::mem::zeroed() };
    let flags = sys::VIR_DOMAIN_BLOCK_JOB_INFO_BANDWIDTH_BYTES;
    let rc = unsafe { sys::virDomainGetBlockJobInfo(dom.as_ptr(), path.as_ptr(), &mut info, flags) };
    match rc {
        rc if rc < 0 => {
            Err(virt::error::Error::last_error()).libvirt(format!("block job of disk {}", quote(disk)))
        }
        0 => Ok(None),
        _ => Ok(Some(JobInfo {
            kind: kind_name(info.type_).into(),
            cur: info.cur,
            end: info.end,
            percent: percent(info.cur, info.end),
            bandwidth_bytes: info.bandwidth as u64,
        })),
    }
}

/// Ends the disk's job: aborts it, or with `pivot` switches the disk to the copy (or the
/// commit's base); with `async_` returns without waiting for the job to go.
pub fn abort(dom: &Domain, disk: &str, pivot: bool, async_: bool) -> Result<()> {
    let path = c_path(disk)?;
    let flags = (pivot as u32 * sys::VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT)
        | (async_ as u32 * sys::VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC);
    // SAFETY: a held domain and a NUL-terminated path.
    let rc = unsafe { sys::virDomainBlockJobAbort(dom.as_ptr(), path.as_ptr(), flags) };
    match rc {
        rc if rc < 0 => Err(virt::error::Error::last_error()).libvirt(format!(
            "{} the block job of disk {}",
            if pivot { "pivot" } else { "abort" },
            quote(disk)
        )),
        _ => Ok(()),
    }
}

/// A bandwidth in bytes/s from virsh's number: MiB/s unless `bytes`.
pub fn bandwidth(value: Option<u64>, bytes: bool) -> Result<u64> {
    let value = value.unwrap_or(0);
    match bytes {
        true => Ok(value),
        false => value
            .checked_mul(1 << 20)
            .ok_or_else(|| Error::invalid(format!("bandwidth {value} MiB/s: too large"))),
    }
}

/// What a waiting job verb waits for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Until {
    /// The job ends by itself (pull, commit of a lower layer).
    Gone,
    /// The job reaches its mirroring phase (copy, active commit): all copied, writes mirrored.
    Ready,
}

/// How --wait waits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Waiting {
    pub verbose: bool,
    pub timeout: Option<u64>,
    pub async_: bool,
}

/// Waits for the disk's job to reach `until`, printing a progress record on stderr at each new
/// percentage when verbose. Past the timeout the job is aborted and this is exit 1.
pub fn wait(dom: &Domain, disk: &str, until: Until, how: Waiting) -> Result<()> {
    let deadline = how.timeout.map(|s| Instant::now() + Duration::from_secs(s));
    let mut shown = None;
    loop {
        let info = job_info(dom, disk)?;
        if how.verbose && info.as_ref().map(|i| i.percent) != shown {
            if let Some(info) = &info {
                let record = serde_json::json!({"disk": disk, "job": info.kind, "cur": info.cur,
                    "end": info.end, "percent": info.percent});
                eprintln!("{record}");
            }
            shown = info.as_ref().map(|i| i.percent);
        }
        match (&info, until) {
            (None, _) => return Ok(()),
            (Some(_), Until::Ready) if mirror_ready(dom, disk)? => return Ok(()),
            _ => {}
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            abort(dom, disk, false, how.async_)?;
            return Err(Error::failed(format!(
                "block job of disk {}: not done after {} s, aborted",
                quote(disk),
                how.timeout.unwrap_or(0)
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Whether the disk's mirror (a copy's destination, an active commit's base) is ready to pivot.
fn mirror_ready(dom: &Domain, disk: &str) -> Result<bool> {
    let xml = dom.get_xml_desc(0).libvirt("domain XML")?;
    let root =
        vnet_common::libvirt::xml::parse(&xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
    let ready = root.all(&["devices", "disk"]).into_iter().any(|d| {
        let named = d.child("target").and_then(|t| t.attr("dev")) == Some(disk)
            || d.child("source").and_then(|s| s.attr("file")) == Some(disk);
        named && d.child("mirror").and_then(|m| m.attr("ready")) == Some("yes")
    });
    Ok(ready)
}

/// Show, abort, pivot or throttle a disk's block job (virsh blockjob). Without an action it
/// shows the job (--info); --abort cancels it, --pivot ends a copy or active commit on the new
/// image, --bandwidth changes its speed (MiB/s unless --bytes).
#[derive(Debug, clap::Args)]
pub struct Blockjob {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The disk: its target (vda) or source path.
    pub path: String,
    /// Cancel the job.
    #[arg(long, conflicts_with_all = ["pivot", "info", "bandwidth"])]
    pub abort: bool,
    /// With --abort or --pivot: return without waiting for the job to end.
    #[arg(long = "async", id = "async_")]
    pub async_: bool,
    /// End a copy or active commit by switching the disk to the new image.
    #[arg(long, conflicts_with_all = ["info", "bandwidth"])]
    pub pivot: bool,
    /// Show the job (the default).
    #[arg(long, conflicts_with = "bandwidth")]
    pub info: bool,
    /// --bandwidth is in bytes/s.
    #[arg(long)]
    pub bytes: bool,
    /// -o text: virsh's raw `key=value` lines.
    #[arg(long)]
    pub raw: bool,
    /// New speed limit (MiB/s unless --bytes; 0 for none).
    #[arg(long)]
    pub bandwidth: Option<u64>,
}

/// A disk's block job after blockjob.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BlockJob {
    pub name: String,
    pub path: String,
    /// info, abort, pivot or bandwidth.
    pub action: String,
    /// False for info.
    pub changed: bool,
    /// The job now; null when the disk has none (after an abort or pivot that waited).
    pub job: Option<JobInfo>,
    #[serde(skip)]
    pub raw: bool,
    /// --bytes: the raw text's bandwidth in bytes/s rather than MiB/s.
    #[serde(skip)]
    pub bytes: bool,
}

impl Render for BlockJob {
    fn text(&self, _style: TextStyle) -> String {
        match (&self.job, self.action.as_str(), self.raw) {
            (None, "info", _) => format!("No current block job for {}\n", self.path),
            (Some(j), "info", true) => format!(
                " type={}\n bandwidth={}\n cur={}\n end={}\n\n",
                j.kind,
                if self.bytes {
                    j.bandwidth_bytes
                } else {
                    j.bandwidth_bytes >> 20
                },
                j.cur,
                j.end
            ),
            (Some(j), "info", false) => format!("{}: [{:>3} %]\n", j.kind, j.percent),
            _ => String::new(),
        }
    }
}

impl Blockjob {
    fn action(&self) -> &'static str {
        match (
            self.abort || (self.async_ && !self.pivot),
            self.pivot,
            self.bandwidth,
        ) {
            (true, _, _) => "abort",
            (_, true, _) => "pivot",
            (_, _, Some(_)) => "bandwidth",
            _ => "info",
        }
    }
}

impl Verb for Blockjob {
    type Ctx = Session;
    type Output = BlockJob;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<BlockJob> {
        let action = self.action();
        let speed = bandwidth(self.bandwidth, self.bytes)?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let before = job_info(&dom, &self.path)?;
        let no_job = || {
            Error::not_found(format!(
                "disk {} of domain {}: no block job",
                quote(&self.path),
                quote(&name)
            ))
        };
        let changed = match action {
            "info" => false,
            "abort" | "pivot" => {
                before.as_ref().ok_or_else(no_job)?;
                abort(&dom, &self.path, action == "pivot", self.async_)?;
                journal.irreversible(format!("{action} the block job of disk {}", quote(&self.path)))?;
                true
            }
            _ => {
                let old = before.as_ref().ok_or_else(no_job)?.bandwidth_bytes;
                set_speed(&dom, &self.path, speed)?;
                let (undo, path) = (dom.clone(), self.path.clone());
                journal.record_fn("set the block job's bandwidth", move || {
                    set_speed(&undo, &path, old)
                })?;
                old != speed
            }
        };
        let job = job_info(&dom, &self.path)?;
        Ok(BlockJob {
            name,
            path: self.path,
            action: action.into(),
            changed,
            job,
            raw: self.raw,
            bytes: self.bytes,
        })
    }
}

fn set_speed(dom: &Domain, disk: &str, bytes: u64) -> Result<()> {
    let path = c_path(disk)?;
    let flags = sys::VIR_DOMAIN_BLOCK_JOB_SPEED_BANDWIDTH_BYTES;
    // SAFETY: a held domain and a NUL-terminated path.
    let rc = unsafe { sys::virDomainBlockJobSetSpeed(dom.as_ptr(), path.as_ptr(), bytes as _, flags) };
    match rc {
        rc if rc < 0 => Err(virt::error::Error::last_error()).libvirt("set the block job's bandwidth"),
        _ => Ok(()),
    }
}
