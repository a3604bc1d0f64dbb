//! vnet-bridge's entry point: a C main without Rust's runtime start-up, the listing lines on the
//! fast path (see vnet_common::fast and fast.rs).
#![no_main]

vnet_common::no_std_main!(vnet_bridge::BridgeTool);
