//! A domain's devices: attaching and detaching interfaces and disks, listing its interfaces and
//! their addresses. This module only names its parts.

pub mod addrs;
pub mod blk;
pub mod devxml;
pub mod disk;
pub mod iface;
pub mod interface;
pub mod link_state;
pub mod media;
pub mod memdev;
pub mod scope;
pub mod xmlfile;
