//! `dumpxml --xpath EXPR [--wrap]`, as virsh (libvirt 8.9 and later) answers it: the document is
//! parsed without its blank text, EXPR is evaluated with the root element as the context node, and
//! every matching node is printed on its own (or, with --wrap, all of them copied into one
//! `<nodes>` element). virsh does this with libxml2; so do we, with the same calls in the same
//! order, so an expression selects the same nodes and they print byte for byte as virsh prints
//! them (double-quoted attributes, re-indented). libxml2 is already in every process that links
//! libvirt. Where virsh differs from vnet's rules: an expression libxml2 cannot compile prints an
//! error but exits 0 with nothing selected in virsh; here it is invalid input (exit 7), as is an
//! expression that selects no nodes (`count(//disk)`, exit 1 in virsh).

use crate::{Error, ErrorKind, Result};
use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CStr, CString};

/// virsh's `--xpath EXPR [--wrap]` of every dumpxml verb.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct XpathArgs {
    /// Print only the nodes this XPath 1.0 expression selects, each on its own (virsh 8.9+):
    /// elements re-indented with double-quoted attributes, an attribute as ` name="value"`, text
    /// as it is. The context node is the root element. An expression that does not compile or
    /// selects no nodes (`count(...)`) is exit 7.
    #[arg(long, value_name = "EXPR")]
    pub xpath: Option<String>,
    /// With --xpath, print the selected nodes inside one `<nodes>` element (`<nodes/>` when none
    /// match); without --xpath it changes nothing, as in virsh.
    #[arg(long)]
    pub wrap: bool,
}

impl XpathArgs {
    /// The selection --xpath makes of `xml`, None without --xpath.
    pub fn select(&self, xml: &str) -> Result<Option<Vec<String>>> {
        self.xpath
            .as_deref()
            .map(|expr| select(xml, expr, self.wrap))
            .transpose()
    }

    /// What a dumpxml verb prints and reports: `xml` itself, or with --xpath the selected nodes
    /// as virsh prints them, and the selection (None without --xpath).
    pub fn shown(&self, xml: String) -> Result<(String, Option<Vec<String>>)> {
        let nodes = self.select(&xml)?;
        Ok((nodes.as_deref().map_or(xml, document), nodes))
    }
}

/// The nodes EXPR selects in `xml`, each serialized as virsh prints it (without the newline virsh
/// adds after each); with `wrap`, one `<nodes>` element holding copies of them all.
pub fn select(xml: &str, expr: &str, wrap: bool) -> Result<Vec<String>> {
    let expr_c = CString::new(expr).map_err(|_| invalid(expr, "it contains a NUL byte"))?;
    let doc = Doc::parse(xml)?;
    let found = doc.eval(&expr_c).map_err(|why| invalid(expr, &why))?;
    let nodes = found
        .nodes()
        .ok_or_else(|| invalid(expr, "it does not select nodes (virsh: \"Incorrect xpath\")"))?;
    if wrap {
        return Ok(vec![doc.wrapped(&nodes)?]);
    }
    nodes.iter().map(|&node| dump(doc.0, node)).collect()
}

/// The document virsh prints for the selection: each piece on its own line.
pub fn document(pieces: &[String]) -> String {
    pieces.iter().map(|piece| format!("{piece}\n")).collect()
}

fn invalid(expr: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::Invalid,
        format!(
            "--xpath {}: {}",
            crate::error::quote(expr),
            crate::error::quote(why.trim())
        ),
    )
    .with_hint("an XPath 1.0 expression selecting nodes, e.g. --xpath '//disk/source/@file'")
}

fn failed(what: &str) -> Error {
    Error::new(ErrorKind::Failed, format!("libxml2: {what}"))
}

#[repr(C)]
struct XmlDoc {
    _private: [u8; 0],
}
#[repr(C)]
struct XmlNode {
    _private: [u8; 0],
}
#[repr(C)]
struct XmlBuffer {
    _private: [u8; 0],
}

/// The leading fields of libxml2's xmlXPathContext (stable in its public header since 2.0).
#[repr(C)]
struct XPathContext {
    doc: *mut XmlDoc,
    node: *mut XmlNode,
}

/// The leading fields of libxml2's xmlXPathObject.
#[repr(C)]
struct XPathObject {
    kind: c_int,
    nodeset: *mut NodeSet,
}

#[repr(C)]
struct NodeSet {
    count: c_int,
    capacity: c_int,
    nodes: *mut *mut XmlNode,
}

/// The leading fields of libxml2's xmlError.
#[repr(C)]
struct XmlError {
    domain: c_int,
    code: c_int,
    message: *const c_char,
}

const XPATH_NODESET: c_int = 1;
// XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS | XML_PARSE_NONET: virsh parses
// with libxml2's keep-blanks default off, without network access.
const PARSE_OPTIONS: c_int = (1 << 5) | (1 << 6) | (1 << 8) | (1 << 11);

#[link(name = "xml2")]
extern "C" {
    fn xmlInitParser();
    fn xmlReadMemory(
        buffer: *const c_char,
        size: c_int,
        url: *const c_char,
        encoding: *const c_char,
        options: c_int,
    ) -> *mut XmlDoc;
    fn xmlFreeDoc(doc: *mut XmlDoc);
    fn xmlDocGetRootElement(doc: *const XmlDoc) -> *mut XmlNode;
    fn xmlXPathNewContext(doc: *mut XmlDoc) -> *mut XPathContext;
    fn xmlXPathFreeContext(ctxt: *mut XPathContext);
    fn xmlXPathEval(expr: *const u8, ctxt: *mut XPathContext) -> *mut XPathObject;
    fn xmlXPathFreeObject(obj: *mut XPathObject);
    fn xmlNewDoc(version: *const u8) -> *mut XmlDoc;
    fn xmlNewNode(ns: *mut c_void, name: *const u8) -> *mut XmlNode;
    fn xmlDocSetRootElement(doc: *mut XmlDoc, root: *mut XmlNode) -> *mut XmlNode;
    fn xmlDocCopyNode(node: *mut XmlNode, doc: *mut XmlDoc, recursive: c_int) -> *mut XmlNode;
    fn xmlAddChild(parent: *mut XmlNode, child: *mut XmlNode) -> *mut XmlNode;
    fn xmlFreeNode(node: *mut XmlNode);
    fn xmlBufferCreate() -> *mut XmlBuffer;
    fn xmlBufferFree(buf: *mut XmlBuffer);
    fn xmlBufferContent(buf: *const XmlBuffer) -> *const u8;
    fn xmlNodeDump(
        buf: *mut XmlBuffer,
        doc: *mut XmlDoc,
        node: *mut XmlNode,
        level: c_int,
        format: c_int,
    ) -> c_int;
    fn xmlSetStructuredErrorFunc(
        ctx: *mut c_void,
        handler: Option<unsafe extern "C" fn(*mut c_void, *const XmlError)>,
    );
}

/// A parsed document, freed on drop.
struct Doc(*mut XmlDoc);

impl Doc {
    fn parse(xml: &str) -> Result<Doc> {
        let size = c_int::try_from(xml.len()).map_err(|_| failed("document too large"))?;
        // SAFETY: the buffer is valid for `size` bytes; a null result is checked.
        let doc = unsafe {
            xmlInitParser();
            xmlReadMemory(
                xml.as_ptr().cast(),
                size,
                c"domain.xml".as_ptr(),
                std::ptr::null(),
                PARSE_OPTIONS,
            )
        };
        if doc.is_null() {
            return Err(failed("the document libvirt gave could not be parsed"));
        }
        Ok(Doc(doc))
    }

    /// Evaluates `expr` with the root element as context node, as virsh's context is set up;
    /// Err holds libxml2's reason when the expression does not compile.
    fn eval(&self, expr: &CStr) -> std::result::Result<Found, String> {
        // SAFETY: the document lives until self drops; the context is freed before returning.
        unsafe {
            let ctxt = xmlXPathNewContext(self.0);
            if ctxt.is_null() {
                return Err("libxml2 could not make an XPath context".into());
            }
            (*ctxt).node = xmlDocGetRootElement(self.0);
            LAST_ERROR.with(|e| e.borrow_mut().clear());
            xmlSetStructuredErrorFunc(std::ptr::null_mut(), Some(keep_error));
            let obj = xmlXPathEval(expr.as_ptr().cast(), ctxt);
            xmlSetStructuredErrorFunc(std::ptr::null_mut(), None);
            xmlXPathFreeContext(ctxt);
            if obj.is_null() {
                let why = LAST_ERROR.with(|e| e.borrow().clone());
                return Err(if why.is_empty() {
                    "invalid expression".into()
                } else {
                    why
                });
            }
            Ok(Found(obj))
        }
    }

    /// virsh's --wrap: copies of the nodes as children of a new document's `<nodes>` root.
    fn wrapped(&self, nodes: &[*mut XmlNode]) -> Result<String> {
        // SAFETY: every node belongs to self's document; the new document owns its root and the
        // copies added to it, and is freed before returning.
        unsafe {
            let newdoc = Doc(xmlNewDoc(c"1.0".as_ptr().cast()));
            let root = xmlNewNode(std::ptr::null_mut(), c"nodes".as_ptr().cast());
            if newdoc.0.is_null() || root.is_null() {
                return Err(failed("out of memory"));
            }
            xmlDocSetRootElement(newdoc.0, root);
            for &node in nodes {
                let copy = xmlDocCopyNode(node, newdoc.0, 1);
                if copy.is_null() || xmlAddChild(root, copy).is_null() {
                    if !copy.is_null() {
                        xmlFreeNode(copy);
                    }
                    return Err(failed("could not copy a selected node"));
                }
            }
            dump(self.0, root)
        }
    }
}

impl Drop for Doc {
    fn drop(&mut self) {
        // SAFETY: the document was made by libxml2 and is freed once.
        unsafe { xmlFreeDoc(self.0) }
    }
}

/// An XPath result, freed on drop.
struct Found(*mut XPathObject);

impl Found {
    /// The selected nodes in document order, None when the result is not a node set.
    fn nodes(&self) -> Option<Vec<*mut XmlNode>> {
        // SAFETY: the object and its node set live until self drops.
        unsafe {
            if (*self.0).kind != XPATH_NODESET {
                return None;
            }
            let set = (*self.0).nodeset;
            if set.is_null() || (*set).count <= 0 {
                return Some(Vec::new());
            }
            let count = usize::try_from((*set).count).unwrap_or(0);
            Some(std::slice::from_raw_parts((*set).nodes, count).to_vec())
        }
    }
}

impl Drop for Found {
    fn drop(&mut self) {
        // SAFETY: the object was made by xmlXPathEval and is freed once.
        unsafe { xmlXPathFreeObject(self.0) }
    }
}

/// One node as virsh's virXMLNodeToString prints it: xmlNodeDump, formatted, from level 0.
fn dump(doc: *mut XmlDoc, node: *mut XmlNode) -> Result<String> {
    // SAFETY: node belongs to a live document; the buffer is freed before returning.
    unsafe {
        let buf = xmlBufferCreate();
        if buf.is_null() {
            return Err(failed("out of memory"));
        }
        let written = xmlNodeDump(buf, doc, node, 0, 1);
        let text = CStr::from_ptr(xmlBufferContent(buf).cast())
            .to_string_lossy()
            .into_owned();
        xmlBufferFree(buf);
        if written < 0 {
            return Err(failed("could not print a selected node"));
        }
        Ok(text)
    }
}

thread_local! {
    /// libxml2's last error message on this thread, while an expression is evaluated.
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Keeps libxml2's error message instead of letting it print to stderr (virsh lets it print).
unsafe extern "C" fn keep_error(_ctx: *mut c_void, error: *const XmlError) {
    if error.is_null() || (*error).message.is_null() {
        return;
    }
    let message = CStr::from_ptr((*error).message).to_string_lossy().into_owned();
    LAST_ERROR.with(|e| *e.borrow_mut() = message);
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = "<domain type='test' id='1'>\n  <name>test</name>\n  <devices>\n    \
        <disk type='file' device='disk'>\n      <source file='/guest/a'/>\n      \
        <target dev='vda' bus='virtio'/>\n    </disk>\n  </devices>\n</domain>\n";

    #[test]
    fn prints_nodes_as_virsh_does() {
        assert_eq!(
            select(XML, "//disk", false).unwrap(),
            [
                "<disk type=\"file\" device=\"disk\">\n  <source file=\"/guest/a\"/>\n  \
              <target dev=\"vda\" bus=\"virtio\"/>\n</disk>"
            ]
        );
        assert_eq!(select(XML, "//disk/@type", false).unwrap(), [" type=\"file\""]);
        assert_eq!(select(XML, "name/text()", false).unwrap(), ["test"]);
        assert!(select(XML, "//nope", false).unwrap().is_empty());
    }

    #[test]
    fn wraps_nodes_in_one_element() {
        assert_eq!(select(XML, "//nope", true).unwrap(), ["<nodes/>"]);
        assert_eq!(
            select(XML, "//name | //target", true).unwrap(),
            ["<nodes>\n  <name>test</name>\n  <target dev=\"vda\" bus=\"virtio\"/>\n</nodes>"]
        );
        assert_eq!(
            select(XML, "//name/text()", true).unwrap(),
            ["<nodes>test</nodes>"]
        );
    }

    #[test]
    fn refuses_what_selects_no_nodes() {
        for expr in ["//[", "count(//disk)", "", "a\0b"] {
            let e = select(XML, expr, false).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Invalid, "{expr}: {e}");
        }
        assert!(select(XML, "//[", false)
            .unwrap_err()
            .to_string()
            .contains("Invalid expression"));
    }
}
