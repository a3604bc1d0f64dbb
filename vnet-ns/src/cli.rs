//! The command line of vnet-ns: verbs named after `ip netns` and `ip link ... type veth`.

use clap::{Parser, Subcommand, ValueEnum};
use vnet_common::cli::{BatchArgs, OutputArgs};

/// Network namespaces and veth pairs, shared with `ip netns`, with JSON output.
///
/// Namespaces live at /run/netns/NAME exactly as iproute2 keeps them, so `ip netns` and
/// vnet-ns see and use the same ones.
#[derive(Debug, Parser)]
#[command(name = "vnet-ns", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(subcommand)]
    pub command: Option<Verb>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LinkState {
    Up,
    Down,
}

#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Create a named namespace and bring its lo up (ip netns add).
    ///
    /// JSON: {"name", "path", "lo_up", "changed"}.
    Add {
        /// Namespace name: 1..255 bytes of A-Z a-z 0-9 _ . - (no leading -).
        name: String,
        /// Succeed with "changed": false when the namespace already exists.
        #[arg(long)]
        exist_ok: bool,
        /// Leave lo down, as `ip netns add` does.
        #[arg(long)]
        no_lo: bool,
    },
    /// Delete named namespaces, stale entries included (ip netns delete).
    ///
    /// All names are checked before any is deleted. JSON: {"deleted": [...], "missing": [...], "changed"}.
    #[command(visible_alias = "del")]
    Delete {
        #[arg(required = true)]
        names: Vec<String>,
        /// Succeed when a namespace does not exist.
        #[arg(long)]
        missing_ok: bool,
    },
    /// List named namespaces (ip netns list).
    ///
    /// JSON: [{"name", "id" (nsid or null), "path", "stale"}]; a stale entry is a file under
    /// /run/netns with no namespace mounted on it.
    #[command(visible_alias = "ls")]
    List,
    /// Run a command inside a namespace (ip netns exec); exits with the command's status.
    ///
    /// Same sequence as iproute2: a private mount namespace, a fresh /sys showing the namespace's
    /// interfaces, and /etc/netns/NAME/* bind-mounted over /etc. 126: not executable, 127: not found.
    Exec {
        name: String,
        /// The command and its arguments (no shell).
        #[arg(
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "CMD"
        )]
        command: Vec<String>,
    },
    /// Name the namespaces a process is in (ip netns identify).
    ///
    /// JSON: {"pid", "names": [...]}.
    Identify {
        /// Process id; default: this process.
        pid: Option<u32>,
    },
    /// List the processes inside a namespace (ip netns pids).
    ///
    /// JSON: [{"pid", "comm"}].
    Pids { name: String },
    /// Show a namespace's interfaces with state, MAC, MTU and addresses.
    ///
    /// JSON: [{"name", "index", "kind", "up", "state", "mac", "mtu", "master", "addresses"}].
    Show { name: String },
    /// Create a veth pair in one step: the peer appears directly in its namespace, addresses
    /// are set, both ends come up, and the host end can join a bridge. Any failure removes the pair.
    ///
    /// JSON: {"name", "netns", "peer", "peer_netns", "addresses", "peer_addresses", "mtu",
    /// "master", "up", "changed"}.
    Veth {
        /// Name of this end (in --netns, default the current namespace).
        name: String,
        /// Name of the peer end (in --peer-netns, default the same namespace as NAME).
        peer: String,
        /// Namespace for this end.
        #[arg(short = 'n', long, value_name = "NS")]
        netns: Option<String>,
        /// Namespace for the peer end.
        #[arg(long, value_name = "NS")]
        peer_netns: Option<String>,
        /// Address for this end, e.g. 192.168.100.1/24 (repeatable).
        #[arg(long = "addr", value_name = "CIDR")]
        addrs: Vec<String>,
        /// Address for the peer end (repeatable).
        #[arg(long = "peer-addr", value_name = "CIDR")]
        peer_addrs: Vec<String>,
        /// MTU of both ends (68..65535).
        #[arg(long, value_parser = clap::value_parser!(u32).range(68..=65535))]
        mtu: Option<u32>,
        /// Make this end a port of this bridge (in the same namespace as NAME).
        #[arg(long, value_name = "BRIDGE")]
        master: Option<String>,
        /// Leave both ends down.
        #[arg(long)]
        no_up: bool,
        /// Succeed with "changed": false when NAME and PEER already exist as one veth pair.
        #[arg(long)]
        exist_ok: bool,
    },
    /// Set an interface inside a namespace up or down (ip -n NS link set IFACE up|down).
    ///
    /// JSON: the interface as `show` prints it, plus "changed".
    Link {
        name: String,
        iface: String,
        #[arg(value_enum)]
        state: LinkState,
    },
    /// Add (or with --del remove) an address on an interface inside a namespace (ip -n NS addr add).
    ///
    /// JSON: the interface as `show` prints it, plus "changed".
    Addr {
        name: String,
        iface: String,
        cidr: String,
        /// Remove the address instead of adding it.
        #[arg(long)]
        del: bool,
    },
}
