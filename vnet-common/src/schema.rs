//! JSON Schemas of every verb's output, generated from the result types (schemars) and committed
//! under schema/TOOL/VERB.json (a verb of a nested set, `route add`, under
//! schema/TOOL/route/add.json), with schema/TOOL/index.json mapping each verb name and alias
//! (`"route ls"` for a nested one: the words of the command line, one space apart) to its file,
//! and schema/batch-failure.json for a failed batch line's record. A test per tool fails when the
//! committed files are stale (regenerate with VNET_UPDATE_SCHEMA=1 cargo test schema).

use crate::tool::{command, Tool};
use crate::verb::{OutputSchema, VerbSet};
use clap::Command;
use std::collections::BTreeMap;

/// Every file this tool's schemas consist of: (path under schema/, content).
pub fn files<T: Tool>() -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut index = BTreeMap::new();
    let command = command::<T>();
    let mut tree = Tree {
        tool: T::NAME,
        files: &mut files,
        index: &mut index,
    };
    tree.add_set(&command, "", &[String::new()], T::Verbs::output_schemas());
    files.push((format!("{}/index.json", T::NAME), pretty(&index)));
    let failure = schemars::schema_for!(crate::output::Failure);
    files.push(("batch-failure.json".to_string(), pretty(&closed(failure))));
    files
}

/// The schema files and index entries of a tool, gathered walking its verb tree.
struct Tree<'a> {
    tool: &'static str,
    files: &'a mut Vec<(String, String)>,
    index: &'a mut BTreeMap<String, String>,
}

impl Tree<'_> {
    /// One verb's schema file (folder/NAME.json) and its spellings in the index.
    fn add_leaf(&mut self, verb: &Command, folder: &str, spelled: Vec<String>, schema: schemars::Schema) {
        let file = format!("{folder}{}.json", verb.get_name());
        for spelling in spelled {
            self.index.insert(spelling, file.clone());
        }
        self.files
            .push((format!("{}/{file}", self.tool), pretty(&closed(schema))));
    }

    /// The verbs of `set` (the tool's root or a nested set), found under `folder` (`""` or
    /// `"route/"`) and spelled after any of `spellings` (`""`, or `"route "` and its aliases).
    fn add_set(&mut self, set: &Command, folder: &str, spellings: &[String], schemas: Vec<OutputSchema>) {
        let verbs = set.get_subcommands().filter(|c| c.get_name() != "help");
        for (verb, schema) in verbs.zip(schemas) {
            let names: Vec<&str> = std::iter::once(verb.get_name())
                .chain(verb.get_all_aliases())
                .collect();
            let spelled: Vec<String> = spellings
                .iter()
                .flat_map(|prefix| names.iter().map(move |name| format!("{prefix}{name}")))
                .collect();
            match schema {
                OutputSchema::Leaf(schema) => self.add_leaf(verb, folder, spelled, schema),
                OutputSchema::Set { bare, verbs } => {
                    if let Some(bare) = bare {
                        self.add_leaf(verb, folder, spelled.clone(), bare);
                    }
                    let folder = format!("{folder}{}/", verb.get_name());
                    let spellings: Vec<String> = spelled.into_iter().map(|s| s + " ").collect();
                    self.add_set(verb, &folder, &spellings, verbs);
                }
            }
        }
    }
}

/// Closes every object schema (`additionalProperties: false`), so a field printed but not
/// declared in the result type fails validation: no silent drift between output and schema.
fn closed(schema: schemars::Schema) -> serde_json::Value {
    let mut value = schema.to_value();
    close_objects(&mut value);
    value
}

fn close_objects(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), false.into());
            }
            map.values_mut().for_each(close_objects);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

fn pretty(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a schema serializes");
    text.push('\n');
    text
}

/// For each tool's `schemas_are_current` test: panics when a committed schema is stale or missing,
/// or with VNET_UPDATE_SCHEMA=1 rewrites them. Test-only: built with the `testing` feature the
/// tools' dev-dependencies enable, never shipped.
#[cfg(any(test, feature = "testing"))]
pub fn assert_current<T: Tool>(schema_dir: &std::path::Path) {
    let update = std::env::var_os("VNET_UPDATE_SCHEMA").is_some();
    let mut stale = Vec::new();
    for (name, content) in files::<T>() {
        let path = schema_dir.join(&name);
        if update {
            std::fs::create_dir_all(path.parent().expect("a file in a folder")).expect("mkdir schema");
            std::fs::write(&path, content).expect("write a schema");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing schemas {stale:?}: regenerate with VNET_UPDATE_SCHEMA=1 cargo test schema"
    );
}
