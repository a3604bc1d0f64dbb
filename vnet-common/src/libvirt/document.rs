//! One way in and out of libvirt XML: a typed model (serde) read by quick-xml's deserializer and
//! written by its serializer. Every model of a libvirt document (networks here; domains, pools and
//! volumes can follow) goes through [`read`] and [`write`], so the checks on what is read and the
//! escaping of what is written are the same everywhere.
//!
//! Why serde rather than a hand-written event walker: the model then says what the document holds,
//! reading and writing share it, and names reach XML only through the serializer, which escapes
//! them. What serde alone does not check, [`read`] adds: the root element's name, a second root,
//! text outside the root, and XML that ends inside an element; all of that is invalid input (exit 7).
//!
//! Models list a parent's children as one `$value` sequence of an enum (with an `Other` variant for
//! what vnet does not read) wherever libvirt lets different children interleave (`<ip>`, `<route>`,
//! `<ip>`): quick-xml reads a named `Vec` field only from adjacent elements.

use crate::{Error, Result};
use quick_xml::de::Deserializer;
use quick_xml::errors::IllFormedError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::se::{QuoteLevel, Serializer};
use quick_xml::DeError;
use quick_xml::Reader;
use serde::de::{self, DeserializeOwned, DeserializeSeed, EnumAccess, VariantAccess, Visitor};
use serde::Serialize;
use std::cell::RefCell;
use std::marker::PhantomData;

/// Reads `xml`, whose root element must be `<root>` (any namespace prefix), into a `T`.
/// Malformed XML, another root, a second root or text outside it are invalid input (exit 7).
pub fn read<T: DeserializeOwned>(xml: &str, root: &'static str) -> Result<T> {
    let mut de = Deserializer::from_str(xml);
    let wrong_root = RefCell::new(None);
    let seed = Root::<T> {
        root,
        wrong_root: &wrong_root,
        kind: PhantomData,
    };
    let value = seed
        .deserialize(&mut de)
        .map_err(|e| wrong_root.take().unwrap_or_else(|| malformed(e, xml, root)))?;
    if !de.is_empty() {
        return Err(Error::invalid(format!(
            "malformed XML: content after the root element <{root}>"
        )));
    }
    Ok(value)
}

/// `value` as the XML document `<root>...</root>`, escaped by the writer (all five XML special
/// characters, in text and attributes); `indent` lays it out as libvirt's own files are (two
/// spaces), without a final newline.
pub fn write<T: Serialize>(root: &str, value: &T, indent: bool) -> String {
    let mut out = String::new();
    let mut ser = Serializer::with_root(&mut out, Some(root)).expect("root names are valid XML names");
    ser.set_quote_level(QuoteLevel::Full);
    if indent {
        ser.indent(' ', 2);
    }
    value
        .serialize(ser)
        .expect("the models serialize to a String without error");
    out
}

/// `xml` with `markup` put first inside the root's child `<child>` (a `<child>` is added right
/// after the root's start tag when there is none). Every other byte stays as it was: this is how
/// vnet adds to a document a user wrote, which re-writing it through a model would change. The one
/// walk over quick-xml's events in vnet's libvirt code, because only the reader knows where
/// elements start and end in the text.
pub fn insert_into_child(xml: &str, child: &str, markup: &str) -> Result<String> {
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut root_end = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| Error::invalid(format!("malformed XML: {e}")))?;
        let after = reader.buffer_position() as usize;
        let is_child = |e: &BytesStart| e.local_name().as_ref() == child.as_bytes();
        match event {
            Event::Start(e) => {
                depth += 1;
                if depth == 1 {
                    root_end = Some(after);
                } else if depth == 2 && is_child(&e) {
                    return Ok(format!("{}{markup}{}", &xml[..after], &xml[after..]));
                }
            }
            Event::Empty(e) if depth == 1 && is_child(&e) => {
                let filled = format!("<{child}>{markup}</{child}>");
                return Ok(format!("{}{filled}{}", &xml[..before], &xml[after..]));
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
    Ok(format!("{}<{child}>{markup}</{child}>{}", &xml[..at], &xml[at..]))
}

fn malformed(e: DeError, xml: &str, root: &str) -> Error {
    match e {
        DeError::UnexpectedEof if xml.trim().is_empty() => {
            Error::invalid(format!("malformed XML: no <{root}> element"))
        }
        DeError::UnexpectedEof => Error::invalid(format!(
            "malformed XML: an element is never closed (the document ends inside <{root}>)"
        )),
        DeError::InvalidXml(quick_xml::Error::IllFormed(IllFormedError::MissingEndTag(open))) => {
            Error::invalid(format!("malformed XML: <{open}> is never closed"))
        }
        DeError::Custom(why) => Error::invalid(format!("invalid <{root}> XML: {}", in_xml_terms(&why))),
        other => Error::invalid(format!("malformed XML: {other}")),
    }
}

/// serde's words for what a strict model refuses, in XML's: "unknown field `@a`, expected one of
/// ..." is an unknown attribute, "unknown field `b`" an unexpected element, "`$text`" text.
fn in_xml_terms(why: &str) -> String {
    let unknown = why
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next());
    match unknown {
        Some("$text") | Some("$value") => "unexpected text".to_string(),
        Some(name) if name.starts_with('@') => format!("unknown attribute '{}'", &name[1..]),
        Some(name) => format!("unexpected element <{name}>"),
        None => why.to_string(),
    }
}

/// Reads the root element as an enum whose variant is the element's name: quick-xml's way to see
/// that name, which a struct ignores.
struct Root<'a, T> {
    root: &'static str,
    /// The precise error when the root is not `<root>` (serde's own would say "variant").
    wrong_root: &'a RefCell<Option<Error>>,
    kind: PhantomData<T>,
}

impl<'de, T: de::Deserialize<'de>> DeserializeSeed<'de> for Root<'_, T> {
    type Value = T;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> std::result::Result<T, D::Error> {
        deserializer.deserialize_enum("document", &[], self)
    }
}

impl<'de, T: de::Deserialize<'de>> Visitor<'de> for Root<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a <{}> element", self.root)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> std::result::Result<T, A::Error> {
        let (name, content): (String, A::Variant) = data.variant()?;
        if name != self.root {
            let why = if name.starts_with('$') {
                "malformed XML: text outside the root element".to_string()
            } else {
                let root = self.root;
                format!("not a {root} definition: root element is <{name}>, expected <{root}>")
            };
            self.wrong_root.replace(Some(Error::invalid(why.clone())));
            return Err(de::Error::custom(why));
        }
        content.newtype_variant()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Thing {
        #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    }

    #[test]
    fn reads_the_root_it_is_told() {
        let t: Thing = read(
            "<?xml version='1.0'?>\n<thing id='1'>\n  <name>a</name>\n</thing>\n",
            "thing",
        )
        .unwrap();
        assert_eq!((t.id.as_deref(), t.name.as_deref()), (Some("1"), Some("a")));
        let t: Thing = read("<x:thing xmlns:x='urn:x'><name>b</name></x:thing>", "thing").unwrap();
        assert_eq!(t.name.as_deref(), Some("b"));
    }

    #[test]
    fn refuses_what_is_not_one_well_formed_root() {
        for (bad, needle) in [
            ("", "no <thing> element"),
            ("  \n", "no <thing> element"),
            ("<thing><name>a</name>", "never closed"),
            ("<thing><name>a</nam></thing>", "malformed XML"),
            ("<thing id='1'", "malformed XML"),
            ("<thing/><thing/>", "content after the root element"),
            ("<thing/>text", "content after the root element"),
            ("not xml", "text outside the root element"),
            (
                "<other/>",
                "not a thing definition: root element is <other>, expected <thing>",
            ),
        ] {
            let e = read::<Thing>(bad, "thing").unwrap_err();
            assert_eq!(e.exit_code(), 7, "{bad}");
            assert!(
                e.message.contains(needle),
                "{bad}: {needle:?} not in {}",
                e.message
            );
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        #[serde(rename = "@id")]
        id: Option<String>,
    }

    #[test]
    fn a_strict_model_names_what_it_refuses_in_xml_terms() {
        for (bad, needle) in [
            ("<s bogus='1'/>", "invalid <s> XML: unknown attribute 'bogus'"),
            ("<s><y/></s>", "invalid <s> XML: unexpected element <y>"),
            ("<s>text</s>", "invalid <s> XML: unexpected text"),
        ] {
            let e = read::<Strict>(bad, "s").unwrap_err();
            assert!(
                e.message.contains(needle),
                "{bad}: {needle:?} not in {}",
                e.message
            );
        }
    }

    #[test]
    fn writes_escaped_and_indented() {
        let t = Thing {
            id: Some("<'\"&>".into()),
            name: Some("a<b>&'\"".into()),
        };
        assert_eq!(
            write("thing", &t, false),
            "<thing id=\"&lt;&apos;&quot;&amp;&gt;\"><name>a&lt;b&gt;&amp;&apos;&quot;</name></thing>"
        );
        assert_eq!(write("thing", &t, true).lines().count(), 3);
        assert_eq!(write("thing", &Thing::default(), true), "<thing/>");
    }
}
