//! exec: run a command inside a namespace with iproute2's exact sequence (lib/namespace.c
//! netns_switch), so programs see the namespace's /sys and its /etc/netns/NAME overrides.

use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::statvfs::{statvfs, FsFlags};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{execvp, fork, ForkResult};
use serde_json::json;
use std::ffi::CString;
use std::process::ExitCode;
use vnet_common::{netns, Context, Error, Outcome, Result};

/// Switches this process into the namespace and replaces it with the command; returns only on
/// failure. The process must be single-threaded (unshare(CLONE_NEWNS) requires it).
/// A command that cannot start is reported here and gives the shell's status (126 or 127).
pub fn exec(name: &str, command: &[String]) -> Result<ExitCode> {
    let argv = to_cstrings(command)?;
    enter_fully(name)?;
    let errno = execvp(&argv[0], &argv).unwrap_err();
    vnet_common::cli::report_error("vnet-ns", &exec_error(&command[0], errno));
    Ok(ExitCode::from(exit_status_for(errno) as u8))
}

/// For --batch: runs the command in a child process and reports its status, like `ip -batch`.
pub fn exec_in_child(name: &str, command: &[String]) -> Result<Outcome> {
    let argv = to_cstrings(command)?;
    netns::open(name)?; // report a missing namespace as such, before forking
                        // SAFETY: the batch runner is single-threaded (current-thread runtime), so the child may do
                        // anything until execvp; it only calls async-signal-safe-enough syscalls and then exits.
    match unsafe { fork() }.context("fork")? {
        ForkResult::Child => {
            let code = match enter_fully(name) {
                Ok(()) => {
                    let errno = execvp(&argv[0], &argv).unwrap_err();
                    let error = exec_error(&command[0], errno);
                    vnet_common::cli::report_error("vnet-ns", &error);
                    exit_status_for(errno)
                }
                Err(e) => {
                    vnet_common::cli::report_error("vnet-ns", &e);
                    e.exit_code() as i32
                }
            };
            std::process::exit(code);
        }
        ForkResult::Parent { child } => {
            let status = match waitpid(child, None).context("wait for the command")? {
                WaitStatus::Exited(_, code) => code,
                WaitStatus::Signaled(_, signal, _) => 128 + signal as i32,
                _ => 1,
            };
            let json = json!({"name": name, "command": command, "status": status});
            if status != 0 {
                return Err(Error::failed(format!("command exited with status {status}")));
            }
            Ok(Outcome::quiet(json))
        }
    }
}

fn to_cstrings(command: &[String]) -> Result<Vec<CString>> {
    command
        .iter()
        .map(|a| {
            CString::new(a.as_bytes()).map_err(|_| Error::invalid(format!("argument {a:?} contains NUL")))
        })
        .collect()
}

/// Shell-like statuses for a command that could not start: 127 not found, 126 otherwise.
fn exit_status_for(errno: Errno) -> i32 {
    if errno == Errno::ENOENT {
        127
    } else {
        126
    }
}

fn exec_error(program: &str, errno: Errno) -> Error {
    Error::from(errno).context(format!("exec '{program}'"))
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
            eprintln!(
                "vnet-ns: warning: bind {} -> {} failed: {e}",
                source.display(),
                target.display()
            );
        }
    }
}
