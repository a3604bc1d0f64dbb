//! Host ports forwarded to guests on libvirt NAT networks (`vnet-net forward`), and their removal
//! when a domain is undefined (vnet-vm undefine, prune) or a tag is pruned.
//!
//! Where the state lives, and why:
//! - The list of forwards is one JSON file, [`STATE_FILE`], beside libvirt's own network state
//!   (it is lost with libvirt's state, never kept for a host whose libvirt was reset). It is the
//!   truth: the firewall rules are generated from it, so whatever removes them (a firewall reload,
//!   a flush) is repaired by applying the file again (`vnet-net forward apply`).
//! - The rules are iptables rules in chains of vnet's own (VNET_FWD_*) in the same `nat` and
//!   `filter` tables libvirt 9.0 writes with iptables-nft, jumped to from the first position of
//!   the builtin chains: only there can an accept pass before libvirt's LIBVIRT_FWI reject (an
//!   accept in a table of one's own cannot override a reject of another base chain). They are
//!   written in one iptables-restore transaction (see [`rules`]).
//! - Hook scripts under /etc/libvirt/hooks (daemon.d and network.d) apply the file again when
//!   libvirt may have put its jumps above vnet's: when libvirtd starts (it recreates missing
//!   chains with their jumps first) and when a network has started.

mod hooks;
mod rules;

use crate::error::quote;
use crate::{Error, ErrorKind, Result};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::path::Path;

pub use hooks::{hook_paths, settle};
pub use rules::{present, Ruleset};

/// The list of forwards (see the module comment for why here).
pub const STATE_FILE: &str = "/var/lib/libvirt/vnet/forwards.json";
const LOCK_FILE: &str = "/var/lib/libvirt/vnet/forwards.lock";

/// tcp or udp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    /// Reads "tcp" or "udp" (exit 7 for anything else).
    pub fn parse(text: &str) -> Result<Proto> {
        match text {
            "tcp" => Ok(Proto::Tcp),
            "udp" => Ok(Proto::Udp),
            _ => Err(Error::invalid(format!(
                "unknown protocol {}: expected tcp or udp",
                quote(text)
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// One host port (or range of ports) forwarded to a guest's address on a NAT network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Forward {
    /// The libvirt network the guest is on.
    pub network: String,
    pub proto: Proto,
    /// The first host port forwarded.
    pub port: u16,
    /// The last host port forwarded (equal to port for one port).
    pub port_end: u16,
    /// The guest's address the ports go to.
    pub to_ip: Ipv4Addr,
    /// The guest port the first host port goes to (the others follow in order).
    pub to_port: u16,
    /// The guest port the last host port goes to.
    pub to_port_end: u16,
    /// The one host address forwarded (--address); null: every address of the host except the
    /// network's own bridge address and loopback.
    pub address: Option<Ipv4Addr>,
    /// The network's bridge (the rules name it; kept so hooks apply them without asking libvirt).
    pub bridge: String,
    /// The host's address on the bridge, never forwarded (so guests keep reaching the host's own
    /// services there, dnsmasq's DNS among them).
    pub bridge_ip: Ipv4Addr,
    /// The network's IPv4 subnet, as "192.168.122.0/24" (hairpin: guests reaching the forward).
    pub subnet: String,
    /// The domain the forward was made for (--to-domain): removed with it by vnet-vm undefine.
    pub domain: Option<String>,
    /// That domain's UUID.
    pub domain_uuid: Option<String>,
    /// The forward's tag (prune --tag removes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

impl Forward {
    /// "tcp/8080" or "tcp/8000-8010", with "@ADDRESS" when limited to one address: how rules,
    /// errors and the journal name a forward.
    pub fn key(&self) -> String {
        let mut key = format!("{}/{}", self.proto.as_str(), ports_text(self.port, self.port_end));
        if let Some(address) = self.address {
            key.push_str(&format!("@{address}"));
        }
        key
    }

    /// True when both forwards would take the same host port of the same protocol (an address of
    /// one and every address of the other overlap).
    pub fn collides(&self, other: &Forward) -> bool {
        self.proto == other.proto
            && self.port <= other.port_end
            && other.port <= self.port_end
            && (self.address.is_none() || other.address.is_none() || self.address == other.address)
    }
}

/// "8080" or "8000-8010".
pub fn ports_text(first: u16, last: u16) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first}-{last}")
    }
}

/// Reads "PORT" or "FIRST-LAST" (1..65535, FIRST <= LAST); exit 7 otherwise.
pub fn parse_ports(text: &str) -> Result<(u16, u16)> {
    let one = |part: &str| -> Result<u16> {
        match part.parse::<u32>() {
            Ok(n @ 1..=65535) => Ok(n as u16),
            Ok(n) => Err(Error::invalid(format!("port {n} out of range 1..65535"))),
            Err(_) => Err(Error::invalid(format!("invalid port {}", quote(text)))),
        }
    };
    let (first, last) = match text.split_once('-') {
        Some((a, b)) => (one(a)?, one(b)?),
        None => (one(text)?, one(text)?),
    };
    if first > last {
        return Err(Error::invalid(format!(
            "port range {} runs the wrong way round (write {last}-{first})",
            quote(text)
        )));
    }
    Ok((first, last))
}

/// Reads an IPv4 address given where one belongs (--to, --address), saying what was given
/// instead when it is a MAC address or a name (exit 7).
pub fn parse_ipv4(text: &str, what: &str) -> Result<Ipv4Addr> {
    if let Ok(ip) = text.parse::<Ipv4Addr>() {
        return Ok(ip);
    }
    let looks = if crate::mac::parse_mac(text).is_ok() {
        "a MAC address"
    } else if text.parse::<std::net::Ipv6Addr>().is_ok() {
        "an IPv6 address (libvirt NATs IPv4 only)"
    } else {
        "not an IPv4 address"
    };
    Err(
        Error::invalid(format!("{what} {}: {looks}", quote(text))).with_hint(format!(
            "{what} takes the guest's IPv4 address, e.g. 192.168.122.50"
        )),
    )
}

/// The forwards in [`STATE_FILE`], held under its lock until dropped (so two vnet-net processes,
/// or a hook and a verb, never interleave their read-change-write-apply).
pub struct State {
    pub forwards: Vec<Forward>,
    _lock: File,
}

#[derive(Serialize, Deserialize, Default)]
struct StateFile {
    forwards: Vec<Forward>,
}

impl State {
    /// Locks and reads the state (no file yet: no forwards).
    pub fn open() -> Result<State> {
        let dir = Path::new(STATE_FILE).parent().expect("a directory");
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::from(e).context(format!("create {}", dir.display())))?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(LOCK_FILE)
            .map_err(|e| Error::from(e).context(format!("open {LOCK_FILE}")))?;
        // SAFETY: flock on a descriptor this function owns; released when the file closes.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
            let e = std::io::Error::last_os_error();
            return Err(Error::from(e).context(format!("lock {LOCK_FILE}")));
        }
        Ok(State {
            forwards: read_all()?,
            _lock: lock,
        })
    }

    /// Makes `forwards` the state: the file replaced at once, then the firewall made to match.
    /// All or nothing: when the firewall refuses, the previous list and its rules are put back.
    pub fn set(&mut self, forwards: Vec<Forward>) -> Result<()> {
        let before = std::mem::replace(&mut self.forwards, forwards);
        let done = self.save().and_then(|()| {
            rules::apply_change(&before, &self.forwards)?;
            hooks::install(!self.forwards.is_empty())
        });
        if done.is_err() {
            self.forwards = before;
            // Best effort: the error reported is the first one.
            let _ = self.save().and_then(|()| apply(&self.forwards));
        }
        done
    }

    fn save(&self) -> Result<()> {
        let file = StateFile {
            forwards: self.forwards.clone(),
        };
        let text = serde_json::to_string_pretty(&file).expect("forwards serialize") + "\n";
        let tmp = format!("{STATE_FILE}.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, STATE_FILE))
            .map_err(|e| Error::from(e).context(format!("write {STATE_FILE}")))
    }

    /// Removes the forwards `doomed` picks (all or nothing), and gives them back (none: nothing written).
    pub fn remove(&mut self, doomed: impl Fn(&Forward) -> bool) -> Result<Vec<Forward>> {
        let (gone, kept): (Vec<Forward>, Vec<Forward>) =
            self.forwards.iter().cloned().partition(|f| doomed(f));
        if !gone.is_empty() {
            self.set(kept)?;
        }
        Ok(gone)
    }
}

/// Makes the firewall match `forwards` (see [`rules`]) and installs the hooks that keep it so
/// (removes them with the last forward). True when the ruleset had to change.
pub fn apply(forwards: &[Forward]) -> Result<bool> {
    let changed = rules::apply(forwards)?;
    hooks::install(!forwards.is_empty())?;
    Ok(changed)
}

/// The forwards, read without taking the lock (listings, doctor); no file: none.
pub fn read_all() -> Result<Vec<Forward>> {
    match std::fs::read_to_string(STATE_FILE) {
        Ok(text) => Ok(serde_json::from_str::<StateFile>(&text)
            .map_err(|e| Error::failed(format!("read {STATE_FILE}: {e}")))?
            .forwards),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::from(e).context(format!("read {STATE_FILE}"))),
    }
}

/// vnet-vm undefine and prune: removes the forwards made for the domain `name` (or its `uuid`)
/// with `--to-domain`, and gives them back. No state file: nothing to do (never an error, so a
/// host that never used forwards pays one stat).
pub fn remove_for_domain(name: &str, uuid: Option<&str>) -> Result<Vec<Forward>> {
    if !Path::new(STATE_FILE).exists() {
        return Ok(Vec::new());
    }
    let mut state = State::open()?;
    state
        .remove(|f| {
            f.domain.as_deref() == Some(name)
                || uuid.is_some_and(|u| {
                    f.domain_uuid
                        .as_deref()
                        .is_some_and(|d| d.eq_ignore_ascii_case(u))
                })
        })
        .map_err(|e| e.context(format!("remove the forwards of domain {}", quote(name))))
}

/// vnet-vm undefine and prune, after `dom` was undefined over `conn`: removes its forwards when
/// `conn` is this machine's libvirt (forwards live in this machine's firewall).
pub fn domain_undefined(conn: &virt::connect::Connect, dom: &virt::domain::Domain) -> Result<()> {
    let local = conn.get_uri().is_ok_and(|uri| check_local_uri(&uri).is_ok());
    if !local || !Path::new(STATE_FILE).exists() {
        return Ok(());
    }
    let name = dom.get_name().map_err(super::error)?;
    remove_for_domain(&name, dom.get_uuid_string().ok().as_deref()).map(drop)
}

/// prune --tag: removes the forwards tagged `label` (with `dry_run`, only says which).
pub fn remove_tagged(label: &str, dry_run: bool) -> Result<Vec<Forward>> {
    if !Path::new(STATE_FILE).exists() {
        return Ok(Vec::new());
    }
    let mut state = State::open()?;
    let tagged = |f: &Forward| f.tag.as_deref() == Some(label);
    if dry_run {
        return Ok(state.forwards.iter().filter(|f| tagged(f)).cloned().collect());
    }
    state.remove(tagged)
}

/// Refuses forwards where the firewall is not this machine's: a remote libvirt host's (its
/// iptables are out of reach) or the in-process test driver's (its networks have no bridge).
pub fn check_local_uri(uri: &str) -> Result<()> {
    if uri.starts_with("test:") || !super::is_local_uri(uri) {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!(
                "forwards act on this machine's firewall; {} is not this machine's libvirt",
                quote(uri)
            ),
        )
        .with_hint("run vnet-net forward on the libvirt host itself"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn forward(port: u16, port_end: u16, address: Option<&str>) -> Forward {
        Forward {
            network: "fx".into(),
            proto: Proto::Tcp,
            port,
            port_end,
            to_ip: "192.168.150.50".parse().unwrap(),
            to_port: port,
            to_port_end: port_end,
            address: address.map(|a| a.parse().unwrap()),
            bridge: "vfx0".into(),
            bridge_ip: "192.168.150.1".parse().unwrap(),
            subnet: "192.168.150.0/24".into(),
            domain: None,
            domain_uuid: None,
            tag: None,
        }
    }

    #[test]
    fn ports_are_checked_as_the_issue_says() {
        assert_eq!(parse_ports("8080").unwrap(), (8080, 8080));
        assert_eq!(parse_ports("8000-8010").unwrap(), (8000, 8010));
        for bad in ["0", "65536", "99999999999", "10-5", "", "a", "1-", "-1", "80 "] {
            assert_eq!(parse_ports(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
        assert_eq!(Proto::parse("sctp").unwrap_err().exit_code(), 7);
        let mac = parse_ipv4("52:54:00:aa:bb:cc", "--to").unwrap_err();
        assert!(mac.message.contains("a MAC address"), "{}", mac.message);
        assert_eq!(parse_ipv4("web1", "--to").unwrap_err().exit_code(), 7);
    }

    #[test]
    fn collisions_need_the_same_protocol_overlapping_ports_and_addresses() {
        let all = forward(8000, 8010, None);
        assert!(all.collides(&forward(8010, 8010, Some("10.0.0.1"))));
        assert!(!all.collides(&forward(8011, 8020, None)));
        let one = forward(80, 80, Some("10.0.0.1"));
        assert!(!one.collides(&forward(80, 80, Some("10.0.0.2"))));
        let mut udp = forward(8000, 8000, None);
        udp.proto = Proto::Udp;
        assert!(!all.collides(&udp));
        assert_eq!(all.key(), "tcp/8000-8010");
        assert_eq!(one.key(), "tcp/80@10.0.0.1");
    }

    #[test]
    fn remote_and_test_uris_are_refused() {
        assert!(check_local_uri("qemu:///system").is_ok());
        assert_eq!(check_local_uri("test:///default").unwrap_err().exit_code(), 7);
        assert_eq!(
            check_local_uri("qemu+ssh://far/system").unwrap_err().exit_code(),
            7
        );
    }
}
