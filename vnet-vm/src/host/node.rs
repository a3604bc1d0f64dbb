//! The host's memory and CPUs as virsh's node verbs show them: freecell, nodememstats,
//! nodecpumap, cpu-models, and the storage pool types the host supports (pool-capabilities).

use crate::tuning::{host_cpus, CpuSet};
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CStr;
use virt::sys;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

/// Free memory of the host or of its NUMA cells (virsh freecell).
#[derive(Debug, clap::Args)]
pub struct Freecell {
    /// One NUMA cell.
    #[arg(long, conflicts_with = "all")]
    pub cellno: Option<i32>,
    /// Every NUMA cell, and the total.
    #[arg(long)]
    pub all: bool,
}

/// One cell's free memory.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CellFree {
    pub cell: i32,
    pub free_kib: u64,
}

/// Free memory: per cell with --all or --cellno, and the total.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FreeMemory {
    /// The cells asked for (empty without --cellno or --all).
    pub cells: Vec<CellFree>,
    /// Free memory of the cells listed, or of the host.
    pub total_kib: u64,
    /// --all: -o text prints the cell table and the total.
    #[serde(skip)]
    pub all: bool,
}

impl Render for FreeMemory {
    fn text(&self, _style: TextStyle) -> String {
        match self.cells.len() {
            0 => format!("Total: {} KiB\n", self.total_kib),
            _ if !self.all => format!("{}: {} KiB\n", self.cells[0].cell, self.cells[0].free_kib),
            _ => {
                let rows: String = self
                    .cells
                    .iter()
                    .map(|c| format!("{:>5}: {:>10} KiB\n", c.cell, c.free_kib))
                    .collect();
                format!(
                    "{rows}--------------------\n{:>5}: {:>10} KiB\n",
                    "Total", self.total_kib
                )
            }
        }
    }
}

impl Verb for Freecell {
    type Ctx = Session;
    type Output = FreeMemory;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<FreeMemory> {
        let conn = ctx.conn()?;
        let what = "free memory of the host";
        let cells = match (self.cellno, self.all) {
            (Some(cell), _) => {
                let free = conn.get_cells_free_memory(cell, 1).libvirt(what)?;
                vec![CellFree {
                    cell,
                    free_kib: free.first().copied().unwrap_or(0) / 1024,
                }]
            }
            (None, true) => {
                let n = conn.get_node_info().libvirt(what)?.nodes.max(1) as i32;
                let free = conn.get_cells_free_memory(0, n).libvirt(what)?;
                let rows = free.iter().enumerate();
                rows.map(|(i, b)| CellFree {
                    cell: i as i32,
                    free_kib: b / 1024,
                })
                .collect()
            }
            (None, false) => vec![],
        };
        let total_kib = match cells.is_empty() {
            true => conn.get_free_memory().libvirt(what)? / 1024,
            false => cells.iter().map(|c| c.free_kib).sum(),
        };
        Ok(FreeMemory {
            cells,
            total_kib,
            all: self.all,
        })
    }
}

/// The host's memory counters (virsh nodememstats): total, free, buffers, cached, in KiB.
#[derive(Debug, clap::Args)]
pub struct Nodememstats {
    /// One NUMA cell's.
    #[arg(long)]
    pub cell: Option<i32>,
}

/// The counters libvirt reports, in its order.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct MemoryStats(pub crate::observe::params::Params);

impl Render for MemoryStats {
    fn text(&self, _style: TextStyle) -> String {
        let lines = self
            .0
             .0
            .iter()
            .map(|(k, v)| format!("{k:<7}: {:>20} KiB\n", v.virsh()));
        lines.collect::<String>() + "\n"
    }
}

impl Verb for Nodememstats {
    type Ctx = Session;
    type Output = MemoryStats;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<MemoryStats> {
        let conn = ctx.conn()?;
        let cell = self.cell.unwrap_or(sys::VIR_NODE_MEMORY_STATS_ALL_CELLS);
        let failed = || Err(virt::error::Error::last_error()).libvirt("memory stats of the host");
        let mut n = 0;
        // SAFETY: a count first, then an array of that many plain records.
        if unsafe { sys::virNodeGetMemoryStats(conn.as_ptr(), cell, std::ptr::null_mut(), &mut n, 0) } < 0 {
            return failed();
        }
        let mut stats: Vec<sys::virNodeMemoryStats> = vec![unsafe { std::mem::zeroed() }; n.max(0) as usize];
        if n > 0
            && unsafe { sys::virNodeGetMemoryStats(conn.as_ptr(), cell, stats.as_mut_ptr(), &mut n, 0) } < 0
        {
            return failed();
        }
        let field = |s: &sys::virNodeMemoryStats| {
            unsafe { CStr::from_ptr(s.field.as_ptr()) }
                .to_string_lossy()
                .into_owned()
        };
        let params = stats
            .iter()
            .take(n as usize)
            .map(|s| (field(s), crate::observe::params::Value::Unsigned(s.value)));
        Ok(MemoryStats(crate::observe::params::Params(params.collect())))
    }
}

/// Which host CPUs exist and are online (virsh nodecpumap); --pretty indents the JSON.
#[derive(Debug, clap::Args)]
pub struct Nodecpumap {}

/// The host's CPU map.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CpuMap {
    pub present: u32,
    pub online: u32,
    /// The online CPUs as a cpulist ("0-1").
    pub online_list: String,
    /// virsh's map: `y` online, `-` not, per CPU.
    pub map: String,
}

impl Render for CpuMap {
    fn text(&self, _style: TextStyle) -> String {
        format!(
            "{:<15} {}\n{:<15} {}\n{:<15} {}\n\n",
            "CPUs present:", self.present, "CPUs online:", self.online, "CPU map:", self.map
        )
    }
}

impl Verb for Nodecpumap {
    type Ctx = Session;
    type Output = CpuMap;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<CpuMap> {
        let conn = ctx.conn()?;
        let present = host_cpus(conn)?;
        let (mut map, mut online): (*mut u8, u32) = (std::ptr::null_mut(), 0);
        // SAFETY: libvirt allocates the map; it is copied and freed here.
        let n = unsafe { sys::virNodeGetCPUMap(conn.as_ptr(), &mut map, &mut online, 0) };
        if n < 0 {
            return Err(virt::error::Error::last_error()).libvirt("CPU map of the host");
        }
        let bytes = unsafe { std::slice::from_raw_parts(map, (n as u32).div_ceil(8) as usize) }.to_vec();
        unsafe { libc::free(map.cast()) };
        let set = CpuSet::from_map(&bytes, present);
        Ok(CpuMap {
            present,
            online,
            online_list: set.list(),
            map: set.yes_map(present),
        })
    }
}

/// The CPU models libvirt knows for an architecture (virsh cpu-models).
#[derive(Debug, clap::Args)]
pub struct CpuModels {
    /// The architecture (x86_64, aarch64...).
    pub arch: String,
}

/// Model names, in libvirt's order.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct ModelNames(pub Vec<String>);

impl Render for ModelNames {
    fn text(&self, _style: TextStyle) -> String {
        self.0.iter().map(|m| format!("{m}\n")).collect::<String>() + "\n"
    }
}

impl Verb for CpuModels {
    type Ctx = Session;
    type Output = ModelNames;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<ModelNames> {
        let names = ctx.conn()?.get_cpu_models_names(&self.arch, 0);
        Ok(ModelNames(names.libvirt(format!("CPU models of {}", self.arch))?))
    }
}
