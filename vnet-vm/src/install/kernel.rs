//! The kernel a direct-boot install starts: `--install kernel=K,initrd=I[,kernel_args=A]`
//! (virt-install's install-phase kernel: files of this machine, uploaded over a remote URI), and
//! over a remote URI what `--boot kernel=,initrd=` names (the target host's files, uploaded only
//! when missing there but present here).

use super::grammar::normalize;
use crate::spec::KernelBoot;
use std::path::{Path, PathBuf};
use virt::connect::Connect;
use vnet_common::error::quote;
use vnet_common::{Error, Result};

/// The kernel the line boots: --install's or --boot's (not both: 2, as two install methods are).
pub fn chosen(install: Option<&str>, boot: Option<KernelBoot>) -> Result<Option<KernelBoot>> {
    match (install, boot) {
        (Some(_), Some(_)) => Err(Error::new(
            vnet_common::ErrorKind::Usage,
            "give only one of --install kernel=... and --boot kernel=...",
        )),
        (Some(opts), None) => parse_install(opts).map(Some),
        (None, boot) => Ok(boot),
    }
}

/// The uploaded copy's path when there is one, else the path given.
pub fn uploaded_or(copy: &str, given: &Path) -> String {
    match copy.is_empty() {
        true => given.to_string_lossy().into_owned(),
        false => copy.to_string(),
    }
}

/// `--install kernel=K,initrd=I,kernel_args=A`: absolute paths, kernel= needed; the other
/// sub-options of virt-install's --install (os=, bootdev=, no_install=) are unknown (7).
pub fn parse_install(value: &str) -> Result<KernelBoot> {
    let canonical = normalize("install", &[value.to_string()])?;
    let mut boot = KernelBoot {
        kernel: PathBuf::new(),
        initrd: None,
        cmdline: None,
    };
    for part in canonical[0].split(',') {
        let (key, v) = part.split_once('=').unwrap_or((part, ""));
        let path = || -> Result<PathBuf> {
            let p = PathBuf::from(v);
            match p.is_absolute() {
                true => Ok(p),
                false => Err(Error::invalid(format!(
                    "--install {key}={}: an absolute path",
                    quote(v)
                ))),
            }
        };
        match key {
            "kernel" => boot.kernel = path()?,
            "initrd" => boot.initrd = Some(path()?),
            _ => boot.cmdline = Some(v.to_string()),
        }
    }
    if boot.kernel.as_os_str().is_empty() {
        return Err(Error::invalid(format!(
            "--install {}: needs kernel=",
            quote(value)
        )));
    }
    Ok(boot)
}

/// A direct kernel boot over a remote URI: which of (kernel, initrd) is uploaded. `--install`'s
/// files are this machine's and always uploaded (missing here: 3); `--boot`'s are the target
/// host's, uploaded only when missing there but present here (on neither: 3).
pub fn remote_uploads(conn: &Connect, k: &KernelBoot, install: bool) -> Result<(bool, bool)> {
    let upload = |path: &Path, what: &str| -> Result<bool> {
        if install {
            return match path.is_file() {
                true => Ok(true),
                false => Err(Error::not_found(format!(
                    "--install {what} {}: no such file",
                    quote(&path.to_string_lossy())
                ))),
            };
        }
        if crate::storage::target::exists_on_target(conn, path)? {
            return Ok(false);
        }
        if path.is_file() {
            return Ok(true);
        }
        Err(Error::not_found(format!(
            "--boot {what} {}: no such file on the target host, nor here",
            quote(&path.to_string_lossy())
        )))
    };
    let kernel = upload(&k.kernel, "kernel")?;
    let initrd = match &k.initrd {
        Some(i) => upload(i, "initrd")?,
        None => false,
    };
    Ok((kernel, initrd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_kernel_options() {
        let k = parse_install("kernel=/b/k,initrd=/b/i,kernel_args=console=ttyS0").unwrap();
        assert_eq!(k.kernel, PathBuf::from("/b/k"));
        assert_eq!(k.initrd, Some(PathBuf::from("/b/i")));
        assert_eq!(k.cmdline.as_deref(), Some("console=ttyS0"));
        assert_eq!(parse_install("initrd=/b/i").unwrap_err().kind.exit_code(), 7);
        assert_eq!(parse_install("kernel=k").unwrap_err().kind.exit_code(), 7);
        let err = parse_install("kernel=/b/k,bootdev=cdrom").unwrap_err();
        assert!(err.to_string().contains("bootdev"), "{err}");
    }
}
