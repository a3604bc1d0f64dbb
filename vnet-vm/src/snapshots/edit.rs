//! virsh snapshot-edit: a snapshot's description (its XML) through the user's editor, redefined
//! in place, renamed (--rename) or cloned under a new name (--clone). See
//! vnet_common::libvirt::edit for what the edit verbs share.

use super::{domain_name, find, named};
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::domain_snapshot::DomainSnapshot;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::edit;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::{xml, LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Edit a snapshot's XML in $VISUAL or $EDITOR and redefine it when changed (virsh
/// snapshot-edit).
///
/// The snapshot is the one named (positional or --snapshotname), else the domain's current one.
/// The editor runs as virsh runs it (`sh -c "$EDITOR FILE"`), so `EDITOR='sed -i ...'` works in
/// a script. A file left as it was changes nothing ("changed": false) unless --current makes
/// the named snapshot the current one. A changed file must be one well-formed <domainsnapshot>
/// with a <name> that libvirt accepts; another name needs --rename (the snapshot is renamed) or
/// --clone (a second snapshot of the new name; the first stays), and a name another snapshot
/// has is exit 4. An editor that fails, or a document refused, is exit 7 with the reason and the
/// snapshots as they were. Only libvirt's description of the snapshot changes, never its data.
/// Undone on a later failure (--batch --atomic).
#[derive(Debug, clap::Args)]
pub struct SnapshotEdit {
    /// The domain: name, ID or UUID.
    pub domain: String,
    #[arg(conflicts_with = "snapshotname_flag")]
    pub snapshotname: Option<String>,
    /// The snapshot's name (virsh's flag form).
    #[arg(long = "snapshotname", id = "snapshotname_flag", value_name = "NAME")]
    pub snapshotname_flag: Option<String>,
    /// With a snapshot name: also make the edited snapshot the current one. Alone: edit the
    /// current snapshot.
    #[arg(long)]
    pub current: bool,
    /// Allow the edit to rename the snapshot.
    #[arg(long, conflicts_with = "clone")]
    pub rename: bool,
    /// Allow the edit to make a copy of the snapshot under a new name.
    #[arg(long)]
    pub clone: bool,
}

/// A snapshot after snapshot-edit.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SnapshotEdited {
    pub domain: String,
    /// The snapshot's name after the edit (the copy's with --clone).
    pub snapshot: String,
    /// The name of the snapshot edited.
    pub edited: String,
    /// False when nothing was redefined.
    pub changed: bool,
    /// True when --clone made a second snapshot (the edited one stays as it was).
    pub cloned: bool,
    #[serde(skip)]
    #[schemars(skip)]
    shown: String,
}

/// virsh's confirmation ("Snapshot S edited.", "... cloned to T.", "... not changed.").
impl Render for SnapshotEdited {
    fn text(&self, _style: TextStyle) -> String {
        self.shown.clone()
    }
}

/// What an edited document may be: the snapshot's name before, and what the flags allow.
struct Rules<'a> {
    domain: &'a str,
    old: &'a str,
    rename: bool,
    clone: bool,
}

impl Verb for SnapshotEdit {
    type Ctx = Session;
    type Output = SnapshotEdited;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SnapshotEdited> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let domain = domain_name(&dom)?;
        let name = named(self.snapshotname, self.snapshotname_flag);
        let set_current = self.current && name.is_some();
        let snap = find(&dom, &domain, name.as_deref())?;
        let old = snap.get_name().libvirt("snapshot name")?;
        let original = snapshot_xml(&snap, &old)?;
        let flags = sys::VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE
            | if set_current {
                sys::VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT
            } else {
                0
            };
        let rules = Rules {
            domain: &domain,
            old: &old,
            rename: self.rename,
            clone: self.clone,
        };
        let define = |text: &str| redefine(&dom, &snap, &rules, &original, text, flags);
        let edited = match edit::edit(&original, define)? {
            Some(edited) => edited,
            None if set_current => redefine(&dom, &snap, &rules, &original, &original, flags)?,
            None => return Ok(unchanged(domain, old)),
        };
        let new = edited.get_name().libvirt("snapshot name")?;
        record_redefined(&dom, &edited, &original, new != old, journal)?;
        if new != old && self.rename {
            drop_old(&dom, &snap, &old, original, journal)?;
        }
        let cloned = new != old && self.clone;
        let shown = match cloned {
            true => format!("Snapshot {old} cloned to {new}.\n\n"),
            false if new == old => format!("Snapshot {old} edited.\n\n"),
            // virsh prints no message for a rename, only its blank line.
            false => "\n".into(),
        };
        Ok(SnapshotEdited {
            domain,
            snapshot: new,
            edited: old,
            changed: true,
            cloned,
            shown,
        })
    }
}

fn unchanged(domain: String, old: String) -> SnapshotEdited {
    SnapshotEdited {
        shown: format!("Snapshot {old} XML configuration not changed.\n\n"),
        domain,
        snapshot: old.clone(),
        edited: old,
        changed: false,
        cloned: false,
    }
}

/// The snapshot's XML, secrets included, as virsh snapshot-edit shows it.
fn snapshot_xml(snap: &DomainSnapshot, name: &str) -> Result<String> {
    snap.get_xml_desc(sys::VIR_DOMAIN_SNAPSHOT_XML_SECURE)
        .libvirt(format!("XML of snapshot {}", quote(name)))
}

/// The edited document's snapshot name: a well-formed <domainsnapshot> with a <name> (exit 7
/// else), the old name unless --rename or --clone (exit 7), no other snapshot's (exit 4).
fn checked_name(dom: &Domain, rules: &Rules, text: &str) -> Result<String> {
    let bad = |why: String| Error::invalid(format!("the edited document: malformed snapshot XML: {why}"));
    let root = xml::parse(text).map_err(|e| bad(e.to_string()))?;
    if root.name != "domainsnapshot" {
        return Err(bad(format!(
            "the root element is <{}>, not <domainsnapshot>",
            root.name
        )));
    }
    let new = root
        .text_at(&["name"])
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| bad("no <name>".into()))?;
    if new == rules.old {
        return Ok(new);
    }
    if !rules.rename && !rules.clone {
        return Err(Error::invalid(format!(
            "the edit changes snapshot {} to {}: that needs --rename or --clone",
            quote(rules.old),
            quote(&new)
        )));
    }
    if DomainSnapshot::lookup_by_name(dom, &new, 0).is_ok() {
        return Err(Error::exists(format!(
            "domain {} already has a snapshot named {}",
            quote(rules.domain),
            quote(&new)
        )));
    }
    virt::error::clear_error_callback();
    Ok(new)
}

/// Redefines the snapshot from the edited document, checked first (see [`checked_name`]), over
/// a description nobody changed meanwhile (exit 1 else).
fn redefine(
    dom: &Domain,
    snap: &DomainSnapshot,
    rules: &Rules,
    original: &str,
    text: &str,
    flags: u32,
) -> Result<DomainSnapshot> {
    checked_name(dom, rules, text)?;
    if snapshot_xml(snap, rules.old)? != original {
        return Err(Error::failed(format!(
            "snapshot {}: its description was changed by another user while it was edited",
            quote(rules.old)
        )));
    }
    DomainSnapshot::create_xml(dom, text, flags)
        .map_err(|e| edit::refused(e, format!("redefine snapshot {}", quote(rules.old))))
}

/// The undo of the redefinition: the old description again, or the new name's forgotten.
fn record_redefined(
    dom: &Domain,
    edited: &DomainSnapshot,
    original: &str,
    new_name: bool,
    journal: &mut Journal,
) -> Result<()> {
    let (dom, edited, original) = (dom.clone(), edited.clone(), original.to_string());
    journal.record_fn("redefine the snapshot", move || match new_name {
        true => edited
            .delete(sys::VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
            .libvirt("forget the snapshot the edit made"),
        false => DomainSnapshot::create_xml(&dom, &original, sys::VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE)
            .map(drop)
            .libvirt("redefine the snapshot as it was"),
    })
}

/// --rename: libvirt forgets the old name (its data is the renamed snapshot's).
fn drop_old(
    dom: &Domain,
    snap: &DomainSnapshot,
    old: &str,
    original: String,
    journal: &mut Journal,
) -> Result<()> {
    snap.delete(sys::VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
        .libvirt(format!("forget the old name {}", quote(old)))?;
    let dom = dom.clone();
    journal.record_fn("forget the snapshot's old name", move || {
        DomainSnapshot::create_xml(&dom, &original, sys::VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE)
            .map(drop)
            .libvirt("define the old name again")
    })
}
