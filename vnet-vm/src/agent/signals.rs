//! Signals a running guest gets from outside: a non-maskable interrupt (virsh inject-nmi) and
//! power management through its guest agent (virsh dompmsuspend, dompmwakeup). None of them can
//! be undone; each needs a running domain (exit 1 otherwise), the PM verbs an agent (exit 6).

use super::{agent_error, agent_ready};
use crate::domains::lookup::{resolve, state_of};
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// What a signal verb did, and virsh's line for it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Signalled {
    pub domain: String,
    /// "nmi", or the suspend target (mem, disk, hybrid), or "wakeup".
    pub signal: String,
    #[serde(skip)]
    #[schemars(skip)]
    said: String,
}

impl Render for Signalled {
    fn text(&self, _style: TextStyle) -> String {
        self.said.clone()
    }
}

/// A running domain, by name, ID or UUID; exit 1 when it is not running.
fn running(ctx: &mut Session, key: &mut String, verb: &str) -> Result<Domain> {
    let dom = resolve(ctx.conn()?, key)?;
    if !dom.is_active().libvirt(format!("domain {key}"))? {
        return Err(Error::failed(format!(
            "domain {} is {}: {verb} needs a running domain",
            quote(key),
            state_of(&dom)
        )));
    }
    Ok(dom)
}

/// Send a non-maskable interrupt to a running guest (virsh inject-nmi): its kernel's NMI
/// handler runs (Linux logs "NMI received", or panics if told to). Cannot be undone.
#[derive(Debug, clap::Args)]
pub struct InjectNmi {
    pub domain: String,
}

impl Verb for InjectNmi {
    type Ctx = Session;
    type Output = Signalled;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<Signalled> {
        let dom = running(ctx, &mut self.domain, "inject-nmi")?;
        // SAFETY: a live domain handle; virt 0.4 has no safe wrapper for this call.
        let rc = unsafe { sys::virDomainInjectNMI(dom.as_ptr(), 0) };
        if rc < 0 {
            return Err(vnet_common::libvirt::error(virt::error::Error::last_error()).context("inject-nmi"));
        }
        journal.irreversible(format!("NMI to domain {}", quote(&self.domain)))?;
        Ok(Signalled {
            domain: self.domain,
            signal: "nmi".into(),
            said: String::new(),
        })
    }
}

/// Suspend a running guest to memory, disk or both through its guest agent (virsh
/// dompmsuspend); TARGET is mem, disk or hybrid. No agent: exit 6, nothing asked of the guest.
#[derive(Debug, clap::Args)]
pub struct Dompmsuspend {
    pub domain: String,
    #[arg(value_parser = ["mem", "disk", "hybrid"])]
    pub target: String,
    /// Wake up after this many seconds (0: no timer), where the guest supports it.
    #[arg(long, default_value_t = 0)]
    pub duration: u64,
}

impl Verb for Dompmsuspend {
    type Ctx = Session;
    type Output = Signalled;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<Signalled> {
        let dom = running(ctx, &mut self.domain, "dompmsuspend")?;
        agent_ready(&dom, &self.domain)?;
        let target = match self.target.as_str() {
            "mem" => sys::VIR_NODE_SUSPEND_TARGET_MEM,
            "disk" => sys::VIR_NODE_SUSPEND_TARGET_DISK,
            _ => sys::VIR_NODE_SUSPEND_TARGET_HYBRID,
        };
        // SAFETY: a live domain handle; virt 0.4 has no safe wrapper for this call.
        let rc = unsafe { sys::virDomainPMSuspendForDuration(dom.as_ptr(), target, self.duration, 0) };
        if rc < 0 {
            return Err(agent_error(virt::error::Error::last_error(), "dompmsuspend"));
        }
        journal.irreversible(format!(
            "suspend domain {} to {}",
            quote(&self.domain),
            self.target
        ))?;
        let said = format!("Domain '{}' successfully suspended\n\n", self.domain);
        Ok(Signalled {
            domain: self.domain,
            signal: self.target,
            said,
        })
    }
}

/// Wake a guest suspended by dompmsuspend (virsh dompmwakeup).
#[derive(Debug, clap::Args)]
pub struct Dompmwakeup {
    pub domain: String,
}

impl Verb for Dompmwakeup {
    type Ctx = Session;
    type Output = Signalled;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<Signalled> {
        let dom = running(ctx, &mut self.domain, "dompmwakeup")?;
        dom.pm_wakeup(0)
            .libvirt(format!("waking domain {} up", quote(&self.domain)))?;
        journal.irreversible(format!("wake domain {} up", quote(&self.domain)))?;
        let said = format!("Domain '{}' successfully woken up\n\n", self.domain);
        Ok(Signalled {
            domain: self.domain,
            signal: "wakeup".into(),
            said,
        })
    }
}
