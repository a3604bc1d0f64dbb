//! A route's metrics as ip route sets them (`mtu lock 1400`, `advmss 1360`, `initcwnd 10`): the
//! RTA_METRICS of ip-route(8) that take a plain number, each optionally locked (`lock N`: the
//! kernel keeps the value instead of learning it, as path MTU discovery would).

use netlink_packet_route::route::RouteMetric;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::{Error, Result};

/// The metric keywords of a route: each `[lock] N`.
#[derive(Debug, Default, clap::Args)]
#[group(skip)]
pub struct MetricWords {
    /// The path MTU: [lock] N.
    #[arg(long, value_name = "[lock] N", num_args = 1..=2, help_heading = HEADING)]
    pub mtu: Vec<String>,
    /// The TCP maximal segment size to advertise: [lock] N.
    #[arg(long, value_name = "[lock] N", num_args = 1..=2, help_heading = HEADING)]
    pub advmss: Vec<String>,
    /// The TCP window to advertise, in bytes: [lock] N.
    #[arg(long, value_name = "[lock] N", num_args = 1..=2, help_heading = HEADING)]
    pub window: Vec<String>,
    /// The TCP congestion window clamp (with lock): [lock] N.
    #[arg(long, value_name = "[lock] N", num_args = 1..=2, help_heading = HEADING)]
    pub cwnd: Vec<String>,
    /// The TCP slow start threshold: [lock] N.
    #[arg(long, value_name = "[lock] N", num_args = 1..=2, help_heading = HEADING)]
    pub ssthresh: Vec<String>,
    /// The initial TCP congestion window: [lock] N.
    #[arg(long, value_name = "[lock] N", num_args = 1..=2, help_heading = HEADING)]
    pub initcwnd: Vec<String>,
    /// The initial TCP receive window: [lock] N.
    #[arg(long, value_name = "[lock] N", num_args = 1..=2, help_heading = HEADING)]
    pub initrwnd: Vec<String>,
    /// The hop limit (IPv6) or TTL (IPv4) of packets on this route: [lock] N (1..255).
    #[arg(long, value_name = "[lock] N", num_args = 1..=2, help_heading = HEADING)]
    pub hoplimit: Vec<String>,
    /// The TCP reordering degree: [lock] N.
    #[arg(long, value_name = "[lock] N", num_args = 1..=2, help_heading = HEADING)]
    pub reordering: Vec<String>,
    /// TCP quick ack: 0 or 1.
    #[arg(long, value_name = "0|1", num_args = 1..=2, help_heading = HEADING)]
    pub quickack: Vec<String>,
    /// TCP Fast Open without a cookie: 0 or 1.
    #[arg(long = "fastopen_no_cookie", value_name = "0|1", num_args = 1..=2, help_heading = HEADING)]
    pub fastopen_no_cookie: Vec<String>,
    /// The initial round trip time estimate: [lock] TIME (N, Ns or Nms; a bare N is the kernel's
    /// own unit, as ip sends it).
    #[arg(long, value_name = "[lock] TIME", num_args = 1..=2, help_heading = HEADING)]
    pub rtt: Vec<String>,
    /// The initial round trip time variance: [lock] TIME.
    #[arg(long, value_name = "[lock] TIME", num_args = 1..=2, help_heading = HEADING)]
    pub rttvar: Vec<String>,
    /// The minimal TCP retransmission timeout: TIME (always locked, as ip sends it).
    #[arg(long = "rto_min", value_name = "TIME", num_args = 1..=2, help_heading = HEADING)]
    pub rto_min: Vec<String>,
    /// The TCP congestion control algorithm for this route: [lock] NAME.
    #[arg(long, value_name = "[lock] NAME", num_args = 1..=2, help_heading = HEADING)]
    pub congctl: Vec<String>,
}

/// A metric keyword: its name, the words given, its RTAX_* number, its attribute, its maximum,
/// whether ip takes `lock` before its value.
type Metric<'a> = (&'a str, &'a [String], u32, fn(u32) -> RouteMetric, u32, bool);

/// RTAX_* numbers, the bits of RTAX_LOCK.
const MTU: u32 = 2;
const WINDOW: u32 = 3;
const SSTHRESH: u32 = 6;
const CWND: u32 = 7;
const ADVMSS: u32 = 8;
const REORDERING: u32 = 9;
const HOPLIMIT: u32 = 10;
const INITCWND: u32 = 11;
const INITRWND: u32 = 14;
const QUICKACK: u32 = 15;
const RTT: u32 = 4;
const RTTVAR: u32 = 5;
const RTO_MIN: u32 = 13;
const CC_ALGO: u32 = 16;

impl MetricWords {
    /// The metrics given, with RTAX_LOCK for the locked ones; empty when none is.
    pub fn metrics(&self) -> Result<Vec<RouteMetric>> {
        let mut metrics = vec![];
        let mut locked = 0u32;
        self.numbers(&mut metrics, &mut locked)?;
        self.times(&mut metrics, &mut locked)?;
        if !self.congctl.is_empty() {
            let (lock, algorithm) = lock_and_word("congctl", &self.congctl, true)?;
            if lock {
                locked |= 1 << CC_ALGO;
            }
            metrics.push(RouteMetric::CcAlgo(algorithm.to_string()));
        }
        if locked != 0 {
            metrics.push(RouteMetric::Lock(locked));
        }
        Ok(metrics)
    }

    /// The metrics that take a plain number.
    fn numbers(&self, metrics: &mut Vec<RouteMetric>, locked: &mut u32) -> Result<()> {
        use RouteMetric as M;
        let words: [Metric; 11] = [
            ("mtu", &self.mtu, MTU, M::Mtu, ANY, true),
            ("advmss", &self.advmss, ADVMSS, M::Advmss, ANY, true),
            ("window", &self.window, WINDOW, M::Window, ANY, true),
            ("cwnd", &self.cwnd, CWND, M::Cwnd, ANY, true),
            ("ssthresh", &self.ssthresh, SSTHRESH, M::SsThresh, ANY, true),
            ("initcwnd", &self.initcwnd, INITCWND, M::InitCwnd, ANY, true),
            ("initrwnd", &self.initrwnd, INITRWND, M::InitRwnd, ANY, true),
            ("hoplimit", &self.hoplimit, HOPLIMIT, M::Hoplimit, 255, true),
            (
                "reordering",
                &self.reordering,
                REORDERING,
                M::Reordering,
                ANY,
                true,
            ),
            ("quickack", &self.quickack, QUICKACK, M::QuickAck, 1, false),
            (
                "fastopen_no_cookie",
                &self.fastopen_no_cookie,
                17,
                M::FastopenNoCookie,
                1,
                false,
            ),
        ];
        for (name, given, rtax, make, max, lockable) in words {
            if given.is_empty() {
                continue;
            }
            let (lock, value) = lock_and_value(name, given, max, lockable)?;
            if lock {
                *locked |= 1 << rtax;
            }
            metrics.push(make(value));
        }
        Ok(())
    }

    /// The times: ip sends rtt in 1/8 ms and rttvar in 1/4 ms unless the value has no unit, and
    /// rto_min always locked.
    fn times(&self, metrics: &mut Vec<RouteMetric>, locked: &mut u32) -> Result<()> {
        let times: [TimeMetric; 3] = [
            ("rtt", &self.rtt, RTT, RouteMetric::Rtt, 8),
            ("rttvar", &self.rttvar, RTTVAR, RouteMetric::RttVar, 4),
            ("rto_min", &self.rto_min, RTO_MIN, RouteMetric::RtoMin, 1),
        ];
        for (name, given, rtax, make, scale) in times {
            if given.is_empty() {
                continue;
            }
            let lockable = name != "rto_min";
            let (lock, value) = lock_and_word(name, given, lockable)?;
            let (ms, raw) = time_ms(name, value)?;
            if lock || !lockable {
                *locked |= 1 << rtax;
            }
            metrics.push(make(if raw { ms } else { ms.saturating_mul(scale) }));
        }
        Ok(())
    }
}

/// A time keyword: its name, the words given, its RTAX_* number, its attribute, the units ip
/// sends per millisecond.
type TimeMetric<'a> = (&'a str, &'a [String], u32, fn(u32) -> RouteMetric, u32);

/// No bound but the u32's.
const ANY: u32 = u32::MAX;

/// `WORD` or `lock WORD` (`lock` only where ip takes it).
fn lock_and_word<'a>(name: &str, words: &'a [String], lockable: bool) -> Result<(bool, &'a str)> {
    match words {
        [lock, word] if lock == "lock" && lockable => Ok((true, word)),
        [word] => Ok((false, word)),
        _ => Err(Error::invalid(format!(
            "invalid {name} {}: expected {}",
            quote(&words.join(" ")),
            if lockable {
                "VALUE or lock VALUE"
            } else {
                "one value"
            }
        ))),
    }
}

/// `N` or `lock N`, N at most `max`.
fn lock_and_value(name: &str, words: &[String], max: u32, lockable: bool) -> Result<(bool, u32)> {
    let (lock, number) = lock_and_word(name, words, lockable)?;
    let value = number.parse::<u32>().ok().filter(|v| *v <= max);
    match value {
        Some(value) => Ok((lock, value)),
        None => Err(Error::invalid(format!(
            "invalid {name} {}: not a number 0..{max}",
            quote(number)
        ))),
    }
}

/// A time as ip reads one for rtt, rttvar and rto_min: N (raw), Ns/Nsec/Nsecs or
/// Nms/Nmsec/Nmsecs, fractions rounded up; the milliseconds and whether it was raw.
fn time_ms(name: &str, text: &str) -> Result<(u32, bool)> {
    let bad = || {
        Error::invalid(format!(
            "invalid {name} {}: a time such as 300ms or 1s",
            quote(text)
        ))
    };
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| bad())?;
    let factor = match unit.to_ascii_lowercase().as_str() {
        "" | "ms" | "msec" | "msecs" => 1.0,
        "s" | "sec" | "secs" => 1000.0,
        _ => return Err(bad()),
    };
    let ms = (value * factor).ceil();
    if !(0.0..=u32::MAX as f64).contains(&ms) {
        return Err(bad());
    }
    Ok((ms as u32, unit.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(mtu: &[&str], hoplimit: &[&str]) -> MetricWords {
        MetricWords {
            mtu: mtu.iter().map(|w| w.to_string()).collect(),
            hoplimit: hoplimit.iter().map(|w| w.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn times_and_names_as_ip_sends_them() {
        let words = MetricWords {
            rtt: vec!["lock".into(), "100ms".into()],
            rttvar: vec!["1s".into()],
            rto_min: vec!["20".into()],
            congctl: vec!["cubic".into()],
            quickack: vec!["1".into()],
            ..Default::default()
        };
        assert_eq!(
            words.metrics().unwrap(),
            vec![
                RouteMetric::QuickAck(1),
                RouteMetric::Rtt(800),
                RouteMetric::RttVar(4000),
                RouteMetric::RtoMin(20),
                RouteMetric::CcAlgo("cubic".into()),
                RouteMetric::Lock((1 << RTT) | (1 << RTO_MIN)),
            ]
        );
        for bad in [
            MetricWords {
                rtt: vec!["1h".into()],
                ..Default::default()
            },
            MetricWords {
                quickack: vec!["lock".into(), "1".into()],
                ..Default::default()
            },
            MetricWords {
                fastopen_no_cookie: vec!["2".into()],
                ..Default::default()
            },
        ] {
            assert_eq!(bad.metrics().unwrap_err().exit_code(), 7);
        }
    }

    #[test]
    fn metrics_and_locks() {
        assert_eq!(words(&[], &[]).metrics().unwrap(), vec![]);
        assert_eq!(
            words(&["1400"], &[]).metrics().unwrap(),
            vec![RouteMetric::Mtu(1400)]
        );
        assert_eq!(
            words(&["lock", "1400"], &["64"]).metrics().unwrap(),
            vec![
                RouteMetric::Mtu(1400),
                RouteMetric::Hoplimit(64),
                RouteMetric::Lock(1 << MTU)
            ]
        );
        for (mtu, hoplimit, needle) in [
            (&["x"][..], &[][..], "invalid mtu 'x'"),
            (&["lock"], &[], "invalid mtu 'lock'"),
            (&["1", "2"], &[], "expected VALUE or lock VALUE"),
            (&[], &["256"], "not a number 0..255"),
        ] {
            let e = words(mtu, hoplimit).metrics().unwrap_err();
            assert_eq!(e.exit_code(), 7);
            assert!(e.message.contains(needle), "{}", e.message);
        }
    }
}
