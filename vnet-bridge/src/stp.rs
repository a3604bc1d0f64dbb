//! stp, set* and hairpin: one bridge or port attribute each, set with RTM_NEWLINK (as
//! `ip link set ... type bridge|bridge_slave` does). Every value is checked against exactly the
//! limits the kernel enforces before anything is touched (exit 7); each change is recorded in the
//! journal with the old value, so `--batch --atomic` can put it back.

use crate::blocking::{set_bridge_attr, set_port};
use crate::kernel::{bridge_message, PortSetting};
use crate::model::{br_attr, port_attr, port_hairpin, stp_enabled, Links};
use crate::{Ctx, Here};
use netlink_packet_route::link::{BridgeStpState, InfoBridge, LinkMessage};
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::netlink::RouteSocket;
use vnet_common::{Error, Journal, Render, Result, Verb};

/// A bridge timer brctl sets, in centiseconds (the kernel's clock_t) on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    Ageing,
    ForwardDelay,
    Hello,
    MaxAge,
}

impl Timer {
    pub fn verb(self) -> &'static str {
        match self {
            Timer::Ageing => "setageing",
            Timer::ForwardDelay => "setfd",
            Timer::Hello => "sethello",
            Timer::MaxAge => "setmaxage",
        }
    }

    /// The JSON field (and the name in messages).
    pub fn field(self) -> &'static str {
        match self {
            Timer::Ageing => "ageing_time",
            Timer::ForwardDelay => "forward_delay",
            Timer::Hello => "hello_time",
            Timer::MaxAge => "max_age",
        }
    }

    /// The limits in centiseconds, as net/bridge enforces them: hello time 1..10 s and max age
    /// 6..40 s always (ERANGE otherwise); the forward delay 2..30 s only while STP is on, any
    /// value while it is off. The ageing time has no kernel limit; brctl's 0..1000000 s is kept.
    pub fn limits(self, stp_on: bool) -> (u32, u32) {
        match self {
            Timer::Ageing => (0, 100_000_000),
            Timer::ForwardDelay if stp_on => (200, 3000),
            Timer::ForwardDelay => (0, u32::MAX),
            Timer::Hello => (100, 1000),
            Timer::MaxAge => (600, 4000),
        }
    }

    fn read(self, bridge: &LinkMessage) -> u32 {
        match self {
            Timer::Ageing => br_attr!(bridge, AgeingTime),
            Timer::ForwardDelay => br_attr!(bridge, ForwardDelay),
            Timer::Hello => br_attr!(bridge, HelloTime),
            Timer::MaxAge => br_attr!(bridge, MaxAge),
        }
    }

    fn attr(self, centis: u32) -> InfoBridge {
        match self {
            Timer::Ageing => InfoBridge::AgeingTime(centis),
            Timer::ForwardDelay => InfoBridge::ForwardDelay(centis),
            Timer::Hello => InfoBridge::HelloTime(centis),
            Timer::MaxAge => InfoBridge::MaxAge(centis),
        }
    }

    /// The limits as a message says them: "2..30 seconds while STP is on".
    fn describe_limits(self, stp_on: bool) -> String {
        let (min, max) = self.limits(stp_on);
        let range = format!("{}..{} seconds", min as f64 / 100.0, max as f64 / 100.0);
        match (self, stp_on) {
            (Timer::ForwardDelay, true) => format!("{range} while STP is on"),
            (Timer::ForwardDelay, false) => format!("{range} while STP is off"),
            _ => range,
        }
    }

    /// Checks a value (centiseconds, from [`parse_seconds`]) against the limits in force.
    pub fn check(self, centis: f64, stp_on: bool, text: &str) -> Result<u32> {
        let (min, max) = self.limits(stp_on);
        if centis < min as f64 || centis > max as f64 {
            return Err(Error::invalid(format!(
                "{} {text} out of range: the kernel accepts {}",
                self.field(),
                self.describe_limits(stp_on)
            )));
        }
        Ok(centis as u32)
    }
}

/// Seconds as brctl takes them ("15", "2.5"), in whole centiseconds; anything else is exit 7.
pub fn parse_seconds(timer: Timer, text: &str) -> Result<f64> {
    let bad = || {
        Error::invalid(format!(
            "invalid {} '{text}': expected a number of seconds, like 15 or 2.5",
            timer.field()
        ))
    };
    let secs: f64 = text.trim().parse().map_err(|_| bad())?;
    if !secs.is_finite() {
        return Err(bad());
    }
    Ok((secs * 100.0).round())
}

/// A whole number within `min..=max`, for priorities and costs.
pub fn parse_number(what: &str, text: &str, min: u32, max: u32) -> Result<u32> {
    let value: u32 = text
        .parse()
        .map_err(|_| Error::invalid(format!("invalid {what} '{text}': expected a number {min}..{max}")))?;
    if value < min || value > max {
        return Err(Error::invalid(format!(
            "{what} {text} out of range: the kernel accepts {min}..{max}"
        )));
    }
    Ok(value)
}

/// on|off, also yes|no and 1|0 as brctl takes them.
pub fn parse_on_off(text: &str) -> Result<bool> {
    match text {
        "on" | "yes" | "1" => Ok(true),
        "off" | "no" | "0" => Ok(false),
        _ => Err(Error::invalid(format!(
            "invalid state '{text}': expected on or off"
        ))),
    }
}

/// Turn the spanning tree protocol on or off (brctl stp).
///
/// Turning STP on makes the kernel bring the forward delay into 2..30 seconds (a delay of 0
/// becomes 2); undoing it (--batch --atomic) puts the old delay back.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Stp {
    /// The bridge.
    bridge: String,
    /// on|off (also yes|no, 1|0, as brctl).
    #[arg(value_name = "on|off")]
    state: String,
}

/// The bridge's STP switch after stp.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StpSet {
    /// The bridge.
    pub bridge: String,
    /// Whether STP is on now.
    pub stp: bool,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for StpSet {}

impl Verb for Stp {
    type Ctx = Ctx;
    type Output = StpSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<StpSet> {
        let on = parse_on_off(&self.state)?;
        let what = format!("set STP on bridge '{}'", self.bridge);
        let changed = ctx
            .here()
            .and_then(|mut at| switch_stp(&mut at, journal, &self.bridge, on))
            .map_err(|e| e.context(what))?;
        Ok(StpSet {
            bridge: self.bridge,
            stp: on,
            changed,
        })
    }
}

fn switch_stp(at: &mut Here<'_>, journal: &mut Journal, bridge: &str, on: bool) -> Result<bool> {
    let links = Links::named_now(at.socket, &[bridge])?;
    let br = links.bridge(bridge, at.ns)?;
    if stp_enabled(br) == on {
        return Ok(false);
    }
    let state = |on| {
        InfoBridge::StpState(if on {
            BridgeStpState::KernelStp
        } else {
            BridgeStpState::Disabled
        })
    };
    let (index, delay) = (br.header.index, Timer::ForwardDelay.read(br));
    at.socket.change_link(bridge_message(index, state(on)))?;
    let ns = at.ns.map(str::to_string);
    let what = format!("turn {} STP of bridge '{bridge}'", if on { "on" } else { "off" });
    journal.record_fn(what, move || {
        let mut socket = RouteSocket::open(ns.as_deref())?;
        socket.change_link(bridge_message(index, state(!on)))?;
        // The kernel may have moved the delay into 2..30 s when STP went on: put it back.
        match on {
            true => socket.change_link(bridge_message(index, Timer::ForwardDelay.attr(delay))),
            false => Ok(()),
        }
    })?;
    Ok(true)
}

/// Sets a bridge timer from its verb's SECS: returns the value set, in seconds, and whether it
/// changed anything.
fn set_timer(
    ctx: &mut Ctx,
    journal: &mut Journal,
    timer: Timer,
    bridge: &str,
    text: &str,
) -> Result<(f64, bool)> {
    let wanted = parse_seconds(timer, text)?;
    let what = format!("{} on bridge '{bridge}'", timer.verb());
    let step = what.clone();
    let result = ctx.here().and_then(|mut at| {
        let links = Links::named_now(at.socket, &[bridge])?;
        let br = links.bridge(bridge, at.ns)?;
        let centis = timer.check(wanted, stp_enabled(br), text)?;
        let current = timer.read(br);
        if current != centis {
            let change = (timer.attr(current), timer.attr(centis));
            set_bridge_attr(&mut at, journal, step, br.header.index, change)?;
        }
        Ok((centis as f64 / 100.0, current != centis))
    });
    result.map_err(|e| e.context(what))
}

/// Set the MAC address ageing time in seconds, 0..1000000 (brctl setageing).
///
/// Out of range: exit 7, nothing changed.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setageing {
    /// The bridge.
    bridge: String,
    /// Seconds, fractions allowed (2.5).
    #[arg(value_name = "SECS", allow_hyphen_values = true)]
    seconds: String,
}

/// The bridge's ageing time after setageing.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AgeingSet {
    /// The bridge.
    pub bridge: String,
    /// The ageing time now, in seconds.
    pub ageing_time: f64,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for AgeingSet {}

impl Verb for Setageing {
    type Ctx = Ctx;
    type Output = AgeingSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<AgeingSet> {
        let (ageing_time, changed) = set_timer(ctx, journal, Timer::Ageing, &self.bridge, &self.seconds)?;
        Ok(AgeingSet {
            bridge: self.bridge,
            ageing_time,
            changed,
        })
    }
}

/// Set the forward delay in seconds (brctl setfd).
///
/// The kernel's limits: any value (0 included) while STP is off, 2..30 while STP is on; turning
/// STP on later raises a delay under 2 to 2 (and lowers one over 30 to 30). Out of range: exit 7,
/// nothing changed.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setfd {
    /// The bridge.
    bridge: String,
    /// Seconds, fractions allowed (2.5).
    #[arg(value_name = "SECS", allow_hyphen_values = true)]
    seconds: String,
}

/// The bridge's forward delay after setfd.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ForwardDelaySet {
    /// The bridge.
    pub bridge: String,
    /// The forward delay now, in seconds.
    pub forward_delay: f64,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for ForwardDelaySet {}

impl Verb for Setfd {
    type Ctx = Ctx;
    type Output = ForwardDelaySet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<ForwardDelaySet> {
        let (forward_delay, changed) =
            set_timer(ctx, journal, Timer::ForwardDelay, &self.bridge, &self.seconds)?;
        Ok(ForwardDelaySet {
            bridge: self.bridge,
            forward_delay,
            changed,
        })
    }
}

/// Set the hello time in seconds, 1..10 (brctl sethello).
///
/// Out of range: exit 7, nothing changed.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Sethello {
    /// The bridge.
    bridge: String,
    /// Seconds, fractions allowed (2.5).
    #[arg(value_name = "SECS", allow_hyphen_values = true)]
    seconds: String,
}

/// The bridge's hello time after sethello.
#[derive(Debug, Serialize, JsonSchema)]
pub struct HelloTimeSet {
    /// The bridge.
    pub bridge: String,
    /// The hello time now, in seconds.
    pub hello_time: f64,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for HelloTimeSet {}

impl Verb for Sethello {
    type Ctx = Ctx;
    type Output = HelloTimeSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<HelloTimeSet> {
        let (hello_time, changed) = set_timer(ctx, journal, Timer::Hello, &self.bridge, &self.seconds)?;
        Ok(HelloTimeSet {
            bridge: self.bridge,
            hello_time,
            changed,
        })
    }
}

/// Set the maximum message age in seconds, 6..40 (brctl setmaxage).
///
/// Out of range: exit 7, nothing changed.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setmaxage {
    /// The bridge.
    bridge: String,
    /// Seconds, fractions allowed (2.5).
    #[arg(value_name = "SECS", allow_hyphen_values = true)]
    seconds: String,
}

/// The bridge's maximum message age after setmaxage.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MaxAgeSet {
    /// The bridge.
    pub bridge: String,
    /// The maximum message age now, in seconds.
    pub max_age: f64,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for MaxAgeSet {}

impl Verb for Setmaxage {
    type Ctx = Ctx;
    type Output = MaxAgeSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<MaxAgeSet> {
        let (max_age, changed) = set_timer(ctx, journal, Timer::MaxAge, &self.bridge, &self.seconds)?;
        Ok(MaxAgeSet {
            bridge: self.bridge,
            max_age,
            changed,
        })
    }
}

/// Set the bridge priority, 0..65535 (brctl setbridgeprio).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setbridgeprio {
    /// The bridge.
    bridge: String,
    /// The priority.
    #[arg(value_name = "PRIO", allow_hyphen_values = true)]
    priority: String,
}

/// The bridge's priority after setbridgeprio.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BridgePrioritySet {
    /// The bridge.
    pub bridge: String,
    /// The bridge priority now.
    pub priority: u16,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for BridgePrioritySet {}

impl Verb for Setbridgeprio {
    type Ctx = Ctx;
    type Output = BridgePrioritySet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<BridgePrioritySet> {
        let priority = parse_number("bridge priority", &self.priority, 0, 65535)? as u16;
        let what = format!("set priority of bridge '{}'", self.bridge);
        let step = what.clone();
        let bridge = &self.bridge;
        let changed = ctx.here().and_then(|mut at| {
            let links = Links::named_now(at.socket, &[bridge])?;
            let br = links.bridge(bridge, at.ns)?;
            let current: u16 = br_attr!(br, Priority);
            if current != priority {
                let change = (InfoBridge::Priority(current), InfoBridge::Priority(priority));
                set_bridge_attr(&mut at, journal, step, br.header.index, change)?;
            }
            Ok(current != priority)
        });
        Ok(BridgePrioritySet {
            changed: changed.map_err(|e| e.context(what))?,
            bridge: self.bridge,
            priority,
        })
    }
}

/// Changes one setting of `port` on `bridge` to `wanted` unless `current` already reads so.
fn set_port_setting(
    ctx: &mut Ctx,
    journal: &mut Journal,
    (bridge, port): (&str, &str),
    what: String,
    wanted: PortSetting,
    current: fn(&LinkMessage) -> PortSetting,
) -> Result<bool> {
    let step = what.clone();
    let result = ctx.here().and_then(|mut at| {
        let links = Links::named_now(at.socket, &[bridge, port])?;
        let br = links.bridge(bridge, at.ns)?;
        let link = links.port(br, port, at.ns)?;
        let old = current(link);
        if old != wanted {
            set_port(&mut at, journal, step, link.header.index, (old, wanted))?;
        }
        Ok(old != wanted)
    });
    result.map_err(|e| e.context(what))
}

/// Set a port's path cost, 1..65535 (brctl setpathcost).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setpathcost {
    /// The bridge.
    bridge: String,
    /// The port: an interface of the bridge.
    port: String,
    /// The path cost.
    #[arg(value_name = "COST", allow_hyphen_values = true)]
    cost: String,
}

/// The port's path cost after setpathcost.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PathCostSet {
    /// The bridge.
    pub bridge: String,
    /// The port.
    pub port: String,
    /// The port's path cost now.
    pub path_cost: u32,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for PathCostSet {}

impl Verb for Setpathcost {
    type Ctx = Ctx;
    type Output = PathCostSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<PathCostSet> {
        let cost = parse_number("path cost", &self.cost, 1, 65535)?;
        let what = format!("set path cost of '{}' on bridge '{}'", self.port, self.bridge);
        let names = (self.bridge.as_str(), self.port.as_str());
        let read = |l: &LinkMessage| PortSetting::Cost(port_attr!(l, Cost));
        let changed = set_port_setting(ctx, journal, names, what, PortSetting::Cost(cost), read)?;
        Ok(PathCostSet {
            bridge: self.bridge,
            port: self.port,
            path_cost: cost,
            changed,
        })
    }
}

/// Set a port's priority, 0..63 (brctl setportprio).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Setportprio {
    /// The bridge.
    bridge: String,
    /// The port: an interface of the bridge.
    port: String,
    /// The priority.
    #[arg(value_name = "PRIO", allow_hyphen_values = true)]
    priority: String,
}

/// The port's priority after setportprio.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PortPrioritySet {
    /// The bridge.
    pub bridge: String,
    /// The port.
    pub port: String,
    /// The port's priority now.
    pub priority: u16,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for PortPrioritySet {}

impl Verb for Setportprio {
    type Ctx = Ctx;
    type Output = PortPrioritySet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<PortPrioritySet> {
        let priority = parse_number("port priority", &self.priority, 0, 63)? as u16;
        let what = format!("set priority of '{}' on bridge '{}'", self.port, self.bridge);
        let names = (self.bridge.as_str(), self.port.as_str());
        let read = |l: &LinkMessage| PortSetting::Priority(port_attr!(l, Priority));
        let wanted = PortSetting::Priority(priority);
        let changed = set_port_setting(ctx, journal, names, what, wanted, read)?;
        Ok(PortPrioritySet {
            bridge: self.bridge,
            port: self.port,
            priority,
            changed,
        })
    }
}

/// Turn hairpin mode (reflective relay) of a port on or off (brctl hairpin).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Hairpin {
    /// The bridge.
    bridge: String,
    /// The port: an interface of the bridge.
    port: String,
    /// on|off (also yes|no, 1|0, as brctl).
    #[arg(value_name = "on|off")]
    state: String,
}

/// The port's hairpin mode after hairpin.
#[derive(Debug, Serialize, JsonSchema)]
pub struct HairpinSet {
    /// The bridge.
    pub bridge: String,
    /// The port.
    pub port: String,
    /// Whether hairpin mode is on now.
    pub hairpin: bool,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for HairpinSet {}

impl Verb for Hairpin {
    type Ctx = Ctx;
    type Output = HairpinSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<HairpinSet> {
        let on = parse_on_off(&self.state)?;
        let what = format!("set hairpin mode of '{}' on bridge '{}'", self.port, self.bridge);
        let names = (self.bridge.as_str(), self.port.as_str());
        let read = |l: &LinkMessage| PortSetting::Hairpin(port_hairpin(l));
        let changed = set_port_setting(ctx, journal, names, what, PortSetting::Hairpin(on), read)?;
        Ok(HairpinSet {
            bridge: self.bridge,
            port: self.port,
            hairpin: on,
            changed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timer(timer: Timer, text: &str, stp_on: bool) -> Result<u32> {
        timer.check(parse_seconds(timer, text)?, stp_on, text)
    }

    #[test]
    fn timers_are_checked_against_kernel_limits() {
        assert_eq!(timer(Timer::ForwardDelay, "15", true).unwrap(), 1500);
        assert_eq!(timer(Timer::ForwardDelay, "2.5", true).unwrap(), 250);
        assert_eq!(timer(Timer::Ageing, "0", false).unwrap(), 0);
        assert_eq!(timer(Timer::Hello, "10", false).unwrap(), 1000);
        for (t, bad) in [
            (Timer::ForwardDelay, "1"),
            (Timer::ForwardDelay, "0"),
            (Timer::ForwardDelay, "31"),
            (Timer::Hello, "0.5"),
            (Timer::Hello, "11"),
            (Timer::MaxAge, "5"),
            (Timer::MaxAge, "41"),
            (Timer::Ageing, "-1"),
            (Timer::Ageing, "1000001"),
            (Timer::Ageing, "abc"),
            (Timer::Ageing, "nan"),
            (Timer::Ageing, "inf"),
        ] {
            let e = timer(t, bad, true).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{bad}: {e:?}");
        }
        let e = timer(Timer::ForwardDelay, "31", true).unwrap_err();
        assert!(e.message.contains("2..30 seconds while STP is on"), "{e:?}");
    }

    #[test]
    fn forward_delay_takes_any_value_while_stp_is_off() {
        for (text, centis) in [("0", 0), ("1", 100), ("45", 4500), ("0.01", 1)] {
            assert_eq!(timer(Timer::ForwardDelay, text, false).unwrap(), centis, "{text}");
        }
        let e = timer(Timer::ForwardDelay, "-1", false).unwrap_err();
        assert_eq!(e.exit_code(), 7);
        assert!(e.message.contains("while STP is off"), "{e:?}");
        assert_eq!(
            timer(Timer::ForwardDelay, "42949673", false)
                .unwrap_err()
                .exit_code(),
            7
        );
        // Every other timer's limits do not depend on STP.
        for t in [Timer::Ageing, Timer::Hello, Timer::MaxAge] {
            assert_eq!(t.limits(true), t.limits(false), "{t:?}");
        }
    }

    #[test]
    fn each_timer_sets_its_own_attribute() {
        assert_eq!(Timer::Ageing.attr(1), InfoBridge::AgeingTime(1));
        assert_eq!(Timer::ForwardDelay.attr(2), InfoBridge::ForwardDelay(2));
        assert_eq!(Timer::Hello.attr(3), InfoBridge::HelloTime(3));
        assert_eq!(Timer::MaxAge.attr(4), InfoBridge::MaxAge(4));
    }

    #[test]
    fn numbers_and_switches() {
        assert_eq!(parse_number("port priority", "63", 0, 63).unwrap(), 63);
        assert_eq!(
            parse_number("port priority", "64", 0, 63)
                .unwrap_err()
                .exit_code(),
            7
        );
        assert_eq!(
            parse_number("path cost", "0", 1, 65535).unwrap_err().exit_code(),
            7
        );
        assert_eq!(
            parse_number("path cost", "x", 1, 65535).unwrap_err().exit_code(),
            7
        );
        assert!(parse_on_off("yes").unwrap());
        assert!(!parse_on_off("0").unwrap());
        assert_eq!(parse_on_off("maybe").unwrap_err().exit_code(), 7);
    }
}
