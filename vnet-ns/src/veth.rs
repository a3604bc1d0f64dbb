//! veth: the seed's six commands (`ip link add ... type veth peer`, `ip link set ... netns`,
//! addresses, up, master) as one step that either completes or leaves nothing behind.

use crate::NsCtx;
use ipnet::IpNet;
use netlink_packet_route::link::{InfoData, InfoVeth};
use rtnetlink::{Handle, LinkUnspec, LinkVeth};
use schemars::JsonSchema;
use serde::Serialize;
use std::os::fd::AsRawFd;
use vnet_common::cidr::parse_cidr;
use vnet_common::names::validate_ifname;
use vnet_common::{links, netns, Error, Journal, Render, Result, Verb};

/// Create a veth pair in one step: the peer appears directly in its namespace, addresses
/// are set, both ends come up, and the host end can join a bridge. Any failure removes the pair.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Veth {
    /// Name of this end (in --netns, default the current namespace).
    pub name: String,
    /// Name of the peer end (in --peer-netns, default the same namespace as NAME).
    pub peer: String,
    /// Namespace for this end (default: the global -n NS, else the current one).
    #[arg(short = 'n', long, value_name = "NS")]
    pub netns: Option<String>,
    /// Namespace for the peer end.
    #[arg(long, value_name = "NS")]
    pub peer_netns: Option<String>,
    /// Address for this end, e.g. 192.168.100.1/24 (repeatable).
    #[arg(long = "addr", value_name = "CIDR")]
    pub addrs: Vec<String>,
    /// Address for the peer end (repeatable).
    #[arg(long = "peer-addr", value_name = "CIDR")]
    pub peer_addrs: Vec<String>,
    /// MTU of both ends (68..65535).
    #[arg(long, value_parser = clap::value_parser!(u32).range(68..=65535))]
    pub mtu: Option<u32>,
    /// Make this end a port of this bridge (in the same namespace as NAME).
    #[arg(long, value_name = "BRIDGE")]
    pub master: Option<String>,
    /// Leave both ends down.
    #[arg(long)]
    pub no_up: bool,
    /// Succeed with "changed": false when NAME and PEER already exist as one veth pair that
    /// already is what was asked (addresses, MTU, master, up, tag); one that differs is exit 4
    /// naming what differs, with nothing changed.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// Tag both new ends with LABEL (their ifalias, vnet:tag=LABEL): `prune --tag` removes them.
    /// With --exist-ok, an existing pair without this tag is exit 4.
    #[arg(long, value_name = "LABEL")]
    pub tag: Option<String>,
}

/// The pair as requested (and made, unless "changed" is false).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Pair {
    pub name: String,
    pub netns: Option<String>,
    pub peer: String,
    pub peer_netns: Option<String>,
    pub addresses: Vec<String>,
    pub peer_addresses: Vec<String>,
    pub mtu: Option<u32>,
    pub master: Option<String>,
    pub up: bool,
    pub changed: bool,
}

impl Render for Pair {}

/// The request with every input parsed and checked before anything is touched.
struct Plan {
    addrs: Vec<IpNet>,
    peer_addrs: Vec<IpNet>,
    /// The peer's namespace: --peer-netns, else this end's (as with `ip link add`).
    peer_netns: Option<String>,
}

impl Verb for Veth {
    type Ctx = NsCtx;
    type Output = Pair;

    fn run(mut self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Pair> {
        // `vnet-ns -n NS veth ...` means the same as `vnet-ns veth ... -n NS`.
        if self.netns.is_none() {
            self.netns = ctx.netns.clone();
        }
        let plan = self.check()?;
        vnet_common::tags::check(self.tag.as_deref())?;
        let what = format!("veth {} {}", self.name, self.peer);
        let netlink = ctx.netlink()?;
        let host = netlink.handle(self.netns.as_deref())?;
        let peer = netlink.handle(plan.peer_netns.as_deref())?;
        let changed = netlink
            .run(self.make(&plan, &host, &peer, journal))
            .map_err(|e| e.context(&what))?;
        Ok(self.summary(plan, changed))
    }
}

impl Veth {
    fn check(&self) -> Result<Plan> {
        validate_ifname(&self.name)?;
        validate_ifname(&self.peer)?;
        if let Some(master) = &self.master {
            validate_ifname(master)?;
        }
        let peer_netns = self.peer_netns.clone().or_else(|| self.netns.clone());
        for ns in [&self.netns, &peer_netns].into_iter().flatten() {
            netns::open(ns)?;
        }
        if self.name == self.peer && self.netns == peer_netns {
            return Err(Error::invalid(format!(
                "veth: both ends are named '{}' in one namespace",
                self.name
            )));
        }
        let parse_all = |addrs: &[String]| addrs.iter().map(|a| parse_cidr(a)).collect::<Result<Vec<_>>>();
        Ok(Plan {
            addrs: parse_all(&self.addrs)?,
            peer_addrs: parse_all(&self.peer_addrs)?,
            peer_netns,
        })
    }

    /// Creates and configures the pair; false when --exist-ok found it already there.
    async fn make(&self, plan: &Plan, host: &Handle, peer: &Handle, journal: &mut Journal) -> Result<bool> {
        if self.exist_ok && pair_exists(host, peer, self).await? {
            let differences = self.differences(plan, host, peer).await?;
            if !differences.is_empty() {
                return Err(
                    Error::exists(format!("the veth pair exists, but {}", differences.join(", ")))
                        .with_hint("delete it first to make it anew, or ask for what it has"),
                );
            }
            return Ok(false);
        }
        let master = check_free(host, peer, self, plan).await?;
        let ends = create_pair(host, self, plan).await?;
        let (undo, name) = (host.clone(), self.name.clone());
        // Deleting one end of a veth pair deletes both: nothing of this call is left behind.
        journal.record(format!("create veth {}", self.name), async move {
            delete_end(&undo, &name).await
        })?;
        configure(host, peer, self, plan, (master, ends)).await?;
        crate::prune::tag_pair(host, peer, &self.name, &self.peer, self.tag.as_deref()).await?;
        Ok(true)
    }

    /// What an existing pair has other than this line asks, one phrase per difference.
    async fn differences(&self, plan: &Plan, host: &Handle, peer: &Handle) -> Result<Vec<String>> {
        // The master is asked of NAME's end only.
        let ends = [
            (host, &self.name, &plan.addrs, self.master.as_ref()),
            (peer, &self.peer, &plan.peer_addrs, None),
        ];
        let mut differences = vec![];
        for (handle, name, addrs, master) in ends {
            let link = links::require_link(handle, name, None).await?;
            let has: Vec<String> = links::list_addresses(handle, Some(link.header.index))
                .await?
                .iter()
                .filter_map(links::address_cidr)
                .collect();
            for missing in addrs.iter().map(ToString::to_string).filter(|a| !has.contains(a)) {
                differences.push(format!("'{name}' lacks address {missing}"));
            }
            if let Some(mtu) = self.mtu.filter(|m| links::link_mtu(&link) != Some(*m)) {
                let has = links::link_mtu(&link).unwrap_or_default();
                differences.push(format!("'{name}' has mtu {has}, not {mtu}"));
            }
            if !self.no_up && !links::link_is_up(&link) {
                differences.push(format!("'{name}' is down"));
            }
            if let Some(tag) = self.tag.as_deref() {
                let has = vnet_common::tags::link_tag(&link);
                if has.as_deref() != Some(tag) {
                    let has = has.map_or("untagged".to_string(), |t| format!("tagged '{t}'"));
                    differences.push(format!("'{name}' is {has}, not tagged '{tag}'"));
                }
            }
            if let Some(master) = master {
                let names = links::link_names(handle).await?;
                let has = links::link_master(&link).and_then(|i| names.get(&i).cloned());
                if has.as_deref() != Some(master.as_str()) {
                    let has = has.map_or("no master".to_string(), |m| format!("master '{m}'"));
                    differences.push(format!("'{name}' has {has}, not '{master}'"));
                }
            }
        }
        Ok(differences)
    }

    fn summary(self, plan: Plan, changed: bool) -> Pair {
        let strings = |addrs: Vec<IpNet>| addrs.iter().map(ToString::to_string).collect();
        Pair {
            name: self.name,
            netns: self.netns,
            peer: self.peer,
            peer_netns: plan.peer_netns,
            addresses: strings(plan.addrs),
            peer_addresses: strings(plan.peer_addrs),
            mtu: self.mtu,
            master: self.master,
            up: !self.no_up,
            changed,
        }
    }
}

/// For --exist-ok: true when NAME and PEER already exist as the two ends of one veth pair
/// (each end's link index names the other). An unrelated interface with either name is exit 4.
async fn pair_exists(host: &Handle, peer: &Handle, spec: &Veth) -> Result<bool> {
    let Some(end) = links::find_link(host, &spec.name).await? else {
        return Ok(false);
    };
    let other = links::find_link(peer, &spec.peer).await?;
    let paired = other.as_ref().is_some_and(|other| {
        links::link_kind(&end).as_deref() == Some("veth")
            && links::link_peer(&end) == Some(other.header.index)
            && links::link_peer(other) == Some(end.header.index)
    });
    if !paired {
        return Err(Error::exists(format!(
            "interface '{}' already exists in {} and is not the peer of '{}'",
            spec.name,
            netns::describe(spec.netns.as_deref()),
            spec.peer
        )));
    }
    Ok(true)
}

/// Refuses names already taken and a master that is missing or not a bridge, with exit codes 4
/// and 3/7, before anything is created. Returns the master's index.
async fn check_free(host: &Handle, peer: &Handle, spec: &Veth, plan: &Plan) -> Result<Option<u32>> {
    let taken = |name: &str, ns: &Option<String>| {
        Error::exists(format!(
            "interface '{name}' already exists in {}",
            netns::describe(ns.as_deref())
        ))
    };
    if links::find_link(host, &spec.name).await?.is_some() {
        return Err(taken(&spec.name, &spec.netns));
    }
    if links::find_link(peer, &spec.peer).await?.is_some() {
        return Err(taken(&spec.peer, &plan.peer_netns));
    }
    let Some(master) = &spec.master else {
        return Ok(None);
    };
    let link = links::require_link(host, master, spec.netns.as_deref()).await?;
    if !links::is_bridge(&link) {
        return Err(Error::invalid(format!("master '{master}' is not a bridge")));
    }
    Ok(Some(link.header.index))
}

/// One RTM_NEWLINK that creates both ends, the peer directly inside its namespace; the ends'
/// indexes (the peer's in its own namespace) when the kernel echoed the new link.
async fn create_pair(host: &Handle, spec: &Veth, plan: &Plan) -> Result<Option<(u32, u32)>> {
    let peer_ns_file = match &plan.peer_netns {
        Some(ns) if plan.peer_netns != spec.netns => Some(netns::open(ns)?),
        _ => None,
    };
    let mut peer = LinkUnspec::new_with_name(&spec.peer);
    if let Some(file) = &peer_ns_file {
        peer = peer.setns_by_fd(file.as_raw_fd());
    }
    let mut pair = LinkVeth::new(&spec.name, &spec.peer);
    if let Some(mtu) = spec.mtu {
        peer = peer.mtu(mtu);
        pair = pair.mtu(mtu);
    }
    let pair = pair.set_info_data(InfoData::Veth(InfoVeth::Peer(peer.build())));
    let made = links::create_link(host, pair.build())
        .await
        .map_err(Error::from)?;
    Ok(made.and_then(|link| Some((link.header.index, links::link_peer(&link)?))))
}

/// Addresses, master and up state of both ends.
async fn configure(
    host: &Handle,
    peer: &Handle,
    spec: &Veth,
    plan: &Plan,
    (master, ends): (Option<u32>, Option<(u32, u32)>),
) -> Result<()> {
    let (host_index, peer_index) = match ends {
        Some(ends) => ends,
        None => (
            links::require_link(host, &spec.name, spec.netns.as_deref())
                .await?
                .header
                .index,
            links::require_link(peer, &spec.peer, plan.peer_netns.as_deref())
                .await?
                .header
                .index,
        ),
    };
    for addr in &plan.addrs {
        links::add_address(host, host_index, *addr)
            .await
            .map_err(|e| e.context(&spec.name))?;
    }
    for addr in &plan.peer_addrs {
        links::add_address(peer, peer_index, *addr)
            .await
            .map_err(|e| e.context(&spec.peer))?;
    }
    if let Some(master) = master {
        let port = LinkUnspec::new_with_index(host_index).controller(master).build();
        host.link()
            .set(port)
            .execute()
            .await
            .map_err(|e| Error::from(e).context("set master"))?;
    }
    if !spec.no_up {
        links::set_up(host, host_index, true)
            .await
            .map_err(|e| e.context(format!("{} up", spec.name)))?;
        links::set_up(peer, peer_index, true)
            .await
            .map_err(|e| e.context(format!("{} up", spec.peer)))?;
    }
    Ok(())
}

async fn delete_end(host: &Handle, name: &str) -> Result<()> {
    let link = links::require_link(host, name, None).await?;
    host.link()
        .del(link.header.index)
        .execute()
        .await
        .map_err(Error::from)
}
