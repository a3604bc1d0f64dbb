//! virsh's names for each verb's arguments that a bare word may fill, in virsh's order (see
//! vnet_common::virsh_args): `vnet-net net-start --network lab` works as its virsh line does.
//! The tests hold every row to the verb's clap arguments and to `virsh help net-VERB`.

pub(crate) fn virsh_slots(verb: &str) -> &'static [&'static str] {
    match verb {
        "define" | "create" => &["file"],
        "start" | "destroy" | "undefine" | "autostart" | "dumpxml" | "info" | "dhcp-leases" => &["network"],
        "events" => &["network"],
        "edit" | "uuid" | "name" | "port-list" => &["network"],
        "port-create" => &["network", "file"],
        "port-dumpxml" | "port-delete" => &["network", "port"],
        "nwfilter-define" => &["file"],
        "nwfilter-dumpxml" | "nwfilter-undefine" => &["nwfilter"],
        "nwfilter-binding-create" => &["file"],
        "nwfilter-binding-dumpxml" | "nwfilter-binding-delete" => &["binding"],
        "update" => &["network", "command", "section", "xml"],
        _ => &[],
    }
}

/// virsh's options of each verb that vnet-net does not support: refused by name, exit 7.
pub(crate) fn virsh_refused(verb: &str) -> &'static [&'static str] {
    REFUSED
        .iter()
        .find(|(v, _)| *v == verb)
        .map_or(&[], |(_, options)| options)
}

/// The table behind [`virsh_refused`]: verb, then the virsh options refused.
const REFUSED: &[(&str, &[&str])] = &[];

#[cfg(test)]
mod tests {
    use super::{virsh_refused, virsh_slots};
    use vnet_common::virsh_args::testing::{check_against_clap, check_against_virsh, VirshGrammar};

    const GRAMMAR: VirshGrammar = VirshGrammar {
        slots: virsh_slots,
        refused: virsh_refused,
        not_virsh: &["dhcp-hosts", "dns-hosts", "prune", "doctor", "forward", "help"],
        unnamed: &[],
        virsh_verb: |verb| match verb {
            "events" => "net-event".into(),
            // The filter verbs keep virsh's own names.
            verb if verb.starts_with("nwfilter-") => verb.into(),
            verb => format!("net-{verb}"),
        },
    };

    #[test]
    fn every_row_matches_the_verbs_arguments() {
        check_against_clap(&vnet_common::tool::command::<crate::NetTool>(), &GRAMMAR);
    }

    #[test]
    fn every_virsh_option_is_supported_or_refused_by_name() {
        check_against_virsh(&vnet_common::tool::command::<crate::NetTool>(), &GRAMMAR);
    }
}
