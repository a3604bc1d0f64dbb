//! vnet-net: libvirt virtual networks as `virsh net-*` manages them, with JSON output.
//! `run` dispatches one parsed command line (or a `--batch` of them over one connection).

pub mod cli;
pub mod doctor;
pub mod leases;
pub mod nets;
pub mod spec;
pub mod table;
pub mod xml;

use clap::Parser;
use cli::{Cli, Verb};
use std::process::ExitCode;
use virt::connect::Connect;
use vnet_common::cli::usage_error;
use vnet_common::output::Format;
use vnet_common::{Error, ErrorKind, Outcome, Result};

pub const TOOL: &str = "vnet-net";

/// One libvirt connection, opened on first use and shared by every command of a batch.
pub struct Session {
    uri: Option<String>,
    conn: Option<Connect>,
}

impl Session {
    pub fn new(uri: Option<String>) -> Session {
        Session { uri, conn: None }
    }

    pub fn conn(&mut self) -> Result<&Connect> {
        if self.conn.is_none() {
            self.conn = Some(vnet_common::libvirt::connect(self.uri.as_deref())?);
        }
        Ok(self.conn.as_ref().expect("just opened"))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = conn.close();
        }
    }
}

/// The whole tool: one verb, or `--batch` lines over one connection.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let mut session = Session::new(cli.connect.clone());
    if let Some(source) = &cli.batch.batch {
        if cli.command.is_some() {
            return Err(usage("--batch takes its commands from the file, not a verb"));
        }
        let printer = cli.output.printer(Format::Json);
        return vnet_common::batch::run_batch(TOOL, source, cli.batch.force, printer, |words| {
            let line = Cli::try_parse_from(std::iter::once(TOOL.to_string()).chain(words))
                .map_err(|e| usage_error(TOOL, &e))?;
            if line.batch.batch.is_some() {
                return Err(usage("--batch cannot be nested"));
            }
            if line.connect.is_some() && line.connect != cli.connect {
                return Err(usage("-c/--connect is given once, for the whole batch"));
            }
            let verb = line.command.ok_or_else(|| usage("missing verb"))?;
            execute(&mut session, verb)
        });
    }
    let verb = cli.command.ok_or_else(|| usage("missing verb"))?;
    let default_format = match verb {
        Verb::Dumpxml(_) => Format::Text,
        _ => Format::Json,
    };
    let printer = cli.output.printer(default_format);
    let outcome = execute(&mut session, verb)?;
    printer.print(&outcome);
    Ok(ExitCode::SUCCESS)
}

fn usage(message: &str) -> Error {
    Error::new(ErrorKind::Usage, message).with_hint(format!("see '{TOOL} --help'"))
}

/// Runs one verb. Inputs are checked before connecting, so bad input is exit 7 even when the
/// daemon is down.
pub fn execute(session: &mut Session, verb: Verb) -> Result<Outcome> {
    if let Some(name) = verb_name(&verb) {
        spec::validate_name(name)?;
    }
    if let Verb::DhcpLeases(cli::LeasesArgs { mac: Some(mac), .. }) = &verb {
        leases::validate_mac(mac)?;
    }
    match verb {
        Verb::List(args) => nets::list(session.conn()?, &args),
        Verb::Define(args) => {
            let request = nets::Request::from_args(&args.definition)?;
            nets::define(session.conn()?, &args, request)
        }
        Verb::Create(args) => {
            let request = nets::Request::from_args(&args.definition)?;
            nets::create(session.conn()?, &args, request)
        }
        Verb::Start(args) => nets::start(session.conn()?, &args),
        Verb::Destroy(args) => nets::destroy(session.conn()?, &args),
        Verb::Undefine(args) => nets::undefine(session.conn()?, &args),
        Verb::Autostart(args) => nets::autostart(session.conn()?, &args),
        Verb::Dumpxml(args) => nets::dumpxml(session.conn()?, &args),
        Verb::Info(args) => nets::info(session.conn()?, &args.name),
        Verb::DhcpLeases(args) => leases::dhcp_leases(session.conn()?, &args),
        Verb::Doctor => Ok(doctor::doctor(session)),
    }
}

/// The network a verb names, if any.
fn verb_name(verb: &Verb) -> Option<&str> {
    match verb {
        Verb::Start(a) => Some(&a.name),
        Verb::Destroy(a) | Verb::Undefine(a) => Some(&a.name),
        Verb::Autostart(a) => Some(&a.name),
        Verb::Dumpxml(a) => Some(&a.name),
        Verb::Info(a) => Some(&a.name),
        Verb::DhcpLeases(a) => Some(&a.name),
        Verb::List(_) | Verb::Define(_) | Verb::Create(_) | Verb::Doctor => None,
    }
}
