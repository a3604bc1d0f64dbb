//! Links gcc's unwinder statically into every vnet tool (and test binary), as `gcc -static-libgcc`
//! does for a C++ program, instead of loading libgcc_s.so.1 at every start. What it buys
//! (bench/callgrind, 2026-12-07, release builds): 26 thousand instructions of the dynamic loader
//! per start besides the library's open and mappings, `vnet-ns list` with one namespace 420k
//! instructions against 446k (+6%) with libgcc_s.so.1 loaded, `vnet-bridge show` of one bridge
//! 473k against 499k. See src/fast.rs for the rest of the tools' start-up diet.
//!
//! How: rustc asks the linker for `-lgcc_s`; a directory searched first that holds gcc's static
//! unwinder (libgcc_eh.a) under the name libgcc_s.a answers that request with it. Cargo passes a
//! library's link-search directories on to the link of every binary that depends on it, so this
//! one build script serves all four tools. When the C compiler does not know libgcc_eh.a (not a
//! glibc target, no gcc), nothing changes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    // Read by build/static_pie.rs in the tools' build scripts as DEP_VNET_COMMON_LIBVIRT.
    if std::env::var_os("CARGO_FEATURE_LIBVIRT").is_some() {
        println!("cargo:libvirt=1");
    }
    let gnu_linux = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    if !gnu_linux {
        return;
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let Ok(output) = Command::new(cc).arg("-print-file-name=libgcc_eh.a").output() else {
        return;
    };
    let found = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    // gcc prints the bare name back when it has no such file.
    if !output.status.success() || !found.is_absolute() || !found.is_file() {
        return;
    }
    let dir = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("static-libgcc");
    if std::fs::create_dir_all(&dir).is_err() || std::fs::copy(&found, dir.join("libgcc_s.a")).is_err() {
        return;
    }
    println!("cargo:rustc-link-search=native={}", dir.display());
}
