use std::process::ExitCode;

fn main() -> ExitCode {
    vnet_common::cli::run_main::<vnet_vm::VmTool>()
}
