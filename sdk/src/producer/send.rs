//! [`Producer`]: sync, async and oneway sends, batches, queue choice, retries and fault
//! tolerance (Java `DefaultMQProducer` / `DefaultMQProducerImpl`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::task::JoinHandle;
// Tokio's clock, like the connection's deadlines: a paused test clock applies to both.
use tokio::time::Instant;

use super::accumulate::Accumulator;
use super::builder::ProducerBuilder;
use super::fault::FaultTolerance;
use super::hook::{CommunicationMode, MessageType, SendContext, SendHook, SendOutcome};
use super::outgoing::Outgoing;
use super::result::SendResult;
use super::selector::{QueueChoice, QueueSelector, SelectByHash};
use super::settings::{RETRY_CODES, Settings};
use super::validate::check_message;
use crate::client::{Client, GroupRegistration, TopicRouteInfo, is_transport_error};
use crate::protocol::message::{Message, property};
use crate::protocol::request::{SendResponse, SendStatus};
use crate::protocol::{FromResponse, MessageQueue, RemotingCommand};
use crate::{Error, Result};

/// Sends messages to RocketMQ brokers (Java `DefaultMQProducer`).
///
/// Built ready to send with [`Producer::builder`]; [`close`](Self::close) waits for
/// asynchronous sends in flight, unregisters the group from the brokers and, when the
/// producer built its own [`Client`], closes it. Cloning is cheap and every clone is the
/// same producer.
///
/// * [`send`](Self::send): waits for the broker; on failure retries on another broker
///   (2 retries by default, within the send timeout, 3 s by default).
/// * [`send_async`](Self::send_async): returns once the send is under way; the returned
///   [`SendFuture`] resolves to the result. At most
///   [`max_async_in_flight`](ProducerBuilder::max_async_in_flight) are in flight.
/// * [`send_oneway`](Self::send_oneway): no answer, no retry.
/// * [`send_batch`](Self::send_batch): several messages of one topic in one request.
/// * [`send_with`](Self::send_with) and friends choose the queue: one given queue, a
///   [`QueueSelector`], or the hash of a sharding key ([`send_ordered`](Self::send_ordered)).
///
/// Before sending, the producer checks the message (topic, non-empty body at most
/// [`max_message_size`](ProducerBuilder::max_message_size)), wraps the topic in the
/// namespace, sets the unique id (`UNIQ_KEY`) unless present, and compresses bodies of at
/// least [`compress_threshold`](ProducerBuilder::compress_threshold) bytes.
///
/// ```no_run
/// # async fn demo() -> rocketmq::Result<()> {
/// use rocketmq::producer::Producer;
/// use rocketmq::protocol::message::Message;
///
/// let producer = Producer::builder()
///     .namesrv_addr("127.0.0.1:9876")
///     .group("order_producers")
///     .build()
///     .await?;
/// let mut msg = Message::new("orders", "order 42 created");
/// msg.set_tags("created");
/// msg.set_keys(["order-42"]);
/// let sent = producer.send(msg).await?;
/// println!("{} stored at {:?} offset {}", sent.msg_id, sent.queue, sent.queue_offset);
/// producer.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Producer {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client: Client,
    owns_client: bool,
    pub(crate) settings: Settings,
    fault: FaultTolerance,
    hooks: Vec<Arc<dyn SendHook>>,
    async_permits: Arc<Semaphore>,
    registration: Mutex<Option<GroupRegistration>>,
    closed: AtomicBool,
    /// Held messages, when automatic batching is on.
    pub(crate) batcher: Option<Accumulator>,
}

/// When an attempt runs: from `began` until the send's `deadline`.
#[derive(Clone, Copy)]
struct Timing {
    began: Instant,
    deadline: Instant,
    /// The send's first attempt, which starts at the send's own reading of the clock
    /// (Java reads it twice, microseconds apart).
    first: bool,
}

impl Timing {
    fn first(start: Instant, deadline: Instant) -> Self {
        Timing {
            began: start,
            deadline,
            first: true,
        }
    }
}

/// How many attempts a send gets and which failures it retries.
#[derive(Clone, Copy)]
struct Policy {
    mode: CommunicationMode,
    attempts: u32,
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Producer {
    /// A builder with Java's defaults, documented on each setter.
    pub fn builder() -> ProducerBuilder {
        ProducerBuilder::new()
    }

    pub(crate) fn from_parts(
        client: Client,
        owns_client: bool,
        settings: Settings,
        fault: FaultTolerance,
        hooks: Vec<Arc<dyn SendHook>>,
        registration: GroupRegistration,
    ) -> Self {
        let permits = settings
            .max_async_in_flight
            .clamp(1, Semaphore::MAX_PERMITS);
        let batcher = settings
            .auto_batch
            .map(|limits| Accumulator::new(limits, settings.max_message_size));
        Producer {
            inner: Arc::new(Inner {
                client,
                owns_client,
                async_permits: Arc::new(Semaphore::new(permits)),
                settings,
                fault,
                hooks,
                registration: Mutex::new(Some(registration)),
                closed: AtomicBool::new(false),
                batcher,
            }),
        }
    }

    /// The producer group (with the namespace).
    pub fn group(&self) -> &str {
        &self.inner.settings.group
    }

    /// The client instance this producer uses.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Sends `message` and waits for the broker, retrying on another broker when an
    /// attempt fails (see the type docs).
    pub async fn send(&self, message: Message) -> Result<SendResult> {
        self.send_with(message, QueueChoice::RoundRobin).await
    }

    /// Sends `message` to the queue `choice` picks and waits for the broker.
    pub async fn send_with(&self, message: Message, choice: QueueChoice) -> Result<SendResult> {
        self.check_open()?;
        let message = match self.held(message, &choice, None)? {
            Holding::Waiting(result) => return result.await.unwrap_or(Err(Error::Shutdown)),
            Holding::Not(message, _) => message,
        };
        let out = Outgoing::single(&self.inner.client, &self.inner.settings, message)?;
        self.inner.sync(out, &choice).await
    }

    /// Gives `message` to the accumulator when automatic batching is on and the message
    /// and `choice` may be batched; else hands it (and `permit`) back.
    fn held(
        &self,
        message: Message,
        choice: &QueueChoice,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Result<Holding> {
        let Some(batcher) = &self.inner.batcher else {
            return Ok(Holding::Not(message, permit));
        };
        let queue = match choice {
            QueueChoice::RoundRobin => None,
            QueueChoice::Queue(queue) => Some(queue.clone()),
            QueueChoice::Select(_) => return Ok(Holding::Not(message, permit)),
        };
        let Some(bytes) = batcher.admit(&message, &self.inner.settings) else {
            // Checked when it is made ready to send on its own.
            return Ok(Holding::Not(message, permit));
        };
        // Checked now, so that a bad message fails alone instead of failing its batch.
        if let Err(err) = check_message(&message, self.inner.settings.max_message_size) {
            batcher.release(bytes);
            return Err(err);
        }
        Ok(Holding::Waiting(
            self.inner.hold(batcher, message, bytes, queue, permit),
        ))
    }

    /// Sends `message` to `queue` (one attempt, Java `send(msg, mq)`). The queue's topic
    /// is the message's; its broker and id are used.
    pub async fn send_to_queue(
        &self,
        message: Message,
        queue: &MessageQueue,
    ) -> Result<SendResult> {
        self.send_with(message, QueueChoice::Queue(queue.clone()))
            .await
    }

    /// Sends `message` to the queue `selector` picks (one attempt).
    pub async fn send_select(
        &self,
        message: Message,
        selector: impl QueueSelector,
    ) -> Result<SendResult> {
        self.send_with(message, QueueChoice::select(selector)).await
    }

    /// Sends `message` to the queue of `sharding_key`'s hash (Java
    /// `SelectMessageQueueByHash`), so messages with one key keep their order.
    pub async fn send_ordered(&self, message: Message, sharding_key: &str) -> Result<SendResult> {
        self.send_select(message, SelectByHash::new(sharding_key))
            .await
    }

    /// Starts sending `message` and returns a future of the result. Waits (up to the send
    /// timeout, then [`Error::TooManyRequests`]) while the limit of asynchronous sends in
    /// flight is reached. Failed attempts that did not reach the broker are retried on
    /// another broker (2 retries by default); the send goes on even if the future is
    /// dropped.
    pub async fn send_async(&self, message: Message) -> Result<SendFuture> {
        self.send_async_with(message, QueueChoice::RoundRobin).await
    }

    /// [`send_async`](Self::send_async) to the queue `choice` picks.
    pub async fn send_async_with(
        &self,
        message: Message,
        choice: QueueChoice,
    ) -> Result<SendFuture> {
        self.check_open()?;
        // A message that may be held takes its permit now: it is given back with the result.
        let batchable = self.inner.batcher.is_some() && !matches!(choice, QueueChoice::Select(_));
        let permit = if batchable {
            Some(self.async_permit().await?)
        } else {
            None
        };
        let (message, permit) = match self.held(message, &choice, permit)? {
            Holding::Waiting(result) => {
                return Ok(SendFuture {
                    pending: Pending::Held(result),
                });
            }
            Holding::Not(message, permit) => (message, permit),
        };
        let out = Outgoing::single(&self.inner.client, &self.inner.settings, message)?;
        self.spawn_async(out, choice, permit).await
    }

    /// Sends `message` without waiting for an answer (no retry). Returns once the request
    /// is written to the connection's queue.
    pub async fn send_oneway(&self, message: Message) -> Result<()> {
        self.send_oneway_with(message, QueueChoice::RoundRobin)
            .await
    }

    /// [`send_oneway`](Self::send_oneway) to the queue `choice` picks.
    pub async fn send_oneway_with(&self, message: Message, choice: QueueChoice) -> Result<()> {
        self.check_open()?;
        let out = Outgoing::single(&self.inner.client, &self.inner.settings, message)?;
        let policy = Policy {
            mode: CommunicationMode::Oneway,
            attempts: 1,
        };
        self.inner.dispatch(&out, &choice, policy).await.map(|_| ())
    }

    /// Sends `messages` in one request (SEND_BATCH_MESSAGE) with Java's rules: one topic,
    /// no delay level, no retry topic, one `WAIT` setting, encoded size at most
    /// [`max_message_size`](ProducerBuilder::max_message_size); batches are not
    /// compressed. The result's `msg_id` lists the messages' ids, comma separated.
    pub async fn send_batch(&self, messages: Vec<Message>) -> Result<SendResult> {
        self.send_batch_with(messages, QueueChoice::RoundRobin)
            .await
    }

    /// [`send_batch`](Self::send_batch) to the queue `choice` picks.
    pub async fn send_batch_with(
        &self,
        messages: Vec<Message>,
        choice: QueueChoice,
    ) -> Result<SendResult> {
        self.check_open()?;
        let out = Outgoing::batch(&self.inner.client, &self.inner.settings, messages)?;
        self.inner.sync(out, &choice).await
    }

    /// Splits `messages` into batches within the size limit
    /// ([`split_batch`](super::split_batch)) and sends them one after the other; stops at
    /// the first failure.
    pub async fn send_batch_split(&self, messages: Vec<Message>) -> Result<Vec<SendResult>> {
        let mut results = Vec::new();
        for batch in super::split_batch(messages, self.inner.settings.max_message_size) {
            results.push(self.send_batch(batch).await?);
        }
        Ok(results)
    }

    /// The queues `topic` may be written to (Java `fetchPublishMessageQueues`), topic
    /// without the namespace.
    pub async fn publish_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        let client = &self.inner.client;
        let route = client.topic_route(&client.with_namespace(topic)).await?;
        Ok(route
            .write_queues()
            .iter()
            .map(|q| MessageQueue {
                topic: client.without_namespace(&q.topic),
                ..q.clone()
            })
            .collect())
    }

    /// Waits for the asynchronous sends in flight, unregisters the group from the brokers
    /// and closes the client if this producer built it. Later sends fail with
    /// [`Error::Shutdown`]. Affects every clone.
    pub async fn close(&self) {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        // Held messages go out now; their batches are answered before the client closes.
        self.inner.flush_held().await;
        let all = u32::try_from(
            self.inner
                .settings
                .max_async_in_flight
                .clamp(1, Semaphore::MAX_PERMITS),
        )
        .unwrap_or(u32::MAX);
        // Every permit back means no asynchronous send is still running.
        if let Ok(permits) = self.inner.async_permits.acquire_many(all).await {
            permits.forget();
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
            self.inner.client.close().await;
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            Err(Error::Shutdown)
        } else {
            Ok(())
        }
    }

    /// A permit for one more asynchronous send, waiting up to the send timeout.
    async fn async_permit(&self) -> Result<OwnedSemaphorePermit> {
        let settings = &self.inner.settings;
        match tokio::time::timeout(
            settings.send_timeout,
            Arc::clone(&self.inner.async_permits).acquire_owned(),
        )
        .await
        {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_closed)) => Err(Error::Shutdown),
            Err(_elapsed) => Err(Error::TooManyRequests {
                limit: settings.max_async_in_flight,
            }),
        }
    }

    async fn spawn_async(
        &self,
        out: Outgoing,
        choice: QueueChoice,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Result<SendFuture> {
        let settings = &self.inner.settings;
        let permit = match permit {
            Some(permit) => permit,
            None => self.async_permit().await?,
        };
        let inner = Arc::clone(&self.inner);
        let policy = Policy {
            mode: CommunicationMode::Async,
            attempts: 1 + settings.async_retries,
        };
        let task = tokio::spawn(async move {
            let mut out = out;
            // The dispatch future is large: boxed, it is allocated once in the ordinary
            // way, and the task (whose cell the runtime over-aligns) stays small and
            // cheap to move in and out.
            let result = Box::pin(inner.dispatch(&out, &choice, policy)).await;
            drop(permit);
            let mut sent = result?.ok_or(Error::Shutdown)?;
            out.complete(&mut sent);
            Ok(sent)
        });
        Ok(SendFuture {
            pending: Pending::Task(task),
        })
    }
}

impl Inner {
    pub(crate) async fn sync(&self, mut out: Outgoing, choice: &QueueChoice) -> Result<SendResult> {
        let policy = Policy {
            mode: CommunicationMode::Sync,
            attempts: 1 + self.settings.retries,
        };
        // A sync send always has a result; `None` only comes back for oneway sends.
        let mut sent = self
            .dispatch(&out, choice, policy)
            .await?
            .ok_or(Error::Shutdown)?;
        out.complete(&mut sent);
        Ok(sent)
    }

    /// Sends `out` as `choice` and `policy` say (Java `sendDefaultImpl` / `sendSelectImpl`
    /// / `sendKernelImpl`). The result's `msg_id` and topic are left for
    /// [`Outgoing::complete`] to move in, unless hooks saw the result.
    async fn dispatch(
        &self,
        out: &Outgoing,
        choice: &QueueChoice,
        policy: Policy,
    ) -> Result<Option<SendResult>> {
        let start = Instant::now();
        let deadline = start + self.settings.send_timeout;
        match choice {
            QueueChoice::Queue(queue) => {
                let queue = MessageQueue {
                    topic: out.topic().to_owned(),
                    ..queue.clone()
                };
                self.attempt(out, &queue, policy.mode, Timing::first(start, deadline))
                    .await
            }
            QueueChoice::Select(selector) => {
                let route = self.route(out).await?;
                let queues = route.write_queues();
                if queues.is_empty() {
                    return Err(Error::NoRoute {
                        topic: out.topic().to_owned(),
                    });
                }
                let index = match self.client.config().namespace() {
                    None => selector.select(queues, &out.message),
                    Some(_) => {
                        let plain: Vec<MessageQueue> = queues
                            .iter()
                            .map(|q| MessageQueue {
                                topic: out.user_topic.clone(),
                                ..q.clone()
                            })
                            .collect();
                        selector.select(&plain, &out.message)
                    }
                };
                let queue = &queues[index % queues.len()];
                self.attempt(out, queue, policy.mode, Timing::first(start, deadline))
                    .await
            }
            QueueChoice::RoundRobin => self.round_robin(out, policy, start, deadline).await,
        }
    }

    async fn route(&self, out: &Outgoing) -> Result<Arc<TopicRouteInfo>> {
        self.client
            .publish_route(
                out.topic(),
                &self.settings.create_topic_key,
                self.settings.default_topic_queue_nums,
            )
            .await
    }

    /// Java's retry loop: each attempt on a queue chosen avoiding the last broker, within
    /// one deadline for the whole send.
    async fn round_robin(
        &self,
        out: &Outgoing,
        policy: Policy,
        start: Instant,
        deadline: Instant,
    ) -> Result<Option<SendResult>> {
        let route = self.route(out).await?;
        let mut last_broker: Option<&str> = None;
        let mut last_error: Option<Error> = None;
        let mut not_stored: Option<SendResult> = None;
        for attempt in 0..policy.attempts.max(1) {
            // The deadline was set just before the first attempt; a zero timeout still
            // stops here.
            let timing = match attempt {
                0 => Timing::first(start, deadline),
                _ => Timing {
                    began: Instant::now(),
                    deadline,
                    first: false,
                },
            };
            if (attempt > 0 || self.settings.send_timeout.is_zero()) && timing.began >= deadline {
                break;
            }
            let Some(queue) = self.select_queue(&route, last_broker) else {
                return Err(Error::NoRoute {
                    topic: out.topic().to_owned(),
                });
            };
            match self.attempt(out, queue, policy.mode, timing).await {
                Ok(Some(result))
                    if result.status != SendStatus::SendOk
                        && self.settings.retry_another_broker_when_not_store_ok =>
                {
                    not_stored = Some(result);
                }
                Ok(result) => return Ok(result),
                Err(err) if self.retryable(&err, policy.mode) => {
                    if is_transport_error(&err) {
                        self.client.refresh_route_soon(out.topic());
                    }
                    tracing::debug!(broker = %queue.broker_name, %err, "send attempt failed; retrying");
                    last_error = Some(err);
                }
                Err(err) => return Err(err),
            }
            last_broker = Some(&queue.broker_name);
        }
        if let Some(result) = not_stored {
            return Ok(Some(result));
        }
        Err(last_error.unwrap_or_else(|| Error::Timeout {
            addr: out.topic().to_owned(),
            timeout: self.settings.send_timeout,
        }))
    }

    /// Whether a failed attempt is worth another on a different broker.
    fn retryable(&self, err: &Error, mode: CommunicationMode) -> bool {
        match err {
            // The request may not have reached the broker, or the broker is missing.
            e if is_transport_error(e) => {
                !matches!(e, Error::TooManyRequests { .. }) || mode == CommunicationMode::Sync
            }
            Error::NoRoute { .. } => true,
            // A refusal is retried by sync sends for Java's retry codes only.
            Error::Broker { code, .. } => {
                mode == CommunicationMode::Sync && RETRY_CODES.contains(code)
            }
            _ => false,
        }
    }

    /// The next queue (Java 5.x `MQFaultStrategy.selectOneMessageQueue`): round robin,
    /// skipping the last failed broker and, with fault tolerance on, brokers being avoided
    /// (then unreachable ones); any queue when nothing else is left.
    fn select_queue<'r>(
        &self,
        route: &'r TopicRouteInfo,
        last_broker: Option<&str>,
    ) -> Option<&'r MessageQueue> {
        let queues = route.write_queues();
        if queues.is_empty() {
            return None;
        }
        let n = queues.len();
        let not_last = |q: &MessageQueue| last_broker.is_none_or(|b| q.broker_name != b);
        let scan = |accept: &dyn Fn(&MessageQueue) -> bool| {
            (0..n)
                .map(|_| &queues[route.next_index() % n])
                .find(|q| accept(q))
        };
        let fault = &self.fault;
        if fault.enabled() {
            if let Some(q) = scan(&|q| not_last(q) && fault.is_available(&q.broker_name)) {
                return Some(q);
            }
            if let Some(q) = scan(&|q| not_last(q) && fault.is_reachable(&q.broker_name)) {
                return Some(q);
            }
        } else if let Some(q) = scan(&not_last) {
            return Some(q);
        }
        Some(&queues[route.next_index() % n])
    }

    /// One request to one queue's broker, with the send hooks around it. The request
    /// waits until the send's deadline, like Java's, which passes each layer what is left
    /// of the send timeout.
    async fn attempt(
        &self,
        out: &Outgoing,
        queue: &MessageQueue,
        mode: CommunicationMode,
        timing: Timing,
    ) -> Result<Option<SendResult>> {
        let Timing {
            began,
            deadline,
            first,
        } = timing;
        // Like Java, the latency the fault tolerance records runs from here (hooks
        // included) to the answer.
        let remaining = deadline.saturating_duration_since(began);
        let (addr, fetched) = self.broker_addr(out, &queue.broker_name).await?;
        // A route fetched for the address took time of its own (Java checks the time
        // left after it too).
        if remaining.is_zero() || (fetched && Instant::now() >= deadline) {
            return Err(Error::Timeout {
                addr,
                timeout: self.settings.send_timeout,
            });
        }
        let mut context = (!self.hooks.is_empty()).then(|| self.context(out, queue, &addr, mode));
        if let Some(ctx) = context.as_mut() {
            for hook in &self.hooks {
                hook.before_send(ctx);
            }
        }
        // The first attempt is born when the message was made ready (one clock reading
        // for its id and its birth); a retry is born now, as in Java.
        let born = if first { out.born_millis } else { now_millis() };
        let command = out
            .command(&self.settings, queue, born)
            .with_serialize_type(self.client.config().serialize_type());
        let remoting = self.client.remoting();
        let mut result = match mode {
            CommunicationMode::Oneway => remoting
                .invoke_oneway(&addr, command, remaining)
                .await
                .map(|()| None),
            _ => match remoting
                .invoke_until(&addr, command, deadline, remaining)
                .await
            {
                Ok(reply) => self.result(&queue.broker_name, reply).map(Some),
                Err(err) => Err(err),
            },
        };
        if self.fault.enabled() {
            let latency = began.elapsed();
            match &result {
                Ok(_) => self.fault.record(&queue.broker_name, latency, false, true),
                Err(Error::Broker { .. }) => {
                    self.fault.record(&queue.broker_name, latency, true, false)
                }
                Err(err) if is_transport_error(err) => {
                    self.fault.record(&queue.broker_name, latency, true, true);
                }
                Err(_) => {}
            }
        }
        if let Some(ctx) = context.as_ref() {
            // Hooks see the whole result: what `complete` would move in, copied.
            if let Ok(Some(sent)) = &mut result {
                sent.msg_id = out.msg_id().to_owned();
                sent.queue.topic = out.user_topic.clone();
            }
            let outcome = match &result {
                Ok(Some(sent)) => SendOutcome::Sent(sent),
                Ok(None) => SendOutcome::Oneway,
                Err(err) => SendOutcome::Failed(err),
            };
            for hook in &self.hooks {
                hook.after_send(ctx, outcome);
            }
        }
        result
    }

    /// The master address of `broker`, fetching the topic's route when the broker table
    /// does not know it yet (Java `findBrokerAddressInPublish`).
    /// Also says whether the route had to be fetched for it.
    async fn broker_addr(&self, out: &Outgoing, broker: &str) -> Result<(String, bool)> {
        if let Some(addr) = self.client.master_addr(broker) {
            return Ok((addr, false));
        }
        // A route for the topic brings the broker into the table, if it is in the route.
        if let Err(err) = self.client.update_route(out.topic()).await {
            tracing::debug!(topic = out.topic(), %err, "route lookup for a broker address failed");
        }
        let addr = self
            .client
            .master_addr(broker)
            .ok_or_else(|| Error::NoRoute {
                topic: out.topic().to_owned(),
            })?;
        Ok((addr, true))
    }

    fn context(
        &self,
        out: &Outgoing,
        queue: &MessageQueue,
        addr: &str,
        mode: CommunicationMode,
    ) -> SendContext {
        SendContext {
            producer_group: self.settings.group.clone(),
            message: out.message.clone(),
            queue: queue.clone(),
            broker_addr: addr.to_owned(),
            born_host: self.client.config().client_ip().to_owned(),
            mode,
            message_type: MessageType::of(&out.message),
            namespace: self.client.config().namespace().map(str::to_owned),
            props: Default::default(),
        }
    }

    /// Java `processSendResponse`, but for the message id and the topic, which
    /// [`Outgoing::complete`] moves in (without copying them) once the send is over.
    fn result(&self, broker: &str, reply: RemotingCommand) -> Result<SendResult> {
        let region_id = reply
            .ext_field(property::MSG_REGION)
            .filter(|r| !r.is_empty())
            .unwrap_or("DefaultRegion")
            .to_owned();
        let trace_on = reply.ext_field(property::TRACE_ON) != Some("false");
        let response = SendResponse::from_response(reply)?;
        let header = response.header;
        Ok(SendResult {
            status: response.status,
            msg_id: String::new(),
            offset_msg_id: header.msg_id,
            queue: MessageQueue {
                topic: String::new(),
                broker_name: broker.to_owned(),
                queue_id: header.queue_id,
            },
            queue_offset: header.queue_offset,
            transaction_id: header.transaction_id,
            region_id,
            trace_on,
            recall_handle: header.recall_handle,
        })
    }
}

impl fmt::Debug for Producer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("group", &self.inner.settings.group)
            .field("client_id", &self.inner.client.client_id())
            .field("send_timeout", &self.inner.settings.send_timeout)
            .field("fault_tolerance", &self.inner.fault.enabled())
            .field("hooks", &self.inner.hooks.len())
            .field("closed", &self.inner.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// A message given to the accumulator, or handed back to be sent on its own.
enum Holding {
    /// Its result comes here.
    Waiting(oneshot::Receiver<Result<SendResult>>),
    Not(Message, Option<OwnedSemaphorePermit>),
}

/// The result of an asynchronous send ([`Producer::send_async`]).
///
/// The send runs on its own; dropping this future does not cancel it, only discards the
/// result.
#[must_use = "the send goes on, but its result is lost unless this is awaited"]
pub struct SendFuture {
    pending: Pending,
}

enum Pending {
    /// A send of its own.
    Task(JoinHandle<Result<SendResult>>),
    /// A message waiting for (or in) an automatic batch.
    Held(oneshot::Receiver<Result<SendResult>>),
}

impl Future for SendFuture {
    type Output = Result<SendResult>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.pending {
            Pending::Task(task) => match Pin::new(task).poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(result)) => Poll::Ready(result),
                Poll::Ready(Err(err)) if err.is_panic() => {
                    std::panic::resume_unwind(err.into_panic())
                }
                // The runtime is shutting down.
                Poll::Ready(Err(_cancelled)) => Poll::Ready(Err(Error::Shutdown)),
            },
            // A reply dropped unanswered: the producer closed or the runtime is stopping.
            Pending::Held(result) => Pin::new(result)
                .poll(cx)
                .map(|r| r.unwrap_or(Err(Error::Shutdown))),
        }
    }
}

impl fmt::Debug for SendFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let finished = match &self.pending {
            Pending::Task(task) => task.is_finished(),
            Pending::Held(result) => result.is_terminated(),
        };
        f.debug_struct("SendFuture")
            .field("finished", &finished)
            .finish()
    }
}
