//! The verb skeleton every tool is built from: a verb is one clap `Args` type with one `run` that
//! returns a typed result; the result serializes to JSON (with a schema generated from its type)
//! and renders the classic tool's text beside it. A tool lists its verbs once with [`verbs!`].

use crate::journal::Journal;
use crate::Result;
use schemars::JsonSchema;
use serde::Serialize;

/// How `-o text` is laid out: `-q` drops table headers, as `virsh -q` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextStyle {
    pub headers: bool,
}

impl Default for TextStyle {
    fn default() -> TextStyle {
        TextStyle { headers: true }
    }
}

/// The text side of a result. Mutating verbs print nothing in text mode, like the classic tools.
pub trait Render {
    /// The classic tool's layout of this result.
    fn text(&self, _style: TextStyle) -> String {
        String::new()
    }

    /// For verbs whose product is a document (`dumpxml`, `install --print-xml`): the document,
    /// printed as it is unless `-o json` asks for the JSON summary.
    fn document(&self) -> Option<&str> {
        None
    }

    /// True for a streaming verb's result: its records are on stdout already, nothing is printed
    /// at the end (see [`crate::stream::Streamed`]).
    fn streamed(&self) -> bool {
        false
    }
}

/// Work to do after the result is printed, outside `--batch` (install attaching the console).
pub type FollowUp<C> = Box<dyn FnOnce(&mut C) -> Result<()>>;

/// One verb: its flags are the type itself; `run` does the work against the tool's context and
/// records in `journal` how to undo each change it made, so a failure undoes them all.
pub trait Verb: clap::Args {
    type Ctx;
    type Output: Serialize + JsonSchema + Render + 'static;

    fn run(self, ctx: &mut Self::Ctx, journal: &mut Journal) -> Result<Self::Output>;

    /// Anything to do once the output is on stdout (single command only). Default: nothing.
    fn follow_up(_output: &Self::Output) -> Option<FollowUp<Self::Ctx>> {
        None
    }
}

/// A result with its type erased, for the printer.
pub trait Emit {
    fn json(&self) -> serde_json::Value;
    /// Writes the JSON, serialized straight from the typed result (compact, or indented with
    /// `pretty`) as it is written: keys in the order the type declares its fields (the classic
    /// tool's order where the type mirrors it), and no `serde_json::Value` tree built and dropped
    /// on the way, which was most of the cost of a long listing.
    fn write_json(&self, out: &mut dyn std::io::Write, pretty: bool) -> std::io::Result<()>;
    fn text(&self, style: TextStyle) -> String;
    fn document(&self) -> Option<&str>;
    fn streamed(&self) -> bool;
}

impl<T: Serialize + Render> Emit for T {
    fn json(&self) -> serde_json::Value {
        // Results are plain structs with string keys: serializing them cannot fail.
        serde_json::to_value(self).expect("a verb result serializes to JSON")
    }

    fn write_json(&self, out: &mut dyn std::io::Write, pretty: bool) -> std::io::Result<()> {
        // A failed write comes back as the io::Error it was (EPIPE stays EPIPE).
        let written = match pretty {
            true => serde_json::to_writer_pretty(out, self),
            false => serde_json::to_writer(out, self),
        };
        written.map_err(std::io::Error::from)
    }

    fn text(&self, style: TextStyle) -> String {
        Render::text(self, style)
    }

    fn document(&self) -> Option<&str> {
        Render::document(self)
    }

    fn streamed(&self) -> bool {
        Render::streamed(self)
    }
}

/// What running a verb gives the runner: the result to print and an optional follow-up.
pub struct Done<C> {
    pub output: Box<dyn Emit>,
    pub follow_up: Option<FollowUp<C>>,
}

impl<C> Done<C> {
    pub fn of<V: Verb<Ctx = C>>(output: V::Output) -> Done<C> {
        let follow_up = V::follow_up(&output);
        Done {
            output: Box::new(output),
            follow_up,
        }
    }
}

/// A tool's set of verbs: the clap subcommand enum [`verbs!`] generates. A variant holds one verb
/// (a leaf) or, marked `#[command(subcommand)]`, a nested set of verbs (`vnet-ns route add`).
pub trait VerbSet: clap::Subcommand + Sized {
    type Ctx;
    fn run(self, ctx: &mut Self::Ctx, journal: &mut Journal) -> Result<Done<Self::Ctx>>;
    /// The JSON Schema of each verb's output, in declaration order (the order of the
    /// subcommands clap lists); a nested set gives its own list.
    fn output_schemas() -> Vec<OutputSchema>;
}

/// The output schema of one entry of a verb set: a leaf verb's, or a nested set's, one per verb
/// in the nested set's order.
#[derive(Debug, Clone)]
pub enum OutputSchema {
    Leaf(schemars::Schema),
    Set(Vec<OutputSchema>),
}

/// What a variant of a verb set holds, leaf or nested set, so [`verbs!`] dispatches both the same
/// way. `Kind` ([`LeafVerb`] or [`NestedSet`]) only keeps the two implementations apart: the
/// compiler infers it from the one that applies.
pub trait Node<Ctx, Kind> {
    fn run_node(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<Done<Ctx>>;
    fn output_schema() -> OutputSchema;
}

/// [`Node`]'s kind for a leaf verb.
pub struct LeafVerb;
/// [`Node`]'s kind for a nested verb set.
pub struct NestedSet;

impl<V: Verb> Node<V::Ctx, LeafVerb> for V {
    fn run_node(self, ctx: &mut V::Ctx, journal: &mut Journal) -> Result<Done<V::Ctx>> {
        let output = self.run(ctx, journal)?;
        Ok(Done::of::<V>(output))
    }

    fn output_schema() -> OutputSchema {
        OutputSchema::Leaf(schemars::schema_for!(V::Output))
    }
}

impl<S: VerbSet> Node<S::Ctx, NestedSet> for S {
    fn run_node(self, ctx: &mut S::Ctx, journal: &mut Journal) -> Result<Done<S::Ctx>> {
        self.run(ctx, journal)
    }

    fn output_schema() -> OutputSchema {
        OutputSchema::Set(S::output_schemas())
    }
}

/// Declares a tool's verbs: one line each, `Variant(ArgsType)`, with clap attributes (aliases,
/// doc comments) on the line. A variant marked `#[command(subcommand)]` holds a nested set, itself
/// declared with `verbs!`. Generates the subcommand enum, its dispatch and its schema list.
///
/// ```ignore
/// vnet_common::verbs! {
///     pub enum Command for Ctx {
///         /// Create a namespace (ip netns add).
///         Add(crate::namespaces::Add),
///         #[command(visible_alias = "del")]
///         Delete(crate::namespaces::Delete),
///         /// Routes (ip route): route add, route show, ...
///         #[command(subcommand)]
///         Route(crate::route::RouteVerb),
///     }
/// }
/// ```
#[macro_export]
macro_rules! verbs {
    (
        $vis:vis enum $name:ident for $ctx:ty {
            $( $(#[$attr:meta])* $variant:ident($args:ty) ),+ $(,)?
        }
    ) => {
        #[derive(Debug, clap::Subcommand)]
        $vis enum $name {
            $( $(#[$attr])* $variant($args), )+
        }

        impl $crate::verb::VerbSet for $name {
            type Ctx = $ctx;

            fn run(
                self,
                ctx: &mut $ctx,
                journal: &mut $crate::journal::Journal,
            ) -> $crate::Result<$crate::verb::Done<$ctx>> {
                match self {
                    $( $name::$variant(args) => {
                        <$args as $crate::verb::Node<$ctx, _>>::run_node(args, ctx, journal)
                    } )+
                }
            }

            fn output_schemas() -> Vec<$crate::verb::OutputSchema> {
                vec![ $( <$args as $crate::verb::Node<$ctx, _>>::output_schema() ),+ ]
            }
        }
    };
}

/// A stand-in tool with a nested verb set, for the skeleton's tests (here and in batch.rs).
#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cli::{command, parse, NoGlobals, Tool};
    use serde::Serialize;

    pub(crate) struct NestTool;

    impl Tool for NestTool {
        const NAME: &'static str = "nest";
        const ABOUT: &'static str = "A tool with nested verbs";
        const LONG_ABOUT: &'static str = "A tool with nested verbs, for tests.";
        type Globals = NoGlobals;
        type Ctx = ();
        type Verbs = NestVerb;

        fn context(_globals: &NoGlobals, _batch: bool) -> Result<()> {
            Ok(())
        }

        fn block_on<F: std::future::Future>(_ctx: &mut (), work: F) -> F::Output {
            futures::executor::block_on(work)
        }
    }

    crate::verbs! {
        pub(crate) enum NestVerb for () {
            /// Add a thing.
            Add(Add),
            /// Routes: route add, route show.
            #[command(subcommand)]
            Route(RouteVerb),
        }
    }

    crate::verbs! {
        pub(crate) enum RouteVerb for () {
            /// Add a route.
            Add(RouteAdd),
            /// List routes.
            #[command(visible_alias = "list", visible_alias = "ls")]
            Show(RouteShow),
        }
    }

    #[derive(Debug, clap::Args)]
    pub(crate) struct Add {
        name: String,
    }

    #[derive(Debug, clap::Args)]
    pub(crate) struct RouteAdd {
        destination: String,
        #[arg(long, help_heading = crate::keywords::HEADING)]
        via: Option<std::net::IpAddr>,
    }

    #[derive(Debug, clap::Args)]
    pub(crate) struct RouteShow {}

    #[derive(Serialize, schemars::JsonSchema)]
    pub(crate) struct Named {
        name: String,
    }

    #[derive(Serialize, schemars::JsonSchema)]
    pub(crate) struct Route {
        destination: String,
        gateway: Option<String>,
    }

    #[derive(Serialize, schemars::JsonSchema)]
    #[serde(transparent)]
    pub(crate) struct Routes(Vec<Route>);

    impl Render for Named {}
    impl Render for Route {}
    impl Render for Routes {}

    impl Verb for Add {
        type Ctx = ();
        type Output = Named;
        fn run(self, _ctx: &mut (), _journal: &mut Journal) -> Result<Named> {
            Ok(Named { name: self.name })
        }
    }

    impl Verb for RouteAdd {
        type Ctx = ();
        type Output = Route;
        fn run(self, _ctx: &mut (), _journal: &mut Journal) -> Result<Route> {
            Ok(Route {
                destination: self.destination,
                gateway: self.via.map(|via| via.to_string()),
            })
        }
    }

    impl Verb for RouteShow {
        type Ctx = ();
        type Output = Routes;
        fn run(self, _ctx: &mut (), _journal: &mut Journal) -> Result<Routes> {
            Ok(Routes(vec![]))
        }
    }

    /// Runs a command line of [`NestTool`] and gives the JSON it prints.
    pub(crate) fn run_line(line: &str) -> serde_json::Value {
        let words = std::iter::once("nest")
            .chain(line.split_whitespace())
            .map(String::from);
        let cli = parse::<NestTool>(words).unwrap_or_else(|e| panic!("{line}: {e}"));
        let done = cli
            .verb
            .expect("a verb")
            .run(&mut (), &mut Journal::new())
            .unwrap();
        done.output.json()
    }

    #[test]
    fn nested_verbs_parse_and_run_with_keywords_and_aliases() {
        command::<NestTool>().debug_assert();
        assert_eq!(run_line("add x"), serde_json::json!({"name": "x"}));
        assert_eq!(
            run_line("route add 10.0.0.0/8 via 10.0.0.1"),
            serde_json::json!({"destination": "10.0.0.0/8", "gateway": "10.0.0.1"})
        );
        assert_eq!(run_line("-p route ls"), serde_json::json!([]));
        assert_eq!(run_line("route list"), serde_json::json!([]));
        let words = |line: &'static str| {
            std::iter::once("nest")
                .chain(line.split_whitespace())
                .map(String::from)
        };
        assert!(parse::<NestTool>(words("route")).is_err());
        assert!(parse::<NestTool>(words("route frob")).is_err());
        assert!(parse::<NestTool>(words("route add x via nonsense")).is_err());
    }

    #[test]
    fn every_leaf_has_its_schema_file_and_index_entries() {
        let files = crate::schema::files::<NestTool>();
        let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "nest/add.json",
                "nest/route/add.json",
                "nest/route/show.json",
                "nest/index.json",
                "batch-failure.json"
            ]
        );
        let index: serde_json::Value = serde_json::from_str(&files[3].1).unwrap();
        assert_eq!(
            index,
            serde_json::json!({
                "add": "add.json",
                "route add": "route/add.json",
                "route show": "route/show.json",
                "route list": "route/show.json",
                "route ls": "route/show.json",
            })
        );
        // One leaf, one schema: an object, not a union.
        assert!(files[1].1.contains("\"gateway\""), "{}", files[1].1);
        assert!(!files[1].1.contains("anyOf\": [\n    {"), "{}", files[1].1);
    }

    #[test]
    fn the_man_page_has_a_section_per_leaf_naming_its_schema() {
        let page = String::from_utf8(crate::man::render(command::<NestTool>())).unwrap();
        for needle in [
            ".SH \"NEST ADD\"",
            ".SH \"NEST ROUTE\"",
            ".SH \"NEST ROUTE ADD\"",
            ".SH \"NEST ROUTE SHOW\"",
            "JSON output schema: nest/add.json",
            "JSON output schema: nest/route/add.json",
            "JSON output schema: nest/route/show.json",
        ] {
            assert!(page.contains(needle), "{needle} missing:\n{page}");
        }
    }

    #[test]
    fn tab_completes_the_verbs_of_a_nested_set() {
        let complete = |words: &[&str]| crate::completion::complete_words(command::<NestTool>(), words);
        let verbs = complete(&["nest", "route", ""]);
        assert!(verbs.contains(&"add".to_string()), "{verbs:?}");
        // clap_complete offers one spelling of a verb with aliases.
        assert!(
            verbs.iter().any(|v| ["show", "list", "ls"].contains(&v.as_str())),
            "{verbs:?}"
        );
        assert!(complete(&["nest", "route", "add", "x", "--v"]).contains(&"--via".to_string()));
    }
}
