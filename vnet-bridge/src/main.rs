//! vnet-bridge's entry point, without Rust's runtime start-up: a listing must cost no more than
//! `brctl show`, and std's start-up (stack-guard discovery that reads /proc/self/maps, the
//! alternate signal stack, the standard-descriptor check) is most of what a Rust program costs
//! over a C one. What of it matters here is done by hand: writes to a closed pipe fail with
//! EPIPE (the printer then exits quietly) instead of killing the process. Without std's handler
//! a stack overflow ends in a plain SIGSEGV instead of a message.
#![no_main]

use std::os::raw::{c_char, c_int};

#[no_mangle]
pub extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    // SAFETY: setting a signal's disposition to SIG_IGN before any thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    c_int::from(vnet_bridge::main())
}
