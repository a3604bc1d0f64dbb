//! A pool's and a volume's names for one another: pool-uuid, pool-name, vol-key, vol-name and
//! vol-pool, as virsh prints them (the one name asked for, then virsh's blank line).

use crate::storage::volumes::{require, VolState};
use schemars::JsonSchema;
use serde::Serialize;
use virt::storage_pool::StoragePool;
use vnet_common::libvirt::lookup::pool as lookup_pool;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

/// A storage pool's name and UUID: what pool-uuid and pool-name print one of.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PoolIds {
    pub name: String,
    pub uuid: String,
    #[serde(skip)]
    #[schemars(skip)]
    shown: String,
}

impl Render for PoolIds {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n\n", self.shown)
    }
}

fn pool_ids(ctx: &mut Session, pool: &str, show: fn(&PoolIds) -> String) -> Result<PoolIds> {
    let pool = lookup_pool(ctx.conn()?, pool)?;
    let mut out = PoolIds {
        name: pool.get_name().libvirt("storage pool name")?,
        uuid: pool.get_uuid_string().libvirt("storage pool UUID")?,
        shown: String::new(),
    };
    out.shown = show(&out);
    Ok(out)
}

/// A storage pool's UUID (virsh pool-uuid); the pool by name or UUID.
#[derive(Debug, clap::Args)]
pub struct PoolUuid {
    pub pool: String,
}

impl Verb for PoolUuid {
    type Ctx = Session;
    type Output = PoolIds;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<PoolIds> {
        pool_ids(ctx, &self.pool, |p| p.uuid.clone())
    }
}

/// A storage pool's name (virsh pool-name); the pool by UUID (or name).
#[derive(Debug, clap::Args)]
pub struct PoolName {
    pub pool: String,
}

impl Verb for PoolName {
    type Ctx = Session;
    type Output = PoolIds;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<PoolIds> {
        pool_ids(ctx, &self.pool, |p| p.name.clone())
    }
}

/// A volume's names: what vol-key, vol-name and vol-pool print one of.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VolIds {
    /// The volume's name in its pool.
    pub name: String,
    /// Its key (for a file volume, its path).
    pub key: String,
    /// Its path.
    pub path: String,
    /// The pool holding it.
    pub pool: String,
    /// That pool's UUID.
    pub pool_uuid: String,
    #[serde(skip)]
    #[schemars(skip)]
    shown: String,
}

impl Render for VolIds {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n\n", self.shown)
    }
}

fn vol_ids(ctx: &mut Session, vol: &str, pool: Option<&str>, show: fn(&VolIds) -> String) -> Result<VolIds> {
    let vol = require(ctx.conn()?, vol, pool)?;
    let state = VolState::read(&vol)?;
    let owner = StoragePool::lookup_by_volume(&vol).libvirt(format!("pool of volume {}", state.path))?;
    let mut out = VolIds {
        key: vol.get_key().libvirt(format!("key of volume {}", state.path))?,
        pool_uuid: owner.get_uuid_string().libvirt("storage pool UUID")?,
        name: state.name,
        pool: state.pool,
        path: state.path,
        shown: String::new(),
    };
    out.shown = show(&out);
    Ok(out)
}

/// A volume's key (virsh vol-key VOL [--pool POOL]); VOL by key or path, or name with --pool.
#[derive(Debug, clap::Args)]
pub struct VolKey {
    /// Volume name (with --pool), key or path.
    pub vol: String,
    /// The pool holding a volume given by name.
    #[arg(long, value_name = "POOL")]
    pub pool: Option<String>,
}

impl Verb for VolKey {
    type Ctx = Session;
    type Output = VolIds;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<VolIds> {
        vol_ids(ctx, &self.vol, self.pool.as_deref(), |v| v.key.clone())
    }
}

/// A volume's name (virsh vol-name VOL); VOL by key or path.
#[derive(Debug, clap::Args)]
pub struct VolName {
    /// Volume key or path.
    pub vol: String,
}

impl Verb for VolName {
    type Ctx = Session;
    type Output = VolIds;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<VolIds> {
        vol_ids(ctx, &self.vol, None, |v| v.name.clone())
    }
}

/// The pool holding a volume (virsh vol-pool VOL [--uuid]); VOL by key or path.
#[derive(Debug, clap::Args)]
pub struct VolPool {
    /// Volume key or path.
    pub vol: String,
    /// Print the pool's UUID rather than its name.
    #[arg(long)]
    pub uuid: bool,
}

impl Verb for VolPool {
    type Ctx = Session;
    type Output = VolIds;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<VolIds> {
        match self.uuid {
            true => vol_ids(ctx, &self.vol, None, |v| v.pool_uuid.clone()),
            false => vol_ids(ctx, &self.vol, None, |v| v.pool.clone()),
        }
    }
}
