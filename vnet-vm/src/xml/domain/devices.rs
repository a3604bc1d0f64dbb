//! The device documents attach-interface and attach-disk give libvirt (quick-xml's writer escapes
//! every value), and the disks read back from a domain's XML (what detach and its undo need).

use quick_xml::Writer;
use vnet_common::Result;

/// An interface's device XML: `<interface type=T><source T=S/><mac/><model/></interface>`.
pub fn interface_xml(kind: &str, source: Option<&str>, mac: Option<&str>, model: Option<&str>) -> String {
    interface_xml_with(kind, source, mac, model, &IfaceExtras::default())
}

/// attach-interface's further elements: the host-side name, a user alias, a script, bandwidth.
#[derive(Debug, Clone, Default)]
pub struct IfaceExtras {
    pub target: Option<String>,
    pub alias: Option<String>,
    pub script: Option<String>,
    /// (average, peak, burst, floor) in KiB/s and KiB; 0 leaves an attribute out.
    pub inbound: Option<[u64; 4]>,
    pub outbound: Option<[u64; 4]>,
}

/// [`interface_xml`] with [`IfaceExtras`].
pub fn interface_xml_with(
    kind: &str,
    source: Option<&str>,
    mac: Option<&str>,
    model: Option<&str>,
    extras: &IfaceExtras,
) -> String {
    let mut w = Writer::new(Vec::new());
    w.create_element("interface")
        .with_attribute(("type", kind))
        .write_inner_content(|w| {
            if let Some(source) = source {
                w.create_element("source")
                    .with_attribute((kind, source))
                    .write_empty()?;
            }
            if let Some(mac) = mac {
                w.create_element("mac")
                    .with_attribute(("address", mac))
                    .write_empty()?;
            }
            if let Some(model) = model {
                w.create_element("model")
                    .with_attribute(("type", model))
                    .write_empty()?;
            }
            let named = [
                ("target", "dev", &extras.target),
                ("alias", "name", &extras.alias),
                ("script", "path", &extras.script),
            ];
            for (element, key, value) in named {
                if let Some(value) = value {
                    w.create_element(element)
                        .with_attribute((key, value.as_str()))
                        .write_empty()?;
                }
            }
            if extras.inbound.is_some() || extras.outbound.is_some() {
                w.create_element("bandwidth").write_inner_content(|w| {
                    for (element, rate) in [("inbound", extras.inbound), ("outbound", extras.outbound)] {
                        let Some(rate) = rate else { continue };
                        let keys = ["average", "peak", "burst", "floor"];
                        let values: Vec<(&str, String)> = keys
                            .iter()
                            .zip(rate)
                            .filter(|(_, v)| *v > 0)
                            .map(|(k, v)| (*k, v.to_string()))
                            .collect();
                        let attrs = values.iter().map(|(k, v)| (*k, v.as_str()));
                        w.create_element(element).with_attributes(attrs).write_empty()?;
                    }
                    Ok::<_, std::io::Error>(())
                })?;
            }
            Ok::<_, std::io::Error>(())
        })
        .expect("writing XML to a Vec cannot fail");
    String::from_utf8(w.into_inner()).expect("the writer emits UTF-8")
}

/// A disk as the domain XML describes it (what detach and its undo need).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmlDiskDevice {
    /// file or block.
    pub kind: String,
    /// disk or cdrom.
    pub device: String,
    pub driver: Option<String>,
    pub subdriver: Option<String>,
    /// The driver's cache mode (none, writeback, ...).
    pub cache: Option<String>,
    pub source: Option<String>,
    pub target: String,
    pub bus: Option<String>,
    pub readonly: bool,
    /// The driver's I/O mode (native, threads, io_uring).
    pub io: Option<String>,
    /// The IOThread serving the disk.
    pub iothread: Option<String>,
    /// The serial number the guest sees.
    pub serial: Option<String>,
    /// The World Wide Name the guest sees.
    pub wwn: Option<String>,
    /// Shared between domains (<shareable/>).
    pub shareable: bool,
    /// A user alias (ua-...).
    pub alias: Option<String>,
}

/// The `<disk>` devices of a domain XML.
pub fn disks(xml: &str) -> Result<Vec<XmlDiskDevice>> {
    let domain = super::read::parse(xml)?;
    let disks = domain.all(&["devices", "disk"]).into_iter().map(|disk| {
        let driver = disk.child("driver");
        let source = disk.child("source");
        let target = disk.child("target");
        XmlDiskDevice {
            kind: disk.attr_string("type").unwrap_or_else(|| "file".into()),
            device: disk.attr_string("device").unwrap_or_else(|| "disk".into()),
            driver: driver.and_then(|d| d.attr_string("name")),
            subdriver: driver.and_then(|d| d.attr_string("type")),
            cache: driver.and_then(|d| d.attr_string("cache")),
            source: source.and_then(|s| s.attr_string("file").or_else(|| s.attr_string("dev"))),
            target: target.and_then(|t| t.attr_string("dev")).unwrap_or_default(),
            bus: target.and_then(|t| t.attr_string("bus")),
            readonly: disk.child("readonly").is_some(),
            io: driver.and_then(|d| d.attr_string("io")),
            iothread: driver.and_then(|d| d.attr_string("iothread")),
            serial: disk.text_at(&["serial"]),
            wwn: disk.text_at(&["wwn"]),
            shareable: disk.child("shareable").is_some(),
            alias: disk.child("alias").and_then(|a| a.attr_string("name")),
        }
    });
    Ok(disks.collect())
}

/// A disk's device XML, as virsh attach-disk writes it: device= only when not a disk, the
/// driver's name only when given (libvirt's defaults fill both in).
pub fn disk_xml(disk: &XmlDiskDevice) -> String {
    let mut w = Writer::new(Vec::new());
    let mut element = w
        .create_element("disk")
        .with_attribute(("type", disk.kind.as_str()));
    if disk.device != "disk" {
        element = element.with_attribute(("device", disk.device.as_str()));
    }
    element
        .write_inner_content(|w| {
            let driver_attrs = [
                ("type", &disk.subdriver),
                ("cache", &disk.cache),
                ("io", &disk.io),
                ("iothread", &disk.iothread),
            ];
            if disk.driver.is_some() || driver_attrs.iter().any(|(_, v)| v.is_some()) {
                let mut driver = w.create_element("driver");
                if let Some(name) = &disk.driver {
                    driver = driver.with_attribute(("name", name.as_str()));
                }
                for (key, value) in driver_attrs {
                    if let Some(value) = value {
                        driver = driver.with_attribute((key, value.as_str()));
                    }
                }
                driver.write_empty()?;
            }
            if let Some(source) = &disk.source {
                let key = if disk.kind == "block" { "dev" } else { "file" };
                w.create_element("source")
                    .with_attribute((key, source.as_str()))
                    .write_empty()?;
            }
            let mut target = w
                .create_element("target")
                .with_attribute(("dev", disk.target.as_str()));
            if let Some(bus) = &disk.bus {
                target = target.with_attribute(("bus", bus.as_str()));
            }
            target.write_empty()?;
            if disk.readonly {
                w.create_element("readonly").write_empty()?;
            }
            if disk.shareable {
                w.create_element("shareable").write_empty()?;
            }
            for (element, value) in [("serial", &disk.serial), ("wwn", &disk.wwn)] {
                if let Some(value) = value {
                    w.create_element(element)
                        .write_text_content(quick_xml::events::BytesText::new(value))?;
                }
            }
            if let Some(alias) = &disk.alias {
                w.create_element("alias")
                    .with_attribute(("name", alias.as_str()))
                    .write_empty()?;
            }
            Ok::<_, std::io::Error>(())
        })
        .expect("writing XML to a Vec cannot fail");
    String::from_utf8(w.into_inner()).expect("the writer emits UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_xml_is_escaped() {
        assert_eq!(
            interface_xml("network", Some("a'<b"), Some("52:54:00:00:00:01"), Some("virtio")),
            "<interface type=\"network\"><source network=\"a&apos;&lt;b\"/>\
             <mac address=\"52:54:00:00:00:01\"/><model type=\"virtio\"/></interface>"
        );
        assert_eq!(
            interface_xml("bridge", None, Some("52:54:00:00:00:02"), None),
            "<interface type=\"bridge\"><mac address=\"52:54:00:00:00:02\"/></interface>"
        );
    }

    #[test]
    fn disks_read_back_and_rebuild() {
        let xml = "<domain><devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
            <source file='/i/a.qcow2'/><target dev='vda' bus='virtio'/></disk>\
            <disk type='file' device='cdrom'><source file='/i/x.iso'/><target dev='hdc' bus='ide'/>\
            <readonly/></disk><interface type='network'><target dev='vnet0'/></interface></devices></domain>";
        let found = disks(xml).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].subdriver.as_deref(), Some("qcow2"));
        assert_eq!(found[1].target, "hdc");
        assert!(found[1].readonly);
        let rebuilt = disk_xml(&found[0]);
        assert_eq!(
            disks(&format!("<domain><devices>{rebuilt}</devices></domain>")).unwrap()[0],
            found[0]
        );
    }
}
