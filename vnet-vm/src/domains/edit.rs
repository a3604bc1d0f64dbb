//! virsh edit: a domain's persistent definition through the user's editor (see
//! vnet_common::libvirt::edit for what the edit verbs share).

use crate::xml::domain::read_head;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::edit::{self, Edited};
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Result, Verb};

/// Edit a domain's definition in $VISUAL or $EDITOR and define it again when changed (virsh edit).
///
/// The persistent definition (secrets included, as virsh shows it) goes into a private temporary
/// file and the editor runs on it as virsh runs it (`sh -c "$EDITOR FILE"`), so
/// `EDITOR='sed -i s/a/b/' vnet-vm edit web` works in a script. A file left as it was changes
/// nothing ("changed": false). A changed file must be one well-formed <domain> document that
/// libvirt accepts (checked against its schema unless --skip-validate); an editor that fails, or
/// a document refused, is exit 7 with the reason and the domain as it was. On a terminal a
/// refused document is offered for editing again, as virsh does. A running domain keeps running
/// on its old definition until it is restarted ("restart_needed": true). Undone on a later
/// failure (--batch --atomic): the old definition is defined again.
#[derive(Debug, clap::Args)]
pub struct Edit {
    /// The domain: name, ID or UUID.
    pub domain: String,
    /// Do not check the edited document against libvirt's schema.
    #[arg(long)]
    pub skip_validate: bool,
}

impl Verb for Edit {
    type Ctx = Session;
    type Output = Edited;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Edited> {
        let conn = ctx.conn()?;
        let dom = lookup(conn, &self.domain)?;
        let name = dom.get_name().libvirt("domain name")?;
        let uuid = dom
            .get_uuid_string()
            .libvirt(format!("domain {}", quote(&name)))?;
        let original = persistent_xml(&dom, &name)?;
        let flags = match self.skip_validate {
            true => 0,
            false => sys::VIR_DOMAIN_DEFINE_VALIDATE,
        };
        let define = |text: &str| define_edited(conn, &dom, &name, &original, text, flags);
        let Some(edited) = edit::edit(&original, define)? else {
            return Ok(Edited::new("Domain", name, uuid, false, false));
        };
        finish(conn, &edited, &uuid, original, journal)
    }
}

/// The domain after a defined edit: changed unless its definition reads as before (libvirt
/// dropped what the edit added); only a change is recorded for undoing.
fn finish(
    conn: &Connect,
    edited: &Domain,
    old_uuid: &str,
    original: String,
    journal: &mut Journal,
) -> Result<Edited> {
    let name = edited.get_name().libvirt("domain name")?;
    let uuid = edited.get_uuid_string().libvirt("domain UUID")?;
    let same = uuid == old_uuid;
    let changed = !same || persistent_xml(edited, &name)? != original;
    if changed {
        record_undo(conn, edited, same, original, journal)?;
    }
    let active = changed && edited.is_active().libvirt("domain state")?;
    Ok(Edited::new("Domain", name, uuid, changed, active))
}

/// The inactive (persistent) definition of `dom`, secrets included, as virsh edit shows it.
fn persistent_xml(dom: &Domain, name: &str) -> Result<String> {
    dom.get_xml_desc(sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_SECURE)
        .libvirt(format!("XML of domain {}", quote(name)))
}

/// Defines the edited document: a well-formed <domain> with a name (exit 7 else), over a
/// definition nobody changed meanwhile (exit 1 else), that libvirt accepts (exit 7 else).
fn define_edited(
    conn: &Connect,
    dom: &Domain,
    name: &str,
    original: &str,
    text: &str,
    flags: u32,
) -> Result<Domain> {
    read_head(text).map_err(|e| e.context("the edited document"))?;
    if persistent_xml(dom, name)? != original {
        return Err(Error::failed(format!(
            "domain {}: its definition was changed by another user while it was edited",
            quote(name)
        )));
    }
    Domain::define_xml_flags(conn, text, flags)
        .map_err(|e| edit::refused(e, format!("define domain {}", quote(name))))
}

/// The undo of an edit: the old definition again, or, when the edit made a new domain (another
/// name without the old UUID), that domain undefined.
fn record_undo(
    conn: &Connect,
    edited: &Domain,
    same_domain: bool,
    original: String,
    journal: &mut Journal,
) -> Result<()> {
    let (conn, edited) = (conn.clone(), edited.clone());
    journal.record_fn("edit the domain's definition", move || match same_domain {
        true => Domain::define_xml(&conn, &original)
            .map(drop)
            .libvirt("define the domain again as it was"),
        false => edited.undefine().libvirt("undefine the domain the edit made"),
    })
}
