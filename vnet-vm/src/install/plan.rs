//! install's plan: every input parsed and checked before the first change. The command line is
//! parsed without libvirt (bad input is exit 2/7 even with the daemon down); then the files it
//! names, the networks and the storage are looked at.

use super::args::Install;
use super::cloudinit::{self, Seed};
use super::grammar::{self, refused::TableXml};
use super::osinfo::{self, OsVariant};
use crate::install::location::{self, InstallTree};
use crate::spec::{self, DiskSpec, GraphicsKind, KernelBoot, Nic, NicSource, VcpuSpec, VirtTypeArg};
use crate::storage::disks::{self as storage, DiskPlan, PoolPlan};
use crate::xml::domain::CpuMode;
use std::path::{Path, PathBuf};
use virt::connect::Connect;
use virt::network::Network;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, ErrorKind, Result};

/// How the guest boots for its installation.
#[derive(Debug, Clone)]
pub enum Method {
    Location(InstallTree),
    Cdrom(PathBuf),
    Import,
    Kernel(KernelBoot),
    Pxe,
}

/// The cloud-init seed: built (files read, ISO made) before the first change, and where it goes.
#[derive(Debug)]
pub struct SeedPlan {
    pub seed: Seed,
    /// The pool of the first disk (a new one when that disk's directory has none).
    pub pool: PoolPlan,
    /// The seed volume's name in that pool.
    pub volume: String,
}

/// Everything install will do, decided before the first change.
#[derive(Debug)]
pub struct Plan {
    pub name: String,
    pub memory_mib: u64,
    pub vcpus: VcpuSpec,
    pub cpuset: Option<String>,
    pub cpu: Option<CpuMode>,
    /// --cpu's features: (policy, name).
    pub cpu_features: Vec<(String, String)>,
    pub memballoon: Option<String>,
    /// --boot hd,cdrom,...: the boot order given (empty: what the method implies).
    pub boot_order: Vec<String>,
    /// --boot uefi.
    pub uefi: bool,
    /// --machine.
    pub machine: Option<String>,
    pub nics: Vec<Nic>,
    pub graphics: GraphicsKind,
    /// The line named no graphics: virt-install's default (vnc, spice where libvirt offers it).
    pub default_graphics: bool,
    pub method: Method,
    pub extra_args: Option<String>,
    /// Empty until [`check`] has looked at the storage.
    pub disks: Vec<DiskPlan>,
    pub os_variant: Option<OsVariant>,
    /// --cloud-init: the seed, read and built by `parse` (the pool is chosen by `check`).
    pub seed: Option<SeedPlan>,
    /// --import was given (with --boot kernel=... the method is Kernel).
    pub import: bool,
    /// A remote connection: files of this machine (kernel, initrd, --location's, a --cdrom ISO
    /// found here) are uploaded into volumes on the target host.
    pub remote: bool,
    /// --cdrom over a remote URI with an ISO of this machine: it is uploaded (else the path is
    /// one on the target host).
    pub cdrom_upload: bool,
    /// --boot kernel=,initrd= over a remote URI: (kernel, initrd) missing on the target host but
    /// present here, so uploaded (else the target host's own files are booted).
    pub boot_upload: (bool, bool),
    /// The kernel is --install's (this machine's files, uploaded over a remote URI), not --boot's.
    pub install_kernel: bool,
    pub warnings: Vec<String>,
    /// The XML of the table-driven options (--watchdog, --rng, --events, ...).
    pub table: TableXml,
    /// --initrd-inject: files appended to the --location initrd's root.
    pub inject: Vec<PathBuf>,
    /// --check: which of virt-install's safety checks run.
    pub checks: super::checks::Checks,
    /// --autostart: set once the domain is defined.
    pub autostart: bool,
    /// --transient: started from the XML, never defined.
    pub transient: bool,
}

/// What the boot method needs from the other options: --extra-args only with --location, a
/// network for --pxe, no IDE bus on UEFI's q35 machine. (--import with --disk none is a
/// domain without disks, as virt-install defines it.)
fn check_method(
    args: &Install,
    method: &Method,
    disk_specs: &[DiskSpec],
    nics: &[Nic],
    uefi: bool,
) -> Result<()> {
    if args.extra_args.is_some() && !matches!(*method, Method::Location(_)) {
        return Err(
            Error::new(ErrorKind::Usage, "--extra-args only works with --location")
                .with_hint("use --boot kernel=...,kernel_args=... for a kernel of your own"),
        );
    }
    if matches!(*method, Method::Pxe) && nics.is_empty() {
        return Err(Error::invalid("--pxe needs a --network to boot from"));
    }
    if uefi {
        if let Some(d) = disk_specs.iter().find(|d| d.bus == "ide") {
            return Err(Error::invalid(format!(
                "--disk {}: bus=ide does not exist on the q35 machine --boot uefi uses: use sata or virtio",
                quote(&d.path.to_string_lossy())
            )));
        }
    }
    Ok(())
}

/// --launchsecurity (SEV) needs a q35 UEFI guest named so (--boot uefi --machine q35):
/// virt-install 4.1 refuses it otherwise (its --boot uefi alone keeps the i440fx machine).
fn check_launch_security(args: &Install, uefi: bool) -> Result<()> {
    let given = args.table.given.iter().any(|(d, _)| d.name == "launchsecurity");
    let q35 = args.machine.as_deref().is_some_and(|m| m.contains("q35"));
    if given && !(uefi && q35) {
        return Err(
            Error::invalid("--launchsecurity: SEV launch security requires a Q35 UEFI machine")
                .with_hint("add --boot uefi (and no --machine other than q35)"),
        );
    }
    Ok(())
}

/// `--autoconsole text|none`; virt-install's graphical (a viewer) is refused by name.
fn check_autoconsole(value: Option<&str>) -> Result<()> {
    match value {
        None | Some("text" | "none") => Ok(()),
        Some("graphical") => Err(Error::invalid(
            "--autoconsole graphical is not supported by vnet-vm install",
        )
        .with_hint("connect a viewer to the address vnet-vm domdisplay prints")),
        Some(other) => Err(Error::invalid(format!(
            "--autoconsole {}: use text or none",
            quote(other)
        ))),
    }
}

/// --cloud-init: the seed built now (its pool and volume are chosen once the disks are planned).
fn plan_seed(args: &Install, disk_specs: &[DiskSpec]) -> Result<Option<SeedPlan>> {
    Ok(match &args.cloud_init {
        Some(opts) => {
            if disk_specs.is_empty() {
                return Err(Error::invalid(
                    "--cloud-init needs a --disk: the seed goes into the first disk's storage pool",
                ));
            }
            let seed = cloudinit::build(&cloudinit::parse(opts)?, args.name())?;
            Some(SeedPlan {
                seed,
                pool: PoolPlan::Existing(String::new()),
                volume: String::new(),
            })
        }
        None => None,
    })
}

/// The command line parsed and checked for shape, touching nothing; the disks as given. The
/// cloud-init files are read and the seed ISO built here (bad files are 3/7 with the daemon down).
pub fn parse(args: &Install) -> Result<(Plan, Vec<DiskSpec>)> {
    args.table.refuse()?;
    let given = super::display::legacy_graphics(args)?;
    let mut table = given.xml()?;
    let default_graphics = super::display::add_default_graphics(&given, &mut table)?;
    let graphics = super::display::graphics_kind(&table.devices)?;
    super::display::add_default_tablet(&mut table.devices);
    spec::validate_domain_name(args.name())?;
    check_autoconsole(args.autoconsole.as_deref())?;
    if args.transient && (args.autostart || args.tag.is_some()) {
        let flag = if args.autostart { "--autostart" } else { "--tag" };
        return Err(Error::invalid(format!(
            "{flag} needs a persistent domain: not with --transient"
        )));
    }
    let mut warnings: Vec<String> = super::display::ignored_keymap(args).into_iter().collect();
    if args.os_type.is_some() {
        warnings.push("--os-type is deprecated and does nothing. Please use --os-variant instead".into());
    }
    let memory_mib = spec::parse_memory(&args.memory)?;
    let vcpus = spec::parse_vcpus(&typed("vcpus", &args.vcpus)?)?;
    let cpuset = args.cpuset.as_deref().map(parse_cpuset).transpose()?;
    let cpu = args.cpu.as_deref().map(|v| typed("cpu", v)).transpose()?;
    let (cpu, cpu_features) = match cpu.as_ref().map(parse_cpu).transpose()? {
        Some((mode, features)) => (Some(mode), features),
        None => (None, Vec::new()),
    };
    let memballoon = args.memballoon.as_deref().map(parse_memballoon).transpose()?;
    let nics = spec::parse_networks(&grammar::parse::given("network", &args.networks)?)?;
    let disk_specs = spec::parse_disks(&grammar::parse::given("disk", &args.disks)?)?;
    let (boot, boot_edits) = parse_boot(args.boot.as_deref())?;
    table.edits.splice(0..0, boot_edits);
    let kernel = super::kernel::chosen(args.install.as_deref(), boot.kernel.clone())?;
    let method = parse_method(args, kernel)?;
    check_method(args, &method, &disk_specs, &nics, boot.uefi)?;
    check_launch_security(args, boot.uefi)?;
    let inject = super::inject::check(&args.initrd_inject, matches!(method, Method::Location(_)))?;
    let os_variant = match &args.os_variant {
        Some(v) => {
            let (os, warning) = osinfo::resolve(v)?;
            warnings.extend(warning);
            Some(os)
        }
        None => None,
    };
    let seed = plan_seed(args, &disk_specs)?;
    let plan = Plan {
        name: args.name().to_string(),
        memory_mib,
        vcpus,
        cpuset,
        cpu,
        cpu_features,
        memballoon,
        boot_order: boot.order,
        uefi: boot.uefi,
        machine: parse_machine(args)?,
        nics,
        graphics,
        default_graphics,
        method,
        extra_args: args.extra_args.clone(),
        disks: Vec::new(),
        os_variant,
        seed,
        import: args.import,
        remote: false,
        cdrom_upload: false,
        boot_upload: (false, false),
        install_kernel: args.install.is_some(),
        warnings,
        table,
        checks: super::checks::parse_checks(&args.check)?,
        inject,
        autostart: args.autostart,
        transient: args.transient,
    };
    Ok((plan, disk_specs))
}

/// Looks at what the plan names: the install files (here; over a remote URI a --cdrom path that
/// is no file here is looked for on the target host), the networks and bridges, how each disk is
/// provided (on the target host, through libvirt), and where the cloud-init seed goes.
pub fn check(ctx: &mut Session, plan: &mut Plan, disks: &[DiskSpec]) -> Result<()> {
    let local = ctx.is_local()?;
    plan.remote = !local;
    let conn = ctx.conn()?;
    check_nics(conn, &plan.nics, local)?;
    super::hostdev::resolve(conn, &mut plan.table.devices)?;
    plan.method = match plan.method.clone() {
        Method::Cdrom(p) if !local => {
            plan.cdrom_upload = remote_cdrom(conn, &p)?;
            Method::Cdrom(p)
        }
        Method::Kernel(k) if !local => {
            plan.boot_upload = super::kernel::remote_uploads(conn, &k, plan.install_kernel)?;
            Method::Kernel(k)
        }
        method => resolve_method(method)?,
    };
    let mut disks = disks.to_vec();
    super::disks::place_pool_disks(conn, &plan.name, &mut disks)?;
    super::disks::mark_block_devices(&mut disks, local);
    plan.disks = storage::plan_disks(conn, &disks)?;
    for d in &mut plan.disks {
        if d.spec.format.is_empty() {
            d.spec.format = match d.create {
                true => "qcow2".into(),
                false => super::disks::existing_format(conn, &d.spec.path, local),
            };
        }
    }
    let warnings = super::checks::run(conn, plan.checks, &plan.disks, &plan.nics)?;
    plan.warnings.extend(warnings);
    for d in &plan.disks {
        if !d.create && d.spec.size_gb.is_some() {
            plan.warnings.push(format!(
                "--disk {}: the image exists and is reused; size= is ignored",
                d.spec.path.display()
            ));
        }
    }
    if let Some(seed) = &mut plan.seed {
        let first = &plan.disks[0];
        seed.pool = match &first.pool {
            PoolPlan::Existing(name) if name.is_empty() => {
                let dir = first.spec.path.parent().unwrap_or(Path::new("/"));
                storage::new_pool_plan(conn, &dir.to_string_lossy(), &plan.disks)?
            }
            pool => pool.clone(),
        };
        let existing = match &seed.pool {
            PoolPlan::Existing(name) => Some(name.as_str()),
            PoolPlan::New { .. } => None,
        };
        seed.volume = cloudinit::volume_name(conn, existing, &plan.name);
    }
    Ok(())
}

/// What libvirt's domain capabilities must offer for --boot uefi and --cpu, checked once the
/// hypervisor is chosen (before the first change). `explicit` is true when --virt-type named it.
pub fn check_caps(conn: &Connect, plan: &mut Plan, virt_type: &str, explicit: bool) -> Result<()> {
    if !plan.uefi && plan.cpu.is_none() && plan.machine.is_none() && !plan.default_graphics {
        return Ok(());
    }
    if plan.cpu == Some(CpuMode::HostPassthrough) && virt_type != "kvm" {
        let why = "--cpu host-passthrough needs KVM: this guest runs under TCG (virt-type qemu), which cannot pass the host CPU through";
        let err = if explicit {
            Error::invalid(why)
        } else {
            Error::new(ErrorKind::Unavailable, why)
        };
        return Err(err.with_hint("use --cpu host-model or a named model (e.g. --cpu qemu64)"));
    }
    let machine = plan.machine.as_deref().or(plan.uefi.then_some("q35"));
    let xml = conn
        .get_domain_capabilities(None, Some("x86_64"), machine, Some(virt_type), 0)
        .libvirt("domain capabilities")?;
    let caps = crate::xml::domain::domain_caps(&xml)
        .map_err(|e| Error::failed(format!("domain capabilities: {e}")))?;
    if plan.default_graphics && caps.graphics.iter().any(|g| g == "spice") {
        super::display::prefer_spice(&mut plan.table.devices)?;
        plan.graphics = GraphicsKind::Spice;
    }
    if plan.uefi && !caps.firmware.iter().any(|f| f == "efi") {
        return Err(Error::new(
            ErrorKind::Unavailable,
            format!("--boot uefi: libvirt offers no UEFI firmware for x86_64 q35 ({virt_type})"),
        )
        .with_hint("install Debian's ovmf package (apt-get install ovmf)"));
    }
    match &plan.cpu {
        Some(CpuMode::HostModel) if !caps.cpu_modes.iter().any(|m| m == "host-model") => {
            return Err(Error::new(
                ErrorKind::Unavailable,
                format!("--cpu host-model: libvirt does not support it under {virt_type}"),
            )
            .with_hint("use a named model (e.g. --cpu qemu64)"))
        }
        Some(CpuMode::Model(model)) => match caps.cpu_models.iter().find(|(m, _)| m == model) {
            None => {
                return Err(Error::invalid(format!(
                    "--cpu {}: not a CPU model libvirt knows for {virt_type}",
                    quote(model)
                ))
                .with_hint("list them with: virsh domcapabilities (cpu mode custom), or virsh cpu-models x86_64"))
            }
            Some((_, false)) => plan.warnings.push(format!(
                "--cpu {model}: libvirt says this model is not usable as it is under {virt_type}; the guest may not start"
            )),
            Some(_) => {}
        },
        _ => {}
    }
    Ok(())
}

/// `--boot` parsed by the table: the typed rows (order, UEFI, kernel) read by spec.rs, the `<os>`
/// property rows (loader=, nvram.template=, menu=on, ...) as document edits.
fn parse_boot(value: Option<&str>) -> Result<(spec::BootSpec, Vec<grammar::edit::Edit>)> {
    let Some(text) = value else {
        return Ok((spec::BootSpec::default(), Vec::new()));
    };
    let (keys, edits) = grammar::edit::split_boot(text)?;
    let given = spec::Given {
        text: text.to_string(),
        keys,
    };
    Ok((spec::parse_boot(&given)?, edits))
}

/// One value of a typed option parsed by the table (spec.rs builds the typed value from it).
fn typed(name: &str, value: &str) -> Result<spec::Given> {
    let mut given = grammar::parse::given(name, &[value.to_string()])?;
    Ok(given.remove(0))
}

/// `--cpu host-passthrough|host-model|host|MODEL` (also mode=, model=), then CPU features as
/// virt-install takes them: `+vmx` (force), `-svm` (disable), `require=F`, `optional=F`,
/// `disable=F`, `forbid=F`, `force=F`; read from the table's --cpu rows.
fn parse_cpu(given: &spec::Given) -> Result<(CpuMode, Vec<(String, String)>)> {
    let value = given.text.as_str();
    let mut mode = None;
    let mut features = Vec::new();
    for (key, name) in &given.keys {
        let policy = match *key {
            "mode" => {
                mode = Some(parse_cpu_mode(value, name)?);
                continue;
            }
            "model" => {
                mode = Some(CpuMode::Model(cpu_name(value, name)?));
                continue;
            }
            "+FEATURE" => "force",
            "-FEATURE" => "disable",
            policy => policy,
        };
        features.push((policy.to_string(), cpu_name(value, name)?));
    }
    let mode = mode.ok_or_else(|| {
        Error::invalid(format!(
            "--cpu {}: use host-passthrough, host-model or a CPU model name",
            quote(value)
        ))
    })?;
    Ok((mode, features))
}

/// A CPU model or feature name as libvirt spells them.
fn cpu_name(value: &str, name: &str) -> Result<String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    match ok {
        true => Ok(name.to_string()),
        false => Err(Error::invalid(format!(
            "--cpu {}: {} is not a CPU model or feature name",
            quote(value),
            quote(name)
        ))),
    }
}

fn parse_cpu_mode(value: &str, mode: &str) -> Result<CpuMode> {
    match mode {
        "host-passthrough" => Ok(CpuMode::HostPassthrough),
        // virt-install's `--cpu host` is host-model.
        "host-model" | "host" => Ok(CpuMode::HostModel),
        m => cpu_name(value, m).map(CpuMode::Model),
    }
}

/// `--machine` (a machine type's spelling) and `--arch`: x86_64 only, others refused by name.
fn parse_machine(args: &Install) -> Result<Option<String>> {
    if let Some(arch) = args.arch.as_deref().filter(|a| *a != "x86_64") {
        return Err(Error::invalid(format!(
            "--arch {}: not supported by vnet-vm install",
            quote(arch)
        ))
        .with_hint("vnet-vm installs x86_64 guests"));
    }
    match &args.machine {
        Some(m)
            if m.is_empty()
                || m.len() > 64
                || !m.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) =>
        {
            Err(Error::invalid(format!(
                "--machine {}: not a machine type",
                quote(m)
            )))
        }
        m => Ok(m.clone()),
    }
}

/// `--cpuset 0-3,^2,6`: libvirt's syntax, CPUs below 4096, at least one CPU left.
fn parse_cpuset(value: &str) -> Result<String> {
    let bad = || {
        Error::invalid(format!(
            "--cpuset {}: a list of CPUs like 0-3,^2,6 (numbers below 4096)",
            quote(value)
        ))
    };
    let number = |s: &str| s.parse::<u32>().ok().filter(|n| *n < 4096).ok_or_else(bad);
    let mut cpus = std::collections::BTreeSet::new();
    let mut excluded = Vec::new();
    for item in value.split(',') {
        if let Some(n) = item.strip_prefix('^') {
            excluded.push(number(n)?);
        } else if let Some((a, b)) = item.split_once('-') {
            let (a, b) = (number(a)?, number(b)?);
            if a > b {
                return Err(bad());
            }
            cpus.extend(a..=b);
        } else {
            cpus.insert(number(item)?);
        }
    }
    for n in excluded {
        cpus.remove(&n);
    }
    if cpus.is_empty() {
        return Err(bad());
    }
    Ok(value.to_string())
}

/// `--memballoon none|virtio` (also model=...).
fn parse_memballoon(value: &str) -> Result<String> {
    let v = value.strip_prefix("model=").unwrap_or(value);
    match v {
        "none" | "virtio" | "virtio-transitional" | "virtio-non-transitional" => Ok(v.to_string()),
        _ => Err(Error::invalid(format!(
            "--memballoon {}: use none or virtio",
            quote(value)
        ))),
    }
}

/// virt-install's "no install" lines: with none of --location, --cdrom, --pxe, --import or a
/// kernel, --print-xml, --boot (a device order, uefi, ...) and --cloud-init define the domain as
/// --import does (booting the disks as they are).
fn imports_without_method(args: &Install) -> bool {
    let other = args.location.is_some() || args.cdrom.is_some() || args.pxe;
    !other && (args.print_xml.is_some() || args.boot.is_some() || args.cloud_init.is_some())
}

/// Exactly one install method, checked for shape (files are looked at in `resolve_method`).
/// --import with --boot kernel=... is one method (the kernel boots the existing disks).
fn parse_method(args: &Install, kernel: Option<KernelBoot>) -> Result<Method> {
    let mut methods = Vec::new();
    if let Some(l) = &args.location {
        methods.push(Method::Location(InstallTree {
            location: PathBuf::from(l),
            is_iso: false,
            url: None,
            kernel: String::new(),
            initrd: String::new(),
            layout: "",
        }));
    }
    if let Some(c) = &args.cdrom {
        methods.push(Method::Cdrom(PathBuf::from(c)));
    }
    if args.pxe {
        methods.push(Method::Pxe);
    }
    match kernel {
        Some(k) => methods.push(Method::Kernel(k)),
        None if args.import || imports_without_method(args) => methods.push(Method::Import),
        None => {}
    }
    match methods.len() {
        1 => Ok(methods.remove(0)),
        0 => Err(Error::new(ErrorKind::Usage, "an install method is needed")
            .with_hint("give one of --location, --cdrom, --import, --pxe, --boot hd|cdrom|kernel=...")),
        _ => Err(Error::new(
            ErrorKind::Usage,
            "give only one of --location, --cdrom, --import, --pxe, --boot kernel=...",
        )),
    }
}

fn must_exist(path: &Path, what: &str) -> Result<()> {
    if !path.is_file() {
        return Err(Error::not_found(format!(
            "{what} {}: no such file",
            path.display()
        )));
    }
    Ok(())
}

/// Looks at the files the method names: the install tree of --location, the ISO of --cdrom, the
/// kernel and initrd of --boot.
fn resolve_method(method: Method) -> Result<Method> {
    match method {
        Method::Location(t) => Ok(Method::Location(location::find(&t.location.to_string_lossy())?)),
        Method::Cdrom(p) => {
            must_exist(&p, "--cdrom")?;
            Ok(Method::Cdrom(p))
        }
        Method::Kernel(k) => {
            must_exist(&k.kernel, "--boot kernel")?;
            if let Some(i) = &k.initrd {
                must_exist(i, "--boot initrd")?;
            }
            Ok(Method::Kernel(k))
        }
        Method::Import => Ok(Method::Import),
        Method::Pxe => Ok(Method::Pxe),
    }
}

/// --cdrom over a remote URI: an ISO of this machine is uploaded (true); a path that is no file
/// here is used as it is when the target host has it (a volume, or a file its directory holds,
/// looked at through libvirt); else not found (3). The two machines are never mixed.
fn remote_cdrom(conn: &Connect, path: &Path) -> Result<bool> {
    if path.is_file() {
        return Ok(true);
    }
    if crate::storage::target::exists_on_target(conn, path)? {
        return Ok(false);
    }
    Err(Error::not_found(format!(
        "--cdrom {}: no such file here, nor on the target host",
        quote(&path.to_string_lossy())
    ))
    .with_hint("give an ISO of this machine (it is uploaded to the target host), or the path of one on the target host"))
}

/// Networks must exist and be active; bridges must exist (checked in sysfs on a local connection,
/// where sysfs is what the daemon sees).
fn check_nics(conn: &Connect, nics: &[Nic], local: bool) -> Result<()> {
    for nic in nics {
        match &nic.source {
            NicSource::Network(name) => {
                let net = Network::lookup_by_name(conn, name).libvirt(format!("--network network={name}"))?;
                if !net.is_active().libvirt("network state")? {
                    return Err(Error::failed(format!("network {name} is not active"))
                        .with_hint(format!("start it: vnet-net start {name}")));
                }
            }
            NicSource::Bridge(br) if local => {
                if !Path::new("/sys/class/net").join(br).join("bridge").exists() {
                    return Err(Error::not_found(format!("--network bridge={br}: no such bridge")));
                }
            }
            NicSource::Direct { dev, .. } if local => {
                if !Path::new("/sys/class/net").join(dev).exists() {
                    return Err(Error::not_found(format!(
                        "--network source={dev}: no such host interface"
                    )));
                }
            }
            NicSource::Bridge(_) | NicSource::Direct { .. } => {}
        }
    }
    Ok(())
}

/// kvm or qemu, and why. Auto asks libvirt for KVM and then proves it with a probe guest, because
/// KVM can be offered and still fail (no /dev/kvm inside QEMU's namespace, or an MSR assertion).
pub fn choose_virt_type(conn: &Connect, arg: VirtTypeArg) -> (String, String) {
    match arg {
        VirtTypeArg::Kvm => ("kvm".into(), "requested with --virt-type kvm".into()),
        VirtTypeArg::Qemu => ("qemu".into(), "requested with --virt-type qemu".into()),
        VirtTypeArg::Auto => {
            // The probe shared with `vnet-net doctor`, cached (vnet_common::libvirt::kvm).
            let found = vnet_common::libvirt::kvm::probe(conn);
            if found.usable {
                ("kvm".into(), found.describe())
            } else {
                (
                    "qemu".into(),
                    format!("KVM is not usable ({}); using qemu (TCG)", found.describe()),
                )
            }
        }
    }
}
