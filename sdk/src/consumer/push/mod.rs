//! [`PushConsumer`]: the consumer that pulls for you and hands messages to a listener
//! (Java `DefaultMQPushConsumer`).
//!
//! What runs behind it, with Java's timings: a rebalance every 20 s and whenever a broker
//! says the group changed; one long-polling pull loop per queue held, all driven by one
//! task (the broker holds a pull up to 15 s, the client waits 30 s); flow control per
//! queue (1000 messages or 100 MiB cached, offsets at most 2000 apart); the listener on up
//! to 20 batches at once; offsets written every 5 s and on close; for orderly consumption
//! broker locks renewed every 20 s; messages held longer than the consume timeout
//! (15 min) sent back.

mod builder;
mod concurrent;
mod core;
mod hook;
mod listener;
mod orderly;
mod pulling;
mod rebalance;
mod serve;
mod settings;

use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

pub use builder::PushConsumerBuilder;
pub use hook::{ConsumeHook, ConsumeHookContext, ConsumeReturn};
pub use listener::{
    ConsumeContext, ConsumeStatus, MessageListener, OrderlyContext, OrderlyListener, OrderlyStatus,
};

use self::core::Core;
use crate::client::{Client, GroupRegistration};
use crate::protocol::MessageQueue;
use crate::protocol::body::{ConsumerRunningInfo, SubscriptionData};

/// A consumer that pulls the queues it is assigned and hands the messages to a listener
/// (Java `DefaultMQPushConsumer`).
///
/// Building it starts consumption: subscriptions, listener and settings go to the
/// [builder](PushConsumerBuilder); [`close`](Self::close) stops it, lets the listener
/// calls in flight finish, writes the offsets and leaves the group. Dropping the last
/// handle without closing stops the tasks without writing offsets.
///
/// ```no_run
/// # async fn demo() -> rocketmq::Result<()> {
/// use rocketmq::consumer::{ConsumeStatus, PushConsumer};
///
/// let consumer = PushConsumer::builder()
///     .namesrv_addr("127.0.0.1:9876")
///     .group("order_audit")
///     .subscribe("orders", "created || paid")
///     .listener_fn(|msgs| async move {
///         for m in &msgs {
///             println!("{} {}", m.msg_id(), String::from_utf8_lossy(m.body()));
///         }
///         ConsumeStatus::Success
///     })
///     .build()
///     .await?;
/// // ... later
/// consumer.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PushConsumer {
    handle: Arc<Handle>,
}

struct Handle {
    core: Arc<Core>,
    owns_client: bool,
    registration: Mutex<Option<GroupRegistration>>,
    closed: tokio::sync::OnceCell<()>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        // Not closed: stop every task; the client's own task ends when its last clone goes.
        self.core.closing.store(true, Ordering::Release);
        self.core.background.cancel();
        self.core.pull_loops.close();
        self.core.consuming.cancel();
        self.core.consume_permits.close();
        self.core.queue_root.cancel();
    }
}

impl PushConsumer {
    /// A builder with Java's defaults, documented on each setter.
    pub fn builder() -> PushConsumerBuilder {
        PushConsumerBuilder::default()
    }

    /// The consumer group (with the namespace).
    pub fn group(&self) -> &str {
        &self.handle.core.group
    }

    /// The client this consumer uses.
    pub fn client(&self) -> &Client {
        &self.handle.core.client
    }

    /// The subscriptions (topics with the namespace; the retry topic included in
    /// clustering mode).
    pub fn subscriptions(&self) -> Vec<SubscriptionData> {
        self.handle.core.subscriptions()
    }

    /// The queues this consumer holds now (topics without the namespace).
    pub fn assigned_queues(&self) -> Vec<MessageQueue> {
        let core = &self.handle.core;
        let mut queues: Vec<MessageQueue> =
            core.queues().keys().map(|q| core.user_queue(q)).collect();
        queues.sort();
        queues
    }

    /// The offset this consumer will commit for `queue` (topic without the namespace),
    /// from memory.
    pub fn committed_offset(&self, queue: &MessageQueue) -> Option<i64> {
        let core = &self.handle.core;
        let queue = MessageQueue {
            topic: core.client.with_namespace(&queue.topic),
            ..queue.clone()
        };
        core.offsets.read_memory(&queue)
    }

    /// Stops pulling (Java `suspend`): pulls waiting at the broker are abandoned (what
    /// they would bring is pulled again after [`resume`](Self::resume)); consumption of
    /// what was pulled before goes on.
    pub fn pause(&self) {
        self.handle.core.paused.store(true, Ordering::Release);
        self.handle.core.pause_signal.notify_waiters();
    }

    /// Pulls again after [`pause`](Self::pause) (Java `resume`).
    pub fn resume(&self) {
        self.handle.core.paused.store(false, Ordering::Release);
    }

    /// Rebalances now instead of at the next interval.
    pub fn rebalance_now(&self) {
        self.handle.core.rebalance_now.notify_one();
    }

    /// What the consumer would answer to `GET_CONSUMER_RUNNING_INFO` (settings,
    /// subscriptions, per-queue state, statistics).
    pub async fn running_info(&self) -> ConsumerRunningInfo {
        serve::running_info_of(&self.handle.core).await
    }

    /// Stops consuming and leaves the group: no new pull or listener call starts, the
    /// calls in flight finish (up to the
    /// [`await_termination`](PushConsumerBuilder::await_termination) time), offsets are
    /// written to the store and waited for, orderly queue locks are released, the group
    /// is unregistered from the brokers, and the client is closed if this consumer built
    /// it. Affects every clone; later calls return at once.
    pub async fn close(&self) {
        let handle = &self.handle;
        handle.closed.get_or_init(|| close(handle)).await;
    }
}

async fn close(handle: &Handle) {
    let core = &handle.core;
    core.closing.store(true, Ordering::Release);
    core.background.cancel();
    core.pull_loops.close();
    // Background tasks stop at their next await; pulls in flight are dropped.
    let _ = core
        .background
        .wait_idle(core.settings.await_termination)
        .await;
    if !core
        .consuming
        .wait_idle(core.settings.await_termination)
        .await
    {
        tracing::warn!(group = %core.group, left = core.consuming.live(), "consumption still running at close");
    }
    core.consuming.cancel();
    core.consume_permits.close();
    let held: HashSet<MessageQueue> = core.queues().keys().cloned().collect();
    core.offsets.persist_all(&held, true).await;
    if core.orderly() && core.clustering() {
        let queues: Vec<MessageQueue> = held.iter().cloned().collect();
        core.unlock(&queues, false).await;
    }
    core.queue_root.cancel();
    core.queues().clear();
    let registration = handle
        .registration
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(registration) = registration {
        registration.unregister().await;
    }
    if handle.owns_client {
        core.client.close().await;
    }
}

impl fmt::Debug for PushConsumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let core = &self.handle.core;
        f.debug_struct("PushConsumer")
            .field("group", &core.group)
            .field("orderly", &core.orderly())
            .field("settings", &core.settings)
            .field("queues", &core.queues().len())
            .field("closing", &core.is_closing())
            .finish_non_exhaustive()
    }
}
