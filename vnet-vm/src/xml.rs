//! Domain XML: built with quick-xml's writer (names and paths are escaped by the writer, never
//! formatted into strings), and the few facts read back from libvirt's XML with quick-xml's reader.

use crate::spec::{GraphicsKind, Nic, NicSource};
use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};
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
}

#[derive(Debug, Clone, PartialEq)]
pub struct XmlDisk {
    pub path: String,
    pub format: String,
    pub bus: String,
}

#[derive(Debug, Clone)]
pub struct DomainSpec<'a> {
    pub name: &'a str,
    pub virt_type: &'a str,
    pub memory_mib: u64,
    pub vcpus: u32,
    pub boot: OsBoot,
    pub disks: Vec<XmlDisk>,
    pub cdrom: Option<String>,
    pub nics: &'a [Nic],
    pub graphics: GraphicsKind,
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
            let mem = spec.memory_mib.to_string();
            w.create_element("memory")
                .with_attribute(("unit", "MiB"))
                .write_text_content(BytesText::new(&mem))?;
            w.create_element("currentMemory")
                .with_attribute(("unit", "MiB"))
                .write_text_content(BytesText::new(&mem))?;
            text(w, "vcpu", &spec.vcpus.to_string())?;
            write_os(w, &spec.boot)?;
            // ACPI is needed for shutdown, and libvirt 9 without it passes -no-acpi, which QEMU 10 refuses.
            w.create_element("features").write_inner_content(|w| {
                w.create_element("acpi").write_empty()?;
                w.create_element("apic").write_empty()?;
                Ok(())
            })?;
            if spec.virt_type == "kvm" {
                w.create_element("cpu")
                    .with_attribute(("mode", "host-passthrough"))
                    .write_empty()?;
            }
            w.create_element("clock")
                .with_attribute(("offset", "utc"))
                .write_empty()?;
            text(w, "on_poweroff", "destroy")?;
            text(w, "on_reboot", "restart")?;
            text(w, "on_crash", "destroy")?;
            w.create_element("devices")
                .write_inner_content(|w| write_devices(w, spec))?;
            Ok(())
        })?;
    Ok(())
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(value))?;
    Ok(())
}

fn write_os(w: &mut Writer<Vec<u8>>, boot: &OsBoot) -> io::Result<()> {
    w.create_element("os").write_inner_content(|w| {
        w.create_element("type")
            .with_attribute(("arch", "x86_64"))
            .write_text_content(BytesText::new("hvm"))?;
        match boot {
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
            }
            OsBoot::Cdrom => {
                w.create_element("boot")
                    .with_attribute(("dev", "cdrom"))
                    .write_empty()?;
                w.create_element("boot")
                    .with_attribute(("dev", "hd"))
                    .write_empty()?;
            }
            OsBoot::Hd => {
                w.create_element("boot")
                    .with_attribute(("dev", "hd"))
                    .write_empty()?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// Target device names by bus: vda.. for virtio, sda.. for sata/scsi, hda.. for ide.
fn target_dev(bus: &str, used: &mut Vec<String>) -> String {
    let prefix = match bus {
        "virtio" => "vd",
        "ide" => "hd",
        _ => "sd",
    };
    let dev = (b'a'..=b'z')
        .map(|c| format!("{prefix}{}", c as char))
        .find(|d| !used.contains(d))
        .unwrap_or_else(|| format!("{prefix}z"));
    used.push(dev.clone());
    dev
}

fn write_devices(w: &mut Writer<Vec<u8>>, spec: &DomainSpec) -> io::Result<()> {
    let mut used = Vec::new();
    for disk in &spec.disks {
        let dev = target_dev(&disk.bus, &mut used);
        w.create_element("disk")
            .with_attributes([("type", "file"), ("device", "disk")])
            .write_inner_content(|w| {
                w.create_element("driver")
                    .with_attributes([("name", "qemu"), ("type", disk.format.as_str())])
                    .write_empty()?;
                w.create_element("source")
                    .with_attribute(("file", disk.path.as_str()))
                    .write_empty()?;
                w.create_element("target")
                    .with_attributes([("dev", dev.as_str()), ("bus", disk.bus.as_str())])
                    .write_empty()?;
                Ok(())
            })?;
    }
    if let Some(iso) = &spec.cdrom {
        let dev = target_dev("ide", &mut used);
        w.create_element("disk")
            .with_attributes([("type", "file"), ("device", "cdrom")])
            .write_inner_content(|w| {
                w.create_element("driver")
                    .with_attributes([("name", "qemu"), ("type", "raw")])
                    .write_empty()?;
                w.create_element("source")
                    .with_attribute(("file", iso.as_str()))
                    .write_empty()?;
                w.create_element("target")
                    .with_attributes([("dev", dev.as_str()), ("bus", "ide")])
                    .write_empty()?;
                w.create_element("readonly").write_empty()?;
                Ok(())
            })?;
    }
    for nic in spec.nics {
        write_nic(w, nic)?;
    }
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
    if spec.graphics != GraphicsKind::None {
        let kind = if spec.graphics == GraphicsKind::Vnc {
            "vnc"
        } else {
            "spice"
        };
        w.create_element("graphics")
            .with_attributes([("type", kind), ("autoport", "yes")])
            .write_empty()?;
        w.create_element("video").write_inner_content(|w| {
            w.create_element("model")
                .with_attribute(("type", "vga"))
                .write_empty()?;
            Ok(())
        })?;
    }
    Ok(())
}

fn write_nic(w: &mut Writer<Vec<u8>>, nic: &Nic) -> io::Result<()> {
    let (kind, attr, source) = match &nic.source {
        NicSource::Network(n) => ("network", "network", n.as_str()),
        NicSource::Bridge(b) => ("bridge", "bridge", b.as_str()),
    };
    w.create_element("interface")
        .with_attribute(("type", kind))
        .write_inner_content(|w| {
            w.create_element("source")
                .with_attribute((attr, source))
                .write_empty()?;
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

/// An interface as libvirt's domain XML describes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct XmlInterface {
    pub kind: String,
    pub source: String,
    pub target: Option<String>,
    pub model: Option<String>,
    pub mac: String,
}

/// What vnet-vm reads back from a domain's XML.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DomainFacts {
    pub interfaces: Vec<XmlInterface>,
    /// Source files of `device='disk'` disks.
    pub disk_files: Vec<String>,
    pub has_serial: bool,
    pub kernel: Option<String>,
    pub initrd: Option<String>,
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// Reads interfaces, disks, serial devices and the direct-boot kernel from domain XML.
pub fn domain_facts(xml: &str) -> Result<DomainFacts, quick_xml::Error> {
    let mut reader = Reader::from_str(xml);
    let mut facts = DomainFacts::default();
    let mut stack: Vec<String> = Vec::new();
    let mut in_disk = false;
    loop {
        let event = reader.read_event()?;
        let (e, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::Text(t) => {
                let value = t.unescape().map(|v| v.into_owned()).unwrap_or_default();
                match stack.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                    ["domain", "os", "kernel"] => facts.kernel = Some(value),
                    ["domain", "os", "initrd"] => facts.initrd = Some(value),
                    _ => {}
                }
                continue;
            }
            Event::End(_) => {
                stack.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        let parent = stack.last().map(String::as_str);
        match (parent, name.as_str()) {
            (Some("devices"), "interface") => facts.interfaces.push(XmlInterface {
                kind: attr(e, "type").unwrap_or_default(),
                ..Default::default()
            }),
            (Some("devices"), "disk") => in_disk = attr(e, "device").as_deref() == Some("disk"),
            (Some("devices"), "serial" | "console") => facts.has_serial = true,
            (Some("interface"), _) => {
                if let Some(nic) = facts.interfaces.last_mut() {
                    match name.as_str() {
                        "mac" => nic.mac = attr(e, "address").unwrap_or_default(),
                        "source" => {
                            nic.source = ["network", "bridge", "dev", "path"]
                                .iter()
                                .find_map(|a| attr(e, a))
                                .unwrap_or_default()
                        }
                        "target" => nic.target = attr(e, "dev"),
                        "model" => nic.model = attr(e, "type"),
                        _ => {}
                    }
                }
            }
            (Some("disk"), "source") if in_disk => {
                if let Some(file) = attr(e, "file").or_else(|| attr(e, "dev")) {
                    facts.disk_files.push(file);
                }
            }
            _ => {}
        }
        if !empty {
            stack.push(name);
        }
    }
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec<'a>(nics: &'a [Nic]) -> DomainSpec<'a> {
        DomainSpec {
            name: "VM1 <&'\">",
            virt_type: "qemu",
            memory_mib: 256,
            vcpus: 2,
            boot: OsBoot::Kernel {
                kernel: "/var/lib/libvirt/boot/k".into(),
                initrd: Some("/var/lib/libvirt/boot/i".into()),
                cmdline: Some("console=ttyS0,115200n8 serial".into()),
            },
            disks: vec![XmlDisk {
                path: "/data/vm1.img".into(),
                format: "raw".into(),
                bus: "virtio".into(),
            }],
            cdrom: None,
            nics,
            graphics: GraphicsKind::None,
        }
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
        s.cdrom = Some("/isos/a.iso".into());
        s.graphics = GraphicsKind::Vnc;
        let xml = domain_xml(&s);
        assert!(
            xml.contains("<boot dev=\"cdrom\"/>") && xml.contains("<readonly/>"),
            "{xml}"
        );
        assert!(xml.contains("<target dev=\"hda\" bus=\"ide\"/>"), "{xml}");
        assert!(xml.contains("<graphics type=\"vnc\" autoport=\"yes\"/>"), "{xml}");
        assert!(xml.contains("<source bridge=\"br0\"/>"), "{xml}");
        assert!(!xml.contains("<kernel>"));
    }

    #[test]
    fn live_xml_interfaces() {
        let xml = "<domain type='qemu'><devices><interface type='bridge'><mac address='52:54:00:aa:bb:cc'/>\
            <source bridge='br0'/><target dev='vnet1'/><model type='e1000'/></interface>\
            <disk type='file' device='cdrom'><source file='/x.iso'/></disk></devices></domain>";
        let facts = domain_facts(xml).unwrap();
        assert_eq!(facts.interfaces[0].target.as_deref(), Some("vnet1"));
        assert_eq!(facts.interfaces[0].kind, "bridge");
        assert!(facts.disk_files.is_empty());
        assert!(!facts.has_serial);
    }
}
