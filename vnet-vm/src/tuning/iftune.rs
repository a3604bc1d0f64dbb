//! A domain NIC's bandwidth limits (virsh domiftune): shown without options, set with
//! --inbound/--outbound `average[,peak[,burst[,floor]]]` (KiB/s, KiB); a change is undone by
//! setting the old limits back.

use super::typed::Knobs;
use super::{affects, read_flag, Tuned};
use crate::domains::resources::Scope;
use std::ffi::CString;
use std::rc::Rc;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Result, Verb};

/// Show or set a domain NIC's bandwidth (virsh domiftune). 0 as the average removes the limit.
#[derive(Debug, clap::Args)]
pub struct Domiftune {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The NIC: its MAC address or host-side device (vnet0).
    pub interface: String,
    /// Incoming traffic: average[,peak[,burst[,floor]]] in KiB/s (burst in KiB).
    #[arg(long)]
    pub inbound: Option<String>,
    /// Outgoing traffic: average[,peak[,burst]] in KiB/s (burst in KiB).
    #[arg(long)]
    pub outbound: Option<String>,
    #[command(flatten)]
    pub scope: Scope,
}

/// The libvirt fields of `--DIRECTION RATE`; an empty part is left as it is.
fn rate(direction: &str, text: &str, parts: &[&str]) -> Result<Vec<(String, String)>> {
    let bad = || {
        Error::invalid(format!(
            "--{direction} {}: average[,peak[,burst{}]] in KiB/s",
            quote(text),
            if parts.len() == 4 { "[,floor]" } else { "" }
        ))
    };
    let values: Vec<&str> = text.split(',').collect();
    if values.len() > parts.len() || values[0].is_empty() {
        return Err(bad());
    }
    let mut out = Vec::new();
    for (part, value) in parts.iter().zip(values).filter(|(_, v)| !v.is_empty()) {
        value.parse::<u32>().map_err(|_| bad())?;
        out.push((format!("{direction}.{part}"), value.to_string()));
    }
    Ok(out)
}

impl Domiftune {
    fn wanted(&self) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        if let Some(text) = &self.inbound {
            out.extend(rate("inbound", text, &["average", "peak", "burst", "floor"])?);
        }
        if let Some(text) = &self.outbound {
            out.extend(rate("outbound", text, &["average", "peak", "burst"])?);
        }
        Ok(out)
    }
}

/// The get/set pair of one NIC's bandwidth.
fn nic_knobs(dom: &Domain, nic: &str, what: String) -> Result<Knobs> {
    let nic = CString::new(nic).map_err(|_| Error::invalid(format!("interface {}", quote(nic))))?;
    let (getter, setter, nic2) = (dom.clone(), dom.clone(), nic.clone());
    Ok(Knobs {
        // SAFETY: the closures hold the domain and the name; `p` is null or holds `*n`.
        get: Box::new(move |p, n, flags| unsafe {
            sys::virDomainGetInterfaceParameters(getter.as_ptr(), nic.as_ptr(), p, n, flags)
        }),
        set: Rc::new(move |p, n, flags| unsafe {
            sys::virDomainSetInterfaceParameters(setter.as_ptr(), nic2.as_ptr(), p, n, flags)
        }),
        what,
        field_word: "interface parameter",
    })
}

impl Verb for Domiftune {
    type Ctx = Session;
    type Output = Tuned;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Tuned> {
        let wanted = self.wanted()?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let (live, config) = affects(&self.scope, &dom)?;
        let what = format!(
            "bandwidth of interface {} of domain {}",
            quote(&self.interface),
            quote(&name)
        );
        let knobs = nic_knobs(&dom, &self.interface, what)?;
        let change = knobs.change(&wanted, read_flag(live), self.scope.bits(), journal)?;
        Ok(Tuned {
            name,
            changed: change.changed,
            live,
            config,
            params: change.after,
            query: wanted.is_empty(),
        })
    }
}
