//! The sub-option rows of the option table (table.rs): one row per sub-option, naming the XML
//! property it sets, and the defaults an option's XML gets.

/// One sub-option: its name on the command line, other spellings, the XML property it sets (for
/// table-driven options a path below the option's element: `backend/@model` an attribute,
/// `backend` the element's text) and what it means.
#[derive(Debug)]
pub struct Row {
    pub key: &'static str,
    pub aliases: &'static [&'static str],
    pub xml: &'static str,
    pub help: &'static str,
    /// How the value given is written (virt-install's on/off sub-options).
    pub value: Value,
}

/// How a row's value becomes XML: as given, or an on/off sub-option (on, off, yes, no, true,
/// false, 1, 0) written as libvirt spells that property.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Given,
    /// `enabled='yes'|'no'`.
    YesNo,
    /// `state='on'|'off'`.
    OnOff,
    /// on: the element is there (`<acpi/>`), off: it is removed.
    Present,
    /// MiB given, KiB written (virt-install's --memdev sizes).
    MibToKib,
    /// A list read by typed code: every occurrence kept in order (`--cpu require=a,require=b`).
    Each,
    /// A list that may also be given as bare words: one the key lists (`--boot hd,cdrom` for
    /// `hd|cdrom|...`), the key itself (`--boot uefi`) or a word after the key's sign (`--cpu
    /// +vmx` for `+FEATURE`: vmx).
    Word,
}

impl Row {
    /// The value a bare word (no `=`) stands for in this row, if the row takes bare words.
    pub fn bare(&self, word: &str) -> Option<String> {
        if self.value != Value::Word {
            return None;
        }
        if self.key.split('|').any(|k| k == word) {
            return Some(word.to_string());
        }
        let sign = self.key.strip_suffix("FEATURE")?;
        word.strip_prefix(sign)
            .filter(|w| !w.is_empty())
            .map(str::to_string)
    }

    /// Whether every occurrence of the row is kept (a list), not only the last.
    pub fn is_list(&self) -> bool {
        matches!(self.value, Value::Each | Value::Word)
    }
}

/// A property the option's XML gets unless the line sets it: (path, value), written only when
/// every `when` (path, value) holds (none: always; value `*`: set to anything), looked at after
/// the defaults before it.
#[derive(Debug)]
pub struct Default {
    pub xml: &'static str,
    pub value: &'static str,
    pub when: &'static [(&'static str, &'static str)],
}

pub(super) const fn row(key: &'static str, xml: &'static str, help: &'static str) -> Row {
    Row {
        key,
        aliases: &[],
        xml,
        help,
        value: Value::Given,
    }
}

pub(super) const fn alias(
    key: &'static str,
    aliases: &'static [&'static str],
    xml: &'static str,
    help: &'static str,
) -> Row {
    Row {
        key,
        aliases,
        xml,
        help,
        value: Value::Given,
    }
}

pub(super) const fn list(key: &'static str, value: Value, xml: &'static str, help: &'static str) -> Row {
    Row {
        key,
        aliases: &[],
        xml,
        help,
        value,
    }
}

pub(super) const fn when(
    xml: &'static str,
    value: &'static str,
    when: &'static [(&'static str, &'static str)],
) -> Default {
    Default { xml, value, when }
}

pub(super) const MEMORY: &[Row] = &[row("memory", "memory", "MiB of memory (also currentMemory)")];

pub(super) const VCPUS: &[Row] = &[
    row("vcpus", "vcpu/@current", "vCPUs online at boot"),
    row("maxvcpus", "vcpu", "hot-pluggable maximum"),
    row("sockets", "cpu/topology/@sockets", "sockets"),
    row("cores", "cpu/topology/@cores", "cores per socket"),
    row("threads", "cpu/topology/@threads", "threads per core"),
];

pub(super) const CPU: &[Row] = &[
    row(
        "mode",
        "cpu/@mode",
        "host-passthrough, host-model (or host), or a model name",
    ),
    row(
        "model",
        "cpu/model",
        "a CPU model libvirt knows (qemu64, Skylake-Client, ...)",
    ),
    list(
        "+FEATURE",
        Value::Word,
        "cpu/feature[@policy=force]/@name",
        "force a CPU feature (+vmx)",
    ),
    list(
        "-FEATURE",
        Value::Word,
        "cpu/feature[@policy=disable]/@name",
        "disable a CPU feature (-svm)",
    ),
    list(
        "force",
        Value::Each,
        "cpu/feature[@policy=force]/@name",
        "force=FEATURE",
    ),
    list(
        "require",
        Value::Each,
        "cpu/feature[@policy=require]/@name",
        "require=FEATURE",
    ),
    list(
        "optional",
        Value::Each,
        "cpu/feature[@policy=optional]/@name",
        "optional=FEATURE",
    ),
    list(
        "disable",
        Value::Each,
        "cpu/feature[@policy=disable]/@name",
        "disable=FEATURE",
    ),
    list(
        "forbid",
        Value::Each,
        "cpu/feature[@policy=forbid]/@name",
        "forbid=FEATURE",
    ),
];

pub(super) const OS_VARIANT: &[Row] = &[
    row(
        "name",
        "metadata/libosinfo:os/@id",
        "osinfo short id (debian11, ubuntu22.04, generic)",
    ),
    row("id", "metadata/libosinfo:os/@id", "osinfo id URL"),
    row("short-id", "metadata/libosinfo:os/@id", "the same as name="),
    row("detect", "", "detect=on: accepted, recorded only"),
    row("require", "", "require=off: accepted, recorded only"),
];

pub(super) const CLOUD_INIT: &[Row] = &[
    row("user-data", "seed user-data", "user-data file"),
    row("meta-data", "seed meta-data", "meta-data file"),
    row("network-config", "seed network-config", "network-config file"),
    row(
        "root-password-generate",
        "seed user-data",
        "on: generate and print a root password",
    ),
    row(
        "root-password-file",
        "seed user-data",
        "root password from a file",
    ),
    row(
        "root-ssh-key",
        "seed user-data",
        "root's authorized key from a file",
    ),
    row(
        "clouduser-ssh-key",
        "seed user-data",
        "the default user's key from a file",
    ),
    row(
        "disable",
        "seed user-data",
        "on: disable cloud-init after the first boot",
    ),
];

pub(super) const MEMBALLOON: &[Row] = &[row("model", "memballoon/@model", "virtio or none")];

pub(super) const DISK: &[Row] = &[
    row(
        "path",
        "disk/source/@file",
        "absolute image path (a block device: disk[@type=block]/source/@dev, cache=none, io=native, discard=unmap)",
    ),
    row(
        "pool",
        "disk/source/@file",
        "with size= and no path=: a new volume NAME.qcow2 in this storage pool",
    ),
    row("device", "disk/@device", "disk (default), cdrom, floppy or lun"),
    row(
        "size",
        "",
        "GiB for a new image (made through libvirt's storage API)",
    ),
    alias(
        "format",
        &["driver.type"],
        "disk/driver/@type",
        "raw or qcow2 (a new image: qcow2, an existing one: raw unless named .qcow2)",
    ),
    row(
        "bus",
        "disk/target/@bus",
        "virtio, sata, scsi (adds a virtio-scsi controller), usb or ide",
    ),
    alias(
        "target.dev",
        &["target"],
        "disk/target/@dev",
        "the device name the guest sees (vdb, sdc, hda)",
    ),
    alias("readonly", &["read_only"], "disk/readonly", "on: read-only for the guest"),
    row("shareable", "disk/shareable", "on: shared with other guests"),
    alias("boot.order", &["boot_order"], "disk/boot/@order", "per-device boot order"),
    row("serial", "disk/serial", "the disk's serial number"),
    row("backing_store", "", "a new qcow2 overlay on this image"),
    row("backing_format", "", "the backing image's format"),
    row("driver.name", "disk/driver/@name", "qemu"),
    alias(
        "cache",
        &["driver.cache"],
        "disk/driver/@cache",
        "none, writethrough, writeback, directsync, unsafe",
    ),
    alias(
        "discard",
        &["driver.discard"],
        "disk/driver/@discard",
        "unmap or ignore",
    ),
    alias(
        "io",
        &["driver.io"],
        "disk/driver/@io",
        "native, threads or io_uring",
    ),
    row(
        "driver.detect_zeroes",
        "disk/driver/@detect_zeroes",
        "off, on or unmap",
    ),
    row(
        "driver.error_policy",
        "disk/driver/@error_policy",
        "stop, report, ignore or enospace",
    ),
    row("driver.copy_on_read", "disk/driver/@copy_on_read", "on or off"),
    row("driver.queues", "disk/driver/@queues", "1..64 (bus=virtio)"),
];

pub(super) const NETWORK: &[Row] = &[
    row(
        "type",
        "interface/@type",
        "network, bridge or direct (a macvtap on source=)",
    ),
    alias(
        "source",
        &["source.dev"],
        "interface/source/@dev",
        "the host side: network, bridge or (direct) host device",
    ),
    alias(
        "source_mode",
        &["source.mode"],
        "interface/source/@mode",
        "direct: bridge (default), vepa, private, passthrough",
    ),
    row(
        "network",
        "interface[@type=network]/source/@network",
        "a libvirt network (network:NAME)",
    ),
    row(
        "bridge",
        "interface[@type=bridge]/source/@bridge",
        "a host bridge (bridge:BR)",
    ),
    alias(
        "model",
        &["model.type"],
        "interface/model/@type",
        "NIC model (default virtio)",
    ),
    alias("mac", &["mac.address"], "interface/mac/@address", "MAC address"),
];

pub(super) const GRAPHICS: &[Row] = &[
    row("type", "@type", "none, vnc or spice"),
    row("port", "@port", "the port (-1, the default: libvirt picks one)"),
    row("tlsPort", "@tlsPort", "spice's TLS port"),
    row("websocket", "@websocket", "VNC websocket port"),
    row(
        "listen",
        "@listen",
        "the address to listen on (0.0.0.0 for every one)",
    ),
    row(
        "keymap",
        "@keymap",
        "the keyboard layout (en-us, de, ...; local or none: none set)",
    ),
    row("password", "@passwd", "the console password"),
    row("passwordValidTo", "@passwdValidTo", "when the password expires"),
    row("connected", "@connected", "keep, disconnect or fail"),
    row("defaultMode", "@defaultMode", "spice: any, secure or insecure"),
    row(
        "image.compression",
        "image/@compression",
        "spice: off by default on a local connection",
    ),
    row("streaming.mode", "streaming/@mode", "spice: filter, all or off"),
    row("mouse.mode", "mouse/@mode", "spice: server or client"),
    row(
        "zlib.compression",
        "zlib/@compression",
        "spice: auto, never or always",
    ),
];

/// virt-install's defaults: port -1 (libvirt picks), spice's TLS port -1 and autoport, and no
/// image compression for spice.
pub(super) const GRAPHICS_DEFAULTS: &[Default] = &[
    when("@port", "-1", &[("@type", "vnc")]),
    when("@port", "-1", &[("@type", "spice")]),
    when("@tlsPort", "-1", &[("@type", "spice")]),
    when(
        "@autoport",
        "yes",
        &[("@type", "spice"), ("@port", "-1"), ("@tlsPort", "-1")],
    ),
    when("image/@compression", "off", &[("@type", "spice")]),
];

pub(super) const EVENTS: &[Row] = &[
    row(
        "on_poweroff",
        "on_poweroff",
        "destroy, restart, preserve, rename-restart",
    ),
    row(
        "on_reboot",
        "on_reboot",
        "destroy, restart, preserve, rename-restart",
    ),
    row(
        "on_crash",
        "on_crash",
        "destroy, restart, preserve, coredump-destroy, coredump-restart",
    ),
    row(
        "on_lockfailure",
        "on_lockfailure",
        "poweroff, restart, pause, ignore",
    ),
];

pub(super) const CONTROLLER: &[Row] = &[
    row("type", "@type", "scsi, usb, virtio-serial, pci, sata, ide, ..."),
    row("model", "@model", "e.g. virtio-scsi, qemu-xhci, pcie-root-port"),
    row("index", "@index", "controller index"),
    row("ports", "@ports", "number of ports"),
    row("vectors", "@vectors", "MSI vectors"),
    row("driver.queues", "driver/@queues", "queues"),
    row("driver.iothread", "driver/@iothread", "I/O thread"),
    row(
        "master.startport",
        "master/@startport",
        "companion USB controller start port",
    ),
];

pub(super) const CHANNEL: &[Row] = &[
    row("type", "@type", "unix, pty, spicevmc, spiceport, qemu-vdagent"),
    row(
        "source.mode",
        "source/@mode",
        "bind or connect (unix default: bind)",
    ),
    alias(
        "source.path",
        &["path"],
        "source/@path",
        "socket path (libvirt picks one when omitted)",
    ),
    alias(
        "target.type",
        &["target_type"],
        "target/@type",
        "virtio or guestfwd",
    ),
    alias(
        "target.name",
        &["name"],
        "target/@name",
        "e.g. org.qemu.guest_agent.0",
    ),
    row("target.address", "target/@address", "guestfwd address"),
    row("target.port", "target/@port", "guestfwd port"),
];

pub(super) const FILESYSTEM: &[Row] = &[
    alias("source", &["source.dir"], "source/@dir", "host directory"),
    alias("target", &["target.dir"], "target/@dir", "mount tag in the guest"),
    row("type", "@type", "mount (default)"),
    alias(
        "accessmode",
        &["mode"],
        "@accessmode",
        "mapped (default), passthrough, squash",
    ),
    row("driver.type", "driver/@type", "path or virtiofs"),
];

pub(super) const WATCHDOG: &[Row] = &[
    row("model", "@model", "i6300esb, ib700, itco, diag288"),
    row(
        "action",
        "@action",
        "reset, shutdown, poweroff, pause, none, dump, inject-nmi",
    ),
];

pub(super) const RNG: &[Row] = &[
    row(
        "device",
        "backend",
        "host device for backend.model=random (/dev/urandom)",
    ),
    alias(
        "backend.model",
        &["type"],
        "backend/@model",
        "random (default), egd, builtin",
    ),
    row("model", "@model", "virtio (default)"),
    row("rate.bytes", "rate/@bytes", "bytes per period"),
    row("rate.period", "rate/@period", "period in ms"),
];

pub(super) const TPM: &[Row] = &[
    alias(
        "backend.type",
        &["type"],
        "backend/@type",
        "emulator or passthrough",
    ),
    alias(
        "backend.device.path",
        &["path"],
        "backend/device/@path",
        "host TPM for passthrough",
    ),
    alias("backend.version", &["version"], "backend/@version", "1.2 or 2.0"),
    row("model", "@model", "tpm-crb (default) or tpm-tis"),
];

pub(super) const MEMORYBACKING: &[Row] = &[
    row("source.type", "source/@type", "file, anonymous or memfd"),
    row("access.mode", "access/@mode", "shared or private"),
    row("allocation.mode", "allocation/@mode", "immediate or ondemand"),
];

pub(super) const METADATA: &[Row] = &[
    row("title", "title", "a short title"),
    row("description", "description", "a description"),
];

pub(super) const NUMATUNE: &[Row] = &[
    alias(
        "memory.nodeset",
        &["nodeset"],
        "memory/@nodeset",
        "host NUMA nodes (0-1,3)",
    ),
    alias(
        "memory.mode",
        &["mode"],
        "memory/@mode",
        "strict, interleave, preferred, restrictive",
    ),
];

pub(super) const MEMTUNE: &[Row] = &[
    row("hard_limit", "hard_limit", "KiB"),
    row("soft_limit", "soft_limit", "KiB"),
    row("swap_hard_limit", "swap_hard_limit", "KiB"),
    row("min_guarantee", "min_guarantee", "KiB"),
];

pub(super) const INPUT: &[Row] = &[
    row("type", "@type", "tablet, mouse, keyboard, evdev, passthrough"),
    row("bus", "@bus", "usb, ps2, virtio (tablet: usb)"),
];

pub(super) const INPUT_DEFAULTS: &[Default] = &[Default {
    xml: "@bus",
    value: "usb",
    when: &[("@type", "tablet")],
}];

pub(super) const REDIRDEV: &[Row] = &[row("bus", "@bus", "usb"), row("type", "@type", "spicevmc or tcp")];

pub(super) const VSOCK: &[Row] = &[
    row("cid.auto", "cid/@auto", "yes: libvirt picks the guest CID"),
    row("cid.address", "cid/@address", "the guest CID"),
    row("model", "@model", "virtio (default)"),
];

pub(super) const SECLABEL: &[Row] = &[
    row("type", "@type", "static, dynamic or none"),
    row("model", "@model", "selinux, apparmor, dac"),
    row("label", "label", "the label"),
    row("baselabel", "baselabel", "the base label for dynamic labels"),
    row("relabel", "@relabel", "yes or no"),
];

pub(super) const CHARDEV: &[Row] = &[
    row("type", "@type", "pty, file, unix, tcp, udp, null, stdio, ..."),
    alias("source.path", &["path"], "source/@path", "file or socket path"),
    alias("source.mode", &["mode"], "source/@mode", "bind or connect"),
    alias("source.host", &["host"], "source/@host", "tcp/udp host"),
    alias("source.service", &["service"], "source/@service", "tcp/udp port"),
    alias("protocol.type", &["protocol"], "protocol/@type", "raw or telnet"),
    alias(
        "target.type",
        &["target_type"],
        "target/@type",
        "serial, virtio, isa-serial, ...",
    ),
    alias("target.port", &["target_port"], "target/@port", "port number"),
    row("log.file", "log/@file", "log the output to this file"),
];

pub(super) const VIDEO: &[Row] = &[
    alias(
        "model.type",
        &["model"],
        "model/@type",
        "vga, virtio, qxl, bochs, ramfb, cirrus, none",
    ),
    alias("model.heads", &["heads"], "model/@heads", "number of screens"),
    alias("model.vram", &["vram"], "model/@vram", "video RAM in KiB"),
    alias("model.ram", &["ram"], "model/@ram", "qxl RAM in KiB"),
    alias(
        "model.vgamem",
        &["vgamem"],
        "model/@vgamem",
        "qxl VGA memory in KiB",
    ),
];

pub(super) const INSTALL: &[Row] = &[
    row("kernel", "os/kernel", "the kernel (a file of this machine)"),
    row("initrd", "os/initrd", "its initrd"),
    alias("kernel_args", &["extra_args"], "os/cmdline", "its command line"),
];
