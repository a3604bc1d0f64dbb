//! Static forwarding database entries in bridge(8)'s words, for head-end replication over VXLAN
//! (`fdb append 00:00:00:00:00:00 dev vx0 dst HOST`: flood unknown destinations to one more
//! host) and pinned MACs: `fdb add|append|del` send RTM_NEWNEIGH/RTM_DELNEIGH with family
//! AF_BRIDGE as `bridge fdb` does; `fdb show` lists entries as `bridge -j fdb show`.

mod change;
mod entries;
mod list;

pub use change::{FdbAdd, FdbAppend, FdbDel};
pub use entries::{dump_fdb, neighbour_ip};
pub use list::FdbShow;
