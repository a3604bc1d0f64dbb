//! `--graphics` beside its older spellings (`--vnc`, `--vncport`, `--vnclisten`, `--nographics`,
//! hidden in virt-install 4.1 but still taken), and which graphical console the guest gets.

use super::args::Install;
use super::grammar::parse::option;
use super::grammar::TableArgs;
use crate::spec::GraphicsKind;
use crate::xml::domain::Element;
use vnet_common::error::quote;
use vnet_common::{Error, Result};

/// The table's options with the older graphics flags turned into the `--graphics` they stand
/// for; mixing both is 7, as virt-install refuses it.
pub fn legacy_graphics(args: &Install) -> Result<TableArgs> {
    let mut table = args.table.clone();
    let legacy = args.vnc || args.nographics || args.vncport.is_some() || args.vnclisten.is_some();
    if !legacy {
        return Ok(table);
    }
    if table.given.iter().any(|(d, _)| d.name == "graphics") {
        return Err(Error::invalid(
            "cannot mix --graphics and the old style --vnc, --vncport, --vnclisten, --nographics",
        ));
    }
    if args.nographics && (args.vnc || args.vncport.is_some() || args.vnclisten.is_some()) {
        return Err(Error::invalid("give only one of --vnc and --nographics"));
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
