//! set-lifecycle-action, guest-agent-timeout and domdirtyrate-calc.

use super::check;
use crate::domains::resources::Scope;
use crate::tuning::affects;
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// virsh's lifecycle types, their libvirt number, XML element and libvirt's default action.
const TYPES: [(&str, u32, &str, &str); 3] = [
    (
        "poweroff",
        sys::VIR_DOMAIN_LIFECYCLE_POWEROFF,
        "on_poweroff",
        "destroy",
    ),
    ("reboot", sys::VIR_DOMAIN_LIFECYCLE_REBOOT, "on_reboot", "restart"),
    ("crash", sys::VIR_DOMAIN_LIFECYCLE_CRASH, "on_crash", "destroy"),
];

/// virsh's lifecycle actions by libvirt number.
const ACTIONS: [(&str, u32); 6] = [
    ("destroy", sys::VIR_DOMAIN_LIFECYCLE_ACTION_DESTROY),
    ("restart", sys::VIR_DOMAIN_LIFECYCLE_ACTION_RESTART),
    ("rename-restart", sys::VIR_DOMAIN_LIFECYCLE_ACTION_RESTART_RENAME),
    ("preserve", sys::VIR_DOMAIN_LIFECYCLE_ACTION_PRESERVE),
    (
        "coredump-destroy",
        sys::VIR_DOMAIN_LIFECYCLE_ACTION_COREDUMP_DESTROY,
    ),
    (
        "coredump-restart",
        sys::VIR_DOMAIN_LIFECYCLE_ACTION_COREDUMP_RESTART,
    ),
];

/// Change what the domain does on a guest power-off, reboot or crash (virsh
/// set-lifecycle-action): TYPE poweroff, reboot or crash; ACTION destroy, restart,
/// rename-restart, preserve, coredump-destroy or coredump-restart. An unknown type or action is
/// exit 7 (virsh: "Invalid lifecycle type"); a combination QEMU cannot do is libvirt's refusal.
/// Undone on a later failure: the old action set back in each scope.
#[derive(Debug, clap::Args)]
pub struct SetLifecycleAction {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The event: poweroff, reboot or crash.
    #[arg(value_name = "TYPE")]
    pub r#type: String,
    /// What the domain does on it.
    pub action: String,
    #[command(flatten)]
    pub scope: Scope,
}

/// A domain's lifecycle action after set-lifecycle-action.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LifecycleAction {
    pub name: String,
    /// False when the action was so already in every scope.
    pub changed: bool,
    /// The running domain was changed.
    pub live: bool,
    /// The persistent definition was changed.
    pub config: bool,
    /// The event: poweroff, reboot or crash.
    pub r#type: String,
    /// The action now (the XML's on_poweroff, on_reboot or on_crash).
    pub action: String,
}

impl Render for LifecycleAction {}

/// The action of `element` in the domain's XML with `flags` (libvirt's default when absent).
fn current_action(dom: &Domain, element: &str, default: &str, flags: u32) -> Result<String> {
    let xml = dom.get_xml_desc(flags).libvirt("domain XML")?;
    let open = format!("<{element}>");
    let value = xml
        .split_once(&open)
        .and_then(|(_, rest)| rest.split_once('<'))
        .map(|(value, _)| value.trim().to_string());
    Ok(value.unwrap_or_else(|| default.into()))
}

fn set_action(dom: &Domain, kind: u32, action: u32, flags: u32) -> Result<()> {
    // SAFETY: a held domain.
    let rc = unsafe { sys::virDomainSetLifecycleAction(dom.as_ptr(), kind, action, flags) };
    check(rc, "change the lifecycle action")
}

impl Verb for SetLifecycleAction {
    type Ctx = Session;
    type Output = LifecycleAction;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<LifecycleAction> {
        let Some(&(_, kind, element, default)) = TYPES.iter().find(|t| t.0 == self.r#type) else {
            return Err(
                Error::invalid(format!("invalid lifecycle type {}", quote(&self.r#type)))
                    .with_hint("poweroff, reboot or crash"),
            );
        };
        let Some(&(_, action)) = ACTIONS.iter().find(|a| a.0 == self.action) else {
            return Err(Error::invalid(format!(
                "invalid lifecycle action {}",
                quote(&self.action)
            )));
        };
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let (live, config) = affects(&self.scope, &dom)?;
        let mut changed = false;
        for (on, flag) in [
            (live, sys::VIR_DOMAIN_AFFECT_LIVE),
            (config, sys::VIR_DOMAIN_AFFECT_CONFIG),
        ] {
            if !on {
                continue;
            }
            let read = (flag == sys::VIR_DOMAIN_AFFECT_CONFIG) as u32 * sys::VIR_DOMAIN_XML_INACTIVE;
            let old = current_action(&dom, element, default, read)?;
            if old == self.action {
                continue;
            }
            set_action(&dom, kind, action, flag)
                .map_err(|e| e.context(format!("domain {}", quote(&name))))?;
            changed = true;
            let Some(&(_, old_action)) = ACTIONS.iter().find(|a| a.0 == old) else {
                journal.irreversible(format!("lifecycle action {} (was {old})", self.r#type))?;
                continue;
            };
            let undo = dom.clone();
            journal.record_fn(format!("set on_{} to {}", self.r#type, self.action), move || {
                set_action(&undo, kind, old_action, flag)
            })?;
        }
        Ok(LifecycleAction {
            name,
            changed,
            live,
            config,
            r#type: self.r#type,
            action: self.action,
        })
    }
}

/// Set how long libvirt waits for the domain's guest agent to answer (virsh
/// guest-agent-timeout): seconds, or -2 to wait forever (virsh's default without --timeout), -1
/// for libvirt's default (5 s), 0 not to wait. Below -2 is exit 7. libvirt has no call that
/// reads it back, so a later failure in --batch --atomic cannot undo it.
#[derive(Debug, clap::Args)]
pub struct GuestAgentTimeout {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Seconds to wait for the agent's answer.
    #[arg(long, allow_negative_numbers = true, default_value_t = -2)]
    pub timeout: i32,
}

/// The domain's guest agent timeout after guest-agent-timeout.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AgentTimeout {
    pub name: String,
    pub changed: bool,
    /// Seconds; -2 blocks, -1 is libvirt's default, 0 does not wait.
    pub timeout: i32,
}

impl Render for AgentTimeout {}

impl Verb for GuestAgentTimeout {
    type Ctx = Session;
    type Output = AgentTimeout;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<AgentTimeout> {
        if self.timeout < sys::VIR_DOMAIN_AGENT_RESPONSE_TIMEOUT_BLOCK {
            return Err(Error::invalid(format!(
                "guest agent timeout '{}' is less than the minimum '-2'",
                self.timeout
            )));
        }
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        // SAFETY: a held domain.
        let rc = unsafe { sys::virDomainAgentSetResponseTimeout(dom.as_ptr(), self.timeout, 0) };
        check(rc, format!("guest agent timeout of domain {}", quote(&name)))?;
        journal.irreversible(format!("guest agent timeout of domain {}", quote(&name)))?;
        Ok(AgentTimeout {
            name,
            changed: true,
            timeout: self.timeout,
        })
    }
}

/// Start measuring how fast the guest dirties its memory (virsh domdirtyrate-calc); `domstats
/// --dirtyrate` reads the result. --seconds 1 to 60 (else exit 7); --mode page-sampling (the
/// default), dirty-bitmap or dirty-ring (QEMU must have that feature: libvirt's refusal else).
#[derive(Debug, clap::Args)]
pub struct DomdirtyrateCalc {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// How long to measure.
    #[arg(long, default_value_t = 1)]
    pub seconds: i32,
    /// page-sampling, dirty-bitmap or dirty-ring.
    #[arg(long)]
    pub mode: Option<String>,
}

/// The measurement started by domdirtyrate-calc.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DirtyRateStarted {
    pub name: String,
    /// A measurement was started (nothing in the domain's configuration changes).
    pub changed: bool,
    pub seconds: i32,
    /// The mode asked for; null for QEMU's default (page-sampling).
    pub mode: Option<String>,
}

impl Render for DirtyRateStarted {
    fn text(&self, _style: TextStyle) -> String {
        "Start to calculate domain's memory dirty rate successfully.\n\n".into()
    }
}

impl Verb for DomdirtyrateCalc {
    type Ctx = Session;
    type Output = DirtyRateStarted;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<DirtyRateStarted> {
        if !(1..=60).contains(&self.seconds) {
            return Err(Error::invalid(format!(
                "seconds={} is invalid, please choose value within [1, 60]",
                self.seconds
            )));
        }
        let flags = match self.mode.as_deref() {
            None | Some("page-sampling") => sys::VIR_DOMAIN_DIRTYRATE_MODE_PAGE_SAMPLING,
            Some("dirty-bitmap") => sys::VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP,
            Some("dirty-ring") => sys::VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_RING,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "invalid dirty page rate mode {}",
                    quote(other)
                )))
            }
        };
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        // SAFETY: a held domain.
        let rc = unsafe { sys::virDomainStartDirtyRateCalc(dom.as_ptr(), self.seconds, flags) };
        check(rc, format!("dirty rate of domain {}", quote(&name)))?;
        Ok(DirtyRateStarted {
            name,
            changed: true,
            seconds: self.seconds,
            mode: self.mode,
        })
    }
}
