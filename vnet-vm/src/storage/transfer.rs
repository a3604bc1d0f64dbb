//! vol-upload and vol-download: a volume's bytes from or to a local file, through a libvirt
//! stream (the volume may sit on the host the connection points at).

use crate::storage::volumes::{require, VolState};
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{Read, Write};
use std::path::PathBuf;
use virt::stream::Stream;
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
fn abort(stream: Stream, error: Error) -> Error {
    let _ = stream.abort();
    error
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
        vol.upload(&stream, self.range.offset, length, 0).libvirt(&what)?;
        let mut file = std::io::Read::take(file, length);
        journal.irreversible(format!("overwrite volume {}", state.path))?;
        let mut buf = vec![0u8; 256 * 1024];
        let mut sent = 0u64;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    return Err(abort(
                        stream,
                        Error::from(e).context(format!("read {}", quote(&shown))),
                    ))
                }
            };
            let mut chunk = &buf[..n];
            while !chunk.is_empty() {
                match stream.send(chunk) {
                    Ok(0) => return Err(abort(stream, Error::failed(format!("{what}: the stream closed")))),
                    Ok(k) => chunk = &chunk[k..],
                    Err(e) => return Err(abort(stream, vnet_common::libvirt::error(e).context(&what))),
                }
            }
            sent += n as u64;
        }
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
        vol.download(&stream, self.range.offset, self.range.length, 0)
            .libvirt(&what)?;
        let mut buf = vec![0u8; 256 * 1024];
        let mut received = 0u64;
        loop {
            let n = match stream.recv(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => return Err(abort(stream, vnet_common::libvirt::error(e).context(&what))),
            };
            if let Err(e) = file.write_all(&buf[..n]) {
                return Err(abort(
                    stream,
                    Error::from(e).context(format!("write {}", quote(&shown))),
                ));
            }
            received += n as u64;
        }
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
