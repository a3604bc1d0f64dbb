//! Is KVM usable? The one probe `vnet-vm install --virt-type auto` and `vnet-net doctor` share.
//!
//! /dev/kvm existing, or even creating a VM on it, does not mean a guest can run a vCPU (this
//! project's own machine: /dev/kvm opens, KVM_CREATE_VM works, and QEMU dies on a
//! `kvm_buf_set_msrs` assertion). So the probe asks libvirt whether it offers KVM at all, then
//! starts a transient, device-less KVM guest and checks it is still running shortly after.
//!
//! That costs a QEMU start (seconds), so the verdict is cached in a small JSON file,
//! [`DEFAULT_CACHE`] (`/var/cache/vnet/kvm-probe.json`; `VNET_KVM_PROBE_CACHE=PATH` elsewhere,
//! `VNET_KVM_PROBE_CACHE=` to disable). A cached verdict is used only while all of these still
//! match what it was made with: the libvirt URI, the QEMU binary libvirt uses for KVM (path, size
//! and mtime: an upgrade invalidates it), the kernel release, whether /dev/kvm exists, and it is
//! younger than [`MAX_AGE`] (a day). Only local qemu URIs are cached: a remote host's QEMU and
//! kernel cannot be checked from here. Failing to write the cache (not root) only costs the next
//! caller another probe.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use virt::connect::Connect;
use virt::domain::Domain;

/// Where the verdict is cached unless VNET_KVM_PROBE_CACHE says otherwise.
pub const DEFAULT_CACHE: &str = "/var/cache/vnet/kvm-probe.json";

/// How long a cached verdict is trusted even when nothing it is keyed by has changed.
pub const MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// The probe's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// True when a KVM guest ran.
    pub usable: bool,
    /// What was found: why KVM is not usable, or what ran.
    pub reason: String,
    /// When the probe guest ran (seconds since the epoch).
    pub probed_at: u64,
    /// True when this verdict came from the cache (no probe guest was started this time).
    #[serde(skip)]
    pub cached: bool,
}

impl Verdict {
    /// The reason with where it came from, for a one-line report.
    pub fn describe(&self) -> String {
        match (self.cached, cache_path()) {
            (true, Some(path)) => format!(
                "{} (cached probe result from {} s ago in {})",
                self.reason,
                now().saturating_sub(self.probed_at),
                path.display()
            ),
            _ => self.reason.clone(),
        }
    }
}

/// What a cached verdict is valid for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    pub uri: String,
    pub emulator: String,
    pub emulator_size: u64,
    pub emulator_mtime: u64,
    pub kernel: String,
    pub dev_kvm: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    key: Key,
    verdict: Verdict,
}

/// The cache file, or None when caching is disabled (VNET_KVM_PROBE_CACHE set empty).
pub fn cache_path() -> Option<PathBuf> {
    match std::env::var_os("VNET_KVM_PROBE_CACHE") {
        Some(p) if p.is_empty() => None,
        Some(p) => Some(PathBuf::from(p)),
        None => Some(PathBuf::from(DEFAULT_CACHE)),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn first_line(e: virt::error::Error) -> String {
    e.message().lines().next().unwrap_or("").to_string()
}

/// Probes KVM through `conn` (or takes the cached verdict, see the module docs).
pub fn probe(conn: &Connect) -> Verdict {
    let caps = match conn.get_domain_capabilities(None, Some("x86_64"), None, Some("kvm"), 0) {
        Ok(caps) => caps,
        Err(e) => return verdict(false, format!("libvirt offers no KVM: {}", first_line(e))),
    };
    let key = key(conn, &caps);
    let cache = cache_path();
    if let (Some(key), Some(path)) = (&key, &cache) {
        if let Some(hit) = read_cache(path, key) {
            return hit;
        }
    }
    let found = match run_probe_guest(conn) {
        Ok(()) => verdict(
            true,
            "KVM is offered by libvirt and a probe guest ran with it".into(),
        ),
        Err(why) => verdict(false, why),
    };
    if let (Some(key), Some(path)) = (key, cache) {
        write_cache(&path, key, &found);
    }
    found
}

fn verdict(usable: bool, reason: String) -> Verdict {
    Verdict {
        usable,
        reason,
        probed_at: now(),
        cached: false,
    }
}

/// The cache key, or None for connections whose host this process cannot inspect.
fn key(conn: &Connect, caps: &str) -> Option<Key> {
    let uri = conn.get_uri().ok()?;
    if !uri.starts_with("qemu") || !super::is_local_uri(&uri) {
        return None;
    }
    let emulator = element_text(caps, "path")?;
    let meta = std::fs::metadata(&emulator).ok()?;
    let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some(Key {
        uri,
        emulator,
        emulator_size: meta.len(),
        emulator_mtime: mtime.as_secs(),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_string(),
        dev_kvm: Path::new("/dev/kvm").exists(),
    })
}

/// The text of the first `<name>...</name>` in a document libvirt wrote (no attributes there).
fn element_text(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find("</")? + start;
    Some(xml[start..end].trim().to_string())
}

fn read_cache(path: &Path, key: &Key) -> Option<Verdict> {
    let text = std::fs::read_to_string(path).ok()?;
    let entry: Entry = serde_json::from_str(&text).ok()?;
    let age = now().checked_sub(entry.verdict.probed_at)?;
    (entry.key == *key && age < MAX_AGE.as_secs()).then_some(Verdict {
        cached: true,
        ..entry.verdict
    })
}

fn write_cache(path: &Path, key: Key, verdict: &Verdict) {
    let entry = Entry {
        key,
        verdict: verdict.clone(),
    };
    let Ok(text) = serde_json::to_string_pretty(&entry) else {
        return;
    };
    let Some(dir) = path.parent() else { return };
    let _ = std::fs::create_dir_all(dir);
    // Written aside and renamed, so a reader never sees half a file.
    let tmp = dir.join(format!(".kvm-probe.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, text + "\n").is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// The probe guest: KVM, 32 MiB, one vCPU, no devices; the name is ours (digits), not input.
fn probe_xml(name: &str) -> String {
    format!(
        "<domain type=\"kvm\"><name>{name}</name><memory unit=\"MiB\">32</memory><vcpu>1</vcpu>\
         <os><type>hvm</type></os><features><acpi/></features><cpu mode=\"host-passthrough\"/>\
         <devices><memballoon model=\"none\"/></devices></domain>"
    )
}

/// Starts a transient, device-less KVM guest, checks it survives its first moments, destroys it.
fn run_probe_guest(conn: &Connect) -> std::result::Result<(), String> {
    let name = format!("vnet-kvm-probe-{}", std::process::id());
    let dom = Domain::create_xml(conn, &probe_xml(&name), 0).map_err(first_line)?;
    std::thread::sleep(Duration::from_millis(300));
    let alive = dom.is_active().unwrap_or(false);
    let _ = dom.destroy();
    if alive {
        Ok(())
    } else {
        Err("the KVM probe guest stopped right after starting".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key {
            uri: "qemu:///system".into(),
            emulator: "/usr/bin/qemu-system-x86_64".into(),
            emulator_size: 1,
            emulator_mtime: 2,
            kernel: "6.18".into(),
            dev_kvm: true,
        }
    }

    #[test]
    fn cache_is_used_only_for_the_same_key_and_while_fresh() {
        let dir = std::env::temp_dir().join(format!("vnet-kvm-cache-{}", std::process::id()));
        let path = dir.join("kvm-probe.json");
        let found = verdict(false, "no".into());
        write_cache(&path, key(), &found);
        let hit = read_cache(&path, &key()).expect("a hit");
        assert!(hit.cached && !hit.usable && hit.reason == "no");
        for changed in [
            Key {
                emulator_mtime: 3,
                ..key()
            },
            Key {
                emulator_size: 9,
                ..key()
            },
            Key {
                kernel: "6.19".into(),
                ..key()
            },
            Key {
                dev_kvm: false,
                ..key()
            },
            Key {
                uri: "qemu:///session".into(),
                ..key()
            },
        ] {
            assert!(read_cache(&path, &changed).is_none(), "{changed:?}");
        }
        let old = Verdict {
            probed_at: now() - MAX_AGE.as_secs() - 1,
            ..found
        };
        write_cache(&path, key(), &old);
        assert!(read_cache(&path, &key()).is_none());
        std::fs::write(&path, "not json").unwrap();
        assert!(read_cache(&path, &key()).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_the_emulator_path() {
        let caps = "<domainCapabilities>\n  <path>/usr/bin/qemu-system-x86_64</path>\n  <domain>kvm</domain>";
        assert_eq!(
            element_text(caps, "path").as_deref(),
            Some("/usr/bin/qemu-system-x86_64")
        );
    }

    #[test]
    fn test_driver_is_probed_without_cache() {
        let conn = super::super::connect_with(Some("test:///default"), None).unwrap();
        let found = probe(&conn);
        assert!(!found.cached);
    }
}
