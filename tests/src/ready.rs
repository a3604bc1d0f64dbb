//! Waiting for a process the test started to be ready, by a signal rather than a fixed sleep: a
//! monitor's netlink socket subscribed to its groups, a libvirt client's event registration
//! acknowledged by the daemon, a process that has exec'd its program.

use crate::lab::Lab;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Polls `ready` every 10 ms until it holds; panics naming `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(Instant::now() < deadline, "{what}: not ready within {timeout:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The inodes of the sockets process `pid` holds open.
fn socket_inodes(pid: u32) -> HashSet<String> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return HashSet::new();
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(target.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .collect()
}

/// True once process `pid` holds an rtnetlink socket bound to multicast groups, in any of its
/// threads' network namespaces (a monitor of a named namespace opens its socket on a thread
/// that entered it). /proc/…/net/netlink lists each socket: protocol, groups and inode.
pub fn netlink_subscribed(pid: u32) -> bool {
    let inodes = socket_inodes(pid);
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().any(|task| {
        let table = std::fs::read_to_string(task.path().join("net/netlink")).unwrap_or_default();
        table.lines().skip(1).any(|row| {
            let cols: Vec<&str> = row.split_whitespace().collect();
            // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode; Eth 0 is NETLINK_ROUTE.
            cols.len() >= 10 && cols[1] == "0" && cols[3] != "00000000" && inodes.contains(cols[9])
        })
    })
}

/// Waits until `pid` (a monitor: vnet-ns, vnet-bridge, `ip monitor`) listens to rtnetlink.
pub fn wait_netlink_subscribed(pid: u32) {
    wait_until(
        &format!("netlink subscription of process {pid}"),
        Duration::from_secs(10),
        || netlink_subscribed(pid),
    );
}

/// Waits until process `pid` runs the program called `comm` (it has exec'd it).
pub fn wait_exec(pid: u32, comm: &str) {
    wait_until(
        &format!("process {pid} running {comm}"),
        Duration::from_secs(10),
        || std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == comm),
    );
}

/// Waits until process `pid` is dead: gone, or a zombie its parent has not reaped yet.
pub fn wait_dead(pid: i32) {
    wait_until(&format!("process {pid} dead"), Duration::from_secs(10), || {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // pid (comm) STATE ...: the state follows the last ')'.
            Ok(stat) => stat
                .rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z')),
            Err(_) => true,
        }
    });
}

/// Which libvirt lifecycle events a client registers for.
#[derive(Debug, Clone, Copy)]
pub enum LibvirtEvents {
    Domain,
    Network,
}

impl LibvirtEvents {
    /// The remote protocol's procedure that registers for these events (remote_protocol.x:
    /// REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, ..._NETWORK_EVENT_REGISTER_ANY).
    fn register_proc(self) -> u32 {
        match self {
            LibvirtEvents::Domain => 316,
            LibvirtEvents::Network => 313,
        }
    }
}

/// The RPC log of one libvirt client (a vnet tool or virsh) the test starts: the client library
/// logs each message it receives there, so the daemon's reply to the client's event
/// registration is the signal that events from then on reach it.
pub struct LibvirtClientLog {
    path: PathBuf,
}

impl LibvirtClientLog {
    /// A log file of this test's own, removed at the end.
    pub fn new(lab: &Lab, stem: &str) -> LibvirtClientLog {
        let path = PathBuf::from(format!("/tmp/vnet-{}.rpc.log", lab.name(stem)));
        let _ = std::fs::remove_file(&path);
        lab.on_drop(format!("rm -f {}", path.display()));
        LibvirtClientLog { path }
    }

    /// The environment that makes a libvirt client write the log: the RPC client's received
    /// messages only (info level), nothing else changed.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("LIBVIRT_LOG_FILTERS".into(), "2:rpc.netclient".into()),
            (
                "LIBVIRT_LOG_OUTPUTS".into(),
                format!("2:file:{}", self.path.display()),
            ),
        ]
    }

    /// The same environment as `VAR=value` words, for `env` in a shell line.
    pub fn env_words(&self) -> String {
        let words: Vec<String> = self.env().iter().map(|(k, v)| format!("{k}={v}")).collect();
        words.join(" ")
    }

    /// Waits until the daemon has acknowledged the client's registration for `events`.
    pub fn wait_registered(&self, events: LibvirtEvents) {
        let reply = "RPC_CLIENT_MSG_RX: ";
        let proc = format!(" proc={} type=1 status=0 ", events.register_proc());
        wait_until(
            &format!(
                "libvirt {events:?} event registration logged in {}",
                self.path.display()
            ),
            Duration::from_secs(20),
            || {
                std::fs::read_to_string(&self.path)
                    .is_ok_and(|log| log.lines().any(|l| l.contains(reply) && l.contains(&proc)))
            },
        );
    }
}
