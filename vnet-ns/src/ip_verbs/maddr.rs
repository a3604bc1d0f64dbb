//! `maddress show|add|del`: the multicast addresses of links as `ip maddress` lists and changes
//! them. ip reads them from /proc/net/dev_mcast, igmp and igmp6 (the kernel has no netlink dump
//! of them) and adds or deletes a link-layer one with SIOCADDMULTI/SIOCDELMULTI: so does vnet-ns,
//! on a thread inside the -n namespace.

use crate::NsCtx;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::mac::{format_mac, parse_mac};
use vnet_common::netlink::in_namespace;
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

vnet_common::verbs! {
    pub enum MaddrVerb for NsCtx {
        /// List the multicast addresses of the links (ip maddress show).
        #[command(visible_alias = "list", visible_alias = "ls")]
        Show(Show),
        /// Join a link-layer multicast address on a link (ip maddress add).
        Add(Add),
        /// Leave a link-layer multicast address added with add (ip maddress del).
        #[command(visible_alias = "delete")]
        Del(Del),
    }
}

/// One multicast address of a link, with ip -j maddress's names (`link` for a link-layer one,
/// `family` and `address` for an IP group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Maddr {
    /// "link", "inet" or "inet6".
    pub family: String,
    /// The link-layer address (family link), else null.
    pub link: Option<String>,
    /// The IP group (inet, inet6), else null.
    pub address: Option<String>,
    /// How many users hold it.
    pub users: u32,
    /// Added by hand (ip maddress add), not by a protocol.
    #[serde(rename = "static")]
    pub is_static: bool,
}

/// A link's multicast addresses, as ip -j maddress show groups them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LinkMaddrs {
    pub ifindex: u32,
    pub ifname: String,
    pub maddr: Vec<Maddr>,
}

/// The links' multicast addresses (show's output).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct MaddrList(pub Vec<LinkMaddrs>);

impl Render for MaddrList {
    fn text(&self, _: TextStyle) -> String {
        let mut out = String::new();
        for link in &self.0 {
            out.push_str(&format!("{}:\t{}\n", link.ifindex, link.ifname));
            for m in &link.maddr {
                let (word, value) = match &m.link {
                    Some(mac) => ("link ", mac.as_str()),
                    None if m.family == "inet6" => ("inet6", m.address.as_deref().unwrap_or("")),
                    None => ("inet ", m.address.as_deref().unwrap_or("")),
                };
                out.push_str(&format!("\t{word} {value}"));
                if m.users > 1 {
                    out.push_str(&format!(" users {}", m.users));
                }
                if m.is_static {
                    out.push_str(" static");
                }
                out.push('\n');
            }
        }
        out
    }
}

/// The files of /proc/thread-self/net that list multicast addresses, read in `ns`.
fn read_tables(ns: Option<&str>) -> Result<[String; 3]> {
    in_namespace(ns, || {
        let read = |name: &str| {
            std::fs::read_to_string(format!("/proc/thread-self/net/{name}"))
                // A kernel without IPv6 has no igmp6: no IPv6 groups, not an error.
                .or_else(|e| {
                    if name == "igmp6" {
                        Ok(String::new())
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| Error::from(e).context(format!("read /proc/net/{name}")))
        };
        Ok([read("dev_mcast")?, read("igmp")?, read("igmp6")?])
    })
}

/// Every link's multicast addresses, by index, in the kernel's listing order: link-layer ones
/// (dev_mcast), then IPv4 groups (igmp), then IPv6 ones (igmp6), as ip prints them.
fn parse_tables([dev_mcast, igmp, igmp6]: &[String; 3]) -> BTreeMap<u32, LinkMaddrs> {
    let mut links: BTreeMap<u32, LinkMaddrs> = BTreeMap::new();
    let mut put = |index: u32, name: &str, m: Maddr| {
        links
            .entry(index)
            .or_insert_with(|| LinkMaddrs {
                ifindex: index,
                ifname: name.to_string(),
                maddr: vec![],
            })
            .maddr
            .push(m)
    };
    // dev_mcast: "index name users static hexaddr".
    for f in dev_mcast
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
    {
        if let [index, name, users, st, hex] = f[..] {
            let mac = hex_bytes(hex)
                .map(|b| format_mac(&b))
                .unwrap_or_else(|| hex.to_string());
            let m = Maddr {
                family: "link".into(),
                link: Some(mac),
                address: None,
                users: users.parse().unwrap_or(0),
                is_static: st != "0",
            };
            put(index.parse().unwrap_or(0), name, m);
        }
    }
    // igmp: "Idx Device : Count Querier" lines, each followed by "Group Users Timer Reporter".
    let mut device: Option<(u32, String)> = None;
    for line in igmp.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if !line.starts_with(char::is_whitespace) && f.len() >= 2 {
            device = f[0].parse().ok().map(|i| (i, f[1].to_string()));
        } else if let (Some((index, name)), [group, users, ..]) = (&device, &f[..]) {
            let Ok(raw) = u32::from_str_radix(group, 16) else {
                continue;
            };
            // /proc/net/igmp prints the group as the host-order u32 of a network-order address.
            let address = std::net::Ipv4Addr::from(raw.to_ne_bytes());
            let m = Maddr {
                family: "inet".into(),
                link: None,
                address: Some(address.to_string()),
                users: users.parse().unwrap_or(0),
                is_static: false,
            };
            put(*index, name, m);
        }
    }
    // igmp6: "index name hexgroup users flags timer".
    for f in igmp6.lines().map(|l| l.split_whitespace().collect::<Vec<_>>()) {
        if let [index, name, hex, users, ..] = f[..] {
            let Some(bytes) = hex_bytes(hex).and_then(|b| <[u8; 16]>::try_from(b).ok()) else {
                continue;
            };
            let m = Maddr {
                family: "inet6".into(),
                link: None,
                address: Some(std::net::Ipv6Addr::from(bytes).to_string()),
                users: users.parse().unwrap_or(0),
                is_static: false,
            };
            put(index.parse().unwrap_or(0), name, m);
        }
    }
    links
}

fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

/// List the multicast addresses of the links: `maddress show [dev IF]` (ip maddress show), -4 or
/// -6 for the IP groups of one family only. A missing IF is exit 3; nothing changes.
#[derive(Debug, clap::Args)]
pub struct Show {
    /// Only this link.
    #[arg(value_name = "IF", value_parser = super::ifname)]
    pub link: Option<String>,
    /// Only this link, as IF.
    #[arg(long, value_name = "IF", value_parser = super::ifname, conflicts_with = "link", help_heading = HEADING)]
    pub dev: Option<String>,
    /// Only IPv4 groups.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Only IPv6 groups.
    #[arg(short = '6')]
    pub ipv6: bool,
}

impl Verb for Show {
    type Ctx = NsCtx;
    type Output = MaddrList;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<MaddrList> {
        let ns = ctx.netns.clone();
        let mut links = parse_tables(&read_tables(ns.as_deref())?);
        if let Some(dev) = self.link.or(self.dev) {
            links.retain(|_, l| l.ifname == dev);
            if links.is_empty() {
                let exists = crate::scope::Scope::open(ns.as_deref())?.index(&dev);
                exists.map_err(|e| e.context("maddress show"))?;
            }
        }
        let family = match (self.ipv4, self.ipv6) {
            (true, _) => Some("inet"),
            (_, true) => Some("inet6"),
            _ => None,
        };
        let mut list: Vec<LinkMaddrs> = links.into_values().collect();
        for link in &mut list {
            link.maddr.retain(|m| family.is_none_or(|f| m.family == f));
        }
        list.retain(|l| !l.maddr.is_empty());
        Ok(MaddrList(list))
    }
}

/// `maddress add|del MULTIADDR dev IF`: a link-layer address and its link.
#[derive(Debug, Clone, clap::Args)]
pub struct MaddrWords {
    /// The link-layer multicast address (a MAC, as ip reads it).
    #[arg(value_name = "MULTIADDR", value_parser = mac)]
    pub address: [u8; 6],
    /// The link.
    #[arg(long, value_name = "IF", value_parser = super::ifname, required = true, help_heading = HEADING)]
    pub dev: Option<String>,
}

fn mac(text: &str) -> Result<[u8; 6]> {
    parse_mac(text).map_err(|_| {
        Error::invalid(format!(
            "invalid address {}: not a link-layer address",
            quote(text)
        ))
    })
}

/// Join a link-layer multicast address on a link: `maddress add MULTIADDR dev IF` (ip maddress
/// add; IP groups are joined by sockets, not by ip). A missing IF is exit 3, a bad address exit
/// 7; the address already added by hand is "changed": false. Journaled: deleted again.
#[derive(Debug, clap::Args)]
pub struct Add {
    #[command(flatten)]
    pub words: MaddrWords,
}

/// Leave a link-layer multicast address added with add: `maddress del MULTIADDR dev IF`. One
/// not added by hand is exit 3 (--missing-ok: "changed": false). Journaled: added again.
#[derive(Debug, clap::Args)]
pub struct Del {
    #[command(flatten)]
    pub words: MaddrWords,
    /// Succeed with "changed": false when the address was not added.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

/// What add and del did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MaddrChange {
    /// "add" or "del".
    pub action: String,
    pub netns: Option<String>,
    pub dev: String,
    /// The link-layer address.
    pub link: String,
    pub changed: bool,
}

impl Render for MaddrChange {}

/// SIOCADDMULTI (add) or SIOCDELMULTI on link `dev` in `ns`, as ip does it.
fn multi(ns: Option<&str>, dev: &str, mac: [u8; 6], add: bool) -> Result<()> {
    let dev = dev.to_string();
    in_namespace(ns, move || {
        let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
        for (slot, byte) in ifr.ifr_name.iter_mut().zip(dev.bytes()) {
            *slot = byte as libc::c_char;
        }
        // SAFETY: the union's sockaddr is the member these requests read; zeroed is AF_UNSPEC.
        let hw = unsafe { &mut ifr.ifr_ifru.ifru_hwaddr };
        for (slot, byte) in hw.sa_data.iter_mut().zip(mac) {
            *slot = byte as libc::c_char;
        }
        let request = if add {
            libc::SIOCADDMULTI
        } else {
            libc::SIOCDELMULTI
        };
        // SAFETY: a plain datagram socket, closed below; ifr lives across the call.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0) };
        if fd < 0 {
            return Err(Error::from(std::io::Error::last_os_error()));
        }
        let done = unsafe { libc::ioctl(fd, request as _, &mut ifr) };
        let error = std::io::Error::last_os_error();
        unsafe { libc::close(fd) };
        match done {
            0 => Ok(()),
            _ => Err(Error::from(error)),
        }
    })
}

/// Whether `mac` is on link `dev` added by hand (static), and the link exists (exit 3 if not).
fn present(ctx: &NsCtx, dev: &str, mac: &[u8; 6]) -> Result<bool> {
    let ns = ctx.netns.as_deref();
    crate::scope::Scope::open(ns)?.index(dev)?;
    let links = parse_tables(&read_tables(ns)?);
    let wanted = format_mac(mac);
    Ok(links.values().any(|l| {
        l.ifname == dev
            && l.maddr
                .iter()
                .any(|m| m.is_static && m.link.as_deref() == Some(&wanted))
    }))
}

/// add or del, with its undo.
fn change(
    ctx: &mut NsCtx,
    words: MaddrWords,
    add: bool,
    missing_ok: bool,
    journal: &mut Journal,
) -> Result<MaddrChange> {
    let dev = words.dev.expect("clap requires dev");
    let action = if add { "add" } else { "del" };
    let what = format!("maddress {action} {} dev {dev}", format_mac(&words.address));
    let there = present(ctx, &dev, &words.address).map_err(|e| e.context(&what))?;
    let mut result = MaddrChange {
        action: action.into(),
        netns: ctx.netns.clone(),
        dev: dev.clone(),
        link: format_mac(&words.address),
        changed: false,
    };
    match (add, there) {
        (true, true) => return Ok(result),
        (false, false) if missing_ok => return Ok(result),
        (false, false) => {
            return Err(Error::not_found(format!(
                "{what}: {dev} has no such address added by hand"
            )))
        }
        _ => {}
    }
    let ns = ctx.netns.clone();
    multi(ns.as_deref(), &dev, words.address, add).map_err(|e| e.context(&what))?;
    let (mac, undo_dev) = (words.address, dev);
    journal.record_fn(what, move || multi(ns.as_deref(), &undo_dev, mac, !add))?;
    result.changed = true;
    Ok(result)
}

impl Verb for Add {
    type Ctx = NsCtx;
    type Output = MaddrChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<MaddrChange> {
        change(ctx, self.words, true, false, journal)
    }
}

impl Verb for Del {
    type Ctx = NsCtx;
    type Output = MaddrChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<MaddrChange> {
        change(ctx, self.words, false, self.missing_ok, journal)
    }
}
