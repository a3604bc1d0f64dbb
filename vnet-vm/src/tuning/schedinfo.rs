//! A domain's CPU scheduler parameters (virsh schedinfo): shown, and set with `--set
//! name=value` (virsh's --weight and --cap are `--set weight=` and `--set cap=`). Each value is
//! read as the type libvirt gives that parameter; a change is undone by setting the old values.

use super::affects;
use super::{read_flag, typed};
use crate::domains::resources::Scope;
use crate::observe::params::Params;
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Show or set a domain's scheduler parameters (virsh schedinfo).
#[derive(Debug, clap::Args)]
pub struct Schedinfo {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Xen credit scheduler's weight: the same as --set weight=N.
    #[arg(long)]
    pub weight: Option<u32>,
    /// Xen credit scheduler's cap: the same as --set cap=N.
    #[arg(long)]
    pub cap: Option<u32>,
    /// A parameter to set, NAME=VALUE (cpu_shares=512, vcpu_quota=-1); repeatable.
    #[arg(long, value_name = "NAME=VALUE", allow_hyphen_values = true)]
    pub set: Vec<String>,
    #[command(flatten)]
    pub scope: Scope,
}

/// A domain's scheduler and its parameters, after any change.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SchedInfo {
    pub name: String,
    /// False for a query, or when the parameters were so already.
    pub changed: bool,
    /// libvirt's scheduler name ("posix" for QEMU).
    pub scheduler: String,
    /// The parameters by libvirt's names, with libvirt's types.
    pub params: Params,
}

impl Render for SchedInfo {
    fn text(&self, _style: TextStyle) -> String {
        let head = format!("{:<15}: {}\n", "Scheduler", self.scheduler);
        let lines = self
            .params
            .0
            .iter()
            .map(|(k, v)| format!("{k:<15}: {}\n", v.virsh()));
        head + &lines.collect::<String>() + "\n"
    }
}

/// The NAME=VALUE pairs of the line, --weight and --cap first (as virsh takes them).
fn pairs(args: &Schedinfo) -> Result<Vec<(String, String)>> {
    let named = [("weight", args.weight), ("cap", args.cap)];
    let mut out: Vec<(String, String)> = named
        .iter()
        .filter_map(|(k, v)| Some((k.to_string(), (*v)?.to_string())))
        .collect();
    for item in &args.set {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| Error::invalid(format!("--set {}: NAME=VALUE", quote(item))))?;
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

fn scheduler_name(dom: &Domain) -> Result<String> {
    dom.get_scheduler_type()
        .map(|(name, _)| name)
        .libvirt("scheduler type")
}

/// virDomainGetSchedulerParametersFlags, but for the count: libvirt gives that through
/// virDomainGetSchedulerType.
unsafe extern "C" fn get_params(
    dom: sys::virDomainPtr,
    p: sys::virTypedParameterPtr,
    n: *mut i32,
    flags: u32,
) -> i32 {
    if !p.is_null() {
        return sys::virDomainGetSchedulerParametersFlags(dom, p, n, flags);
    }
    let name = sys::virDomainGetSchedulerType(dom, n);
    if name.is_null() {
        return -1;
    }
    libc::free(name.cast());
    0
}

impl Verb for Schedinfo {
    type Ctx = Session;
    type Output = SchedInfo;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SchedInfo> {
        let wanted = pairs(&self)?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let (live, _) = affects(&self.scope, &dom)?;
        let what = format!("scheduler parameters of domain {}", quote(&name));
        let knobs = typed::domain_knobs(
            &dom,
            get_params,
            sys::virDomainSetSchedulerParametersFlags,
            what,
            "scheduler option",
        );
        let change = knobs.change(&wanted, read_flag(live), self.scope.bits(), journal)?;
        Ok(SchedInfo {
            name,
            changed: change.changed,
            scheduler: scheduler_name(&dom)?,
            params: change.after,
        })
    }
}
