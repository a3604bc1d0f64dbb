//! `fdb add`, `fdb append` and `fdb del`: one forwarding database entry, in bridge(8)'s words.

use super::entries::{delete_message, in_bridge_table, new_message, row_of, same_entry, send, Entry, Op};
use crate::model::{vxlan_data, Links, Names};
use crate::values::{parse_ip, parse_port, parse_vid, parse_vni};
use crate::{Ctx, Scope};
use futures::TryStreamExt;
use netlink_packet_route::neighbour::NeighbourMessage;
use netlink_packet_route::AddressFamily;
use schemars::JsonSchema;
use serde::Serialize;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::links::link_master;
use vnet_common::mac::{format_mac, parse_mac};
use vnet_common::{Context, Error, ErrorKind, Journal, Render, Result, Verb};

/// bridge(8)'s words for one entry: MAC dev DEV [dst IP] [port P] [vni N] [vlan V] [self]
/// [master] [static|permanent].
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct EntryWords {
    /// The MAC address (00:00:00:00:00:00 on a VXLAN device: where unknown destinations go).
    #[arg(value_name = "MAC", value_parser = parse_lladdr)]
    mac: Option<[u8; 6]>,
    /// The device: a bridge port, or a VXLAN device.
    #[arg(long, value_name = "DEV", help_heading = HEADING)]
    dev: Option<String>,
    /// The remote VTEP the MAC is behind (VXLAN devices only).
    #[arg(long, value_name = "IP", value_parser = parse_dst, help_heading = HEADING)]
    dst: Option<IpAddr>,
    /// The remote UDP port, 1..65535 (VXLAN devices only).
    #[arg(long, value_name = "PORT", visible_alias = "dst_port", value_parser = parse_port, help_heading = HEADING)]
    port: Option<u16>,
    /// The remote VNI, 1..16777215 (VXLAN devices only).
    #[arg(long, value_name = "VNI", value_parser = parse_vni, help_heading = HEADING)]
    vni: Option<u32>,
    /// The VLAN, 1..4094.
    #[arg(long, value_name = "VID", value_parser = parse_vid, help_heading = HEADING)]
    vlan: Option<u16>,
    /// On the device itself (the default unless master).
    #[arg(long = "self", help_heading = HEADING)]
    on_self: bool,
    /// In the bridge's table (DEV must be a bridge port).
    #[arg(long, help_heading = HEADING)]
    master: bool,
    /// A static entry (bridge(8)'s NUD_NOARP|NUD_REACHABLE) instead of a permanent one.
    #[arg(long = "static", overrides_with = "permanent", help_heading = HEADING)]
    is_static: bool,
    /// A permanent entry (the default).
    #[arg(long, overrides_with = "is_static", help_heading = HEADING)]
    permanent: bool,
}

/// A word where bridge(8) takes a MAC: one without ':' is not a MAC but a word fdb does not know
/// (exit 2); a malformed MAC is exit 7.
fn parse_lladdr(text: &str) -> Result<[u8; 6]> {
    if !text.contains(':') {
        return Err(
            Error::new(ErrorKind::Usage, format!("unknown fdb argument {}", quote(text)))
                .with_hint("see 'vnet-bridge fdb --help'"),
        );
    }
    parse_mac(text)
}

fn parse_dst(text: &str) -> Result<IpAddr> {
    parse_ip("dst", text)
}

impl EntryWords {
    /// The entry and its device, which add, append and del all need (exit 2 without them).
    fn entry(&self, verb: &str) -> Result<(Entry, String)> {
        let need = |what: &str| {
            Error::new(ErrorKind::Usage, format!("fdb {verb} needs {what}"))
                .with_hint("e.g. vnet-bridge fdb append 00:00:00:00:00:00 dev vx0 dst 192.0.2.3")
        };
        let mac = self.mac.ok_or_else(|| need("a MAC address"))?;
        let dev = self.dev.clone().ok_or_else(|| need("dev DEV"))?;
        vnet_common::names::validate_ifname(&dev)?;
        let entry = Entry {
            mac,
            dst: self.dst,
            port: self.port,
            vni: self.vni,
            vlan: self.vlan,
            on_self: self.on_self,
            master: self.master,
            is_static: self.is_static,
        };
        Ok((entry, dev))
    }
}

/// Add a forwarding database entry (bridge fdb add).
///
///   vnet-bridge fdb add MAC dev DEV [dst IP] [port P] [vni N] [vlan V] [self] [master] [static]
///
/// Entries are permanent (or static with "static") and on the device itself ("self") unless
/// "master" puts them in the bridge's table. dst, port and vni are a VXLAN device's; on another
/// device they go to the kernel as bridge(8) sends them, and a port's own table drops them (the
/// result's dst is null then). An entry that exists is exit 4 unless --exist-ok. A MAC, address, VNI, port or
/// VLAN that does not parse is exit 7; a missing device is exit 3.
#[derive(Debug, clap::Args)]
#[group(skip)]
// A word given twice: the last one counts, as bridge(8) reads them.
#[command(args_override_self = true)]
pub struct FdbAdd {
    #[command(flatten)]
    entry: EntryWords,
    /// Succeed when the entry exists.
    #[arg(long, visible_alias = "may-exist")]
    exist_ok: bool,
}

/// Add an entry beside others of the same MAC (bridge fdb append): one more flood destination of
/// a VXLAN port.
///
///   vnet-bridge fdb append 00:00:00:00:00:00 dev vx0 dst 192.0.2.3   (head-end replication)
///
/// Takes fdb add's words. An entry that exists is "changed": false.
#[derive(Debug, clap::Args)]
#[group(skip)]
// A word given twice: the last one counts, as bridge(8) reads them.
#[command(args_override_self = true)]
pub struct FdbAppend {
    #[command(flatten)]
    entry: EntryWords,
    /// Accepted as with add: an entry that exists is "changed": false anyway.
    #[arg(long, visible_alias = "may-exist")]
    exist_ok: bool,
}

/// Remove a forwarding database entry (bridge fdb del).
///
///   vnet-bridge fdb del MAC dev DEV [dst IP] [vlan V] [self] [master]
///
/// The entry is the one of DEV with this MAC, dst and VLAN; a missing one is exit 3 unless
/// --missing-ok.
#[derive(Debug, clap::Args)]
#[group(skip)]
// A word given twice: the last one counts, as bridge(8) reads them.
#[command(args_override_self = true)]
pub struct FdbDel {
    #[command(flatten)]
    entry: EntryWords,
    /// Succeed when the entry does not exist.
    #[arg(long, visible_alias = "if-exists")]
    missing_ok: bool,
}

/// One entry after add, append or del.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FdbChanged {
    pub mac: String,
    /// The device.
    pub dev: String,
    /// The remote VTEP (VXLAN devices).
    pub dst: Option<String>,
    pub vlan: Option<u16>,
    /// Whether the entry is there now.
    pub present: bool,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for FdbChanged {}

/// What a change does with the entry it finds (or does not).
#[derive(Debug, Clone, Copy)]
enum Change {
    Add { exist_ok: bool },
    Append,
    Del { missing_ok: bool },
}

impl Verb for FdbAdd {
    type Ctx = Ctx;
    type Output = FdbChanged;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<FdbChanged> {
        let change = Change::Add {
            exist_ok: self.exist_ok,
        };
        run_change(ctx, journal, &self.entry, change)
    }
}

impl Verb for FdbAppend {
    type Ctx = Ctx;
    type Output = FdbChanged;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<FdbChanged> {
        run_change(ctx, journal, &self.entry, Change::Append)
    }
}

impl Verb for FdbDel {
    type Ctx = Ctx;
    type Output = FdbChanged;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<FdbChanged> {
        let change = Change::Del {
            missing_ok: self.missing_ok,
        };
        run_change(ctx, journal, &self.entry, change)
    }
}

fn run_change(
    ctx: &mut Ctx,
    journal: &mut Journal,
    words: &EntryWords,
    change: Change,
) -> Result<FdbChanged> {
    let verb = match change {
        Change::Add { .. } => "add",
        Change::Append => "append",
        Change::Del { .. } => "del",
    };
    let (entry, dev) = words.entry(verb)?;
    let mac = format_mac(&entry.mac);
    let what = match entry.dst {
        Some(dst) => format!("fdb {verb} {mac} dev '{dev}' dst {dst}"),
        None => format!("fdb {verb} {mac} dev '{dev}'"),
    };
    let (step, name) = (what.clone(), dev.clone());
    let vlan = entry.vlan;
    let (present, changed, dst) = ctx
        .run(|at| async move { apply(at, journal, change, &entry, &name, step).await })
        .context(&what)?;
    Ok(FdbChanged {
        mac,
        dev,
        dst: dst.map(|d| d.to_string()),
        vlan,
        present,
        changed,
    })
}

/// Finds the entry and adds, appends or deletes it; (present now, changed, the dst it has).
async fn apply(
    at: Scope<'_>,
    journal: &mut Journal,
    change: Change,
    entry: &Entry,
    dev: &str,
    step: String,
) -> Result<(bool, bool, Option<IpAddr>)> {
    let (index, existing, dst) = find(&at, entry, dev).await?;
    let (present, changed) = change_table(&at, journal, change, entry, step, index, existing).await?;
    Ok((present, changed, dst))
}

/// Adds, appends or deletes the entry at `index` (`existing`: as the table holds it now).
async fn change_table(
    at: &Scope<'_>,
    journal: &mut Journal,
    change: Change,
    entry: &Entry,
    step: String,
    index: u32,
    existing: Option<NeighbourMessage>,
) -> Result<(bool, bool)> {
    let op = match (change, existing) {
        (Change::Del { missing_ok: true }, None) => return Ok((false, false)),
        (Change::Del { .. }, None) => return Err(Error::not_found("no such entry")),
        (Change::Del { .. }, Some(found)) => {
            send(&at.handle, delete_message(&found), Op::Del).await?;
            let handle = at.handle.clone();
            journal.record(step, async move { send(&handle, found, Op::Append).await })?;
            return Ok((false, true));
        }
        (Change::Add { exist_ok: false }, Some(_)) => {
            return Err(Error::exists("the entry exists")
                .with_hint("use --exist-ok to accept it, or 'fdb append' to add another destination"))
        }
        (Change::Add { exist_ok: true }, Some(found)) => {
            // --exist-ok accepts only the entry asked for (issue 21's rule).
            if let Some(diff) = difference(&found, entry) {
                return Err(Error::exists(format!("an entry exists and {diff}"))
                    .with_hint("delete it (fdb del) and add it again"));
            }
            return Ok((true, false));
        }
        (_, Some(_)) => return Ok((true, false)),
        (Change::Append, None) => Op::Append,
        (_, None) => Op::Add,
    };
    let message = new_message(index, entry);
    send(&at.handle, message.clone(), op).await?;
    let handle = at.handle.clone();
    journal.record(step, async move {
        send(&handle, delete_message(&message), Op::Del).await
    })?;
    Ok((true, true))
}

/// How an entry in the table differs from the one asked for (its state, remote port or VNI),
/// as a phrase; None when it is that entry.
fn difference(found: &NeighbourMessage, entry: &Entry) -> Option<String> {
    let row = row_of(found, &Names::default(), false);
    let state = if entry.is_static { "static" } else { "permanent" };
    if row.state != state {
        let has = if row.state.is_empty() {
            "learned"
        } else {
            row.state.as_str()
        };
        return Some(format!("is {has}, not {state}"));
    }
    if entry.port.is_some() && row.port != entry.port {
        return Some(format!(
            "has another port ({})",
            row.port.map_or("the device's".into(), |p| p.to_string())
        ));
    }
    if entry.vni.is_some() && row.vni != entry.vni {
        return Some(format!(
            "has another vni ({})",
            row.vni.map_or("the device's".into(), |v| v.to_string())
        ));
    }
    None
}

/// DEV's index and the entry as the table holds it now (None: not there). Refuses master on a
/// device that is not a bridge port (exit 7).
async fn find(
    at: &Scope<'_>,
    entry: &Entry,
    dev: &str,
) -> Result<(u32, Option<NeighbourMessage>, Option<IpAddr>)> {
    let links = Links::named(&at.handle, &[dev]).await?;
    let link = links.interface(dev, at.ns)?;
    let index = link.header.index;
    // dst, port and vni on a device that is not VXLAN go to the kernel as bridge(8) sends them:
    // its answer decides (a port's own table accepts the MAC and drops them), and the entry it
    // keeps is found without them.
    let dst = entry.dst.filter(|_| vxlan_data(link).is_some());
    if entry.master && link_master(link).is_none() {
        return Err(Error::invalid(format!(
            "'{dev}' is not a bridge port: 'master' needs one"
        )));
    }
    let entries: Vec<NeighbourMessage> = at
        .handle
        .neighbours()
        .get()
        .set_address_family(AddressFamily::Bridge)
        .execute()
        .try_collect()
        .await
        .context("dump the forwarding database")?;
    let existing = entries
        .iter()
        .filter(|e| !entry.master || in_bridge_table(e))
        .filter(|e| !entry.on_self || entry.master || !in_bridge_table(e))
        .find(|e| same_entry(e, index, &entry.mac, dst, entry.vlan))
        .cloned();
    Ok((index, existing, dst))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BridgeTool, Command, FdbVerb};
    use vnet_common::cli::{parse, usage_error};

    fn verb(line: &str) -> Result<FdbVerb> {
        let words = std::iter::once("vnet-bridge").chain(line.split_whitespace());
        let cli = parse::<BridgeTool>(words.map(String::from)).map_err(|e| usage_error("vnet-bridge", &e))?;
        match cli.verb {
            Some(Command::Fdb(verb)) => Ok(verb),
            other => panic!("{line}: {other:?}"),
        }
    }

    fn entry(line: &str) -> Result<(Entry, String)> {
        match verb(line)? {
            FdbVerb::Add(add) => add.entry.entry("add"),
            FdbVerb::Append(append) => append.entry.entry("append"),
            FdbVerb::Del(del) => del.entry.entry("del"),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn parses_bridge_fdb_words() {
        let (e, dev) = entry("fdb append 00:00:00:00:00:00 dev vx0 dst 192.0.2.3").unwrap();
        assert_eq!((e.mac, dev.as_str()), ([0; 6], "vx0"));
        assert_eq!(e.dst, Some("192.0.2.3".parse().unwrap()));
        let (e, _) = entry("fdb add 52:54:00:00:00:01 dev p0 master static vlan 10").unwrap();
        assert!(e.master && e.is_static && e.vlan == Some(10) && !e.on_self);
        // The MAC after the keywords; dst_port is port; the last of static and permanent wins.
        let (e, _) =
            entry("fdb add dev vx0 02:00:00:00:00:01 dst_port 4790 vni 42 static permanent").unwrap();
        assert_eq!(
            (e.mac, e.port, e.vni, e.is_static),
            ([2, 0, 0, 0, 0, 1], Some(4790), Some(42), false)
        );
        let (e, _) = entry("fdb add 02:00:00:00:00:01 dev p0 permanent static self").unwrap();
        assert!(e.is_static && e.on_self);
        let (e, dev) = entry("fdb add 02:00:00:00:00:01 dev p0 dev p1 vlan 2 vlan 3 master master").unwrap();
        assert_eq!((dev.as_str(), e.vlan, e.master), ("p1", Some(3), true));
        match verb("fdb add 02:00:00:00:00:01 dev p0 --may-exist").unwrap() {
            FdbVerb::Add(add) => assert!(add.exist_ok),
            other => panic!("{other:?}"),
        }
        match verb("fdb delete 02:00:00:00:00:01 dev p0 --if-exists").unwrap() {
            FdbVerb::Del(del) => assert!(del.missing_ok),
            other => panic!("{other:?}"),
        }
        for line in [
            "fdb show",
            "fdb list",
            "fdb show dev vx0 br br0 -o text",
            "fdb show brport p0 vlan 5",
        ] {
            assert!(matches!(verb(line), Ok(FdbVerb::Show(_))), "{line}");
        }
    }

    #[test]
    fn bad_words_keep_their_exit_codes() {
        for (line, code, needle) in [
            ("fdb add 00:00:00:00:00 dev vx0", 7, "MAC"),
            (
                "fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.300",
                7,
                "invalid dst address",
            ),
            ("fdb append 00:00:00:00:00:00 dev vx0 vni 0", 7, "VNI"),
            ("fdb append 00:00:00:00:00:00 dev vx0 port 0", 7, "UDP port"),
            ("fdb add 00:00:00:00:00:00 dev vx0 vlan 4095", 7, "reserved"),
            ("fdb add 00:00:00:00:00:00 dev", 2, "dev"),
            ("fdb add 00:00:00:00:00:00 dev vx0 bogus", 2, "'bogus'"),
            ("fdb add bogus dev vx0", 2, "unknown fdb argument 'bogus'"),
            (
                "fdb add 00:00:00:00:00:00 dev waytoolongdevicename",
                7,
                "waytoolongdevicename",
            ),
            ("fdb append dev vx0", 2, "fdb append needs a MAC address"),
            ("fdb del 00:00:00:00:00:00", 2, "fdb del needs dev DEV"),
        ] {
            let error = entry(line).unwrap_err();
            assert_eq!(error.exit_code(), code, "{line}: {error}");
            assert!(error.message.contains(needle), "{line}: {error}");
        }
    }
}
