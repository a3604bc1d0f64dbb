//! `monitor`: link, address, route, neighbour, FDB, rule, namespace-id, nexthop and netconf
//! changes as NDJSON, in ip monitor's words.

use crate::NsCtx;
use vnet_common::error::quote;
use vnet_common::monitor::{self, Change, Filter, Kind, Namespaces};
use vnet_common::names::validate_netns_name;
use vnet_common::stream::{Stream, StreamArgs, Streamed};
use vnet_common::{Error, ErrorKind, Journal, Result, Verb};

/// Stream link, address, route, neighbour, FDB, rule, nsid, nexthop and netconf changes as NDJSON
/// (ip monitor, as JSON).
///
///   vnet-ns [-n NS] monitor [all | OBJECT...] [label] [all-nsid] [dev IF]
///   OBJECT := link | address | route | neigh | netconf | rule | nsid | nexthop
///
/// ip monitor's words, matched by prefix in ip's order (`ip monitor r` is route): objects pick
/// what is reported (none, or all: everything), neigh brings bridge FDB entries too (as ip
/// prints them), label is the layout -o text always has, all-nsid follows every named namespace
/// as --all-namespaces does, and dev IF reports only changes of IF (it must exist: exit 3).
/// -4 and -6 (ip -4 monitor) keep addresses, routes, rules and neighbours of that family.
/// netconf is reported when asked for (the word, or --kind netconf), not by default: each new
/// link brings netconf notifications of its own, which would double the link records.
/// ip's mroute, prefix, stats and file are refused by name (exit 7). An older
/// spelling is kept: a first word that is none of ip's names a namespace to watch (as -n).
///
/// stdout is NDJSON: one Change record per kernel notification (its schema is this verb's
/// schema): a link is the record show prints for it (without addresses), a route the record route
/// show prints (ip -j route's field names), a rule the record rule show prints, a nexthop object
/// the record nexthop show prints (ip -j nexthop's field names), an interface's IP settings the
/// record netconf show prints, neighbours have
/// ip -j neigh's field names and FDB entries vnet-bridge showmacs'; printed as the kernel sends
/// them, in order, until --count records, --timeout, a closed stdout (exit 0) or SIGINT/SIGTERM
/// (exit 0; the output ends with a whole line). NS: the changes inside that named namespace (exit 3
/// if it does not exist); --all-namespaces: this namespace and every named one, including those
/// created after the monitor started (a "netns" record says when one is followed, from then on its
/// changes are seen, and when one goes). The kernel sends a change once to every listener: a
/// reader too slow for a burst makes it drop notifications, which the monitor reports on stderr.
/// -o text prints lines like ip monitor label.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Monitor {
    /// ip monitor's words: all, link, address, route, neigh, netconf, rule, nsid, nexthop, label,
    /// all-nsid, dev IF
    /// (or, first, a named namespace to watch).
    #[arg(value_name = "WORD")]
    pub words: Vec<String>,
    /// Follow this namespace and every named namespace, also those created later.
    #[arg(long, short = 'a')]
    pub all_namespaces: bool,
    /// Only these kinds (comma-separated): link, addr, route, neigh, fdb, rule, nsid, nexthop,
    /// netconf, netns.
    /// Default: all.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub kind: Vec<Kind>,
    /// Only changes of these interfaces (comma-separated, or the flag repeated).
    #[arg(long = "dev", value_name = "IF", value_delimiter = ',')]
    pub interfaces: Vec<String>,
    /// Only IPv4 addresses, routes, rules and neighbours (ip -4 monitor).
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Only IPv6 addresses, routes, rules and neighbours (ip -6 monitor).
    #[arg(short = '6')]
    pub ipv6: bool,
    #[command(flatten)]
    pub stream: StreamArgs,
}

/// What one of ip monitor's words does.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Word {
    Objects(&'static [Kind]),
    /// `label`, and `all` (which ip reads as label too): -o text always labels its lines.
    Label,
    AllNsid,
    Dev,
    /// An object or option ip has and vnet cannot watch: refused by name.
    Refused,
    Help,
}

/// ip/ipmonitor.c do_ipmonitor's words in its order of matching; `true`: matched only whole.
const WORDS: &[(&str, bool, Word)] = &[
    ("file", false, Word::Refused),
    ("label", false, Word::Label),
    ("link", false, Word::Objects(&[Kind::Link])),
    ("address", false, Word::Objects(&[Kind::Addr])),
    ("route", false, Word::Objects(&[Kind::Route])),
    ("mroute", false, Word::Refused),
    ("prefix", false, Word::Refused),
    ("neigh", false, Word::Objects(&[Kind::Neigh, Kind::Fdb])),
    ("netconf", false, Word::Objects(&[Kind::Netconf])),
    ("rule", false, Word::Objects(&[Kind::Rule])),
    ("nsid", false, Word::Objects(&[Kind::Nsid])),
    ("nexthop", false, Word::Objects(&[Kind::Nexthop])),
    ("stats", true, Word::Refused),
    ("all", true, Word::Label),
    ("all-nsid", false, Word::AllNsid),
    ("help", false, Word::Help),
    ("dev", true, Word::Dev),
];

/// What the words asked for.
#[derive(Debug, Default, PartialEq)]
struct Asked {
    netns: Option<String>,
    kinds: Vec<Kind>,
    all_nsid: bool,
    devs: Vec<String>,
}

fn lookup(word: &str) -> Option<(&'static str, Word)> {
    WORDS
        .iter()
        .find(|(name, exact, _)| {
            if *exact {
                word == *name
            } else {
                !word.is_empty() && name.starts_with(word)
            }
        })
        .map(|(name, _, w)| (*name, *w))
}

/// Reads ip monitor's words (refusals and unknown words are exit 7, before anything starts).
fn read_words(words: &[String]) -> Result<Asked> {
    let mut asked = Asked::default();
    let mut words = words.iter().enumerate();
    while let Some((at, word)) = words.next() {
        let Some((name, what)) = lookup(word) else {
            if at == 0 {
                validate_netns_name(word)?;
                asked.netns = Some(word.clone());
                continue;
            }
            return Err(
                Error::invalid(format!("monitor: unknown argument {}", quote(word))).with_hint(
                    "words: all, link, address, route, neigh, netconf, rule, nsid, nexthop, label, \
                     all-nsid, dev IF",
                ),
            );
        };
        match what {
            Word::Objects(kinds) => asked.kinds.extend_from_slice(kinds),
            Word::Label => {}
            Word::AllNsid => asked.all_nsid = true,
            Word::Dev => match words.next() {
                Some((_, dev)) => asked.devs.push(dev.clone()),
                None => {
                    return Err(Error::new(
                        ErrorKind::Usage,
                        "monitor: dev needs an interface name",
                    ))
                }
            },
            Word::Refused => {
                return Err(
                    Error::invalid(format!("ip monitor {name} is not supported by vnet-ns monitor"))
                        .with_hint("it watches link, address, route, neigh, netconf, rule, nsid and nexthop"),
                )
            }
            Word::Help => {
                return Err(Error::new(
                    ErrorKind::Usage,
                    "monitor: see vnet-ns monitor --help",
                ));
            }
        }
    }
    Ok(asked)
}

impl Verb for Monitor {
    type Ctx = NsCtx;
    type Output = Streamed<Change>;

    fn run(self, ctx: &mut NsCtx, _journal: &mut Journal) -> Result<Streamed<Change>> {
        let asked = read_words(&self.words)?;
        monitor::check_interfaces(&self.interfaces)?;
        monitor::check_interfaces(&asked.devs)?;
        let all_namespaces = self.all_namespaces || asked.all_nsid;
        let netns = asked.netns.or_else(|| ctx.netns.clone());
        if all_namespaces && netns.is_some() {
            return Err(Error::invalid(
                "a namespace and all-nsid (--all-namespaces) exclude each other",
            ));
        }
        // ip refuses a dev that does not exist where it watches.
        monitor::check_devices_exist(netns.as_deref(), &asked.devs)?;
        let all = [
            Kind::Link,
            Kind::Addr,
            Kind::Route,
            Kind::Neigh,
            Kind::Fdb,
            Kind::Rule,
            Kind::Nsid,
            Kind::Nexthop,
            Kind::Netns,
        ];
        let mut kinds = self.kind.clone();
        kinds.extend(asked.kinds);
        let kinds = monitor::kinds(&kinds, &all);
        if kinds == [Kind::Netns] && !all_namespaces {
            return Err(Error::invalid("--kind netns needs --all-namespaces"));
        }
        let which = if all_namespaces {
            Namespaces::All
        } else {
            Namespaces::One(netns)
        };
        let mut interfaces = self.interfaces;
        interfaces.extend(asked.devs);
        let filter = Filter {
            kinds,
            interfaces,
            bridges_only: false,
            family: match (self.ipv4, self.ipv6) {
                (true, _) => Some("inet"),
                (_, true) => Some("inet6"),
                _ => None,
            },
        };
        let mut stream = Stream::start(&self.stream);
        monitor::run("vnet-ns", which, filter, &mut stream)?;
        Ok(Streamed::new(stream.printed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Result<Asked> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        read_words(&words)
    }

    /// ip's prefixes, in ip's order: `l` is label, `a` address, `n` neigh, `al` all-nsid.
    #[test]
    fn words_match_as_ip_matches_them() {
        let asked = read("l a r n ru ns nex al dev eth0").unwrap();
        let kinds = [
            Kind::Addr,
            Kind::Route,
            Kind::Neigh,
            Kind::Fdb,
            Kind::Rule,
            Kind::Nsid,
            Kind::Nexthop,
        ];
        assert_eq!(asked.kinds, kinds);
        assert!(asked.all_nsid);
        assert_eq!(asked.devs, ["eth0"]);
        assert_eq!(read("all").unwrap(), Asked::default());
        assert_eq!(read("link").unwrap().kinds, [Kind::Link]);
        assert_eq!(read("Blue link").unwrap().netns.as_deref(), Some("Blue"));
    }

    #[test]
    fn what_vnet_cannot_watch_is_refused_by_name() {
        for (line, code, says) in [
            ("mroute", 7, "ip monitor mroute is not supported"),
            ("link prefix", 7, "ip monitor prefix"),
            ("pre", 7, "ip monitor prefix"),
            ("stats", 7, "stats"),
            ("file /tmp/x", 7, "ip monitor file"),
            ("link foo", 7, "unknown argument 'foo'"),
            ("dev", 2, "dev needs"),
            ("help", 2, "--help"),
        ] {
            let e = read(line).unwrap_err();
            assert_eq!(e.exit_code(), code, "{line}: {e}");
            assert!(e.to_string().contains(says), "{line}: {e}");
        }
    }
}
