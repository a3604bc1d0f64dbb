//! pool-event, secret-event, nodedev-event and qemu-monitor-event: libvirt's lifecycle events
//! of storage pools, secrets and node devices, and QEMU's monitor events of domains, as NDJSON, on the event loop and stream the domain and network
//! `events` verbs share (vnet_common::libvirt_events), with virsh's one-shot default: without
//! --loop the stream ends after the first event, as virsh's does.

use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::is_uuid;
use vnet_common::libvirt::{LibvirtContext, Session};
pub use vnet_common::libvirt_events::EventOutput;
use vnet_common::libvirt_events::{self, EventRecord, Lifecycle, Notice, Target};
use vnet_common::stream::StreamArgs;
use vnet_common::{Error, Journal, Result, Verb};

/// What every one of these verbs takes besides its object filter.
#[derive(Debug, Clone, clap::Args)]
pub struct EventArgs {
    /// The event type: lifecycle (the only one vnet follows; refresh, value-changed and
    /// update are exit 7).
    #[arg(long, default_value = "lifecycle")]
    pub event: String,
    /// Go on after the first event, until --timeout, --count or a signal.
    #[arg(long = "loop")]
    pub repeat: bool,
    /// Print the event types virsh knows for this verb and wait for nothing.
    #[arg(long)]
    pub list: bool,
    /// -o text: start each event's line with the time it came, as virsh does (the JSON
    /// records carry their `time` always).
    #[arg(long)]
    pub timestamp: bool,
    #[command(flatten)]
    pub stream: StreamArgs,
}

impl EventArgs {
    /// The stream's limits: one event without --loop (unless --count says otherwise).
    fn limits(&self) -> Result<StreamArgs> {
        if self.event != "lifecycle" {
            return Err(
                Error::invalid(format!("--event {}: not followed by vnet-vm", quote(&self.event)))
                    .with_hint("--event lifecycle"),
            );
        }
        let mut limits = self.stream.clone();
        if !self.repeat && limits.count.is_none() {
            limits.count = Some(1);
        }
        Ok(limits)
    }
}

/// virsh's word for a lifecycle event ("Defined", "Started").
fn word(words: &[&'static str], event: i32) -> &'static str {
    usize::try_from(event)
        .ok()
        .and_then(|i| words.get(i).copied())
        .unwrap_or("unknown")
}

fn capital(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

const POOL_EVENTS: &[&str] = &["defined", "undefined", "started", "stopped", "created", "deleted"];
const SECRET_EVENTS: &[&str] = &["defined", "undefined"];
const NODEDEV_EVENTS: &[&str] = &["created", "deleted", "defined", "undefined"];

/// A storage pool lifecycle event.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(inline)]
pub struct PoolLifecycle {
    /// When it was received (RFC 3339, UTC).
    time: String,
    pool: String,
    uuid: String,
    /// defined, undefined, started, stopped, created, deleted.
    event: String,
}

impl Lifecycle for PoolLifecycle {
    const TARGET: Target = Target::Pools;

    fn from_notice(notice: Notice, time: String) -> Option<(String, PoolLifecycle)> {
        let Notice::Pool { name, uuid, event } = notice else {
            return None;
        };
        let event = word(POOL_EVENTS, event).into();
        Some((
            name.clone(),
            PoolLifecycle {
                time,
                pool: name,
                uuid,
                event,
            },
        ))
    }

    fn line(&self) -> String {
        format!(
            "event 'lifecycle' for storage pool {}: {}\n",
            self.pool,
            capital(&self.event)
        )
    }
}

/// Stream storage pool lifecycle events as NDJSON (virsh pool-event --event lifecycle [--pool
/// POOL] [--loop] [--timeout SECS]).
///
/// Without --loop the stream ends after the first event, as virsh's does; with it, at --timeout,
/// --count, a closed stdout or a signal; as virsh, exit 1 when no event came before the end
/// (else 0). --list prints virsh's event types for the verb. --pool (name or UUID, looked up first: none is
/// exit 3) keeps that pool's events. A lost daemon ends the stream with exit 6. -o text prints
/// virsh's lines, after the time each came with --timestamp (as virsh).
#[derive(Debug, clap::Args)]
pub struct PoolEvent {
    /// Only this pool's events (name or UUID).
    #[arg(long)]
    pub pool: Option<String>,
    #[command(flatten)]
    pub args: EventArgs,
}

impl Verb for PoolEvent {
    type Ctx = Session;
    type Output = EventOutput<EventRecord<PoolLifecycle>>;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Self::Output> {
        if self.args.list {
            return Ok(EventOutput::list(&["lifecycle", "refresh"]));
        }
        let limits = self.args.limits()?;
        let only = match &self.pool {
            Some(pool) => {
                let found = vnet_common::libvirt::lookup::pool(ctx.conn()?, pool)?;
                Some(found.get_name().libvirt("storage pool name")?)
            }
            None => None,
        };
        EventOutput::received(libvirt_events::stream(
            ctx,
            only.as_deref(),
            &limits,
            false,
            self.args.timestamp,
        )?)
    }
}

/// A secret lifecycle event.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(inline)]
pub struct SecretLifecycle {
    /// When it was received (RFC 3339, UTC).
    time: String,
    /// The secret's UUID.
    secret: String,
    /// defined or undefined.
    event: String,
}

impl Lifecycle for SecretLifecycle {
    const TARGET: Target = Target::Secrets;

    fn from_notice(notice: Notice, time: String) -> Option<(String, SecretLifecycle)> {
        let Notice::Secret { uuid, event } = notice else {
            return None;
        };
        let event = word(SECRET_EVENTS, event).into();
        Some((
            uuid.clone(),
            SecretLifecycle {
                time,
                secret: uuid,
                event,
            },
        ))
    }

    fn line(&self) -> String {
        format!(
            "event 'lifecycle' for secret {}: {}\n",
            self.secret,
            capital(&self.event)
        )
    }
}

/// Stream secret lifecycle events as NDJSON (virsh secret-event --event lifecycle [--secret
/// UUID] [--loop] [--timeout SECS]); as pool-event. --secret must be a UUID (exit 7 else).
#[derive(Debug, clap::Args)]
pub struct SecretEvent {
    /// Only this secret's events (its UUID).
    #[arg(long)]
    pub secret: Option<String>,
    #[command(flatten)]
    pub args: EventArgs,
}

impl Verb for SecretEvent {
    type Ctx = Session;
    type Output = EventOutput<EventRecord<SecretLifecycle>>;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Self::Output> {
        if self.args.list {
            return Ok(EventOutput::list(&["lifecycle", "value-changed"]));
        }
        let limits = self.args.limits()?;
        if let Some(uuid) = self.secret.as_deref().filter(|u| !is_uuid(u)) {
            return Err(Error::invalid(format!("--secret {}: not a UUID", quote(uuid))));
        }
        let only = self.secret.map(|u| u.trim().to_ascii_lowercase());
        EventOutput::received(libvirt_events::stream(
            ctx,
            only.as_deref(),
            &limits,
            false,
            self.args.timestamp,
        )?)
    }
}

/// A node device lifecycle event.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(inline)]
pub struct NodedevLifecycle {
    /// When it was received (RFC 3339, UTC).
    time: String,
    device: String,
    /// created, deleted, defined or undefined.
    event: String,
}

impl Lifecycle for NodedevLifecycle {
    const TARGET: Target = Target::NodeDevices;

    fn from_notice(notice: Notice, time: String) -> Option<(String, NodedevLifecycle)> {
        let Notice::NodeDevice { name, event } = notice else {
            return None;
        };
        let event = word(NODEDEV_EVENTS, event).into();
        Some((
            name.clone(),
            NodedevLifecycle {
                time,
                device: name,
                event,
            },
        ))
    }

    fn line(&self) -> String {
        format!(
            "event 'lifecycle' for node device {}: {}\n",
            self.device,
            capital(&self.event)
        )
    }
}

/// Stream node device lifecycle events as NDJSON (virsh nodedev-event --event lifecycle
/// [--device NAME] [--loop] [--timeout SECS]); as pool-event.
#[derive(Debug, clap::Args)]
pub struct NodedevEvent {
    /// Only this device's events (it need not exist yet).
    #[arg(long)]
    pub device: Option<String>,
    #[command(flatten)]
    pub args: EventArgs,
}

impl Verb for NodedevEvent {
    type Ctx = Session;
    type Output = EventOutput<EventRecord<NodedevLifecycle>>;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Self::Output> {
        if self.args.list {
            return Ok(EventOutput::list(&["lifecycle", "update"]));
        }
        let limits = self.args.limits()?;
        EventOutput::received(libvirt_events::stream(
            ctx,
            self.device.as_deref(),
            &limits,
            false,
            self.args.timestamp,
        )?)
    }
}

/// A QEMU monitor event of a domain.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(inline)]
pub struct QemuMonitorLifecycle {
    /// When it was received (RFC 3339, UTC).
    time: String,
    domain: String,
    /// QEMU's event name (STOP, RESUME, SHUTDOWN...).
    event: String,
    /// When QEMU sent it: seconds and microseconds since the epoch.
    seconds: i64,
    micros: u32,
    /// QEMU's JSON details, as QEMU sent them; null for none.
    details: Option<String>,
}

thread_local! {
    /// qemu-monitor-event's --event filter for the stream on this thread: (name, --no-case).
    static QEMU_EVENT: std::cell::RefCell<Option<(String, bool)>> = const { std::cell::RefCell::new(None) };
}

fn wanted(event: &str) -> bool {
    QEMU_EVENT.with(|f| match &*f.borrow() {
        None => true,
        Some((name, false)) => name == event,
        Some((name, true)) => name.eq_ignore_ascii_case(event),
    })
}

impl Lifecycle for QemuMonitorLifecycle {
    const TARGET: Target = Target::QemuMonitor;

    fn from_notice(notice: Notice, time: String) -> Option<(String, QemuMonitorLifecycle)> {
        let Notice::QemuMonitor {
            domain,
            event,
            seconds,
            micros,
            details,
        } = notice
        else {
            return None;
        };
        if !wanted(&event) {
            return None;
        }
        let record = QemuMonitorLifecycle {
            time,
            domain: domain.clone(),
            event,
            seconds,
            micros,
            details,
        };
        Some((domain, record))
    }

    fn line(&self) -> String {
        let details = self.details.as_deref().unwrap_or("<null>");
        format!(
            "event {} at {}.{:06} for domain '{}': {details}\n",
            self.event, self.seconds, self.micros, self.domain
        )
    }
}

/// Stream a domain's QEMU monitor events as NDJSON (virsh qemu-monitor-event [--domain VM]
/// [--event NAME [--no-case]] [--loop] [--timeout SECS]).
///
/// Without --loop the stream ends after the first event, as virsh's does (exit 1 when none came
/// before --timeout or a signal, as virsh). --domain (name, ID or
/// UUID, looked up first: none is exit 3) keeps that domain's events, --event those of that
/// name (--no-case: in any case). virsh's --regex, --pretty and --timestamp are exit 7.
#[derive(Debug, clap::Args)]
pub struct QemuMonitorEvent {
    /// Only this domain's events (name, ID or UUID).
    #[arg(long)]
    pub domain: Option<String>,
    /// Only events of this name (STOP, RESUME...).
    #[arg(long)]
    pub event: Option<String>,
    /// Match --event in any case.
    #[arg(long)]
    pub no_case: bool,
    /// Go on after the first event, until --timeout, --count or a signal.
    #[arg(long = "loop")]
    pub repeat: bool,
    #[command(flatten)]
    pub stream: StreamArgs,
}

impl Verb for QemuMonitorEvent {
    type Ctx = Session;
    type Output = EventOutput<EventRecord<QemuMonitorLifecycle>>;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Self::Output> {
        let limits = EventArgs {
            event: "lifecycle".into(),
            repeat: self.repeat,
            list: false,
            timestamp: false,
            stream: self.stream,
        }
        .limits()?;
        let only = match &self.domain {
            Some(key) => {
                let dom = vnet_common::libvirt::lookup::domain(ctx.conn()?, key)?;
                Some(dom.get_name().libvirt("domain name")?)
            }
            None => None,
        };
        QEMU_EVENT.with(|f| *f.borrow_mut() = self.event.map(|e| (e, self.no_case)));
        EventOutput::received(libvirt_events::stream(
            ctx,
            only.as_deref(),
            &limits,
            false,
            false,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use virt::sys;
    use vnet_common::stream::Streamed;
    use vnet_common::{Render, TextStyle};

    #[test]
    fn records_and_lines_as_virsh_prints_them() {
        let notice = Notice::Pool {
            name: "pp".into(),
            uuid: "u".into(),
            event: sys::VIR_STORAGE_POOL_EVENT_STARTED as i32,
        };
        let (name, event) = PoolLifecycle::from_notice(notice, "t".into()).unwrap();
        assert_eq!(name, "pp");
        let record = EventRecord::Lifecycle(event);
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            r#"{"record":"lifecycle","time":"t","pool":"pp","uuid":"u","event":"started"}"#
        );
        assert_eq!(
            record.text(TextStyle::default()),
            "event 'lifecycle' for storage pool pp: Started\n"
        );
        let secret = Notice::Secret {
            uuid: "s".into(),
            event: 1,
        };
        let (_, event) = SecretLifecycle::from_notice(secret, "t".into()).unwrap();
        assert_eq!(event.line(), "event 'lifecycle' for secret s: Undefined\n");
        let other = Notice::NodeDevice {
            name: "d".into(),
            event: 0,
        };
        assert!(PoolLifecycle::from_notice(other, "t".into()).is_none());
    }

    #[test]
    fn one_event_without_loop() {
        let args = EventArgs {
            event: "lifecycle".into(),
            repeat: false,
            list: false,
            timestamp: false,
            stream: StreamArgs {
                count: None,
                timeout: None,
            },
        };
        assert_eq!(args.limits().unwrap().count, Some(1));
        let refresh = EventArgs {
            event: "refresh".into(),
            ..args.clone()
        };
        assert_eq!(refresh.limits().unwrap_err().exit_code(), 7);
        let looped = EventArgs { repeat: true, ..args };
        assert_eq!(looped.limits().unwrap().count, None);
    }

    /// --list prints virsh's layout; a wait that saw nothing is exit 1, as virsh's.
    #[test]
    fn lists_and_empty_waits_as_virsh() {
        let list = EventOutput::<EventRecord<PoolLifecycle>>::list(&["lifecycle", "refresh"]);
        assert_eq!(list.text(TextStyle::default()), "lifecycle\nrefresh\n\n");
        assert!(!list.streamed());
        let none = EventOutput::<EventRecord<PoolLifecycle>>::received(Streamed::new(0));
        assert_eq!(none.err().map(|e| e.exit_code()), Some(1));
        let one = EventOutput::<EventRecord<PoolLifecycle>>::received(Streamed::new(1)).unwrap();
        assert!(one.streamed());
    }
}
