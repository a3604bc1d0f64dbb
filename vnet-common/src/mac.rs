//! MAC addresses as users write them (six hex pairs, `52:54:00:12:34:56`), one parser for every tool.

use crate::error::quote;
use crate::{Error, Result};

/// Parses six hex pairs separated by ':' into bytes; any other form is exit 7.
pub fn parse_mac(text: &str) -> Result<[u8; 6]> {
    let mut bytes = [0u8; 6];
    let parts: Vec<&str> = text.split(':').collect();
    let well_formed = parts.len() == 6
        && parts
            .iter()
            .zip(bytes.iter_mut())
            .all(|(part, byte)| part.len() == 2 && u8::from_str_radix(part, 16).map(|b| *byte = b).is_ok());
    if !well_formed {
        return Err(Error::invalid(format!(
            "invalid MAC address {}: expected six hex pairs like 52:54:00:12:34:56",
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
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
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
}
