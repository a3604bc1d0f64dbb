//! virsh's CPU and page verbs of the host (cpu-baseline, cpu-compare, hypervisor-cpu-baseline,
//! hypervisor-cpu-compare, freepages, allocpages, nodesevinfo, nodesuspend) against the
//! sandbox's libvirtd. Oracles: virsh's output for the same line, and the kernel's huge page
//! pool in sysfs. nodesuspend is run only against libvirt's test driver (`-c test:///default`):
//! on qemu:///system it would suspend this machine.

use vnet_tests::*;

fn text(args: &[&str]) -> String {
    let mut words = args.to_vec();
    words.extend(["-o", "text"]);
    vm(&words).ok().stdout
}

/// The last line virsh wrote on stderr, without "error: ".
fn virsh_reason(line: &str) -> (i32, String) {
    let run = sh(&format!("virsh {line}"));
    let why = run
        .stderr
        .lines()
        .last()
        .unwrap_or("")
        .trim_start_matches("error: ");
    (run.code, why.to_string())
}

/// A file of the lab's with `text` in it.
fn file(lab: &Lab, name: &str, text: &str) -> String {
    let path = format!("/tmp/{}-{name}", lab.name("cpu"));
    std::fs::write(&path, text).unwrap();
    lab.on_drop(format!("rm -f {path}"));
    path
}

#[test]
fn cpu_verbs_answer_as_virsh() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    let caps = file(&lab, "caps.xml", &sh_ok("virsh capabilities"));
    // The host's own CPU: what virsh says, word for word.
    assert_eq!(
        text(&["cpu-compare", &caps]),
        sh_ok(&format!("virsh cpu-compare {caps}"))
    );
    let same = vm(&["cpu-compare", "--file", &caps]).ok().json();
    assert_eq!(same["result"], "identical", "{same}");
    assert_eq!(
        vm(&["cpu-baseline", &caps, "--features"]).ok().stdout.trim_end(),
        sh_ok(&format!("virsh cpu-baseline {caps} --features")).trim_end()
    );
    // A CPU with a feature no host has: virsh prints "incompatible" and exits 1.
    let alien = "<cpu><arch>x86_64</arch><model>qemu64</model>\
                 <feature policy='require' name='avx512-vp2intersect'/></cpu>";
    let alien = file(&lab, "alien.xml", alien);
    let virsh = sh(&format!("virsh cpu-compare {alien}"));
    assert_eq!(virsh.code, 1, "{virsh:?}");
    assert!(virsh.stdout.contains("incompatible"), "{virsh:?}");
    vm(&["cpu-compare", &alien]).fails(1, "incompatible with host CPU");
    let (code, why) = virsh_reason(&format!("cpu-compare {alien} --error"));
    assert_eq!(code, 1);
    vm(&["cpu-compare", &alien, "--error"]).fails(1, &why);

    // The hypervisor's CPU (QEMU's probe: a few seconds).
    let domcaps = file(
        &lab,
        "domcaps.xml",
        &sh_ok("virsh domcapabilities --virttype qemu"),
    );
    let line = format!("hypervisor-cpu-compare {domcaps} --virttype qemu");
    let words: Vec<&str> = line.split(' ').collect();
    assert_eq!(text(&words), sh_ok(&format!("virsh {line}")));
    vm(&words).ok().json();
    let line = "hypervisor-cpu-baseline --model qemu64 --virttype qemu";
    let words: Vec<&str> = line.split(' ').collect();
    assert_eq!(
        vm(&words).ok().stdout.trim_end(),
        sh_ok(&format!("virsh {line}")).trim_end()
    );
    let line = format!("hypervisor-cpu-baseline --file {caps} --virttype qemu --migratable");
    let words: Vec<&str> = line.split(' ').collect();
    assert_eq!(
        vm(&words).ok().stdout.trim_end(),
        sh_ok(&format!("virsh {line}")).trim_end()
    );

    // Bad input: refused before libvirt is asked; virsh refuses each too.
    let network = file(&lab, "net.xml", "<network><name>x</name></network>");
    assert_ne!(sh(&format!("virsh cpu-baseline {network}")).code, 0);
    vm(&["cpu-baseline", &network]).fails(7, "does not contain any <cpu>");
    vm(&["cpu-compare", "/nonexistent/cpu.xml"]).fails(3, "cpu.xml");
    let broken = file(&lab, "broken.xml", "<cpu><model>");
    vm(&["cpu-compare", &broken]).fails(7, "not XML");
    vm(&["hypervisor-cpu-baseline"]).fails(2, "required arguments");
    vm(&["hypervisor-cpu-baseline", "--file", &caps, "--model", "qemu64"]).fails(2, "--model");
}

#[test]
fn page_verbs_show_and_set_the_kernels_pools() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    // Hugepage counts stand still; 4 KiB pages move between two calls (compared by layout).
    for line in [
        "freepages --cellno 0 --pagesize 2048",
        "freepages --cellno 0 --pagesize 2M",
        "freepages --all --pagesize 1G",
    ] {
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!(text(&words), sh_ok(&format!("virsh {line}")), "{line}");
        vm(&words).ok().json();
    }
    let all = vm(&["freepages", "--all"]).ok().json();
    let sizes: Vec<u64> = all["cells"][0]["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["size_kib"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, [4, 2048, 1048576], "{all}");

    // allocpages: the kernel's 2 MiB pool of node 0 (shared with the host: put back at the end).
    let pool = "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages";
    let old: u64 = sh_ok(&format!("cat {pool}")).trim().parse().unwrap();
    lab.on_drop(format!("echo {old} > {pool}"));
    let want = (old + 1).to_string();
    let set = vm(&["allocpages", "2M", &want, "--cellno", "0"]).ok().json();
    assert_eq!(
        (set["changed"].as_bool(), set["size_kib"].as_u64()),
        (Some(true), Some(2048))
    );
    assert_eq!(sh_ok(&format!("cat {pool}")).trim(), want);
    assert_eq!(set["cells"][0]["pages"].as_u64(), Some(old + 1), "{set}");
    assert_eq!(
        sh_ok("virsh freepages --cellno 0 --pagesize 2048"),
        format!("2048KiB: {want}\n\n")
    );
    let again = vm(&["allocpages", "2048", &want, "--cellno", "0"]).ok().json();
    assert_eq!(again["changed"], false);
    vm(&[
        "allocpages",
        "--pagesize",
        "2048",
        "--pagecount",
        "1",
        "--add",
        "--all",
    ])
    .ok();
    assert_eq!(sh_ok(&format!("cat {pool}")).trim(), (old + 2).to_string());
    vm(&["allocpages", "2048", &old.to_string()]).ok();
    assert_eq!(sh_ok(&format!("cat {pool}")).trim(), old.to_string());
    // --batch --atomic puts the pool back when a later line fails.
    let script = format!("allocpages 2048 {want} --cellno 0\nstart no-such-domain\n");
    let run = vnet_stdin("vnet-vm", &["--batch", "-", "--atomic"], &script);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(sh_ok(&format!("cat {pool}")).trim(), old.to_string());

    // Bad input, the pools unchanged.
    assert_unchanged(
        || sh_ok(&format!("cat {pool}")),
        || {
            vm(&["allocpages", "3x", "1"]).fails(7, "3x");
            vm(&["allocpages", "0", "1"]).fails(7, "page size");
            vm(&["allocpages", "2048", "many"]).fails(2, "many");
            vm(&["allocpages", "2048", "1", "--all", "--cellno", "0"]).fails(2, "--cellno");
            vm(&["freepages", "--cellno", "-2", "--pagesize", "4"]).fails(7, "-1");
            vm(&["freepages"]).fails(2, "required arguments");
            vm(&["freepages", "--cellno", "0"]).fails(2, "required arguments");
        },
    );
    // libvirt's refusals, as virsh gets them.
    for (ours, line) in [
        (
            &["freepages", "--cellno", "9", "--pagesize", "4"][..],
            "freepages --cellno 9 --pagesize 4",
        ),
        (&["allocpages", "4", "1"], "allocpages 4 1"),
        (&["nodesevinfo"], "nodesevinfo"),
    ] {
        let (code, why) = virsh_reason(line);
        assert_ne!(code, 0, "{line}");
        let run = vm(ours);
        assert!(run.code != 0 && run.stderr.contains(&why), "{run:?} vs {why}");
    }
}

#[test]
fn nodesuspend_is_asked_of_the_test_driver_only() {
    let Some(_lab) = Lab::new(module_path!()) else {
        return;
    };
    // The test driver cannot suspend: libvirt's refusal, as virsh gets it (exit 6: unsupported).
    let (code, why) = virsh_reason("-c test:///default nodesuspend mem 60");
    assert_eq!(code, 1);
    vm(&["-c", "test:///default", "nodesuspend", "mem", "60"]).fails(6, &why);
    vm(&[
        "-c",
        "test:///default",
        "nodesuspend",
        "--target",
        "disk",
        "--duration",
        "120",
    ])
    .fails(6, &why);
    // Refused before libvirt is asked (virsh: "Invalid target").
    assert_ne!(sh("virsh -c test:///default nodesuspend sleep 60").code, 0);
    vm(&["-c", "test:///default", "nodesuspend", "sleep", "60"]).fails(7, "sleep");
    vm(&["-c", "test:///default", "nodesuspend", "mem"]).fails(2, "required arguments");
    vm(&["-c", "test:///default", "nodesuspend", "mem", "-5"]).fails(2, "-5");
}
