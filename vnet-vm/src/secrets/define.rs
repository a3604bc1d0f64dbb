//! secret-define and secret-undefine: a secret's definition made, replaced or removed.

use super::{find, require};
use schemars::JsonSchema;
use serde::Serialize;
use std::path::PathBuf;
use virt::connect::Connect;
use virt::secret::Secret;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::is_uuid;
use vnet_common::libvirt::secret::SecretDef;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Define a secret from an XML file, or replace the definition of the secret of its UUID
/// (virsh secret-define FILE [--validate]).
///
/// The file is read as UTF-8 (at most 10 MiB) and must be one well-formed <secret> document
/// (malformed, another root, or a <uuid> that is not one: exit 7 before libvirt is asked; a
/// missing file is 3). Without <uuid> libvirt makes one up. Over an existing secret the
/// definition is replaced and its value kept ("definition": "updated"). --validate checks the
/// document against libvirt's schema. Undone on a later failure (--batch --atomic): a new
/// secret is undefined, a replaced definition defined again.
#[derive(Debug, clap::Args)]
pub struct SecretDefine {
    /// The secret XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// Check the document against libvirt's schema.
    #[arg(long)]
    pub validate: bool,
}

/// A secret defined.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SecretDefined {
    pub uuid: String,
    /// False when the file said what the definition already said.
    pub changed: bool,
    /// "created", "updated" or "unchanged".
    pub definition: String,
    /// The XML file read.
    pub file: String,
}

/// virsh's line (virsh says "created" for a replaced definition too).
impl Render for SecretDefined {
    fn text(&self, _style: TextStyle) -> String {
        format!("Secret {} created\n\n", self.uuid)
    }
}

impl Verb for SecretDefine {
    type Ctx = Session;
    type Output = SecretDefined;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SecretDefined> {
        let file = self.file.display().to_string();
        let xml = vnet_common::files::read_text(&self.file, vnet_common::files::MAX_XML)?;
        let def = SecretDef::from_xml(&xml).map_err(|e| e.context(quote(&file)))?;
        if let Some(uuid) = def.uuid.as_deref().filter(|u| !is_uuid(u)) {
            return Err(Error::invalid(format!(
                "{}: <uuid> {} is not a UUID",
                quote(&file),
                quote(uuid)
            )));
        }
        let conn = ctx.conn()?;
        let before = match def.uuid.as_deref() {
            Some(uuid) => find(conn, uuid)?
                .map(|s| s.get_xml_desc(0))
                .transpose()
                .libvirt("secret XML")?,
            None => None,
        };
        let flags = if self.validate {
            sys::VIR_SECRET_DEFINE_VALIDATE
        } else {
            0
        };
        let secret =
            Secret::define_xml(conn, &xml, flags).libvirt(format!("define secret from {}", quote(&file)))?;
        let uuid = secret.get_uuid_string().libvirt("secret UUID")?;
        let after = secret.get_xml_desc(0).libvirt("secret XML")?;
        let definition = match &before {
            None => "created",
            Some(old) if *old == after => "unchanged",
            Some(_) => "updated",
        };
        if definition != "unchanged" {
            record_undo(conn, secret, before, journal)?;
        }
        Ok(SecretDefined {
            changed: definition != "unchanged",
            definition: definition.into(),
            uuid,
            file,
        })
    }
}

/// The undo of a define: the secret undefined again, or its old definition back.
fn record_undo(conn: &Connect, secret: Secret, before: Option<String>, journal: &mut Journal) -> Result<()> {
    let conn = conn.clone();
    journal.record_fn("define the secret", move || match before {
        None => secret.undefine().libvirt("undefine the secret"),
        Some(xml) => Secret::define_xml(&conn, &xml, 0)
            .map(drop)
            .libvirt("define the secret again as it was"),
    })
}

/// Remove a secret and its value (virsh secret-undefine SECRET).
///
/// An unknown UUID is exit 3 (--missing-ok: "changed": false); text that is not a UUID is exit
/// 7. Cannot be undone: a private secret's value cannot be read back to restore it.
#[derive(Debug, clap::Args)]
pub struct SecretUndefine {
    /// The secret's UUID.
    pub secret: String,
    /// Succeed ("changed": false) when there is no such secret.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

/// A secret removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SecretUndefined {
    pub uuid: String,
    /// False with --missing-ok when it was not there.
    pub changed: bool,
}

impl Render for SecretUndefined {
    fn text(&self, _style: TextStyle) -> String {
        match self.changed {
            true => format!("Secret {} deleted\n\n", self.uuid),
            false => String::new(),
        }
    }
}

impl Verb for SecretUndefine {
    type Ctx = Session;
    type Output = SecretUndefined;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SecretUndefined> {
        let conn = ctx.conn()?;
        if self.missing_ok && find(conn, &self.secret)?.is_none() {
            let uuid = self.secret.trim().to_string();
            return Ok(SecretUndefined { uuid, changed: false });
        }
        let secret = require(conn, &self.secret)?;
        let uuid = secret.get_uuid_string().libvirt("secret UUID")?;
        secret.undefine().libvirt(format!("undefine secret {uuid}"))?;
        journal.irreversible(format!("undefine secret {uuid}"))?;
        Ok(SecretUndefined { uuid, changed: true })
    }
}
