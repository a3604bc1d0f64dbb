//! `vnet-vm install` (virt-install): its command line (args) and option table (grammar), the plan checked before anything
//! is touched (plan, with the option grammars, the osinfo database, cloud-init and the install
//! tree's location), the run that makes it (run, tagging) and what it prints (output). This module
//! only names its parts.

pub mod args;
mod checks;
mod cloudinit;
mod disks;
mod display;
pub mod grammar;
mod hostdev;
mod http;
mod inject;
mod kernel;
pub mod location;
mod osinfo;
mod output;
mod plan;
mod reinstall;
mod run;
mod steps;
mod tagging;
