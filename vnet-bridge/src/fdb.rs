//! Static forwarding database entries in bridge(8)'s words, for head-end replication over VXLAN
//! (`fdb append 00:00:00:00:00:00 dev vx0 dst HOST`: flood unknown destinations to one more
//! host) and pinned MACs: `fdb add|append|del` send RTM_NEWNEIGH/RTM_DELNEIGH with family
//! AF_BRIDGE as `bridge fdb` does; `fdb show` lists entries as `bridge -j fdb show`.

use crate::model::vxlan_data;
use crate::model::Links;
use crate::values::{parse_ip, parse_port, parse_vid, parse_vni};
use crate::{Ctx, Scope};
use futures::{StreamExt, TryStreamExt};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::packet_core::{
    NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST,
};
use rtnetlink::Handle;
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::links::{link_master, link_name};
use vnet_common::mac::{format_mac, parse_mac};
use vnet_common::netlink::DumpSocket;
use vnet_common::{Context, Error, ErrorKind, Journal, Render, Result, TextStyle, Verb};

/// What `fdb` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FdbAction {
    /// Add an entry (exit 4 when it exists, unless --exist-ok).
    Add,
    /// Add an entry beside others of the same MAC (one more flood destination of a VXLAN port).
    Append,
    /// Remove an entry.
    #[value(alias = "delete")]
    Del,
    /// List entries, as bridge -j fdb show.
    #[value(alias = "list")]
    Show,
}

/// Forwarding database entries in bridge(8)'s words (bridge fdb).
///
///   vnet-bridge fdb append 00:00:00:00:00:00 dev vx0 dst 192.0.2.3   (head-end replication)
///   vnet-bridge fdb add MAC dev DEV [dst IP] [port P] [vni N] [vlan V] [self] [master] [static]
///   vnet-bridge fdb del MAC dev DEV [dst IP] [vlan V]
///   vnet-bridge fdb show [dev DEV] [br BR] [-o text]
///
/// Entries are permanent (or static with "static") and on the device itself ("self") unless
/// "master" puts them in the bridge's table. dst, port and vni are for VXLAN devices only (exit 7
/// otherwise). append of an entry that exists is "changed": false; add of one is exit 4 unless
/// --exist-ok; del of one that is missing is exit 3 unless --missing-ok. A MAC, address, VNI,
/// port or VLAN that does not parse is exit 7; a missing device is exit 3. show prints JSON like
/// `bridge -j fdb show` and with -o text bridge's lines.
#[derive(Debug, clap::Args)]
pub struct Fdb {
    /// add, append, del (delete) or show (list).
    #[arg(value_enum)]
    action: FdbAction,
    /// bridge(8)'s arguments: MAC, dev DEV, dst IP, port P (dst_port), vni N, vlan V, self,
    /// master, static, permanent; for show: dev DEV, br BR.
    #[arg(value_name = "ARGS", allow_hyphen_values = false)]
    words: Vec<String>,
    /// With add: succeed when the entry exists.
    #[arg(long, visible_alias = "may-exist")]
    exist_ok: bool,
    /// With del: succeed when the entry does not exist.
    #[arg(long, visible_alias = "if-exists")]
    missing_ok: bool,
}

/// What `fdb` produced.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum FdbResult {
    /// add, append, del: the entry.
    Changed(FdbChanged),
    /// show: the entries, as `bridge -j fdb show` lists them.
    List(Vec<FdbRow>),
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

/// One forwarding database entry, with `bridge -j fdb show`'s field names.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FdbRow {
    pub mac: String,
    /// The device (left out with `dev DEV`, as bridge does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ifname: Option<String>,
    /// The remote VTEP the MAC is behind (VXLAN devices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    /// The remote UDP port, when it differs from the device's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The remote VNI, when it differs from the device's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vni: Option<u32>,
    /// The underlay interface to reach dst by.
    #[serde(rename = "viaIf", skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// "self", "router", "extern_learn", "offload", "master", "sticky".
    pub flags: Vec<String>,
    /// The bridge whose table the entry is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,
    /// "permanent", "static", "stale", or "" (learned and reachable).
    pub state: String,
}

impl Render for FdbResult {
    fn text(&self, _style: TextStyle) -> String {
        match self {
            FdbResult::Changed(_) => String::new(),
            FdbResult::List(rows) => fdb_text(rows),
        }
    }
}

/// bridge(8)'s `fdb show` lines: every field followed by one space, the state last.
pub fn fdb_text(rows: &[FdbRow]) -> String {
    let mut text = String::new();
    for row in rows {
        let _ = write!(text, "{} ", row.mac);
        if let Some(dev) = &row.ifname {
            let _ = write!(text, "dev {dev} ");
        }
        if let Some(dst) = &row.dst {
            let _ = write!(text, "dst {dst} ");
        }
        if let Some(vlan) = row.vlan {
            let _ = write!(text, "vlan {vlan} ");
        }
        if let Some(port) = row.port {
            let _ = write!(text, "port {port} ");
        }
        if let Some(vni) = row.vni {
            let _ = write!(text, "vni {vni} ");
        }
        if let Some(via) = &row.via {
            let _ = write!(text, "via {via} ");
        }
        for flag in &row.flags {
            let _ = write!(text, "{flag} ");
        }
        if let Some(master) = &row.master {
            let _ = write!(text, "master {master} ");
        }
        let _ = writeln!(text, "{}", row.state);
    }
    text
}

/// A parsed argument list.
#[derive(Debug, Default, PartialEq)]
struct Spec {
    mac: Option<[u8; 6]>,
    dev: Option<String>,
    br: Option<String>,
    dst: Option<IpAddr>,
    port: Option<u16>,
    vni: Option<u32>,
    vlan: Option<u16>,
    self_: bool,
    master: bool,
    static_: bool,
}

fn parse_words(words: &[String]) -> Result<Spec> {
    let usage = |m: String| Error::new(ErrorKind::Usage, m).with_hint("see 'vnet-bridge fdb --help'");
    let mut spec = Spec::default();
    let mut it = words.iter();
    while let Some(word) = it.next() {
        let mut value = || it.next().ok_or_else(|| usage(format!("'{word}' needs a value")));
        match word.as_str() {
            "dev" => spec.dev = Some(value()?.clone()),
            "br" => spec.br = Some(value()?.clone()),
            "dst" => spec.dst = Some(parse_ip("dst", value()?)?),
            "port" | "dst_port" => spec.port = Some(parse_port(value()?)?),
            "vni" => spec.vni = Some(parse_vni(value()?)?),
            "vlan" => spec.vlan = Some(parse_vid(value()?)?),
            "self" => spec.self_ = true,
            "master" => spec.master = true,
            "static" => spec.static_ = true,
            "permanent" => spec.static_ = false,
            other if spec.mac.is_none() && other.contains(':') => spec.mac = Some(parse_mac(other)?),
            other => return Err(usage(format!("unknown fdb argument {}", quote(other)))),
        }
    }
    Ok(spec)
}

impl Verb for Fdb {
    type Ctx = Ctx;
    type Output = FdbResult;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<FdbResult> {
        let spec = parse_words(&self.words)?;
        if self.action == FdbAction::Show {
            return show(ctx, &spec).map(FdbResult::List);
        }
        let verb = match self.action {
            FdbAction::Add => "add",
            FdbAction::Append => "append",
            _ => "del",
        };
        let need = |what: &str| {
            Error::new(ErrorKind::Usage, format!("fdb {verb} needs {what}"))
                .with_hint("e.g. vnet-bridge fdb append 00:00:00:00:00:00 dev vx0 dst 192.0.2.3")
        };
        let mac = spec.mac.ok_or_else(|| need("a MAC address"))?;
        let dev = spec.dev.clone().ok_or_else(|| need("dev DEV"))?;
        vnet_common::names::validate_ifname(&dev)?;
        let what = match spec.dst {
            Some(dst) => format!("fdb {verb} {} dev '{dev}' dst {dst}", format_mac(&mac)),
            None => format!("fdb {verb} {} dev '{dev}'", format_mac(&mac)),
        };
        let action = self.action;
        let (exist_ok, missing_ok) = (self.exist_ok, self.missing_ok);
        let (dst, vlan, dev_name) = (spec.dst, spec.vlan, dev.clone());
        let step = what.clone();
        let (present, changed) = ctx
            .run(|at| async move {
                change(
                    at,
                    journal,
                    (action, exist_ok, missing_ok),
                    (&spec, mac, &dev),
                    step,
                )
                .await
            })
            .context(&what)?;
        Ok(FdbResult::Changed(FdbChanged {
            mac: format_mac(&mac),
            dev: dev_name,
            dst: dst.map(|d| d.to_string()),
            vlan,
            present,
            changed,
        }))
    }
}

fn in_bridge_table(entry: &NeighbourMessage) -> bool {
    entry.header.flags.contains(NeighbourFlags::Controller)
        || entry
            .attributes
            .iter()
            .any(|a| matches!(a, NeighbourAttribute::Controller(_)))
}

/// The entry's identity in a dump: device, MAC, dst, VLAN.
fn same_entry(
    entry: &NeighbourMessage,
    index: u32,
    mac: &[u8; 6],
    dst: Option<IpAddr>,
    vlan: Option<u16>,
) -> bool {
    let row = row_of(entry, &Links::new(vec![]), false);
    entry.header.ifindex == index
        && row.mac == format_mac(mac)
        && row.dst == dst.map(|d| d.to_string())
        && row.vlan == vlan
}

async fn change(
    at: Scope<'_>,
    journal: &mut Journal,
    (action, exist_ok, missing_ok): (FdbAction, bool, bool),
    (spec, mac, dev): (&Spec, [u8; 6], &str),
    step: String,
) -> Result<(bool, bool)> {
    let links = Links::load(&at.handle).await?;
    let link = links.interface(dev, at.ns)?;
    let index = link.header.index;
    let is_vxlan = vxlan_data(link).is_some();
    if !is_vxlan && (spec.dst.is_some() || spec.port.is_some() || spec.vni.is_some()) {
        return Err(Error::invalid(format!(
            "'{dev}' is not a VXLAN device: dst, port and vni are for VXLAN devices"
        )));
    }
    if spec.master && link_master(link).is_none() {
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
        .filter(|e| !spec.master || in_bridge_table(e))
        .filter(|e| !spec.self_ || spec.master || !in_bridge_table(e))
        .find(|e| same_entry(e, index, &mac, spec.dst, spec.vlan))
        .cloned();
    match (action, existing) {
        (FdbAction::Del, None) if missing_ok => Ok((false, false)),
        (FdbAction::Del, None) => Err(Error::not_found("no such entry")),
        (FdbAction::Del, Some(entry)) => {
            send(&at.handle, delete_message(&entry), Op::Del).await?;
            let handle = at.handle.clone();
            journal.record(step, async move { send(&handle, entry, Op::Append).await })?;
            Ok((false, true))
        }
        (FdbAction::Add, Some(_)) if !exist_ok => Err(Error::exists("the entry exists")
            .with_hint("use --exist-ok to accept it, or 'fdb append' to add another destination")),
        (_, Some(_)) => Ok((true, false)),
        (_, None) => {
            let message = new_message(index, mac, spec);
            let op = if action == FdbAction::Append {
                Op::Append
            } else {
                Op::Add
            };
            send(&at.handle, message.clone(), op).await?;
            let handle = at.handle.clone();
            journal.record(step, async move {
                send(&handle, delete_message(&message), Op::Del).await
            })?;
            Ok((true, true))
        }
    }
}

fn new_message(index: u32, mac: [u8; 6], spec: &Spec) -> NeighbourMessage {
    let mut m = NeighbourMessage::default();
    m.header.family = AddressFamily::Bridge;
    m.header.ifindex = index;
    // As bridge(8) sends "static": NUD_NOARP|NUD_REACHABLE (a VXLAN device refuses NOARP alone).
    m.header.state = if spec.static_ {
        STATIC
    } else {
        NeighbourState::Permanent
    };
    let mut flags = NeighbourFlags::empty();
    if spec.self_ || !spec.master {
        flags |= NeighbourFlags::Own;
    }
    if spec.master {
        flags |= NeighbourFlags::Controller;
    }
    m.header.flags = flags;
    m.attributes
        .push(NeighbourAttribute::LinkLayerAddress(mac.to_vec()));
    if let Some(dst) = spec.dst {
        m.attributes.push(NeighbourAttribute::Destination(match dst {
            IpAddr::V4(a) => NeighbourAddress::Inet(a),
            IpAddr::V6(a) => NeighbourAddress::Inet6(a),
        }));
    }
    if let Some(port) = spec.port {
        m.attributes.push(NeighbourAttribute::Port(port));
    }
    if let Some(vni) = spec.vni {
        m.attributes.push(NeighbourAttribute::Vni(vni));
    }
    if let Some(vlan) = spec.vlan {
        m.attributes.push(NeighbourAttribute::Vlan(vlan));
    }
    m
}

/// The request that deletes `entry` (its identity only; a master entry from the bridge's table,
/// a self entry from the device's).
fn delete_message(entry: &NeighbourMessage) -> NeighbourMessage {
    let mut m = NeighbourMessage::default();
    m.header = entry.header.clone();
    m.header.family = AddressFamily::Bridge;
    let keep = |a: &&NeighbourAttribute| {
        matches!(
            a,
            NeighbourAttribute::LinkLayerAddress(_)
                | NeighbourAttribute::Destination(_)
                | NeighbourAttribute::Vlan(_)
                | NeighbourAttribute::Port(_)
                | NeighbourAttribute::Vni(_)
        )
    };
    m.attributes = entry.attributes.iter().filter(keep).cloned().collect();
    // A dumped entry of the bridge's table has NDA_MASTER and no NTF_MASTER flag.
    if in_bridge_table(entry) {
        m.header.flags |= NeighbourFlags::Controller;
    }
    if !m
        .header
        .flags
        .intersects(NeighbourFlags::Own | NeighbourFlags::Controller)
    {
        m.header.flags |= NeighbourFlags::Own;
    }
    m
}

const STATIC: NeighbourState = NeighbourState::Other(0x40 | 0x02);

#[derive(Debug, Clone, Copy)]
enum Op {
    Add,
    Append,
    Del,
}

async fn send(handle: &Handle, message: NeighbourMessage, op: Op) -> Result<()> {
    let mut message = message;
    if !matches!(op, Op::Del) {
        // A re-added dumped entry: only the attributes that define it.
        message = {
            let mut m = delete_message(&message);
            m.header.state = match u16::from(message.header.state) & 0x80 {
                0 => STATIC,
                _ => NeighbourState::Permanent,
            };
            m
        };
    }
    let mut request = NetlinkMessage::from(match op {
        Op::Del => RouteNetlinkMessage::DelNeighbour(message),
        _ => RouteNetlinkMessage::NewNeighbour(message),
    });
    request.header.flags = NLM_F_REQUEST
        | NLM_F_ACK
        | match op {
            Op::Add => NLM_F_CREATE | NLM_F_EXCL,
            Op::Append => NLM_F_CREATE | NLM_F_APPEND,
            Op::Del => 0,
        };
    let mut replies = handle.clone().request(request).map_err(Error::from)?;
    while let Some(reply) = replies.next().await {
        if let NetlinkPayload::Error(e) = reply.payload {
            if let Some(code) = e.code {
                return Err(Error::from_errno(-code.get()));
            }
        }
    }
    Ok(())
}

/// One dumped entry as `bridge -j fdb show` prints it.
fn row_of(entry: &NeighbourMessage, links: &Links, with_ifname: bool) -> FdbRow {
    let name_of = |i: u32| {
        links
            .by_index(i)
            .map(link_name)
            .unwrap_or_else(|| format!("if{i}"))
    };
    let mut row = FdbRow {
        mac: String::new(),
        ifname: (with_ifname && entry.header.ifindex != 0).then(|| name_of(entry.header.ifindex)),
        dst: None,
        vlan: None,
        port: None,
        vni: None,
        via: None,
        flags: vec![],
        master: None,
        state: state_name(entry.header.state).to_string(),
    };
    for attr in &entry.attributes {
        match attr {
            NeighbourAttribute::LinkLayerAddress(mac) => row.mac = format_mac(mac),
            NeighbourAttribute::Destination(a) => row.dst = neighbour_ip(a).map(|a| a.to_string()),
            NeighbourAttribute::IfIndex(i) => row.via = Some(name_of(*i)),
            NeighbourAttribute::Vlan(v) if *v != 0 => row.vlan = Some(*v),
            NeighbourAttribute::Port(p) => row.port = Some(*p),
            NeighbourAttribute::Vni(v) => row.vni = Some(*v),
            NeighbourAttribute::Controller(m) => row.master = Some(name_of(*m)),
            _ => {}
        }
    }
    let flags = entry.header.flags;
    for (flag, name) in [
        (NeighbourFlags::Own, "self"),
        (NeighbourFlags::Router, "router"),
        (NeighbourFlags::ExtLearned, "extern_learn"),
        (NeighbourFlags::Offloaded, "offload"),
        (NeighbourFlags::Controller, "master"),
        (NeighbourFlags::Sticky, "sticky"),
    ] {
        if flags.contains(flag) {
            row.flags.push(name.to_string());
        }
    }
    row
}

/// An NDA_DST address: an AF_BRIDGE dump carries it as raw bytes (4 or 16 of them).
pub fn neighbour_ip(address: &NeighbourAddress) -> Option<IpAddr> {
    match address {
        NeighbourAddress::Inet(a) => Some(IpAddr::V4(*a)),
        NeighbourAddress::Inet6(a) => Some(IpAddr::V6(*a)),
        NeighbourAddress::Other(bytes) => match bytes.len() {
            4 => Some(IpAddr::from(<[u8; 4]>::try_from(bytes.as_slice()).ok()?)),
            16 => Some(IpAddr::from(<[u8; 16]>::try_from(bytes.as_slice()).ok()?)),
            _ => None,
        },
        _ => None,
    }
}

/// bridge's state_n2a.
fn state_name(state: NeighbourState) -> &'static str {
    let bits = u16::from(state);
    if bits & 0x80 != 0 {
        "permanent"
    } else if bits & 0x40 != 0 {
        "static"
    } else if bits & 0x04 != 0 {
        "stale"
    } else {
        ""
    }
}

/// Every AF_BRIDGE neighbour entry of the current namespace (blocking dump, no runtime).
pub fn dump_fdb(netns: Option<&str>) -> Result<Vec<NeighbourMessage>> {
    let mut socket = DumpSocket::open(netns)?;
    let mut request = NeighbourMessage::default();
    request.header.family = AddressFamily::Bridge;
    let replies = socket.dump(RouteNetlinkMessage::GetNeighbour(request))?;
    Ok(replies
        .into_iter()
        .filter_map(|m| match m {
            RouteNetlinkMessage::NewNeighbour(n) => Some(n),
            _ => None,
        })
        .collect())
}

fn show(ctx: &mut Ctx, spec: &Spec) -> Result<Vec<FdbRow>> {
    let what = "show the forwarding database";
    let links = ctx.links_now().context(what)?;
    let dev = match &spec.dev {
        Some(name) => Some(links.interface(name, ctx.netns()).context(what)?.header.index),
        None => None,
    };
    let br = match &spec.br {
        Some(name) => Some(links.bridge(name, ctx.netns()).context(what)?.header.index),
        None => None,
    };
    let entries = dump_fdb(ctx.netns()).context(what)?;
    Ok(entries
        .iter()
        .filter(|e| dev.is_none_or(|i| e.header.ifindex == i))
        .filter(|e| {
            br.is_none_or(|b| {
                let master = e.attributes.iter().find_map(|a| match a {
                    NeighbourAttribute::Controller(m) => Some(*m),
                    _ => None,
                });
                let port_of = links.by_index(e.header.ifindex).and_then(link_master);
                e.header.ifindex == b || master == Some(b) || port_of == Some(b)
            })
        })
        .map(|e| row_of(e, &links, dev.is_none()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn parses_bridge_fdb_words() {
        let spec = parse_words(&words("00:00:00:00:00:00 dev vx0 dst 192.0.2.3")).unwrap();
        assert_eq!(spec.mac, Some([0; 6]));
        assert_eq!(spec.dev.as_deref(), Some("vx0"));
        assert_eq!(spec.dst, Some("192.0.2.3".parse().unwrap()));
        let spec = parse_words(&words("52:54:00:00:00:01 dev p0 master static vlan 10")).unwrap();
        assert!(spec.master && spec.static_ && spec.vlan == Some(10));
        for (bad, code) in [
            ("00:00:00:00:00 dev vx0", 7),
            ("00:00:00:00:00:00 dev vx0 dst 10.0.0.300", 7),
            ("00:00:00:00:00:00 dev vx0 vni 0", 7),
            ("00:00:00:00:00:00 dev vx0 port 0", 7),
            ("00:00:00:00:00:00 dev", 2),
            ("00:00:00:00:00:00 dev vx0 bogus", 2),
        ] {
            assert_eq!(parse_words(&words(bad)).unwrap_err().exit_code(), code, "{bad}");
        }
    }

    #[test]
    fn rows_print_as_bridge_does() {
        let mut m = NeighbourMessage::default();
        m.header.ifindex = 0;
        m.header.state = NeighbourState::Permanent;
        m.header.flags = NeighbourFlags::Own;
        m.attributes
            .push(NeighbourAttribute::LinkLayerAddress(vec![0; 6]));
        m.attributes
            .push(NeighbourAttribute::Destination(NeighbourAddress::Inet(
                "10.0.0.3".parse().unwrap(),
            )));
        let row = row_of(&m, &Links::new(vec![]), false);
        assert_eq!(
            fdb_text(std::slice::from_ref(&row)),
            "00:00:00:00:00:00 dst 10.0.0.3 self permanent\n"
        );
        assert_eq!(
            serde_json::to_value(&row).unwrap(),
            serde_json::json!({"mac": "00:00:00:00:00:00", "dst": "10.0.0.3", "flags": ["self"], "state": "permanent"})
        );
        assert_eq!(state_name(NeighbourState::Reachable), "");
        assert_eq!(state_name(NeighbourState::Noarp), "static");
    }
}
