//! `vnet-vm install` (virt-install): validate everything, then copy kernels, create pools and
//! volumes, define and start the domain, undoing every step made when a later one fails.

use crate::cli::{GraphicsKind, InstallArgs, VirtTypeArg};
use crate::location::{self, InstallTree};
use crate::spec::{self, KernelBoot, Nic, NicSource};
use crate::storage::{self, DiskPlan, PoolPlan};
use crate::xml::{self, DomainSpec, OsBoot, XmlDisk};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::network::Network;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, ErrorKind, Outcome, Result};

/// How the guest boots for its installation.
#[derive(Debug, Clone)]
enum Method {
    Location(InstallTree),
    Cdrom(PathBuf),
    Import,
    Kernel(KernelBoot),
}

/// Everything install will do, decided before the first change.
struct Plan {
    name: String,
    memory_mib: u64,
    vcpus: u32,
    nics: Vec<Nic>,
    graphics: GraphicsKind,
    method: Method,
    extra_args: Option<String>,
    disks: Vec<DiskPlan>,
    os_variant: Option<String>,
    warnings: Vec<String>,
}

/// What has been made so far, undone in reverse order when a later step fails.
enum Step {
    File(PathBuf),
    Pool(String),
    Volume(String),
    Domain(String),
}

fn rollback(conn: &Connect, steps: Vec<Step>) {
    for step in steps.into_iter().rev() {
        match step {
            Step::File(path) => {
                let _ = std::fs::remove_file(path);
            }
            Step::Pool(name) => storage::remove_pool(conn, &name),
            Step::Volume(path) => {
                let _ = storage::delete_volume(conn, &path);
            }
            Step::Domain(name) => {
                if let Ok(dom) = Domain::lookup_by_name(conn, &name) {
                    let _ = dom.destroy();
                    let _ = dom.undefine();
                }
            }
        }
    }
}

pub fn install(conn: &Connect, args: &InstallArgs) -> Result<Outcome> {
    spec::validate_domain_name(&args.name)?;
    if Domain::lookup_by_name(conn, &args.name).is_ok() {
        if args.exist_ok {
            return Ok(Outcome::quiet(json!({"name": args.name, "changed": false})));
        }
        return Err(Error::exists(format!("domain {} exists", args.name))
            .with_hint("choose another --name, or remove it with vnet-vm undefine"));
    }
    let plan = make_plan(conn, args)?;
    let (virt_type, reason) = choose_virt_type(conn, args.virt_type);
    let preview = PreparedBoot::preview(&plan);
    if args.print_xml {
        let xml = domain_xml(&plan, &virt_type, &preview);
        return Ok(Outcome::new(json!({"xml": xml}), xml));
    }
    if args.dry_run {
        let mut result = describe(&plan, &virt_type, &reason, &preview);
        result["dry_run"] = json!(true);
        result["changed"] = json!(false);
        result["xml"] = json!(domain_xml(&plan, &virt_type, &preview));
        return Ok(Outcome::quiet(result));
    }
    let mut steps = Vec::new();
    let (dom, boot) = match make_everything(conn, &plan, &virt_type, &mut steps) {
        Ok(made) => made,
        Err(e) => {
            rollback(conn, steps);
            return Err(e.context(format!("install {}", plan.name)));
        }
    };
    let mut result = describe(&plan, &virt_type, &reason, &boot);
    result["uuid"] = json!(dom.get_uuid_string().unwrap_or_default());
    result["changed"] = json!(true);
    result["state"] = json!(crate::domains::state_of(&dom));
    for w in &plan.warnings {
        eprintln!("WARNING  {w}");
    }
    if let Some(secs) = args.wait_ip {
        let lease = crate::iface::wait_for_lease(&dom, Duration::from_secs(secs))?;
        result["address"] = json!(lease);
    }
    let text = "Starting install...\nCreating domain...\nDomain creation completed.\n";
    Ok(Outcome::new(result, text))
}

/// The kernel, initrd and command line the domain boots (for --location: where they are copied to).
#[derive(Debug, Clone, Default)]
struct PreparedBoot {
    kernel: Option<String>,
    initrd: Option<String>,
}

impl PreparedBoot {
    /// Where a --location kernel would be copied (for --print-xml / --dry-run, which copy nothing).
    fn preview(plan: &Plan) -> PreparedBoot {
        match &plan.method {
            Method::Location(tree) => {
                let name = |m: &str| {
                    let base = m.rsplit('/').next().unwrap_or(m);
                    format!("{}/vnet-{}-{base}", location::BOOT_DIR, plan.name)
                };
                PreparedBoot {
                    kernel: Some(name(&tree.kernel)),
                    initrd: Some(name(&tree.initrd)),
                }
            }
            _ => PreparedBoot::default(),
        }
    }
}

fn make_everything(
    conn: &Connect,
    plan: &Plan,
    virt_type: &str,
    steps: &mut Vec<Step>,
) -> Result<(Domain, PreparedBoot)> {
    let mut boot = PreparedBoot::default();
    if let Method::Location(tree) = &plan.method {
        let (k, i) = location::copy_boot_files(tree, &plan.name, Path::new(location::BOOT_DIR))?;
        steps.push(Step::File(k.clone()));
        steps.push(Step::File(i.clone()));
        boot = PreparedBoot {
            kernel: Some(k.to_string_lossy().into_owned()),
            initrd: Some(i.to_string_lossy().into_owned()),
        };
    }
    for disk in &plan.disks {
        if let PoolPlan::New { name, dir } = &disk.pool {
            if !steps.iter().any(|s| matches!(s, Step::Pool(n) if n == name)) {
                storage::create_pool(conn, name, dir)?;
                steps.push(Step::Pool(name.clone()));
            }
        }
        if disk.create {
            let path = storage::create_volume(conn, disk.pool.name(), &disk.spec)?;
            steps.push(Step::Volume(path));
        }
    }
    let xml = domain_xml(plan, virt_type, &boot);
    let dom = Domain::define_xml(conn, &xml).libvirt("define the domain")?;
    steps.push(Step::Domain(plan.name.clone()));
    dom.create().libvirt("start the domain")?;
    Ok((dom, boot))
}

fn domain_xml(plan: &Plan, virt_type: &str, boot: &PreparedBoot) -> String {
    let os = match &plan.method {
        Method::Location(_) => OsBoot::Kernel {
            kernel: boot.kernel.clone().unwrap_or_default(),
            initrd: boot.initrd.clone(),
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

/// The JSON description shared by the result and --dry-run.
fn describe(plan: &Plan, virt_type: &str, reason: &str, boot: &PreparedBoot) -> Value {
    let boot_json = match &plan.method {
        Method::Location(tree) => json!({"method": "location", "source": tree.location,
            "layout": tree.layout, "kernel": boot.kernel, "initrd": boot.initrd, "cmdline": plan.extra_args}),
        Method::Kernel(k) => {
            json!({"method": "kernel", "kernel": k.kernel, "initrd": k.initrd, "cmdline": k.cmdline})
        }
        Method::Cdrom(p) => json!({"method": "cdrom", "source": p}),
        Method::Import => json!({"method": "import"}),
    };
    let disks: Vec<Value> = plan
        .disks
        .iter()
        .map(|d| {
            json!({"path": d.spec.path, "format": d.spec.format, "bus": d.spec.bus,
            "size_gb": d.spec.size_gb, "created": d.create,
            "pool": (!d.pool.name().is_empty()).then(|| d.pool.name())})
        })
        .collect();
    let pools_created: Vec<&str> = plan
        .disks
        .iter()
        .filter_map(|d| match &d.pool {
            PoolPlan::New { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let nics: Vec<Value> = plan
        .nics
        .iter()
        .map(|n| {
            let (kind, source) = match &n.source {
                NicSource::Network(s) => ("network", s),
                NicSource::Bridge(s) => ("bridge", s),
            };
            json!({"type": kind, "source": source, "model": n.model, "mac": n.mac})
        })
        .collect();
    json!({"name": plan.name, "virt_type": virt_type, "virt_type_reason": reason, "memory_mib": plan.memory_mib,
        "vcpus": plan.vcpus, "boot": boot_json, "disks": disks, "pool_created": pools_created.first(),
        "interfaces": nics, "graphics": format!("{:?}", plan.graphics).to_lowercase(), "os_variant": plan.os_variant,
        "warnings": plan.warnings})
}

fn make_plan(conn: &Connect, args: &InstallArgs) -> Result<Plan> {
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
    if matches!(method, Method::Location(_)) && !crate::is_local(conn) {
        return Err(Error::new(ErrorKind::Unavailable, "--location needs a local connection")
            .with_hint("the kernel is copied to this machine's /var/lib/libvirt/boot: put it on the host and use --boot"));
    }
    check_nics(conn, &nics)?;
    let method = resolve_method(method)?;
    let disks = storage::plan_disks(conn, &disk_specs)?;
    Ok(Plan {
        name: args.name.clone(),
        memory_mib,
        vcpus,
        nics,
        graphics: args.graphics,
        method,
        extra_args: args.extra_args.clone(),
        disks,
        os_variant: args.os_variant.clone(),
        warnings,
    })
}

/// Exactly one install method, checked for shape (files are looked at in `resolve_method`).
fn parse_method(args: &InstallArgs) -> Result<Method> {
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

/// Looks at the files the method names: the install tree of --location, the ISO of --cdrom, the
/// kernel and initrd of --boot.
fn resolve_method(method: Method) -> Result<Method> {
    let must_exist = |p: &Path, what: &str| -> Result<()> {
        if !p.is_file() {
            return Err(Error::not_found(format!("{what} {}: no such file", p.display())));
        }
        Ok(())
    };
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

/// Networks must exist and be active; bridges must exist (checked in sysfs on a local connection).
fn check_nics(conn: &Connect, nics: &[Nic]) -> Result<()> {
    let local = crate::is_local(conn);
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
fn choose_virt_type(conn: &Connect, arg: VirtTypeArg) -> (String, String) {
    match arg {
        VirtTypeArg::Kvm => ("kvm".into(), "requested with --virt-type kvm".into()),
        VirtTypeArg::Qemu => ("qemu".into(), "requested with --virt-type qemu".into()),
        VirtTypeArg::Auto => match kvm_probe(conn) {
            Ok(()) => (
                "kvm".into(),
                "KVM is offered by libvirt and a probe guest ran with it".into(),
            ),
            Err(why) => (
                "qemu".into(),
                format!("KVM is not usable ({why}); using qemu (TCG)"),
            ),
        },
    }
}

/// Starts a transient, device-less KVM guest, checks it survives its first moments, destroys it.
fn kvm_probe(conn: &Connect) -> std::result::Result<(), String> {
    let first_line = |e: virt::error::Error| e.message().lines().next().unwrap_or("").to_string();
    conn.get_domain_capabilities(None, Some("x86_64"), None, Some("kvm"), 0)
        .map_err(first_line)?;
    let name = format!("vnet-kvm-probe-{}", std::process::id());
    let xml = xml::probe_xml(&name);
    let dom = Domain::create_xml(conn, &xml, 0).map_err(first_line)?;
    std::thread::sleep(Duration::from_millis(300));
    let alive = dom.is_active().unwrap_or(false);
    let _ = dom.destroy();
    if alive {
        Ok(())
    } else {
        Err("the KVM probe guest stopped right after starting".into())
    }
}

/// Time left until a deadline, for the --wait-ip loop.
pub fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}
