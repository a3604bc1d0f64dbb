//! checkpoint-create-as and checkpoint-create: make a checkpoint, from flags or from an XML file.

use super::Checkpoint;
use crate::snapshots::domain_name;
use quick_xml::events::BytesText;
use quick_xml::Writer;
use schemars::JsonSchema;
use serde::Serialize;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Make a checkpoint described by flags (virsh checkpoint-create-as).
///
/// libvirt makes checkpoints of running domains with qcow2 disks (a dirty bitmap per disk);
/// a shut-off domain, a raw disk or a name the domain has already is libvirt's refusal, nothing
/// made. Without --name libvirt names it by the time. --diskspec DISK[,checkpoint=bitmap|no]
/// [,bitmap=NAME] (repeatable) says what each disk records. --print-xml prints the
/// `<domaincheckpoint>` document and makes nothing. Undone on a later failure: deleted again.
#[derive(Debug, clap::Args)]
pub struct CheckpointCreateAs {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The checkpoint's name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Free text kept with the checkpoint.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Print the checkpoint XML instead of making it.
    #[arg(long)]
    pub print_xml: bool,
    /// Freeze the guest's file systems through its agent while the checkpoint is made.
    #[arg(long)]
    pub quiesce: bool,
    /// DISK[,checkpoint=bitmap|no][,bitmap=NAME]: what a disk records; repeatable.
    #[arg(long, value_name = "SPEC")]
    pub diskspec: Vec<String>,
}

/// Make a checkpoint from a `<domaincheckpoint>` XML file (virsh checkpoint-create); without a
/// file, as checkpoint-create-as without a name. --redefine takes back the metadata of a
/// checkpoint libvirt forgot (its bitmaps must be on the disks; --redefine-validate checks).
#[derive(Debug, clap::Args)]
pub struct CheckpointCreate {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The `<domaincheckpoint>` document.
    #[arg(long, value_name = "FILE")]
    pub xmlfile: Option<std::path::PathBuf>,
    /// Redefine the metadata of an existing checkpoint.
    #[arg(long)]
    pub redefine: bool,
    /// With --redefine: check that the disks still have the checkpoint's bitmaps.
    #[arg(long, requires = "redefine")]
    pub redefine_validate: bool,
    /// Freeze the guest's file systems through its agent while the checkpoint is made.
    #[arg(long)]
    pub quiesce: bool,
}

/// The checkpoint made (or with --print-xml, described).
#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckpointCreated {
    /// The domain's name.
    pub domain: String,
    /// The checkpoint's name; null with --print-xml when libvirt would choose it.
    pub name: Option<String>,
    /// False with --print-xml (nothing made).
    pub changed: bool,
    /// --print-xml: the `<domaincheckpoint>` document. Printed itself unless -o json.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xml: Option<String>,
}

impl Render for CheckpointCreated {
    fn text(&self, _style: TextStyle) -> String {
        match (&self.xml, &self.name) {
            (Some(xml), _) => xml.clone(),
            (None, Some(name)) => format!("Domain checkpoint {name} created\n"),
            (None, None) => String::new(),
        }
    }

    fn document(&self) -> Option<&str> {
        self.xml.as_deref()
    }
}

/// One --diskspec: (disk, checkpoint=, bitmap=); an unknown key or a checkpoint= other than
/// bitmap or no is exit 7.
fn diskspec(spec: &str) -> Result<(String, Option<String>, Option<String>)> {
    let mut parts = spec.split(',');
    let disk = parts.next().unwrap_or_default().to_string();
    if disk.is_empty() || disk.contains('=') {
        return Err(Error::invalid(format!(
            "--diskspec {}: starts with the disk (vda)",
            quote(spec)
        )));
    }
    let (mut kind, mut bitmap) = (None, None);
    for part in parts {
        match part.split_once('=') {
            Some(("checkpoint", v @ ("bitmap" | "no"))) => kind = Some(v.to_string()),
            Some(("bitmap", v)) if !v.is_empty() => bitmap = Some(v.to_string()),
            _ => {
                return Err(Error::invalid(format!(
                    "--diskspec {}: {} is not checkpoint=bitmap|no or bitmap=NAME",
                    quote(spec),
                    quote(part)
                )))
            }
        }
    }
    Ok((disk, kind, bitmap))
}

impl CheckpointCreateAs {
    /// The `<domaincheckpoint>` document, written by quick-xml (values escaped).
    fn document(&self) -> Result<String> {
        let disks = self
            .diskspec
            .iter()
            .map(|s| diskspec(s))
            .collect::<Result<Vec<_>>>()?;
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        w.create_element("domaincheckpoint")
            .write_inner_content(|w| {
                for (element, value) in [("name", &self.name), ("description", &self.description)] {
                    if let Some(value) = value {
                        w.create_element(element)
                            .write_text_content(BytesText::new(value))?;
                    }
                }
                if !disks.is_empty() {
                    w.create_element("disks").write_inner_content(|w| {
                        for (name, kind, bitmap) in &disks {
                            let mut e = w.create_element("disk").with_attribute(("name", name.as_str()));
                            if let Some(kind) = kind {
                                e = e.with_attribute(("checkpoint", kind.as_str()));
                            }
                            if let Some(bitmap) = bitmap {
                                e = e.with_attribute(("bitmap", bitmap.as_str()));
                            }
                            e.write_empty()?;
                        }
                        Ok::<_, std::io::Error>(())
                    })?;
                }
                Ok::<_, std::io::Error>(())
            })
            .expect("writing XML to a Vec cannot fail");
        Ok(format!(
            "{}\n",
            String::from_utf8(w.into_inner()).expect("the writer emits UTF-8")
        ))
    }
}

/// Makes the checkpoint and journals its deletion.
fn make(
    ctx: &mut Session,
    domain: &str,
    xml: &str,
    flags: u32,
    journal: &mut Journal,
) -> Result<CheckpointCreated> {
    let dom = lookup(ctx.conn()?, domain)?;
    let domain = domain_name(&dom)?;
    let made =
        Checkpoint::create(&dom, xml, flags).map_err(|e| e.context(format!("domain {}", quote(&domain))))?;
    let name = made.name();
    if flags & sys::VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE == 0 {
        journal.record_fn(format!("checkpoint {name} of domain {domain}"), move || {
            made.delete(0)
        })?;
    }
    Ok(CheckpointCreated {
        domain,
        name: Some(name),
        changed: true,
        xml: None,
    })
}

impl Verb for CheckpointCreateAs {
    type Ctx = Session;
    type Output = CheckpointCreated;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<CheckpointCreated> {
        let xml = self.document()?;
        if self.print_xml {
            return Ok(CheckpointCreated {
                domain: self.domain,
                name: self.name,
                changed: false,
                xml: Some(xml),
            });
        }
        let flags = if self.quiesce {
            sys::VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE
        } else {
            0
        };
        make(ctx, &self.domain, &xml, flags, journal)
    }
}

impl Verb for CheckpointCreate {
    type Ctx = Session;
    type Output = CheckpointCreated;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<CheckpointCreated> {
        let xml = match &self.xmlfile {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| Error::from(e).context(format!("checkpoint file {}", path.display())))?,
            None => "<domaincheckpoint/>".to_string(),
        };
        vnet_common::libvirt::xml::parse(&xml).map_err(|e| Error::invalid(format!("checkpoint XML: {e}")))?;
        let pairs = [
            (self.redefine, sys::VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE),
            (
                self.redefine_validate,
                sys::VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE,
            ),
            (self.quiesce, sys::VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE),
        ];
        let flags = pairs
            .iter()
            .filter(|(on, _)| *on)
            .fold(0, |acc, (_, bit)| acc | bit);
        make(ctx, &self.domain, &xml, flags, journal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_diskspecs() {
        let args = CheckpointCreateAs {
            domain: "d".into(),
            name: Some("c<1".into()),
            description: Some("a & b".into()),
            print_xml: true,
            quiesce: false,
            diskspec: vec![
                "vda,checkpoint=bitmap,bitmap=b1".into(),
                "vdb,checkpoint=no".into(),
            ],
        };
        let xml = args.document().unwrap();
        assert!(xml.contains("<name>c&lt;1</name>"), "{xml}");
        assert!(xml.contains("<description>a &amp; b</description>"), "{xml}");
        assert!(
            xml.contains("<disk name=\"vda\" checkpoint=\"bitmap\" bitmap=\"b1\"/>"),
            "{xml}"
        );
        assert_eq!(diskspec("vda,checkpoint=external").unwrap_err().exit_code(), 7);
        assert_eq!(diskspec("checkpoint=no").unwrap_err().exit_code(), 7);
    }
}
