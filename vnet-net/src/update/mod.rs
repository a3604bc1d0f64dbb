//! `update` (virsh net-update): DHCP host reservations, DNS host entries and DHCP ranges changed on
//! a defined network, live and persistently in one step, and the `dhcp-hosts` / `dns-hosts`
//! listings. Every entry is checked against the network before libvirt sees it (a reservation
//! outside the subnet is exit 7; an IP, MAC or name reserved already is exit 4), and a rerun of
//! the same change is a no-op ("changed": false) with --exist-ok / --missing-ok.
//!
//! The layers, each using only those above it: `section` (what virsh calls the commands and
//! sections), `entry` (the entry given, read and checked against the network, and its XML),
//! `plan` (what one target needs), `listing` (the entries a network holds, and the two listing
//! verbs), `apply` (the `update` verb: targets, libvirt calls, undo).

mod apply;
mod entry;
mod listing;
mod plan;
mod section;
#[cfg(test)]
mod tests;

pub use apply::Update;
pub use listing::{DhcpHosts, DnsHosts};
