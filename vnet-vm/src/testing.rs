//! What the unit tests share: a session on libvirt's test driver (test:///default, a fresh
//! in-memory host per connection) and running a verb on it with a journal of its own.

use vnet_common::libvirt::{ConnectArgs, Session};
use vnet_common::{Journal, Result, Verb};

/// A session on libvirt's test driver.
pub(crate) fn session() -> Session {
    let args = ConnectArgs {
        connect: Some("test:///default".into()),
        ..Default::default()
    };
    Session::new(&args, false)
}

/// Runs `verb` in `ctx` with a new journal.
pub(crate) fn run<V: Verb<Ctx = Session>>(ctx: &mut Session, verb: V) -> Result<V::Output> {
    verb.run(ctx, &mut Journal::new())
}
