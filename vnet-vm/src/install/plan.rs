//! install's plan: every input parsed and checked before the first change. The command line is
//! parsed without libvirt (bad input is exit 2/7 even with the daemon down); then the files it
//! names, the networks and the storage are looked at.

use super::Install;
use crate::location::{self, InstallTree};
use crate::spec::{self, DiskSpec, GraphicsKind, KernelBoot, Nic, NicSource, VirtTypeArg};
use crate::storage::{self, DiskPlan};
use std::path::{Path, PathBuf};
use virt::connect::Connect;
use virt::network::Network;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, ErrorKind, Result};

/// How the guest boots for its installation.
#[derive(Debug, Clone)]
pub enum Method {
    Location(InstallTree),
    Cdrom(PathBuf),
    Import,
    Kernel(KernelBoot),
}

/// Everything install will do, decided before the first change.
#[derive(Debug)]
pub struct Plan {
    pub name: String,
    pub memory_mib: u64,
    pub vcpus: u32,
    pub nics: Vec<Nic>,
    pub graphics: GraphicsKind,
    pub method: Method,
    pub extra_args: Option<String>,
    /// Empty until [`check`] has looked at the storage.
    pub disks: Vec<DiskPlan>,
    pub os_variant: Option<String>,
    pub warnings: Vec<String>,
}

/// The command line parsed and checked for shape, touching nothing; the disks as given.
pub fn parse(args: &Install) -> Result<(Plan, Vec<DiskSpec>)> {
    spec::validate_domain_name(&args.name)?;
    let mut warnings = Vec::new();
    if args.os_type.is_some() {
        warnings.push("--os-type is deprecated and does nothing. Please use --os-variant instead".into());
    }
    let memory_mib = spec::parse_memory(&args.memory)?;
    let vcpus = spec::parse_vcpus(&args.vcpus)?;
    let nics = spec::parse_networks(&args.networks)?;
    let disk_specs = spec::parse_disks(&args.disks)?;
    let method = parse_method(args)?;
    if args.extra_args.is_some() && !matches!(method, Method::Location(_)) {
        return Err(
            Error::new(ErrorKind::Usage, "--extra-args only works with --location")
                .with_hint("use --boot kernel=...,kernel_args=... for a kernel of your own"),
        );
    }
    if matches!(method, Method::Import) && disk_specs.is_empty() {
        return Err(Error::new(ErrorKind::Usage, "--import needs a --disk to boot"));
    }
    let plan = Plan {
        name: args.name.clone(),
        memory_mib,
        vcpus,
        nics,
        graphics: args.graphics,
        method,
        extra_args: args.extra_args.clone(),
        disks: Vec::new(),
        os_variant: args.os_variant.clone(),
        warnings,
    };
    Ok((plan, disk_specs))
}

/// Looks at what the plan names: the connection's locality for --location, the install files,
/// the networks and bridges, and how each disk is provided.
pub fn check(ctx: &mut Session, plan: &mut Plan, disks: &[DiskSpec]) -> Result<()> {
    let local = ctx.is_local()?;
    if matches!(plan.method, Method::Location(_)) && !local {
        return Err(Error::new(ErrorKind::Unavailable, "--location needs a local connection")
            .with_hint("the kernel is copied to this machine's /var/lib/libvirt/boot: put it on the host and use --boot"));
    }
    let conn = ctx.conn()?;
    check_nics(conn, &plan.nics, local)?;
    plan.method = resolve_method(plan.method.clone())?;
    plan.disks = storage::plan_disks(conn, disks)?;
    Ok(())
}

/// Exactly one install method, checked for shape (files are looked at in `resolve_method`).
fn parse_method(args: &Install) -> Result<Method> {
    let mut methods = Vec::new();
    if let Some(l) = &args.location {
        methods.push(Method::Location(InstallTree {
            location: PathBuf::from(l),
            is_iso: false,
            kernel: String::new(),
            initrd: String::new(),
            layout: "",
        }));
    }
    if let Some(c) = &args.cdrom {
        methods.push(Method::Cdrom(PathBuf::from(c)));
    }
    if args.import {
        methods.push(Method::Import);
    }
    if let Some(b) = &args.boot {
        methods.push(Method::Kernel(spec::parse_boot(b)?));
    }
    match methods.len() {
        1 => Ok(methods.remove(0)),
        0 => Err(Error::new(ErrorKind::Usage, "an install method is needed")
            .with_hint("give one of --location, --cdrom, --import, --boot kernel=...")),
        _ => Err(Error::new(
            ErrorKind::Usage,
            "give only one of --location, --cdrom, --import, --boot",
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
    }
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
            NicSource::Bridge(_) => {}
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
