//! `monitor`: bridge and port changes and forwarding database changes as NDJSON (bridge monitor).

use crate::Ctx;
use vnet_common::monitor::{self, Change, Filter, Kind, Namespaces};
use vnet_common::stream::{Stream, StreamArgs, Streamed};
use vnet_common::{Journal, Result, Verb};

/// Stream bridge, port and forwarding database changes as NDJSON (bridge monitor link fdb, as
/// JSON).
///
/// stdout is NDJSON: one Change record per kernel notification (its schema is this verb's
/// schema): "link" records for bridges and their ports (the fields of vnet-ns show's interfaces,
/// "master" naming the bridge) and "fdb" records for forwarding database entries (showmacs' field
/// names, "bridge" naming the bridge); printed in the kernel's order until --count records,
/// --timeout, a closed stdout (exit 0) or SIGINT/SIGTERM (exit 0). With -n NS, the changes inside
/// that named namespace. --kind adds addr, route or neigh records. -o text prints lines like
/// ip monitor label.
#[derive(Debug, clap::Args)]
pub struct Monitor {
    /// Only these kinds (comma-separated): link, fdb (the default), addr, route, neigh.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub kind: Vec<Kind>,
    /// Only changes of these interfaces (bridges or ports; comma-separated).
    #[arg(long = "dev", value_name = "IF", value_delimiter = ',')]
    pub interfaces: Vec<String>,
    #[command(flatten)]
    pub stream: StreamArgs,
}

impl Verb for Monitor {
    type Ctx = Ctx;
    type Output = Streamed<Change>;

    fn run(self, ctx: &mut Ctx, _journal: &mut Journal) -> Result<Streamed<Change>> {
        monitor::check_interfaces(&self.interfaces)?;
        let kinds = monitor::kinds(&self.kind, &[Kind::Link, Kind::Fdb]);
        let filter = Filter {
            kinds,
            interfaces: self.interfaces,
            bridges_only: true,
        };
        let which = Namespaces::One(ctx.netns().map(str::to_string));
        let mut stream = Stream::start(&self.stream);
        monitor::run("vnet-bridge", which, filter, &mut stream)?;
        Ok(Streamed::new(stream.printed))
    }
}
