//! libvirt glue for vnet-net and vnet-vm (feature `libvirt`): connecting with virsh's URI rules and
//! mapping libvirt's error numbers onto the shared exit codes.

pub mod kvm;

use crate::{Error, ErrorKind, Result};
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

/// Opens a libvirt connection; an unreachable daemon is exit code 6 with a hint to start it.
pub fn connect(uri: Option<&str>) -> Result<Connect> {
    // libvirt's default handler prints every error to stderr; we report them ourselves, once.
    virt::error::clear_error_callback();
    let uri = effective_uri(uri);
    Connect::open(uri.as_deref()).map_err(|e| {
        let shown = uri.as_deref().unwrap_or("the default URI");
        Error::new(
            ErrorKind::Unavailable,
            format!("connect to libvirt at {shown}: {}", e.message()),
        )
        .with_hint("start the daemon (libvirtd -d, or systemctl start libvirtd) or pass -c URI")
    })
}

/// `-c/--connect URI`, the global flag of both libvirt tools.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ConnectArgs {
    /// libvirt URI (qemu:///system, qemu+ssh://host/system, qemu+tcp://host/system,
    /// test:///default); default: LIBVIRT_DEFAULT_URI, else libvirt's default as virsh uses it.
    #[arg(short = 'c', long = "connect", value_name = "URI", global = true)]
    pub connect: Option<String>,
}

/// One libvirt connection, opened on first use (so bad input is refused even with the daemon
/// down) and shared by every command of a batch.
pub struct Session {
    uri: Option<String>,
    conn: Option<Connect>,
    /// True inside --batch (interactive verbs refuse to run there).
    pub batch: bool,
}

impl Session {
    pub fn new(args: &ConnectArgs, batch: bool) -> Session {
        Session {
            uri: args.connect.clone(),
            conn: None,
            batch,
        }
    }

    pub fn conn(&mut self) -> Result<&Connect> {
        if self.conn.is_none() {
            self.conn = Some(connect(self.uri.as_deref())?);
        }
        Ok(self.conn.as_ref().expect("just opened"))
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

/// True for URIs served on this machine: no host part (any transport then reaches the local
/// daemon), or a loopback host.
pub fn is_local_uri(uri: &str) -> bool {
    let Some((_, rest)) = uri.split_once("://") else {
        return true;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.split_once(']'))
        .map_or_else(|| host.split(':').next().unwrap_or(""), |(h, _)| h);
    host.is_empty() || host == "localhost" || host.starts_with("127.") || host == "::1"
}

/// Converts a libvirt error into ours, keeping libvirt's message and choosing the exit code.
pub fn error(e: virt::error::Error) -> Error {
    Error::new(kind_of(e.code()), e.message().to_string())
}

/// The exit-code kind a libvirt error number stands for.
pub fn kind_of(code: ErrorNumber) -> ErrorKind {
    use ErrorNumber::*;
    match code {
        NoDomain | NoNetwork | NoStoragePool | NoStorageVolume | NoInterface | NoSecret | NoNodeDevice
        | NoNetworkPort | NoDomainSnapshot => ErrorKind::NotFound,
        DomExist | NetworkExist | StorageVolExist | NetworkPortExists | ResourceBusy => ErrorKind::Exists,
        AccessDenied | OperationDenied | AuthFailed | NoRoot => ErrorKind::Permission,
        NoConnect | InvalidConn | Rpc | NoSupport | OperationUnsupported | AuthUnavailable => {
            ErrorKind::Unavailable
        }
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
    fn connects_to_the_in_process_test_driver() {
        let conn = connect(Some("test:///default")).unwrap();
        assert_eq!(conn.get_uri().unwrap(), "test:///default");
    }

    #[test]
    fn unreachable_daemon_is_exit_6_with_hint() {
        let e = connect(Some("qemu+unix:///system?socket=/nonexistent/sock"))
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
    fn missing_objects_are_not_found() {
        let conn = connect(Some("test:///default")).unwrap();
        let e = virt::network::Network::lookup_by_name(&conn, "no-such-net")
            .libvirt("network")
            .err()
            .unwrap();
        assert_eq!(e.exit_code(), 3, "{e:?}");
    }
}
