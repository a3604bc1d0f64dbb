//! libvirt glue for vnet-net and vnet-vm (feature `libvirt`): connecting with virsh's URI rules and
//! mapping libvirt's error numbers onto the shared exit codes.

pub mod document;
pub mod edit;
pub mod forwards;
pub mod kvm;
pub mod lifecycle;
pub mod lookup;
pub mod metadata;
pub mod network;
pub mod nwfilter;
pub mod nwfilter_binding;
pub mod ports;
pub mod secret;
pub mod xml;
pub mod xpath;

use crate::{Error, ErrorKind, Result};
use std::sync::OnceLock;
use std::time::Duration;
use virt::connect::Connect;
use virt::error::ErrorNumber;

/// The URI a connection uses: `--connect`, else LIBVIRT_DEFAULT_URI, else libvirt's own default
/// (qemu:///system for root), exactly as virsh resolves it.
pub fn effective_uri(connect: Option<&str>) -> Option<String> {
    connect.map(str::to_string).or_else(|| {
        std::env::var("LIBVIRT_DEFAULT_URI")
            .ok()
            .filter(|u| !u.is_empty())
    })
}

/// How long a daemon or host may take to answer when no `--timeout`/VNET_TIMEOUT says otherwise.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

fn env_timeout() -> Result<Option<Duration>> {
    let Ok(value) = std::env::var("VNET_TIMEOUT") else {
        return Ok(Some(Duration::from_secs(DEFAULT_TIMEOUT_SECS)));
    };
    match value.trim().parse::<u64>() {
        Ok(secs) if secs <= 86400 => Ok((secs > 0).then(|| Duration::from_secs(secs))),
        _ => Err(Error::new(
            ErrorKind::Usage,
            format!(
                "VNET_TIMEOUT={}: not a number of seconds from 0 to 86400",
                crate::error::quote(&value)
            ),
        )
        .with_hint("set VNET_TIMEOUT=30 (seconds; 0 waits forever), or pass --timeout SECS")),
    }
}

/// Opens a libvirt connection that gives up after `timeout` (None: waits as long as libvirt
/// does). The connection is opened on a helper thread: a daemon that accepts the socket but never
/// answers (stopped with SIGSTOP, or a host dropping packets) is exit 6 after `timeout`, with
/// nothing changed. Once connected, libvirt keepalive (as virsh uses it) makes any later call fail
/// within about `timeout` when the daemon stops answering; that failure is exit 6 too.
pub fn connect_with(uri: Option<&str>, timeout: Option<Duration>) -> Result<Connect> {
    // libvirt's default handler prints every error to stderr; we report them ourselves, once.
    virt::error::clear_error_callback();
    let uri = effective_uri(uri);
    // Named in messages; without a URI, libvirt's default (what virsh uses, by default).
    let shown = uri.clone().unwrap_or_else(|| {
        let default = match nix::unistd::geteuid().is_root() {
            true => "qemu:///system",
            false => "qemu:///session",
        };
        format!("{default} (the default URI)")
    });
    let opened = match timeout {
        None => Connect::open(uri.as_deref()),
        Some(timeout) => {
            // The event loop must be registered before the connection opens, for keepalive.
            let events = event_loop();
            let (tx, rx) = std::sync::mpsc::channel();
            let wanted = uri.clone();
            let spawned = std::thread::Builder::new()
                .name("libvirt-connect".into())
                .spawn(move || {
                    virt::error::clear_error_callback();
                    let _ = tx.send(Connect::open(wanted.as_deref()));
                });
            if spawned.is_err() {
                return Err(Error::failed("connect to libvirt: cannot start a thread"));
            }
            match rx.recv_timeout(timeout) {
                Ok(opened) => {
                    let conn = opened.map_err(|e| connect_error(&shown, &e))?;
                    if events {
                        keep_alive(&conn, timeout);
                    }
                    return Ok(conn);
                }
                Err(_) => return Err(not_answering(&shown, timeout)),
            }
        }
    };
    opened.map_err(|e| connect_error(&shown, &e))
}

/// Registers libvirt's default event loop (virEventRegisterDefaultImpl) and runs it
/// (virEventRunDefaultImpl) on a thread of its own: once per process, whoever asks first. Domain
/// and network events, close callbacks and keepalive need it, registered BEFORE the connection
/// they concern is opened. False when libvirt refused (keepalive is then left off).
pub fn event_loop() -> bool {
    static STARTED: OnceLock<bool> = OnceLock::new();
    *STARTED.get_or_init(|| {
        if virt::event::event_register_default_impl().is_err() {
            return false;
        }
        std::thread::Builder::new()
            .name("libvirt-events".into())
            .spawn(|| while virt::event::event_run_default_impl().is_ok() {})
            .is_ok()
    })
}

/// Turns on libvirt keepalive so that a daemon that stops answering is noticed within about
/// `timeout`: a probe every interval, the connection closed after `count` unanswered ones (and
/// one more interval). Drivers without keepalive (test:///, local in-process ones) refuse it;
/// that is fine, they cannot hang on a daemon.
fn keep_alive(conn: &Connect, timeout: Duration) {
    let (interval, count) = keepalive_for(timeout);
    if conn.set_keep_alive(interval, count).is_err() {
        // Clear the refusal so it is not reported later as some other call's error.
        virt::error::clear_error_callback();
    }
}

/// The keepalive interval (seconds) and count for a timeout: interval * (count + 1) ~= timeout.
pub fn keepalive_for(timeout: Duration) -> (i32, u32) {
    let secs = timeout.as_secs().max(1);
    let interval = (secs / 3).clamp(1, i32::MAX as u64) as i32;
    (interval, 2)
}

/// What a URI reaches, for messages: "libvirt at URI" or "libvirt on host H (URI)".
pub fn describe(uri: &str) -> String {
    match remote_host(uri) {
        Some(host) => format!("libvirt on host {host} ({uri})"),
        None => format!("libvirt at {uri}"),
    }
}

/// The hint for a daemon that cannot be reached: local advice for a local URI only.
pub fn unreachable_hint(uri: &str) -> String {
    match remote_host(uri) {
        Some(host) => format!(
            "check that host {host} is up and reachable and that its libvirtd listens for this \
             transport, or pass another -c URI"
        ),
        None => "start the daemon (libvirtd -d, or systemctl start libvirtd) or pass -c URI".to_string(),
    }
}

fn not_answering(uri: &str, timeout: Duration) -> Error {
    Error::new(
        ErrorKind::Unavailable,
        format!(
            "connect to {}: {} did not answer within {} s; nothing was changed",
            describe(uri),
            remote_host(uri).map_or_else(|| "the daemon".to_string(), |h| format!("host {h}")),
            timeout.as_secs()
        ),
    )
    .with_hint(match remote_host(uri) {
        Some(host) => {
            format!("check host {host} and its libvirtd; raise --timeout (or VNET_TIMEOUT) to wait longer")
        }
        None => "the daemon may be stopped or overloaded (check libvirtd); raise --timeout (or \
                 VNET_TIMEOUT) to wait longer"
            .to_string(),
    })
}

/// A failed open: an unparseable URI or one no driver takes is bad input (exit 7, no daemon
/// hint); anything else means the daemon or host cannot be reached (exit 6, a hint for it).
fn connect_error(uri: &str, e: &virt::error::Error) -> Error {
    let message = e.message();
    let lower = message.to_ascii_lowercase();
    if lower.contains("parse") && lower.contains("uri") || lower.contains("no connection driver available") {
        return Error::invalid(format!("connect to libvirt: {}", crate::error::one_line(message)))
            .with_hint("a URI looks like qemu:///system, qemu+ssh://user@host/system or test:///default");
    }
    let kind = match kind_of_error(e) {
        ErrorKind::Permission => ErrorKind::Permission,
        _ => ErrorKind::Unavailable,
    };
    let error = Error::new(kind, format!("connect to {}: {message}", describe(uri)));
    match kind {
        ErrorKind::Permission => error,
        _ => error.with_hint(unreachable_hint(uri)),
    }
}

/// `-c/--connect URI` and `--timeout SECS`, the global flags of both libvirt tools.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ConnectArgs {
    /// libvirt URI (qemu:///system, qemu+ssh://host/system, qemu+tcp://host/system,
    /// test:///default); default: LIBVIRT_DEFAULT_URI, else libvirt's default as virsh uses it.
    #[arg(short = 'c', long = "connect", value_name = "URI", global = true)]
    pub connect: Option<String>,
    /// Give up on a libvirt daemon or host that does not answer within SECS seconds (default 30;
    /// 0 waits forever): connecting (then nothing was changed), and during any later call, which
    /// libvirt keepalive makes fail (the verb's changes are then undone as far as the connection
    /// allows, and what is left is named). Either way the exit code is 6. Without this flag, the
    /// environment variable VNET_TIMEOUT gives SECS. Given before the verb (after it, --timeout
    /// is the verb's own, as for wait and events).
    #[arg(long, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(0..=86400))]
    pub timeout: Option<u64>,
}

impl ConnectArgs {
    /// The timeout these flags ask for: --timeout, else VNET_TIMEOUT, else 30 s; None for 0.
    /// A VNET_TIMEOUT that is not a number of seconds is a usage error (exit 2).
    pub fn timeout(&self) -> Result<Option<Duration>> {
        match self.timeout {
            Some(secs) => Ok((secs > 0).then(|| Duration::from_secs(secs))),
            None => env_timeout(),
        }
    }
}

/// virsh's `--name` listing document (list, pool-list, net-list): each name on its own line,
/// left-aligned in `width` columns (virsh 9.0 pads pool names to 20, domain names not at all), then
/// a blank line.
pub fn names_document<'a>(names: impl IntoIterator<Item = &'a str>, width: usize) -> String {
    let mut text: String = names.into_iter().map(|n| format!("{n:<width$}\n")).collect();
    text.push('\n');
    text
}

/// One libvirt connection, opened on first use (so bad input is refused even with the daemon
/// down) and shared by every command of a batch.
pub struct Session {
    uri: Option<String>,
    timeout: Result<Option<Duration>>,
    conn: Option<Connect>,
    /// True inside --batch (interactive verbs refuse to run there).
    pub batch: bool,
}

impl Session {
    pub fn new(args: &ConnectArgs, batch: bool) -> Session {
        Session {
            uri: args.connect.clone(),
            timeout: args.timeout(),
            conn: None,
            batch,
        }
    }

    /// The URI asked for with -c (None: LIBVIRT_DEFAULT_URI or libvirt's default).
    pub fn uri(&self) -> Option<&str> {
        self.uri.as_deref()
    }

    pub fn conn(&mut self) -> Result<&Connect> {
        if self.conn.is_none() {
            let timeout = self.timeout.clone()?;
            self.conn = Some(connect_with(self.uri.as_deref(), timeout)?);
        }
        Ok(self.conn.as_ref().expect("just opened"))
    }

    /// A further connection with this session's URI and timeout, for work that needs one of its
    /// own (an event subscription: libvirt's event loop must be registered before it opens).
    pub fn connect_again(&self) -> Result<Connect> {
        connect_with(self.uri.as_deref(), self.timeout.clone()?)
    }

    /// The URI asked for (--connect, else LIBVIRT_DEFAULT_URI; None: libvirt's default), known
    /// without connecting.
    pub fn uri_asked(&self) -> Option<String> {
        effective_uri(self.uri.as_deref())
    }

    /// The timeout this session uses (None: none; Err: VNET_TIMEOUT is not a number).
    pub fn timeout(&self) -> Result<Option<Duration>> {
        self.timeout.clone()
    }

    /// True when the daemon runs on this machine, so local files and sysfs are what it sees.
    pub fn is_local(&mut self) -> Result<bool> {
        let uri = self.conn()?.get_uri().libvirt("connection URI")?;
        Ok(is_local_uri(&uri))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = conn.close();
        }
    }
}

/// The host part of a URI that names another machine; None for this machine's daemon.
pub fn remote_host(uri: &str) -> Option<String> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.split_once(']'))
        .map_or_else(|| host.split(':').next().unwrap_or(""), |(h, _)| h);
    let local = host.is_empty() || host == "localhost" || host.starts_with("127.") || host == "::1";
    (!local).then(|| host.to_string())
}

/// True for URIs served on this machine: no host part (any transport then reaches the local
/// daemon), or a loopback host.
pub fn is_local_uri(uri: &str) -> bool {
    remote_host(uri).is_none()
}

/// Converts a libvirt error into ours, keeping libvirt's message (folded onto one line) and
/// choosing the exit code from its number and, where the number is a generic one, its message.
pub fn error(e: virt::error::Error) -> Error {
    let kind = kind_of_error(&e);
    let message = crate::error::one_line(e.message());
    let error = Error::new(kind, message);
    match kind {
        ErrorKind::Unavailable if lost_connection(&e) => error.with_hint(
            "the connection to libvirt was lost (the daemon stopped, died or stopped answering): \
             check the daemon, then run the command again",
        ),
        _ => error,
    }
}

/// The exit-code kind of a libvirt error: [`kind_of`] its number, refined for the numbers libvirt
/// uses for many things (operation invalid / failed, internal or system errors) by its message,
/// so that a race lost to another caller ("already exists", "in use", "already active") is exit 4
/// as when the callers run one after another, and a lost connection is exit 6 wherever it happens.
pub fn kind_of_error(e: &virt::error::Error) -> ErrorKind {
    if lost_connection(e) {
        return ErrorKind::Unavailable;
    }
    let by_number = kind_of(e.code());
    if by_number != ErrorKind::Failed {
        return by_number;
    }
    let message = e.message().to_ascii_lowercase();
    const EXISTS: [&str; 8] = [
        "already exists",
        "already exist",
        "already in use",
        "is in use",
        "already active",
        "is already running",
        "already defined",
        "already being",
    ];
    if EXISTS.iter().any(|m| message.contains(m)) {
        return ErrorKind::Exists;
    }
    ErrorKind::Failed
}

/// True when the error says the connection itself is gone: an RPC error, a system (I/O) error of
/// the RPC or remote layer, a connection libvirt already closed, or a keepalive timeout.
pub fn lost_connection(e: &virt::error::Error) -> bool {
    use virt::error::ErrorDomain;
    use ErrorNumber::*;
    let message = e.message().to_ascii_lowercase();
    let transport = matches!(e.domain(), ErrorDomain::Rpc | ErrorDomain::Remote);
    matches!(e.code(), Rpc | NoConnect | InvalidConn)
        || (transport && matches!(e.code(), SystemError | InternalError | OperationFailed))
        || message.contains("keepalive")
        || message.contains("client socket is closed")
        || message.contains("end of file while reading data")
        || message.contains("connection closed")
}

/// The exit-code kind a libvirt error number stands for.
pub fn kind_of(code: ErrorNumber) -> ErrorKind {
    use ErrorNumber::*;
    match code {
        NoDomain | NoNetwork | NoStoragePool | NoStorageVolume | NoInterface | NoSecret | NoNodeDevice
        | NoNetworkPort | NoDomainSnapshot => ErrorKind::NotFound,
        DomExist | NetworkExist | StorageVolExist | NetworkPortExists | ResourceBusy => ErrorKind::Exists,
        AccessDenied | OperationDenied | AuthFailed | NoRoot => ErrorKind::Permission,
        NoConnect | InvalidConn | Rpc | NoSupport | OperationUnsupported | AuthUnavailable
        | OperationTimeout => ErrorKind::Unavailable,
        XmlError | XmlDetail | XmlInvalidSchema | InvalidArg | ConfigUnsupported | InvalidMac => {
            ErrorKind::Invalid
        }
        _ => ErrorKind::Failed,
    }
}

/// `.libvirt("what")` on a libvirt result: converts the error and says what was being done.
pub trait LibvirtContext<T> {
    fn libvirt(self, what: impl std::fmt::Display) -> Result<T>;
}

impl<T> LibvirtContext<T> for std::result::Result<T, virt::error::Error> {
    fn libvirt(self, what: impl std::fmt::Display) -> Result<T> {
        self.map_err(|e| error(e).context(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_documents_as_virsh_prints_them() {
        assert_eq!(names_document(["a", "bb"], 0), "a\nbb\n\n");
        assert_eq!(names_document(["p"], 4), "p   \n\n");
        assert_eq!(names_document([], 20), "\n");
    }

    #[test]
    fn connects_to_the_in_process_test_driver() {
        let conn = connect_with(Some("test:///default"), None).unwrap();
        assert_eq!(conn.get_uri().unwrap(), "test:///default");
    }

    #[test]
    fn unreachable_daemon_is_exit_6_with_hint() {
        let e = connect_with(
            Some("qemu+unix:///system?socket=/nonexistent/sock"),
            Some(Duration::from_secs(DEFAULT_TIMEOUT_SECS)),
        )
        .err()
        .unwrap();
        assert_eq!(e.exit_code(), 6);
        assert!(e.hint.is_some());
    }

    #[test]
    fn local_uris() {
        for local in [
            "qemu:///system",
            "qemu+unix:///system?socket=/x",
            "test:///default",
            "qemu:///session",
            "qemu+tcp:///system",
            "qemu+ssh://root@localhost/system",
            "qemu+tcp://127.0.0.1:16509/system",
        ] {
            assert!(is_local_uri(local), "{local}");
        }
        for remote in [
            "qemu+ssh://host/system",
            "qemu+tcp://10.0.0.1/system",
            "qemu://host/system",
            "qemu+ssh://root@[fd00::2]:22/system",
        ] {
            assert!(!is_local_uri(remote), "{remote}");
        }
    }

    #[test]
    fn hints_name_a_remote_host_and_give_local_advice_only_locally() {
        assert_eq!(remote_host("qemu+ssh://root@h1:22/system").as_deref(), Some("h1"));
        assert_eq!(remote_host("qemu:///system"), None);
        let remote = unreachable_hint("qemu+tcp://h1/system");
        assert!(
            remote.contains("host h1") && !remote.contains("libvirtd -d"),
            "{remote}"
        );
        assert!(unreachable_hint("qemu:///system").contains("libvirtd -d"));
        let e = not_answering("qemu+tcp://h1/system", Duration::from_secs(3));
        assert_eq!(e.exit_code(), 6);
        assert_eq!(
            e.message,
            "connect to libvirt on host h1 (qemu+tcp://h1/system): host h1 did not answer within 3 s; \
             nothing was changed"
        );
        assert!(!e.hint.unwrap().contains("libvirtd -d"));
    }

    #[test]
    fn unparseable_uris_are_bad_input_without_the_daemon_hint() {
        // (An unknown driver is refused by the daemon, so only the end-to-end test can show it.)
        for uri in ["::bad", "qemu+tcp://[::1/system"] {
            let e = connect_with(Some(uri), Some(Duration::from_secs(DEFAULT_TIMEOUT_SECS)))
                .err()
                .unwrap();
            assert_eq!(e.exit_code(), 7, "{e:?}");
            assert!(!e.hint.unwrap().contains("start the daemon"));
        }
    }

    #[test]
    fn keepalive_follows_the_timeout() {
        assert_eq!(keepalive_for(Duration::from_secs(3)), (1, 2));
        assert_eq!(keepalive_for(Duration::from_secs(30)), (10, 2));
        assert_eq!(keepalive_for(Duration::from_secs(1)), (1, 2));
    }

    #[test]
    fn the_timeout_flag_defaults_to_30_s_and_0_means_none() {
        let args = |t| ConnectArgs {
            timeout: t,
            ..Default::default()
        };
        assert_eq!(args(Some(0)).timeout(), Ok(None));
        assert_eq!(args(Some(5)).timeout(), Ok(Some(Duration::from_secs(5))));
        // The test driver has no keepalive: connecting with a timeout still works.
        let mut session = Session::new(
            &ConnectArgs {
                connect: Some("test:///default".into()),
                timeout: Some(2),
            },
            false,
        );
        assert!(session.conn().is_ok());
    }

    #[test]
    fn missing_objects_are_not_found() {
        let conn = connect_with(Some("test:///default"), None).unwrap();
        let e = virt::network::Network::lookup_by_name(&conn, "no-such-net")
            .libvirt("network")
            .err()
            .unwrap();
        assert_eq!(e.exit_code(), 3, "{e:?}");
    }
}
