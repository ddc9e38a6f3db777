//! What the application gives a push consumer: a listener for concurrent consumption
//! ([`MessageListener`], Java `MessageListenerConcurrently`) or for orderly consumption
//! ([`OrderlyListener`], Java `MessageListenerOrderly`), as a type or a closure.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;

use crate::consumer::ReceivedMessage;
use crate::protocol::MessageQueue;

/// What a concurrent listener says about a batch (Java `ConsumeConcurrentlyStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConsumeStatus {
    /// Consumed (the first [`ConsumeContext::set_ack_index`] + 1 messages when set).
    Success,
    /// Deliver again later, through the group's retry topic.
    ReconsumeLater,
}

impl ConsumeStatus {
    /// Java's name (`CONSUME_SUCCESS`, `RECONSUME_LATER`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConsumeStatus::Success => "CONSUME_SUCCESS",
            ConsumeStatus::ReconsumeLater => "RECONSUME_LATER",
        }
    }
}

/// What an orderly listener says about a batch (Java `ConsumeOrderlyStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderlyStatus {
    /// Consumed; the queue moves on.
    Success,
    /// Not consumed: the queue stops for a moment and the same messages come again (Java
    /// `SUSPEND_CURRENT_QUEUE_A_MOMENT`).
    Suspend,
}

impl OrderlyStatus {
    /// Java's name (`SUCCESS`, `SUSPEND_CURRENT_QUEUE_A_MOMENT`).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderlyStatus::Success => "SUCCESS",
            OrderlyStatus::Suspend => "SUSPEND_CURRENT_QUEUE_A_MOMENT",
        }
    }
}

/// The context of one concurrent batch (Java `ConsumeConcurrentlyContext`).
#[derive(Clone, Debug)]
pub struct ConsumeContext {
    /// Shared by the batches of a pull.
    queue: Arc<MessageQueue>,
    pub(crate) ack_index: Option<usize>,
    pub(crate) delay_level: i32,
}

impl ConsumeContext {
    pub(crate) fn new(queue: impl Into<Arc<MessageQueue>>) -> Self {
        Self {
            queue: queue.into(),
            ack_index: None,
            delay_level: 0,
        }
    }

    /// The queue the batch came from (topic without namespace).
    pub fn queue(&self) -> &MessageQueue {
        &self.queue
    }

    /// With [`ConsumeStatus::Success`]: only messages `0..=index` were consumed, the
    /// others go back for a later delivery. Default: all.
    pub fn set_ack_index(&mut self, index: usize) {
        self.ack_index = Some(index);
    }

    /// The delay level of messages going back: 0 lets the broker pick `3 + reconsume
    /// times`, -1 sends them straight to the dead-letter topic. Default: 0.
    pub fn set_delay_level(&mut self, level: i32) {
        self.delay_level = level;
    }
}

/// The context of one orderly batch (Java `ConsumeOrderlyContext`).
#[derive(Clone, Debug)]
pub struct OrderlyContext {
    queue: MessageQueue,
    pub(crate) suspend: Option<Duration>,
}

impl OrderlyContext {
    pub(crate) fn new(queue: MessageQueue) -> Self {
        Self {
            queue,
            suspend: None,
        }
    }

    /// The queue the batch came from (topic without namespace).
    pub fn queue(&self) -> &MessageQueue {
        &self.queue
    }

    /// How long the queue pauses after [`OrderlyStatus::Suspend`]. Default: the
    /// consumer's [`suspend_time`](super::PushConsumerBuilder::suspend_time) (1 s).
    pub fn set_suspend_time(&mut self, time: Duration) {
        self.suspend = Some(time);
    }
}

/// Consumes batches concurrently (Java `MessageListenerConcurrently`): batches of one
/// queue may run at the same time and in any order; each batch has at most
/// [`consume_batch_size`](super::PushConsumerBuilder::consume_batch_size) messages.
///
/// Runs on the runtime's worker threads, and a call that finishes at its first poll runs
/// on the task that drives the consumer's pulls: move blocking work to
/// `tokio::task::spawn_blocking`, or a blocked thread holds up the pulls of every queue.
/// A panic counts as [`ConsumeStatus::ReconsumeLater`].
///
/// ```
/// use rocketmq::consumer::{ConsumeContext, ConsumeStatus, MessageListener, ReceivedMessage};
///
/// struct Print;
///
/// impl MessageListener for Print {
///     async fn consume(&self, msgs: Vec<ReceivedMessage>, _ctx: &mut ConsumeContext) -> ConsumeStatus {
///         for m in &msgs {
///             println!("{} {:?}", m.msg_id(), m.body());
///         }
///         ConsumeStatus::Success
///     }
/// }
/// ```
pub trait MessageListener: Send + Sync + 'static {
    /// Consumes one batch.
    fn consume(
        &self,
        messages: Vec<ReceivedMessage>,
        context: &mut ConsumeContext,
    ) -> impl Future<Output = ConsumeStatus> + Send;
}

/// Consumes each queue in order (Java `MessageListenerOrderly`): one batch of a queue at
/// a time, in queue order; in clustering mode only while this consumer holds the queue's
/// lock on the broker. A panic counts as [`OrderlyStatus::Suspend`].
pub trait OrderlyListener: Send + Sync + 'static {
    /// Consumes one batch.
    fn consume(
        &self,
        messages: Vec<ReceivedMessage>,
        context: &mut OrderlyContext,
    ) -> impl Future<Output = OrderlyStatus> + Send;
}

/// A closure as a [`MessageListener`].
pub(crate) struct FnListener<F>(pub(crate) F);

impl<F, Fut> MessageListener for FnListener<F>
where
    F: Fn(Vec<ReceivedMessage>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ConsumeStatus> + Send,
{
    fn consume(
        &self,
        messages: Vec<ReceivedMessage>,
        _context: &mut ConsumeContext,
    ) -> impl Future<Output = ConsumeStatus> + Send {
        (self.0)(messages)
    }
}

/// A closure as an [`OrderlyListener`].
pub(crate) struct FnOrderly<F>(pub(crate) F);

impl<F, Fut> OrderlyListener for FnOrderly<F>
where
    F: Fn(Vec<ReceivedMessage>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = OrderlyStatus> + Send,
{
    fn consume(
        &self,
        messages: Vec<ReceivedMessage>,
        _context: &mut OrderlyContext,
    ) -> impl Future<Output = OrderlyStatus> + Send {
        (self.0)(messages)
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The listener of a consumer, type-erased. Calls never panic: a listener's panic becomes
/// the failure status.
#[derive(Clone)]
pub(crate) enum Listener {
    Concurrent(Arc<dyn ErasedConcurrent>),
    Orderly(Arc<dyn ErasedOrderly>),
}

pub(crate) trait ErasedConcurrent: Send + Sync + 'static {
    fn call(
        self: Arc<Self>,
        messages: Vec<ReceivedMessage>,
        context: ConsumeContext,
    ) -> BoxFuture<(ConsumeStatus, ConsumeContext, bool)>;
}

impl<L: MessageListener> ErasedConcurrent for L {
    fn call(
        self: Arc<Self>,
        messages: Vec<ReceivedMessage>,
        mut context: ConsumeContext,
    ) -> BoxFuture<(ConsumeStatus, ConsumeContext, bool)> {
        Box::pin(async move {
            let outcome = AssertUnwindSafe(self.consume(messages, &mut context))
                .catch_unwind()
                .await;
            match outcome {
                Ok(status) => (status, context, false),
                Err(_) => (ConsumeStatus::ReconsumeLater, context, true),
            }
        })
    }
}

pub(crate) trait ErasedOrderly: Send + Sync + 'static {
    fn call(
        self: Arc<Self>,
        messages: Vec<ReceivedMessage>,
        context: OrderlyContext,
    ) -> BoxFuture<(OrderlyStatus, OrderlyContext, bool)>;
}

impl<L: OrderlyListener> ErasedOrderly for L {
    fn call(
        self: Arc<Self>,
        messages: Vec<ReceivedMessage>,
        mut context: OrderlyContext,
    ) -> BoxFuture<(OrderlyStatus, OrderlyContext, bool)> {
        Box::pin(async move {
            let outcome = AssertUnwindSafe(self.consume(messages, &mut context))
                .catch_unwind()
                .await;
            match outcome {
                Ok(status) => (status, context, false),
                Err(_) => (OrderlyStatus::Suspend, context, true),
            }
        })
    }
}

impl Listener {
    pub(crate) fn is_orderly(&self) -> bool {
        matches!(self, Listener::Orderly(_))
    }
}
