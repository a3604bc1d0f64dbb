//! snapshot-current, snapshot-info and snapshot-dumpxml: one snapshot, as virsh shows it.

use super::{domain_name, facts, find, named};
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain_snapshot::DomainSnapshot;
use virt::sys;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::xpath::{self, XpathArgs};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

/// A snapshot's XML document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SnapshotXml {
    pub domain: String,
    pub name: String,
    /// The <domainsnapshot> document as libvirt gives it.
    pub xml: String,
    /// With snapshot-dumpxml --xpath, each selected node's XML as printed (with --wrap, the one
    /// `<nodes>` element); null otherwise.
    pub nodes: Option<Vec<String>>,
    /// With snapshot-current SNAPSHOTNAME: true when it was made current, false when it was
    /// already; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<bool>,
    /// What is printed: the document, or with snapshot-current --name the name.
    #[serde(skip)]
    #[schemars(skip)]
    shown: String,
}

impl Render for SnapshotXml {
    fn text(&self, _style: TextStyle) -> String {
        self.shown.clone()
    }

    /// A snapshot made current is a change: JSON by default, virsh's line with -o text.
    fn document(&self) -> Option<&str> {
        self.changed.is_none().then_some(self.shown.as_str())
    }
}

/// The domain's current snapshot (virsh snapshot-current): its XML, or with --name its name;
/// with a SNAPSHOTNAME, make that snapshot the current one ("changed": false when it is).
///
/// A domain without one is exit 3, a missing SNAPSHOTNAME too. Undone on a later failure: the
/// snapshot current before is made current again.
#[derive(Debug, clap::Args)]
pub struct SnapshotCurrent {
    pub domain: String,
    /// The snapshot to make current (also --snapshotname, as virsh takes it).
    #[arg(value_name = "SNAPSHOTNAME", conflicts_with_all = ["snapshotname_flag", "name"])]
    pub snapshotname: Option<String>,
    /// The snapshot to make current.
    #[arg(
        long = "snapshotname",
        id = "snapshotname_flag",
        value_name = "NAME",
        conflicts_with = "name"
    )]
    pub snapshotname_flag: Option<String>,
    /// Print the name only.
    #[arg(long)]
    pub name: bool,
    /// Leave out security-sensitive parts of the domain XML inside.
    #[arg(long)]
    pub security_info: bool,
}

impl Verb for SnapshotCurrent {
    type Ctx = Session;
    type Output = SnapshotXml;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SnapshotXml> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let domain = domain_name(&dom)?;
        let chosen = named(self.snapshotname, self.snapshotname_flag);
        let changed = match &chosen {
            Some(name) => Some(super::redefine::make_current(&dom, &domain, name, journal)?),
            None => None,
        };
        let snap = find(&dom, &domain, chosen.as_deref())?;
        let mut out = document(&snap, domain, self.security_info)?;
        if self.name {
            out.shown = format!("{}\n", out.name);
        }
        if changed.is_some() {
            out.shown = format!("Snapshot {} set as current\n", out.name);
        }
        out.changed = changed;
        Ok(out)
    }
}

/// Print a snapshot's XML (virsh snapshot-dumpxml).
#[derive(Debug, clap::Args)]
pub struct SnapshotDumpxml {
    pub domain: String,
    pub snapshotname: String,
    /// Include security-sensitive information.
    #[arg(long)]
    pub security_info: bool,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

impl Verb for SnapshotDumpxml {
    type Ctx = Session;
    type Output = SnapshotXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<SnapshotXml> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let domain = domain_name(&dom)?;
        let snap = find(&dom, &domain, Some(&self.snapshotname))?;
        let mut out = document(&snap, domain, self.security_info)?;
        out.nodes = self.xpath.select(&out.xml)?;
        if let Some(nodes) = &out.nodes {
            out.shown = format!("{}\n", xpath::document(nodes));
        }
        Ok(out)
    }
}

/// `domain` is passed in: virt 0.4's DomainSnapshot::get_domain frees a pointer it does not own.
fn document(snap: &DomainSnapshot, domain: String, secure: bool) -> Result<SnapshotXml> {
    let flags = if secure { sys::VIR_DOMAIN_XML_SECURE } else { 0 };
    let xml = snap.get_xml_desc(flags).libvirt("snapshot XML")?;
    let name = snap.get_name().libvirt("snapshot name")?;
    Ok(SnapshotXml {
        // virsh prints the document and a newline after it.
        shown: format!("{xml}\n"),
        domain,
        name,
        xml,
        nodes: None,
        changed: None,
    })
}

/// A snapshot's facts (virsh snapshot-info); without a name (or with --current), the current one.
#[derive(Debug, clap::Args)]
pub struct SnapshotInfo {
    pub domain: String,
    #[arg(conflicts_with_all = ["snapshotname_flag", "current"])]
    pub snapshotname: Option<String>,
    /// The snapshot's name (virsh's flag form).
    #[arg(long = "snapshotname", id = "snapshotname_flag", value_name = "NAME")]
    pub snapshotname_flag: Option<String>,
    /// The current snapshot.
    #[arg(long)]
    pub current: bool,
}

/// One snapshot, as virsh snapshot-info shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SnapshotFacts {
    pub name: String,
    pub domain: String,
    /// True for the domain's current snapshot.
    pub current: bool,
    /// The domain's state it recorded: running, shutoff, paused, disk-snapshot...
    pub state: String,
    /// internal or external.
    pub location: String,
    /// Its parent snapshot; null for a root.
    pub parent: Option<String>,
    /// Direct children.
    pub children: u32,
    /// All descendants.
    pub descendants: u32,
    /// True when libvirt keeps metadata for it.
    pub metadata: bool,
}

impl Render for SnapshotFacts {
    fn text(&self, _style: TextStyle) -> String {
        let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
        let lines = [
            ("Name:", self.name.clone()),
            ("Domain:", self.domain.clone()),
            ("Current:", yes(self.current)),
            ("State:", self.state.clone()),
            ("Location:", self.location.clone()),
            ("Parent:", self.parent.clone().unwrap_or_else(|| "-".into())),
            ("Children:", self.children.to_string()),
            ("Descendants:", self.descendants.to_string()),
            ("Metadata:", yes(self.metadata)),
        ];
        vnet_common::table::fields(&lines)
    }
}

impl Verb for SnapshotInfo {
    type Ctx = Session;
    type Output = SnapshotFacts;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<SnapshotFacts> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let domain = domain_name(&dom)?;
        let snap = find(
            &dom,
            &domain,
            named(self.snapshotname, self.snapshotname_flag).as_deref(),
        )?;
        let f = facts(&snap)?;
        let what = format!("snapshot {}", f.name);
        Ok(SnapshotFacts {
            current: snap.is_current(0).libvirt(&what)?,
            children: snap.num_children(0).libvirt(&what)?,
            descendants: snap
                .num_children(sys::VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS)
                .libvirt(&what)?,
            metadata: snap.has_metadata(0).libvirt(&what)?,
            state: f.state,
            location: f.location,
            parent: f.parent,
            name: f.name,
            domain,
        })
    }
}
