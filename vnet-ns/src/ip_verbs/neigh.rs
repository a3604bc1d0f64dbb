//! `neigh add|replace|del|flush|show`: static and proxy ARP/NDP entries as `ip neigh` manages
//! them, in the current namespace or -n NS, with ip -j neigh's records.

use crate::scope::Scope;
use crate::NsCtx;
use ipnet::IpNet;
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use schemars::JsonSchema;
use serde::Serialize;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::mac::{format_mac, parse_mac};
use vnet_common::netlink::neighbour::{self as decode, NeighbourEntry, STATES};
use vnet_common::netlink::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
use vnet_common::{netns, Error, Journal, Render, Result, TextStyle, Verb};

vnet_common::verbs! {
    pub enum NeighVerb for NsCtx {
        /// Add a neighbour entry (ip neigh add).
        Add(Add),
        /// Add a neighbour entry or change the one there (ip neigh replace).
        Replace(Replace),
        /// Change the entry there (ip neigh change).
        #[command(visible_alias = "chg")]
        Change(Change),
        /// Delete a neighbour entry (ip neigh del).
        #[command(visible_alias = "delete")]
        Del(Del),
        /// Delete the dynamic entries of a link, or of all links (ip neigh flush).
        Flush(Flush),
        /// List neighbour entries (ip neigh show).
        #[command(visible_alias = "list", visible_alias = "ls")]
        Show(Show),
        /// One neighbour entry (ip neigh get).
        Get(Get),
    }
}

/// An entry as ip neigh spells it: `ADDR [lladdr MAC] dev IF [nud STATE] [router]` or `proxy
/// ADDR dev IF`.
///
/// Refused before anything changes (exit 7): an address or MAC that does not parse, a state
/// other than permanent, noarp, reachable or stale, an entry (not proxy) without lladdr. A
/// missing dev is exit 3.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct NeighWords {
    /// The neighbour's IP address (IPv4 or IPv6).
    #[arg(value_name = "ADDR", value_parser = address, required_unless_present = "proxy")]
    pub addr: Option<IpAddr>,
    /// A proxy entry for this address: answer ARP/NDP for it on dev.
    #[arg(long, value_name = "ADDR", value_parser = address, conflicts_with_all = ["addr", "lladdr", "nud"], help_heading = HEADING)]
    pub proxy: Option<IpAddr>,
    /// The neighbour's link-layer address.
    #[arg(long, visible_alias = "address", value_name = "MAC", value_parser = mac, help_heading = HEADING)]
    pub lladdr: Option<[u8; 6]>,
    /// The link the entry is on.
    #[arg(long, value_name = "IF", required = true, value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    /// The entry's state: permanent (the default), noarp, reachable or stale.
    #[arg(long, value_name = "STATE", value_parser = settable_state, help_heading = HEADING)]
    pub nud: Option<NeighbourState>,
    /// The neighbour is a router (IPv6).
    #[arg(long, help_heading = HEADING)]
    pub router: bool,
}

fn address(text: &str) -> Result<IpAddr> {
    text.parse().map_err(|_| {
        Error::invalid(format!(
            "invalid neighbour address {}: not an IP address",
            quote(text)
        ))
    })
}

fn mac(text: &str) -> Result<[u8; 6]> {
    parse_mac(text)
}

/// A state an entry can be given.
fn settable_state(text: &str) -> Result<NeighbourState> {
    match text {
        "permanent" => Ok(NeighbourState::Permanent),
        "noarp" => Ok(NeighbourState::Noarp),
        "reachable" => Ok(NeighbourState::Reachable),
        "stale" => Ok(NeighbourState::Stale),
        _ => Err(Error::invalid(format!(
            "invalid nud state {}: permanent, noarp, reachable or stale",
            quote(text)
        ))),
    }
}

/// A state to list or flush by: any NUD state, or all.
fn any_state(text: &str) -> Result<StateFilter> {
    if text == "all" {
        return Ok(StateFilter::All);
    }
    STATES
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, s)| StateFilter::One(*s))
        .ok_or_else(|| {
            Error::invalid(format!(
                "invalid nud state {}: all, permanent, noarp, reachable, stale, delay, probe, \
                 incomplete or failed",
                quote(text)
            ))
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    One(NeighbourState),
    All,
}

/// The entry a line names, checked, with its link's index.
struct Entry {
    dst: IpAddr,
    index: u32,
    dev: String,
    lladdr: Option<[u8; 6]>,
    state: NeighbourState,
    proxy: bool,
    router: bool,
}

impl NeighWords {
    /// The entry, its link found in `scope`; `needs_lladdr`: add and replace (not proxy).
    fn entry(&self, scope: &mut Scope, needs_lladdr: bool, verb: &str) -> Result<Entry> {
        let dev = self.dev.clone().expect("clap requires dev IF");
        let dst = self
            .proxy
            .or(self.addr)
            .expect("clap requires ADDR or proxy ADDR");
        let proxy = self.proxy.is_some();
        if needs_lladdr && !proxy && self.lladdr.is_none() {
            return Err(
                Error::invalid(format!("{verb} {dst}: no link-layer address given"))
                    .with_hint("give lladdr MAC, or proxy ADDR for a proxy entry"),
            );
        }
        let index = scope
            .index(&dev)
            .map_err(|e| e.context(format!("{verb} {dst}")))?;
        Ok(Entry {
            dst,
            index,
            dev,
            lladdr: self.lladdr,
            state: self.nud.unwrap_or(NeighbourState::Permanent),
            proxy,
            router: self.router,
        })
    }
}

impl Entry {
    /// The request that makes (or names, for delete) this entry.
    fn message(&self) -> NeighbourMessage {
        let mut m = NeighbourMessage::default();
        m.header.family = family(self.dst);
        m.header.ifindex = self.index;
        m.header.state = self.state;
        if self.proxy {
            m.header.flags |= NeighbourFlags::Proxy;
        }
        if self.router {
            m.header.flags |= NeighbourFlags::Router;
        }
        m.attributes
            .push(NeighbourAttribute::Destination(NeighbourAddress::from(self.dst)));
        if let Some(mac) = self.lladdr {
            m.attributes
                .push(NeighbourAttribute::LinkLayerAddress(mac.to_vec()));
        }
        m
    }

    /// The kernel's entry for the same address and link, if there is one.
    fn find(&self, scope: &mut Scope) -> Result<Option<NeighbourMessage>> {
        let all = scope.socket.neighbours(self.proxy)?;
        Ok(all
            .into_iter()
            .find(|n| n.header.ifindex == self.index && decode::destination(n) == Some(self.dst)))
    }

    /// How `existing` differs from this entry (None: it is this entry).
    fn difference(&self, existing: &NeighbourMessage) -> Option<String> {
        if self.proxy {
            return None;
        }
        let have = decode::lladdr(existing).map(format_mac);
        let want = self.lladdr.map(|m| format_mac(&m));
        if have != want {
            return Some(format!("it has lladdr {}", have.unwrap_or_else(|| "none".into())));
        }
        let state = decode::state_names(existing.header.state)
            .join(" ")
            .to_lowercase();
        if existing.header.state != self.state {
            return Some(format!("its state is {state}"));
        }
        None
    }
}

fn family(addr: IpAddr) -> AddressFamily {
    match addr {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

/// A dumped entry as a request that puts it back (state, flags, address and lladdr only).
fn as_request(entry: &NeighbourMessage) -> NeighbourMessage {
    let mut m = NeighbourMessage::default();
    m.header = entry.header.clone();
    m.attributes = entry
        .attributes
        .iter()
        .filter(|a| {
            matches!(
                a,
                NeighbourAttribute::Destination(_) | NeighbourAttribute::LinkLayerAddress(_)
            )
        })
        .cloned()
        .collect();
    m
}

/// Add a neighbour entry: `neigh add ADDR lladdr MAC dev IF [nud STATE]` or `neigh add proxy ADDR
/// dev IF`.
///
/// An entry for the address on the link is exit 4; with --exist-ok "changed": false when it is
/// the same entry (lladdr and state), else exit 4 naming the difference. Journaled: in --batch
/// --atomic it is deleted again.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Add {
    #[command(flatten)]
    pub entry: NeighWords,
    /// Succeed with "changed": false when the same entry already exists.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
}

/// Add a neighbour entry or change the one for the address on the link (ip neigh replace).
///
/// Journaled: in --batch --atomic the old entry is put back (or the new one deleted).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Replace {
    #[command(flatten)]
    pub entry: NeighWords,
}

/// Change the entry for the address on the link (ip neigh change): a missing one is exit 3, as
/// the kernel refuses it for ip.
///
/// Journaled: in --batch --atomic the old entry is put back.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Change {
    #[command(flatten)]
    pub entry: NeighWords,
}

/// Delete a neighbour entry: `neigh del ADDR dev IF` or `neigh del proxy ADDR dev IF`.
///
/// A missing entry is exit 3 (--missing-ok: "changed": false). Journaled: in --batch --atomic the
/// entry is added back.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Del {
    #[command(flatten)]
    pub entry: NeighWords,
    /// Succeed with "changed": false when there is no such entry.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

/// What add, replace and del did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NeighChange {
    /// "add", "replace" or "del".
    pub action: String,
    /// The -n namespace, null for the current one.
    pub netns: Option<String>,
    /// The entry as the kernel has it now (for del: the entry deleted; null when none was).
    pub neighbour: Option<NeighbourEntry>,
    /// replace: the entry it replaced, if there was one.
    pub replaced: Option<NeighbourEntry>,
    pub changed: bool,
}

impl Render for NeighChange {}

impl NeighChange {
    fn new(action: &str, scope: &Scope) -> NeighChange {
        NeighChange {
            action: action.to_string(),
            netns: scope.ns.clone(),
            neighbour: None,
            replaced: None,
            changed: false,
        }
    }
}

impl Verb for Add {
    type Ctx = NsCtx;
    type Output = NeighChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<NeighChange> {
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let entry = self.entry.entry(&mut scope, true, "neigh add")?;
        let what = format!("neigh add {} dev {}", entry.dst, entry.dev);
        let mut result = NeighChange::new("add", &scope);
        if let Some(existing) = entry.find(&mut scope)? {
            return match (entry.difference(&existing), self.exist_ok) {
                (None, true) => {
                    result.neighbour = NeighbourEntry::decode(&existing, scope.links()?);
                    Ok(result)
                }
                (None, false) => Err(Error::exists(format!("{what}: the entry exists"))
                    .with_hint("pass --exist-ok to accept it, or use 'neigh replace'")),
                (Some(diff), _) => Err(Error::exists(format!("{what}: an entry exists and {diff}"))
                    .with_hint("use 'neigh replace' to change it")),
            };
        }
        let request = RouteNetlinkMessage::NewNeighbour(entry.message());
        let undo = RouteNetlinkMessage::DelNeighbour(entry.message());
        scope.change(&what, request, NLM_F_CREATE | NLM_F_EXCL, undo, 0, journal)?;
        let found = entry.find(&mut scope)?;
        let links = scope.links()?;
        result.neighbour = found.and_then(|n| NeighbourEntry::decode(&n, links));
        result.changed = true;
        Ok(result)
    }
}

impl Verb for Replace {
    type Ctx = NsCtx;
    type Output = NeighChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<NeighChange> {
        set_entry(ctx, &self.entry, "replace", NLM_F_CREATE | NLM_F_REPLACE, journal)
    }
}

impl Verb for Change {
    type Ctx = NsCtx;
    type Output = NeighChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<NeighChange> {
        set_entry(ctx, &self.entry, "change", NLM_F_REPLACE, journal)
    }
}

/// replace (`flags` with create) or change (without): sends the entry and journals putting the
/// old one back (or deleting the new one).
fn set_entry(
    ctx: &mut NsCtx,
    words: &NeighWords,
    action: &str,
    flags: u16,
    journal: &mut Journal,
) -> Result<NeighChange> {
    let mut scope = Scope::open(ctx.netns.as_deref())?;
    let entry = words.entry(&mut scope, true, &format!("neigh {action}"))?;
    let what = format!("neigh {action} {} dev {}", entry.dst, entry.dev);
    let mut result = NeighChange::new(action, &scope);
    let existing = entry.find(&mut scope)?;
    let request = RouteNetlinkMessage::NewNeighbour(entry.message());
    let (undo, undo_flags) = match &existing {
        Some(old) => (
            RouteNetlinkMessage::NewNeighbour(as_request(old)),
            NLM_F_CREATE | NLM_F_REPLACE,
        ),
        None => (RouteNetlinkMessage::DelNeighbour(entry.message()), 0),
    };
    scope.change(&what, request, flags, undo, undo_flags, journal)?;
    let found = entry.find(&mut scope)?;
    let links = scope.links()?;
    result.replaced = existing.and_then(|n| NeighbourEntry::decode(&n, links));
    result.neighbour = found.and_then(|n| NeighbourEntry::decode(&n, links));
    result.changed = true;
    Ok(result)
}

impl Verb for Del {
    type Ctx = NsCtx;
    type Output = NeighChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<NeighChange> {
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let entry = self.entry.entry(&mut scope, false, "neigh del")?;
        let what = format!("neigh del {} dev {}", entry.dst, entry.dev);
        let mut result = NeighChange::new("del", &scope);
        let Some(existing) = entry.find(&mut scope)? else {
            if self.missing_ok {
                return Ok(result);
            }
            return Err(Error::not_found(format!(
                "{what}: no such entry in {}",
                netns::describe(scope.ns.as_deref())
            ))
            .with_hint("pass --missing-ok to accept a missing entry"));
        };
        let request = RouteNetlinkMessage::DelNeighbour(as_request(&existing));
        let undo = RouteNetlinkMessage::NewNeighbour(as_request(&existing));
        scope.change(&what, request, 0, undo, NLM_F_CREATE | NLM_F_EXCL, journal)?;
        result.neighbour = NeighbourEntry::decode(&existing, scope.links()?);
        result.changed = true;
        Ok(result)
    }
}

/// Delete the entries of a link (`neigh flush dev IF`) or of every link (`neigh flush all`), as
/// ip neigh flush: the dynamic ones (not permanent, not noarp) unless `nud STATE` (or nud all)
/// says which. Journaled: in --batch --atomic they are added back.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct Flush {
    /// The link whose entries go.
    #[arg(long, value_name = "IF", value_parser = super::ifname, required_unless_present = "all", conflicts_with = "all", help_heading = HEADING)]
    pub dev: Option<String>,
    /// The entries of every link.
    #[arg(long, help_heading = HEADING)]
    pub all: bool,
    /// Only entries in this state (all: every state, permanent ones too).
    #[arg(long, value_name = "STATE", value_parser = any_state, help_heading = HEADING)]
    pub nud: Option<StateFilter>,
}

/// The entries flush deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Flushed {
    pub netns: Option<String>,
    pub flushed: Vec<NeighbourEntry>,
    pub changed: bool,
}

impl Render for Flushed {}

/// Whether an entry in `state` is listed (`flush`: deleted) under `filter`, as ip neigh decides:
/// by default show hides noarp entries and flush spares permanent and noarp ones.
fn state_matches(state: NeighbourState, filter: Option<StateFilter>, flush: bool) -> bool {
    let bits = u16::from(state);
    match filter {
        Some(StateFilter::All) => true,
        Some(StateFilter::One(wanted)) => bits & u16::from(wanted) != 0 || bits == u16::from(wanted),
        None if flush => {
            bits & (u16::from(NeighbourState::Permanent) | u16::from(NeighbourState::Noarp)) == 0
        }
        None => bits & u16::from(NeighbourState::Noarp) == 0,
    }
}

impl Verb for Flush {
    type Ctx = NsCtx;
    type Output = Flushed;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Flushed> {
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let index = match &self.dev {
            Some(dev) => Some(scope.index(dev).map_err(|e| e.context("neigh flush"))?),
            None => None,
        };
        let entries = scope.socket.neighbours(false)?;
        let doomed: Vec<NeighbourMessage> = entries
            .into_iter()
            .filter(|n| index.is_none_or(|i| n.header.ifindex == i))
            .filter(|n| state_matches(n.header.state, self.nud, true))
            .collect();
        let mut flushed = vec![];
        for entry in doomed {
            let Some(record) = NeighbourEntry::decode(&entry, scope.links()?) else {
                continue;
            };
            let what = format!("neigh flush {} dev {}", record.dst, record.dev);
            let request = RouteNetlinkMessage::DelNeighbour(as_request(&entry));
            let undo = RouteNetlinkMessage::NewNeighbour(as_request(&entry));
            match scope.change(&what, request, 0, undo, NLM_F_CREATE | NLM_F_REPLACE, journal) {
                Ok(()) => flushed.push(record),
                // Gone by itself between the dump and the delete (it expired): flushed anyway.
                Err(e) if e.kind == vnet_common::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Flushed {
            netns: scope.ns.clone(),
            changed: !flushed.is_empty(),
            flushed,
        })
    }
}

/// List neighbour entries (ip neigh show): of one link (dev IF), the proxy entries (proxy), in
/// one state (nud STATE; nud all lists noarp entries too, which are hidden by default), one
/// family (-4, -6). -o text prints ip neigh show's lines.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct Show {
    /// Only the entries whose address is inside PREFIX (ip's `[to] PREFIX`).
    #[arg(value_name = "PREFIX", value_parser = prefix)]
    pub prefix: Option<IpNet>,
    /// Only the entries whose address is inside PREFIX, as PREFIX.
    #[arg(long, value_name = "PREFIX", value_parser = prefix, conflicts_with = "prefix", help_heading = HEADING)]
    pub to: Option<IpNet>,
    /// Only the entries of this link.
    #[arg(long, value_name = "IF", value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    /// The proxy entries instead.
    #[arg(long, help_heading = HEADING)]
    pub proxy: bool,
    /// Only entries in this state, or all.
    #[arg(long, value_name = "STATE", value_parser = any_state, help_heading = HEADING)]
    pub nud: Option<StateFilter>,
    /// IPv4 entries only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 entries only.
    #[arg(short = '6')]
    pub ipv6: bool,
}

/// The entries `neigh show` lists, with ip -j neigh's field names.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Neighbours(pub Vec<NeighbourEntry>);

impl Render for Neighbours {
    fn text(&self, _: TextStyle) -> String {
        self.0.iter().map(text_line).collect()
    }
}

/// One line of ip neigh show.
fn text_line(n: &NeighbourEntry) -> String {
    let mut line = format!("{} dev {} ", n.dst, n.dev);
    if let Some(mac) = &n.lladdr {
        line.push_str(&format!("lladdr {mac} "));
    }
    if n.router {
        line.push_str("router ");
    }
    if n.proxy {
        line.push_str("proxy ");
    }
    for state in &n.state {
        line.push_str(state);
        line.push(' ');
    }
    line.push('\n');
    line
}

impl Verb for Show {
    type Ctx = NsCtx;
    type Output = Neighbours;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<Neighbours> {
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let index = match &self.dev {
            Some(dev) => Some(scope.index(dev).map_err(|e| e.context("neigh show"))?),
            None => None,
        };
        let entries = scope
            .socket
            .neighbours(self.proxy)
            .map_err(|e| e.context("list neighbours"))?;
        let links = scope.links()?;
        let listed = entries
            .iter()
            .filter(|n| index.is_none_or(|i| n.header.ifindex == i))
            .filter(|n| {
                let within = self.prefix.or(self.to);
                within.is_none_or(|p| decode::destination(n).is_some_and(|a| p.contains(&a)))
            })
            .filter(|n| {
                let within = self.prefix.or(self.to);
                within.is_none_or(|p| decode::destination(n).is_some_and(|a| p.contains(&a)))
            })
            .filter(|n| self.proxy || state_matches(n.header.state, self.nud, false))
            .filter(|n| match n.header.family {
                AddressFamily::Inet => !self.ipv6,
                AddressFamily::Inet6 => !self.ipv4,
                _ => false,
            })
            .filter_map(|n| NeighbourEntry::decode(n, links));
        Ok(Neighbours(listed.collect()))
    }
}

fn prefix(text: &str) -> Result<IpNet> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            Error::invalid(format!(
                "invalid prefix {}: expected PREFIX/LEN or an address",
                quote(text)
            ))
        })
}

/// The entry for an address on a link (ip neigh get ADDR dev IF), as the kernel holds it,
/// whatever its state; none is exit 3.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct Get {
    /// The neighbour's IP address.
    #[arg(value_name = "ADDR", value_parser = address)]
    pub addr: IpAddr,
    /// The link.
    #[arg(long, value_name = "IF", required = true, value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
}

/// The entry `neigh get` found, with ip -j neigh's field names.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Neighbour(pub NeighbourEntry);

impl Render for Neighbour {
    fn text(&self, _: TextStyle) -> String {
        text_line(&self.0)
    }
}

impl Verb for Get {
    type Ctx = NsCtx;
    type Output = Neighbour;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<Neighbour> {
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let dev = self.dev.expect("clap requires dev");
        let index = scope.index(&dev).map_err(|e| e.context("neigh get"))?;
        let entries = scope
            .socket
            .neighbours(false)
            .map_err(|e| e.context("list neighbours"))?;
        let links = scope.links()?;
        entries
            .iter()
            .filter(|n| n.header.ifindex == index && decode::destination(n) == Some(self.addr))
            .find_map(|n| NeighbourEntry::decode(n, links))
            .map(Neighbour)
            .ok_or_else(|| {
                Error::not_found(format!(
                    "neigh get {} dev {dev}: no such entry in {}",
                    self.addr,
                    netns::describe(scope.ns.as_deref())
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    fn words(line: &str) -> Result<NeighWords> {
        match parse_line(&format!("neigh add {line}"))? {
            NsVerb::Neigh(NeighVerb::Add(add)) => Ok(add.entry),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_ip_spellings() {
        let w = words("10.1.0.2 lladdr 02:00:00:00:00:02 dev eth0 nud stale").unwrap();
        assert_eq!(w.addr, Some("10.1.0.2".parse().unwrap()));
        assert_eq!(w.lladdr, Some([2, 0, 0, 0, 0, 2]));
        assert_eq!(
            (w.dev.as_deref(), w.nud),
            (Some("eth0"), Some(NeighbourState::Stale))
        );
        let w = words("proxy 10.1.0.9 dev eth0").unwrap();
        assert_eq!((w.proxy, w.addr), (Some("10.1.0.9".parse().unwrap()), None));
        let w = words("fd00::5 address 02:00:00:00:00:05 dev eth0 router nud noarp").unwrap();
        assert!(w.router);
        assert_eq!(w.nud, Some(NeighbourState::Noarp));
        assert!(matches!(
            parse_line("neigh flush all").unwrap(),
            NsVerb::Neigh(NeighVerb::Flush(Flush { all: true, .. }))
        ));
        assert!(matches!(
            parse_line("neigh show dev eth0 nud all").unwrap(),
            NsVerb::Neigh(NeighVerb::Show(Show {
                nud: Some(StateFilter::All),
                ..
            }))
        ));
        assert!(matches!(
            parse_line("neigh ls proxy").unwrap(),
            NsVerb::Neigh(NeighVerb::Show(_))
        ));
    }

    #[test]
    fn refuses_bad_entries_before_sending() {
        for (line, code, needle) in [
            (
                "neigh add 10.1.0/24 lladdr 02:00:00:00:00:02 dev eth0",
                7,
                "invalid neighbour address",
            ),
            (
                "neigh add 10.1.0.2 lladdr 02:00:00:00:02 dev eth0",
                7,
                "invalid MAC address",
            ),
            (
                "neigh add 10.1.0.2 lladdr 02:00:00:00:00:02 dev eth0 nud delay",
                7,
                "invalid nud state",
            ),
            (
                "neigh add 10.1.0.2 lladdr 02:00:00:00:00:02 dev a/b",
                7,
                "invalid interface name",
            ),
            ("neigh add 10.1.0.2 lladdr 02:00:00:00:00:02", 2, "required"),
            (
                "neigh add proxy 10.1.0.2 lladdr 02:00:00:00:00:02 dev eth0",
                2,
                "cannot be used",
            ),
            ("neigh flush", 2, "required"),
            ("neigh show nud sleepy", 7, "invalid nud state"),
        ] {
            let e = parse_line(line).unwrap_err();
            assert_eq!(e.exit_code(), code, "{line}: {}", e.message);
            assert!(e.message.contains(needle), "{line}: {}", e.message);
        }
    }

    #[test]
    fn show_and_flush_pick_states_as_ip() {
        let (perm, noarp, stale) = (
            NeighbourState::Permanent,
            NeighbourState::Noarp,
            NeighbourState::Stale,
        );
        assert!(state_matches(perm, None, false) && !state_matches(noarp, None, false));
        assert!(!state_matches(perm, None, true) && state_matches(stale, None, true));
        assert!(state_matches(perm, Some(StateFilter::All), true));
        assert!(state_matches(perm, Some(StateFilter::One(perm)), true));
        assert!(!state_matches(stale, Some(StateFilter::One(perm)), false));
    }

    #[test]
    fn change_get_and_show_to_parse_as_ip() {
        assert!(matches!(
            parse_line("neigh change 10.0.0.2 lladdr 02:00:00:00:00:03 dev eth0 nud reachable"),
            Ok(NsVerb::Neigh(NeighVerb::Change(_)))
        ));
        match parse_line("neigh get 10.0.0.2 dev eth0") {
            Ok(NsVerb::Neigh(NeighVerb::Get(get))) => {
                assert_eq!(
                    (get.addr.to_string(), get.dev.as_deref()),
                    ("10.0.0.2".into(), Some("eth0"))
                )
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(parse_line("neigh get 10.0.0.2").unwrap_err().exit_code(), 2);
        assert_eq!(parse_line("neigh get x dev eth0").unwrap_err().exit_code(), 7);
        for (line, want) in [
            ("neigh show to 10.0.0.0/8", "10.0.0.0/8"),
            ("neigh show 10.0.0.2", "10.0.0.2/32"),
        ] {
            match parse_line(line) {
                Ok(NsVerb::Neigh(NeighVerb::Show(show))) => {
                    assert_eq!(show.prefix.or(show.to).unwrap().to_string(), want)
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(parse_line("neigh show to x").unwrap_err().exit_code(), 7);
    }
}
