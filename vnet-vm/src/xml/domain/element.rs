//! A small element tree for the domain XML parts the option table describes (devices such as
//! `<watchdog>`, `<rng>`, top-level elements such as `<memoryBacking>`), written with quick-xml's
//! writer like the rest of the document (values are escaped by the writer).

use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};
use std::io;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: Option<String>,
    pub children: Vec<Element>,
}

impl Element {
    pub fn new(name: &str) -> Element {
        Element {
            name: name.to_string(),
            ..Element::default()
        }
    }

    /// The element at `path` (child names separated by `/`), made when missing.
    pub fn descend(&mut self, path: &[&str]) -> &mut Element {
        let Some((first, rest)) = path.split_first() else {
            return self;
        };
        let at = match self.children.iter().position(|c| c.name == *first) {
            Some(i) => i,
            None => {
                self.children.push(Element::new(first));
                self.children.len() - 1
            }
        };
        self.children[at].descend(rest)
    }

    /// Sets `path`: `a/b/@attr` an attribute of a descendant, `a/b` its text, `@attr` one of its own.
    pub fn set(&mut self, path: &str, value: &str) {
        let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        match parts.last().and_then(|p| p.strip_prefix('@')) {
            Some(attr) => {
                let attr = attr.to_string();
                parts.pop();
                let e = self.descend(&parts);
                e.attrs.retain(|(k, _)| *k != attr);
                e.attrs.push((attr, value.to_string()));
            }
            None => self.descend(&parts).text = Some(value.to_string()),
        }
    }

    /// The value at `path` (as `set` names it), if set.
    pub fn get(&self, path: &str) -> Option<&str> {
        let mut e = self;
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        for (i, part) in parts.iter().enumerate() {
            if let Some(attr) = part.strip_prefix('@') {
                return (i + 1 == parts.len())
                    .then(|| e.attrs.iter().find(|(k, _)| k == attr).map(|(_, v)| v.as_str()))
                    .flatten();
            }
            e = e.children.iter().find(|c| c.name == *part)?;
        }
        e.text.as_deref()
    }

    /// A whole document read back into a tree (whitespace between elements dropped, comments and
    /// the declaration left out), so later edits (install's --xml) work on what was written.
    pub fn parse(xml: &str) -> Result<Element, String> {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().trim_text(true);
        let mut stack: Vec<Element> = vec![Element::new("")];
        loop {
            match reader.read_event().map_err(|e| e.to_string())? {
                Event::Start(s) => stack.push(Element::open(&s)?),
                Event::Empty(s) => {
                    let e = Element::open(&s)?;
                    stack.last_mut().expect("the document node").children.push(e);
                }
                Event::End(_) => {
                    let e = stack.pop().expect("an open element");
                    stack.last_mut().ok_or("unbalanced document")?.children.push(e);
                }
                Event::Text(t) => {
                    let text = t.unescape().map_err(|e| e.to_string())?;
                    stack.last_mut().expect("the document node").text = Some(text.into_owned());
                }
                Event::Eof => break,
                _ => {}
            }
        }
        let mut doc = stack
            .pop()
            .filter(|_| stack.is_empty())
            .ok_or("unclosed element")?;
        doc.children.pop().ok_or_else(|| "no root element".to_string())
    }

    fn open(s: &BytesStart) -> Result<Element, String> {
        let mut e = Element::new(&String::from_utf8_lossy(s.name().as_ref()));
        for a in s.attributes() {
            let a = a.map_err(|e| e.to_string())?;
            let value = a.unescape_value().map_err(|e| e.to_string())?;
            e.attrs.push((
                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                value.into_owned(),
            ));
        }
        Ok(e)
    }

    /// The document indented like libvirt's own.
    pub fn to_document(&self) -> String {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        self.write(&mut w).expect("writing XML to a Vec cannot fail");
        String::from_utf8(w.into_inner()).expect("the writer emits UTF-8")
    }

    pub fn write(&self, w: &mut Writer<Vec<u8>>) -> io::Result<()> {
        let e = w
            .create_element(self.name.as_str())
            .with_attributes(self.attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        match (&self.text, self.children.is_empty()) {
            (Some(text), _) => {
                e.write_text_content(BytesText::new(text))?;
            }
            (None, true) => {
                e.write_empty()?;
            }
            (None, false) => {
                e.write_inner_content(|w| {
                    for c in &self.children {
                        c.write(w)?;
                    }
                    Ok(())
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_make_attributes_children_and_text() {
        let mut e = Element::new("rng");
        e.set("@model", "virtio");
        e.set("backend/@model", "random");
        e.set("backend", "/dev/urandom");
        assert_eq!(e.get("backend/@model"), Some("random"));
        assert_eq!(e.get("backend"), Some("/dev/urandom"));
        let mut w = Writer::new(Vec::new());
        e.write(&mut w).unwrap();
        assert_eq!(
            String::from_utf8(w.into_inner()).unwrap(),
            "<rng model=\"virtio\"><backend model=\"random\">/dev/urandom</backend></rng>"
        );
    }

    #[test]
    fn a_document_reads_back_as_written() {
        let xml = "<domain type=\"qemu\">\n  <name>a &amp; b</name>\n  <qemu:commandline xmlns:qemu=\"urn:q\">\n    <qemu:arg value=\"-s\"/>\n  </qemu:commandline>\n</domain>";
        let d = Element::parse(xml).unwrap();
        assert_eq!(d.get("name"), Some("a & b"));
        assert_eq!(d.children[1].name, "qemu:commandline");
        assert_eq!(d.to_document(), xml);
        assert!(Element::parse("<a><b></a>").is_err());
    }
}
