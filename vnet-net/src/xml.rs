//! Network XML both ways: building a definition from flags with quick-xml's writer (names are
//! escaped by the writer, never formatted into markup), and reading any libvirt network XML into
//! the summary every verb reports and validates.

use ipnet::IpNet;
use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};
use std::io;
use std::net::{IpAddr, Ipv4Addr};
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
}

/// One `<host mac= name= ip=/>` of an `<ip>`'s `<dhcp>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DhcpHost {
    /// The host address and prefix of the `<ip>` element holding it.
    pub subnet: Option<IpNet>,
    pub mac: Option<String>,
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
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer
        .create_element("network")
        .write_inner_content(|w| write_network(w, spec))
        .expect("writing XML to a Vec cannot fail");
    String::from_utf8(writer.into_inner()).expect("the writer only emits UTF-8") + "\n"
}

fn write_network(w: &mut Writer<Vec<u8>>, spec: &Spec) -> io::Result<()> {
    w.create_element("name")
        .write_text_content(BytesText::new(&spec.name))?;
    match spec.mode {
        Mode::Isolated => {}
        Mode::Nat | Mode::Route | Mode::Open | Mode::Bridge => {
            let mut forward = w
                .create_element("forward")
                .with_attribute(("mode", spec.mode.as_str()));
            if let Some(dev) = &spec.forward_dev {
                forward = forward.with_attribute(("dev", dev.as_str()));
            }
            forward.write_empty()?;
        }
    }
    if let Some(bridge) = &spec.bridge {
        let element = w
            .create_element("bridge")
            .with_attribute(("name", bridge.as_str()));
        // libvirt's own defaults for a bridge it creates; a host bridge (mode bridge) is left alone.
        if spec.mode == Mode::Bridge {
            element.write_empty()?;
        } else {
            element
                .with_attributes([("stp", "on"), ("delay", "0")])
                .write_empty()?;
        }
    }
    if let Some(mtu) = spec.mtu {
        w.create_element("mtu")
            .with_attribute(("size", mtu.to_string().as_str()))
            .write_empty()?;
    }
    if let Some(domain) = &spec.domain {
        w.create_element("domain")
            .with_attribute(("name", domain.as_str()))
            .write_empty()?;
    }
    for ip in &spec.ips {
        write_ip(w, ip)?;
    }
    Ok(())
}

fn write_ip(w: &mut Writer<Vec<u8>>, ip: &IpDef) -> io::Result<()> {
    let address = ip.address.addr().to_string();
    let prefix = ip.address.prefix_len().to_string();
    let mut element = w.create_element("ip");
    if ip.address.addr().is_ipv6() {
        element = element.with_attribute(("family", "ipv6"));
    }
    let element = element.with_attributes([("address", address.as_str()), ("prefix", prefix.as_str())]);
    if ip.ranges.is_empty() {
        element.write_empty()?;
        return Ok(());
    }
    element.write_inner_content(|w| {
        w.create_element("dhcp").write_inner_content(|w| {
            for range in &ip.ranges {
                let (start, end) = (range.start.to_string(), range.end.to_string());
                w.create_element("range")
                    .with_attributes([("start", start.as_str()), ("end", end.as_str())])
                    .write_empty()?;
            }
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}

/// Reads a network definition. Malformed XML, a root other than `<network>`, and unparsable
/// addresses are invalid input (exit 7); the meaning is checked separately (`spec::validate`).
pub fn parse(xml: &str) -> Result<Summary> {
    let mut reader = Reader::from_str(xml);
    let mut summary = Summary {
        mode: "isolated".into(),
        ..Summary::default()
    };
    let mut path: Vec<String> = Vec::new();
    let mut seen_root = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| Error::invalid(format!("malformed XML at byte {}: {e}", reader.error_position())))?;
        match event {
            Event::Start(e) | Event::Empty(e) if path.is_empty() && seen_root => {
                return Err(Error::invalid(format!(
                    "malformed XML: second root element <{}>",
                    element_name(&e)
                )));
            }
            Event::Start(e) => {
                seen_root = true;
                element(&mut summary, &path, &e)?;
                path.push(element_name(&e));
            }
            Event::Empty(e) => {
                seen_root = true;
                element(&mut summary, &path, &e)?;
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) => {
                let text = t
                    .unescape()
                    .map_err(|e| Error::invalid(format!("malformed XML: {e}")))?;
                text_content(&mut summary, &path, text.trim())?;
            }
            Event::CData(_) if path.is_empty() => {
                return Err(Error::invalid("malformed XML: content outside the root element"));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err(Error::invalid("malformed XML: no <network> element"));
    }
    if let Some(open) = path.last() {
        return Err(Error::invalid(format!("malformed XML: <{open}> is never closed")));
    }
    Ok(summary)
}

fn element_name(e: &BytesStart) -> String {
    String::from_utf8_lossy(e.name().as_ref()).into_owned()
}

fn text_content(summary: &mut Summary, path: &[String], text: &str) -> Result<()> {
    if path.is_empty() {
        if text.is_empty() {
            return Ok(());
        }
        return Err(Error::invalid("malformed XML: text outside the root element"));
    }
    match path_str(path).as_str() {
        "network/name" => summary.name = Some(text.to_string()),
        "network/uuid" => summary.uuid = Some(text.to_string()),
        "network/dns/host/hostname" => {
            if let Some(host) = summary.dns_hosts.last_mut() {
                host.hostnames.push(text.to_string());
            }
        }
        _ => {}
    }
    Ok(())
}

fn path_str(path: &[String]) -> String {
    path.join("/")
}

/// Reads the attributes of one element at `path` (its parents) into the summary.
fn element(summary: &mut Summary, path: &[String], e: &BytesStart) -> Result<()> {
    let name = element_name(e);
    if path.is_empty() && name != "network" {
        return Err(Error::invalid(format!(
            "not a network definition: root element is <{name}>, expected <network>"
        )));
    }
    let attr = |key: &str| attribute(e, key);
    match (path_str(path).as_str(), name.as_str()) {
        ("network", "forward") => {
            summary.mode = attr("mode")?.unwrap_or_else(|| "nat".into());
            summary.forward_dev = attr("dev")?;
        }
        ("network", "bridge") => summary.bridge = attr("name")?,
        ("network", "mac") => summary.mac = attr("address")?,
        ("network", "domain") => summary.domain = attr("name")?,
        ("network", "mtu") => {
            let size = attr("size")?.unwrap_or_default();
            let mtu = size
                .parse()
                .map_err(|_| Error::invalid(format!("invalid <mtu> size '{size}'")))?;
            summary.mtu = Some(mtu);
        }
        ("network/ip/dhcp", "host") => {
            let subnet = summary.ips.last().map(|ip| ip.address);
            summary.dhcp_hosts.push(DhcpHost {
                subnet,
                mac: attr("mac")?,
                name: attr("name")?,
                ip: attr("ip")?,
            });
        }
        ("network/dns", "host") => summary.dns_hosts.push(DnsHost {
            ip: attr("ip")?.unwrap_or_default(),
            hostnames: Vec::new(),
        }),
        ("network", "ip") => {
            let address = ip_address(&attr("address")?, &attr("netmask")?, &attr("prefix")?)?;
            summary.ips.push(IpDef {
                address,
                ranges: Vec::new(),
            });
        }
        ("network/ip/dhcp", "range") => {
            let start = range_end(&attr("start")?, "start")?;
            let end = range_end(&attr("end")?, "end")?;
            if let Some(ip) = summary.ips.last_mut() {
                ip.ranges.push(Range { start, end });
            }
        }
        _ => {}
    }
    Ok(())
}

fn attribute(e: &BytesStart, key: &str) -> Result<Option<String>> {
    let bad = |err: &dyn std::fmt::Display| Error::invalid(format!("malformed XML attribute: {err}"));
    match e.try_get_attribute(key).map_err(|err| bad(&err))? {
        Some(a) => Ok(Some(a.unescape_value().map_err(|err| bad(&err))?.into_owned())),
        None => Ok(None),
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
        let same = |want: &Option<String>, have: &Option<String>| want.is_none() || want == have;
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
        self.name == existing.name
            && self.mode == existing.mode
            && same(&self.uuid, &existing.uuid)
            && same(&self.bridge, &existing.bridge)
            && same(&self.forward_dev, &existing.forward_dev)
            && same(&self.mac, &existing.mac)
            && same(&self.domain, &existing.domain)
            && (self.mtu.is_none() || self.mtu == existing.mtu)
            && sorted(&self.ips) == sorted(&existing.ips)
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
    }
}
