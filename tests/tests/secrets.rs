//! vnet-vm's secret verbs (virsh secret-define, secret-list, secret-dumpxml, secret-set-value,
//! secret-get-value, secret-undefine) against the sandbox's libvirtd, with virsh as the oracle:
//! the same table, document, value and confirmation lines; bad input exit 7 with the secrets as
//! they were; missing secrets exit 3.

use vnet_tests::*;

const CEPH: &str = "aaaaaaaa-2222-3333-4444-5555555555a1";
const VOLUME: &str = "aaaaaaaa-2222-3333-4444-5555555555a2";

fn text(args: &[&str]) -> String {
    let mut words = args.to_vec();
    words.extend(["-o", "text"]);
    vm(&words).ok().stdout
}

#[test]
fn secrets_as_virsh_keeps_them() {
    let lab = lab!();
    lab.on_drop(format!(
        "virsh secret-undefine {CEPH}; virsh secret-undefine {VOLUME}"
    ));
    let dir = lab.dir("sec");
    let write = |stem: &str, xml: &str| {
        let path = dir.join(stem);
        std::fs::write(&path, xml).unwrap();
        path.display().to_string()
    };
    let ceph = write(
        "ceph.xml",
        &format!("<secret ephemeral='no' private='no'><uuid>{CEPH}</uuid><description>one</description><usage type='ceph'><name>client.admin secret</name></usage></secret>"),
    );
    let volume = write(
        "vol.xml",
        &format!("<secret ephemeral='no' private='yes'><uuid>{VOLUME}</uuid><usage type='volume'><volume>/var/lib/libvirt/images/x.img</volume></usage></secret>"),
    );
    let secrets = || sh_ok("virsh secret-list");

    // Defined by vnet and by virsh: the same line; the same table.
    let made = text(&["secret-define", &ceph]);
    assert_eq!(made, format!("Secret {CEPH} created\n\n"));
    assert_eq!(
        sh_ok(&format!("virsh secret-define {volume}")),
        format!("Secret {VOLUME} created\n\n")
    );
    assert_eq!(text(&["secret-list"]), secrets());
    assert_eq!(
        text(&["secret-list", "--private"]),
        sh_ok("virsh secret-list --private")
    );
    let rows = vm(&["secret-list", "--no-private"]).ok().json();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(
        (rows[0]["usage_type"].as_str(), rows[0]["usage_id"].as_str()),
        (Some("ceph"), Some("client.admin secret"))
    );
    assert_eq!(
        vm(&["secret-dumpxml", CEPH]).ok().stdout + "\n",
        sh_ok(&format!("virsh secret-dumpxml {CEPH}"))
    );

    // The same file again: "unchanged"; another description: "updated".
    assert_eq!(
        vm(&["secret-define", &ceph]).ok().json()["definition"],
        "unchanged"
    );
    let two = write(
        "ceph2.xml",
        &std::fs::read_to_string(&ceph).unwrap().replace(">one<", ">two<"),
    );
    assert_eq!(
        vm(&["secret-define", "--file", &two]).ok().json()["definition"],
        "updated"
    );
    assert!(sh_ok(&format!("virsh secret-dumpxml {CEPH}")).contains(">two<"));

    // Values: --base64 (and virsh's bare second word), --file in base64 and --plain.
    assert_eq!(
        text(&["secret-set-value", CEPH, "--base64", "aGVsbG8="]),
        "Secret value set\n\n"
    );
    assert_eq!(
        sh_ok(&format!("virsh secret-get-value {CEPH} --plain")),
        "hello\n"
    );
    vm(&["secret-set-value", CEPH, "aGk="]).ok();
    assert_eq!(sh_ok(&format!("virsh secret-get-value {CEPH}")), "aGk=\n");
    let plain = write("value", "plain value!");
    vm(&["secret-set-value", CEPH, "--file", &plain, "--plain"]).ok();
    assert_eq!(
        text(&["secret-get-value", CEPH, "--plain"]),
        sh_ok(&format!("virsh secret-get-value {CEPH} --plain"))
    );
    assert_eq!(
        text(&["secret-get-value", CEPH]),
        sh_ok(&format!("virsh secret-get-value {CEPH}"))
    );
    assert_eq!(
        vm(&["secret-get-value", CEPH]).ok().json()["value"],
        "cGxhaW4gdmFsdWUh"
    );
    let coded = write("value64", "aGk=\n");
    vm(&["secret-set-value", "--secret", CEPH, "--file", &coded]).ok();
    assert_eq!(sh_ok(&format!("virsh secret-get-value {CEPH} --plain")), "hi\n");

    // Refused with the secrets and the value as they were.
    let state = || (secrets(), sh_ok(&format!("virsh secret-get-value {CEPH}")));
    let malformed = write("bad.xml", "<secret><uuid>");
    let not_uuid = write("bad2.xml", "<secret><uuid>nope</uuid></secret>");
    assert_unchanged(state, || {
        vm(&["secret-set-value", CEPH, "--base64", "!!!"]).fails(7, "base64");
        vm(&["secret-set-value", CEPH, "--file", &plain]).fails(7, "base64");
        vm(&["secret-set-value", CEPH, "--interactive"]).fails(7, "--interactive");
        vm(&["secret-define", &malformed]).fails(7, "malformed");
        vm(&["secret-define", &not_uuid]).fails(7, "nope");
        vm(&["secret-define", "/nonexistent/s.xml"]).fails(3, "nonexistent");
        vm(&["secret-dumpxml", "notauuid"]).fails(7, "not a UUID");
        vm(&["secret-get-value", "bbbbbbbb-2222-3333-4444-555555555555"]).fails(3, "not found");
        vm(&["secret-set-value", "bbbbbbbb-2222-3333-4444-555555555555", "aGk="]).fails(3, "not found");
        // A private secret's value cannot be read: libvirt's refusal.
        vm(&["secret-get-value", VOLUME]).fails(1, "private");
    });

    // --batch --atomic: a later failing line puts the old value back.
    assert_unchanged(state, || {
        let run = vnet_stdin(
            "vnet-vm",
            &["--batch", "-", "--atomic"],
            &format!("secret-set-value {CEPH} --base64 eHg=\ndominfo nosuchdomain\n"),
        );
        assert_eq!(run.code, 3, "{run:?}");
    });

    // Undefine: virsh's line; gone from virsh's list; again exit 3, or "changed": false.
    assert_eq!(
        text(&["secret-undefine", CEPH]),
        format!("Secret {CEPH} deleted\n\n")
    );
    assert!(!secrets().contains(CEPH));
    vm(&["secret-undefine", CEPH]).fails(3, CEPH);
    assert_eq!(
        vm(&["secret-undefine", CEPH, "--missing-ok"]).ok().json()["changed"],
        false
    );
}
