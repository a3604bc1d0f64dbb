//! `events`: libvirt's domain lifecycle events as NDJSON (virsh event --loop --event lifecycle).

use crate::objevents::EventOutput;
use schemars::JsonSchema;
use serde::Serialize;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::Session;
use vnet_common::libvirt_events::{self, EventRecord, Lifecycle, Notice, Target};
use vnet_common::stream::{StreamArgs, Streamed};
use vnet_common::{Error, Journal, Result, Verb};

/// Stream domain lifecycle events as NDJSON, one record per event (virsh event --loop).
///
/// stdout is NDJSON: one DomainEvent record per line (its schema is this verb's schema), printed
/// as libvirt delivers the event, until --count event records, --timeout, a closed stdout (exit 0)
/// or SIGINT/SIGTERM (exit 0; the output ends with a whole line). With VM, only that domain's
/// events (it need not exist yet: its definition is an event too). When the daemon goes away the
/// stream prints a "disconnected" record, reconnects (trying every 500 ms) and prints a
/// "reconnected" record; events while the daemon was down are not seen. With --no-reconnect it
/// ends with exit 6 instead. -o text prints virsh event's lines.
///
/// virsh's own form, `event [--domain VM] --event lifecycle [--loop] [--timeout SECS]`, waits
/// as virsh does: for one event (without --loop), and exit 1 when none came before --timeout or
/// a signal. --event names a type virsh knows; vnet-vm follows lifecycle only (the others, and
/// virsh's --all, are exit 7 naming them). --list prints virsh's event types. --timestamp starts
/// each -o text line with the time the event came, as virsh's.
#[derive(Debug, clap::Args)]
pub struct Events {
    /// Only this domain's events.
    pub name: Option<String>,
    #[command(flatten)]
    pub stream: StreamArgs,
    /// When the connection to the daemon is lost, end with exit 6 instead of reconnecting.
    #[arg(long)]
    pub no_reconnect: bool,
    /// virsh's --event TYPE (lifecycle): one event, unless --loop; none is exit 1.
    #[arg(long, value_name = "TYPE")]
    pub event: Option<String>,
    /// With --event: go on after the first event (without --event the stream always does).
    #[arg(long = "loop")]
    pub repeat: bool,
    /// Print the domain event types virsh knows and wait for nothing.
    #[arg(long)]
    pub list: bool,
    /// -o text: start each event's line with the time it came, as virsh does (the JSON
    /// records carry their `time` always).
    #[arg(long)]
    pub timestamp: bool,
}

/// virsh event --list (libvirt 9.0's domain event types, in its order).
const EVENT_TYPES: &[&str] = &[
    "lifecycle",
    "reboot",
    "rtc-change",
    "watchdog",
    "io-error",
    "graphics",
    "io-error-reason",
    "control-error",
    "block-job",
    "disk-change",
    "tray-change",
    "pm-wakeup",
    "pm-suspend",
    "balloon-change",
    "pm-suspend-disk",
    "device-removed",
    "block-job-2",
    "tunable",
    "agent-lifecycle",
    "device-added",
    "migration-iteration",
    "job-completed",
    "device-removal-failed",
    "metadata-change",
    "block-threshold",
    "memory-failure",
    "memory-device-size-change",
];

/// A domain lifecycle event.
// Inline, so the `record` tag joins its properties in the stream's schema.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(inline)]
pub struct DomainLifecycle {
    /// When it was received (RFC 3339, UTC).
    time: String,
    /// The domain's name.
    domain: String,
    uuid: String,
    /// defined, undefined, started, suspended, resumed, stopped, shutdown, pmsuspended,
    /// crashed.
    event: String,
    /// Why, e.g. booted, destroyed, shutdown, finished, guest, added, removed, paused.
    detail: String,
}

/// One record of the `events` stream.
pub type DomainEvent = EventRecord<DomainLifecycle>;

impl Lifecycle for DomainLifecycle {
    const TARGET: Target = Target::Domains;

    fn from_notice(notice: Notice, time: String) -> Option<(String, DomainLifecycle)> {
        let Notice::Domain {
            name,
            uuid,
            event,
            detail,
        } = notice
        else {
            return None;
        };
        let (event, detail) = lifecycle_words(event, detail);
        let record = DomainLifecycle {
            time,
            domain: name.clone(),
            uuid,
            event: event.into(),
            detail: detail.into(),
        };
        Some((name, record))
    }

    fn line(&self) -> String {
        let (e, d) = virsh_words(&self.event, &self.detail);
        format!("event 'lifecycle' for domain '{}': {e} {d}\n", self.domain)
    }
}

/// The JSON words for a lifecycle event and its detail (libvirt's enums, snake_case).
pub fn lifecycle_words(event: i32, detail: i32) -> (&'static str, &'static str) {
    let details: &[&str] = match event as u32 {
        sys::VIR_DOMAIN_EVENT_DEFINED => &["added", "updated", "renamed", "from_snapshot"],
        sys::VIR_DOMAIN_EVENT_UNDEFINED => &["removed", "renamed"],
        sys::VIR_DOMAIN_EVENT_STARTED => &[
            "booted",
            "migrated",
            "restored",
            "from_snapshot",
            "wakeup",
            "recreated",
        ],
        sys::VIR_DOMAIN_EVENT_SUSPENDED => &[
            "paused",
            "migrated",
            "ioerror",
            "watchdog",
            "restored",
            "from_snapshot",
            "api_error",
            "postcopy",
            "postcopy_failed",
        ],
        sys::VIR_DOMAIN_EVENT_RESUMED => &[
            "unpaused",
            "migrated",
            "from_snapshot",
            "postcopy",
            "postcopy_failed",
        ],
        sys::VIR_DOMAIN_EVENT_STOPPED => &[
            "shutdown",
            "destroyed",
            "crashed",
            "migrated",
            "saved",
            "failed",
            "from_snapshot",
            "recreated",
        ],
        sys::VIR_DOMAIN_EVENT_SHUTDOWN => &["finished", "guest", "host"],
        sys::VIR_DOMAIN_EVENT_PMSUSPENDED => &["memory", "disk"],
        sys::VIR_DOMAIN_EVENT_CRASHED => &["panicked", "crashloaded"],
        _ => &[],
    };
    let name = match event as u32 {
        sys::VIR_DOMAIN_EVENT_DEFINED => "defined",
        sys::VIR_DOMAIN_EVENT_UNDEFINED => "undefined",
        sys::VIR_DOMAIN_EVENT_STARTED => "started",
        sys::VIR_DOMAIN_EVENT_SUSPENDED => "suspended",
        sys::VIR_DOMAIN_EVENT_RESUMED => "resumed",
        sys::VIR_DOMAIN_EVENT_STOPPED => "stopped",
        sys::VIR_DOMAIN_EVENT_SHUTDOWN => "shutdown",
        sys::VIR_DOMAIN_EVENT_PMSUSPENDED => "pmsuspended",
        sys::VIR_DOMAIN_EVENT_CRASHED => "crashed",
        _ => "unknown",
    };
    let detail = usize::try_from(detail)
        .ok()
        .and_then(|d| details.get(d).copied())
        .unwrap_or("unknown");
    (name, detail)
}

/// virsh event's words for the text layout ("Started Booted", "Shutdown Finished after guest
/// request").
fn virsh_words(event: &str, detail: &str) -> (String, String) {
    let cap = |w: &str| {
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    };
    let e = match event {
        "pmsuspended" => "PMSuspended".to_string(),
        other => cap(other),
    };
    let d = match (event, detail) {
        ("shutdown", "guest") => "Finished after guest request".to_string(),
        ("shutdown", "host") => "Finished after host request".to_string(),
        (_, "from_snapshot") => "Snapshot".to_string(),
        (_, "ioerror") => "I/O Error".to_string(),
        (_, "api_error") => "API error".to_string(),
        (_, "postcopy") => "Post-copy".to_string(),
        (_, "postcopy_failed") => "Post-copy Error".to_string(),
        (_, "wakeup") => "Event wakeup".to_string(),
        (_, other) => cap(other),
    };
    (e, d)
}

impl Verb for Events {
    type Ctx = Session;
    type Output = EventOutput<DomainEvent>;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<EventOutput<DomainEvent>> {
        if self.list {
            return Ok(EventOutput::list(EVENT_TYPES));
        }
        let Some(event) = &self.event else {
            let streamed: Streamed<DomainEvent> = libvirt_events::stream(
                ctx,
                self.name.as_deref(),
                &self.stream,
                !self.no_reconnect,
                self.timestamp,
            )?;
            return Ok(EventOutput::Streamed(streamed));
        };
        check_event_type(event)?;
        let mut limits = self.stream.clone();
        if !self.repeat && limits.count.is_none() {
            limits.count = Some(1);
        }
        let streamed = libvirt_events::stream(
            ctx,
            self.name.as_deref(),
            &limits,
            !self.no_reconnect,
            self.timestamp,
        )?;
        EventOutput::received(streamed)
    }
}

/// --event TYPE: lifecycle, the type vnet-vm follows; another type virsh knows, or one it does
/// not, is exit 7 naming it.
fn check_event_type(event: &str) -> Result<()> {
    match event {
        "lifecycle" => Ok(()),
        known if EVENT_TYPES.contains(&known) => Err(Error::invalid(format!(
            "--event {}: not followed by vnet-vm events",
            quote(known)
        ))
        .with_hint("--event lifecycle")),
        other => Err(
            Error::invalid(format!("--event {}: unknown event type", quote(other)))
                .with_hint("vnet-vm event --list names them"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The records print as the verb's own enum printed them before both tools shared one.
    #[test]
    fn records_as_before() {
        use vnet_common::{Render, TextStyle};
        let notice = Notice::Domain {
            name: "vm1".into(),
            uuid: "u".into(),
            event: sys::VIR_DOMAIN_EVENT_STARTED as i32,
            detail: 0,
        };
        let (name, event) = DomainLifecycle::from_notice(notice, "t".into()).unwrap();
        assert_eq!(name, "vm1");
        let record = DomainEvent::Lifecycle(event);
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            r#"{"record":"lifecycle","time":"t","domain":"vm1","uuid":"u","event":"started","detail":"booted"}"#
        );
        assert_eq!(
            record.text(TextStyle::default()),
            "event 'lifecycle' for domain 'vm1': Started Booted\n"
        );
        let lost = DomainEvent::Disconnected {
            time: "t".into(),
            reason: "eof".into(),
        };
        assert_eq!(
            serde_json::to_string(&lost).unwrap(),
            r#"{"record":"disconnected","time":"t","reason":"eof"}"#
        );
        assert_eq!(lost.text(TextStyle::default()), "event 'disconnected': eof\n");
        let network = Notice::Network {
            name: "n".into(),
            uuid: "u".into(),
            event: 0,
        };
        assert!(DomainLifecycle::from_notice(network, "t".into()).is_none());
    }

    #[test]
    fn words_as_virsh_prints_them() {
        let (e, d) = lifecycle_words(sys::VIR_DOMAIN_EVENT_SHUTDOWN as i32, 1);
        assert_eq!((e, d), ("shutdown", "guest"));
        assert_eq!(
            virsh_words(e, d),
            ("Shutdown".into(), "Finished after guest request".into())
        );
        assert_eq!(
            lifecycle_words(sys::VIR_DOMAIN_EVENT_STOPPED as i32, 1),
            ("stopped", "destroyed")
        );
        assert_eq!(lifecycle_words(99, 0), ("unknown", "unknown"));
    }
}
