//! Unit tests of `update`: entries checked, planned and written.

use super::entry::*;
use super::plan::*;
use super::section::*;
use crate::xml::{self, Summary};
use vnet_common::Result;

const NET: &str = "<network><name>n</name><ip address='10.210.1.1' prefix='24'><dhcp>\
    <range start='10.210.1.10' end='10.210.1.100'/>\
    <host mac='52:54:00:AA:BB:01' name='g1' ip='10.210.1.50'/></dhcp></ip>\
    <dns><host ip='10.210.1.60'><hostname>web</hostname><hostname>www</hostname></host></dns></network>";

fn summary() -> Summary {
    xml::parse(NET).unwrap()
}

fn host(mac: &str, ip: &str) -> Given {
    Given {
        mac: Some(mac.into()),
        ip: Some(ip.into()),
        ..Given::default()
    }
}

fn check(given: &Given, section: Section, command: UpdateCommand) -> Result<Entry> {
    check_entry(given, section, command, &summary(), "n")
}

#[test]
fn parses_hosts_dns_and_mtu() {
    let s = summary();
    assert_eq!(s.dhcp_hosts.len(), 1);
    assert_eq!(s.dhcp_hosts[0].subnet, Some("10.210.1.1/24".parse().unwrap()));
    assert_eq!(s.dns_hosts[0].hostnames, ["web", "www"]);
    assert_eq!(dhcp_ip(&s).unwrap().address.to_string(), "10.210.1.1/24");
}

#[test]
fn reservations_outside_the_subnet_or_malformed_are_invalid() {
    use UpdateCommand::*;
    for (given, needle) in [
        (
            host("52:54:00:aa:bb:02", "10.99.1.50"),
            "outside network n's subnet 10.210.1.0/24",
        ),
        (host("52:54:00:aa:bb:02", "10.210.1.255"), "broadcast"),
        (host("52:54:00:aa:bb:02", "10.210.1.0"), "network or broadcast"),
        (host("52:54:00:aa:bb:02", "10.210.1.1"), "host's own address"),
        (host("52:54:00:aa:bb:02", "fd00::5"), "family"),
        (host("01:54:00:aa:bb:02", "10.210.1.5"), "multicast"),
        (host("52:54:00:aa:bb", "10.210.1.5"), "hex groups"),
        (host("52:54:00:aa:bb:02", "10.210.1"), "not an IP address"),
        (
            Given {
                ip: Some("10.210.1.5".into()),
                ..Given::default()
            },
            "needs --ip and --mac",
        ),
    ] {
        let e = check(&given, Section::IpDhcpHost, Add).unwrap_err();
        assert_eq!(e.exit_code(), 7, "{given:?}");
        assert!(e.message.contains(needle), "{needle:?} not in {}", e.message);
    }
    let mut named = host("52:54:00:aa:bb:02", "10.210.1.5");
    named.name = Some("bad name".into());
    assert_eq!(
        check(&named, Section::IpDhcpHost, Add).unwrap_err().exit_code(),
        7
    );
    let mut wrong = host("52:54:00:aa:bb:02", "10.210.1.5");
    wrong.hostnames = vec!["x".into()];
    assert!(check(&wrong, Section::IpDhcpHost, Add)
        .unwrap_err()
        .message
        .contains("--hostname does not apply"));
}

#[test]
fn duplicates_conflict_and_reruns_are_no_ops() {
    use UpdateCommand::*;
    let s = summary();
    let plan_of = |g: &Given, c| plan(&check(g, Section::IpDhcpHost, c)?, c, &s, "n");
    let mut same = host("52:54:00:aa:bb:01", "10.210.1.50");
    same.name = Some("g1".into());
    assert_eq!(plan_of(&same, Add).unwrap(), Plan::Nothing);
    let e = plan_of(&host("52:54:00:aa:bb:01", "10.210.1.51"), Add).unwrap_err();
    assert_eq!(e.exit_code(), 4);
    assert!(
        e.message.contains("MAC 52:54:00:aa:bb:01 is already reserved"),
        "{e:?}"
    );
    let e = plan_of(&host("52:54:00:aa:bb:02", "10.210.1.50"), Add).unwrap_err();
    assert!(e.message.contains("IP 10.210.1.50 is already reserved"), "{e:?}");
    assert!(matches!(
        plan_of(&host("52:54:00:aa:bb:02", "10.210.1.51"), Add).unwrap(),
        Plan::Send { command: Add, .. }
    ));
    // Delete by IP alone sends the whole entry, and its undo adds it back.
    let by_ip = Given {
        ip: Some("10.210.1.50".into()),
        ..Given::default()
    };
    let Plan::Send { entry, undo, .. } = plan_of(&by_ip, Delete).unwrap() else {
        panic!()
    };
    assert_eq!(
        entry_xml(&entry),
        "<host mac=\"52:54:00:AA:BB:01\" name=\"g1\" ip=\"10.210.1.50\"/>"
    );
    assert_eq!(undo.0, Add);
    assert_eq!(
        plan_of(&host("52:54:00:aa:bb:09", "10.210.1.9"), Delete)
            .unwrap_err()
            .exit_code(),
        3
    );
    // Modify keeps the name and refuses another host's address.
    let Plan::Send { entry, .. } = plan_of(&host("52:54:00:aa:bb:01", "10.210.1.52"), Modify).unwrap() else {
        panic!()
    };
    assert_eq!(
        entry_xml(&entry),
        "<host mac=\"52:54:00:AA:BB:01\" name=\"g1\" ip=\"10.210.1.52\"/>"
    );
}

#[test]
fn dns_and_ranges() {
    use UpdateCommand::*;
    let s = summary();
    let dns = Given {
        ip: Some("10.210.1.60".into()),
        hostnames: vec!["www".into(), "web".into()],
        ..Given::default()
    };
    let entry = check(&dns, Section::DnsHost, Add).unwrap();
    assert_eq!(plan(&entry, Add, &s, "n").unwrap(), Plan::Nothing);
    let other = Given {
        ip: Some("10.210.1.61".into()),
        hostnames: vec!["web".into()],
        ..Given::default()
    };
    let entry = check(&other, Section::DnsHost, Add).unwrap();
    assert_eq!(plan(&entry, Add, &s, "n").unwrap_err().exit_code(), 4);
    assert_eq!(
        entry_xml(&entry),
        "<host ip=\"10.210.1.61\"><hostname>web</hostname></host>"
    );
    let range = |a: &str, b: &str| Given {
        start: Some(a.into()),
        end: Some(b.into()),
        ..Given::default()
    };
    let e = check(&range("10.210.1.150", "10.210.2.1"), Section::IpDhcpRange, Add).unwrap_err();
    assert_eq!(e.exit_code(), 7);
    let entry = check(&range("10.210.1.90", "10.210.1.120"), Section::IpDhcpRange, Add).unwrap();
    assert_eq!(plan(&entry, Add, &s, "n").unwrap_err().exit_code(), 4);
    let entry = check(&range("10.210.1.10", "10.210.1.100"), Section::IpDhcpRange, Add).unwrap();
    assert_eq!(plan(&entry, Add, &s, "n").unwrap(), Plan::Nothing);
}

#[test]
fn wildcard_dns_host_names_are_taken_as_libvirt_takes_them() {
    let dns = |name: &str| Given {
        ip: Some("10.210.1.70".into()),
        hostnames: vec![name.into()],
        ..Given::default()
    };
    let entry = check(&dns("*.apps.example.com"), Section::DnsHost, UpdateCommand::Add).unwrap();
    assert_eq!(
        entry_xml(&entry),
        "<host ip=\"10.210.1.70\"><hostname>*.apps.example.com</hostname></host>"
    );
    for bad in ["*", "a.*.b", "**.x", "*.", "*.-x"] {
        let e = check(&dns(bad), Section::DnsHost, UpdateCommand::Add).unwrap_err();
        assert_eq!(e.exit_code(), 7, "{bad}");
    }
}

#[test]
fn virsh_entry_xml_is_accepted() {
    let g = parse_entry_xml(
        "<host mac='52:54:00:aa:bb:02' name='g2' ip='10.210.1.52'/>",
        Section::IpDhcpHost,
    )
    .unwrap();
    assert_eq!(
        (g.mac.as_deref(), g.name.as_deref(), g.ip.as_deref()),
        (Some("52:54:00:aa:bb:02"), Some("g2"), Some("10.210.1.52"))
    );
    let g = parse_entry_xml(
        "<host ip='10.0.0.5'><hostname>a</hostname><hostname>b</hostname></host>",
        Section::DnsHost,
    )
    .unwrap();
    assert_eq!(g.hostnames, ["a", "b"]);
    let g = parse_entry_xml("<range start='10.0.0.5' end='10.0.0.9'/>", Section::IpDhcpRange).unwrap();
    assert_eq!(g.end.as_deref(), Some("10.0.0.9"));
    for bad in [
        "<range start='1' end='2'/>",
        "<host mac='x' bogus='1'/>",
        "<host mac='x'><y/></host>",
        "<host/><host/>",
        "<host",
    ] {
        assert_eq!(
            parse_entry_xml(bad, Section::IpDhcpHost).unwrap_err().exit_code(),
            7,
            "{bad}"
        );
    }
}

const DUAL: &str = "<network><name>d</name><ip address='10.211.1.1' prefix='24'><dhcp>\
    <range start='10.211.1.10' end='10.211.1.100'/></dhcp></ip>\
    <ip family='ipv6' address='2001:db8:ca2::1' prefix='64'><dhcp>\
    <range start='2001:db8:ca2::100' end='2001:db8:ca2::1ff'/>\
    <host id='0:3:0:1:52:54:0:0:0:1' name='six' ip='2001:db8:ca2::10'/></dhcp></ip></network>";

#[test]
fn ipv6_hosts_by_duid_or_name_go_to_the_ipv6_element() {
    use UpdateCommand::*;
    let s = xml::parse(DUAL).unwrap();
    assert_eq!(s.dhcp_hosts[0].id.as_deref(), Some("0:3:0:1:52:54:0:0:0:1"));
    let v6 = Given {
        id: Some("0:3:0:1:52:54:0:0:0:2".into()),
        ip: Some("2001:db8:ca2::11".into()),
        ..Given::default()
    };
    let Entry::Host(h) = check_entry(&v6, Section::IpDhcpHost, Add, &s, "d").unwrap() else {
        panic!("not a host")
    };
    assert_eq!(h.subnet, Some("2001:db8:ca2::1/64".parse().unwrap()));
    assert_eq!(
        entry_xml(&Entry::Host(h.clone())),
        "<host id=\"0:3:0:1:52:54:0:0:0:2\" ip=\"2001:db8:ca2::11\"/>"
    );
    assert!(matches!(
        plan(&Entry::Host(h), Add, &s, "d").unwrap(),
        Plan::Send { .. }
    ));
    // By name alone, as libvirt takes it; the same entry again is nothing to do.
    let named = Given {
        name: Some("six".into()),
        ip: Some("2001:db8:ca2::10".into()),
        id: Some("0:3:0:1:52:54:0:0:0:1".into()),
        ..Given::default()
    };
    let entry = check_entry(&named, Section::IpDhcpHost, Add, &s, "d").unwrap();
    assert_eq!(plan(&entry, Add, &s, "d").unwrap(), Plan::Nothing);
    // Another DUID for a reserved name is a clash (exit 4), a modify by name changes it.
    let other = Given {
        id: Some("0:3:0:1:52:54:0:0:0:9".into()),
        ..named.clone()
    };
    let entry = check_entry(&other, Section::IpDhcpHost, Add, &s, "d").unwrap();
    assert_eq!(plan(&entry, Add, &s, "d").unwrap_err().exit_code(), 4);
    let entry = check_entry(&other, Section::IpDhcpHost, Modify, &s, "d").unwrap();
    assert!(matches!(
        plan(&entry, Modify, &s, "d").unwrap(),
        Plan::Send { command: Modify, .. }
    ));
    for (given, needle) in [
        (
            Given {
                mac: Some("52:54:00:aa:bb:02".into()),
                ..v6.clone()
            },
            "does not name an IPv6 DHCP host",
        ),
        (
            Given {
                id: Some("0:3:xyz".into()),
                ..v6.clone()
            },
            "a DUID is hex bytes",
        ),
        (
            Given {
                id: None,
                ..v6.clone()
            },
            "needs --ip and --id or --name",
        ),
        (
            Given {
                ip: Some("2001:db8:ff::1".into()),
                ..v6.clone()
            },
            "outside network d's subnet",
        ),
        (
            Given {
                parent_index: Some(5),
                ..v6.clone()
            },
            "no <ip> element of index 5",
        ),
        (
            Given {
                parent_index: Some(0),
                ..v6.clone()
            },
            "family",
        ),
    ] {
        let e = check_entry(&given, Section::IpDhcpHost, Add, &s, "d").unwrap_err();
        assert_eq!(e.exit_code(), 7, "{given:?}");
        assert!(e.message.contains(needle), "{needle:?} not in {}", e.message);
    }
    assert_eq!(AddFirst.normalised(), (Add, true));
    assert_eq!(dhcp_parent(&s, Some(false), None).unwrap().0, 1);
    assert_eq!(dhcp_parent(&s, Some(true), None).unwrap().0, 0);
}
