//! `vnet-vm install` (virt-install): validate everything, then copy kernels, create pools and
//! volumes, define and start the domain, recording each change in the journal as it is made (a
//! later failure undoes them all, last first).

mod output;
mod plan;
mod tagging;

pub use output::{Boot, Existing, InstallOutput, Installed, InstalledDisk, InstalledNic, PrintedXml};

use crate::console::Console;
use crate::location;
use crate::spec::{GraphicsKind, VirtTypeArg};
use crate::storage::{self, PoolPlan};
use crate::xml::{self, DomainSpec, OsBoot, XmlDisk};
use output::{describe, BootFiles};
use plan::{Method, Plan};
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;
use virt::connect::Connect;
use virt::domain::Domain;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::verb::FollowUp;
use vnet_common::{Error, Journal, Result, Verb};

/// Create a domain and start it (virt-install).
///
/// Exactly one install method: --location ISO|DIR (the install tree's kernel and initrd are found
/// in the ISO or directory: install/, install.amd/, casper/, images/pxeboot/; they are copied to
/// /var/lib/libvirt/boot and booted directly with --extra-args), --cdrom ISO, --import (boot the
/// first disk) or --boot kernel=K,initrd=I[,kernel_args=A]. The direct kernel boot of --location
/// stays in the domain after the first boot (a later reboot starts the installer's kernel again;
/// edit the domain to boot from disk once the installed system is in place).
///
/// Disks with size= are created through libvirt's storage API in the pool whose target is the
/// disk's directory (a dir pool is defined, built and started for it when none is). A disk path
/// that exists is reused only when size= is omitted. Everything validated before the first change;
/// any failure afterwards removes what this install created (domain, new volumes, a new pool,
/// copied kernels).
///
/// --virt-type auto picks kvm when libvirt offers it and a KVM guest actually starts, else qemu
/// (TCG); the choice and the reason are in the JSON. --dry-run prints the JSON with "dry_run" and
/// "xml" and changes nothing; --print-xml prints the domain XML itself (for virsh define).
#[derive(Debug, clap::Args)]
pub struct Install {
    /// Domain name.
    #[arg(short = 'n', long)]
    pub name: String,
    /// Memory in MiB (also memory=N).
    #[arg(
        long = "memory",
        visible_alias = "ram",
        short = 'r',
        default_value = "1024",
        value_name = "MIB"
    )]
    pub memory: String,
    /// Virtual CPUs (also vcpus=N).
    #[arg(long = "vcpus", visible_alias = "vcpu", default_value = "1", value_name = "N")]
    pub vcpus: String,
    /// network=NAME|bridge=BR[,model=virtio][,mac=MAC], or none; repeatable (default: network=default).
    #[arg(short = 'w', long = "network", value_name = "SPEC")]
    pub networks: Vec<String>,
    /// Graphical console: none (serial console only), vnc or spice.
    #[arg(long, value_enum, default_value_t = GraphicsKind::None)]
    pub graphics: GraphicsKind,
    /// Deprecated and ignored, as in virt-install (a warning says so); use --os-variant.
    #[arg(long, value_name = "TYPE")]
    pub os_type: Option<String>,
    /// The guest OS (accepted and recorded; vnet has no osinfo database).
    #[arg(long, visible_alias = "osinfo", value_name = "OS")]
    pub os_variant: Option<String>,
    /// path=P[,size=GB][,format=raw|qcow2][,bus=virtio|sata|scsi|ide], or none; repeatable.
    #[arg(long = "disk", value_name = "SPEC")]
    pub disks: Vec<String>,
    /// Install tree: an ISO image or a directory holding the installer's kernel and initrd.
    #[arg(short = 'l', long, value_name = "ISO|DIR")]
    pub location: Option<String>,
    /// Boot an ISO image as a CD-ROM.
    #[arg(long, value_name = "ISO")]
    pub cdrom: Option<String>,
    /// Boot the first disk (an existing image).
    #[arg(long)]
    pub import: bool,
    /// Direct kernel boot: kernel=K,initrd=I[,kernel_args=A].
    #[arg(long, value_name = "SPEC")]
    pub boot: Option<String>,
    /// Kernel command line for the --location install kernel.
    #[arg(short = 'x', long, value_name = "ARGS")]
    pub extra_args: Option<String>,
    /// Hypervisor: kvm, qemu (TCG, no hardware help), or auto (kvm when usable).
    #[arg(long, value_enum, default_value_t = VirtTypeArg::Auto)]
    pub virt_type: VirtTypeArg,
    /// Do not attach to the console after starting (the console is attached only when stdin and
    /// stdout are terminals and --graphics none).
    #[arg(long)]
    pub noautoconsole: bool,
    /// Print the domain XML and change nothing.
    #[arg(long)]
    pub print_xml: bool,
    /// Validate everything and print what would be done, changing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Wait up to SECS for a DHCP lease on the guest's first network and report it as "address"
    /// (on timeout or a signal: exit 1 or 128+N, the domain stays installed and running).
    #[arg(long, value_name = "SECS")]
    pub wait_ip: Option<u64>,
    /// Succeed (changed: false) when a domain of this name exists already.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// Tag the domain with LABEL (1..64 bytes of A-Z a-z 0-9 _ . -): domain metadata
    /// <vnet:tag xmlns:vnet="http://vnet.invalid/xmlns/tag/1">LABEL</vnet:tag>, with a record of
    /// the volumes, pools and boot files this install creates; `list --tag` lists it, `prune
    /// --tag` removes it with that storage. An existing domain accepted with --exist-ok keeps its own.
    #[arg(long, value_name = "LABEL")]
    pub tag: Option<String>,
}

impl Verb for Box<Install> {
    type Ctx = Session;
    type Output = InstallOutput;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<InstallOutput> {
        (*self).run(ctx, journal)
    }

    fn follow_up(output: &InstallOutput) -> Option<FollowUp<Session>> {
        Install::follow_up(output)
    }
}

impl Verb for Install {
    type Ctx = Session;
    type Output = InstallOutput;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<InstallOutput> {
        let (mut plan, disks) = plan::parse(&self)?;
        vnet_common::tags::check(self.tag.as_deref())?;
        if Domain::lookup_by_name(ctx.conn()?, &plan.name).is_ok() {
            return existing(plan.name, self.exist_ok);
        }
        plan::check(ctx, &mut plan, &disks)?;
        let conn = ctx.conn()?;
        let virt_type = plan::choose_virt_type(conn, self.virt_type);
        if self.print_xml || self.dry_run {
            return Ok(preview(&plan, &virt_type, self.print_xml));
        }
        let (dom, files) = make_everything(conn, &plan, &virt_type.0, journal)
            .map_err(|e| e.context(format!("install {}", plan.name)))?;
        tagging::mark(&dom, self.tag.as_deref(), &plan, &files)?;
        let mut result = describe(&plan, &virt_type, &files);
        result.changed = true;
        result.uuid = Some(dom.get_uuid_string().unwrap_or_default());
        result.state = Some(crate::domains::state_of(&dom).to_string());
        for w in &plan.warnings {
            vnet_common::output::warn("vnet-vm", w);
        }
        if let Some(secs) = self.wait_ip {
            result.address = Some(wait_ip(&dom, secs, journal)?);
        }
        result.attach_console = self.console_after().then(|| plan.name.clone());
        Ok(InstallOutput::Installed(Box::new(result)))
    }

    /// An interactive install attaches the new guest's serial console once the result is out.
    fn follow_up(output: &InstallOutput) -> Option<FollowUp<Session>> {
        let InstallOutput::Installed(done) = output else {
            return None;
        };
        let name = done.attach_console.clone()?;
        Some(Box::new(move |ctx: &mut Session| {
            Console::attach(&name).run(ctx, &mut Journal::new()).map(drop)
        }))
    }
}

impl Install {
    /// virt-install's rule: attach the console after starting when a person is at a terminal
    /// and the guest has no graphical console.
    fn console_after(&self) -> bool {
        let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        interactive && !self.noautoconsole && self.graphics == GraphicsKind::None
    }
}

fn existing(name: String, exist_ok: bool) -> Result<InstallOutput> {
    if exist_ok {
        return Ok(InstallOutput::Existing(Existing { name, changed: false }));
    }
    Err(Error::exists(format!("domain {name} exists"))
        .with_hint("choose another --name, or remove it with vnet-vm undefine"))
}

/// --print-xml and --dry-run: the XML and description of what would be made, changing nothing.
fn preview(plan: &Plan, virt_type: &(String, String), xml_only: bool) -> InstallOutput {
    let files = match &plan.method {
        Method::Location(tree) => {
            let (kernel, initrd) = location::preview_copies(tree, &plan.name, Path::new(location::BOOT_DIR));
            BootFiles {
                kernel: kernel.to_string_lossy().into_owned(),
                initrd: initrd.to_string_lossy().into_owned(),
            }
        }
        _ => BootFiles::default(),
    };
    let xml = domain_xml(plan, &virt_type.0, &files);
    if xml_only {
        return InstallOutput::Xml(PrintedXml { xml });
    }
    let mut result = describe(plan, virt_type, &files);
    result.dry_run = Some(true);
    result.xml = Some(xml);
    InstallOutput::Installed(Box::new(result))
}

/// --wait-ip after a complete install: a timeout or a signal leaves the domain installed and
/// running (the install itself succeeded), so the journal is committed before failing.
fn wait_ip(dom: &Domain, secs: u64, journal: &mut Journal) -> Result<String> {
    crate::iface::wait_for_lease(dom, Duration::from_secs(secs)).inspect_err(|_| journal.commit())
}

/// Every change, in order, each recorded in `journal` as it is made.
fn make_everything(
    conn: &Connect,
    plan: &Plan,
    virt_type: &str,
    journal: &mut Journal,
) -> Result<(Domain, BootFiles)> {
    let mut files = BootFiles::default();
    if let Method::Location(tree) = &plan.method {
        let boot_dir = Path::new(location::BOOT_DIR);
        let (k, i) = location::copy_boot_files(tree, &plan.name, boot_dir, journal)?;
        files = BootFiles {
            kernel: k.to_string_lossy().into_owned(),
            initrd: i.to_string_lossy().into_owned(),
        };
    }
    make_storage(conn, plan, journal)?;
    let xml = domain_xml(plan, virt_type, &files);
    let dom = Domain::define_xml(conn, &xml).libvirt("define the domain")?;
    let defined = dom.clone();
    journal.record_fn(format!("define domain {}", plan.name), move || {
        defined.undefine().libvirt("undefine the domain")
    })?;
    dom.create().libvirt("start the domain")?;
    let started = dom.clone();
    journal.record_fn(format!("start domain {}", plan.name), move || {
        started.destroy().libvirt("destroy the domain")
    })?;
    Ok((dom, files))
}

/// The pools and volumes the plan creates (a new pool once, however many disks it holds).
fn make_storage(conn: &Connect, plan: &Plan, journal: &mut Journal) -> Result<()> {
    let mut pools_made: Vec<&str> = Vec::new();
    for disk in &plan.disks {
        if let PoolPlan::New { name, dir } = &disk.pool {
            if !pools_made.contains(&name.as_str()) {
                storage::create_pool(conn, name, dir, journal)?;
                pools_made.push(name);
            }
        }
        if disk.create {
            storage::create_volume(conn, disk.pool.name(), &disk.spec, journal)?;
        }
    }
    Ok(())
}

fn domain_xml(plan: &Plan, virt_type: &str, files: &BootFiles) -> String {
    let os = match &plan.method {
        Method::Location(_) => OsBoot::Kernel {
            kernel: files.kernel.clone(),
            initrd: Some(files.initrd.clone()),
            cmdline: plan.extra_args.clone(),
        },
        Method::Kernel(k) => OsBoot::Kernel {
            kernel: k.kernel.to_string_lossy().into_owned(),
            initrd: k.initrd.as_ref().map(|p| p.to_string_lossy().into_owned()),
            cmdline: k.cmdline.clone(),
        },
        Method::Cdrom(_) => OsBoot::Cdrom,
        Method::Import => OsBoot::Hd,
    };
    let cdrom = match &plan.method {
        Method::Cdrom(p) => Some(p.to_string_lossy().into_owned()),
        _ => None,
    };
    let disks = plan
        .disks
        .iter()
        .map(|d| XmlDisk {
            path: d.spec.path.to_string_lossy().into_owned(),
            format: d.spec.format.clone(),
            bus: d.spec.bus.clone(),
        })
        .collect();
    xml::domain_xml(&DomainSpec {
        name: &plan.name,
        virt_type,
        memory_mib: plan.memory_mib,
        vcpus: plan.vcpus,
        boot: os,
        disks,
        cdrom,
        nics: &plan.nics,
        graphics: plan.graphics,
    })
}
