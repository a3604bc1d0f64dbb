//! Test-only fault injection for `addif --move-addresses`. Built only with the cargo feature
//! `fault-injection` (the vnet-bridge-fault-injection binary that tests/run builds): there the
//! environment variable VNET_BRIDGE_FAIL_AFTER=STEP makes the move fail right after STEP, so the
//! end-to-end tests can prove that the journal puts the NIC back. Without the feature nothing
//! here reads the environment and every checkpoint passes.

use vnet_common::Result;

/// The steps of a move, in order; a checkpoint follows each.
pub const STEPS: [&str; 6] = [
    "del-routes",
    "del-addresses",
    "enslave",
    "add-addresses",
    "up",
    "add-routes",
];

#[cfg(feature = "fault-injection")]
pub const FAIL_AFTER_ENV: &str = "VNET_BRIDGE_FAIL_AFTER";

#[derive(Debug, Default)]
pub struct Faults {
    fail_after: Option<&'static str>,
}

impl Faults {
    /// The step named by VNET_BRIDGE_FAIL_AFTER, checked before anything is touched (exit 7).
    #[cfg(feature = "fault-injection")]
    pub fn from_env() -> Result<Faults> {
        let Ok(step) = std::env::var(FAIL_AFTER_ENV) else {
            return Ok(Faults::default());
        };
        match STEPS.iter().find(|s| **s == step) {
            Some(step) => Ok(Faults {
                fail_after: Some(step),
            }),
            None => Err(vnet_common::Error::invalid(format!(
                "{FAIL_AFTER_ENV}={} is not a step ({})",
                vnet_common::error::quote(&step),
                STEPS.join(", ")
            ))),
        }
    }

    #[cfg(not(feature = "fault-injection"))]
    pub fn from_env() -> Result<Faults> {
        Ok(Faults::default())
    }

    /// Fails when the faults ask for a failure right after `step`.
    pub fn checkpoint(&self, step: &'static str) -> Result<()> {
        debug_assert!(STEPS.contains(&step), "{step} is not a step");
        if self.fail_after == Some(step) {
            return Err(vnet_common::Error::failed(format!(
                "injected failure after step '{step}' (for tests)"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_fails_only_after_its_step() {
        let faults = Faults {
            fail_after: Some("up"),
        };
        assert!(faults.checkpoint("up").is_err());
        assert!(faults.checkpoint("enslave").is_ok());
        assert!(Faults::default().checkpoint("up").is_ok());
    }
}
