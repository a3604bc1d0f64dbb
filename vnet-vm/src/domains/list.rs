//! `list` and `dumpxml`: the domains libvirt knows, and one domain's XML document.

use super::lookup::{resolve, state_of};
use schemars::JsonSchema;
use serde::Serialize;
use virt::sys;
use vnet_common::libvirt::xpath::XpathArgs;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{table, Journal, Render, Result, TextStyle, Verb};

/// List domains (virsh list).
///
/// Running domains by id, then inactive ones by name (virsh's order).
#[derive(Debug, clap::Args)]
pub struct List {
    /// Include inactive domains.
    #[arg(long)]
    pub all: bool,
    /// Names only, one per line (virsh list --name), for `for vm in $(vnet-vm list --name)`;
    /// -o json still prints the full objects.
    #[arg(long)]
    pub name: bool,
    /// Only the domains tagged LABEL (install --tag).
    #[arg(long, value_name = "LABEL")]
    pub tag: Option<String>,
    /// Each domain's title too (virsh list --title): a Title column in -o text, "title" in
    /// JSON ("" for a domain without one).
    #[arg(long)]
    pub title: bool,
    #[command(flatten)]
    pub filters: ListFilters,
}

/// virsh list's filters (each narrows the list; with --all or --inactive they see inactive
/// domains too) and its --uuid and --managed-save layouts.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListFilters {
    /// Inactive domains only.
    #[arg(long, conflicts_with = "all")]
    pub inactive: bool,
    /// UUIDs only, one per line (with --name: "UUID NAME", as virsh).
    #[arg(long)]
    pub uuid: bool,
    /// Transient domains only.
    #[arg(long, conflicts_with = "persistent")]
    pub transient: bool,
    /// Persistent domains only.
    #[arg(long)]
    pub persistent: bool,
    /// Domains started with libvirtd only.
    #[arg(long, conflicts_with = "no_autostart")]
    pub autostart: bool,
    /// Domains not started with libvirtd only.
    #[arg(long)]
    pub no_autostart: bool,
    /// Running domains only.
    #[arg(long)]
    pub state_running: bool,
    /// Paused domains only.
    #[arg(long)]
    pub state_paused: bool,
    /// Shut-off domains only.
    #[arg(long)]
    pub state_shutoff: bool,
    /// Domains in any other state only.
    #[arg(long)]
    pub state_other: bool,
    /// Domains with a snapshot only.
    #[arg(long, conflicts_with = "without_snapshot")]
    pub with_snapshot: bool,
    /// Domains without a snapshot only.
    #[arg(long)]
    pub without_snapshot: bool,
    /// Domains with a checkpoint only.
    #[arg(long, conflicts_with = "without_checkpoint")]
    pub with_checkpoint: bool,
    /// Domains without a checkpoint only.
    #[arg(long)]
    pub without_checkpoint: bool,
    /// Domains with a managed save image only.
    #[arg(long, conflicts_with = "without_managed_save")]
    pub with_managed_save: bool,
    /// Domains without a managed save image only.
    #[arg(long)]
    pub without_managed_save: bool,
    /// Show an inactive domain with a managed save image as "saved" rather than "shut off".
    #[arg(long)]
    pub managed_save: bool,
    /// Ids only, one per line (with --name: "ID NAME", as virsh); running domains have ids.
    #[arg(long, conflicts_with = "uuid")]
    pub id: bool,
    /// The table (virsh's default layout, asked for by name).
    #[arg(long, conflicts_with_all = ["id", "uuid", "name"])]
    pub table: bool,
}

impl ListFilters {
    /// libvirt's VIR_CONNECT_LIST_DOMAINS_* bits (the active/inactive ones come from `all`).
    /// As virsh: active domains only unless --all or --inactive, or a --state-* filter (which
    /// then says which states).
    fn bits(&self, all: bool) -> u32 {
        let by_state = self.state_running || self.state_paused || self.state_shutoff || self.state_other;
        let mut bits = match (all, self.inactive, by_state) {
            (true, _, _) => sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE | sys::VIR_CONNECT_LIST_DOMAINS_INACTIVE,
            (false, true, _) => sys::VIR_CONNECT_LIST_DOMAINS_INACTIVE,
            (false, false, true) => 0,
            (false, false, false) => sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE,
        };
        let pairs = [
            (self.transient, sys::VIR_CONNECT_LIST_DOMAINS_TRANSIENT),
            (self.persistent, sys::VIR_CONNECT_LIST_DOMAINS_PERSISTENT),
            (self.autostart, sys::VIR_CONNECT_LIST_DOMAINS_AUTOSTART),
            (self.no_autostart, sys::VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART),
            (self.state_running, sys::VIR_CONNECT_LIST_DOMAINS_RUNNING),
            (self.state_paused, sys::VIR_CONNECT_LIST_DOMAINS_PAUSED),
            (self.state_shutoff, sys::VIR_CONNECT_LIST_DOMAINS_SHUTOFF),
            (self.state_other, sys::VIR_CONNECT_LIST_DOMAINS_OTHER),
            (self.with_snapshot, sys::VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT),
            (self.without_snapshot, sys::VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT),
            (self.with_checkpoint, sys::VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT),
            (
                self.without_checkpoint,
                sys::VIR_CONNECT_LIST_DOMAINS_NO_CHECKPOINT,
            ),
            (self.with_managed_save, sys::VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE),
            (
                self.without_managed_save,
                sys::VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE,
            ),
        ];
        for (on, bit) in pairs {
            if on {
                bits |= bit;
            }
        }
        bits
    }
}

/// One domain of `list`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainRow {
    /// The running domain's id; null when inactive.
    pub id: Option<u32>,
    pub name: String,
    /// virsh's word: running, idle, paused, in shutdown, shut off, crashed, pmsuspended.
    pub state: String,
    pub uuid: String,
    /// The domain's tag (install --tag), absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// With --title: the domain's title, "" when it has none (absent without --title).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// The domains `list` found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct DomainList(
    pub Vec<DomainRow>,
    /// With --name: the names, one per line, as virsh prints them (the document printed).
    #[serde(skip)]
    #[schemars(skip)]
    pub Option<String>,
    /// With --title: the table has virsh's Title column.
    #[serde(skip)]
    #[schemars(skip)]
    pub bool,
);

impl Render for DomainList {
    fn document(&self) -> Option<&str> {
        self.1.as_deref()
    }

    fn text(&self, style: TextStyle) -> String {
        let row = |d: &DomainRow| {
            let id = d.id.map_or("-".into(), |i| i.to_string());
            let mut cells = vec![id, d.name.clone(), d.state.clone()];
            cells.extend(d.title.clone());
            cells
        };
        let headers: &[&str] = match self.2 {
            true => &["Id", "Name", "State", "Title"],
            false => &["Id", "Name", "State"],
        };
        table::names_or_table(self.1.as_deref(), headers, &self.0, row, style)
    }
}

impl Verb for List {
    type Ctx = Session;
    type Output = DomainList;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<DomainList> {
        vnet_common::tags::check(self.tag.as_deref())?;
        let flags = self.filters.bits(self.all);
        let domains = ctx.conn()?.list_all_domains(flags).libvirt("list domains")?;
        let mut rows: Vec<DomainRow> = domains
            .iter()
            .map(|d| DomainRow {
                id: d.get_id().filter(|&id| id != u32::MAX),
                name: d.get_name().unwrap_or_default(),
                state: shown_state(d, self.filters.managed_save),
                uuid: d.get_uuid_string().unwrap_or_default(),
                tag: vnet_common::tags::libvirt::domain_tag(d),
                title: self.title.then(|| title_of(d)),
            })
            .collect();
        rows.retain(|r| self.tag.is_none() || r.tag == self.tag);
        rows.sort_by(|a, b| (a.id.is_none(), a.id, &a.name).cmp(&(b.id.is_none(), b.id, &b.name)));
        let names = match (self.filters.uuid, self.name) {
            _ if self.filters.id => Some(id_lines(&rows, self.name)),
            (true, true) => Some(uuid_name_lines(&rows)),
            (true, false) => Some(vnet_common::libvirt::names_document(
                rows.iter().map(|r| r.uuid.as_str()),
                0,
            )),
            (false, true) => Some(vnet_common::libvirt::names_document(
                rows.iter().map(|r| r.name.as_str()),
                0,
            )),
            (false, false) => None,
        };
        Ok(DomainList(rows, names, self.title))
    }
}

/// The domain's title as virsh list --title shows it: "" when it has none.
fn title_of(d: &virt::domain::Domain) -> String {
    let title = d
        .get_metadata(sys::VIR_DOMAIN_METADATA_TITLE as i32, None, 0)
        .unwrap_or_default();
    // No title is an error libvirt would otherwise print through its default handler.
    virt::error::clear_error_callback();
    title
}

/// virsh list --id [--name]: the running domains' ids, a line each; with --name every listed
/// domain as "ID NAME" ("-" for an inactive one's id); then a blank line.
fn id_lines(rows: &[DomainRow], with_name: bool) -> String {
    let id = |r: &DomainRow| r.id.map_or("-".to_string(), |i| i.to_string());
    let mut text: String = match with_name {
        true => rows.iter().map(|r| format!("{} {}\n", id(r), r.name)).collect(),
        false => rows
            .iter()
            .filter(|r| r.id.is_some())
            .map(|r| format!("{}\n", id(r)))
            .collect(),
    };
    text.push('\n');
    text
}

/// virsh list --uuid --name: "UUID NAME" per line, then a blank line.
fn uuid_name_lines(rows: &[DomainRow]) -> String {
    let mut text: String = rows.iter().map(|r| format!("{} {}\n", r.uuid, r.name)).collect();
    text.push('\n');
    text
}

/// virsh's state word, "saved" for an inactive domain with a managed save image when asked.
fn shown_state(d: &virt::domain::Domain, managed_save: bool) -> String {
    let state = state_of(d);
    let saved = managed_save && state == "shut off" && d.has_managed_save(0).unwrap_or(false);
    if saved { "saved" } else { state }.to_string()
}

/// Print a domain's XML (virsh dumpxml).
///
/// Prints the XML document itself, as virsh does; -o json gives {"name", "xml"}.
#[derive(Debug, clap::Args)]
pub struct Dumpxml {
    pub name: String,
    /// The persistent definition rather than the live XML.
    #[arg(long)]
    pub inactive: bool,
    /// Include security-sensitive information (VNC passwords).
    #[arg(long)]
    pub security_info: bool,
    /// Update the guest CPU to what the host gives it.
    #[arg(long)]
    pub update_cpu: bool,
    /// XML suitable for migration (no defaults libvirt adds itself).
    #[arg(long)]
    pub migratable: bool,
    #[command(flatten)]
    pub xpath: XpathArgs,
}

/// A domain's XML.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainXml {
    pub name: String,
    /// The domain XML as libvirt gives it; with --xpath, the selected nodes as printed (each
    /// followed by a newline).
    pub xml: String,
    /// With --xpath, each selected node's XML (with --wrap, the one `<nodes>` element); null
    /// without --xpath.
    pub nodes: Option<Vec<String>>,
}

impl Render for DomainXml {
    fn text(&self, _style: TextStyle) -> String {
        self.xml.clone()
    }

    fn document(&self) -> Option<&str> {
        Some(&self.xml)
    }
}

impl Verb for Dumpxml {
    type Ctx = Session;
    type Output = DomainXml;

    fn run(mut self, ctx: &mut Session, _journal: &mut Journal) -> Result<DomainXml> {
        let dom = resolve(ctx.conn()?, &mut self.name)?;
        let pairs = [
            (self.inactive, sys::VIR_DOMAIN_XML_INACTIVE),
            (self.security_info, sys::VIR_DOMAIN_XML_SECURE),
            (self.update_cpu, sys::VIR_DOMAIN_XML_UPDATE_CPU),
            (self.migratable, sys::VIR_DOMAIN_XML_MIGRATABLE),
        ];
        let flags = pairs.iter().filter(|(on, _)| *on).fold(0, |f, (_, bit)| f | bit);
        let xml = dom
            .get_xml_desc(flags)
            .libvirt(format!("XML of domain {}", self.name))?;
        let (xml, nodes) = self.xpath.shown(xml)?;
        Ok(DomainXml {
            name: self.name,
            xml,
            nodes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run, session};

    #[test]
    fn list_shapes_json_and_text() {
        let out = run(
            &mut session(),
            List {
                all: true,
                name: false,
                tag: None,
                title: false,
                filters: Default::default(),
            },
        )
        .unwrap();
        // test:///default is shared by this process's tests: others may define domains beside
        // "test" or restart it while this one runs.
        let first = out
            .0
            .iter()
            .find(|d| d.name == "test")
            .expect("the test driver's domain");
        assert!(first.id.is_some() || first.state == "shut off", "{first:?}");
        assert_eq!(first.uuid.len(), 36);
        let json = serde_json::to_value(&out).unwrap();
        assert!(json[0].get("id").is_some(), "{json}");
        let text = out.text(TextStyle::default());
        assert!(
            text.starts_with(" Id   Name") && text.contains("State\n------"),
            "{text}"
        );
        assert!(text.contains("   test   "), "{text}");
        let quiet = out.text(TextStyle { headers: false });
        assert!(quiet.starts_with(' ') && !quiet.contains("----"), "{quiet}");
    }
}
