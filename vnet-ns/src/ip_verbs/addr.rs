//! `addr add|del|flush`, and the older `addr NS IFACE CIDR [--del]`: addresses on any link of
//! the current namespace or -n NS, IPv4 and IPv6, as ip addr changes them (the work: crate::addrs
//! and crate::iface).

use crate::addrs::{self, AddrSpec, Options};
use crate::iface::{self, Changed};
use crate::NsCtx;
use ipnet::IpNet;
use vnet_common::cidr::parse_cidr;
use vnet_common::keywords::HEADING;
use vnet_common::verb::BareForm;
use vnet_common::{Journal, Result, Verb};

vnet_common::verbs! {
    pub enum AddrVerb for NsCtx {
        /// Add an address to a link (ip addr add).
        Add(Add),
        /// Remove an address from a link (ip addr del).
        #[command(visible_alias = "delete")]
        Del(Del),
        /// Remove every address of a link (ip addr flush).
        Flush(Flush),
    }
}

/// Add, delete or flush addresses on a link, in the current namespace or -n NS (ip addr
/// add/del/flush), IPv4 and IPv6.
///
/// Forms: `addr add CIDR dev IF [nodad]`, `addr del CIDR dev IF`, `addr flush dev IF` act in -n NS
/// (default: the current namespace, so host links too); the older form `addr NS IFACE CIDR
/// [--del]` names the namespace first and is unchanged. A second IPv4 address in the subnet of one
/// already on the link becomes a secondary address, as with ip (ip -j addr shows it). Deleting a
/// primary IPv4 address removes its secondaries with it, as the kernel does. flush removes every
/// address of the link, secondaries first. Each change is journaled (add is deleted again, del and
/// flush add the addresses back).
#[derive(Debug, clap::Args)]
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
}

impl Address {
    /// The address (checked: a bad one is exit 7) and the link.
    fn checked(self) -> Result<(IpNet, String)> {
        let net = match (self.local, self.cidr) {
            (Some(net), _) => net,
            (None, cidr) => parse_cidr(&cidr.expect("clap requires CIDR or local CIDR"))?,
        };
        Ok((net, self.dev.expect("clap requires dev IF")))
    }
}

/// Add an address to a link: `addr add CIDR dev IF [nodad]`.
///
/// An address the link has is exit 4 (--exist-ok: "changed": false).
#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Add {
    #[command(flatten)]
    pub address: Address,
    /// IPv6: usable at once, without duplicate address detection.
    #[arg(long, help_heading = HEADING)]
    pub nodad: bool,
    /// Succeed with "changed": false when the link already has the address.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
}

/// Remove an address from a link: `addr del CIDR dev IF`.
///
/// An address the link does not have is exit 3 (--missing-ok: "changed": false).
#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Del {
    #[command(flatten)]
    pub address: Address,
    /// Succeed with "changed": false when the link does not have the address.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

/// Remove every address of a link: `addr flush dev IF`.
#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Flush {
    /// The link.
    #[arg(long, value_name = "IF", required = true, value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
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
        let (net, dev) = self.address.checked()?;
        let spec = AddrSpec::Add {
            net,
            dev,
            nodad: self.nodad,
        };
        let opts = Options {
            exist_ok: self.exist_ok,
            missing_ok: false,
        };
        change(ctx, spec, opts, journal)
    }
}

impl Verb for Del {
    type Ctx = NsCtx;
    type Output = Changed;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Changed> {
        let (net, dev) = self.address.checked()?;
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
        let dev = self.dev.expect("clap requires dev IF");
        let opts = Options {
            exist_ok: false,
            missing_ok: false,
        };
        change(ctx, AddrSpec::Flush { dev }, opts, journal)
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
                AddrSpec::Add {
                    net,
                    dev,
                    nodad: add.nodad,
                }
            }
            AddrVerb::Del(del) => {
                let (net, dev) = checked(del.address)?;
                AddrSpec::Del { net, dev }
            }
            AddrVerb::Flush(flush) => AddrSpec::Flush {
                dev: flush.dev.unwrap(),
            },
        })
    }

    #[test]
    fn parses_ip_addr_forms() {
        assert_eq!(
            spec("addr add 10.0.0.1/24 dev eth0").unwrap(),
            AddrSpec::Add {
                net: "10.0.0.1/24".parse().unwrap(),
                dev: "eth0".into(),
                nodad: false
            }
        );
        assert!(matches!(
            spec("addr add dev eth0 fd00::1/64 nodad").unwrap(),
            AddrSpec::Add { nodad: true, .. }
        ));
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
            AddrSpec::Flush { dev: "eth0".into() }
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
        for line in ["addr Blue eth0", "addr", "addr Blue eth0 10.0.0.1/24 extra"] {
            assert_eq!(parse_line(line).unwrap_err().exit_code(), 2, "{line}");
        }
    }
}
