//! snapshot-create-as's document: name, description, --memspec and --diskspec in virsh's
//! grammar, written as the <domainsnapshot> virsh sends to libvirt.

use serde::Serialize;
use vnet_common::libvirt::document;
use vnet_common::{Error, Result};

/// The <domainsnapshot> snapshot-create-as asks libvirt for.
#[derive(Debug, Default, Serialize)]
pub struct SnapshotSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<Memory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disks: Option<Disks>,
}

#[derive(Debug, Serialize)]
struct Memory {
    #[serde(rename = "@snapshot", skip_serializing_if = "Option::is_none")]
    snapshot: Option<String>,
    #[serde(rename = "@file", skip_serializing_if = "Option::is_none")]
    file: Option<String>,
}

#[derive(Debug, Serialize)]
struct Disks {
    disk: Vec<Disk>,
}

#[derive(Debug, Default, Serialize)]
struct Disk {
    #[serde(rename = "@name")]
    name: String,
    #[serde(rename = "@snapshot", skip_serializing_if = "Option::is_none")]
    snapshot: Option<String>,
    #[serde(rename = "@type", skip_serializing_if = "Option::is_none")]
    stype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    driver: Option<Driver>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
}

#[derive(Debug, Serialize)]
struct Source {
    #[serde(rename = "@file", skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(rename = "@dev", skip_serializing_if = "Option::is_none")]
    dev: Option<String>,
}

#[derive(Debug, Serialize)]
struct Driver {
    #[serde(rename = "@type")]
    kind: String,
}

impl SnapshotSpec {
    /// The document for `name`, `description`, a `--memspec` and the `--diskspec`s (a spec virsh
    /// cannot parse is exit 7 naming it, as virsh's "unable to parse").
    pub fn new(
        name: Option<String>,
        description: Option<String>,
        memspec: Option<&str>,
        diskspecs: &[String],
    ) -> Result<Self> {
        let disks = diskspecs.iter().map(|s| disk(s)).collect::<Result<Vec<_>>>()?;
        Ok(SnapshotSpec {
            name,
            description,
            memory: memspec.map(memory).transpose()?,
            disks: (!disks.is_empty()).then_some(Disks { disk: disks }),
        })
    }

    pub fn xml(&self) -> String {
        document::write("domainsnapshot", self, true)
    }
}

/// virsh's list syntax for a spec: fields split at commas, ",," a comma within one.
// Written here: the syntax is virsh's own (vshStringToArray), no crate has it.
fn fields(spec: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ',' if chars.peek() == Some(&',') => {
                chars.next();
                out.last_mut().expect("never empty").push(',');
            }
            ',' => out.push(String::new()),
            c => out.last_mut().expect("never empty").push(c),
        }
    }
    out
}

/// `--memspec [file=]PATH[,snapshot=TYPE]` (a bare field must be an absolute path).
fn memory(spec: &str) -> Result<Memory> {
    let mut mem = Memory {
        snapshot: None,
        file: None,
    };
    for field in fields(spec) {
        if let (None, Some(v)) = (&mem.snapshot, field.strip_prefix("snapshot=")) {
            mem.snapshot = Some(v.to_string());
        } else if let (None, Some(v)) = (&mem.file, field.strip_prefix("file=")) {
            mem.file = Some(v.to_string());
        } else if mem.file.is_none() && field.starts_with('/') {
            mem.file = Some(field);
        } else {
            return Err(unparsable("memspec", spec));
        }
    }
    Ok(mem)
}

/// `--diskspec DISK[,snapshot=TYPE][,driver=TYPE][,stype=TYPE][,file=PATH]`; stype=block names
/// a device (source dev=), any other a file.
fn disk(spec: &str) -> Result<Disk> {
    let mut fields = fields(spec).into_iter();
    let mut disk = Disk {
        name: fields
            .next()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| unparsable("diskspec", spec))?,
        ..Disk::default()
    };
    let (mut file, mut driver) = (None, None);
    for field in fields {
        let (key, value) = field
            .split_once('=')
            .ok_or_else(|| unparsable("diskspec", spec))?;
        let slot = match key {
            "snapshot" => &mut disk.snapshot,
            "driver" => &mut driver,
            "stype" => &mut disk.stype,
            "file" => &mut file,
            _ => return Err(unparsable("diskspec", spec)),
        };
        if slot.replace(value.to_string()).is_some() {
            return Err(unparsable("diskspec", spec));
        }
    }
    disk.driver = driver.map(|kind| Driver { kind });
    let block = disk.stype.as_deref() == Some("block");
    disk.source = file.map(|path| match block {
        true => Source {
            file: None,
            dev: Some(path),
        },
        false => Source {
            file: Some(path),
            dev: None,
        },
    });
    Ok(disk)
}

fn unparsable(what: &str, spec: &str) -> Error {
    Error::invalid(format!("unable to parse {what}: {spec}")).with_hint(format!(
        "see 'vnet-vm snapshot-create-as --help' for --{what}'s fields"
    ))
}
