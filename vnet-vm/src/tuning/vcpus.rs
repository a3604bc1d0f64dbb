//! Single vCPUs on and off: in the guest through its agent (virsh guestvcpus) and as the
//! hypervisor's hot-plug (virsh setvcpu). Each change is undone by the opposite one.

use super::{affects, CpuSet};
use crate::agent::{agent_error, agent_ready};
use crate::domains::resources::Scope;
use crate::observe::params::Params;
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CString;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// --enable or --disable, one of them.
#[derive(Debug, Clone, clap::Args)]
#[group(multiple = false)]
pub struct OnOff {
    /// Turn the listed CPUs on.
    #[arg(long)]
    pub enable: bool,
    /// Turn the listed CPUs off.
    #[arg(long)]
    pub disable: bool,
}

/// A list of vCPU numbers as virsh takes it (`1-3,^2`), checked against the `count` the domain
/// may have; back as text for libvirt.
fn vcpu_list(text: &str, count: u32) -> Result<String> {
    let set = CpuSet::parse(text, count).map_err(|e| e.context("vCPU list"))?;
    Ok(set.list())
}

/// Show the guest's own view of its vCPUs, or turn some on or off, through the guest agent
/// (virsh guestvcpus). A domain without a connected agent is exit 6, nothing changed.
#[derive(Debug, clap::Args)]
pub struct Guestvcpus {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The guest CPUs to turn on or off (`1-3`); omit to show.
    #[arg(long, requires = "OnOff")]
    pub cpulist: Option<String>,
    #[command(flatten)]
    pub state: OnOff,
}

/// The guest's vCPUs as its agent reports them: `vcpus`, `online` and `offlinable` cpulists.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GuestVcpus {
    pub name: String,
    /// False for a query, or when the CPUs were so already.
    pub changed: bool,
    pub params: Params,
    #[serde(skip)]
    pub query: bool,
}

impl Render for GuestVcpus {
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

fn guest_vcpus(dom: &Domain, what: &str) -> Result<Params> {
    let (mut params, mut n): (sys::virTypedParameterPtr, u32) = (std::ptr::null_mut(), 0);
    // SAFETY: libvirt allocates the parameters; Params::take frees them.
    let rc = unsafe { sys::virDomainGetGuestVcpus(dom.as_ptr(), &mut params, &mut n, 0) };
    if rc < 0 {
        return Err(agent_error(virt::error::Error::last_error(), what));
    }
    Ok(unsafe { Params::take(params, n as i32) })
}

fn set_guest_vcpus(dom: &Domain, list: &str, on: bool, what: &str) -> Result<()> {
    let map = CString::new(list).map_err(|_| Error::invalid("vCPU list"))?;
    // SAFETY: a NUL-terminated list on a held domain.
    let rc = unsafe { sys::virDomainSetGuestVcpus(dom.as_ptr(), map.as_ptr(), on as i32, 0) };
    match rc {
        rc if rc < 0 => Err(agent_error(virt::error::Error::last_error(), what)),
        _ => Ok(()),
    }
}

impl Verb for Guestvcpus {
    type Ctx = Session;
    type Output = GuestVcpus;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<GuestVcpus> {
        if self.cpulist.is_none() && (self.state.enable || self.state.disable) {
            return Err(Error::invalid("guestvcpus --enable/--disable needs --cpulist"));
        }
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        agent_ready(&dom, &name)?;
        let what = format!("guest vCPUs of domain {}", quote(&name));
        let before = guest_vcpus(&dom, &what)?;
        let Some(text) = &self.cpulist else {
            return Ok(GuestVcpus {
                name,
                changed: false,
                params: before,
                query: true,
            });
        };
        let count = dom.get_vcpus_flags(sys::VIR_DOMAIN_VCPU_MAXIMUM).libvirt(&what)?;
        let list = vcpu_list(text, count)?;
        let on = self.state.enable;
        set_guest_vcpus(&dom, &list, on, &what)?;
        let after = guest_vcpus(&dom, &what)?;
        let changed = after != before;
        if changed {
            let step = format!("turn guest vCPUs {list} {}", if on { "on" } else { "off" });
            journal.record_fn(step, move || set_guest_vcpus(&dom, &list, !on, "turn them back"))?;
        }
        Ok(GuestVcpus {
            name,
            changed,
            params: after,
            query: false,
        })
    }
}

/// Hot-plug or unplug single vCPUs of a domain (virsh setvcpu); the domain's vCPUs must be
/// hotpluggable for a live change.
#[derive(Debug, clap::Args)]
pub struct Setvcpu {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The vCPUs (`1`, `2-3`).
    pub vcpulist: String,
    #[command(flatten)]
    pub state: OnOff,
    #[command(flatten)]
    pub scope: Scope,
}

/// A domain's vCPUs after setvcpu.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VcpuSet {
    pub name: String,
    /// False when the vCPUs were so already.
    pub changed: bool,
    pub live: bool,
    pub config: bool,
    /// The vCPUs enabled now, in the scope changed (the live one when both).
    pub count: u32,
}

impl Render for VcpuSet {}

fn set_vcpu(dom: &Domain, list: &str, on: bool, flags: u32) -> Result<()> {
    let map = CString::new(list).map_err(|_| Error::invalid("vCPU list"))?;
    // SAFETY: a NUL-terminated list on a held domain.
    let rc = unsafe { sys::virDomainSetVcpu(dom.as_ptr(), map.as_ptr(), on as i32, flags) };
    match rc {
        rc if rc < 0 => Err(virt::error::Error::last_error()).libvirt(format!("set vCPUs {list}")),
        _ => Ok(()),
    }
}

impl Verb for Setvcpu {
    type Ctx = Session;
    type Output = VcpuSet;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<VcpuSet> {
        if !(self.state.enable || self.state.disable) {
            return Err(Error::invalid("setvcpu needs --enable or --disable"));
        }
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let (live, config) = affects(&self.scope, &dom)?;
        let scope = match live {
            true => sys::VIR_DOMAIN_AFFECT_LIVE,
            false => sys::VIR_DOMAIN_AFFECT_CONFIG,
        };
        let what = format!("vCPUs of domain {}", quote(&name));
        let max = dom
            .get_vcpus_flags(sys::VIR_DOMAIN_VCPU_MAXIMUM | scope)
            .libvirt(&what)?;
        let list = vcpu_list(&self.vcpulist, max)?;
        let before = dom.get_vcpus_flags(scope).libvirt(&what)?;
        let (on, flags) = (self.state.enable, self.scope.bits());
        set_vcpu(&dom, &list, on, flags)?;
        let count = dom.get_vcpus_flags(scope).libvirt(&what)?;
        let changed = count != before;
        if changed {
            let step = format!("turn vCPUs {list} {}", if on { "on" } else { "off" });
            journal.record_fn(step, move || set_vcpu(&dom, &list, !on, flags))?;
        }
        Ok(VcpuSet {
            name,
            changed,
            live,
            config,
            count,
        })
    }
}
