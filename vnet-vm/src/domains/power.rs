//! A domain's running life: start, shutdown (with its waiting and forcing flags), destroy,
//! reboot, suspend and resume.

use super::info::{changed, DomainChanged};
use super::lookup::{lookup, resolve, state_of};
use schemars::JsonSchema;
use serde::Serialize;
use std::time::{Duration, Instant};
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lifecycle::{self, Undo};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{signals, Error, Journal, Render, Result, TextStyle, Verb};

/// virsh's confirmation line in text mode when something changed; nothing otherwise.
fn confirmation(changed: bool, line: String) -> String {
    if changed {
        line
    } else {
        String::new()
    }
}

/// Start a defined domain (virsh start).
///
/// A domain with a managed save image (managedsave) resumes from it, as with virsh, unless
/// --force-boot discards the image and boots afresh.
#[derive(Debug, Default, clap::Args)]
pub struct Start {
    pub name: String,
    /// Leave the guest paused once started.
    #[arg(long)]
    pub paused: bool,
    /// Destroy the guest when this command's connection to libvirt closes (when vnet-vm exits).
    #[arg(long)]
    pub autodestroy: bool,
    /// Read a managed save image without the host's page cache.
    #[arg(long)]
    pub bypass_cache: bool,
    /// Boot afresh, discarding a managed save image.
    #[arg(long)]
    pub force_boot: bool,
    /// Re-initialize a UEFI guest's NVRAM from its template before booting.
    #[arg(long)]
    pub reset_nvram: bool,
}

impl Start {
    fn flags(&self) -> u32 {
        let pairs = [
            (self.paused, sys::VIR_DOMAIN_START_PAUSED),
            (self.autodestroy, sys::VIR_DOMAIN_START_AUTODESTROY),
            (self.bypass_cache, sys::VIR_DOMAIN_START_BYPASS_CACHE),
            (self.force_boot, sys::VIR_DOMAIN_START_FORCE_BOOT),
            (self.reset_nvram, sys::VIR_DOMAIN_START_RESET_NVRAM),
        ];
        pairs.iter().filter(|(on, _)| *on).fold(0, |a, (_, b)| a | b)
    }
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
    /// True when it resumed from a managed save image rather than booting.
    pub restored: bool,
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
        let flags = self.flags();
        // By name, ID or UUID, as virsh start takes it (libvirt-guests starts each by UUID).
        let dom = vnet_common::libvirt::lookup::domain(ctx.conn()?, &self.name)?;
        let name = dom.get_name().libvirt("domain name")?;
        let changed = !dom.is_active().libvirt("domain state")?;
        let restored = changed && !self.force_boot && dom.has_managed_save(0).libvirt("managed save")?;
        if changed && flags == 0 {
            lifecycle::start(&dom, &name, journal)?;
        } else if changed {
            dom.create_with_flags(flags)
                .libvirt(format!("start domain {}", quote(&name)))?;
            let undo = dom.clone();
            journal.record_fn(format!("start domain {name}"), move || {
                undo.destroy().map(drop).libvirt("destroy the domain")
            })?;
        }
        Ok(Started {
            changed,
            state: state_of(&dom).to_string(),
            id: dom.get_id(),
            name,
            restored,
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
    pub wait: crate::domains::power::ShutdownWait,
    #[command(flatten)]
    pub mode: PowerMode,
}

impl Verb for Shutdown {
    type Ctx = Session;
    type Output = Stopped;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Stopped> {
        let mut out = stop(
            ctx,
            journal,
            self.name,
            "is being shutdown",
            |dom, name, journal| {
                let what = format!("shut down domain {name}");
                dom.shutdown_flags(self.mode.flags()).libvirt(&what)?;
                journal.irreversible(what)
            },
        )?;
        if out.changed && self.wait.timeout.is_some() {
            let name = out.name.clone();
            let dom = lookup(ctx.conn()?, &name)?;
            out.forced = Some(crate::domains::power::wait_shut_off(
                &dom, &name, &self.wait, journal,
            )?);
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
    pub flags: crate::domains::power::DestroyFlags,
}

impl Verb for Destroy {
    type Ctx = Session;
    type Output = Stopped;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Stopped> {
        let flags = self.flags.flags();
        stop(ctx, journal, self.name, "destroyed", |dom, name, journal| {
            lifecycle::destroy(dom, name, flags, Undo::Irreversible, journal)
        })
    }
}

/// shutdown and destroy: act on a running domain only; one that is not running is changed:false.
/// Stopping cannot be undone (the guest's memory is gone): `act` records it as irreversible.
fn stop(
    ctx: &mut Session,
    journal: &mut Journal,
    mut name: String,
    done: &'static str,
    act: impl FnOnce(&Domain, &str, &mut Journal) -> Result<()>,
) -> Result<Stopped> {
    let dom = resolve(ctx.conn()?, &mut name)?;
    let changed = dom.is_active().libvirt("domain state")?;
    if changed {
        act(&dom, &name, journal)?;
    }
    Ok(Stopped {
        changed,
        state: state_of(&dom).to_string(),
        forced: None,
        done: done.to_string(),
        name,
    })
}

/// Ask a running guest to reboot (ACPI; virsh reboot).
///
/// Like shutdown, the request goes to the guest, which may ignore it. A domain that is not running
/// is exit 1. Cannot be undone.
#[derive(Debug, clap::Args)]
pub struct Reboot {
    pub name: String,
    #[command(flatten)]
    pub mode: PowerMode,
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

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<DomainChanged> {
        let dom = resolve(ctx.conn()?, &mut self.name)?;
        running(&dom, &self.name)?;
        dom.reboot(self.mode.flags())
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

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<DomainChanged> {
        let dom = resolve(ctx.conn()?, &mut self.name)?;
        let acted = set_paused(&dom, &self.name, true, journal)?;
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

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<DomainChanged> {
        let dom = resolve(ctx.conn()?, &mut self.name)?;
        let acted = set_paused(&dom, &self.name, false, journal)?;
        changed(&dom, self.name, acted, "resumed")
    }
}

/// Suspends (`pause`) or resumes a running domain's vCPUs, unless they already are so (a domain
/// not running is exit 1); journals the opposite as the undo. Returns whether it acted.
fn set_paused(dom: &Domain, name: &str, pause: bool, journal: &mut Journal) -> Result<bool> {
    running(dom, name)?;
    let (state, _) = dom.get_state().libvirt("domain state")?;
    if (state == sys::VIR_DOMAIN_PAUSED) == pause {
        return Ok(false);
    }
    let (verb, opposite) = if pause {
        ("suspend", "resume")
    } else {
        ("resume", "suspend")
    };
    let act = |dom: &Domain, pause: bool| {
        if pause {
            dom.suspend()
        } else {
            dom.resume()
        }
    };
    act(dom, pause).libvirt(format!("{verb} domain {}", quote(name)))?;
    let undo = dom.clone();
    journal.record_fn(format!("{verb} domain {name}"), move || {
        act(&undo, !pause)
            .map(drop)
            .libvirt(format!("{opposite} the domain"))
    })?;
    Ok(true)
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
    /// Remove the domain's log files (libvirt's /var/log/libvirt/qemu/NAME.log) as it stops.
    #[arg(long)]
    pub remove_logs: bool,
}

impl DestroyFlags {
    pub fn flags(&self) -> sys::virDomainDestroyFlagsValues {
        let mut flags = 0;
        if self.graceful {
            flags |= sys::VIR_DOMAIN_DESTROY_GRACEFUL;
        }
        if self.remove_logs {
            flags |= sys::VIR_DOMAIN_DESTROY_REMOVE_LOGS;
        }
        flags
    }
}

/// How shutdown and reboot ask the guest (virsh --mode; libvirt picks when none is given).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PowerMode {
    /// One or more of acpi, agent, initctl, signal, paravirt (comma-separated), tried in
    /// libvirt's order.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "MODE")]
    pub mode: Vec<Mode>,
}

/// A way to ask a guest to power off or reboot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The ACPI power button.
    Acpi,
    /// The QEMU guest agent.
    Agent,
    /// The container's init (LXC).
    Initctl,
    /// A signal to the container's init (LXC).
    Signal,
    /// The paravirtual channel (Xen).
    Paravirt,
}

impl PowerMode {
    /// libvirt's flags: the shutdown and reboot flags have the same values.
    fn flags(&self) -> u32 {
        self.mode.iter().fold(0, |flags, mode| {
            flags
                | match mode {
                    Mode::Acpi => sys::VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN,
                    Mode::Agent => sys::VIR_DOMAIN_SHUTDOWN_GUEST_AGENT,
                    Mode::Initctl => sys::VIR_DOMAIN_SHUTDOWN_INITCTL,
                    Mode::Signal => sys::VIR_DOMAIN_SHUTDOWN_SIGNAL,
                    Mode::Paravirt => sys::VIR_DOMAIN_SHUTDOWN_PARAVIRT,
                }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::define::Undefine;
    use crate::domains::list::Dumpxml;
    use crate::testing::{run, session};

    fn start(ctx: &mut Session, name: &str) -> Result<Started> {
        run(
            ctx,
            Start {
                name: name.into(),
                ..Default::default()
            },
        )
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
                storage: Default::default(),
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
                security_info: false,
                update_cpu: false,
                migratable: true,
                xpath: Default::default(),
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
            ..Default::default()
        }
        .run(&mut ctx, &mut journal)
        .unwrap();
        assert!(started.changed && started.state == "running", "{started:?}");
        let report = futures::executor::block_on(journal.rollback());
        assert_eq!(report.undone, ["start domain vnet-undo-start"]);
        assert_eq!(state_of(&dom), "shut off");
        dom.undefine().unwrap();
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
        assert_eq!(crate::domains::lookup::state_of(&dom), "paused");
        let report = futures::executor::block_on(journal.rollback());
        assert_eq!(report.undone, ["suspend domain vnet-lc-unit"]);
        assert_eq!(crate::domains::lookup::state_of(&dom), "running");
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
