//! ip's `vrf NAME` selector (route show/flush/add/get, link show): the vrf link found by name and
//! checked to be a vrf before anything is asked of the kernel, with the refusals ip's users meet.

use crate::NsCtx;
use netlink_packet_route::link::{InfoData, InfoVrf, LinkAttribute, LinkInfo, LinkMessage};
use std::path::Path;
use vnet_common::error::quote;
use vnet_common::{Error, ErrorKind, Result};

/// A vrf link of the -n namespace: its index (ip's `vrf NAME` of route get is this oif) and
/// its table (the routes of `route show vrf NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vrf {
    pub index: u32,
    pub table: u32,
}

/// The vrf called `name` in the -n namespace: a link that is no vrf is exit 7 (ip: "Invalid
/// VRF"); a missing one exit 3, or exit 6 naming the module when this kernel has no vrf links
/// at all (then no name could be one).
pub fn find(ctx: &mut NsCtx, name: &str, verb: &str) -> Result<Vrf> {
    let (netlink, handle, ns) = ctx.scope()?;
    let link = netlink.run(vnet_common::links::find_link(&handle, name))?;
    let Some(link) = link else {
        return Err(missing(name, verb, ns.as_deref()));
    };
    let table = table_of(&link).ok_or_else(|| not_a_vrf(name, verb))?;
    Ok(Vrf {
        index: link.header.index,
        table,
    })
}

/// IFLA_VRF_TABLE of a vrf link's linkinfo; None for a link of another kind.
pub fn table_of(link: &LinkMessage) -> Option<u32> {
    let infos = link.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(infos) => Some(infos),
        _ => None,
    });
    infos.into_iter().flatten().find_map(|info| match info {
        LinkInfo::Data(InfoData::Vrf(attrs)) => attrs.iter().find_map(|a| match a {
            InfoVrf::TableId(table) => Some(*table),
            _ => None,
        }),
        _ => None,
    })
}

/// `name` is a link of another kind (ip's "Invalid VRF", exit 7 before any change).
pub fn not_a_vrf(name: &str, verb: &str) -> Error {
    Error::invalid(format!("{verb}: {} is not a vrf", quote(name)))
}

/// No link `name`: exit 3, or exit 6 naming the module when the kernel has no vrf driver.
/// A vrf link exists only while the vrf driver is in the kernel, built in or loaded, and the
/// driver then shows as /sys/module/vrf (it carries a module version); without it the name
/// cannot be a vrf, and the kernel is what is missing.
pub fn missing(name: &str, verb: &str, ns: Option<&str>) -> Error {
    if !driver_present(Path::new("/sys/module")) {
        return Error::new(
            ErrorKind::Unavailable,
            format!(
                "{verb}: vrf {}: this kernel has no vrf links (module vrf is not built in and not \
                 loaded)",
                quote(name)
            ),
        )
        .with_hint("load it with 'modprobe vrf' or boot a kernel that has it");
    }
    Error::not_found(format!(
        "{verb}: vrf {} not found in {}",
        quote(name),
        vnet_common::netns::describe(ns)
    ))
}

/// Whether the vrf driver is in the kernel (built in or loaded), read from `modules` (/sys/module).
fn driver_present(modules: &Path) -> bool {
    modules.join("vrf").exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kernel_without_the_driver_is_exit_6_naming_the_module() {
        let dir = std::env::temp_dir().join(format!("vnet-vrf-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(!driver_present(&dir));
        std::fs::create_dir_all(dir.join("vrf")).unwrap();
        assert!(driver_present(&dir));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(not_a_vrf("eth0", "route get").exit_code(), 7);
    }
}
