//! iface-define, iface-undefine, iface-start, iface-destroy and iface-edit: changing the
//! interfaces libvirt's interface driver manages (see the module's note on which drivers can).

use super::{find, name_of, require, By};
use schemars::JsonSchema;
use serde::Serialize;
use std::path::PathBuf;
use virt::connect::Connect;
use virt::interface::Interface;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{edit, xml, LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// The interface's name in a document, which must be one well-formed <interface> with a name
/// (exit 7 otherwise, before libvirt is asked).
fn name_in(text: &str) -> Result<String> {
    let root = xml::parse(text).map_err(|e| Error::invalid(format!("not XML: {e}")))?;
    if root.name != "interface" {
        return Err(Error::invalid(format!(
            "the root element is <{}>, not <interface>",
            root.name
        )));
    }
    root.attr_string("name")
        .ok_or_else(|| Error::invalid("<interface> has no name attribute"))
}

/// The definition an interface starts with, or None for an interface libvirt does not know.
/// A driver without inactive definitions (the test driver refuses the flag) gives its one XML.
fn definition(conn: &Connect, name: &str) -> Result<Option<String>> {
    let Some(iface) = find(conn, name, By::Name)? else {
        return Ok(None);
    };
    let xml = match iface.get_xml_desc(sys::VIR_INTERFACE_XML_INACTIVE) {
        Err(e) if e.code() == virt::error::ErrorNumber::InvalidArg => iface.get_xml_desc(0),
        other => other,
    };
    xml.map(Some).libvirt(format!("XML of interface {}", quote(name)))
}

/// The undo of a define: the new interface undefined, or the old definition back.
fn record_define(conn: &Connect, name: &str, before: Option<String>, journal: &mut Journal) -> Result<()> {
    let (conn, name) = (conn.clone(), name.to_string());
    journal.record_fn(format!("define interface {name}"), move || match before {
        None => require(&conn, &name, By::Name)?
            .undefine()
            .libvirt("undefine the interface"),
        Some(xml) => Interface::define_xml(&conn, &xml, 0)
            .map(drop)
            .libvirt("define the interface again as it was"),
    })
}

/// Define a host interface from an XML file, or replace the definition of the interface of its
/// name (virsh iface-define FILE [--validate]).
///
/// The file must be one well-formed <interface name=...> document (exit 7 else; a missing file
/// is 3). The driver of this host may refuse every change (libvirt's udev backend: exit 6).
/// Undone on a later failure (--batch --atomic).
#[derive(Debug, clap::Args)]
pub struct IfaceDefine {
    /// The interface XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// Check the document against libvirt's schema.
    #[arg(long)]
    pub validate: bool,
}

/// An interface defined.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IfaceDefined {
    pub name: String,
    /// False when the file said what the definition already said.
    pub changed: bool,
    /// "created", "updated" or "unchanged".
    pub definition: String,
    /// The XML file read.
    pub file: String,
}

impl Render for IfaceDefined {
    fn text(&self, _style: TextStyle) -> String {
        format!("Interface {} defined from {}\n\n", self.name, self.file)
    }
}

impl Verb for IfaceDefine {
    type Ctx = Session;
    type Output = IfaceDefined;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<IfaceDefined> {
        let file = self.file.display().to_string();
        let text = vnet_common::files::read_text(&self.file, vnet_common::files::MAX_XML)?;
        let name = name_in(&text).map_err(|e| e.context(quote(&file)))?;
        let conn = ctx.conn()?;
        let before = definition(conn, &name)?;
        let flags = if self.validate {
            sys::VIR_INTERFACE_DEFINE_VALIDATE
        } else {
            0
        };
        Interface::define_xml(conn, &text, flags)
            .map_err(|e| edit::refused(e, format!("define interface from {}", quote(&file))))?;
        let after = definition(conn, &name)?;
        let how = match &before {
            None => "created",
            Some(old) if Some(old) == after.as_ref() => "unchanged",
            Some(_) => "updated",
        };
        if how != "unchanged" {
            record_define(conn, &name, before, journal)?;
        }
        Ok(IfaceDefined {
            name,
            changed: how != "unchanged",
            definition: how.into(),
            file,
        })
    }
}

/// Remove a host interface's definition (virsh iface-undefine INTERFACE); INTERFACE is a name
/// or a MAC address.
///
/// None of that name is exit 3 (--missing-ok: "changed": false). Undone on a later failure
/// (--batch --atomic): the definition is defined again.
#[derive(Debug, clap::Args)]
pub struct IfaceUndefine {
    /// The interface: name or MAC address.
    pub interface: String,
    /// Succeed ("changed": false) when there is no such interface.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
}

/// An interface after iface-undefine, iface-start or iface-destroy.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IfaceChanged {
    pub name: String,
    /// False when it already was so (or, with --missing-ok, was not there).
    pub changed: bool,
    /// virsh's word: "undefined", "started" or "destroyed".
    #[serde(skip)]
    pub done: &'static str,
}

impl Render for IfaceChanged {
    fn text(&self, _style: TextStyle) -> String {
        format!("Interface {} {}\n\n", self.name, self.done)
    }
}

impl Verb for IfaceUndefine {
    type Ctx = Session;
    type Output = IfaceChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<IfaceChanged> {
        let conn = ctx.conn()?;
        let done = "undefined";
        let iface = match find(conn, &self.interface, By::NameOrMac)? {
            None if self.missing_ok => {
                let name = self.interface;
                return Ok(IfaceChanged {
                    name,
                    changed: false,
                    done,
                });
            }
            _ => require(conn, &self.interface, By::NameOrMac)?,
        };
        let name = name_of(&iface)?;
        let old = definition(conn, &name)?.unwrap_or_default();
        iface
            .undefine()
            .libvirt(format!("undefine interface {}", quote(&name)))?;
        let conn = conn.clone();
        journal.record_fn(format!("undefine interface {name}"), move || {
            Interface::define_xml(&conn, &old, 0)
                .map(drop)
                .libvirt("define the interface again")
        })?;
        Ok(IfaceChanged {
            name,
            changed: true,
            done,
        })
    }
}

/// Start (bring up) a host interface (virsh iface-start INTERFACE); INTERFACE is a name or a
/// MAC address. One already active: "changed": false.
///
/// Undone on a later failure (--batch --atomic): the interface is stopped again.
#[derive(Debug, clap::Args)]
pub struct IfaceStart {
    /// The interface: name or MAC address.
    pub interface: String,
}

impl Verb for IfaceStart {
    type Ctx = Session;
    type Output = IfaceChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<IfaceChanged> {
        switch(ctx, &self.interface, true, journal)
    }
}

/// Stop (bring down) a host interface (virsh iface-destroy INTERFACE); INTERFACE is a name or a
/// MAC address. One already inactive: "changed": false.
///
/// Undone on a later failure (--batch --atomic): the interface is started again.
#[derive(Debug, clap::Args)]
pub struct IfaceDestroy {
    /// The interface: name or MAC address.
    pub interface: String,
}

impl Verb for IfaceDestroy {
    type Ctx = Session;
    type Output = IfaceChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<IfaceChanged> {
        switch(ctx, &self.interface, false, journal)
    }
}

/// iface-start (`up`) and iface-destroy: "changed": false when the interface already is so;
/// the journal's undo is the opposite switch.
fn switch(ctx: &mut Session, interface: &str, up: bool, journal: &mut Journal) -> Result<IfaceChanged> {
    let iface = require(ctx.conn()?, interface, By::NameOrMac)?;
    let name = name_of(&iface)?;
    let (done, verb, again) = match up {
        true => ("started", "start", "stop the interface again"),
        false => ("destroyed", "stop", "start the interface again"),
    };
    let active = iface
        .is_active()
        .libvirt(format!("state of interface {}", quote(&name)))?;
    if active == up {
        return Ok(IfaceChanged {
            name,
            changed: false,
            done,
        });
    }
    set_active(&iface, up).libvirt(format!("{verb} interface {}", quote(&name)))?;
    journal.record_fn(format!("{verb} interface {name}"), move || {
        set_active(&iface, !up).libvirt(again)
    })?;
    Ok(IfaceChanged {
        name,
        changed: true,
        done,
    })
}

fn set_active(iface: &Interface, up: bool) -> std::result::Result<(), virt::error::Error> {
    match up {
        true => iface.create(0).map(drop),
        false => iface.destroy(0),
    }
}

/// Edit a host interface's definition in $VISUAL or $EDITOR and define it again when changed
/// (virsh iface-edit INTERFACE); INTERFACE is a name or a MAC address.
///
/// As the other edit verbs (`EDITOR='sed -i ...'` works in a script): a file left as it was
/// changes nothing ("changed": false); a changed one must be one well-formed <interface name=...>
/// document libvirt accepts (exit 7 else, the definition as it was). Undone on a later failure
/// (--batch --atomic): the old definition is defined again.
#[derive(Debug, clap::Args)]
pub struct IfaceEdit {
    /// The interface: name or MAC address.
    pub interface: String,
}

/// What iface-edit did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IfaceEdited {
    /// The interface's name after the edit.
    pub name: String,
    /// False when the editor left the document as it was (nothing was defined).
    pub changed: bool,
}

impl Render for IfaceEdited {
    fn text(&self, _style: TextStyle) -> String {
        let what = if self.changed { "edited" } else { "not changed" };
        format!("Interface {} XML configuration {what}.\n\n", self.name)
    }
}

impl Verb for IfaceEdit {
    type Ctx = Session;
    type Output = IfaceEdited;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<IfaceEdited> {
        let conn = ctx.conn()?;
        let name = name_of(&require(conn, &self.interface, By::NameOrMac)?)?;
        let original = definition(conn, &name)?.unwrap_or_default();
        let define = |text: &str| {
            let new_name = name_in(text).map_err(|e| e.context("the edited document"))?;
            Interface::define_xml(conn, text, 0)
                .map_err(|e| edit::refused(e, format!("define interface {}", quote(&new_name))))?;
            Ok(new_name)
        };
        let Some(new_name) = edit::edit(&original, define)? else {
            return Ok(IfaceEdited { name, changed: false });
        };
        // Another name is another interface: the undo removes it; the same name gets its old
        // definition back.
        let before = (new_name == name).then_some(original);
        record_define(conn, &new_name, before, journal)?;
        Ok(IfaceEdited {
            name: new_name,
            changed: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run, session};

    const ETH9: &str =
        "<interface type='ethernet' name='vnetdef0'><mac address='52:54:00:11:22:34'/></interface>";

    fn file(text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("vnet-vm-iface-{}.xml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn define_start_destroy_undefine_on_the_test_driver_and_undo() {
        let _turn = crate::iface::TEST_DRIVER
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut ctx = session();
        let path = file(ETH9);
        let mut journal = Journal::new();
        let define = IfaceDefine {
            file: path.clone(),
            validate: false,
        };
        let defined = define.run(&mut ctx, &mut journal).unwrap();
        assert_eq!((defined.definition.as_str(), defined.changed), ("created", true));
        let again = run(
            &mut ctx,
            IfaceDefine {
                file: path,
                validate: false,
            },
        )
        .unwrap();
        assert_eq!(again.definition, "unchanged");
        let start = || IfaceStart {
            interface: "52:54:00:11:22:34".into(),
        };
        assert!(run(&mut ctx, start()).unwrap().changed);
        assert!(!run(&mut ctx, start()).unwrap().changed);
        let destroy = || IfaceDestroy {
            interface: "vnetdef0".into(),
        };
        assert!(run(&mut ctx, destroy()).unwrap().changed);
        assert!(!run(&mut ctx, destroy()).unwrap().changed);
        futures::executor::block_on(journal.rollback());
        assert!(find(ctx.conn().unwrap(), "vnetdef0", By::Name).unwrap().is_none());
        let gone = IfaceUndefine {
            interface: "vnetdef0".into(),
            missing_ok: true,
        };
        assert!(!run(&mut ctx, gone).unwrap().changed);
        assert_eq!(name_in("<network/>").unwrap_err().exit_code(), 7);
        assert_eq!(
            name_in("<interface type='ethernet'/>").unwrap_err().exit_code(),
            7
        );
    }
}
