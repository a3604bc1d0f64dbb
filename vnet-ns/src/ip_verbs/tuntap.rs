//! `tuntap add|del`: persistent tap and tun devices, as `ip tuntap` makes them, in the current
//! namespace or -n NS (the work: crate::tuntap).

use crate::tuntap::{self, Tap, TapAction, TapDevice, TapFlags, TapSpec, Tuntap};
use crate::NsCtx;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::keywords::HEADING;
use vnet_common::links;
use vnet_common::{Journal, Result, Verb};
use vnet_common::{Render, TextStyle};

vnet_common::verbs! {
    pub enum TuntapVerb for NsCtx {
        /// Make a persistent tap or tun device (ip tuntap add).
        Add(Add),
        /// Delete a tap or tun device (ip tuntap del).
        #[command(visible_alias = "delete")]
        Del(Del),
        /// List the tap and tun devices (ip tuntap show).
        #[command(visible_aliases = ["list", "lst"])]
        Show(Show),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Tap,
    Tun,
}

/// The device: [dev] NAME (ip's `dev NAME` or `name NAME`).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Device {
    /// The device's name.
    #[arg(value_name = "NAME", required_unless_present = "dev")]
    pub name: Option<String>,
    /// The device's name, as NAME.
    #[arg(long, visible_alias = "name", value_name = "NAME", value_parser = super::ifname, conflicts_with = "name", help_heading = HEADING)]
    pub dev: Option<String>,
}

impl Device {
    /// The name, checked (a bad one is exit 7).
    fn name(self) -> Result<String> {
        super::ifname(&self.name.or(self.dev).expect("clap requires NAME or dev NAME"))
    }
}

/// Make a persistent device: `tuntap add [dev] NAME mode tap|tun [user U] [group G] [pi]
/// [vnet_hdr] [multi_queue] [one_queue]`.
///
/// The device has no packet information header unless `pi` is given, as ip makes it; user U or
/// group G may open it. It starts down: bring it up with `link set NAME up`. A name taken is exit
/// 4 (--exist-ok: "changed": false when it is a device of that mode and flags already, exit 4
/// naming the difference otherwise); an unknown user or group is exit 7.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct Add {
    #[command(flatten)]
    pub device: Device,
    /// tap (Ethernet frames) or tun (IP packets).
    #[arg(long, value_enum, required = true, help_heading = HEADING)]
    pub mode: Option<Mode>,
    /// The user (name or uid) that may open the device.
    #[arg(long, value_name = "U", value_parser = tuntap::user_id, help_heading = HEADING)]
    pub user: Option<u32>,
    /// The group (name or gid) that may open the device.
    #[arg(long, value_name = "G", value_parser = tuntap::group_id, help_heading = HEADING)]
    pub group: Option<u32>,
    /// Each packet starts with the packet-information header.
    #[arg(long, help_heading = HEADING)]
    pub pi: bool,
    /// Each packet starts with a virtio-net header.
    #[arg(long = "vnet_hdr", visible_alias = "vnet-hdr", help_heading = HEADING)]
    pub vnet_hdr: bool,
    /// The device may be opened as several queues.
    #[arg(long = "multi_queue", visible_alias = "multi-queue", help_heading = HEADING)]
    pub multi_queue: bool,
    /// IFF_ONE_QUEUE, which the kernel accepts and ignores (as ip sends it).
    #[arg(long = "one_queue", visible_alias = "one-queue", help_heading = HEADING)]
    pub one_queue: bool,
    /// Succeed with "changed": false when a tun/tap device of that name, mode and flags exists.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// Tag the new device with LABEL (its ifalias, vnet:tag=LABEL): `prune --tag` removes it.
    #[arg(long, value_name = "LABEL")]
    pub tag: Option<String>,
}

/// Delete a tap or tun device: `tuntap del [dev] NAME [mode tap|tun]`.
///
/// A missing device is exit 3 (--missing-ok: "changed": false); a link that is not a tun/tap
/// device is exit 7. Cannot be undone.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct Del {
    #[command(flatten)]
    pub device: Device,
    /// tap (the default) or tun, as ip takes it.
    #[arg(long, value_enum, help_heading = HEADING)]
    pub mode: Option<Mode>,
    /// Succeed with "changed": false when there is no such device.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

/// List the tap and tun devices: `tuntap show|list` (ip -j tuntap show), in -n NS or the current
/// namespace: each with its mode and flags under ip's words, and the user and group that may open
/// it.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Show {}

/// The tun/tap devices, as ip -j tuntap show lists them.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct TapDevices(pub Vec<TapDevice>);

impl Render for TapDevices {
    /// ip tuntap show's lines: `tun9: tun pi multi_queue vnet_hdr persist filter user 0`.
    fn text(&self, _: TextStyle) -> String {
        let line = |d: &TapDevice| {
            let mut line = format!("{}: {}", d.ifname, d.flags.join(" "));
            if let Some(user) = d.user {
                line.push_str(&format!(" user {user}"));
            }
            if let Some(group) = d.group {
                line.push_str(&format!(" group {group}"));
            }
            line + "\n"
        };
        self.0.iter().map(line).collect()
    }
}

impl Verb for Show {
    type Ctx = NsCtx;
    type Output = TapDevices;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<TapDevices> {
        let (netlink, handle, _) = ctx.scope()?;
        let all = netlink.run(links::list_links(&handle))?;
        Ok(TapDevices(all.iter().filter_map(TapDevice::of).collect()))
    }
}

impl Verb for Add {
    type Ctx = NsCtx;
    type Output = Tap;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Tap> {
        let spec = TapSpec {
            name: self.device.name()?,
            tap: self.mode == Some(Mode::Tap),
            owner: self.user,
            group: self.group,
            flags: TapFlags {
                pi: self.pi,
                vnet_hdr: self.vnet_hdr,
                multi_queue: self.multi_queue,
                one_queue: self.one_queue,
            },
        };
        let request = Tuntap {
            action: TapAction::Add,
            exist_ok: self.exist_ok,
            missing_ok: false,
            tag: self.tag,
        };
        request.run(spec, ctx, journal)
    }
}

impl Verb for Del {
    type Ctx = NsCtx;
    type Output = Tap;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Tap> {
        let spec = TapSpec {
            name: self.device.name()?,
            tap: self.mode != Some(Mode::Tun),
            owner: None,
            group: None,
            flags: TapFlags::default(),
        };
        let request = Tuntap {
            action: TapAction::Del,
            exist_ok: false,
            missing_ok: self.missing_ok,
            tag: None,
        };
        request.run(spec, ctx, journal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    #[test]
    fn parses_ip_tuntap_words() {
        let add = |line: &str| match parse_line(line) {
            Ok(NsVerb::Tuntap(TuntapVerb::Add(add))) => Ok(add),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.exit_code()),
        };
        let a = add("tuntap add dev tap0 mode tap user 0 group 0").unwrap();
        assert_eq!(
            (a.device.name().unwrap(), a.mode, a.user, a.group),
            ("tap0".to_string(), Some(Mode::Tap), Some(0), Some(0))
        );
        assert_eq!(add("tuntap add tun0 mode tun").unwrap().mode, Some(Mode::Tun));
        let flags = add("tuntap add t0 mode tun pi vnet_hdr multi_queue one_queue").unwrap();
        assert_eq!(
            (flags.pi, flags.vnet_hdr, flags.multi_queue, flags.one_queue),
            (true, true, true, true)
        );
        assert!(matches!(
            parse_line("tuntap list"),
            Ok(NsVerb::Tuntap(TuntapVerb::Show(_)))
        ));
        assert_eq!(
            add("tuntap add name tap0 mode tap")
                .unwrap()
                .device
                .name()
                .unwrap(),
            "tap0"
        );
        let may = add("tuntap add tap0 --mode tap --may-exist").unwrap();
        assert_eq!(may.device.name().unwrap(), "tap0");
        let tagged = add("tuntap --tag lab add tap0 mode tap").unwrap();
        assert_eq!(tagged.tag.as_deref(), Some("lab"));
        assert_eq!(add("tuntap add tap0").unwrap_err(), 2);
        assert_eq!(add("tuntap add mode tap").unwrap_err(), 2);
        assert_eq!(add("tuntap add tap0 mode bogus").unwrap_err(), 7);
        assert_eq!(
            add("tuntap add tap0 mode tap user no-such-user-here").unwrap_err(),
            7
        );
        assert_eq!(
            add("tuntap add tap0 mode tap group no-such-group-here").unwrap_err(),
            7
        );
        assert_eq!(add("tuntap add dev a/b mode tap").unwrap_err(), 7);
        let bad_name = add("tuntap add a/b mode tap").unwrap().device.name();
        assert_eq!(bad_name.unwrap_err().exit_code(), 7);
        match parse_line("tuntap delete dev tap0 mode tap --if-exists").unwrap() {
            NsVerb::Tuntap(TuntapVerb::Del(del)) => {
                let del = (del.device.name().unwrap(), del.mode, del.missing_ok);
                assert_eq!(del, ("tap0".into(), Some(Mode::Tap), true))
            }
            other => panic!("{other:?}"),
        }
        // user and group are add's words only.
        assert_eq!(parse_line("tuntap del tap0 user 0").unwrap_err().exit_code(), 2);
    }
}
