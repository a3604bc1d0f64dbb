//! The undo journal every multi-step verb records its changes in. Each step that succeeded is
//! recorded with the work that undoes it; when the verb fails (or a signal stops it between
//! steps), the runner undoes the recorded steps in reverse order. Every undo step is tried even
//! when an earlier one fails, and what could not be undone is reported, never hidden: the error
//! line says so, the exit code stays the original failure's, and batch records list the leftovers.
//!
//! Undo work is a future so that netlink steps (async, on the tool's runtime) and libvirt steps
//! (plain calls, wrapped by [`Journal::record_fn`]) share one journal and one order.

use crate::{signals, Error, Result};
use std::future::Future;
use std::pin::Pin;

type UndoWork = Pin<Box<dyn Future<Output = Result<()>>>>;

struct Step {
    /// The change made, e.g. "create link veth0" (reported when it cannot be undone).
    what: String,
    /// How to undo it; None for a change that cannot be undone (a deletion).
    undo: Option<UndoWork>,
}

#[derive(Default)]
pub struct Journal {
    steps: Vec<Step>,
}

/// What a rollback did: the changes undone and those left in place, each with why.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rollback {
    pub undone: Vec<String>,
    pub leftovers: Vec<String>,
}

impl Journal {
    pub fn new() -> Journal {
        Journal::default()
    }

    /// Records a change just made and the async work that undoes it. From the first recorded
    /// change on, SIGINT/SIGTERM/SIGHUP are held until a step boundary; a signal that arrived
    /// during the step makes this return the interruption, so the runner undoes the verb.
    pub fn record(
        &mut self,
        what: impl Into<String>,
        undo: impl Future<Output = Result<()>> + 'static,
    ) -> Result<()> {
        self.push(what.into(), Some(Box::pin(undo)))
    }

    /// Records a change undone by a plain (blocking) call, such as a libvirt one.
    pub fn record_fn(
        &mut self,
        what: impl Into<String>,
        undo: impl FnOnce() -> Result<()> + 'static,
    ) -> Result<()> {
        self.record(what, async move { undo() })
    }

    /// Records a change that cannot be undone (a deletion), so `--batch --atomic` can say so.
    pub fn irreversible(&mut self, what: impl Into<String>) -> Result<()> {
        self.push(what.into(), None)
    }

    fn push(&mut self, what: String, undo: Option<UndoWork>) -> Result<()> {
        signals::defer();
        self.steps.push(Step { what, undo });
        signals::check()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Moves `later`'s steps after this journal's (a batch line's steps into the batch's).
    pub fn append(&mut self, mut later: Journal) {
        self.steps.append(&mut later.steps);
    }

    /// Forgets every step: the changes stay (the verb succeeded).
    pub fn commit(&mut self) {
        self.steps.clear();
    }

    /// Undoes every recorded step, last first, trying each even when an earlier undo failed.
    pub async fn rollback(self) -> Rollback {
        let mut report = Rollback::default();
        for step in self.steps.into_iter().rev() {
            match step.undo {
                None => report.leftovers.push(format!("{} (cannot be undone)", step.what)),
                Some(undo) => match undo.await {
                    Ok(()) => report.undone.push(step.what),
                    Err(e) => report.leftovers.push(format!("{}: {}", step.what, e.message)),
                },
            }
        }
        report
    }
}

impl Rollback {
    /// The one rule for reporting a rollback on the error that caused it: the kind (and exit
    /// code) stays the failure's; leftovers are named on the error line and kept on the error.
    pub fn attach(self, mut error: Error) -> Error {
        if !self.leftovers.is_empty() {
            error.message = format!("{}; not undone: {}", error.message, self.leftovers.join("; "));
        } else if !self.undone.is_empty() && error.hint.is_none() {
            error.hint = Some("every change made was undone".to_string());
        }
        error.rollback = Some(self);
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn rollback_runs_in_reverse_and_reports_every_failure() {
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut journal = Journal::new();
        for name in ["a", "b", "c"] {
            let order = order.clone();
            journal
                .record_fn(format!("create {name}"), move || {
                    order.borrow_mut().push(name);
                    if name == "b" {
                        Err(Error::failed("busy"))
                    } else {
                        Ok(())
                    }
                })
                .unwrap();
        }
        journal.irreversible("delete d").unwrap();
        let report = futures::executor::block_on(journal.rollback());
        assert_eq!(*order.borrow(), ["c", "b", "a"]);
        assert_eq!(report.undone, ["create c", "create a"]);
        assert_eq!(
            report.leftovers,
            ["delete d (cannot be undone)", "create b: busy"]
        );
        let e = report.attach(Error::exists("add x: File exists"));
        assert_eq!(e.exit_code(), 4);
        assert!(e
            .message
            .ends_with("; not undone: delete d (cannot be undone); create b: busy"));
    }
}
