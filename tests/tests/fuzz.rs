//! A seeded fuzz of the command lines of every tool (issue 15): a few hundred lines per tool from a
//! small deterministic generator (xorshift from a constant seed), valid verbs mixed with hostile
//! names (newlines, escapes, 300-byte names, `..`, `-x`, empty), bad CIDRs, huge numbers and
//! unknown flags. Every line must exit 0..=7 (126/127 for exec), print no panic, and on failure
//! print nothing on stdout, exactly one `TOOL: error:` line plus at most one `hint:` line on
//! stderr, and leave the state (kernel snapshot + libvirt's networks) as it was.
//! A failing line is reported with its seed and number, so it can be replayed.

use std::process::{Command, Stdio};
use vnet_tests::*;

const SEED: u64 = 0x5eed_f022_1505_2024;

/// xorshift64: small, deterministic, good enough to pick from lists.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

fn hostile_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "",
        "a\nb",
        "x\u{1b}[31mred",
        "tab\there",
        "\u{7f}",
        "..",
        ".",
        "-x",
        "--",
        "a/b",
        "a:b",
        "a b",
        "all",
        "$(id)",
        "`id`",
        "%s%n",
        "ümlaut",
        "'quote",
        "new\r\nline",
        "sixteen-bytes-xx",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    names.push("n".repeat(300));
    names.push("\u{1b}]0;title\u{7}".to_string());
    names
}

const CIDRS: &[&str] = &[
    "10.214.1.1/24",
    "10.214.2.1/30",
    "10.214.1.1/33",
    "300.1.1.1/24",
    "10.214.1.0/24",
    "fd00:214::1/64",
    "fd00::1/129",
    "1.2.3.4",
    "",
    "10.214.1.1/-1",
    "10.214.1.1/24/8",
    "not-a-cidr",
];

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "30",
    "65535",
    "-1",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999999",
    "1e3",
    "0x10",
    "NaN",
    "",
    "1.5",
];

const STATES: &[&str] = &["up", "down", "on", "off", "yes", "", "UP", "sideways"];

const MACS: &[&str] = &[
    "52:54:00:ab:cd:ef",
    "52:54:00:ab:cd",
    "zz:zz:zz:zz:zz:zz",
    "",
    "ff:ff:ff:ff:ff:ff",
];

const FILES: &[&str] = &[
    "/dev/zero",
    "/nonexistent/net.xml",
    "/etc",
    "/dev/null",
    "/proc/self/status",
];

const JUNK_FLAGS: &[&str] = &[
    "--frobnicate",
    "-Z",
    "--exist-ok=maybe",
    "--",
    "-",
    "--netns",
    "-o",
    "--timeout",
];

/// One verb of a tool: its name, its positional slots and the flags it takes. A slot or flag
/// value is a kind: N name (namespace, network, domain), L link, C CIDR, U number, S state,
/// M MAC, F file, X command; a flag `--f=K` takes a value of kind K.
struct VerbSpec {
    verb: &'static str,
    slots: &'static [&'static str],
    flags: &'static [&'static str],
}

const fn v(verb: &'static str, slots: &'static [&'static str], flags: &'static [&'static str]) -> VerbSpec {
    VerbSpec { verb, slots, flags }
}

const NS_VERBS: &[VerbSpec] = &[
    v("add", &["N"], &["--exist-ok", "--no-lo"]),
    v("delete", &["N", "N"], &["--missing-ok"]),
    v("list", &[], &["-o=text"]),
    v("exec", &["N", "X"], &[]),
    v("identify", &["U"], &[]),
    v("pids", &["N"], &[]),
    v("show", &["N"], &[]),
    v(
        "veth",
        &["L", "L"],
        &[
            "-n=N",
            "--peer-netns=N",
            "--addr=C",
            "--peer-addr=C",
            "--mtu=U",
            "--master=L",
            "--no-up",
            "--exist-ok",
        ],
    ),
    v("link", &["N", "L", "S"], &[]),
    v("addr", &["N", "L", "C"], &["--del"]),
];

const BRIDGE_VERBS: &[VerbSpec] = &[
    v("addbr", &["L"], &["--exist-ok", "--addr=C", "--up", "-n=N"]),
    v("delbr", &["L"], &["--missing-ok", "--force", "-n=N"]),
    v("addif", &["L", "L"], &["--force", "--move-addresses", "-n=N"]),
    v("delif", &["L", "L"], &["--missing-ok", "-n=N"]),
    v("show", &["L"], &["-n=N", "-o=text"]),
    v("showmacs", &["L"], &["-n=N"]),
    v("showstp", &["L"], &["-n=N"]),
    v("stp", &["L", "S"], &["-n=N"]),
    v("setageing", &["L", "U"], &["-n=N"]),
    v("setfd", &["L", "U"], &["-n=N"]),
    v("sethello", &["L", "U"], &["-n=N"]),
    v("setmaxage", &["L", "U"], &["-n=N"]),
    v("setbridgeprio", &["L", "U"], &["-n=N"]),
    v("setpathcost", &["L", "L", "U"], &["-n=N"]),
    v("setportprio", &["L", "L", "U"], &["-n=N"]),
    v("hairpin", &["L", "L", "S"], &["-n=N"]),
    // bridge(8)'s words: the keywords bare, as scripts written for bridge give them.
    v(
        "vlan add",
        &[],
        &["dev=L", "vid=U", "pvid", "untagged", "self", "-n=N"],
    ),
    v("vlan del", &[], &["dev=L", "vid=U", "--missing-ok", "-n=N"]),
    v("vlan show", &[], &["dev=L", "vid=U", "-o=text", "-n=N"]),
    v(
        "fdb add",
        &["M"],
        &["dev=L", "dst=C", "vlan=U", "master", "static", "--exist-ok"],
    ),
    v(
        "fdb append",
        &["M"],
        &["dev=L", "dst=C", "vni=U", "port=U", "-n=N"],
    ),
    v(
        "fdb del",
        &["M"],
        &["dev=L", "dst=C", "vlan=U", "--missing-ok", "-n=N"],
    ),
    v("fdb show", &[], &["dev=L", "br=L", "vlan=U", "-o=text", "-n=N"]),
    v(
        "mdb add",
        &[],
        &[
            "dev=L",
            "port=L",
            "grp=C",
            "vid=U",
            "src=C",
            "permanent",
            "temp",
            "--exist-ok",
        ],
    ),
    v(
        "mdb del",
        &[],
        &["dev=L", "port=L", "grp=C", "vid=U", "--missing-ok", "-n=N"],
    ),
    v("mdb show", &[], &["dev=L", "port=L", "vid=U", "-o=text", "-n=N"]),
];

const NET_VERBS: &[VerbSpec] = &[
    v("list", &[], &["--all", "-o=text", "--timeout=U"]),
    v("define", &["F"], &["--start", "--autostart", "--exist-ok"]),
    v(
        "define",
        &[],
        &[
            "--name=N",
            "--ip=C",
            "--ipv6=C",
            "--bridge=L",
            "--dhcp-range=C",
            "--mode=S",
            "--forward-dev=L",
            "--domain=N",
            "--exist-ok",
            "--start",
        ],
    ),
    v(
        "create",
        &[],
        &["--name=N", "--ip=C", "--bridge=L", "--mode=S", "--exist-ok"],
    ),
    v("start", &["N"], &["--exist-ok", "--timeout=U"]),
    v("destroy", &["N"], &["--missing-ok"]),
    v("undefine", &["N"], &["--missing-ok"]),
    v("autostart", &["N"], &["--disable"]),
    v("dumpxml", &["N"], &["-o=text"]),
    v("info", &["N"], &[]),
    v("dhcp-leases", &["N"], &["--mac=M"]),
    v("net-info", &["N"], &[]),
];

const VM_VERBS: &[VerbSpec] = &[
    v("list", &[], &["--all"]),
    v("start", &["N"], &[]),
    v("shutdown", &["N"], &[]),
    v("destroy", &["N"], &[]),
    v("undefine", &["N"], &[]),
    v("dumpxml", &["N"], &[]),
    v("domiflist", &["N"], &[]),
    v("domifaddr", &["N"], &[]),
    v(
        "install",
        &[],
        &["--name=N", "--memory=U", "--vcpus=U", "--network=N"],
    ),
];

/// The values a fuzzed line draws from: the test's own names (which may succeed) and hostile ones.
struct Pools {
    names: Vec<String>,
    links: Vec<String>,
}

impl Pools {
    fn value(&self, rng: &mut Rng, kind: &str) -> String {
        if rng.chance(8) {
            return rng.pick(&hostile_names());
        }
        match kind {
            "N" if rng.chance(45) => rng.pick(&self.names),
            "L" if rng.chance(45) => rng.pick(&self.links),
            "N" | "L" => rng.pick(&hostile_names()),
            "C" => rng.pick(CIDRS).to_string(),
            "U" => rng.pick(NUMBERS).to_string(),
            "S" => rng.pick(STATES).to_string(),
            "M" => rng.pick(MACS).to_string(),
            "F" => rng.pick(FILES).to_string(),
            "X" => rng
                .pick(&["true", "/etc", "/nonexistent/cmd", "", "-x"])
                .to_string(),
            "text" => "text".to_string(),
            other => panic!("unknown kind {other}"),
        }
    }

    fn line(&self, rng: &mut Rng, verbs: &[VerbSpec]) -> Vec<String> {
        if rng.chance(5) {
            return vec![rng
                .pick(&["", "frobnicate", "-x", "--version", "add\n", "list\u{1b}"])
                .to_string()];
        }
        let spec = &verbs[rng.below(verbs.len())];
        // A nested verb ("vlan add") is its words.
        let mut words: Vec<String> = spec.verb.split(' ').map(String::from).collect();
        for slot in spec.slots {
            if !rng.chance(6) {
                words.push(self.value(rng, slot));
            }
        }
        for _ in 0..rng.below(4) {
            if rng.chance(15) {
                words.push(rng.pick(JUNK_FLAGS).to_string());
                continue;
            }
            let Some(flag) = (!spec.flags.is_empty()).then(|| rng.pick(spec.flags)) else {
                continue;
            };
            match flag.split_once('=') {
                Some((name, kind)) => {
                    words.push(name.to_string());
                    if !rng.chance(5) {
                        words.push(self.value(rng, kind));
                    }
                }
                None => words.push(flag.to_string()),
            }
        }
        if rng.chance(4) {
            words.push(rng.pick(&hostile_names()));
        }
        words
    }
}

/// Kernel state, and for the libvirt tools libvirt's network names (`virsh net-list --all
/// --name`): what a failed line must leave alone. (vnet-ns and vnet-bridge do not talk to libvirt;
/// a bridge or address of a libvirt network they touched would show in the kernel state.)
fn settled(libvirt: bool) -> String {
    format!("{}\n{}", state_snapshot(), virsh_names(libvirt))
}

/// A cheap raw read of the same state (no shell, no jq; libvirt's network files instead of
/// virsh): equal before and after means unchanged; when it differs (also for benign reasons, such
/// as a carrier change) the settled snapshots are compared.
fn quick() -> String {
    let listing = |dir: &str| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let ip = |args: &[&str]| {
        let out = Command::new("ip").args(args).output().expect("run ip");
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    let namespaces = listing("/run/netns");
    let mut state = format!("{namespaces:?}\n{}", ip(&["-j", "addr"]));
    for ns in &namespaces {
        state += &ip(&["-n", ns, "-j", "addr"]);
    }
    for dir in [
        "/etc/libvirt/qemu/networks",
        "/etc/libvirt/qemu/networks/autostart",
        "/run/libvirt/network",
    ] {
        state += &format!("{:?}\n", listing(dir));
    }
    state
}

fn virsh_names(libvirt: bool) -> String {
    match libvirt {
        true => sh_ok("virsh net-list --all --name | sort"),
        false => String::new(),
    }
}

/// Runs `count` fuzzed lines of `tool` and checks each.
fn fuzz(tool: &str, verbs: &[VerbSpec], pools: &Pools, seed: u64, count: usize) {
    let started = std::time::Instant::now();
    let libvirt = matches!(tool, "vnet-net" | "vnet-vm");
    let mut rng = Rng(seed);
    let mut before = settled(libvirt);
    let mut before_raw = quick();
    let (mut failures, mut problems) = (0, Vec::new());
    for number in 1..=count {
        let words = pools.line(&mut rng, verbs);
        let output = Command::new(bin_dir().join(tool))
            .args(&words)
            .stdin(Stdio::null())
            .env("VNET_TIMEOUT", "10")
            .output()
            .unwrap_or_else(|e| panic!("run {tool} {words:?}: {e}"));
        let code = output.status.code().unwrap_or(-1);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        let what = format!(
            "{tool} line {number} (seed {seed:#x}) {words:?}: exit {code}\nstdout: {stdout}\nstderr: {stderr}"
        );
        let mut problem = |why: &str| problems.push(format!("{why}: {what}"));
        let exec = tool == "vnet-ns" && words.first().is_some_and(|w| w == "exec");
        if !((0..=7).contains(&code) || (exec && (code == 126 || code == 127))) {
            problem("exit code out of range");
        }
        if [&stdout, &stderr]
            .iter()
            .any(|t| t.contains("panicked") || t.contains("RUST_BACKTRACE"))
        {
            problem("panic");
        }
        if code == 0 {
            before = settled(libvirt);
            before_raw = quick();
            continue;
        }
        failures += 1;
        let lines: Vec<&str> = stderr.lines().collect();
        if !stdout.is_empty() {
            problem("stdout on failure");
        }
        if !(1..=2).contains(&lines.len()) {
            problem("not one error line and at most one hint");
        }
        if !lines
            .first()
            .is_some_and(|l| l.starts_with(&format!("{tool}: error: ")))
        {
            problem("no `TOOL: error:` line");
        }
        if lines.get(1).is_some_and(|hint| !hint.starts_with("hint: ")) {
            problem("second line is not a hint");
        }
        if stderr.contains('\u{1b}') {
            problem("terminal codes on stderr");
        }
        let after_raw = quick();
        if after_raw != before_raw {
            // Something moved (or the kernel is still finishing an earlier success, such as a
            // namespace torn down): the settled snapshots decide.
            let after = settled(libvirt);
            if after != before {
                problem(&format!(
                    "state changed by a failed line:\n{before}\n---\n{after}"
                ));
                before = after;
            }
            before_raw = after_raw;
        }
    }
    eprintln!(
        "{tool}: {count} lines, {failures} failed, {} problems, in {:?}",
        problems.len(),
        started.elapsed()
    );
    assert!(
        problems.is_empty(),
        "{} problems, the first ones:\n{}",
        problems.len(),
        problems[..problems.len().min(30)].join("\n\n")
    );
    assert!(
        failures > count / 3,
        "{tool}: only {failures} of {count} lines failed"
    );
    assert!(failures < count, "{tool}: no line succeeded");
}

#[test]
fn fuzzed_vnet_ns_lines() {
    let lab = lab!();
    let pools = Pools {
        names: vec![lab.netns("fz"), lab.netns("fz")],
        links: vec![lab.link("fzv"), lab.link("fzv"), lab.link("fzv")],
    };
    fuzz("vnet-ns", NS_VERBS, &pools, SEED, 250);
}

#[test]
fn fuzzed_vnet_bridge_lines() {
    let lab = lab!();
    let (ns, port, peer) = (lab.netns("fbn"), lab.link("fbp"), lab.link("fbq"));
    sh_ok(&format!(
        "ip netns add {ns}; ip link add {port} type veth peer name {peer}"
    ));
    let pools = Pools {
        names: vec![ns],
        links: vec![lab.link("fbr"), lab.link("fbr"), port, peer],
    };
    fuzz("vnet-bridge", BRIDGE_VERBS, &pools, SEED ^ 0xb, 250);
}

#[test]
fn fuzzed_vnet_net_lines() {
    let lab = lab!();
    let pools = Pools {
        names: vec![lab.network("fzn"), lab.network("fzn")],
        links: vec![lab.link("fzb"), lab.link("fzb")],
    };
    fuzz("vnet-net", NET_VERBS, &pools, SEED ^ 0x11, 250);
}

/// vnet-vm's install is fuzzed without a disk or boot source (it is refused before anything is
/// defined): a real install costs seconds here.
#[test]
fn fuzzed_vnet_vm_lines() {
    let lab = lab!();
    let pools = Pools {
        names: vec![lab.domain("fzd")],
        links: vec![lab.link("fzl")],
    };
    fuzz("vnet-vm", VM_VERBS, &pools, SEED ^ 0x7, 150);
}
