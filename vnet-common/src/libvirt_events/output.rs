//! What an event verb gives back, in the tools that stand in for virsh's event verbs (vnet-vm's
//! event and *-event verbs, vnet-net's net-event): the records streamed, or virsh's --list.

use crate::stream::Streamed;
use crate::{Error, Render, Result, TextStyle};
use schemars::JsonSchema;
use serde::Serialize;

/// An event verb's result: the records, streamed as they came (NDJSON), or with --list the
/// event type names virsh lists for the verb (an array; -o text one per line, as virsh).
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub enum EventOutput<R> {
    Streamed(Streamed<R>),
    List(EventNames),
}

/// --list: the event type names, in virsh's order.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct EventNames {
    pub names: Vec<String>,
}

impl<R> Render for EventOutput<R> {
    fn text(&self, style: TextStyle) -> String {
        match self {
            EventOutput::Streamed(s) => s.text(style),
            EventOutput::List(list) => list.names.iter().map(|n| format!("{n}\n")).collect::<String>() + "\n",
        }
    }

    fn streamed(&self) -> bool {
        matches!(self, EventOutput::Streamed(_))
    }
}

impl<R> EventOutput<R> {
    /// virsh's `--list` of a verb.
    pub fn list(names: &[&str]) -> EventOutput<R> {
        EventOutput::List(EventNames {
            names: names.iter().map(|n| n.to_string()).collect(),
        })
    }

    /// The end of a wait as virsh ends it: no event received (the timeout passed, a signal
    /// came) is exit 1 ("events received: 0"); the records are on stdout already otherwise.
    pub fn received(streamed: Streamed<R>) -> Result<EventOutput<R>> {
        if streamed.records == 0 {
            return Err(Error::failed("no event received: events received: 0")
                .with_hint("virsh exits 1 too when its wait ends without an event"));
        }
        Ok(EventOutput::Streamed(streamed))
    }
}
