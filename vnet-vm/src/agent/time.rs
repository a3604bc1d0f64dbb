//! domtime (virsh's spelling and flags): read or set the guest's clock through the guest agent.

use super::{agent_error, agent_ready};
use crate::devices::devxml::lookup;
use schemars::JsonSchema;
use serde::Serialize;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::Session;
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

/// Read or set a domain's guest clock (virsh domtime).
///
/// Without a flag: read it. --now sets it to this host's time, --time to SECS since the epoch,
/// --sync has the guest re-read its hardware clock. A domain without a connected agent is exit 6,
/// nothing changed. Not undoable (the clock moves on).
#[derive(Debug, clap::Args)]
pub struct Domtime {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Set the guest's clock to this host's time.
    #[arg(long, conflicts_with_all = ["time", "sync"])]
    pub now: bool,
    /// Have the guest set its clock from its hardware clock.
    #[arg(long, conflicts_with = "time")]
    pub sync: bool,
    /// Set the guest's clock to SECS since the epoch.
    #[arg(long, value_name = "SECS")]
    pub time: Option<i64>,
    /// Print the time as a date in -o text.
    #[arg(long)]
    pub pretty: bool,
}

/// The guest's clock.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GuestTime {
    /// The domain.
    pub name: String,
    /// True when the clock was set.
    pub changed: bool,
    /// Seconds since the epoch: read, or set to; null after --sync.
    pub time: Option<i64>,
    #[serde(skip)]
    #[schemars(skip)]
    pretty: bool,
}

impl Render for GuestTime {
    fn text(&self, _style: TextStyle) -> String {
        match (self.changed, self.time) {
            (false, Some(t)) if self.pretty => format!("Time: {}\n", utc(t)),
            (false, Some(t)) => format!("Time: {t}\n"),
            _ => String::new(),
        }
    }
}

/// `secs` since the epoch as "2026-12-07 08:40:09" (UTC).
fn utc(secs: i64) -> String {
    // SAFETY: gmtime_r only writes the value given.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::gmtime_r(&(secs as libc::time_t), &mut tm);
        tm
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

impl Verb for Domtime {
    type Ctx = Session;
    type Output = GuestTime;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<GuestTime> {
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        agent_ready(&dom, &self.domain)?;
        let what = format!("guest clock of domain {}", quote(&self.domain));
        let now = || {
            let d = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            (d.as_secs() as i64, d.subsec_nanos() as i32)
        };
        let set = match (self.now, self.sync, self.time) {
            (true, _, _) => Some((now(), 0)),
            (_, true, _) => Some(((0, 0), sys::VIR_DOMAIN_TIME_SYNC)),
            (_, _, Some(t)) => Some(((t, 0), 0)),
            _ => None,
        };
        let Some(((secs, nsecs), flags)) = set else {
            let (secs, _) = dom.get_time(0).map_err(|e| agent_error(e, &what))?;
            return Ok(GuestTime {
                name: self.domain,
                changed: false,
                time: Some(secs),
                pretty: self.pretty,
            });
        };
        dom.set_time(secs, nsecs, flags)
            .map_err(|e| agent_error(e, &what))?;
        journal.irreversible(format!("set {what}"))?;
        Ok(GuestTime {
            name: self.domain,
            changed: true,
            time: (!self.sync).then_some(secs),
            pretty: self.pretty,
        })
    }
}
