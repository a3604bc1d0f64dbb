//! The hypervisor bridge lab of issue 10, end to end in the sandbox, with vnet-bridge alone:
//! STP off, forward delay 0, MTU 9000 on the bridge and its ports, a tap and a veth brought up as
//! they are added, multicast snooping toggled, the bridge's MAC set by hand (and kept when a
//! port joins); the VLAN verbs refused cleanly on this kernel (no CONFIG_BRIDGE_VLAN_FILTERING);
//! every bad input refused with its exit code and nothing changed. Oracles: sysfs, `ip -j`,
//! `bridge -j vlan`, brctl.

use serde_json::{json, Value};
use vnet_tests::*;

/// A tap, made the way hypervisor scripts make it; down, no reader. The lab deletes it.
fn tap(lab: &Lab) -> String {
    let name = lab.link("tap");
    sh_ok(&format!("ip tuntap add dev {name} mode tap"));
    name
}

/// A veth pair, both ends down (addif --up must bring the port end up). The lab deletes it.
fn veth(lab: &Lab) -> (String, String) {
    let (a, b) = (lab.link("vp"), lab.name("vq"));
    sh_ok(&format!("ip link add {a} type veth peer name {b}"));
    (a, b)
}

/// Links, addresses, and the bridge's and ports' settings in sysfs (running timers left out).
fn full_state(bridge: &str) -> String {
    let settings = sh(&format!(
        "cd /sys/class/net/{bridge} 2>/dev/null && grep -rs . bridge/ brif/*/ 2>/dev/null \
         | grep -Ev '_timer:|gc_timer|hello_timer|tcn_timer|topology_change_timer' | sort"
    ));
    let vlans = sh("bridge -j vlan show");
    format!("{}\n{}\n{}", state_snapshot(), settings.stdout, vlans.stdout)
}

fn link(name: &str) -> Value {
    ip_json(&format!("link show dev {name}"))[0].clone()
}

fn flags(name: &str) -> Vec<String> {
    let link = link(name);
    link["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn hypervisor_bridge_lab() {
    let lab = lab!();
    let bridge = lab.link("hv");
    let tap = tap(&lab);
    let (port, _peer) = veth(&lab);
    br(&["addbr", &bridge, "--up"]).ok();
    // STP off, forward delay 0 (accepted while STP is off).
    assert_eq!(br(&["stp", &bridge, "off"]).ok().json()["changed"], false);
    assert_eq!(br(&["setfd", &bridge, "0"]).ok().json()["forward_delay"], 0.0);
    assert_eq!(sysfs(&format!("{bridge}/bridge/stp_state")), "0");
    assert_eq!(sysfs(&format!("{bridge}/bridge/forward_delay")), "0");
    // The bridge's MTU, set by hand before any port joins, then the ports brought up as added.
    let out = br(&["setmtu", &bridge, "9000"]).ok().json();
    assert_eq!(
        out,
        json!({"bridge": bridge, "mtu": 9000, "changed_links": [bridge], "changed": true})
    );
    assert!(!flags(&tap).contains(&"UP".to_string()));
    let out = br(&["addif", &bridge, &tap, &port, "--up"]).ok().json();
    assert_eq!(out["added"], json!([tap, port]));
    assert_eq!(out["brought_up"], json!([tap, port]));
    let mut ports = vec![tap.clone(), port.clone()];
    ports.sort();
    assert_eq!(bridge_ports(&bridge), ports);
    for p in [&tap, &port] {
        assert!(flags(p).contains(&"UP".to_string()), "{p}: {:?}", flags(p));
        assert_eq!(link(p)["master"], bridge.as_str());
    }
    // An up tap without a reader: UP, no carrier.
    assert!(flags(&tap).contains(&"NO-CARRIER".to_string()));
    // The kernel kept the bridge's hand-set MTU when 1500-byte ports joined.
    assert_eq!(sysfs(&format!("{bridge}/mtu")), "9000");
    // MTU 9000 on the ports too.
    let out = br(&["setmtu", &bridge, "9000", "--ports"]).ok().json();
    assert_eq!(out["changed_links"], json!(ports));
    for l in [&bridge, &tap, &port] {
        assert_eq!(sysfs(&format!("{l}/mtu")), "9000", "{l}");
        assert_eq!(link(l)["mtu"], 9000);
    }
    assert_eq!(
        br(&["setmtu", &bridge, "9000", "--ports"]).ok().json()["changed"],
        false
    );
    // One port on its own, up to the tap's own maximum.
    br(&["setportmtu", &bridge, &tap, "65521"]).ok();
    assert_eq!(sysfs(&format!("{tap}/mtu")), "65521");
    br(&["setportmtu", &bridge, &tap, "9000"]).ok();
    // Multicast snooping off and on again (sysfs oracle).
    assert_eq!(sysfs(&format!("{bridge}/bridge/multicast_snooping")), "1");
    let out = br(&["setmcsnoop", &bridge, "off"]).ok().json();
    assert_eq!(
        out,
        json!({"bridge": bridge, "multicast_snooping": false, "changed": true})
    );
    assert_eq!(sysfs(&format!("{bridge}/bridge/multicast_snooping")), "0");
    assert_eq!(br(&["setmcsnoop", &bridge, "off"]).ok().json()["changed"], false);
    br(&["setmcsnoop", &bridge, "on"]).ok();
    assert_eq!(sysfs(&format!("{bridge}/bridge/multicast_snooping")), "1");
    br(&["setmcsnoop", &bridge, "off"]).ok();
    // The bridge's MAC, upper case in, lower case out; kept when another port joins.
    let out = br(&["setmac", &bridge, "02:42:AC:11:00:02"]).ok().json();
    assert_eq!(out["mac"], "02:42:ac:11:00:02");
    assert_eq!(link(&bridge)["address"], "02:42:ac:11:00:02");
    assert_eq!(
        br(&["setmac", &bridge, "02:42:ac:11:00:02"]).ok().json()["changed"],
        false
    );
    let (third, _) = veth(&lab);
    sh_ok(&format!("ip link set {third} address 00:00:00:00:00:01"));
    br(&["addif", &bridge, &third, "--up"]).ok();
    assert_eq!(link(&bridge)["address"], "02:42:ac:11:00:02");
    // --up on a port already on the bridge but down brings it up; on an up one changes nothing.
    sh_ok(&format!("ip link set {third} down"));
    let out = br(&["addif", &bridge, &third, "--up"]).ok().json();
    assert_eq!(
        (out["added"].clone(), out["brought_up"].clone()),
        (json!([]), json!([third]))
    );
    assert_eq!(
        br(&["addif", &bridge, &third, "--up"]).ok().json()["changed"],
        false
    );
    // The lab as brctl sees it: show's text is brctl's, and STP stays off.
    let ours = br(&["show", &bridge, "-o", "text"]).ok().stdout;
    assert_eq!(ours, sh_ok(&format!("brctl show {bridge}")));
    let shown = br(&["show", &bridge]).ok().json();
    assert_eq!(shown[0]["stp"], false);
    assert_eq!(shown[0]["interfaces"].as_array().unwrap().len(), 3);
    assert_eq!(br(&["showstp", &bridge]).ok().json()["forward_delay"], 0.0);
}

#[test]
fn addif_up_is_undone_with_the_rest() {
    let lab = lab!();
    let bridge = lab.link("hu");
    br(&["addbr", &bridge]).ok();
    let (port, _) = veth(&lab);
    let (other, _) = veth(&lab);
    br(&["addif", &bridge, &other]).ok();
    // The kernel refuses lo as a port after the first interface was enslaved: the port is
    // released and stays down.
    assert_unchanged(
        || full_state(&bridge),
        || {
            br(&["addif", &bridge, &port, "lo", "--up"])
                .fails(1, "enslave 'lo'")
                .fails(1, "undone");
        },
    );
    assert!(!flags(&port).contains(&"UP".to_string()));
}

/// This kernel has no CONFIG_BRIDGE_VLAN_FILTERING: every VLAN verb is exit 6, naming the
/// feature and how to get it, and nothing changes.
#[test]
fn vlan_verbs_are_refused_cleanly_on_this_kernel() {
    let lab = lab!();
    let bridge = lab.link("vl");
    let (port, _) = veth(&lab);
    br(&["addbr", &bridge]).ok();
    br(&["addif", &bridge, &port]).ok();
    assert!(
        !std::path::Path::new(&format!("/sys/class/net/{bridge}/bridge/vlan_filtering")).exists(),
        "this test expects a kernel without bridge VLAN filtering (DESIGN.md machine facts)"
    );
    let refused = |args: &[&str]| {
        br(args)
            .fails(6, "CONFIG_BRIDGE_VLAN_FILTERING is not set")
            .fails(6, "CONFIG_BRIDGE_VLAN_FILTERING=y");
    };
    assert_unchanged(
        || full_state(&bridge),
        || {
            refused(&["setvlanfiltering", &bridge, "on"]);
            refused(&["setvlanfiltering", &bridge, "off"]);
            refused(&["vlan", "add", "dev", &port, "vid", "10", "pvid", "untagged"]);
            refused(&["vlan", "add", "dev", &port, "vid", "10"]);
            refused(&["vlan", "add", "dev", &bridge, "vid", "10", "self"]);
            refused(&["vlan", "del", "dev", &port, "vid", "1"]);
            refused(&["vlan", "del", "dev", &port, "vid", "10", "--missing-ok"]);
        },
    );
    // No port can have VLANs here: none listed, as bridge lists none.
    assert_eq!(sh_ok("bridge -j vlan show").trim(), "[]");
    assert_eq!(br(&["vlan", "show"]).ok().stdout.trim(), "[]");
    assert_eq!(br(&["vlan", "show", "dev", &port]).ok().stdout.trim(), "[]");
}

/// Every bad input of the list that vnet-bridge takes: one error line, the documented exit
/// code, nothing changed.
#[test]
fn bad_input_changes_nothing() {
    let lab = lab!();
    let bridge = lab.link("bad");
    let tap = tap(&lab);
    let (port, _) = veth(&lab);
    br(&["addbr", &bridge]).ok();
    br(&["addif", &bridge, &tap, &port]).ok();
    assert_unchanged(
        || full_state(&bridge),
        || {
            // MACs: multicast, broadcast, all zeros, malformed.
            br(&["setmac", &bridge, "01:00:5e:00:00:01"]).fails(7, "multicast");
            br(&["setmac", &bridge, "ff:ff:ff:ff:ff:ff"]).fails(7, "multicast");
            br(&["setmac", &bridge, "00:00:00:00:00:00"]).fails(7, "all zeros");
            for bad in ["02:42:ac:11:00", "02-42-ac-11-00-02", "02:42:ac:11:00:zz", "x\ny"] {
                br(&["setmac", &bridge, bad]).fails(7, "invalid MAC address");
            }
            // MTUs outside what the link and its bridge allow.
            br(&["setmtu", &bridge, "67"]).fails(7, "the kernel allows 68..65535");
            br(&["setmtu", &bridge, "65536"]).fails(7, "the kernel allows 68..65535");
            // The tap's maximum is 65521: the bridge and the veth would take 65535, the tap not,
            // so nothing at all is set.
            br(&["setmtu", &bridge, "65535", "--ports"]).fails(7, &format!("'{tap}'"));
            br(&["setportmtu", &bridge, &tap, "65522"]).fails(7, "68..65521");
            br(&["setportmtu", &bridge, &port, "0"]).fails(7, "68..65535");
            br(&["setmtu", &bridge, "jumbo"]).fails(7, "invalid MTU");
            br(&["setmtu", &bridge, "-1"]).fails(7, "invalid MTU");
            // VLAN ids 0 and 4095 (and beyond), refused before anything is sent.
            for vid in ["0", "4095"] {
                br(&["vlan", "add", "dev", &port, "vid", vid]).fails(7, "reserved by 802.1Q");
                br(&["vlan", "del", "dev", &port, "vid", vid]).fails(7, "reserved by 802.1Q");
            }
            br(&["vlan", "add", "dev", &port, "vid", "5000"]).fails(7, "1..4094");
            // Usage: a vlan verb without dev or vid, or with a word bridge(8) does not know.
            br(&["vlan", "add", "vid", "10"]).fails(2, "needs dev DEV");
            br(&["vlan", "add", "dev", &port]).fails(2, "needs vid VID");
            br(&["vlan", "add", "dev", &port, "vid", "10", "tagged"])
                .fails(2, "unexpected argument 'tagged'");
            // Objects that are missing or of the wrong kind.
            br(&["setmtu", "nosuchbr", "9000"]).fails(3, "not found");
            br(&["setmac", &port, "02:00:00:00:00:01"]).fails(7, "is not a bridge");
            br(&["setportmtu", &bridge, "lo", "9000"]).fails(3, "is not a port of bridge");
            br(&["vlan", "add", "dev", "lo", "vid", "10"]).fails(7, "neither a bridge nor a bridge port");
            br(&["setmcsnoop", &bridge, "maybe"]).fails(7, "expected on or off");
            br(&["setvlanfiltering", &bridge, "maybe"]).fails(7, "expected on or off");
        },
    );
}
