//! The command line: virt-install's `install` and virsh's domain verbs, with the shared flags.

use clap::{Args, Parser, Subcommand, ValueEnum};
use vnet_common::cli::{BatchArgs, OutputArgs};

/// Virtual machines over libvirt: virt-install and the virsh domain verbs, with JSON output.
#[derive(Debug, Parser)]
#[command(
    name = "vnet-vm",
    version,
    long_about = "Virtual machines over libvirt: `install` replaces virt-install (the seed's command line \
works unchanged), and list, start, shutdown, destroy, undefine, dumpxml, domiflist, domifaddr and console \
replace their virsh namesakes. Output is one JSON document (-o text for virsh's layout); errors are one \
line on stderr with the documented exit code."
)]
pub struct Cli {
    /// libvirt URI (default: LIBVIRT_DEFAULT_URI, else libvirt's default, qemu:///system for root).
    #[arg(short = 'c', long = "connect", value_name = "URI", global = true)]
    pub connect: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(subcommand)]
    pub verb: Option<Verb>,
}

#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Create a domain and start it (virt-install).
    ///
    /// Exactly one install method: --location ISO|DIR (the install tree's kernel and initrd are found
    /// in the ISO or directory: install/, install.amd/, casper/, images/pxeboot/; they are copied to
    /// /var/lib/libvirt/boot and booted directly with --extra-args), --cdrom ISO, --import (boot the
    /// first disk) or --boot kernel=K,initrd=I[,kernel_args=A]. The direct kernel boot of --location
    /// stays in the domain after the first boot (a later reboot starts the installer's kernel again;
    /// edit the domain to boot from disk once the installed system is in place).
    ///
    /// Disks with size= are created through libvirt's storage API in the pool whose target is the
    /// disk's directory (a dir pool is defined, built and started for it when none is). A disk path
    /// that exists is reused only when size= is omitted. Everything validated before the first change;
    /// any failure afterwards removes what this install created (domain, new volumes, a new pool,
    /// copied kernels).
    ///
    /// --virt-type auto picks kvm when libvirt offers it and a KVM guest actually starts, else qemu
    /// (TCG); the choice and the reason are in the JSON.
    ///
    /// JSON: {"name", "uuid", "changed", "state", "virt_type", "virt_type_reason", "memory_mib", "vcpus", "boot":
    /// {"method", "kernel", "initrd", "cmdline", "source", "layout"}, "disks": [{"path", "format", "bus",
    /// "size_gb", "created", "pool"}], "pool_created", "interfaces": [{"type", "source", "model",
    /// "mac"}], "graphics", "os_variant", "warnings": [...], "address" (with --wait-ip)}. --dry-run
    /// prints {"dry_run": true, "xml", ...} and changes nothing; --print-xml prints only the domain XML.
    #[command(visible_alias = "virt-install")]
    Install(Box<InstallArgs>),
    /// List domains (virsh list).
    ///
    /// JSON: [{"id" (null when inactive), "name", "state", "uuid"}]; state is virsh's word
    /// (running, idle, paused, in shutdown, shut off, crashed, pmsuspended).
    List {
        /// Include inactive domains.
        #[arg(long)]
        all: bool,
    },
    /// Start a defined domain (virsh start). JSON: {"name", "changed", "state", "id"}.
    Start { name: String },
    /// Ask the guest to shut down (ACPI power button; virsh shutdown). JSON: {"name", "changed", "state"}.
    Shutdown { name: String },
    /// Stop a domain at once (virsh destroy). JSON: {"name", "changed", "state"}.
    Destroy { name: String },
    /// Remove a domain's definition (virsh undefine).
    ///
    /// With --remove-all-storage also deletes its disk volumes and the kernels that install copied to
    /// /var/lib/libvirt/boot. JSON: {"name", "changed", "removed_volumes": [...], "removed_files": [...]}.
    Undefine {
        name: String,
        /// Also delete the domain's disk volumes and copied kernels (the domain must be shut off).
        #[arg(long)]
        remove_all_storage: bool,
        /// Succeed (changed: false) when the domain does not exist.
        #[arg(long)]
        missing_ok: bool,
    },
    /// Print a domain's XML (virsh dumpxml). JSON: {"name", "xml"}; -o text prints the XML itself.
    Dumpxml {
        name: String,
        /// The persistent definition rather than the live XML.
        #[arg(long)]
        inactive: bool,
    },
    /// A domain's network interfaces (virsh domiflist).
    ///
    /// JSON: [{"interface" (null when inactive), "type", "source", "model", "mac"}].
    Domiflist { name: String },
    /// A domain's addresses from its networks' DHCP leases (virsh domifaddr --source lease).
    ///
    /// JSON: [{"interface", "mac", "protocol", "address", "source": "lease"}].
    Domifaddr { name: String },
    /// Attach to a domain's serial console (virsh console).
    ///
    /// On a terminal: raw mode until the escape character (default ^]); the terminal is restored on
    /// every exit. When stdin is not a terminal (a script): relays stdin to the guest and the guest to
    /// stdout, and exits when stdin closes (after --linger to drain the guest's answer) or when the
    /// console closes. Exit 6 with a hint when the domain has no serial console.
    Console {
        name: String,
        /// Take the console over from another session.
        #[arg(long)]
        force: bool,
        /// The escape character on a terminal: ^X for a control key, or one character.
        #[arg(long, value_name = "CHAR", default_value = "^]")]
        escape: String,
        /// After stdin closes, keep relaying the guest's output this long (seconds).
        #[arg(long, value_name = "SECS", default_value_t = 1.0)]
        linger: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphicsKind {
    None,
    Vnc,
    Spice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VirtTypeArg {
    Auto,
    Kvm,
    Qemu,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Domain name.
    #[arg(short = 'n', long)]
    pub name: String,
    /// Memory in MiB (also memory=N).
    #[arg(
        long = "memory",
        visible_alias = "ram",
        short = 'r',
        default_value = "1024",
        value_name = "MIB"
    )]
    pub memory: String,
    /// Virtual CPUs (also vcpus=N).
    #[arg(long = "vcpus", visible_alias = "vcpu", default_value = "1", value_name = "N")]
    pub vcpus: String,
    /// network=NAME|bridge=BR[,model=virtio][,mac=MAC], or none; repeatable (default: network=default).
    #[arg(short = 'w', long = "network", value_name = "SPEC")]
    pub networks: Vec<String>,
    /// Graphical console: none (serial console only), vnc or spice.
    #[arg(long, value_enum, default_value_t = GraphicsKind::None)]
    pub graphics: GraphicsKind,
    /// Deprecated and ignored, as in virt-install (a warning says so); use --os-variant.
    #[arg(long, value_name = "TYPE")]
    pub os_type: Option<String>,
    /// The guest OS (accepted and recorded; vnet has no osinfo database).
    #[arg(long, visible_alias = "osinfo", value_name = "OS")]
    pub os_variant: Option<String>,
    /// path=P[,size=GB][,format=raw|qcow2][,bus=virtio|sata|scsi|ide], or none; repeatable.
    #[arg(long = "disk", value_name = "SPEC")]
    pub disks: Vec<String>,
    /// Install tree: an ISO image or a directory holding the installer's kernel and initrd.
    #[arg(short = 'l', long, value_name = "ISO|DIR")]
    pub location: Option<String>,
    /// Boot an ISO image as a CD-ROM.
    #[arg(long, value_name = "ISO")]
    pub cdrom: Option<String>,
    /// Boot the first disk (an existing image).
    #[arg(long)]
    pub import: bool,
    /// Direct kernel boot: kernel=K,initrd=I[,kernel_args=A].
    #[arg(long, value_name = "SPEC")]
    pub boot: Option<String>,
    /// Kernel command line for the --location install kernel.
    #[arg(short = 'x', long, value_name = "ARGS")]
    pub extra_args: Option<String>,
    /// Hypervisor: kvm, qemu (TCG, no hardware help), or auto (kvm when usable).
    #[arg(long, value_enum, default_value_t = VirtTypeArg::Auto)]
    pub virt_type: VirtTypeArg,
    /// Do not attach to the console after starting (the console is attached only when stdin and
    /// stdout are terminals and --graphics none).
    #[arg(long)]
    pub noautoconsole: bool,
    /// Print the domain XML and change nothing.
    #[arg(long)]
    pub print_xml: bool,
    /// Validate everything and print what would be done, changing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Wait up to SECS for a DHCP lease on the guest's first network and report it as "address"
    /// (on timeout: exit 1, the domain stays installed and running).
    #[arg(long, value_name = "SECS")]
    pub wait_ip: Option<u64>,
    /// Succeed (changed: false) when a domain of this name exists already.
    #[arg(long)]
    pub exist_ok: bool,
}
