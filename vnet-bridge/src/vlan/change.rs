//! `vlan add` and `vlan del`: one VLAN of one port (or of a bridge itself), in bridge(8)'s words.

use super::support::{
    filtering_on, flag_names, locate, port_vlans, require_kernel_support, vlan_request, Request, RequestKind,
};
use crate::values::parse_vid;
use crate::{Ctx, Scope};
use netlink_packet_route::link::BridgeVlanInfoFlags;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::keywords::HEADING;
use vnet_common::links::{is_bridge, link_name};
use vnet_common::{Context, Error, ErrorKind, Journal, Render, Result, Verb};

/// bridge(8)'s words for one VLAN entry: dev DEV vid VID [pvid] [untagged] [self] [master].
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct EntryWords {
    /// The port (or a bridge, for the bridge device itself).
    #[arg(long, value_name = "DEV", help_heading = HEADING)]
    dev: Option<String>,
    /// The VLAN id, 1..4094 (0 and 4095 are reserved by 802.1Q: exit 7).
    #[arg(long, value_name = "VID", value_parser = parse_vid, help_heading = HEADING)]
    vid: Option<u16>,
    /// The port's PVID: untagged frames coming in are put in this VLAN.
    #[arg(long, help_heading = HEADING)]
    pvid: bool,
    /// Frames of this VLAN leave the port untagged.
    #[arg(long, help_heading = HEADING)]
    untagged: bool,
    /// On the bridge device itself (implied when DEV is a bridge).
    #[arg(long = "self", help_heading = HEADING)]
    on_self: bool,
    /// On the port, the default (taken as bridge(8) takes it).
    #[arg(long, help_heading = HEADING)]
    master: bool,
}

impl EntryWords {
    /// DEV and VID, which add and del both need (exit 2 without them).
    fn required(&self, verb: &str) -> Result<(String, u16)> {
        let need = |what: &str| {
            Error::new(ErrorKind::Usage, format!("vlan {verb} needs {what}"))
                .with_hint("e.g. vnet-bridge vlan add dev tap0 vid 10 [pvid] [untagged]")
        };
        let dev = self.dev.clone().ok_or_else(|| need("dev DEV"))?;
        let vid = self.vid.ok_or_else(|| need("vid VID"))?;
        Ok((dev, vid))
    }

    fn flags(&self) -> BridgeVlanInfoFlags {
        let mut flags = BridgeVlanInfoFlags::empty();
        if self.pvid {
            flags |= BridgeVlanInfoFlags::Pvid;
        }
        if self.untagged {
            flags |= BridgeVlanInfoFlags::Untagged;
        }
        flags
    }
}

/// Add a VLAN to a port, or with self to the bridge itself (bridge vlan add).
///
///   vnet-bridge vlan add dev PORT vid VID [pvid] [untagged] [self] [master]
///
/// Needs VLAN filtering on (exit 7 otherwise, with how to turn it on: setvlanfiltering BR on);
/// adding a VLAN the port has updates its flags ("changed": false when they are the same). On a
/// kernel without CONFIG_BRIDGE_VLAN_FILTERING, exit 6 and nothing changes.
#[derive(Debug, clap::Args)]
#[group(skip)]
// A word given twice: the last one counts, as bridge(8) reads them.
#[command(args_override_self = true)]
pub struct VlanAdd {
    #[command(flatten)]
    entry: EntryWords,
}

/// Remove a VLAN from a port (bridge vlan del).
///
///   vnet-bridge vlan del dev PORT vid VID
///
/// A VLAN the port lacks is exit 3 unless --missing-ok. On a kernel without
/// CONFIG_BRIDGE_VLAN_FILTERING, exit 6 and nothing changes.
#[derive(Debug, clap::Args)]
#[group(skip)]
// A word given twice: the last one counts, as bridge(8) reads them.
#[command(args_override_self = true)]
pub struct VlanDel {
    #[command(flatten)]
    entry: EntryWords,
    /// Succeed when the port does not have the VLAN.
    #[arg(long, visible_alias = "if-exists")]
    missing_ok: bool,
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

impl Render for VlanChanged {}

/// The port a VLAN verb acts on, read before anything changes: the check and the undo need it.
struct Port {
    request: Request,
    bridge: String,
    /// The port's VLANs now (id, flags).
    current: Vec<(u16, BridgeVlanInfoFlags)>,
}

impl Port {
    /// Finds DEV and its bridge and reads its VLANs; refuses (exit 6) on a kernel without VLAN
    /// filtering and, for add, (exit 7) on a bridge that does not filter VLANs.
    fn find(ctx: &mut Ctx, entry: &EntryWords, dev: &str, what: &str, add: bool) -> Result<Port> {
        let links = ctx.links_now().context(what)?;
        let (port, bridge) = locate(&links, dev, ctx.netns()).context(what)?;
        require_kernel_support(bridge).context(what)?;
        if add && !filtering_on(bridge) {
            let br = link_name(bridge);
            return Err(Error::invalid(format!(
                "{what}: bridge '{br}' does not filter VLANs: turn filtering on first with \
                 'vnet-bridge setvlanfiltering {br} on'"
            )));
        }
        Ok(Port {
            request: Request {
                index: port.header.index,
                on_bridge: is_bridge(port) || entry.on_self,
            },
            bridge: link_name(bridge),
            current: port_vlans(&ctx.bridge_vlans_now()?, port.header.index),
        })
    }

    fn flags_of(&self, vid: u16) -> Option<BridgeVlanInfoFlags> {
        self.current.iter().find(|(v, _)| *v == vid).map(|(_, f)| *f)
    }
}

impl Verb for VlanAdd {
    type Ctx = Ctx;
    type Output = VlanChanged;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<VlanChanged> {
        let (dev, vid) = self.entry.required("add")?;
        let what = format!("vlan add vid {vid} on '{dev}'");
        let port = Port::find(ctx, &self.entry, &dev, &what, true)?;
        let flags = self.entry.flags();
        let old = port.flags_of(vid);
        // A new PVID takes the flag from another VLAN: the undo gives it back.
        let old_pvid = port
            .current
            .iter()
            .find(|(v, f)| *v != vid && f.contains(BridgeVlanInfoFlags::Pvid))
            .copied()
            .filter(|_| flags.contains(BridgeVlanInfoFlags::Pvid));
        let changed = old != Some(flags);
        if changed {
            let request = port.request;
            ctx.run(|at: Scope<'_>| async move {
                let handle = at.handle;
                vlan_request(&handle, request, RequestKind::Add, vid, flags)
                    .await
                    .context(&what)?;
                journal.record(what, async move {
                    match old {
                        Some(old) => vlan_request(&handle, request, RequestKind::Add, vid, old).await?,
                        None => vlan_request(&handle, request, RequestKind::Del, vid, flags).await?,
                    }
                    match old_pvid {
                        Some((v, f)) => vlan_request(&handle, request, RequestKind::Add, v, f).await,
                        None => Ok(()),
                    }
                })
            })?;
        }
        Ok(VlanChanged {
            bridge: port.bridge,
            dev,
            vlan: vid,
            present: true,
            flags: flag_names(flags),
            changed,
        })
    }
}

impl Verb for VlanDel {
    type Ctx = Ctx;
    type Output = VlanChanged;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<VlanChanged> {
        let (dev, vid) = self.entry.required("del")?;
        let what = format!("vlan del vid {vid} on '{dev}'");
        let port = Port::find(ctx, &self.entry, &dev, &what, false)?;
        let changed = match port.flags_of(vid) {
            None if self.missing_ok => false,
            None => return Err(Error::not_found(format!("{what}: '{dev}' has no VLAN {vid}"))),
            Some(old) => {
                let (request, flags) = (port.request, self.entry.flags());
                ctx.run(|at: Scope<'_>| async move {
                    let handle = at.handle;
                    vlan_request(&handle, request, RequestKind::Del, vid, flags)
                        .await
                        .context(&what)?;
                    journal.record(what, async move {
                        vlan_request(&handle, request, RequestKind::Add, vid, old).await
                    })
                })?;
                true
            }
        };
        Ok(VlanChanged {
            bridge: port.bridge,
            dev,
            vlan: vid,
            present: false,
            flags: vec![],
            changed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BridgeTool, Command, VlanVerb};
    use vnet_common::cli::{parse, usage_error};

    fn verb(line: &str) -> Result<VlanVerb> {
        let words = std::iter::once("vnet-bridge").chain(line.split_whitespace());
        let cli = parse::<BridgeTool>(words.map(String::from)).map_err(|e| usage_error("vnet-bridge", &e))?;
        match cli.verb {
            Some(Command::Vlan(verb)) => Ok(verb),
            other => panic!("{line}: {other:?}"),
        }
    }

    fn add(line: &str) -> EntryWords {
        match verb(line).unwrap() {
            VlanVerb::Add(add) => add.entry,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn parses_bridge_words() {
        let entry = add("vlan add dev tap0 vid 10 pvid untagged");
        assert_eq!((entry.dev.as_deref(), entry.vid), (Some("tap0"), Some(10)));
        assert!(entry.pvid && entry.untagged && !entry.on_self && !entry.master);
        assert_eq!(
            entry.flags(),
            BridgeVlanInfoFlags::Pvid | BridgeVlanInfoFlags::Untagged
        );
        // Any order, self and master, the long flags, -n and -o anywhere.
        let entry = add("-n Blue vlan add self vid 4094 master --dev br0 -o text");
        assert!(entry.on_self && entry.master && entry.vid == Some(4094));
        // A word given twice: the last one counts, as bridge(8) reads them.
        let entry = add("vlan add dev x dev y vid 10 vid 11 pvid pvid");
        assert_eq!(
            (entry.dev.as_deref(), entry.vid, entry.pvid),
            (Some("y"), Some(11), true)
        );
        // An interface named like a keyword is still the value of dev.
        assert_eq!(add("vlan add dev pvid vid 1").dev.as_deref(), Some("pvid"));
        let del = |line| match verb(line).unwrap() {
            VlanVerb::Del(del) => del,
            other => panic!("{line}: {other:?}"),
        };
        let d = del("vlan del dev tap0 vid 10 --missing-ok");
        assert!(d.missing_ok && d.entry.vid == Some(10));
        assert!(del("vlan delete dev tap0 vid 10 pvid untagged --if-exists").missing_ok);
        for line in [
            "vlan show",
            "vlan list",
            "vlan show dev tap0 -o text",
            "vlan show vid 10",
        ] {
            assert!(matches!(verb(line), Ok(VlanVerb::Show(_))), "{line}");
        }
    }

    #[test]
    fn bad_words_keep_their_exit_codes() {
        for (line, code, needle) in [
            ("vlan add dev x vid 0", 7, "reserved by 802.1Q"),
            ("vlan del dev x vid 4095", 7, "reserved by 802.1Q"),
            ("vlan add dev x vid 5000", 7, "1..4094"),
            ("vlan add dev x vid ten", 7, "invalid VLAN id 'ten'"),
            ("vlan add dev x vid 10 tagged", 2, "'tagged'"),
            ("vlan add dev", 2, "dev"),
            ("vlan frob", 2, "frob"),
        ] {
            let error = verb(line).unwrap_err();
            assert_eq!(error.exit_code(), code, "{line}: {error}");
            assert!(error.message.contains(needle), "{line}: {error}");
        }
        // `vlan` alone is bridge's `bridge vlan`: show.
        assert!(verb("vlan").is_ok());
        let need = |line: &str| add(line).required("add").unwrap_err();
        assert_eq!(need("vlan add vid 10").exit_code(), 2);
        assert!(need("vlan add vid 10").message.contains("vlan add needs dev DEV"));
        assert!(need("vlan add dev x").message.contains("vlan add needs vid VID"));
    }
}
