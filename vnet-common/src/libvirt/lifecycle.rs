//! One life for every libvirt object vnet manages (domains, networks, storage pools): start,
//! destroy, undefine and autostart, each a libvirt call named the same way in errors and recorded
//! in the undo journal the same way, whatever the kind.

use super::LibvirtContext;
use crate::{Journal, Result};
use std::fmt::Display;
use virt::domain::Domain;
use virt::error::Error as VirtError;
use virt::network::Network;
use virt::storage_pool::StoragePool;

type Virt<T> = std::result::Result<T, VirtError>;

/// A libvirt object with a life: defined, started, destroyed, undefined, autostarted.
pub trait Managed: Clone + Send + 'static {
    /// What messages and journal steps call it: "domain", "network", "pool".
    const KIND: &'static str;
    fn start_now(&self) -> Virt<()>;
    /// Stops it; `flags` are a domain's VIR_DOMAIN_DESTROY_* (other kinds take none).
    fn destroy_now(&self, flags: u32) -> Virt<()>;
    fn undefine_now(&self, flags: u32) -> Virt<()>;
    fn is_active_now(&self) -> Virt<bool>;
    fn autostart_now(&self) -> Virt<bool>;
    fn set_autostart_now(&self, on: bool) -> Virt<()>;

    /// The journal step of an autostart change ("autostart on network NAME").
    fn autostart_step(name: &str, on: bool) -> String {
        let step = if on { "autostart on" } else { "autostart off" };
        format!("{step} {} {name}", Self::KIND)
    }
}

impl Managed for Domain {
    const KIND: &'static str = "domain";
    fn start_now(&self) -> Virt<()> {
        self.create().map(drop)
    }
    fn destroy_now(&self, flags: u32) -> Virt<()> {
        self.destroy_flags(flags).map(drop)
    }
    fn undefine_now(&self, flags: u32) -> Virt<()> {
        self.undefine_flags(flags)
    }
    fn is_active_now(&self) -> Virt<bool> {
        self.is_active()
    }
    fn autostart_now(&self) -> Virt<bool> {
        self.get_autostart()
    }
    fn set_autostart_now(&self, on: bool) -> Virt<()> {
        self.set_autostart(on).map(drop)
    }
    /// virsh's words for a domain ("set autostart of domain 'vm1' to true").
    fn autostart_step(name: &str, on: bool) -> String {
        format!("set autostart of domain {} to {on}", crate::error::quote(name))
    }
}

impl Managed for Network {
    const KIND: &'static str = "network";
    fn start_now(&self) -> Virt<()> {
        self.create().map(drop)
    }
    fn destroy_now(&self, _flags: u32) -> Virt<()> {
        self.destroy()
    }
    fn undefine_now(&self, _flags: u32) -> Virt<()> {
        self.undefine()
    }
    fn is_active_now(&self) -> Virt<bool> {
        self.is_active()
    }
    fn autostart_now(&self) -> Virt<bool> {
        self.get_autostart()
    }
    fn set_autostart_now(&self, on: bool) -> Virt<()> {
        self.set_autostart(on).map(drop)
    }
}

impl Managed for StoragePool {
    const KIND: &'static str = "pool";
    fn start_now(&self) -> Virt<()> {
        self.create(0).map(drop)
    }
    fn destroy_now(&self, _flags: u32) -> Virt<()> {
        self.destroy()
    }
    fn undefine_now(&self, _flags: u32) -> Virt<()> {
        self.undefine()
    }
    fn is_active_now(&self) -> Virt<bool> {
        self.is_active()
    }
    fn autostart_now(&self) -> Virt<bool> {
        self.get_autostart()
    }
    fn set_autostart_now(&self, on: bool) -> Virt<()> {
        self.set_autostart(on).map(drop)
    }
}

/// Starts `obj` ("start KIND NAME"), recording its destroy as the undo.
pub fn start<O: Managed>(obj: &O, name: &str, journal: &mut Journal) -> Result<()> {
    start_as(obj, name, format!("start {} {name}", O::KIND), journal)
}

/// [`start`], naming the step `what` in its error (install says "start the domain").
pub fn start_as<O: Managed>(obj: &O, name: &str, what: impl Display, journal: &mut Journal) -> Result<()> {
    obj.start_now().libvirt(what)?;
    let (undo, what) = (obj.clone(), format!("destroy {} {name}", O::KIND));
    journal.record_fn(format!("start {} {name}", O::KIND), move || {
        undo.destroy_now(0).libvirt(what)
    })
}

/// What undoes a destroy or an undefine.
pub enum Undo {
    /// Nothing can (a guest's memory, a network's leases): recorded as irreversible.
    Irreversible,
    /// Starting the object again (a storage pool holds nothing that stopping loses).
    Restart,
    /// This work (defining the object again from its saved XML, say).
    With(Box<dyn FnOnce() -> Result<()>>),
}

fn record(
    journal: &mut Journal,
    step: String,
    undo: Undo,
    restart: impl FnOnce() -> Result<()> + 'static,
) -> Result<()> {
    match undo {
        Undo::Irreversible => journal.irreversible(step),
        Undo::Restart => journal.record_fn(step, restart),
        Undo::With(work) => journal.record_fn(step, work),
    }
}

/// Stops `obj` ("destroy KIND NAME"; a transient object is then gone), recorded with `undo`;
/// `flags` are a domain's VIR_DOMAIN_DESTROY_*.
pub fn destroy<O: Managed>(obj: &O, name: &str, flags: u32, undo: Undo, journal: &mut Journal) -> Result<()> {
    let step = format!("destroy {} {name}", O::KIND);
    obj.destroy_now(flags).libvirt(&step)?;
    let (again, what) = (obj.clone(), format!("start the {} again", O::KIND));
    record(journal, step, undo, move || again.start_now().libvirt(what))
}

/// Removes `obj`'s persistent definition ("undefine KIND NAME"; `flags` are a domain's
/// VIR_DOMAIN_UNDEFINE_*), recorded with `undo`.
pub fn undefine<O: Managed>(
    obj: &O,
    name: &str,
    flags: u32,
    undo: Undo,
    journal: &mut Journal,
) -> Result<()> {
    let step = format!("undefine {} {name}", O::KIND);
    undefine_explained(obj, name, flags, undo, journal, |e| super::error(e).context(step))
}

/// [`undefine`], with libvirt's refusal explained by `explain` (a domain's NVRAM, snapshots).
pub fn undefine_explained<O: Managed>(
    obj: &O,
    name: &str,
    flags: u32,
    undo: Undo,
    journal: &mut Journal,
    explain: impl FnOnce(VirtError) -> crate::Error,
) -> Result<()> {
    obj.undefine_now(flags).map_err(explain)?;
    let (again, what) = (obj.clone(), format!("start the {} again", O::KIND));
    let step = format!("undefine {} {name}", O::KIND);
    record(journal, step, undo, move || again.start_now().libvirt(what))
}

/// Sets `obj`'s autostart flag to `on`, recording the way back; false when it already was so.
pub fn set_autostart<O: Managed>(obj: &O, name: &str, on: bool, journal: &mut Journal) -> Result<bool> {
    let what = format!("autostart {} {name}", O::KIND);
    if obj.autostart_now().libvirt(&what)? == on {
        return Ok(false);
    }
    obj.set_autostart_now(on).libvirt(&what)?;
    let undo = obj.clone();
    journal.record_fn(O::autostart_step(name, on), move || {
        undo.set_autostart_now(!on).libvirt(what)
    })?;
    Ok(true)
}

/// True while `obj` runs ("KIND NAME" in errors).
pub fn is_active<O: Managed>(obj: &O, name: &str) -> Result<bool> {
    obj.is_active_now().libvirt(format!("{} {name}", O::KIND))
}

#[cfg(test)]
mod tests {
    use super::*;
    use virt::connect::Connect;

    #[test]
    fn start_destroy_and_autostart_are_journaled_alike() {
        let conn = Connect::open(Some("test:///default")).unwrap();
        let net = Network::lookup_by_name(&conn, "default").unwrap();
        let mut journal = Journal::new();
        destroy(&net, "default", 0, Undo::Irreversible, &mut journal).unwrap();
        assert!(!is_active(&net, "default").unwrap());
        start(&net, "default", &mut journal).unwrap();
        assert!(is_active(&net, "default").unwrap());
        let was = net.get_autostart().unwrap();
        assert!(set_autostart(&net, "default", !was, &mut journal).unwrap());
        assert!(!set_autostart(&net, "default", !was, &mut journal).unwrap());
        assert_eq!(Network::autostart_step("n", true), "autostart on network n");
        assert_eq!(
            Domain::autostart_step("vm 1", false),
            "set autostart of domain 'vm 1' to false"
        );
        // Undo runs backwards: autostart back, then the start is destroyed.
        futures::executor::block_on(journal.rollback());
        assert_eq!(net.get_autostart().unwrap(), was);
        assert!(!net.is_active().unwrap());
        net.create().unwrap();
    }
}
