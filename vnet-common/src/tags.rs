//! Ownership tags: `--tag LABEL` on a create verb records the label on what it creates, the list
//! verbs filter by it, and each tool's `prune --tag LABEL` removes exactly the objects carrying
//! it. Only what a verb created is tagged: an object accepted with --exist-ok keeps its own tag (or
//! none), so a prune never removes what was there before the lab.
//!
//! Where the label is kept, so that it outlives the process that made the object:
//! - a link (veth end, tun/tap, bridge, vxlan): its ifalias (IFLA_IFALIAS) `vnet:tag=LABEL`, which
//!   `ip -d link` shows as `alias vnet:tag=LABEL` and `ip -j link` as "ifalias";
//! - a named namespace: the file /run/vnet/netns-tags/NAME holding the label, beside /run/netns
//!   (never inside it: `ip netns list` would list it), removed by `vnet-ns delete`;
//! - libvirt networks and domains: `<metadata><vnet:tag xmlns:vnet="...">LABEL</vnet:tag></metadata>`
//!   (see [`libvirt`](self::libvirt), behind the `libvirt` feature).

#[cfg(feature = "libvirt")]
pub mod libvirt;

use crate::error::quote;
use crate::links::link_attr;
use crate::verb::{Render, TextStyle};
use crate::{Error, Journal, Result};
use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use rtnetlink::{Handle, LinkUnspec};
use schemars::JsonSchema;
use serde::Serialize;
use std::path::PathBuf;

/// The longest label (bytes).
pub const LABEL_MAX: usize = 64;
/// What a tagged link's ifalias starts with; the label follows.
pub const ALIAS_PREFIX: &str = "vnet:tag=";
/// Where the namespace markers live (one file per tagged namespace, named after it).
pub const NETNS_TAG_DIR: &str = "/run/vnet/netns-tags";

/// Checks a label: 1..64 bytes of `[A-Za-z0-9_.-]` (exit 7 otherwise), so it is a safe file
/// content, XML text and shell word.
pub fn validate_label(label: &str) -> Result<()> {
    let bad = |why: &str| Err(Error::invalid(format!("invalid tag {}: {why}", quote(label))));
    if label.is_empty() {
        return bad("empty");
    }
    if label.len() > LABEL_MAX {
        return bad(&format!("{} bytes, longer than {LABEL_MAX}", label.len()));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.-".contains(*c)))
    {
        return bad(&format!("contains {c:?} (allowed: A-Z a-z 0-9 _ . -)"));
    }
    Ok(())
}

/// Checks an optional `--tag` before anything is touched.
pub fn check(tag: Option<&str>) -> Result<()> {
    tag.map_or(Ok(()), validate_label)
}

/// The ifalias that marks a link with `label`.
pub fn alias_of(label: &str) -> String {
    format!("{ALIAS_PREFIX}{label}")
}

/// The label in an ifalias, if it is a vnet tag.
pub fn label_of_alias(alias: &str) -> Option<&str> {
    alias
        .strip_prefix(ALIAS_PREFIX)
        .filter(|l| validate_label(l).is_ok())
}

/// The tag of a link (from a dump: the kernel includes IFLA_IFALIAS when one is set).
pub fn link_tag(link: &LinkMessage) -> Option<String> {
    link_attr(link, |a| match a {
        LinkAttribute::IfAlias(alias) => label_of_alias(alias).map(str::to_string),
        _ => None,
    })
}

/// Tags the link called `name` (RTM_SETLINK by name with IFLA_IFALIAS). The link was just made by
/// the caller, whose journal already undoes it: the alias goes with the link.
pub async fn tag_link(handle: &Handle, name: &str, label: &str) -> Result<()> {
    let mut message = LinkUnspec::new_with_name(name).build();
    message.attributes.push(LinkAttribute::IfAlias(alias_of(label)));
    handle
        .link()
        .set(message)
        .execute()
        .await
        .map_err(|e| Error::from(e).context(format!("tag interface '{name}'")))
}

/// Tags the link called `name` when a label is given; nothing otherwise.
pub async fn tag_link_opt(handle: &Handle, name: &str, tag: Option<&str>) -> Result<()> {
    match tag {
        Some(label) => tag_link(handle, name, label).await,
        None => Ok(()),
    }
}

/// The marker file of namespace `name`.
pub fn netns_marker(name: &str) -> PathBuf {
    PathBuf::from(NETNS_TAG_DIR).join(name)
}

/// The tag of namespace `name`, from its marker.
pub fn netns_tag(name: &str) -> Option<String> {
    let text = std::fs::read_to_string(netns_marker(name)).ok()?;
    let label = text.trim_end_matches('\n');
    validate_label(label).ok().map(|()| label.to_string())
}

/// After `add` made namespace `name`: writes its marker when tagged (journaled: undo removes it),
/// and otherwise removes a stale marker left by a namespace of that name deleted with `ip netns
/// delete`, so the new namespace does not inherit another's tag.
pub fn mark_netns(name: &str, tag: Option<&str>, journal: &mut Journal) -> Result<()> {
    let marker = netns_marker(name);
    let Some(label) = tag else {
        let _ = std::fs::remove_file(&marker);
        return Ok(());
    };
    std::fs::create_dir_all(NETNS_TAG_DIR)
        .map_err(|e| Error::from(e).context(format!("create {NETNS_TAG_DIR}")))?;
    std::fs::write(&marker, format!("{label}\n"))
        .map_err(|e| Error::from(e).context(format!("write {}", marker.display())))?;
    let undo = marker.clone();
    journal.record_fn(format!("tag namespace '{name}'"), move || {
        std::fs::remove_file(&undo).map_err(Error::from)
    })
}

/// Removes the marker of namespace `name` (delete); true when there was one.
pub fn unmark_netns(name: &str) -> bool {
    std::fs::remove_file(netns_marker(name)).is_ok()
}

/// Every namespace marker: (namespace name, label), sorted by name.
pub fn netns_markers() -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = std::fs::read_dir(NETNS_TAG_DIR)
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    netns_tag(&name).map(|label| (name, label))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// `prune`'s flags, the same in every tool.
#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
pub struct PruneArgs {
    /// Remove the objects carrying this tag (1..64 bytes of A-Z a-z 0-9 _ . -).
    #[arg(long, value_name = "LABEL")]
    pub tag: String,
    /// Print what would be removed and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// One object a prune removed (or, with --dry-run, would remove), in the order of removal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PrunedItem {
    /// What was done to it: delete, destroy (stop) or undefine.
    pub action: String,
    /// veth, tun, bridge, vxlan, port, namespace, network, domain, volume, pool, file.
    pub kind: String,
    /// Its name (a volume or file: its path).
    pub name: String,
    /// The namespace of a link (absent: the namespace the tool runs in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub netns: Option<String>,
}

/// What `prune` did: every removal, in order. Running it again changes nothing.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Pruned {
    /// The tag pruned.
    pub tag: String,
    /// True with --dry-run: "removed" lists what would be removed, and nothing was.
    pub dry_run: bool,
    pub removed: Vec<PrunedItem>,
    /// Tagged objects left in place, each with why (e.g. a pool other volumes still use).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<String>,
    /// True when anything was removed.
    pub changed: bool,
}

impl Pruned {
    pub fn new(args: &PruneArgs) -> Pruned {
        Pruned {
            tag: args.tag.clone(),
            dry_run: args.dry_run,
            removed: Vec::new(),
            kept: Vec::new(),
            changed: false,
        }
    }

    /// Notes a removal just made (recorded as irreversible in the journal), or with --dry-run one
    /// that would be made.
    pub fn removed(
        &mut self,
        journal: &mut Journal,
        action: &str,
        kind: &str,
        name: &str,
        netns: Option<&str>,
    ) -> Result<()> {
        let item = PrunedItem {
            action: action.to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
            netns: netns.map(str::to_string),
        };
        if !self.dry_run {
            journal.irreversible(item.describe())?;
            self.changed = true;
        }
        self.removed.push(item);
        Ok(())
    }
}

impl PrunedItem {
    /// "delete veth 'a' in namespace 'Blue'".
    pub fn describe(&self) -> String {
        let mut text = format!("{} {} {}", self.action, self.kind, quote(&self.name));
        if let Some(ns) = &self.netns {
            text.push_str(&format!(" in namespace {}", quote(ns)));
        }
        text
    }
}

/// `-o text`: one line per removal ("would ..." with --dry-run), then what was kept.
impl Render for Pruned {
    fn text(&self, _style: TextStyle) -> String {
        let mut text = String::new();
        for item in &self.removed {
            let prefix = if self.dry_run { "would " } else { "" };
            text.push_str(&format!("{prefix}{}\n", item.describe()));
        }
        for kept in &self.kept {
            text.push_str(&format!("kept {kept}\n"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        for ok in ["A", "lab-1", "x.y_z", &"a".repeat(64)] {
            validate_label(ok).unwrap();
        }
        for bad in ["", "a b", "a/b", "a:b", "é", "a\nb", "<x>", &"a".repeat(65)] {
            assert_eq!(validate_label(bad).unwrap_err().exit_code(), 7, "{bad:?}");
        }
        assert!(validate_label("a\nb").unwrap_err().message.lines().count() == 1);
    }

    #[test]
    fn aliases_round_trip() {
        assert_eq!(alias_of("A"), "vnet:tag=A");
        assert_eq!(label_of_alias("vnet:tag=A"), Some("A"));
        assert_eq!(label_of_alias("uplink"), None);
        assert_eq!(label_of_alias("vnet:tag="), None);
        assert_eq!(label_of_alias("vnet:tag=a b"), None);
    }

    #[test]
    fn dry_run_records_nothing_in_the_journal() {
        let args = PruneArgs {
            tag: "A".into(),
            dry_run: true,
        };
        let mut journal = Journal::new();
        let mut pruned = Pruned::new(&args);
        pruned
            .removed(&mut journal, "delete", "veth", "v0", Some("Blue"))
            .unwrap();
        assert!(journal.is_empty());
        assert!(!pruned.changed);
        assert_eq!(
            pruned.text(TextStyle::default()),
            "would delete veth 'v0' in namespace 'Blue'\n"
        );
        let mut pruned = Pruned::new(&PruneArgs {
            dry_run: false,
            ..args
        });
        pruned
            .removed(&mut journal, "undefine", "network", "n", None)
            .unwrap();
        assert!(!journal.is_empty());
        assert!(pruned.changed);
    }
}
