//! Controlling a running domain's QEMU from outside: its monitor's state (domcontrol), its
//! background job (domjobabort), its guest's host name (domhostname), raw monitor commands
//! (qemu-monitor-command), core dumps (dump), and domain XML to and from QEMU's command line
//! (domxml-from-native, domxml-to-native).

pub mod dump;
pub mod monitor;
pub mod native;
