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
