//! attach-interface and detach-interface (virsh's spellings and flags): the device XML is written
//! by the domain XML model, every input is checked before libvirt is asked, and each attach or
//! detach is journaled with the opposite step.

use super::scope::{
    device_element, facts, indented, model, printed_document, unplug_pending, wait_until_gone, word, Scope,
};
use crate::domains::lookup::resolve;
use crate::xml::domain::{domain_facts, interface_xml, interface_xml_with, IfaceExtras, XmlInterface};
use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::network::Network;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::mac::parse_unicast_mac;
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

// ---------------------------------------------------------------------------------------------
// Interfaces

/// What an interface is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IfaceType {
    /// A libvirt virtual network.
    Network,
    /// A host bridge.
    Bridge,
}

impl IfaceType {
    fn word(self) -> &'static str {
        match self {
            IfaceType::Network => "network",
            IfaceType::Bridge => "bridge",
        }
    }
}

/// The source must exist: a network libvirt knows (exit 3), or a bridge on this host when the
/// daemon is local (exit 3).
fn check_source(ctx: &mut Session, kind: IfaceType, source: &str) -> Result<()> {
    match kind {
        IfaceType::Network => match Network::lookup_by_name(ctx.conn()?, source) {
            Ok(_) => Ok(()),
            Err(e) if e.code() == virt::error::ErrorNumber::NoNetwork => {
                virt::error::clear_error_callback();
                Err(Error::not_found(format!("network {} not found", quote(source)))
                    .with_hint("list networks with vnet-net list --all"))
            }
            Err(e) => Err(vnet_common::libvirt::error(e).context(format!("network {}", quote(source)))),
        },
        IfaceType::Bridge => {
            if ctx.is_local()?
                && !std::path::Path::new("/sys/class/net")
                    .join(source)
                    .join("bridge")
                    .exists()
            {
                return Err(Error::not_found(format!("bridge {} not found", quote(source)))
                    .with_hint("create it with vnet-bridge addbr, or list bridges with vnet-bridge show"));
            }
            Ok(())
        }
    }
}

/// Attach a network interface to a domain (virsh attach-interface).
///
/// --type network --source NET (a libvirt network) or --type bridge --source BR (a host bridge);
/// a missing network or bridge is exit 3, a MAC the domain already has exit 4 (--exist-ok: fine
/// when it is on the same source), all before anything changes. Without --mac libvirt picks one;
/// the output names it. Undone on a later failure: detached again. --print-xml prints the
/// interface's device XML and attaches nothing (as virsh, neither the domain nor the source is
/// looked at).
#[derive(Debug, clap::Args)]
pub struct AttachInterface {
    /// The domain.
    pub name: String,
    /// What the interface is attached to.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub kind: IfaceType,
    /// The network or bridge name.
    #[arg(long, value_name = "NAME")]
    pub source: String,
    /// The NIC model (virtio, e1000, rtl8139...); libvirt's default without it.
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// The NIC's MAC address (52:54:00:xx:xx:xx); libvirt picks one without it.
    #[arg(long, value_name = "MAC")]
    pub mac: Option<String>,
    #[command(flatten)]
    pub more: IfaceOptions,
    #[command(flatten)]
    pub affect: super::devxml::DeviceAffect,
    /// Succeed (changed: false) when the domain already has this --mac on the same source (and
    /// --model, when given); exit 4 naming the model when only it differs.
    #[arg(long, visible_alias = "may-exist", requires = "mac")]
    pub exist_ok: bool,
    /// Print the interface's device XML instead of attaching it (nothing is changed).
    #[arg(long)]
    pub print_xml: bool,
}

/// attach-interface's further virsh options; libvirt checks what they name (an alias starting
/// "ua-", a tap name not in use).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct IfaceOptions {
    /// The host-side (tap) device's name (<target dev=...>).
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,
    /// A user alias for the device (<alias name=...>, "ua-" then letters, digits, - _).
    #[arg(long, value_name = "ALIAS")]
    pub alias: Option<String>,
    /// A script run when the interface is set up (<script path=...>).
    #[arg(long, value_name = "PATH")]
    pub script: Option<String>,
    /// Inbound traffic shaping: average[,peak[,burst[,floor]]] (KiB/s, KiB).
    #[arg(long, value_name = "RATE", value_parser = rate)]
    pub inbound: Option<[u64; 4]>,
    /// Outbound traffic shaping: average[,peak[,burst]] (KiB/s, KiB).
    #[arg(long, value_name = "RATE", value_parser = rate)]
    pub outbound: Option<[u64; 4]>,
}

/// virsh's rate: average[,peak[,burst[,floor]]], numbers; average not 0 (as virsh requires).
fn rate(text: &str) -> std::result::Result<[u64; 4], Error> {
    let bad = || {
        Error::invalid(format!(
            "rate {}: average[,peak[,burst[,floor]]] in KiB/s",
            quote(text)
        ))
    };
    let parts: Vec<&str> = text.split(',').collect();
    if parts.len() > 4 {
        return Err(bad());
    }
    let mut out = [0u64; 4];
    for (slot, part) in out.iter_mut().zip(&parts) {
        *slot = match part.is_empty() {
            true => 0,
            false => part.parse().map_err(|_| bad())?,
        };
    }
    if out[0] == 0 {
        return Err(bad());
    }
    Ok(out)
}

impl IfaceOptions {
    fn extras(&self) -> IfaceExtras {
        IfaceExtras {
            target: self.target.clone(),
            alias: self.alias.clone(),
            script: self.script.clone(),
            inbound: self.inbound,
            outbound: self.outbound,
        }
    }
}

/// An interface after attach-interface or detach-interface.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InterfaceChanged {
    /// The domain.
    pub name: String,
    /// False with --exist-ok / --missing-ok when there was nothing to do.
    pub changed: bool,
    pub mac: String,
    /// network or bridge.
    #[serde(rename = "type")]
    pub kind: String,
    /// The network or bridge.
    pub source: String,
    pub model: Option<String>,
    /// The host side (tap) device of a live attached interface; null otherwise.
    pub interface: Option<String>,
    /// The running domain was changed.
    pub live: bool,
    /// The persistent definition was changed.
    pub config: bool,
    /// --print-xml: the interface's device XML (what attach-interface would attach, or the
    /// element detach-interface would detach); nothing was changed. Printed itself unless -o json.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xml: Option<String>,
    #[serde(skip)]
    #[schemars(skip)]
    done: &'static str,
}

impl Render for InterfaceChanged {
    fn text(&self, _style: TextStyle) -> String {
        match (&self.xml, self.changed) {
            (Some(xml), _) => xml.clone(),
            (None, true) => format!("Interface {} successfully\n", self.done),
            (None, false) => String::new(),
        }
    }

    fn document(&self) -> Option<&str> {
        self.xml.as_deref()
    }
}

impl AttachInterface {
    /// The MACs each definition in `docs` has now, and which definitions already have an
    /// interface with `mac` on this source (--exist-ok); one with `mac` elsewhere is exit 4.
    fn macs_before(
        &self,
        docs: &[(&'static str, String)],
        mac: Option<&str>,
    ) -> Result<(Vec<String>, Vec<&'static str>)> {
        let kind = self.kind.word();
        let (mut before, mut present) = (Vec::new(), Vec::new());
        for (which, xml) in docs {
            let nics = facts(xml)?.interfaces;
            if let Some(mac) = mac {
                if let Some(nic) = nics.iter().find(|n| n.mac.eq_ignore_ascii_case(mac)) {
                    let same_model = self.model.is_none() || nic.model == self.model;
                    if self.exist_ok && nic.kind == kind && nic.source == self.source && same_model {
                        present.push(*which);
                        continue;
                    }
                    if self.exist_ok && nic.kind == kind && nic.source == self.source {
                        return Err(Error::exists(format!(
                            "domain {}: its {which} has the interface with MAC {mac} otherwise (model: {} -> {})",
                            quote(&self.name),
                            nic.model.as_deref().unwrap_or("none"),
                            self.model.as_deref().unwrap_or("none")
                        ))
                        .with_hint("detach it first to attach it as asked"));
                    }
                    return Err(Error::exists(format!(
                        "domain {}: its {which} already has an interface with MAC {mac} (on {} {})",
                        quote(&self.name),
                        nic.kind,
                        quote(&nic.source)
                    ))
                    .with_hint("pick another --mac, or detach that one first"));
                }
            }
            before.extend(nics.into_iter().map(|n| n.mac.to_ascii_lowercase()));
        }
        Ok((before, present))
    }
}

/// The MAC libvirt gave a new interface: the one the definitions did not have `before`.
fn given_mac(dom: &Domain, scope: Scope, name: &str, before: &[String]) -> Result<String> {
    let docs = scope.documents(dom, name)?;
    let after = facts(&docs[0].1)?.interfaces;
    after
        .into_iter()
        .map(|n| n.mac.to_ascii_lowercase())
        .find(|m| !before.contains(m))
        .ok_or_else(|| Error::failed("attached, but the new interface is not in the domain XML"))
}

impl Verb for AttachInterface {
    type Ctx = Session;
    type Output = InterfaceChanged;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<InterfaceChanged> {
        word("--source", &self.source)?;
        if let Some(m) = &self.model {
            model(m)?;
        }
        let mac = self.mac.as_deref().map(parse_unicast_mac).transpose()?;
        if self.print_xml {
            return self.print(mac);
        }
        let dom = resolve(ctx.conn()?, &mut self.name)?;
        let scope = self.affect.resolve(&dom, &self.name)?;
        check_source(ctx, self.kind, &self.source)?;
        let kind = self.kind.word();
        let docs = scope.documents(&dom, &self.name)?;
        let (before, present) = self.macs_before(&docs, mac.as_deref())?;
        let out = |changed: bool, mac: String, tap: Option<String>| InterfaceChanged {
            name: self.name.clone(),
            changed,
            mac,
            kind: kind.to_string(),
            source: self.source.clone(),
            model: self.model.clone(),
            interface: tap,
            live: scope.live && changed,
            config: scope.config && changed,
            xml: None,
            done: "attached",
        };
        if let (Some(mac), false) = (&mac, present.is_empty()) {
            if present.len() < docs.len() {
                return Err(Error::exists(format!(
                    "domain {}: only its {} has an interface with MAC {mac}",
                    quote(&self.name),
                    present.join(" and ")
                ))
                .with_hint("attach it with --live or --config alone, for the definition that lacks it"));
            }
            // --exist-ok, and every definition has it already.
            return Ok(out(false, mac.clone(), live_tap(&dom, mac, scope)));
        }
        let xml = interface_xml_with(
            kind,
            Some(&self.source),
            mac.as_deref(),
            self.model.as_deref(),
            &self.more.extras(),
        );
        dom.attach_device_flags(&xml, scope.flags())
            .libvirt(format!("attach an interface to domain {}", quote(&self.name)))?;
        let mac = match mac {
            Some(mac) => mac,
            None => given_mac(&dom, scope, &self.name, &before)?,
        };
        let undo_xml = interface_xml(kind, Some(&self.source), Some(&mac), None);
        let (undo, flags) = (dom.clone(), scope.flags());
        journal.record_fn(
            format!("attach interface {mac} to domain {}", self.name),
            move || {
                undo.detach_device_flags(&undo_xml, flags)
                    .map(drop)
                    .libvirt("detach the interface")
            },
        )?;
        let tap = live_tap(&dom, &mac, scope);
        Ok(out(true, mac, tap))
    }
}

impl AttachInterface {
    /// --print-xml: the device XML attach would send, nothing looked up or changed.
    fn print(self, mac: Option<String>) -> Result<InterfaceChanged> {
        let kind = self.kind.word();
        let xml = interface_xml_with(
            kind,
            Some(&self.source),
            mac.as_deref(),
            self.model.as_deref(),
            &self.more.extras(),
        );
        Ok(InterfaceChanged {
            name: self.name,
            changed: false,
            mac: mac.unwrap_or_default(),
            kind: kind.to_string(),
            source: self.source,
            model: self.model,
            interface: None,
            live: false,
            config: false,
            xml: Some(indented(&xml)?),
            done: "attached",
        })
    }
}

/// The tap of a live interface with this MAC.
fn live_tap(dom: &Domain, mac: &str, scope: Scope) -> Option<String> {
    if !scope.live {
        return None;
    }
    let xml = dom.get_xml_desc(0).ok()?;
    domain_facts(&xml)
        .ok()?
        .interfaces
        .into_iter()
        .find(|n| n.mac.eq_ignore_ascii_case(mac))
        .and_then(|n| n.target)
}

/// Detach a network interface from a domain by its MAC (virsh detach-interface).
///
/// A MAC the domain does not have (in each definition changed) is exit 3 (--missing-ok: changed:
/// false), before anything changes. Without --mac, as virsh: the domain's one interface of --type
/// (several of that type: exit 7, name one with --mac). A live unplug completes when the guest
/// acknowledges it (its kernel must have booted): this waits up to --wait seconds for the
/// interface to leave the running domain; if the guest has not released it by then, exit 1 (the
/// request stays pending with the guest). Undone on a later failure: attached again with the same
/// MAC. --print-xml prints the interface's element as the domain has it (its persistent
/// definition with --config or --persistent, else the running domain's) and detaches nothing.
#[derive(Debug, clap::Args)]
pub struct DetachInterface {
    /// The domain.
    pub name: String,
    /// Only an interface of this type (virsh requires it; with --mac it only narrows the match).
    #[arg(
        long = "type",
        value_enum,
        value_name = "TYPE",
        required_unless_present = "mac"
    )]
    pub kind: Option<IfaceType>,
    /// The MAC of the interface to detach (without it: the domain's one interface of --type).
    #[arg(long, value_name = "MAC")]
    pub mac: Option<String>,
    #[command(flatten)]
    pub affect: super::devxml::DeviceAffect,
    /// With a live change: seconds to wait for the guest to release the interface.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub wait: u64,
    /// Succeed (changed: false) when the domain has no interface with this MAC.
    #[arg(long, visible_alias = "if-exists")]
    pub missing_ok: bool,
    /// Print the interface's XML instead of detaching it (nothing is changed).
    #[arg(long)]
    pub print_xml: bool,
}

/// The interface (and its place among the domain's interfaces) with `mac` and of `kind`, either
/// when not given; without a MAC more than one of the kind is exit 7, as virsh refuses it.
fn find_nic(xml: &str, mac: Option<&str>, kind: Option<IfaceType>) -> Result<Option<(usize, XmlInterface)>> {
    let mut found: Vec<(usize, XmlInterface)> = facts(xml)?
        .interfaces
        .into_iter()
        .enumerate()
        .filter(|(_, n)| mac.is_none_or(|m| n.mac.eq_ignore_ascii_case(m)))
        .filter(|(_, n)| kind.is_none_or(|k| n.kind == k.word()))
        .collect();
    if mac.is_none() && found.len() > 1 {
        let kind = kind.map_or("any", IfaceType::word);
        return Err(Error::invalid(format!(
            "the domain has {} interfaces of type {kind}: name the one to detach with --mac",
            found.len()
        ))
        .with_hint("list them with vnet-vm domiflist DOMAIN"));
    }
    Ok((!found.is_empty()).then(|| found.remove(0)))
}

impl DetachInterface {
    /// " with MAC M of type T", what the line names the interface by.
    fn named(&self, mac: Option<&str>) -> String {
        let mut out = String::new();
        if let Some(mac) = mac {
            out.push_str(&format!(" with MAC {mac}"));
        }
        if let Some(k) = self.kind {
            out.push_str(&format!(" of type {}", k.word()));
        }
        out
    }

    /// changed: false for --missing-ok.
    fn nothing(self, mac: Option<String>) -> InterfaceChanged {
        InterfaceChanged {
            name: self.name,
            changed: false,
            mac: mac.unwrap_or_default(),
            kind: self.kind.map_or("network", IfaceType::word).to_string(),
            source: String::new(),
            model: None,
            interface: None,
            live: false,
            config: false,
            xml: None,
            done: "detached",
        }
    }

    /// --print-xml: the interface's element in the definition virsh reads.
    fn print(self, docs: Vec<(&'static str, String)>, mac: Option<String>) -> Result<InterfaceChanged> {
        let which = docs.last().map_or("definition", |d| d.0);
        let xml = printed_document(docs);
        let Some((index, nic)) = find_nic(&xml, mac.as_deref(), self.kind)? else {
            if self.missing_ok {
                return Ok(self.nothing(mac));
            }
            return Err(Error::not_found(format!(
                "domain {}: no interface{} in its {which}",
                quote(&self.name),
                self.named(mac.as_deref())
            )));
        };
        Ok(InterfaceChanged {
            name: self.name,
            changed: false,
            mac: nic.mac,
            kind: nic.kind,
            source: nic.source,
            model: nic.model,
            interface: None,
            live: false,
            config: false,
            xml: Some(device_element(&xml, "interface", index)?),
            done: "detached",
        })
    }
}

impl Verb for DetachInterface {
    type Ctx = Session;
    type Output = InterfaceChanged;

    fn run(mut self, ctx: &mut Session, journal: &mut Journal) -> Result<InterfaceChanged> {
        let mut mac = self.mac.as_deref().map(parse_unicast_mac).transpose()?;
        let dom = resolve(ctx.conn()?, &mut self.name)?;
        let scope = self.affect.resolve(&dom, &self.name)?;
        let docs = scope.documents(&dom, &self.name)?;
        if self.print_xml {
            return self.print(docs, mac);
        }
        let mut found: Option<XmlInterface> = None;
        let mut missing = Vec::new();
        for (which, xml) in docs {
            // Without --mac the first definition's one interface of the type names the MAC the
            // others must have.
            match find_nic(&xml, mac.as_deref(), self.kind)? {
                Some((_, nic)) => {
                    mac.get_or_insert_with(|| nic.mac.to_ascii_lowercase());
                    found = found.or(Some(nic));
                }
                None => missing.push(which),
            }
        }
        if !missing.is_empty() {
            if self.missing_ok && found.is_none() {
                return Ok(self.nothing(mac));
            }
            return Err(Error::not_found(format!(
                "domain {}: no interface{} in its {}",
                quote(&self.name),
                self.named(mac.as_deref()),
                missing.join(" or ")
            ))
            .with_hint(format!(
                "list its interfaces with vnet-vm domiflist {}",
                self.name
            )));
        }
        let nic = found.expect("found in every definition");
        let mac = mac.expect("named by --mac or by the interface found");
        // libvirt parses the device XML in full (a network interface needs its source), then
        // matches it by MAC.
        let xml = interface_xml(&nic.kind, Some(&nic.source), Some(&mac), None);
        let what = format!("detach interface {mac} from domain {}", quote(&self.name));
        dom.detach_device_flags(&xml, scope.flags()).libvirt(&what)?;
        if scope.live {
            let gone = wait_until_gone(&dom, self.wait, |xml| {
                find_nic(xml, Some(mac.as_str()), None).is_ok_and(|n| n.is_none())
            })?;
            if !gone {
                journal.irreversible(format!("{what} (pending with the guest)"))?;
                return Err(unplug_pending(&what, &self.name, self.wait));
            }
        }
        let undo_xml = interface_xml(&nic.kind, Some(&nic.source), Some(&mac), nic.model.as_deref());
        let (undo, flags) = (dom.clone(), scope.flags());
        journal.record_fn(
            format!("detach interface {mac} from domain {}", self.name),
            move || {
                undo.attach_device_flags(&undo_xml, flags)
                    .map(drop)
                    .libvirt("attach the interface again")
            },
        )?;
        Ok(InterfaceChanged {
            name: self.name,
            changed: true,
            mac,
            kind: nic.kind,
            source: nic.source,
            model: nic.model,
            interface: nic.target.filter(|_| scope.live),
            live: scope.live,
            config: scope.config,
            xml: None,
            done: "detached",
        })
    }
}
