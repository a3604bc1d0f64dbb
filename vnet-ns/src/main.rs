use std::process::ExitCode;

fn main() -> ExitCode {
    vnet_common::cli::run_main::<vnet_ns::cli::Cli>(vnet_ns::TOOL, vnet_ns::run)
}
