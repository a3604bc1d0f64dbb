//! Network filters (virsh nwfilter-*): the firewall rule sets libvirt applies to guest ports,
//! and their bindings to ports. They live in vnet-net beside the networks whose ports they
//! guard; the verbs keep virsh's names (`vnet-net nwfilter-define`), so a script swaps the
//! command only.

pub mod bindings;
pub mod filters;

use virt::connect::Connect;
use virt::nwfilter::NWFilter;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::is_uuid;
use vnet_common::{Error, Result};

/// The filter `key` names (UUID, then name, as virsh tries them), or None.
pub fn find(conn: &Connect, key: &str) -> Result<Option<NWFilter>> {
    let missing = |e: &virt::error::Error| e.code() == virt::error::ErrorNumber::NoNwfilter;
    if is_uuid(key) {
        match NWFilter::lookup_by_uuid_string(conn, key.trim()) {
            Ok(filter) => return Ok(Some(filter)),
            Err(e) if missing(&e) => {}
            Err(e) => {
                return Err(vnet_common::libvirt::error(e).context(format!("network filter {}", quote(key))))
            }
        }
    }
    match NWFilter::lookup_by_name(conn, key) {
        Ok(filter) => Ok(Some(filter)),
        Err(e) if missing(&e) => Ok(None),
        Err(e) => Err(vnet_common::libvirt::error(e).context(format!("network filter {}", quote(key)))),
    }
}

/// The filter `key` names; none is exit 3.
pub fn require(conn: &Connect, key: &str) -> Result<NWFilter> {
    find(conn, key)?.ok_or_else(|| {
        Error::not_found(format!("network filter {} not found", quote(key)))
            .with_hint("see 'vnet-net nwfilter-list'")
    })
}
