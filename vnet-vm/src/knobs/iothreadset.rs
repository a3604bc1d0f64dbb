//! iothreadset: an existing IOThread's polling and worker-pool parameters.

use crate::domains::resources::Scope;
use crate::tuning::affects;
use crate::tuning::typed::Request;
use schemars::JsonSchema;
use serde::Serialize;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::lookup::{domain as lookup, domain_name};
use vnet_common::libvirt::Session;
use vnet_common::{Error, Journal, Render, Result, Verb};

/// Change an existing IOThread's parameters (virsh iothreadset): its polling (--poll-max-ns,
/// --poll-grow, --poll-shrink; live only, as QEMU has them) and its worker pool
/// (--thread-pool-min, --thread-pool-max), in virsh's --live/--config/--current scope. No
/// parameter is exit 7; an IOThread the domain lacks is libvirt's "cannot find IOThread" (exit
/// 7), as virsh fails. libvirt has no call that reads the live values back, so a later failure
/// in --batch --atomic cannot undo it (`domstats --iothread` shows the polling values).
#[derive(Debug, clap::Args)]
pub struct Iothreadset {
    /// The domain (name, ID or UUID).
    pub domain: String,
    /// The IOThread's ID.
    pub id: u32,
    /// The longest polling time in nanoseconds (0 stops polling).
    #[arg(long)]
    pub poll_max_ns: Option<u64>,
    /// How much to grow the polling time by.
    #[arg(long)]
    pub poll_grow: Option<u32>,
    /// How much to shrink the polling time by.
    #[arg(long)]
    pub poll_shrink: Option<u32>,
    /// The fewest worker threads.
    #[arg(long, allow_negative_numbers = true)]
    pub thread_pool_min: Option<i32>,
    /// The most worker threads.
    #[arg(long, allow_negative_numbers = true)]
    pub thread_pool_max: Option<i32>,
    #[command(flatten)]
    pub scope: Scope,
}

/// The IOThread after iothreadset.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IoThreadSet {
    pub name: String,
    pub iothread_id: u32,
    pub changed: bool,
    /// The running domain was changed.
    pub live: bool,
    /// The persistent definition was changed.
    pub config: bool,
    /// The parameters set, by libvirt's names (poll_max_ns, poll_grow, poll_shrink,
    /// thread_pool_min, thread_pool_max).
    pub params: std::collections::BTreeMap<String, i64>,
}

impl Render for IoThreadSet {}

impl Iothreadset {
    /// The parameters given, with libvirt's names and types.
    fn params(&self) -> Vec<(&'static str, u32, i64)> {
        let given = [
            (
                "poll_max_ns",
                sys::VIR_TYPED_PARAM_ULLONG,
                self.poll_max_ns.map(|v| v as i64),
            ),
            (
                "poll_grow",
                sys::VIR_TYPED_PARAM_UINT,
                self.poll_grow.map(i64::from),
            ),
            (
                "poll_shrink",
                sys::VIR_TYPED_PARAM_UINT,
                self.poll_shrink.map(i64::from),
            ),
            (
                "thread_pool_min",
                sys::VIR_TYPED_PARAM_INT,
                self.thread_pool_min.map(i64::from),
            ),
            (
                "thread_pool_max",
                sys::VIR_TYPED_PARAM_INT,
                self.thread_pool_max.map(i64::from),
            ),
        ];
        given
            .into_iter()
            .filter_map(|(k, t, v)| v.map(|v| (k, t, v)))
            .collect()
    }
}

impl Verb for Iothreadset {
    type Ctx = Session;
    type Output = IoThreadSet;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<IoThreadSet> {
        let params = self.params();
        if params.is_empty() {
            return Err(Error::invalid("iothreadset needs a parameter to set").with_hint(
                "--poll-max-ns, --poll-grow, --poll-shrink, --thread-pool-min or --thread-pool-max",
            ));
        }
        let dom = lookup(ctx.conn()?, &self.domain)?;
        let name = domain_name(&dom)?;
        let (live, config) = affects(&self.scope, &dom)?;
        let mut request = Request::new();
        for (field, kind, value) in &params {
            request.add(field, *kind as i32, &value.to_string())?;
        }
        let (ptr, id, flags) = (dom.as_ptr(), self.id, self.scope.bits());
        let what = format!("IOThread {id} of domain {}", quote(&name));
        // SAFETY: a held domain and the request's parameters.
        request
            .send(
                |p, n| unsafe { sys::virDomainSetIOThreadParams(ptr, id, p, n, flags) },
                &what,
            )
            .map_err(|e| match e.message.contains("cannot find IOThread") {
                true => Error::invalid(e.message),
                false => e,
            })?;
        journal.irreversible(format!("set the parameters of {what}"))?;
        Ok(IoThreadSet {
            name,
            iothread_id: id,
            changed: true,
            live,
            config,
            params: params.into_iter().map(|(k, _, v)| (k.to_string(), v)).collect(),
        })
    }
}
