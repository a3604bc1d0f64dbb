//! virt-install's option strings (`--network`, `--disk`, `--boot`, sizes) parsed and validated before
//! anything is touched. Bad input is exit 7 (invalid).

use std::path::{Path, PathBuf};
use vnet_common::mac::parse_unicast_mac;
use vnet_common::{Error, Result};

/// `--graphics`: the guest's graphical console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphicsKind {
    None,
    Vnc,
    Spice,
}

impl GraphicsKind {
    /// The name the flag takes (and the JSON reports).
    pub fn name(self) -> &'static str {
        match self {
            GraphicsKind::None => "none",
            GraphicsKind::Vnc => "vnc",
            GraphicsKind::Spice => "spice",
        }
    }
}

/// `--virt-type`: the hypervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VirtTypeArg {
    Auto,
    Kvm,
    Qemu,
}

/// `key=value,key=value`; a first word without `=` is returned under `bare_key`.
fn options(spec: &str, what: &str, bare_key: &str, allowed: &[&str]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (i, part) in spec.split(',').enumerate() {
        let (key, value) = match part.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None if i == 0 && !bare_key.is_empty() => (bare_key, part.trim()),
            None => {
                return Err(Error::invalid(format!(
                    "{what} '{spec}': '{part}' is not key=value"
                )))
            }
        };
        if !allowed.contains(&key) {
            return Err(Error::invalid(format!(
                "{what} '{spec}': unknown option '{key}' (known: {})",
                allowed.join(", ")
            )));
        }
        if value.is_empty() {
            return Err(Error::invalid(format!("{what} '{spec}': {key}= needs a value")));
        }
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
pub enum NicSource {
    Network(String),
    Bridge(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Nic {
    pub source: NicSource,
    pub model: String,
    pub mac: Option<String>,
}

/// `--network` values; no flag means network=default, `none` means no interface.
pub fn parse_networks(specs: &[String]) -> Result<Vec<Nic>> {
    if specs.is_empty() {
        return Ok(vec![Nic {
            source: NicSource::Network("default".into()),
            model: "virtio".into(),
            mac: None,
        }]);
    }
    if specs.iter().any(|s| s == "none") {
        if specs.len() > 1 {
            return Err(Error::invalid(
                "--network none cannot be combined with other --network",
            ));
        }
        return Ok(vec![]);
    }
    specs.iter().map(|s| parse_network(s)).collect()
}

fn parse_network(spec: &str) -> Result<Nic> {
    let mut source = None;
    let mut model = "virtio".to_string();
    let mut mac = None;
    for (key, value) in options(spec, "--network", "", &["network", "bridge", "model", "mac"])? {
        match key.as_str() {
            "network" | "bridge" if source.is_some() => {
                return Err(Error::invalid(format!(
                    "--network '{spec}': give network= or bridge=, once"
                )))
            }
            "network" => source = Some(NicSource::Network(value)),
            "bridge" => {
                vnet_common::names::validate_ifname(&value)?;
                source = Some(NicSource::Bridge(value))
            }
            "model" => model = validate_model(&value)?,
            _ => mac = Some(parse_unicast_mac(&value)?),
        }
    }
    let source = source
        .ok_or_else(|| Error::invalid(format!("--network '{spec}': needs network=NAME or bridge=BR")))?;
    Ok(Nic { source, model, mac })
}

fn validate_model(model: &str) -> Result<String> {
    if model.is_empty()
        || !model
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::invalid(format!("NIC model '{model}' is not a model name")));
    }
    Ok(model.to_string())
}

#[derive(Debug, Clone, PartialEq)]
pub struct DiskSpec {
    pub path: PathBuf,
    pub size_gb: Option<f64>,
    pub format: String,
    pub bus: String,
}

impl DiskSpec {
    /// The image's file name: the volume's name in its pool.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    }
}

/// `--disk` values; `none` means no disk.
pub fn parse_disks(specs: &[String]) -> Result<Vec<DiskSpec>> {
    if specs.iter().any(|s| s == "none") {
        if specs.len() > 1 {
            return Err(Error::invalid("--disk none cannot be combined with other --disk"));
        }
        return Ok(vec![]);
    }
    let disks: Vec<DiskSpec> = specs.iter().map(|s| parse_disk(s)).collect::<Result<_>>()?;
    for (i, d) in disks.iter().enumerate() {
        if disks[..i].iter().any(|o| o.path == d.path) {
            return Err(Error::invalid(format!(
                "--disk {} is given twice",
                d.path.display()
            )));
        }
    }
    Ok(disks)
}

fn parse_disk(spec: &str) -> Result<DiskSpec> {
    let mut disk = DiskSpec {
        path: PathBuf::new(),
        size_gb: None,
        format: String::new(),
        bus: "virtio".into(),
    };
    for (key, value) in options(spec, "--disk", "path", &["path", "size", "format", "bus"])? {
        match key.as_str() {
            "path" => disk.path = PathBuf::from(value),
            "size" => disk.size_gb = Some(parse_size_gb(&value)?),
            "format" if ["raw", "qcow2"].contains(&value.as_str()) => disk.format = value,
            "format" => {
                return Err(Error::invalid(format!(
                    "--disk format '{value}': use raw or qcow2"
                )))
            }
            _ if ["virtio", "sata", "scsi", "ide"].contains(&value.as_str()) => disk.bus = value,
            _ => {
                return Err(Error::invalid(format!(
                    "--disk bus '{value}': use virtio, sata, scsi or ide"
                )))
            }
        }
    }
    if disk.path.as_os_str().is_empty() {
        return Err(Error::invalid(format!("--disk '{spec}': needs path=")));
    }
    if !disk.path.is_absolute() || disk.path.file_name().is_none() {
        return Err(Error::invalid(format!(
            "--disk path '{}' must be an absolute file path",
            disk.path.display()
        )));
    }
    if disk.format.is_empty() {
        // Like virt-install: an existing image keeps what its name says; new ones are raw (sparse).
        let qcow = disk.path.extension().is_some_and(|e| e == "qcow2");
        disk.format = if qcow { "qcow2" } else { "raw" }.into();
    }
    Ok(disk)
}

/// A size in GB (virt-install's unit, fractions allowed): positive, finite, at most 64 TiB.
pub fn parse_size_gb(value: &str) -> Result<f64> {
    let size: f64 = value
        .parse()
        .map_err(|_| Error::invalid(format!("disk size '{value}' is not a number of GB")))?;
    if !size.is_finite() || size <= 0.0 || size > 65536.0 {
        return Err(Error::invalid(format!(
            "disk size '{value}' must be > 0 and <= 65536 GB"
        )));
    }
    Ok(size)
}

/// The size in bytes libvirt gets (GiB, as virt-install computes it).
pub fn size_bytes(size_gb: f64) -> u64 {
    (size_gb * 1024.0 * 1024.0 * 1024.0).round() as u64
}

/// `--memory 2048` or `--memory memory=2048` (MiB), 16 MiB .. 16 TiB.
pub fn parse_memory(value: &str) -> Result<u64> {
    let number = value.strip_prefix("memory=").unwrap_or(value);
    match number.parse::<u64>() {
        Ok(n) if (16..=16 << 20).contains(&n) => Ok(n),
        _ => Err(Error::invalid(format!(
            "--memory '{value}': a number of MiB from 16"
        ))),
    }
}

/// `--vcpus 2` or `--vcpus vcpus=2`, 1..=4096.
pub fn parse_vcpus(value: &str) -> Result<u32> {
    let number = value.strip_prefix("vcpus=").unwrap_or(value);
    match number.parse::<u32>() {
        Ok(n) if (1..=4096).contains(&n) => Ok(n),
        _ => Err(Error::invalid(format!(
            "--vcpus '{value}': a number from 1 to 4096"
        ))),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KernelBoot {
    pub kernel: PathBuf,
    pub initrd: Option<PathBuf>,
    pub cmdline: Option<String>,
}

/// `--boot kernel=K,initrd=I,kernel_args=A` (kernel_args may contain no comma: virt-install's rule).
pub fn parse_boot(spec: &str) -> Result<KernelBoot> {
    let mut boot = KernelBoot {
        kernel: PathBuf::new(),
        initrd: None,
        cmdline: None,
    };
    for (key, value) in options(
        spec,
        "--boot",
        "",
        &["kernel", "initrd", "kernel_args", "cmdline"],
    )? {
        match key.as_str() {
            "kernel" => boot.kernel = absolute(&value, "--boot kernel")?,
            "initrd" => boot.initrd = Some(absolute(&value, "--boot initrd")?),
            _ => boot.cmdline = Some(value),
        }
    }
    if boot.kernel.as_os_str().is_empty() {
        return Err(Error::invalid(format!("--boot '{spec}': needs kernel=PATH")));
    }
    Ok(boot)
}

fn absolute(value: &str, what: &str) -> Result<PathBuf> {
    let path = Path::new(value);
    if !path.is_absolute() {
        return Err(Error::invalid(format!(
            "{what} '{value}' must be an absolute path"
        )));
    }
    Ok(path.to_path_buf())
}

/// A libvirt domain name: 1..=200 bytes, no '/', no control characters (libvirt's own limits
/// plus what a file name under /var/lib/libvirt needs).
pub fn validate_domain_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.len() > 200
        || name.contains('/')
        || name.chars().any(|c| c.is_control())
        || name == "."
        || name == "..";
    if bad {
        return Err(Error::invalid(format!(
            "domain name '{name}' must be 1..200 bytes without '/' or control characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_default_and_full_form() {
        let d = parse_networks(&[]).unwrap();
        assert_eq!(d[0].source, NicSource::Network("default".into()));
        let n = parse_networks(&["bridge=br0,model=e1000,mac=52:54:00:AA:bb:01".into()]).unwrap();
        assert_eq!(n[0].source, NicSource::Bridge("br0".into()));
        assert_eq!(n[0].model, "e1000");
        assert_eq!(n[0].mac.as_deref(), Some("52:54:00:aa:bb:01"));
        assert!(parse_networks(&["none".into()]).unwrap().is_empty());
    }

    #[test]
    fn bad_networks_are_invalid() {
        for bad in [
            "model=virtio",
            "network=a,bridge=b",
            "network=default,mac=01:00:00:00:00:01",
            "network=default,mac=zz",
            "network=default,speed=1",
            "bridge=a-name-longer-than-15",
        ] {
            assert_eq!(parse_networks(&[bad.into()]).unwrap_err().exit_code(), 7, "{bad}");
        }
    }

    #[test]
    fn disks_parse_like_virt_install() {
        let d = parse_disks(&["path=/data/vm-images/vm1.img,size=10".into()]).unwrap();
        assert_eq!(d[0].path, PathBuf::from("/data/vm-images/vm1.img"));
        assert_eq!(d[0].size_gb, Some(10.0));
        assert_eq!((d[0].format.as_str(), d[0].bus.as_str()), ("raw", "virtio"));
        let d = parse_disks(&["/x/a.qcow2".into()]).unwrap();
        assert_eq!(d[0].format, "qcow2");
        assert!(parse_disks(&["none".into()]).unwrap().is_empty());
        assert_eq!(size_bytes(0.5), 512 << 20);
    }

    #[test]
    fn bad_disks_are_invalid() {
        for bad in [
            "path=rel.img",
            "size=1",
            "path=/a.img,size=0",
            "path=/a.img,size=-1",
            "path=/a.img,size=ten",
            "path=/a.img,format=vmdk",
            "path=/a.img,bus=floppy",
            "path=/a.img,size=nan",
        ] {
            assert_eq!(parse_disks(&[bad.into()]).unwrap_err().exit_code(), 7, "{bad}");
        }
        let twice = ["path=/a.img".to_string(), "path=/a.img".to_string()];
        assert_eq!(parse_disks(&twice).unwrap_err().exit_code(), 7);
    }

    #[test]
    fn memory_vcpus_boot() {
        assert_eq!(parse_memory("2048").unwrap(), 2048);
        assert_eq!(parse_memory("memory=256").unwrap(), 256);
        assert!(parse_memory("0").is_err() && parse_memory("2G").is_err());
        assert_eq!(parse_vcpus("2").unwrap(), 2);
        assert!(parse_vcpus("0").is_err());
        let b = parse_boot("kernel=/b/vmlinuz,initrd=/b/initrd.gz,kernel_args=console=ttyS0").unwrap();
        assert_eq!(b.cmdline.as_deref(), Some("console=ttyS0"));
        assert!(parse_boot("initrd=/b/i").is_err() && parse_boot("kernel=vmlinuz").is_err());
    }

    #[test]
    fn domain_names() {
        assert!(validate_domain_name("VM1").is_ok());
        assert!(validate_domain_name("").is_err() && validate_domain_name("a/b").is_err());
    }
}
