//! The domain XML model: the document install defines ([`build`]), the device documents attach
//! gives libvirt and the disks read back ([`devices`]), and what is read from libvirt's domain
//! documents ([`read`]). Callers name the items through this module.

pub mod build;
pub mod devices;
pub mod element;
pub mod read;
pub mod xpath;

pub use build::{domain_xml, CpuMode, DomainSpec, OsBoot, XmlDisk};
pub use devices::{disk_xml, disks, interface_xml, interface_xml_with, IfaceExtras, XmlDiskDevice};
pub use element::Element;
pub use read::{display, domain_caps, domain_facts, read_head, DomainFacts, Graphics, XmlHead, XmlInterface};
