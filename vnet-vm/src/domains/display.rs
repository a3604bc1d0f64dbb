//! domdisplay (the URI of a running domain's VNC or SPICE display) and ttyconsole (the pty of its
//! serial console), read from the live domain XML as virsh reads them.

use crate::domains::lookup::resolve;
use crate::xml::domain::{display as read, Graphics};
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, ErrorKind, Journal, Render, Result, TextStyle, Verb};

fn is_wildcard(addr: &str) -> bool {
    addr.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_unspecified())
}

/// The URI virsh domdisplay prints for one display: SCHEME://HOST[:PORT][?tls-port=N], the VNC
/// port as a display number (port - 5900), a wildcard listen address replaced by the host of the
/// connection URI (else localhost). None for a display with no port yet.
pub fn display_uri(g: &Graphics, uri_host: Option<&str>) -> Option<String> {
    let port = g.port.filter(|&p| p > 0);
    let tls_port = g.tls_port.filter(|&p| p > 0);
    if port.is_none() && tls_port.is_none() {
        return None;
    }
    let listen = match g.listen.as_deref() {
        Some(a) if is_wildcard(a) => uri_host.map(str::to_string),
        other => other.map(str::to_string),
    };
    let mut out = format!("{}://", g.kind);
    match listen {
        None => out.push_str("localhost"),
        Some(a) if a.contains(':') => out.push_str(&format!("[{a}]")),
        Some(a) => out.push_str(&a),
    }
    if let Some(port) = port {
        let shown = if g.kind == "vnc" { port - 5900 } else { port };
        out.push_str(&format!(":{shown}"));
    }
    if let Some(tls) = tls_port {
        out.push_str(&format!("?tls-port={tls}"));
    }
    Some(out)
}

fn live_xml(dom: &Domain, name: &str) -> Result<String> {
    if !dom.is_active().libvirt("domain state")? {
        return Err(Error::failed(format!("domain {} is not running", quote(name)))
            .with_hint(format!("start it: vnet-vm start {name}")));
    }
    dom.get_xml_desc(0)
        .libvirt(format!("XML of domain {}", quote(name)))
}

/// The display type domdisplay may be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DisplayType {
    Vnc,
    Spice,
}

/// The URI of a running domain's graphical display (virsh domdisplay).
///
/// vnc://HOST:DISPLAY or spice://HOST:PORT, for a viewer (remote-viewer, vncviewer). VNC first,
/// then SPICE, unless --type picks one. A domain that is not running is exit 1; one without such a
/// display exit 3.
#[derive(Debug, clap::Args)]
pub struct Domdisplay {
    pub name: String,
    /// Only this kind of display.
    #[arg(long = "type", value_enum)]
    pub kind: Option<DisplayType>,
}

/// A display's URI.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DisplayUri {
    pub name: String,
    /// vnc or spice.
    #[serde(rename = "type")]
    pub kind: String,
    /// The URI, as virsh domdisplay prints it.
    pub uri: String,
    /// The TCP port the display listens on; null when only TLS.
    pub port: Option<i64>,
    /// The TLS port (SPICE); null when none.
    pub tls_port: Option<i64>,
    /// The listen address from the domain XML; null when none.
    pub listen: Option<String>,
}

impl Render for DisplayUri {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n", self.uri)
    }
}

impl Verb for Domdisplay {
    type Ctx = Session;
    type Output = DisplayUri;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<DisplayUri> {
        let conn = ctx.conn()?;
        let dom = resolve(conn, &mut self.name)?;
        let xml = live_xml(&dom, &self.name)?;
        let conn_uri = conn.get_uri().libvirt("connection URI")?;
        let uri_host = vnet_common::libvirt::remote_host(&conn_uri);
        let (graphics, _, _) = read(&xml)?;
        let order: &[&str] = match self.kind {
            None => &["vnc", "spice"],
            Some(DisplayType::Vnc) => &["vnc"],
            Some(DisplayType::Spice) => &["spice"],
        };
        for kind in order {
            for g in graphics.iter().filter(|g| g.kind == *kind) {
                if let Some(uri) = display_uri(g, uri_host.as_deref()) {
                    return Ok(DisplayUri {
                        name: self.name,
                        kind: g.kind.clone(),
                        uri,
                        port: g.port.filter(|&p| p > 0),
                        tls_port: g.tls_port.filter(|&p| p > 0),
                        listen: g.listen.clone(),
                    });
                }
            }
        }
        Err(Error::not_found(format!(
            "domain {} has no {} display",
            quote(&self.name),
            order.join(" or ")
        ))
        .with_hint("add one: <graphics type='vnc'/> in the domain XML (install --graphics vnc)"))
    }
}

/// The host pty of a running domain's serial console (virsh ttyconsole).
///
/// For `screen $(vnet-vm ttyconsole VM)`-style scripts. A domain that is not running is exit 1;
/// one without a console device exit 6 (as console).
#[derive(Debug, clap::Args)]
pub struct Ttyconsole {
    pub name: String,
}

/// The console's pty.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TtyConsole {
    pub name: String,
    /// The host pty (/dev/pts/N).
    pub tty: String,
}

impl Render for TtyConsole {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n\n", self.tty)
    }
}

impl Verb for Ttyconsole {
    type Ctx = Session;
    type Output = TtyConsole;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<TtyConsole> {
        let dom = resolve(ctx.conn()?, &mut self.name)?;
        let xml = live_xml(&dom, &self.name)?;
        let (_, tty, has_console) = read(&xml)?;
        match tty {
            Some(tty) if !tty.is_empty() => Ok(TtyConsole { name: self.name, tty }),
            _ if !has_console => Err(Error::new(
                ErrorKind::Unavailable,
                format!("domain {} has no console device", quote(&self.name)),
            )
            .with_hint("add one: <serial type='pty'/> in the domain XML (vnet-vm install always adds it)")),
            _ => Err(Error::not_found(format!(
                "domain {}: its console is not a pty",
                quote(&self.name)
            ))),
        }
    }
}

/// The VNC display of a running domain as virsh vncdisplay prints it: `:N` when it listens on
/// every address, `ADDR:N` otherwise (N = port - 5900). Not running: exit 1; no VNC: exit 3.
#[derive(Debug, clap::Args)]
pub struct Vncdisplay {
    pub domain: String,
}

impl Render for VncDisplay {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n\n", self.display)
    }
}

/// A running domain's VNC display.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VncDisplay {
    pub name: String,
    /// As virsh vncdisplay prints it: `:0`, `127.0.0.1:0`.
    pub display: String,
    /// The TCP port (5900 + the display number).
    pub port: i64,
    /// The listen address from the domain XML; null when none.
    pub listen: Option<String>,
}

impl Verb for Vncdisplay {
    type Ctx = Session;
    type Output = VncDisplay;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<VncDisplay> {
        let dom = resolve(ctx.conn()?, &mut self.domain)?;
        let xml = live_xml(&dom, &self.domain)?;
        let (graphics, _, _) = read(&xml)?;
        let vnc = graphics
            .into_iter()
            .find(|g| g.kind == "vnc" && g.port.is_some_and(|p| p > 0));
        let Some(vnc) = vnc else {
            return Err(
                Error::not_found(format!("domain {} has no VNC display", quote(&self.domain)))
                    .with_hint("add one: <graphics type='vnc'/> in the domain XML (install --graphics vnc)"),
            );
        };
        let port = vnc.port.unwrap_or_default();
        let host = match vnc.listen.as_deref() {
            None => String::new(),
            Some(a) if is_wildcard(a) => String::new(),
            Some(a) if a.contains(':') => format!("[{a}]"),
            Some(a) => a.to_string(),
        };
        Ok(VncDisplay {
            display: format!("{host}:{}", port - 5900),
            name: self.domain,
            port,
            listen: vnc.listen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(kind: &str, port: i64, tls: Option<i64>, listen: Option<&str>) -> Graphics {
        Graphics {
            kind: kind.into(),
            port: Some(port),
            tls_port: tls,
            listen: listen.map(String::from),
        }
    }

    #[test]
    fn uris_as_virsh() {
        assert_eq!(
            display_uri(&g("vnc", 5901, None, Some("127.0.0.1")), None).unwrap(),
            "vnc://127.0.0.1:1"
        );
        assert_eq!(
            display_uri(&g("vnc", 5900, None, Some("0.0.0.0")), Some("h1")).unwrap(),
            "vnc://h1:0"
        );
        assert_eq!(
            display_uri(&g("spice", 5902, Some(5903), Some("::")), None).unwrap(),
            "spice://localhost:5902?tls-port=5903"
        );
        assert_eq!(
            display_uri(&g("spice", 5902, None, Some("fd00::1")), None).unwrap(),
            "spice://[fd00::1]:5902"
        );
        assert_eq!(display_uri(&g("vnc", -1, None, None), None), None);
    }

    #[test]
    fn live_xml_graphics_and_tty() {
        let xml = "<domain><devices><serial type='pty'><source path='/dev/pts/3'/></serial>\
            <console type='pty' tty='/dev/pts/3'><target type='serial'/></console>\
            <graphics type='vnc' port='5900' autoport='yes'><listen type='address' address='127.0.0.1'/>\
            </graphics></devices></domain>";
        let (graphics, tty, console) = read(xml).unwrap();
        assert_eq!(graphics, [g("vnc", 5900, None, Some("127.0.0.1"))]);
        assert_eq!(tty.as_deref(), Some("/dev/pts/3"));
        assert!(console);
    }
}
