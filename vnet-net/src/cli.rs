//! The command line: virsh's net-* verbs (their virsh spellings are aliases), JSON by default.

use crate::xml::Mode;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use vnet_common::cli::BatchArgs;
use vnet_common::output::{Format, Printer};

/// libvirt virtual networks (NAT, routed, isolated, bridged, open) as `virsh net-*` manages them,
/// with one JSON document per invocation.
#[derive(Debug, Parser)]
#[command(name = "vnet-net", version)]
#[command(
    long_about = "Defines, starts, stops, lists and inspects libvirt virtual networks over the \
libvirt API (the same networks virsh net-* and virt-manager see). Every verb also answers to \
virsh's spelling (net-list, net-define, ...). Output is one JSON document (an array for list \
verbs, an object with \"changed\" for mutating verbs); -o text prints virsh's layout.\n\n\
Definitions are checked before libvirt sees them: names, CIDRs and prefixes, DHCP ranges, bridge \
names, flag combinations and subnets colliding with active networks are rejected (exit 7, or 4 \
for a collision or a name in use) and nothing is defined.\n\n\
With --batch, every line prints one JSON document (NDJSON), dumpxml's parsed summary included."
)]
pub struct Cli {
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
    /// libvirt URI (qemu:///system, qemu+ssh://host/system, test:///default); default:
    /// LIBVIRT_DEFAULT_URI, else libvirt's default as virsh uses it.
    #[arg(short = 'c', long = "connect", value_name = "URI", global = true)]
    pub connect: Option<String>,
    #[command(subcommand)]
    pub command: Option<Verb>,
}

/// -p/--pretty and -o/--output as in every vnet tool; the default format depends on the verb
/// (dumpxml prints raw XML unless -o json is given).
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Indent the JSON output.
    #[arg(short = 'p', long, global = true)]
    pub pretty: bool,
    /// Output format: json (default; dumpxml: raw XML unless -o json), or text for virsh's layout.
    #[arg(short = 'o', long = "output", value_enum, global = true)]
    pub output: Option<Format>,
}

impl OutputArgs {
    pub fn printer(&self, default: Format) -> Printer {
        Printer {
            format: self.output.unwrap_or(default),
            pretty: self.pretty,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Verb {
    /// List networks (active ones unless --all or --inactive; filters combine as in virsh), sorted
    /// by name.
    ///
    /// JSON: an array of {name, uuid, active, persistent, autostart, bridge, mode, ips}: mode is
    /// nat, route, open, bridge, isolated (no <forward>) or another libvirt forward mode; bridge is
    /// null when the definition names none; ips are the host's addresses as "192.168.122.1/24".
    /// -o text prints virsh net-list's table.
    #[command(visible_alias = "net-list")]
    List(ListArgs),
    /// Define a persistent network from a libvirt XML file, or from flags.
    ///
    /// With FILE, the XML is checked (well-formed, a <network> with a valid name, addresses,
    /// DHCP ranges inside their subnet, bridge name <= 15 bytes) and sent as is. With --name, the
    /// XML is built from the flags. A name in use is exit 4 (with --exist-ok: success with
    /// "changed": false when the existing definition says the same, exit 4 when it differs); a
    /// subnet overlapping an active network is exit 4. --start and --autostart act after the
    /// define and undo it on failure.
    ///
    /// JSON: {name, uuid, active, persistent, autostart, bridge, mode, ips, changed}.
    #[command(visible_alias = "net-define")]
    Define(DefineArgs),
    /// Create and start a transient network (gone when destroyed), from a file or from flags.
    ///
    /// Same inputs and checks as define. --exist-ok: success with "changed": false when an active
    /// network of that name has the same definition.
    ///
    /// JSON: {name, uuid, active, persistent, autostart, bridge, mode, ips, changed}.
    #[command(visible_alias = "net-create")]
    Create(CreateArgs),
    /// Start a defined network.
    ///
    /// An undefined network is exit 3; an active one exit 4 (with --exist-ok: "changed": false);
    /// a subnet overlapping another active network exit 4, checked before starting.
    ///
    /// JSON: {name, uuid, active, persistent, autostart, bridge, mode, ips, changed}.
    #[command(visible_alias = "net-start")]
    Start(StartArgs),
    /// Stop an active network (a transient network disappears).
    ///
    /// A missing or inactive network is an error (exit 3, exit 1) unless --missing-ok.
    ///
    /// JSON: {name, uuid, active, persistent, autostart, bridge, mode, ips, changed}; for a
    /// transient network that is now gone, {name, uuid, active: false, persistent: false, changed};
    /// for a missing network with --missing-ok, {name, changed: false}.
    #[command(visible_alias = "net-destroy")]
    Destroy(RemoveArgs),
    /// Remove a network's persistent definition (an active network keeps running, transient).
    ///
    /// A missing or transient-only network is exit 3 unless --missing-ok.
    ///
    /// JSON: as destroy.
    #[command(visible_alias = "net-undefine")]
    Undefine(RemoveArgs),
    /// Start a network when libvirtd starts (or stop doing so with --disable).
    ///
    /// JSON: {name, uuid, active, persistent, autostart, bridge, mode, ips, changed}.
    #[command(visible_alias = "net-autostart")]
    Autostart(AutostartArgs),
    /// Print a network's libvirt XML (raw, as virsh net-dumpxml); -o json prints a parsed summary.
    ///
    /// JSON (-o json): {name, uuid, mode, bridge, forward_dev, mac, domain, ips, dhcp_ranges:
    /// [{start, end}]}.
    #[command(visible_alias = "net-dumpxml")]
    Dumpxml(DumpxmlArgs),
    /// Show one network's state.
    ///
    /// JSON: {name, uuid, active, persistent, autostart, bridge, mode, ips}. -o text prints virsh
    /// net-info's layout.
    #[command(visible_alias = "net-info")]
    Info(NameArg),
    /// List the DHCP leases libvirt's dnsmasq handed out on a network.
    ///
    /// JSON: an array of {mac, ip, hostname, expiry, client_id, protocol, iface}: ip is
    /// "address/prefix", expiry is seconds since the epoch, hostname and client_id may be null.
    /// -o text prints virsh net-dhcp-leases's table.
    #[command(visible_alias = "net-dhcp-leases")]
    DhcpLeases(LeasesArgs),
    /// Check what libvirt networking needs on this host and say how to fix what is missing.
    ///
    /// Checks: libvirtd (reachable), default_network (defined and active), ip_forward, dnsmasq,
    /// firewall (iptables usable), kvm (/dev/kvm usable, else guests run under TCG),
    /// subnet_overlap (network subnets against host routes and each other). Host checks read this
    /// machine even with a remote -c URI. Exits 0 once the checks ran, whatever they found.
    ///
    /// JSON: an array of {name, ok, detail, hint} (hint is null when ok).
    Doctor,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Active and inactive networks.
    #[arg(long, conflicts_with = "inactive")]
    pub all: bool,
    /// Inactive networks only.
    #[arg(long)]
    pub inactive: bool,
    /// Persistent (defined) networks only.
    #[arg(long, conflicts_with = "transient")]
    pub persistent: bool,
    /// Transient (created) networks only.
    #[arg(long)]
    pub transient: bool,
    /// Networks marked to autostart only.
    #[arg(long, conflicts_with = "no_autostart")]
    pub autostart: bool,
    /// Networks not marked to autostart only.
    #[arg(long)]
    pub no_autostart: bool,
}

/// A definition: a libvirt XML file, or flags that build one.
#[derive(Debug, Args)]
pub struct DefinitionArgs {
    /// libvirt network XML file (the alternative to --name and the flags below).
    #[arg(
        value_name = "FILE",
        conflicts_with_all = ["name", "mode", "bridge", "ips", "dhcp_ranges", "forward_dev", "domain", "ipv6"]
    )]
    pub file: Option<PathBuf>,
    /// Network name (build the definition from flags).
    #[arg(long)]
    pub name: Option<String>,
    /// Forward mode (default nat).
    #[arg(long, value_enum, requires = "name")]
    pub mode: Option<Mode>,
    /// Bridge device: created by libvirt (nat, route, isolated, open; default virbrN), or the
    /// existing host bridge (bridge mode, required). At most 15 bytes.
    #[arg(long, value_name = "BR", requires = "name")]
    pub bridge: Option<String>,
    /// The host's address on the network with its prefix, e.g. 10.200.1.1/24 (repeatable).
    #[arg(long = "ip", value_name = "CIDR", requires = "name")]
    pub ips: Vec<String>,
    /// DHCP range inside an --ip/--ipv6 subnet, e.g. 10.200.1.10,10.200.1.100 (repeatable).
    #[arg(long = "dhcp-range", value_name = "START,END", requires = "name")]
    pub dhcp_ranges: Vec<String>,
    /// Forward only through this host interface (nat, route).
    #[arg(long, value_name = "IF", requires = "name")]
    pub forward_dev: Option<String>,
    /// DNS domain for the guests.
    #[arg(long, value_name = "NAME", requires = "name")]
    pub domain: Option<String>,
    /// The host's IPv6 address on the network with its prefix, e.g. fd00:200::1/64.
    #[arg(long, value_name = "CIDR", requires = "name")]
    pub ipv6: Option<String>,
    /// Succeed ("changed": false) when a network of this name with the same definition exists.
    #[arg(long)]
    pub exist_ok: bool,
}

#[derive(Debug, Args)]
pub struct DefineArgs {
    #[command(flatten)]
    pub definition: DefinitionArgs,
    /// Start the network after defining it.
    #[arg(long)]
    pub start: bool,
    /// Mark the network to start with libvirtd.
    #[arg(long)]
    pub autostart: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub definition: DefinitionArgs,
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// Network name.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Network name.
    pub name: String,
    /// Succeed ("changed": false) when the network is already active.
    #[arg(long)]
    pub exist_ok: bool,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Network name.
    pub name: String,
    /// Succeed ("changed": false) when there is nothing to do.
    #[arg(long)]
    pub missing_ok: bool,
}

#[derive(Debug, Args)]
pub struct AutostartArgs {
    /// Network name.
    pub name: String,
    /// Stop starting the network with libvirtd.
    #[arg(long)]
    pub disable: bool,
}

#[derive(Debug, Args)]
pub struct DumpxmlArgs {
    /// Network name.
    pub name: String,
    /// The persistent definition, not the running one.
    #[arg(long)]
    pub inactive: bool,
}

#[derive(Debug, Args)]
pub struct LeasesArgs {
    /// Network name.
    pub name: String,
    /// Only the lease of this MAC address.
    #[arg(long)]
    pub mac: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn man_page_is_current() {
        let page = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../man/vnet-net.1"));
        vnet_common::man::assert_current(Cli::command(), page);
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn virsh_spellings_are_aliases() {
        let cli = Cli::try_parse_from(["vnet-net", "net-start", "default"]).unwrap();
        assert!(matches!(cli.command, Some(Verb::Start(StartArgs { ref name, .. })) if name == "default"));
        let cli = Cli::try_parse_from(["vnet-net", "net-list", "--all", "-o", "text"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Verb::List(ListArgs { all: true, .. }))
        ));
    }

    #[test]
    fn define_takes_a_file_or_flags_not_both() {
        assert!(Cli::try_parse_from(["vnet-net", "define", "router.xml"]).is_ok());
        assert!(Cli::try_parse_from(["vnet-net", "define", "--name", "x", "--mode", "route"]).is_ok());
        for bad in [
            vec!["vnet-net", "define", "f.xml", "--name", "x"],
            vec!["vnet-net", "define", "f.xml", "--mode", "nat"],
            vec!["vnet-net", "define", "--name", "x", "--mode", "bogus"],
            vec!["vnet-net", "create", "f.xml", "--start"],
        ] {
            let e = Cli::try_parse_from(&bad).unwrap_err();
            assert_eq!(
                vnet_common::cli::usage_error("vnet-net", &e).exit_code(),
                2,
                "{bad:?}"
            );
        }
    }
}
