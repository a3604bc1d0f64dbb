//! What the VM tests share to look at a domain from outside (virsh) and from inside (its serial
//! console).

use crate::run::{sh_ok, vnet_stdin};
use std::time::{Duration, Instant};

/// One domain's live and persistent XML and state (the oracle for refused changes).
pub fn domain_snapshot(name: &str) -> String {
    sh_ok(&format!(
        "virsh dumpxml {name}; virsh dumpxml --inactive {name}; virsh domstate {name}"
    ))
}

/// Runs shell lines on the guest's serial console; returns what the guest printed.
pub fn on_console(name: &str, lines: &str) -> String {
    let run = vnet_stdin(
        "vnet-vm",
        &["console", name, "--linger", "2"],
        &format!("\n{lines}\n"),
    )
    .ok();
    run.stdout
}

/// Polls the guest's console until `check(output of lines)` holds, for at most `timeout`.
pub fn until_console(name: &str, lines: &str, timeout: Duration, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let out = on_console(name, lines);
        if check(&out) {
            return out;
        }
        assert!(Instant::now() < deadline, "guest console never showed it: {out}");
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// The kit guest's domain XML: direct kernel boot under TCG, one NIC on the default network, a
/// serial console and a VNC display on loopback, no agent channel.
pub fn kit_guest_xml(name: &str) -> String {
    let kit = crate::libvirt::kit();
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64'>hvm</type><kernel>{k}</kernel><initrd>{i}</initrd>\
         <cmdline>console=ttyS0</cmdline></os><features><acpi/><apic/></features>\
         <on_poweroff>destroy</on_poweroff><devices>\
         <interface type='network'><source network='default'/><model type='virtio'/></interface>\
         <serial type='pty'><target port='0'/></serial>\
         <console type='pty'><target type='serial' port='0'/></console>\
         <graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>",
        k = kit.join("vmlinuz").display(),
        i = kit.join("initrd.gz").display(),
    )
}

/// Waits until the guest has a lease on the default network (its kernel and init are up).
pub fn wait_leased(name: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let leases = crate::run::vm(&["domifaddr", name]).ok().json();
        if leases.as_array().is_some_and(|a| !a.is_empty()) {
            return;
        }
        assert!(Instant::now() < deadline, "{name} got no lease in {timeout:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}
