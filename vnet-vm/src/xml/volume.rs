//! The storage volume XML model: the one builder of every volume vnet-vm creates (disks, overlays,
//! uploaded kernels and ISOs, the cloud-init seed), and what it reads back from a volume's XML.

use quick_xml::events::BytesText;
use quick_xml::Writer;
use vnet_common::libvirt::xml;

/// A backing file for a new volume: its path and format (`<backingStore>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backing {
    pub path: String,
    pub format: String,
}

/// A volume to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVolume<'a> {
    pub name: &'a str,
    /// Capacity in bytes.
    pub bytes: u64,
    pub format: &'a str,
    /// `<allocation>` in bytes: 0 for a sparse disk (virt-install's default); None leaves it out,
    /// and libvirt then allocates the whole capacity (virsh vol-create-as without --allocation,
    /// an upload target).
    pub allocation: Option<u64>,
    pub backing: Option<&'a Backing>,
}

impl<'a> NewVolume<'a> {
    /// A raw volume of `bytes` to upload into (a kernel, an initrd, an ISO, a cloud-init seed).
    pub fn upload(name: &'a str, bytes: u64) -> NewVolume<'a> {
        NewVolume {
            name,
            bytes,
            format: "raw",
            allocation: None,
            backing: None,
        }
    }

    /// A sparse disk of `format`, on `backing` when given.
    pub fn disk(name: &'a str, bytes: u64, format: &'a str, backing: Option<&'a Backing>) -> NewVolume<'a> {
        NewVolume {
            name,
            bytes,
            format,
            allocation: Some(0),
            backing,
        }
    }

    /// The volume's definition (quick-xml escapes the name and paths).
    pub fn xml(&self) -> String {
        let mut w = Writer::new(Vec::new());
        w.create_element("volume")
            .write_inner_content(|w| {
                w.create_element("name")
                    .write_text_content(BytesText::new(self.name))?;
                w.create_element("capacity")
                    .with_attribute(("unit", "bytes"))
                    .write_text_content(BytesText::new(&self.bytes.to_string()))?;
                if let Some(bytes) = self.allocation {
                    w.create_element("allocation")
                        .with_attribute(("unit", "bytes"))
                        .write_text_content(BytesText::new(&bytes.to_string()))?;
                }
                w.create_element("target").write_inner_content(|w| {
                    w.create_element("format")
                        .with_attribute(("type", self.format))
                        .write_empty()?;
                    Ok(())
                })?;
                if let Some(backing) = self.backing {
                    w.create_element("backingStore").write_inner_content(|w| {
                        w.create_element("path")
                            .write_text_content(BytesText::new(&backing.path))?;
                        w.create_element("format")
                            .with_attribute(("type", backing.format.as_str()))
                            .write_empty()?;
                        Ok(())
                    })?;
                }
                Ok(())
            })
            .expect("writing XML to a Vec");
        String::from_utf8(w.into_inner()).expect("UTF-8")
    }
}

/// What vnet-vm reads from a volume's XML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeXml {
    /// `<target><format type=...>`.
    pub format: Option<String>,
    /// `<backingStore><path>`.
    pub backing: Option<String>,
    /// `<backingStore><format type=...>`.
    pub backing_format: Option<String>,
}

impl VolumeXml {
    /// Reads a volume document libvirt gave us; what is not there (or not XML) is None.
    pub fn read(xml: &str) -> VolumeXml {
        let Ok(vol) = xml::parse(xml) else {
            return VolumeXml::default();
        };
        let format = |path: &[&str]| vol.at(path).and_then(|f| f.attr_string("type"));
        VolumeXml {
            format: format(&["target", "format"]),
            backing: vol.text_at(&["backingStore", "path"]),
            backing_format: format(&["backingStore", "format"]),
        }
    }
}

/// The name of the volume a definition a user wrote (vol-create FILE, vol-create-from) makes: one
/// well-formed `<volume>` document with a `<name>`; anything else is exit 7, before libvirt is
/// asked.
pub fn file_volume_name(text: &str) -> vnet_common::Result<String> {
    let vol = crate::xml::pool::read_root(text, "volume")?;
    match vol.text_at(&["name"]).map(|n| n.trim().to_string()) {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(vnet_common::Error::invalid(
            "malformed volume XML: <volume> has no <name>",
        )),
    }
}

/// The document virsh vol-create-as builds (and prints with --print-xml): name, capacity and
/// allocation in bytes without units, `<target><format/></target>` only for a given format, a
/// `<backingStore>` path with its format only when given. Indented as virsh's, ending in a
/// newline.
pub fn virsh_vol_create_as(
    name: &str,
    capacity: u64,
    allocation: Option<u64>,
    format: Option<&str>,
    backing: Option<(&str, Option<&str>)>,
) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.create_element("volume")
        .write_inner_content(|w| {
            w.create_element("name")
                .write_text_content(BytesText::new(name))?;
            w.create_element("capacity")
                .write_text_content(BytesText::new(&capacity.to_string()))?;
            if let Some(bytes) = allocation {
                w.create_element("allocation")
                    .write_text_content(BytesText::new(&bytes.to_string()))?;
            }
            if let Some(format) = format {
                w.create_element("target").write_inner_content(|w| {
                    w.create_element("format")
                        .with_attribute(("type", format))
                        .write_empty()?;
                    Ok(())
                })?;
            }
            if let Some((path, format)) = backing {
                w.create_element("backingStore").write_inner_content(|w| {
                    w.create_element("path")
                        .write_text_content(BytesText::new(path))?;
                    if let Some(format) = format {
                        w.create_element("format")
                            .with_attribute(("type", format))
                            .write_empty()?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })
        .expect("writing to a Vec cannot fail");
    String::from_utf8(w.into_inner()).expect("quick-xml writes UTF-8") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_as_libvirt_is_given_them() {
        assert_eq!(
            NewVolume::upload("k<", 9).xml(),
            "<volume><name>k&lt;</name><capacity unit=\"bytes\">9</capacity>\
             <target><format type=\"raw\"/></target></volume>"
        );
        assert!(NewVolume::disk("v.img", 1024, "qcow2", None)
            .xml()
            .contains("<capacity unit=\"bytes\">1024</capacity><allocation unit=\"bytes\">0</allocation>"));
        let backing = Backing {
            path: "/i/b&.img".into(),
            format: "raw".into(),
        };
        assert!(NewVolume::disk("o", 1, "qcow2", Some(&backing)).xml().ends_with(
            "<target><format type=\"qcow2\"/></target><backingStore><path>/i/b&amp;.img</path>\
             <format type=\"raw\"/></backingStore></volume>"
        ));
    }

    #[test]
    fn a_volume_file_must_be_one_named_volume() {
        assert_eq!(
            file_volume_name("<volume><name> v1 </name></volume>").unwrap(),
            "v1"
        );
        for bad in [
            "<volume>",
            "<pool/>",
            "<volume/>",
            "<volume><name/></volume>",
            "x",
        ] {
            let e = file_volume_name(bad).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{bad}");
            assert!(e.message.contains("volume XML"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn volume_xml_reads_back() {
        let vol = "<volume type='file'><name>o</name><target><path>/i/o</path><format type='qcow2'/>\
                   </target><backingStore><path>/i/b</path><format type='raw'/></backingStore></volume>";
        let read = VolumeXml::read(vol);
        assert_eq!(read.format.as_deref(), Some("qcow2"));
        assert_eq!(read.backing.as_deref(), Some("/i/b"));
        assert_eq!(read.backing_format.as_deref(), Some("raw"));
        assert_eq!(
            VolumeXml::read("<volume><name>x</name></volume>"),
            VolumeXml::default()
        );
    }
}
