//! What a domain is: dominfo, domstate, and its autostart flag.

use super::lookup::{resolve, state_name};
use schemars::JsonSchema;
use serde::Serialize;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

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
        vnet_common::table::fields(&lines)
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

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<DomainInfo> {
        let conn = ctx.conn()?;
        let dom = resolve(conn, &mut self.name)?;
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

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<DomainState> {
        let dom = resolve(ctx.conn()?, &mut self.name)?;
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

pub fn changed(dom: &Domain, name: String, changed: bool, done: &str) -> Result<DomainChanged> {
    Ok(DomainChanged {
        changed,
        state: crate::domains::lookup::state_of(dom).to_string(),
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

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<DomainChanged> {
        let dom = resolve(ctx.conn()?, &mut self.name)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::session;

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
}
