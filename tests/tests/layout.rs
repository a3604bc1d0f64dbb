//! The workspace's layout rules (issue 18), checked on the source text: no import cycle between
//! sibling modules, no production file over 800 lines and no production function over 80.
//! Unprivileged: it reads files only.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const CRATES: [&str; 5] = ["vnet-common", "vnet-ns", "vnet-bridge", "vnet-net", "vnet-vm"];
const MAX_FILE_LINES: usize = 800;
const MAX_FN_LINES: usize = 80;

/// One source file of a crate: its module path and its code with comments and literals blanked.
struct Source {
    file: PathBuf,
    module: Vec<String>,
    code: String,
    /// Whether the whole file is test code (`tests.rs`, a module declared under `#[cfg(test)]`).
    test_only: bool,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under src/ (`a/b.rs` and `a/b/mod.rs` are `[a, b]`); None for files
/// that are crate roots of their own (src/bin).
fn module_of(src: &Path, file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.first().is_some_and(|p| p == "bin") {
        return None;
    }
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !(stem == "mod" || (parts.is_empty() && (stem == "lib" || stem == "main"))) {
        parts.push(stem.to_string());
    }
    Some(parts)
}

fn sources(krate: &str) -> Vec<Source> {
    let src = workspace().join(krate).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut out: Vec<Source> = files
        .into_iter()
        .filter_map(|file| {
            let module = module_of(&src, &file)?;
            let code = blank_comments_and_literals(&fs::read_to_string(&file).unwrap());
            let test_only = module.last().is_some_and(|m| m == "tests");
            Some(Source {
                file,
                module,
                code,
                test_only,
            })
        })
        .collect();
    // A module declared `#[cfg(test)] mod NAME;` lives in a file of its own: that file is test code.
    let test_modules: BTreeSet<Vec<String>> = out
        .iter()
        .flat_map(|s| {
            test_module_declarations(&s.code).into_iter().map(|name| {
                let mut m = s.module.clone();
                m.push(name);
                m
            })
        })
        .collect();
    for s in &mut out {
        if test_modules.iter().any(|t| s.module.starts_with(t)) {
            s.test_only = true;
        }
    }
    out
}

/// The source with comments (doc comments too), string and char literals replaced by spaces,
/// newlines kept so that line numbers stay.
fn blank_comments_and_literals(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if let Some(len) = raw_string_at(&b, i) {
            for &ch in &b[i..i + len] {
                out.push(blank(ch));
            }
            i += len;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && is_char_literal(&b, i) {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '\'' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                out.push(' ');
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The length of a raw string literal (`r"…"`, `r#"…"#`, `br"…"`) starting at `i`, if one does.
fn raw_string_at(b: &[char], i: usize) -> Option<usize> {
    if i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if b.get(j) == Some(&'b') {
        j += 1;
    }
    if b.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = b[j..].iter().take_while(|&&c| c == '#').count();
    j += hashes;
    if b.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < b.len() {
        if b[j] == '"' && b[j + 1..].iter().take(hashes).filter(|&&c| c == '#').count() == hashes {
            return Some(j + 1 + hashes - i);
        }
        j += 1;
    }
    Some(b.len() - i)
}

/// A quote that opens a char literal (`'a'`, `'\n'`, `'\u{1F}'`) rather than a lifetime (`'a`).
fn is_char_literal(b: &[char], i: usize) -> bool {
    match b.get(i + 1) {
        Some('\\') => true,
        Some(_) => b.get(i + 2) == Some(&'\''),
        None => false,
    }
}

/// Names of the modules a file declares under `#[cfg(test)]` without a body (`mod tests;`).
fn test_module_declarations(code: &str) -> Vec<String> {
    let tokens = tokens(code);
    let mut out = Vec::new();
    for (i, window) in tokens.windows(3).enumerate() {
        if window[0].text == "mod" && window[2].text == ";" && cfg_test_before(&tokens, i) {
            out.push(window[1].text.clone());
        }
    }
    out
}

/// Whether the item starting at token `i` carries `#[cfg(test)]` (attributes and `pub` between).
fn cfg_test_before(tokens: &[Token], i: usize) -> bool {
    cfg_test_start(tokens, i).is_some()
}

/// The first token of the attributes before the item at `i`, if one of them is `#[cfg(test)]`.
fn cfg_test_start(tokens: &[Token], i: usize) -> Option<usize> {
    let mut j = i;
    while j > 0 && tokens[j - 1].text == "pub" {
        j -= 1;
    }
    let mut found = false;
    while j >= 2 && tokens[j - 1].text == "]" {
        let Some(start) = (0..j - 1).rev().find(|&k| tokens[k].text == "#") else {
            break;
        };
        let attr: String = tokens[start..j].iter().map(|t| t.text.as_str()).collect();
        found |= attr == "#[cfg(test)]";
        j = start;
    }
    found.then_some(j)
}

#[derive(Clone, Debug)]
struct Token {
    text: String,
    line: usize,
}

/// Identifiers (with `$` glued on, so `$crate` is not `crate`), `::` and single punctuation.
fn tokens(code: &str) -> Vec<Token> {
    let b: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < b.len() {
        let c = b[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            i += 1;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push(Token {
                text: b[start..i].iter().collect(),
                line,
            });
        } else if c == ':' && b.get(i + 1) == Some(&':') {
            out.push(Token {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                text: c.to_string(),
                line,
            });
            i += 1;
        }
    }
    out
}

/// The token ranges of `#[cfg(test)] mod NAME { … }` blocks: test code inside a production file.
fn test_blocks(tokens: &[Token]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for i in 0..tokens.len().saturating_sub(2) {
        if tokens[i].text == "mod" && tokens[i + 2].text == "{" {
            if let Some(start) = cfg_test_start(tokens, i) {
                out.push((start, matching_brace(tokens, i + 2)));
            }
        }
    }
    out
}

fn matching_brace(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        match t.text.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    tokens.len() - 1
}

/// The tokens of a file's production code: everything but its `#[cfg(test)]` modules.
fn production_tokens(code: &str) -> Vec<Token> {
    let all = tokens(code);
    let blocks = test_blocks(&all);
    all.into_iter()
        .enumerate()
        .filter(|(k, _)| !blocks.iter().any(|&(s, e)| (s..=e).contains(k)))
        .map(|(_, t)| t)
        .collect()
}

/// Every path a file names through `crate::` or `super::` (use trees expanded), made absolute.
fn referenced_paths(module: &[String], tokens: &[Token]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].text.as_str();
        let after_sep = i > 0 && tokens[i - 1].text == "::";
        if (t == "crate" || t == "super") && !after_sep && tokens.get(i + 1).is_some_and(|n| n.text == "::") {
            let mut base: Vec<String> = if t == "crate" { Vec::new() } else { parent(module) };
            let mut j = i + 2;
            while t == "super" && tokens.get(j).is_some_and(|n| n.text == "super") {
                base = parent(&base);
                j += 2;
            }
            i = use_tree(tokens, j, base, &mut out);
        } else {
            i += 1;
        }
    }
    out
}

fn parent(module: &[String]) -> Vec<String> {
    module[..module.len().saturating_sub(1)].to_vec()
}

/// Reads a path or `{a, b::c}` group from token `i` on, below `base`; returns the next token.
fn use_tree(tokens: &[Token], mut i: usize, mut base: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    loop {
        match tokens.get(i).map(|t| t.text.as_str()) {
            Some("{") => {
                i += 1;
                while tokens.get(i).is_some_and(|t| t.text != "}") {
                    i = use_tree(tokens, i, base.clone(), out);
                    if tokens.get(i).is_some_and(|t| t.text == ",") {
                        i += 1;
                    }
                }
                return i + 1;
            }
            Some(word)
                if word
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_') =>
            {
                if word != "self" {
                    base.push(word.to_string());
                }
                i += 1;
                if tokens.get(i).is_some_and(|t| t.text == "::") {
                    i += 1;
                    continue;
                }
                out.push(base);
                return i;
            }
            _ => {
                out.push(base);
                return i;
            }
        }
    }
}

/// Edges between sibling modules: `from` uses something in `to`, both children of `parent`.
fn sibling_edges(sources: &[Source]) -> BTreeMap<Vec<String>, BTreeSet<(String, String)>> {
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<(String, String)>> = BTreeMap::new();
    for s in sources.iter().filter(|s| !s.test_only) {
        for target in referenced_paths(&s.module, &production_tokens(&s.code)) {
            let common = s.module.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common >= s.module.len() || common >= target.len() {
                continue;
            }
            if !modules.contains(&target[..=common]) {
                continue;
            }
            edges
                .entry(s.module[..common].to_vec())
                .or_default()
                .insert((s.module[common].clone(), target[common].clone()));
        }
    }
    edges
}

/// The cycles among one folder's children, each as its strongly connected set of modules.
fn cycles(edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    let reaches = |from: &String, to: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(n) = stack.pop() {
            for (_, b) in edges.iter().filter(|(a, _)| a == n) {
                if b == to {
                    return true;
                }
                if seen.insert(b) {
                    stack.push(b);
                }
            }
        }
        false
    };
    let mut out: Vec<Vec<String>> = Vec::new();
    for &n in &nodes {
        if out.iter().any(|c| c.contains(n)) || !reaches(n, n) {
            continue;
        }
        let members = nodes
            .iter()
            .filter(|&&m| m == n || reaches(n, m) && reaches(m, n));
        out.push(members.map(|m| m.to_string()).collect());
    }
    out
}

/// Each function's first line and length (from `fn` to its closing brace), bodies only.
fn function_lengths(tokens: &[Token]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for i in 0..tokens.len().saturating_sub(1) {
        if tokens[i].text != "fn"
            || !tokens[i + 1]
                .text
                .starts_with(|c: char| c.is_alphabetic() || c == '_')
        {
            continue;
        }
        let mut parens = 0i32;
        let body = tokens[i..].iter().position(|t| {
            match t.text.as_str() {
                "(" | "[" => parens += 1,
                ")" | "]" => parens -= 1,
                _ => {}
            }
            parens == 0 && (t.text == "{" || t.text == ";")
        });
        let Some(body) = body.map(|k| k + i) else { continue };
        if tokens[body].text == ";" {
            continue;
        }
        let end = matching_brace(tokens, body);
        let lines = tokens[end].line - tokens[i].line + 1;
        out.push((tokens[i + 1].text.clone(), tokens[i].line, lines));
    }
    out
}

fn relative(file: &Path) -> String {
    file.strip_prefix(workspace()).unwrap().display().to_string()
}

#[test]
fn no_import_cycles_between_sibling_modules() {
    let mut found = Vec::new();
    for krate in CRATES {
        let edges = sibling_edges(&sources(krate));
        assert!(
            !edges.is_empty(),
            "{krate}: no module uses a sibling: the checker reads nothing"
        );
        for (parent, edges) in edges {
            for cycle in cycles(&edges) {
                let at = if parent.is_empty() {
                    "crate root".to_string()
                } else {
                    parent.join("::")
                };
                found.push(format!("{krate}: {} (in {at})", cycle.join(" <-> ")));
            }
        }
    }
    assert!(
        found.is_empty(),
        "import cycles between sibling modules:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_production_file_over_800_lines() {
    let mut found = Vec::new();
    for krate in CRATES {
        for s in sources(krate).iter().filter(|s| !s.test_only) {
            let tokens = production_tokens(&s.code);
            let lines = tokens.last().map_or(0, |t| t.line);
            if lines > MAX_FILE_LINES {
                found.push(format!("{}: {lines} lines of production code", relative(&s.file)));
            }
        }
    }
    assert!(
        found.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_production_function_over_80_lines() {
    let mut found = Vec::new();
    for krate in CRATES {
        for s in sources(krate).iter().filter(|s| !s.test_only) {
            for (name, line, lines) in function_lengths(&production_tokens(&s.code)) {
                if lines > MAX_FN_LINES {
                    found.push(format!(
                        "{}:{line}: fn {name} is {lines} lines",
                        relative(&s.file)
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "functions over {MAX_FN_LINES} lines:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checker_reads_use_trees_and_skips_comments() {
    let code = blank_comments_and_literals(
        "// use crate::a::X;\n/// crate::b::Y\nuse crate::{c::Z, d::{e, f::G}};\nuse super::super::h;\n\
         let s = \"crate::i::J\"; let r = r#\"crate::k\"#; let c = '{';\nfn x<'a>() { $crate::l::M }\n",
    );
    let module = vec!["p".to_string(), "q".to_string()];
    let paths = referenced_paths(&module, &tokens(&code));
    let want: Vec<Vec<String>> = [vec!["c", "Z"], vec!["d", "e"], vec!["d", "f", "G"], vec!["h"]]
        .iter()
        .map(|p| p.iter().map(|s| s.to_string()).collect())
        .collect();
    assert_eq!(paths, want);
    let lengths = function_lengths(&tokens(&code));
    assert_eq!(lengths, vec![("x".to_string(), 6, 1)]);
    let edges: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(
        cycles(&edges),
        vec![vec!["a".to_string(), "b".into(), "c".into()]]
    );
}
