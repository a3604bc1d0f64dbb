//! `addr add|replace|del|flush` in ip's spelling, on any link of the current namespace or -n NS:
//! IPv4 and IPv6, secondary addresses, ip's options (crate::addr_opts), journaled.

use crate::addr_opts::{as_request, AddrInfo, AddrOpts};
use crate::iface::{changed_in, Changed};
use ipnet::IpNet;
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage};
use rtnetlink::Handle;
use std::net::IpAddr;
use vnet_common::links::{self, address_cidr};
use vnet_common::{netns, Error, ErrorKind, Journal, Result};

#[derive(Debug, PartialEq)]
pub enum AddrSpec {
    /// add, or with `replace` addr replace.
    Add {
        net: IpNet,
        dev: String,
        opts: AddrOpts,
        replace: bool,
    },
    Del {
        net: IpNet,
        dev: String,
    },
    Flush {
        dev: String,
        filter: FlushFilter,
    },
}

/// Which addresses of the link `addr flush` removes: all, or those of this scope, with a label
/// matching this pattern (a trailing * matches any rest, as ip's), inside this prefix.
#[derive(Debug, Default, PartialEq)]
pub struct FlushFilter {
    pub scope: Option<u8>,
    pub label: Option<String>,
    pub to: Option<IpNet>,
}

impl FlushFilter {
    fn matches(&self, message: &AddressMessage) -> bool {
        let info = AddrInfo::of(message);
        let scope_ok = self.scope.is_none_or(|s| u8::from(message.header.scope) == s);
        let label_ok = self.label.as_ref().is_none_or(|pattern| {
            let label = info.label.as_deref().unwrap_or_default();
            match pattern.strip_suffix('*') {
                Some(prefix) => label.starts_with(prefix),
                None => label == pattern,
            }
        });
        let to_ok = self
            .to
            .is_none_or(|to| info.net().is_some_and(|n| to.contains(&n.addr())));
        scope_ok && label_ok && to_ok
    }
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

async fn add(handle: &Handle, index: u32, net: IpNet, opts: &AddrOpts, replace: bool) -> Result<()> {
    let mut request = handle.address().add(index, net.addr(), net.prefix_len());
    opts.shape(request.message_mut(), &net);
    let request = if replace { request.replace() } else { request };
    request
        .execute()
        .await
        .map_err(|e| Error::from(e).context(format!("add address {net}")))
}

/// Sends `message` (an address as it was) again with NLM_F_REPLACE: the undo of a replace.
async fn put_back(handle: &Handle, message: AddressMessage) -> Result<()> {
    let mut request = handle
        .address()
        .add(message.header.index, IpAddr::from([0, 0, 0, 0]), 0);
    *request.message_mut() = message;
    request.replace().execute().await.map_err(Error::from)
}

pub async fn run(
    handle: &Handle,
    ns: Option<&str>,
    spec: AddrSpec,
    opts: Options,
    journal: &mut Journal,
) -> Result<Changed> {
    let dev = match &spec {
        AddrSpec::Add { dev, .. } | AddrSpec::Del { dev, .. } | AddrSpec::Flush { dev, .. } => dev.clone(),
    };
    let link = links::require_link(handle, &dev, ns).await?;
    let on = OnLink {
        handle,
        ns,
        dev: &dev,
        index: link.header.index,
    };
    let current = links::addresses_of(ns, on.index)?;
    match spec {
        AddrSpec::Add {
            net,
            opts: asked,
            replace,
            ..
        } => add_one(&on, &current, (net, &asked, replace), opts, journal).await,
        AddrSpec::Del { net, .. } => del_one(&on, &current, net, opts, journal).await,
        AddrSpec::Flush { filter, .. } => {
            let chosen: Vec<AddressMessage> = current.into_iter().filter(|m| filter.matches(m)).collect();
            flush(&on, &chosen, journal).await
        }
    }
}

/// The link an address verb acts on.
struct OnLink<'a> {
    handle: &'a Handle,
    ns: Option<&'a str>,
    dev: &'a str,
    index: u32,
}

fn find_address<'a>(current: &'a [AddressMessage], net: &IpNet) -> Option<&'a AddressMessage> {
    current
        .iter()
        .find(|m| address_cidr(m).as_deref() == Some(net.to_string().as_str()))
}

fn has_address(current: &[AddressMessage], net: &IpNet) -> bool {
    find_address(current, net).is_some()
}

/// add (exit 4 when the link has the address; --exist-ok: "changed": false when it already is
/// what was asked, converged when a replace can make it so, exit 4 naming what the kernel would
/// keep otherwise) and replace (the same, without the exit 4 for an address there).
async fn add_one(
    on: &OnLink<'_>,
    current: &[AddressMessage],
    (net, asked, replace): (IpNet, &AddrOpts, bool),
    opts: Options,
    journal: &mut Journal,
) -> Result<Changed> {
    let OnLink {
        handle,
        ns,
        dev,
        index,
    } = *on;
    let verb = if replace { "replace" } else { "add" };
    let what = format!("addr {verb} {net} dev {dev}");
    if let Some(existing) = find_address(current, &net) {
        if !replace && !opts.exist_ok {
            return Err(
                Error::exists(format!("{what}: already assigned in {}", netns::describe(ns)))
                    .with_hint("pass --exist-ok to accept an address already there"),
            );
        }
        let differ = asked.differences(existing, &net, dev);
        if !differ.kept.is_empty() {
            return Err(Error::exists(format!(
                "{what}: the address exists and differs: {} (the kernel keeps these on replace)",
                differ.kept.join(", ")
            ))
            .with_hint("delete the address and add it again"));
        }
        if differ.applied.is_empty() {
            return changed_in(handle, ns, dev, false).await;
        }
        add(handle, index, net, asked, true)
            .await
            .map_err(|e| e.context(&what))?;
        let (undo, old) = (handle.clone(), as_request(existing));
        journal.record(&what, async move { put_back(&undo, old).await })?;
        return changed_in(handle, ns, dev, true).await;
    }
    add(handle, index, net, asked, replace)
        .await
        .map_err(|e| match e.kind {
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
    let found = find_address(current, &net).expect("checked above").clone();
    links::delete_address(handle, found, net)
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
    let OnLink { handle, ns, dev, .. } = *on;
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
        let (undo, old) = (handle.clone(), as_request(message));
        journal.record(format!("{what}: delete {net}"), async move {
            put_back(&undo, old).await
        })?;
    }
    changed_in(handle, ns, dev, removed > 0).await
}
