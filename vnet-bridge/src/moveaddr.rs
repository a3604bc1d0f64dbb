//! `addif BR NIC --move-addresses`: what the seed's ifcfg files do (the bridge takes the host's
//! address and default route, the NIC becomes a port) as one step that either completes or puts
//! the NIC back exactly as it was, so a remote admin does not lose the host.
//!
//! Steps, in order (their names are the values of the test-only VNET_BRIDGE_FAIL_AFTER):
//! del-routes, del-addresses, enslave, add-addresses, up, add-routes. Every change is journaled;
//! on failure the journal is undone in reverse.

use crate::manage::set_master;
use futures::TryStreamExt;
use netlink_packet_route::address::{AddressAttribute, AddressMessage, AddressScope};
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteMessage, RouteProtocol, RouteType,
};
use netlink_packet_route::AddressFamily;
use rtnetlink::{Handle, RouteMessageBuilder};
use serde_json::{json, Value};
use std::net::{Ipv4Addr, Ipv6Addr};
use vnet_common::links::{address_cidr, link_is_up, link_master, link_name, list_addresses, set_up};
use vnet_common::{Error, Result};

/// The test-only fault injection: fail right after the named step.
pub const FAIL_AFTER_ENV: &str = "VNET_BRIDGE_FAIL_AFTER";
pub const STEPS: [&str; 6] = [
    "del-routes",
    "del-addresses",
    "enslave",
    "add-addresses",
    "up",
    "add-routes",
];

pub struct Moved {
    pub changed: bool,
    pub json: Value,
}

/// What has been done so far, so it can be undone in reverse.
#[derive(Default)]
struct Journal {
    routes_deleted: Vec<RouteMessage>,
    addrs_deleted: Vec<AddressMessage>,
    enslaved: bool,
    addrs_added: Vec<AddressMessage>,
    brought_up: bool,
    routes_added: Vec<RouteMessage>,
}

struct Plan<'a> {
    bridge: &'a LinkMessage,
    nic: &'a LinkMessage,
    addrs: Vec<AddressMessage>,
    routes: Vec<RouteMessage>,
    /// Keys of every route through the NIC before anything was touched.
    routes_before: Vec<String>,
    enslave: bool,
    fail_after: Option<String>,
}

/// The step named by VNET_BRIDGE_FAIL_AFTER, checked before anything is touched.
fn fail_after() -> Result<Option<String>> {
    match std::env::var(FAIL_AFTER_ENV) {
        Ok(step) if STEPS.contains(&step.as_str()) => Ok(Some(step)),
        Ok(step) => Err(Error::invalid(format!(
            "{FAIL_AFTER_ENV}='{step}' is not a step ({})",
            STEPS.join(", ")
        ))),
        Err(_) => Ok(None),
    }
}

pub async fn move_to_bridge(
    handle: &Handle,
    bridge: &LinkMessage,
    nic: &LinkMessage,
    enslave: bool,
) -> Result<Moved> {
    let fail_after = fail_after()?;
    let nic_index = nic.header.index;
    let addrs: Vec<AddressMessage> = list_addresses(handle, Some(nic_index))
        .await?
        .into_iter()
        .filter(|a| a.header.scope != AddressScope::Link || a.header.family == AddressFamily::Inet)
        .collect();
    let all_routes = all_routes_via(handle, nic_index).await?;
    let routes_before: Vec<String> = all_routes.iter().map(route_key).collect();
    let routes: Vec<RouteMessage> = all_routes.into_iter().filter(movable).collect();
    let plan = Plan {
        bridge,
        nic,
        addrs,
        routes,
        routes_before,
        enslave,
        fail_after,
    };
    let mut journal = Journal::default();
    match run(handle, &plan, &mut journal).await {
        Ok(()) => Ok(Moved {
            changed: enslave || journal.brought_up || !plan.addrs.is_empty() || !plan.routes.is_empty(),
            json: json!({
                "from": link_name(nic),
                "to": link_name(bridge),
                "addresses": plan.addrs.iter().filter_map(address_cidr).collect::<Vec<_>>(),
                "routes": plan.routes.iter().map(route_json).collect::<Vec<_>>(),
                "bridge_brought_up": journal.brought_up,
            }),
        }),
        Err(mut error) => {
            // The cause stays first; what the restore did follows on the same line.
            let problems = rollback(handle, &plan, &journal).await;
            let nic = link_name(nic);
            if problems.is_empty() {
                error
                    .message
                    .push_str(&format!("; '{nic}' restored (addresses and routes)"));
            } else {
                let problems = problems.join("; ");
                error
                    .message
                    .push_str(&format!("; restore of '{nic}' incomplete: {problems}"));
                error.kind = vnet_common::ErrorKind::Failed;
            }
            Err(error)
        }
    }
}

fn checkpoint(plan: &Plan<'_>, step: &str) -> Result<()> {
    if plan.fail_after.as_deref() == Some(step) {
        return Err(Error::failed(format!(
            "injected failure after step '{step}' ({FAIL_AFTER_ENV}, for tests)"
        )));
    }
    Ok(())
}

async fn run(handle: &Handle, plan: &Plan<'_>, journal: &mut Journal) -> Result<()> {
    let br_index = plan.bridge.header.index;
    let nic_name = link_name(plan.nic);
    for route in &plan.routes {
        del_route(handle, route).await.map_err(|e| {
            e.context(format!(
                "delete route {} from '{nic_name}'",
                describe_route(route)
            ))
        })?;
        journal.routes_deleted.push(route.clone());
    }
    checkpoint(plan, "del-routes")?;
    // Secondaries first: deleting a primary IPv4 address would take its secondaries with it.
    for addr in plan.addrs.iter().rev() {
        handle.address().del(addr.clone()).execute().await.map_err(|e| {
            Error::from(e).context(format!("delete address {} from '{nic_name}'", cidr(addr)))
        })?;
        journal.addrs_deleted.push(addr.clone());
    }
    checkpoint(plan, "del-addresses")?;
    if plan.enslave {
        set_master(handle, plan.nic.header.index, br_index)
            .await
            .map_err(|e| e.context(format!("enslave '{nic_name}'")))?;
        journal.enslaved = true;
    }
    checkpoint(plan, "enslave")?;
    for addr in &plan.addrs {
        let moved = retarget_address(addr, plan.bridge, plan.nic);
        add_address(handle, &moved)
            .await
            .map_err(|e| e.context(format!("add address {} to the bridge", cidr(addr))))?;
        journal.addrs_added.push(moved);
    }
    checkpoint(plan, "add-addresses")?;
    if !link_is_up(plan.bridge) {
        set_up(handle, br_index, true)
            .await
            .map_err(|e| e.context("bring the bridge up"))?;
        journal.brought_up = true;
    }
    checkpoint(plan, "up")?;
    let moved: Vec<RouteMessage> = plan.routes.iter().map(|r| retarget_route(r, br_index)).collect();
    add_routes(handle, &moved, &mut journal.routes_added)
        .await
        .map_err(|e| e.context("add routes to the bridge"))?;
    checkpoint(plan, "add-routes")?;
    Ok(())
}

/// Undoes the journal in reverse; returns what could not be undone.
async fn rollback(handle: &Handle, plan: &Plan<'_>, journal: &Journal) -> Vec<String> {
    let mut problems = Vec::new();
    let mut note = |what: String, r: Result<()>| {
        if let Err(e) = r {
            problems.push(format!("{what}: {}", e.message));
        }
    };
    for route in journal.routes_added.iter().rev() {
        note(
            format!("delete route {}", describe_route(route)),
            del_route(handle, route).await,
        );
    }
    // Addresses go before the bridge is downed: downing it drops its IPv6 addresses by itself.
    for addr in journal.addrs_added.iter().rev() {
        let r = handle
            .address()
            .del(addr.clone())
            .execute()
            .await
            .map_err(Error::from);
        note(format!("delete address {} from the bridge", cidr(addr)), r);
    }
    if journal.brought_up {
        note(
            "bring the bridge down".into(),
            set_up(handle, plan.bridge.header.index, false).await,
        );
    }
    if journal.enslaved {
        let previous = link_master(plan.nic).unwrap_or(0);
        note(
            "release the NIC".into(),
            set_master(handle, plan.nic.header.index, previous).await,
        );
    }
    // Original order: primaries before their secondaries.
    for addr in journal.addrs_deleted.iter().rev() {
        note(
            format!("restore address {}", cidr(addr)),
            add_address(handle, addr).await,
        );
    }
    let mut restored = Vec::new();
    let originals: Vec<RouteMessage> = journal.routes_deleted.iter().map(clean_route).collect();
    note(
        "restore routes".into(),
        add_routes(handle, &originals, &mut restored).await,
    );
    note(
        "drop routes the restore added".into(),
        drop_new_kernel_routes(handle, plan.nic.header.index, &plan.routes_before).await,
    );
    problems
}

/// Adds routes in passes until none is left or a pass makes no progress (a gateway route can
/// depend on another route of the set). `added` receives what was added.
async fn add_routes(handle: &Handle, routes: &[RouteMessage], added: &mut Vec<RouteMessage>) -> Result<()> {
    let mut left: Vec<&RouteMessage> = routes.iter().collect();
    loop {
        let before = left.len();
        let mut failed = Vec::new();
        let mut last_error = None;
        for route in left {
            match handle.route().add(route.clone()).execute().await {
                Ok(()) => added.push(route.clone()),
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
    table(route) != 255
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
        table(route)
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

fn table(route: &RouteMessage) -> u32 {
    route
        .attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(route.header.table as u32)
}

fn ip_of(address: &RouteAddress) -> Option<String> {
    match address {
        RouteAddress::Inet(ip) => Some(ip.to_string()),
        RouteAddress::Inet6(ip) => Some(ip.to_string()),
        _ => None,
    }
}

fn route_parts(route: &RouteMessage) -> (String, Option<String>, Option<u32>) {
    let mut dst = None;
    let mut gateway = None;
    let mut metric = None;
    for attr in &route.attributes {
        match attr {
            RouteAttribute::Destination(d) => dst = ip_of(d),
            RouteAttribute::Gateway(g) => gateway = ip_of(g),
            RouteAttribute::Priority(p) => metric = Some(*p),
            _ => {}
        }
    }
    let dst = match dst {
        Some(ip) => format!("{ip}/{}", route.header.destination_prefix_length),
        None => "default".to_string(),
    };
    (dst, gateway, metric)
}

fn describe_route(route: &RouteMessage) -> String {
    match route_parts(route) {
        (dst, Some(gw), _) => format!("{dst} via {gw}"),
        (dst, None, _) => dst,
    }
}

fn route_json(route: &RouteMessage) -> Value {
    let (dst, gateway, metric) = route_parts(route);
    json!({"dst": dst, "gateway": gateway, "table": table(route), "metric": metric})
}

fn cidr(addr: &AddressMessage) -> String {
    address_cidr(addr).unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::link::LinkAttribute;
    use netlink_packet_route::route::RouteCacheInfo;

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
            route_json(&route),
            json!({"dst": "default", "gateway": "10.10.10.1", "table": 254, "metric": null})
        );
        assert!(movable(&route));
        route.header.protocol = RouteProtocol::Kernel;
        assert!(!movable(&route));
    }

    #[test]
    fn fault_injection_names_a_step() {
        assert_eq!(STEPS.len(), 6);
        let plan_fails = |step: &str| {
            let (bridge, nic) = (named("br", 1), named("nic", 2));
            let plan = Plan {
                bridge: &bridge,
                nic: &nic,
                addrs: vec![],
                routes: vec![],
                routes_before: vec![],
                enslave: true,
                fail_after: Some("up".into()),
            };
            checkpoint(&plan, step).is_err()
        };
        assert!(plan_fails("up"));
        assert!(!plan_fails("enslave"));
    }
}
