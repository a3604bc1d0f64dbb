//! A domain's names and words about it: domuuid, domname, domid, domrename, desc; and reset,
//! the one state verb that is neither a lifecycle step nor a saved state.

use schemars::JsonSchema;
use serde::Serialize;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::domain as lookup;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Render, Result, TextStyle, Verb};

/// A domain's name, UUID and id: what domuuid, domname and domid print one of.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainIds {
    pub name: String,
    pub uuid: String,
    /// The running domain's id; null when inactive.
    pub id: Option<u32>,
    #[serde(skip)]
    #[schemars(skip)]
    shown: String,
}

impl Render for DomainIds {
    fn text(&self, _style: TextStyle) -> String {
        format!("{}\n\n", self.shown)
    }
}

fn ids(ctx: &mut Session, domain: &str, show: fn(&DomainIds) -> String) -> Result<DomainIds> {
    let dom = lookup(ctx.conn()?, domain)?;
    let mut out = DomainIds {
        name: dom.get_name().libvirt("domain name")?,
        uuid: dom.get_uuid_string().libvirt("domain UUID")?,
        id: dom.get_id().filter(|&id| id != u32::MAX),
        shown: String::new(),
    };
    out.shown = show(&out);
    Ok(out)
}

/// A domain's UUID (virsh domuuid); the domain by name, ID or UUID.
#[derive(Debug, clap::Args)]
pub struct Domuuid {
    pub domain: String,
}

impl Verb for Domuuid {
    type Ctx = Session;
    type Output = DomainIds;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<DomainIds> {
        ids(ctx, &self.domain, |d| d.uuid.clone())
    }
}

/// A domain's name (virsh domname); the domain by ID or UUID (or name).
#[derive(Debug, clap::Args)]
pub struct Domname {
    pub domain: String,
}

impl Verb for Domname {
    type Ctx = Session;
    type Output = DomainIds;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<DomainIds> {
        ids(ctx, &self.domain, |d| d.name.clone())
    }
}

/// A running domain's id (virsh domid); "-" in text for an inactive one.
#[derive(Debug, clap::Args)]
pub struct Domid {
    pub domain: String,
}

impl Verb for Domid {
    type Ctx = Session;
    type Output = DomainIds;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<DomainIds> {
        ids(ctx, &self.domain, |d| d.id.map_or("-".into(), |i| i.to_string()))
    }
}

/// Rename an inactive domain (virsh domrename).
///
/// A running domain (exit 1), a NEW name another domain has (exit 4) or an empty one (exit 7)
/// is refused before anything is touched. Undone on a later failure: renamed back.
#[derive(Debug, clap::Args)]
pub struct Domrename {
    pub domain: String,
    pub new_name: String,
}

/// A domain after domrename.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainRenamed {
    /// The name it had.
    pub old_name: String,
    /// The name it has now.
    pub name: String,
    pub uuid: String,
    /// False when NEW was its name already.
    pub changed: bool,
}

impl Render for DomainRenamed {
    fn text(&self, _style: TextStyle) -> String {
        match self.changed {
            true => "Domain successfully renamed\n\n".into(),
            false => String::new(),
        }
    }
}

impl Verb for Domrename {
    type Ctx = Session;
    type Output = DomainRenamed;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<DomainRenamed> {
        let new = self.new_name;
        if new.is_empty() || new.contains('/') || new.chars().any(char::is_control) {
            return Err(Error::invalid(format!(
                "invalid domain name {}: not empty, no '/' or control characters",
                quote(&new)
            )));
        }
        let conn = ctx.conn()?;
        let dom = lookup(conn, &self.domain)?;
        let old = dom.get_name().libvirt("domain name")?;
        let uuid = dom.get_uuid_string().libvirt("domain UUID")?;
        let changed = old != new;
        if changed {
            check_renamable(conn, &dom, &old, &new)?;
            let what = format!("rename domain {} to {}", quote(&old), quote(&new));
            dom.rename(&new, 0).libvirt(&what)?;
            let (undo, back) = (dom.clone(), old.clone());
            journal.record_fn(what, move || {
                undo.rename(&back, 0).map(drop).libvirt("rename the domain back")
            })?;
        }
        Ok(DomainRenamed {
            old_name: old,
            name: new,
            uuid,
            changed,
        })
    }
}

fn check_renamable(conn: &virt::connect::Connect, dom: &Domain, old: &str, new: &str) -> Result<()> {
    if dom.is_active().libvirt("domain state")? {
        return Err(Error::failed(format!(
            "domain {} is running: only an inactive domain can be renamed",
            quote(old)
        ))
        .with_hint(format!("shut it down first: vnet-vm shutdown {old}")));
    }
    if Domain::lookup_by_name(conn, new).is_ok() {
        return Err(Error::exists(format!(
            "a domain named {} exists already",
            quote(new)
        )));
    }
    virt::error::clear_error_callback();
    Ok(())
}

/// Reset a running domain at once, as the reset button would (virsh reset); the guest is not
/// asked. A domain that is not running is exit 1. Cannot be undone.
#[derive(Debug, clap::Args)]
pub struct Reset {
    pub domain: String,
}

/// A domain after reset.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainReset {
    pub name: String,
    /// Always true.
    pub changed: bool,
}

impl Render for DomainReset {
    fn text(&self, _style: TextStyle) -> String {
        format!("Domain '{}' was reset\n\n", self.name)
    }
}

impl Verb for Reset {
    type Ctx = Session;
    type Output = DomainReset;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<DomainReset> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = dom.get_name().libvirt("domain name")?;
        if !dom.is_active().libvirt("domain state")? {
            return Err(Error::failed(format!("domain {} is not running", quote(&name))));
        }
        dom.reset().libvirt(format!("reset domain {}", quote(&name)))?;
        journal.irreversible(format!("reset domain {name}"))?;
        Ok(DomainReset { name, changed: true })
    }
}

/// Show or set a domain's description, or with --title its title (virsh desc).
///
/// Without NEW text, prints it. Undone on a later failure: the old text set again.
#[derive(Debug, clap::Args)]
pub struct Desc {
    pub domain: String,
    /// The new text (also --new-desc); the words are joined with spaces, as virsh does.
    #[arg(conflicts_with = "new_desc")]
    pub text: Vec<String>,
    #[arg(long, value_name = "TEXT")]
    pub new_desc: Option<String>,
    /// The title rather than the description.
    #[arg(long)]
    pub title: bool,
    #[command(flatten)]
    pub scope: super::resources::Scope,
}

/// A domain's description or title.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainDescription {
    pub name: String,
    /// True for the title, false for the description.
    pub title: bool,
    /// The text now (empty when none).
    pub text: String,
    /// False when only shown, or set to what it was.
    pub changed: bool,
    #[serde(skip)]
    #[schemars(skip)]
    set: bool,
}

impl Render for DomainDescription {
    fn text(&self, _style: TextStyle) -> String {
        let what = if self.title { "title" } else { "description" };
        match (self.set, self.text.is_empty()) {
            (true, _) => format!("Domain {what} updated successfully\n"),
            (false, true) => format!("No {what} for domain: {}\n", self.name),
            (false, false) => format!("{}\n", self.text),
        }
    }
}

impl Verb for Desc {
    type Ctx = Session;
    type Output = DomainDescription;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<DomainDescription> {
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = dom.get_name().libvirt("domain name")?;
        let kind = (if self.title {
            sys::VIR_DOMAIN_METADATA_TITLE
        } else {
            sys::VIR_DOMAIN_METADATA_DESCRIPTION
        }) as i32;
        let flags = self.scope.bits();
        let old = dom.get_metadata(kind, None, flags).unwrap_or_default();
        virt::error::clear_error_callback();
        let new = self
            .new_desc
            .or_else(|| (!self.text.is_empty()).then(|| self.text.join(" ")));
        let set = new.is_some();
        let text = new.unwrap_or_else(|| old.clone());
        let changed = set && text != old;
        if changed {
            let what = format!(
                "set the {} of domain {}",
                if self.title { "title" } else { "description" },
                quote(&name)
            );
            let value = (!text.is_empty()).then_some(text.as_str());
            dom.set_metadata(kind, value, None, None, flags).libvirt(&what)?;
            let undo = dom.clone();
            journal.record_fn(what, move || {
                let back = (!old.is_empty()).then_some(old.as_str());
                undo.set_metadata(kind, back, None, None, flags)
                    .map(drop)
                    .libvirt("set the old text back")
            })?;
        }
        Ok(DomainDescription {
            name,
            title: self.title,
            text,
            changed,
            set,
        })
    }
}
