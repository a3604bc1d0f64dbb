//! Every JSON document a test reads from a vnet tool is checked against the committed schema of
//! the verb that printed it (schema/ at the workspace root).

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The committed schema directory (schema/ at the workspace root).
pub fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The verb a command line runs: the first argument that names a verb or alias of the tool, with
/// the next one for a verb of a nested set (`route add`: index.json spells it with a space).
pub fn verb_of(tool: &str, args: &[String]) -> Option<String> {
    let index = read_json(&schema_dir().join(tool).join("index.json"));
    let file = |spelling: &str| index.get(spelling).and_then(Value::as_str).map(str::to_string);
    (0..args.len())
        .find_map(|i| {
            let nested = args
                .get(i + 1)
                .and_then(|next| file(&format!("{} {next}", args[i])));
            nested.or_else(|| file(&args[i]))
        })
        .map(|file| file.trim_end_matches(".json").to_string())
}

/// Panics unless `value` is valid against schema/TOOL/VERB.json.
pub fn assert_valid(tool: &str, verb: &str, value: &Value) {
    let schema = read_json(&schema_dir().join(tool).join(format!("{verb}.json")));
    check(&schema, value, &format!("{tool} {verb}"));
}

/// Panics unless a batch record is valid against one of the tool's verb schemas or the failure one.
pub fn assert_valid_record(tool: &str, value: &Value) {
    let mut files = schema_files(&schema_dir().join(tool));
    files.retain(|p| p.file_name().is_some_and(|n| n != "index.json"));
    files.push(schema_dir().join("batch-failure.json"));
    let valid = files
        .iter()
        .any(|f| jsonschema::validator_for(&read_json(f)).is_ok_and(|v| v.is_valid(value)));
    assert!(valid, "batch record of {tool} matches no schema: {value}");
}

/// The schema files under `dir`, those of nested verb sets (route/add.json) too.
fn schema_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .flat_map(|p| if p.is_dir() { schema_files(&p) } else { vec![p] })
        .collect()
}

fn check(schema: &Value, value: &Value, what: &str) {
    let validator = jsonschema::validator_for(schema).unwrap_or_else(|e| panic!("schema of {what}: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "output of {what} does not match its schema: {errors:?}\n{value}"
    );
}
