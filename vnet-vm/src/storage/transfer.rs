//! vol-upload and vol-download: a volume's bytes from or to a local file, through a libvirt
//! stream (the volume may sit on the host the connection points at).

use crate::storage::volumes::{require, VolState};
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{Read, Write};
use std::path::PathBuf;
use virt::stream::Stream;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Context, Error, Journal, Render, Result, Verb};

/// Bytes moved by vol-upload or vol-download.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Transferred {
    /// The volume's path.
    pub path: String,
    /// The pool holding it.
    pub pool: String,
    /// The local file read or written.
    pub file: String,
    /// Bytes moved.
    pub bytes: u64,
    /// True for an upload (the volume's content changed); false for a download.
    pub changed: bool,
}

impl Render for Transferred {}

/// Copy a local file's bytes into a volume (virsh vol-upload VOL FILE [--pool POOL]), streamed
/// through libvirt (so it works over a remote URI).
///
/// A file larger than the volume's capacity is exit 7, checked first. The volume's old content is
/// overwritten: that cannot be undone.
#[derive(Debug, clap::Args)]
pub struct VolUpload {
    /// Volume path, or name with --pool.
    pub vol: String,
    /// The local file to read.
    pub file: PathBuf,
    /// The pool holding a volume given by name.
    #[arg(long, value_name = "POOL")]
    pub pool: Option<String>,
    #[command(flatten)]
    pub range: Range,
    /// Keep the file's holes: they are sent as holes, not as zeros (libvirt's sparse stream),
    /// so the volume stays sparse.
    #[arg(long)]
    pub sparse: bool,
}

/// virsh's --offset and --length of vol-upload and vol-download: where in the volume, and how
/// many bytes at most (0 or none: to the end of the file or volume). An offset past the
/// volume's capacity, or an upload file longer than --length, is exit 7, checked before
/// anything moves.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct Range {
    /// The byte of the volume the transfer starts at.
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    pub offset: u64,
    /// At most this many bytes (0: all); vol-upload refuses a longer file.
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    pub length: u64,
}

impl Range {
    /// Refuses an offset past the end of a volume of `capacity` bytes.
    fn check(&self, capacity: u64, path: &str) -> Result<()> {
        if self.offset > capacity {
            return Err(Error::invalid(format!(
                "--offset {}: past the end of volume {path} ({capacity} bytes)",
                self.offset
            )));
        }
        Ok(())
    }
}

/// Ends a stream after a failure; the error to report stays the first one.
fn abort_ref(stream: &Stream, error: Error) -> Error {
    // SAFETY: a valid stream; aborting it only tells libvirt the transfer failed.
    unsafe { sys::virStreamAbort(stream.as_ptr()) };
    error
}

/// Sends everything `file` reads, as bytes.
fn send_all(stream: &Stream, mut file: impl Read, shown: &str, what: &str) -> Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut sent = 0u64;
    loop {
        let n = file.read(&mut buf).context(format!("read {}", quote(shown)))?;
        if n == 0 {
            return Ok(sent);
        }
        send_bytes(stream, &buf[..n], what)?;
        sent += n as u64;
    }
}

fn send_bytes(stream: &Stream, mut chunk: &[u8], what: &str) -> Result<()> {
    while !chunk.is_empty() {
        match stream.send(chunk) {
            Ok(0) => return Err(Error::failed(format!("{what}: the stream closed"))),
            Ok(k) => chunk = &chunk[k..],
            Err(e) => return Err(vnet_common::libvirt::error(e).context(what)),
        }
    }
    Ok(())
}

/// --sparse upload: the first `length` bytes of `file`, its data as bytes and its holes
/// (found with SEEK_DATA/SEEK_HOLE) as holes, as virsh's virStreamSparseSendAll sends them.
fn send_sparse(stream: &Stream, file: &std::fs::File, length: u64, shown: &str, what: &str) -> Result<u64> {
    let mut at = 0u64;
    while at < length {
        let data = seek(file, at, libc::SEEK_DATA).unwrap_or(length).min(length);
        if data > at {
            // SAFETY: a valid stream; libvirt only reads the length.
            let rc = unsafe { sys::virStreamSendHole(stream.as_ptr(), (data - at) as i64, 0) };
            if rc < 0 {
                return Err(vnet_common::libvirt::error(virt::error::Error::last_error()).context(what));
            }
            at = data;
            continue;
        }
        let end = seek(file, at, libc::SEEK_HOLE).unwrap_or(length).min(length);
        let mut region = std::io::Read::take(file, end - at);
        std::io::Seek::seek(&mut region.get_mut(), std::io::SeekFrom::Start(at))
            .context(format!("read {}", quote(shown)))?;
        let sent = send_all(stream, &mut region, shown, what)?;
        if sent < end - at {
            return Err(Error::failed(format!(
                "read {}: it shrank while sent",
                quote(shown)
            )));
        }
        at = end;
    }
    Ok(length)
}

/// lseek(2) with SEEK_DATA or SEEK_HOLE; None past the end (ENXIO) or on failure.
fn seek(file: &std::fs::File, from: u64, whence: i32) -> Option<u64> {
    use std::os::fd::AsRawFd;
    // SAFETY: a valid descriptor; lseek only moves its offset.
    let at = unsafe { libc::lseek(file.as_raw_fd(), from as libc::off_t, whence) };
    u64::try_from(at).ok()
}

/// Writes what the stream brings into `file`; with `sparse` a hole in the stream becomes a
/// hole in the file (skipped over, the file's length set at the end).
fn receive(stream: &Stream, file: &mut std::fs::File, sparse: bool, shown: &str, what: &str) -> Result<u64> {
    use std::io::{Seek, SeekFrom};
    let mut buf = vec![0u8; 256 * 1024];
    let mut received = 0u64;
    let flags = match sparse {
        true => sys::VIR_STREAM_RECV_STOP_AT_HOLE,
        false => 0,
    };
    loop {
        // SAFETY: buf is writable for its length; libvirt writes at most that many bytes.
        let n = unsafe {
            sys::virStreamRecvFlags(
                stream.as_ptr(),
                buf.as_mut_ptr() as *mut libc::c_char,
                buf.len(),
                flags,
            )
        };
        match n {
            0 => break,
            -3 => {
                let mut hole: i64 = 0;
                // SAFETY: a valid stream; libvirt writes the hole's length.
                if unsafe { sys::virStreamRecvHole(stream.as_ptr(), &mut hole, 0) } < 0 {
                    return Err(vnet_common::libvirt::error(virt::error::Error::last_error()).context(what));
                }
                file.seek(SeekFrom::Current(hole))
                    .context(format!("write {}", quote(shown)))?;
                received += hole as u64;
            }
            n if n < 0 => {
                return Err(vnet_common::libvirt::error(virt::error::Error::last_error()).context(what));
            }
            n => {
                file.write_all(&buf[..n as usize])
                    .context(format!("write {}", quote(shown)))?;
                received += n as u64;
            }
        }
    }
    // A hole at the end leaves the file short: its length is the volume's.
    file.set_len(received)
        .context(format!("write {}", quote(shown)))?;
    Ok(received)
}

impl Verb for VolUpload {
    type Ctx = Session;
    type Output = Transferred;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Transferred> {
        let shown = self.file.display().to_string();
        let file = std::fs::File::open(&self.file).context(format!("open {}", quote(&shown)))?;
        let length = file.metadata().context(format!("read {}", quote(&shown)))?.len();
        let conn = ctx.conn()?;
        let vol = require(conn, &self.vol, self.pool.as_deref())?;
        let state = VolState::read(&vol)?;
        self.range.check(state.capacity, &state.path)?;
        // virsh sends the whole file and libvirt stops it at --length, failing half-written:
        // refused here before anything is written.
        if self.range.length > 0 && length > self.range.length {
            return Err(Error::invalid(format!(
                "{} ({length} bytes) is longer than --length {}",
                quote(&shown),
                self.range.length
            ))
            .with_hint("virsh, too, fails on it (after writing --length bytes)"));
        }
        if self.range.offset + length > state.capacity {
            return Err(Error::invalid(format!(
                "{} ({length} bytes from offset {}) is larger than volume {} ({} bytes)",
                quote(&shown),
                self.range.offset,
                state.path,
                state.capacity
            )));
        }
        let stream = Stream::new(conn, 0).libvirt("open a stream")?;
        let what = format!("upload to volume {}", state.path);
        let flags = match self.sparse {
            true => sys::VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM,
            false => 0,
        };
        vol.upload(&stream, self.range.offset, length, flags)
            .libvirt(&what)?;
        journal.irreversible(format!("overwrite volume {}", state.path))?;
        let sent = match self.sparse {
            true => send_sparse(&stream, &file, length, &shown, &what),
            false => send_all(&stream, std::io::Read::take(file, length), &shown, &what),
        };
        let sent = sent.map_err(|e| abort_ref(&stream, e))?;
        stream.finish().libvirt(&what)?;
        Ok(Transferred {
            path: state.path,
            pool: state.pool,
            file: shown,
            bytes: sent,
            changed: true,
        })
    }
}

/// Copy a volume's bytes into a local file (virsh vol-download VOL FILE [--pool POOL]), streamed
/// through libvirt.
///
/// The file is created (or truncated); on failure a file this call created is removed.
#[derive(Debug, clap::Args)]
pub struct VolDownload {
    /// Volume path, or name with --pool.
    pub vol: String,
    /// The local file to write.
    pub file: PathBuf,
    /// The pool holding a volume given by name.
    #[arg(long, value_name = "POOL")]
    pub pool: Option<String>,
    #[command(flatten)]
    pub range: Range,
    /// Keep the volume's holes: they come as holes (libvirt's sparse stream) and stay holes
    /// in the file, which is then as sparse as the volume.
    #[arg(long)]
    pub sparse: bool,
}

impl Verb for VolDownload {
    type Ctx = Session;
    type Output = Transferred;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Transferred> {
        let shown = self.file.display().to_string();
        let conn = ctx.conn()?;
        let vol = require(conn, &self.vol, self.pool.as_deref())?;
        let state = VolState::read(&vol)?;
        self.range.check(state.capacity, &state.path)?;
        let existed = self.file.exists();
        let mut file = std::fs::File::create(&self.file).context(format!("create {}", quote(&shown)))?;
        if !existed {
            let path = self.file.clone();
            journal.record_fn(format!("create {shown}"), move || {
                std::fs::remove_file(&path).context("remove the partial download")
            })?;
        }
        let stream = Stream::new(conn, 0).libvirt("open a stream")?;
        let what = format!("download volume {}", state.path);
        let flags = match self.sparse {
            true => sys::VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM,
            false => 0,
        };
        vol.download(&stream, self.range.offset, self.range.length, flags)
            .libvirt(&what)?;
        let received =
            receive(&stream, &mut file, self.sparse, &shown, &what).map_err(|e| abort_ref(&stream, e))?;
        stream.finish().libvirt(&what)?;
        file.sync_all().context(format!("write {}", quote(&shown)))?;
        Ok(Transferred {
            path: state.path,
            pool: state.pool,
            file: shown,
            bytes: received,
            changed: false,
        })
    }
}
