//! `addif BR NIC --move-addresses`: what the seed's ifcfg files do (the bridge takes the host's
//! address and default route, the NIC becomes a port) as one step that either completes or puts
//! the NIC back exactly as it was, so a remote admin does not lose the host.
//!
//! Steps, in order: del-routes, del-addresses, enslave, add-addresses, up, add-routes. Each change
//! is recorded in the journal as soon as it succeeds, with the work that undoes it (re-add the
//! routes, re-add the addresses, release the NIC, remove the bridge's new addresses, bring the
//! bridge down, remove the bridge's new routes); on any failure the runner undoes them in reverse.

use crate::fault::Faults;
use crate::kernel::{enslave, set_up};
use futures::TryStreamExt;
use netlink_packet_route::address::{AddressAttribute, AddressMessage, AddressScope};
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::route::{RouteAttribute, RouteFlags, RouteMessage, RouteProtocol, RouteType};
use netlink_packet_route::AddressFamily;
use rtnetlink::{Handle, RouteMessageBuilder};
use schemars::JsonSchema;
use serde::Serialize;
use std::cell::RefCell;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::rc::Rc;
use vnet_common::links::{address_cidr, link_is_up, link_master, link_name, list_addresses};
use vnet_common::netlink::route as record;
use vnet_common::{Context, Error, Journal, Result};

/// What --move-addresses moved from the interface to the bridge.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Moved {
    /// The interface the addresses and routes came from.
    pub from: String,
    /// The bridge they went to.
    pub to: String,
    /// The addresses moved, as CIDRs (all IPv4, IPv6 except link-local).
    pub addresses: Vec<String>,
    /// The routes moved (not the kernel's own prefix routes).
    pub routes: Vec<MovedRoute>,
    /// True when the bridge was down and was brought up.
    pub bridge_brought_up: bool,
    /// Whether the interface was enslaved (false: it was a port of the bridge already).
    #[serde(skip)]
    enslaved: bool,
}

impl Moved {
    pub fn changed(&self) -> bool {
        self.enslaved || self.bridge_brought_up || !self.addresses.is_empty() || !self.routes.is_empty()
    }
}

/// One route moved to the bridge.
#[derive(Debug, PartialEq, Serialize, JsonSchema)]
pub struct MovedRoute {
    /// The destination as a CIDR, or "default".
    pub dst: String,
    /// The gateway's address; null for a route on the link.
    pub gateway: Option<String>,
    /// The routing table (254: main).
    pub table: u32,
    /// The route's metric; null when it has none.
    pub metric: Option<u32>,
}

impl MovedRoute {
    fn of(route: &RouteMessage) -> MovedRoute {
        let (dst, gateway, metric) = route_parts(route);
        MovedRoute {
            dst,
            gateway,
            table: record::table(route),
            metric,
        }
    }
}

/// What will move, read before anything is touched.
struct Plan<'a> {
    handle: &'a Handle,
    bridge: &'a LinkMessage,
    nic: &'a LinkMessage,
    nic_name: String,
    addrs: Vec<AddressMessage>,
    routes: Vec<RouteMessage>,
    /// Keys of every route through the NIC before anything was touched.
    routes_before: Vec<String>,
}

pub async fn move_to_bridge(
    handle: &Handle,
    journal: &mut Journal,
    bridge: &LinkMessage,
    nic: &LinkMessage,
    enslave_nic: bool,
) -> Result<Moved> {
    let faults = Faults::from_env()?;
    let plan = Plan::read(handle, bridge, nic).await?;
    plan.del_routes(journal).await?;
    faults.checkpoint("del-routes")?;
    plan.del_addresses(journal).await?;
    faults.checkpoint("del-addresses")?;
    if enslave_nic {
        let previous = link_master(nic).unwrap_or(0);
        let change = (nic.header.index, bridge.header.index, previous);
        enslave(handle, journal, format!("enslave '{}'", plan.nic_name), change).await?;
    }
    faults.checkpoint("enslave")?;
    plan.add_addresses(journal).await?;
    faults.checkpoint("add-addresses")?;
    let bring_up = !link_is_up(bridge);
    if bring_up {
        let what = "bring the bridge up".to_string();
        set_up(handle, journal, what, bridge.header.index, true).await?;
    }
    faults.checkpoint("up")?;
    plan.add_routes(journal).await?;
    faults.checkpoint("add-routes")?;
    Ok(Moved {
        from: plan.nic_name.clone(),
        to: link_name(bridge),
        addresses: plan.addrs.iter().filter_map(address_cidr).collect(),
        routes: plan.routes.iter().map(MovedRoute::of).collect(),
        bridge_brought_up: bring_up,
        enslaved: enslave_nic,
    })
}

impl<'a> Plan<'a> {
    async fn read(handle: &'a Handle, bridge: &'a LinkMessage, nic: &'a LinkMessage) -> Result<Plan<'a>> {
        let index = nic.header.index;
        let addrs: Vec<AddressMessage> = list_addresses(handle, Some(index))
            .await?
            .into_iter()
            .filter(|a| a.header.scope != AddressScope::Link || a.header.family == AddressFamily::Inet)
            .collect();
        let all_routes = all_routes_via(handle, index).await?;
        Ok(Plan {
            handle,
            bridge,
            nic,
            nic_name: link_name(nic),
            addrs,
            routes_before: all_routes.iter().map(route_key).collect(),
            routes: all_routes.into_iter().filter(movable).collect(),
        })
    }

    /// Deletes the NIC's routes. One journal step, recorded with the first deletion, re-adds
    /// every route deleted so far (in passes: a gateway route may depend on another).
    async fn del_routes(&self, journal: &mut Journal) -> Result<()> {
        let deleted: Rc<RefCell<Vec<RouteMessage>>> = Rc::default();
        for route in &self.routes {
            let what = format!("delete route {} from '{}'", describe_route(route), self.nic_name);
            del_route(self.handle, route).await.context(&what)?;
            deleted.borrow_mut().push(clean_route(route));
            if deleted.borrow().len() == 1 {
                let (handle, deleted) = (self.handle.clone(), deleted.clone());
                let what = format!("delete the routes of '{}'", self.nic_name);
                journal.record(what, async move {
                    let routes = deleted.borrow().clone();
                    add_routes(&handle, &routes, |_| Ok(())).await
                })?;
            }
        }
        Ok(())
    }

    /// Deletes the NIC's addresses, secondaries first (deleting a primary IPv4 address would take
    /// its secondaries with it), each recorded with its re-adding. The first one deleted is
    /// re-added last; its undo also drops the kernel routes the re-adding made that were not
    /// there before.
    async fn del_addresses(&self, journal: &mut Journal) -> Result<()> {
        for (i, addr) in self.addrs.iter().rev().enumerate() {
            let what = format!("delete address {} from '{}'", cidr(addr), self.nic_name);
            let request = self.handle.address().del(addr.clone()).execute();
            request.await.context(&what)?;
            let (handle, addr) = (self.handle.clone(), addr.clone());
            let tidy = (i == 0).then(|| (self.nic.header.index, self.routes_before.clone()));
            journal.record(what, async move {
                add_address(&handle, &addr).await?;
                match tidy {
                    Some((index, before)) => drop_new_kernel_routes(&handle, index, &before).await,
                    None => Ok(()),
                }
            })?;
        }
        Ok(())
    }

    /// Gives the bridge the NIC's addresses, each recorded with its removal.
    async fn add_addresses(&self, journal: &mut Journal) -> Result<()> {
        for addr in &self.addrs {
            let moved = retarget_address(addr, self.bridge, self.nic);
            let what = format!("add address {} to the bridge", cidr(addr));
            add_address(self.handle, &moved).await.context(&what)?;
            let handle = self.handle.clone();
            journal.record(what, async move { del_address_if_present(&handle, moved).await })?;
        }
        Ok(())
    }

    /// Gives the bridge the NIC's routes, each recorded with its removal.
    async fn add_routes(&self, journal: &mut Journal) -> Result<()> {
        let index = self.bridge.header.index;
        let moved: Vec<RouteMessage> = self.routes.iter().map(|r| retarget_route(r, index)).collect();
        let handle = self.handle;
        let record = |route: &RouteMessage| {
            let (handle, route) = (handle.clone(), route.clone());
            let what = format!("add route {} to the bridge", describe_route(&route));
            journal.record(what, async move { del_route(&handle, &route).await })
        };
        add_routes(handle, &moved, record)
            .await
            .context("add routes to the bridge")
    }
}

/// Adds routes in passes until none is left or a pass makes no progress (a gateway route can
/// depend on another route of the set); `added` is told of each route added.
async fn add_routes(
    handle: &Handle,
    routes: &[RouteMessage],
    mut added: impl FnMut(&RouteMessage) -> Result<()>,
) -> Result<()> {
    let mut left: Vec<&RouteMessage> = routes.iter().collect();
    loop {
        let before = left.len();
        let mut failed = Vec::new();
        let mut last_error = None;
        for route in left {
            match handle.route().add(route.clone()).execute().await {
                Ok(()) => added(route)?,
                Err(e) => {
                    last_error = Some(Error::from(e).context(format!("add route {}", describe_route(route))));
                    failed.push(route);
                }
            }
        }
        match last_error {
            None => return Ok(()),
            Some(e) if failed.len() == before => return Err(e),
            Some(_) => left = failed,
        }
    }
}

/// Removes an address from the bridge; one already gone counts as removed (bringing a bridge
/// down drops its IPv6 addresses by itself).
async fn del_address_if_present(handle: &Handle, message: AddressMessage) -> Result<()> {
    match handle.address().del(message).execute().await {
        Ok(()) => Ok(()),
        Err(rtnetlink::Error::NetlinkError(e)) if e.code.map(|c| -c.get()) == Some(libc::EADDRNOTAVAIL) => {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

async fn del_route(handle: &Handle, route: &RouteMessage) -> Result<()> {
    handle
        .route()
        .del(route.clone())
        .execute()
        .await
        .map_err(Error::from)
}

async fn add_address(handle: &Handle, message: &AddressMessage) -> Result<()> {
    let family = message.header.family;
    let prefix = message.header.prefix_len;
    let ip = message.attributes.iter().find_map(|a| match a {
        AddressAttribute::Local(ip) | AddressAttribute::Address(ip) => Some(*ip),
        _ => None,
    });
    let ip = ip.ok_or_else(|| Error::failed(format!("address message without an address ({family:?})")))?;
    let mut request = handle.address().add(message.header.index, ip, prefix);
    *request.message_mut() = message.clone();
    request.execute().await.map_err(Error::from)
}

/// The NIC's address as the bridge's: same address, flags, lifetimes; the label follows the
/// device name ("enp0s25:1" becomes "mybridge0:1" when it fits).
fn retarget_address(addr: &AddressMessage, bridge: &LinkMessage, nic: &LinkMessage) -> AddressMessage {
    let mut moved = addr.clone();
    moved.header.index = bridge.header.index;
    let (nic_name, br_name) = (link_name(nic), link_name(bridge));
    for attr in &mut moved.attributes {
        if let AddressAttribute::Label(label) = attr {
            let relabelled = match label.strip_prefix(&nic_name) {
                Some(rest) if br_name.len() + rest.len() <= 15 => format!("{br_name}{rest}"),
                _ => br_name.clone(),
            };
            *label = relabelled;
        }
    }
    moved
}

/// A dumped route made fit for RTM_NEWROUTE: only flags the kernel accepts on add.
fn clean_route(route: &RouteMessage) -> RouteMessage {
    let mut route = route.clone();
    route.header.flags &= RouteFlags::Onlink;
    route
        .attributes
        .retain(|a| !matches!(a, RouteAttribute::CacheInfo(_)));
    route
}

fn retarget_route(route: &RouteMessage, oif: u32) -> RouteMessage {
    let mut route = clean_route(route);
    for attr in &mut route.attributes {
        if let RouteAttribute::Oif(index) = attr {
            *index = oif;
        }
    }
    route
}

/// Every route through `index`, in every table.
async fn all_routes_via(handle: &Handle, index: u32) -> Result<Vec<RouteMessage>> {
    let mut routes = Vec::new();
    let requests = [
        RouteMessageBuilder::<Ipv4Addr>::new().build(),
        RouteMessageBuilder::<Ipv6Addr>::new().build(),
    ];
    for request in requests {
        let dumped: Vec<RouteMessage> = handle
            .route()
            .get(request)
            .execute()
            .try_collect()
            .await
            .map_err(|e| Error::from(e).context("list routes"))?;
        routes.extend(dumped.into_iter().filter(|r| {
            r.attributes
                .iter()
                .any(|a| matches!(a, RouteAttribute::Oif(i) if *i == index))
        }));
    }
    Ok(routes)
}

/// The routes to move: not the kernel's own (made from addresses), not the local table.
fn movable(route: &RouteMessage) -> bool {
    record::table(route) != 255
        && route.header.protocol != RouteProtocol::Kernel
        && route.header.kind == RouteType::Unicast
}

/// What identifies a route for comparing two dumps.
fn route_key(route: &RouteMessage) -> String {
    let (dst, gateway, metric) = route_parts(route);
    let family = route.header.address_family;
    let kind = route.header.kind;
    format!(
        "{family:?} {} {dst} {gateway:?} {metric:?} {kind:?}",
        record::table(route)
    )
}

/// Re-adding an address can make the kernel add a route it had not made before (a ::1/128 on lo
/// gets a prefix route): delete kernel-made routes through the NIC that were not there at first.
async fn drop_new_kernel_routes(handle: &Handle, index: u32, before: &[String]) -> Result<()> {
    for route in all_routes_via(handle, index).await? {
        if route.header.protocol == RouteProtocol::Kernel && !before.contains(&route_key(&route)) {
            del_route(handle, &route).await?;
        }
    }
    Ok(())
}

/// Destination, gateway and metric, read by the decoders `vnet-ns route show` uses.
fn route_parts(route: &RouteMessage) -> (String, Option<String>, Option<u32>) {
    let dst = match record::destination_address(route) {
        Some(ip) => format!("{ip}/{}", route.header.destination_prefix_length),
        None => "default".to_string(),
    };
    let gateway = record::gateway(route).map(|ip| ip.to_string());
    (dst, gateway, record::priority(route))
}

fn describe_route(route: &RouteMessage) -> String {
    match route_parts(route) {
        (dst, Some(gw), _) => format!("{dst} via {gw}"),
        (dst, None, _) => dst,
    }
}

fn cidr(addr: &AddressMessage) -> String {
    address_cidr(addr).unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::link::LinkAttribute;
    use netlink_packet_route::route::{RouteAddress, RouteCacheInfo};

    fn named(name: &str, index: u32) -> LinkMessage {
        let mut link = LinkMessage::default();
        link.header.index = index;
        link.attributes.push(LinkAttribute::IfName(name.into()));
        link
    }

    fn labelled(label: &str) -> AddressMessage {
        let mut addr = AddressMessage::default();
        addr.header.index = 3;
        addr.header.prefix_len = 24;
        addr.attributes
            .push(AddressAttribute::Local("10.10.10.98".parse().unwrap()));
        addr.attributes.push(AddressAttribute::Label(label.into()));
        addr
    }

    fn label_of(addr: &AddressMessage) -> String {
        addr.attributes
            .iter()
            .find_map(|a| match a {
                AddressAttribute::Label(l) => Some(l.clone()),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn addresses_move_with_their_label_renamed() {
        let (nic, bridge) = (named("enp0s25", 3), named("mybridge0", 7));
        let moved = retarget_address(&labelled("enp0s25"), &bridge, &nic);
        assert_eq!(moved.header.index, 7);
        assert_eq!(label_of(&moved), "mybridge0");
        assert_eq!(
            label_of(&retarget_address(&labelled("enp0s25:1"), &bridge, &nic)),
            "mybridge0:1"
        );
        let long = named("abcdefghijklmn", 7);
        assert_eq!(
            label_of(&retarget_address(&labelled("enp0s25:12"), &long, &nic)),
            "abcdefghijklmn"
        );
        assert_eq!(cidr(&moved), "10.10.10.98/24");
    }

    #[test]
    fn routes_are_cleaned_retargeted_and_described() {
        let mut route = RouteMessage::default();
        route.header.address_family = AddressFamily::Inet;
        route.header.table = 254;
        route.header.kind = RouteType::Unicast;
        route.header.flags = RouteFlags::Linkdown | RouteFlags::Onlink;
        route.attributes.push(RouteAttribute::Gateway(RouteAddress::Inet(
            "10.10.10.1".parse().unwrap(),
        )));
        route.attributes.push(RouteAttribute::Oif(3));
        route.attributes.push(RouteAttribute::CacheInfo(
            RouteCacheInfo::parse(&[0u8; 32]).unwrap(),
        ));
        let moved = retarget_route(&route, 7);
        assert_eq!(moved.header.flags, RouteFlags::Onlink);
        assert!(moved.attributes.contains(&RouteAttribute::Oif(7)));
        assert!(!moved
            .attributes
            .iter()
            .any(|a| matches!(a, RouteAttribute::CacheInfo(_))));
        assert_eq!(describe_route(&route), "default via 10.10.10.1");
        assert_eq!(
            MovedRoute::of(&route),
            MovedRoute {
                dst: "default".into(),
                gateway: Some("10.10.10.1".into()),
                table: 254,
                metric: None
            }
        );
        assert!(movable(&route));
        route.header.protocol = RouteProtocol::Kernel;
        assert!(!movable(&route));
    }
}
