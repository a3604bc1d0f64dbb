//! Watching a migration job from this thread while another one blocks in libvirt's migrate call:
//! progress from the job info (virsh --verbose's percentage), the --timeout action (suspend), and
//! a held signal turned into virDomainAbortJob, which makes libvirt cancel the migration on both
//! hosts and leave the domain running on the source.

use super::{Migrate, MigrateRecord, Progress};
pub use crate::domains::progress::percent;
use std::io::{IsTerminal, Write};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use virt::domain::Domain;
use virt::sys;
use vnet_common::{signals, Result};

/// How often the job is looked at (virsh looks every 50 ms; a record every quarter second is
/// enough for a reader and cheap for the daemon).
const LOOK_EVERY: Duration = Duration::from_millis(250);

/// How the migration call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Migrated,
    /// A signal (its number) aborted the job.
    Aborted(i32),
}

/// What the watch saw.
pub struct Watch {
    pub outcome: Outcome,
    pub suspended: bool,
    pub last: Option<Progress>,
    pub started: Instant,
}

type Job = JoinHandle<std::result::Result<(), virt::error::Error>>;

/// Prints one record of migrate's output now (NDJSON line, or its text with -o text).
pub fn print(record: &MigrateRecord) {
    vnet_common::output::current().print_record(record);
}

/// The job's progress as virsh computes it; None while there is no job or no total yet.
pub fn progress(dom: &Domain, name: &str) -> Option<Progress> {
    let info = dom.get_job_info().ok()?;
    let (total, remaining) = (info.data_total?, info.data_remaining?);
    if info.r#type == sys::VIR_DOMAIN_JOB_NONE as i32 || total == 0 {
        return None;
    }
    Some(Progress {
        record: super::ProgressTag::Progress,
        name: name.to_string(),
        percent: percent(remaining, total),
        data_processed: info.data_processed.unwrap_or(0),
        data_remaining: remaining,
        data_total: total,
        time_elapsed_ms: info.time_elapsed.unwrap_or(0),
    })
}

/// Where progress goes: records on stdout (--progress, or a terminal), virsh's line on stderr
/// (--verbose).
struct Shown {
    records: bool,
    verbose: bool,
}

impl Shown {
    fn show(&self, p: &Progress) {
        if self.records {
            print(&MigrateRecord::Progress(p.clone()));
        }
        if self.verbose {
            eprint!("\rMigration: [{:3} %]", p.percent);
            let _ = std::io::stderr().flush();
        }
    }
}

/// Watches `job` until it ends: shows progress, suspends the guest at --timeout, aborts the job
/// on a held signal. A failure that no signal caused is returned as libvirt's error.
pub fn run(args: &Migrate, dom: &Domain, job: Job, started: Instant) -> Result<Watch> {
    // From here a signal is only noted: the job is aborted below and libvirt undoes it.
    signals::defer();
    let shown = Shown {
        records: args.progress || std::io::stdout().is_terminal(),
        verbose: args.verbose,
    };
    let mut watch = Watch {
        outcome: Outcome::Migrated,
        suspended: false,
        last: None,
        started,
    };
    let mut aborted = None;
    while !job.is_finished() {
        if aborted.is_none() {
            aborted = signals::pending().inspect(|_| abort_job(dom));
        }
        if !watch.suspended
            && args
                .timeout
                .is_some_and(|n| started.elapsed() >= Duration::from_secs(n))
        {
            // virsh --timeout-suspend: the guest stops dirtying memory, so the copy converges.
            watch.suspended = dom.suspend().is_ok();
        }
        if let Some(p) = progress(dom, &args.domain) {
            if watch.last.as_ref().is_none_or(|last| last.percent != p.percent) {
                shown.show(&p);
            }
            watch.last = Some(p);
        }
        std::thread::sleep(LOOK_EVERY);
    }
    let result = job.join().expect("the migration thread does not panic");
    if result.is_err() && watch.suspended {
        // Suspended at --timeout, then failed or aborted: running where it was, as before.
        let _ = dom.resume();
        watch.suspended = false;
    }
    finish(&mut watch, &shown, result, aborted)?;
    Ok(watch)
}

/// The outcome from the migrate call's result and the signal seen, if any.
fn finish(
    watch: &mut Watch,
    shown: &Shown,
    result: std::result::Result<(), virt::error::Error>,
    aborted: Option<i32>,
) -> Result<()> {
    match (result, aborted) {
        (Ok(()), _) => {
            if let Some(last) = watch.last.as_mut() {
                // The job is gone once it completed: virsh's last line is 100 %.
                last.percent = 100;
                last.data_processed += last.data_remaining;
                last.data_remaining = 0;
                shown.show(last);
            }
            if shown.verbose {
                eprintln!();
            }
            Ok(())
        }
        (Err(_), Some(signal)) => {
            if shown.verbose {
                eprintln!();
            }
            watch.outcome = Outcome::Aborted(signal);
            Ok(())
        }
        (Err(e), None) => {
            if shown.verbose {
                eprintln!();
            }
            Err(vnet_common::libvirt::error(e))
        }
    }
}

/// virDomainAbortJob: libvirt cancels the migration on both hosts; the domain keeps running on
/// the source. A job that already ended cannot be aborted (the migrate call's result says how it
/// ended).
fn abort_job(dom: &Domain) {
    // SAFETY: a valid domain pointer; the call only sends the abort request.
    let _ = unsafe { sys::virDomainAbortJob(dom.as_ptr()) };
}
