//! find-storage-pool-sources and find-storage-pool-sources-as: what pools a storage backend
//! can see (NFS exports of a host, LVM volume groups, iSCSI targets), as libvirt's <sources>
//! document. Only libvirt's backends that discover (netfs, logical, iscsi, iscsi-direct,
//! gluster) answer; the others refuse, in libvirt's words.

use schemars::JsonSchema;
use serde::Serialize;
use std::path::PathBuf;
use vnet_common::error::quote;
use vnet_common::libvirt::{document, LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// libvirt 9.0's storage pool types.
const POOL_TYPES: &[&str] = &[
    "dir",
    "fs",
    "netfs",
    "logical",
    "disk",
    "iscsi",
    "iscsi-direct",
    "scsi",
    "mpath",
    "rbd",
    "sheepdog",
    "gluster",
    "zfs",
    "vstorage",
];

fn check_type(kind: &str) -> Result<()> {
    match POOL_TYPES.contains(&kind) {
        true => Ok(()),
        false => Err(Error::invalid(format!(
            "unknown storage pool type {} (one of {})",
            quote(kind),
            POOL_TYPES.join(", ")
        ))),
    }
}

/// The sources found: libvirt's <sources> document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PoolSources {
    /// The pool type asked about.
    #[serde(rename = "type")]
    pub kind: String,
    /// libvirt's <sources> document (printed as it is unless -o json).
    pub xml: String,
}

impl Render for PoolSources {
    fn document(&self) -> Option<&str> {
        Some(&self.xml)
    }

    fn text(&self, _style: TextStyle) -> String {
        self.xml.clone()
    }
}

fn find(ctx: &mut Session, kind: &str, spec: Option<&str>) -> Result<PoolSources> {
    let what = format!("find {kind} pool sources");
    let xml = ctx
        .conn()?
        .find_storage_pool_sources(kind, spec, 0)
        .libvirt(what)?;
    Ok(PoolSources {
        kind: kind.into(),
        xml,
    })
}

/// Discover the sources a pool of TYPE could use (virsh find-storage-pool-sources TYPE
/// [--srcSpec FILE]).
///
/// FILE is a <source> document saying where to look (a <host name=...> for netfs and iscsi);
/// malformed, or not a <source>, is exit 7 before libvirt is asked, as is an unknown TYPE. A
/// type that cannot discover is libvirt's refusal (exit 6); nothing found, libvirt's error.
#[derive(Debug, clap::Args)]
pub struct FindStoragePoolSources {
    /// The pool type: netfs, logical, iscsi, ...
    #[arg(value_name = "TYPE")]
    pub r#type: String,
    /// A <source> document saying where to look.
    #[arg(long = "srcSpec", id = "srcspec", value_name = "FILE")]
    pub src_spec: Option<PathBuf>,
}

impl Verb for FindStoragePoolSources {
    type Ctx = Session;
    type Output = PoolSources;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<PoolSources> {
        check_type(&self.r#type)?;
        let spec = match &self.src_spec {
            None => None,
            Some(file) => {
                let text = vnet_common::files::read_text(file, vnet_common::files::MAX_XML)?;
                vnet_common::libvirt::xml::parse(&text)
                    .ok()
                    .filter(|root| root.name == "source")
                    .ok_or_else(|| {
                        Error::invalid(format!(
                            "{}: not a well-formed <source> document",
                            quote(&file.display().to_string())
                        ))
                    })?;
                Some(text)
            }
        };
        find(ctx, &self.r#type, spec.as_deref())
    }
}

/// Discover the sources a pool of TYPE could use on a host (virsh
/// find-storage-pool-sources-as TYPE [--host HOST] [--port PORT] [--initiator IQN]).
///
/// HOST, PORT and IQN go into the <source> document through the XML writer. --port or
/// --initiator without --host is exit 7 (virsh ignores them), as is a port outside 1..65535.
#[derive(Debug, clap::Args)]
pub struct FindStoragePoolSourcesAs {
    /// The pool type: netfs, logical, iscsi, ...
    #[arg(value_name = "TYPE")]
    pub r#type: String,
    /// The host to ask.
    #[arg(long)]
    pub host: Option<String>,
    /// Its port.
    #[arg(long)]
    pub port: Option<String>,
    /// The iSCSI initiator IQN to ask as.
    #[arg(long)]
    pub initiator: Option<String>,
}

/// The <source> document of find-storage-pool-sources-as.
#[derive(Serialize)]
struct Spec {
    host: SpecHost,
    #[serde(skip_serializing_if = "Option::is_none")]
    initiator: Option<SpecInitiator>,
}

#[derive(Serialize)]
struct SpecHost {
    #[serde(rename = "@name")]
    name: String,
    #[serde(rename = "@port", skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
}

#[derive(Serialize)]
struct SpecInitiator {
    iqn: SpecIqn,
}

#[derive(Serialize)]
struct SpecIqn {
    #[serde(rename = "@name")]
    name: String,
}

impl FindStoragePoolSourcesAs {
    /// The <source> document the flags describe, or None without --host.
    fn spec(&self) -> Result<Option<String>> {
        let Some(host) = &self.host else {
            if self.port.is_some() || self.initiator.is_some() {
                return Err(Error::invalid("--port and --initiator need --host"));
            }
            return Ok(None);
        };
        let port = match &self.port {
            None => None,
            Some(p) => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| Error::invalid(format!("--port {}: not a port (1..65535)", quote(p))))?,
            ),
        };
        let spec = Spec {
            host: SpecHost {
                name: host.clone(),
                port,
            },
            initiator: self.initiator.clone().map(|name| SpecInitiator {
                iqn: SpecIqn { name },
            }),
        };
        Ok(Some(document::write("source", &spec, false)))
    }
}

impl Verb for FindStoragePoolSourcesAs {
    type Ctx = Session;
    type Output = PoolSources;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<PoolSources> {
        check_type(&self.r#type)?;
        let spec = self.spec()?;
        find(ctx, &self.r#type, spec.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_is_written_by_the_xml_writer() {
        let args = |host: Option<&str>, port: Option<&str>, iqn: Option<&str>| FindStoragePoolSourcesAs {
            r#type: "iscsi".into(),
            host: host.map(String::from),
            port: port.map(String::from),
            initiator: iqn.map(String::from),
        };
        let spec = args(Some("h'<x"), Some("3260"), Some("iqn.x"))
            .spec()
            .unwrap()
            .unwrap();
        assert_eq!(
            spec,
            "<source><host name=\"h&apos;&lt;x\" port=\"3260\"/><initiator><iqn name=\"iqn.x\"/></initiator></source>"
        );
        assert_eq!(args(None, None, None).spec().unwrap(), None);
        assert_eq!(args(None, Some("1"), None).spec().unwrap_err().exit_code(), 7);
        assert_eq!(
            args(Some("h"), Some("0"), None).spec().unwrap_err().exit_code(),
            7
        );
        assert_eq!(check_type("bogus").unwrap_err().exit_code(), 7);
    }
}
