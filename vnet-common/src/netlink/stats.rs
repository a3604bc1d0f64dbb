//! A link's counters as `ip -s -j link show` prints them (`stats64`), from the kernel's
//! IFLA_STATS64 (decoded by netlink-packet-route's [`Stats64`]). One `-s` gives ip's first set of
//! fields, `-s -s` the error details too.

use netlink_packet_route::link::Stats64;

/// `stats64` of ip -s -j: received and sent counters.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct LinkStats {
    pub rx: RxStats,
    pub tx: TxStats,
}

/// Received: bytes, packets, errors, dropped, over_errors, multicast; with -s -s the details.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct RxStats {
    pub bytes: u64,
    pub packets: u64,
    pub errors: u64,
    pub dropped: u64,
    pub over_errors: u64,
    pub multicast: u64,
    #[serde(flatten)]
    pub details: Option<RxDetails>,
}

/// Received errors by cause (-s -s).
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct RxDetails {
    pub length_errors: u64,
    pub crc_errors: u64,
    pub frame_errors: u64,
    pub fifo_errors: u64,
    pub missed_errors: u64,
}

/// Sent: bytes, packets, errors, dropped, carrier_errors, collisions; with -s -s the details.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct TxStats {
    pub bytes: u64,
    pub packets: u64,
    pub errors: u64,
    pub dropped: u64,
    pub carrier_errors: u64,
    pub collisions: u64,
    #[serde(flatten)]
    pub details: Option<TxDetails>,
}

/// Sent errors by cause and carrier changes (-s -s).
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct TxDetails {
    pub aborted_errors: u64,
    pub fifo_errors: u64,
    pub window_errors: u64,
    pub heartbeat_errors: u64,
    pub carrier_changes: u64,
}

impl LinkStats {
    /// The counters of a link message's IFLA_STATS64 and IFLA_CARRIER_CHANGES payloads, at ip's
    /// level of detail (`level` -s flags, at least one).
    pub fn from_raw(stats64: &[u8], carrier_changes: Option<&[u8]>, level: u8) -> Option<LinkStats> {
        let stats = Stats64::parse(stats64).ok()?;
        let carrier_changes = carrier_changes
            .and_then(|v| v.try_into().ok())
            .map(u32::from_ne_bytes)
            .unwrap_or(0);
        Some(LinkStats::new(&stats, carrier_changes, level))
    }

    /// The counters of a decoded link message (rtnetlink's [`LinkMessage`]).
    ///
    /// [`LinkMessage`]: netlink_packet_route::link::LinkMessage
    pub fn of_message(link: &netlink_packet_route::link::LinkMessage, level: u8) -> Option<LinkStats> {
        use netlink_packet_route::link::LinkAttribute;
        let mut stats = None;
        let mut carrier_changes = 0;
        for attribute in &link.attributes {
            match attribute {
                LinkAttribute::Stats64(s) => stats = Some(s),
                LinkAttribute::CarrierChanges(n) => carrier_changes = *n,
                _ => {}
            }
        }
        Some(LinkStats::new(stats?, carrier_changes, level))
    }

    fn new(s: &Stats64, carrier_changes: u32, level: u8) -> LinkStats {
        let detailed = level > 1;
        LinkStats {
            rx: RxStats {
                bytes: s.rx_bytes,
                packets: s.rx_packets,
                errors: s.rx_errors,
                dropped: s.rx_dropped,
                over_errors: s.rx_over_errors,
                multicast: s.multicast,
                details: detailed.then_some(RxDetails {
                    length_errors: s.rx_length_errors,
                    crc_errors: s.rx_crc_errors,
                    frame_errors: s.rx_frame_errors,
                    fifo_errors: s.rx_fifo_errors,
                    missed_errors: s.rx_missed_errors,
                }),
            },
            tx: TxStats {
                bytes: s.tx_bytes,
                packets: s.tx_packets,
                errors: s.tx_errors,
                dropped: s.tx_dropped,
                carrier_errors: s.tx_carrier_errors,
                collisions: s.collisions,
                details: detailed.then_some(TxDetails {
                    aborted_errors: s.tx_aborted_errors,
                    fifo_errors: s.tx_fifo_errors,
                    window_errors: s.tx_window_errors,
                    heartbeat_errors: s.tx_heartbeat_errors,
                    carrier_changes: u64::from(carrier_changes),
                }),
            },
        }
    }
}
