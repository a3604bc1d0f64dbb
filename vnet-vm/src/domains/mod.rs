//! Domains: finding them, their definition, their running life, what they are, their display and
//! console, and their lifecycle events. Each verb family is one module; this one only names them.

pub mod console;
pub mod define;
pub mod display;
pub mod edit;
pub mod events;
pub mod identity;
pub mod info;
pub mod list;
pub mod lookup;
pub mod power;
pub mod progress;
pub mod resources;
pub mod same;
pub mod saved;
