//! stp, set* and hairpin: one bridge or port attribute each, set with RTM_NEWLINK (as
//! `ip link set ... type bridge|bridge_slave` does). Every value is checked against the kernel's
//! limits before anything is touched (exit 7).

use crate::model::{br_attr, port_attr, port_hairpin, stp_enabled, Links};
use netlink_packet_route::link::{BridgeStpState, InfoBridge, InfoKind, LinkMessage};
use rtnetlink::{Handle, LinkBridge, LinkBridgePort, LinkMessageBuilder};
use serde_json::{json, Value};
use vnet_common::links::link_name;
use vnet_common::{Context, Error, Outcome, Result};

/// A bridge timer: the brctl verb, its JSON field, its limits in centiseconds (kernel clock_t).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timer {
    pub verb: &'static str,
    pub field: &'static str,
    pub min: u32,
    pub max: u32,
}

// net/bridge/br_private.h: BR_MIN/MAX_FORWARD_DELAY 2..30 s (enforced while STP runs; vnet always
// enforces it so enabling STP later cannot fail), BR_MIN/MAX_HELLO_TIME 1..10 s,
// BR_MIN/MAX_MAX_AGE 6..40 s. Ageing: 0 (forget at once) up to 1000000 s.
pub const AGEING: Timer = Timer {
    verb: "setageing",
    field: "ageing_time",
    min: 0,
    max: 100_000_000,
};
pub const FORWARD_DELAY: Timer = Timer {
    verb: "setfd",
    field: "forward_delay",
    min: 200,
    max: 3000,
};
pub const HELLO: Timer = Timer {
    verb: "sethello",
    field: "hello_time",
    min: 100,
    max: 1000,
};
pub const MAX_AGE: Timer = Timer {
    verb: "setmaxage",
    field: "max_age",
    min: 600,
    max: 4000,
};

/// Seconds as brctl takes them ("15", "2.5") to centiseconds, within the timer's limits.
pub fn parse_timer(timer: Timer, text: &str) -> Result<u32> {
    let range = format!(
        "{}..{} seconds",
        timer.min as f64 / 100.0,
        timer.max as f64 / 100.0
    );
    let bad = || Error::invalid(format!("invalid {} '{text}': expected {range}", timer.field));
    let secs: f64 = text.trim().parse().map_err(|_| bad())?;
    if !secs.is_finite() {
        return Err(bad());
    }
    let centis = (secs * 100.0).round();
    if centis < timer.min as f64 || centis > timer.max as f64 {
        return Err(Error::invalid(format!(
            "{} {text} out of range: the kernel accepts {range}",
            timer.field
        )));
    }
    Ok(centis as u32)
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

async fn change_bridge(handle: &Handle, bridge: &LinkMessage, attr: InfoBridge) -> Result<()> {
    let message = LinkMessageBuilder::<LinkBridge>::new_with_info_kind(InfoKind::Bridge)
        .index(bridge.header.index)
        .append_info_data(attr)
        .build();
    handle.link().change(message).execute().await.map_err(Error::from)
}

async fn change_port(
    handle: &Handle,
    port: &LinkMessage,
    build: impl FnOnce(LinkMessageBuilder<LinkBridgePort>) -> LinkMessageBuilder<LinkBridgePort>,
) -> Result<()> {
    let message = build(LinkBridgePort::new(port.header.index)).build();
    handle
        .link()
        .set_port(message)
        .execute()
        .await
        .map_err(Error::from)
}

pub async fn stp(handle: &Handle, ns: Option<&str>, bridge: &str, state: &str) -> Result<Outcome> {
    let on = parse_on_off(state)?;
    let what = format!("set STP on bridge '{bridge}'");
    let links = Links::load(handle).await?;
    let br = links.bridge(bridge, ns).map_err(|e| e.context(&what))?;
    let changed = stp_enabled(br) != on;
    if changed {
        let state = if on {
            BridgeStpState::KernelStp
        } else {
            BridgeStpState::Disabled
        };
        change_bridge(handle, br, InfoBridge::StpState(state))
            .await
            .context(&what)?;
    }
    Ok(Outcome::quiet(
        json!({"bridge": bridge, "stp": on, "changed": changed}),
    ))
}

pub async fn set_timer(
    handle: &Handle,
    ns: Option<&str>,
    timer: Timer,
    bridge: &str,
    secs: &str,
) -> Result<Outcome> {
    let centis = parse_timer(timer, secs)?;
    let what = format!("{} on bridge '{bridge}'", timer.verb);
    let links = Links::load(handle).await?;
    let br = links.bridge(bridge, ns).map_err(|e| e.context(&what))?;
    let (current, attr) = match timer.field {
        "ageing_time" => (br_attr!(br, AgeingTime), InfoBridge::AgeingTime(centis)),
        "forward_delay" => (br_attr!(br, ForwardDelay), InfoBridge::ForwardDelay(centis)),
        "hello_time" => (br_attr!(br, HelloTime), InfoBridge::HelloTime(centis)),
        _ => (br_attr!(br, MaxAge), InfoBridge::MaxAge(centis)),
    };
    let changed = current != centis;
    if changed {
        change_bridge(handle, br, attr).await.context(&what)?;
    }
    let mut json = json!({"bridge": bridge, "changed": changed});
    json[timer.field] = json!(centis as f64 / 100.0);
    Ok(Outcome::quiet(json))
}

pub async fn setbridgeprio(handle: &Handle, ns: Option<&str>, bridge: &str, prio: &str) -> Result<Outcome> {
    let prio = parse_number("bridge priority", prio, 0, 65535)? as u16;
    let what = format!("set priority of bridge '{bridge}'");
    let links = Links::load(handle).await?;
    let br = links.bridge(bridge, ns).map_err(|e| e.context(&what))?;
    let current: u16 = br_attr!(br, Priority);
    let changed = current != prio;
    if changed {
        change_bridge(handle, br, InfoBridge::Priority(prio))
            .await
            .context(&what)?;
    }
    Ok(Outcome::quiet(
        json!({"bridge": bridge, "priority": prio, "changed": changed}),
    ))
}

/// Looks up BR and its PORT for a port verb.
async fn bridge_port(
    handle: &Handle,
    ns: Option<&str>,
    bridge: &str,
    port: &str,
    what: &str,
) -> Result<(Links, u32)> {
    let links = Links::load(handle).await?;
    let br = links.bridge(bridge, ns).map_err(|e| e.context(what))?;
    let index = links
        .port(br, port, ns)
        .map_err(|e| e.context(what))?
        .header
        .index;
    Ok((links, index))
}

fn port_result(bridge: &str, port: &str, field: &str, value: Value, changed: bool) -> Outcome {
    let mut json = json!({"bridge": bridge, "port": port, "changed": changed});
    json[field] = value;
    Outcome::quiet(json)
}

pub async fn setpathcost(
    handle: &Handle,
    ns: Option<&str>,
    bridge: &str,
    port: &str,
    cost: &str,
) -> Result<Outcome> {
    let cost = parse_number("path cost", cost, 1, 65535)?;
    let what = format!("set path cost of '{port}' on bridge '{bridge}'");
    let (links, index) = bridge_port(handle, ns, bridge, port, &what).await?;
    let link = links.by_index(index).expect("found above");
    let current: u32 = port_attr!(link, Cost);
    let changed = current != cost;
    if changed {
        change_port(handle, link, |b| b.cost(cost)).await.context(&what)?;
    }
    Ok(port_result(
        bridge,
        &link_name(link),
        "path_cost",
        json!(cost),
        changed,
    ))
}

pub async fn setportprio(
    handle: &Handle,
    ns: Option<&str>,
    bridge: &str,
    port: &str,
    prio: &str,
) -> Result<Outcome> {
    let prio = parse_number("port priority", prio, 0, 63)? as u16;
    let what = format!("set priority of '{port}' on bridge '{bridge}'");
    let (links, index) = bridge_port(handle, ns, bridge, port, &what).await?;
    let link = links.by_index(index).expect("found above");
    let current: u16 = port_attr!(link, Priority);
    let changed = current != prio;
    if changed {
        change_port(handle, link, |b| b.priority(prio))
            .await
            .context(&what)?;
    }
    Ok(port_result(bridge, port, "priority", json!(prio), changed))
}

pub async fn hairpin(
    handle: &Handle,
    ns: Option<&str>,
    bridge: &str,
    port: &str,
    state: &str,
) -> Result<Outcome> {
    let on = parse_on_off(state)?;
    let what = format!("set hairpin mode of '{port}' on bridge '{bridge}'");
    let (links, index) = bridge_port(handle, ns, bridge, port, &what).await?;
    let link = links.by_index(index).expect("found above");
    let changed = port_hairpin(link) != on;
    if changed {
        change_port(handle, link, |b| b.hairpin(on))
            .await
            .context(&what)?;
    }
    Ok(port_result(bridge, port, "hairpin", json!(on), changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_are_checked_against_kernel_limits() {
        assert_eq!(parse_timer(FORWARD_DELAY, "15").unwrap(), 1500);
        assert_eq!(parse_timer(FORWARD_DELAY, "2.5").unwrap(), 250);
        assert_eq!(parse_timer(AGEING, "0").unwrap(), 0);
        assert_eq!(parse_timer(HELLO, "10").unwrap(), 1000);
        for (timer, bad) in [
            (FORWARD_DELAY, "1"),
            (FORWARD_DELAY, "31"),
            (HELLO, "0.5"),
            (HELLO, "11"),
            (MAX_AGE, "5"),
            (MAX_AGE, "41"),
            (AGEING, "-1"),
            (AGEING, "1000001"),
            (AGEING, "abc"),
            (AGEING, "nan"),
            (AGEING, "inf"),
        ] {
            let e = parse_timer(timer, bad).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{bad}: {e:?}");
        }
        assert!(parse_timer(FORWARD_DELAY, "31")
            .unwrap_err()
            .message
            .contains("2..30 seconds"));
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
