//! veth: the seed's six commands (`ip link add ... type veth peer`, `ip link set ... netns`,
//! addresses, up, master) as one step that either completes or leaves nothing behind.

use ipnet::IpNet;
use netlink_packet_route::link::{InfoData, InfoVeth};
use rtnetlink::{Handle, LinkUnspec, LinkVeth};
use serde_json::json;
use std::os::fd::AsRawFd;
use vnet_common::cidr::parse_cidr;
use vnet_common::names::validate_ifname;
use vnet_common::netlink::Netlink;
use vnet_common::{links, netns, Error, Outcome, Result};

/// A checked request: every input parsed and validated before anything is touched.
#[derive(Debug)]
pub struct VethSpec {
    pub name: String,
    pub peer: String,
    pub netns: Option<String>,
    pub peer_netns: Option<String>,
    pub addrs: Vec<IpNet>,
    pub peer_addrs: Vec<IpNet>,
    pub mtu: Option<u32>,
    pub master: Option<String>,
    pub up: bool,
    pub exist_ok: bool,
}

/// The raw flags of `vnet-ns veth`, as parsed by clap.
pub struct VethArgs<'a> {
    pub name: &'a str,
    pub peer: &'a str,
    pub netns: Option<&'a str>,
    pub peer_netns: Option<&'a str>,
    pub addrs: &'a [String],
    pub peer_addrs: &'a [String],
    pub mtu: Option<u32>,
    pub master: Option<&'a str>,
    pub no_up: bool,
    pub exist_ok: bool,
}

impl VethSpec {
    pub fn parse(args: VethArgs) -> Result<VethSpec> {
        validate_ifname(args.name)?;
        validate_ifname(args.peer)?;
        if let Some(master) = args.master {
            validate_ifname(master)?;
        }
        let netns = args.netns.map(str::to_string);
        // The peer lives with this end unless told otherwise, as with `ip link add`.
        let peer_netns = args.peer_netns.map(str::to_string).or_else(|| netns.clone());
        for ns in [&netns, &peer_netns].into_iter().flatten() {
            netns::open(ns)?;
        }
        if args.name == args.peer && netns == peer_netns {
            return Err(Error::invalid(format!(
                "veth: both ends are named '{}' in one namespace",
                args.name
            )));
        }
        Ok(VethSpec {
            name: args.name.to_string(),
            peer: args.peer.to_string(),
            netns,
            peer_netns,
            addrs: args.addrs.iter().map(|a| parse_cidr(a)).collect::<Result<_>>()?,
            peer_addrs: args
                .peer_addrs
                .iter()
                .map(|a| parse_cidr(a))
                .collect::<Result<_>>()?,
            mtu: args.mtu,
            master: args.master.map(str::to_string),
            up: !args.no_up,
            exist_ok: args.exist_ok,
        })
    }

    fn peer_elsewhere(&self) -> bool {
        self.peer_netns != self.netns
    }
}

pub fn veth(netlink: &mut Netlink, spec: &VethSpec) -> Result<Outcome> {
    let what = format!("veth {} {}", spec.name, spec.peer);
    let host = netlink.handle(spec.netns.as_deref())?;
    let peer = netlink.handle(spec.peer_netns.as_deref())?;
    if spec.exist_ok
        && netlink
            .run(pair_exists(&host, &peer, spec))
            .map_err(|e| e.context(&what))?
    {
        return Ok(Outcome::quiet(summary(spec, false)));
    }
    let master = netlink
        .run(check_free(&host, &peer, spec))
        .map_err(|e| e.context(&what))?;
    netlink
        .run(create_pair(&host, spec))
        .map_err(|e| e.context(&what))?;
    let configured = netlink.run(configure(&host, &peer, spec, master));
    if let Err(e) = configured {
        // Deleting one end of a veth pair deletes both: nothing of this call is left behind.
        let undone = netlink.run(delete_end(&host, &spec.name));
        let e = e.context(&what);
        return Err(match undone {
            Ok(()) => e.with_hint("the pair was removed again; nothing was changed"),
            Err(undo) => e.with_hint(format!("could not remove {} again: {}", spec.name, undo.message)),
        });
    }
    Ok(Outcome::quiet(summary(spec, true)))
}

fn summary(spec: &VethSpec, changed: bool) -> serde_json::Value {
    json!({
        "name": spec.name, "netns": spec.netns, "peer": spec.peer, "peer_netns": spec.peer_netns,
        "addresses": strings(&spec.addrs), "peer_addresses": strings(&spec.peer_addrs),
        "mtu": spec.mtu, "master": spec.master, "up": spec.up, "changed": changed,
    })
}

/// For --exist-ok: true when NAME and PEER already exist as the two ends of one veth pair
/// (each end's link index names the other). An unrelated interface with either name is exit 4.
async fn pair_exists(host: &Handle, peer: &Handle, spec: &VethSpec) -> Result<bool> {
    let Some(end) = links::find_link(host, &spec.name).await? else {
        return Ok(false);
    };
    let other = links::find_link(peer, &spec.peer).await?;
    let peer_of = |link: &netlink_packet_route::link::LinkMessage| {
        link.attributes.iter().find_map(|a| match a {
            netlink_packet_route::link::LinkAttribute::Link(index) => Some(*index),
            _ => None,
        })
    };
    let paired = other.as_ref().is_some_and(|other| {
        links::link_kind(&end).as_deref() == Some("veth")
            && peer_of(&end) == Some(other.header.index)
            && peer_of(other) == Some(end.header.index)
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

fn strings(addrs: &[IpNet]) -> Vec<String> {
    addrs.iter().map(ToString::to_string).collect()
}

/// Refuses names already taken and a master that is missing or not a bridge, with exit codes 4
/// and 3/7, before anything is created. Returns the master's index.
async fn check_free(host: &Handle, peer: &Handle, spec: &VethSpec) -> Result<Option<u32>> {
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
        return Err(taken(&spec.peer, &spec.peer_netns));
    }
    let Some(master) = &spec.master else {
        return Ok(None);
    };
    let link = links::require_link(host, master, spec.netns.as_deref()).await?;
    if links::link_kind(&link).as_deref() != Some("bridge") {
        return Err(Error::invalid(format!("master '{master}' is not a bridge")));
    }
    Ok(Some(link.header.index))
}

/// One RTM_NEWLINK that creates both ends, the peer directly inside its namespace.
async fn create_pair(host: &Handle, spec: &VethSpec) -> Result<()> {
    let peer_ns_file = match (&spec.peer_netns, spec.peer_elsewhere()) {
        (Some(ns), true) => Some(netns::open(ns)?),
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
    host.link().add(pair.build()).execute().await.map_err(Error::from)
}

/// Addresses, master and up state of both ends.
async fn configure(host: &Handle, peer: &Handle, spec: &VethSpec, master: Option<u32>) -> Result<()> {
    let host_index = links::require_link(host, &spec.name, spec.netns.as_deref())
        .await?
        .header
        .index;
    let peer_index = links::require_link(peer, &spec.peer, spec.peer_netns.as_deref())
        .await?
        .header
        .index;
    for addr in &spec.addrs {
        links::add_address(host, host_index, *addr)
            .await
            .map_err(|e| e.context(&spec.name))?;
    }
    for addr in &spec.peer_addrs {
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
    if spec.up {
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
