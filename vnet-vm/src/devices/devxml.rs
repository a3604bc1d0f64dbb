//! What the device-XML verbs (attach-device, detach-device, update-device, detach-device-alias,
//! change-media) share: virsh's --current/--live/--config/--persistent, reading a device file
//! (malformed XML is exit 7 before libvirt is asked), finding the device a file names in a domain
//! definition, and writing a device element back as XML for the undo.

use super::scope::{active_for, Scope};
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use virt::domain::Domain;
use vnet_common::error::quote;
use vnet_common::libvirt::xml::{parse, Element};
use vnet_common::{Error, Result};

/// virsh's scope flags for a device change: neither (or --current) means the domain's current
/// state (live when running, the persistent definition when not); --persistent means the
/// definition, and the running domain too when it runs.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct DeviceAffect {
    /// Change the running domain.
    #[arg(long, conflicts_with = "current")]
    pub live: bool,
    /// Change the persistent definition (takes effect at the next start).
    #[arg(long, conflicts_with = "current")]
    pub config: bool,
    /// The persistent definition, and the running domain when it runs.
    #[arg(long, conflicts_with = "current")]
    pub persistent: bool,
    /// The domain as it is now: live when running, its definition when not (the default).
    #[arg(long)]
    pub current: bool,
}

impl DeviceAffect {
    pub fn resolve(self, dom: &Domain, name: &str) -> Result<Scope> {
        let active = active_for(dom, name, self.live)?;
        Ok(match (self.live, self.config, self.persistent) {
            (false, false, false) => Scope {
                live: active,
                config: !active,
            },
            (live, config, persistent) => Scope {
                live: live || (persistent && active),
                config: config || persistent,
            },
        })
    }
}

/// The domain `key` names (name, ID or UUID, as virsh takes it); `key` becomes its name, for
/// the result and later messages. The one place the new verbs look a domain up.
pub fn lookup(conn: &virt::connect::Connect, key: &mut String) -> Result<Domain> {
    let dom = vnet_common::libvirt::lookup::domain(conn, key)?;
    *key = vnet_common::libvirt::lookup::domain_name(&dom)?;
    Ok(dom)
}

/// A device file as read: its text (given to libvirt as it is) and its root element.
pub struct DeviceFile {
    pub text: String,
    pub root: Element,
}

/// Reads FILE: a missing file is exit 3, XML that does not parse, or a whole domain instead of
/// one device, exit 7.
pub fn read_device_file(path: &str) -> Result<DeviceFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::from(e).context(format!("device file {}", quote(path))))?;
    let root = parse(&text)
        .map_err(|e| Error::invalid(format!("device file {}: malformed XML: {e}", quote(path))))?;
    if root.name == "domain" {
        return Err(Error::invalid(format!(
            "device file {}: a whole <domain>, not one device",
            quote(path)
        ))
        .with_hint("give one device element: <disk>, <interface>, <controller>, ..."));
    }
    Ok(DeviceFile { text, root })
}

/// How a device of a definition is matched to the one a file describes, as libvirt matches it:
/// a disk by its target, an interface by its MAC, anything by a user alias. None: this kind has no
/// key vnet can check, libvirt judges.
pub fn device_key(device: &Element) -> Option<(&'static str, String)> {
    let alias = device.child("alias").and_then(|a| a.attr_string("name"));
    match device.name.as_str() {
        "disk" => device
            .child("target")
            .and_then(|t| t.attr_string("dev"))
            .map(|t| ("target", t)),
        "interface" => device
            .child("mac")
            .and_then(|m| m.attr_string("address"))
            .map(|m| ("mac", m.to_ascii_lowercase()))
            .or(alias.map(|a| ("alias", a))),
        _ => alias.map(|a| ("alias", a)),
    }
}

/// The device of `xml`'s `<devices>` that matches `key` (see [`device_key`]).
pub fn find_device(xml: &str, kind: &str, key: &(&'static str, String)) -> Result<Option<Element>> {
    let domain = parse(xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
    let found = domain
        .all(&["devices", kind])
        .into_iter()
        .find(|d| device_key_of(d, key.0).as_deref() == Some(key.1.as_str()));
    Ok(found.cloned())
}

fn device_key_of(device: &Element, which: &str) -> Option<String> {
    match which {
        "target" => device.child("target").and_then(|t| t.attr_string("dev")),
        "mac" => device
            .child("mac")
            .and_then(|m| m.attr_string("address"))
            .map(|m| m.to_ascii_lowercase()),
        _ => device.child("alias").and_then(|a| a.attr_string("name")),
    }
}

/// The device with `alias` in `xml`, whatever its kind.
pub fn find_by_alias(xml: &str, alias: &str) -> Result<Option<Element>> {
    let domain = parse(xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
    let devices = domain.child("devices");
    let found = devices.and_then(|d| {
        d.children
            .iter()
            .find(|c| c.child("alias").and_then(|a| a.attr("name")) == Some(alias))
    });
    Ok(found.cloned())
}

/// `device` as XML, without the alias libvirt gave it (libvirt takes only user aliases, `ua-`,
/// in an attach), for giving it back to libvirt in an undo.
pub fn element_xml(device: &Element) -> String {
    let mut w = Writer::new(Vec::new());
    write_element(&mut w, device, false);
    String::from_utf8(w.into_inner()).expect("the writer emits UTF-8")
}

/// `device` as the domain has it, its alias too (what virsh prints of a device element).
pub fn element_as_is(device: &Element) -> String {
    let mut w = Writer::new(Vec::new());
    write_element(&mut w, device, true);
    String::from_utf8(w.into_inner()).expect("the writer emits UTF-8")
}

fn write_element(w: &mut Writer<Vec<u8>>, e: &Element, all: bool) {
    let mut start = BytesStart::new(e.name.as_str());
    for (k, v) in &e.attrs {
        start.push_attribute((k.as_str(), v.as_str()));
    }
    let kept: Vec<&Element> = e
        .children
        .iter()
        .filter(|c| all || c.name != "alias" || c.attr("name").is_some_and(|n| n.starts_with("ua-")))
        .collect();
    let text = e.text.trim();
    if kept.is_empty() && text.is_empty() {
        w.write_event(Event::Empty(start))
            .expect("writing to a Vec cannot fail");
        return;
    }
    w.write_event(Event::Start(start))
        .expect("writing to a Vec cannot fail");
    if !text.is_empty() {
        w.write_event(Event::Text(BytesText::new(text)))
            .expect("writing to a Vec cannot fail");
    }
    for child in kept {
        write_element(w, child, all);
    }
    w.write_event(Event::End(BytesEnd::new(e.name.as_str())))
        .expect("writing to a Vec cannot fail");
}

/// The error for a device the domain does not have, in the definitions named.
pub fn not_attached(name: &str, kind: &str, key: &(&'static str, String), missing: &[&str]) -> Error {
    Error::not_found(format!(
        "domain {}: no {kind} with {} {} in its {}",
        quote(name),
        key.0,
        quote(&key.1),
        missing.join(" or ")
    ))
    .with_hint(format!("see its devices with virsh dumpxml {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "<domain><devices>\
        <disk type='file' device='cdrom'><source file='/i/x.iso'/><target dev='hdc' bus='ide'/>\
        <readonly/><alias name='ide0-1-0'/></disk>\
        <interface type='network'><mac address='52:54:00:AA:00:01'/><source network='default'/>\
        <alias name='ua-nic1'/></interface></devices></domain>";

    #[test]
    fn devices_are_matched_as_libvirt_matches_them() {
        let disk = parse("<disk><target dev='hdc'/></disk>").unwrap();
        let key = device_key(&disk).unwrap();
        assert_eq!(key, ("target", "hdc".to_string()));
        assert!(find_device(DOMAIN, "disk", &key).unwrap().is_some());
        let nic = parse("<interface><mac address='52:54:00:aa:00:01'/></interface>").unwrap();
        let key = device_key(&nic).unwrap();
        assert!(find_device(DOMAIN, "interface", &key).unwrap().is_some());
        assert!(device_key(&parse("<controller type='usb'/>").unwrap()).is_none());
        assert_eq!(
            find_by_alias(DOMAIN, "ua-nic1").unwrap().unwrap().name,
            "interface"
        );
        assert!(find_by_alias(DOMAIN, "nope").unwrap().is_none());
    }

    #[test]
    fn elements_are_written_back_without_libvirts_alias() {
        let found = find_by_alias(DOMAIN, "ide0-1-0").unwrap().unwrap();
        assert_eq!(
            element_xml(&found),
            "<disk type=\"file\" device=\"cdrom\"><source file=\"/i/x.iso\"/>\
             <target dev=\"hdc\" bus=\"ide\"/><readonly/></disk>"
        );
        let nic = find_by_alias(DOMAIN, "ua-nic1").unwrap().unwrap();
        assert!(element_xml(&nic).contains("<alias name=\"ua-nic1\"/>"));
    }

    #[test]
    fn malformed_files_and_domains_are_refused() {
        let dir = std::env::temp_dir().join(format!("vnet-devxml-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("bad.xml");
        std::fs::write(&bad, "<disk><target dev='vdb'></disk>").unwrap();
        assert_eq!(
            read_device_file(bad.to_str().unwrap()).err().unwrap().exit_code(),
            7
        );
        std::fs::write(&bad, "<domain/>").unwrap();
        assert_eq!(
            read_device_file(bad.to_str().unwrap()).err().unwrap().exit_code(),
            7
        );
        let missing = dir.join("missing.xml");
        assert_eq!(
            read_device_file(missing.to_str().unwrap())
                .err()
                .unwrap()
                .exit_code(),
            3
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
