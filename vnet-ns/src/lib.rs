//! vnet-ns: named network namespaces and veth pairs, shared with `ip netns`.

pub mod cli;
pub mod exec;
pub mod iface;
pub mod namespaces;
pub mod procs;
pub mod veth;

use clap::Parser;
use cli::{Cli, Verb};
use std::process::ExitCode;
use vnet_common::batch::run_batch;
use vnet_common::cli::usage_error;
use vnet_common::netlink::Netlink;
use vnet_common::{Error, ErrorKind, Outcome, Result};

pub const TOOL: &str = "vnet-ns";

pub fn run(cli: Cli) -> Result<ExitCode> {
    let printer = cli.output.printer();
    if let Some(source) = &cli.batch.batch {
        if cli.command.is_some() {
            return Err(usage(
                "--batch takes its commands from the file, not the command line",
            ));
        }
        let mut netlink = Netlink::new()?;
        return run_batch(TOOL, source, cli.batch.force, printer, |words| {
            let verb = parse_batch_line(words)?;
            run_verb(&mut netlink, verb, true)
        });
    }
    let verb = cli.command.ok_or_else(|| usage("no verb given"))?;
    match &verb {
        // Before anything else: exec needs a single-threaded process with no runtime.
        Verb::Exec { name, command } => return exec::exec(name, command),
        // The one-shot listing needs no async runtime either (see NsidQuery).
        Verb::List => {
            printer.print(&namespaces::list()?);
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let mut netlink = Netlink::new()?;
    printer.print(&run_verb(&mut netlink, verb, false)?);
    Ok(ExitCode::SUCCESS)
}

fn usage(message: &str) -> Error {
    Error::new(ErrorKind::Usage, message).with_hint(format!("see '{TOOL} --help'"))
}

fn parse_batch_line(words: Vec<String>) -> Result<Verb> {
    let line = Cli::try_parse_from(std::iter::once(TOOL.to_string()).chain(words))
        .map_err(|e| usage_error(TOOL, &e))?;
    if line.batch.batch.is_some() {
        return Err(usage("--batch cannot be nested"));
    }
    line.command.ok_or_else(|| usage("no verb given"))
}

/// Runs one verb over the shared netlink handles. `in_batch`: exec runs in a child process.
pub fn run_verb(netlink: &mut Netlink, verb: Verb, in_batch: bool) -> Result<Outcome> {
    match verb {
        Verb::Add {
            name,
            exist_ok,
            no_lo,
        } => namespaces::add(netlink, &name, exist_ok, no_lo),
        Verb::Delete { names, missing_ok } => namespaces::delete(&names, missing_ok),
        Verb::List => namespaces::list(),
        Verb::Exec { name, command } if in_batch => exec::exec_in_child(&name, &command),
        Verb::Exec { .. } => Err(usage("exec runs on its own, not through run_verb")),
        Verb::Identify { pid } => procs::identify(pid),
        Verb::Pids { name } => procs::pids(&name),
        Verb::Show { name } => iface::show(netlink, &name),
        Verb::Link { name, iface, state } => iface::set_link(netlink, &name, &iface, state),
        Verb::Addr {
            name,
            iface,
            cidr,
            del,
        } => iface::addr(netlink, &name, &iface, &cidr, del),
        Verb::Veth {
            name,
            peer,
            netns,
            peer_netns,
            addrs,
            peer_addrs,
            mtu,
            master,
            no_up,
            exist_ok,
        } => {
            let spec = veth::VethSpec::parse(veth::VethArgs {
                name: &name,
                peer: &peer,
                netns: netns.as_deref(),
                peer_netns: peer_netns.as_deref(),
                addrs: &addrs,
                peer_addrs: &peer_addrs,
                mtu,
                master: master.as_deref(),
                no_up,
                exist_ok,
            })?;
            veth::veth(netlink, &spec)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn man_page_is_current() {
        let page = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../man/vnet-ns.1"));
        vnet_common::man::assert_current(Cli::command(), page);
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn exec_keeps_the_commands_own_flags() {
        let cli = Cli::try_parse_from(["vnet-ns", "exec", "Blue", "ls", "-p", "-o", "x"]).unwrap();
        match cli.command {
            Some(Verb::Exec { name, command }) => {
                assert_eq!(name, "Blue");
                assert_eq!(command, ["ls", "-p", "-o", "x"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn seed_veth_form_parses() {
        let cli = Cli::try_parse_from([
            "vnet-ns",
            "veth",
            "vetha",
            "vethb",
            "--peer-netns",
            "Blue",
            "--addr",
            "192.168.100.1/24",
            "--peer-addr",
            "192.168.100.2/24",
        ])
        .unwrap();
        assert!(matches!(cli.command, Some(Verb::Veth { .. })));
    }

    #[test]
    fn bad_mtu_is_a_usage_error() {
        assert!(Cli::try_parse_from(["vnet-ns", "veth", "a", "b", "--mtu", "10"]).is_err());
    }

    #[test]
    fn batch_lines_parse_like_the_command_line() {
        let verb = parse_batch_line(vec!["del".into(), "Blue".into(), "--missing-ok".into()]).unwrap();
        assert!(matches!(verb, Verb::Delete { missing_ok: true, .. }));
        assert_eq!(
            parse_batch_line(vec!["frobnicate".into()])
                .unwrap_err()
                .exit_code(),
            2
        );
        assert_eq!(
            parse_batch_line(vec!["--batch".into(), "x".into()])
                .unwrap_err()
                .exit_code(),
            2
        );
    }
}
