//! The libvirt hook scripts that keep forwards in force: libvirt runs every executable of
//! /etc/libvirt/hooks/daemon.d and network.d (found when libvirtd starts). Both run
//! `vnet-net forward apply`, which only reads the state file and writes iptables: a hook must
//! never call libvirt back (libvirtd waits for it) and never fail (a failing network hook stops
//! the network from starting), so the scripts always exit 0.

use super::{State, STATE_FILE};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const HOOKS: &str = "/etc/libvirt/hooks";
const NAME: &str = "vnet-forward";

/// The daemon hook and the network hook.
pub fn hook_paths() -> [PathBuf; 2] {
    ["daemon.d", "network.d"].map(|dir| Path::new(HOOKS).join(dir).join(NAME))
}

/// The scripts' text for this vnet-net binary.
fn scripts() -> Result<[String; 2]> {
    let exe = std::env::current_exe().map_err(|e| Error::from(e).context("find the vnet-net binary"))?;
    let exe = exe.to_string_lossy();
    let exe =
        shlex::try_quote(&exe).map_err(|_| Error::failed("the vnet-net binary's path has a NUL byte"))?;
    let head = format!(
        "#!/bin/sh\n# Installed by vnet-net forward (see vnet-net(1), FORWARDS): applies the host port \
         forwards\n# of {STATE_FILE} again where libvirt may have put its own rules first.\n\
         # Never calls libvirt (libvirtd waits for its hooks) and never fails libvirt's operation.\n\
         vnet={exe}\n[ -x \"$vnet\" ] || exit 0\n"
    );
    // libvirtd starts: it recreates missing chains with their jumps first, after this hook ran,
    // so the apply waits in the background for libvirt's rules (--settle).
    let daemon = format!(
        "{head}case \"$2\" in start|reload) setsid \"$vnet\" forward apply --settle </dev/null >/dev/null 2>&1 & ;; esac\nexit 0\n"
    );
    let network =
        format!("{head}[ \"$2\" = started ] && \"$vnet\" forward apply </dev/null >/dev/null 2>&1\nexit 0\n");
    Ok([daemon, network])
}

/// Installs the hooks (`wanted`) or removes them (no forward left).
pub fn install(wanted: bool) -> Result<()> {
    if !Path::new("/etc/libvirt").is_dir() {
        return Ok(());
    }
    let texts = scripts()?;
    for (path, text) in hook_paths().iter().zip(texts) {
        let what = |e: std::io::Error| Error::from(e).context(format!("hook {}", path.display()));
        if !wanted {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(what(e)),
                _ => continue,
            }
        }
        if std::fs::read_to_string(path).is_ok_and(|now| now == text) {
            continue;
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(path.parent().expect("a directory")).map_err(what)?;
        std::fs::write(path, text).map_err(what)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(what)?;
    }
    Ok(())
}

/// What the daemon hook runs (`forward apply --settle`): waits, up to `limit`, until libvirt has
/// set up the firewall of every forward's network that is up (its bridge exists), then applies.
/// Gives the number of forwards and whether the ruleset changed.
pub fn settle(limit: Duration) -> Result<(usize, bool)> {
    let started = Instant::now();
    loop {
        let forwards = State::open()?.forwards.clone();
        let ruleset = super::Ruleset::read()?;
        let pending = forwards
            .iter()
            .any(|f| Path::new("/sys/class/net").join(&f.bridge).exists() && !ruleset.libvirt_has(&f.bridge));
        if !pending || started.elapsed() >= limit {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let state = State::open()?;
    Ok((state.forwards.len(), super::apply(&state.forwards)?))
}
