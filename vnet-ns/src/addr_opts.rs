//! The options of `addr add|replace` as ip reads them (broadcast ADDR|+|-, label, scope,
//! valid_lft/preferred_lft, noprefixroute, nodad), the request they make, whether an address
//! on the link already is what they ask for, and an address as `ip -j addr show` describes it.

use ipnet::IpNet;
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressMessage, AddressScope, CacheInfo,
};
use schemars::JsonSchema;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr};
use vnet_common::error::quote;
use vnet_common::{Error, Result};

/// ip's "forever".
pub const FOREVER: u32 = u32::MAX;

/// The broadcast address asked for: `broadcast ADDR`, `broadcast +` (host bits set), `-` (host
/// bits clear).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broadcast {
    Address(Ipv4Addr),
    Plus,
    Minus,
}

pub fn parse_broadcast(text: &str) -> Result<Broadcast> {
    match text {
        "+" => Ok(Broadcast::Plus),
        "-" => Ok(Broadcast::Minus),
        _ => text.parse().map(Broadcast::Address).map_err(|_| {
            Error::invalid(format!(
                "addr: invalid broadcast {}: expected an IPv4 address, + or -",
                quote(text)
            ))
        }),
    }
}

/// A scope as ip names it (host, link, global/universe, site, nowhere) or a number 0..255.
pub fn parse_scope(text: &str) -> Result<u8> {
    match text {
        "global" | "universe" => Ok(0),
        "site" => Ok(200),
        "link" => Ok(253),
        "host" => Ok(254),
        "nowhere" => Ok(255),
        _ => text.parse().map_err(|_| {
            Error::invalid(format!(
                "addr: invalid scope {}: expected host, link, global, site, nowhere or 0..255",
                quote(text)
            ))
        }),
    }
}

/// ip's name of a scope number.
pub fn scope_name(scope: u8) -> String {
    match scope {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        other => other.to_string(),
    }
}

/// A lifetime in seconds, or forever.
pub fn parse_lifetime(text: &str) -> Result<u32> {
    if text == "forever" {
        return Ok(FOREVER);
    }
    text.parse().map_err(|_| {
        Error::invalid(format!(
            "addr: invalid lifetime {}: expected seconds or forever",
            quote(text)
        ))
    })
}

/// The options of one `addr add|replace`, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddrOpts {
    pub broadcast: Option<Broadcast>,
    pub label: Option<String>,
    pub scope: Option<u8>,
    /// (valid, preferred) seconds; None: forever, nothing sent.
    pub lifetimes: Option<(u32, u32)>,
    pub noprefixroute: bool,
    pub nodad: bool,
    /// A point-to-point address's remote end (IFA_ADDRESS), as ip's `peer`.
    pub peer: Option<IpAddr>,
}

impl AddrOpts {
    /// Checks the options as ip does before sending: a label is the device's name or begins
    /// with it and a colon (at most 15 bytes), broadcast is IPv4's, preferred_lft is at most
    /// valid_lft and valid_lft is not 0.
    pub fn check(&self, net: &IpNet, dev: &str) -> Result<()> {
        if let Some(label) = &self.label {
            let fits = label == dev || label.strip_prefix(dev).is_some_and(|rest| rest.starts_with(':'));
            if !fits || label.len() > 15 {
                return Err(Error::invalid(format!(
                    "addr: label {} must be {dev} or begin with '{dev}:' (at most 15 bytes)",
                    quote(label)
                )));
            }
        }
        if self.broadcast.is_some() && matches!(net, IpNet::V6(_)) {
            return Err(Error::invalid("addr: broadcast is for IPv4 addresses"));
        }
        if let Some((valid, preferred)) = self.lifetimes {
            if valid == 0 {
                return Err(Error::invalid("addr: valid_lft is zero"));
            }
            if preferred > valid {
                return Err(Error::invalid(format!(
                    "addr: preferred_lft {preferred} is greater than valid_lft {valid}"
                )));
            }
        }
        Ok(())
    }

    /// The scope the address gets: the one asked for, else ip's default (host for loopback
    /// addresses, global otherwise).
    pub fn scope_for(&self, net: &IpNet) -> u8 {
        self.scope
            .unwrap_or(if net.addr().is_loopback() { 254 } else { 0 })
    }

    fn broadcast_for(&self, net: &IpNet) -> Option<Ipv4Addr> {
        let IpNet::V4(v4) = net else { return None };
        match self.broadcast? {
            Broadcast::Address(a) => Some(a),
            Broadcast::Plus => Some(v4.broadcast()),
            Broadcast::Minus => Some(v4.network()),
        }
    }

    fn flags(&self) -> AddressFlags {
        let mut flags = AddressFlags::empty();
        if self.nodad {
            flags |= AddressFlags::Nodad;
        }
        if self.noprefixroute {
            flags |= AddressFlags::Noprefixroute;
        }
        flags
    }

    /// Shapes an add request (rtnetlink's, which always sets a broadcast) as ip sends it: a
    /// broadcast only when asked, the label, scope, flags and lifetimes.
    pub fn shape(&self, message: &mut AddressMessage, net: &IpNet) {
        message
            .attributes
            .retain(|a| !matches!(a, AddressAttribute::Broadcast(_)));
        if let Some(brd) = self.broadcast_for(net) {
            message.attributes.push(AddressAttribute::Broadcast(brd));
        }
        if let Some(label) = &self.label {
            message.attributes.push(AddressAttribute::Label(label.clone()));
        }
        if let Some(peer) = self.peer {
            // IFA_LOCAL is this end (rtnetlink sends an IPv6 address as IFA_ADDRESS alone),
            // IFA_ADDRESS the peer, as ip sends them.
            let has_local = message
                .attributes
                .iter()
                .any(|a| matches!(a, AddressAttribute::Local(_)));
            if !has_local {
                message.attributes.push(AddressAttribute::Local(net.addr()));
            }
            message
                .attributes
                .retain(|a| !matches!(a, AddressAttribute::Address(_)));
            message.attributes.push(AddressAttribute::Address(peer));
        }
        message.header.scope = AddressScope::from(self.scope_for(net));
        let flags = self.flags();
        if !flags.is_empty() {
            message.attributes.push(AddressAttribute::Flags(flags));
        }
        if let Some((valid, preferred)) = self.lifetimes {
            let mut info = CacheInfo::default();
            info.ifa_valid = valid;
            info.ifa_preferred = preferred;
            message.attributes.push(AddressAttribute::CacheInfo(info));
        }
    }

    /// What differs between the address on the link and the one asked for, as ip words it:
    /// what a replace request changes (lifetimes; IPv6's noprefixroute and nodad) and what it
    /// does not (the kernel keeps scope, label, broadcast, and IPv4's noprefixroute of an
    /// address it has). Both empty: it already is what was asked. Finite lifetimes always
    /// differ (they count down and are set anew).
    pub fn differences(&self, existing: &AddressMessage, net: &IpNet, dev: &str) -> Differences {
        let info = AddrInfo::of(existing);
        let mut d = Differences::default();
        let scope = scope_name(self.scope_for(net));
        if info.scope != scope {
            d.kept.push(format!("it has scope {}, not {scope}", info.scope));
        }
        let v6 = matches!(net, IpNet::V6(_));
        if !v6 {
            let label = self.label.clone().unwrap_or_else(|| dev.to_string());
            if info.label.as_deref() != Some(label.as_str()) {
                d.kept.push(format!(
                    "it has label {}, not {label}",
                    info.label.unwrap_or_default()
                ));
            }
        }
        if let Some(brd) = self.broadcast_for(net) {
            if info.broadcast != Some(brd.to_string()) {
                let has = info.broadcast.as_deref().unwrap_or("none");
                d.kept.push(format!("it has broadcast {has}, not {brd}"));
            }
        }
        if self.noprefixroute != info.noprefixroute.unwrap_or(false) {
            let word = format!("noprefixroute {}", on(self.noprefixroute));
            if v6 {
                d.applied.push(word)
            } else {
                d.kept
                    .push(format!("it has noprefixroute {}", on(!self.noprefixroute)))
            }
        }
        if v6 && self.nodad != info.nodad.unwrap_or(false) {
            d.applied.push(format!("nodad {}", on(self.nodad)));
        }
        let lifetimes = self.lifetimes.unwrap_or((FOREVER, FOREVER));
        if lifetimes != (FOREVER, FOREVER) || (info.valid_life_time, info.preferred_life_time) != lifetimes {
            d.applied
                .push(format!("valid_lft {} preferred_lft {}", lifetimes.0, lifetimes.1));
        }
        d
    }
}

/// How an address on the link differs from the one asked for.
#[derive(Debug, Default, PartialEq)]
pub struct Differences {
    /// What a replace request sets, as ip words it.
    pub applied: Vec<String>,
    /// What the kernel keeps of an existing address (a replace would not change it).
    pub kept: Vec<String>,
}

fn on(value: bool) -> &'static str {
    if value {
        "on"
    } else {
        "off"
    }
}

/// The request that puts `existing` back as it is (for undo): its address, broadcast, label,
/// scope, the flags one may set, and its lifetimes left.
pub fn as_request(existing: &AddressMessage) -> AddressMessage {
    let mut message = AddressMessage::default();
    message.header = existing.header.clone();
    let settable = AddressFlags::Nodad | AddressFlags::Noprefixroute | AddressFlags::Managetempaddr;
    for attribute in &existing.attributes {
        match attribute {
            AddressAttribute::Address(_)
            | AddressAttribute::Local(_)
            | AddressAttribute::Broadcast(_)
            | AddressAttribute::Label(_) => message.attributes.push(attribute.clone()),
            AddressAttribute::Flags(f) => message.attributes.push(AddressAttribute::Flags(*f & settable)),
            AddressAttribute::CacheInfo(c) if c.ifa_valid != FOREVER => {
                message.attributes.push(AddressAttribute::CacheInfo(*c))
            }
            _ => {}
        }
    }
    message
}

/// One address as `ip -j addr show` describes it in addr_info (the flags as true or absent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct AddrInfo {
    /// "inet" or "inet6".
    pub family: String,
    pub local: String,
    /// A point-to-point address's peer (ip -j's "address" when it is not the local one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub prefixlen: u8,
    /// IPv4: the broadcast address, when the address has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<String>,
    /// "global", "link", "host", "site", "nowhere" or a number.
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary: Option<bool>,
    /// Lifetimes that are not forever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noprefixroute: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodad: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tentative: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dadfailed: Option<bool>,
    /// IPv4: the label (the device's name unless set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Seconds, 4294967295 for forever (as ip -j prints it).
    pub valid_life_time: u32,
    pub preferred_life_time: u32,
}

impl AddrInfo {
    pub fn of(message: &AddressMessage) -> AddrInfo {
        let v4 = message.header.family == netlink_packet_route::AddressFamily::Inet;
        let mut info = AddrInfo {
            family: if v4 { "inet" } else { "inet6" }.into(),
            prefixlen: message.header.prefix_len,
            scope: scope_name(u8::from(message.header.scope)),
            valid_life_time: FOREVER,
            preferred_life_time: FOREVER,
            ..AddrInfo::default()
        };
        let mut flags = AddressFlags::from_bits_retain(u32::from(message.header.flags.bits()));
        let mut address: Option<IpAddr> = None;
        for attribute in &message.attributes {
            match attribute {
                AddressAttribute::Local(ip) => info.local = ip.to_string(),
                AddressAttribute::Address(ip) => address = Some(*ip),
                AddressAttribute::Broadcast(ip) => info.broadcast = Some(ip.to_string()),
                AddressAttribute::Label(label) => info.label = Some(label.clone()),
                AddressAttribute::Flags(f) => flags = *f,
                AddressAttribute::CacheInfo(c) => {
                    (info.valid_life_time, info.preferred_life_time) = (c.ifa_valid, c.ifa_preferred)
                }
                _ => {}
            }
        }
        if info.local.is_empty() {
            info.local = address.map(|a| a.to_string()).unwrap_or_default();
        }
        info.address = address.map(|a| a.to_string()).filter(|a| *a != info.local);
        let set = |flag: AddressFlags| flags.contains(flag).then_some(true);
        info.secondary = set(AddressFlags::Secondary);
        info.dynamic = (!flags.contains(AddressFlags::Permanent)).then_some(true);
        info.noprefixroute = set(AddressFlags::Noprefixroute);
        info.nodad = set(AddressFlags::Nodad);
        info.tentative = set(AddressFlags::Tentative);
        info.deprecated = set(AddressFlags::Deprecated);
        info.dadfailed = set(AddressFlags::Dadfailed);
        info
    }

    /// The address as an IpNet.
    pub fn net(&self) -> Option<IpNet> {
        format!("{}/{}", self.local, self.prefixlen).parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_as_ip_checks_them() {
        let net: IpNet = "10.0.0.1/24".parse().unwrap();
        let ok = AddrOpts {
            label: Some("eth0:1".into()),
            lifetimes: Some((100, 50)),
            ..AddrOpts::default()
        };
        assert!(ok.check(&net, "eth0").is_ok());
        for (opts, needle) in [
            (
                AddrOpts {
                    label: Some("wan".into()),
                    ..AddrOpts::default()
                },
                "label 'wan' must be eth0",
            ),
            (
                AddrOpts {
                    lifetimes: Some((10, 20)),
                    ..AddrOpts::default()
                },
                "preferred_lft 20 is greater",
            ),
            (
                AddrOpts {
                    lifetimes: Some((0, 0)),
                    ..AddrOpts::default()
                },
                "valid_lft is zero",
            ),
        ] {
            let e = opts.check(&net, "eth0").unwrap_err();
            assert_eq!(e.exit_code(), 7);
            assert!(e.message.contains(needle), "{}", e.message);
        }
        let v6: IpNet = "fd00::1/64".parse().unwrap();
        let brd = AddrOpts {
            broadcast: Some(Broadcast::Plus),
            ..AddrOpts::default()
        };
        assert_eq!(brd.check(&v6, "eth0").unwrap_err().exit_code(), 7);
        assert_eq!(parse_scope("link").unwrap(), 253);
        assert_eq!(parse_scope("7").unwrap(), 7);
        assert_eq!(parse_scope("galaxy").unwrap_err().exit_code(), 7);
        assert_eq!(parse_lifetime("forever").unwrap(), FOREVER);
        assert_eq!(parse_lifetime("-1").unwrap_err().exit_code(), 7);
        assert_eq!(parse_broadcast("+").unwrap(), Broadcast::Plus);
        assert_eq!(parse_broadcast("10.0.0.x").unwrap_err().exit_code(), 7);
    }

    #[test]
    fn a_request_is_shaped_as_ip_sends_it() {
        let net: IpNet = "10.0.0.1/24".parse().unwrap();
        let mut message = AddressMessage::default();
        message
            .attributes
            .push(AddressAttribute::Broadcast("10.0.0.255".parse().unwrap()));
        AddrOpts::default().shape(&mut message, &net);
        assert!(
            message.attributes.is_empty(),
            "no broadcast unless asked: {message:?}"
        );
        let opts = AddrOpts {
            broadcast: Some(Broadcast::Plus),
            scope: Some(253),
            noprefixroute: true,
            ..AddrOpts::default()
        };
        opts.shape(&mut message, &net);
        let info = AddrInfo::of(&message);
        assert_eq!(info.broadcast.as_deref(), Some("10.0.0.255"));
        assert_eq!((info.scope.as_str(), info.noprefixroute), ("link", Some(true)));
    }
}
