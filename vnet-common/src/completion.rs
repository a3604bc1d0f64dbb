//! Shell completion from the clap definitions (clap_complete's dynamic completion): the binary
//! itself answers. The shell's registration script (committed under completions/, installed by
//! `make install` and the packages) calls `VNET_COMPLETE=bash vnet-ns -- WORDS...`, and
//! [`run_main`](crate::cli::run_main) answers that before parsing anything, so flags, verbs and
//! aliases always match the parser, and live names (namespaces, bridges, links, networks, domains)
//! come from the machine at the moment the user presses Tab.
//!
//! A tool says which arguments take which live names in [`Tool::completers`](crate::cli::Tool):
//! a rule over the verb and the argument, attached to the command tree here, so a verb added later
//! is covered by the same rule without touching its file.

use clap::{Arg, Command};
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use clap_complete::env::{Bash, CompleteEnv, EnvCompleter, Fish, Shells, Zsh};
use std::ffi::OsStr;
use std::path::Path;

/// The environment variable the registration scripts set to ask for completions.
pub const VAR: &str = "VNET_COMPLETE";

/// The shells a script is committed and installed for, with each script's file name.
pub fn scripts(tool: &str) -> [(&'static dyn EnvCompleter, String); 3] {
    [
        (&Bash, format!("bash/{tool}")),
        (&Zsh, format!("zsh/_{tool}")),
        (&Fish, format!("fish/{tool}.fish")),
    ]
}

/// Where a value's candidates come from.
pub type Names = fn() -> Vec<String>;

/// A tool's rule: for (verb path, argument), the source of live names, if any.
pub type Rule = fn(&[&str], &Arg) -> Option<Names>;

/// Answers a completion request (VNET_COMPLETE set) and exits; otherwise returns at once.
pub fn answer_if_asked(factory: fn() -> Command) {
    match std::env::var_os(VAR) {
        Some(v) if !v.is_empty() && v != "0" => {}
        _ => return,
    }
    let name = factory().get_name().to_string();
    CompleteEnv::with_factory(factory)
        .var(VAR)
        .bin(name.clone())
        .completer(name)
        .shells(Shells(&[&Bash, &Zsh, &Fish]))
        .complete();
}

/// Attaches the tool's live-name completers to every argument its rule names, in every verb.
pub fn attach(command: Command, rule: Rule) -> Command {
    attach_at(command, &[], rule)
}

fn attach_at(command: Command, path: &[String], rule: Rule) -> Command {
    let view: Vec<&str> = path.iter().map(String::as_str).collect();
    command
        .mut_args(|arg| match rule(&view, &arg) {
            Some(names) => arg.add(ArgValueCompleter::new(move |current: &OsStr| {
                candidates(names(), current)
            })),
            None => arg,
        })
        .mut_subcommands(|sub| {
            let mut path = path.to_vec();
            path.push(sub.get_name().to_string());
            attach_at(sub, &path, rule)
        })
}

fn candidates(names: Vec<String>, current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let mut names: Vec<String> = names
        .into_iter()
        .filter(|n| n.starts_with(current.as_ref()))
        .collect();
    names.sort();
    names.dedup();
    names.into_iter().map(CompletionCandidate::new).collect()
}

/// Named network namespaces (/run/netns, as `ip netns list` reads them).
pub fn namespaces() -> Vec<String> {
    dir_names(Path::new("/run/netns"))
}

/// Links of the caller's namespace (/sys/class/net).
pub fn links() -> Vec<String> {
    dir_names(Path::new("/sys/class/net"))
}

/// Bridges of the caller's namespace (links with a bridge/ directory in sysfs).
pub fn bridges() -> Vec<String> {
    links()
        .into_iter()
        .filter(|l| Path::new("/sys/class/net").join(l).join("bridge").is_dir())
        .collect()
}

fn dir_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// True for a positional argument or an option whose id is one of `ids`.
pub fn is(arg: &Arg, ids: &[&str]) -> bool {
    ids.contains(&arg.get_id().as_str())
}

/// The registration script of one shell, as committed and installed.
pub fn registration(tool: &str, shell: &dyn EnvCompleter) -> Vec<u8> {
    let mut script = Vec::new();
    shell
        .write_registration(VAR, tool, tool, tool, &mut script)
        .expect("writing to a Vec");
    script
}

/// For each tool's `completions_are_current` test: panics when a committed script is stale;
/// with VNET_UPDATE_COMPLETIONS=1 (or VNET_UPDATE_MAN=1) rewrites them instead.
pub fn assert_current(tool: &str, dir: &Path) {
    let update = std::env::var_os("VNET_UPDATE_COMPLETIONS").is_some()
        || std::env::var_os("VNET_UPDATE_MAN").is_some();
    for (shell, file) in scripts(tool) {
        let path = dir.join(file);
        let fresh = registration(tool, shell);
        if update {
            std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
            std::fs::write(&path, &fresh).expect("write the completion script");
            continue;
        }
        match std::fs::read(&path) {
            Ok(committed) if committed == fresh => {}
            _ => panic!(
                "{} is stale or missing: regenerate with VNET_UPDATE_COMPLETIONS=1 cargo test completions",
                path.display()
            ),
        }
    }
}

/// Completes `words` (the first is the program) with the cursor on the last one, as the shell
/// registration does: for unit tests of a tool's rule.
pub fn complete_words(command: Command, words: &[&str]) -> Vec<String> {
    let mut command = command;
    let args: Vec<std::ffi::OsString> = words.iter().map(Into::into).collect();
    let index = args.len() - 1;
    clap_complete::engine::complete(&mut command, args, index, None)
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.get_value().to_string_lossy().into_owned())
        .collect()
}

/// Names of libvirt objects on the default connection (LIBVIRT_DEFAULT_URI, else libvirt's
/// default): what Tab offers for networks, domains, pools and volumes. Any failure offers nothing.
#[cfg(feature = "libvirt")]
pub mod libvirt {
    use virt::connect::Connect;

    /// Through a [`crate::libvirt::Session`] like every verb's, so VNET_TIMEOUT (default 30 s)
    /// bounds a daemon that does not answer.
    fn with_conn(list: impl FnOnce(&Connect) -> Vec<String>) -> Vec<String> {
        let mut session = crate::libvirt::Session::new(&Default::default(), false);
        session.conn().map(list).unwrap_or_default()
    }

    /// Every network, active or not.
    pub fn networks() -> Vec<String> {
        with_conn(|c| {
            c.list_all_networks(0)
                .map(|l| l.iter().filter_map(|n| n.get_name().ok()).collect())
                .unwrap_or_default()
        })
    }

    /// Every domain, running or not.
    pub fn domains() -> Vec<String> {
        with_conn(|c| {
            c.list_all_domains(0)
                .map(|l| l.iter().filter_map(|d| d.get_name().ok()).collect())
                .unwrap_or_default()
        })
    }

    /// Every storage pool.
    pub fn pools() -> Vec<String> {
        with_conn(|c| {
            c.list_all_storage_pools(0)
                .map(|l| l.iter().filter_map(|p| p.get_name().ok()).collect())
                .unwrap_or_default()
        })
    }

    /// Every volume of every active pool.
    pub fn volumes() -> Vec<String> {
        with_conn(|c| {
            let pools = c.list_all_storage_pools(0).unwrap_or_default();
            pools
                .iter()
                .flat_map(|p| {
                    p.list_all_volumes(0)
                        .map(|v| v.iter().filter_map(|v| v.get_name().ok()).collect())
                        .unwrap_or_else(|_| Vec::new())
                })
                .collect()
        })
    }
}
