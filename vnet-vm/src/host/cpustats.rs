//! The host's CPU time counters (virsh nodecpustats) and the storage pool types it supports
//! (virsh pool-capabilities).

use super::HostXml;
use crate::observe::params::{Params, Value};
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CStr;
use std::time::Duration;
use virt::connect::Connect;
use virt::sys;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

/// The host's CPU time counters, all CPUs or one (virsh nodecpustats); --percent samples for
/// one second and gives each as a share of the time.
#[derive(Debug, clap::Args)]
pub struct Nodecpustats {
    /// One CPU's counters.
    #[arg(long)]
    pub cpu: Option<i32>,
    /// Shares of one second (usage, user, system, idle, iowait) instead of counters.
    #[arg(long)]
    pub percent: bool,
}

/// Nanoseconds per counter (user, system, idle, iowait), or with --percent shares of one
/// second in percent (usage, user, system, idle, iowait).
#[derive(Debug, Serialize, JsonSchema)]
pub struct CpuStats {
    pub percent: bool,
    pub stats: Params,
}

impl Render for CpuStats {
    fn text(&self, _style: TextStyle) -> String {
        let line = |(k, v): &(String, Value)| match (self.percent, v) {
            (true, Value::Float(f)) => format!("{:<15} {f:5.1}%\n", format!("{k}:")),
            _ => format!("{:<15} {:>20}\n", format!("{k}:"), v.virsh()),
        };
        self.stats.0.iter().map(line).collect::<String>() + "\n"
    }
}

fn counters(conn: &Connect, cpu: i32) -> Result<Vec<(String, u64)>> {
    let failed = || Err(virt::error::Error::last_error()).libvirt("CPU stats of the host");
    let mut n = 0;
    // SAFETY: a count first, then an array of that many plain records.
    if unsafe { sys::virNodeGetCPUStats(conn.as_ptr(), cpu, std::ptr::null_mut(), &mut n, 0) } < 0 {
        return failed();
    }
    let mut stats: Vec<sys::virNodeCPUStats> = vec![unsafe { std::mem::zeroed() }; n.max(0) as usize];
    if n > 0 && unsafe { sys::virNodeGetCPUStats(conn.as_ptr(), cpu, stats.as_mut_ptr(), &mut n, 0) } < 0 {
        return failed();
    }
    let field = |s: &sys::virNodeCPUStats| {
        unsafe { CStr::from_ptr(s.field.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    Ok(stats
        .iter()
        .take(n as usize)
        .map(|s| (field(s), s.value))
        .collect())
}

/// virsh's shares: each counter's growth over the sum of user, system, idle and iowait.
fn shares(before: &[(String, u64)], after: &[(String, u64)]) -> Params {
    let delta = |name: &str| {
        let at = |v: &[(String, u64)]| v.iter().find(|(k, _)| k == name).map_or(0, |(_, n)| *n);
        at(after).saturating_sub(at(before)) as f64
    };
    let names = ["user", "system", "idle", "iowait"];
    let total: f64 = names.iter().map(|n| delta(n)).sum::<f64>().max(1.0);
    let pct = |v: f64| Value::Float(v * 100.0 / total);
    let mut out = vec![("usage".to_string(), pct(delta("user") + delta("system")))];
    out.extend(names.iter().map(|n| (n.to_string(), pct(delta(n)))));
    Params(out)
}

impl Verb for Nodecpustats {
    type Ctx = Session;
    type Output = CpuStats;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<CpuStats> {
        let conn = ctx.conn()?;
        let cpu = self.cpu.unwrap_or(sys::VIR_NODE_CPU_STATS_ALL_CPUS);
        let first = counters(conn, cpu)?;
        if !self.percent {
            let stats = first.into_iter().map(|(k, v)| (k, Value::Unsigned(v)));
            return Ok(CpuStats {
                percent: false,
                stats: Params(stats.collect()),
            });
        }
        std::thread::sleep(Duration::from_secs(1));
        let second = counters(conn, cpu)?;
        Ok(CpuStats {
            percent: true,
            stats: shares(&first, &second),
        })
    }
}

/// The storage pool types this host supports and their options (virsh pool-capabilities): the
/// XML document itself, as virsh prints it.
#[derive(Debug, clap::Args)]
pub struct PoolCapabilities {}

impl Verb for PoolCapabilities {
    type Ctx = Session;
    type Output = HostXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<HostXml> {
        let conn = ctx.conn()?;
        // SAFETY: libvirt allocates the document; it is copied and freed here.
        let xml = unsafe { sys::virConnectGetStoragePoolCapabilities(conn.as_ptr(), 0) };
        if xml.is_null() {
            return Err(virt::error::Error::last_error()).libvirt("storage pool capabilities");
        }
        let text = unsafe { CStr::from_ptr(xml) }.to_string_lossy().into_owned();
        unsafe { libc::free(xml.cast()) };
        Ok(HostXml { xml: text })
    }
}
