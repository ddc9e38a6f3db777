//! broker-lite's error type: one enum for the crate, layered over [`rocketmq::Error`].

use std::path::PathBuf;

/// Result alias used throughout broker-lite.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in broker-lite.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the SDK (protocol encoding/decoding, transport).
    #[error(transparent)]
    Rocketmq(#[from] rocketmq::Error),
    /// An I/O error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A configuration value is out of range.
    #[error("invalid config {field}: {reason}")]
    Config {
        /// The config field.
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A store file is not in the expected format and cannot be repaired.
    #[error("corrupt store file {path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A message record is larger than a commit-log segment (or the configured maximum).
    #[error("message record of {len} bytes exceeds the limit of {max} bytes")]
    MessageTooLarge {
        /// The record length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The store refuses writes: the disk holding it is nearly full.
    #[error("disk nearly full: {used_ratio:.2} of the store's disk used")]
    DiskFull {
        /// Fraction of the disk in use.
        used_ratio: f64,
    },
    /// The store (or server) has been shut down.
    #[error("shut down")]
    Shutdown,
}
