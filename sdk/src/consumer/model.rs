//! Settings every kind of consumer shares: the message model and where a group starts.

use std::time::SystemTime;

use crate::protocol::body::{ConsumeFromWhere, MessageModel as JavaModel};

/// Whether the group shares the queues or each consumer gets every message (Java
/// `MessageModel`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MessageModel {
    /// The group's members share the queues; offsets are kept by the broker; failed
    /// messages are redelivered through the retry topic. Java's default.
    #[default]
    Clustering,
    /// Every member consumes every queue; offsets are kept in a local file; failed
    /// messages are not redelivered.
    Broadcasting,
}

impl MessageModel {
    pub(crate) fn java(self) -> JavaModel {
        match self {
            MessageModel::Clustering => JavaModel::Clustering,
            MessageModel::Broadcasting => JavaModel::Broadcasting,
        }
    }
}

/// Where a group starts on a queue for which no offset is stored (Java
/// `ConsumeFromWhere`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConsumeFrom {
    /// After the last message (the retry topic from its start). Java's default.
    #[default]
    LastOffset,
    /// From the first message still stored.
    FirstOffset,
    /// From the first message stored at or after this time.
    Timestamp(SystemTime),
}

impl ConsumeFrom {
    pub(crate) fn java(self) -> ConsumeFromWhere {
        match self {
            ConsumeFrom::LastOffset => ConsumeFromWhere::LastOffset,
            ConsumeFrom::FirstOffset => ConsumeFromWhere::FirstOffset,
            ConsumeFrom::Timestamp(_) => ConsumeFromWhere::Timestamp,
        }
    }
}
