//! [`PullConsumer`]: pulls from queues the application chooses, at offsets it chooses
//! (Java `DefaultMQPullConsumer`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use super::client_choice::{ClientChoice, client_setters};
use super::fetch::{Fetcher, PullResult, PullSpec};
use super::message::ReceivedMessage;
use super::offset::{OffsetStore, RemoteStore};
use super::queries;
use super::send_back::{BackTo, SendBack};
use super::subscription::Expression;
use crate::client::{Client, ConsumerGroup, GroupRegistration};
use crate::producer::check_group;
use crate::protocol::MessageQueue;
use crate::protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerData, MessageModel, SubscriptionData,
};
use crate::{Error, Result};

/// Java's default consumer group (`MixAll.DEFAULT_CONSUMER_GROUP`).
pub(crate) const DEFAULT_GROUP: &str = "DEFAULT_CONSUMER";

/// A consumer that pulls on demand: the application picks queue and offset, and keeps
/// track of its progress (optionally on the broker, [`commit_offset`](Self::commit_offset)).
///
/// Java's `DefaultMQPullConsumer`, deprecated in Java 5 in favour of the lite pull
/// consumer ([`LitePullConsumer`](super::LitePullConsumer)); kept for the raw operations.
/// Queues and topics here are the application's, without the namespace.
///
/// ```no_run
/// # async fn demo() -> rocketmq::Result<()> {
/// use rocketmq::consumer::PullConsumer;
/// use rocketmq::protocol::request::PullStatus;
///
/// let consumer = PullConsumer::builder().group("audit").build().await?;
/// for queue in consumer.queues("orders").await? {
///     let mut offset = consumer.committed_offset(&queue).await?.unwrap_or(0);
///     loop {
///         let found = consumer.pull(&queue, "*", offset, 32).await?;
///         for msg in &found.messages {
///             println!("{} {:?}", msg.queue_offset(), msg.body());
///         }
///         offset = found.next_begin_offset;
///         if found.status != PullStatus::Found {
///             break;
///         }
///     }
///     consumer.commit_offset(&queue, offset).await?;
/// }
/// consumer.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PullConsumer {
    inner: Arc<Inner>,
}

struct Inner {
    fetcher: Fetcher,
    offsets: OffsetStore,
    send_back: SendBack,
    group: Arc<PullGroup>,
    settings: PullSettings,
    owns_client: bool,
    registration: Mutex<Option<GroupRegistration>>,
    closed: AtomicBool,
}

#[derive(Clone, Debug)]
struct PullSettings {
    pull_timeout: Duration,
    broker_suspend: Duration,
    suspend_timeout: Duration,
    max_reconsume_times: i32,
}

/// What heartbeats say about a pull consumer: the topics it pulled, each with `*`.
struct PullGroup {
    name: String,
    subscriptions: Mutex<BTreeMap<String, SubscriptionData>>,
}

impl ConsumerGroup for PullGroup {
    fn consumer_data(&self) -> ConsumerData {
        ConsumerData {
            group_name: self.name.clone(),
            consume_type: Some(ConsumeType::Pull),
            message_model: Some(MessageModel::Clustering),
            consume_from_where: Some(ConsumeFromWhere::LastOffset),
            subscription_data_set: self
                .subscriptions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .values()
                .cloned()
                .collect(),
            unit_mode: false,
        }
    }
}

impl PullConsumer {
    /// A builder with Java's defaults, documented on each setter.
    pub fn builder() -> PullConsumerBuilder {
        PullConsumerBuilder::default()
    }

    /// The consumer group (with the namespace).
    pub fn group(&self) -> &str {
        self.inner.fetcher.group()
    }

    /// The client this consumer uses.
    pub fn client(&self) -> &Client {
        self.inner.fetcher.client()
    }

    fn wrap(&self, queue: &MessageQueue) -> MessageQueue {
        MessageQueue {
            topic: self.client().with_namespace(&queue.topic),
            ..queue.clone()
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            Err(Error::Shutdown)
        } else {
            Ok(())
        }
    }

    /// Java's `subscriptionAutomatically`: heartbeats list every topic pulled.
    fn remember(&self, topic: &str) {
        let mut subs = self
            .inner
            .group
            .subscriptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        subs.entry(topic.to_owned())
            .or_insert_with(|| Expression::all().subscription(topic));
    }

    async fn pull_with(
        &self,
        queue: &MessageQueue,
        expression: Expression,
        offset: i64,
        max: i32,
        block: bool,
    ) -> Result<PullResult> {
        self.check_open()?;
        if offset < 0 {
            return Err(Error::InvalidField {
                field: "offset",
                value: offset.to_string(),
            });
        }
        if max <= 0 {
            return Err(Error::InvalidField {
                field: "maxNums",
                value: max.to_string(),
            });
        }
        let queue = self.wrap(queue);
        self.remember(&queue.topic);
        let sub = expression.subscription(&queue.topic);
        let settings = &self.inner.settings;
        self.inner
            .fetcher
            .pull(PullSpec {
                queue: &queue,
                sub: &sub,
                offset,
                max_nums: max,
                commit_offset: None,
                post_subscription: true,
                suspend: block.then_some(settings.broker_suspend),
                timeout: if block {
                    settings.suspend_timeout
                } else {
                    settings.pull_timeout
                },
            })
            .await
    }

    /// Pulls up to `max` messages matching `expression` from `queue` at `offset`, without
    /// waiting for new ones (Java `pull`).
    pub async fn pull(
        &self,
        queue: &MessageQueue,
        expression: impl Into<Expression>,
        offset: i64,
        max: i32,
    ) -> Result<PullResult> {
        self.pull_with(queue, expression.into(), offset, max, false)
            .await
    }

    /// Like [`pull`](Self::pull), but when nothing is there the broker holds the request
    /// until a message arrives or the suspend time (20 s) passes (Java
    /// `pullBlockIfNotFound`).
    pub async fn pull_blocking(
        &self,
        queue: &MessageQueue,
        expression: impl Into<Expression>,
        offset: i64,
        max: i32,
    ) -> Result<PullResult> {
        self.pull_with(queue, expression.into(), offset, max, true)
            .await
    }

    /// The readable queues of `topic` (Java `fetchSubscribeMessageQueues`).
    pub async fn queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        let client = self.client();
        Ok(queries::read_queues(client, &client.with_namespace(topic))
            .await?
            .into_iter()
            .map(|q| MessageQueue {
                topic: client.without_namespace(&q.topic),
                ..q
            })
            .collect())
    }

    /// The group's offset of `queue` as the broker keeps it; `None` when it has none
    /// (Java `fetchConsumeOffset(mq, true)`).
    pub async fn committed_offset(&self, queue: &MessageQueue) -> Result<Option<i64>> {
        self.check_open()?;
        self.inner.offsets.read_store(&self.wrap(queue)).await
    }

    /// Stores the group's offset of `queue` on the broker and waits for it (Java
    /// `updateConsumeOffset` followed by a persist).
    pub async fn commit_offset(&self, queue: &MessageQueue, offset: i64) -> Result<()> {
        self.check_open()?;
        self.inner
            .offsets
            .commit_now(&self.wrap(queue), offset)
            .await
    }

    /// The queue's smallest offset.
    pub async fn min_offset(&self, queue: &MessageQueue) -> Result<i64> {
        queries::min_offset(self.client(), &self.wrap(queue)).await
    }

    /// The queue's largest offset (one past its last message).
    pub async fn max_offset(&self, queue: &MessageQueue) -> Result<i64> {
        queries::max_offset(self.client(), &self.wrap(queue)).await
    }

    /// The offset of the first message stored at or after `time`.
    pub async fn offset_for_time(&self, queue: &MessageQueue, time: SystemTime) -> Result<i64> {
        queries::search_offset(self.client(), &self.wrap(queue), time).await
    }

    /// When the queue's oldest message was stored.
    pub async fn earliest_store_time(&self, queue: &MessageQueue) -> Result<SystemTime> {
        queries::earliest_store_time(self.client(), &self.wrap(queue)).await
    }

    /// Hands `message` back to its broker for a later delivery through the group's retry
    /// topic (CONSUMER_SEND_MSG_BACK; `delay_level` 0 lets the broker choose, -1 sends it
    /// to the dead-letter topic). After the maximum number of deliveries (16) the broker
    /// moves it to `%DLQ%<group>`.
    pub async fn send_back(&self, message: &ReceivedMessage, delay_level: i32) -> Result<()> {
        self.check_open()?;
        self.inner
            .send_back
            .to_broker(&BackTo {
                message,
                delay_level,
                max_reconsume_times: self.inner.settings.max_reconsume_times,
                fallback_reconsume_times: message.reconsume_times() + 1,
            })
            .await
    }

    /// Unregisters the group from the brokers and closes the client if this consumer
    /// built it. Later calls fail with [`Error::Shutdown`]. Affects every clone.
    pub async fn close(&self) {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let registration = self
            .inner
            .registration
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(registration) = registration {
            registration.unregister().await;
        }
        if self.inner.owns_client {
            self.client().close().await;
        }
    }
}

impl fmt::Debug for PullConsumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PullConsumer")
            .field("group", &self.group())
            .field("settings", &self.inner.settings)
            .field("closed", &self.inner.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Builds a [`PullConsumer`]; every setter documents its default, which is Java's.
#[derive(Debug)]
#[must_use]
pub struct PullConsumerBuilder {
    client: ClientChoice,
    group: String,
    settings: PullSettings,
}

impl Default for PullConsumerBuilder {
    fn default() -> Self {
        Self {
            client: ClientChoice::default(),
            group: DEFAULT_GROUP.to_owned(),
            settings: PullSettings {
                pull_timeout: Duration::from_secs(10),
                broker_suspend: Duration::from_secs(20),
                suspend_timeout: Duration::from_secs(30),
                max_reconsume_times: 16,
            },
        }
    }
}

impl PullConsumerBuilder {
    client_setters!();

    /// The consumer group. Default: `DEFAULT_CONSUMER`.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    /// Time a non-blocking pull may take. Default: 10 s (Java
    /// `consumerPullTimeoutMillis`).
    pub fn pull_timeout(mut self, timeout: Duration) -> Self {
        self.settings.pull_timeout = timeout;
        self
    }

    /// How long the broker holds a [`pull_blocking`](PullConsumer::pull_blocking) request
    /// when nothing is there. Default: 20 s (Java `brokerSuspendMaxTimeMillis`).
    pub fn broker_suspend(mut self, time: Duration) -> Self {
        self.settings.broker_suspend = time;
        self
    }

    /// Time a blocking pull may take in all; must exceed the broker suspend time.
    /// Default: 30 s (Java `consumerTimeoutMillisWhenSuspend`).
    pub fn suspend_timeout(mut self, timeout: Duration) -> Self {
        self.settings.suspend_timeout = timeout;
        self
    }

    /// Deliveries before the broker moves a message sent back to the dead-letter topic.
    /// Default: 16 (Java `maxReconsumeTimes`).
    pub fn max_reconsume_times(mut self, times: i32) -> Self {
        self.settings.max_reconsume_times = times;
        self
    }

    /// Builds the consumer and registers its group on the client (listed in heartbeats).
    /// No broker is contacted until the first call. Fails with [`Error::Config`] (no
    /// name server, group registered twice on the client) or [`Error::InvalidField`] (a
    /// group name Java refuses).
    pub async fn build(self) -> Result<PullConsumer> {
        check_group(&self.group)?;
        if self.settings.suspend_timeout <= self.settings.broker_suspend {
            return Err(Error::Config(
                "the suspend timeout must exceed the broker suspend time".to_owned(),
            ));
        }
        let (client, owns_client) = self.client.build("pull consumer")?;
        let group = client.with_namespace(&self.group);
        let member = Arc::new(PullGroup {
            name: group.clone(),
            subscriptions: Mutex::default(),
        });
        let registration =
            client.register_consumer(&group, Arc::clone(&member) as Arc<dyn ConsumerGroup>)?;
        Ok(PullConsumer {
            inner: Arc::new(Inner {
                fetcher: Fetcher::new(client.clone(), group.clone()),
                offsets: OffsetStore::Remote(RemoteStore::new(client.clone(), group.clone())),
                send_back: SendBack::new(client, group),
                group: member,
                settings: self.settings,
                owns_client,
                registration: Mutex::new(Some(registration)),
                closed: AtomicBool::new(false),
            }),
        })
    }
}
