//! virt-install's safety checks, made before anything is touched, and `--check` that turns them
//! off: a disk path another domain uses (path_in_use, exit 4), a MAC another domain has
//! (mac_in_use, exit 4), a new disk larger than the space its pool has left (disk_size, exit 7).
//! A check turned off that would have failed becomes a warning (disk_size: silently), as in
//! virt-install.

use super::grammar::parse::{option, parse};
use crate::spec::Nic;
use crate::storage::disks::{DiskPlan, PoolPlan};
use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use vnet_common::error::quote;
use vnet_common::libvirt::xml::{self, Element};
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, Result};

/// Which checks run (all by default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Checks {
    pub path_in_use: bool,
    pub disk_size: bool,
    pub mac_in_use: bool,
    /// Accepted: virt-install checks it only when cloning (install never overwrites a path).
    pub path_exists: bool,
}

impl Default for Checks {
    fn default() -> Checks {
        Checks {
            path_in_use: true,
            disk_size: true,
            mac_in_use: true,
            path_exists: true,
        }
    }
}

/// virt-install's booleans: on/off, yes/no, true/false, 1/0.
fn on_off(key: &str, value: &str) -> Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" | "1" => Ok(true),
        "off" | "no" | "false" | "0" => Ok(false),
        _ => Err(Error::invalid(format!(
            "--check {key} {}: use on or off",
            quote(value)
        ))),
    }
}

/// Every `--check` value (repeatable); `all=` overrides the others wherever it is given, as in
/// virt-install. An unknown check or a value other than on/off is 7.
pub fn parse_checks(values: &[String]) -> Result<Checks> {
    let mut checks = Checks::default();
    let mut all = None;
    for value in values {
        for (row, v) in parse(option("check"), value)? {
            let on = on_off(row.key, &v)?;
            match row.key {
                "path_in_use" => checks.path_in_use = on,
                "disk_size" => checks.disk_size = on,
                "mac_in_use" => checks.mac_in_use = on,
                "path_exists" => checks.path_exists = on,
                _ => all = Some(on),
            }
        }
    }
    if let Some(on) = all {
        checks = Checks {
            path_in_use: on,
            disk_size: on,
            mac_in_use: on,
            path_exists: on,
        };
    }
    Ok(checks)
}

/// Fails with `err` when the check is on, else records its message as a warning (`warn`).
fn optional_fail(on: bool, warn: bool, err: Error, name: &str, warnings: &mut Vec<String>) -> Result<()> {
    if on {
        return Err(err.with_hint(format!("--check {name}=off (or all=off) overrides this check")));
    }
    if warn {
        warnings.push(err.message);
    }
    Ok(())
}

/// Every domain's XML (running ones as they run), parsed.
fn domains(conn: &Connect) -> Result<Vec<Element>> {
    let all = conn.list_all_domains(0).libvirt("list domains")?;
    Ok(all
        .iter()
        .filter_map(|d| d.get_xml_desc(0).ok())
        .filter_map(|x| xml::parse(&x).ok())
        .collect())
}

fn domain_name(dom: &Element) -> String {
    dom.text_at(&["name"]).unwrap_or_default().trim().to_string()
}

/// The domains using `path`: as a disk (unless both sides are shareable, or both read-only) or,
/// for a writable disk, as a kernel or initrd, as virt-install's path_in_use_by.
fn users_of(domains: &[Element], path: &str, shareable: bool, readonly: bool) -> Vec<String> {
    let mut names = Vec::new();
    for dom in domains {
        let boot = ["kernel", "initrd"]
            .iter()
            .any(|f| dom.text_at(&["os", f]).is_some_and(|p| p.trim() == path));
        let disk = dom.all(&["devices", "disk"]).into_iter().any(|d| {
            let source = d.child("source");
            let same = ["file", "dev"]
                .iter()
                .any(|a| source.and_then(|s| s.attr(a)) == Some(path));
            same && !(shareable && d.child("shareable").is_some())
                && !(readonly && d.child("readonly").is_some())
        });
        if (boot && !readonly) || disk {
            names.push(domain_name(dom));
        }
    }
    names
}

fn check_paths(
    domains: &[Element],
    checks: Checks,
    disks: &[DiskPlan],
    warnings: &mut Vec<String>,
) -> Result<()> {
    let disks: Vec<_> = disks
        .iter()
        .map(|d| {
            (
                d.spec.path.to_string_lossy().into_owned(),
                d.spec.shareable,
                d.spec.readonly,
            )
        })
        .collect();
    for (path, shareable, readonly) in disks {
        let users = users_of(domains, &path, shareable, readonly);
        if users.is_empty() {
            continue;
        }
        let err = Error::exists(format!(
            "--disk {}: already in use by other guests: {}",
            quote(&path),
            users.join(", ")
        ));
        optional_fail(checks.path_in_use, true, err, "path_in_use", warnings)?;
    }
    Ok(())
}

fn check_macs(domains: &[Element], checks: Checks, nics: &[Nic], warnings: &mut Vec<String>) -> Result<()> {
    let macs: Vec<String> = nics.iter().filter_map(|n| n.mac.clone()).collect();
    for mac in macs {
        let user = domains.iter().find(|dom| {
            dom.all(&["devices", "interface"]).into_iter().any(|i| {
                i.child("mac")
                    .and_then(|m| m.attr("address"))
                    .is_some_and(|a| a.eq_ignore_ascii_case(&mac))
            })
        });
        if let Some(dom) = user {
            let err = Error::exists(format!(
                "--network mac {}: the MAC address is in use by another virtual machine ({})",
                quote(&mac),
                domain_name(dom)
            ));
            optional_fail(checks.mac_in_use, true, err, "mac_in_use", warnings)?;
        }
    }
    Ok(())
}

fn is_local(conn: &Connect) -> bool {
    conn.get_uri()
        .is_ok_and(|uri| vnet_common::libvirt::is_local_uri(&uri))
}

/// Bytes free where a new disk goes: its pool's available space, or (a pool install will
/// make) the file system of its directory, when that is on this machine.
fn available(conn: &Connect, pool: &PoolPlan) -> Result<Option<u64>> {
    match pool {
        PoolPlan::Existing(name) if name.is_empty() => Ok(None),
        PoolPlan::Existing(name) => {
            let pool = StoragePool::lookup_by_name(conn, name).libvirt(format!("storage pool {name}"))?;
            Ok(Some(
                pool.get_info().libvirt(format!("storage pool {name}"))?.available,
            ))
        }
        // Over a remote URI the directory is the target host's: not measurable here.
        PoolPlan::New { .. } if !is_local(conn) => Ok(None),
        PoolPlan::New { dir, .. } => Ok(nix::sys::statvfs::statvfs(dir.as_str())
            .ok()
            .map(|s| s.blocks_available() * s.fragment_size())),
    }
}

fn check_sizes(conn: &Connect, checks: Checks, disks: &[DiskPlan], warnings: &mut Vec<String>) -> Result<()> {
    let mut wanted = Vec::new();
    for d in disks.iter().filter(|d| d.create) {
        let bytes = d.spec.size_gb.map(|gb| (gb * 1073741824.0) as u64);
        if let (Some(bytes), Some(free)) = (bytes, available(conn, &d.pool)?) {
            wanted.push((d.spec.path.display().to_string(), bytes, free));
        }
    }
    for (path, bytes, free) in wanted.into_iter().filter(|(_, b, f)| b > f) {
        let err = Error::invalid(format!(
            "--disk {}: the requested capacity will exceed the available pool space when the volume is fully allocated ({} M requested > {} M available)",
            quote(&path),
            bytes >> 20,
            free >> 20
        ));
        optional_fail(checks.disk_size, false, err, "disk_size", warnings)?;
    }
    Ok(())
}

/// The checks on the planned disks and NICs (once the disks are placed): the first failing
/// check that is on is its error; the others turned off give their warnings.
pub fn run(conn: &Connect, checks: Checks, disks: &[DiskPlan], nics: &[Nic]) -> Result<Vec<String>> {
    let domains = domains(conn)?;
    let mut warnings = Vec::new();
    check_paths(&domains, checks, disks, &mut warnings)?;
    check_macs(&domains, checks, nics, &mut warnings)?;
    check_sizes(conn, checks, disks, &mut warnings)?;
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values_as_virt_install_reads_them() {
        let c = parse_checks(&["path_in_use=off,mac_in_use=no".into()]).unwrap();
        assert!(!c.path_in_use && !c.mac_in_use && c.disk_size);
        let c = parse_checks(&["disk_size=off".into(), "all=on".into()]).unwrap();
        assert_eq!(c, Checks::default());
        let c = parse_checks(&["all=off".into()]).unwrap();
        assert!(!c.path_in_use && !c.disk_size && !c.mac_in_use);
        let err = parse_checks(&["disk_size=maybe".into()]).unwrap_err();
        assert_eq!(err.kind.exit_code(), 7);
        assert!(err.to_string().contains("disk_size"), "{err}");
        let err = parse_checks(&["bogus=off".into()]).unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
    }

    #[test]
    fn path_users_follow_shareable_and_readonly() {
        let dom = xml::parse(
            "<domain><name>a</name><os><kernel>/k</kernel></os><devices>\
             <disk><source file='/d.img'/><shareable/></disk>\
             <disk><source file='/iso'/><readonly/></disk></devices></domain>",
        )
        .unwrap();
        let all = [dom];
        assert_eq!(users_of(&all, "/d.img", false, false), ["a"]);
        assert!(users_of(&all, "/d.img", true, false).is_empty());
        assert!(users_of(&all, "/iso", false, true).is_empty());
        assert_eq!(users_of(&all, "/k", false, false), ["a"]);
        assert!(users_of(&all, "/k", false, true).is_empty());
        assert!(users_of(&all, "/other", false, false).is_empty());
    }
}
