//! `--hostdev NAME`: the node device NAME stands for, looked up through libvirt as virt-install
//! looks it up (a node device name first, then a PCI or USB address matched against every node
//! device), and the `<source>` it gives the `<hostdev>` the table built.

use crate::xml::domain::Element;
use virt::connect::Connect;
use vnet_common::error::quote;
use vnet_common::libvirt::xml::{self, Element as Doc};
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, Result};

/// What a `--hostdev` name says, once parsed as virt-install parses it.
#[derive(Debug, PartialEq)]
enum Address {
    /// [DOMAIN:]BUS:SLOT.FUNCTION
    Pci([u64; 4]),
    /// VENDOR:PRODUCT
    UsbId(u64, u64),
    /// BUS.DEVICE
    UsbBus(u64, u64),
}

fn hex(part: &str) -> Option<u64> {
    u64::from_str_radix(part.trim_start_matches("0x"), 16).ok()
}

fn dec_or_hex(part: &str) -> Option<u64> {
    match part.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => part.parse().ok(),
    }
}

/// virt-install's three address forms: PCI `[DOMAIN:]BUS:SLOT.FUNC` (hex), USB `VENDOR:PRODUCT`
/// (hex), USB `BUS.DEVICE` (decimal).
fn parse_address(s: &str) -> Option<Address> {
    let colons = s.matches(':').count();
    if (colons == 1 || colons == 2) && s.contains('.') {
        let (rest, func) = s.split_once('.')?;
        let (rest, slot) = rest.rsplit_once(':')?;
        let (domain, bus) = rest.split_once(':').unwrap_or(("0", rest));
        return Some(Address::Pci([hex(domain)?, hex(bus)?, hex(slot)?, hex(func)?]));
    }
    if colons == 1 {
        let (vendor, product) = s.split_once(':')?;
        return Some(Address::UsbId(hex(vendor)?, hex(product)?));
    }
    let (bus, device) = s.split_once('.')?;
    Some(Address::UsbBus(dec_or_hex(bus)?, dec_or_hex(device)?))
}

/// A node device's capability element and its kind (pci, usb_device, ...).
fn capability(doc: &Doc) -> Option<(&Doc, String)> {
    let cap = doc.child("capability")?;
    Some((cap, cap.attr_string("type")?))
}

fn text(cap: &Doc, name: &str) -> Option<String> {
    cap.text_at(&[name]).map(|t| t.trim().to_string())
}

fn num(cap: &Doc, name: &str) -> Option<u64> {
    dec_or_hex(&text(cap, name)?)
}

fn id(cap: &Doc, name: &str) -> Option<u64> {
    dec_or_hex(cap.child(name)?.attr("id")?)
}

/// Whether the node device `doc` is the one `addr` names.
fn matches(doc: &Doc, addr: &Address) -> bool {
    let Some((cap, kind)) = capability(doc) else {
        return false;
    };
    match (addr, kind.as_str()) {
        (Address::Pci(want), "pci") => ["domain", "bus", "slot", "function"]
            .iter()
            .zip(want)
            .all(|(n, w)| num(cap, n) == Some(*w)),
        (Address::UsbId(v, p), "usb_device") => {
            id(cap, "vendor") == Some(*v) && id(cap, "product") == Some(*p)
        }
        (Address::UsbBus(b, d), "usb_device") => {
            num(cap, "bus") == Some(*b) && num(cap, "device") == Some(*d)
        }
        _ => false,
    }
}

fn node_devices(conn: &Connect) -> Result<Vec<Doc>> {
    let devices = conn.list_all_node_devices(0).libvirt("list node devices")?;
    Ok(devices
        .iter()
        .filter_map(|d| d.get_xml_desc(0).ok())
        .filter_map(|x| xml::parse(&x).ok())
        .collect())
}

fn device_name(doc: &Doc) -> Option<String> {
    text(doc, "name")
}

/// The node device `name` stands for: 7 when it is neither a node device name nor an address in
/// one of virt-install's forms, 3 when no node device has that address.
fn lookup(devices: &[Doc], name: &str) -> Result<Doc> {
    if let Some(found) = devices.iter().find(|d| device_name(d).as_deref() == Some(name)) {
        return Ok(found.clone());
    }
    let addr = parse_address(name).ok_or_else(|| {
        Error::invalid(format!("--hostdev name {}: unknown hostdev address format", quote(name))).with_hint(
            "give a node device name (virsh nodedev-list), [DOMAIN:]BUS:SLOT.FUNC, VENDOR:PRODUCT or BUS.DEVICE",
        )
    })?;
    devices
        .iter()
        .find(|d| matches(d, &addr))
        .cloned()
        .ok_or_else(|| {
            Error::not_found(format!("--hostdev name {}: no matching node device", quote(name)))
                .with_hint("virsh nodedev-list lists the host's devices")
        })
}

/// Fills `hostdev`'s source from the node device, as virt-install's set_from_nodedev: a PCI
/// device by address, a USB one by vendor and product (and bus/device when several share those).
fn fill_from(hostdev: &mut Element, doc: &Doc, devices: &[Doc], name: &str) -> Result<()> {
    let (cap, kind) = capability(doc).unwrap_or((doc, String::new()));
    let usb_ids = |d: &Doc| {
        capability(d).and_then(|(c, k)| (k == "usb_device").then(|| (id(c, "vendor"), id(c, "product"))))
    };
    match kind.as_str() {
        "pci" => {
            hostdev.set("@type", "pci");
            for part in ["domain", "bus", "slot", "function"] {
                hostdev.set(
                    &format!("source/address/@{part}"),
                    &text(cap, part).unwrap_or_default(),
                );
            }
        }
        "usb_device" => {
            hostdev.set("@type", "usb");
            let attr = |n: &str| cap.child(n).and_then(|e| e.attr_string("id")).unwrap_or_default();
            hostdev.set("source/vendor/@id", &attr("vendor"));
            hostdev.set("source/product/@id", &attr("product"));
            let same = devices.iter().filter(|d| usb_ids(d) == usb_ids(doc)).count();
            if same > 1 {
                hostdev.set("source/address/@bus", &text(cap, "bus").unwrap_or_default());
                hostdev.set("source/address/@device", &text(cap, "device").unwrap_or_default());
            }
        }
        other => {
            return Err(Error::invalid(format!(
                "--hostdev name {}: node device of type {} cannot be passed through",
                quote(name),
                quote(other)
            )))
        }
    }
    hostdev.set("@mode", "subsystem");
    hostdev.set("@managed", "yes");
    Ok(())
}

/// Resolves the `name=` of every `<hostdev>` in `devices` (set by the table as `@name`) into its
/// `<source>`, before anything is made: a name matching no node device is 3, a malformed one 7.
/// With type=net, misc or storage the name is the host's interface, char or block device
/// (`mode='capabilities'`), as virt-install writes it.
pub fn resolve(conn: &Connect, devices: &mut [Element]) -> Result<()> {
    let mut known: Option<Vec<Doc>> = None;
    for hostdev in devices.iter_mut().filter(|e| e.name == "hostdev") {
        let Some(at) = hostdev.attrs.iter().position(|(k, _)| k == "name") else {
            return Err(Error::invalid("--hostdev needs a device: name=")
                .with_hint("e.g. --hostdev pci_0000_00_19_0, --hostdev 00:19.0 or --hostdev 0x1234:0x5678"));
        };
        let name = hostdev.attrs.remove(at).1;
        let capability = match hostdev.get("@type") {
            Some("net") => Some("source/interface"),
            Some("misc") => Some("source/char"),
            Some("storage") => Some("source/block"),
            _ => None,
        };
        if let Some(path) = capability {
            hostdev.set("@mode", "capabilities");
            hostdev.set(path, &name);
            continue;
        }
        if known.is_none() {
            known = Some(node_devices(conn)?);
        }
        let devices = known.as_deref().unwrap_or_default();
        let doc = lookup(devices, &name)?;
        fill_from(hostdev, &doc, devices, &name)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_forms_as_virt_install_reads_them() {
        assert_eq!(parse_address("00:19.0"), Some(Address::Pci([0, 0, 0x19, 0])));
        assert_eq!(parse_address("0000:03:1f.7"), Some(Address::Pci([0, 3, 0x1f, 7])));
        assert_eq!(
            parse_address("0x1234:0x5678"),
            Some(Address::UsbId(0x1234, 0x5678))
        );
        assert_eq!(parse_address("001.003"), Some(Address::UsbBus(1, 3)));
        assert_eq!(parse_address("pci_0000_00_19_0"), None);
        assert_eq!(parse_address("zz:19.0"), None);
    }

    #[test]
    fn pci_and_usb_node_devices_match() {
        let pci = xml::parse(
            "<device><name>pci_0000_00_03_0</name><capability type='pci'><domain>0</domain>\
             <bus>0</bus><slot>3</slot><function>0</function></capability></device>",
        )
        .unwrap();
        let usb = xml::parse(
            "<device><name>usb_1_3</name><capability type='usb_device'><bus>1</bus>\
             <device>3</device><product id='0x5678'/><vendor id='0x1234'/></capability></device>",
        )
        .unwrap();
        let all = vec![pci.clone(), usb.clone()];
        assert_eq!(
            device_name(&lookup(&all, "0000:00:03.0").unwrap()).unwrap(),
            "pci_0000_00_03_0"
        );
        assert_eq!(device_name(&lookup(&all, "001.003").unwrap()).unwrap(), "usb_1_3");
        assert_eq!(
            device_name(&lookup(&all, "0x1234:0x5678").unwrap()).unwrap(),
            "usb_1_3"
        );
        assert_eq!(lookup(&all, "00:04.0").unwrap_err().kind.exit_code(), 3);
        assert_eq!(lookup(&all, "bogus").unwrap_err().kind.exit_code(), 7);
        let mut h = Element::new("hostdev");
        fill_from(&mut h, &pci, &all, "x").unwrap();
        assert_eq!(h.get("source/address/@slot"), Some("3"));
        assert_eq!(h.get("@managed"), Some("yes"));
        let mut h = Element::new("hostdev");
        fill_from(&mut h, &usb, &all, "x").unwrap();
        assert_eq!(h.get("source/vendor/@id"), Some("0x1234"));
        assert_eq!(h.get("source/address/@bus"), None);
    }
}
