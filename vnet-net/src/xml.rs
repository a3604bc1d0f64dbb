//! Network XML both ways, through vnet-common's network model: building a definition from flags
//! (names are escaped by the XML writer, never formatted into markup), and reading any libvirt
//! network XML into the summary every verb reports and validates.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr};
use vnet_common::libvirt::network::{self as model, NetworkDef};
use vnet_common::tags::libvirt::metadata_tag;
use vnet_common::{Error, Result};

/// The forward modes `define`/`create` build from flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// NAT to the host's uplinks (libvirt's `default` network).
    Nat,
    /// Routed: guests reachable on their own subnet, no NAT.
    Route,
    /// Isolated: guests reach each other and the host only.
    Isolated,
    /// Bridged: guests join an existing host bridge (--bridge).
    Bridge,
    /// Open: like route, but libvirt adds no firewall rules.
    Open,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Nat => "nat",
            Mode::Route => "route",
            Mode::Isolated => "isolated",
            Mode::Bridge => "bridge",
            Mode::Open => "open",
        }
    }
}

/// A DHCP range `start..=end` inside one `<ip>` subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Range {
    pub start: IpAddr,
    pub end: IpAddr,
}

/// One `<ip>` element: the host's address on the network bridge with its prefix, and DHCP ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpDef {
    pub address: IpNet,
    pub ranges: Vec<Range>,
}

/// What a network definition says, as far as vnet-net reports and validates it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub name: Option<String>,
    pub uuid: Option<String>,
    /// The forward mode, or "isolated" when there is no `<forward>` element.
    pub mode: String,
    pub forward_dev: Option<String>,
    pub bridge: Option<String>,
    pub mac: Option<String>,
    pub domain: Option<String>,
    pub ips: Vec<IpDef>,
    /// `<mtu size=.../>`: the bridge's MTU.
    pub mtu: Option<u32>,
    /// `<ip><dhcp><host .../>`: DHCP host reservations, in document order.
    pub dhcp_hosts: Vec<DhcpHost>,
    /// `<dns><host ip=...><hostname>...`: DNS host entries, in document order.
    pub dns_hosts: Vec<DnsHost>,
    /// The vnet tag in `<metadata>` (define/create --tag), when it has a valid one.
    pub tag: Option<String>,
}

/// One `<host mac= name= ip=/>` of an `<ip>`'s `<dhcp>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DhcpHost {
    /// The host address and prefix of the `<ip>` element holding it.
    pub subnet: Option<IpNet>,
    pub mac: Option<String>,
    /// The client's DUID (`id=`; IPv6 reservations).
    pub id: Option<String>,
    pub name: Option<String>,
    pub ip: Option<String>,
}

/// One `<dns><host ip=...>` with its hostnames.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DnsHost {
    pub ip: String,
    pub hostnames: Vec<String>,
}

/// A network to build from flags (already parsed; see `spec.rs` for the checks).
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub mode: Mode,
    pub bridge: Option<String>,
    pub forward_dev: Option<String>,
    pub domain: Option<String>,
    pub ips: Vec<IpDef>,
    /// The bridge's MTU (`<mtu size=.../>`).
    pub mtu: Option<u32>,
}

/// Builds the libvirt XML for `spec`, indented like libvirt's own files.
pub fn build(spec: &Spec) -> String {
    let forward = match spec.mode {
        Mode::Isolated => None,
        Mode::Nat | Mode::Route | Mode::Open | Mode::Bridge => Some(model::Forward {
            mode: Some(spec.mode.as_str().into()),
            dev: spec.forward_dev.clone(),
        }),
    };
    // libvirt's own defaults for a bridge it creates; a host bridge (mode bridge) is left alone.
    let managed = spec.mode != Mode::Bridge;
    let bridge = spec.bridge.as_ref().map(|name| model::Bridge {
        name: Some(name.clone()),
        stp: managed.then(|| "on".into()),
        delay: managed.then(|| "0".into()),
    });
    NetworkDef {
        name: Some(spec.name.clone()),
        forward,
        bridge,
        mtu: spec.mtu.map(|mtu| model::Mtu {
            size: mtu.to_string(),
        }),
        domain: spec.domain.as_ref().map(|name| model::DomainName {
            name: Some(name.clone()),
        }),
        ips: spec.ips.iter().map(ip_element).collect(),
        ..NetworkDef::default()
    }
    .to_xml()
}

fn ip_element(ip: &IpDef) -> model::Ip {
    let ranges = ip.ranges.iter().map(|range| model::DhcpRange {
        start: Some(range.start.to_string()),
        end: Some(range.end.to_string()),
    });
    model::Ip {
        family: ip.address.addr().is_ipv6().then(|| "ipv6".into()),
        address: Some(ip.address.addr().to_string()),
        prefix: Some(ip.address.prefix_len().to_string()),
        dhcp: (!ip.ranges.is_empty()).then(|| model::Dhcp {
            ranges: ranges.collect(),
            hosts: Vec::new(),
        }),
        ..model::Ip::default()
    }
}

/// Reads a network definition. Malformed XML, a root other than `<network>`, and unparsable
/// addresses are invalid input (exit 7); the meaning is checked separately (`spec::validate`).
pub fn parse(xml: &str) -> Result<Summary> {
    summarize(NetworkDef::from_xml(xml)?)
}

/// The summary of a definition, its values parsed (exit 7 for one that is not what it must be).
fn summarize(def: NetworkDef) -> Result<Summary> {
    let attr = |value: &Option<String>| value.clone();
    let mut summary = Summary {
        name: def.name.filter(|n| !n.is_empty()),
        uuid: def.uuid.filter(|u| !u.is_empty()),
        mode: def.forward.as_ref().map_or_else(
            || "isolated".into(),
            |f| f.mode.clone().unwrap_or_else(|| "nat".into()),
        ),
        forward_dev: def.forward.as_ref().and_then(|f| attr(&f.dev)),
        bridge: def.bridge.as_ref().and_then(|b| attr(&b.name)),
        mac: def.mac.as_ref().and_then(|m| attr(&m.address)),
        domain: def.domain.as_ref().and_then(|d| attr(&d.name)),
        mtu: def.mtu.as_ref().map(mtu_size).transpose()?,
        tag: def.metadata.as_ref().and_then(metadata_tag),
        ..Summary::default()
    };
    for ip in &def.ips {
        let address = ip_address(&ip.address, &ip.netmask, &ip.prefix)?;
        let dhcp = ip.dhcp.clone().unwrap_or_default();
        let mut ranges = Vec::new();
        for range in &dhcp.ranges {
            let start = range_end(&range.start, "start")?;
            let end = range_end(&range.end, "end")?;
            ranges.push(Range { start, end });
        }
        summary.ips.push(IpDef { address, ranges });
        summary
            .dhcp_hosts
            .extend(dhcp.hosts.into_iter().map(|h| DhcpHost {
                subnet: Some(address),
                mac: h.mac,
                id: h.id,
                name: h.name,
                ip: h.ip,
            }));
    }
    let dns_hosts = def.dns.map(|dns| dns.hosts).unwrap_or_default();
    summary.dns_hosts = dns_hosts.into_iter().map(dns_host).collect();
    Ok(summary)
}

fn mtu_size(mtu: &model::Mtu) -> Result<u32> {
    let size = &mtu.size;
    size.parse()
        .map_err(|_| Error::invalid(format!("invalid <mtu> size '{size}'")))
}

fn dns_host(host: model::DnsHost) -> DnsHost {
    DnsHost {
        ip: host.ip.unwrap_or_default(),
        hostnames: host
            .hostnames
            .iter()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect(),
    }
}

/// `<ip address= netmask=|prefix=>` as one host address with its prefix.
fn ip_address(address: &Option<String>, netmask: &Option<String>, prefix: &Option<String>) -> Result<IpNet> {
    let text = address
        .as_deref()
        .ok_or_else(|| Error::invalid("<ip> without an address"))?;
    let addr: IpAddr = text
        .parse()
        .map_err(|_| Error::invalid(format!("invalid <ip> address '{text}'")))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix_len = match (netmask, prefix) {
        (_, Some(p)) => p
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| Error::invalid(format!("invalid prefix '{p}' for {text} (0..={max})")))?,
        (Some(mask), None) => netmask_prefix(mask)?,
        (None, None) if addr.is_ipv4() => classful_prefix(addr),
        (None, None) => 64,
    };
    Ok(IpNet::new(addr, prefix_len).expect("prefix checked against the family"))
}

fn netmask_prefix(mask: &str) -> Result<u8> {
    let bad = || Error::invalid(format!("invalid netmask '{mask}'"));
    let bits = u32::from(mask.parse::<Ipv4Addr>().map_err(|_| bad())?);
    let ones = bits.leading_ones();
    // A netmask is contiguous ones then zeros.
    if bits.checked_shl(ones).unwrap_or(0) != 0 {
        return Err(bad());
    }
    Ok(ones as u8)
}

/// libvirt's default prefix for an `<ip>` with neither netmask nor prefix.
fn classful_prefix(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(v4) if v4.octets()[0] < 128 => 8,
        IpAddr::V4(v4) if v4.octets()[0] < 192 => 16,
        _ => 24,
    }
}

fn range_end(value: &Option<String>, which: &str) -> Result<IpAddr> {
    let text = value
        .as_deref()
        .ok_or_else(|| Error::invalid(format!("DHCP <range> without a {which} address")))?;
    text.parse()
        .map_err(|_| Error::invalid(format!("invalid DHCP range {which} address '{text}'")))
}

impl Summary {
    /// The `ips` strings every verb prints: "192.168.122.1/24".
    pub fn ip_strings(&self) -> Vec<String> {
        self.ips.iter().map(|ip| ip.address.to_string()).collect()
    }

    /// True when `existing` says everything this requested definition says (fields the request
    /// leaves out, like the UUID, MAC or bridge libvirt fills in, are not compared).
    pub fn matches(&self, existing: &Summary) -> bool {
        self.differences(existing).is_empty()
    }

    /// What `existing` says otherwise than this requested definition, as "field: now -> asked"
    /// (the fields the request leaves out are not compared, as in [`Summary::matches`]).
    pub fn differences(&self, existing: &Summary) -> Vec<String> {
        let none = || "none".to_string();
        let show = |v: &Option<String>| v.clone().unwrap_or_else(none);
        let mut out = Vec::new();
        let mut check = |what: &str, want: &Option<String>, have: &Option<String>| {
            if want.is_some() && want != have {
                out.push(format!("{what}: {} -> {}", show(have), show(want)));
            }
        };
        check("name", &self.name, &existing.name);
        check(
            "forward mode",
            &Some(self.mode.clone()),
            &Some(existing.mode.clone()),
        );
        check("uuid", &self.uuid, &existing.uuid);
        check("bridge", &self.bridge, &existing.bridge);
        check("forward dev", &self.forward_dev, &existing.forward_dev);
        check("mac", &self.mac, &existing.mac);
        check("domain", &self.domain, &existing.domain);
        let mtu = |m: Option<u32>| m.map(|m| m.to_string());
        check("mtu", &mtu(self.mtu), &mtu(existing.mtu));
        if self.name.is_none() && existing.name.is_some() {
            out.push("name".into());
        }
        let sorted = |ips: &[IpDef]| {
            let mut v: Vec<(IpNet, Vec<Range>)> = ips
                .iter()
                .map(|ip| {
                    let mut r = ip.ranges.clone();
                    r.sort();
                    (ip.address, r)
                })
                .collect();
            v.sort_by_key(|(a, _)| *a);
            v
        };
        let ips = |ips: &[IpDef]| {
            let list: Vec<String> = sorted(ips)
                .iter()
                .map(|(a, r)| {
                    let ranges: Vec<String> = r.iter().map(|r| format!("{}-{}", r.start, r.end)).collect();
                    format!("{a} [{}]", ranges.join(" "))
                })
                .collect();
            list.join(", ")
        };
        if sorted(&self.ips) != sorted(&existing.ips) {
            out.push(format!("addresses: {} -> {}", ips(&existing.ips), ips(&self.ips)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn spec(mode: Mode) -> Spec {
        Spec {
            name: "net1".into(),
            mode,
            bridge: Some("vbr1".into()),
            forward_dev: None,
            domain: None,
            mtu: None,
            ips: vec![IpDef {
                address: "10.200.1.1/24".parse().unwrap(),
                ranges: vec![Range {
                    start: "10.200.1.2".parse().unwrap(),
                    end: "10.200.1.254".parse().unwrap(),
                }],
            }],
        }
    }

    #[test]
    fn builds_nat_like_libvirts_default() {
        let xml = build(&spec(Mode::Nat));
        assert_eq!(
            xml,
            "<network>\n  <name>net1</name>\n  <forward mode=\"nat\"/>\n  \
             <bridge name=\"vbr1\" stp=\"on\" delay=\"0\"/>\n  \
             <ip address=\"10.200.1.1\" prefix=\"24\">\n    <dhcp>\n      \
             <range start=\"10.200.1.2\" end=\"10.200.1.254\"/>\n    </dhcp>\n  </ip>\n</network>\n"
        );
    }

    #[test]
    fn every_mode_round_trips() {
        for mode in [Mode::Nat, Mode::Route, Mode::Isolated, Mode::Open] {
            let mut s = spec(mode);
            s.domain = Some("lab.example".into());
            if mode != Mode::Isolated {
                s.forward_dev = (mode != Mode::Open).then(|| "eth0".into());
            }
            s.ips.push(IpDef {
                address: "fd00:200::1/64".parse().unwrap(),
                ranges: vec![],
            });
            let summary = parse(&build(&s)).unwrap();
            assert_eq!(summary.name.as_deref(), Some("net1"));
            assert_eq!(summary.mode, mode.as_str(), "{mode:?}");
            assert_eq!(summary.bridge.as_deref(), Some("vbr1"));
            assert_eq!(summary.forward_dev, s.forward_dev);
            assert_eq!(summary.domain.as_deref(), Some("lab.example"));
            assert_eq!(summary.ips, s.ips);
        }
        let bridged = Spec {
            ips: vec![],
            ..spec(Mode::Bridge)
        };
        let xml = build(&bridged);
        assert!(
            xml.contains("<forward mode=\"bridge\"/>\n  <bridge name=\"vbr1\"/>"),
            "{xml}"
        );
        let summary = parse(&xml).unwrap();
        assert_eq!((summary.mode.as_str(), summary.ips.len()), ("bridge", 0));
    }

    #[test]
    fn names_are_escaped_by_the_writer() {
        let mut s = spec(Mode::Isolated);
        s.name = "a<b>&'\"".into();
        let xml = build(&s);
        assert!(xml.contains("<name>a&lt;b&gt;&amp;&apos;&quot;</name>"), "{xml}");
        assert_eq!(parse(&xml).unwrap().name.as_deref(), Some("a<b>&'\""));
    }

    #[test]
    fn forward_without_mode_is_nat_and_none_is_isolated() {
        let s = parse("<network><name>x</name><forward/></network>").unwrap();
        assert_eq!(s.mode, "nat");
        let s =
            parse("<network><name>x</name><ip address='10.0.0.1' netmask='255.255.0.0'/></network>").unwrap();
        assert_eq!(
            (s.mode.as_str(), s.ip_strings()),
            ("isolated", vec!["10.0.0.1/16".to_string()])
        );
    }

    #[test]
    fn reads_interleaved_children_tags_and_skips_the_rest() {
        let tag = vnet_common::tags::libvirt::tag_element("lab1");
        let xml = format!(
            "<network><name>x</name><metadata>{tag}</metadata>\
             <ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' end='10.0.0.3'/>\
             <host mac='52:54:00:00:00:01' ip='10.0.0.9'/><range start='10.0.0.5' end='10.0.0.6'/>\
             </dhcp></ip><route address='10.9.0.0' prefix='16' gateway='10.0.0.2'/>\
             <ip family='ipv6' address='fd00::1' prefix='64'/><dns><txt name='a' value='b'/>\
             <host ip='10.0.0.7'><hostname>h</hostname></host></dns></network>"
        );
        let s = parse(&xml).unwrap();
        assert_eq!(s.tag.as_deref(), Some("lab1"));
        assert_eq!(s.ip_strings(), ["10.0.0.1/24", "fd00::1/64"]);
        assert_eq!(s.ips[0].ranges.len(), 2);
        assert_eq!(s.dhcp_hosts[0].subnet, Some(s.ips[0].address));
        assert_eq!(s.dns_hosts[0].hostnames, ["h"]);
    }

    #[test]
    fn malformed_xml_is_invalid() {
        for bad in [
            "",
            "<network><name>x</name>",
            "<network><name>x</nam></network>",
            "<network><name>x</name></network><network/>",
            "<domain><name>x</name></domain>",
            "<network><ip address='10.0.0.300' prefix='24'/></network>",
            "<network><ip address='10.0.0.1' prefix='33'/></network>",
            "<network><ip address='10.0.0.1' netmask='255.0.255.0'/></network>",
            "<network><ip address='10.0.0.1' prefix='8'><dhcp><range start='x' end='10.0.0.9'/></dhcp></ip></network>",
            "not xml at all",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{bad}: {e:?}");
        }
    }

    #[test]
    fn matching_ignores_what_libvirt_fills_in() {
        let requested = parse(&build(&Spec {
            bridge: None,
            ..spec(Mode::Nat)
        }))
        .unwrap();
        let mut existing = requested.clone();
        existing.uuid = Some("u".into());
        existing.bridge = Some("virbr3".into());
        existing.mac = Some("52:54:00:00:00:01".into());
        assert!(requested.matches(&existing));
        existing.ips[0].ranges[0].end = "10.200.1.100".parse().unwrap();
        assert!(!requested.matches(&existing));
        let mut other_mode = requested.clone();
        other_mode.mode = "route".into();
        assert!(!requested.matches(&other_mode));
        // --exist-ok names what differs.
        assert_eq!(requested.differences(&other_mode), ["forward mode: route -> nat"]);
        let diff = requested.differences(&existing);
        assert_eq!(diff.len(), 1);
        assert!(
            diff[0].starts_with("addresses: 10.200.1.1/24 [10.200.1.2-10.200.1.100] -> "),
            "{diff:?}"
        );
    }
}
