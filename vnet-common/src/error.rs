//! One error type for every tool: a kind that maps to the documented exit code, a one-line message
//! ("what failed: why") and an optional hint line.

use std::fmt;

/// What went wrong, as scripts see it through the exit code (DESIGN.md table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The kernel, libvirt or I/O refused the operation.
    Failed,
    /// Bad flags or arguments.
    Usage,
    /// Namespace, link, bridge, network or domain does not exist.
    NotFound,
    /// Already exists or in use.
    Exists,
    /// Not root or missing capability.
    Permission,
    /// libvirt daemon unreachable or kernel feature missing.
    Unavailable,
    /// Input rejected before anything was touched.
    Invalid,
    /// Stopped by this signal between two steps (exit 128+N).
    Interrupted(i32),
    /// A command run for the user could not start: the shell's status (126, 127).
    Status(u8),
}

impl ErrorKind {
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Failed => 1,
            ErrorKind::Usage => 2,
            ErrorKind::NotFound => 3,
            ErrorKind::Exists => 4,
            ErrorKind::Permission => 5,
            ErrorKind::Unavailable => 6,
            ErrorKind::Invalid => 7,
            ErrorKind::Interrupted(signal) => (128 + signal).clamp(0, 255) as u8,
            ErrorKind::Status(status) => status,
        }
    }

    /// The kind an errno from the kernel or libc stands for.
    pub fn from_errno(errno: i32) -> ErrorKind {
        match errno {
            libc::ENOENT | libc::ENODEV | libc::ESRCH | libc::ENXIO => ErrorKind::NotFound,
            libc::EEXIST | libc::EBUSY | libc::ENOTEMPTY | libc::EADDRINUSE => ErrorKind::Exists,
            libc::EPERM | libc::EACCES => ErrorKind::Permission,
            libc::EOPNOTSUPP | libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT | libc::ENOSYS => {
                ErrorKind::Unavailable
            }
            _ => ErrorKind::Failed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
    /// Set when the runner undid the verb's changes after this error (see journal.rs).
    pub rollback: Option<crate::journal::Rollback>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        let kind_hint = (kind == ErrorKind::Permission).then(|| "run as root".to_string());
        Error {
            kind,
            message: message.into(),
            hint: kind_hint,
            rollback: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Invalid, message)
    }

    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::NotFound, message)
    }

    pub fn exists(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Exists, message)
    }

    pub fn failed(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Failed, message)
    }

    pub fn from_errno(errno: i32) -> Error {
        let text = std::io::Error::from_raw_os_error(errno).to_string();
        // Drop Rust's " (os error N)" suffix: the message is for people, the kind is for scripts.
        let text = text.split(" (os error").next().unwrap_or(&text).to_string();
        Error::new(ErrorKind::from_errno(errno), text)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// Prefixes the message with what was being done: "add namespace Blue: File exists".
    pub fn context(mut self, what: impl fmt::Display) -> Error {
        self.message = format!("{what}: {}", self.message);
        self
    }

    pub fn exit_code(&self) -> u8 {
        self.kind.exit_code()
    }
}

/// Quotes untrusted text (a name, a path) for an error message: in single quotes, with control
/// characters and quotes escaped, so a message is always one line and sends no terminal codes.
pub fn quote(text: &str) -> String {
    format!("'{}'", one_line(text).replace('\'', "\\'"))
}

/// Escapes control characters (a backend's multi-line message folds into one line).
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim_end().chars() {
        match c {
            '\n' => out.push_str(" / "),
            '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        match e.raw_os_error() {
            Some(errno) => Error::from_errno(errno),
            None => Error::failed(e.to_string()),
        }
    }
}

impl From<nix::Error> for Error {
    fn from(e: nix::Error) -> Error {
        Error::from_errno(e as i32)
    }
}

impl From<rtnetlink::Error> for Error {
    fn from(e: rtnetlink::Error) -> Error {
        match &e {
            rtnetlink::Error::NetlinkError(msg) => match msg.code {
                Some(code) => Error::from_errno(-code.get()),
                None => Error::failed("netlink request failed"),
            },
            other => Error::failed(other.to_string()),
        }
    }
}

/// `.context("what")` on any result whose error converts into [`Error`].
pub trait Context<T> {
    fn context(self, what: impl fmt::Display) -> Result<T>;
    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| e.into().context(what))
    }

    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|e| e.into().context(what()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_maps_to_documented_exit_codes() {
        assert_eq!(Error::from_errno(libc::ENOENT).exit_code(), 3);
        assert_eq!(Error::from_errno(libc::EEXIST).exit_code(), 4);
        assert_eq!(Error::from_errno(libc::EPERM).exit_code(), 5);
        assert_eq!(Error::from_errno(libc::EOPNOTSUPP).exit_code(), 6);
        assert_eq!(Error::from_errno(libc::EINVAL).exit_code(), 1);
        assert_eq!(Error::invalid("x").exit_code(), 7);
    }

    #[test]
    fn context_prefixes_message_and_keeps_kind() {
        let e: Result<()> = Err(std::io::Error::from_raw_os_error(libc::EEXIST)).context("add Blue");
        let e = e.unwrap_err();
        assert_eq!(e.message, "add Blue: File exists");
        assert_eq!(e.kind, ErrorKind::Exists);
    }

    #[test]
    fn untrusted_text_stays_on_one_line() {
        assert_eq!(quote("a\nb\x1b[31m"), "'a / b\\u{1b}[31m'");
        assert_eq!(one_line("qemu: first\nsecond\n"), "qemu: first / second");
        assert_eq!(ErrorKind::Interrupted(15).exit_code(), 143);
    }

    #[test]
    fn permission_errors_carry_a_hint() {
        assert_eq!(
            Error::from_errno(libc::EPERM).hint.as_deref(),
            Some("run as root")
        );
    }
}
