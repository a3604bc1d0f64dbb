//! What vnet-vm reads from libvirt's domain documents (the facts, the display, the head of a file
//! to define, the capabilities), each read in one place from the shared walker's tree.

use vnet_common::libvirt::xml::{self, Element, ParseError, XmlError};
use vnet_common::{Error, Result};

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
    /// Source files of `device='disk'` disks, and the cloud-init seed volume install made
    /// (what undefine --remove-all-storage removes).
    pub disk_files: Vec<String>,
    /// Source files of `device='cdrom'` disks (an ISO install uploaded to a remote host is one).
    pub cdrom_files: Vec<String>,
    /// The cloud-init seed volume install made (vnet's metadata).
    pub seed: Option<String>,
    pub has_serial: bool,
    pub kernel: Option<String>,
    pub initrd: Option<String>,
}

/// Parses a domain document libvirt gave us ("domain XML: ..." when it is not XML, exit 1).
pub fn parse(xml: &str) -> Result<Element> {
    xml::parse(xml).map_err(|e| Error::failed(format!("domain XML: {e}")))
}

/// Reads interfaces, disks, serial devices and the direct-boot kernel from domain XML.
pub fn domain_facts(xml: &str) -> std::result::Result<DomainFacts, ParseError> {
    let domain = xml::parse(xml)?;
    let text = |path: &[&str]| domain.at(path).map(|e| e.text.clone()).filter(|t| !t.is_empty());
    let seed = text(&["metadata", "install", "cloud-init-seed"]);
    let mut facts = DomainFacts {
        interfaces: domain
            .all(&["devices", "interface"])
            .into_iter()
            .map(interface)
            .collect(),
        disk_files: seed.iter().cloned().collect(),
        seed,
        has_serial: domain.at(&["devices", "serial"]).is_some()
            || domain.at(&["devices", "console"]).is_some(),
        kernel: text(&["os", "kernel"]),
        initrd: text(&["os", "initrd"]),
        ..Default::default()
    };
    for disk in domain.all(&["devices", "disk"]) {
        for source in disk.children_named("source") {
            match disk.attr("device") {
                Some("disk") => facts
                    .disk_files
                    .extend(source.attr_string("file").or_else(|| source.attr_string("dev"))),
                Some("cdrom") => facts.cdrom_files.extend(source.attr_string("file")),
                _ => {}
            }
        }
    }
    Ok(facts)
}

fn interface(nic: &Element) -> XmlInterface {
    let child_attr = |child: &str, name: &str| nic.child(child).and_then(|c| c.attr_string(name));
    XmlInterface {
        kind: nic.attr_string("type").unwrap_or_default(),
        source: nic
            .child("source")
            .and_then(|s| {
                ["network", "bridge", "dev", "path"]
                    .iter()
                    .find_map(|a| s.attr_string(a))
            })
            .unwrap_or_default(),
        target: child_attr("target", "dev"),
        model: child_attr("model", "type"),
        mac: child_attr("mac", "address").unwrap_or_default(),
    }
}

/// What a domain XML file says, read before libvirt sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlHead {
    pub name: String,
    pub uuid: Option<String>,
}

/// Checks that `xml` is one well-formed `<domain>` document with a non-empty `<name>`; returns its
/// name and UUID. Anything else is exit 7, before libvirt is asked.
pub fn read_head(xml: &str) -> Result<XmlHead> {
    let bad = |why: String| Error::invalid(format!("malformed domain XML: {why}"));
    let not_domain = |root: &str| {
        bad(format!(
            "the root element is <{}>, not <domain>",
            vnet_common::error::one_line(root)
        ))
    };
    let domain = match xml::parse(xml) {
        Ok(domain) => domain,
        Err(ParseError { root: Some(root), .. }) if root != "domain" => return Err(not_domain(&root)),
        Err(e) => {
            return Err(bad(match e.error {
                XmlError::NoRoot => "no <domain> element".into(),
                XmlError::TextOutside => "text outside the <domain> element".into(),
                other => other.to_string(),
            }))
        }
    };
    if domain.name != "domain" {
        return Err(not_domain(&domain.name));
    }
    match domain.text_at(&["name"]) {
        Some(name) if !name.is_empty() => Ok(XmlHead {
            name,
            uuid: domain.text_at(&["uuid"]),
        }),
        _ => Err(bad("<domain> has no <name>".into())),
    }
}

/// One `<graphics>` device of the live XML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graphics {
    pub kind: String,
    pub port: Option<i64>,
    pub tls_port: Option<i64>,
    pub listen: Option<String>,
}

/// The graphics devices, the tty of the first `<console>`, and whether there is one, of a
/// domain XML.
pub fn display(xml: &str) -> Result<(Vec<Graphics>, Option<String>, bool)> {
    let domain = parse(xml)?;
    let graphics = domain
        .all(&["devices", "graphics"])
        .into_iter()
        .map(|g| Graphics {
            kind: g.attr_string("type").unwrap_or_default(),
            port: g.attr("port").and_then(|p| p.parse().ok()),
            tls_port: g.attr("tlsPort").and_then(|p| p.parse().ok()),
            listen: g
                .attr_string("listen")
                .or_else(|| g.children_named("listen").find_map(|l| l.attr_string("address"))),
        })
        .collect();
    let console = domain.at(&["devices", "console"]);
    Ok((
        graphics,
        console.and_then(|c| c.attr_string("tty")),
        console.is_some(),
    ))
}

/// What install needs from libvirt's domain capabilities (`virsh domcapabilities`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DomainCaps {
    /// The firmware kinds libvirt can autoselect (`efi` once OVMF and its descriptors are installed).
    pub firmware: Vec<String>,
    /// The CPU modes libvirt supports for this hypervisor (host-passthrough, host-model, custom, ...).
    pub cpu_modes: Vec<String>,
    /// Named CPU models and whether this hypervisor can run them as they are.
    pub cpu_models: Vec<(String, bool)>,
    /// The graphics types the hypervisor offers (vnc, spice, ...): virt-install's default
    /// display is spice where offered, else vnc.
    pub graphics: Vec<String>,
}

/// Reads [`DomainCaps`] from `virsh domcapabilities` XML.
pub fn domain_caps(xml: &str) -> std::result::Result<DomainCaps, ParseError> {
    let caps = xml::parse(xml)?;
    let firmware = caps
        .all(&["os", "enum"])
        .into_iter()
        .filter(|e| e.attr("name") == Some("firmware"))
        .flat_map(|e| e.children_named("value").map(|v| v.text.clone()))
        .collect();
    let supported: Vec<&Element> = caps
        .all(&["cpu", "mode"])
        .into_iter()
        .filter(|m| m.attr("supported") == Some("yes"))
        .collect();
    let cpu_models = supported
        .iter()
        .filter(|m| m.attr("name") == Some("custom"))
        .flat_map(|m| m.children_named("model"))
        .map(|m| (m.text.clone(), m.attr("usable") != Some("no")))
        .collect();
    let graphics = caps
        .all(&["devices", "graphics", "enum"])
        .into_iter()
        .filter(|e| e.attr("name") == Some("type"))
        .flat_map(|e| e.children_named("value").map(|v| v.text.clone()))
        .collect();
    Ok(DomainCaps {
        firmware,
        graphics,
        cpu_modes: supported.iter().filter_map(|m| m.attr_string("name")).collect(),
        cpu_models,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_capabilities() {
        let caps = "<domainCapabilities><os supported='yes'><enum name='firmware'><value>efi</value></enum>\
            <loader supported='yes'><value>/usr/share/OVMF/OVMF_CODE_4M.fd</value>\
            <enum name='type'><value>rom</value><value>pflash</value></enum></loader></os>\
            <cpu><mode name='host-passthrough' supported='no'/><mode name='host-model' supported='yes'>\
            <model fallback='forbid'>qemu64</model></mode><mode name='custom' supported='yes'>\
            <model usable='yes' vendor='unknown'>qemu64</model><model usable='no' vendor='Intel'>Skylake-Client</model>\
            </mode></cpu><devices><graphics supported='yes'><enum name='type'><value>vnc</value>\
            <value>spice</value></enum></graphics></devices></domainCapabilities>";
        let c = domain_caps(caps).unwrap();
        assert_eq!(c.firmware, ["efi"]);
        assert_eq!(c.graphics, ["vnc", "spice"]);
        assert_eq!(c.cpu_modes, ["host-model", "custom"]);
        assert_eq!(
            c.cpu_models,
            [
                ("qemu64".to_string(), true),
                ("Skylake-Client".to_string(), false)
            ]
        );
        let none = domain_caps(
            "<domainCapabilities><os supported='yes'><enum name='firmware'/></os></domainCapabilities>",
        );
        assert!(none.unwrap().firmware.is_empty());
    }

    #[test]
    fn live_xml_interfaces() {
        let xml = "<domain type='qemu'><devices><interface type='bridge'><mac address='52:54:00:aa:bb:cc'/>\
            <source bridge='br0'/><target dev='vnet1'/><model type='e1000'/></interface>\
            <disk type='file' device='cdrom'><source file='/x.iso'/></disk></devices></domain>";
        let facts = domain_facts(xml).unwrap();
        assert_eq!(facts.interfaces[0].target.as_deref(), Some("vnet1"));
        assert_eq!(facts.interfaces[0].kind, "bridge");
        assert_eq!(facts.interfaces[0].mac, "52:54:00:aa:bb:cc");
        assert_eq!(facts.cdrom_files, ["/x.iso"]);
        assert!(facts.disk_files.is_empty());
        assert!(!facts.has_serial);
    }

    #[test]
    fn domain_xml_heads() {
        let head = read_head(
            "<?xml version='1.0'?>\n<domain type='qemu'><name>a &amp; b</name>\
            <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid><os><type>hvm</type></os></domain>\n",
        )
        .unwrap();
        assert_eq!(head.name, "a & b");
        assert_eq!(head.uuid.as_deref(), Some("6695eb01-f6a4-8304-79aa-97f2502e193f"));
        for (bad, why) in [
            ("", "no <domain>"),
            ("<network><name>x</name></network>", "not <domain>"),
            ("<network><name>x</name>", "not <domain>"),
            ("<domain><name>x</name>", "not closed"),
            ("<domain><name>x</nam></domain>", "malformed"),
            ("<domain/>", "no <name>"),
            ("<domain><name> </name></domain>", "no <name>"),
            ("<domain><name>x</name></domain><domain/>", "more than one"),
            ("<domain><name>x</name></domain> junk", "text outside"),
            ("<domain><os><name>x</name></os></domain>", "no <name>"),
        ] {
            let e = read_head(bad).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{bad}");
            assert!(e.message.contains(why), "{bad}: {e:?}");
        }
    }
}
