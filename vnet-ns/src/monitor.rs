//! `monitor`: link, address, route, neighbour and FDB changes as NDJSON (ip monitor).

use crate::NsCtx;
use vnet_common::monitor::{self, Change, Filter, Kind, Namespaces};
use vnet_common::names::validate_netns_name;
use vnet_common::stream::{Stream, StreamArgs, Streamed};
use vnet_common::{Error, Journal, Result, Verb};

/// Stream link, address, route, neighbour and FDB changes as NDJSON (ip monitor, as JSON).
///
/// stdout is NDJSON: one Change record per kernel notification (its schema is this verb's
/// schema): a link is the record show prints for it (without addresses), a route the record route
/// show prints (ip -j route's field names), neighbours have ip -j neigh's field names and FDB
/// entries vnet-bridge showmacs'; printed as the kernel sends
/// them, in order, until --count records, --timeout, a closed stdout (exit 0) or SIGINT/SIGTERM
/// (exit 0; the output ends with a whole line). NS: the changes inside that named namespace (exit 3
/// if it does not exist); --all-namespaces: this namespace and every named one, including those
/// created after the monitor started (a "netns" record says when one is followed, from then on its
/// changes are seen, and when one goes). The kernel sends a change once to every listener: a
/// reader too slow for a burst makes it drop notifications, which the monitor reports on stderr.
/// -o text prints lines like ip monitor label.
#[derive(Debug, clap::Args)]
pub struct Monitor {
    /// A named namespace to watch instead of the current one.
    #[arg(conflicts_with = "all_namespaces")]
    pub netns: Option<String>,
    /// Follow this namespace and every named namespace, also those created later.
    #[arg(long, short = 'a')]
    pub all_namespaces: bool,
    /// Only these kinds (comma-separated): link, addr, route, neigh, fdb, netns. Default: all.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub kind: Vec<Kind>,
    /// Only changes of these interfaces (comma-separated, or the flag repeated).
    #[arg(long = "dev", value_name = "IF", value_delimiter = ',')]
    pub interfaces: Vec<String>,
    #[command(flatten)]
    pub stream: StreamArgs,
}

impl Verb for Monitor {
    type Ctx = NsCtx;
    type Output = Streamed<Change>;

    fn run(self, _ctx: &mut NsCtx, _journal: &mut Journal) -> Result<Streamed<Change>> {
        if let Some(ns) = &self.netns {
            validate_netns_name(ns)?;
        }
        monitor::check_interfaces(&self.interfaces)?;
        let all = [
            Kind::Link,
            Kind::Addr,
            Kind::Route,
            Kind::Neigh,
            Kind::Fdb,
            Kind::Netns,
        ];
        let kinds = monitor::kinds(&self.kind, &all);
        if kinds == [Kind::Netns] && !self.all_namespaces {
            return Err(Error::invalid("--kind netns needs --all-namespaces"));
        }
        let which = if self.all_namespaces {
            Namespaces::All
        } else {
            Namespaces::One(self.netns.clone())
        };
        let filter = Filter {
            kinds,
            interfaces: self.interfaces,
            bridges_only: false,
        };
        let mut stream = Stream::start(&self.stream);
        monitor::run("vnet-ns", which, filter, &mut stream)?;
        Ok(Streamed::new(stream.printed))
    }
}
