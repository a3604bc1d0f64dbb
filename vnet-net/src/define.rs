//! `define` and `create`: a network from a libvirt XML file or from flags, checked before libvirt
//! sees it.

use crate::checks::{check_collisions, check_identity, check_startable};
use crate::lifecycle::{set_autostart, start_network};
use crate::network::{changed, definition, lookup, Changed};
use crate::spec::{self, Flags};
use crate::xml::{self, Mode, Summary};
use schemars::JsonSchema;
use serde::Serialize;
use std::path::PathBuf;
use virt::network::Network;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Context, Error, ErrorKind, Journal, Render, Result, Verb};

/// A definition: a libvirt XML file, or flags that build one.
#[derive(Debug, clap::Args)]
pub struct DefinitionArgs {
    /// libvirt network XML file (the alternative to --name and the flags below): UTF-8, at most
    /// 10 MiB (virsh's bound); a larger file or one that is not UTF-8 is refused (exit 7).
    #[arg(
        value_name = "FILE",
        conflicts_with_all = ["name", "mode", "bridge", "ips", "dhcp_ranges", "forward_dev", "domain", "ipv6", "mtu"]
    )]
    pub file: Option<PathBuf>,
    /// Network name (build the definition from flags).
    #[arg(long)]
    pub name: Option<String>,
    /// Forward mode (default nat).
    #[arg(long, value_enum, requires = "name")]
    pub mode: Option<Mode>,
    /// Bridge device: created by libvirt (nat, route, isolated, open; default virbrN), or the
    /// existing host bridge (bridge mode, required). At most 15 bytes.
    #[arg(long, value_name = "BR", requires = "name")]
    pub bridge: Option<String>,
    /// The host's address on the network with its prefix, e.g. 10.200.1.1/24 (repeatable).
    #[arg(long = "ip", value_name = "CIDR", requires = "name")]
    pub ips: Vec<String>,
    /// DHCP range inside an --ip/--ipv6 subnet, e.g. 10.200.1.10,10.200.1.100 (repeatable).
    #[arg(long = "dhcp-range", value_name = "START,END", requires = "name")]
    pub dhcp_ranges: Vec<String>,
    /// Forward only through this host interface (nat, route).
    #[arg(long, value_name = "IF", requires = "name")]
    pub forward_dev: Option<String>,
    /// DNS domain for the guests.
    #[arg(long, value_name = "NAME", requires = "name")]
    pub domain: Option<String>,
    /// The host's IPv6 address on the network with its prefix, e.g. fd00:200::1/64.
    #[arg(long, value_name = "CIDR", requires = "name")]
    pub ipv6: Option<String>,
    /// The bridge's MTU (libvirt's <mtu size=.../>; 68..=65535), e.g. 9000 for jumbo frames.
    #[arg(long, value_name = "N", requires = "name")]
    pub mtu: Option<u32>,
    /// Succeed ("changed": false) when a network of this name with the same definition exists.
    #[arg(long, visible_alias = "may-exist")]
    pub exist_ok: bool,
    /// Tag the network with LABEL (1..64 bytes of A-Z a-z 0-9 _ . -): kept in its definition as
    /// <metadata><vnet:tag xmlns:vnet="http://vnet.invalid/xmlns/tag/1">LABEL</vnet:tag></metadata>;
    /// `list --tag` lists it, `prune --tag` removes it. An existing network accepted with
    /// --exist-ok keeps its own tag.
    #[arg(long, value_name = "LABEL")]
    pub tag: Option<String>,
    /// Have libvirt also check the document against its network schema (virsh --validate): a
    /// document the schema refuses is exit 7 with libvirt's reason, nothing defined or started.
    #[arg(long)]
    pub validate: bool,
}

/// Define a persistent network from a libvirt XML file, or from flags.
///
/// With FILE, the XML is checked (well-formed, a <network> with a valid name, addresses,
/// DHCP ranges inside their subnet, bridge name <= 15 bytes) and sent as is; over an existing
/// network of that name it updates the persistent definition, as virsh net-define does
/// ("definition": "updated"; a running network keeps its old definition until restarted:
/// "restart_needed": true), and an identical definition is "changed": false. With --name, the
/// XML is built from the flags, and a name in use is exit 4 (with --exist-ok: success with
/// "changed": false when the existing definition says the same, exit 4 when it differs). A
/// subnet overlapping an active network is exit 4. --start and --autostart act after the
/// define; when one of them fails, what this call did is undone (an update: the old definition
/// is defined again).
#[derive(Debug, clap::Args)]
pub struct Define {
    #[command(flatten)]
    pub definition: DefinitionArgs,
    /// Start the network after defining it.
    #[arg(long)]
    pub start: bool,
    /// Mark the network to start with libvirtd.
    #[arg(long)]
    pub autostart: bool,
}

/// What `define` did: the network's state, and whether the definition was new or updated.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Defined {
    #[serde(flatten)]
    pub changed: Changed,
    /// "created" (a new network), "updated" (FILE over an existing one, as virsh net-define),
    /// or "unchanged" (the existing definition already said the same).
    pub definition: &'static str,
    /// True when a running network keeps its old definition until it is restarted (an update
    /// of an active network).
    pub restart_needed: bool,
}

/// Mutating verbs print nothing in text mode, as virsh does.
impl Render for Defined {}

impl Verb for Define {
    type Ctx = Session;
    type Output = Defined;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Defined> {
        // Built and checked before connecting: bad input never needs libvirt.
        let request = Request::from_args(&self.definition)?;
        let conn = ctx.conn()?;
        let name = request.name();
        let mut outcome = ("created", false);
        let (net, defined) = match by_name(conn, name)? {
            Some(net) if self.definition.file.is_some() => {
                let updated = redefine(conn, &net, &request, journal)?;
                let restart_needed = updated && net.is_active().libvirt(format!("network {name}"))?;
                outcome = (if updated { "updated" } else { "unchanged" }, restart_needed);
                (net, updated)
            }
            Some(net) => {
                accept_existing(&net, &request, self.definition.exist_ok, true)?;
                outcome = ("unchanged", false);
                (net, false)
            }
            None => {
                check_identity(conn, &request.summary, name)?;
                check_collisions(conn, &request.summary, name)?;
                let net = from_xml(conn, &request.xml, Action::define(request.validate))
                    .libvirt(format!("define network {name}"))?;
                let (undo, what) = (net.clone(), format!("undefine network {name}"));
                journal.record_fn(format!("define network {name}"), move || {
                    undo.undefine().libvirt(what)
                })?;
                (net, true)
            }
        };
        let what = format!("network {name}");
        let mut acted = defined;
        if self.start && !net.is_active().libvirt(&what)? {
            start_network(conn, &net, &request.summary, name, journal)?;
            acted = true;
        }
        if self.autostart {
            acted |= set_autostart(&net, name, true, journal)?;
        }
        let (definition, restart_needed) = outcome;
        Ok(Defined {
            changed: changed(&net, acted)?,
            definition,
            restart_needed,
        })
    }
}

/// The network whose own name is `name` (a definition names its network; no UUID lookup).
fn by_name(conn: &virt::connect::Connect, name: &str) -> Result<Option<Network>> {
    match Network::lookup_by_name(conn, name) {
        Ok(net) => Ok(Some(net)),
        Err(e) if e.code() == virt::error::ErrorNumber::NoNetwork => Ok(None),
        Err(e) => Err(vnet_common::libvirt::error(e).context(format!("network {name}"))),
    }
}

/// virsh net-define over an existing network: replaces its persistent definition (a running
/// network keeps running on the old one). False when the definition already says the same.
/// Undone on a later failure: the old definition is defined again.
fn redefine(
    conn: &virt::connect::Connect,
    net: &Network,
    request: &Request,
    journal: &mut Journal,
) -> Result<bool> {
    let name = request.name();
    let what = format!("network {name}");
    let active = net.is_active().libvirt(&what)?;
    let persistent = net.is_persistent().libvirt(&what)?;
    // The persistent definition differs from the live one only while active (and the test
    // driver refuses the flag on an inactive network).
    if persistent && request.summary.matches(&definition(net, active, name)?) {
        return Ok(false);
    }
    check_identity(conn, &request.summary, name)?;
    check_collisions(conn, &request.summary, name)?;
    let flags = if active {
        virt::sys::VIR_NETWORK_XML_INACTIVE
    } else {
        0
    };
    let old = net.get_xml_desc(flags).libvirt(&what)?;
    // A file without <uuid> names the network by name alone: it keeps its own UUID (libvirt would
    // make up a new one and refuse it as another network of the same name).
    let xml = match request.summary.uuid {
        Some(_) => request.xml.clone(),
        None => {
            let uuid = net.get_uuid_string().libvirt(&what)?;
            vnet_common::libvirt::document::insert_into_child(&request.xml, "uuid", &uuid)?
        }
    };
    from_xml(conn, &xml, Action::define(request.validate)).libvirt(format!("define network {name}"))?;
    let (conn, what) = (conn.clone(), format!("define network {name} again as it was"));
    let net_name = name.to_string();
    journal.record_fn(format!("update network {name}"), move || {
        if persistent {
            Network::define_xml(&conn, &old).map(drop).libvirt(what)
        } else {
            // It was transient: undefining makes it so again.
            Network::lookup_by_name(&conn, &net_name)
                .and_then(|n| n.undefine())
                .libvirt(what)
        }
    })?;
    Ok(true)
}

/// Create and start a transient network (gone when destroyed), from a file or from flags.
///
/// Same inputs and checks as define. --exist-ok: success with "changed": false when an active
/// network of that name has the same definition.
#[derive(Debug, clap::Args)]
pub struct Create {
    #[command(flatten)]
    pub definition: DefinitionArgs,
}

impl Verb for Create {
    type Ctx = Session;
    type Output = Changed;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Changed> {
        let request = Request::from_args(&self.definition)?;
        let conn = ctx.conn()?;
        let name = request.name();
        if let Some(net) = lookup(conn, name)? {
            accept_existing(&net, &request, self.definition.exist_ok, false)?;
            return changed(&net, false);
        }
        check_identity(conn, &request.summary, name)?;
        check_startable(conn, &request.summary, name)?;
        let net = from_xml(conn, &request.xml, Action::create(request.validate))
            .libvirt(format!("create network {name}"))?;
        let (undo, what) = (net.clone(), format!("destroy network {name}"));
        journal.record_fn(format!("create network {name}"), move || {
            undo.destroy().libvirt(what)
        })?;
        changed(&net, true)
    }
}

/// A definition ready for libvirt: the XML to send and what it says (already validated).
pub struct Request {
    pub xml: String,
    pub summary: Summary,
    /// --validate: libvirt checks the document against its schema too.
    pub validate: bool,
}

impl Request {
    pub fn from_args(args: &DefinitionArgs) -> Result<Request> {
        let xml = match (&args.file, &args.name) {
            (Some(path), _) => vnet_common::files::read_text(path, vnet_common::files::MAX_XML)?,
            (None, Some(name)) => xml::build(&spec::from_flags(&flags(args, name))?),
            // Checked here, not by clap, whose message for it would not name the arguments.
            (None, None) => {
                return Err(Error::new(
                    ErrorKind::Usage,
                    "a definition needs FILE.xml or --name NAME (with flags)",
                )
                .with_hint("see 'vnet-net define --help'"))
            }
        };
        let xml = crate::prune::tagged_xml(xml, args.tag.as_deref())?;
        let what = args
            .file
            .as_ref()
            .map_or_else(|| "network definition".to_string(), |p| p.display().to_string());
        if xml.contains('\0') {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("{what}: a NUL byte is no XML"),
            ));
        }
        let summary = xml::parse(&xml).context(&what)?;
        spec::validate(&summary).context(&what)?;
        Ok(Request {
            xml,
            summary,
            validate: args.validate,
        })
    }

    pub fn name(&self) -> &str {
        self.summary
            .name
            .as_deref()
            .expect("validated definitions have a name")
    }
}

fn flags(args: &DefinitionArgs, name: &str) -> Flags {
    Flags {
        name: name.to_string(),
        mode: args.mode,
        bridge: args.bridge.clone(),
        ips: args.ips.clone(),
        dhcp_ranges: args.dhcp_ranges.clone(),
        forward_dev: args.forward_dev.clone(),
        domain: args.domain.clone(),
        ipv6: args.ipv6.clone(),
        mtu: args.mtu,
    }
}

/// With --exist-ok, an existing network is fine when its definition says what was asked for.
fn accept_existing(net: &Network, request: &Request, exist_ok: bool, persistent: bool) -> Result<()> {
    let name = request.name();
    if !exist_ok {
        return Err(Error::exists(format!("network {name} already exists"))
            .with_hint("use --exist-ok to accept an identical definition, or undefine it first"));
    }
    let what = format!("network {name}");
    let active = net.is_active().libvirt(&what)?;
    if persistent && !net.is_persistent().libvirt(&what)? {
        return Err(Error::exists(format!(
            "network {name} already exists as a transient network"
        )));
    }
    if !persistent && !active {
        return Err(
            Error::exists(format!("network {name} is already defined (inactive)"))
                .with_hint(format!("start it with 'vnet-net start {name}'")),
        );
    }
    // The persistent definition differs from the live one only while active (and the test driver
    // refuses the flag).
    let existing = definition(net, persistent && active, name)?;
    let differences = request.summary.differences(&existing);
    if !differences.is_empty() {
        return Err(Error::exists(format!(
            "network {name} already exists with a different definition ({})",
            differences.join("; ")
        ))
        .with_hint(format!(
            "compare with 'vnet-net dumpxml {name}'; undefine it to replace it"
        )));
    }
    Ok(())
}

/// What [`from_xml`] asks libvirt for: define or create, and libvirt's flags for it.
#[derive(Clone, Copy)]
struct Action {
    create: bool,
    flags: u32,
}

impl Action {
    fn define(validate: bool) -> Action {
        let flags = if validate {
            virt::sys::VIR_NETWORK_DEFINE_VALIDATE
        } else {
            0
        };
        Action { create: false, flags }
    }

    fn create(validate: bool) -> Action {
        let flags = if validate {
            virt::sys::VIR_NETWORK_CREATE_VALIDATE
        } else {
            0
        };
        Action { create: true, flags }
    }
}

/// virNetworkDefineXMLFlags / virNetworkCreateXMLFlags (libvirt 7.7 / 7.8), which virt 0.4 does
/// not wrap; without flags the plain calls, so an older daemon is asked only what it knows.
fn from_xml(
    conn: &virt::connect::Connect,
    xml: &str,
    action: Action,
) -> std::result::Result<Network, virt::error::Error> {
    match (action.create, action.flags) {
        (false, 0) => return Network::define_xml(conn, xml),
        (true, 0) => return Network::create_xml(conn, xml),
        _ => {}
    }
    // Files with a NUL byte never get here: Request::from_args refuses them.
    let text = std::ffi::CString::new(xml).expect("a checked definition has no NUL byte");
    // SAFETY: the connection and the string outlive the call; a null result is libvirt's error.
    let ptr = unsafe {
        if action.create {
            virt::sys::virNetworkCreateXMLFlags(conn.as_ptr(), text.as_ptr(), action.flags)
        } else {
            virt::sys::virNetworkDefineXMLFlags(conn.as_ptr(), text.as_ptr(), action.flags)
        }
    };
    if ptr.is_null() {
        return Err(virt::error::Error::last_error());
    }
    // SAFETY: libvirt returned a new reference, which the Network now owns.
    Ok(unsafe { Network::from_ptr(ptr) })
}
