//! virsh's node verbs (freecell, nodememstats, nodecpustats, nodecpumap, cpu-models,
//! pool-capabilities, node-memory-tune) against the sandbox's
//! libvirtd. Oracle: virsh's output for the same call (numbers that move between two calls,
//! free memory and caches, compared by layout).

use vnet_tests::*;

fn text(args: &[&str]) -> String {
    let mut words = args.to_vec();
    words.extend(["-o", "text"]);
    vm(&words).ok().stdout
}

/// The layout with every number as N (free memory moves between two calls).
fn layout(text: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for c in text.chars() {
        match (c.is_ascii_digit(), in_number) {
            (true, false) => out.push('N'),
            (true, true) => {}
            (false, _) => out.push(c),
        }
        in_number = c.is_ascii_digit();
    }
    // Column padding shifts with the numbers' widths.
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn node_verbs_show_what_virsh_shows() {
    let Some(lab) = Lab::new(module_path!()) else {
        return;
    };
    ksm(&lab);
    assert_eq!(text(&["cpu-models", "x86_64"]), sh_ok("virsh cpu-models x86_64"));
    let models = vm(&["cpu-models", "x86_64"]).ok().json();
    assert!(models.as_array().unwrap().iter().any(|m| m == "qemu64"));
    assert_eq!(text(&["nodecpumap"]), sh_ok("virsh nodecpumap"));
    let map = vm(&["nodecpumap"]).ok().json();
    assert_eq!(
        map["present"].as_u64(),
        Some(sh_ok("nproc --all").trim().parse().unwrap())
    );
    for args in [
        &["freecell"][..],
        &["freecell", "--all"],
        &["freecell", "--cellno", "0"],
        &["nodememstats"],
    ] {
        assert_eq!(
            layout(&text(args)),
            layout(&sh_ok(&format!("virsh {}", args.join(" ")))),
            "{args:?}"
        );
        vm(args).ok().json();
    }
    let total = vm(&["nodememstats"]).ok().json()["total"].as_u64().unwrap();
    let meminfo = sh_ok("awk '/MemTotal/ {print $2}' /proc/meminfo")
        .trim()
        .parse::<u64>()
        .unwrap();
    assert_eq!(total, meminfo);

    let percent = vm(&["nodecpustats", "--percent"]).ok().json();
    let idle = percent["stats"]["idle"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&idle), "{percent}");
    // The document itself, as virsh prints it (but for virsh's closing blank line).
    let caps = vm(&["pool-capabilities"]).ok().stdout;
    assert_eq!(caps.trim_end(), sh_ok("virsh pool-capabilities").trim_end());
    assert!(caps.contains("<pool type='dir' supported='yes'>"), "{caps}");

    // libvirt's refusals, as virsh gets them.
    for (ours, line) in [
        (&["cpu-models", "no-such-arch"][..], "cpu-models no-such-arch"),
        (&["freecell", "--cellno", "99"], "freecell --cellno 99"),
        (&["nodememstats", "--cell", "99"], "nodememstats --cell 99"),
        (&["nodecpustats", "--cpu", "99"], "nodecpustats --cpu 99"),
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
        let run = vm(ours);
        assert!(run.code != 0 && run.stderr.contains(&why), "{run:?} vs {virsh:?}");
    }
}

/// node-memory-tune: the kernel's KSM knobs (shared with the host: put back at the end).
fn ksm(lab: &Lab) {
    let knob = "/sys/kernel/mm/ksm/sleep_millisecs";
    let old: u32 = sh_ok(&format!("cat {knob}")).trim().parse().unwrap();
    lab.on_drop(format!("echo {old} > {knob}"));
    assert_eq!(text(&["node-memory-tune"]), sh_ok("virsh node-memory-tune"));
    let new = (old + 1).to_string();
    let set = vm(&["node-memory-tune", "--shm-sleep-millisecs", &new])
        .ok()
        .json();
    assert_eq!(
        (
            set["changed"].as_bool(),
            set["params"]["shm_sleep_millisecs"].as_u64()
        ),
        (Some(true), Some(old as u64 + 1))
    );
    assert_eq!(sh_ok(&format!("cat {knob}")).trim(), new);
    assert_eq!(text(&["node-memory-tune"]), sh_ok("virsh node-memory-tune"));
    let again = vm(&["node-memory-tune", "--shm-sleep-millisecs", &new])
        .ok()
        .json();
    assert_eq!(again["changed"], false);
    vm(&["node-memory-tune", "--shm-sleep-millisecs", &old.to_string()]).ok();
    assert_eq!(sh_ok(&format!("cat {knob}")).trim(), old.to_string());
    assert_unchanged(
        || sh_ok("virsh node-memory-tune"),
        || {
            vm(&["node-memory-tune", "--shm-pages-to-scan", "many"]).fails(2, "--shm-pages-to-scan");
        },
    );
}
