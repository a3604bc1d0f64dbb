//! identify and pids: match processes to named namespaces by the namespace inode, as ip does.

use crate::NsCtx;
use schemars::JsonSchema;
use serde::Serialize;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use vnet_common::netns::{self, NETNS_RUN_DIR};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// (device, inode) of a namespace file: equal for two handles on the same namespace.
fn ns_identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Name the namespaces a process is in (ip netns identify).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Identify {
    /// Process id; default: this process.
    pub pid: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Identified {
    pub pid: u32,
    /// The named namespaces (several names can share one namespace).
    pub names: Vec<String>,
}

impl Render for Identified {
    fn text(&self, _: TextStyle) -> String {
        self.names.iter().map(|n| format!("{n}\n")).collect()
    }
}

impl Verb for Identify {
    type Ctx = NsCtx;
    type Output = Identified;

    fn run(self, _: &mut NsCtx, _: &mut Journal) -> Result<Identified> {
        let pid = self.pid.unwrap_or_else(std::process::id);
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
        Ok(Identified { pid, names })
    }
}

/// List the processes inside a namespace (ip netns pids).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Pids {
    pub name: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Process {
    pub pid: u32,
    /// The process's command name (/proc/PID/comm).
    pub comm: String,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Processes(pub Vec<Process>);

impl Render for Processes {
    fn text(&self, _: TextStyle) -> String {
        self.0.iter().map(|p| format!("{}\n", p.pid)).collect()
    }
}

impl Verb for Pids {
    type Ctx = NsCtx;
    type Output = Processes;

    fn run(self, _: &mut NsCtx, _: &mut Journal) -> Result<Processes> {
        netns::open(&self.name)?;
        let target = ns_identity(&netns::path(&self.name));
        let mut found = vec![];
        for entry in std::fs::read_dir("/proc")?.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if ns_identity(&entry.path().join("ns/net")) == target {
                let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
                let comm = comm.trim_end().to_string();
                found.push(Process { pid, comm });
            }
        }
        found.sort_by_key(|p| p.pid);
        Ok(Processes(found))
    }
}
