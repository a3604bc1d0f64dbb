//! One-shot link requests over a blocking [`RouteSocket`]: look a link up, make, change and
//! delete it, each one request and its ack, sent with the flags rtnetlink's request builders send.
//! For speed: a verb that makes one or two link changes (brctl's verbs: one ioctl each in brctl)
//! paid more for the async runtime (its start, the connection task, epoll) than for its requests.

use super::RouteSocket;
use crate::{ErrorKind, Result};
use rtnetlink::packet_core::{NLM_F_CREATE, NLM_F_ECHO, NLM_F_EXCL};
use rtnetlink::packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
use rtnetlink::packet_route::neighbour::{NeighbourAttribute, NeighbourMessage};
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};

impl RouteSocket {
    /// The link called `name` (its own name or an alternative one, as the kernel looks names
    /// up), in brief ([`brief_link`]), or None when there is none: one RTM_GETLINK for that name,
    /// statistics left out.
    pub fn link_named(&mut self, name: &str) -> Result<Option<LinkMessage>> {
        let mut message = LinkMessage::default();
        message.attributes.push(LinkAttribute::IfName(name.to_string()));
        self.link_brief(message)
    }

    /// The link with index `index`, in brief ([`brief_link`]), or None when there is none.
    pub fn link_indexed(&mut self, index: u32) -> Result<Option<LinkMessage>> {
        let mut message = LinkMessage::default();
        message.header.index = index;
        self.link_brief(message)
    }

    /// The one link that `request` (RTM_GETLINK by name or index) names, in brief.
    fn link_brief(&mut self, mut request: LinkMessage) -> Result<Option<LinkMessage>> {
        request
            .attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        let mut found: Result<Option<LinkMessage>> = Ok(None);
        let asked = self.request_raw(RouteNetlinkMessage::GetLink(request), 0, |kind, payload| {
            found = brief_link(kind, payload, &BRIEF_FIELDS);
        });
        match asked {
            Ok(()) => found,
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Makes a new link (RTM_NEWLINK with NLM_F_CREATE and NLM_F_EXCL: a taken name is the
    /// kernel's EEXIST, exit 4) and returns it as the kernel made it: asked with NLM_F_ECHO, the
    /// kernel (6.3 and later) sends it back before its ack, so no second request reads it. None
    /// when no echo came (an older kernel): read it back by name.
    pub fn create_link(&mut self, message: LinkMessage) -> Result<Option<LinkMessage>> {
        let mut made = None;
        let flags = NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO;
        self.request_raw(RouteNetlinkMessage::NewLink(message), flags, |kind, payload| {
            if let Ok(Some(RouteNetlinkMessage::NewLink(link))) = super::decode(kind, payload) {
                made = Some(link);
            }
        })?;
        Ok(made)
    }

    /// RTM_SETLINK of `message` (by its index, or by IFLA_IFNAME with index 0), as
    /// `ip link set` and rtnetlink's `link().set()` send it.
    pub fn set_link(&mut self, message: LinkMessage) -> Result<()> {
        self.change(RouteNetlinkMessage::SetLink(message), NLM_F_CREATE | NLM_F_EXCL)
    }

    /// RTM_NEWLINK on an existing link (no NLM_F_CREATE): what `ip link set ... type bridge
    /// ...` and `bridge link set` send to change a bridge's or a port's IFLA_*_DATA.
    pub fn change_link(&mut self, message: LinkMessage) -> Result<()> {
        self.change(RouteNetlinkMessage::NewLink(message), 0)
    }

    /// Deletes link `index` (RTM_DELLINK).
    pub fn delete_link(&mut self, index: u32) -> Result<()> {
        let mut message = LinkMessage::default();
        message.header.index = index;
        self.change(RouteNetlinkMessage::DelLink(message), 0)
    }
}

impl RouteSocket {
    /// The ports of bridge `master` (every link whose master it is), the kernel doing the
    /// selecting (IFLA_MASTER in a dump request under NETLINK_GET_STRICT_CHK, as `ip link show
    /// master BR` asks), statistics left out, each in brief ([`brief_link`]): a verb about one
    /// bridge reads only its links, however many others the namespace has.
    pub fn links_of_master(&mut self, master: u32) -> Result<Vec<LinkMessage>> {
        let mut ports = vec![];
        self.each_link_of_master(master, |port| ports.push(port))?;
        Ok(ports)
    }

    /// [`RouteSocket::links_of_master`], each port handed to `each` as it is read and not kept:
    /// a verb that needs a little of each port holds that little (see [`Self::each_link_counted`]).
    pub fn each_link_of_master(&mut self, master: u32, mut each: impl FnMut(LinkMessage)) -> Result<()> {
        self.strict()?;
        let mut message = LinkMessage::default();
        message.attributes.push(LinkAttribute::Controller(master));
        message
            .attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        self.each_brief(message, BRIEF_FIELDS, |link| {
            if link_master(&link) == Some(master) {
                each(link)
            }
        })
    }

    /// Every link of the namespace in brief ([`brief_link`]) with its 64-bit counters
    /// (IFLA_STATS64) kept, each handed to `each` as it is read and not kept: what `vnet-bridge
    /// show` lists (see [`RouteSocket::each_link_with`]).
    pub fn each_link_counted(&mut self, each: impl FnMut(LinkMessage)) -> Result<()> {
        self.each_link_with(&[], Detail::Counted, each)
    }

    /// Every link of the namespace in brief ([`BRIEF`]) and with the `extra` attributes, as
    /// much of each as `detail` says, each handed to `each` as it is read. For memory:
    /// netlink-packet-route's attribute values are a few hundred bytes each whatever they hold,
    /// so a link decoded whole is about 20 KiB of heap, 12 KiB without its per-family settings
    /// and counters, and listings that held every link of a namespace of 400 links peaked at
    /// 4-7x the classic tools' memory.
    pub fn each_link_with(
        &mut self,
        extra: &[u16],
        detail: Detail,
        each: impl FnMut(LinkMessage),
    ) -> Result<()> {
        let counters = detail == Detail::Counted;
        let mut request = LinkMessage::default();
        if !counters {
            request
                .attributes
                .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        }
        let fields = fields_of(extra, detail);
        self.each_brief(request, fields, each)
    }

    /// [`RouteSocket::each_link_with`] without the counters, collected.
    pub fn links_with(&mut self, extra: &[u16], detail: Detail) -> Result<Vec<LinkMessage>> {
        let mut links = vec![];
        self.each_link_with(extra, detail, |link| links.push(link))?;
        Ok(links)
    }

    /// Dumps the links `request` asks for, each decoded with only the `keep` attributes; the
    /// first link that does not decode is the error, after the dump is read to its end.
    fn each_brief(
        &mut self,
        request: LinkMessage,
        fields: Fields<impl Fn(u16) -> bool>,
        mut each: impl FnMut(LinkMessage),
    ) -> Result<()> {
        let mut failed = None;
        self.dump_raw(
            RouteNetlinkMessage::GetLink(request),
            |kind, payload| match brief_link(kind, payload, &fields) {
                Ok(Some(link)) => each(link),
                Ok(None) => {}
                Err(e) => failed = failed.take().or(Some(e)),
            },
        )?;
        match failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The forwarding database of bridge `master` and of its ports (an AF_BRIDGE RTM_GETNEIGH
    /// dump with NDA_MASTER under NETLINK_GET_STRICT_CHK, as `bridge fdb show br BR` asks).
    pub fn bridge_fdb(&mut self, master: u32) -> Result<Vec<NeighbourMessage>> {
        self.strict()?;
        let mut request = NeighbourMessage::default();
        request.header.family = AddressFamily::Bridge;
        request.attributes.push(NeighbourAttribute::Controller(master));
        let replies = self.dump(RouteNetlinkMessage::GetNeighbour(request))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewNeighbour(entry) => Some(entry),
                _ => None,
            })
            .collect())
    }
}

/// The link attributes a link read in brief keeps (IFLA_*): address, name, MTU, link, master,
/// operational state, kind with its data and its port data (IFLA_LINKINFO), alias.
const BRIEF: [u16; 8] = [1, 3, 4, 5, 10, 16, 18, 20];

fn in_brief(kind: u16) -> bool {
    BRIEF.contains(&kind)
}

/// How much of each link a listing reads besides [`BRIEF`] and its extra attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// The kind's own data too (IFLA_INFO_DATA: a bridge's options, a VXLAN's endpoints).
    KindData,
    /// The kind's data and the counters (IFLA_STATS64, IFLA_CARRIER_CHANGES).
    Counted,
    /// The kind and a port's data (IFLA_INFO_SLAVE_DATA) without the kind's own data.
    NoKindData,
}

/// Which attributes [`brief_link`] keeps: the top-level ones `keep` says yes to, and within
/// IFLA_LINKINFO the kind's data only when `kind_data`.
struct Fields<K: Fn(u16) -> bool> {
    keep: K,
    kind_data: bool,
}

const BRIEF_FIELDS: Fields<fn(u16) -> bool> = Fields {
    keep: in_brief,
    kind_data: true,
};

/// The attributes a read with `extra` and `detail` keeps (see [`RouteSocket::each_link_with`]).
fn fields_of(extra: &[u16], detail: Detail) -> Fields<impl Fn(u16) -> bool + '_> {
    let counters = detail == Detail::Counted;
    let keep = move |kind| in_brief(kind) || extra.contains(&kind) || (counters && COUNTERS.contains(&kind));
    Fields {
        keep,
        kind_data: detail != Detail::NoKindData,
    }
}

/// One message of a link dump (`kind`, `payload`, as [`RouteSocket::dump_raw`] hands them)
/// decoded as [`RouteSocket::each_link_with`] decodes it with no extra attributes: for a
/// listing that reads most links from their bytes ([`super::RawLink`]) and decodes a few.
pub fn link_in_brief(kind: u16, payload: &[u8], detail: Detail) -> Result<Option<LinkMessage>> {
    brief_link(kind, payload, &fields_of(&[], detail))
}

/// A link's counters: IFLA_STATS64 and IFLA_CARRIER_CHANGES.
const COUNTERS: [u16; 2] = [23, 35];

/// A link message (`kind` RTM_NEWLINK) decoded with only the attributes `keep` says yes to
/// (IFLA_*, [`BRIEF`] for most); None for a message of another type. For speed: netlink-packet-route decodes every attribute into values
/// of its own, and the ones no bridge verb reads (IFLA_AF_SPEC's per-family settings the most)
/// were about a third of the instructions of reading one link.
fn brief_link<K: Fn(u16) -> bool>(
    kind: u16,
    payload: &[u8],
    fields: &Fields<K>,
) -> Result<Option<LinkMessage>> {
    const RTM_NEWLINK: u16 = 16;
    const IFINFOMSG: usize = 16;
    if kind != RTM_NEWLINK || payload.len() < IFINFOMSG {
        return Ok(None);
    }
    const IFLA_LINKINFO: u16 = 18;
    const IFLA_INFO_DATA: u16 = 2;
    let mut kept = payload[..IFINFOMSG].to_vec();
    for (kind, attribute) in attributes(&payload[IFINFOMSG..]) {
        match kind {
            IFLA_LINKINFO if !fields.kind_data => {
                let start = kept.len();
                kept.extend_from_slice(&attribute[..4]);
                for (inner, nested) in attributes(&attribute[4..]) {
                    if inner != IFLA_INFO_DATA {
                        kept.extend_from_slice(nested);
                    }
                }
                let length = (kept.len() - start) as u16;
                kept[start..start + 2].copy_from_slice(&length.to_ne_bytes());
            }
            _ if (fields.keep)(kind) => kept.extend_from_slice(attribute),
            _ => {}
        }
    }
    match super::decode(RTM_NEWLINK, &kept)? {
        // Each attribute value is 208 bytes: the vector's spare room is most of a brief link.
        Some(RouteNetlinkMessage::NewLink(mut link)) => {
            link.attributes.shrink_to_fit();
            Ok(Some(link))
        }
        _ => Ok(None),
    }
}

/// The netlink attributes packed in `bytes`, each as its type (flag bits cleared) and its
/// bytes with header and padding; a truncated last one ends them. struct nlattr: length u16
/// (header included), type u16 (two flag bits on top); each attribute starts 4-byte aligned.
fn attributes(bytes: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at + 4 > bytes.len() {
            return None;
        }
        let length = u16::from_ne_bytes([bytes[at], bytes[at + 1]]) as usize;
        if length < 4 || at + length > bytes.len() {
            return None;
        }
        let next = ((at + length + 3) & !3).min(bytes.len());
        let kind = u16::from_ne_bytes([bytes[at + 2], bytes[at + 3]]) & 0x3fff;
        let attribute = &bytes[at..next];
        at = next;
        Some((kind, attribute))
    })
}

fn link_master(link: &LinkMessage) -> Option<u32> {
    link.attributes.iter().find_map(|a| match a {
        LinkAttribute::Controller(index) => Some(*index),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One attribute as the kernel writes it: header, value, padding to 4 bytes.
    fn attr(kind: u16, value: &[u8]) -> Vec<u8> {
        let mut bytes = ((4 + value.len()) as u16).to_ne_bytes().to_vec();
        bytes.extend_from_slice(&kind.to_ne_bytes());
        bytes.extend_from_slice(value);
        bytes.resize(bytes.len().div_ceil(4) * 4, 0);
        bytes
    }

    #[test]
    fn a_link_in_brief_keeps_only_the_attributes_the_verbs_read() {
        let mut payload = vec![0u8; 16];
        payload[4..8].copy_from_slice(&9i32.to_ne_bytes()); // ifi_index
        payload.extend(attr(3, b"br0\0")); // IFLA_IFNAME
        payload.extend(attr(13, &1000u32.to_ne_bytes())); // IFLA_TXQLEN: dropped
        payload.extend(attr(10, &7u32.to_ne_bytes())); // IFLA_MASTER
        payload.extend(attr(6, b"noqueue\0")); // IFLA_QDISC: dropped
        payload.extend(attr(20, b"vnet:tag=lab")); // IFLA_IFALIAS
        let link = brief_link(16, &payload, &BRIEF_FIELDS).unwrap().unwrap();
        assert_eq!(link.header.index, 9);
        assert_eq!(
            link.attributes,
            vec![
                LinkAttribute::IfName("br0".into()),
                LinkAttribute::Controller(7),
                LinkAttribute::IfAlias("vnet:tag=lab".into()),
            ]
        );
        assert_eq!(link_master(&link), Some(7));
        // Another message type, or one too short for its header, is no link.
        assert!(brief_link(20, &payload, &BRIEF_FIELDS).unwrap().is_none());
        assert!(brief_link(16, &payload[..8], &BRIEF_FIELDS).unwrap().is_none());
        // A truncated last attribute ends the message: what came before is kept.
        let cut = &payload[..payload.len() - 2];
        let link = brief_link(16, cut, &BRIEF_FIELDS).unwrap().unwrap();
        assert_eq!(link.attributes.len(), 2);
    }

    #[test]
    fn a_link_without_kind_data_keeps_its_kind_and_port_data() {
        let mut payload = vec![0u8; 16];
        payload.extend(attr(3, b"br0\0"));
        let mut info = attr(1, b"bridge\0"); // IFLA_INFO_KIND
        info.extend(attr(2, &attr(13, &1u32.to_ne_bytes()))); // IFLA_INFO_DATA: dropped
        info.extend(attr(4, b"bridge\0")); // IFLA_INFO_SLAVE_KIND
        payload.extend(attr(18, &info));
        payload.extend(attr(13, &1000u32.to_ne_bytes())); // IFLA_TXQLEN: not asked for
        let fields = Fields {
            keep: in_brief,
            kind_data: false,
        };
        let link = brief_link(16, &payload, &fields).unwrap().unwrap();
        use rtnetlink::packet_route::link::{InfoKind, InfoPortKind, LinkInfo};
        assert_eq!(
            link.attributes,
            vec![
                LinkAttribute::IfName("br0".into()),
                LinkAttribute::LinkInfo(vec![
                    LinkInfo::Kind(InfoKind::Bridge),
                    LinkInfo::PortKind(InfoPortKind::Bridge)
                ]),
            ]
        );
        let whole = brief_link(16, &payload, &BRIEF_FIELDS).unwrap().unwrap();
        assert!(matches!(&whole.attributes[1], LinkAttribute::LinkInfo(info) if info.len() == 3));
    }
}
