//! A domain's memory and vCPUs: setmem, setmaxmem, setvcpus and vcpucount, with virsh's
//! --live/--config/--current scopes. Each change is undone on a later failure by setting the
//! value it replaced, in the same scope.

use crate::storage::volumes::parse_size;
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::{xml, LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// virsh's --live, --config and --current (the default: live on a running domain, else config).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Scope {
    /// The running domain.
    #[arg(long, conflicts_with = "current")]
    pub live: bool,
    /// The persistent definition (the next boot).
    #[arg(long, conflicts_with = "current")]
    pub config: bool,
    /// Whichever the domain has now: live when running, else config.
    #[arg(long)]
    pub current: bool,
}

impl Scope {
    /// libvirt's VIR_DOMAIN_AFFECT_* bits.
    pub fn bits(&self) -> u32 {
        let mut bits = 0;
        if self.live {
            bits |= sys::VIR_DOMAIN_AFFECT_LIVE;
        }
        if self.config {
            bits |= sys::VIR_DOMAIN_AFFECT_CONFIG;
        }
        bits
    }

    /// Whether the live domain and the definition are affected, resolving --current.
    pub fn affects(&self, dom: &Domain) -> Result<(bool, bool)> {
        if self.live || self.config {
            return Ok((self.live, self.config));
        }
        let active = dom.is_active().libvirt("domain state")?;
        Ok((active, !active))
    }
}

/// A memory size as virsh setmem reads it: a bare number is KiB, a number with a unit is read as
/// vol-create-as reads sizes ([`parse_size`]: 512M, 1G, 1GiB, 2048b...). The result in KiB, rounded
/// up. Exit 7 otherwise.
pub fn size_kib(text: &str) -> Result<u64> {
    let bare = !text.is_empty() && text.chars().all(|c| c.is_ascii_digit());
    match bare {
        true => text
            .parse()
            .map_err(|_| Error::invalid(format!("invalid size {}: too large", quote(text)))),
        false => Ok(parse_size(text)?.div_ceil(1024)),
    }
}

/// The domain's memory (current, maximum) in KiB, live or as defined.
fn memory_of(dom: &Domain, config: bool) -> Result<(u64, u64)> {
    let flags = if config { sys::VIR_DOMAIN_XML_INACTIVE } else { 0 };
    let text = dom.get_xml_desc(flags).libvirt("domain XML")?;
    let root = xml::parse(&text).map_err(|e| Error::failed(format!("domain XML from libvirt: {e}")))?;
    let kib = |path: &str| -> u64 {
        let el = root.child(path);
        let n: u64 = el.and_then(|e| e.text.trim().parse().ok()).unwrap_or(0);
        match el.and_then(|e| e.attr("unit")).unwrap_or("KiB") {
            "MiB" | "M" => n << 10,
            "GiB" | "G" => n << 20,
            "b" | "bytes" => n / 1024,
            _ => n,
        }
    };
    Ok((kib("currentMemory"), kib("memory")))
}

/// Change a domain's memory (virsh setmem); SIZE in KiB unless it has a unit.
///
/// Above the maximum is exit 7, nothing changed.
#[derive(Debug, clap::Args)]
pub struct Setmem {
    pub domain: String,
    /// The new memory (512M, 1G, or KiB).
    pub size: String,
    #[command(flatten)]
    pub scope: Scope,
}

/// Change a domain's maximum memory (virsh setmaxmem); SIZE in KiB unless it has a unit.
#[derive(Debug, clap::Args)]
pub struct Setmaxmem {
    pub domain: String,
    /// The new maximum (1G, or KiB).
    pub size: String,
    #[command(flatten)]
    pub scope: Scope,
}

/// A domain's memory after setmem or setmaxmem.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MemorySet {
    pub name: String,
    /// False when it had that value already.
    pub changed: bool,
    /// Memory in KiB, in the scope changed (the live value when both).
    pub memory_kib: u64,
    /// Maximum memory in KiB, in the same scope.
    pub max_memory_kib: u64,
    /// The running domain was changed.
    pub live: bool,
    /// The persistent definition was changed.
    pub config: bool,
}

impl Render for MemorySet {}

impl Verb for Setmem {
    type Ctx = Session;
    type Output = MemorySet;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<MemorySet> {
        let kib = size_kib(&self.size)?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        set_memory(&dom, kib, &self.scope, false, journal)
    }
}

impl Verb for Setmaxmem {
    type Ctx = Session;
    type Output = MemorySet;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<MemorySet> {
        let kib = size_kib(&self.size)?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        set_memory(&dom, kib, &self.scope, true, journal)
    }
}

/// Sets memory (or with `maximum` the maximum) after checking it against what the domain has,
/// recording the old value as the undo.
fn set_memory(
    dom: &Domain,
    kib: u64,
    scope: &Scope,
    maximum: bool,
    journal: &mut Journal,
) -> Result<MemorySet> {
    let name = dom.get_name().libvirt("domain name")?;
    let (live, config) = scope.affects(dom)?;
    let (cur, max) = memory_of(dom, !live)?;
    if kib == 0 || (!maximum && kib > max) {
        return Err(Error::invalid(format!(
            "memory {kib} KiB for domain {}: must be above 0 and at most its maximum, {max} KiB",
            quote(&name)
        ))
        .with_hint(format!(
            "raise the maximum first: vnet-vm setmaxmem {name} SIZE --config"
        )));
    }
    let old = if maximum { max } else { cur };
    let flags = scope.bits() | if maximum { sys::VIR_DOMAIN_MEM_MAXIMUM } else { 0 };
    let changed = old != kib;
    if changed {
        let what = format!("set memory of domain {} to {kib} KiB", quote(&name));
        dom.set_memory_flags(kib, flags).libvirt(&what)?;
        let undo = dom.clone();
        journal.record_fn(what, move || {
            undo.set_memory_flags(old, flags)
                .map(drop)
                .libvirt("set the memory back")
        })?;
    }
    let (memory_kib, max_memory_kib) = memory_of(dom, !live)?;
    Ok(MemorySet {
        name,
        changed,
        memory_kib,
        max_memory_kib,
        live,
        config,
    })
}

/// Change a domain's number of vCPUs (virsh setvcpus); --maximum the most it may have (with
/// --config).
#[derive(Debug, clap::Args)]
pub struct Setvcpus {
    pub domain: String,
    pub count: u32,
    /// Set the maximum rather than the number in use.
    #[arg(long)]
    pub maximum: bool,
    /// Through the guest agent: the guest's own CPUs online (live only).
    #[arg(long)]
    pub guest: bool,
    /// Hot-plug the vCPUs as hotpluggable ones.
    #[arg(long)]
    pub hotpluggable: bool,
    #[command(flatten)]
    pub scope: Scope,
}

/// A domain's vCPUs after setvcpus.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VcpusSet {
    pub name: String,
    /// False when it had that count already.
    pub changed: bool,
    /// The count now, in the scope changed.
    pub count: u32,
    /// True when the maximum was set.
    pub maximum: bool,
}

impl Render for VcpusSet {}

impl Setvcpus {
    fn bits(&self) -> u32 {
        let pairs = [
            (self.maximum, sys::VIR_DOMAIN_VCPU_MAXIMUM),
            (self.guest, sys::VIR_DOMAIN_VCPU_GUEST),
            (self.hotpluggable, sys::VIR_DOMAIN_VCPU_HOTPLUGGABLE),
        ];
        pairs
            .iter()
            .filter(|(on, _)| *on)
            .fold(self.scope.bits(), |a, (_, b)| a | b)
    }
}

impl Verb for Setvcpus {
    type Ctx = Session;
    type Output = VcpusSet;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<VcpusSet> {
        if self.count == 0 {
            return Err(Error::invalid("vCPU count 0: a domain needs at least one"));
        }
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = dom.get_name().libvirt("domain name")?;
        let flags = self.bits();
        let read = flags & !(sys::VIR_DOMAIN_VCPU_HOTPLUGGABLE);
        let old = dom
            .get_vcpus_flags(read)
            .libvirt(format!("vCPUs of domain {}", quote(&name)))?;
        let changed = old != self.count;
        if changed {
            let what = format!("set vCPUs of domain {} to {}", quote(&name), self.count);
            dom.set_vcpus_flags(self.count, flags).libvirt(&what)?;
            let undo = dom.clone();
            journal.record_fn(what, move || {
                undo.set_vcpus_flags(old, flags)
                    .map(drop)
                    .libvirt("set the vCPUs back")
            })?;
        }
        let count = dom.get_vcpus_flags(read).libvirt("vCPUs")?;
        Ok(VcpusSet {
            name,
            changed,
            count,
            maximum: self.maximum,
        })
    }
}

/// A domain's vCPU counts (virsh vcpucount): maximum and current, config and live.
///
/// With a flag, one number as virsh prints it: --maximum or --active (the default), in --live,
/// --config or --current (the default) scope.
#[derive(Debug, clap::Args)]
pub struct Vcpucount {
    pub domain: String,
    /// The maximum.
    #[arg(long, conflicts_with = "active")]
    pub maximum: bool,
    /// The number in use.
    #[arg(long)]
    pub active: bool,
    /// The guest's own count, through its agent.
    #[arg(long)]
    pub guest: bool,
    #[command(flatten)]
    pub scope: Scope,
}

/// A domain's vCPU counts; live ones null when it is not running.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VcpuCounts {
    pub name: String,
    pub maximum_config: u32,
    pub maximum_live: Option<u32>,
    pub current_config: u32,
    pub current_live: Option<u32>,
    /// With a selecting flag: the one count asked for (what -o text prints).
    pub selected: Option<u32>,
}

impl Render for VcpuCounts {
    fn text(&self, _style: TextStyle) -> String {
        if let Some(n) = self.selected {
            return format!("{n}\n\n");
        }
        let rows = [
            ("maximum", "config", Some(self.maximum_config)),
            ("maximum", "live", self.maximum_live),
            ("current", "config", Some(self.current_config)),
            ("current", "live", self.current_live),
        ];
        let mut text: String = rows
            .iter()
            .filter_map(|(a, b, n)| n.map(|n| format!("{a:<12} {b:<12} {n:>3}\n")))
            .collect();
        text.push('\n');
        text
    }
}

impl Verb for Vcpucount {
    type Ctx = Session;
    type Output = VcpuCounts;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<VcpuCounts> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = dom.get_name().libvirt("domain name")?;
        let active = dom.is_active().libvirt("domain state")?;
        let get = |flags: u32| {
            dom.get_vcpus_flags(flags)
                .libvirt(format!("vCPUs of domain {}", quote(&name)))
        };
        let (max, cfg, live) = (
            sys::VIR_DOMAIN_VCPU_MAXIMUM,
            sys::VIR_DOMAIN_AFFECT_CONFIG,
            sys::VIR_DOMAIN_AFFECT_LIVE,
        );
        let any = self.maximum
            || self.active
            || self.guest
            || self.scope.live
            || self.scope.config
            || self.scope.current;
        let selected = match any {
            false => None,
            true => {
                let guest = if self.guest { sys::VIR_DOMAIN_VCPU_GUEST } else { 0 };
                Some(get(self.scope.bits()
                    | guest
                    | if self.maximum { max } else { 0 })?)
            }
        };
        Ok(VcpuCounts {
            maximum_config: get(max | cfg)?,
            maximum_live: if active { Some(get(max | live)?) } else { None },
            current_config: get(cfg)?,
            current_live: if active { Some(get(live)?) } else { None },
            selected,
            name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_virsh_reads_them() {
        assert_eq!(size_kib("1024").unwrap(), 1024);
        assert_eq!(size_kib("512M").unwrap(), 512 * 1024);
        assert_eq!(size_kib("1G").unwrap(), 1024 * 1024);
        assert_eq!(size_kib("1GiB").unwrap(), 1024 * 1024);
        assert_eq!(size_kib("2048b").unwrap(), 2);
        for bad in ["", "M", "12Q", "-1"] {
            assert_eq!(size_kib(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
    }
}
