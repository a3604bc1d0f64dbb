//! The option table: every option of virt-install 4.1, each with what vnet-vm install does with
//! it (works, or is refused by name) and, for options with a sub-option grammar, one row per
//! sub-option naming the XML property it sets. The parser (parse.rs), the XML of the table-driven
//! devices (element.rs), the refusals (refused.rs) and the option reference of the man page and
//! docs/vnet-vm.md (reference.rs) are all read from here and from its rows (rows.rs): an option
//! is added in one place.

use super::check::CHECK;
use super::domain_rows::*;
use super::passthrough::*;
use super::rows::*;
pub use super::rows::{Default, Row};

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
    /// Properties of the domain document itself (`<features>`, `<clock>`, `<os><loader>`):
    /// each row's XML is an XPath below `<domain>`, set on the finished document (edit.rs).
    Properties,
    /// virt-install's `--xml` XPath edits, applied last, in the order given (edit.rs).
    XPath,
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

const fn always(xml: &'static str, value: &'static str) -> Default {
    Default {
        xml,
        value,
        when: &[],
    }
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

const fn properties(
    name: &'static str,
    positional: &'static [&'static str],
    rows: &'static [Row],
    defaults: &'static [Default],
    help: &'static str,
) -> OptionDef {
    OptionDef {
        name,
        kind: Kind::Properties,
        positional,
        rows,
        defaults,
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
    OptionDef {
        name: "xml",
        kind: Kind::XPath,
        positional: &[],
        rows: &[
            row(
                "xpath.set",
                "XPATH",
                "XPATH=VALUE (also the bare form): set an attribute or text",
            ),
            row("xpath.value", "XPATH", "the value for xpath.set=XPATH"),
            row("xpath.create", "XPATH", "make the element"),
            row("xpath.delete", "XPATH", "remove the element or attribute"),
        ],
        defaults: &[],
        help:
            "XPath edits of the final domain XML, applied last in the order given (./a/b[N]/c[@x='v']/@attr)",
    },
    properties(
        "qemu-commandline",
        &[],
        QEMU_COMMANDLINE,
        &[],
        "QEMU arguments or environment in the qemu XML namespace",
    ),
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
    typed(
        "install",
        &[],
        INSTALL,
        "install-phase kernel: kernel=,initrd=,kernel_args= (uploaded over a remote URI)",
    ),
    typed(
        "reinstall",
        &[],
        &[],
        "DOMAIN: start the shut-off domain once with --cdrom ISO or --pxe booted first, its definition kept",
    ),
    typed(
        "extra-args",
        &[],
        &[],
        "kernel command line for the --location kernel",
    ),
    typed(
        "initrd-inject",
        &[],
        &[],
        "with --location: a file put into the install initrd's root (repeatable)",
    ),
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
    refused(
        "idmap",
        "user-namespace ID maps are for LXC container guests (virt-install's docs), not QEMU guests",
    ),
    properties(
        "features",
        &[],
        FEATURES,
        &[],
        "hypervisor features (kvm_hidden=on, smm.state=on, ...)",
    ),
    properties("clock", &[], CLOCK, &[], "the guest clock and its timers"),
    properties(
        "launchsecurity",
        &["type"],
        LAUNCH_SECURITY,
        &[],
        "AMD SEV memory encryption (needs --boot uefi --machine q35, as virt-install)",
    ),
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
    properties("cputune", &[], CPUTUNE, &[], "vCPU pinning and CPU scheduling"),
    domain(
        "iothreads",
        "",
        &["iothreads"],
        &[row("iothreads", "iothreads", "number of I/O threads")],
        "I/O threads",
    ),
    properties(
        "sysinfo",
        &["type"],
        SYSINFO,
        SYSINFO_DEFAULTS,
        "SMBIOS the guest sees: host, emulate, or entries",
    ),
    properties("pm", &[], PM, &[], "guest power management (S3/S4)"),
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
    properties("keywrap", &[], KEYWRAP, &[], "s390 key wrapping ciphers"),
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
        "graphical console: none, vnc or spice; virt-install's vnc (spice where offered) and a USB tablet when not given (also --vnc, --vncport, --vnclisten, --keymap, --nographics)",
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
    device(
        "parallel",
        &["type"],
        CHARDEV,
        &[],
        "a parallel port (repeatable)",
    ),
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
    device(
        "hostdev",
        &["name"],
        HOSTDEV,
        &[],
        "a host PCI or USB device passed through (repeatable; the device is looked up in libvirt's node devices)",
    ),
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
    device(
        "audio",
        &[],
        AUDIO,
        &[],
        "an audio backend (type=spice, type=pulseaudio,id=2; none for none)",
    ),
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
    device(
        "smartcard",
        &["mode"],
        SMARTCARD,
        SMARTCARD_DEFAULTS,
        "a smartcard device (passthrough,type=spicevmc; host)",
    ),
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
    OptionDef {
        name: "memdev",
        kind: Kind::Device("memory"),
        positional: &["model"],
        rows: MEMDEV,
        defaults: &[],
        help: "a memory device (dimm; sizes in MiB)",
    },
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
    typed(
        "destroy-on-exit",
        &[],
        &[],
        "destroy the guest once the console session or --wait ends",
    ),
    typed(
        "wait",
        &[],
        &[],
        "minutes to wait for the guest to shut off (-1 forever, 0 return at once)",
    ),
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
    typed(
        "print-xml",
        &[],
        &[],
        "print the domain XML, change nothing (STEP: 1, 2 after a --cdrom/--location install, all)",
    ),
    typed(
        "dry-run",
        &[],
        &[],
        "validate and print what would be done, change nothing",
    ),
    typed(
        "check",
        &[],
        CHECK,
        "turn virt-install's safety checks off (path_in_use=off, mac_in_use=off, disk_size=off, all=off)",
    ),
    typed(
        "quiet",
        &[],
        &[],
        "vnet-vm's global -q/--quiet (accepted; install prints its JSON result as always)",
    ),
    refused("debug", NOT_YET),
];
