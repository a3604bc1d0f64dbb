//! Per-domain settings virsh sets one call each: lifecycle actions, an IOThread's parameters, the guest agent's timeout,
//! perf events, the dirty-rate measurement, CPU accounting (cpu-stats) and the migration knobs a
//! domain keeps without a migration running (migrate-setspeed, -setmaxdowntime, -compcache).

pub mod iothreadset;
pub mod lifecycle;
pub mod migration;
pub mod perf;

/// A failed libvirt call's status as this crate's error (`rc` < 0 is libvirt's last error).
pub(crate) fn check(rc: i32, what: impl std::fmt::Display) -> vnet_common::Result<()> {
    use vnet_common::libvirt::LibvirtContext;
    match rc {
        rc if rc < 0 => Err(virt::error::Error::last_error()).libvirt(what),
        _ => Ok(()),
    }
}
