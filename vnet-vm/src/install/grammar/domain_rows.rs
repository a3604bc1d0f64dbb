//! The rows of the options that set properties of the domain document itself (--features,
//! --clock, --pm, --sysinfo, --cputune, --keywrap, --qemu-commandline and --boot's firmware and
//! BIOS sub-options): each row's XML is an XPath below `<domain>` (the subset of
//! xml/domain/xpath.rs); `[N]` in a key (`timer[N].name`, given as `timer0.name`) is the Nth
//! such element, the same `[N]` (counted from 1) in its path.

use super::rows::{Default, Row, Value};

/// How many of [`BOOT`]'s rows spec.rs reads.
pub(super) const BOOT_TYPED: usize = 6;

const fn prop(
    key: &'static str,
    aliases: &'static [&'static str],
    xml: &'static str,
    value: Value,
    help: &'static str,
) -> Row {
    Row {
        key,
        aliases,
        xml,
        help,
        value,
    }
}

const fn given(key: &'static str, xml: &'static str, help: &'static str) -> Row {
    prop(key, &[], xml, Value::Given, help)
}

/// --boot's rows: the first [`BOOT_TYPED`] are read by spec.rs (boot order, UEFI, the kernel),
/// the others are properties of `<os>`.
pub(super) const BOOT: &[Row] = &[
    prop(
        "hd|cdrom|network|fd",
        &[],
        "os/boot/@dev",
        Value::Word,
        "boot device order, as given",
    ),
    prop(
        "uefi",
        &[],
        "os/@firmware",
        Value::Word,
        "OVMF firmware on q35 (also uefi=on)",
    ),
    given("firmware", "os/@firmware", "efi: the same as uefi"),
    given("kernel", "os/kernel", "direct kernel boot: kernel path"),
    given("initrd", "os/initrd", "its initrd"),
    prop(
        "kernel_args",
        &["cmdline"],
        "os/cmdline",
        Value::Given,
        "its command line (no commas)",
    ),
    given(
        "loader",
        "os/loader",
        "firmware image path (e.g. /usr/share/OVMF/OVMF_CODE_4M.fd)",
    ),
    prop(
        "loader.readonly",
        &["loader_ro"],
        "os/loader/@readonly",
        Value::YesNo,
        "on/off",
    ),
    prop(
        "loader.type",
        &["loader_type"],
        "os/loader/@type",
        Value::Given,
        "rom or pflash",
    ),
    prop(
        "loader.secure",
        &["loader_secure"],
        "os/loader/@secure",
        Value::YesNo,
        "on/off",
    ),
    given("nvram", "os/nvram", "the guest's NVRAM file"),
    prop(
        "nvram.template",
        &["nvram_template"],
        "os/nvram/@template",
        Value::Given,
        "NVRAM template (e.g. /usr/share/OVMF/OVMF_VARS_4M.fd)",
    ),
    given(
        "firmware.feature[N].name",
        "os/firmware/feature[N]/@name",
        "firmware feature (secure-boot, enrolled-keys)",
    ),
    prop(
        "firmware.feature[N].enabled",
        &[],
        "os/firmware/feature[N]/@enabled",
        Value::YesNo,
        "on/off",
    ),
    prop(
        "bootmenu.enable",
        &["menu"],
        "os/bootmenu/@enable",
        Value::YesNo,
        "on/off: the boot menu",
    ),
    given("bootmenu.timeout", "os/bootmenu/@timeout", "ms the menu waits"),
    prop(
        "bios.useserial",
        &["useserial"],
        "os/bios/@useserial",
        Value::YesNo,
        "on/off: BIOS output on serial",
    ),
    prop(
        "bios.rebootTimeout",
        &["rebootTimeout"],
        "os/bios/@rebootTimeout",
        Value::Given,
        "ms before a failed boot retries",
    ),
    prop(
        "smbios.mode",
        &["smbios_mode"],
        "os/smbios/@mode",
        Value::Given,
        "emulate, host or sysinfo",
    ),
];

pub(super) const FEATURES: &[Row] = &[
    prop("acpi", &[], "features/acpi", Value::Present, "on/off"),
    prop("apic", &[], "features/apic", Value::Present, "on/off"),
    prop("pae", &[], "features/pae", Value::Present, "on/off"),
    prop("apic.eoi", &["eoi"], "features/apic/@eoi", Value::OnOff, "on/off"),
    prop(
        "pmu.state",
        &["pmu"],
        "features/pmu/@state",
        Value::OnOff,
        "on/off",
    ),
    prop(
        "hyperv.reset.state",
        &["hyperv_reset"],
        "features/hyperv/reset/@state",
        Value::OnOff,
        "on/off",
    ),
    prop(
        "hyperv.vapic.state",
        &["hyperv_vapic"],
        "features/hyperv/vapic/@state",
        Value::OnOff,
        "on/off",
    ),
    prop(
        "hyperv.relaxed.state",
        &["hyperv_relaxed"],
        "features/hyperv/relaxed/@state",
        Value::OnOff,
        "on/off",
    ),
    prop(
        "hyperv.spinlocks.state",
        &["hyperv_spinlocks"],
        "features/hyperv/spinlocks/@state",
        Value::OnOff,
        "on/off",
    ),
    prop(
        "hyperv.spinlocks.retries",
        &["hyperv_spinlocks_retries"],
        "features/hyperv/spinlocks/@retries",
        Value::Given,
        "retries (4095 or more)",
    ),
    prop(
        "hyperv.synic.state",
        &["hyperv_synic"],
        "features/hyperv/synic/@state",
        Value::OnOff,
        "on/off",
    ),
    prop(
        "vmport.state",
        &["vmport"],
        "features/vmport/@state",
        Value::OnOff,
        "on/off",
    ),
    prop(
        "kvm.hidden.state",
        &["kvm_hidden"],
        "features/kvm/hidden/@state",
        Value::OnOff,
        "on/off",
    ),
    prop(
        "kvm.hint-dedicated.state",
        &["kvm_hint_dedicated"],
        "features/kvm/hint-dedicated/@state",
        Value::OnOff,
        "on/off",
    ),
    prop(
        "kvm.poll-control.state",
        &["kvm_poll_control"],
        "features/kvm/poll-control/@state",
        Value::OnOff,
        "on/off",
    ),
    prop(
        "pvspinlock.state",
        &["pvspinlock"],
        "features/pvspinlock/@state",
        Value::OnOff,
        "on/off",
    ),
    prop(
        "smm.state",
        &["smm"],
        "features/smm/@state",
        Value::OnOff,
        "on/off (UEFI secure boot needs on)",
    ),
    prop(
        "vmcoreinfo.state",
        &["vmcoreinfo"],
        "features/vmcoreinfo/@state",
        Value::OnOff,
        "on/off",
    ),
    prop(
        "ioapic.driver",
        &["ioapic_driver"],
        "features/ioapic/@driver",
        Value::Given,
        "kvm or qemu",
    ),
];

pub(super) const CLOCK: &[Row] = &[
    given("offset", "clock/@offset", "utc, localtime, timezone or variable"),
    given(
        "timer[N].name",
        "clock/timer[N]/@name",
        "rtc, pit, hpet, kvmclock, hypervclock, tsc",
    ),
    prop(
        "timer[N].present",
        &[],
        "clock/timer[N]/@present",
        Value::YesNo,
        "on/off",
    ),
    given(
        "timer[N].tickpolicy",
        "clock/timer[N]/@tickpolicy",
        "delay, catchup, merge, discard",
    ),
    given("timer[N].track", "clock/timer[N]/@track", "boot, guest or wall"),
    given(
        "timer[N].mode",
        "clock/timer[N]/@mode",
        "auto, native, emulate, paravirt, smpsafe",
    ),
    given("timer[N].frequency", "clock/timer[N]/@frequency", "Hz"),
    given(
        "timer[N].catchup.threshold",
        "clock/timer[N]/catchup/@threshold",
        "catchup threshold",
    ),
    given(
        "timer[N].catchup.slew",
        "clock/timer[N]/catchup/@slew",
        "catchup slew",
    ),
    given(
        "timer[N].catchup.limit",
        "clock/timer[N]/catchup/@limit",
        "catchup limit",
    ),
    given(
        "rtc_tickpolicy",
        "clock/timer[@name='rtc']/@tickpolicy",
        "the rtc timer's tick policy",
    ),
    given(
        "pit_tickpolicy",
        "clock/timer[@name='pit']/@tickpolicy",
        "the pit timer's tick policy",
    ),
    prop(
        "rtc_present",
        &[],
        "clock/timer[@name='rtc']/@present",
        Value::YesNo,
        "on/off",
    ),
    prop(
        "pit_present",
        &[],
        "clock/timer[@name='pit']/@present",
        Value::YesNo,
        "on/off",
    ),
    prop(
        "hpet_present",
        &[],
        "clock/timer[@name='hpet']/@present",
        Value::YesNo,
        "on/off",
    ),
    prop(
        "tsc_present",
        &[],
        "clock/timer[@name='tsc']/@present",
        Value::YesNo,
        "on/off",
    ),
    prop(
        "kvmclock_present",
        &[],
        "clock/timer[@name='kvmclock']/@present",
        Value::YesNo,
        "on/off",
    ),
    prop(
        "hypervclock_present",
        &[],
        "clock/timer[@name='hypervclock']/@present",
        Value::YesNo,
        "on/off",
    ),
    prop(
        "platform_present",
        &[],
        "clock/timer[@name='platform']/@present",
        Value::YesNo,
        "on/off",
    ),
];

pub(super) const PM: &[Row] = &[
    prop(
        "suspend_to_mem.enabled",
        &["suspend_to_mem"],
        "pm/suspend-to-mem/@enabled",
        Value::YesNo,
        "on/off: S3",
    ),
    prop(
        "suspend_to_disk.enabled",
        &["suspend_to_disk"],
        "pm/suspend-to-disk/@enabled",
        Value::YesNo,
        "on/off: S4",
    ),
];

/// `--sysinfo host|emulate` (SMBIOS from the host or QEMU: `<os><smbios mode=>`), or `smbios`
/// (the default once an entry is given) with the entries.
pub(super) const SYSINFO: &[Row] = &[
    given(
        "type",
        "sysinfo/@type",
        "smbios (the entries below), host or emulate",
    ),
    given("bios.vendor", "sysinfo/bios/entry[@name='vendor']", "BIOS vendor"),
    given(
        "bios.version",
        "sysinfo/bios/entry[@name='version']",
        "BIOS version",
    ),
    given(
        "bios.date",
        "sysinfo/bios/entry[@name='date']",
        "BIOS date (MM/DD/YYYY)",
    ),
    given(
        "bios.release",
        "sysinfo/bios/entry[@name='release']",
        "BIOS release (major.minor)",
    ),
    given(
        "system.manufacturer",
        "sysinfo/system/entry[@name='manufacturer']",
        "system manufacturer",
    ),
    given(
        "system.product",
        "sysinfo/system/entry[@name='product']",
        "system product",
    ),
    given(
        "system.version",
        "sysinfo/system/entry[@name='version']",
        "system version",
    ),
    given(
        "system.serial",
        "sysinfo/system/entry[@name='serial']",
        "system serial",
    ),
    given("system.sku", "sysinfo/system/entry[@name='sku']", "system SKU"),
    given(
        "system.family",
        "sysinfo/system/entry[@name='family']",
        "system family",
    ),
    given(
        "baseBoard.manufacturer",
        "sysinfo/baseBoard/entry[@name='manufacturer']",
        "board manufacturer",
    ),
    given(
        "baseBoard.product",
        "sysinfo/baseBoard/entry[@name='product']",
        "board product",
    ),
    given(
        "baseBoard.version",
        "sysinfo/baseBoard/entry[@name='version']",
        "board version",
    ),
    given(
        "baseBoard.serial",
        "sysinfo/baseBoard/entry[@name='serial']",
        "board serial",
    ),
    given(
        "baseBoard.asset",
        "sysinfo/baseBoard/entry[@name='asset']",
        "board asset tag",
    ),
    given(
        "baseBoard.location",
        "sysinfo/baseBoard/entry[@name='location']",
        "board location",
    ),
    given(
        "chassis.manufacturer",
        "sysinfo/chassis/entry[@name='manufacturer']",
        "chassis manufacturer",
    ),
    given(
        "chassis.version",
        "sysinfo/chassis/entry[@name='version']",
        "chassis version",
    ),
    given(
        "chassis.serial",
        "sysinfo/chassis/entry[@name='serial']",
        "chassis serial",
    ),
    given(
        "chassis.asset",
        "sysinfo/chassis/entry[@name='asset']",
        "chassis asset tag",
    ),
    given("chassis.sku", "sysinfo/chassis/entry[@name='sku']", "chassis SKU"),
    given(
        "oemStrings.entry[N]",
        "sysinfo/oemStrings/entry[N]",
        "an OEM string",
    ),
];

/// smbios sysinfo is what the guest sees only with `<os><smbios mode='sysinfo'/>`.
pub(super) const SYSINFO_DEFAULTS: &[Default] = &[
    Default {
        xml: "sysinfo/@type",
        value: "smbios",
        when: &[("sysinfo", "*")],
    },
    Default {
        xml: "os/smbios/@mode",
        value: "sysinfo",
        when: &[("sysinfo/@type", "smbios")],
    },
];

pub(super) const CPUTUNE: &[Row] = &[
    given("shares", "cputune/shares", "CPU weight"),
    given("period", "cputune/period", "µs per enforcement period"),
    given("quota", "cputune/quota", "µs per period per vCPU"),
    given("global_period", "cputune/global_period", "µs"),
    given("global_quota", "cputune/global_quota", "µs"),
    given("emulator_period", "cputune/emulator_period", "µs"),
    given("emulator_quota", "cputune/emulator_quota", "µs"),
    given("iothread_period", "cputune/iothread_period", "µs"),
    given("iothread_quota", "cputune/iothread_quota", "µs"),
    given("vcpupin[N].vcpu", "cputune/vcpupin[N]/@vcpu", "the vCPU pinned"),
    given(
        "vcpupin[N].cpuset",
        "cputune/vcpupin[N]/@cpuset",
        "host CPUs it runs on (0-1 or 0^1: no commas)",
    ),
    given(
        "emulatorpin.cpuset",
        "cputune/emulatorpin/@cpuset",
        "host CPUs of the emulator threads",
    ),
    given(
        "iothreadpin[N].iothread",
        "cputune/iothreadpin[N]/@iothread",
        "the I/O thread pinned",
    ),
    given(
        "iothreadpin[N].cpuset",
        "cputune/iothreadpin[N]/@cpuset",
        "host CPUs it runs on",
    ),
    given(
        "emulatorsched.scheduler",
        "cputune/emulatorsched/@scheduler",
        "batch, idle, fifo, rr",
    ),
    given(
        "emulatorsched.priority",
        "cputune/emulatorsched/@priority",
        "priority",
    ),
    given("vcpusched[N].vcpus", "cputune/vcpusched[N]/@vcpus", "vCPUs"),
    given(
        "vcpusched[N].scheduler",
        "cputune/vcpusched[N]/@scheduler",
        "batch, idle, fifo, rr",
    ),
    given(
        "vcpusched[N].priority",
        "cputune/vcpusched[N]/@priority",
        "priority",
    ),
];

pub(super) const KEYWRAP: &[Row] = &[
    given("cipher[N].name", "keywrap/cipher[N]/@name", "aes or dea (s390)"),
    given("cipher[N].state", "keywrap/cipher[N]/@state", "on or off"),
];

/// The qemu namespace, as virt-install writes it on `<qemu:commandline>`.
pub(super) const QEMU_NS: &str = "http://libvirt.org/schemas/domain/qemu/1.0";

/// `--qemu-commandline ARGS` (each word one `<qemu:arg>`) or `env=NAME=VALUE`; the value is taken
/// whole, commas included.
pub(super) const QEMU_COMMANDLINE: &[Row] = &[
    given(
        "args",
        "qemu:commandline/qemu:arg/@value",
        "QEMU arguments, split at blanks (the default)",
    ),
    given(
        "env",
        "qemu:commandline/qemu:env",
        "NAME=VALUE in QEMU's environment",
    ),
];

/// `--launchSecurity sev,policy=0x07`: virt-install prints what is given (cbitpos and
/// reducedPhysBits only when given) and needs a q35 UEFI guest.
pub(super) const LAUNCH_SECURITY: &[Row] = &[
    given("type", "launchSecurity/@type", "sev"),
    given("cbitpos", "launchSecurity/cbitpos", "C-bit position"),
    given(
        "reducedPhysBits",
        "launchSecurity/reducedPhysBits",
        "physical address bits lost",
    ),
    given("policy", "launchSecurity/policy", "the guest policy (0x07)"),
    given("session", "launchSecurity/session", "session blob (base64)"),
    given(
        "dhCert",
        "launchSecurity/dhCert",
        "the owner's DH certificate (base64)",
    ),
    prop(
        "kernelHashes",
        &[],
        "launchSecurity/@kernelHashes",
        Value::YesNo,
        "on/off: measure the kernel, initrd and command line",
    ),
];

/// `--memdev dimm,target.size=512,target.node=0`: a memory device (sizes in MiB, written in
/// KiB as virt-install writes them; the guest also needs --memory maxmemory= and a NUMA cell).
pub(super) const MEMDEV: &[Row] = &[
    given("model", "@model", "dimm, nvdimm, virtio-pmem, virtio-mem"),
    given("access", "@access", "shared or private"),
    prop("discard", &[], "@discard", Value::YesNo, "on/off"),
    given("uuid", "uuid", "nvdimm UUID"),
    prop(
        "target.size",
        &["target_size"],
        "target/size",
        Value::MibToKib,
        "MiB",
    ),
    prop(
        "target.node",
        &["target_node"],
        "target/node",
        Value::Given,
        "the guest NUMA node",
    ),
    prop(
        "target.label_size",
        &["target_label_size"],
        "target/label/size",
        Value::MibToKib,
        "nvdimm label MiB",
    ),
    given("target.block", "target/block", "virtio-mem block size (KiB)"),
    given(
        "target.requested",
        "target/requested",
        "virtio-mem requested size (KiB)",
    ),
    given(
        "target.current",
        "target/current",
        "virtio-mem current size (KiB)",
    ),
    prop(
        "source.pagesize",
        &["source_pagesize"],
        "source/pagesize",
        Value::Given,
        "KiB",
    ),
    prop(
        "source.path",
        &["source_path"],
        "source/path",
        Value::Given,
        "nvdimm backing file",
    ),
    prop(
        "source.nodemask",
        &["source_nodemask"],
        "source/nodemask",
        Value::Given,
        "host NUMA nodes",
    ),
    prop(
        "source.alignsize",
        &[],
        "source/alignsize",
        Value::MibToKib,
        "MiB",
    ),
    prop(
        "source.pmem",
        &[],
        "source/pmem",
        Value::Present,
        "on: the nvdimm's backing file is persistent memory (<pmem/>)",
    ),
    prop(
        "target.readonly",
        &[],
        "target/readonly",
        Value::Present,
        "on: a read-only nvdimm (<readonly/>)",
    ),
    given("alias.name", "alias/@name", "the device's alias (ua-NAME)"),
];
