//! [`PushConsumerBuilder`]: Java's `DefaultMQPushConsumer` settings, as a builder, and
//! starting the consumer.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use super::core::Core;
use super::hook::ConsumeHook;
use super::listener::{
    ConsumeStatus, FnListener, FnOrderly, Listener, MessageListener, OrderlyListener, OrderlyStatus,
};
use super::serve::PushGroup;
use super::settings::{MessageModel, Settings};
use super::{Handle, PushConsumer, concurrent, rebalance};
use crate::client::ConsumerGroup;
use crate::client::namespace::RETRY_PREFIX;
use crate::consumer::client_choice::{ClientChoice, client_setters};
use crate::consumer::fetch::Fetcher;
use crate::consumer::group_setters::group_setters;
use crate::consumer::loops::PullLoops;
use crate::consumer::offset::{LocalStore, OffsetStore, RemoteStore, local};
use crate::consumer::process_queue::QueueRoot;
use crate::consumer::pull::DEFAULT_GROUP;
use crate::consumer::send_back::SendBack;
use crate::consumer::stats::Stats;
use crate::consumer::subscription::{Expression, now_millis};
use crate::consumer::tasks::TaskSet;
use crate::consumer::{AllocateStrategy, Averagely, ReceivedMessage};
use crate::producer::{check_group, check_topic};
use crate::{Error, Result};

/// Builds a [`PushConsumer`]. Every setter documents its default, which is Java's.
#[must_use]
pub struct PushConsumerBuilder {
    client: ClientChoice,
    group: String,
    subscriptions: Vec<(String, Expression)>,
    listener: Option<Listener>,
    strategy: Arc<dyn AllocateStrategy>,
    hooks: Vec<Arc<dyn ConsumeHook>>,
    settings: Settings,
}

impl Default for PushConsumerBuilder {
    fn default() -> Self {
        Self {
            client: ClientChoice::default(),
            group: DEFAULT_GROUP.to_owned(),
            subscriptions: Vec::new(),
            listener: None,
            strategy: Arc::new(Averagely),
            hooks: Vec::new(),
            settings: Settings::default(),
        }
    }
}

impl PushConsumerBuilder {
    client_setters!();
    group_setters!();

    /// Consumes concurrently with `listener`. One listener per consumer: the last one
    /// set wins.
    pub fn listener(mut self, listener: impl MessageListener) -> Self {
        self.listener = Some(Listener::Concurrent(Arc::new(listener)));
        self
    }

    /// Consumes concurrently with a closure from a batch to its status.
    pub fn listener_fn<F, Fut>(self, f: F) -> Self
    where
        F: Fn(Vec<ReceivedMessage>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ConsumeStatus> + Send + 'static,
    {
        self.listener(FnListener(f))
    }

    /// Consumes each queue in order with `listener`.
    pub fn orderly_listener(mut self, listener: impl OrderlyListener) -> Self {
        self.listener = Some(Listener::Orderly(Arc::new(listener)));
        self
    }

    /// Consumes each queue in order with a closure from a batch to its status.
    pub fn orderly_listener_fn<F, Fut>(self, f: F) -> Self
    where
        F: Fn(Vec<ReceivedMessage>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = OrderlyStatus> + Send + 'static,
    {
        self.orderly_listener(FnOrderly(f))
    }

    /// Listener calls in flight at once (Java `consumeThreadMin`/`Max`). Default: 20.
    pub fn consume_threads(mut self, n: usize) -> Self {
        self.settings.consume_threads = n;
        self
    }

    /// Messages cached per topic, divided among the queues held (overrides the queue
    /// limit). Default: none.
    pub fn pull_threshold_for_topic(mut self, messages: usize) -> Self {
        self.settings.pull_threshold_for_topic = Some(messages);
        self
    }

    /// MiB cached per topic, divided among the queues held. Default: none.
    pub fn pull_threshold_size_for_topic(mut self, mib: usize) -> Self {
        self.settings.pull_threshold_size_for_topic = Some(mib);
        self
    }

    /// Pause between pulls of a queue. Default: none.
    pub fn pull_interval(mut self, interval: Duration) -> Self {
        self.settings.pull_interval = interval;
        self
    }

    /// Messages asked for per pull. Default: 32.
    pub fn pull_batch_size(mut self, messages: i32) -> Self {
        self.settings.pull_batch_size = messages;
        self
    }

    /// Messages per listener call (Java `consumeMessageBatchMaxSize`). Default: 1.
    pub fn consume_batch_size(mut self, messages: usize) -> Self {
        self.settings.consume_batch_size = messages;
        self
    }

    /// Send the subscription with every pull. Default: off (the broker uses the
    /// heartbeat's).
    pub fn post_subscription_when_pull(mut self, on: bool) -> Self {
        self.settings.post_subscription_when_pull = on;
        self
    }

    /// Deliveries after which a failing message goes to the dead-letter topic. Default:
    /// 16 for concurrent consumption, unlimited for orderly.
    pub fn max_reconsume_times(mut self, times: i32) -> Self {
        self.settings.max_reconsume_times = Some(times);
        self
    }

    /// How long an orderly queue pauses after a suspend (Java
    /// `suspendCurrentQueueTimeMillis`). Default: 1 s.
    pub fn suspend_time(mut self, time: Duration) -> Self {
        self.settings.suspend_time = time;
        self
    }

    /// Messages held longer than this by a concurrent listener are sent back for a later
    /// delivery (Java `consumeTimeout`). Default: 15 minutes.
    pub fn consume_timeout(mut self, timeout: Duration) -> Self {
        self.settings.consume_timeout = timeout;
        self
    }

    /// How long [`close`](PushConsumer::close) waits for listener calls in flight.
    /// Default: 30 s.
    pub fn await_termination(mut self, time: Duration) -> Self {
        self.settings.await_termination = time;
        self
    }

    /// Time between offset writes (Java `persistConsumerOffsetInterval`). Default: 5 s.
    pub fn persist_interval(mut self, every: Duration) -> Self {
        self.settings.persist_interval = every;
        self
    }

    /// Time between renewals of orderly queue locks (Java
    /// `rocketmq.client.rebalance.lockInterval`). Default: 20 s.
    pub fn lock_interval(mut self, every: Duration) -> Self {
        self.settings.lock_interval = every;
        self
    }

    /// Directory of the broadcasting offsets file. Default: the
    /// `rocketmq.client.localOffsetStoreDir` environment variable, else
    /// `~/.rocketmq_offsets` (Java's).
    pub fn offset_store_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.settings.offset_store_dir = Some(dir.into());
        self
    }

    /// Adds a consume hook; hooks run in the order added. Default: none.
    pub fn consume_hook(mut self, hook: impl ConsumeHook) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }

    /// Java's `checkConfig` limits.
    fn check(&self) -> Result<()> {
        check_group(&self.group)?;
        if self.group == DEFAULT_GROUP {
            return Err(Error::Config(
                "consumerGroup can not equal DEFAULT_CONSUMER, please specify another one".into(),
            ));
        }
        let s = &self.settings;
        let bad = |what: &str| Err(Error::Config(format!("{what} out of range")));
        if !(1..=1000).contains(&s.consume_threads) {
            return bad("consume threads (1..=1000)");
        }
        if !(1..=65535).contains(&s.pull_threshold_for_queue) {
            return bad("pull threshold for queue (1..=65535)");
        }
        if !(1..=1024).contains(&s.pull_threshold_size_for_queue) {
            return bad("pull threshold size for queue (1..=1024 MiB)");
        }
        if s.pull_threshold_for_topic
            .is_some_and(|t| !(1..=6_553_500).contains(&t))
        {
            return bad("pull threshold for topic (1..=6553500)");
        }
        if s.pull_threshold_size_for_topic
            .is_some_and(|t| !(1..=102_400).contains(&t))
        {
            return bad("pull threshold size for topic (1..=102400 MiB)");
        }
        if !(1..=65535).contains(&s.max_span) {
            return bad("max span (1..=65535)");
        }
        if s.pull_interval > Duration::from_millis(65535) {
            return bad("pull interval (0..=65535 ms)");
        }
        if !(1..=1024).contains(&s.consume_batch_size) {
            return bad("consume batch size (1..=1024)");
        }
        if !(1..=1024).contains(&s.pull_batch_size) {
            return bad("pull batch size (1..=1024)");
        }
        for (topic, _) in &self.subscriptions {
            check_topic(topic)?;
        }
        Ok(())
    }

    /// Builds the consumer and starts it: registers the group, sends a heartbeat to the
    /// brokers of the subscribed topics, rebalances and starts pulling. Fails with
    /// [`Error::Config`] (no listener, a setting out of Java's range, no name server, the
    /// group already on the client) or [`Error::InvalidField`] (a name Java refuses).
    pub async fn build(self) -> Result<PushConsumer> {
        self.check()?;
        let Some(listener) = self.listener else {
            return Err(Error::Config("a push consumer needs a listener".to_owned()));
        };
        let (client, owns_client) = self.client.build("push consumer")?;
        let group = client.with_namespace(&self.group);
        let settings = self.settings;
        let mut subscriptions = BTreeMap::new();
        for (topic, expression) in &self.subscriptions {
            let topic = client.with_namespace(topic);
            subscriptions.insert(topic.clone(), Arc::new(expression.subscription(&topic)));
        }
        if settings.model == MessageModel::Clustering {
            let retry = format!("{RETRY_PREFIX}{group}");
            subscriptions.insert(
                retry.clone(),
                Arc::new(Expression::all().subscription(&retry)),
            );
        }
        let offsets = match settings.model {
            MessageModel::Clustering => {
                OffsetStore::Remote(RemoteStore::new(client.clone(), group.clone()))
            }
            MessageModel::Broadcasting => {
                let dir = settings
                    .offset_store_dir
                    .clone()
                    .unwrap_or_else(local::default_dir);
                OffsetStore::Local(LocalStore::new(&dir, &local::client_key(&client), &group))
            }
        };
        offsets.load().await?;
        let core = Arc::new(Core {
            fetcher: Fetcher::new(client.clone(), group.clone()),
            send_back: SendBack::new(client.clone(), group.clone()),
            client: client.clone(),
            group: group.clone(),
            subscriptions: Mutex::new(subscriptions),
            listener,
            strategy: self.strategy,
            offsets,
            queues: Mutex::default(),
            topic_limits: Mutex::default(),
            hooks: self.hooks,
            stats: Stats::default(),
            consume_permits: Semaphore::new(settings.consume_threads),
            pull_loops: PullLoops::default(),
            background: TaskSet::new(),
            consuming: TaskSet::new(),
            queue_root: QueueRoot::default(),
            rebalance_now: Notify::new(),
            paused: AtomicBool::new(false),
            pause_signal: Notify::new(),
            closing: AtomicBool::new(false),
            started_at: now_millis(),
            settings,
        });
        let member = Arc::new(PushGroup {
            core: Arc::downgrade(&core),
            group: group.clone(),
        });
        let registration = client.register_consumer(&group, member as Arc<dyn ConsumerGroup>)?;
        let handle = Arc::new(Handle {
            core: Arc::clone(&core),
            owns_client,
            registration: Mutex::new(Some(registration)),
            closed: tokio::sync::OnceCell::new(),
        });
        for sub in core.subscriptions() {
            if let Err(err) = client.topic_route(&sub.topic).await {
                tracing::debug!(topic = %sub.topic, %err, "no route yet");
            }
        }
        client.send_heartbeat().await;
        start_loops(&core);
        Ok(PushConsumer { handle })
    }
}

/// The consumer's periodic duties: rebalance, offset writes, lock renewal (orderly
/// clustering), expired-message cleanup (concurrent clustering).
fn start_loops(core: &Arc<Core>) {
    let c = Arc::clone(core);
    core.background
        .spawn_cancellable(async move { c.pull_loops.drive().await });
    let c = Arc::clone(core);
    core.background.spawn_cancellable(async move {
        loop {
            rebalance::rebalance(&c).await;
            tokio::select! {
                () = c.rebalance_now.notified() => {}
                () = tokio::time::sleep(c.settings.rebalance_interval) => {}
            }
        }
    });
    let c = Arc::clone(core);
    core.background.spawn_cancellable(async move {
        loop {
            tokio::time::sleep(c.settings.persist_interval).await;
            let held = c.queues().keys().cloned().collect();
            c.offsets.persist_all(&held, false).await;
        }
    });
    if core.orderly() && core.clustering() {
        let c = Arc::clone(core);
        core.background.spawn_cancellable(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            loop {
                c.lock_all().await;
                tokio::time::sleep(c.settings.lock_interval).await;
            }
        });
    }
    if !core.orderly() && core.clustering() {
        let c = Arc::clone(core);
        core.background.spawn_cancellable(async move {
            loop {
                tokio::time::sleep(c.settings.consume_timeout).await;
                concurrent::clean_expired(&c).await;
            }
        });
    }
}

impl fmt::Debug for PushConsumerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushConsumerBuilder")
            .field("client", &self.client)
            .field("group", &self.group)
            .field("subscriptions", &self.subscriptions)
            .field(
                "listener",
                &self.listener.as_ref().map(Listener::is_orderly),
            )
            .field("strategy", &self.strategy.name())
            .field("hooks", &self.hooks.len())
            .field("settings", &self.settings)
            .finish()
    }
}
