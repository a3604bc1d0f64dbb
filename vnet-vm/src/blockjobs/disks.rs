//! A running domain's disk conditions: I/O errors QEMU paused on (virsh domblkerror) and the
//! write threshold that raises an event (virsh domblkthreshold).

use crate::observe::params::Params;
use crate::storage::volumes::parse_size;
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CStr;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

/// The disks that hit an I/O error (virsh domblkerror).
#[derive(Debug, clap::Args)]
pub struct Domblkerror {
    /// The domain (name, ID or UUID).
    pub domain: String,
}

/// One disk's error.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DiskError {
    /// The disk's target (vda).
    pub disk: String,
    /// virsh's words: "no space", "unspecified error" or "no error".
    pub error: String,
}

/// The disks with an error; empty when none has one.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct DiskErrors(pub Vec<DiskError>);

impl Render for DiskErrors {
    fn text(&self, _style: TextStyle) -> String {
        if self.0.is_empty() {
            return "No errors found\n\n".into();
        }
        let lines: String = self
            .0
            .iter()
            .map(|e| format!("{}: {}\n", e.disk, e.error))
            .collect();
        lines + "\n"
    }
}

fn error_word(code: i32) -> &'static str {
    match code as u32 {
        sys::VIR_DOMAIN_DISK_ERROR_NONE => "no error",
        sys::VIR_DOMAIN_DISK_ERROR_NO_SPACE => "no space",
        _ => "unspecified error",
    }
}

impl Verb for Domblkerror {
    type Ctx = Session;
    type Output = DiskErrors;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<DiskErrors> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let what = format!("disk errors of domain {}", quote(&self.domain));
        let failed = || Err(virt::error::Error::last_error()).libvirt(&what);
        // SAFETY: a count first (null array), then an array of that many, each disk name freed.
        let n = unsafe { sys::virDomainGetDiskErrors(dom.as_ptr(), std::ptr::null_mut(), 0, 0) };
        if n < 0 {
            return failed();
        }
        let mut errors: Vec<sys::virDomainDiskError> = vec![unsafe { std::mem::zeroed() }; n as usize];
        let got = unsafe { sys::virDomainGetDiskErrors(dom.as_ptr(), errors.as_mut_ptr(), n as u32, 0) };
        if got < 0 {
            return failed();
        }
        let read = |e: &sys::virDomainDiskError| unsafe {
            let disk = CStr::from_ptr(e.disk).to_string_lossy().into_owned();
            libc::free(e.disk.cast());
            DiskError {
                disk,
                error: error_word(e.error).into(),
            }
        };
        Ok(DiskErrors(errors.iter().take(got as usize).map(read).collect()))
    }
}

/// Set the write threshold of a running domain's disk: libvirt raises a block-threshold event
/// once the guest writes past it (virsh domblkthreshold). Bytes unless it has a unit (10G);
/// 0 removes it.
#[derive(Debug, clap::Args)]
pub struct Domblkthreshold {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The disk: its target (vda), or `vda[1]` for a backing layer.
    pub dev: String,
    /// The threshold (bytes, or 10G, 512M).
    pub threshold: String,
}

/// A disk's threshold after domblkthreshold.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Threshold {
    pub name: String,
    pub dev: String,
    /// False when it had that threshold already.
    pub changed: bool,
    /// The threshold in bytes; 0 is none.
    pub threshold_bytes: u64,
}

impl Render for Threshold {}

/// The threshold libvirt reports for `dev` in the domain's block stats (0 when none).
fn threshold_of(dom: &Domain, dev: &str) -> Result<u64> {
    let mut ptrs = [dom.as_ptr(), std::ptr::null_mut()];
    let mut records: *mut sys::virDomainStatsRecordPtr = std::ptr::null_mut();
    // SAFETY: a NULL-terminated array of one held domain; the records are freed below.
    let n = unsafe {
        sys::virDomainListGetStats(ptrs.as_mut_ptr(), sys::VIR_DOMAIN_STATS_BLOCK, &mut records, 0)
    };
    if n < 0 {
        return Err(virt::error::Error::last_error()).libvirt("block stats");
    }
    let params = match n {
        0 => Params::default(),
        // SAFETY: the first record, read before the list is freed.
        _ => unsafe {
            let record = *records;
            Params::read((*record).params, (*record).nparams)
        },
    };
    unsafe { sys::virDomainStatsRecordListFree(records) };
    let index = params.0.iter().find_map(|(k, v)| {
        let i = k.strip_prefix("block.")?.strip_suffix(".name")?;
        (v.virsh() == dev).then(|| i.to_string())
    });
    let value = index.and_then(|i| params.get(&format!("block.{i}.threshold"))?.as_u64());
    Ok(value.unwrap_or(0))
}

impl Verb for Domblkthreshold {
    type Ctx = Session;
    type Output = Threshold;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Threshold> {
        let bytes = parse_size(&self.threshold)?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let old = threshold_of(&dom, &self.dev)?;
        let what = format!(
            "set the write threshold of disk {} of domain {}",
            quote(&self.dev),
            quote(&name)
        );
        dom.set_block_threshold(&self.dev, bytes, 0).libvirt(&what)?;
        let changed = old != bytes;
        if changed {
            let (undo, dev) = (dom.clone(), self.dev.clone());
            journal.record_fn(what, move || {
                undo.set_block_threshold(&dev, old, 0)
                    .map(drop)
                    .libvirt("set the threshold back")
            })?;
        }
        Ok(Threshold {
            name,
            dev: self.dev,
            changed,
            threshold_bytes: bytes,
        })
    }
}
