//! The domain XML inside a saved state: libvirt's managed save image of a domain
//! (managedsave-dumpxml, managedsave-define, managedsave-edit) and a state file `save` wrote
//! (save-image-dumpxml, save-image-define, save-image-edit). libvirt only lets the XML change
//! where the guest's ABI stays the same (a lifecycle action, a disk's path); it refuses the rest.

pub mod file;
pub mod managed;

use schemars::JsonSchema;
use serde::Serialize;
use std::path::Path;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::xpath::XpathArgs;
use vnet_common::{Error, Render, Result, TextStyle};

/// virsh's --running and --paused of the define and edit verbs: the state the domain takes when
/// it is started (managed save) or restored (file); neither keeps the image's choice.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StartState {
    /// The domain runs when it is started or restored from the image.
    #[arg(long, conflicts_with = "paused")]
    pub running: bool,
    /// The domain stays paused when it is started or restored from the image.
    #[arg(long)]
    pub paused: bool,
}

impl StartState {
    /// libvirt's VIR_DOMAIN_SAVE_RUNNING / _PAUSED.
    pub fn bits(&self) -> u32 {
        match (self.running, self.paused) {
            (true, _) => sys::VIR_DOMAIN_SAVE_RUNNING,
            (_, true) => sys::VIR_DOMAIN_SAVE_PAUSED,
            _ => 0,
        }
    }

    /// "running", "paused", or null when the image keeps its own choice.
    fn word(&self) -> Option<String> {
        match (self.running, self.paused) {
            (true, _) => Some("running".into()),
            (_, true) => Some("paused".into()),
            _ => None,
        }
    }
}

/// The options of managedsave-dumpxml and save-image-dumpxml besides the image.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DumpFlags {
    /// Include security-sensitive information (VNC passwords).
    #[arg(long)]
    pub security_info: bool,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

impl DumpFlags {
    fn bits(&self) -> u32 {
        self.security_info as u32 * sys::VIR_DOMAIN_XML_SECURE
    }
}

/// The domain XML stored in a saved state.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ImageXml {
    /// The domain's name (managedsave-dumpxml) or the state file (save-image-dumpxml).
    pub image: String,
    /// The domain XML; with --xpath, the selected nodes as printed (each followed by a newline).
    pub xml: String,
    /// With --xpath, each selected node's XML (with --wrap, the one `<nodes>` element); null
    /// without --xpath.
    pub nodes: Option<Vec<String>>,
    /// What virsh prints: the document and one empty line.
    #[serde(skip)]
    #[schemars(skip)]
    shown: String,
}

impl ImageXml {
    fn new(image: String, xml: String, flags: &DumpFlags) -> Result<ImageXml> {
        let (xml, nodes) = flags.xpath.shown(xml)?;
        let shown = format!("{xml}\n");
        Ok(ImageXml {
            image,
            xml,
            nodes,
            shown,
        })
    }
}

impl Render for ImageXml {
    fn text(&self, _style: TextStyle) -> String {
        self.shown.clone()
    }

    fn document(&self) -> Option<&str> {
        Some(&self.shown)
    }
}

/// A saved state's XML after a define or an edit.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ImageDefined {
    /// The domain whose managed save image it is; null for a state file.
    pub name: Option<String>,
    /// The state file; null for a managed save image.
    pub file: Option<String>,
    /// False when an edit left the document as it was (nothing was written).
    pub changed: bool,
    /// The state the domain takes when started or restored, when the line chose one
    /// (--running: "running", --paused: "paused"); null keeps the image's own.
    pub start_state: Option<String>,
    #[serde(skip)]
    #[schemars(skip)]
    line: String,
}

impl Render for ImageDefined {
    fn text(&self, _style: TextStyle) -> String {
        self.line.clone()
    }
}

/// The --xml FILE of a define verb, read before anything is touched: missing is exit 3, not
/// UTF-8, too big or with a NUL byte exit 7.
fn read_xml(path: &Path) -> Result<String> {
    let text = vnet_common::files::read_text(path, vnet_common::files::MAX_XML)?;
    if text.contains('\0') {
        return Err(Error::invalid(format!(
            "{}: a NUL byte is no XML",
            quote(&path.display().to_string())
        )));
    }
    crate::xml::domain::read_head(&text).map_err(|e| e.context("the domain XML"))?;
    Ok(text)
}
