//! VXLAN ports: `addvxlan BR NAME --vni N (--remote IP | --group MCAST --dev IF)` creates a VXLAN
//! link (as `ip link add NAME type vxlan id N remote IP dstport 4789` does) already a port of the
//! bridge, up, with its MTU set from the underlay minus the VXLAN overhead, in one RTM_NEWLINK
//! request; `delvxlan BR NAME` deletes it. What `show` says about a VXLAN port is read here too.

use crate::fdb::neighbour_ip;
use crate::model::{vxlan_data, Links};
use crate::values::{parse_ip, parse_port, parse_vni};
use crate::{Ctx, Scope};
use netlink_packet_route::link::{InfoVxlan, LinkMessage};
use netlink_packet_route::neighbour::{NeighbourAttribute, NeighbourMessage};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};
use netlink_packet_route::AddressFamily;
use rtnetlink::{Handle, LinkVxlan};
use schemars::JsonSchema;
use serde::Serialize;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::links::{link_kind, link_master, link_mtu, link_name, list_addresses};
use vnet_common::names::validate_ifname;
use vnet_common::{Context, Error, ErrorKind, Journal, Render, Result, Verb};

/// The VXLAN header overhead on an IPv4 underlay: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8.
pub const OVERHEAD_V4: u32 = 50;
/// On an IPv6 underlay: the outer IPv6 header is 40 bytes.
pub const OVERHEAD_V6: u32 = 70;

/// Create a VXLAN port on a bridge (ip link add NAME type vxlan id VNI remote IP dstport 4789
/// dev IF; ip link set NAME master BR up).
///
/// The link is created already a port of the bridge and up, in one request. With --remote
/// (unicast) frames for unknown MACs go to that one host; add more hosts for head-end
/// replication with `vnet-bridge fdb append 00:00:00:00:00:00 dev NAME dst HOST`. With --group
/// (a multicast address; needs --dev) they go to the group. The MTU is the underlay's (--dev's,
/// or that of the interface holding --local, or of the route to the remote) minus the VXLAN
/// overhead (50 bytes on IPv4, 70 on IPv6), 1500 minus it when no underlay is found, unless
/// --mtu is given.
///
/// Checked before anything changes (exit 7): the VNI (1..16777215), every address (remote
/// unicast, group multicast, local of the same family), the port, the MTU (68 up to the underlay
/// minus the overhead); a missing bridge or --dev is exit 3; NAME existing is exit 4 unless
/// --exist-ok and it is a VXLAN port of the bridge with this VNI ("changed": false).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Addvxlan {
    /// The bridge.
    bridge: String,
    /// The VXLAN link's name (1..15 bytes).
    name: String,
    /// The VXLAN network identifier, 1..16777215 (ip link's "id").
    #[arg(long, visible_alias = "id", value_name = "N")]
    vni: String,
    /// The unicast address of the remote VTEP (ip link's "remote").
    #[arg(long, value_name = "IP", conflicts_with = "group")]
    remote: Option<String>,
    /// A multicast group to flood to instead (needs --dev).
    #[arg(long, value_name = "MCAST")]
    group: Option<String>,
    /// The source address of the tunnel's packets.
    #[arg(long, value_name = "IP")]
    local: Option<String>,
    /// The underlay interface (ip link's "dev").
    #[arg(long, value_name = "IF")]
    dev: Option<String>,
    /// The UDP destination port (ip link's "dstport").
    #[arg(long, visible_alias = "dstport", value_name = "PORT", default_value = "4789")]
    port: String,
    /// The MTU (default: the underlay's minus the VXLAN overhead).
    #[arg(long, value_name = "N")]
    mtu: Option<String>,
    /// Succeed when NAME already is a VXLAN port of the bridge with this VNI and every other
    /// setting asked ("changed": false); one that differs is exit 4 naming it.
    #[arg(long, visible_alias = "may-exist")]
    exist_ok: bool,
    /// Tag the new VXLAN link with LABEL (its ifalias, vnet:tag=LABEL): `prune --tag` removes it.
    /// With --exist-ok, an existing port without this tag is exit 4.
    #[arg(long, value_name = "LABEL")]
    tag: Option<String>,
}

/// The VXLAN port after addvxlan.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VxlanAdded {
    /// The bridge.
    pub bridge: String,
    /// The VXLAN link.
    pub name: String,
    /// The VXLAN network identifier.
    pub vni: u32,
    /// The unicast remote VTEP, if one was given.
    pub remote: Option<String>,
    /// The multicast group, if one was given.
    pub group: Option<String>,
    /// The tunnel's source address, if one was given.
    pub local: Option<String>,
    /// The underlay interface the MTU was taken from (--dev, the holder of --local, or the route
    /// to the remote); null when none was found.
    pub underlay: Option<String>,
    /// The UDP destination port.
    pub port: u16,
    /// The VXLAN link's MTU.
    pub mtu: u32,
    /// False when the port already existed (--exist-ok).
    pub changed: bool,
}

impl Render for VxlanAdded {}

/// The validated addvxlan request.
#[derive(Debug, PartialEq)]
struct Plan {
    vni: u32,
    remote: Option<IpAddr>,
    group: Option<IpAddr>,
    local: Option<IpAddr>,
    port: u16,
    mtu: Option<u32>,
}

impl Plan {
    fn family_v6(&self) -> bool {
        [self.remote, self.group, self.local]
            .iter()
            .flatten()
            .any(|a| a.is_ipv6())
    }

    fn overhead(&self) -> u32 {
        if self.family_v6() {
            OVERHEAD_V6
        } else {
            OVERHEAD_V4
        }
    }
}

impl Addvxlan {
    /// Everything that can be checked without the kernel.
    fn plan(&self) -> Result<Plan> {
        validate_ifname(&self.bridge)?;
        validate_ifname(&self.name)?;
        if let Some(dev) = &self.dev {
            validate_ifname(dev)?;
        }
        let vni = parse_vni(&self.vni)?;
        let remote = self
            .remote
            .as_deref()
            .map(|r| parse_ip("--remote", r))
            .transpose()?;
        let group = self
            .group
            .as_deref()
            .map(|g| parse_ip("--group", g))
            .transpose()?;
        let local = self
            .local
            .as_deref()
            .map(|l| parse_ip("--local", l))
            .transpose()?;
        let port = parse_port(&self.port)?;
        check_peers(remote, group, local, self.dev.is_some())?;
        let mtu = self.mtu.as_deref().map(parse_mtu).transpose()?;
        Ok(Plan {
            vni,
            remote,
            group,
            local,
            port,
            mtu,
        })
    }
}

/// The remote, group and local addresses fit together: one of remote (unicast) or group
/// (multicast, with an underlay to join it on), a unicast local of the same family.
fn check_peers(
    remote: Option<IpAddr>,
    group: Option<IpAddr>,
    local: Option<IpAddr>,
    has_dev: bool,
) -> Result<()> {
    if remote.is_none() && group.is_none() {
        return Err(Error::new(
            ErrorKind::Usage,
            "a VXLAN port needs --remote IP (unicast) or --group MCAST --dev IF",
        )
        .with_hint("e.g. vnet-bridge addvxlan br0 vx0 --vni 42 --remote 192.0.2.2"));
    }
    if let Some(r) = remote {
        if r.is_multicast() || r.is_unspecified() {
            return Err(Error::invalid(format!(
                "--remote {r} is not a unicast address: use --group for a multicast group"
            )));
        }
    }
    if let Some(g) = group {
        if !g.is_multicast() {
            return Err(Error::invalid(format!(
                "--group {g} is not a multicast address: use --remote for one host"
            )));
        }
        if !has_dev {
            return Err(Error::invalid(format!(
                "--group {g} needs --dev IF: the interface to join the group on"
            )));
        }
    }
    let Some(l) = local else { return Ok(()) };
    if l.is_multicast() || l.is_unspecified() {
        return Err(Error::invalid(format!("--local {l} is not a unicast address")));
    }
    match remote.or(group) {
        Some(peer) if peer.is_ipv6() != l.is_ipv6() => Err(Error::invalid(format!(
            "--local {l} and {peer} are of different address families"
        ))),
        _ => Ok(()),
    }
}

/// An MTU as --mtu takes it: 68..65535; exit 7 otherwise.
fn parse_mtu(text: &str) -> Result<u32> {
    match text.parse::<u32>() {
        Ok(mtu) if (68..=65535).contains(&mtu) => Ok(mtu),
        _ => Err(Error::invalid(format!(
            "invalid MTU {}: expected 68..65535",
            quote(text)
        ))),
    }
}

impl Verb for Addvxlan {
    type Ctx = Ctx;
    type Output = VxlanAdded;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<VxlanAdded> {
        let what = format!("add VXLAN port '{}' to bridge '{}'", self.name, self.bridge);
        let plan = self.plan().context(&what)?;
        vnet_common::tags::check(self.tag.as_deref())?;
        ctx.run(|at| self.add(at, plan, journal)).context(what)
    }
}

impl Addvxlan {
    async fn add(self, at: Scope<'_>, plan: Plan, journal: &mut Journal) -> Result<VxlanAdded> {
        let links = Links::load(&at.handle).await?;
        let bridge = links.bridge(&self.bridge, at.ns)?;
        let bridge_index = bridge.header.index;
        let dev = match &self.dev {
            Some(name) => Some(links.interface(name, at.ns)?),
            None => None,
        };
        let mut done = VxlanAdded {
            bridge: self.bridge.clone(),
            name: self.name.clone(),
            vni: plan.vni,
            remote: plan.remote.map(|a| a.to_string()),
            group: plan.group.map(|a| a.to_string()),
            local: plan.local.map(|a| a.to_string()),
            underlay: None,
            port: plan.port,
            mtu: 0,
            changed: false,
        };
        if let Some(existing) = links.by_name(&self.name) {
            return self.accept_existing(existing, &links, bridge_index, done, &plan, dev);
        }
        refuse_vni_clash(&links, &plan, dev)?;
        let underlay = match dev {
            Some(link) => Some(link.clone()),
            None => find_underlay(&at.handle, &links, &plan).await,
        };
        done.mtu = self.mtu_over(underlay.as_ref(), &plan)?;
        done.underlay = underlay.as_ref().map(link_name);
        let message = vxlan_message(&self.name, &plan, dev, done.mtu, bridge_index);
        let step = format!("create VXLAN link '{}'", self.name);
        at.handle
            .link()
            .add(message)
            .execute()
            .await
            .map_err(Error::from)
            .context(&step)?;
        let handle = at.handle.clone();
        let name = self.name.clone();
        journal.record(step, async move { delete_by_name(&handle, &name).await })?;
        vnet_common::tags::tag_link_opt(&at.handle, &self.name, self.tag.as_deref()).await?;
        done.changed = true;
        Ok(done)
    }

    /// NAME exists: with --exist-ok and already a VXLAN port of the bridge with this VNI, the
    /// result as it is ("changed": false) when every other setting asked matches, exit 4 naming
    /// the ones that differ; otherwise exit 4.
    fn accept_existing(
        &self,
        existing: &LinkMessage,
        links: &Links,
        bridge_index: u32,
        mut done: VxlanAdded,
        plan: &Plan,
        dev: Option<&LinkMessage>,
    ) -> Result<VxlanAdded> {
        let same = vxlan_data(existing).is_some_and(|d| vni_of(d) == Some(done.vni))
            && link_master(existing) == Some(bridge_index);
        if self.exist_ok && same {
            let differences = self.differences(existing, links, plan, dev);
            if !differences.is_empty() {
                return Err(Error::exists(format!(
                    "VXLAN port '{}' exists with VNI {} but {}",
                    self.name,
                    done.vni,
                    differences.join(", ")
                ))
                .with_hint("delete it first (delvxlan) to make it anew"));
            }
            done.mtu = link_mtu(existing).unwrap_or_default();
            done.underlay = vxlan_data(existing)
                .and_then(|d| {
                    d.iter().find_map(|a| match a {
                        InfoVxlan::Link(i) => Some(*i),
                        _ => None,
                    })
                })
                .and_then(|i| links.by_index(i))
                .map(link_name);
            return Ok(done);
        }
        let kind = link_kind(existing).unwrap_or_else(|| "plain".into());
        Err(
            Error::exists(format!("interface '{}' exists (a {kind} link)", self.name)).with_hint(
                match same {
                    true => "use --exist-ok to accept the existing port",
                    false => "choose another name, or delete it first",
                },
            ),
        )
    }

    /// What the existing port has other than asked: remote, group, local, port, dev, mtu, tag.
    fn differences(
        &self,
        existing: &LinkMessage,
        links: &Links,
        plan: &Plan,
        dev: Option<&LinkMessage>,
    ) -> Vec<String> {
        let Some(data) = vxlan_data(existing) else {
            return vec![];
        };
        let has = VxlanPort::of(existing, &[]);
        let has = has.as_ref();
        let mut differences = vec![];
        let mut differ = |what: &str, asked: String, found: String| {
            if asked != found {
                differences.push(format!("{what} {found}, not {asked}"));
            }
        };
        let none = || "none".to_string();
        let shown = |a: Option<IpAddr>| a.map_or_else(none, |a| a.to_string());
        if plan.remote.is_some() {
            let found = has.and_then(|p| p.remotes.first().cloned());
            differ("remote", shown(plan.remote), found.unwrap_or_else(none));
        }
        if plan.group.is_some() {
            let found = has.and_then(|p| p.group.clone());
            differ("group", shown(plan.group), found.unwrap_or_else(none));
        }
        if plan.local.is_some() {
            let found = has.and_then(|p| p.local.clone());
            differ("local", shown(plan.local), found.unwrap_or_else(none));
        }
        differ("port", plan.port.to_string(), port_of(data).to_string());
        if let Some(dev) = dev {
            let found = dev_index(data).and_then(|i| links.by_index(i)).map(link_name);
            differ("dev", link_name(dev), found.unwrap_or_else(none));
        }
        if let Some(mtu) = plan.mtu {
            let found = link_mtu(existing).map_or_else(none, |m| m.to_string());
            differ("mtu", mtu.to_string(), found);
        }
        if let Some(tag) = &self.tag {
            let found = vnet_common::tags::link_tag(existing).unwrap_or_else(none);
            differ("tag", tag.clone(), found);
        }
        differences
    }

    /// The new link's MTU: --mtu (refused above what --dev carries), else the underlay's minus
    /// the VXLAN overhead (1500 minus it without an underlay), at least 68.
    fn mtu_over(&self, underlay: Option<&LinkMessage>, plan: &Plan) -> Result<u32> {
        let overhead = plan.overhead();
        let underlay_mtu = underlay.and_then(link_mtu).unwrap_or(1500);
        let max = underlay_mtu.saturating_sub(overhead);
        match plan.mtu {
            Some(mtu) if self.dev.is_some() && mtu > max => Err(Error::invalid(format!(
                "--mtu {mtu} is more than the underlay '{}' allows: its MTU {underlay_mtu} \
                 minus the VXLAN overhead of {overhead} bytes is {max}",
                self.dev.as_deref().unwrap_or_default()
            ))),
            Some(mtu) => Ok(mtu),
            None => Ok(max.max(68)),
        }
    }
}

/// Two VXLAN links with one VNI and port in a namespace: the kernel refuses (EEXIST); say which.
fn refuse_vni_clash(links: &Links, plan: &Plan, dev: Option<&LinkMessage>) -> Result<()> {
    let clash = links.all.iter().find(|l| {
        vxlan_data(l).is_some_and(|d| {
            vni_of(d) == Some(plan.vni)
                && port_of(d) == plan.port
                && dev_index(d) == dev.map(|d| d.header.index)
        })
    });
    match clash {
        Some(other) => Err(Error::exists(format!(
            "VXLAN link '{}' already carries VNI {} on port {}",
            link_name(other),
            plan.vni,
            plan.port
        ))),
        None => Ok(()),
    }
}

/// The one RTM_NEWLINK that creates the VXLAN link already a port of the bridge, and up.
fn vxlan_message(
    name: &str,
    plan: &Plan,
    dev: Option<&LinkMessage>,
    mtu: u32,
    bridge_index: u32,
) -> LinkMessage {
    let mut builder = LinkVxlan::new(name, plan.vni).port(plan.port);
    match plan.remote.or(plan.group) {
        Some(IpAddr::V4(a)) => builder = builder.remote(a),
        Some(IpAddr::V6(a)) => builder = builder.remote6(a),
        None => {}
    }
    match plan.local {
        Some(IpAddr::V4(a)) => builder = builder.local(a),
        Some(IpAddr::V6(a)) => builder = builder.local6(a),
        None => {}
    }
    if let Some(link) = dev {
        builder = builder.dev(link.header.index);
    }
    builder.mtu(mtu).controller(bridge_index).up().build()
}

async fn delete_by_name(handle: &Handle, name: &str) -> Result<()> {
    match vnet_common::links::find_link(handle, name).await? {
        Some(link) => crate::kernel::delete_link(handle, link.header.index).await,
        None => Ok(()),
    }
}

/// The link the tunnel's packets leave by: the one holding --local, else the route to the
/// remote (or group). None when neither is found (the MTU then starts from 1500).
async fn find_underlay(handle: &Handle, links: &Links, plan: &Plan) -> Option<LinkMessage> {
    if let Some(local) = plan.local {
        let addrs = list_addresses(handle, None).await.ok()?;
        let holder = addrs.iter().find(|a| {
            a.attributes.iter().any(|attr| {
                matches!(attr, netlink_packet_route::address::AddressAttribute::Address(ip) if *ip == local)
            })
        });
        if let Some(a) = holder {
            return links.by_index(a.header.index).cloned();
        }
    }
    let peer = plan.remote.or(plan.group)?;
    let mut message = RouteMessage::default();
    message.header.address_family = match peer {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    };
    message.header.destination_prefix_length = if peer.is_ipv4() { 32 } else { 128 };
    message
        .attributes
        .push(RouteAttribute::Destination(RouteAddress::from(peer)));
    use futures::TryStreamExt;
    let routes: Vec<RouteMessage> = handle.route().get(message).execute().try_collect().await.ok()?;
    let oif = routes.iter().find_map(|r| {
        r.attributes.iter().find_map(|a| match a {
            RouteAttribute::Oif(i) => Some(*i),
            _ => None,
        })
    })?;
    // The loopback (a remote that is one of this host's own addresses) says nothing of the path.
    links.by_index(oif).filter(|l| link_name(l) != "lo").cloned()
}

fn vni_of(data: &[InfoVxlan]) -> Option<u32> {
    data.iter().find_map(|a| match a {
        InfoVxlan::Id(v) => Some(*v),
        _ => None,
    })
}

fn port_of(data: &[InfoVxlan]) -> u16 {
    data.iter()
        .find_map(|a| match a {
            InfoVxlan::Port(p) => Some(*p),
            _ => None,
        })
        .unwrap_or(8472)
}

fn dev_index(data: &[InfoVxlan]) -> Option<u32> {
    data.iter().find_map(|a| match a {
        InfoVxlan::Link(i) if *i != 0 => Some(*i),
        _ => None,
    })
}

/// Delete a VXLAN port of a bridge (ip link del NAME).
///
/// NAME must be a VXLAN link and a port of BR (exit 7 when it is another kind of link, 3 when it
/// is not a port of the bridge); a missing NAME is exit 3 unless --missing-ok. Its FDB entries go
/// with it.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Delvxlan {
    /// The bridge.
    bridge: String,
    /// The VXLAN link.
    name: String,
    /// Succeed when NAME does not exist.
    #[arg(long, visible_alias = "if-exists")]
    missing_ok: bool,
}

/// What delvxlan did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VxlanRemoved {
    /// The bridge.
    pub bridge: String,
    /// The VXLAN link.
    pub name: String,
    /// False when it did not exist (--missing-ok).
    pub changed: bool,
}

impl Render for VxlanRemoved {}

impl Verb for Delvxlan {
    type Ctx = Ctx;
    type Output = VxlanRemoved;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<VxlanRemoved> {
        let what = format!("delete VXLAN port '{}' of bridge '{}'", self.name, self.bridge);
        validate_ifname(&self.name).context(&what)?;
        let (bridge, name, missing_ok) = (self.bridge.clone(), self.name.clone(), self.missing_ok);
        let step = what.clone();
        let changed = ctx
            .run(|at| async move {
                let links = Links::named(&at.handle, &[&bridge, &name]).await?;
                let br = links.bridge(&bridge, at.ns)?;
                if links.by_name(&name).is_none() && missing_ok {
                    return Ok(false);
                }
                let link = links.interface(&name, at.ns)?;
                if vxlan_data(link).is_none() {
                    return Err(Error::invalid(format!(
                        "'{name}' is not a VXLAN link (it is a {} link)",
                        link_kind(link).unwrap_or_else(|| "plain".into())
                    )));
                }
                links.port(br, &name, at.ns)?;
                crate::kernel::delete_link(&at.handle, link.header.index)
                    .await
                    .context(&step)?;
                journal.irreversible(step)?;
                Ok(true)
            })
            .context(what)?;
        Ok(VxlanRemoved {
            bridge: self.bridge,
            name: self.name,
            changed,
        })
    }
}

/// What `show` lists for a VXLAN port.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VxlanPort {
    /// The VXLAN network identifier.
    pub vni: u32,
    /// The UDP destination port.
    pub port: u16,
    /// The hosts unknown destinations are sent to: the link's own remote, then every
    /// 00:00:00:00:00:00 FDB entry's dst (head-end replication), without repeats.
    pub remotes: Vec<String>,
    /// The multicast group, if the link floods to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The tunnel's source address, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local: Option<String>,
}

impl VxlanPort {
    /// The VXLAN side of `link` (None for other links), with the flood entries of `fdb`.
    pub fn of(link: &LinkMessage, fdb: &[NeighbourMessage]) -> Option<VxlanPort> {
        let data = vxlan_data(link)?;
        let mut remotes = vec![];
        let mut group = None;
        let mut local = None;
        for attr in data {
            match attr {
                InfoVxlan::Group(a) if a.is_multicast() => group = Some(a.to_string()),
                InfoVxlan::Group6(a) if a.is_multicast() => group = Some(a.to_string()),
                InfoVxlan::Group(a) if !a.is_unspecified() => remotes.push(a.to_string()),
                InfoVxlan::Group6(a) if !a.is_unspecified() => remotes.push(a.to_string()),
                InfoVxlan::Local(a) if !a.is_unspecified() => local = Some(a.to_string()),
                InfoVxlan::Local6(a) if !a.is_unspecified() => local = Some(a.to_string()),
                _ => {}
            }
        }
        for entry in fdb.iter().filter(|e| e.header.ifindex == link.header.index) {
            let attrs = &entry.attributes;
            let zero = attrs
                .iter()
                .any(|a| matches!(a, NeighbourAttribute::LinkLayerAddress(m) if m.iter().all(|b| *b == 0)));
            let dst = attrs.iter().find_map(|a| match a {
                NeighbourAttribute::Destination(ip) => neighbour_ip(ip).map(|ip| ip.to_string()),
                _ => None,
            });
            if let (true, Some(dst)) = (zero, dst) {
                if !remotes.contains(&dst) && group.as_ref() != Some(&dst) {
                    remotes.push(dst);
                }
            }
        }
        Some(VxlanPort {
            vni: vni_of(data).unwrap_or_default(),
            port: port_of(data),
            remotes,
            group,
            local,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        args: Addvxlan,
    }

    fn plan(line: &str) -> Result<Plan> {
        let words = std::iter::once("x").chain(line.split_whitespace());
        Wrap::try_parse_from(words).unwrap().args.plan()
    }

    #[test]
    fn plans_are_checked_before_the_kernel() {
        let p = plan("br0 vx0 --vni 42 --remote 192.0.2.2").unwrap();
        assert_eq!(p.port, 4789);
        assert_eq!(p.overhead(), 50);
        let p = plan("br0 vx0 --id 42 --remote 2001:db8::2 --dstport 8472 --mtu 1400").unwrap();
        assert_eq!((p.port, p.mtu, p.overhead()), (8472, Some(1400), 70));
        let p = plan("br0 vx0 --vni 7 --group 239.1.1.1 --dev eth0").unwrap();
        assert!(p.group.is_some());
        for (bad, code) in [
            ("br0 vx0 --vni 0 --remote 192.0.2.2", 7),
            ("br0 vx0 --vni 42", 2),
            ("br0 vx0 --vni 42 --remote 300.1.1.1", 7),
            ("br0 vx0 --vni 42 --remote 239.1.1.1", 7),
            ("br0 vx0 --vni 42 --group 192.0.2.1 --dev eth0", 7),
            ("br0 vx0 --vni 42 --group 239.1.1.1", 7),
            ("br0 vx0 --vni 42 --remote 192.0.2.2 --local 2001:db8::1", 7),
            ("br0 vx0 --vni 42 --remote 192.0.2.2 --port 0", 7),
            ("br0 vx0 --vni 42 --remote 192.0.2.2 --port 65536", 7),
            ("br0 vx0 --vni 42 --remote 192.0.2.2 --mtu 67", 7),
            ("br0 waytoolongvxlanname --vni 42 --remote 192.0.2.2", 7),
        ] {
            assert_eq!(plan(bad).unwrap_err().exit_code(), code, "{bad}");
        }
    }
}
