//! qdisc: link impairment for test labs with netem (tc qdisc add/replace/change/del/show ...
//! netem delay/loss/rate), over rtnetlink.
//!
//! netlink-packet-route knows no netem options: its TcOption covers fq_codel, ingress and the
//! filters, and keeps any other qdisc's TCA_OPTIONS as one opaque attribute. netem's TCA_OPTIONS is
//! not a list of attributes either: it is a struct tc_netem_qopt followed by attributes
//! (TCA_NETEM_LATENCY64, TCA_NETEM_RATE...). So it is encoded and decoded here by hand, from
//! include/uapi/linux/pkt_sched.h, and sent as a raw TCA_OPTIONS attribute.

use crate::NsCtx;
use futures::{StreamExt, TryStreamExt};
use netlink_packet_route::tc::{TcAttribute, TcHandle, TcMessage, TcOption};
use netlink_packet_route::RouteNetlinkMessage;
use rtnetlink::packet_core::{
    DefaultNla, NetlinkMessage, NetlinkPayload, Nla, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE,
    NLM_F_REQUEST,
};
use rtnetlink::Handle;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;
use vnet_common::error::quote;
use vnet_common::netlink::RouteSocket;
use vnet_common::{links, netns, Error, ErrorKind, Journal, Result};

const TCA_OPTIONS: u16 = 2;
const TCA_NETEM_RATE: u16 = 6;
const TCA_NETEM_RATE64: u16 = 8;
const TCA_NETEM_LATENCY64: u16 = 10;
const TCA_NETEM_JITTER64: u16 = 11;
/// sizeof(struct tc_netem_qopt): latency, limit, loss, gap, duplicate, jitter (u32 each).
const QOPT_LEN: usize = 24;
/// The kernel's psched tick is 64 ns (PSCHED_SHIFT 6): tc_netem_qopt's times are in ticks.
const NS_PER_TICK: u64 = 64;

/// A change of a link's root qdisc (add, replace, change, del) and how del takes a link with only
/// its default qdisc (the verbs: ip_verbs/qdisc.rs).
#[derive(Debug)]
pub struct Qdisc {
    pub action: QdiscAction,
    /// del: succeed with "changed": false when the link has only its default qdisc.
    pub missing_ok: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QdiscAction {
    Add,
    Replace,
    Change,
    Del,
}

/// netem's settings, decoded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct Netem {
    /// Added delay in microseconds.
    pub delay_us: f64,
    /// Random variation of the delay in microseconds.
    pub jitter_us: f64,
    /// Random loss in percent.
    pub loss_percent: f64,
    /// Random duplication in percent.
    pub duplicate_percent: f64,
    /// Rate limit in bits per second, null when none.
    pub rate_bit: Option<u64>,
    /// Queue limit in packets.
    pub limit: u32,
}

/// A root qdisc of a link, as tc -j qdisc show lists it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct QdiscEntry {
    pub dev: String,
    /// "netem", "noqueue", "pfifo_fast", "fq_codel"...
    pub kind: String,
    /// The handle as tc prints it ("8001:"; "0:" for a default qdisc).
    pub handle: String,
    /// True for the root qdisc.
    pub root: bool,
    /// The kernel's reference count of the qdisc (tc prints it when it is not 1).
    pub refcnt: u32,
    /// netem's settings; null for other kinds.
    pub netem: Option<Netem>,
    /// Listed by `show dev IF`: tc's line then leaves out "dev IF". Not in the JSON.
    #[serde(skip)]
    pub by_dev: bool,
}

/// What add, replace, change or del did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct QdiscChange {
    /// "add", "replace", "change" or "del".
    pub action: String,
    pub dev: String,
    /// The namespace (-n), null for the current one.
    pub netns: Option<String>,
    /// The root qdisc after the change.
    pub qdisc: Option<QdiscEntry>,
    pub changed: bool,
}

/// tc qdisc show's line, e.g. "qdisc netem 8001: dev va root refcnt 2 limit 1000 delay 100ms"
/// (tc 6.1: each word of the head ends with a space, netem's options start without one; `tc
/// qdisc show dev IF` leaves out "dev IF").
pub fn text_line(q: &QdiscEntry) -> String {
    let mut line = format!("qdisc {} {} ", q.kind, q.handle);
    if !q.by_dev {
        line.push_str(&format!("dev {} ", q.dev));
    }
    if q.root {
        line.push_str("root ");
    }
    if q.refcnt != 1 {
        line.push_str(&format!("refcnt {} ", q.refcnt));
    }
    if let Some(n) = &q.netem {
        line.push_str(&format!("limit {}", n.limit));
        if n.delay_us > 0.0 {
            line.push_str(&format!(" delay {}", time_text(n.delay_us)));
            if n.jitter_us > 0.0 {
                line.push_str(&format!("  {}", time_text(n.jitter_us)));
            }
        }
        if n.loss_percent > 0.0 {
            line.push_str(&format!(" loss {}%", n.loss_percent));
        }
        if n.duplicate_percent > 0.0 {
            line.push_str(&format!(" duplicate {}%", n.duplicate_percent));
        }
        if let Some(rate) = n.rate_bit {
            line.push_str(&format!(" rate {}", rate_text(rate)));
        }
    }
    line.push('\n');
    line
}

fn time_text(us: f64) -> String {
    if us >= 1_000_000.0 {
        format!("{}s", us / 1_000_000.0)
    } else if us >= 1000.0 {
        format!("{}ms", us / 1000.0)
    } else {
        format!("{us}us")
    }
}

fn rate_text(bit: u64) -> String {
    for (unit, scale) in [("Gbit", 1_000_000_000), ("Mbit", 1_000_000), ("Kbit", 1000)] {
        if bit >= scale {
            return format!("{}{unit}", bit as f64 / scale as f64);
        }
    }
    format!("{bit}bit")
}

/// A checked request: the link and, for add/replace/change, the netem settings.
#[derive(Debug, PartialEq)]
pub struct QdiscSpec {
    pub dev: Option<String>,
    pub netem: Option<Netem>,
}

fn invalid(verb: &str, what: &str, text: &str, why: &str) -> Error {
    Error::invalid(format!("{verb}: invalid {what} {}: {why}", quote(text)))
}

/// "100ms", "1s", "500us", "250" (us) as microseconds.
pub fn parse_time(text: &str, verb: &str) -> Result<f64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "s" | "sec" | "secs" => 1_000_000.0,
        "ms" | "msec" | "msecs" => 1000.0,
        "" | "us" | "usec" | "usecs" => 1.0,
        _ => return Err(invalid(verb, "time", text, "use s, ms or us, e.g. 100ms")),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| invalid(verb, "time", text, "not a number"))?;
    let us = value * scale;
    if !us.is_finite() || us > 4_000_000_000.0 {
        return Err(invalid(verb, "time", text, "too long"));
    }
    Ok(us)
}

/// "1%", "0.5%" (or a bare number, taken as percent) as percent 0..=100.
pub fn parse_percent(text: &str, verb: &str, what: &str) -> Result<f64> {
    let number = text.strip_suffix('%').unwrap_or(text);
    let value: f64 = number
        .parse()
        .map_err(|_| invalid(verb, what, text, "not a percentage such as 1%"))?;
    if !(0.0..=100.0).contains(&value) {
        return Err(invalid(verb, what, text, "outside 0%..100%"));
    }
    Ok(value)
}

/// "1mbit", "100kbit", "10mbps" (bytes), "1000" (bit) as bits per second.
pub fn parse_rate(text: &str, verb: &str) -> Result<u64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "bit" => 1.0,
        "kbit" => 1e3,
        "mbit" => 1e6,
        "gbit" => 1e9,
        "bps" => 8.0,
        "kbps" => 8e3,
        "mbps" => 8e6,
        "gbps" => 8e9,
        _ => {
            return Err(invalid(
                verb,
                "rate",
                text,
                "use bit, kbit, mbit, gbit, bps, kbps, mbps or gbps",
            ))
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| invalid(verb, "rate", text, "not a number"))?;
    let bits = value * scale;
    if !bits.is_finite() || !(8.0..=8e15).contains(&bits) {
        return Err(invalid(verb, "rate", text, "out of range"));
    }
    Ok(bits as u64)
}

fn action_name(action: QdiscAction) -> &'static str {
    match action {
        QdiscAction::Add => "add",
        QdiscAction::Replace => "replace",
        QdiscAction::Change => "change",
        QdiscAction::Del => "del",
    }
}

fn push_nla(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    let len = 4 + value.len();
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

fn percent_to_u32(percent: f64) -> u32 {
    (percent / 100.0 * u32::MAX as f64).round().min(u32::MAX as f64) as u32
}

/// netem's TCA_OPTIONS payload, byte for byte as tc sends it: struct tc_netem_qopt, the rate
/// (struct tc_netem_rate, with TCA_NETEM_RATE64 past 4 GB/s), and 64-bit times only when needed.
pub fn encode(n: &Netem) -> Vec<u8> {
    let delay_ns = (n.delay_us * 1000.0).round() as u64;
    let jitter_ns = (n.jitter_us * 1000.0).round() as u64;
    let ticks = |ns: u64| (ns / NS_PER_TICK).min(u32::MAX as u64) as u32;
    let mut out = Vec::with_capacity(QOPT_LEN + 48);
    for field in [
        ticks(delay_ns),
        n.limit,
        percent_to_u32(n.loss_percent),
        0, // gap
        percent_to_u32(n.duplicate_percent),
        ticks(jitter_ns),
    ] {
        out.extend_from_slice(&field.to_ne_bytes());
    }
    // As tc: the 64-bit times only when the 32-bit tick fields cannot hold them.
    if delay_ns / NS_PER_TICK > u32::MAX as u64 {
        push_nla(&mut out, TCA_NETEM_LATENCY64, &(delay_ns as i64).to_ne_bytes());
    }
    if jitter_ns / NS_PER_TICK > u32::MAX as u64 {
        push_nla(&mut out, TCA_NETEM_JITTER64, &(jitter_ns as i64).to_ne_bytes());
    }
    if let Some(bit) = n.rate_bit {
        let bytes = bit / 8;
        // struct tc_netem_rate: rate (bytes/s, u32), packet_overhead, cell_size, cell_overhead.
        let mut rate = Vec::with_capacity(16);
        rate.extend_from_slice(&(bytes.min(u32::MAX as u64) as u32).to_ne_bytes());
        rate.extend_from_slice(&[0u8; 12]);
        push_nla(&mut out, TCA_NETEM_RATE, &rate);
        if bytes >= u32::MAX as u64 {
            push_nla(&mut out, TCA_NETEM_RATE64, &bytes.to_ne_bytes());
        }
    }
    out
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_ne_bytes(s.try_into().expect("4 bytes")))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8)
        .map(|s| u64::from_ne_bytes(s.try_into().expect("8 bytes")))
}

/// Decodes netem's TCA_OPTIONS payload (as the kernel dumps it).
pub fn decode(b: &[u8]) -> Option<Netem> {
    let field = |i: usize| u32_at(b, i * 4);
    let pct = |v: u32| ((v as f64 / u32::MAX as f64) * 100.0 * 1000.0).round() / 1000.0;
    let mut n = Netem {
        delay_us: field(0)? as f64 * NS_PER_TICK as f64 / 1000.0,
        limit: field(1)?,
        loss_percent: pct(field(2)?),
        duplicate_percent: pct(field(4)?),
        jitter_us: field(5)? as f64 * NS_PER_TICK as f64 / 1000.0,
        rate_bit: None,
    };
    let mut at = QOPT_LEN;
    let mut rate64 = None;
    while at + 4 <= b.len() {
        let len = u16::from_ne_bytes([b[at], b[at + 1]]) as usize;
        let kind = u16::from_ne_bytes([b[at + 2], b[at + 3]]) & 0x3fff;
        if len < 4 || at + len > b.len() {
            break;
        }
        let value = &b[at + 4..at + len];
        match kind {
            TCA_NETEM_LATENCY64 => n.delay_us = u64_at(value, 0)? as f64 / 1000.0,
            TCA_NETEM_JITTER64 => n.jitter_us = u64_at(value, 0)? as f64 / 1000.0,
            TCA_NETEM_RATE => {
                let bytes = u32_at(value, 0)?;
                if bytes > 0 {
                    n.rate_bit = Some(bytes as u64 * 8);
                }
            }
            TCA_NETEM_RATE64 => rate64 = u64_at(value, 0),
            _ => {}
        }
        at += (len + 3) & !3;
    }
    if let Some(bytes) = rate64 {
        n.rate_bit = Some(bytes * 8);
    }
    Some(n)
}

/// The raw TCA_OPTIONS payload of a dumped qdisc whose options rtnetlink left opaque.
fn raw_options(m: &TcMessage) -> Option<Vec<u8>> {
    m.attributes.iter().find_map(|a| match a {
        TcAttribute::Options(opts) => opts.iter().find_map(|o| match o {
            TcOption::Other(nla) => {
                let mut value = vec![0; nla.value_len()];
                nla.emit_value(&mut value);
                Some(value)
            }
            _ => None,
        }),
        _ => None,
    })
}

fn kind_of(m: &TcMessage) -> String {
    m.attributes
        .iter()
        .find_map(|a| match a {
            TcAttribute::Kind(k) => Some(k.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn entry(m: &TcMessage, names: &HashMap<u32, String>) -> QdiscEntry {
    let kind = kind_of(m);
    let index = m.header.index as u32;
    QdiscEntry {
        dev: names.get(&index).cloned().unwrap_or_else(|| format!("if{index}")),
        handle: format!("{:x}:", m.header.handle.major),
        root: m.header.parent == TcHandle::ROOT,
        refcnt: m.header.info,
        netem: match kind.as_str() {
            "netem" => raw_options(m).and_then(|b| decode(&b)),
            _ => None,
        },
        kind,
        by_dev: false,
    }
}

async fn dump(handle: &Handle) -> Result<Vec<TcMessage>> {
    handle
        .qdisc()
        .get()
        .execute()
        .try_collect()
        .await
        .map_err(|e| Error::from(e).context("list qdiscs"))
}

async fn root_of(handle: &Handle, index: u32) -> Result<Option<TcMessage>> {
    Ok(dump(handle)
        .await?
        .into_iter()
        .find(|m| m.header.index as u32 == index && m.header.parent == TcHandle::ROOT))
}

/// Sends one qdisc request (RTM_NEWQDISC or RTM_DELQDISC) and waits for the kernel's answer.
async fn request(handle: &Handle, message: RouteNetlinkMessage, flags: u16) -> Result<()> {
    let mut req = NetlinkMessage::from(message);
    req.header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    let mut handle = handle.clone();
    let mut response = handle.request(req).map_err(Error::from)?;
    while let Some(msg) = response.next().await {
        if let NetlinkPayload::Error(e) = msg.payload {
            if let Some(code) = e.code {
                return Err(Error::from_errno(-code.get()));
            }
        }
    }
    Ok(())
}

/// ENOENT from RTM_NEWQDISC means the kernel knows no qdisc of that kind: netem is missing.
fn no_netem(e: Error) -> Error {
    match e.kind {
        ErrorKind::NotFound | ErrorKind::Unavailable => Error::new(
            ErrorKind::Unavailable,
            "this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM is not set, or sch_netem is not loaded)",
        )
        .with_hint("try: modprobe sch_netem"),
        _ => e,
    }
}

fn root_message(index: u32) -> TcMessage {
    let mut m = TcMessage::with_index(index as i32);
    m.header.parent = TcHandle::ROOT;
    m
}

async fn set_netem(handle: &Handle, index: u32, n: &Netem, flags: u16) -> Result<()> {
    let mut m = root_message(index);
    m.attributes.push(TcAttribute::Kind("netem".into()));
    m.attributes
        .push(TcAttribute::Other(DefaultNla::new(TCA_OPTIONS, encode(n))));
    request(handle, RouteNetlinkMessage::NewQueueDiscipline(m), flags).await
}

async fn delete_root(handle: &Handle, index: u32) -> Result<()> {
    request(
        handle,
        RouteNetlinkMessage::DelQueueDiscipline(root_message(index)),
        0,
    )
    .await
}

/// Puts back a root qdisc as it was dumped (kind and options), replacing the current one.
async fn restore(handle: &Handle, index: u32, old: TcMessage) -> Result<()> {
    if old.header.handle.major == 0 {
        // A default qdisc (noqueue, pfifo_fast...): deleting the root brings it back.
        return match delete_root(handle, index).await {
            Err(e) if e.kind == ErrorKind::NotFound || e.message.contains("Invalid argument") => Ok(()),
            other => other,
        };
    }
    let mut m = root_message(index);
    m.header.handle = old.header.handle;
    for attr in old.attributes {
        match attr {
            TcAttribute::Kind(_) => m.attributes.push(attr),
            TcAttribute::Options(opts) => match opts.as_slice() {
                [TcOption::Other(nla)] => {
                    let mut value = vec![0; nla.value_len()];
                    nla.emit_value(&mut value);
                    m.attributes
                        .push(TcAttribute::Other(DefaultNla::new(TCA_OPTIONS, value)));
                }
                _ => m.attributes.push(TcAttribute::Options(opts)),
            },
            _ => {}
        }
    }
    request(
        handle,
        RouteNetlinkMessage::NewQueueDiscipline(m),
        NLM_F_CREATE | NLM_F_REPLACE,
    )
    .await
}

/// show: the root qdiscs of every link, or of `dev`, in `ns` (None: the current namespace). A
/// one-shot read: two blocking dumps over one socket, no async runtime.
pub fn show(ns: Option<&str>, dev: Option<&str>) -> Result<Vec<QdiscEntry>> {
    let mut socket = RouteSocket::open(ns)?;
    let names = socket.link_names().map_err(|e| e.context("list interfaces"))?;
    let index = match dev {
        Some(dev) => match names.iter().find(|(_, name)| *name == dev) {
            Some((index, _)) => Some(*index),
            None => return Err(links::missing_link(dev, ns)),
        },
        None => None,
    };
    let qdiscs = socket.qdiscs().map_err(|e| e.context("list qdiscs"))?;
    Ok(qdiscs
        .iter()
        .filter(|m| index.is_none_or(|i| m.header.index as u32 == i))
        .filter(|m| m.header.parent == TcHandle::ROOT)
        .map(|m| QdiscEntry {
            by_dev: dev.is_some(),
            ..entry(m, &names)
        })
        .collect())
}

impl Qdisc {
    /// Changes the root qdisc of `spec`'s link in the -n namespace.
    pub fn run(self, spec: QdiscSpec, ctx: &mut NsCtx, journal: &mut Journal) -> Result<QdiscChange> {
        let (netlink, handle, ns) = ctx.scope()?;
        let action = self.action;
        let missing_ok = self.missing_ok;
        netlink.run(async {
            let all = links::list_links(&handle).await?;
            let names: HashMap<u32, String> = all
                .iter()
                .map(|l| (l.header.index, links::link_name(l)))
                .collect();
            let index = match &spec.dev {
                Some(dev) => Some(
                    links::require_link(&handle, dev, ns.as_deref())
                        .await?
                        .header
                        .index,
                ),
                None => None,
            };
            let index = index.expect("dev checked");
            let dev = spec.dev.clone().expect("dev checked");
            let what = format!("qdisc {} dev {dev}", action_name(action));
            let old = root_of(&handle, index).await?;
            let mut out = QdiscChange {
                action: action_name(action).to_string(),
                dev: dev.clone(),
                netns: ns.clone(),
                qdisc: None,
                changed: true,
            };
            match (action, &spec.netem) {
                (QdiscAction::Del, _) => {
                    let default = old.as_ref().is_none_or(|m| m.header.handle.major == 0);
                    if default {
                        if missing_ok {
                            out.changed = false;
                            out.qdisc = old.as_ref().map(|m| entry(m, &names));
                            return Ok(out);
                        }
                        return Err(Error::not_found(format!(
                            "{what}: {} has only its default qdisc in {}",
                            quote(&dev),
                            netns::describe(ns.as_deref())
                        ))
                        .with_hint("pass --missing-ok to accept that"));
                    }
                    delete_root(&handle, index).await.map_err(|e| e.context(&what))?;
                    journal.irreversible(&what)?;
                }
                (_, Some(n)) => {
                    put_netem(&handle, index, action, old, n, &dev, &what, journal).await?;
                }
                (_, None) => unreachable!("netem checked"),
            }
            out.qdisc = root_of(&handle, index).await?.map(|m| entry(&m, &names));
            Ok(out)
        })
    }
}

/// Adds, replaces or changes the netem root qdisc of link `index` (its root now: `old`), as
/// `action` asks and only where the action fits what is there; journals putting `old` back.
#[allow(clippy::too_many_arguments)]
async fn put_netem(
    handle: &Handle,
    index: u32,
    action: QdiscAction,
    old: Option<TcMessage>,
    n: &Netem,
    dev: &str,
    what: &str,
    journal: &mut Journal,
) -> Result<()> {
    let old_is_netem = old.as_ref().is_some_and(|m| kind_of(m) == "netem");
    if action == QdiscAction::Add && old_is_netem {
        return Err(
            Error::exists(format!("{what}: {} already has a netem qdisc", quote(dev)))
                .with_hint("use 'qdisc replace' or 'qdisc change' to change it"),
        );
    }
    if action == QdiscAction::Change && !old_is_netem {
        return Err(
            Error::not_found(format!("{what}: {} has no netem qdisc to change", quote(dev)))
                .with_hint("use 'qdisc add' first"),
        );
    }
    let flags = match action {
        QdiscAction::Add if old.as_ref().is_some_and(|m| m.header.handle.major != 0) => {
            NLM_F_CREATE | NLM_F_EXCL
        }
        QdiscAction::Change => 0,
        // Over a default qdisc, add and replace are the same request.
        _ => NLM_F_CREATE | NLM_F_REPLACE,
    };
    set_netem(handle, index, n, flags)
        .await
        .map_err(|e| no_netem(e).context(what))?;
    let undo = handle.clone();
    match old {
        Some(old) => journal.record(what, async move { restore(&undo, index, old).await }),
        None => journal.record(what, async move { delete_root(&undo, index).await }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netem_options_round_trip() {
        let n = Netem {
            delay_us: 100_000.0,
            jitter_us: 5_000.0,
            loss_percent: 2.5,
            duplicate_percent: 0.0,
            rate_bit: Some(8_000_000),
            limit: 1000,
        };
        let bytes = encode(&n);
        assert_eq!(&bytes[4..8], &1000u32.to_ne_bytes());
        assert_eq!(decode(&bytes), Some(n));
    }

    #[test]
    fn text_lines_are_tc_qdisc_shows() {
        let noqueue = QdiscEntry {
            dev: "va".into(),
            kind: "noqueue".into(),
            handle: "0:".into(),
            root: true,
            refcnt: 2,
            netem: None,
            by_dev: false,
        };
        // tc 6.1 (this machine): `tc qdisc show` and `tc qdisc show dev va`.
        assert_eq!(text_line(&noqueue), "qdisc noqueue 0: dev va root refcnt 2 \n");
        let one = QdiscEntry {
            by_dev: true,
            ..noqueue.clone()
        };
        assert_eq!(text_line(&one), "qdisc noqueue 0: root refcnt 2 \n");
        // tc 6.1 in the guest kit (tests/guest/netem-proof): `tc qdisc show dev va`.
        let netem = QdiscEntry {
            kind: "netem".into(),
            handle: "8001:".into(),
            netem: Some(Netem {
                delay_us: 100_000.0,
                limit: 1000,
                ..Netem::default()
            }),
            ..one
        };
        assert_eq!(
            text_line(&netem),
            "qdisc netem 8001: root refcnt 2 limit 1000 delay 100ms\n"
        );
    }
}
