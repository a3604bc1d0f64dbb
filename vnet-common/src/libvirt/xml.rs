//! Reading libvirt XML: one walker turns a document into a small element tree, and each object
//! kind (domain, pool, volume, capabilities) reads its typed model from that tree in one place.
//!
//! Why a walker and not serde: the documents read here are libvirt's own, large and open-ended
//! (a live domain has dozens of device kinds, metadata in foreign namespaces with prefixes libvirt
//! chooses), and vnet reads a handful of facts from each. serde over quick-xml would need a
//! struct per element on every path, `$value`/`$text` choices and prefix-stripping for the
//! metadata; a tree of local names answers the same questions with one path query each and keeps
//! the reading of a kind in one function. Writing stays with quick-xml's `Writer` (the names and
//! paths in it are escaped by the writer), so the documents libvirt is given are unchanged.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::fmt;

/// One element: its local name (a prefix such as `libosinfo:` dropped, as libvirt chooses its own
/// prefixes when it writes metadata back), its attributes as written, its child elements and the
/// unescaped text directly inside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlError {
    /// Not well-formed XML (quick-xml's words, and the byte where it stopped).
    Syntax { message: String, at: u64 },
    /// No element at all.
    NoRoot,
    /// A second top-level element after the first (`root` names the first).
    SecondRoot,
    /// Text that is not white space outside the root element.
    TextOutside,
    /// The document ended with this element open.
    NotClosed(String),
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XmlError::Syntax { message, at } => write!(f, "{message} (at byte {at})"),
            XmlError::NoRoot => write!(f, "no root element"),
            XmlError::SecondRoot => write!(f, "more than one root element"),
            XmlError::TextOutside => write!(f, "text outside the root element"),
            XmlError::NotClosed(name) => write!(f, "<{name}> is not closed"),
        }
    }
}

impl std::error::Error for XmlError {}

/// A document that failed to parse, with the name of its root element when one was seen (so a
/// reader can say "the root is <network>, not <domain>" before any later fault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub root: Option<String>,
    pub error: XmlError,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for ParseError {}

/// Parses `xml` into its root element: exactly one root, every element closed, only white space
/// (and comments, processing instructions) around it.
pub fn parse(xml: &str) -> std::result::Result<Element, ParseError> {
    let mut reader = Reader::from_str(xml);
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let fail = |root: &Option<Element>, open: &[Element], error| ParseError {
        root: root.as_ref().or(open.first()).map(|e| e.name.clone()),
        error,
    };
    loop {
        let event = reader.read_event().map_err(|e| {
            let at = reader.error_position();
            fail(
                &root,
                &open,
                XmlError::Syntax {
                    message: e.to_string(),
                    at,
                },
            )
        })?;
        let (start, closes) = match event {
            Event::Start(e) => (Some(element(&e)), false),
            Event::Empty(e) => (Some(element(&e)), true),
            Event::End(_) => (None, true),
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| {
                    let at = reader.buffer_position();
                    fail(
                        &root,
                        &open,
                        XmlError::Syntax {
                            message: e.to_string(),
                            at,
                        },
                    )
                })?;
                match open.last_mut() {
                    Some(parent) => parent.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(fail(&root, &open, XmlError::TextOutside)),
                }
                continue;
            }
            Event::CData(t) => {
                if let Some(parent) = open.last_mut() {
                    parent.text.push_str(&String::from_utf8_lossy(&t));
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if let Some(start) = start {
            if open.is_empty() && root.is_some() {
                return Err(fail(&root, &open, XmlError::SecondRoot));
            }
            open.push(start);
        }
        if closes {
            let done = open.pop().expect("the reader checks that end tags match");
            match open.last_mut() {
                Some(parent) => parent.children.push(done),
                None => root = Some(done),
            }
        }
    }
    if let Some(unclosed) = open.last() {
        return Err(fail(&root, &open, XmlError::NotClosed(unclosed.name.clone())));
    }
    root.ok_or(ParseError {
        root: None,
        error: XmlError::NoRoot,
    })
}

fn element(e: &BytesStart) -> Element {
    let attrs = e
        .attributes()
        .flatten()
        .filter_map(|a| {
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            a.unescape_value().ok().map(|v| (key, v.into_owned()))
        })
        .collect();
    Element {
        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
        attrs,
        ..Default::default()
    }
}

impl Element {
    /// The value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of attribute `name`, owned (what the typed models store).
    pub fn attr_string(&self, name: &str) -> Option<String> {
        self.attr(name).map(str::to_string)
    }

    /// The child elements named `name`, in document order.
    pub fn children_named<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a Element> + use<'a, 'n> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first child element named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children_named(name).next()
    }

    /// The first element at `path` below this one (`["target", "path"]`).
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |e, name| e.child(name))
    }

    /// Every element at `path` below this one, in document order.
    pub fn all<'a>(&'a self, path: &[&str]) -> Vec<&'a Element> {
        let mut found = vec![self];
        for name in path {
            found = found.into_iter().flat_map(|e| e.children_named(name)).collect();
        }
        found
    }

    /// The trimmed text of the first element at `path`.
    pub fn text_at(&self, path: &[&str]) -> Option<String> {
        self.at(path).map(|e| e.text.trim().to_string())
    }

    /// Every element below this one (depth first, document order), this one excluded.
    pub fn descendants(&self) -> Vec<&Element> {
        let mut out = Vec::new();
        for child in &self.children {
            out.push(child);
            out.extend(child.descendants());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_becomes_a_tree_of_local_names() {
        let doc = parse(
            "<?xml version='1.0'?>\n<pool type='dir'><name>a &amp; b</name>\
             <target><path> /x </path></target><m:x xmlns:m='urn:m' k='v'/></pool>\n",
        )
        .unwrap();
        assert_eq!((doc.name.as_str(), doc.attr("type")), ("pool", Some("dir")));
        assert_eq!(doc.text_at(&["name"]).as_deref(), Some("a & b"));
        assert_eq!(doc.text_at(&["target", "path"]).as_deref(), Some("/x"));
        assert_eq!(doc.child("x").and_then(|x| x.attr("k")), Some("v"));
        assert_eq!(doc.all(&["target", "path"]).len(), 1);
        assert_eq!(doc.descendants().len(), 4);
    }

    #[test]
    fn faults_are_named() {
        let fault = |xml: &str| parse(xml).unwrap_err();
        assert_eq!(fault("").error, XmlError::NoRoot);
        assert_eq!(fault("<a/><b/>").error, XmlError::SecondRoot);
        assert_eq!(fault("<a/> junk").error, XmlError::TextOutside);
        assert_eq!(fault("<a><b>").error, XmlError::NotClosed("b".into()));
        let syntax = fault("<a><b></c></a>");
        assert!(matches!(syntax.error, XmlError::Syntax { .. }), "{syntax:?}");
        assert_eq!(syntax.root.as_deref(), Some("a"));
    }
}
