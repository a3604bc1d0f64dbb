//! The table's options on the command line: the table-driven ones (their values parsed by the
//! table) and the refused ones (taken, so a line naming them is exit 7 by name, never a usage
//! error). Both are made from the table here, so adding an option adds its flag.

use super::edit::{self, Edit};
use super::element;
use super::parse::parse;
use super::table::{Kind, OptionDef, OPTIONS};
use crate::xml::domain::Element;
use clap::{Arg, ArgAction, ArgMatches, Command, FromArgMatches};
use vnet_common::{Error, Result};

/// The values given for the table's non-typed options, in table order.
#[derive(Debug, Clone, Default)]
pub struct TableArgs {
    pub given: Vec<(&'static OptionDef, Vec<String>)>,
}

/// Table-driven device and top-level elements.
#[derive(Debug, Default)]
pub struct TableXml {
    pub devices: Vec<Element>,
    pub top: Vec<Element>,
    /// Edits of the finished document: the property options', then --xml's (edit.rs).
    pub edits: Vec<Edit>,
}

fn table_driven() -> impl Iterator<Item = &'static OptionDef> {
    OPTIONS.iter().filter(|o| !matches!(o.kind, Kind::Typed))
}

impl TableArgs {
    /// The first refused option given: exit 7 naming it, before anything is looked at.
    pub fn refuse(&self) -> Result<()> {
        for (def, _) in &self.given {
            if let Kind::Refused(why) = def.kind {
                return Err(
                    Error::invalid(format!("--{} is not supported by vnet-vm install", def.name))
                        .with_hint(format!("--{}: {why}", def.name)),
                );
            }
        }
        Ok(())
    }

    /// The XML of every table-driven option given (sub-options checked: unknown ones are 7).
    pub fn xml(&self) -> Result<TableXml> {
        let mut out = TableXml::default();
        let mut xpath = Vec::new();
        for (def, values) in &self.given {
            match def.kind {
                Kind::Properties => {
                    for v in values {
                        out.edits.extend(edit::parse_props(def, v)?);
                    }
                    continue;
                }
                Kind::XPath => {
                    xpath = values.iter().map(|v| edit::parse_xml(v)).collect::<Result<_>>()?;
                    continue;
                }
                _ => {}
            }
            // `none` is virt-install's "no such device" (--graphics none, --sound none).
            for value in values.iter().filter(|v| *v != "none") {
                let elements = elements(def, value)?;
                match def.kind {
                    Kind::Device(_) => out.devices.extend(elements),
                    _ => out.top.extend(elements),
                }
            }
        }
        out.edits.extend(xpath);
        Ok(out)
    }
}

/// The elements of one `--NAME VALUE`, its xpathN edits applied to the option's own element.
fn elements(def: &'static OptionDef, value: &str) -> Result<Vec<Element>> {
    let (own, xpaths) = edit::split_xpaths(def, value)?;
    let props = match own.is_empty() {
        true => Vec::new(),
        false => edit::convert(def, &own, parse(def, &own)?)?,
    };
    let mut elements = element::build(def, &props);
    // Only an option with an element of its own has a `./` to edit (Domain("") has rows' own).
    let own_element = super::reference::takes_xpaths(def);
    match elements.as_mut_slice() {
        _ if xpaths.is_empty() => {}
        [one] if own_element => edit::apply_to(one, &xpaths),
        _ => {
            return Err(Error::invalid(format!(
                "--{}: xpathN edits are not supported on this option by vnet-vm install",
                def.name
            ))
            .with_hint("use --xml with an XPath below /domain"))
        }
    }
    Ok(elements)
}

fn arg_for(def: &'static OptionDef) -> Arg {
    let arg = Arg::new(def.name)
        .long(def.name)
        .aliases(super::table::aliases(def.name))
        .action(ArgAction::Append);
    match def.kind {
        Kind::Refused(_) => arg
            .num_args(0..=1)
            .default_missing_value("")
            .value_name("OPTS")
            .hide(true),
        // --qemu-commandline '-device foo': its value starts with a dash (argparse takes it).
        _ if def.name == "qemu-commandline" => arg
            .value_name("OPTS")
            .allow_hyphen_values(true)
            .help(format!("{} ({})", def.help, super::parse::keys(def))),
        _ => arg
            .value_name("OPTS")
            .help(format!("{} ({})", def.help, super::parse::keys(def))),
    }
}

impl FromArgMatches for TableArgs {
    fn from_arg_matches(matches: &ArgMatches) -> std::result::Result<Self, clap::Error> {
        let mut out = TableArgs::default();
        out.update_from_arg_matches(matches)?;
        Ok(out)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> std::result::Result<(), clap::Error> {
        for def in table_driven() {
            if let Some(values) = matches.get_many::<String>(def.name) {
                self.given.retain(|(d, _)| d.name != def.name);
                self.given.push((def, values.cloned().collect()));
            }
        }
        Ok(())
    }
}

impl clap::Args for TableArgs {
    fn augment_args(cmd: Command) -> Command {
        let cmd = table_driven().fold(cmd, |cmd, def| cmd.arg(arg_for(def)));
        cmd.after_long_help(super::reference::text())
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Line {
        #[command(flatten)]
        table: TableArgs,
    }

    #[test]
    fn refused_options_parse_and_are_refused_by_name() {
        let line =
            Line::try_parse_from(["x", "--unattended", "profile=desktop", "--watchdog", "i6300esb"]).unwrap();
        let err = line.table.refuse().unwrap_err();
        assert_eq!(err.kind.exit_code(), 7);
        assert_eq!(err.message, "--unattended is not supported by vnet-vm install");
        let line = Line::try_parse_from(["x", "--watchdog", "i6300esb,action=reset"]).unwrap();
        line.table.refuse().unwrap();
        assert_eq!(line.table.xml().unwrap().devices[0].get("@action"), Some("reset"));
    }
}
