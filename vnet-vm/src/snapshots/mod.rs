//! Snapshots (virsh snapshot-*): creating them, listing and showing them, reverting to one and
//! deleting them. This module holds what the verbs share: finding a snapshot by name or as the
//! domain's current one, and the facts read from its XML.

pub mod create;
pub mod edit;
pub mod list;
pub mod parent;
mod redefine;
pub mod revert;
pub mod show;
mod spec;

use virt::domain::Domain;
use virt::domain_snapshot::DomainSnapshot;
use vnet_common::error::quote;
use vnet_common::libvirt::xml;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, Result};

/// Which snapshot a verb acts on: the one named, or with --current (or no name, as virsh does)
/// the domain's current one.
pub fn find(dom: &Domain, domain: &str, name: Option<&str>) -> Result<DomainSnapshot> {
    match name {
        Some(name) => DomainSnapshot::lookup_by_name(dom, name, 0).map_err(|e| match e.code() {
            virt::error::ErrorNumber::NoDomainSnapshot => Error::not_found(format!(
                "snapshot {} of domain {} not found",
                quote(name),
                quote(domain)
            )),
            _ => vnet_common::libvirt::error(e).context(format!("snapshot {}", quote(name))),
        }),
        None => DomainSnapshot::current(dom, 0).map_err(|e| match e.code() {
            virt::error::ErrorNumber::NoDomainSnapshot => {
                Error::not_found(format!("domain {} has no current snapshot", quote(domain)))
            }
            _ => vnet_common::libvirt::error(e).context("current snapshot"),
        }),
    }
}

/// The snapshot a verb names: the positional name, or --snapshotname (virsh takes either);
/// None (the current snapshot) when neither is given.
pub fn named(positional: Option<String>, flag: Option<String>) -> Option<String> {
    positional.or(flag)
}

/// What a snapshot's XML says about it.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub name: String,
    pub description: Option<String>,
    /// The domain's state when it was taken (running, shutoff, disk-snapshot...).
    pub state: String,
    /// Seconds since the epoch.
    pub creation_time: i64,
    pub parent: Option<String>,
    /// internal, external (or both: "mixed" is not a libvirt word; external wins as virsh says).
    pub location: String,
}

/// Reads `snap`'s facts from its XML.
pub fn facts(snap: &DomainSnapshot) -> Result<Facts> {
    let text = snap.get_xml_desc(0).libvirt("snapshot XML")?;
    let root = xml::parse(&text).map_err(|e| Error::failed(format!("snapshot XML from libvirt: {e}")))?;
    let external = root.at(&["memory"]).and_then(|m| m.attr("snapshot")) == Some("external")
        || root
            .all(&["disks", "disk"])
            .iter()
            .any(|d| d.attr("snapshot") == Some("external"));
    Ok(Facts {
        name: root.text_at(&["name"]).unwrap_or_default(),
        description: root.text_at(&["description"]).filter(|d| !d.is_empty()),
        state: root.text_at(&["state"]).unwrap_or_default(),
        creation_time: root
            .text_at(&["creationTime"])
            .and_then(|t| t.parse().ok())
            .unwrap_or(0),
        parent: root.text_at(&["parent", "name"]),
        location: if external { "external" } else { "internal" }.to_string(),
    })
}

/// virsh's creation time: "%Y-%m-%d %H:%M:%S %z" in local time.
pub fn time_text(epoch: i64) -> String {
    let t: libc::time_t = epoch as libc::time_t;
    // SAFETY: localtime_r fills the zeroed struct; strftime writes at most the buffer's length.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let mut buf = [0u8; 64];
    let n = unsafe {
        libc::localtime_r(&t, &mut tm);
        libc::strftime(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            c"%Y-%m-%d %H:%M:%S %z".as_ptr(),
            &tm,
        )
    };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// The name libvirt gives a domain (the line may have named it by ID or UUID).
pub fn domain_name(dom: &Domain) -> Result<String> {
    dom.get_name().libvirt("domain name")
}

/// Every snapshot of every domain on the default connection: what Tab offers for a snapshot
/// name (completers see no other word of the line, as for volumes).
pub fn completions() -> Vec<String> {
    let mut session = vnet_common::libvirt::Session::new(&Default::default(), false);
    let Ok(conn) = session.conn() else {
        return Vec::new();
    };
    let domains = conn.list_all_domains(0).unwrap_or_default();
    domains
        .iter()
        .flat_map(|d| d.list_all_snapshots(0).unwrap_or_default())
        .filter_map(|s| s.get_name().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::session;
    use vnet_common::{Journal, Verb};

    fn create_as(name: &str) -> create::SnapshotCreateAs {
        create::SnapshotCreateAs {
            domain: "vnet-snap-unit".into(),
            snapshot: Some(name.into()),
            name_flag: None,
            description: Some("unit".into()),
            print_xml: false,
            memspec: None,
            diskspec: Vec::new(),
            flags: Default::default(),
        }
    }

    /// On the in-process driver (its own domain: the driver is shared by this process's tests):
    /// a snapshot taken, a second of the same name refused (exit 4), listed as current, unknown
    /// names exit 3, and the journal's undo deletes what was taken.
    #[test]
    fn snapshots_on_the_test_driver() {
        let mut ctx = session();
        let xml = "<domain type='test'><name>vnet-snap-unit</name><memory>8192</memory>\
                   <os><type>hvm</type></os></domain>";
        let dom = Domain::define_xml(ctx.conn().unwrap(), xml).unwrap();
        let mut journal = Journal::new();
        let made = create_as("s1").run(&mut ctx, &mut journal).unwrap();
        assert_eq!(
            (made.name.as_str(), made.changed, made.metadata),
            ("s1", true, true)
        );
        let again = create_as("s1").run(&mut ctx, &mut Journal::new()).unwrap_err();
        assert_eq!(again.exit_code(), 4, "{again:?}");
        let list = list::SnapshotList {
            domain: "vnet-snap-unit".into(),
            name: false,
            tree: false,
            current: false,
            descendants: false,
            parent: false,
            from: None,
            topological: false,
            filters: Default::default(),
        };
        let rows = list.run(&mut ctx, &mut Journal::new()).unwrap();
        assert_eq!(rows.0.len(), 1);
        assert!(rows.0[0].current && rows.0[0].description.as_deref() == Some("unit"));
        assert_eq!(
            find(&dom, "vnet-snap-unit", Some("nosuch"))
                .unwrap_err()
                .exit_code(),
            3
        );
        create_as("s2").run(&mut ctx, &mut journal).unwrap();
        let make_current = |name: &str| show::SnapshotCurrent {
            domain: "vnet-snap-unit".into(),
            snapshotname: Some(name.into()),
            snapshotname_flag: None,
            name: false,
            security_info: false,
        };
        let set = make_current("s1").run(&mut ctx, &mut journal).unwrap();
        assert_eq!((set.name.as_str(), set.changed), ("s1", Some(true)));
        let current = || DomainSnapshot::current(&dom, 0).unwrap().get_name().unwrap();
        assert_eq!(current(), "s1");
        let again = make_current("s1").run(&mut ctx, &mut journal).unwrap();
        assert_eq!(again.changed, Some(false));
        let report = futures::executor::block_on(journal.rollback());
        assert_eq!(report.undone.len(), 3, "{report:?}");
        assert!(dom.list_all_snapshots(0).unwrap().is_empty());
        dom.undefine().unwrap();
    }

    #[test]
    fn creation_time_is_virsh_layout() {
        let text = time_text(0);
        assert_eq!(text.len(), "1970-01-01 00:00:00 +0000".len(), "{text}");
        assert!(text.starts_with("19"), "{text}");
    }
}
