//! Secrets (virsh secret-*): the passphrases and keys libvirt keeps for storage (encrypted
//! volumes, ceph and iSCSI pools) and for domains (vTPM, TLS). They live in vnet-vm because
//! what uses them is what vnet-vm manages: pools, volumes and domains. A secret is named by its
//! UUID, as virsh names it.

pub mod base64;
pub mod define;
pub mod list;
pub mod value;

use virt::connect::Connect;
use virt::secret::Secret;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::is_uuid;
use vnet_common::{Error, Result};

/// The secret of this UUID, or None; text that is not a UUID is exit 7.
pub fn find(conn: &Connect, uuid: &str) -> Result<Option<Secret>> {
    if !is_uuid(uuid) {
        return Err(Error::invalid(format!("secret {}: not a UUID", quote(uuid))));
    }
    match Secret::lookup_by_uuid_string(conn, uuid.trim()) {
        Ok(secret) => Ok(Some(secret)),
        Err(e) if e.code() == virt::error::ErrorNumber::NoSecret => Ok(None),
        Err(e) => Err(vnet_common::libvirt::error(e).context(format!("secret {}", quote(uuid)))),
    }
}

/// The secret of this UUID; none is exit 3.
pub fn require(conn: &Connect, uuid: &str) -> Result<Secret> {
    find(conn, uuid)?.ok_or_else(|| {
        Error::not_found(format!("secret {} not found", quote(uuid))).with_hint("see 'vnet-vm secret-list'")
    })
}
