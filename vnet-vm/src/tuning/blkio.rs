//! A domain's block I/O tuning: its cgroup weights and per-device limits (virsh blkiotune) and
//! one disk's QEMU throttling (virsh blkdeviotune). Shown without options, set with them; a
//! change is undone by setting the old values back.

use super::typed::{self, Knobs};
use super::{affects, read_flag, Tuned};
use crate::domains::resources::Scope;
use crate::storage::volumes::parse_size;
use std::ffi::CString;
use std::rc::Rc;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Result, Verb};

/// Show or set a domain's block I/O weights and per-device limits (virsh blkiotune). Device
/// lists are virsh's: `/dev/sda,500[,/dev/sdb,300]`.
#[derive(Debug, clap::Args)]
pub struct Blkiotune {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The domain's I/O weight (100-1000).
    #[arg(long)]
    pub weight: Option<u32>,
    /// Per-device weights: /path/to/device,weight,...
    #[arg(long)]
    pub device_weights: Option<String>,
    /// Per-device read operations per second: /path/to/device,iops,...
    #[arg(long)]
    pub device_read_iops_sec: Option<String>,
    /// Per-device write operations per second: /path/to/device,iops,...
    #[arg(long)]
    pub device_write_iops_sec: Option<String>,
    /// Per-device bytes read per second: /path/to/device,bytes,...
    #[arg(long)]
    pub device_read_bytes_sec: Option<String>,
    /// Per-device bytes written per second: /path/to/device,bytes,...
    #[arg(long)]
    pub device_write_bytes_sec: Option<String>,
    #[command(flatten)]
    pub scope: Scope,
}

impl Blkiotune {
    fn wanted(&self) -> Vec<(String, String)> {
        let fields = [
            ("weight", self.weight.map(|w| w.to_string())),
            ("device_weight", self.device_weights.clone()),
            ("device_read_iops_sec", self.device_read_iops_sec.clone()),
            ("device_write_iops_sec", self.device_write_iops_sec.clone()),
            ("device_read_bytes_sec", self.device_read_bytes_sec.clone()),
            ("device_write_bytes_sec", self.device_write_bytes_sec.clone()),
        ];
        let given = fields.into_iter().filter_map(|(k, v)| Some((k.to_string(), v?)));
        given.collect()
    }
}

impl Verb for Blkiotune {
    type Ctx = Session;
    type Output = Tuned;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Tuned> {
        let wanted = self.wanted();
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let (live, config) = affects(&self.scope, &dom)?;
        let what = format!("block I/O parameters of domain {}", quote(&name));
        let knobs = typed::domain_knobs(
            &dom,
            sys::virDomainGetBlkioParameters,
            sys::virDomainSetBlkioParameters,
            what,
            "block I/O parameter",
        );
        let change = knobs.change(&wanted, read_flag(live), self.scope.bits(), journal)?;
        Ok(Tuned {
            name,
            changed: change.changed,
            live,
            config,
            params: change.after,
            query: wanted.is_empty(),
        })
    }
}

/// Show or set one disk's I/O throttling (virsh blkdeviotune). Byte rates take virsh's units
/// (bytes unless given: 10M, 1G); 0 removes a limit.
#[derive(Debug, clap::Args)]
pub struct Blkdeviotune {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The disk: its target (vda) or source path.
    pub device: String,
    #[command(flatten)]
    pub limits: IoLimits,
    #[command(flatten)]
    pub scope: Scope,
}

/// blkdeviotune's limits, each the libvirt field of the same name with `_` for `-`.
#[derive(Debug, clap::Args)]
pub struct IoLimits {
    /// Total bytes per second.
    #[arg(long)]
    pub total_bytes_sec: Option<String>,
    /// Bytes read per second.
    #[arg(long)]
    pub read_bytes_sec: Option<String>,
    /// Bytes written per second.
    #[arg(long)]
    pub write_bytes_sec: Option<String>,
    /// Total operations per second.
    #[arg(long)]
    pub total_iops_sec: Option<u64>,
    /// Read operations per second.
    #[arg(long)]
    pub read_iops_sec: Option<u64>,
    /// Write operations per second.
    #[arg(long)]
    pub write_iops_sec: Option<u64>,
    /// Total bytes per second in a burst.
    #[arg(long)]
    pub total_bytes_sec_max: Option<String>,
    /// Bytes read per second in a burst.
    #[arg(long)]
    pub read_bytes_sec_max: Option<String>,
    /// Bytes written per second in a burst.
    #[arg(long)]
    pub write_bytes_sec_max: Option<String>,
    /// Total operations per second in a burst.
    #[arg(long)]
    pub total_iops_sec_max: Option<u64>,
    /// Read operations per second in a burst.
    #[arg(long)]
    pub read_iops_sec_max: Option<u64>,
    /// Write operations per second in a burst.
    #[arg(long)]
    pub write_iops_sec_max: Option<u64>,
    /// The size of one operation, in bytes, for the iops limits.
    #[arg(long)]
    pub size_iops_sec: Option<u64>,
    /// A group whose drives share the limits.
    #[arg(long)]
    pub group_name: Option<String>,
    /// Seconds a total bytes burst may last.
    #[arg(long)]
    pub total_bytes_sec_max_length: Option<u64>,
    /// Seconds a read bytes burst may last.
    #[arg(long)]
    pub read_bytes_sec_max_length: Option<u64>,
    /// Seconds a write bytes burst may last.
    #[arg(long)]
    pub write_bytes_sec_max_length: Option<u64>,
    /// Seconds a total operations burst may last.
    #[arg(long)]
    pub total_iops_sec_max_length: Option<u64>,
    /// Seconds a read operations burst may last.
    #[arg(long)]
    pub read_iops_sec_max_length: Option<u64>,
    /// Seconds a write operations burst may last.
    #[arg(long)]
    pub write_iops_sec_max_length: Option<u64>,
}

impl IoLimits {
    /// The fields given, in virsh's order, byte rates read with their units.
    fn wanted(&self) -> Result<Vec<(String, String)>> {
        let bytes = |field: &str, v: &Option<String>| -> Result<Option<(String, String)>> {
            let Some(text) = v else { return Ok(None) };
            let n = parse_size(text).map_err(|e| e.context(format!("--{}", field.replace('_', "-"))))?;
            Ok(Some((field.to_string(), n.to_string())))
        };
        let num = |field: &str, v: Option<u64>| v.map(|n| (field.to_string(), n.to_string()));
        let rows = [
            bytes("total_bytes_sec", &self.total_bytes_sec)?,
            bytes("read_bytes_sec", &self.read_bytes_sec)?,
            bytes("write_bytes_sec", &self.write_bytes_sec)?,
            num("total_iops_sec", self.total_iops_sec),
            num("read_iops_sec", self.read_iops_sec),
            num("write_iops_sec", self.write_iops_sec),
            bytes("total_bytes_sec_max", &self.total_bytes_sec_max)?,
            bytes("read_bytes_sec_max", &self.read_bytes_sec_max)?,
            bytes("write_bytes_sec_max", &self.write_bytes_sec_max)?,
            num("total_iops_sec_max", self.total_iops_sec_max),
            num("read_iops_sec_max", self.read_iops_sec_max),
            num("write_iops_sec_max", self.write_iops_sec_max),
            num("size_iops_sec", self.size_iops_sec),
            self.group_name.clone().map(|g| ("group_name".to_string(), g)),
            num("total_bytes_sec_max_length", self.total_bytes_sec_max_length),
            num("read_bytes_sec_max_length", self.read_bytes_sec_max_length),
            num("write_bytes_sec_max_length", self.write_bytes_sec_max_length),
            num("total_iops_sec_max_length", self.total_iops_sec_max_length),
            num("read_iops_sec_max_length", self.read_iops_sec_max_length),
            num("write_iops_sec_max_length", self.write_iops_sec_max_length),
        ];
        Ok(rows.into_iter().flatten().collect())
    }
}

/// The get/set pair of one disk's throttling.
fn disk_knobs(dom: &Domain, disk: &str, what: String) -> Result<Knobs> {
    let disk = CString::new(disk).map_err(|_| Error::invalid(format!("disk {}", quote(disk))))?;
    let (getter, setter, disk2) = (dom.clone(), dom.clone(), disk.clone());
    Ok(Knobs {
        // SAFETY: the closures hold the domain and the name; `p` is null or holds `*n`.
        get: Box::new(move |p, n, flags| unsafe {
            sys::virDomainGetBlockIoTune(getter.as_ptr(), disk.as_ptr(), p, n, flags)
        }),
        set: Rc::new(move |p, n, flags| unsafe {
            sys::virDomainSetBlockIoTune(setter.as_ptr(), disk2.as_ptr(), p, n, flags)
        }),
        what,
        field_word: "block I/O limit",
    })
}

impl Verb for Blkdeviotune {
    type Ctx = Session;
    type Output = Tuned;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Tuned> {
        let wanted = self.limits.wanted()?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let (live, config) = affects(&self.scope, &dom)?;
        let what = format!(
            "I/O limits of disk {} of domain {}",
            quote(&self.device),
            quote(&name)
        );
        let knobs = disk_knobs(&dom, &self.device, what)?;
        let change = knobs.change(&wanted, read_flag(live), self.scope.bits(), journal)?;
        Ok(Tuned {
            name,
            changed: change.changed,
            live,
            config,
            params: change.after,
            query: wanted.is_empty(),
        })
    }
}
