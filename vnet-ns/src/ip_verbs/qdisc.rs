//! `qdisc add|replace|change|del|show`: link impairment for test labs with netem, as tc qdisc sets
//! it (tc qdisc ... netem delay/loss/rate), in the current namespace or -n NS (the work:
//! crate::netem).

use crate::netem::{self, Netem, Qdisc, QdiscAction, QdiscChange, QdiscEntry, QdiscSpec};
use crate::NsCtx;
use schemars::JsonSchema;
use serde::Serialize;
use vnet_common::error::quote;
use vnet_common::keywords::HEADING;
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

vnet_common::verbs! {
    pub enum QdiscVerb for NsCtx {
        /// Give a link a netem qdisc (tc qdisc add ... netem).
        Add(Add),
        /// Give a link a netem qdisc or change the one there (tc qdisc replace ... netem).
        Replace(Replace),
        /// Change a link's netem qdisc (tc qdisc change ... netem).
        Change(Change),
        /// Put a link's default qdisc back (tc qdisc del).
        #[command(visible_alias = "delete")]
        Del(Del),
        /// List the root qdiscs (tc qdisc show).
        #[command(visible_alias = "list", visible_alias = "ls")]
        Show(Show),
    }
}

/// The one qdisc kind vnet-ns sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Netem,
}

/// `dev IF [root] netem [delay TIME [JITTER]] [loss [random] PCT%] [duplicate PCT%] [rate RATE]
/// [limit PACKETS]`, as tc spells it.
///
/// TIME is a number with s, ms or us (a bare number is us, as tc); RATE is a number with bit,
/// kbit, mbit, gbit, bps, kbps, mbps or gbps (a bare number is bit/s). A percentage over 100 or a
/// malformed value is exit 7; a missing link is exit 3; a kernel without netem
/// (CONFIG_NET_SCH_NETEM) is exit 6, the link unchanged. Journaled: undo puts back the qdisc that
/// was there.
#[derive(Debug, clap::Args)]
#[group(skip)]
#[command(args_override_self = true)]
pub struct NetemWords {
    /// The qdisc: netem.
    #[arg(value_enum, value_name = "KIND")]
    pub kind: Kind,
    /// The link.
    #[arg(long, value_name = "IF", required = true, value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    /// The root qdisc (the only one vnet-ns sets; may be left out).
    #[arg(long, help_heading = HEADING)]
    pub root: bool,
    /// Added delay and, optionally, its random variation (jitter).
    #[arg(long, visible_alias = "latency", value_name = "TIME", num_args = 1..=2, value_parser = time, help_heading = HEADING)]
    pub delay: Vec<f64>,
    /// Random loss in percent (`loss random PCT` as tc takes it too).
    #[arg(long, value_name = "PCT", num_args = 1..=2, value_parser = loss, help_heading = HEADING)]
    pub loss: Vec<Loss>,
    /// Random duplication in percent.
    #[arg(long, value_name = "PCT", value_parser = duplicate, help_heading = HEADING)]
    pub duplicate: Option<f64>,
    /// Rate limit.
    #[arg(long, value_name = "RATE", value_parser = rate, help_heading = HEADING)]
    pub rate: Option<u64>,
    /// Queue limit in packets (default 1000).
    #[arg(long, value_name = "PACKETS", value_parser = limit, help_heading = HEADING)]
    pub limit: Option<u32>,
}

/// A word of `loss`: tc's `random`, or the percentage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    Random,
    Percent(f64),
}

fn time(text: &str) -> Result<f64> {
    netem::parse_time(text, "qdisc")
}

fn loss(text: &str) -> Result<Loss> {
    match text {
        "random" => Ok(Loss::Random),
        _ => netem::parse_percent(text, "qdisc", "loss").map(Loss::Percent),
    }
}

fn duplicate(text: &str) -> Result<f64> {
    netem::parse_percent(text, "qdisc", "duplicate")
}

fn rate(text: &str) -> Result<u64> {
    netem::parse_rate(text, "qdisc")
}

fn limit(text: &str) -> Result<u32> {
    text.parse()
        .map_err(|_| Error::invalid(format!("invalid limit {}: not a number in range", quote(text))))
}

impl NetemWords {
    /// The request: the link and netem's settings (tc's defaults for what is left out).
    fn spec(self, verb: &str) -> Result<QdiscSpec> {
        let (delay_us, jitter_us) = match self.delay[..] {
            [delay] => (delay, 0.0),
            [delay, jitter] => (delay, jitter),
            _ => (0.0, 0.0),
        };
        let loss_percent = match self.loss[..] {
            [] => 0.0,
            [Loss::Percent(pct)] | [Loss::Random, Loss::Percent(pct)] => pct,
            [Loss::Random] => return Err(super::usage(verb, "'loss random' needs a value")),
            _ => return Err(super::usage(verb, "give loss [random] PCT%")),
        };
        let netem = Netem {
            delay_us,
            jitter_us,
            loss_percent,
            duplicate_percent: self.duplicate.unwrap_or(0.0),
            rate_bit: self.rate,
            limit: self.limit.unwrap_or(1000),
        };
        Ok(QdiscSpec {
            dev: self.dev,
            netem: Some(netem),
        })
    }
}

/// Give a link a netem qdisc: `qdisc add dev IF [root] netem OPTIONS`.
///
/// A link that has a netem qdisc already is exit 4 (replace changes it).
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Add {
    #[command(flatten)]
    pub words: NetemWords,
}

/// Give a link a netem qdisc or change the one there: `qdisc replace dev IF [root] netem OPTIONS`.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Replace {
    #[command(flatten)]
    pub words: NetemWords,
}

/// Change a link's netem qdisc: `qdisc change dev IF [root] netem OPTIONS`.
///
/// A link without a netem qdisc is exit 3.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Change {
    #[command(flatten)]
    pub words: NetemWords,
}

/// Put a link's default qdisc back (reset): `qdisc del dev IF [root]`.
///
/// A link with only its default qdisc is exit 3 (--missing-ok: "changed": false). Cannot be
/// undone.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Del {
    /// The link.
    #[arg(long, value_name = "IF", required = true, value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    /// The root qdisc (the only one vnet-ns removes; may be left out).
    #[arg(long, help_heading = HEADING)]
    pub root: bool,
    /// Succeed with "changed": false when the link has only its default qdisc.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

/// List the root qdiscs of every link, or of dev IF, with netem's settings decoded: `qdisc show
/// [dev IF]`; -o text prints tc qdisc show's lines.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Show {
    /// Only this link's.
    #[arg(long, value_name = "IF", value_parser = super::ifname, help_heading = HEADING)]
    pub dev: Option<String>,
    /// Root qdiscs (the only ones listed; may be left out).
    #[arg(long, help_heading = HEADING)]
    pub root: bool,
}

impl Render for QdiscChange {}

/// The root qdiscs `qdisc show` lists, as tc -j qdisc show does.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Qdiscs(pub Vec<QdiscEntry>);

impl Render for Qdiscs {
    fn text(&self, _: TextStyle) -> String {
        self.0.iter().map(netem::text_line).collect()
    }
}

/// Runs add, replace or change with `words`.
fn set(
    action: QdiscAction,
    words: NetemWords,
    ctx: &mut NsCtx,
    journal: &mut Journal,
) -> Result<QdiscChange> {
    let verb = format!("qdisc {}", format!("{action:?}").to_lowercase());
    let spec = words.spec(&verb)?;
    let request = Qdisc {
        action,
        missing_ok: false,
    };
    request.run(spec, ctx, journal)
}

impl Verb for Add {
    type Ctx = NsCtx;
    type Output = QdiscChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<QdiscChange> {
        set(QdiscAction::Add, self.words, ctx, journal)
    }
}

impl Verb for Replace {
    type Ctx = NsCtx;
    type Output = QdiscChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<QdiscChange> {
        set(QdiscAction::Replace, self.words, ctx, journal)
    }
}

impl Verb for Change {
    type Ctx = NsCtx;
    type Output = QdiscChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<QdiscChange> {
        set(QdiscAction::Change, self.words, ctx, journal)
    }
}

impl Verb for Del {
    type Ctx = NsCtx;
    type Output = QdiscChange;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<QdiscChange> {
        let spec = QdiscSpec {
            dev: self.dev,
            netem: None,
        };
        let request = Qdisc {
            action: QdiscAction::Del,
            missing_ok: self.missing_ok,
        };
        request.run(spec, ctx, journal)
    }
}

impl Verb for Show {
    type Ctx = NsCtx;
    type Output = Qdiscs;

    fn run(self, ctx: &mut NsCtx, _: &mut Journal) -> Result<Qdiscs> {
        netem::show(ctx.netns.as_deref(), self.dev.as_deref()).map(Qdiscs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_verbs::test_parse::parse_line;
    use crate::NsVerb;

    /// The request of a `qdisc add` line, every word checked.
    fn spec(line: &str) -> Result<QdiscSpec> {
        match parse_line(&format!("qdisc add {line}"))? {
            NsVerb::Qdisc(QdiscVerb::Add(add)) => add.words.spec("qdisc add"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_tc_netem_words() {
        let s = spec("dev eth0 root netem delay 100ms 10ms loss 1% rate 1mbit").unwrap();
        assert_eq!(s.dev.as_deref(), Some("eth0"));
        let n = s.netem.unwrap();
        assert_eq!(
            (n.delay_us, n.jitter_us, n.loss_percent),
            (100_000.0, 10_000.0, 1.0)
        );
        assert_eq!((n.rate_bit, n.limit), (Some(1_000_000), 1000));
        let n = spec("dev eth0 netem loss random 0.5% limit 50")
            .unwrap()
            .netem
            .unwrap();
        assert_eq!((n.loss_percent, n.limit), (0.5, 50));
        let n = spec("dev eth0 netem latency 5ms duplicate 2% loss 3")
            .unwrap()
            .netem
            .unwrap();
        assert_eq!(
            (n.delay_us, n.jitter_us, n.duplicate_percent, n.loss_percent),
            (5000.0, 0.0, 2.0, 3.0)
        );
        // The jitter is taken only up to the next keyword.
        let n = spec("dev eth0 netem delay 100ms rate 1mbit")
            .unwrap()
            .netem
            .unwrap();
        assert_eq!(
            (n.delay_us, n.jitter_us, n.rate_bit),
            (100_000.0, 0.0, Some(1_000_000))
        );
        for (line, code) in [
            ("dev eth0 netem loss 150%", 7),
            ("dev eth0 netem delay 10parsecs", 7),
            ("dev eth0 netem rate fast", 7),
            ("dev eth0 netem limit many", 7),
            ("dev eth0 netem loss random", 2),
            ("dev eth0 root htb", 2),
            ("netem delay 1ms", 2),
            ("dev eth0", 2),
            ("dev eth0 netem delay", 2),
        ] {
            let e = spec(line).unwrap_err();
            assert_eq!(e.exit_code(), code, "{line}: {}", e.message);
        }
    }

    #[test]
    fn del_and_show_take_dev_and_root() {
        for line in [
            "qdisc delete dev eth0 root --if-exists",
            "qdisc --missing-ok del dev eth0",
        ] {
            match parse_line(line).unwrap() {
                NsVerb::Qdisc(QdiscVerb::Del(del)) => {
                    assert_eq!((del.dev.as_deref(), del.missing_ok), (Some("eth0"), true))
                }
                other => panic!("{other:?}"),
            }
        }
        for (line, dev) in [
            ("qdisc show", None),
            ("qdisc ls dev eth0", Some("eth0")),
            ("qdisc list root", None),
        ] {
            match parse_line(line).unwrap() {
                NsVerb::Qdisc(QdiscVerb::Show(show)) => assert_eq!(show.dev.as_deref(), dev, "{line}"),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(parse_line("qdisc del root").unwrap_err().exit_code(), 2);
        assert_eq!(parse_line("qdisc show --missing-ok").unwrap_err().exit_code(), 2);
        assert_eq!(parse_line("qdisc del dev eth0 netem").unwrap_err().exit_code(), 2);
    }
}
