//! `vnet-vm install`'s command line: virt-install's options, parsed by clap (their sub-options
//! by the option table, grammar/, whose parsed rows spec.rs and plan.rs build values from).

use super::grammar::TableArgs;
use crate::spec::{GraphicsKind, VirtTypeArg};
use std::io::IsTerminal;

/// Create a domain and start it (virt-install).
///
/// Exactly one install method: --location ISO|DIR|URL (the install tree's kernel and initrd are
/// found in the ISO, directory or http:// tree: install/, install.amd/, casper/, images/pxeboot/,
/// Debian's and Ubuntu's netboot trees; they are copied or fetched to /var/lib/libvirt/boot and
/// booted directly with --extra-args), --cdrom ISO, --import (boot the first disk; with --boot
/// kernel=... boot that kernel with the existing disks), --pxe (boot from the network) or --boot
/// kernel=K,initrd=I[,kernel_args=A]. As in virt-install, a line with none of these but with
/// --print-xml, --boot (hd, cdrom, uefi, ...) or --cloud-init is an --import line (with --disk
/// none, a domain without disks). The direct kernel boot of --location
/// stays in the domain after the first boot (a later reboot starts the installer's kernel again;
/// edit the domain to boot from disk once the installed system is in place).
///
/// Disks with size= are created through libvirt's storage API in the pool whose target is the
/// disk's directory (a dir pool is defined, built and started for it when none is). A disk path
/// that exists is reused, also when size= is given (size= is then ignored, as virt-install
/// does, with a warning); a relative path is taken from the current directory (as virt-install).
/// backing_store=BASE makes a new qcow2 overlay on BASE (which must exist: 3 otherwise) through
/// the storage API, the size BASE's unless size= says.
///
/// --cloud-init builds a NoCloud seed ISO labelled cidata (xorrisofs), puts it as a volume in the
/// first disk's pool, attaches it as a CD-ROM and sets the SMBIOS serial ds=nocloud; undefine
/// --remove-all-storage removes it. A cloud-init file that is missing is 3, one that is not UTF-8
/// text is 7; either way nothing is changed.
///
/// --boot uefi needs OVMF (Debian's ovmf package): without it libvirt offers no EFI firmware and
/// install stops with 6 before anything is made. Everything validated before the first change;
/// any failure afterwards removes what this install created (domain, new volumes, a new pool,
/// copied kernels).
///
/// Over a remote URI (-c qemu+tcp://HOST/system, qemu+ssh://...) every path in the domain is one
/// on the target host: --boot kernel=,initrd= are the target host's files, as virt-install boots
/// them (one missing there but present here is uploaded, and the result's boot says so with
/// kernel_uploaded_from/initrd_uploaded_from); the kernel and initrd of --location (read here
/// from the ISO, directory or http:// tree) and a --cdrom ISO of this machine are uploaded into
/// volumes of the target's /var/lib/libvirt/boot (removed on failure and by undefine --remove-all-storage); a
/// --cdrom path that is no file here is used when the target host has it; disk paths are looked
/// up there through libvirt, a folder no pool covers getting a dir pool of its own. Nothing on
/// this machine is made or read but the files named.
///
/// --virt-type auto picks kvm when libvirt offers it and a KVM guest actually starts, else qemu
/// (TCG); the choice and the reason are in the JSON. --dry-run prints the JSON with "dry_run" and
/// "xml" and changes nothing; --print-xml prints the domain XML itself (for virsh define).
#[derive(Debug, clap::Args)]
pub struct Install {
    /// Domain name.
    #[arg(short = 'n', long, required_unless_present = "reinstall")]
    pub name: Option<String>,
    /// Memory in MiB (also memory=N).
    #[arg(
        long = "memory",
        visible_alias = "ram",
        short = 'r',
        default_value = "1024",
        value_name = "MIB"
    )]
    pub memory: String,
    /// Virtual CPUs: N[,maxvcpus=M][,sockets=S,cores=C,threads=T] (sockets*cores*threads must
    /// equal the maximum; a missing part is derived from N).
    #[arg(long = "vcpus", visible_alias = "vcpu", default_value = "1", value_name = "N")]
    pub vcpus: String,
    /// Host CPUs the vCPUs may run on, e.g. 0-3,^2 (libvirt's cpuset syntax).
    #[arg(long, value_name = "LIST")]
    pub cpuset: Option<String>,
    /// Guest CPU: host-passthrough (KVM only), host-model, or a model libvirt knows (qemu64,
    /// Skylake-Client, ...; checked against libvirt's domain capabilities).
    #[arg(long, value_name = "MODE|MODEL")]
    pub cpu: Option<String>,
    /// Memory balloon device: virtio (libvirt's default) or none.
    #[arg(long, value_name = "none|virtio")]
    pub memballoon: Option<String>,
    /// A full-virtualization guest: accepted for virt-install's command lines (always the case).
    #[arg(long)]
    pub hvm: bool,
    /// network=NAME|bridge=BR[,model=virtio][,mac=MAC], or none; repeatable (default: network=default).
    #[arg(short = 'w', long = "network", value_name = "SPEC")]
    pub networks: Vec<String>,
    /// The CPU architecture: x86_64, the only one vnet-vm installs (others are 7).
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// The machine type (pc, q35, pc-q35-10.0, ...); --boot uefi implies q35.
    #[arg(long, value_name = "MACHINE")]
    pub machine: Option<String>,
    /// virt-install's older spelling of --graphics vnc (hidden there too).
    #[arg(long, hide = true)]
    pub vnc: bool,
    /// With --vnc: its port.
    #[arg(long, hide = true, value_name = "PORT")]
    pub vncport: Option<String>,
    /// With --vnc: its listen address.
    #[arg(long, hide = true, value_name = "ADDR")]
    pub vnclisten: Option<String>,
    /// With --vnc: its keymap (virt-install's deprecated -k/--keymap; `local` and `none` write
    /// none; without --vnc it does nothing, with a warning).
    #[arg(short = 'k', long, hide = true, value_name = "MAP")]
    pub keymap: Option<String>,
    /// virt-install's older spelling of --graphics none.
    #[arg(long, hide = true)]
    pub nographics: bool,
    /// Deprecated and ignored, as in virt-install (a warning says so); use --os-variant.
    #[arg(long, value_name = "TYPE")]
    pub os_type: Option<String>,
    /// The guest OS: an osinfo short id (debian11, ubuntu22.04, ...), checked against the osinfo
    /// database (Debian's osinfo-db package, /usr/share/osinfo) and recorded in the domain's
    /// libosinfo metadata; without the database accepted and recorded unchecked, with a warning.
    /// Also name=, id=, generic, detect=on (recorded only).
    #[arg(long, visible_alias = "osinfo", value_name = "OS")]
    pub os_variant: Option<String>,
    /// path=P[,size=GB][,format=raw|qcow2][,bus=virtio|sata|scsi|ide][,backing_store=BASE]
    /// [,backing_format=raw|qcow2][,cache=none|writethrough|writeback|directsync|unsafe]
    /// [,discard=unmap|ignore][,io=native|threads|io_uring][,driver.detect_zeroes=..]
    /// [,driver.error_policy=..][,driver.copy_on_read=on|off][,driver.queues=N], or none; repeatable.
    #[arg(long = "disk", value_name = "SPEC")]
    pub disks: Vec<String>,
    /// NoCloud seed: [user-data=F][,meta-data=F][,network-config=F][,root-password-generate=on]
    /// [,root-password-file=F][,root-ssh-key=F][,clouduser-ssh-key=F][,disable=on]; with no
    /// value root-password-generate=on,disable=on (virt-install's default).
    #[arg(long, value_name = "OPTS", num_args = 0..=1, default_missing_value = "")]
    pub cloud_init: Option<String>,
    /// Install tree: an ISO image, a directory or an http:// URL holding the installer's kernel and initrd.
    #[arg(short = 'l', long, value_name = "ISO|DIR|URL")]
    pub location: Option<String>,
    /// Boot an ISO image as a CD-ROM.
    #[arg(long, value_name = "ISO")]
    pub cdrom: Option<String>,
    /// Boot the first disk (an existing image).
    #[arg(long)]
    pub import: bool,
    /// Boot from the network (PXE on the first interface).
    #[arg(long)]
    pub pxe: bool,
    /// Boot options, comma-separated: a device order (hd,cdrom,network,fd), uefi (OVMF firmware,
    /// q35), and/or a direct kernel boot kernel=K,initrd=I[,kernel_args=A].
    #[arg(long, value_name = "SPEC")]
    pub boot: Option<String>,
    /// virt-install's install-phase kernel: kernel=K[,initrd=I][,kernel_args=A], files of this
    /// machine (uploaded into the target's /var/lib/libvirt/boot over a remote URI), booted
    /// directly as --boot kernel=... boots (vnet-vm keeps that boot after the first start).
    #[arg(long, value_name = "OPTS")]
    pub install: Option<String>,
    /// virt-install's --reinstall DOMAIN: the existing, shut-off domain started once from its own
    /// definition with the --cdrom ISO (or --pxe) booted first; its definition is kept. Only the
    /// install options are read.
    #[arg(long, value_name = "DOMAIN")]
    pub reinstall: Option<String>,
    /// With --location: put FILE into the root of the install initrd (a preseed or kickstart
    /// file), as virt-install does: appended to vnet's copy of the initrd as a gzip'd cpio
    /// archive; repeatable. A missing FILE is 3, without --location 7.
    #[arg(long = "initrd-inject", value_name = "FILE")]
    pub initrd_inject: Vec<String>,
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
    /// virt-install's --autoconsole: text (attach the serial console as described for
    /// --noautoconsole, the default) or none (the same as --noautoconsole).
    #[arg(long, value_name = "text|none")]
    pub autoconsole: Option<String>,
    /// Start the guest without a persistent definition (virsh create): it is gone once it shuts
    /// down or is destroyed.
    #[arg(long)]
    pub transient: bool,
    /// Start the domain when the host boots (virsh autostart), set once it is defined.
    #[arg(long)]
    pub autostart: bool,
    /// virt-install's "do not boot the guest after the install": install starts the guest once
    /// and never reboots it into a second stage, so this is what it always does.
    #[arg(long)]
    pub noreboot: bool,
    /// Print the domain XML and change nothing. virt-install's numbered form: 1 the install's
    /// XML, 2 the domain's after the install (--cdrom and --location: booting the disk, the
    /// CD-ROM empty), all (no value: the default) every step's, one document after the other.
    #[arg(long, value_name = "STEP", num_args = 0..=1, default_missing_value = "all")]
    pub print_xml: Option<String>,
    /// Validate everything and print what would be done, changing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Wait up to SECS for a DHCP lease on the guest's first network and report it as "address"
    /// (on timeout or a signal: exit 1 or 128+N, the domain stays installed and running).
    #[arg(long, value_name = "SECS")]
    pub wait_ip: Option<u64>,
    /// virt-install's --wait: minutes to wait for the guest to shut off (the install to finish)
    /// once started; -1 (or no value) waits forever, 0 returns at once (as --noautoconsole). Never
    /// attaches the console. After N minutes with the guest still running: exit 1, the domain
    /// left installed and running.
    #[arg(
        long,
        value_name = "MINUTES",
        num_args = 0..=1,
        default_missing_value = "-1",
        allow_negative_numbers = true
    )]
    pub wait: Option<i64>,
    /// virt-install's --check: path_in_use=off, mac_in_use=off, disk_size=off, path_exists=off or
    /// all=off (on/off, yes/no); repeatable. Before anything is made, install refuses a disk path
    /// another domain uses (4), a mac= another domain has (4) and a new disk larger than the space
    /// its pool has left (7); a check turned off lets the line through (with a warning for the
    /// first two).
    #[arg(long = "check", value_name = "CHECKS")]
    pub check: Vec<String>,
    /// virt-install's --destroy-on-exit: once install is done with the guest (the console
    /// session ended, --wait or --wait-ip returned or timed out, or at once with
    /// --noautoconsole), destroy (force off) the guest if it still runs; the definition stays
    /// (a --transient guest is gone). The result's "destroyed_on_exit" says whether it ran.
    #[arg(long)]
    pub destroy_on_exit: bool,
    /// Succeed (changed: false) when a domain of this name exists already.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// Tag the domain with LABEL (1..64 bytes of A-Z a-z 0-9 _ . -): domain metadata
    /// <vnet:tag xmlns:vnet="http://vnet.invalid/xmlns/tag/1">LABEL</vnet:tag>, with a record of
    /// the volumes, pools and boot files this install creates; `list --tag` lists it, `prune
    /// --tag` removes it with that storage. An existing domain accepted with --exist-ok keeps its own.
    #[arg(long, value_name = "LABEL")]
    pub tag: Option<String>,
    /// The table-driven options (--watchdog, --rng, ...) and the refused ones (grammar/table.rs).
    #[command(flatten)]
    pub table: TableArgs,
}

impl Install {
    /// --name (clap requires it unless --reinstall names the domain).
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }

    /// virt-install's rule: attach the console after starting when a person is at a terminal
    /// and the guest has no graphical console.
    pub fn console_after(&self, graphics: GraphicsKind) -> bool {
        let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        let wanted =
            !self.noautoconsole && self.autoconsole.as_deref() != Some("none") && self.wait.is_none();
        interactive && wanted && graphics == GraphicsKind::None
    }
}
