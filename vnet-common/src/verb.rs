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
    /// Appends the compact JSON to `out`: for records (one --batch line's, one event's), which
    /// are small; serializing into a Vec is the writer serde_json inlines, where each piece
    /// through `dyn Write` was a call of its own.
    fn append_json(&self, out: &mut Vec<u8>);
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

    fn append_json(&self, out: &mut Vec<u8>) {
        // Results are plain structs with string keys, and a Vec takes any length: cannot fail.
        serde_json::to_writer(out, self).expect("a verb result serializes to JSON")
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
    /// `root` with only the verb `word` names (its name or an alias, see
    /// [`names`]) as its subcommand (when none has that
    /// name: None), and of a nested set only the verb `rest`'s first word names: a command line is
    /// parsed without building the clap commands of the other verbs, which was most of a short
    /// listing's start-up.
    fn with_verb(root: clap::Command, word: &str, rest: &[String]) -> Option<clap::Command>;
}

/// The output schema of one entry of a verb set: a leaf verb's, or a nested set's: its bare
/// form's (see [`BareForm`]) and one per verb in the nested set's order.
#[derive(Debug, Clone)]
pub enum OutputSchema {
    Leaf(schemars::Schema),
    Set {
        bare: Option<schemars::Schema>,
        verbs: Vec<OutputSchema>,
    },
}

/// What a variant of a verb set holds, leaf or nested set, so [`verbs!`] dispatches both the same
/// way. `Kind` ([`LeafVerb`] or [`NestedSet`]) only keeps the two implementations apart: the
/// compiler infers it from the one that applies.
pub trait Node<Ctx, Kind> {
    fn run_node(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<Done<Ctx>>;
    fn output_schema() -> OutputSchema;
    /// `root` with this entry's command (see [`VerbSet::with_verb`]): `whole` adds it as declared,
    /// `shell` adds it without its verbs (for a nested set), `rest` is the command line after it.
    fn with_command(
        root: clap::Command,
        whole: AddCommand,
        _shell: AddCommand,
        _rest: &[String],
    ) -> clap::Command {
        whole(root)
    }
}

/// Adds one entry's subcommand to a command (generated by [`verbs!`] from the entry's line).
pub type AddCommand = fn(clap::Command) -> clap::Command;

/// Whether `word` names the entry of a verb set that `by_name` (clap's derived check, names only)
/// and `shell` (the entry's line without its flags or verbs) describe: by its name, or with
/// `by_alias` by one of its aliases, which only the built line knows.
pub fn names(word: &str, by_alias: bool, by_name: fn(&str) -> bool, shell: AddCommand) -> bool {
    match by_alias {
        false => by_name(word),
        true => shell(clap::Command::new(""))
            .get_subcommands()
            .any(|verb| verb.get_all_aliases().any(|alias| alias == word)),
    }
}

/// Stands in for a nested set's verbs (and a leaf's flags) where [`verbs!`] builds the set's own
/// command without them.
#[derive(Debug, Clone, Copy)]
pub struct Shell;

impl clap::FromArgMatches for Shell {
    fn from_arg_matches(_: &clap::ArgMatches) -> std::result::Result<Shell, clap::Error> {
        Ok(Shell)
    }

    fn update_from_arg_matches(&mut self, _: &clap::ArgMatches) -> std::result::Result<(), clap::Error> {
        Ok(())
    }
}

impl clap::Args for Shell {
    fn augment_args(command: clap::Command) -> clap::Command {
        command
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        command
    }
}

impl clap::Subcommand for Shell {
    fn augment_subcommands(command: clap::Command) -> clap::Command {
        command
    }

    fn augment_subcommands_for_update(command: clap::Command) -> clap::Command {
        command
    }

    fn has_subcommand(_: &str) -> bool {
        false
    }
}

/// [`Node`]'s kind for a leaf verb.
pub struct LeafVerb;
/// [`Node`]'s kind for a nested verb set.
pub struct NestedSet;
/// [`Node`]'s kind for a nested verb set with a bare form.
pub struct SetWithBareForm;

/// A nested set whose own words are also a verb, as the older `link NS IFACE up` beside `link set
/// dev IF up`: an Args type holding `#[command(subcommand)] verb: Option<Set>` and the bare verb
/// flattened as `Option<Bare>`, with `#[command(args_conflicts_with_subcommands = true,
/// subcommand_negates_reqs = true)]`, so a first word that names a verb of the set is that verb and
/// any other is the bare form's. The bare form has its own result and schema (schema/TOOL/link.json
/// beside schema/TOOL/link/set.json). Registered in [`verbs!`] as a leaf is, without
/// `#[command(subcommand)]`.
pub trait BareForm: clap::Args {
    type Set: VerbSet;
    type Bare: Verb<Ctx = <Self::Set as VerbSet>::Ctx>;
    /// The verb of the set the line named, or else the bare form.
    fn split(self) -> std::result::Result<Self::Set, Self::Bare>;
}

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
        OutputSchema::Set {
            bare: None,
            verbs: S::output_schemas(),
        }
    }

    fn with_command(
        root: clap::Command,
        whole: AddCommand,
        shell: AddCommand,
        rest: &[String],
    ) -> clap::Command {
        let Some(word) = rest.first() else {
            return whole(root);
        };
        let shell = shell(clap::Command::new(""));
        let set = shell
            .get_subcommands()
            .next()
            .expect("the shell has the set's line");
        match S::with_verb(set.clone(), word, &rest[1..]) {
            Some(set) => root.subcommand(set),
            None => whole(root),
        }
    }
}

impl<B: BareForm> Node<<B::Set as VerbSet>::Ctx, SetWithBareForm> for B {
    fn run_node(
        self,
        ctx: &mut <B::Set as VerbSet>::Ctx,
        journal: &mut Journal,
    ) -> Result<Done<<B::Set as VerbSet>::Ctx>> {
        match self.split() {
            Ok(set) => set.run(ctx, journal),
            Err(bare) => bare.run_node(ctx, journal),
        }
    }

    fn output_schema() -> OutputSchema {
        let OutputSchema::Leaf(bare) = <B::Bare as Node<_, LeafVerb>>::output_schema() else {
            unreachable!("a verb's schema is a leaf's")
        };
        OutputSchema::Set {
            bare: Some(bare),
            verbs: B::Set::output_schemas(),
        }
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

            fn with_verb(
                root: clap::Command,
                word: &str,
                rest: &[String],
            ) -> Option<clap::Command> {
                // One single-verb enum per verb, derived from the verb's own line (its name,
                // aliases and help), so clap builds that verb's command alone; and its shell (the
                // line without flags or verbs), for a nested set to add only the verb named and
                // to read aliases. Names first: no command is built to compare them.
                for by_alias in [false, true] {
                    $( {
                        #[derive(clap::Subcommand)]
                        #[allow(dead_code)]
                        enum One {
                            $(#[$attr])* $variant($args),
                        }
                        #[derive(clap::Subcommand)]
                        #[allow(dead_code)]
                        enum ShellOf<T: clap::Args + clap::Subcommand> {
                            $(#[$attr])* $variant(T),
                        }
                        let shell: $crate::verb::AddCommand =
                            <ShellOf<$crate::verb::Shell> as clap::Subcommand>::augment_subcommands;
                        let by_name = <One as clap::Subcommand>::has_subcommand;
                        if $crate::verb::names(word, by_alias, by_name, shell) {
                            return Some(<$args as $crate::verb::Node<$ctx, _>>::with_command(
                                root,
                                <One as clap::Subcommand>::augment_subcommands,
                                shell,
                                rest,
                            ));
                        }
                    } )+
                }
                None
            }
        }
    };
}
