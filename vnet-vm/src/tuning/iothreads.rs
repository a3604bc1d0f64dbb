//! A domain's IOThreads (virsh iothreadinfo, iothreadadd, iothreaddel, iothreadpin). An added
//! thread is undone by deleting it, a deleted one by adding it back (unpinned), a pin by pinning
//! the old set back.

use super::pinning::scope_flags;
use super::{affects, host_cpus, read_flag, CpuSet};
use crate::domains::resources::Scope;
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{table, Error, Journal, Render, Result, TextStyle, Verb};

/// A domain's IOThreads and their affinity (virsh iothreadinfo).
#[derive(Debug, clap::Args)]
pub struct Iothreadinfo {
    /// The domain (name, ID or UUID).
    pub domain: String,
    #[command(flatten)]
    pub scope: Scope,
}

/// One IOThread.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct IoThread {
    pub iothread_id: u32,
    /// Host CPUs it may run on, as a cpulist ("0-1").
    pub affinity: String,
    /// The same host CPUs, one number each.
    pub affinity_cpus: Vec<u32>,
}

/// A domain's IOThreads, by ID.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct IoThreads(pub Vec<IoThread>);

impl Render for IoThreads {
    fn text(&self, style: TextStyle) -> String {
        if self.0.is_empty() {
            return "No IOThreads found for the domain".into();
        }
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|t| vec![t.iothread_id.to_string(), t.affinity.clone()])
            .collect();
        table::render(&["IOThread ID", "CPU Affinity"], &rows, style)
    }
}

/// The domain's IOThreads in one scope (`flags` LIVE or CONFIG; 0 for the current one).
fn threads(dom: &Domain, cpus: u32, flags: u32) -> Result<Vec<IoThread>> {
    let mut infos: *mut sys::virDomainIOThreadInfoPtr = std::ptr::null_mut();
    // SAFETY: libvirt allocates the array and each entry; each is freed below, then the array.
    let n = unsafe { sys::virDomainGetIOThreadInfo(dom.as_ptr(), &mut infos, flags) };
    if n < 0 {
        return Err(virt::error::Error::last_error()).libvirt("IOThreads of the domain");
    }
    let mut out = Vec::new();
    for i in 0..n as usize {
        // SAFETY: `n` entries, each with a map of `cpumaplen` bytes.
        unsafe {
            let info = *infos.add(i);
            let map = std::slice::from_raw_parts((*info).cpumap, (*info).cpumaplen.max(0) as usize);
            let set = CpuSet::from_map(map, cpus);
            out.push(IoThread {
                iothread_id: (*info).iothread_id,
                affinity: set.list(),
                affinity_cpus: set.0,
            });
            sys::virDomainIOThreadInfoFree(info);
        }
    }
    if !infos.is_null() {
        // SAFETY: the array itself, allocated by libvirt.
        unsafe { libc::free(infos.cast()) };
    }
    Ok(out)
}

impl Verb for Iothreadinfo {
    type Ctx = Session;
    type Output = IoThreads;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<IoThreads> {
        let conn = ctx.conn()?;
        let dom = lookup(conn, &self.domain)?;
        Ok(IoThreads(threads(&dom, host_cpus(conn)?, self.scope.bits())?))
    }
}

/// Add an IOThread to a domain (virsh iothreadadd). An ID in use is exit 4.
#[derive(Debug, clap::Args)]
pub struct Iothreadadd {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The new IOThread's ID (1 or more).
    pub id: u32,
    #[command(flatten)]
    pub scope: Scope,
}

/// Remove an IOThread from a domain (virsh iothreaddel). An ID it does not have is exit 3.
#[derive(Debug, clap::Args)]
pub struct Iothreaddel {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The IOThread's ID.
    pub id: u32,
    #[command(flatten)]
    pub scope: Scope,
}

/// A domain's IOThread after iothreadadd, iothreaddel or iothreadpin.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IoThreadChange {
    pub name: String,
    pub iothread_id: u32,
    /// False when it was so already (a pin to the same CPUs).
    pub changed: bool,
    /// The running domain was changed.
    pub live: bool,
    /// The persistent definition was changed.
    pub config: bool,
    /// The domain's IOThreads afterwards (in the running domain when it was changed).
    pub iothreads: Vec<IoThread>,
}

impl Render for IoThreadChange {}

/// The thread's ID checked, and the domain with its name, CPUs and scope.
struct Target {
    dom: Domain,
    name: String,
    cpus: u32,
    live: bool,
    config: bool,
    before: Vec<IoThread>,
}

fn target(ctx: &mut Session, domain: &str, id: u32, scope: &Scope) -> Result<Target> {
    if id == 0 {
        return Err(Error::invalid("IOThread ID 0: IDs start at 1"));
    }
    let conn = ctx.conn()?;
    let dom = lookup(conn, domain)?;
    let cpus = host_cpus(conn)?;
    let (live, config) = affects(scope, &dom)?;
    let before = threads(&dom, cpus, read_flag(live))?;
    let name = domain_name(&dom)?;
    Ok(Target {
        dom,
        name,
        cpus,
        live,
        config,
        before,
    })
}

impl Target {
    fn has(&self, id: u32) -> bool {
        self.before.iter().any(|t| t.iothread_id == id)
    }

    fn done(self, id: u32, changed: bool) -> Result<IoThreadChange> {
        let iothreads = threads(&self.dom, self.cpus, read_flag(self.live))?;
        Ok(IoThreadChange {
            name: self.name,
            iothread_id: id,
            changed,
            live: self.live,
            config: self.config,
            iothreads,
        })
    }
}

/// Adds (`add`) or deletes IOThread `id` with `flags`.
fn add_or_delete(dom: &Domain, id: u32, flags: u32, add: bool) -> Result<()> {
    // SAFETY: plain calls on a held domain.
    let rc = unsafe {
        match add {
            true => sys::virDomainAddIOThread(dom.as_ptr(), id, flags),
            false => sys::virDomainDelIOThread(dom.as_ptr(), id, flags),
        }
    };
    match rc {
        rc if rc < 0 => Err(virt::error::Error::last_error())
            .libvirt(format!("{} IOThread {id}", if add { "add" } else { "delete" })),
        _ => Ok(()),
    }
}

impl Verb for Iothreadadd {
    type Ctx = Session;
    type Output = IoThreadChange;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<IoThreadChange> {
        let t = target(ctx, &self.domain, self.id, &self.scope)?;
        if t.has(self.id) {
            return Err(Error::exists(format!(
                "IOThread {} of domain {}: already there",
                self.id,
                quote(&t.name)
            )));
        }
        let (id, flags) = (self.id, self.scope.bits());
        add_or_delete(&t.dom, id, flags, true)?;
        let undo = t.dom.clone();
        journal.record_fn(format!("add IOThread {id}"), move || {
            add_or_delete(&undo, id, flags, false)
        })?;
        t.done(id, true)
    }
}

impl Verb for Iothreaddel {
    type Ctx = Session;
    type Output = IoThreadChange;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<IoThreadChange> {
        let t = target(ctx, &self.domain, self.id, &self.scope)?;
        if !t.has(self.id) {
            return Err(Error::not_found(format!(
                "IOThread {} of domain {}: no such IOThread",
                self.id,
                quote(&t.name)
            )));
        }
        let (id, flags) = (self.id, self.scope.bits());
        add_or_delete(&t.dom, id, flags, false)?;
        let undo = t.dom.clone();
        journal.record_fn(format!("delete IOThread {id}"), move || {
            add_or_delete(&undo, id, flags, true)
        })?;
        t.done(id, true)
    }
}

/// Pin a domain's IOThread to host CPUs (virsh iothreadpin). An ID it does not have is exit 3.
#[derive(Debug, clap::Args)]
pub struct Iothreadpin {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The IOThread's ID.
    pub iothread: u32,
    /// Host CPUs (`0-1`, `0,^1`, `r` for all).
    pub cpulist: String,
    #[command(flatten)]
    pub scope: Scope,
}

impl Verb for Iothreadpin {
    type Ctx = Session;
    type Output = IoThreadChange;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<IoThreadChange> {
        let t = target(ctx, &self.domain, self.iothread, &self.scope)?;
        let set = CpuSet::parse(&self.cpulist, t.cpus)?;
        let id = self.iothread;
        if !t.has(id) {
            return Err(Error::not_found(format!(
                "IOThread {id} of domain {}: no such IOThread",
                quote(&t.name)
            )));
        }
        let mut changed = false;
        for flag in scope_flags(&self.scope, &t.dom)? {
            let in_scope = threads(&t.dom, t.cpus, flag)?;
            let old = in_scope.iter().find(|th| th.iothread_id == id);
            let old = CpuSet(old.map(|th| th.affinity_cpus.clone()).unwrap_or_default());
            if old == set {
                continue;
            }
            pin(&t.dom, id, &set, t.cpus, flag)?;
            changed = true;
            let (undo, cpus) = (t.dom.clone(), t.cpus);
            journal.record_fn(format!("pin IOThread {id} to {}", set.list()), move || {
                pin(&undo, id, &old, cpus, flag)
            })?;
        }
        t.done(id, changed)
    }
}

fn pin(dom: &Domain, id: u32, set: &CpuSet, cpus: u32, flags: u32) -> Result<()> {
    let mut map = set.to_map(cpus);
    // SAFETY: `map` is one CPU map of its length.
    let rc =
        unsafe { sys::virDomainPinIOThread(dom.as_ptr(), id, map.as_mut_ptr(), map.len() as i32, flags) };
    match rc {
        rc if rc < 0 => Err(virt::error::Error::last_error()).libvirt(format!("pin IOThread {id}")),
        _ => Ok(()),
    }
}
