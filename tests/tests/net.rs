//! End-to-end tests of vnet-net against the real libvirtd the sandbox starts (tests/sandbox),
//! checked with virsh, `ip -j`, the dnsmasq config libvirt writes and the iptables rules.
//! Each test names its networks and links after itself (`lab!()`), uses its own 10.200.N.0/24
//! subnets, and removes what it made when it ends, also when it fails. A test that touches
//! libvirt's `default` network puts it back (defined, inactive) before and after.

use serde_json::{json, Value};
use vnet_tests::*;

fn virsh(args: &str) -> String {
    sh_ok(&format!("virsh -q {args}"))
}

const RESET_DEFAULT: &str =
    "virsh net-destroy default >/dev/null 2>&1; virsh net-autostart --disable default >/dev/null 2>&1; ";

/// Puts libvirt's `default` network back to how the sandbox starts it (defined, inactive), now
/// and when the lab ends.
fn reset_default(lab: &Lab) {
    sh(RESET_DEFAULT);
    lab.on_drop(RESET_DEFAULT);
}

/// Runs a bad command and checks it failed as documented and changed nothing.
fn refused<S: AsRef<str>>(args: &[S], code: i32, needle: &str) {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    assert_unchanged(networks_state, || {
        net(&args).fails(code, needle);
    });
}

fn defined(name: &str) -> bool {
    network_names().iter().any(|n| n == name)
}

/// The addresses of a link as "addr/prefix" strings.
fn addresses(dev: &str) -> Vec<String> {
    ip_json(&format!("addr show dev {dev}"))[0]["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{}/{}", a["local"].as_str().unwrap(), a["prefixlen"]))
        .collect()
}

fn entry<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == name)
        .unwrap_or_else(|| panic!("{name} not listed in {list}"))
}

fn link_exists(dev: &str) -> bool {
    sh(&format!("ip link show {dev}")).code == 0
}

/// Writes a test input file into a directory of the test's own, removed when the test ends.
fn write_file(lab: &Lab, name: &str, text: &str) -> String {
    let path = lab.dir("in").join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn default_nat_network_starts() {
    let lab = lab!();
    reset_default(&lab);
    assert_eq!(
        entry(&net(&["list", "--all"]).ok().json(), "default")["active"],
        false
    );

    let out = net(&["start", "default"]).ok().json();
    assert_eq!(out["changed"], true);
    assert_eq!(out["active"], true);
    assert_eq!(out["mode"], "nat");
    assert_eq!(out["bridge"], "virbr0");
    assert_eq!(out["ips"], json!(["192.168.122.1/24"]));
    // Oracles: the bridge's address, dnsmasq's config, the NAT rules, virsh.
    assert!(addresses("virbr0").contains(&"192.168.122.1/24".to_string()));
    let conf = sh_ok("cat /var/lib/libvirt/dnsmasq/default.conf");
    assert!(conf.contains("interface=virbr0"), "{conf}");
    assert!(
        conf.contains("dhcp-range=192.168.122.2,192.168.122.254,255.255.255.0"),
        "{conf}"
    );
    let nat = sh_ok("iptables -w -t nat -S");
    assert!(
        nat.contains("-s 192.168.122.0/24 ! -d 192.168.122.0/24 -j MASQUERADE"),
        "{nat}"
    );
    assert!(virsh("net-info default").contains("Active:         yes"));
    assert_eq!(sh_ok("cat /proc/sys/net/ipv4/ip_forward").trim(), "1");

    // Starting it again: in use, unless --exist-ok (or its ovs-vsctl spelling).
    net(&["start", "default"]).fails(4, "already active");
    assert_eq!(
        net(&["net-start", "default", "--exist-ok"]).ok().json()["changed"],
        false
    );
    assert_eq!(
        net(&["start", "default", "--may-exist"]).ok().json()["changed"],
        false
    );
    // Text output is virsh's, -q as virsh -q.
    assert_eq!(net(&["list", "-o", "text"]).ok().stdout, sh_ok("virsh net-list"));
    assert_eq!(
        net(&["list", "-o", "text", "-q"]).ok().stdout,
        sh_ok("virsh -q net-list")
    );
    assert_eq!(
        net(&["info", "default", "-o", "text"]).ok().stdout,
        sh_ok("virsh net-info default")
    );

    assert_eq!(net(&["destroy", "default"]).ok().json()["active"], false);
    assert!(!link_exists("virbr0"));
    assert!(!sh_ok("iptables -w -t nat -S").contains("192.168.122.0/24"));
}

#[test]
fn default_network_redefined_when_missing() {
    let lab = lab!();
    reset_default(&lab);
    let saved = write_file(
        &lab,
        "saved-default.xml",
        &sh_ok("virsh net-dumpxml --inactive default"),
    );
    // Put the sandbox's own default back (same UUID), defined and inactive.
    lab.on_drop(format!(
        "virsh net-destroy default; virsh net-undefine default; virsh net-define {saved}; {RESET_DEFAULT}"
    ));
    let out = net(&["undefine", "default"]).ok().json();
    assert_eq!(out["changed"], true);
    assert!(!defined("default"));

    // doctor says so and names the fix; running the fix brings default back, as virsh sees it.
    let check = doctor_check("default_network");
    assert_eq!(
        (check["ok"].clone(), check["detail"].clone()),
        (json!(false), json!("not defined"))
    );
    let fix = check["hint"].as_str().unwrap();
    assert_eq!(
        fix,
        "vnet-net define /usr/share/libvirt/networks/default.xml --start --autostart"
    );
    let args: Vec<&str> = fix.split(' ').skip(1).collect();
    let out = net(&args).ok().json();
    assert_eq!(
        (out["active"].clone(), out["autostart"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(out["mode"], "nat");
    let info = virsh("net-info default");
    assert!(
        info.contains("Active:         yes") && info.contains("Autostart:      yes"),
        "{info}"
    );
    assert!(addresses("virbr0").contains(&"192.168.122.1/24".to_string()));
    assert_eq!(doctor_check("default_network")["ok"], true);
}

/// One check of `vnet-net doctor`'s report.
fn doctor_check(name: &str) -> Value {
    check_of(&net(&["doctor"]).ok().json(), name)
}

/// The seed's router.xml, with this test's network and bridge names.
fn router_xml(name: &str, bridge: &str) -> String {
    format!(
        "<network>
  <name>{name}</name>
  <forward mode='route'/>
  <bridge name='{bridge}' stp='on' delay='0'/>
  <ip address='10.200.2.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='10.200.2.2' end='10.200.2.254'/>
    </dhcp>
  </ip>
</network>
"
    )
}

#[test]
fn router_xml_defined_from_file_started_autostarted() {
    let lab = lab!();
    let (name, bridge) = (lab.name("router"), lab.link("vnrt"));
    // Where the seed keeps it; libvirt itself rewrites this file on define (and removes it on
    // undefine, which fails when the file is gone: so it is removed after the network).
    let path = format!("/etc/libvirt/qemu/networks/{name}.xml");
    lab.on_drop(format!("rm -f {path}"));
    lab.on_drop(format!("virsh net-destroy {name}; virsh net-undefine {name}"));
    let xml = router_xml(&name, &bridge);
    std::fs::write(&path, &xml).unwrap();

    let out = net(&["net-define", &path]).ok().json();
    assert_eq!(out["changed"], true);
    assert_eq!(
        (out["persistent"].clone(), out["active"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(out["mode"], "route");
    assert_eq!(out["ips"], json!(["10.200.2.1/24"]));
    assert!(virsh("net-list --all").contains(&name));
    assert_eq!(
        out["uuid"].as_str().unwrap(),
        virsh(&format!("net-uuid {name}")).trim()
    );

    // The same file again (virsh net-define over an existing network): nothing changes, with or
    // without --exist-ok.
    let again = net(&["define", &path]).ok().json();
    assert_eq!(
        (again["changed"].clone(), again["definition"].clone()),
        (json!(false), json!("unchanged"))
    );
    assert_eq!(
        net(&["define", &path, "--exist-ok"]).ok().json()["changed"],
        false
    );

    let out = net(&["start", &name]).ok().json();
    assert_eq!(out["active"], true);
    assert_eq!(addresses(&bridge), vec!["10.200.2.1/24"]);
    let conf = sh_ok(&format!("cat /var/lib/libvirt/dnsmasq/{name}.conf"));
    assert!(conf.contains("dhcp-range=10.200.2.2,10.200.2.254"), "{conf}");
    // Routed: forwarding rules for the subnet, no NAT.
    let filter = sh_ok("iptables -w -S");
    assert!(
        filter.contains(&format!("-A LIBVIRT_FWO -s 10.200.2.0/24 -i {bridge} -j ACCEPT")),
        "{filter}"
    );
    assert!(
        filter.contains(&format!("-A LIBVIRT_FWI -d 10.200.2.0/24 -o {bridge} -j ACCEPT")),
        "{filter}"
    );
    assert!(!sh_ok("iptables -w -t nat -S").contains("10.200.2.0/24"));
    redefine_running(&lab, &name, &xml);
    autostart_on_and_off(&name);
}

/// virsh net-define over a running network: the persistent definition changes, the running one
/// (and its dnsmasq) keeps the old until restarted; the network named by its UUID as virsh does.
fn redefine_running(lab: &Lab, name: &str, xml: &str) {
    let uuid = virsh(&format!("net-uuid {name}")).trim().to_string();
    assert_eq!(net(&["info", &uuid]).ok().json()["name"], name);
    let changed = write_file(lab, "router.xml", &xml.replace("10.200.2.254", "10.200.2.100"));
    let out = net(&["define", &changed]).ok().json();
    assert_eq!(
        (
            out["changed"].clone(),
            out["definition"].clone(),
            out["restart_needed"].clone()
        ),
        (json!(true), json!("updated"), json!(true))
    );
    assert_eq!(out["active"], true);
    assert!(virsh(&format!("net-dumpxml --inactive {name}")).contains("end='10.200.2.100'"));
    assert!(virsh(&format!("net-dumpxml {name}")).contains("end='10.200.2.254'"));
    let conf = sh_ok(&format!("cat /var/lib/libvirt/dnsmasq/{name}.conf"));
    assert!(conf.contains("dhcp-range=10.200.2.2,10.200.2.254"), "{conf}");
    let again = net(&["net-define", &changed, "--exist-ok"]).ok().json();
    assert_eq!(
        (again["changed"].clone(), again["restart_needed"].clone()),
        (json!(false), json!(false))
    );
}

fn autostart_on_and_off(name: &str) {
    let out = net(&["autostart", name]).ok().json();
    assert_eq!(
        (out["autostart"].clone(), out["changed"].clone()),
        (json!(true), json!(true))
    );
    assert!(virsh(&format!("net-info {name}")).contains("Autostart:      yes"));
    assert!(std::path::Path::new(&format!("/etc/libvirt/qemu/networks/autostart/{name}.xml")).exists());
    assert_eq!(net(&["net-autostart", name]).ok().json()["changed"], false);
    let out = net(&["autostart", name, "--disable"]).ok().json();
    assert_eq!(out["autostart"], false);
    assert!(virsh(&format!("net-info {name}")).contains("Autostart:      no"));
}

#[test]
fn isolated_nat_and_routed_networks_by_flags() {
    let lab = lab!();
    let (iso, nat, rt) = (lab.network("iso"), lab.network("nat"), lab.network("route"));
    let (iso_br, nat_br, rt_br) = (lab.link("vniso"), lab.link("vnnat"), lab.link("vnrt"));
    define_three(&[&iso, &nat, &rt], &[&iso_br, &nat_br, &rt_br]);

    let list = net(&["list"]).ok().json();
    for (name, mode, bridge) in [
        (&iso, "isolated", &iso_br),
        (&nat, "nat", &nat_br),
        (&rt, "route", &rt_br),
    ] {
        let e = entry(&list, name);
        assert_eq!(
            (e["mode"].as_str(), e["bridge"].as_str(), e["active"].as_bool()),
            (Some(mode), Some(bridge.as_str()), Some(true))
        );
    }
    assert_eq!(entry(&list, &nat)["autostart"], true);
    // libvirt's view of each definition.
    assert!(!virsh(&format!("net-dumpxml {iso}")).contains("<forward"));
    assert!(virsh(&format!("net-dumpxml {nat}")).contains("<forward mode='nat'>"));
    assert!(virsh(&format!("net-dumpxml {rt}")).contains("<forward mode='route'/>"));
    kernel_and_firewall_agree(&iso, [&iso_br, &nat_br, &rt_br]);

    for name in [&iso, &nat, &rt] {
        net(&["destroy", name]).ok();
        net(&["undefine", name]).ok();
    }
    for dev in [&iso_br, &nat_br, &rt_br] {
        assert!(!link_exists(dev), "{dev} left behind");
    }
}

/// Defines and starts an isolated, a NAT (autostarted) and a routed network from flags.
fn define_three(names: &[&str; 3], bridges: &[&str; 3]) {
    let out = net(&[
        "define",
        "--name",
        names[0],
        "--mode",
        "isolated",
        "--bridge",
        bridges[0],
        "--ip",
        "10.200.3.1/24",
        "--dhcp-range",
        "10.200.3.10,10.200.3.20",
        "--domain",
        "lab.example",
        "--ipv6",
        "fd00:200:3::1/64",
        "--start",
    ])
    .ok()
    .json();
    assert_eq!(out["mode"], "isolated");
    assert_eq!(out["ips"], json!(["10.200.3.1/24", "fd00:200:3::1/64"]));
    net(&[
        "define",
        "--name",
        names[1],
        "--mode",
        "nat",
        "--bridge",
        bridges[1],
        "--ip",
        "10.200.4.1/24",
        "--dhcp-range",
        "10.200.4.2,10.200.4.254",
        "--start",
        "--autostart",
    ])
    .ok()
    .json();
    let route = [
        "--mode",
        "route",
        "--bridge",
        bridges[2],
        "--ip",
        "10.200.5.1/24",
        "--start",
    ];
    net(&[&["define", "--name", names[2]], &route[..]].concat())
        .ok()
        .json();
}

/// The kernel's addresses, dnsmasq's config and the firewall rules of define_three's networks.
fn kernel_and_firewall_agree(iso: &str, [iso_br, nat_br, rt_br]: [&str; 3]) {
    let iso_addrs = addresses(iso_br);
    assert!(
        iso_addrs.contains(&"10.200.3.1/24".to_string())
            && iso_addrs.contains(&"fd00:200:3::1/64".to_string())
    );
    assert_eq!(addresses(nat_br), vec!["10.200.4.1/24"]);
    assert_eq!(addresses(rt_br), vec!["10.200.5.1/24"]);
    let conf = sh_ok(&format!("cat /var/lib/libvirt/dnsmasq/{iso}.conf"));
    assert!(
        conf.contains("domain=lab.example") && conf.contains("dhcp-range=10.200.3.10,10.200.3.20"),
        "{conf}"
    );
    // NAT only for the NAT network; the isolated one rejects forwarding both ways.
    let nat_rules = sh_ok("iptables -w -t nat -S");
    assert!(
        nat_rules.contains("-s 10.200.4.0/24 ! -d 10.200.4.0/24 -j MASQUERADE"),
        "{nat_rules}"
    );
    assert!(!nat_rules.contains("10.200.3.0/24") && !nat_rules.contains("10.200.5.0/24"));
    let filter = sh_ok("iptables -w -S");
    assert!(
        filter.contains(&format!("-A LIBVIRT_FWO -i {iso_br} -j REJECT")),
        "{filter}"
    );
    assert!(
        filter.contains(&format!("-A LIBVIRT_FWI -o {iso_br} -j REJECT")),
        "{filter}"
    );
    assert!(!filter.contains("10.200.3.0/24"), "{filter}");
}

#[test]
fn bridged_network_on_a_host_bridge() {
    let lab = lab!();
    reset_default(&lab);
    let name = lab.network("brnet");
    let bridge = lab.link("mybr");
    sh_ok(&format!(
        "ip link add {bridge} type bridge && ip link set {bridge} up"
    ));
    net(&["start", "default"]).ok();

    // The seed: stop NAT, then guests join the host bridge instead.
    net(&["net-destroy", "default"]).ok();
    let out = net(&[
        "define",
        "--name",
        &name,
        "--mode",
        "bridge",
        "--bridge",
        &bridge,
        "--start",
        "--autostart",
    ])
    .ok()
    .json();
    assert_eq!(out["mode"], "bridge");
    assert_eq!(out["bridge"], bridge.as_str());
    assert_eq!(out["ips"], json!([]));
    assert_eq!(
        (out["active"].clone(), out["autostart"].clone()),
        (json!(true), json!(true))
    );
    let xml = virsh(&format!("net-dumpxml {name}"));
    assert!(
        xml.contains("<forward mode='bridge'/>") && xml.contains(&format!("<bridge name='{bridge}'/>")),
        "{xml}"
    );
    assert!(virsh("net-list").contains(&name));
    // libvirt runs no dnsmasq and adds no rules for a host bridge.
    assert!(!std::path::Path::new(&format!("/var/lib/libvirt/dnsmasq/{name}.conf")).exists());
    assert!(!sh_ok("iptables -w -S").contains(&bridge));
    net(&["destroy", &name]).ok();
    net(&["undefine", &name]).ok();
    assert!(!defined(&name));

    copy_of_default_refused_until_edited(&lab, &name, &bridge);
    missing_host_bridge_refused(&name);
    // The host bridge is the admin's: libvirt leaves it.
    assert_eq!(
        ip_json(&format!("link show {bridge}"))[0]["ifname"],
        bridge.as_str()
    );
}

/// The seed's recipe from a file: a copy of default.xml. Only renamed, it still carries
/// default's UUID, MAC and bridge: refused before libvirt sees it. Edited as the recipe says
/// (own bridge, bridge mode, no addresses, no UUID/MAC), it works.
fn copy_of_default_refused_until_edited(lab: &Lab, name: &str, bridge: &str) {
    let default_xml = std::fs::read_to_string("/etc/libvirt/qemu/networks/default.xml").unwrap();
    let renamed = default_xml.replace("<name>default</name>", &format!("<name>{name}</name>"));
    let copy = write_file(lab, "bridged_network.xml", &renamed);
    refused(&["define", &copy], 4, "already belongs to network default");
    let edited: String = renamed
        .lines()
        .filter(|l| {
            !["<uuid>", "<mac ", "<ip ", "<dhcp>", "<range ", "</dhcp>", "</ip>"]
                .iter()
                .any(|t| l.contains(t))
        })
        .map(|l| {
            if l.contains("<forward") {
                "  <forward mode='bridge'/>".to_string()
            } else if l.contains("<bridge ") {
                format!("  <bridge name='{bridge}'/>")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let copy = write_file(lab, "bridged_network.xml", &edited);
    net(&["define", &copy]).ok().json();
    let out = net(&["start", name]).ok().json();
    assert_eq!(
        (out["mode"].as_str(), out["bridge"].as_str()),
        (Some("bridge"), Some(bridge))
    );
    assert!(virsh("net-list").contains(name));
    net(&["destroy", name]).ok();
    net(&["undefine", name]).ok();
}

/// A bridged network whose host bridge does not exist is not started (libvirt would).
fn missing_host_bridge_refused(name: &str) {
    net(&[
        "define", "--name", name, "--mode", "bridge", "--bridge", "vnnobr0",
    ])
    .ok()
    .json();
    refused(&["start", name], 3, "host bridge vnnobr0 not found");
    net(&["undefine", name]).ok();
}

#[test]
fn destroy_and_undefine() {
    let lab = lab!();
    let (persistent, transient) = (lab.network("keep"), lab.network("trans"));
    let (keep_br, trans_br) = (lab.link("vnkeep"), lab.link("vntr"));
    let define_persistent = [
        "define",
        "--name",
        &persistent,
        "--bridge",
        &keep_br,
        "--ip",
        "10.200.6.1/24",
        "--start",
    ];
    net(&define_persistent).ok().json();
    let out = net(&[
        "net-create",
        "--name",
        &transient,
        "--mode",
        "isolated",
        "--bridge",
        &trans_br,
        "--ip",
        "10.200.7.1/24",
    ])
    .ok()
    .json();
    assert_eq!(
        (out["persistent"].clone(), out["active"].clone()),
        (json!(false), json!(true))
    );
    assert!(virsh("net-list --transient").contains(&transient));
    filters_agree_with_virsh(&transient);
    transient_network_goes_away(&transient, &trans_br);
    persistent_network_stops_then_goes(&persistent, &keep_br);

    // Undefining an active network leaves it running as a transient one (virsh's behaviour).
    net(&define_persistent).ok().json();
    let out = net(&["undefine", &persistent]).ok().json();
    assert_eq!(
        (out["active"].clone(), out["persistent"].clone()),
        (json!(true), json!(false))
    );
    net(&["destroy", &persistent]).ok().json();
    assert!(!defined(&persistent));
}

fn filters_agree_with_virsh(transient: &str) {
    for filter in [
        "--transient",
        "--persistent",
        "--all --persistent",
        "--all --no-autostart",
        "--autostart",
    ] {
        let args: Vec<&str> = ["list"]
            .into_iter()
            .chain(filter.split(' '))
            .chain(["-o", "text"])
            .collect();
        assert_eq!(
            net(&args).ok().stdout,
            sh_ok(&format!("virsh net-list {filter}")),
            "{filter}"
        );
    }
    let transients = net(&["list", "--transient"]).ok().json();
    assert_eq!(transients.as_array().unwrap().len(), 1);
    assert_eq!(transients[0]["name"], transient);
}

/// A transient network has no definition to undefine; destroying it removes it altogether.
fn transient_network_goes_away(transient: &str, bridge: &str) {
    net(&["undefine", transient]).fails(3, "transient");
    let gone = net(&["destroy", transient]).ok().json();
    assert_eq!(gone["changed"], true);
    assert_eq!(gone["persistent"], false);
    assert!(!defined(transient));
    assert!(!link_exists(bridge));
    net(&["destroy", transient]).fails(3, "not found");
    assert_eq!(
        net(&["destroy", transient, "--missing-ok"]).ok().json(),
        json!({"name": transient, "changed": false})
    );
    assert_eq!(
        net(&["destroy", transient, "--if-exists"]).ok().json()["changed"],
        false
    );
}

/// The persistent one stops, stays defined, then goes.
fn persistent_network_stops_then_goes(persistent: &str, bridge: &str) {
    let out = net(&["destroy", persistent]).ok().json();
    assert_eq!(
        (out["active"].clone(), out["persistent"].clone()),
        (json!(false), json!(true))
    );
    assert!(virsh("net-list --inactive").contains(persistent));
    assert!(!link_exists(bridge));
    net(&["destroy", persistent]).fails(1, "not active");
    assert_eq!(
        net(&["destroy", persistent, "--missing-ok"]).ok().json()["changed"],
        false
    );
    let out = net(&["net-undefine", persistent]).ok().json();
    assert_eq!(out["changed"], true);
    assert!(!defined(persistent));
    assert!(!std::path::Path::new(&format!("/etc/libvirt/qemu/networks/{persistent}.xml")).exists());
    net(&["undefine", persistent]).fails(3, "not found");
    assert_eq!(
        net(&["undefine", persistent, "--missing-ok"]).ok().json()["changed"],
        false
    );
}

#[test]
fn bad_input_leaves_nothing_defined() {
    let lab = lab!();
    reset_default(&lab);
    let (x, y, z) = (lab.network("bad"), lab.network("bad"), lab.network("bad"));
    bad_files_refused(&lab, &x);
    bad_flags_refused(&x);
    collisions_refused(&lab, &x, &y);
    failed_start_undoes_the_define(&lab, &z);
}

fn bad_files_refused(lab: &Lab, x: &str) {
    let malformed = write_file(
        lab,
        "bad.xml",
        &format!("<network><name>{x}</name><ip address='10.200.8.1'"),
    );
    refused(&["define", &malformed], 7, "malformed XML");
    let unclosed = write_file(lab, "bad.xml", &format!("<network><name>{x}</name>"));
    refused(&["define", &unclosed], 7, "never closed");
    let domain = write_file(
        lab,
        "dom.xml",
        &format!("<domain type='qemu'><name>{x}</name></domain>"),
    );
    refused(&["create", &domain], 7, "expected <network>");
    let markup = write_file(lab, "markup.xml", "<network><name>a&lt;b&gt;</name></network>");
    refused(&["define", &markup], 7, "invalid network name");
    let outside = write_file(
        lab,
        "range.xml",
        &format!(
            "<network><name>{x}</name><ip address='10.200.8.1' prefix='24'><dhcp>\
             <range start='10.200.8.10' end='10.200.9.10'/></dhcp></ip></network>"
        ),
    );
    refused(&["define", &outside], 7, "outside subnet 10.200.8.0/24");
    refused(&["define", "/nonexistent/net.xml"], 3, "/nonexistent/net.xml");
    refused(&["define", &malformed, "--name", x], 2, "cannot be used with");
}

fn bad_flags_refused(x: &str) {
    let flags = |extra: &[&str]| -> Vec<String> {
        ["define", "--name", x]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };
    refused(&flags(&["--ip", "10.200.8.1/33"]), 7, "prefix longer than 32");
    refused(&flags(&["--ip", "10.200.8/24"]), 7, "not an IP address");
    let outside = ["--ip", "10.200.8.1/24", "--dhcp-range", "10.200.9.2,10.200.9.20"];
    refused(&flags(&outside), 7, "outside every");
    let reversed = [
        "--ip",
        "10.200.8.1/24",
        "--dhcp-range",
        "10.200.8.200,10.200.8.20",
    ];
    refused(&flags(&reversed), 7, "reversed");
    refused(&flags(&["--mode", "bridge"]), 7, "needs --bridge");
    refused(&flags(&["--mode", "nat"]), 7, "needs an address");
    refused(&flags(&["--mode", "route"]), 7, "needs an address");
    let long = "abcdefghijklmnop";
    refused(
        &flags(&["--mode", "bridge", "--bridge", long]),
        7,
        "longer than 15",
    );
    refused(
        &flags(&["--bridge", long, "--ip", "10.200.8.1/24"]),
        7,
        "longer than 15",
    );
    let ip = ["--ip", "10.200.8.1/24"];
    for (name, needle) in [("a<b>", "invalid network name"), ("a\tb", "control")] {
        refused(&[&["define", "--name", name], &ip[..]].concat(), 7, needle);
    }
    refused(
        &[&["create", "--name", "a\u{1b}[31m"], &ip[..]].concat(),
        7,
        "invalid network name",
    );
    refused(
        &[&["define", "--name", "default"], &ip[..]].concat(),
        4,
        "already exists",
    );
    let exist_ok = [&["define", "--name", "default"], &ip[..], &["--exist-ok"]].concat();
    // --exist-ok names the difference (the default network's addresses are others).
    refused(&exist_ok, 4, "addresses: ");
    refused(&["start", x], 3, "not found");
    refused(&["define"], 2, "needs FILE.xml or --name");
    refused(&["create", "--start"], 2, "unexpected argument");
}

/// A subnet colliding with an active network: refused by define, create and start.
fn collisions_refused(lab: &Lab, x: &str, y: &str) {
    net(&["start", "default"]).ok().json();
    let start = ["define", "--name", x, "--ip", "192.168.122.50/24", "--start"];
    refused(&start, 4, "collides with active network default");
    let create = ["create", "--name", x, "--ip", "192.168.0.1/16"];
    refused(&create, 4, "collides with active network default");
    let (xb, yb) = (lab.link("vnbad"), lab.link("vnbad"));
    net(&["define", "--name", x, "--bridge", &xb, "--ip", "10.200.8.1/24"])
        .ok()
        .json();
    net(&["create", "--name", y, "--bridge", &yb, "--ip", "10.200.8.129/25"])
        .ok()
        .json();
    refused(&["start", x], 4, &format!("collides with active network {y}"));
    assert!(virsh("net-list --inactive").contains(x));
}

/// --start failing after the define undoes the define (the journal's rollback).
fn failed_start_undoes_the_define(lab: &Lab, z: &str) {
    let busy = lab.link("vnbusy");
    sh_ok(&format!("ip link add {busy} type bridge"));
    assert_unchanged(network_names, || {
        let define = ["define", "--name", z, "--bridge", &busy, "--ip", "10.200.12.1/24"];
        net(&[&define[..], &["--start"]].concat()).fails(1, &format!("start network {z}"));
    });
}

#[test]
fn vnet_net_and_virsh_agree_both_ways() {
    let lab = lab!();
    let (name, upper) = (lab.network("agree"), lab.network("Agree"));
    let (bridge, upper_br) = (lab.link("vnagr"), lab.link("vnagr"));
    virsh_acts_vnet_net_sees(&lab, &name, &bridge);
    // Same text, same XML (and the same case-insensitive order).
    let isolated = ["--mode", "isolated", "--bridge", &upper_br];
    net(&[&["define", "--name", &upper], &isolated[..]].concat())
        .ok()
        .json();
    same_text_and_xml(&name);
    net(&["undefine", &upper]).ok().json();
    vnet_net_acts_virsh_sees(&name, &bridge);
}

fn virsh_acts_vnet_net_sees(lab: &Lab, name: &str, bridge: &str) {
    let path = write_file(lab,
        "agree.xml",
        &format!(
            "<network><name>{name}</name><forward mode='nat'/><bridge name='{bridge}'/>\
             <ip address='10.200.9.1' prefix='24'><dhcp><range start='10.200.9.2' end='10.200.9.99'/></dhcp></ip></network>"
        ),
    );
    virsh(&format!("net-define {path}"));
    let e = entry(&net(&["list", "--all"]).ok().json(), name).clone();
    assert_eq!(
        e["uuid"].as_str().unwrap(),
        virsh(&format!("net-uuid {name}")).trim()
    );
    assert_eq!(
        (e["active"].clone(), e["mode"].clone()),
        (json!(false), json!("nat"))
    );
    virsh(&format!("net-start {name}"));
    assert_eq!(net(&["info", name]).ok().json()["active"], true);
    assert!(net(&["list", "--inactive"])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["name"] != name));
    virsh(&format!("net-autostart {name}"));
    assert_eq!(net(&["info", name]).ok().json()["autostart"], true);
}

fn same_text_and_xml(name: &str) {
    for (ours, theirs) in [
        (vec!["list", "--all", "-o", "text"], "net-list --all".to_string()),
        (
            vec!["list", "--inactive", "-o", "text"],
            "net-list --inactive".to_string(),
        ),
        (vec!["info", name, "-o", "text"], format!("net-info {name}")),
        (vec!["dumpxml", name], format!("net-dumpxml {name}")),
        (
            vec!["dumpxml", "--inactive", name],
            format!("net-dumpxml --inactive {name}"),
        ),
    ] {
        assert_eq!(
            net(&ours).ok().stdout,
            sh_ok(&format!("virsh {theirs}")),
            "{ours:?}"
        );
    }
    let summary = net(&["dumpxml", name, "-o", "json"]).ok().json();
    assert_eq!(
        summary["dhcp_ranges"],
        json!([{"start": "10.200.9.2", "end": "10.200.9.99"}])
    );
    assert_eq!(summary, net(&["dumpxml", name, "-j"]).ok().json());
    assert!(summary["bridge"].is_string());
}

fn vnet_net_acts_virsh_sees(name: &str, bridge: &str) {
    net(&["autostart", name, "--disable"]).ok().json();
    assert!(virsh(&format!("net-info {name}")).contains("Autostart:      no"));
    net(&["destroy", name]).ok().json();
    assert!(virsh("net-list --inactive --name").contains(name));
    net(&["start", name]).ok().json();
    assert!(virsh("net-list --name").contains(name));
    net(&["destroy", name]).ok().json();
    net(&["undefine", name]).ok().json();
    assert!(!defined(name));
    // And one defined by vnet-net from flags is the same to virsh as a file would be.
    net(&[
        "define",
        "--name",
        name,
        "--bridge",
        bridge,
        "--ip",
        "10.200.9.1/24",
        "--dhcp-range",
        "10.200.9.2,10.200.9.99",
    ])
    .ok()
    .json();
    let xml = virsh(&format!("net-dumpxml {name}"));
    assert!(
        xml.contains("<range start='10.200.9.2' end='10.200.9.99'/>"),
        "{xml}"
    );
    assert!(xml.contains("<ip address='10.200.9.1' prefix='24'>"), "{xml}");
    virsh(&format!("net-undefine {name}"));
    assert!(net(&["list", "--all"])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["name"] != name));
}

#[test]
fn dhcp_leases_match_virsh() {
    let lab = lab!();
    let (name, bridge) = (lab.network("lease"), lab.link("vnls"));
    let namespaces = [lab.netns("vtl"), lab.netns("vtl")];
    net(&[
        "define",
        "--name",
        &name,
        "--bridge",
        &bridge,
        "--ip",
        "10.200.10.1/24",
        "--dhcp-range",
        "10.200.10.50,10.200.10.60",
        "--start",
    ])
    .ok()
    .json();
    assert_eq!(net(&["dhcp-leases", &name]).ok().json(), json!([]));
    // Two DHCP clients in namespaces on the network's bridge (traffic stays in the sandbox).
    for ns in &namespaces {
        let port = lab.link("vhl");
        sh_ok(&format!(
            "ip netns add {ns} && ip link add {port} type veth peer name eth0 netns {ns} && \
             ip link set {port} master {bridge} up && ip -n {ns} link set eth0 up && \
             ip netns exec {ns} busybox udhcpc -i eth0 -n -q -t 5 -T 2 -s /bin/true"
        ));
    }
    let ns = &namespaces[0];
    let mac = ip_json(&format!("-n {ns} link show eth0"))[0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        net(&["dhcp-leases", &name]).ok().json().as_array().unwrap().len(),
        2
    );
    let leases = net(&["net-dhcp-leases", &name]).ok().json();
    let lease = leases
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["mac"] == mac.as_str())
        .unwrap();
    assert_eq!(lease["protocol"], "ipv4");
    let ip = lease["ip"].as_str().unwrap();
    assert!(
        ip.starts_with("10.200.10.5") || ip.starts_with("10.200.10.60"),
        "{ip}"
    );
    assert!(ip.ends_with("/24"));
    assert!(lease["expiry"].as_i64().unwrap() > 0);
    assert_eq!(
        net(&["dhcp-leases", &name, "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh net-dhcp-leases {name}"))
    );
    let mine = net(&["dhcp-leases", &name, "--mac", &mac]).ok().json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let other = ["dhcp-leases", &name, "--mac", "52:54:00:00:00:99"];
    assert_eq!(net(&other).ok().json(), json!([]));
    net(&["dhcp-leases", &name, "--mac", "52:54:00:00:99"]).fails(7, "invalid MAC address");
}

#[test]
fn batch_runs_many_commands_over_one_connection() {
    let lab = lab!();
    let (name, bridge) = (lab.network("batch"), lab.link("vnbat"));
    let batch = write_file(
        &lab,
        "batch",
        &format!(
            "# a routed network's life\n\
             define --name {name} --mode route --bridge {bridge} --ip 10.200.11.1/24\n\
             net-start {name}\n\
             autostart {name}\n\
             info {name}\n\
             destroy {name}\n\
             undefine {name}\n"
        ),
    );
    let run = net(&["--batch", &batch]).ok();
    let lines = run.records();
    assert_eq!(lines.len(), 6, "{run:?}");
    assert_eq!(lines[1]["active"], true);
    assert_eq!(lines[2]["autostart"], true);
    assert_eq!(lines[3]["name"], name.as_str());
    assert!(!defined(&name));

    // Stops at the first failure with its code and a failure record; --force runs the rest.
    let failing = write_file(
        &lab,
        "batch",
        &format!("define --name {name} --ip 10.200.11.1/24\nstart nope-missing\nundefine {name}\n"),
    );
    let run = net(&["--batch", &failing]);
    assert_eq!(run.code, 3, "{run:?}");
    let records = run.records();
    assert_eq!(records.len(), 2, "{run:?}");
    assert_eq!(
        (records[1]["line"].clone(), records[1]["exit_code"].clone()),
        (json!(2), json!(3))
    );
    assert!(run.stderr.contains("line 2"), "{run:?}");
    assert!(defined(&name));
    let run = net(&["--batch", &failing, "--force"]);
    assert_eq!(run.code, 4, "{run:?}"); // line 1 now finds the name in use
    let records = run.records();
    assert_eq!(records.len(), 3, "{run:?}");
    assert_eq!(
        (records[0]["line"].clone(), records[0]["exit_code"].clone()),
        (json!(1), json!(4))
    );
    assert_eq!(records[2]["changed"], true);
    assert!(!defined(&name));
    atomic_batch_undoes_the_lines_done(&lab, &name, &bridge);
}

/// --atomic: a failed line undoes the lines before it, and its record says what was undone.
fn atomic_batch_undoes_the_lines_done(lab: &Lab, name: &str, bridge: &str) {
    let input = write_file(
        lab,
        "batch",
        &format!(
            "define --name {name} --mode route --bridge {bridge} --ip 10.200.11.1/24 --start --autostart\n\
             start nope-missing\n"
        ),
    );
    let run = net(&["--batch", &input, "--atomic"]);
    assert_eq!(run.code, 3, "{run:?}");
    let records = run.records();
    assert_eq!(records[0]["active"], true);
    assert_eq!(
        records[1]["undone"],
        json!([
            format!("autostart on network {name}"),
            format!("start network {name}"),
            format!("define network {name}")
        ])
    );
    assert_eq!(records[1]["leftovers"], json!([]));
    assert!(!defined(name));
    assert!(!link_exists(bridge));
}

#[test]
fn doctor_reports_each_check() {
    let lab = lab!();
    reset_default(&lab);
    let (name, bridge) = (lab.network("doc"), lab.link("vndoc"));
    let checks = net(&["doctor"]).ok().json();
    for n in [
        "libvirtd",
        "default_network",
        "ip_forward",
        "dnsmasq",
        "firewall",
        "kvm",
        "subnet_overlap",
    ] {
        let c = check_of(&checks, n);
        assert!(c["ok"].is_boolean() && c["detail"].is_string(), "{c}");
        assert_eq!(c["hint"].is_null(), c["ok"] == true, "{c}");
    }
    for n in ["libvirtd", "dnsmasq", "firewall"] {
        assert_eq!(check_of(&checks, n)["ok"], true, "{n}");
    }
    let default = check_of(&checks, "default_network");
    assert_eq!(
        (default["ok"].clone(), default["hint"].clone()),
        (json!(false), json!("vnet-net start default"))
    );

    net(&["start", "default"]).ok().json();
    let checks = net(&["doctor"]).ok().json();
    assert_eq!(check_of(&checks, "default_network")["ok"], true);
    assert_eq!(check_of(&checks, "ip_forward")["ok"], true);
    let overlap = check_of(&checks, "subnet_overlap");
    assert_eq!(overlap["ok"], true, "{overlap}");

    // A host route that a defined network's subnet overlaps.
    let (veth, peer) = (lab.link("vnd"), lab.link("vnd"));
    sh_ok(&format!(
        "ip link add {veth} type veth peer name {peer} && ip addr add 10.200.13.7/24 dev {veth} && \
         ip link set {veth} up"
    ));
    let define = [
        "define",
        "--name",
        &name,
        "--bridge",
        &bridge,
        "--ip",
        "10.200.13.1/24",
    ];
    net(&define).ok().json();
    let overlap = doctor_check("subnet_overlap");
    assert_eq!(overlap["ok"], false);
    let expected = format!("{name} 10.200.13.0/24 overlaps route 10.200.13.0/24 dev {veth}");
    assert!(
        overlap["detail"].as_str().unwrap().contains(&expected),
        "{overlap}"
    );
    assert!(net(&["doctor", "-o", "text"])
        .ok()
        .stdout
        .contains("FAIL  subnet_overlap"));
}

#[test]
fn unreachable_daemon_is_exit_6_with_a_hint() {
    let _lab = lab!();
    let down = "qemu+unix:///system?socket=/nonexistent/libvirt-sock";
    let run = net(&["-c", down, "list"]).fails(6, "connect to libvirt");
    assert!(run.stderr.contains("hint: start the daemon"), "{run:?}");
    // Bad input is found before connecting: still exit 7 with the daemon out of reach.
    net(&["-c", down, "define", "--name", "a<b"]).fails(7, "invalid network name");
    net(&["-c", down, "dhcp-leases", "default", "--mac", "x"]).fails(7, "invalid MAC address");
    // LIBVIRT_DEFAULT_URI is honoured like virsh does.
    let bin = bin_dir().join("vnet-net");
    let env = sh(&format!(
        "LIBVIRT_DEFAULT_URI='qemu+unix:///system?socket=/nonexistent/sock' {} list",
        bin.display()
    ));
    assert_eq!(env.code, 6, "{env:?}");
    let run = net(&["-c", "qemu:///system", "list", "--all"]).ok().json();
    assert!(run.as_array().unwrap().iter().any(|n| n["name"] == "default"));
}
