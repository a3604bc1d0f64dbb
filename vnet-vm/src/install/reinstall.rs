//! `--reinstall DOMAIN` (virt-install 4.1): an existing, shut-off domain started once from its
//! own definition with the install medium added (the --cdrom ISO in its first CD-ROM, or a new
//! CD-ROM; --pxe: network boot), booting that first and with on_reboot=destroy, as virt-install's
//! install phase; its persistent definition is then defined again as it was. Only the install
//! options are read: virt-install ignores every other configuration option with --reinstall.
//! The steps are journalled: a failure after the start destroys the guest and defines the
//! original definition again.

use super::args::Install;
use super::output::InstallOutput;
use crate::xml::domain::Element;
use std::path::PathBuf;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Result};

/// What the install phase boots.
#[derive(Debug, Clone, PartialEq)]
enum Medium {
    Cdrom(PathBuf),
    Network,
}

/// The install method of a --reinstall line: --cdrom ISO or --pxe (others refused by name).
fn medium(args: &Install) -> Result<Medium> {
    let refused = |flag: &str, why: &str| {
        Err(Error::invalid(format!(
            "--reinstall with {flag} is not supported by vnet-vm install"
        ))
        .with_hint(why.to_string()))
    };
    if args.location.is_some() || args.install.is_some() {
        let flag = if args.location.is_some() {
            "--location"
        } else {
            "--install"
        };
        return refused(flag, "reinstall from an ISO (--cdrom) or the network (--pxe)");
    }
    if args.cloud_init.is_some() {
        return refused("--cloud-init", "a reinstall boots install media only");
    }
    match (&args.cdrom, args.pxe) {
        (Some(iso), false) => {
            let path = std::path::absolute(iso)
                .map_err(|e| Error::invalid(format!("--cdrom {}: {e}", quote(iso))))?;
            if !path.is_file() {
                return Err(Error::not_found(format!("--cdrom {}: no such file", quote(iso))));
            }
            Ok(Medium::Cdrom(path))
        }
        (None, true) => Ok(Medium::Network),
        (Some(_), true) => Err(Error::invalid("--reinstall: give --cdrom or --pxe, not both")),
        (None, false) => Err(Error::invalid(
            "--reinstall needs an install method: --cdrom ISO or --pxe",
        )),
    }
}

/// The install-phase document: `original` with the medium added, booted first (then the disk)
/// and on_reboot=destroy, as virt-install 4.1's install phase.
fn install_xml(original: &str, medium: &Medium) -> Result<String> {
    let mut root = Element::parse(original)
        .map_err(|e| Error::failed(format!("the domain's XML does not parse: {e}")))?;
    let boot_dev = match medium {
        Medium::Cdrom(iso) => {
            put_cdrom(&mut root, &iso.to_string_lossy())?;
            "cdrom"
        }
        Medium::Network => "network",
    };
    set_boot_order(&mut root, boot_dev);
    root.set("on_reboot", "destroy");
    Ok(root.to_document())
}

fn devices(root: &mut Element) -> &mut Element {
    root.descend(&["devices"])
}

/// The ISO in the first CD-ROM (virt-install replaces its medium) or in a new CD-ROM after the
/// other devices (IDE, SATA on q35, on the first free target).
fn put_cdrom(root: &mut Element, iso: &str) -> Result<()> {
    let is_cdrom = |d: &Element| d.name == "disk" && d.get("@device") == Some("cdrom");
    if let Some(cdrom) = devices(root).children.iter_mut().find(|d| is_cdrom(d)) {
        cdrom.set("@type", "file");
        cdrom.children.retain(|c| c.name != "source");
        cdrom.set("source/@file", iso);
        return Ok(());
    }
    let machine = root.get("os/type/@machine").unwrap_or("").to_string();
    let (bus, prefix) = if machine.contains("q35") {
        ("sata", "sd")
    } else {
        ("ide", "hd")
    };
    let used: Vec<String> = devices(root)
        .children
        .iter()
        .filter_map(|d| d.get("target/@dev").map(str::to_string))
        .collect();
    let dev = ('a'..='z')
        .map(|l| format!("{prefix}{l}"))
        .find(|d| !used.contains(d))
        .ok_or_else(|| Error::invalid(format!("--reinstall: no free {bus} target for the CD-ROM")))?;
    let mut cdrom = Element::new("disk");
    cdrom.set("@type", "file");
    cdrom.set("@device", "cdrom");
    cdrom.set("driver/@name", "qemu");
    cdrom.set("driver/@type", "raw");
    cdrom.set("source/@file", iso);
    cdrom.set("target/@dev", &dev);
    cdrom.set("target/@bus", bus);
    cdrom.descend(&["readonly"]);
    devices(root).children.push(cdrom);
    Ok(())
}

/// virt-install 4.1's install boot order: `<os><boot dev=MEDIUM/><boot dev='hd'/>` (hd when
/// there is a disk), unless the domain boots a kernel directly or orders its devices itself;
/// then no `<os><boot>` at all.
fn set_boot_order(root: &mut Element, boot_dev: &str) {
    let direct = root.get("os/kernel").is_some();
    let devices = devices(root);
    let per_device = devices
        .children
        .iter()
        .any(|d| d.children.iter().any(|c| c.name == "boot"));
    let has_disk = devices
        .children
        .iter()
        .any(|d| d.name == "disk" && d.get("@device").unwrap_or("disk") == "disk");
    let os = root.descend(&["os"]);
    os.children.retain(|c| c.name != "boot");
    if direct || per_device {
        return;
    }
    let mut order = vec![boot_dev];
    if has_disk {
        order.push("hd");
    }
    // After <type> (and any loader or kernel), where libvirt reads boot devices.
    for dev in order {
        let mut boot = Element::new("boot");
        boot.set("@dev", dev);
        os.children.push(boot);
    }
}

/// The domain, shut off (virt-install's createXML fails on a running one; here it is 4 before
/// anything is touched), and its persistent definition.
fn shut_off_domain(conn: &Connect, name: &str) -> Result<(Domain, String)> {
    let dom = crate::domains::lookup::lookup(conn, name)?;
    if dom.is_active().libvirt("domain state")? {
        return Err(Error::exists(format!(
            "domain {} is running: --reinstall needs it shut off",
            quote(name)
        ))
        .with_hint(format!("vnet-vm shutdown {name} (or destroy) first")));
    }
    if !dom.is_persistent().libvirt("domain state")? {
        return Err(Error::invalid(format!(
            "domain {} is transient: --reinstall needs a defined domain",
            quote(name)
        )));
    }
    let xml = dom
        .get_xml_desc(sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_SECURE)
        .libvirt(format!("XML of domain {}", quote(name)))?;
    Ok((dom, xml))
}

/// `install --reinstall DOMAIN`: with --print-xml or --dry-run the install-phase XML only.
pub fn run(args: &Install, domain: &str, ctx: &mut Session, journal: &mut Journal) -> Result<InstallOutput> {
    args.table.refuse()?;
    let medium = medium(args)?;
    let conn = ctx.conn()?;
    let (dom, original) = shut_off_domain(conn, domain)?;
    let xml = install_xml(&original, &medium)?;
    if args.print_xml.is_some() {
        return Ok(InstallOutput::xml(xml));
    }
    if args.dry_run {
        let mut out = InstallOutput::existing(domain.to_string());
        out.dry_run = Some(true);
        out.xml = Some(xml);
        return Ok(out);
    }
    // Whatever fails from here on, the definition is the original again.
    let restore = (conn.clone(), original.clone());
    journal.record_fn(format!("reinstall domain {domain}"), move || {
        Domain::define_xml(&restore.0, &restore.1)
            .map(|_| ())
            .libvirt("define the original domain again")
    })?;
    let started = Domain::create_xml(conn, &xml, 0).libvirt("start the install")?;
    let made = started.clone();
    journal.record_fn(format!("start domain {domain} for its install"), move || {
        made.destroy().libvirt("destroy the domain")
    })?;
    Domain::define_xml(conn, &original).libvirt("define the domain again")?;
    let uuid = dom.get_uuid_string().libvirt("domain UUID")?;
    Ok(InstallOutput {
        name: Some(domain.to_string()),
        changed: Some(true),
        uuid: Some(uuid),
        state: Some("running".into()),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "<domain type='qemu'><name>g</name><os><type machine='pc-q35-10.0'>hvm</type><boot dev='hd'/></os><on_reboot>restart</on_reboot><devices><disk type='file' device='disk'><source file='/i/g.qcow2'/><target dev='vda' bus='virtio'/></disk><interface type='network'><source network='default'/></interface></devices></domain>";

    fn boots(root: &Element) -> Vec<String> {
        let os = root.children.iter().find(|c| c.name == "os").unwrap();
        os.children
            .iter()
            .filter(|c| c.name == "boot")
            .map(|b| b.get("@dev").unwrap().to_string())
            .collect()
    }

    #[test]
    fn a_cdrom_reinstall_adds_the_iso_and_boots_it_first() {
        let xml = install_xml(DOMAIN, &Medium::Cdrom("/iso/x.iso".into())).unwrap();
        let root = Element::parse(&xml).unwrap();
        let devices = &root
            .children
            .iter()
            .find(|c| c.name == "devices")
            .unwrap()
            .children;
        assert_eq!(devices[2].get("@device"), Some("cdrom"));
        assert_eq!(devices[2].get("source/@file"), Some("/iso/x.iso"));
        assert_eq!(devices[2].get("target/@dev"), Some("sda"));
        assert_eq!(boots(&root), ["cdrom", "hd"]);
        assert_eq!(root.get("on_reboot"), Some("destroy"));
        // An existing CD-ROM gets the ISO instead of a second one.
        let again = install_xml(&xml, &Medium::Cdrom("/iso/y.iso".into())).unwrap();
        assert_eq!(again.matches("device=\"cdrom\"").count(), 1, "{again}");
        assert!(again.contains("/iso/y.iso"));
    }

    #[test]
    fn a_pxe_reinstall_boots_the_network_and_device_orders_are_kept() {
        let xml = install_xml(DOMAIN, &Medium::Network).unwrap();
        assert_eq!(boots(&Element::parse(&xml).unwrap()), ["network", "hd"]);
        let ordered = DOMAIN
            .replace("<boot dev='hd'/>", "")
            .replace("bus='virtio'/>", "bus='virtio'/><boot order='1'/>");
        let xml = install_xml(&ordered, &Medium::Network).unwrap();
        assert!(boots(&Element::parse(&xml).unwrap()).is_empty(), "{xml}");
        assert!(xml.contains("<boot order=\"1\"/>"), "{xml}");
    }
}
