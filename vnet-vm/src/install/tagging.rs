//! `install --tag`: the domain's tag and the record of what this install created (the volumes of
//! disks with size= and the cloud-init seed, the pools defined for their directories, a --location install's copied
//! kernel and initrd), so `prune --tag` removes exactly that with the domain.

use super::output::BootFiles;
use super::plan::Plan;
use crate::storage::disks::PoolPlan;
use virt::domain::Domain;
use vnet_common::tags::libvirt::{tag_domain, Owned};
use vnet_common::Result;

/// Tags the new domain (live and persistent) when a label is given. A failure is the install's:
/// its journal then removes everything it made.
pub fn mark(dom: &Domain, tag: Option<&str>, plan: &Plan, files: &BootFiles) -> Result<()> {
    let Some(label) = tag else {
        return Ok(());
    };
    tag_domain(dom, label, &owned(plan, files)).map_err(|e| e.context(format!("install {}", plan.name)))
}

fn owned(plan: &Plan, files: &BootFiles) -> Owned {
    let mut owned = Owned::default();
    for disk in &plan.disks {
        if disk.create {
            owned.volumes.push(disk.spec.path.to_string_lossy().into_owned());
        }
        if let PoolPlan::New { name, .. } = &disk.pool {
            if !owned.pools.contains(name) {
                owned.pools.push(name.clone());
            }
        }
    }
    // The cloud-init seed volume, in the first disk's pool (a new one counted above).
    owned.volumes.extend(files.seed.clone());
    if let Some(PoolPlan::New { name, .. }) = plan.seed.as_ref().map(|s| &s.pool) {
        if !owned.pools.contains(name) {
            owned.pools.push(name.clone());
        }
    }
    for file in [&files.kernel, &files.initrd] {
        if !file.is_empty() {
            owned.files.push(file.clone());
        }
    }
    owned
}
