//! SIGINT, SIGTERM and SIGHUP during a change: the step under way finishes, then the verb is undone
//! (or completed, as it documents) and the tool exits 128+N. Until a verb records its first change
//! a signal ends the process as usual: nothing has changed yet. From the first recorded change on,
//! the handler below only notes the signal, and the journal looks at the note at each step boundary.

use crate::{Error, ErrorKind, Result};
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The signals held during a change: an interrupt, a kill request, and a terminal hangup.
pub const HELD: [Signal; 3] = [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP];

static PENDING: AtomicI32 = AtomicI32::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn note(signal: libc::c_int) {
    // Only an atomic store: nothing else is safe in a signal handler.
    let _ = PENDING.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
}

/// Holds the signals from now on (idempotent).
pub fn defer() {
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    // SA_RESTART: a netlink or libvirt call under way is not cut short by the signal.
    let action = SigAction::new(SigHandler::Handler(note), SaFlags::SA_RESTART, SigSet::empty());
    for signal in HELD {
        // SAFETY: the handler only stores into an atomic, which is async-signal-safe.
        let _ = unsafe { sigaction(signal, &action) };
    }
}

/// The signal that arrived since the signals were held, if any.
pub fn pending() -> Option<i32> {
    match PENDING.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// Err(interrupted) when a held signal arrived: the caller stops at this step boundary.
pub fn check() -> Result<()> {
    match pending() {
        None => Ok(()),
        Some(signal) => Err(interrupted(signal)),
    }
}

/// The error for a signal that stopped a verb: exit code 128+N.
pub fn interrupted(signal: i32) -> Error {
    let name =
        Signal::try_from(signal).map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_string());
    Error::new(ErrorKind::Interrupted(signal), format!("interrupted by {name}"))
}

/// Restores the default action of every held signal and unblocks all signals: what a command
/// started by `exec` must inherit (as from a shell), whatever this process did.
pub fn reset_for_exec() {
    use nix::sys::signal::{sigprocmask, SigmaskHow};
    let default = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
    for signal in HELD
        .iter()
        .chain(&[Signal::SIGPIPE, Signal::SIGQUIT, Signal::SIGCHLD])
    {
        // SAFETY: installing the default action has no handler to be unsafe about.
        let _ = unsafe { sigaction(*signal, &default) };
    }
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
}
