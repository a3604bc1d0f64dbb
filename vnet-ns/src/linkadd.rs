//! `link add` of the kinds ip makes: one RTM_NEWLINK (NLM_F_CREATE|NLM_F_EXCL) with the kind and
//! its settings as netlink-packet-route's InfoKind/InfoData, journaled with the delete that undoes
//! it. The links it names (PARENT, dev, a bond's primary) are looked up first (exit 3); a taken
//! name is exit 4; a kind the kernel lacks (EOPNOTSUPP, "Unknown device type", after the kernel's
//! own module autoload) is exit 6 naming the module.

use netlink_packet_route::link::{
    InfoBond, InfoData, InfoGre, InfoGre6, InfoIpTunnel, InfoKind, InfoVeth, InfoVxlan, LinkAttribute,
    LinkMessage,
};
use netlink_packet_route::RouteNetlinkMessage;
use rtnetlink::packet_core::NLM_F_ECHO;
use rtnetlink::{Handle, LinkMessageBuilder, LinkUnspec};
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::bridge_options::BridgeOption;
use vnet_common::error::quote;
use vnet_common::links::{self, Interface};
use vnet_common::netlink::{Netlink, RawLink, NLM_F_CREATE, NLM_F_EXCL};
use vnet_common::{netns, Error, ErrorKind, Journal, Render, Result};

/// The kinds `link add` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Vlan,
    Macvlan,
    Macvtap,
    Ipvlan,
    Dummy,
    Bond,
    Vxlan,
    Gre,
    Gretap,
    Ipip,
    Sit,
    Wireguard,
    Vrf,
    Ifb,
    Geneve,
    Ip6gre,
    Ip6gretap,
    Ip6tnl,
    Veth,
    Bridge,
}

impl Kind {
    /// ip's word for the kind.
    pub fn word(self) -> &'static str {
        self.info_kind_and_module().2
    }

    /// The kernel's kind, the module that provides it, and ip's word.
    fn info_kind_and_module(self) -> (InfoKind, &'static str, &'static str) {
        match self {
            Kind::Vlan => (InfoKind::Vlan, "8021q", "vlan"),
            Kind::Macvlan => (InfoKind::MacVlan, "macvlan", "macvlan"),
            Kind::Macvtap => (InfoKind::MacVtap, "macvtap", "macvtap"),
            Kind::Ipvlan => (InfoKind::IpVlan, "ipvlan", "ipvlan"),
            Kind::Dummy => (InfoKind::Dummy, "dummy", "dummy"),
            Kind::Bond => (InfoKind::Bond, "bonding", "bond"),
            Kind::Vxlan => (InfoKind::Vxlan, "vxlan", "vxlan"),
            Kind::Gre => (InfoKind::GreTun, "ip_gre", "gre"),
            Kind::Gretap => (InfoKind::GreTap, "ip_gre", "gretap"),
            Kind::Ipip => (InfoKind::IpIp, "ipip", "ipip"),
            Kind::Sit => (InfoKind::SitTun, "sit", "sit"),
            Kind::Wireguard => (InfoKind::Wireguard, "wireguard", "wireguard"),
            Kind::Vrf => (InfoKind::Vrf, "vrf", "vrf"),
            Kind::Ifb => (InfoKind::Ifb, "ifb", "ifb"),
            Kind::Geneve => (InfoKind::Geneve, "geneve", "geneve"),
            Kind::Ip6gre => (InfoKind::GreTun6, "ip6_gre", "ip6gre"),
            Kind::Ip6gretap => (InfoKind::GreTap6, "ip6_gre", "ip6gretap"),
            Kind::Ip6tnl => (InfoKind::Ip6Tnl, "ip6_tunnel", "ip6tnl"),
            Kind::Veth => (InfoKind::Veth, "veth", "veth"),
            Kind::Bridge => (InfoKind::Bridge, "bridge", "bridge"),
        }
    }

    /// Kinds that sit on a parent link (`link PARENT`, required).
    pub fn has_parent(self) -> bool {
        matches!(self, Kind::Vlan | Kind::Macvlan | Kind::Macvtap | Kind::Ipvlan)
    }

    /// Kinds with a `mode` word.
    pub fn has_mode(self) -> bool {
        matches!(
            self,
            Kind::Macvlan | Kind::Macvtap | Kind::Ipvlan | Kind::Bond | Kind::Ip6tnl
        )
    }

    /// The IPv6 tunnels.
    pub fn is_ip6_tunnel(self) -> bool {
        matches!(self, Kind::Ip6gre | Kind::Ip6gretap | Kind::Ip6tnl)
    }

    /// The IPv4 tunnels.
    pub fn is_tunnel(self) -> bool {
        matches!(self, Kind::Gre | Kind::Gretap | Kind::Ipip | Kind::Sit)
    }

    /// Kinds whose `dev IF` is the underlying device.
    pub fn has_underlying_dev(self) -> bool {
        self.is_tunnel() || self.is_ip6_tunnel() || self == Kind::Vxlan
    }
}

/// A checked `link add`: the names still to be looked up, the settings as InfoData.
#[derive(Debug, PartialEq)]
pub struct NewLink {
    /// None: the kernel's next free KIND%d name (`ip link add type veth` makes veth0), picked
    /// here so that the result can name the link.
    pub name: Option<String>,
    pub kind: Kind,
    pub parent: Option<String>,
    /// vxlan/tunnels: the underlying device.
    pub dev: Option<String>,
    /// bond: the primary slave.
    pub primary: Option<String>,
    pub data: Option<InfoData>,
    /// ip's generic words: mtu N, address MAC, up, netns NS (made there, in one request).
    pub common: Common,
    /// veth: the other end.
    pub peer: Option<PeerSpec>,
    /// bridge: its options, read back after the request (a kernel ignores the ones it lacks).
    pub bridge: Vec<BridgeOption>,
}

/// The other end of a veth pair: `peer [name] PEER [netns NS] [address MAC] [mtu N] [txqueuelen
/// N]`. Without netns it is made where the request is made (-n NS), as the kernel does.
#[derive(Debug, Default, PartialEq)]
pub struct PeerSpec {
    pub name: Option<String>,
    pub netns: Option<String>,
    pub address: Option<String>,
    pub mtu: Option<u32>,
    pub txqueuelen: Option<u32>,
}

/// The words `ip link add` takes for every kind.
#[derive(Debug, Default, PartialEq)]
pub struct Common {
    pub mtu: Option<u32>,
    pub address: Option<String>,
    pub up: bool,
    pub netns: Option<String>,
}

/// The link `link add` made.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LinkAdded {
    /// The namespace the link is in (-n NS); null for the current one.
    pub netns: Option<String>,
    /// The new link, with its kind's details (linkinfo) as `ip -d -j link show` names them.
    pub interface: Interface,
    /// veth: the other end; null for the other kinds.
    pub peer: Option<PeerEnd>,
    pub changed: bool,
}

/// Where the other end of a new veth pair is.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PeerEnd {
    pub name: String,
    /// Its namespace; null for the current one.
    pub netns: Option<String>,
}

impl Render for LinkAdded {}

/// The index of link `name`, which must exist (exit 3 saying what needed it); the link is kept
/// in `known` to name it in the result without asking again.
async fn index_of(
    handle: &Handle,
    name: &str,
    role: &str,
    (ns, what): (Option<&str>, &str),
    known: &mut Vec<LinkMessage>,
) -> Result<u32> {
    if let Some(link) = known.iter().find(|l| links::link_name(l) == name) {
        return Ok(link.header.index);
    }
    match links::find_link(handle, name).await? {
        Some(link) => {
            let index = link.header.index;
            known.push(link);
            Ok(index)
        }
        None => Err(Error::not_found(format!(
            "{what}: {role} {} not found in {}",
            quote(name),
            netns::describe(ns)
        ))),
    }
}

/// The links `new` names (parent, dev, primary) as [`Netlink::link_index`] finds them in `ns`:
/// their index and name, all [`index_of`] and the result need. The others are asked by RTM_GETLINK.
fn looked_up(netlink: &mut Netlink, ns: Option<&str>, new: &NewLink) -> Vec<LinkMessage> {
    [&new.parent, &new.dev, &new.primary]
        .into_iter()
        .flatten()
        .filter_map(|given| {
            let (index, name) = netlink.link_index(ns, given).ok()??;
            let mut link = LinkMessage::default();
            link.header.index = index;
            link.attributes.push(LinkAttribute::IfName(name));
            Some(link)
        })
        .collect()
}

/// The request with the looked-up links put in by index (also kept in `known`). `names` are the
/// link's and (veth) its peer's; `peer_ns` the peer's namespace, open while the request is made.
async fn message(
    handle: &Handle,
    new: NewLink,
    names: (&str, Option<&str>),
    peer_ns: Option<&std::fs::File>,
    (ns, what): (Option<&str>, &str),
    known: &mut Vec<LinkMessage>,
) -> Result<LinkMessage> {
    let at = (ns, what);
    let (info_kind, ..) = new.kind.info_kind_and_module();
    let mut builder =
        LinkMessageBuilder::<LinkUnspec>::new_with_info_kind(info_kind).name(names.0.to_string());
    if let Some(parent) = &new.parent {
        builder = builder.link(index_of(handle, parent, "link", at, known).await?);
    }
    let mut data = new.data;
    if let Some(dev) = &new.dev {
        let index = index_of(handle, dev, "dev", at, known).await?;
        match data.as_mut() {
            Some(InfoData::Vxlan(info)) => info.push(InfoVxlan::Link(index)),
            Some(InfoData::GreTun(info) | InfoData::GreTap(info)) => info.push(InfoGre::Link(index)),
            Some(InfoData::IpTunnel(info)) => info.push(InfoIpTunnel::Link(index)),
            Some(InfoData::GreTun6(info) | InfoData::GreTap6(info)) => info.push(InfoGre6::Link(index)),
            _ => unreachable!("only vxlan and tunnels take an underlying dev"),
        }
    }
    if let (Some(primary), Some(InfoData::Bond(info))) = (&new.primary, data.as_mut()) {
        info.push(InfoBond::Primary(
            index_of(handle, primary, "primary", at, known).await?,
        ));
    }
    if let Some(peer) = &new.peer {
        data = Some(InfoData::Veth(InfoVeth::Peer(peer_message(
            peer, names.1, peer_ns,
        )?)));
    }
    if let Some(data) = data {
        builder = builder.set_info_data(data);
    }
    builder = match new.common.mtu {
        Some(mtu) => builder.mtu(mtu),
        None => builder,
    };
    if let Some(mac) = &new.common.address {
        builder = builder.address(vnet_common::mac::parse_mac(mac)?.to_vec());
    }
    if new.common.up {
        builder = builder.up();
    }
    Ok(builder.build())
}

/// A veth's other end as the request's peer message.
fn peer_message(peer: &PeerSpec, name: Option<&str>, ns: Option<&std::fs::File>) -> Result<LinkMessage> {
    use std::os::fd::AsRawFd;
    let mut builder = LinkUnspec::new_with_name(name.expect("a veth's peer name is picked before"));
    if let Some(file) = ns {
        builder = builder.setns_by_fd(file.as_raw_fd());
    }
    if let Some(mtu) = peer.mtu {
        builder = builder.mtu(mtu);
    }
    if let Some(mac) = &peer.address {
        builder = builder.address(vnet_common::mac::parse_mac(mac)?.to_vec());
    }
    let mut message = builder.build();
    if let Some(len) = peer.txqueuelen {
        message.attributes.push(LinkAttribute::TxQueueLen(len));
    }
    Ok(message)
}

/// The kernel's name for a new link of `kind` without one: KIND%d with the lowest free number
/// (dev_alloc_name()), skipping `taken` (a veth's other end, named first in the same namespace).
async fn free_name(handle: &Handle, kind: Kind, taken: Option<&str>) -> Result<String> {
    let names = links::link_names(handle).await?;
    let word = kind.word();
    (0..)
        .map(|n| format!("{word}{n}"))
        .find(|name| !names.values().any(|n| n == name) && Some(name.as_str()) != taken)
        .ok_or_else(|| Error::invalid(format!("link add type {word}: no free name")))
}

/// The kernel's refusal of the request: a taken name is exit 4 saying where, a kind it lacks
/// exit 6 naming the module.
fn refused(error: Error, kind: Kind, what: &str, (name, ns): (&str, Option<&str>)) -> Error {
    if error.kind == ErrorKind::Exists {
        return Error::exists(format!(
            "{what}: an interface called {} exists in {}",
            quote(name),
            netns::describe(ns)
        ));
    }
    // The bridge kind is always there: what the kernel refuses is one of the options.
    if error.kind != ErrorKind::Unavailable || kind == Kind::Bridge {
        return error.context(what);
    }
    let (_, module, word) = kind.info_kind_and_module();
    Error::new(
        ErrorKind::Unavailable,
        format!(
            "{what}: this kernel has no {word} links (Unknown device type: module {module} is not \
             built in and could not be loaded)"
        ),
    )
    .with_hint(format!(
        "load it with 'modprobe {module}' or boot a kernel that has it"
    ))
}

/// The new link as `show` prints it, naming the links it points to (master, parent, a bond's
/// primary, a tunnel's dev) from the links looked up for the request (`known`) or one request
/// each, never a dump of every link: a --batch of many `link add` lines would otherwise dump a
/// growing list once per line.
async fn describe(handle: &Handle, link: &LinkMessage, mut known: Vec<LinkMessage>) -> Result<Interface> {
    let bare = Interface::new(link, &[], &[]);
    let mut wanted: Vec<u32> = [links::link_master(link), links::link_peer(link)]
        .into_iter()
        .flatten()
        .collect();
    if let Some(data) = bare.linkinfo.as_ref().and_then(|l| l.info_data.as_ref()) {
        let pending = &data.pending;
        wanted.extend(
            [pending.primary, pending.active_slave, pending.link]
                .into_iter()
                .flatten(),
        );
    }
    for index in wanted {
        if known.iter().any(|l| l.header.index == index) {
            continue;
        }
        let mut found = handle.link().get().match_index(index).execute();
        // A link that went away meanwhile is left unnamed.
        if let Ok(Some(other)) = futures::TryStreamExt::try_next(&mut found).await {
            known.push(other);
        }
    }
    Ok(Interface::new(link, &[], &known))
}

/// Makes the link in -n NS (None: the current namespace) and journals its deletion (a veth's
/// deletion takes its peer with it).
pub fn run_add(
    netlink: &mut Netlink,
    ns: Option<String>,
    new: NewLink,
    journal: &mut Journal,
) -> Result<LinkAdded> {
    let handle = netlink.handle(ns.as_deref())?;
    // netns NS: the link is made there (IFLA_NET_NS_FD, one request); a missing NS is exit 3
    // before anything is sent. PARENT, dev and primary are still looked up in -n NS, as ip does.
    let lands_in = new.common.netns.clone().or(ns.clone());
    let (home, file) = match &new.common.netns {
        Some(t) => (netlink.handle(Some(t))?, Some(netns::open(t)?)),
        None => (handle.clone(), None),
    };
    // A veth's peer without netns is made in -n NS, the namespace of the request (the kernel's rule).
    let peer_lands_in = new.peer.as_ref().map(|p| p.netns.clone().or(ns.clone()));
    let (peer_home, peer_file) = match new.peer.as_ref().and_then(|p| p.netns.as_deref()) {
        Some(t) => (netlink.handle(Some(t))?, Some(netns::open(t)?)),
        None => (handle.clone(), None),
    };
    let kind = new.kind;
    let mut known = looked_up(netlink, ns.as_deref(), &new);
    let peer_end = |name: Option<String>| {
        name.map(|name| PeerEnd {
            name,
            netns: peer_lands_in.clone().flatten(),
        })
    };
    if echoed_here(&new, &known) {
        let (interface, peer_name) =
            add_echoed(netlink, ns.as_deref(), new, known, peer_file.as_ref(), journal)?;
        return Ok(LinkAdded {
            netns: ns,
            interface,
            peer: peer_end(peer_name),
            changed: true,
        });
    }
    netlink.run(async {
        let same_ns = peer_lands_in.as_ref() == Some(&lands_in);
        let (name, peer_name) = pick_names(&new, (&home, &peer_home), same_ns).await?;
        let what = format!("link add {name} type {}", kind.word());
        let bridge_options = new.bridge.clone();
        // A taken name is the kernel's EEXIST (nothing made): one request fewer per line.
        let names = (name.as_str(), peer_name.as_deref());
        let mut request = message(
            &handle,
            new,
            names,
            peer_file.as_ref(),
            (ns.as_deref(), &what),
            &mut known,
        )
        .await?;
        if let Some(file) = &file {
            use std::os::fd::AsRawFd;
            request.attributes.push(LinkAttribute::NetNsFd(file.as_raw_fd()));
        }
        let made = links::create_link(&handle, request)
            .await
            .map_err(|e| refused(e.into(), kind, &what, (&name, lands_in.as_deref())))?;
        journal_delete(journal, &what, home.clone(), name.clone())?;
        let link = match made {
            Some(link) => link,
            None => links::require_link(&home, &name, lands_in.as_deref()).await?,
        };
        check_bridge_options(&link, &bridge_options, &what)?;
        Ok(LinkAdded {
            netns: lands_in.clone(),
            // Links looked up in -n NS name nothing in another namespace.
            interface: describe(&home, &link, if file.is_some() { vec![] } else { known }).await?,
            peer: peer_end(peer_name),
            changed: true,
        })
    })
}

/// Journals the delete that undoes a new link (a veth's takes its peer with it).
fn journal_delete(journal: &mut Journal, what: &str, home: Handle, name: String) -> Result<()> {
    journal.record(what, async move {
        let link = links::require_link(&home, &name, None).await?;
        home.link()
            .del(link.header.index)
            .execute()
            .await
            .map_err(Error::from)
    })
}

/// The new link read back by name (RTM_GETLINK), raw: a driver that announces its new link
/// itself (vxlan) sends the asking socket no echo, and a kernel before 6.3 echoes nothing.
/// Its message is put in `link`.
fn read_back(netlink: &mut Netlink, ns: Option<&str>, name: &str, link: &mut Vec<u8>) -> Result<()> {
    let mut request = LinkMessage::default();
    request.attributes.push(LinkAttribute::IfName(name.to_string()));
    let mut found = false;
    netlink
        .socket(ns)?
        .request_raw(RouteNetlinkMessage::GetLink(request), 0, |kind, payload| {
            if kind == RawLink::RTM_NEWLINK {
                link.clear();
                link.extend_from_slice(payload);
                found = true;
            }
        })
        .or_else(|e| match e.kind {
            ErrorKind::NotFound => Ok(()),
            _ => Err(e.context(format!("look up interface {}", quote(name)))),
        })?;
    found.then_some(()).ok_or_else(|| links::missing_link(name, ns))
}

/// True when [`add_echoed`] can make the link: its names are given (no KIND%d to pick from a
/// dump of the links), it is made in -n NS itself (a link made in another namespace is not
/// echoed), and every link it names was found by [`looked_up`] (a missing one is worded by the
/// other way).
fn echoed_here(new: &NewLink, known: &[LinkMessage]) -> bool {
    let named = [&new.parent, &new.dev, &new.primary]
        .into_iter()
        .flatten()
        .count();
    new.name.is_some()
        && new.peer.as_ref().is_none_or(|peer| peer.name.is_some())
        && new.common.netns.is_none()
        && known.len() == named
}

/// `link add` without the async runtime: the request sent on the namespace's blocking socket
/// with NLM_F_ECHO, the kernel's echo of the new link read raw into the record ([`RawLink`]),
/// the links it points to named from `known` or by one ioctl each. For speed (issue 21): a
/// --batch of 1000 `link add` lines spent more of its user time on the runtime's round (the
/// connection task, epoll, the echo decoded whole by netlink-packet-route, written back and
/// read again) than on the line itself. Returns the record and the veth peer's name.
fn add_echoed(
    netlink: &mut Netlink,
    ns: Option<&str>,
    new: NewLink,
    mut known: Vec<LinkMessage>,
    peer_file: Option<&std::fs::File>,
    journal: &mut Journal,
) -> Result<(Interface, Option<String>)> {
    let handle = netlink.handle(ns)?;
    let (kind, name) = (new.kind, new.name.clone().expect("echoed_here: a name"));
    let peer_name = new.peer.as_ref().and_then(|peer| peer.name.clone());
    let what = format!("link add {name} type {}", kind.word());
    let bridge_options = new.bridge.clone();
    // Every link the request names is in `known`: building it asks the kernel nothing.
    let names = (name.as_str(), peer_name.as_deref());
    let request = netlink.run(message(&handle, new, names, peer_file, (ns, &what), &mut known))?;
    // The echo is copied into a buffer kept from line to line: a fresh copy of its 1-2 KiB was
    // a large allocation per line, each one a consolidation of glibc's heap (callgrind).
    let mut payload = ECHO.take();
    payload.clear();
    let mut echoed = false;
    netlink
        .socket(ns)?
        .request_raw(
            RouteNetlinkMessage::NewLink(request),
            NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO,
            |kind, echo| {
                if !echoed && RawLink::parse(kind, echo).is_some_and(|link| link.name_is(&name)) {
                    payload.extend_from_slice(echo);
                    echoed = true;
                }
            },
        )
        .map_err(|e| refused(e, kind, &what, (&name, ns)))?;
    journal_delete(journal, &what, handle.clone(), name.clone())?;
    if !echoed {
        read_back(netlink, ns, &name, &mut payload)?;
    }
    let interface = interface_of(netlink, ns, &payload, &known, (&bridge_options, &what));
    ECHO.set(payload);
    Ok((interface?, peer_name))
}

thread_local! {
    /// [`add_echoed`]'s copy of the kernel's echo, kept for the next line.
    static ECHO: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The record of the new link from its message `payload`, the links it points to named from
/// `known` or by one ioctl each; with bridge options, checked that the kernel took them.
fn interface_of(
    netlink: &mut Netlink,
    ns: Option<&str>,
    payload: &[u8],
    known: &[LinkMessage],
    (bridge_options, what): (&[BridgeOption], &str),
) -> Result<Interface> {
    if !bridge_options.is_empty() {
        match vnet_common::netlink::decode(RawLink::RTM_NEWLINK, payload)? {
            Some(RouteNetlinkMessage::NewLink(link)) => check_bridge_options(&link, bridge_options, what)?,
            _ => return Err(Error::failed(format!("{what}: the kernel echoed no link"))),
        }
    }
    let raw = RawLink::parse(RawLink::RTM_NEWLINK, payload).expect("echoed: a link message");
    Ok(
        raw.interface_named(|index| match known.iter().find(|l| l.header.index == index) {
            Some(link) => Some(links::link_name(link)),
            // A link that went away meanwhile is left unnamed.
            None => netlink.link_name(ns, index).ok().flatten(),
        }),
    )
}

/// The names of the new link and (veth) its peer, the kernel's KIND%d where none is given. The
/// kernel registers a veth's peer first: without names, the peer is veth0 and the link veth1.
/// `same_ns`: both ends land in one namespace, so the second name skips the first.
async fn pick_names(
    new: &NewLink,
    (home, peer_home): (&Handle, &Handle),
    same_ns: bool,
) -> Result<(String, Option<String>)> {
    let peer_name = match &new.peer {
        None => None,
        Some(PeerSpec { name: Some(name), .. }) => Some(name.clone()),
        Some(_) => {
            let main = new.name.as_deref().filter(|_| same_ns);
            Some(free_name(peer_home, new.kind, main).await?)
        }
    };
    let name = match &new.name {
        Some(name) => name.clone(),
        None => free_name(home, new.kind, peer_name.as_deref().filter(|_| same_ns)).await?,
    };
    Ok((name, peer_name))
}

/// A kernel ignores the bridge options it was built without (vlan_filtering without
/// CONFIG_BRIDGE_VLAN_FILTERING): an option the new bridge does not have is exit 6, and the
/// journal deletes the bridge again.
fn check_bridge_options(bridge: &LinkMessage, wanted: &[BridgeOption], what: &str) -> Result<()> {
    match wanted.iter().find(|o| !o.holds(bridge)) {
        None => Ok(()),
        Some(option) => Err(Error::new(
            ErrorKind::Unavailable,
            format!(
                "{what}: this kernel did not take {} (built without it: bridge VLAN filtering is \
                 CONFIG_BRIDGE_VLAN_FILTERING)",
                option.words()
            ),
        )),
    }
}
