//! vnet on a machine like any Unix tool (issue 14): `make install`/`uninstall` against their
//! manifest, the Debian packages installed on this machine (dpkg -i, --version, man, a bash
//! completion listing a namespace this test made, dpkg -r leaving nothing), `-o name` for shell
//! loops against the classic tools' own name lists, no colour codes off a terminal or with
//! NO_COLOR, the ovs-vsctl/ip/virsh spellings end to end, and the KVM probe `vnet-net doctor` and
//! `vnet-vm install --virt-type auto` share, with its cache.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use vnet_tests::*;

/// The workspace root (the Makefile and debian/ live there).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn run_env(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        tool: None,
        args: args.iter().map(|a| a.to_string()).collect(),
    }
}

/// Every file and directory under `dir`, as paths relative to it with a leading /.
fn tree(dir: &Path) -> (Vec<String>, Vec<String>) {
    let list = |kind: &str| {
        let out = sh_ok(&format!(
            "cd {} && find . -mindepth 1 -type {kind} | sed 's|^\\.||' | LC_ALL=C sort",
            dir.display()
        ));
        out.lines().map(str::to_string).collect::<Vec<_>>()
    };
    (list("f"), list("d"))
}

#[test]
fn make_install_writes_what_its_manifest_says_and_uninstall_removes_it() {
    let lab = lab!(unprivileged);
    let dest = lab.dir("dest");
    let make = |target: &str| {
        sh(&format!(
            "cd {} && make {target} DESTDIR={} PREFIX=/usr 2>&1",
            root().display(),
            dest.display()
        ))
    };
    let installed = make("install");
    assert_eq!(installed.code, 0, "{installed:?}");
    let manifest = std::fs::read_to_string(dest.join("usr/share/vnet/install-manifest")).unwrap();
    let mut files: Vec<String> = manifest
        .lines()
        .filter(|l| !l.ends_with('/'))
        .map(str::to_string)
        .collect();
    let mut dirs: Vec<String> = manifest
        .lines()
        .filter_map(|l| l.strip_suffix('/'))
        .map(str::to_string)
        .collect();
    files.sort();
    dirs.sort();
    let (found_files, found_dirs) = tree(&dest);
    assert_eq!(found_files, files, "files on disk against the manifest");
    // Every directory on disk was made by install (DESTDIR was empty), so the manifest has them all.
    assert_eq!(found_dirs, dirs, "directories on disk against the manifest");
    for tool in ["vnet-ns", "vnet-bridge", "vnet-net", "vnet-vm"] {
        for path in [
            format!("/usr/bin/{tool}"),
            format!("/usr/share/man/man1/{tool}.1.gz"),
            format!("/usr/share/bash-completion/completions/{tool}"),
            format!("/usr/share/zsh/site-functions/_{tool}"),
            format!("/usr/share/fish/vendor_completions.d/{tool}.fish"),
            format!("/usr/share/vnet/schema/{tool}/index.json"),
        ] {
            assert!(files.contains(&path), "{path} not installed: {files:?}");
        }
        let bin = dest.join(format!("usr/bin/{tool}"));
        let version = run_env(&bin, &["--version"], &[]).ok();
        assert_eq!(
            version.stdout.trim(),
            format!("{tool} {}", env!("CARGO_PKG_VERSION"))
        );
        // The page is the committed one, gzipped.
        let page = sh_ok(&format!(
            "gzip -dc {}/usr/share/man/man1/{tool}.1.gz",
            dest.display()
        ));
        assert_eq!(
            page,
            std::fs::read_to_string(root().join(format!("man/{tool}.1"))).unwrap()
        );
    }
    let schemas = sh_ok(&format!(
        "cd {}/schema && find . -name '*.json' | wc -l",
        root().display()
    ));
    let installed_schemas = files
        .iter()
        .filter(|f| f.starts_with("/usr/share/vnet/schema/"))
        .count();
    assert_eq!(installed_schemas.to_string(), schemas.trim());
    let perms = sh_ok(&format!("stat -c %a {}/usr/bin/vnet-ns", dest.display()));
    assert_eq!(perms.trim(), "755");

    let removed = make("uninstall");
    assert_eq!(removed.code, 0, "{removed:?}");
    assert_eq!(tree(&dest), (vec![], vec![]), "uninstall left something");
    // A second uninstall has no manifest: it says so and touches nothing.
    assert_ne!(make("uninstall").code, 0);
    std::fs::remove_dir_all(&dest).unwrap();
}

#[test]
fn vnet_ns_and_vnet_bridge_build_without_libvirt() {
    // Building only these two leaves vnet-common's libvirt feature off: no virt crate at all.
    let tree = sh_ok(&format!(
        "cd {} && cargo tree --offline --locked -e normal -p vnet-ns -p vnet-bridge -f '{{p}} {{f}}'",
        root().display()
    ));
    assert!(!tree.contains("virt v"), "{tree}");
    assert!(!tree.contains("libvirt"), "{tree}");
    let both = sh_ok(&format!(
        "cd {} && cargo tree --offline --locked -e normal -p vnet-net -i virt",
        root().display()
    ));
    assert!(both.contains("vnet-net"), "{both}");
}

/// Runs `tool ARGS` on a pseudo-terminal (script(1)) so clap sees a terminal on stdout.
fn on_a_terminal(tool: &str, args: &str, no_color: bool) -> String {
    let bin = bin_dir().join(tool);
    let env = if no_color { "NO_COLOR=1" } else { "NO_COLOR=" };
    let out = sh(&format!(
        "TERM=xterm {env} script -qec '{} {args}' /dev/null",
        bin.display()
    ));
    out.stdout
}

#[test]
fn no_colour_codes_off_a_terminal_or_with_no_color() {
    for tool in ["vnet-ns", "vnet-bridge", "vnet-net", "vnet-vm"] {
        // Piped: never.
        for args in [&["--help"][..], &["frobnicate"], &["list", "--bogus"]] {
            let run = vnet(tool, args);
            let all = format!("{}{}", run.stdout, run.stderr);
            assert!(!all.contains('\x1b'), "{tool} {args:?}: {all:?}");
        }
        // On a terminal clap would colour its help; NO_COLOR turns that off.
        let coloured = on_a_terminal(tool, "--help", false);
        assert!(
            coloured.contains('\x1b'),
            "the pty check sees colour at all: {coloured:?}"
        );
        let plain = on_a_terminal(tool, "--help", true);
        assert!(!plain.contains('\x1b'), "{tool}: {plain:?}");
        assert!(plain.contains("Usage"), "{plain:?}");
        // Errors are rendered plain, terminal or not.
        let error = on_a_terminal(tool, "frobnicate", false);
        assert!(error.contains("error:") && !error.contains('\x1b'), "{error:?}");
    }
}

#[test]
fn names_only_output_matches_the_classic_name_lists() {
    let lab = lab!();
    let (a, b) = (lab.netns("na"), lab.netns("nb"));
    vnet("vnet-ns", &["add", &a]).ok();
    vnet("vnet-ns", &["add", &b]).ok();
    let names = vnet("vnet-ns", &["list", "-o", "name"]).ok().stdout;
    let mut classic: Vec<String> = sh_ok("ip netns list")
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    let mut ours: Vec<String> = names.lines().map(str::to_string).collect();
    classic.sort();
    ours.sort();
    assert_eq!(ours, classic);
    assert!(ours.contains(&a) && ours.contains(&b));
    // In a shell loop.
    let looped = sh_ok(&format!(
        "for n in $({} list -o name); do echo \"<$n>\"; done",
        bin_dir().join("vnet-ns").display()
    ));
    assert!(looped.contains(&format!("<{a}>")), "{looped}");

    let br = lab.link("br");
    vnet("vnet-bridge", &["addbr", &br]).ok();
    let ours = vnet("vnet-bridge", &["show", "-o", "name"]).ok().stdout;
    let sysfs = sh_ok("for d in /sys/class/net/*/bridge; do basename $(dirname $d); done | sort");
    let mut ours_sorted: Vec<&str> = ours.lines().collect();
    ours_sorted.sort();
    assert_eq!(ours_sorted, sysfs.lines().collect::<Vec<_>>());
    assert!(ours.lines().any(|l| l == br));

    let net = lab.network("net");
    vnet(
        "vnet-net",
        &[
            "define",
            "--name",
            &net,
            "--mode",
            "isolated",
            "--ip",
            "10.214.7.1/24",
        ],
    )
    .ok();
    let ours = vnet("vnet-net", &["list", "--all", "-o", "name"]).ok().stdout;
    let virsh = sh_ok("virsh net-list --all --name");
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.lines().filter(|l| !l.is_empty()).map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&ours), sorted(&virsh));
    assert!(ours.lines().any(|l| l == net));
    let ours = vnet("vnet-vm", &["list", "--all", "-o", "name"]).ok().stdout;
    assert_eq!(sorted(&ours), sorted(&sh_ok("virsh list --all --name")));
    // A verb printing one object: its name; and a failed verb prints nothing on stdout.
    let c = lab.netns("nc");
    assert_eq!(
        vnet("vnet-ns", &["add", &c, "-o", "name"]).ok().stdout,
        format!("{c}\n")
    );
    vnet("vnet-ns", &["add", &c, "-o", "name"]).fails(4, &c);
}

#[test]
fn script_spellings_behave_as_their_long_forms() {
    let lab = lab!();
    let blue = lab.netns("blue");
    // --may-exist / --if-exists as ovs-vsctl spells them.
    let made = vnet("vnet-ns", &["add", &blue, "--may-exist"]).ok().json();
    assert_eq!(made["changed"], true);
    let again = vnet("vnet-ns", &["add", &blue, "--may-exist"]).ok().json();
    assert_eq!(again["changed"], false);
    vnet("vnet-ns", &["add", &blue]).fails(4, &blue);
    // -j is the default JSON; -q drops the header of -o text (one line per namespace either way).
    let j = vnet("vnet-ns", &["-j", "list"]).ok().json();
    assert!(j.as_array().unwrap().iter().any(|n| n["name"] == blue.as_str()));
    let br = lab.link("br");
    vnet("vnet-bridge", &["addbr", &br]).ok();
    let text = vnet("vnet-bridge", &["show", &br, "-o", "text"]).ok().stdout;
    let quiet = vnet("vnet-bridge", &["show", &br, "-o", "text", "-q"])
        .ok()
        .stdout;
    assert!(text.starts_with("bridge name"), "{text}");
    assert_eq!(quiet.lines().count(), text.lines().count() - 1, "{text}\n{quiet}");
    // -b FILE as ip -b / bridge -b.
    let dir = lab.dir("batch");
    let file = dir.join("lines");
    std::fs::write(
        &file,
        format!("delete {blue} --if-exists\ndelete {blue} --if-exists\n"),
    )
    .unwrap();
    let records = vnet("vnet-ns", &["-b", file.to_str().unwrap()]).ok().records();
    assert_eq!(records[0]["changed"], true);
    assert_eq!(records[1]["changed"], false);
    assert!(!Path::new("/run/netns").join(&blue).exists());
    vnet("vnet-bridge", &["delbr", &br, "--if-exists"]).ok();
    let gone = vnet("vnet-bridge", &["delbr", &br, "--if-exists"]).ok().json();
    assert_eq!(gone["changed"], false);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The kvm check of `vnet-net doctor` with the probe cache in `cache`.
fn doctor_kvm(cache: &Path) -> Value {
    let run = run_env(
        &bin_dir().join("vnet-net"),
        &["doctor"],
        &[("VNET_KVM_PROBE_CACHE", cache.to_str().unwrap())],
    )
    .ok();
    let checks: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_valid("vnet-net", "doctor", &checks);
    checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "kvm")
        .cloned()
        .unwrap()
}

#[test]
fn doctor_tells_the_truth_about_kvm_and_install_reuses_the_cached_probe() {
    let lab = lab!();
    let dir = lab.dir("probe");
    let cache = dir.join("kvm-probe.json");
    // The oracle: this machine's /dev/kvm exists, yet a KVM guest cannot run (DESIGN.md): start
    // one through libvirt ourselves.
    assert!(Path::new("/dev/kvm").exists());
    let probe_xml = dir.join("probe.xml");
    std::fs::write(
        &probe_xml,
        "<domain type='kvm'><name>oracle-kvm-probe</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>\
         <os><type>hvm</type></os><devices><memballoon model='none'/></devices></domain>",
    )
    .unwrap();
    let oracle = sh(&format!(
        "virsh create {} && sleep 0.3 && virsh domstate oracle-kvm-probe; virsh destroy oracle-kvm-probe",
        probe_xml.display()
    ));
    let kvm_runs = oracle.code == 0 && oracle.stdout.contains("running");

    let started = Instant::now();
    let first = doctor_kvm(&cache);
    let probe_time = started.elapsed();
    assert_eq!(
        first["ok"], kvm_runs,
        "doctor must agree with a real KVM guest: {first} / {oracle:?}"
    );
    assert!(!first["detail"].as_str().unwrap().contains("cached"), "{first}");
    if !kvm_runs {
        assert!(
            first["hint"].as_str().unwrap().contains("--virt-type qemu"),
            "{first}"
        );
    }
    let entry: Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_eq!(entry["verdict"]["usable"], kvm_runs, "{entry}");
    assert_eq!(entry["key"]["dev_kvm"], true, "{entry}");
    assert!(
        entry["key"]["emulator"].as_str().unwrap().contains("qemu"),
        "{entry}"
    );

    // The second doctor and an install --virt-type auto take the cached verdict: no probe guest.
    let second = doctor_kvm(&cache);
    assert_eq!(second["ok"], first["ok"]);
    assert!(second["detail"].as_str().unwrap().contains("cached"), "{second}");
    let files = lab.dir("boot");
    std::fs::write(files.join("vmlinuz"), "k").unwrap();
    std::fs::write(files.join("initrd"), "i").unwrap();
    let boot = format!(
        "kernel={},initrd={}",
        files.join("vmlinuz").display(),
        files.join("initrd").display()
    );
    let install = |cache: &Path| {
        let started = Instant::now();
        let run = run_env(
            &bin_dir().join("vnet-vm"),
            &[
                "install",
                "--name",
                "kvm-cache-dry",
                "--memory",
                "64",
                "--boot",
                &boot,
                "--disk",
                "none",
                "--network",
                "none",
                "--virt-type",
                "auto",
                "--dry-run",
            ],
            &[("VNET_KVM_PROBE_CACHE", cache.to_str().unwrap())],
        )
        .ok();
        let out: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_valid("vnet-vm", "install", &out);
        (out, started.elapsed())
    };
    let (cached, cached_time) = install(&cache);
    assert_eq!(cached["virt_type"], if kvm_runs { "kvm" } else { "qemu" });
    assert!(
        cached["virt_type_reason"].as_str().unwrap().contains("cached"),
        "{cached}"
    );
    assert!(
        cached_time < probe_time,
        "a cached install ({cached_time:?}) should be quicker than the probe ({probe_time:?})"
    );
    // Invalidated by a changed key (here: another kernel release): the next run probes again.
    let stale = std::fs::read_to_string(&cache)
        .unwrap()
        .replace(entry["key"]["kernel"].as_str().unwrap(), "0.0.0-other");
    std::fs::write(&cache, stale).unwrap();
    let (probed, _) = install(&cache);
    assert!(
        !probed["virt_type_reason"].as_str().unwrap().contains("cached"),
        "{probed}"
    );
    let entry: Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_ne!(entry["key"]["kernel"], "0.0.0-other", "the cache was rewritten");
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::remove_dir_all(files).unwrap();
}

/// The packages this test installs, removed again (dpkg -r) when it ends, also on failure.
const PACKAGES: [&str; 5] = ["vnet", "vnet-ns", "vnet-bridge", "vnet-net", "vnet-vm"];

/// Runs dpkg, waiting out another dpkg run (the lock) for up to a minute.
fn dpkg(args: &str) -> Run {
    sh(&format!(
        "for i in $(seq 60); do out=$(dpkg {args} 2>&1) && {{ echo \"$out\"; exit 0; }}; \
         case \"$out\" in *lock*) sleep 1;; *) echo \"$out\" >&2; exit 1;; esac; done; exit 1"
    ))
}

fn deb_field(deb: &Path, field: &str) -> String {
    sh_ok(&format!("dpkg-deb -f {} {field}", deb.display()))
        .trim()
        .to_string()
}

#[test]
fn debian_packages_install_work_and_remove_cleanly() {
    let lab = lab!();
    let built = sh(&format!("cd {} && debian/build-debs 2>&1", root().display()));
    assert_eq!(built.code, 0, "{}", built.stdout);
    let dir = root().join("target/debian");
    let deb = |name: &str| {
        let found = sh_ok(&format!("ls {}/{name}_*.deb", dir.display()));
        PathBuf::from(found.trim())
    };
    // lintian: no errors (the README says which warnings remain and why).
    let lintian = std::fs::read_to_string(dir.join("lintian.txt")).unwrap();
    assert!(!lintian.lines().any(|l| l.starts_with("E: ")), "{lintian}");

    // Dependencies: libvirt only where it is used.
    for tool in ["vnet-ns", "vnet-bridge"] {
        let depends = deb_field(&deb(tool), "Depends");
        assert!(!depends.contains("libvirt"), "{tool}: {depends}");
        let needed = sh_ok(&format!("readelf -d {}/target/release/{tool}", root().display()));
        assert!(!needed.contains("libvirt"), "{tool} links libvirt: {needed}");
        // A static PIE (the release build where the C toolchain has static glibc:
        // vnet-common/build/static_pie.rs) loads no libc.so, so it needs no libc6; a dynamic one does.
        assert_eq!(
            depends.contains("libc6"),
            needed.contains("libc.so"),
            "{tool}: {depends}; {needed}"
        );
    }
    for tool in ["vnet-net", "vnet-vm"] {
        let depends = deb_field(&deb(tool), "Depends");
        assert!(depends.contains("libvirt0"), "{tool}: {depends}");
        assert_eq!(deb_field(&deb(tool), "Recommends"), "libvirt-daemon-system");
    }
    let meta = deb_field(&deb("vnet"), "Depends");
    for tool in ["vnet-ns", "vnet-bridge", "vnet-net", "vnet-vm"] {
        assert!(meta.contains(tool), "{meta}");
    }
    let contents: Vec<String> = PACKAGES
        .iter()
        .flat_map(|p| {
            sh_ok(&format!("dpkg-deb --fsys-tarfile {} | tar -t", deb(p).display()))
                .lines()
                .filter(|l| !l.ends_with('/'))
                .map(|l| l.trim_start_matches('.').to_string())
                .collect::<Vec<_>>()
        })
        .collect();

    // Install on this machine; removed again on drop, whatever happens below.
    lab.on_drop(format!("dpkg -r {}", PACKAGES.join(" ")));
    let debs: Vec<String> = PACKAGES.iter().map(|p| deb(p).display().to_string()).collect();
    let installed = dpkg(&format!("-i {}", debs.join(" ")));
    assert_eq!(installed.code, 0, "{installed:?}");
    for tool in ["vnet-ns", "vnet-bridge", "vnet-net", "vnet-vm"] {
        let version = sh_ok(&format!("/usr/bin/{tool} --version"));
        assert_eq!(version.trim(), format!("{tool} {}", env!("CARGO_PKG_VERSION")));
    }
    let page = sh_ok("MANPAGER=cat MANWIDTH=80 man vnet-ns 2>/dev/null");
    assert!(page.contains("vnet-ns") && page.contains("EXIT STATUS"), "{page}");
    assert!(Path::new("/usr/share/vnet/schema/vnet-ns/list.json").exists());

    // A completion through bash, as bash-completion loads and calls it.
    let blue = lab.netns("tab");
    vnet("vnet-ns", &["add", &blue]).ok();
    let script = format!(
        r#"source /usr/share/bash-completion/bash_completion
_completion_loader vnet-ns
spec=$(complete -p vnet-ns) || exit 3
echo "SPEC $spec"
func=$(sed -E 's/.* -F ([^ ]+) .*/\1/' <<<"$spec")
COMP_WORDS=(vnet-ns exec "{prefix}")
COMP_CWORD=2
COMP_LINE="vnet-ns exec {prefix}"
COMP_POINT=${{#COMP_LINE}}
COMP_TYPE=9
"$func" vnet-ns "{prefix}" exec
printf 'REPLY %s\n' "${{COMPREPLY[@]}}""#,
        prefix = &blue[..4]
    );
    let completed = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&completed.stdout);
    assert!(out.contains("SPEC complete") && out.contains("vnet-ns"), "{out}");
    assert!(
        out.lines().any(|l| l == format!("REPLY {blue}")),
        "{out} {completed:?}"
    );

    // Removal leaves none of the packages' files.
    let removed = dpkg(&format!("-r {}", PACKAGES.join(" ")));
    assert_eq!(removed.code, 0, "{removed:?}");
    let left: Vec<&String> = contents.iter().filter(|f| Path::new(f).exists()).collect();
    assert!(left.is_empty(), "left after dpkg -r: {left:?}");
    assert!(!Path::new("/usr/share/vnet").exists());
}
