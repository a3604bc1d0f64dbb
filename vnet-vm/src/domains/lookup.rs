//! Finding a domain by name, ID or UUID, and virsh's words for its state.

use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;
use vnet_common::{Error, Result};

/// virsh's word for a domain state.
pub fn state_name(state: sys::virDomainState) -> &'static str {
    match state {
        sys::VIR_DOMAIN_RUNNING => "running",
        sys::VIR_DOMAIN_BLOCKED => "idle",
        sys::VIR_DOMAIN_PAUSED => "paused",
        sys::VIR_DOMAIN_SHUTDOWN => "in shutdown",
        sys::VIR_DOMAIN_SHUTOFF => "shut off",
        sys::VIR_DOMAIN_CRASHED => "crashed",
        sys::VIR_DOMAIN_PMSUSPENDED => "pmsuspended",
        _ => "no state",
    }
}

pub fn state_of(dom: &Domain) -> &'static str {
    dom.get_state().map(|(s, _)| state_name(s)).unwrap_or("no state")
}

pub fn lookup(conn: &Connect, name: &str) -> Result<Domain> {
    Domain::lookup_by_name(conn, name).map_err(|e| match e.code() {
        virt::error::ErrorNumber::NoDomain => Error::not_found(format!("domain {name} not found")),
        _ => vnet_common::libvirt::error(e).context(format!("domain {name}")),
    })
}
