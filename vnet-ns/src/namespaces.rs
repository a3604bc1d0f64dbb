//! add, delete, list: named namespaces kept exactly as iproute2 keeps them (ip/ipnetns.c), so
//! `ip netns` and vnet-ns share them.

use crate::NsCtx;
use nix::fcntl::{Flock, FlockArg};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::sys::statfs::{statfs, FsType};
use schemars::JsonSchema;
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use vnet_common::error::quote;
use vnet_common::names::validate_netns_name;
use vnet_common::netlink::{Netlink, RouteSocket};
use vnet_common::netns::{self, NETNS_RUN_DIR};
use vnet_common::{links, tags, Context, Error, Journal, Render, Result, TextStyle, Verb};

/// True when a namespace is mounted on `path` (a stale entry is a plain empty file).
pub fn is_live(path: &Path) -> bool {
    statfs(path).is_ok_and(|st| st.filesystem_type() == FsType(libc::NSFS_MAGIC as _))
}

/// Create a named namespace and bring its lo up (ip netns add).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Add {
    /// Namespace name: 1..255 bytes of A-Z a-z 0-9 _ . - (no leading -).
    pub name: String,
    /// Accept an existing namespace: "changed": false when it already is what was asked (lo up
    /// unless --no-lo, the resolver file, the tag); otherwise what differs is applied ("changed":
    /// true), or refused with exit 4 naming it (a resolver file vnet-ns did not write, another tag).
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// Leave lo down, as `ip netns add` does.
    #[arg(long)]
    pub no_lo: bool,
    /// Write this file as the namespace's resolver configuration, /etc/netns/NAME/resolv.conf
    /// (exec binds it over /etc/resolv.conf); delete removes it again.
    #[arg(long, value_name = "FILE", conflicts_with = "nameservers")]
    pub resolv_conf: Option<PathBuf>,
    /// Write /etc/netns/NAME/resolv.conf with this nameserver (repeatable, in order).
    #[arg(long = "nameserver", value_name = "IP")]
    pub nameservers: Vec<String>,
    /// Tag the new namespace with LABEL (1..64 bytes of A-Z a-z 0-9 _ . -), kept in
    /// /run/vnet/netns-tags/NAME: `list --tag` and `prune --tag` find it; delete removes it.
    #[arg(long, value_name = "LABEL")]
    pub tag: Option<String>,
}

/// The namespace `add` made (or found, with --exist-ok).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Added {
    pub name: String,
    /// The namespace's entry, /run/netns/NAME.
    pub path: PathBuf,
    /// Whether lo was brought up; null when the namespace already existed.
    pub lo_up: Option<bool>,
    /// The resolver file written (/etc/netns/NAME/resolv.conf), if any.
    pub resolv_conf: Option<PathBuf>,
    pub changed: bool,
}

impl Render for Added {}

impl Verb for Add {
    type Ctx = NsCtx;
    type Output = Added;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Added> {
        let name = &self.name;
        validate_netns_name(name)?;
        vnet_common::tags::check(self.tag.as_deref())?;
        let what = || format!("add namespace '{name}'");
        let resolver =
            resolver_text(name, self.resolv_conf.as_deref(), &self.nameservers).with_context(what)?;
        let path = netns::path(name);
        let _lock = lock_run_dir().with_context(what)?;
        if path.exists() {
            let found = already_exists(name, &path, self.exist_ok)?;
            return converge(ctx, &self, found, resolver, journal).with_context(what);
        }
        create_mounted(name, &path, journal).with_context(what)?;
        vnet_common::tags::mark_netns(name, self.tag.as_deref(), journal).with_context(what)?;
        if !self.no_lo {
            bring_lo_up(ctx.netlink()?, name).with_context(|| format!("{}: bring lo up", what()))?;
        }
        let resolv_conf = match resolver {
            Some(text) => Some(write_resolver(name, &text, journal).with_context(what)?),
            None => None,
        };
        Ok(Added {
            name: name.clone(),
            path,
            lo_up: Some(!self.no_lo),
            resolv_conf,
            changed: true,
        })
    }
}

fn already_exists(name: &str, path: &Path, exist_ok: bool) -> Result<Added> {
    if !is_live(path) {
        return Err(
            Error::exists(format!("add namespace '{name}': a stale entry is in the way"))
                .with_hint(format!("remove it with: vnet-ns delete {name}")),
        );
    }
    if !exist_ok {
        return Err(Error::exists(format!("add namespace '{name}': already exists"))
            .with_hint("pass --exist-ok to accept an existing namespace"));
    }
    Ok(Added {
        name: name.to_string(),
        path: path.to_path_buf(),
        lo_up: None,
        resolv_conf: None,
        changed: false,
    })
}

/// `add --exist-ok` on an existing namespace: brings it to what the line asks, or refuses naming
/// the difference (exit 4) before changing anything.
fn converge(
    ctx: &mut NsCtx,
    add: &Add,
    mut found: Added,
    resolver: Option<String>,
    journal: &mut Journal,
) -> Result<Added> {
    let name = &add.name;
    let file = Path::new(NETNS_ETC_DIR).join(name).join("resolv.conf");
    let current = std::fs::read_to_string(&file).ok();
    let write = resolver.filter(|text| current.as_deref() != Some(text.as_str()));
    if let (Some(_), Some(current)) = (&write, &current) {
        if !current.starts_with(&resolver_marker(name)) {
            return Err(Error::exists(format!(
                "{} exists with other content, not written by vnet-ns",
                file.display()
            ))
            .with_hint("edit or remove it, or leave out --nameserver/--resolv-conf"));
        }
    }
    let tag = match (add.tag.as_deref(), tags::netns_tag(name)) {
        (Some(asked), Some(has)) if asked != has => {
            return Err(Error::exists(format!(
                "the namespace is tagged '{has}', not '{asked}'"
            )));
        }
        (Some(asked), None) => Some(asked),
        _ => None,
    };
    if let Some(label) = tag {
        tags::mark_netns(name, Some(label), journal)?;
        found.changed = true;
    }
    if !add.no_lo && lo_up_if_down(ctx.netlink()?, name, journal)? {
        found.changed = true;
        found.lo_up = Some(true);
    }
    if let Some(text) = write {
        found.resolv_conf = Some(write_resolver(name, &text, journal)?);
        found.changed = true;
    }
    Ok(found)
}

/// Brings lo of an existing namespace up when it is down (journaled); true when it did.
fn lo_up_if_down(netlink: &mut Netlink, name: &str, journal: &mut Journal) -> Result<bool> {
    let handle = netlink.handle(Some(name))?;
    netlink.run(async {
        let lo = links::require_link(&handle, "lo", Some(name)).await?;
        if links::link_is_up(&lo) {
            return Ok(false);
        }
        let index = lo.header.index;
        links::set_up(&handle, index, true).await?;
        let undo = handle.clone();
        journal.record(format!("namespace '{name}': lo up"), async move {
            links::set_up(&undo, index, false).await
        })?;
        Ok(true)
    })
}

/// Where `ip netns exec` and `vnet-ns exec` take a namespace's /etc overrides from.
pub const NETNS_ETC_DIR: &str = "/etc/netns";

/// The first line of a resolver file vnet-ns wrote: delete removes only such a file.
fn resolver_marker(name: &str) -> String {
    format!("# written by vnet-ns add {name}; removed by vnet-ns delete {name}\n")
}

/// The resolv.conf to write, checked before anything changes: the file's text (it must exist and
/// be UTF-8) or one `nameserver` line per address (each must be an IP address).
fn resolver_text(name: &str, file: Option<&Path>, nameservers: &[String]) -> Result<Option<String>> {
    let body = match file {
        Some(file) => std::fs::read_to_string(file).map_err(|e| {
            let e = Error::from(e);
            Error::new(
                e.kind,
                format!("read {}: {}", quote(&file.display().to_string()), e.message),
            )
        })?,
        None if nameservers.is_empty() => return Ok(None),
        None => {
            let mut body = String::new();
            for ns in nameservers {
                let ip: std::net::IpAddr = ns.parse().map_err(|_| {
                    Error::invalid(format!("invalid nameserver {}: not an IP address", quote(ns)))
                })?;
                body.push_str(&format!("nameserver {ip}\n"));
            }
            body
        }
    };
    Ok(Some(format!("{}{body}", resolver_marker(name))))
}

/// Writes /etc/netns/NAME/resolv.conf, journaled: undo puts back what was there (a file left by
/// an earlier `ip netns delete`) or removes the file and the directory it made.
fn write_resolver(name: &str, text: &str, journal: &mut Journal) -> Result<PathBuf> {
    let dir = Path::new(NETNS_ETC_DIR).join(name);
    let file = dir.join("resolv.conf");
    let made_dir = !dir.exists();
    std::fs::create_dir_all(&dir).context(format!("create {}", dir.display()))?;
    let old = std::fs::read(&file).ok();
    if let Err(e) = std::fs::write(&file, text) {
        if made_dir {
            let _ = std::fs::remove_dir(&dir);
        }
        return Err(Error::from(e).context(format!("write {}", file.display())));
    }
    let (undo_file, undo_dir) = (file.clone(), dir.clone());
    journal.record_fn(format!("write {}", file.display()), move || {
        match old {
            Some(old) => std::fs::write(&undo_file, old)?,
            None => std::fs::remove_file(&undo_file)?,
        }
        if made_dir {
            std::fs::remove_dir(&undo_dir)?;
        }
        Ok(())
    })?;
    Ok(file)
}

/// Removes the resolver file vnet-ns wrote for `name` (recognised by its first line), then the
/// directory /etc/netns/NAME if that leaves it empty: `ip netns delete` leaves it behind, and
/// a later namespace of that name would inherit it. Returns what it removed.
fn remove_resolver(name: &str) -> Vec<PathBuf> {
    let dir = Path::new(NETNS_ETC_DIR).join(name);
    let file = dir.join("resolv.conf");
    let mut removed = vec![];
    let ours = std::fs::read_to_string(&file).is_ok_and(|t| t.starts_with(&resolver_marker(name)));
    if ours && std::fs::remove_file(&file).is_ok() {
        removed.push(file);
        if std::fs::remove_dir(&dir).is_ok() {
            removed.push(dir);
        }
    }
    removed
}

/// Creates /run/netns if needed and takes an exclusive lock on it, so concurrent vnet-ns
/// processes set up the shared mount and create entries one at a time.
fn lock_run_dir() -> Result<Flock<File>> {
    std::fs::create_dir_all(NETNS_RUN_DIR)?;
    let dir = File::open(NETNS_RUN_DIR)?;
    let lock = Flock::lock(dir, FlockArg::LockExclusive).map_err(|(_, errno)| Error::from(errno))?;
    make_run_dir_shared()?;
    Ok(lock)
}

/// Makes /run/netns a shared mount so namespace mounts propagate to every mount namespace, as
/// iproute2 does: if it is not a mount point yet, bind-mount it onto itself first, then make it
/// private (its own peer group) and shared.
fn make_run_dir_shared() -> Result<()> {
    let shared = MsFlags::MS_SHARED | MsFlags::MS_REC;
    if mount::<str, str, str, str>(None, NETNS_RUN_DIR, None, shared, None).is_ok() {
        return Ok(());
    }
    mount::<str, str, str, str>(
        Some(NETNS_RUN_DIR),
        NETNS_RUN_DIR,
        None,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None,
    )
    .context("bind-mount /run/netns onto itself")?;
    mount::<str, str, str, str>(None, NETNS_RUN_DIR, None, MsFlags::MS_PRIVATE, None)
        .context("make /run/netns private")?;
    mount::<str, str, str, str>(None, NETNS_RUN_DIR, None, shared, None).context("make /run/netns shared")
}

/// Creates the entry with O_EXCL and bind-mounts a new network namespace onto it, from a thread
/// that unshared its own network namespace (the rest of the process stays where it is).
fn create_mounted(name: &str, path: &Path, journal: &mut Journal) -> Result<()> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o000)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Error::exists(format!("namespace '{name}' already exists")),
            _ => Error::from(e).context(format!("create {}", path.display())),
        })?;
    let entry = path.to_path_buf();
    journal.record_fn(format!("add namespace '{name}'"), move || remove(&entry))?;
    std::thread::scope(|scope| {
        scope
            .spawn(|| -> Result<()> {
                unshare(CloneFlags::CLONE_NEWNET).context("unshare the network namespace")?;
                let source = "/proc/thread-self/ns/net";
                mount::<str, Path, str, str>(Some(source), path, None, MsFlags::MS_BIND, None)
                    .context(format!("bind {source} onto {}", path.display()))
            })
            .join()
            .unwrap_or_else(|_| Err(Error::failed("namespace thread panicked")))
    })
}

fn bring_lo_up(netlink: &mut Netlink, name: &str) -> Result<()> {
    let handle = netlink.handle(Some(name))?;
    netlink.run(async {
        let lo = links::require_link(&handle, "lo", Some(name)).await?;
        links::set_up(&handle, lo.header.index, true).await
    })
}

/// Unmounts (lazily, as `ip netns delete`) and unlinks an entry; used for delete and for undo.
fn remove(path: &Path) -> Result<()> {
    match umount2(path, MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::errno::Errno::EINVAL) => {} // EINVAL: stale entry, nothing mounted
        Err(e) => return Err(Error::from(e).context(format!("unmount {}", path.display()))),
    }
    std::fs::remove_file(path).context(format!("remove {}", path.display()))
}

/// Name the network namespace a running process has (ip netns attach NAME PID).
///
/// Binds /proc/PID/ns/net onto /run/netns/NAME with the same locking and shared mount as add, so
/// ip netns and vnet-ns see it; delete NAME removes the name (the process keeps its namespace). A
/// PID with no process is exit 3; a name already taken is exit 4.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Attach {
    /// The name to give the namespace.
    pub name: String,
    /// The process whose network namespace it is.
    pub pid: String,
}

/// The name attached.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Attached {
    pub name: String,
    pub path: PathBuf,
    pub pid: u32,
    pub changed: bool,
}

impl Render for Attached {}

impl Verb for Attach {
    type Ctx = NsCtx;
    type Output = Attached;

    fn run(self, _: &mut NsCtx, journal: &mut Journal) -> Result<Attached> {
        let name = &self.name;
        validate_netns_name(name)?;
        let what = || format!("attach namespace '{name}'");
        let pid: u32 = self
            .pid
            .parse()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| Error::invalid(format!("{}: invalid PID {}", what(), quote(&self.pid))))?;
        let source = PathBuf::from(format!("/proc/{pid}/ns/net"));
        if std::fs::symlink_metadata(&source).is_err() {
            return Err(Error::not_found(format!("{}: no process with PID {pid}", what())));
        }
        let path = netns::path(name);
        let _lock = lock_run_dir().with_context(what)?;
        if path.symlink_metadata().is_ok() {
            return Err(Error::exists(format!("{}: the name is taken", what()))
                .with_hint(format!("choose another name, or: vnet-ns delete {name}")));
        }
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o000)
            .open(&path)
            .map_err(|e| Error::from(e).context(format!("{}: create {}", what(), path.display())))?;
        let entry = path.clone();
        journal.record_fn(format!("attach namespace '{name}'"), move || remove(&entry))?;
        mount::<Path, Path, str, str>(Some(&source), &path, None, MsFlags::MS_BIND, None).map_err(|e| {
            let e = Error::from(e);
            match e.kind {
                vnet_common::ErrorKind::NotFound => {
                    Error::not_found(format!("{}: no process with PID {pid}", what()))
                }
                _ => e.context(format!("{}: bind {}", what(), source.display())),
            }
        })?;
        Ok(Attached {
            name: name.clone(),
            path,
            pid,
            changed: true,
        })
    }
}

/// Delete named namespaces, stale entries included (ip netns delete).
///
/// All names are checked before any is deleted; a name given twice is deleted once. The resolver
/// file `add --resolv-conf` or `--nameserver` wrote under /etc/netns/NAME goes too, and the
/// directory if that empties it.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Delete {
    #[arg(required_unless_present = "all")]
    pub names: Vec<String>,
    /// Delete every named namespace (ip -all netns delete).
    #[arg(long, conflicts_with = "names")]
    pub all: bool,
    /// Succeed when a namespace does not exist.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Deleted {
    pub deleted: Vec<String>,
    /// Names that did not exist (with --missing-ok).
    pub missing: Vec<String>,
    /// Files and directories under /etc/netns that vnet-ns add had written and delete removed.
    pub removed: Vec<PathBuf>,
    pub changed: bool,
}

impl Render for Deleted {}

impl Verb for Delete {
    type Ctx = NsCtx;
    type Output = Deleted;

    fn run(mut self, _: &mut NsCtx, journal: &mut Journal) -> Result<Deleted> {
        if self.all {
            self.names = names_in_run_dir()?;
        }
        for name in &self.names {
            validate_netns_name(name)?;
        }
        // A name given twice is deleted once (else the second time fails after the first acted).
        let mut seen = std::collections::HashSet::new();
        let mut names = self.names;
        names.retain(|n| seen.insert(n.clone()));
        let (present, missing): (Vec<String>, Vec<String>) = names
            .into_iter()
            .partition(|n| netns::path(n).symlink_metadata().is_ok());
        if let (Some(name), false) = (missing.first(), self.missing_ok) {
            return Err(Error::not_found(format!("delete namespace '{name}': not found"))
                .with_hint("pass --missing-ok to accept a missing namespace"));
        }
        let mut removed = vec![];
        for name in &present {
            remove(&netns::path(name)).context(format!("delete namespace '{name}'"))?;
            journal.irreversible(format!("delete namespace '{name}'"))?;
            removed.extend(remove_resolver(name));
            vnet_common::tags::unmark_netns(name);
        }
        Ok(Deleted {
            changed: !present.is_empty(),
            deleted: present,
            missing,
            removed,
        })
    }
}

/// List named namespaces (ip netns list).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct List {
    /// Only the namespaces tagged LABEL (add --tag).
    #[arg(long, value_name = "LABEL")]
    pub tag: Option<String>,
}

/// One /run/netns entry.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Entry {
    pub name: String,
    /// The nsid this namespace has here (what ip netns list shows as "id: N"), or null.
    pub id: Option<i32>,
    pub path: PathBuf,
    /// True for a file under /run/netns with no namespace mounted on it.
    pub stale: bool,
    /// The namespace's tag (add --tag), absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Entries(pub Vec<Entry>);

impl Render for Entries {
    fn text(&self, _: TextStyle) -> String {
        self.0.iter().map(text_line).collect()
    }
}

impl Verb for List {
    type Ctx = NsCtx;
    type Output = Entries;

    fn run(self, _: &mut NsCtx, _: &mut Journal) -> Result<Entries> {
        tagged_entries(read_entries()?, self.tag.as_deref()).map(Entries)
    }
}

/// `list`: each entry's tag, and with --tag only the entries carrying it.
fn tagged_entries(mut entries: Vec<Entry>, tag: Option<&str>) -> Result<Vec<Entry>> {
    tags::check(tag)?;
    for entry in &mut entries {
        entry.tag = tags::netns_tag(&entry.name);
    }
    if let Some(label) = tag {
        entries.retain(|e| e.tag.as_deref() == Some(label));
    }
    Ok(entries)
}

/// `ip netns list`'s line: "Blue (id: 0)" or "Blue"; stale entries are marked.
fn text_line(entry: &Entry) -> String {
    match (entry.stale, entry.id) {
        (true, _) => format!("{} (stale)\n", entry.name),
        (false, Some(id)) => format!("{} (id: {id})\n", entry.name),
        (false, None) => format!("{}\n", entry.name),
    }
}

/// The names in /run/netns in directory order (the order `ip netns list` prints).
pub fn names_in_run_dir() -> Result<Vec<String>> {
    let dir = match std::fs::read_dir(NETNS_RUN_DIR) {
        Ok(dir) => dir,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(Error::from(e).context(format!("read {NETNS_RUN_DIR}"))),
    };
    let mut names = vec![];
    for entry in dir {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name != "." && name != ".." {
            names.push(name);
        }
    }
    Ok(names)
}

/// The entries of /run/netns in directory order (the order `ip netns list` prints).
fn read_entries() -> Result<Vec<Entry>> {
    let names = names_in_run_dir()?;
    let mut query = RouteSocket::open(None)?;
    let mut entries = Vec::with_capacity(names.len());
    for name in names {
        let path = netns::path(&name);
        let stale = !is_live(&path);
        let id = if stale { None } else { nsid(&mut query, &name)? };
        entries.push(Entry {
            name,
            id,
            path,
            stale,
            tag: None,
        });
    }
    Ok(entries)
}

/// The nsid the current namespace has assigned to `name`, if any (what `ip netns list` shows).
fn nsid(query: &mut RouteSocket, name: &str) -> Result<Option<i32>> {
    // A namespace deleted between readdir and the query is simply not there any more.
    let Ok(file) = File::open(netns::path(name)) else {
        return Ok(None);
    };
    query
        .nsid(&file)
        .map_err(|e| e.context(format!("get the id of namespace '{name}'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lines_match_ip_netns_list() {
        let entry = |name: &str, live: bool, id| Entry {
            name: name.into(),
            id,
            path: netns::path(name),
            stale: !live,
            tag: None,
        };
        assert_eq!(text_line(&entry("Blue", true, Some(0))), "Blue (id: 0)\n");
        assert_eq!(text_line(&entry("Red", true, None)), "Red\n");
        assert_eq!(text_line(&entry("Old", false, None)), "Old (stale)\n");
    }
}
