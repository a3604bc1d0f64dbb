//! Start-up for the hot read verbs (`vnet-bridge show`, `vnet-ns route show`, ...): a one-shot
//! listing is to cost no more than the classic tool's (`brctl show`, `ip -j route show`), and a C
//! tool's start-up is a few hundred microseconds. The command line is parsed by clap alone, with
//! only the named verb's command built (see [`crate::tool::command_for`]). For the tools whose
//! main is [`no_std_main!`], std's runtime start-up is left out too: [`no_std_main!`] declares a C
//! `main` and does by hand the one part of it that matters, SIGPIPE ignored, so a write to a
//! closed pipe fails with EPIPE (the printer then exits quietly) instead of killing the process.
//! Without std's handler a stack overflow ends in a plain SIGSEGV instead of a message. Arguments
//! still come from `std::env::args_os` (glibc hands them to std before `main`).
//!
//! What it buys (bench/callgrind, 2026-12-07, release builds): 90 thousand instructions per start,
//! `vnet-ns list` with one namespace 420k instructions with this main against 509k with std's
//! (+21%), `vnet-bridge show` of one bridge 473k against 563k (+19%).
//!
//! Not done, on purpose: linking vnet-ns and vnet-bridge `-no-pie`. Measured (2026-12-07,
//! bench/startup-2026-12-07.md) it saves 39 thousand instructions and 16 page faults per start
//! (about 0.05-0.1 ms), but the executable's code would then sit at a fixed address in a tool
//! that runs as root; its address stays randomized.

use crate::cli::{self, Tool};

/// The body of a [`no_std_main!`] main: SIGPIPE ignored, the command line run, stdout flushed
/// (no std runtime around it does that at exit), the exit status.
pub fn main<T: Tool>() -> u8 {
    // SAFETY: setting a signal's disposition to SIG_IGN before any thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let status = exit_status(cli::run_main::<T>());
    let _ = std::io::Write::flush(&mut std::io::stdout());
    status
}

/// The number an ExitCode stands for (std has no stable accessor; ExitCode compares).
pub fn exit_status(code: std::process::ExitCode) -> u8 {
    (0..=255u8)
        .find(|n| std::process::ExitCode::from(*n) == code)
        .unwrap_or(1)
}

/// A tool's `main` without Rust's runtime start-up (see the module's notes): put
/// `#![no_main]` and `vnet_common::no_std_main!(Tool);` in the binary's main.rs. Such a binary
/// has no test harness of its own: give it `test = false` in Cargo.toml.
#[macro_export]
macro_rules! no_std_main {
    ($tool:ty) => {
        #[no_mangle]
        pub extern "C" fn main(
            _argc: ::std::os::raw::c_int,
            _argv: *const *const ::std::os::raw::c_char,
        ) -> ::std::os::raw::c_int {
            ::std::os::raw::c_int::from($crate::fast::main::<$tool>())
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn exit_status_reads_back_every_code() {
        for n in [0u8, 1, 3, 7, 130, 255] {
            assert_eq!(super::exit_status(std::process::ExitCode::from(n)), n);
        }
    }
}
