//! A stand-in tool with a nested verb set (`nest route add`), for the skeleton's tests: dispatch,
//! keywords, schema files and index, man sections, completion (here) and batch lines (batch.rs).

use crate::tool::{command, parse, NoGlobals, Tool};
use crate::verb::{Render, Verb, VerbSet};
use crate::{Journal, Result};
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
        /// Links: link set IF up, or the older link IF STATE.
        Link(LinkForms),
    }
}

crate::verbs! {
    pub(crate) enum LinkVerb for () {
        /// Set a link up.
        Set(Add),
    }
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct LinkForms {
    #[command(subcommand)]
    verb: Option<LinkVerb>,
    #[command(flatten)]
    bare: Option<LinkState>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct LinkState {
    #[arg(required = true)]
    iface: String,
    #[arg(required = true)]
    state: String,
}

impl crate::verb::BareForm for LinkForms {
    type Set = LinkVerb;
    type Bare = LinkState;
    fn split(self) -> std::result::Result<LinkVerb, LinkState> {
        self.verb
            .ok_or_else(|| self.bare.expect("clap requires one form"))
    }
}

impl Verb for LinkState {
    type Ctx = ();
    type Output = Route;
    fn run(self, _ctx: &mut (), _journal: &mut Journal) -> Result<Route> {
        Ok(Route {
            destination: self.iface,
            gateway: Some(self.state),
        })
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
    // A set with a bare form: a verb of the set, else the bare form's own words.
    assert_eq!(run_line("link set x"), serde_json::json!({"name": "x"}));
    assert_eq!(
        run_line("link eth0 up"),
        serde_json::json!({"destination": "eth0", "gateway": "up"})
    );
    assert!(parse::<NestTool>(words("link eth0")).is_err());
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
            "nest/link.json",
            "nest/link/set.json",
            "nest/index.json",
            "batch-failure.json"
        ]
    );
    let index: serde_json::Value = serde_json::from_str(&files[5].1).unwrap();
    assert_eq!(
        index,
        serde_json::json!({
            "add": "add.json",
            "route add": "route/add.json",
            "route show": "route/show.json",
            "route list": "route/show.json",
            "route ls": "route/show.json",
            "link": "link.json",
            "link set": "link/set.json",
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
        ".SH \"NEST LINK\"",
        "JSON output schema: nest/link.json",
        "JSON output schema: nest/link/set.json",
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

#[test]
fn a_line_parses_the_same_with_only_its_verbs_command() {
    use crate::tool::{command_for, parse_with};
    for line in [
        "add x",
        "-p add x",
        "-o text route ls",
        "route add 10.0.0.0/8 via 10.0.0.1",
        "link eth0 up",
        "link set x",
        "--batch - ",
        "-o json -q route show",
        "route",
        "frob",
        "add",
        "-o",
        "--help",
        "route --help",
        "-- add x",
    ] {
        let words: Vec<String> = std::iter::once("nest")
            .chain(line.split_whitespace())
            .map(String::from)
            .collect();
        let narrow = command_for::<NestTool>(&words);
        let one_verb = narrow.get_subcommands().count() <= 1;
        let first = parse_with::<NestTool>(narrow, words.clone());
        let whole = parse_with::<NestTool>(command::<NestTool>(), words);
        let show = |r: &std::result::Result<_, clap::Error>| match r {
            Ok(cli) => format!("{cli:?}"),
            Err(e) => format!("{:?}: {}", e.kind(), e.render()),
        };
        assert_eq!(show(&first), show(&whole), "{line}");
        let names_a_verb = ["add x", "-p add x", "route add", "link eth0", "link set"]
            .iter()
            .any(|start| line.starts_with(start));
        assert!(!names_a_verb || one_verb, "{line}: built more than its verb");
        if line.starts_with("route add") || line.contains("route ls") || line.contains("route show") {
            let words: Vec<String> = std::iter::once("nest")
                .chain(line.split_whitespace())
                .map(String::from)
                .collect();
            let narrow = command_for::<NestTool>(&words);
            let route = narrow.find_subcommand("route").expect("route");
            let verbs: Vec<&str> = route.get_subcommands().map(|c| c.get_name()).collect();
            assert_eq!(verbs.len(), 1, "{line}: the set's other verbs built: {verbs:?}");
            assert_eq!(route.get_about(), whole_route_about(), "{line}");
        }
    }
}

#[test]
fn a_line_parses_the_same_with_presence_flags() {
    // tool::parse reads a line with tool::presence_flags' command first: whatever that accepts
    // must come out as the whole command parses it, and what it refuses (the whole command's
    // error or help) comes from the exact command.
    for line in [
        "add x",
        "-p add x",
        "add x -p",
        "-p add x -p",
        "-p -p add x",
        "add x -p -p",
        "-pj add x",
        "-jp add x",
        "add x -pq",
        "--pretty=true add x",
        "--pretty=false add x",
        "-j add x -o text",
        "-o text -j add x",
        "-q -o text route ls",
        "route -p add 10.0.0.0/8 via 10.0.0.1",
        "route add 10.0.0.0/8 -p via 10.0.0.1 -q",
        "-j route show -p",
        "link eth0 up -p",
        "link -p set x",
        "-p",
        "-p --help",
        "add --help -p",
        "--version",
        "-- add x",
    ] {
        let words: Vec<String> = std::iter::once("nest")
            .chain(line.split_whitespace())
            .map(String::from)
            .collect();
        let fast = crate::tool::parse::<NestTool>(words.clone());
        let whole = crate::tool::parse_with::<NestTool>(command::<NestTool>(), words);
        let show = |r: &std::result::Result<_, clap::Error>| match r {
            Ok(cli) => format!("{cli:?}"),
            Err(e) => format!("{:?}: {}", e.kind(), e.render()),
        };
        assert_eq!(show(&fast), show(&whole), "{line}");
    }
}

/// The about of the whole `route` set, to compare the set's shell with.
fn whole_route_about() -> Option<&'static clap::builder::StyledStr> {
    static WHOLE: std::sync::OnceLock<clap::Command> = std::sync::OnceLock::new();
    WHOLE
        .get_or_init(command::<NestTool>)
        .find_subcommand("route")
        .expect("route")
        .get_about()
}
