//! Consume hooks (Java `ConsumeMessageHook`): called before and after every batch a
//! listener consumes, for tracing and metrics.

use std::time::Duration;

use crate::consumer::ReceivedMessage;
use crate::protocol::MessageQueue;

/// How a consumption ended, as Java's trace records it (`ConsumeReturnType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConsumeReturn {
    /// The listener returned success.
    Success,
    /// The listener took longer than the consume timeout.
    TimeOut,
    /// The listener panicked (Java: threw).
    Exception,
    /// The listener asked for a later delivery or a suspend.
    Failed,
}

/// What a hook sees of one batch (Java `ConsumeMessageContext`).
#[derive(Debug)]
pub struct ConsumeHookContext<'a> {
    /// The consumer group (with namespace).
    pub group: &'a str,
    /// The queue the batch came from.
    pub queue: &'a MessageQueue,
    /// The messages.
    pub messages: &'a [ReceivedMessage],
    /// After consumption: Java's status name (`CONSUME_SUCCESS`, `RECONSUME_LATER`,
    /// `SUCCESS`, `SUSPEND_CURRENT_QUEUE_A_MOMENT`); `None` before.
    pub status: Option<&'static str>,
    /// After consumption: whether it succeeded.
    pub success: bool,
    /// After consumption: how it ended.
    pub outcome: Option<ConsumeReturn>,
    /// After consumption: how long the listener took.
    pub elapsed: Duration,
}

/// Called around each consumed batch. Hooks run in the order added, on the consuming
/// task: keep them quick.
pub trait ConsumeHook: Send + Sync + 'static {
    /// The hook's name.
    fn name(&self) -> &str;
    /// Before the listener runs.
    fn before(&self, context: &ConsumeHookContext<'_>) {
        let _ = context;
    }
    /// After the listener returned.
    fn after(&self, context: &ConsumeHookContext<'_>) {
        let _ = context;
    }
}
