//! The virsh domain lifecycle verbs beyond start/shutdown/destroy: define and create from an XML
//! file, dominfo, domstate, autostart, reboot, suspend and resume; and the waiting, forcing and
//! undefine flags that domains.rs's shutdown, destroy and undefine take from here.

use crate::domains::{lookup, state_name};
use crate::xml::domain::{read_head, XmlHead};
use schemars::JsonSchema;
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{signals, Error, ErrorKind, Journal, Render, Result, TextStyle, Verb};

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
        state: crate::domains::state_of(dom).to_string(),
        changed,
        file: file.display().to_string(),
        done,
        name,
    })
}

/// Define a domain from an XML file (virsh define).
///
/// The file is read as UTF-8 (at most 10 MiB) and must be one well-formed <domain> document with a
/// <name>: anything else is exit 7 before libvirt is asked (a missing file is 3). A domain of that
/// name already defined is exit 4 (virsh would replace its definition): --exist-ok accepts it as
/// it is (changed: false; its definition is not compared or changed), unless the file gives
/// another UUID. Undone on a later failure (--batch --atomic): the domain is undefined again.
#[derive(Debug, clap::Args)]
pub struct Define {
    /// The domain XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// Succeed (changed: false) when a domain of that name exists.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
}

impl Verb for Define {
    type Ctx = Session;
    type Output = FromFile;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<FromFile> {
        let (xml, head) = read_definition(&self.file)?;
        let conn = ctx.conn()?;
        if let Some(dom) = existing(conn, &head, self.exist_ok)? {
            return from_file(&dom, head.name, false, &self.file, "defined");
        }
        let name = head.name;
        let dom = Domain::define_xml(conn, &xml).libvirt(format!("define domain {}", quote(&name)))?;
        let undo = dom.clone();
        journal.record_fn(format!("define domain {name}"), move || {
            undo.undefine_flags(sys::VIR_DOMAIN_UNDEFINE_NVRAM)
                .libvirt("undefine the domain")
        })?;
        from_file(&dom, name, true, &self.file, "defined")
    }
}

/// Create and start a transient domain from an XML file (virsh create).
///
/// The same checks as define. The domain is gone once it stops. --exist-ok accepts a running
/// domain of that name (changed: false). Undone on a later failure: the domain is destroyed.
#[derive(Debug, clap::Args)]
pub struct Create {
    /// The domain XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// Succeed (changed: false) when a running domain of that name exists.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
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
            return from_file(&dom, head.name, false, &self.file, "created");
        }
        let name = head.name;
        let dom = Domain::create_xml(conn, &xml, 0).libvirt(format!("create domain {}", quote(&name)))?;
        let undo = dom.clone();
        journal.record_fn(format!("create domain {name}"), move || {
            undo.destroy().libvirt("destroy the domain")
        })?;
        from_file(&dom, name, true, &self.file, "created")
    }
}

/// Basic information about a domain (virsh dominfo).
///
/// -o text prints virsh's layout line for line.
#[derive(Debug, clap::Args)]
pub struct Dominfo {
    pub name: String,
}

/// A domain's basic information, as virsh dominfo shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainInfo {
    /// The running domain's id; null when inactive.
    pub id: Option<u32>,
    pub name: String,
    pub uuid: String,
    /// The guest OS type (hvm for full virtualization).
    pub os_type: String,
    /// virsh's word: running, idle, paused, in shutdown, shut off, crashed, pmsuspended.
    pub state: String,
    /// Virtual CPUs.
    pub cpus: u32,
    /// CPU time used, in seconds; null when none (an inactive domain).
    pub cpu_time_secs: Option<f64>,
    /// Maximum memory in KiB; null for no limit.
    pub max_memory_kib: Option<u64>,
    /// Memory in use (or configured, when inactive) in KiB.
    pub used_memory_kib: u64,
    /// False for a transient (created) domain.
    pub persistent: bool,
    /// Started when libvirtd starts.
    pub autostart: bool,
    /// A managed save image exists (start resumes from it).
    pub managed_save: bool,
    /// The host's security model (none, selinux, apparmor...); null when the driver has none.
    pub security_model: Option<String>,
    /// The security model's DOI.
    pub security_doi: Option<String>,
    /// The running domain's security label, with its mode; null when none.
    pub security_label: Option<String>,
}

impl Render for DomainInfo {
    fn text(&self, _style: TextStyle) -> String {
        let mut lines: Vec<(&str, String)> = vec![
            ("Id:", self.id.map_or("-".into(), |i| i.to_string())),
            ("Name:", self.name.clone()),
            ("UUID:", self.uuid.clone()),
            ("OS Type:", self.os_type.clone()),
            ("State:", self.state.clone()),
            ("CPU(s):", self.cpus.to_string()),
        ];
        if let Some(t) = self.cpu_time_secs {
            lines.push(("CPU time:", format!("{t:.1}s")));
        }
        lines.push((
            "Max memory:",
            self.max_memory_kib
                .map_or("no limit".into(), |m| format!("{m} KiB")),
        ));
        lines.push(("Used memory:", format!("{} KiB", self.used_memory_kib)));
        lines.push(("Persistent:", yes_no(self.persistent).into()));
        let autostart = if self.autostart { "enable" } else { "disable" };
        lines.push(("Autostart:", autostart.into()));
        lines.push(("Managed save:", yes_no(self.managed_save).into()));
        if let Some(model) = &self.security_model {
            lines.push(("Security model:", model.clone()));
            lines.push(("Security DOI:", self.security_doi.clone().unwrap_or_default()));
            if let Some(label) = &self.security_label {
                lines.push(("Security label:", label.clone()));
            }
        }
        let mut text: String = lines.into_iter().map(|(k, v)| format!("{k:<15} {v}\n")).collect();
        text.push('\n');
        text
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn c_text(chars: &[libc::c_char]) -> String {
    let bytes: Vec<u8> = chars.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The host's security model and DOI (None when the driver has none, as virsh then prints none).
fn security_model(conn: &Connect) -> Option<(String, String)> {
    // SAFETY: the struct is plain C data that libvirt fills in; the pointer is valid for the call.
    let mut model: sys::virSecurityModel = unsafe { std::mem::zeroed() };
    let rc = unsafe { sys::virNodeGetSecurityModel(conn.as_ptr(), &mut model) };
    let name = c_text(&model.model);
    (rc == 0 && !name.is_empty()).then(|| (name, c_text(&model.doi)))
}

/// A domain's security label, "LABEL (enforcing|permissive)"; None when it has none.
fn security_label(dom: &Domain) -> Option<String> {
    // SAFETY: as above; virSecurityLabel is a fixed-size buffer libvirt writes into.
    let mut label: Box<sys::virSecurityLabel> = Box::new(unsafe { std::mem::zeroed() });
    let rc = unsafe { sys::virDomainGetSecurityLabel(dom.as_ptr(), &mut *label) };
    let text = c_text(&label.label);
    let mode = if label.enforcing != 0 {
        "enforcing"
    } else {
        "permissive"
    };
    (rc == 0 && !text.is_empty()).then(|| format!("{text} ({mode})"))
}

impl Verb for Dominfo {
    type Ctx = Session;
    type Output = DomainInfo;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<DomainInfo> {
        let conn = ctx.conn()?;
        let dom = lookup(conn, &self.name)?;
        let what = format!("domain {}", quote(&self.name));
        let info = dom.get_info().libvirt(&what)?;
        let security = security_model(conn);
        virt::error::clear_error_callback();
        let label = security.as_ref().and_then(|_| security_label(&dom));
        virt::error::clear_error_callback();
        Ok(DomainInfo {
            id: dom.get_id().filter(|&id| id != u32::MAX),
            uuid: dom.get_uuid_string().libvirt(&what)?,
            os_type: dom.get_os_type().libvirt(&what)?,
            state: state_name(info.state).to_string(),
            cpus: info.nr_virt_cpu,
            cpu_time_secs: (info.cpu_time != 0).then(|| info.cpu_time as f64 / 1e9),
            max_memory_kib: (info.max_mem != u64::from(u32::MAX) && info.max_mem != u64::MAX)
                .then_some(info.max_mem),
            used_memory_kib: info.memory,
            persistent: dom.is_persistent().libvirt(&what)?,
            autostart: dom.get_autostart().libvirt(&what)?,
            managed_save: dom.has_managed_save(0).libvirt(&what)?,
            security_model: security.as_ref().map(|s| s.0.clone()),
            security_doi: security.map(|s| s.1),
            security_label: label,
            name: self.name,
        })
    }
}

/// A domain's state (virsh domstate).
#[derive(Debug, clap::Args)]
pub struct Domstate {
    pub name: String,
    /// Also say why it is in that state (with -o text, as virsh: "shut off (destroyed)").
    #[arg(long)]
    pub reason: bool,
}

/// A domain's state and the reason for it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainState {
    pub name: String,
    /// virsh's word: running, idle, paused, in shutdown, shut off, crashed, pmsuspended.
    pub state: String,
    /// virsh's word for why (booted, unpaused, user, destroyed, shutdown, ...; unknown when
    /// libvirt does not say).
    pub reason: String,
    #[serde(skip)]
    #[schemars(skip)]
    with_reason: bool,
}

impl Render for DomainState {
    fn text(&self, _style: TextStyle) -> String {
        match self.with_reason {
            true => format!("{} ({})\n\n", self.state, self.reason),
            false => format!("{}\n\n", self.state),
        }
    }
}

/// virsh's word for a state's reason (virshDomainStateReasonToString).
pub fn reason_name(state: sys::virDomainState, reason: i32) -> &'static str {
    let words: &[&str] = match state {
        sys::VIR_DOMAIN_RUNNING => &[
            "unknown",
            "booted",
            "migrated",
            "restored",
            "from snapshot",
            "unpaused",
            "migration canceled",
            "save canceled",
            "event wakeup",
            "crashed",
            "post-copy",
            "post-copy failed",
        ],
        sys::VIR_DOMAIN_PAUSED => &[
            "unknown",
            "user",
            "migrating",
            "saving",
            "dumping",
            "I/O error",
            "watchdog",
            "from snapshot",
            "shutting down",
            "creating snapshot",
            "crashed",
            "starting up",
            "post-copy",
            "post-copy failed",
            "api error",
        ],
        sys::VIR_DOMAIN_SHUTDOWN => &["unknown", "user"],
        sys::VIR_DOMAIN_SHUTOFF => &[
            "unknown",
            "shutdown",
            "destroyed",
            "crashed",
            "migrated",
            "saved",
            "failed",
            "from snapshot",
            "daemon",
        ],
        sys::VIR_DOMAIN_CRASHED => &["unknown", "panicked"],
        _ => &["unknown"],
    };
    usize::try_from(reason)
        .ok()
        .and_then(|r| words.get(r))
        .copied()
        .unwrap_or("unknown")
}

impl Verb for Domstate {
    type Ctx = Session;
    type Output = DomainState;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<DomainState> {
        let dom = lookup(ctx.conn()?, &self.name)?;
        let (state, reason) = dom
            .get_state()
            .libvirt(format!("state of domain {}", quote(&self.name)))?;
        Ok(DomainState {
            name: self.name,
            state: state_name(state).to_string(),
            reason: reason_name(state, reason).to_string(),
            with_reason: self.reason,
        })
    }
}

/// A domain after a verb that changes one thing about it (autostart, suspend, resume, reboot).
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainChanged {
    pub name: String,
    /// False when it was so already (reboot: always true).
    pub changed: bool,
    /// virsh's word for the state now.
    pub state: String,
    /// Whether the domain starts with libvirtd.
    pub autostart: bool,
    /// virsh's confirmation, printed with -o text when something changed.
    #[serde(skip)]
    #[schemars(skip)]
    done: String,
}

impl Render for DomainChanged {
    fn text(&self, _style: TextStyle) -> String {
        match self.changed {
            true => format!("Domain '{}' {}\n", self.name, self.done),
            false => String::new(),
        }
    }
}

fn changed(dom: &Domain, name: String, changed: bool, done: &str) -> Result<DomainChanged> {
    Ok(DomainChanged {
        changed,
        state: crate::domains::state_of(dom).to_string(),
        autostart: dom.get_autostart().libvirt(format!("domain {}", quote(&name)))?,
        done: done.to_string(),
        name,
    })
}

/// Start a domain when libvirtd starts, or with --disable no longer (virsh autostart).
///
/// Undone on a later failure (--batch --atomic): the mark is set back.
#[derive(Debug, clap::Args)]
pub struct Autostart {
    pub name: String,
    /// Stop autostarting it.
    #[arg(long)]
    pub disable: bool,
}

impl Verb for Autostart {
    type Ctx = Session;
    type Output = DomainChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<DomainChanged> {
        let dom = lookup(ctx.conn()?, &self.name)?;
        let want = !self.disable;
        let acted = vnet_common::libvirt::lifecycle::set_autostart(&dom, &self.name, want, journal)?;
        let done = if want {
            "marked as autostarted"
        } else {
            "unmarked as autostarted"
        };
        changed(&dom, self.name, acted, done)
    }
}

/// Ask a running guest to reboot (ACPI; virsh reboot).
///
/// Like shutdown, the request goes to the guest, which may ignore it. A domain that is not running
/// is exit 1. Cannot be undone.
#[derive(Debug, clap::Args)]
pub struct Reboot {
    pub name: String,
}

fn running(dom: &Domain, name: &str) -> Result<()> {
    if !dom.is_active().libvirt("domain state")? {
        return Err(Error::failed(format!("domain {} is not running", quote(name)))
            .with_hint(format!("start it: vnet-vm start {name}")));
    }
    Ok(())
}

impl Verb for Reboot {
    type Ctx = Session;
    type Output = DomainChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<DomainChanged> {
        let dom = lookup(ctx.conn()?, &self.name)?;
        running(&dom, &self.name)?;
        dom.reboot(0)
            .libvirt(format!("reboot domain {}", quote(&self.name)))?;
        journal.irreversible(format!("reboot domain {}", self.name))?;
        changed(&dom, self.name, true, "is being rebooted")
    }
}

/// Pause a running domain's vCPUs (virsh suspend).
///
/// A paused domain is changed: false. Undone on a later failure: resumed.
#[derive(Debug, clap::Args)]
pub struct Suspend {
    pub name: String,
}

impl Verb for Suspend {
    type Ctx = Session;
    type Output = DomainChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<DomainChanged> {
        let dom = lookup(ctx.conn()?, &self.name)?;
        running(&dom, &self.name)?;
        let (state, _) = dom.get_state().libvirt("domain state")?;
        let acted = state != sys::VIR_DOMAIN_PAUSED;
        if acted {
            dom.suspend()
                .libvirt(format!("suspend domain {}", quote(&self.name)))?;
            let undo = dom.clone();
            journal.record_fn(format!("suspend domain {}", self.name), move || {
                undo.resume().map(drop).libvirt("resume the domain")
            })?;
        }
        changed(&dom, self.name, acted, "suspended")
    }
}

/// Resume a suspended domain (virsh resume).
///
/// A running domain that is not paused is changed: false; one that is not running is exit 1.
/// Undone on a later failure: suspended again.
#[derive(Debug, clap::Args)]
pub struct Resume {
    pub name: String,
}

impl Verb for Resume {
    type Ctx = Session;
    type Output = DomainChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<DomainChanged> {
        let dom = lookup(ctx.conn()?, &self.name)?;
        running(&dom, &self.name)?;
        let (state, _) = dom.get_state().libvirt("domain state")?;
        let acted = state == sys::VIR_DOMAIN_PAUSED;
        if acted {
            dom.resume()
                .libvirt(format!("resume domain {}", quote(&self.name)))?;
            let undo = dom.clone();
            journal.record_fn(format!("resume domain {}", self.name), move || {
                undo.suspend().map(drop).libvirt("suspend the domain")
            })?;
        }
        changed(&dom, self.name, acted, "resumed")
    }
}

/// shutdown's waiting flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ShutdownWait {
    /// Wait up to SECS seconds for the guest to power off (without it, return once the guest was
    /// asked, as virsh does). Not off by then: exit 1, unless --force. (The connection's own
    /// --timeout goes before the verb.)
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub timeout: Option<u64>,
    /// With --timeout: destroy the domain (virsh destroy) if it is still running after SECS (a
    /// guest that ignores ACPI); the output says "forced": true.
    #[arg(long, requires = "timeout")]
    pub force: bool,
}

/// Waits for a domain asked to shut down to be shut off; after the timeout, destroys it with
/// --force. Returns whether it was forced. Polls every 200 ms; a held signal stops the wait.
pub fn wait_shut_off(dom: &Domain, name: &str, wait: &ShutdownWait, journal: &mut Journal) -> Result<bool> {
    let Some(secs) = wait.timeout else {
        return Ok(false);
    };
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if !dom.is_active().libvirt("domain state")? {
            return Ok(false);
        }
        signals::check()?;
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    if !wait.force {
        return Err(Error::failed(format!(
            "domain {} did not shut down within {secs} s (it is still running)",
            quote(name)
        ))
        .with_hint("the guest may ignore ACPI: add --force to destroy it after the timeout"));
    }
    match dom.destroy() {
        Ok(()) => {}
        // It powered off between the last look and the destroy.
        Err(_) if !dom.is_active().libvirt("domain state")? => return Ok(false),
        Err(e) => {
            return Err(vnet_common::libvirt::error(e).context(format!("destroy domain {}", quote(name))))
        }
    }
    journal.irreversible(format!("destroy domain {name}"))?;
    Ok(true)
}

/// destroy's flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DestroyFlags {
    /// Terminate the QEMU process with SIGTERM only, never SIGKILL (virsh destroy --graceful):
    /// fails rather than kill a process that does not exit.
    #[arg(long)]
    pub graceful: bool,
}

impl DestroyFlags {
    pub fn flags(&self) -> sys::virDomainDestroyFlagsValues {
        if self.graceful {
            sys::VIR_DOMAIN_DESTROY_GRACEFUL
        } else {
            0
        }
    }
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
    use vnet_common::libvirt::ConnectArgs;

    fn session() -> Session {
        let args = ConnectArgs {
            connect: Some("test:///default".into()),
            ..Default::default()
        };
        Session::new(&args, false)
    }

    #[test]
    fn shutdown_timeout_is_the_verbs_own() {
        use crate::{Command, VmTool};
        let parse = |words: &[&str]| vnet_common::cli::parse::<VmTool>(words.iter().map(|w| w.to_string()));
        let cli = parse(&["vnet-vm", "shutdown", "vm1", "--timeout", "5", "--force"]).unwrap();
        let Some(Command::Shutdown(args)) = cli.verb else {
            panic!("not shutdown")
        };
        assert_eq!((args.wait.timeout, args.wait.force), (Some(5), true));
        // --force needs --timeout; 0 is not a timeout.
        assert!(parse(&["vnet-vm", "shutdown", "vm1", "--force"]).is_err());
        assert!(parse(&["vnet-vm", "shutdown", "vm1", "--timeout", "0"]).is_err());
        // Before the verb, --timeout is the connection's; after it, shutdown's wait.
        let cli = parse(&["vnet-vm", "--timeout", "7", "shutdown", "vm1"]).unwrap();
        assert_eq!(cli.globals.timeout, Some(7));
        let Some(Command::Shutdown(args)) = cli.verb else {
            panic!("not shutdown")
        };
        assert_eq!(args.wait.timeout, None);
        let cli = parse(&["vnet-vm", "shutdown", "vm1", "--timeout", "9"]).unwrap();
        assert_eq!(cli.globals.timeout, None);
        let cli = parse(&["vnet-vm", "undefine", "vm1", "--nvram", "--managed-save"]).unwrap();
        let Some(Command::Undefine(args)) = cli.verb else {
            panic!("not undefine")
        };
        assert_eq!(
            args.keep.flags(),
            sys::VIR_DOMAIN_UNDEFINE_NVRAM | sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
        );
        assert!(parse(&["vnet-vm", "undefine", "vm1", "--nvram", "--keep-nvram"]).is_err());
    }

    #[test]
    fn reasons_as_virsh_words() {
        assert_eq!(reason_name(sys::VIR_DOMAIN_SHUTOFF, 2), "destroyed");
        assert_eq!(reason_name(sys::VIR_DOMAIN_RUNNING, 1), "booted");
        assert_eq!(reason_name(sys::VIR_DOMAIN_RUNNING, 5), "unpaused");
        assert_eq!(reason_name(sys::VIR_DOMAIN_PAUSED, 1), "user");
        assert_eq!(reason_name(sys::VIR_DOMAIN_PAUSED, 99), "unknown");
        assert_eq!(reason_name(sys::VIR_DOMAIN_BLOCKED, 0), "unknown");
    }

    #[test]
    fn undefine_flags() {
        let all = UndefineFlags {
            nvram: true,
            keep_nvram: false,
            managed_save: true,
            snapshots_metadata: true,
        };
        assert_eq!(all.flags(), 1 | 2 | 4);
        assert_eq!(UndefineFlags::default().flags(), 0);
    }

    #[test]
    fn dominfo_and_domstate_on_the_test_driver() {
        let ctx = &mut session();
        let info = Dominfo { name: "test".into() }
            .run(ctx, &mut Journal::new())
            .unwrap();
        let text = info.text(TextStyle::default());
        assert!(text.starts_with("Id:             "), "{text}");
        assert!(text.contains("\nName:           test\n"), "{text}");
        assert!(text.contains("\nAutostart:      disable\n"), "{text}");
        assert!(text.ends_with("\n\n"), "{text}");
        let state = Domstate {
            name: "test".into(),
            reason: true,
        }
        .run(ctx, &mut Journal::new())
        .unwrap();
        assert!(state.text(TextStyle::default()).contains(" ("), "{state:?}");
        let missing = Dominfo { name: "nope".into() }.run(ctx, &mut Journal::new());
        assert_eq!(missing.unwrap_err().exit_code(), 3);
    }

    #[test]
    fn suspend_resume_autostart_are_idempotent_and_undone() {
        let mut ctx = session();
        let xml = "<domain type='test'><name>vnet-lc-unit</name><memory>8192</memory>\
                   <os><type>hvm</type></os></domain>";
        let dom = Domain::create_xml(ctx.conn().unwrap(), xml, 0).unwrap();
        let name = || "vnet-lc-unit".to_string();
        let mut journal = Journal::new();
        assert!(
            Suspend { name: name() }
                .run(&mut ctx, &mut journal)
                .unwrap()
                .changed
        );
        assert!(
            !Suspend { name: name() }
                .run(&mut ctx, &mut Journal::new())
                .unwrap()
                .changed
        );
        assert_eq!(crate::domains::state_of(&dom), "paused");
        let report = futures::executor::block_on(journal.rollback());
        assert_eq!(report.undone, ["suspend domain vnet-lc-unit"]);
        assert_eq!(crate::domains::state_of(&dom), "running");
        assert!(
            !Resume { name: name() }
                .run(&mut ctx, &mut Journal::new())
                .unwrap()
                .changed
        );
        dom.destroy().unwrap();
        let e = Resume { name: name() }
            .run(&mut ctx, &mut Journal::new())
            .unwrap_err();
        assert_eq!(
            e.exit_code(),
            3,
            "a transient domain is gone once destroyed: {e:?}"
        );
    }
}
