//! Helpers for the end-to-end tests: run the built binaries, read independent oracles (`ip -j`,
//! `bridge -j`, sysfs, `virsh`), name each test's objects after the test and remove them when it
//! ends ([`Lab`]), and refuse to run privileged tests outside the sandbox (tests/sandbox) unless
//! VNET_SKIP_PRIVILEGED=1 says to skip them, counting each skip.

mod guest;
mod kernel;
mod lab;
mod libvirt;
mod ready;
mod run;
mod schema;
mod second_host;

pub use guest::{domain_snapshot, kit_guest_xml, on_console, until_console, wait_leased};
pub use kernel::{
    assert_unchanged, bridge_ports, has_flag, ip_json, netns_names, read_state, state_snapshot, sysfs,
};
pub use lab::{privileged, Lab};
pub use libvirt::{check_of, default_network, kit, lab_dir, libvirt_state, network_names, networks_state};
pub use ready::{
    netlink_subscribed, wait_dead, wait_exec, wait_netlink_subscribed, wait_until, LibvirtClientLog,
    LibvirtEvents,
};
pub use run::{bin_dir, br, net, ns, sh, sh_ok, vm, vnet, vnet_stdin, Run};
pub use schema::{assert_valid, assert_valid_record, schema_dir, verb_of};
pub use second_host::SecondHost;
