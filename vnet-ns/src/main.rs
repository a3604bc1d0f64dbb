//! vnet-ns's entry point: a C main without Rust's runtime start-up, the everyday read lines on
//! the fast path (see vnet_common::fast and NsTool::fast_verb).
#![no_main]

vnet_common::no_std_main!(vnet_ns::NsTool);
