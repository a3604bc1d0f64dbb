//! virsh's build flags, one set for every pool verb that takes them: pool-build's --overwrite /
//! --no-overwrite, and --build [--overwrite | --no-overwrite] of the verbs that start a pool
//! (pool-start, pool-create, pool-create-as), as libvirt's BUILD_* and CREATE_WITH_BUILD_* flags;
//! and the check that the directory a build makes can be made.

use crate::storage::disks as storage;
use std::path::Path;
use virt::storage_pool::StoragePool;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Result};

/// pool-build's --overwrite / --no-overwrite.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Overwrite {
    /// Format the source device even when it holds data.
    #[arg(long, conflicts_with = "no_overwrite")]
    pub overwrite: bool,
    /// Refuse to format a source device that holds data.
    #[arg(long)]
    pub no_overwrite: bool,
}

impl Overwrite {
    /// libvirt's VIR_STORAGE_POOL_BUILD_* flags.
    pub fn build_flags(&self) -> u32 {
        match (self.overwrite, self.no_overwrite) {
            (true, _) => sys::VIR_STORAGE_POOL_BUILD_OVERWRITE,
            (_, true) => sys::VIR_STORAGE_POOL_BUILD_NO_OVERWRITE,
            _ => sys::VIR_STORAGE_POOL_BUILD_NEW,
        }
    }
}

/// --build [--overwrite | --no-overwrite] of a verb that starts a pool.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BuildFirst {
    /// Build the pool (make its directory) before starting it.
    #[arg(long)]
    pub build: bool,
    /// With --build: format the source device even when it holds data.
    #[arg(long, requires = "build", conflicts_with = "no_overwrite")]
    pub overwrite: bool,
    /// With --build: refuse to format a source device that holds data.
    #[arg(long, requires = "build")]
    pub no_overwrite: bool,
}

impl BuildFirst {
    /// The build pool-start does before starting (libvirt's own CREATE_WITH_BUILD is this build
    /// and then the start): None without --build.
    pub fn build_flags(&self) -> Option<u32> {
        let overwrite = Overwrite {
            overwrite: self.overwrite,
            no_overwrite: self.no_overwrite,
        };
        self.build.then(|| overwrite.build_flags())
    }

    /// libvirt's VIR_STORAGE_POOL_CREATE_* flags.
    pub fn create_flags(&self) -> u32 {
        match (self.build, self.overwrite, self.no_overwrite) {
            (false, _, _) => sys::VIR_STORAGE_POOL_CREATE_NORMAL,
            (true, true, _) => sys::VIR_STORAGE_POOL_CREATE_WITH_BUILD_OVERWRITE,
            (true, _, true) => sys::VIR_STORAGE_POOL_CREATE_WITH_BUILD_NO_OVERWRITE,
            (true, false, false) => sys::VIR_STORAGE_POOL_CREATE_WITH_BUILD,
        }
    }
}

/// Builds `pool` with libvirt's BUILD_* `flags`. A failed build leaves no directory behind:
/// libvirt makes a dir pool's `target` before it refuses a flag that pool has no use for
/// (--overwrite on a pool with no device to format), so an empty target it made is removed.
pub fn build(
    pool: &StoragePool,
    name: &str,
    target: Option<&str>,
    flags: u32,
    journal: &mut Journal,
) -> Result<()> {
    let fresh = target.filter(|t| !Path::new(t).exists());
    let built = storage::build_pool(pool, name, flags, journal);
    if let (Err(_), Some(made)) = (&built, fresh) {
        let _ = std::fs::remove_dir(made);
    }
    built
}

/// Why a directory cannot be made (on this machine): the first existing ancestor that is not a
/// directory. None when it can be (or exists as a directory).
pub fn uncreatable(dir: &Path) -> Option<String> {
    for ancestor in dir.ancestors() {
        match std::fs::metadata(ancestor) {
            Ok(meta) if meta.is_dir() => return None,
            Ok(_) => {
                return Some(format!(
                    "{} is not a directory",
                    quote(&ancestor.display().to_string())
                ))
            }
            Err(_) => continue,
        }
    }
    None
}

/// Checks a pool target: an absolute path whose directory can be made (local connections).
pub(crate) fn check_target(ctx: &mut Session, target: &str) -> Result<()> {
    let path = Path::new(target);
    if !path.is_absolute() || target.contains(['\n', '\r', '\0']) {
        return Err(Error::invalid(format!(
            "invalid --target {}: an absolute directory path",
            quote(target)
        )));
    }
    if ctx.is_local()? {
        if let Some(why) = uncreatable(path) {
            return Err(Error::invalid(format!(
                "pool directory {} cannot be created: {why}",
                quote(target)
            )));
        }
    }
    Ok(())
}
