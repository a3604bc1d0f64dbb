//! The XPath subset virt-install's `--xml` documents and scripts use, on the [`Element`] tree:
//! child steps (`./devices/graphics`, also from `/domain/`), a position `[N]` (1-based) or an
//! attribute test `[@attr='v']` on a step, and `@attr` as the last step; anything else is
//! refused naming the expression. A set or create makes the missing steps, as virt-install does.
//!
//! Why not an XPath crate: the XPath crates (sxd-xpath, xpath_reader) evaluate over their own
//! read-only DOM and cannot create the nodes a set needs; the subset virt-install itself
//! implements for creating nodes (virtinst/xmlapi.py) is this one, on the tree install already
//! writes with quick-xml.

use super::element::Element;

/// A step's test beyond its name.
#[derive(Debug, Clone, PartialEq)]
pub enum Pred {
    None,
    /// `[N]`: the Nth child of that name (1-based).
    Index(usize),
    /// `[@attr='v']`: the first child of that name with this attribute value.
    Attr(String, String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: String,
    pub pred: Pred,
}

/// A parsed expression: element steps below `<domain>`, then optionally an attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct XPath {
    pub steps: Vec<Step>,
    pub attr: Option<String>,
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c))
}

fn parse_pred(pred: &str) -> Option<Pred> {
    if let Ok(n) = pred.parse::<usize>() {
        return (n >= 1).then_some(Pred::Index(n));
    }
    let (attr, value) = pred.strip_prefix('@')?.split_once('=')?;
    let value = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))?;
    is_name(attr).then(|| Pred::Attr(attr.to_string(), value.to_string()))
}

fn parse_step(step: &str) -> Option<Step> {
    let (name, pred) = match step.split_once('[') {
        Some((name, rest)) => (name, parse_pred(rest.strip_suffix(']')?)?),
        None => (step, Pred::None),
    };
    is_name(name).then(|| Step {
        name: name.to_string(),
        pred,
    })
}

impl XPath {
    /// `./a/b[2]/c[@x='y']/@attr` (or `/domain/a/...`); None outside the subset.
    pub fn parse(expr: &str) -> Option<XPath> {
        let rest = match expr {
            "." | "/domain" => "",
            _ => expr
                .strip_prefix("./")
                .or_else(|| expr.strip_prefix("/domain/"))?,
        };
        let mut parts: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('/').collect()
        };
        let attr = match parts.last().and_then(|p| p.strip_prefix('@')) {
            Some(a) if is_name(a) => Some(a.to_string()),
            Some(_) => return None,
            None => None,
        };
        if attr.is_some() {
            parts.pop();
        }
        let steps = parts.into_iter().map(parse_step).collect::<Option<Vec<_>>>()?;
        Some(XPath { steps, attr })
    }
}

fn matches(e: &Element, step: &Step) -> bool {
    e.name == step.name
        && match &step.pred {
            Pred::Attr(a, v) => e.attrs.iter().any(|(k, x)| k == a && x == v),
            _ => true,
        }
}

/// The index among `parent`'s children of the element `step` selects.
fn position(parent: &Element, step: &Step) -> Option<usize> {
    let mut found = parent
        .children
        .iter()
        .enumerate()
        .filter(|(_, c)| matches(c, step))
        .map(|(i, _)| i);
    match step.pred {
        Pred::Index(n) => found.nth(n - 1),
        _ => found.next(),
    }
}

/// The element the steps select, if there is one.
pub fn find<'a>(root: &'a mut Element, steps: &[Step]) -> Option<&'a mut Element> {
    let mut e = root;
    for step in steps {
        let i = position(e, step)?;
        e = &mut e.children[i];
    }
    Some(e)
}

/// The element the steps select, made when missing (a `[N]` step adds children of that name up
/// to N, an `[@a='v']` step one child with that attribute).
pub fn make<'a>(root: &'a mut Element, steps: &[Step]) -> &'a mut Element {
    let mut e = root;
    for step in steps {
        let i = match position(e, step) {
            Some(i) => i,
            None => {
                let have = e.children.iter().filter(|c| c.name == step.name).count();
                let wanted = match step.pred {
                    Pred::Index(n) => n - have,
                    _ => 1,
                };
                for _ in 0..wanted {
                    let mut child = Element::new(&step.name);
                    if let Pred::Attr(a, v) = &step.pred {
                        child.attrs.push((a.clone(), v.clone()));
                    }
                    e.children.push(child);
                }
                position(e, step).expect("the child was just made")
            }
        };
        e = &mut e.children[i];
    }
    e
}

/// Sets the attribute or the element's text at `path` (made when missing).
pub fn set(root: &mut Element, path: &XPath, value: &str) {
    let e = make(root, &path.steps);
    match &path.attr {
        Some(a) => match e.attrs.iter_mut().find(|(k, _)| k == a) {
            Some(slot) => slot.1 = value.to_string(),
            None => e.attrs.push((a.clone(), value.to_string())),
        },
        None => e.text = Some(value.to_string()),
    }
}

/// Removes the attribute or the element at `path`; nothing there is no change.
pub fn delete(root: &mut Element, path: &XPath) {
    if let Some(a) = &path.attr {
        if let Some(e) = find(root, &path.steps) {
            e.attrs.retain(|(k, _)| k != a);
        }
        return;
    }
    let Some((last, parent)) = path.steps.split_last() else {
        return;
    };
    if let Some(p) = find(root, parent) {
        if let Some(i) = position(p, last) {
            p.children.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> XPath {
        XPath::parse(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn the_subset_parses_and_the_rest_is_refused() {
        let x = p("./devices/disk[2]/source/@file");
        assert_eq!(x.steps.len(), 3);
        assert_eq!(x.steps[1].pred, Pred::Index(2));
        assert_eq!(x.attr.as_deref(), Some("file"));
        let x = p("/domain/devices/graphics[@type=\"vnc\"]/@listen");
        assert_eq!(x.steps[1].pred, Pred::Attr("type".into(), "vnc".into()));
        assert_eq!(p("./qemu:commandline").steps[0].name, "qemu:commandline");
        for bad in [
            "devices/x",
            "./devices//disk",
            "./devices/disk[last()]",
            "./devices/*",
            "./a[0]",
            "./a/@b/c",
            "./a[@b=c]",
            "./a | ./b",
        ] {
            assert!(XPath::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn set_makes_what_is_missing_and_delete_removes() {
        let mut d = Element::new("domain");
        set(&mut d, &p("./devices/graphics/@listen"), "0.0.0.0");
        set(&mut d, &p("./clock/timer[2]/@name"), "pit");
        set(&mut d, &p("./sysinfo/system/entry[@name='serial']"), "S1");
        set(&mut d, &p("./devices/graphics/@listen"), "::");
        assert_eq!(d.get("devices/graphics/@listen"), Some("::"));
        assert_eq!(d.children[1].children.len(), 2);
        assert_eq!(
            d.children[1].children[1].attrs,
            vec![("name".into(), "pit".into())]
        );
        assert_eq!(d.get("sysinfo/system/entry/@name"), Some("serial"));
        assert_eq!(d.get("sysinfo/system/entry"), Some("S1"));
        delete(&mut d, &p("./clock/timer[1]"));
        assert_eq!(d.children[1].children.len(), 1);
        delete(&mut d, &p("./devices/graphics/@listen"));
        assert!(d.children[0].children[0].attrs.is_empty());
        delete(&mut d, &p("./nothing/here"));
    }
}
