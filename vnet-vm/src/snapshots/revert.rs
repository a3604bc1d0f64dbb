//! snapshot-revert and snapshot-delete: the two verbs that change what a snapshot holds or is.
//! Neither can be undone (reverting drops the domain's state since; deleting drops the snapshot's
//! data), so both check everything they can before acting and record themselves as irreversible.

use super::{domain_name, find, named};
use crate::domains::lookup::state_of;
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain_snapshot::DomainSnapshot;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

/// Which snapshot: a name (positional or --snapshotname) or --current (the default, as virsh).
#[derive(Debug, Clone, clap::Args)]
pub struct WhichSnapshot {
    #[arg(conflicts_with_all = ["snapshotname_flag", "current"])]
    pub snapshotname: Option<String>,
    /// The snapshot's name (virsh's flag form).
    #[arg(long = "snapshotname", id = "snapshotname_flag", value_name = "NAME")]
    pub snapshotname_flag: Option<String>,
    /// The domain's current snapshot.
    #[arg(long)]
    pub current: bool,
}

impl WhichSnapshot {
    fn find(self, dom: &virt::domain::Domain, domain: &str) -> Result<DomainSnapshot> {
        find(
            dom,
            domain,
            named(self.snapshotname, self.snapshotname_flag).as_deref(),
        )
    }
}

/// Revert a domain to a snapshot (virsh snapshot-revert).
///
/// The domain ends in the snapshot's state unless --running or --paused says otherwise. Whatever
/// the domain held since is lost: cannot be undone. An unknown snapshot is exit 3, nothing changed.
#[derive(Debug, clap::Args)]
pub struct SnapshotRevert {
    pub domain: String,
    #[command(flatten)]
    pub which: WhichSnapshot,
    /// Leave the domain running afterwards.
    #[arg(long, conflicts_with = "paused")]
    pub running: bool,
    /// Leave the domain paused afterwards.
    #[arg(long)]
    pub paused: bool,
    /// Revert even where libvirt calls it risky (a changed configuration, a running domain).
    #[arg(long)]
    pub force: bool,
    /// Re-initialize a UEFI guest's NVRAM from its template while reverting.
    #[arg(long)]
    pub reset_nvram: bool,
}

/// The domain after snapshot-revert.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SnapshotReverted {
    pub domain: String,
    /// The snapshot reverted to.
    pub snapshot: String,
    /// Always true.
    pub changed: bool,
    /// virsh's word for the domain's state now.
    pub state: String,
}

impl Render for SnapshotReverted {}

impl Verb for SnapshotRevert {
    type Ctx = Session;
    type Output = SnapshotReverted;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SnapshotReverted> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let domain = domain_name(&dom)?;
        let snap = self.which.find(&dom, &domain)?;
        let snapshot = snap.get_name().libvirt("snapshot name")?;
        let bits = [
            (self.running, sys::VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING),
            (self.paused, sys::VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED),
            (self.force, sys::VIR_DOMAIN_SNAPSHOT_REVERT_FORCE),
            (self.reset_nvram, sys::VIR_DOMAIN_SNAPSHOT_REVERT_RESET_NVRAM),
        ];
        let flags = bits.iter().filter(|(on, _)| *on).fold(0, |acc, (_, b)| acc | b);
        let what = format!(
            "revert domain {} to snapshot {}",
            quote(&domain),
            quote(&snapshot)
        );
        snap.revert(flags).libvirt(&what)?;
        journal.irreversible(format!("revert domain {domain} to snapshot {snapshot}"))?;
        Ok(SnapshotReverted {
            state: state_of(&dom).to_string(),
            changed: true,
            domain,
            snapshot,
        })
    }
}

/// Delete a snapshot (virsh snapshot-delete).
///
/// --children deletes its descendants too, --children-only only them; --metadata forgets it in
/// libvirt and leaves its data on the disks. Cannot be undone. An unknown snapshot is exit 3.
#[derive(Debug, clap::Args)]
pub struct SnapshotDelete {
    pub domain: String,
    #[command(flatten)]
    pub which: WhichSnapshot,
    /// Delete its descendants too.
    #[arg(long, conflicts_with = "children_only")]
    pub children: bool,
    /// Delete only its descendants.
    #[arg(long)]
    pub children_only: bool,
    /// Delete libvirt's metadata only, not the snapshot's data.
    #[arg(long)]
    pub metadata: bool,
}

/// What snapshot-delete removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SnapshotDeleted {
    pub domain: String,
    /// The snapshot named.
    pub snapshot: String,
    /// Always true.
    pub changed: bool,
    /// Every snapshot removed, in the order libvirt lists them.
    pub deleted: Vec<String>,
    /// True with --metadata: the data stays on the disks.
    pub metadata_only: bool,
    #[serde(skip)]
    #[schemars(skip)]
    children_only: bool,
}

impl Render for SnapshotDeleted {
    fn text(&self, _style: TextStyle) -> String {
        match self.children_only {
            true => format!("Domain snapshot {} children deleted\n", self.snapshot),
            false => format!("Domain snapshot {} deleted\n", self.snapshot),
        }
    }
}

impl Verb for SnapshotDelete {
    type Ctx = Session;
    type Output = SnapshotDeleted;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SnapshotDeleted> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let domain = domain_name(&dom)?;
        let snap = self.which.find(&dom, &domain)?;
        let snapshot = snap.get_name().libvirt("snapshot name")?;
        let descendants = || -> Result<Vec<String>> {
            let all = snap.list_all_children(sys::VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS);
            let all = all.libvirt("snapshot descendants")?;
            Ok(all.iter().filter_map(|s| s.get_name().ok()).collect())
        };
        let mut deleted = match self.children || self.children_only {
            true => descendants()?,
            false => Vec::new(),
        };
        if !self.children_only {
            deleted.insert(0, snapshot.clone());
        }
        let bits = [
            (self.children, sys::VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN),
            (self.children_only, sys::VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY),
            (self.metadata, sys::VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY),
        ];
        let flags = bits.iter().filter(|(on, _)| *on).fold(0, |acc, (_, b)| acc | b);
        let what = format!(
            "delete snapshot {} of domain {}",
            quote(&snapshot),
            quote(&domain)
        );
        snap.delete(flags).libvirt(&what)?;
        journal.irreversible(format!("delete snapshot {snapshot} of domain {domain}"))?;
        Ok(SnapshotDeleted {
            domain,
            snapshot,
            changed: true,
            deleted,
            metadata_only: self.metadata,
            children_only: self.children_only,
        })
    }
}
