fn main() -> std::process::ExitCode {
    vnet_common::cli::run_main::<vnet_vm::cli::Cli>("vnet-vm", vnet_vm::run)
}
