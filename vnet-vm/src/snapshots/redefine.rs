//! snapshot-create --redefine and snapshot-current SNAPSHOTNAME: handing libvirt a snapshot's
//! metadata from its XML (libvirt's REDEFINE), the way virsh restores snapshots after a domain
//! was moved or undefined, and sets the current one.

use super::domain_name;
use virt::domain::Domain;
use virt::domain_snapshot::DomainSnapshot;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, Journal, Result};

/// Redefines the snapshot `xml` describes (named `name`), with snapshot-create's `flags`; with
/// `current` it becomes the domain's current snapshot. Undo: the metadata is removed (a
/// snapshot libvirt did not know) or its old XML redefined, and the old current snapshot made
/// current again.
pub fn redefine(
    dom: &Domain,
    name: Option<&str>,
    xml: &str,
    current: bool,
    flags: u32,
    journal: &mut Journal,
) -> Result<DomainSnapshot> {
    let domain = domain_name(dom)?;
    let name = name.ok_or_else(|| Error::invalid("--redefine needs a <name> in the snapshot XML"))?;
    let old = known_xml(dom, name)?;
    let was_current = current_name(dom);
    let mut bits = flags | sys::VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE;
    if current {
        bits |= sys::VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT;
    }
    let what = format!("redefine snapshot {} of domain {}", quote(name), quote(&domain));
    let snap = DomainSnapshot::create_xml(dom, xml, bits | disk_only(xml)).libvirt(&what)?;
    let (undo, step) = (
        dom.clone(),
        format!("redefine snapshot {name} of domain {domain}"),
    );
    match old {
        Some(old) => journal.record_fn(step, move || define(&undo, &old, 0).map(drop))?,
        None => {
            let gone = name.to_string();
            journal.record_fn(step, move || delete_metadata(&undo, &gone))?
        }
    }
    if current {
        restore_current(dom, was_current, name, journal)?;
    }
    Ok(snap)
}

/// Makes the snapshot `name` the domain's current one (virsh snapshot-current DOMAIN NAME):
/// false when it is already. A missing snapshot is exit 3.
pub fn make_current(dom: &Domain, domain: &str, name: &str, journal: &mut Journal) -> Result<bool> {
    let was_current = current_name(dom);
    if was_current.as_deref() == Some(name) {
        return Ok(false);
    }
    let snap = super::find(dom, domain, Some(name))?;
    let xml = snap
        .get_xml_desc(sys::VIR_DOMAIN_XML_SECURE)
        .libvirt(format!("snapshot {}", quote(name)))?;
    define(dom, &xml, sys::VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT)?;
    restore_current(dom, was_current, name, journal)?;
    Ok(true)
}

/// Records the undo of making `name` current: the snapshot that was current before is made
/// current again. With none before there is nothing to go back to: libvirt cannot unset it.
fn restore_current(dom: &Domain, was: Option<String>, name: &str, journal: &mut Journal) -> Result<()> {
    let Some(was) = was.filter(|was| was != name) else {
        return Ok(());
    };
    let undo = dom.clone();
    journal.record_fn(format!("make snapshot {name} current"), move || {
        let snap = DomainSnapshot::lookup_by_name(&undo, &was, 0).libvirt("the old current snapshot")?;
        let xml = snap
            .get_xml_desc(sys::VIR_DOMAIN_XML_SECURE)
            .libvirt("the old current snapshot")?;
        define(&undo, &xml, sys::VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT).map(drop)
    })
}

/// REDEFINE with `extra` flags; a disk-only snapshot's XML needs DISK_ONLY too (as virsh adds).
fn define(dom: &Domain, xml: &str, extra: u32) -> Result<DomainSnapshot> {
    let bits = sys::VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE | extra | disk_only(xml);
    DomainSnapshot::create_xml(dom, xml, bits).libvirt("redefine the snapshot")
}

fn disk_only(xml: &str) -> u32 {
    match xml.contains("<state>disk-snapshot</state>") {
        true => sys::VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY,
        false => 0,
    }
}

/// The snapshot's XML when libvirt knows one of that name.
fn known_xml(dom: &Domain, name: &str) -> Result<Option<String>> {
    match DomainSnapshot::lookup_by_name(dom, name, 0) {
        Ok(snap) => snap
            .get_xml_desc(sys::VIR_DOMAIN_XML_SECURE)
            .map(Some)
            .libvirt(format!("snapshot {}", quote(name))),
        Err(_) => Ok(None),
    }
}

fn current_name(dom: &Domain) -> Option<String> {
    DomainSnapshot::current(dom, 0).and_then(|s| s.get_name()).ok()
}

/// Removes only libvirt's metadata of a snapshot (its data stays where it is).
fn delete_metadata(dom: &Domain, name: &str) -> Result<()> {
    DomainSnapshot::lookup_by_name(dom, name, 0)
        .and_then(|snap| snap.delete(sys::VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY))
        .libvirt("remove the snapshot's metadata again")
}
