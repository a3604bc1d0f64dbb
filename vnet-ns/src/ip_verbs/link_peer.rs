//! The words after `peer` in `link add NAME type veth peer [name] PEER [netns NS] [address MAC]
//! [mtu N] [txqueuelen N]`: the other end's own link options, as ip reads them. `peer` takes the
//! rest of the line (ip gives every word after it to the peer); the words are parsed by clap
//! with the same keyword grammar as every ip-style verb, as a small command of their own.

use crate::linkadd::PeerSpec;
use clap::{CommandFactory, FromArgMatches};
use vnet_common::keywords::{self, HEADING};
use vnet_common::{Error, Result};

/// The peer's words.
#[derive(Debug, clap::Parser)]
#[group(skip)]
#[command(name = "peer", no_binary_name = false, disable_help_flag = true)]
struct PeerWords {
    /// The peer's name.
    #[arg(value_name = "PEER")]
    ifname: Option<String>,
    /// The peer's name.
    #[arg(long, value_name = "PEER", help_heading = HEADING)]
    name: Option<String>,
    /// Make the peer in this namespace.
    #[arg(long, value_name = "NS", value_parser = super::netns_name, help_heading = HEADING)]
    netns: Option<String>,
    /// The peer's MAC address (unicast).
    #[arg(long, visible_alias = "addr", value_name = "MAC", value_parser = vnet_common::mac::parse_unicast_mac, help_heading = HEADING)]
    address: Option<String>,
    /// The peer's MTU.
    #[arg(long, value_name = "N", help_heading = HEADING)]
    mtu: Option<u32>,
    /// The peer's transmit queue length.
    #[arg(long, visible_alias = "txqlen", value_name = "N", help_heading = HEADING)]
    txqueuelen: Option<u32>,
}

/// The peer of `link add ... type veth peer WORDS`: exit 7 naming what is wrong.
pub fn peer_spec(words: &[String]) -> Result<PeerSpec> {
    PEER_COMMAND.with_borrow_mut(|command| parse_peer(command.get_or_insert_with(PeerWords::command), words))
}

thread_local! {
    /// The peer words' command, built once: building it (clap's derive) was a tenth of a --batch
    /// veth line's instructions, paid on every line (clap's `try_get_matches_from_mut` leaves a
    /// command as it was, so one serves every line).
    static PEER_COMMAND: std::cell::RefCell<Option<clap::Command>> = const { std::cell::RefCell::new(None) };
}

fn parse_peer(command: &mut clap::Command, words: &[String]) -> Result<PeerSpec> {
    let line: Vec<String> = std::iter::once("peer".to_string())
        .chain(words.iter().cloned())
        .collect();
    let line = keywords::expand(command, line);
    let refused = |e: clap::Error| {
        let text = e.render().to_string();
        let first = text
            .lines()
            .next()
            .unwrap_or("invalid words")
            .trim_start_matches("error: ");
        Error::invalid(format!("link add type veth: peer: {first}"))
    };
    let mut matches = command.try_get_matches_from_mut(line).map_err(refused)?;
    let peer = PeerWords::from_arg_matches_mut(&mut matches).map_err(refused)?;
    if peer.ifname.is_some() && peer.name.is_some() {
        return Err(Error::invalid(
            "link add type veth: peer: the name is given twice",
        ));
    }
    let name = peer.ifname.or(peer.name).map(|n| super::ifname(&n)).transpose()?;
    Ok(PeerSpec {
        name,
        netns: peer.netns,
        address: peer.address,
        mtu: peer.mtu,
        txqueuelen: peer.txqueuelen,
    })
}

#[cfg(test)]
mod tests {
    use super::peer_spec;

    fn spec(line: &str) -> Result<crate::linkadd::PeerSpec, String> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        peer_spec(&words).map_err(|e| e.message)
    }

    #[test]
    fn reads_ips_peer_words() {
        let p = spec("name v2 netns Blue address 02:00:00:00:00:02 mtu 1400").unwrap();
        assert_eq!(p.name.as_deref(), Some("v2"));
        assert_eq!(p.netns.as_deref(), Some("Blue"));
        assert_eq!(p.mtu, Some(1400));
        assert_eq!(spec("v2").unwrap().name.as_deref(), Some("v2"));
        assert_eq!(spec("").unwrap().name, None);
        assert!(spec("name a b").unwrap_err().contains("peer"));
        assert!(spec("v2 name v3").unwrap_err().contains("twice"));
        assert!(spec("address 01:00:5e:00:00:01").is_err());
    }
}
