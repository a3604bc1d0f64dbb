//! Ownership tags in vnet-net: `define`/`create --tag` put the label in the network's
//! `<metadata>`, `list --tag` filters by it, and `prune --tag LABEL` removes the tagged networks
//! (see vnet_common::tags).

use virt::error::ErrorNumber;
use virt::network::Network;
use vnet_common::libvirt::{forwards, LibvirtContext, Session};
use vnet_common::tags::libvirt::{network_xml_tag, with_network_tag};
use vnet_common::tags::{self, PruneArgs, Pruned};
use vnet_common::{Journal, Result, Verb};

/// Remove every network tagged LABEL (define/create --tag): each is destroyed when active, then
/// undefined when persistent (a transient network is gone once destroyed).
///
/// Forwards tagged LABEL (forward add --tag) are removed first.
/// Untagged networks and networks of another tag are never touched. Remove the guests on them
/// first (vnet-vm prune --tag LABEL). Prints every removal in order (with --dry-run: what would
/// be removed, changing nothing); running it again finds nothing ("changed": false). Each
/// removal is recorded as irreversible, so a failing `--batch --atomic` lists it as not undone.
#[derive(Debug, clap::Args)]
pub struct Prune {
    #[command(flatten)]
    pub args: PruneArgs,
}

impl Verb for Prune {
    type Ctx = Session;
    type Output = Pruned;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<Pruned> {
        let label = self.args.tag.as_str();
        tags::validate_label(label)?;
        let mut out = Pruned::new(&self.args);
        let conn = ctx.conn()?;
        if forwards::check_local_uri(&conn.get_uri().libvirt("connection URI")?).is_ok() {
            prune_forwards(label, &mut out, journal)?;
        }
        let mut tagged: Vec<(String, Network)> = Vec::new();
        for net in conn.list_all_networks(0).libvirt("list networks")? {
            let name = net.get_name().libvirt("network name")?;
            // A network gone since the listing is not there to prune.
            let Ok(xml) = net.get_xml_desc(0) else { continue };
            if network_xml_tag(&xml).as_deref() == Some(label) {
                tagged.push((name, net));
            }
        }
        tagged.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, net) in tagged {
            let what = format!("prune: network {name}");
            // Read before acting: a transient network is gone once destroyed.
            let persistent = net.is_persistent().libvirt(&what)?;
            if net.is_active().libvirt(&what)? {
                if !out.dry_run {
                    gone_is_fine(net.destroy().map(drop)).libvirt(format!("destroy network {name}"))?;
                }
                out.removed(journal, "destroy", "network", &name, None)?;
            }
            if persistent {
                if !out.dry_run {
                    gone_is_fine(net.undefine()).libvirt(format!("undefine network {name}"))?;
                }
                out.removed(journal, "undefine", "network", &name, None)?;
            }
        }
        Ok(out)
    }
}

/// The forwards tagged `label` (forward add --tag), removed before the networks; only on this
/// machine's libvirt (forwards live in its firewall).
fn prune_forwards(label: &str, out: &mut Pruned, journal: &mut Journal) -> Result<()> {
    let removed = forwards::remove_tagged(label, out.dry_run)?;
    for f in removed {
        let name = format!("{} {}", f.network, f.key());
        out.removed(journal, "delete", "forward", &name, None)?;
    }
    Ok(())
}

/// A network removed by someone else meanwhile is as good as removed here.
fn gone_is_fine(
    result: std::result::Result<(), virt::error::Error>,
) -> std::result::Result<(), virt::error::Error> {
    match result {
        Err(e) if e.code() == ErrorNumber::NoNetwork => Ok(()),
        other => other,
    }
}

/// `define`/`create --tag`: the definition with the tag in its `<metadata>` (checked first: a
/// bad label is exit 7 before libvirt is asked anything).
pub fn tagged_xml(xml: String, tag: Option<&str>) -> Result<String> {
    match tag {
        Some(label) => with_network_tag(&xml, label),
        None => Ok(xml),
    }
}
