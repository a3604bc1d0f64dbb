//! A domain's memory limits (virsh memtune): shown without options, set with them. A change is
//! undone on a later failure by setting the old limits back, in the same scope.

use super::affects;
use super::{read_flag, typed};
use crate::domains::resources::{size_kib, Scope};
use crate::observe::params::Params;
use schemars::JsonSchema;
use serde::Serialize;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Show or set a domain's memory limits (virsh memtune). Sizes are KiB unless they have a unit
/// (512M, 1G); -1 is unlimited.
#[derive(Debug, clap::Args)]
pub struct Memtune {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The most memory the guest may use.
    #[arg(long, allow_hyphen_values = true)]
    pub hard_limit: Option<String>,
    /// The memory it is held to when the host runs short.
    #[arg(long, allow_hyphen_values = true)]
    pub soft_limit: Option<String>,
    /// The most memory plus swap it may use.
    #[arg(long, allow_hyphen_values = true)]
    pub swap_hard_limit: Option<String>,
    /// The memory it is guaranteed.
    #[arg(long, allow_hyphen_values = true)]
    pub min_guarantee: Option<String>,
    #[command(flatten)]
    pub scope: Scope,
}

/// A domain's memory limits, in KiB; null is unlimited.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MemTune {
    pub name: String,
    /// False for a query, or when the limits were so already.
    pub changed: bool,
    /// Read from (or set in) the running domain.
    pub live: bool,
    /// Read from (or set in) the persistent definition.
    pub config: bool,
    pub hard_limit_kib: Option<u64>,
    pub soft_limit_kib: Option<u64>,
    pub swap_hard_limit_kib: Option<u64>,
    /// Only from the drivers that have it (not QEMU).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_guarantee_kib: Option<u64>,
    /// The limits in libvirt's order, for -o text.
    #[serde(skip)]
    pub params: Params,
    #[serde(skip)]
    pub query: bool,
}

impl Render for MemTune {
    fn text(&self, _style: TextStyle) -> String {
        if !self.query {
            return String::new();
        }
        let value = |v: &crate::observe::params::Value| match v.as_u64() {
            Some(sys::VIR_DOMAIN_MEMORY_PARAM_UNLIMITED) => "unlimited".to_string(),
            _ => v.virsh(),
        };
        let lines = self
            .params
            .0
            .iter()
            .map(|(k, v)| format!("{k:<15}: {}\n", value(v)));
        lines.collect::<String>() + "\n"
    }
}

/// The fields given on the line, in virsh's order, each in KiB as text (-1: unlimited).
fn requested(args: &Memtune) -> Result<Vec<(String, String)>> {
    let fields = [
        (sys::VIR_DOMAIN_MEMORY_HARD_LIMIT, &args.hard_limit),
        (sys::VIR_DOMAIN_MEMORY_SOFT_LIMIT, &args.soft_limit),
        (sys::VIR_DOMAIN_MEMORY_SWAP_HARD_LIMIT, &args.swap_hard_limit),
        (sys::VIR_DOMAIN_MEMORY_MIN_GUARANTEE, &args.min_guarantee),
    ];
    let mut out = Vec::new();
    for (field, value) in fields {
        let Some(text) = value else { continue };
        let field = field.to_str().unwrap_or_default();
        let flag = format!("--{}", field.replace('_', "-"));
        let kib = match text.as_str() {
            "-1" => sys::VIR_DOMAIN_MEMORY_PARAM_UNLIMITED,
            text => size_kib(text).map_err(|e| e.context(&flag))?,
        };
        if kib > sys::VIR_DOMAIN_MEMORY_PARAM_UNLIMITED {
            return Err(Error::invalid(format!("{flag} {}: too large", quote(text))));
        }
        out.push((field.to_string(), kib.to_string()));
    }
    Ok(out)
}

impl Verb for Memtune {
    type Ctx = Session;
    type Output = MemTune;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<MemTune> {
        let wanted = requested(&self)?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let (live, config) = affects(&self.scope, &dom)?;
        let what = format!("memory parameters of domain {}", quote(&name));
        let knobs = typed::domain_knobs(
            &dom,
            sys::virDomainGetMemoryParameters,
            sys::virDomainSetMemoryParameters,
            what,
            "memory parameter",
        );
        let change = knobs.change(&wanted, read_flag(live), self.scope.bits(), journal)?;
        let params = change.after;
        let kib = |field: &str| {
            let v = params.get(field).and_then(|v| v.as_u64());
            v.filter(|v| *v != sys::VIR_DOMAIN_MEMORY_PARAM_UNLIMITED)
        };
        Ok(MemTune {
            name,
            changed: change.changed,
            live,
            config,
            hard_limit_kib: kib("hard_limit"),
            soft_limit_kib: kib("soft_limit"),
            swap_hard_limit_kib: kib("swap_hard_limit"),
            min_guarantee_kib: kib("min_guarantee"),
            query: wanted.is_empty(),
            params,
        })
    }
}
