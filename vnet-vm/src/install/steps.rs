//! virt-install's numbered `--print-xml`: an install that boots its installer from a CD-ROM or
//! an install tree has two XML steps, the install (1) and the domain after it (2: booting the
//! disk, the CD-ROM empty, no installer kernel); other installs have step 1 only.

use super::plan::{Method, Plan};
use vnet_common::error::quote;
use vnet_common::{Error, Result};

/// Whether the install has a step after the installer's boot.
pub fn has_install_phase(plan: &Plan) -> bool {
    matches!(plan.method, Method::Cdrom(_) | Method::Location(_))
}

/// The steps `--print-xml [STEP]` prints: all of them (no value, or `all`), 1, or 2 when the
/// install has it; anything else is 7, as virt-install refuses it.
pub fn requested(value: &str, plan: &Plan) -> Result<Vec<u8>> {
    let two = has_install_phase(plan);
    match value {
        "all" if two => Ok(vec![1, 2]),
        "all" | "1" => Ok(vec![1]),
        "2" if two => Ok(vec![2]),
        "2" => Err(
            Error::invalid("--print-xml 2: this installation has no XML step 2")
                .with_hint("only --cdrom and --location installs have a step after the installer"),
        ),
        other => Err(Error::invalid(format!(
            "--print-xml {}: unknown XML step, must be 1, 2, or all",
            quote(other)
        ))),
    }
}
