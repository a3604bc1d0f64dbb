//! `--initrd-inject FILE` (with --location): FILE put into the root of the install initrd, as
//! virt-install does for a preseed or kickstart file: a gzip-compressed newc cpio archive of the
//! files (each under its base name, owned by root) appended to the initrd copy. The kernel
//! unpacks concatenated archives in order, so the file appears in the installer's `/`.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use vnet_common::error::quote;
use vnet_common::{Context, Error, Result};

/// The files given, checked before anything is made: each must be a readable regular file (3
/// when missing), and --location is needed (7 otherwise: only its initrd is vnet's to change).
pub fn check(files: &[String], location: bool) -> Result<Vec<PathBuf>> {
    if !files.is_empty() && !location {
        return Err(Error::invalid(
            "--initrd-inject needs --location (it goes into the install tree's initrd)",
        ));
    }
    files
        .iter()
        .map(|f| {
            let path = PathBuf::from(f);
            match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => Ok(path),
                Ok(_) => Err(Error::invalid(format!(
                    "--initrd-inject {}: not a regular file",
                    quote(f)
                ))),
                Err(_) => Err(Error::not_found(format!(
                    "--initrd-inject {}: no such file",
                    quote(f)
                ))),
            }
        })
        .collect()
}

fn header(out: &mut Vec<u8>, ino: u32, mode: u32, size: usize, name: &str) {
    let fields = [
        ino,
        mode,
        0,
        0,
        1,
        0,
        size as u32,
        0,
        0,
        0,
        0,
        name.len() as u32 + 1,
        0,
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad(out);
}

fn pad(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// The newc archive of `files` at its root (mode kept, owner root:root), with its trailer.
fn archive(files: &[PathBuf]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut data = Vec::new();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut data))
            .with_context(|| format!("read {}", path.display()))?;
        let perm = std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        header(&mut out, i as u32 + 1, 0o100000 | perm, data.len(), &name);
        out.extend_from_slice(&data);
        pad(&mut out);
    }
    header(&mut out, 0, 0, 0, "TRAILER!!!");
    Ok(out)
}

/// Appends the gzip'd archive of `files` to `initrd` (gzip as virt-install runs it).
pub fn append(initrd: &Path, files: &[PathBuf]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let cpio = archive(files)?;
    let target = File::options()
        .append(true)
        .open(initrd)
        .with_context(|| format!("open {}", initrd.display()))?;
    let mut gzip = Command::new("gzip")
        .args(["-c", "-n"])
        .stdin(Stdio::piped())
        .stdout(target)
        .spawn()
        .context("run gzip for --initrd-inject")?;
    let written = gzip.stdin.take().map(|mut s| s.write_all(&cpio));
    let status = gzip.wait().context("run gzip for --initrd-inject")?;
    if !status.success() || !matches!(written, Some(Ok(()))) {
        return Err(Error::failed(format!(
            "append the --initrd-inject files to {}",
            initrd.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newc_archive_has_the_file_at_its_root_and_a_trailer() {
        let dir = std::env::temp_dir().join(format!("vnet-inject-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("preseed.cfg");
        std::fs::write(&file, b"d-i foo\n").unwrap();
        let cpio = archive(std::slice::from_ref(&file)).unwrap();
        assert!(cpio.starts_with(b"070701"));
        let text = String::from_utf8_lossy(&cpio);
        assert!(text.contains("preseed.cfg\0"));
        assert!(text.contains("d-i foo\n"));
        assert!(text.contains("TRAILER!!!\0"));
        assert_eq!(cpio.len() % 4, 0);
        assert_eq!(
            check(&[file.display().to_string()], false)
                .unwrap_err()
                .kind
                .exit_code(),
            7
        );
        assert_eq!(
            check(&["/nonexistent/x".into()], true)
                .unwrap_err()
                .kind
                .exit_code(),
            3
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
