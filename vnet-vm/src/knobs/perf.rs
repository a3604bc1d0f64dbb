//! perf (a domain's perf events, read and switched) and cpu-stats (its CPU time, in total and
//! per host CPU).

use super::check;
use crate::domains::resources::Scope;
use crate::observe::params::{Params, Value};
use crate::tuning::typed::Request;
use crate::tuning::{affects, host_cpus, read_flag};
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Show a domain's perf events, or switch some on (--enable) or off (--disable), each a
/// comma-separated list of libvirt's names (cpu_cycles, instructions, cmt...), in virsh's
/// --live/--config/--current scope (virsh perf). An event the host cannot count is libvirt's
/// refusal, nothing changed. Undone on a later failure: the events set as they were.
#[derive(Debug, clap::Args)]
pub struct Perf {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Events to switch on, comma-separated.
    #[arg(long)]
    pub enable: Option<String>,
    /// Events to switch off, comma-separated.
    #[arg(long)]
    pub disable: Option<String>,
    #[command(flatten)]
    pub scope: Scope,
}

/// A domain's perf events after perf.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PerfEvents {
    pub name: String,
    /// False for a query, or when the events were so already.
    pub changed: bool,
    /// Every event libvirt knows, true when it is counted (in the scope read or changed).
    pub events: std::collections::BTreeMap<String, bool>,
    /// The events the line named, in its order (empty for a query): virsh prints only these.
    #[serde(skip)]
    named: Vec<(String, bool)>,
    #[serde(skip)]
    order: Vec<String>,
}

impl Render for PerfEvents {
    /// virsh's `name : enabled|disabled` lines: every event for a query, the named ones after a
    /// change.
    fn text(&self, _style: TextStyle) -> String {
        let line = |k: &str, on: bool| format!("{k:<15}: {}\n", if on { "enabled" } else { "disabled" });
        let lines: String = match self.named.is_empty() {
            true => self.order.iter().map(|k| line(k, self.events[k])).collect(),
            false => self.named.iter().map(|(k, on)| line(k, *on)).collect(),
        };
        lines + "\n"
    }
}

fn read_events(dom: &Domain, flags: u32) -> Result<Params> {
    let mut params: sys::virTypedParameterPtr = std::ptr::null_mut();
    let mut n = 0;
    // SAFETY: libvirt allocates the array; Params::take frees it.
    let rc = unsafe { sys::virDomainGetPerfEvents(dom.as_ptr(), &mut params, &mut n, flags) };
    check(rc, "perf events of the domain")?;
    Ok(unsafe { Params::take(params, n) })
}

fn set_events(dom: &Domain, events: &[(String, bool)], flags: u32) -> Result<()> {
    let mut request = Request::new();
    for (event, on) in events {
        request.add(
            event,
            sys::VIR_TYPED_PARAM_BOOLEAN as i32,
            if *on { "1" } else { "0" },
        )?;
    }
    let dom_ptr = dom.as_ptr();
    // SAFETY: a held domain and the request's parameters.
    request.send(
        |p, n| unsafe { sys::virDomainSetPerfEvents(dom_ptr, p, n, flags) },
        "enable/disable perf events",
    )
}

/// --enable and --disable as (event, on) pairs; an empty name is exit 7.
fn named(enable: Option<&str>, disable: Option<&str>) -> Result<Vec<(String, bool)>> {
    let mut out = Vec::new();
    for (list, on) in [(enable, true), (disable, false)] {
        for event in list.into_iter().flat_map(|l| l.split(',')) {
            if event.is_empty() {
                return Err(Error::invalid("an empty perf event name"));
            }
            out.push((event.to_string(), on));
        }
    }
    Ok(out)
}

impl Verb for Perf {
    type Ctx = Session;
    type Output = PerfEvents;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PerfEvents> {
        let wanted = named(self.enable.as_deref(), self.disable.as_deref())?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let (live, _) = affects(&self.scope, &dom)?;
        let before = read_events(&dom, read_flag(live))?;
        let on = |p: &Params, k: &str| matches!(p.get(k), Some(Value::Flag(true)));
        let changed = wanted.iter().any(|(k, want)| on(&before, k) != *want);
        if changed {
            set_events(&dom, &wanted, self.scope.bits())
                .map_err(|e| e.context(format!("domain {}", quote(&name))))?;
            let old: Vec<(String, bool)> = wanted.iter().map(|(k, _)| (k.clone(), on(&before, k))).collect();
            let (undo, flags) = (dom.clone(), self.scope.bits());
            journal.record_fn("switch perf events", move || set_events(&undo, &old, flags))?;
        }
        let after = match wanted.is_empty() {
            true => before,
            false => read_events(&dom, read_flag(live))?,
        };
        let order = after.0.iter().map(|(k, _)| k.clone()).collect();
        let events = after
            .0
            .iter()
            .map(|(k, v)| (k.clone(), *v == Value::Flag(true)))
            .collect();
        Ok(PerfEvents {
            name,
            changed,
            events,
            named: wanted,
            order,
        })
    }
}

/// A domain's CPU time per host CPU and in total (virsh cpu-stats): --total for the total only,
/// --start and --count for a range of host CPUs. A start past the host's CPUs is exit 7.
/// (Per-CPU figures need cgroup v1's cpuacct: under cgroup v2 libvirt refuses them, as virsh
/// shows; --total works on both.)
#[derive(Debug, clap::Args)]
pub struct CpuStats {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Only the total.
    #[arg(long)]
    pub total: bool,
    /// The first host CPU shown.
    #[arg(long)]
    pub start: Option<u32>,
    /// How many host CPUs at most.
    #[arg(long)]
    pub count: Option<u32>,
}

/// One host CPU's share of the domain's CPU time.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CpuShare {
    pub cpu: u32,
    /// libvirt's figures: cpu_time (and vcpu_time) in nanoseconds.
    pub params: Params,
}

/// The domain's CPU time.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CpuStatsResult {
    pub name: String,
    /// Per host CPU (empty with --total).
    pub cpus: Vec<CpuShare>,
    /// The totals: cpu_time, user_time, system_time in nanoseconds; null with --start or --count
    /// but without --total, as virsh shows.
    pub total: Option<Params>,
}

/// virsh's line for one figure: times in seconds, others as they are.
fn stat_line(key: &str, value: &Value) -> String {
    let seconds = ["cpu_time", "vcpu_time", "user_time", "system_time"].contains(&key);
    match (seconds, value.as_u64()) {
        (true, Some(ns)) => format!("\t{key:<12}{:>20.9} seconds\n", ns as f64 / 1e9),
        _ => format!("\t{key:<12}{:>20}\n", value.virsh()),
    }
}

impl Render for CpuStatsResult {
    fn text(&self, _style: TextStyle) -> String {
        let mut out = String::new();
        for share in &self.cpus {
            out += &format!("CPU{}:\n", share.cpu);
            out.extend(share.params.0.iter().map(|(k, v)| stat_line(k, v)));
        }
        if let Some(total) = &self.total {
            out += "Total:\n";
            out.extend(total.0.iter().map(|(k, v)| stat_line(k, v)));
        }
        out + "\n"
    }
}

/// virDomainGetCPUStats for `ncpus` CPUs from `start` (-1 and 1: the total), as Params per CPU.
fn cpu_stats(dom: &Domain, start: i32, ncpus: u32) -> Result<Vec<Params>> {
    // SAFETY: with null params libvirt returns how many parameters each CPU has.
    let per =
        unsafe { sys::virDomainGetCPUStats(dom.as_ptr(), std::ptr::null_mut(), 0, start, ncpus.min(1), 0) };
    check(per, "CPU statistics of the domain")?;
    let mut buf: Vec<sys::virTypedParameter> =
        vec![unsafe { std::mem::zeroed() }; (per as u32 * ncpus).max(1) as usize];
    // SAFETY: `buf` holds `per` parameters for each of `ncpus` CPUs.
    let got =
        unsafe { sys::virDomainGetCPUStats(dom.as_ptr(), buf.as_mut_ptr(), per as u32, start, ncpus, 0) };
    check(got, "CPU statistics of the domain")?;
    let rows = (0..ncpus as usize)
        .map(|i| unsafe { Params::read(buf.as_ptr().add(i * per as usize), per) })
        .collect();
    // SAFETY: libvirt filled these; Clear frees their strings only.
    unsafe { sys::virTypedParamsClear(buf.as_mut_ptr(), per * ncpus as i32) };
    Ok(rows)
}

impl Verb for CpuStats {
    type Ctx = Session;
    type Output = CpuStatsResult;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<CpuStatsResult> {
        let conn = ctx.conn()?;
        let dom = lookup(conn, &self.domain)?;
        let name = domain_name(&dom)?;
        let host = host_cpus(conn)?;
        let start = self.start.unwrap_or(0);
        if start >= host {
            return Err(Error::invalid(format!(
                "Start CPU {start} is out of range (min: 0, max: {})",
                host - 1
            )));
        }
        let per_cpu = !self.total || self.start.is_some() || self.count.is_some();
        let mut cpus = Vec::new();
        if per_cpu {
            let count = self.count.unwrap_or(host).min(host - start);
            let rows = cpu_stats(&dom, start as i32, count)?;
            let shown = rows.into_iter().enumerate().filter(|(_, p)| !p.0.is_empty());
            cpus = shown
                .map(|(i, params)| CpuShare {
                    cpu: start + i as u32,
                    params,
                })
                .collect();
        }
        let show_total = self.total || (self.start.is_none() && self.count.is_none());
        let total = match show_total {
            true => cpu_stats(&dom, -1, 1)?.pop(),
            false => None,
        };
        Ok(CpuStatsResult { name, cpus, total })
    }
}
