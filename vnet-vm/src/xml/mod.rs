//! The libvirt XML model of vnet-vm, one module per object kind: each reads its documents from
//! the shared walker's tree (vnet_common::libvirt::xml) and builds the ones it gives libvirt with
//! quick-xml's writer.

pub mod domain;
pub mod pool;
pub mod volume;
