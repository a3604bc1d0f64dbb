//! The network verbs: list, define, create, start, destroy, undefine, autostart, dumpxml, info.

use crate::cli::{
    AutostartArgs, CreateArgs, DefineArgs, DefinitionArgs, DumpxmlArgs, ListArgs, RemoveArgs, StartArgs,
};
use crate::spec::{self, Flags};
use crate::table;
use crate::xml::{self, Summary};
use serde_json::{json, Value};
use virt::connect::Connect;
use virt::error::ErrorNumber;
use virt::network::Network;
use virt::sys;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Context, Error, Outcome, Result};

/// What every verb reports about a network.
pub struct State {
    pub name: String,
    pub uuid: String,
    pub active: bool,
    pub persistent: bool,
    pub autostart: bool,
    pub summary: Summary,
}

impl State {
    pub fn read(net: &Network) -> Result<State> {
        let name = net.get_name().libvirt("network name")?;
        let what = format!("network {name}");
        Ok(State {
            uuid: net.get_uuid_string().libvirt(&what)?,
            active: net.is_active().libvirt(&what)?,
            persistent: net.is_persistent().libvirt(&what)?,
            autostart: net.get_autostart().libvirt(&what)?,
            summary: xml::parse(&net.get_xml_desc(0).libvirt(&what)?).context(&what)?,
            name,
        })
    }

    pub fn json(&self) -> Value {
        json!({
            "name": self.name,
            "uuid": self.uuid,
            "active": self.active,
            "persistent": self.persistent,
            "autostart": self.autostart,
            "bridge": self.summary.bridge,
            "mode": self.summary.mode,
            "ips": self.summary.ip_strings(),
        })
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// The network called `name`, or None when libvirt has none.
pub fn lookup(conn: &Connect, name: &str) -> Result<Option<Network>> {
    match Network::lookup_by_name(conn, name) {
        Ok(net) => Ok(Some(net)),
        Err(e) if e.code() == ErrorNumber::NoNetwork => Ok(None),
        Err(e) => Err(vnet_common::libvirt::error(e).context(format!("network {name}"))),
    }
}

/// The network called `name`; a missing one is exit 3.
pub fn require(conn: &Connect, name: &str) -> Result<Network> {
    spec::validate_name(name)?;
    lookup(conn, name)?.ok_or_else(|| {
        Error::not_found(format!("network {name} not found"))
            .with_hint("see 'vnet-net list --all' for the defined networks")
    })
}

pub fn list(conn: &Connect, args: &ListArgs) -> Result<Outcome> {
    let mut flags = if args.all {
        0
    } else if args.inactive {
        sys::VIR_CONNECT_LIST_NETWORKS_INACTIVE
    } else {
        sys::VIR_CONNECT_LIST_NETWORKS_ACTIVE
    };
    for (wanted, flag) in [
        (args.persistent, sys::VIR_CONNECT_LIST_NETWORKS_PERSISTENT),
        (args.transient, sys::VIR_CONNECT_LIST_NETWORKS_TRANSIENT),
        (args.autostart, sys::VIR_CONNECT_LIST_NETWORKS_AUTOSTART),
        (args.no_autostart, sys::VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART),
    ] {
        if wanted {
            flags |= flag;
        }
    }
    let mut states = all_states(conn, flags)?;
    // virsh sorts names case-insensitively.
    states.sort_by_key(|s| (s.name.to_lowercase(), s.name.clone()));
    let rows: Vec<Vec<String>> = states
        .iter()
        .map(|s| {
            let state = if s.active { "active" } else { "inactive" };
            vec![
                s.name.clone(),
                state.into(),
                yes_no(s.autostart),
                yes_no(s.persistent),
            ]
        })
        .collect();
    let text = table::render(&["Name", "State", "Autostart", "Persistent"], &rows);
    Ok(Outcome::new(states.iter().map(State::json).collect(), text))
}

fn all_states(conn: &Connect, flags: sys::virConnectListAllNetworksFlags) -> Result<Vec<State>> {
    let nets = conn.list_all_networks(flags).libvirt("list networks")?;
    // Three more listings answer active / persistent / autostart for every network at once,
    // instead of three calls per network (what virsh net-list does): listing stays one call
    // per network (its XML) however many networks there are.
    let active = uuids_listed(conn, sys::VIR_CONNECT_LIST_NETWORKS_ACTIVE)?;
    let persistent = uuids_listed(conn, sys::VIR_CONNECT_LIST_NETWORKS_PERSISTENT)?;
    let autostart = uuids_listed(conn, sys::VIR_CONNECT_LIST_NETWORKS_AUTOSTART)?;
    let mut states = Vec::with_capacity(nets.len());
    for net in &nets {
        let name = net.get_name().libvirt("network name")?;
        let uuid = net.get_uuid_string().libvirt(format!("network {name}"))?;
        let xml = match net.get_xml_desc(0) {
            Ok(xml) => xml,
            // Undefined by someone else between listing and reading: no longer there to list.
            Err(e) if e.code() == ErrorNumber::NoNetwork => continue,
            Err(e) => return Err(vnet_common::libvirt::error(e).context(format!("network {name}"))),
        };
        states.push(State {
            active: active.contains(&uuid),
            persistent: persistent.contains(&uuid),
            autostart: autostart.contains(&uuid),
            summary: xml::parse(&xml).context(format!("network {name}"))?,
            uuid,
            name,
        });
    }
    Ok(states)
}

/// The UUIDs of the networks one filtered listing returns.
fn uuids_listed(
    conn: &Connect,
    flag: sys::virConnectListAllNetworksFlags,
) -> Result<std::collections::HashSet<String>> {
    let nets = conn.list_all_networks(flag).libvirt("list networks")?;
    nets.iter()
        .map(|n| n.get_uuid_string().libvirt("network uuid"))
        .collect()
}

pub fn info(conn: &Connect, name: &str) -> Result<Outcome> {
    let state = State::read(&require(conn, name)?)?;
    let mut text = String::new();
    for (label, value) in [
        ("Name:", state.name.clone()),
        ("UUID:", state.uuid.clone()),
        ("Active:", yes_no(state.active)),
        ("Persistent:", yes_no(state.persistent)),
        ("Autostart:", yes_no(state.autostart)),
    ] {
        text.push_str(&format!("{label:<15} {value}\n"));
    }
    if let Some(bridge) = &state.summary.bridge {
        text.push_str(&format!("{:<15} {bridge}\n", "Bridge:"));
    }
    text.push('\n');
    Ok(Outcome::new(state.json(), text))
}

pub fn dumpxml(conn: &Connect, args: &DumpxmlArgs) -> Result<Outcome> {
    let net = require(conn, &args.name)?;
    let flags = if args.inactive {
        sys::VIR_NETWORK_XML_INACTIVE
    } else {
        0
    };
    let text = net
        .get_xml_desc(flags)
        .libvirt(format!("dump network {}", args.name))?;
    let summary = xml::parse(&text).context(format!("network {}", args.name))?;
    // virsh prints a blank line after the document; so do we, so the two compare equal.
    Ok(Outcome::new(summary.to_json(), format!("{text}\n")))
}

/// A definition ready for libvirt: the XML to send and what it says (already validated).
pub struct Request {
    pub xml: String,
    pub summary: Summary,
}

impl Request {
    pub fn from_args(args: &DefinitionArgs) -> Result<Request> {
        let xml = match (&args.file, &args.name) {
            (Some(path), _) => std::fs::read_to_string(path).context(format!("read {}", path.display()))?,
            (None, Some(name)) => xml::build(&spec::from_flags(&Flags {
                name: name.clone(),
                mode: args.mode,
                bridge: args.bridge.clone(),
                ips: args.ips.clone(),
                dhcp_ranges: args.dhcp_ranges.clone(),
                forward_dev: args.forward_dev.clone(),
                domain: args.domain.clone(),
                ipv6: args.ipv6.clone(),
            })?),
            // Checked here, not by clap, whose message for it would not name the arguments.
            (None, None) => {
                return Err(Error::new(
                    vnet_common::ErrorKind::Usage,
                    "a definition needs FILE.xml or --name NAME (with flags)",
                )
                .with_hint("see 'vnet-net define --help'"))
            }
        };
        let what = args
            .file
            .as_ref()
            .map_or_else(|| "network definition".to_string(), |p| p.display().to_string());
        let summary = xml::parse(&xml).context(&what)?;
        spec::validate(&summary).context(&what)?;
        Ok(Request { xml, summary })
    }

    pub fn name(&self) -> &str {
        self.summary
            .name
            .as_deref()
            .expect("validated definitions have a name")
    }
}

/// Refuses a new definition whose UUID or libvirt-managed bridge belongs to another network, as
/// happens with a copy of default.xml that was only renamed (the seed's bridged_network recipe).
pub fn check_identity(conn: &Connect, summary: &Summary, name: &str) -> Result<()> {
    let hint = "a copied definition keeps the original's <uuid>, <mac> and bridge name: delete the \
                <uuid> and <mac> lines and give it its own bridge name";
    for other in all_states(conn, 0)? {
        if other.name == name {
            continue;
        }
        if summary
            .uuid
            .as_ref()
            .is_some_and(|u| u.eq_ignore_ascii_case(&other.uuid))
        {
            return Err(Error::exists(format!(
                "network {name}: UUID {} already belongs to network {}",
                other.uuid, other.name
            ))
            .with_hint(hint));
        }
        let managed = |s: &Summary| s.mode != "bridge";
        if summary.bridge.is_some()
            && summary.bridge == other.summary.bridge
            && managed(summary)
            && managed(&other.summary)
        {
            return Err(Error::exists(format!(
                "network {name}: bridge {} is already used by network {}",
                other.summary.bridge.as_deref().unwrap_or_default(),
                other.name
            ))
            .with_hint(hint));
        }
    }
    Ok(())
}

/// Refuses a subnet that overlaps one of another active network (libvirt would fail to start it,
/// or worse, route it twice).
pub fn check_collisions(conn: &Connect, summary: &Summary, name: &str) -> Result<()> {
    for other in all_states(conn, sys::VIR_CONNECT_LIST_NETWORKS_ACTIVE)? {
        if other.name == name {
            continue;
        }
        for mine in &summary.ips {
            if let Some(theirs) = other
                .summary
                .ips
                .iter()
                .find(|t| spec::overlaps(mine.address, t.address))
            {
                return Err(Error::exists(format!(
                    "network {name}: subnet {} collides with active network {} ({})",
                    mine.address.trunc(),
                    other.name,
                    theirs.address.trunc()
                ))
                .with_hint(format!(
                    "pick another subnet, or stop the other network: vnet-net destroy {}",
                    other.name
                )));
            }
        }
    }
    Ok(())
}

/// A bridged network needs its host bridge: libvirt starts one without it, and guests then fail to
/// attach. Checked only on this machine's own daemon (a remote host's bridges are not visible here).
pub fn check_host_bridge(conn: &Connect, summary: &Summary) -> Result<()> {
    let (Some(bridge), "bridge") = (&summary.bridge, summary.mode.as_str()) else {
        return Ok(());
    };
    let uri = conn.get_uri().libvirt("connection URI")?;
    if !is_local_uri(&uri) || uri.starts_with("test:") {
        return Ok(());
    }
    if std::path::Path::new("/sys/class/net")
        .join(bridge)
        .join("bridge")
        .is_dir()
    {
        return Ok(());
    }
    Err(
        Error::not_found(format!("host bridge {bridge} not found")).with_hint(format!(
            "create it first: vnet-bridge addbr {bridge} (or ip link add {bridge} type bridge)"
        )),
    )
}

/// True for URIs served on this machine: no host part, and no transport other than unix.
pub fn is_local_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return true;
    };
    let transport_ok = !matches!(scheme.split_once('+'), Some((_, t)) if t != "unix");
    transport_ok && (rest.is_empty() || rest.starts_with('/'))
}

/// With --exist-ok, an existing network is fine when its definition says what was asked for.
fn accept_existing(net: &Network, request: &Request, exist_ok: bool, persistent: bool) -> Result<()> {
    let name = request.name();
    if !exist_ok {
        return Err(Error::exists(format!("network {name} already exists"))
            .with_hint("use --exist-ok to accept an identical definition, or undefine it first"));
    }
    let what = format!("network {name}");
    if persistent && !net.is_persistent().libvirt(&what)? {
        return Err(Error::exists(format!(
            "network {name} already exists as a transient network"
        )));
    }
    if !persistent && !net.is_active().libvirt(&what)? {
        return Err(
            Error::exists(format!("network {name} is already defined (inactive)"))
                .with_hint(format!("start it with 'vnet-net start {name}'")),
        );
    }
    // The persistent definition differs from the live one only while active (and the test driver
    // refuses the flag).
    let active = net.is_active().libvirt(&what)?;
    let flags = if persistent && active {
        sys::VIR_NETWORK_XML_INACTIVE
    } else {
        0
    };
    let existing = xml::parse(&net.get_xml_desc(flags).libvirt(&what)?).context(&what)?;
    if !request.summary.matches(&existing) {
        return Err(Error::exists(format!(
            "network {name} already exists with a different definition"
        ))
        .with_hint(format!(
            "compare with 'vnet-net dumpxml {name}'; undefine it to replace it"
        )));
    }
    Ok(())
}

fn changed_json(net: &Network, changed: bool) -> Result<Value> {
    let mut value = State::read(net)?.json();
    value["changed"] = json!(changed);
    Ok(value)
}

/// `request` is built (and checked) by the caller before connecting: bad input never needs libvirt.
pub fn define(conn: &Connect, args: &DefineArgs, request: Request) -> Result<Outcome> {
    let name = request.name().to_string();
    let (net, defined) = match lookup(conn, &name)? {
        Some(net) => {
            accept_existing(&net, &request, args.definition.exist_ok, true)?;
            (net, false)
        }
        None => {
            check_identity(conn, &request.summary, &name)?;
            check_collisions(conn, &request.summary, &name)?;
            let net = Network::define_xml(conn, &request.xml).libvirt(format!("define network {name}"))?;
            (net, true)
        }
    };
    // Nothing half-done: a failed --start or --autostart undoes what this call did.
    match finish_define(conn, &net, &request, args) {
        Ok(acted) => Ok(Outcome::quiet(changed_json(&net, defined || acted)?)),
        Err(e) => {
            if defined {
                let _ = net.undefine();
            }
            Err(e)
        }
    }
}

/// --start and --autostart; true when either changed something.
fn finish_define(conn: &Connect, net: &Network, request: &Request, args: &DefineArgs) -> Result<bool> {
    let name = request.name();
    let what = format!("network {name}");
    let mut started = false;
    if args.start && !net.is_active().libvirt(&what)? {
        check_collisions(conn, &request.summary, name)?;
        check_host_bridge(conn, &request.summary)?;
        net.create().libvirt(format!("start network {name}"))?;
        started = true;
    }
    let mut autostarted = false;
    if args.autostart && !net.get_autostart().libvirt(&what)? {
        if let Err(e) = net
            .set_autostart(true)
            .libvirt(format!("autostart network {name}"))
        {
            if started {
                let _ = net.destroy();
            }
            return Err(e);
        }
        autostarted = true;
    }
    Ok(started || autostarted)
}

pub fn create(conn: &Connect, args: &CreateArgs, request: Request) -> Result<Outcome> {
    let name = request.name().to_string();
    if let Some(net) = lookup(conn, &name)? {
        accept_existing(&net, &request, args.definition.exist_ok, false)?;
        return Ok(Outcome::quiet(changed_json(&net, false)?));
    }
    check_identity(conn, &request.summary, &name)?;
    check_collisions(conn, &request.summary, &name)?;
    check_host_bridge(conn, &request.summary)?;
    let net = Network::create_xml(conn, &request.xml).libvirt(format!("create network {name}"))?;
    Ok(Outcome::quiet(changed_json(&net, true)?))
}

pub fn start(conn: &Connect, args: &StartArgs) -> Result<Outcome> {
    let name = &args.name;
    let net = require(conn, name).map_err(|e| match e.kind {
        vnet_common::ErrorKind::NotFound => {
            e.with_hint("define it first: vnet-net define FILE.xml, or vnet-net define --name NAME ...")
        }
        _ => e,
    })?;
    let state = State::read(&net)?;
    if state.active {
        if args.exist_ok {
            return Ok(Outcome::quiet(changed_json(&net, false)?));
        }
        return Err(Error::exists(format!("network {name} is already active"))
            .with_hint("use --exist-ok to accept an active network"));
    }
    check_collisions(conn, &state.summary, name)?;
    check_host_bridge(conn, &state.summary)?;
    net.create().libvirt(format!("start network {name}"))?;
    Ok(Outcome::quiet(changed_json(&net, true)?))
}

/// What a removed network leaves to report when libvirt no longer knows it.
fn gone_json(name: &str, uuid: &str, changed: bool) -> Value {
    json!({"name": name, "uuid": uuid, "active": false, "persistent": false, "changed": changed})
}

/// After destroy/undefine: the network's state if it still exists, else what is left to say.
fn after_removal(conn: &Connect, name: &str, uuid: &str) -> Result<Outcome> {
    match lookup(conn, name)? {
        Some(net) => Ok(Outcome::quiet(changed_json(&net, true)?)),
        None => Ok(Outcome::quiet(gone_json(name, uuid, true))),
    }
}

pub fn destroy(conn: &Connect, args: &RemoveArgs) -> Result<Outcome> {
    let name = &args.name;
    spec::validate_name(name)?;
    let Some(net) = lookup(conn, name)? else {
        if args.missing_ok {
            return Ok(Outcome::quiet(json!({"name": name, "changed": false})));
        }
        return Err(require(conn, name).expect_err("looked up just now"));
    };
    let what = format!("network {name}");
    if !net.is_active().libvirt(&what)? {
        if args.missing_ok {
            return Ok(Outcome::quiet(changed_json(&net, false)?));
        }
        return Err(Error::failed(format!("network {name} is not active"))
            .with_hint("use --missing-ok to accept an inactive network"));
    }
    let uuid = net.get_uuid_string().libvirt(&what)?;
    net.destroy().libvirt(format!("destroy network {name}"))?;
    after_removal(conn, name, &uuid)
}

pub fn undefine(conn: &Connect, args: &RemoveArgs) -> Result<Outcome> {
    let name = &args.name;
    spec::validate_name(name)?;
    let what = format!("network {name}");
    let net = match lookup(conn, name)? {
        Some(net) if net.is_persistent().libvirt(&what)? => net,
        found => {
            if args.missing_ok {
                return Ok(Outcome::quiet(match found {
                    Some(net) => changed_json(&net, false)?,
                    None => json!({"name": name, "changed": false}),
                }));
            }
            let why = if found.is_some() {
                "is not defined (transient: destroy it instead)"
            } else {
                "not found"
            };
            return Err(Error::not_found(format!("network {name} {why}")));
        }
    };
    let uuid = net.get_uuid_string().libvirt(&what)?;
    net.undefine().libvirt(format!("undefine network {name}"))?;
    after_removal(conn, name, &uuid)
}

pub fn autostart(conn: &Connect, args: &AutostartArgs) -> Result<Outcome> {
    let name = &args.name;
    let net = require(conn, name)?;
    let what = format!("network {name}");
    let want = !args.disable;
    if net.get_autostart().libvirt(&what)? == want {
        return Ok(Outcome::quiet(changed_json(&net, false)?));
    }
    net.set_autostart(want)
        .libvirt(format!("autostart network {name}"))?;
    Ok(Outcome::quiet(changed_json(&net, true)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Verb};
    use clap::Parser;

    /// A fresh in-process test driver connection (its state lives as long as the connection).
    fn conn() -> Connect {
        vnet_common::libvirt::connect(Some("test:///default")).unwrap()
    }

    fn run(conn: &Connect, args: &[&str]) -> Result<Outcome> {
        let cli = Cli::try_parse_from(std::iter::once("vnet-net").chain(args.iter().copied())).unwrap();
        match cli.command.unwrap() {
            Verb::List(a) => list(conn, &a),
            Verb::Define(a) => define(conn, &a, Request::from_args(&a.definition)?),
            Verb::Create(a) => create(conn, &a, Request::from_args(&a.definition)?),
            Verb::Start(a) => start(conn, &a),
            Verb::Destroy(a) => destroy(conn, &a),
            Verb::Undefine(a) => undefine(conn, &a),
            Verb::Autostart(a) => autostart(conn, &a),
            Verb::Dumpxml(a) => dumpxml(conn, &a),
            Verb::Info(a) => info(conn, &a.name),
            other => panic!("not covered here: {other:?}"),
        }
    }

    fn names(conn: &Connect) -> Vec<String> {
        let mut v: Vec<String> = conn
            .list_all_networks(0)
            .unwrap()
            .iter()
            .map(|n| n.get_name().unwrap())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn lists_the_test_drivers_default_network() {
        let c = conn();
        let out = run(&c, &["list", "--all"]).unwrap();
        let default = out
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == "default")
            .unwrap();
        assert_eq!(default["active"], true);
        assert_eq!(default["persistent"], true);
        assert!(default["ips"].is_array());
        assert!(out.text.starts_with(" Name"));
        let info = run(&c, &["info", "default"]).unwrap();
        assert!(
            info.text.starts_with("Name:           default\nUUID:"),
            "{}",
            info.text
        );
    }

    #[test]
    fn define_start_autostart_destroy_undefine() {
        let c = conn();
        let flags = [
            "define",
            "--name",
            "t-route",
            "--mode",
            "route",
            "--ip",
            "10.210.1.1/24",
        ];
        let out = run(&c, &flags).unwrap();
        assert_eq!(out.json["changed"], true);
        assert_eq!(out.json["mode"], "route");
        assert_eq!(out.json["ips"], json!(["10.210.1.1/24"]));
        assert_eq!(out.json["active"], false);
        assert_eq!(out.text, "");
        // Same definition again: accepted only with --exist-ok, and nothing changes.
        assert_eq!(run(&c, &flags).err().unwrap().exit_code(), 4);
        let again = run(&c, &[&flags[..], &["--exist-ok"]].concat()).unwrap();
        assert_eq!(again.json["changed"], false);
        let different = [
            "define",
            "--name",
            "t-route",
            "--mode",
            "nat",
            "--ip",
            "10.210.1.1/24",
            "--exist-ok",
        ];
        assert_eq!(run(&c, &different).err().unwrap().exit_code(), 4);

        assert_eq!(run(&c, &["start", "t-route"]).unwrap().json["active"], true);
        assert_eq!(run(&c, &["start", "t-route"]).err().unwrap().exit_code(), 4);
        assert_eq!(
            run(&c, &["start", "t-route", "--exist-ok"]).unwrap().json["changed"],
            false
        );
        assert_eq!(
            run(&c, &["autostart", "t-route"]).unwrap().json["autostart"],
            true
        );
        assert_eq!(run(&c, &["autostart", "t-route"]).unwrap().json["changed"], false);
        assert_eq!(
            run(&c, &["autostart", "t-route", "--disable"]).unwrap().json["autostart"],
            false
        );
        let summary = run(&c, &["dumpxml", "t-route"]).unwrap();
        assert!(
            summary.text.contains("<forward mode='route'/>"),
            "{}",
            summary.text
        );
        assert_eq!(summary.json["mode"], "route");
        assert_eq!(run(&c, &["destroy", "t-route"]).unwrap().json["active"], false);
        assert_eq!(run(&c, &["destroy", "t-route"]).err().unwrap().exit_code(), 1);
        assert_eq!(
            run(&c, &["destroy", "t-route", "--missing-ok"]).unwrap().json["changed"],
            false
        );
        let gone = run(&c, &["undefine", "t-route"]).unwrap().json;
        assert_eq!(gone["changed"], true);
        assert!(!names(&c).contains(&"t-route".to_string()));
        assert_eq!(run(&c, &["undefine", "t-route"]).err().unwrap().exit_code(), 3);
        assert_eq!(
            run(&c, &["undefine", "t-route", "--missing-ok"]).unwrap().json["changed"],
            false
        );
        assert_eq!(run(&c, &["start", "t-route"]).err().unwrap().exit_code(), 3);
    }

    #[test]
    fn create_is_transient() {
        let c = conn();
        let out = run(
            &c,
            &[
                "create",
                "--name",
                "t-iso",
                "--mode",
                "isolated",
                "--ip",
                "10.211.1.1/24",
            ],
        )
        .unwrap();
        assert_eq!(
            (out.json["active"].clone(), out.json["persistent"].clone()),
            (json!(true), json!(false))
        );
        assert_eq!(run(&c, &["undefine", "t-iso"]).err().unwrap().exit_code(), 3);
        let gone = run(&c, &["destroy", "t-iso"]).unwrap().json;
        assert_eq!(
            gone,
            json!({"name": "t-iso", "uuid": out.json["uuid"], "active": false,
                                "persistent": false, "changed": true})
        );
        assert!(!names(&c).contains(&"t-iso".to_string()));
    }

    #[test]
    fn bad_input_defines_nothing() {
        let c = conn();
        for (args, code) in [
            (vec!["define", "--name", "a<b", "--ip", "10.212.1.1/24"], 7),
            (vec!["define", "--name", "t-bad", "--ip", "10.212.1.1/33"], 7),
            (
                vec![
                    "define",
                    "--name",
                    "t-bad",
                    "--ip",
                    "10.212.1.1/24",
                    "--dhcp-range",
                    "10.212.2.1,10.212.2.9",
                ],
                7,
            ),
            (vec!["define", "--name", "t-bad", "--mode", "bridge"], 7),
            (
                vec![
                    "define",
                    "--name",
                    "t-bad",
                    "--mode",
                    "bridge",
                    "--bridge",
                    "abcdefghijklmnop",
                ],
                7,
            ),
            (vec!["define", "--name", "default", "--ip", "10.212.1.1/24"], 4),
            (vec!["create", "--name", "default", "--ip", "10.212.1.1/24"], 4),
            (vec!["define", "/nonexistent/net.xml"], 3),
        ] {
            let e = run(&c, &args)
                .err()
                .unwrap_or_else(|| panic!("{args:?} succeeded"));
            assert_eq!(e.exit_code(), code, "{args:?}: {e:?}");
        }
        // The test driver's state is shared by the tests running in parallel: check these names.
        let left: Vec<String> = names(&c)
            .into_iter()
            .filter(|n| n == "t-bad" || n == "a<b")
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn local_uris() {
        for local in [
            "qemu:///system",
            "qemu+unix:///system?socket=/x",
            "test:///default",
            "qemu:///session",
        ] {
            assert!(is_local_uri(local), "{local}");
        }
        for remote in [
            "qemu+ssh://host/system",
            "qemu+tcp://10.0.0.1/system",
            "qemu://host/system",
        ] {
            assert!(!is_local_uri(remote), "{remote}");
        }
    }

    #[test]
    fn a_renamed_copy_of_a_definition_is_refused() {
        let c = conn();
        let mut xml = Network::lookup_by_name(&c, "default")
            .unwrap()
            .get_xml_desc(0)
            .unwrap();
        xml = xml.replace("<name>default</name>", "<name>t-copy</name>");
        let path = std::env::temp_dir().join(format!("vnet-net-copy-{}.xml", std::process::id()));
        std::fs::write(&path, &xml).unwrap();
        let e = run(&c, &["define", path.to_str().unwrap()]).err().unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(e.exit_code(), 4, "{e:?}");
        assert!(e.message.contains("already belongs to network default"), "{e:?}");
        assert!(!names(&c).contains(&"t-copy".to_string()));
    }

    #[test]
    fn colliding_subnets_are_refused() {
        let c = conn();
        let default = State::read(&Network::lookup_by_name(&c, "default").unwrap()).unwrap();
        let Some(ip) = default.summary.ips.first() else {
            return;
        };
        let colliding = ip.address.trunc().hosts().nth(1).unwrap().to_string()
            + "/"
            + &ip.address.prefix_len().to_string();
        let e = run(&c, &["define", "--name", "t-coll", "--ip", &colliding, "--start"])
            .err()
            .unwrap();
        assert_eq!(e.exit_code(), 4, "{e:?}");
        assert!(
            e.message.contains("collides with active network default"),
            "{e:?}"
        );
        assert!(!names(&c).contains(&"t-coll".to_string()));
    }
}
