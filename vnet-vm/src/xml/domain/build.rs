//! The domain XML install defines: built with quick-xml's writer (names and paths are escaped by
//! the writer, never formatted into strings), indented like libvirt's own.

use super::element::Element;
use crate::spec::{GraphicsKind, Nic, NicSource, VcpuSpec};
use quick_xml::events::BytesText;
use quick_xml::Writer;
use std::io;

#[derive(Debug, Clone, PartialEq)]
pub enum OsBoot {
    Kernel {
        kernel: String,
        initrd: Option<String>,
        cmdline: Option<String>,
    },
    Cdrom,
    Hd,
    Network,
}

#[derive(Debug, Clone, PartialEq)]
pub struct XmlDisk {
    pub path: String,
    pub format: String,
    pub bus: String,
    /// Further `<driver>` attributes (cache, discard, io, ...), already validated.
    pub driver: Vec<(String, String)>,
    /// disk, cdrom, floppy or lun.
    pub device: String,
    /// A block device: `type='block'` with `<source dev=>`.
    pub block: bool,
    pub readonly: bool,
    pub shareable: bool,
    pub boot_order: Option<u32>,
    pub serial: Option<String>,
    /// The device name given (else generated as virt-install does).
    pub target: Option<String>,
}

impl XmlDisk {
    /// A file-backed disk on `bus` with nothing else set.
    pub fn file(path: &str, format: &str, bus: &str) -> XmlDisk {
        XmlDisk {
            path: path.into(),
            format: format.into(),
            bus: bus.into(),
            driver: Vec::new(),
            device: "disk".into(),
            block: false,
            readonly: false,
            shareable: false,
            boot_order: None,
            serial: None,
            target: None,
        }
    }
}

/// `--cpu`: the guest CPU.
#[derive(Debug, Clone, PartialEq)]
pub enum CpuMode {
    HostPassthrough,
    HostModel,
    /// A named model (`<cpu mode='custom'>`), e.g. qemu64, Skylake-Client.
    Model(String),
}

/// The namespace of vnet's own `<metadata>` element in the domain XML.
pub const VNET_NS: &str = "urn:vnet:install:1";
/// libosinfo's domain metadata namespace (as virt-install writes it).
pub const OSINFO_NS: &str = "http://libosinfo.org/xmlns/libvirt/domain/1.0";

#[derive(Debug, Clone)]
pub struct DomainSpec<'a> {
    pub name: &'a str,
    pub virt_type: &'a str,
    pub memory_mib: u64,
    pub vcpus: VcpuSpec,
    /// `--cpuset`: host CPUs the vCPUs may run on.
    pub cpuset: Option<String>,
    pub cpu: Option<CpuMode>,
    /// `--cpu ...,+vmx,-svm`: (policy, name) of each feature.
    pub cpu_features: Vec<(String, String)>,
    pub boot: OsBoot,
    /// `--boot hd,cdrom,network`: replaces the boot order the method implies.
    pub boot_order: Vec<String>,
    /// `--boot uefi`: `<os firmware='efi'>` on a q35 machine (libvirt picks the OVMF build).
    pub uefi: bool,
    /// `--machine`: the machine type (else q35 for UEFI, libvirt's default otherwise).
    pub machine_type: Option<String>,
    pub disks: Vec<XmlDisk>,
    /// Read-only CD-ROMs (the --cdrom ISO, the cloud-init seed), in this order.
    pub cdroms: Vec<String>,
    pub nics: &'a [Nic],
    pub graphics: GraphicsKind,
    /// `--memballoon none|virtio` (libvirt's default, virtio, when None).
    pub memballoon: Option<String>,
    /// SMBIOS system serial (`ds=nocloud` for a cloud-init seed).
    pub smbios_serial: Option<String>,
    /// The cloud-init seed volume install made (recorded in vnet's metadata, so undefine
    /// --remove-all-storage finds it).
    pub seed: Option<String>,
    /// The osinfo id of --os-variant (libosinfo metadata, as virt-install writes it).
    pub os_id: Option<String>,
    /// Devices of the table-driven options (--watchdog, --rng, --channel, ...), after the others.
    pub extra_devices: Vec<Element>,
    /// Top-level elements of the table-driven options (--events, --memorybacking).
    pub extra_top: Vec<Element>,
}

impl DomainSpec<'_> {
    /// The machine type: q35 for UEFI (libvirt's secure-boot OVMF needs it), else libvirt's default.
    pub fn machine(&self) -> Option<&str> {
        self.machine_type.as_deref().or(self.uefi.then_some("q35"))
    }

    /// The bus of the CD-ROMs: q35 has no IDE.
    pub fn cdrom_bus(&self) -> &'static str {
        if self.machine().is_some_and(|m| m.contains("q35")) {
            "sata"
        } else {
            "ide"
        }
    }
}

/// The domain XML for `spec`, indented like libvirt's own.
pub fn domain_xml(spec: &DomainSpec) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_domain(&mut w, spec).expect("writing XML to a Vec cannot fail");
    String::from_utf8(w.into_inner()).expect("the writer emits UTF-8")
}

fn write_domain(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    w.create_element("domain")
        .with_attribute(("type", spec.virt_type))
        .write_inner_content(|w| {
            text(w, "name", spec.name)?;
            write_metadata(w, spec)?;
            let mem = spec.memory_mib.to_string();
            w.create_element("memory")
                .with_attribute(("unit", "MiB"))
                .write_text_content(BytesText::new(&mem))?;
            w.create_element("currentMemory")
                .with_attribute(("unit", "MiB"))
                .write_text_content(BytesText::new(&mem))?;
            write_vcpu(w, spec)?;
            if let Some(serial) = &spec.smbios_serial {
                w.create_element("sysinfo")
                    .with_attribute(("type", "smbios"))
                    .write_inner_content(|w| {
                        w.create_element("system").write_inner_content(|w| {
                            w.create_element("entry")
                                .with_attribute(("name", "serial"))
                                .write_text_content(BytesText::new(serial))?;
                            Ok(())
                        })?;
                        Ok(())
                    })?;
            }
            write_os(w, spec)?;
            // ACPI is needed for shutdown, and libvirt 9 without it passes -no-acpi, which QEMU 10 refuses.
            w.create_element("features").write_inner_content(|w| {
                w.create_element("acpi").write_empty()?;
                w.create_element("apic").write_empty()?;
                Ok(())
            })?;
            write_cpu(w, spec)?;
            w.create_element("clock")
                .with_attribute(("offset", "utc"))
                .write_empty()?;
            write_lifecycle_and_top(w, spec)?;
            w.create_element("devices")
                .write_inner_content(|w| write_devices(w, spec))?;
            Ok(())
        })?;
    Ok(())
}

/// The lifecycle actions (install's defaults unless --events replaces one) and the other
/// top-level elements of the table-driven options (--memorybacking, ...).
fn write_lifecycle_and_top(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    for (event, action) in [
        ("on_poweroff", "destroy"),
        ("on_reboot", "restart"),
        ("on_crash", "destroy"),
    ] {
        if !spec.extra_top.iter().any(|e| e.name == event) {
            text(w, event, action)?;
        }
    }
    for e in &spec.extra_top {
        e.write(w)?;
    }
    Ok(())
}

fn write_metadata(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    if spec.seed.is_none() && spec.os_id.is_none() {
        return Ok(());
    }
    w.create_element("metadata").write_inner_content(|w| {
        if let Some(id) = &spec.os_id {
            w.create_element("libosinfo:libosinfo")
                .with_attribute(("xmlns:libosinfo", OSINFO_NS))
                .write_inner_content(|w| {
                    w.create_element("libosinfo:os")
                        .with_attribute(("id", id.as_str()))
                        .write_empty()?;
                    Ok(())
                })?;
        }
        if let Some(seed) = &spec.seed {
            w.create_element("vnet:install")
                .with_attribute(("xmlns:vnet", VNET_NS))
                .write_inner_content(|w| {
                    w.create_element("vnet:cloud-init-seed")
                        .write_text_content(BytesText::new(seed))?;
                    Ok(())
                })?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_vcpu(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    let max = spec.vcpus.max.unwrap_or(spec.vcpus.count).to_string();
    let current = spec.vcpus.count.to_string();
    let mut e = w.create_element("vcpu").with_attribute(("placement", "static"));
    if let Some(cpuset) = &spec.cpuset {
        e = e.with_attribute(("cpuset", cpuset.as_str()));
    }
    if spec.vcpus.max.is_some() {
        e = e.with_attribute(("current", current.as_str()));
    }
    e.write_text_content(BytesText::new(&max))?;
    Ok(())
}

fn write_cpu(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    let cpu = match &spec.cpu {
        Some(cpu) => Some(cpu.clone()),
        // KVM guests get the host's CPU unless told otherwise (virt-install's default).
        None if spec.virt_type == "kvm" => Some(CpuMode::HostPassthrough),
        None => None,
    };
    let topology = spec.vcpus.topology;
    if cpu.is_none() && topology.is_none() {
        return Ok(());
    }
    let mut e = w.create_element("cpu");
    match &cpu {
        Some(CpuMode::HostPassthrough) => e = e.with_attribute(("mode", "host-passthrough")),
        Some(CpuMode::HostModel) => e = e.with_attribute(("mode", "host-model")),
        Some(CpuMode::Model(_)) => e = e.with_attributes([("mode", "custom"), ("match", "exact")]),
        None => {}
    }
    e.write_inner_content(|w| {
        if let Some(CpuMode::Model(model)) = &cpu {
            w.create_element("model")
                .with_attribute(("fallback", "allow"))
                .write_text_content(BytesText::new(model))?;
        }
        for (policy, name) in &spec.cpu_features {
            w.create_element("feature")
                .with_attributes([("policy", policy.as_str()), ("name", name.as_str())])
                .write_empty()?;
        }
        if let Some((s, c, t)) = topology {
            let (s, c, t) = (s.to_string(), c.to_string(), t.to_string());
            w.create_element("topology")
                .with_attributes([
                    ("sockets", s.as_str()),
                    ("dies", "1"),
                    ("cores", c.as_str()),
                    ("threads", t.as_str()),
                ])
                .write_empty()?;
        }
        Ok(())
    })?;
    Ok(())
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(value))?;
    Ok(())
}

fn write_os(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    let mut os = w.create_element("os");
    if spec.uefi {
        os = os.with_attribute(("firmware", "efi"));
    }
    os.write_inner_content(|w| {
        let mut ty = w.create_element("type").with_attribute(("arch", "x86_64"));
        if let Some(machine) = spec.machine() {
            ty = ty.with_attribute(("machine", machine));
        }
        ty.write_text_content(BytesText::new("hvm"))?;
        let implied: &[&str] = match &spec.boot {
            OsBoot::Kernel {
                kernel,
                initrd,
                cmdline,
            } => {
                text(w, "kernel", kernel)?;
                if let Some(initrd) = initrd {
                    text(w, "initrd", initrd)?;
                }
                if let Some(cmdline) = cmdline {
                    text(w, "cmdline", cmdline)?;
                }
                &[]
            }
            OsBoot::Cdrom => &["cdrom", "hd"],
            OsBoot::Hd => &["hd"],
            OsBoot::Network => &["network"],
        };
        let order: Vec<&str> = if spec.boot_order.is_empty() {
            implied.to_vec()
        } else {
            spec.boot_order.iter().map(String::as_str).collect()
        };
        for dev in order {
            w.create_element("boot")
                .with_attribute(("dev", dev))
                .write_empty()?;
        }
        if spec.smbios_serial.is_some() {
            w.create_element("smbios")
                .with_attribute(("mode", "sysinfo"))
                .write_empty()?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The device-name prefix of a bus: vd for virtio, sd for sata/scsi/usb, hd for ide, fd for fdc.
fn target_prefix(bus: &str) -> &'static str {
    match bus {
        "virtio" => "vd",
        "ide" => "hd",
        "fdc" => "fd",
        _ => "sd",
    }
}

/// virt-install's rule for a disk without target.dev=: the first name of the bus's prefix after
/// the last one in use, else the first free one (vda, vdb, ...).
fn target_dev(bus: &str, used: &mut Vec<String>) -> String {
    let prefix = target_prefix(bus);
    let mut skip: Vec<&String> = used.iter().filter(|t| t.starts_with(prefix)).collect();
    let mut first_free = None;
    let mut found = None;
    for c in b'a'..=b'z' {
        let name = format!("{prefix}{}", c as char);
        if let Some(i) = skip.iter().position(|t| **t == name) {
            skip.remove(i);
            continue;
        }
        if skip.is_empty() {
            found = Some(name);
            break;
        }
        first_free.get_or_insert(name);
    }
    let dev = found.or(first_free).unwrap_or_else(|| format!("{prefix}z"));
    used.push(dev.clone());
    dev
}

fn write_disk(w: &mut Writer<Vec<u8>>, disk: &XmlDisk, dev: &str) -> io::Result<()> {
    let kind = if disk.block { "block" } else { "file" };
    w.create_element("disk")
        .with_attributes([("type", kind), ("device", disk.device.as_str())])
        .write_inner_content(|w| {
            // An empty drive (a CD-ROM after the install) has neither.
            if !disk.path.is_empty() {
                w.create_element("driver")
                    .with_attributes([("name", "qemu"), ("type", disk.format.as_str())])
                    .with_attributes(disk.driver.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .write_empty()?;
                let source = if disk.block { "dev" } else { "file" };
                w.create_element("source")
                    .with_attribute((source, disk.path.as_str()))
                    .write_empty()?;
            }
            w.create_element("target")
                .with_attributes([("dev", dev), ("bus", disk.bus.as_str())])
                .write_empty()?;
            if let Some(serial) = &disk.serial {
                text(w, "serial", serial)?;
            }
            if disk.shareable {
                w.create_element("shareable").write_empty()?;
            }
            if disk.readonly {
                w.create_element("readonly").write_empty()?;
            }
            if let Some(order) = disk.boot_order {
                w.create_element("boot")
                    .with_attribute(("order", order.to_string().as_str()))
                    .write_empty()?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_devices(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    let mut used: Vec<String> = spec.disks.iter().filter_map(|d| d.target.clone()).collect();
    for disk in &spec.disks {
        let dev = match &disk.target {
            Some(t) => t.clone(),
            None => target_dev(&disk.bus, &mut used),
        };
        write_disk(w, disk, &dev)?;
    }
    let cdrom_bus = spec.cdrom_bus();
    for iso in &spec.cdroms {
        let mut cdrom = XmlDisk::file(iso, "raw", cdrom_bus);
        cdrom.device = "cdrom".into();
        cdrom.readonly = true;
        let dev = target_dev(cdrom_bus, &mut used);
        write_disk(w, &cdrom, &dev)?;
    }
    for nic in spec.nics {
        write_nic(w, nic)?;
    }
    write_consoles_and_display(w, spec)
}

/// The serial console (pty), the graphics and video when asked for, and the balloon model.
fn write_consoles_and_display(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    // --serial and --console replace the default pty serial console.
    let own_console = spec
        .extra_devices
        .iter()
        .any(|e| e.name == "serial" || e.name == "console");
    if !own_console {
        write_serial_console(w)?;
    }
    write_display(w, spec)
}

fn write_serial_console(w: &mut Writer<Vec<u8>>) -> io::Result<()> {
    w.create_element("serial")
        .with_attribute(("type", "pty"))
        .write_inner_content(|w| {
            w.create_element("target")
                .with_attribute(("port", "0"))
                .write_empty()?;
            Ok(())
        })?;
    w.create_element("console")
        .with_attribute(("type", "pty"))
        .write_inner_content(|w| {
            w.create_element("target")
                .with_attributes([("type", "serial"), ("port", "0")])
                .write_empty()?;
            Ok(())
        })?;
    Ok(())
}

fn write_display(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    // The graphics devices themselves come from the option table (extra_devices); a screen
    // needs a video card unless --video gives one.
    let video_given = spec.extra_devices.iter().any(|e| e.name == "video");
    if spec.graphics != GraphicsKind::None && !video_given {
        w.create_element("video").write_inner_content(|w| {
            w.create_element("model")
                .with_attribute(("type", "vga"))
                .write_empty()?;
            Ok(())
        })?;
    }
    if let Some(model) = &spec.memballoon {
        w.create_element("memballoon")
            .with_attribute(("model", model.as_str()))
            .write_empty()?;
    }
    for e in &spec.extra_devices {
        e.write(w)?;
    }
    Ok(())
}

fn write_nic(w: &mut Writer<Vec<u8>>, nic: &Nic) -> io::Result<()> {
    let (kind, attr, source) = nic.source.parts();
    w.create_element("interface")
        .with_attribute(("type", kind))
        .write_inner_content(|w| {
            let mut e = w.create_element("source").with_attribute((attr, source));
            if let NicSource::Direct { mode, .. } = &nic.source {
                e = e.with_attribute(("mode", mode.as_str()));
            }
            e.write_empty()?;
            if let Some(mac) = &nic.mac {
                w.create_element("mac")
                    .with_attribute(("address", mac.as_str()))
                    .write_empty()?;
            }
            w.create_element("model")
                .with_attribute(("type", nic.model.as_str()))
                .write_empty()?;
            Ok(())
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::domain::domain_facts;

    fn spec<'a>(nics: &'a [Nic]) -> DomainSpec<'a> {
        DomainSpec {
            name: "VM1 <&'\">",
            virt_type: "qemu",
            memory_mib: 256,
            vcpus: VcpuSpec {
                count: 2,
                max: None,
                topology: None,
            },
            cpuset: None,
            cpu: None,
            cpu_features: Vec::new(),
            boot_order: Vec::new(),
            uefi: false,
            machine_type: None,
            memballoon: None,
            smbios_serial: None,
            seed: None,
            os_id: None,
            boot: OsBoot::Kernel {
                kernel: "/var/lib/libvirt/boot/k".into(),
                initrd: Some("/var/lib/libvirt/boot/i".into()),
                cmdline: Some("console=ttyS0,115200n8 serial".into()),
            },
            disks: vec![XmlDisk::file("/data/vm1.img", "raw", "virtio")],
            cdroms: Vec::new(),
            nics,
            graphics: GraphicsKind::None,
            extra_devices: Vec::new(),
            extra_top: Vec::new(),
        }
    }

    /// virt-install's naming: after the last name of the prefix in use, else the first free one.
    #[test]
    fn target_names_follow_virt_install() {
        let mut used = vec!["sdc".to_string(), "hda".to_string()];
        assert_eq!(target_dev("scsi", &mut used), "sdd");
        assert_eq!(target_dev("virtio", &mut used), "vda");
        assert_eq!(target_dev("fdc", &mut used), "fda");
        let mut used = vec!["vdz".to_string()];
        assert_eq!(target_dev("virtio", &mut used), "vda");
    }

    #[test]
    fn built_xml_escapes_and_reads_back() {
        let nics = [Nic {
            source: NicSource::Network("default".into()),
            model: "virtio".into(),
            mac: Some("52:54:00:00:00:01".into()),
        }];
        let xml = domain_xml(&spec(&nics));
        assert!(
            xml.contains("<name>VM1 &lt;&amp;&apos;&quot;&gt;</name>"),
            "{xml}"
        );
        assert!(xml.contains("<acpi/>"));
        assert!(xml.contains("<target dev=\"vda\" bus=\"virtio\"/>"));
        let facts = domain_facts(&xml).unwrap();
        assert_eq!(facts.disk_files, vec!["/data/vm1.img"]);
        assert!(facts.has_serial);
        assert_eq!(facts.kernel.as_deref(), Some("/var/lib/libvirt/boot/k"));
        assert_eq!(facts.interfaces[0].source, "default");
        assert_eq!(facts.interfaces[0].mac, "52:54:00:00:00:01");
        assert_eq!(facts.interfaces[0].model.as_deref(), Some("virtio"));
    }

    #[test]
    fn cdrom_boot_with_vnc_and_a_bridge() {
        let nics = [Nic {
            source: NicSource::Bridge("br0".into()),
            model: "e1000".into(),
            mac: None,
        }];
        let mut s = spec(&nics);
        s.boot = OsBoot::Cdrom;
        s.cdroms = vec!["/isos/a.iso".into()];
        s.graphics = GraphicsKind::Vnc;
        let xml = domain_xml(&s);
        assert!(
            xml.contains("<boot dev=\"cdrom\"/>") && xml.contains("<readonly/>"),
            "{xml}"
        );
        assert!(xml.contains("<target dev=\"hda\" bus=\"ide\"/>"), "{xml}");
        assert!(xml.contains("<model type=\"vga\"/>"), "{xml}");
        assert!(xml.contains("<source bridge=\"br0\"/>"), "{xml}");
        assert!(!xml.contains("<kernel>"));
    }

    /// The breadth flags: topology, cpuset, CPU model, UEFI on q35 (SATA CD-ROMs), boot order,
    /// driver attributes, memballoon, the cloud-init seed's SMBIOS serial and metadata.
    #[test]
    fn breadth_flags_in_the_xml_and_the_seed_read_back() {
        let mut s = spec(&[]);
        s.vcpus = VcpuSpec {
            count: 2,
            max: Some(4),
            topology: Some((1, 2, 2)),
        };
        s.cpuset = Some("0-1,^3".into());
        s.cpu = Some(CpuMode::Model("qemu64".into()));
        s.uefi = true;
        s.boot = OsBoot::Hd;
        s.boot_order = vec!["network".into(), "hd".into()];
        s.disks[0].driver = vec![
            ("cache".into(), "none".into()),
            ("discard".into(), "unmap".into()),
        ];
        s.cdroms = vec!["/p/VM1-cidata.iso".into()];
        s.memballoon = Some("none".into());
        s.smbios_serial = Some("ds=nocloud".into());
        s.seed = Some("/p/VM1-cidata.iso".into());
        s.os_id = Some("http://debian.org/debian/11".into());
        let xml = domain_xml(&s);
        for want in [
            "<vcpu placement=\"static\" cpuset=\"0-1,^3\" current=\"2\">4</vcpu>",
            "<cpu mode=\"custom\" match=\"exact\">",
            "<model fallback=\"allow\">qemu64</model>",
            "<topology sockets=\"1\" dies=\"1\" cores=\"2\" threads=\"2\"/>",
            "<os firmware=\"efi\">",
            "<type arch=\"x86_64\" machine=\"q35\">hvm</type>",
            "<boot dev=\"network\"/>\n    <boot dev=\"hd\"/>\n    <smbios mode=\"sysinfo\"/>",
            "<driver name=\"qemu\" type=\"raw\" cache=\"none\" discard=\"unmap\"/>",
            "<target dev=\"sda\" bus=\"sata\"/>",
            "<memballoon model=\"none\"/>",
            "<entry name=\"serial\">ds=nocloud</entry>",
            "<libosinfo:os id=\"http://debian.org/debian/11\"/>",
        ] {
            assert!(xml.contains(want), "{want} not in {xml}");
        }
        let facts = domain_facts(&xml).unwrap();
        assert_eq!(facts.seed.as_deref(), Some("/p/VM1-cidata.iso"));
        assert_eq!(facts.disk_files, vec!["/p/VM1-cidata.iso", "/data/vm1.img"]);
        // libvirt writes the metadata back with its own prefix: read by local name.
        let live = "<domain><metadata><v:install xmlns:v='urn:vnet:install:1'>\
            <v:cloud-init-seed>/x/s.iso</v:cloud-init-seed></v:install></metadata></domain>";
        assert_eq!(domain_facts(live).unwrap().disk_files, vec!["/x/s.iso"]);
    }
}
