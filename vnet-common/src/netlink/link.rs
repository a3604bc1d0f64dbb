//! Link messages read raw for the fields an [`Interface`] has: the one link decoder (listings,
//! monitors, and [`Interface::new`] for a link message rtnetlink returned).
//!
//! Kept raw because of measurement (callgrind instruction counts of release builds, in the
//! sandbox): decoding whole link messages with netlink-packet-route builds every attribute of
//! every link (~17 KiB a link) and made `vnet-ns show` of 100 links cost 4.27 M instructions
//! instead of 1.84 M (+132%), and `vnet-ns qdisc show` +9% with only lo to name; route messages
//! decode typed (see [`super::route`]).

use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::link::State;

// From linux/rtnetlink.h, linux/if_link.h and linux/if.h.
const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;
const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_LINK: u16 = 5;
const IFLA_MASTER: u16 = 10;
const IFLA_OPERSTATE: u16 = 16;
const IFLA_LINKINFO: u16 = 18;
const IFLA_LINK_NETNSID: u16 = 37;
const IFLA_STATS64: u16 = 23;
const IFLA_CARRIER_CHANGES: u16 = 35;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_SLAVE_KIND: u16 = 4;
const IFF_UP: u32 = 1;
const AF_BRIDGE: u8 = 7;

/// An RTM_NEWLINK or RTM_DELLINK payload: struct ifinfomsg (16 bytes: family u8, pad, type u16,
/// index i32 at 4, flags u32 at 8, change u32), then its attributes.
pub struct RawLink<'a> {
    pub index: u32,
    /// AF_BRIDGE for the bridge-family copy of a port's notification.
    pub bridge_family: bool,
    flags: u32,
    attributes: &'a [u8],
}

impl<'a> RawLink<'a> {
    pub const RTM_NEWLINK: u16 = RTM_NEWLINK;
    pub const RTM_DELLINK: u16 = RTM_DELLINK;

    /// The link in a message of type `kind`; None for other messages or a short one.
    pub fn parse(kind: u16, payload: &'a [u8]) -> Option<RawLink<'a>> {
        if !matches!(kind, RTM_NEWLINK | RTM_DELLINK) || payload.len() < 16 {
            return None;
        }
        let word = |at: usize| u32::from_ne_bytes(payload[at..at + 4].try_into().expect("4 bytes"));
        Some(RawLink {
            index: word(4),
            bridge_family: payload[0] == AF_BRIDGE,
            flags: word(8),
            attributes: &payload[16..],
        })
    }

    pub fn name(&self) -> String {
        attribute(self.attributes, IFLA_IFNAME)
            .map(c_string)
            .unwrap_or_default()
    }

    /// Whether the link is called `name`, without making a String of its name.
    pub fn name_is(&self, name: &str) -> bool {
        attribute(self.attributes, IFLA_IFNAME)
            .is_some_and(|value| value.split(|b| *b == 0).next() == Some(name.as_bytes()))
    }

    /// The index of the bridge (or bond) this link is a port of.
    pub fn master(&self) -> Option<u32> {
        self.number(IFLA_MASTER)
    }

    fn number(&self, kind: u16) -> Option<u32> {
        let value = attribute(self.attributes, kind)?;
        Some(u32::from_ne_bytes(value.get(..4)?.try_into().expect("4 bytes")))
    }

    /// The index of the link a vlan, macvlan or ipvlan sits on (IFLA_LINK), for the detailed
    /// kinds only (a veth's IFLA_LINK is its peer, which `show` does not report). None when the
    /// parent is in another namespace (IFLA_LINK_NETNSID): its index means nothing here, and ip
    /// names no "link" then either.
    pub fn parent(&self) -> Option<u32> {
        if attribute(self.attributes, IFLA_LINK_NETNSID).is_some() {
            return None;
        }
        let kind = self.kind()?;
        matches!(kind.as_str(), "vlan" | "macvlan" | "macvtap" | "ipvlan")
            .then(|| self.number(IFLA_LINK))
            .flatten()
            .filter(|index| *index != 0 && *index != self.index)
    }

    /// The link's kind (IFLA_INFO_KIND: "bridge", "veth", ...), None for a plain device.
    pub fn kind(&self) -> Option<String> {
        attribute(self.attributes, IFLA_LINKINFO)
            .and_then(|info| attribute(info, IFLA_INFO_KIND))
            .map(c_string)
    }

    /// The link as vnet-ns show prints it, without the names of the links it points to (master,
    /// parent, a bond's primary) and its addresses: the caller knows the other links and the
    /// addresses ([`Interface::name_links`]).
    pub fn interface(&self) -> Interface {
        let attrs = self.attributes;
        let kind = self.kind();
        let slave_kind = attribute(attrs, IFLA_LINKINFO)
            .and_then(|info| attribute(info, IFLA_INFO_SLAVE_KIND))
            .map(c_string);
        let linkinfo = kind.as_deref().and_then(|kind| {
            let raw = whole_attribute(attrs, IFLA_LINKINFO)?;
            super::kinds::LinkDetails::from_attribute(kind, slave_kind.as_deref(), raw)
        });
        Interface {
            name: self.name(),
            index: self.index,
            kind,
            up: self.flags & IFF_UP != 0,
            state: attribute(attrs, IFLA_OPERSTATE)
                .and_then(|v| v.first())
                .map_or_else(|| "UNKNOWN".to_string(), |s| State::from(*s).to_string()),
            mac: attribute(attrs, IFLA_ADDRESS).map(crate::mac::format_mac),
            mtu: self.number(IFLA_MTU),
            master: None,
            addresses: vec![],
            link: None,
            linkinfo,
            stats64: None,
        }
    }

    /// The link's counters at ip's level of detail (-s flags): see [`super::stats::LinkStats`].
    pub fn stats(&self, level: u8) -> Option<super::stats::LinkStats> {
        let stats64 = attribute(self.attributes, IFLA_STATS64)?;
        let carrier_changes = attribute(self.attributes, IFLA_CARRIER_CHANGES);
        super::stats::LinkStats::from_raw(stats64, carrier_changes, level)
    }
}

impl RawLink<'_> {
    /// The link as a write verb prints it (its addresses aside): [`RawLink::interface`] with its
    /// master, parent and a kind's links named by `name` (a link's name from its index).
    pub fn interface_named(&self, mut name: impl FnMut(u32) -> Option<String>) -> Interface {
        let mut interface = self.interface();
        interface.name_links(self.parent(), &mut name);
        interface.master = self.master().and_then(name);
        interface
    }
}

/// A C string attribute's text, up to its NUL.
fn c_string(value: &[u8]) -> String {
    let text = value.split(|b| *b == 0).next().unwrap_or_default();
    String::from_utf8_lossy(text).into_owned()
}

/// The value of the first attribute of type `wanted` in a run of netlink attributes (struct
/// nlattr: length u16 with its 4-byte header, type u16 whose top two bits are flags; each padded
/// to 4 bytes), None when there is none or the run is malformed.
fn attribute(mut attributes: &[u8], wanted: u16) -> Option<&[u8]> {
    const NLA_TYPE_MASK: u16 = 0x3fff;
    while attributes.len() >= 4 {
        let length = u16::from_ne_bytes([attributes[0], attributes[1]]) as usize;
        let kind = u16::from_ne_bytes([attributes[2], attributes[3]]) & NLA_TYPE_MASK;
        if length < 4 || length > attributes.len() {
            return None;
        }
        if kind == wanted {
            return Some(&attributes[4..length]);
        }
        attributes = attributes.get((length + 3) & !3..).unwrap_or_default();
    }
    None
}

/// The first attribute of type `wanted` with its 4-byte header (what a typed parser of one
/// attribute reads).
fn whole_attribute(attributes: &[u8], wanted: u16) -> Option<&[u8]> {
    let value = attribute(attributes, wanted)?;
    // `value` lies inside `attributes`, 4 bytes after its attribute's start.
    let start = value.as_ptr() as usize - attributes.as_ptr() as usize - 4;
    attributes.get(start..start + 4 + value.len())
}

/// One interface as vnet-ns and vnet-bridge report it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Interface {
    pub name: String,
    pub index: u32,
    /// "veth", "bridge", "tun"...; null for plain devices such as lo.
    pub kind: Option<String>,
    /// The administrative UP flag.
    pub up: bool,
    /// Operational state as ip prints it: UP, DOWN, UNKNOWN, LOWERLAYERDOWN.
    pub state: String,
    pub mac: Option<String>,
    pub mtu: Option<u32>,
    /// The bridge this interface is a port of.
    pub master: Option<String>,
    /// Addresses as CIDRs, e.g. "192.168.100.2/24".
    pub addresses: Vec<String>,
    /// The link a vlan, macvlan, macvtap or ipvlan sits on (ip -j's "link"); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The kind's details as `ip -d -j link show` names them, for vlan, macvlan, macvtap, ipvlan,
    /// dummy, bond, vxlan, gre, gretap, ipip, sit and wireguard links, and a bond slave's state
    /// (info_slave_kind, info_slave_data); absent for other links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linkinfo: Option<super::kinds::LinkDetails>,
    /// The link's counters (ip -s -j's `stats64`), with `-s` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats64: Option<super::stats::LinkStats>,
}

impl Interface {
    /// Names what the details point to by index: the parent link and a kind's links (a bond's
    /// primary, a tunnel's dev), by `name` (a link's name from its index).
    pub fn name_links(&mut self, parent: Option<u32>, mut name: impl FnMut(u32) -> Option<String>) {
        self.link = parent.and_then(&mut name);
        if let Some(details) = self.linkinfo.as_mut() {
            details.name_links(name);
        }
    }
}

/// "192.168.100.2/24" for an address message (the local address on point-to-point links).
pub fn address_cidr(message: &AddressMessage) -> Option<String> {
    let mut address = None;
    for attr in &message.attributes {
        match attr {
            AddressAttribute::Local(ip) => return Some(format!("{ip}/{}", message.header.prefix_len)),
            AddressAttribute::Address(ip) => address = Some(*ip),
            _ => {}
        }
    }
    address.map(|ip| format!("{ip}/{}", message.header.prefix_len))
}

#[cfg(test)]
mod tests {
    #[test]
    fn attribute_walks_padded_attributes() {
        // IFLA_MTU (4) = 1500, then IFLA_IFNAME (3) = "lo\0" (7 bytes, padded to 8).
        let mut run = vec![8, 0, 4, 0];
        run.extend(1500u32.to_ne_bytes());
        run.extend([7, 0, 3, 0, b'l', b'o', 0, 0]);
        assert_eq!(super::attribute(&run, 3), Some(&b"lo\0"[..]));
        assert_eq!(super::attribute(&run, 4), Some(&1500u32.to_ne_bytes()[..]));
        assert_eq!(super::attribute(&run, 9), None);
        assert_eq!(
            super::attribute(&run[..6], 3),
            None,
            "a truncated run is no attribute"
        );
    }
}
