//! virsh's names for each verb's arguments that a bare word may fill, in virsh's order (see
//! vnet_common::virsh_args): `vnet-vm start --domain web` and `vnet-vm attach-interface web
//! network default` work as their virsh lines do. The first names are the verb's positionals, the
//! rest its long flags; the tests hold every row to the verb's clap arguments and to `virsh help`.

pub(crate) fn virsh_slots(verb: &str) -> &'static [&'static str] {
    match verb {
        "start" | "shutdown" | "destroy" | "undefine" | "dumpxml" | "domiflist" | "domifaddr" | "console"
        | "dominfo" | "domstate" | "autostart" | "reboot" | "suspend" | "resume" | "vncdisplay"
        | "inject-nmi" | "dompmwakeup" | "domblklist" | "dommemstat" | "domjobinfo" | "guestinfo"
        | "domfsinfo" | "domtime" | "domdisplay" | "ttyconsole" | "snapshot-list" | "snapshot-current"
        | "vcpucount" | "reset" | "managedsave" | "managedsave-remove" | "domuuid" | "domname" | "domid" => {
            &["domain"]
        }
        "define" | "create" | "restore" => &["file"],
        "attach-interface" => &["domain", "type", "source"],
        "detach-interface" => &["domain", "type", "mac"],
        "attach-disk" => &["domain", "source", "target"],
        "detach-disk" => &["domain", "target"],
        "attach-device" | "detach-device" | "update-device" | "save" | "screenshot" => &["domain", "file"],
        "detach-device-alias" => &["domain", "alias"],
        "domif-setlink" => &["domain", "interface", "state"],
        "domif-getlink" => &["domain", "interface"],
        "dompmsuspend" => &["domain", "target"],
        "change-media" => &["domain", "path", "source"],
        "domblkinfo" | "domblkstat" => &["domain", "device"],
        "blockresize" => &["domain", "path", "size"],
        "domifstat" => &["domain", "interface"],
        "send-key" => &["domain", "keycode"],
        "qemu-agent-command" => &["domain", "cmd"],
        "set-user-password" => &["domain", "user", "password"],
        "snapshot-create-as" => &["domain", "name"],
        "snapshot-create" => &["domain", "xmlfile"],
        "snapshot-info" | "snapshot-dumpxml" | "snapshot-revert" | "snapshot-delete" => {
            &["domain", "snapshotname"]
        }
        "setmem" | "setmaxmem" => &["domain", "size"],
        "setvcpus" => &["domain", "count"],
        "domrename" => &["domain", "new-name"],
        "desc" => &["domain", "new-desc"],
        "pool-info" | "pool-build" | "pool-start" | "pool-autostart" | "pool-destroy" | "pool-undefine"
        | "pool-delete" | "vol-list" => &["pool"],
        "pool-define-as" => &["name", "type"],
        "vol-create-as" => &["pool", "name", "capacity"],
        "vol-info" | "vol-delete" => &["vol"],
        "vol-upload" | "vol-download" => &["vol", "file"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::virsh_slots;
    use vnet_common::virsh_args::testing::{check_against_clap, check_against_virsh};

    /// Verbs without a row: vnet-vm's own (virsh has no install, wait, events or prune), and
    /// domstats, whose domains virsh takes as bare words only (no `--domain`).
    const NOT_VIRSH: &[&str] = &["install", "wait", "events", "prune", "help", "domstats"];

    #[test]
    fn every_row_matches_the_verbs_arguments() {
        check_against_clap(
            &vnet_common::tool::command::<crate::VmTool>(),
            virsh_slots,
            NOT_VIRSH,
        );
    }

    #[test]
    fn every_row_matches_virsh_help() {
        check_against_virsh(&vnet_common::tool::command::<crate::VmTool>(), virsh_slots, "");
    }
}
