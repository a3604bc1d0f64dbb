//! exec: run a command inside a namespace with iproute2's exact sequence (lib/namespace.c
//! netns_switch), so programs see the namespace's /sys and its /etc/netns/NAME overrides.

use crate::NsCtx;
use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::statvfs::{statvfs, FsFlags};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{execvp, fork, ForkResult};
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CString;
use vnet_common::output::{report_error, warn};
use vnet_common::{netns, signals, Context, Error, ErrorKind, Journal, Render, Result, Verb};

/// Run a command inside a namespace (ip netns exec); exits with the command's status.
///
/// Same sequence as iproute2: a private mount namespace, a fresh /sys showing the namespace's
/// interfaces, and /etc/netns/NAME/* bind-mounted over /etc. The command starts with default
/// signal dispositions and an empty signal mask, as from a shell. 126: not executable, 127: not
/// found. In --batch the command runs in a child process and its line records its status.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Exec {
    pub name: String,
    /// The command and its arguments (no shell).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<String>,
}

/// A command run from --batch (outside a batch, exec replaces vnet-ns and prints nothing).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Ran {
    pub name: String,
    pub command: Vec<String>,
    /// The command's exit status.
    pub status: i32,
}

impl Render for Ran {}

impl Verb for Exec {
    type Ctx = NsCtx;
    type Output = Ran;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<Ran> {
        let argv = to_cstrings(&self.command)?;
        if !ctx.batch {
            // Replaces this process; returns only when the command could not start.
            return Err(exec(&self.name, &self.command[0], &argv));
        }
        netns::open(&self.name)?; // a missing namespace is reported as such, before forking
        let status = run_in_child(&self.name, &self.command[0], &argv)?;
        if status != 0 {
            return Err(Error::failed(format!("command exited with status {status}")));
        }
        Ok(Ran {
            name: self.name,
            command: self.command,
            status,
        })
    }
}

/// Switches this process into the namespace and replaces it with the command. The process must
/// be single-threaded (unshare(CLONE_NEWNS) requires it): no netlink runtime was started.
fn exec(name: &str, program: &str, argv: &[CString]) -> Error {
    if let Err(e) = enter_fully(name) {
        return e;
    }
    signals::reset_for_exec();
    let errno = execvp(&argv[0], argv).unwrap_err();
    exec_error(program, errno)
}

pub(crate) fn run_in_child(name: &str, program: &str, argv: &[CString]) -> Result<i32> {
    // SAFETY: the batch runner is single-threaded (current-thread runtime), so the child may do
    // anything until execvp; it only makes syscalls and then exits.
    match unsafe { fork() }.context("fork")? {
        ForkResult::Child => {
            let error = exec(name, program, argv);
            report_error("vnet-ns", &error);
            std::process::exit(error.exit_code() as i32);
        }
        ForkResult::Parent { child } => Ok(match waitpid(child, None).context("wait for the command")? {
            WaitStatus::Exited(_, code) => code,
            WaitStatus::Signaled(_, signal, _) => 128 + signal as i32,
            _ => 1,
        }),
    }
}

pub(crate) fn to_cstrings(command: &[String]) -> Result<Vec<CString>> {
    command
        .iter()
        .map(|a| {
            CString::new(a.as_bytes()).map_err(|_| Error::invalid(format!("argument {a:?} contains NUL")))
        })
        .collect()
}

/// A command that could not start: the shell's status, 127 not found, 126 otherwise (no
/// "run as root" hint: a directory or a file without x is not a permission problem of vnet-ns).
fn exec_error(program: &str, errno: Errno) -> Error {
    let status = if errno == Errno::ENOENT { 127 } else { 126 };
    let why = Error::from(errno).message;
    Error::new(
        ErrorKind::Status(status),
        format!("exec {}: {why}", vnet_common::error::quote(program)),
    )
}

/// netns_switch(): join the network namespace, take a private mount namespace whose mounts do
/// not propagate back, remount /sys for the new namespace, and apply /etc/netns/NAME.
fn enter_fully(name: &str) -> Result<()> {
    let file = netns::open(name)?;
    setns(&file, CloneFlags::CLONE_NEWNET).context(format!("enter namespace '{name}'"))?;
    unshare(CloneFlags::CLONE_NEWNS).context("unshare the mount namespace")?;
    let slave = MsFlags::MS_SLAVE | MsFlags::MS_REC;
    mount::<str, str, str, str>(Some(""), "/", Some("none"), slave, None).context("make / a slave mount")?;
    remount_sys(name)?;
    bind_etc(name);
    Ok(())
}

fn remount_sys(name: &str) -> Result<()> {
    let mut flags = MsFlags::empty();
    if umount2("/sys", MntFlags::MNT_DETACH).is_err() {
        // No sysfs was mounted; keep /sys read-only if its filesystem is, as iproute2 does.
        if statvfs("/sys").is_ok_and(|st| st.flags().contains(FsFlags::ST_RDONLY)) {
            flags |= MsFlags::MS_RDONLY;
        }
    }
    mount::<str, str, str, str>(Some(name), "/sys", Some("sysfs"), flags, None).context("mount a fresh /sys")
}

/// Bind-mounts every /etc/netns/NAME/X over /etc/X; a failed bind is reported and skipped, as ip does.
fn bind_etc(name: &str) {
    let dir = std::path::Path::new("/etc/netns").join(name);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let source = entry.path();
        let target = std::path::Path::new("/etc").join(entry.file_name());
        let bound = mount::<_, _, str, str>(Some(&source), &target, None, MsFlags::MS_BIND, None);
        if let Err(e) = bound {
            let message = format!("bind {} -> {} failed: {e}", source.display(), target.display());
            warn("vnet-ns", &message);
        }
    }
}
