//! install's typed values (`--network`, `--disk`, `--vcpus`, `--boot`, sizes) built from the
//! sub-options install's option table parsed (install/grammar: the one grammar) and validated
//! before anything is touched. Bad input is exit 7 (invalid).

use std::path::{Path, PathBuf};
use vnet_common::error::quote;
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

/// One value of a typed option (`--disk`, `--network`, `--vcpus`, `--boot`, `--cpu`) as install's
/// option table parsed it (install/grammar): the text given and its sub-options under their
/// canonical keys, in order (aliases, bare values and `KEY:VALUE` shorthands resolved, unknown
/// sub-options already refused). The typed values are built from these, so the table is the
/// only grammar.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Given {
    pub text: String,
    pub keys: Keys,
}

/// Sub-options under their canonical keys, in the order given.
pub type Keys = Vec<(&'static str, String)>;

impl Given {
    /// virt-install's `none` (no disk, no interface).
    pub fn is_none(&self) -> bool {
        self.text == "none"
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum NicSource {
    Network(String),
    Bridge(String),
    /// type=direct: a macvtap on a host device in a mode (bridge, vepa, private, passthrough).
    Direct {
        dev: String,
        mode: String,
    },
}

impl NicSource {
    /// The interface type, the `<source>` attribute naming the host side, and its value.
    pub fn parts(&self) -> (&'static str, &'static str, &str) {
        match self {
            NicSource::Network(n) => ("network", "network", n),
            NicSource::Bridge(b) => ("bridge", "bridge", b),
            NicSource::Direct { dev, .. } => ("direct", "dev", dev),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Nic {
    pub source: NicSource,
    pub model: String,
    pub mac: Option<String>,
}

/// `--network` values; no flag means network=default, `none` means no interface.
pub fn parse_networks(specs: &[Given]) -> Result<Vec<Nic>> {
    if specs.is_empty() {
        return Ok(vec![Nic {
            source: NicSource::Network("default".into()),
            model: "virtio".into(),
            mac: None,
        }]);
    }
    if specs.iter().any(Given::is_none) {
        if specs.len() > 1 {
            return Err(Error::invalid(
                "--network none cannot be combined with other --network",
            ));
        }
        return Ok(vec![]);
    }
    specs.iter().map(parse_network).collect()
}

fn parse_network(spec: &Given) -> Result<Nic> {
    let mut given: Vec<(&str, String)> = Vec::new();
    let mut model = "virtio".to_string();
    let mut mac = None;
    for (key, value) in &spec.keys {
        match *key {
            "model" => model = validate_model(value)?,
            "mac" => mac = Some(parse_unicast_mac(value)?),
            _ => given.push((key, value.clone())),
        }
    }
    let source = nic_source(&spec.text, &given)?;
    Ok(Nic { source, model, mac })
}

/// The host side of one `--network`: network=NAME, bridge=BR, or type=T with source= (and
/// source_mode= for direct, bridge by default as libvirt's).
fn nic_source(spec: &str, given: &[(&str, String)]) -> Result<NicSource> {
    let get = |k: &str| given.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone());
    let bad = |why: &str| Error::invalid(format!("--network {}: {why}", quote(spec)));
    let (network, bridge) = (get("network"), get("bridge"));
    if network.is_some() && bridge.is_some() {
        return Err(bad("give network= or bridge=, once"));
    }
    let implied = match (&network, &bridge) {
        (Some(_), _) => Some("network"),
        (_, Some(_)) => Some("bridge"),
        _ => None,
    };
    let kind = match (get("type"), implied) {
        (Some(t), Some(i)) if t != i => return Err(bad(&format!("{i}= needs type={i}"))),
        (Some(t), _) => t,
        (None, Some(i)) => i.to_string(),
        (None, None) => return Err(bad("needs network=NAME, bridge=BR or type=direct,source=DEV")),
    };
    if !["network", "bridge", "direct"].contains(&kind.as_str()) {
        return Err(Error::invalid(format!(
            "--network type={}: not supported by vnet-vm install",
            quote(&kind)
        ))
        .with_hint("use network=NAME, bridge=BR or type=direct,source=DEV"));
    }
    let source = get("source").or(get("network")).or(get("bridge"));
    let source = source.ok_or_else(|| bad(&format!("type={kind} needs source=")))?;
    if get("source_mode").is_some() && kind != "direct" {
        return Err(bad("source_mode= is for type=direct"));
    }
    match kind.as_str() {
        "network" => Ok(NicSource::Network(source)),
        "bridge" => {
            vnet_common::names::validate_ifname(&source)?;
            Ok(NicSource::Bridge(source))
        }
        "direct" => {
            vnet_common::names::validate_ifname(&source)?;
            let mode = get("source_mode").unwrap_or_else(|| "bridge".into());
            if !["bridge", "vepa", "private", "passthrough"].contains(&mode.as_str()) {
                return Err(bad("source_mode= is bridge, vepa, private or passthrough"));
            }
            Ok(NicSource::Direct { dev: source, mode })
        }
        _ => unreachable!("checked above"),
    }
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
    /// backing_store=: a new qcow2 overlay on this image (which must exist).
    pub backing_store: Option<PathBuf>,
    /// backing_format=: the backing image's format (else read from libvirt or the file).
    pub backing_format: Option<String>,
    /// The `<driver>` attributes beyond name and type (cache, discard, io, ...), validated.
    pub driver: Vec<(String, String)>,
    /// device=: disk, cdrom, floppy or lun.
    pub device: String,
    /// readonly=on (always so for a cdrom, as virt-install writes it).
    pub readonly: bool,
    /// shareable=on.
    pub shareable: bool,
    /// boot.order=N: the per-device boot order.
    pub boot_order: Option<u32>,
    /// serial=: the disk's serial number.
    pub serial: Option<String>,
    /// target.dev=: the device name the guest sees (else generated as virt-install does).
    pub target_dev: Option<String>,
    /// pool=NAME without path=: a new volume in that pool (its path is chosen by the plan).
    pub pool: Option<String>,
    /// A block device (/dev/loopN, an LVM volume, a zvol): `<disk type='block'>`, set by the
    /// plan once it has looked at the path.
    pub block: bool,
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

    /// The value of one `<driver>` attribute, if given.
    pub fn driver_attr(&self, name: &str) -> Option<&str> {
        self.driver
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `--disk` values; `none` means no disk.
pub fn parse_disks(specs: &[Given]) -> Result<Vec<DiskSpec>> {
    if specs.iter().any(Given::is_none) {
        if specs.len() > 1 {
            return Err(Error::invalid("--disk none cannot be combined with other --disk"));
        }
        return Ok(vec![]);
    }
    let disks: Vec<DiskSpec> = specs.iter().map(parse_disk).collect::<Result<_>>()?;
    for (i, d) in disks.iter().enumerate() {
        if d.pool.is_none() && disks[..i].iter().any(|o| o.path == d.path) {
            return Err(Error::invalid(format!(
                "--disk {} is given twice",
                quote(&d.path.to_string_lossy())
            )));
        }
    }
    Ok(disks)
}

/// The `<driver>` attributes `--disk` takes (as `driver.X=` or, for the first three, `X=`) and
/// the values QEMU accepts for each.
const DRIVER_ATTRS: &[(&str, &[&str])] = &[
    (
        "cache",
        &[
            "default",
            "none",
            "writethrough",
            "writeback",
            "directsync",
            "unsafe",
        ],
    ),
    ("discard", &["unmap", "ignore"]),
    ("io", &["native", "threads", "io_uring"]),
    ("detect_zeroes", &["off", "on", "unmap"]),
    ("error_policy", &["stop", "report", "ignore", "enospace"]),
    ("copy_on_read", &["on", "off"]),
    ("queues", &[]),
];

fn parse_format(value: &str, what: &str) -> Result<String> {
    if ["raw", "qcow2"].contains(&value) {
        return Ok(value.to_string());
    }
    Err(Error::invalid(format!(
        "--disk {what} {}: use raw or qcow2",
        quote(value)
    )))
}

fn parse_disk(given: &Given) -> Result<DiskSpec> {
    let spec = given.text.as_str();
    let mut disk = DiskSpec {
        path: PathBuf::new(),
        size_gb: None,
        format: String::new(),
        bus: String::new(),
        backing_store: None,
        backing_format: None,
        driver: Vec::new(),
        device: "disk".into(),
        readonly: false,
        shareable: false,
        boot_order: None,
        serial: None,
        target_dev: None,
        pool: None,
        block: false,
    };
    for (key, value) in given.keys.iter().cloned() {
        match key {
            "path" => disk.path = from_cwd(&value),
            "size" => disk.size_gb = Some(parse_size_gb(&value)?),
            "format" | "driver.type" => disk.format = parse_format(&value, "format")?,
            "backing_store" => disk.backing_store = Some(absolute(&value, "--disk backing_store")?),
            "backing_format" => disk.backing_format = Some(parse_format(&value, "backing_format")?),
            "driver.name" if value == "qemu" => {}
            "driver.name" => {
                return Err(Error::invalid(format!(
                    "--disk driver.name {}: only qemu",
                    quote(&value)
                )))
            }
            "bus" if ["virtio", "sata", "scsi", "ide", "usb"].contains(&value.as_str()) => disk.bus = value,
            "bus" => {
                return Err(Error::invalid(format!(
                    "--disk bus {}: use virtio, sata, scsi, usb or ide",
                    quote(&value)
                )))
            }
            "device" | "readonly" | "shareable" | "boot.order" | "serial" | "target.dev" | "pool" => {
                set_disk_property(&mut disk, key, value)?
            }
            other => {
                let attr = other.strip_prefix("driver.").unwrap_or(other);
                let value = driver_value(attr, &value)?;
                disk.driver.retain(|(k, _)| k != attr);
                disk.driver.push((attr.to_string(), value));
            }
        }
    }
    if disk.bus.is_empty() {
        disk.bus = default_bus(&disk.device).into();
    }
    if let Some(pool) = &disk.pool {
        return check_pool_disk(disk.clone(), pool, spec);
    }
    if disk.path.as_os_str().is_empty() {
        return Err(Error::invalid(format!("--disk {}: needs path=", quote(spec))));
    }
    if !disk.path.is_absolute() || disk.path.file_name().is_none() {
        return Err(Error::invalid(format!(
            "--disk path {} must name a file",
            quote(&disk.path.to_string_lossy())
        )));
    }
    if disk.format.is_empty() {
        // An image named .qcow2 and an overlay on a backing file are qcow2; otherwise the plan
        // decides once it knows whether the image exists (virt-install: a new one is qcow2, an
        // existing one what libvirt probes it to be).
        let qcow = disk.path.extension().is_some_and(|e| e == "qcow2") || disk.backing_store.is_some();
        if qcow {
            disk.format = "qcow2".into();
        }
    }
    check_disk(&disk)?;
    Ok(disk)
}

/// The bus a disk gets without bus=: virtio for disks, IDE for CD-ROMs (q35 moves them to SATA),
/// the floppy controller for floppies, SCSI for a LUN.
fn default_bus(device: &str) -> &'static str {
    match device {
        "cdrom" => "ide",
        "floppy" => "fdc",
        "lun" => "scsi",
        _ => "virtio",
    }
}

/// `on`/`off` as virt-install reads its booleans (yes/no, true/false, 1/0 too).
fn on_off(key: &str, value: &str) -> Result<bool> {
    match value {
        "on" | "yes" | "true" | "1" => Ok(true),
        "off" | "no" | "false" | "0" => Ok(false),
        _ => Err(Error::invalid(format!(
            "--disk {key} {}: use on or off",
            quote(value)
        ))),
    }
}

/// device=, readonly=, shareable=, boot.order=, serial=, target.dev=, pool=.
fn set_disk_property(disk: &mut DiskSpec, key: &str, value: String) -> Result<()> {
    let bad = |why: &str| Error::invalid(format!("--disk {key} {}: {why}", quote(&value)));
    match key {
        "device" if ["disk", "cdrom", "floppy", "lun"].contains(&value.as_str()) => {
            disk.readonly |= value == "cdrom";
            disk.device = value;
        }
        "device" => return Err(bad("use disk, cdrom, floppy or lun")),
        "readonly" => disk.readonly = on_off(key, &value)?,
        "shareable" => disk.shareable = on_off(key, &value)?,
        "boot.order" => match value.parse::<u32>() {
            Ok(n) if n >= 1 => disk.boot_order = Some(n),
            _ => return Err(bad("a boot position from 1")),
        },
        "serial"
            if value.len() <= 20
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
        {
            disk.serial = Some(value)
        }
        "serial" => return Err(bad("up to 20 of A-Z a-z 0-9 - _ .")),
        "target.dev" => {
            let ok = ["vd", "sd", "hd", "fd"]
                .iter()
                .find_map(|p| value.strip_prefix(p))
                .is_some_and(|l| (1..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()));
            if !ok {
                return Err(bad("a device name like vdb, sdc, hda or fda"));
            }
            disk.target_dev = Some(value);
        }
        _ => {
            if value.contains('/') || value.starts_with('.') {
                return Err(bad("a storage pool name"));
            }
            disk.pool = Some(value);
        }
    }
    Ok(())
}

/// `pool=NAME,size=N` without path=: a new volume in NAME (qcow2 unless format= says, as
/// virt-install makes it); the plan names it after the domain.
fn check_pool_disk(mut disk: DiskSpec, pool: &str, spec: &str) -> Result<DiskSpec> {
    if !disk.path.as_os_str().is_empty() {
        return Err(Error::invalid(format!(
            "--disk {}: give path= or pool=, not both",
            quote(spec)
        )));
    }
    if disk.size_gb.is_none() {
        return Err(Error::invalid(format!(
            "--disk {}: pool={pool} makes a new volume and needs size=GB",
            quote(spec)
        )));
    }
    if disk.format.is_empty() {
        disk.format = "qcow2".into();
    }
    check_disk(&disk)?;
    Ok(disk)
}

/// One driver attribute's value, checked against what QEMU takes.
fn driver_value(attr: &str, value: &str) -> Result<String> {
    let allowed = DRIVER_ATTRS
        .iter()
        .find(|(a, _)| *a == attr)
        .map(|(_, v)| *v)
        .unwrap_or(&[]);
    if attr == "queues" {
        return match value.parse::<u32>() {
            Ok(n) if (1..=64).contains(&n) => Ok(n.to_string()),
            _ => Err(Error::invalid(format!(
                "--disk driver.queues {}: a number from 1 to 64",
                quote(value)
            ))),
        };
    }
    if allowed.contains(&value) {
        return Ok(value.to_string());
    }
    Err(Error::invalid(format!(
        "--disk {attr} {}: use {}",
        quote(value),
        allowed.join(", ")
    )))
}

/// Combinations QEMU or libvirt would refuse only when the guest starts.
fn check_disk(disk: &DiskSpec) -> Result<()> {
    let path = quote(&disk.path.to_string_lossy());
    if disk.driver_attr("io") == Some("native")
        && !matches!(disk.driver_attr("cache"), Some("none" | "directsync"))
    {
        return Err(Error::invalid(format!(
            "--disk {path}: io=native needs cache=none or cache=directsync (QEMU opens the image with O_DIRECT for it)"
        )));
    }
    if disk.driver_attr("queues").is_some() && disk.bus != "virtio" {
        return Err(Error::invalid(format!(
            "--disk {path}: driver.queues needs bus=virtio"
        )));
    }
    if disk.backing_store.is_some() && disk.format != "qcow2" {
        return Err(Error::invalid(format!(
            "--disk {path}: an image with backing_store= must be qcow2"
        )));
    }
    if disk.backing_store.as_deref() == Some(disk.path.as_path()) {
        return Err(Error::invalid(format!(
            "--disk {path}: backing_store= is the image itself"
        )));
    }
    if disk.backing_format.is_some() && disk.backing_store.is_none() {
        return Err(Error::invalid(format!(
            "--disk {path}: backing_format= needs backing_store="
        )));
    }
    Ok(())
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

/// `--vcpus`: how many vCPUs and, when given, their topology (product = the maximum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VcpuSpec {
    /// vCPUs online at boot.
    pub count: u32,
    /// maxvcpus= (hot-pluggable up to), when above `count`.
    pub max: Option<u32>,
    /// (sockets, cores, threads) when any was given.
    pub topology: Option<(u32, u32, u32)>,
}

/// `--vcpus 2`, `vcpus=2`, `4,sockets=2,cores=2,threads=1`, `sockets=1,cores=2` (then N is the
/// product), `2,maxvcpus=4`. A missing topology part is derived from N when one is missing
/// (sockets first), else 1; sockets*cores*threads must equal the maximum vCPUs (libvirt's rule).
pub fn parse_vcpus(given: &Given) -> Result<VcpuSpec> {
    let value = given.text.as_str();
    let bad = |why: String| Error::invalid(format!("--vcpus {}: {why}", quote(value)));
    let number = |v: &str, key: &str| match v.parse::<u32>() {
        Ok(n) if (1..=4096).contains(&n) => Ok(n),
        _ => Err(bad(format!("{key} must be a number from 1 to 4096"))),
    };
    let (mut count, mut max, mut topo) = (None, None, [None::<u32>; 3]);
    for (key, v) in &given.keys {
        let n = number(v, key)?;
        match *key {
            "vcpus" => count = Some(n),
            "maxvcpus" => max = Some(n),
            "sockets" => topo[0] = Some(n),
            "cores" => topo[1] = Some(n),
            _ => topo[2] = Some(n),
        }
    }
    let mut total = max.or(count);
    let topology = if topo.iter().any(Option::is_some) {
        let missing: Vec<usize> = (0..3).filter(|i| topo[*i].is_none()).collect();
        if let (Some(t), Some(&first)) = (total, missing.first()) {
            let known: u32 = topo.iter().flatten().product();
            if t % known != 0 {
                return Err(bad(format!(
                    "{t} vCPUs cannot be split into sockets*cores*threads with {}",
                    describe_topology(&topo)
                )));
            }
            topo[first] = Some(t / known);
        }
        let [s, c, th] = topo.map(|n| n.unwrap_or(1));
        let product = u64::from(s) * u64::from(c) * u64::from(th);
        match total {
            Some(t) if u64::from(t) != product => {
                return Err(bad(format!(
                    "sockets*cores*threads = {s}*{c}*{th} = {product}, not the {t} vCPUs{}",
                    if max.is_some() { " of maxvcpus" } else { "" }
                )))
            }
            Some(_) => {}
            None if product > 4096 => return Err(bad(format!("{product} vCPUs is more than 4096"))),
            None => total = Some(product as u32),
        }
        Some((s, c, th))
    } else {
        None
    };
    let total = total.unwrap_or(1);
    let count = count.unwrap_or(total);
    if count > total {
        return Err(bad(format!("vcpus={count} is more than maxvcpus={total}")));
    }
    Ok(VcpuSpec {
        count,
        max: (total > count).then_some(total),
        topology,
    })
}

fn describe_topology(topo: &[Option<u32>; 3]) -> String {
    ["sockets", "cores", "threads"]
        .iter()
        .zip(topo)
        .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(",")
}

#[derive(Debug, Clone, PartialEq)]
pub struct KernelBoot {
    pub kernel: PathBuf,
    pub initrd: Option<PathBuf>,
    pub cmdline: Option<String>,
}

/// `--boot`: a direct kernel boot, the boot device order, UEFI firmware (any combination).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BootSpec {
    pub kernel: Option<KernelBoot>,
    /// hd, cdrom, network, fd, in the order given.
    pub order: Vec<String>,
    /// `uefi` (or firmware=efi): OVMF chosen by libvirt's firmware autoselection.
    pub uefi: bool,
}

/// `--boot kernel=K,initrd=I,kernel_args=A`, `--boot hd,cdrom,network`, `--boot uefi` and their
/// combinations (kernel_args may contain no comma: virt-install's rule), from the sub-options of
/// --boot's typed rows (install/grammar's split_boot).
pub fn parse_boot(given: &Given) -> Result<BootSpec> {
    let spec = given.text.as_str();
    let mut boot = BootSpec::default();
    let (mut kernel, mut initrd, mut cmdline) = (None, None, None);
    for (key, v) in &given.keys {
        match *key {
            "kernel" => kernel = Some(absolute(v, "--boot kernel")?),
            "initrd" => initrd = Some(absolute(v, "--boot initrd")?),
            "kernel_args" => cmdline = Some(v.to_string()),
            "firmware" if v == "efi" => boot.uefi = true,
            "firmware" => {
                return Err(Error::invalid(format!(
                    "--boot {}: firmware={}: only efi",
                    quote(spec),
                    quote(v)
                )))
            }
            // virt-install takes uefi with any value (uefi=on, uefi=yes) as uefi.
            "uefi" => boot.uefi = true,
            _ if !["hd", "cdrom", "network", "fd"].contains(&v.as_str()) => {
                return Err(Error::invalid(format!(
                    "--boot {}: {} is no boot device (hd, cdrom, network, fd)",
                    quote(spec),
                    quote(v)
                )));
            }
            _ if boot.order.contains(v) => {
                return Err(Error::invalid(format!(
                    "--boot {}: {v} is given twice",
                    quote(spec)
                )));
            }
            _ => boot.order.push(v.to_string()),
        }
    }
    match kernel {
        Some(kernel) => {
            boot.kernel = Some(KernelBoot {
                kernel,
                initrd,
                cmdline,
            })
        }
        None if initrd.is_some() || cmdline.is_some() => {
            return Err(Error::invalid(format!(
                "--boot {}: needs kernel=PATH",
                quote(spec)
            )))
        }
        None => {}
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

/// A `--disk` path as virt-install makes it (Python's os.path.abspath): a relative one taken
/// from the current directory, `.` and `..` resolved by name (links are not followed).
fn from_cwd(value: &str) -> PathBuf {
    use std::path::Component;
    let given = Path::new(value);
    let full = if given.is_absolute() {
        given.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(given)
    };
    let mut out = PathBuf::from("/");
    for part in full.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(p) => out.push(p),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
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
    use crate::install::grammar::{edit::split_boot, parse::given};

    /// Values parsed by install's option table, as plan.rs hands them over.
    fn table(name: &str, values: &[&str]) -> Result<Vec<Given>> {
        given(name, &values.iter().map(|v| v.to_string()).collect::<Vec<_>>())
    }

    fn parse_networks(values: &[&str]) -> Result<Vec<Nic>> {
        super::parse_networks(&table("network", values)?)
    }

    fn parse_disks(values: &[&str]) -> Result<Vec<DiskSpec>> {
        super::parse_disks(&table("disk", values)?)
    }

    fn parse_vcpus(value: &str) -> Result<VcpuSpec> {
        super::parse_vcpus(&table("vcpus", &[value])?[0])
    }

    fn parse_boot(value: &str) -> Result<BootSpec> {
        let (keys, _) = split_boot(value)?;
        super::parse_boot(&Given {
            text: value.into(),
            keys,
        })
    }

    #[test]
    fn networks_default_and_full_form() {
        let d = parse_networks(&[]).unwrap();
        assert_eq!(d[0].source, NicSource::Network("default".into()));
        let n = parse_networks(&["bridge=br0,model=e1000,mac=52:54:00:AA:bb:01"]).unwrap();
        assert_eq!(n[0].source, NicSource::Bridge("br0".into()));
        assert_eq!(n[0].model, "e1000");
        assert_eq!(n[0].mac.as_deref(), Some("52:54:00:aa:bb:01"));
        assert!(parse_networks(&["none"]).unwrap().is_empty());
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
            assert_eq!(parse_networks(&[bad]).unwrap_err().exit_code(), 7, "{bad}");
        }
    }

    #[test]
    fn disks_parse_like_virt_install() {
        let d = parse_disks(&["path=/data/vm-images/vm1.img,size=10"]).unwrap();
        assert_eq!(d[0].path, PathBuf::from("/data/vm-images/vm1.img"));
        assert_eq!(d[0].size_gb, Some(10.0));
        // No format= and no .qcow2 name: the plan decides (qcow2 when it creates the image).
        assert_eq!((d[0].format.as_str(), d[0].bus.as_str()), ("", "virtio"));
        let d = parse_disks(&["/x/a.qcow2"]).unwrap();
        assert_eq!(d[0].format, "qcow2");
        assert!(parse_disks(&["none"]).unwrap().is_empty());
        assert_eq!(size_bytes(0.5), 512 << 20);
    }

    #[test]
    fn bad_disks_are_invalid() {
        for bad in [
            "path=/",
            "size=1",
            "path=/a.img,size=0",
            "path=/a.img,size=-1",
            "path=/a.img,size=ten",
            "path=/a.img,format=vmdk",
            "path=/a.img,bus=floppy",
            "path=/a.img,size=nan",
        ] {
            assert_eq!(parse_disks(&[bad]).unwrap_err().exit_code(), 7, "{bad}");
        }
        let twice = ["path=/a.img", "path=/a.img"];
        assert_eq!(parse_disks(&twice).unwrap_err().exit_code(), 7);
    }

    /// A relative path is taken from the current directory, `.` and `..` resolved, as Python's
    /// os.path.abspath (virt-install).
    #[test]
    fn relative_disk_paths_are_taken_from_the_current_directory() {
        let cwd = std::env::current_dir().unwrap();
        let disk = &parse_disks(&["rel.qcow2,size=1"]).unwrap()[0];
        assert_eq!(disk.path, cwd.join("rel.qcow2"));
        let disk = &parse_disks(&["path=./a/../b.img"]).unwrap()[0];
        assert_eq!(disk.path, cwd.join("b.img"));
        assert_eq!(from_cwd("/x/./y/../z.img"), PathBuf::from("/x/z.img"));
    }

    #[test]
    fn memory_vcpus_boot() {
        assert_eq!(parse_memory("2048").unwrap(), 2048);
        assert_eq!(parse_memory("memory=256").unwrap(), 256);
        assert!(parse_memory("0").is_err() && parse_memory("2G").is_err());
        assert_eq!(parse_vcpus("2").unwrap().count, 2);
        assert!(parse_vcpus("0").is_err() && parse_vcpus("none").is_err());
        let b = parse_boot("kernel=/b/vmlinuz,initrd=/b/initrd.gz,kernel_args=console=ttyS0").unwrap();
        assert_eq!(b.kernel.unwrap().cmdline.as_deref(), Some("console=ttyS0"));
        assert!(parse_boot("initrd=/b/i").is_err() && parse_boot("kernel=vmlinuz").is_err());
    }

    #[test]
    fn vcpu_topologies_must_multiply_to_the_count() {
        let t = parse_vcpus("4,sockets=2,cores=2,threads=1").unwrap();
        assert_eq!((t.count, t.max, t.topology), (4, None, Some((2, 2, 1))));
        assert_eq!(parse_vcpus("sockets=1,cores=2,threads=2").unwrap().count, 4);
        assert_eq!(parse_vcpus("4,cores=2").unwrap().topology, Some((2, 2, 1)));
        let m = parse_vcpus("2,maxvcpus=4,sockets=1,cores=4").unwrap();
        assert_eq!((m.count, m.max, m.topology), (2, Some(4), Some((1, 4, 1))));
        for bad in [
            "4,sockets=3,cores=2,threads=1",
            "3,cores=2",
            "4,maxvcpus=2",
            "4,sockets=0",
            "4,dies=2",
        ] {
            let e = parse_vcpus(bad).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{bad}");
        }
        assert!(parse_vcpus("4,sockets=3,cores=2,threads=1")
            .unwrap_err()
            .message
            .contains("= 6, not the 4 vCPUs"));
    }

    #[test]
    fn disk_driver_and_backing_options() {
        let d = parse_disks(&["path=/i/o.qcow2,backing_store=/i/base.qcow2,cache=none,discard=unmap,io=native,driver.detect_zeroes=unmap"]).unwrap();
        assert_eq!(d[0].backing_store.as_deref(), Some(Path::new("/i/base.qcow2")));
        assert_eq!(d[0].format, "qcow2");
        assert_eq!(d[0].driver_attr("cache"), Some("none"));
        assert_eq!(d[0].driver.len(), 4);
        // A backing file makes the overlay qcow2 whatever its name.
        assert_eq!(
            parse_disks(&["path=/i/o.img,backing_store=/i/b.img"]).unwrap()[0].format,
            "qcow2"
        );
        for bad in [
            "path=/i/a.img,cache=fast",
            "path=/i/a.img,io=native",
            "path=/i/a.img,io=native,cache=writeback",
            "path=/i/a.img,discard=trim",
            "path=/i/a.img,driver.queues=0",
            "path=/i/a.img,bus=sata,driver.queues=2",
            "path=/i/a.img,format=raw,backing_store=/i/b.img",
            "path=/i/a.img,backing_store=rel.img",
            "path=/i/a.img,backing_format=raw",
            "path=/i/a.img,driver.name=xen",
        ] {
            assert_eq!(parse_disks(&[bad]).unwrap_err().exit_code(), 7, "{bad}");
        }
    }

    #[test]
    fn boot_lists_order_uefi_and_kernel() {
        let b = parse_boot("uefi,hd,cdrom,network").unwrap();
        assert!(b.uefi && b.kernel.is_none());
        assert_eq!(b.order, ["hd", "cdrom", "network"]);
        let k = parse_boot("hd,kernel=/k,initrd=/i").unwrap();
        assert_eq!(k.kernel.unwrap().initrd.as_deref(), Some(Path::new("/i")));
        for bad in ["hd,hd", "floppy", "initrd=/i", "firmware=bios"] {
            assert_eq!(parse_boot(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
    }

    #[test]
    fn domain_names() {
        assert!(validate_domain_name("VM1").is_ok());
        assert!(validate_domain_name("").is_err() && validate_domain_name("a/b").is_err());
    }
}
