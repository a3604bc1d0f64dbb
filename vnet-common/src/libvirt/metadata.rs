//! vnet's elements in a libvirt object's `<metadata>`: the ownership tag
//! `<vnet:tag xmlns:vnet="TAG_NS">LABEL</vnet:tag>` (networks keep it in their definition; domains
//! get it through virDomainSetMetadata), and a domain's record of the storage its install created.
//! The model of any object's `<metadata>` (network, domain, pool) is this one; what the labels
//! mean is the tags module's business.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The XML namespace of the tag element: `<vnet:tag xmlns:vnet="...">LABEL</vnet:tag>`.
pub const TAG_NS: &str = "http://vnet.invalid/xmlns/tag/1";
/// The XML namespace of a domain's record of the storage its install created.
pub const OWNED_NS: &str = "http://vnet.invalid/xmlns/owned/1";

/// A `<metadata>` element: the children vnet reads (elements named `tag`, of any namespace), in
/// document order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Metadata {
    #[serde(rename = "$value", default)]
    children: Vec<MetadataChild>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
enum MetadataChild {
    #[serde(rename = "tag")]
    Tag(Element),
    #[serde(other)]
    Other,
}

/// One element's attributes (namespace declarations included, as `@xmlns:PREFIX`) and its text
/// (as `$text`): quick-xml's deserializer drops namespace prefixes from element names, so the
/// namespace is told by the declaration the element carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Element {
    #[serde(flatten)]
    attributes: BTreeMap<String, String>,
}

impl Element {
    /// True when the element declares `ns` (as its default namespace or for a prefix).
    pub fn declares(&self, ns: &str) -> bool {
        self.attributes
            .iter()
            .any(|(key, value)| (key == "@xmlns" || key.starts_with("@xmlns:")) && value == ns)
    }

    /// The element's text, trimmed.
    pub fn text(&self) -> &str {
        self.attributes.get("$text").map_or("", |t| t.trim())
    }
}

impl Metadata {
    /// The text of the vnet tag element (the first `tag` declaring [`TAG_NS`]), not yet checked.
    pub fn vnet_tag(&self) -> Option<&str> {
        self.children.iter().find_map(|child| match child {
            MetadataChild::Tag(e) if e.declares(TAG_NS) => Some(e.text()),
            _ => None,
        })
    }
}

/// The tag element as vnet writes it: `<vnet:tag xmlns:vnet="TAG_NS">LABEL</vnet:tag>` in a
/// network's definition, `<tag>LABEL</tag>` through the domain metadata API (which adds the
/// namespace itself).
#[derive(Debug, Serialize)]
pub struct TagXml<'a> {
    #[serde(rename = "@xmlns:vnet", skip_serializing_if = "Option::is_none")]
    pub namespace: Option<&'static str>,
    #[serde(rename = "$text")]
    pub label: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::libvirt::document::read;

    #[test]
    fn the_vnet_tag_is_told_by_its_namespace() {
        let xml = format!(
            "<metadata>\n  <tag>other</tag>\n  <x:other xmlns:x='urn:x'><y/></x:other>\n  \
             <v:tag xmlns:v='{TAG_NS}'> A </v:tag>\n</metadata>"
        );
        let m: Metadata = read(&xml, "metadata").unwrap();
        assert_eq!(m.vnet_tag(), Some("A"));
        let m: Metadata = read("<metadata><tag>A</tag></metadata>", "metadata").unwrap();
        assert_eq!(m.vnet_tag(), None);
        let m: Metadata = read("<metadata/>", "metadata").unwrap();
        assert_eq!(m.vnet_tag(), None);
    }
}
