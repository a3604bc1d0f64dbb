//! Block jobs and disk conditions of a running domain, as virsh has them: blockjob, blockpull, blockcopy,
//! domblkerror and domblkthreshold.

pub mod copy;
pub mod disks;
pub mod job;
pub mod pull;
