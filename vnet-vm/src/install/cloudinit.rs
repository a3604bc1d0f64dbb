//! `--cloud-init`: the NoCloud seed, as virt-install 4.1 builds it. Its files are read and the ISO
//! (labelled `cidata`, made with `xorrisofs -J -rational-rock -V cidata`, virt-install's own
//! command) is built before the first change; install then creates a volume for it in the pool
//! of the first disk and uploads it through libvirt's storage API (so it works over a remote
//! URI too), attaches it as a CD-ROM, sets the SMBIOS serial `ds=nocloud`, and names it in vnet's
//! domain metadata so `undefine --remove-all-storage` removes it with the disks.
//!
//! xorriso rather than a crate: it is what virt-install runs, Debian ships it (already needed for
//! the test kit's ISO), and the only ISO crate here (`iso9660`) reads images but cannot write them.

use std::path::{Path, PathBuf};
use std::process::Command;
use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use virt::stream::Stream;
use vnet_common::error::quote;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Context, Error, ErrorKind, Journal, Result};

/// The seed's files, read and generated; the built ISO.
#[derive(Debug, Clone)]
pub struct Seed {
    pub user_data: String,
    pub meta_data: String,
    pub network_config: Option<String>,
    /// root-password-generate=on: the password made (printed once, as virt-install does).
    pub generated_password: Option<String>,
    /// The ISO image's bytes.
    pub iso: Vec<u8>,
}

/// `--cloud-init`'s options, as given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CloudInitArgs {
    pub user_data: Option<PathBuf>,
    pub meta_data: Option<PathBuf>,
    pub network_config: Option<PathBuf>,
    pub root_password_generate: bool,
    pub root_password_file: Option<PathBuf>,
    pub root_ssh_key: Option<PathBuf>,
    pub clouduser_ssh_key: Option<PathBuf>,
    pub disable: bool,
}

const KEYS: &[&str] = &[
    "user-data",
    "meta-data",
    "network-config",
    "root-password-generate",
    "root-password-file",
    "root-ssh-key",
    "clouduser-ssh-key",
    "disable",
];

fn on_off(key: &str, value: &str) -> Result<bool> {
    match value {
        "on" | "yes" | "true" | "1" => Ok(true),
        "off" | "no" | "false" | "0" => Ok(false),
        _ => Err(Error::invalid(format!(
            "--cloud-init {key}={}: use on or off",
            quote(value)
        ))),
    }
}

/// Parses `--cloud-init [OPTS]`. With no options: root-password-generate=on,disable=on (virt-install's
/// default). user-data= is the whole user-data: combined with the root/ssh shorthands it is refused.
pub fn parse(spec: &str) -> Result<CloudInitArgs> {
    let mut args = CloudInitArgs::default();
    if spec.trim().is_empty() {
        args.root_password_generate = true;
        args.disable = true;
        return Ok(args);
    }
    for part in spec.split(',') {
        let (key, value) = part.split_once('=').unwrap_or((part, "on"));
        if !KEYS.contains(&key) {
            return Err(Error::invalid(format!(
                "--cloud-init: unknown option {} (known: {})",
                quote(key),
                KEYS.join(", ")
            )));
        }
        if value.is_empty() {
            return Err(Error::invalid(format!("--cloud-init {key}= needs a value")));
        }
        let path = || PathBuf::from(value);
        match key {
            "user-data" => args.user_data = Some(path()),
            "meta-data" => args.meta_data = Some(path()),
            "network-config" => args.network_config = Some(path()),
            "root-password-generate" => args.root_password_generate = on_off(key, value)?,
            "root-password-file" => args.root_password_file = Some(path()),
            "root-ssh-key" => args.root_ssh_key = Some(path()),
            "clouduser-ssh-key" => args.clouduser_ssh_key = Some(path()),
            _ => args.disable = on_off(key, value)?,
        }
    }
    let shorthand = args.root_password_generate
        || args.root_password_file.is_some()
        || args.root_ssh_key.is_some()
        || args.clouduser_ssh_key.is_some()
        || args.disable;
    if args.user_data.is_some() && shorthand {
        return Err(Error::invalid(
            "--cloud-init: user-data= is the whole user-data; put passwords, keys and runcmd in it \
             instead of root-password-*/…-ssh-key/disable",
        ));
    }
    if args.root_password_generate && args.root_password_file.is_some() {
        return Err(Error::invalid(
            "--cloud-init: give root-password-generate or root-password-file, not both",
        ));
    }
    Ok(args)
}

/// A cloud-init file read whole: missing is not found (3), not UTF-8 is invalid (7).
fn read_text(path: &Path, key: &str) -> Result<String> {
    let shown = quote(&path.to_string_lossy());
    let bytes = std::fs::read(path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorKind::NotFound
        } else {
            ErrorKind::from_errno(e.raw_os_error().unwrap_or(libc::EIO))
        };
        Error::new(kind, format!("--cloud-init {key}={shown}: {}", io_text(&e)))
    })?;
    String::from_utf8(bytes)
        .map_err(|e| Error::invalid(format!("--cloud-init {key}={shown}: not UTF-8 text ({e})")))
}

fn io_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    text.split(" (os error").next().unwrap_or(&text).to_string()
}

/// The first non-empty line of a key or password file.
fn first_line(path: &Path, key: &str) -> Result<String> {
    let text = read_text(path, key)?;
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(String::from)
        .ok_or_else(|| {
            Error::invalid(format!(
                "--cloud-init {key}={}: empty",
                quote(&path.to_string_lossy())
            ))
        })
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn yaml_str(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A random root password: 16 characters of [A-Za-z0-9] from /dev/urandom.
fn generate_password() -> Result<String> {
    use std::io::Read;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut bytes = [0u8; 64];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("read /dev/urandom")?;
    // Rejection sampling keeps every character equally likely.
    let limit = 256 - 256 % ALPHABET.len();
    let password: String = bytes
        .iter()
        .filter(|b| usize::from(**b) < limit)
        .take(16)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    if password.len() < 16 {
        return generate_password();
    }
    Ok(password)
}

/// user-data from the shorthands, as virt-install 4.1 writes it.
fn generated_user_data(args: &CloudInitArgs, password: Option<&str>) -> Result<String> {
    let mut out = String::from("#cloud-config\n");
    if let Some(pass) = password {
        out.push_str("chpasswd:\n  list: |\n");
        out.push_str(&format!("    root:{pass}\n"));
        let expire = if args.root_password_generate {
            "True"
        } else {
            "False"
        };
        out.push_str(&format!("  expire: {expire}\n"));
    }
    if let Some(key) = &args.root_ssh_key {
        let key = first_line(key, "root-ssh-key")?;
        out.push_str("users:\n  - name: root\n    ssh_authorized_keys:\n");
        out.push_str(&format!("      - {}\n", yaml_str(&key)));
    }
    if let Some(key) = &args.clouduser_ssh_key {
        let key = first_line(key, "clouduser-ssh-key")?;
        out.push_str(&format!("ssh_authorized_keys:\n  - {}\n", yaml_str(&key)));
    }
    if args.disable {
        out.push_str("runcmd:\n- [ sudo, touch, /etc/cloud/cloud-init.disabled ]\n");
    }
    Ok(out)
}

/// Reads every file, generates what was asked, and builds the ISO: all before the first change.
pub fn build(args: &CloudInitArgs, domain: &str) -> Result<Seed> {
    let user_data_file = args
        .user_data
        .as_ref()
        .map(|p| read_text(p, "user-data"))
        .transpose()?;
    let meta_data = match &args.meta_data {
        Some(p) => read_text(p, "meta-data")?,
        None => format!(
            "instance-id: {}\nlocal-hostname: {}\n",
            yaml_str(domain),
            yaml_str(domain)
        ),
    };
    let network_config = args
        .network_config
        .as_ref()
        .map(|p| read_text(p, "network-config"))
        .transpose()?;
    let generated_password = if args.root_password_generate {
        Some(generate_password()?)
    } else {
        None
    };
    let file_password = match &args.root_password_file {
        Some(p) => Some(first_line(p, "root-password-file")?),
        None => None,
    };
    let user_data = match user_data_file {
        Some(text) => text,
        None => generated_user_data(args, generated_password.as_deref().or(file_password.as_deref()))?,
    };
    let iso = make_iso(&user_data, &meta_data, network_config.as_deref())?;
    Ok(Seed {
        user_data,
        meta_data,
        network_config,
        generated_password,
        iso,
    })
}

/// `xorrisofs -J -rational-rock -V cidata` over a private temporary directory; the image's bytes.
fn make_iso(user_data: &str, meta_data: &str, network_config: Option<&str>) -> Result<Vec<u8>> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let work = std::env::temp_dir().join(format!("vnet-cidata-{}-{stamp}", std::process::id()));
    let result = (|| {
        let tree = work.join("seed");
        std::fs::create_dir_all(&tree).with_context(|| format!("create {}", work.display()))?;
        std::fs::write(tree.join("user-data"), user_data).context("write user-data")?;
        std::fs::write(tree.join("meta-data"), meta_data).context("write meta-data")?;
        if let Some(nc) = network_config {
            std::fs::write(tree.join("network-config"), nc).context("write network-config")?;
        }
        let iso = work.join("cidata.iso");
        let out = Command::new("xorrisofs")
            .args(["-J", "-rational-rock", "-V", "cidata", "-quiet", "-o"])
            .arg(&iso)
            .arg(&tree)
            .output()
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Error::new(ErrorKind::Unavailable, "--cloud-init: xorrisofs not found")
                        .with_hint("install Debian's xorriso package (apt-get install xorriso)")
                } else {
                    Error::failed(format!("--cloud-init: run xorrisofs: {}", io_text(&e)))
                }
            })?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            return Err(Error::failed(format!(
                "--cloud-init: xorrisofs failed: {}",
                vnet_common::error::one_line(why.lines().last().unwrap_or(""))
            )));
        }
        std::fs::read(&iso).context("read the seed ISO")
    })();
    let _ = std::fs::remove_dir_all(&work);
    result
}

/// The seed volume's name for `domain`: `<name>-cidata.iso` (file-safe), with `-N` when taken.
pub fn volume_name(conn: &Connect, pool: Option<&str>, domain: &str) -> String {
    let safe = crate::storage::paths::safe_file_name(domain);
    let pool = pool.and_then(|p| StoragePool::lookup_by_name(conn, p).ok());
    (1..1000)
        .map(|i| {
            if i == 1 {
                format!("{safe}-cidata.iso")
            } else {
                format!("{safe}-cidata-{i}.iso")
            }
        })
        .find(|n| {
            pool.as_ref()
                .is_none_or(|p| StorageVol::lookup_by_name(p, n).is_err())
        })
        .unwrap_or_else(|| format!("{safe}-cidata.iso"))
}

/// Creates the seed volume in `pool_name`, records it, and uploads the ISO into it. Returns its path.
pub fn upload(
    conn: &Connect,
    pool_name: &str,
    volume: &str,
    iso: &[u8],
    journal: &mut Journal,
) -> Result<String> {
    let pool = StoragePool::lookup_by_name(conn, pool_name).libvirt(format!("storage pool {pool_name}"))?;
    let xml = crate::xml::volume::NewVolume::upload(volume, iso.len() as u64).xml();
    let vol = StorageVol::create_xml(&pool, &xml, 0).libvirt(format!("create the seed volume {volume}"))?;
    let path = vol.get_path().libvirt("seed volume path")?;
    let made = vol.clone();
    journal.record_fn(format!("create volume {path}"), move || {
        made.delete(0).libvirt("delete the seed volume")
    })?;
    let what = format!("upload the seed to {path}");
    let stream = Stream::new(conn, 0).libvirt(&what)?;
    vol.upload(&stream, 0, iso.len() as u64, 0).libvirt(&what)?;
    let mut rest = iso;
    while !rest.is_empty() {
        match stream.send(rest) {
            Ok(0) => break,
            Ok(n) => rest = &rest[n..],
            Err(e) => {
                let _ = stream.abort();
                return Err(vnet_common::libvirt::error(e).context(what));
            }
        }
    }
    stream.finish().libvirt(what)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_as_virt_install_has_them() {
        let d = parse("").unwrap();
        assert!(d.root_password_generate && d.disable);
        let a = parse("user-data=/u,meta-data=/m,network-config=/n").unwrap();
        assert_eq!(a.user_data.as_deref(), Some(Path::new("/u")));
        assert!(!a.root_password_generate && !a.disable);
        let b = parse("root-password-generate=on,root-ssh-key=/k,disable=on").unwrap();
        assert!(b.root_password_generate && b.disable);
        for bad in [
            "user-data=/u,disable=on",
            "root-password-generate=on,root-password-file=/p",
            "colour=blue",
            "disable=maybe",
            "user-data=",
        ] {
            assert_eq!(parse(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
    }

    #[test]
    fn generated_user_data_and_bad_files() {
        let dir = std::env::temp_dir().join(format!("vnet-ci-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("key"), "\nssh-ed25519 AAAA x@y\n").unwrap();
        std::fs::write(dir.join("bad"), [0xff, 0xfe, b'a']).unwrap();
        let args = parse(&format!(
            "root-password-generate=on,root-ssh-key={}/key,disable=on",
            dir.display()
        ))
        .unwrap();
        let text = generated_user_data(&args, Some("PW")).unwrap();
        assert!(text.starts_with("#cloud-config\nchpasswd:\n  list: |\n    root:PW\n  expire: True\n"));
        assert!(text.contains("      - \"ssh-ed25519 AAAA x@y\"\n"), "{text}");
        assert!(text.ends_with("runcmd:\n- [ sudo, touch, /etc/cloud/cloud-init.disabled ]\n"));
        let missing = parse(&format!("user-data={}/none", dir.display())).unwrap();
        assert_eq!(build(&missing, "vm").unwrap_err().exit_code(), 3);
        let not_utf8 = parse(&format!("user-data={}/bad", dir.display())).unwrap();
        let e = build(&not_utf8, "vm").unwrap_err();
        assert_eq!(e.exit_code(), 7);
        assert!(e.message.contains("not UTF-8"), "{}", e.message);
        let pw = generate_password().unwrap();
        assert!(pw.len() == 16 && pw.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(yaml_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The ISO is labelled cidata and holds the files (read back with the iso9660 crate).
    #[test]
    fn the_seed_iso_is_labelled_cidata() {
        if Command::new("xorrisofs").arg("-version").output().is_err() {
            return;
        }
        let iso = make_iso("#cloud-config\n", "instance-id: x\n", Some("version: 2\n")).unwrap();
        // The volume descriptor at 32 KiB: type 1, "CD001", the volume id at byte 40.
        assert_eq!(&iso[0x8001..0x8006], b"CD001");
        assert_eq!(&iso[0x8028..0x802e], b"cidata");
        let path = std::env::temp_dir().join(format!("vnet-ci-iso-{}", std::process::id()));
        std::fs::write(&path, &iso).unwrap();
        let image = iso9660::ISO9660::new(std::fs::File::open(&path).unwrap()).unwrap();
        let names: Vec<String> = image
            .root
            .contents()
            .filter_map(|e| e.ok())
            .map(|e| e.identifier().to_string())
            .collect();
        std::fs::remove_file(&path).unwrap();
        assert!(
            names.iter().any(|n| n.to_lowercase().starts_with("user")),
            "{names:?}"
        );
    }
}
