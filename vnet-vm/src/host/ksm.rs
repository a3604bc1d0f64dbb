//! The host's kernel same-page merging (KSM) as libvirt tunes it (virsh node-memory-tune):
//! shown without options, set with them; a change is undone by setting the old values back.

use crate::observe::params::Params;
use crate::tuning::typed::Knobs;
use schemars::JsonSchema;
use serde::Serialize;
use std::rc::Rc;
use virt::sys;
use vnet_common::libvirt::Session;
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

/// Show or set the host's shared-memory (KSM) parameters (virsh node-memory-tune).
#[derive(Debug, clap::Args)]
pub struct NodeMemoryTune {
    /// Pages to scan before the KSM thread sleeps.
    #[arg(long)]
    pub shm_pages_to_scan: Option<u32>,
    /// Milliseconds the KSM thread sleeps between scans.
    #[arg(long)]
    pub shm_sleep_millisecs: Option<u32>,
    /// 1: pages of different NUMA nodes may be merged; 0: not.
    #[arg(long)]
    pub shm_merge_across_nodes: Option<u32>,
}

/// The host's KSM parameters after node-memory-tune.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodeMemory {
    /// False for a query, or when they were so already.
    pub changed: bool,
    /// libvirt's names and values (shm_pages_to_scan, shm_sleep_millisecs, shm_pages_shared...).
    pub params: Params,
    #[serde(skip)]
    pub query: bool,
}

impl Render for NodeMemory {
    fn text(&self, _style: TextStyle) -> String {
        if !self.query {
            return String::new();
        }
        let lines: String = self
            .params
            .0
            .iter()
            .map(|(k, v)| format!("\t{k:<15} {}\n", v.virsh()))
            .collect();
        format!("Shared memory:\n{lines}\n")
    }
}

impl Verb for NodeMemoryTune {
    type Ctx = Session;
    type Output = NodeMemory;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<NodeMemory> {
        let fields = [
            ("shm_pages_to_scan", self.shm_pages_to_scan),
            ("shm_sleep_millisecs", self.shm_sleep_millisecs),
            ("shm_merge_across_nodes", self.shm_merge_across_nodes),
        ];
        let wanted: Vec<(String, String)> = fields
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), (*v)?.to_string())))
            .collect();
        let conn = ctx.conn()?;
        let (getter, setter) = (conn.clone(), conn.clone());
        let knobs = Knobs {
            // SAFETY: the closures hold the connection; `p` is null or holds `*n` parameters.
            get: Box::new(move |p, n, flags| unsafe {
                sys::virNodeGetMemoryParameters(getter.as_ptr(), p, n, flags)
            }),
            set: Rc::new(move |p, n, flags| unsafe {
                sys::virNodeSetMemoryParameters(setter.as_ptr(), p, n, flags)
            }),
            what: "shared memory parameters of the host".into(),
            field_word: "memory parameter",
        };
        let change = knobs.change(&wanted, 0, 0, journal)?;
        Ok(NodeMemory {
            changed: change.changed,
            params: change.after,
            query: wanted.is_empty(),
        })
    }
}
