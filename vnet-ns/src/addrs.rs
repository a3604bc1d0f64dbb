//! `addr add|del|flush` in ip's spelling, on any link of the current namespace or -n NS:
//! IPv4 and IPv6, secondary addresses, journaled.

use crate::iface::{changed_in, Changed};
use ipnet::IpNet;
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage};
use rtnetlink::Handle;
use vnet_common::links::{self, address_cidr};
use vnet_common::{netns, Error, ErrorKind, Journal, Result};

#[derive(Debug, PartialEq)]
pub enum AddrSpec {
    Add { net: IpNet, dev: String, nodad: bool },
    Del { net: IpNet, dev: String },
    Flush { dev: String },
}

pub struct Options {
    pub exist_ok: bool,
    pub missing_ok: bool,
}

fn is_secondary(m: &AddressMessage) -> bool {
    m.header.flags.contains(AddressHeaderFlags::Secondary)
        || m.attributes
            .iter()
            .any(|a| matches!(a, AddressAttribute::Flags(f) if f.contains(AddressFlags::Secondary)))
}

async fn add(handle: &Handle, index: u32, net: IpNet, nodad: bool) -> Result<()> {
    let mut request = handle.address().add(index, net.addr(), net.prefix_len());
    if nodad {
        request
            .message_mut()
            .attributes
            .push(AddressAttribute::Flags(AddressFlags::Nodad));
    }
    request
        .execute()
        .await
        .map_err(|e| Error::from(e).context(format!("add address {net}")))
}

pub async fn run(
    handle: &Handle,
    ns: Option<&str>,
    spec: AddrSpec,
    opts: Options,
    journal: &mut Journal,
) -> Result<Changed> {
    let dev = match &spec {
        AddrSpec::Add { dev, .. } | AddrSpec::Del { dev, .. } | AddrSpec::Flush { dev } => dev.clone(),
    };
    let link = links::require_link(handle, &dev, ns).await?;
    let on = OnLink {
        handle,
        ns,
        dev: &dev,
        index: link.header.index,
    };
    let current = links::list_addresses(handle, Some(on.index)).await?;
    match spec {
        AddrSpec::Add { net, nodad, .. } => add_one(&on, &current, net, nodad, opts, journal).await,
        AddrSpec::Del { net, .. } => del_one(&on, &current, net, opts, journal).await,
        AddrSpec::Flush { .. } => flush(&on, &current, journal).await,
    }
}

/// The link an address verb acts on.
struct OnLink<'a> {
    handle: &'a Handle,
    ns: Option<&'a str>,
    dev: &'a str,
    index: u32,
}

fn has_address(current: &[AddressMessage], net: &IpNet) -> bool {
    current
        .iter()
        .any(|m| address_cidr(m).as_deref() == Some(net.to_string().as_str()))
}

async fn add_one(
    on: &OnLink<'_>,
    current: &[AddressMessage],
    net: IpNet,
    nodad: bool,
    opts: Options,
    journal: &mut Journal,
) -> Result<Changed> {
    let OnLink {
        handle,
        ns,
        dev,
        index,
    } = *on;
    let what = format!("addr add {net} dev {dev}");
    if has_address(current, &net) {
        if opts.exist_ok {
            return changed_in(handle, ns, dev, false).await;
        }
        return Err(
            Error::exists(format!("{what}: already assigned in {}", netns::describe(ns)))
                .with_hint("pass --exist-ok to accept an address already there"),
        );
    }
    add(handle, index, net, nodad).await.map_err(|e| match e.kind {
        ErrorKind::Exists => Error::exists(format!("{what}: already assigned")),
        _ => e.context(&what),
    })?;
    let undo = handle.clone();
    journal.record(&what, async move { links::del_address(&undo, index, net).await })?;
    changed_in(handle, ns, dev, true).await
}

async fn del_one(
    on: &OnLink<'_>,
    current: &[AddressMessage],
    net: IpNet,
    opts: Options,
    journal: &mut Journal,
) -> Result<Changed> {
    let OnLink {
        handle,
        ns,
        dev,
        index,
    } = *on;
    let what = format!("addr del {net} dev {dev}");
    if !has_address(current, &net) {
        if opts.missing_ok {
            return changed_in(handle, ns, dev, false).await;
        }
        return Err(Error::not_found(format!("{what}: {dev} has no such address"))
            .with_hint("pass --missing-ok to accept a missing address"));
    }
    // A primary IPv4 address takes its secondaries with it: put them back on undo too.
    let goes_with: Vec<IpNet> = match net {
        IpNet::V4(_) => current
            .iter()
            .filter(|m| is_secondary(m))
            .filter_map(|m| address_cidr(m)?.parse::<IpNet>().ok())
            .filter(|s| *s != net && s.trunc() == net.trunc())
            .collect(),
        IpNet::V6(_) => vec![],
    };
    links::del_address(handle, index, net)
        .await
        .map_err(|e| e.context(&what))?;
    let undo = handle.clone();
    journal.record(&what, async move {
        links::add_address(&undo, index, net).await?;
        for s in goes_with {
            let _ = links::add_address(&undo, index, s).await;
        }
        Ok(())
    })?;
    changed_in(handle, ns, dev, true).await
}

async fn flush(on: &OnLink<'_>, current: &[AddressMessage], journal: &mut Journal) -> Result<Changed> {
    let OnLink {
        handle,
        ns,
        dev,
        index,
    } = *on;
    let what = format!("addr flush dev {dev}");
    // Secondaries first: deleting a primary removes its secondaries with it.
    let mut order: Vec<&AddressMessage> = current.iter().filter(|m| is_secondary(m)).collect();
    order.extend(current.iter().filter(|m| !is_secondary(m)));
    let mut removed = 0;
    for message in order {
        let Some(net) = address_cidr(message).and_then(|c| c.parse::<IpNet>().ok()) else {
            continue;
        };
        match handle
            .address()
            .del(message.clone())
            .execute()
            .await
            .map_err(Error::from)
        {
            Ok(()) => {}
            Err(e) if e.kind == ErrorKind::NotFound || e.message.contains("Cannot assign") => continue,
            Err(e) => return Err(e.context(format!("{what}: delete {net}"))),
        }
        removed += 1;
        let undo = handle.clone();
        journal.record(format!("{what}: delete {net}"), async move {
            links::add_address(&undo, index, net).await
        })?;
    }
    changed_in(handle, ns, dev, removed > 0).await
}
