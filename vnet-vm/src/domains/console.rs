//! `console NAME` (virsh console) over libvirt's stream API (Domain::open_console): a thread relays
//! the guest's output to stdout while the main thread relays stdin to the guest. On a terminal the
//! terminal is in raw mode until the escape character, restored by a guard on every exit path.

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::termios::{self, SetArg, Termios};
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::os::fd::AsFd;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;
use virt::connect::Connect;
use virt::stream::Stream;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, ErrorKind, Journal, Render, Result, Verb};

/// The escape character: `^X` for a control key, or one ASCII character.
pub fn parse_escape(s: &str) -> Result<u8> {
    let b = s.as_bytes();
    match b {
        [b'^', c] if (b'@'..=b'_').contains(&c.to_ascii_uppercase()) => Ok(c.to_ascii_uppercase() & 0x1f),
        [c] if c.is_ascii() => Ok(*c),
        _ => Err(Error::invalid(format!(
            "--escape {}: give ^X or one ASCII character",
            quote(s)
        ))),
    }
}

/// Restores the terminal's modes when dropped (normal return, error, or panic unwinding).
struct RawMode {
    saved: Termios,
}

impl RawMode {
    fn enter() -> Result<RawMode> {
        let stdin = std::io::stdin();
        let saved =
            termios::tcgetattr(stdin.as_fd()).map_err(|e| Error::from(e).context("read terminal modes"))?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        termios::tcsetattr(stdin.as_fd(), SetArg::TCSAFLUSH, &raw)
            .map_err(|e| Error::from(e).context("set raw mode"))?;
        Ok(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(std::io::stdin().as_fd(), SetArg::TCSAFLUSH, &self.saved);
    }
}

/// How the guest side ended: None when the console closed, Some(message) on a stream error.
type Ended = Option<String>;

/// Attach to a domain's serial console (virsh console).
///
/// On a terminal: raw mode until the escape character (default ^]); the terminal is restored on
/// every exit. When stdin is not a terminal (a script): relays stdin to the guest and the guest to
/// stdout, and exits when stdin closes (after --linger to drain the guest's answer) or when the
/// console closes. Exit 6 with a hint when the domain has no serial console. Interactive: refused
/// in --batch. Prints only what the guest writes (-o json adds {"name"} once the console closed).
#[derive(Debug, clap::Args)]
pub struct Console {
    pub name: String,
    /// Take the console over from another session.
    #[arg(long)]
    pub force: bool,
    /// The escape character on a terminal: ^X for a control key, or one character.
    #[arg(long, value_name = "CHAR", default_value = "^]")]
    pub escape: String,
    /// After stdin closes, keep relaying the guest's output this long (seconds).
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub linger: f64,
    /// Attach this character device instead of the first console or serial port: its alias,
    /// as virsh --devname takes it (serial0, serial1, console0, a channel's alias). An alias the
    /// domain has not is exit 3.
    #[arg(long, value_name = "NAME")]
    pub devname: Option<String>,
    /// Attach only if the hypervisor handles the console safely (virsh --safe; libvirt's
    /// VIR_DOMAIN_CONSOLE_SAFE); where it cannot, libvirt refuses and nothing is attached.
    #[arg(long)]
    pub safe: bool,
}

impl Console {
    /// libvirt's console flags for --force and --safe.
    fn flags(&self) -> u32 {
        let force = if self.force {
            sys::VIR_DOMAIN_CONSOLE_FORCE
        } else {
            0
        };
        let safe = if self.safe {
            sys::VIR_DOMAIN_CONSOLE_SAFE
        } else {
            0
        };
        force | safe
    }

    /// The console as install attaches it: the default escape, no takeover.
    pub fn attach(name: &str) -> Console {
        Console {
            name: name.to_string(),
            force: false,
            escape: "^]".to_string(),
            linger: 0.0,
            devname: None,
            safe: false,
        }
    }
}

/// A console session that ended: the session's product is the guest's output, already on stdout.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConsoleClosed {
    /// The domain whose console was attached.
    pub name: String,
}

impl Render for ConsoleClosed {
    /// Nothing is printed after the guest's output, unless -o json asks for this record.
    fn document(&self) -> Option<&str> {
        Some("")
    }
}

impl Verb for Console {
    type Ctx = Session;
    type Output = ConsoleClosed;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<ConsoleClosed> {
        if ctx.batch {
            return Err(Error::new(
                ErrorKind::Usage,
                "console is interactive: not in --batch",
            ));
        }
        let escape = parse_escape(&self.escape)?;
        if !(0.0..=3600.0).contains(&self.linger) {
            return Err(Error::invalid(format!(
                "--linger {}: seconds from 0 to 3600",
                self.linger
            )));
        }
        let linger = Duration::from_secs_f64(self.linger);
        let flags = self.flags();
        let stream = open(ctx.conn()?, &mut self.name, flags, self.devname.as_deref())?;
        let ended = spawn_guest_to_stdout(stream.clone());
        if std::io::stdin().is_terminal() {
            let _raw = RawMode::enter()?;
            eprint!(
                "Connected to domain '{}'\r\nEscape character is {}\r\n",
                self.name,
                escape_name(escape)
            );
            relay_stdin(&stream, &ended, Some(escape), Duration::ZERO)?;
        } else {
            relay_stdin(&stream, &ended, None, linger)?;
        }
        Ok(ConsoleClosed { name: self.name })
    }
}

/// Opens the console stream of a running domain that has a serial device (or the character
/// device `devname` names). `name` becomes the domain's own name, whichever ID or UUID found it.
fn open(conn: &Connect, name: &mut String, flags: u32, devname: Option<&str>) -> Result<Arc<Stream>> {
    let dom = crate::domains::lookup::resolve(conn, name)?;
    let name = name.as_str();
    let xml = dom.get_xml_desc(0).libvirt(format!("XML of domain {name}"))?;
    let facts =
        crate::xml::domain::domain_facts(&xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
    if !facts.has_serial && devname.is_none() {
        return Err(Error::new(
            ErrorKind::Unavailable,
            format!("domain {name} has no serial console"),
        )
        .with_hint("add one: <serial type='pty'/> in the domain XML (vnet-vm install always adds it)"));
    }
    if !dom.is_active().libvirt("domain state")? {
        return Err(Error::failed(format!("domain {name} is not running"))
            .with_hint(format!("start it: vnet-vm start {name}")));
    }
    let stream = Arc::new(Stream::new(conn, 0).libvirt("open a stream")?);
    dom.open_console(devname, &stream, flags).map_err(|e| {
        let busy = e.message().contains("Active console session");
        let unknown = e.message().contains("cannot find character device");
        let err = vnet_common::libvirt::error(e).context(format!("console of {name}"));
        if busy {
            Error::exists(err.message).with_hint("take it over with --force")
        } else if unknown {
            Error::new(ErrorKind::NotFound, err.message).with_hint(format!(
                "its aliases: vnet-vm dumpxml {name} --xpath '//devices/*/alias/@name'"
            ))
        } else {
            err
        }
    })?;
    Ok(stream)
}

fn escape_name(c: u8) -> String {
    if c < 0x20 {
        format!("^{}", (c + b'@') as char)
    } else {
        (c as char).to_string()
    }
}

/// The guest's output to stdout, until the console closes or fails.
fn spawn_guest_to_stdout(stream: Arc<Stream>) -> Receiver<Ended> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 16384];
        let ended = loop {
            match stream.recv(&mut buf) {
                Ok(0) => break None,
                Ok(n) => {
                    let mut out = std::io::stdout().lock();
                    if out.write_all(&buf[..n]).and_then(|_| out.flush()).is_err() {
                        break None;
                    }
                }
                Err(e) => break Some(e.message().to_string()),
            }
        };
        let _ = tx.send(ended);
    });
    rx
}

/// stdin to the guest until the escape character (terminal), stdin's end (then `linger` more of the
/// guest's output), or the console's end.
fn relay_stdin(stream: &Stream, ended: &Receiver<Ended>, escape: Option<u8>, linger: Duration) -> Result<()> {
    let stdin = std::io::stdin();
    let mut buf = [0u8; 4096];
    loop {
        match ended.try_recv() {
            Ok(end) => return console_end(end),
            Err(mpsc::TryRecvError::Disconnected) => return Ok(()),
            Err(mpsc::TryRecvError::Empty) => {}
        }
        let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(100u16)).map_err(|e| Error::from(e).context("poll stdin"))? == 0 {
            continue;
        }
        // Read the descriptor itself: std's buffered stdin would hide data from poll().
        let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Error::from(e).context("read stdin"));
        }
        let data = &buf[..n as usize];
        if n == 0 {
            return match ended.recv_timeout(linger) {
                Ok(end) => console_end(end),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => Ok(()),
            };
        }
        let (data, quit) = match escape.and_then(|c| data.iter().position(|&b| b == c)) {
            Some(at) => (&data[..at], true),
            None => (data, false),
        };
        send_all(stream, data)?;
        if quit {
            return Ok(());
        }
    }
}

fn send_all(stream: &Stream, mut data: &[u8]) -> Result<()> {
    while !data.is_empty() {
        let n = stream.send(data).libvirt("send to the console")?;
        data = &data[n..];
    }
    Ok(())
}

fn console_end(end: Ended) -> Result<()> {
    match end {
        None => Ok(()),
        Some(message) => Err(Error::failed(format!("console: {message}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_characters() {
        assert_eq!(parse_escape("^]").unwrap(), 0x1d);
        assert_eq!(parse_escape("^a").unwrap(), 1);
        assert_eq!(parse_escape("~").unwrap(), b'~');
        assert_eq!(parse_escape("ab").unwrap_err().exit_code(), 7);
        assert_eq!(escape_name(0x1d), "^]");
    }
}
