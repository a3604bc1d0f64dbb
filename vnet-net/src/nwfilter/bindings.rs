//! nwfilter-binding-list, -create, -dumpxml and -delete: filters bound to port devices (libvirt
//! makes one for every guest NIC with a <filterref>; these verbs make and remove them by hand).
//! A binding is named by its port device.

use schemars::JsonSchema;
use serde::Serialize;
use std::path::PathBuf;
use virt::error::ErrorNumber;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::nwfilter::BindingDef;
use vnet_common::libvirt::nwfilter_binding::FilterBinding;
use vnet_common::libvirt::xpath::XpathArgs;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{table, Error, Journal, Render, Result, TextStyle, Verb};

/// The bindings (virsh nwfilter-binding-list), sorted by port device; -o text prints virsh's
/// table.
#[derive(Debug, clap::Args)]
pub struct NwfilterBindingList {}

/// One binding.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BindingRow {
    /// The port's host device (a tap).
    pub portdev: String,
    /// The filter bound to it.
    pub filter: String,
}

/// The bindings `nwfilter-binding-list` found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct BindingRows(pub Vec<BindingRow>);

impl Render for BindingRows {
    fn text(&self, style: TextStyle) -> String {
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|r| vec![r.portdev.clone(), r.filter.clone()])
            .collect();
        table::render(&["Port Dev", "Filter"], &rows, style)
    }
}

impl Verb for NwfilterBindingList {
    type Ctx = Session;
    type Output = BindingRows;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<BindingRows> {
        let bindings = FilterBinding::list_all(ctx.conn()?).libvirt("list network filter bindings")?;
        let mut rows = bindings
            .iter()
            .map(|b| {
                Ok(BindingRow {
                    portdev: b.port_dev().libvirt("binding port device")?,
                    filter: b.filter_name().libvirt("binding filter")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        rows.sort_by(|a, b| a.portdev.cmp(&b.portdev));
        Ok(BindingRows(rows))
    }
}

/// The binding on `portdev`, or None.
fn find(conn: &virt::connect::Connect, portdev: &str) -> Result<Option<FilterBinding>> {
    match FilterBinding::lookup_by_port_dev(conn, portdev)? {
        Ok(binding) => Ok(Some(binding)),
        Err(e) if e.code() == ErrorNumber::NoNwfilterBinding => Ok(None),
        Err(e) => Err(vnet_common::libvirt::error(e).context(format!("binding on {}", quote(portdev)))),
    }
}

fn not_found(portdev: &str) -> Error {
    Error::not_found(format!("no network filter binding on {}", quote(portdev)))
        .with_hint("see 'vnet-net nwfilter-binding-list'")
}

/// A binding made or deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BindingChanged {
    pub portdev: String,
    /// False only for delete --missing-ok of a binding that was not there.
    pub changed: bool,
    #[serde(skip)]
    #[schemars(skip)]
    shown: String,
}

impl Render for BindingChanged {
    fn text(&self, _style: TextStyle) -> String {
        self.shown.clone()
    }
}

/// Bind a filter to a port device from an XML file (virsh nwfilter-binding-create FILE
/// [--validate]).
///
/// The file is one well-formed <filterbinding> with <portdev name=...> and <filterref
/// filter=...>: anything else is exit 7 before libvirt is asked; a port device bound already is
/// exit 4. libvirt applies the filter's rules to the device at once. Undone on a later failure:
/// the binding is deleted.
#[derive(Debug, clap::Args)]
pub struct NwfilterBindingCreate {
    /// The binding XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// Check the document against libvirt's schema.
    #[arg(long)]
    pub validate: bool,
}

impl Verb for NwfilterBindingCreate {
    type Ctx = Session;
    type Output = BindingChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<BindingChanged> {
        let file = self.file.display().to_string();
        let xml = vnet_common::files::read_text(&self.file, vnet_common::files::MAX_XML)?;
        let def = BindingDef::from_xml(&xml).map_err(|e| e.context(quote(&file)))?;
        let (Some(portdev), Some(_)) = (def.portdev(), def.filter()) else {
            return Err(Error::invalid(format!(
                "{}: a binding needs <portdev name=...> and <filterref filter=...>",
                quote(&file)
            )));
        };
        let conn = ctx.conn()?;
        if find(conn, portdev)?.is_some() {
            return Err(Error::exists(format!(
                "{} has a network filter binding already",
                quote(portdev)
            )));
        }
        let flags = if self.validate {
            sys::VIR_NWFILTER_BINDING_CREATE_VALIDATE
        } else {
            0
        };
        let what = format!(
            "bind a network filter to {} from {}",
            quote(portdev),
            quote(&file)
        );
        let binding = FilterBinding::create_xml(conn, &xml, flags)?.libvirt(&what)?;
        let portdev = binding.port_dev().libvirt("binding port device")?;
        journal.record_fn(format!("bind a network filter to {portdev}"), move || {
            binding.delete().libvirt("delete the binding")
        })?;
        Ok(BindingChanged {
            shown: format!("Network filter binding on {portdev} created from {file}\n\n"),
            portdev,
            changed: true,
        })
    }
}

/// Print a binding's XML (virsh nwfilter-binding-dumpxml PORTDEV).
///
/// Prints the document itself, as virsh does; -o json gives {"portdev", "filter", "xml"}.
#[derive(Debug, clap::Args)]
pub struct NwfilterBindingDumpxml {
    /// The binding's port device.
    pub binding: String,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

/// A binding's XML document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BindingXml {
    pub portdev: String,
    pub filter: String,
    /// The document as libvirt wrote it (printed as it is unless -o json); with --xpath, the
    /// selected nodes as printed.
    pub xml: String,
    /// With --xpath, each selected node's XML; null without --xpath.
    pub nodes: Option<Vec<String>>,
}

impl Render for BindingXml {
    fn document(&self) -> Option<&str> {
        Some(&self.xml)
    }
}

impl Verb for NwfilterBindingDumpxml {
    type Ctx = Session;
    type Output = BindingXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<BindingXml> {
        let binding = find(ctx.conn()?, &self.binding)?.ok_or_else(|| not_found(&self.binding))?;
        let xml = binding.get_xml_desc().libvirt("binding XML")?;
        let (xml, nodes) = self.xpath.shown(xml)?;
        Ok(BindingXml {
            portdev: binding.port_dev().libvirt("binding port device")?,
            filter: binding.filter_name().libvirt("binding filter")?,
            xml,
            nodes,
        })
    }
}

/// Remove a binding (virsh nwfilter-binding-delete PORTDEV): libvirt takes the filter's rules
/// off the device. An unknown one is exit 3 (--missing-ok: "changed": false). Undone on a later
/// failure: the binding is made again from its XML.
#[derive(Debug, clap::Args)]
pub struct NwfilterBindingDelete {
    /// The binding's port device.
    pub binding: String,
    /// Succeed ("changed": false) when there is no such binding.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

impl Verb for NwfilterBindingDelete {
    type Ctx = Session;
    type Output = BindingChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<BindingChanged> {
        let conn = ctx.conn()?;
        let Some(binding) = find(conn, &self.binding)? else {
            if !self.missing_ok {
                return Err(not_found(&self.binding));
            }
            return Ok(BindingChanged {
                portdev: self.binding,
                changed: false,
                shown: String::new(),
            });
        };
        let portdev = binding.port_dev().libvirt("binding port device")?;
        let xml = binding.get_xml_desc().libvirt("binding XML")?;
        binding
            .delete()
            .libvirt(format!("delete the binding on {}", quote(&portdev)))?;
        let conn = conn.clone();
        journal.record_fn(format!("delete the binding on {portdev}"), move || {
            FilterBinding::create_xml(&conn, &xml, 0)?
                .map(drop)
                .libvirt("bind the filter again")
        })?;
        Ok(BindingChanged {
            shown: format!("Network filter binding on {portdev} deleted\n\n"),
            portdev,
            changed: true,
        })
    }
}
