//! vnet-bridge's entry point: a C main without Rust's runtime start-up (see vnet_common::fast).
#![no_main]

vnet_common::no_std_main!(vnet_bridge::BridgeTool);
