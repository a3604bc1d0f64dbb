//! Finding a libvirt object by any of the names virsh takes for it, in one place: a domain by ID,
//! UUID or name (virsh's order: an ID when the text is a number, then a UUID when it parses as
//! one, then a name), a network or a storage pool by UUID or name. A script that says
//! `virsh shutdown $uuid` or `virsh dominfo 3` switches to vnet unchanged; results still report
//! the object's own name (see [`domain_name`] and friends).

use super::error;
use crate::{Error, Result};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::{Error as VirtError, ErrorNumber};
use virt::network::Network;
use virt::storage_pool::StoragePool;

/// True when `text` is a UUID as libvirt parses one: 32 hex digits, with hyphens between pairs
/// allowed (the canonical 8-4-4-4-12 form and the bare 32-digit form both count).
pub fn is_uuid(text: &str) -> bool {
    let text = text.trim();
    let digits = text.chars().filter(char::is_ascii_hexdigit).count();
    let only_hex_and_hyphens = text.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    digits == 32 && only_hex_and_hyphens && !text.starts_with('-') && !text.ends_with('-')
}

/// A domain ID as virsh reads one: a non-negative decimal number.
fn as_id(text: &str) -> Option<u32> {
    text.parse::<i32>().ok().and_then(|id| u32::try_from(id).ok())
}

/// One attempt: Some(object), None when libvirt has no such object (`missing`), an error else.
fn attempt<T>(
    found: std::result::Result<T, VirtError>,
    missing: ErrorNumber,
    what: &str,
) -> Result<Option<T>> {
    match found {
        Ok(obj) => Ok(Some(obj)),
        Err(e) if e.code() == missing => Ok(None),
        Err(e) => Err(error(e).context(what.to_string())),
    }
}

/// The domain `key` names (ID, UUID, then name, as virsh tries them), or None.
pub fn find_domain(conn: &Connect, key: &str) -> Result<Option<Domain>> {
    let what = format!("domain {key}");
    if let Some(id) = as_id(key) {
        if let Some(dom) = attempt(Domain::lookup_by_id(conn, id), ErrorNumber::NoDomain, &what)? {
            return Ok(Some(dom));
        }
    }
    if is_uuid(key) {
        let by_uuid = Domain::lookup_by_uuid_string(conn, key.trim());
        if let Some(dom) = attempt(by_uuid, ErrorNumber::NoDomain, &what)? {
            return Ok(Some(dom));
        }
    }
    attempt(Domain::lookup_by_name(conn, key), ErrorNumber::NoDomain, &what)
}

/// The domain `key` names; none is exit 3 ("domain KEY not found").
pub fn domain(conn: &Connect, key: &str) -> Result<Domain> {
    find_domain(conn, key)?.ok_or_else(|| Error::not_found(format!("domain {key} not found")))
}

/// The network `key` names (UUID, then name, as virsh tries them), or None.
pub fn find_network(conn: &Connect, key: &str) -> Result<Option<Network>> {
    let what = format!("network {key}");
    if is_uuid(key) {
        let by_uuid = Network::lookup_by_uuid_string(conn, key.trim());
        if let Some(net) = attempt(by_uuid, ErrorNumber::NoNetwork, &what)? {
            return Ok(Some(net));
        }
    }
    attempt(Network::lookup_by_name(conn, key), ErrorNumber::NoNetwork, &what)
}

/// The network `key` names; none is exit 3 ("network KEY not found").
pub fn network(conn: &Connect, key: &str) -> Result<Network> {
    find_network(conn, key)?.ok_or_else(|| {
        Error::not_found(format!("network {key} not found"))
            .with_hint("see 'vnet-net list --all' for the defined networks")
    })
}

/// The storage pool `key` names (UUID, then name, as virsh tries them), or None.
pub fn find_pool(conn: &Connect, key: &str) -> Result<Option<StoragePool>> {
    let what = format!("storage pool {key}");
    if is_uuid(key) {
        let by_uuid = StoragePool::lookup_by_uuid_string(conn, key.trim());
        if let Some(pool) = attempt(by_uuid, ErrorNumber::NoStoragePool, &what)? {
            return Ok(Some(pool));
        }
    }
    attempt(
        StoragePool::lookup_by_name(conn, key),
        ErrorNumber::NoStoragePool,
        &what,
    )
}

/// The storage pool `key` names; none is exit 3 ("storage pool KEY not found").
pub fn pool(conn: &Connect, key: &str) -> Result<StoragePool> {
    find_pool(conn, key)?.ok_or_else(|| {
        Error::not_found(format!("storage pool {key} not found"))
            .with_hint("see 'vnet-vm pool-list --all' for the defined pools")
    })
}

/// The domain's own name, what results report whichever name found it.
pub fn domain_name(dom: &Domain) -> Result<String> {
    dom.get_name().map_err(|e| error(e).context("domain name"))
}

/// The network's own name.
pub fn network_name(net: &Network) -> Result<String> {
    net.get_name().map_err(|e| error(e).context("network name"))
}

/// The storage pool's own name.
pub fn pool_name(pool: &StoragePool) -> Result<String> {
    pool.get_name().map_err(|e| error(e).context("storage pool name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn conn() -> Connect {
        virt::error::clear_error_callback();
        Connect::open(Some("test:///default")).unwrap()
    }

    #[test]
    fn reads_uuids_as_libvirt_does() {
        assert!(is_uuid("6695eb01-f6a4-8304-79aa-97f2502e193f"));
        assert!(is_uuid("6695eb01f6a4830479aa97f2502e193f"));
        assert!(!is_uuid("6695eb01-f6a4-8304-79aa-97f2502e193"));
        assert!(!is_uuid("test"));
        assert!(!is_uuid("-6695eb01f6a4830479aa97f2502e193f"));
        assert_eq!(as_id("1"), Some(1));
        assert_eq!(as_id("-1"), None);
        assert_eq!(as_id("vm1"), None);
    }

    #[test]
    fn finds_a_domain_by_id_uuid_or_name() {
        let conn = conn();
        let dom = domain(&conn, "test").unwrap();
        let id = dom.get_id().unwrap().to_string();
        let uuid = dom.get_uuid_string().unwrap();
        for key in [id.as_str(), uuid.as_str(), &uuid.replace('-', ""), "test"] {
            let found = domain(&conn, key).unwrap();
            assert_eq!(domain_name(&found).unwrap(), "test", "{key}");
        }
    }

    #[test]
    fn a_numeric_or_uuid_like_name_is_still_found_by_name() {
        let conn = conn();
        // A domain named like a number that is no running domain's ID, and one named like a UUID.
        for name in ["4242", "00000000-0000-0000-0000-00000000abcd"] {
            let xml = format!("<domain type='test'><name>{name}</name><memory>8192</memory><os><type>hvm</type></os></domain>");
            let dom = Domain::define_xml(&conn, &xml).unwrap();
            let found = domain(&conn, name).unwrap();
            assert_eq!(domain_name(&found).unwrap(), name);
            dom.undefine().unwrap();
        }
    }

    #[test]
    fn a_missing_domain_network_or_pool_is_exit_3() {
        let conn = conn();
        for key in ["no-such", "999", "00000000-0000-0000-0000-000000000000"] {
            assert!(find_domain(&conn, key).unwrap().is_none());
            assert_eq!(domain(&conn, key).unwrap_err().kind, ErrorKind::NotFound);
            assert_eq!(network(&conn, key).unwrap_err().kind, ErrorKind::NotFound);
            assert_eq!(pool(&conn, key).unwrap_err().kind, ErrorKind::NotFound);
        }
        let e = domain(&conn, "no-such").unwrap_err();
        assert!(e.to_string().contains("domain no-such not found"), "{e}");
    }

    #[test]
    fn finds_a_network_and_a_pool_by_uuid_or_name() {
        let conn = conn();
        let net = network(&conn, "default").unwrap();
        let uuid = net.get_uuid_string().unwrap();
        assert_eq!(network_name(&network(&conn, &uuid).unwrap()).unwrap(), "default");
        let pool_found = pool(&conn, "default-pool").unwrap();
        let uuid = pool_found.get_uuid_string().unwrap();
        assert_eq!(pool_name(&pool(&conn, &uuid).unwrap()).unwrap(), "default-pool");
    }
}
