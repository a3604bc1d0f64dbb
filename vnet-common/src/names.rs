//! Name checks done before anything is touched. Interface names are never truncated.

use crate::{Error, Result};

/// Longest interface name the kernel takes (IFNAMSIZ - 1).
pub const IFNAME_MAX: usize = 15;
/// Longest namespace name (a file name under /run/netns).
pub const NETNS_NAME_MAX: usize = 255;

/// "invalid <what> name '<name>': <why>", exit code 7.
pub fn invalid_name(what: &str, name: &str, why: &str) -> Error {
    Error::invalid(format!("invalid {what} name '{name}': {why}"))
}

/// The checks every kind of name shares: not empty, at most `max` bytes, not `.` or `..`.
pub fn check_length_and_reserved(what: &str, name: &str, max: usize) -> Result<()> {
    if name.is_empty() {
        return Err(invalid_name(what, name, "empty"));
    }
    if name.len() > max {
        let why = format!(
            "{} bytes, longer than {max} (names are never truncated)",
            name.len()
        );
        return Err(invalid_name(what, name, &why));
    }
    if name == "." || name == ".." {
        return Err(invalid_name(what, name, "reserved name"));
    }
    Ok(())
}

/// Checks an interface name as the kernel's dev_valid_name() does, without truncating.
pub fn validate_ifname(name: &str) -> Result<()> {
    let bad = |why: &str| Err(invalid_name("interface", name, why));
    check_length_and_reserved("interface", name, IFNAME_MAX)?;
    if let Some(c) = name
        .chars()
        .find(|c| *c == '/' || *c == ':' || c.is_whitespace() || c.is_control())
    {
        return bad(&format!("contains {c:?}"));
    }
    // The kernel refuses these as device names: they would collide with the per-protocol
    // settings directories /proc/sys/net/ipv4/conf/all and .../default.
    if name == "all" || name == "default" {
        return bad("reserved by the kernel (/proc/sys/net/*/conf/all and default)");
    }
    Ok(())
}

/// Checks a namespace name: 1..255 bytes of `[A-Za-z0-9_.-]`, no leading `-`, not `.` or `..`.
/// Stricter than iproute2, so a name is always a safe single path component and shell word.
pub fn validate_netns_name(name: &str) -> Result<()> {
    let bad = |why: &str| Err(invalid_name("namespace", name, why));
    check_length_and_reserved("namespace", name, NETNS_NAME_MAX)?;
    if name.starts_with('-') {
        return bad("starts with '-'");
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.-".contains(*c)))
    {
        return bad(&format!("contains {c:?} (allowed: A-Z a-z 0-9 _ . -)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names() {
        for ok in ["vetha", "eth0", "a", "abcdefghijklmno", "br-lan.10"] {
            assert!(validate_ifname(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a:b",
            "a b",
            "abcdefghijklmnop",
            "tab\tx",
            "all",
            "default",
            "nl\n",
        ] {
            let e = validate_ifname(bad).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{bad}");
        }
        assert!(validate_ifname("abcdefghijklmnop")
            .unwrap_err()
            .message
            .contains("16 bytes"));
        assert!(validate_ifname("default")
            .unwrap_err()
            .message
            .contains("reserved by the kernel"));
        for ok in ["All", "defaults", "all0"] {
            assert!(validate_ifname(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn namespace_names() {
        for ok in ["Blue", "Yellow", "ns-1", "a.b_c", &"x".repeat(255)] {
            assert!(validate_netns_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "-x", "a/b", "../etc", "a b", "é", &"x".repeat(256)] {
            assert_eq!(validate_netns_name(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
    }
}
