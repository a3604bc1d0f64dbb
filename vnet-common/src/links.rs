//! Link and address operations over rtnetlink shared by vnet-ns and vnet-bridge, and the JSON
//! shape of an interface.

use crate::netlink::RawLink;
pub use crate::netlink::{address_cidr, Interface};
use crate::{Error, Result};
use futures::TryStreamExt;
use ipnet::IpNet;
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkInfo, LinkMessage};
use rtnetlink::{Handle, LinkUnspec};

/// The link called `name`, or None when there is none.
pub async fn find_link(handle: &Handle, name: &str) -> Result<Option<LinkMessage>> {
    let mut links = handle.link().get().match_name(name.to_string()).execute();
    match links.try_next().await {
        Ok(link) => Ok(link),
        Err(e) => {
            let e = Error::from(e);
            if e.kind == crate::ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e.context(format!("look up interface '{name}'")))
            }
        }
    }
}

/// The link called `name`; exit code 3 naming the namespace when it is missing.
pub async fn require_link(handle: &Handle, name: &str, netns: Option<&str>) -> Result<LinkMessage> {
    find_link(handle, name)
        .await?
        .ok_or_else(|| missing_link(name, netns))
}

/// The error for a link `name` that `netns` (None: the current namespace) does not have (exit 3).
pub fn missing_link(name: &str, netns: Option<&str>) -> Error {
    Error::not_found(format!(
        "interface '{name}' not found in {}",
        crate::netns::describe(netns)
    ))
}

/// `link` as the listings print it ([`Interface`]), after a change: its master named by one
/// request for that one link, not a dump of every link. For speed: a write verb prints the link it
/// changed, and decoding every link of the namespace to name one master made `vnet-ns link set`
/// with 1000 other veth pairs and bridges present take 0.6 s (bench BENCH_ONLY=writes, 2026-12-07).
/// Its addresses are the kernel's answer for that one link ([`addresses_of`]); `netns` is the
/// namespace of `handle` (None: the current one).
pub async fn interface_of(handle: &Handle, netns: Option<&str>, link: &LinkMessage) -> Result<Interface> {
    let master = match link_master(link) {
        Some(index) => link_by_index(handle, index).await?,
        None => None,
    };
    let addresses = addresses_of(netns, link.header.index)?;
    Ok(Interface::new(link, &addresses, master.as_slice()))
}

/// Makes a new link (RTM_NEWLINK with NLM_F_CREATE and NLM_F_EXCL: a taken name is the kernel's
/// EEXIST) and returns it as the kernel made it, when the kernel said. For speed: asked with
/// NLM_F_ECHO, the kernel (6.3 and later) sends the new link back to the asking socket before its
/// ack, so a verb that prints the link it made needs no second request to read it back (a
/// `--batch` of 1000 `link add` lines made 1000 requests fewer). None when no echo came (an older
/// kernel): read the link back by name. A link made in another namespace (IFLA_NET_NS_FD or
/// IFLA_NET_NS_PID in `message`) is not echoed here: that namespace's notification would go to
/// whichever of its sockets has this socket's port number, so it is not asked for.
pub async fn create_link(
    handle: &Handle,
    message: LinkMessage,
) -> std::result::Result<Option<LinkMessage>, rtnetlink::Error> {
    use futures::StreamExt;
    use netlink_packet_route::RouteNetlinkMessage;
    use rtnetlink::packet_core::{
        NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_ECHO, NLM_F_EXCL, NLM_F_REQUEST,
    };
    let elsewhere = message
        .attributes
        .iter()
        .any(|a| matches!(a, LinkAttribute::NetNsFd(_) | LinkAttribute::NetNsPid(_)));
    let mut request = NetlinkMessage::from(RouteNetlinkMessage::NewLink(message));
    request.header.flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    if !elsewhere {
        request.header.flags |= NLM_F_ECHO;
    }
    let mut replies = handle.clone().request(request)?;
    let mut made = None;
    while let Some(reply) = replies.next().await {
        match reply.payload {
            NetlinkPayload::Error(e) => return Err(rtnetlink::Error::NetlinkError(e)),
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(link)) => made = Some(link),
            _ => {}
        }
    }
    Ok(made)
}

/// The link with index `index`, or None when there is none.
pub async fn link_by_index(handle: &Handle, index: u32) -> Result<Option<LinkMessage>> {
    let mut links = handle.link().get().match_index(index).execute();
    match links.try_next().await {
        Ok(link) => Ok(link),
        Err(e) => match Error::from(e) {
            e if e.kind == crate::ErrorKind::NotFound => Ok(None),
            e => Err(e.context(format!("look up interface {index}"))),
        },
    }
}

pub async fn list_links(handle: &Handle) -> Result<Vec<LinkMessage>> {
    let links = handle.link().get().execute().try_collect().await;
    links.map_err(|e| Error::from(e).context("list interfaces"))
}

/// The name of every link, by index.
pub async fn link_names(handle: &Handle) -> Result<std::collections::HashMap<u32, String>> {
    let all = list_links(handle).await?;
    Ok(all.iter().map(|l| (l.header.index, link_name(l))).collect())
}

/// The addresses of the link with index `index` in `netns` (None: the current namespace), asked
/// of the kernel for that link alone over a blocking socket of its own
/// ([`crate::netlink::RouteSocket::link_addresses`]). For speed: rtnetlink's address request
/// filters by link in user space, after the kernel has sent and rtnetlink has decoded every
/// address of the namespace, which made a verb printing one link 2.6-6.3x ip's CPU time with 1000
/// addresses present (bench BENCH_ONLY=writes, 2026-12-07).
pub fn addresses_of(netns: Option<&str>, index: u32) -> Result<Vec<AddressMessage>> {
    let mut socket = crate::netlink::RouteSocket::open(netns)?;
    socket
        .link_addresses(index)
        .map_err(|e| e.context("list addresses"))
}

/// Addresses of every link, or of one link when `index` is given (filtered here: prefer
/// [`addresses_of`] for one link).
pub async fn list_addresses(handle: &Handle, index: Option<u32>) -> Result<Vec<AddressMessage>> {
    let mut request = handle.address().get();
    if let Some(index) = index {
        request = request.set_link_index_filter(index);
    }
    let addrs = request.execute().try_collect().await;
    addrs.map_err(|e| Error::from(e).context("list addresses"))
}

pub async fn set_up(handle: &Handle, index: u32, up: bool) -> Result<()> {
    let message = LinkUnspec::new_with_index(index);
    let message = if up { message.up() } else { message.down() };
    handle
        .link()
        .set(message.build())
        .execute()
        .await
        .map_err(Error::from)
}

pub async fn add_address(handle: &Handle, index: u32, addr: IpNet) -> Result<()> {
    let request = handle.address().add(index, addr.addr(), addr.prefix_len());
    request
        .execute()
        .await
        .map_err(|e| Error::from(e).context(format!("add address {addr}")))
}

/// Deletes one address from a link; exit code 3 when the link does not carry it.
pub async fn del_address(handle: &Handle, index: u32, addr: IpNet) -> Result<()> {
    let current = list_addresses(handle, Some(index)).await?;
    let found = current
        .into_iter()
        .find(|m| address_cidr(m).as_deref() == Some(addr.to_string().as_str()));
    let message = found.ok_or_else(|| Error::not_found(format!("address {addr} not found")))?;
    delete_address(handle, message, addr).await
}

/// Deletes the address `message` (as a dump gave it) named `addr` in an error.
pub async fn delete_address(handle: &Handle, message: AddressMessage, addr: IpNet) -> Result<()> {
    handle
        .address()
        .del(message)
        .execute()
        .await
        .map_err(|e| Error::from(e).context(format!("delete address {addr}")))
}

/// The first attribute of a link that `pick` recognises: one lookup for every attribute.
pub fn link_attr<T>(link: &LinkMessage, pick: impl Fn(&LinkAttribute) -> Option<T>) -> Option<T> {
    link.attributes.iter().find_map(pick)
}

/// The link's flags by ip's names, in ip's order ("BROADCAST", "MULTICAST", "UP", "LOWER_UP").
pub fn ip_flags(link: &LinkMessage) -> Vec<String> {
    FLAG_NAMES
        .iter()
        .filter(|(flag, _)| link.header.flags.contains(*flag))
        .map(|(_, name)| name.to_string())
        .collect()
}

/// ip's flag names, in the order ip prints them.
const FLAG_NAMES: [(LinkFlags, &str); 11] = [
    (LinkFlags::Loopback, "LOOPBACK"),
    (LinkFlags::Broadcast, "BROADCAST"),
    (LinkFlags::Pointopoint, "POINTOPOINT"),
    (LinkFlags::Multicast, "MULTICAST"),
    (LinkFlags::Noarp, "NOARP"),
    (LinkFlags::Allmulti, "ALLMULTI"),
    (LinkFlags::Promisc, "PROMISC"),
    (LinkFlags::Dynamic, "DYNAMIC"),
    (LinkFlags::Port, "SLAVE"),
    (LinkFlags::Up, "UP"),
    (LinkFlags::LowerUp, "LOWER_UP"),
];

pub fn link_name(link: &LinkMessage) -> String {
    link_attr(link, |a| match a {
        LinkAttribute::IfName(name) => Some(name.clone()),
        _ => None,
    })
    .unwrap_or_default()
}

pub fn link_mac(link: &LinkMessage) -> Option<String> {
    link_attr(link, |a| match a {
        LinkAttribute::Address(bytes) => Some(crate::mac::format_mac(bytes)),
        _ => None,
    })
}

pub fn link_mtu(link: &LinkMessage) -> Option<u32> {
    link_attr(link, |a| match a {
        LinkAttribute::Mtu(mtu) => Some(*mtu),
        _ => None,
    })
}

/// The index of the bridge (or bond) this link is a port of.
pub fn link_master(link: &LinkMessage) -> Option<u32> {
    link_attr(link, |a| match a {
        LinkAttribute::Controller(index) => Some(*index),
        _ => None,
    })
}

/// The index of a veth's peer (IFLA_LINK).
pub fn link_peer(link: &LinkMessage) -> Option<u32> {
    link_attr(link, |a| match a {
        LinkAttribute::Link(index) => Some(*index),
        _ => None,
    })
}

/// "veth", "bridge"... as `ip -d link` names it; None for plain devices such as lo.
pub fn link_kind(link: &LinkMessage) -> Option<String> {
    link_attr(link, |a| match a {
        LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|i| match i {
            LinkInfo::Kind(kind) => Some(kind.to_string()),
            _ => None,
        }),
        _ => None,
    })
}

/// True when the link is a bridge.
pub fn is_bridge(link: &LinkMessage) -> bool {
    link_kind(link).as_deref() == Some("bridge")
}

pub fn link_is_up(link: &LinkMessage) -> bool {
    link.header.flags.contains(LinkFlags::Up)
}

impl Interface {
    /// A link message rtnetlink returned, as the listings print it: decoded by the same reader
    /// as `vnet-ns show` and the monitors ([`RawLink`]), from the message written back to its
    /// wire form. `master` is named from `all_links`, `addresses` from `addresses`.
    pub fn new(link: &LinkMessage, addresses: &[AddressMessage], all_links: &[LinkMessage]) -> Interface {
        use rtnetlink::packet_core::Emitable;
        let mut bytes = vec![0; link.buffer_len()];
        link.emit(&mut bytes);
        let raw = RawLink::parse(RawLink::RTM_NEWLINK, &bytes).expect("a link message is 16 bytes or more");
        let index = raw.index;
        let mut interface = raw.interface();
        let name = |i: u32| all_links.iter().find(|l| l.header.index == i).map(link_name);
        interface.name_links(raw.parent(), name);
        Interface {
            master: raw
                .master()
                .and_then(|m| all_links.iter().find(|l| l.header.index == m))
                .map(link_name),
            addresses: addresses
                .iter()
                .filter(|a| a.header.index == index)
                .filter_map(address_cidr)
                .collect(),
            ..interface
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::address::AddressAttribute;
    use netlink_packet_route::link::{InfoKind, State};

    #[test]
    fn an_interface_from_a_link_message() {
        let mut port = LinkMessage::default();
        port.header.index = 4;
        port.header.flags = LinkFlags::Up;
        port.attributes = vec![
            LinkAttribute::IfName("veth0".into()),
            LinkAttribute::Mtu(1500),
            LinkAttribute::Address(vec![2, 0, 0, 0, 0, 1]),
            LinkAttribute::Controller(7),
            LinkAttribute::OperState(State::Up),
            LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::Veth)]),
        ];
        let mut bridge = LinkMessage::default();
        bridge.header.index = 7;
        bridge.attributes = vec![LinkAttribute::IfName("br0".into())];
        let mut address = AddressMessage::default();
        address.header.index = 4;
        address.header.prefix_len = 24;
        address
            .attributes
            .push(AddressAttribute::Local("10.0.0.2".parse().unwrap()));
        let shown = Interface::new(&port, &[address], &[bridge.clone()]);
        assert_eq!(
            shown,
            Interface {
                name: "veth0".into(),
                index: 4,
                kind: Some("veth".into()),
                up: true,
                state: "UP".into(),
                mac: Some("02:00:00:00:00:01".into()),
                mtu: Some(1500),
                master: Some("br0".into()),
                addresses: vec!["10.0.0.2/24".into()],
                link: None,
                linkinfo: None,
                stats64: None,
            }
        );
        let plain = Interface::new(&bridge, &[], &[]);
        assert_eq!(
            (plain.kind, plain.state.as_str(), plain.up),
            (None, "UNKNOWN", false)
        );
    }
}
