//! `doctor`: the checks a user of libvirt networking hits, each reported as {name, ok, detail, hint}.

use crate::network::{lookup, NetworkState};
use crate::spec::overlaps;
use ipnet::IpNet;
use schemars::JsonSchema;
use serde::Serialize;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use virt::connect::Connect;
use vnet_common::libvirt::Session;
use vnet_common::verb::{Render, TextStyle};
use vnet_common::{Journal, Result, Verb};

/// Check what libvirt networking needs on this host and say how to fix what is missing.
///
/// Checks: libvirtd (reachable; a daemon that does not answer within --timeout is reported as
/// "not answering" instead of waited for), default_network (defined and active), ip_forward, dnsmasq,
/// firewall (iptables usable), kvm (a KVM guest runs: the probe of `vnet-vm install --virt-type
/// auto`, cached in /var/cache/vnet/kvm-probe.json; else guests run under TCG),
/// subnet_overlap (network subnets against host routes and each other), node (the host's CPUs
/// and memory from libvirt's node info), then one forward check per host port forward (its
/// rules in place and first, its guest answering ARP).
///
/// Each check says which host it read ("host": "local", or the host of a remote -c URI). With a
/// remote URI, what libvirt can answer is read on that host through the connection (libvirtd,
/// default_network, kvm from its capabilities, subnet_overlap among its networks, node from its
/// node info); what only that machine's own files can tell (ip_forward, dnsmasq, firewall, its
/// host routes) is marked "checked": false, "not checked (remote)": run doctor on that host for
/// those. Nothing on one machine is compared with another. Exits 0 once the checks ran, whatever
/// they found.
#[derive(Debug, clap::Args)]
pub struct Doctor {}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Check {
    /// libvirtd, default_network, ip_forward, dnsmasq, firewall, kvm, subnet_overlap, node, or
    /// forward (one per host port forward, local host only).
    pub name: &'static str,
    /// The host the check read: "local" (this machine), or the host named by a remote -c URI.
    pub host: String,
    /// False when the check could not be made on that host (a remote URI and a check only the
    /// host's own files answer): "ok" is then true, as nothing was found to fix.
    pub checked: bool,
    /// True when nothing needs fixing.
    pub ok: bool,
    /// What was found.
    pub detail: String,
    /// How to fix it; null when ok.
    pub hint: Option<String>,
}

impl Check {
    fn pass(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            host: String::new(),
            checked: true,
            ok: true,
            detail: detail.into(),
            hint: None,
        }
    }

    /// A check only the remote host itself can make.
    fn remote(name: &'static str, host: &str) -> Check {
        let mut check = Check::pass(
            name,
            format!("not checked (remote): run vnet-net doctor on {host} itself"),
        );
        check.checked = false;
        check
    }

    fn fail(name: &'static str, detail: impl Into<String>, hint: impl Into<String>) -> Check {
        Check {
            name,
            host: String::new(),
            checked: true,
            ok: false,
            detail: detail.into(),
            hint: Some(hint.into()),
        }
    }
}

/// Every check, in a fixed order.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Checks(pub Vec<Check>);

impl Render for Checks {
    fn text(&self, _style: TextStyle) -> String {
        self.0.iter().map(text_line).collect()
    }
}

impl Verb for Doctor {
    type Ctx = Session;
    type Output = Checks;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Checks> {
        Ok(doctor(ctx))
    }
}

pub fn doctor(session: &mut Session) -> Checks {
    let session_uri = session.uri_asked();
    let (libvirtd, conn) = match session.conn() {
        Ok(conn) => {
            let uri = conn.get_uri().unwrap_or_else(|_| "?".into());
            (Check::pass("libvirtd", format!("connected to {uri}")), Some(conn))
        }
        // A daemon that does not answer within --timeout is a failed check, not a hang.
        Err(e) if e.message.contains("did not answer within") => (
            Check::fail(
                "libvirtd",
                format!("not answering: {}", e.message),
                e.hint.clone().unwrap_or_default(),
            ),
            None,
        ),
        Err(e) => (
            Check::fail("libvirtd", e.message.clone(), e.hint.clone().unwrap_or_default()),
            None,
        ),
    };
    let uri = match conn {
        Some(conn) => conn.get_uri().ok(),
        None => session_uri,
    };
    let remote = uri.as_deref().and_then(vnet_common::libvirt::remote_host);
    let mut checks = match &remote {
        None => vec![
            libvirtd,
            default_network(conn),
            ip_forward(),
            dnsmasq(),
            firewall(),
            kvm(conn),
            subnet_overlap(conn, true),
            node(conn),
        ],
        Some(host) => vec![
            libvirtd,
            default_network(conn),
            Check::remote("ip_forward", host),
            Check::remote("dnsmasq", host),
            Check::remote("firewall", host),
            remote_kvm(conn),
            subnet_overlap(conn, false),
            node(conn),
        ],
    };
    if remote.is_none() {
        checks.extend(forwards());
    }
    for check in &mut checks {
        check.host = remote.clone().unwrap_or_else(|| "local".into());
    }
    Checks(checks)
}

/// One "forward" check per host port forward (vnet-net forward add): its rules in place and
/// first, its guest answering ARP on the network's bridge. None when there are no forwards.
fn forwards() -> Vec<Check> {
    crate::forward::health()
        .into_iter()
        .map(|(what, problem)| match problem {
            None => Check::pass("forward", format!("{what}: rules in place, guest answers ARP")),
            Some(problem) => Check::fail(
                "forward",
                format!("{what}: {problem}"),
                "a network not running: vnet-net start NET (or vnet-net forward del); rules missing: \
                 vnet-net forward apply; a guest that does not answer is down or has another address \
                 now (vnet-net dhcp-leases NET)",
            ),
        })
        .collect()
}

/// The host's CPUs and memory as libvirt's node info gives them.
fn node(conn: Option<&Connect>) -> Check {
    const NAME: &str = "node";
    let Some(conn) = conn else {
        return Check::fail(NAME, UNREACHABLE, "see the libvirtd check");
    };
    let hostname = conn.get_hostname().unwrap_or_else(|_| "?".into());
    match conn.get_node_info() {
        Ok(info) => Check::pass(
            NAME,
            format!(
                "{hostname}: {} CPUs ({}), {} MiB memory",
                info.cpus,
                info.model,
                info.memory / 1024
            ),
        ),
        Err(e) => Check::fail(NAME, e.message().to_string(), "check libvirtd's log"),
    }
}

/// KVM on a remote host, as its libvirt's capabilities tell it (the host's /dev/kvm is not
/// reachable from here).
fn remote_kvm(conn: Option<&Connect>) -> Check {
    const NAME: &str = "kvm";
    let Some(conn) = conn else {
        return Check::fail(NAME, UNREACHABLE, "see the libvirtd check");
    };
    match conn.get_capabilities() {
        Ok(caps) if caps.contains("<domain type='kvm'") || caps.contains("<domain type=\"kvm\"") => {
            Check::pass(NAME, "libvirt's capabilities offer kvm guests")
        }
        Ok(_) => Check::fail(
            NAME,
            "libvirt's capabilities offer no kvm guests: guests run under TCG emulation",
            "vnet-vm --virt-type qemu; to use KVM there, enable virtualization in its firmware and \
             load kvm_intel or kvm_amd",
        ),
        Err(e) => Check::fail(NAME, e.message().to_string(), "check libvirtd's log"),
    }
}

fn text_line(check: &Check) -> String {
    let status = match (check.checked, check.ok) {
        (false, _) => "skip",
        (true, true) => "ok  ",
        (true, false) => "FAIL",
    };
    let mut line = format!("{status}  {}: {}\n", check.name, check.detail);
    if let Some(hint) = &check.hint {
        line.push_str(&format!("      hint: {hint}\n"));
    }
    line
}

const UNREACHABLE: &str = "skipped: libvirtd is unreachable";
const DEFAULT_XML: &str = "/usr/share/libvirt/networks/default.xml";

fn default_network(conn: Option<&Connect>) -> Check {
    const NAME: &str = "default_network";
    let Some(conn) = conn else {
        return Check::fail(NAME, UNREACHABLE, "see the libvirtd check");
    };
    let found = lookup(conn, "default").and_then(|n| n.map(|n| NetworkState::read(&n)).transpose());
    let state = match found {
        Ok(state) => state,
        Err(e) => return Check::fail(NAME, e.message, "check libvirtd's log"),
    };
    match state {
        None if Path::new(DEFAULT_XML).exists() => Check::fail(
            NAME,
            "not defined",
            format!("vnet-net define {DEFAULT_XML} --start --autostart"),
        ),
        None => Check::fail(
            NAME,
            "not defined",
            "vnet-net define --name default --bridge virbr0 --ip 192.168.122.1/24 \
             --dhcp-range 192.168.122.2,192.168.122.254 --start --autostart",
        ),
        Some(s) if !s.active => Check::fail(NAME, "defined, inactive", "vnet-net start default"),
        Some(s) => Check::pass(
            NAME,
            format!(
                "active on {} ({})",
                s.bridge.as_deref().unwrap_or("?"),
                s.ips.join(", ")
            ),
        ),
    }
}

fn ip_forward() -> Check {
    const NAME: &str = "ip_forward";
    match std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward") {
        Ok(v) if v.trim() == "1" => Check::pass(NAME, "net.ipv4.ip_forward = 1"),
        Ok(v) => Check::fail(
            NAME,
            format!("net.ipv4.ip_forward = {}", v.trim()),
            "sysctl -w net.ipv4.ip_forward=1 (libvirt sets it when it starts a NAT or routed network; \
             persist it in /etc/sysctl.d/ if something turns it off)",
        ),
        Err(e) => Check::fail(
            NAME,
            format!("read /proc/sys/net/ipv4/ip_forward: {e}"),
            "mount /proc",
        ),
    }
}

/// The first `name` found in PATH or the sbin directories (where a non-root PATH may not look).
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file());
    found
}

fn dnsmasq() -> Check {
    match find_program("dnsmasq") {
        Some(path) => Check::pass("dnsmasq", path.display().to_string()),
        None => Check::fail(
            "dnsmasq",
            "dnsmasq not found: libvirt cannot serve DHCP or DNS on its networks",
            "apt-get install dnsmasq-base",
        ),
    }
}

fn firewall() -> Check {
    const NAME: &str = "firewall";
    let Some(iptables) = find_program("iptables") else {
        return Check::fail(
            NAME,
            "iptables not found: libvirt cannot add NAT and forwarding rules",
            "apt-get install iptables",
        );
    };
    let version = Command::new(&iptables).arg("-V").output();
    let version = version
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    match Command::new(&iptables).args(["-w", "-t", "nat", "-S"]).output() {
        Ok(o) if o.status.success() => Check::pass(NAME, format!("{version}: nat table readable")),
        Ok(o) => Check::fail(
            NAME,
            format!(
                "{version}: {}",
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .next()
                    .unwrap_or("iptables -t nat failed")
            ),
            "run as root; load the nf_tables (or ip_tables) and iptable_nat modules",
        ),
        Err(e) => Check::fail(
            NAME,
            format!("run {}: {e}", iptables.display()),
            "reinstall iptables",
        ),
    }
}

/// The same probe as `vnet-vm install --virt-type auto` (vnet_common::libvirt::kvm, cached):
/// /dev/kvm opening is not enough, a KVM guest has to run. Without libvirt only /dev/kvm can be
/// looked at, which proves nothing: the check then fails and says so.
fn kvm(conn: Option<&Connect>) -> Check {
    const NAME: &str = "kvm";
    let hint = "guests run under TCG emulation (slower): vnet-vm install --virt-type qemu (auto \
                picks it); to use KVM, enable virtualization in the firmware, load kvm_intel or \
                kvm_amd, and check QEMU's log in /var/log/libvirt/qemu/";
    let Some(conn) = conn else {
        return Check::fail(
            NAME,
            format!("{UNREACHABLE}; {}", dev_kvm()),
            "see the libvirtd check",
        );
    };
    let found = vnet_common::libvirt::kvm::probe(conn);
    if found.usable {
        Check::pass(NAME, found.describe())
    } else {
        Check::fail(NAME, format!("KVM is not usable: {}", found.describe()), hint)
    }
}

/// What /dev/kvm itself says (no guest run): for the report when libvirt is unreachable.
fn dev_kvm() -> String {
    const KVM_GET_API_VERSION: libc::c_ulong = 0xAE00;
    const KVM_CREATE_VM: libc::c_ulong = 0xAE01;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        Ok(f) => f,
        Err(e) => return format!("open /dev/kvm: {e}"),
    };
    use std::os::fd::AsRawFd;
    // SAFETY: plain ioctls on an open /dev/kvm descriptor; the VM descriptor is closed at once.
    let (api, vm) = unsafe {
        let api = libc::ioctl(file.as_raw_fd(), KVM_GET_API_VERSION as _, 0);
        let vm = libc::ioctl(file.as_raw_fd(), KVM_CREATE_VM as _, 0);
        if vm >= 0 {
            libc::close(vm);
        }
        (api, vm)
    };
    if api != 12 || vm < 0 {
        let why = std::io::Error::last_os_error();
        return format!("/dev/kvm opens but cannot create a VM (API {api}): {why}");
    }
    "/dev/kvm opens and creates a VM, but no KVM guest was run to prove a vCPU works".into()
}

/// A host route: destination subnet and device.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub dest: IpNet,
    pub dev: String,
}

/// Network subnets against each other, and (`host_routes`: on this machine only) against the
/// host's routes.
fn subnet_overlap(conn: Option<&Connect>, host_routes: bool) -> Check {
    const NAME: &str = "subnet_overlap";
    let Some(conn) = conn else {
        return Check::fail(NAME, UNREACHABLE, "see the libvirtd check");
    };
    let states = match conn.list_all_networks(0) {
        Ok(nets) => nets
            .iter()
            .filter_map(|n| NetworkState::read(n).ok())
            .collect::<Vec<_>>(),
        Err(e) => return Check::fail(NAME, e.message().to_string(), "check libvirtd's log"),
    };
    let mut routes = vec![];
    if host_routes {
        routes = read_routes_v4(&std::fs::read_to_string("/proc/net/route").unwrap_or_default());
        routes.extend(read_routes_v6(
            &std::fs::read_to_string("/proc/net/ipv6_route").unwrap_or_default(),
        ));
    }
    let problems = overlap_problems(&states, &routes);
    if problems.is_empty() {
        let subnets: usize = states.iter().map(|s| s.summary.ips.len()).sum();
        if !host_routes {
            return Check::pass(
                NAME,
                format!(
                    "no overlap among the host's {subnets} network subnets; its host routes not \
                     checked (remote)"
                ),
            );
        }
        return Check::pass(
            NAME,
            format!(
                "no overlap among {subnets} network subnets and {} host routes",
                routes.len()
            ),
        );
    }
    Check::fail(
        NAME,
        problems.join("; "),
        "give one side another subnet (vnet-net dumpxml NAME > f.xml, edit, undefine, define f.xml) \
         or remove the host route",
    )
}

/// Every overlap of a network subnet with a host route on another device, or with another network.
pub fn overlap_problems(states: &[NetworkState], routes: &[Route]) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, s) in states.iter().enumerate() {
        for ip in &s.summary.ips {
            let subnet = ip.address.trunc();
            for r in routes {
                let own = s.active && s.summary.bridge.as_deref() == Some(r.dev.as_str());
                if !own && overlaps(subnet, r.dest) {
                    problems.push(format!(
                        "network {} {subnet} overlaps route {} dev {}",
                        s.name, r.dest, r.dev
                    ));
                }
            }
            for other in &states[i + 1..] {
                for theirs in &other.summary.ips {
                    if overlaps(subnet, theirs.address) {
                        problems.push(format!(
                            "network {} {subnet} overlaps network {} {}",
                            s.name,
                            other.name,
                            theirs.address.trunc()
                        ));
                    }
                }
            }
        }
    }
    problems
}

/// Routes of /proc/net/route, without default routes (which overlap everything by design).
pub fn read_routes_v4(text: &str) -> Vec<Route> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let hex = |s: &str| u32::from_str_radix(s, 16).ok();
            let (dev, dest, mask) = (f.first()?, hex(f.get(1)?)?, hex(f.get(7)?)?);
            // The kernel prints network-order addresses as host-order hex.
            let dest = Ipv4Addr::from(dest.to_le_bytes());
            let prefix = mask.count_ones() as u8;
            let dest = IpNet::new(dest.into(), prefix).ok()?;
            (prefix > 0).then(|| Route {
                dest,
                dev: dev.to_string(),
            })
        })
        .collect()
}

/// Routes of /proc/net/ipv6_route, without default, loopback, link-local and multicast routes.
pub fn read_routes_v6(text: &str) -> Vec<Route> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let dest = Ipv6Addr::from(u128::from_str_radix(f.first()?, 16).ok()?);
            let prefix = u8::from_str_radix(f.get(1)?, 16).ok()?;
            let dev = f.last()?.to_string();
            let special = dest.is_multicast() || dest.segments()[0] & 0xffc0 == 0xfe80;
            let dest = IpNet::new(dest.into(), prefix).ok()?;
            (prefix > 0 && dev != "lo" && !special).then_some(Route { dest, dev })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml;

    #[test]
    fn reads_proc_routes() {
        let v4 = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                  eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
                  virbr0\t007AA8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        assert_eq!(
            read_routes_v4(v4),
            vec![Route {
                dest: "192.168.122.0/24".parse().unwrap(),
                dev: "virbr0".into()
            }]
        );
        let v6 = "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 \
                  00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0\n\
                  fe800000000000000000000000000000 40 00000000000000000000000000000000 00 \
                  00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0\n";
        assert_eq!(
            read_routes_v6(v6),
            vec![Route {
                dest: "fd00::/64".parse().unwrap(),
                dev: "eth0".into()
            }]
        );
    }

    fn state(name: &str, active: bool, xml_text: &str) -> NetworkState {
        let summary = xml::parse(xml_text).unwrap();
        NetworkState::new(name.into(), String::new(), [active, true, false], summary)
    }

    #[test]
    fn finds_overlaps_but_not_a_networks_own_route() {
        let default = state(
            "default",
            true,
            "<network><name>default</name><bridge name='virbr0'/><ip address='192.168.122.1' prefix='24'/></network>",
        );
        let copy = state(
            "copy",
            false,
            "<network><name>copy</name><ip address='192.168.122.1' prefix='24'/></network>",
        );
        let own = Route {
            dest: "192.168.122.0/24".parse().unwrap(),
            dev: "virbr0".into(),
        };
        assert!(overlap_problems(std::slice::from_ref(&default), std::slice::from_ref(&own)).is_empty());
        let lan = Route {
            dest: "192.168.0.0/16".parse().unwrap(),
            dev: "eth0".into(),
        };
        assert_eq!(
            overlap_problems(std::slice::from_ref(&default), &[own.clone(), lan]),
            vec!["network default 192.168.122.0/24 overlaps route 192.168.0.0/16 dev eth0"]
        );
        assert_eq!(
            overlap_problems(&[default, copy], &[own]),
            vec![
                "network default 192.168.122.0/24 overlaps network copy 192.168.122.0/24",
                "network copy 192.168.122.0/24 overlaps route 192.168.122.0/24 dev virbr0"
            ]
        );
    }

    fn session(uri: &str) -> Session {
        let args = vnet_common::libvirt::ConnectArgs {
            connect: Some(uri.into()),
            ..Default::default()
        };
        Session::new(&args, false)
    }

    #[test]
    fn doctor_reports_every_check_against_the_test_driver() {
        let mut up = session("test:///default");
        let out = serde_json::to_value(doctor(&mut up)).unwrap();
        let checks = out.as_array().unwrap();
        let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "libvirtd",
                "default_network",
                "ip_forward",
                "dnsmasq",
                "firewall",
                "kvm",
                "subnet_overlap",
                "node"
            ]
        );
        assert!(checks
            .iter()
            .all(|c| c["host"] == "local" && c["checked"] == true));
        for c in checks {
            assert!(c["ok"].is_boolean() && c["detail"].is_string(), "{c}");
            assert_eq!(c["hint"].is_null(), c["ok"] == true, "{c}");
        }
        assert_eq!(checks[0]["ok"], true);
        let mut down = session("qemu+unix:///system?socket=/nonexistent/sock");
        let out = serde_json::to_value(doctor(&mut down)).unwrap();
        assert_eq!(out[0]["ok"], false);
        assert_eq!(out[1]["detail"], UNREACHABLE);
    }
}
