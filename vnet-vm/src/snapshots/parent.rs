//! snapshot-parent: the name of a snapshot's parent, as virsh prints it.

use super::{domain_name, find, named};
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// The name of a snapshot's parent (virsh snapshot-parent).
///
/// The snapshot named (positional or --snapshotname) or with --current the domain's current one;
/// one of them is required, as virsh requires it. A snapshot without a parent, or an unknown
/// one, is exit 3.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["snapshotname", "snapshotname_flag", "current"]))]
pub struct SnapshotParent {
    /// The domain: name, ID or UUID.
    pub domain: String,
    #[arg(conflicts_with_all = ["snapshotname_flag", "current"])]
    pub snapshotname: Option<String>,
    /// The snapshot's name (virsh's flag form).
    #[arg(
        long = "snapshotname",
        id = "snapshotname_flag",
        value_name = "NAME",
        conflicts_with = "current"
    )]
    pub snapshotname_flag: Option<String>,
    /// The domain's current snapshot.
    #[arg(long)]
    pub current: bool,
}

/// A snapshot and its parent.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SnapshotParentName {
    pub domain: String,
    pub snapshot: String,
    /// The parent snapshot's name.
    pub parent: String,
}

/// virsh's line: the parent's name alone.
impl Render for SnapshotParentName {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n", self.parent)
    }
}

impl Verb for SnapshotParent {
    type Ctx = Session;
    type Output = SnapshotParentName;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<SnapshotParentName> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let domain = domain_name(&dom)?;
        let name = named(self.snapshotname, self.snapshotname_flag);
        let snap = find(&dom, &domain, name.as_deref())?;
        let snapshot = snap.get_name().libvirt("snapshot name")?;
        let parent = match snap.get_parent(0) {
            Ok(parent) => parent.get_name().libvirt("snapshot name")?,
            Err(e) if e.code() == virt::error::ErrorNumber::NoDomainSnapshot => {
                return Err(Error::not_found(format!(
                    "snapshot {} has no parent",
                    quote(&snapshot)
                )))
            }
            Err(e) => {
                return Err(vnet_common::libvirt::error(e)
                    .context(format!("parent of snapshot {}", quote(&snapshot))))
            }
        };
        Ok(SnapshotParentName {
            domain,
            snapshot,
            parent,
        })
    }
}
