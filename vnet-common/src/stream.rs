//! Streaming verbs (`events`, `monitor`) and waits: records printed as they happen (NDJSON, or the
//! classic tool's line with -o text), until `--count N` records, `--timeout SECS`, a closed stdout
//! (the reader went away: exit 0, quietly) or SIGINT/SIGTERM/SIGHUP (exit 0; every record is one
//! whole line, so the output always ends with a newline). A stream is not a change: it installs
//! its own signal handling instead of the journal's (see [`crate::signals`]).
//!
//! A streaming verb's `Output` is [`Streamed<R>`]: its schema is the schema of one record `R`
//! and the runner prints nothing for it, the records being on stdout already.

use crate::output::Printer;
use crate::verb::{Render, TextStyle};
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet};
use schemars::JsonSchema;
use serde::Serialize;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often a waiting stream looks at the stop signal and at its reader (a closed pipe). Events
/// themselves are delivered as they come, not on this tick.
pub const TICK: Duration = Duration::from_millis(100);

static STOP: AtomicI32 = AtomicI32::new(0);

extern "C" fn note_stop(signal: libc::c_int) {
    // Only an atomic store: nothing else is safe in a signal handler.
    let _ = STOP.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
}

/// From now on SIGINT, SIGTERM and SIGHUP end the stream (or wait) at its next tick instead of
/// killing the process. Idempotent.
pub fn catch_stop_signals() {
    let action = SigAction::new(SigHandler::Handler(note_stop), SaFlags::empty(), SigSet::empty());
    for signal in crate::signals::HELD {
        // SAFETY: the handler only stores into an atomic, which is async-signal-safe.
        let _ = unsafe { sigaction(signal, &action) };
    }
}

/// The signal that asked the stream to stop, if any.
pub fn stop_signal() -> Option<i32> {
    match STOP.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// True when stdout is a pipe or socket whose reader has gone (POLLERR/POLLHUP), so the stream
/// can end without waiting for the next record to fail to write.
pub fn stdout_closed() -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no timeout.
    let n = unsafe { libc::poll(&mut fd, 1, 0) };
    n == 1 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0
}

/// An RFC 3339 UTC timestamp with milliseconds: "2026-11-23T19:31:23.123Z".
pub fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Now, as [`rfc3339`].
pub fn now() -> String {
    rfc3339(SystemTime::now())
}

/// `--count`, `--timeout`: shared by every streaming verb.
#[derive(Debug, Clone, Default, clap::Args)]
#[group(skip)]
pub struct StreamArgs {
    /// Stop after N event records (connection records are not counted).
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop after SECS seconds (fractions allowed); exit 0.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: Option<f64>,
}

/// A number of seconds: finite, not negative.
pub fn parse_secs(text: &str) -> std::result::Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(secs) if (0.0..1e9).contains(&secs) => Ok(secs),
        _ => Err(format!("'{text}' is not a number of seconds")),
    }
}

/// Why a stream ended (all of them exit 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Count,
    Timeout,
    Signal(i32),
    ReaderGone,
}

/// The running stream: prints records and says when to stop.
pub struct Stream {
    printer: Printer,
    left: Option<u64>,
    deadline: Option<Instant>,
    /// Event records printed so far.
    pub printed: u64,
}

impl Stream {
    /// Starts a stream with the invocation's output flags; catches the stop signals.
    pub fn start(args: &StreamArgs) -> Stream {
        catch_stop_signals();
        Stream {
            printer: crate::output::current(),
            left: args.count,
            deadline: args.timeout.map(|s| Instant::now() + Duration::from_secs_f64(s)),
            printed: 0,
        }
    }

    /// Prints one event record (counted).
    pub fn event<R: Serialize + Render>(&mut self, record: &R) {
        self.printer.print_record(record);
        self.printed += 1;
        if let Some(left) = &mut self.left {
            *left = left.saturating_sub(1);
        }
    }

    /// Prints a record about the stream itself (not counted: a reconnection, a namespace followed).
    pub fn notice<R: Serialize + Render>(&mut self, record: &R) {
        self.printer.print_record(record);
    }

    /// Some(why) once the stream is to end.
    pub fn ended(&self) -> Option<End> {
        if self.left == Some(0) {
            return Some(End::Count);
        }
        if let Some(signal) = stop_signal() {
            return Some(End::Signal(signal));
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Some(End::Timeout);
        }
        if stdout_closed() {
            return Some(End::ReaderGone);
        }
        None
    }

    /// How long to block for the next event before looking at [`Stream::ended`] again.
    pub fn tick(&self) -> Duration {
        match self.deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).min(TICK),
            None => TICK,
        }
    }
}

/// The output of a streaming verb: the records are printed as they come, so the runner prints
/// nothing at the end; the verb's schema is the schema of one record `R` (stdout is NDJSON of it).
pub struct Streamed<R> {
    /// Event records printed.
    pub records: u64,
    record: PhantomData<fn() -> R>,
}

impl<R> Streamed<R> {
    pub fn new(records: u64) -> Streamed<R> {
        Streamed {
            records,
            record: PhantomData,
        }
    }
}

impl<R> Serialize for Streamed<R> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl<R: JsonSchema> JsonSchema for Streamed<R> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        R::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        R::json_schema(generator)
    }
}

impl<R> Render for Streamed<R> {
    fn text(&self, _style: TextStyle) -> String {
        String::new()
    }

    fn streamed(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_462_283_123);
        assert_eq!(rfc3339(t), "2026-11-23T19:31:23.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn seconds_are_checked() {
        assert_eq!(parse_secs("1.5"), Ok(1.5));
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("nan").is_err());
        assert!(parse_secs("x").is_err());
    }
}
