//! `--os-variant`, checked against the osinfo database where it is installed: the XML files of
//! Debian's `osinfo-db` package under /usr/share/osinfo (or $OSINFO_SYSTEM_DIR), plus /etc/osinfo,
//! read directly with the shared XML walker (no libosinfo, no osinfo-query subprocess). A known short id (or
//! full id) is recorded with its osinfo id in the domain's libosinfo metadata, as virt-install
//! writes it; an unknown one is invalid (7). Without the database the value is accepted and
//! recorded unchecked, with a warning that says so.

use std::path::{Path, PathBuf};
use vnet_common::error::quote;
use vnet_common::{Error, Result};

/// What --os-variant resolved to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OsVariant {
    /// The short id as given (or the full id).
    pub given: String,
    /// The osinfo id (`http://debian.org/debian/11`), when the database knows it.
    pub id: Option<String>,
    /// True when checked against an installed osinfo database.
    pub checked: bool,
}

/// The database directories, system first.
fn db_dirs() -> Vec<PathBuf> {
    let system = std::env::var_os("OSINFO_SYSTEM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/osinfo"));
    vec![system, PathBuf::from("/etc/osinfo")]
}

/// Resolves `--os-variant VALUE` (also name=, short-id=, id=, detect=on, generic, none), with a
/// warning for what was not checked.
pub fn resolve(value: &str) -> Result<(OsVariant, Option<String>)> {
    let mut name = value;
    for part in value.split(',') {
        match part.split_once('=') {
            Some(("name" | "short-id" | "id", v)) => name = v,
            Some(("detect", _)) | Some(("require", _)) => {
                return Ok((
                    OsVariant {
                        given: value.into(),
                        ..Default::default()
                    },
                    Some(format!(
                        "--os-variant {value}: vnet does not detect the OS from the media; recorded only"
                    )),
                ))
            }
            Some(_) => {
                return Err(Error::invalid(format!(
                    "--os-variant {}: use a short id (osinfo-query os), name=, id=, detect=on or generic",
                    quote(value)
                )))
            }
            None => {}
        }
    }
    if name.is_empty() {
        return Err(Error::invalid("--os-variant needs a value"));
    }
    let given = name.to_string();
    if ["generic", "none", "unknown"].contains(&name) {
        return Ok((given_only(given, false), None));
    }
    let dirs: Vec<PathBuf> = db_dirs().into_iter().filter(|d| d.join("os").is_dir()).collect();
    if dirs.is_empty() {
        return Ok((
            given_only(given, false),
            Some(format!(
                "--os-variant {name}: no osinfo database (install Debian's osinfo-db package); recorded unchecked"
            )),
        ));
    }
    match dirs.iter().find_map(|d| lookup(&d.join("os"), name)) {
        Some(id) => Ok((
            OsVariant {
                given,
                id: Some(id),
                checked: true,
            },
            None,
        )),
        None => Err(Error::invalid(format!(
            "--os-variant {}: not in the osinfo database ({})",
            quote(name),
            dirs[0].display()
        ))
        .with_hint(
            "list the known names with: osinfo-query os (package libosinfo-bin), or use --os-variant generic",
        )),
    }
}

fn given_only(given: String, checked: bool) -> OsVariant {
    OsVariant {
        given,
        id: None,
        checked,
    }
}

/// The id of the OS whose short-id (or id) is `name`, searching `os_dir/*/*.xml`.
fn lookup(os_dir: &Path, name: &str) -> Option<String> {
    let vendors = std::fs::read_dir(os_dir).ok()?;
    for vendor in vendors.flatten() {
        let Ok(files) = std::fs::read_dir(vendor.path()) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            if path.extension().is_none_or(|e| e != "xml") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            if !text.contains(name) {
                continue;
            }
            if let Some(id) = os_id_for(&text, name) {
                return Some(id);
            }
        }
    }
    None
}

/// In one osinfo file: the id of an `<os>` with `<short-id>name</short-id>` or `id="name"`.
fn os_id_for(xml: &str, name: &str) -> Option<String> {
    let doc = vnet_common::libvirt::xml::parse(xml).ok()?;
    let mut all = vec![&doc];
    all.extend(doc.descendants());
    all.into_iter().filter(|e| e.name == "os").find_map(|os| {
        let id = os.attr_string("id");
        let named = id.as_deref() == Some(name)
            || os
                .descendants()
                .iter()
                .any(|e| e.name == "short-id" && e.text.trim() == name);
        named.then_some(id).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_are_found_in_osinfo_xml() {
        let xml = r#"<libosinfo version="0.0.1"><os id="http://debian.org/debian/11">
            <short-id>debian11</short-id><name>Debian 11</name></os></libosinfo>"#;
        assert_eq!(
            os_id_for(xml, "debian11").as_deref(),
            Some("http://debian.org/debian/11")
        );
        assert_eq!(
            os_id_for(xml, "http://debian.org/debian/11").as_deref(),
            Some("http://debian.org/debian/11")
        );
        assert_eq!(os_id_for(xml, "debian1"), None);
    }

    #[test]
    fn resolve_with_and_without_the_database() {
        let (generic, warning) = resolve("generic").unwrap();
        assert_eq!((generic.id, warning), (None, None));
        assert!(resolve("detect=on").unwrap().1.is_some());
        assert_eq!(resolve("colour=red").unwrap_err().exit_code(), 7);
        if Path::new("/usr/share/osinfo/os").is_dir() && std::env::var_os("OSINFO_SYSTEM_DIR").is_none() {
            let (known, warning) = resolve("debian11").unwrap();
            assert_eq!(known.id.as_deref(), Some("http://debian.org/debian/11"));
            assert!(known.checked && warning.is_none());
            assert_eq!(resolve("name=debian11").unwrap().0.id, known.id);
            assert_eq!(resolve("no-such-os-99").unwrap_err().exit_code(), 7);
        }
    }
}
