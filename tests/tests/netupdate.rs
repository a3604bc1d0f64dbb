//! End-to-end tests of `vnet-net update` (virsh net-update), `dhcp-hosts`, `dns-hosts`,
//! `define --mtu` and `list --name` against the sandbox's libvirtd. Oracles: virsh net-dumpxml
//! (live and --inactive), virsh net-list, sysfs, and a booted guest's DHCP lease (the guest kit).

use serde_json::Value;
use vnet_tests::*;

/// A started NAT network of the lab's on 10.SUBNET.0.0/24 (DHCP .10-.100), with its bridge.
fn started_network(lab: &Lab, subnet: u8) -> (String, String) {
    let name = lab.network("nu");
    let bridge = lab.name("nub");
    let ip = format!("10.{subnet}.0.1/24");
    let range = format!("10.{subnet}.0.10,10.{subnet}.0.100");
    let args = [
        "define",
        "--name",
        &name,
        "--ip",
        &ip,
        "--dhcp-range",
        &range,
        "--bridge",
        &bridge,
        "--start",
    ];
    net(&args).ok().json();
    (name, bridge)
}

/// Both definitions of a network, as virsh prints them: what bad input must leave unchanged.
fn dumpxml(name: &str) -> String {
    sh_ok(&format!(
        "virsh net-dumpxml {name}; virsh net-dumpxml --inactive {name}; virsh net-list --all --name"
    ))
}

fn hosts_of(updated: &Value) -> Vec<(String, String)> {
    updated["dhcp_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["mac"].as_str().unwrap_or("").to_string(),
                h["ip"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The reservation flow: reserve a MAC's address, boot a guest with that MAC, its lease is the
/// reserved address; a rerun of the add is a no-op; remove the reservation.
#[test]
fn reserved_mac_gets_exactly_its_address() {
    let lab = lab!();
    let (name, _bridge) = started_network(&lab, 231);
    let mac = "52:54:00:23:10:c8";
    // Outside the dynamic range (.10-.100), inside the subnet.
    let reserved = "10.231.0.200";
    let add = [
        "update",
        &name,
        "add",
        "ip-dhcp-host",
        "--mac",
        mac,
        "--ip",
        reserved,
        "--name",
        "guest1",
    ];
    let first = net(&add).ok().json();
    assert_eq!(first["changed"], true);
    assert_eq!(
        (first["live"].clone(), first["config"].clone()),
        (true.into(), true.into())
    );
    assert_eq!(hosts_of(&first), [(mac.to_string(), reserved.to_string())]);
    let line = format!("<host mac='{mac}' name='guest1' ip='{reserved}'/>");
    for flags in ["", "--inactive"] {
        let xml = sh_ok(&format!("virsh net-dumpxml {flags} {name}"));
        assert!(xml.contains(&line), "{flags}: {xml}");
    }
    // A rerun: "changed": false with --exist-ok, exit 4 without; nothing changes either way.
    assert_unchanged(
        || dumpxml(&name),
        || {
            let again = net(&[&add[..], &["--exist-ok"]].concat()).ok().json();
            assert_eq!(again["changed"], false);
            assert_eq!(
                (again["live"].clone(), again["config"].clone()),
                (false.into(), false.into())
            );
            net(&add).fails(4, "already has this ip-dhcp-host entry");
        },
    );
    let listed = net(&["dhcp-hosts", &name, "--mac", mac]).ok().json();
    assert_eq!(listed[0]["ip"], reserved);
    assert_eq!(listed[0]["name"], "guest1");

    // A guest from the kit with that MAC takes exactly the reserved address.
    let domain = lab.domain("nug");
    lab.on_drop(format!("rm -f /var/lib/libvirt/boot/vnet-{domain}-*"));
    let kit = kit();
    let boot = format!(
        "kernel={},initrd={}",
        kit.join("vmlinuz").display(),
        kit.join("initrd.gz").display()
    );
    let nic = format!("network={name},mac={mac}");
    let installed = vnet(
        "vnet-vm",
        &[
            "install",
            "--name",
            &domain,
            "--memory",
            "256",
            "--boot",
            &boot,
            "--disk",
            "none",
            "--network",
            &nic,
            "--virt-type",
            "qemu",
            "--noautoconsole",
            "--wait-ip",
            "150",
        ],
    )
    .ok()
    .json();
    assert_eq!(
        installed["address"],
        format!("{reserved}/24").as_str(),
        "{installed}"
    );
    let leases = sh_ok(&format!("virsh net-dhcp-leases {name}"));
    let lease = leases
        .lines()
        .find(|l| l.contains(mac))
        .unwrap_or_else(|| panic!("no lease for {mac}: {leases}"));
    assert!(lease.contains(&format!("{reserved}/24")), "{lease}");
    let ours = net(&["dhcp-leases", &name]).ok().json();
    assert!(
        ours.as_array()
            .unwrap()
            .iter()
            .any(|l| l["mac"] == mac && l["ip"] == format!("{reserved}/24").as_str()),
        "{ours}"
    );
    vnet("vnet-vm", &["destroy", &domain]).ok();
    vnet("vnet-vm", &["undefine", &domain]).ok();

    // Remove the reservation (by MAC alone); removing it again is a no-op with --missing-ok.
    let gone = net(&["update", &name, "delete", "ip-dhcp-host", "--mac", mac])
        .ok()
        .json();
    assert_eq!(gone["changed"], true);
    assert!(hosts_of(&gone).is_empty());
    for flags in ["", "--inactive"] {
        let xml = sh_ok(&format!("virsh net-dumpxml {flags} {name}"));
        assert!(!xml.contains(mac), "{flags}: {xml}");
    }
    let again = net(&[
        "update",
        &name,
        "delete",
        "ip-dhcp-host",
        "--mac",
        mac,
        "--missing-ok",
    ])
    .ok()
    .json();
    assert_eq!(again["changed"], false);
    net(&["update", &name, "delete", "ip-dhcp-host", "--mac", mac]).fails(3, "no DHCP host reservation");
}

/// Bad reservations are refused with one line and the documented code; both definitions stay.
#[test]
fn bad_reservations_change_nothing() {
    let lab = lab!();
    let (name, _bridge) = started_network(&lab, 232);
    net(&[
        "update",
        &name,
        "add",
        "ip-dhcp-host",
        "--mac",
        "52:54:00:23:20:01",
        "--ip",
        "10.232.0.50",
    ])
    .ok();
    let update = |extra: &[&str]| net(&[&["update", name.as_str()][..], extra].concat());
    assert_unchanged(
        || dumpxml(&name),
        || {
            // libvirt itself would take an address outside the subnet: vnet refuses it first.
            update(&[
                "add",
                "ip-dhcp-host",
                "--mac",
                "52:54:00:23:20:02",
                "--ip",
                "10.99.0.5",
            ])
            .fails(7, "outside network");
            update(&[
                "add",
                "ip-dhcp-host",
                "--mac",
                "52:54:00:23:20:02",
                "--ip",
                "10.232.0.255",
            ])
            .fails(7, "broadcast");
            update(&[
                "add",
                "ip-dhcp-host",
                "--mac",
                "52:54:00:23:20:02",
                "--ip",
                "10.232.0.1",
            ])
            .fails(7, "host's own address");
            update(&[
                "add",
                "ip-dhcp-host",
                "--mac",
                "52:54:00:23:20:02",
                "--ip",
                "10.232.0.50",
            ])
            .fails(4, "IP 10.232.0.50 is already reserved");
            update(&[
                "add",
                "ip-dhcp-host",
                "--mac",
                "52:54:00:23:20:01",
                "--ip",
                "10.232.0.51",
            ])
            .fails(4, "MAC 52:54:00:23:20:01 is already reserved");
            update(&[
                "add",
                "ip-dhcp-host",
                "--mac",
                "52:54:00:23:20",
                "--ip",
                "10.232.0.52",
            ])
            .fails(7, "invalid MAC");
            update(&[
                "add",
                "ip-dhcp-host",
                "--mac",
                "52:54:00:23:20:03",
                "--ip",
                "10.232.0.52",
                "--name",
                "a b",
            ])
            .fails(7, "--name");
            update(&[
                "add",
                "ip-dhcp-range",
                "--start",
                "10.232.0.150",
                "--end",
                "10.232.1.10",
            ])
            .fails(7, "outside subnet");
            update(&[
                "add",
                "ip-dhcp-range",
                "--start",
                "10.232.0.90",
                "--end",
                "10.232.0.120",
            ])
            .fails(4, "overlaps");
            update(&[
                "modify",
                "ip-dhcp-host",
                "--mac",
                "52:54:00:23:20:09",
                "--ip",
                "10.232.0.60",
            ])
            .fails(3, "no DHCP host reservation");
            update(&["delete", "dns-host", "--ip", "10.232.0.77"]).fails(3, "no DNS host entry");
            net(&[
                "update",
                "no-such-net",
                "add",
                "ip-dhcp-host",
                "--mac",
                "52:54:00:23:20:04",
                "--ip",
                "10.232.0.5",
            ])
            .fails(3, "no-such-net");
        },
    );
}

/// Modify, DNS hosts, ranges and virsh's own XML spelling, checked with virsh; an inactive
/// network gets its persistent definition updated alone; --batch --atomic undoes updates.
#[test]
fn modify_dns_ranges_and_virsh_xml() {
    let lab = lab!();
    let (name, _bridge) = started_network(&lab, 233);
    let update = |extra: &[&str]| net(&[&["update", name.as_str()][..], extra].concat());
    // virsh's XML argument, as in `virsh net-update NET add ip-dhcp-host "<host .../>"`.
    let text = net(&[
        "net-update",
        &name,
        "add-last",
        "ip-dhcp-host",
        "<host mac='52:54:00:23:30:01' ip='10.233.0.40'/>",
        "--live",
        "--config",
        "-o",
        "text",
    ])
    .ok()
    .stdout;
    assert_eq!(
        text,
        format!("Updated network {name} persistent config and live state\n")
    );
    let modified = update(&[
        "modify",
        "ip-dhcp-host",
        "--mac",
        "52:54:00:23:30:01",
        "--ip",
        "10.233.0.41",
    ])
    .ok()
    .json();
    assert_eq!(
        hosts_of(&modified),
        [("52:54:00:23:30:01".into(), "10.233.0.41".into())]
    );
    assert!(sh_ok(&format!("virsh net-dumpxml {name}")).contains("ip='10.233.0.41'"));
    let dns = update(&[
        "add",
        "dns-host",
        "--ip",
        "10.233.0.41",
        "--hostname",
        "web",
        "--hostname",
        "www",
    ])
    .ok()
    .json();
    assert_eq!(
        dns["dns_hosts"][0]["hostnames"],
        serde_json::json!(["web", "www"])
    );
    let xml = sh_ok(&format!("virsh net-dumpxml --inactive {name}"));
    assert!(xml.contains("<hostname>www</hostname>"), "{xml}");
    let listed = net(&["dns-hosts", &name]).ok().json();
    assert_eq!(listed[0]["ip"], "10.233.0.41");
    // A wildcard DNS host name, as libvirt takes it; a bare '*' is refused with nothing changed.
    let wildcard = [
        "dns-host",
        "--ip",
        "10.233.0.43",
        "--hostname",
        "*.apps.example.com",
    ];
    update(&[&["add"], &wildcard[..]].concat()).ok();
    let xml = sh_ok(&format!("virsh net-dumpxml {name}"));
    assert!(xml.contains("<hostname>*.apps.example.com</hostname>"), "{xml}");
    update(&[&["delete"], &wildcard[..]].concat()).ok();
    let before = dumpxml(&name);
    update(&["add", "dns-host", "--ip", "10.233.0.43", "--hostname", "*"]).fails(7, "host name");
    assert_eq!(dumpxml(&name), before);
    let range = update(&[
        "add",
        "ip-dhcp-range",
        "--start",
        "10.233.0.150",
        "--end",
        "10.233.0.160",
    ])
    .ok()
    .json();
    assert_eq!(range["dhcp_ranges"].as_array().unwrap().len(), 2);
    assert!(sh_ok(&format!("virsh net-dumpxml {name}"))
        .contains("<range start='10.233.0.150' end='10.233.0.160'/>"));
    // --batch --atomic: a failing third line undoes the first two.
    let before = dumpxml(&name);
    let batch = vnet_tests::vnet_stdin(
        "vnet-net",
        &["--batch", "-", "--atomic"],
        &format!(
            "update {name} add ip-dhcp-host --mac 52:54:00:23:30:02 --ip 10.233.0.42\n\
             update {name} delete dns-host --ip 10.233.0.41\n\
             update {name} add ip-dhcp-host --mac 52:54:00:23:30:03 --ip 10.233.0.42\n"
        ),
    );
    assert_eq!(batch.code, 4, "{batch:?}");
    assert_eq!(dumpxml(&name), before);
    // Inactive: only the persistent definition.
    net(&["destroy", &name]).ok();
    let config_only = update(&[
        "delete",
        "ip-dhcp-range",
        "--start",
        "10.233.0.150",
        "--end",
        "10.233.0.160",
    ])
    .ok()
    .json();
    assert_eq!(
        (config_only["live"].clone(), config_only["config"].clone()),
        (false.into(), true.into())
    );
    update(&[
        "add",
        "ip-dhcp-host",
        "--mac",
        "52:54:00:23:30:04",
        "--ip",
        "10.233.0.44",
        "--live",
    ])
    .fails(7, "not running");
    assert!(!sh_ok(&format!("virsh net-dumpxml --inactive {name}")).contains("10.233.0.150"));
}

/// define --mtu sets the bridge's MTU (sysfs) and <mtu size=.../>; list --name prints what
/// virsh net-list --name prints.
#[test]
fn define_mtu_and_list_names() {
    let lab = lab!();
    let name = lab.network("mtu");
    let bridge = lab.name("mtub");
    let bad = |mtu: &str| net(&["define", "--name", &name, "--ip", "10.234.0.1/24", "--mtu", mtu]);
    assert_unchanged(
        || sh_ok("virsh net-list --all --name"),
        || {
            bad("67").fails(7, "invalid --mtu");
            bad("65536").fails(7, "invalid --mtu");
        },
    );
    let defined = net(&[
        "define",
        "--name",
        &name,
        "--ip",
        "10.234.0.1/24",
        "--bridge",
        &bridge,
        "--mtu",
        "9000",
        "--start",
    ])
    .ok()
    .json();
    assert_eq!(defined["changed"], true);
    assert!(sh_ok(&format!("virsh net-dumpxml {name}")).contains("<mtu size='9000'/>"));
    assert_eq!(
        std::fs::read_to_string(format!("/sys/class/net/{bridge}/mtu"))
            .unwrap()
            .trim(),
        "9000"
    );
    for flags in [&["--all"][..], &[][..]] {
        let ours = net(&[&["list", "--name"][..], flags].concat()).ok().stdout;
        let theirs = sh_ok(&format!("virsh net-list --name {}", flags.join(" ")));
        assert_eq!(ours, theirs);
        assert!(ours.lines().any(|l| l == name));
        let text = net(&[&["list", "--name", "-o", "text"][..], flags].concat())
            .ok()
            .stdout;
        assert_eq!(text, theirs);
    }
    // -o json still prints the objects.
    let json = net(&["list", "--all", "--name", "-o", "json"]).ok().json();
    assert!(json
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["name"] == name.as_str()));
}

/// A started dual-stack network of the lab's (IPv4 10.SUBNET.0.0/24 and IPv6 2001:db8:SUBNET::/64,
/// DHCP on both), defined with virsh.
fn dual_stack_network(lab: &Lab, subnet: u8) -> String {
    let name = lab.network("n6");
    let bridge = lab.name("n6b");
    let dir = lab_dir(lab, "n6");
    let xml = format!(
        "<network><name>{name}</name><bridge name='{bridge}'/>\
         <ip address='10.{subnet}.0.1' prefix='24'><dhcp><range start='10.{subnet}.0.10' end='10.{subnet}.0.100'/>\
         <host mac='52:54:00:{subnet:02x}:00:01' ip='10.{subnet}.0.201'/></dhcp></ip>\
         <ip family='ipv6' address='2001:db8:{subnet}::1' prefix='64'><dhcp>\
         <range start='2001:db8:{subnet}::100' end='2001:db8:{subnet}::1ff'/></dhcp></ip></network>"
    );
    let file = dir.join("net.xml");
    std::fs::write(&file, xml).unwrap();
    sh_ok(&format!(
        "virsh net-define {f} && virsh net-start {name}",
        f = file.display()
    ));
    name
}

/// The `<host .../>` lines of one of virsh's definitions, in document order.
fn virsh_hosts(name: &str, inactive: bool) -> Vec<String> {
    let flag = if inactive { "--inactive" } else { "" };
    sh_ok(&format!("virsh net-dumpxml {flag} {name}"))
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("<host "))
        .map(String::from)
        .collect()
}

/// IPv6 DHCP hosts as libvirt takes them (`id=` DUID, `name=`), by flags and by virsh's XML,
/// add-first and add-last, modify by name, delete by DUID; virsh net-dumpxml (live and
/// --inactive) is the oracle; bad input changes nothing.
#[test]
fn ipv6_dhcp_hosts_by_duid_and_name() {
    let lab = lab!();
    let name = dual_stack_network(&lab, 233);
    let duid = "0:3:0:1:52:54:0:e9:0:10";
    let added = net(&[
        "update",
        &name,
        "add",
        "ip-dhcp-host",
        "--id",
        duid,
        "--ip",
        "2001:db8:233::10",
        "--name",
        "six",
    ])
    .ok()
    .json();
    assert_eq!(
        (added["live"].clone(), added["config"].clone()),
        (true.into(), true.into())
    );
    let row = added["dhcp_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == duid)
        .cloned()
        .unwrap();
    assert_eq!(
        (row["ip"].clone(), row["name"].clone()),
        ("2001:db8:233::10".into(), "six".into())
    );
    let line = format!("<host id='{duid}' name='six' ip='2001:db8:233::10'/>");
    for inactive in [false, true] {
        assert!(
            virsh_hosts(&name, inactive).contains(&line),
            "{:?}",
            virsh_hosts(&name, inactive)
        );
    }
    // The same again: exit 4, or "changed": false with --exist-ok.
    let again = [
        "update",
        &name,
        "add",
        "ip-dhcp-host",
        "--id",
        duid,
        "--ip",
        "2001:db8:233::10",
        "--name",
        "six",
    ];
    net(&again).fails(4, "already has");
    let mut exist_ok = again.to_vec();
    exist_ok.push("--exist-ok");
    assert_eq!(net(&exist_ok).ok().json()["changed"], false);
    // virsh's XML form, a reservation by name alone.
    let by_name = "<host name='seven' ip='2001:db8:233::11'/>";
    net(&["net-update", &name, "add", "ip-dhcp-host", by_name]).ok();
    assert!(virsh_hosts(&name, false).contains(&"<host name='seven' ip='2001:db8:233::11'/>".to_string()));
    // add-first puts an IPv4 reservation before the one the network had; add-last after.
    net(&[
        "update",
        &name,
        "add-first",
        "ip-dhcp-host",
        "--mac",
        "52:54:00:e9:00:02",
        "--ip",
        "10.233.0.202",
    ])
    .ok();
    net(&[
        "update",
        &name,
        "add-last",
        "ip-dhcp-host",
        "--mac",
        "52:54:00:e9:00:03",
        "--ip",
        "10.233.0.203",
    ])
    .ok();
    for inactive in [false, true] {
        let v4: Vec<String> = virsh_hosts(&name, inactive)
            .into_iter()
            .filter(|h| h.contains("mac="))
            .collect();
        assert_eq!(
            v4,
            [
                "<host mac='52:54:00:e9:00:02' ip='10.233.0.202'/>",
                "<host mac='52:54:00:e9:00:01' ip='10.233.0.201'/>",
                "<host mac='52:54:00:e9:00:03' ip='10.233.0.203'/>",
            ]
        );
    }
    // Modify by name (a new address), delete by DUID.
    net(&[
        "update",
        &name,
        "modify",
        "ip-dhcp-host",
        "--name",
        "seven",
        "--ip",
        "2001:db8:233::12",
    ])
    .ok();
    assert!(virsh_hosts(&name, true).contains(&"<host name='seven' ip='2001:db8:233::12'/>".to_string()));
    let deleted = net(&["update", &name, "delete", "ip-dhcp-host", "--id", duid])
        .ok()
        .json();
    assert!(!deleted["dhcp_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["id"] == duid));
    assert!(!virsh_hosts(&name, false).contains(&line));

    // Bad input: one line, the exit code, both definitions unchanged.
    assert_unchanged(
        || dumpxml(&name),
        || {
            let v6 = |extra: &[&str]| {
                let mut args = vec![
                    "update",
                    name.as_str(),
                    "add",
                    "ip-dhcp-host",
                    "--ip",
                    "2001:db8:233::20",
                ];
                args.extend_from_slice(extra);
                net(&args)
            };
            v6(&["--mac", "52:54:00:e9:00:09"]).fails(7, "does not name an IPv6 DHCP host");
            v6(&["--id", "0:3:zz"]).fails(7, "a DUID is hex bytes");
            v6(&[]).fails(7, "needs --ip and --id or --name");
            v6(&["--id", duid, "--parent-index", "7"]).fails(7, "index 7");
            v6(&["--id", duid, "--parent-index", "0"]).fails(7, "family");
            net(&[
                "update",
                &name,
                "add",
                "ip-dhcp-host",
                "--id",
                duid,
                "--ip",
                "2001:db8:99::20",
            ])
            .fails(7, "outside network");
            net(&[
                "update",
                &name,
                "add",
                "ip-dhcp-host",
                "--id",
                "0:3:0:9",
                "--ip",
                "2001:db8:233::12",
            ])
            .fails(4, "already reserved");
            net(&[
                "update",
                &name,
                "modify",
                "ip-dhcp-host",
                "--name",
                "nobody",
                "--ip",
                "2001:db8:233::30",
            ])
            .fails(3, "no DHCP host reservation");
            net(&[
                "net-update",
                &name,
                "add",
                "ip-dhcp-host",
                "<host id='0:3' ip='2001:db8:233::31' mac='52:54:00:e9:00:09'/>",
            ])
            .fails(7, "IPv6");
        },
    );
}

/// virsh's --current on a running persistent network: the running network only, as libvirt's
/// AFFECT_CURRENT; the persistent definition keeps no trace of it.
#[test]
fn current_changes_the_running_network_only() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    let (name, _) = started_network(&lab, 237);
    let host = [
        "update",
        &name,
        "add",
        "ip-dhcp-host",
        "--mac",
        "52:54:00:23:70:01",
        "--ip",
        "10.237.0.71",
    ];
    let mut args = host.to_vec();
    args.push("--current");
    let done = net(&args).ok().json();
    assert_eq!(
        (done["live"].as_bool(), done["config"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(sh_ok(&format!("virsh net-dumpxml {name}")).contains("10.237.0.71"));
    assert!(!sh_ok(&format!("virsh net-dumpxml --inactive {name}")).contains("10.237.0.71"));
    args.push("--live");
    net(&args).fails(2, "cannot be used with");
}
