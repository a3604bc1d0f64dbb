//! The keyword arguments `ip` and `tc` take (`via GW dev eth0 metric 20`), read one word at a
//! time: one reader for route, link set, addr, tuntap and qdisc, so they all report a missing
//! value or an unknown keyword the same way (exit 2, naming the word and the verb's help).

use vnet_common::error::quote;
use vnet_common::{Error, ErrorKind, Result};

pub struct Words {
    words: std::iter::Peekable<std::vec::IntoIter<String>>,
    /// The verb, for messages and the help hint: "route add".
    verb: String,
}

impl Words {
    pub fn new(verb: impl Into<String>, words: Vec<String>) -> Words {
        Words {
            words: words.into_iter().peekable(),
            verb: verb.into(),
        }
    }

    /// The next word, if any.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<String> {
        self.words.next()
    }

    /// The next word, left to be read.
    pub fn peek(&mut self) -> Option<&String> {
        self.words.peek()
    }

    /// The value after keyword `key`; a usage error when the words end there.
    pub fn value(&mut self, key: &str) -> Result<String> {
        self.words
            .next()
            .ok_or_else(|| self.usage(&format!("'{key}' needs a value")))
    }

    /// A number after keyword `key` (exit 7 when it is not one).
    pub fn number<T: std::str::FromStr>(&mut self, key: &str) -> Result<T> {
        let text = self.value(key)?;
        text.parse().map_err(|_| {
            Error::invalid(format!(
                "{}: invalid {key} {}: not a number in range",
                self.verb,
                quote(&text)
            ))
        })
    }

    /// "unknown word 'x'" as a usage error (exit 2).
    pub fn unknown(&self, word: &str) -> Error {
        self.usage(&format!("unexpected argument {}", quote(word)))
    }

    pub fn usage(&self, message: &str) -> Error {
        let tool_verb = self.verb.split_whitespace().next().unwrap_or("");
        Error::new(ErrorKind::Usage, format!("{}: {message}", self.verb))
            .with_hint(format!("see 'vnet-ns {tool_verb} --help'"))
    }

    pub fn verb(&self) -> &str {
        &self.verb
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_values_and_errors() {
        let mut w = Words::new("route add", vec!["metric".into(), "x".into(), "via".into()]);
        assert_eq!(w.next().as_deref(), Some("metric"));
        assert_eq!(w.number::<u32>("metric").unwrap_err().exit_code(), 7);
        assert_eq!(w.next().as_deref(), Some("via"));
        let e = w.value("via").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.message.contains("'via' needs a value"), "{}", e.message);
        assert_eq!(e.hint.as_deref(), Some("see 'vnet-ns route --help'"));
    }
}
