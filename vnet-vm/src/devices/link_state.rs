//! The link state of a guest's NIC, as virsh domif-getlink and domif-setlink show and set it: the
//! `<link state='up|down'/>` of an `<interface>`, named by its MAC or its host-side device
//! (`vnet0`), changed through libvirt's update-device (the cable pulled or plugged in).

use super::devxml::{element_as_is, element_xml, lookup};
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::xml::{parse, Element};
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// The link state of a domain's NIC (virsh domif-getlink).
#[derive(Debug, clap::Args)]
pub struct DomifGetlink {
    pub domain: String,
    /// The NIC: its MAC address or its host-side device (vnet0).
    pub interface: String,
    /// The state in the persistent definition rather than the running domain.
    #[arg(long)]
    pub config: bool,
}

/// What domif-getlink and domif-setlink print.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LinkState {
    pub domain: String,
    /// The NIC as it was named.
    pub interface: String,
    pub mac: String,
    /// "up" or "down" (a NIC without `<link>` is up).
    pub state: String,
    /// Whether the persistent definition was read or changed, rather than the running domain.
    pub config: bool,
    /// setlink: false when the NIC was in that state already.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<bool>,
    /// setlink --print-xml: the `<interface>` as it would be given to libvirt, printed instead.
    #[serde(skip)]
    #[schemars(skip)]
    pub xml: Option<String>,
}

impl Render for LinkState {
    fn document(&self) -> Option<&str> {
        self.xml.as_deref()
    }

    fn text(&self, _style: TextStyle) -> String {
        match self.changed {
            None => format!("{} {}\n", self.interface, self.state),
            Some(_) => "Device updated successfully\n\n".into(),
        }
    }
}

impl Verb for DomifGetlink {
    type Ctx = Session;
    type Output = LinkState;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<LinkState> {
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let config = self.config || !dom.is_active().libvirt("domain state")?;
        let nic = find_nic(&dom, &self.domain, &self.interface, config)?;
        Ok(LinkState {
            mac: mac_of(&nic),
            state: state_of(&nic).into(),
            domain: self.domain,
            interface: self.interface,
            config,
            changed: None,
            xml: None,
        })
    }
}

/// Pull or plug a domain's NIC cable (virsh domif-setlink): STATE is up or down.
///
/// A running domain is changed live, unless --config (its definition; also what an inactive
/// domain gets). An unknown NIC is exit 3, a STATE other than up or down exit 7, nothing
/// changed. Undone on a later failure: the old state back.
#[derive(Debug, clap::Args)]
pub struct DomifSetlink {
    pub domain: String,
    /// The NIC: its MAC address or its host-side device (vnet0).
    pub interface: String,
    /// up or down.
    pub state: String,
    /// Change the persistent definition rather than the running domain.
    #[arg(long)]
    pub config: bool,
    /// Print the `<interface>` element with its new link state, as virsh does, and change
    /// nothing.
    #[arg(long)]
    pub print_xml: bool,
}

impl Verb for DomifSetlink {
    type Ctx = Session;
    type Output = LinkState;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<LinkState> {
        if !matches!(self.state.as_str(), "up" | "down") {
            return Err(Error::invalid(format!(
                "invalid link state {}: up or down",
                quote(&self.state)
            )));
        }
        let dom = lookup(ctx.conn()?, &mut self.domain)?;
        let config = self.config || !dom.is_active().libvirt("domain state")?;
        let nic = find_nic(&dom, &self.domain, &self.interface, config)?;
        if self.print_xml {
            return Ok(LinkState {
                mac: mac_of(&nic),
                xml: Some(element_as_is(&with_link(&nic, &self.state)) + "\n"),
                state: self.state,
                domain: self.domain,
                interface: self.interface,
                config,
                changed: Some(false),
            });
        }
        let before = state_of(&nic);
        let changed = before != self.state;
        if changed {
            let flags = match config {
                true => sys::VIR_DOMAIN_AFFECT_CONFIG,
                false => sys::VIR_DOMAIN_AFFECT_LIVE,
            };
            set_link(&dom, &nic, &self.state, flags)?;
            let (undo, old, before) = (dom.clone(), nic.clone(), before.to_string());
            let what = format!("set the link of {} {}", quote(&self.interface), self.state);
            journal.record_fn(what, move || set_link(&undo, &old, &before, flags))?;
        }
        Ok(LinkState {
            mac: mac_of(&nic),
            state: self.state,
            domain: self.domain,
            interface: self.interface,
            config,
            changed: Some(changed),
            xml: None,
        })
    }
}

/// The `<interface>` of the live or persistent definition whose MAC or target device is `key`.
fn find_nic(dom: &Domain, name: &str, key: &str, config: bool) -> Result<Element> {
    let flags = if config { sys::VIR_DOMAIN_XML_INACTIVE } else { 0 };
    let xml = dom.get_xml_desc(flags).libvirt(format!("XML of domain {name}"))?;
    let domain = parse(&xml).map_err(|e| Error::failed(format!("domain XML: {e}")))?;
    let wanted = key.to_ascii_lowercase();
    let found = domain
        .all(&["devices", "interface"])
        .into_iter()
        .find(|nic| mac_of(nic) == wanted || nic.child("target").and_then(|t| t.attr("dev")) == Some(key));
    found.cloned().ok_or_else(|| {
        Error::not_found(format!(
            "domain {}: no interface {} (a MAC or a host-side device)",
            quote(name),
            quote(key)
        ))
        .with_hint(format!("see its interfaces with vnet-vm domiflist {name}"))
    })
}

fn mac_of(nic: &Element) -> String {
    nic.child("mac")
        .and_then(|m| m.attr("address"))
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn state_of(nic: &Element) -> &str {
    nic.child("link").and_then(|l| l.attr("state")).unwrap_or("up")
}

/// The NIC with `<link state=STATE/>` (last, where virsh puts it).
fn with_link(nic: &Element, state: &str) -> Element {
    let mut nic = nic.clone();
    nic.children.retain(|c| c.name != "link");
    let mut link = Element {
        name: "link".into(),
        ..Element::default()
    };
    link.attrs.push(("state".into(), state.into()));
    nic.children.push(link);
    nic
}

/// Gives libvirt the NIC back with `<link state=STATE/>`.
fn set_link(dom: &Domain, nic: &Element, state: &str, flags: u32) -> Result<()> {
    let nic = with_link(nic, state);
    dom.update_device_flags(&element_xml(&nic), flags)
        .libvirt("setting the interface link state")?;
    Ok(())
}
