//! virsh's names for each verb's arguments that a bare word may fill, in virsh's order (see
//! vnet_common::virsh_args): `vnet-vm start --domain web` and `vnet-vm attach-interface web
//! network default` work as their virsh lines do. The first names are the verb's positionals, the
//! rest its long flags; the tests hold every row to the verb's clap arguments and to `virsh help`.

pub(crate) fn virsh_slots(verb: &str) -> &'static [&'static str] {
    match verb {
        "start" | "shutdown" | "destroy" | "undefine" | "dumpxml" | "domiflist" | "domifaddr" | "console"
        | "dominfo" | "domstate" | "autostart" | "reboot" | "suspend" | "resume" | "vncdisplay"
        | "inject-nmi" | "dompmwakeup" | "domblklist" | "dommemstat" | "domjobinfo" | "guestinfo"
        | "domfsinfo" | "domtime" | "domdisplay" | "ttyconsole" | "snapshot-list" | "vcpucount" | "reset"
        | "managedsave" | "managedsave-remove" | "domuuid" | "domname" | "domid" => &["domain"],
        "define" | "create" | "restore" => &["file"],
        "events" => &["domain"],
        "attach-interface" => &["domain", "type", "source"],
        "detach-interface" => &["domain", "type", "mac"],
        "attach-disk" => &["domain", "source", "target"],
        "detach-disk" => &["domain", "target"],
        "attach-device" | "detach-device" | "update-device" | "save" | "screenshot" => &["domain", "file"],
        "detach-device-alias" => &["domain", "alias"],
        "migrate" => &["domain", "desturi"],
        "domif-setlink" => &["domain", "interface", "state"],
        "domif-getlink" => &["domain", "interface"],
        "dompmsuspend" => &["domain", "target"],
        "change-media" => &["domain", "path", "source"],
        "domblkinfo" | "domblkstat" => &["domain", "device"],
        "update-memory-device" => &["domain"],
        "checkpoint-create-as" => &["domain", "name", "description"],
        "checkpoint-create" => &["domain", "xmlfile"],
        "checkpoint-list" => &["domain"],
        "backup-begin" => &["domain", "backupxml", "checkpointxml"],
        "backup-dumpxml" => &["domain"],
        "checkpoint-info" | "checkpoint-dumpxml" | "checkpoint-parent" | "checkpoint-delete" => {
            &["domain", "checkpointname"]
        }
        "blockresize" => &["domain", "path", "size"],
        "domifstat" => &["domain", "interface"],
        "send-key" => &["domain", "keycode"],
        "qemu-agent-command" => &["domain", "cmd"],
        "set-user-password" => &["domain", "user", "password"],
        "snapshot-create-as" => &["domain", "name", "description", "diskspec"],
        "snapshot-current" => &["domain", "snapshotname"],
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
        // The third is the positional tail virsh fills in order (source-host, source-path,
        // source-dev, source-name, target: `pool-define-as default dir - - - - /var/lib/x`).
        "pool-define-as" | "pool-create-as" => &["name", "type", "source-host"],
        "pool-define" | "pool-create" => &["file"],
        "pool-refresh" | "pool-dumpxml" => &["pool"],
        "vol-create" => &["pool", "file"],
        "vol-create-from" => &["pool", "file", "vol"],
        "vol-clone" => &["vol", "newname"],
        "vol-resize" => &["vol", "capacity"],
        "vol-wipe" | "vol-path" | "vol-dumpxml" => &["vol"],
        "metadata" => &["domain", "uri"],
        "vol-create-as" => &["pool", "name", "capacity"],
        "vol-info" | "vol-delete" => &["vol"],
        "vol-upload" | "vol-download" => &["vol", "file"],
        "edit" => &["domain"],
        "pool-edit" => &["pool"],
        "snapshot-edit" | "snapshot-parent" => &["domain", "snapshotname"],
        "pool-uuid" | "pool-name" => &["pool"],
        "vol-key" | "vol-name" | "vol-pool" => &["vol"],
        "secret-define" => &["file"],
        "secret-undefine" | "secret-dumpxml" | "secret-get-value" => &["secret"],
        "secret-set-value" => &["secret", "base64"],
        "nodedev-dumpxml" | "nodedev-info" => &["device"],
        "find-storage-pool-sources" => &["type", "srcSpec"],
        "find-storage-pool-sources-as" => &["type", "host", "port", "initiator"],
        verb => tuning_slots(verb),
    }
}

/// The rows of the tuning verbs (tuning/): their options by virsh's order.
fn tuning_slots(verb: &str) -> &'static [&'static str] {
    match verb {
        "vcpuinfo" => &["domain"],
        "vcpupin" => &["domain", "vcpu", "cpulist"],
        "emulatorpin" => &["domain", "cpulist"],
        "memtune" => &[
            "domain",
            "hard-limit",
            "soft-limit",
            "swap-hard-limit",
            "min-guarantee",
        ],
        "schedinfo" => &["domain", "set"],
        "blkiotune" => &[
            "domain",
            "weight",
            "device-weights",
            "device-read-iops-sec",
            "device-write-iops-sec",
            "device-read-bytes-sec",
            "device-write-bytes-sec",
        ],
        "blkdeviotune" => &[
            "domain",
            "device",
            "total-bytes-sec",
            "read-bytes-sec",
            "write-bytes-sec",
        ],
        "numatune" => &["domain", "mode", "nodeset"],
        "domiftune" => &["domain", "interface", "inbound", "outbound"],
        "iothreadinfo" => &["domain"],
        "iothreadadd" | "iothreaddel" => &["domain", "id"],
        "iothreadpin" => &["domain", "iothread", "cpulist"],
        "guestvcpus" => &["domain", "cpulist"],
        "setvcpu" => &["domain", "vcpulist"],
        "blockjob" | "blockpull" | "blockcommit" => &["domain", "path"],
        "blockcopy" => &["domain", "path", "dest"],
        "domblkerror" | "domcontrol" | "domhostname" | "domjobabort" => &["domain"],
        "dump" => &["domain", "file"],
        "qemu-monitor-command" => &["domain", "cmd"],
        "domxml-from-native" => &["format", "config"],
        "cpu-models" => &["arch"],
        "domxml-to-native" => &["format", "domain", "xml"],
        "domblkthreshold" => &["domain", "dev", "threshold"],
        "cpu-baseline" | "cpu-compare" | "hypervisor-cpu-compare" => &["file"],
        "allocpages" => &["pagesize", "pagecount"],
        "nodesuspend" => &["target", "duration"],
        "iface-dumpxml" | "iface-name" | "iface-mac" | "iface-undefine" | "iface-start" | "iface-destroy"
        | "iface-edit" => &["interface"],
        "iface-define" => &["file"],
        "nodedev-create" | "nodedev-define" => &["file"],
        "nodedev-destroy" | "nodedev-undefine" | "nodedev-start" | "nodedev-autostart" | "nodedev-detach"
        | "nodedev-reattach" | "nodedev-reset" => &["device"],
        verb => saved_state_slots(verb),
    }
}

/// The rows of the saved-image, knob, agent file-system and refused verbs (images/, knobs/,
/// agent/freeze.rs, agent/sshkeys.rs, virsh_only.rs).
fn saved_state_slots(verb: &str) -> &'static [&'static str] {
    match verb {
        "managedsave-dumpxml"
        | "managedsave-edit"
        | "guest-agent-timeout"
        | "perf"
        | "cpu-stats"
        | "domdirtyrate-calc"
        | "migrate-getspeed"
        | "migrate-getmaxdowntime"
        | "migrate-compcache"
        | "migrate-postcopy"
        | "domfstrim" => &["domain"],
        "managedsave-define" => &["domain", "xml"],
        "save-image-dumpxml" | "save-image-edit" => &["file"],
        "save-image-define" => &["file", "xml"],
        "set-lifecycle-action" => &["domain", "type", "action"],
        "migrate-setspeed" => &["domain", "bandwidth"],
        "migrate-setmaxdowntime" => &["domain", "downtime"],
        "domfsfreeze" | "domfsthaw" => &["domain", "mountpoint"],
        "get-user-sshkeys" | "set-user-sshkeys" => &["domain", "user"],
        "send-process-signal" => &["domain", "pid", "signame"],
        "dom-fd-associate" => &["domain", "name", "pass-fds"],
        "iothreadset" => &["domain", "id"],
        _ => &[],
    }
}

/// virsh's options of each verb that vnet-vm does not support: refused by name, exit 7.
pub(crate) fn virsh_refused(verb: &str) -> &'static [&'static str] {
    REFUSED
        .iter()
        .find(|(v, _)| *v == verb)
        .map_or(&[], |(_, options)| options)
}

/// pool-define-as's and pool-create-as's options for other pool sources (iSCSI, SCSI adapters).
const POOL_AS_REFUSED: &[&str] = &[
    "auth-type",
    "auth-username",
    "secret-usage",
    "secret-uuid",
    "adapter-name",
    "adapter-wwnn",
    "adapter-wwpn",
    "adapter-parent",
    "adapter-parent-wwnn",
    "adapter-parent-wwpn",
    "adapter-parent-fabric-wwn",
    "source-protocol-ver",
    "source-initiator",
];

/// The table behind [`virsh_refused`]: verb, then the virsh options refused.
const REFUSED: &[(&str, &[&str])] = &[
    ("pool-define-as", POOL_AS_REFUSED),
    ("pool-create-as", POOL_AS_REFUSED),
    (
        "migrate",
        &[
            "copy-storage-synchronous-writes",
            "rdma-pin-all",
            "postcopy",
            "postcopy-after-precopy",
            "postcopy-resume",
            "zerocopy",
            "graphicsuri",
            "timeout-postcopy",
            "migrate-disks",
            "disks-port",
            "disks-uri",
            "comp-methods",
            "comp-mt-level",
            "comp-mt-threads",
            "comp-mt-dthreads",
            "comp-xbzrle-cache",
            "tls",
            "postcopy-bandwidth",
            "tls-destination",
        ],
    ),
    ("start", &["console", "pass-fds"]),
    ("create", &["console", "pass-fds"]),
    ("attach-interface", &["managed", "source-mode"]),
    (
        "attach-disk",
        &[
            "sourcetype",
            "rawio",
            "address",
            "multifunction",
            "source-protocol",
            "source-host-name",
            "source-host-transport",
            "source-host-socket",
        ],
    ),
    ("domdisplay", &["include-password", "all"]),
    ("vol-delete", &["delete-snapshots"]),
    ("events", &["all"]),
    ("desc", &["edit"]),
    ("secret-set-value", &["interactive"]),
    ("qemu-monitor-command", &["pass-fds"]),
    ("qemu-monitor-event", &["regex", "timestamp"]),
];

#[cfg(test)]
mod tests {
    use super::{virsh_refused, virsh_slots};
    use vnet_common::virsh_args::testing::{check_against_clap, check_against_virsh, VirshGrammar};

    const GRAMMAR: VirshGrammar = VirshGrammar {
        slots: virsh_slots,
        refused: virsh_refused,
        not_virsh: &["install", "wait", "prune", "help"],
        unnamed: &["domstats"],
        virsh_verb: |verb| match verb {
            "events" => "event".into(),
            verb => verb.into(),
        },
    };

    #[test]
    fn every_row_matches_the_verbs_arguments() {
        check_against_clap(&vnet_common::tool::command::<crate::VmTool>(), &GRAMMAR);
    }

    #[test]
    fn every_virsh_option_is_supported_or_refused_by_name() {
        check_against_virsh(&vnet_common::tool::command::<crate::VmTool>(), &GRAMMAR);
    }
}

#[cfg(test)]
mod bare_words {
    /// virsh fills snapshot-create-as's <domain>, --name and --description in order: a third bare
    /// word is the description (`virsh snapshot-create-as web s1 "before upgrade"`).
    #[test]
    fn a_third_bare_word_of_snapshot_create_as_is_the_description() {
        let words = ["vnet-vm", "snapshot-create-as", "web", "s1", "before upgrade"].map(String::from);
        let cli = vnet_common::tool::parse::<crate::VmTool>(words).unwrap();
        let line = format!("{:?}", cli.verb.unwrap());
        assert!(line.contains("description: Some(\"before upgrade\")"), "{line}");
        assert!(line.contains("snapshot: Some(\"s1\")"), "{line}");
    }
}
