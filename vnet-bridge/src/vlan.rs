//! VLAN filtering: `setvlanfiltering BR on|off` and `vlan add|del|show` in bridge(8)'s words
//! (`vlan add dev P vid 10 pvid untagged`), over rtnetlink (AF_BRIDGE RTM_SETLINK/RTM_DELLINK with
//! IFLA_AF_SPEC, as `bridge vlan` sends them).
//!
//! A kernel built without CONFIG_BRIDGE_VLAN_FILTERING refuses every VLAN request with
//! EOPNOTSUPP; it is recognised before anything is sent (its bridges report no
//! IFLA_BR_VLAN_DEFAULT_PVID / IFLA_BR_VLAN_PROTOCOL, and sysfs has no bridge/vlan_filtering), and
//! every verb here refuses with exit 6, naming the missing feature, the bridge left unchanged.

use crate::kernel::set_bridge_attr;
use crate::model::{bridge_data, Links};
use crate::stp::parse_on_off;
use crate::values::parse_vid;
use crate::{Ctx, Scope};
use futures::StreamExt;
use netlink_packet_route::link::{
    AfSpecBridge, BridgeFlag, BridgeVlanInfo, BridgeVlanInfoFlags, InfoBridge, LinkAttribute, LinkMessage,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_REQUEST};
use rtnetlink::Handle;
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write;
use vnet_common::error::quote;
use vnet_common::links::{is_bridge, link_master, link_name};
use vnet_common::{Context, Error, ErrorKind, Journal, Render, Result, TextStyle, Verb};

/// Whether the kernel has bridge VLAN filtering: only then do its bridges report their default
/// PVID and VLAN protocol (both compiled in with CONFIG_BRIDGE_VLAN_FILTERING alone).
pub fn kernel_filters_vlans(bridge: &LinkMessage) -> bool {
    bridge_data(bridge)
        .iter()
        .any(|a| matches!(a, InfoBridge::VlanDefaultPvid(_) | InfoBridge::VlanProtocol(_)))
}

/// Whether VLAN filtering is on for this bridge.
pub fn filtering_on(bridge: &LinkMessage) -> bool {
    bridge_data(bridge)
        .iter()
        .any(|a| matches!(a, InfoBridge::VlanFiltering(true)))
}

/// Exit 6: the kernel lacks the feature; says which and how to get it.
pub fn no_kernel_support() -> Error {
    Error::new(
        ErrorKind::Unavailable,
        "this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING is not set): \
         boot a kernel built with CONFIG_BRIDGE_VLAN_FILTERING=y (Debian's kernels have it)",
    )
}

/// Refuses unless the kernel filters VLANs.
pub fn require_kernel_support(bridge: &LinkMessage) -> Result<()> {
    match kernel_filters_vlans(bridge) {
        true => Ok(()),
        false => Err(no_kernel_support()),
    }
}

/// Turn VLAN filtering on or off (ip link set BR type bridge vlan_filtering 1|0).
///
/// Needs a kernel with CONFIG_BRIDGE_VLAN_FILTERING: without it, exit 6 and nothing changes.
#[derive(Debug, clap::Args)]
pub struct Setvlanfiltering {
    /// The bridge.
    bridge: String,
    /// on|off (also yes|no, 1|0).
    #[arg(value_name = "on|off")]
    state: String,
}

/// The bridge's VLAN filtering switch after setvlanfiltering.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VlanFilteringSet {
    /// The bridge.
    pub bridge: String,
    /// Whether VLAN filtering is on now.
    pub vlan_filtering: bool,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

impl Render for VlanFilteringSet {}

impl Verb for Setvlanfiltering {
    type Ctx = Ctx;
    type Output = VlanFilteringSet;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<VlanFilteringSet> {
        let on = parse_on_off(&self.state)?;
        let what = format!("set VLAN filtering on bridge '{}'", self.bridge);
        let step = what.clone();
        let bridge = self.bridge.clone();
        let changed = ctx
            .run(|at| async move {
                let links = Links::load(&at.handle).await?;
                let br = links.bridge(&bridge, at.ns)?;
                require_kernel_support(br)?;
                if filtering_on(br) == on {
                    return Ok(false);
                }
                let change = (InfoBridge::VlanFiltering(!on), InfoBridge::VlanFiltering(on));
                set_bridge_attr(&at.handle, journal, step, br.header.index, change).await?;
                Ok(true)
            })
            .map_err(|e| e.context(what))?;
        Ok(VlanFilteringSet {
            bridge: self.bridge,
            vlan_filtering: on,
            changed,
        })
    }
}

/// What `vlan` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VlanAction {
    /// Add a VLAN to a port (or with self, to the bridge itself).
    Add,
    /// Remove a VLAN from a port.
    #[value(alias = "delete")]
    Del,
    /// List the VLANs of every port (or of dev DEV).
    #[value(alias = "list")]
    Show,
}

/// Per-port VLANs of a VLAN-filtering bridge, in bridge(8)'s words (bridge vlan).
///
///   vnet-bridge vlan add dev PORT vid VID [pvid] [untagged] [self] [master]
///   vnet-bridge vlan del dev PORT vid VID
///   vnet-bridge vlan show [dev DEV] [-o text]
///
/// VID is 1..4094 (0 and 4095 are exit 7). add needs VLAN filtering on (exit 7 otherwise, with
/// how to turn it on: setvlanfiltering BR on); adding a VLAN the port has updates its flags.
/// del of a VLAN the port lacks is exit 3 unless --missing-ok. On a kernel without
/// CONFIG_BRIDGE_VLAN_FILTERING every form is exit 6 and nothing changes. show prints JSON like
/// `bridge -j vlan show`, and with -o text bridge's layout.
#[derive(Debug, clap::Args)]
pub struct Vlan {
    /// add, del (delete) or show (list).
    #[arg(value_enum)]
    action: VlanAction,
    /// bridge(8)'s arguments: dev DEV, vid VID, pvid, untagged, self, master.
    #[arg(value_name = "ARGS")]
    words: Vec<String>,
    /// With del: succeed when the port does not have the VLAN.
    #[arg(long, visible_alias = "if-exists")]
    missing_ok: bool,
}

/// What `vlan add|del|show` produced.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum VlanResult {
    /// add and del: the VLAN entry changed.
    Changed(VlanChanged),
    /// show: every port that has VLANs, as `bridge -j vlan show` lists them.
    List(Vec<PortVlans>),
}

/// One VLAN entry after add or del.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VlanChanged {
    /// The port (or the bridge itself).
    pub dev: String,
    /// The bridge it belongs to.
    pub bridge: String,
    pub vlan: u16,
    /// Whether the port has the VLAN now.
    pub present: bool,
    /// Flags now, as bridge prints them: "PVID", "Egress Untagged".
    pub flags: Vec<String>,
    /// False when everything already was as asked (nothing was done).
    pub changed: bool,
}

/// The VLANs of one port, as `bridge -j vlan show` prints them.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PortVlans {
    pub ifname: String,
    pub vlans: Vec<VlanEntry>,
}

/// One VLAN of a port.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct VlanEntry {
    pub vlan: u16,
    /// "PVID" (untagged frames in are put in this VLAN), "Egress Untagged"; left out when none.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub flags: Vec<String>,
}

fn flag_names(flags: BridgeVlanInfoFlags) -> Vec<String> {
    let mut names = vec![];
    if flags.contains(BridgeVlanInfoFlags::Pvid) {
        names.push("PVID".to_string());
    }
    if flags.contains(BridgeVlanInfoFlags::Untagged) {
        names.push("Egress Untagged".to_string());
    }
    names
}

impl Render for VlanResult {
    fn text(&self, style: TextStyle) -> String {
        match self {
            VlanResult::Changed(_) => String::new(),
            VlanResult::List(ports) => vlan_text(ports, style),
        }
    }
}

/// bridge(8)'s `vlan show` layout: "%-16s  %-9s" header, the port name padded to 16 and two
/// spaces before its first VLAN, 18 spaces before each further one, flags after the id.
pub fn vlan_text(ports: &[PortVlans], style: TextStyle) -> String {
    let mut text = String::new();
    if style.headers {
        let _ = writeln!(text, "{:<16}  {:<9}", "port", "vlan-id");
    }
    for port in ports {
        for (i, vlan) in port.vlans.iter().enumerate() {
            let lead = if i == 0 { port.ifname.as_str() } else { "" };
            let _ = write!(text, "{lead:<16}  {}", vlan.vlan);
            for flag in &vlan.flags {
                let _ = write!(text, " {flag}");
            }
            text.push('\n');
        }
    }
    text
}

/// A parsed `vlan add|del|show` argument list.
#[derive(Debug, Default, PartialEq)]
struct Spec {
    dev: Option<String>,
    vid: Option<u16>,
    pvid: bool,
    untagged: bool,
    self_: bool,
}

fn parse_words(words: &[String]) -> Result<Spec> {
    let usage = |m: String| Error::new(ErrorKind::Usage, m).with_hint("see 'vnet-bridge vlan --help'");
    let mut spec = Spec::default();
    let mut it = words.iter();
    while let Some(word) = it.next() {
        match word.as_str() {
            "dev" | "vid" => {
                let value = it
                    .next()
                    .ok_or_else(|| usage(format!("'{word}' needs a value")))?;
                if word == "dev" {
                    spec.dev = Some(value.clone());
                } else {
                    spec.vid = Some(parse_vid(value)?);
                }
            }
            "pvid" => spec.pvid = true,
            "untagged" => spec.untagged = true,
            "self" => spec.self_ = true,
            "master" => {}
            other => return Err(usage(format!("unknown vlan argument {}", quote(other)))),
        }
    }
    Ok(spec)
}

impl Verb for Vlan {
    type Ctx = Ctx;
    type Output = VlanResult;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<VlanResult> {
        let spec = parse_words(&self.words)?;
        if self.action == VlanAction::Show {
            return show(ctx, spec.dev.as_deref()).map(VlanResult::List);
        }
        let verb = if self.action == VlanAction::Add {
            "add"
        } else {
            "del"
        };
        let need = |what: &str| {
            Error::new(ErrorKind::Usage, format!("vlan {verb} needs {what}"))
                .with_hint("e.g. vnet-bridge vlan add dev tap0 vid 10 [pvid] [untagged]")
        };
        let dev = spec.dev.clone().ok_or_else(|| need("dev DEV"))?;
        let vid = spec.vid.ok_or_else(|| need("vid VID"))?;
        let what = format!("vlan {verb} vid {vid} on '{dev}'");
        // The port's current VLANs, read first: the check and the undo need them.
        let links = ctx.links_now().map_err(|e| e.context(&what))?;
        let (port, bridge) = locate(&links, &dev, ctx.netns()).map_err(|e| e.context(&what))?;
        require_kernel_support(bridge).map_err(|e| e.context(&what))?;
        if self.action == VlanAction::Add && !filtering_on(bridge) {
            let br = link_name(bridge);
            return Err(Error::invalid(format!(
                "{what}: bridge '{br}' does not filter VLANs: turn filtering on first with \
                 'vnet-bridge setvlanfiltering {br} on'"
            )));
        }
        let current = port_vlans(&ctx.bridge_vlans_now()?, port.header.index);
        let is_bridge_dev = is_bridge(port);
        let request = Request {
            index: port.header.index,
            on_bridge: is_bridge_dev || spec.self_,
        };
        let mut flags = BridgeVlanInfoFlags::empty();
        if spec.pvid {
            flags |= BridgeVlanInfoFlags::Pvid;
        }
        if spec.untagged {
            flags |= BridgeVlanInfoFlags::Untagged;
        }
        let old = current.iter().find(|(v, _)| *v == vid).map(|(_, f)| *f);
        let old_pvid = current
            .iter()
            .find(|(v, f)| *v != vid && f.contains(BridgeVlanInfoFlags::Pvid))
            .copied();
        let (present, changed, now) = match self.action {
            VlanAction::Add if old == Some(flags) => (true, false, flags),
            VlanAction::Add => (true, true, flags),
            _ => match old {
                Some(_) => (false, true, BridgeVlanInfoFlags::empty()),
                None if self.missing_ok => (false, false, BridgeVlanInfoFlags::empty()),
                None => return Err(Error::not_found(format!("{what}: '{dev}' has no VLAN {vid}"))),
            },
        };
        if changed {
            let add = self.action == VlanAction::Add;
            let step = what.clone();
            ctx.run(|at: Scope<'_>| async move {
                let handle = at.handle;
                let message = if add { RequestKind::Add } else { RequestKind::Del };
                vlan_request(&handle, request, message, vid, flags)
                    .await
                    .context(&step)?;
                let undo = handle.clone();
                journal.record(step, async move {
                    match old {
                        Some(old) => vlan_request(&undo, request, RequestKind::Add, vid, old).await?,
                        None => vlan_request(&undo, request, RequestKind::Del, vid, flags).await?,
                    }
                    // A new PVID took the flag from another VLAN: give it back.
                    match (add && flags.contains(BridgeVlanInfoFlags::Pvid), old_pvid) {
                        (true, Some((v, f))) => vlan_request(&undo, request, RequestKind::Add, v, f).await,
                        _ => Ok(()),
                    }
                })
            })?;
        }
        Ok(VlanResult::Changed(VlanChanged {
            bridge: link_name(bridge),
            dev,
            vlan: vid,
            present,
            flags: flag_names(now),
            changed,
        }))
    }
}

/// The link named `dev` and its bridge (itself when it is a bridge); exit 3 when missing, 7 when
/// it is neither a bridge nor a bridge port.
fn locate<'a>(links: &'a Links, dev: &str, ns: Option<&str>) -> Result<(&'a LinkMessage, &'a LinkMessage)> {
    let port = links.interface(dev, ns)?;
    if is_bridge(port) {
        return Ok((port, port));
    }
    let bridge = link_master(port)
        .and_then(|m| links.by_index(m))
        .filter(|m| is_bridge(m))
        .ok_or_else(|| Error::invalid(format!("'{dev}' is neither a bridge nor a bridge port")))?;
    Ok((port, bridge))
}

#[derive(Debug, Clone, Copy)]
struct Request {
    index: u32,
    /// The VLAN goes on the bridge device itself (IFLA_BRIDGE_FLAGS = BRIDGE_FLAGS_SELF).
    on_bridge: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RequestKind {
    Add,
    Del,
}

/// One `bridge vlan add|del`: RTM_SETLINK / RTM_DELLINK, family AF_BRIDGE, IFLA_AF_SPEC.
async fn vlan_request(
    handle: &Handle,
    request: Request,
    kind: RequestKind,
    vid: u16,
    flags: BridgeVlanInfoFlags,
) -> Result<()> {
    let mut message = LinkMessage::default();
    message.header.interface_family = AddressFamily::Bridge;
    message.header.index = request.index;
    let mut spec = vec![];
    if request.on_bridge {
        spec.push(AfSpecBridge::Flags(BridgeFlag::LowerDev));
    }
    spec.push(AfSpecBridge::VlanInfo(BridgeVlanInfo { flags, vid }));
    message.attributes.push(LinkAttribute::AfSpecBridge(spec));
    let mut netlink = NetlinkMessage::from(match kind {
        RequestKind::Add => RouteNetlinkMessage::SetLink(message),
        RequestKind::Del => RouteNetlinkMessage::DelLink(message),
    });
    netlink.header.flags = NLM_F_REQUEST | NLM_F_ACK;
    let mut replies = handle.clone().request(netlink).map_err(Error::from)?;
    while let Some(reply) = replies.next().await {
        if let NetlinkPayload::Error(e) = reply.payload {
            if let Some(code) = e.code {
                return Err(Error::from_errno(-code.get()));
            }
        }
    }
    Ok(())
}

/// The VLANs (id, flags) a link reports in an AF_BRIDGE dump.
fn vlans_of(link: &LinkMessage) -> Vec<(u16, BridgeVlanInfoFlags)> {
    let mut out = vec![];
    for attr in &link.attributes {
        if let LinkAttribute::AfSpecBridge(spec) = attr {
            for item in spec {
                if let AfSpecBridge::VlanInfo(info) = item {
                    out.push((info.vid, info.flags));
                }
            }
        }
    }
    out
}

fn port_vlans(dump: &[LinkMessage], index: u32) -> Vec<(u16, BridgeVlanInfoFlags)> {
    dump.iter()
        .filter(|l| l.header.index == index)
        .flat_map(vlans_of)
        .collect()
}

/// `vlan show`: every link with VLANs in the AF_BRIDGE dump order (as bridge prints them).
fn show(ctx: &mut Ctx, dev: Option<&str>) -> Result<Vec<PortVlans>> {
    let what = "show VLANs";
    let links = ctx.links_now().context(what)?;
    let filter = match dev {
        Some(name) => Some(links.interface(name, ctx.netns()).context(what)?.header.index),
        None => None,
    };
    // No bridge, no VLANs; a bridge of a kernel without the feature: refuse, as bridge(8) cannot
    // list anything there either.
    let bridges = links.bridges();
    if bridges.iter().any(|b| !kernel_filters_vlans(b)) {
        return Err(no_kernel_support().context(what));
    }
    if bridges.is_empty() {
        return Ok(vec![]);
    }
    let dump = ctx.bridge_vlans_now().context(what)?;
    Ok(list_vlans(&dump, filter))
}

fn list_vlans(dump: &[LinkMessage], filter: Option<u32>) -> Vec<PortVlans> {
    dump.iter()
        .filter(|l| filter.is_none_or(|i| l.header.index == i))
        .filter_map(|link| {
            let vlans: Vec<VlanEntry> = vlans_of(link)
                .into_iter()
                .map(|(vlan, flags)| VlanEntry {
                    vlan,
                    flags: flag_names(flags),
                })
                .collect();
            (!vlans.is_empty()).then(|| PortVlans {
                ifname: link_name(link),
                vlans,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::bridge_link;
    use netlink_packet_route::link::{InfoData, LinkInfo};

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn parses_bridge_words() {
        let spec = parse_words(&words("dev tap0 vid 10 pvid untagged")).unwrap();
        assert_eq!(spec.dev.as_deref(), Some("tap0"));
        assert_eq!(spec.vid, Some(10));
        assert!(spec.pvid && spec.untagged && !spec.self_);
        assert_eq!(parse_words(&words("dev")).unwrap_err().exit_code(), 2);
        assert_eq!(parse_words(&words("dev x tagged")).unwrap_err().exit_code(), 2);
        assert_eq!(parse_words(&words("dev x vid 0")).unwrap_err().exit_code(), 7);
    }

    fn with_vlan_data(mut link: LinkMessage, filtering: bool) -> LinkMessage {
        for attr in &mut link.attributes {
            if let LinkAttribute::LinkInfo(infos) = attr {
                for info in infos {
                    if let LinkInfo::Data(InfoData::Bridge(data)) = info {
                        data.push(InfoBridge::VlanFiltering(filtering));
                        data.push(InfoBridge::VlanDefaultPvid(1));
                    }
                }
            }
        }
        link
    }

    #[test]
    fn kernel_support_and_filtering_are_read_from_the_bridge() {
        // This kernel: IFLA_BR_VLAN_FILTERING is reported (always 0), the PVID is not.
        let mut plain = bridge_link("br0", 1, false);
        if let LinkAttribute::LinkInfo(infos) = &mut plain.attributes[1] {
            if let LinkInfo::Data(InfoData::Bridge(data)) = &mut infos[1] {
                data.push(InfoBridge::VlanFiltering(false));
            }
        }
        assert!(!kernel_filters_vlans(&plain));
        let e = require_kernel_support(&plain).unwrap_err();
        assert_eq!(e.exit_code(), 6);
        assert!(e.message.contains("CONFIG_BRIDGE_VLAN_FILTERING"), "{e}");
        assert!(!e.message.contains('\n'));
        let off = with_vlan_data(bridge_link("br0", 1, false), false);
        assert!(kernel_filters_vlans(&off) && !filtering_on(&off));
        let on = with_vlan_data(bridge_link("br0", 1, false), true);
        assert!(filtering_on(&on));
    }

    fn af_bridge_link(name: &str, index: u32, vlans: &[(u16, BridgeVlanInfoFlags)]) -> LinkMessage {
        let mut link = LinkMessage::default();
        link.header.index = index;
        link.header.interface_family = AddressFamily::Bridge;
        link.attributes.push(LinkAttribute::IfName(name.into()));
        let spec = vlans
            .iter()
            .map(|(vid, flags)| {
                AfSpecBridge::VlanInfo(BridgeVlanInfo {
                    flags: *flags,
                    vid: *vid,
                })
            })
            .collect();
        link.attributes.push(LinkAttribute::AfSpecBridge(spec));
        link
    }

    #[test]
    fn show_is_bridge_vlan_show_layout_and_json() {
        let both = BridgeVlanInfoFlags::Pvid | BridgeVlanInfoFlags::Untagged;
        let dump = vec![
            af_bridge_link("tap0", 5, &[(1, both)]),
            af_bridge_link("veth0", 6, &[(1, both), (10, BridgeVlanInfoFlags::empty())]),
            af_bridge_link("br0", 2, &[(1, both | BridgeVlanInfoFlags::Brentry)]),
            af_bridge_link("eth9", 7, &[]),
        ];
        let list = list_vlans(&dump, None);
        assert_eq!(
            vlan_text(&list, TextStyle::default()),
            "port              vlan-id  \n\
             tap0              1 PVID Egress Untagged\n\
             veth0             1 PVID Egress Untagged\n\
             \x20                 10\n\
             br0               1 PVID Egress Untagged\n"
        );
        let json = serde_json::to_value(VlanResult::List(list)).unwrap();
        assert_eq!(
            json[1],
            serde_json::json!({"ifname": "veth0", "vlans": [
                {"vlan": 1, "flags": ["PVID", "Egress Untagged"]}, {"vlan": 10}]})
        );
        assert_eq!(list_vlans(&dump, Some(6)).len(), 1);
        assert_eq!(port_vlans(&dump, 6).len(), 2);
    }
}
