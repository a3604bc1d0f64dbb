//! Processes of the host listening on a port a forward would take: the forward would silently
//! steal their connections, so `forward add` refuses (exit 4, naming the process). Read from
//! /proc/net/{tcp,tcp6,udp,udp6} and the owners from /proc/PID/fd, as `ss -lnp` does.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vnet_common::libvirt::forwards::{Forward, Proto};

/// One listening socket.
#[derive(Debug, PartialEq)]
pub struct Listener {
    pub address: IpAddr,
    pub port: u16,
    pub inode: u64,
}

/// The first listener `forward` would take over, described as "PROCESS (pid N) on ADDR:PORT".
pub fn taken(forward: &Forward) -> Option<String> {
    let files: &[&str] = match forward.proto {
        Proto::Tcp => &["/proc/net/tcp", "/proc/net/tcp6"],
        Proto::Udp => &["/proc/net/udp", "/proc/net/udp6"],
    };
    let listener = files
        .iter()
        .filter_map(|file| std::fs::read_to_string(file).ok())
        .flat_map(|text| parse(&text, forward.proto))
        .find(|l| (forward.port..=forward.port_end).contains(&l.port) && covers(forward, l.address))?;
    let owner = owner(listener.inode).unwrap_or_else(|| "a process".into());
    Some(format!(
        "{owner} listens on {}:{}",
        listener.address, listener.port
    ))
}

/// True when connections to `address` would be forwarded instead of reaching its listener.
fn covers(forward: &Forward, address: IpAddr) -> bool {
    let v4 = match address {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(v6) if v6.is_unspecified() => Ipv4Addr::UNSPECIFIED,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4,
            None => return false,
        },
    };
    match forward.address {
        Some(one) => v4.is_unspecified() || v4 == one,
        None => v4.is_unspecified() || !(v4.is_loopback() || v4 == forward.bridge_ip),
    }
}

/// The listening sockets of one /proc/net table: TCP in state LISTEN (0A), UDP bound and not
/// connected (07).
pub fn parse(text: &str, proto: Proto) -> Vec<Listener> {
    let state = match proto {
        Proto::Tcp => "0A",
        Proto::Udp => "07",
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(3) != Some(&state) {
                return None;
            }
            let (addr, port) = fields.get(1)?.split_once(':')?;
            Some(Listener {
                address: hex_address(addr)?,
                port: u16::from_str_radix(port, 16).ok()?,
                inode: fields.get(9)?.parse().ok()?,
            })
        })
        .collect()
}

/// The kernel prints addresses as 32-bit words in host (little-endian) order.
fn hex_address(hex: &str) -> Option<IpAddr> {
    let words: Option<Vec<u32>> = (0..hex.len() / 8)
        .map(|i| u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok())
        .collect();
    let bytes: Vec<u8> = words?.iter().flat_map(|w| w.to_le_bytes()).collect();
    match bytes.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?))),
        _ => None,
    }
}

/// "NAME (pid N)" of the process holding socket `inode`.
fn owner(inode: u64) -> Option<String> {
    let wanted = format!("socket:[{inode}]");
    for proc in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = proc.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(proc.path().join("fd")) else {
            continue;
        };
        let holds = fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy() == wanted));
        if holds {
            let comm = std::fs::read_to_string(proc.path().join("comm")).unwrap_or_default();
            return Some(format!("{} (pid {pid})", comm.trim()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proc_net_tables() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0\n\
   1: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 17 1 0 100 0 0 10 0\n\
   2: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 99 1 0 100 0 0 10 0\n";
        let found = parse(tcp, Proto::Tcp);
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0],
            Listener {
                address: "0.0.0.0".parse().unwrap(),
                port: 8080,
                inode: 4242
            }
        );
        assert_eq!(found[1].address, "127.0.0.1".parse::<IpAddr>().unwrap());
        let tcp6 = "header\n   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 7 1\n";
        assert_eq!(
            parse(tcp6, Proto::Tcp)[0].address,
            "::".parse::<IpAddr>().unwrap()
        );
    }
}
