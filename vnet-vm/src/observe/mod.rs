//! Observing a domain: statistics, counters, its job, its screen and keyboard, its custom
//! metadata. This module only
//! names its parts.

pub mod counters;
pub mod metadata;
pub mod params;
pub mod screen;
pub mod stats;
