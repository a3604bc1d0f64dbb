//! A namespace's per-interface IP configuration as rtnetlink reports it (RTM_GETNETCONF and its
//! RTM_NEWNETCONF notifications: forwarding, rp_filter, proxy_neigh, ...), with ip -j netconf's
//! field names. Laid out by hand (struct netconfmsg and NETCONFA_*, linux/netconf.h): netlink-
//! packet-route 0.34 has no netconf messages.

use super::RouteSocket;
use crate::Result;
use schemars::JsonSchema;
use serde::Serialize;

pub const RTM_NEWNETCONF: u16 = 80;
pub const RTM_DELNETCONF: u16 = 81;
pub const RTM_GETNETCONF: u16 = 82;
/// RTNLGRP_IPV4_NETCONF (24) and RTNLGRP_IPV6_NETCONF (25), as bind() group bits.
pub const GROUPS: u32 = 1 << (24 - 1) | 1 << (25 - 1);

const NETCONFA_IFINDEX: u16 = 1;
pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;
/// NETCONFA_IFINDEX_ALL and NETCONFA_IFINDEX_DEFAULT: the "all" and "default" settings.
const ALL: i32 = -1;
const DEFAULT: i32 = -2;

/// One family's settings of one interface (or of all / default), as ip -j netconf names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct NetconfEntry {
    /// "inet" or "inet6" (or the family's number).
    pub family: String,
    /// The interface, or "all" or "default".
    pub interface: String,
    pub forwarding: Option<bool>,
    /// "off", "strict" or "loose" (IPv4).
    pub rp_filter: Option<String>,
    pub mc_forwarding: Option<bool>,
    pub bc_forwarding: Option<bool>,
    pub proxy_neigh: Option<bool>,
    pub ignore_routes_with_linkdown: Option<bool>,
    /// Whether packets are accepted at all (MPLS).
    pub input: Option<bool>,
}

/// A netconf message's payload read: its interface index (-1 all, -2 default) and settings.
pub struct RawNetconf {
    pub family: u8,
    pub ifindex: Option<i32>,
    values: [Option<i32>; 9],
}

impl RawNetconf {
    pub fn parse(payload: &[u8]) -> Option<RawNetconf> {
        let family = *payload.first()?;
        let mut raw = RawNetconf {
            family,
            ifindex: None,
            values: [None; 9],
        };
        // Attributes follow struct netconfmsg (one byte) aligned to 4.
        let mut at = 4;
        while at + 4 <= payload.len() {
            let length = u16::from_ne_bytes([payload[at], payload[at + 1]]) as usize;
            let kind = (u16::from_ne_bytes([payload[at + 2], payload[at + 3]]) & 0x3fff) as usize;
            if length < 4 || at + length > payload.len() {
                break;
            }
            let value = payload
                .get(at + 4..at + 8)
                .map(|b| i32::from_ne_bytes(b.try_into().expect("4 bytes")));
            if kind == NETCONFA_IFINDEX as usize {
                raw.ifindex = value;
            } else if kind < raw.values.len() {
                raw.values[kind] = value;
            }
            at += length.next_multiple_of(4);
        }
        Some(raw)
    }

    /// The record, naming the interface with `name` (given a real index).
    pub fn entry(&self, name: impl FnOnce(u32) -> String) -> NetconfEntry {
        let flag = |kind: usize| self.values[kind].map(|v| v != 0);
        NetconfEntry {
            family: match self.family {
                AF_INET => "inet".into(),
                AF_INET6 => "inet6".into(),
                28 => "mpls".into(),
                n => n.to_string(),
            },
            interface: match self.ifindex {
                Some(ALL) => "all".into(),
                Some(DEFAULT) => "default".into(),
                Some(index) => name(index as u32),
                None => String::new(),
            },
            forwarding: flag(2),
            rp_filter: self.values[3].map(|v| match v {
                0 => "off".into(),
                1 => "strict".into(),
                2 => "loose".into(),
                n => n.to_string(),
            }),
            mc_forwarding: flag(4),
            proxy_neigh: flag(5),
            ignore_routes_with_linkdown: flag(6),
            input: flag(7),
            bc_forwarding: flag(8),
        }
    }
}

/// The settings of `family` (0: every family), of every interface, all and default.
pub fn dump(socket: &mut RouteSocket, family: u8) -> Result<Vec<RawNetconf>> {
    let mut found = Vec::new();
    socket.dump_bytes(RTM_GETNETCONF, &[family, 0, 0, 0], |kind, payload| {
        if kind == RTM_NEWNETCONF {
            found.extend(RawNetconf::parse(payload));
        }
    })?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_netconf_message() {
        let mut payload = vec![AF_INET, 0, 0, 0];
        for (kind, value) in [(1u16, 3i32), (2, 1), (3, 2), (5, 0)] {
            payload.extend_from_slice(&8u16.to_ne_bytes());
            payload.extend_from_slice(&kind.to_ne_bytes());
            payload.extend_from_slice(&value.to_ne_bytes());
        }
        let entry = RawNetconf::parse(&payload).unwrap().entry(|i| format!("if{i}"));
        assert_eq!(entry.interface, "if3");
        assert_eq!(entry.forwarding, Some(true));
        assert_eq!(entry.rp_filter.as_deref(), Some("loose"));
        assert_eq!(entry.proxy_neigh, Some(false));
        assert_eq!(entry.mc_forwarding, None);
    }
}
