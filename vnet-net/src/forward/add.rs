//! `forward add`: checks everything first (input, network, guest address, host port taken by a
//! forward or a listening process), then records the forward and makes the firewall match.

use super::target::{check_guest_ip, check_host_address, nat_network, NatNetwork};
use super::{check_local, domain, listeners, Forwarded};
use crate::spec;
use std::net::Ipv4Addr;
use vnet_common::error::quote;
use vnet_common::libvirt::forwards::{parse_ipv4, parse_ports, Forward, Proto, State};
use vnet_common::libvirt::Session;
use vnet_common::{tags, Error, Journal, Result, Verb};

/// Forward host port(s) to a guest on a NAT network: new connections to HOSTPORT on the host's
/// addresses (every address except the network's own bridge address and loopback, or only
/// --address) go to the guest, from other machines and namespaces, from the host itself, and
/// from other guests on the network (hairpin).
///
/// --to IP[:PORT] names the guest's address (inside NET's subnet; PORT defaults to HOSTPORT, a
/// range keeps its offsets). --to-domain VM[:PORT] takes the domain's address on NET from its
/// DHCP lease or reservation (exit 3 when it has neither); --reserve pins the lease as a DHCP host
/// reservation first, so the forward survives the guest's reboots, and the forward is removed
/// when the domain is undefined through vnet-vm.
///
/// Refused before anything changes: a host port already forwarded or listened on by a host
/// process (exit 4, naming it), an address outside the subnet, a network of a mode without NAT
/// (exit 7), a network that is missing or not running (exit 3), bad ports or protocols (exit 7).
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["to", "to_domain"]))]
pub struct Add {
    /// The NAT network the guest is on.
    pub network: String,
    /// tcp or udp.
    #[arg(long, value_name = "PROTO")]
    pub proto: String,
    /// The host port, or a range FIRST-LAST (1..65535).
    #[arg(long, value_name = "HOSTPORT[-HOSTPORT2]")]
    pub port: String,
    /// The guest's address, with its port when it differs from the host's.
    #[arg(long, value_name = "IP[:PORT]")]
    pub to: Option<String>,
    /// The guest as a libvirt domain (name, ID or UUID): its address on NET from its DHCP lease.
    #[arg(long, value_name = "VM[:PORT]")]
    pub to_domain: Option<String>,
    /// With --to-domain: pin the domain's current lease as a DHCP host reservation first.
    #[arg(long, requires = "to_domain")]
    pub reserve: bool,
    /// Forward only connections to this host address.
    #[arg(long, value_name = "HOSTADDR")]
    pub address: Option<String>,
    /// Tag the forward (prune --tag LABEL removes it).
    #[arg(long, value_name = "LABEL")]
    pub tag: Option<String>,
    /// Succeed ("changed": false) when the same forward already exists.
    #[arg(long)]
    pub exist_ok: bool,
}

/// The input, checked before anything is asked of libvirt.
struct Request {
    proto: Proto,
    ports: (u16, u16),
    to_ip: Option<Ipv4Addr>,
    to_port: Option<u16>,
    address: Option<Ipv4Addr>,
}

impl Add {
    fn request(&self) -> Result<Request> {
        spec::validate_name(&self.network)?;
        tags::check(self.tag.as_deref())?;
        let proto = Proto::parse(&self.proto)?;
        let ports = parse_ports(&self.port)?;
        let (to_ip, to_port) = match (&self.to, &self.to_domain) {
            (Some(to), _) => {
                let (ip, port) = split_port(to, "--to")?;
                // Not an address before the ':': say what the whole text is (a MAC has ':'s).
                let ip = ip.parse::<Ipv4Addr>().or_else(|_| parse_ipv4(to, "--to"))?;
                (Some(ip), port)
            }
            (None, Some(domain)) => (None, split_port(domain, "--to-domain")?.1),
            (None, None) => return Err(Error::invalid("give --to IP[:PORT] or --to-domain VM[:PORT]")),
        };
        if let Some(first) = to_port {
            if u32::from(first) + u32::from(ports.1 - ports.0) > 65535 {
                return Err(Error::invalid(format!("guest ports from {first} run past 65535")));
            }
        }
        let address = self
            .address
            .as_deref()
            .map(|a| parse_ipv4(a, "--address"))
            .transpose()?;
        Ok(Request {
            proto,
            ports,
            to_ip,
            to_port,
            address,
        })
    }

    fn forward(
        &self,
        req: &Request,
        nat: &NatNetwork,
        to_ip: Ipv4Addr,
        guest: Option<&domain::Guest>,
    ) -> Forward {
        let (port, port_end) = req.ports;
        let to_port = req.to_port.unwrap_or(port);
        Forward {
            network: nat.name.clone(),
            proto: req.proto,
            port,
            port_end,
            to_ip,
            to_port,
            to_port_end: to_port + (port_end - port),
            address: req.address,
            bridge: nat.bridge.clone(),
            bridge_ip: nat.bridge_ip,
            subnet: nat.subnet.trunc().to_string(),
            domain: guest.map(|g| g.name.clone()),
            domain_uuid: guest.map(|g| g.uuid.clone()),
            tag: self.tag.clone(),
        }
    }
}

/// "HOST:PORT" or "HOST": the port only when the text after the last ':' is a number (a domain
/// name may hold ':'); a bad port is exit 7.
fn split_port<'a>(text: &'a str, what: &str) -> Result<(&'a str, Option<u16>)> {
    match text.rsplit_once(':') {
        Some((head, port))
            if !head.is_empty() && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            let (first, _) = parse_ports(port).map_err(|e| e.context(what))?;
            Ok((head, Some(first)))
        }
        _ => Ok((text, None)),
    }
}

impl Verb for Add {
    type Ctx = Session;
    type Output = Forwarded;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Forwarded> {
        let req = self.request()?;
        check_local(ctx)?;
        let conn = ctx.conn()?;
        vnet_common::libvirt::forwards::check_local_uri(&conn.get_uri().unwrap_or_default())?;
        let nat = nat_network(conn, &self.network)?;
        if let Some(address) = req.address {
            check_host_address(address, &nat)?;
        }
        if let Some(ip) = req.to_ip {
            check_guest_ip(ip, &nat)?;
        }
        let mut state = State::open()?;
        // Host ports first: a --reserve must not be made for a forward refused afterwards.
        let probe = self.forward(&req, &nat, req.to_ip.unwrap_or(nat.bridge_ip), None);
        if let Some(same) = existing(&state, &probe, req.to_ip.is_none())? {
            if !self.exist_ok {
                return Err(taken(&same));
            }
            let changed = self.same_guest(conn, &nat, &same, journal)?;
            return Ok(Forwarded {
                forward: same,
                changed,
            });
        }
        if let Some(listener) = listeners::taken(&probe) {
            return Err(
                Error::exists(format!("host port {}: {listener}", probe.key())).with_hint(
                    "stop it, or forward another host port (or one --address it does not listen on)",
                ),
            );
        }
        let guest = match &self.to_domain {
            Some(spec) => Some(domain::resolve(
                conn,
                split_port(spec, "--to-domain")?.0,
                &nat,
                self.reserve,
                journal,
            )?),
            None => None,
        };
        let to_ip = guest.as_ref().map_or(probe.to_ip, |g| g.ip);
        check_guest_ip(to_ip, &nat)?;
        let forward = self.forward(&req, &nat, to_ip, guest.as_ref());
        let before = state.forwards.clone();
        let mut after = before.clone();
        after.push(forward.clone());
        state.set(after)?;
        drop(state);
        journal.record_fn(
            format!("add forward {} on network {}", forward.key(), forward.network),
            move || State::open()?.set(before),
        )?;
        Ok(Forwarded {
            forward,
            changed: true,
        })
    }
}

impl Add {
    /// --exist-ok over a forward to a domain: it must go to the domain's address now (exit 4
    /// naming both addresses otherwise); --reserve then still makes the reservation (the one
    /// change: returns true).
    fn same_guest(
        &self,
        conn: &virt::connect::Connect,
        nat: &NatNetwork,
        same: &Forward,
        journal: &mut Journal,
    ) -> Result<bool> {
        let Some(spec) = &self.to_domain else {
            return Ok(false);
        };
        let reserved = |ip: Ipv4Addr| {
            nat.summary
                .dhcp_hosts
                .iter()
                .any(|h| h.ip.as_deref() == Some(ip.to_string().as_str()))
        };
        let guest = domain::resolve(
            conn,
            split_port(spec, "--to-domain")?.0,
            nat,
            self.reserve,
            journal,
        )?;
        if guest.ip != same.to_ip {
            return Err(Error::exists(format!(
                "host port {} is forwarded to {}, but domain {} is at {} now",
                same.key(),
                same.to_ip,
                guest.name,
                guest.ip
            ))
            .with_hint("forward del it first to forward it to the domain's address"));
        }
        Ok(self.reserve && !reserved(guest.ip))
    }
}

/// A forward taking the same host port: Some(it) when it is exactly this one (for --exist-ok:
/// the guest address is compared unless it comes from a domain), an error otherwise.
fn existing(state: &State, probe: &Forward, to_domain: bool) -> Result<Option<Forward>> {
    let Some(other) = state.forwards.iter().find(|f| f.collides(probe)) else {
        return Ok(None);
    };
    let same = other.network == probe.network
        && other.proto == probe.proto
        && (other.port, other.port_end, other.to_port, other.address)
            == (probe.port, probe.port_end, probe.to_port, probe.address)
        && (to_domain || other.to_ip == probe.to_ip);
    if same {
        Ok(Some(other.clone()))
    } else {
        Err(taken(other))
    }
}

fn taken(other: &Forward) -> Error {
    Error::exists(format!(
        "host port {} is already forwarded to {}:{} on network {}",
        other.key(),
        other.to_ip,
        other.to_port,
        quote(&other.network)
    ))
    .with_hint(format!(
        "remove it first: vnet-net forward del {} --proto {} --port {}",
        other.network,
        other.proto.as_str(),
        other.port
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(port: &str, to: &str) -> Add {
        Add {
            network: "default".into(),
            proto: "tcp".into(),
            port: port.into(),
            to: Some(to.into()),
            to_domain: None,
            reserve: false,
            address: None,
            tag: None,
            exist_ok: false,
        }
    }

    #[test]
    fn bad_input_is_exit_7_before_libvirt_is_asked() {
        let mut down = Session::new(
            &vnet_common::libvirt::ConnectArgs {
                connect: Some("qemu+unix:///system?socket=/nonexistent/sock".into()),
                ..Default::default()
            },
            false,
        );
        for (port, to) in [
            ("0", "192.168.122.5"),
            ("65536", "192.168.122.5"),
            ("90-80", "192.168.122.5"),
            ("80", "52:54:00:aa:bb:cc"),
            ("80", "52:54:00:12:34:56"),
            ("80", "web1"),
            ("80", "192.168.122.5:0"),
            ("65530-65535", "192.168.122.5:65534"),
        ] {
            let e = add(port, to).run(&mut down, &mut Journal::new()).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{port} {to}: {e:?}");
        }
        let mut udp = add("80", "192.168.122.5");
        udp.proto = "icmp".into();
        assert_eq!(
            udp.run(&mut down, &mut Journal::new()).unwrap_err().exit_code(),
            7
        );
        assert_eq!(split_port("vm:with:colon", "x").unwrap(), ("vm:with:colon", None));
        assert_eq!(split_port("vm:8080", "x").unwrap(), ("vm", Some(8080)));
    }
}
