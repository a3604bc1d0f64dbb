//! Tags on libvirt objects: `<metadata>` in the network XML (libvirt 9.0 keeps a network's
//! `<metadata>` in its definition and its live XML; it has no API to set it before 9.7, so the
//! element is put into the XML before it is defined), and domain metadata set through
//! virDomainSetMetadata. A domain also records, in a second metadata element, the storage its
//! install created (volumes, pools, copied boot files), so `prune` removes that and nothing else.

use crate::libvirt::document::{self, insert_into_child};
use crate::libvirt::metadata::{Metadata, TagXml};
use crate::tags::validate_label;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use virt::domain::Domain;
use virt::sys;

pub use crate::libvirt::metadata::{OWNED_NS, TAG_NS};

/// `<vnet:tag xmlns:vnet="TAG_NS">LABEL</vnet:tag>`, written by the XML writer.
pub fn tag_element(label: &str) -> String {
    let tag = TagXml {
        namespace: Some(TAG_NS),
        label,
    };
    document::write("vnet:tag", &tag, false)
}

/// The label of a `<metadata>`'s vnet tag element, when it has a valid one.
pub fn metadata_tag(metadata: &Metadata) -> Option<String> {
    let label = metadata.vnet_tag()?;
    validate_label(label).ok().map(|()| label.to_string())
}

/// What vnet reads of any libvirt object's document: its `<metadata>`.
#[derive(Deserialize)]
struct ObjectMetadata {
    metadata: Option<Metadata>,
}

/// The label of the vnet tag in the network definition `xml` (malformed XML has none).
pub fn network_xml_tag(xml: &str) -> Option<String> {
    let object: ObjectMetadata = document::read(xml, "network").ok()?;
    metadata_tag(&object.metadata?)
}

/// The network definition `xml` with the tag element in its `<metadata>` (added when there is
/// none). A definition that carries another vnet tag already is invalid input (exit 7); one that
/// carries this one is returned as it is. The tag is put into the text, so everything else the
/// definition says reaches libvirt unchanged.
pub fn with_network_tag(xml: &str, label: &str) -> Result<String> {
    validate_label(label)?;
    match network_xml_tag(xml) {
        Some(existing) if existing == label => return Ok(xml.to_string()),
        Some(existing) => {
            return Err(Error::invalid(format!(
                "the definition carries tag '{existing}' already, not '{label}'"
            )))
        }
        None => {}
    }
    insert_into_child(xml, "metadata", &tag_element(label))
}

/// What a domain's install created, removed with it by `prune`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "OwnedXml", into = "OwnedXml")]
pub struct Owned {
    /// Volume paths.
    pub volumes: Vec<String>,
    /// Pool names.
    pub pools: Vec<String>,
    /// Files copied for the domain (a --location install's kernel and initrd).
    pub files: Vec<String>,
}

/// `<owned><volume path=".."/><pool name=".."/><file path=".."/></owned>`: each kind together,
/// as [`Owned::to_xml`] writes it.
#[derive(Clone, Default, Serialize, Deserialize)]
struct OwnedXml {
    #[serde(default)]
    volume: Vec<PathAttr>,
    #[serde(default)]
    pool: Vec<NameAttr>,
    #[serde(default)]
    file: Vec<PathAttr>,
}

#[derive(Clone, Serialize, Deserialize)]
struct PathAttr {
    #[serde(rename = "@path")]
    path: String,
}

#[derive(Clone, Serialize, Deserialize)]
struct NameAttr {
    #[serde(rename = "@name")]
    name: String,
}

impl From<OwnedXml> for Owned {
    fn from(xml: OwnedXml) -> Owned {
        Owned {
            volumes: xml.volume.into_iter().map(|v| v.path).collect(),
            pools: xml.pool.into_iter().map(|p| p.name).collect(),
            files: xml.file.into_iter().map(|f| f.path).collect(),
        }
    }
}

impl From<Owned> for OwnedXml {
    fn from(owned: Owned) -> OwnedXml {
        let paths = |v: Vec<String>| v.into_iter().map(|path| PathAttr { path }).collect();
        OwnedXml {
            volume: paths(owned.volumes),
            pool: owned.pools.into_iter().map(|name| NameAttr { name }).collect(),
            file: paths(owned.files),
        }
    }
}

impl Owned {
    pub fn is_empty(&self) -> bool {
        self.volumes.is_empty() && self.pools.is_empty() && self.files.is_empty()
    }

    /// `<owned><volume path=".."/><pool name=".."/><file path=".."/></owned>` (escaped by the writer).
    pub fn to_xml(&self) -> String {
        document::write("owned", self, false)
    }

    /// Reads what [`Owned::to_xml`] wrote (as libvirt hands it back, with any prefix); anything
    /// unreadable records nothing.
    pub fn from_xml(xml: &str) -> Owned {
        document::read(xml, "owned").unwrap_or_default()
    }
}

/// Tags a domain (and records what its install created), in its live state when it runs and in
/// its persistent definition.
pub fn tag_domain(dom: &Domain, label: &str, owned: &Owned) -> Result<()> {
    validate_label(label)?;
    let active = dom.is_active().map_err(crate::libvirt::error)?;
    let mut flags = sys::VIR_DOMAIN_AFFECT_CONFIG;
    if active {
        flags |= sys::VIR_DOMAIN_AFFECT_LIVE;
    }
    let tag = document::write(
        "tag",
        &TagXml {
            namespace: None,
            label,
        },
        false,
    );
    let set = |xml: &str, key: &str, uri: &str| {
        dom.set_metadata(
            sys::VIR_DOMAIN_METADATA_ELEMENT as i32,
            Some(xml),
            Some(key),
            Some(uri),
            flags,
        )
        .map(drop)
        .map_err(|e| crate::libvirt::error(e).context("tag the domain"))
    };
    set(&tag, "vnet", TAG_NS)?;
    if !owned.is_empty() {
        set(&owned.to_xml(), "vnetown", OWNED_NS)?;
    }
    Ok(())
}

/// A domain's tag, if it has one (libvirt hands back the element it keeps for [`TAG_NS`]).
pub fn domain_tag(dom: &Domain) -> Option<String> {
    let xml = dom
        .get_metadata(sys::VIR_DOMAIN_METADATA_ELEMENT as i32, Some(TAG_NS), 0)
        .ok()?;
    let tag: TagText = document::read(&xml, "tag").ok()?;
    let label = tag.label.trim();
    validate_label(label).ok().map(|()| label.to_string())
}

/// The text of a `<tag>` element.
#[derive(Deserialize)]
struct TagText {
    #[serde(rename = "$text", default)]
    label: String,
}

/// What a tagged domain's install created (empty when it recorded nothing).
pub fn domain_owned(dom: &Domain) -> Owned {
    dom.get_metadata(sys::VIR_DOMAIN_METADATA_ELEMENT as i32, Some(OWNED_NS), 0)
        .map(|xml| Owned::from_xml(&xml))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_xml_gets_one_tag() {
        let plain = "<network>\n  <name>n</name>\n</network>\n";
        let tagged = with_network_tag(plain, "A").unwrap();
        assert_eq!(
            tagged,
            format!(
                "<network><metadata>{}</metadata>\n  <name>n</name>\n</network>\n",
                tag_element("A")
            )
        );
        assert_eq!(network_xml_tag(&tagged).as_deref(), Some("A"));
        assert_eq!(with_network_tag(&tagged, "A").unwrap(), tagged);
        assert_eq!(with_network_tag(&tagged, "B").unwrap_err().exit_code(), 7);
        let with_meta =
            "<network ipv6='yes'><name>n</name><metadata><x:y xmlns:x='urn:x'/></metadata></network>";
        let tagged = with_network_tag(with_meta, "B").unwrap();
        assert!(
            tagged.contains(&format!("<metadata>{}<x:y", tag_element("B"))),
            "{tagged}"
        );
        let empty_meta = "<network><name>n</name><metadata/></network>";
        let tagged = with_network_tag(empty_meta, "C").unwrap();
        assert!(tagged.contains(&format!("<metadata>{}</metadata></network>", tag_element("C"))));
        assert_eq!(network_xml_tag(&tagged).as_deref(), Some("C"));
        // Another namespace's <tag> is not ours.
        assert_eq!(
            network_xml_tag("<network><metadata><tag>A</tag></metadata></network>"),
            None
        );
        assert_eq!(with_network_tag("<network/>", "A").unwrap_err().exit_code(), 7);
        assert_eq!(with_network_tag(plain, "a b").unwrap_err().exit_code(), 7);
    }

    #[test]
    fn owned_storage_round_trips() {
        let owned = Owned {
            volumes: vec!["/var/lib/libvirt/images/a&b.qcow2".into()],
            pools: vec!["lab".into()],
            files: vec!["/var/lib/libvirt/boot/k".into()],
        };
        let xml = owned.to_xml();
        assert!(xml.contains("a&amp;b"), "{xml}");
        let prefixed = xml
            .replace("<owned>", "<vnetown:owned xmlns:vnetown=\"x\">")
            .replace("</owned>", "</vnetown:owned>");
        assert_eq!(Owned::from_xml(&prefixed), owned);
        assert!(Owned::default().is_empty());
    }
}
