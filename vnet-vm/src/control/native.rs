//! Domain XML to and from a hypervisor's own configuration (virsh domxml-from-native,
//! domxml-to-native): for QEMU, its command line ("qemu-argv"). Both print the document itself,
//! as virsh does; nothing is defined or changed.

use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// A converted configuration: printed as it is unless -o json.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NativeDocument {
    /// The format on the other side ("qemu-argv").
    pub format: String,
    /// The converted document (domain XML, or the QEMU command line).
    pub document: String,
}

impl Render for NativeDocument {
    fn text(&self, _style: TextStyle) -> String {
        self.document.clone()
    }

    fn document(&self) -> Option<&str> {
        Some(&self.document)
    }
}

fn read(file: &str, what: &str) -> Result<String> {
    std::fs::read_to_string(file).map_err(|e| Error::invalid(format!("{what} {}: {e}", quote(file))))
}

/// Domain XML from a native configuration file (virsh domxml-from-native): `qemu-argv FILE`
/// reads a QEMU command line.
#[derive(Debug, clap::Args)]
pub struct DomxmlFromNative {
    /// The file's format (qemu-argv).
    pub format: String,
    /// The native configuration file.
    pub config: String,
}

impl Verb for DomxmlFromNative {
    type Ctx = Session;
    type Output = NativeDocument;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<NativeDocument> {
        let config = read(&self.config, "config")?;
        let what = format!("domain XML from {} {}", self.format, quote(&self.config));
        let xml = ctx
            .conn()?
            .domain_xml_from_native(&self.format, &config, 0)
            .libvirt(what)?;
        Ok(NativeDocument {
            format: self.format,
            document: xml,
        })
    }
}

/// A domain's native configuration (virsh domxml-to-native): `qemu-argv --domain VM` or
/// `qemu-argv --xml FILE` prints the QEMU command line libvirt would run.
#[derive(Debug, clap::Args)]
pub struct DomxmlToNative {
    /// The format to convert to (qemu-argv).
    pub format: String,
    /// A defined domain (name, ID or UUID).
    #[arg(long, required_unless_present = "xml", conflicts_with = "xml")]
    pub domain: Option<String>,
    /// A domain XML file.
    #[arg(long)]
    pub xml: Option<String>,
}

impl Verb for DomxmlToNative {
    type Ctx = Session;
    type Output = NativeDocument;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<NativeDocument> {
        let conn = ctx.conn()?;
        let xml = match (&self.domain, &self.xml) {
            (Some(domain), _) => lookup(conn, domain)?.get_xml_desc(0).libvirt("domain XML")?,
            (None, Some(file)) => read(file, "domain XML")?,
            (None, None) => return Err(Error::invalid("domxml-to-native needs --domain or --xml")),
        };
        let what = format!("{} from the domain XML", self.format);
        let native = conn.domain_xml_to_native(&self.format, &xml, 0).libvirt(what)?;
        Ok(NativeDocument {
            format: self.format,
            document: native,
        })
    }
}
