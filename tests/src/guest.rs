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
