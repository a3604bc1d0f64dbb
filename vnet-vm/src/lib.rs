//! vnet-vm: virt-install and the virsh domain verbs over libvirt (the `virt` crate), with JSON output.

// Private: the verbs are reached through `Command`, so the compiler finds what nothing uses.
mod agent;
mod blockjobs;
mod checkpoints;
mod control;
mod devices;
mod domains;
mod host;
mod iface;
mod images;
mod install;
mod knobs;
mod migrate;
mod nodedev;
mod objevents;
mod observe;
mod prune;
mod secrets;
mod snapshots;
mod spec;
mod storage;
#[cfg(test)]
mod testing;
mod tuning;
mod virsh_only;
mod virsh_slots;
mod wait;
mod xml;

use std::future::Future;
use vnet_common::completion;
use vnet_common::libvirt::{ConnectArgs, Session};
use vnet_common::{Result, Tool};

/// The vnet-vm tool: its verbs run against one lazily opened libvirt [`Session`].
pub struct VmTool;

impl Tool for VmTool {
    const NAME: &'static str = "vnet-vm";
    const ABOUT: &'static str =
        "Virtual machines over libvirt: virt-install and the virsh domain verbs, with JSON output";
    const LONG_ABOUT: &'static str = "Virtual machines over libvirt: `install` replaces virt-install (the \
seed's command line works unchanged), and list, define, create, start, shutdown, destroy, reboot, \
suspend, resume, undefine, autostart, dominfo, domstate, dumpxml, domiflist, domifaddr, \
attach-interface, detach-interface, attach-disk, detach-disk, attach-device, detach-device, \
update-device, update-memory-device, detach-device-alias, change-media, domblklist, domblkinfo, blockresize, domstats, \
dommemstat, domifstat, domblkstat, domjobinfo, screenshot, send-key, the guest-agent verbs \
(qemu-agent-command, guestinfo, domfsinfo, set-user-password, domtime), domdisplay, ttyconsole, console, \
the snapshot-* verbs, the checkpoint-* verbs, backup-begin, backup-dumpxml, setmem, setmaxmem, setvcpus, vcpucount, reset, save, restore, managedsave, \
managedsave-remove, domrename, desc, metadata, domuuid, domname, domid, migrate, domif-setlink, domif-getlink, \
vncdisplay, inject-nmi, dompmsuspend, dompmwakeup and the host verbs (nodeinfo, version, uri, hostname, \
maxvcpus, capabilities, domcapabilities, sysinfo) replace their virsh namesakes. Output is one JSON document (-o text for virsh's \
layout; dumpxml and install --print-xml print the XML document itself); errors are one line on stderr \
with the documented exit code.";
    type Globals = ConnectArgs;
    type Ctx = Session;
    type Verbs = Command;

    fn context(globals: &ConnectArgs, batch: bool) -> Result<Session> {
        Ok(Session::new(globals, batch))
    }

    fn block_on<F: Future>(_ctx: &mut Session, work: F) -> F::Output {
        futures::executor::block_on(work)
    }

    /// Tab completes libvirt domains for a domain verb's NAME (install's --name is new), pools
    /// for POOL (pool-define-as's is new), volumes for VOL.
    fn completers(verb: &[&str], arg: &clap::Arg) -> Option<completion::Names> {
        let verb = verb.first().copied().unwrap_or("");
        let storage = verb.starts_with("pool-") || verb.starts_with("vol-");
        if completion::is(arg, &["snapshotname", "snapshotname_flag"]) {
            Some(snapshots::completions)
        } else if arg.is_positional()
            && completion::is(arg, &["name", "names", "domain", "domains"])
            && !storage
        {
            Some(completion::libvirt::domains)
        } else if completion::is(arg, &["pool", "pools", "inputpool"])
            && !matches!(verb, "pool-define-as" | "pool-create-as")
        {
            Some(completion::libvirt::pools)
        } else if completion::is(arg, &["vol", "volume", "volumes", "backing_vol"]) {
            Some(completion::libvirt::volumes)
        } else {
            None
        }
    }

    const VIRSH_GRAMMAR: bool = true;

    fn virsh_slots(verb: &str) -> &'static [&'static str] {
        virsh_slots::virsh_slots(verb)
    }

    fn virsh_refused(verb: &str) -> &'static [&'static str] {
        virsh_slots::virsh_refused(verb)
    }
}

vnet_common::verbs! {
    pub enum Command for Session {
        #[command(visible_alias = "virt-install")]
        Install(Box<install::args::Install>),
        List(domains::list::List),
        Start(domains::power::Start),
        Shutdown(domains::power::Shutdown),
        Destroy(domains::power::Destroy),
        Undefine(domains::define::Undefine),
        Dumpxml(domains::list::Dumpxml),
        Domiflist(devices::iface::Domiflist),
        Domifaddr(devices::iface::Domifaddr),
        Console(domains::console::Console),
        Define(domains::define::Define),
        Create(domains::define::Create),
        Dominfo(domains::info::Dominfo),
        Domstate(domains::info::Domstate),
        Autostart(domains::info::Autostart),
        Reboot(domains::power::Reboot),
        Suspend(domains::power::Suspend),
        Resume(domains::power::Resume),
        AttachInterface(devices::interface::AttachInterface),
        DetachInterface(devices::interface::DetachInterface),
        AttachDisk(devices::disk::AttachDisk),
        DetachDisk(devices::disk::DetachDisk),
        AttachDevice(devices::xmlfile::AttachDevice),
        DetachDevice(devices::xmlfile::DetachDevice),
        UpdateDevice(devices::xmlfile::UpdateDevice),
        UpdateMemoryDevice(devices::memdev::UpdateMemoryDevice),
        DetachDeviceAlias(devices::xmlfile::DetachDeviceAlias),
        ChangeMedia(devices::media::ChangeMedia),
        Domblklist(devices::blk::Domblklist),
        Domblkinfo(devices::blk::Domblkinfo),
        Blockresize(devices::blk::Blockresize),
        Domstats(observe::stats::Domstats),
        Dommemstat(observe::counters::Dommemstat),
        Domifstat(observe::counters::Domifstat),
        Domblkstat(observe::counters::Domblkstat),
        Domjobinfo(observe::counters::Domjobinfo),
        Screenshot(observe::screen::Screenshot),
        SendKey(observe::screen::SendKey),
        QemuAgentCommand(agent::info::QemuAgentCommand),
        Guestinfo(agent::info::Guestinfo),
        Domfsinfo(agent::fs::Domfsinfo),
        SetUserPassword(agent::info::SetUserPassword),
        Domtime(agent::time::Domtime),
        Domdisplay(domains::display::Domdisplay),
        Ttyconsole(domains::display::Ttyconsole),
        PoolList(storage::pools::PoolList),
        PoolInfo(storage::pools::PoolInfo),
        PoolDefineAs(storage::pool_as::PoolDefineAs),
        PoolCreateAs(storage::pool_as::PoolCreateAs),
        PoolDefine(storage::poolfile::PoolDefine),
        PoolCreate(storage::poolfile::PoolCreate),
        PoolRefresh(storage::poolfile::PoolRefresh),
        PoolDumpxml(storage::poolfile::PoolDumpxml),
        PoolBuild(storage::pools::PoolBuild),
        PoolStart(storage::pools::PoolStart),
        PoolAutostart(storage::pools::PoolAutostart),
        PoolDestroy(storage::pools::PoolDestroy),
        PoolUndefine(storage::pools::PoolUndefine),
        PoolDelete(storage::pools::PoolDelete),
        VolList(storage::volumes::VolList),
        VolCreateAs(storage::volumes::VolCreateAs),
        VolInfo(storage::volumes::VolInfo),
        VolDelete(storage::volumes::VolDelete),
        VolUpload(storage::transfer::VolUpload),
        VolDownload(storage::transfer::VolDownload),
        VolCreate(storage::volfile::VolCreate),
        VolCreateFrom(storage::volfile::VolCreateFrom),
        VolClone(storage::volfile::VolClone),
        VolResize(storage::volops::VolResize),
        VolWipe(storage::volops::VolWipe),
        VolPath(storage::volops::VolPath),
        VolDumpxml(storage::volops::VolDumpxml),
        Wait(wait::Wait),
        #[command(visible_alias = "event")]
        Events(domains::events::Events),
        Prune(prune::Prune),
        SnapshotCreateAs(snapshots::create::SnapshotCreateAs),
        SnapshotCreate(snapshots::create::SnapshotCreate),
        SnapshotList(snapshots::list::SnapshotList),
        SnapshotCurrent(snapshots::show::SnapshotCurrent),
        SnapshotInfo(snapshots::show::SnapshotInfo),
        SnapshotDumpxml(snapshots::show::SnapshotDumpxml),
        SnapshotRevert(snapshots::revert::SnapshotRevert),
        SnapshotDelete(snapshots::revert::SnapshotDelete),
        Setmem(domains::resources::Setmem),
        Setmaxmem(domains::resources::Setmaxmem),
        Setvcpus(domains::resources::Setvcpus),
        Vcpucount(domains::resources::Vcpucount),
        Reset(domains::identity::Reset),
        Save(domains::saved::Save),
        Restore(domains::saved::Restore),
        Managedsave(domains::saved::Managedsave),
        ManagedsaveRemove(domains::saved::ManagedsaveRemove),
        Domrename(domains::identity::Domrename),
        Desc(domains::identity::Desc),
        Domuuid(domains::identity::Domuuid),
        Domname(domains::identity::Domname),
        Domid(domains::identity::Domid),
        Metadata(observe::metadata::Metadata),
        Migrate(migrate::Migrate),
        DomifSetlink(devices::link_state::DomifSetlink),
        DomifGetlink(devices::link_state::DomifGetlink),
        Vncdisplay(domains::display::Vncdisplay),
        InjectNmi(agent::signals::InjectNmi),
        Dompmsuspend(agent::signals::Dompmsuspend),
        Dompmwakeup(agent::signals::Dompmwakeup),
        Nodeinfo(host::Nodeinfo),
        Version(host::Version),
        Uri(host::Uri),
        Hostname(host::Hostname),
        Maxvcpus(host::Maxvcpus),
        Capabilities(host::Capabilities),
        Domcapabilities(host::Domcapabilities),
        Sysinfo(host::Sysinfo),
        Edit(domains::edit::Edit),
        PoolEdit(storage::pool_edit::PoolEdit),
        SnapshotEdit(snapshots::edit::SnapshotEdit),
        PoolUuid(storage::names::PoolUuid),
        PoolName(storage::names::PoolName),
        VolKey(storage::names::VolKey),
        VolName(storage::names::VolName),
        VolPool(storage::names::VolPool),
        SnapshotParent(snapshots::parent::SnapshotParent),
        CheckpointCreateAs(checkpoints::create::CheckpointCreateAs),
        CheckpointCreate(checkpoints::create::CheckpointCreate),
        CheckpointList(checkpoints::show::CheckpointList),
        CheckpointInfo(checkpoints::show::CheckpointInfo),
        CheckpointDumpxml(checkpoints::show::CheckpointDumpxml),
        CheckpointParent(checkpoints::show::CheckpointParent),
        CheckpointDelete(checkpoints::show::CheckpointDelete),
        BackupBegin(checkpoints::backup::BackupBegin),
        BackupDumpxml(checkpoints::backup::BackupDumpxml),
        SecretDefine(secrets::define::SecretDefine),
        SecretUndefine(secrets::define::SecretUndefine),
        SecretList(secrets::list::SecretList),
        SecretDumpxml(secrets::list::SecretDumpxml),
        SecretSetValue(secrets::value::SecretSetValue),
        SecretGetValue(secrets::value::SecretGetValue),
        NodedevList(nodedev::list::NodedevList),
        NodedevDumpxml(nodedev::list::NodedevDumpxml),
        NodedevInfo(nodedev::list::NodedevInfo),
        FindStoragePoolSources(storage::sources::FindStoragePoolSources),
        FindStoragePoolSourcesAs(storage::sources::FindStoragePoolSourcesAs),
        Vcpuinfo(tuning::pinning::Vcpuinfo),
        Vcpupin(tuning::pinning::Vcpupin),
        Emulatorpin(tuning::pinning::Emulatorpin),
        Memtune(tuning::memtune::Memtune),
        Schedinfo(tuning::schedinfo::Schedinfo),
        Blkiotune(tuning::blkio::Blkiotune),
        Blkdeviotune(tuning::blkio::Blkdeviotune),
        Numatune(tuning::numatune::Numatune),
        Domiftune(tuning::iftune::Domiftune),
        Iothreadinfo(tuning::iothreads::Iothreadinfo),
        Iothreadadd(tuning::iothreads::Iothreadadd),
        Iothreaddel(tuning::iothreads::Iothreaddel),
        Iothreadpin(tuning::iothreads::Iothreadpin),
        Guestvcpus(tuning::vcpus::Guestvcpus),
        Setvcpu(tuning::vcpus::Setvcpu),
        Blockjob(blockjobs::job::Blockjob),
        Blockpull(blockjobs::pull::Blockpull),
        Blockcopy(blockjobs::copy::Blockcopy),
        Blockcommit(blockjobs::commit::Blockcommit),
        Domcontrol(control::monitor::Domcontrol),
        Domhostname(control::monitor::Domhostname),
        Domjobabort(control::monitor::Domjobabort),
        Dump(control::dump::Dump),
        QemuMonitorCommand(control::monitor::QemuMonitorCommand),
        DomxmlFromNative(control::native::DomxmlFromNative),
        DomxmlToNative(control::native::DomxmlToNative),
        Freecell(host::node::Freecell),
        Nodememstats(host::node::Nodememstats),
        Nodecpumap(host::node::Nodecpumap),
        CpuModels(host::node::CpuModels),
        Nodecpustats(host::cpustats::Nodecpustats),
        PoolCapabilities(host::cpustats::PoolCapabilities),
        NodeMemoryTune(host::ksm::NodeMemoryTune),
        Domblkerror(blockjobs::disks::Domblkerror),
        Domblkthreshold(blockjobs::disks::Domblkthreshold),
        ManagedsaveDumpxml(images::managed::ManagedsaveDumpxml),
        ManagedsaveDefine(images::managed::ManagedsaveDefine),
        ManagedsaveEdit(images::managed::ManagedsaveEdit),
        SaveImageDumpxml(images::file::SaveImageDumpxml),
        SaveImageDefine(images::file::SaveImageDefine),
        SaveImageEdit(images::file::SaveImageEdit),
        SetLifecycleAction(knobs::lifecycle::SetLifecycleAction),
        GuestAgentTimeout(knobs::lifecycle::GuestAgentTimeout),
        DomdirtyrateCalc(knobs::lifecycle::DomdirtyrateCalc),
        Perf(knobs::perf::Perf),
        CpuStats(knobs::perf::CpuStats),
        MigrateSetspeed(knobs::migration::MigrateSetspeed),
        MigrateGetspeed(knobs::migration::MigrateGetspeed),
        MigrateSetmaxdowntime(knobs::migration::MigrateSetmaxdowntime),
        MigrateGetmaxdowntime(knobs::migration::MigrateGetmaxdowntime),
        MigrateCompcache(knobs::migration::MigrateCompcache),
        MigratePostcopy(knobs::migration::MigratePostcopy),
        Domfsfreeze(agent::freeze::Domfsfreeze),
        Domfsthaw(agent::freeze::Domfsthaw),
        Domfstrim(agent::freeze::Domfstrim),
        GetUserSshkeys(agent::sshkeys::GetUserSshkeys),
        SetUserSshkeys(agent::sshkeys::SetUserSshkeys),
        SendProcessSignal(virsh_only::SendProcessSignal),
        DomFdAssociate(virsh_only::DomFdAssociate),
        Iothreadset(knobs::iothreadset::Iothreadset),
        CpuBaseline(host::cpu::CpuBaseline),
        CpuCompare(host::cpu::CpuCompare),
        HypervisorCpuBaseline(host::cpu::HypervisorCpuBaseline),
        HypervisorCpuCompare(host::cpu::HypervisorCpuCompare),
        Freepages(host::pages::Freepages),
        Allocpages(host::pages::Allocpages),
        Nodesevinfo(host::pages::Nodesevinfo),
        Nodesuspend(host::pages::Nodesuspend),
        IfaceList(iface::list::IfaceList),
        IfaceDumpxml(iface::list::IfaceDumpxml),
        IfaceName(iface::list::IfaceName),
        IfaceMac(iface::list::IfaceMac),
        IfaceDefine(iface::define::IfaceDefine),
        IfaceUndefine(iface::define::IfaceUndefine),
        IfaceStart(iface::define::IfaceStart),
        IfaceDestroy(iface::define::IfaceDestroy),
        IfaceEdit(iface::define::IfaceEdit),
        IfaceBegin(iface::txn::IfaceBegin),
        IfaceCommit(iface::txn::IfaceCommit),
        IfaceRollback(iface::txn::IfaceRollback),
        NodedevCreate(nodedev::manage::NodedevCreate),
        NodedevDestroy(nodedev::manage::NodedevDestroy),
        NodedevDefine(nodedev::manage::NodedevDefine),
        NodedevUndefine(nodedev::manage::NodedevUndefine),
        NodedevStart(nodedev::manage::NodedevStart),
        NodedevAutostart(nodedev::manage::NodedevAutostart),
        NodedevDetach(nodedev::pci::NodedevDetach),
        NodedevReattach(nodedev::pci::NodedevReattach),
        NodedevReset(nodedev::pci::NodedevReset),
        PoolEvent(objevents::PoolEvent),
        SecretEvent(objevents::SecretEvent),
        NodedevEvent(objevents::NodedevEvent),
        QemuMonitorEvent(objevents::QemuMonitorEvent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn batch_lines_may_omit_or_repeat_the_connection_only() {
        let outer = ConnectArgs {
            connect: Some("test:///default".into()),
            ..Default::default()
        };
        let mut ctx = Session::new(&outer, true);
        let line = |uri: Option<&str>| ConnectArgs {
            connect: uri.map(String::from),
            ..Default::default()
        };
        assert!(VmTool::enter_line(&mut ctx, &outer, &line(None)).is_ok());
        assert!(VmTool::enter_line(&mut ctx, &outer, &line(Some("test:///default"))).is_ok());
        let other = VmTool::enter_line(&mut ctx, &outer, &line(Some("qemu:///system")));
        assert_eq!(other.unwrap_err().exit_code(), 2);
    }

    #[test]
    fn man_page_is_current() {
        let page = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../man/vnet-vm.1"));
        vnet_common::man::assert_current(vnet_common::cli::command::<VmTool>(), page);
    }

    #[test]
    fn schemas_are_current() {
        vnet_common::schema::assert_current::<VmTool>(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../schema"
        )));
    }

    #[test]
    fn the_seed_command_line_parses() {
        let words = [
            "vnet-vm",
            "install",
            "--name",
            "VM1",
            "--ram",
            "2048",
            "--vcpu",
            "2",
            "--network",
            "network=default",
            "--graphics",
            "none",
            "--os-type",
            "linux",
            "--disk",
            "path=/data/vm-images/vm1.img,size=10",
            "--location",
            "/tmp/ubuntu-14.04.1-server-amd64.iso",
            "--extra-args",
            "console=ttyS0,115200n8 serial",
        ];
        let cli = vnet_common::cli::parse::<VmTool>(words.map(String::from)).unwrap();
        let Some(Command::Install(args)) = cli.verb else {
            panic!("not install")
        };
        assert_eq!(
            (args.name(), args.memory.as_str(), args.vcpus.as_str()),
            ("VM1", "2048", "2")
        );
        assert_eq!(args.extra_args.as_deref(), Some("console=ttyS0,115200n8 serial"));
    }

    #[test]
    fn completions_are_current() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../completions"));
        vnet_common::completion::assert_current("vnet-vm", dir);
    }

    #[test]
    fn aliases_parse_to_the_same_verb() {
        let verb = |line: &str| {
            let words = line.split_whitespace().map(String::from);
            let cli = vnet_common::cli::parse::<VmTool>(words).unwrap();
            format!("{:?}", cli.verb.unwrap())
        };
        assert_eq!(
            verb("vnet-vm undefine vm1 --missing-ok"),
            verb("vnet-vm undefine vm1 --if-exists")
        );
        assert_eq!(
            verb("vnet-vm install --name vm1 --import --disk path=/x.img --exist-ok"),
            verb("vnet-vm install --name vm1 --import --disk path=/x.img --may-exist")
        );
        assert_eq!(verb("vnet-vm list --all"), verb("vnet-vm -j -q list --all"));
    }

    #[test]
    fn tab_completes_domains_pools_and_volumes_from_libvirt() {
        // The in-process test driver has domain "test" and pool "default-pool".
        std::env::set_var("LIBVIRT_DEFAULT_URI", "test:///default");
        let words = |w: &[&str]| {
            vnet_common::completion::complete_words(vnet_common::cli::completion_command::<VmTool>(), w)
        };
        assert_eq!(words(&["vnet-vm", "start", "te"]), ["test"]);
        assert_eq!(words(&["vnet-vm", "pool-info", "def"]), ["default-pool"]);
        assert!(words(&["vnet-vm", "vol-create-as", "default-pool", "te"]).is_empty());
        assert!(words(&["vnet-vm", "install", "--name", "te"]).is_empty());
    }
}
