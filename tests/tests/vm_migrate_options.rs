//! migrate's --xml, --persistent-xml, --listen-address, --parallel [--parallel-connections N]
//! and --auto-converge-initial/--auto-converge-increment between the sandbox's libvirtd and a
//! second libvirt host (tests/second-host), virsh as the oracle: the destination runs the domain
//! from the --xml document and keeps the --persistent-xml one (virsh dumpxml there), and a line
//! libvirt refuses is refused the same way for virsh, the domain staying here.

use vnet_tests::*;

/// The kit guest without a NIC (no network needed on either host), started here.
fn started_guest(lab: &Lab) -> String {
    let name = lab.domain("migo");
    let xml = kit_guest_xml(&name);
    let start = xml.find("<interface").unwrap();
    let end = xml.find("</interface>").unwrap() + "</interface>".len();
    let xml = format!("{}{}", &xml[..start], &xml[end..]);
    let file = lab.dir("migo").join("dom.xml");
    std::fs::write(&file, xml).unwrap();
    sh_ok(&format!("virsh define {} && virsh start {name}", file.display()));
    name
}

/// The domain's XML (virsh dumpxml ARGS NAME) with a `<title>` after its name.
fn titled(args: &str, name: &str, title: &str) -> String {
    let xml = sh_ok(&format!("virsh dumpxml {args} {name}"));
    let at = xml.find("</name>").unwrap() + "</name>".len();
    format!("{}<title>{title}</title>{}", &xml[..at], &xml[at..])
}

#[test]
fn migrate_options_reach_libvirt_as_virshs_do() {
    let lab = lab!();
    let host = SecondHost::start(&lab, 98);
    let name = started_guest(&lab);
    let dir = lab.dir("migf");
    let (running, kept) = (dir.join("running.xml"), dir.join("kept.xml"));
    std::fs::write(&running, titled("--migratable", &name, "running-there")).unwrap();
    std::fs::write(&kept, titled("--inactive", &name, "kept-there")).unwrap();
    let (running, kept) = (running.display().to_string(), kept.display().to_string());

    // Refused by libvirt for both tools alike, the domain staying here: auto-converge tuning
    // without --auto-converge, and a --xml file that is not there (exit 7 before anything).
    let tuned = "--live --auto-converge-initial 30";
    assert_ne!(sh(&format!("virsh migrate {name} {} {tuned}", host.uri)).code, 0);
    let words: Vec<&str> = tuned.split(' ').collect();
    vm(&[&["migrate", &name, &host.uri][..], &words].concat()).fails(7, "Turn auto convergence on");
    vm(&[
        "migrate",
        &name,
        &host.uri,
        "--live",
        "--xml",
        "/nonexistent/d.xml",
    ])
    .fails(7, "--xml");
    assert_eq!(sh_ok(&format!("virsh domstate {name}")).trim(), "running");
    assert_eq!(host.virsh("list --all --name").trim(), "");

    let line = format!(
        "migrate {name} {} --live --persistent --undefinesource --xml {running} --persistent-xml {kept} \
         --listen-address 0.0.0.0 --parallel --parallel-connections 2 --auto-converge \
         --auto-converge-initial 30 --auto-converge-increment 5",
        host.uri
    );
    let words: Vec<&str> = line.split_whitespace().collect();
    let run = vm(&words).ok();
    let result: serde_json::Value = serde_json::from_str(run.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(result["running_on"], "destination", "{run:?}");
    assert_eq!(result["destination_persistent"], true);
    let live = host.virsh(&format!("dumpxml {name}"));
    assert!(live.contains("<title>running-there</title>"), "{live}");
    let inactive = host.virsh(&format!("dumpxml --inactive {name}"));
    assert!(inactive.contains("<title>kept-there</title>"), "{inactive}");
    assert!(!sh_ok("virsh list --all --name").contains(&name));
    lab.on_drop(format!(
        "{} -c {} destroy {name}; virsh -c {} undefine {name}",
        "virsh", host.uri, host.uri
    ));
}
