//! The option table: every option of virt-install 4.1, each with what vnet-vm install does with
//! it (works, or is refused by name) and, for options with a sub-option grammar, one row per
//! sub-option naming the XML property it sets. The parser (parse.rs), the XML of the table-driven
//! devices (element.rs), the refusals (refused.rs) and the option reference of the man page and
//! docs/vnet-vm.md (reference.rs) are all read from here: an option is added in one place.

/// One sub-option: its name on the command line, other spellings, the XML property it sets (for
/// table-driven options a path below the option's element: `backend/@model` an attribute,
/// `backend` the element's text) and what it means.
#[derive(Debug)]
pub struct Row {
    pub key: &'static str,
    pub aliases: &'static [&'static str],
    pub xml: &'static str,
    pub help: &'static str,
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

/// How an option is carried out.
#[derive(Debug)]
pub enum Kind {
    /// A flag or value of install's own (args.rs), read by typed code (plan.rs, spec.rs); the
    /// rows are its sub-option grammar, checked here first.
    Typed,
    /// A device element under `<devices>`, written from the rows alone (repeatable).
    Device(&'static str),
    /// Elements directly under `<domain>`: one element (`memoryBacking`) or, with "", the rows'
    /// own top-level elements (`on_poweroff`, ...).
    Domain(&'static str),
    /// Refused by name (exit 7) before anything is touched; the text says why.
    Refused(&'static str),
}

/// One virt-install option.
#[derive(Debug)]
pub struct OptionDef {
    /// The long name without `--`.
    pub name: &'static str,
    pub kind: Kind,
    /// Keys that bare values (no `=`) stand for, in order: `--watchdog i6300esb`,
    /// `--filesystem /src,tag`; `PATHKEY|KEY` sends a value starting with `/` to PATHKEY, others
    /// to KEY (`--rng /dev/urandom`, `--rng builtin`). A bare `KEY:VALUE` (`--network
    /// bridge:br0`) is KEY=VALUE.
    pub positional: &'static [&'static str],
    pub rows: &'static [Row],
    pub defaults: &'static [Default],
    /// One line for the reference.
    pub help: &'static str,
}

const fn row(key: &'static str, xml: &'static str, help: &'static str) -> Row {
    Row {
        key,
        aliases: &[],
        xml,
        help,
    }
}

const fn alias(
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
    }
}

const fn always(xml: &'static str, value: &'static str) -> Default {
    Default {
        xml,
        value,
        when: &[],
    }
}

const fn when(
    xml: &'static str,
    value: &'static str,
    when: &'static [(&'static str, &'static str)],
) -> Default {
    Default { xml, value, when }
}

const fn typed(
    name: &'static str,
    positional: &'static [&'static str],
    rows: &'static [Row],
    help: &'static str,
) -> OptionDef {
    OptionDef {
        name,
        kind: Kind::Typed,
        positional,
        rows,
        defaults: &[],
        help,
    }
}

const fn refused(name: &'static str, why: &'static str) -> OptionDef {
    OptionDef {
        name,
        kind: Kind::Refused(why),
        positional: &[],
        rows: &[],
        defaults: &[],
        help: "",
    }
}

const fn device(
    name: &'static str,
    positional: &'static [&'static str],
    rows: &'static [Row],
    defaults: &'static [Default],
    help: &'static str,
) -> OptionDef {
    OptionDef {
        name,
        kind: Kind::Device(name),
        positional,
        rows,
        defaults,
        help,
    }
}

const fn domain(
    name: &'static str,
    element: &'static str,
    positional: &'static [&'static str],
    rows: &'static [Row],
    help: &'static str,
) -> OptionDef {
    OptionDef {
        name,
        kind: Kind::Domain(element),
        positional,
        rows,
        defaults: &[],
        help,
    }
}

/// virt-install's other names for options: (alias, option).
pub static ALIASES: &[(&str, &str)] = &[
    ("ram", "memory"),
    ("vcpu", "vcpus"),
    ("osinfo", "os-variant"),
    ("security", "seclabel"),
    ("launchSecurity", "launchsecurity"),
];

/// The other names of `option`.
pub fn aliases(option: &str) -> impl Iterator<Item = &'static str> + '_ {
    ALIASES.iter().filter(move |(_, o)| *o == option).map(|(a, _)| *a)
}

const NOT_YET: &str = "not implemented yet";

/// Every option of virt-install 4.1 (`virt-install --help`), in its help's order.
pub static OPTIONS: &[OptionDef] = &[
    typed("connect", &[], &[], "libvirt URI (vnet-vm's global -c/--connect)"),
    typed("name", &[], &[], "domain name"),
    typed("memory", &["memory"], MEMORY, "memory in MiB"),
    typed("vcpus", &["vcpus"], VCPUS, "virtual CPUs and their topology"),
    typed("cpu", &["mode"], CPU, "guest CPU"),
    typed("cpuset", &[], &[], "host CPUs the vCPUs may run on"),
    domain(
        "metadata",
        "",
        &[],
        METADATA,
        "the domain's title and description",
    ),
    refused("xml", NOT_YET),
    refused("qemu-commandline", NOT_YET),
    typed(
        "os-variant",
        &["name"],
        OS_VARIANT,
        "the guest OS, an osinfo short id",
    ),
    typed("cdrom", &[], &[], "boot an ISO image as a CD-ROM"),
    typed(
        "location",
        &[],
        &[],
        "install tree: ISO, directory or http:// URL",
    ),
    typed("pxe", &[], &[], "boot from the network"),
    typed("import", &[], &[], "boot the first disk"),
    refused("install", NOT_YET),
    refused("reinstall", NOT_YET),
    typed(
        "extra-args",
        &[],
        &[],
        "kernel command line for the --location kernel",
    ),
    refused("initrd-inject", NOT_YET),
    refused(
        "unattended",
        "an unattended install needs osinfo's install scripts, which vnet does not run",
    ),
    typed(
        "cloud-init",
        &[],
        CLOUD_INIT,
        "a NoCloud seed ISO attached as a CD-ROM",
    ),
    typed("boot", &[], BOOT, "boot order, UEFI, direct kernel boot"),
    refused("idmap", NOT_YET),
    refused("features", NOT_YET),
    refused("clock", NOT_YET),
    refused("launchsecurity", NOT_YET),
    domain(
        "numatune",
        "numatune",
        &["memory.nodeset"],
        NUMATUNE,
        "host NUMA nodes for guest memory",
    ),
    domain("memtune", "memtune", &[], MEMTUNE, "memory limits in KiB"),
    domain(
        "blkiotune",
        "blkiotune",
        &[],
        &[row("weight", "weight", "I/O weight (100..1000)")],
        "block I/O tuning",
    ),
    typed("memballoon", &["model"], MEMBALLOON, "memory balloon device"),
    refused("cputune", NOT_YET),
    domain(
        "iothreads",
        "",
        &["iothreads"],
        &[row("iothreads", "iothreads", "number of I/O threads")],
        "I/O threads",
    ),
    refused("sysinfo", NOT_YET),
    refused("pm", NOT_YET),
    domain(
        "resource",
        "resource",
        &[],
        &[row("partition", "partition", "the cgroup partition")],
        "resource partition",
    ),
    OptionDef {
        name: "events",
        kind: Kind::Domain(""),
        positional: &[],
        rows: EVENTS,
        defaults: &[],
        help: "what the domain does on poweroff, reboot and crash",
    },
    refused("keywrap", NOT_YET),
    device(
        "iommu",
        &["model"],
        &[row("model", "@model", "intel, smmuv3, virtio")],
        &[],
        "an IOMMU",
    ),
    typed("disk", &["path"], DISK, "a disk (repeatable; none for no disk)"),
    typed(
        "network",
        &["type"],
        NETWORK,
        "a network interface (repeatable; none for none)",
    ),
    device(
        "graphics",
        &["type"],
        GRAPHICS,
        GRAPHICS_DEFAULTS,
        "graphical console: none, vnc or spice (also --vnc, --vncport, --vnclisten, --nographics)",
    ),
    OptionDef {
        name: "controller",
        kind: Kind::Device("controller"),
        positional: &["type"],
        rows: CONTROLLER,
        defaults: &[],
        help: "a controller (repeatable)",
    },
    device(
        "input",
        &["type"],
        INPUT,
        INPUT_DEFAULTS,
        "an input device (--input tablet)",
    ),
    device(
        "serial",
        &["type"],
        CHARDEV,
        &[],
        "a serial port (replaces install's default pty serial console)",
    ),
    refused("parallel", NOT_YET),
    OptionDef {
        name: "channel",
        kind: Kind::Device("channel"),
        positional: &["type"],
        rows: CHANNEL,
        defaults: &[Default {
            xml: "source/@mode",
            value: "bind",
            when: &[("@type", "unix")],
        }],
        help: "a host-guest channel, e.g. the guest agent (repeatable)",
    },
    device(
        "console",
        &["type"],
        CHARDEV,
        &[],
        "a text console (replaces install's default pty serial console)",
    ),
    refused("hostdev", NOT_YET),
    OptionDef {
        name: "filesystem",
        kind: Kind::Device("filesystem"),
        positional: &["source", "target"],
        rows: FILESYSTEM,
        defaults: &[always("@type", "mount"), always("@accessmode", "mapped")],
        help: "a host directory shared with the guest (repeatable)",
    },
    OptionDef {
        name: "sound",
        kind: Kind::Device("sound"),
        positional: &["model"],
        rows: &[row("model", "@model", "sound card model (ich9, ich6, ac97, ...)")],
        defaults: &[],
        help: "a sound card (repeatable)",
    },
    refused("audio", NOT_YET),
    OptionDef {
        name: "watchdog",
        kind: Kind::Device("watchdog"),
        positional: &["model"],
        rows: WATCHDOG,
        defaults: &[],
        help: "a watchdog device (repeatable)",
    },
    device(
        "video",
        &["model.type"],
        VIDEO,
        &[],
        "a video card (replaces the vga card a graphical console gets)",
    ),
    refused("smartcard", NOT_YET),
    device("redirdev", &["bus"], REDIRDEV, &[], "a USB redirection device"),
    OptionDef {
        name: "rng",
        kind: Kind::Device("rng"),
        positional: &["device|backend.model"],
        rows: RNG,
        defaults: &[always("@model", "virtio"), always("backend/@model", "random")],
        help: "a random number generator (--rng /dev/urandom)",
    },
    device(
        "panic",
        &["model"],
        &[row("model", "@model", "isa, pseries, hyperv, s390, pvpanic")],
        &[],
        "a panic device",
    ),
    device(
        "shmem",
        &["name"],
        &[row("name", "@name", "the shared memory's name")],
        &[],
        "a shared memory device",
    ),
    refused("memdev", NOT_YET),
    device(
        "vsock",
        &[],
        VSOCK,
        &[always("@model", "virtio")],
        "a vsock device (cid.auto=yes)",
    ),
    OptionDef {
        name: "tpm",
        kind: Kind::Device("tpm"),
        positional: &["backend.device.path|backend.type"],
        rows: TPM,
        defaults: &[
            always("@model", "tpm-crb"),
            Default {
                xml: "backend/@type",
                value: "passthrough",
                when: &[("backend/device/@path", "*")],
            },
        ],
        help: "a TPM (--tpm emulator)",
    },
    OptionDef {
        name: "memorybacking",
        kind: Kind::Domain("memoryBacking"),
        positional: &[],
        rows: MEMORYBACKING,
        defaults: &[],
        help: "how guest memory is backed (source.type=memfd,access.mode=shared)",
    },
    domain("seclabel", "seclabel", &[], SECLABEL, "a security label"),
    typed("hvm", &[], &[], "a fully virtualized guest (always the case)"),
    refused("paravirt", "Xen paravirtualized guests are not supported"),
    refused("container", "container guests (LXC) are not supported"),
    typed("virt-type", &[], &[], "hypervisor: kvm, qemu or auto"),
    typed(
        "arch",
        &[],
        &[],
        "x86_64 (the only architecture vnet-vm installs)",
    ),
    typed(
        "machine",
        &[],
        &[],
        "the machine type (pc, q35, pc-q35-10.0, ...)",
    ),
    typed("autostart", &[], &[], "start the domain when the host boots"),
    typed(
        "transient",
        &[],
        &[],
        "start without a persistent definition (virsh create)",
    ),
    refused("destroy-on-exit", NOT_YET),
    refused("wait", NOT_YET),
    typed("noautoconsole", &[], &[], "do not attach to the console"),
    typed(
        "autoconsole",
        &[],
        &[],
        "text (the default) or none; graphical is refused",
    ),
    typed(
        "noreboot",
        &[],
        &[],
        "accepted: install never reboots the guest into a second stage",
    ),
    typed("print-xml", &[], &[], "print the domain XML, change nothing"),
    typed(
        "dry-run",
        &[],
        &[],
        "validate and print what would be done, change nothing",
    ),
    refused("check", NOT_YET),
    typed(
        "quiet",
        &[],
        &[],
        "vnet-vm's global -q/--quiet (accepted; install prints its JSON result as always)",
    ),
    refused("debug", NOT_YET),
];

const MEMORY: &[Row] = &[row("memory", "memory", "MiB of memory (also currentMemory)")];

const VCPUS: &[Row] = &[
    row("vcpus", "vcpu/@current", "vCPUs online at boot"),
    row("maxvcpus", "vcpu", "hot-pluggable maximum"),
    row("sockets", "cpu/topology/@sockets", "sockets"),
    row("cores", "cpu/topology/@cores", "cores per socket"),
    row("threads", "cpu/topology/@threads", "threads per core"),
];

const CPU: &[Row] = &[
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
    row(
        "+FEATURE",
        "cpu/feature[@policy=force]/@name",
        "force a CPU feature (+vmx)",
    ),
    row(
        "-FEATURE",
        "cpu/feature[@policy=disable]/@name",
        "disable a CPU feature (-svm)",
    ),
    row("force", "cpu/feature[@policy=force]/@name", "force=FEATURE"),
    row("require", "cpu/feature[@policy=require]/@name", "require=FEATURE"),
    row(
        "optional",
        "cpu/feature[@policy=optional]/@name",
        "optional=FEATURE",
    ),
    row("disable", "cpu/feature[@policy=disable]/@name", "disable=FEATURE"),
    row("forbid", "cpu/feature[@policy=forbid]/@name", "forbid=FEATURE"),
];

const OS_VARIANT: &[Row] = &[
    row(
        "name",
        "metadata/libosinfo:os/@id",
        "osinfo short id (debian11, ubuntu22.04, generic)",
    ),
    row("id", "metadata/libosinfo:os/@id", "osinfo id URL"),
    row("detect", "", "detect=on: accepted, recorded only"),
];

const CLOUD_INIT: &[Row] = &[
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

const BOOT: &[Row] = &[
    row(
        "hd|cdrom|network|fd",
        "os/boot/@dev",
        "boot device order, as given",
    ),
    row("uefi", "os/@firmware", "OVMF firmware on q35 (also firmware=efi)"),
    row("kernel", "os/kernel", "direct kernel boot: kernel path"),
    row("initrd", "os/initrd", "its initrd"),
    alias(
        "kernel_args",
        &["cmdline"],
        "os/cmdline",
        "its command line (no commas)",
    ),
];

const MEMBALLOON: &[Row] = &[row("model", "memballoon/@model", "virtio or none")];

const DISK: &[Row] = &[
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
    alias("format", &["driver.type"], "disk/driver/@type", "raw or qcow2"),
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

const NETWORK: &[Row] = &[
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

const GRAPHICS: &[Row] = &[
    row("type", "@type", "none, vnc or spice"),
    row("port", "@port", "the port (-1, the default: libvirt picks one)"),
    row("tlsPort", "@tlsPort", "spice's TLS port"),
    row("websocket", "@websocket", "VNC websocket port"),
    row(
        "listen",
        "@listen",
        "the address to listen on (0.0.0.0 for every one)",
    ),
    row("keymap", "@keymap", "the keyboard layout (en-us, de, ...)"),
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
const GRAPHICS_DEFAULTS: &[Default] = &[
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

const EVENTS: &[Row] = &[
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

const CONTROLLER: &[Row] = &[
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

const CHANNEL: &[Row] = &[
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

const FILESYSTEM: &[Row] = &[
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

const WATCHDOG: &[Row] = &[
    row("model", "@model", "i6300esb, ib700, itco, diag288"),
    row(
        "action",
        "@action",
        "reset, shutdown, poweroff, pause, none, dump, inject-nmi",
    ),
];

const RNG: &[Row] = &[
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

const TPM: &[Row] = &[
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

const MEMORYBACKING: &[Row] = &[
    row("source.type", "source/@type", "file, anonymous or memfd"),
    row("access.mode", "access/@mode", "shared or private"),
    row("allocation.mode", "allocation/@mode", "immediate or ondemand"),
];

const METADATA: &[Row] = &[
    row("title", "title", "a short title"),
    row("description", "description", "a description"),
];

const NUMATUNE: &[Row] = &[
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

const MEMTUNE: &[Row] = &[
    row("hard_limit", "hard_limit", "KiB"),
    row("soft_limit", "soft_limit", "KiB"),
    row("swap_hard_limit", "swap_hard_limit", "KiB"),
    row("min_guarantee", "min_guarantee", "KiB"),
];

const INPUT: &[Row] = &[
    row("type", "@type", "tablet, mouse, keyboard, evdev, passthrough"),
    row("bus", "@bus", "usb, ps2, virtio (tablet: usb)"),
];

const INPUT_DEFAULTS: &[Default] = &[Default {
    xml: "@bus",
    value: "usb",
    when: &[("@type", "tablet")],
}];

const REDIRDEV: &[Row] = &[row("bus", "@bus", "usb"), row("type", "@type", "spicevmc or tcp")];

const VSOCK: &[Row] = &[
    row("cid.auto", "cid/@auto", "yes: libvirt picks the guest CID"),
    row("cid.address", "cid/@address", "the guest CID"),
    row("model", "@model", "virtio (default)"),
];

const SECLABEL: &[Row] = &[
    row("type", "@type", "static, dynamic or none"),
    row("model", "@model", "selinux, apparmor, dac"),
    row("label", "label", "the label"),
    row("baselabel", "baselabel", "the base label for dynamic labels"),
    row("relabel", "@relabel", "yes or no"),
];

const CHARDEV: &[Row] = &[
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

const VIDEO: &[Row] = &[
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
