//! domstats (virsh's spelling, flags and layout): libvirt's statistics of domains, each value with
//! its type in the JSON (numbers as numbers, flags as true/false).

use super::params::Params;
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CStr;
use virt::domain::Domain;
use virt::sys;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Show domains' statistics (virsh domstats).
///
/// Without a DOMAIN: every domain. Without a group flag: every group the hypervisor has. An
/// unknown DOMAIN is exit 3.
#[derive(Debug, clap::Args)]
pub struct Domstats {
    /// Domains (name, ID or UUID); none: all.
    pub domains: Vec<String>,
    /// state.*: the state and its reason.
    #[arg(long)]
    pub state: bool,
    /// cpu.*: CPU time used.
    #[arg(long)]
    pub cpu_total: bool,
    /// balloon.*: the memory balloon.
    #[arg(long)]
    pub balloon: bool,
    /// vcpu.*: each virtual CPU.
    #[arg(long)]
    pub vcpu: bool,
    /// net.*: each interface's counters.
    #[arg(long)]
    pub interface: bool,
    /// block.*: each block device's counters.
    #[arg(long)]
    pub block: bool,
    /// perf.*: the perf events enabled for the domain.
    #[arg(long)]
    pub perf: bool,
    /// iothread.*: each IOThread's polling values.
    #[arg(long)]
    pub iothread: bool,
    /// memory.*: memory bandwidth and the like.
    #[arg(long)]
    pub memory: bool,
    /// dirtyrate.*: the last memory dirty-rate calculation.
    #[arg(long)]
    pub dirtyrate: bool,
    /// vm.*: the hypervisor's own statistics.
    #[arg(long)]
    pub vm: bool,
    /// Fail when the hypervisor lacks a group asked for.
    #[arg(long)]
    pub enforce: bool,
    /// block.*: each layer of every disk's backing chain too.
    #[arg(long)]
    pub backing: bool,
    /// Only statistics libvirt can read at once, without waiting for a busy domain job.
    #[arg(long)]
    pub nowait: bool,
    /// Accepted as virsh accepts it: virsh prints the fields the same either way.
    #[arg(long)]
    pub raw: bool,
    #[command(flatten)]
    pub only: ListOnly,
}

/// domstats's --list-* filters: which domains, when none is named (libvirt refuses them with
/// named domains, as virsh then does).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListOnly {
    /// Only running or paused domains.
    #[arg(long)]
    pub list_active: bool,
    /// Only shut-off domains.
    #[arg(long)]
    pub list_inactive: bool,
    /// Only persistent domains.
    #[arg(long)]
    pub list_persistent: bool,
    /// Only transient domains.
    #[arg(long)]
    pub list_transient: bool,
    /// Only running domains.
    #[arg(long)]
    pub list_running: bool,
    /// Only paused domains.
    #[arg(long)]
    pub list_paused: bool,
    /// Only shut-off domains.
    #[arg(long)]
    pub list_shutoff: bool,
    /// Only domains in another state.
    #[arg(long)]
    pub list_other: bool,
}

impl ListOnly {
    fn bits(&self) -> u32 {
        [
            (self.list_active, sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE),
            (
                self.list_inactive,
                sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE,
            ),
            (
                self.list_persistent,
                sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_PERSISTENT,
            ),
            (
                self.list_transient,
                sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_TRANSIENT,
            ),
            (self.list_running, sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING),
            (self.list_paused, sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_PAUSED),
            (self.list_shutoff, sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_SHUTOFF),
            (self.list_other, sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_OTHER),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .fold(0, |mask, (_, flag)| mask | flag)
    }
}

/// One domain's statistics.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainStats {
    /// The domain.
    pub name: String,
    /// libvirt's statistics by their names (state.state, cpu.time, balloon.current, vcpu.0.time,
    /// net.0.rx.bytes, block.0.name, ...), each with its type.
    pub stats: Params,
}

/// domstats's result: one record per domain.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct StatsList(pub Vec<DomainStats>);

impl Render for StatsList {
    fn text(&self, _style: TextStyle) -> String {
        let mut out = String::new();
        for dom in &self.0 {
            out.push_str(&format!("Domain: '{}'\n", dom.name));
            for (k, v) in &dom.stats.0 {
                out.push_str(&format!("  {k}={}\n", v.virsh()));
            }
            out.push('\n');
        }
        out
    }
}

impl Domstats {
    fn groups(&self) -> u32 {
        [
            (self.state, sys::VIR_DOMAIN_STATS_STATE),
            (self.cpu_total, sys::VIR_DOMAIN_STATS_CPU_TOTAL),
            (self.balloon, sys::VIR_DOMAIN_STATS_BALLOON),
            (self.vcpu, sys::VIR_DOMAIN_STATS_VCPU),
            (self.interface, sys::VIR_DOMAIN_STATS_INTERFACE),
            (self.block, sys::VIR_DOMAIN_STATS_BLOCK),
            (self.perf, sys::VIR_DOMAIN_STATS_PERF),
            (self.iothread, sys::VIR_DOMAIN_STATS_IOTHREAD),
            (self.memory, sys::VIR_DOMAIN_STATS_MEMORY),
            (self.dirtyrate, sys::VIR_DOMAIN_STATS_DIRTYRATE),
            (self.vm, sys::VIR_DOMAIN_STATS_VM),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .fold(0, |mask, (_, group)| mask | group)
    }

    /// libvirt's flags: the --list-* filters, --enforce, --backing, --nowait.
    fn flags(&self) -> u32 {
        [
            (self.enforce, sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS),
            (self.backing, sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING),
            (self.nowait, sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .fold(self.only.bits(), |mask, (_, flag)| mask | flag)
    }
}

impl Verb for Domstats {
    type Ctx = Session;
    type Output = StatsList;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<StatsList> {
        let conn = ctx.conn()?;
        let doms: Vec<Domain> = self
            .domains
            .iter()
            .map(|d| lookup(conn, d))
            .collect::<Result<_>>()?;
        let flags = self.flags();
        let records = match doms.is_empty() {
            true => all_stats(conn, self.groups(), flags)?,
            false => list_stats(&doms, self.groups(), flags)?,
        };
        Ok(StatsList(records))
    }
}

fn all_stats(conn: &virt::connect::Connect, groups: u32, flags: u32) -> Result<Vec<DomainStats>> {
    let mut records: *mut sys::virDomainStatsRecordPtr = std::ptr::null_mut();
    // SAFETY: the connection is open; libvirt allocates the records, read_records frees them.
    let n = unsafe { sys::virConnectGetAllDomainStats(conn.as_ptr(), groups, &mut records, flags) };
    unsafe { read_records(records, n) }
}

fn list_stats(doms: &[Domain], groups: u32, flags: u32) -> Result<Vec<DomainStats>> {
    let mut ptrs: Vec<sys::virDomainPtr> = doms.iter().map(|d| d.as_ptr()).collect();
    ptrs.push(std::ptr::null_mut());
    let mut records: *mut sys::virDomainStatsRecordPtr = std::ptr::null_mut();
    // SAFETY: a NULL-terminated array of live domains; read_records frees what libvirt allocates.
    let n = unsafe { sys::virDomainListGetStats(ptrs.as_mut_ptr(), groups, &mut records, flags) };
    unsafe { read_records(records, n) }
}

/// Reads `n` records and frees the list.
///
/// # Safety
/// `records` is what a libvirt stats call returned with `n`.
unsafe fn read_records(records: *mut sys::virDomainStatsRecordPtr, n: i32) -> Result<Vec<DomainStats>> {
    if n < 0 {
        return Err(
            vnet_common::libvirt::error(virt::error::Error::last_error()).context("domain statistics")
        );
    }
    let mut out = Vec::new();
    for i in 0..n as usize {
        let record = &**records.add(i);
        let name = sys::virDomainGetName(record.dom);
        let name = match name.is_null() {
            true => return Err(Error::failed("domain statistics: a record without a domain")),
            false => CStr::from_ptr(name).to_string_lossy().into_owned(),
        };
        out.push(DomainStats {
            name,
            stats: Params::read(record.params, record.nparams),
        });
    }
    if !records.is_null() {
        sys::virDomainStatsRecordListFree(records);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_of_the_test_drivers_domain() {
        let mut session = crate::testing::session();
        let verb = Domstats {
            domains: vec!["test".into()],
            state: true,
            cpu_total: false,
            balloon: false,
            vcpu: false,
            interface: false,
            block: false,
            perf: false,
            iothread: false,
            memory: false,
            dirtyrate: false,
            vm: false,
            enforce: false,
            backing: false,
            nowait: false,
            raw: true,
            only: ListOnly::default(),
        };
        let out = verb.run(&mut session, &mut Journal::default()).unwrap();
        assert_eq!(out.0[0].name, "test");
        assert_eq!(
            out.0[0].stats.get("state.state").and_then(|v| v.as_u64()),
            Some(1)
        );
        assert!(out
            .text(TextStyle::default())
            .starts_with("Domain: 'test'\n  state.state=1\n"));
    }
}
