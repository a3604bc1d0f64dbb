//! virsh --verbose for the verbs whose libvirt call blocks while a domain job runs (save,
//! managedsave, dump): the call runs on a thread of its own and this one prints the job's
//! progress on stderr as virsh does ("\rSave: [ 42 %]", then "[100 %]" once it succeeded).

use std::io::Write;
use std::time::Duration;
use virt::domain::Domain;
use virt::sys;

type Virt<T> = std::result::Result<T, virt::error::Error>;

/// How often the job is looked at (virsh looks every 50 ms).
const LOOK_EVERY: Duration = Duration::from_millis(50);

/// Runs `call` (libvirt's blocking call on `dom`'s job), printing its progress under `label`
/// when `verbose`; without it the call runs here, as before.
pub fn with_progress<T: Send + 'static>(
    dom: &Domain,
    label: &str,
    verbose: bool,
    call: impl FnOnce() -> Virt<T> + Send + 'static,
) -> Virt<T> {
    if !verbose {
        return call();
    }
    let job = std::thread::spawn(call);
    let mut shown = None;
    while !job.is_finished() {
        let now = job_percent(dom);
        if now.is_some() && now != shown {
            show(label, now.unwrap_or(0));
            shown = now;
        }
        std::thread::sleep(LOOK_EVERY);
    }
    let result = job.join().expect("the libvirt call's thread does not panic");
    if result.is_ok() && shown != Some(100) {
        show(label, 100);
    }
    eprintln!();
    result
}

fn show(label: &str, percent: u8) {
    eprint!("\r{label}: [{percent:3} %]");
    let _ = std::io::stderr().flush();
}

/// The job's progress as virsh computes it; None while there is no job or no total yet.
fn job_percent(dom: &Domain) -> Option<u8> {
    let info = dom.get_job_info().ok()?;
    let (total, remaining) = (info.data_total?, info.data_remaining?);
    if info.r#type == sys::VIR_DOMAIN_JOB_NONE as i32 || total == 0 {
        return None;
    }
    Some(percent(remaining, total))
}

/// virsh's percentage: 100 only once nothing remains, 99 at most before.
pub fn percent(remaining: u64, total: u64) -> u8 {
    if remaining == 0 {
        return 100;
    }
    let done = 100.0 - remaining as f64 * 100.0 / total.max(1) as f64;
    done.clamp(0.0, 99.0) as u8
}
