//! Which host CPUs a domain's vCPUs and emulator threads may run on: vcpuinfo, vcpupin and
//! emulatorpin. A pin is undone on a later failure by pinning the old set back, in the same scope.

use super::{affects, host_cpus, CpuSet};
use crate::domains::resources::Scope;
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{table, Error, Journal, Render, Result, TextStyle, Verb};

/// The running domain's vCPUs: the host CPU each is on, its state, CPU time and affinity (virsh
/// vcpuinfo). A shut-off domain shows its defined affinity, the rest null. virsh's --pretty
/// indents the JSON here (-o text prints virsh's `yyyy` affinity maps).
#[derive(Debug, clap::Args)]
pub struct Vcpuinfo {
    /// The domain (name, ID or UUID).
    pub domain: String,
}

/// One vCPU as virsh vcpuinfo shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VcpuInfo {
    pub vcpu: u32,
    /// The host CPU it is on now; null when the domain is not running.
    pub cpu: Option<i32>,
    /// running, offline or blocked; null when the domain is not running.
    pub state: Option<String>,
    /// CPU time used, in nanoseconds; null when the domain is not running.
    pub cpu_time_ns: Option<u64>,
    /// The host CPUs it may run on, as a cpulist ("0-1").
    pub affinity: String,
    /// The same host CPUs, one number each.
    pub affinity_cpus: Vec<u32>,
    /// virsh's map of the host CPUs (`yy-`), for -o text.
    #[serde(skip)]
    pub map: String,
}

/// The vCPUs of a domain, in order.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct VcpuInfos(pub Vec<VcpuInfo>);

impl Render for VcpuInfos {
    fn text(&self, _style: TextStyle) -> String {
        let na = || "N/A".to_string();
        let block = |v: &VcpuInfo| {
            let time = v.cpu_time_ns.map(|t| format!("{:.1}s", t as f64 / 1e9));
            // virsh's own spelling: the label loses its colon when the time is not known.
            let time_label = if time.is_some() { "CPU time:" } else { "CPU time" };
            format!(
                "{:<15} {}\n{:<15} {}\n{:<15} {}\n{:<15} {}\n{:<15} {}\n\n",
                "VCPU:",
                v.vcpu,
                "CPU:",
                v.cpu.map_or_else(na, |c| c.to_string()),
                "State:",
                v.state.clone().unwrap_or_else(na),
                time_label,
                time.unwrap_or_else(na),
                "CPU Affinity:",
                v.map
            )
        };
        self.0.iter().map(block).collect()
    }
}

/// virsh's word for a vCPU state.
fn vcpu_state(state: i32) -> &'static str {
    match state as u32 {
        sys::VIR_VCPU_OFFLINE => "offline",
        sys::VIR_VCPU_RUNNING => "running",
        sys::VIR_VCPU_BLOCKED => "blocked",
        _ => "no state",
    }
}

impl Verb for Vcpuinfo {
    type Ctx = Session;
    type Output = VcpuInfos;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<VcpuInfos> {
        let conn = ctx.conn()?;
        let dom = lookup(conn, &self.domain)?;
        let cpus = host_cpus(conn)?;
        let what = format!("vCPUs of domain {}", quote(&self.domain));
        let info = |vcpu, set: CpuSet| VcpuInfo {
            vcpu,
            cpu: None,
            state: None,
            cpu_time_ns: None,
            affinity: set.list(),
            map: set.yes_map(cpus),
            affinity_cpus: set.0,
        };
        if !dom.is_active().libvirt("domain state")? {
            let pins = pin_info(&dom, cpus, sys::VIR_DOMAIN_AFFECT_CONFIG, &what)?;
            return Ok(VcpuInfos(
                pins.into_iter()
                    .enumerate()
                    .map(|(i, s)| info(i as u32, s))
                    .collect(),
            ));
        }
        let running = live_vcpus(&dom, cpus, &what)?;
        let rows = running.into_iter().map(|(v, set)| VcpuInfo {
            cpu: Some(v.cpu),
            state: Some(vcpu_state(v.state).into()),
            cpu_time_ns: Some(v.cpuTime),
            ..info(v.number, set)
        });
        Ok(VcpuInfos(rows.collect()))
    }
}

/// The running domain's vCPUs with their affinity (virDomainGetVcpus).
fn live_vcpus(dom: &Domain, cpus: u32, what: &str) -> Result<Vec<(sys::virVcpuInfo, CpuSet)>> {
    let n = dom.get_info().libvirt(what)?.nr_virt_cpu as usize;
    let maplen = cpus.div_ceil(8) as usize;
    // SAFETY: zeroed virVcpuInfo is plain data; libvirt fills at most `n` of each.
    let mut infos: Vec<sys::virVcpuInfo> = vec![unsafe { std::mem::zeroed() }; n];
    let mut maps = vec![0u8; n * maplen];
    let got = unsafe {
        sys::virDomainGetVcpus(
            dom.as_ptr(),
            infos.as_mut_ptr(),
            n as i32,
            maps.as_mut_ptr(),
            maplen as i32,
        )
    };
    if got < 0 {
        return Err(virt::error::Error::last_error()).libvirt(what);
    }
    let rows = infos.into_iter().take(got as usize).enumerate();
    Ok(rows
        .map(|(i, v)| (v, CpuSet::from_map(&maps[i * maplen..(i + 1) * maplen], cpus)))
        .collect())
}

/// Every vCPU's affinity in one scope (virDomainGetVcpuPinInfo; `flags` LIVE or CONFIG).
fn pin_info(dom: &Domain, cpus: u32, flags: u32, what: &str) -> Result<Vec<CpuSet>> {
    let max = dom
        .get_vcpus_flags(sys::VIR_DOMAIN_VCPU_MAXIMUM | flags)
        .libvirt(what)? as usize;
    let maplen = cpus.div_ceil(8) as usize;
    let mut maps = vec![0u8; max * maplen];
    // SAFETY: `maps` holds `max` maps of `maplen` bytes.
    let got = unsafe {
        sys::virDomainGetVcpuPinInfo(dom.as_ptr(), max as i32, maps.as_mut_ptr(), maplen as i32, flags)
    };
    if got < 0 {
        return Err(virt::error::Error::last_error()).libvirt(what);
    }
    Ok(maps
        .chunks(maplen)
        .take(got as usize)
        .map(|m| CpuSet::from_map(m, cpus))
        .collect())
}

/// The emulator threads' affinity in one scope.
fn emulator_info(dom: &Domain, cpus: u32, flags: u32, what: &str) -> Result<CpuSet> {
    let mut map = vec![0u8; cpus.div_ceil(8) as usize];
    // SAFETY: `map` is one map of its length.
    let got =
        unsafe { sys::virDomainGetEmulatorPinInfo(dom.as_ptr(), map.as_mut_ptr(), map.len() as i32, flags) };
    if got < 0 {
        return Err(virt::error::Error::last_error()).libvirt(what);
    }
    Ok(CpuSet::from_map(&map, cpus))
}

/// The scopes to act in, one libvirt flag each (LIVE, CONFIG).
pub(super) fn scope_flags(scope: &Scope, dom: &Domain) -> Result<Vec<u32>> {
    let (live, config) = affects(scope, dom)?;
    let pairs = [
        (live, sys::VIR_DOMAIN_AFFECT_LIVE),
        (config, sys::VIR_DOMAIN_AFFECT_CONFIG),
    ];
    Ok(pairs.iter().filter(|(on, _)| *on).map(|(_, f)| *f).collect())
}

/// The one scope a query reads: --live and --config together are exit 7, as virsh refuses them.
fn query_flag(scope: &Scope, dom: &Domain) -> Result<u32> {
    match scope_flags(scope, dom)?.as_slice() {
        [one] => Ok(*one),
        _ => Err(Error::invalid(
            "a query reads one scope: --live or --config, not both",
        )),
    }
}

/// Pin a domain's vCPU to host CPUs, or show the pinning (virsh vcpupin). Without --cpulist it
/// shows every vCPU's affinity (or --vcpu's); with it, pins --vcpu to those CPUs (`0-1`, `0,^1`,
/// `r` for all).
#[derive(Debug, clap::Args)]
pub struct Vcpupin {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The vCPU to pin or show.
    #[arg(long)]
    pub vcpu: Option<u32>,
    /// Host CPUs to pin to; omit to show.
    #[arg(long)]
    pub cpulist: Option<String>,
    #[command(flatten)]
    pub scope: Scope,
}

/// One vCPU's affinity.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VcpuPin {
    pub vcpu: u32,
    /// Host CPUs as a cpulist ("0-1").
    pub affinity: String,
    /// The same host CPUs, one number each.
    pub affinity_cpus: Vec<u32>,
}

/// A domain's vCPU pinning after vcpupin: every vCPU when queried, the pinned one when set.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VcpuPins {
    pub name: String,
    /// False for a query, or when the vCPU had that affinity already.
    pub changed: bool,
    /// Read from (or set in) the running domain.
    pub live: bool,
    /// Read from (or set in) the persistent definition.
    pub config: bool,
    pub vcpus: Vec<VcpuPin>,
    /// A query: -o text prints virsh's table (a change prints nothing, as virsh).
    #[serde(skip)]
    pub query: bool,
}

impl Render for VcpuPins {
    fn text(&self, style: TextStyle) -> String {
        if !self.query {
            return String::new();
        }
        let rows: Vec<Vec<String>> = self
            .vcpus
            .iter()
            .map(|v| vec![v.vcpu.to_string(), v.affinity.clone()])
            .collect();
        table::render(&["VCPU", "CPU Affinity"], &rows, style)
    }
}

fn vcpu_pin(vcpu: u32, set: CpuSet) -> VcpuPin {
    VcpuPin {
        vcpu,
        affinity: set.list(),
        affinity_cpus: set.0,
    }
}

impl Verb for Vcpupin {
    type Ctx = Session;
    type Output = VcpuPins;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<VcpuPins> {
        let conn = ctx.conn()?;
        let dom = lookup(conn, &self.domain)?;
        let name = domain_name(&dom)?;
        let cpus = host_cpus(conn)?;
        let what = format!("vCPU pinning of domain {}", quote(&name));
        let Some(list) = &self.cpulist else {
            return self.query(dom, name, cpus, &what);
        };
        let vcpu = self
            .vcpu
            .ok_or_else(|| Error::invalid("vcpupin --cpulist needs --vcpu: the vCPU to pin"))?;
        let set = CpuSet::parse(list, cpus)?;
        let flags = scope_flags(&self.scope, &dom)?;
        let mut changed = false;
        for &flag in &flags {
            let old = one_vcpu(pin_info(&dom, cpus, flag, &what)?, vcpu, &name)?;
            if old == set {
                continue;
            }
            let step = format!("pin vCPU {vcpu} of domain {} to {}", quote(&name), set.list());
            dom.pin_vcpu_flags(vcpu, &set.to_map(cpus), flag).libvirt(&step)?;
            changed = true;
            let undo = dom.clone();
            journal.record_fn(step, move || {
                undo.pin_vcpu_flags(vcpu, &old.to_map(cpus), flag)
                    .map(drop)
                    .libvirt("pin the vCPU back")
            })?;
        }
        let now = one_vcpu(pin_info(&dom, cpus, flags[0], &what)?, vcpu, &name)?;
        Ok(VcpuPins {
            name,
            changed,
            live: flags.contains(&sys::VIR_DOMAIN_AFFECT_LIVE),
            config: flags.contains(&sys::VIR_DOMAIN_AFFECT_CONFIG),
            vcpus: vec![vcpu_pin(vcpu, now)],
            query: false,
        })
    }
}

/// vCPU `vcpu` of `pins`; past the domain's vCPUs is exit 7.
fn one_vcpu(pins: Vec<CpuSet>, vcpu: u32, name: &str) -> Result<CpuSet> {
    let count = pins.len();
    pins.into_iter().nth(vcpu as usize).ok_or_else(|| {
        Error::invalid(format!(
            "vCPU {vcpu} of domain {}: out of range, it has {count}",
            quote(name)
        ))
    })
}

impl Vcpupin {
    fn query(&self, dom: Domain, name: String, cpus: u32, what: &str) -> Result<VcpuPins> {
        let flag = query_flag(&self.scope, &dom)?;
        let pins = pin_info(&dom, cpus, flag, what)?;
        let vcpus = match self.vcpu {
            Some(v) => vec![vcpu_pin(v, one_vcpu(pins, v, &name)?)],
            None => pins
                .into_iter()
                .enumerate()
                .map(|(i, s)| vcpu_pin(i as u32, s))
                .collect(),
        };
        Ok(VcpuPins {
            name,
            changed: false,
            live: flag == sys::VIR_DOMAIN_AFFECT_LIVE,
            config: flag == sys::VIR_DOMAIN_AFFECT_CONFIG,
            vcpus,
            query: true,
        })
    }
}

/// Pin a domain's emulator threads to host CPUs, or show their affinity (virsh emulatorpin).
#[derive(Debug, clap::Args)]
pub struct Emulatorpin {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Host CPUs to pin to (`0-1`, `r` for all); omit to show.
    #[arg(long)]
    pub cpulist: Option<String>,
    #[command(flatten)]
    pub scope: Scope,
}

/// A domain's emulator affinity after emulatorpin.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EmulatorPin {
    pub name: String,
    /// False for a query, or when it had that affinity already.
    pub changed: bool,
    pub live: bool,
    pub config: bool,
    /// Host CPUs as a cpulist ("0-1").
    pub affinity: String,
    /// The same host CPUs, one number each.
    pub affinity_cpus: Vec<u32>,
    #[serde(skip)]
    pub query: bool,
}

impl Render for EmulatorPin {
    fn text(&self, _style: TextStyle) -> String {
        match self.query {
            true => format!(
                "emulator: CPU Affinity\n{}\n{:>8}: {}\n\n",
                "-".repeat(34),
                "*",
                self.affinity
            ),
            false => String::new(),
        }
    }
}

impl Verb for Emulatorpin {
    type Ctx = Session;
    type Output = EmulatorPin;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<EmulatorPin> {
        let conn = ctx.conn()?;
        let dom = lookup(conn, &self.domain)?;
        let name = domain_name(&dom)?;
        let cpus = host_cpus(conn)?;
        let what = format!("emulator pinning of domain {}", quote(&name));
        let set = self
            .cpulist
            .as_deref()
            .map(|l| CpuSet::parse(l, cpus))
            .transpose()?;
        let flags = match set {
            None => vec![query_flag(&self.scope, &dom)?],
            Some(_) => scope_flags(&self.scope, &dom)?,
        };
        let changed = match &set {
            Some(set) => pin_emulator(&dom, set, &flags, cpus, journal)?,
            None => false,
        };
        let now = emulator_info(&dom, cpus, flags[0], &what)?;
        Ok(EmulatorPin {
            name,
            changed,
            live: flags.contains(&sys::VIR_DOMAIN_AFFECT_LIVE),
            config: flags.contains(&sys::VIR_DOMAIN_AFFECT_CONFIG),
            affinity: now.list(),
            affinity_cpus: now.0,
            query: set.is_none(),
        })
    }
}

/// Pins the emulator threads to `set` in each scope of `flags` where they are not already;
/// whether any changed.
fn pin_emulator(dom: &Domain, set: &CpuSet, flags: &[u32], cpus: u32, journal: &mut Journal) -> Result<bool> {
    let name = domain_name(dom)?;
    let mut changed = false;
    for &flag in flags {
        let old = emulator_info(dom, cpus, flag, "emulator pinning")?;
        if old == *set {
            continue;
        }
        let step = format!("pin the emulator of domain {} to {}", quote(&name), set.list());
        dom.pin_emulator(&set.to_map(cpus), flag).libvirt(&step)?;
        changed = true;
        let undo = dom.clone();
        journal.record_fn(step, move || {
            undo.pin_emulator(&old.to_map(cpus), flag)
                .map(drop)
                .libvirt("pin the emulator back")
        })?;
    }
    Ok(changed)
}
