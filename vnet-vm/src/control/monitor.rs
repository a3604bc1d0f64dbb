//! The QEMU monitor and the domain's job: domcontrol, domjobabort, domhostname and
//! qemu-monitor-command.

use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::{CStr, CString};
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// The state of libvirt's control over the domain's QEMU (virsh domcontrol).
#[derive(Debug, clap::Args)]
pub struct Domcontrol {
    /// The domain (name, ID or UUID).
    pub domain: String,
}

/// What virsh domcontrol shows.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ControlInfo {
    pub name: String,
    /// ok, background job, occupied or error.
    pub state: String,
    /// Why, for the error state: unknown, monitor failure, internal (locking) error; else null.
    pub reason: Option<String>,
    /// Milliseconds in this state (0 for ok).
    pub state_time_ms: u64,
}

impl Render for ControlInfo {
    fn text(&self, _style: TextStyle) -> String {
        let line = match (&self.reason, self.state_time_ms) {
            (Some(reason), _) => format!("{}: {reason}", self.state),
            (None, 0) => self.state.clone(),
            (None, ms) => format!("{} ({:.3}s)", self.state, ms as f64 / 1000.0),
        };
        format!("{line}\n\n")
    }
}

impl Verb for Domcontrol {
    type Ctx = Session;
    type Output = ControlInfo;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<ControlInfo> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        // SAFETY: zeroed plain data filled by libvirt.
        let mut info: sys::virDomainControlInfo = unsafe { std::mem::zeroed() };
        if unsafe { sys::virDomainGetControlInfo(dom.as_ptr(), &mut info, 0) } < 0 {
            return Err(virt::error::Error::last_error())
                .libvirt(format!("control state of domain {}", quote(&name)));
        }
        let state = match info.state {
            sys::VIR_DOMAIN_CONTROL_OK => "ok",
            sys::VIR_DOMAIN_CONTROL_JOB => "background job",
            sys::VIR_DOMAIN_CONTROL_OCCUPIED => "occupied",
            _ => "error",
        };
        let reason = (info.state == sys::VIR_DOMAIN_CONTROL_ERROR).then(|| {
            match info.details {
                sys::VIR_DOMAIN_CONTROL_ERROR_REASON_NONE => "none",
                sys::VIR_DOMAIN_CONTROL_ERROR_REASON_MONITOR => "monitor failure",
                sys::VIR_DOMAIN_CONTROL_ERROR_REASON_INTERNAL => "internal (locking) error",
                _ => "unknown",
            }
            .to_string()
        });
        Ok(ControlInfo {
            name,
            state: state.into(),
            reason,
            state_time_ms: info.stateTime,
        })
    }
}

/// Abort the domain's background job: a save, dump, migration or backup (virsh domjobabort). No job is
/// libvirt's "no job is active" error, as virsh.
#[derive(Debug, clap::Args)]
pub struct Domjobabort {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Interrupt a migration in its post-copy phase.
    #[arg(long)]
    pub postcopy: bool,
}

/// The domain after domjobabort.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JobAborted {
    pub name: String,
    pub changed: bool,
}

impl Render for JobAborted {}

impl Verb for Domjobabort {
    type Ctx = Session;
    type Output = JobAborted;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<JobAborted> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let flags = self.postcopy as u32 * sys::VIR_DOMAIN_ABORT_JOB_POSTCOPY;
        // SAFETY: a held domain.
        if unsafe { sys::virDomainAbortJobFlags(dom.as_ptr(), flags) } < 0 {
            return Err(virt::error::Error::last_error())
                .libvirt(format!("abort the job of domain {}", quote(&name)));
        }
        journal.irreversible(format!("abort the job of domain {}", quote(&name)))?;
        Ok(JobAborted { name, changed: true })
    }
}

/// The guest's host name (virsh domhostname): from the guest agent or the DHCP lease
/// (--source), or whichever the driver finds.
#[derive(Debug, clap::Args)]
pub struct Domhostname {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Where to read it: agent or lease.
    #[arg(long, value_parser = ["agent", "lease"])]
    pub source: Option<String>,
}

/// The guest's host name.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GuestHostname {
    pub name: String,
    pub hostname: String,
}

impl Render for GuestHostname {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n\n", self.hostname)
    }
}

impl Verb for Domhostname {
    type Ctx = Session;
    type Output = GuestHostname;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<GuestHostname> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let flags = match self.source.as_deref() {
            Some("agent") => sys::VIR_DOMAIN_GET_HOSTNAME_AGENT,
            Some(_) => sys::VIR_DOMAIN_GET_HOSTNAME_LEASE,
            None => 0,
        };
        let hostname = dom
            .get_hostname(flags)
            .libvirt(format!("host name of domain {}", quote(&name)))?;
        Ok(GuestHostname { name, hostname })
    }
}

#[link(name = "virt-qemu")]
extern "C" {
    // libvirt-qemu.h, as agent/info.rs declares its agent call.
    fn virDomainQemuMonitorCommand(
        domain: sys::virDomainPtr,
        cmd: *const libc::c_char,
        result: *mut *mut libc::c_char,
        flags: libc::c_uint,
    ) -> libc::c_int;
}

fn monitor_command(dom: &Domain, cmd: &str, hmp: bool) -> Result<String> {
    let text = CString::new(cmd).map_err(|_| Error::invalid("monitor command with a NUL byte"))?;
    let mut reply: *mut libc::c_char = std::ptr::null_mut();
    let flags = hmp as u32 * sys::VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP;
    // SAFETY: a held domain and a C string; the reply is malloc'd by libvirt and freed here.
    unsafe {
        if virDomainQemuMonitorCommand(dom.as_ptr(), text.as_ptr(), &mut reply, flags) < 0 {
            return Err(virt::error::Error::last_error()).libvirt("monitor command");
        }
        let out = CStr::from_ptr(reply).to_string_lossy().into_owned();
        libc::free(reply.cast());
        Ok(out)
    }
}

/// Send a command to the domain's QEMU monitor (virsh qemu-monitor-command): QMP JSON, or with
/// --hmp a human monitor line. Unsupported by libvirt's promises: what it does is QEMU's.
#[derive(Debug, clap::Args)]
pub struct QemuMonitorCommand {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The command, its words joined by spaces.
    #[arg(required = true)]
    pub cmd: Vec<String>,
    /// The command is in the human monitor protocol.
    #[arg(long)]
    pub hmp: bool,
    /// Only the value of the reply's "return".
    #[arg(long)]
    pub return_value: bool,
}

/// The monitor's reply: QMP's JSON, or HMP's text as a JSON string.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct MonitorReply(pub serde_json::Value);

impl Render for MonitorReply {
    fn text(&self, _style: TextStyle) -> String {
        match &self.0 {
            serde_json::Value::String(text) => format!("{text}\n\n"),
            value => format!("{value}\n\n"),
        }
    }
}

impl Verb for QemuMonitorCommand {
    type Ctx = Session;
    type Output = MonitorReply;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<MonitorReply> {
        if self.hmp && self.return_value {
            return Err(Error::invalid("--return-value needs a QMP command, not --hmp"));
        }
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let reply = monitor_command(&dom, &self.cmd.join(" "), self.hmp)?;
        // What QEMU did with the command is QEMU's: nothing to undo from here.
        journal.irreversible(format!("monitor command to domain {}", quote(&name)))?;
        if self.hmp {
            return Ok(MonitorReply(serde_json::Value::String(reply)));
        }
        let value: serde_json::Value =
            serde_json::from_str(&reply).unwrap_or(serde_json::Value::String(reply));
        match self.return_value {
            true => value
                .get("return")
                .cloned()
                .map(MonitorReply)
                .ok_or_else(|| Error::failed("the monitor's reply has no \"return\"")),
            false => Ok(MonitorReply(value)),
        }
    }
}
