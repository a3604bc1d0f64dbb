//! A domain's CPU and memory tuning as virsh's tuning verbs see it: vCPU and emulator pinning
//! (vcpuinfo, vcpupin, emulatorpin) and the typed-parameter knobs (memtune, schedinfo,
//! blkiotune, blkdeviotune, numatune, domiftune), IOThreads, and single vCPUs on and off
//! (guestvcpus, setvcpu). Each verb queries
//! without options and sets with them, in virsh's --live/--config/--current scope.

pub mod blkio;
pub mod iftune;
pub mod iothreads;
pub mod memtune;
pub mod numatune;
pub mod pinning;
pub mod schedinfo;
pub(crate) mod typed;
pub mod vcpus;

use crate::domains::resources::Scope;
use crate::observe::params::Params;
use schemars::JsonSchema;
use serde::Serialize;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, Result, TextStyle};

/// Whether `scope` reaches the live domain and the definition, resolving --current (and no
/// option) as libvirt does: live when the domain runs, else its definition.
pub fn affects(scope: &Scope, dom: &Domain) -> Result<(bool, bool)> {
    if scope.live || scope.config {
        return Ok((scope.live, scope.config));
    }
    let active = dom.is_active().libvirt("domain state")?;
    Ok((active, !active))
}

/// The one scope a read after a change looks at: the live domain when it was changed.
pub fn read_flag(live: bool) -> u32 {
    match live {
        true => sys::VIR_DOMAIN_AFFECT_LIVE,
        false => sys::VIR_DOMAIN_AFFECT_CONFIG,
    }
}

/// A domain's (or a device's) tuning parameters after a query or a change (blkiotune,
/// blkdeviotune, numatune, domiftune).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Tuned {
    pub name: String,
    /// False for a query, or when the parameters were so already.
    pub changed: bool,
    /// Read from (or set in) the running domain.
    pub live: bool,
    /// Read from (or set in) the persistent definition.
    pub config: bool,
    /// The parameters by libvirt's names, with libvirt's types.
    pub params: Params,
    #[serde(skip)]
    pub query: bool,
}

impl vnet_common::Render for Tuned {
    /// virsh's `name: value` lines for a query (a change prints nothing, as virsh).
    fn text(&self, _style: TextStyle) -> String {
        if !self.query {
            return String::new();
        }
        let lines = self
            .params
            .0
            .iter()
            .map(|(k, v)| format!("{k:<15}: {}\n", v.virsh()));
        lines.collect::<String>() + "\n"
    }
}

/// The number of CPUs the host has (the length of every CPU map), as virsh counts them.
pub fn host_cpus(conn: &Connect) -> Result<u32> {
    // SAFETY: with null maps libvirt only counts.
    let n = unsafe { sys::virNodeGetCPUMap(conn.as_ptr(), std::ptr::null_mut(), std::ptr::null_mut(), 0) };
    match n {
        n if n < 0 => Err(virt::error::Error::last_error()).libvirt("host CPU map"),
        n => Ok(n as u32),
    }
}

/// A set of host CPUs, by number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuSet(pub Vec<u32>);

impl CpuSet {
    /// virsh's cpulist: `r` for every CPU, else numbers and ranges separated by commas, `^N`
    /// taking one out (`0-3,^2`). Exit 7 for a malformed list, an empty set, or a CPU at or
    /// past `cpus` ("CPU 99 in cpulist '99' exceed the maxcpu 2", as virsh says).
    pub fn parse(text: &str, cpus: u32) -> Result<CpuSet> {
        let bad = || Error::invalid(format!("invalid cpulist {}", quote(text)));
        if text == "r" {
            return Ok(CpuSet((0..cpus).collect()));
        }
        let mut on = std::collections::BTreeSet::new();
        for part in text.split(',') {
            let (negate, part) = match part.strip_prefix('^') {
                Some(rest) => (true, rest),
                None => (false, part),
            };
            let (lo, hi) = part.split_once('-').unwrap_or((part, part));
            let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
            let (lo, hi) = (num(lo)?, num(hi)?);
            if lo > hi || (negate && lo != hi) {
                return Err(bad());
            }
            if hi >= cpus {
                return Err(Error::invalid(format!(
                    "CPU {hi} in cpulist {} exceed the maxcpu {cpus}",
                    quote(text)
                )));
            }
            for cpu in lo..=hi {
                match negate {
                    true => on.remove(&cpu),
                    false => on.insert(cpu),
                };
            }
        }
        match on.is_empty() {
            true => Err(bad().with_hint("name at least one host CPU (0-N, or r for all)")),
            false => Ok(CpuSet(on.into_iter().collect())),
        }
    }

    /// libvirt's CPU map: one bit per CPU, `cpus` bits long.
    pub fn to_map(&self, cpus: u32) -> Vec<u8> {
        let mut map = vec![0u8; cpus.div_ceil(8) as usize];
        for &cpu in &self.0 {
            map[(cpu / 8) as usize] |= 1 << (cpu % 8);
        }
        map
    }

    /// The CPUs set in `map`, the first `cpus` bits.
    pub fn from_map(map: &[u8], cpus: u32) -> CpuSet {
        let set = |cpu: &u32| {
            map.get((cpu / 8) as usize)
                .is_some_and(|b| b & (1 << (cpu % 8)) != 0)
        };
        CpuSet((0..cpus).filter(set).collect())
    }

    /// virsh's way to print the set: ranges, `0-3,6`.
    pub fn list(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut i = 0;
        while i < self.0.len() {
            let start = self.0[i];
            while i + 1 < self.0.len() && self.0[i + 1] == self.0[i] + 1 {
                i += 1;
            }
            parts.push(match self.0[i] {
                end if end == start => start.to_string(),
                end => format!("{start}-{end}"),
            });
            i += 1;
        }
        parts.join(",")
    }

    /// virsh vcpuinfo's map: `y` or `-` for each host CPU.
    pub fn yes_map(&self, cpus: u32) -> String {
        (0..cpus)
            .map(|c| if self.0.contains(&c) { 'y' } else { '-' })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpulists_read_and_print_as_virsh_does() {
        let set = CpuSet::parse("0-3,^2,6", 8).unwrap();
        assert_eq!(set.0, [0, 1, 3, 6]);
        assert_eq!(set.list(), "0-1,3,6");
        assert_eq!(set.yes_map(8), "yy-y--y-");
        assert_eq!(CpuSet::from_map(&set.to_map(8), 8), set);
        assert_eq!(CpuSet::parse("r", 2).unwrap().list(), "0-1");
        for bad in ["", "x", "3-1", "^1", "1,,2", "-1", "0-^1"] {
            assert_eq!(CpuSet::parse(bad, 8).unwrap_err().exit_code(), 7, "{bad}");
        }
        let past = CpuSet::parse("99", 2).unwrap_err();
        assert_eq!(past.exit_code(), 7);
        assert!(past.to_string().contains("exceed the maxcpu 2"), "{past}");
    }
}
