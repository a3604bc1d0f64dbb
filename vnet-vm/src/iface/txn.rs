//! iface-begin, iface-commit and iface-rollback: the interface driver's change transaction.
//! begin snapshots the host's interface configuration; commit keeps what changed since, and
//! rollback puts the snapshot back (netcf and the test driver; libvirt's udev backend refuses
//! all three as unsupported, exit 6).

use schemars::JsonSchema;
use serde::Serialize;
use virt::connect::Connect;
use virt::sys;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Journal, Render, Result, TextStyle, Verb};

/// A step of the transaction done; virsh's line names it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Transaction {
    /// "started", "committed" or "rolled back".
    pub transaction: String,
    pub changed: bool,
}

impl Render for Transaction {
    fn text(&self, _style: TextStyle) -> String {
        format!("Network config change transaction {}\n\n", self.transaction)
    }
}

/// One of virInterfaceChangeBegin, -Commit, -Rollback; libvirt refuses a begin inside a
/// transaction and a commit or rollback outside one (exit 1, as virsh).
fn step(
    conn: &Connect,
    call: unsafe extern "C" fn(sys::virConnectPtr, u32) -> i32,
    what: &str,
) -> Result<()> {
    // SAFETY: a plain call on a live connection.
    if unsafe { call(conn.as_ptr(), 0) } < 0 {
        return Err(virt::error::Error::last_error())
            .libvirt(format!("{what} network config change transaction"));
    }
    Ok(())
}

fn done(transaction: &str) -> Transaction {
    Transaction {
        transaction: transaction.into(),
        changed: true,
    }
}

/// Snapshot the host's interface configuration for a later commit or rollback (virsh
/// iface-begin). Undone on a later failure (--batch --atomic): the transaction is rolled back.
#[derive(Debug, clap::Args)]
pub struct IfaceBegin {}

impl Verb for IfaceBegin {
    type Ctx = Session;
    type Output = Transaction;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Transaction> {
        let conn = ctx.conn()?.clone();
        step(&conn, sys::virInterfaceChangeBegin, "begin")?;
        journal.record_fn("begin a network config change transaction", move || {
            step(&conn, sys::virInterfaceChangeRollback, "roll back")
        })?;
        Ok(done("started"))
    }
}

/// Keep the interface changes made since iface-begin (virsh iface-commit); cannot be undone.
#[derive(Debug, clap::Args)]
pub struct IfaceCommit {}

impl Verb for IfaceCommit {
    type Ctx = Session;
    type Output = Transaction;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Transaction> {
        step(ctx.conn()?, sys::virInterfaceChangeCommit, "commit")?;
        journal.irreversible("commit the network config change transaction")?;
        Ok(done("committed"))
    }
}

/// Put back the interface configuration iface-begin saw (virsh iface-rollback); cannot be
/// undone.
#[derive(Debug, clap::Args)]
pub struct IfaceRollback {}

impl Verb for IfaceRollback {
    type Ctx = Session;
    type Output = Transaction;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Transaction> {
        step(ctx.conn()?, sys::virInterfaceChangeRollback, "roll back")?;
        journal.irreversible("roll back the network config change transaction")?;
        Ok(done("rolled back"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run, session};

    #[test]
    fn a_transaction_begins_once_and_ends_once() {
        let _turn = crate::iface::TEST_DRIVER
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut ctx = session();
        assert_eq!(run(&mut ctx, IfaceCommit {}).unwrap_err().exit_code(), 1);
        run(&mut ctx, IfaceBegin {}).unwrap();
        assert_eq!(run(&mut ctx, IfaceBegin {}).unwrap_err().exit_code(), 1);
        let back = run(&mut ctx, IfaceRollback {}).unwrap();
        assert_eq!(
            back.text(TextStyle::default()),
            "Network config change transaction rolled back\n\n"
        );
    }
}
