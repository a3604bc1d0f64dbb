//! The rows of `--check` (virt-install's safety checks; install/checks.rs runs them): each a
//! check turned on or off, none an XML property.

use super::rows::{row, Row};

pub(super) const CHECK: &[Row] = &[
    row(
        "path_in_use",
        "",
        "off: allow a disk path another domain uses (else exit 4)",
    ),
    row(
        "disk_size",
        "",
        "off: allow a new disk larger than its pool's free space (else exit 7)",
    ),
    row(
        "mac_in_use",
        "",
        "off: allow a MAC another domain has (else exit 4)",
    ),
    row(
        "path_exists",
        "",
        "accepted (virt-install checks it only when cloning)",
    ),
    row("all", "", "off: every check off (wins over the others)"),
];
