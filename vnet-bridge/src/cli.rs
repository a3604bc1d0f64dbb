//! The command line: brctl's verbs and argument order, plus vnet's flags.

use clap::{Parser, Subcommand};
use vnet_common::cli::{BatchArgs, OutputArgs};

/// Linux bridges as brctl manages them, over rtnetlink (no brctl, no ioctl), with JSON output.
///
/// Every verb takes -n/--netns NAME to act inside a named network namespace (like ip -n).
/// Mutating verbs print an object with "changed": true|false and nothing in text mode; read verbs
/// print JSON by default and brctl's exact layout with -o text.
///
/// Every input is checked before anything changes: a name over 15 bytes (brctl would truncate it),
/// a value out of the kernel's range, or a NAME that exists but is not a bridge is exit 7; a missing
/// bridge, interface or namespace (or an interface that is not a port of the bridge) is exit 3;
/// not root is exit 5 with a hint.
#[derive(Debug, Parser)]
#[command(name = "vnet-bridge", version)]
pub struct Cli {
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
    /// Act inside this named network namespace (/run/netns/NAME), like ip -n.
    #[arg(short = 'n', long, global = true, value_name = "NAME")]
    pub netns: Option<String>,
    #[command(subcommand)]
    pub verb: Option<Verb>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Verb {
    /// Create a bridge (brctl addbr), optionally giving it addresses and bringing it up.
    ///
    /// The bridge is created down unless --up. With --addr the addresses are added in the same
    /// step; if any step fails the bridge is deleted again.
    /// JSON: {"name", "changed", "up", "addresses": ["10.10.10.98/24", ...]}.
    /// Exit 4 when NAME exists (with --exist-ok: success when it is a bridge, "changed": false,
    /// and missing --addr addresses / --up are still applied).
    Addbr {
        /// Bridge name (1..15 bytes; never truncated, unlike brctl).
        bridge: String,
        /// Succeed when the bridge already exists.
        #[arg(long)]
        exist_ok: bool,
        /// Give the bridge this address (CIDR); repeat for several.
        #[arg(long = "addr", value_name = "CIDR")]
        addrs: Vec<String>,
        /// Bring the bridge up.
        #[arg(long)]
        up: bool,
    },
    /// Delete a bridge (brctl delbr).
    ///
    /// Refuses a bridge that is up (exit 4), as brctl does, unless --force, which downs it first.
    /// JSON: {"name", "changed"}. Exit 3 when missing (unless --missing-ok), 7 when NAME is not a bridge.
    Delbr {
        bridge: String,
        /// Succeed when the bridge does not exist.
        #[arg(long)]
        missing_ok: bool,
        /// Down the bridge first if it is up.
        #[arg(long)]
        force: bool,
    },
    /// Make interfaces ports of a bridge (brctl addif).
    ///
    /// An interface that is already a port of another bridge is refused (exit 4) unless --force,
    /// which moves it; an interface enslaved to anything that is not a bridge is always refused.
    /// With --move-addresses (one interface only) the interface's addresses (all IPv4, IPv6 except
    /// link-local) and its routes (the default route included; not kernel-made prefix routes) move
    /// to the bridge, the interface is enslaved and the bridge brought up, as one step: on any
    /// failure the interface's addresses and routes are restored exactly.
    /// JSON: {"bridge", "interfaces", "added": [names], "changed", and with --move-addresses
    /// "moved": {"from", "addresses": [CIDR...], "routes": [{"dst", "gateway", "table", "metric"}...]}}.
    /// For tests only: VNET_BRIDGE_FAIL_AFTER=STEP (del-routes, del-addresses, enslave,
    /// add-addresses, up, add-routes) makes --move-addresses fail after that step, to prove the restore.
    Addif {
        bridge: String,
        /// Interfaces to add.
        #[arg(required = true, value_name = "IF")]
        interfaces: Vec<String>,
        /// Move a port of another bridge to this one.
        #[arg(long)]
        force: bool,
        /// Move the interface's addresses and routes to the bridge (one interface only).
        #[arg(long)]
        move_addresses: bool,
    },
    /// Remove interfaces from a bridge (brctl delif).
    ///
    /// JSON: {"bridge", "interfaces", "removed": [names], "changed"}. Exit 3 when an interface is
    /// missing or not a port of the bridge (unless --missing-ok for the latter).
    Delif {
        bridge: String,
        #[arg(required = true, value_name = "IF")]
        interfaces: Vec<String>,
        /// Succeed for interfaces that are not ports of the bridge.
        #[arg(long)]
        missing_ok: bool,
    },
    /// List bridges and their ports (brctl show).
    ///
    /// JSON: [{"name", "id" ("8000.aabbccddeeff"), "stp" (bool), "up", "interfaces": [{"name",
    /// "port_no", "state" (disabled|listening|learning|forwarding|blocking), "up", "rx_packets",
    /// "rx_bytes", "tx_packets", "tx_bytes"}]}], bridges and ports sorted by name as brctl does.
    Show {
        /// Only these bridges, in this order (exit 3 if one is missing).
        bridges: Vec<String>,
    },
    /// The bridge's forwarding database (brctl showmacs), read with an AF_BRIDGE neighbour dump.
    ///
    /// JSON: [{"port_no", "port", "mac", "local" (bool), "ageing" (seconds), "vlan" (or null)}],
    /// sorted by MAC.
    Showmacs { bridge: String },
    /// Spanning-tree state of a bridge and its ports (brctl showstp).
    ///
    /// JSON: {"name", "stp", "id", "designated_root", "root_port", "path_cost", "max_age",
    /// "hello_time", "forward_delay", "ageing_time", "hello_timer", "tcn_timer",
    /// "topology_change_timer", "gc_timer", "topology_change", "topology_change_detected",
    /// "ports": [{"name", "port_no", "port_id", "state", "designated_root", "path_cost",
    /// "designated_bridge", "message_age_timer", "designated_port", "forward_delay_timer",
    /// "designated_cost", "hold_timer", "config_pending", "topology_change_ack", "hairpin"}]};
    /// times in seconds.
    Showstp { bridge: String },
    /// Turn the spanning tree protocol on or off (brctl stp).
    ///
    /// JSON: {"bridge", "stp", "changed"}.
    Stp {
        bridge: String,
        /// on|off (also yes|no, 1|0, as brctl).
        #[arg(value_name = "on|off")]
        state: String,
    },
    /// Set the MAC address ageing time in seconds, 0..1000000 (brctl setageing).
    ///
    /// JSON: {"bridge", "ageing_time", "changed"}. Out of range: exit 7, nothing changed.
    Setageing {
        bridge: String,
        #[arg(value_name = "SECS", allow_hyphen_values = true)]
        seconds: String,
    },
    /// Set the forward delay in seconds, 2..30 as the kernel requires with STP (brctl setfd).
    ///
    /// JSON: {"bridge", "forward_delay", "changed"}. Out of range: exit 7, nothing changed.
    Setfd {
        bridge: String,
        #[arg(value_name = "SECS", allow_hyphen_values = true)]
        seconds: String,
    },
    /// Set the hello time in seconds, 1..10 (brctl sethello).
    ///
    /// JSON: {"bridge", "hello_time", "changed"}. Out of range: exit 7, nothing changed.
    Sethello {
        bridge: String,
        #[arg(value_name = "SECS", allow_hyphen_values = true)]
        seconds: String,
    },
    /// Set the maximum message age in seconds, 6..40 (brctl setmaxage).
    ///
    /// JSON: {"bridge", "max_age", "changed"}. Out of range: exit 7, nothing changed.
    Setmaxage {
        bridge: String,
        #[arg(value_name = "SECS", allow_hyphen_values = true)]
        seconds: String,
    },
    /// Set the bridge priority, 0..65535 (brctl setbridgeprio).
    ///
    /// JSON: {"bridge", "priority", "changed"}.
    Setbridgeprio {
        bridge: String,
        #[arg(value_name = "PRIO", allow_hyphen_values = true)]
        priority: String,
    },
    /// Set a port's path cost, 1..65535 (brctl setpathcost).
    ///
    /// JSON: {"bridge", "port", "path_cost", "changed"}.
    Setpathcost {
        bridge: String,
        port: String,
        #[arg(value_name = "COST", allow_hyphen_values = true)]
        cost: String,
    },
    /// Set a port's priority, 0..63 (brctl setportprio).
    ///
    /// JSON: {"bridge", "port", "priority", "changed"}.
    Setportprio {
        bridge: String,
        port: String,
        #[arg(value_name = "PRIO", allow_hyphen_values = true)]
        priority: String,
    },
    /// Turn hairpin mode (reflective relay) of a port on or off (brctl hairpin).
    ///
    /// JSON: {"bridge", "port", "hairpin", "changed"}.
    Hairpin {
        bridge: String,
        port: String,
        #[arg(value_name = "on|off")]
        state: String,
    },
}
