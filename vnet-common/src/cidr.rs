//! Interface addresses in CIDR form, parsed by `ipnet` and checked before use.

use crate::{Error, Result};
use ipnet::IpNet;
use std::net::IpAddr;

/// Parses "192.168.100.1/24" (or a bare address, taken as /32 or /128 as `ip addr add` does).
/// The host part is kept: this is an interface address, not a network.
pub fn parse_cidr(text: &str) -> Result<IpNet> {
    let bad = |why: &str| Error::invalid(format!("invalid address '{text}': {why}"));
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net);
    }
    if let Ok(addr) = text.parse::<IpAddr>() {
        return Ok(IpNet::from(addr));
    }
    match text.split_once('/') {
        Some((addr, prefix)) => {
            let addr: IpAddr = addr.parse().map_err(|_| bad("not an IP address"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            match prefix.parse::<u8>() {
                Ok(_) => Err(bad(&format!("prefix longer than {max}"))),
                Err(_) => Err(bad("prefix is not a number")),
            }
        }
        None => Err(bad("not an IP address")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_interface_addresses() {
        let net = parse_cidr("192.168.100.1/24").unwrap();
        assert_eq!(net.to_string(), "192.168.100.1/24");
        assert_eq!(net.prefix_len(), 24);
        assert_eq!(parse_cidr("10.0.0.1").unwrap().to_string(), "10.0.0.1/32");
        assert_eq!(parse_cidr("fd00::1/64").unwrap().to_string(), "fd00::1/64");
    }

    #[test]
    fn rejects_bad_input_with_reason() {
        for (bad, why) in [
            ("192.168.100.1/33", "prefix longer than 32"),
            ("fd00::1/129", "prefix longer than 128"),
            ("192.168.100/24", "not an IP address"),
            ("300.1.1.1/24", "not an IP address"),
            ("10.0.0.1/x", "prefix is not a number"),
            ("", "not an IP address"),
        ] {
            let e = parse_cidr(bad).unwrap_err();
            assert_eq!(e.exit_code(), 7);
            assert!(e.message.contains(why), "{bad}: {}", e.message);
        }
    }
}
