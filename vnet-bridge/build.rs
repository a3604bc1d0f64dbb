//! Links the vnet-bridge binary as a position-dependent executable (`-no-pie`), for its start-up:
//! see vnet-common/src/fast.rs, "Position-dependent binaries", for what it buys and costs.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
