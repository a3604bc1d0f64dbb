//! Edits of the finished domain document: the options whose rows name properties of `<domain>`
//! itself (Kind::Properties: --features, --clock, --pm, --sysinfo, --cputune, --keywrap,
//! --qemu-commandline, --boot's firmware sub-options) and virt-install's `--xml` XPath edits,
//! applied after them, in the order given. Everything is parsed here, before anything is
//! touched: a bad sub-option, value or XPath is exit 7 naming it.

use super::domain_rows::{BOOT, BOOT_TYPED, QEMU_NS};
use super::parse::Props;
use super::rows::{Row, Value};
use super::table::OptionDef;
use crate::spec::Keys;
use crate::xml::domain::xpath::{self, XPath};
use crate::xml::domain::Element;
use vnet_common::error::quote;
use vnet_common::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// The attribute or text at the path.
    Set(String),
    /// The element at the path, made with the steps missing (xpath.create, `acpi=on`).
    Make,
    /// The attribute or element removed (xpath.delete, `acpi=off`).
    Delete,
    /// A new last child named by the path's last step with these attributes (`<qemu:arg>`).
    Append(Vec<(String, String)>),
    /// Set unless set, when every (path, value) holds (`*`: anything there).
    Default(&'static str, &'static [(&'static str, &'static str)]),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub path: XPath,
    pub op: Op,
}

/// A row's path, `[N]` made the given position; rows are the table's own, so they parse.
fn row_path(xml: &str, index: Option<usize>) -> XPath {
    let xml = match index {
        Some(i) => xml.replace("[N]", &format!("[{}]", i + 1)),
        None => xml.to_string(),
    };
    XPath::parse(&format!("./{xml}")).unwrap_or_else(|| panic!("row path {xml} is in the XPath subset"))
}

/// The row `key` names (its aliases too); `timer0.name` finds `timer[N].name` with index 0.
fn find_row<'a>(rows: &'a [Row], key: &str) -> Option<(&'a Row, Option<usize>)> {
    if let Some(r) = rows.iter().find(|r| r.key == key || r.aliases.contains(&key)) {
        return Some((r, None));
    }
    let start = key.find(|c: char| c.is_ascii_digit())?;
    let len = key[start..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(key.len() - start);
    let index: usize = key[start..start + len].parse().ok().filter(|n| *n < 1024)?;
    let pattern = format!("{}[N]{}", &key[..start], &key[start + len..]);
    rows.iter().find(|r| r.key == pattern).map(|r| (r, Some(index)))
}

/// on/off in any of virt-install's spellings.
fn on_off(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" | "1" => Some(true),
        "off" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// The value as the row writes it (on/off spelled as libvirt wants, MiB made KiB); Present
/// rows give "on" or "off".
fn written(what: &str, row: &Row, value: &str) -> Result<String> {
    let flag = || {
        on_off(value)
            .ok_or_else(|| Error::invalid(format!("{what}: {}={}: use on or off", row.key, quote(value))))
    };
    Ok(match row.value {
        Value::Given | Value::Each | Value::Word => value.to_string(),
        Value::YesNo => if flag()? { "yes" } else { "no" }.into(),
        Value::OnOff | Value::Present => if flag()? { "on" } else { "off" }.into(),
        Value::MibToKib => match value.parse::<u64>().ok().and_then(|m| m.checked_mul(1024)) {
            Some(kib) => kib.to_string(),
            None => {
                return Err(Error::invalid(format!(
                    "{what}: {}={}: a size in MiB",
                    row.key,
                    quote(value)
                )))
            }
        },
    })
}

/// A device or top-level option's values as their rows write them (table.rs's Device and
/// Domain options; most rows take the value as given).
pub fn convert(def: &OptionDef, value: &str, props: Props) -> Result<Props> {
    let what = format!("--{} {}", def.name, quote(value));
    props
        .into_iter()
        .filter(|(row, v)| !unset_keymap(def, row, v))
        .map(|(row, v)| Ok((row, written(&what, row, &v)?)))
        .collect()
}

/// virt-install's `--graphics keymap=local` (no longer implemented there), `none` or empty:
/// no keymap in the XML, the guest's display uses its default.
fn unset_keymap(def: &OptionDef, row: &Row, value: &str) -> bool {
    def.name == "graphics"
        && row.key == "keymap"
        && ["", "local", "none"].contains(&value.to_ascii_lowercase().as_str())
}

fn edit_for(what: &str, row: &Row, index: Option<usize>, value: &str) -> Result<Edit> {
    let path = row_path(row.xml, index);
    let value = written(what, row, value)?;
    let op = match (row.value, value.as_str()) {
        (Value::Present, "on") => Op::Make,
        (Value::Present, _) => Op::Delete,
        _ => Op::Set(value),
    };
    Ok(Edit { path, op })
}

/// `KEY=VALUE,...` against `rows`: a bare value is the positional key's (only first), a part
/// without `=` after a plain value continues it (virt-install's values with commas:
/// `vcpupin0.cpuset=0,2`).
fn keyed_parts<'a>(
    what: &str,
    rows: &'a [Row],
    positional: Option<&str>,
    value: &str,
) -> Result<Vec<(&'a Row, Option<usize>, String)>> {
    let mut out: Vec<(&Row, Option<usize>, String)> = Vec::new();
    for (i, part) in value.split(',').enumerate() {
        let (key, val) = match (part.split_once('='), positional, out.last_mut()) {
            (Some((k, v)), _, _) => (k.trim(), v),
            (None, _, _) if rows.iter().any(|r| r.bare(part.trim()).is_some()) => {
                let row = rows.iter().find_map(|r| r.bare(part.trim()).map(|v| (r, v)));
                let (row, v) = row.expect("found above");
                out.push((row, None, v));
                continue;
            }
            (None, Some(p), _) if i == 0 => (p, part),
            // virt-install refuses a bare sub-option too ("had no value set").
            (None, _, _) if find_row(rows, part.trim()).is_some() => {
                return Err(Error::invalid(format!(
                    "{what}: sub-option {} needs a value",
                    quote(part)
                )))
            }
            (None, _, Some(last)) if last.0.value == Value::Given => {
                last.2.push(',');
                last.2.push_str(part);
                continue;
            }
            _ => {
                return Err(Error::invalid(format!(
                    "{what}: unknown sub-option {}",
                    quote(part)
                )))
            }
        };
        let (row, index) = find_row(rows, key).ok_or_else(|| {
            let known: Vec<&str> = rows.iter().map(|r| r.key).collect();
            Error::invalid(format!("{what}: unknown sub-option {}", quote(key)))
                .with_hint(format!("it takes: {}", known.join(", ")))
        })?;
        if val.is_empty() {
            return Err(Error::invalid(format!("{what}: {key}= needs a value")));
        }
        out.push((row, index, val.to_string()));
    }
    Ok(out)
}

/// `--NAME VALUE` of a Kind::Properties option.
pub fn parse_props(def: &'static OptionDef, value: &str) -> Result<Vec<Edit>> {
    let what = format!("--{} {}", def.name, quote(value));
    if def.name == "qemu-commandline" {
        return qemu_commandline(&what, value);
    }
    let mut edits = Vec::new();
    for (row, index, val) in keyed_parts(&what, def.rows, def.positional.first().copied(), value)? {
        edits.push(match (def.name, row.key) {
            ("sysinfo", "type") => sysinfo_type(&what, &val)?,
            _ => edit_for(&what, row, index, &val)?,
        });
    }
    edits.extend(def.defaults.iter().map(|d| Edit {
        path: row_path(d.xml, None),
        op: Op::Default(d.value, d.when),
    }));
    Ok(edits)
}

/// `--sysinfo host|emulate` takes the SMBIOS tables from the host or QEMU (`<os><smbios>`, no
/// `<sysinfo>`); `smbios` is the entries given.
fn sysinfo_type(what: &str, value: &str) -> Result<Edit> {
    let (path, value) = match value {
        "host" | "emulate" => ("./os/smbios/@mode", value),
        "smbios" => ("./sysinfo/@type", value),
        _ => {
            return Err(Error::invalid(format!(
                "{what}: type={}: use smbios, host or emulate",
                quote(value)
            )))
        }
    };
    Ok(Edit {
        path: XPath::parse(path).expect("a fixed path"),
        op: Op::Set(value.to_string()),
    })
}

/// `--qemu-commandline '-device foo'` (args=, each word one argument) or `env=NAME=VALUE`, as
/// virt-install: the whole value, commas included.
fn qemu_commandline(what: &str, value: &str) -> Result<Vec<Edit>> {
    let path = |p: &str| XPath::parse(p).expect("a fixed path");
    let mut edits = vec![Edit {
        path: path("./qemu:commandline/@xmlns:qemu"),
        op: Op::Default(QEMU_NS, &[]),
    }];
    if let Some(env) = value.strip_prefix("env=") {
        let (name, val) = env
            .split_once('=')
            .filter(|(n, _)| !n.is_empty())
            .ok_or_else(|| Error::invalid(format!("{what}: env= takes NAME=VALUE")))?;
        edits.push(Edit {
            path: path("./qemu:commandline/qemu:env"),
            op: Op::Append(vec![("name".into(), name.into()), ("value".into(), val.into())]),
        });
        return Ok(edits);
    }
    let args = value.strip_prefix("args=").unwrap_or(value);
    if args.split_whitespace().next().is_none() {
        return Err(Error::invalid(format!("{what}: no QEMU arguments given")));
    }
    edits.extend(args.split_whitespace().map(|word| Edit {
        path: path("./qemu:commandline/qemu:arg"),
        op: Op::Append(vec![("value".into(), word.into())]),
    }));
    Ok(edits)
}

/// `--boot VALUE` parsed against --boot's rows: the typed rows' sub-options (order, uefi, the
/// kernel) under their keys for spec.rs, and the edits of the `<os>` property rows (loader=,
/// nvram.template=, firmware.feature0.name=, menu=on, ...).
pub fn split_boot(value: &str) -> Result<(Keys, Vec<Edit>)> {
    let what = format!("--boot {}", quote(value));
    let mut typed = Vec::new();
    let mut edits = Vec::new();
    for (row, index, v) in keyed_parts(&what, BOOT, None, value)? {
        match BOOT[..BOOT_TYPED].iter().any(|r| std::ptr::eq(r, row)) {
            true => typed.push((row.key, v)),
            false => edits.push(edit_for(&what, row, index, &v)?),
        }
    }
    Ok((typed, edits))
}

/// One numbered XPath edit's keys (set, create, delete, value) and their values.
type XPathKeys = Vec<(String, String)>;

/// `xpathN.KEY=REST` (N empty or digits, KEY set, create, delete or value): (N, KEY, REST).
fn xpath_part(part: &str) -> Option<(&str, &str, &str)> {
    let rest = part.strip_prefix("xpath")?;
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (n, rest) = rest.split_at(digits);
    let (key, value) = rest.strip_prefix('.')?.split_once('=')?;
    ["set", "create", "delete", "value"]
        .contains(&key)
        .then_some((n, key, value))
}

/// The `xpathN.KEY=` parts of a value (each one's value runs on over parts without `=`, as
/// virt-install's can_comma values do), grouped by N in order; and the value's other parts.
fn xpath_groups(value: &str) -> (Vec<XPathKeys>, Vec<&str>) {
    let mut groups: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut own = Vec::new();
    let mut last_was_xpath = false;
    for part in value.split(',') {
        if let Some((n, key, v)) = xpath_part(part) {
            let at = match groups.iter().position(|(g, _)| g == n) {
                Some(at) => at,
                None => {
                    groups.push((n.to_string(), Vec::new()));
                    groups.len() - 1
                }
            };
            groups[at].1.push((key.to_string(), v.to_string()));
            last_was_xpath = true;
        } else if last_was_xpath && !part.contains('=') {
            let last = groups.iter_mut().flat_map(|(_, g)| g.last_mut()).last();
            let (_, v) = last.expect("an xpath part came before");
            v.push(',');
            v.push_str(part);
        } else {
            own.push(part);
            last_was_xpath = false;
        }
    }
    (groups.into_iter().map(|(_, g)| g).collect(), own)
}

/// A device or element option's value without its `xpathN.set=`, `.create=`, `.delete=`,
/// `.value=` parts, and the edits those make: virt-install's XPath edits of the option's own
/// element (`./@action` is that element's attribute), one per N.
pub fn split_xpaths(def: &OptionDef, value: &str) -> Result<(String, Vec<Edit>)> {
    let what = format!("--{} {}", def.name, quote(value));
    let (groups, own) = xpath_groups(value);
    let edits = groups
        .iter()
        .map(|keys| xpath_edit(&what, keys))
        .collect::<Result<_>>()?;
    Ok((own.join(","), edits))
}

/// `--xml XPATH=VALUE`, `--xml xpath.set=XPATH=VALUE` (or with xpath.value=VALUE),
/// `xpath.create=XPATH`, `xpath.delete=XPATH` (also numbered, `xpath1.set=`, one edit per
/// --xml as virt-install makes it). An empty value removes (virt-install's rule).
pub fn parse_xml(value: &str) -> Result<Edit> {
    let what = format!("--xml {}", quote(value));
    let (mut groups, own) = match xpath_part(value) {
        None => (vec![vec![("set".to_string(), value.to_string())]], Vec::new()),
        Some(_) => xpath_groups(value),
    };
    if let Some(part) = own.first() {
        return Err(Error::invalid(format!(
            "{what}: unknown sub-option {}",
            quote(part)
        )));
    }
    if groups.len() > 1 {
        return Err(Error::invalid(format!(
            "{what}: one XPath edit per --xml (give each xpathN its own --xml)"
        )));
    }
    xpath_edit(&what, &groups.remove(0))
}

/// One XPath edit from its set/create/delete/value keys.
fn xpath_edit(what: &str, keys: &[(String, String)]) -> Result<Edit> {
    let get = |k: &str| keys.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let (expr, op) = if let Some(x) = get("delete") {
        (x.to_string(), Op::Delete)
    } else if let Some(x) = get("create") {
        (x.to_string(), Op::Make)
    } else {
        let set =
            get("set").ok_or_else(|| Error::invalid(format!("{what}: xpath.value= needs xpath.set=")))?;
        let (expr, val) = match get("value") {
            Some(v) => (set, v),
            None => set.rsplit_once('=').ok_or_else(|| {
                Error::invalid(format!("{what}: setting an XPath takes the form XPATH=VALUE"))
            })?,
        };
        let op = if val.is_empty() {
            Op::Delete
        } else {
            Op::Set(val.to_string())
        };
        (expr.to_string(), op)
    };
    let path = XPath::parse(&expr).ok_or_else(|| {
        Error::invalid(format!(
            "{what}: the XPath {} is not supported by vnet-vm install",
            quote(&expr)
        ))
        .with_hint("supported: ./a/b (or /domain/a/b), steps with [N] or [@attr='v'], @attr as the last step")
    })?;
    Ok(Edit { path, op })
}

/// The attribute's value, or the element's text ("" when it has none), at `path`.
fn lookup(root: &mut Element, path: &XPath) -> Option<String> {
    let e = xpath::find(root, &path.steps)?;
    match &path.attr {
        Some(a) => e.attrs.iter().find(|(k, _)| k == a).map(|(_, v)| v.clone()),
        None => Some(e.text.clone().unwrap_or_default()),
    }
}

fn apply_one(root: &mut Element, edit: &Edit) {
    match &edit.op {
        Op::Set(v) => xpath::set(root, &edit.path, v),
        Op::Make => {
            xpath::make(root, &edit.path.steps);
        }
        Op::Delete => xpath::delete(root, &edit.path),
        Op::Append(attrs) => {
            let Some((last, parent)) = edit.path.steps.split_last() else {
                return;
            };
            let mut e = Element::new(&last.name);
            e.attrs = attrs.clone();
            xpath::make(root, parent).children.push(e);
        }
        Op::Default(value, when) => {
            let holds = when.iter().all(|(p, want)| {
                let found = lookup(root, &row_path(p, None));
                found.is_some_and(|f| *want == "*" || f == *want)
            });
            if holds && lookup(root, &edit.path).is_none() {
                xpath::set(root, &edit.path, value);
            }
        }
    }
}

/// An element (a device's own, for its option's xpathN edits) with the edits applied in order.
pub fn apply_to(root: &mut Element, edits: &[Edit]) {
    for edit in edits {
        apply_one(root, edit);
    }
}

/// The document with the edits applied in order (unchanged when there are none).
pub fn apply(xml: String, edits: &[Edit]) -> String {
    if edits.is_empty() {
        return xml;
    }
    let mut root = Element::parse(&xml).expect("install's own domain XML parses");
    for edit in edits {
        apply_one(&mut root, edit);
    }
    root.to_document()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::install::grammar::parse::option;

    fn doc(edits: &[Edit]) -> Element {
        let base = "<domain type=\"qemu\"><os><type>hvm</type></os><features><acpi/><apic/></features><clock offset=\"utc\"/></domain>";
        Element::parse(&apply(base.to_string(), edits)).unwrap()
    }

    fn props(name: &str, value: &str) -> Result<Vec<Edit>> {
        parse_props(option(name), value)
    }

    #[test]
    fn every_row_path_is_in_the_subset() {
        for def in super::super::table::OPTIONS {
            if matches!(def.kind, super::super::table::Kind::Properties) {
                for r in def.rows.iter().filter(|r| r.key != "env") {
                    row_path(r.xml, Some(0));
                }
            }
        }
        for r in &BOOT[BOOT_TYPED..] {
            row_path(r.xml, Some(0));
        }
    }

    #[test]
    fn property_options_edit_the_document() {
        let mut edits = props(
            "features",
            "kvm_hidden=on,smm.state=on,hyperv.relaxed.state=on,acpi=off",
        )
        .unwrap();
        edits.extend(
            props(
                "clock",
                "offset=localtime,timer0.name=rtc,timer0.tickpolicy=catchup,rtc_tickpolicy=delay",
            )
            .unwrap(),
        );
        edits.extend(props("pm", "suspend_to_mem.enabled=off").unwrap());
        edits.extend(props("cputune", "vcpupin0.vcpu=0,vcpupin0.cpuset=0,2").unwrap());
        edits.extend(props("sysinfo", "system.serial=S1").unwrap());
        edits.extend(props("qemu-commandline", "-device foo,bar=1").unwrap());
        let d = doc(&edits);
        assert_eq!(d.get("features/kvm/hidden/@state"), Some("on"));
        assert_eq!(d.get("features/smm/@state"), Some("on"));
        let features: Vec<&str> = d.children[1].children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(features, ["apic", "kvm", "smm", "hyperv"]);
        assert_eq!(d.get("clock/@offset"), Some("localtime"));
        assert_eq!(d.get("clock/timer/@tickpolicy"), Some("delay"));
        assert_eq!(d.get("pm/suspend-to-mem/@enabled"), Some("no"));
        assert_eq!(d.get("cputune/vcpupin/@cpuset"), Some("0,2"));
        assert_eq!(d.get("sysinfo/@type"), Some("smbios"));
        assert_eq!(d.get("os/smbios/@mode"), Some("sysinfo"));
        let q = d.children.iter().find(|c| c.name == "qemu:commandline").unwrap();
        assert_eq!(q.children.len(), 2);
        assert_eq!(q.children[1].attrs[0].1, "foo,bar=1");
        let d = doc(&props("sysinfo", "host").unwrap());
        assert_eq!(d.get("os/smbios/@mode"), Some("host"));
        assert!(d.get("sysinfo/@type").is_none());
    }

    #[test]
    fn boot_splits_typed_and_property_parts() {
        let (typed, edits) = split_boot(
            "uefi,hd,loader=/l.fd,loader.readonly=yes,menu=on,firmware.feature1.name=secure-boot,firmware.feature1.enabled=no",
        )
        .unwrap();
        assert_eq!(
            typed,
            [
                ("uefi", "uefi".to_string()),
                ("hd|cdrom|network|fd", "hd".to_string())
            ]
        );
        let d = doc(&edits);
        assert_eq!(d.get("os/loader"), Some("/l.fd"));
        assert_eq!(d.get("os/loader/@readonly"), Some("yes"));
        assert_eq!(d.get("os/bootmenu/@enable"), Some("yes"));
        let fw = d.children[0]
            .children
            .iter()
            .find(|c| c.name == "firmware")
            .unwrap();
        assert_eq!(fw.children.len(), 2);
        assert_eq!(fw.children[1].attrs.len(), 2);
    }

    #[test]
    fn xml_edits_and_refusals() {
        let e = parse_xml("./devices/graphics/@listen=0.0.0.0").unwrap();
        assert_eq!(e.op, Op::Set("0.0.0.0".into()));
        let e = parse_xml("xpath.set=./clock/@offset,xpath.value=localtime").unwrap();
        assert_eq!(e.op, Op::Set("localtime".into()));
        assert_eq!(parse_xml("xpath.delete=./features/acpi").unwrap().op, Op::Delete);
        assert_eq!(parse_xml("xpath.create=./features/pae").unwrap().op, Op::Make);
        let d = doc(&[
            parse_xml("xpath.delete=./clock").unwrap(),
            parse_xml("./name=x,y").unwrap(),
        ]);
        assert!(d.get("clock").is_none());
        assert_eq!(d.get("name"), Some("x,y"));
        for bad in ["./devices/*/@x=1", "xpath.bogus=./a", "./a", "xpath.set=//disk=1"] {
            let err = parse_xml(bad).unwrap_err();
            assert_eq!(err.kind.exit_code(), 7, "{bad}");
        }
        let err = parse_xml("./devices/disk[last()]/@x=1").unwrap_err();
        assert!(err.to_string().contains("disk[last()]"), "{err}");
        let err = props("features", "acpi=off,pae").unwrap_err();
        assert!(err.to_string().contains("'pae' needs a value"), "{err}");
        assert!(props("clock", "localtime").is_err());
        for (opt, bad) in [
            ("features", "kvm_hidden=maybe"),
            ("clock", "bogus=1"),
            ("sysinfo", "windows"),
            ("pm", "suspend_to_mem.enabled=perhaps"),
        ] {
            let err = props(opt, bad).unwrap_err();
            assert_eq!(err.kind.exit_code(), 7, "{opt} {bad}");
        }
    }
}
