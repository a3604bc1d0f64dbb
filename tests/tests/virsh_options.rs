//! virsh options vnet-vm and vnet-net once refused by name, now flags with virsh's semantics,
//! against the sandbox's libvirtd: dumpxml --xpath/--wrap (domain, network, pool, volume,
//! snapshot), --validate on every define/create verb, create --paused/--autodestroy, list
//! --title, snapshot-list's filters, domstats's groups and filters, domifaddr --interface/--full
//! and console --devname/--safe on a running kit guest. Oracles: virsh's own output for the same
//! line, virsh domstate/list/vol-list, qemu-img, the guest's console.

use std::path::Path;
use std::time::Duration;
use vnet_tests::*;

/// `virsh ARGS`; "a; b" runs `virsh a; virsh b`.
fn virsh(args: &str) -> String {
    sh_ok(&format!("virsh {}", args.replace("; ", "; virsh ")))
}

/// A shut-off guest: no disk, no kernel (defined only; started it would sit in the firmware).
fn bare_guest(name: &str) -> String {
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64'>hvm</type></os><features><acpi/></features><devices>\
         <interface type='network'><source network='default'/><mac address='52:54:00:7a:00:01'/></interface>\
         </devices></domain>"
    )
}

/// Every libvirt object these tests touch, as virsh lists them (the oracle for refusals).
fn libvirt_objects() -> String {
    sh_ok(
        "virsh list --all --name; virsh net-list --all --name; virsh pool-list --all --name; \
         for p in $(virsh pool-list --all --name); do virsh vol-list \"$p\"; done",
    )
}

/// `vnet-vm ARGS` prints what `virsh LINE` prints (vnet-vm leaves out virsh's final empty line).
fn same_as_virsh_vm(args: &[&str], line: &str) {
    assert_eq!(
        format!("{}\n", vm(args).ok().stdout),
        virsh(line),
        "{args:?} against virsh {line}"
    );
}

/// dumpxml --xpath EXPR [--wrap] of a domain, a network, a pool, a volume and a snapshot prints
/// byte for byte what virsh prints; -o json carries the same nodes; an expression that does not
/// compile or selects no nodes is exit 7, nothing changed.
#[test]
fn dumpxml_xpath_prints_what_virsh_prints() {
    let lab = lab!();
    let dir = lab_dir(&lab, "x");
    let name = lab.domain("xp");
    let file = dir.join("guest.xml");
    std::fs::write(&file, bare_guest(&name)).unwrap();
    virsh(&format!("define {}", file.display()));
    for expr in [
        "//interface",
        "//interface/mac/@address",
        "/domain/name/text()",
        "name | memory",
        "//nothing",
        "/",
    ] {
        for wrap in [false, true] {
            let mut args = vec!["dumpxml", &name, "--xpath", expr];
            let mut line = format!("dumpxml {name} --xpath '{expr}'");
            if wrap {
                args.push("--wrap");
                line.push_str(" --wrap");
            }
            same_as_virsh_vm(&args, &line);
        }
    }
    // -o json: the nodes, each as printed; the schema holds.
    let out = vm(&["dumpxml", &name, "--xpath", "//mac | //source", "-o", "json"])
        .ok()
        .json();
    assert_eq!(
        out["nodes"],
        serde_json::json!([
            "<mac address=\"52:54:00:7a:00:01\"/>",
            "<source network=\"default\"/>"
        ])
    );
    // --wrap without --xpath changes nothing, as in virsh.
    same_as_virsh_vm(&["dumpxml", &name, "--wrap"], &format!("dumpxml {name} --wrap"));

    // A network (vnet-net prints virsh's trailing empty line itself).
    let network = lab.network("xn");
    net(&[
        "define",
        "--name",
        &network,
        "--ip",
        "10.231.7.1/24",
        "--dhcp-range",
        "10.231.7.10,10.231.7.20",
    ])
    .ok();
    for (expr, wrap) in [
        ("//ip", false),
        ("//range/@start | //range/@end", true),
        ("//dhcp/range", true),
    ] {
        let mut args = vec!["dumpxml", &network, "--xpath", expr];
        let mut line = format!("net-dumpxml {network} --xpath '{expr}'");
        if wrap {
            args.push("--wrap");
            line.push_str(" --wrap");
        }
        assert_eq!(net(&args).ok().stdout, virsh(&line), "{line}");
    }
    let summary = net(&["dumpxml", &network, "--xpath", "//ip/@address", "-o", "json"])
        .ok()
        .json();
    assert_eq!(summary["nodes"], serde_json::json!([" address=\"10.231.7.1\""]));
    assert_eq!(summary["name"], network.as_str());

    // A pool and a volume made by virsh; a snapshot of a qcow2-backed guest.
    let pool = dir.file_name().unwrap().to_string_lossy().into_owned();
    virsh(&format!(
        "pool-define-as {pool} dir --target {}; pool-start {pool}",
        dir.display()
    ));
    virsh(&format!("vol-create-as {pool} v1.qcow2 1M --format qcow2"));
    same_as_virsh_vm(
        &["pool-dumpxml", &pool, "--xpath", "//target/path", "--wrap"],
        &format!("pool-dumpxml {pool} --xpath //target/path --wrap"),
    );
    same_as_virsh_vm(
        &[
            "vol-dumpxml",
            "v1.qcow2",
            "--pool",
            &pool,
            "--xpath",
            "//format/@type",
        ],
        &format!("vol-dumpxml v1.qcow2 --pool {pool} --xpath //format/@type"),
    );
    let path = dir.join("v1.qcow2").display().to_string();
    let capacity = vm(&["vol-dumpxml", &path, "--xpath", "//capacity/text()", "-o", "json"])
        .ok()
        .json();
    let bytes = sh_ok(&format!(
        "qemu-img info --output=json {path} | jq -r '.[\"virtual-size\"]'"
    ));
    assert_eq!(capacity["nodes"], serde_json::json!([bytes.trim()]));
    snapshot_xpath(&lab, &dir);
    secret_and_nodedev_xpath(&lab, &dir);

    // Refused: nothing compiles, or no nodes selected; nothing changed.
    assert_unchanged(libvirt_objects, || {
        vm(&["dumpxml", &name, "--xpath", "//["]).fails(7, "Invalid expression");
        vm(&["dumpxml", &name, "--xpath", "count(//interface)"]).fails(7, "does not select nodes");
        net(&["dumpxml", &network, "--xpath", "string(//ip/@address)"]).fails(7, "does not select nodes");
        vm(&["pool-dumpxml", &pool, "--xpath", "//[@"]).fails(7, "--xpath");
    });
}

/// snapshot-dumpxml --xpath on an internal snapshot of a shut-off qcow2 guest.
fn snapshot_xpath(lab: &Lab, dir: &Path) {
    let disk = dir.join("snapdisk.qcow2");
    sh_ok(&format!("qemu-img create -q -f qcow2 {} 16M", disk.display()));
    let name = lab.domain("xs");
    lab.on_drop(format!(
        "for s in $(virsh snapshot-list {name} --name); do virsh snapshot-delete {name} $s --metadata; done"
    ));
    let file = dir.join("snap.xml");
    std::fs::write(&file, disk_guest(&name, &disk)).unwrap();
    virsh(&format!("define {}", file.display()));
    virsh(&format!("snapshot-create-as {name} s1 --description 'for xpath'"));
    let line = format!("snapshot-dumpxml {name} s1 --xpath '//description | /domainsnapshot/name' --wrap");
    let ours = vm(&[
        "snapshot-dumpxml",
        &name,
        "s1",
        "--xpath",
        "//description | /domainsnapshot/name",
        "--wrap",
    ])
    .ok();
    assert_eq!(ours.stdout, virsh(&line));
}

/// secret-dumpxml and nodedev-dumpxml --xpath [--wrap]: a secret of the sandbox's libvirtd, a
/// device of the test driver.
fn secret_and_nodedev_xpath(lab: &Lab, dir: &Path) {
    let file = dir.join("secret.xml");
    let uuid = "6f1a9f3e-2b7c-4c1e-9d3a-0a5b7c9d1e2f";
    std::fs::write(
        &file,
        format!("<secret ephemeral='no' private='yes'><uuid>{uuid}</uuid><usage type='volume'><volume>/x.img</volume></usage></secret>"),
    )
    .unwrap();
    lab.on_drop(format!("virsh secret-undefine {uuid}"));
    virsh(&format!("secret-define {}", file.display()));
    for (expr, wrap) in [("//usage/volume", false), ("/secret/@private | //uuid", true)] {
        let mut args = vec!["secret-dumpxml", uuid, "--xpath", expr];
        let mut line = format!("secret-dumpxml {uuid} --xpath '{expr}'");
        if wrap {
            args.push("--wrap");
            line.push_str(" --wrap");
        }
        same_as_virsh_vm(&args, &line);
    }
    same_as_virsh_vm(
        &[
            "-c",
            "test:///default",
            "nodedev-dumpxml",
            "computer",
            "--xpath",
            "//capability/@type",
        ],
        "-c test:///default nodedev-dumpxml computer --xpath //capability/@type",
    );
    vm(&["secret-dumpxml", uuid, "--xpath", "count(//uuid)"]).fails(7, "does not select nodes");
}

/// A shut-off guest on a qcow2 disk (its snapshots are internal ones).
fn disk_guest(name: &str, disk: &Path) -> String {
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64'>hvm</type></os><devices><disk type='file' device='disk'>\
         <driver name='qemu' type='qcow2'/><source file='{}'/><target dev='vda' bus='virtio'/></disk>\
         </devices></domain>",
        disk.display()
    )
}

/// --validate: libvirt checks the document against its schema. A document libvirt would take
/// without the flag (an unknown element it drops) is exit 7 with libvirt's reason, as virsh
/// --validate refuses it, and nothing is defined; without the flag it is defined.
#[test]
fn validate_asks_libvirt_to_check_the_schema() {
    let lab = lab!();
    let dir = lab_dir(&lab, "v");
    let write = |file: &str, xml: String| {
        let path = dir.join(file);
        std::fs::write(&path, xml).unwrap();
        path.display().to_string()
    };
    let name = lab.domain("vd");
    let domain = write(
        "dom.xml",
        bare_guest(&name).replace("</devices>", "</devices><bogus/>"),
    );
    let network = lab.network("vn");
    let net_file = write(
        "net.xml",
        format!("<network><name>{network}</name><bogus/><ip address='10.231.8.1' prefix='24'/></network>"),
    );
    let pool = dir.file_name().unwrap().to_string_lossy().into_owned();
    // The pool's own directory: the XML files stay outside it.
    let pool_dir = dir.join("pool");
    std::fs::create_dir(&pool_dir).unwrap();
    let pool_file = write(
        "pool.xml",
        format!(
            "<pool type='dir'><name>{pool}</name><bogus/><target><path>{}</path></target></pool>",
            pool_dir.display()
        ),
    );
    let vol_file = write(
        "vol.xml",
        "<volume><name>bad.img</name><capacity>1048576</capacity><target><format type='raw'/></target><bogus/></volume>".into(),
    );
    assert!(sh(&format!("virsh define --validate {domain}")).code != 0);
    assert_unchanged(libvirt_objects, || {
        vm(&["define", &domain, "--validate"]).fails(7, "failed to validate against schema");
        vm(&["create", &domain, "--validate"]).fails(7, "failed to validate against schema");
        net(&["define", &net_file, "--validate"]).fails(7, "failed to validate against schema");
        net(&["create", &net_file, "--validate"]).fails(7, "failed to validate against schema");
        vm(&["pool-define", &pool_file, "--validate"]).fails(7, "failed to validate against schema");
    });
    // Without the flag libvirt drops the unknown element: each is defined.
    assert_eq!(vm(&["define", &domain]).ok().json()["changed"], true);
    assert_eq!(net(&["define", &net_file]).ok().json()["changed"], true);
    assert_eq!(vm(&["pool-define", &pool_file]).ok().json()["changed"], true);
    virsh(&format!("pool-start {pool}"));
    // A valid document passes --validate: the same definition (libvirt had dropped <bogus/>).
    let good = write("good.xml", bare_guest(&name));
    assert_eq!(
        vm(&["define", &good, "--validate"]).ok().json()["definition"],
        "unchanged"
    );
    assert!(!virsh(&format!("dumpxml --inactive {name}")).contains("bogus"));

    // Volumes: the flag reaches libvirt, which checks the schema (an invalid document is refused)
    // and then, in 9.0, refuses VIR_STORAGE_VOL_CREATE_VALIDATE itself for a valid one
    // ("unsupported flags (0x4) in function virStorageVolDefParseXML"), as virsh vol-create
    // --validate shows; nothing is made either way.
    let good_vol = write(
        "good-vol.xml",
        "<volume><name>good.img</name><capacity>1048576</capacity><target><format type='raw'/></target></volume>".into(),
    );
    let theirs = sh(&format!("virsh vol-create {pool} {good_vol} --validate"));
    assert_ne!(theirs.code, 0);
    assert!(theirs.stderr.contains("unsupported flags (0x4)"), "{theirs:?}");
    assert_unchanged(libvirt_objects, || {
        vm(&["vol-create", &pool, &good_vol, "--validate"]).fails(7, "unsupported flags (0x4)");
        vm(&["vol-create", &pool, &vol_file, "--validate"]).fails(7, "failed to validate against schema");
    });
    vm(&["vol-create", &pool, &good_vol]).ok();
    assert_unchanged(libvirt_objects, || {
        let from = [
            "vol-create-from",
            &pool,
            &vol_file,
            "good.img",
            "--inputpool",
            &pool,
        ];
        vm(&[&from[..], &["--validate"]].concat()).fails(7, "failed to validate against schema");
    });
    assert!(virsh(&format!("vol-list {pool}")).contains("good.img"));
    let size = sh_ok(&format!(
        "qemu-img info --output=json {}/good.img | jq -r '.[\"virtual-size\"]'",
        pool_dir.display()
    ));
    assert_eq!(size.trim(), "1048576");

    // snapshot-create FILE --validate on a shut-off qcow2 guest: nothing taken.
    let disk = dir.join("snap.qcow2");
    sh_ok(&format!("qemu-img create -q -f qcow2 {} 16M", disk.display()));
    let snap_dom = lab.domain("vs");
    lab.on_drop(format!(
        "for s in $(virsh snapshot-list {snap_dom} --name); do virsh snapshot-delete {snap_dom} $s --metadata; done"
    ));
    virsh(&format!(
        "define {}",
        write("snapdom.xml", disk_guest(&snap_dom, &disk))
    ));
    let bad_snap = write(
        "snap.xml",
        "<domainsnapshot><name>s1</name><bogus/></domainsnapshot>".into(),
    );
    let snapshots = || {
        sh_ok(&format!(
            "virsh snapshot-list {snap_dom} --name; qemu-img snapshot -l {}",
            disk.display()
        ))
    };
    assert_unchanged(snapshots, || {
        vm(&["snapshot-create", &snap_dom, &bad_snap, "--validate"])
            .fails(7, "failed to validate against schema");
    });
    vm(&["snapshot-create-as", &snap_dom, "s2", "--validate"]).ok();
    assert!(virsh(&format!("snapshot-list {snap_dom} --name")).contains("s2"));
}

/// snapshot-list's filters, --from, --descendants and --topological print what virsh prints,
/// on a tree s1 -> (s2 -> s3, s4) of internal snapshots; bad combinations are refused with
/// nothing changed.
#[test]
fn snapshot_list_filters_as_virsh() {
    let lab = lab!();
    let dir = lab_dir(&lab, "l");
    let disk = dir.join("disk.qcow2");
    sh_ok(&format!("qemu-img create -q -f qcow2 {} 16M", disk.display()));
    let name = lab.domain("sl");
    lab.on_drop(format!(
        "for s in $(virsh snapshot-list {name} --name); do virsh snapshot-delete {name} $s --metadata; done"
    ));
    let file = dir.join("d.xml");
    std::fs::write(&file, disk_guest(&name, &disk)).unwrap();
    virsh(&format!("define {}", file.display()));
    for snap in ["s1", "s2", "s3"] {
        virsh(&format!("snapshot-create-as {name} {snap}"));
    }
    virsh(&format!(
        "snapshot-revert {name} s1; snapshot-create-as {name} s4"
    ));
    for flags in [
        "--roots",
        "--leaves",
        "--no-leaves",
        "--leaves --no-leaves",
        "--metadata",
        "--no-metadata",
        "--inactive",
        "--active",
        "--disk-only",
        "--internal",
        "--external",
        "--from s1",
        "--from s1 --descendants",
        "--from s1 --tree",
        "--from s1 --tree --descendants",
        "--current --tree",
        "--from s2 --name",
        "--current --descendants",
        "--topological",
        "--topological --name",
        "--leaves --parent",
        "--tree",
    ] {
        let line = format!("snapshot-list {name} {flags}");
        let args: Vec<&str> = line.split(' ').chain(["-o", "text"]).collect();
        assert_eq!(
            vm(&args).ok().stdout.trim_end(),
            virsh(&line).trim_end(),
            "{line}"
        );
    }
    // JSON: every row, schema-checked; --roots has the one root.
    let roots = vm(&["snapshot-list", &name, "--roots"]).ok().json();
    assert_eq!(roots.as_array().unwrap().len(), 1);
    assert_eq!(roots[0]["name"], "s1");
    let state = || {
        virsh(&format!(
            "snapshot-list {name} --parent; snapshot-current {name} --name"
        ))
    };
    assert_unchanged(state, || {
        vm(&["snapshot-list", &name, "--descendants"])
            .fails(2, "--descendants requires either --from or --current");
        vm(&["snapshot-list", &name, "--from", "nosuch"]).fails(3, "nosuch");
        vm(&["snapshot-list", &name, "--roots", "--from", "s1"]).fails(2, "cannot be used with");
        vm(&["snapshot-list", &name, "--from", "s1", "--current"]).fails(2, "cannot be used with");
        vm(&["snapshot-list", &name, "--tree", "--internal"]).fails(2, "cannot be used with");
    });
}

/// domstats's groups and --list-* filters, --raw, --nowait and --backing: virsh's text for the
/// same line; a filter with named domains is libvirt's refusal, as in virsh.
#[test]
fn domstats_groups_and_filters_as_virsh() {
    let lab = lab!();
    let dir = lab_dir(&lab, "st");
    let name = lab.domain("ds");
    let file = dir.join("d.xml");
    std::fs::write(&file, bare_guest(&name)).unwrap();
    virsh(&format!("define {}", file.display()));
    for flags in [
        "--list-shutoff --state",
        "--list-inactive --list-persistent --state --raw",
        "--list-active",
        "--list-transient",
        "--list-running --list-paused --list-other",
        "--list-shutoff --perf --iothread --memory --dirtyrate --vm --nowait",
        "--list-shutoff --block --backing",
    ] {
        let line = format!("domstats {flags}");
        let args: Vec<&str> = line.split(' ').chain(["-o", "text"]).collect();
        assert_eq!(
            vm(&args).ok().stdout.trim_end(),
            virsh(&line).trim_end(),
            "{line}"
        );
    }
    let ours = vm(&["domstats", "--list-shutoff", "--state"]).ok().json();
    assert!(ours
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["name"] == name.as_str()));
    // A filter beside a named domain: libvirt decides, for vnet-vm as for virsh.
    let theirs = sh(&format!("virsh domstats --list-active {name}"));
    assert_unchanged(libvirt_objects, || {
        let ours = vm(&["domstats", "--list-active", &name, "-o", "text"]);
        match theirs.code {
            0 => assert_eq!(ours.ok().stdout.trim_end(), theirs.stdout.trim_end()),
            _ => assert_ne!(ours.code, 0, "{ours:?}"),
        }
    });
}

/// A running kit guest created from a file with --paused (virsh domstate: paused) and
/// --validate, then resumed: list --title, domifaddr --interface/--full and console
/// --devname/--safe against virsh and the guest's console. Then create --autodestroy: the
/// domain is gone once vnet-vm exits.
#[test]
fn running_guest_options() {
    let lab = lab!();
    default_network(&lab);
    let dir = lab_dir(&lab, "g");
    let name = lab.domain("rg");
    let file = dir.join("guest.xml");
    std::fs::write(&file, kit_guest_xml(&name)).unwrap();
    let file = file.display().to_string();
    let created = vm(&["create", &file, "--paused", "--validate"]).ok().json();
    assert_eq!(
        (created["changed"].as_bool(), created["state"].as_str()),
        (Some(true), Some("paused"))
    );
    assert_eq!(virsh(&format!("domstate {name}")).trim(), "paused");
    // --exist-ok --paused over it: already so.
    assert_eq!(
        vm(&["create", &file, "--paused", "--exist-ok"]).ok().json()["changed"],
        false
    );
    virsh(&format!("resume {name}"));
    assert_unchanged(
        || domain_snapshot(&name),
        || {
            vm(&["create", &file, "--paused", "--exist-ok"]).fails(4, "not paused");
        },
    );

    // list --title: virsh's Title column.
    virsh(&format!("desc {name} --title --live 'kit guest'"));
    for line in ["list --title", "list --all --title", "list --title --name"] {
        let args: Vec<&str> = line.split(' ').chain(["-o", "text"]).collect();
        assert_eq!(vm(&args).ok().stdout.trim_end(), virsh(line).trim_end(), "{line}");
    }
    let listed = vm(&["list", "--title"]).ok().json();
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name.as_str())
        .cloned();
    assert_eq!(row.unwrap()["title"], "kit guest");

    wait_leased(&name, Duration::from_secs(180));
    let tap = vm(&["domifaddr", &name]).ok().json()[0]["interface"]
        .as_str()
        .unwrap()
        .to_string();
    for flags in [
        format!("--interface {tap}"),
        format!("--interface {tap} --full"),
        "--full".into(),
        "--interface nosuch".into(),
    ] {
        let line = format!("domifaddr {name} {flags}");
        let args: Vec<&str> = line.split(' ').chain(["-o", "text"]).collect();
        assert_eq!(
            vm(&args).ok().stdout.trim_end(),
            virsh(&line).trim_end(),
            "{line}"
        );
    }
    assert_eq!(
        vm(&["domifaddr", &name, "--interface", "nosuch"]).ok().json(),
        serde_json::json!([])
    );

    // console --devname serial0 --safe: the guest's shell answers.
    let out = until_console(&name, "echo vnet-$((6*7))", Duration::from_secs(120), |o| {
        o.contains("vnet-42")
    });
    assert!(out.contains("vnet-42"));
    let run = vnet_stdin(
        "vnet-vm",
        &[
            "console",
            &name,
            "--devname",
            "serial0",
            "--safe",
            "--linger",
            "2",
        ],
        "\necho dev-$((7*6))\n",
    )
    .ok();
    assert!(run.stdout.contains("dev-42"), "{run:?}");
    assert_unchanged(
        || domain_snapshot(&name),
        || {
            vm(&["console", &name, "--devname", "nosuch0"]).fails(3, "nosuch0");
        },
    );

    save_and_restore_with_xml(&name, &dir);

    // create --autodestroy: running while vnet-vm runs, gone once it exits (as with virsh).
    let gone = lab.domain("ad");
    let file = dir.join("ad.xml");
    std::fs::write(
        &file,
        bare_guest(&gone).replace("52:54:00:7a:00:01", "52:54:00:7a:00:02"),
    )
    .unwrap();
    let out = vm(&["create", &file.display().to_string(), "--autodestroy"])
        .ok()
        .json();
    assert_eq!(out["state"], "running");
    wait_until("the autodestroyed domain to go", Duration::from_secs(30), || {
        !virsh("list --all --name").lines().any(|l| l == gone)
    });
}

/// save --xml and restore --xml: the image holds the document given (virsh save-image-dumpxml),
/// the restored domain runs with the one given to restore (virsh dumpxml). A missing --xml file
/// is exit 3 with the image and domains as they were.
fn save_and_restore_with_xml(name: &str, dir: &Path) {
    let image = dir.join("saved.img").display().to_string();
    let with_description = |xml: String, text: &str| {
        let xml = xml.replacen("</name>", &format!("</name><description>{text}</description>"), 1);
        let path = dir.join(format!("{text}.xml"));
        std::fs::write(&path, xml).unwrap();
        path.display().to_string()
    };
    let live = virsh(&format!("dumpxml --migratable --security-info {name}"));
    let saved_xml = with_description(live, "saved-with-xml");
    let out = vm(&["save", name, &image, "--xml", &saved_xml]).ok().json();
    assert_eq!(
        (out["changed"].as_bool(), out["state"].as_str()),
        (Some(true), Some("shut off"))
    );
    let stored = virsh(&format!("save-image-dumpxml --security-info {image}"));
    assert!(
        stored.contains("<description>saved-with-xml</description>"),
        "{stored}"
    );

    let restore_xml = with_description(
        stored.replace("<description>saved-with-xml</description>", ""),
        "restored-with-xml",
    );
    let state = || virsh(&format!("list --all --name; save-image-dumpxml {image} | md5sum"));
    assert_unchanged(state, || {
        let missing = dir.join("nosuch.xml").display().to_string();
        vm(&["restore", &image, "--xml", &missing]).fails(3, "nosuch.xml");
    });
    vm(&["restore", &image, "--xml", &restore_xml]).ok();
    assert_eq!(virsh(&format!("domstate {name}")).trim(), "running");
    assert!(virsh(&format!("dumpxml {name}")).contains("<description>restored-with-xml</description>"));
}

/// vol-upload and vol-download --offset/--length: the same bytes land where virsh puts them
/// (virsh's line on a twin volume is the oracle, compared byte for byte); an offset past the
/// volume is exit 7 with the volume and the local files unchanged.
#[test]
fn vol_upload_download_ranges_as_virsh() {
    let lab = lab!();
    let dir = lab_dir(&lab, "u");
    let pool = dir.file_name().unwrap().to_string_lossy().into_owned();
    let pool_dir = dir.join("pool");
    std::fs::create_dir(&pool_dir).unwrap();
    virsh(&format!(
        "pool-create-as {pool} dir --target {}",
        pool_dir.display()
    ));
    for vol in ["ours.img", "theirs.img"] {
        virsh(&format!("vol-create-as {pool} {vol} 64K --format raw"));
    }
    let data = dir.join("data.bin");
    let bytes: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8 + 1).collect();
    std::fs::write(&data, &bytes).unwrap();
    let data = data.display().to_string();
    let up = vm(&[
        "vol-upload",
        "ours.img",
        &data,
        "--pool",
        &pool,
        "--offset",
        "8192",
        "--length",
        "8192",
    ])
    .ok()
    .json();
    assert_eq!(up["bytes"], 4096);
    virsh(&format!(
        "vol-upload theirs.img {data} --pool {pool} --offset 8192 --length 8192"
    ));
    let (ours, theirs) = (pool_dir.join("ours.img"), pool_dir.join("theirs.img"));
    assert_eq!(std::fs::read(&ours).unwrap(), std::fs::read(&theirs).unwrap());
    let content = std::fs::read(&ours).unwrap();
    assert_eq!(&content[8192..12288], &bytes[..]);
    assert!(content[..8192].iter().chain(&content[12288..]).all(|&b| b == 0));

    let (got, want) = (dir.join("got.bin"), dir.join("want.bin"));
    let down = vm(&[
        "vol-download",
        "ours.img",
        &got.display().to_string(),
        "--pool",
        &pool,
        "--offset",
        "8000",
        "--length",
        "2048",
    ])
    .ok()
    .json();
    assert_eq!(down["bytes"], 2048);
    virsh(&format!(
        "vol-download ours.img {} --pool {pool} --offset 8000 --length 2048",
        want.display()
    ));
    assert_eq!(std::fs::read(&got).unwrap(), std::fs::read(&want).unwrap());

    let theirs_long = sh(&format!(
        "virsh vol-upload theirs.img {data} --pool {pool} --length 1024"
    ));
    assert_ne!(theirs_long.code, 0, "{theirs_long:?}");
    let missing = dir.join("never.bin");
    let state = || {
        sh_ok(&format!(
            "md5sum {} {}; ls {}",
            ours.display(),
            got.display(),
            dir.display()
        ))
    };
    assert_unchanged(state, || {
        vm(&[
            "vol-upload",
            "ours.img",
            &data,
            "--pool",
            &pool,
            "--offset",
            "70000",
        ])
        .fails(7, "--offset 70000");
        vm(&[
            "vol-upload",
            "ours.img",
            &data,
            "--pool",
            &pool,
            "--offset",
            "63000",
        ])
        .fails(7, "larger than volume");
        vm(&[
            "vol-download",
            "ours.img",
            &missing.display().to_string(),
            "--pool",
            &pool,
            "--offset",
            "65537",
        ])
        .fails(7, "--offset 65537");
    });
}

/// undefine --storage TARGETS (with --wipe-storage) deletes only the named disks' volumes, as
/// virsh vol-list then shows; --tpm and --checkpoints-metadata reach libvirt; a name the domain
/// has no disk for is exit 3 with the domain and volumes as they were.
#[test]
fn undefine_named_storage() {
    let lab = lab!();
    let dir = lab_dir(&lab, "un");
    let pool = dir.file_name().unwrap().to_string_lossy().into_owned();
    let pool_dir = dir.join("pool");
    std::fs::create_dir(&pool_dir).unwrap();
    virsh(&format!(
        "pool-create-as {pool} dir --target {}",
        pool_dir.display()
    ));
    for vol in ["a.img", "b.img"] {
        virsh(&format!("vol-create-as {pool} {vol} 1M --format raw"));
    }
    let name = lab.domain("ud");
    let disk = |file: &str, dev: &str| {
        format!(
            "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{}/{file}'/>\
             <target dev='{dev}' bus='virtio'/></disk>",
            pool_dir.display()
        )
    };
    let xml = bare_guest(&name).replace(
        "<devices>",
        &format!("<devices>{}{}", disk("a.img", "vda"), disk("b.img", "vdb")),
    );
    let file = dir.join("d.xml");
    std::fs::write(&file, xml).unwrap();
    virsh(&format!("define {}", file.display()));
    let state = || sh_ok(&format!("virsh list --all --name; virsh vol-list {pool}"));
    assert_unchanged(state, || {
        vm(&["undefine", &name, "--storage", "vdb,vdz"]).fails(3, "'vdz' was not found");
        vm(&["undefine", &name, "--delete-storage-volume-snapshots"]).fails(2, "--remove-all-storage");
        vm(&["undefine", &name, "--storage", "vda", "--remove-all-storage"]).fails(2, "cannot be used with");
    });
    let b = pool_dir.join("b.img").display().to_string();
    let out = vm(&["undefine", &name, "--storage", "vdb", "--wipe-storage"])
        .ok()
        .json();
    assert_eq!(out["removed_volumes"], serde_json::json!([b]));
    let vols = virsh(&format!("vol-list {pool}"));
    assert!(vols.contains("a.img") && !vols.contains("b.img"), "{vols}");
    assert!(!virsh("list --all --name").lines().any(|l| l == name));

    // --tpm and --checkpoints-metadata on a domain without either: undefined as by virsh.
    let other = lab.domain("ut");
    let file = dir.join("t.xml");
    std::fs::write(&file, bare_guest(&other)).unwrap();
    virsh(&format!("define {}", file.display()));
    vm(&["undefine", &other, "--tpm", "--checkpoints-metadata"]).ok();
    assert!(!virsh("list --all --name").lines().any(|l| l == other));
}

/// attach-disk --serial/--wwn/--io/--mode/--alias: the definition holds the same disk as the one
/// virsh's own `attach-disk ... --print-xml` line gives a twin domain (both read back through
/// virsh dumpxml --xpath); what libvirt refuses (a WWN that is no WWN, an IOThread the domain
/// lacks) changes nothing.
#[test]
fn attach_disk_options_as_virsh() {
    let lab = lab!();
    let dir = lab_dir(&lab, "ad");
    let image = dir.join("data.img");
    std::fs::write(&image, vec![0u8; 1 << 20]).unwrap();
    let image = image.display().to_string();
    let (ours, twin) = (lab.domain("ao"), lab.domain("at"));
    for (name, mac) in [(&ours, "52:54:00:7a:00:11"), (&twin, "52:54:00:7a:00:12")] {
        let file = dir.join(format!("{name}.xml"));
        std::fs::write(&file, bare_guest(name).replace("52:54:00:7a:00:01", mac)).unwrap();
        virsh(&format!("define {}", file.display()));
    }
    let options =
        "--serial SER-42 --wwn 5000c50015ea71ac --io threads --mode shareable --alias ua-data --cache none --targetbus scsi";
    let words: Vec<&str> = options.split(' ').collect();
    let args = [
        &["attach-disk", ours.as_str(), &image, "sdb", "--config"][..],
        &words[..],
    ]
    .concat();
    assert_eq!(vm(&args).ok().json()["changed"], true);
    let printed = virsh(&format!("attach-disk {twin} {image} sdb {options} --print-xml"));
    let device = dir.join("twin-disk.xml");
    std::fs::write(&device, printed).unwrap();
    virsh(&format!("attach-device {twin} {} --config", device.display()));
    let disk_of = |name: &str| virsh(&format!("dumpxml --inactive {name} --xpath //disk"));
    assert_eq!(disk_of(&ours), disk_of(&twin));
    let disk = disk_of(&ours);
    for part in [
        "<serial>SER-42</serial>",
        "<wwn>5000c50015ea71ac</wwn>",
        "io=\"threads\"",
        "<shareable/>",
        "ua-data",
    ] {
        assert!(disk.contains(part), "{part} in {disk}");
    }
    // --exist-ok: the same line again is "changed": false; another serial is exit 4.
    let again = [&args[..], &["--exist-ok"]].concat();
    assert_eq!(vm(&again).ok().json()["changed"], false);
    assert_unchanged(
        || domain_snapshot(&ours),
        || {
            let other: Vec<&str> = again
                .iter()
                .map(|a| if *a == "SER-42" { "SER-43" } else { a })
                .collect();
            vm(&other).fails(4, "serial: SER-42 -> SER-43");
            let bad_wwn = ["attach-disk", &ours, &image, "sdc", "--config", "--wwn", "nothex"];
            assert_ne!(vm(&bad_wwn).code, 0);
            let no_thread = ["attach-disk", &ours, &image, "sdc", "--config", "--iothread", "7"];
            assert_ne!(vm(&no_thread).code, 0);
            vm(&["attach-disk", &ours, &image, "sdc", "--config", "--io", "bogus"]).fails(2, "bogus");
        },
    );
}

/// attach-interface --target/--alias/--inbound/--outbound/--script: the definition holds the
/// same interface as the one virsh's own `attach-interface ... --print-xml` gives a twin domain;
/// a bad rate is exit 7 with nothing changed.
#[test]
fn attach_interface_options_as_virsh() {
    let lab = lab!();
    let dir = lab_dir(&lab, "ai");
    let (ours, twin) = (lab.domain("io"), lab.domain("it"));
    for (name, mac) in [(&ours, "52:54:00:7a:00:31"), (&twin, "52:54:00:7a:00:32")] {
        let file = dir.join(format!("{name}.xml"));
        std::fs::write(&file, bare_guest(name).replace("52:54:00:7a:00:01", mac)).unwrap();
        virsh(&format!("define {}", file.display()));
    }
    let bridge = lab.link("aib");
    sh_ok(&format!("ip link add {bridge} type bridge"));
    let bridged = format!("bridge {bridge}");
    let lines = [
        (
            "network default",
            "52:54:00:7a:00:21",
            "--target vnettest0 --alias ua-nic1 --inbound 1000,2000,512,100 --outbound 500,1000,256",
        ),
        (
            bridged.as_str(),
            "52:54:00:7a:00:22",
            "--script /etc/qemu-ifup-test --model virtio --inbound 800",
        ),
    ];
    for (what, mac, options) in lines {
        let (kind, source) = what.split_once(' ').unwrap();
        let words: Vec<&str> = options.split(' ').collect();
        let args = [
            &[
                "attach-interface",
                ours.as_str(),
                "--type",
                kind,
                "--source",
                source,
                "--mac",
                mac,
                "--config",
            ][..],
            &words[..],
        ]
        .concat();
        assert_eq!(vm(&args).ok().json()["changed"], true);
        let printed = virsh(&format!(
            "attach-interface {twin} {kind} {source} --mac {mac} {options} --print-xml"
        ));
        let device = dir.join(format!("twin-{mac}.xml").replace(':', ""));
        std::fs::write(&device, printed).unwrap();
        virsh(&format!("attach-device {twin} {} --config", device.display()));
        let nic = |name: &str| {
            virsh(&format!(
                "dumpxml --inactive {name} --xpath \"//interface[mac/@address='{mac}']\""
            ))
        };
        assert_eq!(nic(&ours), nic(&twin), "{what} {options}");
        assert!(nic(&ours).contains("<interface"), "{}", nic(&ours));
    }
    assert_unchanged(
        || domain_snapshot(&ours),
        || {
            let base = [
                "attach-interface",
                ours.as_str(),
                "--type",
                "network",
                "--source",
                "default",
                "--config",
            ];
            vm(&[&base[..], &["--inbound", "0,10"]].concat()).fails(7, "average[,peak[,burst[,floor]]]");
            vm(&[&base[..], &["--outbound", "fast"]].concat()).fails(7, "rate 'fast'");
            vm(&[&base[..], &["--inbound", "1,2,3,4,5"]].concat()).fails(7, "rate");
        },
    );
}

/// change-media --block: the drive gets the media as a block device, as virsh's own line gives
/// a twin domain (both read back through virsh dumpxml --xpath).
#[test]
fn change_media_block_as_virsh() {
    let lab = lab!();
    let dir = lab_dir(&lab, "cm");
    let media = dir.join("media.img");
    std::fs::write(&media, vec![0u8; 4096]).unwrap();
    let media = media.display().to_string();
    let (ours, twin) = (lab.domain("co"), lab.domain("ct"));
    let cdrom = "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>";
    for (name, mac) in [(&ours, "52:54:00:7a:00:41"), (&twin, "52:54:00:7a:00:42")] {
        let file = dir.join(format!("{name}.xml"));
        let xml = bare_guest(name)
            .replace("52:54:00:7a:00:01", mac)
            .replace("<devices>", &format!("<devices>{cdrom}"));
        std::fs::write(&file, xml).unwrap();
        virsh(&format!("define {}", file.display()));
    }
    vm(&[
        "change-media",
        &ours,
        "hdc",
        &media,
        "--insert",
        "--block",
        "--config",
    ])
    .ok();
    virsh(&format!(
        "change-media {twin} hdc {media} --insert --block --config"
    ));
    let drive = |name: &str| virsh(&format!("dumpxml --inactive {name} --xpath //disk"));
    assert_eq!(drive(&ours), drive(&twin));
    assert!(
        drive(&ours).contains(&format!("<source dev=\"{media}\"/>")),
        "{}",
        drive(&ours)
    );
}
