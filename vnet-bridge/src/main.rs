use std::process::ExitCode;

fn main() -> ExitCode {
    vnet_common::cli::run_main::<vnet_bridge::cli::Cli>(vnet_bridge::TOOL, vnet_bridge::run)
}
