//! The host's memory pages and power: freepages, allocpages (the huge page pools of the NUMA
//! cells), nodesevinfo (AMD SEV) and nodesuspend, as virsh does them.

use crate::domains::resources::size_kib;
use schemars::JsonSchema;
use serde::Serialize;
use virt::connect::Connect;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{xml, LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// A page size as virsh reads it: a bare number is KiB, or a size with a unit (2M, 1G); the
/// result in KiB. Above 4 GiB (virsh's limit) or 0 is exit 7.
fn page_kib(text: &str) -> Result<u32> {
    let kib = size_kib(text)?;
    match kib {
        1..=0x3f_ffff => Ok(kib as u32),
        _ => Err(Error::invalid(format!("invalid page size {}", quote(text)))
            .with_hint("a page size in KiB (4, 2048) or with a unit (2M, 1G)")),
    }
}

/// The host's NUMA cells and page sizes, from its capabilities as virsh reads them: cell ids from
/// topology/cells/cell, page sizes from host/cpu/pages (else the cells' pages), sorted, once each;
/// and each cell's huge page pools (size in KiB, pages).
struct Topology {
    cells: Vec<i32>,
    sizes: Vec<u32>,
    pools: Vec<(i32, u32, u64)>,
}

fn topology(conn: &Connect) -> Result<Topology> {
    let caps = conn.get_capabilities().libvirt("host capabilities")?;
    let root = xml::parse(&caps).map_err(|e| Error::failed(format!("host capabilities: {e}")))?;
    let cell_els = root.all(&["host", "topology", "cells", "cell"]);
    let cells: Vec<i32> = cell_els
        .iter()
        .filter_map(|c| c.attr("id")?.parse().ok())
        .collect();
    let size = |p: &&xml::Element| p.attr("size")?.parse::<u32>().ok();
    let mut sizes: Vec<u32> = root
        .all(&["host", "cpu", "pages"])
        .iter()
        .filter_map(size)
        .collect();
    let mut pools = Vec::new();
    for cell in &cell_els {
        let id: i32 = cell.attr("id").and_then(|v| v.parse().ok()).unwrap_or(-1);
        for pages in cell.children_named("pages") {
            let Some(kib) = size(&pages) else { continue };
            pools.push((id, kib, pages.text.trim().parse().unwrap_or(0)));
        }
    }
    if sizes.is_empty() {
        sizes = pools.iter().map(|(_, kib, _)| *kib).collect();
    }
    sizes.sort_unstable();
    sizes.dedup();
    Ok(Topology { cells, sizes, pools })
}

/// Free pages of each size in one cell (-1: the whole host), as virNodeGetFreePages counts them.
fn free_pages(conn: &Connect, sizes: &[u32], cell: i32) -> Result<Vec<u64>> {
    let mut sizes = sizes.to_vec();
    let mut counts = vec![0u64; sizes.len()];
    // SAFETY: both arrays hold sizes.len() entries for the one cell asked.
    let n = unsafe {
        sys::virNodeGetFreePages(
            conn.as_ptr(),
            sizes.len() as u32,
            sizes.as_mut_ptr(),
            cell,
            1,
            counts.as_mut_ptr(),
            0,
        )
    };
    if n < 0 {
        return Err(virt::error::Error::last_error()).libvirt("free pages of the host");
    }
    Ok(counts)
}

/// Free memory pages of a NUMA cell (virsh freepages --cellno N --pagesize SIZE, or --all).
///
/// Without --all both --cellno (-1: the whole host) and --pagesize are needed (exit 2, as virsh
/// refuses). --all lists every cell with every page size the host has, or --pagesize's alone.
#[derive(Debug, clap::Args)]
pub struct Freepages {
    /// The NUMA cell (-1: the whole host).
    #[arg(
        long,
        required_unless_present = "all",
        conflicts_with = "all",
        allow_negative_numbers = true
    )]
    pub cellno: Option<i32>,
    /// The page size: KiB, or with a unit (2M, 1G).
    #[arg(long, required_unless_present = "all")]
    pub pagesize: Option<String>,
    /// Every NUMA cell.
    #[arg(long)]
    pub all: bool,
}

/// Free pages of one size.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PageCount {
    pub size_kib: u32,
    pub free: u64,
}

/// One NUMA cell's free pages.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CellPages {
    /// The cell's id (-1: the whole host).
    pub cell: i32,
    pub pages: Vec<PageCount>,
}

/// Free pages per cell: one cell and size without --all.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FreePages {
    pub cells: Vec<CellPages>,
    /// --all: -o text prints virsh's "Node N:" blocks.
    #[serde(skip)]
    pub all: bool,
}

impl Render for FreePages {
    fn text(&self, _style: TextStyle) -> String {
        let sizes = |c: &CellPages| -> String {
            let lines = c.pages.iter().map(|p| format!("{}KiB: {}\n", p.size_kib, p.free));
            lines.collect()
        };
        let body: String = match self.all {
            true => self
                .cells
                .iter()
                .map(|c| format!("Node {}:\n{}\n", c.cell, sizes(c)))
                .collect(),
            false => self.cells.iter().map(sizes).collect(),
        };
        body + "\n"
    }
}

impl Verb for Freepages {
    type Ctx = Session;
    type Output = FreePages;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<FreePages> {
        if self.cellno.is_some_and(|c| c < -1) {
            return Err(Error::invalid("cell number must be non-negative integer or -1"));
        }
        let asked = self.pagesize.as_deref().map(page_kib).transpose()?;
        let conn = ctx.conn()?;
        let (cells, sizes) = match (self.all, asked) {
            (true, _) => {
                let topo = topology(conn)?;
                let sizes = asked.map_or(topo.sizes, |kib| vec![kib]);
                if sizes.is_empty() {
                    return Err(Error::failed(
                        "could not get information about supported page sizes",
                    ));
                }
                (topo.cells, sizes)
            }
            (false, kib) => (vec![self.cellno.unwrap_or(-1)], vec![kib.unwrap_or(4)]),
        };
        let mut out = Vec::new();
        for cell in cells {
            let counts = free_pages(conn, &sizes, cell)?;
            let pages = sizes.iter().zip(counts);
            let pages = pages
                .map(|(&size_kib, free)| PageCount { size_kib, free })
                .collect();
            out.push(CellPages { cell, pages });
        }
        Ok(FreePages {
            cells: out,
            all: self.all,
        })
    }
}

/// Set (or with --add grow) a NUMA cell's pool of huge pages (virsh allocpages SIZE COUNT).
///
/// --cellno chooses the cell, --all sets every cell, neither the whole host. The kernel may give
/// fewer pages than asked (memory in use): the result says how many each cell has. Undone on a
/// later failure (--batch --atomic): each cell's pool is set back to its old size.
#[derive(Debug, clap::Args)]
pub struct Allocpages {
    /// The page size: KiB, or with a unit (2M, 1G).
    pub pagesize: String,
    /// How many pages the pool should hold (with --add: how many more).
    pub pagecount: u64,
    /// The NUMA cell.
    #[arg(long, conflicts_with = "all")]
    pub cellno: Option<i32>,
    /// Add COUNT pages to the pool instead of setting its size.
    #[arg(long)]
    pub add: bool,
    /// Every NUMA cell.
    #[arg(long)]
    pub all: bool,
}

/// A cell's pool after allocpages.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CellPool {
    pub cell: i32,
    /// Pages in the pool now, as the host's capabilities say.
    pub pages: u64,
}

/// The pools of one page size after allocpages; virsh prints nothing.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PagesAllocated {
    pub size_kib: u32,
    /// False when every pool already had that size.
    pub changed: bool,
    pub cells: Vec<CellPool>,
}

impl Render for PagesAllocated {
    fn text(&self, _style: TextStyle) -> String {
        String::new()
    }
}

/// The pool size of `kib` pages in each cell.
fn pools_of(conn: &Connect, kib: u32) -> Result<Vec<CellPool>> {
    let topo = topology(conn)?;
    let pools = topo.pools.iter().filter(|(_, size, _)| *size == kib);
    Ok(pools.map(|&(cell, _, pages)| CellPool { cell, pages }).collect())
}

/// virNodeAllocPages for one size: `count` pages in `cells` cells from `start` (-1: the host).
fn alloc(conn: &Connect, kib: u32, count: u64, start: i32, cells: u32, add: bool) -> Result<()> {
    let (mut sizes, mut counts) = ([kib], [count]);
    let flags = match add {
        true => sys::VIR_NODE_ALLOC_PAGES_ADD,
        false => sys::VIR_NODE_ALLOC_PAGES_SET,
    };
    // SAFETY: one size and one count, both live for the call.
    let n = unsafe {
        sys::virNodeAllocPages(
            conn.as_ptr(),
            1,
            sizes.as_mut_ptr(),
            counts.as_mut_ptr(),
            start,
            cells,
            flags,
        )
    };
    match n < 0 {
        true => Err(virt::error::Error::last_error()).libvirt(format!("allocate {kib} KiB pages")),
        false => Ok(()),
    }
}

impl Verb for Allocpages {
    type Ctx = Session;
    type Output = PagesAllocated;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PagesAllocated> {
        let kib = page_kib(&self.pagesize)?;
        let conn = ctx.conn()?.clone();
        let before = pools_of(&conn, kib)?;
        let targets: Vec<i32> = match (self.all, self.cellno) {
            (true, _) => topology(&conn)?.cells,
            (false, cell) => vec![cell.unwrap_or(-1)],
        };
        for cell in targets {
            alloc(&conn, kib, self.pagecount, cell, 1, self.add)?;
        }
        let cells = pools_of(&conn, kib)?;
        let changed = before.iter().zip(&cells).any(|(a, b)| a.pages != b.pages);
        for old in before.iter().filter(|old| changed && old.cell >= 0) {
            let (undo_conn, cell, pages) = (conn.clone(), old.cell, old.pages);
            let step = format!("set cell {cell}'s {kib} KiB page pool back to {pages}");
            journal.record_fn(step, move || alloc(&undo_conn, kib, pages, cell, 1, false))?;
        }
        Ok(PagesAllocated {
            size_kib: kib,
            changed,
            cells,
        })
    }
}

/// The host's AMD SEV parameters (virsh nodesevinfo); a host without SEV is libvirt's refusal.
#[derive(Debug, clap::Args)]
pub struct Nodesevinfo {}

/// SEV's parameters by libvirt's names (pdh, cert-chain, cbitpos, reduced-phys-bits...).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct SevInfo(pub crate::observe::params::Params);

impl Render for SevInfo {
    fn text(&self, _style: TextStyle) -> String {
        let lines = self.0 .0.iter().map(|(k, v)| format!("{k:<18}: {}\n", v.virsh()));
        lines.collect::<String>() + "\n"
    }
}

impl Verb for Nodesevinfo {
    type Ctx = Session;
    type Output = SevInfo;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<SevInfo> {
        let conn = ctx.conn()?;
        let (mut params, mut n) = (std::ptr::null_mut(), 0);
        // SAFETY: libvirt allocates the parameters; Params::take reads and frees them.
        if unsafe { sys::virNodeGetSEVInfo(conn.as_ptr(), &mut params, &mut n, 0) } < 0 {
            return Err(virt::error::Error::last_error()).libvirt("SEV information of the host");
        }
        Ok(SevInfo(unsafe {
            crate::observe::params::Params::take(params, n)
        }))
    }
}

/// Suspend the host for DURATION seconds and wake it up then (virsh nodesuspend TARGET
/// DURATION). TARGET: mem (suspend to RAM), disk (to disk) or hybrid.
///
/// Another TARGET is exit 7, before libvirt is asked. libvirt refuses a duration under 60 s and
/// a host without the power management tools (pm-utils) or the target.
#[derive(Debug, clap::Args)]
pub struct Nodesuspend {
    /// mem, disk or hybrid.
    pub target: String,
    /// Seconds before the host wakes up (libvirt: at least 60).
    pub duration: u64,
}

/// The host was suspended and woke up; virsh prints nothing.
#[derive(Debug, Serialize, JsonSchema)]
pub struct HostSuspended {
    pub target: String,
    pub duration: u64,
}

impl Render for HostSuspended {
    fn text(&self, _style: TextStyle) -> String {
        String::new()
    }
}

impl Verb for Nodesuspend {
    type Ctx = Session;
    type Output = HostSuspended;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<HostSuspended> {
        let target = match self.target.as_str() {
            "mem" => sys::VIR_NODE_SUSPEND_TARGET_MEM,
            "disk" => sys::VIR_NODE_SUSPEND_TARGET_DISK,
            "hybrid" => sys::VIR_NODE_SUSPEND_TARGET_HYBRID,
            other => {
                return Err(Error::invalid(format!("invalid target {}", quote(other)))
                    .with_hint("mem, disk or hybrid"))
            }
        };
        let conn = ctx.conn()?;
        // SAFETY: a plain call on a live connection.
        if unsafe { sys::virNodeSuspendForDuration(conn.as_ptr(), target, self.duration, 0) } < 0 {
            return Err(virt::error::Error::last_error()).libvirt("suspend the host");
        }
        Ok(HostSuspended {
            target: self.target,
            duration: self.duration,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run, session};

    #[test]
    fn the_test_drivers_free_pages_read_as_virsh_prints_them() {
        let mut ctx = session();
        let all = Freepages {
            cellno: None,
            pagesize: None,
            all: true,
        };
        let text = run(&mut ctx, all).unwrap().text(TextStyle::default());
        assert!(
            text.starts_with("Node 0:\n4KiB: 19\n8KiB: 45\n2048KiB: 97\n"),
            "{text}"
        );
        assert!(text.ends_with("1048576KiB: 201\n\n\n"), "{text}");
        let one = Freepages {
            cellno: Some(0),
            pagesize: Some("4".into()),
            all: false,
        };
        assert_eq!(
            run(&mut ctx, one).unwrap().text(TextStyle::default()),
            "4KiB: 19\n\n"
        );
        assert_eq!(page_kib("2M").unwrap(), 2048);
        assert_eq!(page_kib("1G").unwrap(), 1048576);
        assert_eq!(page_kib("0").unwrap_err().exit_code(), 7);
        assert_eq!(page_kib("8G").unwrap_err().exit_code(), 7);
    }

    #[test]
    fn the_test_driver_refuses_what_it_does_not_do() {
        let mut ctx = session();
        let bad = Nodesuspend {
            target: "sleep".into(),
            duration: 60,
        };
        assert_eq!(run(&mut ctx, bad).unwrap_err().exit_code(), 7);
        let suspend = Nodesuspend {
            target: "mem".into(),
            duration: 60,
        };
        assert_eq!(run(&mut ctx, suspend).unwrap_err().exit_code(), 6);
        assert_eq!(run(&mut ctx, Nodesevinfo {}).unwrap_err().exit_code(), 6);
    }
}
