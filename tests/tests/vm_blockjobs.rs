//! virsh's block job verbs (blockpull, blockcopy, blockjob) and disk conditions (domblkerror,
//! domblkthreshold) against the sandbox's libvirtd and one kit guest under TCG with two qcow2
//! disks: vda alone, vdb an overlay on a base image. Oracles: qemu-img (backing chains and
//! formats), virsh's own output (blockjob --raw, domblkerror, domblklist, domstats).

use std::path::Path;
use vnet_tests::*;

/// The guest: vda a plain qcow2, vdb top.qcow2 over base.qcow2, vdc top2.qcow2 over
/// base2.qcow2; defined and started.
fn guest_with_chain(lab: &Lab, dir: &Path) -> String {
    default_network(lab);
    let name = lab.domain("bj");
    let d = dir.display();
    sh_ok(&format!(
        "qemu-img create -q -f qcow2 {d}/vda.qcow2 32M && qemu-img create -q -f qcow2 {d}/base.qcow2 32M \
         && qemu-img create -q -f qcow2 -b {d}/base.qcow2 -F qcow2 {d}/top.qcow2 \
         && qemu-img create -q -f qcow2 {d}/base2.qcow2 32M \
         && qemu-img create -q -f qcow2 -b {d}/base2.qcow2 -F qcow2 {d}/top2.qcow2"
    ));
    let disk = |file: &str, target: &str| {
        format!(
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='{d}/{file}'/><target dev='{target}' bus='virtio'/></disk>"
        )
    };
    let disks =
        disk("vda.qcow2", "vda") + &disk("top.qcow2", "vdb") + &disk("top2.qcow2", "vdc") + "<interface";
    let xml = kit_guest_xml(&name).replacen("<interface", &disks, 1);
    let file = dir.join("guest.xml");
    std::fs::write(&file, xml).unwrap();
    sh_ok(&format!("virsh define {} && virsh start {name}", file.display()));
    name
}

fn text(args: &[&str]) -> String {
    let mut words = args.to_vec();
    words.extend(["-o", "text"]);
    vm(&words).ok().stdout
}

#[test]
fn block_jobs_do_what_virsh_does() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    let dir = lab.dir("bj");
    let name = guest_with_chain(&lab, &dir);
    let d = dir.display().to_string();

    // No errors, no job: virsh's words.
    assert_eq!(vm(&["domblkerror", &name]).ok().json(), serde_json::json!([]));
    assert_eq!(
        text(&["domblkerror", &name]),
        sh_ok(&format!("virsh domblkerror {name}"))
    );
    assert_eq!(
        text(&["blockjob", &name, "vda"]),
        sh_ok(&format!("virsh blockjob {name} vda"))
    );
    assert_eq!(
        vm(&["blockjob", &name, "vda"]).ok().json()["job"],
        serde_json::Value::Null
    );

    // The write threshold: libvirt's block stats show it.
    let set = vm(&["domblkthreshold", &name, "vda", "1M"]).ok().json();
    assert_eq!(
        (set["changed"].as_bool(), set["threshold_bytes"].as_u64()),
        (Some(true), Some(1048576))
    );
    assert!(sh_ok(&format!("virsh domstats --block {name}")).contains(".threshold=1048576"));

    // Pull vdb's base into its top: qemu-img sees no backing file any more.
    assert!(sh_ok(&format!("qemu-img info -U {d}/top.qcow2")).contains("backing file"));
    let pulled = vm(&["blockpull", &name, "vdb", "--wait", "--verbose"])
        .ok()
        .json();
    assert_eq!(pulled["completed"], true);
    assert!(!sh_ok(&format!("qemu-img info -U {d}/top.qcow2")).contains("backing file"));

    // Commit vdc's active top into its base and pivot: the disk runs on base2.qcow2.
    let committed = vm(&["blockcommit", &name, "vdc", "--active", "--pivot", "--verbose"])
        .ok()
        .json();
    assert_eq!(
        (committed["pivoted"].as_bool(), committed["job"].is_null()),
        (Some(true), true)
    );
    let blk = sh_ok(&format!("virsh domblklist {name}"));
    assert!(
        blk.contains(&format!("{d}/base2.qcow2")) && !blk.contains("top2.qcow2"),
        "{blk}"
    );

    // Copy vda: a persistent domain needs --transient-job, for virsh as for us.
    let copy = format!("{d}/copy.qcow2");
    assert_ne!(sh(&format!("virsh blockcopy {name} vda --dest {copy}")).code, 0);
    assert_unchanged(
        || domain_snapshot(&name),
        || {
            vm(&["blockcopy", &name, "vda", "--dest", &copy]).fails(1, "domain is not transient");
        },
    );
    // Mirroring after --wait, shown and throttled as virsh shows it, then pivoted.
    let started = vm(&[
        "blockcopy",
        &name,
        "vda",
        "--dest",
        &copy,
        "--format",
        "qcow2",
        "--transient-job",
        "--wait",
        "--verbose",
    ])
    .ok()
    .json();
    assert_eq!(
        (started["ready"].as_bool(), started["job"]["kind"].as_str()),
        (Some(true), Some("Block Copy"))
    );
    assert_eq!(
        text(&["blockjob", &name, "vda", "--raw"]),
        sh_ok(&format!("virsh blockjob {name} vda --raw"))
    );
    let slowed = vm(&["blockjob", &name, "vda", "--bandwidth", "10"]).ok().json();
    assert_eq!(slowed["job"]["bandwidth_bytes"], 10485760);
    assert!(sh_ok(&format!("virsh blockjob {name} vda --raw --bytes")).contains("bandwidth=10485760"));
    for raw in [&["--raw"][..], &["--raw", "--bytes"]] {
        let mut ours = vec!["blockjob", &name, "vda"];
        ours.extend(raw);
        assert_eq!(
            text(&ours),
            sh_ok(&format!("virsh blockjob {name} vda {}", raw.join(" ")))
        );
    }
    vm(&["blockjob", &name, "vda", "--pivot"]).ok();
    assert!(sh_ok(&format!("virsh domblklist {name}")).contains(&copy));
    assert!(sh_ok(&format!("qemu-img info -U {copy}")).contains("file format: qcow2"));

    // Refused, nothing changed: no job to end, a threshold that is no size, a disk it lacks.
    assert_unchanged(
        || {
            domain_snapshot(&name)
                + &sh_ok(&format!(
                    "virsh domstats --block {name} | grep -v '\\.\\(rd\\|wr\\|fl\\|allocation\\)'"
                ))
        },
        || {
            vm(&["blockjob", &name, "vda", "--abort"]).fails(3, "no block job");
            vm(&["blockjob", &name, "vda", "--pivot"]).fails(3, "no block job");
            vm(&["domblkthreshold", &name, "vda", "lots"]).fails(7, "invalid size");
            // A base outside the disk's chain: libvirt refuses us as it refuses virsh.
            let virsh = sh(&format!("virsh blockcommit {name} vda --base /nonexistent.qcow2"));
            let why = virsh
                .stderr
                .lines()
                .last()
                .unwrap()
                .trim_start_matches("error: ")
                .to_string();
            let ours = vm(&["blockcommit", &name, "vda", "--base", "/nonexistent.qcow2"]);
            assert!(
                ours.code != 0 && ours.stderr.contains(&why),
                "{ours:?} vs {virsh:?}"
            );
            let virsh = sh(&format!("virsh blockpull {name} vdz"));
            assert_ne!(virsh.code, 0);
            let ours = vm(&["blockpull", &name, "vdz"]);
            assert_eq!(ours.code, 7, "{ours:?}");
        },
    );
}

#[test]
fn block_job_verbs_on_a_missing_domain_are_exit_3() {
    let Some(_lab) = Lab::new(module_path!()) else {
        return;
    };
    for verb in [
        &["domblkerror", "no-such-dom"][..],
        &["domblkthreshold", "no-such-dom", "vda", "1M"],
        &["blockjob", "no-such-dom", "vda"],
        &["blockpull", "no-such-dom", "vda"],
        &["blockcommit", "no-such-dom", "vda", "--active"],
        &["blockcopy", "no-such-dom", "vda", "--dest", "/tmp/x.qcow2"],
    ] {
        vm(verb).fails(3, "no-such-dom");
    }
}
