//! `forward del`: removes one forward and its rules; the last one takes vnet's chains, jumps
//! and hooks with it, so the ruleset is back to what it was before the first forward.

use super::check_local;
use crate::spec;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::libvirt::forwards::{parse_ipv4, parse_ports, Forward, Proto, State};
use vnet_common::libvirt::Session;
use vnet_common::verb::Render;
use vnet_common::{Error, Journal, Result, Verb};

/// Remove the forward of HOSTPORT (its first port, or the whole range as added) on a network.
///
/// Only vnet's own rules go: libvirt's, and anything else in the ruleset, stay as they are. A
/// forward that is not there is exit 3, or "changed": false with --missing-ok.
#[derive(Debug, clap::Args)]
pub struct Del {
    /// The network the forward goes to.
    pub network: String,
    /// tcp or udp.
    #[arg(long, value_name = "PROTO")]
    pub proto: String,
    /// The host port (or the range) of the forward.
    #[arg(long, value_name = "HOSTPORT[-HOSTPORT2]")]
    pub port: String,
    /// The host address of a forward added with --address (when several share the port).
    #[arg(long, value_name = "HOSTADDR")]
    pub address: Option<String>,
    /// Succeed ("changed": false) when there is no such forward.
    #[arg(long)]
    pub missing_ok: bool,
}

/// What del did: the forward removed (absent with --missing-ok when there was none).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Deleted {
    #[serde(flatten)]
    pub forward: Option<Forward>,
    /// True when a forward was removed.
    pub changed: bool,
}

impl Render for Deleted {}

impl Verb for Del {
    type Ctx = Session;
    type Output = Deleted;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Deleted> {
        spec::validate_name(&self.network)?;
        let proto = Proto::parse(&self.proto)?;
        let (first, last) = parse_ports(&self.port)?;
        let address = self
            .address
            .as_deref()
            .map(|a| parse_ipv4(a, "--address"))
            .transpose()?;
        check_local(ctx)?;
        let mut state = State::open()?;
        let chosen = |f: &Forward| {
            f.network == self.network
                && f.proto == proto
                && f.port == first
                && (first == last || f.port_end == last)
                && (address.is_none() || f.address == address)
        };
        let before = state.forwards.clone();
        let gone = state.remove(chosen)?;
        drop(state);
        let Some(forward) = gone.into_iter().next() else {
            if self.missing_ok {
                return Ok(Deleted {
                    forward: None,
                    changed: false,
                });
            }
            return Err(Error::not_found(format!(
                "no forward of {}/{} on network {}",
                proto.as_str(),
                self.port,
                self.network
            ))
            .with_hint("see vnet-net forward list"));
        };
        journal.record_fn(
            format!("delete forward {} on network {}", forward.key(), forward.network),
            move || State::open()?.set(before),
        )?;
        Ok(Deleted {
            forward: Some(forward),
            changed: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_has_one_changed_key_and_no_forward_with_missing_ok() {
        let none = serde_json::to_string(&Deleted {
            forward: None,
            changed: false,
        })
        .unwrap();
        assert_eq!(none, r#"{"changed":false}"#);
        let forward: Forward = serde_json::from_value(serde_json::json!({
            "network": "n", "proto": "tcp", "port": 80, "port_end": 80, "to_ip": "192.168.1.5",
            "to_port": 80, "to_port_end": 80, "address": null, "bridge": "virbr9",
            "bridge_ip": "192.168.1.1", "subnet": "192.168.1.0/24", "domain": null, "domain_uuid": null
        }))
        .unwrap();
        let some = serde_json::to_string(&Deleted {
            forward: Some(forward),
            changed: true,
        })
        .unwrap();
        assert_eq!(some.matches("\"changed\"").count(), 1, "{some}");
    }
}
