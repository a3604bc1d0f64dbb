//! Ownership tags in vnet-ns: `add`, `veth` and `tuntap add` take `--tag LABEL`, `list --tag`
//! filters by it, and `prune --tag LABEL` removes what carries it (see vnet_common::tags).

use crate::namespaces::{is_live, Delete};
use crate::NsCtx;
use netlink_packet_route::AddressFamily;
use rtnetlink::Handle;
use vnet_common::netlink::RouteSocket;
use vnet_common::netns::{self, NETNS_RUN_DIR};
use vnet_common::tags::{self, PruneArgs, Pruned};
use vnet_common::{links, Error, Journal, Result, Verb};

/// The link kinds vnet-ns makes (veth, and tun for tun and tap devices): the links its prune removes.
const KINDS: [&str; 2] = ["veth", "tun"];

/// Remove everything vnet-ns made with --tag LABEL: tagged veth ends and tun/tap devices in the
/// current namespace and in every named one first, then the tagged namespaces (as delete does:
/// whatever else is inside a namespace goes with it, as with ip netns delete).
///
/// Untagged objects and objects of another tag are never touched; an object accepted with
/// --exist-ok keeps its own tag. Prints every removal in order (with --dry-run: what would be
/// removed, changing nothing); running it again finds nothing ("changed": false). Each removal is
/// recorded as irreversible, so a failing `--batch --atomic` lists it as not undone.
#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct Prune {
    #[command(flatten)]
    pub args: PruneArgs,
}

impl Verb for Prune {
    type Ctx = NsCtx;
    type Output = Pruned;

    fn run(self, ctx: &mut NsCtx, journal: &mut Journal) -> Result<Pruned> {
        let label = self.args.tag.as_str();
        tags::validate_label(label)?;
        let mut out = Pruned::new(&self.args);
        let mut scopes = vec![None];
        scopes.extend(live_namespaces()?.into_iter().map(Some));
        let mut found = Vec::new();
        for scope in &scopes {
            let mut socket = RouteSocket::open(scope.as_deref())?;
            for link in socket.links(AddressFamily::Unspec, vec![])? {
                let kind = links::link_kind(&link).unwrap_or_default();
                if KINDS.contains(&kind.as_str()) && tags::link_tag(&link).as_deref() == Some(label) {
                    found.push((scope.clone(), links::link_name(&link), kind));
                }
            }
        }
        for (scope, name, kind) in found {
            if !out.dry_run {
                let netlink = ctx.netlink()?;
                let handle = netlink.handle(scope.as_deref())?;
                netlink
                    .run(delete_if_there(&handle, &name))
                    .map_err(|e| e.context(format!("prune: delete interface '{name}'")))?;
            }
            out.removed(journal, "delete", &kind, &name, scope.as_deref())?;
        }
        for (name, _) in tags::netns_markers().into_iter().filter(|(_, l)| l == label) {
            if netns::path(&name).symlink_metadata().is_err() {
                // The namespace went otherwise (ip netns delete): only its marker is left.
                if !out.dry_run {
                    tags::unmark_netns(&name);
                }
                continue;
            }
            if !out.dry_run {
                let delete = Delete {
                    names: vec![name.clone()],
                    all: false,
                    missing_ok: true,
                };
                // Recorded once, below, as the prune's removal.
                delete.run(ctx, &mut Journal::new())?;
            }
            out.removed(journal, "delete", "namespace", &name, None)?;
        }
        Ok(out)
    }
}

/// Deletes a link; one already gone (the peer of a veth end deleted before it) is fine.
async fn delete_if_there(handle: &Handle, name: &str) -> Result<()> {
    let Some(link) = links::find_link(handle, name).await? else {
        return Ok(());
    };
    match handle.link().del(link.header.index).execute().await {
        Ok(()) => Ok(()),
        Err(e) => match Error::from(e) {
            e if e.kind == vnet_common::ErrorKind::NotFound => Ok(()),
            e => Err(e),
        },
    }
}

/// The names under /run/netns with a namespace mounted on them.
fn live_namespaces() -> Result<Vec<String>> {
    let dir = match std::fs::read_dir(NETNS_RUN_DIR) {
        Ok(dir) => dir,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(Error::from(e).context(format!("read {NETNS_RUN_DIR}"))),
    };
    let mut names: Vec<String> = dir
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_live(&netns::path(n)))
        .collect();
    names.sort();
    Ok(names)
}

/// `veth --tag`: tags both new ends, each in its namespace.
pub async fn tag_pair(
    host: &Handle,
    peer: &Handle,
    name: &str,
    peer_name: &str,
    tag: Option<&str>,
) -> Result<()> {
    tags::tag_link_opt(host, name, tag).await?;
    tags::tag_link_opt(peer, peer_name, tag).await
}
