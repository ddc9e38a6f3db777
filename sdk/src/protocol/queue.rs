//! `MessageQueue`: one queue of a topic on one broker.

use serde::{Deserialize, Serialize};

/// One queue of a topic on one broker (Java `MessageQueue`); JSON field names as in Java.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageQueue {
    /// Topic name.
    pub topic: String,
    /// Broker name (not address).
    pub broker_name: String,
    /// Queue id within the topic on that broker.
    pub queue_id: i32,
}
