//! metadata (virsh's spelling and flags): a domain's custom metadata element of one XML namespace,
//! shown, set or removed through libvirt's metadata API, live and/or in the definition.

use crate::domains::resources::Scope;
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::error::ErrorNumber;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Show, set or remove a domain's metadata element of namespace URI (virsh metadata DOMAIN URI
/// [--key KEY --set XML | --remove] [--live] [--config] [--current]).
///
/// Without --set or --remove, prints the element (the document itself, as virsh does; -o json
/// gives {"name", "uri", "xml"}); none for URI is exit 3. --set replaces it with XML (one
/// well-formed element; --key names its namespace prefix, required as virsh requires it); --remove
/// drops it. The domain is found by name, ID or UUID. Checked first (exit 7): the URI, the key,
/// the XML. --edit (an editor) is not supported: use --set. Undone on a later failure (--batch
/// --atomic): the old element is set back (or removed again).
#[derive(Debug, clap::Args)]
pub struct Metadata {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The metadata's XML namespace URI.
    pub uri: String,
    /// The namespace prefix of the element --set writes.
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// The new element (XML).
    #[arg(long, value_name = "XML", conflicts_with = "remove")]
    pub set: Option<String>,
    /// Remove the element of namespace URI.
    #[arg(long)]
    pub remove: bool,
    /// Refused: vnet-vm opens no editor (use --set).
    #[arg(long)]
    pub edit: bool,
    #[command(flatten)]
    pub scope: Scope,
}

/// A domain's metadata element of one namespace.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainMetadata {
    /// The domain's name.
    pub name: String,
    /// The namespace URI.
    pub uri: String,
    /// The element now; null when the domain has none for the URI.
    pub xml: Option<String>,
    /// True when this call changed it.
    pub changed: bool,
    /// "show", "set" or "remove".
    pub action: String,
}

impl Render for DomainMetadata {
    fn text(&self, _style: TextStyle) -> String {
        match self.action.as_str() {
            "set" => "Metadata modified\n\n".into(),
            "remove" => "Metadata removed\n\n".into(),
            _ => format!("{}\n\n", self.xml.as_deref().unwrap_or("")),
        }
    }

    fn document(&self) -> Option<&str> {
        (self.action == "show").then_some(self.xml.as_deref()).flatten()
    }
}

/// A namespace prefix: an XML name without ':' (letters, digits, '_', '-', '.'; not a digit,
/// '-' or '.' first).
fn check_key(key: &str) -> Result<()> {
    let first_ok = key.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_');
    let rest_ok = key.chars().all(|c| c.is_alphanumeric() || "_-.".contains(c));
    if first_ok && rest_ok {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "invalid --key {}: a namespace prefix (letters, digits, '_', '-', '.')",
        quote(key)
    )))
}

/// A namespace URI as libvirt takes one: a scheme and the rest, no spaces or control characters.
fn check_uri(uri: &str) -> Result<()> {
    let scheme = uri.split_once(':').map(|(s, _)| s).unwrap_or("");
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if scheme_ok && !uri.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "invalid namespace URI {}: a URI such as http://example.org/app/1",
        quote(uri)
    )))
}

impl Metadata {
    /// Checks every input (exit 7) before libvirt is asked.
    fn check(&self) -> Result<()> {
        if self.edit {
            return Err(
                Error::invalid("--edit is not supported by vnet-vm metadata (it opens no editor)")
                    .with_hint("use --key KEY --set XML"),
            );
        }
        check_uri(&self.uri)?;
        if let Some(key) = &self.key {
            check_key(key)?;
        }
        if let Some(xml) = &self.set {
            if self.key.is_none() {
                return Err(Error::invalid(
                    "--set needs --key (the namespace prefix), as virsh requires",
                ));
            }
            vnet_common::libvirt::xml::parse(xml)
                .map_err(|e| Error::invalid(format!("--set: malformed XML: {e}")))?;
        }
        Ok(())
    }
}

/// The element of namespace `uri`, or None.
fn element(dom: &Domain, uri: &str, flags: u32) -> Result<Option<String>> {
    let kind = sys::VIR_DOMAIN_METADATA_ELEMENT as i32;
    match dom.get_metadata(kind, Some(uri), flags) {
        Ok(xml) => Ok(Some(xml)),
        Err(e) if e.code() == ErrorNumber::NoDomainMetadata => {
            virt::error::clear_error_callback();
            Ok(None)
        }
        Err(e) => Err(vnet_common::libvirt::error(e).context(format!("metadata {}", quote(uri)))),
    }
}

/// Sets (Some) or removes (None) the element of namespace `uri`.
fn put(dom: &Domain, xml: Option<&str>, key: &str, uri: &str, flags: u32) -> Result<()> {
    let kind = sys::VIR_DOMAIN_METADATA_ELEMENT as i32;
    let key = xml.map(|_| key);
    dom.set_metadata(kind, xml, key, Some(uri), flags)
        .map(drop)
        .libvirt(format!("metadata {}", quote(uri)))
}

impl Verb for Metadata {
    type Ctx = Session;
    type Output = DomainMetadata;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<DomainMetadata> {
        self.check()?;
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let flags = self.scope.bits();
        let action = match (&self.set, self.remove) {
            (Some(_), _) => "set",
            (None, true) => "remove",
            (None, false) => "show",
        };
        // libvirt reads one of live and config at a time, and writes both at once.
        let targets = match (self.scope.live, self.scope.config) {
            (true, true) if action != "show" => {
                vec![sys::VIR_DOMAIN_AFFECT_LIVE, sys::VIR_DOMAIN_AFFECT_CONFIG]
            }
            _ => vec![flags],
        };
        let read = |dom: &Domain| -> Result<Vec<Option<String>>> {
            targets.iter().map(|&f| element(dom, &self.uri, f)).collect()
        };
        let old = read(&dom)?;
        if action == "show" && old[0].is_none() {
            return Err(Error::not_found(format!(
                "domain {} has no metadata of namespace {}",
                quote(&name),
                quote(&self.uri)
            )));
        }
        let key = self.key.clone().unwrap_or_else(|| "vnet".into());
        // A remove of nothing asks libvirt nothing.
        let remove_nothing = action == "remove" && old.iter().all(Option::is_none);
        if action != "show" && !remove_nothing {
            put(&dom, self.set.as_deref(), &key, &self.uri, flags)?;
        }
        let now = read(&dom)?;
        let changed = now != old;
        if changed {
            let (undo, uri) = (dom.clone(), self.uri.clone());
            let targets = targets.clone();
            journal.record_fn(format!("{action} metadata {uri} of domain {name}"), move || {
                for (target, old) in targets.iter().zip(&old) {
                    put(&undo, old.as_deref(), &key, &uri, *target)?;
                }
                Ok(())
            })?;
        }
        Ok(DomainMetadata {
            name,
            uri: self.uri,
            xml: now.into_iter().next().flatten(),
            changed,
            action: action.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_keys_as_libvirt_takes_them() {
        for good in ["http://app.example/1", "urn:x:y", "https://e.org/a?b=c"] {
            check_uri(good).unwrap();
        }
        for bad in ["", "no-scheme", "http://a b", "1http://x", ":x"] {
            assert_eq!(check_uri(bad).unwrap_err().exit_code(), 7, "{bad:?}");
        }
        check_key("app1").unwrap();
        for bad in ["", "a:b", "1a", "a b"] {
            assert_eq!(check_key(bad).unwrap_err().exit_code(), 7, "{bad:?}");
        }
    }
}
