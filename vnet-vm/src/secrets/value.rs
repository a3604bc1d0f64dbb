//! secret-set-value and secret-get-value: a secret's value, in base64 as virsh reads and prints
//! it, or as it is (--plain).

use super::base64;
use super::require;
use schemars::JsonSchema;
use serde::Serialize;
use std::path::{Path, PathBuf};
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// The largest value file read: far above any key or passphrase.
const MAX_VALUE: u64 = 1 << 20;

/// Set a secret's value (virsh secret-set-value SECRET (--base64 VALUE | --file FILE [--plain])).
///
/// --base64 VALUE gives it in base64 (virsh's second bare word fills it); --file FILE reads it
/// from a file, in base64 (whitespace around it ignored) or with --plain as it is. A value that
/// is not base64 is exit 7, a missing file 3, both before libvirt is asked; --interactive is
/// refused (exit 7: no prompting from scripts). Undone on a later failure when the old value
/// can be read back (a secret that is not private and had one); otherwise it cannot be.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("value").required(true).args(["file", "base64"]))]
pub struct SecretSetValue {
    /// The secret's UUID.
    pub secret: String,
    /// Read the value from this file (base64 unless --plain).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The file holds the value as it is, not in base64.
    #[arg(long, requires = "file")]
    pub plain: bool,
    /// The value in base64.
    #[arg(long, value_name = "VALUE", conflicts_with = "file")]
    pub base64: Option<String>,
}

/// A secret whose value was set.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SecretValueSet {
    pub uuid: String,
    /// Always true.
    pub changed: bool,
}

impl Render for SecretValueSet {
    fn text(&self, _style: TextStyle) -> String {
        "Secret value set\n\n".into()
    }
}

/// The value a file holds: as it is with `plain`, else decoded from base64.
fn read_value(file: &Path, plain: bool) -> Result<Vec<u8>> {
    let shown = quote(&file.display().to_string());
    let size = std::fs::metadata(file)
        .map_err(|e| Error::from(e).context(&shown))?
        .len();
    if size > MAX_VALUE {
        return Err(Error::invalid(format!("{shown}: larger than {MAX_VALUE} bytes")));
    }
    let bytes = std::fs::read(file).map_err(|e| Error::from(e).context(&shown))?;
    if plain {
        return Ok(bytes);
    }
    let text = String::from_utf8(bytes).map_err(|_| Error::invalid(format!("{shown}: not base64")))?;
    base64::decode(&text)
        .ok_or_else(|| Error::invalid(format!("{shown}: not base64 (give --plain for a value as it is)")))
}

impl Verb for SecretSetValue {
    type Ctx = Session;
    type Output = SecretValueSet;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<SecretValueSet> {
        let value = match (&self.file, &self.base64) {
            (Some(file), _) => read_value(file, self.plain)?,
            (None, Some(text)) => base64::decode(text)
                .ok_or_else(|| Error::invalid(format!("--base64 {}: not base64", quote(text))))?,
            (None, None) => unreachable!("clap requires --file or --base64"),
        };
        let secret = require(ctx.conn()?, &self.secret)?;
        let uuid = secret.get_uuid_string().libvirt("secret UUID")?;
        let old = secret.get_value(0).ok();
        virt::error::clear_error_callback();
        secret
            .set_value(&value, 0)
            .libvirt(format!("set the value of secret {uuid}"))?;
        match old {
            Some(old) => journal.record_fn(format!("set the value of secret {uuid}"), move || {
                secret.set_value(&old, 0).libvirt("set the old value again")
            })?,
            None => journal.irreversible(format!("set the value of secret {uuid}"))?,
        }
        Ok(SecretValueSet { uuid, changed: true })
    }
}

/// Print a secret's value (virsh secret-get-value SECRET [--plain]).
///
/// -o text prints it in base64, or with --plain as it is, as virsh does; JSON always carries
/// it in base64 ("value"). A private secret's value cannot be read (exit 1, libvirt's words).
#[derive(Debug, clap::Args)]
pub struct SecretGetValue {
    /// The secret's UUID.
    pub secret: String,
    /// -o text: the value as it is, not in base64.
    #[arg(long)]
    pub plain: bool,
}

/// A secret's value.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SecretValue {
    pub uuid: String,
    /// The value in base64.
    pub value: String,
    #[serde(skip)]
    #[schemars(skip)]
    shown: String,
}

impl Render for SecretValue {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n", self.shown)
    }
}

impl Verb for SecretGetValue {
    type Ctx = Session;
    type Output = SecretValue;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<SecretValue> {
        let secret = require(ctx.conn()?, &self.secret)?;
        let uuid = secret.get_uuid_string().libvirt("secret UUID")?;
        let bytes = secret.get_value(0).libvirt(format!("value of secret {uuid}"))?;
        let value = base64::encode(&bytes);
        let shown = match self.plain {
            true => String::from_utf8_lossy(&bytes).into_owned(),
            false => value.clone(),
        };
        Ok(SecretValue { uuid, value, shown })
    }
}
