//! virsh's iface-* verbs. On the sandbox's qemu:///system libvirt's interface driver is the
//! udev backend (Debian builds libvirt without netcf): it reads the host's interfaces and refuses
//! every change as unsupported, so there the read verbs are compared with virsh and the write
//! verbs must be refused (exit 6) with nothing changed. The write verbs themselves are proved
//! against libvirt's test driver (`-c test:///default`), which implements them all: its state
//! lives in one connection, so vnet-vm runs the steps as one `--batch` and virsh, the oracle, as
//! one `;`-separated line over its own connection.

use vnet_tests::*;

const TEST: &str = "test:///default";

fn text(args: &[&str]) -> String {
    let mut words = args.to_vec();
    words.extend(["-o", "text"]);
    vm(&words).ok().stdout
}

/// A file of the lab's with `text` in it.
fn file(lab: &Lab, name: &str, text: &str) -> String {
    let path = format!("/tmp/{}-{name}", lab.name("if"));
    std::fs::write(&path, text).unwrap();
    lab.on_drop(format!("rm -f {path}"));
    path
}

/// vnet-vm's records for a batch run over the test driver (one connection).
fn batch(script: &str) -> Vec<serde_json::Value> {
    let run = vnet_stdin("vnet-vm", &["-c", TEST, "--batch", "-"], script);
    assert_eq!(run.code, 0, "{run:?}");
    run.records()
}

#[test]
fn the_hosts_interfaces_read_as_virsh_reads_them_and_are_never_changed() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    for line in [
        "iface-list",
        "iface-list --all",
        "iface-list --inactive",
        "iface-mac lo",
    ] {
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!(text(&words), sh_ok(&format!("virsh {line}")), "{line}");
        vm(&words).ok().json();
    }
    // The document itself, as virsh prints it (but for virsh's closing blank line).
    let document = vm(&["iface-dumpxml", "lo"]).ok().stdout;
    assert_eq!(document.trim_end(), sh_ok("virsh iface-dumpxml lo").trim_end());
    assert!(document.contains("name='lo'"), "{document}");
    vm(&["iface-dumpxml", "lo", "-o", "json"]).ok().json();
    let mac = vm(&["iface-mac", "lo"]).ok().json()["mac"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(vm(&["iface-name", &mac]).ok().json()["name"], "lo");
    // virsh's option name for the bare word works too.
    assert_eq!(
        vm(&["iface-mac", "--interface", "lo"]).ok().json()["mac"],
        mac.as_str()
    );
    let by_mac = vm(&["iface-dumpxml", &mac, "--xpath", "//mtu/@size"]).ok().stdout;
    assert_eq!(
        by_mac.trim_end(),
        sh_ok(&format!("virsh iface-dumpxml {mac} --xpath //mtu/@size")).trim_end()
    );
    vm(&["iface-mac", "nosuch0"]).fails(3, "nosuch0");
    vm(&["iface-name", "52:54:00:ff:ff:ff"]).fails(3, "52:54:00:ff:ff:ff");
    vm(&["iface-dumpxml", "lo", "--xpath", "count(//mtu)"]).fails(7, "xpath");

    // The udev backend changes nothing: libvirt's refusal, as virsh gets it, and the host's
    // interfaces as they were.
    let xml = file(&lab, "eth.xml", "<interface type='ethernet' name='vnetif0'/>");
    assert_unchanged(
        || (sh_ok("virsh iface-list --all"), sh_ok("ip -j link")),
        || {
            for (ours, line) in [
                (vec!["iface-define", xml.as_str()], format!("iface-define {xml}")),
                (vec!["iface-begin"], "iface-begin".to_string()),
                (vec!["iface-start", "lo"], "iface-start lo".to_string()),
            ] {
                let virsh = sh(&format!("virsh {line}"));
                assert_ne!(virsh.code, 0, "{virsh:?}");
                let why = virsh
                    .stderr
                    .lines()
                    .last()
                    .unwrap()
                    .trim_start_matches("error: ")
                    .to_string();
                vm(&ours).fails(6, &why);
            }
            vm(&["iface-define", "/nonexistent/if.xml"]).fails(3, "if.xml");
            let network = file(&lab, "net.xml", "<network><name>n</name></network>");
            vm(&["iface-define", &network]).fails(7, "<network>");
            vm(&["iface-undefine", "nosuch0"]).fails(3, "nosuch0");
            vm(&["iface-undefine", "nosuch0", "--missing-ok"]).ok();
        },
    );
}

#[test]
fn the_test_driver_defines_starts_stops_and_removes_as_virsh_does() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    let xml = "<interface type='ethernet' name='eth9'>\n  <start mode='onboot'/>\n  \
               <mac address='52:54:00:11:22:33'/>\n</interface>\n";
    let path = file(&lab, "eth9.xml", xml);
    let steps = [
        format!("iface-define {path}"),
        "iface-list --all".into(),
        "iface-start 52:54:00:11:22:33".into(),
        "iface-list".into(),
        "iface-dumpxml eth9".into(),
        "iface-destroy eth9".into(),
        "iface-list --inactive".into(),
        "iface-undefine eth9".into(),
        "iface-list --all".into(),
    ];
    let ours = batch(&steps.join("\n"));
    let virsh = sh_ok(&format!("virsh -c {TEST} '{}'", steps.join("; ")));
    // Each list as virsh printed it: rows of name, state, MAC.
    let tables: Vec<Vec<String>> = virsh
        .split("\n\n")
        .filter(|block| block.contains("MAC Address"))
        .map(|block| {
            block
                .lines()
                .skip(2)
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect()
        })
        .collect();
    let lists: Vec<Vec<String>> = [1, 3, 6, 8]
        .iter()
        .map(|&i| {
            let rows = ours[i].as_array().unwrap_or_else(|| panic!("{}", ours[i]));
            let row = |r: &serde_json::Value| {
                format!(
                    "{} {} {}",
                    r["name"].as_str().unwrap(),
                    r["state"].as_str().unwrap(),
                    r["mac"].as_str().unwrap()
                )
            };
            rows.iter().map(row).collect()
        })
        .collect();
    assert_eq!(lists, tables, "{virsh}");
    assert!(lists[0].contains(&"eth9 inactive 52:54:00:11:22:33".to_string()));
    assert_eq!(
        (ours[0]["definition"].as_str(), ours[0]["changed"].as_bool()),
        (Some("created"), Some(true))
    );
    assert_eq!(
        (ours[2]["name"].as_str(), ours[2]["changed"].as_bool()),
        (Some("eth9"), Some(true))
    );
    let document = ours[4]["xml"].as_str().unwrap();
    assert!(virsh.contains(document.trim_end()), "{document} not in {virsh}");

    // vnet's idempotence where virsh fails: starting an active or stopping an inactive
    // interface is "changed": false.
    let again = batch(&format!("iface-define {path}\niface-define {path}\niface-start eth9\niface-start eth9\niface-destroy eth9\niface-destroy eth9"));
    let changed: Vec<_> = again.iter().map(|r| r["changed"].as_bool().unwrap()).collect();
    assert_eq!(changed, [true, false, true, false, true, false]);
    assert_eq!(again[1]["definition"], "unchanged");

    // The transaction, as virsh runs it: a second begin and a commit outside one are refused.
    let records = batch("iface-begin\niface-rollback\niface-begin\niface-commit");
    let words: Vec<_> = records
        .iter()
        .map(|r| r["transaction"].as_str().unwrap())
        .collect();
    assert_eq!(words, ["started", "rolled back", "started", "committed"]);
    let run = vnet_stdin(
        "vnet-vm",
        &["-c", TEST, "--batch", "-"],
        "iface-begin\niface-begin",
    );
    assert_eq!(run.code, 1, "{run:?}");
    let virsh = sh(&format!("virsh -c {TEST} 'iface-begin; iface-begin'"));
    let why = virsh
        .stderr
        .lines()
        .last()
        .unwrap()
        .trim_start_matches("error: ")
        .to_string();
    assert!(
        run.stdout.contains(&why) || run.stderr.contains(&why),
        "{run:?} vs {why}"
    );
}

#[test]
fn iface_edit_runs_the_editor_as_virsh_does() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    let editor = "sed -i s/1492/1400/";
    let ours = sh(&format!(
        "printf 'iface-edit eth1\\niface-dumpxml eth1\\niface-edit eth1\\n' | EDITOR='{editor}' {} -c {TEST} --batch -",
        bin_dir().join("vnet-vm").display()
    ));
    assert_eq!(ours.code, 0, "{ours:?}");
    let records: Vec<serde_json::Value> = ours
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records[0]["changed"], true);
    // The second edit finds 1400 already: the editor changes nothing.
    assert_eq!(records[2]["changed"], false);
    // virsh's iface-edit asks the test driver for the inactive XML, which it refuses; the
    // oracle is what virsh's own edit would define: the document, edited, through iface-define.
    let edited = format!("/tmp/{}-edited.xml", lab.name("if"));
    lab.on_drop(format!("rm -f {edited}"));
    sh_ok(&format!(
        "virsh -c {TEST} iface-dumpxml eth1 > {edited} && {editor} {edited}"
    ));
    let virsh = sh_ok(&format!(
        "virsh -c {TEST} 'iface-define {edited}; iface-dumpxml eth1'"
    ));
    let document = records[1]["xml"].as_str().unwrap();
    assert!(document.contains("<mtu size='1400'/>"), "{document}");
    assert!(virsh.contains(document.trim_end()), "{document} not in {virsh}");
    // An editor that leaves a document libvirt refuses: exit 7, nothing defined.
    let broken = sh(&format!(
        "EDITOR='sed -i s/interface/network/g' {} -c {TEST} iface-edit eth1",
        bin_dir().join("vnet-vm").display()
    ));
    assert_eq!(broken.code, 7, "{broken:?}");
}
