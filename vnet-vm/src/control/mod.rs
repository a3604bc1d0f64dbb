//! Controlling a running domain's QEMU from outside: its monitor's state (domcontrol), its
//! background job (domjobabort), its guest's host name (domhostname), raw monitor commands
//! (qemu-monitor-command) and core dumps (dump).

pub mod dump;
pub mod monitor;
