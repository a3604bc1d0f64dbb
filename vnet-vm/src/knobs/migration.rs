//! The migration knobs a domain keeps without a migration running: bandwidth
//! (migrate-setspeed, migrate-getspeed), the longest pause (migrate-setmaxdowntime,
//! migrate-getmaxdowntime) and the XBZRLE cache (migrate-compcache); and migrate-postcopy,
//! which switches a running outgoing migration to post-copy (with none running, libvirt refuses
//! it as virsh shows: "post-copy can only be started while outgoing migration is in progress").

use super::check;
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::Session;
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

/// A domain's migration knob after a get or a set.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MigrationKnob {
    pub name: String,
    /// False for a query, or when the value was so already.
    pub changed: bool,
    /// The knob: bandwidth (MiB/s), postcopy_bandwidth (MiB/s), max_downtime (ms) or
    /// compression_cache (bytes); postcopy (1) after migrate-postcopy switched the migration.
    pub knob: String,
    /// Its value now.
    pub value: u64,
    #[serde(skip)]
    line: String,
}

impl Render for MigrationKnob {
    fn text(&self, _style: TextStyle) -> String {
        self.line.clone()
    }
}

fn knob(dom: &Domain, changed: bool, knob: &str, value: u64, line: String) -> Result<MigrationKnob> {
    Ok(MigrationKnob {
        name: domain_name(dom)?,
        changed,
        knob: knob.into(),
        value,
        line,
    })
}

fn speed_flags(postcopy: bool) -> (u32, &'static str) {
    match postcopy {
        true => (sys::VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY, "postcopy_bandwidth"),
        false => (0, "bandwidth"),
    }
}

fn get_speed(dom: &Domain, flags: u32) -> Result<u64> {
    let mut bw: libc::c_ulong = 0;
    // SAFETY: a held domain and an out value.
    check(
        unsafe { sys::virDomainMigrateGetMaxSpeed(dom.as_ptr(), &mut bw, flags) },
        "migration bandwidth",
    )?;
    Ok(bw as u64)
}

fn set_speed(dom: &Domain, bw: u64, flags: u32) -> Result<()> {
    // SAFETY: a held domain.
    check(
        unsafe { sys::virDomainMigrateSetMaxSpeed(dom.as_ptr(), bw as libc::c_ulong, flags) },
        "migration bandwidth",
    )
}

/// A domain's largest migration bandwidth in MiB/s (virsh migrate-getspeed); --postcopy for the
/// post-copy phase's.
#[derive(Debug, clap::Args)]
pub struct MigrateGetspeed {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The post-copy phase's bandwidth.
    #[arg(long)]
    pub postcopy: bool,
}

impl Verb for MigrateGetspeed {
    type Ctx = Session;
    type Output = MigrationKnob;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<MigrationKnob> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let (flags, name) = speed_flags(self.postcopy);
        let bw = get_speed(&dom, flags)?;
        knob(&dom, false, name, bw, format!("{bw}\n\n"))
    }
}

/// Set a domain's largest migration bandwidth in MiB/s (virsh migrate-setspeed), also before a
/// migration starts; --postcopy for the post-copy phase's. Undone on a later failure: the old
/// bandwidth set back.
#[derive(Debug, clap::Args)]
pub struct MigrateSetspeed {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// MiB/s.
    pub bandwidth: u64,
    /// The post-copy phase's bandwidth.
    #[arg(long)]
    pub postcopy: bool,
}

impl Verb for MigrateSetspeed {
    type Ctx = Session;
    type Output = MigrationKnob;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<MigrationKnob> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let (flags, name) = speed_flags(self.postcopy);
        let old = get_speed(&dom, flags)?;
        let changed = old != self.bandwidth;
        if changed {
            set_speed(&dom, self.bandwidth, flags)?;
            let undo = dom.clone();
            journal.record_fn(format!("set the {name} to {}", self.bandwidth), move || {
                set_speed(&undo, old, flags)
            })?;
        }
        knob(&dom, changed, name, get_speed(&dom, flags)?, String::new())
    }
}

fn get_downtime(dom: &Domain) -> Result<u64> {
    let mut ms: libc::c_ulonglong = 0;
    // SAFETY: a held domain and an out value.
    check(
        unsafe { sys::virDomainMigrateGetMaxDowntime(dom.as_ptr(), &mut ms, 0) },
        "migration downtime",
    )?;
    Ok(ms)
}

fn set_downtime(dom: &Domain, ms: u64) -> Result<()> {
    // SAFETY: a held domain.
    check(
        unsafe { sys::virDomainMigrateSetMaxDowntime(dom.as_ptr(), ms, 0) },
        "migration downtime",
    )
}

/// The longest pause, in milliseconds, a live migration may make the domain take (virsh
/// migrate-getmaxdowntime).
#[derive(Debug, clap::Args)]
pub struct MigrateGetmaxdowntime {
    /// The domain (name, ID or UUID).
    pub domain: String,
}

impl Verb for MigrateGetmaxdowntime {
    type Ctx = Session;
    type Output = MigrationKnob;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<MigrationKnob> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let ms = get_downtime(&dom)?;
        knob(&dom, false, "max_downtime", ms, format!("{ms}\n\n"))
    }
}

/// Set the longest pause, in milliseconds, a live migration may make the domain take (virsh
/// migrate-setmaxdowntime). 0 is exit 7 (virsh: "Invalid downtime"). Undone on a later failure:
/// the old value set back.
#[derive(Debug, clap::Args)]
pub struct MigrateSetmaxdowntime {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Milliseconds.
    pub downtime: u64,
}

impl Verb for MigrateSetmaxdowntime {
    type Ctx = Session;
    type Output = MigrationKnob;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<MigrationKnob> {
        if self.downtime == 0 {
            return Err(vnet_common::Error::invalid(
                "migrate: Invalid downtime 0: at least 1 ms",
            ));
        }
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let old = get_downtime(&dom)?;
        let changed = old != self.downtime;
        if changed {
            set_downtime(&dom, self.downtime)?;
            let undo = dom.clone();
            journal.record_fn("set the migration downtime", move || set_downtime(&undo, old))?;
        }
        knob(&dom, changed, "max_downtime", get_downtime(&dom)?, String::new())
    }
}

fn get_cache(dom: &Domain) -> Result<u64> {
    let mut size: libc::c_ulonglong = 0;
    // SAFETY: a held domain and an out value.
    check(
        unsafe { sys::virDomainMigrateGetCompressionCache(dom.as_ptr(), &mut size, 0) },
        "compression cache",
    )?;
    Ok(size)
}

fn set_cache(dom: &Domain, size: u64) -> Result<()> {
    // SAFETY: a held domain.
    check(
        unsafe { sys::virDomainMigrateSetCompressionCache(dom.as_ptr(), size, 0) },
        "compression cache",
    )
}

/// virsh's vshPrettyCapacity: the largest binary unit, three decimals ("64.000 MiB").
fn pretty(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.3} {}", units[unit])
}

/// Show, or with --size set, the XBZRLE compression cache of the domain's migrations in bytes
/// (virsh migrate-compcache). Undone on a later failure: the old size set back.
#[derive(Debug, clap::Args)]
pub struct MigrateCompcache {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The new size in bytes.
    #[arg(long)]
    pub size: Option<u64>,
}

impl Verb for MigrateCompcache {
    type Ctx = Session;
    type Output = MigrationKnob;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<MigrationKnob> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let old = get_cache(&dom)?;
        let changed = self.size.is_some_and(|size| size != old);
        if let (true, Some(size)) = (changed, self.size) {
            set_cache(&dom, size)?;
            let undo = dom.clone();
            journal.record_fn("set the compression cache", move || set_cache(&undo, old))?;
        }
        let now = get_cache(&dom)?;
        let line = format!("Compression cache: {}\n", pretty(now));
        knob(&dom, changed, "compression_cache", now, line)
    }
}

/// Switch the domain's outgoing migration to post-copy (virsh migrate-postcopy); the migration
/// must have been started with post-copy allowed. Without one running, libvirt's refusal (exit
/// 1, as virsh fails). Nothing to undo: the guest runs on the destination from then on.
#[derive(Debug, clap::Args)]
pub struct MigratePostcopy {
    /// The domain (name, ID or UUID).
    pub domain: String,
}

impl Verb for MigratePostcopy {
    type Ctx = Session;
    type Output = MigrationKnob;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<MigrationKnob> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        // SAFETY: a held domain.
        let rc = unsafe { sys::virDomainMigrateStartPostCopy(dom.as_ptr(), 0) };
        check(
            rc,
            format!("switch the migration of domain {} to post-copy", quote(&name)),
        )?;
        journal.irreversible(format!("post-copy migration of domain {}", quote(&name)))?;
        knob(&dom, true, "postcopy", 1, String::new())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn capacities_print_as_virsh_does() {
        assert_eq!(super::pretty(64 << 20), "64.000 MiB");
        assert_eq!(super::pretty(1536), "1.500 KiB");
        assert_eq!(super::pretty(12), "12.000 B");
    }
}
