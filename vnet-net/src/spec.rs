//! Every check made before libvirt sees a definition: names, CIDRs, DHCP ranges, bridge names,
//! mode/flag combinations. All failures are invalid input (exit 7).

use crate::xml::{self, IpDef, Mode, Range, Spec, Summary};
use ipnet::IpNet;
use std::net::IpAddr;
use vnet_common::names::{check_length_and_reserved, invalid_name, validate_ifname};
use vnet_common::{Error, Result};

/// Longest network name accepted (it becomes a file name under /etc/libvirt/qemu/networks).
pub const NAME_MAX: usize = 200;

/// A network name: printable, no markup, quotes, slashes or whitespace, no leading '-'.
pub fn validate_name(name: &str) -> Result<()> {
    let bad = |why: &str| Err(invalid_name("network", name, why));
    check_length_and_reserved("network", name, NAME_MAX)?;
    if name.starts_with('-') {
        return bad("starts with '-'");
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || "<>&'\"/\\".contains(*c))
    {
        return bad(&format!(
            "contains {c:?} (no markup, quotes, slashes, spaces or control characters)"
        ));
    }
    Ok(())
}

/// The flags of `define`/`create` before checking.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub name: String,
    pub mode: Option<Mode>,
    pub bridge: Option<String>,
    pub ips: Vec<String>,
    pub dhcp_ranges: Vec<String>,
    pub forward_dev: Option<String>,
    pub domain: Option<String>,
    pub ipv6: Option<String>,
    pub mtu: Option<u32>,
}

/// The MTUs a bridge takes: IPv4's minimum to the largest a Linux link carries.
pub const MTU_RANGE: std::ops::RangeInclusive<u32> = 68..=65535;

/// Checks the flags and turns them into a buildable spec.
pub fn from_flags(flags: &Flags) -> Result<Spec> {
    validate_name(&flags.name)?;
    let mode = flags.mode.unwrap_or(Mode::Nat);
    if let Some(bridge) = &flags.bridge {
        validate_ifname(bridge).map_err(|e| e.context("--bridge"))?;
    }
    if let Some(dev) = &flags.forward_dev {
        validate_ifname(dev).map_err(|e| e.context("--forward-dev"))?;
    }
    if let Some(domain) = &flags.domain {
        validate_domain(domain)?;
    }
    if let Some(mtu) = flags.mtu {
        validate_mtu(mtu)?;
    }
    let mut ips = Vec::new();
    for text in &flags.ips {
        ips.push(parse_ip(text, "--ip", None)?);
    }
    if let Some(text) = &flags.ipv6 {
        ips.push(parse_ip(text, "--ipv6", Some(false))?);
    }
    for text in &flags.dhcp_ranges {
        let range = parse_range(text)?;
        let owner = ips
            .iter_mut()
            .find(|ip| ip.address.trunc().contains(&range.start))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "DHCP range {text}: {} is outside every --ip/--ipv6 subnet",
                    range.start
                ))
            })?;
        owner.ranges.push(range);
    }
    check_mode(mode, flags, &ips)?;
    let spec = Spec {
        name: flags.name.clone(),
        mode,
        bridge: flags.bridge.clone(),
        forward_dev: flags.forward_dev.clone(),
        domain: flags.domain.clone(),
        ips,
        mtu: flags.mtu,
    };
    // The same checks a definition file gets, on what will actually be sent.
    validate(&xml::parse(&xml::build(&spec))?)?;
    Ok(spec)
}

fn check_mode(mode: Mode, flags: &Flags, ips: &[IpDef]) -> Result<()> {
    let bad = |why: &str| Err(Error::invalid(format!("--mode {}: {why}", mode.as_str())));
    match mode {
        Mode::Bridge if flags.bridge.is_none() => {
            bad("needs --bridge NAME (the existing host bridge guests join)")
        }
        Mode::Bridge if !ips.is_empty() || flags.domain.is_some() => bad(
            "takes no --ip, --ipv6, --dhcp-range or --domain: the host bridge's own network serves guests",
        ),
        Mode::Bridge | Mode::Isolated | Mode::Open if flags.forward_dev.is_some() => {
            bad("takes no --forward-dev (only nat and route forward through a device)")
        }
        _ => Ok(()),
    }
}

fn validate_mtu(mtu: u32) -> Result<()> {
    if MTU_RANGE.contains(&mtu) {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "invalid --mtu {mtu}: a bridge's MTU is {}..={}",
        MTU_RANGE.start(),
        MTU_RANGE.end()
    )))
}

fn validate_domain(domain: &str) -> Result<()> {
    let ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "invalid --domain {domain:?}: not a DNS domain name"
        )))
    }
}

/// "10.200.1.1/24": the host's address on the network and the prefix (both required).
/// `v4`: Some(true) only IPv4, Some(false) only IPv6, None either.
fn parse_ip(text: &str, flag: &str, v4: Option<bool>) -> Result<IpDef> {
    let bad = |why: &str| Error::invalid(format!("invalid {flag} {text:?}: {why}"));
    if !text.contains('/') {
        return Err(bad("give the prefix too, like 10.200.1.1/24"));
    }
    let address = vnet_common::cidr::parse_cidr(text).map_err(|e| e.context(flag))?;
    if v4.is_some_and(|want| want != address.addr().is_ipv4()) {
        return Err(bad("wrong address family"));
    }
    Ok(IpDef {
        address,
        ranges: Vec::new(),
    })
}

/// "START,END" of a DHCP range.
fn parse_range(text: &str) -> Result<Range> {
    let bad = |why: &str| Error::invalid(format!("invalid --dhcp-range {text:?}: {why}"));
    let (start, end) = text.split_once(',').ok_or_else(|| bad("expected START,END"))?;
    let addr = |s: &str| {
        s.trim()
            .parse::<IpAddr>()
            .map_err(|_| bad(&format!("'{s}' is not an IP address")))
    };
    Ok(Range {
        start: addr(start)?,
        end: addr(end)?,
    })
}

/// Checks what a definition (from a file or from flags) means before libvirt sees it.
pub fn validate(summary: &Summary) -> Result<()> {
    let name = summary
        .name
        .as_deref()
        .ok_or_else(|| Error::invalid("network definition has no <name>"))?;
    validate_name(name)?;
    if let Some(bridge) = &summary.bridge {
        validate_ifname(bridge).map_err(|e| e.context("bridge"))?;
    }
    if let Some(dev) = &summary.forward_dev {
        validate_ifname(dev).map_err(|e| e.context("forward dev"))?;
    }
    if let Some(mtu) = summary.mtu {
        validate_mtu(mtu).map_err(|e| e.context("<mtu>"))?;
    }
    let mut v4_dhcp = 0;
    for ip in &summary.ips {
        validate_host_address(ip.address)?;
        for range in &ip.ranges {
            validate_range(ip.address, range)?;
        }
        if ip.address.addr().is_ipv4() && !ip.ranges.is_empty() {
            v4_dhcp += 1;
        }
    }
    if v4_dhcp > 1 {
        return Err(Error::invalid(
            "DHCP ranges on more than one IPv4 subnet: libvirt serves DHCP on one IPv4 subnet per network",
        ));
    }
    if ["nat", "route", "open"].contains(&summary.mode.as_str()) && summary.ips.is_empty() {
        return Err(Error::invalid(format!(
            "network {name}: {} mode needs an address for the host (--ip CIDR, or an <ip> element)",
            summary.mode
        )));
    }
    Ok(())
}

/// The host's own address must be usable: not the subnet's network or broadcast address.
fn validate_host_address(address: IpNet) -> Result<()> {
    let is_v4 = address.addr().is_ipv4();
    let small = address.prefix_len() >= if is_v4 { 31 } else { 127 };
    if !small && address.addr() == address.network() {
        return Err(Error::invalid(format!(
            "address {address} is the subnet's network address: give the host's address, like {}/{}",
            first_host(address),
            address.prefix_len()
        )));
    }
    if is_v4 && !small && address.addr() == address.broadcast() {
        return Err(Error::invalid(format!(
            "address {address} is the subnet's broadcast address"
        )));
    }
    Ok(())
}

fn first_host(net: IpNet) -> IpAddr {
    net.hosts().next().unwrap_or(net.addr())
}

pub fn validate_range(address: IpNet, range: &Range) -> Result<()> {
    let subnet = address.trunc();
    let shown = format!("DHCP range {}-{}", range.start, range.end);
    for end in [range.start, range.end] {
        if !subnet.contains(&end) {
            return Err(Error::invalid(format!(
                "{shown}: {end} is outside subnet {subnet}"
            )));
        }
        let special = end == subnet.network() || (end.is_ipv4() && end == subnet.broadcast());
        if special && subnet.prefix_len() < if end.is_ipv4() { 31 } else { 127 } {
            return Err(Error::invalid(format!(
                "{shown}: {end} is the network or broadcast address of {subnet}"
            )));
        }
    }
    if range.start > range.end {
        return Err(Error::invalid(format!("{shown} is reversed (start after end)")));
    }
    Ok(())
}

/// True when two subnets share any address.
pub fn overlaps(a: IpNet, b: IpNet) -> bool {
    let (a, b) = (a.trunc(), b.trunc());
    a.contains(&b.network()) || b.contains(&a.network())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(name: &str) -> Flags {
        Flags {
            name: name.into(),
            ips: vec!["10.200.1.1/24".into()],
            dhcp_ranges: vec!["10.200.1.10,10.200.1.100".into()],
            ..Flags::default()
        }
    }

    fn invalid(f: &Flags, needle: &str) {
        let e = from_flags(f).unwrap_err();
        assert_eq!(e.exit_code(), 7, "{e:?}");
        assert!(e.message.contains(needle), "{needle:?} not in {:?}", e.message);
    }

    #[test]
    fn good_flags_build_a_spec() {
        let spec = from_flags(&flags("lab")).unwrap();
        assert_eq!(spec.mode, Mode::Nat);
        assert_eq!(spec.ips[0].ranges.len(), 1);
        let mut f = flags("lab6");
        f.ipv6 = Some("fd00:200::1/64".into());
        f.dhcp_ranges.push("fd00:200::10,fd00:200::ff".into());
        f.mode = Some(Mode::Route);
        f.forward_dev = Some("eth0".into());
        f.domain = Some("lab.example".into());
        let spec = from_flags(&f).unwrap();
        assert_eq!(spec.ips[1].ranges.len(), 1);
        let bridged = Flags {
            name: "br".into(),
            mode: Some(Mode::Bridge),
            bridge: Some("mybridge0".into()),
            ..Flags::default()
        };
        assert!(from_flags(&bridged).is_ok());
    }

    #[test]
    fn names_with_markup_or_control_characters_are_rejected() {
        for bad in [
            "", "a<b", "a>b", "a&b", "a'b", "a\"b", "a/b", "a b", "tab\tx", "nl\nx", "-x", "..", "\u{7f}",
        ] {
            assert_eq!(validate_name(bad).unwrap_err().exit_code(), 7, "{bad:?}");
        }
        for good in ["default", "router", "bridged_network", "net-1.lab", "Ünicode"] {
            validate_name(good).unwrap();
        }
    }

    #[test]
    fn bad_cidrs_and_ranges_are_rejected() {
        let with = |ip: &str, range: &str| Flags {
            ips: vec![ip.into()],
            dhcp_ranges: if range.is_empty() {
                vec![]
            } else {
                vec![range.into()]
            },
            ..flags("lab")
        };
        invalid(&with("10.200.1.1/33", ""), "prefix longer than 32");
        invalid(&with("10.200.1/24", ""), "not an IP address");
        invalid(&with("10.200.1.1", ""), "give the prefix");
        invalid(&with("10.200.1.0/24", ""), "network address");
        invalid(&with("10.200.1.255/24", ""), "broadcast address");
        invalid(&with("10.200.1.1/24", "10.200.2.10,10.200.2.20"), "outside every");
        invalid(
            &with("10.200.1.1/24", "10.200.1.10,10.200.2.20"),
            "outside subnet 10.200.1.0/24",
        );
        invalid(&with("10.200.1.1/24", "10.200.1.100,10.200.1.10"), "reversed");
        invalid(
            &with("10.200.1.1/24", "10.200.1.0,10.200.1.10"),
            "network or broadcast",
        );
        invalid(&with("10.200.1.1/24", "10.200.1.10"), "expected START,END");
        invalid(&with("10.200.1.1/24", "10.200.1.10,x"), "not an IP address");
        let mut f = flags("lab");
        f.ipv6 = Some("10.1.1.1/24".into());
        invalid(&f, "wrong address family");
        let mut f = flags("lab");
        f.ips.push("10.201.1.1/24".into());
        f.dhcp_ranges.push("10.201.1.10,10.201.1.20".into());
        invalid(&f, "more than one IPv4 subnet");
    }

    #[test]
    fn mode_and_bridge_rules() {
        let bridged = |bridge: Option<&str>| Flags {
            name: "br".into(),
            mode: Some(Mode::Bridge),
            bridge: bridge.map(String::from),
            ..Flags::default()
        };
        invalid(&bridged(None), "needs --bridge");
        invalid(&bridged(Some("abcdefghijklmnop")), "longer than 15");
        invalid(
            &Flags {
                ips: vec!["10.0.0.1/24".into()],
                ..bridged(Some("br0"))
            },
            "takes no --ip",
        );
        invalid(
            &Flags {
                mode: Some(Mode::Isolated),
                forward_dev: Some("eth0".into()),
                ..flags("iso")
            },
            "takes no --forward-dev",
        );
        invalid(
            &Flags {
                domain: Some("bad domain".into()),
                ..flags("d")
            },
            "not a DNS domain",
        );
        invalid(&flags("a<b"), "invalid network name");
        for mtu in [0, 67, 65536] {
            invalid(
                &Flags {
                    mtu: Some(mtu),
                    ..flags("m")
                },
                "invalid --mtu",
            );
        }
        let jumbo = from_flags(&Flags {
            mtu: Some(9000),
            ..flags("m")
        })
        .unwrap();
        assert!(xml::build(&jumbo).contains("<mtu size=\"9000\"/>"));
        assert_eq!(xml::parse(&xml::build(&jumbo)).unwrap().mtu, Some(9000));
        for mode in [Mode::Nat, Mode::Route, Mode::Open] {
            let no_ip = Flags {
                name: "x".into(),
                mode: Some(mode),
                ..Flags::default()
            };
            invalid(&no_ip, "needs an address for the host");
        }
        let isolated = Flags {
            name: "x".into(),
            mode: Some(Mode::Isolated),
            ..Flags::default()
        };
        assert!(from_flags(&isolated).is_ok());
    }

    #[test]
    fn definition_files_get_the_same_checks() {
        let check = |xml: &str| validate(&xml::parse(xml).unwrap());
        assert!(check("<network><name>ok</name><ip address='10.1.1.1' prefix='24'/></network>").is_ok());
        for bad in [
            "<network><ip address='10.1.1.1' prefix='24'/></network>",
            "<network><name>a b</name></network>",
            "<network><name>x</name><bridge name='abcdefghijklmnop'/></network>",
            "<network><name>x</name><ip address='10.1.1.1' prefix='24'><dhcp>\
             <range start='10.1.2.1' end='10.1.2.9'/></dhcp></ip></network>",
            "<network><name>x</name><ip address='10.1.1.1' prefix='24'><dhcp>\
             <range start='10.1.1.9' end='10.1.1.2'/></dhcp></ip></network>",
        ] {
            assert_eq!(check(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
    }

    #[test]
    fn overlap() {
        let n = |s: &str| s.parse::<IpNet>().unwrap();
        assert!(overlaps(n("10.200.1.1/24"), n("10.200.1.77/24")));
        assert!(overlaps(n("10.200.1.1/24"), n("10.0.0.1/8")));
        assert!(!overlaps(n("10.200.1.1/24"), n("10.200.2.1/24")));
    }
}
