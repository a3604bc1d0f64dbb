//! `vnet-vm install` (virt-install): validate everything, then copy kernels, create pools and
//! volumes, define and start the domain, recording each change in the journal as it is made (a
//! later failure undoes them all, last first).

mod cloudinit;
pub(crate) mod http;
mod osinfo;
mod output;
mod plan;
mod tagging;

pub use output::{Boot, CloudInitSeed, InstallOutput, Installed, InstalledDisk, InstalledNic, Topology};

use crate::console::Console;
use crate::location;
use crate::spec::{GraphicsKind, VirtTypeArg};
use crate::storage::{self, PoolPlan};
use crate::xml::domain::{self as xml, DomainSpec, OsBoot, XmlDisk};
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
/// Exactly one install method: --location ISO|DIR|URL (the install tree's kernel and initrd are
/// found in the ISO, directory or http:// tree: install/, install.amd/, casper/, images/pxeboot/,
/// Debian's and Ubuntu's netboot trees; they are copied or fetched to /var/lib/libvirt/boot and
/// booted directly with --extra-args), --cdrom ISO, --import (boot the first disk; with --boot
/// kernel=... boot that kernel with the existing disks), --pxe (boot from the network) or --boot
/// kernel=K,initrd=I[,kernel_args=A]. The direct kernel boot of --location
/// stays in the domain after the first boot (a later reboot starts the installer's kernel again;
/// edit the domain to boot from disk once the installed system is in place).
///
/// Disks with size= are created through libvirt's storage API in the pool whose target is the
/// disk's directory (a dir pool is defined, built and started for it when none is). A disk path
/// that exists is reused when size= is omitted, and with --import also when it is given (size=
/// is then ignored, as virt-install does). backing_store=BASE makes a new qcow2 overlay on BASE
/// (which must exist: 3 otherwise) through the storage API, the size BASE's unless size= says.
///
/// --cloud-init builds a NoCloud seed ISO labelled cidata (xorrisofs), puts it as a volume in the
/// first disk's pool, attaches it as a CD-ROM and sets the SMBIOS serial ds=nocloud; undefine
/// --remove-all-storage removes it. A cloud-init file that is missing is 3, one that is not UTF-8
/// text is 7; either way nothing is changed.
///
/// --boot uefi needs OVMF (Debian's ovmf package): without it libvirt offers no EFI firmware and
/// install stops with 6 before anything is made. Everything validated before the first change;
/// any failure afterwards removes what this install created (domain, new volumes, a new pool,
/// copied kernels).
///
/// Over a remote URI (-c qemu+tcp://HOST/system, qemu+ssh://...) every path in the domain is one
/// on the target host: the kernel and initrd of --boot and --location (read here from the ISO,
/// directory or http:// tree) and a --cdrom ISO of this machine are uploaded into volumes of the
/// target's /var/lib/libvirt/boot (removed on failure and by undefine --remove-all-storage); a
/// --cdrom path that is no file here is used when the target host has it; disk paths are looked
/// up there through libvirt, a folder no pool covers getting a dir pool of its own. Nothing on
/// this machine is made or read but the files named.
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
    /// Virtual CPUs: N[,maxvcpus=M][,sockets=S,cores=C,threads=T] (sockets*cores*threads must
    /// equal the maximum; a missing part is derived from N).
    #[arg(long = "vcpus", visible_alias = "vcpu", default_value = "1", value_name = "N")]
    pub vcpus: String,
    /// Host CPUs the vCPUs may run on, e.g. 0-3,^2 (libvirt's cpuset syntax).
    #[arg(long, value_name = "LIST")]
    pub cpuset: Option<String>,
    /// Guest CPU: host-passthrough (KVM only), host-model, or a model libvirt knows (qemu64,
    /// Skylake-Client, ...; checked against libvirt's domain capabilities).
    #[arg(long, value_name = "MODE|MODEL")]
    pub cpu: Option<String>,
    /// Memory balloon device: virtio (libvirt's default) or none.
    #[arg(long, value_name = "none|virtio")]
    pub memballoon: Option<String>,
    /// A full-virtualization guest: accepted for virt-install's command lines (always the case).
    #[arg(long)]
    pub hvm: bool,
    /// network=NAME|bridge=BR[,model=virtio][,mac=MAC], or none; repeatable (default: network=default).
    #[arg(short = 'w', long = "network", value_name = "SPEC")]
    pub networks: Vec<String>,
    /// Graphical console: none (serial console only), vnc or spice.
    #[arg(long, value_enum, default_value_t = GraphicsKind::None)]
    pub graphics: GraphicsKind,
    /// Deprecated and ignored, as in virt-install (a warning says so); use --os-variant.
    #[arg(long, value_name = "TYPE")]
    pub os_type: Option<String>,
    /// The guest OS: an osinfo short id (debian11, ubuntu22.04, ...), checked against the osinfo
    /// database (Debian's osinfo-db package, /usr/share/osinfo) and recorded in the domain's
    /// libosinfo metadata; without the database accepted and recorded unchecked, with a warning.
    /// Also name=, id=, generic, detect=on (recorded only).
    #[arg(long, visible_alias = "osinfo", value_name = "OS")]
    pub os_variant: Option<String>,
    /// path=P[,size=GB][,format=raw|qcow2][,bus=virtio|sata|scsi|ide][,backing_store=BASE]
    /// [,backing_format=raw|qcow2][,cache=none|writethrough|writeback|directsync|unsafe]
    /// [,discard=unmap|ignore][,io=native|threads|io_uring][,driver.detect_zeroes=..]
    /// [,driver.error_policy=..][,driver.copy_on_read=on|off][,driver.queues=N], or none; repeatable.
    #[arg(long = "disk", value_name = "SPEC")]
    pub disks: Vec<String>,
    /// NoCloud seed: [user-data=F][,meta-data=F][,network-config=F][,root-password-generate=on]
    /// [,root-password-file=F][,root-ssh-key=F][,clouduser-ssh-key=F][,disable=on]; with no
    /// value root-password-generate=on,disable=on (virt-install's default).
    #[arg(long, value_name = "OPTS", num_args = 0..=1, default_missing_value = "")]
    pub cloud_init: Option<String>,
    /// Install tree: an ISO image, a directory or an http:// URL holding the installer's kernel and initrd.
    #[arg(short = 'l', long, value_name = "ISO|DIR|URL")]
    pub location: Option<String>,
    /// Boot an ISO image as a CD-ROM.
    #[arg(long, value_name = "ISO")]
    pub cdrom: Option<String>,
    /// Boot the first disk (an existing image).
    #[arg(long)]
    pub import: bool,
    /// Boot from the network (PXE on the first interface).
    #[arg(long)]
    pub pxe: bool,
    /// Boot options, comma-separated: a device order (hd,cdrom,network,fd), uefi (OVMF firmware,
    /// q35), and/or a direct kernel boot kernel=K,initrd=I[,kernel_args=A].
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
        let explicit = self.virt_type != VirtTypeArg::Auto;
        plan::check_caps(conn, &mut plan, &virt_type.0, explicit)?;
        if self.print_xml || self.dry_run {
            return Ok(preview(&plan, &virt_type, self.print_xml));
        }
        let (dom, files) = make_everything(conn, &plan, &virt_type.0, journal)
            .map_err(|e| e.context(format!("install {}", plan.name)))?;
        tagging::mark(&dom, self.tag.as_deref(), &plan, &files)?;
        let mut result = describe(&plan, &virt_type, &files);
        if let (Some(out), Some(path)) = (result.cloud_init.as_mut(), files.seed.as_ref()) {
            out.seed = path.clone();
        }
        for w in &plan.warnings {
            vnet_common::output::warn("vnet-vm", w);
        }
        if let Some(secs) = self.wait_ip {
            result.address = Some(wait_ip(&dom, secs, journal)?);
        }
        result.attach_console = self.console_after().then(|| plan.name.clone());
        let mut output = InstallOutput::installed(plan.name, true, result);
        output.uuid = Some(dom.get_uuid_string().unwrap_or_default());
        output.state = Some(crate::domains::state_of(&dom).to_string());
        Ok(output)
    }

    /// An interactive install attaches the new guest's serial console once the result is out.
    fn follow_up(output: &InstallOutput) -> Option<FollowUp<Session>> {
        let name = output.installed.as_ref()?.attach_console.clone()?;
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
        return Ok(InstallOutput::existing(name));
    }
    Err(Error::exists(format!("domain {name} exists"))
        .with_hint("choose another --name, or remove it with vnet-vm undefine"))
}

/// --print-xml and --dry-run: the XML and description of what would be made, changing nothing.
fn preview(plan: &Plan, virt_type: &(String, String), xml_only: bool) -> InstallOutput {
    let mut files = BootFiles::default();
    match &plan.method {
        Method::Location(tree) if !plan.remote => {
            let (kernel, initrd) = location::preview_copies(tree, &plan.name, Path::new(location::BOOT_DIR));
            files.kernel = kernel.to_string_lossy().into_owned();
            files.initrd = initrd.to_string_lossy().into_owned();
        }
        Method::Location(tree) => {
            let member = |m: &str| m.rsplit('/').next().unwrap_or(m).to_string();
            files.kernel = crate::target::upload_preview(&plan.name, Path::new(&member(&tree.kernel)));
            files.initrd = crate::target::upload_preview(&plan.name, Path::new(&member(&tree.initrd)));
        }
        Method::Kernel(k) if plan.remote => {
            files.kernel = crate::target::upload_preview(&plan.name, &k.kernel);
            files.initrd = k
                .initrd
                .as_deref()
                .map(|i| crate::target::upload_preview(&plan.name, i))
                .unwrap_or_default();
        }
        Method::Cdrom(iso) if plan.cdrom_upload => {
            files.cdrom = Some(crate::target::upload_preview(&plan.name, iso));
        }
        _ => {}
    }
    files.seed = plan.seed.as_ref().map(|s| seed_preview_path(plan, s));
    let xml = domain_xml(plan, &virt_type.0, &files);
    if xml_only {
        return InstallOutput::xml(xml);
    }
    let mut output = InstallOutput::installed(plan.name.clone(), false, describe(plan, virt_type, &files));
    output.dry_run = Some(true);
    output.xml = Some(xml);
    output
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
    match &plan.method {
        Method::Location(tree) if !plan.remote => {
            let boot_dir = Path::new(location::BOOT_DIR);
            let (k, i) = location::copy_boot_files(tree, &plan.name, boot_dir, journal)?;
            files.kernel = k.to_string_lossy().into_owned();
            files.initrd = i.to_string_lossy().into_owned();
        }
        // A remote host cannot read this machine's files: the kernel and initrd are read here
        // (from the ISO, directory or URL) and uploaded there (see target.rs).
        Method::Location(tree) => {
            let scratch = location::Scratch::new("location")?;
            let (k, i) = location::fetch_members(tree, &scratch.0)?;
            let (kernel, initrd) = crate::target::upload_boot_files(conn, &plan.name, &k, Some(&i), journal)?;
            files.kernel = kernel;
            files.initrd = initrd.unwrap_or_default();
        }
        Method::Kernel(k) if plan.remote => {
            let initrd = k.initrd.as_deref();
            let (kernel, initrd) =
                crate::target::upload_boot_files(conn, &plan.name, &k.kernel, initrd, journal)?;
            files.kernel = kernel;
            files.initrd = initrd.unwrap_or_default();
        }
        Method::Cdrom(iso) if plan.cdrom_upload => {
            files.cdrom = Some(crate::target::upload_cdrom(conn, &plan.name, iso, journal)?);
        }
        _ => {}
    }
    make_storage(conn, plan, journal)?;
    if let Some(seed) = &plan.seed {
        let path = cloudinit::upload(conn, seed.pool.name(), &seed.volume, &seed.seed.iso, journal)?;
        files.seed = Some(path);
    }
    let xml = domain_xml(plan, virt_type, &files);
    let dom = Domain::define_xml(conn, &xml).libvirt("define the domain")?;
    let defined = dom.clone();
    journal.record_fn(format!("define domain {}", plan.name), move || {
        // A UEFI guest has an NVRAM file once started: it goes with the definition.
        defined
            .undefine_flags(virt::sys::VIR_DOMAIN_UNDEFINE_NVRAM)
            .libvirt("undefine the domain")
    })?;
    vnet_common::libvirt::lifecycle::start_as(&dom, &plan.name, "start the domain", journal)?;
    Ok((dom, files))
}

/// Where the seed volume will be (for --dry-run and --print-xml): the pool's directory and the
/// volume name.
fn seed_preview_path(plan: &Plan, seed: &plan::SeedPlan) -> String {
    let dir = match &seed.pool {
        PoolPlan::New { dir, .. } => dir.clone(),
        PoolPlan::Existing(_) => plan.disks[0]
            .spec
            .path
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    Path::new(&dir).join(&seed.volume).to_string_lossy().into_owned()
}

/// The pools and volumes the plan creates (a new pool once, however many disks it holds; the
/// seed's pool too when it is a new one).
fn make_storage(conn: &Connect, plan: &Plan, journal: &mut Journal) -> Result<()> {
    let mut pools_made: Vec<&str> = Vec::new();
    let seed_pool = plan.seed.as_ref().map(|s| &s.pool);
    let pools = plan.disks.iter().map(|d| &d.pool).chain(seed_pool);
    for pool in pools {
        if let PoolPlan::New { name, dir } = pool {
            if !pools_made.contains(&name.as_str()) {
                storage::create_pool(conn, name, dir, journal)?;
                pools_made.push(name);
            }
        }
    }
    for disk in plan.disks.iter().filter(|d| d.create) {
        storage::create_volume(conn, disk.pool.name(), &disk.spec, disk.backing.as_ref(), journal)?;
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
        // Uploaded to a remote host: its copies there.
        Method::Kernel(k) if !files.kernel.is_empty() => OsBoot::Kernel {
            kernel: files.kernel.clone(),
            initrd: k.initrd.as_ref().map(|_| files.initrd.clone()),
            cmdline: k.cmdline.clone(),
        },
        Method::Kernel(k) => OsBoot::Kernel {
            kernel: k.kernel.to_string_lossy().into_owned(),
            initrd: k.initrd.as_ref().map(|p| p.to_string_lossy().into_owned()),
            cmdline: k.cmdline.clone(),
        },
        Method::Cdrom(_) => OsBoot::Cdrom,
        Method::Import => OsBoot::Hd,
        Method::Pxe => OsBoot::Network,
    };
    let mut cdroms = Vec::new();
    if let Method::Cdrom(p) = &plan.method {
        cdroms.push(
            files
                .cdrom
                .clone()
                .unwrap_or_else(|| p.to_string_lossy().into_owned()),
        );
    }
    cdroms.extend(files.seed.clone());
    let disks = plan
        .disks
        .iter()
        .map(|d| XmlDisk {
            path: d.spec.path.to_string_lossy().into_owned(),
            format: d.spec.format.clone(),
            bus: d.spec.bus.clone(),
            driver: d.spec.driver.clone(),
        })
        .collect();
    xml::domain_xml(&DomainSpec {
        name: &plan.name,
        virt_type,
        memory_mib: plan.memory_mib,
        vcpus: plan.vcpus,
        cpuset: plan.cpuset.clone(),
        cpu: plan.cpu.clone(),
        boot: os,
        boot_order: plan.boot_order.clone(),
        uefi: plan.uefi,
        disks,
        cdroms,
        nics: &plan.nics,
        graphics: plan.graphics,
        memballoon: plan.memballoon.clone(),
        smbios_serial: plan.seed.as_ref().map(|_| "ds=nocloud".to_string()),
        seed: files.seed.clone(),
        os_id: plan.os_variant.as_ref().and_then(|o| o.id.clone()),
    })
}
