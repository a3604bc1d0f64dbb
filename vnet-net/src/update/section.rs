//! virsh net-update's commands and section names, and libvirt's numbers for them.

use virt::sys;

/// What `update` does to the section (virsh net-update's commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UpdateCommand {
    /// Add the entry at the end (also add-last).
    #[value(alias = "add-last")]
    Add,
    /// Add the entry first (before the others of its section).
    AddFirst,
    /// Change the entry with the same key (the MAC of a DHCP host, the IP of a DNS host).
    Modify,
    /// Remove the entry matching what is given (a DHCP host by MAC, IP or name).
    Delete,
}

impl UpdateCommand {
    /// The command the checks and plans work with (add-first is an add) and whether the entry
    /// goes first.
    pub fn normalised(self) -> (UpdateCommand, bool) {
        match self {
            UpdateCommand::AddFirst => (UpdateCommand::Add, true),
            other => (other, false),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UpdateCommand::Add => "add",
            UpdateCommand::AddFirst => "add-first",
            UpdateCommand::Modify => "modify",
            UpdateCommand::Delete => "delete",
        }
    }
}

/// The part of the network `update` changes (virsh net-update's section names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    /// `<ip><dhcp><host mac= name= ip=/>`: a DHCP host reservation.
    IpDhcpHost,
    /// `<dns><host ip=><hostname>`: a DNS host entry.
    DnsHost,
    /// `<ip><dhcp><range start= end=/>`: a DHCP range.
    IpDhcpRange,
}

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            Section::IpDhcpHost => "ip-dhcp-host",
            Section::DnsHost => "dns-host",
            Section::IpDhcpRange => "ip-dhcp-range",
        }
    }

    pub fn libvirt(self) -> sys::virNetworkUpdateSection {
        match self {
            Section::IpDhcpHost => sys::VIR_NETWORK_SECTION_IP_DHCP_HOST,
            Section::DnsHost => sys::VIR_NETWORK_SECTION_DNS_HOST,
            Section::IpDhcpRange => sys::VIR_NETWORK_SECTION_IP_DHCP_RANGE,
        }
    }
}
