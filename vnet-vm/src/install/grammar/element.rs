//! The XML of the table-driven options: each row's value set at its path below the option's
//! element, then the option's defaults where the line left them unset.

use super::parse::Props;
use super::rows::Value;
use super::table::{Kind, OptionDef};
use crate::xml::domain::Element;

/// The elements `--NAME VALUE` adds: one device, one top-level element, or (Domain(""))
/// the rows' own top-level elements.
pub fn build(def: &OptionDef, props: &Props) -> Vec<Element> {
    let root_name = match def.kind {
        Kind::Device(name) | Kind::Domain(name) => name,
        Kind::Typed | Kind::Properties | Kind::XPath | Kind::Refused(_) => {
            unreachable!("--{} is not table-driven", def.name)
        }
    };
    let mut root = Element::new(root_name);
    for (row, value) in props {
        match row.value {
            // on: the element is there (`<pmem/>`); off: it is not written.
            Value::Present if value == "on" => {
                let path: Vec<&str> = row.xml.split('/').collect();
                root.descend(&path);
            }
            Value::Present => {}
            _ => root.set(row.xml, value),
        }
    }
    for d in def.defaults {
        let wanted = d.when.iter().all(|(path, value)| match *value {
            "*" => root.get(path).is_some(),
            value => root.get(path) == Some(value),
        });
        if wanted && root.get(d.xml).is_none() {
            root.set(d.xml, d.value);
        }
    }
    if root_name.is_empty() {
        root.children
    } else {
        vec![root]
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::{option, parse};
    use super::*;

    fn one(name: &str, value: &str) -> Vec<Element> {
        let def = option(name);
        build(def, &parse(def, value).unwrap())
    }

    #[test]
    fn defaults_follow_what_was_given() {
        let rng = &one("rng", "/dev/urandom")[0];
        assert_eq!(rng.get("@model"), Some("virtio"));
        assert_eq!(rng.get("backend/@model"), Some("random"));
        assert_eq!(rng.get("backend"), Some("/dev/urandom"));
        let tpm = &one("tpm", "/dev/tpm0")[0];
        assert_eq!(tpm.get("backend/@type"), Some("passthrough"));
        let ch = &one("channel", "unix,target.type=virtio,name=org.qemu.guest_agent.0")[0];
        assert_eq!(ch.get("source/@mode"), Some("bind"));
        assert_eq!(ch.get("target/@name"), Some("org.qemu.guest_agent.0"));
        let ch = &one("channel", "pty,target.type=virtio")[0];
        assert_eq!(ch.get("source/@mode"), None);
        let events = one("events", "on_poweroff=destroy,on_crash=restart");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].name, "on_poweroff");
        assert_eq!(events[0].text.as_deref(), Some("destroy"));
    }
}
