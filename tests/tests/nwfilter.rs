//! vnet-net's network filter verbs (virsh nwfilter-define, nwfilter-list, nwfilter-dumpxml,
//! nwfilter-undefine) against the sandbox's libvirtd, with virsh as the oracle: the same table,
//! document and confirmation lines; bad input exit 7 and a filter in use exit 4 with the filters
//! as they were; missing filters exit 3.

use vnet_tests::*;

const FILTER_UUID: &str = "aaaaaaaa-2222-3333-4444-5555555555f1";

fn filter_xml(name: &str, port: u16) -> String {
    format!(
        "<filter name='{name}' chain='ipv4'><uuid>{FILTER_UUID}</uuid><rule action='accept' \
         direction='out' priority='500'><ip protocol='tcp' dstportstart='{port}'/></rule></filter>"
    )
}

fn text(args: &[&str]) -> String {
    let mut words = args.to_vec();
    words.extend(["-o", "text"]);
    net(&words).ok().stdout
}

#[test]
fn filters_as_virsh_keeps_them() {
    let lab = lab!();
    let name = lab.name("nwf");
    lab.on_drop(format!("virsh nwfilter-undefine {name}"));
    let dir = lab.dir("nwf");
    let write = |stem: &str, xml: &str| {
        let path = dir.join(stem);
        std::fs::write(&path, xml).unwrap();
        path.display().to_string()
    };
    let file = write("f.xml", &filter_xml(&name, 22));
    let filters = || sh_ok("virsh nwfilter-list");
    let defined = || sh_ok(&format!("virsh nwfilter-dumpxml {name}"));

    let made = net(&["nwfilter-define", &file, "-o", "text"]).ok().stdout;
    assert_eq!(made, sh_ok(&format!("virsh nwfilter-define {file}")));
    assert_eq!(text(&["nwfilter-list"]), filters());
    assert!(filters().contains(&name));
    assert_eq!(net(&["nwfilter-dumpxml", &name]).ok().stdout + "\n", defined());
    assert_eq!(
        net(&["nwfilter-dumpxml", &name, "--xpath", "//rule/@action", "--wrap"])
            .ok()
            .stdout
            + "\n",
        sh_ok(&format!(
            "virsh nwfilter-dumpxml {name} --xpath //rule/@action --wrap"
        ))
    );
    assert_eq!(
        net(&["nwfilter-dumpxml", FILTER_UUID, "-o", "json"]).ok().json()["name"],
        name.as_str()
    );
    assert_eq!(
        net(&["nwfilter-define", "--file", &file]).ok().json()["definition"],
        "unchanged"
    );
    let other = write("g.xml", &filter_xml(&name, 2222));
    assert_eq!(
        net(&["nwfilter-define", &other, "--validate"]).ok().json()["definition"],
        "updated"
    );
    assert!(defined().contains("2222"), "{}", defined());

    // Refused with the filters as they were.
    let malformed = write("bad.xml", "<filter name='x'>");
    let nameless = write("bad2.xml", "<filter chain='ipv4'/>");
    let bad_rule = write(
        "bad3.xml",
        &format!("<filter name='{name}'><rule action='bogus' direction='out'/></filter>"),
    );
    let state = || (filters(), defined());
    assert_unchanged(state, || {
        net(&["nwfilter-define", &malformed]).fails(7, "malformed");
        net(&["nwfilter-define", &nameless]).fails(7, "no name");
        net(&["nwfilter-define", &bad_rule]).fails(7, "action");
        net(&["nwfilter-define", "/nonexistent/f.xml"]).fails(3, "nonexistent");
        net(&["nwfilter-dumpxml", "nosuchfilter"]).fails(3, "nosuchfilter");
        net(&["nwfilter-undefine", "nosuchfilter"]).fails(3, "nosuchfilter");
        // --batch --atomic: a later failing line defines the filter again.
        let run = vnet_stdin(
            "vnet-net",
            &["--batch", "-", "--atomic"],
            &format!("nwfilter-undefine {name}\ninfo nosuchnet\n"),
        );
        assert_eq!(run.code, 3, "{run:?}");
    });

    let gone = text(&["nwfilter-undefine", &name]);
    assert_eq!(gone, format!("Network filter {name} undefined\n\n"));
    assert!(!filters().contains(&name));
    net(&["nwfilter-undefine", &name]).fails(3, &name);
    assert_eq!(
        net(&["nwfilter-undefine", &name, "--missing-ok"]).ok().json()["changed"],
        false
    );
}

#[test]
fn bindings_as_virsh_keeps_them() {
    let lab = lab!();
    let filter = lab.name("nwb");
    let dev = lab.link("nwb");
    let other = lab.link("nwb");
    lab.on_drop(format!(
        "virsh nwfilter-binding-delete {dev}; virsh nwfilter-binding-delete {other}; virsh nwfilter-undefine {filter}"
    ));
    sh_ok(&format!(
        "ip link add {dev} type veth peer name {dev}p && ip link add {other} type veth peer name {other}p"
    ));
    let dir = lab.dir("nwb");
    let write = |stem: &str, xml: &str| {
        let path = dir.join(stem);
        std::fs::write(&path, xml).unwrap();
        path.display().to_string()
    };
    let filter_file = write("f.xml", &format!("<filter name='{filter}' chain='ipv4'><rule action='accept' direction='out'><ip protocol='tcp'/></rule></filter>"));
    sh_ok(&format!("virsh nwfilter-define {filter_file}"));
    let binding = |port: &str, mac: &str| {
        format!(
            "<filterbinding><owner><name>g1</name><uuid>11111111-2222-3333-4444-555555555555</uuid></owner>\
             <portdev name='{port}'/><mac address='{mac}'/><filterref filter='{filter}'/></filterbinding>"
        )
    };
    let (a, b) = (
        write("a.xml", &binding(&dev, "52:54:00:11:22:33")),
        write("b.xml", &binding(&other, "52:54:00:11:22:34")),
    );
    let bindings = || sh_ok("virsh nwfilter-binding-list");

    assert_eq!(text(&["nwfilter-binding-list"]), bindings());
    let made = text(&["nwfilter-binding-create", &a]);
    assert_eq!(
        made,
        format!("Network filter binding on {dev} created from {a}\n\n")
    );
    assert_eq!(
        sh_ok(&format!("virsh nwfilter-binding-create {b}")),
        format!("Network filter binding on {other} created from {b}\n\n")
    );
    assert_eq!(text(&["nwfilter-binding-list"]), bindings());
    assert!(bindings().contains(&dev));
    assert_eq!(
        net(&["nwfilter-binding-dumpxml", &dev]).ok().stdout + "\n",
        sh_ok(&format!("virsh nwfilter-binding-dumpxml {dev}"))
    );
    // virsh 9.0 takes --xpath here but prints the whole document (its other dumpxml verbs
    // filter): vnet-net selects the nodes, as virsh does for the rest.
    let nodes = net(&[
        "nwfilter-binding-dumpxml",
        &dev,
        "--xpath",
        "//portdev | //filterref/@filter",
    ])
    .ok()
    .stdout;
    assert_eq!(
        nodes,
        format!("<portdev name=\"{dev}\"/>\n filter=\"{filter}\"\n")
    );

    assert_eq!(
        net(&["nwfilter-binding-dumpxml", "--binding", &dev, "-o", "json"])
            .ok()
            .json()["filter"],
        filter.as_str()
    );

    // Refused with the bindings as they were: bound already (4), malformed or incomplete (7),
    // a filter in use (4), unknown bindings (3).
    let malformed = write("bad.xml", "<filterbinding>");
    let incomplete = write(
        "bad2.xml",
        &format!("<filterbinding><filterref filter='{filter}'/></filterbinding>"),
    );
    let state = || (bindings(), sh_ok("virsh nwfilter-list"));
    assert_unchanged(state, || {
        net(&["nwfilter-binding-create", &a]).fails(4, &dev);
        net(&["nwfilter-binding-create", &malformed]).fails(7, "malformed");
        net(&["nwfilter-binding-create", &incomplete]).fails(7, "portdev");
        net(&["nwfilter-undefine", &filter]).fails(4, "in use");
        net(&["nwfilter-binding-dumpxml", "nosuchdev"]).fails(3, "nosuchdev");
        net(&["nwfilter-binding-delete", "nosuchdev"]).fails(3, "nosuchdev");
        // --batch --atomic: a later failing line binds the filter again.
        let run = vnet_stdin(
            "vnet-net",
            &["--batch", "-", "--atomic"],
            &format!("nwfilter-binding-delete {dev}\ninfo nosuchnet\n"),
        );
        assert_eq!(run.code, 3, "{run:?}");
    });

    let gone = text(&["nwfilter-binding-delete", &dev]);
    assert_eq!(
        gone,
        sh_ok(&format!("virsh nwfilter-binding-delete {other}")).replace(&other, &dev)
    );
    assert!(!bindings().contains(&dev));
    assert_eq!(
        net(&["nwfilter-binding-delete", &dev, "--missing-ok"])
            .ok()
            .json()["changed"],
        false
    );
}
