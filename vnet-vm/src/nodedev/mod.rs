//! Host devices (virsh nodedev-*): the PCI, USB, network and storage devices libvirt sees on
//! the host (nodedev-list, nodedev-dumpxml, nodedev-info), the devices libvirt makes itself
//! (nodedev-create, -destroy, -define, -undefine, -start, -autostart: vHBAs, mediated devices),
//! and a PCI device handed to guests and back (nodedev-detach, -reattach, -reset).

pub mod list;
pub mod manage;
pub mod pci;

use virt::connect::Connect;
use virt::nodedev::NodeDevice;
use vnet_common::error::quote;
use vnet_common::{Error, Result};

/// The device of this name; none is exit 3.
pub fn require(conn: &Connect, name: &str) -> Result<NodeDevice> {
    match NodeDevice::lookup_by_name(conn, name) {
        Ok(dev) => Ok(dev),
        Err(e) if e.code() == virt::error::ErrorNumber::NoNodeDevice => {
            Err(Error::not_found(format!("node device {} not found", quote(name)))
                .with_hint("see 'vnet-vm nodedev-list'"))
        }
        Err(e) => Err(vnet_common::libvirt::error(e).context(format!("node device {}", quote(name)))),
    }
}

/// virsh's tree (vshTreePrint) of `(name, parent)` rows in their order: each root, its
/// children under "+- ", a "|" line before a parent's children, and "|" continuing the lines
/// of a parent with later children.
pub fn tree(rows: &[(String, Option<String>)]) -> String {
    let mut out = String::new();
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    for (i, (_, parent)) in rows.iter().enumerate() {
        if !parent.as_deref().is_some_and(|p| names.contains(&p)) {
            subtree(rows, i, i, true, &mut String::new(), &mut out);
        }
    }
    out.push('\n');
    out
}

fn subtree(
    rows: &[(String, Option<String>)],
    at: usize,
    last: usize,
    root: bool,
    indent: &mut String,
    out: &mut String,
) {
    let name = rows[at].0.as_str();
    out.push_str(&format!("{indent}{}{name}\n", if root { "" } else { "+- " }));
    if !root {
        indent.push_str(if at == last { "  " } else { "| " });
    }
    let children: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].1.as_deref() == Some(name))
        .collect();
    if !children.is_empty() {
        out.push_str(&format!("{indent}  |\n"));
    }
    indent.push_str("  ");
    let last_child = children.last().copied().unwrap_or(usize::MAX);
    for child in children {
        subtree(rows, child, last_child, false, indent, out);
    }
    indent.truncate(indent.len() - 2);
    if last_child == usize::MAX && at == last {
        out.push_str(&format!("{indent}\n"));
    }
    if !root {
        indent.truncate(indent.len() - 2);
    }
}

#[cfg(test)]
mod tests {
    use super::tree;

    #[test]
    fn tree_is_virsh_layout() {
        let row = |n: &str, p: Option<&str>| (n.to_string(), p.map(String::from));
        let rows = [
            row("block_vda", Some("pci_2")),
            row("computer", None),
            row("net_lo", Some("computer")),
            row("pci_2", Some("computer")),
            row("pci_3", Some("computer")),
        ];
        // As virsh 9.0 printed this machine's devices.
        let want = "computer\n  |\n  +- net_lo\n  +- pci_2\n  |   |\n  |   +- block_vda\n  |     \n  +- pci_3\n    \n\n";
        assert_eq!(tree(&rows), want);
    }
}
