//! The verbs on one existing volume (virsh's spelling and flags): vol-resize, vol-wipe, vol-path
//! and vol-dumpxml. VOL is found as virsh finds it: its name with --pool, else its key or path.

use crate::storage::volumes::{parse_size, require, VolState};
use schemars::JsonSchema;
use serde::Serialize;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::xpath::XpathArgs;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Change a volume's capacity (virsh vol-resize VOL CAPACITY [--pool POOL] [--delta] [--shrink]
/// [--allocate]).
///
/// CAPACITY as virsh takes it (bytes, or 512M, 10G, ...): the new capacity, or with --delta the
/// change (added; taken away with --shrink, or written with a leading '-' and --shrink). A new
/// capacity below the current one needs --shrink: without it the call is exit 7, checked first,
/// the volume unchanged (virsh, too, refuses it); a '-' without --shrink is exit 7. The same
/// capacity again changes nothing ("changed": false). Growing is undone on a later failure
/// (--batch --atomic); shrinking drops data and cannot be undone.
#[derive(Debug, clap::Args)]
pub struct VolResize {
    /// Volume key or path, or name with --pool.
    pub vol: String,
    /// The new capacity (or with --delta the change).
    #[arg(allow_hyphen_values = true)]
    pub capacity: String,
    /// The pool holding a volume given by name.
    #[arg(long, value_name = "POOL")]
    pub pool: Option<String>,
    /// CAPACITY is a change, not the new capacity.
    #[arg(long)]
    pub delta: bool,
    /// Allow the capacity to go down (data beyond the new end is lost).
    #[arg(long)]
    pub shrink: bool,
    /// Allocate the new space (not sparse).
    #[arg(long)]
    pub allocate: bool,
}

/// A volume after vol-resize.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VolResized {
    #[serde(flatten)]
    pub volume: VolState,
    /// True when the capacity changed.
    pub changed: bool,
    /// The capacity before, in bytes.
    pub old_capacity: u64,
    /// CAPACITY as given (without its '-'), for virsh's confirmation.
    #[serde(skip)]
    #[schemars(skip)]
    given: String,
    #[serde(skip)]
    #[schemars(skip)]
    delta: bool,
}

/// virsh's confirmation.
impl Render for VolResized {
    fn text(&self, _style: TextStyle) -> String {
        let how = if self.delta { "by" } else { "to" };
        format!(
            "Size of volume '{}' successfully changed {how} {}\n\n",
            self.volume.name, self.given
        )
    }
}

impl VolResize {
    /// The capacity asked for, from the current one: exit 7 for what virsh or libvirt refuses.
    fn wanted(&self, current: u64) -> Result<(u64, String)> {
        let given = self.capacity.trim();
        let (negative, given) = match given.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, given),
        };
        if negative && !self.shrink {
            return Err(Error::invalid(format!(
                "negative size {} requires --shrink",
                quote(&self.capacity)
            )));
        }
        let bytes = parse_size(given)?;
        let wanted = match (self.delta, self.shrink) {
            (false, _) => Some(bytes),
            (true, false) => current.checked_add(bytes),
            (true, true) => current.checked_sub(bytes),
        };
        let wanted = wanted.filter(|w| *w > 0).ok_or_else(|| {
            Error::invalid(format!(
                "cannot change a capacity of {current} bytes by {}",
                quote(&self.capacity)
            ))
        })?;
        if wanted < current && !self.shrink {
            return Err(Error::invalid(format!(
                "{} ({wanted} bytes) is below the volume's capacity of {current} bytes",
                quote(&self.capacity)
            ))
            .with_hint("add --shrink to make it smaller (data beyond the new end is lost)"));
        }
        Ok((wanted, given.to_string()))
    }
}

impl Verb for VolResize {
    type Ctx = Session;
    type Output = VolResized;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<VolResized> {
        let conn = ctx.conn()?;
        let vol = require(conn, &self.vol, self.pool.as_deref())?;
        let before = VolState::read(&vol)?;
        let (wanted, given) = self.wanted(before.capacity)?;
        let old = before.capacity;
        if wanted != old {
            let mut flags = 0;
            if wanted < old {
                flags |= sys::VIR_STORAGE_VOL_RESIZE_SHRINK;
            }
            if self.allocate {
                flags |= sys::VIR_STORAGE_VOL_RESIZE_ALLOCATE;
            }
            let what = format!("resize volume {} to {wanted} bytes", before.path);
            vol.resize(wanted, flags).libvirt(&what)?;
            if wanted > old {
                let undo = vol.clone();
                journal.record_fn(what, move || {
                    undo.resize(old, sys::VIR_STORAGE_VOL_RESIZE_SHRINK)
                        .map(drop)
                        .libvirt("shrink the volume back")
                })?;
            } else {
                journal.irreversible(what)?;
            }
        }
        Ok(VolResized {
            volume: VolState::read(&vol)?,
            changed: wanted != old,
            old_capacity: old,
            given,
            delta: self.delta,
        })
    }
}

/// The wipe algorithms of virsh vol-wipe --algorithm (all but zero run scrub(1) on the host).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WipeAlgorithm {
    Zero,
    Nnsa,
    Dod,
    Bsi,
    Gutmann,
    Schneier,
    Pfitzner7,
    Pfitzner33,
    Random,
    Trim,
}

impl WipeAlgorithm {
    fn libvirt(self) -> sys::virStorageVolWipeAlgorithm {
        match self {
            WipeAlgorithm::Zero => sys::VIR_STORAGE_VOL_WIPE_ALG_ZERO,
            WipeAlgorithm::Nnsa => sys::VIR_STORAGE_VOL_WIPE_ALG_NNSA,
            WipeAlgorithm::Dod => sys::VIR_STORAGE_VOL_WIPE_ALG_DOD,
            WipeAlgorithm::Bsi => sys::VIR_STORAGE_VOL_WIPE_ALG_BSI,
            WipeAlgorithm::Gutmann => sys::VIR_STORAGE_VOL_WIPE_ALG_GUTMANN,
            WipeAlgorithm::Schneier => sys::VIR_STORAGE_VOL_WIPE_ALG_SCHNEIER,
            WipeAlgorithm::Pfitzner7 => sys::VIR_STORAGE_VOL_WIPE_ALG_PFITZNER7,
            WipeAlgorithm::Pfitzner33 => sys::VIR_STORAGE_VOL_WIPE_ALG_PFITZNER33,
            WipeAlgorithm::Random => sys::VIR_STORAGE_VOL_WIPE_ALG_RANDOM,
            WipeAlgorithm::Trim => sys::VIR_STORAGE_VOL_WIPE_ALG_TRIM,
        }
    }

    fn name(self) -> String {
        use clap::ValueEnum;
        self.to_possible_value()
            .map_or_else(|| "zero".into(), |v| v.get_name().to_string())
    }
}

/// Overwrite a volume's content (virsh vol-wipe VOL [--pool POOL] [--algorithm ALG]).
///
/// zero (the default) writes zeros; the other algorithms are libvirt's, which runs scrub(1) on
/// the volume's host (missing there: libvirt's error, exit 1, nothing written). Cannot be undone.
#[derive(Debug, clap::Args)]
pub struct VolWipe {
    /// Volume key or path, or name with --pool.
    pub vol: String,
    /// The pool holding a volume given by name.
    #[arg(long, value_name = "POOL")]
    pub pool: Option<String>,
    /// The wipe algorithm.
    #[arg(long, value_enum, default_value_t = WipeAlgorithm::Zero)]
    pub algorithm: WipeAlgorithm,
}

/// A volume after vol-wipe.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VolWiped {
    #[serde(flatten)]
    pub volume: VolState,
    /// True: the content was overwritten.
    pub changed: bool,
    /// The algorithm used.
    pub algorithm: String,
}

impl Render for VolWiped {
    fn text(&self, _style: TextStyle) -> String {
        format!("Vol {} wiped\n\n", self.volume.name)
    }
}

impl Verb for VolWipe {
    type Ctx = Session;
    type Output = VolWiped;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<VolWiped> {
        let vol = require(ctx.conn()?, &self.vol, self.pool.as_deref())?;
        let state = VolState::read(&vol)?;
        let what = format!("wipe volume {}", state.path);
        vol.wipe_pattern(self.algorithm.libvirt(), 0).libvirt(&what)?;
        journal.irreversible(what)?;
        Ok(VolWiped {
            volume: VolState::read(&vol)?,
            changed: true,
            algorithm: self.algorithm.name(),
        })
    }
}

/// Print a volume's path (virsh vol-path VOL [--pool POOL]); -o text prints the path alone.
#[derive(Debug, clap::Args)]
pub struct VolPath {
    /// Volume key or path, or name with --pool.
    pub vol: String,
    /// The pool holding a volume given by name.
    #[arg(long, value_name = "POOL")]
    pub pool: Option<String>,
}

/// A volume's names: what vol-path prints one of.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VolNames {
    /// The volume's name in its pool.
    pub name: String,
    /// The pool holding it.
    pub pool: String,
    /// Its path.
    pub path: String,
    /// Its key (for a dir pool, its path).
    pub key: String,
}

impl Render for VolNames {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n\n", self.path)
    }
}

impl Verb for VolPath {
    type Ctx = Session;
    type Output = VolNames;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<VolNames> {
        let vol = require(ctx.conn()?, &self.vol, self.pool.as_deref())?;
        let state = VolState::read(&vol)?;
        Ok(VolNames {
            key: vol.get_key().libvirt(format!("key of volume {}", state.path))?,
            name: state.name,
            pool: state.pool,
            path: state.path,
        })
    }
}

/// Print a volume's XML (virsh vol-dumpxml VOL [--pool POOL]).
///
/// Prints the XML document itself, as virsh does; -o json gives {"name", "pool", "xml"}.
#[derive(Debug, clap::Args)]
pub struct VolDumpxml {
    /// Volume key or path, or name with --pool.
    pub vol: String,
    /// The pool holding a volume given by name.
    #[arg(long, value_name = "POOL")]
    pub pool: Option<String>,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

/// A volume's XML.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VolDocument {
    /// The volume's name.
    pub name: String,
    /// The pool holding it.
    pub pool: String,
    /// The volume XML as libvirt gives it; with --xpath, the selected nodes as printed.
    pub xml: String,
    /// With --xpath, each selected node's XML (with --wrap, the one `<nodes>` element); null
    /// without --xpath.
    pub nodes: Option<Vec<String>>,
}

impl Render for VolDocument {
    fn text(&self, _style: TextStyle) -> String {
        self.xml.clone()
    }

    fn document(&self) -> Option<&str> {
        Some(&self.xml)
    }
}

impl Verb for VolDumpxml {
    type Ctx = Session;
    type Output = VolDocument;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<VolDocument> {
        let vol = require(ctx.conn()?, &self.vol, self.pool.as_deref())?;
        let state = VolState::read(&vol)?;
        let xml = vol
            .get_xml_desc(0)
            .libvirt(format!("XML of volume {}", state.path))?;
        let (xml, nodes) = self.xpath.shown(xml)?;
        Ok(VolDocument {
            name: state.name,
            pool: state.pool,
            xml,
            nodes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resize(capacity: &str, delta: bool, shrink: bool) -> VolResize {
        VolResize {
            vol: "v".into(),
            capacity: capacity.into(),
            pool: None,
            delta,
            shrink,
            allocate: false,
        }
    }

    #[test]
    fn capacities_as_virsh_vol_resize_reads_them() {
        let mib = 1 << 20;
        assert_eq!(
            resize("2M", false, false).wanted(mib).unwrap(),
            (2 * mib, "2M".into())
        );
        assert_eq!(resize("1M", true, false).wanted(mib).unwrap().0, 2 * mib);
        assert_eq!(
            resize("-512K", true, true).wanted(mib).unwrap(),
            (mib / 2, "512K".into())
        );
        assert_eq!(resize("512K", true, true).wanted(mib).unwrap().0, mib / 2);
        assert_eq!(resize("-512K", false, true).wanted(mib).unwrap().0, mib / 2);
        for (bad, needle) in [
            (resize("512K", false, false), "below the volume's capacity"),
            (resize("-512K", true, false), "requires --shrink"),
            (resize("2M", true, true), "cannot change"),
            (resize("ten", false, false), "invalid size"),
        ] {
            let e = bad.wanted(mib).unwrap_err();
            assert_eq!(e.exit_code(), 7);
            assert!(e.message.contains(needle), "{needle}: {}", e.message);
        }
    }
}
