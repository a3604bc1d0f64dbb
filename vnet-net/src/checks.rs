//! The checks made against libvirt's other networks and the host before a network is defined or
//! started: libvirt would accept these definitions and fail later, or worse.

use crate::network::all_states;
use crate::spec;
use crate::xml::Summary;
use virt::connect::Connect;
use virt::sys;
use vnet_common::libvirt::{is_local_uri, LibvirtContext};
use vnet_common::{Error, Result};

/// Refuses a new definition whose UUID or libvirt-managed bridge belongs to another network, as
/// happens with a copy of default.xml that was only renamed (the seed's bridged_network recipe).
pub fn check_identity(conn: &Connect, summary: &Summary, name: &str) -> Result<()> {
    let hint = "a copied definition keeps the original's <uuid>, <mac> and bridge name: delete the \
                <uuid> and <mac> lines and give it its own bridge name";
    let managed = |s: &Summary| s.mode != "bridge";
    for other in all_states(conn, 0)? {
        if other.name == name {
            continue;
        }
        if summary
            .uuid
            .as_ref()
            .is_some_and(|u| u.eq_ignore_ascii_case(&other.uuid))
        {
            return Err(Error::exists(format!(
                "network {name}: UUID {} already belongs to network {}",
                other.uuid, other.name
            ))
            .with_hint(hint));
        }
        if summary.bridge.is_some()
            && summary.bridge == other.bridge
            && managed(summary)
            && managed(&other.summary)
        {
            return Err(Error::exists(format!(
                "network {name}: bridge {} is already used by network {}",
                other.bridge.as_deref().unwrap_or_default(),
                other.name
            ))
            .with_hint(hint));
        }
    }
    Ok(())
}

/// Refuses a subnet that overlaps one of another active network (libvirt would fail to start it,
/// or worse, route it twice).
pub fn check_collisions(conn: &Connect, summary: &Summary, name: &str) -> Result<()> {
    for other in all_states(conn, sys::VIR_CONNECT_LIST_NETWORKS_ACTIVE)? {
        if other.name == name {
            continue;
        }
        for mine in &summary.ips {
            let theirs = other
                .summary
                .ips
                .iter()
                .find(|t| spec::overlaps(mine.address, t.address));
            if let Some(theirs) = theirs {
                return Err(Error::exists(format!(
                    "network {name}: subnet {} collides with active network {} ({})",
                    mine.address.trunc(),
                    other.name,
                    theirs.address.trunc()
                ))
                .with_hint(format!(
                    "pick another subnet, or stop the other network: vnet-net destroy {}",
                    other.name
                )));
            }
        }
    }
    Ok(())
}

/// A bridged network needs its host bridge: libvirt starts one without it, and guests then fail to
/// attach. Checked only on this machine's own daemon (a remote host's bridges are not visible
/// here), and not for the in-process test driver (its networks touch no host).
pub fn check_host_bridge(conn: &Connect, summary: &Summary) -> Result<()> {
    let (Some(bridge), "bridge") = (&summary.bridge, summary.mode.as_str()) else {
        return Ok(());
    };
    let uri = conn.get_uri().libvirt("connection URI")?;
    if !is_local_uri(&uri) || uri.starts_with("test:") || host_bridge_exists(bridge) {
        return Ok(());
    }
    Err(
        Error::not_found(format!("host bridge {bridge} not found")).with_hint(format!(
            "create it first: vnet-bridge addbr {bridge} (or ip link add {bridge} type bridge)"
        )),
    )
}

/// True when this machine has a bridge called `name` (sysfs: /sys/class/net/NAME/bridge).
fn host_bridge_exists(name: &str) -> bool {
    std::path::Path::new("/sys/class/net")
        .join(name)
        .join("bridge")
        .is_dir()
}

/// Every check a definition gets before it is started: collisions and its host bridge.
pub fn check_startable(conn: &Connect, summary: &Summary, name: &str) -> Result<()> {
    check_collisions(conn, summary, name)?;
    check_host_bridge(conn, summary)
}
