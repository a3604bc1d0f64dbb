//! vnet-net's port verbs (virsh net-port-list, net-port-create, net-port-dumpxml,
//! net-port-delete) against the sandbox's libvirtd, with virsh as the oracle: the same listing,
//! the same document, the same confirmation lines; bad input exit 7 and a port in use exit 4
//! with the ports as they were; missing networks and ports exit 3.

use vnet_tests::*;

const PORT_A: &str = "aaaaaaaa-2222-3333-4444-555555555555";
const PORT_B: &str = "bbbbbbbb-2222-3333-4444-555555555555";

fn port_xml(uuid: Option<&str>, mac: &str) -> String {
    let uuid = uuid.map_or(String::new(), |u| format!("<uuid>{u}</uuid>"));
    format!(
        "<networkport>{uuid}<owner><name>g1</name><uuid>11111111-2222-3333-4444-555555555555</uuid>\
         </owner><mac address='{mac}'/></networkport>"
    )
}

#[test]
fn ports_as_virsh_shows_them() {
    let lab = lab!();
    let name = lab.network("prt");
    let bridge = lab.link("vb");
    let dir = lab.dir("prt");
    let file = dir.join("net.xml");
    std::fs::write(
        &file,
        format!("<network><name>{name}</name><bridge name='{bridge}'/><ip address='10.231.40.1' prefix='24'/></network>"),
    )
    .unwrap();
    sh_ok(&format!(
        "virsh net-define {0} && virsh net-start {name}",
        file.display()
    ));
    let ports = || sh_ok(&format!("virsh net-port-list {name} --uuid"));
    let write = |stem: &str, xml: String| {
        let path = dir.join(stem);
        std::fs::write(&path, xml).unwrap();
        path.display().to_string()
    };
    let (a, b) = (
        write("a.xml", port_xml(Some(PORT_A), "52:54:00:11:22:33")),
        write("b.xml", port_xml(Some(PORT_B), "52:54:00:11:22:34")),
    );

    // Empty: virsh's table.
    let text = |args: &[&str]| {
        let mut words = args.to_vec();
        words.extend(["-o", "text"]);
        net(&words).ok().stdout
    };
    assert_eq!(
        text(&["port-list", &name]),
        sh_ok(&format!("virsh net-port-list {name}"))
    );

    // A port made by vnet and one by virsh: the same confirmation line.
    let made = net(&["net-port-create", &name, &a, "-o", "text"]).ok().stdout;
    let virsh_made = sh_ok(&format!("virsh net-port-create {name} {b}"));
    assert_eq!(made, virsh_made.replace(PORT_B, PORT_A).replace(&b, &a));
    assert!(
        ports().contains(PORT_A) && ports().contains(PORT_B),
        "{}",
        ports()
    );

    // The listing and the document, as virsh prints them.
    assert_eq!(
        text(&["port-list", &name]),
        sh_ok(&format!("virsh net-port-list {name}"))
    );
    assert_eq!(text(&["port-list", "--network", &name, "--uuid"]), ports());
    let rows = net(&["port-list", &name]).ok().json();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["uuid"] == PORT_A)
        .unwrap()
        .clone();
    assert_eq!(
        (row["owner"].as_str(), row["mac"].as_str()),
        (Some("g1"), Some("52:54:00:11:22:33"))
    );
    assert_eq!(row["bridge"].as_str(), Some(bridge.as_str()));
    // The document as libvirt wrote it, as vnet's other dumpxml verbs print theirs (virsh
    // adds its blank line after it).
    assert_eq!(
        net(&["port-dumpxml", &name, PORT_A]).ok().stdout + "\n",
        sh_ok(&format!("virsh net-port-dumpxml {name} {PORT_A}"))
    );
    assert_eq!(
        net(&["port-dumpxml", &name, PORT_A, "-o", "json"]).ok().json()["uuid"],
        PORT_A
    );
    // --xpath [--wrap]: the nodes as virsh prints them.
    for wrap in ["", " --wrap"] {
        let mut args = vec!["port-dumpxml", &name, PORT_A, "--xpath", "//uuid | //mac"];
        args.extend(wrap.split_whitespace());
        assert_eq!(
            net(&args).ok().stdout + "\n",
            sh_ok(&format!(
                "virsh net-port-dumpxml {name} {PORT_A} --xpath '//uuid | //mac'{wrap}"
            ))
        );
    }

    // Refused with the ports as they were: no <uuid>, malformed, another root (7), a UUID in
    // use (4), a port that is not a UUID (7); missing network or port (3).
    let no_uuid = write("c.xml", port_xml(None, "52:54:00:11:22:35"));
    let malformed = write("d.xml", "<networkport><uuid>".into());
    let other_root = write("e.xml", "<network/>".into());
    assert_unchanged(ports, || {
        net(&["port-create", &name, &no_uuid]).fails(7, "uuid");
        net(&["port-create", &name, &malformed]).fails(7, "malformed");
        net(&["port-create", &name, &other_root]).fails(7, "networkport");
        net(&["port-create", &name, &a]).fails(4, PORT_A);
        net(&["port-dumpxml", &name, "not-a-uuid"]).fails(7, "not a UUID");
        net(&["port-delete", &name, "not-a-uuid"]).fails(7, "not a UUID");
        net(&["port-create", "nosuchnet", &a]).fails(3, "nosuchnet");
        net(&["port-list", "nosuchnet"]).fails(3, "nosuchnet");
    });

    // --batch --atomic: a later failing line deletes the port made again.
    std::fs::write(
        dir.join("f.xml"),
        port_xml(Some("cccccccc-2222-3333-4444-555555555555"), "52:54:00:11:22:36"),
    )
    .unwrap();
    let f = dir.join("f.xml").display().to_string();
    assert_unchanged(ports, || {
        let run = vnet_stdin(
            "vnet-net",
            &["--batch", "-", "--atomic"],
            &format!("port-create {name} {f}\ninfo nosuchnet\n"),
        );
        assert_eq!(run.code, 3, "{run:?}");
    });

    // Delete: virsh's line; gone from virsh's list; again: exit 3, or "changed": false.
    let deleted = net(&["net-port-delete", &name, PORT_A, "-o", "text"]).ok().stdout;
    let virsh_deleted = sh_ok(&format!("virsh net-port-delete {name} {PORT_B}"));
    assert_eq!(deleted, virsh_deleted.replace(PORT_B, PORT_A));
    assert_eq!(ports(), "\n");
    net(&["port-delete", &name, PORT_A]).fails(3, PORT_A);
    net(&["port-dumpxml", &name, PORT_A]).fails(3, PORT_A);
    assert_eq!(
        net(&["port-delete", &name, PORT_A, "--missing-ok"]).ok().json()["changed"],
        false
    );
}
