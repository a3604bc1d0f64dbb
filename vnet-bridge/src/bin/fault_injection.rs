//! vnet-bridge with the test-only fault injection (cargo feature `fault-injection`): the same
//! tool, plus VNET_BRIDGE_FAIL_AFTER=STEP for the end-to-end tests of `addif --move-addresses`.

use std::process::ExitCode;

fn main() -> ExitCode {
    vnet_common::cli::run_main::<vnet_bridge::BridgeTool>()
}
