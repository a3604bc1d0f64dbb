//! The tool's command line, schemas and man page, and every verb run through the shared runner
//! against libvirt's in-process test driver (test:///default: real libvirt code, no daemon).

use crate::network::NetworkState;
use crate::{Command, NetTool};
use serde_json::{json, Value};
use std::path::Path;
use virt::network::Network;
use vnet_common::libvirt::{ConnectArgs, Session};
use vnet_common::verb::TextStyle;
use vnet_common::Result;

fn parse(args: &[&str]) -> std::result::Result<Command, clap::Error> {
    let words = std::iter::once("vnet-net").chain(args.iter().copied());
    let cli = vnet_common::cli::parse::<NetTool>(words.map(String::from))?;
    Ok(cli.verb.expect("a verb"))
}

fn session(uri: &str) -> Session {
    let args = ConnectArgs {
        connect: Some(uri.into()),
        ..Default::default()
    };
    Session::new(&args, false)
}

/// A fresh in-process test driver session (its state lives as long as the connection).
fn test_driver() -> Session {
    session("test:///default")
}

struct Out {
    json: Value,
    text: String,
}

/// Runs one command line as the tool does (journal and rollback included).
fn run(s: &mut Session, args: &[&str]) -> Result<Out> {
    let done = vnet_common::cli::run_verb::<NetTool>(s, parse(args).unwrap())?;
    Ok(Out {
        json: done.output.json(),
        text: done.output.text(TextStyle::default()),
    })
}

fn names(s: &mut Session) -> Vec<String> {
    let mut v: Vec<String> = s
        .conn()
        .unwrap()
        .list_all_networks(0)
        .unwrap()
        .iter()
        .map(|n| n.get_name().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn schemas_are_current() {
    vnet_common::schema::assert_current::<NetTool>(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema"
    )));
}

#[test]
fn man_page_is_current() {
    let page = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../man/vnet-net.1"));
    vnet_common::man::assert_current(vnet_common::cli::command::<NetTool>(), page);
}

#[test]
fn cli_is_consistent() {
    vnet_common::cli::command::<NetTool>().debug_assert();
}

#[test]
fn virsh_spellings_are_aliases() {
    assert!(matches!(parse(&["net-start", "default"]).unwrap(), Command::Start(s) if s.name == "default"));
    assert!(matches!(
        parse(&["net-list", "--all", "-o", "text"]).unwrap(),
        Command::List(l) if l.all
    ));
    assert!(matches!(parse(&["start", "x", "--may-exist"]).unwrap(), Command::Start(s) if s.exist_ok));
    assert!(matches!(parse(&["destroy", "x", "--if-exists"]).unwrap(), Command::Destroy(d) if d.missing_ok));
    assert!(
        matches!(parse(&["undefine", "x", "--if-exists"]).unwrap(), Command::Undefine(u) if u.missing_ok)
    );
    assert!(matches!(
        parse(&["define", "f.xml", "--may-exist"]).unwrap(),
        Command::Define(d) if d.definition.exist_ok
    ));
}

#[test]
fn define_takes_a_file_or_flags_not_both() {
    assert!(parse(&["define", "router.xml"]).is_ok());
    assert!(parse(&["define", "--name", "x", "--mode", "route"]).is_ok());
    for bad in [
        vec!["define", "f.xml", "--name", "x"],
        vec!["define", "f.xml", "--mode", "nat"],
        vec!["define", "--name", "x", "--mode", "bogus"],
        vec!["create", "f.xml", "--start"],
    ] {
        let e = parse(&bad).unwrap_err();
        assert_eq!(
            vnet_common::cli::usage_error("vnet-net", &e).exit_code(),
            2,
            "{bad:?}"
        );
    }
}

#[test]
fn bad_input_is_refused_before_connecting() {
    let mut down = session("qemu+unix:///system?socket=/nonexistent/sock");
    for args in [
        vec!["define", "--name", "a<b"],
        vec!["create", "--name", "x", "--ip", "10.1.1.1/33"],
        vec!["start", "a b"],
        vec!["destroy", "a/b", "--missing-ok"],
        vec!["dhcp-leases", "default", "--mac", "52:54:00:ab:cd"],
    ] {
        let e = run(&mut down, &args).err().unwrap();
        assert_eq!(e.exit_code(), 7, "{args:?}: {e:?}");
    }
    assert_eq!(run(&mut down, &["list"]).err().unwrap().exit_code(), 6);
}

#[test]
fn lists_the_test_drivers_default_network() {
    let mut s = test_driver();
    let out = run(&mut s, &["list", "--all"]).unwrap();
    let default = out
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "default")
        .unwrap()
        .clone();
    assert_eq!(default["active"], true);
    assert_eq!(default["persistent"], true);
    assert!(default["ips"].is_array());
    assert!(out.text.starts_with(" Name"));
    let info = run(&mut s, &["info", "default"]).unwrap();
    assert!(
        info.text.starts_with("Name:           default\nUUID:"),
        "{}",
        info.text
    );
    assert_eq!(info.json, default);
}

#[test]
fn define_start_autostart_destroy_undefine() {
    let mut s = test_driver();
    let c = &mut s;
    let flags = [
        "define",
        "--name",
        "t-route",
        "--mode",
        "route",
        "--ip",
        "10.210.1.1/24",
    ];
    let out = run(c, &flags).unwrap();
    assert_eq!(out.json["changed"], true);
    assert_eq!(out.json["mode"], "route");
    assert_eq!(out.json["ips"], json!(["10.210.1.1/24"]));
    assert_eq!(out.json["active"], false);
    assert_eq!(out.text, "");
    redefining_needs_exist_ok(c, &flags);
    starting_and_autostarting(c);
    let summary = run(c, &["dumpxml", "t-route"]).unwrap();
    assert!(
        summary.text.contains("<forward mode='route'/>"),
        "{}",
        summary.text
    );
    assert_eq!(summary.json["mode"], "route");
    destroying_and_undefining(c);
}

/// Same definition again: accepted only with --exist-ok, and nothing changes.
fn redefining_needs_exist_ok(c: &mut Session, flags: &[&str]) {
    assert_eq!(run(c, flags).err().unwrap().exit_code(), 4);
    let again = run(c, &[flags, &["--exist-ok"]].concat()).unwrap();
    assert_eq!(again.json["changed"], false);
    let different = [
        "define",
        "--name",
        "t-route",
        "--mode",
        "nat",
        "--ip",
        "10.210.1.1/24",
        "--exist-ok",
    ];
    assert_eq!(run(c, &different).err().unwrap().exit_code(), 4);
}

fn starting_and_autostarting(c: &mut Session) {
    assert_eq!(run(c, &["start", "t-route"]).unwrap().json["active"], true);
    assert_eq!(run(c, &["start", "t-route"]).err().unwrap().exit_code(), 4);
    assert_eq!(
        run(c, &["start", "t-route", "--exist-ok"]).unwrap().json["changed"],
        false
    );
    assert_eq!(run(c, &["autostart", "t-route"]).unwrap().json["autostart"], true);
    assert_eq!(run(c, &["autostart", "t-route"]).unwrap().json["changed"], false);
    assert_eq!(
        run(c, &["autostart", "t-route", "--disable"]).unwrap().json["autostart"],
        false
    );
}

fn destroying_and_undefining(c: &mut Session) {
    assert_eq!(run(c, &["destroy", "t-route"]).unwrap().json["active"], false);
    assert_eq!(run(c, &["destroy", "t-route"]).err().unwrap().exit_code(), 1);
    assert_eq!(
        run(c, &["destroy", "t-route", "--missing-ok"]).unwrap().json["changed"],
        false
    );
    let gone = run(c, &["undefine", "t-route"]).unwrap().json;
    assert_eq!(gone["changed"], true);
    assert!(!names(c).contains(&"t-route".to_string()));
    assert_eq!(run(c, &["undefine", "t-route"]).err().unwrap().exit_code(), 3);
    assert_eq!(
        run(c, &["undefine", "t-route", "--missing-ok"]).unwrap().json,
        json!({"name": "t-route", "changed": false})
    );
    assert_eq!(run(c, &["start", "t-route"]).err().unwrap().exit_code(), 3);
}

#[test]
fn create_is_transient() {
    let mut s = test_driver();
    let c = &mut s;
    let create = [
        "create",
        "--name",
        "t-iso",
        "--mode",
        "isolated",
        "--ip",
        "10.211.1.1/24",
    ];
    let out = run(c, &create).unwrap();
    assert_eq!(
        (out.json["active"].clone(), out.json["persistent"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(run(c, &["undefine", "t-iso"]).err().unwrap().exit_code(), 3);
    let gone = run(c, &["destroy", "t-iso"]).unwrap().json;
    assert_eq!(
        gone,
        json!({"name": "t-iso", "uuid": out.json["uuid"], "active": false,
               "persistent": false, "changed": true})
    );
    assert!(!names(c).contains(&"t-iso".to_string()));
}

#[test]
fn bad_input_defines_nothing() {
    let mut s = test_driver();
    for (args, code) in [
        (vec!["define", "--name", "a<b", "--ip", "10.212.1.1/24"], 7),
        (vec!["define", "--name", "t-bad", "--ip", "10.212.1.1/33"], 7),
        (
            vec![
                "define",
                "--name",
                "t-bad",
                "--ip",
                "10.212.1.1/24",
                "--dhcp-range",
                "10.212.2.1,10.212.2.9",
            ],
            7,
        ),
        (vec!["define", "--name", "t-bad", "--mode", "bridge"], 7),
        (
            vec![
                "define",
                "--name",
                "t-bad",
                "--mode",
                "bridge",
                "--bridge",
                "abcdefghijklmnop",
            ],
            7,
        ),
        (vec!["define", "--name", "default", "--ip", "10.212.1.1/24"], 4),
        (vec!["create", "--name", "default", "--ip", "10.212.1.1/24"], 4),
        (vec!["define", "/nonexistent/net.xml"], 3),
        (vec!["define"], 2),
    ] {
        let e = run(&mut s, &args)
            .err()
            .unwrap_or_else(|| panic!("{args:?} succeeded"));
        assert_eq!(e.exit_code(), code, "{args:?}: {e:?}");
    }
    let left: Vec<String> = names(&mut s)
        .into_iter()
        .filter(|n| n == "t-bad" || n == "a<b")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_renamed_copy_of_a_definition_is_refused() {
    let mut s = test_driver();
    let mut xml = Network::lookup_by_name(s.conn().unwrap(), "default")
        .unwrap()
        .get_xml_desc(0)
        .unwrap();
    xml = xml.replace("<name>default</name>", "<name>t-copy</name>");
    let path = std::env::temp_dir().join(format!("vnet-net-copy-{}.xml", std::process::id()));
    std::fs::write(&path, &xml).unwrap();
    let e = run(&mut s, &["define", path.to_str().unwrap()]).err().unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(e.exit_code(), 4, "{e:?}");
    assert!(e.message.contains("already belongs to network default"), "{e:?}");
    assert!(!names(&mut s).contains(&"t-copy".to_string()));
}

#[test]
fn colliding_subnets_are_refused() {
    let mut s = test_driver();
    let default =
        NetworkState::read(&Network::lookup_by_name(s.conn().unwrap(), "default").unwrap()).unwrap();
    let Some(ip) = default.summary.ips.first() else {
        return;
    };
    let colliding =
        ip.address.trunc().hosts().nth(1).unwrap().to_string() + "/" + &ip.address.prefix_len().to_string();
    let e = run(
        &mut s,
        &["define", "--name", "t-coll", "--ip", &colliding, "--start"],
    )
    .err()
    .unwrap();
    assert_eq!(e.exit_code(), 4, "{e:?}");
    assert!(
        e.message.contains("collides with active network default"),
        "{e:?}"
    );
    assert!(!names(&mut s).contains(&"t-coll".to_string()));
}

#[test]
fn a_failed_start_undoes_the_define() {
    let mut s = test_driver();
    // Defined while default is down, the same subnet collides once default is up again.
    run(&mut s, &["destroy", "default"]).unwrap();
    let default =
        NetworkState::read(&Network::lookup_by_name(s.conn().unwrap(), "default").unwrap()).unwrap();
    let Some(ip) = default.summary.ips.first() else {
        return;
    };
    let cidr = ip.address.to_string();
    run(&mut s, &["define", "--name", "t-twin", "--ip", &cidr, "--start"]).unwrap();
    run(&mut s, &["destroy", "t-twin"]).unwrap();
    run(&mut s, &["start", "default"]).unwrap();
    // --exist-ok accepts the definition; the start is refused, so --autostart is not set either.
    let e = run(
        &mut s,
        &[
            "define",
            "--name",
            "t-twin",
            "--ip",
            &cidr,
            "--exist-ok",
            "--autostart",
            "--start",
        ],
    )
    .err()
    .unwrap();
    assert_eq!(e.exit_code(), 4, "{e:?}");
    let twin = NetworkState::read(&Network::lookup_by_name(s.conn().unwrap(), "t-twin").unwrap()).unwrap();
    assert_eq!((twin.active, twin.autostart), (false, false));
}

#[test]
fn a_batch_line_may_leave_out_or_repeat_the_batch_uri() {
    use vnet_common::Tool;
    let uri = |u: Option<&str>| ConnectArgs {
        connect: u.map(String::from),
        ..Default::default()
    };
    let mut s = test_driver();
    let outer = uri(Some("test:///default"));
    assert!(NetTool::enter_line(&mut s, &outer, &uri(None)).is_ok());
    assert!(NetTool::enter_line(&mut s, &outer, &outer).is_ok());
    let e = NetTool::enter_line(&mut s, &outer, &uri(Some("qemu:///system"))).unwrap_err();
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn completions_are_current() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../completions"));
    vnet_common::completion::assert_current("vnet-net", dir);
}

#[test]
fn aliases_parse_to_the_same_verb() {
    let same = |a: &[&str], b: &[&str]| {
        assert_eq!(
            format!("{:?}", parse(a).unwrap()),
            format!("{:?}", parse(b).unwrap())
        );
    };
    same(&["start", "n", "--exist-ok"], &["net-start", "n", "--may-exist"]);
    same(
        &["destroy", "n", "--missing-ok"],
        &["net-destroy", "n", "--if-exists"],
    );
    same(
        &["undefine", "n", "--missing-ok"],
        &["net-undefine", "n", "--if-exists"],
    );
    same(
        &["define", "f.xml", "--exist-ok"],
        &["net-define", "f.xml", "--may-exist"],
    );
}
