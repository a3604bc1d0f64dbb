//! `list`, `info`, `dumpxml`: reading networks, changing nothing.

use crate::network::{all_states, require, yes_no, NetworkState};
use crate::spec;
use crate::xml::{self, Summary};
use schemars::JsonSchema;
use serde::Serialize;
use virt::sys;
use vnet_common::libvirt::xpath::{self, XpathArgs};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::verb::{Render, TextStyle};
use vnet_common::{Context, Journal, Result, Verb};

/// List networks (active ones unless --all or --inactive; filters combine as in virsh), sorted
/// by name.
///
/// -o text prints virsh net-list's table.
#[derive(Debug, clap::Args)]
pub struct List {
    /// Active and inactive networks.
    #[arg(long, conflicts_with = "inactive")]
    pub all: bool,
    /// Inactive networks only.
    #[arg(long)]
    pub inactive: bool,
    /// Persistent (defined) networks only.
    #[arg(long, conflicts_with = "transient")]
    pub persistent: bool,
    /// Transient (created) networks only.
    #[arg(long)]
    pub transient: bool,
    /// Networks marked to autostart only.
    #[arg(long, conflicts_with = "no_autostart")]
    pub autostart: bool,
    /// Networks not marked to autostart only.
    #[arg(long)]
    pub no_autostart: bool,
    /// Names only, one per line (virsh net-list --name), for `for n in $(vnet-net list --name)`;
    /// -o json still prints the full objects.
    #[arg(long)]
    pub name: bool,
    /// Only the networks tagged LABEL (define/create --tag).
    #[arg(long, value_name = "LABEL")]
    pub tag: Option<String>,
    /// UUIDs only, one per line (virsh net-list --uuid).
    #[arg(long, conflicts_with_all = ["name", "table"])]
    pub uuid: bool,
    /// The table (virsh's default layout, asked for by name).
    #[arg(long, conflicts_with = "name")]
    pub table: bool,
}

impl List {
    /// virsh net-list's filter flags.
    fn flags(&self) -> sys::virConnectListAllNetworksFlags {
        let mut flags = if self.all {
            0
        } else if self.inactive {
            sys::VIR_CONNECT_LIST_NETWORKS_INACTIVE
        } else {
            sys::VIR_CONNECT_LIST_NETWORKS_ACTIVE
        };
        for (wanted, flag) in [
            (self.persistent, sys::VIR_CONNECT_LIST_NETWORKS_PERSISTENT),
            (self.transient, sys::VIR_CONNECT_LIST_NETWORKS_TRANSIENT),
            (self.autostart, sys::VIR_CONNECT_LIST_NETWORKS_AUTOSTART),
            (self.no_autostart, sys::VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART),
        ] {
            if wanted {
                flags |= flag;
            }
        }
        flags
    }
}

/// The networks listed, sorted by name.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Networks(
    pub Vec<NetworkState>,
    /// With --name: the names, one per line, as virsh prints them (the document printed).
    #[serde(skip)]
    #[schemars(skip)]
    pub Option<String>,
);

impl Render for Networks {
    fn document(&self) -> Option<&str> {
        self.1.as_deref()
    }

    fn text(&self, style: TextStyle) -> String {
        let row = |s: &NetworkState| {
            let state = if s.active { "active" } else { "inactive" };
            vec![
                s.name.clone(),
                state.to_string(),
                yes_no(s.autostart).to_string(),
                yes_no(s.persistent).to_string(),
            ]
        };
        let headers = ["Name", "State", "Autostart", "Persistent"];
        vnet_common::table::names_or_table(self.1.as_deref(), &headers, &self.0, row, style)
    }
}

impl Verb for List {
    type Ctx = Session;
    type Output = Networks;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<Networks> {
        vnet_common::tags::check(self.tag.as_deref())?;
        let mut states = all_states(ctx.conn()?, self.flags())?;
        states.retain(|s| self.tag.is_none() || s.tag == self.tag);
        // virsh sorts names case-insensitively.
        states.sort_by_key(|s| (s.name.to_lowercase(), s.name.clone()));
        let names = match (self.name, self.uuid) {
            (true, _) => Some(vnet_common::libvirt::names_document(
                states.iter().map(|s| s.name.as_str()),
                0,
            )),
            (_, true) => Some(vnet_common::libvirt::names_document(
                states.iter().map(|s| s.uuid.as_str()),
                0,
            )),
            _ => None,
        };
        Ok(Networks(states, names))
    }
}

/// Show one network's state.
///
/// -o text prints virsh net-info's layout.
#[derive(Debug, clap::Args)]
pub struct Info {
    /// Network name.
    pub name: String,
}

impl Verb for Info {
    type Ctx = Session;
    type Output = NetworkState;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<NetworkState> {
        spec::validate_name(&self.name)?;
        NetworkState::read(&require(ctx.conn()?, &self.name)?)
    }
}

/// Print a network's libvirt XML (as virsh net-dumpxml does); -o json prints a parsed summary
/// (and so does every line of --batch).
#[derive(Debug, clap::Args)]
pub struct Dumpxml {
    /// Network name.
    pub name: String,
    /// The persistent definition, not the running one.
    #[arg(long)]
    pub inactive: bool,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

/// A network's XML document; its JSON form is the parsed summary.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NetworkXml {
    /// The document as libvirt wrote it (printed as it is unless -o json).
    #[serde(skip)]
    pub document: String,
    /// The network's name.
    pub name: Option<String>,
    /// The network's UUID.
    pub uuid: Option<String>,
    /// nat, route, open, bridge, isolated (no <forward>) or another libvirt forward mode.
    pub mode: String,
    /// The bridge device.
    pub bridge: Option<String>,
    /// The one host interface the network forwards through.
    pub forward_dev: Option<String>,
    /// The bridge's MAC address.
    pub mac: Option<String>,
    /// The guests' DNS domain.
    pub domain: Option<String>,
    /// The host's addresses on the network, as "192.168.122.1/24".
    pub ips: Vec<String>,
    /// The DHCP ranges of every subnet.
    pub dhcp_ranges: Vec<DhcpRange>,
    /// With --xpath, each selected node's XML as printed (with --wrap, the one `<nodes>`
    /// element); null without --xpath. The other fields still describe the whole network.
    pub nodes: Option<Vec<String>>,
}

/// One DHCP range, both ends included.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DhcpRange {
    /// The first address handed out.
    pub start: String,
    /// The last address handed out.
    pub end: String,
}

impl NetworkXml {
    pub fn new(document: String, summary: Summary) -> NetworkXml {
        let dhcp_ranges = summary
            .ips
            .iter()
            .flat_map(|ip| ip.ranges.iter())
            .map(|r| DhcpRange {
                start: r.start.to_string(),
                end: r.end.to_string(),
            })
            .collect();
        NetworkXml {
            document,
            ips: summary.ip_strings(),
            dhcp_ranges,
            name: summary.name,
            uuid: summary.uuid,
            mode: summary.mode,
            bridge: summary.bridge,
            forward_dev: summary.forward_dev,
            mac: summary.mac,
            domain: summary.domain,
            nodes: None,
        }
    }
}

impl Render for NetworkXml {
    fn text(&self, _style: TextStyle) -> String {
        self.document.clone()
    }

    fn document(&self) -> Option<&str> {
        Some(&self.document)
    }
}

impl Verb for Dumpxml {
    type Ctx = Session;
    type Output = NetworkXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<NetworkXml> {
        spec::validate_name(&self.name)?;
        let net = require(ctx.conn()?, &self.name)?;
        let flags = if self.inactive {
            sys::VIR_NETWORK_XML_INACTIVE
        } else {
            0
        };
        let text = net
            .get_xml_desc(flags)
            .libvirt(format!("dump network {}", self.name))?;
        let summary = xml::parse(&text).context(format!("network {}", self.name))?;
        let nodes = self.xpath.select(&text)?;
        let shown = nodes.as_deref().map_or(text, xpath::document);
        // virsh prints a blank line after the document; so do we, so the two compare equal.
        let mut out = NetworkXml::new(format!("{shown}\n"), summary);
        out.nodes = nodes;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn summary_json_of_libvirts_default_network() {
        let xml = "<network>\n  <name>default</name>\n  <uuid>9197b66b-bb0e-4dbe-a315-09e9074cb68c</uuid>\n  \
            <forward mode='nat'/>\n  <bridge name='virbr0' stp='on' delay='0'/>\n  \
            <mac address='52:54:00:6f:03:ea'/>\n  <ip address='192.168.122.1' netmask='255.255.255.0'>\n    \
            <dhcp>\n      <range start='192.168.122.2' end='192.168.122.254'/>\n    </dhcp>\n  </ip>\n</network>\n";
        let out = NetworkXml::new(xml.to_string(), xml::parse(xml).unwrap());
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            json!({"name": "default", "uuid": "9197b66b-bb0e-4dbe-a315-09e9074cb68c", "mode": "nat",
                   "bridge": "virbr0", "forward_dev": null, "mac": "52:54:00:6f:03:ea", "domain": null,
                   "ips": ["192.168.122.1/24"],
                   "dhcp_ranges": [{"start": "192.168.122.2", "end": "192.168.122.254"}],
                   "nodes": null})
        );
        assert_eq!(out.document(), Some(xml));
    }
}
