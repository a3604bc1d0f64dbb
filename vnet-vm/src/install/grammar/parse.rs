//! The sub-option grammar every table option shares: `KEY=VALUE,...`, bare values standing for
//! the option's positional keys, `KEY:VALUE` shorthands, aliases; an unknown sub-option is exit 7
//! naming it (virt-install refuses it too).

use super::table::{OptionDef, Row, OPTIONS};
use crate::spec::Given;
use vnet_common::error::quote;
use vnet_common::{Error, Result};

/// One parsed sub-option: its row and the value given.
pub type Props = Vec<(&'static Row, String)>;

/// The option named `name` (without `--`); every name the table holds.
pub fn option(name: &str) -> &'static OptionDef {
    OPTIONS
        .iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("--{name} is not in the option table"))
}

fn find_row(def: &'static OptionDef, key: &str) -> Option<&'static Row> {
    def.rows.iter().find(|r| r.key == key || r.aliases.contains(&key))
}

/// The key a bare value stands for: the `n`th positional (`PATHKEY|KEY` by the value's shape).
fn positional_key(def: &OptionDef, n: usize, value: &str) -> Option<&'static str> {
    let slot = def.positional.get(n)?;
    Some(match slot.split_once('|') {
        Some((path_key, _)) if value.starts_with('/') => path_key,
        Some((_, key)) => key,
        None => slot,
    })
}

/// `--NAME VALUE` parsed against the option's rows.
pub fn parse(def: &'static OptionDef, value: &str) -> Result<Props> {
    let what = format!("--{} {}", def.name, quote(value));
    let mut props: Props = Vec::new();
    let mut bare = 0;
    // Bare values stand for positional keys only before the first KEY=VALUE (as virt-install).
    let mut keyed = false;
    for part in value.split(',') {
        let (key, val) = match part.split_once('=') {
            Some((k, v)) => {
                keyed = true;
                (k.trim().to_string(), v.trim())
            }
            None if def.rows.iter().any(|r| r.bare(part.trim()).is_some()) => {
                let row = def.rows.iter().find_map(|r| r.bare(part.trim()).map(|v| (r, v)));
                props.push(row.expect("found above"));
                continue;
            }
            None => match part.split_once(':').filter(|(k, _)| find_row(def, k).is_some()) {
                Some((k, v)) if props.is_empty() => (k.to_string(), v),
                _ => {
                    let key = positional_key(def, bare, part)
                        .filter(|_| !keyed)
                        .ok_or_else(|| {
                            Error::invalid(format!("{what}: unknown sub-option {}", quote(part)))
                        })?;
                    bare += 1;
                    (key.to_string(), part.trim())
                }
            },
        };
        let row = find_row(def, &key).ok_or_else(|| {
            Error::invalid(format!("{what}: unknown sub-option {}", quote(&key))).with_hint(format!(
                "--{} takes: {}",
                def.name,
                keys(def)
            ))
        })?;
        if val.is_empty() {
            return Err(Error::invalid(format!("{what}: {}= needs a value", row.key)));
        }
        if !row.is_list() {
            props.retain(|(r, _)| !std::ptr::eq(*r, row));
        }
        props.push((row, val.to_string()));
    }
    Ok(props)
}

/// The sub-option names an option takes, for hints and the reference.
pub fn keys(def: &OptionDef) -> String {
    def.rows.iter().map(|r| r.key).collect::<Vec<_>>().join(", ")
}

/// A typed option's values (`--disk`, `--network`, `--vcpus`, `--cpu`) parsed by the table for
/// the typed readers (spec.rs) to build their values from; --disk/--network `none` passes
/// through with no keys.
pub fn given(name: &str, values: &[String]) -> Result<Vec<Given>> {
    let def = option(name);
    values
        .iter()
        .map(|v| {
            // `none` is --disk's and --network's "no device"; other options read it as a value.
            let keys = match v.as_str() {
                "none" if ["disk", "network"].contains(&name) => Vec::new(),
                _ => parse(def, v)?.into_iter().map(|(r, v)| (r.key, v)).collect(),
            };
            Ok(Given {
                text: v.clone(),
                keys,
            })
        })
        .collect()
}

/// A typed option's values rewritten in their canonical spelling (aliases, bare values and
/// `KEY:VALUE` shorthands resolved) for the typed reader; `none` passes through.
pub fn normalize(name: &str, values: &[String]) -> Result<Vec<String>> {
    let def = option(name);
    values
        .iter()
        .map(|v| {
            if v == "none" {
                return Ok(v.clone());
            }
            let props = parse(def, v)?;
            Ok(props
                .iter()
                .map(|(r, v)| format!("{}={v}", r.key))
                .collect::<Vec<_>>()
                .join(","))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(name: &str, value: &str) -> Vec<(&'static str, String)> {
        parse(option(name), value)
            .unwrap()
            .into_iter()
            .map(|(r, v)| (r.key, v))
            .collect()
    }

    #[test]
    fn positional_shorthand_and_aliases() {
        assert_eq!(pairs("network", "bridge:br0"), vec![("bridge", "br0".into())]);
        assert_eq!(
            pairs(
                "network",
                "network=default,model.type=e1000,mac.address=52:54:00:00:00:01"
            ),
            vec![
                ("network", "default".into()),
                ("model", "e1000".into()),
                ("mac", "52:54:00:00:00:01".into())
            ]
        );
        assert_eq!(
            pairs("rng", "/dev/urandom"),
            vec![("device", "/dev/urandom".into())]
        );
        assert_eq!(pairs("rng", "builtin"), vec![("backend.model", "builtin".into())]);
        assert_eq!(
            pairs("filesystem", "/srv,share"),
            vec![("source", "/srv".into()), ("target", "share".into())]
        );
        assert_eq!(pairs("disk", "/a.img,size=1")[0], ("path", "/a.img".into()));
    }

    #[test]
    fn unknown_sub_option_is_7_naming_it() {
        let err = parse(option("watchdog"), "i6300esb,bogus=1").unwrap_err();
        assert_eq!(err.kind.exit_code(), 7);
        assert!(err.to_string().contains("bogus"), "{err}");
        let err = parse(option("network"), "bridge=br0,extra").unwrap_err();
        assert!(err.to_string().contains("extra"), "{err}");
    }
}
