//! vnet-vm: virt-install and the virsh domain verbs over libvirt (the `virt` crate), with JSON output.

pub mod cli;
pub mod console;
pub mod domains;
pub mod iface;
pub mod install;
pub mod location;
pub mod spec;
pub mod storage;
pub mod xml;

use clap::Parser;
use cli::{Cli, GraphicsKind, Verb};
use std::io::IsTerminal;
use std::process::ExitCode;
use virt::connect::Connect;
use vnet_common::cli::usage_error;
use vnet_common::{Error, ErrorKind, Outcome, Result};

const TOOL: &str = "vnet-vm";

pub fn run(cli: Cli) -> Result<ExitCode> {
    let printer = cli.output.printer();
    if let Some(source) = &cli.batch.batch {
        if cli.verb.is_some() {
            return Err(Error::new(
                ErrorKind::Usage,
                "--batch takes its commands from the file, not the command line",
            ));
        }
        let conn = vnet_common::libvirt::connect(cli.connect.as_deref())?;
        return vnet_common::batch::run_batch(TOOL, source, cli.batch.force, printer, |words| {
            let line = Cli::try_parse_from(std::iter::once(TOOL.to_string()).chain(words))
                .map_err(|e| usage_error(TOOL, &e))?;
            match line.verb {
                _ if line.batch.batch.is_some() => {
                    Err(Error::new(ErrorKind::Usage, "--batch cannot be nested"))
                }
                Some(Verb::Console { .. }) => Err(Error::new(
                    ErrorKind::Usage,
                    "console is interactive: not in --batch",
                )),
                Some(verb) => run_verb(&conn, &verb),
                None => Err(Error::new(ErrorKind::Usage, "a verb is needed")),
            }
        });
    }
    let Some(verb) = cli.verb else {
        return Err(Error::new(ErrorKind::Usage, "a verb is needed").with_hint("see 'vnet-vm --help'"));
    };
    let conn = vnet_common::libvirt::connect(cli.connect.as_deref())?;
    if let Verb::Console {
        name,
        force,
        escape,
        linger,
    } = &verb
    {
        console::console(&conn, name, *force, escape, *linger)?;
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = run_verb(&conn, &verb)?;
    printer.print(&outcome);
    if let Verb::Install(args) = &verb {
        let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        let started = outcome.json["changed"] == true;
        if started && interactive && !args.noautoconsole && args.graphics == GraphicsKind::None {
            console::console(&conn, &args.name, false, "^]", 0.0)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_verb(conn: &Connect, verb: &Verb) -> Result<Outcome> {
    match verb {
        Verb::Install(args) => install::install(conn, args),
        Verb::List { all } => domains::list(conn, *all),
        Verb::Start { name } => domains::start(conn, name),
        Verb::Shutdown { name } => domains::shutdown(conn, name),
        Verb::Destroy { name } => domains::destroy(conn, name),
        Verb::Undefine {
            name,
            remove_all_storage,
            missing_ok,
        } => domains::undefine(conn, name, *remove_all_storage, *missing_ok),
        Verb::Dumpxml { name, inactive } => domains::dumpxml(conn, name, *inactive),
        Verb::Domiflist { name } => iface::domiflist(conn, name),
        Verb::Domifaddr { name } => iface::domifaddr(conn, name),
        Verb::Console { .. } => unreachable!("console is handled by run"),
    }
}

/// True when the connection is to this machine (no host in the URI), so local files and sysfs
/// describe what libvirt sees.
pub fn is_local(conn: &Connect) -> bool {
    let uri = conn.get_uri().unwrap_or_default();
    uri.split_once("://")
        .is_none_or(|(_, rest)| rest.is_empty() || rest.starts_with('/'))
}

/// virsh's table layout: a leading space, columns padded and separated by three spaces (the last
/// one unpadded), and a dash line as wide as the columns plus three per column.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            s.push_str(if i == 0 { " " } else { "   " });
            s.push_str(cell);
            if i != last {
                s.push_str(&" ".repeat(widths[i] - cell.chars().count()));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(headers.to_vec());
    out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 3 * widths.len()));
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn man_page_is_current() {
        let page = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../man/vnet-vm.1"));
        vnet_common::man::assert_current(Cli::command(), page);
    }

    #[test]
    fn the_seed_command_line_parses() {
        let cli = Cli::try_parse_from([
            "vnet-vm",
            "install",
            "--name",
            "VM1",
            "--ram",
            "2048",
            "--vcpu",
            "2",
            "--network",
            "network=default",
            "--graphics",
            "none",
            "--os-type",
            "linux",
            "--disk",
            "path=/data/vm-images/vm1.img,size=10",
            "--location",
            "/tmp/ubuntu-14.04.1-server-amd64.iso",
            "--extra-args",
            "console=ttyS0,115200n8 serial",
        ])
        .unwrap();
        let Some(Verb::Install(args)) = cli.verb else {
            panic!("not install")
        };
        assert_eq!(
            (args.name.as_str(), args.memory.as_str(), args.vcpus.as_str()),
            ("VM1", "2048", "2")
        );
        assert_eq!(args.extra_args.as_deref(), Some("console=ttyS0,115200n8 serial"));
    }

    #[test]
    fn tables_look_like_virsh() {
        let t = table(
            &["Id", "Name", "State"],
            &[vec!["-".into(), "longer-name".into(), "shut off".into()]],
        );
        assert_eq!(
            t,
            " Id   Name          State\n------------------------------\n -    longer-name   shut off\n\n"
        );
    }

    #[test]
    fn local_uris() {
        let conn = vnet_common::libvirt::connect(Some("test:///default")).unwrap();
        assert!(is_local(&conn));
    }
}
