//! The storage pool XML model: the dir pool vnet-vm defines, and what it reads back from a pool's
//! document (its type and target directory).

use quick_xml::events::BytesText;
use quick_xml::Writer;
use vnet_common::libvirt::xml;

/// A dir pool's definition (quick-xml escapes the name and path).
pub fn pool_xml(name: &str, dir: &str) -> String {
    let mut w = Writer::new(Vec::new());
    w.create_element("pool")
        .with_attribute(("type", "dir"))
        .write_inner_content(|w| {
            w.create_element("name")
                .write_text_content(BytesText::new(name))?;
            w.create_element("target").write_inner_content(|w| {
                w.create_element("path").write_text_content(BytesText::new(dir))?;
                Ok(())
            })?;
            Ok(())
        })
        .expect("writing XML to a Vec");
    String::from_utf8(w.into_inner()).expect("UTF-8")
}

/// What vnet-vm reads from a pool's XML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolXml {
    /// dir, fs, logical, ... (`<pool type=...>`).
    pub kind: Option<String>,
    /// The target directory (`<target><path>`).
    pub target: Option<String>,
}

impl PoolXml {
    /// Reads a pool document libvirt gave us; what is not there (or not XML) is None.
    pub fn read(xml: &str) -> PoolXml {
        let pool = xml::parse(xml).ok().filter(|p| p.name == "pool");
        PoolXml {
            kind: pool.as_ref().and_then(|p| p.attr_string("type")),
            target: pool.and_then(|p| p.text_at(&["target", "path"])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_xml_escapes_and_reads_back() {
        let xml = pool_xml("a&b", "/d<x>");
        assert_eq!(
            xml,
            "<pool type=\"dir\"><name>a&amp;b</name><target><path>/d&lt;x&gt;</path></target></pool>"
        );
        let read = PoolXml::read(&xml);
        assert_eq!(
            (read.kind.as_deref(), read.target.as_deref()),
            (Some("dir"), Some("/d<x>"))
        );
        let live =
            PoolXml::read("<pool type='logical'><name>p</name><target><path>/i</path></target></pool>");
        assert_eq!(
            (live.kind.as_deref(), live.target.as_deref()),
            (Some("logical"), Some("/i"))
        );
        assert_eq!(PoolXml::read("<volume type='file'/>"), PoolXml::default());
    }
}
