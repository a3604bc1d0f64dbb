//! `events`: libvirt's network lifecycle events as NDJSON (virsh net-event --loop).

use schemars::JsonSchema;
use serde::Serialize;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::Session;
use vnet_common::libvirt_events::{self, EventOutput, EventRecord, Lifecycle, Notice, Target};
use vnet_common::stream::{StreamArgs, Streamed};
use vnet_common::{Error, Journal, Result, Verb};

/// Stream network lifecycle events (defined, undefined, started, stopped) as NDJSON
/// (virsh net-event --loop).
///
/// stdout is NDJSON: one NetworkEvent record per line (its schema is this verb's schema), printed
/// as libvirt delivers the event, until --count event records, --timeout, a closed stdout (exit 0)
/// or SIGINT/SIGTERM (exit 0; the output ends with a whole line). With NET, only that network's
/// events (it need not exist yet). When the daemon goes away the stream prints a "disconnected"
/// record, reconnects (trying every 500 ms) and prints a "reconnected" record; events while the
/// daemon was down are not seen. With --no-reconnect it ends with exit 6 instead. -o text prints
/// virsh net-event's lines.
///
/// virsh's own form, `net-event [--network NET] --event lifecycle [--loop] [--timeout SECS]`,
/// waits as virsh does: for one event (without --loop), and exit 1 when none came before
/// --timeout or a signal; an event type virsh does not know is exit 7. --list prints virsh's
/// event types. --timestamp starts each -o text line with the time the event came, as virsh's.
#[derive(Debug, clap::Args)]
pub struct Events {
    /// Only this network's events.
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
    /// Print the network event types virsh knows and wait for nothing.
    #[arg(long)]
    pub list: bool,
    /// -o text: start each event's line with the time it came, as virsh does (the JSON
    /// records carry their `time` always).
    #[arg(long)]
    pub timestamp: bool,
}

/// virsh net-event --list (libvirt 9.0's network event types).
const EVENT_TYPES: &[&str] = &["lifecycle"];

/// A network lifecycle event.
// Inline, so the `record` tag joins its properties in the stream's schema.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(inline)]
pub struct NetworkLifecycle {
    /// When it was received (RFC 3339, UTC).
    time: String,
    /// The network's name.
    network: String,
    uuid: String,
    /// defined, undefined, started or stopped.
    event: String,
}

/// One record of the `events` stream.
pub type NetworkEvent = EventRecord<NetworkLifecycle>;

impl Lifecycle for NetworkLifecycle {
    const TARGET: Target = Target::Networks;

    fn from_notice(notice: Notice, time: String) -> Option<(String, NetworkLifecycle)> {
        let Notice::Network { name, uuid, event } = notice else {
            return None;
        };
        let record = NetworkLifecycle {
            time,
            network: name.clone(),
            uuid,
            event: lifecycle_word(event).into(),
        };
        Some((name, record))
    }

    fn line(&self) -> String {
        let mut word = self.event.clone();
        word[..1].make_ascii_uppercase();
        format!("event 'lifecycle' for network {}: {word}\n", self.network)
    }
}

/// The JSON word for a network lifecycle event.
pub fn lifecycle_word(event: i32) -> &'static str {
    match event as u32 {
        sys::VIR_NETWORK_EVENT_DEFINED => "defined",
        sys::VIR_NETWORK_EVENT_UNDEFINED => "undefined",
        sys::VIR_NETWORK_EVENT_STARTED => "started",
        sys::VIR_NETWORK_EVENT_STOPPED => "stopped",
        _ => "unknown",
    }
}

impl Verb for Events {
    type Ctx = Session;
    type Output = EventOutput<NetworkEvent>;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<EventOutput<NetworkEvent>> {
        if self.list {
            return Ok(EventOutput::list(EVENT_TYPES));
        }
        let reconnect = !self.no_reconnect;
        let Some(event) = &self.event else {
            let streamed: Streamed<NetworkEvent> =
                libvirt_events::stream(ctx, self.name.as_deref(), &self.stream, reconnect, self.timestamp)?;
            return Ok(EventOutput::Streamed(streamed));
        };
        if !EVENT_TYPES.contains(&event.as_str()) {
            return Err(
                Error::invalid(format!("--event {}: unknown event type", quote(event)))
                    .with_hint("vnet-net events --list names them"),
            );
        }
        let mut limits = self.stream.clone();
        if !self.repeat && limits.count.is_none() {
            limits.count = Some(1);
        }
        EventOutput::received(libvirt_events::stream(
            ctx,
            self.name.as_deref(),
            &limits,
            reconnect,
            self.timestamp,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vnet_common::{Render, TextStyle};

    /// The records print as the verb's own enum printed them before both tools shared one.
    #[test]
    fn records_as_before() {
        let notice = Notice::Network {
            name: "n1".into(),
            uuid: "u".into(),
            event: sys::VIR_NETWORK_EVENT_STARTED as i32,
        };
        let (name, event) = NetworkLifecycle::from_notice(notice, "t".into()).unwrap();
        assert_eq!(name, "n1");
        let record = NetworkEvent::Lifecycle(event);
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            r#"{"record":"lifecycle","time":"t","network":"n1","uuid":"u","event":"started"}"#
        );
        assert_eq!(
            record.text(TextStyle::default()),
            "event 'lifecycle' for network n1: Started\n"
        );
        let back = NetworkEvent::Reconnected {
            time: "t".into(),
            after_secs: 1.5,
        };
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            r#"{"record":"reconnected","time":"t","after_secs":1.5}"#
        );
        assert_eq!(
            back.text(TextStyle::default()),
            "event 'reconnected': after 1.5 s\n"
        );
    }
}
