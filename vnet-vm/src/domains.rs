//! The virsh domain verbs: list, start, shutdown, destroy, undefine, dumpxml.

use schemars::JsonSchema;
use serde::Serialize;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::table;
use vnet_common::{Error, ErrorKind, Journal, Render, Result, TextStyle, Verb};

/// virsh's word for a domain state.
pub fn state_name(state: sys::virDomainState) -> &'static str {
    match state {
        sys::VIR_DOMAIN_RUNNING => "running",
        sys::VIR_DOMAIN_BLOCKED => "idle",
        sys::VIR_DOMAIN_PAUSED => "paused",
        sys::VIR_DOMAIN_SHUTDOWN => "in shutdown",
        sys::VIR_DOMAIN_SHUTOFF => "shut off",
        sys::VIR_DOMAIN_CRASHED => "crashed",
        sys::VIR_DOMAIN_PMSUSPENDED => "pmsuspended",
        _ => "no state",
    }
}

pub fn state_of(dom: &Domain) -> &'static str {
    dom.get_state().map(|(s, _)| state_name(s)).unwrap_or("no state")
}

pub fn lookup(conn: &Connect, name: &str) -> Result<Domain> {
    Domain::lookup_by_name(conn, name).map_err(|e| match e.code() {
        virt::error::ErrorNumber::NoDomain => Error::not_found(format!("domain {name} not found")),
        _ => vnet_common::libvirt::error(e).context(format!("domain {name}")),
    })
}

/// virsh's confirmation line in text mode when something changed; nothing otherwise.
fn confirmation(changed: bool, line: String) -> String {
    if changed {
        line
    } else {
        String::new()
    }
}

/// List domains (virsh list).
///
/// Running domains by id, then inactive ones by name (virsh's order).
#[derive(Debug, clap::Args)]
pub struct List {
    /// Include inactive domains.
    #[arg(long)]
    pub all: bool,
    /// Names only, one per line (virsh list --name), for `for vm in $(vnet-vm list --name)`;
    /// -o json still prints the full objects.
    #[arg(long)]
    pub name: bool,
    /// Only the domains tagged LABEL (install --tag).
    #[arg(long, value_name = "LABEL")]
    pub tag: Option<String>,
}

/// One domain of `list`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainRow {
    /// The running domain's id; null when inactive.
    pub id: Option<u32>,
    pub name: String,
    /// virsh's word: running, idle, paused, in shutdown, shut off, crashed, pmsuspended.
    pub state: String,
    pub uuid: String,
    /// The domain's tag (install --tag), absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// The domains `list` found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct DomainList(
    pub Vec<DomainRow>,
    /// With --name: the names, one per line, as virsh prints them (the document printed).
    #[serde(skip)]
    #[schemars(skip)]
    pub Option<String>,
);

impl Render for DomainList {
    fn document(&self) -> Option<&str> {
        self.1.as_deref()
    }

    fn text(&self, style: TextStyle) -> String {
        if let Some(names) = &self.1 {
            return names.clone();
        }
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|d| {
                let id = d.id.map_or("-".into(), |i| i.to_string());
                vec![id, d.name.clone(), d.state.clone()]
            })
            .collect();
        table::render(&["Id", "Name", "State"], &rows, style)
    }
}

impl Verb for List {
    type Ctx = Session;
    type Output = DomainList;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<DomainList> {
        vnet_common::tags::check(self.tag.as_deref())?;
        let mut flags = sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE;
        if self.all {
            flags |= sys::VIR_CONNECT_LIST_DOMAINS_INACTIVE;
        }
        let domains = ctx.conn()?.list_all_domains(flags).libvirt("list domains")?;
        let mut rows: Vec<DomainRow> = domains
            .iter()
            .map(|d| DomainRow {
                id: d.get_id().filter(|&id| id != u32::MAX),
                name: d.get_name().unwrap_or_default(),
                state: state_of(d).to_string(),
                uuid: d.get_uuid_string().unwrap_or_default(),
                tag: vnet_common::tags::libvirt::domain_tag(d),
            })
            .collect();
        rows.retain(|r| self.tag.is_none() || r.tag == self.tag);
        rows.sort_by(|a, b| (a.id.is_none(), a.id, &a.name).cmp(&(b.id.is_none(), b.id, &b.name)));
        let names = self.name.then(|| crate::lifecycle::names_document(&rows));
        Ok(DomainList(rows, names))
    }
}

/// Start a defined domain (virsh start).
#[derive(Debug, clap::Args)]
pub struct Start {
    pub name: String,
}

/// The domain after `start`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Started {
    pub name: String,
    /// False when it was running already.
    pub changed: bool,
    /// virsh's word for the state now.
    pub state: String,
    /// The running domain's id.
    pub id: Option<u32>,
}

impl Render for Started {
    fn text(&self, _style: TextStyle) -> String {
        confirmation(self.changed, format!("Domain '{}' started\n", self.name))
    }
}

impl Verb for Start {
    type Ctx = Session;
    type Output = Started;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Started> {
        let name = self.name;
        let dom = lookup(ctx.conn()?, &name)?;
        let changed = !dom.is_active().libvirt("domain state")?;
        if changed {
            dom.create().libvirt(format!("start domain {name}"))?;
            let started = dom.clone();
            journal.record_fn(format!("start domain {name}"), move || {
                started.destroy().libvirt("destroy the domain")
            })?;
        }
        Ok(Started {
            changed,
            state: state_of(&dom).to_string(),
            id: dom.get_id(),
            name,
        })
    }
}

/// A domain after `shutdown` or `destroy`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Stopped {
    pub name: String,
    /// False when it was not running.
    pub changed: bool,
    /// virsh's word for the state now (a guest asked to shut down may still be running).
    pub state: String,
    /// shutdown --timeout --force: true when the guest did not power off in time and was destroyed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forced: Option<bool>,
    /// virsh's confirmation, printed with -o text when something changed.
    #[serde(skip)]
    #[schemars(skip)]
    done: String,
}

impl Render for Stopped {
    fn text(&self, _style: TextStyle) -> String {
        let forced = match self.forced {
            Some(true) => format!("Domain '{}' destroyed\n", self.name),
            _ => String::new(),
        };
        confirmation(
            self.changed,
            format!("Domain '{}' {}\n{forced}", self.name, self.done),
        )
    }
}

/// Ask the guest to shut down (ACPI power button; virsh shutdown).
///
/// With --timeout SECS, wait for it to power off; with --force too, destroy it if it has not by
/// then (a guest that ignores ACPI).
#[derive(Debug, clap::Args)]
pub struct Shutdown {
    pub name: String,
    #[command(flatten)]
    pub wait: crate::lifecycle::ShutdownWait,
}

impl Verb for Shutdown {
    type Ctx = Session;
    type Output = Stopped;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Stopped> {
        let how = StopHow {
            what: "shut down",
            done: "is being shutdown",
        };
        let name = self.name.clone();
        let mut out = stop(ctx, journal, self.name, how, |dom| dom.shutdown().map(drop))?;
        if out.changed && self.wait.timeout.is_some() {
            let dom = lookup(ctx.conn()?, &name)?;
            out.forced = Some(crate::lifecycle::wait_shut_off(&dom, &name, &self.wait, journal)?);
            out.state = state_of(&dom).to_string();
        }
        Ok(out)
    }
}

/// Stop a domain at once (virsh destroy).
#[derive(Debug, clap::Args)]
pub struct Destroy {
    pub name: String,
    #[command(flatten)]
    pub flags: crate::lifecycle::DestroyFlags,
}

impl Verb for Destroy {
    type Ctx = Session;
    type Output = Stopped;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Stopped> {
        let how = StopHow {
            what: "destroy",
            done: "destroyed",
        };
        let flags = self.flags.flags();
        stop(ctx, journal, self.name, how, |dom| {
            dom.destroy_flags(flags).map(drop)
        })
    }
}

/// The words of one stop verb: what it does, and virsh's confirmation.
struct StopHow {
    what: &'static str,
    done: &'static str,
}

/// shutdown and destroy: act on a running domain only; one that is not running is changed:false.
/// Stopping cannot be undone (the guest's memory is gone), so it is recorded as irreversible.
fn stop(
    ctx: &mut Session,
    journal: &mut Journal,
    name: String,
    how: StopHow,
    act: impl FnOnce(&Domain) -> std::result::Result<(), virt::error::Error>,
) -> Result<Stopped> {
    let dom = lookup(ctx.conn()?, &name)?;
    let changed = dom.is_active().libvirt("domain state")?;
    if changed {
        act(&dom).libvirt(format!("{} domain {name}", how.what))?;
        journal.irreversible(format!("{} domain {name}", how.what))?;
    }
    Ok(Stopped {
        changed,
        state: state_of(&dom).to_string(),
        forced: None,
        done: how.done.to_string(),
        name,
    })
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
    pub keep: crate::lifecycle::UndefineFlags,
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
        let name = self.name;
        let conn = ctx.conn()?;
        let dom = match lookup(conn, &name) {
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
        let facts = crate::xml::domain_facts(&xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
        if self.remove_all_storage && dom.is_active().libvirt("domain state")? {
            return Err(
                Error::exists(format!("domain {name} is running: its storage is in use"))
                    .with_hint(format!("stop it first: vnet-vm destroy {name}")),
            );
        }
        dom.undefine_flags(self.keep.flags())
            .map_err(|e| self.keep.explain(e, &name))?;
        journal.irreversible(format!("undefine domain {name}"))?;
        vnet_common::libvirt::forwards::domain_undefined(conn, &dom)?;
        let removed = if self.remove_all_storage {
            Some(remove_storage(conn, &facts, journal)?)
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

fn remove_storage(conn: &Connect, facts: &crate::xml::DomainFacts, journal: &mut Journal) -> Result<Removed> {
    use crate::target::{remove_volume, Removal};
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
        .filter(|p| crate::location::is_boot_copy(p));
    let all = facts
        .disk_files
        .iter()
        .map(|p| (p, false))
        .chain(boot.map(|p| (p, true)));
    for (path, is_boot) in all {
        match remove_volume(conn, path) {
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

/// Print a domain's XML (virsh dumpxml).
///
/// Prints the XML document itself, as virsh does; -o json gives {"name", "xml"}.
#[derive(Debug, clap::Args)]
pub struct Dumpxml {
    pub name: String,
    /// The persistent definition rather than the live XML.
    #[arg(long)]
    pub inactive: bool,
}

/// A domain's XML.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainXml {
    pub name: String,
    /// The domain XML as libvirt gives it.
    pub xml: String,
}

impl Render for DomainXml {
    fn text(&self, _style: TextStyle) -> String {
        self.xml.clone()
    }

    fn document(&self) -> Option<&str> {
        Some(&self.xml)
    }
}

impl Verb for Dumpxml {
    type Ctx = Session;
    type Output = DomainXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<DomainXml> {
        let dom = lookup(ctx.conn()?, &self.name)?;
        let flags = if self.inactive {
            sys::VIR_DOMAIN_XML_INACTIVE
        } else {
            0
        };
        let xml = dom
            .get_xml_desc(flags)
            .libvirt(format!("XML of domain {}", self.name))?;
        Ok(DomainXml { name: self.name, xml })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vnet_common::libvirt::ConnectArgs;

    fn session() -> Session {
        let args = ConnectArgs {
            connect: Some("test:///default".into()),
            ..Default::default()
        };
        Session::new(&args, false)
    }

    fn run<V: Verb<Ctx = Session>>(ctx: &mut Session, verb: V) -> Result<V::Output> {
        verb.run(ctx, &mut Journal::new())
    }

    fn start(ctx: &mut Session, name: &str) -> Result<Started> {
        run(ctx, Start { name: name.into() })
    }

    fn destroy(ctx: &mut Session, name: &str) -> Result<Stopped> {
        let flags = Default::default();
        run(
            ctx,
            Destroy {
                name: name.into(),
                flags,
            },
        )
    }

    #[test]
    fn list_shapes_json_and_text() {
        let out = run(
            &mut session(),
            List {
                all: true,
                name: false,
                tag: None,
            },
        )
        .unwrap();
        // test:///default is shared by this process's tests: others may define domains beside
        // "test" or restart it while this one runs.
        let first = out
            .0
            .iter()
            .find(|d| d.name == "test")
            .expect("the test driver's domain");
        assert!(first.id.is_some() || first.state == "shut off", "{first:?}");
        assert_eq!(first.uuid.len(), 36);
        let json = serde_json::to_value(&out).unwrap();
        assert!(json[0].get("id").is_some(), "{json}");
        let text = out.text(TextStyle::default());
        assert!(
            text.starts_with(" Id   Name") && text.contains("State\n------"),
            "{text}"
        );
        assert!(text.contains("   test   "), "{text}");
        let quiet = out.text(TextStyle { headers: false });
        assert!(quiet.starts_with(' ') && !quiet.contains("----"), "{quiet}");
    }

    #[test]
    fn lifecycle_is_idempotent_and_missing_is_not_found() {
        // test:///default keeps its state while a connection to it is open: one session.
        let ctx = &mut session();
        assert!(!start(ctx, "test").unwrap().changed);
        assert!(destroy(ctx, "test").unwrap().changed);
        assert_eq!(destroy(ctx, "test").unwrap().state, "shut off");
        assert!(start(ctx, "test").unwrap().changed);
        assert_eq!(start(ctx, "nope").unwrap_err().exit_code(), 3);
        let gone = run(
            ctx,
            Undefine {
                name: "nope".into(),
                remove_all_storage: false,
                missing_ok: true,
                keep: Default::default(),
            },
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&gone).unwrap(),
            serde_json::json!({"name": "nope", "changed": false})
        );
        let xml = run(
            ctx,
            Dumpxml {
                name: "test".into(),
                inactive: false,
            },
        )
        .unwrap();
        assert!(xml.document().unwrap().starts_with("<domain"));
    }

    #[test]
    fn a_failed_later_step_destroys_what_start_started() {
        // test:///default is shared by this process's tests: this one uses a domain of its own.
        let mut ctx = session();
        let xml = "<domain type='test'><name>vnet-undo-start</name><memory>8192</memory>\
                   <os><type>hvm</type></os></domain>";
        let dom = Domain::define_xml(ctx.conn().unwrap(), xml).unwrap();
        let mut journal = Journal::new();
        let started = Start {
            name: "vnet-undo-start".into(),
        }
        .run(&mut ctx, &mut journal)
        .unwrap();
        assert!(started.changed && started.state == "running", "{started:?}");
        let report = futures::executor::block_on(journal.rollback());
        assert_eq!(report.undone, ["start domain vnet-undo-start"]);
        assert_eq!(state_of(&dom), "shut off");
        dom.undefine().unwrap();
    }
}
