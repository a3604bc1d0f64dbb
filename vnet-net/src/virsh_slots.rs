//! virsh's names for each verb's arguments that a bare word may fill, in virsh's order (see
//! vnet_common::virsh_args): `vnet-net net-start --network lab` works as its virsh line does.
//! The tests hold every row to the verb's clap arguments and to `virsh help net-VERB`.

pub(crate) fn virsh_slots(verb: &str) -> &'static [&'static str] {
    match verb {
        "define" | "create" => &["file"],
        "start" | "destroy" | "undefine" | "autostart" | "dumpxml" | "info" | "dhcp-leases" => &["network"],
        "update" => &["network", "command", "section", "xml"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::virsh_slots;
    use vnet_common::virsh_args::testing::{check_against_clap, check_against_virsh};

    /// vnet-net's own verbs, which virsh does not have.
    const NOT_VIRSH: &[&str] = &["dhcp-hosts", "dns-hosts", "events", "prune", "doctor", "help"];

    #[test]
    fn every_row_matches_the_verbs_arguments() {
        check_against_clap(
            &vnet_common::tool::command::<crate::NetTool>(),
            virsh_slots,
            NOT_VIRSH,
        );
    }

    #[test]
    fn every_row_matches_virsh_help() {
        check_against_virsh(
            &vnet_common::tool::command::<crate::NetTool>(),
            virsh_slots,
            "net-",
        );
    }
}
