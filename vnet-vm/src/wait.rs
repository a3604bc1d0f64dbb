//! `wait`: until a domain reaches a state, has an address, or is gone, driven by libvirt's
//! domain lifecycle events (no sleep loop): it subscribes first and reads the domain after, so a
//! condition that already holds returns at once and no change between the two is lost.

use crate::devices::addrs::Lease;
use crate::devices::addrs::{first_ipv4, Source};
use crate::domains::lookup::state_name;
use schemars::JsonSchema;
use serde::Serialize;
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::time::{Duration, Instant};
use virt::connect::Connect;
use virt::sys;
use vnet_common::libvirt::Session;
use vnet_common::libvirt_events::{Notice, Subscription, Target};
use vnet_common::stream::{catch_stop_signals, now, parse_secs, stop_signal, TICK};
use vnet_common::{signals, Error, ErrorKind, Journal, Render, Result, TextStyle, Verb};

/// Wait until a domain is in a state, has an address, or is gone (replaces `while virsh domstate
/// VM | grep -q running; do sleep 1; done` and `until virsh domifaddr VM | grep -q ipv4; do sleep
/// 5; done`).
///
/// Driven by libvirt's domain lifecycle events: the wait subscribes first, then reads the domain,
/// so a condition that already holds returns at once. --ip has no libvirt event to wait on (libvirt
/// sends none for DHCP leases or ARP entries): it looks at the addresses on every lifecycle event
/// and every 500 ms. With --timeout, a condition not met in time is exit 1 naming what was last
/// seen; nothing is changed either way. SIGINT/SIGTERM end the wait with 128+N. A domain that does
/// not exist is exit 3 (except for --gone, which then holds at once).
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("until").required(true).args(["state", "ip", "gone"])))]
pub struct Wait {
    /// The domain.
    pub name: String,
    /// Until the domain is in this state (virsh domstate's words, with a dash).
    #[arg(long, value_enum)]
    pub state: Option<WantState>,
    /// Until the domain has an IPv4 address (from --source; default: the DHCP lease for a guest
    /// on a libvirt network, else any source: lease, then ARP).
    #[arg(long)]
    pub ip: bool,
    /// Until the domain is undefined (and not running).
    #[arg(long)]
    pub gone: bool,
    /// With --ip: where to look for the address.
    #[arg(long, value_enum)]
    pub source: Option<Source>,
    /// Give up after SECS seconds (fractions allowed): exit 1 with what was last seen.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: Option<f64>,
}

/// A domain state to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WantState {
    Running,
    #[value(alias = "blocked")]
    Idle,
    Paused,
    #[value(alias = "shutdown")]
    InShutdown,
    #[value(alias = "shutoff")]
    ShutOff,
    Crashed,
    Pmsuspended,
}

impl WantState {
    /// virsh's word for the state.
    pub fn word(self) -> &'static str {
        state_name(match self {
            WantState::Running => sys::VIR_DOMAIN_RUNNING,
            WantState::Idle => sys::VIR_DOMAIN_BLOCKED,
            WantState::Paused => sys::VIR_DOMAIN_PAUSED,
            WantState::InShutdown => sys::VIR_DOMAIN_SHUTDOWN,
            WantState::ShutOff => sys::VIR_DOMAIN_SHUTOFF,
            WantState::Crashed => sys::VIR_DOMAIN_CRASHED,
            WantState::Pmsuspended => sys::VIR_DOMAIN_PMSUSPENDED,
        })
    }
}

/// What `wait` saw when its condition held.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Waited {
    /// The domain.
    pub name: String,
    /// The condition waited for: "state", "ip" or "gone".
    pub condition: String,
    /// With --state: the state waited for (virsh's word, e.g. "shut off").
    pub wanted: Option<String>,
    /// The domain's state when the condition held (virsh's word), "gone" when undefined.
    pub state: String,
    /// With --ip: the address found, as domifaddr prints it (with its source).
    pub address: Option<Lease>,
    /// When the condition was seen to hold (RFC 3339, UTC).
    pub met_at: String,
    /// Seconds from the start of the wait to then (0 when it held already).
    pub elapsed_secs: f64,
    /// True when the condition held when the wait started.
    pub immediate: bool,
}

impl Render for Waited {
    /// The address (--ip) or the state, one line.
    fn text(&self, _style: TextStyle) -> String {
        match &self.address {
            Some(address) => format!("{}\n", address.address),
            None => format!("{}\n", self.state),
        }
    }
}

/// The domain as last seen.
struct Seen {
    state: String,
    address: Option<Lease>,
}

impl Wait {
    fn condition(&self) -> &'static str {
        if self.ip {
            "ip"
        } else if self.gone {
            "gone"
        } else {
            "state"
        }
    }

    fn look(&self, conn: &Connect) -> Result<Seen> {
        // By name, ID or UUID as virsh names a domain (an ID is gone once the domain stops).
        let Some(dom) = vnet_common::libvirt::lookup::find_domain(conn, &self.name)? else {
            return Ok(Seen {
                state: "gone".into(),
                address: None,
            });
        };
        let state = dom.get_state().map(|(s, _)| state_name(s)).unwrap_or("no state");
        let address = if self.ip && dom.is_active().unwrap_or(false) {
            // A lease file being rewritten can fail a read: the next look tries again.
            let source = self
                .source
                .unwrap_or_else(|| crate::devices::iface::default_ip_source(&dom));
            first_ipv4(&dom, source).unwrap_or(None)
        } else {
            None
        };
        Ok(Seen {
            state: state.to_string(),
            address,
        })
    }

    fn met(&self, seen: &Seen) -> bool {
        if self.ip {
            seen.address.is_some()
        } else if self.gone {
            seen.state == "gone"
        } else {
            self.state.is_some_and(|s| s.word() == seen.state)
        }
    }

    fn not_met(&self, seen: &Seen, secs: f64) -> Error {
        let what = match (self.ip, self.gone, self.state) {
            (true, _, _) => "no IPv4 address".to_string(),
            (_, true, _) => "not gone".to_string(),
            (_, _, Some(s)) => format!("not '{}'", s.word()),
            _ => String::new(),
        };
        Error::failed(format!(
            "domain {}: {what} after {secs} s; last seen: {}; nothing was changed",
            vnet_common::error::quote(&self.name),
            seen.state
        ))
    }
}

impl Verb for Wait {
    type Ctx = Session;
    type Output = Waited;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Waited> {
        catch_stop_signals();
        let started = Instant::now();
        let deadline = self.timeout.map(|s| started + Duration::from_secs_f64(s));
        let (tx, rx) = channel();
        // Subscribe first, then look: nothing that happens in between is lost.
        let subscription = Subscription::open(ctx, Target::Domains, &tx)?;
        let conn = subscription.conn();
        let mut seen = self.look(conn)?;
        if seen.state == "gone" && !self.gone {
            return Err(Error::not_found(format!(
                "domain {} not found",
                vnet_common::error::quote(&self.name)
            )));
        }
        let immediate = self.met(&seen);
        let poll = Duration::from_millis(500);
        let mut next_look = Instant::now() + poll;
        while !self.met(&seen) {
            if let Some(signal) = stop_signal() {
                return Err(signals::interrupted(signal));
            }
            let now_ = Instant::now();
            if deadline.is_some_and(|d| now_ >= d) {
                return Err(self.not_met(&seen, self.timeout.unwrap_or_default()));
            }
            let mut wait = TICK;
            if let Some(d) = deadline {
                wait = wait.min(d.saturating_duration_since(now_));
            }
            match rx.recv_timeout(wait) {
                Ok(Notice::Domain { name, .. }) if name == self.name => seen = self.look(conn)?,
                Ok(Notice::Closed { reason }) => {
                    return Err(Error::new(
                        ErrorKind::Unavailable,
                        format!("connection to libvirt lost ({reason}) while waiting"),
                    ))
                }
                Ok(_) | Err(RecvTimeoutError::Timeout) => {
                    // --ip only: leases and ARP entries come without an event.
                    if self.ip && Instant::now() >= next_look {
                        seen = self.look(conn)?;
                        next_look = Instant::now() + poll;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        Ok(Waited {
            name: self.name.clone(),
            condition: self.condition().to_string(),
            wanted: self.state.map(|s| s.word().to_string()),
            state: seen.state,
            address: seen.address,
            met_at: now(),
            elapsed_secs: if immediate {
                0.0
            } else {
                (elapsed * 1000.0).round() / 1000.0
            },
            immediate,
        })
    }
}
