//! Links a tool's binaries as static PIEs: glibc linked into the executable, whose address stays
//! randomized (a PIE, full RELRO), and no dynamic loader at start. Used by the build scripts of
//! vnet-ns and vnet-bridge (`#[path]`-included); vnet-net and vnet-vm load libvirt, a shared
//! library, and stay dynamic.
//!
//! What it buys (bench/callgrind and perf stat, 2026-12-07, release builds): the dynamic loader's
//! symbol lookups and relocations were a third of a one-object listing's instructions
//! (`vnet-ns route show` 444k instructions, 158k of them in ld.so), and libc.so's pages a quarter
//! of its page faults and of its peak RSS. See bench/startup-2026-12-07.md ("Third session").
//!
//! How: rustc asks the linker for `-lc -lm -lrt -lpthread -ldl -lutil` (and `-lgcc_s`, which
//! vnet-common's build script already answers with gcc's static unwinder). A directory searched
//! first holds, under each library's shared name, a linker script naming its static archive,
//! and `-static-pie` makes gcc start the program with rcrt1.o and no program interpreter. Only the
//! binaries get the flags (`rustc-link-arg-bins`): unit-test executables stay ordinary.
//!
//! Cost: glibc's name-service lookups (`tuntap add user NAME`, `group NAME`) read /etc/passwd
//! and /etc/group with the modules built into libc ("files"); other nsswitch modules are loaded
//! at run time from the same glibc as ever.

use std::path::{Path, PathBuf};
use std::process::Command;

const LIBS: [&str; 6] = ["c", "m", "rt", "pthread", "dl", "util"];

/// Prints the cargo instructions; does nothing where the C toolchain has no static glibc.
pub fn link_bins_static_pie() {
    println!("cargo:rerun-if-changed=../vnet-common/build/static_pie.rs");
    println!("cargo:rerun-if-env-changed=CC");
    println!("cargo:rerun-if-env-changed=VNET_DYNAMIC");
    println!("cargo:rerun-if-env-changed=PROFILE");
    let gnu_linux = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    // VNET_DYNAMIC=1: link as before (for measuring one against the other). Debug builds stay
    // dynamic: the end-to-end tests build the whole workspace, where the check below would make
    // them dynamic anyway (its cause is what crashed the static-PIE debug builds tried before).
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    if !gnu_linux || !release || std::env::var_os("VNET_DYNAMIC").is_some() {
        return;
    }
    // Built in one cargo run with vnet-net or vnet-vm (`cargo build --workspace`), vnet-common
    // comes with their libvirt feature (cargo unifies features), and virt-sys's search directory
    // (/usr/lib/<triple>) is searched before ours: -lc would find the shared glibc, and a static
    // PIE linked against it crashes at start. Link dynamically then; `make` and bench/run build
    // the kernel tools on their own.
    if std::env::var_os("DEP_VNET_COMMON_LIBVIRT").is_some() {
        println!("cargo:warning=linked dynamically: built with vnet-common's libvirt feature (cargo build -p vnet-ns -p vnet-bridge, or make, links a static PIE)");
        return;
    }
    let Some(archives) = LIBS
        .iter()
        .map(|l| gcc_file(&format!("lib{l}.a")))
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    if gcc_file("rcrt1.o").is_none() {
        return;
    }
    let dir = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("static-libc");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    for (lib, archive) in LIBS.iter().zip(&archives) {
        let script = format!("INPUT({})\n", archive.display());
        if std::fs::write(dir.join(format!("lib{lib}.so")), script).is_err() {
            return;
        }
    }
    println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
    println!("cargo:rustc-link-arg-bins=-static-pie");
    // The start-up code relocates the executable itself; packed, its about 4,300 relative
    // relocations take a few KiB instead of 100 KiB of pages read at every start (glibc 2.36
    // applies DT_RELR in a static PIE; an older one would crash at start, so it is asked).
    if glibc_applies_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    order_text();
}

/// Hot code first: the functions the tool's one-shot verbs run, listed in
/// vnet-common/build/order/TOOL.txt (made by bench/link-order from profiles of every verb in
/// bench/), are placed together at the start of the text, so a verb's code fills few of the 64 KiB
/// windows the kernel maps per page fault. Names the linker does not find (code changed since
/// the profile) are skipped silently: the order is a hint, never a build failure.
/// VNET_LINK_MAP=DIR writes the linker's map to DIR/TOOL.map (for making or checking the order).
fn order_text() {
    let tool = std::env::var("CARGO_PKG_NAME").expect("cargo sets CARGO_PKG_NAME");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("../vnet-common/build/order");
    let file = dir.join(format!("{tool}.txt"));
    println!("cargo:rerun-if-changed={}", file.display());
    println!("cargo:rerun-if-env-changed=VNET_LINK_MAP");
    // Segments 64 KiB-aligned in the file as in memory: a fault maps the 64 KiB window around
    // it and the page cache's 64 KiB folios around it; aligned alike, those are the same pages.
    println!("cargo:rustc-link-arg-bins=-Wl,-z,max-page-size=65536");
    // An lld option: rustc links with its own lld on this target from 1.90 on; with an older
    // toolchain (GNU ld) the text keeps the compiler's order.
    if file.is_file() && links_with_lld() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            file.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
    if let Some(map) = std::env::var_os("VNET_LINK_MAP") {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,-Map={}/{tool}.map",
            Path::new(&map).display()
        );
    }
}

/// True when rustc links this target with its bundled lld by default (x86_64 Linux, 1.90 on).
fn links_with_lld() -> bool {
    if std::env::var("TARGET").as_deref() != Ok("x86_64-unknown-linux-gnu") {
        return false;
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let Ok(output) = Command::new(rustc).arg("-V").output() else {
        return false;
    };
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text.split_whitespace().nth(1).unwrap_or("");
    let mut parts = version.split('.').map(|n| n.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (1, 90)
}

/// True when the build host's glibc (the one linked in) is 2.36 or newer.
fn glibc_applies_relr() -> bool {
    let Ok(output) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text.trim().strip_prefix("glibc ").unwrap_or("");
    let mut parts = version.split('.').map(|n| n.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (2, 36)
}

/// The absolute path of `name` in the C compiler's search path, if it has one.
fn gcc_file(name: &str) -> Option<PathBuf> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let output = Command::new(cc)
        .arg(format!("-print-file-name={name}"))
        .output()
        .ok()?;
    let found = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    // gcc prints the bare name back when it has no such file.
    (output.status.success() && found.is_absolute() && found.is_file()).then_some(found)
}
