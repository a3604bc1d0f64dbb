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
    /// up), or None when there is none: one RTM_GETLINK for that name, statistics left out.
    pub fn link_named(&mut self, name: &str) -> Result<Option<LinkMessage>> {
        let mut message = LinkMessage::default();
        message.attributes.push(LinkAttribute::IfName(name.to_string()));
        message
            .attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        match self.request(RouteNetlinkMessage::GetLink(message)) {
            Ok(Some(RouteNetlinkMessage::NewLink(link))) => Ok(Some(link)),
            Ok(_) => Ok(None),
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
    /// master BR` asks), statistics left out: a verb about one bridge reads only its links,
    /// however many others the namespace has.
    pub fn links_of_master(&mut self, master: u32) -> Result<Vec<LinkMessage>> {
        self.strict()?;
        let mut message = LinkMessage::default();
        message.attributes.push(LinkAttribute::Controller(master));
        message
            .attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        let replies = self.dump(RouteNetlinkMessage::GetLink(message))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => Some(link),
                _ => None,
            })
            .filter(|link| {
                link.attributes
                    .iter()
                    .any(|a| matches!(a, LinkAttribute::Controller(m) if *m == master))
            })
            .collect())
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
