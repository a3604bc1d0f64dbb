//! `--graphics` beside its older spellings (`--vnc`, `--vncport`, `--vnclisten`, `--keymap`,
//! `--nographics`, hidden in virt-install 4.1 but still taken), which graphical console the guest
//! gets, and virt-install's default display when the line names none.

use super::args::Install;
use super::grammar::parse::option;
use super::grammar::refused::TableXml;
use super::grammar::TableArgs;
use crate::spec::GraphicsKind;
use crate::xml::domain::Element;
use vnet_common::error::quote;
use vnet_common::{Error, Result};

/// The table's options with the older graphics flags turned into the `--graphics` they stand
/// for; mixing both is 7, as virt-install refuses it. virt-install 4.1 reads `--keymap` only
/// beside `--vnc` (alone it does nothing, here with a warning from [`ignored_keymap`]).
pub fn legacy_graphics(args: &Install) -> Result<TableArgs> {
    let mut table = args.table.clone();
    let legacy = args.vnc
        || args.nographics
        || args.vncport.is_some()
        || args.vnclisten.is_some()
        || args.keymap.is_some();
    if !legacy {
        return Ok(table);
    }
    if table.given.iter().any(|(d, _)| d.name == "graphics") {
        return Err(Error::invalid(
            "cannot mix --graphics and the old style --vnc, --vncport, --vnclisten, --keymap, --nographics",
        ));
    }
    if args.nographics && (args.vnc || args.vncport.is_some() || args.vnclisten.is_some()) {
        return Err(Error::invalid("give only one of --vnc and --nographics"));
    }
    if args.nographics && args.keymap.is_some() {
        // virt-install 4.1 writes a `<graphics type='none' keymap=...>` here, which vnet-vm
        // does not define.
        return Err(
            Error::invalid("--keymap with --nographics is not supported by vnet-vm install")
                .with_hint("drop --keymap: a guest without graphics has no keymap"),
        );
    }
    if ignored_keymap(args).is_some() {
        return Ok(table);
    }
    let value = if args.nographics {
        "none".to_string()
    } else {
        let mut v = String::from("vnc");
        if let Some(port) = &args.vncport {
            v.push_str(&format!(",port={port}"));
        }
        if let Some(listen) = &args.vnclisten {
            v.push_str(&format!(",listen={listen}"));
        }
        if let Some(keymap) = &args.keymap {
            v.push_str(&format!(",keymap={keymap}"));
        }
        v
    };
    table.given.push((option("graphics"), vec![value]));
    Ok(table)
}

/// The guest's graphical console: vnc or spice (the first `--graphics`), none without one;
/// another type (sdl, egl-headless, rdp) is refused by name, a port outside 5900..65535 (or -1)
/// is 7.
pub fn graphics_kind(devices: &[Element]) -> Result<GraphicsKind> {
    let mut kind = GraphicsKind::None;
    for g in devices.iter().filter(|e| e.name == "graphics") {
        let this = match g.get("@type") {
            Some("vnc") => GraphicsKind::Vnc,
            Some("spice") => GraphicsKind::Spice,
            other => {
                return Err(Error::invalid(format!(
                    "--graphics {}: not supported by vnet-vm install",
                    quote(other.unwrap_or(""))
                ))
                .with_hint("use vnc, spice or none"))
            }
        };
        for attr in ["@port", "@tlsPort", "@websocket"] {
            if let Some(port) = g.get(attr) {
                let ok = port == "-1" || port.parse::<u16>().is_ok_and(|p| p >= 5900);
                if !ok {
                    return Err(Error::invalid(format!(
                        "--graphics {}={}: a port from 5900 to 65535, or -1",
                        &attr[1..],
                        quote(port)
                    )));
                }
            }
        }
        if kind == GraphicsKind::None {
            kind = this;
        }
    }
    Ok(kind)
}

/// The warning for a `--keymap` virt-install 4.1 drops: without `--vnc` it sets nothing.
pub fn ignored_keymap(args: &Install) -> Option<String> {
    let alone = !args.vnc && !args.nographics && args.vncport.is_none() && args.vnclisten.is_none();
    (alone && args.keymap.is_some()).then(|| {
        "--keymap does nothing without --vnc (as in virt-install); use --graphics vnc,keymap=MAP".into()
    })
}

/// virt-install's default display when the line names no graphics (`--graphics none` and
/// `--nographics` are "none"): one `<graphics>` of the hypervisor's preferred type (vnc here;
/// [`prefer_spice`] switches it once the domain capabilities are read). Whether a person has a
/// DISPLAY only decides virt-install's console viewer, never the XML.
pub fn add_default_graphics(given: &TableArgs, table: &mut TableXml) -> Result<bool> {
    if given.given.iter().any(|(d, _)| d.name == "graphics") {
        return Ok(false);
    }
    table.devices.extend(graphics_of("vnc")?);
    Ok(true)
}

/// The default `<graphics>` made spice, virt-install's choice when libvirt offers spice.
pub fn prefer_spice(devices: &mut Vec<Element>) -> Result<()> {
    devices.retain(|e| e.name != "graphics");
    devices.extend(graphics_of("spice")?);
    Ok(())
}

fn graphics_of(kind: &str) -> Result<Vec<Element>> {
    let table = TableArgs {
        given: vec![(option("graphics"), vec![kind.to_string()])],
    };
    Ok(table.xml()?.devices)
}

/// virt-install's USB tablet beside a graphical console (x86 guests, the only ones here): added
/// unless the line gives an `--input` of its own or turns USB off (`--controller usb,model=none`).
pub fn add_default_tablet(devices: &mut Vec<Element>) {
    let graphics = devices.iter().any(|e| e.name == "graphics");
    let input = devices.iter().any(|e| e.name == "input");
    let no_usb = devices
        .iter()
        .any(|e| e.name == "controller" && e.get("@type") == Some("usb") && e.get("@model") == Some("none"));
    if graphics && !input && !no_usb {
        let mut tablet = Element::new("input");
        tablet.attrs = vec![("type".into(), "tablet".into()), ("bus".into(), "usb".into())];
        devices.push(tablet);
    }
}
