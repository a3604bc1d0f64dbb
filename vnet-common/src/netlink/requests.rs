//! The change requests (new/delete with the kernel's ack) and the neighbour, rule, route-lookup
//! and namespace-id requests made over a [`RouteSocket`]: blocking, as the listings are, so a
//! verb that makes one or two changes needs no async runtime.

use super::RouteSocket;
use crate::{Error, Result};
use rtnetlink::packet_core::NLM_F_ACK;
use rtnetlink::packet_route::neighbour::{NeighbourFlags, NeighbourMessage};
use rtnetlink::packet_route::route::RouteMessage;
use rtnetlink::packet_route::rule::RuleMessage;
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};

pub use rtnetlink::packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};

impl RouteSocket {
    /// Sends one change (a NEW or DEL message) with `flags` (NLM_F_CREATE, NLM_F_EXCL,
    /// NLM_F_REPLACE or none) and waits for the kernel's ack; its refusal is the error (EEXIST
    /// exit 4, ENOENT exit 3, ...).
    pub fn change(&mut self, request: RouteNetlinkMessage, flags: u16) -> Result<()> {
        self.request_with_flags(request, NLM_F_ACK | flags).map(drop)
    }

    /// Every neighbour entry (RTM_GETNEIGH dump), both families; with `proxy` the proxy entries
    /// instead (the kernel keeps them apart, as `ip neigh show proxy` lists them).
    pub fn neighbours(&mut self, proxy: bool) -> Result<Vec<NeighbourMessage>> {
        let mut request = NeighbourMessage::default();
        if proxy {
            request.header.flags = NeighbourFlags::Proxy;
        }
        let replies = self.dump(RouteNetlinkMessage::GetNeighbour(request))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewNeighbour(entry) => Some(entry),
                _ => None,
            })
            .collect())
    }

    /// Every policy rule of `family` (RTM_GETRULE dump), in the kernel's order (by priority).
    pub fn rules(&mut self, family: AddressFamily) -> Result<Vec<RuleMessage>> {
        let mut request = RuleMessage::default();
        request.header.family = family;
        let replies = self.dump(RouteNetlinkMessage::GetRule(request))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewRule(rule) => Some(rule),
                _ => None,
            })
            .collect())
    }

    /// The kernel's route for a packet (RTM_GETROUTE for one destination, as `ip route get`).
    pub fn route_get(&mut self, request: RouteMessage) -> Result<RouteMessage> {
        match self.request(RouteNetlinkMessage::GetRoute(request))? {
            Some(RouteNetlinkMessage::NewRoute(route)) => Ok(route),
            _ => Err(Error::failed(
                "the kernel answered a route lookup without a route",
            )),
        }
    }

    /// Every namespace id this namespace has assigned (RTM_GETNSID dump, `ip netns list-id`).
    pub fn nsids(&mut self) -> Result<Vec<i32>> {
        use rtnetlink::packet_route::nsid::{NsidAttribute, NsidMessage};
        let replies = self.dump(RouteNetlinkMessage::GetNsId(NsidMessage::default()))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewNsId(reply) => reply.attributes.iter().find_map(|a| match a {
                    NsidAttribute::Id(id) if *id >= 0 => Some(*id),
                    _ => None,
                }),
                _ => None,
            })
            .collect())
    }

    /// Gives the namespace open as `ns_file` the id `id` here (RTM_NEWNSID, `ip netns set`;
    /// -1 lets the kernel choose).
    pub fn set_nsid(&mut self, ns_file: &std::fs::File, id: i32) -> Result<()> {
        use rtnetlink::packet_route::nsid::{NsidAttribute, NsidMessage};
        use std::os::fd::AsRawFd;
        let mut message = NsidMessage::default();
        message.attributes = vec![
            NsidAttribute::Fd(ns_file.as_raw_fd() as u32),
            NsidAttribute::Id(id),
        ];
        self.change(RouteNetlinkMessage::NewNsId(message), 0)
    }
}
