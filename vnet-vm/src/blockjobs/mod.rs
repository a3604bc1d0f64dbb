//! Block jobs and disk conditions of a running domain, as virsh has them: blockjob, blockpull, blockcopy, blockcommit,
//! domblkerror and domblkthreshold.

pub mod commit;
pub mod copy;
pub mod disks;
pub mod job;
pub mod pull;
