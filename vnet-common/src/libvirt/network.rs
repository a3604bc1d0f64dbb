//! libvirt's `<network>` document as vnet reads and writes it (read and written through
//! [`document`](super::document)). Values stay the strings of the document: what they must be is
//! checked by the tool using them (vnet-net's summary), with its own messages.
//!
//! The model holds what vnet reads and what it builds; other elements are skipped when reading, so
//! a user's document is never rewritten through it (a tag is spliced into the text instead, see
//! the tags module's libvirt part).

use super::document;
use super::metadata::Metadata;
use crate::Result;
use serde::{Deserialize, Serialize};

/// A `<network>` definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(from = "Children", into = "Children")]
pub struct NetworkDef {
    pub name: Option<String>,
    pub uuid: Option<String>,
    pub metadata: Option<Metadata>,
    pub forward: Option<Forward>,
    pub bridge: Option<Bridge>,
    pub mtu: Option<Mtu>,
    pub mac: Option<Mac>,
    pub domain: Option<DomainName>,
    pub dns: Option<Dns>,
    pub ips: Vec<Ip>,
}

impl NetworkDef {
    /// Reads a network definition (exit 7 for malformed XML or another root element).
    pub fn from_xml(xml: &str) -> Result<NetworkDef> {
        document::read(xml, "network")
    }

    /// The definition as libvirt's own files lay it out (indented, final newline).
    pub fn to_xml(&self) -> String {
        document::write("network", self, true) + "\n"
    }
}

/// `<forward mode= dev=>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Forward {
    #[serde(rename = "@mode", skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(rename = "@dev", skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
}

/// `<bridge name= stp= delay=>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Bridge {
    #[serde(rename = "@name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "@stp", skip_serializing_if = "Option::is_none")]
    pub stp: Option<String>,
    #[serde(rename = "@delay", skip_serializing_if = "Option::is_none")]
    pub delay: Option<String>,
}

/// `<mtu size=>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Mtu {
    #[serde(rename = "@size", default)]
    pub size: String,
}

/// `<mac address=>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Mac {
    #[serde(rename = "@address", skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// `<domain name=>`: the guests' DNS domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct DomainName {
    #[serde(rename = "@name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `<ip family= address= netmask= prefix=>` with its `<dhcp>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Ip {
    #[serde(rename = "@family", skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(rename = "@address", skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(rename = "@netmask", skip_serializing_if = "Option::is_none")]
    pub netmask: Option<String>,
    #[serde(rename = "@prefix", skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dhcp: Option<Dhcp>,
}

/// `<dhcp>`: ranges and host reservations (in any order, as libvirt allows).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(from = "DhcpChildren", into = "DhcpChildren")]
pub struct Dhcp {
    pub ranges: Vec<DhcpRange>,
    pub hosts: Vec<DhcpHost>,
}

/// `<range start= end=>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct DhcpRange {
    #[serde(rename = "@start", skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(rename = "@end", skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// `<host mac= id= name= ip=>`: a DHCP host reservation (also the entry net-update takes); an
/// IPv6 one names its client by DUID (`id`) or name, never by MAC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct DhcpHost {
    #[serde(rename = "@mac", skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "@name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "@ip", skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

/// `<dns>`: its host entries (other children, like `<txt>` or `<forwarder>`, are skipped).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(from = "DnsChildren", into = "DnsChildren")]
pub struct Dns {
    pub hosts: Vec<DnsHost>,
}

/// `<host ip=><hostname>NAME</hostname>...</host>` (also the entry net-update takes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct DnsHost {
    #[serde(rename = "@ip", skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(rename = "hostname", default)]
    pub hostnames: Vec<String>,
}

// The serde shapes: children as one sequence of an enum, because quick-xml reads a named `Vec`
// field only from adjacent elements and libvirt lets children interleave. The last of a
// repeated single element wins, as libvirt's parser lets it.

#[derive(Deserialize, Serialize)]
struct Children {
    #[serde(rename = "$value", default)]
    children: Vec<Child>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum Child {
    Name(String),
    Uuid(String),
    #[serde(skip_serializing)]
    Metadata(Metadata),
    Forward(Forward),
    Bridge(Bridge),
    Mtu(Mtu),
    Mac(Mac),
    Domain(DomainName),
    Dns(Dns),
    Ip(Ip),
    #[serde(other, skip_serializing)]
    Other,
}

impl From<Children> for NetworkDef {
    fn from(doc: Children) -> NetworkDef {
        let mut net = NetworkDef::default();
        for child in doc.children {
            match child {
                Child::Name(v) => net.name = Some(v.trim().to_string()),
                Child::Uuid(v) => net.uuid = Some(v.trim().to_string()),
                Child::Metadata(v) => net.metadata = Some(v),
                Child::Forward(v) => net.forward = Some(v),
                Child::Bridge(v) => net.bridge = Some(v),
                Child::Mtu(v) => net.mtu = Some(v),
                Child::Mac(v) => net.mac = Some(v),
                Child::Domain(v) => net.domain = Some(v),
                Child::Dns(v) => net.dns = Some(v),
                Child::Ip(v) => net.ips.push(v),
                Child::Other => {}
            }
        }
        net
    }
}

/// libvirt's order. Metadata is never written from the model (see the module comment).
impl From<NetworkDef> for Children {
    fn from(net: NetworkDef) -> Children {
        let children = [net.name.map(Child::Name), net.uuid.map(Child::Uuid)]
            .into_iter()
            .chain([
                net.forward.map(Child::Forward),
                net.bridge.map(Child::Bridge),
                net.mtu.map(Child::Mtu),
                net.mac.map(Child::Mac),
                net.domain.map(Child::Domain),
                net.dns.map(Child::Dns),
            ])
            .flatten()
            .chain(net.ips.into_iter().map(Child::Ip))
            .collect();
        Children { children }
    }
}

#[derive(Deserialize, Serialize)]
struct DhcpChildren {
    #[serde(rename = "$value", default)]
    children: Vec<DhcpChild>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum DhcpChild {
    Range(DhcpRange),
    Host(DhcpHost),
    #[serde(other, skip_serializing)]
    Other,
}

impl From<DhcpChildren> for Dhcp {
    fn from(doc: DhcpChildren) -> Dhcp {
        let mut dhcp = Dhcp::default();
        for child in doc.children {
            match child {
                DhcpChild::Range(r) => dhcp.ranges.push(r),
                DhcpChild::Host(h) => dhcp.hosts.push(h),
                DhcpChild::Other => {}
            }
        }
        dhcp
    }
}

impl From<Dhcp> for DhcpChildren {
    fn from(dhcp: Dhcp) -> DhcpChildren {
        let ranges = dhcp.ranges.into_iter().map(DhcpChild::Range);
        let children = ranges
            .chain(dhcp.hosts.into_iter().map(DhcpChild::Host))
            .collect();
        DhcpChildren { children }
    }
}

#[derive(Deserialize, Serialize)]
struct DnsChildren {
    #[serde(rename = "$value", default)]
    children: Vec<DnsChild>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum DnsChild {
    Host(DnsHost),
    #[serde(other, skip_serializing)]
    Other,
}

impl From<DnsChildren> for Dns {
    fn from(doc: DnsChildren) -> Dns {
        let hosts = doc
            .children
            .into_iter()
            .filter_map(|child| match child {
                DnsChild::Host(h) => Some(h),
                DnsChild::Other => None,
            })
            .collect();
        Dns { hosts }
    }
}

impl From<Dns> for DnsChildren {
    fn from(dns: Dns) -> DnsChildren {
        DnsChildren {
            children: dns.hosts.into_iter().map(DnsChild::Host).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIBVIRT_DEFAULT: &str = "<network connections='1'>\n  <name>default</name>\n  \
        <uuid>9197b66b-bb0e-4dbe-a315-09e9074cb68c</uuid>\n  <forward mode='nat'>\n    <nat>\n      \
        <port start='1024' end='65535'/>\n    </nat>\n  </forward>\n  \
        <bridge name='virbr0' stp='on' delay='0'/>\n  <mac address='52:54:00:0a:0b:0c'/>\n  \
        <dns>\n    <txt name='x' value='y'/>\n    <host ip='192.168.122.60'>\n      \
        <hostname>web</hostname>\n      <hostname>www</hostname>\n    </host>\n  </dns>\n  \
        <ip address='192.168.122.1' netmask='255.255.255.0'>\n    <dhcp>\n      \
        <range start='192.168.122.2' end='192.168.122.100'/>\n      \
        <host mac='52:54:00:aa:bb:01' name='g1' ip='192.168.122.50'/>\n      \
        <range start='192.168.122.200' end='192.168.122.254'/>\n    </dhcp>\n  </ip>\n  \
        <route address='10.9.0.0' prefix='16' gateway='192.168.122.2'/>\n  \
        <ip family='ipv6' address='fd00::1' prefix='64'/>\n</network>\n";

    #[test]
    fn reads_what_libvirt_writes() {
        let net = NetworkDef::from_xml(LIBVIRT_DEFAULT).unwrap();
        assert_eq!(net.name.as_deref(), Some("default"));
        assert_eq!(net.forward.unwrap().mode.as_deref(), Some("nat"));
        assert_eq!(net.bridge.unwrap().name.as_deref(), Some("virbr0"));
        assert_eq!(net.mac.unwrap().address.as_deref(), Some("52:54:00:0a:0b:0c"));
        assert_eq!(net.ips.len(), 2);
        let dhcp = net.ips[0].dhcp.clone().unwrap();
        assert_eq!(dhcp.ranges.len(), 2);
        assert_eq!(dhcp.hosts[0].name.as_deref(), Some("g1"));
        assert_eq!(net.ips[1].family.as_deref(), Some("ipv6"));
        assert_eq!(net.dns.unwrap().hosts[0].hostnames, ["web", "www"]);
    }

    #[test]
    fn writes_in_libvirts_order() {
        let net = NetworkDef {
            name: Some("n".into()),
            forward: Some(Forward {
                mode: Some("nat".into()),
                dev: None,
            }),
            ips: vec![Ip {
                address: Some("10.0.0.1".into()),
                prefix: Some("24".into()),
                dhcp: Some(Dhcp {
                    ranges: vec![DhcpRange {
                        start: Some("10.0.0.2".into()),
                        end: Some("10.0.0.9".into()),
                    }],
                    hosts: vec![],
                }),
                ..Ip::default()
            }],
            ..NetworkDef::default()
        };
        assert_eq!(
            net.to_xml(),
            "<network>\n  <name>n</name>\n  <forward mode=\"nat\"/>\n  \
             <ip address=\"10.0.0.1\" prefix=\"24\">\n    <dhcp>\n      \
             <range start=\"10.0.0.2\" end=\"10.0.0.9\"/>\n    </dhcp>\n  </ip>\n</network>\n"
        );
        assert_eq!(NetworkDef::from_xml(&net.to_xml()).unwrap(), net);
    }
}
