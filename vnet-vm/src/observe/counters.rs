//! dommemstat, domifstat, domblkstat and domjobinfo (virsh's spellings and layouts): a running
//! domain's memory, interface and block counters, and its background job.

use super::params::{Params, Value};
use crate::devices::blk::block_devices;
use crate::devices::devxml::lookup;
use crate::domains::resources::Scope;
use crate::xml::domain::domain_facts;
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Show a domain's memory statistics (virsh dommemstat), in KiB as libvirt gives them; with
/// --period N, set how often the balloon driver collects them instead (seconds; 0 stops it), in
/// --live/--config/--current's scope (none: live when the domain runs, else its definition),
/// printing nothing with -o text, as virsh.
#[derive(Debug, clap::Args)]
pub struct Dommemstat {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Set the balloon's collection period to N seconds (0: off) instead of showing statistics.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub period: Option<String>,
    #[command(flatten)]
    pub scope: Scope,
}

/// virsh's names of libvirt's memory statistics, by tag.
const MEMORY_STATS: [&str; 13] = [
    "swap_in",
    "swap_out",
    "major_fault",
    "minor_fault",
    "unused",
    "available",
    "actual",
    "rss",
    "usable",
    "last_update",
    "disk_caches",
    "hugetlb_pgalloc",
    "hugetlb_pgfail",
];

/// A domain's memory statistics: virsh's names (actual, rss, available, ...) and their values,
/// in libvirt's order; only those the hypervisor reports. With --period: the period set
/// (`period`) and where (`live`, `config`).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct MemoryStats(pub Params);

impl Render for MemoryStats {
    /// virsh's `name value` lines; a --period change prints none (as virsh).
    fn text(&self, _style: TextStyle) -> String {
        if self.0.get("period").is_some() {
            return "\n".into();
        }
        let lines: String = self
            .0
             .0
            .iter()
            .map(|(k, v)| format!("{k} {}\n", v.virsh()))
            .collect();
        format!("{lines}\n")
    }
}

/// --period N as virsh reads it: a whole number of seconds, not negative.
fn collection_period(text: &str) -> Result<i32> {
    let period: i32 = text
        .trim()
        .parse()
        .map_err(|_| Error::invalid(format!("--period {}: not a number of seconds", quote(text))))?;
    if period < 0 {
        return Err(
            Error::invalid(format!("--period {period}: invalid collection period value"))
                .with_hint("0 stops the collection"),
        );
    }
    Ok(period)
}

/// virDomainSetMemoryStatsPeriod in the line's scope; the result names the period and where it
/// was set.
fn set_period(dom: &Domain, name: &str, period: i32, scope: &Scope) -> Result<MemoryStats> {
    // No scope option is libvirt's "current", which is what virsh's live-when-running means.
    let (live, config) = scope.affects(dom)?;
    // SAFETY: a valid domain; libvirt reads the period and the flags only.
    let ret = unsafe { sys::virDomainSetMemoryStatsPeriod(dom.as_ptr(), period, scope.bits()) };
    if ret < 0 {
        return Err(vnet_common::libvirt::error(virt::error::Error::last_error())
            .context(format!("collection period of domain {}", quote(name))));
    }
    Ok(MemoryStats(Params(vec![
        ("period".into(), Value::Unsigned(period as u64)),
        ("live".into(), Value::Flag(live)),
        ("config".into(), Value::Flag(config)),
    ])))
}

impl Verb for Dommemstat {
    type Ctx = Session;
    type Output = MemoryStats;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<MemoryStats> {
        let period = self.period.as_deref().map(collection_period).transpose()?;
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        if let Some(period) = period {
            return set_period(&dom, &self.domain, period, &self.scope);
        }
        let stats = dom
            .memory_stats(0)
            .libvirt(format!("memory statistics of domain {}", quote(&self.domain)))?;
        let named = stats
            .iter()
            .filter_map(|s| {
                Some((
                    MEMORY_STATS.get(s.tag as usize)?.to_string(),
                    Value::Unsigned(s.val),
                ))
            })
            .collect();
        Ok(MemoryStats(Params(named)))
    }
}

/// Show an interface's counters (virsh domifstat).
#[derive(Debug, clap::Args)]
pub struct Domifstat {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The interface: its host-side device (vnet0) or its MAC.
    pub interface: String,
}

/// An interface's counters; a counter the hypervisor does not keep is left out.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InterfaceStats {
    /// The host-side device (vnet0).
    pub interface: String,
    /// The counters: rx_bytes, rx_packets, rx_errs, rx_drop, tx_bytes, tx_packets, tx_errs, tx_drop.
    pub stats: Params,
}

impl Render for InterfaceStats {
    fn text(&self, _style: TextStyle) -> String {
        let lines: String = (self.stats.0.iter())
            .map(|(k, v)| format!("{} {k} {}\n", self.interface, v.virsh()))
            .collect();
        format!("{lines}\n")
    }
}

impl Verb for Domifstat {
    type Ctx = Session;
    type Output = InterfaceStats;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<InterfaceStats> {
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let xml = dom.get_xml_desc(0).libvirt("domain XML")?;
        let facts = domain_facts(&xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
        let wanted = self.interface.to_ascii_lowercase();
        let device = facts
            .interfaces
            .iter()
            .find(|i| {
                i.target.as_deref() == Some(self.interface.as_str()) || i.mac.to_ascii_lowercase() == wanted
            })
            .and_then(|i| i.target.clone())
            .ok_or_else(|| {
                Error::not_found(format!(
                    "domain {}: no interface {}",
                    quote(&self.domain),
                    quote(&self.interface)
                ))
                .with_hint(format!("list them with virsh domiflist {}", self.domain))
            })?;
        let s = dom
            .interface_stats(&device)
            .libvirt(format!("counters of {device} of domain {}", quote(&self.domain)))?;
        let all = [
            ("rx_bytes", s.rx_bytes),
            ("rx_packets", s.rx_packets),
            ("rx_errs", s.rx_errs),
            ("rx_drop", s.rx_drop),
            ("tx_bytes", s.tx_bytes),
            ("tx_packets", s.tx_packets),
            ("tx_errs", s.tx_errs),
            ("tx_drop", s.tx_drop),
        ];
        let kept = (all.iter().filter(|(_, v)| *v >= 0))
            .map(|(k, v)| (k.to_string(), Value::Signed(*v)))
            .collect();
        Ok(InterfaceStats {
            interface: device,
            stats: Params(kept),
        })
    }
}

/// Show a block device's counters (virsh domblkstat).
#[derive(Debug, clap::Args)]
pub struct Domblkstat {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The device: its target (vda) or source file; none: all devices together.
    pub device: Option<String>,
    /// -o text: virsh's explanation of each counter ("number of read operations:").
    #[arg(long)]
    pub human: bool,
}

/// A block device's counters, by virsh's names (rd_req, rd_bytes, wr_req, wr_bytes,
/// flush_operations, rd_total_times, ...).
#[derive(Debug, Serialize, JsonSchema)]
pub struct BlockStats {
    /// The device's target; empty for all devices together.
    pub device: String,
    pub stats: Params,
    /// --human: -o text explains each counter.
    #[serde(skip)]
    pub human: bool,
}

impl Render for BlockStats {
    fn text(&self, _style: TextStyle) -> String {
        if self.human {
            return self.human_text();
        }
        let lines: String = (self.stats.0.iter())
            .map(|(k, v)| format!("{} {k} {}\n", self.device, v.virsh()))
            .collect();
        format!("{lines}\n")
    }
}

impl BlockStats {
    /// virsh domblkstat --human: a "Device:" line, then each counter virsh explains with its
    /// explanation (padded to 31), the others by name.
    fn human_text(&self) -> String {
        let mut out = format!("Device: {}\n", self.device);
        for (k, v) in &self.stats.0 {
            match HUMAN_BLOCK_STATS.iter().find(|(name, _)| name == k) {
                Some((_, human)) => out.push_str(&format!(" {human:<31} {}\n", v.virsh())),
                None => out.push_str(&format!(" {k} {}\n", v.virsh())),
            }
        }
        out.push('\n');
        out
    }
}

/// virsh's explanations of the block counters it knows (--human).
const HUMAN_BLOCK_STATS: [(&str, &str); 9] = [
    ("rd_req", "number of read operations:"),
    ("rd_bytes", "number of bytes read:"),
    ("wr_req", "number of write operations:"),
    ("wr_bytes", "number of bytes written:"),
    ("errs", "error count:"),
    ("flush_operations", "number of flush operations:"),
    ("rd_total_times", "total duration of reads (ns):"),
    ("wr_total_times", "total duration of writes (ns):"),
    ("flush_total_times", "total duration of flushes (ns):"),
];

/// The order virsh prints block statistics in (others follow in libvirt's order).
const BLOCK_STATS: [&str; 9] = [
    "rd_req",
    "rd_bytes",
    "wr_req",
    "wr_bytes",
    "errs",
    "flush_operations",
    "rd_total_times",
    "wr_total_times",
    "flush_total_times",
];

/// virsh's name for libvirt's block statistic.
fn block_stat_name(field: &str) -> String {
    match field {
        "rd_operations" => "rd_req".into(),
        "wr_operations" => "wr_req".into(),
        other => other.into(),
    }
}

impl Verb for Domblkstat {
    type Ctx = Session;
    type Output = BlockStats;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<BlockStats> {
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let target = match &self.device {
            None => String::new(),
            Some(device) => {
                let xml = dom.get_xml_desc(0).libvirt("domain XML")?;
                let found = block_devices(&xml)?
                    .into_iter()
                    .find(|d| &d.target == device || d.source.as_ref() == Some(device));
                found.map(|d| d.target).ok_or_else(|| {
                    Error::not_found(format!(
                        "domain {}: no block device {}",
                        quote(&self.domain),
                        quote(device)
                    ))
                })?
            }
        };
        let raw = block_stats(&dom, &target)
            .libvirt(format!("block counters of domain {}", quote(&self.domain)))?;
        let mut stats: Vec<(String, Value)> =
            raw.0.into_iter().map(|(k, v)| (block_stat_name(&k), v)).collect();
        stats.sort_by_key(|(k, _)| {
            BLOCK_STATS
                .iter()
                .position(|s| s == k)
                .unwrap_or(BLOCK_STATS.len())
        });
        Ok(BlockStats {
            device: target,
            stats: Params(stats),
            human: self.human,
        })
    }
}

/// virDomainBlockStatsFlags: every counter the hypervisor keeps (the virt crate reads five).
fn block_stats(dom: &Domain, target: &str) -> std::result::Result<Params, virt::error::Error> {
    let disk = std::ffi::CString::new(target).expect("a target from the domain XML");
    let mut n: i32 = 0;
    // SAFETY: first call asks for the count, the second fills a buffer of that many.
    unsafe {
        let ret = sys::virDomainBlockStatsFlags(dom.as_ptr(), disk.as_ptr(), std::ptr::null_mut(), &mut n, 0);
        if ret < 0 {
            return Err(virt::error::Error::last_error());
        }
        let mut params: Vec<sys::virTypedParameter> = Vec::with_capacity(n as usize);
        let ret = sys::virDomainBlockStatsFlags(dom.as_ptr(), disk.as_ptr(), params.as_mut_ptr(), &mut n, 0);
        if ret < 0 {
            return Err(virt::error::Error::last_error());
        }
        params.set_len(n as usize);
        let read = Params::read(params.as_ptr(), n);
        sys::virTypedParamsClear(params.as_mut_ptr(), n);
        Ok(read)
    }
}

/// Show a domain's background job (virsh domjobinfo): a migration, save or dump in progress.
#[derive(Debug, clap::Args)]
pub struct Domjobinfo {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The last job that finished, not the one running.
    #[arg(long)]
    pub completed: bool,
    /// With --completed: leave the finished job's statistics for the next reader (libvirt
    /// drops them once read otherwise).
    #[arg(long, requires = "completed")]
    pub keep_completed: bool,
    /// -o text: the statistics of any job, also a failed or cancelled one (virsh prints only
    /// the job type of those).
    #[arg(long)]
    pub anystats: bool,
    /// -o text: libvirt's raw statistics, as virsh --rawstats prints them (the job type as
    /// libvirt's number, then `field: value` lines).
    #[arg(long)]
    pub rawstats: bool,
}

/// A domain's job.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JobInfo {
    /// None, Bounded, Unbounded, Completed, Failed, Cancelled (virsh's words).
    pub job_type: String,
    /// libvirt's job statistics (time_elapsed, data_total, memory_processed, ...), each with
    /// its type; empty with no job.
    pub stats: Params,
    /// -o text's form: virsh's, --anystats or --rawstats; libvirt's job type number.
    #[serde(skip)]
    pub text: JobText,
}

/// How domjobinfo's -o text prints a job (virsh's options).
#[derive(Debug, Default, Clone, Copy)]
pub struct JobText {
    /// libvirt's virDomainJobType.
    pub kind: i32,
    pub completed: bool,
    pub anystats: bool,
    pub rawstats: bool,
}

impl JobText {
    /// virsh prints statistics of a job running, of a completed one asked for with
    /// --completed, and of any with --anystats; only the type of the others.
    fn shows_stats(&self) -> bool {
        let running = matches!(
            self.kind as u32,
            sys::VIR_DOMAIN_JOB_BOUNDED | sys::VIR_DOMAIN_JOB_UNBOUNDED
        );
        let completed = self.completed && self.kind as u32 == sys::VIR_DOMAIN_JOB_COMPLETED;
        self.anystats || running || completed
    }
}

impl Render for JobInfo {
    fn text(&self, _style: TextStyle) -> String {
        if self.text.rawstats {
            return self.raw_text();
        }
        let mut out = format!("{:<17} {:<12}\n", "Job type:", self.job_type);
        if !self.text.shows_stats() {
            return out + "\n";
        }
        for (k, v) in &self.stats.0 {
            out.push_str(&format!("{:<17} {}\n", format!("{k}:"), v.virsh()));
        }
        out.push('\n');
        out
    }
}

impl JobInfo {
    /// virsh domjobinfo --rawstats: "Job type: N", a blank line, then each statistic as
    /// `field: value`.
    fn raw_text(&self) -> String {
        let mut out = format!("Job type: {}\n\n", self.text.kind);
        for (k, v) in &self.stats.0 {
            // virTypedParameterToString: a flag is 1 or 0 there.
            let value = match v {
                Value::Flag(b) => u8::from(*b).to_string(),
                other => other.virsh(),
            };
            out.push_str(&format!("{k}: {value}\n"));
        }
        out.push('\n');
        out
    }
}

fn job_type(kind: i32) -> &'static str {
    ["None", "Bounded", "Unbounded", "Completed", "Failed", "Cancelled"]
        .get(kind as usize)
        .copied()
        .unwrap_or("Unknown")
}

impl Verb for Domjobinfo {
    type Ctx = Session;
    type Output = JobInfo;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<JobInfo> {
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let mut flags = 0;
        if self.completed {
            flags |= sys::VIR_DOMAIN_JOB_STATS_COMPLETED;
        }
        if self.keep_completed {
            flags |= sys::VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED;
        }
        let (mut kind, mut n) = (0, 0);
        let mut params: sys::virTypedParameterPtr = std::ptr::null_mut();
        // SAFETY: libvirt allocates the parameters; Params::take frees them.
        let ret = unsafe { sys::virDomainGetJobStats(dom.as_ptr(), &mut kind, &mut params, &mut n, flags) };
        if ret < 0 {
            let e = virt::error::Error::last_error();
            return Err(
                vnet_common::libvirt::error(e).context(format!("job of domain {}", quote(&self.domain)))
            );
        }
        let stats = unsafe { Params::take(params, n) };
        Ok(JobInfo {
            job_type: job_type(kind).to_string(),
            stats,
            text: JobText {
                kind,
                completed: self.completed,
                anystats: self.anystats,
                rawstats: self.rawstats,
            },
        })
    }
}
