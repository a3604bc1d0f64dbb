//! Host interfaces as libvirt's interface driver sees them (virsh iface-*): listed, shown and
//! named (iface-list, iface-dumpxml, iface-name, iface-mac), defined, started, stopped, removed
//! and edited (iface-define, iface-start, iface-destroy, iface-undefine, iface-edit), and the
//! driver's change transaction (iface-begin, iface-commit, iface-rollback).
//!
//! Which of these a host can do is the driver's choice: libvirt's udev backend (Debian's, here)
//! only reads the host's interfaces and refuses every change as unsupported (exit 6); the netcf
//! backend and the test driver (`-c test:///default`) do them all. iface-bridge and
//! iface-unbridge are not provided: they rewrite a host NIC's configuration into a bridge, which
//! only netcf does and cannot be proved on the machines vnet is built on.

pub mod define;
pub mod list;
pub mod txn;

use virt::connect::Connect;
use virt::error::ErrorNumber;
use virt::interface::Interface;
use vnet_common::error::quote;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, Result};

/// True when `text` reads as a MAC address (six pairs of hex digits joined by ':'), as virsh
/// decides between a lookup by MAC and one by name.
pub fn is_mac(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| (1..=2).contains(&p.len()) && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// How an interface is named on a verb's line: virsh's `<interface>` may be a name or a MAC
/// (iface-name takes a MAC only, iface-mac a name only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    NameOrMac,
    Name,
    Mac,
}

/// The interface `text` names, or None.
pub fn find(conn: &Connect, text: &str, by: By) -> Result<Option<Interface>> {
    let mac = match by {
        By::NameOrMac => is_mac(text),
        By::Name => false,
        By::Mac => true,
    };
    let found = match mac {
        true => Interface::lookup_by_mac_string(conn, text),
        false => Interface::lookup_by_name(conn, text),
    };
    match found {
        Ok(iface) => Ok(Some(iface)),
        Err(e) if e.code() == ErrorNumber::NoInterface => Ok(None),
        Err(e) => Err(vnet_common::libvirt::error(e).context(format!("interface {}", quote(text)))),
    }
}

/// The interface `text` names; none is exit 3.
pub fn require(conn: &Connect, text: &str, by: By) -> Result<Interface> {
    find(conn, text, by)?.ok_or_else(|| {
        let what = match by {
            By::Mac => "interface with MAC address",
            _ => "interface",
        };
        Error::not_found(format!("{what} {} not found", quote(text)))
            .with_hint("see 'vnet-vm iface-list --all'")
    })
}

/// An interface's name, as libvirt has it.
pub fn name_of(iface: &Interface) -> Result<String> {
    iface.get_name().libvirt("interface name")
}

/// The test driver's host is one per process: the tests that change its interfaces (or roll
/// them back to a transaction's snapshot) take turns.
#[cfg(test)]
pub static TEST_DRIVER: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_are_told_from_names_as_virsh_tells_them() {
        assert!(is_mac("52:54:00:11:22:33"));
        assert!(is_mac("0:0:0:0:0:0"));
        assert!(!is_mac("eth0"));
        assert!(!is_mac("52:54:00:11:22"));
        assert!(!is_mac("52:54:00:11:22:3g"));
    }
}
