//! The values bridge(8) and `ip link ... type vxlan` take (VLAN ids, VNIs, UDP ports, addresses),
//! each checked the one way every verb checks it: a value out of range or that does not parse is
//! exit 7, its message naming the value and the range.

use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::{Error, Result};

/// A VLAN id as bridge(8) takes it: 1..4094 (0 and 4095 are reserved by 802.1Q); exit 7 otherwise.
pub fn parse_vid(text: &str) -> Result<u16> {
    let vid: u32 = text.parse().map_err(|_| {
        Error::invalid(format!(
            "invalid VLAN id {}: expected a number 1..4094",
            quote(text)
        ))
    })?;
    match vid {
        0 | 4095 => Err(Error::invalid(format!(
            "VLAN id {vid} is reserved by 802.1Q: use 1..4094"
        ))),
        1..=4094 => Ok(vid as u16),
        _ => Err(Error::invalid(format!("VLAN id {vid} out of range: use 1..4094"))),
    }
}

/// A VNI: 1..16777215 (24 bits; 0 is refused as most VTEPs reserve it); exit 7 otherwise.
pub fn parse_vni(text: &str) -> Result<u32> {
    let vni: u64 = text.trim().parse().map_err(|_| {
        Error::invalid(format!(
            "invalid VNI {}: expected a number 1..16777215",
            quote(text)
        ))
    })?;
    match vni {
        1..=16_777_215 => Ok(vni as u32),
        _ => Err(Error::invalid(format!("VNI {vni} out of range: use 1..16777215"))),
    }
}

/// An IP address; exit 7 naming the flag otherwise.
pub fn parse_ip(flag: &str, text: &str) -> Result<IpAddr> {
    text.parse().map_err(|_| {
        Error::invalid(format!(
            "invalid {flag} address {}: expected an IPv4 or IPv6 address",
            quote(text)
        ))
    })
}

/// A UDP port 1..65535; exit 7 otherwise.
pub fn parse_port(text: &str) -> Result<u16> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(Error::invalid(format!(
            "invalid UDP port {}: expected 1..65535",
            quote(text)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vlan_ids_zero_and_4095_are_refused() {
        assert_eq!(parse_vid("10").unwrap(), 10);
        assert_eq!(parse_vid("1").unwrap(), 1);
        assert_eq!(parse_vid("4094").unwrap(), 4094);
        for bad in ["0", "4095", "4096", "-1", "ten", ""] {
            assert_eq!(parse_vid(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
        assert!(parse_vid("4095").unwrap_err().message.contains("reserved"));
    }

    #[test]
    fn vni_range() {
        assert_eq!(parse_vni("1").unwrap(), 1);
        assert_eq!(parse_vni("16777215").unwrap(), 16_777_215);
        for bad in ["0", "16777216", "-1", "x", "", "4294967296"] {
            assert_eq!(parse_vni(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
    }

    #[test]
    fn ports_and_addresses() {
        assert_eq!(parse_port("4789").unwrap(), 4789);
        for bad in ["0", "65536", "x"] {
            assert_eq!(parse_port(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
        assert!(parse_ip("dst", "2001:db8::1").unwrap().is_ipv6());
        let e = parse_ip("dst", "10.0.0.300").unwrap_err();
        assert_eq!(e.exit_code(), 7);
        assert!(e.message.contains("invalid dst address '10.0.0.300'"), "{e}");
    }
}
