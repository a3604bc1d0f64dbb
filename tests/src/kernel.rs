//! Independent oracles for kernel state: `ip -j`, sysfs, and a settled snapshot of links and
//! addresses that bad input must leave unchanged.

use crate::run::sh_ok;
use serde_json::Value;

/// `ip -j ARGS` parsed (the independent oracle for links and addresses).
pub fn ip_json(args: &str) -> Value {
    let out = sh_ok(&format!("ip -j {args}"));
    if out.trim().is_empty() {
        return Value::Array(vec![]);
    }
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("ip -j {args}: {e}: {out}"))
}

/// The named namespaces as `ip netns list` lists them (newest first).
pub fn netns_names() -> Vec<String> {
    sh_ok("ip netns list")
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect()
}

/// True when a link record (`ip -j link` or vnet-ns's) carries this flag (UP, LOWER_UP, ...).
pub fn has_flag(link: &Value, flag: &str) -> bool {
    link["flags"].as_array().unwrap().iter().any(|f| f == flag)
}

/// The trimmed content of /sys/class/net/PATH; panics when it cannot be read.
pub fn sysfs(path: &str) -> String {
    std::fs::read_to_string(format!("/sys/class/net/{path}"))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .trim()
        .to_string()
}

/// The ports of a bridge as sysfs lists them (/sys/class/net/BR/brif), sorted; empty when none.
pub fn bridge_ports(bridge: &str) -> Vec<String> {
    let mut ports: Vec<String> = std::fs::read_dir(format!("/sys/class/net/{bridge}/brif"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    ports.sort();
    ports
}

/// Asserts that `action` leaves `snapshot()` exactly as it was (bad input changes nothing).
pub fn assert_unchanged<S: PartialEq + std::fmt::Debug>(snapshot: impl Fn() -> S, action: impl FnOnce()) {
    let before = snapshot();
    action();
    let after = snapshot();
    assert_eq!(before, after, "state changed");
}

/// A snapshot of kernel state that bad input must leave unchanged: the named namespaces, and in
/// the current namespace and each named one every link (name, admin flags, master, MTU, MAC) with
/// its addresses. Left out is what the kernel changes by itself moments after a change that
/// happened before the snapshot: carrier and operstate, and IPv6 link-local addresses. A namespace
/// deleted earlier is torn down by the kernel in the background, so the snapshot is taken once the
/// state has stopped changing (two reads 50 ms apart agree).
pub fn state_snapshot() -> String {
    let mut last = read_state();
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let now = read_state();
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("kernel state did not settle in 5 s: {last}");
}

/// One read of what [`state_snapshot`] reads, without waiting for the state to settle: for loops
/// that compare many times (the fuzz test), after a settled snapshot.
pub fn read_state() -> String {
    const LINKS: &str = r#"jq -cS '[.[] | {ifname, master, mtu, address,
        flags: (.flags - ["LOWER_UP", "NO-CARRIER", "M-DOWN", "DORMANT"]),
        addrs: [.addr_info[] | select(.scope != "link") | "\(.local)/\(.prefixlen)"]}]'"#;
    sh_ok(&format!(
        "ls -1 /run/netns 2>/dev/null | sort; ip -j addr | {LINKS}; \
         for n in $(ls /run/netns 2>/dev/null); do echo \"== $n\"; ip -n \"$n\" -j addr 2>&1 | {LINKS}; done"
    ))
}
