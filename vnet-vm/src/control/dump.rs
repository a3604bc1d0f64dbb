//! A domain's core dump to a file (virsh dump): the whole QEMU state, or with --memory-only the
//! guest memory in ELF or a kdump/win-dmp format. The file is removed again on a later failure
//! when the dump created it; a crash or reset it caused cannot be undone.

use crate::domains::progress::with_progress;
use schemars::JsonSchema;
use serde::Serialize;
use std::path::Path;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, Verb};

/// The formats of --memory-only, by virsh's names, with libvirt's numbers.
const FORMATS: [(&str, u32); 5] = [
    ("elf", sys::VIR_DOMAIN_CORE_DUMP_FORMAT_RAW),
    ("kdump-zlib", sys::VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_ZLIB),
    ("kdump-lzo", sys::VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_LZO),
    ("kdump-snappy", sys::VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_SNAPPY),
    ("win-dmp", sys::VIR_DOMAIN_CORE_DUMP_FORMAT_WIN_DMP),
];

/// Dump a domain's core to FILE (virsh dump). The domain pauses while dumping unless --live.
#[derive(Debug, clap::Args)]
pub struct Dump {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Where to write the dump (as the host running the domain sees it).
    pub file: String,
    /// Keep the guest running while dumping.
    #[arg(long)]
    pub live: bool,
    /// Crash the domain afterwards.
    #[arg(long, conflicts_with = "reset")]
    pub crash: bool,
    /// Write past the host's file cache.
    #[arg(long)]
    pub bypass_cache: bool,
    /// Show the dump's progress on stderr, as virsh does ("Dump: [ 42 %]").
    #[arg(long)]
    pub verbose: bool,
    /// Reset the domain afterwards.
    #[arg(long)]
    pub reset: bool,
    /// Only the guest memory, as --format.
    #[arg(long)]
    pub memory_only: bool,
    /// With --memory-only: elf (default), kdump-zlib, kdump-lzo, kdump-snappy or win-dmp.
    #[arg(long, requires = "memory_only")]
    pub format: Option<String>,
}

/// The dump written.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Dumped {
    pub name: String,
    pub file: String,
    /// elf, kdump-zlib, kdump-lzo, kdump-snappy or win-dmp for --memory-only; null for a full
    /// dump.
    pub format: Option<String>,
    pub changed: bool,
}

impl Render for Dumped {}

impl Dump {
    fn format_number(&self) -> Result<u32> {
        let name = self.format.as_deref().unwrap_or("elf");
        let found = FORMATS.iter().find(|(n, _)| *n == name);
        let names: Vec<&str> = FORMATS.iter().map(|(n, _)| *n).collect();
        found.map(|(_, f)| *f).ok_or_else(|| {
            Error::invalid(format!(
                "dump format {}: one of {}",
                quote(name),
                names.join(", ")
            ))
        })
    }

    fn flags(&self) -> u32 {
        let pairs = [
            (self.live, sys::VIR_DUMP_LIVE),
            (self.crash, sys::VIR_DUMP_CRASH),
            (self.bypass_cache, sys::VIR_DUMP_BYPASS_CACHE),
            (self.reset, sys::VIR_DUMP_RESET),
            (self.memory_only, sys::VIR_DUMP_MEMORY_ONLY),
        ];
        pairs.iter().filter(|(on, _)| *on).fold(0, |a, (_, f)| a | f)
    }
}

impl Verb for Dump {
    type Ctx = Session;
    type Output = Dumped;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Dumped> {
        let format = self.format_number()?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let existed = Path::new(&self.file).exists();
        let what = format!("dump domain {} to {}", quote(&name), quote(&self.file));
        let (job, file, flags) = (dom.clone(), self.file.clone(), self.flags());
        with_progress(&dom, "Dump", self.verbose, move || {
            job.core_dump_with_format(&file, format, flags).map(drop)
        })
        .libvirt(&what)?;
        match (self.crash || self.reset, existed) {
            (true, _) | (_, true) => journal.irreversible(&what)?,
            _ => {
                let file = self.file.clone();
                journal.record_fn(&what, move || {
                    std::fs::remove_file(&file).map_err(|e| Error::failed(format!("remove {file}: {e}")))
                })?;
            }
        }
        let format = self
            .memory_only
            .then(|| self.format.unwrap_or_else(|| "elf".into()));
        Ok(Dumped {
            name,
            file: self.file,
            format,
            changed: true,
        })
    }
}
