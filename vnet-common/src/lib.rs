//! Plumbing shared by the vnet tools: errors and exit codes, output (JSON / text), name and CIDR
//! validation, netlink handles (also inside a named namespace), the `--batch` runner and man pages.

pub mod batch;
pub mod bridge_keywords;
pub mod bridge_options;
pub mod cidr;
pub mod cli;
pub mod completion;
pub mod error;
pub mod fast;
pub mod files;
pub mod ip_args;
pub mod journal;
pub mod keywords;
#[cfg(feature = "libvirt")]
pub mod libvirt;
#[cfg(feature = "libvirt")]
pub mod libvirt_events;
pub mod links;
pub mod mac;
pub mod man;
pub mod monitor;
pub mod names;
#[cfg(test)]
mod nesting_tests;
pub mod netlink;
pub mod netns;
pub mod output;
pub mod schema;
pub mod signals;
pub mod stream;
pub mod table;
pub mod tags;
pub mod tool;
pub mod verb;
pub mod virsh_args;

pub use cli::Tool;
pub use error::{Context, Error, ErrorKind, Result};
pub use journal::Journal;
pub use verb::{Render, TextStyle, Verb};
