//! tuntap: persistent tap and tun devices, as `ip tuntap add/del` makes them.
//!
//! A persistent device is made with three ioctls on /dev/net/tun: TUNSETIFF (name and mode),
//! TUNSETOWNER/TUNSETGROUP (who may open it), TUNSETPERSIST (keep it once the fd closes). They are
//! called here through libc directly: the tun crates (tun, tun-tap, tokio-tun) open a device for
//! the calling process's own traffic and lose it when their fd closes; none of them makes the
//! persistent, owned device a bridge port or a VM needs, and rtnetlink cannot create tun devices.
//! The ioctls run on a thread that entered the target namespace: a tun device is created in the
//! namespace of the process that opened /dev/net/tun.

use crate::NsCtx;
use nix::unistd::{Group, User};
use schemars::JsonSchema;
use serde::Serialize;
use std::fs::OpenOptions;
use std::os::fd::AsRawFd;
use vnet_common::error::quote;
use vnet_common::{links, netns, Context, Error, ErrorKind, Journal, Render, Result};

/// _IOW('T', nr, int): the tun ioctls libc does not name (TUNSETOWNER, TUNSETGROUP).
const fn tun_iow(nr: u32) -> u32 {
    (1 << 30) | (4 << 16) | ((b'T' as u32) << 8) | nr
}
const TUNSETIFF: u32 = tun_iow(202);
const TUNSETPERSIST: u32 = tun_iow(203);
const TUNSETOWNER: u32 = tun_iow(204);
const TUNSETGROUP: u32 = tun_iow(206);

/// An add or del of a tun/tap device and how it takes one that exists or is missing (the verbs:
/// ip_verbs/tuntap.rs).
#[derive(Debug)]
pub struct Tuntap {
    pub action: TapAction,
    /// add: succeed with "changed": false when a tun/tap device of that name exists.
    pub exist_ok: bool,
    /// del: succeed with "changed": false when there is no such device.
    pub missing_ok: bool,
    /// add: tag the new device with LABEL (its ifalias, vnet:tag=LABEL).
    pub tag: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapAction {
    Add,
    Del,
}

/// The device added or deleted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Tap {
    pub name: String,
    /// "tap" or "tun".
    pub mode: String,
    /// The namespace (-n), null for the current one.
    pub netns: Option<String>,
    /// The uid that may open it (user U), if set.
    pub owner: Option<u32>,
    /// The gid that may open it (group G), if set.
    pub group: Option<u32>,
    pub changed: bool,
}

impl Render for Tap {}

#[derive(Debug, PartialEq)]
pub struct TapSpec {
    pub name: String,
    pub tap: bool,
    pub owner: Option<u32>,
    pub group: Option<u32>,
    pub flags: TapFlags,
}

/// ip tuntap add's device flags.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TapFlags {
    /// `pi`: each packet starts with the packet-information header (no IFF_NO_PI).
    pub pi: bool,
    /// `vnet_hdr`: each packet starts with a virtio-net header (IFF_VNET_HDR).
    pub vnet_hdr: bool,
    /// `multi_queue`: the device may be opened as several queues (IFF_MULTI_QUEUE).
    pub multi_queue: bool,
    /// `one_queue`: IFF_ONE_QUEUE, which the kernel accepts and ignores (ip still sends it).
    pub one_queue: bool,
}

impl TapFlags {
    /// The TUNSETIFF flags besides the mode.
    fn ifr_flags(self) -> libc::c_int {
        let mut flags = 0;
        if !self.pi {
            flags |= libc::IFF_NO_PI;
        }
        if self.vnet_hdr {
            flags |= libc::IFF_VNET_HDR;
        }
        if self.multi_queue {
            flags |= libc::IFF_MULTI_QUEUE;
        }
        if self.one_queue {
            flags |= libc::IFF_ONE_QUEUE;
        }
        flags
    }
}

pub fn user_id(text: &str) -> Result<u32> {
    if let Ok(uid) = text.parse::<u32>() {
        return Ok(uid);
    }
    match User::from_name(text) {
        Ok(Some(user)) => Ok(user.uid.as_raw()),
        _ => Err(Error::invalid(format!("tuntap: unknown user {}", quote(text)))),
    }
}

pub fn group_id(text: &str) -> Result<u32> {
    if let Ok(gid) = text.parse::<u32>() {
        return Ok(gid);
    }
    match Group::from_name(text) {
        Ok(Some(group)) => Ok(group.gid.as_raw()),
        _ => Err(Error::invalid(format!("tuntap: unknown group {}", quote(text)))),
    }
}

/// Makes the persistent device with the tun ioctls, on a thread inside namespace `ns`.
fn create(spec: &TapSpec, ns: Option<&str>) -> Result<()> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| -> Result<()> {
                if let Some(ns) = ns {
                    netns::enter(ns)?;
                }
                let tun = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open("/dev/net/tun")
                    .map_err(|e| match e.raw_os_error() {
                        Some(libc::ENOENT) | Some(libc::ENODEV) => {
                            Error::new(ErrorKind::Unavailable, "open /dev/net/tun: no tun driver here")
                        }
                        _ => Error::from(e).context("open /dev/net/tun"),
                    })?;
                let fd = tun.as_raw_fd();
                // SAFETY: ifreq is plain data; the name fits (checked: at most 15 bytes).
                let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
                for (dst, src) in ifr.ifr_name.iter_mut().zip(spec.name.bytes()) {
                    *dst = src as libc::c_char;
                }
                let mode = if spec.tap { libc::IFF_TAP } else { libc::IFF_TUN };
                ifr.ifr_ifru.ifru_flags = (mode | spec.flags.ifr_flags()) as libc::c_short;
                let ioctl = |request: u32, arg: libc::c_ulong, what: &str| -> Result<()> {
                    // SAFETY: fd is open; each request takes an int or the ifreq above.
                    let rc = unsafe { libc::ioctl(fd, request as _, arg) };
                    if rc < 0 {
                        return Err(Error::from(std::io::Error::last_os_error()).context(what));
                    }
                    Ok(())
                };
                ioctl(
                    TUNSETIFF,
                    &mut ifr as *mut libc::ifreq as libc::c_ulong,
                    "TUNSETIFF",
                )?;
                if let Some(uid) = spec.owner {
                    ioctl(TUNSETOWNER, uid as libc::c_ulong, "TUNSETOWNER")?;
                }
                if let Some(gid) = spec.group {
                    ioctl(TUNSETGROUP, gid as libc::c_ulong, "TUNSETGROUP")?;
                }
                ioctl(TUNSETPERSIST, 1, "TUNSETPERSIST")
            })
            .join()
            .unwrap_or_else(|_| Err(Error::failed("tun thread panicked")))
    })
}

/// One tun/tap device as `ip -j tuntap show` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TapDevice {
    pub ifname: String,
    /// ip's words: the mode ("tun" or "tap"), then "pi", "multi_queue", "vnet_hdr", "persist" as
    /// set, and "filter" where ip prints it (ip reads bit 0x1000, IFF_NO_PI, as "no filter", so
    /// "filter" goes with "pi").
    pub flags: Vec<String>,
    /// The uid that may open it, when one is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<u32>,
    /// The gid that may open it, when one is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<u32>,
}

/// The IFLA_TUN_* attributes of <linux/if_link.h> a tun link reports (its IFLA_INFO_DATA).
const IFLA_TUN_OWNER: u16 = 1;
const IFLA_TUN_GROUP: u16 = 2;
const IFLA_TUN_TYPE: u16 = 3;
const IFLA_TUN_PI: u16 = 4;
const IFLA_TUN_VNET_HDR: u16 = 5;
const IFLA_TUN_PERSIST: u16 = 6;
const IFLA_TUN_MULTI_QUEUE: u16 = 7;

impl TapDevice {
    /// The device a link message describes; None for links that are not tun/tap devices. Read
    /// from netlink (the tun driver's link info) rather than sysfs as ip does, so -n NS needs no
    /// remount of /sys.
    pub fn of(link: &netlink_packet_route::link::LinkMessage) -> Option<TapDevice> {
        use netlink_packet_route::link::{InfoData, LinkAttribute, LinkInfo};
        use rtnetlink::packet_core::Nla;
        let data = link.attributes.iter().find_map(|a| match a {
            LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|i| match i {
                LinkInfo::Data(InfoData::Tun(nlas)) => Some(nlas),
                _ => None,
            }),
            _ => None,
        })?;
        let value = |kind: u16| -> Option<Vec<u8>> {
            let nla = data.iter().find(|n| n.kind() == kind)?;
            let mut bytes = vec![0; nla.value_len()];
            nla.emit_value(&mut bytes);
            Some(bytes)
        };
        let set = |kind: u16| value(kind).is_some_and(|v| v.first() == Some(&1));
        let id = |kind: u16| {
            value(kind)
                .and_then(|v| v.try_into().ok())
                .map(u32::from_ne_bytes)
                .filter(|id| *id != u32::MAX)
        };
        let mode = match value(IFLA_TUN_TYPE)?.first() {
            Some(1) => "tun",
            _ => "tap",
        };
        let pi = set(IFLA_TUN_PI);
        let words = [
            (true, mode),
            (pi, "pi"),
            (set(IFLA_TUN_MULTI_QUEUE), "multi_queue"),
            (set(IFLA_TUN_VNET_HDR), "vnet_hdr"),
            (set(IFLA_TUN_PERSIST), "persist"),
            (pi, "filter"),
        ];
        Some(TapDevice {
            ifname: links::link_name(link),
            flags: words
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, w)| w.to_string())
                .collect(),
            user: id(IFLA_TUN_OWNER),
            group: id(IFLA_TUN_GROUP),
        })
    }

    /// How this device differs from what `spec` asks for (mode and flags), if it does.
    fn difference(&self, spec: &TapSpec) -> Option<String> {
        let has = |word: &str| self.flags.iter().any(|f| f == word);
        let mode = if spec.tap { "tap" } else { "tun" };
        let wanted = [
            (true, mode),
            (spec.flags.pi, "pi"),
            (spec.flags.vnet_hdr, "vnet_hdr"),
            (spec.flags.multi_queue, "multi_queue"),
        ];
        if wanted.iter().all(|(want, word)| *want == has(word)) {
            return None;
        }
        let asked: Vec<&str> = wanted.iter().filter(|(want, _)| *want).map(|(_, w)| *w).collect();
        Some(format!(
            "it exists as '{}', not as asked ('{}')",
            self.flags
                .iter()
                .filter(|f| !matches!(f.as_str(), "persist" | "filter"))
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
            asked.join(" ")
        ))
    }
}

impl Tuntap {
    /// Adds or deletes the device of `spec` in the -n namespace.
    pub fn run(self, spec: TapSpec, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Tap> {
        vnet_common::tags::check(self.tag.as_deref())?;
        let (netlink, handle, ns) = ctx.scope()?;
        let mode = if spec.tap { "tap" } else { "tun" };
        let mut out = Tap {
            name: spec.name.clone(),
            mode: mode.to_string(),
            netns: ns.clone(),
            owner: spec.owner,
            group: spec.group,
            changed: false,
        };
        let existing = netlink.run(links::find_link(&handle, &spec.name))?;
        let is_tun = existing
            .as_ref()
            .is_some_and(|l| links::link_kind(l).as_deref() == Some("tun"));
        match self.action {
            TapAction::Add => {
                let what = format!("tuntap add {}", spec.name);
                if let Some(link) = &existing {
                    let device = TapDevice::of(link);
                    let difference = device.as_ref().and_then(|d| d.difference(&spec));
                    if self.exist_ok && is_tun {
                        // --exist-ok converges or refuses: an existing device of another mode or
                        // flags is not what was asked.
                        let Some(difference) = difference else {
                            return Ok(out);
                        };
                        return Err(Error::exists(format!("{what}: {difference}"))
                            .with_hint("delete it first with 'tuntap del'"));
                    }
                    return Err(Error::exists(format!(
                        "{what}: an interface of that name exists in {}",
                        netns::describe(ns.as_deref())
                    )));
                }
                create(&spec, ns.as_deref()).with_context(|| what.clone())?;
                let (undo, name) = (handle.clone(), spec.name.clone());
                journal.record(&what, async move {
                    let link = links::require_link(&undo, &name, None).await?;
                    undo.link()
                        .del(link.header.index)
                        .execute()
                        .await
                        .map_err(Error::from)
                })?;
                netlink.run(vnet_common::tags::tag_link_opt(
                    &handle,
                    &spec.name,
                    self.tag.as_deref(),
                ))?;
            }
            TapAction::Del => {
                let what = format!("tuntap del {}", spec.name);
                let Some(link) = existing else {
                    if self.missing_ok {
                        return Ok(out);
                    }
                    return Err(Error::not_found(format!(
                        "{what}: no such device in {}",
                        netns::describe(ns.as_deref())
                    ))
                    .with_hint("pass --missing-ok to accept a missing device"));
                };
                if !is_tun {
                    return Err(Error::invalid(format!(
                        "{what}: {} is not a tun/tap device",
                        quote(&spec.name)
                    ))
                    .with_hint("delete other links with 'link del'"));
                }
                netlink
                    .run(async { handle.link().del(link.header.index).execute().await })
                    .map_err(|e| Error::from(e).context(&what))?;
                journal.irreversible(&what)?;
            }
        }
        out.changed = true;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_match_the_kernel() {
        assert_eq!(TUNSETIFF, 0x400454ca);
        assert_eq!(TUNSETPERSIST, 0x400454cb);
        assert_eq!(TUNSETOWNER, 0x400454cc);
        assert_eq!(TUNSETGROUP, 0x400454ce);
    }
}
