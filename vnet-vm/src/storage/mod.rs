//! Storage: the disks install plans and creates, the pool and volume verbs, the files uploaded to
//! a remote host, and where install's files go. This module only names its parts.

pub mod build;
pub mod disks;
pub mod names;
pub mod paths;
pub mod pool_as;
pub mod pool_edit;
pub mod poolfile;
pub mod pools;
pub mod sources;
pub mod target;
pub mod transfer;
pub mod volfile;
pub mod volops;
pub mod volumes;
