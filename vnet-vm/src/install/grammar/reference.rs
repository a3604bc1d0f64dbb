//! The option reference, made from the table: every virt-install option, supported (with its
//! sub-options and the XML each sets) or refused. The man page carries it as install's closing
//! text; docs/vnet-vm.md carries the same list as Markdown (checked by a test).

use super::table::{Kind, OptionDef, Row, OPTIONS};

fn status(def: &OptionDef) -> String {
    let aliases: Vec<String> = super::table::aliases(def.name)
        .map(|a| format!("--{a}"))
        .collect();
    let also = if aliases.is_empty() {
        String::new()
    } else {
        format!(" (also {})", aliases.join(", "))
    };
    match def.kind {
        Kind::Refused(why) => format!("refused (exit 7): {why}{also}"),
        _ => format!("works: {}{also}", def.help),
    }
}

/// The xpathN sub-options every option with an element of its own takes (virt-install's).
const XPATHS: &str = "xpathN.set=XPATH=VALUE, xpathN.create=, xpathN.delete=, xpathN.value=";

/// Whether the option has an element of its own (a device, or one top-level element), which
/// its xpathN sub-options edit.
pub(super) fn takes_xpaths(def: &OptionDef) -> bool {
    matches!(def.kind, Kind::Device(_)) || matches!(def.kind, Kind::Domain(e) if !e.is_empty())
}

/// A row's key and its other spellings: `cache= (also driver.cache=)` is written `cache` then.
fn spellings(row: &Row) -> String {
    match row.aliases {
        [] => row.key.to_string(),
        aliases => format!("{} (also {}=)", row.key, aliases.join("=, ")),
    }
}

/// Plain text, for `install --help` and the man page.
pub fn text() -> String {
    let mut out = String::from(
        "Every virt-install 4.1 option (sub-options: KEY=VALUE names the XML property it sets):\n",
    );
    for def in OPTIONS {
        out.push_str(&format!("\n  --{}: {}\n", def.name, status(def)));
        for row in def.rows {
            let xml = if row.xml.is_empty() { "-" } else { row.xml };
            out.push_str(&format!("      {}= -> {}: {}\n", spellings(row), xml, row.help));
        }
        if takes_xpaths(def) {
            out.push_str(&format!(
                "      {XPATHS} -> XPath edits of its own element (./@attr)\n"
            ));
        }
    }
    out
}

/// The Markdown table of docs/vnet-vm.md (checked and rewritten by its test).
#[cfg(test)]
pub fn markdown() -> String {
    let mut out = String::from("| option | status | sub-options (XML property) |\n|---|---|---|\n");
    for def in OPTIONS {
        let mut rows: Vec<String> = def
            .rows
            .iter()
            .map(|r| {
                format!(
                    "`{}=` ({})",
                    spellings(r),
                    if r.xml.is_empty() { "-" } else { r.xml }
                )
            })
            .collect();
        if takes_xpaths(def) {
            rows.push(format!("`{XPATHS}` (its own element)"));
        }
        out.push_str(&format!(
            "| `--{}` | {} | {} |\n",
            def.name,
            status(def).replace('|', "\\|"),
            rows.join(", ").replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEGIN: &str =
        "<!-- install option reference: generated from vnet-vm/src/install/grammar/table.rs -->\n";
    const END: &str = "<!-- end of the install option reference -->\n";

    /// docs/vnet-vm.md carries the table's reference between the markers; VNET_UPDATE_MAN=1
    /// rewrites it.
    #[test]
    fn docs_option_reference_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/vnet-vm.md");
        let doc = std::fs::read_to_string(path).unwrap();
        let (head, rest) = doc
            .split_once(BEGIN)
            .expect("docs/vnet-vm.md has the begin marker");
        let (_, tail) = rest.split_once(END).expect("docs/vnet-vm.md has the end marker");
        let fresh = format!("{head}{BEGIN}{}{END}{tail}", markdown());
        if std::env::var_os("VNET_UPDATE_MAN").is_some() {
            std::fs::write(path, fresh).unwrap();
        } else {
            assert!(
                fresh == doc,
                "docs/vnet-vm.md's option reference is stale: VNET_UPDATE_MAN=1 cargo test -p vnet-vm"
            );
        }
    }

    #[test]
    fn every_option_is_listed_once() {
        for def in OPTIONS {
            assert_eq!(
                OPTIONS.iter().filter(|o| o.name == def.name).count(),
                1,
                "{}",
                def.name
            );
        }
        assert!(text().contains("--unattended: refused"));
    }
}
