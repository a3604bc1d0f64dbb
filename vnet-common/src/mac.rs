//! MAC addresses as users write them, one parser for every tool. The spellings are ip's
//! (iproute2's ll_addr_a2n reads each ':'-separated group with sscanf("%x") and takes 0..255):
//! six groups of one or more hex digits, either case, any number of leading zeros, an optional
//! `0x` prefix (`2:42:AC:11:001:37`, `0x02:42:ac:11:00:37`). Refused, as ip refuses them: an empty
//! group, a group over ff, another separator, fewer than six groups (the kernel's EINVAL). Refused
//! where ip would read something other than what was written (a deliberate difference, since vnet
//! checks every input before acting): trailing characters in a group (ip reads `5g` as 05 and
//! ` 5` as 05), a sign, and more than six groups (the kernel keeps the first six).

use crate::error::quote;
use crate::{Error, Result};

/// One group's value: `[0x]HEX+` at most 0xff, leading zeros allowed.
fn parse_group(group: &str) -> Option<u8> {
    let digits = group
        .strip_prefix("0x")
        .or_else(|| group.strip_prefix("0X"))
        .unwrap_or(group);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 2 {
        return None;
    }
    Some(u8::from_str_radix(significant, 16).unwrap_or(0))
}

/// Parses six ':'-separated hex groups into bytes, as ip reads them; any other form is exit 7.
pub fn parse_mac(text: &str) -> Result<[u8; 6]> {
    let mut bytes = [0u8; 6];
    let parts: Vec<&str> = text.split(':').collect();
    let well_formed = parts.len() == 6
        && parts
            .iter()
            .zip(bytes.iter_mut())
            .all(|(part, byte)| parse_group(part).map(|b| *byte = b).is_some());
    if !well_formed {
        return Err(Error::invalid(format!(
            "invalid MAC address {}: expected six ':'-separated hex groups of 00..ff like 52:54:00:12:34:56",
            quote(text)
        )));
    }
    Ok(bytes)
}

/// A MAC an interface can have: well formed, not multicast (nor broadcast), not all zeros.
/// Returned in libvirt's and the kernel's spelling (lower case).
pub fn parse_unicast_mac(text: &str) -> Result<String> {
    let bytes = parse_mac(text)?;
    if bytes[0] & 1 == 1 {
        return Err(Error::invalid(format!(
            "invalid MAC address {}: a multicast address cannot be an interface's",
            quote(text)
        )));
    }
    if bytes == [0; 6] {
        return Err(Error::invalid(format!(
            "invalid MAC address {}: all zeros",
            quote(text)
        )));
    }
    Ok(format_mac(&bytes))
}

/// Lower-case colon-separated hex, as `ip` prints a MAC.
pub fn format_mac(bytes: &[u8]) -> String {
    // By hand into one string: a format! per byte and a join were most of a --batch `link add`
    // record's formatting (every record and every listed link has a MAC).
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            text.push(':');
        }
        text.push(HEX[usize::from(b >> 4)] as char);
        text.push(HEX[usize::from(b & 15)] as char);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_unicast() {
        assert_eq!(
            parse_unicast_mac("02:42:AC:11:00:02").unwrap(),
            "02:42:ac:11:00:02"
        );
        assert_eq!(parse_mac("01:00:5e:00:00:01").unwrap()[0], 1);
        for bad in ["01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00"] {
            assert_eq!(parse_unicast_mac(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
        for bad in [
            "",
            "52:54:00:12:34",
            "52-54-00-12-34-56",
            "52:54:00:12:34:5g",
            "525:4:00:12:34:56",
        ] {
            assert_eq!(parse_mac(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
    }

    /// Each spelling ip accepts, read to the bytes ip sends.
    #[test]
    fn reads_the_spellings_ip_accepts() {
        let cases = [
            ("02:42:ac:11:00:37", "02:42:ac:11:00:37"),
            ("02:42:AC:11:00:37", "02:42:ac:11:00:37"),
            ("2:42:ac:11:0:37", "02:42:ac:11:00:37"),
            ("02:42:ac:11:001:37", "02:42:ac:11:01:37"),
            ("0002:042:ac:11:0000:37", "02:42:ac:11:00:37"),
            ("0x02:0X42:ac:11:0x0:37", "02:42:ac:11:00:37"),
            ("a:b:c:d:e:f", "0a:0b:0c:0d:0e:0f"),
            ("00ff:1:2:3:4:5", "ff:01:02:03:04:05"),
        ];
        for (text, expected) in cases {
            assert_eq!(format_mac(&parse_mac(text).unwrap()), expected, "{text}");
        }
    }

    /// Each spelling ip refuses (or would read as something other than what was written).
    #[test]
    fn refuses_the_spellings_ip_refuses() {
        for bad in [
            "52::00:12:34:56",
            "100:54:00:12:34:56",
            "52:54:00:12:34",
            "1:2:3:4:5:6:7",
            "52:54:00:12:34:5g",
            "52:54:00:12:34: 5",
            "52:54:00:12:34:-1",
            "52:54:00:12:34:+5",
            "0x:54:00:12:34:56",
            "52.54.00.12.34.56",
            "52-54-00-12-34-56",
        ] {
            assert_eq!(parse_mac(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
    }
}
