//! The dumps and queries the tools make over a [`RouteSocket`], decoded.

use super::link::{address_cidr, Interface};
use super::RouteSocket;
use crate::Result;
use rtnetlink::packet_route::address::AddressMessage;
use rtnetlink::packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
use rtnetlink::packet_route::route::{RouteAttribute, RouteMessage, RouteType};
use rtnetlink::packet_route::tc::TcMessage;
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};
use std::collections::HashMap;

impl RouteSocket {
    /// Every link (RTM_GETLINK dump) of `family` (AF_UNSPEC: all links; AF_BRIDGE: bridges and
    /// their ports, with IFLA_AF_SPEC), asking for the extras in `ext_mask` (e.g. RTEXT_FILTER_BRVLAN).
    pub fn links(
        &mut self,
        family: AddressFamily,
        ext_mask: Vec<LinkExtentMask>,
    ) -> Result<Vec<LinkMessage>> {
        let mut message = LinkMessage::default();
        message.header.interface_family = family;
        if !ext_mask.is_empty() {
            message.attributes.push(LinkAttribute::ExtMask(ext_mask));
        }
        let replies = self.dump(RouteNetlinkMessage::GetLink(message))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => Some(link),
                _ => None,
            })
            .collect())
    }

    /// Every address (RTM_GETADDR dump), of all families.
    pub fn addresses(&mut self) -> Result<Vec<AddressMessage>> {
        let replies = self.dump(RouteNetlinkMessage::GetAddress(AddressMessage::default()))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewAddress(address) => Some(address),
                _ => None,
            })
            .collect())
    }

    /// The addresses of the link with index `index`, of all families, the kernel doing the
    /// selecting (ifa_index in a dump request under NETLINK_GET_STRICT_CHK, as `ip addr show dev
    /// X` asks): a verb that prints one link reads only its addresses, however many others the
    /// namespace has. The order is the kernel's, as in a dump of every address.
    pub fn link_addresses(&mut self, index: u32) -> Result<Vec<AddressMessage>> {
        self.strict()?;
        let mut request = AddressMessage::default();
        request.header.index = index;
        let replies = self.dump(RouteNetlinkMessage::GetAddress(request))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewAddress(address) if address.header.index == index => Some(address),
                _ => None,
            })
            .collect())
    }

    /// Every route of `family` (RTM_GETROUTE dump), all tables.
    pub fn routes(&mut self, family: AddressFamily) -> Result<Vec<RouteMessage>> {
        let mut request = RouteMessage::default();
        request.header.address_family = family;
        let replies = self.dump(RouteNetlinkMessage::GetRoute(request))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewRoute(route) => Some(route),
                _ => None,
            })
            .collect())
    }

    /// The routes of `family` that `filter` selects, the kernel doing the selecting (a dump
    /// request under NETLINK_GET_STRICT_CHK, as `ip route show table T dev D type T` asks): a
    /// verb that looks for one route reads only the routes that could be it, so its cost does
    /// not grow with the other routes present. A table that does not exist has no routes.
    pub fn routes_where(&mut self, family: AddressFamily, filter: RouteFilter) -> Result<Vec<RouteMessage>> {
        self.strict()?;
        let mut request = RouteMessage::default();
        request.header.address_family = family;
        if let Some(table) = filter.table {
            // RT_TABLE_COMPAT in the header, the table itself in RTA_TABLE (ip's way).
            request.header.table = u8::try_from(table).unwrap_or(252);
            request.attributes.push(RouteAttribute::Table(table));
        }
        if let Some(kind) = filter.kind {
            request.header.kind = kind;
        }
        if let Some(oif) = filter.oif {
            request.attributes.push(RouteAttribute::Oif(oif));
        }
        let replies = match self.dump(RouteNetlinkMessage::GetRoute(request)) {
            Err(e) if e.kind == crate::ErrorKind::NotFound && filter.table.is_some() => vec![],
            replies => replies?,
        };
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewRoute(route) => Some(route),
                _ => None,
            })
            .collect())
    }

    /// The names of the links with these indexes, each asked for by its index (no dump).
    pub fn names_of(&mut self, indexes: impl IntoIterator<Item = u32>) -> Result<HashMap<u32, String>> {
        let mut names = HashMap::new();
        for index in indexes {
            if names.contains_key(&index) {
                continue;
            }
            if let Some(link) = self.link(index)? {
                let name = link.attributes.iter().find_map(|a| match a {
                    LinkAttribute::IfName(name) => Some(name.clone()),
                    _ => None,
                });
                names.insert(index, name.unwrap_or_default());
            }
        }
        Ok(names)
    }

    /// Every qdisc (RTM_GETQDISC dump).
    pub fn qdiscs(&mut self) -> Result<Vec<TcMessage>> {
        let replies = self.dump(RouteNetlinkMessage::GetQueueDiscipline(TcMessage::default()))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewQueueDiscipline(qdisc) => Some(qdisc),
                _ => None,
            })
            .collect())
    }

    /// The link with index `index`, or None when there is none (RTM_GETLINK for one link).
    pub fn link(&mut self, index: u32) -> Result<Option<LinkMessage>> {
        let mut message = LinkMessage::default();
        message.header.index = index;
        match self.request(RouteNetlinkMessage::GetLink(message)) {
            Ok(Some(RouteNetlinkMessage::NewLink(link))) => Ok(Some(link)),
            Ok(_) => Ok(None),
            Err(e) if e.kind == crate::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The index of the link called `name` (its own name or an alternative one, as the kernel
    /// and ip look names up), or None when there is none: one RTM_GETLINK for that name,
    /// statistics left out, instead of a dump of every link.
    pub fn index_of(&mut self, name: &str) -> Result<Option<u32>> {
        // A name no link can have (the kernel would refuse the request as invalid) is missing,
        // as it was when names were looked up in a dump.
        if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains('\0') {
            return Ok(None);
        }
        let mut message = LinkMessage::default();
        message.attributes.push(LinkAttribute::IfName(name.to_string()));
        message
            .attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        match self.request(RouteNetlinkMessage::GetLink(message)) {
            Ok(Some(RouteNetlinkMessage::NewLink(link))) => Ok(Some(link.header.index)),
            Ok(_) => Ok(None),
            Err(e) if e.kind == crate::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The id the current namespace has assigned to the namespace open as `ns_file`, if any
    /// (RTM_GETNSID, what `ip netns list` prints as "(id: N)").
    pub fn nsid(&mut self, ns_file: &std::fs::File) -> Result<Option<i32>> {
        use rtnetlink::packet_route::nsid::{NsidAttribute, NsidMessage};
        use std::os::fd::AsRawFd;
        let mut message = NsidMessage::default();
        message.attributes = vec![NsidAttribute::Fd(ns_file.as_raw_fd() as u32)];
        match self.request(RouteNetlinkMessage::GetNsId(message))? {
            Some(RouteNetlinkMessage::NewNsId(reply)) => Ok(reply.attributes.iter().find_map(|a| match a {
                NsidAttribute::Id(id) if *id >= 0 => Some(*id),
                _ => None,
            })),
            _ => Ok(None),
        }
    }

    /// The name of every link, by index: what a listing needs to name the links its objects
    /// point to. One RTM_GETLINK dump, the statistics left out (RTEXT_FILTER_SKIP_STATS).
    pub fn link_names(&mut self) -> Result<HashMap<u32, String>> {
        let mut names = HashMap::new();
        self.dump_raw(link_dump_request(), |kind, payload| {
            if let Some(link) = super::link::RawLink::parse(kind, payload) {
                names.insert(link.index, link.name());
            }
        })?;
        Ok(names)
    }

    /// Every link as an [`Interface`] with its addresses (`vnet-ns show`): one RTM_GETLINK dump
    /// (statistics left out) and one RTM_GETADDR dump.
    pub fn interfaces(&mut self) -> Result<Vec<Interface>> {
        self.interfaces_with_stats(0)
    }

    /// [`interfaces`](Self::interfaces), each with its counters when `stats` (ip's number of -s
    /// flags) is at least one: the link dump then carries the statistics.
    pub fn interfaces_with_stats(&mut self, stats: u8) -> Result<Vec<Interface>> {
        let mut links: Vec<(Interface, Option<u32>, Option<u32>)> = vec![];
        let request = match stats {
            0 => link_dump_request(),
            _ => RouteNetlinkMessage::GetLink(LinkMessage::default()),
        };
        self.dump_raw(request, |kind, payload| {
            if let Some(link) = super::link::RawLink::parse(kind, payload) {
                let mut interface = link.interface();
                interface.stats64 = (stats > 0).then(|| link.stats(stats)).flatten();
                links.push((interface, link.master(), link.parent()));
            }
        })?;
        let names: HashMap<u32, String> = links.iter().map(|(l, ..)| (l.index, l.name.clone())).collect();
        let mut by_link: HashMap<u32, Vec<String>> = HashMap::new();
        for addr in self.addresses()? {
            if let Some(cidr) = address_cidr(&addr) {
                by_link.entry(addr.header.index).or_default().push(cidr);
            }
        }
        Ok(links
            .into_iter()
            .map(|(mut link, master, parent)| {
                link.master = master.and_then(|m| names.get(&m).cloned());
                link.name_links(parent, |i| names.get(&i).cloned());
                link.addresses = by_link.remove(&link.index).unwrap_or_default();
                link
            })
            .collect())
    }
}

/// What [`RouteSocket::routes_where`] selects: routes of one table, one type, through one link
/// (None: any).
#[derive(Debug, Clone, Copy, Default)]
pub struct RouteFilter {
    pub table: Option<u32>,
    pub kind: Option<RouteType>,
    pub oif: Option<u32>,
}

/// RTM_GETLINK for every link, without their statistics (most of a link message's bytes).
fn link_dump_request() -> RouteNetlinkMessage {
    let mut message = LinkMessage::default();
    message
        .attributes
        .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
    RouteNetlinkMessage::GetLink(message)
}
