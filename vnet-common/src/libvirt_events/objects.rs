//! Lifecycle events of storage pools, secrets and node devices (virsh pool-event, secret-event,
//! nodedev-event), and QEMU's monitor events of domains (virsh qemu-monitor-event): their
//! callbacks and registration, beside the domain and network ones.

use super::{free_sender, sender_box, text, Notice, Target};
use std::sync::mpsc::Sender;
use virt::sys;

// virConnectDomainQemuMonitorEvent(De)Register live in libvirt-qemu, which the virt crate links
// only behind a feature this workspace does not turn on (vnet-vm's monitor verbs link it too).
#[link(name = "virt-qemu")]
extern "C" {}

fn send(opaque: *mut libc::c_void, notice: Notice) {
    // SAFETY: opaque is our Sender, alive while the callback is registered.
    let tx = unsafe { &*(opaque as *const Sender<Notice>) };
    let _ = tx.send(notice);
}

/// A UUID string through libvirt's `get` for an object, or "" when it fails.
unsafe fn uuid_of(get: impl FnOnce(*mut libc::c_char) -> libc::c_int) -> String {
    let mut buf = [0 as libc::c_char; sys::VIR_UUID_STRING_BUFLEN as usize];
    match get(buf.as_mut_ptr()) {
        // SAFETY: libvirt wrote a NUL-terminated UUID.
        0 => unsafe { text(buf.as_ptr()) },
        _ => String::new(),
    }
}

unsafe extern "C" fn pool_lifecycle(
    _conn: sys::virConnectPtr,
    pool: sys::virStoragePoolPtr,
    event: libc::c_int,
    _detail: libc::c_int,
    opaque: *mut libc::c_void,
) {
    // SAFETY: libvirt passes a pool valid for the call.
    let name = unsafe { text(sys::virStoragePoolGetName(pool)) };
    let uuid = unsafe { uuid_of(|b| sys::virStoragePoolGetUUIDString(pool, b)) };
    send(opaque, Notice::Pool { name, uuid, event });
}

unsafe extern "C" fn secret_lifecycle(
    _conn: sys::virConnectPtr,
    secret: sys::virSecretPtr,
    event: libc::c_int,
    _detail: libc::c_int,
    opaque: *mut libc::c_void,
) {
    // SAFETY: libvirt passes a secret valid for the call.
    let uuid = unsafe { uuid_of(|b| sys::virSecretGetUUIDString(secret, b)) };
    send(opaque, Notice::Secret { uuid, event });
}

unsafe extern "C" fn nodedev_lifecycle(
    _conn: sys::virConnectPtr,
    dev: sys::virNodeDevicePtr,
    event: libc::c_int,
    _detail: libc::c_int,
    opaque: *mut libc::c_void,
) {
    // SAFETY: libvirt passes a device valid for the call.
    let name = unsafe { text(sys::virNodeDeviceGetName(dev)) };
    send(opaque, Notice::NodeDevice { name, event });
}

unsafe extern "C" fn qemu_monitor(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    event: *const libc::c_char,
    seconds: libc::c_longlong,
    micros: libc::c_uint,
    details: *const libc::c_char,
    opaque: *mut libc::c_void,
) {
    // SAFETY: libvirt passes a domain and strings valid for the call (details may be null).
    let (domain, event) = unsafe { (text(sys::virDomainGetName(dom)), text(event)) };
    let details = (!details.is_null()).then(|| unsafe { text(details) });
    let notice = Notice::QemuMonitor {
        domain,
        event,
        seconds,
        micros,
        details,
    };
    send(opaque, notice);
}

/// The lifecycle callbacks' shape, before libvirt's generic cast.
type Lifecycle<P> = unsafe extern "C" fn(sys::virConnectPtr, P, libc::c_int, libc::c_int, *mut libc::c_void);

/// libvirt's generic callback type that registration takes.
type Generic<P> = unsafe extern "C" fn(sys::virConnectPtr, P, *mut libc::c_void);

/// Registers `target`'s lifecycle callback when it is one of these three kinds (None otherwise);
/// libvirt's callback id, or -1.
pub(super) fn register(ptr: sys::virConnectPtr, target: Target, tx: &Sender<Notice>) -> Option<libc::c_int> {
    // SAFETY: a valid connection; each callback has the signature libvirt calls it with, cast
    // to the generic callback type as libvirt's VIR_*_EVENT_CALLBACK macros do; the opaque
    // Sender is freed by libvirt through free_sender when the callback goes.
    unsafe {
        let id = match target {
            Target::Pools => {
                let cb: Lifecycle<sys::virStoragePoolPtr> = pool_lifecycle;
                sys::virConnectStoragePoolEventRegisterAny(
                    ptr,
                    std::ptr::null_mut(),
                    sys::VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE as libc::c_int,
                    Some(std::mem::transmute::<*const (), Generic<sys::virStoragePoolPtr>>(
                        cb as *const (),
                    )),
                    sender_box(tx),
                    Some(free_sender),
                )
            }
            Target::Secrets => {
                let cb: Lifecycle<sys::virSecretPtr> = secret_lifecycle;
                sys::virConnectSecretEventRegisterAny(
                    ptr,
                    std::ptr::null_mut(),
                    sys::VIR_SECRET_EVENT_ID_LIFECYCLE as libc::c_int,
                    Some(std::mem::transmute::<*const (), Generic<sys::virSecretPtr>>(
                        cb as *const (),
                    )),
                    sender_box(tx),
                    Some(free_sender),
                )
            }
            Target::NodeDevices => {
                let cb: Lifecycle<sys::virNodeDevicePtr> = nodedev_lifecycle;
                sys::virConnectNodeDeviceEventRegisterAny(
                    ptr,
                    std::ptr::null_mut(),
                    sys::VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE as libc::c_int,
                    Some(std::mem::transmute::<*const (), Generic<sys::virNodeDevicePtr>>(
                        cb as *const (),
                    )),
                    sender_box(tx),
                    Some(free_sender),
                )
            }
            Target::QemuMonitor => sys::virConnectDomainQemuMonitorEventRegister(
                ptr,
                std::ptr::null_mut(),
                std::ptr::null(),
                Some(qemu_monitor),
                sender_box(tx),
                Some(free_sender),
                0,
            ),
            Target::Domains | Target::Networks => return None,
        };
        Some(id)
    }
}

/// Removes a callback [`register`] made.
pub(super) fn deregister(ptr: sys::virConnectPtr, target: Target, id: libc::c_int) -> libc::c_int {
    // SAFETY: the id registered on this connection; errors (a dead connection) are fine.
    unsafe {
        match target {
            Target::Pools => sys::virConnectStoragePoolEventDeregisterAny(ptr, id),
            Target::Secrets => sys::virConnectSecretEventDeregisterAny(ptr, id),
            Target::NodeDevices => sys::virConnectNodeDeviceEventDeregisterAny(ptr, id),
            Target::QemuMonitor => sys::virConnectDomainQemuMonitorEventDeregister(ptr, id),
            Target::Domains | Target::Networks => -1,
        }
    }
}
