//! A multipath route's nexthops as ip route reads them: `nexthop via A dev X weight N [onlink]
//! nexthop ...`, the end of the line (ip-route(8) NH). The `nexthop` keyword takes every word
//! after it (vnet_common::keywords), so its groups are read here, word by word as ip reads them.

use crate::route::NextHopSpec;
use std::net::IpAddr;
use vnet_common::error::quote;
use vnet_common::{Error, Result};

/// The nexthops of the words after the first `nexthop` (the later ones separate the groups).
pub fn parse(words: &[String], verb: &str) -> Result<Vec<NextHopSpec>> {
    if words.is_empty() {
        return Ok(vec![]);
    }
    words
        .split(|w| w == "nexthop")
        .map(|group| one(group, verb))
        .collect()
}

/// One group: `via [inet|inet6] ADDR`, `dev IF`, `weight 1..256`, `onlink`.
fn one(words: &[String], verb: &str) -> Result<NextHopSpec> {
    let mut hop = NextHopSpec {
        via: None,
        dev: None,
        weight: 1,
        onlink: false,
    };
    let mut words = words.iter().map(String::as_str);
    let bad = |what: &str| Error::invalid(format!("{verb}: nexthop: {what}"));
    while let Some(word) = words.next() {
        match word {
            "onlink" => hop.onlink = true,
            "via" | "dev" | "weight" => {
                let value = words
                    .next()
                    .ok_or_else(|| bad(&format!("{word} needs a value")))?;
                set(&mut hop, word, value, &mut words).map_err(|why| bad(&why))?;
            }
            other => {
                return Err(bad(&format!(
                    "unknown word {} (expected via, dev, weight or onlink)",
                    quote(other)
                )))
            }
        }
    }
    if hop.via.is_none() && hop.dev.is_none() {
        return Err(bad("give via ADDR or dev IF"));
    }
    Ok(hop)
}

/// Sets `word`'s value (`via` may name the family first, as ip allows: `via inet6 fe80::1`).
fn set<'a>(
    hop: &mut NextHopSpec,
    word: &str,
    mut value: &'a str,
    rest: &mut impl Iterator<Item = &'a str>,
) -> std::result::Result<(), String> {
    match word {
        "via" => {
            if matches!(value, "inet" | "inet6") {
                value = rest.next().ok_or("via needs an address")?;
            }
            let addr = value.parse::<IpAddr>();
            hop.via = Some(addr.map_err(|_| format!("invalid gateway {}", quote(value)))?);
        }
        "dev" => {
            super::ifname(value).map_err(|e| e.message)?;
            hop.dev = Some(value.to_string());
        }
        _ => {
            let weight = value.parse::<u16>().ok().filter(|w| (1..=256).contains(w));
            hop.weight = weight.ok_or_else(|| format!("invalid weight {}: a number 1..256", quote(value)))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hops(line: &str) -> Result<Vec<NextHopSpec>> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse(&words, "route add")
    }

    #[test]
    fn reads_ip_nexthops() {
        let h = hops("via 10.0.0.1 dev eth0 weight 1 nexthop via 10.0.1.1 dev eth1 weight 2 onlink").unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].via, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(
            (h[1].dev.as_deref(), h[1].weight, h[1].onlink),
            (Some("eth1"), 2, true)
        );
        assert_eq!(hops("dev eth0").unwrap()[0].weight, 1);
        assert_eq!(
            hops("via inet6 fe80::1 dev eth0").unwrap()[0].via,
            Some("fe80::1".parse().unwrap())
        );
        assert!(hops("").unwrap().is_empty());
        for (line, needle) in [
            ("via x", "invalid gateway 'x'"),
            ("via 10.0.0.1 weight 0", "invalid weight '0'"),
            ("via 10.0.0.1 weight 257", "invalid weight"),
            ("via 10.0.0.1 frob", "unknown word 'frob'"),
            ("weight 2", "give via ADDR or dev IF"),
            ("dev a/b", "invalid interface name"),
            ("via", "via needs a value"),
            ("via 10.0.0.1 nexthop", "give via ADDR or dev IF"),
        ] {
            let e = hops(line).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{line}");
            assert!(e.message.contains(needle), "{line}: {}", e.message);
        }
    }
}
