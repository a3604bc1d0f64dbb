//! `tunnel add|change|del|show`: IP tunnels in `ip tunnel`'s grammar. ip makes them with ioctls on the
//! kernel's fallback devices (gre0, tunl0, sit0, ip6tnl0); over netlink the same links are made
//! as `link add type gre|ipip|sit|ip6tnl|ip6gre` does, so a tunnel add is a link add in other
//! words, with its checks, its journal step and its exit 6 naming a module the kernel lacks.

use crate::iface::Interfaces;
use crate::linkadd::LinkAdded;
use crate::linkset::LinkChange;
use crate::NsCtx;
use clap::{Args, FromArgMatches};
use netlink_packet_route::link::{
    InfoData, InfoGre, InfoGre6, InfoIpTunnel, LinkAttribute, LinkInfo, LinkMessage,
};
use netlink_packet_route::RouteNetlinkMessage;
use schemars::JsonSchema;
use serde::Serialize;
use std::mem::discriminant;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::links::link_kind;
use vnet_common::links::missing_link;
use vnet_common::netlink::Interface;
use vnet_common::netlink::RouteSocket;
use vnet_common::Render;
use vnet_common::{Error, Journal, Result, Verb};

vnet_common::verbs! {
    pub enum TunnelVerb for NsCtx {
        /// Make an IP tunnel (ip tunnel add).
        Add(Add),
        /// Change an IP tunnel's parameters (ip tunnel change).
        #[command(visible_alias = "chg")]
        Change(Change),
        /// Delete an IP tunnel (ip tunnel del).
        #[command(visible_alias = "delete")]
        Del(Del),
        /// List the IP tunnels (ip tunnel show).
        #[command(visible_alias = "list", visible_alias = "ls")]
        Show(Show),
    }
}

/// The link kinds ip tunnel manages, as `link show` names them.
const KINDS: [&str; 5] = ["gre", "ipip", "sit", "ip6tnl", "ip6gre"];

/// Make an IP tunnel: `tunnel add NAME mode MODE [remote ADDR] [local ADDR] [ttl N|inherit]
/// [key K | ikey K okey K] [dev PHYS] [encaplimit N|none]` (ip tunnel add).
///
/// MODE: gre, ipip, sit (IPv4 underlay), ip6ip6, ipip6, any (ip6tnl) and ip6gre (IPv6 underlay);
/// ip's spellings gre/ip, ip/ip, ipv6/ip, ipv6/ipv6, ip/ipv6, gre/ipv6, any/ipv6 too. The link is
/// made as `link add NAME type KIND ...` makes it: every word checked first (exit 7, a missing
/// dev exit 3, a taken name exit 4), a kind this kernel lacks exit 6 naming its module (ip_gre,
/// ipip, sit, ip6_tunnel, ip6_gre); the new tunnel starts down, as with ip; journaled. ip's isatap
/// and vti modes, different ikey and okey, tos, csum, seq and pmtudisc are refused by name (exit 7).
#[derive(Debug, clap::Args)]
pub struct Add {
    /// The tunnel's name (or name NAME).
    #[arg(value_name = "NAME", required_unless_present = "name")]
    pub ifname: Option<String>,
    /// The tunnel's name.
    #[arg(long, value_name = "NAME", value_parser = super::ifname, conflicts_with = "ifname", help_heading = HEADING)]
    pub name: Option<String>,
    /// gre, ipip, sit, ip6ip6, ipip6, any or ip6gre (ip's slash spellings too).
    #[arg(long, value_name = "MODE", value_parser = mode, help_heading = HEADING)]
    pub mode: Option<Mode>,
    /// The remote end (any: none).
    #[arg(long, value_name = "ADDR", value_parser = endpoint, help_heading = HEADING)]
    pub remote: Option<Endpoint>,
    /// The local end (any: none).
    #[arg(long, value_name = "ADDR", value_parser = endpoint, help_heading = HEADING)]
    pub local: Option<Endpoint>,
    /// The TTL (hop limit), 1-255 or inherit.
    #[arg(long, visible_alias = "hoplimit", value_name = "N", help_heading = HEADING)]
    pub ttl: Option<String>,
    /// gre, ip6gre: the key both ways (a number or a dotted quad).
    #[arg(long, value_name = "K", help_heading = HEADING)]
    pub key: Option<String>,
    /// gre, ip6gre: the key of packets received (must equal okey).
    #[arg(long, value_name = "K", help_heading = HEADING)]
    pub ikey: Option<String>,
    /// gre, ip6gre: the key of packets sent (must equal ikey).
    #[arg(long, value_name = "K", help_heading = HEADING)]
    pub okey: Option<String>,
    /// The underlying device the tunnel is bound to.
    #[arg(long, value_name = "PHYS", value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    /// ip6ip6, ipip6, any, ip6gre: the encapsulation limit, 0-255 or none.
    #[arg(long, value_name = "N", help_heading = HEADING)]
    pub encaplimit: Option<String>,
    /// Refused by vnet-ns (tos, csum, icsum, ocsum, seq, iseq, oseq, pmtudisc, nopmtudisc,
    /// 6rd-prefix, flowlabel, tclass): ip's other tunnel words.
    #[arg(long = "tos", visible_aliases = ["dsfield", "tclass", "flowlabel", "6rd-prefix"], value_name = "V", help_heading = HEADING)]
    pub unsupported_value: Option<String>,
    /// Refused by vnet-ns (see above).
    #[arg(long = "csum", visible_aliases = ["icsum", "ocsum", "seq", "iseq", "oseq", "pmtudisc", "nopmtudisc"], help_heading = HEADING)]
    pub unsupported_flag: bool,
}

/// A tunnel mode: the link kind and, for ip6tnl, its mode word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    pub kind: &'static str,
    pub ip6tnl_mode: Option<&'static str>,
}

/// ip tunnel's and ip -6 tunnel's mode words (ip/iptunnel.c, ip/ip6tunnel.c).
fn mode(text: &str) -> Result<Mode> {
    let of = |kind, ip6tnl_mode| Ok(Mode { kind, ip6tnl_mode });
    match text {
        "gre" | "gre/ip" => of("gre", None),
        "ipip" | "ip/ip" => of("ipip", None),
        "sit" | "ipv6/ip" => of("sit", None),
        "ip6ip6" | "ipv6/ipv6" => of("ip6tnl", Some("ip6ip6")),
        "ipip6" | "ip/ipv6" => of("ip6tnl", Some("ipip6")),
        "any" | "any/ipv6" => of("ip6tnl", Some("any")),
        "ip6gre" | "gre/ipv6" => of("ip6gre", None),
        "isatap" | "vti" | "vti/ip" | "vti6" => Err(Error::invalid(format!(
            "tunnel add: mode {text} is not supported by vnet-ns"
        ))),
        _ => Err(
            Error::invalid(format!("tunnel add: unknown mode {}", quote(text)))
                .with_hint("modes: gre, ipip, sit, ip6ip6, ipip6, any, ip6gre"),
        ),
    }
}

/// A tunnel end: an address, or ip's `any` (none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint(pub Option<IpAddr>);

fn endpoint(text: &str) -> Result<Endpoint> {
    match text {
        "any" => Ok(Endpoint(None)),
        _ => text
            .parse()
            .map(|a| Endpoint(Some(a)))
            .map_err(|_| Error::invalid(format!("invalid address {}: not an IP address", quote(text)))),
    }
}

impl Add {
    /// The words of the `link add` that makes this tunnel (as its long flags).
    fn link_words(&self) -> Result<Vec<String>> {
        let mode = self.mode.expect("clap requires mode");
        self.words_for(mode.kind, true)
    }

    /// The words of a `link add` of a `kind` tunnel from these words (`with_dev`: dev too).
    fn words_for(&self, kind: &str, with_dev: bool) -> Result<Vec<String>> {
        if self.unsupported_value.is_some() || self.unsupported_flag {
            return Err(Error::invalid(
                "tunnel: tos, tclass, flowlabel, 6rd-prefix, csum, seq and pmtudisc are not \
                 supported by vnet-ns",
            ));
        }
        let name = self
            .ifname
            .clone()
            .or(self.name.clone())
            .expect("clap requires NAME");
        let mut words = vec![name, "--type".into(), kind.into()];
        let mut put = |flag: &str, value: Option<String>| {
            if let Some(value) = value {
                words.push(format!("--{flag}"));
                words.push(value);
            }
        };
        put("mode", self.mode.and_then(|m| m.ip6tnl_mode).map(str::to_string));
        put("remote", self.remote.and_then(|e| e.0).map(|a| a.to_string()));
        put("local", self.local.and_then(|e| e.0).map(|a| a.to_string()));
        put("ttl", self.ttl.clone());
        put("key", self.key()?);
        put("dev", self.dev.clone().filter(|_| with_dev));
        put("encaplimit", self.encaplimit.clone());
        Ok(words)
    }

    /// key, or ikey and okey when they agree: the kernel's netlink tunnels take both, vnet-ns's
    /// link add one key for both ways.
    fn key(&self) -> Result<Option<String>> {
        match (&self.key, &self.ikey, &self.okey) {
            (Some(k), None, None) => Ok(Some(k.clone())),
            (None, Some(i), Some(o)) if i == o => Ok(Some(i.clone())),
            (None, None, None) => Ok(None),
            _ => Err(Error::invalid(
                "tunnel add: ikey and okey must be given together and equal (or key K): \
                 different keys each way are not supported by vnet-ns",
            )),
        }
    }
}

/// `link add` parsed from `words` (its long flags), as if given on the command line.
fn link_add(words: Vec<String>) -> Result<super::link_add::Add> {
    let command = super::link_add::Add::augment_args(clap::Command::new("link add"));
    let matches = command
        .try_get_matches_from(std::iter::once("link add".to_string()).chain(words))
        .map_err(|e| {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or_default();
            Error::invalid(format!("tunnel add: {}", first.trim_start_matches("error: ")))
        })?;
    super::link_add::Add::from_arg_matches(&matches).map_err(|e| Error::invalid(format!("tunnel add: {e}")))
}

impl Verb for Add {
    type Ctx = NsCtx;
    type Output = LinkAdded;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<LinkAdded> {
        if self.mode.is_none() {
            // ip: "cannot determine tunnel mode".
            return Err(super::usage(
                "tunnel add",
                "give mode MODE (gre, ipip, sit, ip6ip6, ipip6, any, ip6gre)",
            ));
        }
        link_add(self.link_words()?)?.run(ctx, journal)
    }
}

/// Delete an IP tunnel: `tunnel del NAME` (ip tunnel del). A missing one is exit 3
/// (--missing-ok: "changed": false); a link that is no tunnel exit 7. Journaled as link del.
#[derive(Debug, clap::Args)]
pub struct Del {
    /// The tunnel's name.
    #[arg(value_name = "NAME", value_parser = super::ifname, required_unless_present = "name")]
    pub ifname: Option<String>,
    /// The tunnel's name, as NAME.
    #[arg(long, value_name = "NAME", value_parser = super::ifname, conflicts_with = "ifname", help_heading = HEADING)]
    pub name: Option<String>,
    /// Succeed with "changed": false when there is no such tunnel.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

impl Verb for Del {
    type Ctx = NsCtx;
    type Output = LinkChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<LinkChange> {
        let name = self.ifname.or(self.name).expect("clap requires NAME");
        let links = RouteSocket::open(ctx.netns.as_deref())?.interfaces_with_stats(0)?;
        if let Some(link) = links.iter().find(|l| l.name == name) {
            if !link.kind.as_deref().is_some_and(|k| KINDS.contains(&k)) {
                return Err(Error::invalid(format!(
                    "tunnel del: {} is not an IP tunnel (it is {})",
                    quote(&name),
                    link.kind.as_deref().unwrap_or("a link of no kind")
                )));
            }
        }
        let ns = ctx.netns.clone();
        crate::linkset::run_del(ctx.netlink()?, ns, name, self.missing_ok, journal)
    }
}

/// List the IP tunnels (gre, ipip, sit, ip6tnl and ip6gre links, the kernel's fallback devices
/// among them), or one: `tunnel show [NAME]` (ip tunnel show). The records are link show's, with
/// the tunnel's endpoints, ttl and keys in `linkinfo.info_data` under ip -d -j's names. A missing
/// NAME is exit 3.
#[derive(Debug, clap::Args)]
pub struct Show {
    /// Only this tunnel.
    #[arg(value_name = "NAME", value_parser = super::ifname)]
    pub ifname: Option<String>,
    /// Only the tunnels of this mode.
    #[arg(long, value_name = "MODE", value_parser = mode, help_heading = HEADING)]
    pub mode: Option<Mode>,
}

impl Verb for Show {
    type Ctx = NsCtx;
    type Output = Interfaces;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<Interfaces> {
        let mut links = RouteSocket::open(ctx.netns.as_deref())?
            .interfaces_with_stats(0)
            .map_err(|e| e.context("tunnel show"))?;
        links.retain(|l| l.kind.as_deref().is_some_and(|k| KINDS.contains(&k)));
        if let Some(name) = &self.ifname {
            links.retain(|l| &l.name == name);
            if links.is_empty() {
                return Err(missing_link(name, ctx.netns.as_deref()).context("tunnel show"));
            }
        }
        if let Some(mode) = self.mode {
            links.retain(|l| l.kind.as_deref() == Some(mode.kind));
        }
        Ok(Interfaces(links))
    }
}

/// Change an IP tunnel (ip tunnel change): ip starts from the tunnel's present parameters and
/// applies the words given; over netlink the kernel's changelink takes a whole parameter set, so
/// the present attributes are read, the given words' replace theirs, and the whole set is sent
/// (as iproute2's `ip link set ... type gre` does). The words of tunnel add, mode optional (it must be
/// the tunnel's own). Only the parameters given change, as with ip.
///
/// A missing tunnel is exit 3, a link that is no tunnel or another mode exit 7, every word
/// checked before the change as tunnel add checks it. Journaled: the old parameters are put back.
#[derive(Debug, clap::Args)]
pub struct Change {
    #[command(flatten)]
    pub words: Add,
}

/// The tunnel after the change.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TunnelChanged {
    /// The -n namespace, null for the current one.
    pub netns: Option<String>,
    /// The tunnel as link show prints it, its new parameters in linkinfo.info_data.
    pub interface: Interface,
    pub changed: bool,
}

impl Render for TunnelChanged {}

/// The link's info_data as the kernel reports it.
fn info_data(link: &LinkMessage) -> Option<InfoData> {
    let infos = link.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(infos) => Some(infos),
        _ => None,
    })?;
    infos.iter().find_map(|i| match i {
        LinkInfo::Data(data) => Some(data.clone()),
        _ => None,
    })
}

/// `old` with each attribute of `new` in place of old's of the same kind.
fn merge<T: Clone>(old: &[T], new: Vec<T>) -> Vec<T> {
    let mut merged: Vec<T> = old
        .iter()
        .filter(|o| !new.iter().any(|n| discriminant(*o) == discriminant(n)))
        .cloned()
        .collect();
    merged.extend(new);
    merged
}

/// The parameter set to send: the present one with the given words' attributes in place.
fn merged(old: &InfoData, new: InfoData, name: &str) -> Result<InfoData> {
    Ok(match (old, new) {
        (InfoData::GreTun(o), InfoData::GreTun(n)) => InfoData::GreTun(merge(o, n)),
        (InfoData::GreTun6(o), InfoData::GreTun6(n)) => InfoData::GreTun6(merge(o, n)),
        (InfoData::IpTunnel(o), InfoData::IpTunnel(n)) => InfoData::IpTunnel(merge(o, n)),
        _ => {
            return Err(Error::invalid(format!(
                "tunnel change {}: its parameters cannot be changed by vnet-ns",
                quote(name)
            )))
        }
    })
}

/// The underlying device's index as the kind's attribute.
fn with_dev(data: &mut InfoData, index: u32) {
    match data {
        InfoData::GreTun(info) => info.push(InfoGre::Link(index)),
        InfoData::GreTun6(info) => info.push(InfoGre6::Link(index)),
        InfoData::IpTunnel(info) => info.push(InfoIpTunnel::Link(index)),
        _ => {}
    }
}

/// RTM_NEWLINK without NLM_F_CREATE: the kernel's changelink of link `index` of `kind`.
fn send(socket: &mut RouteSocket, index: u32, kind: &str, data: InfoData) -> Result<()> {
    use netlink_packet_route::link::InfoKind;
    let mut message = LinkMessage::default();
    message.header.index = index;
    message.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Other(kind.to_string())),
        LinkInfo::Data(data),
    ]));
    socket.change(RouteNetlinkMessage::NewLink(message), 0)
}

impl Verb for Change {
    type Ctx = NsCtx;
    type Output = TunnelChanged;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<TunnelChanged> {
        let ns = ctx.netns.clone();
        let name = self
            .words
            .ifname
            .clone()
            .or(self.words.name.clone())
            .expect("clap requires NAME");
        let what = format!("tunnel change {name}");
        let mut socket = RouteSocket::open(ns.as_deref())?;
        let index = socket
            .index_of(&name)?
            .ok_or_else(|| missing_link(&name, ns.as_deref()).context(&what))?;
        let link = socket
            .link(index)?
            .ok_or_else(|| missing_link(&name, ns.as_deref()).context(&what))?;
        let kind = link_kind(&link).unwrap_or_default();
        if !KINDS.contains(&kind.as_str()) {
            return Err(Error::invalid(format!(
                "{what}: {} is not an IP tunnel",
                quote(&name)
            )));
        }
        if let Some(mode) = self.words.mode.filter(|m| m.kind != kind) {
            return Err(Error::invalid(format!(
                "{what}: it is a {kind} tunnel, not {} (ip cannot change a tunnel's mode either)",
                mode.kind
            )));
        }
        let old = info_data(&link)
            .ok_or_else(|| Error::failed(format!("{what}: the kernel reports no parameters")))?;
        // The words as link add reads them, but dev: resolved here, as link add resolves it.
        let words = self.words.words_for(&kind, false)?;
        let mut new = link_add(words)?
            .new_link()?
            .data
            .unwrap_or(InfoData::IpTunnel(vec![]));
        if let Some(dev) = &self.words.dev {
            let dev_index = socket
                .index_of(dev)?
                .ok_or_else(|| missing_link(dev, ns.as_deref()).context(&what))?;
            with_dev(&mut new, dev_index);
        }
        let wanted = merged(&old, new, &name)?;
        let changed = wanted != old;
        if changed {
            send(&mut socket, index, &kind, wanted).map_err(|e| e.context(&what))?;
            let (undo_ns, undo_kind) = (ns.clone(), kind.clone());
            journal.record_fn(what.clone(), move || {
                send(
                    &mut RouteSocket::open(undo_ns.as_deref())?,
                    index,
                    &undo_kind,
                    old,
                )
            })?;
        }
        let links = socket.interfaces_with_stats(0)?;
        let interface = links.into_iter().find(|l| l.index == index);
        Ok(TunnelChanged {
            netns: ns,
            interface: interface.ok_or_else(|| Error::failed(format!("{what}: the tunnel went away")))?,
            changed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    fn words(line: &str) -> Result<Vec<String>> {
        match parse_line(&format!("tunnel add {line}"))? {
            NsVerb::Tunnel(TunnelVerb::Add(add)) => add.link_words(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_ip_tunnel_add_as_link_add() {
        let w = words("gre1 mode gre remote 10.0.0.2 local 10.0.0.1 ttl 255 key 42 dev eth0").unwrap();
        let want = "gre1 --type gre --remote 10.0.0.2 --local 10.0.0.1 --ttl 255 --key 42 --dev eth0";
        assert_eq!(w.join(" "), want);
        let w = words("t6 mode ip6ip6 remote fd00::2 local any").unwrap();
        assert_eq!(w.join(" "), "t6 --type ip6tnl --mode ip6ip6 --remote fd00::2");
        assert_eq!(
            words("g mode gre ikey 5 okey 5").unwrap().join(" "),
            "g --type gre --key 5"
        );
        assert!(link_add(words("s mode sit remote 10.0.0.2 ttl 64").unwrap()).is_ok());
        for (line, code) in [
            ("g mode vti", 7),
            ("g mode frob", 7),
            ("g mode gre ikey 1 okey 2", 7),
            ("g mode gre tos 10", 7),
            ("g mode gre nopmtudisc", 7),
            ("g mode gre remote x", 7),
        ] {
            let e = words(line).unwrap_err();
            assert_eq!(e.exit_code(), code, "{line}: {e}");
        }
    }
}
