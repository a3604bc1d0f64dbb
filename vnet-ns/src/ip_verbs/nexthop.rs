//! `nexthop add|replace|del|show|flush|get`: the kernel's nexthop objects as `ip nexthop` manages
//! them (id, via, dev, onlink, blackhole, group with weights, fdb), in the current namespace or
//! -n NS, with ip -j nexthop's records.

use crate::scope::Scope;
use crate::NsCtx;
use schemars::JsonSchema;
use serde::Serialize;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::netlink::nexthop::{self as wire, DumpFilter, NexthopEntry, RawNexthop};
use vnet_common::netlink::{RouteSocket, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

vnet_common::verbs! {
    pub enum NexthopVerb for NsCtx {
        /// Add a nexthop object (ip nexthop add).
        Add(Add),
        /// Add a nexthop object or change the one of that id (ip nexthop replace).
        Replace(Replace),
        /// Delete a nexthop object (ip nexthop del id N).
        #[command(visible_alias = "delete")]
        Del(Del),
        /// List nexthop objects (ip nexthop show).
        #[command(visible_alias = "list", visible_alias = "ls")]
        Show(Show),
        /// Delete the nexthop objects the selectors pick, all without one (ip nexthop flush).
        Flush(Flush),
        /// One nexthop object (ip nexthop get id N).
        Get(Get),
    }
}

/// ip's NH: `[id ID] { blackhole | [via ADDR] [dev IF] [onlink] | group ID[,WEIGHT][/...] [type
/// mpath] } [fdb] [protocol P]`.
#[derive(Debug, Clone, clap::Args)]
#[command(args_override_self = true)]
pub struct NexthopWords {
    /// The nexthop's id (1..); without it the kernel picks one.
    #[arg(long, value_name = "ID", value_parser = id, help_heading = HEADING)]
    pub id: Option<u32>,
    /// The gateway's address (IPv4 or IPv6: the nexthop's family).
    #[arg(long, value_name = "ADDR", value_parser = address, help_heading = HEADING)]
    pub via: Option<IpAddr>,
    /// The output link.
    #[arg(long, value_name = "IF", value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    /// Take the gateway as on the link even if no prefix of the link covers it.
    #[arg(long, help_heading = HEADING)]
    pub onlink: bool,
    /// Drop what goes to this nexthop.
    #[arg(long, conflicts_with_all = ["via", "dev", "group", "onlink"], help_heading = HEADING)]
    pub blackhole: bool,
    /// A group of nexthop ids, each with an optional weight 1..256: `1,3/2` (ip's GROUP).
    #[arg(long, value_name = "GROUP", value_parser = group, conflicts_with_all = ["via", "dev", "onlink"], help_heading = HEADING)]
    pub group: Option<Members>,
    /// The group's type: mpath (resilient is refused by vnet-ns).
    #[arg(long = "type", value_name = "TYPE", value_parser = group_type, requires = "group", help_heading = HEADING)]
    pub kind: Option<u16>,
    /// A nexthop (group) for the FDB of VXLAN links.
    #[arg(long, help_heading = HEADING)]
    pub fdb: bool,
    /// The protocol that owns it (a name of rt_protos or a number).
    #[arg(long, visible_alias = "proto", value_name = "P", value_parser = protocol, help_heading = HEADING)]
    pub protocol: Option<u8>,
    /// Refused: lightweight tunnel encapsulation is not supported by vnet-ns.
    #[arg(long, value_name = "ENCAP", num_args = 1.., allow_hyphen_values = true, help_heading = HEADING)]
    pub encap: Vec<String>,
    /// An IPv4 nexthop (a dev-only one is IPv4 unless -6).
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// An IPv6 nexthop.
    #[arg(short = '6')]
    pub ipv6: bool,
}

fn id(text: &str) -> Result<u32> {
    text.parse()
        .map_err(|_| Error::invalid(format!("invalid id value {}", quote(text))))
}

fn address(text: &str) -> Result<IpAddr> {
    text.parse()
        .map_err(|_| Error::invalid(format!("invalid address {}: not an IP address", quote(text))))
}

fn protocol(text: &str) -> Result<u8> {
    crate::protocols::protocol_number(text)
        .ok_or_else(|| Error::invalid(format!("\"protocol\" value is invalid: {}", quote(text))))
}

/// A group's members as given: (id, weight 1..256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Members(pub Vec<(u32, u16)>);

/// ip's GROUP: `ID[,WEIGHT][/ID[,WEIGHT]...]`, weights 1..256 (1 when left out).
fn group(text: &str) -> Result<Members> {
    let bad = || Error::invalid(format!("\"group\" value is invalid: {}", quote(text)));
    text.split('/')
        .map(|member| {
            let (id, weight) = match member.split_once(',') {
                Some((id, weight)) => (id, Some(weight)),
                None => (member, None),
            };
            let id: u32 = id.parse().map_err(|_| bad())?;
            let weight = match weight {
                None => 1,
                Some(w) => match w.parse::<u16>() {
                    Ok(w @ 1..=256) => w,
                    _ => {
                        return Err(Error::invalid(format!(
                            "\"weight\" is invalid: {} (1..256)",
                            quote(w)
                        )))
                    }
                },
            };
            Ok((id, weight))
        })
        .collect::<Result<_>>()
        .map(Members)
}

fn group_type(text: &str) -> Result<u16> {
    match text {
        "mpath" => Ok(0),
        "resilient" => Err(Error::invalid(
            "type resilient (resilient nexthop groups) is not supported by vnet-ns",
        )),
        _ => Err(Error::invalid(format!(
            "\"type\" value is invalid: {}",
            quote(text)
        ))),
    }
}

impl NexthopWords {
    /// The nexthop asked for, its link and group members checked here (a missing one is exit
    /// 3), its family as ip chooses it: the gateway's, else -6, else IPv4 for a dev or
    /// blackhole nexthop, none for a group.
    fn wanted(&self, scope: &mut Scope, what: &str) -> Result<RawNexthop> {
        if !self.encap.is_empty() {
            return Err(Error::invalid(format!(
                "{what}: encap (lightweight tunnels) is not supported by vnet-ns"
            )));
        }
        let oif = self
            .dev
            .as_deref()
            .map(|d| scope.index(d))
            .transpose()
            .map_err(|e| e.context(what))?;
        let family = match self.via {
            Some(IpAddr::V4(_)) if self.ipv6 => {
                return Err(Error::invalid(format!("{what}: address family mismatch")))
            }
            Some(IpAddr::V6(_)) if self.ipv4 => {
                return Err(Error::invalid(format!("{what}: address family mismatch")))
            }
            Some(IpAddr::V4(_)) => 2,
            Some(IpAddr::V6(_)) => 10,
            None if self.ipv6 => 10,
            None if self.ipv4 || oif.is_some() || self.blackhole => 2,
            None => 0,
        };
        let group = self.group.clone().map(|m| m.0).unwrap_or_default();
        if !group.is_empty() {
            let known = wire::dump(&mut scope.socket, DumpFilter::default())?;
            if let Some((missing, _)) = group.iter().find(|(id, _)| !known.iter().any(|n| n.id == *id)) {
                return Err(Error::not_found(format!(
                    "{what}: group member: no nexthop with id {missing}"
                )));
            }
        }
        if self.via.is_none() && oif.is_none() && !self.blackhole && group.is_empty() && !self.fdb {
            return Err(super::usage(what, "give via, dev, blackhole or group"));
        }
        Ok(RawNexthop {
            id: self.id.unwrap_or(0),
            family,
            protocol: self.protocol.unwrap_or(0),
            flags: if self.onlink { wire::ONLINK } else { 0 },
            blackhole: self.blackhole,
            fdb: self.fdb,
            oif,
            gateway: self.via,
            group_type: self.kind.unwrap_or(0),
            group,
            ..RawNexthop::default()
        })
    }
}

/// Nexthop `id` exists in `ns` (a route's `nhid N`): a missing one is exit 3, before any change.
pub fn require(ns: Option<&str>, id: u32, verb: &str) -> Result<()> {
    let mut socket = RouteSocket::open(ns)?;
    match wire::get(&mut socket, id)? {
        Some(_) => Ok(()),
        None => Err(
            Error::not_found(format!("{verb}: nhid {id}: no nexthop with id {id}"))
                .with_hint("add it first: vnet-ns nexthop add id N ..."),
        ),
    }
}

/// The difference between what was asked (`wanted`) and what is there (`found`), as words; None
/// when the nexthop there already is the one asked for.
fn difference(wanted: &RawNexthop, found: &RawNexthop) -> Option<String> {
    let mut differs = vec![];
    if wanted.gateway != found.gateway {
        differs.push("via");
    }
    if wanted.oif != found.oif {
        differs.push("dev");
    }
    if wanted.blackhole != found.blackhole {
        differs.push("blackhole");
    }
    if wanted.group != found.group || wanted.group_type != found.group_type {
        differs.push("group");
    }
    if wanted.fdb != found.fdb {
        differs.push("fdb");
    }
    if wanted.flags & wire::ONLINK != found.flags & wire::ONLINK {
        differs.push("onlink");
    }
    if wanted.protocol != 0 && wanted.protocol != found.protocol {
        differs.push("protocol");
    }
    (!differs.is_empty()).then(|| differs.join(", "))
}

/// Add a nexthop object: `nexthop add [id ID] { blackhole | via ADDR [dev IF] [onlink] | dev IF
/// | group ID[,W]/... [type mpath] } [fdb] [protocol P]`, as ip nexthop add.
///
/// An id in use is exit 4; with --exist-ok "changed": false when that nexthop is the one asked
/// for, else exit 4 naming the difference. A missing dev or group member is exit 3, a bad id,
/// address, weight or type exit 7, all before any change. Journaled: in --batch --atomic it is
/// deleted again.
#[derive(Debug, clap::Args)]
pub struct Add {
    #[command(flatten)]
    pub nexthop: NexthopWords,
    /// Succeed with "changed": false when the same nexthop already exists.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
}

/// Add a nexthop object or change the one of that id (ip nexthop replace): the same words as
/// add, the id required (without it replace is add).
///
/// Journaled: in --batch --atomic the old nexthop is put back (or the new one deleted).
#[derive(Debug, clap::Args)]
pub struct Replace {
    #[command(flatten)]
    pub nexthop: NexthopWords,
}

/// What add, replace and del did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NexthopChange {
    /// "add", "replace" or "del".
    pub action: String,
    /// The -n namespace, null for the current one.
    pub netns: Option<String>,
    /// The nexthop as the kernel has it now (del: the one deleted; null when none was).
    pub nexthop: Option<NexthopEntry>,
    /// replace: the nexthop it replaced, if there was one.
    pub replaced: Option<NexthopEntry>,
    pub changed: bool,
}

impl Render for NexthopChange {}

/// A journal step that sends `undo` (a nexthop to make again, or an id to delete) over a
/// socket of its own in `ns`.
fn record(journal: &mut Journal, what: String, ns: Option<String>, undo: Undo) -> Result<()> {
    journal.record_fn(what, move || {
        let mut socket = RouteSocket::open(ns.as_deref())?;
        match undo {
            Undo::Delete(id) => wire::delete(&mut socket, id),
            Undo::Restore(nh) => wire::create(&mut socket, &nh, NLM_F_CREATE | NLM_F_REPLACE),
        }
    })
}

enum Undo {
    Delete(u32),
    Restore(RawNexthop),
}

/// Makes `wanted` with `flags`; the nexthop the kernel made (its id found by comparing the
/// dumps when the kernel picked it).
fn make(scope: &mut Scope, wanted: &RawNexthop, flags: u16, what: &str) -> Result<RawNexthop> {
    let before: Vec<u32> = match wanted.id {
        0 => wire::dump(&mut scope.socket, DumpFilter::default())?
            .iter()
            .map(|n| n.id)
            .collect(),
        _ => vec![],
    };
    wire::create(&mut scope.socket, wanted, flags).map_err(|e| e.context(what))?;
    let after = wire::dump(&mut scope.socket, DumpFilter::default())?;
    after
        .into_iter()
        .find(|n| match wanted.id {
            0 => !before.contains(&n.id),
            id => n.id == id,
        })
        .ok_or_else(|| Error::failed(format!("{what}: the kernel did not keep the nexthop")))
}

impl Verb for Add {
    type Ctx = NsCtx;
    type Output = NexthopChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<NexthopChange> {
        let what = "nexthop add".to_string();
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let wanted = self.nexthop.wanted(&mut scope, &what)?;
        if wanted.id != 0 {
            if let Some(found) = wire::get(&mut scope.socket, wanted.id)? {
                let what = format!("{what} id {}", wanted.id);
                let entry = found.entry(scope.links()?);
                return match (difference(&wanted, &found), self.exist_ok) {
                    (None, true) => Ok(NexthopChange {
                        action: "add".into(),
                        netns: ctx.netns.clone(),
                        nexthop: Some(entry),
                        replaced: None,
                        changed: false,
                    }),
                    (None, false) => Err(Error::exists(format!("{what}: the nexthop exists"))
                        .with_hint("use --exist-ok to accept it, or nexthop replace")),
                    (Some(d), _) => Err(Error::exists(format!(
                        "{what}: a nexthop of that id exists and differs in {d}"
                    ))
                    .with_hint("use nexthop replace to change it")),
                };
            }
        }
        let made = make(&mut scope, &wanted, NLM_F_CREATE | NLM_F_EXCL, &what)?;
        record(
            journal,
            format!("{what} id {}", made.id),
            ctx.netns.clone(),
            Undo::Delete(made.id),
        )?;
        Ok(NexthopChange {
            action: "add".into(),
            netns: ctx.netns.clone(),
            nexthop: Some(made.entry(scope.links()?)),
            replaced: None,
            changed: true,
        })
    }
}

impl Verb for Replace {
    type Ctx = NsCtx;
    type Output = NexthopChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<NexthopChange> {
        let what = "nexthop replace".to_string();
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let wanted = self.nexthop.wanted(&mut scope, &what)?;
        let old = match wanted.id {
            0 => None,
            id => wire::get(&mut scope.socket, id)?,
        };
        let made = make(&mut scope, &wanted, NLM_F_CREATE | NLM_F_REPLACE, &what)?;
        let undo = match old.clone() {
            Some(old) => Undo::Restore(old),
            None => Undo::Delete(made.id),
        };
        record(journal, format!("{what} id {}", made.id), ctx.netns.clone(), undo)?;
        let names = scope.links()?;
        Ok(NexthopChange {
            action: "replace".into(),
            netns: ctx.netns.clone(),
            changed: old.as_ref() != Some(&made),
            replaced: old.map(|o| o.entry(names)),
            nexthop: Some(made.entry(names)),
        })
    }
}

/// Delete a nexthop object: `nexthop del id ID` (ip nexthop del). The kernel also removes it
/// from the groups it is in and deletes the routes that use it.
///
/// A missing id is exit 3 (--missing-ok: "changed": false). Journaled: in --batch --atomic the
/// nexthop is added back (not the routes and group places the kernel removed with it).
#[derive(Debug, clap::Args)]
pub struct Del {
    /// The nexthop's id.
    #[arg(long, value_name = "ID", value_parser = id, required = true, help_heading = HEADING)]
    pub id: Option<u32>,
    /// Succeed with "changed": false when there is no such nexthop.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

impl Verb for Del {
    type Ctx = NsCtx;
    type Output = NexthopChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<NexthopChange> {
        let id = self.id.expect("clap requires id");
        let what = format!("nexthop del id {id}");
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let Some(found) = wire::get(&mut scope.socket, id)? else {
            if self.missing_ok {
                return Ok(NexthopChange {
                    action: "del".into(),
                    netns: ctx.netns.clone(),
                    nexthop: None,
                    replaced: None,
                    changed: false,
                });
            }
            return Err(Error::not_found(format!("{what}: no nexthop with id {id}")));
        };
        wire::delete(&mut scope.socket, id).map_err(|e| e.context(&what))?;
        record(journal, what, ctx.netns.clone(), Undo::Restore(found.clone()))?;
        Ok(NexthopChange {
            action: "del".into(),
            netns: ctx.netns.clone(),
            nexthop: Some(found.entry(scope.links()?)),
            replaced: None,
            changed: true,
        })
    }
}

/// ip nexthop show's SELECTOR: `[id ID] [dev IF] [vrf NAME | master IF] [groups] [fdb]
/// [protocol P]`, -4/-6 for one family.
#[derive(Debug, Default, Clone, clap::Args)]
#[command(args_override_self = true)]
pub struct NexthopFilter {
    /// Only the nexthop of this id.
    #[arg(long, value_name = "ID", value_parser = id, help_heading = HEADING)]
    pub id: Option<u32>,
    /// Only the nexthops out of this link.
    #[arg(long, value_name = "IF", value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    /// Only the nexthops whose link is enslaved to this master.
    #[arg(long, value_name = "IF", value_parser = super::ifname, help_heading = HEADING)]
    pub master: Option<String>,
    /// Only the nexthops whose link is in this vrf.
    #[arg(long, value_name = "NAME", value_parser = super::ifname, conflicts_with = "master", help_heading = HEADING)]
    pub vrf: Option<String>,
    /// Only the groups.
    #[arg(long, help_heading = HEADING)]
    pub groups: bool,
    /// Only the fdb nexthops.
    #[arg(long, help_heading = HEADING)]
    pub fdb: bool,
    /// Only the nexthops of this protocol (a name or a number).
    #[arg(long, visible_alias = "proto", value_name = "P", value_parser = protocol, help_heading = HEADING)]
    pub protocol: Option<u8>,
    /// IPv4 nexthops only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 nexthops only.
    #[arg(short = '6')]
    pub ipv6: bool,
}

impl NexthopFilter {
    /// The nexthops selected, in the kernel's order (a missing dev, master or vrf is exit 3).
    fn select(&self, ctx: &mut NsCtx, scope: &mut Scope, verb: &str) -> Result<Vec<RawNexthop>> {
        let master = match (&self.vrf, &self.master) {
            (Some(vrf), _) => Some(super::vrf::find(ctx, vrf, verb)?.index),
            (None, Some(m)) => Some(scope.index(m)?),
            (None, None) => None,
        };
        let filter = DumpFilter {
            family: if self.ipv6 {
                10
            } else if self.ipv4 {
                2
            } else {
                0
            },
            oif: self.dev.as_deref().map(|d| scope.index(d)).transpose()?,
            master,
            groups: self.groups,
            fdb: self.fdb,
        };
        let all = wire::dump(&mut scope.socket, filter).map_err(|e| e.context(verb))?;
        Ok(all
            .into_iter()
            .filter(|n| self.id.is_none_or(|id| n.id == id))
            .filter(|n| self.protocol.is_none_or(|p| n.protocol == p))
            .collect())
    }
}

/// List nexthop objects (ip nexthop show [SELECTOR]), with ip -j nexthop's fields.
///
/// A missing dev, master or vrf is exit 3; nothing changes.
#[derive(Debug, clap::Args)]
pub struct Show {
    #[command(flatten)]
    pub filter: NexthopFilter,
}

/// The nexthops show lists.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Nexthops(pub Vec<NexthopEntry>);

impl Render for Nexthops {
    fn text(&self, _: TextStyle) -> String {
        self.0.iter().map(|n| format!("{}\n", text_line(n))).collect()
    }
}

/// One line of ip nexthop show.
fn text_line(n: &NexthopEntry) -> String {
    let mut line = format!("id {}", n.id);
    if let Some(group) = &n.group {
        let members: Vec<String> = group
            .iter()
            .map(|m| match m.weight {
                1 => m.id.to_string(),
                w => format!("{},{w}", m.id),
            })
            .collect();
        line.push_str(&format!(" group {}", members.join("/")));
    }
    if n.blackhole {
        line.push_str(" blackhole");
    }
    if let Some(gw) = &n.gateway {
        line.push_str(&format!(" via {gw}"));
    }
    if let Some(dev) = &n.dev {
        line.push_str(&format!(" dev {dev}"));
    }
    if let Some(scope) = &n.scope {
        line.push_str(&format!(" scope {scope}"));
    }
    if let Some(protocol) = &n.protocol {
        line.push_str(&format!(" proto {protocol}"));
    }
    for flag in &n.flags {
        line.push_str(&format!(" {flag}"));
    }
    if n.fdb {
        line.push_str(" fdb");
    }
    line
}

impl Verb for Show {
    type Ctx = NsCtx;
    type Output = Nexthops;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<Nexthops> {
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let found = self.filter.select(ctx, &mut scope, "nexthop show")?;
        let names = scope.links()?;
        Ok(Nexthops(found.iter().map(|n| n.entry(names)).collect()))
    }
}

/// One nexthop object: `nexthop get id ID` (ip nexthop get). A missing id is exit 3.
#[derive(Debug, clap::Args)]
pub struct Get {
    /// The nexthop's id.
    #[arg(long, value_name = "ID", value_parser = id, required = true, help_heading = HEADING)]
    pub id: Option<u32>,
}

/// The nexthop get found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Nexthop(pub NexthopEntry);

impl Render for Nexthop {
    fn text(&self, _: TextStyle) -> String {
        format!("{}\n", text_line(&self.0))
    }
}

impl Verb for Get {
    type Ctx = NsCtx;
    type Output = Nexthop;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<Nexthop> {
        let id = self.id.expect("clap requires id");
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let found = wire::get(&mut scope.socket, id)?
            .ok_or_else(|| Error::not_found(format!("nexthop get id {id}: no nexthop with id {id}")))?;
        Ok(Nexthop(found.entry(scope.links()?)))
    }
}

/// Delete the nexthop objects the selectors pick (ip nexthop flush [SELECTOR]); without one,
/// every nexthop object. Groups go first, so no member is deleted under a group still there.
///
/// A missing dev, master or vrf is exit 3 before any change. Journaled: in --batch --atomic the
/// nexthops are added back (plain ones before groups).
#[derive(Debug, clap::Args)]
pub struct Flush {
    #[command(flatten)]
    pub filter: NexthopFilter,
}

/// The nexthops flush deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Flushed {
    pub netns: Option<String>,
    pub flushed: Vec<NexthopEntry>,
    pub changed: bool,
}

impl Render for Flushed {}

impl Verb for Flush {
    type Ctx = NsCtx;
    type Output = Flushed;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Flushed> {
        let mut scope = Scope::open(ctx.netns.as_deref())?;
        let mut found = self.filter.select(ctx, &mut scope, "nexthop flush")?;
        // Groups first: deleting a member first would change the group the undo restores.
        found.sort_by_key(|n| n.group.is_empty());
        let names = scope.links()?.clone();
        let mut flushed = vec![];
        for nh in found {
            let what = format!("nexthop flush: del id {}", nh.id);
            match wire::delete(&mut scope.socket, nh.id) {
                Ok(()) => {}
                // A member of a group deleted just before may have gone with it: not an error.
                Err(e) if e.kind == vnet_common::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.context(&what)),
            }
            flushed.push(nh.entry(&names));
            record(journal, what, ctx.netns.clone(), Undo::Restore(nh))?;
        }
        Ok(Flushed {
            netns: ctx.netns.clone(),
            changed: !flushed.is_empty(),
            flushed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::NexthopVerb;
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    #[test]
    fn parses_ip_spellings_and_refuses_bad_words() {
        match parse_line("nexthop add id 10 group 1,3/2").unwrap() {
            NsVerb::Nexthop(NexthopVerb::Add(add)) => {
                assert_eq!(add.nexthop.id, Some(10));
                assert_eq!(add.nexthop.group, Some(super::Members(vec![(1, 3), (2, 1)])));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_line("nexthop add id 1 via 10.0.0.1 dev eth0 onlink").is_ok());
        assert!(parse_line("nexthop replace id 1 blackhole").is_ok());
        assert!(parse_line("nexthop show dev eth0 groups").is_ok());
        assert!(parse_line("nexthop get id 3").is_ok());
        assert!(parse_line("nexthop flush").is_ok());
        for (line, code) in [
            ("nexthop add id x blackhole", 7),
            ("nexthop add id 1 group 1,0", 7),
            ("nexthop add id 1 group 1,257", 7),
            ("nexthop add id 1 group 1/x", 7),
            ("nexthop add id 1 group 1 type resilient", 7),
            ("nexthop add id 1 via 10.0.0", 7),
            ("nexthop add id 1 blackhole via 10.0.0.1", 2),
            ("nexthop del", 2),
            ("nexthop get", 2),
        ] {
            assert_eq!(parse_line(line).unwrap_err().exit_code(), code, "{line}");
        }
    }
}
