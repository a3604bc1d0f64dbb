//! `addr add|del|flush`, and the older `addr NS IFACE CIDR [--del]`: addresses on any link of
//! the current namespace or -n NS, IPv4 and IPv6, as ip addr changes them (the work: crate::addrs
//! and crate::iface).

use crate::addr_opts::{self, AddrOpts, Broadcast};
use crate::addrs::{self, AddrSpec, FlushFilter, Options};
use crate::iface::{self, Changed};
use crate::NsCtx;
use ipnet::IpNet;
use std::net::IpAddr;
use vnet_common::cidr::parse_cidr;
use vnet_common::keywords::HEADING;
use vnet_common::verb::BareForm;
use vnet_common::{Journal, Result, Verb};

vnet_common::verbs! {
    pub enum AddrVerb for NsCtx {
        /// Add an address to a link (ip addr add).
        Add(Add),
        /// Add an address, or change the one the link has (ip addr replace).
        Replace(Replace),
        /// Change the lifetimes and flags of an address the link has (ip addr change).
        Change(Change),
        /// Remove an address from a link (ip addr del).
        #[command(visible_alias = "delete")]
        Del(Del),
        /// Remove the addresses of a link, all or those a filter picks (ip addr flush).
        Flush(Flush),
        /// The links with their addresses, as ip -j addr show describes them.
        #[command(visible_alias = "list", visible_alias = "ls")]
        Show(super::addr_show::Show),
    }
}

/// Add, delete or flush addresses on a link, in the current namespace or -n NS (ip addr
/// add/del/flush), IPv4 and IPv6.
///
/// Forms: `addr add|replace CIDR dev IF [ip's options]`, `addr del CIDR dev IF`, `addr flush dev IF
/// [filters]`, `addr show [IF]` act in -n NS
/// (default: the current namespace, so host links too); the older form `addr NS IFACE CIDR
/// [--del]` names the namespace first and is unchanged. A second IPv4 address in the subnet of one
/// already on the link becomes a secondary address, as with ip (ip -j addr shows it). Deleting a
/// primary IPv4 address removes its secondaries with it, as the kernel does. flush removes every
/// address of the link, secondaries first. Each change is journaled (add is deleted again, del and
/// flush add the addresses back).
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct AddrForms {
    #[command(subcommand)]
    pub verb: Option<AddrVerb>,
    #[command(flatten)]
    pub older: Option<Older>,
}

impl BareForm for AddrForms {
    type Set = AddrVerb;
    type Bare = Older;

    fn split(self) -> std::result::Result<AddrVerb, Older> {
        self.verb
            .ok_or_else(|| self.older.expect("clap requires a verb or NS IFACE CIDR"))
    }
}

/// The older form: `addr NS IFACE CIDR [--del]` adds (or removes) an address on a link of
/// namespace NS and prints the link.
#[derive(Debug, clap::Args)]
pub struct Older {
    /// The namespace.
    #[arg(value_name = "NS", required = true)]
    pub ns: Option<String>,
    /// The link.
    #[arg(value_name = "IFACE", required = true)]
    pub iface: Option<String>,
    /// The address with its prefix length (10.0.0.1/24).
    #[arg(value_name = "CIDR", required = true)]
    pub cidr: Option<String>,
    /// Remove the address instead of adding it.
    #[arg(long)]
    pub del: bool,
}

/// The address: CIDR (ip's `local CIDR` too) and dev IF.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Address {
    /// The address with its prefix length (10.0.0.1/24, fd00::1/64).
    #[arg(value_name = "CIDR", required_unless_present = "local")]
    pub cidr: Option<String>,
    /// The address, as CIDR.
    #[arg(long, value_name = "CIDR", value_parser = parse_cidr, conflicts_with = "cidr", help_heading = HEADING)]
    pub local: Option<IpNet>,
    /// The link.
    #[arg(long, value_name = "IF", required = true, value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    /// A point-to-point address's remote end, with the prefix length the address takes (`peer
    /// 10.0.3.2` is /32, as ip).
    #[arg(long, value_name = "ADDR[/LEN]", value_parser = parse_prefix, help_heading = HEADING)]
    pub peer: Option<IpNet>,
}

impl Address {
    /// The address with the peer's prefix length when a peer is given (ip's rule), and the peer.
    fn with_peer(self) -> Result<(IpNet, String, Option<IpAddr>)> {
        let peer = self.peer;
        let (net, dev) = self.checked()?;
        match peer {
            Some(peer) if peer.addr().is_ipv6() != net.addr().is_ipv6() => Err(vnet_common::Error::invalid(
                format!("addr: peer {peer} is not of the same family as {net}"),
            )),
            Some(peer) => {
                let net = IpNet::new(net.addr(), peer.prefix_len()).expect("a length of the same family");
                Ok((net, dev, Some(peer.addr())))
            }
            None => Ok((net, dev, None)),
        }
    }

    /// The address (checked: a bad one is exit 7) and the link.
    fn checked(self) -> Result<(IpNet, String)> {
        let net = match (self.local, self.cidr) {
            (Some(net), _) => net,
            (None, cidr) => parse_cidr(&cidr.expect("clap requires CIDR or local CIDR"))?,
        };
        Ok((net, self.dev.expect("clap requires dev IF")))
    }
}

/// Add an address to a link: `addr add CIDR dev IF [broadcast ADDR|+|-] [label LABEL] [scope S]
/// [valid_lft N|forever] [preferred_lft N|forever] [noprefixroute] [nodad]`.
///
/// As ip: no broadcast address unless asked; the label is the device's name or begins with it
/// and a colon; scope host|link|global|site|nowhere or 0..255 (default: host for loopback
/// addresses, else global); preferred_lft at most valid_lft. An address the link has is exit 4;
/// with --exist-ok "changed": false when it already is what was asked, its lifetimes (and on
/// IPv6 noprefixroute and nodad) set anew otherwise ("changed": true), and exit 4 naming the
/// difference for what the kernel keeps on an existing address (scope, label, broadcast, IPv4's
/// noprefixroute).
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct Add {
    #[command(flatten)]
    pub address: Address,
    #[command(flatten)]
    pub options: AddrOptions,
    /// Succeed when the link already has the address as asked (see above).
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
}

/// Add an address or change the one the link has: `addr replace CIDR dev IF [options of addr
/// add]`.
///
/// "changed": false when the link already has it as asked. The kernel changes only the
/// lifetimes of an existing address (and on IPv6 noprefixroute and nodad): another scope,
/// label or broadcast is exit 4 naming it, not a pretend success.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct Replace {
    #[command(flatten)]
    pub address: Address,
    #[command(flatten)]
    pub options: AddrOptions,
}

/// Change an address the link has: `addr change CIDR dev IF [options of addr add]` (ip addr
/// change: the kernel's replace without create).
///
/// As the kernel does for ip: an IPv6 address the link lacks is exit 3; a missing IPv4 address is
/// added (the kernel creates it). Otherwise as addr replace.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct Change {
    #[command(flatten)]
    pub address: Address,
    #[command(flatten)]
    pub options: AddrOptions,
}

impl Verb for Change {
    type Ctx = NsCtx;
    type Output = Changed;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Changed> {
        let (net, dev, peer) = self.address.with_peer()?;
        let asked = self.options.checked(&net, &dev, peer)?;
        if net.addr().is_ipv6() && !has(ctx, net, &dev)? {
            return Err(vnet_common::Error::not_found(format!(
                "addr change {net} dev {dev}: {dev} has no such address"
            )));
        }
        let spec = AddrSpec::Add {
            net,
            dev,
            opts: asked,
            replace: true,
        };
        let opts = Options {
            exist_ok: true,
            missing_ok: false,
        };
        change(ctx, spec, opts, journal)
    }
}

/// Whether link `dev` has the address `net` (its prefix length included).
fn has(ctx: &NsCtx, net: IpNet, dev: &str) -> Result<bool> {
    Ok(link_addresses(ctx, dev)?.contains(&net))
}

/// The addresses of link `dev` in the -n namespace (a missing link is exit 3).
fn link_addresses(ctx: &NsCtx, dev: &str) -> Result<Vec<IpNet>> {
    let mut scope = crate::scope::Scope::open(ctx.netns.as_deref())?;
    let index = scope.index(dev)?;
    let addresses = scope
        .socket
        .link_addresses(index)
        .map_err(|e| e.context("list addresses"))?;
    Ok(addresses
        .iter()
        .map(addr_opts::AddrInfo::of)
        .filter_map(|info| info.net())
        .collect())
}

/// ip's options of addr add and replace.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct AddrOptions {
    /// IPv4: the broadcast address, + (host bits set) or - (host bits clear).
    #[arg(long, visible_alias = "brd", value_name = "ADDR|+|-", value_parser = addr_opts::parse_broadcast, allow_hyphen_values = true, help_heading = HEADING)]
    pub broadcast: Option<Broadcast>,
    /// IPv4: the label, IF or IF:NAME.
    #[arg(long, value_name = "LABEL", help_heading = HEADING)]
    pub label: Option<String>,
    /// host, link, global, site, nowhere or 0..255.
    #[arg(long, value_name = "SCOPE", value_parser = addr_opts::parse_scope, help_heading = HEADING)]
    pub scope: Option<u8>,
    /// How long the address stays valid: seconds or forever.
    #[arg(long, visible_alias = "valid_lft", value_name = "N|forever", value_parser = addr_opts::parse_lifetime, allow_hyphen_values = true, help_heading = HEADING)]
    pub valid_lft: Option<u32>,
    /// How long the address stays preferred: seconds or forever (at most valid_lft).
    #[arg(long, visible_alias = "preferred_lft", value_name = "N|forever", value_parser = addr_opts::parse_lifetime, allow_hyphen_values = true, help_heading = HEADING)]
    pub preferred_lft: Option<u32>,
    /// Add no route for the address's prefix.
    #[arg(long, help_heading = HEADING)]
    pub noprefixroute: bool,
    /// IPv6: usable at once, without duplicate address detection.
    #[arg(long, help_heading = HEADING)]
    pub nodad: bool,
}

impl AddrOptions {
    /// The options, checked against the address and link (exit 7 as ip refuses them).
    fn checked(self, net: &IpNet, dev: &str, peer: Option<IpAddr>) -> Result<AddrOpts> {
        let lifetimes = match (self.valid_lft, self.preferred_lft) {
            (None, None) => None,
            (valid, preferred) => Some((
                valid.unwrap_or(addr_opts::FOREVER),
                preferred.unwrap_or(addr_opts::FOREVER),
            )),
        };
        let opts = AddrOpts {
            broadcast: self.broadcast,
            label: self.label,
            scope: self.scope,
            lifetimes,
            noprefixroute: self.noprefixroute,
            nodad: self.nodad,
            peer,
        };
        opts.check(net, dev)?;
        Ok(opts)
    }
}

/// Remove an address from a link: `addr del CIDR dev IF`; without a prefix length
/// (`addr del 10.0.1.1 dev IF`) the link's address 10.0.1.1 whatever its prefix, as ip.
///
/// An address the link does not have is exit 3 (--missing-ok: "changed": false).
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct Del {
    #[command(flatten)]
    pub address: Address,
    /// Succeed with "changed": false when the link does not have the address.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

/// Remove the addresses of a link: `addr flush dev IF [scope S] [label PATTERN] [to PREFIX]`.
///
/// Every address of the link, or only those of that scope, with a label matching PATTERN (a
/// trailing * matches any rest, as ip's `label eth0:*`), inside PREFIX. Without dev, the link is
/// the one the label names (a label begins with its link's name). Secondaries go first; each
/// address is journaled and comes back with its own options on undo.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct Flush {
    /// The link.
    #[arg(long, value_name = "IF", required_unless_present = "label", value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    /// Only addresses of this scope: host, link, global, site, nowhere or 0..255.
    #[arg(long, value_name = "SCOPE", value_parser = addr_opts::parse_scope, help_heading = HEADING)]
    pub scope: Option<u8>,
    /// Only addresses with a label matching this (IF:NAME, or IF:* for every labelled one).
    #[arg(long, value_name = "PATTERN", help_heading = HEADING)]
    pub label: Option<String>,
    /// Only addresses inside this prefix.
    #[arg(long, value_name = "PREFIX", value_parser = parse_prefix, help_heading = HEADING)]
    pub to: Option<IpNet>,
}

/// A prefix as `to PREFIX` takes it: a CIDR or a bare address (a host prefix).
fn parse_prefix(text: &str) -> Result<IpNet> {
    match text.parse::<std::net::IpAddr>() {
        Ok(ip) => Ok(IpNet::from(ip)),
        Err(_) => parse_cidr(text),
    }
}

impl Flush {
    /// The link and the filter; without dev, the link the label names.
    fn checked(self) -> Result<(String, FlushFilter)> {
        let dev = match (self.dev, &self.label) {
            (Some(dev), _) => dev,
            (None, Some(label)) => super::ifname(label.split(':').next().unwrap_or_default())?,
            (None, None) => unreachable!("clap requires dev or label"),
        };
        let filter = FlushFilter {
            scope: self.scope,
            label: self.label,
            to: self.to,
        };
        Ok((dev, filter))
    }
}

/// ip's wildcard deletion (`addr del 10.0.1.1 dev X`, no prefix length): the link's first
/// address with that local address, whatever its prefix length; the host prefix when it has
/// none (then exit 3 as for any missing address).
fn wildcard(ctx: &NsCtx, host: IpNet, dev: &str) -> Result<IpNet> {
    let found = link_addresses(ctx, dev)?
        .into_iter()
        .find(|net| net.addr() == host.addr());
    Ok(found.unwrap_or(host))
}

/// Runs `spec` in the -n namespace.
fn change(ctx: &mut NsCtx, spec: AddrSpec, opts: Options, journal: &mut Journal) -> Result<Changed> {
    let (netlink, handle, ns) = ctx.scope()?;
    netlink.run(addrs::run(&handle, ns.as_deref(), spec, opts, journal))
}

impl Verb for Add {
    type Ctx = NsCtx;
    type Output = Changed;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Changed> {
        let (net, dev, peer) = self.address.with_peer()?;
        let asked = self.options.checked(&net, &dev, peer)?;
        let spec = AddrSpec::Add {
            net,
            dev,
            opts: asked,
            replace: false,
        };
        let opts = Options {
            exist_ok: self.exist_ok,
            missing_ok: false,
        };
        change(ctx, spec, opts, journal)
    }
}

impl Verb for Replace {
    type Ctx = NsCtx;
    type Output = Changed;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Changed> {
        let (net, dev, peer) = self.address.with_peer()?;
        let asked = self.options.checked(&net, &dev, peer)?;
        let spec = AddrSpec::Add {
            net,
            dev,
            opts: asked,
            replace: true,
        };
        let opts = Options {
            exist_ok: true,
            missing_ok: false,
        };
        change(ctx, spec, opts, journal)
    }
}

impl Verb for Del {
    type Ctx = NsCtx;
    type Output = Changed;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Changed> {
        let bare =
            self.address.cidr.as_deref().is_some_and(|c| !c.contains('/')) && self.address.peer.is_none();
        let (mut net, dev, _) = self.address.with_peer()?;
        if bare {
            net = wildcard(ctx, net, &dev)?;
        }
        let opts = Options {
            exist_ok: false,
            missing_ok: self.missing_ok,
        };
        change(ctx, AddrSpec::Del { net, dev }, opts, journal)
    }
}

impl Verb for Flush {
    type Ctx = NsCtx;
    type Output = Changed;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Changed> {
        let (dev, filter) = self.checked()?;
        let opts = Options {
            exist_ok: false,
            missing_ok: false,
        };
        change(ctx, AddrSpec::Flush { dev, filter }, opts, journal)
    }
}

impl Verb for Older {
    type Ctx = NsCtx;
    type Output = Changed;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Changed> {
        let (Some(ns), Some(link), Some(cidr)) = (self.ns, self.iface, self.cidr) else {
            unreachable!("clap requires NS IFACE CIDR")
        };
        iface::older_addr(ctx, &ns, &link, &cidr, self.del, journal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    /// The request of an `addr` line, every word checked; a refused one as its exit code.
    fn spec(line: &str) -> std::result::Result<AddrSpec, u8> {
        let verb = match parse_line(line) {
            Ok(NsVerb::Addr(AddrForms { verb: Some(verb), .. })) => verb,
            Ok(other) => panic!("{other:?}"),
            Err(e) => return Err(e.exit_code()),
        };
        let checked = |address: Address| address.checked().map_err(|e| e.exit_code());
        Ok(match verb {
            AddrVerb::Add(add) => {
                let (net, dev) = checked(add.address)?;
                let opts = add.options.checked(&net, &dev, None).map_err(|e| e.exit_code())?;
                AddrSpec::Add {
                    net,
                    dev,
                    opts,
                    replace: false,
                }
            }
            AddrVerb::Replace(replace) => {
                let (net, dev) = checked(replace.address)?;
                let opts = replace
                    .options
                    .checked(&net, &dev, None)
                    .map_err(|e| e.exit_code())?;
                AddrSpec::Add {
                    net,
                    dev,
                    opts,
                    replace: true,
                }
            }
            AddrVerb::Change(change) => {
                let (net, dev) = checked(change.address)?;
                let opts = change
                    .options
                    .checked(&net, &dev, None)
                    .map_err(|e| e.exit_code())?;
                AddrSpec::Add {
                    net,
                    dev,
                    opts,
                    replace: true,
                }
            }
            AddrVerb::Show(_) => panic!("show has no spec"),
            AddrVerb::Del(del) => {
                let (net, dev) = checked(del.address)?;
                AddrSpec::Del { net, dev }
            }
            AddrVerb::Flush(flush) => {
                let (dev, filter) = flush.checked().map_err(|e| e.exit_code())?;
                AddrSpec::Flush { dev, filter }
            }
        })
    }

    #[test]
    fn parses_ip_addr_forms() {
        assert_eq!(
            spec("addr add 10.0.0.1/24 dev eth0").unwrap(),
            AddrSpec::Add {
                net: "10.0.0.1/24".parse().unwrap(),
                dev: "eth0".into(),
                opts: AddrOpts::default(),
                replace: false,
            }
        );
        assert!(matches!(
            spec("addr add dev eth0 fd00::1/64 nodad").unwrap(),
            AddrSpec::Add {
                opts: AddrOpts { nodad: true, .. },
                ..
            }
        ));
        match spec("addr add 10.0.0.1/24 brd + dev eth0 label eth0:1 scope link valid_lft 100 preferred_lft 50 noprefixroute").unwrap() {
            AddrSpec::Add { opts, .. } => assert_eq!(
                opts,
                AddrOpts {
                    broadcast: Some(Broadcast::Plus),
                    label: Some("eth0:1".into()),
                    scope: Some(253),
                    lifetimes: Some((100, 50)),
                    noprefixroute: true,
                    nodad: false,
                    peer: None,
                }
            ),
            other => panic!("{other:?}"),
        }
        // peer: the address takes the peer's prefix length (/32 for a bare peer), as ip.
        for (line, want) in [
            ("addr add 10.0.3.1 peer 10.0.3.2 dev eth0", Ok("10.0.3.1/32")),
            (
                "addr add 10.0.3.1/24 peer 10.0.3.0/30 dev eth0",
                Ok("10.0.3.1/30"),
            ),
            ("addr del 10.0.3.1 peer fd00::2 dev eth0", Err(7)),
        ] {
            let address = match parse_line(line) {
                Ok(NsVerb::Addr(AddrForms {
                    verb: Some(AddrVerb::Add(a)),
                    ..
                })) => a.address,
                Ok(NsVerb::Addr(AddrForms {
                    verb: Some(AddrVerb::Del(d)),
                    ..
                })) => d.address,
                other => panic!("{other:?}"),
            };
            let got = address
                .with_peer()
                .map(|(net, _, _)| net.to_string())
                .map_err(|e| e.exit_code());
            assert_eq!(got, want.map(str::to_string), "{line}");
        }
        assert!(matches!(
            spec("addr replace 10.0.0.1/24 dev eth0 valid_lft forever").unwrap(),
            AddrSpec::Add { replace: true, .. }
        ));
        assert!(matches!(
            spec("addr change 10.0.0.1/24 dev eth0 valid_lft 100 preferred_lft 50").unwrap(),
            AddrSpec::Add { replace: true, .. }
        ));
        assert_eq!(
            spec("addr change 10.0.0.1/24 dev eth0 preferred_lft 50 valid_lft 10").unwrap_err(),
            7
        );
        match spec("addr flush label eth0:* scope global to 10.0.0.0/8").unwrap() {
            AddrSpec::Flush { dev, filter } => {
                assert_eq!(dev, "eth0");
                assert_eq!((filter.scope, filter.label.as_deref()), (Some(0), Some("eth0:*")));
            }
            other => panic!("{other:?}"),
        }
        for bad in [
            "addr add 10.0.0.1/24 dev eth0 label wan0",
            "addr add 10.0.0.1/24 dev eth0 valid_lft 10",
            "addr add 10.0.0.1/24 dev eth0 scope galaxy",
            "addr add 10.0.0.1/24 dev eth0 brd 1.2.3",
            "addr add fd00::1/64 dev eth0 brd +",
            "addr add 10.0.0.1/24 dev eth0 valid_lft -5",
            "addr flush dev eth0 to 10.0.0.0/40",
        ] {
            assert_eq!(spec(bad).unwrap_err(), 7, "{bad}");
        }
        assert!(matches!(
            spec("addr add local 10.0.0.1/24 dev eth0 --may-exist").unwrap(),
            AddrSpec::Add { .. }
        ));
        assert!(matches!(
            spec("addr delete 10.0.0.1/24 dev eth0 --if-exists").unwrap(),
            AddrSpec::Del { .. }
        ));
        assert!(matches!(
            spec("addr --exist-ok add 10.0.0.1/24 dev eth0").unwrap(),
            AddrSpec::Add { .. }
        ));
        assert_eq!(
            spec("addr flush dev eth0").unwrap(),
            AddrSpec::Flush {
                dev: "eth0".into(),
                filter: FlushFilter::default()
            }
        );
        assert_eq!(spec("addr add 10.0.0.1/33 dev eth0").unwrap_err(), 7);
        assert_eq!(spec("addr add local 10.0.0.1/33 dev eth0").unwrap_err(), 7);
        assert_eq!(spec("addr add 10.0.0.1/24 dev a/b").unwrap_err(), 7);
        assert_eq!(spec("addr add 10.0.0.1/24").unwrap_err(), 2);
        assert_eq!(spec("addr flush dev eth0 10.0.0.1/24").unwrap_err(), 2);
        assert_eq!(spec("addr del dev eth0 10.0.0.1/24 nodad").unwrap_err(), 2);
    }

    #[test]
    fn the_older_form_names_the_namespace_first() {
        match parse_line("addr Blue eth0 10.0.0.1/24 --del").unwrap() {
            NsVerb::Addr(AddrForms {
                verb: None,
                older: Some(older),
            }) => assert_eq!(
                (
                    older.ns.as_deref(),
                    older.iface.as_deref(),
                    older.cidr.as_deref(),
                    older.del
                ),
                (Some("Blue"), Some("eth0"), Some("10.0.0.1/24"), true)
            ),
            other => panic!("{other:?}"),
        }
        for line in ["addr Blue eth0", "addr Blue eth0 10.0.0.1/24 extra"] {
            assert_eq!(parse_line(line).unwrap_err().exit_code(), 2, "{line}");
        }
        // `addr` alone is ip's `ip addr`: show.
        assert!(matches!(parse_line("addr").unwrap(), crate::NsVerb::Addr(_)));
    }
}
