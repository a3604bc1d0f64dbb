//! Ownership tags in vnet-vm: `install --tag` tags the domain (libvirt domain metadata) and
//! records the storage it created, `list --tag` filters by it, and `prune --tag LABEL` removes
//! the tagged domains with that storage (see vnet_common::tags).

use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::ErrorNumber;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use virt::sys;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::tags::libvirt::{domain_owned, domain_tag, Owned};
use vnet_common::tags::{self, PruneArgs, Pruned};
use vnet_common::{Journal, Result, Verb};

/// Remove every domain tagged LABEL (install --tag) and the storage its install created: each
/// domain is destroyed when running and undefined (with its NVRAM); then the volumes its install
/// created are deleted, the boot files it copied removed, and the pools it defined stopped and
/// undefined (their directory stays) unless other volumes are in them (then listed as "kept").
///
/// Untagged domains, domains of another tag and storage the install did not create (an image
/// reused with --import, an existing pool) are never touched. Prints every removal in order (with
/// --dry-run: what would be removed, changing nothing); running it again finds nothing
/// ("changed": false). Each removal is recorded as irreversible, so a failing `--batch --atomic`
/// lists it as not undone.
#[derive(Debug, clap::Args)]
pub struct Prune {
    #[command(flatten)]
    pub args: PruneArgs,
}

impl Verb for Prune {
    type Ctx = Session;
    type Output = Pruned;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Pruned> {
        let label = self.args.tag.as_str();
        tags::validate_label(label)?;
        let mut out = Pruned::new(&self.args);
        let local = ctx.is_local()?;
        let conn = ctx.conn()?;
        let owned = prune_domains(conn, label, &mut out, journal)?;
        prune_volumes(conn, &owned, &mut out, journal)?;
        if local {
            prune_files(&owned, &mut out, journal)?;
        }
        prune_pools(conn, &owned, &mut out, journal)?;
        Ok(out)
    }
}

/// Destroys and undefines the domains tagged `label` (by name), returning the storage they own.
fn prune_domains(conn: &Connect, label: &str, out: &mut Pruned, journal: &mut Journal) -> Result<Owned> {
    let mut tagged: Vec<(String, Domain)> = Vec::new();
    for dom in conn.list_all_domains(0).libvirt("list domains")? {
        if domain_tag(&dom).as_deref() == Some(label) {
            tagged.push((dom.get_name().libvirt("domain name")?, dom));
        }
    }
    tagged.sort_by(|a, b| a.0.cmp(&b.0));
    let mut owned = Owned::default();
    for (name, dom) in &tagged {
        let theirs = domain_owned(dom);
        owned.volumes.extend(theirs.volumes);
        owned.files.extend(theirs.files);
        for pool in theirs.pools {
            if !owned.pools.contains(&pool) {
                owned.pools.push(pool);
            }
        }
        let what = format!("prune: domain {name}");
        // Read before acting: a transient domain is gone once destroyed.
        let persistent = dom.is_persistent().libvirt(&what)?;
        if dom.is_active().libvirt(&what)? {
            if !out.dry_run {
                gone_is_fine(dom.destroy().map(drop)).libvirt(format!("destroy domain {name}"))?;
            }
            out.removed(journal, "destroy", "domain", name, None)?;
        }
        if persistent {
            if !out.dry_run {
                gone_is_fine(undefine(dom)).libvirt(format!("undefine domain {name}"))?;
                vnet_common::libvirt::forwards::domain_undefined(conn, dom)?;
            }
            out.removed(journal, "undefine", "domain", name, None)?;
        }
    }
    Ok(owned)
}

/// Deletes the volumes the pruned domains owned.
fn prune_volumes(conn: &Connect, owned: &Owned, out: &mut Pruned, journal: &mut Journal) -> Result<()> {
    for path in &owned.volumes {
        // A volume deleted otherwise (or in a pool no longer there) is not there to prune.
        let Ok(vol) = StorageVol::lookup_by_path(conn, path) else {
            continue;
        };
        if !out.dry_run {
            vol.delete(0).libvirt(format!("delete volume {path}"))?;
        }
        out.removed(journal, "delete", "volume", path, None)?;
    }
    Ok(())
}

/// Deletes the kernel and initrd copies the pruned domains owned (a local daemon's files only).
fn prune_files(owned: &Owned, out: &mut Pruned, journal: &mut Journal) -> Result<()> {
    for path in &owned.files {
        if crate::storage::paths::is_boot_copy(path) && std::path::Path::new(path).exists() {
            if !out.dry_run {
                std::fs::remove_file(path)
                    .map_err(|e| vnet_common::Error::from(e).context(format!("delete {path}")))?;
            }
            out.removed(journal, "delete", "file", path, None)?;
        }
    }
    Ok(())
}

/// Stops and undefines the pools the pruned domains owned, keeping any that still holds other
/// volumes (named in `kept`).
fn prune_pools(conn: &Connect, owned: &Owned, out: &mut Pruned, journal: &mut Journal) -> Result<()> {
    for name in &owned.pools {
        let Ok(pool) = StoragePool::lookup_by_name(conn, name) else {
            continue;
        };
        let what = format!("pool {name}");
        let active = pool.is_active().libvirt(&what)?;
        if active {
            pool.refresh(0).libvirt(&what)?;
            let left = pool.list_volumes().libvirt(&what)?;
            // With --dry-run the volumes listed above are still there.
            let others = left
                .iter()
                .filter(|v| !owned.volumes.iter().any(|o| o.ends_with(&format!("/{v}"))))
                .count();
            let count = if out.dry_run { others } else { left.len() };
            if count > 0 {
                out.kept
                    .push(format!("pool {name}: {count} other volume(s) in it"));
                continue;
            }
            if !out.dry_run {
                pool.destroy().libvirt(format!("stop pool {name}"))?;
            }
            out.removed(journal, "destroy", "pool", name, None)?;
        }
        if !out.dry_run {
            pool.undefine().libvirt(format!("undefine pool {name}"))?;
        }
        out.removed(journal, "undefine", "pool", name, None)?;
    }
    Ok(())
}

/// Undefines a domain with its NVRAM (a UEFI guest cannot be undefined without); a driver that
/// does not know that flag (the test driver) is asked again without it.
fn undefine(dom: &Domain) -> std::result::Result<(), virt::error::Error> {
    let flags = sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
    match dom.undefine_flags(flags | sys::VIR_DOMAIN_UNDEFINE_NVRAM) {
        Err(e) if e.code() == ErrorNumber::InvalidArg => dom.undefine_flags(flags),
        other => other,
    }
}

/// A domain removed by someone else meanwhile is as good as removed here.
fn gone_is_fine(
    result: std::result::Result<(), virt::error::Error>,
) -> std::result::Result<(), virt::error::Error> {
    match result {
        Err(e) if e.code() == ErrorNumber::NoDomain => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vnet_common::tags::libvirt::tag_domain;

    #[test]
    fn prune_removes_exactly_the_tagged_domains() {
        let mut ctx = crate::testing::session();
        let conn = ctx.conn().unwrap().clone();
        let define = |name: &str, tag: Option<&str>| {
            let xml = format!(
                "<domain type='test'><name>{name}</name><memory>8192</memory><os><type>hvm</type></os></domain>"
            );
            let dom = Domain::define_xml(&conn, &xml).unwrap();
            if let Some(tag) = tag {
                tag_domain(&dom, tag, &Owned::default()).unwrap();
            }
            dom
        };
        let a1 = define("ta1", Some("A"));
        a1.create().unwrap();
        define("ta2", Some("A"));
        define("tb", Some("B"));
        define("tu", None);
        assert_eq!(domain_tag(&a1).as_deref(), Some("A"));
        let prune = |dry_run| Prune {
            args: PruneArgs {
                tag: "A".into(),
                dry_run,
            },
        };
        let names = |conn: &virt::connect::Connect| {
            let mut n: Vec<String> = conn
                .list_all_domains(0)
                .unwrap()
                .iter()
                .map(|d| d.get_name().unwrap())
                .filter(|n| n.starts_with('t') && n.len() <= 3)
                .collect();
            n.sort();
            n
        };
        let before = names(&conn);
        let mut journal = Journal::new();
        let dry = prune(true).run(&mut ctx, &mut journal).unwrap();
        assert!(journal.is_empty() && !dry.changed);
        assert_eq!(names(&conn), before);
        let done = prune(false).run(&mut ctx, &mut journal).unwrap();
        assert_eq!(dry.removed, done.removed);
        let steps: Vec<String> = done.removed.iter().map(|i| i.describe()).collect();
        assert_eq!(
            steps,
            [
                "destroy domain 'ta1'",
                "undefine domain 'ta1'",
                "undefine domain 'ta2'"
            ]
        );
        assert_eq!(names(&conn), ["tb", "tu"]);
        let again = prune(false).run(&mut ctx, &mut Journal::new()).unwrap();
        assert!(!again.changed && again.removed.is_empty());
        let bad = Prune {
            args: PruneArgs {
                tag: "no good".into(),
                dry_run: false,
            },
        };
        assert_eq!(bad.run(&mut ctx, &mut Journal::new()).unwrap_err().exit_code(), 7);
        for n in ["tb", "tu"] {
            Domain::lookup_by_name(&conn, n).unwrap().undefine().unwrap();
        }
    }
}
