//! snapshot-create-as and snapshot-create: take a snapshot, from flags or from an XML file.

use super::spec::SnapshotSpec;
use super::{domain_name, facts, redefine};
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::domain_snapshot::DomainSnapshot;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::{xml, LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// The flags both create verbs share (virsh's names; libvirt checks their combinations).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CreateFlags {
    /// Snapshot the disks only, not the guest's memory (an external snapshot).
    #[arg(long)]
    pub disk_only: bool,
    /// All disks at once or none (libvirt's atomic create).
    #[arg(long)]
    pub atomic: bool,
    /// Take the snapshot but keep no libvirt metadata for it (libvirt then does not know it).
    #[arg(long)]
    pub no_metadata: bool,
    /// Stop the domain once the snapshot is taken.
    #[arg(long)]
    pub halt: bool,
    /// Keep the guest running while its memory is saved.
    #[arg(long)]
    pub live: bool,
    /// Freeze the guest's file systems through its agent (with --disk-only).
    #[arg(long)]
    pub quiesce: bool,
    /// Have libvirt check the snapshot XML against its schema first: a document the schema
    /// refuses is exit 7 with libvirt's reason, nothing taken.
    #[arg(long)]
    pub validate: bool,
    /// Use the existing files an external snapshot names (libvirt's REUSE_EXT) instead of
    /// refusing them.
    #[arg(long)]
    pub reuse_external: bool,
}

impl CreateFlags {
    fn bits(&self) -> u32 {
        let pairs = [
            (self.disk_only, sys::VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY),
            (self.atomic, sys::VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC),
            (self.no_metadata, sys::VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA),
            (self.halt, sys::VIR_DOMAIN_SNAPSHOT_CREATE_HALT),
            (self.live, sys::VIR_DOMAIN_SNAPSHOT_CREATE_LIVE),
            (self.quiesce, sys::VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE),
            (self.validate, sys::VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE),
            (self.reuse_external, sys::VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT),
        ];
        pairs
            .iter()
            .filter(|(on, _)| *on)
            .fold(0, |acc, (_, bit)| acc | bit)
    }
}

/// Take a snapshot described by flags (virsh snapshot-create-as).
///
/// Without a name libvirt names it by the time (seconds since the epoch). A name the domain has
/// already is exit 4, nothing taken. --memspec and --diskspec (also bare words after the
/// description, as virsh reads them) make an external snapshot's files; --print-xml prints the
/// document instead and takes nothing. Undone on a later failure: deleted again.
#[derive(Debug, clap::Args)]
pub struct SnapshotCreateAs {
    pub domain: String,
    /// The snapshot's name (also --name, as virsh takes it).
    #[arg(value_name = "NAME", conflicts_with = "name_flag")]
    pub snapshot: Option<String>,
    /// The snapshot's name.
    #[arg(long = "name", id = "name_flag", value_name = "NAME")]
    pub name_flag: Option<String>,
    /// Free text kept with the snapshot.
    #[arg(long)]
    pub description: Option<String>,
    /// Print the <domainsnapshot> document instead of taking the snapshot.
    #[arg(long)]
    pub print_xml: bool,
    /// The memory's state: [file=]PATH[,snapshot=TYPE] (TYPE: internal, external, no).
    #[arg(long, value_name = "SPEC")]
    pub memspec: Option<String>,
    /// One disk: DISK[,snapshot=TYPE][,driver=TYPE][,stype=TYPE][,file=PATH], repeatable
    /// (",," is a comma within a field, as virsh reads it).
    #[arg(long, value_name = "SPEC", action = clap::ArgAction::Append)]
    pub diskspec: Vec<String>,
    #[command(flatten)]
    pub flags: CreateFlags,
}

/// Take a snapshot from an XML file (virsh snapshot-create); without a file, as
/// snapshot-create-as without a name.
///
/// --redefine gives libvirt back a snapshot's metadata from its XML (a snapshot-dumpxml), a
/// name the domain has already included; --current with it makes that snapshot the current one.
/// Undone on a later failure: the metadata is removed again, or the old XML redefined.
#[derive(Debug, clap::Args)]
pub struct SnapshotCreate {
    pub domain: String,
    /// A <domainsnapshot> document (also --xmlfile).
    #[arg(value_name = "FILE", conflicts_with = "xmlfile")]
    pub file: Option<std::path::PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub xmlfile: Option<std::path::PathBuf>,
    /// Redefine the metadata of an existing snapshot from the file (nothing is taken).
    #[arg(long)]
    pub redefine: bool,
    /// With --redefine: make the snapshot the domain's current one.
    #[arg(long, requires = "redefine")]
    pub current: bool,
    #[command(flatten)]
    pub flags: CreateFlags,
}

/// The snapshot just taken.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SnapshotCreated {
    /// The domain's name.
    pub domain: String,
    /// The snapshot's name.
    pub name: String,
    /// Always true: a snapshot was taken.
    pub changed: bool,
    /// The domain's state it recorded (running, shutoff, disk-snapshot...); null with
    /// --no-metadata (libvirt keeps nothing to read it from).
    pub state: Option<String>,
    /// internal or external; null with --no-metadata.
    pub location: Option<String>,
    /// False with --no-metadata (or --print-xml): libvirt does not know the snapshot.
    pub metadata: bool,
    /// With --print-xml: the document, printed instead (nothing is taken).
    #[serde(skip)]
    #[schemars(skip)]
    pub xml: Option<String>,
}

impl Render for SnapshotCreated {
    fn document(&self) -> Option<&str> {
        self.xml.as_deref()
    }

    fn text(&self, _style: TextStyle) -> String {
        match &self.xml {
            Some(xml) => format!("{xml}\n"),
            None => format!("Domain snapshot {} created\n", self.name),
        }
    }
}

impl Verb for SnapshotCreateAs {
    type Ctx = Session;
    type Output = SnapshotCreated;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SnapshotCreated> {
        let name = super::named(self.snapshot, self.name_flag);
        let spec = SnapshotSpec::new(name, self.description, self.memspec.as_deref(), &self.diskspec)?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        if self.print_xml {
            let domain = domain_name(&dom)?;
            let mut printed = created(domain, spec.name.clone().unwrap_or_default(), None);
            (printed.changed, printed.xml) = (false, Some(spec.xml()));
            return Ok(printed);
        }
        take(&dom, spec.name.as_deref(), &spec.xml(), &self.flags, journal)
    }
}

impl Verb for SnapshotCreate {
    type Ctx = Session;
    type Output = SnapshotCreated;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SnapshotCreated> {
        let (xml, name) = match self.file.or(self.xmlfile) {
            Some(path) => read_spec(&path)?,
            None if self.redefine => return Err(Error::invalid("--redefine needs the snapshot's XML file")),
            None => ("<domainsnapshot/>".to_string(), None),
        };
        let dom = lookup(ctx.conn()?, &self.domain)?;
        if self.redefine {
            let bits = self.flags.bits();
            let snap = redefine::redefine(&dom, name.as_deref(), &xml, self.current, bits, journal)?;
            let name = snap.get_name().libvirt("snapshot name")?;
            return Ok(created(domain_name(&dom)?, name, Some(facts(&snap)?)));
        }
        take(&dom, name.as_deref(), &xml, &self.flags, journal)
    }
}

/// The file's document and the name it gives; a file that cannot be read is exit 1, one that is
/// not a <domainsnapshot> document exit 7, both before anything is touched.
fn read_spec(path: &std::path::Path) -> Result<(String, Option<String>)> {
    let shown = quote(&path.display().to_string());
    let text = std::fs::read_to_string(path).map_err(|e| Error::failed(format!("read {shown}: {e}")))?;
    let root = xml::parse(&text).map_err(|e| Error::invalid(format!("{shown}: malformed XML: {e}")))?;
    if root.name != "domainsnapshot" {
        return Err(Error::invalid(format!(
            "{shown}: the root element is <{}>, not <domainsnapshot>",
            root.name
        )));
    }
    let name = root.text_at(&["name"]).filter(|n| !n.is_empty());
    Ok((text, name))
}

/// Takes the snapshot after checking its name is free; records its deletion as the undo.
fn take(
    dom: &Domain,
    name: Option<&str>,
    xml: &str,
    flags: &CreateFlags,
    journal: &mut Journal,
) -> Result<SnapshotCreated> {
    let domain = domain_name(dom)?;
    if let Some(name) = name {
        if DomainSnapshot::lookup_by_name(dom, name, 0).is_ok() {
            return Err(Error::exists(format!(
                "domain {} has a snapshot {} already",
                quote(&domain),
                quote(name)
            ))
            .with_hint("choose another name, or delete it first: vnet-vm snapshot-delete"));
        }
        virt::error::clear_error_callback();
    }
    let what = format!("snapshot domain {}", quote(&domain));
    let snap = DomainSnapshot::create_xml(dom, xml, flags.bits()).libvirt(&what)?;
    let name = snap.get_name().libvirt(&what)?;
    let step = format!("take snapshot {name} of domain {domain}");
    if flags.no_metadata {
        journal.irreversible(step)?;
        return Ok(created(domain, name, None));
    }
    let undo = snap.clone();
    journal.record_fn(step, move || undo.delete(0).libvirt("delete the snapshot"))?;
    Ok(created(domain, name, Some(facts(&snap)?)))
}

fn created(domain: String, name: String, facts: Option<super::Facts>) -> SnapshotCreated {
    SnapshotCreated {
        domain,
        name,
        changed: true,
        metadata: facts.is_some(),
        state: facts.as_ref().map(|f| f.state.clone()),
        location: facts.map(|f| f.location),
        xml: None,
    }
}
