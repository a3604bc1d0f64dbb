//! Whether a running domain already is what a domain XML file asks for, for `create FILE
//! --exist-ok` ("changed": false only then, else exit 4 naming the difference). libvirt fills in
//! much a file leaves out (machine type, controllers, addresses, MACs), so what is compared is
//! what the file states: memory, vCPUs, the direct-boot kernel and initrd, the disks' sources,
//! and the NICs' types and sources (and MACs where the file gives them).

use crate::xml::domain::{domain_facts, XmlInterface};
use vnet_common::libvirt::xml::{parse, Element};
use vnet_common::{Error, Result};

/// What the file states that the running definition does not have, one phrase each.
pub fn differences(file: &str, live: &str) -> Result<Vec<String>> {
    let bad = |e: vnet_common::libvirt::xml::ParseError| Error::failed(format!("domain XML: {e}"));
    let (file_root, live_root) = (parse(file).map_err(bad)?, parse(live).map_err(bad)?);
    let (want, have) = (domain_facts(file).map_err(bad)?, domain_facts(live).map_err(bad)?);
    let mut out = Vec::new();
    let mut compare = |what: &str, want: Option<String>, have: Option<String>| {
        if want.is_some() && want != have {
            let shown = |v: Option<String>| v.unwrap_or_else(|| "none".into());
            out.push(format!("{what} {} (the file says {})", shown(have), shown(want)));
        }
    };
    compare(
        "memory",
        memory_kib(&file_root, "memory"),
        memory_kib(&live_root, "memory"),
    );
    compare("vcpus", text(&file_root, "vcpu"), text(&live_root, "vcpu"));
    compare("kernel", want.kernel.clone(), have.kernel.clone());
    compare("initrd", want.initrd.clone(), have.initrd.clone());
    let (mut want_disks, mut have_disks) = (want.disk_files.clone(), have.disk_files.clone());
    want_disks.sort();
    have_disks.sort();
    if !want_disks.is_empty() || !have_disks.is_empty() {
        compare("disks", Some(want_disks.join(",")), Some(have_disks.join(",")));
    }
    let file_macs = want.interfaces.iter().any(|n| !n.mac.is_empty());
    let want_nics = nic_rows(&want.interfaces, file_macs).join(",");
    let have_nics = nic_rows(&have.interfaces, file_macs).join(",");
    if want_nics != have_nics {
        out.push(format!("interfaces [{have_nics}] (the file says [{want_nics}])"));
    }
    Ok(out)
}

/// What an install line asks for that the existing domain's definition `xml` does not have:
/// memory (MiB), vCPUs and the NICs' (type, source), for `install --exist-ok`.
pub fn install_differences(
    xml: &str,
    memory_mib: u64,
    vcpus: u32,
    nics: &[(&str, &str)],
) -> Result<Vec<String>> {
    let bad = |e: vnet_common::libvirt::xml::ParseError| Error::failed(format!("domain XML: {e}"));
    let root = parse(xml).map_err(bad)?;
    let facts = domain_facts(xml).map_err(bad)?;
    let mut out = Vec::new();
    let memory = memory_kib(&root, "memory");
    if memory != Some((memory_mib * 1024).to_string()) {
        out.push(format!(
            "memory {} KiB (asked {} KiB)",
            memory.unwrap_or_default(),
            memory_mib * 1024
        ));
    }
    let have_vcpus = text(&root, "vcpu");
    if have_vcpus != Some(vcpus.to_string()) {
        out.push(format!(
            "vcpus {} (asked {vcpus})",
            have_vcpus.unwrap_or_default()
        ));
    }
    let have = nic_rows(&facts.interfaces, false);
    let mut want: Vec<String> = nics
        .iter()
        .map(|(kind, source)| format!("{kind} {source}"))
        .collect();
    want.sort();
    if have != want {
        out.push(format!(
            "interfaces [{}] (asked [{}])",
            have.join(","),
            want.join(",")
        ));
    }
    Ok(out)
}

/// The NICs as sorted "type source" rows ("type source mac" with `macs`), for comparing.
fn nic_rows(list: &[XmlInterface], macs: bool) -> Vec<String> {
    let mut rows: Vec<String> = list
        .iter()
        .map(|n| match macs && !n.mac.is_empty() {
            true => format!("{} {} {}", n.kind, n.source, n.mac.to_ascii_lowercase()),
            false => format!("{} {}", n.kind, n.source),
        })
        .collect();
    rows.sort();
    rows
}

fn text(root: &Element, name: &str) -> Option<String> {
    root.child(name).map(|e| e.text.trim().to_string())
}

/// `<memory unit=...>N</memory>` in KiB, as libvirt reads the units (KiB when none is given).
fn memory_kib(root: &Element, name: &str) -> Option<String> {
    let element = root.child(name)?;
    let value: u64 = element.text.trim().parse().ok()?;
    let factor: u64 = match element.attr("unit").unwrap_or("KiB") {
        "b" | "bytes" => return Some((value / 1024).to_string()),
        "KB" => return Some((value * 1000 / 1024).to_string()),
        "k" | "KiB" => 1,
        "MB" => return Some((value * 1_000_000 / 1024).to_string()),
        "M" | "MiB" => 1024,
        "GB" => return Some((value * 1_000_000_000 / 1024).to_string()),
        "G" | "GiB" => 1024 * 1024,
        "T" | "TiB" => 1024 * 1024 * 1024,
        _ => return None,
    };
    Some((value * factor).to_string())
}

#[cfg(test)]
mod tests {
    use super::differences;

    const FILE: &str = "<domain type='qemu'><name>w</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>\
        <devices><interface type='network'><source network='default'/></interface></devices></domain>";

    #[test]
    fn what_the_file_states_is_compared_and_libvirts_additions_are_not() {
        let live = "<domain type='qemu' id='3'><name>w</name><memory unit='KiB'>262144</memory>\
            <currentMemory unit='KiB'>262144</currentMemory><vcpu placement='static'>1</vcpu>\
            <os><type machine='pc-i440fx-10.0'>hvm</type></os><devices><interface type='network'>\
            <mac address='52:54:00:aa:bb:cc'/><source network='default' bridge='virbr0'/>\
            <target dev='vnet3'/></interface></devices></domain>";
        assert_eq!(differences(FILE, live).unwrap(), Vec::<String>::new());
        let bigger = live
            .replace("262144</memory>", "524288</memory>")
            .replace("'default'", "'lab'");
        assert_eq!(
            differences(FILE, &bigger).unwrap(),
            vec![
                "memory 524288 (the file says 262144)".to_string(),
                "interfaces [network lab] (the file says [network default])".to_string(),
            ]
        );
    }
}
