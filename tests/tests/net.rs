//! End-to-end tests of vnet-net against the real libvirtd the sandbox starts (tests/sandbox),
//! checked with virsh, `ip -j`, the dnsmasq config libvirt writes and the iptables rules.
//! Each test uses its own 10.200.N.0/24 subnets and cleans its networks up before and after.

use serde_json::{json, Value};
use vnet_tests::{bin_dir, ip_json, privileged, sh, sh_ok, unique, vnet, Run};

fn net(args: &[&str]) -> Run {
    vnet("vnet-net", args)
}

fn virsh(args: &str) -> String {
    sh_ok(&format!("virsh -q {args}"))
}

/// The shell commands that destroy and undefine networks, ignoring what is not there.
fn drop_script(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| {
            format!("virsh net-destroy '{n}' >/dev/null 2>&1; virsh net-undefine '{n}' >/dev/null 2>&1; ")
        })
        .collect()
}

/// Destroys and undefines networks (whatever state they are in), ignoring what is not there.
fn drop_networks(names: &[&str]) {
    sh(&drop_script(names));
}

const RESET_DEFAULT: &str =
    "virsh net-destroy default >/dev/null 2>&1; virsh net-autostart --disable default >/dev/null 2>&1; ";

/// Puts libvirt's `default` network back to how the sandbox starts it: defined, inactive.
fn reset_default() {
    sh(RESET_DEFAULT);
}

/// A clean-up script run when a test starts and again when it ends, even by a failed assertion.
struct Cleanup(String);

impl Cleanup {
    fn new(script: String) -> Cleanup {
        sh(&script);
        Cleanup(script)
    }

    /// Drops these networks and resets `default`, before and after the test.
    fn networks(names: &[&str]) -> Cleanup {
        Cleanup::new(drop_script(names) + RESET_DEFAULT)
    }

    /// The same, plus more clean-up commands.
    fn networks_and(names: &[&str], more: &str) -> Cleanup {
        Cleanup::new(drop_script(names) + RESET_DEFAULT + more)
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        sh(&self.0);
    }
}

/// Everything bad input must leave alone: libvirt's networks, their files, and the host links.
fn libvirt_state() -> String {
    sh_ok(
        "virsh net-list --all; virsh net-list --all --uuid; ls -1 /etc/libvirt/qemu/networks \
         /etc/libvirt/qemu/networks/autostart; ip -br addr | awk '{$2=\"\"; print}'",
    )
}

fn virsh_names() -> Vec<String> {
    let mut names: Vec<String> = sh_ok("virsh net-list --all --name")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect();
    names.sort();
    names
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

/// Writes a test input file under one directory per test run (the sandbox shares the host's /tmp,
/// so the previous run's directory is removed first instead of piling up).
fn write_file(name: &str, text: &str) -> String {
    static FRESH: std::sync::Once = std::sync::Once::new();
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::path::Path::new("/tmp/vnet-net-tests");
    FRESH.call_once(|| {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).unwrap();
    });
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let path = dir.join(format!("{n}-{name}"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn default_nat_network_starts() {
    if !privileged("default_nat_network_starts") {
        return;
    }
    let _cleanup = Cleanup::networks(&[]);
    reset_default();
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

    // Starting it again: in use, unless --exist-ok.
    net(&["start", "default"]).fails(4, "already active");
    assert_eq!(
        net(&["net-start", "default", "--exist-ok"]).ok().json()["changed"],
        false
    );
    // Text output is virsh's.
    assert_eq!(net(&["list", "-o", "text"]).ok().stdout, sh_ok("virsh net-list"));
    assert_eq!(
        net(&["info", "default", "-o", "text"]).ok().stdout,
        sh_ok("virsh net-info default")
    );

    assert_eq!(net(&["destroy", "default"]).ok().json()["active"], false);
    assert!(ip_json("link show")
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["ifname"] != "virbr0"));
    assert!(!sh_ok("iptables -w -t nat -S").contains("192.168.122.0/24"));
    reset_default();
}

#[test]
fn default_network_redefined_when_missing() {
    if !privileged("default_network_redefined_when_missing") {
        return;
    }
    reset_default();
    let saved = write_file(
        "saved-default.xml",
        &sh_ok("virsh net-dumpxml --inactive default"),
    );
    let _cleanup = Cleanup::new(format!(
        "virsh net-uuid default >/dev/null 2>&1 || virsh net-define {saved} >/dev/null; {RESET_DEFAULT}"
    ));
    let out = net(&["undefine", "default"]).ok().json();
    assert_eq!(out["changed"], true);
    assert!(!virsh_names().contains(&"default".to_string()));

    // doctor says so and names the fix; running the fix brings default back, as virsh sees it.
    let checks = net(&["doctor"]).ok().json();
    let check = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "default_network")
        .unwrap();
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
    let checks = net(&["doctor"]).ok().json();
    assert!(checks
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "default_network" && c["ok"] == true));

    // Put the sandbox's own default back (same UUID), defined and inactive.
    drop_networks(&["default"]);
    virsh(&format!("net-define {saved}"));
    reset_default();
}

const ROUTER_XML: &str = "<network>
  <name>router</name>
  <forward mode='route'/>
  <bridge name='vnrt0' stp='on' delay='0'/>
  <ip address='10.200.2.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='10.200.2.2' end='10.200.2.254'/>
    </dhcp>
  </ip>
</network>
";

#[test]
fn router_xml_defined_from_file_started_autostarted() {
    if !privileged("router_xml_defined_from_file_started_autostarted") {
        return;
    }
    let _cleanup = Cleanup::networks(&["router"]);
    drop_networks(&["router"]);
    // Where the seed keeps it; libvirt itself rewrites this file on define.
    let path = "/etc/libvirt/qemu/networks/router.xml";
    std::fs::write(path, ROUTER_XML).unwrap();

    let out = net(&["net-define", path]).ok().json();
    assert_eq!(out["changed"], true);
    assert_eq!(
        (out["persistent"].clone(), out["active"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(out["mode"], "route");
    assert_eq!(out["ips"], json!(["10.200.2.1/24"]));
    assert!(virsh("net-list --all").contains("router"));
    assert_eq!(out["uuid"].as_str().unwrap(), virsh("net-uuid router").trim());

    // The same file again: exists; with --exist-ok nothing changes; a different one is refused.
    net(&["define", path]).fails(4, "already exists");
    assert_eq!(net(&["define", path, "--exist-ok"]).ok().json()["changed"], false);
    let changed = write_file("router.xml", &ROUTER_XML.replace("10.200.2.254", "10.200.2.100"));
    net(&["define", &changed, "--exist-ok"]).fails(4, "different definition");

    let out = net(&["start", "router"]).ok().json();
    assert_eq!(out["active"], true);
    assert_eq!(addresses("vnrt0"), vec!["10.200.2.1/24"]);
    let conf = sh_ok("cat /var/lib/libvirt/dnsmasq/router.conf");
    assert!(conf.contains("dhcp-range=10.200.2.2,10.200.2.254"), "{conf}");
    // Routed: forwarding rules for the subnet, no NAT.
    let filter = sh_ok("iptables -w -S");
    assert!(
        filter.contains("-A LIBVIRT_FWO -s 10.200.2.0/24 -i vnrt0 -j ACCEPT"),
        "{filter}"
    );
    assert!(
        filter.contains("-A LIBVIRT_FWI -d 10.200.2.0/24 -o vnrt0 -j ACCEPT"),
        "{filter}"
    );
    assert!(!sh_ok("iptables -w -t nat -S").contains("10.200.2.0/24"));

    let out = net(&["autostart", "router"]).ok().json();
    assert_eq!(
        (out["autostart"].clone(), out["changed"].clone()),
        (json!(true), json!(true))
    );
    assert!(virsh("net-info router").contains("Autostart:      yes"));
    assert!(std::path::Path::new("/etc/libvirt/qemu/networks/autostart/router.xml").exists());
    assert_eq!(net(&["net-autostart", "router"]).ok().json()["changed"], false);
    let out = net(&["autostart", "router", "--disable"]).ok().json();
    assert_eq!(out["autostart"], false);
    assert!(virsh("net-info router").contains("Autostart:      no"));

    drop_networks(&["router"]);
}

#[test]
fn isolated_nat_and_routed_networks_by_flags() {
    if !privileged("isolated_nat_and_routed_networks_by_flags") {
        return;
    }
    let _cleanup = Cleanup::networks(&["vt-iso", "vt-nat", "vt-route"]);
    let (iso, nat, rt) = ("vt-iso", "vt-nat", "vt-route");
    drop_networks(&[iso, nat, rt]);
    let out = net(&[
        "define",
        "--name",
        iso,
        "--mode",
        "isolated",
        "--bridge",
        "vniso0",
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
        nat,
        "--mode",
        "nat",
        "--bridge",
        "vnnat0",
        "--ip",
        "10.200.4.1/24",
        "--dhcp-range",
        "10.200.4.2,10.200.4.254",
        "--start",
        "--autostart",
    ])
    .ok();
    net(&[
        "define",
        "--name",
        rt,
        "--mode",
        "route",
        "--bridge",
        "vnrt1",
        "--ip",
        "10.200.5.1/24",
        "--start",
    ])
    .ok();

    let list = net(&["list"]).ok().json();
    for (name, mode, bridge) in [
        (iso, "isolated", "vniso0"),
        (nat, "nat", "vnnat0"),
        (rt, "route", "vnrt1"),
    ] {
        let e = entry(&list, name);
        assert_eq!(
            (e["mode"].as_str(), e["bridge"].as_str(), e["active"].as_bool()),
            (Some(mode), Some(bridge), Some(true))
        );
    }
    assert_eq!(entry(&list, nat)["autostart"], true);
    // libvirt's view of each definition.
    assert!(!virsh(&format!("net-dumpxml {iso}")).contains("<forward"));
    assert!(virsh(&format!("net-dumpxml {nat}")).contains("<forward mode='nat'>"));
    assert!(virsh(&format!("net-dumpxml {rt}")).contains("<forward mode='route'/>"));
    // The kernel's view.
    let iso_addrs = addresses("vniso0");
    assert!(
        iso_addrs.contains(&"10.200.3.1/24".to_string())
            && iso_addrs.contains(&"fd00:200:3::1/64".to_string())
    );
    assert_eq!(addresses("vnnat0"), vec!["10.200.4.1/24"]);
    assert_eq!(addresses("vnrt1"), vec!["10.200.5.1/24"]);
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
    assert!(filter.contains("-A LIBVIRT_FWO -i vniso0 -j REJECT"), "{filter}");
    assert!(filter.contains("-A LIBVIRT_FWI -o vniso0 -j REJECT"), "{filter}");
    assert!(!filter.contains("10.200.3.0/24"), "{filter}");

    drop_networks(&[iso, nat, rt]);
    for dev in ["vniso0", "vnnat0", "vnrt1"] {
        assert_ne!(sh(&format!("ip link show {dev}")).code, 0, "{dev} left behind");
    }
}

#[test]
fn bridged_network_on_a_host_bridge() {
    if !privileged("bridged_network_on_a_host_bridge") {
        return;
    }
    let _cleanup = Cleanup::networks(&["bridged_network"]);
    let name = "bridged_network";
    drop_networks(&[name]);
    let bridge = unique("mybr");
    sh_ok(&format!(
        "ip link add {bridge} type bridge && ip link set {bridge} up"
    ));
    reset_default();
    net(&["start", "default"]).ok();

    // The seed: stop NAT, then guests join the host bridge instead.
    net(&["net-destroy", "default"]).ok();
    let out = net(&[
        "define",
        "--name",
        name,
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
    assert!(virsh("net-list").contains(name));
    // libvirt runs no dnsmasq and adds no rules for a host bridge.
    assert!(!std::path::Path::new(&format!("/var/lib/libvirt/dnsmasq/{name}.conf")).exists());
    assert!(!sh_ok("iptables -w -S").contains(&bridge));

    net(&["destroy", name]).ok();
    net(&["undefine", name]).ok();
    assert!(!virsh_names().contains(&name.to_string()));

    // The seed's recipe from a file: a copy of default.xml. Only renamed, it still carries
    // default's UUID, MAC and bridge: refused before libvirt sees it.
    let default_xml = std::fs::read_to_string("/etc/libvirt/qemu/networks/default.xml").unwrap();
    let renamed = default_xml.replace("<name>default</name>", &format!("<name>{name}</name>"));
    let copy = write_file("bridged_network.xml", &renamed);
    let before = libvirt_state();
    net(&["define", &copy]).fails(4, "already belongs to network default");
    assert_eq!(libvirt_state(), before);
    // Edited as the recipe says (own bridge, bridge mode, no addresses, no UUID/MAC), it works.
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
    let copy = write_file("bridged_network.xml", &edited);
    net(&["define", &copy]).ok();
    let out = net(&["start", name]).ok().json();
    assert_eq!(
        (out["mode"].as_str(), out["bridge"].as_str()),
        (Some("bridge"), Some(bridge.as_str()))
    );
    assert!(virsh("net-list").contains(name));
    drop_networks(&[name]);

    // A bridged network whose host bridge does not exist is not started (libvirt would).
    net(&[
        "define", "--name", name, "--mode", "bridge", "--bridge", "vnnobr0",
    ])
    .ok();
    let before = libvirt_state();
    net(&["start", name]).fails(3, "host bridge vnnobr0 not found");
    assert_eq!(libvirt_state(), before);
    drop_networks(&[name]);

    // The host bridge is the admin's: libvirt leaves it.
    assert_eq!(
        ip_json(&format!("link show {bridge}"))[0]["ifname"],
        bridge.as_str()
    );
    sh_ok(&format!("ip link del {bridge}"));
    reset_default();
}

#[test]
fn destroy_and_undefine() {
    if !privileged("destroy_and_undefine") {
        return;
    }
    let _cleanup = Cleanup::networks(&["vt-keep", "vt-trans"]);
    let (persistent, transient) = ("vt-keep", "vt-trans");
    drop_networks(&[persistent, transient]);
    net(&[
        "define",
        "--name",
        persistent,
        "--bridge",
        "vnkeep0",
        "--ip",
        "10.200.6.1/24",
        "--start",
    ])
    .ok();
    let out = net(&[
        "net-create",
        "--name",
        transient,
        "--mode",
        "isolated",
        "--bridge",
        "vntr0",
        "--ip",
        "10.200.7.1/24",
    ])
    .ok()
    .json();
    assert_eq!(
        (out["persistent"].clone(), out["active"].clone()),
        (json!(false), json!(true))
    );
    assert!(virsh("net-list --transient").contains(transient));
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
    // A transient network has no definition to undefine.
    net(&["undefine", transient]).fails(3, "transient");

    // Destroying the transient network removes it altogether.
    let gone = net(&["destroy", transient]).ok().json();
    assert_eq!(gone["changed"], true);
    assert_eq!(gone["persistent"], false);
    assert!(!virsh_names().contains(&transient.to_string()));
    assert_ne!(sh("ip link show vntr0").code, 0);
    net(&["destroy", transient]).fails(3, "not found");
    assert_eq!(
        net(&["destroy", transient, "--missing-ok"]).ok().json()["changed"],
        false
    );

    // The persistent one stops, stays defined, then goes.
    let out = net(&["destroy", persistent]).ok().json();
    assert_eq!(
        (out["active"].clone(), out["persistent"].clone()),
        (json!(false), json!(true))
    );
    assert!(virsh("net-list --inactive").contains(persistent));
    assert_ne!(sh("ip link show vnkeep0").code, 0);
    net(&["destroy", persistent]).fails(1, "not active");
    assert_eq!(
        net(&["destroy", persistent, "--missing-ok"]).ok().json()["changed"],
        false
    );
    let out = net(&["net-undefine", persistent]).ok().json();
    assert_eq!(out["changed"], true);
    assert!(!virsh_names().contains(&persistent.to_string()));
    assert!(!std::path::Path::new(&format!("/etc/libvirt/qemu/networks/{persistent}.xml")).exists());
    net(&["undefine", persistent]).fails(3, "not found");
    assert_eq!(
        net(&["undefine", persistent, "--missing-ok"]).ok().json()["changed"],
        false
    );

    // Undefining an active network leaves it running as a transient one (virsh's behaviour).
    net(&[
        "define",
        "--name",
        persistent,
        "--bridge",
        "vnkeep0",
        "--ip",
        "10.200.6.1/24",
        "--start",
    ])
    .ok();
    let out = net(&["undefine", persistent]).ok().json();
    assert_eq!(
        (out["active"].clone(), out["persistent"].clone()),
        (json!(true), json!(false))
    );
    net(&["destroy", persistent]).ok();
    assert!(!virsh_names().contains(&persistent.to_string()));
}

/// Runs a bad command and checks it failed as documented and changed nothing.
fn refused(args: &[&str], code: i32, needle: &str) {
    let before = libvirt_state();
    net(args).fails(code, needle);
    assert_eq!(libvirt_state(), before, "state changed by {args:?}");
}

#[test]
fn bad_input_leaves_nothing_defined() {
    if !privileged("bad_input_leaves_nothing_defined") {
        return;
    }
    let _cleanup = Cleanup::networks_and(
        &["vt-bad", "vt-bad2", "vt-bad3"],
        "ip link del vnbusy0 2>/dev/null; ",
    );
    let (x, y) = ("vt-bad", "vt-bad2");
    drop_networks(&[x, y]);
    reset_default();
    let flags = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut v = vec!["define", "--name", "vt-bad"];
        v.extend_from_slice(extra);
        v
    };
    let malformed = write_file("bad.xml", "<network><name>vt-bad</name><ip address='10.200.8.1'");
    refused(&["define", &malformed], 7, "malformed XML");
    let unclosed = write_file("bad.xml", "<network><name>vt-bad</name>");
    refused(&["define", &unclosed], 7, "never closed");
    let domain = write_file("dom.xml", "<domain type='qemu'><name>vt-bad</name></domain>");
    refused(&["create", &domain], 7, "expected <network>");
    let markup = write_file("markup.xml", "<network><name>a&lt;b&gt;</name></network>");
    refused(&["define", &markup], 7, "invalid network name");
    let outside = write_file(
        "range.xml",
        "<network><name>vt-bad</name><ip address='10.200.8.1' prefix='24'><dhcp>\
         <range start='10.200.8.10' end='10.200.9.10'/></dhcp></ip></network>",
    );
    refused(&["define", &outside], 7, "outside subnet 10.200.8.0/24");
    refused(&["define", "/nonexistent/net.xml"], 3, "/nonexistent/net.xml");
    refused(&flags(&["--ip", "10.200.8.1/33"]), 7, "prefix longer than 32");
    refused(&flags(&["--ip", "10.200.8/24"]), 7, "not an IP address");
    refused(
        &flags(&["--ip", "10.200.8.1/24", "--dhcp-range", "10.200.9.2,10.200.9.20"]),
        7,
        "outside every",
    );
    refused(
        &flags(&[
            "--ip",
            "10.200.8.1/24",
            "--dhcp-range",
            "10.200.8.200,10.200.8.20",
        ]),
        7,
        "reversed",
    );
    refused(
        &["define", "--name", "a<b>", "--ip", "10.200.8.1/24"],
        7,
        "invalid network name",
    );
    refused(
        &["define", "--name", "a\tb", "--ip", "10.200.8.1/24"],
        7,
        "control",
    );
    refused(
        &["create", "--name", "a\u{1b}[31m", "--ip", "10.200.8.1/24"],
        7,
        "invalid network name",
    );
    refused(&flags(&["--mode", "bridge"]), 7, "needs --bridge");
    refused(&flags(&["--mode", "nat"]), 7, "needs an address");
    refused(&flags(&["--mode", "route"]), 7, "needs an address");
    refused(
        &flags(&["--mode", "bridge", "--bridge", "abcdefghijklmnop"]),
        7,
        "longer than 15",
    );
    refused(
        &flags(&["--bridge", "abcdefghijklmnop", "--ip", "10.200.8.1/24"]),
        7,
        "longer than 15",
    );
    refused(
        &["define", "--name", "default", "--ip", "10.200.8.1/24"],
        4,
        "already exists",
    );
    refused(
        &[
            "define",
            "--name",
            "default",
            "--ip",
            "10.200.8.1/24",
            "--exist-ok",
        ],
        4,
        "different definition",
    );
    refused(&["start", x], 3, "not found");
    refused(&["define", &malformed, "--name", x], 2, "cannot be used with");
    refused(&["define"], 2, "needs FILE.xml or --name");
    refused(&["create", "--start"], 2, "unexpected argument");

    // A subnet colliding with an active network: refused by define, create and start.
    net(&["start", "default"]).ok();
    refused(
        &["define", "--name", x, "--ip", "192.168.122.50/24", "--start"],
        4,
        "collides with active network default",
    );
    refused(
        &["create", "--name", x, "--ip", "192.168.0.1/16"],
        4,
        "collides with active network default",
    );
    net(&[
        "define",
        "--name",
        x,
        "--bridge",
        "vnbad0",
        "--ip",
        "10.200.8.1/24",
    ])
    .ok();
    net(&[
        "create",
        "--name",
        y,
        "--bridge",
        "vnbad1",
        "--ip",
        "10.200.8.129/25",
    ])
    .ok();
    refused(&["start", x], 4, "collides with active network vt-bad2");
    assert!(virsh("net-list --inactive").contains(x));

    // --start failing after the define undoes the define.
    let before = virsh_names();
    sh_ok("ip link add vnbusy0 type bridge");
    net(&[
        "define",
        "--name",
        "vt-bad3",
        "--bridge",
        "vnbusy0",
        "--ip",
        "10.200.12.1/24",
        "--start",
    ])
    .fails(1, "start network vt-bad3");
    assert_eq!(virsh_names(), before, "failed --start left a definition");
    sh_ok("ip link del vnbusy0");

    drop_networks(&[x, y]);
    reset_default();
}

#[test]
fn vnet_net_and_virsh_agree_both_ways() {
    if !privileged("vnet_net_and_virsh_agree_both_ways") {
        return;
    }
    let _cleanup = Cleanup::networks(&["vt-agree", "Vt-Agree-Upper"]);
    let name = "vt-agree";
    drop_networks(&[name]);
    // virsh acts, vnet-net sees it.
    let path = write_file(
        "agree.xml",
        "<network><name>vt-agree</name><forward mode='nat'/><bridge name='vnagr0'/>\
         <ip address='10.200.9.1' prefix='24'><dhcp><range start='10.200.9.2' end='10.200.9.99'/></dhcp></ip></network>",
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
    // Same text, same XML (and the same case-insensitive order).
    net(&[
        "define",
        "--name",
        "Vt-Agree-Upper",
        "--mode",
        "isolated",
        "--bridge",
        "vnagr1",
    ])
    .ok();
    assert_eq!(
        net(&["list", "--all", "-o", "text"]).ok().stdout,
        sh_ok("virsh net-list --all")
    );
    assert_eq!(
        net(&["list", "--inactive", "-o", "text"]).ok().stdout,
        sh_ok("virsh net-list --inactive")
    );
    assert_eq!(
        net(&["info", name, "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh net-info {name}"))
    );
    assert_eq!(
        net(&["dumpxml", name]).ok().stdout,
        sh_ok(&format!("virsh net-dumpxml {name}"))
    );
    assert_eq!(
        net(&["dumpxml", "--inactive", name]).ok().stdout,
        sh_ok(&format!("virsh net-dumpxml --inactive {name}"))
    );
    let summary = net(&["dumpxml", name, "-o", "json"]).ok().json();
    assert_eq!(
        summary["dhcp_ranges"],
        json!([{"start": "10.200.9.2", "end": "10.200.9.99"}])
    );
    assert_eq!(summary["bridge"], "vnagr0");

    drop_networks(&["Vt-Agree-Upper"]);

    // vnet-net acts, virsh sees it.
    net(&["autostart", name, "--disable"]).ok();
    assert!(virsh(&format!("net-info {name}")).contains("Autostart:      no"));
    net(&["destroy", name]).ok();
    assert!(virsh("net-list --inactive --name").contains(name));
    net(&["start", name]).ok();
    assert!(virsh("net-list --name").contains(name));
    net(&["destroy", name]).ok();
    net(&["undefine", name]).ok();
    assert!(!virsh_names().contains(&name.to_string()));
    // And one defined by vnet-net from flags is the same to virsh as a file would be.
    net(&[
        "define",
        "--name",
        name,
        "--bridge",
        "vnagr0",
        "--ip",
        "10.200.9.1/24",
        "--dhcp-range",
        "10.200.9.2,10.200.9.99",
    ])
    .ok();
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
    if !privileged("dhcp_leases_match_virsh") {
        return;
    }
    let _cleanup = Cleanup::networks_and(
        &["vt-lease"],
        "ip link del vhl0 2>/dev/null; ip link del vhl1 2>/dev/null; ",
    );
    let name = "vt-lease";
    let namespaces = [unique("vtl"), unique("vtl")];
    net(&[
        "define",
        "--name",
        name,
        "--bridge",
        "vnlease0",
        "--ip",
        "10.200.10.1/24",
        "--dhcp-range",
        "10.200.10.50,10.200.10.60",
        "--start",
    ])
    .ok();
    assert_eq!(net(&["dhcp-leases", name]).ok().json(), json!([]));
    // Two DHCP clients in namespaces on the network's bridge (traffic stays in the sandbox).
    for (i, ns) in namespaces.iter().enumerate() {
        sh_ok(&format!(
            "ip netns add {ns} && ip link add vhl{i} type veth peer name eth0 netns {ns} && \
             ip link set vhl{i} master vnlease0 up && ip -n {ns} link set eth0 up && \
             ip netns exec {ns} busybox udhcpc -i eth0 -n -q -t 5 -T 2 -s /bin/true"
        ));
    }
    let ns = &namespaces[0];
    let mac = ip_json(&format!("-n {ns} link show eth0"))[0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        net(&["dhcp-leases", name]).ok().json().as_array().unwrap().len(),
        2
    );
    let leases = net(&["net-dhcp-leases", name]).ok().json();
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
        net(&["dhcp-leases", name, "-o", "text"]).ok().stdout,
        sh_ok(&format!("virsh net-dhcp-leases {name}"))
    );
    assert_eq!(
        net(&["dhcp-leases", name, "--mac", &mac])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        net(&["dhcp-leases", name, "--mac", "52:54:00:00:00:99"])
            .ok()
            .json(),
        json!([])
    );
    for ns in &namespaces {
        sh(&format!("ip netns del {ns}"));
    }
    drop_networks(&[name]);
}

#[test]
fn batch_runs_many_commands_over_one_connection() {
    if !privileged("batch_runs_many_commands_over_one_connection") {
        return;
    }
    let _cleanup = Cleanup::networks(&["vt-batch"]);
    let name = "vt-batch";
    drop_networks(&[name]);
    let batch = write_file(
        "batch",
        "# a routed network's life\n\
         define --name vt-batch --mode route --bridge vnbat0 --ip 10.200.11.1/24\n\
         net-start vt-batch\n\
         autostart vt-batch\n\
         info vt-batch\n\
         destroy vt-batch\n\
         undefine vt-batch\n",
    );
    let run = net(&["--batch", &batch]).ok();
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6, "{run:?}");
    assert_eq!(lines[1]["active"], true);
    assert_eq!(lines[2]["autostart"], true);
    assert_eq!(lines[3]["name"], name);
    assert!(!virsh_names().contains(&name.to_string()));

    // Stops at the first failure with its code; --force runs the rest.
    let failing = write_file(
        "batch",
        "define --name vt-batch --ip 10.200.11.1/24\nstart nope-missing\nundefine vt-batch\n",
    );
    let run = net(&["--batch", &failing]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(run.stdout.lines().count(), 1);
    assert!(run.stderr.contains("line 2"), "{run:?}");
    assert!(virsh_names().contains(&name.to_string()));
    let run = net(&["--batch", &failing, "--force"]);
    assert_eq!(run.code, 4, "{run:?}"); // line 1 now finds the name in use
    assert!(!virsh_names().contains(&name.to_string()));
}

#[test]
fn doctor_reports_each_check() {
    if !privileged("doctor_reports_each_check") {
        return;
    }
    let _cleanup = Cleanup::networks_and(&["vt-doc"], "ip link del vnd0 2>/dev/null; ");
    let name = "vt-doc";
    drop_networks(&[name]);
    reset_default();
    let checks = net(&["doctor"]).ok().json();
    let check = |checks: &Value, n: &str| {
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap()
            .clone()
    };
    for n in [
        "libvirtd",
        "default_network",
        "ip_forward",
        "dnsmasq",
        "firewall",
        "kvm",
        "subnet_overlap",
    ] {
        let c = check(&checks, n);
        assert!(c["ok"].is_boolean() && c["detail"].is_string(), "{c}");
        assert_eq!(c["hint"].is_null(), c["ok"] == true, "{c}");
    }
    assert_eq!(check(&checks, "libvirtd")["ok"], true);
    assert_eq!(check(&checks, "dnsmasq")["ok"], true);
    assert_eq!(check(&checks, "firewall")["ok"], true);
    let default = check(&checks, "default_network");
    assert_eq!(
        (default["ok"].clone(), default["hint"].clone()),
        (json!(false), json!("vnet-net start default"))
    );

    net(&["start", "default"]).ok();
    let checks = net(&["doctor"]).ok().json();
    assert_eq!(check(&checks, "default_network")["ok"], true);
    assert_eq!(check(&checks, "ip_forward")["ok"], true);
    let overlap = check(&checks, "subnet_overlap");
    assert_eq!(overlap["ok"], true, "{overlap}");

    // A host route that a defined network's subnet overlaps.
    sh_ok("ip link add vnd0 type veth peer name vnd1 && ip addr add 10.200.13.7/24 dev vnd0 && ip link set vnd0 up");
    net(&[
        "define",
        "--name",
        name,
        "--bridge",
        "vndoc0",
        "--ip",
        "10.200.13.1/24",
    ])
    .ok();
    let overlap = check(&net(&["doctor"]).ok().json(), "subnet_overlap");
    assert_eq!(overlap["ok"], false);
    assert!(
        overlap["detail"]
            .as_str()
            .unwrap()
            .contains("vt-doc 10.200.13.0/24 overlaps route 10.200.13.0/24 dev vnd0"),
        "{overlap}"
    );
    assert!(net(&["doctor", "-o", "text"])
        .ok()
        .stdout
        .contains("FAIL  subnet_overlap"));
    sh_ok("ip link del vnd0");
    drop_networks(&[name]);
    reset_default();
}

#[test]
fn unreachable_daemon_is_exit_6_with_a_hint() {
    if !privileged("unreachable_daemon_is_exit_6_with_a_hint") {
        return;
    }
    let run = net(&[
        "-c",
        "qemu+unix:///system?socket=/nonexistent/libvirt-sock",
        "list",
    ])
    .fails(6, "connect to libvirt");
    assert!(run.stderr.contains("hint: start the daemon"), "{run:?}");
    // Bad input is found before connecting: still exit 7 with the daemon out of reach.
    net(&[
        "-c",
        "qemu+unix:///system?socket=/nonexistent/libvirt-sock",
        "define",
        "--name",
        "a<b",
    ])
    .fails(7, "invalid network name");
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
