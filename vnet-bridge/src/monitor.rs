//! `monitor`: bridge and port changes, forwarding and multicast database changes as NDJSON, in
//! bridge monitor's words.

use crate::Ctx;
use vnet_common::error::quote;
use vnet_common::monitor::{self, Change, Filter, Kind, Namespaces};
use vnet_common::stream::{Stream, StreamArgs, Streamed};
use vnet_common::{Error, ErrorKind, Journal, Result, Verb};

/// Stream bridge, port, forwarding database and multicast database changes as NDJSON (bridge
/// monitor, as JSON).
///
///   vnet-bridge [-n NS] monitor [link | fdb | mdb | all]...
///
/// bridge monitor's words, matched by prefix in its order: none (the default) or all is link,
/// fdb and mdb; all also says on stderr that VLAN and VNI changes are not watched. vlan, vni and
/// file are refused by name (exit 7): vnet does not watch VLAN changes (this kernel has no VLAN
/// filtering to make any).
///
/// stdout is NDJSON: one Change record per kernel notification (its schema is this verb's
/// schema): "link" records for bridges and their ports (the fields of vnet-ns show's interfaces,
/// "master" naming the bridge), "port" records for a port leaving its bridge, "fdb" records for
/// forwarding database entries (showmacs' field names, "bridge" naming the bridge) and "mdb"
/// records for multicast database entries (mdb show's record); printed in the kernel's order
/// until --count records, --timeout, a closed stdout (exit 0) or SIGINT/SIGTERM (exit 0). With -n
/// NS, the changes inside that named namespace. --kind adds addr, route or neigh records. -o text
/// prints lines like ip monitor label.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Monitor {
    /// bridge monitor's words: link, fdb, mdb, all.
    #[arg(value_name = "WORD")]
    pub words: Vec<String>,
    /// Only these kinds (comma-separated): link, fdb, mdb (the default), addr, route, neigh.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub kind: Vec<Kind>,
    /// Only changes of these interfaces (bridges or ports; comma-separated).
    #[arg(long = "dev", value_name = "IF", value_delimiter = ',')]
    pub interfaces: Vec<String>,
    #[command(flatten)]
    pub stream: StreamArgs,
}

/// What one of bridge monitor's words does.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Word {
    Object(Kind),
    All,
    Refused,
    Help,
}

/// bridge/monitor.c do_monitor's words in its order of matching; `true`: matched only whole.
const WORDS: &[(&str, bool, Word)] = &[
    ("file", false, Word::Refused),
    ("link", false, Word::Object(Kind::Link)),
    ("fdb", false, Word::Object(Kind::Fdb)),
    ("mdb", false, Word::Object(Kind::Mdb)),
    ("vlan", false, Word::Refused),
    ("vni", true, Word::Refused),
    ("all", true, Word::All),
    ("help", false, Word::Help),
];

const DEFAULT: [Kind; 3] = [Kind::Link, Kind::Fdb, Kind::Mdb];

/// The kinds the words ask for (none: the default), and whether `all` was one of them.
fn read_words(words: &[String]) -> Result<(Vec<Kind>, bool)> {
    let mut kinds = Vec::new();
    let mut all = false;
    for word in words {
        let found = WORDS.iter().find(|(name, exact, _)| {
            if *exact {
                word == name
            } else {
                !word.is_empty() && name.starts_with(word.as_str())
            }
        });
        match found {
            Some((_, _, Word::Object(kind))) => kinds.push(*kind),
            Some((_, _, Word::All)) => {
                kinds.extend(DEFAULT);
                all = true;
            }
            Some((name, _, Word::Refused)) => {
                return Err(Error::invalid(format!(
                    "bridge monitor {name} is not supported by vnet-bridge monitor"
                ))
                .with_hint("it watches link, fdb and mdb"))
            }
            Some((_, _, Word::Help)) => {
                return Err(Error::new(
                    ErrorKind::Usage,
                    "monitor: see vnet-bridge monitor --help",
                ))
            }
            None => {
                return Err(
                    Error::invalid(format!("monitor: unknown argument {}", quote(word)))
                        .with_hint("words: link, fdb, mdb, all"),
                )
            }
        }
    }
    Ok((kinds, all))
}

impl Verb for Monitor {
    type Ctx = Ctx;
    type Output = Streamed<Change>;

    fn run(self, ctx: &mut Ctx, _journal: &mut Journal) -> Result<Streamed<Change>> {
        let (mut kinds, all) = read_words(&self.words)?;
        monitor::check_interfaces(&self.interfaces)?;
        if all {
            vnet_common::output::warn(
                "vnet-bridge",
                "monitor all: link, fdb and mdb changes are watched; VLAN and VNI changes are not",
            );
        }
        kinds.extend(&self.kind);
        let kinds = monitor::kinds(&kinds, &DEFAULT);
        let filter = Filter {
            kinds,
            interfaces: self.interfaces,
            bridges_only: true,
            family: None,
        };
        let which = Namespaces::One(ctx.netns().map(str::to_string));
        let mut stream = Stream::start(&self.stream);
        monitor::run("vnet-bridge", which, filter, &mut stream)?;
        Ok(Streamed::new(stream.printed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Result<(Vec<Kind>, bool)> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        read_words(&words)
    }

    #[test]
    fn words_match_as_bridge_matches_them() {
        assert_eq!(read("").unwrap(), (vec![], false));
        assert_eq!(read("l fd m").unwrap().0, DEFAULT);
        // bridge matches file first: `f` is file.
        assert!(read("f").is_err());
        assert_eq!(read("mdb").unwrap().0, [Kind::Mdb]);
        assert_eq!(read("all").unwrap(), (DEFAULT.to_vec(), true));
        for (line, code, says) in [
            ("vlan", 7, "bridge monitor vlan is not supported"),
            ("link vni", 7, "bridge monitor vni"),
            ("file x", 7, "bridge monitor file"),
            ("vn", 7, "unknown argument 'vn'"),
            ("neigh", 7, "unknown argument"),
            ("help", 2, "--help"),
        ] {
            let e = read(line).unwrap_err();
            assert_eq!(e.exit_code(), code, "{line}: {e}");
            assert!(e.to_string().contains(says), "{line}: {e}");
        }
    }
}
