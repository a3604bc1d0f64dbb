//! End-to-end tests of `vnet-bridge mdb show|add|del` (the bridge's multicast database, as
//! bridge(8)'s mdb) with `bridge -j mdb show` as the oracle, and of `fdb append ... dst IP` on a
//! port that is not VXLAN, run beside real `bridge` on a twin port: the kernel's answer decides
//! for both. Every JSON output is validated against its verb's schema.

use serde_json::Value;
use vnet_tests::*;

/// `bridge -j mdb show` flattened into its entries (bridge wraps them in [{"mdb": [...]}]).
fn bridge_mdb(args: &str) -> Vec<Value> {
    let out = sh_ok(&format!("bridge -j mdb show {args}"));
    let all: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    all.as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["mdb"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// A snooping bridge with two up veth ports: (bridge, port a, port b, a's peer, b's peer).
fn snooping_bridge(lab: &Lab) -> (String, String, String) {
    let (bname, pa, qa, pb, qb) = (
        lab.link("br"),
        lab.link("pa"),
        lab.name("qa"),
        lab.link("pb"),
        lab.name("qb"),
    );
    sh_ok(&format!(
        "ip link add {bname} type bridge mcast_snooping 1 && \
         ip link add {pa} type veth peer name {qa} && ip link add {pb} type veth peer name {qb} && \
         ip link set {pa} master {bname} && ip link set {pb} master {bname} && \
         for l in {bname} {pa} {qa} {pb} {qb}; do ip link set $l up; done"
    ));
    (bname, pa, pb)
}

/// The entries of our groups (the kernel's own MLD joins left out), sorted.
fn ours(entries: Vec<Value>) -> Vec<Value> {
    let mut mine: Vec<Value> = entries
        .into_iter()
        .filter(|e| {
            let grp = e["grp"].as_str().unwrap();
            grp.starts_with("239.34.") || grp.starts_with("ff0e::34") || grp == "01:00:5e:22:00:01"
        })
        .collect();
    mine.sort_by_key(|e| e.to_string());
    mine
}

#[test]
fn mdb_add_show_del_as_bridge_sees_them() {
    let lab = lab!();
    let (bname, pa, pb) = snooping_bridge(&lab);
    let add = |words: &str| {
        let mut args = vec!["mdb", "add", "dev", &bname];
        args.extend(words.split_whitespace());
        br(&args).ok().json()
    };
    let added = add(&format!("port {pa} grp 239.34.0.1 permanent"));
    assert_eq!(
        (added["changed"].as_bool(), added["present"].as_bool()),
        (Some(true), Some(true))
    );
    add(&format!("port {pa} grp 239.34.0.2 temp vid 5"));
    add(&format!("port {pb} grp 239.34.0.3 src 10.34.0.9"));
    add(&format!("port {pb} grp ff0e::34"));
    add(&format!("port {bname} grp 01:00:5e:22:00:01 permanent"));
    // The oracle's entries, field for field, are vnet's show (and each add's record).
    let theirs = ours(bridge_mdb(""));
    assert_eq!(theirs.len(), 5, "{theirs:?}");
    let shown = br(&["mdb", "show"]).ok().json();
    assert_eq!(ours(shown.as_array().unwrap().clone()), theirs);
    let mut added = added.clone();
    let obj = added.as_object_mut().unwrap();
    obj.remove("changed");
    obj.remove("present");
    assert!(theirs.contains(&added), "{added} in {theirs:?}");
    // show's filters: dev, port, vid. bridge(8) 6.1 reads `port P` and lists every port's
    // entries anyway: its listing is narrowed to P here.
    for (filter, port) in [
        (format!("dev {bname}"), None),
        (format!("dev {bname} vid 5"), None),
        (format!("dev {bname}"), Some(&pa)),
        (format!("dev {bname} vid 5"), Some(&pa)),
        (String::new(), Some(&pb)),
    ] {
        let mut args = vec!["mdb", "show"];
        args.extend(filter.split_whitespace());
        if let Some(port) = port {
            args.extend(["port", port.as_str()]);
        }
        let shown = br(&args).ok().json();
        let mut theirs = ours(bridge_mdb(&filter));
        theirs.retain(|e| port.is_none_or(|p| e["port"] == p.as_str()));
        assert_eq!(ours(shown.as_array().unwrap().clone()), theirs, "{args:?}");
    }
    let text = br(&["-o", "text", "mdb", "show", "dev", &bname, "port", &pa])
        .ok()
        .stdout;
    assert!(
        text.contains(&format!("dev {bname} port {pa} grp 239.34.0.2 temp vid 5\n")),
        "{text}"
    );
    // del, also in bridge's spelling `delete`, the (S,G) entry by its source.
    let gone = br(&["mdb", "del", "dev", &bname, "port", &pa, "grp", "239.34.0.1"])
        .ok()
        .json();
    assert_eq!(
        (gone["changed"].as_bool(), gone["present"].as_bool()),
        (Some(true), Some(false))
    );
    br(&[
        "mdb",
        "delete",
        "dev",
        &bname,
        "port",
        &pb,
        "grp",
        "239.34.0.3",
        "src",
        "10.34.0.9",
    ])
    .ok()
    .json();
    let left: Vec<String> = ours(bridge_mdb(""))
        .iter()
        .map(|e| e["grp"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, ["01:00:5e:22:00:01", "239.34.0.2", "ff0e::34"]);
}

/// --exist-ok accepts only the entry asked for; every bad input is refused before the kernel is
/// asked, with the multicast database and the links unchanged.
#[test]
fn mdb_bad_input_changes_nothing() {
    let lab = lab!();
    let (bname, pa, _pb) = snooping_bridge(&lab);
    let other = lab.link("ot");
    sh_ok(&format!("ip link add {other} type veth peer name {other}x"));
    br(&[
        "mdb",
        "add",
        "dev",
        &bname,
        "port",
        &pa,
        "grp",
        "239.34.1.1",
        "permanent",
    ])
    .ok();
    let again = br(&[
        "mdb",
        "add",
        "dev",
        &bname,
        "port",
        &pa,
        "grp",
        "239.34.1.1",
        "permanent",
        "--exist-ok",
    ])
    .ok()
    .json();
    assert_eq!(again["changed"], false);
    let snapshot = || (ours(bridge_mdb("")), state_snapshot());
    assert_unchanged(snapshot, || {
        let add = |words: &str| {
            let mut args = vec!["mdb", "add"];
            args.extend(words.split_whitespace());
            br(&args)
        };
        add(&format!("dev {bname} port {pa} grp 239.34.1.1 permanent")).fails(4, "exists");
        add(&format!("dev {bname} port {pa} grp 239.34.1.1 --exist-ok")).fails(4, "not temp");
        add(&format!("dev {bname} port {pa} grp 10.34.1.1")).fails(7, "not a multicast");
        add(&format!("dev {bname} port {pa} grp 02:00:00:00:00:01")).fails(7, "not a multicast");
        add(&format!("dev {bname} port {pa} grp nonsense")).fails(7, "nonsense");
        add(&format!("dev {bname} port {pa} grp 239.34.1.2 vid 4095")).fails(7, "4095");
        add(&format!("dev {bname} port {pa} grp 239.34.1.2 src 2001:db8::1")).fails(7, "family");
        add(&format!("dev {bname} port {pa} grp 239.34.1.2 src 239.1.1.1")).fails(7, "unicast");
        add(&format!("dev {bname} port {other} grp 239.34.1.2")).fails(7, "not a port");
        add(&format!("dev {pa} port {pa} grp 239.34.1.2")).fails(7, &pa);
        add(&format!("dev nosuchbr0 port {pa} grp 239.34.1.2")).fails(3, "nosuchbr0");
        add(&format!("dev {bname} port nosuch0 grp 239.34.1.2")).fails(3, "nosuch0");
        br(&["mdb", "del", "dev", &bname, "port", &pa, "grp", "239.34.1.9"]).fails(3, "no such entry");
        let ok = br(&[
            "mdb",
            "del",
            "dev",
            &bname,
            "port",
            &pa,
            "grp",
            "239.34.1.9",
            "--missing-ok",
        ]);
        assert_eq!(ok.ok().json()["changed"], false);
        br(&["mdb", "show", "dev", "nosuch0"]).fails(3, "nosuch0");
    });
    // A bridge that does not snoop: the kernel refuses (bridge: exit 255), vnet exit 1.
    sh_ok(&format!("ip link set {bname} type bridge mcast_snooping 0"));
    let classic = sh(&format!("bridge mdb add dev {bname} port {pa} grp 239.34.1.3"));
    assert_ne!(classic.code, 0, "{classic:?}");
    assert_unchanged(
        || ours(bridge_mdb("")),
        || {
            br(&["mdb", "add", "dev", &bname, "port", &pa, "grp", "239.34.1.3"])
                .fails(1, "Invalid argument")
                .fails(1, "setmcsnoop");
        },
    );
}

/// `fdb append MAC dev PORT dst IP` on a veth port (not VXLAN): what bridge(8) does with the same
/// line on a twin port, vnet does: the same exit class and the same entry in the port's table
/// (the kernel keeps the MAC and drops dst). A "static" one the kernel refuses for both. The
/// bridge's table holds a MAC once, so the twin's MACs differ in their fifth byte (0x35).
#[test]
fn fdb_append_with_dst_on_a_port_that_is_not_vxlan() {
    let lab = lab!();
    let (_bname, pa, pb) = snooping_bridge(&lab);
    let entries = |dev: &str| -> Vec<Value> {
        let out = sh_ok(&format!("bridge -j fdb show dev {dev}"));
        let all: Value = serde_json::from_str(&out).unwrap();
        let mut mine: Vec<Value> = all
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                let mac = e["mac"].as_str().unwrap();
                mac.starts_with("02:00:00:00:34")
                    || mac.starts_with("02:00:00:00:35")
                    || mac == "00:00:00:00:00:00"
            })
            .map(|e| {
                let mut e = e.clone();
                let twin = e["mac"].as_str().unwrap().replace(":35:", ":34:");
                e["mac"] = Value::from(twin);
                e.as_object_mut().unwrap().remove("ifname");
                e
            })
            .collect();
        mine.sort_by_key(|e| e.to_string());
        mine
    };
    for words in [
        "00:00:00:00:00:00 dst 192.0.2.34",
        "02:00:00:00:34:01 dst 192.0.2.34",
        "02:00:00:00:34:02 master dst 192.0.2.34",
        "02:00:00:00:34:03 self dst 2001:db8::34",
    ] {
        let (mac, rest) = words.split_once(' ').unwrap();
        let classic = sh(&format!("bridge fdb append {mac} dev {pa} {rest}"));
        let twin = mac.replace(":34:", ":35:");
        let mut args = vec!["fdb", "append", &twin, "dev", &pb];
        args.extend(rest.split_whitespace());
        let run = br(&args);
        assert_eq!(classic.code, 0, "bridge: {classic:?}");
        let record = run.ok().json();
        assert_eq!(record["changed"], true, "{record}");
        // The kernel dropped dst on a veth: the record says so.
        assert_eq!(record["dst"], Value::Null, "{record}");
    }
    assert_eq!(entries(&pb), entries(&pa));
    assert_eq!(entries(&pb).len(), 4, "{:?}", entries(&pb));
    // Again: the entry is there ("changed": false), as bridge(8) succeeds again.
    let again = br(&[
        "fdb",
        "append",
        "02:00:00:00:35:01",
        "dev",
        &pb,
        "dst",
        "192.0.2.34",
    ])
    .ok()
    .json();
    assert_eq!(again["changed"], false);
    // static on a port's own table: the kernel refuses both (bridge exit 255, vnet exit 1).
    let classic = sh(&format!(
        "bridge fdb append 02:00:00:00:34:09 dev {pa} static dst 192.0.2.34"
    ));
    assert_ne!(classic.code, 0);
    assert_unchanged(
        || (entries(&pa), entries(&pb)),
        || {
            br(&[
                "fdb",
                "append",
                "02:00:00:00:34:09",
                "dev",
                &pb,
                "static",
                "dst",
                "192.0.2.34",
            ])
            .fails(1, "Invalid argument");
        },
    );
}
