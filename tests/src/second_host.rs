//! A second libvirt host for a test (tests/second-host): its own network, mount and UTS
//! namespaces, hostname and host_uuid, its libvirtd on qemu+tcp over a veth from the sandbox;
//! stopped when the test's lab ends.

use crate::lab::Lab;
use crate::run::{sh, sh_ok, Run};

pub struct SecondHost {
    /// Its name: the network namespace, the hostname, and `vh-NAME` for the sandbox's veth end.
    pub name: String,
    /// Its libvirt URI: qemu+tcp://10.NET.0.2/system.
    pub uri: String,
    /// Its address (10.NET.0.2); the sandbox's end of the veth is 10.NET.0.1.
    pub addr: String,
}

fn script() -> String {
    format!("{}/second-host", env!("CARGO_MANIFEST_DIR"))
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl SecondHost {
    /// Starts a second host on 10.(net).0.2, the sandbox side being 10.(net).0.1.
    pub fn start(lab: &Lab, net: u8) -> SecondHost {
        let name = lab.name("rh");
        lab.on_drop(format!("{} stop {name}", script()));
        let addr = format!("10.{net}.0.2");
        let uri = sh_ok(&format!("{} start {name} {addr} 10.{net}.0.1", script()))
            .trim()
            .to_string();
        assert_eq!(uri, format!("qemu+tcp://{addr}/system"));
        SecondHost { name, uri, addr }
    }

    /// Runs a shell line on that host (its own /run, /var/lib/libvirt, network, hostname).
    pub fn sh(&self, line: &str) -> Run {
        sh(&format!(
            "{} exec {} bash -c {}",
            script(),
            self.name,
            shell_quote(line)
        ))
    }

    pub fn sh_ok(&self, line: &str) -> String {
        let run = self.sh(line);
        assert_eq!(run.code, 0, "on {}: `{line}` failed: {run:?}", self.name);
        run.stdout
    }

    /// virsh against that host's libvirtd (over its URI, from the sandbox), which must succeed.
    pub fn virsh(&self, args: &str) -> String {
        sh_ok(&format!("virsh -c {} {args}", self.uri))
    }

    /// virsh against that host, whatever its exit code.
    pub fn virsh_run(&self, args: &str) -> Run {
        sh(&format!("virsh -c {} {args}", self.uri))
    }
}
