//! vnet-net: libvirt virtual networks as `virsh net-*` manages them, with JSON output.
//! This file declares the tool and its verbs; each verb family lives in its own module.

mod checks;
mod define;
mod doctor;
mod edit;
mod events;
mod forward;
mod ids;
mod inspect;
mod leases;
mod lifecycle;
mod network;
mod nwfilter;
mod ports;
mod prune;
mod spec;
mod update;
mod virsh_slots;
mod xml;

use std::future::Future;
use vnet_common::completion;
use vnet_common::libvirt::{ConnectArgs, Session};
use vnet_common::{Result, Tool};

/// The vnet-net tool: virsh's net-* verbs over one lazily opened libvirt connection.
pub struct NetTool;

impl Tool for NetTool {
    const NAME: &'static str = "vnet-net";
    const ABOUT: &'static str = "libvirt virtual networks (NAT, routed, isolated, bridged, open) as \
`virsh net-*` manages them, with one JSON document per invocation";
    const LONG_ABOUT: &'static str = "Defines, starts, stops, lists and inspects libvirt virtual \
networks over the libvirt API (the same networks virsh net-* and virt-manager see). Every verb also \
answers to virsh's spelling (net-list, net-define, ...). Output is one JSON document (an array for \
list verbs, an object with \"changed\" for mutating verbs); -o text prints virsh's layout.\n\n\
Definitions are checked before libvirt sees them: names, CIDRs and prefixes, DHCP ranges, bridge \
names, flag combinations and subnets colliding with active networks are rejected (exit 7, or 4 \
for a collision or a name in use) and nothing is defined.\n\n\
With --batch, every line prints one JSON document (NDJSON), dumpxml's parsed summary included.";
    type Globals = ConnectArgs;
    type Ctx = Session;
    type Verbs = Command;

    fn context(globals: &ConnectArgs, batch: bool) -> Result<Session> {
        Ok(Session::new(globals, batch))
    }

    /// A batch line may leave -c out (it runs over the batch's connection) or repeat the
    /// batch's; another URI is refused.
    fn block_on<F: Future>(_ctx: &mut Session, work: F) -> F::Output {
        futures::executor::block_on(work)
    }

    /// Tab completes libvirt networks for a verb's NAME (not define's or create's: those are new),
    /// domains for forward add --to-domain, links for --forward-dev, bridges for --bridge.
    fn completers(verb: &[&str], arg: &clap::Arg) -> Option<completion::Names> {
        if arg.is_positional() && completion::is(arg, &["name", "names", "network"]) {
            Some(completion::libvirt::networks)
        } else if completion::is(arg, &["to_domain"]) {
            Some(completion::libvirt::domains)
        } else if completion::is(arg, &["forward_dev"]) {
            Some(completion::links)
        } else if completion::is(arg, &["bridge"]) && verb.len() == 1 {
            Some(completion::bridges)
        } else {
            None
        }
    }

    const VIRSH_GRAMMAR: bool = true;

    fn virsh_slots(verb: &str) -> &'static [&'static str] {
        virsh_slots::virsh_slots(verb)
    }

    fn virsh_refused(verb: &str) -> &'static [&'static str] {
        virsh_slots::virsh_refused(verb)
    }
}

vnet_common::verbs! {
    pub enum Command for Session {
        #[command(visible_alias = "net-list")]
        List(inspect::List),
        #[command(visible_alias = "net-define")]
        Define(define::Define),
        #[command(visible_alias = "net-create")]
        Create(define::Create),
        #[command(visible_alias = "net-start")]
        Start(lifecycle::Start),
        #[command(visible_alias = "net-destroy")]
        Destroy(lifecycle::Destroy),
        #[command(visible_alias = "net-undefine")]
        Undefine(lifecycle::Undefine),
        #[command(visible_alias = "net-autostart")]
        Autostart(lifecycle::Autostart),
        #[command(visible_alias = "net-dumpxml")]
        Dumpxml(inspect::Dumpxml),
        #[command(visible_alias = "net-info")]
        Info(inspect::Info),
        #[command(visible_alias = "net-edit")]
        Edit(edit::Edit),
        #[command(visible_alias = "net-uuid")]
        Uuid(ids::Uuid),
        #[command(visible_alias = "net-name")]
        Name(ids::Name),
        #[command(visible_alias = "net-port-list")]
        PortList(ports::PortList),
        #[command(visible_alias = "net-port-create")]
        PortCreate(ports::PortCreate),
        #[command(visible_alias = "net-port-dumpxml")]
        PortDumpxml(ports::PortDumpxml),
        #[command(visible_alias = "net-port-delete")]
        PortDelete(ports::PortDelete),
        NwfilterDefine(nwfilter::filters::NwfilterDefine),
        NwfilterList(nwfilter::filters::NwfilterList),
        NwfilterDumpxml(nwfilter::filters::NwfilterDumpxml),
        NwfilterUndefine(nwfilter::filters::NwfilterUndefine),
        NwfilterBindingList(nwfilter::bindings::NwfilterBindingList),
        NwfilterBindingCreate(nwfilter::bindings::NwfilterBindingCreate),
        NwfilterBindingDumpxml(nwfilter::bindings::NwfilterBindingDumpxml),
        NwfilterBindingDelete(nwfilter::bindings::NwfilterBindingDelete),
        #[command(visible_alias = "net-dhcp-leases")]
        DhcpLeases(leases::DhcpLeases),
        Doctor(doctor::Doctor),
        #[command(visible_alias = "net-update")]
        Update(update::Update),
        #[command(visible_alias = "dhcp-host-list")]
        DhcpHosts(update::DhcpHosts),
        #[command(visible_alias = "dns-host-list")]
        DnsHosts(update::DnsHosts),
        #[command(visible_alias = "net-event")]
        Events(events::Events),
        Prune(prune::Prune),
        /// Host ports forwarded to guests on NAT networks: forward add, del, list, apply.
        ///
        /// Where the state lives, and why: the forwards list is /var/lib/libvirt/vnet/forwards.json
        /// (beside libvirt's network state; locked while a verb changes it) and the firewall
        /// rules are generated from it. The rules are iptables rules (libvirt 9.0 writes its own
        /// with iptables, nf_tables backend) in vnet's chains VNET_FWD_PRE, VNET_FWD_OUT,
        /// VNET_FWD_POST (nat) and VNET_FWD (filter), jumped to from the first position of
        /// PREROUTING, OUTPUT, POSTROUTING and FORWARD: only there does an accept pass before
        /// libvirt's LIBVIRT_FWI reject (an accept in a table of one's own cannot override it).
        /// They are written in one iptables-restore transaction. Hook scripts
        /// /etc/libvirt/hooks/daemon.d/vnet-forward and network.d/vnet-forward run `forward apply`
        /// when libvirtd starts (it recreates missing chains with their jumps first) and when a
        /// network has started; libvirtd finds them when it starts. The last `forward del`
        /// removes the chains, jumps and hooks: the ruleset is as it was before the first forward.
        /// Recipes: docs/forward.md.
        #[command(subcommand)]
        Forward(forward::ForwardVerb),
    }
}

#[cfg(test)]
mod tests;
