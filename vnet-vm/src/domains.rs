//! The virsh domain verbs: list, start, shutdown, destroy, undefine, dumpxml.

use crate::storage;
use serde_json::{json, Value};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, ErrorKind, Outcome, Result};

/// virsh's word for a domain state.
pub fn state_name(state: sys::virDomainState) -> &'static str {
    match state {
        sys::VIR_DOMAIN_RUNNING => "running",
        sys::VIR_DOMAIN_BLOCKED => "idle",
        sys::VIR_DOMAIN_PAUSED => "paused",
        sys::VIR_DOMAIN_SHUTDOWN => "in shutdown",
        sys::VIR_DOMAIN_SHUTOFF => "shut off",
        sys::VIR_DOMAIN_CRASHED => "crashed",
        sys::VIR_DOMAIN_PMSUSPENDED => "pmsuspended",
        _ => "no state",
    }
}

pub fn state_of(dom: &Domain) -> &'static str {
    dom.get_state().map(|(s, _)| state_name(s)).unwrap_or("no state")
}

pub fn lookup(conn: &Connect, name: &str) -> Result<Domain> {
    Domain::lookup_by_name(conn, name).map_err(|e| match e.code() {
        virt::error::ErrorNumber::NoDomain => Error::not_found(format!("domain {name} not found")),
        _ => vnet_common::libvirt::error(e).context(format!("domain {name}")),
    })
}

/// `list [--all]`: running domains by id, then inactive ones by name (virsh's order).
pub fn list(conn: &Connect, all: bool) -> Result<Outcome> {
    let mut flags = sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE;
    if all {
        flags |= sys::VIR_CONNECT_LIST_DOMAINS_INACTIVE;
    }
    let domains = conn.list_all_domains(flags).libvirt("list domains")?;
    let mut rows: Vec<(Option<u32>, String, &str, String)> = domains
        .iter()
        .map(|d| {
            let id = d.get_id().filter(|&id| id != u32::MAX);
            (
                id,
                d.get_name().unwrap_or_default(),
                state_of(d),
                d.get_uuid_string().unwrap_or_default(),
            )
        })
        .collect();
    rows.sort_by(|a, b| (a.0.is_none(), a.0, &a.1).cmp(&(b.0.is_none(), b.0, &b.1)));
    let json: Vec<Value> = rows
        .iter()
        .map(|(id, name, state, uuid)| json!({"id": id, "name": name, "state": state, "uuid": uuid}))
        .collect();
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(id, name, state, _)| {
            vec![
                id.map_or("-".into(), |i| i.to_string()),
                name.clone(),
                state.to_string(),
            ]
        })
        .collect();
    Ok(Outcome::new(
        Value::Array(json),
        crate::table(&["Id", "Name", "State"], &table),
    ))
}

pub fn start(conn: &Connect, name: &str) -> Result<Outcome> {
    let dom = lookup(conn, name)?;
    let changed = !dom.is_active().libvirt("domain state")?;
    if changed {
        dom.create().libvirt(format!("start domain {name}"))?;
    }
    let result = json!({"name": name, "changed": changed, "state": state_of(&dom), "id": dom.get_id()});
    Ok(text_outcome(
        result,
        changed,
        format!("Domain '{name}' started\n"),
    ))
}

pub fn shutdown(conn: &Connect, name: &str) -> Result<Outcome> {
    stop(conn, name, "shut down", "is being shutdown", |dom| {
        dom.shutdown().map(drop)
    })
}

pub fn destroy(conn: &Connect, name: &str) -> Result<Outcome> {
    stop(conn, name, "destroy", "destroyed", Domain::destroy)
}

/// shutdown and destroy: act on a running domain only; one that is not running is changed:false.
fn stop(
    conn: &Connect,
    name: &str,
    what: &str,
    done: &str,
    act: impl FnOnce(&Domain) -> std::result::Result<(), virt::error::Error>,
) -> Result<Outcome> {
    let dom = lookup(conn, name)?;
    let changed = dom.is_active().libvirt("domain state")?;
    if changed {
        act(&dom).libvirt(format!("{what} domain {name}"))?;
    }
    let result = json!({"name": name, "changed": changed, "state": state_of(&dom)});
    Ok(text_outcome(result, changed, format!("Domain '{name}' {done}\n")))
}

/// virsh's confirmation line in text mode when something changed; nothing otherwise.
fn text_outcome(json: Value, changed: bool, text: String) -> Outcome {
    Outcome::new(json, if changed { text } else { String::new() })
}

pub fn undefine(conn: &Connect, name: &str, remove_storage: bool, missing_ok: bool) -> Result<Outcome> {
    let dom = match lookup(conn, name) {
        Err(e) if missing_ok && e.kind == ErrorKind::NotFound => {
            return Ok(Outcome::quiet(json!({"name": name, "changed": false})))
        }
        other => other?,
    };
    let xml = dom
        .get_xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)
        .libvirt("domain XML")?;
    let facts = crate::xml::domain_facts(&xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
    if remove_storage && dom.is_active().libvirt("domain state")? {
        return Err(
            Error::exists(format!("domain {name} is running: its storage is in use"))
                .with_hint(format!("stop it first: vnet-vm destroy {name}")),
        );
    }
    dom.undefine_flags(sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
        .libvirt(format!("undefine domain {name}"))?;
    let (mut volumes, mut files) = (Vec::new(), Vec::new());
    if remove_storage {
        for path in &facts.disk_files {
            storage::delete_volume(conn, path)?;
            volumes.push(path.clone());
        }
        // Kernels that install copied for --location belong to the domain too.
        for path in [&facts.kernel, &facts.initrd].into_iter().flatten() {
            let ours = path.starts_with(&format!("{}/vnet-", crate::location::BOOT_DIR));
            if ours && std::fs::remove_file(path).is_ok() {
                files.push(path.clone());
            }
        }
    }
    let result = json!({"name": name, "changed": true, "removed_volumes": volumes, "removed_files": files});
    let mut text = String::new();
    for v in &volumes {
        text.push_str(&format!("Volume '{v}' removed.\n"));
    }
    text.push_str(&format!("Domain '{name}' has been undefined\n"));
    Ok(Outcome::new(result, text))
}

pub fn dumpxml(conn: &Connect, name: &str, inactive: bool) -> Result<Outcome> {
    let dom = lookup(conn, name)?;
    let flags = if inactive { sys::VIR_DOMAIN_XML_INACTIVE } else { 0 };
    let xml = dom.get_xml_desc(flags).libvirt(format!("XML of domain {name}"))?;
    Ok(Outcome::new(json!({"name": name, "xml": xml}), xml))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connect {
        vnet_common::libvirt::connect(Some("test:///default")).unwrap()
    }

    #[test]
    fn list_shapes_json_and_text() {
        let out = list(&conn(), true).unwrap();
        let first = &out.json[0];
        assert_eq!(first["name"], "test");
        // test:///default is shared by this process's tests: another may have restarted it.
        assert!(first["id"].is_u64() || first["state"] == "shut off", "{first}");
        assert_eq!(first["uuid"].as_str().unwrap().len(), 36);
        assert!(out.text.starts_with(" Id   Name   State\n------"), "{}", out.text);
        assert!(out.text.contains("   test   "), "{}", out.text);
    }

    #[test]
    fn lifecycle_is_idempotent_and_missing_is_not_found() {
        let c = conn();
        assert_eq!(start(&c, "test").unwrap().json["changed"], false);
        assert_eq!(destroy(&c, "test").unwrap().json["changed"], true);
        assert_eq!(destroy(&c, "test").unwrap().json["state"], "shut off");
        assert_eq!(start(&c, "test").unwrap().json["changed"], true);
        assert_eq!(start(&c, "nope").unwrap_err().exit_code(), 3);
        assert_eq!(undefine(&c, "nope", false, true).unwrap().json["changed"], false);
        assert!(dumpxml(&c, "test", false).unwrap().text.starts_with("<domain"));
    }
}
