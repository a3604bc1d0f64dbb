//! screenshot and send-key (virsh's spellings and flags): a running domain's screen to a file,
//! and key presses to its keyboard.

use crate::devices::devxml::lookup;
use crate::domains::lookup::state_of;
use schemars::JsonSchema;
use serde::Serialize;
use std::io::Write;
use virt::stream::Stream;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// Save a running domain's screen to a file (virsh screenshot).
///
/// FILE defaults to DOMAIN-DATE.EXT in the current directory, EXT from the image type QEMU sends
/// (ppm or png). An existing FILE is exit 4, a domain with no screen (no graphics or video) exit 1,
/// a domain that is not running exit 1, nothing written. Undone on a later failure: the file is
/// removed.
#[derive(Debug, clap::Args)]
pub struct Screenshot {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// Where to write the image.
    pub file: Option<String>,
    /// Which screen (head) of the domain.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub screen: u32,
}

/// A screenshot written.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ScreenshotSaved {
    /// The domain.
    pub name: String,
    /// The image file written.
    pub file: String,
    /// Its MIME type (image/x-portable-pixmap, image/png).
    pub mime: String,
    /// Its size in bytes.
    pub bytes: u64,
}

impl Render for ScreenshotSaved {
    fn text(&self, _style: TextStyle) -> String {
        format!("Screenshot saved to {}, with type of {}\n", self.file, self.mime)
    }
}

fn extension(mime: &str) -> &str {
    match mime {
        "image/x-portable-pixmap" => "ppm",
        "image/png" => "png",
        other => other.rsplit('/').next().unwrap_or("img"),
    }
}

impl Verb for Screenshot {
    type Ctx = Session;
    type Output = ScreenshotSaved;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<ScreenshotSaved> {
        if let Some(file) = &self.file {
            if std::fs::symlink_metadata(file).is_ok() {
                return Err(Error::exists(format!(
                    "screenshot file {} already exists",
                    quote(file)
                )));
            }
        }
        let conn = ctx.conn()?;
        let dom = lookup(conn, &mut self.domain)?;
        let what = format!("screenshot of domain {}", quote(&self.domain));
        if !dom.is_active().libvirt(&what)? {
            return Err(Error::failed(format!("{what}: the domain is {}", state_of(&dom))));
        }
        let stream = Stream::new(conn, 0).libvirt(&what)?;
        let mime = dom.screenshot(&stream, self.screen, 0).libvirt(&what)?;
        let file = (self.file.clone())
            .unwrap_or_else(|| format!("{}-{}.{}", self.domain, local_stamp(), extension(&mime)));
        let bytes = receive(stream, &file, &what)?;
        let undo = file.clone();
        journal.record_fn(format!("write {}", quote(&file)), move || {
            std::fs::remove_file(&undo).map_err(Error::from)
        })?;
        Ok(ScreenshotSaved {
            name: self.domain,
            file,
            mime,
            bytes,
        })
    }
}

/// Local time as virsh names a screenshot: 2026-12-07-08:40:09.
fn local_stamp() -> String {
    // SAFETY: time and localtime_r only write the values given.
    let tm = unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&now, &mut tm);
        tm
    };
    format!(
        "{:04}-{:02}-{:02}-{:02}:{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

/// Writes the stream to a new `file` (removed again if the stream fails); its size.
fn receive(stream: Stream, file: &str, what: &str) -> Result<u64> {
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .map_err(|e| Error::from(e).context(format!("screenshot file {}", quote(file))))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    let copied = loop {
        match stream.recv(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                if let Err(e) = out.write_all(&buf[..n]) {
                    break Err(Error::from(e).context(format!("write {}", quote(file))));
                }
                total += n as u64;
            }
            Err(e) => break Err(vnet_common::libvirt::error(e).context(what)),
        }
    };
    match copied {
        Ok(()) => {
            stream.finish().libvirt(what)?;
            Ok(total)
        }
        Err(e) => {
            let _ = stream.abort();
            let _ = std::fs::remove_file(file);
            Err(e)
        }
    }
}

/// Send key presses to a running domain's keyboard (virsh send-key).
///
/// KEYCODE is a number in the --codeset, or with the linux codeset a name (KEY_A, KEY_ENTER,
/// KEY_LEFTCTRL, ...); the keys are pressed together, held --holdtime ms, released. At most 16;
/// an unknown name or codeset is exit 7 before anything is sent. Not undoable.
#[derive(Debug, clap::Args)]
pub struct SendKey {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The keys: names (KEY_A) or numbers.
    #[arg(required = true, num_args = 1..=16)]
    pub keycode: Vec<String>,
    /// The code set: linux, xt, atset1, atset2, atset3, os_x, xt_kbd, win32, usb, qnum.
    #[arg(long, default_value = "linux")]
    pub codeset: String,
    /// How long the keys are held, in ms.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub holdtime: u32,
}

/// Keys sent.
#[derive(Debug, Serialize, JsonSchema)]
pub struct KeysSent {
    /// The domain.
    pub name: String,
    /// The code set.
    pub codeset: String,
    /// The key codes sent, in that code set.
    pub keycodes: Vec<u32>,
}

impl Render for KeysSent {}

const CODESETS: [&str; 10] = [
    "linux", "xt", "atset1", "atset2", "atset3", "os_x", "xt_kbd", "win32", "usb", "qnum",
];

/// Linux key names (input-event-codes.h) from KEY_ESC (1) to KEY_F12 (88), in code order.
const LINUX_KEYS: [&str; 88] = [
    "ESC",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "0",
    "MINUS",
    "EQUAL",
    "BACKSPACE",
    "TAB",
    "Q",
    "W",
    "E",
    "R",
    "T",
    "Y",
    "U",
    "I",
    "O",
    "P",
    "LEFTBRACE",
    "RIGHTBRACE",
    "ENTER",
    "LEFTCTRL",
    "A",
    "S",
    "D",
    "F",
    "G",
    "H",
    "J",
    "K",
    "L",
    "SEMICOLON",
    "APOSTROPHE",
    "GRAVE",
    "LEFTSHIFT",
    "BACKSLASH",
    "Z",
    "X",
    "C",
    "V",
    "B",
    "N",
    "M",
    "COMMA",
    "DOT",
    "SLASH",
    "RIGHTSHIFT",
    "KPASTERISK",
    "LEFTALT",
    "SPACE",
    "CAPSLOCK",
    "F1",
    "F2",
    "F3",
    "F4",
    "F5",
    "F6",
    "F7",
    "F8",
    "F9",
    "F10",
    "NUMLOCK",
    "SCROLLLOCK",
    "KP7",
    "KP8",
    "KP9",
    "KPMINUS",
    "KP4",
    "KP5",
    "KP6",
    "KPPLUS",
    "KP1",
    "KP2",
    "KP3",
    "KP0",
    "KPDOT",
    "",
    "ZENKAKUHANKAKU",
    "102ND",
    "F11",
    "F12",
];

/// Linux keys past KEY_F12 that scripts send.
const LINUX_MORE: [(&str, u32); 14] = [
    ("KPENTER", 96),
    ("RIGHTCTRL", 97),
    ("SYSRQ", 99),
    ("RIGHTALT", 100),
    ("HOME", 102),
    ("UP", 103),
    ("PAGEUP", 104),
    ("LEFT", 105),
    ("RIGHT", 106),
    ("END", 107),
    ("DOWN", 108),
    ("PAGEDOWN", 109),
    ("INSERT", 110),
    ("DELETE", 111),
];

/// A key as a number in `codeset`: a number, or a linux key name.
fn keycode(codeset: &str, key: &str) -> Result<u32> {
    if let Some(n) = key
        .strip_prefix("0x")
        .map_or_else(|| key.parse().ok(), |h| u32::from_str_radix(h, 16).ok())
    {
        return Ok(n);
    }
    let name = key.strip_prefix("KEY_").filter(|_| codeset == "linux");
    let found = name.and_then(|n| {
        (LINUX_KEYS
            .iter()
            .position(|k| !k.is_empty() && *k == n)
            .map(|i| i as u32 + 1))
        .or_else(|| LINUX_MORE.iter().find(|(k, _)| *k == n).map(|(_, c)| *c))
    });
    found.ok_or_else(|| {
        Error::invalid(format!(
            "keycode {}: not a number or a key name of codeset {codeset}",
            quote(key)
        ))
        .with_hint("names are the linux codeset's: KEY_A, KEY_ENTER, KEY_LEFTCTRL, KEY_F1, ...")
    })
}

impl Verb for SendKey {
    type Ctx = Session;
    type Output = KeysSent;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<KeysSent> {
        let set = CODESETS.iter().position(|c| *c == self.codeset).ok_or_else(|| {
            Error::invalid(format!(
                "--codeset {}: one of {}",
                quote(&self.codeset),
                CODESETS.join(", ")
            ))
        })?;
        let mut codes: Vec<u32> = (self.keycode.iter())
            .map(|k| keycode(&self.codeset, k))
            .collect::<Result<_>>()?;
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let what = format!("send keys to domain {}", quote(&self.domain));
        let n = codes.len() as i32;
        dom.send_key(set as sys::virKeycodeSet, self.holdtime, codes.as_mut_ptr(), n, 0)
            .libvirt(&what)?;
        journal.irreversible(what)?;
        Ok(KeysSent {
            name: self.domain,
            codeset: self.codeset,
            keycodes: codes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_by_name_and_number() {
        assert_eq!(keycode("linux", "KEY_ESC").unwrap(), 1);
        assert_eq!(keycode("linux", "KEY_ENTER").unwrap(), 28);
        assert_eq!(keycode("linux", "KEY_A").unwrap(), 30);
        assert_eq!(keycode("linux", "KEY_F12").unwrap(), 88);
        assert_eq!(keycode("linux", "KEY_DELETE").unwrap(), 111);
        assert_eq!(keycode("xt", "0x1c").unwrap(), 28);
        assert_eq!(keycode("usb", "40").unwrap(), 40);
        assert_eq!(keycode("linux", "KEY_NOPE").unwrap_err().exit_code(), 7);
        assert_eq!(keycode("xt", "KEY_A").unwrap_err().exit_code(), 7);
        assert_eq!(extension("image/png"), "png");
    }
}
