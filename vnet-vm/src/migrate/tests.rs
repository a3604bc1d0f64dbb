use super::watch::percent;
use super::*;
use crate::VmTool;

fn parse(line: &str) -> std::result::Result<Migrate, clap::Error> {
    let words = line.split_whitespace().map(String::from);
    match vnet_common::cli::parse::<VmTool>(words)?.verb {
        Some(crate::Command::Migrate(m)) => Ok(m),
        other => panic!("not migrate: {other:?}"),
    }
}

#[test]
fn virsh_lines_parse_to_libvirt_flags() {
    let m = parse("vnet-vm migrate vm1 qemu+tcp://h/system --live --persistent --undefinesource --verbose")
        .unwrap();
    assert_eq!(
        m.flags(),
        sys::VIR_MIGRATE_LIVE | sys::VIR_MIGRATE_PERSIST_DEST | sys::VIR_MIGRATE_UNDEFINE_SOURCE
    );
    assert_eq!(m.mode(), "direct");
    let m = parse("vnet-vm migrate vm1 qemu+tcp://h/system --p2p --tunnelled --copy-storage-all --suspend")
        .unwrap();
    assert_eq!(
        m.flags(),
        sys::VIR_MIGRATE_PEER2PEER
            | sys::VIR_MIGRATE_TUNNELLED
            | sys::VIR_MIGRATE_NON_SHARED_DISK
            | sys::VIR_MIGRATE_PAUSED
    );
    assert_eq!(m.mode(), "tunnelled");
    let m = parse("vnet-vm migrate vm1 qemu+tcp://h/system --live --timeout 5 --timeout-suspend --migrateuri tcp://10.0.0.2 --bandwidth 8").unwrap();
    assert_eq!(m.timeout, Some(5));
    let params = m.params().unwrap();
    assert_eq!(params.uri.as_deref(), Some("tcp://10.0.0.2"));
    assert_eq!(params.bandwidth, Some(8));
    let m = parse("vnet-vm migrate vm1 qemu+tcp://h/system --live --parallel --parallel-connections 3 --listen-address 0.0.0.0 --auto-converge --auto-converge-initial 30 --auto-converge-increment 5").unwrap();
    assert_eq!(m.flags() & sys::VIR_MIGRATE_PARALLEL, sys::VIR_MIGRATE_PARALLEL);
    let params = m.params().unwrap();
    assert_eq!(params.parallel_connections, Some(3));
    assert_eq!(params.listen_address.as_deref(), Some("0.0.0.0"));
    assert_eq!(
        (params.auto_converge_initial, params.auto_converge_increment),
        (Some(30), Some(5))
    );
    let m = parse("vnet-vm migrate vm1 qemu+tcp://h/system --live --xml /nonexistent/dest.xml").unwrap();
    let err = m.params().unwrap_err();
    assert_eq!(err.exit_code(), 7, "{}", err.message);
    assert!(parse("vnet-vm migrate vm1 qemu+tcp://h/system --parallel-connections 2").is_err());
}

#[test]
fn virsh_refusals_are_usage_errors() {
    // As virsh: --timeout only for a live migration, --tunnelled only peer-to-peer.
    assert!(parse("vnet-vm migrate vm1 qemu+tcp://h/system --timeout 5").is_err());
    assert!(parse("vnet-vm migrate vm1 qemu+tcp://h/system --tunnelled").is_err());
    assert!(parse("vnet-vm migrate vm1 qemu+tcp://h/system --live --timeout 0").is_err());
    assert!(parse("vnet-vm migrate vm1 qemu+tcp://h/system --live --offline").is_err());
    assert!(parse("vnet-vm migrate vm1 qemu+tcp://h/system --copy-storage-all --copy-storage-inc").is_err());
}

#[test]
fn bad_input_is_refused_before_connecting() {
    let m = parse("vnet-vm migrate vm1 qemu+tcp://h/system --offline").unwrap();
    assert_eq!(m.check().unwrap_err().exit_code(), 7);
    let m = parse("vnet-vm migrate vm1 qemu+tcp://h/system --migrateuri nohost").unwrap();
    assert_eq!(m.check().unwrap_err().exit_code(), 7);
    let m = parse("vnet-vm migrate vm1 qemu+tcp://h/system --offline --persistent").unwrap();
    assert!(m.check().is_ok());
}

#[test]
fn unknown_domain_is_exit_3_before_the_destination_is_asked() {
    let args = vnet_common::libvirt::ConnectArgs {
        connect: Some("test:///default".into()),
        ..Default::default()
    };
    let mut session = Session::new(&args, false);
    let m = parse("vnet-vm migrate nosuch qemu+tcp://192.0.2.1/system").unwrap();
    let err = m.run(&mut session, &mut Journal::default()).unwrap_err();
    assert_eq!(err.exit_code(), 3, "{err}");
}

#[test]
fn percent_is_virsh_s() {
    assert_eq!(percent(0, 100), 100);
    assert_eq!(percent(100, 100), 0);
    assert_eq!(percent(55, 100), 45);
    // Not done while anything remains.
    assert_eq!(percent(1, 1_000_000), 99);
}

#[test]
fn records_are_tagged_and_progress_text_is_virsh_s() {
    let p = Progress {
        record: ProgressTag::Progress,
        name: "vm1".into(),
        percent: 7,
        data_processed: 7,
        data_remaining: 93,
        data_total: 100,
        time_elapsed_ms: 250,
    };
    let record = MigrateRecord::Progress(p);
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json["record"], "progress");
    assert_eq!(json["percent"], 7);
    assert_eq!(record.text(TextStyle::default()), "Migration: [  7 %]\n");
}

#[test]
fn virsh_options_not_implemented_are_refused_by_name() {
    for line in [
        "vnet-vm migrate vm1 qemu+tcp://h/system --live --postcopy",
        "vnet-vm migrate vm1 qemu+tcp://h/system --live --graphicsuri spice://h",
        "vnet-vm migrate vm1 qemu+tcp://h/system --live --tls-destination h",
    ] {
        let words = line.split(' ').map(String::from);
        let err = vnet_common::tool::parse::<crate::VmTool>(words).unwrap_err();
        let err = vnet_common::tool::usage_error("vnet-vm", &err);
        assert_eq!(err.exit_code(), 7, "{line}");
        let option = line.split(" --").last().unwrap().split(' ').next().unwrap();
        assert_eq!(
            err.message,
            format!("--{option} is not supported by vnet-vm migrate")
        );
    }
}
