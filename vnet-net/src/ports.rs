//! A network's ports (virsh net-port-list, net-port-create, net-port-dumpxml, net-port-delete):
//! the plugs libvirt hands out on an active network, one per guest NIC or per port made by hand.
//! A port is named by its UUID.

use schemars::JsonSchema;
use serde::Serialize;
use std::path::PathBuf;
use virt::network::Network;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{is_uuid, network as lookup};
use vnet_common::libvirt::ports::{NetworkPort, PortDef};
use vnet_common::libvirt::xpath::XpathArgs;
use vnet_common::libvirt::{names_document, LibvirtContext, Session};
use vnet_common::{table, Error, Journal, Render, Result, TextStyle, Verb};

/// One port, as its XML describes it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PortRow {
    pub uuid: String,
    /// The domain the port is for (name), when its XML names one.
    pub owner: Option<String>,
    /// That domain's UUID.
    pub owner_uuid: Option<String>,
    pub mac: Option<String>,
    /// How it is plugged: "network", "bridge", "direct", "hostdev-pci".
    pub plug: Option<String>,
    /// The host bridge (or device) it is plugged into.
    pub bridge: Option<String>,
}

fn row_of(port: &NetworkPort) -> Result<PortRow> {
    let uuid = port.get_uuid_string().libvirt("network port UUID")?;
    let xml = port
        .get_xml_desc()
        .libvirt(format!("XML of network port {uuid}"))?;
    let def = PortDef::from_xml(&xml)
        .map_err(|e| Error::failed(format!("port XML from libvirt: {}", e.message)))?;
    let owner = def.owner.unwrap_or_default();
    let plug = def.plug.unwrap_or_default();
    Ok(PortRow {
        uuid,
        owner: owner.name,
        owner_uuid: owner.uuid,
        mac: def.mac.and_then(|m| m.address),
        plug: plug.kind,
        bridge: plug.bridge.or(plug.dev),
    })
}

/// The network's ports (virsh net-port-list NET [--uuid] [--table]).
///
/// Sorted by UUID, as virsh sorts them; -o text prints virsh's table of UUIDs, or with --uuid
/// the UUIDs alone. The network must be
/// active (libvirt keeps ports of running networks only): an inactive one is exit 1.
#[derive(Debug, clap::Args)]
pub struct PortList {
    /// The network: name or UUID.
    pub network: String,
    /// -o text: the UUIDs alone, one a line.
    #[arg(long, conflicts_with = "table")]
    pub uuid: bool,
    /// -o text: virsh's table (the default).
    #[arg(long)]
    pub table: bool,
}

/// The ports `port-list` found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct PortRows(
    pub Vec<PortRow>,
    #[serde(skip)]
    #[schemars(skip)]
    bool,
);

impl Render for PortRows {
    fn text(&self, style: TextStyle) -> String {
        if self.1 {
            return names_document(self.0.iter().map(|r| r.uuid.as_str()), 0);
        }
        let rows: Vec<Vec<String>> = self.0.iter().map(|r| vec![r.uuid.clone()]).collect();
        table::render(&["UUID"], &rows, style)
    }
}

impl Verb for PortList {
    type Ctx = Session;
    type Output = PortRows;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<PortRows> {
        let net = lookup(ctx.conn()?, &self.network)?;
        let ports =
            NetworkPort::list_all(&net).libvirt(format!("ports of network {}", quote(&self.network)))?;
        let mut rows = ports.iter().map(row_of).collect::<Result<Vec<_>>>()?;
        // virsh sorts the ports by UUID (libvirt hands them out in hash order).
        rows.sort_by(|a, b| a.uuid.cmp(&b.uuid));
        Ok(PortRows(rows, self.uuid))
    }
}

/// A port made or deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PortChanged {
    /// The network's name.
    pub network: String,
    pub uuid: String,
    /// False only for delete --missing-ok of a port that was not there.
    pub changed: bool,
    #[serde(skip)]
    #[schemars(skip)]
    shown: String,
}

impl Render for PortChanged {
    fn text(&self, _style: TextStyle) -> String {
        self.shown.clone()
    }
}

/// Create a port on an active network from an XML file (virsh net-port-create NET FILE
/// [--validate]).
///
/// The file is one well-formed <networkport> document with its <uuid> (libvirt needs one);
/// anything else is exit 7 before libvirt is asked, a UUID the network has already is exit 4.
/// --validate checks it against libvirt's schema. Undone on a later failure: the port is deleted.
#[derive(Debug, clap::Args)]
pub struct PortCreate {
    /// The network: name or UUID.
    pub network: String,
    /// The port XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// Check the document against libvirt's schema.
    #[arg(long)]
    pub validate: bool,
}

impl Verb for PortCreate {
    type Ctx = Session;
    type Output = PortChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PortChanged> {
        let file = self.file.display().to_string();
        let xml = vnet_common::files::read_text(&self.file, vnet_common::files::MAX_XML)?;
        let def = PortDef::from_xml(&xml).map_err(|e| e.context(quote(&file)))?;
        let uuid = def.uuid.filter(|u| is_uuid(u)).ok_or_else(|| {
            Error::invalid(format!(
                "{}: the port has no <uuid> (libvirt needs one)",
                quote(&file)
            ))
        })?;
        let net = lookup(ctx.conn()?, &self.network)?;
        let network = net.get_name().libvirt("network name")?;
        if NetworkPort::lookup_by_uuid_string(&net, &uuid)?.is_ok() {
            return Err(Error::exists(format!(
                "network {} already has port {uuid}",
                quote(&network)
            )));
        }
        virt::error::clear_error_callback();
        let flags = if self.validate {
            sys::VIR_NETWORK_PORT_CREATE_VALIDATE
        } else {
            0
        };
        let what = format!(
            "create a port on network {} from {}",
            quote(&network),
            quote(&file)
        );
        let port = NetworkPort::create_xml(&net, &xml, flags)?.libvirt(&what)?;
        let uuid = port.get_uuid_string().libvirt("network port UUID")?;
        journal.record_fn(format!("create port {uuid} on network {network}"), move || {
            port.delete().libvirt("delete the port")
        })?;
        Ok(PortChanged {
            shown: format!("Network port {uuid} created from {file}\n\n"),
            network,
            uuid,
            changed: true,
        })
    }
}

/// The port PORT of the network, or None; PORT must be a UUID (exit 7 else).
fn find_port(net: &Network, network: &str, port: &str) -> Result<Option<NetworkPort>> {
    if !is_uuid(port) {
        return Err(Error::invalid(format!(
            "network port {}: not a UUID",
            quote(port)
        )));
    }
    match NetworkPort::lookup_by_uuid_string(net, port.trim())? {
        Ok(found) => Ok(Some(found)),
        Err(e) if e.code() == virt::error::ErrorNumber::NoNetworkPort => Ok(None),
        Err(e) => Err(vnet_common::libvirt::error(e).context(format!("network {}", quote(network)))),
    }
}

fn not_found(network: &str, port: &str) -> Error {
    Error::not_found(format!("network {} has no port {}", quote(network), quote(port)))
        .with_hint(format!("see 'vnet-net port-list {network}'"))
}

/// Print a port's XML (virsh net-port-dumpxml NET PORT).
///
/// Prints the document itself, as virsh does; -o json gives {"network", "uuid", "xml"}.
#[derive(Debug, clap::Args)]
pub struct PortDumpxml {
    /// The network: name or UUID.
    pub network: String,
    /// The port's UUID.
    pub port: String,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

/// A port's XML document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PortXml {
    pub network: String,
    pub uuid: String,
    /// The document as libvirt wrote it (printed as it is unless -o json); with --xpath, the
    /// selected nodes as printed.
    pub xml: String,
    /// With --xpath, each selected node's XML; null without --xpath.
    pub nodes: Option<Vec<String>>,
}

impl Render for PortXml {
    fn document(&self) -> Option<&str> {
        Some(&self.xml)
    }
}

impl Verb for PortDumpxml {
    type Ctx = Session;
    type Output = PortXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<PortXml> {
        let net = lookup(ctx.conn()?, &self.network)?;
        let network = net.get_name().libvirt("network name")?;
        let port = find_port(&net, &network, &self.port)?.ok_or_else(|| not_found(&network, &self.port))?;
        let xml = port.get_xml_desc().libvirt("network port XML")?;
        let (xml, nodes) = self.xpath.shown(xml)?;
        Ok(PortXml {
            uuid: port.get_uuid_string().libvirt("network port UUID")?,
            xml,
            nodes,
            network,
        })
    }
}

/// Delete a port (virsh net-port-delete NET PORT).
///
/// An unknown port is exit 3 (virsh 9.0 says so and exits 0); --missing-ok makes it
/// "changed": false. Undone on a later failure: the port is created again from its XML.
#[derive(Debug, clap::Args)]
pub struct PortDelete {
    /// The network: name or UUID.
    pub network: String,
    /// The port's UUID.
    pub port: String,
    /// Succeed ("changed": false) when the port is not there.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

impl Verb for PortDelete {
    type Ctx = Session;
    type Output = PortChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<PortChanged> {
        let net = lookup(ctx.conn()?, &self.network)?;
        let network = net.get_name().libvirt("network name")?;
        let Some(port) = find_port(&net, &network, &self.port)? else {
            if !self.missing_ok {
                return Err(not_found(&network, &self.port));
            }
            let uuid = self.port.trim().to_string();
            return Ok(PortChanged {
                network,
                uuid,
                changed: false,
                shown: String::new(),
            });
        };
        let uuid = port.get_uuid_string().libvirt("network port UUID")?;
        let xml = port.get_xml_desc().libvirt("network port XML")?;
        port.delete()
            .libvirt(format!("delete port {uuid} of network {}", quote(&network)))?;
        journal.record_fn(format!("delete port {uuid} of network {network}"), move || {
            NetworkPort::create_xml(&net, &xml, 0)?
                .map(drop)
                .libvirt("create the port again")
        })?;
        Ok(PortChanged {
            shown: format!("Network port {uuid} deleted\n\n"),
            network,
            uuid,
            changed: true,
        })
    }
}
