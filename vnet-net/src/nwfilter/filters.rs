//! nwfilter-define, nwfilter-list, nwfilter-dumpxml and nwfilter-undefine.

use super::{find, require};
use schemars::JsonSchema;
use serde::Serialize;
use std::path::PathBuf;
use virt::connect::Connect;
use virt::nwfilter::NWFilter;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::nwfilter::FilterDef;
use vnet_common::libvirt::xpath::XpathArgs;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{table, Error, Journal, Render, Result, TextStyle, Verb};

/// Define a network filter from an XML file, or replace the definition of the filter of its
/// name (virsh nwfilter-define FILE [--validate]).
///
/// The file is read as UTF-8 (at most 10 MiB) and must be one well-formed <filter name=...>
/// document: anything else is exit 7 before libvirt is asked (a missing file is 3); a rule
/// libvirt refuses is exit 7 with its message. Over an existing filter the definition is
/// replaced ("definition": "updated"), and libvirt applies it to the ports using it at once.
/// --validate checks the document against libvirt's schema. Undone on a later failure: a new
/// filter is undefined, a replaced definition defined again.
#[derive(Debug, clap::Args)]
pub struct NwfilterDefine {
    /// The filter XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// Check the document against libvirt's schema.
    #[arg(long)]
    pub validate: bool,
}

/// A filter defined.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FilterDefined {
    pub name: String,
    pub uuid: String,
    /// False when the file said what the definition already said.
    pub changed: bool,
    /// "created", "updated" or "unchanged".
    pub definition: String,
    /// The XML file read.
    pub file: String,
}

impl Render for FilterDefined {
    fn text(&self, _style: TextStyle) -> String {
        format!("Network filter {} defined from {}\n\n", self.name, self.file)
    }
}

/// Defines `xml`, with libvirt's schema check when `validate`.
fn define(conn: &Connect, xml: &str, validate: bool) -> std::result::Result<NWFilter, virt::error::Error> {
    if !validate {
        return NWFilter::define_xml(conn, xml);
    }
    let text = std::ffi::CString::new(xml).expect("read_text refuses NUL bytes");
    let flags = sys::VIR_NWFILTER_DEFINE_VALIDATE;
    // SAFETY: valid connection and C string; a null result is libvirt's error, read at once.
    let ptr = unsafe { sys::virNWFilterDefineXMLFlags(conn.as_ptr(), text.as_ptr(), flags) };
    match ptr.is_null() {
        true => Err(virt::error::Error::last_error()),
        // SAFETY: a non-null filter pointer libvirt returned, owned by the NWFilter.
        false => Ok(unsafe { NWFilter::from_ptr(ptr) }),
    }
}

impl Verb for NwfilterDefine {
    type Ctx = Session;
    type Output = FilterDefined;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<FilterDefined> {
        let file = self.file.display().to_string();
        let xml = vnet_common::files::read_text(&self.file, vnet_common::files::MAX_XML)?;
        if xml.contains('\0') {
            return Err(Error::invalid(format!("{}: holds a NUL byte", quote(&file))));
        }
        let def = FilterDef::from_xml(&xml).map_err(|e| e.context(quote(&file)))?;
        let name = def
            .name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| Error::invalid(format!("{}: <filter> has no name", quote(&file))))?;
        let conn = ctx.conn()?;
        let before = find(conn, &name)?
            .map(|f| f.get_xml_desc(0))
            .transpose()
            .libvirt("filter XML")?;
        let what = format!("define network filter {} from {}", quote(&name), quote(&file));
        let filter =
            define(conn, &xml, self.validate).map_err(|e| vnet_common::libvirt::edit::refused(e, what))?;
        let after = filter.get_xml_desc(0).libvirt("filter XML")?;
        let definition = match &before {
            None => "created",
            Some(old) if *old == after => "unchanged",
            Some(_) => "updated",
        };
        if definition != "unchanged" {
            record_undo(conn, filter.clone(), before, journal)?;
        }
        Ok(FilterDefined {
            uuid: filter.get_uuid_string().libvirt("filter UUID")?,
            changed: definition != "unchanged",
            definition: definition.into(),
            name,
            file,
        })
    }
}

/// The undo of a define: the filter undefined again, or its old definition back.
fn record_undo(
    conn: &Connect,
    filter: NWFilter,
    before: Option<String>,
    journal: &mut Journal,
) -> Result<()> {
    let conn = conn.clone();
    journal.record_fn("define the network filter", move || match before {
        None => filter.undefine().libvirt("undefine the network filter"),
        Some(xml) => NWFilter::define_xml(&conn, &xml)
            .map(drop)
            .libvirt("define the network filter again as it was"),
    })
}

/// The network filters (virsh nwfilter-list), sorted by name as virsh sorts them; -o text
/// prints virsh's table.
#[derive(Debug, clap::Args)]
pub struct NwfilterList {}

/// One filter.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FilterRow {
    pub uuid: String,
    pub name: String,
}

/// The filters `nwfilter-list` found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct FilterRows(pub Vec<FilterRow>);

impl Render for FilterRows {
    fn text(&self, style: TextStyle) -> String {
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|r| vec![r.uuid.clone(), r.name.clone()])
            .collect();
        table::render(&["UUID", "Name"], &rows, style)
    }
}

impl Verb for NwfilterList {
    type Ctx = Session;
    type Output = FilterRows;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<FilterRows> {
        let filters = ctx
            .conn()?
            .list_all_nw_filters(0)
            .libvirt("list network filters")?;
        let mut rows = filters
            .iter()
            .map(|f| {
                Ok(FilterRow {
                    uuid: f.get_uuid_string().libvirt("filter UUID")?,
                    name: f.get_name().libvirt("filter name")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(FilterRows(rows))
    }
}

/// Print a network filter's XML (virsh nwfilter-dumpxml FILTER); FILTER by name or UUID.
///
/// Prints the document itself, as virsh does; -o json gives {"name", "uuid", "xml"}.
#[derive(Debug, clap::Args)]
pub struct NwfilterDumpxml {
    /// The filter: name or UUID.
    pub nwfilter: String,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

/// A filter's XML document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FilterXml {
    pub name: String,
    pub uuid: String,
    /// The document as libvirt wrote it (printed as it is unless -o json); with --xpath, the
    /// selected nodes as printed.
    pub xml: String,
    /// With --xpath, each selected node's XML; null without --xpath.
    pub nodes: Option<Vec<String>>,
}

impl Render for FilterXml {
    fn document(&self) -> Option<&str> {
        Some(&self.xml)
    }
}

impl Verb for NwfilterDumpxml {
    type Ctx = Session;
    type Output = FilterXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<FilterXml> {
        let filter = require(ctx.conn()?, &self.nwfilter)?;
        let xml = filter.get_xml_desc(0).libvirt("filter XML")?;
        let (xml, nodes) = self.xpath.shown(xml)?;
        Ok(FilterXml {
            name: filter.get_name().libvirt("filter name")?,
            uuid: filter.get_uuid_string().libvirt("filter UUID")?,
            xml,
            nodes,
        })
    }
}

/// Remove a network filter (virsh nwfilter-undefine FILTER); FILTER by name or UUID.
///
/// A filter a port or another filter uses is exit 4 (libvirt's words); an unknown one exit 3
/// (--missing-ok: "changed": false). Undone on a later failure: defined again.
#[derive(Debug, clap::Args)]
pub struct NwfilterUndefine {
    /// The filter: name or UUID.
    pub nwfilter: String,
    /// Succeed ("changed": false) when there is no such filter.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

/// A filter removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FilterUndefined {
    pub name: String,
    /// False with --missing-ok when it was not there.
    pub changed: bool,
}

impl Render for FilterUndefined {
    fn text(&self, _style: TextStyle) -> String {
        match self.changed {
            true => format!("Network filter {} undefined\n\n", self.name),
            false => String::new(),
        }
    }
}

impl Verb for NwfilterUndefine {
    type Ctx = Session;
    type Output = FilterUndefined;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<FilterUndefined> {
        let conn = ctx.conn()?;
        if self.missing_ok && find(conn, &self.nwfilter)?.is_none() {
            return Ok(FilterUndefined {
                name: self.nwfilter,
                changed: false,
            });
        }
        let filter = require(conn, &self.nwfilter)?;
        let name = filter.get_name().libvirt("filter name")?;
        let xml = filter.get_xml_desc(0).libvirt("filter XML")?;
        filter
            .undefine()
            .libvirt(format!("undefine network filter {}", quote(&name)))?;
        let conn = conn.clone();
        journal.record_fn(format!("undefine network filter {name}"), move || {
            NWFilter::define_xml(&conn, &xml)
                .map(drop)
                .libvirt("define the network filter again")
        })?;
        Ok(FilterUndefined { name, changed: true })
    }
}
