//! virsh's edit verbs through vnet-vm and vnet-net against the sandbox's libvirtd: edit,
//! net-edit, pool-edit and snapshot-edit with a script as the editor (`EDITOR='sed -i ...'`, as
//! scripts drive virsh), each checked against virsh's own words for the same call and against
//! `virsh *-dumpxml` after the change; an editor that fails and documents that are malformed or
//! refused are exit 7 with the object as it was; missing objects exit 3.

use serde_json::Value;
use std::process::{Command, Stdio};
use vnet_tests::*;

/// `TOOL ARGS` with `editor` as $EDITOR (and no $VISUAL), stdin not a terminal.
fn edit_with(tool: &str, editor: &str, args: &[&str]) -> Run {
    let output = Command::new(bin_dir().join(tool))
        .args(args)
        .env("EDITOR", editor)
        .env_remove("VISUAL")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {tool}: {e}"));
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        tool: Some(tool.to_string()),
        args: args.iter().map(|a| a.to_string()).collect(),
    }
}

/// `virsh ARGS` with `editor` as $EDITOR: its stdout (virsh's confirmation line).
fn virsh_edit(editor: &str, args: &str) -> String {
    let editor = editor.replace('\'', r"'\''");
    sh_ok(&format!("EDITOR='{editor}' virsh {args} </dev/null"))
}

/// A sed editor replacing `from` with `to` (neither may hold `|`, `"`, `$` or a backquote).
fn sed(from: &str, to: &str) -> String {
    format!("sed -i \"s|{from}|{to}|\"")
}

fn json_of(run: Run) -> Value {
    run.ok().json()
}

#[test]
fn domain_edit_as_virsh_does() {
    let lab = lab!();
    let name = lab.domain("ed");
    let dir = lab.dir("ed");
    let file = dir.join("guest.xml");
    std::fs::write(
        &file,
        format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type></os></domain>"
        ),
    )
    .unwrap();
    sh_ok(&format!("virsh define {}", file.display()));
    let defined = || sh_ok(&format!("virsh dumpxml --inactive {name}"));
    let uuid = sh_ok(&format!("virsh domuuid {name}")).trim().to_string();

    // The editor leaves it: "changed": false, and virsh's "not changed" line.
    let same = json_of(edit_with("vnet-vm", "true", &["edit", &name]));
    assert_eq!(
        (same["changed"].clone(), same["uuid"].clone()),
        (false.into(), uuid.clone().into())
    );
    assert_eq!(
        edit_with("vnet-vm", "true", &["edit", &name, "-o", "text"])
            .ok()
            .stdout,
        virsh_edit("true", &format!("edit {name}"))
    );

    // A script editor changes the vCPUs: the definition virsh shows has them.
    let two = sed(">1</vcpu>", ">2</vcpu>");
    let out = json_of(edit_with("vnet-vm", &two, &["edit", &name]));
    assert_eq!(
        (out["changed"].clone(), out["restart_needed"].clone()),
        (true.into(), false.into())
    );
    assert!(defined().contains(">2</vcpu>"), "{}", defined());
    // virsh's line for the same kind of edit (back to one) is vnet's text.
    let back = sed(">2</vcpu>", ">1</vcpu>");
    let virsh_said = virsh_edit(&back, &format!("edit {name}"));
    assert_eq!(
        edit_with("vnet-vm", &two, &["edit", &name, "-o", "text"])
            .ok()
            .stdout,
        virsh_said
    );
    assert!(defined().contains(">2</vcpu>"));

    // By UUID, --domain as virsh names it, $VISUAL before $EDITOR.
    let out = Command::new(bin_dir().join("vnet-vm"))
        .args(["edit", "--domain", &uuid])
        .env("VISUAL", &back)
        .env("EDITOR", "false")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(defined().contains(">1</vcpu>"));

    // An editor that fails, a malformed document, one the schema refuses, one libvirt refuses:
    // exit 7 with the reason, the definition as it was.
    for (editor, needle) in [
        ("false".to_string(), "editor"),
        (sed("</domain>", ""), "malformed"),
        (sed("</os>", "</os><bogus/>"), "validate"),
    ] {
        assert_unchanged(defined, || {
            edit_with("vnet-vm", &editor, &["edit", &name]).fails(7, needle);
        });
    }
    // Past the schema, libvirt's own refusal: its message, exit 7.
    assert_unchanged(defined, || {
        let arch = sed("arch='x86_64'", "arch='x86_65'");
        edit_with("vnet-vm", &arch, &["edit", &name, "--skip-validate"]).fails(7, "x86_65");
    });
    // --skip-validate: libvirt drops the unknown element, so the definition reads as before.
    let out = json_of(edit_with(
        "vnet-vm",
        &sed("</os>", "</os><bogus/>"),
        &["edit", &name, "--skip-validate"],
    ));
    assert_eq!(out["changed"], false);

    edit_with("vnet-vm", &two, &["edit", "nosuchdomain"]).fails(3, "nosuchdomain");
}

#[test]
fn network_edit_as_virsh_does() {
    let lab = lab!();
    let name = lab.network("ned");
    let dir = lab.dir("ned");
    let file = dir.join("net.xml");
    std::fs::write(
        &file,
        format!("<network><name>{name}</name><ip address='10.231.7.1' prefix='24'/></network>"),
    )
    .unwrap();
    sh_ok(&format!("virsh net-define {}", file.display()));
    let defined = || sh_ok(&format!("virsh net-dumpxml --inactive {name}"));

    assert_eq!(
        edit_with("vnet-net", "true", &["edit", &name, "-o", "text"])
            .ok()
            .stdout,
        virsh_edit("true", &format!("net-edit {name}"))
    );
    let out = json_of(edit_with(
        "vnet-net",
        &sed("10.231.7.1", "10.231.8.1"),
        &["net-edit", &name],
    ));
    assert_eq!(
        (out["changed"].clone(), out["name"].clone()),
        (true.into(), name.clone().into())
    );
    assert!(defined().contains("10.231.8.1"), "{}", defined());
    let virsh_said = virsh_edit(&sed("10.231.8.1", "10.231.7.1"), &format!("net-edit {name}"));
    let text = edit_with(
        "vnet-net",
        &sed("10.231.7.1", "10.231.9.1"),
        &["edit", &name, "-o", "text"],
    );
    assert_eq!(text.ok().stdout, virsh_said);

    // An active network runs on its old definition until restarted.
    sh_ok(&format!("virsh net-start {name}"));
    let out = json_of(edit_with(
        "vnet-net",
        &sed("10.231.9.1", "10.231.10.1"),
        &["edit", "--network", &name],
    ));
    assert_eq!(out["restart_needed"], true);
    assert!(sh_ok(&format!("virsh net-dumpxml {name}")).contains("10.231.9.1"));

    for (editor, needle) in [
        ("false".to_string(), "editor"),
        (sed("</network>", ""), "malformed"),
        (sed("prefix='24'", "prefix='99'"), "prefix"),
        (sed("10.231.10.1", "10.231.10.300"), "10.231.10.300"),
    ] {
        assert_unchanged(defined, || {
            edit_with("vnet-net", &editor, &["edit", &name]).fails(7, needle);
        });
    }
    edit_with("vnet-net", "true", &["edit", "nosuchnet"]).fails(3, "nosuchnet");

    // --batch --atomic: a later failing line gives the network its old definition back.
    assert_unchanged(defined, || {
        let run = Command::new(bin_dir().join("vnet-net"))
            .args(["--batch", "-", "--atomic"])
            .env("EDITOR", sed("10.231.10.1", "10.231.11.1"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                let script = format!("edit {name}\ninfo nosuchnet\n");
                child.stdin.take().unwrap().write_all(script.as_bytes())?;
                child.wait_with_output()
            })
            .unwrap();
        assert_eq!(run.status.code(), Some(3), "{run:?}");
    });
}

#[test]
fn pool_edit_as_virsh_does() {
    let lab = lab!();
    let name = lab.name("ped");
    lab.on_drop(format!("virsh pool-destroy {name}; virsh pool-undefine {name}"));
    let dir = lab.dir("ped");
    let (first, second) = (dir.join("a"), dir.join("b"));
    std::fs::create_dir_all(&first).unwrap();
    std::fs::create_dir_all(&second).unwrap();
    let (first, second) = (first.display().to_string(), second.display().to_string());
    sh_ok(&format!("virsh pool-define-as {name} dir --target {first}"));
    let defined = || sh_ok(&format!("virsh pool-dumpxml --inactive {name}"));

    assert_eq!(
        edit_with("vnet-vm", "true", &["pool-edit", &name, "-o", "text"])
            .ok()
            .stdout,
        virsh_edit("true", &format!("pool-edit {name}"))
    );
    let out = json_of(edit_with("vnet-vm", &sed(&first, &second), &["pool-edit", &name]));
    assert_eq!(out["changed"], true);
    assert!(defined().contains(&second), "{}", defined());
    let virsh_said = virsh_edit(&sed(&second, &first), &format!("pool-edit {name}"));
    let text = edit_with(
        "vnet-vm",
        &sed(&first, &second),
        &["pool-edit", "--pool", &name, "-o", "text"],
    );
    assert_eq!(text.ok().stdout, virsh_said);

    for (editor, needle) in [
        ("false".to_string(), "editor"),
        (sed(" type='dir'", ""), "type"),
        (sed("type='dir'", "type='bogus'"), "bogus"),
    ] {
        assert_unchanged(defined, || {
            edit_with("vnet-vm", &editor, &["pool-edit", &name]).fails(7, needle);
        });
    }
    edit_with("vnet-vm", "true", &["pool-edit", "nosuchpool"]).fails(3, "nosuchpool");
}

#[test]
fn snapshot_edit_as_virsh_does() {
    let lab = lab!();
    let name = lab.domain("sed");
    lab.on_drop(format!(
        "for s in $(virsh snapshot-list {name} --name); do virsh snapshot-delete {name} $s --metadata; done"
    ));
    let dir = lab.dir("sed");
    let disk = dir.join("disk.qcow2");
    sh_ok(&format!("qemu-img create -f qcow2 {} 16M", disk.display()));
    let file = dir.join("guest.xml");
    std::fs::write(
        &file,
        format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type></os><devices><disk type='file' device='disk'>\
             <driver name='qemu' type='qcow2'/><source file='{}'/><target dev='vda' bus='virtio'/>\
             </disk></devices></domain>",
            disk.display()
        ),
    )
    .unwrap();
    sh_ok(&format!("virsh define {}", file.display()));
    sh_ok(&format!("virsh snapshot-create-as {name} s1 --description one"));
    let snapshots = || sh_ok(&format!("virsh snapshot-list {name} --name"));
    let described = |snap: &str| sh_ok(&format!("virsh snapshot-dumpxml {name} {snap}"));

    assert_eq!(
        edit_with("vnet-vm", "true", &["snapshot-edit", &name, "s1", "-o", "text"])
            .ok()
            .stdout,
        virsh_edit("true", &format!("snapshot-edit {name} s1"))
    );
    let two = sed("<description>one", "<description>two");
    let out = json_of(edit_with("vnet-vm", &two, &["snapshot-edit", &name, "s1"]));
    assert_eq!(
        (out["changed"].clone(), out["snapshot"].clone()),
        (true.into(), "s1".into())
    );
    assert!(described("s1").contains("<description>two</description>"));
    let virsh_said = virsh_edit(
        &sed("<description>two", "<description>one"),
        &format!("snapshot-edit {name} s1"),
    );
    let text = edit_with(
        "vnet-vm",
        &two,
        &["snapshot-edit", &name, "--snapshotname", "s1", "-o", "text"],
    );
    assert_eq!(text.ok().stdout, virsh_said);

    // Another name without --rename or --clone, a malformed document, a failing editor: exit 7.
    let state = || (snapshots(), described("s1"));
    for (editor, flags, needle) in [
        (
            sed("<name>s1</name>", "<name>s2</name>"),
            "",
            "--rename or --clone",
        ),
        (sed("</domainsnapshot>", ""), "", "malformed"),
        ("false".to_string(), "", "editor"),
    ] {
        assert_unchanged(state, || {
            let mut args = vec!["snapshot-edit", name.as_str(), "s1"];
            args.extend(flags.split_whitespace());
            edit_with("vnet-vm", &editor, &args).fails(7, needle);
        });
    }

    // --clone: s2 beside s1, as virsh words it.
    let clone = edit_with(
        "vnet-vm",
        &sed("<name>s1</name>", "<name>s2</name>"),
        &["snapshot-edit", &name, "s1", "--clone", "-o", "text"],
    );
    assert_eq!(clone.ok().stdout, "Snapshot s1 cloned to s2.\n\n");
    assert_eq!(snapshots(), "s1\ns2\n\n");
    // --rename: s2 becomes s3.
    let out = json_of(edit_with(
        "vnet-vm",
        &sed("<name>s2</name>", "<name>s3</name>"),
        &["snapshot-edit", &name, "s2", "--rename"],
    ));
    assert_eq!(
        (out["snapshot"].clone(), out["edited"].clone()),
        ("s3".into(), "s2".into())
    );
    assert_eq!(snapshots(), "s1\ns3\n\n");
    // Renaming onto a name another snapshot has would overwrite it (virsh does): exit 4.
    assert_unchanged(state, || {
        edit_with(
            "vnet-vm",
            &sed("<name>s3</name>", "<name>s1</name>"),
            &["snapshot-edit", &name, "s3", "--rename"],
        )
        .fails(4, "s1");
    });
    // --current with a name: the unchanged snapshot becomes the current one, as virsh does.
    json_of(edit_with(
        "vnet-vm",
        "true",
        &["snapshot-edit", &name, "s3", "--current"],
    ));
    assert_eq!(
        sh_ok(&format!("virsh snapshot-current {name} --name")).trim(),
        "s3"
    );

    edit_with("vnet-vm", "true", &["snapshot-edit", &name, "nosuch"]).fails(3, "nosuch");
    edit_with("vnet-vm", "true", &["snapshot-edit", "nosuchdomain", "s1"]).fails(3, "nosuchdomain");
}

/// On a terminal (stdin a tty, given by script(1)) a document libvirt refuses is offered for
/// editing again, as virsh offers it: "n" gives up (exit 7, nothing changed), "y" runs the
/// editor again on the refused document, and a good one is then defined.
#[test]
fn a_refused_edit_is_offered_again_on_a_terminal() {
    let lab = lab!();
    let name = lab.domain("edt");
    let dir = lab.dir("edt");
    let file = dir.join("guest.xml");
    std::fs::write(
        &file,
        format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type></os></domain>"
        ),
    )
    .unwrap();
    sh_ok(&format!("virsh define {}", file.display()));
    let defined = || sh_ok(&format!("virsh dumpxml --inactive {name}"));
    // The editor breaks the architecture on its first run and repairs it (with 2 vCPUs) after.
    let flag = dir.join("second-run");
    let editor = dir.join("editor.sh");
    std::fs::write(
        &editor,
        format!(
            "if [ -e {flag} ]; then sed -i \"s|x86_65|x86_64|; s|>1</vcpu>|>2</vcpu>|\" \"$1\"; \
             else touch {flag}; sed -i \"s|x86_64|x86_65|\" \"$1\"; fi\n",
            flag = flag.display()
        ),
    )
    .unwrap();
    let on_terminal = |answers: &str| {
        let _ = std::fs::remove_file(&flag);
        let line = format!(
            "EDITOR='sh {}' {} edit {name} --skip-validate",
            editor.display(),
            bin_dir().join("vnet-vm").display()
        );
        sh(&format!("printf '{answers}' | script -qec \"{line}\" /dev/null"))
    };

    assert_unchanged(defined, || {
        let run = on_terminal("n\\n");
        assert_eq!(run.code, 7, "{run:?}");
        assert!(
            run.stdout.contains("Try again?") && run.stdout.contains("x86_65"),
            "{run:?}"
        );
    });
    let run = on_terminal("y\\n");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        defined().contains(">2</vcpu>") && defined().contains("x86_64"),
        "{}",
        defined()
    );
}
