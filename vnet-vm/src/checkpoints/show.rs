//! checkpoint-list, checkpoint-info, checkpoint-dumpxml, checkpoint-parent and checkpoint-delete,
//! with virsh's flags and layouts.

use super::Checkpoint;
use crate::snapshots::{domain_name, time_text};
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::xpath::{self, XpathArgs};
use vnet_common::libvirt::Session;
use vnet_common::{table, Error, Journal, Render, Result, TextStyle, Verb};

/// What a checkpoint's XML says about it (read without the domain).
struct Facts {
    name: String,
    parent: Option<String>,
    creation_epoch: i64,
}

fn facts(c: &Checkpoint) -> Result<Facts> {
    let xml = c.xml(sys::VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN)?;
    let doc =
        vnet_common::libvirt::xml::parse(&xml).map_err(|e| Error::failed(format!("checkpoint XML: {e}")))?;
    Ok(Facts {
        name: c.name(),
        parent: doc.text_at(&["parent", "name"]),
        creation_epoch: doc
            .text_at(&["creationTime"])
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0),
    })
}

/// List a domain's checkpoints (virsh checkpoint-list).
///
/// Sorted by name as virsh sorts them (--topological: parents before children). --from NAME
/// lists that checkpoint's children (--descendants: all below it; an unknown one is exit 3).
/// --tree prints virsh's tree of parents and children in -o text (with --from: rooted at that
/// checkpoint, which the rows then include); the JSON rows are the same.
#[derive(Debug, clap::Args)]
pub struct CheckpointList {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Add the Parent column.
    #[arg(long)]
    pub parent: bool,
    /// Only checkpoints without a parent.
    #[arg(long, conflicts_with = "from")]
    pub roots: bool,
    /// Only checkpoints without children.
    #[arg(long)]
    pub leaves: bool,
    /// Only checkpoints with children.
    #[arg(long)]
    pub no_leaves: bool,
    /// Only the children of this checkpoint.
    #[arg(long, value_name = "NAME")]
    pub from: Option<String>,
    /// With --from: all its descendants, not only its children.
    #[arg(long, requires = "from")]
    pub descendants: bool,
    /// Names only (one per line in -o text).
    #[arg(long, conflicts_with = "parent")]
    pub name: bool,
    /// -o text: the checkpoints as a tree of parents and children.
    #[arg(long, conflicts_with_all = ["name", "parent", "roots", "leaves", "no_leaves"])]
    pub tree: bool,
    /// Parents before their children.
    #[arg(long)]
    pub topological: bool,
}

/// One checkpoint of checkpoint-list.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckpointRow {
    pub name: String,
    /// virsh's "Creation Time": "%Y-%m-%d %H:%M:%S %z" in local time.
    pub creation_time: String,
    /// Seconds since the epoch.
    pub creation_epoch: i64,
    /// Its parent checkpoint; null for a root.
    pub parent: Option<String>,
}

/// The checkpoints checkpoint-list found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct CheckpointRows {
    pub rows: Vec<CheckpointRow>,
    /// -o text: 0 the table, 1 with Parent, 2 names, 3 the tree.
    #[serde(skip)]
    #[schemars(skip)]
    layout: u8,
    /// --tree --from: the checkpoint the tree is rooted at (virsh leaves out its parent).
    #[serde(skip)]
    #[schemars(skip)]
    root: Option<String>,
}

impl Render for CheckpointRows {
    fn text(&self, style: TextStyle) -> String {
        if self.layout == 3 {
            let rows: Vec<(String, Option<String>)> = (self.rows.iter())
                .map(|r| match self.root.as_ref() == Some(&r.name) {
                    true => (r.name.clone(), None),
                    false => (r.name.clone(), r.parent.clone()),
                })
                .collect();
            return crate::nodedev::tree(&rows);
        }
        if self.layout == 2 {
            return vnet_common::libvirt::names_document(self.rows.iter().map(|r| r.name.as_str()), 0);
        }
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                let mut cells = vec![r.name.clone(), r.creation_time.clone()];
                if self.layout == 1 {
                    cells.push(r.parent.clone().unwrap_or_default());
                }
                cells
            })
            .collect();
        let mut headers = vec!["Name", "Creation Time"];
        if self.layout == 1 {
            headers.push("Parent");
        }
        table::render(&headers, &rows, style)
    }
}

impl CheckpointList {
    fn bits(&self) -> u32 {
        let pairs = [
            (self.roots, sys::VIR_DOMAIN_CHECKPOINT_LIST_ROOTS),
            (self.leaves, sys::VIR_DOMAIN_CHECKPOINT_LIST_LEAVES),
            (self.no_leaves, sys::VIR_DOMAIN_CHECKPOINT_LIST_NO_LEAVES),
            (self.topological, sys::VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL),
        ];
        pairs
            .iter()
            .filter(|(on, _)| *on)
            .fold(0, |acc, (_, bit)| acc | bit)
    }

    fn found(&self, dom: &Domain, domain: &str) -> Result<Vec<Checkpoint>> {
        let Some(from) = &self.from else {
            return Checkpoint::list(dom, self.bits());
        };
        let mut flags = self.bits();
        if self.descendants {
            flags |= sys::VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS;
        }
        let start = Checkpoint::lookup(dom, domain, from)?;
        let mut found = start.children(flags)?;
        // virsh's tree from --from shows that checkpoint as its root.
        if self.tree {
            found.push(start);
        }
        Ok(found)
    }
}

impl Verb for CheckpointList {
    type Ctx = Session;
    type Output = CheckpointRows;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<CheckpointRows> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let domain = domain_name(&dom)?;
        let mut rows = Vec::new();
        for c in self.found(&dom, &domain)? {
            let f = facts(&c)?;
            rows.push(CheckpointRow {
                name: f.name,
                creation_time: time_text(f.creation_epoch),
                creation_epoch: f.creation_epoch,
                parent: f.parent,
            });
        }
        if !self.topological {
            rows.sort_by_key(|r| r.name.to_lowercase());
        }
        let layout = match (self.tree, self.name, self.parent) {
            (true, _, _) => 3,
            (false, true, _) => 2,
            (false, false, true) => 1,
            (false, false, false) => 0,
        };
        let root = self.from.filter(|_| self.tree);
        Ok(CheckpointRows { rows, layout, root })
    }
}

/// A checkpoint's facts (virsh checkpoint-info).
#[derive(Debug, clap::Args)]
pub struct CheckpointInfo {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The checkpoint (also --checkpointname); an unknown one is exit 3.
    pub checkpointname: String,
}

/// One checkpoint, as virsh checkpoint-info shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckpointFacts {
    pub name: String,
    pub domain: String,
    /// Its parent checkpoint; null for a root ("-" in -o text).
    pub parent: Option<String>,
    /// Direct children.
    pub children: usize,
    /// All checkpoints below it.
    pub descendants: usize,
}

impl Render for CheckpointFacts {
    fn text(&self, _style: TextStyle) -> String {
        let lines = [
            ("Name:", self.name.clone()),
            ("Domain:", self.domain.clone()),
            ("Parent:", self.parent.clone().unwrap_or_else(|| "-".into())),
            ("Children:", self.children.to_string()),
            ("Descendants:", self.descendants.to_string()),
        ];
        let mut out: String = lines.iter().map(|(k, v)| format!("{k:<15} {v}\n")).collect();
        out.push('\n');
        out
    }
}

impl Verb for CheckpointInfo {
    type Ctx = Session;
    type Output = CheckpointFacts;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<CheckpointFacts> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let domain = domain_name(&dom)?;
        let c = Checkpoint::lookup(&dom, &domain, &self.checkpointname)?;
        Ok(CheckpointFacts {
            name: c.name(),
            parent: facts(&c)?.parent,
            children: c.children(0)?.len(),
            descendants: c.children(sys::VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS)?.len(),
            domain,
        })
    }
}

/// Print a checkpoint's XML (virsh checkpoint-dumpxml).
#[derive(Debug, clap::Args)]
pub struct CheckpointDumpxml {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The checkpoint (also --checkpointname); an unknown one is exit 3.
    pub checkpointname: String,
    /// Include security-sensitive information.
    #[arg(long)]
    pub security_info: bool,
    /// Leave the domain's definition out.
    #[arg(long)]
    pub no_domain: bool,
    /// Add each disk's current size of the bitmap's changes (a running domain only).
    #[arg(long)]
    pub size: bool,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

/// A checkpoint's XML: printed itself, the JSON with -o json.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckpointXml {
    pub domain: String,
    pub name: String,
    /// The whole `<domaincheckpoint>` document.
    pub xml: String,
    /// With --xpath: the selected nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Vec<String>>,
    #[serde(skip)]
    #[schemars(skip)]
    shown: String,
}

impl Render for CheckpointXml {
    fn text(&self, _style: TextStyle) -> String {
        self.shown.clone()
    }

    fn document(&self) -> Option<&str> {
        Some(&self.shown)
    }
}

impl Verb for CheckpointDumpxml {
    type Ctx = Session;
    type Output = CheckpointXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<CheckpointXml> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let domain = domain_name(&dom)?;
        let c = Checkpoint::lookup(&dom, &domain, &self.checkpointname)?;
        let pairs = [
            (self.security_info, sys::VIR_DOMAIN_CHECKPOINT_XML_SECURE),
            (self.no_domain, sys::VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN),
            (self.size, sys::VIR_DOMAIN_CHECKPOINT_XML_SIZE),
        ];
        let flags = pairs
            .iter()
            .filter(|(on, _)| *on)
            .fold(0, |acc, (_, bit)| acc | bit);
        let xml = c.xml(flags)?;
        let nodes = self.xpath.select(&xml)?;
        let shown = match &nodes {
            Some(nodes) => format!("{}\n", xpath::document(nodes)),
            // virsh prints the document and a newline after it.
            None => format!("{xml}\n"),
        };
        Ok(CheckpointXml {
            domain,
            name: c.name(),
            xml,
            nodes,
            shown,
        })
    }
}

/// The name of a checkpoint's parent (virsh checkpoint-parent); a root, or an unknown
/// checkpoint, is exit 3.
#[derive(Debug, clap::Args)]
pub struct CheckpointParent {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The checkpoint (also --checkpointname).
    pub checkpointname: String,
}

/// A checkpoint and its parent.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckpointParentName {
    pub domain: String,
    pub checkpoint: String,
    /// The parent checkpoint's name.
    pub parent: String,
}

/// virsh's line: the parent's name alone.
impl Render for CheckpointParentName {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n", self.parent)
    }
}

impl Verb for CheckpointParent {
    type Ctx = Session;
    type Output = CheckpointParentName;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<CheckpointParentName> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let domain = domain_name(&dom)?;
        let c = Checkpoint::lookup(&dom, &domain, &self.checkpointname)?;
        let checkpoint = c.name();
        let Some(parent) = c.parent()? else {
            return Err(Error::not_found(format!(
                "checkpoint {} has no parent",
                quote(&checkpoint)
            )));
        };
        Ok(CheckpointParentName {
            domain,
            checkpoint,
            parent: parent.name(),
        })
    }
}

/// Delete a checkpoint (virsh checkpoint-delete): its bitmaps go from the disks (--metadata:
/// only libvirt's record of it). --children also deletes all below it, --children-only only
/// them. An unknown checkpoint is exit 3, nothing deleted. Not undone (the bitmaps are gone).
#[derive(Debug, clap::Args)]
pub struct CheckpointDelete {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The checkpoint (also --checkpointname).
    pub checkpointname: String,
    /// Also delete its descendants.
    #[arg(long, conflicts_with = "children_only")]
    pub children: bool,
    /// Delete its descendants only, keeping it.
    #[arg(long)]
    pub children_only: bool,
    /// Delete libvirt's record only, keeping the bitmaps.
    #[arg(long)]
    pub metadata: bool,
}

/// A checkpoint after checkpoint-delete.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckpointDeleted {
    pub domain: String,
    pub checkpoint: String,
    /// Always true: something was deleted.
    pub changed: bool,
    /// The checkpoints deleted (itself and/or its descendants).
    pub deleted: Vec<String>,
    #[serde(skip)]
    #[schemars(skip)]
    children_only: bool,
}

impl Render for CheckpointDeleted {
    fn text(&self, _style: TextStyle) -> String {
        match self.children_only {
            true => format!("Domain checkpoint {} children deleted\n\n", self.checkpoint),
            false => format!("Domain checkpoint {} deleted\n\n", self.checkpoint),
        }
    }
}

impl Verb for CheckpointDelete {
    type Ctx = Session;
    type Output = CheckpointDeleted;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<CheckpointDeleted> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let domain = domain_name(&dom)?;
        let c = Checkpoint::lookup(&dom, &domain, &self.checkpointname)?;
        let checkpoint = c.name();
        let mut deleted = Vec::new();
        if !self.children_only {
            deleted.push(checkpoint.clone());
        }
        if self.children || self.children_only {
            let below = c.children(sys::VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS)?;
            deleted.extend(below.iter().map(Checkpoint::name));
        }
        let pairs = [
            (self.children, sys::VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN),
            (
                self.children_only,
                sys::VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY,
            ),
            (self.metadata, sys::VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY),
        ];
        let flags = pairs
            .iter()
            .filter(|(on, _)| *on)
            .fold(0, |acc, (_, bit)| acc | bit);
        c.delete(flags)
            .map_err(|e| e.context(format!("domain {}", quote(&domain))))?;
        journal.irreversible(format!("delete checkpoint {checkpoint} of domain {domain}"))?;
        Ok(CheckpointDeleted {
            domain,
            checkpoint,
            changed: true,
            deleted,
            children_only: self.children_only,
        })
    }
}
