//! identify and pids: match processes to named namespaces by the namespace inode, as ip does.

use serde_json::{json, Value};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use vnet_common::netns::{self, NETNS_RUN_DIR};
use vnet_common::{Error, Outcome, Result};

/// (device, inode) of a namespace file: equal for two handles on the same namespace.
fn ns_identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

pub fn identify(pid: Option<u32>) -> Result<Outcome> {
    let pid = pid.unwrap_or_else(std::process::id);
    let proc_ns = format!("/proc/{pid}/ns/net");
    let target = std::fs::metadata(&proc_ns).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::not_found(format!("identify: no process {pid}")),
        _ => Error::from(e).context(format!("identify: read {proc_ns}")),
    })?;
    let target = (target.dev(), target.ino());
    let mut names = vec![];
    if let Ok(dir) = std::fs::read_dir(NETNS_RUN_DIR) {
        for entry in dir.flatten() {
            if ns_identity(&entry.path()) == Some(target) {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    let text: String = names.iter().map(|n| format!("{n}\n")).collect();
    Ok(Outcome::new(json!({"pid": pid, "names": names}), text))
}

pub fn pids(name: &str) -> Result<Outcome> {
    netns::open(name)?;
    let target = ns_identity(&netns::path(name));
    let mut found: Vec<(u32, String)> = vec![];
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if ns_identity(&entry.path().join("ns/net")) == target {
            let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            found.push((pid, comm.trim_end().to_string()));
        }
    }
    found.sort();
    let json: Vec<Value> = found
        .iter()
        .map(|(pid, comm)| json!({"pid": pid, "comm": comm}))
        .collect();
    let text: String = found.iter().map(|(pid, _)| format!("{pid}\n")).collect();
    Ok(Outcome::new(Value::Array(json), text))
}
