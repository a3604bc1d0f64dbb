//! Observing a domain: statistics, counters, its job, its screen and keyboard. This module only
//! names its parts.

pub mod counters;
pub mod params;
pub mod screen;
pub mod stats;
