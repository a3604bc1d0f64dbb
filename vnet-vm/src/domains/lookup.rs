//! Finding a domain by name, ID or UUID (vnet_common::libvirt::lookup), and virsh's words for its state.

use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;
use vnet_common::Result;

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

/// The domain `key` names: an ID, a UUID or a name, tried in virsh's order; none is exit 3.
pub fn lookup(conn: &Connect, key: &str) -> Result<Domain> {
    vnet_common::libvirt::lookup::domain(conn, key)
}

/// [`lookup`], then puts the domain's own name in `key`: results and messages name the domain
/// as libvirt does, whether the line said `vm1`, `3` or its UUID.
pub fn resolve(conn: &Connect, key: &mut String) -> Result<Domain> {
    let dom = lookup(conn, key)?;
    *key = vnet_common::libvirt::lookup::domain_name(&dom)?;
    Ok(dom)
}
