//! VLAN filtering: `setvlanfiltering BR on|off` and the `vlan` verbs in bridge(8)'s words
//! (`vlan add dev P vid 10 pvid untagged`, `vlan del dev P vid 10`, `vlan show [dev P]`), over
//! rtnetlink (AF_BRIDGE RTM_SETLINK/RTM_DELLINK with IFLA_AF_SPEC, as `bridge vlan` sends them).
//!
//! A kernel built without CONFIG_BRIDGE_VLAN_FILTERING refuses every VLAN request with
//! EOPNOTSUPP; it is recognised before anything is sent (its bridges report no
//! IFLA_BR_VLAN_DEFAULT_PVID / IFLA_BR_VLAN_PROTOCOL, and sysfs has no bridge/vlan_filtering), and
//! every verb here refuses with exit 6, naming the missing feature, the bridge left unchanged.

mod change;
mod filtering;
mod list;
mod support;

pub use change::{VlanAdd, VlanDel};
pub use filtering::Setvlanfiltering;
pub use list::VlanShow;
