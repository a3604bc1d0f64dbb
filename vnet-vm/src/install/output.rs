//! What install prints: the installed domain (or, with --dry-run, what would be installed), the
//! domain XML of --print-xml, or the existing domain of --exist-ok.

use super::plan::{Method, Plan};
use crate::storage::disks::PoolPlan;
use crate::xml::domain::CpuMode;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::{Render, TextStyle};

/// The result of `install`: one object for every form. With --print-xml only `xml` (printed as
/// the document itself unless -o json); with --exist-ok for an existing domain only `name` and
/// `changed` (false); otherwise the domain installed (with --dry-run: what would be installed,
/// "dry_run": true and the XML).
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct InstallOutput {
    /// The domain's name (absent with --print-xml).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub name: Option<String>,
    /// True when the domain was made; false with --dry-run or for an existing domain with
    /// --exist-ok (absent with --print-xml).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "bool")]
    pub changed: Option<bool>,
    /// With --dry-run: true (nothing was changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "bool")]
    pub dry_run: Option<bool>,
    /// The domain XML, ready for `virsh define`: with --print-xml (alone) and with --dry-run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub xml: Option<String>,
    /// The new domain's UUID (not with --dry-run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub uuid: Option<String>,
    /// virsh's word for the new domain's state (not with --dry-run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub state: Option<String>,
    /// What was (or would be) installed: absent with --print-xml and for an existing domain.
    #[serde(flatten)]
    pub installed: Option<Box<Installed>>,
}

impl InstallOutput {
    /// --print-xml: the domain XML alone.
    pub fn xml(xml: String) -> InstallOutput {
        InstallOutput {
            xml: Some(xml),
            ..Default::default()
        }
    }

    /// --exist-ok when the domain exists: nothing was done.
    pub fn existing(name: String) -> InstallOutput {
        InstallOutput {
            name: Some(name),
            changed: Some(false),
            ..Default::default()
        }
    }

    /// The domain `installed` describes, made (`changed`) or previewed.
    pub fn installed(name: String, changed: bool, installed: Installed) -> InstallOutput {
        InstallOutput {
            name: Some(name),
            changed: Some(changed),
            installed: Some(Box::new(installed)),
            ..Default::default()
        }
    }

    /// True for --print-xml's form (the XML document alone).
    fn xml_only(&self) -> bool {
        self.name.is_none()
    }
}

/// The domain install made (or with --dry-run would make).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Installed {
    /// The hypervisor used: kvm or qemu (TCG).
    pub virt_type: String,
    /// Why that hypervisor: the flag, or what --virt-type auto found.
    pub virt_type_reason: String,
    pub memory_mib: u64,
    /// vCPUs online at boot.
    pub vcpus: u32,
    /// maxvcpus= when above vcpus (hot-pluggable up to).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_vcpus: Option<u32>,
    /// The vCPU topology given with --vcpus sockets=,cores=,threads=.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topology: Option<Topology>,
    /// --cpuset: the host CPUs the vCPUs may run on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpuset: Option<String>,
    /// --cpu: host-passthrough, host-model or the model name (null: the hypervisor's default,
    /// host-passthrough under KVM).
    pub cpu: Option<String>,
    /// --memballoon: the balloon model (null: libvirt's default, virtio).
    pub memballoon: Option<String>,
    /// bios, or efi with --boot uefi (libvirt picks the OVMF build and makes the NVRAM).
    pub firmware: String,
    /// The machine type asked for (q35 with --boot uefi; null: libvirt's default).
    pub machine: Option<String>,
    /// --boot hd,cdrom,...: the boot device order given (empty: what the method implies).
    pub boot_order: Vec<String>,
    /// How the guest boots for its installation.
    pub boot: Boot,
    pub disks: Vec<InstalledDisk>,
    /// The storage pool defined for a disk directory that had none, if any.
    pub pool_created: Option<String>,
    pub interfaces: Vec<InstalledNic>,
    /// none, vnc or spice.
    pub graphics: String,
    /// As given with --os-variant.
    pub os_variant: Option<String>,
    /// The osinfo id of --os-variant (recorded in the domain's libosinfo metadata); null when
    /// the osinfo database is not installed or the value is generic.
    pub os_id: Option<String>,
    /// True when --os-variant was checked against the osinfo database (/usr/share/osinfo).
    pub os_variant_checked: bool,
    /// --cloud-init: the NoCloud seed attached as a CD-ROM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_init: Option<CloudInitSeed>,
    /// Warnings also printed on stderr (e.g. --os-type is deprecated).
    pub warnings: Vec<String>,
    /// With --wait-ip: the guest's first IPv4 address from its DHCP lease (address/prefix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// With --wait N (N != 0): true once the guest has shut off within the time, as virt-install
    /// waits for the install to finish.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shut_off: Option<bool>,
    /// With --destroy-on-exit: whether the guest was still running when install was done with
    /// it and so was destroyed (an attached console session destroys it after the result).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destroyed_on_exit: Option<bool>,
    /// The domain whose console to attach once the result is printed (interactive installs).
    #[serde(skip)]
    pub attach_console: Option<String>,
    /// --destroy-on-exit with an attached console: destroy the guest when the session ends.
    #[serde(skip)]
    pub destroy_after_console: bool,
}

/// sockets*cores*threads = the maximum vCPUs.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Topology {
    pub sockets: u32,
    pub cores: u32,
    pub threads: u32,
}

/// The cloud-init NoCloud seed (an ISO labelled cidata) and what it holds.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CloudInitSeed {
    /// The seed volume's path (removed by undefine --remove-all-storage).
    pub seed: String,
    /// The storage pool holding it.
    pub pool: String,
    /// The user-data file's content (given with user-data= or generated).
    pub user_data: String,
    pub meta_data: String,
    pub network_config: Option<String>,
    /// root-password-generate=on: the root password made (shown once; it expires at first login).
    pub root_password: Option<String>,
}

/// The install method and what it boots.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum Boot {
    /// --location: the install tree's kernel and initrd, copied to /var/lib/libvirt/boot.
    Location {
        /// The ISO image or directory given.
        source: String,
        /// The install tree recognised (e.g. "ubuntu/debian install CD").
        layout: String,
        /// Where the kernel is (or would be) copied.
        kernel: String,
        /// Where the initrd is (or would be) copied.
        initrd: String,
        /// --extra-args.
        cmdline: Option<String>,
    },
    /// --boot kernel=...: a kernel of the user's own (with --import: over existing disks).
    Kernel {
        kernel: String,
        initrd: Option<String>,
        cmdline: Option<String>,
        /// True with --import.
        import: bool,
        /// Over a remote URI: the kernel of this machine uploaded to `kernel` on the target host
        /// (absent: `kernel` is the target host's own file, booted as it is).
        #[serde(skip_serializing_if = "Option::is_none")]
        kernel_uploaded_from: Option<String>,
        /// The same for the initrd.
        #[serde(skip_serializing_if = "Option::is_none")]
        initrd_uploaded_from: Option<String>,
    },
    /// --pxe: boot from the network.
    Pxe,
    /// --cdrom: the ISO booted as a CD-ROM.
    Cdrom {
        /// The ISO's path on the host the domain runs on.
        source: String,
        /// Over a remote URI: the ISO of this machine uploaded to `source` on the target host.
        #[serde(skip_serializing_if = "Option::is_none")]
        uploaded_from: Option<String>,
    },
    /// --import: the first disk booted.
    Import,
}

/// One disk of the domain.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InstalledDisk {
    pub path: String,
    /// file, or block for a block device (`<disk type='block'>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// disk, cdrom, floppy or lun.
    pub device: String,
    /// raw or qcow2.
    pub format: String,
    /// virtio, sata, scsi, usb, ide (fdc for a floppy).
    pub bus: String,
    /// size= (GB), null when an existing image is reused.
    pub size_gb: Option<f64>,
    /// True when install created the volume.
    pub created: bool,
    /// The storage pool holding it (null for an image outside any pool).
    pub pool: Option<String>,
    /// backing_store=: the image this new qcow2 overlay is made on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backing_store: Option<String>,
    /// The backing image's format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backing_format: Option<String>,
    /// `<driver>` attributes given (cache, discard, io, ...).
    pub driver: std::collections::BTreeMap<String, String>,
}

/// One network interface of the domain.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InstalledNic {
    /// network or bridge.
    #[serde(rename = "type")]
    pub kind: String,
    /// The network's or bridge's name.
    pub source: String,
    pub model: String,
    /// mac= as given; null lets libvirt choose.
    pub mac: Option<String>,
}

impl Render for InstallOutput {
    fn text(&self, _style: TextStyle) -> String {
        match (&self.xml, self.changed) {
            (Some(xml), _) if self.xml_only() => xml.clone(),
            (_, Some(true)) => {
                "Starting install...\nCreating domain...\nDomain creation completed.\n".to_string()
            }
            _ => String::new(),
        }
    }

    fn document(&self) -> Option<&str> {
        self.xml.as_deref().filter(|_| self.xml_only())
    }
}

#[derive(Debug, Clone, Default)]
pub struct BootFiles {
    pub kernel: String,
    pub initrd: String,
    /// The cloud-init seed volume's path (or where it would be).
    pub seed: Option<String>,
    /// --cdrom over a remote URI: the uploaded ISO's path on the target host (or where it would be).
    pub cdrom: Option<String>,
}

/// The description of `plan` shared by the result and --dry-run (changed: false, no state yet).
pub fn describe(plan: &Plan, virt_type: &(String, String), files: &BootFiles) -> Installed {
    let pool_created = plan.disks.iter().find_map(|d| match &d.pool {
        PoolPlan::New { name, .. } => Some(name.clone()),
        _ => None,
    });
    Installed {
        virt_type: virt_type.0.clone(),
        virt_type_reason: virt_type.1.clone(),
        memory_mib: plan.memory_mib,
        vcpus: plan.vcpus.count,
        max_vcpus: plan.vcpus.max,
        topology: plan.vcpus.topology.map(|(sockets, cores, threads)| Topology {
            sockets,
            cores,
            threads,
        }),
        cpuset: plan.cpuset.clone(),
        cpu: plan.cpu.as_ref().map(|c| match c {
            CpuMode::HostPassthrough => "host-passthrough".to_string(),
            CpuMode::HostModel => "host-model".to_string(),
            CpuMode::Model(m) => m.clone(),
        }),
        memballoon: plan.memballoon.clone(),
        firmware: if plan.uefi { "efi" } else { "bios" }.to_string(),
        machine: plan.uefi.then(|| "q35".to_string()),
        boot_order: plan.boot_order.clone(),
        boot: boot(plan, files),
        disks: disks(plan),
        pool_created,
        interfaces: nics(plan),
        graphics: plan.graphics.name().to_string(),
        os_variant: plan.os_variant.as_ref().map(|o| o.given.clone()),
        os_id: plan.os_variant.as_ref().and_then(|o| o.id.clone()),
        os_variant_checked: plan.os_variant.as_ref().is_some_and(|o| o.checked),
        cloud_init: plan.seed.as_ref().map(|s| CloudInitSeed {
            seed: files.seed.clone().unwrap_or_default(),
            pool: s.pool.name().to_string(),
            user_data: s.seed.user_data.clone(),
            meta_data: s.seed.meta_data.clone(),
            network_config: s.seed.network_config.clone(),
            root_password: s.seed.generated_password.clone(),
        }),
        warnings: plan.warnings.clone(),
        address: None,
        shut_off: None,
        destroyed_on_exit: None,
        attach_console: None,
        destroy_after_console: false,
    }
}

fn boot(plan: &Plan, files: &BootFiles) -> Boot {
    let lossy = |p: &std::path::Path| p.to_string_lossy().into_owned();
    match &plan.method {
        Method::Location(tree) => Boot::Location {
            source: lossy(&tree.location),
            layout: tree.layout.to_string(),
            kernel: files.kernel.clone(),
            initrd: files.initrd.clone(),
            cmdline: plan.extra_args.clone(),
        },
        // Uploaded to a remote host: the paths the domain boots there, and what was uploaded.
        Method::Kernel(k) => Boot::Kernel {
            kernel: super::kernel::uploaded_or(&files.kernel, &k.kernel),
            initrd: k
                .initrd
                .as_deref()
                .map(|i| super::kernel::uploaded_or(&files.initrd, i)),
            cmdline: k.cmdline.clone(),
            import: plan.import,
            kernel_uploaded_from: (!files.kernel.is_empty()).then(|| lossy(&k.kernel)),
            initrd_uploaded_from: k
                .initrd
                .as_deref()
                .filter(|_| !files.initrd.is_empty())
                .map(lossy),
        },
        Method::Pxe => Boot::Pxe,
        Method::Cdrom(p) => Boot::Cdrom {
            source: files.cdrom.clone().unwrap_or_else(|| lossy(p)),
            uploaded_from: files.cdrom.as_ref().map(|_| lossy(p)),
        },
        Method::Import => Boot::Import,
    }
}

fn disks(plan: &Plan) -> Vec<InstalledDisk> {
    plan.disks
        .iter()
        .map(|d| InstalledDisk {
            path: d.spec.path.to_string_lossy().into_owned(),
            kind: if d.spec.block { "block" } else { "file" }.into(),
            device: d.spec.device.clone(),
            format: d.spec.format.clone(),
            bus: d.spec.bus.clone(),
            size_gb: d.spec.size_gb,
            created: d.create,
            pool: Some(d.pool.name().to_string()).filter(|n| !n.is_empty()),
            backing_store: d.backing.as_ref().map(|b| b.backing.path.clone()),
            backing_format: d.backing.as_ref().map(|b| b.backing.format.clone()),
            driver: d.spec.driver.iter().cloned().collect(),
        })
        .collect()
}

fn nics(plan: &Plan) -> Vec<InstalledNic> {
    plan.nics
        .iter()
        .map(|n| {
            let (kind, _, source) = n.source.parts();
            InstalledNic {
                kind: kind.to_string(),
                source: source.to_string(),
                model: n.model.clone(),
                mac: n.mac.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The --print-xml and --exist-ok forms print what their own types printed before install
    /// had one output type; the XML alone is the document.
    #[test]
    fn each_form_prints_as_before() {
        let json = |o: &InstallOutput| serde_json::to_string(o).unwrap();
        let xml = InstallOutput::xml("<domain/>".into());
        assert_eq!(json(&xml), r#"{"xml":"<domain/>"}"#);
        assert_eq!(xml.document(), Some("<domain/>"));
        let existing = InstallOutput::existing("vm1".into());
        assert_eq!(json(&existing), r#"{"name":"vm1","changed":false}"#);
        assert_eq!(
            (existing.document(), existing.text(TextStyle::default())),
            (None, String::new())
        );
    }
}
