//! `events`: libvirt's network lifecycle events as NDJSON (virsh net-event --loop).

use schemars::JsonSchema;
use serde::Serialize;
use virt::sys;
use vnet_common::libvirt::Session;
use vnet_common::libvirt_events::{follow, Notice, Target};
use vnet_common::stream::{now, Stream, StreamArgs, Streamed};
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

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
#[derive(Debug, clap::Args)]
pub struct Events {
    /// Only this network's events.
    pub name: Option<String>,
    #[command(flatten)]
    pub stream: StreamArgs,
    /// When the connection to the daemon is lost, end with exit 6 instead of reconnecting.
    #[arg(long)]
    pub no_reconnect: bool,
}

/// One record of the `events` stream.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum NetworkEvent {
    /// A network lifecycle event.
    Lifecycle {
        /// When it was received (RFC 3339, UTC).
        time: String,
        /// The network's name.
        network: String,
        uuid: String,
        /// defined, undefined, started or stopped.
        event: String,
    },
    /// The connection to the daemon was lost (not counted by --count).
    Disconnected {
        time: String,
        /// eof, keepalive, error or client.
        reason: String,
    },
    /// Connected again after a loss (not counted by --count).
    Reconnected {
        time: String,
        /// Seconds the stream was without a connection.
        after_secs: f64,
    },
}

impl Render for NetworkEvent {
    fn text(&self, _style: TextStyle) -> String {
        match self {
            NetworkEvent::Lifecycle { network, event, .. } => {
                let mut word = event.clone();
                word[..1].make_ascii_uppercase();
                format!("event 'lifecycle' for network {network}: {word}\n")
            }
            NetworkEvent::Disconnected { reason, .. } => format!("event 'disconnected': {reason}\n"),
            NetworkEvent::Reconnected { after_secs, .. } => {
                format!("event 'reconnected': after {after_secs:.1} s\n")
            }
        }
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
    type Output = Streamed<NetworkEvent>;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Streamed<NetworkEvent>> {
        let mut stream = Stream::start(&self.stream);
        let only = self.name.clone();
        follow(
            ctx.uri(),
            Target::Networks,
            !self.no_reconnect,
            &mut stream,
            |stream, notice| match notice {
                Notice::Network { name, uuid, event } => {
                    if only.as_ref().is_some_and(|o| *o != name) {
                        return;
                    }
                    stream.event(&NetworkEvent::Lifecycle {
                        time: now(),
                        network: name,
                        uuid,
                        event: lifecycle_word(event).into(),
                    });
                }
                Notice::Closed { reason } => stream.notice(&NetworkEvent::Disconnected {
                    time: now(),
                    reason: reason.into(),
                }),
                Notice::Reconnected { after_secs } => stream.notice(&NetworkEvent::Reconnected {
                    time: now(),
                    after_secs: (after_secs * 10.0).round() / 10.0,
                }),
                Notice::Domain { .. } => {}
            },
        )?;
        Ok(Streamed::new(stream.printed))
    }
}
