//! A domain's NUMA memory placement (virsh numatune): shown without options, set with --mode
//! and --nodeset; a change is undone by setting the old placement back.

use super::{affects, read_flag, typed, Tuned};
use crate::domains::resources::Scope;
use crate::observe::params::Value;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Result, Verb};

/// libvirt's NUMA modes, by number.
const MODES: [&str; 4] = ["strict", "preferred", "interleave", "restrictive"];

/// Show or set a domain's NUMA memory mode and nodes (virsh numatune).
#[derive(Debug, clap::Args)]
pub struct Numatune {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// strict, preferred, interleave or restrictive (or libvirt's number for one).
    #[arg(long)]
    pub mode: Option<String>,
    /// Host NUMA nodes, as a list (0-1,3).
    #[arg(long)]
    pub nodeset: Option<String>,
    #[command(flatten)]
    pub scope: Scope,
}

impl Numatune {
    fn wanted(&self) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        if let Some(mode) = &self.mode {
            let number = match MODES.iter().position(|m| m == mode) {
                Some(n) => n as u32,
                None => mode.parse().map_err(|_| {
                    Error::invalid(format!(
                        "invalid NUMA mode {}: one of {}",
                        quote(mode),
                        MODES.join(", ")
                    ))
                })?,
            };
            out.push(("numa_mode".to_string(), number.to_string()));
        }
        if let Some(nodes) = &self.nodeset {
            out.push(("numa_nodeset".to_string(), nodes.clone()));
        }
        Ok(out)
    }
}

impl Verb for Numatune {
    type Ctx = Session;
    type Output = Tuned;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Tuned> {
        let wanted = self.wanted()?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let (live, config) = affects(&self.scope, &dom)?;
        let what = format!("NUMA parameters of domain {}", quote(&name));
        let knobs = typed::domain_knobs(
            &dom,
            sys::virDomainGetNumaParameters,
            sys::virDomainSetNumaParameters,
            what,
            "NUMA parameter",
        );
        let change = knobs.change(&wanted, read_flag(live), self.scope.bits(), journal)?;
        let mut params = change.after;
        // virsh prints the mode by name.
        for (_, value) in params.0.iter_mut().filter(|(f, _)| f == "numa_mode") {
            if let Some(mode) = value.as_u64().and_then(|n| MODES.get(n as usize)) {
                *value = Value::Text(mode.to_string());
            }
        }
        Ok(Tuned {
            name,
            changed: change.changed,
            live,
            config,
            params,
            query: wanted.is_empty(),
        })
    }
}
