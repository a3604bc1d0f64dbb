//! Ownership tags in vnet-bridge: `addbr --tag`, `show --tag`, and `prune --tag LABEL` (see
//! vnet_common::tags).

use crate::Ctx;
use vnet_common::links::{find_link, is_bridge, link_kind, link_master, link_name};
use vnet_common::tags::{self, PruneArgs, Pruned};
use vnet_common::{ErrorKind, Journal, Result, Verb};

/// Remove everything tagged LABEL in the namespace (-n NAME, default the current one): tagged
/// bridge ports and VXLAN devices first (a veth port's peer goes with it), then tagged bridges
/// (deleted even when up; their untagged ports are released, not deleted).
///
/// Untagged links and links of another tag are never touched. Prints every removal in order
/// (with --dry-run: what would be removed, changing nothing); running it again finds nothing
/// ("changed": false). Each removal is recorded as irreversible, so a failing `--batch --atomic`
/// lists it as not undone.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Prune {
    #[command(flatten)]
    args: PruneArgs,
}

impl Verb for Prune {
    type Ctx = Ctx;
    type Output = Pruned;

    fn run(self, ctx: &mut Ctx, journal: &mut Journal) -> Result<Pruned> {
        let label = self.args.tag.as_str();
        tags::validate_label(label)?;
        let mut out = Pruned::new(&self.args);
        let links = ctx.links_now()?;
        let tagged = |l: &&_| tags::link_tag(l).as_deref() == Some(label);
        let is_port = |l: &&_| {
            link_kind(l).as_deref() == Some("vxlan")
                || link_master(l)
                    .and_then(|m| links.by_index(m))
                    .is_some_and(is_bridge)
        };
        let ports: Vec<(String, String)> = links
            .all
            .iter()
            .filter(tagged)
            .filter(|l| !is_bridge(l) && is_port(l))
            .map(|l| (link_name(l), link_kind(l).unwrap_or_else(|| "port".into())))
            .collect();
        let bridges: Vec<(String, String)> = links
            .all
            .iter()
            .filter(tagged)
            .filter(|l| is_bridge(l))
            .map(|l| (link_name(l), "bridge".to_string()))
            .collect();
        let ns = ctx.netns().map(str::to_string);
        for (name, kind) in ports.into_iter().chain(bridges) {
            if !out.dry_run {
                let what = format!("prune: delete {kind} '{name}'");
                let target = name.clone();
                ctx.run(|at| async move {
                    match find_link(&at.handle, &target).await? {
                        Some(link) => match crate::kernel::delete_link(&at.handle, link.header.index).await {
                            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
                            other => other,
                        },
                        // A veth port whose peer went first.
                        None => Ok(()),
                    }
                })
                .map_err(|e| e.context(what))?;
            }
            out.removed(journal, "delete", &kind, &name, ns.as_deref())?;
        }
        Ok(out)
    }
}
