//! What install prints: the installed domain (or, with --dry-run, what would be installed), the
//! domain XML of --print-xml, or the existing domain of --exist-ok.

use super::plan::{Method, Plan};
use crate::spec::NicSource;
use crate::storage::PoolPlan;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::{Render, TextStyle};

/// The result of `install`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum InstallOutput {
    /// --print-xml: the domain XML (printed as the document itself unless -o json).
    Xml(PrintedXml),
    /// --exist-ok when the domain exists: nothing was done.
    Existing(Existing),
    /// The domain installed, or with --dry-run what would be installed.
    Installed(Box<Installed>),
}

/// The domain XML install would define (--print-xml).
#[derive(Debug, Serialize, JsonSchema)]
pub struct PrintedXml {
    /// The domain XML, ready for `virsh define`.
    pub xml: String,
}

/// A domain of that name exists already (--exist-ok): nothing changed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Existing {
    pub name: String,
    /// Always false.
    pub changed: bool,
}

/// The domain install made (or with --dry-run would make).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Installed {
    pub name: String,
    /// True when the domain was made; false with --dry-run.
    pub changed: bool,
    /// With --dry-run: true (nothing was changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// With --dry-run: the domain XML that would be defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xml: Option<String>,
    /// The new domain's UUID (not with --dry-run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// virsh's word for the new domain's state (not with --dry-run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The hypervisor used: kvm or qemu (TCG).
    pub virt_type: String,
    /// Why that hypervisor: the flag, or what --virt-type auto found.
    pub virt_type_reason: String,
    pub memory_mib: u64,
    pub vcpus: u32,
    /// How the guest boots for its installation.
    pub boot: Boot,
    pub disks: Vec<InstalledDisk>,
    /// The storage pool defined for a disk directory that had none, if any.
    pub pool_created: Option<String>,
    pub interfaces: Vec<InstalledNic>,
    /// none, vnc or spice.
    pub graphics: String,
    /// As given with --os-variant (recorded only).
    pub os_variant: Option<String>,
    /// Warnings also printed on stderr (e.g. --os-type is deprecated).
    pub warnings: Vec<String>,
    /// With --wait-ip: the guest's first IPv4 address from its DHCP lease (address/prefix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The domain whose console to attach once the result is printed (interactive installs).
    #[serde(skip)]
    pub attach_console: Option<String>,
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
    /// --boot kernel=...: a kernel of the user's own.
    Kernel {
        kernel: String,
        initrd: Option<String>,
        cmdline: Option<String>,
    },
    /// --cdrom: the ISO booted as a CD-ROM.
    Cdrom { source: String },
    /// --import: the first disk booted.
    Import,
}

/// One disk of the domain.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InstalledDisk {
    pub path: String,
    /// raw or qcow2.
    pub format: String,
    /// virtio, sata, scsi or ide.
    pub bus: String,
    /// size= (GB), null when an existing image is reused.
    pub size_gb: Option<f64>,
    /// True when install created the volume.
    pub created: bool,
    /// The storage pool holding it (null for an image outside any pool).
    pub pool: Option<String>,
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
        match self {
            InstallOutput::Xml(x) => x.xml.clone(),
            InstallOutput::Installed(i) if i.changed => {
                "Starting install...\nCreating domain...\nDomain creation completed.\n".to_string()
            }
            _ => String::new(),
        }
    }

    fn document(&self) -> Option<&str> {
        match self {
            InstallOutput::Xml(x) => Some(&x.xml),
            _ => None,
        }
    }
}

/// Where the kernel and initrd of --location are copied (or would be).
#[derive(Debug, Clone, Default)]
pub struct BootFiles {
    pub kernel: String,
    pub initrd: String,
}

/// The description of `plan` shared by the result and --dry-run (changed: false, no state yet).
pub fn describe(plan: &Plan, virt_type: &(String, String), files: &BootFiles) -> Installed {
    let pool_created = plan.disks.iter().find_map(|d| match &d.pool {
        PoolPlan::New { name, .. } => Some(name.clone()),
        _ => None,
    });
    Installed {
        name: plan.name.clone(),
        changed: false,
        dry_run: None,
        xml: None,
        uuid: None,
        state: None,
        virt_type: virt_type.0.clone(),
        virt_type_reason: virt_type.1.clone(),
        memory_mib: plan.memory_mib,
        vcpus: plan.vcpus,
        boot: boot(plan, files),
        disks: disks(plan),
        pool_created,
        interfaces: nics(plan),
        graphics: plan.graphics.name().to_string(),
        os_variant: plan.os_variant.clone(),
        warnings: plan.warnings.clone(),
        address: None,
        attach_console: None,
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
        Method::Kernel(k) => Boot::Kernel {
            kernel: lossy(&k.kernel),
            initrd: k.initrd.as_deref().map(lossy),
            cmdline: k.cmdline.clone(),
        },
        Method::Cdrom(p) => Boot::Cdrom { source: lossy(p) },
        Method::Import => Boot::Import,
    }
}

fn disks(plan: &Plan) -> Vec<InstalledDisk> {
    plan.disks
        .iter()
        .map(|d| InstalledDisk {
            path: d.spec.path.to_string_lossy().into_owned(),
            format: d.spec.format.clone(),
            bus: d.spec.bus.clone(),
            size_gb: d.spec.size_gb,
            created: d.create,
            pool: Some(d.pool.name().to_string()).filter(|n| !n.is_empty()),
        })
        .collect()
}

fn nics(plan: &Plan) -> Vec<InstalledNic> {
    plan.nics
        .iter()
        .map(|n| {
            let (kind, source) = match &n.source {
                NicSource::Network(s) => ("network", s),
                NicSource::Bridge(s) => ("bridge", s),
            };
            InstalledNic {
                kind: kind.to_string(),
                source: source.clone(),
                model: n.model.clone(),
                mac: n.mac.clone(),
            }
        })
        .collect()
}
