//! `vnet-vm install` (virt-install): validate everything, then copy kernels, create pools and
//! volumes, define and start the domain, recording each change in the journal as it is made (a
//! later failure undoes them all, last first).

use crate::domains::console::Console;

use super::args::Install;
use super::output::{describe, BootFiles, InstallOutput};
use super::plan::{Method, Plan};
use super::{cloudinit, location, plan, tagging};
use crate::spec::{NicSource, VirtTypeArg};
use crate::storage::disks::{self as storage, PoolPlan};
use crate::xml::domain::{self as xml, DomainSpec, OsBoot};
use std::path::Path;
use std::time::Duration;
use virt::connect::Connect;
use virt::domain::Domain;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::verb::FollowUp;
use vnet_common::{Error, Journal, Result, Verb};

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
        if let Some(domain) = &self.reinstall {
            return super::reinstall::run(&self, domain, ctx, journal);
        }
        let (mut plan, disks) = plan::parse(&self)?;
        vnet_common::tags::check(self.tag.as_deref())?;
        if let Ok(dom) = Domain::lookup_by_name(ctx.conn()?, &plan.name) {
            return existing(&dom, plan, self.exist_ok);
        }
        plan::check(ctx, &mut plan, &disks)?;
        let conn = ctx.conn()?;
        let virt_type = plan::choose_virt_type(conn, self.virt_type);
        let explicit = self.virt_type != VirtTypeArg::Auto;
        plan::check_caps(conn, &mut plan, &virt_type.0, explicit)?;
        if let Some(step) = &self.print_xml {
            let steps = super::steps::requested(step, &plan)?;
            return Ok(preview(&plan, &virt_type, &steps));
        }
        if self.dry_run {
            return Ok(preview(&plan, &virt_type, &[]));
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
            let address = wait_ip(&dom, secs, journal);
            result.address = Some(self.destroy_on_exit_if(&dom, address)?);
        }
        if let Some(minutes) = self.wait.filter(|m| *m != 0) {
            let shut_off = wait_shut_off(&dom, minutes, journal);
            result.shut_off = Some(self.destroy_on_exit_if(&dom, shut_off)?);
        }
        result.attach_console = self.console_after(plan.graphics).then(|| plan.name.clone());
        if self.destroy_on_exit {
            journal.commit();
            result.destroy_after_console = result.attach_console.is_some();
            if !result.destroy_after_console {
                result.destroyed_on_exit = Some(destroy_if_running(&dom)?);
            }
        }
        let mut output = InstallOutput::installed(plan.name, true, result);
        output.uuid = Some(dom.get_uuid_string().unwrap_or_default());
        output.state = Some(crate::domains::lookup::state_of(&dom).to_string());
        Ok(output)
    }

    /// An interactive install attaches the new guest's serial console once the result is out.
    fn follow_up(output: &InstallOutput) -> Option<FollowUp<Session>> {
        let installed = output.installed.as_ref()?;
        let name = installed.attach_console.clone()?;
        let destroy = installed.destroy_after_console;
        Some(Box::new(move |ctx: &mut Session| {
            let session = Console::attach(&name).run(ctx, &mut Journal::new()).map(drop);
            if destroy {
                let dom = Domain::lookup_by_name(ctx.conn()?, &name);
                if let Ok(dom) = dom {
                    destroy_if_running(&dom)?;
                }
            }
            session
        }))
    }
}

impl Install {
    /// --destroy-on-exit also when a wait fails (timeout, signal): virt-install destroys the
    /// guest at exit whatever ended it.
    fn destroy_on_exit_if<T>(&self, dom: &Domain, waited: Result<T>) -> Result<T> {
        if waited.is_err() && self.destroy_on_exit {
            destroy_if_running(dom)?;
        }
        waited
    }
}

/// Destroys the guest if it still runs (a transient one is then gone): true when it did.
fn destroy_if_running(dom: &Domain) -> Result<bool> {
    if !dom.is_active().unwrap_or(false) {
        return Ok(false);
    }
    match dom.destroy() {
        Ok(()) => Ok(true),
        // It shut off (a transient guest: vanished) between the look and the destroy.
        Err(_) if !dom.is_active().unwrap_or(false) => Ok(false),
        Err(e) => Err(vnet_common::libvirt::error(e).context("destroy the guest (--destroy-on-exit)")),
    }
}

/// A domain of the name exists: exit 4, or with --exist-ok "changed": false when its definition
/// has the memory, vCPUs and NICs the line asks for (else exit 4 naming the difference).
fn existing(dom: &Domain, plan: Plan, exist_ok: bool) -> Result<InstallOutput> {
    let name = plan.name.clone();
    if !exist_ok {
        return Err(Error::exists(format!("domain {name} exists"))
            .with_hint("choose another --name, or remove it with vnet-vm undefine"));
    }
    let xml = dom
        .get_xml_desc(virt::sys::VIR_DOMAIN_XML_INACTIVE)
        .libvirt(format!("XML of domain {name}"))?;
    let nics: Vec<(&str, &str)> = plan
        .nics
        .iter()
        .map(|nic| match &nic.source {
            NicSource::Network(net) => ("network", net.as_str()),
            NicSource::Bridge(br) => ("bridge", br.as_str()),
            NicSource::Direct { dev, .. } => ("direct", dev.as_str()),
        })
        .collect();
    let vcpus = plan.vcpus.max.unwrap_or(plan.vcpus.count);
    let differences = crate::domains::same::install_differences(&xml, plan.memory_mib, vcpus, &nics)?;
    if !differences.is_empty() {
        return Err(Error::exists(format!(
            "domain {name} exists, but not as this line asks: {}",
            differences.join("; ")
        ))
        .with_hint("choose another --name, or remove it with vnet-vm undefine"));
    }
    Ok(InstallOutput::existing(name))
}

/// --print-xml and --dry-run: the XML and description of what would be made, changing nothing.
/// `steps`: the --print-xml steps (empty: --dry-run's JSON).
fn preview(plan: &Plan, virt_type: &(String, String), steps: &[u8]) -> InstallOutput {
    let mut files = BootFiles::default();
    match &plan.method {
        Method::Location(tree) if !plan.remote => {
            let (kernel, initrd) =
                location::preview_copies(tree, &plan.name, Path::new(crate::storage::paths::BOOT_DIR));
            files.kernel = kernel.to_string_lossy().into_owned();
            files.initrd = initrd.to_string_lossy().into_owned();
        }
        Method::Location(tree) => {
            let member = |m: &str| m.rsplit('/').next().unwrap_or(m).to_string();
            files.kernel =
                crate::storage::target::upload_preview(&plan.name, Path::new(&member(&tree.kernel)));
            files.initrd =
                crate::storage::target::upload_preview(&plan.name, Path::new(&member(&tree.initrd)));
        }
        Method::Kernel(k) if plan.remote => {
            let preview = |p: &Path| crate::storage::target::upload_preview(&plan.name, p);
            if plan.boot_upload.0 {
                files.kernel = preview(&k.kernel);
            }
            if let (true, Some(i)) = (plan.boot_upload.1, &k.initrd) {
                files.initrd = preview(i);
            }
        }
        Method::Cdrom(iso) if plan.cdrom_upload => {
            files.cdrom = Some(crate::storage::target::upload_preview(&plan.name, iso));
        }
        _ => {}
    }
    files.seed = plan.seed.as_ref().map(|s| seed_preview_path(plan, s));
    if !steps.is_empty() {
        let docs: Vec<String> = steps
            .iter()
            .map(|step| domain_xml(plan, &virt_type.0, &files, *step))
            .collect();
        return InstallOutput::xml(docs.join("\n"));
    }
    let xml = domain_xml(plan, &virt_type.0, &files, 1);
    let mut output = InstallOutput::installed(plan.name.clone(), false, describe(plan, virt_type, &files));
    output.dry_run = Some(true);
    output.xml = Some(xml);
    output
}

/// --wait-ip after a complete install: a timeout or a signal leaves the domain installed and
/// running (the install itself succeeded), so the journal is committed before failing.
fn wait_ip(dom: &Domain, secs: u64, journal: &mut Journal) -> Result<String> {
    crate::devices::iface::wait_for_lease(dom, Duration::from_secs(secs)).inspect_err(|_| journal.commit())
}

/// --wait N: until the guest shuts off (a transient one is then gone), N minutes (-1: forever).
/// The install is complete either way, so the journal is committed first: a timeout (exit 1) or
/// a signal (128+N) leaves the domain installed and running, as virt-install does.
fn wait_shut_off(dom: &Domain, minutes: i64, journal: &mut Journal) -> Result<bool> {
    journal.commit();
    let deadline =
        (minutes > 0).then(|| std::time::Instant::now() + Duration::from_secs(minutes as u64 * 60));
    loop {
        // A transient domain that shut off is gone: its handle no longer answers.
        if !dom.is_active().unwrap_or(false) {
            return Ok(true);
        }
        vnet_common::signals::check()?;
        if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            return Err(Error::failed(format!(
                "the guest is still running after {minutes} minute(s) (--wait): the installation may be in progress"
            ))
            .with_hint("the domain stays installed and running; vnet-vm wait NAME --state shut-off waits on"));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
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
            let boot_dir = Path::new(crate::storage::paths::BOOT_DIR);
            let (k, i) = location::copy_boot_files(tree, &plan.name, boot_dir, journal)?;
            super::inject::append(&i, &plan.inject)?;
            files.kernel = k.to_string_lossy().into_owned();
            files.initrd = i.to_string_lossy().into_owned();
        }
        // A remote host cannot read this machine's files: the kernel and initrd are read here
        // (from the ISO, directory or URL) and uploaded there (see target.rs).
        Method::Location(tree) => {
            let scratch = location::Scratch::new("location")?;
            let (k, i) = location::fetch_members(tree, &scratch.0)?;
            super::inject::append(&i, &plan.inject)?;
            let (kernel, initrd) =
                crate::storage::target::upload_boot_files(conn, &plan.name, &k, Some(&i), journal)?;
            files.kernel = kernel;
            files.initrd = initrd.unwrap_or_default();
        }
        // Only what the target host lacks and this machine has (plan::remote_kernel); the
        // upload is the one a --cdrom ISO gets (a volume of the target's boot directory).
        Method::Kernel(k) if plan.remote => {
            let upload =
                |p: &Path, j: &mut Journal| crate::storage::target::upload_cdrom(conn, &plan.name, p, j);
            if plan.boot_upload.0 {
                files.kernel = upload(&k.kernel, journal)?;
            }
            if let (true, Some(i)) = (plan.boot_upload.1, &k.initrd) {
                files.initrd = upload(i, journal)?;
            }
        }
        Method::Cdrom(iso) if plan.cdrom_upload => {
            files.cdrom = Some(crate::storage::target::upload_cdrom(
                conn, &plan.name, iso, journal,
            )?);
        }
        _ => {}
    }
    make_storage(conn, plan, journal)?;
    if let Some(seed) = &plan.seed {
        let path = cloudinit::upload(conn, seed.pool.name(), &seed.volume, &seed.seed.iso, journal)?;
        files.seed = Some(path);
    }
    let xml = domain_xml(plan, virt_type, &files, 1);
    if plan.transient {
        return Ok((start_transient(conn, &plan.name, &xml, journal)?, files));
    }
    let dom = Domain::define_xml(conn, &xml).libvirt("define the domain")?;
    let defined = dom.clone();
    journal.record_fn(format!("define domain {}", plan.name), move || {
        // A UEFI guest has an NVRAM file once started: it goes with the definition.
        defined
            .undefine_flags(virt::sys::VIR_DOMAIN_UNDEFINE_NVRAM)
            .libvirt("undefine the domain")
    })?;
    if plan.autostart {
        // Undefining the domain (the journal's undo) removes its autostart link too.
        dom.set_autostart(true).libvirt("set autostart")?;
    }
    vnet_common::libvirt::lifecycle::start_as(&dom, &plan.name, "start the domain", journal)?;
    Ok((dom, files))
}

/// --transient: the domain started from its XML (virsh create), destroyed again on a later failure.
fn start_transient(conn: &Connect, name: &str, xml: &str, journal: &mut Journal) -> Result<Domain> {
    let dom = Domain::create_xml(conn, xml, 0).libvirt("start the transient domain")?;
    let made = dom.clone();
    journal.record_fn(format!("start transient domain {name}"), move || {
        made.destroy().libvirt("destroy the domain")
    })?;
    Ok(dom)
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

/// The domain XML of install step `step`: 1 the install, 2 the domain after it (the disk
/// booted, the CD-ROM empty: see steps.rs).
fn domain_xml(plan: &Plan, virt_type: &str, files: &BootFiles, step: u8) -> String {
    let os = match &plan.method {
        Method::Location(_) | Method::Cdrom(_) if step == 2 => OsBoot::Hd,
        Method::Location(_) => OsBoot::Kernel {
            kernel: files.kernel.clone(),
            initrd: Some(files.initrd.clone()),
            cmdline: plan.extra_args.clone(),
        },
        // A file uploaded to a remote host is booted from its copy there.
        Method::Kernel(k) => OsBoot::Kernel {
            kernel: super::kernel::uploaded_or(&files.kernel, &k.kernel),
            initrd: k
                .initrd
                .as_deref()
                .map(|i| super::kernel::uploaded_or(&files.initrd, i)),
            cmdline: k.cmdline.clone(),
        },
        Method::Cdrom(_) => OsBoot::Cdrom,
        Method::Import => OsBoot::Hd,
        Method::Pxe => OsBoot::Network,
    };
    let mut cdroms = Vec::new();
    if let (Method::Cdrom(_), 2) = (&plan.method, step) {
        cdroms.push(String::new());
    } else if let Method::Cdrom(p) = &plan.method {
        cdroms.push(
            files
                .cdrom
                .clone()
                .unwrap_or_else(|| p.to_string_lossy().into_owned()),
        );
    }
    cdroms.extend(files.seed.clone());
    let disks = plan.disks.iter().map(super::disks::xml_disk).collect();
    let mut extra_devices = plan.table.devices.clone();
    extra_devices.extend(super::disks::scsi_controller(&plan.disks, &extra_devices));
    let xml = xml::domain_xml(&DomainSpec {
        name: &plan.name,
        virt_type,
        memory_mib: plan.memory_mib,
        vcpus: plan.vcpus,
        cpuset: plan.cpuset.clone(),
        cpu: plan.cpu.clone(),
        cpu_features: plan.cpu_features.clone(),
        boot: os,
        boot_order: plan.boot_order.clone(),
        uefi: plan.uefi,
        machine_type: plan.machine.clone(),
        disks,
        cdroms,
        nics: &plan.nics,
        graphics: plan.graphics,
        memballoon: plan.memballoon.clone(),
        smbios_serial: plan.seed.as_ref().map(|_| "ds=nocloud".to_string()),
        seed: files.seed.clone(),
        os_id: plan.os_variant.as_ref().and_then(|o| o.id.clone()),
        extra_devices,
        extra_top: plan.table.top.clone(),
    });
    super::grammar::edit::apply(xml, &plan.table.edits)
}
