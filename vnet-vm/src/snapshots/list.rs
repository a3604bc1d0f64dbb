//! snapshot-list: a domain's snapshots as virsh lists them (a table, names, or a tree).

use super::{domain_name, facts, time_text, Facts};
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain_snapshot::DomainSnapshot;
use virt::sys;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{table, Journal, Render, Result, TextStyle, Verb};

/// List a domain's snapshots (virsh snapshot-list).
///
/// Sorted by name, as virsh sorts them (--topological: parents before children, libvirt's
/// order); -o json gives every field whatever the layout flags. The filters are libvirt's
/// (VIR_DOMAIN_SNAPSHOT_LIST_*): each narrows the list, and the two of a pair together (--leaves
/// --no-leaves) keep both kinds, as in virsh.
#[derive(Debug, clap::Args)]
pub struct SnapshotList {
    pub domain: String,
    /// Only the children of this snapshot (with --descendants: all its descendants; --tree
    /// roots the tree there). An unknown name is exit 3.
    #[arg(long, value_name = "SNAPSHOT", conflicts_with = "current")]
    pub from: Option<String>,
    /// Sort parents before their children (libvirt's topological order) rather than by name.
    #[arg(long)]
    pub topological: bool,
    #[command(flatten)]
    pub filters: SnapshotFilters,
    /// Names only, one per line.
    #[arg(long, conflicts_with_all = ["tree", "parent"])]
    pub name: bool,
    /// The snapshots as a tree of parents and children.
    #[arg(long, conflicts_with = "parent")]
    pub tree: bool,
    /// Only the children of the current snapshot (--descendants: all its descendants; --tree
    /// roots the tree there).
    #[arg(long)]
    pub current: bool,
    /// With --current or --from: every descendant, not only the direct children (without
    /// either: exit 2, as virsh refuses it).
    #[arg(long)]
    pub descendants: bool,
    /// Add each snapshot's parent as a column.
    #[arg(long)]
    pub parent: bool,
}

/// virsh snapshot-list's filters, libvirt's VIR_DOMAIN_SNAPSHOT_LIST_* flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SnapshotFilters {
    /// Only snapshots without a parent.
    #[arg(long, conflicts_with_all = ["parent", "tree", "from", "current"])]
    pub roots: bool,
    /// Only snapshots without children.
    #[arg(long, conflicts_with = "tree")]
    pub leaves: bool,
    /// Only snapshots with children.
    #[arg(long, conflicts_with = "tree")]
    pub no_leaves: bool,
    /// Only snapshots with libvirt metadata (those that keep undefine from working).
    #[arg(long)]
    pub metadata: bool,
    /// Only snapshots without libvirt metadata.
    #[arg(long)]
    pub no_metadata: bool,
    /// Only snapshots taken while the domain was shut off.
    #[arg(long, conflicts_with = "tree")]
    pub inactive: bool,
    /// Only snapshots taken while the domain ran (system checkpoints).
    #[arg(long, conflicts_with = "tree")]
    pub active: bool,
    /// Only disk-only snapshots.
    #[arg(long, conflicts_with = "tree")]
    pub disk_only: bool,
    /// Only internal snapshots (inside the qcow2 images).
    #[arg(long, conflicts_with = "tree")]
    pub internal: bool,
    /// Only external snapshots (overlay files).
    #[arg(long, conflicts_with = "tree")]
    pub external: bool,
}

impl SnapshotFilters {
    fn bits(&self) -> u32 {
        let pairs = [
            (self.roots, sys::VIR_DOMAIN_SNAPSHOT_LIST_ROOTS),
            (self.leaves, sys::VIR_DOMAIN_SNAPSHOT_LIST_LEAVES),
            (self.no_leaves, sys::VIR_DOMAIN_SNAPSHOT_LIST_NO_LEAVES),
            (self.metadata, sys::VIR_DOMAIN_SNAPSHOT_LIST_METADATA),
            (self.no_metadata, sys::VIR_DOMAIN_SNAPSHOT_LIST_NO_METADATA),
            (self.inactive, sys::VIR_DOMAIN_SNAPSHOT_LIST_INACTIVE),
            (self.active, sys::VIR_DOMAIN_SNAPSHOT_LIST_ACTIVE),
            (self.disk_only, sys::VIR_DOMAIN_SNAPSHOT_LIST_DISK_ONLY),
            (self.internal, sys::VIR_DOMAIN_SNAPSHOT_LIST_INTERNAL),
            (self.external, sys::VIR_DOMAIN_SNAPSHOT_LIST_EXTERNAL),
        ];
        pairs.iter().filter(|(on, _)| *on).fold(0, |a, (_, b)| a | b)
    }
}

/// One snapshot of `snapshot-list`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SnapshotRow {
    pub name: String,
    /// virsh's "Creation Time": "%Y-%m-%d %H:%M:%S %z" in local time.
    pub creation_time: String,
    /// Seconds since the epoch.
    pub creation_epoch: i64,
    /// The domain's state it recorded: running, shutoff, paused, disk-snapshot...
    pub state: String,
    /// Its parent snapshot; null for a root.
    pub parent: Option<String>,
    /// True for the domain's current snapshot.
    pub current: bool,
    pub description: Option<String>,
}

/// How `-o text` lays the list out.
#[derive(Debug, Clone, Copy, Default)]
enum Layout {
    #[default]
    Table,
    WithParent,
    Names,
    Tree,
}

/// The snapshots `snapshot-list` found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct SnapshotRows(
    pub Vec<SnapshotRow>,
    #[serde(skip)]
    #[schemars(skip)]
    Layout,
);

impl Render for SnapshotRows {
    fn text(&self, style: TextStyle) -> String {
        match self.1 {
            Layout::Names => vnet_common::libvirt::names_document(self.0.iter().map(|r| r.name.as_str()), 0),
            Layout::Tree => tree(&self.0),
            Layout::Table | Layout::WithParent => {
                let parent = matches!(self.1, Layout::WithParent);
                let rows: Vec<Vec<String>> = self.0.iter().map(|r| row(r, parent)).collect();
                let mut headers = vec!["Name", "Creation Time", "State"];
                if parent {
                    headers.push("Parent");
                }
                table::render(&headers, &rows, style)
            }
        }
    }
}

fn row(r: &SnapshotRow, parent: bool) -> Vec<String> {
    let mut cells = vec![r.name.clone(), r.creation_time.clone(), r.state.clone()];
    if parent {
        cells.push(r.parent.clone().unwrap_or_default());
    }
    cells
}

/// virsh's tree (vshTreePrint): each root, then its children indented under "+- " with "|"
/// continuing the lines of a parent that has later children.
fn tree(rows: &[SnapshotRow]) -> String {
    let mut out = String::new();
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    for (i, r) in rows.iter().enumerate() {
        let parent_listed = r.parent.as_deref().is_some_and(|p| names.contains(&p));
        if !parent_listed {
            branch(rows, i, i, true, &mut String::new(), &mut out);
        }
    }
    // virsh ends the tree with one more empty line.
    out.push('\n');
    out
}

fn branch(rows: &[SnapshotRow], at: usize, last: usize, root: bool, indent: &mut String, out: &mut String) {
    let name = rows[at].name.as_str();
    out.push_str(&format!("{indent}{}{name}\n", if root { "" } else { "+- " }));
    if !root {
        indent.push_str(if at == last { "  " } else { "| " });
    }
    let children: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].parent.as_deref() == Some(name))
        .collect();
    if !children.is_empty() {
        out.push_str(&format!("{indent}  |\n"));
    }
    indent.push_str("  ");
    let last_child = children.last().copied().unwrap_or(usize::MAX);
    for child in children {
        branch(rows, child, last_child, false, indent, out);
    }
    indent.truncate(indent.len() - 2);
    if last_child == usize::MAX && at == last {
        out.push_str(&format!("{indent}\n"));
    }
    if !root {
        indent.truncate(indent.len() - 2);
    }
}

impl Verb for SnapshotList {
    type Ctx = Session;
    type Output = SnapshotRows;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<SnapshotRows> {
        let start = match (&self.from, self.current) {
            (Some(name), _) => Some(Some(name.as_str())),
            (None, true) => Some(None),
            (None, false) => None,
        };
        if self.descendants && start.is_none() {
            return Err(vnet_common::Error::new(
                vnet_common::ErrorKind::Usage,
                "--descendants requires either --from or --current",
            ));
        }
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let what = format!("snapshots of domain {}", domain_name(&dom)?);
        let order = if self.topological {
            sys::VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL
        } else {
            0
        };
        let flags = self.filters.bits() | order;
        let snaps = match start {
            None => dom.list_all_snapshots(flags).libvirt(&what)?,
            Some(from) => children(&dom, from, flags, (self.descendants, self.tree))?,
        };
        let current = DomainSnapshot::current(&dom, 0)
            .ok()
            .and_then(|s| s.get_name().ok());
        virt::error::clear_error_callback();
        let mut rows = Vec::new();
        for snap in &snaps {
            let f = facts(snap)?;
            rows.push(snapshot_row(f, current.as_deref()));
        }
        if !self.topological {
            rows.sort_by_key(|r| r.name.to_lowercase());
        }
        let layout = match (self.name, self.tree, self.parent) {
            (true, _, _) => Layout::Names,
            (_, true, _) => Layout::Tree,
            (_, _, true) => Layout::WithParent,
            _ => Layout::Table,
        };
        Ok(SnapshotRows(rows, layout))
    }
}

/// --from NAME or --current (`from` None): that snapshot's children passing `flags` (all
/// descendants with `all`: --descendants), and itself first with `itself` (--tree roots the
/// tree there, as virsh does). An unknown snapshot, or no current one: exit 3.
fn children(
    dom: &virt::domain::Domain,
    from: Option<&str>,
    flags: u32,
    (all, itself): (bool, bool),
) -> Result<Vec<DomainSnapshot>> {
    let start = super::find(dom, &domain_name(dom)?, from)?;
    let all = if all {
        sys::VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS
    } else {
        0
    };
    let mut snaps = start
        .list_all_children(flags | all)
        .libvirt("snapshot children")?;
    if itself {
        snaps.insert(0, start);
    }
    Ok(snaps)
}

fn snapshot_row(f: Facts, current: Option<&str>) -> SnapshotRow {
    SnapshotRow {
        creation_time: time_text(f.creation_time),
        creation_epoch: f.creation_time,
        current: current == Some(f.name.as_str()),
        state: f.state,
        parent: f.parent,
        description: f.description,
        name: f.name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str, parent: Option<&str>) -> SnapshotRow {
        SnapshotRow {
            name: name.into(),
            creation_time: String::new(),
            creation_epoch: 0,
            state: "running".into(),
            parent: parent.map(String::from),
            current: false,
            description: None,
        }
    }

    #[test]
    fn tree_is_virsh_layout() {
        let rows = [
            r("a", None),
            r("b", Some("a")),
            r("c", Some("a")),
            r("d", Some("b")),
        ];
        let want = "a\n  |\n  +- b\n  |   |\n  |   +- d\n  |     \n  +- c\n    \n\n";
        assert_eq!(tree(&rows), want);
    }
}
