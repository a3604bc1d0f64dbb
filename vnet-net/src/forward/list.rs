//! `forward list`, `forward apply`, and each forward's health for doctor.

use super::{check_local, Forwards};
use crate::spec;
use schemars::JsonSchema;
use serde::Serialize;
use std::net::{Ipv4Addr, UdpSocket};
use std::time::{Duration, Instant};
use vnet_common::libvirt::forwards::{self, present, Forward, Ruleset, State};
use vnet_common::libvirt::Session;
use vnet_common::verb::Render;
use vnet_common::{Journal, Result, Verb};

/// List the forwards (of NETWORK, or all), in the order they were added.
#[derive(Debug, clap::Args)]
pub struct List {
    /// Only this network's forwards.
    pub network: Option<String>,
}

impl Verb for List {
    type Ctx = Session;
    type Output = Forwards;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Forwards> {
        if let Some(name) = &self.network {
            spec::validate_name(name)?;
        }
        check_local(ctx)?;
        let all = forwards::read_all()?;
        let wanted = |f: &Forward| self.network.as_ref().is_none_or(|n| *n == f.network);
        Ok(Forwards(all.into_iter().filter(wanted).collect()))
    }
}

/// Make the firewall match the forwards list again: vnet's chains rewritten, their jumps put
/// first in the builtin chains. libvirt's hooks run it (libvirtd starting, a network started);
/// run it by hand after a firewall reload. Never connects to libvirt.
///
/// --settle (what the daemon hook runs, in the background): first wait, up to 30 s, until
/// libvirt has set up the firewall of every running network that has forwards (libvirtd
/// recreates missing chains, jumps first, only after its start hook ran).
#[derive(Debug, clap::Args)]
pub struct Apply {
    /// Wait for libvirt's own rules first (up to 30 s).
    #[arg(long)]
    pub settle: bool,
}

/// What apply did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Applied {
    /// How many forwards the firewall holds.
    pub forwards: usize,
    /// True when the ruleset had to change.
    pub changed: bool,
}

impl Render for Applied {}

impl Verb for Apply {
    type Ctx = Session;
    type Output = Applied;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Applied> {
        check_local(ctx)?;
        let (count, changed) = match self.settle {
            true => forwards::settle(Duration::from_secs(30))?,
            false => {
                let state = State::open()?;
                (state.forwards.len(), forwards::apply(&state.forwards)?)
            }
        };
        Ok(Applied {
            forwards: count,
            changed,
        })
    }
}

/// doctor: each forward as (what, problem): the problem is None when its network runs, its rules
/// are in place and first, and its guest answers ARP on the bridge.
pub fn health() -> Vec<(String, Option<String>)> {
    let Ok(all) = forwards::read_all() else {
        return vec![(
            "forwards".into(),
            Some(format!("cannot read {}", forwards::STATE_FILE)),
        )];
    };
    if all.is_empty() {
        return Vec::new();
    }
    let ruleset = Ruleset::read();
    all.iter()
        .map(|f| {
            let what = format!("{} {} -> {}:{}", f.network, f.key(), f.to_ip, f.to_port);
            let problem = match &ruleset {
                Err(e) => Some(format!("cannot read the ruleset: {}", e.message)),
                Ok(_) if !std::path::Path::new("/sys/class/net").join(&f.bridge).exists() => Some(format!(
                    "network {} is not running (no bridge {})",
                    f.network, f.bridge
                )),
                Ok(r) if !present(f, r) => Some("rules missing or not first".into()),
                Ok(_) if !answers_arp(f.to_ip, &f.bridge) => {
                    Some(format!("{} does not answer ARP on {}", f.to_ip, f.bridge))
                }
                Ok(_) => None,
            };
            (what, problem)
        })
        .collect()
}

/// True when the kernel has (or gets, after one datagram to the discard port makes it ask) a
/// complete neighbour entry for `ip` on `bridge`.
fn answers_arp(ip: Ipv4Addr, bridge: &str) -> bool {
    let resolved = || {
        std::fs::read_to_string("/proc/net/arp").is_ok_and(|t| {
            t.lines().skip(1).any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.len() >= 6 && f[0] == ip.to_string() && f[2] == "0x2" && f[5] == bridge
            })
        })
    };
    if resolved() {
        return true;
    }
    if let Ok(socket) = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)) {
        let _ = socket.send_to(b"", (ip, 9));
    }
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(1500) {
        if resolved() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}
