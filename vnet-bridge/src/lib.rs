//! vnet-bridge: brctl's verbs over rtnetlink (no brctl, no ioctl), JSON by default and brctl's
//! text layout with `-o text`, `-n NAME` to act in a named namespace, `--batch` over one
//! netlink connection, and `addif --move-addresses` to put a NIC on a bridge safely.

pub mod cli;
mod manage;
mod model;
mod moveaddr;
mod show;
mod stp;

use clap::Parser;
use cli::{Cli, Verb};
use std::process::ExitCode;
use vnet_common::batch::run_batch;
use vnet_common::cli::usage_error;
use vnet_common::netlink::Netlink;
use vnet_common::{Error, ErrorKind, Outcome, Result};

pub const TOOL: &str = "vnet-bridge";

pub fn run(cli: Cli) -> Result<ExitCode> {
    let printer = cli.output.printer();
    let mut netlink = Netlink::new()?;
    if let Some(source) = &cli.batch.batch {
        if cli.verb.is_some() {
            return Err(usage("--batch takes no verb: put the commands in the file"));
        }
        let outer_netns = cli.netns.clone();
        return run_batch(TOOL, source, cli.batch.force, printer, |words| {
            let line = Cli::try_parse_from(std::iter::once(TOOL.to_string()).chain(words))
                .map_err(|e| usage_error(TOOL, &e))?;
            if line.batch.batch.is_some() {
                return Err(usage("--batch cannot be nested"));
            }
            let verb = line
                .verb
                .ok_or_else(|| usage("a verb is required on every batch line"))?;
            let netns = line.netns.or_else(|| outer_netns.clone());
            execute(&mut netlink, netns.as_deref(), verb)
        });
    }
    let verb = cli
        .verb
        .ok_or_else(|| usage("a verb is required (addbr, delbr, addif, delif, show, ...)"))?;
    let outcome = execute(&mut netlink, cli.netns.as_deref(), verb)?;
    printer.print(&outcome);
    Ok(ExitCode::SUCCESS)
}

fn usage(message: &str) -> Error {
    Error::new(ErrorKind::Usage, message).with_hint(format!("see '{TOOL} --help'"))
}

/// Runs one verb over the shared netlink connection (one per namespace touched).
pub fn execute(netlink: &mut Netlink, ns: Option<&str>, verb: Verb) -> Result<Outcome> {
    let handle = netlink.handle(ns)?;
    let h = &handle;
    netlink.run(async move {
        match &verb {
            Verb::Addbr {
                bridge,
                exist_ok,
                addrs,
                up,
            } => {
                let req = manage::Addbr {
                    name: bridge,
                    exist_ok: *exist_ok,
                    addrs,
                    up: *up,
                };
                manage::addbr(h, req).await
            }
            Verb::Delbr {
                bridge,
                missing_ok,
                force,
            } => manage::delbr(h, ns, bridge, *missing_ok, *force).await,
            Verb::Addif {
                bridge,
                interfaces,
                force,
                move_addresses,
            } => {
                let req = manage::Addif {
                    bridge,
                    interfaces,
                    force: *force,
                    move_addresses: *move_addresses,
                };
                manage::addif(h, ns, req).await
            }
            Verb::Delif {
                bridge,
                interfaces,
                missing_ok,
            } => manage::delif(h, ns, bridge, interfaces, *missing_ok).await,
            Verb::Show { bridges } => show::show(h, ns, bridges).await,
            Verb::Showmacs { bridge } => show::showmacs(h, ns, bridge).await,
            Verb::Showstp { bridge } => show::showstp(h, ns, bridge).await,
            Verb::Stp { bridge, state } => stp::stp(h, ns, bridge, state).await,
            Verb::Setageing { bridge, seconds } => stp::set_timer(h, ns, stp::AGEING, bridge, seconds).await,
            Verb::Setfd { bridge, seconds } => {
                stp::set_timer(h, ns, stp::FORWARD_DELAY, bridge, seconds).await
            }
            Verb::Sethello { bridge, seconds } => stp::set_timer(h, ns, stp::HELLO, bridge, seconds).await,
            Verb::Setmaxage { bridge, seconds } => stp::set_timer(h, ns, stp::MAX_AGE, bridge, seconds).await,
            Verb::Setbridgeprio { bridge, priority } => stp::setbridgeprio(h, ns, bridge, priority).await,
            Verb::Setpathcost { bridge, port, cost } => stp::setpathcost(h, ns, bridge, port, cost).await,
            Verb::Setportprio {
                bridge,
                port,
                priority,
            } => stp::setportprio(h, ns, bridge, port, priority).await,
            Verb::Hairpin { bridge, port, state } => stp::hairpin(h, ns, bridge, port, state).await,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn man_page_is_current() {
        let page = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../man/vnet-bridge.1"));
        vnet_common::man::assert_current(Cli::command(), page);
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_brctl_argument_order() {
        let cli = Cli::try_parse_from(["vnet-bridge", "-n", "Blue", "addif", "br0", "eth0", "eth1"]).unwrap();
        assert_eq!(cli.netns.as_deref(), Some("Blue"));
        match cli.verb.unwrap() {
            Verb::Addif {
                bridge, interfaces, ..
            } => {
                assert_eq!(bridge, "br0");
                assert_eq!(interfaces, ["eth0", "eth1"]);
            }
            other => panic!("{other:?}"),
        }
        let cli = Cli::try_parse_from(["vnet-bridge", "delbr", "--force", "br0", "-o", "text"]).unwrap();
        assert!(matches!(cli.verb, Some(Verb::Delbr { force: true, .. })));
        assert!(Cli::try_parse_from(["vnet-bridge", "addif", "br0"]).is_err());
        assert!(Cli::try_parse_from(["vnet-bridge", "--batch", "-", "--force"]).is_ok());
    }
}
