//! The firewall side of forwards: iptables rules in vnet's own chains of the `nat` and `filter`
//! tables, generated from the forwards list, written in one `iptables-restore --noflush`
//! transaction, read back with `iptables-save`.
//!
//! Why iptables and not nftables' JSON: libvirt 9.0 writes its rules with iptables-nft, and only a
//! rule in the same base chain, placed before libvirt's jump, gets past LIBVIRT_FWI's reject. A
//! rule written there by `nft` in a form iptables-nft cannot read back would break libvirt's own
//! iptables calls (its deletes compare rules), so the rules are written through iptables' batch
//! interface, and only in forms iptables itself produces. iptables has no JSON interface; the
//! rules are typed here ([`Match`], [`Target`]) and rendered in one place.
//!
//! Per forward (comment "vnet-forward tcp/8080", so a human reading iptables-save sees whose):
//! - nat VNET_FWD_PRE (from PREROUTING) and VNET_FWD_OUT (from OUTPUT, so the host's own
//!   connections are forwarded too): DNAT to the guest, for the host's local addresses except
//!   the network's bridge address (or the one --address); OUTPUT returns for loopback first.
//! - nat VNET_FWD_POST (from POSTROUTING): masquerade connections from the network's own subnet
//!   that were DNATed to the guest (hairpin: another guest reaching it through the host address
//!   gets replies through the host, not straight from the guest).
//! - filter VNET_FWD (from FORWARD): accept new DNATed connections to the guest's port (libvirt's
//!   LIBVIRT_FWI accepts only related/established traffic into a NAT subnet).

use super::{ports_text, Forward, Proto};
use crate::{Error, Result};
use std::collections::HashMap;
use std::io::Write;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

/// vnet's chains: (table, chain, the builtin chain that jumps to it first).
const CHAINS: [(&str, &str, &str); 4] = [
    ("nat", "VNET_FWD_PRE", "PREROUTING"),
    ("nat", "VNET_FWD_OUT", "OUTPUT"),
    ("nat", "VNET_FWD_POST", "POSTROUTING"),
    ("filter", "VNET_FWD", "FORWARD"),
];
const TABLES: [&str; 2] = ["nat", "filter"];

/// A rule's match, as iptables spells it.
enum Match {
    Dst(Ipv4Addr),
    NotDst(Ipv4Addr),
    DstNet(&'static str),
    Src(String),
    Out(String),
    Proto(Proto),
    DstPorts(u16, u16),
    LocalDst,
    Dnated,
    Comment(String),
}

/// A rule's target.
enum Target {
    Dnat(String),
    Accept,
    Masquerade,
    Return,
}

struct Rule {
    chain: &'static str,
    matches: Vec<Match>,
    target: Target,
}

impl Rule {
    /// The rule as an iptables-restore line: "-A CHAIN ...". Every value is an address, a
    /// number, a validated interface name or vnet's own comment; only the comment has a space.
    fn line(&self) -> String {
        let mut words = vec!["-A".to_string(), self.chain.to_string()];
        for m in &self.matches {
            words.extend(match m {
                Match::Dst(ip) => vec!["-d".into(), format!("{ip}/32")],
                Match::NotDst(ip) => vec!["!".into(), "-d".into(), format!("{ip}/32")],
                Match::DstNet(net) => vec!["-d".into(), net.to_string()],
                Match::Src(net) => vec!["-s".into(), net.clone()],
                Match::Out(dev) => vec!["-o".into(), dev.clone()],
                Match::Proto(p) => vec!["-p".into(), p.as_str().into(), "-m".into(), p.as_str().into()],
                Match::DstPorts(a, b) => vec!["--dport".into(), ports_text(*a, *b).replace('-', ":")],
                Match::LocalDst => ["-m", "addrtype", "--dst-type", "LOCAL"]
                    .map(String::from)
                    .to_vec(),
                Match::Dnated => ["-m", "conntrack", "--ctstate", "DNAT"]
                    .map(String::from)
                    .to_vec(),
                Match::Comment(text) => vec![
                    "-m".into(),
                    "comment".into(),
                    "--comment".into(),
                    format!("\"{text}\""),
                ],
            });
        }
        words.extend(match &self.target {
            Target::Dnat(to) => vec!["-j".into(), "DNAT".into(), "--to-destination".into(), to.clone()],
            Target::Accept => vec!["-j".into(), "ACCEPT".into()],
            Target::Masquerade => vec!["-j".into(), "MASQUERADE".into()],
            Target::Return => vec!["-j".into(), "RETURN".into()],
        });
        words.join(" ")
    }
}

/// The comment on every rule of `forward`.
fn comment(forward: &Forward) -> String {
    format!("vnet-forward {}", forward.key())
}

/// DNAT's destination: the guest address, with its ports where they differ from the host's
/// (a range keeps its offsets: "IP:9000-9010/8000").
fn dnat_destination(f: &Forward) -> String {
    match (f.to_port == f.port, f.port == f.port_end) {
        (true, false) => f.to_ip.to_string(),
        (_, true) => format!("{}:{}", f.to_ip, f.to_port),
        (false, false) => format!("{}:{}-{}/{}", f.to_ip, f.to_port, f.to_port_end, f.port),
    }
}

/// The rules of one forward, in the order of [`CHAINS`].
fn forward_rules(f: &Forward) -> Vec<Rule> {
    let host_dst = || match f.address {
        Some(ip) => vec![Match::Dst(ip)],
        None => vec![Match::NotDst(f.bridge_ip), Match::LocalDst],
    };
    let dnat = |chain| {
        let mut matches = host_dst();
        matches.extend([
            Match::Proto(f.proto),
            Match::DstPorts(f.port, f.port_end),
            Match::Comment(comment(f)),
        ]);
        Rule {
            chain,
            matches,
            target: Target::Dnat(dnat_destination(f)),
        }
    };
    let to_guest = |extra: Vec<Match>| {
        let mut matches = extra;
        matches.extend([
            Match::Dst(f.to_ip),
            Match::Proto(f.proto),
            Match::DstPorts(f.to_port, f.to_port_end),
            Match::Dnated,
            Match::Comment(comment(f)),
        ]);
        matches
    };
    vec![
        dnat("VNET_FWD_PRE"),
        dnat("VNET_FWD_OUT"),
        Rule {
            chain: "VNET_FWD_POST",
            matches: to_guest(vec![Match::Src(f.subnet.clone())]),
            target: Target::Masquerade,
        },
        Rule {
            chain: "VNET_FWD",
            matches: to_guest(vec![Match::Out(f.bridge.clone())]),
            target: Target::Accept,
        },
    ]
}

/// The host's own connections to 127.0.0.0/8 are never forwarded (their loopback source cannot
/// leave the host).
fn loopback_rule() -> Rule {
    Rule {
        chain: "VNET_FWD_OUT",
        matches: vec![
            Match::DstNet("127.0.0.0/8"),
            Match::Comment("vnet-forward loopback".into()),
        ],
        target: Target::Return,
    }
}

/// A table as iptables-save prints it: its chains and each chain's rules (the words after
/// "-A CHAIN ").
#[derive(Debug, Default)]
pub struct Table {
    pub chains: Vec<String>,
    pub rules: HashMap<String, Vec<String>>,
}

/// The `nat` and `filter` tables now.
#[derive(Debug, Default)]
pub struct Ruleset {
    pub tables: HashMap<String, Table>,
}

impl Ruleset {
    /// One iptables-save of every table (one process: `forward add` runs well under 100 ms).
    pub fn read() -> Result<Ruleset> {
        let out = Command::new("iptables-save")
            .output()
            .map_err(|e| Error::from(e).context("run iptables-save"))?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            return Err(Error::failed(format!("iptables-save: {}", why.trim())));
        }
        Ok(Ruleset::parse(&String::from_utf8_lossy(&out.stdout)))
    }

    /// iptables-save's text, table by table ("*nat" ... "COMMIT").
    fn parse(text: &str) -> Ruleset {
        let mut ruleset = Ruleset::default();
        let mut current: Option<(String, String)> = None;
        for line in text.lines() {
            if let Some(name) = line.strip_prefix('*') {
                current = Some((name.to_string(), String::new()));
            } else if line == "COMMIT" {
                if let Some((name, body)) = current.take() {
                    ruleset.tables.insert(name, Table::parse(&body));
                }
            } else if let Some((_, body)) = current.as_mut() {
                body.push_str(line);
                body.push('\n');
            }
        }
        ruleset
    }

    fn rules(&self, table: &str, chain: &str) -> &[String] {
        self.tables
            .get(table)
            .and_then(|t| t.rules.get(chain))
            .map_or(&[], |r| r.as_slice())
    }

    fn has_chain(&self, table: &str, chain: &str) -> bool {
        self.tables
            .get(table)
            .is_some_and(|t| t.chains.iter().any(|c| c == chain))
    }

    /// True when `chain`'s first rule is the jump to `ours` and it has no other.
    fn jump_first(&self, table: &str, builtin: &str, ours: &str) -> bool {
        let jump = format!("-j {ours}");
        let rules = self.rules(table, builtin);
        rules.first() == Some(&jump) && rules.iter().filter(|r| **r == jump).count() == 1
    }

    /// True when a rule of libvirt's LIBVIRT_FWI names `bridge` (libvirt has set the network up).
    pub fn libvirt_has(&self, bridge: &str) -> bool {
        let out = format!("-o {bridge} ");
        self.rules("filter", "LIBVIRT_FWI")
            .iter()
            .any(|r| r.contains(&out))
    }
}

impl Table {
    fn parse(text: &str) -> Table {
        let mut table = Table::default();
        for line in text.lines() {
            if let Some(decl) = line.strip_prefix(':') {
                table
                    .chains
                    .push(decl.split(' ').next().unwrap_or("").to_string());
            } else if let Some(rule) = line.strip_prefix("-A ") {
                let (chain, rest) = rule.split_once(' ').unwrap_or((rule, ""));
                table
                    .rules
                    .entry(chain.to_string())
                    .or_default()
                    .push(rest.to_string());
            }
        }
        table
    }
}

/// How iptables-save prints the comment of `forward`'s rules.
fn comment_match(forward: &Forward) -> String {
    format!("--comment \"{}\"", comment(forward))
}

/// True when every rule of `forward` is in its chain and every chain is jumped to first (what
/// doctor reports).
pub fn present(forward: &Forward, ruleset: &Ruleset) -> bool {
    let tag = comment_match(forward);
    CHAINS.iter().all(|(table, chain, builtin)| {
        ruleset.jump_first(table, builtin, chain)
            && ruleset.rules(table, chain).iter().any(|r| r.contains(&tag))
    })
}

/// The iptables-restore input that makes the tables hold exactly `forwards`' rules (none: vnet's
/// chains and jumps removed, the ruleset as it was before the first forward). None when there is
/// nothing to change.
fn plan(forwards: &[Forward], now: &Ruleset) -> Option<String> {
    let mut rules: Vec<Rule> = Vec::new();
    if !forwards.is_empty() {
        rules.push(loopback_rule());
        rules.extend(forwards.iter().flat_map(forward_rules));
    }
    if !forwards.is_empty() && in_place(&rules, forwards, now) {
        return None;
    }
    let mut script = String::new();
    for table in TABLES {
        let ours = CHAINS.iter().filter(|(t, ..)| *t == table);
        let (mut decls, mut lines) = (Vec::new(), Vec::new());
        for (_, chain, builtin) in ours {
            let jump = format!("-j {chain}");
            let jumps = now.rules(table, builtin).iter().filter(|r| **r == jump).count();
            let keep = !forwards.is_empty() && now.jump_first(table, builtin, chain);
            if !keep {
                lines.extend(std::iter::repeat_n(format!("-D {builtin} {jump}"), jumps));
            }
            if forwards.is_empty() {
                if now.has_chain(table, chain) {
                    lines.extend([format!("-F {chain}"), format!("-X {chain}")]);
                }
                continue;
            }
            decls.push(format!(":{chain} - [0:0]"));
            lines.extend(rules.iter().filter(|r| r.chain == *chain).map(Rule::line));
            if !keep {
                lines.push(format!("-I {builtin} 1 {jump}"));
            }
        }
        decls.append(&mut lines);
        if !decls.is_empty() {
            script.push_str(&format!("*{table}\n{}\nCOMMIT\n", decls.join("\n")));
        }
    }
    (!script.is_empty()).then_some(script)
}

/// True when the ruleset already holds exactly `rules`: every chain jumped to first, holding as
/// many rules as planned, every forward's among them.
fn in_place(rules: &[Rule], forwards: &[Forward], now: &Ruleset) -> bool {
    CHAINS.iter().all(|(table, chain, builtin)| {
        now.jump_first(table, builtin, chain)
            && now.rules(table, chain).len() == rules.iter().filter(|r| r.chain == *chain).count()
    }) && forwards.iter().all(|f| present(f, now))
}

/// Makes the firewall match `forwards`, in one transaction. True when something changed.
pub fn apply(forwards: &[Forward]) -> Result<bool> {
    apply_change(forwards, forwards)
}

/// Makes the firewall go from `before` to `after` (the state file's lists around one change):
/// when the ruleset holds exactly `before`'s rules, only the rules of the forwards added or removed
/// are written (a few lines, however many forwards there are); otherwise the whole plan.
pub fn apply_change(before: &[Forward], after: &[Forward]) -> Result<bool> {
    let now = Ruleset::read()?;
    let script = match before != after && !before.is_empty() && !after.is_empty() {
        true => delta(before, after, &now).or_else(|| plan(after, &now)),
        false => plan(after, &now),
    };
    let Some(script) = script else {
        return Ok(false);
    };
    restore(&script)?;
    Ok(true)
}

/// The lines that add the rules of the forwards new in `after` and delete (by their spec) those
/// gone from `before`; None unless the ruleset holds exactly `before`'s rules now.
fn delta(before: &[Forward], after: &[Forward], now: &Ruleset) -> Option<String> {
    let mut rules = vec![loopback_rule()];
    rules.extend(before.iter().flat_map(forward_rules));
    if !in_place(&rules, before, now) {
        return None;
    }
    let mut lines: HashMap<&str, Vec<String>> = HashMap::new();
    // Deleted by position, last first (a delete by spec costs iptables-nft a comparison with
    // every rule: ten times the time); the positions are read under the state's lock.
    let gone: Vec<String> = before
        .iter()
        .filter(|f| !after.contains(f))
        .map(comment_match)
        .collect();
    for (table, chain, _) in CHAINS {
        let rules = now.rules(table, chain);
        let doomed = (0..rules.len())
            .rev()
            .filter(|&i| gone.iter().any(|tag| rules[i].contains(tag)));
        lines
            .entry(table)
            .or_default()
            .extend(doomed.map(|i| format!("-D {chain} {}", i + 1)));
    }
    for f in after.iter().filter(|f| !before.contains(f)) {
        for rule in forward_rules(f) {
            lines.entry(table_of(rule.chain)).or_default().push(rule.line());
        }
    }
    let script: String = TABLES
        .iter()
        .filter_map(|t| {
            lines
                .get(t)
                .filter(|l| !l.is_empty())
                .map(|l| format!("*{t}\n{}\nCOMMIT\n", l.join("\n")))
        })
        .collect();
    Some(script)
}

fn table_of(chain: &str) -> &'static str {
    CHAINS
        .iter()
        .find(|(_, c, _)| *c == chain)
        .map_or("filter", |(t, ..)| t)
}

fn restore(script: &str) -> Result<()> {
    let mut child = Command::new("iptables-restore")
        .arg("--noflush")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::from(e).context("run iptables-restore"))?;
    let written = child.stdin.take().expect("piped").write_all(script.as_bytes());
    let out = child
        .wait_with_output()
        .map_err(|e| Error::from(e).context("run iptables-restore"))?;
    if !out.status.success() || written.is_err() {
        let why = String::from_utf8_lossy(&out.stderr);
        return Err(Error::failed(format!(
            "iptables-restore: {}",
            crate::error::one_line(why.trim())
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::forward;
    use super::*;

    #[test]
    fn rules_are_rendered_for_iptables_restore() {
        let mut f = forward(8080, 8080, None);
        f.to_port = 80;
        f.to_port_end = 80;
        let lines: Vec<String> = forward_rules(&f).iter().map(Rule::line).collect();
        assert_eq!(
            lines[0],
            "-A VNET_FWD_PRE ! -d 192.168.150.1/32 -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 8080 \
             -m comment --comment \"vnet-forward tcp/8080\" -j DNAT --to-destination 192.168.150.50:80"
        );
        assert_eq!(
            lines[3],
            "-A VNET_FWD -o vfx0 -d 192.168.150.50/32 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT \
             -m comment --comment \"vnet-forward tcp/8080\" -j ACCEPT"
        );
        let range = forward(8000, 8010, Some("10.0.0.1"));
        assert_eq!(dnat_destination(&range), "192.168.150.50");
        let mut shifted = range.clone();
        (shifted.to_port, shifted.to_port_end) = (9000, 9010);
        assert_eq!(dnat_destination(&shifted), "192.168.150.50:9000-9010/8000");
    }

    #[test]
    fn plan_adds_chains_and_jumps_first_and_removes_them_all_with_the_last_forward() {
        let empty = Ruleset::default();
        assert_eq!(plan(&[], &empty), None);
        let script = plan(&[forward(80, 80, None)], &empty).unwrap();
        assert!(script.contains("*nat\n:VNET_FWD_PRE - [0:0]\n"), "{script}");
        assert!(script.contains("-I PREROUTING 1 -j VNET_FWD_PRE"), "{script}");
        assert!(script.contains("-I FORWARD 1 -j VNET_FWD\nCOMMIT"), "{script}");
        let saved = "*filter\n:FORWARD ACCEPT [0:0]\n:VNET_FWD - [0:0]\n:LIBVIRT_FWI - [0:0]\n\
                     -A FORWARD -j LIBVIRT_FWI\n-A FORWARD -j VNET_FWD\nCOMMIT\n";
        let now = Ruleset::parse(saved);
        let script = plan(&[forward(80, 80, None)], &now).unwrap();
        assert!(script.contains("-D FORWARD -j VNET_FWD\n"), "{script}");
        let script = plan(&[], &now).unwrap();
        assert_eq!(
            script,
            "*filter\n-D FORWARD -j VNET_FWD\n-F VNET_FWD\n-X VNET_FWD\nCOMMIT\n"
        );
    }
}
