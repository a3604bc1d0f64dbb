//! iface-list, iface-dumpxml, iface-name and iface-mac: reading the host's interfaces.

use super::{name_of, require, By};
use schemars::JsonSchema;
use serde::Serialize;
use virt::interface::Interface;
use virt::sys;
use vnet_common::libvirt::xpath::XpathArgs;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{table, Journal, Render, Result, TextStyle, Verb};

/// The host's interfaces (virsh iface-list [--inactive | --all]): the active ones, sorted by
/// name as virsh sorts them; -o text prints virsh's table.
#[derive(Debug, clap::Args)]
pub struct IfaceList {
    /// Only the inactive interfaces.
    #[arg(long)]
    pub inactive: bool,
    /// Active and inactive interfaces.
    #[arg(long)]
    pub all: bool,
}

/// One interface.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IfaceRow {
    pub name: String,
    /// "active" or "inactive".
    pub state: String,
    pub mac: String,
}

/// The interfaces iface-list found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct IfaceRows(pub Vec<IfaceRow>);

impl Render for IfaceRows {
    fn text(&self, style: TextStyle) -> String {
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|r| vec![r.name.clone(), r.state.clone(), r.mac.clone()])
            .collect();
        table::render(&["Name", "State", "MAC Address"], &rows, style)
    }
}

fn row_of(iface: &Interface) -> Result<IfaceRow> {
    let name = name_of(iface)?;
    let active = iface.is_active().libvirt(format!("state of interface {name}"))?;
    Ok(IfaceRow {
        state: if active { "active" } else { "inactive" }.into(),
        mac: iface
            .get_mac_string()
            .libvirt(format!("MAC of interface {name}"))?,
        name,
    })
}

impl Verb for IfaceList {
    type Ctx = Session;
    type Output = IfaceRows;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<IfaceRows> {
        // As virsh: --all wins over --inactive.
        let flags = match (self.all, self.inactive) {
            (true, _) => 0,
            (false, true) => sys::VIR_CONNECT_LIST_INTERFACES_INACTIVE,
            (false, false) => sys::VIR_CONNECT_LIST_INTERFACES_ACTIVE,
        };
        let ifaces = ctx
            .conn()?
            .list_all_interfaces(flags)
            .libvirt("list interfaces")?;
        let mut rows = ifaces.iter().map(row_of).collect::<Result<Vec<_>>>()?;
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(IfaceRows(rows))
    }
}

/// Print an interface's XML (virsh iface-dumpxml INTERFACE [--inactive] [--xpath EXPR]
/// [--wrap]); INTERFACE is a name or a MAC address.
///
/// Prints the document itself, as virsh does; -o json gives {"name", "xml", "nodes"}.
#[derive(Debug, clap::Args)]
pub struct IfaceDumpxml {
    /// The interface: name or MAC address.
    pub interface: String,
    /// The definition it starts with next, rather than its live state.
    #[arg(long)]
    pub inactive: bool,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

/// An interface's XML.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IfaceXml {
    pub name: String,
    /// The document as libvirt gives it; with --xpath, the selected nodes as printed.
    pub xml: String,
    /// With --xpath, each selected node's XML; null without --xpath.
    pub nodes: Option<Vec<String>>,
}

impl Render for IfaceXml {
    fn text(&self, _style: TextStyle) -> String {
        self.xml.clone()
    }

    fn document(&self) -> Option<&str> {
        Some(&self.xml)
    }
}

impl Verb for IfaceDumpxml {
    type Ctx = Session;
    type Output = IfaceXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<IfaceXml> {
        let iface = require(ctx.conn()?, &self.interface, By::NameOrMac)?;
        let name = name_of(&iface)?;
        let flags = if self.inactive {
            sys::VIR_INTERFACE_XML_INACTIVE
        } else {
            0
        };
        let xml = iface
            .get_xml_desc(flags)
            .libvirt(format!("XML of interface {name}"))?;
        let (xml, nodes) = self.xpath.shown(xml)?;
        Ok(IfaceXml { name, xml, nodes })
    }
}

/// One value of an interface, printed alone by virsh (iface-name, iface-mac).
#[derive(Debug, Serialize, JsonSchema)]
pub struct IfaceValue {
    pub name: String,
    pub mac: String,
    /// Whether -o text prints the name (iface-name) or the MAC (iface-mac).
    #[serde(skip)]
    pub show_name: bool,
}

impl Render for IfaceValue {
    fn text(&self, _style: TextStyle) -> String {
        let value = if self.show_name { &self.name } else { &self.mac };
        format!("{value}\n\n")
    }
}

fn value_of(iface: &Interface, show_name: bool) -> Result<IfaceValue> {
    let name = name_of(iface)?;
    let mac = iface
        .get_mac_string()
        .libvirt(format!("MAC of interface {name}"))?;
    Ok(IfaceValue { name, mac, show_name })
}

/// The name of the interface with this MAC address (virsh iface-name MAC).
#[derive(Debug, clap::Args)]
pub struct IfaceName {
    /// The interface's MAC address.
    pub interface: String,
}

impl Verb for IfaceName {
    type Ctx = Session;
    type Output = IfaceValue;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<IfaceValue> {
        value_of(&require(ctx.conn()?, &self.interface, By::Mac)?, true)
    }
}

/// The MAC address of the interface of this name (virsh iface-mac NAME).
#[derive(Debug, clap::Args)]
pub struct IfaceMac {
    /// The interface's name.
    pub interface: String,
}

impl Verb for IfaceMac {
    type Ctx = Session;
    type Output = IfaceValue;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<IfaceValue> {
        value_of(&require(ctx.conn()?, &self.interface, By::Name)?, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run, session};

    #[test]
    fn the_test_drivers_interface_reads_as_virsh_prints_it() {
        let _turn = crate::iface::TEST_DRIVER
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut ctx = session();
        // The test driver's host is shared by the process's tests: eth1 is its own.
        let list = run(
            &mut ctx,
            IfaceList {
                inactive: false,
                all: false,
            },
        )
        .unwrap();
        let eth1 = list.0.iter().find(|r| r.name == "eth1").unwrap();
        assert_eq!(
            (eth1.state.as_str(), eth1.mac.as_str()),
            ("active", "aa:bb:cc:dd:ee:ff")
        );
        let only = IfaceRows(vec![IfaceRow {
            name: "eth1".into(),
            state: "active".into(),
            mac: "aa:bb:cc:dd:ee:ff".into(),
        }]);
        assert_eq!(
            only.text(TextStyle::default()),
            " Name   State    MAC Address\n------------------------------------\n eth1   active   aa:bb:cc:dd:ee:ff\n\n"
        );
        let mac = run(
            &mut ctx,
            IfaceMac {
                interface: "eth1".into(),
            },
        )
        .unwrap();
        assert_eq!(mac.text(TextStyle::default()), "aa:bb:cc:dd:ee:ff\n\n");
        let name = IfaceName {
            interface: "aa:bb:cc:dd:ee:ff".into(),
        };
        assert_eq!(run(&mut ctx, name).unwrap().name, "eth1");
        let missing = IfaceMac {
            interface: "eth9".into(),
        };
        assert_eq!(run(&mut ctx, missing).unwrap_err().exit_code(), 3);
        let by_mac = IfaceDumpxml {
            interface: "aa:bb:cc:dd:ee:ff".into(),
            inactive: false,
            xpath: XpathArgs::default(),
        };
        assert!(run(&mut ctx, by_mac).unwrap().xml.contains("name='eth1'"));
    }
}
