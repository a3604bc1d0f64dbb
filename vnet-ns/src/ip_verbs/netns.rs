//! `netns add|del|delete|list|exec|identify|pids|set|attach|list-id`: ip netns's own spelling as
//! a drop-in (a script's `ip netns add X` is `vnet-ns netns add X`). Each verb is the short verb
//! of the same name (the same code, result and schema), with ip's semantics where vnet-ns's short
//! verb differs: `netns add` leaves lo down, as ip does; `netns exec` also takes --all (ip -all
//! netns exec) and prints a list of runs. `set` and `list-id` are ip's only.

use crate::exec::Ran;
use crate::NsCtx;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::error::quote;
use vnet_common::netlink::RouteSocket;
use vnet_common::{netns, Context, Error, ErrorKind, Journal, Render, Result, Verb};

vnet_common::verbs! {
    pub enum NetnsVerb for NsCtx {
        /// Create a namespace, its lo left down as ip leaves it (ip netns add).
        Add(NetnsAdd),
        /// Delete namespaces, or --all of them (ip netns delete, ip -all netns delete).
        #[command(visible_alias = "del")]
        Delete(crate::namespaces::Delete),
        /// List named namespaces (ip netns list; as vnet-ns list).
        #[command(visible_alias = "ls")]
        List(crate::namespaces::List),
        /// Run a command inside a namespace, or in --all of them in turn (ip netns exec, ip
        /// -all netns exec).
        Exec(NetnsExec),
        /// Name the namespace a process is in (ip netns identify; as vnet-ns identify).
        Identify(crate::procs::Identify),
        /// List the processes inside a namespace (ip netns pids; as vnet-ns pids).
        Pids(crate::procs::Pids),
        /// Give a namespace an id here (ip netns set NAME NSID).
        Set(Set),
        /// Name the namespace of a process (ip netns attach; as vnet-ns attach).
        Attach(crate::namespaces::Attach),
        /// List the namespace ids assigned here (ip netns list-id).
        ListId(ListId),
    }
}

/// Give namespace NAME the id NSID in the current namespace (or -n NS), as ip netns set: the id
/// other namespaces' links are reported with (link-netnsid) and `ip netns list-id` lists.
///
/// NSID is a number 0..2147483647 or auto (the kernel picks the lowest free one). Refused before
/// anything changes: a bad name or id (exit 7), a missing namespace (exit 3), a namespace that
/// has another id already or an id another namespace has (exit 4: the kernel never changes or
/// takes back an id). A namespace that already has this id: "changed": false. Not undone by
/// --batch --atomic (the kernel cannot take an id back).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Set {
    /// The namespace.
    pub name: String,
    /// The id: a number 0..2147483647, or auto.
    #[arg(value_name = "NSID", value_parser = nsid)]
    pub nsid: Nsid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nsid {
    Auto,
    Id(i32),
}

fn nsid(text: &str) -> Result<Nsid> {
    if text == "auto" {
        return Ok(Nsid::Auto);
    }
    match text.parse::<i32>() {
        Ok(id) if id >= 0 => Ok(Nsid::Id(id)),
        _ => Err(Error::invalid(format!(
            "invalid nsid {}: a number 0..2147483647 or auto",
            quote(text)
        ))),
    }
}

/// The id a namespace has after set.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NsidSet {
    pub name: String,
    /// The id the namespace has here.
    pub nsid: i32,
    /// The -n namespace the id is of, null for the current one.
    pub netns: Option<String>,
    pub changed: bool,
}

impl Render for NsidSet {}

impl Verb for Set {
    type Ctx = NsCtx;
    type Output = NsidSet;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<NsidSet> {
        let name = &self.name;
        let what = format!("set namespace '{name}' id");
        let file = netns::open(name)?;
        let mut socket = RouteSocket::open(ctx.netns.as_deref())?;
        let current = socket.nsid(&file).map_err(|e| e.context(&what))?;
        let done = |nsid, changed| NsidSet {
            name: name.clone(),
            nsid,
            netns: ctx.netns.clone(),
            changed,
        };
        match (current, self.nsid) {
            (Some(have), Nsid::Auto) => return Ok(done(have, false)),
            (Some(have), Nsid::Id(want)) if have == want => return Ok(done(have, false)),
            (Some(have), Nsid::Id(want)) => {
                return Err(Error::exists(format!(
                    "{what} {want}: it has id {have} already (the kernel does not change an id)"
                )))
            }
            (None, _) => {}
        }
        let wanted = match self.nsid {
            Nsid::Auto => -1,
            Nsid::Id(id) => id,
        };
        socket.set_nsid(&file, wanted).map_err(|e| match e.kind {
            ErrorKind::Exists => Error::exists(format!("{what} {wanted}: another namespace has that id")),
            _ => e.context(format!("{what} {wanted}")),
        })?;
        journal.irreversible(format!("{what} {wanted}"))?;
        let nsid = socket.nsid(&file)?.unwrap_or(wanted);
        Ok(done(nsid, true))
    }
}

/// List the ids the current namespace (or -n NS) has given other namespaces, each with the name
/// of the named namespace it is (null for an unnamed one), as ip netns list-id; -o text prints
/// ip's lines.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct ListId {}

/// One namespace id, with ip -j netns list-id's field names.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NsidEntry {
    pub nsid: i32,
    /// The named namespace (/run/netns/NAME) with this id; null when none is.
    pub name: Option<String>,
}

/// The ids `netns list-id` lists.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct NsidEntries(pub Vec<NsidEntry>);

impl Render for NsidEntries {
    fn text(&self, _: vnet_common::TextStyle) -> String {
        let line = |e: &NsidEntry| match &e.name {
            Some(name) => format!("nsid {} (iproute2 netns name: {name})\n", e.nsid),
            // ip prints "nsid %u " and then the name, if any: the space stays without one.
            None => format!("nsid {} \n", e.nsid),
        };
        self.0.iter().map(line).collect()
    }
}

/// The named namespaces by the id `socket`'s namespace has given them.
fn names_by_id(socket: &mut RouteSocket) -> Result<std::collections::HashMap<i32, String>> {
    let mut names = std::collections::HashMap::new();
    let Ok(dir) = std::fs::read_dir(netns::NETNS_RUN_DIR) else {
        return Ok(names);
    };
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // A stale entry or one vnet-ns cannot name has no id to report.
        let Ok(file) = netns::open(&name) else { continue };
        if let Some(id) = socket.nsid(&file).unwrap_or(None) {
            names.insert(id, name);
        }
    }
    Ok(names)
}

impl Verb for ListId {
    type Ctx = NsCtx;
    type Output = NsidEntries;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<NsidEntries> {
        let mut socket = RouteSocket::open(ctx.netns.as_deref())?;
        let ids = socket.nsids().map_err(|e| e.context("list namespace ids"))?;
        let mut names = names_by_id(&mut socket)?;
        Ok(NsidEntries(
            ids.into_iter()
                .map(|nsid| NsidEntry {
                    nsid,
                    name: names.remove(&nsid),
                })
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    #[test]
    fn ip_netns_spellings_parse_to_the_short_verbs() {
        // The same Args as the short verb's, under the netns set.
        let same = |long: &str, short: &str| {
            let long = format!("{:?}", parse_line(long).unwrap());
            let short = format!("{:?}", parse_line(short).unwrap());
            assert_eq!(long, format!("Netns({short})"));
        };
        same("netns del Blue", "delete Blue");
        same("netns delete Blue --missing-ok", "del Blue --if-exists");
        same("netns list", "list");
        // add and exec: ip's semantics (lo down; --all), in Args of their own.
        match parse_line("netns add Blue").unwrap() {
            NsVerb::Netns(NetnsVerb::Add(add)) => assert_eq!(add.add.name, "Blue"),
            other => panic!("{other:?}"),
        }
        match parse_line("netns exec Blue ls -p -o x").unwrap() {
            NsVerb::Netns(NetnsVerb::Exec(exec)) => {
                assert!(!exec.all);
                assert_eq!(exec.words, ["Blue", "ls", "-p", "-o", "x"]);
            }
            other => panic!("{other:?}"),
        }
        // ip's -all, moved after the command by the ip grammar.
        match parse_line("-all netns exec ip -j link").unwrap() {
            NsVerb::Netns(NetnsVerb::Exec(exec)) => assert!(exec.all && exec.words == ["ip", "-j", "link"]),
            other => panic!("{other:?}"),
        }
        match parse_line("--all netns del").unwrap() {
            NsVerb::Netns(NetnsVerb::Delete(delete)) => assert!(delete.all && delete.names.is_empty()),
            other => panic!("{other:?}"),
        }
        same("netns pids Blue", "pids Blue");
        same("netns attach Blue 1", "attach Blue 1");
        assert!(matches!(
            parse_line("netns ls").unwrap(),
            NsVerb::Netns(NetnsVerb::List(_))
        ));
        match parse_line("netns set Blue 5").unwrap() {
            NsVerb::Netns(NetnsVerb::Set(set)) => assert_eq!(set.nsid, Nsid::Id(5)),
            other => panic!("{other:?}"),
        }
        match parse_line("netns set Blue auto").unwrap() {
            NsVerb::Netns(NetnsVerb::Set(set)) => assert_eq!(set.nsid, Nsid::Auto),
            other => panic!("{other:?}"),
        }
        for bad in [
            "netns set Blue -1",
            "netns set Blue x",
            "netns set Blue 2147483648",
        ] {
            let e = parse_line(bad).unwrap_err();
            assert!(matches!(e.exit_code(), 7 | 2), "{bad}: {}", e.message);
        }
        assert_eq!(parse_line("netns set Blue x").unwrap_err().exit_code(), 7);
    }
}

/// Create a namespace as `ip netns add` does: lo stays down (vnet-ns add brings it up).
#[derive(Debug, clap::Args)]
pub struct NetnsAdd {
    #[command(flatten)]
    pub add: crate::namespaces::Add,
}

impl Verb for NetnsAdd {
    type Ctx = NsCtx;
    type Output = crate::namespaces::Added;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<crate::namespaces::Added> {
        let add = crate::namespaces::Add {
            no_lo: true,
            ..self.add
        };
        add.run(ctx, journal)
    }
}

/// Run a command inside namespace NAME (ip netns exec NAME CMD...), or with --all in every named
/// namespace in turn (ip -all netns exec CMD...).
///
/// Without --all and outside --batch, vnet-ns becomes the command (its exit status is vnet-ns's).
/// With --all, as ip: each namespace in /run/netns order gets a line "netns: NAME" on stdout
/// (after an empty one) and then the command's own output; a command that fails does not stop
/// the others, its status is in the run's record, and the exit status is 0.
#[derive(Debug, clap::Args)]
pub struct NetnsExec {
    /// Run in every named namespace.
    #[arg(long)]
    pub all: bool,
    /// NAME and then the command with its arguments (with --all: only the command).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "NAME CMD"
    )]
    pub words: Vec<String>,
}

/// The commands run.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Runs {
    pub runs: Vec<Ran>,
}

impl Render for Runs {}

impl Verb for NetnsExec {
    type Ctx = NsCtx;
    type Output = Runs;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Runs> {
        if !self.all {
            let [name, command @ ..] = self.words.as_slice() else {
                unreachable!("clap requires words")
            };
            if command.is_empty() {
                return Err(super::usage("netns exec", "no command to run: give NAME CMD..."));
            }
            let exec = crate::exec::Exec {
                name: name.clone(),
                command: command.to_vec(),
            };
            return Ok(Runs {
                runs: vec![exec.run(ctx, journal)?],
            });
        }
        let argv = crate::exec::to_cstrings(&self.words)?;
        let mut runs = vec![];
        for name in crate::namespaces::names_in_run_dir()? {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "\nnetns: {name}")
                .and_then(|_| out.flush())
                .context("write to stdout")?;
            drop(out);
            let status = crate::exec::run_in_child(&name, &self.words[0], &argv)?;
            runs.push(Ran {
                name,
                command: self.words.clone(),
                status,
            });
        }
        Ok(Runs { runs })
    }
}
