//! virsh migrate's options that vnet-vm does not implement: taken on the command line so that a
//! line naming one is refused by name (exit 7) before anything is touched, never a usage error.

use vnet_common::{Error, Result};

/// Each field is one of virsh's options (hidden from --help: they only refuse).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Refused {
    #[arg(long, hide = true)]
    copy_storage_synchronous_writes: bool,
    #[arg(long, hide = true)]
    rdma_pin_all: bool,
    #[arg(long, hide = true)]
    postcopy: bool,
    #[arg(long, hide = true)]
    postcopy_after_precopy: bool,
    #[arg(long, hide = true)]
    postcopy_resume: bool,
    #[arg(long, hide = true)]
    timeout_postcopy: bool,
    #[arg(long, hide = true)]
    zerocopy: bool,
    #[arg(long, hide = true)]
    tls: bool,
    #[arg(long, hide = true)]
    parallel: bool,
    #[arg(long, hide = true, value_name = "X")]
    graphicsuri: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    listen_address: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    xml: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    persistent_xml: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    migrate_disks: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    disks_port: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    disks_uri: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    comp_methods: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    comp_mt_level: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    comp_mt_threads: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    comp_mt_dthreads: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    comp_xbzrle_cache: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    auto_converge_initial: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    auto_converge_increment: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    postcopy_bandwidth: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    parallel_connections: Option<String>,
    #[arg(long, hide = true, value_name = "X")]
    tls_destination: Option<String>,
}

impl Refused {
    /// The options given, as virsh spells them.
    fn given(&self) -> Vec<&'static str> {
        let flags = [
            (
                self.copy_storage_synchronous_writes,
                "copy-storage-synchronous-writes",
            ),
            (self.rdma_pin_all, "rdma-pin-all"),
            (self.postcopy, "postcopy"),
            (self.postcopy_after_precopy, "postcopy-after-precopy"),
            (self.postcopy_resume, "postcopy-resume"),
            (self.timeout_postcopy, "timeout-postcopy"),
            (self.zerocopy, "zerocopy"),
            (self.tls, "tls"),
            (self.parallel, "parallel"),
        ];
        let valued = [
            (&self.graphicsuri, "graphicsuri"),
            (&self.listen_address, "listen-address"),
            (&self.xml, "xml"),
            (&self.persistent_xml, "persistent-xml"),
            (&self.migrate_disks, "migrate-disks"),
            (&self.disks_port, "disks-port"),
            (&self.disks_uri, "disks-uri"),
            (&self.comp_methods, "comp-methods"),
            (&self.comp_mt_level, "comp-mt-level"),
            (&self.comp_mt_threads, "comp-mt-threads"),
            (&self.comp_mt_dthreads, "comp-mt-dthreads"),
            (&self.comp_xbzrle_cache, "comp-xbzrle-cache"),
            (&self.auto_converge_initial, "auto-converge-initial"),
            (&self.auto_converge_increment, "auto-converge-increment"),
            (&self.postcopy_bandwidth, "postcopy-bandwidth"),
            (&self.parallel_connections, "parallel-connections"),
            (&self.tls_destination, "tls-destination"),
        ];
        let flags = flags.into_iter().filter(|(on, _)| *on).map(|(_, n)| n);
        flags
            .chain(valued.into_iter().filter(|(v, _)| v.is_some()).map(|(_, n)| n))
            .collect()
    }

    /// The first option given: exit 7 naming it.
    pub fn refuse(&self) -> Result<()> {
        match self.given().first() {
            None => Ok(()),
            Some(name) => Err(Error::invalid(format!("--{name} is not supported by vnet-vm migrate"))
                .with_hint("vnet-vm migrate takes --live, --offline, --p2p, --direct, --tunnelled, --persistent, \
                            --undefinesource, --suspend, --copy-storage-all/-inc, --change-protection, --unsafe, \
                            --abort-on-error, --auto-converge, --compressed, --dname, --migrateuri, --bandwidth, \
                            --timeout, --timeout-suspend, --verbose")),
        }
    }
}
