//! The host a connection reaches, as virsh's host verbs show it: nodeinfo, version, uri,
//! hostname, maxvcpus, and the documents capabilities, domcapabilities and sysinfo.

pub mod cpu;
pub mod cpustats;
pub mod ksm;
pub mod node;
pub mod pages;

use schemars::JsonSchema;
use serde::Serialize;
use virt::connect::Connect;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

/// The host's CPUs and memory (virsh nodeinfo).
#[derive(Debug, clap::Args)]
pub struct Nodeinfo {}

/// What virsh nodeinfo prints, field for field.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodeInfo {
    pub cpu_model: String,
    pub cpus: u32,
    /// Expected CPU frequency; 0 when not known.
    pub cpu_mhz: u32,
    pub cpu_sockets: u32,
    pub cores_per_socket: u32,
    pub threads_per_core: u32,
    pub numa_cells: u32,
    pub memory_kib: u64,
}

impl Render for NodeInfo {
    fn text(&self, _style: TextStyle) -> String {
        let rows = [
            ("CPU model:", self.cpu_model.clone()),
            ("CPU(s):", self.cpus.to_string()),
            ("CPU frequency:", format!("{} MHz", self.cpu_mhz)),
            ("CPU socket(s):", self.cpu_sockets.to_string()),
            ("Core(s) per socket:", self.cores_per_socket.to_string()),
            ("Thread(s) per core:", self.threads_per_core.to_string()),
            ("NUMA cell(s):", self.numa_cells.to_string()),
            ("Memory size:", format!("{} KiB", self.memory_kib)),
        ];
        let lines: String = rows.iter().map(|(k, v)| format!("{k:<21}{v}\n")).collect();
        lines + "\n"
    }
}

impl Verb for Nodeinfo {
    type Ctx = Session;
    type Output = NodeInfo;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<NodeInfo> {
        let node = ctx.conn()?.get_node_info().libvirt("host information")?;
        Ok(NodeInfo {
            cpu_model: node.model,
            cpus: node.cpus,
            cpu_mhz: node.mhz,
            cpu_sockets: node.sockets,
            cores_per_socket: node.cores,
            threads_per_core: node.threads,
            numa_cells: node.nodes,
            memory_kib: node.memory,
        })
    }
}

/// The versions of libvirt and of the hypervisor (virsh version); --daemon adds the version of
/// the libvirt daemon the connection reaches.
#[derive(Debug, clap::Args)]
pub struct Version {
    /// Also report the daemon's libvirt version.
    #[arg(long)]
    pub daemon: bool,
}

/// Versions as virsh version prints them ("9.0.0"). virsh's first line, the libvirt it was
/// compiled against, has no counterpart: vnet-vm's bindings are not tied to one libvirt release.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Versions {
    /// The libvirt library loaded by vnet-vm.
    pub library: String,
    /// The connection's driver ("QEMU", "TEST").
    pub hypervisor_type: String,
    /// The hypervisor's own version; null when the driver has none.
    pub hypervisor: Option<String>,
    /// With --daemon: the libvirt of the daemon the connection reaches (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daemon: Option<String>,
}

fn dotted(version: u32) -> String {
    format!(
        "{}.{}.{}",
        version / 1_000_000,
        version / 1000 % 1000,
        version % 1000
    )
}

impl Render for Versions {
    fn text(&self, _style: TextStyle) -> String {
        let mut out = format!(
            "Using library: libvirt {}\nUsing API: {} {}\n",
            self.library, self.hypervisor_type, self.library
        );
        if let Some(hypervisor) = &self.hypervisor {
            out += &format!("Running hypervisor: {} {hypervisor}\n", self.hypervisor_type);
        }
        if let Some(daemon) = &self.daemon {
            out += &format!("Running against daemon: {daemon}\n");
        }
        out + "\n"
    }
}

impl Verb for Version {
    type Ctx = Session;
    type Output = Versions;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Versions> {
        let conn = ctx.conn()?;
        let hypervisor = conn.get_hyp_version().libvirt("hypervisor version")?;
        let daemon = match self.daemon {
            true => Some(dotted(conn.get_lib_version().libvirt("daemon version")?)),
            false => None,
        };
        Ok(Versions {
            library: dotted(Connect::get_version().libvirt("libvirt version")?),
            hypervisor_type: conn.get_type().libvirt("driver name")?,
            hypervisor: (hypervisor != 0).then(|| dotted(hypervisor)),
            daemon,
        })
    }
}

/// One value of the host, printed alone by virsh (uri, hostname, maxvcpus).
#[derive(Debug, Serialize, JsonSchema)]
pub struct HostValue<T: Serialize + JsonSchema + std::fmt::Display> {
    pub value: T,
}

impl<T: Serialize + JsonSchema + std::fmt::Display> Render for HostValue<T> {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n\n", self.value)
    }
}

/// The canonical URI of the connection (virsh uri).
#[derive(Debug, clap::Args)]
pub struct Uri {}

impl Verb for Uri {
    type Ctx = Session;
    type Output = HostValue<String>;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<HostValue<String>> {
        let value = ctx.conn()?.get_uri().libvirt("connection URI")?;
        Ok(HostValue { value })
    }
}

/// The host's name as libvirt knows it (virsh hostname).
#[derive(Debug, clap::Args)]
pub struct Hostname {}

impl Verb for Hostname {
    type Ctx = Session;
    type Output = HostValue<String>;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<HostValue<String>> {
        let value = ctx.conn()?.get_hostname().libvirt("host name")?;
        Ok(HostValue { value })
    }
}

/// The most virtual CPUs a guest may have (virsh maxvcpus).
#[derive(Debug, clap::Args)]
pub struct Maxvcpus {
    /// For this domain type (qemu, kvm); the driver's default otherwise.
    #[arg(long = "type", value_name = "TYPE")]
    pub domain_type: Option<String>,
}

impl Verb for Maxvcpus {
    type Ctx = Session;
    type Output = HostValue<u32>;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<HostValue<u32>> {
        let conn = ctx.conn()?;
        let kind = self.domain_type.as_deref();
        // As virsh: the domain capabilities' <vcpu max=...> (the machine type's limit) when the
        // driver has them, else the driver's own answer.
        let from_caps = conn
            .get_domain_capabilities(None, None, None, kind, 0)
            .ok()
            .and_then(|xml| vnet_common::libvirt::xml::parse(&xml).ok())
            .and_then(|caps| caps.child("vcpu")?.attr("max")?.parse().ok());
        let value = match from_caps {
            Some(max) => max,
            None => conn.get_max_vcpus(kind).libvirt("maximum vCPUs")?,
        };
        Ok(HostValue { value })
    }
}

/// An XML document about the host; printed as it is, as virsh does, unless `-o json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct HostXml {
    pub xml: String,
}

impl Render for HostXml {
    fn text(&self, _style: TextStyle) -> String {
        self.xml.clone()
    }

    fn document(&self) -> Option<&str> {
        Some(&self.xml)
    }
}

/// The host's capabilities document (virsh capabilities).
#[derive(Debug, clap::Args)]
pub struct Capabilities {}

impl Verb for Capabilities {
    type Ctx = Session;
    type Output = HostXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<HostXml> {
        let xml = ctx.conn()?.get_capabilities().libvirt("host capabilities")?;
        Ok(HostXml { xml })
    }
}

/// What a domain of one emulator, architecture, machine and type may use (virsh
/// domcapabilities).
#[derive(Debug, clap::Args)]
pub struct Domcapabilities {
    /// The emulator binary (/usr/bin/qemu-system-x86_64).
    #[arg(long)]
    pub emulatorbin: Option<String>,
    /// The guest architecture (x86_64).
    #[arg(long)]
    pub arch: Option<String>,
    /// The machine type (q35, pc).
    #[arg(long)]
    pub machine: Option<String>,
    /// The virtualization type (kvm, qemu).
    #[arg(long)]
    pub virttype: Option<String>,
}

impl Verb for Domcapabilities {
    type Ctx = Session;
    type Output = HostXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<HostXml> {
        let xml = ctx
            .conn()?
            .get_domain_capabilities(
                self.emulatorbin.as_deref(),
                self.arch.as_deref(),
                self.machine.as_deref(),
                self.virttype.as_deref(),
                0,
            )
            .libvirt("domain capabilities")?;
        Ok(HostXml { xml })
    }
}

/// The host's SMBIOS system information (virsh sysinfo).
#[derive(Debug, clap::Args)]
pub struct Sysinfo {}

impl Verb for Sysinfo {
    type Ctx = Session;
    type Output = HostXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<HostXml> {
        let xml = ctx.conn()?.get_sys_info(0).libvirt("host system information")?;
        Ok(HostXml { xml })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run, session};

    #[test]
    fn host_verbs_on_the_test_driver_print_virshs_layout() {
        let mut ctx = session();
        let node = run(&mut ctx, Nodeinfo {}).unwrap();
        assert_eq!((node.cpus, node.cpu_sockets, node.numa_cells), (16, 2, 2));
        assert!(node
            .text(TextStyle::default())
            .starts_with("CPU model:           i686\nCPU(s):              16\n"));
        let versions = run(&mut ctx, Version { daemon: true }).unwrap();
        assert_eq!(versions.hypervisor_type, "TEST");
        assert_eq!(versions.hypervisor.as_deref(), Some("0.0.2"));
        assert_eq!(
            run(&mut ctx, Uri {}).unwrap().text(TextStyle::default()),
            "test:///default\n\n"
        );
        assert!(run(&mut ctx, Capabilities {})
            .unwrap()
            .xml
            .contains("<capabilities>"));
        assert_eq!(dotted(9_000_000), "9.0.0");
        assert_eq!(dotted(10_002_003), "10.2.3");
    }
}
