//! secret-list and secret-dumpxml: the secrets libvirt keeps, and one's definition.

use super::require;
use schemars::JsonSchema;
use serde::Serialize;
use virt::secret::Secret;
use virt::sys;
use vnet_common::libvirt::secret::SecretDef;
use vnet_common::libvirt::xpath::XpathArgs;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{table, Error, Journal, Render, Result, TextStyle, Verb};

/// The secrets libvirt keeps (virsh secret-list [--ephemeral] [--no-ephemeral] [--private]
/// [--no-private]), sorted by UUID as virsh sorts them; -o text prints virsh's table.
#[derive(Debug, clap::Args)]
pub struct SecretList {
    /// Only secrets kept in memory alone.
    #[arg(long, conflicts_with = "no_ephemeral")]
    pub ephemeral: bool,
    /// Only secrets kept on disk.
    #[arg(long)]
    pub no_ephemeral: bool,
    /// Only secrets whose value cannot be read back.
    #[arg(long, conflicts_with = "no_private")]
    pub private: bool,
    /// Only secrets whose value can be read back.
    #[arg(long)]
    pub no_private: bool,
}

/// One secret.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SecretRow {
    pub uuid: String,
    /// What it is for: "volume", "ceph", "iscsi", "tls", "vtpm"; null for none.
    pub usage_type: Option<String>,
    /// The volume's path, or the ceph/tls/vtpm name, or the iSCSI target.
    pub usage_id: Option<String>,
    pub description: Option<String>,
    /// Kept in memory alone (gone when libvirtd restarts).
    pub ephemeral: bool,
    /// Its value cannot be read back.
    pub private: bool,
}

/// The secrets `secret-list` found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct SecretRows(pub Vec<SecretRow>);

/// virsh's table: UUID, and the usage as "TYPE ID".
impl Render for SecretRows {
    fn text(&self, style: TextStyle) -> String {
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|r| {
                let usage = match (&r.usage_type, &r.usage_id) {
                    (Some(kind), Some(id)) => format!("{kind} {id}"),
                    (Some(kind), None) => kind.clone(),
                    _ => String::new(),
                };
                vec![r.uuid.clone(), usage]
            })
            .collect();
        table::render(&["UUID", "Usage"], &rows, style)
    }
}

fn row_of(secret: &Secret) -> Result<SecretRow> {
    let uuid = secret.get_uuid_string().libvirt("secret UUID")?;
    let xml = secret.get_xml_desc(0).libvirt(format!("XML of secret {uuid}"))?;
    let def = SecretDef::from_xml(&xml)
        .map_err(|e| Error::failed(format!("secret XML from libvirt: {}", e.message)))?;
    let usage = def.usage.unwrap_or_default();
    Ok(SecretRow {
        usage_id: usage.id().map(str::to_string),
        usage_type: usage.kind,
        description: def.description,
        ephemeral: SecretDef::is_yes(&def.ephemeral),
        private: SecretDef::is_yes(&def.private),
        uuid,
    })
}

impl Verb for SecretList {
    type Ctx = Session;
    type Output = SecretRows;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<SecretRows> {
        let bits = [
            (self.ephemeral, sys::VIR_CONNECT_LIST_SECRETS_EPHEMERAL),
            (self.no_ephemeral, sys::VIR_CONNECT_LIST_SECRETS_NO_EPHEMERAL),
            (self.private, sys::VIR_CONNECT_LIST_SECRETS_PRIVATE),
            (self.no_private, sys::VIR_CONNECT_LIST_SECRETS_NO_PRIVATE),
        ];
        let flags = bits.iter().filter(|(on, _)| *on).fold(0, |acc, (_, b)| acc | b);
        let secrets = ctx.conn()?.list_all_secrets(flags).libvirt("list secrets")?;
        let mut rows = secrets.iter().map(row_of).collect::<Result<Vec<_>>>()?;
        rows.sort_by(|a, b| a.uuid.cmp(&b.uuid));
        Ok(SecretRows(rows))
    }
}

/// Print a secret's XML (virsh secret-dumpxml SECRET).
///
/// Prints the document itself, as virsh does (never the value), or with --xpath the nodes it
/// selects; -o json gives {"uuid", "xml", "nodes"}.
#[derive(Debug, clap::Args)]
pub struct SecretDumpxml {
    /// The secret's UUID.
    pub secret: String,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

/// A secret's XML document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SecretXml {
    pub uuid: String,
    /// The document as libvirt wrote it (printed as it is unless -o json); with --xpath, the
    /// selected nodes as printed.
    pub xml: String,
    /// With --xpath, each selected node's XML; null without --xpath.
    pub nodes: Option<Vec<String>>,
}

impl Render for SecretXml {
    fn document(&self) -> Option<&str> {
        Some(&self.xml)
    }
}

impl Verb for SecretDumpxml {
    type Ctx = Session;
    type Output = SecretXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<SecretXml> {
        let secret = require(ctx.conn()?, &self.secret)?;
        let xml = secret.get_xml_desc(0).libvirt("secret XML")?;
        let (xml, nodes) = self.xpath.shown(xml)?;
        Ok(SecretXml {
            uuid: secret.get_uuid_string().libvirt("secret UUID")?,
            xml,
            nodes,
        })
    }
}
