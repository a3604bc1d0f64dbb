//! Tags on libvirt objects: `<metadata>` in the network XML (libvirt 9.0 keeps a network's
//! `<metadata>` in its definition and its live XML; it has no API to set it before 9.7, so the
//! element is put into the XML before it is defined), and domain metadata set through
//! virDomainSetMetadata. A domain also records, in a second metadata element, the storage its
//! install created (volumes, pools, copied boot files), so `prune` removes that and nothing else.

use crate::tags::validate_label;
use crate::{Error, Result};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, Reader, Writer};
use virt::domain::Domain;
use virt::sys;

/// The XML namespace of the tag element: `<vnet:tag xmlns:vnet="...">LABEL</vnet:tag>`.
pub const TAG_NS: &str = "http://vnet.invalid/xmlns/tag/1";
/// The XML namespace of a domain's record of the storage its install created.
pub const OWNED_NS: &str = "http://vnet.invalid/xmlns/owned/1";

/// `<vnet:tag xmlns:vnet="TAG_NS">LABEL</vnet:tag>` (the label is checked: no markup in it).
pub fn tag_element(label: &str) -> String {
    format!("<vnet:tag xmlns:vnet=\"{TAG_NS}\">{label}</vnet:tag>")
}

/// The label of the vnet tag element anywhere in `xml` (namespace-aware), if any.
pub fn xml_tag(xml: &str) -> Option<String> {
    let mut reader = NsReader::from_str(xml);
    let mut inside = false;
    loop {
        match reader.read_resolved_event().ok()? {
            (ResolveResult::Bound(ns), Event::Start(e))
                if ns.as_ref() == TAG_NS.as_bytes() && e.local_name().as_ref() == b"tag" =>
            {
                inside = true
            }
            (_, Event::Text(t)) if inside => {
                let label = t.unescape().ok()?.trim().to_string();
                return validate_label(&label).ok().map(|()| label);
            }
            (_, Event::End(_)) if inside => return None,
            (_, Event::Eof) => return None,
            _ => {}
        }
    }
}

/// The network definition `xml` with the tag element in its `<metadata>` (added when there is
/// none). A definition that carries another vnet tag already is invalid input (exit 7); one that
/// carries this one is returned as it is.
pub fn with_network_tag(xml: &str, label: &str) -> Result<String> {
    validate_label(label)?;
    match xml_tag(xml) {
        Some(existing) if existing == label => return Ok(xml.to_string()),
        Some(existing) => {
            return Err(Error::invalid(format!(
                "the definition carries tag '{existing}' already, not '{label}'"
            )))
        }
        None => {}
    }
    let element = tag_element(label);
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut root_end = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| Error::invalid(format!("malformed XML: {e}")))?;
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(e) => {
                depth += 1;
                if depth == 1 {
                    root_end = Some(after);
                } else if depth == 2 && e.local_name().as_ref() == b"metadata" {
                    return Ok(format!("{}{element}{}", &xml[..after], &xml[after..]));
                }
            }
            Event::Empty(e) if depth == 1 && e.local_name().as_ref() == b"metadata" => {
                let replaced = format!("<metadata>{element}</metadata>");
                return Ok(format!("{}{replaced}{}", &xml[..before], &xml[after..]));
            }
            Event::Empty(_) if depth == 0 => {
                return Err(Error::invalid("malformed XML: the root element is empty"))
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
    }
    let at = root_end.ok_or_else(|| Error::invalid("malformed XML: no root element"))?;
    Ok(format!(
        "{}<metadata>{element}</metadata>{}",
        &xml[..at],
        &xml[at..]
    ))
}

/// What a domain's install created, removed with it by `prune`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owned {
    /// Volume paths.
    pub volumes: Vec<String>,
    /// Pool names.
    pub pools: Vec<String>,
    /// Files copied for the domain (a --location install's kernel and initrd).
    pub files: Vec<String>,
}

impl Owned {
    pub fn is_empty(&self) -> bool {
        self.volumes.is_empty() && self.pools.is_empty() && self.files.is_empty()
    }

    /// `<owned><volume path=".."/><pool name=".."/><file path=".."/></owned>` (escaped by the writer).
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new(Vec::new());
        w.create_element("owned")
            .write_inner_content(|w| {
                for (element, attr, values) in [
                    ("volume", "path", &self.volumes),
                    ("pool", "name", &self.pools),
                    ("file", "path", &self.files),
                ] {
                    for value in values {
                        w.create_element(element)
                            .with_attribute((attr, value.as_str()))
                            .write_empty()?;
                    }
                }
                Ok::<_, std::io::Error>(())
            })
            .expect("writing XML to a Vec");
        String::from_utf8(w.into_inner()).expect("UTF-8")
    }

    /// Reads what [`Owned::to_xml`] wrote (as libvirt hands it back, with any prefix).
    pub fn from_xml(xml: &str) -> Owned {
        let mut owned = Owned::default();
        let mut reader = Reader::from_str(xml);
        loop {
            match reader.read_event() {
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                    let value = |key: &[u8]| {
                        e.attributes()
                            .flatten()
                            .find(|a| a.key.local_name().as_ref() == key)
                            .and_then(|a| a.unescape_value().ok())
                            .map(|v| v.into_owned())
                    };
                    match e.local_name().as_ref() {
                        b"volume" => owned.volumes.extend(value(b"path")),
                        b"pool" => owned.pools.extend(value(b"name")),
                        b"file" => owned.files.extend(value(b"path")),
                        _ => {}
                    }
                }
                Ok(Event::Eof) | Err(_) => return owned,
                _ => {}
            }
        }
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
    // A checked label holds no markup.
    let tag = format!("<tag>{label}</tag>");
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

/// A domain's tag, if it has one.
pub fn domain_tag(dom: &Domain) -> Option<String> {
    let xml = dom
        .get_metadata(sys::VIR_DOMAIN_METADATA_ELEMENT as i32, Some(TAG_NS), 0)
        .ok()?;
    let mut reader = Reader::from_str(&xml);
    let mut inside = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) if e.local_name().as_ref() == b"tag" => inside = true,
            Event::Text(t) if inside => {
                let label = t.unescape().ok()?.trim().to_string();
                return validate_label(&label).ok().map(|()| label);
            }
            Event::Eof => return None,
            _ => {}
        }
    }
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
        assert_eq!(xml_tag(&tagged).as_deref(), Some("A"));
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
        assert_eq!(xml_tag(&tagged).as_deref(), Some("C"));
        // Another namespace's <tag> is not ours.
        assert_eq!(
            xml_tag("<network><metadata><tag>A</tag></metadata></network>"),
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
