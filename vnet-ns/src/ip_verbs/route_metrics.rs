//! A route's metrics as ip route sets them (`mtu lock 1400`, `advmss 1360`, `initcwnd 10`): the
//! RTA_METRICS of ip-route(8) that take a plain number, each optionally locked (`lock N`: the
//! kernel keeps the value instead of learning it, as path MTU discovery would).

use netlink_packet_route::route::RouteMetric;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::{Error, Result};

/// The metric keywords of a route: each `[lock] N`.
#[derive(Debug, Default, clap::Args)]
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
}

/// A metric keyword: its name, the words given, its RTAX_* number, its attribute, its maximum.
type Metric<'a> = (&'a str, &'a [String], u32, fn(u32) -> RouteMetric, u32);

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

impl MetricWords {
    /// The metrics given, with RTAX_LOCK for the locked ones; empty when none is.
    pub fn metrics(&self) -> Result<Vec<RouteMetric>> {
        let words: [Metric; 10] = [
            ("mtu", &self.mtu, MTU, RouteMetric::Mtu, u32::MAX),
            ("advmss", &self.advmss, ADVMSS, RouteMetric::Advmss, u32::MAX),
            ("window", &self.window, WINDOW, RouteMetric::Window, u32::MAX),
            ("cwnd", &self.cwnd, CWND, RouteMetric::Cwnd, u32::MAX),
            (
                "ssthresh",
                &self.ssthresh,
                SSTHRESH,
                RouteMetric::SsThresh,
                u32::MAX,
            ),
            (
                "initcwnd",
                &self.initcwnd,
                INITCWND,
                RouteMetric::InitCwnd,
                u32::MAX,
            ),
            (
                "initrwnd",
                &self.initrwnd,
                INITRWND,
                RouteMetric::InitRwnd,
                u32::MAX,
            ),
            ("hoplimit", &self.hoplimit, HOPLIMIT, RouteMetric::Hoplimit, 255),
            (
                "reordering",
                &self.reordering,
                REORDERING,
                RouteMetric::Reordering,
                u32::MAX,
            ),
            ("quickack", &self.quickack, QUICKACK, RouteMetric::QuickAck, 1),
        ];
        let mut metrics = vec![];
        let mut locked = 0u32;
        for (name, given, rtax, make, max) in words {
            if given.is_empty() {
                continue;
            }
            let (lock, value) = lock_and_value(name, given, max)?;
            if lock {
                locked |= 1 << rtax;
            }
            metrics.push(make(value));
        }
        if locked != 0 {
            metrics.push(RouteMetric::Lock(locked));
        }
        Ok(metrics)
    }
}

/// `N` or `lock N`, N at most `max`.
fn lock_and_value(name: &str, words: &[String], max: u32) -> Result<(bool, u32)> {
    let (lock, number) = match words {
        [lock, number] if lock == "lock" => (true, number),
        [number] => (false, number),
        _ => {
            return Err(Error::invalid(format!(
                "invalid {name} {}: expected N or lock N",
                quote(&words.join(" "))
            )))
        }
    };
    let value = number.parse::<u32>().ok().filter(|v| *v <= max);
    match value {
        Some(value) => Ok((lock, value)),
        None => Err(Error::invalid(format!(
            "invalid {name} {}: not a number 0..{max}",
            quote(number)
        ))),
    }
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
            (&["1", "2"], &[], "expected N or lock N"),
            (&[], &["256"], "not a number 0..255"),
        ] {
            let e = words(mtu, hoplimit).metrics().unwrap_err();
            assert_eq!(e.exit_code(), 7);
            assert!(e.message.contains(needle), "{}", e.message);
        }
    }
}
