//! The ip-style verb sets (`link`, `addr`, `route`, `rule`, `neigh`, `nexthop`, `netns`, `tuntap`, `qdisc`): each sub-action is a leaf
//! verb of its own (`route add`, `route show`), with one Args type whose fields clap parses, ip's
//! keywords among them (vnet_common::keywords: `via GW` is `--via GW`), one result type and one
//! schema. The work itself is done by the modules of the objects (route.rs, linkset.rs, ...).
//!
//! A keyword's value that does not parse is exit 7 (invalid input), as ip refuses it: the value
//! parsers here keep the messages the checks have always given.

pub mod addr;
pub mod addr_show;
pub mod link;
pub mod link_add;
pub mod link_options;
pub mod link_peer;
pub mod link_show;
pub mod maddr;
pub mod neigh;
pub mod netconf;
pub mod netns;
pub mod nexthop;
pub mod qdisc;
pub mod route;
pub mod route_filter;
pub mod route_get;
pub mod route_metrics;
pub mod route_nexthop;
pub mod rule;
pub mod rule_match;
pub mod tunnel;
pub mod tuntap;
pub mod vrf;

use vnet_common::names::{validate_ifname, validate_netns_name};

/// An interface name as a keyword's value (`dev IF`), checked as the kernel would take it.
pub fn ifname(text: &str) -> vnet_common::Result<String> {
    validate_ifname(text).map(|_| text.to_string())
}

/// A namespace name as a keyword's value (`netns NS`).
pub fn netns_name(text: &str) -> vnet_common::Result<String> {
    validate_netns_name(text).map(|_| text.to_string())
}

/// The help hint of a verb's usage error: `see 'vnet-ns route add --help'`.
pub fn usage(verb: &str, message: &str) -> vnet_common::Error {
    vnet_common::Error::new(vnet_common::ErrorKind::Usage, format!("{verb}: {message}"))
        .with_hint(format!("see 'vnet-ns {verb} --help'"))
}

#[cfg(test)]
pub(crate) mod test_parse {
    use crate::{NsTool, NsVerb};
    use vnet_common::cli::{parse, usage_error};

    /// A command line parsed as vnet-ns parses it; a refused one as the error it reports.
    pub fn parse_line(line: &str) -> Result<NsVerb, vnet_common::Error> {
        let words = std::iter::once("vnet-ns")
            .chain(line.split_whitespace())
            .map(String::from);
        parse::<NsTool>(words)
            .map(|cli| cli.verb.expect("a verb"))
            .map_err(|e| usage_error("vnet-ns", &e))
    }
}
