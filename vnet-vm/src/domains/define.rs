//! A domain's definition: define and create from an XML file, and undefine (with what libvirt
//! keeps beside a definition, and the storage --remove-all-storage takes along).

use super::lookup::{lookup, resolve};
use crate::xml::domain::{read_head, XmlHead};
use schemars::JsonSchema;
use serde::Serialize;
use std::path::PathBuf;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lifecycle::{self, Undo};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, ErrorKind, Journal, Render, Result, TextStyle, Verb};

/// A domain defined or created from a file.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FromFile {
    pub name: String,
    pub uuid: String,
    /// False with --exist-ok when a domain of that name was there already (left as it was).
    pub changed: bool,
    /// True for a defined domain, false for a created (transient) one.
    pub persistent: bool,
    /// virsh's word for the state now.
    pub state: String,
    /// The XML file read.
    pub file: String,
    /// define: "created" (a new domain), "updated" (the file replaced an existing domain's
    /// persistent definition, as virsh define does) or "unchanged" (it already said the same).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<&'static str>,
    /// define: true when the domain runs on its old definition until it is restarted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_needed: Option<bool>,
    #[serde(skip)]
    #[schemars(skip)]
    done: &'static str,
}

impl Render for FromFile {
    fn text(&self, _style: TextStyle) -> String {
        if !self.changed {
            return String::new();
        }
        format!("Domain '{}' {} from {}\n", self.name, self.done, self.file)
    }
}

/// The file's XML and name, checked: missing file 3, not UTF-8 / too big / malformed 7.
fn read_definition(file: &std::path::Path) -> Result<(String, XmlHead)> {
    let xml = vnet_common::files::read_text(file, vnet_common::files::MAX_XML)?;
    let head = read_head(&xml).map_err(|e| e.context(quote(&file.display().to_string())))?;
    Ok((xml, head))
}

/// The domain whose own name is the file's (a definition names its domain: no ID or UUID lookup).
fn by_name(conn: &Connect, name: &str) -> Result<Option<Domain>> {
    match Domain::lookup_by_name(conn, name) {
        Ok(dom) => Ok(Some(dom)),
        Err(e) if e.code() == virt::error::ErrorNumber::NoDomain => Ok(None),
        Err(e) => Err(vnet_common::libvirt::error(e).context(format!("domain {}", quote(name)))),
    }
}

/// The existing domain of the file's name, when the file's UUID, if any, is the domain's
/// (another UUID is exit 4, as libvirt refuses it).
fn same_domain(conn: &Connect, head: &XmlHead) -> Result<Option<Domain>> {
    let Some(dom) = by_name(conn, &head.name)? else {
        return Ok(None);
    };
    let name = quote(&head.name);
    let uuid = dom.get_uuid_string().libvirt(format!("domain {name}"))?;
    if head.uuid.as_ref().is_some_and(|u| !u.eq_ignore_ascii_case(&uuid)) {
        return Err(Error::exists(format!(
            "domain {name} already exists with another UUID ({uuid})"
        )));
    }
    Ok(Some(dom))
}

/// An existing domain of the file's name: exit 4, or with --exist-ok the domain as it is (when
/// the file's UUID, if any, is the domain's).
fn existing(conn: &Connect, head: &XmlHead, exist_ok: bool) -> Result<Option<Domain>> {
    let dom = match lookup(conn, &head.name) {
        Ok(dom) => dom,
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let name = quote(&head.name);
    if !exist_ok {
        return Err(Error::exists(format!("domain {name} already exists"))
            .with_hint("use --exist-ok to accept it as it is, or undefine it first"));
    }
    let uuid = dom.get_uuid_string().libvirt(format!("domain {name}"))?;
    if head.uuid.as_ref().is_some_and(|u| !u.eq_ignore_ascii_case(&uuid)) {
        return Err(Error::exists(format!(
            "domain {name} already exists with another UUID ({uuid})"
        )));
    }
    Ok(Some(dom))
}

fn from_file(
    dom: &Domain,
    name: String,
    changed: bool,
    file: &std::path::Path,
    done: &'static str,
) -> Result<FromFile> {
    Ok(FromFile {
        uuid: dom.get_uuid_string().libvirt(format!("domain {name}"))?,
        persistent: dom.is_persistent().libvirt(format!("domain {name}"))?,
        state: crate::domains::lookup::state_of(dom).to_string(),
        changed,
        file: file.display().to_string(),
        definition: None,
        restart_needed: None,
        done,
        name,
    })
}

/// Define a domain from an XML file, or update its definition (virsh define).
///
/// The file is read as UTF-8 (at most 10 MiB) and must be one well-formed <domain> document with a
/// <name>: anything else is exit 7 before libvirt is asked (a missing file is 3). Over a domain of
/// that name it replaces the persistent definition, as virsh does ("definition": "updated"); a
/// running domain keeps running on its old definition until it is restarted ("restart_needed":
/// true). A file that says what the definition already says changes nothing ("changed": false,
/// "definition": "unchanged"); another UUID than the domain's is exit 4. Undone on a later
/// failure (--batch --atomic): a new domain is undefined again, an updated one gets its old
/// definition back.
#[derive(Debug, clap::Args)]
pub struct Define {
    /// The domain XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// Accepted for scripts that pass it: an identical definition is "changed": false either way.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// Have libvirt check the document against its domain schema first (virsh define
    /// --validate): a document the schema refuses is exit 7 with libvirt's reason, nothing
    /// defined.
    #[arg(long)]
    pub validate: bool,
}

impl Verb for Define {
    type Ctx = Session;
    type Output = FromFile;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<FromFile> {
        let (xml, head) = read_definition(&self.file)?;
        let conn = ctx.conn()?;
        let flags = if self.validate {
            sys::VIR_DOMAIN_DEFINE_VALIDATE
        } else {
            0
        };
        if let Some(dom) = same_domain(conn, &head)? {
            let xml = with_uuid(&dom, xml, &head)?;
            let new = Update {
                xml: &xml,
                flags,
                file: &self.file,
            };
            return update(conn, &dom, new, head.name, journal);
        }
        let name = head.name;
        let dom =
            Domain::define_xml_flags(conn, &xml, flags).libvirt(format!("define domain {}", quote(&name)))?;
        let undo = dom.clone();
        journal.record_fn(format!("define domain {name}"), move || {
            undo.undefine_flags(sys::VIR_DOMAIN_UNDEFINE_NVRAM)
                .libvirt("undefine the domain")
        })?;
        let mut out = from_file(&dom, name, true, &self.file, "defined")?;
        (out.definition, out.restart_needed) = (Some("created"), Some(false));
        Ok(out)
    }
}

/// A file without <uuid> names the domain by name alone: it gets the domain's own UUID (libvirt
/// would make up a new one and refuse it as another domain of the same name).
fn with_uuid(dom: &Domain, xml: String, head: &XmlHead) -> Result<String> {
    if head.uuid.is_some() {
        return Ok(xml);
    }
    let uuid = dom
        .get_uuid_string()
        .libvirt(format!("domain {}", quote(&head.name)))?;
    // A UUID libvirt printed is hex digits and hyphens only: safe as element text.
    vnet_common::libvirt::document::insert_into_child(&xml, "uuid", &uuid)
}

/// `xml` without its interfaces' `<mac address=.../>` lines when the file gave no MAC: libvirt
/// makes up a new one on every define of such a file, which is no change the file asked for.
fn without_made_up_macs(xml: &str, file_gives_macs: bool) -> String {
    if file_gives_macs {
        return xml.to_string();
    }
    xml.lines()
        .filter(|l| !l.trim_start().starts_with("<mac address="))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The inactive (persistent) definition libvirt holds for `dom`.
fn persistent_xml(dom: &Domain, name: &str) -> Result<String> {
    dom.get_xml_desc(sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_SECURE)
        .libvirt(format!("XML of domain {}", quote(name)))
}

/// The definition `update` writes: the document, libvirt's define flags, the file it came from.
struct Update<'a> {
    xml: &'a str,
    flags: u32,
    file: &'a std::path::Path,
}

/// virsh define over an existing domain: the file becomes its persistent definition. libvirt
/// reads the file as it reads every definition, so the definition read back before and after
/// tells whether anything changed; when nothing did, no step is recorded.
fn update(
    conn: &Connect,
    dom: &Domain,
    new: Update,
    name: String,
    journal: &mut Journal,
) -> Result<FromFile> {
    let Update { xml, flags, file } = new;
    let before = persistent_xml(dom, &name)?;
    let was_persistent = dom.is_persistent().libvirt(format!("domain {}", quote(&name)))?;
    let updated =
        Domain::define_xml_flags(conn, xml, flags).libvirt(format!("define domain {}", quote(&name)))?;
    let after = persistent_xml(&updated, &name)?;
    let file_gives_macs = xml.contains("<mac");
    let changed = !was_persistent
        || without_made_up_macs(&after, file_gives_macs) != without_made_up_macs(&before, file_gives_macs);
    if !changed && after != before {
        // Only the MACs libvirt made up differ: the domain keeps the ones it had.
        Domain::define_xml(conn, &before).libvirt(format!("define domain {} as it was", quote(&name)))?;
    }
    if changed {
        let (conn, undo) = (conn.clone(), updated.clone());
        journal.record_fn(format!("update domain {name}"), move || match was_persistent {
            true => Domain::define_xml(&conn, &before)
                .map(drop)
                .libvirt("define the domain again as it was"),
            // It was transient: undefining makes it so again.
            false => undo.undefine().libvirt("undefine the domain"),
        })?;
    }
    let running = updated.is_active().libvirt("domain state")?;
    let mut out = from_file(&updated, name, changed, file, "defined")?;
    out.definition = Some(if changed { "updated" } else { "unchanged" });
    out.restart_needed = Some(changed && running);
    Ok(out)
}

/// Create and start a transient domain from an XML file (virsh create).
///
/// The same checks as define. The domain is gone once it stops. --exist-ok accepts a running
/// domain of that name that already is what the file says (changed: false; one that differs is
/// exit 4 naming how). Undone on a later failure: the domain is destroyed.
#[derive(Debug, clap::Args)]
pub struct Create {
    /// The domain XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// Succeed (changed: false) when a running domain of that name already is what the file
    /// says (memory, vCPUs, kernel, disks, NICs); one that differs is exit 4 naming how.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// Have libvirt check the document against its domain schema first (virsh create
    /// --validate): a document the schema refuses is exit 7 with libvirt's reason, nothing
    /// started.
    #[arg(long)]
    pub validate: bool,
    /// Leave the new domain paused (virsh create --paused): its CPUs wait for `vnet-vm resume`.
    #[arg(long)]
    pub paused: bool,
    /// Destroy the domain when this command's connection to libvirt closes, that is when
    /// vnet-vm exits (as when virsh create --autodestroy exits); in --batch, at the batch's end.
    #[arg(long)]
    pub autodestroy: bool,
    /// Re-initialize a UEFI guest's NVRAM from its template before booting.
    #[arg(long)]
    pub reset_nvram: bool,
}

impl Create {
    /// libvirt's create flags for virsh's --validate, --paused, --autodestroy, --reset-nvram.
    fn flags(&self) -> u32 {
        let pairs = [
            (self.validate, sys::VIR_DOMAIN_START_VALIDATE),
            (self.paused, sys::VIR_DOMAIN_START_PAUSED),
            (self.autodestroy, sys::VIR_DOMAIN_START_AUTODESTROY),
            (self.reset_nvram, sys::VIR_DOMAIN_START_RESET_NVRAM),
        ];
        pairs.iter().filter(|(on, _)| *on).fold(0, |a, (_, b)| a | b)
    }
}

impl Verb for Create {
    type Ctx = Session;
    type Output = FromFile;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<FromFile> {
        let (xml, head) = read_definition(&self.file)?;
        let conn = ctx.conn()?;
        if let Some(dom) = existing(conn, &head, self.exist_ok)? {
            if !dom.is_active().libvirt("domain state")? {
                return Err(Error::exists(format!(
                    "domain {} is already defined (shut off)",
                    quote(&head.name)
                ))
                .with_hint(format!("start it: vnet-vm start {}", head.name)));
            }
            let live = dom
                .get_xml_desc(0)
                .libvirt(format!("XML of domain {}", quote(&head.name)))?;
            let differences = super::same::differences(&xml, &live)?;
            if !differences.is_empty() {
                return Err(Error::exists(format!(
                    "domain {} is running, but not as the file says: {}",
                    quote(&head.name),
                    differences.join("; ")
                ))
                .with_hint("destroy it first to create it from this file"));
            }
            let out = from_file(&dom, head.name, false, &self.file, "created")?;
            if self.paused && out.state != "paused" {
                return Err(Error::exists(format!(
                    "domain {} is {}, not paused as --paused asks",
                    quote(&out.name),
                    out.state
                ))
                .with_hint(format!("suspend it: vnet-vm suspend {}", out.name)));
            }
            return Ok(out);
        }
        let name = head.name;
        let dom = Domain::create_xml(conn, &xml, self.flags())
            .libvirt(format!("create domain {}", quote(&name)))?;
        let undo = dom.clone();
        journal.record_fn(format!("create domain {name}"), move || {
            undo.destroy().libvirt("destroy the domain")
        })?;
        from_file(&dom, name, true, &self.file, "created")
    }
}

/// Remove a domain's definition (virsh undefine).
///
/// With --remove-all-storage also deletes its disk volumes and the kernels and initrds install
/// copied or uploaded to /var/lib/libvirt/boot, all found and deleted through libvirt as storage
/// volumes of the host the connection points at (with -c REMOTE: of the remote host; nothing on
/// the machine running vnet-vm is ever touched). A disk file that is no storage volume is left in
/// place and listed in "not_removed", as virsh does. Deletions cannot be undone.
#[derive(Debug, clap::Args)]
pub struct Undefine {
    pub name: String,
    /// Also delete the domain's disk volumes and copied kernels (the domain must be shut off).
    #[arg(long)]
    pub remove_all_storage: bool,
    /// Succeed (changed: false) when the domain does not exist.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
    #[command(flatten)]
    pub keep: crate::domains::define::UndefineFlags,
    #[command(flatten)]
    pub storage: StorageChoice,
}

/// virsh undefine's choice of storage beside --remove-all-storage.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StorageChoice {
    /// Also delete these disks' volumes: targets or source paths, comma separated (virsh
    /// --storage vda,/var/lib/libvirt/images/b.img; as domblklist names them). A name the
    /// domain has no disk for is exit 3 before anything changes; a disk that is no storage
    /// volume is left in place and listed in "not_removed".
    #[arg(
        long,
        value_name = "TARGETS",
        value_delimiter = ',',
        conflicts_with = "remove_all_storage"
    )]
    pub storage: Vec<String>,
    /// Overwrite each deleted volume's data with zeros first (libvirt's volume wipe).
    #[arg(long)]
    pub wipe_storage: bool,
    /// Delete the volumes' own snapshots too (libvirt's DELETE_WITH_SNAPSHOTS; the storage
    /// driver must support it).
    /// Needs --remove-all-storage (exit 2 without it, as virsh refuses it).
    #[arg(long)]
    pub delete_storage_volume_snapshots: bool,
}

/// Each disk's target (vda) and file or device, as domblklist lists them.
fn disk_targets(xml: &str) -> Result<Vec<(String, Option<String>)>> {
    let domain =
        vnet_common::libvirt::xml::parse(xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
    let disks = domain.all(&["devices", "disk"]).into_iter().map(|d| {
        let target = d.child("target").and_then(|t| t.attr_string("dev"));
        let source = d
            .child("source")
            .and_then(|s| ["file", "dev"].iter().find_map(|k| s.attr_string(k)));
        (target.unwrap_or_default(), source)
    });
    Ok(disks.collect())
}

impl StorageChoice {
    /// The disk files --storage names, each found by target or source in `xml`; exit 3 for a
    /// name the domain has no disk for.
    fn chosen(&self, xml: &str, name: &str) -> Result<Vec<String>> {
        let disks = disk_targets(xml)?;
        let mut files = Vec::new();
        for wanted in &self.storage {
            let (_, source) = disks
                .iter()
                .find(|(target, source)| target == wanted || source.as_deref() == Some(wanted.as_str()))
                .ok_or_else(|| {
                    Error::not_found(format!(
                        "volume {} was not found for domain {}",
                        quote(wanted),
                        quote(name)
                    ))
                    .with_hint(format!("its disks: vnet-vm domblklist {name} --inactive"))
                })?;
            files.extend(source.clone());
        }
        Ok(files)
    }

    fn removal(&self) -> crate::storage::target::Deletion {
        crate::storage::target::Deletion {
            wipe: self.wipe_storage,
            with_snapshots: self.delete_storage_volume_snapshots,
        }
    }
}

/// What `undefine` removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Undefined {
    pub name: String,
    /// False with --missing-ok when there was no such domain (the lists are then absent).
    pub changed: bool,
    /// Disk volumes deleted (--remove-all-storage).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_volumes: Option<Vec<String>>,
    /// Copied or uploaded kernels, initrds and ISOs deleted (--remove-all-storage), as volumes
    /// of the target host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_files: Option<Vec<String>>,
    /// Paths the domain used that were left in place (--remove-all-storage): not storage
    /// volumes of the target host, or their deletion failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_removed: Option<Vec<NotRemoved>>,
}

/// A path undefine --remove-all-storage left in place.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NotRemoved {
    /// The path on the target host.
    pub path: String,
    /// Why it was left.
    pub reason: String,
}

impl Render for Undefined {
    fn text(&self, _style: TextStyle) -> String {
        if !self.changed {
            return String::new();
        }
        let mut text = String::new();
        for v in self.removed_volumes.iter().flatten() {
            text.push_str(&format!("Volume '{v}' removed.\n"));
        }
        for kept in self.not_removed.iter().flatten() {
            text.push_str(&format!(
                "Storage '{}' is not managed by libvirt ({}). Remove it manually.\n",
                kept.path, kept.reason
            ));
        }
        text.push_str(&format!("Domain '{}' has been undefined\n", self.name));
        text
    }
}

impl Verb for Undefine {
    type Ctx = Session;
    type Output = Undefined;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Undefined> {
        if self.storage.delete_storage_volume_snapshots && !self.remove_all_storage {
            return Err(Error::new(
                ErrorKind::Usage,
                "--delete-storage-volume-snapshots requires --remove-all-storage",
            ));
        }
        let mut name = self.name;
        let conn = ctx.conn()?;
        let dom = match resolve(conn, &mut name) {
            Err(e) if self.missing_ok && e.kind == ErrorKind::NotFound => {
                return Ok(Undefined {
                    name,
                    changed: false,
                    removed_volumes: None,
                    removed_files: None,
                    not_removed: None,
                })
            }
            other => other?,
        };
        let xml = dom
            .get_xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)
            .libvirt("domain XML")?;
        let mut facts =
            crate::xml::domain::domain_facts(&xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
        let some_storage = !self.storage.storage.is_empty();
        if some_storage {
            // Only the disks named: no boot copies (virsh --storage touches only those).
            facts = crate::xml::domain::DomainFacts {
                disk_files: self.storage.chosen(&xml, &name)?,
                ..Default::default()
            };
        }
        let remove = self.remove_all_storage || some_storage;
        if remove && dom.is_active().libvirt("domain state")? {
            return Err(
                Error::exists(format!("domain {name} is running: its storage is in use"))
                    .with_hint(format!("stop it first: vnet-vm destroy {name}")),
            );
        }
        let flags = self.keep.flags();
        let explain = |e| self.keep.explain(e, &name);
        lifecycle::undefine_explained(&dom, &name, flags, Undo::Irreversible, journal, explain)?;
        vnet_common::libvirt::forwards::domain_undefined(conn, &dom)?;
        let removed = if remove {
            Some(remove_storage(conn, &facts, self.storage.removal(), journal)?)
        } else {
            None
        };
        let (volumes, files, kept) = match removed {
            Some((v, f, k)) => (Some(v), Some(f), Some(k)),
            None => (Some(vec![]), Some(vec![]), None),
        };
        Ok(Undefined {
            name,
            changed: true,
            removed_volumes: volumes,
            removed_files: files,
            not_removed: kept,
        })
    }
}

/// undefine --remove-all-storage: the disk volumes, and the kernels install copied or uploaded
/// (they belong to the domain too), each found and deleted as a storage volume of the target
/// host through the connection. Returns the volumes and boot files deleted and what was kept.
type Removed = (Vec<String>, Vec<String>, Vec<NotRemoved>);

fn remove_storage(
    conn: &Connect,
    facts: &crate::xml::domain::DomainFacts,
    how: crate::storage::target::Deletion,
    journal: &mut Journal,
) -> Result<Removed> {
    use crate::storage::target::{remove_volume_with, Removal};
    let (mut volumes, mut files, mut kept) = (Vec::new(), Vec::new(), Vec::new());
    // The kernel and initrd, and an ISO install uploaded (a CD-ROM in the boot directory named
    // as install names its copies; the cloud-init seed is already among the disk files).
    let boot = [&facts.kernel, &facts.initrd]
        .into_iter()
        .flatten()
        .chain(
            facts
                .cdrom_files
                .iter()
                .filter(|p| facts.seed.as_ref() != Some(*p)),
        )
        .filter(|p| crate::storage::paths::is_boot_copy(p));
    let all = facts
        .disk_files
        .iter()
        .map(|p| (p, false))
        .chain(boot.map(|p| (p, true)));
    for (path, is_boot) in all {
        match remove_volume_with(conn, path, how) {
            Removal::Removed => {
                journal.irreversible(format!("delete volume {path}"))?;
                match is_boot {
                    true => files.push(path.clone()),
                    false => volumes.push(path.clone()),
                }
            }
            Removal::Kept(reason) => kept.push(NotRemoved {
                path: path.clone(),
                reason,
            }),
        }
    }
    Ok((volumes, files, kept))
}

/// undefine's flags for what libvirt keeps beside a definition.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct UndefineFlags {
    /// Also remove the UEFI NVRAM file (a UEFI guest that has run cannot be undefined without
    /// --nvram or --keep-nvram: exit 4).
    #[arg(long, conflicts_with = "keep_nvram")]
    pub nvram: bool,
    /// Keep the UEFI NVRAM file.
    #[arg(long)]
    pub keep_nvram: bool,
    /// Also remove the managed save image (without it, a domain with one is exit 4).
    #[arg(long)]
    pub managed_save: bool,
    /// Also remove snapshot metadata (without it, a domain with snapshots is exit 4).
    #[arg(long)]
    pub snapshots_metadata: bool,
    /// Also remove checkpoint metadata.
    #[arg(long)]
    pub checkpoints_metadata: bool,
    /// Also remove the emulated TPM's state.
    #[arg(long, conflicts_with = "keep_tpm")]
    pub tpm: bool,
    /// Keep the emulated TPM's state.
    #[arg(long)]
    pub keep_tpm: bool,
}

impl UndefineFlags {
    pub fn flags(&self) -> sys::virDomainUndefineFlagsValues {
        [
            (self.nvram, sys::VIR_DOMAIN_UNDEFINE_NVRAM),
            (self.keep_nvram, sys::VIR_DOMAIN_UNDEFINE_KEEP_NVRAM),
            (self.managed_save, sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE),
            (
                self.snapshots_metadata,
                sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
            ),
            (
                self.checkpoints_metadata,
                sys::VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA,
            ),
            (self.tpm, sys::VIR_DOMAIN_UNDEFINE_TPM),
            (self.keep_tpm, sys::VIR_DOMAIN_UNDEFINE_KEEP_TPM),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .fold(0, |flags, (_, flag)| flags | flag)
    }

    /// libvirt's refusal to undefine (nothing was changed) in our words: exit 4 with the flag
    /// that allows it.
    pub fn explain(&self, e: virt::error::Error, name: &str) -> Error {
        let message = e.message().to_ascii_lowercase();
        let what = format!("undefine domain {}", quote(name));
        let refusal =
            |why: &str, hint: &str| Error::exists(format!("{what}: {why}")).with_hint(hint.to_string());
        if message.contains("nvram") {
            refusal(
                "it has a UEFI NVRAM file",
                "add --nvram to remove it too (or --keep-nvram to keep the file)",
            )
        } else if message.contains("managed save") {
            refusal(
                "it has a managed save image",
                "add --managed-save to remove it too",
            )
        } else if message.contains("snapshot") {
            refusal(
                "it has snapshots",
                "add --snapshots-metadata to remove their metadata too",
            )
        } else {
            vnet_common::libvirt::error(e).context(what)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefine_flags() {
        let all = UndefineFlags {
            nvram: true,
            keep_nvram: false,
            managed_save: true,
            snapshots_metadata: true,
            checkpoints_metadata: true,
            tpm: true,
            keep_tpm: false,
        };
        assert_eq!(all.flags(), 1 | 2 | 4 | 16 | 32);
        assert_eq!(UndefineFlags::default().flags(), 0);
    }

    fn define(session: &mut Session, file: &std::path::Path) -> FromFile {
        let verb = Define {
            file: file.to_path_buf(),
            exist_ok: false,
            validate: false,
        };
        verb.run(session, &mut Journal::new()).unwrap()
    }

    /// virsh define over an existing domain: created, then unchanged, then updated (a running
    /// domain keeps its old definition until restarted); the undo restores the old definition.
    #[test]
    fn define_creates_then_updates_as_virsh_does() {
        let mut session = crate::testing::session();
        let dir = std::env::temp_dir().join(format!("vnet-define-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("d.xml");
        let xml = |kib: u32| {
            format!("<domain type='test'><name>t-redefine</name><memory>{kib}</memory><os><type>hvm</type></os></domain>")
        };
        std::fs::write(&file, xml(8192)).unwrap();
        let first = define(&mut session, &file);
        assert_eq!((first.changed, first.definition), (true, Some("created")));
        let again = define(&mut session, &file);
        assert_eq!((again.changed, again.definition), (false, Some("unchanged")));
        assert_eq!(again.restart_needed, Some(false));

        let dom = Domain::lookup_by_name(session.conn().unwrap(), "t-redefine").unwrap();
        dom.create().unwrap();
        std::fs::write(&file, xml(16384)).unwrap();
        let mut journal = Journal::new();
        let verb = Define {
            file: file.clone(),
            exist_ok: true,
            validate: true,
        };
        let updated = verb.run(&mut session, &mut journal).unwrap();
        assert_eq!((updated.changed, updated.definition), (true, Some("updated")));
        assert_eq!(
            (updated.restart_needed, updated.state.as_str()),
            (Some(true), "running")
        );
        assert_eq!(updated.uuid, dom.get_uuid_string().unwrap());
        let memory = |d: &Domain| persistent_xml(d, "t-redefine").unwrap().contains("16384");
        assert!(memory(&dom));
        futures::executor::block_on(journal.rollback());
        assert!(!memory(&dom), "the undo defines the old definition again");
        dom.destroy().unwrap();
        dom.undefine().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
