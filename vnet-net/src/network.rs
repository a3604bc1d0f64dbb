//! What every verb reports about a network, and finding networks by name.

use crate::spec;
use crate::xml::{self, Summary};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashSet;
use virt::connect::Connect;
use virt::error::ErrorNumber;
use virt::network::Network;
use virt::sys;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::verb::{Render, TextStyle};
use vnet_common::{Context, Error, Result};

/// One network's state, as list, info and every mutating verb report it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NetworkState {
    /// The network's name.
    pub name: String,
    /// The network's UUID, as libvirt reports it.
    pub uuid: String,
    /// True while the network runs.
    pub active: bool,
    /// True when the network has a persistent definition (false: transient, gone once destroyed).
    pub persistent: bool,
    /// True when libvirtd starts the network when it starts.
    pub autostart: bool,
    /// The bridge device; null when the definition names none.
    pub bridge: Option<String>,
    /// nat, route, open, bridge, isolated (no <forward>) or another libvirt forward mode.
    pub mode: String,
    /// The host's addresses on the network, as "192.168.122.1/24".
    pub ips: Vec<String>,
    /// The network's tag (define/create --tag), absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The whole parsed definition (for the checks; not printed).
    #[serde(skip)]
    pub summary: Summary,
}

impl NetworkState {
    pub fn new(name: String, uuid: String, flags: [bool; 3], summary: Summary) -> NetworkState {
        let [active, persistent, autostart] = flags;
        NetworkState {
            name,
            uuid,
            active,
            persistent,
            autostart,
            bridge: summary.bridge.clone(),
            mode: summary.mode.clone(),
            ips: summary.ip_strings(),
            tag: summary.tag.clone(),
            summary,
        }
    }

    pub fn read(net: &Network) -> Result<NetworkState> {
        let name = net.get_name().libvirt("network name")?;
        let what = format!("network {name}");
        let flags = [
            net.is_active().libvirt(&what)?,
            net.is_persistent().libvirt(&what)?,
            net.get_autostart().libvirt(&what)?,
        ];
        let summary = definition(net, false, &name)?;
        Ok(NetworkState::new(
            name,
            net.get_uuid_string().libvirt(&what)?,
            flags,
            summary,
        ))
    }
}

/// `info -o text`: virsh net-info's layout.
impl Render for NetworkState {
    fn text(&self, _style: TextStyle) -> String {
        let mut text = String::new();
        for (label, value) in [
            ("Name:", self.name.as_str()),
            ("UUID:", self.uuid.as_str()),
            ("Active:", yes_no(self.active)),
            ("Persistent:", yes_no(self.persistent)),
            ("Autostart:", yes_no(self.autostart)),
        ] {
            text.push_str(&format!("{label:<15} {value}\n"));
        }
        if let Some(bridge) = &self.bridge {
            text.push_str(&format!("{:<15} {bridge}\n", "Bridge:"));
        }
        text.push('\n');
        text
    }
}

pub fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// A network's state after a verb that may have changed it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Changed {
    #[serde(flatten)]
    pub state: NetworkState,
    /// True when this call changed something.
    pub changed: bool,
}

/// Mutating verbs print nothing in text mode, as virsh does.
impl Render for Changed {}

/// The state of `net` now, with whether this call changed it.
pub fn changed(net: &Network, changed: bool) -> Result<Changed> {
    Ok(Changed {
        state: NetworkState::read(net)?,
        changed,
    })
}

/// What a network's definition says: the running one, or (`inactive`) the persistent one.
pub fn definition(net: &Network, inactive: bool, name: &str) -> Result<Summary> {
    let flags = if inactive {
        sys::VIR_NETWORK_XML_INACTIVE
    } else {
        0
    };
    let text = net.get_xml_desc(flags).libvirt(format!("network {name}"))?;
    xml::parse(&text).context(format!("network {name}"))
}

/// The network `name` names (its UUID or its name, as virsh takes a network), or None.
pub fn lookup(conn: &Connect, name: &str) -> Result<Option<Network>> {
    vnet_common::libvirt::lookup::find_network(conn, name)
}

/// The network called `name`; a missing one is exit 3.
pub fn require(conn: &Connect, name: &str) -> Result<Network> {
    spec::validate_name(name)?;
    lookup(conn, name)?.ok_or_else(|| not_found(name))
}

pub fn not_found(name: &str) -> Error {
    Error::not_found(format!("network {name} not found"))
        .with_hint("see 'vnet-net list --all' for the defined networks")
}

/// The state of every network a listing with `flags` returns.
pub fn all_states(conn: &Connect, flags: sys::virConnectListAllNetworksFlags) -> Result<Vec<NetworkState>> {
    let nets = conn.list_all_networks(flags).libvirt("list networks")?;
    // Three more listings answer active / persistent / autostart for every network at once,
    // instead of three calls per network (what virsh net-list does): listing stays one call
    // per network (its XML) however many networks there are.
    let listed = [
        sys::VIR_CONNECT_LIST_NETWORKS_ACTIVE,
        sys::VIR_CONNECT_LIST_NETWORKS_PERSISTENT,
        sys::VIR_CONNECT_LIST_NETWORKS_AUTOSTART,
    ]
    .map(|flag| uuids_listed(conn, flag));
    let [active, persistent, autostart] = listed;
    let (active, persistent, autostart) = (active?, persistent?, autostart?);
    let mut states = Vec::with_capacity(nets.len());
    for net in &nets {
        let name = net.get_name().libvirt("network name")?;
        let uuid = net.get_uuid_string().libvirt(format!("network {name}"))?;
        let xml = match net.get_xml_desc(0) {
            Ok(xml) => xml,
            // Undefined by someone else between listing and reading: no longer there to list.
            Err(e) if e.code() == ErrorNumber::NoNetwork => continue,
            Err(e) => return Err(vnet_common::libvirt::error(e).context(format!("network {name}"))),
        };
        let summary = xml::parse(&xml).context(format!("network {name}"))?;
        let flags = [&active, &persistent, &autostart].map(|set| set.contains(&uuid));
        states.push(NetworkState::new(name, uuid, flags, summary));
    }
    Ok(states)
}

/// The UUIDs of the networks one filtered listing returns.
fn uuids_listed(conn: &Connect, flag: sys::virConnectListAllNetworksFlags) -> Result<HashSet<String>> {
    let nets = conn.list_all_networks(flag).libvirt("list networks")?;
    nets.iter()
        .map(|n| n.get_uuid_string().libvirt("network uuid"))
        .collect()
}
