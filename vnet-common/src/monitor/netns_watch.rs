//! With --all-namespaces: the named namespaces, and /run/netns watched for those created later.

use super::{netns_change, Action, Msg};
use crate::{netns, Error, Result};
use std::sync::mpsc::SyncSender;

pub(super) fn named_namespaces() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(netns::NETNS_RUN_DIR)
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| crate::names::validate_netns_name(n).is_ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Watches /run/netns (made if missing, as `ip netns add` makes it) for namespaces coming and
/// going; hands them on as netns changes marked by an absent object.
pub(super) fn watch_netns_dir(tx: &SyncSender<Msg>) -> Result<std::thread::JoinHandle<()>> {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    std::fs::create_dir_all(netns::NETNS_RUN_DIR)
        .map_err(|e| Error::from(e).context(format!("make {}", netns::NETNS_RUN_DIR)))?;
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC)
        .map_err(|e| Error::from(e).context("watch the named namespaces (inotify)"))?;
    inotify
        .add_watch(
            netns::NETNS_RUN_DIR,
            AddWatchFlags::IN_CREATE | AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVED_TO,
        )
        .map_err(|e| Error::from(e).context(format!("watch {}", netns::NETNS_RUN_DIR)))?;
    let tx = tx.clone();
    std::thread::Builder::new()
        .name("netns-watch".into())
        .spawn(move || loop {
            let Ok(events) = inotify.read_events() else {
                return;
            };
            for event in events {
                let Some(name) = event.name.map(|n| n.to_string_lossy().into_owned()) else {
                    continue;
                };
                if crate::names::validate_netns_name(&name).is_err() {
                    continue;
                }
                let action = if event.mask.contains(AddWatchFlags::IN_DELETE) {
                    Action::Del
                } else {
                    Action::New
                };
                let change = netns_change(Some(name), action);
                if tx.send(Msg::Change(Box::new(change))).is_err() {
                    return;
                }
            }
        })
        .map_err(|e| Error::from(e).context("start the namespace watch"))
}
