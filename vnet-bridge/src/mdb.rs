//! `mdb show|add|del`: the bridge's multicast database in bridge(8)'s words, over RTM_GETMDB,
//! RTM_NEWMDB and RTM_DELMDB (vnet_common::netlink::mdb lays the messages out: netlink-packet-route
//! has no MDB types). Entries are what the kernel's IGMP/MLD snooping learned, and those added by
//! hand; they only forward while the bridge snoops (mcast_snooping 1).

use crate::model::{br_attr, Links};
use crate::values::parse_vid;
use crate::Ctx;
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write as _;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::links::{link_master, link_name};
use vnet_common::mac::parse_mac;
use vnet_common::netlink::mdb::{Group, MdbEntry, RawMdb, RTM_DELMDB, RTM_NEWMDB};
use vnet_common::netlink::{RouteSocket, NLM_F_CREATE, NLM_F_EXCL};
use vnet_common::{Context, Error, Journal, Render, Result, TextStyle, Verb};

/// List multicast database entries (bridge mdb show).
///
///   vnet-bridge mdb show [dev BR] [port P] [vid V] [-o text]
///
/// JSON: an array of bridge -j mdb show's entries (index, dev, port, grp, src, state, flags,
/// vid); -o text prints bridge mdb show's lines. A missing BR or P is exit 3.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct MdbShow {
    /// Only this bridge's entries.
    #[arg(long, value_name = "BR", help_heading = HEADING)]
    dev: Option<String>,
    /// Only the entries of this port.
    #[arg(long, value_name = "P", help_heading = HEADING)]
    port: Option<String>,
    /// Only the entries of this VLAN, 1..4094.
    #[arg(long, value_name = "V", value_parser = parse_vid, help_heading = HEADING)]
    vid: Option<u16>,
}

/// The entries, as bridge -j mdb show lists them (without its "router" part).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct MdbEntries(pub Vec<MdbEntry>);

impl Render for MdbEntries {
    /// bridge mdb show's lines.
    fn text(&self, _style: TextStyle) -> String {
        let mut text = String::new();
        for e in &self.0 {
            let _ = write!(text, "dev {} port {} grp {}", e.dev, e.port, e.grp);
            if let Some(src) = &e.src {
                let _ = write!(text, " src {src}");
            }
            let _ = write!(text, " {}", e.state);
            for flag in &e.flags {
                let _ = write!(text, " {flag}");
            }
            if let Some(vid) = e.vid {
                let _ = write!(text, " vid {vid}");
            }
            text.push('\n');
        }
        text
    }
}

impl Verb for MdbShow {
    type Ctx = Ctx;
    type Output = MdbEntries;

    fn run(self, ctx: &mut Ctx, _journal: &mut Journal) -> Result<MdbEntries> {
        let what = "show the multicast database";
        let named: Vec<&str> = self.dev.iter().chain(&self.port).map(String::as_str).collect();
        let (links, names) = ctx.names_now(&named).context(what)?;
        let index = |name: &Option<String>| -> Result<Option<u32>> {
            match name {
                Some(n) => Ok(Some(links.interface(n, ctx.netns())?.header.index)),
                None => Ok(None),
            }
        };
        let (dev, port) = (index(&self.dev).context(what)?, index(&self.port).context(what)?);
        let raw = RouteSocket::open(ctx.netns())?.mdb().context(what)?;
        let entries = raw
            .iter()
            .filter(|e| dev.is_none_or(|d| e.bridge == d))
            .filter(|e| port.is_none_or(|p| e.port == p))
            .filter(|e| self.vid.is_none_or(|v| e.vid == v))
            .map(|e| e.entry(|i| names.name_or_index(i)))
            .collect();
        Ok(MdbEntries(entries))
    }
}

fn name_of(links: &Links, index: u32) -> String {
    links
        .by_index(index)
        .map(link_name)
        .unwrap_or_else(|| format!("if{index}"))
}

/// bridge(8)'s words for one entry: dev BR port P grp GROUP [src S] [vid V] [permanent|temp].
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct EntryWords {
    /// The bridge (exit 3 if missing, 7 if not a bridge).
    #[arg(long, value_name = "BR", help_heading = HEADING)]
    dev: String,
    /// The port the group is forwarded to: a port of BR, or BR itself (the host joins).
    #[arg(long, value_name = "P", help_heading = HEADING)]
    port: String,
    /// The group: an IPv4 or IPv6 multicast address, or a multicast MAC (a layer-2 entry).
    #[arg(long, value_name = "GROUP", value_parser = parse_group, help_heading = HEADING)]
    grp: Group,
    /// The source of a source-specific (S,G) entry: a unicast address of the group's family.
    #[arg(long, value_name = "S", help_heading = HEADING)]
    src: Option<IpAddr>,
    /// The VLAN, 1..4094.
    #[arg(long, value_name = "V", value_parser = parse_vid, help_heading = HEADING)]
    vid: Option<u16>,
    /// An entry that stays until deleted (add only).
    #[arg(long, overrides_with = "temp", help_heading = HEADING)]
    permanent: bool,
    /// An entry that expires as learned ones do (the default, as bridge(8)).
    #[arg(long, overrides_with = "permanent", help_heading = HEADING)]
    temp: bool,
}

/// A group as bridge(8) reads it: an IP address, else a MAC; it must be multicast (exit 7).
fn parse_group(text: &str) -> Result<Group> {
    let group = match text.parse::<IpAddr>() {
        Ok(ip) => Group::Ip(ip),
        Err(_) => Group::Mac(parse_mac(text).map_err(|_| {
            Error::invalid(format!(
                "invalid group {}: expected a multicast IPv4, IPv6 or MAC address",
                quote(text)
            ))
        })?),
    };
    let multicast = match group {
        Group::Ip(ip) => ip.is_multicast(),
        Group::Mac(mac) => mac[0] & 1 == 1,
    };
    if !multicast {
        return Err(Error::invalid(format!(
            "group {} is not a multicast address",
            quote(text)
        )));
    }
    Ok(group)
}

impl EntryWords {
    /// The entry, its names resolved and checked against each other (exit 3 and 7).
    fn entry(&self, links: &Links, ns: Option<&str>) -> Result<RawMdb> {
        if let (Some(src), Group::Ip(grp)) = (self.src, self.grp) {
            if src.is_ipv4() != grp.is_ipv4() || src.is_multicast() || src.is_unspecified() {
                return Err(Error::invalid(format!(
                    "source {src} is not a unicast address of the group's family"
                )));
            }
        } else if self.src.is_some() {
            return Err(Error::invalid("a layer-2 (MAC) group has no source"));
        }
        let bridge = links.bridge(&self.dev, ns)?;
        let port = links.interface(&self.port, ns)?;
        let (b, p) = (bridge.header.index, port.header.index);
        if p != b && link_master(port) != Some(b) {
            return Err(Error::invalid(format!(
                "{} is not a port of {}",
                quote(&self.port),
                quote(&self.dev)
            )));
        }
        Ok(RawMdb {
            bridge: b,
            port: p,
            permanent: self.permanent,
            flags: 0,
            vid: self.vid.unwrap_or(0),
            group: self.grp,
            source: self.src,
        })
    }
}

/// The same entry: bridge, port, group, source and VLAN (not its state).
fn same(a: &RawMdb, b: &RawMdb) -> bool {
    (a.bridge, a.port, a.group, a.source, a.vid) == (b.bridge, b.port, b.group, b.source, b.vid)
}

/// Add a multicast database entry (bridge mdb add).
///
///   vnet-bridge mdb add dev BR port P grp GROUP [permanent|temp] [vid V] [src S]
///
/// An entry that exists is exit 4, unless --exist-ok and it is the one asked for (same state):
/// then "changed": false. A bad group, source or VLAN is exit 7, a missing bridge or port exit 3;
/// the kernel's refusals (snooping off: exit 1) are its own.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct MdbAdd {
    #[command(flatten)]
    entry: EntryWords,
    /// Succeed when the very entry exists.
    #[arg(long, visible_alias = "may-exist")]
    exist_ok: bool,
}

/// Remove a multicast database entry (bridge mdb del).
///
///   vnet-bridge mdb del dev BR port P grp GROUP [vid V] [src S]
///
/// A missing entry is exit 3 unless --missing-ok.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct MdbDel {
    #[command(flatten)]
    entry: EntryWords,
    /// Succeed when the entry does not exist.
    #[arg(long, visible_alias = "if-exists")]
    missing_ok: bool,
}

/// One entry after add or del.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MdbChanged {
    /// The entry as mdb show lists it.
    #[serde(flatten)]
    pub entry: MdbEntry,
    /// Whether the entry is there now.
    pub present: bool,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for MdbChanged {}

/// The entry asked for, the entry of the same identity in the table now, and a socket.
fn look_up(ctx: &Ctx, words: &EntryWords) -> Result<(RawMdb, Option<RawMdb>, Links, RouteSocket)> {
    let links = ctx.links_now()?;
    let wanted = words.entry(&links, ctx.netns())?;
    let mut socket = RouteSocket::open(ctx.netns())?;
    let found = socket.mdb()?.into_iter().find(|e| same(e, &wanted));
    Ok((wanted, found, links, socket))
}

fn describe(e: &RawMdb, links: &Links) -> String {
    let mut what = format!(
        "mdb {} port {} grp {}",
        name_of(links, e.bridge),
        name_of(links, e.port),
        e.group
    );
    if let Some(src) = e.source {
        let _ = write!(what, " src {src}");
    }
    if e.vid != 0 {
        let _ = write!(what, " vid {}", e.vid);
    }
    what
}

impl Verb for MdbAdd {
    type Ctx = Ctx;
    type Output = MdbChanged;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<MdbChanged> {
        let (wanted, found, links, mut socket) = look_up(ctx, &self.entry).context("mdb add")?;
        let what = describe(&wanted, &links);
        let shown = |e: &RawMdb| e.entry(|i| name_of(&links, i));
        if let Some(found) = found {
            let state = |e: &RawMdb| if e.permanent { "permanent" } else { "temp" };
            if !self.exist_ok {
                return Err(Error::exists(format!("add {what}: the entry exists"))
                    .with_hint("use --exist-ok to accept it"));
            }
            if found.permanent != wanted.permanent {
                return Err(Error::exists(format!(
                    "add {what}: the entry exists and is {}, not {}",
                    state(&found),
                    state(&wanted)
                ))
                .with_hint("delete it (mdb del) and add it again"));
            }
            return Ok(MdbChanged {
                entry: shown(&found),
                present: true,
                changed: false,
            });
        }
        let snooping: bool = br_attr!(links.bridge(&self.entry.dev, ctx.netns())?, MulticastSnooping);
        socket
            .change_bytes(RTM_NEWMDB, NLM_F_CREATE | NLM_F_EXCL, &wanted.request())
            .map_err(|e| {
                // The kernel says only "Invalid argument" (its reason is in the extended ack).
                let dev = &self.entry.dev;
                match snooping {
                    true => e,
                    false => e.with_hint(format!(
                        "{dev} does not snoop (mcast_snooping 0): vnet-bridge setmcsnoop {dev} on"
                    )),
                }
            })
            .with_context(|| format!("add {what}"))?;
        let (ns, undo) = (ctx.netns().map(str::to_string), wanted.clone());
        journal.record_fn(what, move || {
            RouteSocket::open(ns.as_deref())?.change_bytes(RTM_DELMDB, 0, &undo.request())
        })?;
        Ok(MdbChanged {
            entry: shown(&wanted),
            present: true,
            changed: true,
        })
    }
}

impl Verb for MdbDel {
    type Ctx = Ctx;
    type Output = MdbChanged;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<MdbChanged> {
        let (wanted, found, links, mut socket) = look_up(ctx, &self.entry).context("mdb del")?;
        let what = describe(&wanted, &links);
        let Some(found) = found else {
            if self.missing_ok {
                return Ok(MdbChanged {
                    entry: wanted.entry(|i| name_of(&links, i)),
                    present: false,
                    changed: false,
                });
            }
            return Err(Error::not_found(format!("del {what}: no such entry")));
        };
        socket
            .change_bytes(RTM_DELMDB, 0, &found.request())
            .with_context(|| format!("del {what}"))?;
        let (ns, undo) = (ctx.netns().map(str::to_string), found.clone());
        journal.record_fn(what, move || {
            RouteSocket::open(ns.as_deref())?.change_bytes(
                RTM_NEWMDB,
                NLM_F_CREATE | NLM_F_EXCL,
                &undo.request(),
            )
        })?;
        Ok(MdbChanged {
            entry: found.entry(|i| name_of(&links, i)),
            present: false,
            changed: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_must_be_multicast() {
        assert_eq!(
            parse_group("239.1.1.1").unwrap(),
            Group::Ip("239.1.1.1".parse().unwrap())
        );
        assert_eq!(
            parse_group("01:00:5e:01:01:01").unwrap(),
            Group::Mac([1, 0, 0x5e, 1, 1, 1])
        );
        assert!(matches!(parse_group("ff0e::5"), Ok(Group::Ip(_))));
        for bad in [
            "10.0.0.1",
            "2001:db8::1",
            "02:00:00:00:00:01",
            "nonsense",
            "239.1.1",
        ] {
            let e = parse_group(bad).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{bad}: {e}");
        }
    }
}
