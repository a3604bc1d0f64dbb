//! libvirt lifecycle events for `vnet-vm events|wait` and `vnet-net events`: a subscription on a
//! connection of its own, opened through the verb's [`Session`] (its URI and --timeout) after
//! libvirt's default event loop is registered (see [`crate::libvirt::event_loop`]), delivering
//! each event through a channel as it happens, and noticing when the daemon goes away (libvirt's
//! close callback); and the one `events` stream both tools print, with its records.
//!
//! The virt crate (0.4) has the event loop but no event registration, so the registration calls
//! are made here through its `sys` bindings (virConnectDomainEventRegisterAny,
//! virConnectNetworkEventRegisterAny, virConnectRegisterCloseCallback).

use crate::libvirt::{event_loop, Session};
use crate::stream::{now, Stream, StreamArgs, Streamed};
use crate::{Error, ErrorKind, Render, Result, TextStyle};
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::CStr;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::Instant;
use virt::connect::Connect;
use virt::sys;

mod objects;
mod output;

pub use output::{EventNames, EventOutput};

/// What a subscription delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// A domain lifecycle event: libvirt's virDomainEventType and its detail.
    Domain {
        name: String,
        uuid: String,
        event: i32,
        detail: i32,
    },
    /// A network lifecycle event: libvirt's virNetworkEventLifecycleType.
    Network { name: String, uuid: String, event: i32 },
    /// A storage pool lifecycle event: libvirt's virStoragePoolEventLifecycleType.
    Pool { name: String, uuid: String, event: i32 },
    /// A secret lifecycle event (virSecretEventLifecycleType); a secret is named by its UUID.
    Secret { uuid: String, event: i32 },
    /// A node device lifecycle event: libvirt's virNodeDeviceEventLifecycleType.
    NodeDevice { name: String, event: i32 },
    /// A QEMU monitor event of a domain: QEMU's event name, its time, its JSON details.
    QemuMonitor {
        domain: String,
        event: String,
        seconds: i64,
        micros: u32,
        details: Option<String>,
    },
    /// The connection closed under us: "eof", "keepalive", "error" or "client".
    Closed { reason: &'static str },
    /// A new connection after a closed one, `after_secs` later.
    Reconnected { after_secs: f64 },
}

/// Which lifecycle events to subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Domains,
    Networks,
    Pools,
    Secrets,
    NodeDevices,
    QemuMonitor,
}

/// Lifecycle events of every domain or every network on one connection, until dropped.
pub struct Subscription {
    conn: Connect,
    callback: i32,
    target: Target,
}

unsafe extern "C" fn free_sender(opaque: *mut libc::c_void) {
    // SAFETY: opaque is the Box<Sender<Notice>> handed to libvirt at registration.
    drop(unsafe { Box::from_raw(opaque as *mut Sender<Notice>) });
}

fn sender_box(tx: &Sender<Notice>) -> *mut libc::c_void {
    Box::into_raw(Box::new(tx.clone())) as *mut libc::c_void
}

unsafe fn text(ptr: *const libc::c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: libvirt returns a NUL-terminated string it owns.
    unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
}

unsafe extern "C" fn domain_lifecycle(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    event: libc::c_int,
    detail: libc::c_int,
    opaque: *mut libc::c_void,
) -> libc::c_int {
    // SAFETY: libvirt passes a domain valid for the call and our opaque Sender.
    let tx = unsafe { &*(opaque as *const Sender<Notice>) };
    let mut uuid = [0 as libc::c_char; sys::VIR_UUID_STRING_BUFLEN as usize];
    let name = unsafe { text(sys::virDomainGetName(dom)) };
    let uuid = unsafe {
        if sys::virDomainGetUUIDString(dom, uuid.as_mut_ptr()) == 0 {
            text(uuid.as_ptr())
        } else {
            String::new()
        }
    };
    let _ = tx.send(Notice::Domain {
        name,
        uuid,
        event,
        detail,
    });
    0
}

unsafe extern "C" fn network_lifecycle(
    _conn: sys::virConnectPtr,
    net: sys::virNetworkPtr,
    event: libc::c_int,
    _detail: libc::c_int,
    opaque: *mut libc::c_void,
) {
    // SAFETY: libvirt passes a network valid for the call and our opaque Sender.
    let tx = unsafe { &*(opaque as *const Sender<Notice>) };
    let mut uuid = [0 as libc::c_char; sys::VIR_UUID_STRING_BUFLEN as usize];
    let name = unsafe { text(sys::virNetworkGetName(net)) };
    let uuid = unsafe {
        if sys::virNetworkGetUUIDString(net, uuid.as_mut_ptr()) == 0 {
            text(uuid.as_ptr())
        } else {
            String::new()
        }
    };
    let _ = tx.send(Notice::Network { name, uuid, event });
}

unsafe extern "C" fn closed(_conn: sys::virConnectPtr, reason: libc::c_int, opaque: *mut libc::c_void) {
    // SAFETY: our opaque Sender.
    let tx = unsafe { &*(opaque as *const Sender<Notice>) };
    let reason = match reason as u32 {
        sys::VIR_CONNECT_CLOSE_REASON_EOF => "eof",
        sys::VIR_CONNECT_CLOSE_REASON_KEEPALIVE => "keepalive",
        sys::VIR_CONNECT_CLOSE_REASON_CLIENT => "client",
        _ => "error",
    };
    let _ = tx.send(Notice::Closed { reason });
}

/// Registers `target`'s lifecycle callback on the connection `ptr`, sending to `tx`; libvirt's
/// callback id, or -1.
fn register(ptr: sys::virConnectPtr, target: Target, tx: &Sender<Notice>) -> libc::c_int {
    if let Some(id) = objects::register(ptr, target, tx) {
        return id;
    }
    // SAFETY: a valid connection; the callbacks have the signatures libvirt calls them with
    // (the generic callback type is cast as libvirt's VIR_*_EVENT_CALLBACK macros do); the
    // opaque Sender is freed by libvirt through free_sender when the callback goes.
    unsafe {
        match target {
            Target::Domains => {
                let cb: unsafe extern "C" fn(
                    sys::virConnectPtr,
                    sys::virDomainPtr,
                    libc::c_int,
                    libc::c_int,
                    *mut libc::c_void,
                ) -> libc::c_int = domain_lifecycle;
                sys::virConnectDomainEventRegisterAny(
                    ptr,
                    std::ptr::null_mut(),
                    sys::VIR_DOMAIN_EVENT_ID_LIFECYCLE as libc::c_int,
                    Some(std::mem::transmute::<
                        *const (),
                        unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, *mut libc::c_void),
                    >(cb as *const ())),
                    sender_box(tx),
                    Some(free_sender),
                )
            }
            _ => {
                let cb: unsafe extern "C" fn(
                    sys::virConnectPtr,
                    sys::virNetworkPtr,
                    libc::c_int,
                    libc::c_int,
                    *mut libc::c_void,
                ) = network_lifecycle;
                sys::virConnectNetworkEventRegisterAny(
                    ptr,
                    std::ptr::null_mut(),
                    sys::VIR_NETWORK_EVENT_ID_LIFECYCLE as libc::c_int,
                    Some(std::mem::transmute::<
                        *const (),
                        unsafe extern "C" fn(sys::virConnectPtr, sys::virNetworkPtr, *mut libc::c_void),
                    >(cb as *const ())),
                    sender_box(tx),
                    Some(free_sender),
                )
            }
        }
    }
}

impl Subscription {
    /// Opens a connection of its own with `session`'s URI and timeout and subscribes to
    /// `target`'s lifecycle events and to the connection's closing; everything arrives on `tx`.
    /// Events that happen after this returns are delivered, none before.
    pub fn open(session: &Session, target: Target, tx: &Sender<Notice>) -> Result<Subscription> {
        if !event_loop() {
            return Err(Error::new(
                ErrorKind::Unavailable,
                "libvirt refused to register its event loop",
            ));
        }
        let mut conn = session.connect_again()?;
        let ptr = conn.as_ptr();
        let callback = register(ptr, target, tx);
        if callback < 0 {
            let e = crate::libvirt::error(virt::error::Error::last_error());
            let _ = conn.close();
            return Err(e.context("subscribe to libvirt events"));
        }
        // A driver without close callbacks (in-process test:///) never closes under us anyway.
        // SAFETY: as above; libvirt frees the Sender with free_sender.
        unsafe {
            let opaque = sender_box(tx);
            if sys::virConnectRegisterCloseCallback(ptr, Some(closed), opaque, Some(free_sender)) < 0 {
                free_sender(opaque);
                virt::error::clear_error_callback();
            }
        }
        Ok(Subscription {
            conn,
            callback,
            target,
        })
    }

    /// The subscription's own connection (to read the state it is waiting on).
    pub fn conn(&self) -> &Connect {
        &self.conn
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let ptr = self.conn.as_ptr();
        // SAFETY: the id and callback registered in open(); errors (a dead connection) are fine.
        unsafe {
            match self.target {
                Target::Domains => sys::virConnectDomainEventDeregisterAny(ptr, self.callback),
                Target::Networks => sys::virConnectNetworkEventDeregisterAny(ptr, self.callback),
                target => objects::deregister(ptr, target, self.callback),
            };
            sys::virConnectUnregisterCloseCallback(ptr, Some(closed));
        }
        let _ = self.conn.close();
    }
}

/// Follows `target`'s events on `uri` until the stream ends, handing each to `on` as it comes.
/// A lost connection is handed on as [`Notice::Closed`]; then, with `reconnect`, a new connection
/// is tried every half second and [`Notice::Reconnected`] handed on once it is up (events while
/// the daemon was down are not seen: the daemon was not there to have any); without, the stream
/// ends with exit 6.
pub fn follow(
    session: &Session,
    target: Target,
    reconnect: bool,
    stream: &mut Stream,
    mut on: impl FnMut(&mut Stream, Notice),
) -> Result<()> {
    let (tx, rx) = channel();
    let mut subscription = Some(Subscription::open(session, target, &tx)?);
    while stream.ended().is_none() {
        match rx.recv_timeout(stream.tick()) {
            Ok(Notice::Closed { reason }) => {
                drop(subscription.take());
                on(stream, Notice::Closed { reason });
                if !reconnect {
                    return Err(Error::new(
                        ErrorKind::Unavailable,
                        format!("connection to libvirt lost ({reason})"),
                    )
                    .with_hint("without --no-reconnect the stream reconnects and goes on"));
                }
                match reconnect_until(session, target, &tx, &rx, stream) {
                    Some((s, after)) => {
                        subscription = Some(s);
                        on(stream, Notice::Reconnected { after_secs: after });
                    }
                    None => break,
                }
            }
            Ok(notice) => on(stream, notice),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    Ok(())
}

fn reconnect_until(
    session: &Session,
    target: Target,
    tx: &Sender<Notice>,
    rx: &Receiver<Notice>,
    stream: &Stream,
) -> Option<(Subscription, f64)> {
    let since = Instant::now();
    let mut next = Instant::now();
    while stream.ended().is_none() {
        if Instant::now() >= next {
            if let Ok(s) = Subscription::open(session, target, tx) {
                // Drop what the dead connection still queued (a second Closed, say).
                while rx.try_recv().is_ok() {}
                return Some((s, since.elapsed().as_secs_f64()));
            }
            next = Instant::now() + std::time::Duration::from_millis(500);
        }
        std::thread::sleep(stream.tick().min(std::time::Duration::from_millis(100)));
    }
    None
}

/// A lifecycle event record of one kind of object (a domain's, a network's): the `lifecycle`
/// record of that kind's `events` stream.
pub trait Lifecycle: Serialize + JsonSchema + std::fmt::Debug + Sized {
    /// The objects whose events these are.
    const TARGET: Target;

    /// The record of `notice`, received at `time`, with the object's name (None for a notice
    /// of another kind).
    fn from_notice(notice: Notice, time: String) -> Option<(String, Self)>;

    /// The classic tool's line for it (virsh event, virsh net-event).
    fn line(&self) -> String;
}

/// One record of the `events` stream.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "record", rename_all = "snake_case")]
#[schemars(rename = "{L}Record")]
pub enum EventRecord<L> {
    /// A lifecycle event.
    Lifecycle(L),
    /// The connection to the daemon was lost (not counted by --count).
    Disconnected {
        time: String,
        /// eof, keepalive, error or client.
        reason: String,
    },
    /// Connected again after a loss (not counted by --count).
    Reconnected {
        time: String,
        /// Seconds the stream was without a connection.
        after_secs: f64,
    },
}

impl<L: Lifecycle> Render for EventRecord<L> {
    fn text(&self, _style: TextStyle) -> String {
        match self {
            EventRecord::Lifecycle(event) => event.line(),
            EventRecord::Disconnected { reason, .. } => format!("event 'disconnected': {reason}\n"),
            EventRecord::Reconnected { after_secs, .. } => {
                format!("event 'reconnected': after {after_secs:.1} s\n")
            }
        }
    }
}

/// A lifecycle record as printed with virsh's `--timestamp`: its -o text line after the time it
/// came, as virsh prints it ("2026-12-07 23:13:44.481+0000: event 'lifecycle' ..."); its JSON is
/// the record's own (which carries the time always).
struct Stamped<'a, R> {
    record: &'a R,
    at: &'a str,
}

impl<R: Serialize> Serialize for Stamped<'_, R> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.record.serialize(s)
    }
}

impl<R: Render> Render for Stamped<'_, R> {
    fn text(&self, style: TextStyle) -> String {
        format!("{}: {}", virsh_time(self.at), self.record.text(style))
    }
}

/// virsh's event time (libvirt's virTimeStringNow, always UTC) from an RFC 3339 UTC time:
/// "2026-12-07T23:13:44.481Z" is "2026-12-07 23:13:44.481+0000".
pub fn virsh_time(rfc3339: &str) -> String {
    format!("{}+0000", rfc3339.trim_end_matches('Z').replacen('T', " ", 1))
}

/// The `events` verb of both tools: `L`'s lifecycle events (only `only`'s, when given) as
/// NDJSON until the stream ends; a lost connection is a `disconnected` record, then (with
/// `reconnect`) a `reconnected` one once a new connection is up, or exit 6 without. With
/// `timestamp` (virsh's --timestamp) each event's -o text line starts with its time.
pub fn stream<L: Lifecycle>(
    session: &Session,
    only: Option<&str>,
    args: &StreamArgs,
    reconnect: bool,
    timestamp: bool,
) -> Result<Streamed<EventRecord<L>>> {
    let mut stream = Stream::start(args);
    follow(
        session,
        L::TARGET,
        reconnect,
        &mut stream,
        |stream, notice| match notice {
            Notice::Closed { reason } => stream.notice(&EventRecord::<L>::Disconnected {
                time: now(),
                reason: reason.into(),
            }),
            Notice::Reconnected { after_secs } => stream.notice(&EventRecord::<L>::Reconnected {
                time: now(),
                after_secs: (after_secs * 10.0).round() / 10.0,
            }),
            notice => {
                let at = now();
                let Some((name, event)) = L::from_notice(notice, at.clone()) else {
                    return;
                };
                if only.is_some_and(|o| o != name) {
                    return;
                }
                let record = EventRecord::Lifecycle(event);
                match timestamp {
                    true => stream.event(&Stamped {
                        record: &record,
                        at: &at,
                    }),
                    false => stream.event(&record),
                }
            }
        },
    )?;
    Ok(Streamed::new(stream.printed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// virsh --timestamp's prefix: libvirt's UTC time with milliseconds and "+0000".
    #[test]
    fn virsh_time_is_libvirts_utc_spelling() {
        assert_eq!(
            super::virsh_time("2026-12-07T23:13:44.481Z"),
            "2026-12-07 23:13:44.481+0000"
        );
    }

    #[test]
    fn test_driver_delivers_domain_events_in_order() {
        let (tx, rx) = channel();
        let args = crate::libvirt::ConnectArgs {
            connect: Some("test:///default".into()),
            ..Default::default()
        };
        let session = Session::new(&args, false);
        let sub = Subscription::open(&session, Target::Domains, &tx).unwrap();
        let xml = "<domain type='test'><name>vnet-events-unit</name><memory>1024</memory>\
                   <os><type>hvm</type></os></domain>";
        let dom = virt::domain::Domain::define_xml(sub.conn(), xml).unwrap();
        dom.create().unwrap();
        dom.destroy().unwrap();
        dom.undefine().unwrap();
        let mut seen = Vec::new();
        while seen.len() < 4 {
            match rx.recv_timeout(Duration::from_secs(5)).expect("an event") {
                Notice::Domain { name, event, .. } if name == "vnet-events-unit" => seen.push(event),
                _ => {}
            }
        }
        let want = [
            sys::VIR_DOMAIN_EVENT_DEFINED,
            sys::VIR_DOMAIN_EVENT_STARTED,
            sys::VIR_DOMAIN_EVENT_STOPPED,
            sys::VIR_DOMAIN_EVENT_UNDEFINED,
        ];
        assert_eq!(seen, want.map(|e| e as i32));
    }

    #[test]
    fn test_driver_delivers_node_device_and_pool_events() {
        let (tx, rx) = channel();
        let args = crate::libvirt::ConnectArgs {
            connect: Some("test:///default".into()),
            ..Default::default()
        };
        let session = Session::new(&args, false);
        let devices = Subscription::open(&session, Target::NodeDevices, &tx).unwrap();
        let pools = Subscription::open(&session, Target::Pools, &tx).unwrap();
        // The test driver's fibre channel adapter makes a vHBA; libvirt names it.
        let vhba = "<device><parent>scsi_host1</parent><capability type='scsi_host'>\
                    <capability type='fc_host'><wwnn>2000000012341299</wwnn>\
                    <wwpn>1000000012341299</wwpn></capability></capability></device>";
        let dev = virt::nodedev::NodeDevice::create_xml(devices.conn(), vhba, 0).unwrap();
        let name = dev.get_name().unwrap();
        dev.destroy().unwrap();
        let pool = "<pool type='dir'><name>vnet-events-pool</name><target><path>/tmp</path></target></pool>";
        let pool = virt::storage_pool::StoragePool::define_xml(pools.conn(), pool, 0).unwrap();
        pool.undefine().unwrap();
        let mut seen = Vec::new();
        while seen.len() < 4 {
            match rx.recv_timeout(Duration::from_secs(5)).expect("an event") {
                Notice::NodeDevice { name: n, event } if n == name => seen.push(("dev", event)),
                Notice::Pool { name, event, .. } if name == "vnet-events-pool" => seen.push(("pool", event)),
                _ => {}
            }
        }
        seen.sort();
        let created = sys::VIR_NODE_DEVICE_EVENT_CREATED as i32;
        let deleted = sys::VIR_NODE_DEVICE_EVENT_DELETED as i32;
        let defined = sys::VIR_STORAGE_POOL_EVENT_DEFINED as i32;
        let undefined = sys::VIR_STORAGE_POOL_EVENT_UNDEFINED as i32;
        assert_eq!(
            seen,
            [
                ("dev", created),
                ("dev", deleted),
                ("pool", defined),
                ("pool", undefined)
            ]
        );
    }
}
