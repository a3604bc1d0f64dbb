//! `migrate DOMAIN DESTURI`: a domain moved to another libvirt host (virsh migrate), with virsh's
//! flags. The migration runs on a thread of its own while this one watches the job (progress
//! records, --timeout, a signal that aborts it; see [`watch`]).

mod watch;

use crate::domains::lookup::{resolve, state_of};
use schemars::JsonSchema;
use serde::Serialize;
use std::time::Instant;
use virt::connect::Connect;
use virt::domain::{Domain, MigrateParameters};
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{connect_with, LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};
use watch::{Outcome, Watch};

/// Move a domain to another host (virsh migrate DOMAIN DESTURI).
///
/// vnet-vm connects to DESTURI itself first (a destination that does not answer is exit 6 and
/// nothing changes on either host), then asks the source's libvirtd to migrate: directly (the
/// default: this process talks to both daemons), or with --p2p between the daemons (--tunnelled
/// through their connection). Progress is printed as NDJSON records (`"record": "progress"`, the
/// percentage virsh --verbose shows, from the job's data processed / remaining / total) with
/// --progress or when stdout is a terminal; the final record (`"record": "result"`) says where
/// the domain runs and what became of its definitions. A failed migration leaves the domain
/// running on the source (libvirt cancels it on both sides): exit 1 with libvirt's reason.
/// SIGINT, SIGTERM or SIGHUP abort the migration job (virDomainAbortJob): the domain keeps running
/// on the source, the result record says "aborted" and the exit code is 128+N.
#[derive(Debug, clap::Args)]
pub struct Migrate {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The destination host's libvirt URI (qemu+tcp://HOST/system, qemu+ssh://HOST/system).
    pub desturi: String,
    /// Live migration: the guest keeps running while its memory is copied.
    #[arg(long)]
    pub live: bool,
    /// Migrate only the definition of an inactive domain (needs --persistent).
    #[arg(long, conflicts_with = "live")]
    pub offline: bool,
    /// Peer-to-peer: the source's libvirtd connects to DESTURI itself.
    #[arg(long)]
    pub p2p: bool,
    /// Direct migration: the source's hypervisor talks to DESTURI (libvirt's QEMU driver
    /// refuses it; virsh passes it on).
    #[arg(long, conflicts_with = "p2p")]
    pub direct: bool,
    /// Send the guest's state through the daemons' connection (needs --p2p).
    #[arg(long, requires = "p2p")]
    pub tunnelled: bool,
    /// Make the domain persistent on the destination (define it there).
    #[arg(long)]
    pub persistent: bool,
    /// Undefine the domain on the source once it runs on the destination.
    #[arg(long)]
    pub undefinesource: bool,
    /// Leave the domain paused on the destination.
    #[arg(long)]
    pub suspend: bool,
    /// Copy the full contents of non-shared disks too.
    #[arg(long)]
    pub copy_storage_all: bool,
    /// Copy non-shared disks, incremental (the same base image on both hosts).
    #[arg(long, conflicts_with = "copy_storage_all")]
    pub copy_storage_inc: bool,
    /// Refuse changes to the domain (as a start elsewhere) while it migrates.
    #[arg(long)]
    pub change_protection: bool,
    /// Migrate even when libvirt thinks it unsafe (disk caches).
    #[arg(long = "unsafe")]
    pub unsafe_migration: bool,
    /// Abort on a soft error (a disk I/O error) during the migration.
    #[arg(long)]
    pub abort_on_error: bool,
    /// Throttle the guest's vCPUs when its memory changes faster than it is copied.
    #[arg(long)]
    pub auto_converge: bool,
    /// Compress the guest's memory while copying it.
    #[arg(long)]
    pub compressed: bool,
    /// The domain's name on the destination.
    #[arg(long, value_name = "NAME")]
    pub dname: Option<String>,
    /// Where QEMU on the source sends the guest's state (tcp://HOST[:PORT]); default: the
    /// destination's migration_host, else its hostname.
    #[arg(long, value_name = "URI")]
    pub migrateuri: Option<String>,
    /// Limit the migration to N MiB/s.
    #[arg(long, value_name = "MiB/s")]
    pub bandwidth: Option<u64>,
    /// With --live: when the migration takes longer than N seconds, suspend the guest so that
    /// it completes (virsh's default action, --timeout-suspend).
    #[arg(long, value_name = "N", requires = "live",
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub timeout: Option<u64>,
    /// The action at --timeout: suspend the guest (the default, as virsh).
    #[arg(long, requires = "timeout")]
    pub timeout_suspend: bool,
    /// The domain XML the destination starts it with (ABI-compatible changes only: a title,
    /// a description, host-side paths).
    #[arg(long, value_name = "FILE")]
    pub xml: Option<String>,
    /// With --persistent: the definition the destination keeps (instead of the running one).
    #[arg(long, value_name = "FILE")]
    pub persistent_xml: Option<String>,
    /// The address the destination's QEMU listens on for the guest's state.
    #[arg(long, value_name = "ADDR")]
    pub listen_address: Option<String>,
    /// Send the guest's memory over several connections at once.
    #[arg(long)]
    pub parallel: bool,
    /// With --parallel: how many connections.
    #[arg(long, value_name = "N", requires = "parallel")]
    pub parallel_connections: Option<i32>,
    /// With --auto-converge: the first throttle of the vCPUs, in percent.
    #[arg(long, value_name = "N")]
    pub auto_converge_initial: Option<i32>,
    /// With --auto-converge: how much more each further throttle takes, in percent.
    #[arg(long, value_name = "N")]
    pub auto_converge_increment: Option<i32>,
    /// Show virsh's progress line ("Migration: [ 45 %]") on stderr.
    #[arg(long)]
    pub verbose: bool,
    /// Print progress records (NDJSON) on stdout before the result record (the default when
    /// stdout is a terminal).
    #[arg(long)]
    pub progress: bool,
}

/// One line of migrate's output: progress records while the job runs, then one result record.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum MigrateRecord {
    Progress(Progress),
    Result(Box<Migrated>),
}

/// The `record` field of a progress record (the tag is a field of each record type, so that each
/// type's closed schema declares it).
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProgressTag {
    #[default]
    Progress,
}

/// The `record` field of the result record.
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ResultTag {
    #[default]
    Result,
}

/// How far the migration job is, from libvirt's job info (what virsh --verbose shows).
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
pub struct Progress {
    /// Always "progress".
    pub record: ProgressTag,
    /// The domain.
    pub name: String,
    /// virsh's percentage: 100 - data_remaining * 100 / data_total.
    pub percent: u8,
    /// Bytes copied so far (memory and disks).
    pub data_processed: u64,
    /// Bytes left to copy (memory pages the guest dirties come back).
    pub data_remaining: u64,
    /// Bytes in all.
    pub data_total: u64,
    /// Milliseconds since the job started.
    pub time_elapsed_ms: u64,
}

/// What a migration did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Migrated {
    /// Always "result".
    pub record: ResultTag,
    /// The domain (its name on the source).
    pub name: String,
    pub uuid: String,
    /// "migrated", or "aborted" (a signal aborted the job; the exit code is then 128+N).
    pub outcome: String,
    /// True when the domain moved.
    pub changed: bool,
    /// The source's libvirt URI.
    pub source: String,
    /// The destination's libvirt URI, as given.
    pub destination: String,
    /// "direct" (this process talks to both daemons), "peer2peer", "tunnelled" or
    /// "hypervisor" (--direct).
    pub mode: String,
    pub live: bool,
    /// Where the domain runs now: "destination" or "source" (an aborted migration), or "none"
    /// (an offline migration of an inactive domain).
    pub running_on: String,
    /// virsh's word for its state on the destination ("running", "paused"); null when it is
    /// not there.
    pub destination_state: Option<String>,
    /// Defined (persistent) on the destination.
    pub destination_persistent: bool,
    /// Still defined on the source (false after --undefinesource, or for a transient domain).
    pub source_defined: bool,
    /// With --timeout: the guest was suspended when the migration took longer.
    pub suspended_at_timeout: bool,
    /// The last progress seen (null when the job ended before the first look).
    pub last_progress: Option<Progress>,
    /// Seconds the migration took.
    pub elapsed_secs: f64,
}

impl Render for MigrateRecord {
    /// virsh prints nothing on success; a progress record is virsh --verbose's line.
    fn text(&self, _style: TextStyle) -> String {
        match self {
            MigrateRecord::Progress(p) => format!("Migration: [{:3} %]\n", p.percent),
            MigrateRecord::Result(_) => String::new(),
        }
    }
}

impl Migrate {
    /// virsh's flags as libvirt's VIR_MIGRATE_* bits.
    fn flags(&self) -> u32 {
        let pairs = [
            (self.live, sys::VIR_MIGRATE_LIVE),
            (self.offline, sys::VIR_MIGRATE_OFFLINE),
            (self.p2p, sys::VIR_MIGRATE_PEER2PEER),
            (self.tunnelled, sys::VIR_MIGRATE_TUNNELLED),
            (self.persistent, sys::VIR_MIGRATE_PERSIST_DEST),
            (self.undefinesource, sys::VIR_MIGRATE_UNDEFINE_SOURCE),
            (self.suspend, sys::VIR_MIGRATE_PAUSED),
            (self.copy_storage_all, sys::VIR_MIGRATE_NON_SHARED_DISK),
            (self.copy_storage_inc, sys::VIR_MIGRATE_NON_SHARED_INC),
            (self.change_protection, sys::VIR_MIGRATE_CHANGE_PROTECTION),
            (self.unsafe_migration, sys::VIR_MIGRATE_UNSAFE),
            (self.abort_on_error, sys::VIR_MIGRATE_ABORT_ON_ERROR),
            (self.auto_converge, sys::VIR_MIGRATE_AUTO_CONVERGE),
            (self.compressed, sys::VIR_MIGRATE_COMPRESSED),
            (self.parallel, sys::VIR_MIGRATE_PARALLEL),
        ];
        pairs.iter().filter(|(on, _)| *on).fold(0, |a, (_, b)| a | b)
    }

    /// libvirt's migration parameters; --xml and --persistent-xml are read here (a file that
    /// cannot be read is exit 7, before anything is touched).
    fn params(&self) -> Result<MigrateParameters> {
        let read = |flag: &str, file: &Option<String>| -> Result<Option<String>> {
            let Some(file) = file else { return Ok(None) };
            std::fs::read_to_string(file)
                .map(Some)
                .map_err(|e| Error::invalid(format!("--{flag} {}: {e}", quote(file))))
        };
        Ok(MigrateParameters {
            uri: self.migrateuri.clone(),
            dest_name: self.dname.clone(),
            bandwidth: self.bandwidth,
            dest_xml: read("xml", &self.xml)?,
            persist_xml: read("persistent-xml", &self.persistent_xml)?,
            listen_address: self.listen_address.clone(),
            parallel_connections: self.parallel_connections,
            auto_converge_initial: self.auto_converge_initial,
            auto_converge_increment: self.auto_converge_increment,
            ..Default::default()
        })
    }

    fn mode(&self) -> &'static str {
        match (self.p2p, self.tunnelled, self.direct) {
            (_, true, _) => "tunnelled",
            (true, false, _) => "peer2peer",
            (false, false, true) => "hypervisor",
            _ => "direct",
        }
    }

    /// Input refused before anything is touched (exit 7), as virsh refuses it.
    fn check(&self) -> Result<()> {
        if self.offline && !self.persistent {
            return Err(Error::invalid("migrate --offline needs --persistent")
                .with_hint("an offline migration only copies the definition: add --persistent"));
        }
        if let Some(uri) = &self.migrateuri {
            if !uri.contains(':') || uri.chars().any(char::is_control) {
                return Err(Error::invalid(format!(
                    "--migrateuri {} is not a URI (tcp://HOST[:PORT])",
                    quote(uri)
                )));
            }
        }
        Ok(())
    }
}

/// The domain's state and definitions on both hosts once the migration ended.
fn migrated(args: &Migrate, dom: &Domain, dconn: &Connect, watch: Watch, source: String) -> Result<Migrated> {
    let name = args.domain.clone();
    let uuid = dom.get_uuid_string().libvirt("domain UUID")?;
    let there = Domain::lookup_by_uuid_string(dconn, &uuid).ok();
    let here_active = dom.is_active().unwrap_or(false);
    let aborted = matches!(watch.outcome, Outcome::Aborted(_));
    let running_on = match (&there, here_active) {
        (Some(d), _) if d.is_active().unwrap_or(false) => "destination",
        (_, true) => "source",
        _ => "none",
    };
    Ok(Migrated {
        record: ResultTag::Result,
        outcome: if aborted { "aborted" } else { "migrated" }.to_string(),
        changed: !aborted,
        source,
        destination: args.desturi.clone(),
        mode: args.mode().to_string(),
        live: args.live,
        running_on: running_on.to_string(),
        destination_state: there
            .as_ref()
            .filter(|d| d.is_active().unwrap_or(false))
            .map(|d| state_of(d).to_string()),
        destination_persistent: there.as_ref().is_some_and(|d| d.is_persistent().unwrap_or(false)),
        source_defined: dom.is_persistent().unwrap_or(false),
        suspended_at_timeout: watch.suspended,
        last_progress: watch.last,
        elapsed_secs: watch.started.elapsed().as_secs_f64(),
        name,
        uuid,
    })
}

impl Verb for Migrate {
    type Ctx = Session;
    type Output = MigrateRecord;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<MigrateRecord> {
        self.check()?;
        let params = self.params()?;
        let conn = ctx.conn()?.clone();
        let dom = resolve(&conn, &mut self.domain)?;
        let source = conn.get_uri().libvirt("connection URI")?;
        let dconn = connect_with(Some(&self.desturi), ctx.timeout()?)
            .map_err(|e| e.context(format!("migrate domain {}", quote(&self.domain))))?;
        let what = format!("migrate domain {} to {}", quote(&self.domain), self.desturi);
        let started = Instant::now();
        let job = spawn(&self, params, &dom, &dconn);
        let watch = watch::run(&self, &dom, job, started).map_err(|e| {
            e.context(&what)
                .with_hint("libvirt cancelled the migration: the domain stays on the source host as it was")
        })?;
        let result = migrated(&self, &dom, &dconn, watch, source)?;
        if let Some(signal) = result.aborted_by() {
            watch::print(&MigrateRecord::Result(Box::new(result)));
            return Err(vnet_common::signals::interrupted(signal)
                .context(&what)
                .with_hint("the migration job was aborted: the domain runs on the source host as before"));
        }
        journal.irreversible(what)?;
        Ok(MigrateRecord::Result(Box::new(result)))
    }
}

impl Migrated {
    /// The signal that aborted the migration (the outcome "aborted").
    fn aborted_by(&self) -> Option<i32> {
        (self.outcome == "aborted").then(|| vnet_common::signals::pending().unwrap_or(libc::SIGINT))
    }
}

/// Starts the migration on a thread of its own: libvirt's migrate calls block until the job ends,
/// and this thread must watch the job meanwhile.
fn spawn(
    args: &Migrate,
    params: MigrateParameters,
    dom: &Domain,
    dconn: &Connect,
) -> std::thread::JoinHandle<std::result::Result<(), virt::error::Error>> {
    let (dom, dconn) = (dom.clone(), dconn.clone());
    let (flags, desturi) = (args.flags(), args.desturi.clone());
    let to_uri = args.p2p || args.direct;
    std::thread::spawn(move || {
        // libvirt's last error is per thread: the crate reads it here, on the failing thread.
        if to_uri {
            dom.migrate_to_uri3(Some(&desturi), params, flags)
        } else {
            dom.migrate3(&dconn, params, flags).map(drop)
        }
    })
}

#[cfg(test)]
mod tests;
