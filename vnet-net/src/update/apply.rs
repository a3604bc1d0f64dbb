//! The `update` verb: the targets it changes, one net-update call per target group, and the
//! journal entries that undo them.

use super::entry::{check_entry, dhcp_parent, entry_xml, parse_entry_xml, Entry, Given};
use super::listing::{dns_row, host_row, ranges_of, DhcpHostRow, DnsHostRow};
use super::plan::{plan, Plan};
use super::section::{Section, UpdateCommand};
use crate::inspect::DhcpRange;
use crate::network::{definition, require};
use crate::spec;
use crate::xml::Summary;
use schemars::JsonSchema;
use serde::Serialize;
use virt::network::Network;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::verb::{Render, TextStyle};
use vnet_common::{Context, Error, Journal, Result, Verb};

/// Change a network's DHCP host reservations, DNS host entries or DHCP ranges (virsh net-update),
/// on the running network and in its persistent definition as one step.
///
/// The entry is given by flags or, as virsh takes it, by its XML (or a file holding it):
///
///   vnet-net update NET add ip-dhcp-host --mac 52:54:00:00:00:10 --ip 192.168.122.10 --name web
///   vnet-net update NET delete ip-dhcp-host --mac 52:54:00:00:00:10   (or --ip, or --name)
///   vnet-net update NET modify ip-dhcp-host --mac 52:54:00:00:00:10 --ip 192.168.122.11
///   vnet-net update NET add dns-host --ip 192.168.122.10 --hostname web --hostname www
///   vnet-net update NET add ip-dhcp-range --start 192.168.122.200 --end 192.168.122.210
///   vnet-net net-update NET add ip-dhcp-host "<host mac='52:54:00:00:00:10' ip='192.168.122.10'/>"
///   vnet-net update NET add-first ip-dhcp-host --id 0:3:0:1:52:54:0:0:0:10 --ip 2001:db8::10
///   vnet-net net-update NET add ip-dhcp-host "<host id='0:3:0:1:52:54:0:0:0:10' ip='2001:db8::10'/>"
///
/// An IPv6 reservation names its client by DUID (--id, `id=`) or --name, never by MAC; it goes
/// to the network's IPv6 <ip> element with DHCP (or the one --parent-index names, counting every
/// <ip> element in document order, as virsh does). add-first puts the entry before the others.
///
/// Where it applies: the running network (when active) and the persistent definition (when
/// defined), what `virsh net-update ... --live --config` does on an active network and `--config`
/// on an inactive one; --live or --config alone restrict it, as in virsh. A target that already
/// holds the result is left alone, so a rerun changes nothing.
///
/// Checked first (exit 7, nothing changed): the MAC (unicast), the IP (inside the subnet of the
/// <ip> element holding DHCP, not its network, broadcast or host address), the range (inside the
/// subnet, in order). An add whose MAC, IP or name is reserved already for another entry is exit 4
/// naming the entry; the same entry again is exit 4 too unless --exist-ok ("changed": false). A
/// delete or modify of an entry that is not there is exit 3 (delete --missing-ok: "changed": false).
#[derive(Debug, clap::Args)]
pub struct Update {
    /// Network name.
    pub network: String,
    /// add, modify or delete.
    #[arg(value_enum)]
    pub command: UpdateCommand,
    /// ip-dhcp-host, dns-host or ip-dhcp-range.
    #[arg(value_enum)]
    pub section: Section,
    /// The entry as virsh takes it: its XML, or a file holding it (instead of the flags).
    #[arg(value_name = "XML", conflicts_with_all = ["mac", "id", "ip", "host_name", "hostnames", "start", "end"])]
    pub xml: Option<String>,
    /// ip-dhcp-host: the guest's MAC address.
    #[arg(long, value_name = "MAC")]
    pub mac: Option<String>,
    /// ip-dhcp-host: the client's DUID (IPv6 reservations).
    #[arg(long, value_name = "DUID")]
    pub id: Option<String>,
    /// The <ip> element (0 for the first, in document order) holding the DHCP entry (virsh
    /// --parent-index); default: the one of the entry's address family with DHCP.
    #[arg(long, value_name = "N")]
    pub parent_index: Option<usize>,
    /// ip-dhcp-host: the reserved address; dns-host: the address the names resolve to.
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// ip-dhcp-host: the guest's host name dnsmasq hands out (and matches on).
    #[arg(long = "name", value_name = "NAME")]
    pub host_name: Option<String>,
    /// dns-host: a name for --ip (repeatable).
    #[arg(long = "hostname", value_name = "NAME")]
    pub hostnames: Vec<String>,
    /// ip-dhcp-range: the first address.
    #[arg(long, value_name = "IP")]
    pub start: Option<String>,
    /// ip-dhcp-range: the last address.
    #[arg(long, value_name = "IP")]
    pub end: Option<String>,
    /// add: succeed ("changed": false) when the same entry is there already.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// delete: succeed ("changed": false) when no entry matches.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
    /// Only the running network (virsh --live).
    #[arg(long)]
    pub live: bool,
    /// Only the persistent definition (virsh --config).
    #[arg(long)]
    pub config: bool,
    /// virsh's --current: the running network when it runs, else the persistent definition
    /// (without --live, --config or --current both are changed).
    #[arg(long, conflicts_with_all = ["live", "config"])]
    pub current: bool,
}

/// A network after `update`: what changed and the entries of all three sections now.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Updated {
    /// The network's name.
    pub name: String,
    /// add, modify or delete.
    pub command: String,
    /// ip-dhcp-host, dns-host or ip-dhcp-range.
    pub section: String,
    /// True when this call changed the network.
    pub changed: bool,
    /// True when the running network was changed.
    pub live: bool,
    /// True when the persistent definition was changed.
    pub config: bool,
    /// The DHCP host reservations now.
    pub dhcp_hosts: Vec<DhcpHostRow>,
    /// The DNS host entries now.
    pub dns_hosts: Vec<DnsHostRow>,
    /// The DHCP ranges now.
    pub dhcp_ranges: Vec<DhcpRange>,
}

/// virsh's confirmation line when something changed.
impl Render for Updated {
    fn text(&self, _style: TextStyle) -> String {
        let what = match (self.config, self.live) {
            (true, true) => "persistent config and live state",
            (true, false) => "persistent config",
            (false, true) => "live state",
            (false, false) => return String::new(),
        };
        format!("Updated network {} {what}\n", self.name)
    }
}

fn libvirt_command(command: UpdateCommand) -> sys::virNetworkUpdateCommand {
    match command {
        UpdateCommand::Add => sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
        UpdateCommand::AddFirst => sys::VIR_NETWORK_UPDATE_COMMAND_ADD_FIRST,
        UpdateCommand::Modify => sys::VIR_NETWORK_UPDATE_COMMAND_MODIFY,
        UpdateCommand::Delete => sys::VIR_NETWORK_UPDATE_COMMAND_DELETE,
    }
}

/// One net-update call.
fn send(
    net: &Network,
    command: UpdateCommand,
    section: Section,
    entry: &Entry,
    target: Target,
) -> Result<()> {
    let (flags, parent) = target;
    net.update(
        libvirt_command(command),
        section.libvirt(),
        parent,
        &entry_xml(entry),
        flags,
    )
    .map_err(|e| {
        vnet_common::libvirt::error(e).context(format!(
            "{} {} on network {}",
            command.as_str(),
            section.as_str(),
            net.get_name().unwrap_or_default()
        ))
    })
}

/// One target of a net-update call: libvirt's AFFECT flags and the parentIndex of the `<ip>`
/// element the entry belongs to (-1: libvirt's choice).
type Target = (u32, i32);

/// The index (in document order) of the `<ip>` element holding a DHCP entry; -1 for DNS entries.
fn parent_index(entry: &Entry, summary: &Summary, given: Option<usize>) -> i32 {
    let index = match entry {
        Entry::Host(h) => summary.ips.iter().position(|ip| Some(ip.address) == h.subnet),
        Entry::Range(r) => dhcp_parent(summary, Some(r.start.is_ipv4()), given).map(|(n, _)| n),
        Entry::Dns(_) => None,
    };
    index.map_or(-1, |n| n as i32)
}

impl Verb for Update {
    type Ctx = Session;
    type Output = Updated;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Updated> {
        spec::validate_name(&self.network)?;
        let (command, first) = self.command.normalised();
        if self.exist_ok && command != UpdateCommand::Add {
            return Err(Error::invalid("--exist-ok applies to add"));
        }
        if self.missing_ok && self.command != UpdateCommand::Delete {
            return Err(Error::invalid("--missing-ok applies to delete"));
        }
        let given = self.given()?;
        let name = self.network.clone();
        let net = require(ctx.conn()?, &name)?;
        let persistent = net.is_persistent().libvirt(format!("network {name}"))?;
        let targets = self.targets(&net, persistent)?;
        // The entry is checked against the definition (the last target).
        let reference = &targets.last().expect("a network is active or persistent").1;
        let entry = check_entry(&given, self.section, command, reference, &name)?;
        let groups = self.plans(command, &entry, &targets)?;
        let (mut live, mut config) = (false, false);
        for (flags, p) in groups {
            let Plan::Send { command, entry, undo } = p else {
                continue;
            };
            // add-first: the entry goes before the others.
            let sent = if first && command == UpdateCommand::Add {
                UpdateCommand::AddFirst
            } else {
                command
            };
            // The entry found in the network (a delete's, a modify's) knows its own <ip>.
            let parent = parent_index(&entry, reference, given.parent_index);
            let undo_parent = parent_index(&undo.1, reference, given.parent_index);
            send(&net, sent, self.section, &entry, (flags, parent))?;
            live |= flags & sys::VIR_NETWORK_UPDATE_AFFECT_LIVE != 0;
            config |= flags & sys::VIR_NETWORK_UPDATE_AFFECT_CONFIG != 0;
            let (undo_net, section) = (net.clone(), self.section);
            journal.record_fn(
                format!("{} {} on network {name}", command.as_str(), section.as_str()),
                move || send(&undo_net, undo.0, section, &undo.1, (flags, undo_parent)),
            )?;
        }
        let now = definition(&net, persistent, &name)?;
        Ok(Updated {
            name,
            command: self.command.as_str().into(),
            section: self.section.as_str().into(),
            changed: live || config,
            live,
            config,
            dhcp_hosts: now.dhcp_hosts.iter().map(host_row).collect(),
            dns_hosts: now.dns_hosts.iter().map(dns_row).collect(),
            dhcp_ranges: ranges_of(&now),
        })
    }
}

impl Update {
    fn given(&self) -> Result<Given> {
        let Some(xml) = &self.xml else {
            return Ok(Given {
                mac: self.mac.clone(),
                id: self.id.clone(),
                parent_index: self.parent_index,
                ip: self.ip.clone(),
                name: self.host_name.clone(),
                hostnames: self.hostnames.clone(),
                start: self.start.clone(),
                end: self.end.clone(),
            });
        };
        let text = if xml.trim_start().starts_with('<') {
            xml.clone()
        } else {
            std::fs::read_to_string(xml).context(format!("read {}", quote(xml)))?
        };
        let mut given = parse_entry_xml(&text, self.section)?;
        given.parent_index = self.parent_index;
        Ok(given)
    }

    /// The targets this call changes (libvirt's AFFECT flag for each) with their entries now:
    /// the running network and the persistent definition, or the one --live / --config names.
    fn targets(&self, net: &Network, persistent: bool) -> Result<Vec<(u32, Summary)>> {
        let name = &self.network;
        let active = net.is_active().libvirt(format!("network {name}"))?;
        let (want_live, want_config) = match (self.live, self.config) {
            _ if self.current => (active, !active),
            (false, false) | (true, true) => (active, persistent),
            (live, config) => (live, config),
        };
        if want_live && !active {
            return Err(Error::invalid(format!("--live: network {name} is not running"))
                .with_hint("leave out --live (the persistent definition is updated alone)"));
        }
        if want_config && !persistent {
            return Err(Error::invalid(format!("--config: network {name} is transient")));
        }
        let mut targets = Vec::new();
        if want_live {
            targets.push((sys::VIR_NETWORK_UPDATE_AFFECT_LIVE, definition(net, false, name)?));
        }
        if want_config {
            targets.push((
                sys::VIR_NETWORK_UPDATE_AFFECT_CONFIG,
                definition(net, true, name)?,
            ));
        }
        Ok(targets)
    }

    /// What each target needs, grouped: targets that need the same call get it in one (live and
    /// config together). An add that every target holds already is exit 4 unless --exist-ok.
    fn plans(
        &self,
        command: UpdateCommand,
        entry: &Entry,
        targets: &[(u32, Summary)],
    ) -> Result<Vec<(u32, Plan)>> {
        let name = &self.network;
        let mut plans = Vec::new();
        for (flag, summary) in targets {
            match plan(entry, command, summary, name) {
                Err(e) if e.kind == vnet_common::ErrorKind::NotFound && self.missing_ok => {
                    plans.push((*flag, Plan::Nothing))
                }
                other => plans.push((*flag, other?)),
            }
        }
        if plans.iter().all(|(_, p)| *p == Plan::Nothing) && command == UpdateCommand::Add && !self.exist_ok {
            return Err(Error::exists(format!(
                "network {name} already has this {} entry ({})",
                self.section.as_str(),
                entry_xml(entry)
            ))
            .with_hint("use --exist-ok to accept it"));
        }
        let mut groups: Vec<(u32, Plan)> = Vec::new();
        for (flag, p) in plans {
            if p == Plan::Nothing {
                continue;
            }
            match groups.iter_mut().find(|(_, q)| *q == p) {
                Some((flags, _)) => *flags |= flag,
                None => groups.push((flag, p)),
            }
        }
        Ok(groups)
    }
}
